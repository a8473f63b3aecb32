/* sla.c — streaming reads for the SLA clocks (tickets, messages, clock events), the due
 * time and state of a ticket, and the list of shops. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* language is t.language, or BUYER_LANGUAGE when tickets without one take their buyer's (a
 * scan without it skips the test per row); a NULL due_at reads as 0 */
#define SLA_TICKET_COLUMNS(language)                                                            \
    "SELECT t.id, t.shop_id, t.created_at, t.priority, t.status, t.category, t.subcategory, "  \
    language ", t.assignee, t.due_at, t.due_state FROM tickets t"
#define BUYER_LANGUAGE                                                                          \
    "CASE WHEN t.language IS NULL AND ?4 THEN"                                                  \
    " (SELECT b.language FROM buyers b WHERE b.id = t.buyer_id) ELSE t.language END"

#define SLA_MESSAGE_COLUMNS                                                                     \
    "SELECT id, ticket_id, sent_at, direction = 'out', kind = 'note', author,"                  \
    " CASE WHEN ?3 IS NOT NULL AND direction = 'out' THEN instr(body, ?3) > 0 ELSE 0 END"      \
    " FROM messages WHERE sent_at < ?2"

/* Without a marker the scan reads only the covering index messages_clock, in ticket order. */
#define SLA_MESSAGE_INDEX_SCAN                                                                  \
    "SELECT id, ticket_id, sent_at, direction, kind, author"                                    \
    " FROM messages WHERE sent_at < ?2 AND ticket_id >= ?4 AND ticket_id < ?5"                \
    " ORDER BY ticket_id, sent_at"

/* Word for word the condition of the partial index events_clock (schema.c, migration 8),
 * or SQLite does not use it. */
#define SLA_EVENT_KINDS                                                                         \
    "(kind = 'status_changed' OR kind = 'reopened' OR kind = 'no_response_needed'"            \
    "  OR kind = 'response_needed')"

#define SLA_EVENT_COLUMNS                                                                       \
    "SELECT id, ticket_id, at, kind, detail FROM events"                                        \
    " WHERE " SLA_EVENT_KINDS " AND at < ?2"

static int64_t before_or_max(const store_sla_scope *sc)
{
    return sc->before ? sc->before : INT64_MAX;
}

/* A scan of all tickets at once is prepared per call (it runs once); the statements for one
 * ticket and for a range of ticket ids, which run many times, come from the cache. */
static int ranged(const store_sla_scope *sc)
{
    return !sc->ticket_id && (sc->ticket_from || sc->ticket_to);
}

static sqlite3_stmt *prepare(bd_store *s, const store_sla_scope *sc, int id, const char *one,
                             int range_id, const char *range, const char *all, bd_err *err)
{
    if (sc->ticket_id) return store_stmt(s, id, one, err);
    if (ranged(sc) && range) return store_stmt(s, range_id, range, err);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, all, -1, &st, NULL) != SQLITE_OK) {
        store_fail(s, err, "prepare scan");
        return NULL;
    }
    return st;
}

static int finish(bd_store *s, sqlite3_stmt *st, int cached, int rc, int stopped,
                  const char *what, bd_err *err)
{
    int ret = !stopped && rc != SQLITE_DONE ? store_fail(s, err, what) : 0;
    if (cached) sqlite3_reset(st);
    else sqlite3_finalize(st);
    return stopped ? -1 : ret;
}

static int64_t range_to(const store_sla_scope *sc)
{
    return sc->ticket_to ? sc->ticket_to : INT64_MAX;
}

static const char *col(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

int store_sla_tickets(bd_store *s, const store_sla_scope *sc,
                      int (*fn)(void *ud, const store_sla_ticket *t, bd_err *err), void *ud,
                      bd_err *err)
{
#define SLA_TICKET_SCOPE " (?2 = 0 OR t.created_at < ?2) AND (?3 = 0 OR t.updated_at >= ?3)"
#define SLA_TICKET_RANGE " WHERE t.id >= ?5 AND t.id < ?6 AND" SLA_TICKET_SCOPE " ORDER BY t.id"
#define SLA_TICKET_ALL " WHERE" SLA_TICKET_SCOPE " ORDER BY t.id"
    int lang = sc->buyer_language;
    sqlite3_stmt *st = prepare(
        s, sc, ST_SLA_TICKET, SLA_TICKET_COLUMNS(BUYER_LANGUAGE) " WHERE t.id = ?1",
        lang ? ST_SLA_TICKETS_RANGE_LANG : ST_SLA_TICKETS_RANGE,
        lang ? SLA_TICKET_COLUMNS(BUYER_LANGUAGE) SLA_TICKET_RANGE
             : SLA_TICKET_COLUMNS("t.language") SLA_TICKET_RANGE,
        lang ? SLA_TICKET_COLUMNS(BUYER_LANGUAGE) SLA_TICKET_ALL
             : SLA_TICKET_COLUMNS("t.language") SLA_TICKET_ALL,
        err);
#undef SLA_TICKET_ALL
#undef SLA_TICKET_RANGE
#undef SLA_TICKET_SCOPE
    if (!st) return -1;
    if (sc->ticket_id) sqlite3_bind_int64(st, 1, sc->ticket_id);
    else {
        sqlite3_bind_int64(st, 2, sc->created_before);
        sqlite3_bind_int64(st, 3, sc->active_since);
    }
    if (ranged(sc)) {
        sqlite3_bind_int64(st, 5, sc->ticket_from);
        sqlite3_bind_int64(st, 6, range_to(sc));
    }
    sqlite3_bind_int(st, 4, sc->buyer_language); /* unused (SQLITE_RANGE) without the CASE */
    int rc, stopped = 0;
    while (!stopped && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_sla_ticket t = {
            .id = sqlite3_column_int64(st, 0),
            .shop_id = sqlite3_column_int64(st, 1),
            .created_at = sqlite3_column_int64(st, 2),
            .priority = sqlite3_column_int(st, 3),
            .status = col(st, 4),
            .category = col(st, 5),
            .subcategory = col(st, 6),
            .language = col(st, 7),
            .assignee = col(st, 8),
            .due_at = sqlite3_column_int64(st, 9),
            .due_state = col(st, 10),
        };
        stopped = fn(ud, &t, err) != 0;
    }
    return finish(s, st, sc->ticket_id || ranged(sc), rc, stopped, "read tickets", err);
}

int store_sla_messages(bd_store *s, const store_sla_scope *sc, const char *marker,
                       int (*fn)(void *ud, const store_sla_message *m, bd_err *err), void *ud,
                       bd_err *err)
{
    /* with a marker the bodies are read in table order; else the covering index, in ticket
     * order, for all tickets or a range of them */
    int index_scan = !sc->ticket_id && !marker, cached = sc->ticket_id || index_scan;
    sqlite3_stmt *st = sc->ticket_id ? store_stmt(s, ST_SLA_MESSAGES_ONE,
                                                  SLA_MESSAGE_COLUMNS " AND ticket_id = ?1", err)
                       : index_scan ? store_stmt(s, ST_SLA_MESSAGES_RANGE, SLA_MESSAGE_INDEX_SCAN,
                                                 err)
                                    : prepare(s, sc, 0, NULL, 0, NULL, SLA_MESSAGE_COLUMNS, err);
    if (!st) return -1;
    if (sc->ticket_id) sqlite3_bind_int64(st, 1, sc->ticket_id);
    sqlite3_bind_int64(st, 2, before_or_max(sc));
    if (!index_scan) store_bind_text(st, 3, marker);
    else {
        sqlite3_bind_int64(st, 4, sc->ticket_from);
        sqlite3_bind_int64(st, 5, range_to(sc));
    }
    int rc, stopped = 0;
    while (!stopped && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_sla_message m = {
            .id = sqlite3_column_int64(st, 0),
            .ticket_id = sqlite3_column_int64(st, 1),
            .sent_at = sqlite3_column_int64(st, 2),
            .author = col(st, 5),
        };
        if (index_scan) { /* the columns themselves, compared here: cheaper per row */
            const char *dir = col(st, 3), *kind = col(st, 4);
            m.direction = dir && dir[0] == 'o' && strcmp(dir, "out") == 0 ? BD_DIR_OUT : BD_DIR_IN;
            m.note = kind && kind[0] == 'n' && strcmp(kind, "note") == 0;
        } else {
            m.direction = sqlite3_column_int(st, 3) ? BD_DIR_OUT : BD_DIR_IN;
            m.note = sqlite3_column_int(st, 4);
            m.marked = sqlite3_column_int(st, 6);
        }
        stopped = fn(ud, &m, err) != 0;
    }
    return finish(s, st, cached, rc, stopped, "read messages", err);
}

/* The string value of "key" in a flat JSON object written by borderdesk, into out. The
 * compact form ticket.c writes ("key":"value" without escapes) is read directly, found by
 * pattern, "\"key\":\"" (a literal: this runs once per event of a scan); anything else
 * goes through the JSON parser. */
static int detail_str(const char *detail, const char *key, const char *pattern, char *out,
                      size_t n)
{
    const char *p = detail ? strstr(detail, pattern) : NULL;
    if (p) {
        p += strlen(pattern);
        size_t len = strcspn(p, "\"\\");
        if (p[len] == '"' && len < n) {
            memcpy(out, p, len);
            out[len] = '\0';
            return 0;
        }
    }
    cJSON *j = detail ? cJSON_Parse(detail) : NULL;
    const char *v = bd_json_str(j, key);
    int ok = v && strlen(v) < n;
    if (ok) strcpy(out, v);
    cJSON_Delete(j);
    return ok ? 0 : -1;
}

static int64_t detail_int(const char *detail, const char *key)
{
    cJSON *j = detail ? cJSON_Parse(detail) : NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    int64_t r = cJSON_IsNumber(v) ? (int64_t)v->valuedouble
                : cJSON_IsString(v) ? strtoll(v->valuestring, NULL, 10) : 0;
    cJSON_Delete(j);
    return r;
}

int store_sla_events(bd_store *s, const store_sla_scope *sc,
                     int (*fn)(void *ud, const store_sla_event *e, bd_err *err), void *ud,
                     bd_err *err)
{
    sqlite3_stmt *st = prepare(s, sc, ST_SLA_EVENTS_ONE,
                               SLA_EVENT_COLUMNS " AND ticket_id = ?1 ORDER BY id",
                               ST_SLA_EVENTS_RANGE,
                               SLA_EVENT_COLUMNS " AND ticket_id >= ?3 AND ticket_id < ?4"
                                                 " ORDER BY ticket_id, id",
                               SLA_EVENT_COLUMNS " ORDER BY ticket_id, id", err);
    if (!st) return -1;
    if (sc->ticket_id) sqlite3_bind_int64(st, 1, sc->ticket_id);
    sqlite3_bind_int64(st, 2, before_or_max(sc));
    if (ranged(sc)) {
        sqlite3_bind_int64(st, 3, sc->ticket_from);
        sqlite3_bind_int64(st, 4, range_to(sc));
    }
    int rc, stopped = 0;
    while (!stopped && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_sla_event e = {
            .id = sqlite3_column_int64(st, 0),
            .ticket_id = sqlite3_column_int64(st, 1),
            .at = sqlite3_column_int64(st, 2),
            .kind = col(st, 3),
        };
        const char *detail = col(st, 4);
        char status[16];
        if (!e.kind) continue;
        if (strcmp(e.kind, "reopened") == 0) e.status = "open";
        else if (strcmp(e.kind, "status_changed") == 0)
            e.status =
                detail_str(detail, "to", "\"to\":\"", status, sizeof status) ? NULL : status;
        else e.message_id = detail_int(detail, "message_id");
        stopped = fn(ud, &e, err) != 0;
    }
    return finish(s, st, sc->ticket_id || ranged(sc), rc, stopped, "read events", err);
}

int64_t store_ticket_max_id(bd_store *s)
{
    sqlite3_stmt *st = store_stmt(s, ST_SLA_MAX_TICKET, "SELECT coalesce(max(id), 0) FROM tickets",
                                  NULL);
    if (!st) return -1;
    int64_t max = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    return max;
}

int store_open_reader(bd_store *s, bd_store **out, bd_err *err)
{
    return store_open(s->path, STORE_OPEN_READONLY, out, err);
}

int store_ticket_set_due(bd_store *s, int64_t id, int64_t due_at, const char *state,
                         bd_err *err)
{
    sqlite3_stmt *st = store_stmt(
        s, ST_SLA_SET_DUE, "UPDATE tickets SET due_at = ?2, due_state = ?3 WHERE id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    store_bind_time(st, 2, due_at);
    store_bind_text(st, 3, state);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "store due time");
    return 0;
}

int store_shops_list(bd_store *s, store_shop **out, size_t *n, bd_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st =
        store_stmt(s, ST_SLA_SHOPS, "SELECT id, name, marketplace FROM shops ORDER BY id", err);
    if (!st) return -1;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) *out = bd_realloc(*out, (cap = cap ? cap * 2 : 8) * sizeof **out);
        store_shop *sh = &(*out)[(*n)++];
        sh->id = sqlite3_column_int64(st, 0);
        sh->name = store_col_text(st, 1);
        sh->marketplace = store_col_text(st, 2);
    }
    if (rc != SQLITE_DONE) {
        store_shops_free(*out, *n);
        *out = NULL;
        *n = 0;
        return store_fail(s, err, "list shops");
    }
    return 0;
}

void store_shops_free(store_shop *shops, size_t n)
{
    for (size_t i = 0; shops && i < n; i++) {
        free(shops[i].name);
        free(shops[i].marketplace);
    }
    free(shops);
}
