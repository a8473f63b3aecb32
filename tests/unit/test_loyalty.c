/* test_loyalty.c — every grading on hand-computed fixtures: RFM quintiles (with ties at the
 * boundaries), the customer pyramid (ties at percentile boundaries), ABC classes, loyalty
 * classes, life cycle and churn risk; single-buyer and empty shops, refunds, mixed currencies
 * with an FX table, a currency without a rate, negative totals; tier changes as events and
 * their effect on ticket priority; suspicion flags and the blacklist. The expected values in
 * the comments are worked out by hand from docs/loyalty.md. */
#include "testutil.h"

#include "borderdesk/loyalty.h"
#include "borderdesk/ticket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

typedef struct fixture {
    char *path;
    bd_store *s;
    ticket_ctx ctx;
    loyalty_settings *set;
    int64_t T; /* as of */
    int seq;
} fixture;

static int setup(void **state)
{
    fixture *f = bd_calloc(1, sizeof *f);
    f->s = tu_open_new(&f->path);
    f->ctx.store = f->s;
    f->ctx.reopen_window = 7 * DAY;
    f->ctx.actor = "test";
    assert_int_equal(bd_time_parse("2026-12-31T00:00:00Z", &f->T), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ticket_ctx_clear(&f->ctx);
    loyalty_settings_free(f->set);
    store_close(f->s);
    tu_remove_db(f->path);
    free(f->path);
    free(f);
    return 0;
}

static void configure(fixture *f, const char *loyalty_json)
{
    char *text = bd_asprintf("{\"loyalty\": %s}", loyalty_json ? loyalty_json : "{}");
    bd_config c = {.root = cJSON_Parse(text)};
    free(text);
    assert_non_null(c.root);
    loyalty_settings_free(f->set);
    f->set = NULL;
    bd_err err;
    if (loyalty_settings_load(&c, &f->set, &err)) fail_msg("settings: %s", err.msg);
    cJSON_Delete(c.root);
}

/* One order days_ago days before as-of. */
static void order_full(fixture *f, const char *shop, const char *buyer, const char *ext,
                       const char *status, double days_ago, const char *currency, const char *total)
{
    char when[32], json[1024];
    bd_time_format(f->T - (int64_t)(days_ago * DAY), when, sizeof when);
    snprintf(json, sizeof json,
             "{\"shop\":\"%s\",\"marketplace\":\"ebay\",\"external_id\":\"%s\","
             "\"buyer\":{\"external_id\":\"%s\",\"name\":\"%s\"},\"status\":\"%s\","
             "\"purchased_at\":\"%s\",\"currency\":\"%s\",\"total\":\"%s\","
             "\"items\":[{\"title\":\"thing\",\"quantity\":1}]}",
             shop, ext, buyer, buyer, status, when, currency, total);
    bd_order o;
    tu_order(&o, json);
    int result;
    bd_err err;
    if (ticket_ingest_order(&f->ctx, &o, &result, &err)) fail_msg("order %s: %s", ext, err.msg);
    bd_order_clear(&o);
}

static void order(fixture *f, const char *buyer, double days_ago, const char *total)
{
    char ext[32];
    snprintf(ext, sizeof ext, "o%d", ++f->seq);
    order_full(f, "s1", buyer, ext, "shipped", days_ago, "EUR", total);
}

static int recompute(fixture *f, int full, loyalty_result *r, bd_err *err)
{
    loyalty_ctx lc = {.store = f->s, .settings = f->set, .as_of = f->T, .actor = "tiers"};
    assert_int_equal(store_begin(f->s, err), 0);
    int rc = loyalty_recompute(&lc, full, r, err);
    if (rc)
        store_rollback(f->s);
    else
        assert_int_equal(store_commit(f->s, err), 0);
    return rc;
}

static void run(fixture *f, int full)
{
    loyalty_result r;
    bd_err err;
    if (recompute(f, full, &r, &err)) fail_msg("recompute: %s", err.msg);
    loyalty_result_clear(&r);
}

static store_buyer_loyalty profile(fixture *f, const char *shop, const char *buyer)
{
    char ref[128];
    snprintf(ref, sizeof ref, "%s:%s", shop, buyer);
    store_buyer_row b;
    bd_err err;
    if (store_buyer_find(f->s, ref, &b, &err) != 1) fail_msg("no buyer %s", ref);
    store_buyer_loyalty p;
    if (store_loyalty_get(f->s, b.id, &p, &err) != 1) fail_msg("no profile for %s", ref);
    store_buyer_row_clear(&b);
    /* the rank-derived labels are derived when read */
    loyalty_view *v;
    if (loyalty_view_open(f->s, f->set, &v, &err)) fail_msg("view: %s", err.msg);
    loyalty_view_labels(v, &p);
    loyalty_view_free(v);
    return p;
}

static int64_t buyer_id(fixture *f, const char *ref)
{
    store_buyer_row b;
    bd_err err;
    if (store_buyer_find(f->s, ref, &b, &err) != 1) fail_msg("no buyer %s", ref);
    int64_t id = b.id;
    store_buyer_row_clear(&b);
    return id;
}

/* ---- RFM ---- */

/* Ten buyers; F = [5,4,4,3,3,3,2,1,1,1] has a tie (the two 4s) across the 20% boundary, M has
 * ties at 30 and 20, R a tie at 2 days. Scores by "share of buyers at or above":
 *   F: 5->5, 4->4 (3 buyers at or above 4 > K=2), 3->3, 2->2, 1->1
 *   M: 1000,500 -> 5; 400,300 -> 4; 200 -> 3; 30 -> 2; 20, 5 -> 1
 *   R: b01 5; b02,b03,b04 4; b05,b06 3; b07,b08 2; b09,b10 1 */
static void rfm_fixture(fixture *f)
{
    struct {
        const char *id;
        int n;
        const char *each;
        double last;
    } b[] = {{"b01", 5, "100", 1},   {"b02", 4, "100", 2},  {"b03", 4, "50", 2},
             {"b04", 3, "100", 10},  {"b05", 3, "10", 20},  {"b06", 3, "10", 30},
             {"b07", 2, "500", 100}, {"b08", 1, "20", 200}, {"b09", 1, "20", 300},
             {"b10", 1, "5", 364}};
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
        for (int k = 0; k < b[i].n; k++)
            order(f, b[i].id, b[i].last + k * 0.25, b[i].each);
}

static void test_rfm_quintiles_with_ties(void **state)
{
    fixture *f = *state;
    configure(f, "{\"tier\": \"rfm\"}");
    rfm_fixture(f);
    run(f, 1);
    struct {
        const char *id;
        int r, fq, m;
        const char *segment;
    } want[] = {{"b01", 5, 5, 5, "champions"},
                {"b02", 4, 4, 4, "champions"},
                {"b03", 4, 4, 3, "active"},
                {"b04", 4, 3, 4, "active"},
                {"b05", 3, 3, 2, "needs_attention"},
                {"b06", 3, 3, 2, "needs_attention"},
                {"b07", 2, 2, 5, "at_risk"},
                {"b08", 2, 1, 1, "hibernating"},
                {"b09", 1, 1, 1, "lost"},
                {"b10", 1, 1, 1, "lost"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        store_buyer_loyalty p = profile(f, "s1", want[i].id);
        if (p.r != want[i].r || p.f != want[i].fq || p.m != want[i].m ||
            strcmp(p.segment, want[i].segment) != 0)
            fail_msg("%s: got RFM %d%d%d %s, want %d%d%d %s", want[i].id, p.r, p.f, p.m, p.segment,
                     want[i].r, want[i].fq, want[i].m, want[i].segment);
        assert_string_equal(p.tier, want[i].segment);
    }
    /* frequency and monetary are the window's: b01 has 5 orders of 100 */
    store_buyer_loyalty p = profile(f, "s1", "b01");
    assert_int_equal(p.metric[STORE_LM_FREQUENCY], 5);
    assert_int_equal(p.metric[STORE_LM_MONETARY], 500 * 1000000LL);
}

static void test_abc_and_pyramid_defaults(void **state)
{
    fixture *f = *state;
    configure(f, NULL); /* pyramid 1/5/20%, ABC 55/30 */
    rfm_fixture(f);
    run(f, 1);
    /* Sales T = 2505. A: better-ranked sales below 0.55 T = 1377.75 -> 1000 (0), 500 (1000);
     * B: below 0.85 T = 2129.25 -> 400 (1500), 300 (1900); C: 200 (2200) and the rest.
     * Pyramid with N = 10: K(1%) = K(5%) = 0, nobody is vip or important; K(20%) = 2: the
     * two top spenders are in the top-20% band. */
    const char *abc[] = {"A", "B", "C", "B", "C", "C", "A", "C", "C", "C"};
    const int top20[] = {1, 0, 0, 0, 0, 0, 1, 0, 0, 0};
    for (int i = 0; i < 10; i++) {
        char id[8];
        snprintf(id, sizeof id, "b%02d", i + 1);
        store_buyer_loyalty p = profile(f, "s1", id);
        if (strcmp(p.abc, abc[i]) != 0 || p.top20 != top20[i] || strcmp(p.pyramid, "ordinary"))
            fail_msg("%s: abc %s top20 %d pyramid %s", id, p.abc, p.top20, p.pyramid);
        assert_string_equal(p.tier, "ordinary");
    }
}

static void test_pyramid_default_percentiles(void **state)
{
    fixture *f = *state;
    configure(f, NULL);
    /* 200 buyers spending 1..200: K(1%) = 2 -> 200, 199 vip; K(5%) = 10 -> 198..191
     * important; K(20%) = 40 -> 200..161 in the top-20% band. */
    for (int i = 1; i <= 200; i++) {
        char id[16], amount[16];
        snprintf(id, sizeof id, "p%03d", i);
        snprintf(amount, sizeof amount, "%d", i);
        order(f, id, 5, amount);
    }
    run(f, 1);
    for (int i = 1; i <= 200; i++) {
        char id[16];
        snprintf(id, sizeof id, "p%03d", i);
        store_buyer_loyalty p = profile(f, "s1", id);
        const char *want = i >= 199 ? "vip" : i >= 191 ? "important" : "ordinary";
        if (strcmp(p.pyramid, want) != 0 || p.top20 != (i >= 161))
            fail_msg("%s: pyramid %s top20 %d, want %s %d", id, p.pyramid, p.top20, want, i >= 161);
    }
}

static void test_pyramid_ties_at_boundaries(void **state)
{
    fixture *f = *state;
    configure(f, "{\"pyramid_percent\": {\"vip\": 10, \"important\": 30, \"key_ordinary\": 50}}");
    /* N = 10, K = 1, 3, 5. Spends 100, 100, 90, 80, 80, 80, 50, 40, 30, 20.
     * vip: 2 buyers at or above 100 > K = 1: nobody (a tie never pushes the band past its
     *      share);
     * important: at or above 100: 2 <= 3, at or above 90: 3 <= 3 -> q1, q2, q3;
     * key band: at or above 80: 6 > 5 -> q1..q3 only. */
    const char *spend[] = {"100", "100", "90", "80", "80", "80", "50", "40", "30", "20"};
    for (int i = 0; i < 10; i++) {
        char id[8];
        snprintf(id, sizeof id, "q%d", i + 1);
        order(f, id, 3, spend[i]);
    }
    run(f, 1);
    for (int i = 0; i < 10; i++) {
        char id[8];
        snprintf(id, sizeof id, "q%d", i + 1);
        store_buyer_loyalty p = profile(f, "s1", id);
        assert_string_equal(p.pyramid, i < 3 ? "important" : "ordinary");
        assert_int_equal(p.top20, i < 3);
    }
    /* q11 spends 100 too: N = 11, K = 1, 3, 5. vip: 3 at or above 100 > 1, nobody;
     * important: 3 at or above 100 <= 3 -> q1, q2, q11; 4 at or above 90 > 3 -> not q3;
     * key band: 4 at or above 90 <= 5 -> q1, q2, q3, q11; 7 at or above 80 > 5. */
    order(f, "q11", 3, "100");
    run(f, 0);
    for (int i = 0; i < 11; i++) {
        char id[8];
        snprintf(id, sizeof id, "q%d", i + 1);
        store_buyer_loyalty p = profile(f, "s1", id);
        assert_string_equal(p.pyramid, i < 2 || i == 10 ? "important" : "ordinary");
        assert_int_equal(p.top20, i < 3 || i == 10);
    }
}

static void test_abc_ties_share_a_class(void **state)
{
    fixture *f = *state;
    configure(f, "{\"tier\": \"abc\"}");
    /* T = 200; A: better-ranked sales below 110, B: below 170.
     * 60 (0) A; 40, 40 (60) A — the buyers who cross 55% are in A, together;
     * 30, 30 (140) B; nobody is C. */
    const char *spend[] = {"60", "40", "40", "30", "30"};
    for (int i = 0; i < 5; i++) {
        char id[8];
        snprintf(id, sizeof id, "c%d", i + 1);
        order(f, id, 1, spend[i]);
    }
    run(f, 1);
    const char *want[] = {"A", "A", "A", "B", "B"};
    for (int i = 0; i < 5; i++) {
        char id[8];
        snprintf(id, sizeof id, "c%d", i + 1);
        store_buyer_loyalty p = profile(f, "s1", id);
        assert_string_equal(p.abc, want[i]);
        assert_string_equal(p.tier, want[i]);
    }
}

static void test_single_buyer_and_empty_shops(void **state)
{
    fixture *f = *state;
    configure(f, NULL);
    /* empty database: nothing to rank, the run still records its state */
    run(f, 0);
    assert_int_equal(store_count(f->s, "buyer_loyalty"), 0);
    /* One buyer: nobody else is at or above, but 1 > K for every quintile (K = 0):
     * RFM 111; ABC: nothing ranks above, 0 < 0.55 T -> A; pyramid ordinary. */
    order(f, "solo", 3, "42");
    run(f, 0);
    store_buyer_loyalty p = profile(f, "s1", "solo");
    assert_int_equal(p.r, 1);
    assert_int_equal(p.f, 1);
    assert_int_equal(p.m, 1);
    assert_string_equal(p.abc, "A");
    assert_string_equal(p.pyramid, "ordinary");
    assert_string_equal(p.loyalty, "new");
    assert_string_equal(p.lifecycle, "exploration");
    assert_int_equal(p.spend, 42 * 1000000LL);
}

/* ---- loyalty class, life cycle, churn ---- */

static void test_loyalty_lifecycle_churn(void **state)
{
    fixture *f = *state;
    configure(f, "{\"tier\": \"loyalty\"}");
    order(f, "n1", 10, "20"); /* one order: new, exploration */
    order(f, "r1", 100, "20");
    order(f, "r1", 50, "20"); /* two orders, 100 days: repeat, formation */
    /* six orders over 400 days, last 30 days ago; recent (180 d) 3, previous 2: loyal */
    double l1[] = {400, 300, 200, 150, 60, 30};
    for (int i = 0; i < 6; i++)
        order(f, "l1", l1[i], "20");
    /* last order 200 days ago > 180: silent -> decline; 3 orders: repeat */
    double s1[] = {400, 350, 200};
    for (int i = 0; i < 3; i++)
        order(f, "s1", s1[i], "20");
    /* previous window 4 orders, recent 1 <= 4 * 50%: falling -> decline */
    double f1[] = {300, 280, 250, 200, 10};
    for (int i = 0; i < 5; i++)
        order(f, "f1", f1[i], "20");
    /* a cancelled order is not a sale: potential */
    order_full(f, "s1", "x1", "ox1", "Cancelled", 5, "EUR", "20");
    run(f, 1);
    struct {
        const char *id, *loyalty, *lifecycle, *churn;
    } want[] = {{"n1", "new", "exploration", ""},       {"r1", "repeat", "formation", ""},
                {"l1", "loyal", "stability", ""},       {"s1", "repeat", "decline", "silent"},
                {"f1", "repeat", "decline", "falling"}, {"x1", "potential", "", ""}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        store_buyer_loyalty p = profile(f, "s1", want[i].id);
        if (strcmp(p.loyalty, want[i].loyalty) || strcmp(p.lifecycle, want[i].lifecycle) ||
            strcmp(p.churn, want[i].churn))
            fail_msg("%s: %s/%s/%s, want %s/%s/%s", want[i].id, p.loyalty, p.lifecycle, p.churn,
                     want[i].loyalty, want[i].lifecycle, want[i].churn);
        assert_string_equal(p.tier, want[i].loyalty);
    }
    store_buyer_loyalty l = profile(f, "s1", "l1");
    assert_int_equal(l.orders_recent, 3);
    assert_int_equal(l.orders_previous, 2);
    store_buyer_loyalty x = profile(f, "s1", "x1");
    assert_int_equal(x.orders, 0);
    assert_int_equal(x.orders_all, 1);
    assert_int_equal(x.r, 0);
}

/* ---- money: refunds, FX, bad amounts ---- */

static void test_refunds_and_mixed_currencies(void **state)
{
    fixture *f = *state;
    configure(f, "{\"base_currency\": \"EUR\", \"fx_rates\": {\"USD\": \"0.5\", \"JPY\": 0.006}}");
    order_full(f, "s1", "m1", "m-1", "shipped", 3, "USD", "10.00");   /* 5.00 EUR */
    order_full(f, "s1", "m1", "m-2", "shipped", 2, "JPY", "1000");    /* 6.00 EUR */
    order_full(f, "s1", "m1", "m-3", "shipped", 1, "EUR", "4.00");    /* 4.00 EUR */
    order_full(f, "s1", "m1", "m-4", "Refunded", 1, "EUR", "100.00"); /* not a sale */
    order_full(f, "s1", "m1", "m-5", "cancelled", 1, "GBP", "50");    /* not a sale: no rate
                                                                        needed */
    run(f, 1);
    store_buyer_loyalty p = profile(f, "s1", "m1");
    assert_int_equal(p.spend, 15 * 1000000LL);
    assert_int_equal(p.orders, 3);
    assert_int_equal(p.orders_all, 5);
    assert_int_equal(p.claims, 1); /* the refunded order */

    /* a refund arrives as a status update of an order: the sale leaves the buyer's spend */
    char json[1024], when[32], upd[32];
    bd_time_format(f->T - 3 * DAY, when, sizeof when);
    bd_time_format(f->T - 1 * DAY, upd, sizeof upd);
    snprintf(json, sizeof json,
             "{\"shop\":\"s1\",\"marketplace\":\"ebay\",\"external_id\":\"m-1\","
             "\"buyer\":{\"external_id\":\"m1\"},\"status\":\"refunded\",\"purchased_at\":\"%s\","
             "\"updated_at\":\"%s\",\"currency\":\"USD\",\"total\":\"10.00\","
             "\"items\":[{\"title\":\"thing\",\"quantity\":1}]}",
             when, upd);
    bd_order o;
    tu_order(&o, json);
    int result;
    bd_err err;
    assert_int_equal(ticket_ingest_order(&f->ctx, &o, &result, &err), 0);
    bd_order_clear(&o);
    assert_int_equal(result, STORE_UPDATED);
    run(f, 0);
    p = profile(f, "s1", "m1");
    assert_int_equal(p.spend, 10 * 1000000LL);
    assert_int_equal(p.orders, 2);
    assert_int_equal(p.claims, 2);
}

static void test_unknown_currency_fails_clearly(void **state)
{
    fixture *f = *state;
    configure(f, "{\"fx_rates\": {\"USD\": \"0.9\"}}");
    order(f, "ok", 3, "10");
    order_full(f, "s1", "gb", "gb-1", "shipped", 2, "GBP", "10.00");
    order_full(f, "s1", "gb", "gb-2", "shipped", 1, "GBP", "12.00");
    loyalty_result r;
    bd_err err;
    assert_int_equal(recompute(f, 1, &r, &err), -1);
    assert_non_null(strstr(err.msg, "no FX rate for GBP to EUR"));
    assert_non_null(strstr(err.msg, "2 orders"));
    assert_non_null(strstr(err.msg, "loyalty.fx_rates"));
    assert_non_null(strstr(err.msg, "nothing was changed"));
    loyalty_result_clear(&r);
    assert_int_equal(store_count(f->s, "buyer_loyalty"), 0);
    /* with the rate, it works */
    configure(f, "{\"fx_rates\": {\"USD\": \"0.9\", \"GBP\": \"1.25\"}}");
    run(f, 1);
    assert_int_equal(profile(f, "s1", "gb").spend, 27500000);
    /* bad FX tables are refused when the configuration is read */
    bd_config c = {.root = cJSON_Parse("{\"loyalty\": {\"fx_rates\": {\"usd\": 1}}}")};
    loyalty_settings *bad = NULL;
    assert_int_equal(loyalty_settings_load(&c, &bad, &err), -1);
    assert_non_null(strstr(err.msg, "not an ISO 4217 code"));
    cJSON_Delete(c.root);
    c.root = cJSON_Parse("{\"loyalty\": {\"fx_rates\": {\"USD\": \"-1\"}}}");
    assert_int_equal(loyalty_settings_load(&c, &bad, &err), -1);
    assert_non_null(strstr(err.msg, "positive decimal rate"));
    cJSON_Delete(c.root);
}

static void test_negative_totals_are_reported(void **state)
{
    fixture *f = *state;
    configure(f, NULL);
    order(f, "neg", 3, "30");
    order_full(f, "s1", "neg", "neg-1", "shipped", 2, "EUR", "-5.00");
    loyalty_result r;
    bd_err err;
    assert_int_equal(recompute(f, 1, &r, &err), 0);
    assert_int_equal(r.orders_skipped, 1);
    assert_int_equal(r.n_issues, 1);
    assert_non_null(strstr(r.issues[0], "s1 order neg-1: negative total -5.00 EUR is not counted"));
    loyalty_result_clear(&r);
    store_buyer_loyalty p = profile(f, "s1", "neg");
    assert_int_equal(p.spend, 30 * 1000000LL);
    assert_int_equal(p.orders, 1);
}

/* ---- effects ---- */

static int64_t ticket_for(fixture *f, const char *buyer, const char *ext)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"shop\":\"s1\",\"marketplace\":\"ebay\",\"external_id\":\"%s\","
             "\"buyer\":{\"external_id\":\"%s\"},\"direction\":\"in\",\"body\":\"hello\","
             "\"sent_at\":\"2026-12-30T10:00:00Z\"}",
             ext, buyer);
    bd_message m;
    tu_message(&m, json);
    ticket_ingest_result res;
    bd_err err;
    if (ticket_ingest_message(&f->ctx, &m, &res, &err)) fail_msg("message: %s", err.msg);
    bd_message_clear(&m);
    return res.ticket_id;
}

static int priority_of(fixture *f, int64_t id)
{
    store_ticket t;
    bd_err err;
    assert_int_equal(store_ticket_get(f->s, id, &t, &err), 1);
    int p = t.priority;
    store_ticket_clear(&t);
    return p;
}

static int count_events(fixture *f, int64_t buyer, const char *kind, char *detail, size_t n)
{
    store_event *e;
    size_t ne;
    bd_err err;
    assert_int_equal(store_buyer_events(f->s, buyer, &e, &ne, &err), 0);
    int c = 0;
    for (size_t i = 0; i < ne; i++)
        if (strcmp(e[i].kind, kind) == 0) {
            c++;
            if (detail) snprintf(detail, n, "%s", e[i].detail);
        }
    store_events_free(e, ne);
    return c;
}

static void test_tier_changes_priority_and_events(void **state)
{
    fixture *f = *state;
    configure(f, "{\"pyramid_percent\": {\"vip\": 10, \"important\": 20, \"key_ordinary\": 50}}");
    for (int i = 0; i < 10; i++) {
        char id[8], amount[8];
        snprintf(id, sizeof id, "v%d", i);
        snprintf(amount, sizeof amount, "%d", 10 + i);
        order(f, id, 20, amount);
    }
    int64_t t9 = ticket_for(f, "v9", "msg-v9");
    assert_int_equal(priority_of(f, t9), TICKET_PRIORITY_NORMAL);
    run(f, 1); /* v9 spends most: vip (K = 1) */
    store_buyer_loyalty p = profile(f, "s1", "v9");
    assert_string_equal(p.tier, "vip");
    assert_int_equal(p.boost, 1);
    assert_int_equal(priority_of(f, t9), TICKET_PRIORITY_HIGH);
    int64_t v9 = buyer_id(f, "s1:v9");
    assert_int_equal(count_events(f, v9, "tier_changed", NULL, 0), 0); /* first assignment */

    /* a new message of a vip starts high */
    int64_t t8 = ticket_for(f, "v9", "msg-v9-b");
    assert_int_equal(t8, t9);
    /* v0 outspends everybody: v9 moves down to important, v0 up to vip */
    order(f, "v0", 1, "500");
    run(f, 0);
    assert_string_equal(profile(f, "s1", "v9").tier, "important");
    assert_string_equal(profile(f, "s1", "v0").tier, "vip");
    char detail[512];
    assert_int_equal(count_events(f, v9, "tier_changed", detail, sizeof detail), 1);
    assert_non_null(strstr(detail, "\"from\":\"vip\""));
    assert_non_null(strstr(detail, "\"to\":\"important\""));
    assert_non_null(strstr(detail, "\"direction\":\"down\""));
    assert_non_null(strstr(detail, "\"reason\":\"sales 19.00 EUR in 365 days"));
    assert_int_equal(count_events(f, buyer_id(f, "s1:v0"), "tier_changed", detail, sizeof detail),
                     1);
    assert_non_null(strstr(detail, "\"direction\":\"up\""));
    /* important keeps the boost (+1): priority unchanged */
    assert_int_equal(priority_of(f, t9), TICKET_PRIORITY_HIGH);

    /* blacklisting removes the boost; the priority change is in the ticket's history */
    bd_err err;
    assert_int_equal(
        loyalty_blacklist_add(f->s, f->set, v9, "abusive messages", "lead.li", f->T, &err), 0);
    assert_int_equal(priority_of(f, t9), TICKET_PRIORITY_NORMAL);
    store_event *e;
    size_t ne;
    assert_int_equal(store_ticket_events(f->s, t9, &e, &ne, &err), 0);
    int seen = 0;
    for (size_t i = 0; i < ne; i++)
        if (strcmp(e[i].kind, "priority_changed") == 0 && strstr(e[i].detail, "blacklisted"))
            seen = 1;
    store_events_free(e, ne);
    assert_true(seen);
    store_ticket t;
    assert_int_equal(store_ticket_get(f->s, t9, &t, &err), 1);
    assert_string_equal(t.tier, "important");
    assert_int_equal(t.blacklisted, 1);
    store_ticket_clear(&t);
    /* a full recompute keeps the boost off for the blacklisted buyer */
    run(f, 1);
    assert_int_equal(profile(f, "s1", "v9").boost, 0);
    assert_int_equal(loyalty_blacklist_add(f->s, f->set, v9, "again", "lead.li", f->T, &err), -1);
    assert_non_null(strstr(err.msg, "already blacklisted"));
    assert_int_equal(
        loyalty_blacklist_remove(f->s, f->set, v9, "apologised", "lead.li", f->T, &err), 0);
    assert_int_equal(priority_of(f, t9), TICKET_PRIORITY_HIGH);
    assert_int_equal(loyalty_blacklist_add(f->s, f->set, v9, "", "lead.li", f->T, &err), -1);
    assert_non_null(strstr(err.msg, "a reason is required"));
}

static void test_priority_formula(void **state)
{
    (void)state;
    assert_int_equal(ticket_priority_combine(TICKET_PRIORITY_HIGH, 1), TICKET_PRIORITY_URGENT);
    assert_int_equal(ticket_priority_combine(TICKET_PRIORITY_URGENT, 1), TICKET_PRIORITY_URGENT);
    assert_int_equal(ticket_priority_combine(TICKET_PRIORITY_NORMAL, 0), TICKET_PRIORITY_NORMAL);
    assert_int_equal(ticket_priority_combine(TICKET_PRIORITY_LOW, -1), TICKET_PRIORITY_LOW);
    assert_int_equal(ticket_priority_combine(TICKET_PRIORITY_URGENT, -2), TICKET_PRIORITY_NORMAL);
}

/* ---- suspicion flags ---- */

static int64_t open_flags(fixture *f, store_buyer_flag **out, size_t *n)
{
    bd_err err;
    assert_int_equal(store_flags_list(f->s, "open", out, n, &err), 0);
    return (int64_t)*n;
}

static void test_flags_for_a_person_to_confirm(void **state)
{
    fixture *f = *state;
    configure(f, NULL); /* min 3 orders, claims >= 50%, 2 chargebacks */
    order(f, "k1", 30, "10");
    order(f, "k1", 20, "10");
    order_full(f, "s1", "k1", "k1-r", "refunded", 10, "EUR", "10");
    order_full(f, "s1", "k1", "k1-x", "shipped", 5, "EUR", "10");
    /* 1 claim on 4 orders: 25% */
    run(f, 1);
    store_buyer_flag *fl;
    size_t n;
    assert_int_equal(open_flags(f, &fl, &n), 0);
    store_buyer_flags_free(fl, n);
    /* a dispute ticket about k1-x: 2 claims on 4 orders = 50% -> flag */
    char json[512];
    snprintf(json, sizeof json,
             "{\"shop\":\"s1\",\"marketplace\":\"ebay\",\"external_id\":\"d1\","
             "\"buyer\":{\"external_id\":\"k1\"},\"order_id\":\"k1-x\",\"direction\":\"in\","
             "\"body\":\"refund please\",\"sent_at\":\"2026-12-30T10:00:00Z\"}");
    bd_message m;
    tu_message(&m, json);
    ticket_ingest_result res;
    bd_err err;
    assert_int_equal(ticket_ingest_message(&f->ctx, &m, &res, &err), 0);
    bd_message_clear(&m);
    assert_int_equal(
        store_ticket_set_classification(f->s, res.ticket_id, "dispute", "refund", "en", 2, 2, &err),
        0);
    /* the same order claimed twice counts once */
    snprintf(json, sizeof json,
             "{\"shop\":\"s1\",\"marketplace\":\"ebay\",\"external_id\":\"d2\","
             "\"buyer\":{\"external_id\":\"k1\"},\"order_id\":\"k1-r\",\"direction\":\"in\","
             "\"body\":\"where is my refund\",\"sent_at\":\"2026-12-30T11:00:00Z\"}");
    tu_message(&m, json);
    assert_int_equal(ticket_ingest_message(&f->ctx, &m, &res, &err), 0);
    bd_message_clear(&m);
    assert_int_equal(
        store_ticket_set_classification(f->s, res.ticket_id, "dispute", "refund", "en", 2, 2, &err),
        0);
    assert_int_equal(store_loyalty_mark_dirty(f->s, buyer_id(f, "s1:k1"), &err), 0);
    run(f, 0);
    assert_int_equal(profile(f, "s1", "k1").claims, 2);
    assert_int_equal(open_flags(f, &fl, &n), 1);
    assert_string_equal(fl[0].kind, "refund_claims");
    assert_int_equal(fl[0].level, 2);
    assert_non_null(strstr(fl[0].evidence, "\"orders\":4"));
    int64_t flag = fl[0].id;
    store_buyer_flags_free(fl, n);
    /* never an automatic ban */
    assert_int_equal(store_blacklist_get(f->s, buyer_id(f, "s1:k1"), NULL, &err), 0);
    /* a second run raises nothing new */
    run(f, 1);
    assert_int_equal(open_flags(f, &fl, &n), 1);
    store_buyer_flags_free(fl, n);
    /* dismissed: not raised again until the claims grow */
    assert_int_equal(loyalty_flag_dismiss(f->s, flag, "known good customer", "lead.li", f->T, &err),
                     0);
    assert_int_equal(loyalty_flag_dismiss(f->s, flag, "twice", "lead.li", f->T, &err), -1);
    assert_non_null(strstr(err.msg, "already dismissed"));
    run(f, 1);
    assert_int_equal(open_flags(f, &fl, &n), 0);
    store_buyer_flags_free(fl, n);
    order_full(f, "s1", "k1", "k1-r2", "returned", 1, "EUR", "10"); /* 3 claims on 5 */
    run(f, 0);
    assert_int_equal(open_flags(f, &fl, &n), 1);
    assert_int_equal(fl[0].level, 3);
    flag = fl[0].id;
    store_buyer_flags_free(fl, n);
    /* confirmed by a person: blacklisted, with the flag as evidence */
    assert_int_equal(
        loyalty_flag_confirm(f->s, f->set, flag, "pattern confirmed", "lead.li", f->T, &err), 0);
    store_blacklist_entry be;
    assert_int_equal(store_blacklist_get(f->s, buyer_id(f, "s1:k1"), &be, &err), 1);
    assert_int_equal(be.flag_id, flag);
    assert_string_equal(be.added_by, "lead.li");
    assert_non_null(strstr(be.reason, "pattern confirmed"));
    store_blacklist_entry_clear(&be);
    assert_int_equal(count_events(f, buyer_id(f, "s1:k1"), "flag_confirmed", NULL, 0), 1);
    assert_int_equal(count_events(f, buyer_id(f, "s1:k1"), "flag_raised", NULL, 0), 2);
}

static void test_chargeback_flag(void **state)
{
    fixture *f = *state;
    configure(f, NULL);
    order_full(f, "s1", "cb", "cb-1", "charged_back", 10, "EUR", "10");
    order_full(f, "s1", "cb", "cb-2", "Chargeback", 5, "EUR", "10");
    run(f, 1);
    store_buyer_flag *fl;
    size_t n;
    bd_err err;
    assert_int_equal(store_flags_list(f->s, NULL, &fl, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(fl[0].kind, "chargebacks");
    assert_int_equal(fl[0].level, 2);
    store_buyer_flags_free(fl, n);
}

static void test_configuration_errors(void **state)
{
    (void)state;
    const char *bad[][2] = {
        {"{\"loyalty\": {\"tier\": \"gold\"}}", "tier must be one of"},
        {"{\"loyalty\": {\"rfm_window\": 3}}", "unknown key \"rfm_window\""},
        {"{\"loyalty\": {\"pyramid_percent\": {\"vip\": 10, \"important\": 5}}}",
         "vip < important < key_ordinary"},
        {"{\"loyalty\": {\"abc_percent\": {\"a\": 70, \"b\": 30}}}", "a + b must stay below 100"},
        {"{\"loyalty\": {\"priority_boost\": {\"vip\": 5}}}", "from -3 to 3"},
        {"{\"shops\": [{\"name\": \"x\", \"marketplace\": \"ebay\", \"loyalty\":"
         " {\"fx_rates\": {}}}]}",
         "only be set in the top-level"},
        {"{\"loyalty\": {\"rfm_window_days\": 2}}", "rfm_window_days must be a whole number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bd_config c = {.root = cJSON_Parse(bad[i][0])};
        assert_non_null(c.root);
        loyalty_settings *s = NULL;
        bd_err err = {{0}};
        assert_int_equal(loyalty_settings_load(&c, &s, &err), -1);
        if (!strstr(err.msg, bad[i][1])) fail_msg("%s: got \"%s\"", bad[i][0], err.msg);
        cJSON_Delete(c.root);
    }
    /* per-shop settings override the defaults key by key */
    bd_config c = {.root = cJSON_Parse("{\"loyalty\": {\"tier\": \"abc\", \"churn_silence_days\":"
                                       " 90}, \"shops\": [{\"name\": \"x\", \"marketplace\":"
                                       " \"ebay\", \"loyalty\": {\"tier\": \"rfm\"}}]}")};
    loyalty_settings *s;
    bd_err err;
    assert_int_equal(loyalty_settings_load(&c, &s, &err), 0);
    assert_int_equal(loyalty_settings_shop(s, "x")->grading, LOYALTY_RFM);
    assert_int_equal(loyalty_settings_shop(s, "x")->churn_silence, 90 * DAY);
    assert_int_equal(loyalty_settings_shop(s, "y")->grading, LOYALTY_ABC);
    char h1[17];
    memcpy(h1, s->hash, sizeof h1);
    loyalty_settings_free(s);
    cJSON_Delete(c.root);
    c.root = cJSON_Parse("{\"loyalty\": {\"tier\": \"abc\", \"churn_silence_days\": 91}}");
    assert_int_equal(loyalty_settings_load(&c, &s, &err), 0);
    assert_string_not_equal(h1, s->hash);
    loyalty_settings_free(s);
    cJSON_Delete(c.root);
}

static void test_config_change_forces_full(void **state)
{
    fixture *f = *state;
    configure(f, NULL);
    order(f, "a", 1, "10");
    loyalty_result r;
    bd_err err;
    assert_int_equal(recompute(f, 0, &r, &err), 0);
    assert_true(r.full);
    assert_string_equal(r.why_full, "first run");
    loyalty_result_clear(&r);
    assert_int_equal(recompute(f, 0, &r, &err), 0);
    assert_false(r.full);
    assert_int_equal(r.recomputed, 0);
    loyalty_result_clear(&r);
    configure(f, "{\"tier\": \"abc\"}");
    assert_int_equal(recompute(f, 0, &r, &err), 0);
    assert_true(r.full);
    assert_string_equal(r.why_full, "the loyalty configuration changed");
    loyalty_result_clear(&r);
    assert_string_equal(profile(f, "s1", "a").tier, "A");
    f->T -= DAY;
    assert_int_equal(recompute(f, 0, &r, &err), 0);
    assert_string_equal(r.why_full, "as-of time went back");
    loyalty_result_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rfm_quintiles_with_ties, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abc_and_pyramid_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pyramid_default_percentiles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pyramid_ties_at_boundaries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abc_ties_share_a_class, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_buyer_and_empty_shops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loyalty_lifecycle_churn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refunds_and_mixed_currencies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_currency_fails_clearly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_negative_totals_are_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tier_changes_priority_and_events, setup, teardown),
        cmocka_unit_test(test_priority_formula),
        cmocka_unit_test_setup_teardown(test_flags_for_a_person_to_confirm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chargeback_flag, setup, teardown),
        cmocka_unit_test(test_configuration_errors),
        cmocka_unit_test_setup_teardown(test_config_change_forces_full, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
