/* connector.c — the table of marketplace connectors and the helpers they share: shop
 * settings, rate limits, secrets from the environment, HMAC, JSON calls, pages. */
#include "borderdesk/marketplace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

/* Add a marketplace here (and declare its connector in marketplace.h). */
static const mkt_connector *const connectors[] = {&ebay_connector, &shopee_connector,
                                                      &amazon_connector, &mail_connector, NULL};

const mkt_connector *mkt_connector_find(const char *marketplace)
{
    for (int i = 0; connectors[i]; i++)
        if (bd_streq(connectors[i]->marketplace, marketplace)) return connectors[i];
    return NULL;
}

int mkt_connector_has(const mkt_connector *c, const char *resource)
{
    return bd_str_in(resource, c->resources);
}

/* ---- pages ---- */
#define GROW(arr, n)                                                        \
    do {                                                                    \
        if (((n) & ((n) - 1)) == 0) /* n is 0 or a power of two */          \
            (arr) = bd_realloc((arr), ((n) ? (n) * 2 : 8) * sizeof *(arr)); \
    } while (0)

bd_order *mkt_page_add_order(mkt_page *p)
{
    GROW(p->orders, p->n_orders);
    bd_order *o = &p->orders[p->n_orders++];
    memset(o, 0, sizeof *o);
    return o;
}

bd_message *mkt_page_add_message(mkt_page *p)
{
    GROW(p->messages, p->n_messages);
    bd_message *m = &p->messages[p->n_messages++];
    memset(m, 0, sizeof *m);
    return m;
}

mkt_feedback *mkt_page_add_feedback(mkt_page *p)
{
    GROW(p->feedback, p->n_feedback);
    mkt_feedback *f = &p->feedback[p->n_feedback++];
    memset(f, 0, sizeof *f);
    return f;
}

void mkt_page_add_ref(mkt_page *p, const char *line_item_id, const char *order_id)
{
    GROW(p->refs, p->n_refs);
    p->refs[p->n_refs].line_item_id = bd_strdup(line_item_id);
    p->refs[p->n_refs++].order_id = bd_strdup(order_id);
}

void mkt_page_add_raw(mkt_page *p, size_t i, const char *data, size_t len, size_t full_len,
                      const char *error)
{
    GROW(p->raws, p->n_raws);
    mkt_raw *r = &p->raws[p->n_raws++];
    r->message = i;
    r->data = bd_malloc(len + 1);
    if (len) memcpy(r->data, data, len);
    r->data[len] = 0;
    r->len = len;
    r->full_len = full_len;
    r->error = bd_strdup(error);
}

void mkt_feedback_clear(mkt_feedback *f)
{
    free(f->external_id);
    bd_buyer_clear(&f->buyer);
    free(f->order_id);
    free(f->line_item_id);
    free(f->rating);
    free(f->comment);
    free(f->reply);
    free(f->extra);
    memset(f, 0, sizeof *f);
}

void mkt_page_clear(mkt_page *p)
{
    for (size_t i = 0; i < p->n_orders; i++) bd_order_clear(&p->orders[i]);
    for (size_t i = 0; i < p->n_messages; i++) bd_message_clear(&p->messages[i]);
    for (size_t i = 0; i < p->n_feedback; i++) mkt_feedback_clear(&p->feedback[i]);
    for (size_t i = 0; i < p->n_refs; i++) {
        free(p->refs[i].line_item_id);
        free(p->refs[i].order_id);
    }
    for (size_t i = 0; i < p->n_raws; i++) {
        free(p->raws[i].data);
        free(p->raws[i].error);
    }
    free(p->raws);
    free(p->orders);
    free(p->messages);
    free(p->feedback);
    free(p->refs);
    free(p->cursor);
    memset(p, 0, sizeof *p);
}

void mkt_tokens_clear(mkt_tokens *t)
{
    free(t->access_token);
    free(t->refresh_token);
    free(t->seed);
    memset(t, 0, sizeof *t);
}

void mkt_sent_clear(mkt_sent *s)
{
    free(s->remote_id);
    free(s->conversation_id);
    memset(s, 0, sizeof *s);
}

/* ---- configuration ---- */
const char *mkt_conf_str(mkt_shop *shop, const char *key, const char *def)
{
    const char *v = bd_json_str(shop->conf, key);
    return v ? v : def;
}

int mkt_conf_int64(mkt_shop *shop, const char *key, int64_t def, int64_t *out, bd_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(shop->conf, key);
    *out = def;
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9e15)
        return bd_err_set(err, "shop %s: \"%s\" must be a non-negative number", shop->name, key);
    *out = (int64_t)v->valuedouble;
    return 0;
}

const char *mkt_secret(mkt_shop *shop, const char *env_key, int required, bd_err *err)
{
    const char *var = bd_json_str(shop->conf, env_key);
    if (!var) {
        if (required)
            bd_err_set(err, "shop %s: \"%s\" is missing (the name of the environment variable "
                       "that holds the secret)", shop->name, env_key);
        return NULL;
    }
    const char *v = getenv(var);
    if (!v || !*v) {
        if (required)
            bd_err_set(err, "shop %s: environment variable %s (from \"%s\") is not set",
                       shop->name, var, env_key);
        return NULL;
    }
    return v;
}

int mkt_shop_init(mkt_shop *shop, const cJSON *conf, bd_err *err)
{
    shop->conf = conf;
    shop->name = bd_json_str(conf, "name");
    shop->marketplace = bd_json_str(conf, "marketplace");
    http_options_default(&shop->http_opts);
    http_options *o = &shop->http_opts;
    int64_t v;
    struct {
        const char *key;
        long *dst;
    } longs[] = {{"timeout_ms", &o->timeout_ms},
                 {"connect_timeout_ms", &o->connect_timeout_ms},
                 {"retry_base_ms", &o->backoff_base_ms},
                 {"retry_max_ms", &o->backoff_max_ms},
                 {"max_retry_after_s", &o->max_retry_after_s}};
    for (size_t i = 0; i < sizeof longs / sizeof longs[0]; i++) {
        if (mkt_conf_int64(shop, longs[i].key, *longs[i].dst, &v, err)) return -1;
        *longs[i].dst = (long)v;
    }
    if (mkt_conf_int64(shop, "max_retries", o->max_retries, &v, err)) return -1;
    o->max_retries = (int)(v > 20 ? 20 : v);
    if (mkt_conf_int64(shop, "max_response_bytes", (int64_t)o->max_response, &v, err)) return -1;
    o->max_response = (size_t)v;
    if (mkt_conf_int64(shop, "page_size", 0, &v, err)) return -1;
    shop->page_size = (int)v;
    if (mkt_conf_int64(shop, "overlap_seconds", 120, &shop->overlap, err)) return -1;
    if (mkt_conf_int64(shop, "initial_sync_days", 90, &shop->initial_days, err)) return -1;
    o->label = shop->name;
    shop->http = http_client_new(o);
    return 0;
}

void mkt_shop_clear(mkt_shop *shop)
{
    http_client_free(shop->http);
    shop->http = NULL;
    mkt_tokens_clear(&shop->tokens);
}

/* The client aims a little below the configured rate and keeps one token of the burst in
 * reserve, so that network and scheduling jitter never make the marketplace see a request
 * early (a request delayed on its way and the next one on time arrive closer together
 * than they were sent). */
#define MKT_RATE_MARGIN 0.97

static double client_burst(double burst)
{
    return burst >= 2 ? burst - 1 : 1;
}

int mkt_shop_limits(mkt_shop *shop, const mkt_limit *defaults, bd_err *err)
{
    const cJSON *rl = cJSON_GetObjectItemCaseSensitive(shop->conf, "rate_limits");
    if (cJSON_IsFalse(rl)) return 0;
    if (rl && !cJSON_IsObject(rl))
        return bd_err_set(err, "shop %s: \"rate_limits\" must be an object or false", shop->name);
    for (const mkt_limit *d = defaults; d->op; d++) {
        if (!rl || !cJSON_GetObjectItemCaseSensitive(rl, d->op))
            http_client_set_limit(shop->http, d->op, d->rate * MKT_RATE_MARGIN, client_burst(d->burst));
    }
    for (const cJSON *l = rl ? rl->child : NULL; l; l = l->next) {
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(l, "rate");
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(l, "burst");
        if (cJSON_IsFalse(l)) {
            http_client_set_limit(shop->http, l->string, 0, 1);
            continue;
        }
        if (!cJSON_IsObject(l) || !cJSON_IsNumber(r) || r->valuedouble < 0 ||
            (b && (!cJSON_IsNumber(b) || b->valuedouble < 1)))
            return bd_err_set(err, "shop %s: rate_limits.%s must be {\"rate\": requests per "
                              "second, \"burst\": requests (>= 1)}", shop->name, l->string);
        http_client_set_limit(shop->http, l->string, r->valuedouble * MKT_RATE_MARGIN,
                              client_burst(b ? b->valuedouble : 1));
    }
    return 0;
}

/* ---- crypto ---- */
void mkt_hmac_sha256_hex(const char *key, const char *msg, char out[65])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg, strlen(msg), mac, &len);
    for (unsigned int i = 0; i < len && i < 32; i++) snprintf(out + 2 * i, 3, "%02x", mac[i]);
    out[64] = 0;
}

void mkt_fingerprint(const char *secret, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(secret ? secret : "", secret ? strlen(secret) : 0, md, &len, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < 16; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[32] = 0;
}

/* ---- calls ---- */
int mkt_call_json(mkt_shop *shop, const http_request *req, long *status, cJSON **json,
                  double *json_ms, bd_err *err)
{
    *json = NULL;
    uint64_t rng = (uint64_t)(uintptr_t)req ^ 0x5DEECE66Dull;
    for (int attempt = 0;; attempt++) {
        http_response r;
        int rc = http_perform(shop->http, req, &r, err);
        if (rc != HTTP_OK) {
            http_response_clear(&r);
            return rc;
        }
        *status = r.status;
        double t0 = http_now_ms();
        bd_err perr;
        *json = r.len ? bd_json_parse(r.body, r.len, &perr) : NULL;
        if (!r.len) bd_err_set(&perr, "empty body");
        if (json_ms) *json_ms += http_now_ms() - t0;
        if (*json) {
            http_response_clear(&r);
            return HTTP_OK;
        }
        int retry = req->idempotent && attempt < shop->http_opts.max_retries;
        if (!retry) {
            bd_err_set(err, "shop %s: %s %s: HTTP %ld with a malformed body (%s)%s", shop->name,
                       req->op, r.url, r.status, perr.msg,
                       req->idempotent ? "" : " (the request may have been processed)");
            http_response_clear(&r);
            return req->idempotent ? HTTP_FAILED : HTTP_UNCERTAIN;
        }
        http_response_clear(&r);
        http_sleep_ms((double)http_backoff_ms(&shop->http_opts, attempt, &rng));
    }
}

void mkt_time_ms(int64_t t, char out[32])
{
    char buf[32];
    bd_time_format(t, buf, sizeof buf); /* YYYY-MM-DDTHH:MM:SSZ */
    size_t n = strnlen(buf, 20);
    if (n > 0 && buf[n - 1] == 'Z') n--;
    memcpy(out, buf, n);
    memcpy(out + n, ".000Z", 6);
}

int64_t mkt_json_int(const cJSON *o, const char *key, int64_t def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNumber(v)) return (int64_t)v->valuedouble;
    if (cJSON_IsString(v) && v->valuestring[0]) return strtoll(v->valuestring, NULL, 10);
    return def;
}

char *mkt_json_text(cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    char *copy = bd_strdup(s);
    cJSON_free(s);
    return copy;
}
