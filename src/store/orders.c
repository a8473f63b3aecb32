/* orders.c — shops, buyers, orders and their items. */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

int store_shop_ensure(bd_store *s, const char *name, const char *marketplace, int64_t *id,
                      bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_SHOP_GET,
                                  "SELECT id, marketplace FROM shops WHERE name = ?1", err);
    if (!st) return -1;
    store_bind_text(st, 1, name);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *mk = (const char *)sqlite3_column_text(st, 1);
        if (strcmp(mk, marketplace) != 0)
            return bd_err_set(err, "shop \"%s\" is a %s shop, not %s", name, mk, marketplace);
        *id = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return 0;
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "find shop");
    st = store_stmt(s, ST_SHOP_INSERT,
                    "INSERT INTO shops(name, marketplace, created_at) VALUES (?1, ?2, ?3)", err);
    if (!st) return -1;
    store_bind_text(st, 1, name);
    store_bind_text(st, 2, marketplace);
    sqlite3_bind_int64(st, 3, bd_now());
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "create shop");
    *id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

static int differs(sqlite3_stmt *st, int col, const char *given)
{
    const char *have = (const char *)sqlite3_column_text(st, col);
    return given && !bd_streq(have, given);
}

/* The parameters ?1..?7 of both buyer INSERTs: shop, external id, details, now. */
static void bind_buyer(sqlite3_stmt *st, int64_t shop_id, const bd_buyer *b)
{
    sqlite3_bind_int64(st, 1, shop_id);
    store_bind_text(st, 2, b->external_id);
    store_bind_text(st, 3, b->name);
    store_bind_text(st, 4, b->email);
    store_bind_text(st, 5, b->country);
    store_bind_text(st, 6, b->language);
    sqlite3_bind_int64(st, 7, bd_now());
}

/* A buyer not seen before, with a plain INSERT: the upsert below needs RETURNING, which
 * SQLite buffers in a temporary table built per statement. Returns 0, 1 when the buyer is
 * there after all (another connection added it since it was looked for: the caller then
 * upserts), or -1 with err. */
static int buyer_insert(bd_store *s, int64_t shop_id, const bd_buyer *b, int64_t *id,
                        bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_BUYER_INSERT,
                                  "INSERT INTO buyers(shop_id, external_id, name, email, country,"
                                  " language, created_at, updated_at)"
                                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
                                  err);
    if (!st) return -1;
    bind_buyer(st, shop_id, b);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        *id = sqlite3_last_insert_rowid(s->db);
        return 0;
    }
    if (rc == SQLITE_CONSTRAINT) {
        sqlite3_reset(st);
        return 1;
    }
    return store_fail(s, err, "store buyer");
}

/* given differs from what is stored (a detail not given leaves the stored one). */
static int differs_from(const char *have, const char *given)
{
    return given && !bd_streq(have, given);
}

int store_buyer_upsert(bd_store *s, int64_t shop_id, const bd_buyer *b, int64_t *id,
                       bd_err *err)
{
    /* A buyer this transaction (or an earlier one of this connection, when nobody else
     * wrote since) already read or wrote, with the same details: nothing to do. */
    store_cached_buyer cb;
    if (store_buyer_cache_get(s, shop_id, b->external_id, &cb) &&
        !differs_from(cb.name, b->name) && !differs_from(cb.email, b->email) &&
        !differs_from(cb.country, b->country) && !differs_from(cb.language, b->language)) {
        *id = cb.id;
        return 0;
    }
    /* Read first: most messages come from known buyers whose details did not change, so
     * a repeated import writes nothing. */
    sqlite3_stmt *st = store_stmt(s, ST_BUYER_ID,
                                  "SELECT id, name, email, country, language FROM buyers"
                                  " WHERE shop_id = ?1 AND external_id = ?2",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    store_bind_text(st, 2, b->external_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        int changed = differs(st, 1, b->name) || differs(st, 2, b->email) ||
                      differs(st, 3, b->country) || differs(st, 4, b->language);
        if (!changed)
            store_buyer_cache_put(s, shop_id, b->external_id, *id,
                                  (const char *)sqlite3_column_text(st, 1),
                                  (const char *)sqlite3_column_text(st, 2),
                                  (const char *)sqlite3_column_text(st, 3),
                                  (const char *)sqlite3_column_text(st, 4));
        sqlite3_reset(st);
        if (!changed) return 0;
    } else if (rc != SQLITE_DONE) {
        return store_fail(s, err, "find buyer");
    } else if ((rc = buyer_insert(s, shop_id, b, id, err)) <= 0) {
        if (rc == 0)
            store_buyer_cache_put(s, shop_id, b->external_id, *id, b->name, b->email,
                                  b->country, b->language);
        return rc;
    }
    st = store_stmt(
        s, ST_BUYER_UPSERT,
        "INSERT INTO buyers(shop_id, external_id, name, email, country, language, created_at,"
        " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)"
        " ON CONFLICT (shop_id, external_id) DO UPDATE SET"
        "  name = coalesce(excluded.name, name), email = coalesce(excluded.email, email),"
        "  country = coalesce(excluded.country, country),"
        "  language = coalesce(excluded.language, language), updated_at = excluded.updated_at"
        " RETURNING id, name, email, country, language",
        err);
    if (!st) return -1;
    bind_buyer(st, shop_id, b);
    if (sqlite3_step(st) != SQLITE_ROW) return store_fail(s, err, "store buyer");
    *id = sqlite3_column_int64(st, 0);
    store_buyer_cache_put(s, shop_id, b->external_id, *id,
                          (const char *)sqlite3_column_text(st, 1),
                          (const char *)sqlite3_column_text(st, 2),
                          (const char *)sqlite3_column_text(st, 3),
                          (const char *)sqlite3_column_text(st, 4));
    sqlite3_reset(st);
    return 0;
}

static int replace_items(bd_store *s, int64_t order_id, const bd_order *o, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_ITEMS_DELETE, "DELETE FROM order_items WHERE order_id = ?1",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, order_id);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "replace order items");
    for (size_t i = 0; i < o->n_items; i++) {
        st = store_stmt(s, ST_ITEM_INSERT,
                        "INSERT INTO order_items(order_id, position, sku, title, quantity, price)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        err);
        if (!st) return -1;
        sqlite3_bind_int64(st, 1, order_id);
        sqlite3_bind_int64(st, 2, (int64_t)i);
        store_bind_text(st, 3, o->items[i].sku);
        store_bind_text(st, 4, o->items[i].title);
        sqlite3_bind_int64(st, 5, o->items[i].quantity);
        store_bind_text(st, 6, o->items[i].price);
        if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "store order item");
    }
    return 0;
}

int store_order_upsert(bd_store *s, int64_t shop_id, int64_t buyer_id, const bd_order *o,
                       int64_t *id, int *result, bd_err *err)
{
    int64_t micros = 0;
    bd_money_parse(o->total, &micros);
    int64_t existing = 0;
    int found = store_order_lookup(s, shop_id, o->external_id, &existing, err);
    if (found < 0) return -1;
    sqlite3_stmt *st = store_stmt(
        s, ST_ORDER_UPSERT,
        "INSERT INTO orders(shop_id, external_id, buyer_id, status, purchased_at, updated_at,"
        " currency, total, total_micros, carrier, tracking_number, shipped_at,"
        " estimated_delivery, extra)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
        " ON CONFLICT (shop_id, external_id) DO UPDATE SET"
        "  buyer_id = excluded.buyer_id, status = excluded.status,"
        "  purchased_at = excluded.purchased_at, updated_at = excluded.updated_at,"
        "  currency = excluded.currency, total = excluded.total,"
        "  total_micros = excluded.total_micros, carrier = excluded.carrier,"
        "  tracking_number = excluded.tracking_number, shipped_at = excluded.shipped_at,"
        "  estimated_delivery = excluded.estimated_delivery, extra = excluded.extra"
        " WHERE excluded.updated_at >= updated_at AND ("
        "  excluded.status IS NOT status OR excluded.buyer_id IS NOT buyer_id"
        "  OR excluded.purchased_at IS NOT purchased_at OR excluded.updated_at IS NOT updated_at"
        "  OR excluded.currency IS NOT currency OR excluded.total IS NOT total"
        "  OR excluded.carrier IS NOT carrier OR excluded.tracking_number IS NOT tracking_number"
        "  OR excluded.shipped_at IS NOT shipped_at"
        "  OR excluded.estimated_delivery IS NOT estimated_delivery"
        "  OR excluded.extra IS NOT extra)"
        " RETURNING id",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    store_bind_text(st, 2, o->external_id);
    sqlite3_bind_int64(st, 3, buyer_id);
    store_bind_text(st, 4, o->status);
    sqlite3_bind_int64(st, 5, o->purchased_at);
    sqlite3_bind_int64(st, 6, o->updated_at);
    store_bind_text(st, 7, o->currency);
    store_bind_text(st, 8, o->total);
    sqlite3_bind_int64(st, 9, micros);
    store_bind_text(st, 10, o->carrier);
    store_bind_text(st, 11, o->tracking_number);
    store_bind_time(st, 12, o->shipped_at);
    store_bind_time(st, 13, o->estimated_delivery);
    store_bind_text(st, 14, o->extra);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        *result = found ? STORE_UPDATED : STORE_INSERTED;
        return replace_items(s, *id, o, err);
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "store order");
    *id = existing;
    *result = STORE_UNCHANGED;
    return 0;
}

int store_order_lookup(bd_store *s, int64_t shop_id, const char *external_id, int64_t *id,
                       bd_err *err)
{
    sqlite3_stmt *st = store_stmt(
        s, ST_ORDER_LOOKUP, "SELECT id FROM orders WHERE shop_id = ?1 AND external_id = ?2", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    store_bind_text(st, 2, external_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return 1;
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "find order");
    return 0;
}

void store_order_row_clear(store_order_row *o)
{
    free(o->shop);
    free(o->marketplace);
    free(o->external_id);
    free(o->buyer_name);
    free(o->buyer_external_id);
    free(o->buyer_country);
    free(o->buyer_language);
    free(o->status);
    free(o->currency);
    free(o->total);
    free(o->carrier);
    free(o->tracking_number);
    for (size_t i = 0; i < o->n_items; i++) {
        free(o->items[i].sku);
        free(o->items[i].title);
        free(o->items[i].price);
    }
    free(o->items);
    memset(o, 0, sizeof *o);
}

void store_order_rows_free(store_order_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) store_order_row_clear(&rows[i]);
    free(rows);
}

#define ORDER_COLUMNS                                                                         \
    "SELECT o.id, s.name, s.marketplace, o.external_id, o.buyer_id, b.name, b.external_id,"   \
    " b.country, b.language, o.status, o.currency, o.total, o.carrier, o.tracking_number,"    \
    " o.purchased_at, o.updated_at, coalesce(o.shipped_at,0), coalesce(o.estimated_delivery,0)," \
    " (SELECT count(*) FROM tickets t WHERE t.order_id = o.id)"                                \
    " FROM orders o JOIN shops s ON s.id = o.shop_id JOIN buyers b ON b.id = o.buyer_id"

static void read_order(sqlite3_stmt *st, store_order_row *o)
{
    memset(o, 0, sizeof *o);
    o->id = sqlite3_column_int64(st, 0);
    o->shop = store_col_text(st, 1);
    o->marketplace = store_col_text(st, 2);
    o->external_id = store_col_text(st, 3);
    o->buyer_id = sqlite3_column_int64(st, 4);
    o->buyer_name = store_col_text(st, 5);
    o->buyer_external_id = store_col_text(st, 6);
    o->buyer_country = store_col_text(st, 7);
    o->buyer_language = store_col_text(st, 8);
    o->status = store_col_text(st, 9);
    o->currency = store_col_text(st, 10);
    o->total = store_col_text(st, 11);
    o->carrier = store_col_text(st, 12);
    o->tracking_number = store_col_text(st, 13);
    o->purchased_at = sqlite3_column_int64(st, 14);
    o->updated_at = sqlite3_column_int64(st, 15);
    o->shipped_at = sqlite3_column_int64(st, 16);
    o->estimated_delivery = sqlite3_column_int64(st, 17);
    o->ticket_count = sqlite3_column_int64(st, 18);
}

static int read_items(bd_store *s, store_order_row *o, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_ORDER_ITEMS,
                                  "SELECT sku, title, quantity, price FROM order_items"
                                  " WHERE order_id = ?1 ORDER BY position",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, o->id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (o->n_items == cap) {
            cap = cap ? cap * 2 : 4;
            o->items = bd_realloc(o->items, cap * sizeof *o->items);
        }
        bd_item *it = &o->items[o->n_items++];
        it->sku = store_col_text(st, 0);
        it->title = store_col_text(st, 1);
        it->quantity = sqlite3_column_int64(st, 2);
        it->price = store_col_text(st, 3);
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read order items");
    return 0;
}

int store_orders_list(bd_store *s, size_t limit, store_order_row **rows, size_t *n, bd_err *err)
{
    *rows = NULL;
    *n = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, ORDER_COLUMNS " ORDER BY o.purchased_at DESC, o.id DESC LIMIT ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "list orders");
    sqlite3_bind_int64(st, 1, limit ? (int64_t)limit : -1);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *rows = bd_realloc(*rows, cap * sizeof **rows);
        }
        read_order(st, &(*rows)[(*n)++]);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return store_fail(s, err, "list orders");
    for (size_t i = 0; i < *n; i++)
        if (read_items(s, &(*rows)[i], err)) return -1;
    return 0;
}

static int order_get_by(bd_store *s, int by_id, long long num, const char *ref,
                        store_order_row *row, bd_err *err)
{
    const char *sql = by_id ? ORDER_COLUMNS " WHERE o.id = ?1"
                            : ORDER_COLUMNS " WHERE o.external_id = ?1 ORDER BY o.id LIMIT 1";
    sqlite3_stmt *st = store_stmt(s, by_id ? ST_ORDER_GET_ID : ST_ORDER_GET_REF, sql, err);
    if (!st) return -1;
    if (by_id) sqlite3_bind_int64(st, 1, num);
    else sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) read_order(st, row);
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "get order");
    if (read_items(s, row, err)) return -1;
    return 1;
}

int store_order_get(bd_store *s, const char *ref, store_order_row *row, bd_err *err)
{
    memset(row, 0, sizeof *row);
    char *end = NULL;
    long long num = strtoll(ref, &end, 10);
    /* A number is an internal id first; marketplace ids can be all digits too. */
    if (*ref && end && !*end && num > 0) {
        int rc = order_get_by(s, 1, num, ref, row, err);
        if (rc != 0) return rc;
    }
    return order_get_by(s, 0, 0, ref, row, err);
}
