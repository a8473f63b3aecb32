/* users.c — the people who work tickets, and the sync checkpoints. */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

void store_user_clear(store_user *u)
{
    if (!u) return;
    free(u->name);
    free(u->display_name);
    free(u->role);
    memset(u, 0, sizeof *u);
}

void store_users_free(store_user *u, size_t n)
{
    for (size_t i = 0; u && i < n; i++) store_user_clear(&u[i]);
    free(u);
}

static void read_user(sqlite3_stmt *st, store_user *u)
{
    u->id = sqlite3_column_int64(st, 0);
    u->name = store_col_text(st, 1);
    u->display_name = store_col_text(st, 2);
    u->role = store_col_text(st, 3);
    u->disabled = sqlite3_column_int(st, 4);
    u->created_at = sqlite3_column_int64(st, 5);
}

int store_user_get(bd_store *s, const char *name, store_user *u, bd_err *err)
{
    memset(u, 0, sizeof *u);
    sqlite3_stmt *st = store_stmt(s, ST_USER_GET,
                                  "SELECT id, name, display_name, role, disabled, created_at"
                                  " FROM users WHERE name = ?1",
                                  err);
    if (!st) return -1;
    store_bind_text(st, 1, name);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_user(st, u);
        sqlite3_reset(st);
        return 1;
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "find user");
    return 0;
}

int store_user_add(bd_store *s, const char *name, const char *display_name, const char *role,
                   int64_t at, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_USER_INSERT,
                                  "INSERT INTO users(name, display_name, role, created_at)"
                                  " VALUES (?1, ?2, ?3, ?4)",
                                  err);
    if (!st) return -1;
    store_bind_text(st, 1, name);
    store_bind_text(st, 2, display_name);
    store_bind_text(st, 3, role);
    sqlite3_bind_int64(st, 4, at);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT) return bd_err_set(err, "user \"%s\" already exists", name);
    if (rc != SQLITE_DONE) return store_fail(s, err, "add user");
    return 0;
}

int store_user_set_disabled(bd_store *s, const char *name, int disabled, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_USER_DISABLE,
                                  "UPDATE users SET disabled = ?2 WHERE name = ?1", err);
    if (!st) return -1;
    store_bind_text(st, 1, name);
    sqlite3_bind_int(st, 2, disabled);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "update user");
    if (sqlite3_changes(s->db) == 0) return bd_err_set(err, "no user \"%s\"", name);
    return 0;
}

int store_users_list(bd_store *s, store_user **out, size_t *n, bd_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = store_stmt(s, ST_USER_LIST,
                                  "SELECT id, name, display_name, role, disabled, created_at"
                                  " FROM users ORDER BY name",
                                  err);
    if (!st) return -1;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = bd_realloc(*out, cap * sizeof **out);
        }
        read_user(st, &(*out)[(*n)++]);
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "list users");
    return 0;
}

int store_checkpoint_get(bd_store *s, int64_t shop_id, const char *resource, char **cursor,
                         bd_err *err)
{
    *cursor = NULL;
    sqlite3_stmt *st = store_stmt(
        s, ST_CKPT_GET, "SELECT cursor FROM sync_checkpoints WHERE shop_id = ?1 AND resource = ?2",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    store_bind_text(st, 2, resource);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *cursor = store_col_text(st, 0);
        sqlite3_reset(st);
        return 0;
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "read checkpoint");
    return 0;
}

int store_checkpoint_set(bd_store *s, int64_t shop_id, const char *resource,
                         const char *cursor, int64_t at, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(
        s, ST_CKPT_SET,
        "INSERT INTO sync_checkpoints(shop_id, resource, cursor, updated_at)"
        " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (shop_id, resource) DO UPDATE SET"
        " cursor = excluded.cursor, updated_at = excluded.updated_at",
        err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, shop_id);
    store_bind_text(st, 2, resource);
    store_bind_text(st, 3, cursor);
    sqlite3_bind_int64(st, 4, at);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "write checkpoint");
    return 0;
}
