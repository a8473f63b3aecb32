/*
 * http.h — the HTTP client every marketplace connector uses (libcurl underneath).
 *
 * One http_client per shop: it keeps its connection open between requests (connection
 * reuse), applies a connect and a total timeout to every attempt, limits the response
 * size, waits on a token bucket per operation before every attempt (so the client stays
 * under the marketplace's rate limit instead of provoking 429s), and retries timeouts,
 * dropped connections, 429 and 5xx with exponential backoff and full jitter, honouring
 * Retry-After. Secrets never reach a log line or an error message: URLs, headers and
 * bodies pass through http_redact() first.
 *
 * A request that is not idempotent (a POST that sends a reply) is retried only when it
 * certainly did not reach the marketplace (connection refused, 429); any other failure
 * returns HTTP_UNCERTAIN so that the caller can reconcile before sending again.
 */
#ifndef BORDERDESK_HTTP_H
#define BORDERDESK_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "borderdesk/util.h"

typedef struct http_options {
    long connect_timeout_ms;  /* default 10000 */
    long timeout_ms;          /* whole attempt, default 30000 */
    int max_retries;          /* retries after the first attempt, default 5 */
    long backoff_base_ms;     /* first backoff, default 500; doubles each retry */
    long backoff_max_ms;      /* backoff cap, default 30000 */
    long max_retry_after_s;   /* a longer Retry-After fails the request, default 300 */
    size_t max_response;      /* bytes, default 32 MiB */
    int verbose;              /* one redacted line per attempt on stderr */
    const char *label;        /* who is asking (the shop name), for logs and errors */
} http_options;
/* Fills o with the defaults above; verbose from $BORDERDESK_HTTP_LOG. */
void http_options_default(http_options *o);

typedef struct http_client http_client;
/* The options are copied (label too). Never NULL. */
http_client *http_client_new(const http_options *o);
void http_client_free(http_client *c); /* NULL-safe */

/* Token bucket for one operation: rate requests per second, burst requests at once.
 * rate <= 0 removes the limit. The operation "*" applies to operations without their own. */
void http_client_set_limit(http_client *c, const char *op, double rate, double burst);
/* Changes the rate of an operation's existing bucket, keeping its burst and its tokens
 * (a marketplace that announces its current limit); no bucket, no change. */
void http_client_set_rate(http_client *c, const char *op, double rate);
/* The rate of the operation's own bucket, or 0 when it has none. */
double http_client_rate(const http_client *c, const char *op);

/* What a request looks like on one attempt; prepare() fills it (fresh signatures and
 * tokens on every attempt). */
typedef struct http_attempt {
    bd_buf url;
    char *headers[16]; /* "Name: value", owned */
    int n_headers;
    int attempt;       /* 0 for the first */
} http_attempt;
void http_attempt_header(http_attempt *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

typedef struct http_request {
    const char *method;       /* "GET" or "POST" */
    const char *op;           /* operation name: the rate-limit bucket, logs, errors */
    const char *body;         /* POST body or NULL */
    size_t body_len;
    const char *content_type; /* of the body */
    int idempotent;
    int (*prepare)(void *ud, http_attempt *a, bd_err *err); /* required */
    void *ud;
    /* optional: set to the x-amzn-RateLimit-Limit header (requests per second) of the
     * last response that carried one; left alone otherwise */
    double *rate_limit;
} http_request;

typedef struct http_response {
    long status;
    char *body; /* NUL-terminated, owned */
    size_t len;
    int attempts;
    char *url;  /* the last URL, redacted, for error messages; owned */
} http_response;
void http_response_clear(http_response *r);

enum { HTTP_OK = 0, HTTP_FAILED = -1, HTTP_UNCERTAIN = -2 };
/* Performs the request with the retry policy above. HTTP_OK: a response arrived (any
 * status: after retries a 429/5xx is returned as it is). HTTP_FAILED: no usable response
 * (err says why: timeout, connection, size limit, Retry-After too long). HTTP_UNCERTAIN:
 * a non-idempotent request may or may not have been processed. */
int http_perform(http_client *c, const http_request *req, http_response *resp, bd_err *err);

/* Counters since the client was made. */
typedef struct http_stats {
    int64_t requests, retries, throttled; /* attempts, retries, 429s seen */
    double transfer_ms, wait_ms;          /* in libcurl; sleeping on buckets and backoff */
    int64_t bytes;
} http_stats;
const http_stats *http_client_stats(const http_client *c);

/* ---- parts exposed for the connectors and the tests ---- */
/* Backoff before retry number attempt (0-based): uniform in [0, min(max, base*2^attempt)]. */
long http_backoff_ms(const http_options *o, int attempt, uint64_t *rng);
void http_sleep_ms(double ms);
double http_now_ms(void); /* monotonic */

typedef struct http_bucket {
    double rate, burst, tokens, last_ms;
} http_bucket;
void http_bucket_init(http_bucket *b, double rate, double burst, double now_ms);
/* Takes one token at now_ms; returns the milliseconds to wait first (0 when available).
 * The token is consumed either way: the caller sleeps and then sends. */
double http_bucket_take(http_bucket *b, double now_ms);

/* A copy of s with secrets masked: values of access_token, refresh_token, sign,
 * client_secret, partner_key, code and password in query strings, form bodies and JSON,
 * and Authorization header values. Caller frees. */
char *http_redact(const char *s);
/* Appends s percent-encoded (RFC 3986 unreserved characters stay). */
void http_url_escape(bd_buf *b, const char *s);

#endif
