/* tickets.c — tickets, their messages, the audit log and the outbox. */
#include "store_internal.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static char *thread_key(const char *order_external_id, const char *conversation_id)
{
    if (order_external_id) return bd_asprintf("o:%s", order_external_id);
    if (conversation_id) return bd_asprintf("c:%s", conversation_id);
    return bd_strdup("b:");
}

#define TICKET_COLUMNS                                                                         \
    "SELECT t.id, t.shop_id, t.buyer_id, coalesce(t.order_id, 0), s.name, s.marketplace,"      \
    " b.name, b.external_id, b.language, b.country, t.order_external_id, t.conversation_id,"  \
    " t.status, t.category, t.subcategory, t.language, t.assignee, t.subject, t.priority,"    \
    " t.created_at, t.updated_at, coalesce(t.solved_at, 0), coalesce(t.last_message_at, 0),"  \
    " coalesce(t.last_inbound_at, 0), coalesce(t.linked_ticket_id, 0),"                       \
    " (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id AND m.kind = 'public'),"      \
    " (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id AND m.direction = 'in'"       \
    "   AND m.sent_at > coalesce((SELECT max(r.sent_at) FROM messages r"                      \
    "     WHERE r.ticket_id = t.id AND r.direction = 'out' AND r.kind = 'public'"               \
    "       AND coalesce(r.author, '') NOT GLOB '" BD_AUTHOR_AUTOMATIC "*'), 0)),"              \
    " (SELECT bl.tier FROM buyer_loyalty bl WHERE bl.buyer_id = t.buyer_id),"                 \
    " EXISTS (SELECT 1 FROM buyer_blacklist x WHERE x.buyer_id = t.buyer_id),"                \
    " coalesce(t.due_at, 0), t.due_state"                                                      \
    " FROM tickets t JOIN shops s ON s.id = t.shop_id JOIN buyers b ON b.id = t.buyer_id"

static void read_ticket(sqlite3_stmt *st, store_ticket *t)
{
    memset(t, 0, sizeof *t);
    int c = 0;
    t->id = sqlite3_column_int64(st, c++);
    t->shop_id = sqlite3_column_int64(st, c++);
    t->buyer_id = sqlite3_column_int64(st, c++);
    t->order_id = sqlite3_column_int64(st, c++);
    t->shop = store_col_text(st, c++);
    t->marketplace = store_col_text(st, c++);
    t->buyer_name = store_col_text(st, c++);
    t->buyer_external_id = store_col_text(st, c++);
    t->buyer_language = store_col_text(st, c++);
    t->buyer_country = store_col_text(st, c++);
    t->order_external_id = store_col_text(st, c++);
    t->conversation_id = store_col_text(st, c++);
    t->status = store_col_text(st, c++);
    t->category = store_col_text(st, c++);
    t->subcategory = store_col_text(st, c++);
    t->language = store_col_text(st, c++);
    t->assignee = store_col_text(st, c++);
    t->subject = store_col_text(st, c++);
    t->priority = sqlite3_column_int(st, c++);
    t->created_at = sqlite3_column_int64(st, c++);
    t->updated_at = sqlite3_column_int64(st, c++);
    t->solved_at = sqlite3_column_int64(st, c++);
    t->last_message_at = sqlite3_column_int64(st, c++);
    t->last_inbound_at = sqlite3_column_int64(st, c++);
    t->linked_ticket_id = sqlite3_column_int64(st, c++);
    t->message_count = sqlite3_column_int64(st, c++);
    t->unanswered = sqlite3_column_int64(st, c++);
    t->tier = store_col_text(st, c++);
    t->blacklisted = sqlite3_column_int(st, c++);
    t->due_at = sqlite3_column_int64(st, c++);
    t->due_state = store_col_text(st, c++);
}

void store_ticket_clear(store_ticket *t)
{
    if (!t) return;
    free(t->shop);
    free(t->marketplace);
    free(t->buyer_name);
    free(t->buyer_external_id);
    free(t->buyer_language);
    free(t->buyer_country);
    free(t->order_external_id);
    free(t->conversation_id);
    free(t->status);
    free(t->category);
    free(t->subcategory);
    free(t->language);
    free(t->assignee);
    free(t->subject);
    free(t->tier);
    free(t->due_state);
    memset(t, 0, sizeof *t);
}

void store_tickets_free(store_ticket *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++) store_ticket_clear(&t[i]);
    free(t);
}

int store_ticket_find_thread(bd_store *s, int64_t shop_id, int64_t buyer_id,
                             const char *order_external_id, const char *conversation_id,
                             store_thread_head *h, bd_err *err)
{
    char *key = thread_key(order_external_id, conversation_id);
    sqlite3_stmt *st = store_stmt(s, ST_TICKET_THREAD,
                                  "SELECT id, status, coalesce(solved_at, 0) FROM tickets"
                                  " WHERE shop_id = ?1 AND buyer_id = ?2 AND thread_key = ?3"
                                  " ORDER BY id DESC LIMIT 1",
                                  err);
    if (!st) {
        free(key);
        return -1;
    }
    sqlite3_bind_int64(st, 1, shop_id);
    sqlite3_bind_int64(st, 2, buyer_id);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_TRANSIENT);
    free(key);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        h->id = sqlite3_column_int64(st, 0);
        snprintf(h->status, sizeof h->status, "%s", (const char *)sqlite3_column_text(st, 1));
        h->solved_at = sqlite3_column_int64(st, 2);
        sqlite3_reset(st);
        return 1;
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "find ticket");
    return 0;
}

/* The values of the schema's CHECK constraints on tickets and messages, checked here as
 * well: store_bulk_ingest leaves those constraints out. */
static int status_ok(const char *status)
{
    return bd_str_in(status, (const char *const[]){"new", "open", "pending", "solved", "closed",
                                                    NULL});
}

int store_ticket_create(bd_store *s, const store_ticket_new *n, int64_t *id, bd_err *err)
{
    if (n->status && !status_ok(n->status))
        return bd_err_set(err, "create ticket: unknown status \"%s\"", n->status);
    sqlite3_stmt *st = store_stmt(
        s, ST_TICKET_INSERT,
        "INSERT INTO tickets(shop_id, buyer_id, order_id, order_external_id, conversation_id,"
        " thread_key, status, subject, created_at, updated_at, linked_ticket_id,"
        " last_message_at, last_inbound_at, category, subcategory, language, priority, urgency,"
        " due_at, due_state)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?9, CASE WHEN ?11 = 0 THEN ?9 END,"
        " ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        err);
    if (!st) return -1;
    char *key = thread_key(n->order_external_id, n->conversation_id);
    sqlite3_bind_int64(st, 1, n->shop_id);
    sqlite3_bind_int64(st, 2, n->buyer_id);
    store_bind_time(st, 3, n->order_id);
    store_bind_text(st, 4, n->order_external_id);
    store_bind_text(st, 5, n->conversation_id);
    sqlite3_bind_text(st, 6, key, -1, SQLITE_TRANSIENT);
    store_bind_text(st, 7, n->status ? n->status : "new");
    store_bind_text(st, 8, n->subject);
    sqlite3_bind_int64(st, 9, n->created_at);
    store_bind_time(st, 10, n->linked_ticket_id);
    sqlite3_bind_int(st, 11, n->direction);
    store_bind_text(st, 12, n->category);
    store_bind_text(st, 13, n->subcategory);
    store_bind_text(st, 14, n->language);
    sqlite3_bind_int(st, 15, n->priority);
    if (n->urgency >= 0) sqlite3_bind_int(st, 16, n->urgency);
    store_bind_time(st, 17, n->due_at);
    store_bind_text(st, 18, n->due_state);
    free(key);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "create ticket");
    *id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int store_ticket_get(bd_store *s, int64_t id, store_ticket *t, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_TICKET_GET, TICKET_COLUMNS " WHERE t.id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_ticket(st, t);
        sqlite3_reset(st);
        return 1;
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "get ticket");
    return 0;
}

int store_tickets_list(bd_store *s, const store_ticket_filter *f, store_ticket **out, size_t *n,
                       bd_err *err)
{
    *out = NULL;
    *n = 0;
    bd_buf sql = BD_BUF_INIT;
    bd_buf_puts(&sql, TICKET_COLUMNS " WHERE 1");
    if (f && f->status) {
        if (strcmp(f->status, "active") == 0)
            bd_buf_puts(&sql, " AND t.status IN ('new','open','pending')");
        else
            bd_buf_puts(&sql, " AND t.status = ?1");
    }
    if (f && f->shop) bd_buf_puts(&sql, " AND s.name = ?2");
    if (f && f->assignee) bd_buf_puts(&sql, " AND t.assignee = ?3");
    /* the same order as the API's queue_key (schema.c, migration 5) */
    bd_buf_puts(&sql, " ORDER BY t.queue_key, t.id LIMIT ?4");
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql.data, -1, &st, NULL) != SQLITE_OK) {
        bd_buf_free(&sql);
        return store_fail(s, err, "list tickets");
    }
    bd_buf_free(&sql);
    if (f && f->status && strcmp(f->status, "active") != 0) store_bind_text(st, 1, f->status);
    if (f && f->shop) store_bind_text(st, 2, f->shop);
    if (f && f->assignee) store_bind_text(st, 3, f->assignee);
    sqlite3_bind_int64(st, 4, f && f->limit ? (int64_t)f->limit : -1);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            *out = bd_realloc(*out, cap * sizeof **out);
        }
        read_ticket(st, &(*out)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return store_fail(s, err, "list tickets");
    return 0;
}

static int exec_update(bd_store *s, sqlite3_stmt *st, const char *what, bd_err *err)
{
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, what);
    if (sqlite3_changes(s->db) == 0) return bd_err_set(err, "%s: no such ticket", what);
    return 0;
}

int store_ticket_set_status(bd_store *s, int64_t id, const char *status, int64_t at,
                            bd_err *err)
{
    if (!status_ok(status)) return bd_err_set(err, "set ticket status: unknown status \"%s\"", status);
    sqlite3_stmt *st = store_stmt(
        s, ST_TICKET_STATUS,
        "UPDATE tickets SET status = ?2, updated_at = ?3,"
        " solved_at = CASE WHEN ?2 IN ('solved','closed') THEN coalesce(solved_at, ?3)"
        "   ELSE NULL END WHERE id = ?1",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    store_bind_text(st, 2, status);
    sqlite3_bind_int64(st, 3, at);
    return exec_update(s, st, "set ticket status", err);
}

int store_ticket_set_assignee(bd_store *s, int64_t id, const char *assignee, int64_t at,
                              bd_err *err)
{
    sqlite3_stmt *st = store_stmt(
        s, ST_TICKET_ASSIGN, "UPDATE tickets SET assignee = ?2, updated_at = ?3 WHERE id = ?1",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    store_bind_text(st, 2, assignee);
    sqlite3_bind_int64(st, 3, at);
    return exec_update(s, st, "assign ticket", err);
}

int store_ticket_touch(bd_store *s, int64_t id, int direction, int64_t at, const char *subject,
                       bd_err *err)
{
    sqlite3_stmt *st = store_stmt(
        s, ST_TICKET_TOUCH,
        "UPDATE tickets SET last_message_at = max(coalesce(last_message_at, 0), ?3),"
        " last_inbound_at = CASE WHEN ?2 = 0 THEN max(coalesce(last_inbound_at, 0), ?3)"
        "   ELSE last_inbound_at END,"
        " subject = coalesce(subject, ?4), updated_at = max(updated_at, ?3) WHERE id = ?1",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, direction);
    sqlite3_bind_int64(st, 3, at);
    store_bind_text(st, 4, subject);
    return exec_update(s, st, "update ticket", err);
}

int store_ticket_touch_classify(bd_store *s, int64_t id, int direction, int64_t at,
                                const char *subject, int classify, const char *category,
                                const char *subcategory, const char *language, int urgency,
                                int priority, bd_err *err)
{
    if (!classify) return store_ticket_touch(s, id, direction, at, subject, err);
    /* the SET clauses of store_ticket_touch and store_ticket_set_classification: they
     * write different columns, so one statement does what the two do in turn */
    sqlite3_stmt *st = store_stmt(
        s, ST_TICKET_TOUCH_CLASSIFY,
        "UPDATE tickets SET last_message_at = max(coalesce(last_message_at, 0), ?3),"
        " last_inbound_at = CASE WHEN ?2 = 0 THEN max(coalesce(last_inbound_at, 0), ?3)"
        "   ELSE last_inbound_at END,"
        " subject = coalesce(subject, ?4), updated_at = max(updated_at, ?3),"
        " category = ?5, subcategory = ?6, language = coalesce(?7, language), priority = ?8,"
        " urgency = ?9 WHERE id = ?1",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, direction);
    sqlite3_bind_int64(st, 3, at);
    store_bind_text(st, 4, subject);
    store_bind_text(st, 5, category);
    store_bind_text(st, 6, subcategory);
    store_bind_text(st, 7, language);
    sqlite3_bind_int(st, 8, priority);
    sqlite3_bind_int(st, 9, urgency);
    return exec_update(s, st, "update ticket", err);
}

int store_tickets_link_order(bd_store *s, int64_t shop_id, const char *order_external_id,
                             int64_t order_id, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_TICKET_LINK,
                                  "UPDATE tickets SET order_id = ?3 WHERE shop_id = ?1"
                                  " AND order_external_id = ?2 AND order_id IS NULL",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    store_bind_text(st, 2, order_external_id);
    sqlite3_bind_int64(st, 3, order_id);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "link tickets to order");
    return 0;
}

int store_ticket_set_classification(bd_store *s, int64_t id, const char *category,
                                    const char *subcategory, const char *language, int urgency,
                                    int priority, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_TICKET_CLASSIFY,
                                  "UPDATE tickets SET category = ?2, subcategory = ?3,"
                                  " language = coalesce(?4, language), priority = ?5,"
                                  " urgency = ?6 WHERE id = ?1",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    store_bind_text(st, 2, category);
    store_bind_text(st, 3, subcategory);
    store_bind_text(st, 4, language);
    sqlite3_bind_int(st, 5, priority);
    sqlite3_bind_int(st, 6, urgency);
    return exec_update(s, st, "classify ticket", err);
}

int store_message_exists(bd_store *s, int64_t shop_id, const char *external_id, bd_err *err)
{
    if (!external_id) return 0;
    sqlite3_stmt *st = store_stmt(
        s, ST_MSG_EXISTS, "SELECT 1 FROM messages WHERE shop_id = ?1 AND external_id = ?2", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    store_bind_text(st, 2, external_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        sqlite3_reset(st);
        return 1;
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "find message");
    return 0;
}

int store_message_exists_in(bd_store *s, const char *shop, const char *external_id,
                            bd_err *err)
{
    if (!shop || !external_id) return 0;
    sqlite3_stmt *st = store_stmt(s, ST_MSG_EXISTS_IN,
                                  "SELECT 1 FROM shops s JOIN messages m ON m.shop_id = s.id"
                                  " AND m.external_id = ?2 WHERE s.name = ?1",
                                  err);
    if (!st) return -1;
    store_bind_text(st, 1, shop);
    store_bind_text(st, 2, external_id);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) return 1;
    if (rc != SQLITE_DONE) return store_fail(s, err, "find message");
    return 0;
}

int store_message_insert(bd_store *s, const store_message *m, int64_t *id, bd_err *err)
{
    if (m->kind && !bd_str_in(m->kind, (const char *const[]){"public", "note", NULL}))
        return bd_err_set(err, "store message: unknown kind \"%s\"", m->kind);
    sqlite3_stmt *st = store_stmt(
        s, ST_MSG_INSERT,
        "INSERT INTO messages(shop_id, external_id, ticket_id, buyer_id, direction, kind, author,"
        " subject, body, sent_at, order_external_id, conversation_id, language, category,"
        " subcategory, classification, extra, created_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, m->shop_id);
    store_bind_text(st, 2, m->external_id);
    sqlite3_bind_int64(st, 3, m->ticket_id);
    sqlite3_bind_int64(st, 4, m->buyer_id);
    sqlite3_bind_text(st, 5, m->direction == BD_DIR_OUT ? "out" : "in", -1, SQLITE_STATIC);
    store_bind_text(st, 6, m->kind ? m->kind : "public");
    store_bind_text(st, 7, m->author);
    store_bind_text(st, 8, m->subject);
    store_bind_text(st, 9, m->body ? m->body : "");
    sqlite3_bind_int64(st, 10, m->sent_at);
    store_bind_text(st, 11, m->order_external_id);
    store_bind_text(st, 12, m->conversation_id);
    store_bind_text(st, 13, m->language);
    store_bind_text(st, 14, m->category);
    store_bind_text(st, 15, m->subcategory);
    store_bind_text(st, 16, m->classification);
    store_bind_text(st, 17, m->extra);
    sqlite3_bind_int64(st, 18, bd_now());
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "store message");
    *id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int store_ticket_messages(bd_store *s, int64_t ticket_id, store_message_row **rows, size_t *n,
                          bd_err *err)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *st = store_stmt(
        s, ST_MSG_LIST,
        "SELECT m.id, m.ticket_id, m.external_id, m.kind, m.author, m.subject, m.body,"
        " m.language, m.category, m.subcategory, m.classification, o.status,"
        " m.direction = 'out', m.sent_at"
        " FROM messages m LEFT JOIN outbox o ON o.message_id = m.id"
        " WHERE m.ticket_id = ?1 ORDER BY m.sent_at, m.id",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, ticket_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *rows = bd_realloc(*rows, cap * sizeof **rows);
        }
        store_message_row *r = &(*rows)[(*n)++];
        memset(r, 0, sizeof *r);
        r->id = sqlite3_column_int64(st, 0);
        r->ticket_id = sqlite3_column_int64(st, 1);
        r->external_id = store_col_text(st, 2);
        r->kind = store_col_text(st, 3);
        r->author = store_col_text(st, 4);
        r->subject = store_col_text(st, 5);
        r->body = store_col_text(st, 6);
        r->language = store_col_text(st, 7);
        r->category = store_col_text(st, 8);
        r->subcategory = store_col_text(st, 9);
        r->classification = store_col_text(st, 10);
        r->delivery = store_col_text(st, 11);
        r->direction = sqlite3_column_int(st, 12) ? BD_DIR_OUT : BD_DIR_IN;
        r->sent_at = sqlite3_column_int64(st, 13);
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read messages");
    return 0;
}

void store_message_rows_free(store_message_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        store_message_row *r = &rows[i];
        free(r->external_id);
        free(r->kind);
        free(r->author);
        free(r->subject);
        free(r->body);
        free(r->language);
        free(r->category);
        free(r->subcategory);
        free(r->classification);
        free(r->delivery);
    }
    free(rows);
}

int store_event_add(bd_store *s, int64_t ticket_id, const char *actor, const char *kind,
                    const char *detail_json, int64_t at, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_EVENT_INSERT,
                                  "INSERT INTO events(ticket_id, actor, kind, detail, at)"
                                  " VALUES (?1, ?2, ?3, ?4, ?5)",
                                  err);
    if (!st) return -1;
    store_bind_time(st, 1, ticket_id);
    store_bind_text(st, 2, actor ? actor : "system");
    store_bind_text(st, 3, kind);
    store_bind_text(st, 4, detail_json);
    sqlite3_bind_int64(st, 5, at);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "record event");
    return 0;
}

int store_ticket_events(bd_store *s, int64_t ticket_id, store_event **rows, size_t *n,
                        bd_err *err)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *st = store_stmt(s, ST_EVENT_LIST,
                                  "SELECT id, ticket_id, at, actor, kind, detail FROM events"
                                  " WHERE ticket_id = ?1 ORDER BY id",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, ticket_id);
    if (store_read_events(st, rows, n) != SQLITE_DONE) return store_fail(s, err, "read events");
    return 0;
}

int store_read_events(sqlite3_stmt *st, store_event **rows, size_t *n)
{
    size_t cap = *n;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *rows = bd_realloc(*rows, cap * sizeof **rows);
        }
        store_event *e = &(*rows)[(*n)++];
        e->id = sqlite3_column_int64(st, 0);
        e->ticket_id = sqlite3_column_int64(st, 1);
        e->at = sqlite3_column_int64(st, 2);
        e->actor = store_col_text(st, 3);
        e->kind = store_col_text(st, 4);
        e->detail = store_col_text(st, 5);
    }
    return rc;
}

void store_events_free(store_event *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        free(rows[i].actor);
        free(rows[i].kind);
        free(rows[i].detail);
    }
    free(rows);
}

int store_outbox_add(bd_store *s, int64_t ticket_id, int64_t message_id, const char *channel,
                     int64_t at, int64_t *id, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(
        s, ST_OUTBOX_INSERT,
        "INSERT INTO outbox(ticket_id, message_id, channel, next_attempt_at, idempotency_key,"
        " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?4)",
        err);
    if (!st) return -1;
    char key[64];
    snprintf(key, sizeof key, "bd-%lld-%lld", (long long)ticket_id, (long long)message_id);
    sqlite3_bind_int64(st, 1, ticket_id);
    sqlite3_bind_int64(st, 2, message_id);
    store_bind_text(st, 3, channel);
    sqlite3_bind_int64(st, 4, at);
    sqlite3_bind_text(st, 5, key, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "queue reply");
    *id = sqlite3_last_insert_rowid(s->db);
    return 0;
}
