/* test_ticket.c — threading rules and the audit trail of ticket changes. */
#include "corpus.h"
#include "testutil.h"

#include "borderdesk/classify.h"
#include "borderdesk/ticket.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fixture {
    char *path;
    bd_store *s;
    ticket_ctx ctx;
} fixture;

static int setup(void **state)
{
    fixture *f = bd_calloc(1, sizeof *f);
    f->s = tu_open_new(&f->path);
    f->ctx.store = f->s;
    f->ctx.reopen_window = 7 * 86400;
    f->ctx.actor = "test";
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

/* Ingests one message; returns its ticket id. */
static int64_t msg(fixture *f, const char *ext, const char *buyer, const char *order,
                   const char *conv, const char *dir, const char *sent_at,
                   ticket_ingest_result *out)
{
    char json[1024];
    char ord[128] = "", cv[128] = "";
    if (order) snprintf(ord, sizeof ord, ",\"order_id\":\"%s\"", order);
    if (conv) snprintf(cv, sizeof cv, ",\"conversation_id\":\"%s\"", conv);
    snprintf(json, sizeof json,
             "{\"shop\":\"ebay-us\",\"marketplace\":\"ebay\",\"external_id\":\"%s\","
             "\"buyer\":{\"external_id\":\"%s\"}%s%s,\"direction\":\"%s\",\"body\":\"hello\","
             "\"sent_at\":\"%s\"}",
             ext, buyer, ord, cv, dir, sent_at);
    bd_message m;
    tu_message(&m, json);
    ticket_ingest_result res;
    bd_err err;
    if (ticket_ingest_message(&f->ctx, &m, &res, &err)) fail_msg("ingest %s: %s", ext, err.msg);
    bd_message_clear(&m);
    if (out) *out = res;
    return res.ticket_id;
}

static char *status_of(fixture *f, int64_t id)
{
    store_ticket t;
    bd_err err;
    assert_int_equal(store_ticket_get(f->s, id, &t, &err), 1);
    char *s = bd_strdup(t.status);
    store_ticket_clear(&t);
    return s;
}

static void set_status(fixture *f, int64_t id, const char *status, int64_t solved_at)
{
    bd_err err;
    assert_int_equal(store_ticket_set_status(f->s, id, status, solved_at, &err), 0);
}

static void test_join_same_thread(void **state)
{
    fixture *f = *state;
    ticket_ingest_result r;
    int64_t t1 = msg(f, "m1", "alice", "12-00001-00001", NULL, "in", "2026-11-01T10:00:00Z", &r);
    assert_true(r.created);
    assert_int_equal(msg(f, "m2", "alice", "12-00001-00001", NULL, "in", "2026-11-01T11:00:00Z", &r), t1);
    assert_false(r.created);
    /* another order of the same buyer is another ticket */
    int64_t t2 = msg(f, "m3", "alice", "12-00001-00002", NULL, "in", "2026-11-01T12:00:00Z", NULL);
    assert_int_not_equal(t1, t2);
    /* another buyer on the same order id is another ticket */
    assert_int_not_equal(msg(f, "m4", "bob", "12-00001-00001", NULL, "in", "2026-11-01T12:00:00Z", NULL), t1);
    /* a conversation without an order threads by conversation */
    int64_t c1 = msg(f, "m5", "carol", NULL, "conv-1", "in", "2026-11-01T12:00:00Z", NULL);
    assert_int_equal(msg(f, "m6", "carol", NULL, "conv-1", "in", "2026-11-01T13:00:00Z", NULL), c1);
    assert_int_not_equal(msg(f, "m7", "carol", NULL, "conv-2", "in", "2026-11-01T13:00:00Z", NULL), c1);
    /* the same message twice changes nothing */
    msg(f, "m1", "alice", "12-00001-00001", NULL, "in", "2026-11-01T10:00:00Z", &r);
    assert_true(r.duplicate);
    assert_int_equal(store_count(f->s, "messages"), 7);
}

static void test_pending_and_seller_messages(void **state)
{
    fixture *f = *state;
    int64_t t = msg(f, "m1", "alice", "O1", NULL, "in", "2026-11-01T10:00:00Z", NULL);
    char *st = status_of(f, t);
    assert_string_equal(st, "new");
    free(st);
    /* a seller message makes a new ticket open */
    assert_int_equal(msg(f, "r1", "alice", "O1", NULL, "out", "2026-11-01T11:00:00Z", NULL), t);
    st = status_of(f, t);
    assert_string_equal(st, "open");
    free(st);
    set_status(f, t, "pending", 1);
    /* the buyer answers: pending becomes open */
    assert_int_equal(msg(f, "m2", "alice", "O1", NULL, "in", "2026-11-01T12:00:00Z", NULL), t);
    st = status_of(f, t);
    assert_string_equal(st, "open");
    free(st);
    /* a seller message with no ticket opens one */
    int64_t t2 = msg(f, "r2", "dave", "O9", NULL, "out", "2026-11-01T12:00:00Z", NULL);
    st = status_of(f, t2);
    assert_string_equal(st, "open");
    free(st);
}

static void test_reopen_window(void **state)
{
    fixture *f = *state;
    int64_t solved_at;
    bd_time_parse("2026-11-02T00:00:00Z", &solved_at);
    int64_t t = msg(f, "m1", "alice", "O1", NULL, "in", "2026-11-01T10:00:00Z", NULL);
    set_status(f, t, "solved", solved_at);

    /* a message written before the solve joins without reopening */
    ticket_ingest_result r;
    assert_int_equal(msg(f, "m0", "alice", "O1", NULL, "in", "2026-11-01T23:00:00Z", &r), t);
    assert_false(r.reopened);
    char *st = status_of(f, t);
    assert_string_equal(st, "solved");
    free(st);

    /* within 7 days: reopens */
    assert_int_equal(msg(f, "m2", "alice", "O1", NULL, "in", "2026-11-08T23:00:00Z", &r), t);
    assert_true(r.reopened);
    st = status_of(f, t);
    assert_string_equal(st, "open");
    free(st);

    /* solved again; 8 days later a new ticket linked to the old one */
    bd_time_parse("2026-11-09T00:00:00Z", &solved_at);
    set_status(f, t, "solved", solved_at);
    int64_t t2 = msg(f, "m3", "alice", "O1", NULL, "in", "2026-11-17T00:00:01Z", &r);
    assert_int_not_equal(t2, t);
    assert_true(r.created);
    store_ticket nt;
    bd_err err;
    assert_int_equal(store_ticket_get(f->s, t2, &nt, &err), 1);
    assert_int_equal(nt.linked_ticket_id, t);
    store_ticket_clear(&nt);

    /* closed tickets never reopen */
    set_status(f, t2, "closed", solved_at + 9 * 86400);
    int64_t t3 = msg(f, "m4", "alice", "O1", NULL, "in", "2026-11-18T00:00:00Z", &r);
    assert_int_not_equal(t3, t2);
}

static void test_changes_are_audited(void **state)
{
    fixture *f = *state;
    bd_err err;
    int64_t t = msg(f, "m1", "alice", "O1", NULL, "in", "2026-11-01T10:00:00Z", NULL);
    f->ctx.actor = "li.wei";
    assert_int_equal(ticket_assign(&f->ctx, t, "nobody", &err), -1);
    assert_non_null(strstr(err.msg, "no user"));
    assert_int_equal(store_user_add(f->s, "li.wei", "Li Wei", "agent", 1, &err), 0);
    assert_int_equal(ticket_assign(&f->ctx, t, "li.wei", &err), 0);
    assert_int_equal(ticket_set_status(&f->ctx, t, "bogus", &err), -1);
    int64_t mid;
    assert_int_equal(ticket_reply(&f->ctx, t, "Your parcel is on its way.", "li.wei", &mid, &err), 0);
    assert_int_equal(ticket_note(&f->ctx, t, "buyer sounds upset", "li.wei", &mid, &err), 0);
    assert_int_equal(ticket_reply(&f->ctx, t, "", "li.wei", &mid, &err), -1);
    assert_int_equal(ticket_set_status(&f->ctx, t, "solved", &err), 0);
    assert_int_equal(ticket_set_status(&f->ctx, t, "closed", &err), 0);
    assert_int_equal(ticket_set_status(&f->ctx, t, "open", &err), -1);
    assert_non_null(strstr(err.msg, "closed"));
    assert_int_equal(ticket_set_status(&f->ctx, 999, "open", &err), -1);

    store_event *e;
    size_t n;
    assert_int_equal(store_ticket_events(f->s, t, &e, &n, &err), 0);
    const char *want[] = {"created", "assigned", "status_changed", "reply_queued", "note_added",
                          "status_changed", "status_changed"};
    assert_int_equal(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++) assert_string_equal(e[i].kind, want[i]);
    assert_string_equal(e[1].actor, "li.wei");
    assert_string_equal(e[1].detail, "{\"from\":null,\"to\":\"li.wei\"}");
    store_events_free(e, n);

    /* details are escaped as cJSON escapes them: quotes, backslashes, control characters;
     * UTF-8 as it is */
    const char *odd = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f 李 é";
    assert_int_equal(store_user_add(f->s, odd, NULL, "agent", 1, &err), 0);
    int64_t t2 = msg(f, "m9", "bob", "O9", NULL, "in", "2026-11-01T10:00:00Z", NULL);
    assert_int_equal(ticket_assign(&f->ctx, t2, odd, &err), 0);
    assert_int_equal(store_ticket_events(f->s, t2, &e, &n, &err), 0);
    assert_int_equal(n, 2);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "from", cJSON_CreateNull());
    cJSON_AddStringToObject(o, "to", odd);
    char *want_detail = cJSON_PrintUnformatted(o);
    assert_string_equal(e[1].detail, want_detail);
    assert_string_equal(e[0].detail, "{\"status\":\"new\"}");
    cJSON_free(want_detail);
    cJSON_Delete(o);
    store_events_free(e, n);

    /* the reply is in the outbox; the note is not */
    assert_int_equal(store_count(f->s, "outbox"), 1);
    store_ticket tk;
    assert_int_equal(store_ticket_get(f->s, t, &tk, &err), 1);
    assert_int_equal(tk.unanswered, 0);
    assert_int_equal(tk.message_count, 2); /* buyer message + reply; notes are not public */
    store_ticket_clear(&tk);
}

/* A shop name already used (and cached by the context) under another marketplace is
 * refused, not filed under the first shop. */
static void test_known_shop_other_marketplace(void **state)
{
    fixture *f = *state;
    msg(f, "s1", "alice", NULL, "conv-s", "in", "2026-11-01T10:00:00Z", NULL);
    bd_message m;
    tu_message(&m, "{\"shop\":\"ebay-us\",\"marketplace\":\"shopee\",\"external_id\":\"s2\","
                   "\"buyer\":{\"external_id\":\"alice\"},\"conversation_id\":\"conv-s\","
                   "\"direction\":\"in\",\"body\":\"hi\",\"sent_at\":\"2026-11-01T11:00:00Z\"}");
    ticket_ingest_result res;
    bd_err err;
    assert_int_equal(ticket_ingest_message(&f->ctx, &m, &res, &err), -1);
    assert_non_null(strstr(err.msg, "is a ebay shop, not shopee"));
    bd_message_clear(&m);
    assert_int_equal(store_count(f->s, "messages"), 1);
}

static void test_order_arriving_after_message_links(void **state)
{
    fixture *f = *state;
    int64_t t = msg(f, "m1", "alice", "12-00001-00001", NULL, "in", "2026-11-01T10:00:00Z", NULL);
    bd_order o;
    tu_order(&o, "{\"shop\":\"ebay-us\",\"marketplace\":\"ebay\",\"external_id\":\"12-00001-00001\","
                 "\"buyer\":{\"external_id\":\"alice\"},\"status\":\"FULFILLED\","
                 "\"purchased_at\":\"2026-10-20T00:00:00Z\",\"currency\":\"USD\","
                 "\"total\":\"9.99\",\"items\":[{\"title\":\"Cable\",\"quantity\":1}]}");
    int result;
    bd_err err;
    assert_int_equal(ticket_ingest_order(&f->ctx, &o, &result, &err), 0);
    assert_int_equal(result, STORE_INSERTED);
    bd_order_clear(&o);
    store_ticket tk;
    assert_int_equal(store_ticket_get(f->s, t, &tk, &err), 1);
    assert_true(tk.order_id > 0);
    store_ticket_clear(&tk);
}

/* Ingests a buyer message with body text into the thread of order (a corpus message's
 * text as a JSON string), classified ahead when w is given. */
static ticket_ingest_result classified_msg(fixture *f, ticket_ahead_worker *w, ticket_ahead *a,
                              const char *ext, const char *order, const cJSON *body,
                              const char *sent_at)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "shop", "ebay-us");
    cJSON_AddStringToObject(o, "marketplace", "ebay");
    cJSON_AddStringToObject(o, "external_id", ext);
    cJSON_AddItemToObject(o, "buyer", cJSON_Parse("{\"external_id\":\"alice\"}"));
    cJSON_AddStringToObject(o, "order_id", order);
    cJSON_AddStringToObject(o, "direction", "in");
    cJSON_AddItemToObject(o, "body", cJSON_Duplicate(body, 0));
    cJSON_AddStringToObject(o, "sent_at", sent_at);
    char *json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    bd_message m;
    tu_message(&m, json);
    cJSON_free(json);
    if (w) {
        ticket_classify_ahead(w, &m, a);
        ticket_classifier_use(&f->ctx, a);
    }
    ticket_ingest_result res;
    bd_err err;
    if (ticket_ingest_message(&f->ctx, &m, &res, &err)) fail_msg("ingest %s: %s", ext, err.msg);
    ticket_classifier_use(&f->ctx, NULL);
    bd_message_clear(&m);
    return res;
}

static char *classification_of(fixture *f, int64_t ticket_id, int64_t message_id)
{
    store_message_row *rows;
    size_t n;
    bd_err err;
    assert_int_equal(store_ticket_messages(f->s, ticket_id, &rows, &n, &err), 0);
    char *c = NULL;
    for (size_t i = 0; i < n; i++)
        if (rows[i].id == message_id && rows[i].classification)
            c = bd_strdup(rows[i].classification);
    store_message_rows_free(rows, n);
    assert_non_null(c);
    return c;
}

/* A buyer who writes again before an answer is a repeated contact. An import classifies
 * ahead without knowing that and the hook then only sets the flag and raises the urgency:
 * the stored result must be the classifier's own with repeated_contact, for every message
 * of the tune corpus (each one the second message of its own ticket, once classified ahead
 * and once by the hook alone). */
static void test_repeated_contact_ahead(void **state)
{
    fixture *f = *state;
    char *dir = bd_asprintf("%s/locales", tu_source_dir());
    bd_err err;
    if (ticket_classifier_open(&f->ctx, dir, &err)) fail_msg("rules: %s", err.msg);
    free(dir);
    ticket_ahead_worker *w = ticket_ahead_worker_new(&f->ctx);
    assert_non_null(w);
    ticket_ahead *a = ticket_ahead_new();
    static const char *const langs[] = {"en", "es", "fr", "de", "it", "pt", "ru", "pl",
                                        "ja", "ko", "ar", "zh"};
    cJSON *first = cJSON_CreateString("Hello, any news about my order?");
    size_t checked = 0, raised = 0;
    for (size_t l = 0; l < sizeof langs / sizeof *langs; l++) {
        tu_corpus c;
        if (tu_corpus_load("tune", langs[l], &c)) continue;
        for (size_t i = 0; i < c.n; i++) {
            const cJSON *body = cJSON_GetObjectItemCaseSensitive(c.rows[i], "body");
            if (!cJSON_IsString(body)) continue;
            char ext[96], order[64], sent[32];
            ticket_ingest_result r[2];
            for (int ahead = 0; ahead < 2; ahead++) {
                snprintf(order, sizeof order, "%s-%zu-%d", langs[l], i, ahead);
                snprintf(ext, sizeof ext, "%s-1", order);
                classified_msg(f, ahead ? w : NULL, a, ext, order, first, "2026-11-01T10:00:00Z");
                snprintf(ext, sizeof ext, "%s-2", order);
                snprintf(sent, sizeof sent, "2026-11-01T11:%02zu:00Z", i % 60);
                r[ahead] = classified_msg(f, ahead ? w : NULL, a, ext, order, body, sent);
            }
            assert_false(r[0].created || r[1].created); /* joined: the ticket waits on one */
            char *own = classification_of(f, r[0].ticket_id, r[0].message_id);
            char *made_ahead = classification_of(f, r[1].ticket_id, r[1].message_id);
            assert_non_null(strstr(own, "\"repeated_contact\""));
            assert_string_equal(made_ahead, own);
            store_ticket t0, t1;
            assert_int_equal(store_ticket_get(f->s, r[0].ticket_id, &t0, &err), 1);
            assert_int_equal(store_ticket_get(f->s, r[1].ticket_id, &t1, &err), 1);
            assert_int_equal(t1.priority, t0.priority);
            if (t0.priority == TICKET_PRIORITY_URGENT) raised++;
            store_ticket_clear(&t0);
            store_ticket_clear(&t1);
            free(own);
            free(made_ahead);
            checked++;
        }
        tu_corpus_free(&c);
    }
    printf("repeated contact: %zu messages, %zu urgent\n", checked, raised);
    assert_true(checked > 1000);
    cJSON_Delete(first);
    ticket_ahead_free(a);
    ticket_ahead_worker_free(w);
    ticket_classifier_close(&f->ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_join_same_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_and_seller_messages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_window, setup, teardown),
        cmocka_unit_test_setup_teardown(test_changes_are_audited, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order_arriving_after_message_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_known_shop_other_marketplace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeated_contact_ahead, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
