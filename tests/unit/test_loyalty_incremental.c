/* test_loyalty_incremental.c — the incremental recompute gives exactly what a full recompute
 * gives. Random shops, buyers and orders (amounts and days drawn from small sets, so ties at
 * band boundaries are common), refunds arriving as status updates, negative feedback, and
 * time moving forward so orders leave windows; after every round the incremental run must
 * not fall back to a full one, and a full recompute right after it must find nothing to
 * change and the same band boundaries. The generator is a fixed-seed xorshift, so a failure
 * replays. */
#include "testutil.h"

#include "borderdesk/loyalty.h"
#include "borderdesk/ticket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400
#define NBANDS 17

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static int pick(int n)
{
    return (int)(rnd() % (uint64_t)n);
}

typedef struct world {
    bd_store *s;
    ticket_ctx ctx;
    loyalty_settings *set;
    int64_t T;
    int orders, feedback;
    int buyers[2];
} world;

static void settings(world *w, const char *json)
{
    bd_config c = {.root = cJSON_Parse(json)};
    assert_non_null(c.root);
    bd_err err;
    if (loyalty_settings_load(&c, &w->set, &err)) fail_msg("settings: %s", err.msg);
    cJSON_Delete(c.root);
}

static void add_order(world *w, int shop, int buyer, const char *status, int64_t at,
                      int64_t updated, const char *ext)
{
    static const char *const amounts[] = {"0",  "5",  "10",  "10",   "20",
                                          "20", "50", "100", "12.5", "-3"};
    static const char *const currencies[] = {"EUR", "EUR", "EUR", "USD"};
    char when[32], upd[32], json[1024];
    bd_time_format(at, when, sizeof when);
    bd_time_format(updated, upd, sizeof upd);
    snprintf(json, sizeof json,
             "{\"shop\":\"shop%d\",\"marketplace\":\"ebay\",\"external_id\":\"%s\","
             "\"buyer\":{\"external_id\":\"b%d\"},\"status\":\"%s\",\"purchased_at\":\"%s\","
             "\"updated_at\":\"%s\",\"currency\":\"%s\",\"total\":\"%s\","
             "\"items\":[{\"title\":\"x\",\"quantity\":1}]}",
             shop, ext, buyer, status, when, upd, currencies[pick(4)], amounts[pick(10)]);
    bd_order o;
    tu_order(&o, json);
    int result;
    bd_err err;
    if (ticket_ingest_order(&w->ctx, &o, &result, &err)) fail_msg("order: %s", err.msg);
    bd_order_clear(&o);
}

static void negative_feedback(world *w, int shop, int buyer, int64_t at)
{
    char ref[64];
    snprintf(ref, sizeof ref, "shop%d:b%d", shop, buyer);
    store_buyer_row b;
    bd_err err;
    if (store_buyer_find(w->s, ref, &b, &err) != 1) return;
    store_feedback_row f = {.shop_id = b.shop_id, .buyer_id = b.id, .left_at = at, .recorded_at = at};
    char ext[32];
    snprintf(ext, sizeof ext, "fb%d", ++w->feedback);
    f.external_id = ext;
    f.kind = "seller_feedback";
    f.rating = pick(2) ? "negative" : "positive";
    int64_t id;
    assert_int_equal(store_feedback_insert(w->s, &f, &id, &err), 0);
    assert_int_equal(store_loyalty_mark_dirty(w->s, b.id, &err), 0);
    store_buyer_row_clear(&b);
}

static void round_of_changes(world *w)
{
    int n = 1 + pick(40);
    for (int i = 0; i < n; i++) {
        int shop = pick(3) ? 1 : 2; /* shop2 stays small */
        int cap = shop == 1 ? 120 : 6;
        int buyer;
        if (w->buyers[shop - 1] == 0 || (w->buyers[shop - 1] < cap && pick(3) == 0))
            buyer = ++w->buyers[shop - 1];
        else
            buyer = 1 + pick(w->buyers[shop - 1]);
        int r = pick(20);
        const char *status = r == 0   ? "refunded"
                             : r == 1 ? "cancelled"
                             : r == 2 ? "chargeback"
                                      : "shipped";
        /* whole days only, so recency ties are common; some orders lie in the future */
        int64_t at = w->T - (int64_t)pick(200) * DAY + (pick(15) == 0 ? 3 * DAY : 0);
        char ext[32];
        snprintf(ext, sizeof ext, "o%d", ++w->orders);
        add_order(w, shop, buyer, status, at, at, ext);
        if (pick(8) == 0 && w->orders > 1) {
            /* an older order of this shop is refunded later */
            int old = 1 + pick(w->orders - 1);
            snprintf(ext, sizeof ext, "o%d", old);
            int64_t existing;
            store_buyer_row b;
            char ref[32];
            snprintf(ref, sizeof ref, "shop%d:b%d", shop, buyer);
            bd_err err;
            if (store_buyer_find(w->s, ref, &b, &err) == 1) {
                if (store_order_lookup(w->s, b.shop_id, ext, &existing, &err) == 1) {
                    store_order_row row;
                    char idref[32];
                    snprintf(idref, sizeof idref, "%lld", (long long)existing);
                    assert_int_equal(store_order_get(w->s, idref, &row, &err), 1);
                    int owner = atoi(row.buyer_external_id + 1);
                    add_order(w, shop, owner, "refunded", row.purchased_at, row.updated_at + DAY,
                              ext);
                    store_order_row_clear(&row);
                }
                store_buyer_row_clear(&b);
            }
        }
        if (pick(10) == 0) negative_feedback(w, shop, buyer, w->T - pick(30) * DAY);
    }
}

typedef struct snapshot {
    store_buyer_loyalty *p;
    size_t n, cap;
} snapshot;

static int snap_one(void *ud, const store_buyer_loyalty *p, bd_err *err)
{
    (void)err;
    snapshot *s = ud;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->p = bd_realloc(s->p, s->cap * sizeof *s->p);
    }
    s->p[s->n++] = *p;
    return 0;
}

static void bands_of(world *w, int64_t shop_id, store_loyalty_shop *t, store_loyalty_band *b)
{
    bd_err err;
    assert_true(store_loyalty_shop_get(w->s, shop_id, t, b, NBANDS, &err) >= 0);
}

static void recompute(world *w, int full, loyalty_result *r)
{
    loyalty_ctx lc = {.store = w->s, .settings = w->set, .as_of = w->T, .actor = "test"};
    bd_err err;
    assert_int_equal(store_begin(w->s, &err), 0);
    if (loyalty_recompute(&lc, full, r, &err)) fail_msg("recompute: %s", err.msg);
    assert_int_equal(store_commit(w->s, &err), 0);
}

static void check_round(world *w, int round)
{
    loyalty_result r;
    recompute(w, 0, &r);
    if (round > 0 && r.full) fail_msg("round %d: incremental fell back: %s", round, r.why_full);
    loyalty_result_clear(&r);
    snapshot before = {0};
    bd_err err;
    assert_int_equal(store_loyalty_scan(w->s, 0, snap_one, &before, &err), 0);
    store_loyalty_shop t1[2], t2[2];
    store_loyalty_band b1[2][NBANDS], b2[2][NBANDS];
    for (int s = 0; s < 2; s++)
        bands_of(w, s + 1, &t1[s], b1[s]);

    recompute(w, 1, &r);
    if (r.written || r.tier_changes || r.flags_raised) {
        snapshot after = {0};
        assert_int_equal(store_loyalty_scan(w->s, 0, snap_one, &after, &err), 0);
        for (size_t i = 0; i < after.n && i < before.n; i++) {
            const store_buyer_loyalty *a = &before.p[i], *b = &after.p[i];
#define F(x) (long long)a->x, (long long)b->x
            if (a->orders != b->orders || a->orders_all != b->orders_all || a->spend != b->spend ||
                a->first_order_at != b->first_order_at || a->last_order_at != b->last_order_at ||
                a->orders_recent != b->orders_recent || a->orders_previous != b->orders_previous ||
                a->claims != b->claims || a->chargebacks != b->chargebacks ||
                a->negatives != b->negatives || memcmp(a->has, b->has, sizeof a->has) ||
                memcmp(a->metric, b->metric, sizeof a->metric) || a->r != b->r || a->f != b->f ||
                a->m != b->m || strcmp(a->tier, b->tier) || strcmp(a->loyalty, b->loyalty) ||
                strcmp(a->lifecycle, b->lifecycle) || strcmp(a->churn, b->churn) ||
                a->boost != b->boost || a->top20 != b->top20 || strcmp(a->abc, b->abc))
                print_error(
                    "buyer %lld shop %lld (incremental / full): orders %lld/%lld all "
                    "%lld/%lld spend %lld/%lld first %lld/%lld last %lld/%lld recent "
                    "%lld/%lld prev %lld/%lld claims %lld/%lld cb %lld/%lld neg %lld/%lld "
                    "metrics %lld,%lld,%lld,%lld / %lld,%lld,%lld,%lld has %d%d%d%d/%d%d%d%d "
                    "rfm %d%d%d/%d%d%d %s/%s %s/%s %s/%s %s/%s boost %d/%d\n",
                    (long long)a->buyer_id, (long long)a->shop_id, F(orders), F(orders_all),
                    F(spend), F(first_order_at), F(last_order_at), F(orders_recent),
                    F(orders_previous), F(claims), F(chargebacks), F(negatives),
                    (long long)a->metric[0], (long long)a->metric[1], (long long)a->metric[2],
                    (long long)a->metric[3], (long long)b->metric[0], (long long)b->metric[1],
                    (long long)b->metric[2], (long long)b->metric[3], a->has[0], a->has[1],
                    a->has[2], a->has[3], b->has[0], b->has[1], b->has[2], b->has[3], a->r, a->f,
                    a->m, b->r, b->f, b->m, a->tier, b->tier, a->loyalty, b->loyalty, a->lifecycle,
                    b->lifecycle, a->churn, b->churn, a->boost, b->boost);
#undef F
        }
        free(after.p);
        fail_msg("round %d: the full recompute changed %lld profiles (%lld tiers, %lld flags)"
                 " after the incremental one (%zu profiles before, %zu after)",
                 round, (long long)r.written, (long long)r.tier_changes, (long long)r.flags_raised,
                 before.n, after.n);
    }
    loyalty_result_clear(&r);
    for (int s = 0; s < 2; s++) {
        bands_of(w, s + 1, &t2[s], b2[s]);
        assert_int_equal(t1[s].n_rfm, t2[s].n_rfm);
        assert_int_equal(t1[s].n_value, t2[s].n_value);
        assert_int_equal(t1[s].t_value, t2[s].t_value);
        for (int b = 0; b < NBANDS; b++)
            if (memcmp(&b1[s][b], &b2[s][b], sizeof b1[s][b]))
                fail_msg("round %d shop %d band %d: incremental u=%lld e_u=%lld a=%lld b=%lld "
                         "e_b=%lld, full u=%lld e_u=%lld a=%lld b=%lld e_b=%lld",
                         round, s + 1, b, (long long)b1[s][b].u, (long long)b1[s][b].e_u,
                         (long long)b1[s][b].a, (long long)b1[s][b].b, (long long)b1[s][b].e_b,
                         (long long)b2[s][b].u, (long long)b2[s][b].e_u, (long long)b2[s][b].a,
                         (long long)b2[s][b].b, (long long)b2[s][b].e_b);
    }
    free(before.p);
}

static void run_world(uint64_t seed, const char *config, int rounds)
{
    rng_state = seed;
    world w = {0};
    char *path;
    w.s = tu_open_new(&path);
    w.ctx.store = w.s;
    w.ctx.reopen_window = 7 * DAY;
    w.ctx.actor = "test";
    assert_int_equal(bd_time_parse("2026-06-01T00:00:00Z", &w.T), 0);
    settings(&w, config);
    for (int round = 0; round < rounds; round++) {
        bd_err err;
        assert_int_equal(store_begin(w.s, &err), 0);
        round_of_changes(&w);
        assert_int_equal(store_commit(w.s, &err), 0);
        check_round(&w, round);
        /* time moves on: orders leave the windows */
        int step = pick(4);
        w.T += step == 0 ? 0 : step == 1 ? DAY * pick(3) : DAY * (5 + pick(40));
        /* sometimes two incremental runs follow each other */
        if (pick(4) == 0) {
            loyalty_result r;
            recompute(&w, 0, &r);
            assert_false(r.full);
            loyalty_result_clear(&r);
        }
    }
    ticket_ctx_clear(&w.ctx);
    loyalty_settings_free(w.set);
    store_close(w.s);
    tu_remove_db(path);
    free(path);
}

static const char *const small_windows =
    "{\"loyalty\": {\"fx_rates\": {\"USD\": \"0.9\"},"
    " \"pyramid_percent\": {\"vip\": 5, \"important\": 15, \"key_ordinary\": 30},"
    " \"rfm_window_days\": 90, \"pyramid_period_days\": 60, \"decline_window_days\": 30,"
    " \"churn_silence_days\": 45, \"loyal_min_tenure_days\": 60, \"loyal_min_orders\": 3,"
    " \"dissatisfaction_days\": 20, \"flags\": {\"min_orders\": 2}},"
    " \"shops\": [{\"name\": \"shop2\", \"marketplace\": \"ebay\","
    "   \"loyalty\": {\"tier\": \"rfm\", \"rfm_window_days\": 40}}]}";

static void test_incremental_equals_full(void **state)
{
    (void)state;
    run_world(0x9E3779B97F4A7C15ULL, small_windows, 40);
}

static void test_incremental_equals_full_other_seeds(void **state)
{
    (void)state;
    run_world(12345, small_windows, 30);
    run_world(987654321, "{\"loyalty\": {\"tier\": \"abc\", \"fx_rates\": {\"USD\": 1.1}}}", 30);
    run_world(42,
              "{\"loyalty\": {\"tier\": \"lifecycle\", \"fx_rates\": {\"USD\": 1},"
              " \"abc_percent\": {\"a\": 40, \"b\": 40}}}",
              30);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incremental_equals_full),
        cmocka_unit_test(test_incremental_equals_full_other_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
