/* server_internal.h — shared by the files of src/server only: the request, the route table,
 * response and validation helpers, and the handlers. */
#ifndef BORDERDESK_SERVER_INTERNAL_H
#define BORDERDESK_SERVER_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "borderdesk/auth.h"
#include "borderdesk/server.h"
#include "borderdesk/suggest.h"
#include "borderdesk/ticket.h"

#define SRV_MAX_PARAMS 4
#define SRV_MAX_LIMIT 200
#define SRV_DEFAULT_LIMIT 50
#define SRV_TOKEN_USE_GRANULARITY 60 /* seconds between writes of a token's last use */

struct srv_server {
    srv_options opt;
    struct MHD_Daemon *daemon;
    srv_scheduler *sched;
    pthread_key_t store_key;
    auth_limiter *per_account, *per_address;
    atomic_int inflight;
    atomic_int stopping;
    atomic_llong next_request_id;
    uint16_t port;
    pthread_mutex_t sla_lock; /* the SLA calendars hold ICU calendars: one user at a time */
    suggest_library *templates; /* reply templates, loaded once; read-only afterwards */
    struct srv_files *files;    /* the web UI's static files, loaded once; read-only */
    auth_limiter *public_per_address;   /* requests to the public survey routes */
    struct loyalty_settings *loyalty;   /* the "loyalty" configuration, loaded once; read-only */
    struct srv_sync *sync;              /* sync status and requested runs (h_sync.c) */
};

enum srv_auth_kind { SRV_AUTH_NONE = 0, SRV_AUTH_TOKEN = 1, SRV_AUTH_SESSION = 2 };

typedef struct srv_request {
    srv_server *srv;
    struct MHD_Connection *conn;
    const char *method;
    char *path;
    long long id;
    int64_t started_ns;
    char remote[64];
    /* the body */
    bd_buf body;
    int body_too_large;
    cJSON *json; /* the parsed body of a request with one */
    bd_store *sla_store; /* the connection a ticket change runs on, for the SLA hook */
    /* who is asking */
    int auth;
    int64_t user_id;
    char *user;
    int role;
    unsigned scopes;
    char *session_hash;
    char *csrf;
    int64_t token_used; /* a token whose last use is to be recorded, or 0 */
    /* the route's path parameters */
    const char *params[SRV_MAX_PARAMS];
    size_t n_params;
    char *param_buf;
    /* the response */
    int status;
    char *resp_body;
    size_t resp_len;
    const char *content_type;
    int resp_persistent;       /* resp_body points at memory that outlives the request */
    const char *cache_control; /* NULL: "no-store" */
    const char *csp;           /* NULL: the API's "default-src 'none'" policy */
    char *etag;
    char *set_cookie;
    char *allow;
    int retry_after;
    int done; /* a response was queued */
} srv_request;

typedef void (*srv_handler)(srv_request *r);

typedef struct srv_route {
    const char *method;
    const char *pattern; /* segments; "{name}" matches one non-empty segment */
    srv_handler fn;
    int min_role;   /* AUTH_ROLE_NONE: public */
    unsigned scope; /* AUTH_SCOPE_* the credentials must grant */
    int token_scope_suffices; /* a token with the scope passes whatever its user's role */
} srv_route;

extern const srv_route srv_routes[];
extern const size_t srv_n_routes;

/* Finds the route for method and path; fills r->params. Returns the route, or NULL and sets
 * *path_known when another method serves the path (then *allow lists them; caller frees). */
const srv_route *srv_route_find(srv_request *r, const char *method, const char *path,
                                int *path_known, char **allow);

/* The worker thread's database connection, opened on first use; NULL after answering 500. */
bd_store *srv_store(srv_request *r);

/* ---- responses (each sets r's response; the last one wins) ---- */
void srv_reply_json(srv_request *r, int status, cJSON *body); /* takes body */
void srv_reply_empty(srv_request *r, int status);
void srv_reply_raw(srv_request *r, int status, const char *content_type, char *body, size_t len);
void srv_error(srv_request *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Answers for a failed store or ticket call: 503 when the database stayed busy, 500 for other
 * database errors (details to the log only), else 422 with the message. */
void srv_fail(srv_request *r, bd_store *s, const bd_err *err);

/* ---- writes: fn runs inside BEGIN IMMEDIATE .. COMMIT, retried while the database is
 * busy. Returns 0; or -1 after answering (503 busy, 500 database) — or, when fn failed
 * with a message that is not a database error, -1 with err set and no answer yet. */
int srv_write(srv_request *r, bd_store *s, int (*fn)(srv_request *, bd_store *, void *, bd_err *),
              void *arg, bd_err *err);

/* ---- inputs ---- */
const char *srv_query(srv_request *r, const char *key);
/* The limit parameter (default SRV_DEFAULT_LIMIT, 1..SRV_MAX_LIMIT); -1 after a 400. */
int srv_limit(srv_request *r, size_t *limit);
/* A positive integer path parameter; 0 after answering 404 with what ("ticket"). */
int64_t srv_param_id(srv_request *r, size_t i, const char *what);
/* The body as a JSON object; NULL after answering 400. */
cJSON *srv_body_object(srv_request *r);
/* A string member: required or optional (*out NULL when absent or null). -1 after a 400. */
int srv_body_str(srv_request *r, cJSON *obj, const char *key, int required, const char **out);

/* ---- opaque cursors: kind letter plus two integers, base64url ---- */
char *srv_cursor_encode(char kind, int64_t a, int64_t b);
/* 0 when no cursor was given, 1 decoded, -1 after answering 400. */
int srv_cursor(srv_request *r, char kind, int64_t *a, int64_t *b);
/* {"items": items, "next_cursor": cursor or null}; takes both. */
cJSON *srv_page(cJSON *items, char *next_cursor);

/* ---- the web UI's static files (static.c) ---- */
typedef struct srv_files srv_files;
/* Loads every file under web_dir (no dot files; at most 4 MiB each) as /PATH, and each
 * locales_dir/LANG/ui.json and survey.json as /locales/LANG/..., with /locales/index.json
 * listing the languages that have ui.json. A missing web_dir gives an empty table unless
 * required. */
int srv_files_load(const char *web_dir, int required, const char *locales_dir,
                   srv_files **out, bd_err *err);
void srv_files_free(srv_files *f);
size_t srv_files_count(const srv_files *f);
/* Answers a GET or HEAD for a path outside /api/ from the table (with caching headers and
 * the UI's Content-Security-Policy): / is /index.html, /s/{token} the buyers' survey page
 * /survey.html; 404 when the path is not a file of the table. */
void srv_static(srv_request *r);

/* order_json plus "tracking_url" (the carrier's tracking page, or null without a tracking
 * number): the API's form of an order. */
cJSON *srv_order_json(const store_order_row *o);

/* ---- sync and tiers in the scheduler (h_sync.c) ---- */
typedef struct srv_sync srv_sync;
srv_sync *srv_sync_new(void);
void srv_sync_free(srv_sync *s); /* NULL-safe */
/* Registers the scheduler's "sync" (every shop, periodic), "sync-requests" (runs asked for
 * with POST /sync) and "tiers-recompute" tasks as the options ask. */
int srv_sync_register(srv_server *srv, bd_err *err);
/* ticket_ctx.on_change for changes the scheduler's tasks make on store. */
typedef struct srv_task_hook {
    srv_server *srv;
    bd_store *store;
} srv_task_hook;
int srv_task_sla_changed(void *ud, int64_t ticket_id, bd_err *err);

/* A buyer's own columns and counts, as GET /buyers/{id} and the list show them. */
cJSON *srv_buyer_json(const store_buyer_row *b);

/* ---- ticket context for changes made by the request's user ---- */
void srv_ticket_ctx(srv_request *r, bd_store *s, ticket_ctx *ctx);

/* ---- handlers ---- */
void h_health(srv_request *r);
void h_openapi(srv_request *r);
void h_session_login(srv_request *r);
void h_session_get(srv_request *r);
void h_session_logout(srv_request *r);
void h_tickets_list(srv_request *r);
void h_ticket_get(srv_request *r);
void h_ticket_messages(srv_request *r);
void h_ticket_reply(srv_request *r);
void h_ticket_note(srv_request *r);
void h_ticket_assign(srv_request *r);
void h_ticket_status(srv_request *r);
void h_ticket_tag_add(srv_request *r);
void h_ticket_tag_remove(srv_request *r);
void h_message_get(srv_request *r);
void h_buyer_get(srv_request *r);
void h_buyer_orders(srv_request *r);
void h_buyer_tickets(srv_request *r);
void h_orders_list(srv_request *r);
void h_order_get(srv_request *r);
void h_outbox_list(srv_request *r);
void h_audit_list(srv_request *r);
void h_scheduler_get(srv_request *r);
void h_scheduler_run(srv_request *r);
void h_users_list(srv_request *r);
void h_user_create(srv_request *r);
void h_user_get(srv_request *r);
void h_user_update(srv_request *r);
void h_shops_list(srv_request *r);
void h_ticket_suggestions(srv_request *r);
void h_templates_list(srv_request *r);
void h_template_preview(srv_request *r);
void h_report_sla(srv_request *r);
void h_report_workload(srv_request *r);
void h_tokens_list(srv_request *r);
void h_token_create(srv_request *r);
void h_token_revoke(srv_request *r);
/* h_survey.c: the buyers' survey page (public) */
void h_public_survey_get(srv_request *r);
void h_public_survey_answer(srv_request *r);
/* h_loyalty.c: buyers' loyalty, satisfaction, blacklist; the satisfaction and tiers reports */
void h_buyers_list(srv_request *r);
void h_buyer_blacklist_put(srv_request *r);
void h_buyer_blacklist_delete(srv_request *r);
void h_report_satisfaction(srv_request *r);
void h_report_tiers(srv_request *r);
/* Adds "loyalty", "satisfaction", "blacklist" and "suspicion" to a buyer's document; -1
 * after answering. */
int srv_buyer_extras(srv_request *r, bd_store *s, const store_buyer_row *b, cJSON *j);
/* h_sync.c */
void h_sync_get(srv_request *r);
void h_sync_runs(srv_request *r);
void h_sync_post(srv_request *r);

/* Authenticates the request from its Authorization header or session cookie. Returns 1
 * authenticated, 0 no or bad credentials (caller answers 401), -1 after answering. */
int srv_authenticate(srv_request *r);

#endif
