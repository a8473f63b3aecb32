/*
 * test_sla_scan.c — the chunked, two-worker scan (sla_dataset_scan) against one-ticket
 * loads (sla_dataset_load, their own SQL) on a random database: every ticket in scope is
 * handed over exactly once, with the same messages, changes, exclusions, authors and
 * strings, so its clocks come out the same; the same with an auto-ack marker (messages in
 * table order, one worker); a failing chunk stops the scan with its error; a copied
 * calendar answers like the original.
 */
#include "testutil.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "borderdesk/sla.h"

#define N_TICKETS 700
#define BASE 1767225600 /* 2026-01-01T00:00:00Z */

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(uint64_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng % n;
}

static const char *CONFIG =
    "{\"sla\": {\"teams\": [{\"name\": \"shenzhen\", \"time_zone\": \"Asia/Shanghai\","
    "  \"hours\": {\"mon-fri\": [\"09:00-12:00\", \"13:00-18:00\"], \"sat\": \"10:00-15:00\"},"
    "  \"holidays\": [\"2026-02-16..2026-02-22\"]},"
    " {\"name\": \"madrid\", \"time_zone\": \"Europe/Madrid\","
    "  \"hours\": {\"mon-sat\": \"08:00-20:00\"}, \"shops\": [\"shop-2\"]}],"
    " \"shop_calendars\": {\"shop-3\": {\"time_zone\": \"America/Sao_Paulo\","
    "                                  \"hours\": {\"mon-sun\": \"07:00-23:00\"}}},"
    " \"auto_ack\": {\"authors\": [\"autoresponder\"]%s},"
    " \"report_time_zone\": \"Asia/Shanghai\"}}";

static sla_config *config(const char *marker)
{
    char json[2048], extra[64] = "";
    if (marker) snprintf(extra, sizeof extra, ", \"marker\": \"%s\"", marker);
    snprintf(json, sizeof json, CONFIG, extra);
    bd_config cfg = {0};
    cfg.root = cJSON_Parse(json);
    assert_non_null(cfg.root);
    sla_config *c = NULL;
    bd_err err;
    if (sla_config_load(&cfg, &c, &err)) fail_msg("config: %s", err.msg);
    cJSON_Delete(cfg.root);
    return c;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg);
}

/* Tickets with gaps in their ids, messages stored in random order (ids not in time order,
 * equal times, notes, auto-acks by author and by marker, authors outside the loaded
 * tickets), status changes in compact and spaced JSON, reopenings, and "no response
 * needed" marks set, undone and set again. */
static void fill(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    exec(db, "BEGIN");
    for (int s = 1; s <= 4; s++) {
        char sql[256];
        static const char *const mp[] = {"amazon", "ebay", "shopee", "mail"};
        snprintf(sql, sizeof sql,
                 "INSERT INTO shops(id, name, marketplace, created_at) VALUES (%d, 'shop-%d', '%s', 0);"
                 "INSERT INTO buyers(id, shop_id, external_id, name, language, created_at, updated_at)"
                 " VALUES (%d, %d, 'B%d', 'Buyer %d', %s, 0, 0)",
                 s, s, mp[s - 1], s, s, s, s, s % 2 ? "'es'" : "NULL");
        exec(db, sql);
    }
    static const char *const status[] = {"new", "open", "pending", "solved", "closed"};
    static const char *const cat[] = {"'dispute'", "'shipping'", "NULL"};
    static const char *const authors[] = {"'alice'", "'bob'", "'autoresponder'", "NULL", "'carol'"};
    int64_t id = 0, msg_id = 0;
    for (int i = 0; i < N_TICKETS; i++) {
        id += 1 + (rnd(10) == 0 ? rnd(50) : 0);
        int shop = 1 + (int)rnd(4);
        int64_t created = BASE + (int64_t)rnd(80 * 86400);
        char sql[1024];
        snprintf(sql, sizeof sql,
                 "INSERT INTO tickets(id, shop_id, buyer_id, thread_key, status, category,"
                 " subcategory, language, priority, assignee, created_at, updated_at)"
                 " VALUES (%lld, %d, %d, 't%lld', '%s', %s, %s, %s, %d, %s, %lld, %lld)",
                 (long long)id, shop, shop, (long long)id, status[rnd(5)], cat[rnd(3)],
                 rnd(2) ? "'refund'" : "NULL", rnd(3) ? "NULL" : "'de'", (int)rnd(4),
                 authors[rnd(5)], (long long)created, (long long)(created + (int64_t)rnd(30 * 86400)));
        exec(db, sql);
        int n = (int)rnd(7);
        int64_t at = created;
        for (int k = 0; k < n; k++) {
            at += rnd(3) ? (int64_t)rnd(40000) : 0;
            int out = k > 0 && rnd(2);
            msg_id++; /* ids out of time order */
            snprintf(sql, sizeof sql,
                     "INSERT INTO messages(id, shop_id, external_id, ticket_id, buyer_id, direction,"
                     " kind, author, body, sent_at, created_at)"
                     " VALUES (%lld, %d, 'M%lld', %lld, %d, '%s', '%s', %s, '%s', %lld, 0)",
                     (long long)(1000000 - msg_id * 7 % 999983), shop, (long long)msg_id,
                     (long long)id, shop, out ? "out" : "in", rnd(8) ? "public" : "note",
                     out ? authors[rnd(5)] : "NULL", rnd(6) ? "hello" : "[auto] got it",
                     (long long)at);
            exec(db, sql);
        }
        for (int k = (int)rnd(4); k > 0; k--) {
            int64_t when = created + (int64_t)rnd(20 * 86400);
            int kind = (int)rnd(4);
            if (kind < 2)
                snprintf(sql, sizeof sql,
                         "INSERT INTO events(ticket_id, actor, kind, detail, at) VALUES"
                         " (%lld, 'x', 'status_changed', '%s', %lld)",
                         (long long)id,
                         kind ? "{\"from\":\"open\",\"to\":\"solved\"}"
                              : "{\"from\": \"open\", \"to\": \"pending\"}",
                         (long long)when);
            else if (kind == 2)
                snprintf(sql, sizeof sql,
                         "INSERT INTO events(ticket_id, actor, kind, detail, at) VALUES"
                         " (%lld, 'x', 'reopened', NULL, %lld)",
                         (long long)id, (long long)when);
            else /* mark a buyer message of this ticket, maybe undo it */
                snprintf(sql, sizeof sql,
                         "INSERT INTO events(ticket_id, actor, kind, detail, at)"
                         " SELECT ticket_id, 'x', '%s', '{\"message_id\":' || id || '}', %lld"
                         " FROM messages WHERE ticket_id = %lld AND direction = 'in'"
                         " ORDER BY id LIMIT 1",
                         rnd(3) ? "no_response_needed" : "response_needed", (long long)when,
                         (long long)id);
            exec(db, sql);
        }
    }
    exec(db, "COMMIT");
    sqlite3_close(db);
}

/* One ticket's clocks, with authors as names, for comparison. */
typedef struct seen {
    int count;
    sla_ticket_info info;
    char *text; /* everything computed, printed */
} seen;

static char *describe(const sla_dataset *d, size_t i, const sla_config *c, int64_t as_of,
                      sla_result *r)
{
    sla_ticket_in in;
    sla_dataset_input(d, i, &in);
    sla_ticket_compute(c, &in, as_of, r);
    const sla_ticket_info *t = sla_dataset_ticket(d, i);
    char *s = bd_asprintf("%lld %s %s %s %s %s %s %d %s due %lld %d msgs %zu chg %zu:",
                          (long long)t->id, t->status ? t->status : "-",
                          t->category ? t->category : "-", t->subcategory ? t->subcategory : "-",
                          t->language ? t->language : "-", t->assignee ? t->assignee : "-",
                          sla_dataset_shop(d, t->shop), t->priority,
                          cal_zone(in.calendar), (long long)r->due_at, r->state, in.n_msgs,
                          in.n_changes);
    for (size_t k = 0; k < in.n_msgs; k++) {
        char *x = bd_asprintf("%s [%lld %lld %s %u]", s, (long long)in.msgs[k].id,
                              (long long)in.msgs[k].at, sla_dataset_author(d, in.msgs[k].author),
                              in.msgs[k].flags);
        free(s);
        s = x;
    }
    for (size_t k = 0; k < r->n; k++) {
        const sla_measure *m = &r->m[k];
        char *x = bd_asprintf("%s {%d %lld %lld %lld %lld %lld %lld %s}", s, m->clock,
                              (long long)m->start, (long long)m->end, (long long)m->business,
                              (long long)m->elapsed, (long long)m->due, (long long)m->target,
                              sla_dataset_author(d, m->author));
        free(s);
        s = x;
    }
    for (size_t k = 0; k < r->n_contacts; k++) {
        char *x = bd_asprintf("%s <%lld %lld>", s, (long long)r->contacts[k].at,
                              (long long)r->contacts[k].answered_at);
        free(s);
        s = x;
    }
    return s;
}

typedef struct scan_ctx {
    seen *by_id; /* indexed by ticket id */
    int64_t max_id, as_of;
    sla_result res[SLA_SCAN_WORKERS];
    int chunks[SLA_SCAN_WORKERS];
    int bad[SLA_SCAN_WORKERS]; /* checked by the test's thread: no assertion in a worker */
    int64_t excluded[SLA_SCAN_WORKERS]; /* messages marked "no response needed" */
    int64_t fail_at;           /* fail in the chunk holding this ticket, 0 never */
} scan_ctx;

static int on_chunk(void *ud, int worker, const sla_config *c, const sla_dataset *d, bd_err *err)
{
    scan_ctx *x = ud;
    x->chunks[worker]++;
    for (size_t i = 0; i < sla_dataset_count(d); i++) {
        int64_t id = sla_dataset_ticket(d, i)->id;
        if ((i && id <= sla_dataset_ticket(d, i - 1)->id) || id <= 0 || id > x->max_id) {
            x->bad[worker]++;
            continue;
        }
        if (id == x->fail_at) return bd_err_set(err, "stopped at ticket %lld", (long long)id);
        seen *s = &x->by_id[id];
        s->count++;
        sla_ticket_in in;
        sla_dataset_input(d, i, &in);
        for (size_t k = 0; k < in.n_msgs; k++)
            x->excluded[worker] += (in.msgs[k].flags & SLA_MSG_EXCLUDED) != 0;
        s->text = describe(d, i, c, x->as_of, &x->res[worker]);
    }
    return 0;
}

static int64_t query(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Scans with scope and checks every ticket against its own one-ticket load. */
static void compare(bd_store *s, const char *path, const sla_config *c, sla_scope scope,
                    int64_t max_id, int threaded, int64_t want_excluded)
{
    scan_ctx x = {.by_id = bd_calloc((size_t)max_id + 1, sizeof *x.by_id),
                  .max_id = max_id,
                  .as_of = scope.as_of};
    bd_err err;
    if (sla_dataset_scan(s, c, &scope, on_chunk, &x, &err)) fail_msg("scan: %s", err.msg);
    assert_int_equal(x.bad[0] + x.bad[1], 0);
    if (want_excluded >= 0) assert_int_equal(x.excluded[0] + x.excluded[1], want_excluded);
    /* chunks: many for two workers (the second may start late and get none), else one */
    if (threaded) assert_true(x.chunks[0] + x.chunks[1] > 1);
    else assert_int_equal(x.chunks[0] + 100 * x.chunks[1], 1);
    int64_t *updated = bd_calloc((size_t)max_id + 1, sizeof *updated);
    sqlite3 *db;
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT id, updated_at FROM tickets", -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW)
        updated[sqlite3_column_int64(st, 0)] = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    sqlite3_close(db);
    sla_result r = {0};
    int in_scope = 0;
    for (int64_t id = 1; id <= max_id; id++) {
        sla_scope one = scope;
        one.ticket_id = id;
        sla_dataset *d;
        if (sla_dataset_load(s, c, &one, &d, &err)) fail_msg("load %lld: %s", (long long)id, err.msg);
        /* the one-ticket load ignores the period: keep the tickets the scan's filters keep */
        const sla_ticket_info *t = sla_dataset_count(d) ? sla_dataset_ticket(d, 0) : NULL;
        int want = t != NULL;
        if (t && scope.created_before && t->created_at >= scope.created_before) want = 0;
        if (want && scope.active_since) want = updated[id] >= scope.active_since;
        assert_int_equal(x.by_id[id].count, want);
        if (want) {
            char *text = describe(d, 0, c, scope.as_of, &r);
            assert_string_equal(x.by_id[id].text, text);
            free(text);
            in_scope++;
        }
        sla_dataset_free(d);
        free(x.by_id[id].text);
    }
    assert_true(in_scope > N_TICKETS / 4);
    free(updated);
    sla_result_clear(&r);
    for (int w = 0; w < SLA_SCAN_WORKERS; w++) sla_result_clear(&x.res[w]);
    free(x.by_id);
}

static void test_scan_matches_one_ticket_loads(void **state)
{
    (void)state;
    char *path;
    bd_store *s = tu_open_new(&path);
    fill(path);
    int64_t max_id = query(path, "SELECT max(id) FROM tickets");
    sla_config *c = config(NULL);
    /* everything, as of the end; the buyer messages whose last mark says so are excluded */
    int64_t excluded = query(
        path, "SELECT count(*) FROM messages m WHERE direction = 'in' AND 'no_response_needed' ="
              " (SELECT kind FROM events e WHERE kind IN ('no_response_needed', 'response_needed')"
              "  AND json_extract(detail, '$.message_id') = m.id ORDER BY e.id DESC LIMIT 1)");
    assert_true(excluded > 10);
    compare(s, path, c, (sla_scope){.as_of = BASE + 120 * 86400}, max_id, 1, excluded);
    /* a report's scope: created before, active since, as of the middle (later messages and
     * events are left out), the buyer's language */
    compare(s, path, c,
            (sla_scope){.created_before = BASE + 60 * 86400,
                        .active_since = BASE + 30 * 86400,
                        .as_of = BASE + 45 * 86400,
                        .buyer_language = 1},
            max_id, 1, -1);
    sla_config_free(c);
    /* a marker is read from the bodies in table order: one worker, one chunk */
    c = config("[auto]");
    compare(s, path, c, (sla_scope){.as_of = BASE + 120 * 86400}, max_id, 0, excluded);
    sla_config_free(c);
    store_close(s);
    tu_remove_db(path);
    free(path);
}

static void test_scan_stops_on_error(void **state)
{
    (void)state;
    char *path;
    bd_store *s = tu_open_new(&path);
    fill(path);
    int64_t max_id = query(path, "SELECT max(id) FROM tickets");
    sla_config *c = config(NULL);
    scan_ctx x = {.by_id = bd_calloc((size_t)max_id + 1, sizeof *x.by_id),
                  .max_id = max_id,
                  .as_of = BASE + 120 * 86400,
                  .fail_at = query(path, "SELECT min(id) FROM tickets")};
    bd_err err;
    assert_int_equal(sla_dataset_scan(s, c, &(sla_scope){.as_of = x.as_of}, on_chunk, &x, &err), -1);
    char want[64];
    snprintf(want, sizeof want, "stopped at ticket %lld", (long long)x.fail_at);
    assert_string_equal(err.msg, want);
    int handed = 0;
    for (int64_t id = 0; id <= max_id; id++) {
        handed += x.by_id[id].count;
        free(x.by_id[id].text);
    }
    assert_true(handed < N_TICKETS); /* the scan stopped early */
    for (int w = 0; w < SLA_SCAN_WORKERS; w++) sla_result_clear(&x.res[w]);
    free(x.by_id);
    sla_config_free(c);
    store_close(s);
    tu_remove_db(path);
    free(path);
}

static void test_calendar_copy(void **state)
{
    (void)state;
    sla_config *c = config(NULL);
    cal_calendar *orig = sla_shop_calendar(c, "shop-1");
    cal_calendar *before = NULL;
    bd_err err;
    for (int round = 0; round < 2; round++) {
        cal_calendar *copy = cal_copy(orig, &err); /* round 0: nothing cached yet */
        assert_non_null(copy);
        if (!round) before = copy;
        assert_string_equal(cal_zone(copy), cal_zone(orig));
        for (int i = 0; i < 500; i++) {
            int64_t a = BASE - 400 * 86400 + (int64_t)rnd(800 * 86400), b = a + (int64_t)rnd(9 * 86400);
            int64_t amount = (int64_t)rnd(40 * 3600);
            assert_int_equal(cal_business_seconds(copy, a, b), cal_business_seconds(orig, a, b));
            assert_int_equal(cal_add_business(copy, a, amount), cal_add_business(orig, a, amount));
            assert_int_equal(cal_add_business(before, b, amount), cal_add_business(orig, b, amount));
            cal_local x, y;
            cal_local_time(copy, a, &x);
            cal_local_time(orig, a, &y);
            assert_int_equal(x.day_number, y.day_number);
            assert_int_equal(x.offset, y.offset);
        }
        if (round) cal_free(copy);
    }
    cal_free(before);
    /* a thread copy of the configuration has calendars of its own, the same rules */
    sla_config *t = sla_config_thread_copy(c, &err);
    assert_non_null(t);
    assert_ptr_not_equal(sla_shop_calendar(t, "shop-3"), sla_shop_calendar(c, "shop-3"));
    assert_string_equal(cal_zone(sla_shop_calendar(t, "shop-3")), "America/Sao_Paulo");
    assert_string_equal(sla_shop_team(t, "shop-2")->name, "madrid");
    assert_int_equal(sla_target(sla_shop_team(t, "shop-1"), "dispute", NULL, 1, SLA_RESOLUTION),
                     sla_target(sla_shop_team(c, "shop-1"), "dispute", NULL, 1, SLA_RESOLUTION));
    assert_string_equal(cal_zone(t->report_calendar), "Asia/Shanghai");
    sla_config_thread_free(t);
    sla_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_matches_one_ticket_loads),
        cmocka_unit_test(test_scan_stops_on_error),
        cmocka_unit_test(test_calendar_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
