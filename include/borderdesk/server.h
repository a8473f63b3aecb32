/*
 * server.h — `borderdesk serve`: the REST API under /api/v1 on libmicrohttpd, the web UI's
 * static files at / (web/ in the repository, loaded once at start), and the background
 * scheduler that runs periodic work inside the service.
 *
 * Threads: libmicrohttpd runs a pool of worker threads (epoll); each worker opens its own
 * database connection on first use (bd_store is not thread-safe) and closes it when the
 * worker ends. SQLite's WAL mode lets the workers read while one of them writes; every
 * write is one BEGIN IMMEDIATE transaction, retried while the database is busy, so a
 * caller never sees "database is locked" (after a long wait it gets 503 and Retry-After).
 *
 * Limits: request bodies over max_body bytes get 413; a connection idle for
 * connection_timeout seconds is closed (slow clients hold a socket, never a worker).
 *
 * Shutdown (srv_stop): stop accepting, let in-flight requests finish (up to a grace
 * period), stop the scheduler, close every database connection.
 *
 * Access log: one JSON object per request and line on the log stream (stderr): time,
 * request id, remote address, method, path, status, bytes, duration, user and how the
 * user authenticated. Never a query string, header value, cookie, token or body.
 */
#ifndef BORDERDESK_SERVER_H
#define BORDERDESK_SERVER_H

#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "borderdesk/config.h"
#include "borderdesk/store.h"
#include "borderdesk/util.h"

/* ---- the scheduler ---- */

/* A periodic task. Runs on the scheduler's thread with the scheduler's own database
 * connection; returns 0 and may set *summary (a short text for the task table, caller of
 * the task frees), or -1 with err. Tasks of one scheduler never run concurrently. */
typedef int (*srv_task_fn)(void *ud, bd_store *store, char **summary, bd_err *err);

typedef struct srv_scheduler srv_scheduler;

/* A scheduler whose tasks use the database at db_path. NULL-safe free (stops it first). */
srv_scheduler *srv_scheduler_new(const char *db_path);
void srv_scheduler_free(srv_scheduler *s);
/* Registers a task run every interval seconds (>= 1), first right after start, or with
 * interval 0 a task that runs only when srv_scheduler_run_now asks. Names are
 * unique ([a-z0-9._:-], at most 64). May be called before or after start. Returns 0 or -1
 * with err. ud is owned by the caller and must outlive the scheduler. */
int srv_scheduler_add(srv_scheduler *s, const char *name, int64_t interval, srv_task_fn fn,
                      void *ud, bd_err *err);
/* Starts the scheduler's thread. */
int srv_scheduler_start(srv_scheduler *s, bd_err *err);
/* Waits for a running task to end, then stops the thread and closes its database. */
void srv_scheduler_stop(srv_scheduler *s);
/* Makes the named task due now (a task that is running runs once more when it ends).
 * 1 done, 0 no such task. */
int srv_scheduler_run_now(srv_scheduler *s, const char *name);
/* When the named task runs next: 0 when there is no such task, it is on demand, or running. */
int64_t srv_scheduler_next_run(srv_scheduler *s, const char *name);
/* The task table: [{"name", "interval_seconds", "last_run_at", "last_result", "last_ok",
 * "last_duration_ms", "next_run_at", "runs", "failures", "running"}]. Caller deletes. */
cJSON *srv_scheduler_json(srv_scheduler *s);

/* Registers borderdesk's own housekeeping: "wal-checkpoint" (a passive WAL checkpoint so
 * the log does not grow without bound) and "sessions-expire" (drops expired login
 * sessions and refreshes the query planner's statistics). */
int srv_housekeeping_register(srv_scheduler *s, bd_err *err);

/* ---- the server ---- */

typedef struct srv_options {
    const char *db_path;
    char listen_addr[64];        /* IPv4 or IPv6 literal; default 127.0.0.1 */
    uint16_t port;               /* default 8080; 0 picks a free port (see srv_port) */
    unsigned threads;            /* worker threads; default 2 x CPUs, at least 4 */
    size_t max_body;             /* bytes; default 1 MiB */
    unsigned connection_timeout; /* seconds; default 30 */
    unsigned max_connections;    /* default 1000 */
    int behind_tls;              /* mark the session cookie Secure */
    int64_t session_ttl;         /* seconds; default 12 hours */
    int login_max_per_account, login_max_per_address; /* failures per window: 5, 20 */
    int64_t login_window;                             /* seconds; default 900 */
    int64_t reopen_window; /* seconds (ticket threading); default 7 days */
    char *openapi_path;    /* the OpenAPI document served at /api/v1/openapi.json */
    FILE *log;             /* access log; default stderr; NULL = none */
    const struct sla_config *sla; /* response-time clocks: every ticket change refreshes its
                                     due state, and a scheduler task refreshes them all;
                                     the reports routes need it */
    const bd_config *config; /* required: templates_dir (suggestions, loaded once at start),
                                locales_dir (the UI's ui.json strings), shops; must outlive
                                the server */
    char *web_dir;           /* the web UI's files served at /; default <data dir>/web */
    int web_dir_set;         /* web_dir came from the configuration: a missing one is an
                                error (the default one only leaves the UI out, logged) */
    int64_t sync_interval;   /* seconds between syncs of every shop; 0 = no sync task */
    int64_t outbox_interval; /* seconds between outbox runs; 0 = no outbox task */
    int64_t tiers_interval;  /* seconds between incremental tier recomputes; 0 = none */
    int public_max_per_address; /* requests to the public survey routes per address ... */
    int64_t public_window;      /* ... in this many seconds: 120 in 600 */
} srv_options;

/* Fills the defaults; then srv_options_config applies the configuration file's "server"
 * object: listen, threads, max_body_bytes, connection_timeout_seconds, max_connections,
 * behind_tls, session_hours, login_max_failures_per_account, login_max_failures_per_address,
 * login_window_seconds, sync_interval_seconds (300), outbox_interval_seconds (60),
 * tiers_interval_seconds (3600), public_max_requests_per_address (120),
 * public_window_seconds (600), web_dir. srv_options_clear frees what they allocated. */
void srv_options_defaults(srv_options *o);
int srv_options_config(srv_options *o, const bd_config *c, bd_err *err);
/* Parses "ADDR:PORT", "PORT" or "[v6]:PORT" into o. */
int srv_options_listen(srv_options *o, const char *spec, bd_err *err);
void srv_options_clear(srv_options *o);

typedef struct srv_server srv_server;

/* Opens the database once (to check and migrate it), loads the reply templates and the web
 * UI's files, starts the scheduler (with the housekeeping tasks) and the HTTP daemon. */
int srv_start(const srv_options *o, srv_server **out, bd_err *err);
/* The port the server listens on. */
uint16_t srv_port(const srv_server *s);
/* The scheduler inside the server, for other modules to add their tasks. */
srv_scheduler *srv_scheduler_of(srv_server *s);
/* Graceful stop (see above), then frees the server. grace in seconds. NULL-safe. */
void srv_stop(srv_server *s, int grace);

/* Writes the route table, one "METHOD /api/v1/pattern ROLE SCOPE" per line (ROLE public,
 * agent, lead or admin; SCOPE the token scope needed, "-" for public routes). */
void srv_routes_print(FILE *f);

#endif
