/* api.c — the reads and small writes the REST API needs beyond the CLI's: ticket tags,
 * keyset-paginated pages of tickets, orders, outbox and audit events, single messages and
 * buyers, and database housekeeping. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tags ---- */

int store_tag_add(bd_store *s, int64_t ticket_id, const char *tag, int64_t at, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_TAG_INSERT,
                                  "INSERT INTO ticket_tags(ticket_id, tag, created_at)"
                                  " VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, ticket_id);
    store_bind_text(st, 2, tag);
    sqlite3_bind_int64(st, 3, at);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "tag ticket");
    return sqlite3_changes(s->db) > 0;
}

int store_tag_remove(bd_store *s, int64_t ticket_id, const char *tag, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_TAG_DELETE,
                                  "DELETE FROM ticket_tags WHERE ticket_id = ?1 AND tag = ?2", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, ticket_id);
    store_bind_text(st, 2, tag);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "untag ticket");
    return sqlite3_changes(s->db) > 0;
}

int store_ticket_tags(bd_store *s, int64_t ticket_id, char ***tags, size_t *n, bd_err *err)
{
    *tags = NULL;
    *n = 0;
    sqlite3_stmt *st = store_stmt(
        s, ST_TAG_LIST, "SELECT tag FROM ticket_tags WHERE ticket_id = ?1 ORDER BY tag", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, ticket_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            *tags = bd_realloc(*tags, cap * sizeof **tags);
        }
        (*tags)[(*n)++] = store_col_text(st, 0);
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read tags");
    return 0;
}

void store_tags_free(char **tags, size_t n)
{
    for (size_t i = 0; tags && i < n; i++)
        free(tags[i]);
    free(tags);
}

/* ---- ticket pages ---- */

/* Status groups of the queue key (see migration 2): new/open 0, pending 1, others 2. */
#define QUEUE_GROUP_SPAN (4LL * 17179869184LL)

static void append_ticket_filters(bd_buf *sql, const store_ticket_query *q)
{
    if (q->status && strcmp(q->status, "active") == 0)
        bd_buf_printf(sql, " AND t.queue_key < %lld AND t.status IN ('new','open','pending')",
                      2 * QUEUE_GROUP_SPAN);
    else if (q->status)
        bd_buf_puts(sql, " AND t.status = :status");
    if (q->shop) bd_buf_puts(sql, " AND t.shop_id = (SELECT id FROM shops WHERE name = :shop)");
    if (q->marketplace)
        bd_buf_puts(sql, " AND t.shop_id IN (SELECT id FROM shops WHERE marketplace = :mk)");
    if (q->category) bd_buf_puts(sql, " AND t.category = :category");
    if (q->language) bd_buf_puts(sql, " AND t.language = :language");
    if (q->assignee && strcmp(q->assignee, "-") == 0)
        bd_buf_puts(sql, " AND t.assignee IS NULL");
    else if (q->assignee)
        bd_buf_puts(sql, " AND t.assignee = :assignee");
    if (q->tag)
        bd_buf_puts(sql, " AND EXISTS (SELECT 1 FROM ticket_tags g WHERE g.ticket_id = t.id"
                         " AND g.tag = :tag)");
    if (q->buyer_id) bd_buf_puts(sql, " AND t.buyer_id = :buyer");
    if (q->tier)
        bd_buf_puts(sql, " AND t.buyer_id IN (SELECT l.buyer_id FROM buyer_loyalty l"
                         " WHERE l.tier = :tier)");
    if (q->due) {
        /* the SLA's due state (src/sla), recomputed on every change of the ticket */
        if (strcmp(q->due, "none") == 0) bd_buf_puts(sql, " AND t.due_state IS NULL");
        else bd_buf_puts(sql, " AND t.due_state = :due");
    }
    if (q->search)
        bd_buf_puts(sql, " AND (t.id = :search_id OR t.subject LIKE :search ESCAPE '\\'"
                         " OR t.order_external_id LIKE :search ESCAPE '\\'"
                         " OR t.buyer_id IN (SELECT b.id FROM buyers b WHERE b.name LIKE :search"
                         " ESCAPE '\\' OR b.external_id LIKE :search ESCAPE '\\'))");
    if (q->sort_due) bd_buf_puts(sql, " AND t.due_at IS NOT NULL");
    if (q->has_after)
        bd_buf_puts(sql, q->sort_due ? " AND (t.due_at, t.id) > (:after_key, :after_id)"
                                     : " AND (t.queue_key, t.id) > (:after_key, :after_id)");
}

/* "%text%" for LIKE, with %, _ and the escape character itself escaped. */
static char *like_pattern(const char *text)
{
    bd_buf b = BD_BUF_INIT;
    bd_buf_putc(&b, '%');
    for (const char *p = text; *p; p++) {
        if (*p == '%' || *p == '_' || *p == '\\') bd_buf_putc(&b, '\\');
        bd_buf_putc(&b, *p);
    }
    bd_buf_putc(&b, '%');
    return bd_buf_detach(&b);
}

static void bind_named_text(sqlite3_stmt *st, const char *name, const char *v)
{
    int i = sqlite3_bind_parameter_index(st, name);
    if (i > 0) store_bind_text(st, i, v);
}

static void bind_named_int(sqlite3_stmt *st, const char *name, int64_t v)
{
    int i = sqlite3_bind_parameter_index(st, name);
    if (i > 0) sqlite3_bind_int64(st, i, v);
}

int store_tickets_page(bd_store *s, const store_ticket_query *q, store_ticket **out, int64_t **keys,
                       size_t *n, bd_err *err)
{
    *out = NULL;
    *keys = NULL;
    *n = 0;
    bd_buf sql = BD_BUF_INIT;
    bd_buf_puts(&sql, q->sort_due ? "SELECT t.id, t.due_at FROM tickets t WHERE 1"
                                  : "SELECT t.id, t.queue_key FROM tickets t WHERE 1");
    append_ticket_filters(&sql, q);
    bd_buf_puts(&sql, q->sort_due ? " ORDER BY t.due_at, t.id LIMIT :limit"
                                  : " ORDER BY t.queue_key, t.id LIMIT :limit");
    sqlite3_stmt *st;
    int prc = sqlite3_prepare_v2(s->db, sql.data, -1, &st, NULL);
    bd_buf_free(&sql);
    if (prc != SQLITE_OK) return store_fail(s, err, "list tickets");
    bind_named_text(st, ":status", q->status);
    bind_named_text(st, ":shop", q->shop);
    bind_named_text(st, ":mk", q->marketplace);
    bind_named_text(st, ":category", q->category);
    bind_named_text(st, ":language", q->language);
    bind_named_text(st, ":assignee", q->assignee);
    bind_named_text(st, ":tag", q->tag);
    bind_named_text(st, ":tier", q->tier);
    bind_named_int(st, ":buyer", q->buyer_id);
    bind_named_text(st, ":due", q->due);
    if (q->search) {
        char *pattern = like_pattern(q->search), *end;
        long long id = strtoll(q->search, &end, 10);
        sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":search"), pattern, -1,
                          SQLITE_TRANSIENT);
        free(pattern);
        bind_named_int(st, ":search_id", *q->search && !*end ? id : -1);
    }
    bind_named_int(st, ":after_key", q->after_key);
    bind_named_int(st, ":after_id", q->after_id);
    bind_named_int(st, ":limit", q->limit ? (int64_t)q->limit : -1);
    int64_t *ids = NULL;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            ids = bd_realloc(ids, cap * sizeof *ids);
            *keys = bd_realloc(*keys, cap * sizeof **keys);
        }
        ids[*n] = sqlite3_column_int64(st, 0);
        (*keys)[(*n)++] = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(ids);
        free(*keys);
        *keys = NULL;
        *n = 0;
        return store_fail(s, err, "list tickets");
    }
    /* The rows themselves come from store_ticket_get, so a page carries exactly the fields
     * of a single ticket. */
    if (*n) *out = bd_calloc(*n, sizeof **out);
    for (size_t i = 0; i < *n; i++) {
        int got = store_ticket_get(s, ids[i], &(*out)[i], err);
        if (got <= 0) {
            if (got == 0) bd_err_set(err, "ticket %lld vanished while listing", (long long)ids[i]);
            store_tickets_free(*out, i);
            free(ids);
            free(*keys);
            *out = NULL;
            *keys = NULL;
            *n = 0;
            return -1;
        }
    }
    free(ids);
    return 0;
}

/* ---- order pages ---- */

int store_orders_page(bd_store *s, const store_order_query *q, store_order_row **out, size_t *n,
                      bd_err *err)
{
    *out = NULL;
    *n = 0;
    bd_buf sql = BD_BUF_INIT;
    bd_buf_puts(&sql, "SELECT o.id FROM orders o WHERE 1");
    if (q->shop) bd_buf_puts(&sql, " AND o.shop_id = (SELECT id FROM shops WHERE name = :shop)");
    if (q->status) bd_buf_puts(&sql, " AND o.status = :status");
    if (q->buyer_id) bd_buf_puts(&sql, " AND o.buyer_id = :buyer");
    if (q->has_after) bd_buf_puts(&sql, " AND (o.purchased_at, o.id) < (:after_at, :after_id)");
    bd_buf_puts(&sql, " ORDER BY o.purchased_at DESC, o.id DESC LIMIT :limit");
    sqlite3_stmt *st;
    int prc = sqlite3_prepare_v2(s->db, sql.data, -1, &st, NULL);
    bd_buf_free(&sql);
    if (prc != SQLITE_OK) return store_fail(s, err, "list orders");
    bind_named_text(st, ":shop", q->shop);
    bind_named_text(st, ":status", q->status);
    bind_named_int(st, ":buyer", q->buyer_id);
    bind_named_int(st, ":after_at", q->after_purchased_at);
    bind_named_int(st, ":after_id", q->after_id);
    bind_named_int(st, ":limit", q->limit ? (int64_t)q->limit : -1);
    int64_t *ids = NULL;
    size_t cap = 0, count = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            cap = cap ? cap * 2 : 64;
            ids = bd_realloc(ids, cap * sizeof *ids);
        }
        ids[count++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(ids);
        return store_fail(s, err, "list orders");
    }
    if (count) *out = bd_calloc(count, sizeof **out);
    for (size_t i = 0; i < count; i++) {
        char ref[32];
        snprintf(ref, sizeof ref, "%lld", (long long)ids[i]);
        int got = store_order_get(s, ref, &(*out)[i], err);
        if (got <= 0) {
            if (got == 0) bd_err_set(err, "order %s vanished while listing", ref);
            store_order_rows_free(*out, i + (got == 0 ? 0 : 1));
            free(ids);
            *out = NULL;
            return -1;
        }
    }
    *n = count;
    free(ids);
    return 0;
}

/* ---- single rows ---- */

int store_message_get(bd_store *s, int64_t id, store_message_row *r, bd_err *err)
{
    memset(r, 0, sizeof *r);
    sqlite3_stmt *st =
        store_stmt(s, ST_MSG_GET,
                   "SELECT m.id, m.ticket_id, m.external_id, m.kind, m.author, m.subject, m.body,"
                   " m.language, m.category, m.subcategory, m.classification, o.status,"
                   " m.direction = 'out', m.sent_at"
                   " FROM messages m LEFT JOIN outbox o ON o.message_id = m.id WHERE m.id = ?1",
                   err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "read message");
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
    sqlite3_reset(st);
    return 1;
}

void store_buyer_row_clear(store_buyer_row *b)
{
    if (!b) return;
    free(b->shop);
    free(b->marketplace);
    free(b->external_id);
    free(b->name);
    free(b->email);
    free(b->country);
    free(b->language);
    memset(b, 0, sizeof *b);
}

int store_buyer_get(bd_store *s, int64_t id, store_buyer_row *b, bd_err *err)
{
    memset(b, 0, sizeof *b);
    sqlite3_stmt *st = store_stmt(
        s, ST_BUYER_GET,
        "SELECT b.id, b.shop_id, b.created_at, b.updated_at, s.name, s.marketplace,"
        " b.external_id, b.name, b.email, b.country, b.language,"
        " (SELECT count(*) FROM orders o WHERE o.buyer_id = b.id),"
        " (SELECT count(*) FROM tickets t WHERE t.shop_id = b.shop_id AND t.buyer_id = b.id),"
        " (SELECT count(*) FROM tickets t WHERE t.shop_id = b.shop_id AND t.buyer_id = b.id"
        "   AND t.status IN ('new','open','pending')),"
        " coalesce((SELECT min(purchased_at) FROM orders o WHERE o.buyer_id = b.id), 0),"
        " coalesce((SELECT max(purchased_at) FROM orders o WHERE o.buyer_id = b.id), 0)"
        " FROM buyers b JOIN shops s ON s.id = b.shop_id WHERE b.id = ?1",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "read buyer");
    b->id = sqlite3_column_int64(st, 0);
    b->shop_id = sqlite3_column_int64(st, 1);
    b->created_at = sqlite3_column_int64(st, 2);
    b->updated_at = sqlite3_column_int64(st, 3);
    b->shop = store_col_text(st, 4);
    b->marketplace = store_col_text(st, 5);
    b->external_id = store_col_text(st, 6);
    b->name = store_col_text(st, 7);
    b->email = store_col_text(st, 8);
    b->country = store_col_text(st, 9);
    b->language = store_col_text(st, 10);
    b->order_count = sqlite3_column_int64(st, 11);
    b->ticket_count = sqlite3_column_int64(st, 12);
    b->open_ticket_count = sqlite3_column_int64(st, 13);
    b->first_order_at = sqlite3_column_int64(st, 14);
    b->last_order_at = sqlite3_column_int64(st, 15);
    sqlite3_reset(st);
    return 1;
}

/* ---- outbox ---- */

void store_outbox_entries_free(store_outbox_entry *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        free(rows[i].channel);
        free(rows[i].status);
        free(rows[i].last_error);
        free(rows[i].remote_id);
    }
    free(rows);
}

int store_outbox_page(bd_store *s, const char *status, int64_t ticket_id, int64_t after_id,
                      size_t limit, store_outbox_entry **out, size_t *n, bd_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st =
        store_stmt(s, ST_OUTBOX_PAGE,
                   "SELECT id, ticket_id, message_id, attempts, next_attempt_at, created_at,"
                   " coalesce(sent_at, 0), channel, status, last_error, remote_id FROM outbox"
                   " WHERE (?1 IS NULL OR status = ?1) AND (?2 = 0 OR ticket_id = ?2)"
                   " AND (?3 = 0 OR id < ?3) ORDER BY id DESC LIMIT ?4",
                   err);
    if (!st) return -1;
    store_bind_text(st, 1, status);
    sqlite3_bind_int64(st, 2, ticket_id);
    sqlite3_bind_int64(st, 3, after_id);
    sqlite3_bind_int64(st, 4, limit ? (int64_t)limit : -1);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = bd_realloc(*out, cap * sizeof **out);
        }
        store_outbox_entry *r = &(*out)[(*n)++];
        r->id = sqlite3_column_int64(st, 0);
        r->ticket_id = sqlite3_column_int64(st, 1);
        r->message_id = sqlite3_column_int64(st, 2);
        r->attempts = sqlite3_column_int64(st, 3);
        r->next_attempt_at = sqlite3_column_int64(st, 4);
        r->created_at = sqlite3_column_int64(st, 5);
        r->sent_at = sqlite3_column_int64(st, 6);
        r->channel = store_col_text(st, 7);
        r->status = store_col_text(st, 8);
        r->last_error = store_col_text(st, 9);
        r->remote_id = store_col_text(st, 10);
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "list outbox");
    return 0;
}

/* ---- audit events ---- */

int store_events_page(bd_store *s, const store_event_query *q, store_event **out, size_t *n,
                      bd_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st =
        store_stmt(s, ST_EVENT_PAGE,
                   "SELECT id, coalesce(ticket_id, 0), at, actor, kind, detail FROM events"
                   " WHERE (?1 = 0 OR ticket_id = ?1) AND (?2 IS NULL OR actor = ?2)"
                   " AND (?3 IS NULL OR kind = ?3) AND (?4 = 0 OR at >= ?4) AND (?5 = 0 OR at < ?5)"
                   " AND id > ?6 ORDER BY id LIMIT ?7",
                   err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, q->ticket_id);
    store_bind_text(st, 2, q->actor);
    store_bind_text(st, 3, q->kind);
    sqlite3_bind_int64(st, 4, q->since);
    sqlite3_bind_int64(st, 5, q->until);
    sqlite3_bind_int64(st, 6, q->after_id);
    sqlite3_bind_int64(st, 7, q->limit ? (int64_t)q->limit : -1);
    if (store_read_events(st, out, n) != SQLITE_DONE) return store_fail(s, err, "read audit log");
    return 0;
}

int store_last_busy(bd_store *s)
{
    int code = sqlite3_errcode(s->db);
    return code == SQLITE_BUSY || code == SQLITE_LOCKED;
}

void store_threads_init(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store_read_begin(bd_store *s, bd_err *err)
{
    if (sqlite3_exec(s->db, "BEGIN DEFERRED", NULL, NULL, NULL) != SQLITE_OK)
        return store_fail(s, err, "begin read");
    return 0;
}

void store_read_end(bd_store *s)
{
    if (s && !sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
    if (s && !sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_use_mmap(bd_store *s, int64_t bytes, bd_err *err)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA mmap_size=%lld", (long long)bytes);
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK) return store_fail(s, err, "mmap");
    return 0;
}

/* ---- housekeeping ---- */

int store_checkpoint_wal(bd_store *s, int *wal_frames, int *checkpointed, bd_err *err)
{
    *wal_frames = *checkpointed = 0;
    int rc =
        sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, wal_frames, checkpointed);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) return store_fail(s, err, "checkpoint");
    return 0;
}

/* Inside a write transaction: on its own, PRAGMA optimize starts as a read and its ANALYZE
 * then upgrades to a write, which fails at once, without the busy wait, when another
 * connection committed in between (SQLITE_BUSY_SNAPSHOT) — the scheduler's housekeeping
 * failed that way now and then while requests were writing. */
int store_optimize(bd_store *s, bd_err *err)
{
    if (store_begin(s, err)) return -1;
    if (sqlite3_exec(s->db, "PRAGMA optimize", NULL, NULL, NULL) != SQLITE_OK) {
        store_fail(s, err, "optimize");
        store_rollback(s);
        return -1;
    }
    return store_commit(s, err);
}
