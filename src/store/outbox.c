/* outbox.c — delivering queued replies: what is due, each attempt recorded before it is
 * made, the outcome, and claiming a reply that a sync found on the marketplace. */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

void store_outbox_rows_free(store_outbox_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        store_outbox_row *r = &rows[i];
        free(r->shop);
        free(r->marketplace);
        free(r->channel);
        free(r->status);
        free(r->idempotency_key);
        free(r->body);
        free(r->conversation_id);
        free(r->order_external_id);
        free(r->buyer_external_id);
        free(r->reply_to_external_id);
        free(r->reply_to_subject);
        free(r->reply_to_extra);
        free(r->ticket_subject);
        free(r->last_error);
    }
    free(rows);
}

int store_outbox_due(bd_store *s, int64_t now, const char *shop, size_t limit,
                     store_outbox_row **rows, size_t *n, bd_err *err)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *st = store_stmt(
        s, ST_OUTBOX_DUE,
        "SELECT o.id, o.ticket_id, o.message_id, t.shop_id, sh.name, sh.marketplace, o.channel,"
        " o.status, o.idempotency_key, m.body, t.conversation_id, t.order_external_id,"
        " b.external_id, o.attempts, o.created_at, o.next_attempt_at,"
        " p.external_id, p.subject, p.extra, t.subject, o.last_error"
        " FROM outbox o JOIN tickets t ON t.id = o.ticket_id JOIN shops sh ON sh.id = t.shop_id"
        " JOIN messages m ON m.id = o.message_id JOIN buyers b ON b.id = t.buyer_id"
        " LEFT JOIN messages p ON p.id = (SELECT q.id FROM messages q WHERE q.ticket_id = t.id"
        "   AND q.direction = 'in' AND q.kind = 'public' AND q.id < m.id"
        "   ORDER BY q.sent_at DESC, q.id DESC LIMIT 1)"
        " WHERE o.status IN ('queued','sending') AND o.next_attempt_at <= ?1"
        "  AND (?2 IS NULL OR sh.name = ?2)"
        " ORDER BY o.next_attempt_at, o.id LIMIT ?3",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, now);
    store_bind_text(st, 2, shop);
    sqlite3_bind_int64(st, 3, limit ? (int64_t)limit : -1);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *rows = bd_realloc(*rows, cap * sizeof **rows);
        }
        store_outbox_row *r = &(*rows)[(*n)++];
        memset(r, 0, sizeof *r);
        r->id = sqlite3_column_int64(st, 0);
        r->ticket_id = sqlite3_column_int64(st, 1);
        r->message_id = sqlite3_column_int64(st, 2);
        r->shop_id = sqlite3_column_int64(st, 3);
        r->shop = store_col_text(st, 4);
        r->marketplace = store_col_text(st, 5);
        r->channel = store_col_text(st, 6);
        r->status = store_col_text(st, 7);
        r->idempotency_key = store_col_text(st, 8);
        r->body = store_col_text(st, 9);
        r->conversation_id = store_col_text(st, 10);
        r->order_external_id = store_col_text(st, 11);
        r->buyer_external_id = store_col_text(st, 12);
        r->attempts = sqlite3_column_int(st, 13);
        r->created_at = sqlite3_column_int64(st, 14);
        r->next_attempt_at = sqlite3_column_int64(st, 15);
        r->reply_to_external_id = store_col_text(st, 16);
        r->reply_to_subject = store_col_text(st, 17);
        r->reply_to_extra = store_col_text(st, 18);
        r->ticket_subject = store_col_text(st, 19);
        r->last_error = store_col_text(st, 20);
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read outbox");
    return 0;
}

int store_outbox_mark_sending(bd_store *s, int64_t id, int64_t at, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_OUTBOX_SENDING,
                                  "UPDATE outbox SET status = 'sending', attempts = attempts + 1,"
                                  " next_attempt_at = ?2 WHERE id = ?1",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "record send attempt");
    return 0;
}

/* Gives the reply's message the marketplace id; drops a copy that sync stored meanwhile. */
static int message_take_id(bd_store *s, int64_t message_id, int64_t shop_id, const char *remote_id,
                           bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_MSG_BY_EXT,
                                  "SELECT id FROM messages WHERE shop_id = ?1 AND external_id = ?2",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    store_bind_text(st, 2, remote_id);
    int rc = sqlite3_step(st);
    int64_t other = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_fail(s, err, "find message");
    sqlite3_reset(st);
    if (other == message_id) return 0;
    if (other) {
        st = store_stmt(s, ST_MSG_DELETE,
                        "DELETE FROM messages WHERE id = ?1 AND direction = 'out'"
                        " AND NOT EXISTS (SELECT 1 FROM outbox WHERE message_id = ?1)",
                        err);
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, other);
        if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "drop synced copy of a reply");
        if (sqlite3_changes(s->db) == 0) return 0; /* not a plain copy: keep both ids apart */
    }
    st = store_stmt(s, ST_MSG_SET_EXT, "UPDATE messages SET external_id = ?2 WHERE id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, message_id);
    store_bind_text(st, 2, remote_id);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "record message id");
    return 0;
}

int store_outbox_mark_sent(bd_store *s, int64_t id, const char *remote_id, int64_t at,
                           bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_OUTBOX_SENT,
                                  "UPDATE outbox SET status = 'sent', remote_id = ?2, sent_at = ?3,"
                                  " last_error = NULL WHERE id = ?1"
                                  " RETURNING message_id,"
                                  " (SELECT shop_id FROM messages WHERE id = outbox.message_id)",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    store_bind_text(st, 2, remote_id);
    sqlite3_bind_int64(st, 3, at);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? bd_err_set(err, "no outbox entry %lld", (long long)id)
                                                   : store_fail(s, err, "record sent reply");
    int64_t message_id = sqlite3_column_int64(st, 0), shop_id = sqlite3_column_int64(st, 1);
    sqlite3_reset(st);
    return remote_id ? message_take_id(s, message_id, shop_id, remote_id, err) : 0;
}

int store_outbox_reschedule(bd_store *s, int64_t id, const char *status, const char *error,
                            int64_t next_at, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_OUTBOX_RESCHEDULE,
                                  "UPDATE outbox SET status = ?2, last_error = ?3,"
                                  " next_attempt_at = ?4 WHERE id = ?1",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    store_bind_text(st, 2, status);
    store_bind_text(st, 3, error);
    sqlite3_bind_int64(st, 4, next_at);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "reschedule reply");
    return 0;
}

int store_outbox_mark_failed(bd_store *s, int64_t id, const char *error, int64_t at, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_OUTBOX_FAILED,
                                  "UPDATE outbox SET status = 'failed', last_error = ?2,"
                                  " next_attempt_at = ?3 WHERE id = ?1",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    store_bind_text(st, 2, error);
    sqlite3_bind_int64(st, 3, at);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "record failed reply");
    return 0;
}

int store_outbox_claim_echo(bd_store *s, int64_t shop_id, const char *conversation_id,
                            const char *buyer_external_id, const char *body,
                            const char *remote_id, int64_t at, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(
        s, ST_OUTBOX_ECHO,
        "SELECT o.id FROM outbox o JOIN tickets t ON t.id = o.ticket_id"
        " JOIN messages m ON m.id = o.message_id JOIN buyers b ON b.id = t.buyer_id"
        " WHERE o.status = 'sending' AND t.shop_id = ?1 AND m.body = ?4"
        "  AND (t.conversation_id = ?2 OR (t.conversation_id IS NULL AND b.external_id = ?3))"
        " ORDER BY o.id LIMIT 1",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    store_bind_text(st, 2, conversation_id);
    store_bind_text(st, 3, buyer_external_id);
    store_bind_text(st, 4, body);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "match reply");
    int64_t id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (store_outbox_mark_sent(s, id, remote_id, at, err)) return -1;
    return 1;
}
