/* auth.c — what the service stores about who may use it: password hashes and roles,
 * login sessions and API tokens (both kept only as SHA-256 hashes of the secret). */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- users ---- */

void store_user_auth_clear(store_user_auth *u)
{
    if (!u) return;
    free(u->name);
    free(u->role);
    free(u->password_hash);
    memset(u, 0, sizeof *u);
}

int store_user_auth_get(bd_store *s, const char *name, store_user_auth *u, bd_err *err)
{
    memset(u, 0, sizeof *u);
    sqlite3_stmt *st = store_stmt(
        s, ST_USER_AUTH,
        "SELECT id, name, role, password_hash, disabled FROM users WHERE name = ?1", err);
    if (!st) return -1;
    store_bind_text(st, 1, name);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        u->id = sqlite3_column_int64(st, 0);
        u->name = store_col_text(st, 1);
        u->role = store_col_text(st, 2);
        u->password_hash = store_col_text(st, 3);
        u->disabled = sqlite3_column_int(st, 4);
        sqlite3_reset(st);
        return 1;
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "find user");
    return 0;
}

static int update_user(bd_store *s, sqlite3_stmt *st, const char *name, bd_err *err)
{
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "update user");
    if (sqlite3_changes(s->db) == 0) return bd_err_set(err, "no user \"%s\"", name);
    return 0;
}

int store_user_set_password(bd_store *s, const char *name, const char *hash, bd_err *err)
{
    sqlite3_stmt *st =
        store_stmt(s, ST_USER_PASSWORD, "UPDATE users SET password_hash = ?2 WHERE name = ?1", err);
    if (!st) return -1;
    store_bind_text(st, 1, name);
    store_bind_text(st, 2, hash);
    return update_user(s, st, name, err);
}

int store_user_set_role(bd_store *s, const char *name, const char *role, bd_err *err)
{
    sqlite3_stmt *st =
        store_stmt(s, ST_USER_ROLE, "UPDATE users SET role = ?2 WHERE name = ?1", err);
    if (!st) return -1;
    store_bind_text(st, 1, name);
    store_bind_text(st, 2, role);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT)
        return bd_err_set(err, "unknown role \"%s\" (agent, lead, admin)", role);
    if (rc != SQLITE_DONE) return store_fail(s, err, "update user");
    if (sqlite3_changes(s->db) == 0) return bd_err_set(err, "no user \"%s\"", name);
    return 0;
}

/* ---- sessions ---- */

int store_session_add(bd_store *s, const char *token_hash, int64_t user_id, const char *csrf_token,
                      int64_t created_at, int64_t expires_at, const char *remote, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(
        s, ST_SESSION_INSERT,
        "INSERT INTO sessions(token_hash, user_id, csrf_token, created_at, expires_at, remote)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        err);
    if (!st) return -1;
    store_bind_text(st, 1, token_hash);
    sqlite3_bind_int64(st, 2, user_id);
    store_bind_text(st, 3, csrf_token);
    sqlite3_bind_int64(st, 4, created_at);
    sqlite3_bind_int64(st, 5, expires_at);
    store_bind_text(st, 6, remote);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "create session");
    return 0;
}

void store_session_clear(store_session *ss)
{
    if (!ss) return;
    free(ss->user_name);
    free(ss->role);
    free(ss->csrf_token);
    memset(ss, 0, sizeof *ss);
}

int store_session_find(bd_store *s, const char *token_hash, int64_t now, store_session *ss,
                       bd_err *err)
{
    memset(ss, 0, sizeof *ss);
    sqlite3_stmt *st = store_stmt(
        s, ST_SESSION_FIND,
        "SELECT x.user_id, x.created_at, x.expires_at, u.name, u.role, x.csrf_token, u.disabled"
        " FROM sessions x JOIN users u ON u.id = x.user_id"
        " WHERE x.token_hash = ?1 AND x.expires_at > ?2",
        err);
    if (!st) return -1;
    store_bind_text(st, 1, token_hash);
    sqlite3_bind_int64(st, 2, now);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        ss->user_id = sqlite3_column_int64(st, 0);
        ss->created_at = sqlite3_column_int64(st, 1);
        ss->expires_at = sqlite3_column_int64(st, 2);
        ss->user_name = store_col_text(st, 3);
        ss->role = store_col_text(st, 4);
        ss->csrf_token = store_col_text(st, 5);
        ss->disabled = sqlite3_column_int(st, 6);
        sqlite3_reset(st);
        return 1;
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "find session");
    return 0;
}

int store_session_delete(bd_store *s, const char *token_hash, bd_err *err)
{
    sqlite3_stmt *st =
        store_stmt(s, ST_SESSION_DELETE, "DELETE FROM sessions WHERE token_hash = ?1", err);
    if (!st) return -1;
    store_bind_text(st, 1, token_hash);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "end session");
    return 0;
}

int store_sessions_expire(bd_store *s, int64_t now, int64_t *n, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_SESSION_EXPIRE,
                                  "DELETE FROM sessions WHERE expires_at <= ?1"
                                  " OR user_id IN (SELECT id FROM users WHERE disabled)",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, now);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "expire sessions");
    *n = sqlite3_changes(s->db);
    return 0;
}

/* ---- API tokens ---- */

void store_token_clear(store_token *t)
{
    if (!t) return;
    free(t->user_name);
    free(t->role);
    free(t->prefix);
    free(t->label);
    free(t->scope);
    memset(t, 0, sizeof *t);
}

void store_tokens_free(store_token *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++)
        store_token_clear(&t[i]);
    free(t);
}

#define TOKEN_COLUMNS                                                                              \
    "SELECT k.id, k.user_id, k.created_at, coalesce(k.last_used_at, 0),"                           \
    " coalesce(k.revoked_at, 0), u.name, u.role, k.prefix, k.label, k.scope, u.disabled"           \
    " FROM api_tokens k JOIN users u ON u.id = k.user_id"

static void read_token(sqlite3_stmt *st, store_token *t)
{
    t->id = sqlite3_column_int64(st, 0);
    t->user_id = sqlite3_column_int64(st, 1);
    t->created_at = sqlite3_column_int64(st, 2);
    t->last_used_at = sqlite3_column_int64(st, 3);
    t->revoked_at = sqlite3_column_int64(st, 4);
    t->user_name = store_col_text(st, 5);
    t->role = store_col_text(st, 6);
    t->prefix = store_col_text(st, 7);
    t->label = store_col_text(st, 8);
    t->scope = store_col_text(st, 9);
    t->user_disabled = sqlite3_column_int(st, 10);
}

int store_token_add(bd_store *s, int64_t user_id, const char *token_hash, const char *prefix,
                    const char *label, const char *scope, int64_t at, int64_t *id, bd_err *err)
{
    sqlite3_stmt *st =
        store_stmt(s, ST_TOKEN_INSERT,
                   "INSERT INTO api_tokens(user_id, token_hash, prefix, label, scope, created_at)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                   err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, user_id);
    store_bind_text(st, 2, token_hash);
    store_bind_text(st, 3, prefix);
    store_bind_text(st, 4, label);
    store_bind_text(st, 5, scope);
    sqlite3_bind_int64(st, 6, at);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT)
        return bd_err_set(err, "unknown scope \"%s\" (read, write, sync, admin)", scope);
    if (rc != SQLITE_DONE) return store_fail(s, err, "create token");
    *id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

static int token_one(bd_store *s, sqlite3_stmt *st, store_token *t, bd_err *err)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        read_token(st, t);
        sqlite3_reset(st);
        return 1;
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "find token");
    return 0;
}

int store_token_find(bd_store *s, const char *token_hash, store_token *t, bd_err *err)
{
    memset(t, 0, sizeof *t);
    sqlite3_stmt *st = store_stmt(s, ST_TOKEN_FIND, TOKEN_COLUMNS " WHERE k.token_hash = ?1", err);
    if (!st) return -1;
    store_bind_text(st, 1, token_hash);
    return token_one(s, st, t, err);
}

int store_token_get(bd_store *s, int64_t id, store_token *t, bd_err *err)
{
    memset(t, 0, sizeof *t);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, TOKEN_COLUMNS " WHERE k.id = ?1", -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "find token");
    sqlite3_bind_int64(st, 1, id);
    int rc = token_one(s, st, t, err);
    sqlite3_finalize(st);
    return rc;
}

int store_token_used(bd_store *s, int64_t id, int64_t at, int64_t granularity, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_TOKEN_USED,
                                  "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1"
                                  " AND coalesce(last_used_at, 0) <= ?2 - ?3",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    sqlite3_bind_int64(st, 3, granularity);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "record token use");
    return 0;
}

int store_token_revoke(bd_store *s, int64_t id, int64_t at, bd_err *err)
{
    sqlite3_stmt *st = store_stmt(s, ST_TOKEN_REVOKE,
                                  "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1"
                                  " AND revoked_at IS NULL",
                                  err);
    if (!st) return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, at);
    if (sqlite3_step(st) != SQLITE_DONE) return store_fail(s, err, "revoke token");
    return sqlite3_changes(s->db) > 0;
}

int store_tokens_list(bd_store *s, const char *user, store_token **out, size_t *n, bd_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = store_stmt(s, ST_TOKEN_LIST,
                                  TOKEN_COLUMNS " WHERE ?1 IS NULL OR u.name = ?1"
                                                " ORDER BY k.id DESC",
                                  err);
    if (!st) return -1;
    store_bind_text(st, 1, user);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = bd_realloc(*out, cap * sizeof **out);
        }
        store_token *t = &(*out)[(*n)++];
        memset(t, 0, sizeof *t);
        read_token(st, t);
    }
    if (rc != SQLITE_DONE) return store_fail(s, err, "list tokens");
    return 0;
}
