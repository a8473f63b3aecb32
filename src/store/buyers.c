/* buyers.c — the REST API's list of buyers (with their loyalty profile's spend, tier and
 * churn risk, and the blacklist as filters) and the sync checkpoints of every shop. */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

int store_buyers_page(bd_store *s, const store_buyer_query *q, int64_t **ids, int64_t **spend,
                      size_t *n, bd_err *err)
{
    *ids = NULL;
    *spend = NULL;
    *n = 0;
    bd_buf sql = BD_BUF_INIT;
    bd_buf_puts(&sql, "SELECT b.id, coalesce(l.spend, 0) AS v FROM buyers b"
                      " LEFT JOIN buyer_loyalty l ON l.buyer_id = b.id WHERE 1");
    if (q->shop) bd_buf_puts(&sql, " AND b.shop_id = (SELECT id FROM shops WHERE name = :shop)");
    if (q->tier) bd_buf_puts(&sql, " AND l.tier = :tier");
    if (q->churn_risk) bd_buf_puts(&sql, " AND l.churn IS NOT NULL");
    if (q->blacklisted)
        bd_buf_puts(&sql, " AND EXISTS (SELECT 1 FROM buyer_blacklist x WHERE x.buyer_id = b.id)");
    if (q->has_after) bd_buf_puts(&sql, " AND (v < :after_v OR (v = :after_v AND b.id > :after_id))");
    bd_buf_puts(&sql, " ORDER BY v DESC, b.id LIMIT :limit");
    sqlite3_stmt *st;
    int prc = sqlite3_prepare_v2(s->db, sql.data, -1, &st, NULL);
    bd_buf_free(&sql);
    if (prc != SQLITE_OK) return store_fail(s, err, "list buyers");
    int i;
    if ((i = sqlite3_bind_parameter_index(st, ":shop")) > 0) store_bind_text(st, i, q->shop);
    if ((i = sqlite3_bind_parameter_index(st, ":tier")) > 0) store_bind_text(st, i, q->tier);
    if ((i = sqlite3_bind_parameter_index(st, ":after_v")) > 0)
        sqlite3_bind_int64(st, i, q->after_spend);
    if ((i = sqlite3_bind_parameter_index(st, ":after_id")) > 0)
        sqlite3_bind_int64(st, i, q->after_id);
    sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"),
                       q->limit ? (int64_t)q->limit : -1);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            *ids = bd_realloc(*ids, cap * sizeof **ids);
            *spend = bd_realloc(*spend, cap * sizeof **spend);
        }
        (*ids)[*n] = sqlite3_column_int64(st, 0);
        (*spend)[(*n)++] = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        free(*ids);
        free(*spend);
        *ids = *spend = NULL;
        *n = 0;
        return store_fail(s, err, "list buyers");
    }
    return 0;
}

int store_checkpoints_list(bd_store *s, store_checkpoint_row **out, size_t *n, bd_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT s.name, c.resource, c.cursor, c.updated_at FROM sync_checkpoints c"
                           " JOIN shops s ON s.id = c.shop_id ORDER BY s.name, c.resource",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "read sync checkpoints");
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = bd_realloc(*out, cap * sizeof **out);
        }
        store_checkpoint_row *r = &(*out)[(*n)++];
        r->shop = store_col_text(st, 0);
        r->resource = store_col_text(st, 1);
        r->cursor = store_col_text(st, 2);
        r->updated_at = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        store_checkpoint_rows_free(*out, *n);
        *out = NULL;
        *n = 0;
        return store_fail(s, err, "read sync checkpoints");
    }
    return 0;
}

void store_checkpoint_rows_free(store_checkpoint_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        free(rows[i].shop);
        free(rows[i].resource);
        free(rows[i].cursor);
    }
    free(rows);
}
