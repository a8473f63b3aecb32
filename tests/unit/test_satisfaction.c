/* test_satisfaction.c — marketplace feedback (linked to the ticket and agent it follows,
 * duplicates, revisions, bad input) and the satisfaction report on a hand-computed fixture:
 * response rate, CSAT %, NPS, CES %, dimension averages, feedback and review counts, grouped
 * by agent and by ISO week. */
#include "testutil.h"

#include "borderdesk/satisfaction.h"
#include "borderdesk/survey.h"
#include "borderdesk/ticket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

typedef struct fixture {
    char *path;
    bd_store *s;
    ticket_ctx ctx;
    int seq;
} fixture;

/* Messages whose body starts with "review:positive" etc. are classified as reviews. */
static int classify(void *ud, bd_store *store, const bd_message *m, int64_t ticket_id,
                    ticket_classification *out)
{
    (void)ud, (void)store, (void)ticket_id;
    if (strncmp(m->body, "review:", 7) != 0) return -1;
    out->category = "review";
    out->subcategory = m->body + 7;
    out->language = "en";
    out->priority = TICKET_PRIORITY_NORMAL;
    out->json = NULL;
    out->message_only = 0;
    return 0;
}

static int setup(void **state)
{
    fixture *f = bd_calloc(1, sizeof *f);
    f->s = tu_open_new(&f->path);
    f->ctx.store = f->s;
    f->ctx.reopen_window = 7 * DAY;
    f->ctx.actor = "test";
    f->ctx.classify = classify;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ticket_ctx_clear(&f->ctx);
    store_close(f->s);
    tu_remove_db(f->path);
    free(f->path);
    free(f);
    return 0;
}

static int64_t message(fixture *f, const char *buyer, const char *order, const char *body,
                       const char *sent_at)
{
    char json[768], ord[96] = "";
    if (order) snprintf(ord, sizeof ord, ",\"order_id\":\"%s\"", order);
    int seq = ++f->seq;
    snprintf(json, sizeof json,
             "{\"shop\":\"ebay-us\",\"marketplace\":\"ebay\",\"external_id\":\"m%d\","
             "\"buyer\":{\"external_id\":\"%s\"}%s,\"conversation_id\":\"c%d\","
             "\"direction\":\"in\",\"body\":\"%s\",\"sent_at\":\"%s\"}",
             seq, buyer, ord, seq, body, sent_at);
    bd_message m;
    tu_message(&m, json);
    ticket_ingest_result res;
    bd_err err;
    if (ticket_ingest_message(&f->ctx, &m, &res, &err)) fail_msg("message: %s", err.msg);
    bd_message_clear(&m);
    return res.ticket_id;
}

static sat_feedback fb(const char *ext, const char *buyer, const char *order, const char *rating,
                       int stars, const char *left_at)
{
    sat_feedback f = {.shop = "ebay-us",
                      .marketplace = "ebay",
                      .external_id = ext,
                      .order_id = order,
                      .rating = rating,
                      .stars = stars,
                      .comment = "Great seller"};
    f.buyer.external_id = (char *)buyer;
    if (bd_time_parse(left_at, &f.left_at)) fail_msg("bad time %s", left_at);
    return f;
}

static void test_feedback_follows_ticket(void **state)
{
    fixture *f = *state;
    int64_t t = message(f, "amy", "ORD-1", "where is my parcel", "2026-11-01T10:00:00Z");
    bd_err err;
    assert_int_equal(ticket_assign(&f->ctx, t, NULL, &err), 0);
    assert_int_equal(store_user_add(f->s, "li.wei", NULL, "agent", 0, &err), 0);
    assert_int_equal(ticket_assign(&f->ctx, t, "li.wei", &err), 0);
    sat_feedback in = fb("FB-1", "amy", "ORD-1", "positive", 0, "2026-11-10T10:00:00Z");
    int result;
    int64_t id;
    assert_int_equal(sat_feedback_record(f->s, &in, &result, &id, &err), 0);
    assert_int_equal(result, SAT_RECORDED);
    store_feedback_row got;
    int64_t shop;
    assert_int_equal(store_shop_ensure(f->s, "ebay-us", "ebay", &shop, &err), 0);
    assert_int_equal(store_feedback_get(f->s, shop, "FB-1", &got, &err), 1);
    assert_int_equal(got.ticket_id, t);
    assert_string_equal(got.agent, "li.wei");
    assert_string_equal(got.rating, "positive");
    assert_string_equal(got.order_external_id, "ORD-1");
    store_feedback_clear(&got);
    /* the ticket's history shows it */
    store_event *e;
    size_t n;
    assert_int_equal(store_ticket_events(f->s, t, &e, &n, &err), 0);
    assert_string_equal(e[n - 1].kind, "feedback_received");
    store_events_free(e, n);

    /* the same feedback again: a duplicate, nothing changes */
    assert_int_equal(sat_feedback_record(f->s, &in, &result, &id, &err), 0);
    assert_int_equal(result, SAT_DUPLICATE);
    assert_int_equal(store_count(f->s, "feedback"), 1);
    /* revised to negative: the old rating is kept */
    in.rating = "negative";
    in.comment = "Item broke after a week";
    assert_int_equal(sat_feedback_record(f->s, &in, &result, &id, &err), 0);
    assert_int_equal(result, SAT_REVISED);
    assert_int_equal(store_feedback_get(f->s, shop, "FB-1", &got, &err), 1);
    assert_string_equal(got.rating, "negative");
    assert_string_equal(got.revised_from, "positive");
    store_feedback_clear(&got);
    assert_int_equal(store_count(f->s, "feedback"), 1);

    /* later than 30 days after the ticket's last message: follows no ticket */
    sat_feedback late = fb("FB-2", "amy", "ORD-1", NULL, 5, "2026-12-20T10:00:00Z");
    assert_int_equal(sat_feedback_record(f->s, &late, &result, &id, &err), 0);
    assert_int_equal(store_feedback_get(f->s, shop, "FB-2", &got, &err), 1);
    assert_int_equal(got.ticket_id, 0);
    assert_string_equal(got.rating, "positive"); /* from 5 stars */
    assert_int_equal(got.stars, 5);
    store_feedback_clear(&got);
    /* without a feedback id, the order and kind make it unique */
    sat_feedback noid = fb(NULL, "bea", "ORD-9", "neutral", 0, "2026-11-10T10:00:00Z");
    assert_int_equal(sat_feedback_record(f->s, &noid, &result, &id, &err), 0);
    assert_int_equal(sat_feedback_record(f->s, &noid, &result, &id, &err), 0);
    assert_int_equal(result, SAT_DUPLICATE);
    assert_int_equal(store_feedback_get(f->s, shop, "order:ORD-9:seller_feedback", &got, &err), 1);
    store_feedback_clear(&got);
    /* every feedback queues its buyer for the tiers */
    assert_int_equal(store_count(f->s, "loyalty_dirty"), 2);
}

static void test_feedback_bad_input(void **state)
{
    fixture *f = *state;
    struct {
        sat_feedback in;
        const char *why;
    } bad[] = {
        {fb("X1", "amy", NULL, "great", 0, "2026-11-10T10:00:00Z"),
         "positive, neutral or negative"},
        {fb("X2", "amy", NULL, NULL, 6, "2026-11-10T10:00:00Z"), "from 1 to 5, not 6"},
        {fb("X3", "amy", NULL, "positive", 2, "2026-11-10T10:00:00Z"), "contradicts 2 stars"},
        {fb(NULL, "amy", NULL, "positive", 0, "2026-11-10T10:00:00Z"), "\"external_id\""},
        {fb("X5", "amy", NULL, NULL, 0, "2026-11-10T10:00:00Z"), "needs \"rating\""},
        {fb("X6", "", NULL, "positive", 0, "2026-11-10T10:00:00Z"), "buyer.external_id"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int result;
        bd_err err;
        assert_int_equal(sat_feedback_record(f->s, &bad[i].in, &result, NULL, &err), -1);
        if (!strstr(err.msg, bad[i].why)) fail_msg("%zu: \"%s\"", i, err.msg);
    }
    sat_feedback k = fb("X7", "amy", NULL, "positive", 0, "2026-11-10T10:00:00Z");
    k.kind = "tweet";
    int result;
    bd_err err;
    assert_int_equal(sat_feedback_record(f->s, &k, &result, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "\"kind\""));
    assert_int_equal(store_count(f->s, "feedback"), 0);
    assert_int_equal(store_count(f->s, "buyers"), 0); /* checked before writing */
    /* the JSON form */
    cJSON *j = cJSON_Parse("{\"shop\":\"ebay-us\",\"marketplace\":\"ebay\",\"external_id\":\"J1\","
                           "\"buyer\":{\"external_id\":\"amy\"},\"stars\":4,"
                           "\"left_at\":\"2026-11-10T10:00:00Z\"}");
    sat_feedback jf;
    assert_int_equal(sat_feedback_from_json(j, &jf, &err), 0);
    assert_int_equal(jf.stars, 4);
    assert_int_equal(sat_feedback_record(f->s, &jf, &result, NULL, &err), 0);
    bd_buyer_clear(&jf.buyer);
    cJSON_Delete(j);
    j = cJSON_Parse("{\"shop\":\"ebay-us\",\"buyer\":{\"external_id\":\"amy\"},\"stars\":4.5,"
                    "\"left_at\":\"2026-11-10T10:00:00Z\"}");
    assert_int_equal(sat_feedback_from_json(j, &jf, &err), -1);
    assert_non_null(strstr(err.msg, "stars"));
    cJSON_Delete(j);
    j = cJSON_Parse("{\"shop\":\"ebay-us\",\"buyer\":{\"external_id\":\"amy\"},\"stars\":4,"
                    "\"left_at\":\"yesterday\"}");
    assert_int_equal(sat_feedback_from_json(j, &jf, &err), -1);
    assert_non_null(strstr(err.msg, "left_at"));
    cJSON_Delete(j);
}

/* A survey on a fresh ticket, answered (score >= 0) or not (score < 0). */
static void survey(fixture *f, const char *agent, const char *kind, int64_t created, int score,
                   int quality)
{
    char sent[32];
    bd_time_format(created, sent, sizeof sent);
    int64_t t = message(f, "buyer", NULL, "hello", sent);
    store_ticket tk;
    bd_err err;
    assert_int_equal(store_ticket_get(f->s, t, &tk, &err), 1);
    char token[33];
    assert_int_equal(survey_token(token, &err), 0);
    store_survey v = {.ticket_id = t,
                      .shop_id = tk.shop_id,
                      .buyer_id = tk.buyer_id,
                      .created_at = created,
                      .expires_at = created + 7 * DAY,
                      .token = token,
                      .agent = (char *)agent,
                      .category = "shipping",
                      .language = "en",
                      .kind = (char *)kind,
                      .dimensions = "[\"quality\"]"};
    int64_t id;
    assert_int_equal(store_survey_insert(f->s, &v, &id, &err), 0);
    if (score >= 0)
        assert_int_equal(store_survey_respond(f->s, id, score, NULL, created + 3600, &err), 1);
    if (quality) assert_int_equal(store_survey_answer(f->s, id, "quality", quality, &err), 0);
    store_ticket_clear(&tk);
}

static const sat_row *row(const sat_row *rows, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].key, key) == 0) return &rows[i];
    fail_msg("no row %s", key);
    return NULL;
}

static double num(const cJSON *j, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!cJSON_IsNumber(v)) fail_msg("%s is not a number", key);
    return v->valuedouble;
}

static void test_report_hand_computed(void **state)
{
    fixture *f = *state;
    int64_t w47; /* Monday 2026-11-16 */
    assert_int_equal(bd_time_parse("2026-11-16T09:00:00Z", &w47), 0);
    /* ann, CSAT: 5, 4, 3, 1 and one unanswered -> sent 5, answered 4, rate 80%,
     * CSAT% = 2 / 4 = 50%; quality 4 and 2 -> 3.00 */
    survey(f, "ann", "csat", w47, 5, 4);
    survey(f, "ann", "csat", w47 + DAY, 4, 2);
    survey(f, "ann", "csat", w47 + DAY, 3, 0);
    survey(f, "ann", "csat", w47 + 2 * DAY, 1, 0);
    survey(f, "ann", "csat", w47 + 2 * DAY, -1, 0);
    /* bob, NPS: 10, 9, 9, 8, 6, 0 -> 3 promoters, 1 passive, 2 detractors of 6:
     * NPS = 50% - 33.3% = 16.7 */
    int nps[] = {10, 9, 9, 8, 6, 0};
    for (int i = 0; i < 6; i++)
        survey(f, "bob", "nps", w47 + 7 * DAY + i, nps[i], 0);
    /* cy, CES: 7, 5, 4, 1 -> 2 of 4 answer 5-7: 50% */
    int ces[] = {7, 5, 4, 1};
    for (int i = 0; i < 4; i++)
        survey(f, NULL, "ces", w47 + 7 * DAY + i, ces[i], 0);
    /* feedback: 2 positive, 1 neutral, 1 negative; one left outside the period */
    const char *ratings[] = {"positive", "positive", "neutral", "negative"};
    for (int i = 0; i < 4; i++) {
        char ext[16], when[32];
        snprintf(ext, sizeof ext, "F%d", i);
        bd_time_format(w47 + i * DAY, when, sizeof when);
        sat_feedback in = fb(ext, "zed", NULL, ratings[i], 0, when);
        int result;
        bd_err err;
        assert_int_equal(sat_feedback_record(f->s, &in, &result, NULL, &err), 0);
    }
    sat_feedback outside = fb("F9", "zed", NULL, "negative", 0, "2026-10-01T00:00:00Z");
    int result;
    bd_err err;
    assert_int_equal(sat_feedback_record(f->s, &outside, &result, NULL, &err), 0);
    /* review messages: 2 positive, 1 negative */
    message(f, "rev1", NULL, "review:positive", "2026-11-17T10:00:00Z");
    message(f, "rev2", NULL, "review:positive", "2026-11-18T10:00:00Z");
    message(f, "rev3", NULL, "review:negative", "2026-11-18T11:00:00Z");

    int64_t from = w47, to = w47 + 14 * DAY;
    sat_row *rows, total;
    size_t n;
    assert_int_equal(sat_report(f->s, from, to, SAT_BY_AGENT, &rows, &n, &total, &err), 0);
    const sat_row *ann = row(rows, n, "ann");
    assert_int_equal(ann->sent, 5);
    assert_int_equal(ann->responses, 4);
    cJSON *j = sat_row_json(ann);
    assert_true(num(j, "response_rate_pct") == 80.0);
    assert_true(num(j, "csat_pct") == 50.0);
    assert_true(num(cJSON_GetObjectItemCaseSensitive(j, "dimension_avg"), "quality") == 3.0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "nps")));
    cJSON_Delete(j);
    j = sat_row_json(row(rows, n, "bob"));
    assert_true(num(j, "nps") == 16.7);
    assert_true(num(j, "promoters") == 3 && num(j, "passives") == 1 && num(j, "detractors") == 2);
    cJSON_Delete(j);
    j = sat_row_json(row(rows, n, "(unassigned)"));
    assert_true(num(j, "ces_easy_pct") == 50.0);
    cJSON_Delete(j);
    assert_int_equal(total.sent, 15);
    assert_int_equal(total.responses, 14);
    assert_int_equal(total.fb_positive, 2);
    assert_int_equal(total.fb_neutral, 1);
    assert_int_equal(total.fb_negative, 1);
    assert_int_equal(total.review_positive, 2);
    assert_int_equal(total.review_negative, 1);
    free(rows);

    /* by ISO week: the CSAT surveys in 2026-W47, NPS and CES in 2026-W48 */
    assert_int_equal(sat_report(f->s, from, to, SAT_BY_WEEK, &rows, &n, &total, &err), 0);
    assert_int_equal(row(rows, n, "2026-W47")->sent, 5);
    assert_int_equal(row(rows, n, "2026-W48")->sent, 10);
    free(rows);
    /* an empty period: rows none, percentages null */
    assert_int_equal(sat_report(f->s, 0, 1000, SAT_BY_NONE, &rows, &n, &total, &err), 0);
    assert_int_equal(n, 0);
    j = sat_row_json(&total);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "csat_pct")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "response_rate_pct")));
    cJSON_Delete(j);
    free(rows);
}

static void test_iso_weeks(void **state)
{
    (void)state;
    const char *cases[][2] = {{"2026-01-01T12:00:00Z", "2026-W01"}, /* a Thursday */
                              {"2025-12-29T00:00:00Z", "2026-W01"}, /* Monday of W01 */
                              {"2025-12-28T23:59:59Z", "2025-W52"},
                              {"2027-01-01T00:00:00Z", "2026-W53"}, /* 2026 has 53 weeks */
                              {"2027-01-04T00:00:00Z", "2027-W01"},
                              {"2026-11-22T22:00:00Z", "2026-W47"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t t;
        assert_int_equal(bd_time_parse(cases[i][0], &t), 0);
        char w[16];
        sat_iso_week(t, w, sizeof w);
        if (strcmp(w, cases[i][1])) fail_msg("%s: got %s, want %s", cases[i][0], w, cases[i][1]);
    }
    assert_int_equal(sat_group_parse("agent"), SAT_BY_AGENT);
    assert_int_equal(sat_group_parse("team"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_feedback_follows_ticket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feedback_bad_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_hand_computed, setup, teardown),
        cmocka_unit_test(test_iso_weeks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
