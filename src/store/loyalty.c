/* loyalty.c — buyer loyalty profiles, the incremental-recompute state (bands, shop totals,
 * dirty queue), the loyalty engine's reads of orders, claims and satisfaction, the tier's
 * effect on tickets and buyer events. The meaning of every number is in src/loyalty. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- orders, claims, satisfaction: what the engine computes from ---- */

static void read_loyalty_order(sqlite3_stmt *st, store_loyalty_order *o)
{
    o->id = sqlite3_column_int64(st, 0);
    o->buyer_id = sqlite3_column_int64(st, 1);
    o->shop_id = sqlite3_column_int64(st, 2);
    o->purchased_at = sqlite3_column_int64(st, 3);
    o->total_micros = sqlite3_column_int64(st, 4);
    o->currency = (const char *)sqlite3_column_text(st, 5);
    o->status = (const char *)sqlite3_column_text(st, 6);
    o->external_id = NULL;
}

int store_loyalty_orders(bd_store *s, int64_t buyer_id, store_loyalty_order_fn fn, void *ud,
                         bd_err *err)
{
    sqlite3_stmt *st;
    if (buyer_id) {
        st = store_stmt(s, ST_LY_BUYER_ORDERS,
                        "SELECT id, buyer_id, shop_id, purchased_at, total_micros, currency,"
                        " status FROM orders WHERE buyer_id = ?1",
                        err);
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, buyer_id);
    } else {
        /* in buyer order, from the covering index orders_buyer */
        st = store_stmt(s, ST_LY_ALL_ORDERS,
                        "SELECT id, buyer_id, shop_id, purchased_at, total_micros, currency,"
                        " status FROM orders ORDER BY buyer_id",
                        err);
        if (!st) return -1;
    }
    int rc;
    store_loyalty_order o;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        read_loyalty_order(st, &o);
        if (fn(ud, &o, err)) {
            sqlite3_reset(st);
            return -1;
        }
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read orders");
    return 0;
}

int store_order_external_id(bd_store *s, int64_t order_id, char *out, size_t outlen, bd_err *err)
{
    sqlite3_stmt *st =
        store_stmt(s, ST_LY_ORDER_EXT, "SELECT external_id FROM orders WHERE id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, order_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "read order");
    snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return 1;
}

int store_loyalty_claims(bd_store *s, int64_t buyer_id, const char *subcategories_json,
                         store_loyalty_claim_fn fn, void *ud, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(
        s, buyer_id ? ST_LY_CLAIMS_ONE : ST_LY_CLAIMS,
        buyer_id ? "SELECT t.buyer_id, t.id, coalesce(t.order_id, 0), t.subcategory, o.status"
                   " FROM tickets t LEFT JOIN orders o ON o.id = t.order_id"
                   " WHERE t.shop_id = (SELECT shop_id FROM buyers WHERE id = ?1)"
                   "   AND t.buyer_id = ?1"
                   "   AND t.subcategory IN (SELECT value FROM json_each(?2))"
                   " ORDER BY t.id"
                 : "SELECT t.buyer_id, t.id, coalesce(t.order_id, 0), t.subcategory, o.status"
                   " FROM tickets t LEFT JOIN orders o ON o.id = t.order_id"
                   " WHERE t.subcategory IN (SELECT value FROM json_each(?2)) AND ?1 = 0"
                   " ORDER BY t.buyer_id, t.id",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, buyer_id);
    store_bind_text(st, 2, subcategories_json);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_loyalty_claim c = {.buyer_id = sqlite3_column_int64(st, 0),
                                 .ticket_id = sqlite3_column_int64(st, 1),
                                 .order_id = sqlite3_column_int64(st, 2),
                                 .subcategory = (const char *)sqlite3_column_text(st, 3),
                                 .order_status = (const char *)sqlite3_column_text(st, 4)};
        if (fn(ud, &c, err)) {
            sqlite3_reset(st);
            return -1;
        }
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read claims");
    return 0;
}

int store_loyalty_negatives(bd_store *s, int64_t buyer_id, int64_t since, int64_t until,
                            int csat_max, int nps_max, int ces_max, store_loyalty_count_fn fn,
                            void *ud, bd_err *err)
{
    /* One statement per case, so that one buyer's question uses the buyer indexes. */
    sqlite3_stmt *st = store_stmt(
        s, buyer_id ? ST_LY_NEGATIVES_ONE : ST_LY_NEGATIVES,
        buyer_id ? "SELECT ?1, (SELECT count(*) FROM surveys WHERE buyer_id = ?1"
                   "   AND responded_at > ?2 AND responded_at <= ?3"
                   "   AND ((kind = 'csat' AND score <= ?4) OR (kind = 'nps' AND score <= ?5)"
                   "     OR (kind = 'ces' AND score <= ?6)))"
                   " + (SELECT count(*) FROM feedback WHERE buyer_id = ?1 AND left_at > ?2"
                   "   AND left_at <= ?3 AND rating = 'negative')"
                 : "SELECT buyer_id, sum(n) FROM ("
                   "  SELECT buyer_id, count(*) AS n FROM surveys"
                   "   WHERE responded_at > ?2 AND responded_at <= ?3 AND ?1 = 0"
                   "     AND ((kind = 'csat' AND score <= ?4) OR (kind = 'nps' AND score <= ?5)"
                   "       OR (kind = 'ces' AND score <= ?6))"
                   "   GROUP BY buyer_id"
                   "  UNION ALL"
                   "  SELECT buyer_id, count(*) FROM feedback"
                   "   WHERE left_at > ?2 AND left_at <= ?3 AND rating = 'negative'"
                   "   GROUP BY buyer_id)"
                   " GROUP BY buyer_id",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, buyer_id);
    sqlite3_bind_int64(st, 2, since);
    sqlite3_bind_int64(st, 3, until);
    sqlite3_bind_int(st, 4, csat_max);
    sqlite3_bind_int(st, 5, nps_max);
    sqlite3_bind_int(st, 6, ces_max);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_int64(st, 1) == 0) continue;
        if (fn(ud, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), err)) {
            sqlite3_reset(st);
            return -1;
        }
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read satisfaction");
    return 0;
}

static int each_id(bd_store *s, sqlite3_stmt *st, store_id_fn fn, void *ud, const char *what,
                   bd_err *err)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (fn(ud, sqlite3_column_int64(st, 0), err)) {
            sqlite3_reset(st);
            return -1;
        }
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, what);
    return 0;
}

int store_loyalty_buyers_between(bd_store *s, int64_t from, int64_t to, int satisfaction,
                                 store_id_fn fn, void *ud, bd_err *err)
{
    if (to <= from) return 0;
    sqlite3_stmt *st = store_stmt(s, ST_LY_ORDERS_BETWEEN,
                                  "SELECT buyer_id FROM orders"
                                  " WHERE purchased_at > ?1 AND purchased_at <= ?2",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    if (each_id(s, st, fn, ud, "read orders", err)) return -1;
    if (!satisfaction) return 0;
    st = store_stmt(s, ST_LY_SAT_BETWEEN,
                    "SELECT buyer_id FROM surveys WHERE responded_at > ?1 AND responded_at <= ?2"
                    " UNION ALL SELECT buyer_id FROM feedback"
                    " WHERE left_at > ?1 AND left_at <= ?2",
                    err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    return each_id(s, st, fn, ud, "read satisfaction", err);
}

/* ---- the dirty queue ---- */

int store_loyalty_mark_dirty(bd_store *s, int64_t buyer_id, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_LY_DIRTY_ADD,
                                  "INSERT OR IGNORE INTO loyalty_dirty(buyer_id) VALUES (?1)", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, buyer_id);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "queue buyer for tiers");
    return 0;
}

int store_loyalty_dirty(bd_store *s, store_id_fn fn, void *ud, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_LY_DIRTY_LIST, "SELECT buyer_id FROM loyalty_dirty", err);
    if (!st) return -1;
    return each_id(s, st, fn, ud, "read tier queue", err);
}

int store_loyalty_dirty_clear(bd_store *s, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_LY_DIRTY_CLEAR, "DELETE FROM loyalty_dirty", err);
    if (!st) return -1;
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "clear tier queue");
    return 0;
}

/* ---- profiles ---- */

#define PROFILE_COLUMNS                                                                            \
    "buyer_id, shop_id, orders, orders_all, spend, first_order_at, last_order_at, recency,"        \
    " frequency, monetary, value, orders_recent, orders_previous, claims, chargebacks,"            \
    " negatives, loyalty, lifecycle, churn, tier, boost, digest, updated_at"

static void label(sqlite3_stmt *st, int col, char *out, size_t n)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    snprintf(out, n, "%s", t ? t : "");
}

static void read_profile(sqlite3_stmt *st, store_buyer_loyalty *p)
{
    memset(p, 0, sizeof *p);
    int c = 0;
    p->buyer_id = sqlite3_column_int64(st, c++);
    p->shop_id = sqlite3_column_int64(st, c++);
    p->orders = sqlite3_column_int64(st, c++);
    p->orders_all = sqlite3_column_int64(st, c++);
    p->spend = sqlite3_column_int64(st, c++);
    p->first_order_at = sqlite3_column_int64(st, c++);
    p->last_order_at = sqlite3_column_int64(st, c++);
    for (int m = 0; m < STORE_LM_COUNT_; m++, c++) {
        p->has[m] = sqlite3_column_type(st, c) != SQLITE_NULL;
        p->metric[m] = sqlite3_column_int64(st, c);
    }
    p->orders_recent = sqlite3_column_int64(st, c++);
    p->orders_previous = sqlite3_column_int64(st, c++);
    p->claims = sqlite3_column_int64(st, c++);
    p->chargebacks = sqlite3_column_int64(st, c++);
    p->negatives = sqlite3_column_int64(st, c++);
    label(st, c++, p->loyalty, sizeof p->loyalty);
    label(st, c++, p->lifecycle, sizeof p->lifecycle);
    label(st, c++, p->churn, sizeof p->churn);
    label(st, c++, p->tier, sizeof p->tier);
    p->boost = sqlite3_column_int(st, c++);
    p->digest = sqlite3_column_int64(st, c++);
    p->updated_at = sqlite3_column_int64(st, c++);
}

int store_loyalty_get(bd_store *s, int64_t buyer_id, store_buyer_loyalty *p, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(
        s, ST_LY_GET, "SELECT " PROFILE_COLUMNS " FROM buyer_loyalty WHERE buyer_id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, buyer_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_profile(st, p);
        sqlite3_reset(st);
        return 1;
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read loyalty profile");
    return 0;
}

static void bind_label(sqlite3_stmt *st, int i, const char *v)
{
    if (v[0])
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

int store_loyalty_put(bd_store *s, const store_buyer_loyalty *p, bd_err *err)
{
    /* An upsert rewrites the row in place: index entries change only for the metrics that
     * changed (REPLACE would delete and re-insert every one). */
    sqlite3_stmt *st = store_stmt(
        s, ST_LY_PUT,
        "INSERT INTO buyer_loyalty(" PROFILE_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5,"
        " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22,"
        " ?23) ON CONFLICT (buyer_id) DO UPDATE SET"
        " shop_id = ?2, orders = ?3, orders_all = ?4, spend = ?5, first_order_at = ?6,"
        " last_order_at = ?7, recency = ?8, frequency = ?9, monetary = ?10, value = ?11,"
        " orders_recent = ?12, orders_previous = ?13, claims = ?14, chargebacks = ?15,"
        " negatives = ?16, loyalty = ?17, lifecycle = ?18, churn = ?19, tier = ?20,"
        " boost = ?21, digest = ?22, updated_at = ?23",
        err);
    if (!st) return -1;
    int c = 1;
    sqlite3_bind_int64(st, c++, p->buyer_id);
    sqlite3_bind_int64(st, c++, p->shop_id);
    sqlite3_bind_int64(st, c++, p->orders);
    sqlite3_bind_int64(st, c++, p->orders_all);
    sqlite3_bind_int64(st, c++, p->spend);
    store_bind_time(st, c++, p->first_order_at);
    store_bind_time(st, c++, p->last_order_at);
    for (int m = 0; m < STORE_LM_COUNT_; m++, c++) {
        if (p->has[m])
            sqlite3_bind_int64(st, c, p->metric[m]);
        else
            sqlite3_bind_null(st, c);
    }
    sqlite3_bind_int64(st, c++, p->orders_recent);
    sqlite3_bind_int64(st, c++, p->orders_previous);
    sqlite3_bind_int64(st, c++, p->claims);
    sqlite3_bind_int64(st, c++, p->chargebacks);
    sqlite3_bind_int64(st, c++, p->negatives);
    sqlite3_bind_text(st, c++, p->loyalty, -1, SQLITE_STATIC);
    bind_label(st, c++, p->lifecycle);
    bind_label(st, c++, p->churn);
    bind_label(st, c++, p->tier);
    sqlite3_bind_int(st, c++, p->boost);
    sqlite3_bind_int64(st, c++, p->digest);
    sqlite3_bind_int64(st, c++, p->updated_at);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "store loyalty profile");
    return 0;
}

int store_loyalty_put_labels(bd_store *s, const store_buyer_loyalty *p, bd_err *err)
{
    sqlite3_stmt *st =
        store_stmt(s, ST_LY_PUT_LABELS,
                   "UPDATE buyer_loyalty SET loyalty = ?2, lifecycle = ?3, churn = ?4, tier = ?5,"
                   " boost = ?6, digest = ?7, updated_at = ?8 WHERE buyer_id = ?1",
                   err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, p->buyer_id);
    sqlite3_bind_text(st, 2, p->loyalty, -1, SQLITE_STATIC);
    bind_label(st, 3, p->lifecycle);
    bind_label(st, 4, p->churn);
    bind_label(st, 5, p->tier);
    sqlite3_bind_int(st, 6, p->boost);
    sqlite3_bind_int64(st, 7, p->digest);
    sqlite3_bind_int64(st, 8, p->updated_at);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "store loyalty labels");
    if (sqlite3_changes(s->db) == 0)
        return bd_err_set(err, "no loyalty profile for buyer %lld", (long long)p->buyer_id);
    return 0;
}

int store_loyalty_delete(bd_store *s, int64_t buyer_id, bd_err *err)
{
    sqlite3_stmt *st =
        store_stmt(s, ST_LY_DELETE, "DELETE FROM buyer_loyalty WHERE buyer_id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, buyer_id);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "delete loyalty profile");
    return 0;
}

static int each_profile(bd_store *s, sqlite3_stmt *st, store_loyalty_profile_fn fn, void *ud,
                        bd_err *err)
{
    int rc;
    store_buyer_loyalty p;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        read_profile(st, &p);
        if (fn(ud, &p, err)) {
            sqlite3_reset(st);
            return -1;
        }
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read loyalty profiles");
    return 0;
}

int store_loyalty_digests(bd_store *s, store_loyalty_digest_fn fn, void *ud, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_LY_DIGESTS,
                                  "SELECT buyer_id, digest, tier, boost FROM buyer_loyalty", err);
    if (!st) return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (fn(ud, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
               (const char *)sqlite3_column_text(st, 2), sqlite3_column_int(st, 3), err)) {
            sqlite3_reset(st);
            return -1;
        }
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read loyalty profiles");
    return 0;
}

int store_loyalty_scan(bd_store *s, int64_t shop_id, store_loyalty_profile_fn fn, void *ud,
                       bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_LY_SCAN,
                                  "SELECT " PROFILE_COLUMNS " FROM buyer_loyalty"
                                  " WHERE ?1 = 0 OR shop_id = ?1 ORDER BY buyer_id",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    return each_profile(s, st, fn, ud, err);
}

int store_loyalty_max_buyer_id(bd_store *s, int64_t *max, bd_err *err)
{
    sqlite3_stmt *st =
        store_stmt(s, ST_LY_MAX_BUYER, "SELECT coalesce(max(id), 0) FROM buyers", err);
    if (!st) return -1;
    if (sqlite3_step(st) != SQLITE_ROW) return store_fail(s, err, "count buyers");
    *max = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

int store_loyalty_unprofiled(bd_store *s, int64_t shop_id, int64_t *n, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_LY_UNPROFILED,
                                  "SELECT count(*) FROM buyers b WHERE (?1 = 0 OR b.shop_id = ?1)"
                                  " AND NOT EXISTS (SELECT 1 FROM buyer_loyalty l"
                                  "   WHERE l.buyer_id = b.id)",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    if (sqlite3_step(st) != SQLITE_ROW) return store_fail(s, err, "count buyers");
    *n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

/* ---- bands, shop totals, state ---- */

int store_loyalty_shop_get(bd_store *s, int64_t shop_id, store_loyalty_shop *sh,
                           store_loyalty_band *bands, int nbands, bd_err *err)
{
    memset(sh, 0, sizeof *sh);
    sh->shop_id = shop_id;
    sqlite3_stmt *st = store_stmt(s, ST_LY_SHOP_GET,
                                  "SELECT n_rfm, n_value, t_value FROM loyalty_shops"
                                  " WHERE shop_id = ?1",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "read loyalty totals");
    sh->n_rfm = sqlite3_column_int64(st, 0);
    sh->n_value = sqlite3_column_int64(st, 1);
    sh->t_value = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    st = store_stmt(s, ST_LY_BANDS_GET,
                    "SELECT band, u, e_u, a, b, e_b FROM loyalty_bands WHERE shop_id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    int seen = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int band = sqlite3_column_int(st, 0);
        if (band < 0 || band >= nbands) continue;
        store_loyalty_band *b = &bands[band];
        b->u = sqlite3_column_int64(st, 1);
        b->e_u = sqlite3_column_int64(st, 2);
        b->a = sqlite3_column_int64(st, 3);
        b->b = sqlite3_column_int64(st, 4);
        b->e_b = sqlite3_column_int64(st, 5);
        seen++;
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read loyalty bands");
    /* A shop whose bands are incomplete (another version of borderdesk) counts as unknown. */
    return seen == nbands ? 1 : 0;
}

int store_loyalty_shop_put(bd_store *s, const store_loyalty_shop *sh,
                           const store_loyalty_band *bands, int nbands, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_LY_SHOP_PUT,
                                  "INSERT OR REPLACE INTO loyalty_shops(shop_id, n_rfm, n_value,"
                                  " t_value) VALUES (?1, ?2, ?3, ?4)",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, sh->shop_id);
    sqlite3_bind_int64(st, 2, sh->n_rfm);
    sqlite3_bind_int64(st, 3, sh->n_value);
    sqlite3_bind_int64(st, 4, sh->t_value);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "store loyalty totals");
    for (int i = 0; i < nbands; i++) {
        st = store_stmt(s, ST_LY_BAND_PUT,
                        "INSERT OR REPLACE INTO loyalty_bands(shop_id, band, u, e_u, a, b, e_b)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        err);
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, sh->shop_id);
        sqlite3_bind_int(st, 2, i);
        sqlite3_bind_int64(st, 3, bands[i].u);
        sqlite3_bind_int64(st, 4, bands[i].e_u);
        sqlite3_bind_int64(st, 5, bands[i].a);
        sqlite3_bind_int64(st, 6, bands[i].b);
        sqlite3_bind_int64(st, 7, bands[i].e_b);
        if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "store loyalty band");
    }
    return 0;
}

int store_loyalty_shops_reset(bd_store *s, bd_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, "DELETE FROM loyalty_bands; DELETE FROM loyalty_shops;", NULL, NULL,
                     &msg) != SQLITE_OK) {
        sqlite3_free(msg);
        return store_fail(s, err, "reset loyalty bands");
    }
    return 0;
}

int store_loyalty_state_get(bd_store *s, int64_t *as_of, char *config_hash, size_t hash_len,
                            int64_t *full_at, bd_err *err)
{
    sqlite3_stmt *st =
        store_stmt(s, ST_LY_STATE_GET,
                   "SELECT as_of, config_hash, full_at FROM loyalty_state WHERE id = 1", err);
    if (!st) return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "read loyalty state");
    *as_of = sqlite3_column_int64(st, 0);
    snprintf(config_hash, hash_len, "%s", (const char *)sqlite3_column_text(st, 1));
    if (full_at) *full_at = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    return 1;
}

int store_loyalty_state_put(bd_store *s, int64_t as_of, const char *config_hash, int64_t full_at,
                            bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_LY_STATE_PUT,
                                  "INSERT OR REPLACE INTO loyalty_state(id, as_of, config_hash,"
                                  " full_at) VALUES (1, ?1, ?2, ?3)",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, as_of);
    store_bind_text(st, 2, config_hash);
    sqlite3_bind_int64(st, 3, full_at);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "store loyalty state");
    return 0;
}

int store_shops_each(bd_store *s, store_shop_fn fn, void *ud, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_LY_SHOPS, "SELECT id, name FROM shops ORDER BY id", err);
    if (!st) return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (fn(ud, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1), err)) {
            sqlite3_reset(st);
            return -1;
        }
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "list shops");
    return 0;
}

/* ---- tickets ---- */

int store_buyer_tier(bd_store *s, int64_t buyer_id, int *boost, char *tier, size_t tier_len,
                     bd_err *err)
{
    *boost = 0;
    if (tier && tier_len) tier[0] = '\0';
    sqlite3_stmt *st =
        store_stmt(s, ST_LY_TIER, "SELECT boost, tier FROM buyer_loyalty WHERE buyer_id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, buyer_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *boost = sqlite3_column_int(st, 0);
        const char *t = (const char *)sqlite3_column_text(st, 1);
        if (tier && tier_len) snprintf(tier, tier_len, "%s", t ? t : "");
        sqlite3_reset(st);
        return 0;
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read buyer tier");
    return 0;
}

int store_buyer_active_tickets(bd_store *s, int64_t buyer_id, store_ticket_priority **out,
                               size_t *n, bd_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = store_stmt(s, ST_LY_ACTIVE_TICKETS,
                                  "SELECT id, coalesce(urgency, 1), priority FROM tickets"
                                  " WHERE shop_id = (SELECT shop_id FROM buyers WHERE id = ?1)"
                                  "   AND buyer_id = ?1 AND status IN ('new','open','pending')"
                                  " ORDER BY id",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, buyer_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            *out = bd_realloc(*out, cap * sizeof **out);
        }
        store_ticket_priority *t = &(*out)[(*n)++];
        t->id = sqlite3_column_int64(st, 0);
        t->urgency = sqlite3_column_int(st, 1);
        t->priority = sqlite3_column_int(st, 2);
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read buyer tickets");
    return 0;
}

int store_ticket_set_priority(bd_store *s, int64_t id, int priority, bd_err *err)
{
    sqlite3_stmt *st =
        store_stmt(s, ST_LY_SET_PRIORITY, "UPDATE tickets SET priority = ?2 WHERE id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, priority);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "set ticket priority");
    if (sqlite3_changes(s->db) == 0) return bd_err_set(err, "set ticket priority: no such ticket");
    return 0;
}

/* ---- buyers and their events ---- */

int store_buyer_find(bd_store *s, const char *ref, store_buyer_row *b, bd_err *err)
{
    memset(b, 0, sizeof *b);
    const char *colon = strchr(ref, ':');
    char *end = NULL;
    long long num = strtoll(ref, &end, 10);
    int by_id = !colon && *ref && end && !*end && num > 0;
    if (!by_id && !colon)
        return bd_err_set(err, "\"%s\" is neither a buyer id nor SHOP:BUYER_ID", ref);
    sqlite3_stmt *st = store_stmt(
        s, by_id ? ST_LY_BUYER_BY_ID : ST_LY_BUYER_BY_REF,
        by_id ? "SELECT b.id, b.shop_id, s.name, s.marketplace, b.external_id, b.name, b.email,"
                " b.country, b.language, b.created_at FROM buyers b JOIN shops s"
                " ON s.id = b.shop_id WHERE b.id = ?1"
              : "SELECT b.id, b.shop_id, s.name, s.marketplace, b.external_id, b.name, b.email,"
                " b.country, b.language, b.created_at FROM buyers b JOIN shops s"
                " ON s.id = b.shop_id WHERE s.name = ?1 AND b.external_id = ?2",
        err);
    if (!st) return -1;
    if (by_id) {
        sqlite3_bind_int64(st, 1, num);
    } else {
        sqlite3_bind_text(st, 1, ref, (int)(colon - ref), SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, colon + 1, -1, SQLITE_TRANSIENT);
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "find buyer");
    b->id = sqlite3_column_int64(st, 0);
    b->shop_id = sqlite3_column_int64(st, 1);
    b->shop = store_col_text(st, 2);
    b->marketplace = store_col_text(st, 3);
    b->external_id = store_col_text(st, 4);
    b->name = store_col_text(st, 5);
    b->email = store_col_text(st, 6);
    b->country = store_col_text(st, 7);
    b->language = store_col_text(st, 8);
    b->created_at = sqlite3_column_int64(st, 9);
    sqlite3_reset(st);
    return 1;
}

int store_buyer_last_contact(bd_store *s, int64_t buyer_id, int64_t *at, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_LY_LAST_CONTACT,
                                  "SELECT coalesce(max(last_inbound_at), 0) FROM tickets"
                                  " WHERE shop_id = (SELECT shop_id FROM buyers WHERE id = ?1)"
                                  "   AND buyer_id = ?1",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, buyer_id);
    if (sqlite3_step(st) != SQLITE_ROW) return store_fail(s, err, "read last contact");
    *at = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

int store_buyer_event_add(bd_store *s, int64_t buyer_id, int64_t ticket_id, const char *actor,
                          const char *kind, const char *detail_json, int64_t at, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_LY_EVENT_ADD,
                                  "INSERT INTO events(ticket_id, buyer_id, actor, kind, detail, at)"
                                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                  err);
    if (!st) return -1;
    store_bind_time(st, 1, ticket_id);
    sqlite3_bind_int64(st, 2, buyer_id);
    store_bind_text(st, 3, actor ? actor : "system");
    store_bind_text(st, 4, kind);
    store_bind_text(st, 5, detail_json);
    sqlite3_bind_int64(st, 6, at);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "record event");
    return 0;
}

static void read_event(sqlite3_stmt *st, store_event *e)
{
    e->id = sqlite3_column_int64(st, 0);
    e->ticket_id = sqlite3_column_int64(st, 1);
    e->at = sqlite3_column_int64(st, 2);
    e->actor = store_col_text(st, 3);
    e->kind = store_col_text(st, 4);
    e->detail = store_col_text(st, 5);
}

int store_buyer_events(bd_store *s, int64_t buyer_id, store_event **rows, size_t *n, bd_err *err)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *st = store_stmt(s, ST_LY_EVENT_LIST,
                                  "SELECT id, coalesce(ticket_id, 0), at, actor, kind, detail"
                                  " FROM events WHERE buyer_id = ?1 ORDER BY id",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, buyer_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *rows = bd_realloc(*rows, cap * sizeof **rows);
        }
        read_event(st, &(*rows)[(*n)++]);
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read buyer events");
    return 0;
}

int store_tier_changes(bd_store *s, int64_t from, int64_t to, store_event_fn fn, void *ud,
                       bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_LY_TIER_CHANGES,
                                  "SELECT id, coalesce(ticket_id, 0), at, actor, kind, detail,"
                                  " buyer_id FROM events WHERE kind = 'tier_changed'"
                                  " AND at >= ?1 AND (?2 = 0 OR at < ?2) ORDER BY at, id",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        store_event e;
        read_event(st, &e);
        int64_t buyer = sqlite3_column_int64(st, 6);
        int frc = fn(ud, buyer, &e, err);
        free(e.actor);
        free(e.kind);
        free(e.detail);
        if (frc) {
            sqlite3_reset(st);
            return -1;
        }
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read tier changes");
    return 0;
}
