/* blacklist.c — the buyer blacklist (set by a person, with a reason) and the suspicion
 * flags the loyalty engine raises for a person to confirm or dismiss. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void store_blacklist_entry_clear(store_blacklist_entry *e)
{
    if (!e) return;
    free(e->shop);
    free(e->buyer_external_id);
    free(e->buyer_name);
    free(e->reason);
    free(e->added_by);
    memset(e, 0, sizeof *e);
}

void store_blacklist_entries_free(store_blacklist_entry *e, size_t n)
{
    for (size_t i = 0; e && i < n; i++)
        store_blacklist_entry_clear(&e[i]);
    free(e);
}

#define BLACKLIST_COLUMNS                                                                          \
    "SELECT x.buyer_id, b.shop_id, coalesce(x.flag_id, 0), x.added_at, s.name, b.external_id,"     \
    " b.name, x.reason, x.added_by FROM buyer_blacklist x JOIN buyers b ON b.id = x.buyer_id"      \
    " JOIN shops s ON s.id = b.shop_id"

static void read_entry(sqlite3_stmt *st, store_blacklist_entry *e)
{
    e->buyer_id = sqlite3_column_int64(st, 0);
    e->shop_id = sqlite3_column_int64(st, 1);
    e->flag_id = sqlite3_column_int64(st, 2);
    e->added_at = sqlite3_column_int64(st, 3);
    e->shop = store_col_text(st, 4);
    e->buyer_external_id = store_col_text(st, 5);
    e->buyer_name = store_col_text(st, 6);
    e->reason = store_col_text(st, 7);
    e->added_by = store_col_text(st, 8);
}

int store_blacklist_get(bd_store *s, int64_t buyer_id, store_blacklist_entry *e, bd_err *err)
{
    if (e) memset(e, 0, sizeof *e);
    sqlite3_stmt *st = store_stmt(s, ST_BL_GET, BLACKLIST_COLUMNS " WHERE x.buyer_id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, buyer_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "read blacklist");
    if (e) read_entry(st, e);
    sqlite3_reset(st);
    return 1;
}

int store_blacklist_add(bd_store *s, int64_t buyer_id, const char *reason, const char *by,
                        int64_t at, int64_t flag_id, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_BL_ADD,
                                  "INSERT INTO buyer_blacklist(buyer_id, reason, added_by,"
                                  " added_at, flag_id) VALUES (?1, ?2, ?3, ?4, ?5)",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, buyer_id);
    store_bind_text(st, 2, reason);
    store_bind_text(st, 3, by);
    sqlite3_bind_int64(st, 4, at);
    store_bind_time(st, 5, flag_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT) {
        sqlite3_reset(st);
        return bd_err_set(err, "buyer %lld is already blacklisted", (long long)buyer_id);
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "blacklist buyer");
    return 0;
}

int store_blacklist_remove(bd_store *s, int64_t buyer_id, bd_err *err)
{
    sqlite3_stmt *st =
        store_stmt(s, ST_BL_REMOVE, "DELETE FROM buyer_blacklist WHERE buyer_id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, buyer_id);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "remove from blacklist");
    return sqlite3_changes(s->db) > 0 ? 1 : 0;
}

int store_blacklist_list(bd_store *s, store_blacklist_entry **out, size_t *n, bd_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st =
        store_stmt(s, ST_BL_LIST, BLACKLIST_COLUMNS " ORDER BY x.added_at, x.buyer_id", err);
    if (!st) return -1;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = bd_realloc(*out, cap * sizeof **out);
        }
        store_blacklist_entry *e = &(*out)[(*n)++];
        memset(e, 0, sizeof *e);
        read_entry(st, e);
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "list blacklist");
    return 0;
}

/* ---- flags ---- */

void store_buyer_flag_clear(store_buyer_flag *f)
{
    if (!f) return;
    free(f->evidence);
    free(f->decided_by);
    free(f->decision);
    free(f->shop);
    free(f->buyer_external_id);
    free(f->buyer_name);
    memset(f, 0, sizeof *f);
}

void store_buyer_flags_free(store_buyer_flag *f, size_t n)
{
    for (size_t i = 0; f && i < n; i++)
        store_buyer_flag_clear(&f[i]);
    free(f);
}

#define FLAG_COLUMNS                                                                               \
    "SELECT f.id, f.buyer_id, b.shop_id, f.level, f.raised_at, coalesce(f.decided_at, 0),"         \
    " f.kind, f.status, f.evidence, f.decided_by, f.decision, s.name, b.external_id, b.name"       \
    " FROM buyer_flags f JOIN buyers b ON b.id = f.buyer_id JOIN shops s ON s.id = b.shop_id"

static void read_flag(sqlite3_stmt *st, store_buyer_flag *f)
{
    memset(f, 0, sizeof *f);
    f->id = sqlite3_column_int64(st, 0);
    f->buyer_id = sqlite3_column_int64(st, 1);
    f->shop_id = sqlite3_column_int64(st, 2);
    f->level = sqlite3_column_int64(st, 3);
    f->raised_at = sqlite3_column_int64(st, 4);
    f->decided_at = sqlite3_column_int64(st, 5);
    snprintf(f->kind, sizeof f->kind, "%s", (const char *)sqlite3_column_text(st, 6));
    snprintf(f->status, sizeof f->status, "%s", (const char *)sqlite3_column_text(st, 7));
    f->evidence = store_col_text(st, 8);
    f->decided_by = store_col_text(st, 9);
    f->decision = store_col_text(st, 10);
    f->shop = store_col_text(st, 11);
    f->buyer_external_id = store_col_text(st, 12);
    f->buyer_name = store_col_text(st, 13);
}

static int one_flag(bd_store *s, sqlite3_stmt *st, store_buyer_flag *f, bd_err *err)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return 0;
    if (rc != SQLITE_ROW) return store_fail(s, err, "read flag");
    read_flag(st, f);
    sqlite3_reset(st);
    return 1;
}

int store_flag_latest(bd_store *s, int64_t buyer_id, const char *kind, store_buyer_flag *f,
                      bd_err *err)
{
    memset(f, 0, sizeof *f);
    sqlite3_stmt *st = store_stmt(s, ST_FLAG_LATEST,
                                  FLAG_COLUMNS " WHERE f.buyer_id = ?1 AND f.kind = ?2"
                                               " ORDER BY f.id DESC LIMIT 1",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, buyer_id);
    store_bind_text(st, 2, kind);
    return one_flag(s, st, f, err);
}

int store_flag_get(bd_store *s, int64_t id, store_buyer_flag *f, bd_err *err)
{
    memset(f, 0, sizeof *f);
    sqlite3_stmt *st = store_stmt(s, ST_FLAG_GET, FLAG_COLUMNS " WHERE f.id = ?1", err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    return one_flag(s, st, f, err);
}

int store_flag_add(bd_store *s, int64_t buyer_id, const char *kind, int64_t level,
                   const char *evidence_json, int64_t at, int64_t *id, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_FLAG_ADD,
                                  "INSERT INTO buyer_flags(buyer_id, kind, status, level,"
                                  " evidence, raised_at) VALUES (?1, ?2, 'open', ?3, ?4, ?5)",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, buyer_id);
    store_bind_text(st, 2, kind);
    sqlite3_bind_int64(st, 3, level);
    store_bind_text(st, 4, evidence_json);
    sqlite3_bind_int64(st, 5, at);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "raise flag");
    if (id) *id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int store_flag_decide(bd_store *s, int64_t id, const char *status, const char *by,
                      const char *decision, int64_t at, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_FLAG_DECIDE,
                                  "UPDATE buyer_flags SET status = ?2, decided_by = ?3,"
                                  " decision = ?4, decided_at = ?5"
                                  " WHERE id = ?1 AND status = 'open'",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    store_bind_text(st, 2, status);
    store_bind_text(st, 3, by);
    store_bind_text(st, 4, decision);
    sqlite3_bind_int64(st, 5, at);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "decide flag");
    return sqlite3_changes(s->db) > 0 ? 1 : 0;
}

int store_flags_list(bd_store *s, const char *status, store_buyer_flag **out, size_t *n,
                     bd_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = store_stmt(s, ST_FLAG_LIST,
                                  FLAG_COLUMNS " WHERE ?1 IS NULL OR f.status = ?1"
                                               " ORDER BY f.id DESC",
                                  err);
    if (!st) return -1;
    store_bind_text(st, 1, status);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = bd_realloc(*out, cap * sizeof **out);
        }
        read_flag(st, &(*out)[(*n)++]);
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "list flags");
    return 0;
}
