/* rank.c — each shop's buyers sorted by a loyalty metric, for the incremental recompute.
 *
 * A full recompute writes the sorted (value, buyer) pairs whole, in chunks of up to 4096
 * pairs (64 KB, little-endian) with their first and last value: a base that costs one
 * sequential write instead of four B-tree indexes over a million rows. Every later change
 * of a buyer's value is a row of loyalty_rank_delta (the buyer's value in the base and its
 * value now), so the ranking as it is now is the base with the delta applied. The questions
 * the engine asks — the nearest value above or below, how many buyers have a value, which
 * buyers lie in a range — are a binary search over the chunk directory and one chunk, plus
 * indexed lookups in the delta. The directory and the last chunk read are cached for the
 * length of one transaction. */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

#define RANK_CHUNK 4096
#define ENTRY_BYTES 16

typedef struct rank_dir {
    int64_t shop_id;
    int metric;
    size_t n_chunks;
    int64_t *first, *last, *count, *start; /* per chunk; start = global position */
    int64_t total;
    /* the last chunk decoded */
    int64_t cached_chunk;
    store_rank_entry *entries;
    size_t n_entries;
} rank_dir;

struct store_rank_cache {
    rank_dir *dirs;
    size_t n;
};

static void dir_free(rank_dir *d)
{
    free(d->first);
    free(d->last);
    free(d->count);
    free(d->start);
    free(d->entries);
}

void store_rank_cache_free(bd_store *s)
{
    if (!s->rank) return;
    for (size_t i = 0; i < s->rank->n; i++)
        dir_free(&s->rank->dirs[i]);
    free(s->rank->dirs);
    free(s->rank);
    s->rank = NULL;
}

static void put_le(unsigned char *p, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(u >> (8 * i));
}

static int64_t get_le(const unsigned char *p)
{
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--)
        u = (u << 8) | p[i];
    return (int64_t)u;
}

static int metric_ok(int metric, bd_err *err)
{
    if (metric < 0 || metric >= STORE_LM_COUNT_)
        return bd_err_set(err, "ranking: unknown metric %d", metric);
    return 0;
}

/* ---- the base ---- */

static int load_dir(bd_store *s, int64_t shop_id, int metric, rank_dir **out, bd_err *err)
{
    if (!s->rank) s->rank = bd_calloc(1, sizeof *s->rank);
    for (size_t i = 0; i < s->rank->n; i++)
        if (s->rank->dirs[i].shop_id == shop_id && s->rank->dirs[i].metric == metric) {
            *out = &s->rank->dirs[i];
            return 0;
        }
    sqlite3_stmt *st = store_stmt(s, ST_RK_DIR,
                                  "SELECT chunk, first_value, last_value, n FROM loyalty_rank"
                                  " WHERE shop_id = ?1 AND metric = ?2 ORDER BY chunk",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    sqlite3_bind_int(st, 2, metric);
    rank_dir d;
    memset(&d, 0, sizeof d);
    d.shop_id = shop_id;
    d.metric = metric;
    d.cached_chunk = -1;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_int64(st, 0) != (int64_t)d.n_chunks) {
            sqlite3_reset(st);
            dir_free(&d);
            return bd_err_set(err,
                              "ranking of shop %lld is damaged (chunk %lld missing); run"
                              " `borderdesk tiers recompute --full`",
                              (long long)shop_id, (long long)d.n_chunks);
        }
        if (d.n_chunks == cap) {
            cap = cap ? cap * 2 : 16;
            d.first = bd_realloc(d.first, cap * sizeof *d.first);
            d.last = bd_realloc(d.last, cap * sizeof *d.last);
            d.count = bd_realloc(d.count, cap * sizeof *d.count);
            d.start = bd_realloc(d.start, cap * sizeof *d.start);
        }
        d.first[d.n_chunks] = sqlite3_column_int64(st, 1);
        d.last[d.n_chunks] = sqlite3_column_int64(st, 2);
        d.count[d.n_chunks] = sqlite3_column_int64(st, 3);
        d.start[d.n_chunks] = d.total;
        d.total += d.count[d.n_chunks];
        d.n_chunks++;
    }
    if (rc != SQLITE_DONE) {
        dir_free(&d);
        return store_fail(s, err, "read ranking");
    }
    s->rank->dirs = bd_realloc(s->rank->dirs, (s->rank->n + 1) * sizeof *s->rank->dirs);
    s->rank->dirs[s->rank->n] = d;
    *out = &s->rank->dirs[s->rank->n++];
    return 0;
}

static void forget_dir(bd_store *s, int64_t shop_id, int metric)
{
    if (!s->rank) return;
    for (size_t i = 0; i < s->rank->n; i++)
        if (s->rank->dirs[i].shop_id == shop_id && s->rank->dirs[i].metric == metric) {
            dir_free(&s->rank->dirs[i]);
            s->rank->dirs[i] = s->rank->dirs[--s->rank->n];
            return;
        }
}

static int load_chunk(bd_store *s, rank_dir *d, size_t c, bd_err *err)
{
    if (d->cached_chunk == (int64_t)c) return 0;
    sqlite3_stmt *st = store_stmt(s, ST_RK_CHUNK,
                                  "SELECT data FROM loyalty_rank_chunk"
                                  " WHERE shop_id = ?1 AND metric = ?2 AND chunk = ?3",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, d->shop_id);
    sqlite3_bind_int(st, 2, d->metric);
    sqlite3_bind_int64(st, 3, (int64_t)c);
    if (sqlite3_step(st) != SQLITE_ROW) return store_fail(s, err, "read ranking chunk");
    const unsigned char *p = sqlite3_column_blob(st, 0);
    size_t bytes = (size_t)sqlite3_column_bytes(st, 0);
    if (bytes != (size_t)d->count[c] * ENTRY_BYTES) {
        sqlite3_reset(st);
        return bd_err_set(err,
                          "ranking of shop %lld is damaged (chunk %zu); run `borderdesk"
                          " tiers recompute --full`",
                          (long long)d->shop_id, c);
    }
    if (!d->entries) d->entries = bd_malloc(RANK_CHUNK * sizeof *d->entries);
    d->n_entries = (size_t)d->count[c];
    for (size_t i = 0; i < d->n_entries; i++) {
        d->entries[i].value = get_le(p + i * ENTRY_BYTES);
        d->entries[i].buyer_id = get_le(p + i * ENTRY_BYTES + 8);
    }
    sqlite3_reset(st);
    d->cached_chunk = (int64_t)c;
    return 0;
}

/* The global position of the first base entry with value > v (strict) or >= v. */
static int base_bound(bd_store *s, rank_dir *d, int64_t v, int strict, int64_t *pos, bd_err *err)
{
    size_t lo = 0, hi = d->n_chunks; /* first chunk whose last value passes */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strict ? d->last[mid] > v : d->last[mid] >= v)
            hi = mid;
        else
            lo = mid + 1;
    }
    if (lo == d->n_chunks) {
        *pos = d->total;
        return 0;
    }
    if (load_chunk(s, d, lo, err)) return -1;
    size_t a = 0, b = d->n_entries;
    while (a < b) {
        size_t mid = (a + b) / 2;
        if (strict ? d->entries[mid].value > v : d->entries[mid].value >= v)
            b = mid;
        else
            a = mid + 1;
    }
    *pos = d->start[lo] + (int64_t)a;
    return 0;
}

static int base_at(bd_store *s, rank_dir *d, int64_t pos, store_rank_entry *e, bd_err *err)
{
    size_t lo = 0, hi = d->n_chunks;
    while (lo + 1 < hi) {
        size_t mid = (lo + hi) / 2;
        if (d->start[mid] <= pos)
            lo = mid;
        else
            hi = mid;
    }
    if (load_chunk(s, d, lo, err)) return -1;
    *e = d->entries[pos - d->start[lo]];
    return 0;
}

int store_rank_rebuild(bd_store *s, int64_t shop_id, int metric, const store_rank_entry *e,
                       size_t n, bd_err *err)
{
    if (metric_ok(metric, err)) return -1;
    forget_dir(s, shop_id, metric);
    sqlite3_stmt *st = store_stmt(
        s, ST_RK_CLEAR, "DELETE FROM loyalty_rank WHERE shop_id = ?1 AND metric = ?2", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    sqlite3_bind_int(st, 2, metric);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "clear ranking");
    st = store_stmt(s, ST_RK_CLEAR_CHUNKS,
                    "DELETE FROM loyalty_rank_chunk WHERE shop_id = ?1 AND metric = ?2", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    sqlite3_bind_int(st, 2, metric);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "clear ranking");
    st = store_stmt(s, ST_RK_CLEAR_DELTA,
                    "DELETE FROM loyalty_rank_delta WHERE shop_id = ?1 AND metric = ?2", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    sqlite3_bind_int(st, 2, metric);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "clear ranking moves");
    unsigned char *buf = bd_malloc(RANK_CHUNK * ENTRY_BYTES);
    int rc = 0;
    for (size_t c = 0; c * RANK_CHUNK < n && !rc; c++) {
        size_t k = n - c * RANK_CHUNK < RANK_CHUNK ? n - c * RANK_CHUNK : RANK_CHUNK;
        const store_rank_entry *part = e + c * RANK_CHUNK;
        for (size_t i = 0; i < k; i++) {
            if (i && part[i].value < part[i - 1].value) {
                rc = bd_err_set(err, "ranking: entries are not sorted");
                break;
            }
            put_le(buf + i * ENTRY_BYTES, part[i].value);
            put_le(buf + i * ENTRY_BYTES + 8, part[i].buyer_id);
        }
        if (rc) break;
        st = store_stmt(s, ST_RK_PUT,
                        "INSERT INTO loyalty_rank(shop_id, metric, chunk, first_value,"
                        " last_value, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        err);
        if (!st) {
            rc = -1;
            break;
        }
        sqlite3_bind_int64(st, 1, shop_id);
        sqlite3_bind_int(st, 2, metric);
        sqlite3_bind_int64(st, 3, (int64_t)c);
        sqlite3_bind_int64(st, 4, part[0].value);
        sqlite3_bind_int64(st, 5, part[k - 1].value);
        sqlite3_bind_int64(st, 6, (int64_t)k);
        if (sqlite3_step(st) != SQLITE_DONE) rc = store_fail(s, err, "write ranking");
        sqlite3_reset(st);
        if (rc) break;
        st = store_stmt(s, ST_RK_PUT_CHUNK,
                        "INSERT INTO loyalty_rank_chunk(shop_id, metric, chunk, data)"
                        " VALUES (?1, ?2, ?3, ?4)",
                        err);
        if (!st) {
            rc = -1;
            break;
        }
        sqlite3_bind_int64(st, 1, shop_id);
        sqlite3_bind_int(st, 2, metric);
        sqlite3_bind_int64(st, 3, (int64_t)c);
        sqlite3_bind_blob(st, 4, buf, (int)(k * ENTRY_BYTES), SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) rc = store_fail(s, err, "write ranking");
        sqlite3_reset(st);
    }
    free(buf);
    return rc;
}

int store_rank_reset(bd_store *s, bd_err *err)
{
    store_rank_cache_free(s);
    char *msg = NULL;
    if (sqlite3_exec(s->db,
                     "DELETE FROM loyalty_rank; DELETE FROM loyalty_rank_chunk;"
                     " DELETE FROM loyalty_rank_delta;",
                     NULL, NULL, &msg) != SQLITE_OK) {
        sqlite3_free(msg);
        return store_fail(s, err, "reset rankings");
    }
    return 0;
}

/* ---- the moves since the base ---- */

int store_rank_move(bd_store *s, int64_t shop_id, int metric, int64_t buyer_id, int has_old,
                    int64_t old_value, int has_new, int64_t new_value, bd_err *err)
{
    if (metric_ok(metric, err)) return -1;
    if (has_old == has_new && (!has_old || old_value == new_value)) return 0;
    /* The base value stays what the base holds: a buyer already moved keeps its row. */
    sqlite3_stmt *st = store_stmt(
        s, ST_RK_MOVE,
        "INSERT INTO loyalty_rank_delta(shop_id, metric, buyer_id, base_value, cur_value)"
        " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (shop_id, metric, buyer_id)"
        " DO UPDATE SET cur_value = excluded.cur_value",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    sqlite3_bind_int(st, 2, metric);
    sqlite3_bind_int64(st, 3, buyer_id);
    if (has_old)
        sqlite3_bind_int64(st, 4, old_value);
    else
        sqlite3_bind_null(st, 4);
    if (has_new)
        sqlite3_bind_int64(st, 5, new_value);
    else
        sqlite3_bind_null(st, 5);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "record ranking move");
    return 0;
}

static int delta_count(bd_store *s, int64_t shop_id, int metric, int64_t v, int cur, int64_t *n,
                       bd_err *err)
{
    sqlite3_stmt *st = store_stmt(
        s, cur ? ST_RK_DCOUNT_CUR : ST_RK_DCOUNT_BASE,
        cur ? "SELECT count(*) FROM loyalty_rank_delta WHERE shop_id = ?1 AND metric = ?2"
              " AND cur_value = ?3"
            : "SELECT count(*) FROM loyalty_rank_delta WHERE shop_id = ?1 AND metric = ?2"
              " AND base_value = ?3",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    sqlite3_bind_int(st, 2, metric);
    sqlite3_bind_int64(st, 3, v);
    if (sqlite3_step(st) != SQLITE_ROW) return store_fail(s, err, "read ranking moves");
    *n = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

/* The nearest current value of a moved buyer strictly above (dir > 0) or below from. */
static int delta_next(bd_store *s, int64_t shop_id, int metric, int64_t from, int dir, int64_t *v,
                      bd_err *err)
{
    sqlite3_stmt *st =
        store_stmt(s, dir > 0 ? ST_RK_DNEXT_UP : ST_RK_DNEXT_DOWN,
                   dir > 0 ? "SELECT min(cur_value) FROM loyalty_rank_delta WHERE shop_id = ?1"
                             " AND metric = ?2 AND cur_value > ?3"
                           : "SELECT max(cur_value) FROM loyalty_rank_delta WHERE shop_id = ?1"
                             " AND metric = ?2 AND cur_value < ?3",
                   err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    sqlite3_bind_int(st, 2, metric);
    sqlite3_bind_int64(st, 3, from);
    if (sqlite3_step(st) != SQLITE_ROW) return store_fail(s, err, "read ranking moves");
    int found = sqlite3_column_type(st, 0) != SQLITE_NULL;
    if (found) *v = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return found;
}

/* How many buyers have value v now. */
static int count_now(bd_store *s, rank_dir *d, int64_t v, int64_t *n, bd_err *err)
{
    int64_t lo, hi, gone, came;
    if (base_bound(s, d, v, 0, &lo, err) || base_bound(s, d, v, 1, &hi, err) ||
        delta_count(s, d->shop_id, d->metric, v, 0, &gone, err) ||
        delta_count(s, d->shop_id, d->metric, v, 1, &came, err))
        return -1;
    *n = hi - lo - gone + came;
    return 0;
}

int store_loyalty_metric_next(bd_store *s, int64_t shop_id, int metric, int64_t from, int dir,
                              int64_t *value, int64_t *count, bd_err *err)
{
    if (metric_ok(metric, err)) return -1;
    rank_dir *d;
    if (load_dir(s, shop_id, metric, &d, err)) return -1;
    for (;;) {
        int have_base = 0, have_delta;
        int64_t base_v = 0, delta_v = 0, pos;
        if (dir > 0) {
            if (base_bound(s, d, from, 1, &pos, err)) return -1;
            if (pos < d->total) {
                store_rank_entry e;
                if (base_at(s, d, pos, &e, err)) return -1;
                base_v = e.value, have_base = 1;
            }
        } else {
            if (base_bound(s, d, from, 0, &pos, err)) return -1;
            if (pos > 0) {
                store_rank_entry e;
                if (base_at(s, d, pos - 1, &e, err)) return -1;
                base_v = e.value, have_base = 1;
            }
        }
        have_delta = delta_next(s, shop_id, metric, from, dir, &delta_v, err);
        if (have_delta < 0) return -1;
        if (!have_base && !have_delta) return 0;
        int64_t v = !have_base    ? delta_v
                    : !have_delta ? base_v
                    : dir > 0     ? (base_v < delta_v ? base_v : delta_v)
                                  : (base_v > delta_v ? base_v : delta_v);
        int64_t n;
        if (count_now(s, d, v, &n, err)) return -1;
        if (n > 0) {
            *value = v;
            *count = n;
            return 1;
        }
        from = v; /* every buyer at v moved away: look further */
    }
}

typedef struct id_list {
    int64_t *v;
    size_t n, cap;
} id_list;

static void id_push(id_list *l, int64_t id)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = bd_realloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = id;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int store_rank_range(bd_store *s, int64_t shop_id, int metric, int64_t lo, int64_t hi,
                     store_id_fn fn, void *ud, bd_err *err)
{
    if (metric_ok(metric, err)) return -1;
    if (hi <= lo) return 0;
    rank_dir *d;
    if (load_dir(s, shop_id, metric, &d, err)) return -1;
    /* moved buyers: their base entries are stale */
    id_list moved = {0};
    sqlite3_stmt *st = store_stmt(s, ST_RK_MOVED,
                                  "SELECT buyer_id FROM loyalty_rank_delta"
                                  " WHERE shop_id = ?1 AND metric = ?2",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    sqlite3_bind_int(st, 2, metric);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        id_push(&moved, sqlite3_column_int64(st, 0));
    if (rc != SQLITE_DONE) {
        free(moved.v);
        return store_fail(s, err, "read ranking moves");
    }
    if (moved.n) qsort(moved.v, moved.n, sizeof *moved.v, cmp_id);
    int64_t a, b;
    rc = base_bound(s, d, lo, 0, &a, err) || base_bound(s, d, hi, 0, &b, err) ? -1 : 0;
    for (int64_t p = a; p < b && !rc; p++) {
        store_rank_entry e;
        if (base_at(s, d, p, &e, err)) {
            rc = -1;
            break;
        }
        if (moved.n && bsearch(&e.buyer_id, moved.v, moved.n, sizeof *moved.v, cmp_id)) continue;
        rc = fn(ud, e.buyer_id, err);
    }
    free(moved.v);
    if (rc) return -1;
    st = store_stmt(s, ST_RK_DRANGE,
                    "SELECT buyer_id FROM loyalty_rank_delta WHERE shop_id = ?1 AND metric = ?2"
                    " AND cur_value >= ?3 AND cur_value < ?4",
                    err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    sqlite3_bind_int(st, 2, metric);
    sqlite3_bind_int64(st, 3, lo);
    sqlite3_bind_int64(st, 4, hi);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (fn(ud, sqlite3_column_int64(st, 0), err)) {
            sqlite3_reset(st);
            return -1;
        }
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read ranking moves");
    return 0;
}
