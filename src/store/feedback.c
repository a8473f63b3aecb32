/* feedback.c — marketplace feedback and reviews (eBay feedback, product review stars)
 * stored as satisfaction data on the buyer, the order and the ticket it follows. */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

void store_feedback_clear(store_feedback_row *f)
{
    if (!f) return;
    free(f->external_id);
    free(f->order_external_id);
    free(f->agent);
    free(f->kind);
    free(f->rating);
    free(f->comment);
    free(f->response);
    free(f->revised_from);
    free(f->shop);
    free(f->category);
    memset(f, 0, sizeof *f);
}

#define FEEDBACK_COLUMNS                                                                           \
    "SELECT f.id, f.shop_id, f.buyer_id, coalesce(f.order_id, 0), coalesce(f.ticket_id, 0),"       \
    " f.left_at, f.updated_at, coalesce(f.score, 0), f.external_id, f.order_external_id,"         \
    " f.agent, f.kind, f.rating, f.comment, f.reply, f.revised_from, s.name, t.category"        \
    " FROM feedback f JOIN shops s ON s.id = f.shop_id LEFT JOIN tickets t ON t.id = f.ticket_id"

static void read_feedback(sqlite3_stmt *st, store_feedback_row *f)
{
    memset(f, 0, sizeof *f);
    int c = 0;
    f->id = sqlite3_column_int64(st, c++);
    f->shop_id = sqlite3_column_int64(st, c++);
    f->buyer_id = sqlite3_column_int64(st, c++);
    f->order_id = sqlite3_column_int64(st, c++);
    f->ticket_id = sqlite3_column_int64(st, c++);
    f->left_at = sqlite3_column_int64(st, c++);
    f->recorded_at = sqlite3_column_int64(st, c++);
    f->stars = sqlite3_column_int(st, c++);
    f->external_id = store_col_text(st, c++);
    f->order_external_id = store_col_text(st, c++);
    f->agent = store_col_text(st, c++);
    f->kind = store_col_text(st, c++);
    f->rating = store_col_text(st, c++);
    f->comment = store_col_text(st, c++);
    f->response = store_col_text(st, c++);
    f->revised_from = store_col_text(st, c++);
    f->shop = store_col_text(st, c++);
    f->category = store_col_text(st, c++);
}

int store_feedback_get(bd_store *s, int64_t shop_id, const char *external_id, store_feedback_row *f,
                       bd_err *err)
{
    memset(f, 0, sizeof *f);
    sqlite3_stmt *st = store_stmt(
        s, ST_FB_GET, FEEDBACK_COLUMNS " WHERE f.shop_id = ?1 AND f.external_id = ?2", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    store_bind_text(st, 2, external_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "read feedback");
    read_feedback(st, f);
    sqlite3_reset(st);
    return 1;
}

int store_feedback_insert(bd_store *s, const store_feedback_row *f, int64_t *id, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(
        s, ST_FB_INSERT,
        "INSERT INTO feedback(shop_id, external_id, buyer_id, order_id, order_external_id,"
        " ticket_id, agent, kind, rating, score, comment, reply, left_at, created_at, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, f->shop_id);
    store_bind_text(st, 2, f->external_id);
    sqlite3_bind_int64(st, 3, f->buyer_id);
    store_bind_time(st, 4, f->order_id);
    store_bind_text(st, 5, f->order_external_id);
    store_bind_time(st, 6, f->ticket_id);
    store_bind_text(st, 7, f->agent);
    store_bind_text(st, 8, f->kind);
    store_bind_text(st, 9, f->rating);
    store_bind_time(st, 10, f->stars);
    store_bind_text(st, 11, f->comment);
    store_bind_text(st, 12, f->response);
    sqlite3_bind_int64(st, 13, f->left_at);
    sqlite3_bind_int64(st, 14, f->recorded_at);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "store feedback");
    *id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int store_feedback_revise(bd_store *s, int64_t id, const store_feedback_row *f, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(
        s, ST_FB_REVISE,
        "UPDATE feedback SET revised_from = CASE WHEN rating IS NOT ?2 THEN rating"
        "   ELSE revised_from END,"
        " rating = ?2, score = ?3, comment = ?4, reply = ?5, left_at = ?6, updated_at = ?7"
        " WHERE id = ?1",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    store_bind_text(st, 2, f->rating);
    store_bind_time(st, 3, f->stars);
    store_bind_text(st, 4, f->comment);
    store_bind_text(st, 5, f->response);
    sqlite3_bind_int64(st, 6, f->left_at);
    sqlite3_bind_int64(st, 7, f->recorded_at);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "revise feedback");
    return 0;
}

int store_feedback_ticket(bd_store *s, int64_t shop_id, int64_t buyer_id,
                          const char *order_external_id, int64_t at, int64_t window,
                          int64_t *ticket_id, char **agent, bd_err *err)
{
    *ticket_id = 0;
    *agent = NULL;
    sqlite3_stmt *st =
        store_stmt(s, ST_FB_TICKET,
                   "SELECT id, assignee FROM tickets WHERE shop_id = ?1 AND buyer_id = ?2"
                   " AND (?3 IS NULL OR order_external_id = ?3) AND created_at <= ?4"
                   " AND coalesce(last_message_at, created_at) >= ?4 - ?5"
                   " ORDER BY id DESC LIMIT 1",
                   err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    sqlite3_bind_int64(st, 2, buyer_id);
    store_bind_text(st, 3, order_external_id);
    sqlite3_bind_int64(st, 4, at);
    sqlite3_bind_int64(st, 5, window);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "find ticket for feedback");
    *ticket_id = sqlite3_column_int64(st, 0);
    *agent = store_col_text(st, 1);
    sqlite3_reset(st);
    return 1;
}

int store_feedback_scan(bd_store *s, int64_t from, int64_t to, store_feedback_fn fn, void *ud,
                        bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_FB_SCAN,
                                  FEEDBACK_COLUMNS " WHERE f.left_at >= ?1 AND f.left_at < ?2"
                                                   " ORDER BY f.left_at, f.id",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_feedback_row f;
        read_feedback(st, &f);
        int frc = fn(ud, &f, err);
        store_feedback_clear(&f);
        if (frc) {
            sqlite3_reset(st);
            return -1;
        }
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read feedback");
    return 0;
}

int store_review_messages_scan(bd_store *s, int64_t from, int64_t to, store_review_fn fn, void *ud,
                               bd_err *err)
{
    sqlite3_stmt *st =
        store_stmt(s, ST_FB_REVIEWS,
                   "SELECT s.name, t.assignee, m.subcategory, m.sent_at FROM messages m"
                   " JOIN tickets t ON t.id = m.ticket_id JOIN shops s ON s.id = m.shop_id"
                   " WHERE m.direction = 'in' AND m.category = 'review'"
                   "   AND m.sent_at >= ?1 AND m.sent_at < ?2 ORDER BY m.sent_at, m.id",
                   err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (fn(ud, (const char *)sqlite3_column_text(st, 0),
               (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2),
               sqlite3_column_int64(st, 3), err)) {
            sqlite3_reset(st);
            return -1;
        }
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read review messages");
    return 0;
}

void store_feedback_rows_free(store_feedback_row *f, size_t n)
{
    for (size_t i = 0; f && i < n; i++)
        store_feedback_clear(&f[i]);
    free(f);
}

int store_buyer_feedback(bd_store *s, int64_t buyer_id, size_t limit, store_feedback_row **out,
                         size_t *n, bd_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           FEEDBACK_COLUMNS " WHERE f.buyer_id = ?1"
                                            " ORDER BY f.left_at DESC, f.id DESC LIMIT ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "read the buyer's feedback");
    sqlite3_bind_int64(st, 1, buyer_id);
    sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = bd_realloc(*out, cap * sizeof **out);
        }
        read_feedback(st, &(*out)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        store_feedback_rows_free(*out, *n);
        *out = NULL;
        *n = 0;
        return store_fail(s, err, "read the buyer's feedback");
    }
    return 0;
}
