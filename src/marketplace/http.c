/* http.c — libcurl with timeouts, retries, backoff, Retry-After, token buckets, a size
 * limit and redacted logs. See http.h for the contract. */
#include "borderdesk/http.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#define HTTP_MAX_BUCKETS 32

struct http_client {
    http_options o;
    char *label;
    CURL *curl;
    uint64_t rng;
    http_stats stats;
    struct {
        char *op;
        http_bucket b;
    } buckets[HTTP_MAX_BUCKETS];
    int n_buckets;
};

void http_options_default(http_options *o)
{
    memset(o, 0, sizeof *o);
    o->connect_timeout_ms = 10000;
    o->timeout_ms = 30000;
    o->max_retries = 5;
    o->backoff_base_ms = 500;
    o->backoff_max_ms = 30000;
    o->max_retry_after_s = 300;
    o->max_response = 32u << 20;
    const char *v = getenv("BORDERDESK_HTTP_LOG");
    o->verbose = v && *v && strcmp(v, "0") != 0;
}

double http_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void http_sleep_ms(double ms)
{
    if (ms <= 0) return;
    struct timespec ts = {(time_t)(ms / 1000.0), (long)((ms - (double)(long)(ms / 1000.0) * 1000.0) * 1e6)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

long http_backoff_ms(const http_options *o, int attempt, uint64_t *rng)
{
    double cap = (double)o->backoff_base_ms;
    for (int i = 0; i < attempt && cap < (double)o->backoff_max_ms; i++) cap *= 2;
    if (cap > (double)o->backoff_max_ms) cap = (double)o->backoff_max_ms;
    /* full jitter, but never less than a tenth of the cap */
    double u = (double)(rng_next(rng) >> 11) / 9007199254740992.0;
    return (long)(cap * (0.1 + 0.9 * u));
}

void http_bucket_init(http_bucket *b, double rate, double burst, double now_ms)
{
    b->rate = rate;
    b->burst = burst < 1 ? 1 : burst;
    b->tokens = b->burst;
    b->last_ms = now_ms;
}

double http_bucket_take(http_bucket *b, double now_ms)
{
    if (b->rate <= 0) return 0;
    if (now_ms > b->last_ms) {
        b->tokens += (now_ms - b->last_ms) * b->rate / 1000.0;
        if (b->tokens > b->burst) b->tokens = b->burst;
        b->last_ms = now_ms;
    }
    b->tokens -= 1.0;
    if (b->tokens >= 0) return 0;
    return -b->tokens * 1000.0 / b->rate;
}

/* ---- redaction ---- */
static const char *const secret_names[] = {"access_token", "refresh_token", "sign", "client_secret",
                                           "partner_key", "code", "password", NULL};

static int secret_at(const char *s, size_t i, size_t *name_len)
{
    for (int k = 0; secret_names[k]; k++) {
        size_t n = strlen(secret_names[k]);
        if (strncmp(s + i, secret_names[k], n) != 0) continue;
        if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_')) continue;
        char c = s[i + n];
        if (c == '=' || (c == '"' && s[i + n + 1] == ':') || c == ':') {
            *name_len = n;
            return 1;
        }
    }
    return 0;
}

char *http_redact(const char *s)
{
    bd_buf b = BD_BUF_INIT;
    if (!s) return bd_strdup("");
    size_t i = 0, n = strlen(s);
    while (i < n) {
        size_t nl;
        if (strncasecmp(s + i, "Bearer ", 7) == 0 || strncasecmp(s + i, "Basic ", 6) == 0) {
            size_t k = s[i + 1] == 'e' || s[i + 1] == 'E' ? 7 : 6;
            bd_buf_append(&b, s + i, k);
            bd_buf_puts(&b, "[REDACTED]");
            i += k;
            while (i < n && !isspace((unsigned char)s[i]) && s[i] != '"' && s[i] != ',') i++;
            continue;
        }
        if (secret_at(s, i, &nl)) {
            bd_buf_append(&b, s + i, nl);
            i += nl;
            if (s[i] == '"') { /* JSON: "name": "value" */
                bd_buf_puts(&b, "\":");
                i += 2;
                while (i < n && isspace((unsigned char)s[i])) i++;
                if (s[i] == '"') {
                    i++;
                    while (i < n && s[i] != '"') i += s[i] == '\\' ? 2 : 1;
                    if (i < n) i++;
                } else {
                    while (i < n && s[i] != ',' && s[i] != '}') i++;
                }
                bd_buf_puts(&b, "\"[REDACTED]\"");
            } else { /* name=value or name: value */
                bd_buf_putc(&b, s[i++]);
                while (i < n && s[i] == ' ') bd_buf_putc(&b, s[i++]);
                while (i < n && s[i] != '&' && s[i] != ' ' && s[i] != '\r' && s[i] != '\n' &&
                       s[i] != '"' && s[i] != ',')
                    i++;
                bd_buf_puts(&b, "[REDACTED]");
            }
            continue;
        }
        bd_buf_putc(&b, s[i++]);
    }
    return bd_buf_detach(&b);
}

void http_url_escape(bd_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            bd_buf_putc(b, (char)*p);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            bd_buf_append(b, e, 3);
        }
    }
}

/* ---- the client ---- */
http_client *http_client_new(const http_options *o)
{
    static int curl_ready;
    if (!curl_ready) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        curl_ready = 1;
    }
    http_client *c = bd_calloc(1, sizeof *c);
    c->o = *o;
    c->label = bd_strdup(o->label ? o->label : "http");
    c->o.label = c->label;
    c->curl = curl_easy_init();
    if (!c->curl) abort();
    c->rng = (uint64_t)time(NULL) ^ ((uint64_t)(uintptr_t)c << 16);
    return c;
}

void http_client_free(http_client *c)
{
    if (!c) return;
    if (c->curl) curl_easy_cleanup(c->curl);
    for (int i = 0; i < c->n_buckets; i++) free(c->buckets[i].op);
    free(c->label);
    free(c);
}

const http_stats *http_client_stats(const http_client *c)
{
    return &c->stats;
}

void http_client_set_limit(http_client *c, const char *op, double rate, double burst)
{
    for (int i = 0; i < c->n_buckets; i++)
        if (strcmp(c->buckets[i].op, op) == 0) {
            http_bucket_init(&c->buckets[i].b, rate, burst, http_now_ms());
            return;
        }
    if (c->n_buckets == HTTP_MAX_BUCKETS) return;
    c->buckets[c->n_buckets].op = bd_strdup(op);
    http_bucket_init(&c->buckets[c->n_buckets++].b, rate, burst, http_now_ms());
}

void http_client_set_rate(http_client *c, const char *op, double rate)
{
    for (int i = 0; i < c->n_buckets; i++)
        if (strcmp(c->buckets[i].op, op) == 0 && rate > 0) {
            http_bucket *b = &c->buckets[i].b;
            double now = http_now_ms();
            http_bucket_take(b, now); /* refill up to now at the old rate ... */
            b->tokens += 1;           /* ... without spending a token */
            b->rate = rate;
            return;
        }
}

double http_client_rate(const http_client *c, const char *op)
{
    for (int i = 0; i < c->n_buckets; i++)
        if (strcmp(c->buckets[i].op, op) == 0) return c->buckets[i].b.rate;
    return 0;
}

static http_bucket *bucket_for(http_client *c, const char *op)
{
    http_bucket *any = NULL;
    for (int i = 0; i < c->n_buckets; i++) {
        if (strcmp(c->buckets[i].op, op) == 0) return &c->buckets[i].b;
        if (strcmp(c->buckets[i].op, "*") == 0) any = &c->buckets[i].b;
    }
    return any;
}

void http_attempt_header(http_attempt *a, const char *fmt, ...)
{
    if (a->n_headers == (int)(sizeof a->headers / sizeof a->headers[0])) return;
    bd_buf b = BD_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    bd_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    a->headers[a->n_headers++] = bd_buf_detach(&b);
}

static void attempt_clear(http_attempt *a)
{
    bd_buf_free(&a->url);
    for (int i = 0; i < a->n_headers; i++) free(a->headers[i]);
    a->n_headers = 0;
}

void http_response_clear(http_response *r)
{
    free(r->body);
    free(r->url);
    memset(r, 0, sizeof *r);
}

typedef struct sink {
    bd_buf body;
    size_t max;
    int too_big;
    double retry_after_s; /* -1 when absent */
    double rate_limit;    /* x-amzn-RateLimit-Limit, -1 when absent */
} sink;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    size_t len = size * n;
    if (s->body.len + len > s->max) {
        s->too_big = 1;
        return 0;
    }
    bd_buf_append(&s->body, p, len);
    return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    size_t len = size * n;
    static const char rl[] = "x-amzn-RateLimit-Limit:";
    if (len > sizeof rl - 1 && strncasecmp(p, rl, sizeof rl - 1) == 0) {
        char v[64];
        size_t k = len - (sizeof rl - 1) < sizeof v - 1 ? len - (sizeof rl - 1) : sizeof v - 1;
        memcpy(v, p + sizeof rl - 1, k);
        v[k] = 0;
        char *end;
        double r = strtod(v, &end);
        if (end != v && r > 0) s->rate_limit = r;
    }
    if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
        char v[128];
        size_t k = len - 12 < sizeof v - 1 ? len - 12 : sizeof v - 1;
        memcpy(v, p + 12, k);
        v[k] = 0;
        char *t = v;
        while (*t == ' ') t++;
        for (char *e = t + strlen(t); e > t && isspace((unsigned char)e[-1]);) *--e = 0;
        char *end;
        double secs = strtod(t, &end);
        if (end != t && *end == 0 && secs >= 0) {
            s->retry_after_s = secs;
        } else {
            time_t when = curl_getdate(t, NULL);
            if (when > 0) s->retry_after_s = difftime(when, time(NULL)) > 0 ? difftime(when, time(NULL)) : 0;
        }
    }
    return len;
}

static int retryable_status(long st)
{
    return st == 429 || st == 500 || st == 502 || st == 503 || st == 504 || st == 408;
}

static int retryable_transport(CURLcode rc)
{
    return rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_COULDNT_CONNECT ||
           rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
           rc == CURLE_GOT_NOTHING || rc == CURLE_COULDNT_RESOLVE_HOST;
}

static void log_attempt(http_client *c, const http_request *req, const char *url, long status,
                        const char *what, double ms, int attempt)
{
    if (!c->o.verbose) return;
    char *red = http_redact(url);
    fprintf(stderr, "http: %s %s %s %s -> %s%ld (%.0f ms, attempt %d)\n", c->label, req->op,
            req->method, red, what ? what : "", what ? 0L : status, ms, attempt + 1);
    free(red);
}

int http_perform(http_client *c, const http_request *req, http_response *resp, bd_err *err)
{
    memset(resp, 0, sizeof *resp);
    CURL *h = c->curl;
    int rc_out = HTTP_FAILED;
    char last_err[512] = "no attempt";
    for (int attempt = 0; attempt <= c->o.max_retries; attempt++) {
        http_bucket *b = bucket_for(c, req->op);
        if (b) {
            double wait = http_bucket_take(b, http_now_ms());
            if (wait > 0) {
                c->stats.wait_ms += wait;
                http_sleep_ms(wait);
            }
        }
        http_attempt a = {.attempt = attempt};
        if (req->prepare(req->ud, &a, err)) {
            attempt_clear(&a);
            http_response_clear(resp);
            return HTTP_FAILED;
        }
        free(resp->url);
        resp->url = http_redact(a.url.data);
        struct curl_slist *hdrs = NULL;
        for (int i = 0; i < a.n_headers; i++) hdrs = curl_slist_append(hdrs, a.headers[i]);
        if (req->body) {
            char ct[160];
            snprintf(ct, sizeof ct, "Content-Type: %s",
                     req->content_type ? req->content_type : "application/json");
            hdrs = curl_slist_append(hdrs, ct);
        }
        hdrs = curl_slist_append(hdrs, "Accept: application/json");
        hdrs = curl_slist_append(hdrs, "Expect:");
        sink s = {.max = c->o.max_response, .retry_after_s = -1, .rate_limit = -1};
        curl_easy_reset(h);
        curl_easy_setopt(h, CURLOPT_URL, a.url.data);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->o.connect_timeout_ms);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, c->o.timeout_ms);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->o.max_response);
        curl_easy_setopt(h, CURLOPT_USERAGENT, "borderdesk/0.1");
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        if (req->body) {
            curl_easy_setopt(h, CURLOPT_POST, 1L);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        } else if (strcmp(req->method, "POST") == 0) {
            curl_easy_setopt(h, CURLOPT_POST, 1L);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
        }
        double t0 = http_now_ms();
        CURLcode rc = curl_easy_perform(h);
        double ms = http_now_ms() - t0;
        c->stats.transfer_ms += ms;
        c->stats.requests++;
        c->stats.bytes += (int64_t)s.body.len;
        if (attempt) c->stats.retries++;
        resp->attempts = attempt + 1;
        curl_slist_free_all(hdrs);
        long status = 0;
        if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        log_attempt(c, req, a.url.data, status, rc == CURLE_OK ? NULL : curl_easy_strerror(rc), ms,
                    attempt);
        attempt_clear(&a);

        double wait_ms = -1;
        if (rc != CURLE_OK) {
            if (s.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
                bd_buf_free(&s.body);
                bd_err_set(err, "%s %s %s: response larger than %zu bytes", c->label, req->op,
                           resp->url, c->o.max_response);
                return HTTP_FAILED;
            }
            snprintf(last_err, sizeof last_err, "%s", curl_easy_strerror(rc));
            bd_buf_free(&s.body);
            rc_out = HTTP_FAILED;
            int sure_not_sent = rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST;
            if (!req->idempotent && !sure_not_sent) {
                bd_err_set(err, "%s %s %s: %s (the request may have been processed)", c->label,
                           req->op, resp->url, last_err);
                return HTTP_UNCERTAIN;
            }
            if (!retryable_transport(rc)) break;
        } else {
            if (req->rate_limit && s.rate_limit > 0) *req->rate_limit = s.rate_limit;
            free(resp->body);
            resp->status = status;
            resp->len = s.body.len;
            resp->body = bd_buf_detach(&s.body);
            if (!retryable_status(status)) return HTTP_OK;
            if (status == 429) c->stats.throttled++;
            if (!req->idempotent && status != 429) return HTTP_OK; /* caller decides */
            snprintf(last_err, sizeof last_err, "HTTP %ld", status);
            if (s.retry_after_s >= 0) {
                if (s.retry_after_s > (double)c->o.max_retry_after_s) {
                    bd_err_set(err, "%s %s %s: HTTP %ld with Retry-After %.0f s (more than %ld s)",
                               c->label, req->op, resp->url, status, s.retry_after_s,
                               c->o.max_retry_after_s);
                    return HTTP_FAILED;
                }
                wait_ms = s.retry_after_s * 1000.0;
            }
            rc_out = HTTP_OK; /* if retries run out, the last response is the answer */
        }
        if (attempt == c->o.max_retries) break;
        if (wait_ms < 0) wait_ms = (double)http_backoff_ms(&c->o, attempt, &c->rng);
        c->stats.wait_ms += wait_ms;
        http_sleep_ms(wait_ms);
    }
    if (rc_out == HTTP_OK && resp->body) return HTTP_OK;
    bd_err_set(err, "%s %s %s: %s after %d attempts", c->label, req->op, resp->url ? resp->url : "",
               last_err, resp->attempts);
    return HTTP_FAILED;
}
