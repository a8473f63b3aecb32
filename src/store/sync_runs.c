/* sync_runs.c — the record of sync runs (migration 9): when each shop's resource was last
 * synced, by whom, with what result. Runs are rare (minutes apart), so the statements are
 * prepared per call instead of taking slots in the statement cache. */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

int store_sync_run_start(bd_store *s, const char *shop, const char *resource, const char *actor,
                         int64_t at, int64_t *id, bd_err *err)
{
    *id = 0;
    if (store_begin(s, err)) return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO sync_runs(shop, resource, actor, started_at)"
                           " VALUES (?1, ?2, ?3, ?4)",
                           -1, &st, NULL) != SQLITE_OK) {
        store_fail(s, err, "record a sync run");
        store_rollback(s);
        return -1;
    }
    store_bind_text(st, 1, shop);
    store_bind_text(st, 2, resource);
    store_bind_text(st, 3, actor);
    sqlite3_bind_int64(st, 4, at);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        store_fail(s, err, "record a sync run");
        store_rollback(s);
        return -1;
    }
    *id = sqlite3_last_insert_rowid(s->db);
    return store_commit(s, err);
}

static int finish_row(bd_store *s, int64_t id, int64_t at, int ok, const char *error,
                      const char *counts, bd_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "UPDATE sync_runs SET finished_at = ?2, ok = ?3, error = ?4, counts = ?5"
                           " WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "record the end of a sync run");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    sqlite3_bind_int(st, 3, ok);
    store_bind_text(st, 4, error);
    store_bind_text(st, 5, counts);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : store_fail(s, err, "record the end of a sync run");
}

/* Keeps the newest STORE_SYNC_RUNS_KEPT rows of the run's shop and resource. */
static int prune(bd_store *s, int64_t id, bd_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db,
                           "DELETE FROM sync_runs WHERE id IN (SELECT o.id FROM sync_runs r"
                           " JOIN sync_runs o ON o.shop = r.shop AND o.resource = r.resource"
                           " WHERE r.id = ?1 ORDER BY o.id DESC LIMIT -1 OFFSET ?2)",
                           -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "prune sync runs");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, STORE_SYNC_RUNS_KEPT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : store_fail(s, err, "prune sync runs");
}

int store_sync_run_finish(bd_store *s, int64_t id, int64_t at, int ok, const char *error,
                          const char *counts, bd_err *err)
{
    if (store_begin(s, err)) return -1;
    if (finish_row(s, id, at, ok, error, counts, err) || prune(s, id, err)) {
        store_rollback(s);
        return -1;
    }
    return store_commit(s, err);
}

int store_sync_runs_list(bd_store *s, const char *shop, const char *resource, int last_only,
                         int limit, store_sync_run **out, size_t *n, bd_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st;
    const char *sql =
        last_only
            ? "SELECT id, shop, resource, actor, started_at, finished_at, ok, error, counts"
              " FROM sync_runs r WHERE (?1 IS NULL OR shop = ?1) AND (?2 IS NULL OR resource = ?2)"
              " AND id = (SELECT max(id) FROM sync_runs l WHERE l.shop = r.shop"
              "           AND l.resource = r.resource)"
              " ORDER BY id DESC LIMIT ?3"
            : "SELECT id, shop, resource, actor, started_at, finished_at, ok, error, counts"
              " FROM sync_runs WHERE (?1 IS NULL OR shop = ?1) AND (?2 IS NULL OR resource = ?2)"
              " ORDER BY id DESC LIMIT ?3";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "read sync runs");
    store_bind_text(st, 1, shop);
    store_bind_text(st, 2, resource);
    sqlite3_bind_int(st, 3, limit > 0 ? limit : -1);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = bd_realloc(*out, cap * sizeof **out);
        }
        store_sync_run *r = &(*out)[(*n)++];
        r->id = sqlite3_column_int64(st, 0);
        r->shop = store_col_text(st, 1);
        r->resource = store_col_text(st, 2);
        r->actor = store_col_text(st, 3);
        r->started_at = sqlite3_column_int64(st, 4);
        r->finished_at = sqlite3_column_int64(st, 5);
        r->ok = sqlite3_column_int(st, 6);
        r->error = store_col_text(st, 7);
        r->counts = store_col_text(st, 8);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        store_sync_runs_free(*out, *n);
        *out = NULL;
        *n = 0;
        return store_fail(s, err, "read sync runs");
    }
    return 0;
}

void store_sync_runs_free(store_sync_run *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        free(rows[i].shop);
        free(rows[i].resource);
        free(rows[i].actor);
        free(rows[i].error);
        free(rows[i].counts);
    }
    free(rows);
}
