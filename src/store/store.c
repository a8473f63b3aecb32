/* store.c — opening the database, migrations, transactions and the statement cache. */
#include "store_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORE_BUSY_TIMEOUT_MS 5000

sqlite3_stmt *store_stmt(bd_store *s, int id, const char *sql, bd_err *err)
{
    sqlite3_stmt *st = s->stmts[id];
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return st;
    }
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        store_fail(s, err, "prepare");
        return NULL;
    }
    s->stmts[id] = st;
    return st;
}

int store_fail(bd_store *s, bd_err *err, const char *what)
{
    int code = sqlite3_errcode(s->db);
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        return bd_err_set(err, "database %s is locked by another process (waited %d ms)",
                          s->path, STORE_BUSY_TIMEOUT_MS);
    if (code == SQLITE_READONLY)
        return bd_err_set(err, "database %s is read-only: %s", s->path, sqlite3_errmsg(s->db));
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
        return bd_err_set(err, "%s is not a borderdesk database (not a SQLite file, or damaged)",
                          s->path);
    if (code == SQLITE_FULL) return bd_err_set(err, "database %s: disk full", s->path);
    return bd_err_set(err, "database %s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

void store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v) sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, i);
}

void store_bind_time(sqlite3_stmt *st, int i, int64_t v)
{
    if (v) sqlite3_bind_int64(st, i, v);
    else sqlite3_bind_null(st, i);
}

char *store_col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? bd_strdup((const char *)t) : NULL;
}

static int exec(bd_store *s, const char *sql, bd_err *err, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = store_fail(s, err, what);
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

static int pragma_int(bd_store *s, const char *sql, int *out, bd_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return store_fail(s, err, "read header");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return store_fail(s, err, "read header");
    return 0;
}

static int current_version(bd_store *s, int *version, bd_err *err)
{
    int has = 0;
    if (pragma_int(s,
                   "SELECT count(*) FROM sqlite_master WHERE type='table' AND "
                   "name='schema_version'",
                   &has, err))
        return -1;
    *version = 0;
    if (!has) return 0;
    return pragma_int(s, "SELECT coalesce(max(version),0) FROM schema_version", version, err);
}

static int migrate(bd_store *s, int from, bd_err *err)
{
    for (int i = 0; i < store_n_migrations; i++) {
        const store_migration *m = &store_migrations[i];
        if (m->version <= from) continue;
        if (store_begin(s, err)) return -1;
        char *sql = sqlite3_mprintf("%s;INSERT INTO schema_version(version, description, "
                                    "applied_at) VALUES (%d, %Q, unixepoch());",
                                    m->sql, m->version, m->description);
        int rc = exec(s, sql, err, "migration");
        sqlite3_free(sql);
        if (rc) {
            char msg[sizeof err->msg];
            memcpy(msg, err->msg, sizeof msg);
            store_rollback(s);
            return bd_err_set(err, "migration %d failed: %s", m->version, msg);
        }
        if (store_commit(s, err)) return -1;
    }
    return 0;
}

/* Checks the file header: ours, empty (new), or someone else's. */
static int check_identity(bd_store *s, int *fresh, bd_err *err)
{
    int app = 0, tables = 0;
    if (pragma_int(s, "PRAGMA application_id", &app, err)) return -1;
    if (pragma_int(s, "SELECT count(*) FROM sqlite_master", &tables, err)) return -1;
    *fresh = (app == 0 && tables == 0);
    if (!*fresh && app != STORE_APPLICATION_ID)
        return bd_err_set(err, "%s is a SQLite database but not a borderdesk database", s->path);
    return 0;
}

/* SQLite's memory statistics take a global mutex on every allocation (a hundred per stored
 * message); borderdesk never reads them. Must precede SQLite's initialisation: a process
 * that used SQLite before its first store_open keeps them (sqlite3_config then refuses). */
static void sqlite_setup(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int store_open(const char *path, int flags, bd_store **out, bd_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, sqlite_setup);
    *out = NULL;
    struct stat stt;
    int exists = stat(path, &stt) == 0;
    if (!exists && !(flags & STORE_OPEN_CREATE))
        return bd_err_set(err, "database %s does not exist (run `borderdesk init` first)", path);
    if (exists && S_ISDIR(stt.st_mode)) return bd_err_set(err, "%s is a directory", path);
    if (exists && !(flags & STORE_OPEN_READONLY) && access(path, W_OK) != 0)
        return bd_err_set(err, "database %s is read-only (%s)", path, strerror(errno));
    if (!exists && bd_mkdir_parent(path, err)) return -1;

    bd_store *s = bd_calloc(1, sizeof *s);
    s->path = bd_strdup(path);
    s->readonly = (flags & STORE_OPEN_READONLY) != 0;
    int oflags = s->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path, &s->db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        bd_err_set(err, "cannot open database %s: %s", path,
                   s->db ? sqlite3_errmsg(s->db) : "out of memory");
        store_close(s);
        return -1;
    }
    sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(s->db, 0);

    int fresh = 0, version = 0;
    if (check_identity(s, &fresh, err)) goto fail;
    if (!s->readonly) {
        if (exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;", err, "set WAL"))
            goto fail;
    }
    if (exec(s, "PRAGMA foreign_keys=ON;", err, "pragma")) goto fail;
    if (current_version(s, &version, err)) goto fail;
    if (version > store_schema_latest()) {
        bd_err_set(err,
                   "database %s has schema version %d, newer than this borderdesk (%d): "
                   "upgrade borderdesk",
                   path, version, store_schema_latest());
        goto fail;
    }
    if (version < store_schema_latest() && s->readonly && access(path, W_OK) == 0) {
        /* a reader of an older database upgrades it once, when it may write */
        store_close(s);
        return store_open(path, flags & ~STORE_OPEN_READONLY, out, err) ? -1
               : ((*out)->readonly = 1, 0);
    }
    if (version < store_schema_latest()) {
        if (s->readonly) {
            bd_err_set(err, "database %s has schema version %d and needs an upgrade to %d; "
                       "open it writable once", path, version, store_schema_latest());
            goto fail;
        }
        if (fresh) {
            char sql[256];
            snprintf(sql, sizeof sql, "PRAGMA application_id=%d;"
                     "CREATE TABLE schema_version(version INTEGER PRIMARY KEY, "
                     "description TEXT NOT NULL, applied_at INTEGER NOT NULL);",
                     STORE_APPLICATION_ID);
            if (exec(s, sql, err, "initialise")) goto fail;
        }
        if (migrate(s, version, err)) goto fail;
    }
    *out = s;
    return 0;
fail:
    store_close(s);
    return -1;
}

void store_close(bd_store *s)
{
    if (!s) return;
    store_rank_cache_free(s);
    store_buyer_cache_clear(s);
    for (int i = 0; i < ST_COUNT_; i++) sqlite3_finalize(s->stmts[i]);
    if (s->db) sqlite3_close(s->db);
    free(s->path);
    free(s);
}

int store_schema_version(bd_store *s)
{
    int v = 0;
    bd_err err;
    current_version(s, &v, &err);
    return v;
}

/* A cached SELECT that stopped on a row keeps its read snapshot open; if another connection
 * wrote since, BEGIN IMMEDIATE would fail at once with SQLITE_BUSY_SNAPSHOT instead of
 * waiting. So every write transaction starts with no statement of this connection active. */
static void reset_all(bd_store *s)
{
    for (sqlite3_stmt *st = sqlite3_next_stmt(s->db, NULL); st; st = sqlite3_next_stmt(s->db, st))
        if (sqlite3_stmt_busy(st)) sqlite3_reset(st);
}

/* Empties the buyer cache when another connection committed since this one's last write
 * transaction: what the cache holds may have changed. Called holding the write lock. */
static void check_data_version(bd_store *s)
{
    sqlite3_stmt *st = store_stmt(s, ST_DATA_VERSION, "PRAGMA data_version", NULL);
    int64_t v = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    if (st) sqlite3_reset(st);
    if (v < 0 || v != s->data_version) store_buyer_cache_clear(s);
    s->data_version = v;
}

int store_begin(bd_store *s, bd_err *err)
{
    store_rank_cache_free(s);
    reset_all(s);
    if (exec(s, "BEGIN IMMEDIATE", err, "begin transaction")) return -1;
    check_data_version(s);
    s->in_tx = 1;
    return 0;
}

int store_commit(bd_store *s, bd_err *err)
{
    store_rank_cache_free(s);
    s->in_tx = 0;
    return exec(s, "COMMIT", err, "commit");
}

void store_rollback(bd_store *s)
{
    store_rank_cache_free(s);
    store_buyer_cache_clear(s);
    s->in_tx = 0;
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_bulk_ingest(bd_store *s, bd_err *err)
{
    /* statements prepared before are expired by the pragmas and prepared again without */
    return exec(s, "PRAGMA ignore_check_constraints=ON; PRAGMA foreign_keys=OFF", err,
                "bulk ingest");
}

int64_t store_count(bd_store *s, const char *table)
{
    static const char *const tables[] = {"shops",    "buyers", "orders", "order_items",
                                         "tickets",  "messages", "events", "users",
                                         "outbox",   "sync_checkpoints", "buyer_loyalty",
                                         "loyalty_dirty", "buyer_blacklist", "buyer_flags",
                                         "surveys", "survey_answers", "feedback",
                                         "order_line_refs", "message_sources", NULL};
    if (!bd_str_in(table, tables)) return -1;
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}
