/* http.c — the libmicrohttpd daemon: request life cycle (body limit, authentication,
 * permissions, CSRF, dispatch), responses, the access log, per-thread database
 * connections, and the graceful stop. */
#include "server_internal.h"
#include "borderdesk/sla.h"
#include "borderdesk/outbox.h"
#include "borderdesk/survey.h"
#include "borderdesk/sync.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SRV_MMAP_BYTES (2LL << 30)                  /* shared read-only map of the database file */
#define SRV_WRITE_PATIENCE_NS (30LL * 1000000000LL) /* how long a write keeps retrying */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- per-thread database connections ---- */

static void close_thread_store(void *p)
{
    store_close(p);
}

bd_store *srv_store(srv_request *r)
{
    bd_store *s = pthread_getspecific(r->srv->store_key);
    if (s) return s;
    bd_err err;
    if (store_open(r->srv->opt.db_path, 0, &s, &err)) {
        if (r->srv->opt.log)
            fprintf(r->srv->opt.log, "{\"error\":\"open database\",\"detail\":\"%s\"}\n", err.msg);
        srv_error(r, 500, "internal", "the database cannot be opened");
        return NULL;
    }
    store_use_mmap(s, SRV_MMAP_BYTES, &err); /* a speed-up only: reads work without it */
    pthread_setspecific(r->srv->store_key, s);
    return s;
}

/* ---- responses ---- */

static void set_body(srv_request *r, int status, const char *type, char *body, size_t len)
{
    if (!r->resp_persistent) free(r->resp_body);
    r->resp_persistent = 0;
    r->status = status;
    r->content_type = type;
    r->resp_body = body;
    r->resp_len = len;
}

void srv_reply_json(srv_request *r, int status, cJSON *body)
{
    char *text = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    set_body(r, status, "application/json; charset=utf-8", text, strlen(text));
}

void srv_reply_empty(srv_request *r, int status)
{
    set_body(r, status, NULL, NULL, 0);
}

void srv_reply_raw(srv_request *r, int status, const char *type, char *body, size_t len)
{
    set_body(r, status, type, body, len);
}

void srv_error(srv_request *r, int status, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* messages may quote input: keep them valid UTF-8 */
    char *clean = bd_utf8_repair(msg, strlen(msg), NULL);
    cJSON *j = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(j, "error");
    cJSON_AddStringToObject(e, "code", code);
    cJSON_AddStringToObject(e, "message", clean);
    free(clean);
    srv_reply_json(r, status, j);
}

static int is_database_error(const char *msg)
{
    return strncmp(msg, "database ", 9) == 0 || strstr(msg, "borderdesk database") != NULL;
}

void srv_fail(srv_request *r, bd_store *s, const bd_err *err)
{
    if (s && store_last_busy(s)) {
        r->retry_after = 2;
        srv_error(r, 503, "busy", "the service is busy; try again in a moment");
    } else if (is_database_error(err->msg)) {
        if (r->srv->opt.log) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddNumberToObject(j, "req", (double)r->id);
            cJSON_AddStringToObject(j, "error", err->msg);
            char *line = cJSON_PrintUnformatted(j);
            fprintf(r->srv->opt.log, "%s\n", line);
            cJSON_free(line);
            cJSON_Delete(j);
        }
        srv_error(r, 500, "internal", "internal error (request %lld)", r->id);
    } else {
        srv_error(r, 422, "unprocessable", "%s", err->msg);
    }
}

int srv_write(srv_request *r, bd_store *s, int (*fn)(srv_request *, bd_store *, void *, bd_err *),
              void *arg, bd_err *err)
{
    int64_t give_up = now_ns() + SRV_WRITE_PATIENCE_NS;
    for (;;) {
        int busy = 0;
        if (store_begin(s, err) == 0) {
            if (fn(r, s, arg, err) == 0) {
                if (store_commit(s, err) == 0) return 0;
            }
            busy = store_last_busy(s);
            store_rollback(s);
            if (!busy && !is_database_error(err->msg)) return -1; /* the caller answers */
        } else {
            busy = store_last_busy(s);
        }
        if (!busy) {
            srv_fail(r, NULL, err);
            return -1;
        }
        if (now_ns() > give_up || atomic_load(&r->srv->stopping)) {
            r->retry_after = 2;
            srv_error(r, 503, "busy", "the service is busy; try again in a moment");
            return -1;
        }
        usleep(20000);
    }
}

/* ---- inputs ---- */

const char *srv_query(srv_request *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

int srv_limit(srv_request *r, size_t *limit)
{
    *limit = SRV_DEFAULT_LIMIT;
    const char *v = srv_query(r, "limit");
    if (!v) return 0;
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < 1 || n > SRV_MAX_LIMIT) {
        srv_error(r, 400, "invalid_parameter", "limit must be a number from 1 to %d",
                  SRV_MAX_LIMIT);
        return -1;
    }
    *limit = (size_t)n;
    return 0;
}

int64_t srv_param_id(srv_request *r, size_t i, const char *what)
{
    const char *s = i < r->n_params ? r->params[i] : "";
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v <= 0 || *s == '+' || *s == ' ') {
        srv_error(r, 404, "not_found", "no %s \"%s\"", what, s);
        return 0;
    }
    return v;
}

cJSON *srv_body_object(srv_request *r)
{
    if (r->json) return r->json;
    if (r->body.len == 0) {
        srv_error(r, 400, "invalid_body", "this request needs a JSON object as its body");
        return NULL;
    }
    bd_err err;
    r->json = bd_json_parse(r->body.data, r->body.len, &err);
    if (!r->json) {
        srv_error(r, 400, "invalid_json", "the body is not valid JSON: %s", err.msg);
        return NULL;
    }
    if (!cJSON_IsObject(r->json)) {
        srv_error(r, 400, "invalid_body", "the body must be a JSON object");
        return NULL;
    }
    return r->json;
}

int srv_body_str(srv_request *r, cJSON *obj, const char *key, int required, const char **out)
{
    *out = NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v)) {
        if (!required) return 0;
        srv_error(r, 400, "missing_field", "\"%s\" is required", key);
        return -1;
    }
    if (!cJSON_IsString(v)) {
        srv_error(r, 400, "invalid_field", "\"%s\" must be a string", key);
        return -1;
    }
    *out = v->valuestring;
    return 0;
}

/* ---- cursors ---- */

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *srv_cursor_encode(char kind, int64_t a, int64_t b)
{
    char raw[80];
    int n = snprintf(raw, sizeof raw, "%c:%lld:%lld", kind, (long long)a, (long long)b);
    bd_buf out = BD_BUF_INIT;
    uint32_t acc = 0;
    int bits = 0;
    for (int i = 0; i < n; i++) {
        acc = (acc << 8) | (unsigned char)raw[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            bd_buf_putc(&out, b64url[(acc >> bits) & 63]);
        }
    }
    if (bits) bd_buf_putc(&out, b64url[(acc << (6 - bits)) & 63]);
    return bd_buf_detach(&out);
}

static int cursor_decode(const char *s, char *raw, size_t cap)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (; *s; s++) {
        const char *p = strchr(b64url, *s);
        if (!p || !*s) return -1;
        acc = (acc << 6) | (uint32_t)(p - b64url);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n + 1 >= cap) return -1;
            raw[n++] = (char)((acc >> bits) & 0xff);
        }
    }
    raw[n] = '\0';
    return 0;
}

int srv_cursor(srv_request *r, char kind, int64_t *a, int64_t *b)
{
    const char *c = srv_query(r, "cursor");
    if (!c || !*c) return 0;
    char raw[96], k = 0, tail = 0;
    long long x = 0, y = 0;
    if (strlen(c) > 120 || cursor_decode(c, raw, sizeof raw) ||
        sscanf(raw, "%c:%lld:%lld%c", &k, &x, &y, &tail) != 3 || k != kind) {
        srv_error(r, 400, "invalid_cursor", "the cursor is not one this list gave out");
        return -1;
    }
    *a = x;
    *b = y;
    return 1;
}

cJSON *srv_page(cJSON *items, char *next_cursor)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "items", items);
    json_add_str(j, "next_cursor", next_cursor);
    free(next_cursor);
    return j;
}

/* ticket_ctx.on_change: the ticket's due time and state follow every change. */
static int sla_changed(void *ud, int64_t ticket_id, bd_err *err)
{
    srv_request *r = ud;
    srv_server *srv = r->srv;
    pthread_mutex_lock(&srv->sla_lock);
    int rc = sla_ticket_refresh(r->sla_store, srv->opt.sla, ticket_id, bd_now(), err);
    pthread_mutex_unlock(&srv->sla_lock);
    return rc;
}

void srv_ticket_ctx(srv_request *r, bd_store *s, ticket_ctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->store = s;
    ctx->reopen_window = r->srv->opt.reopen_window;
    ctx->actor = r->user;
    /* a solved ticket gets a satisfaction survey (and its invitation) when configured */
    ctx->on_solved = survey_on_ticket_solved;
    ctx->on_solved_ud = (void *)r->srv->opt.config;
    if (r->srv->opt.sla) {
        r->sla_store = s;
        ctx->on_change = sla_changed;
        ctx->on_change_ud = r;
    }
}

/* The scheduler's sync and outbox tasks run on the scheduler's own connection; their
 * ticket changes refresh the SLA due state under the same lock as the API's. */
typedef struct task_hook {
    srv_server *srv;
    bd_store *store;
} task_hook;

static int task_sla_changed(void *ud, int64_t ticket_id, bd_err *err)
{
    task_hook *h = ud;
    pthread_mutex_lock(&h->srv->sla_lock);
    int rc = sla_ticket_refresh(h->store, h->srv->opt.sla, ticket_id, bd_now(), err);
    pthread_mutex_unlock(&h->srv->sla_lock);
    return rc;
}

/* "sync": every configured shop, from its checkpoints (safe beside a manual
 * `borderdesk sync`: pages are upserted and checkpoints only move forward). */
static int task_sync(void *ud, bd_store *store, char **summary, bd_err *err)
{
    srv_server *srv = ud;
    task_hook hook = {srv, store};
    sync_options o = {.reopen_window = srv->opt.reopen_window, .actor = "scheduler"};
    if (srv->opt.sla) {
        o.on_change = task_sla_changed;
        o.on_change_ud = &hook;
    }
    ticket_ctx classifier = {0};
    bd_err cerr;
    if (ticket_classifier_open(&classifier, srv->opt.config->locales_dir, &cerr) == 0) {
        o.classify = classifier.classify;
        o.classify_ud = classifier.classify_ud;
    }
    sync_shop_result *r = NULL;
    size_t n = 0;
    int rc = sync_run(store, srv->opt.config, &o, &r, &n, err);
    ticket_classifier_close(&classifier);
    if (rc < 0) return -1;
    bd_buf b = BD_BUF_INIT;
    for (size_t i = 0; i < n; i++)
        bd_buf_printf(&b, "%s%s %s", i ? "; " : "", r[i].shop, r[i].ok ? "ok" : r[i].error);
    sync_results_free(r, n);
    *summary = bd_buf_detach(&b);
    if (rc) return bd_err_set(err, "%s", *summary);
    return 0;
}

/* "outbox-send": delivers the replies agents queued. */
static int task_outbox(void *ud, bd_store *store, char **summary, bd_err *err)
{
    srv_server *srv = ud;
    outbox_options o = {0};
    outbox_result res = {0};
    int rc = outbox_send(store, srv->opt.config, &o, &res, err);
    if (rc < 0) return -1;
    *summary = bd_asprintf("%lld due, %lld sent, %lld reconciled, %lld failed, %lld retrying",
                           (long long)res.due, (long long)res.sent, (long long)res.reconciled,
                           (long long)res.failed, (long long)res.retrying);
    return 0;
}

static int has_shops(const bd_config *c)
{
    const cJSON *shops = c ? cJSON_GetObjectItemCaseSensitive(c->root, "shops") : NULL;
    return cJSON_GetArraySize(shops) > 0;
}

/* The scheduler's "sla-refresh": warnings and breaches come with time, not only with
 * changes, so every due state is recomputed periodically. */
static int task_sla_refresh(void *ud, bd_store *store, char **summary, bd_err *err)
{
    srv_server *srv = ud;
    size_t tickets = 0, changed = 0;
    pthread_mutex_lock(&srv->sla_lock);
    int rc = sla_refresh_all(store, srv->opt.sla, bd_now(), &tickets, &changed, err);
    pthread_mutex_unlock(&srv->sla_lock);
    if (rc) return -1;
    *summary = bd_asprintf("%zu tickets, %zu due states changed", tickets, changed);
    return 0;
}

/* ---- the request life cycle ---- */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void request_free(srv_request *r)
{
    if (!r) return;
    free(r->path);
    bd_buf_free(&r->body);
    cJSON_Delete(r->json);
    free(r->user);
    free(r->session_hash);
    free(r->csrf);
    free(r->param_buf);
    if (!r->resp_persistent) free(r->resp_body);
    free(r->etag);
    free(r->set_cookie);
    free(r->allow);
    free(r);
}

static srv_request *request_new(srv_server *srv, struct MHD_Connection *conn, const char *method,
                                const char *url)
{
    srv_request *r = bd_calloc(1, sizeof *r);
    r->srv = srv;
    r->conn = conn;
    r->method = method;
    r->path = bd_strdup(url);
    r->started_ns = now_ns();
    r->id = atomic_fetch_add(&srv->next_request_id, 1) + 1;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(r->remote, sizeof r->remote, "?");
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->remote,
                      sizeof r->remote);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->remote,
                      sizeof r->remote);
    }
    return r;
}

static enum MHD_Result queue(srv_request *r)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        r->resp_len, r->resp_body,
        r->resp_body && !r->resp_persistent ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    r->resp_body = NULL; /* owned by the response now (or by the file table) */
    if (!resp) return MHD_NO;
    if (r->content_type) MHD_add_response_header(resp, "Content-Type", r->content_type);
    MHD_add_response_header(resp, "Cache-Control",
                            r->cache_control ? r->cache_control : "no-store");
    if (r->etag) MHD_add_response_header(resp, "ETag", r->etag);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Content-Security-Policy",
                            r->csp ? r->csp : "default-src 'none'; frame-ancestors 'none'");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    char id[32];
    snprintf(id, sizeof id, "%lld", r->id);
    MHD_add_response_header(resp, "X-Request-Id", id);
    if (r->set_cookie) MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
    if (r->allow) MHD_add_response_header(resp, "Allow", r->allow);
    if (r->retry_after) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", r->retry_after);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    if (r->status == 401) MHD_add_response_header(resp, "WWW-Authenticate", "Bearer");
    if (atomic_load(&r->srv->stopping) || r->body_too_large)
        MHD_add_response_header(resp, "Connection", "close");
    enum MHD_Result rc = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    r->done = 1;
    return rc;
}

static int state_changing(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/* Authentication, role, scope and CSRF; 1 to go on, 0 after answering. */
static int allowed(srv_request *r, const srv_route *route)
{
    if (route->min_role == AUTH_ROLE_NONE) return 1;
    int rc = srv_authenticate(r);
    if (rc < 0) return 0;
    if (rc == 0) {
        srv_error(r, 401, "unauthorized",
                  "log in (POST /api/v1/session) or send "
                  "\"Authorization: Bearer TOKEN\"");
        return 0;
    }
    if (r->role < route->min_role) {
        srv_error(r, 403, "forbidden", "this needs the %s role; %s is %s",
                  auth_role_name(route->min_role), r->user, auth_role_name(r->role));
        return 0;
    }
    if (!(r->scopes & route->scope)) {
        srv_error(r, 403, "insufficient_scope", "this token's scope does not allow this request");
        return 0;
    }
    if (r->auth == SRV_AUTH_SESSION && state_changing(r->method)) {
        const char *given = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-CSRF-Token");
        if (!given || !auth_secret_equal(given, r->csrf)) {
            srv_error(r, 403, "csrf_failed",
                      "a change made with the session cookie needs the X-CSRF-Token header");
            return 0;
        }
    }
    return 1;
}

/* 1 for the REST API's paths; everything else is the web UI's. */
static int api_path(const char *path)
{
    return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0;
}

static void dispatch(srv_request *r)
{
    if (!api_path(r->path)) {
        if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
            r->allow = bd_strdup("GET, HEAD");
            srv_error(r, 405, "method_not_allowed", "the web UI's files are read-only");
        } else if (r->body_too_large) {
            srv_error(r, 413, "body_too_large", "the request body is over %zu bytes",
                      r->srv->opt.max_body);
        } else {
            srv_static(r);
        }
        return;
    }
    int path_known = 0;
    char *allow = NULL;
    const srv_route *route = srv_route_find(r, r->method, r->path, &path_known, &allow);
    if (!route) {
        if (path_known) {
            r->allow = allow;
            srv_error(r, 405, "method_not_allowed", "%s is not allowed here (allowed: %s)",
                      r->method, allow);
        } else {
            free(allow);
            srv_error(r, 404, "not_found", "no such resource");
        }
        return;
    }
    if (r->body_too_large) {
        srv_error(r, 413, "body_too_large", "the request body is over %zu bytes",
                  r->srv->opt.max_body);
        return;
    }
    /* A read request runs in one read transaction: one snapshot, one set of file locks. */
    bd_store *rs = NULL;
    if (!state_changing(r->method) && route->min_role != AUTH_ROLE_NONE) {
        bd_err err;
        if (!(rs = srv_store(r))) return;
        if (store_read_begin(rs, &err)) {
            srv_fail(r, rs, &err);
            return;
        }
    }
    if (allowed(r, route)) {
        r->status = 0;
        route->fn(r);
        if (!r->status) srv_error(r, 500, "internal", "the handler gave no answer");
    }
    store_read_end(rs);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    srv_server *srv = cls;
    srv_request *r = *con_cls;
    if (!r) {
        r = request_new(srv, conn, method, url);
        *con_cls = r;
        atomic_fetch_add(&srv->inflight, 1);
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > srv->opt.max_body) {
            /* refuse before reading the body */
            r->body_too_large = 1;
            srv_error(r, 413, "body_too_large", "the request body is over %zu bytes",
                      srv->opt.max_body);
            return queue(r);
        }
        return MHD_YES;
    }
    if (r->done) {
        *upload_size = 0; /* answered already: discard the rest */
        return MHD_YES;
    }
    if (*upload_size) {
        if (r->body.len + *upload_size > srv->opt.max_body)
            r->body_too_large = 1;
        else
            bd_buf_append(&r->body, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    dispatch(r);
    return queue(r);
}

/* Percent-decoding of the path and query arguments, except that %00 stays as it is: a NUL
 * would cut the string short and make "/x.json%00.txt" look like "/x.json". */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    char *w = s;
    for (const char *r = s; *r; r++) {
        int hi, lo;
        if (*r == '%' && (hi = hexval(r[1])) >= 0 && (lo = hexval(r[2])) >= 0 && (hi | lo)) {
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

static void log_request(srv_server *srv, srv_request *r, enum MHD_RequestTerminationCode toe)
{
    if (!srv->opt.log) return;
    char ts[32];
    bd_time_format(bd_now(), ts, sizeof ts);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "ts", ts);
    cJSON_AddNumberToObject(j, "req", (double)r->id);
    cJSON_AddStringToObject(j, "remote", r->remote);
    cJSON_AddStringToObject(j, "method", r->method);
    char *path = bd_utf8_repair(r->path, strlen(r->path), NULL);
    if (strlen(path) > 200) path[200] = '\0';
    char *clean = bd_utf8_repair(path, strlen(path), NULL);
    cJSON_AddStringToObject(j, "path", clean);
    free(clean);
    free(path);
    cJSON_AddNumberToObject(j, "status", r->done ? r->status : 0);
    cJSON_AddNumberToObject(j, "bytes", (double)r->resp_len);
    cJSON_AddNumberToObject(j, "ms", (double)((now_ns() - r->started_ns) / 1000) / 1000.0);
    json_add_str(j, "user", r->user);
    cJSON_AddStringToObject(j, "auth",
                            r->auth == SRV_AUTH_TOKEN     ? "token"
                            : r->auth == SRV_AUTH_SESSION ? "session"
                                                          : "none");
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        cJSON_AddStringToObject(j, "terminated",
                                toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED   ? "timeout"
                                : toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? "shutdown"
                                : toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT    ? "client"
                                                                                : "error");
    char *line = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    size_t n = strlen(line);
    line[n] = '\n'; /* replaces the NUL: written as one line in one call */
    fwrite(line, 1, n + 1, srv->opt.log);
    fflush(srv->opt.log);
    line[n] = '\0';
    cJSON_free(line);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    srv_server *srv = cls;
    srv_request *r = *con_cls;
    if (!r) return;
    log_request(srv, r, toe);
    bd_store *s = r->token_used ? pthread_getspecific(srv->store_key) : NULL;
    if (s) { /* best effort, after the answer: a busy database must not fail a read */
        bd_err err;
        store_token_used(s, r->token_used, bd_now(), SRV_TOKEN_USE_GRANULARITY, &err);
    }
    request_free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->inflight, 1);
}

/* ---- start and stop ---- */

/* A reply template that cannot be used is left out of the suggestions; say so in the log. */
static void log_template_problem(void *ud, const char *path, const char *message)
{
    (void)path;
    FILE *log = ud;
    if (!log) return;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "warning", "reply template left out");
    char *clean = bd_utf8_repair(message, strlen(message), NULL);
    cJSON_AddStringToObject(j, "detail", clean);
    free(clean);
    char *line = cJSON_PrintUnformatted(j);
    fprintf(log, "%s\n", line);
    cJSON_free(line);
    cJSON_Delete(j);
}

static int make_addr(const srv_options *o, struct sockaddr_storage *ss, bd_err *err)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, o->listen_addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(o->port);
        return AF_INET;
    }
    if (inet_pton(AF_INET6, o->listen_addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(o->port);
        return AF_INET6;
    }
    return bd_err_set(err, "cannot listen on \"%s\": give an IPv4 or IPv6 address", o->listen_addr);
}

int srv_start(const srv_options *o, srv_server **out, bd_err *err)
{
    *out = NULL;
    struct sockaddr_storage addr;
    int family = make_addr(o, &addr, err);
    if (family < 0) return -1;
    store_threads_init();
    /* open once: refuses a foreign file, upgrades an older schema before the workers start */
    bd_store *check;
    if (store_open(o->db_path, 0, &check, err)) return -1;
    store_close(check);

    if (!o->config) return bd_err_set(err, "serve: no configuration given");
    suggest_library *templates;
    if (suggest_library_load(o->config->templates_dir, log_template_problem, o->log, &templates,
                             err))
        return -1;
    srv_files *files;
    if (srv_files_load(o->web_dir, o->web_dir_set, o->config->locales_dir, &files, err)) {
        suggest_library_free(templates);
        return -1;
    }
    if (o->log && srv_files_count(files) <= 1) /* only the generated /locales/index.json */
        fprintf(o->log, "{\"warning\":\"no web UI files in %s: / is not served\"}\n", o->web_dir);

    srv_server *srv = bd_calloc(1, sizeof *srv);
    srv->opt = *o;
    srv->opt.openapi_path = bd_strdup(o->openapi_path);
    srv->opt.web_dir = bd_strdup(o->web_dir);
    srv->opt.db_path = bd_strdup(o->db_path);
    srv->templates = templates;
    srv->files = files;
    pthread_key_create(&srv->store_key, close_thread_store);
    srv->per_account = auth_limiter_new(o->login_max_per_account, o->login_window);
    srv->per_address = auth_limiter_new(o->login_max_per_address, o->login_window);
    pthread_mutex_init(&srv->sla_lock, NULL);
    srv->sched = srv_scheduler_new(o->db_path);
    if (srv_housekeeping_register(srv->sched, err) ||
        (o->sla && srv_scheduler_add(srv->sched, "sla-refresh", 60, task_sla_refresh, srv, err)) ||
        (has_shops(o->config) && o->sync_interval &&
         srv_scheduler_add(srv->sched, "sync", o->sync_interval, task_sync, srv, err)) ||
        (has_shops(o->config) && o->outbox_interval &&
         srv_scheduler_add(srv->sched, "outbox-send", o->outbox_interval, task_outbox, srv, err)) ||
        srv_scheduler_start(srv->sched, err)) {
        srv_stop(srv, 0);
        return -1;
    }
    unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | (family == AF_INET6 ? MHD_USE_IPv6 : 0);
    srv->daemon = MHD_start_daemon(
        flags, o->port, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_THREAD_POOL_SIZE, o->threads, MHD_OPTION_CONNECTION_TIMEOUT,
        o->connection_timeout, MHD_OPTION_CONNECTION_LIMIT, o->max_connections,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, srv, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, MHD_OPTION_UNESCAPE_CALLBACK,
        unescape, NULL, MHD_OPTION_END);
    if (!srv->daemon) {
        int e = errno;
        srv_stop(srv, 0);
        return bd_err_set(err, "cannot listen on %s:%u: %s", o->listen_addr, o->port,
                          e ? strerror(e) : "libmicrohttpd refused to start");
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = di ? di->port : o->port;
    *out = srv;
    return 0;
}

uint16_t srv_port(const srv_server *s)
{
    return s->port;
}

srv_scheduler *srv_scheduler_of(srv_server *s)
{
    return s->sched;
}

void srv_stop(srv_server *srv, int grace)
{
    if (!srv) return;
    atomic_store(&srv->stopping, 1);
    if (srv->daemon) {
        MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
        if (fd != MHD_INVALID_SOCKET) close(fd);
        int64_t deadline = now_ns() + (int64_t)grace * 1000000000LL;
        while (atomic_load(&srv->inflight) > 0 && now_ns() < deadline)
            usleep(10000);
        MHD_stop_daemon(srv->daemon); /* joins the workers: their connections close */
    }
    srv_scheduler_free(srv->sched);
    pthread_key_delete(srv->store_key);
    auth_limiter_free(srv->per_account);
    auth_limiter_free(srv->per_address);
    pthread_mutex_destroy(&srv->sla_lock);
    suggest_library_free(srv->templates);
    srv_files_free(srv->files);
    free(srv->opt.openapi_path);
    free(srv->opt.web_dir);
    free((char *)srv->opt.db_path);
    free(srv);
}
