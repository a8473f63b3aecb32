/* sync.c — what marketplace sync keeps besides orders and messages: feedback (ratings and
 * comments, linked to buyer and order), the order lines feedback refers to, OAuth tokens,
 * and the newest stored message of a conversation. */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

static int line_order(bd_store *s, int64_t shop_id, const char *line_item_id, char **order_ext,
                      bd_err *err)
{
    *order_ext = NULL;
    if (!line_item_id) return 0;
    sqlite3_stmt *st = store_stmt(s, ST_LINE_REF_GET,
                                  "SELECT order_external_id FROM order_line_refs"
                                  " WHERE shop_id = ?1 AND line_item_id = ?2",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    store_bind_text(st, 2, line_item_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *order_ext = store_col_text(st, 0);
        sqlite3_reset(st);
        return 0;
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "find order line");
    return 0;
}

int store_feedback_upsert(bd_store *s, int64_t shop_id, const store_feedback *f, int *result,
                          bd_err *err)
{
    char *order_ext = NULL;
    if (!f->order_external_id && line_order(s, shop_id, f->line_item_id, &order_ext, err))
        return -1;
    const char *oext = f->order_external_id ? f->order_external_id : order_ext;
    sqlite3_stmt *ex = store_stmt(s, ST_FEEDBACK_EXISTS,
                                  "SELECT 1 FROM feedback WHERE shop_id = ?1 AND external_id = ?2", err);
    if (!ex) {
        free(order_ext);
        return -1;
    }
    sqlite3_bind_int64(ex, 1, shop_id);
    store_bind_text(ex, 2, f->external_id);
    int existed = sqlite3_step(ex) == SQLITE_ROW;
    sqlite3_reset(ex);
    int64_t order_id = 0;
    if (oext && store_order_lookup(s, shop_id, oext, &order_id, err) < 0) {
        free(order_ext);
        return -1;
    }
    sqlite3_stmt *st = store_stmt(
        s, ST_FEEDBACK_UPSERT,
        "INSERT INTO feedback(shop_id, external_id, buyer_id, order_id, order_external_id,"
        " line_item_id, rating, score, comment, reply, left_at, extra, created_at, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)"
        " ON CONFLICT (shop_id, external_id) DO UPDATE SET"
        "  rating = excluded.rating, score = excluded.score, comment = excluded.comment,"
        "  reply = coalesce(excluded.reply, reply),"
        "  order_id = coalesce(order_id, excluded.order_id),"
        "  order_external_id = coalesce(order_external_id, excluded.order_external_id),"
        "  extra = excluded.extra, updated_at = excluded.updated_at"
        " WHERE excluded.rating IS NOT rating OR excluded.score IS NOT score"
        "  OR excluded.comment IS NOT comment"
        "  OR (excluded.reply IS NOT NULL AND excluded.reply IS NOT reply)"
        "  OR (order_id IS NULL AND excluded.order_id IS NOT NULL)"
        " RETURNING id",
        err);
    if (!st) {
        free(order_ext);
        return -1;
    }
    sqlite3_bind_int64(st, 1, shop_id);
    store_bind_text(st, 2, f->external_id);
    sqlite3_bind_int64(st, 3, f->buyer_id);
    store_bind_time(st, 4, order_id);
    store_bind_text(st, 5, oext);
    store_bind_text(st, 6, f->line_item_id);
    store_bind_text(st, 7, f->rating);
    store_bind_time(st, 8, f->score);
    store_bind_text(st, 9, f->comment);
    store_bind_text(st, 10, f->reply);
    sqlite3_bind_int64(st, 11, f->left_at);
    store_bind_text(st, 12, f->extra);
    sqlite3_bind_int64(st, 13, bd_now());
    int rc = sqlite3_step(st);
    free(order_ext);
    if (rc == SQLITE_ROW) {
        *result = existed ? STORE_UPDATED : STORE_INSERTED;
        sqlite3_reset(st);
        /* a new or changed rating can move the buyer's loyalty class: recompute it */
        return store_loyalty_mark_dirty(s, f->buyer_id, err);
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "store feedback");
    *result = STORE_UNCHANGED;
    return 0;
}

int store_line_ref_add(bd_store *s, int64_t shop_id, const char *line_item_id,
                       const char *order_external_id, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_LINE_REF_ADD,
                                  "INSERT INTO order_line_refs(shop_id, line_item_id,"
                                  " order_external_id) VALUES (?1, ?2, ?3)"
                                  " ON CONFLICT DO NOTHING",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    store_bind_text(st, 2, line_item_id);
    store_bind_text(st, 3, order_external_id);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "store order line");
    if (sqlite3_changes(s->db) == 0) return 0;
    st = store_stmt(s, ST_FEEDBACK_LINK,
                    "UPDATE feedback SET order_external_id = ?3,"
                    " order_id = (SELECT id FROM orders WHERE shop_id = ?1 AND external_id = ?3)"
                    " WHERE shop_id = ?1 AND line_item_id = ?2 AND order_id IS NULL",
                    err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    store_bind_text(st, 2, line_item_id);
    store_bind_text(st, 3, order_external_id);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "link feedback to order");
    return 0;
}

void store_tokens_clear(store_tokens *t)
{
    if (!t) return;
    free(t->access_token);
    free(t->refresh_token);
    free(t->seed);
    memset(t, 0, sizeof *t);
}

int store_tokens_get(bd_store *s, int64_t shop_id, store_tokens *t, bd_err *err)
{
    memset(t, 0, sizeof *t);
    sqlite3_stmt *st = store_stmt(s, ST_TOKENS_GET,
                                  "SELECT access_token, coalesce(access_expires, 0), refresh_token,"
                                  " seed FROM shop_tokens WHERE shop_id = ?1",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        t->access_token = store_col_text(st, 0);
        t->access_expires = sqlite3_column_int64(st, 1);
        t->refresh_token = store_col_text(st, 2);
        t->seed = store_col_text(st, 3);
        sqlite3_reset(st);
        return 1;
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read tokens");
    return 0;
}

int store_tokens_set(bd_store *s, int64_t shop_id, const store_tokens *t, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(
        s, ST_TOKENS_SET,
        "INSERT INTO shop_tokens(shop_id, access_token, access_expires, refresh_token, seed,"
        " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (shop_id) DO UPDATE SET"
        " access_token = excluded.access_token, access_expires = excluded.access_expires,"
        " refresh_token = excluded.refresh_token, seed = excluded.seed,"
        " updated_at = excluded.updated_at",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    store_bind_text(st, 2, t->access_token);
    store_bind_time(st, 3, t->access_expires);
    store_bind_text(st, 4, t->refresh_token);
    store_bind_text(st, 5, t->seed);
    sqlite3_bind_int64(st, 6, bd_now());
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "save tokens");
    return 0;
}

int64_t store_conversation_last(bd_store *s, int64_t shop_id, const char *conversation_id,
                                bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_CONV_LAST,
                                  "SELECT coalesce(max(sent_at), 0) FROM messages"
                                  " WHERE shop_id = ?1 AND conversation_id = ?2",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    store_bind_text(st, 2, conversation_id);
    if (sqlite3_step(st) != SQLITE_ROW) return store_fail(s, err, "read conversation");
    int64_t t = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return t;
}

int store_message_source_add(bd_store *s, int64_t message_id, const char *raw, size_t len,
                             size_t full_len, const char *error, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_MSG_SOURCE_ADD,
                                  "INSERT OR REPLACE INTO message_sources(message_id, raw, size,"
                                  " error, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, message_id);
    sqlite3_bind_blob64(st, 2, raw ? raw : "", (sqlite3_uint64)len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (int64_t)full_len);
    store_bind_text(st, 4, error);
    sqlite3_bind_int64(st, 5, bd_now());
    int rc = sqlite3_step(st);
    sqlite3_clear_bindings(st); /* raw is the caller's */
    if (rc != SQLITE_DONE) return store_fail(s, err, "store raw message");
    return 0;
}

int store_message_thread(bd_store *s, int64_t shop_id, const char *external_id,
                         char **conversation_id, char **order_id, bd_err *err)
{
    *conversation_id = *order_id = NULL;
    sqlite3_stmt *st = store_stmt(
        s, ST_MSG_THREAD,
        "SELECT coalesce(m.conversation_id, t.conversation_id),"
        " coalesce(m.order_external_id, t.order_external_id)"
        " FROM messages m JOIN tickets t ON t.id = m.ticket_id"
        " WHERE m.shop_id = ?1 AND m.external_id = ?2",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    store_bind_text(st, 2, external_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *conversation_id = store_col_text(st, 0);
        *order_id = store_col_text(st, 1);
        sqlite3_reset(st);
        return 1;
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "find message thread");
    return 0;
}
