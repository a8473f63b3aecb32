/* ebay.c — the eBay connector: Sell Fulfillment getOrders (lastmodifieddate windows,
 * limit/offset), Commerce Message (conversations, their messages, send_message) and
 * Commerce Feedback (getFeedback, respond_to_feedback), with OAuth tokens from the
 * refresh_token or client_credentials grant. */
#include "borderdesk/marketplace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define EBAY_ORDERS_LIMIT 200  /* getOrders maximum */
#define EBAY_MSG_LIMIT 50      /* getConversations / getConversation maximum */
#define EBAY_FEEDBACK_LIMIT 200
#define EBAY_TEXT_MAX 2000     /* send_message messageText */
#define EBAY_FEEDBACK_TEXT_MAX 500
#define EBAY_REFRESH_MARGIN 120 /* refresh a token this many seconds before it expires */

static const char *const ebay_resources[] = {"orders", "messages", "feedback", NULL};

/* Documented call limits are per day (Fulfillment 100,000; Message and Feedback 5,000);
 * the defaults spread them as a steady rate with a small burst. */
static const mkt_limit ebay_limits[] = {
    {"getOrders", 1.15, 10},          {"getConversations", 0.5, 5},
    {"getConversation", 0.5, 5},      {"sendMessage", 0.5, 5},
    {"getFeedback", 0.5, 5},          {"respondToFeedback", 0.5, 5},
    {"token", 1, 2},                  {NULL, 0, 0}};

typedef struct ebay_state {
    char *base, *token_url, *seller, *client_id, *scope;
    const char *client_secret;
    const char *feedback_tickets; /* all, neutral_negative, none */
    /* the last list page, kept between fetch() calls of one run */
    char *list_key;
    cJSON *list;
    double *json_ms;
} ebay_state;

/* ---- requests ---- */
typedef struct call {
    mkt_shop *shop;
    const char *url;
    int basic; /* token endpoint: client credentials instead of the bearer token */
} call;

static void basic_auth(ebay_state *st, char *out, size_t outlen)
{
    char *pair = bd_asprintf("%s:%s", st->client_id ? st->client_id : "",
                             st->client_secret ? st->client_secret : "");
    unsigned char enc[1024];
    int n = EVP_EncodeBlock(enc, (const unsigned char *)pair, (int)strlen(pair));
    snprintf(out, outlen, "%.*s", n, enc);
    free(pair);
}

static int prepare(void *ud, http_attempt *a, bd_err *err)
{
    (void)err;
    call *c = ud;
    ebay_state *st = c->shop->impl;
    bd_buf_puts(&a->url, c->url);
    if (c->basic) {
        char b64[1024];
        basic_auth(st, b64, sizeof b64);
        http_attempt_header(a, "Authorization: Basic %s", b64);
    } else {
        http_attempt_header(a, "Authorization: Bearer %s",
                            c->shop->tokens.access_token ? c->shop->tokens.access_token : "");
    }
    return 0;
}

/* "errorId 30800: message (longMessage)" from an eBay error body, or the OAuth error. */
static void ebay_error_text(const cJSON *j, char *out, size_t outlen)
{
    const cJSON *errs = cJSON_GetObjectItemCaseSensitive(j, "errors");
    const cJSON *e = cJSON_IsArray(errs) ? errs->child : NULL;
    if (e) {
        const char *msg = bd_json_str(e, "message");
        const char *lm = bd_json_str(e, "longMessage");
        snprintf(out, outlen, "errorId %lld: %s%s%s%s", (long long)mkt_json_int(e, "errorId", 0),
                 msg ? msg : "(no message)", lm && !bd_streq(lm, msg) ? " (" : "",
                 lm && !bd_streq(lm, msg) ? lm : "", lm && !bd_streq(lm, msg) ? ")" : "");
        return;
    }
    const char *oe = bd_json_str(j, "error");
    const char *od = bd_json_str(j, "error_description");
    if (oe) {
        snprintf(out, outlen, "%s: %s", oe, od ? od : "");
        return;
    }
    snprintf(out, outlen, "no error details");
}

static int refresh_token(mkt_shop *shop, bd_err *err)
{
    ebay_state *st = shop->impl;
    bd_buf body = BD_BUF_INIT;
    if (shop->tokens.refresh_token) {
        bd_buf_puts(&body, "grant_type=refresh_token&refresh_token=");
        http_url_escape(&body, shop->tokens.refresh_token);
    } else if (st->client_secret) {
        bd_buf_puts(&body, "grant_type=client_credentials");
    } else {
        return bd_err_set(err, "shop %s: the access token expired and neither "
                          "\"refresh_token_env\" nor \"client_secret_env\" is configured",
                          shop->name);
    }
    if (st->scope) {
        bd_buf_puts(&body, "&scope=");
        http_url_escape(&body, st->scope);
    }
    call c = {shop, st->token_url, 1};
    http_request req = {.method = "POST", .op = "token", .body = body.data, .body_len = body.len,
                        .content_type = "application/x-www-form-urlencoded", .idempotent = 1,
                        .prepare = prepare, .ud = &c};
    long status = 0;
    cJSON *j = NULL;
    int rc = mkt_call_json(shop, &req, &status, &j, NULL, err);
    bd_buf_free(&body);
    if (rc != HTTP_OK) return -1;
    const char *tok = bd_json_str(j, "access_token");
    if (status != 200 || !tok) {
        char detail[512];
        ebay_error_text(j, detail, sizeof detail);
        cJSON_Delete(j);
        return bd_err_set(err, "shop %s: token %s: HTTP %ld: %s", shop->name, st->token_url,
                          status, detail);
    }
    free(shop->tokens.access_token);
    shop->tokens.access_token = bd_strdup(tok);
    int64_t ttl = mkt_json_int(j, "expires_in", 7200);
    shop->tokens.access_expires = bd_now() + ttl;
    cJSON_Delete(j);
    if (shop->save_tokens && shop->save_tokens(shop->ud, shop, err)) return -1;
    return 0;
}

static int ensure_token(mkt_shop *shop, bd_err *err)
{
    mkt_tokens *t = &shop->tokens;
    if (t->access_token && (t->access_expires == 0 || t->access_expires - bd_now() > EBAY_REFRESH_MARGIN))
        return 0;
    return refresh_token(shop, err);
}

/* An API call with the bearer token; refreshes once on 401. Any status >= 300 other than
 * want_status is an error naming the shop, the call and eBay's message. *status gets the
 * final status for callers that handle some errors themselves (allow_status). */
static int api(mkt_shop *shop, const char *op, const char *method, const char *url,
               const char *body, long allow_status, long *status_out, cJSON **out, bd_err *err)
{
    ebay_state *st = shop->impl;
    *out = NULL;
    for (int round = 0; round < 2; round++) {
        if (ensure_token(shop, err)) return HTTP_FAILED;
        call c = {shop, url, 0};
        http_request req = {.method = method, .op = op, .body = body,
                            .body_len = body ? strlen(body) : 0,
                            .content_type = "application/json",
                            .idempotent = strcmp(method, "GET") == 0, .prepare = prepare, .ud = &c};
        long status = 0;
        cJSON *j = NULL;
        int rc = mkt_call_json(shop, &req, &status, &j, st->json_ms, err);
        if (rc != HTTP_OK) return rc;
        if (status_out) *status_out = status;
        if (status == 401 && round == 0) {
            cJSON_Delete(j);
            free(shop->tokens.access_token);
            shop->tokens.access_token = NULL;
            continue;
        }
        if (status >= 300 && status != allow_status) {
            char detail[512];
            ebay_error_text(j, detail, sizeof detail);
            char *red = http_redact(url);
            bd_err_set(err, "shop %s: %s %s: HTTP %ld: %s", shop->name, op, red, status, detail);
            free(red);
            cJSON_Delete(j);
            return status >= 500 && !req.idempotent ? HTTP_UNCERTAIN : HTTP_FAILED;
        }
        *out = j;
        return HTTP_OK;
    }
    return HTTP_FAILED;
}

/* ---- normalising ---- */
static int64_t json_time(const cJSON *o, const char *key)
{
    int64_t t = 0;
    const char *s = bd_json_str(o, key);
    if (s && bd_time_parse(s, &t)) return -1;
    return s ? t : 0;
}

static const char *order_status(const cJSON *o)
{
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(o, "cancelStatus");
    const char *cancel = bd_json_str(cs, "cancelState");
    const char *pay = bd_json_str(o, "orderPaymentStatus");
    const char *ful = bd_json_str(o, "orderFulfillmentStatus");
    if (bd_streq(cancel, "CANCELED")) return "cancelled";
    if (bd_streq(pay, "FULLY_REFUNDED")) return "refunded";
    if (bd_streq(pay, "PARTIALLY_REFUNDED")) return "partially_refunded";
    if (bd_streq(pay, "PENDING") || bd_streq(pay, "FAILED")) return "unpaid";
    if (bd_streq(ful, "FULFILLED")) return "shipped";
    if (bd_streq(ful, "IN_PROGRESS")) return "in_progress";
    if (bd_streq(cancel, "CANCEL_REQUESTED")) return "cancel_requested";
    return "paid";
}

static char *unit_price(const char *line_total, int64_t qty)
{
    int64_t micros;
    if (!line_total || bd_money_parse(line_total, &micros)) return NULL;
    char out[48];
    bd_money_format(qty > 0 ? micros / qty : micros, out, sizeof out);
    return bd_strdup(out);
}

static int ebay_order(mkt_shop *shop, const cJSON *j, bd_order *o, mkt_page *page, bd_err *err)
{
    const char *id = bd_json_str(j, "orderId");
    const cJSON *buyer = cJSON_GetObjectItemCaseSensitive(j, "buyer");
    const cJSON *reg = cJSON_GetObjectItemCaseSensitive(buyer, "buyerRegistrationAddress");
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(j, "pricingSummary"), "total");
    if (!id) return bd_err_set(err, "an order without \"orderId\"");
    if (!bd_json_str(buyer, "username"))
        return bd_err_set(err, "order %s: no buyer.username", id);
    if (!bd_json_str(total, "value") || !bd_json_str(total, "currency"))
        return bd_err_set(err, "order %s: no pricingSummary.total", id);
    int64_t created = json_time(j, "creationDate"), modified = json_time(j, "lastModifiedDate");
    if (created <= 0) return bd_err_set(err, "order %s: missing or bad creationDate", id);
    if (modified < 0) return bd_err_set(err, "order %s: bad lastModifiedDate", id);
    int64_t micros;
    if (bd_money_parse(bd_json_str(total, "value"), &micros))
        return bd_err_set(err, "order %s: total \"%s\" is not an amount", id, bd_json_str(total, "value"));
    o->shop = bd_strdup(shop->name);
    o->marketplace = bd_strdup("ebay");
    o->external_id = bd_strdup(id);
    o->buyer.external_id = bd_strdup(bd_json_str(buyer, "username"));
    o->buyer.name = bd_strdup(bd_json_str(reg, "fullName"));
    o->buyer.email = bd_strdup(bd_json_str(reg, "email"));
    o->buyer.country = bd_strdup(bd_json_str(cJSON_GetObjectItemCaseSensitive(reg, "contactAddress"), "countryCode"));
    o->status = bd_strdup(order_status(j));
    o->purchased_at = created;
    o->updated_at = modified ? modified : created;
    o->currency = bd_strdup(bd_json_str(total, "currency"));
    o->total = bd_strdup(bd_json_str(total, "value"));
    const cJSON *lines = cJSON_GetObjectItemCaseSensitive(j, "lineItems");
    int n = cJSON_IsArray(lines) ? cJSON_GetArraySize(lines) : 0;
    o->items = bd_calloc((size_t)n + 1, sizeof *o->items);
    for (const cJSON *l = cJSON_IsArray(lines) ? lines->child : NULL; l; l = l->next) {
        bd_item *it = &o->items[o->n_items++];
        it->sku = bd_strdup(bd_json_str(l, "sku"));
        it->title = bd_strdup(bd_json_str(l, "title") ? bd_json_str(l, "title") : "(untitled)");
        it->quantity = mkt_json_int(l, "quantity", 1);
        it->price = unit_price(bd_json_str(cJSON_GetObjectItemCaseSensitive(l, "lineItemCost"), "value"),
                               it->quantity);
        const char *lid = bd_json_str(l, "lineItemId");
        if (lid) mkt_page_add_ref(page, lid, id);
        if (!o->estimated_delivery) {
            int64_t ed = json_time(cJSON_GetObjectItemCaseSensitive(l, "lineItemFulfillmentInstructions"),
                                   "maxEstimatedDeliveryDate");
            if (ed > 0) o->estimated_delivery = ed;
        }
    }
    cJSON *extra = cJSON_CreateObject();
    const char *keep[] = {"orderPaymentStatus", "orderFulfillmentStatus", "legacyOrderId",
                          "salesRecordReference", NULL};
    for (int k = 0; keep[k]; k++)
        if (bd_json_str(j, keep[k])) cJSON_AddStringToObject(extra, keep[k], bd_json_str(j, keep[k]));
    o->extra = mkt_json_text(extra);
    return 0;
}

/* Order-insensitive signature of the ids on a page, to notice a page served twice. */
static uint64_t page_sig(const cJSON *arr, const char *key)
{
    uint64_t sig = 0;
    for (const cJSON *e = arr ? arr->child : NULL; e; e = e->next) {
        const char *id = bd_json_str(e, key);
        uint64_t h = 1469598103934665603ull;
        for (const char *p = id ? id : ""; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
        sig += h;
    }
    return sig;
}

/* GET a page; re-fetch (with backoff) when the answer is for another offset or repeats
 * exactly the page before it in the SAME listing (prev_sig, which the caller keeps per
 * listing — in the checkpoint when the listing spans fetches). *sig gets the page's. */
static int get_page(mkt_shop *shop, const char *op, const char *url, int64_t offset,
                    const char *array_key, const char *id_key, uint64_t prev_sig, uint64_t *sig_out,
                    cJSON **out, mkt_page *page, bd_err *err)
{
    uint64_t rng = (uint64_t)offset * 7919u + 17;
    for (int attempt = 0;; attempt++) {
        long status;
        int rc = api(shop, op, "GET", url, NULL, 0, &status, out, err);
        page->requests++;
        if (rc != HTTP_OK) return -1;
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(*out, array_key);
        const cJSON *pag = cJSON_GetObjectItemCaseSensitive(*out, "pagination");
        int64_t got = mkt_json_int(pag ? pag : *out, "offset", offset);
        if (arr && !cJSON_IsArray(arr)) {
            char *red = http_redact(url);
            bd_err_set(err, "shop %s: %s %s: \"%s\" is not an array", shop->name, op, red, array_key);
            free(red);
            cJSON_Delete(*out);
            return -1;
        }
        uint64_t sig = page_sig(arr, id_key);
        int stale = got != offset || (offset > 0 && arr && arr->child && sig == prev_sig);
        if (!stale) {
            *sig_out = sig;
            return 0;
        }
        cJSON_Delete(*out);
        *out = NULL;
        if (attempt >= shop->http_opts.max_retries) {
            char *red = http_redact(url);
            bd_err_set(err, "shop %s: %s %s: the marketplace keeps answering with the previous "
                       "page (offset %lld)", shop->name, op, red, (long long)offset);
            free(red);
            return -1;
        }
        http_sleep_ms((double)http_backoff_ms(&shop->http_opts, attempt, &rng));
    }
}

static int page_error(mkt_shop *shop, const char *op, const char *url, bd_err *err)
{
    char inner[sizeof err->msg];
    memcpy(inner, err->msg, sizeof inner);
    char *red = http_redact(url);
    bd_err_set(err, "shop %s: %s %s: %s", shop->name, op, red, inner);
    free(red);
    return -1;
}

/* A time window [from, to] paged by offset; "done" is where the last complete window ended. */
typedef struct window {
    int64_t from, to, offset, total, index;
    uint64_t sig;     /* page_sig of the page before offset, to notice it served again */
    uint64_t cur_sig; /* page_sig of the page at offset, once read (conversations) */
} window;

/* The signature as checkpoint text (a JSON number would lose bits). */
static uint64_t cursor_sig(const cJSON *cur, const char *key)
{
    const char *hex = bd_json_str(cur, key);
    return hex ? strtoull(hex, NULL, 16) : 0;
}

static void add_sig(cJSON *c, const char *key, uint64_t sig)
{
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)sig);
    cJSON_AddStringToObject(c, key, hex);
}

static void window_start(mkt_shop *shop, const cJSON *cur, int64_t since, window *w)
{
    int64_t now = bd_now();
    int64_t done = mkt_json_int(cur, "done", 0);
    if (cur && cJSON_GetObjectItemCaseSensitive(cur, "to") && since <= 0) {
        w->from = mkt_json_int(cur, "from", 0);
        w->to = mkt_json_int(cur, "to", now);
        w->offset = mkt_json_int(cur, "offset", 0);
        w->total = mkt_json_int(cur, "total", -1);
        w->index = mkt_json_int(cur, "index", 0);
        w->sig = cursor_sig(cur, "sig");
        w->cur_sig = cursor_sig(cur, "cur_sig");
        return;
    }
    w->from = since > 0 ? since : done > 0 ? done - shop->overlap : now - shop->initial_days * 86400;
    w->to = now;
    w->offset = 0;
    w->total = -1;
    w->index = 0;
    w->sig = w->cur_sig = 0;
}

static char *window_cursor(const window *w, int done)
{
    cJSON *c = cJSON_CreateObject();
    if (done) {
        cJSON_AddNumberToObject(c, "done", (double)w->to);
    } else {
        cJSON_AddNumberToObject(c, "from", (double)w->from);
        cJSON_AddNumberToObject(c, "to", (double)w->to);
        cJSON_AddNumberToObject(c, "offset", (double)w->offset);
        cJSON_AddNumberToObject(c, "total", (double)w->total);
        cJSON_AddNumberToObject(c, "index", (double)w->index);
        add_sig(c, "sig", w->sig);
        if (w->cur_sig) add_sig(c, "cur_sig", w->cur_sig);
    }
    return mkt_json_text(c);
}

/* Where to continue after a page at w->offset with n items when the result set now has
 * total entries: rows that left the set shift later rows down, so step back by as many. */
static void window_advance(window *w, int64_t n, int64_t total)
{
    int64_t next = w->offset + n;
    if (w->total >= 0 && total < w->total) next -= w->total - total;
    if (next < 0) next = 0;
    if (w->total >= 0 && total > w->total) next = w->offset + n; /* new rows land in front */
    w->offset = next;
    w->total = total;
}

static int fetch_orders(mkt_shop *shop, const cJSON *cur, int64_t since, mkt_page *page,
                        bd_err *err)
{
    ebay_state *st = shop->impl;
    window w;
    window_start(shop, cur, since, &w);
    int limit = shop->page_size > 0 && shop->page_size <= EBAY_ORDERS_LIMIT ? shop->page_size
                                                                            : EBAY_ORDERS_LIMIT;
    char a[32], b[32];
    mkt_time_ms(w.from, a);
    mkt_time_ms(w.to, b);
    char *url = bd_asprintf("%s/sell/fulfillment/v1/order?filter=lastmodifieddate:%%5B%s..%s%%5D"
                            "&limit=%d&offset=%lld", st->base, a, b, limit, (long long)w.offset);
    cJSON *j = NULL;
    if (get_page(shop, "getOrders", url, w.offset, "orders", "orderId", w.sig, &w.sig, &j, page, err)) {
        free(url);
        return -1;
    }
    double t0 = http_now_ms();
    const cJSON *orders = cJSON_GetObjectItemCaseSensitive(j, "orders");
    int64_t total = mkt_json_int(j, "total", 0);
    int rc = 0;
    for (const cJSON *o = orders ? orders->child : NULL; o && !rc; o = o->next)
        rc = ebay_order(shop, o, mkt_page_add_order(page), page, err);
    page->json_ms += http_now_ms() - t0;
    int64_t n = orders ? cJSON_GetArraySize(orders) : 0;
    cJSON_Delete(j);
    if (rc) {
        page_error(shop, "getOrders", url, err);
        free(url);
        return -1;
    }
    free(url);
    window_advance(&w, n, total);
    int done = n == 0 || w.offset >= total;
    page->cursor = window_cursor(&w, done);
    page->done = done;
    return 0;
}

/* ---- messages ---- */
static int ebay_message(mkt_shop *shop, const char *conv, const cJSON *m, bd_message *out,
                        bd_err *err)
{
    ebay_state *st = shop->impl;
    const char *id = bd_json_str(m, "messageId");
    const char *from = bd_json_str(m, "senderUsername");
    const char *to = bd_json_str(m, "recipientUsername");
    int64_t t = json_time(m, "createdDate");
    if (!id || !from || t <= 0)
        return bd_err_set(err, "conversation %s: a message without messageId, senderUsername "
                          "or createdDate", conv);
    int out_dir = bd_streq(from, st->seller);
    const char *buyer = out_dir ? to : from;
    if (!buyer) return bd_err_set(err, "message %s: no recipientUsername", id);
    out->shop = bd_strdup(shop->name);
    out->marketplace = bd_strdup("ebay");
    out->external_id = bd_strdup(id);
    out->buyer.external_id = bd_strdup(buyer);
    out->conversation_id = bd_strdup(conv);
    out->direction = out_dir ? BD_DIR_OUT : BD_DIR_IN;
    out->subject = bd_strdup(bd_json_str(m, "subject"));
    out->body = bd_strdup(bd_json_str(m, "messageBody") ? bd_json_str(m, "messageBody") : "");
    out->sent_at = t;
    out->author = bd_strdup(from);
    return 0;
}

static int cmp_msg(const void *a, const void *b)
{
    const bd_message *x = a, *y = b;
    if (x->sent_at != y->sent_at) return x->sent_at < y->sent_at ? -1 : 1;
    return strcmp(x->external_id, y->external_id);
}

/* Every message of one conversation, oldest first. */
static int conversation_messages(mkt_shop *shop, const char *conv, mkt_page *page, bd_err *err)
{
    ebay_state *st = shop->impl;
    bd_buf esc = BD_BUF_INIT;
    http_url_escape(&esc, conv);
    uint64_t sig = 0;
    for (int64_t off = 0;;) {
        char *url = bd_asprintf("%s/commerce/message/v1/conversation/%s?conversation_type=FROM_MEMBERS"
                                "&limit=%d&offset=%lld", st->base, esc.data, EBAY_MSG_LIMIT, (long long)off);
        cJSON *j = NULL;
        if (get_page(shop, "getConversation", url, off, "messages", "messageId", sig, &sig, &j, page, err)) {
            free(url);
            bd_buf_free(&esc);
            return -1;
        }
        double t0 = http_now_ms();
        const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(j, "messages");
        int rc = 0, n = 0;
        for (const cJSON *m = msgs ? msgs->child : NULL; m && !rc; m = m->next, n++)
            rc = ebay_message(shop, conv, m, mkt_page_add_message(page), err);
        int64_t total = mkt_json_int(j, "total", 0);
        page->json_ms += http_now_ms() - t0;
        cJSON_Delete(j);
        if (rc) {
            page_error(shop, "getConversation", url, err);
            free(url);
            bd_buf_free(&esc);
            return -1;
        }
        free(url);
        off += EBAY_MSG_LIMIT;
        if (n == 0 || off >= total) break;
    }
    bd_buf_free(&esc);
    /* a message seen twice (pages shifted by a new message) is stored once */
    qsort(page->messages, page->n_messages, sizeof *page->messages, cmp_msg);
    size_t k = 0;
    for (size_t i = 0; i < page->n_messages; i++) {
        if (k && strcmp(page->messages[k - 1].external_id, page->messages[i].external_id) == 0) {
            bd_message_clear(&page->messages[i]);
            continue;
        }
        if (k != i) page->messages[k] = page->messages[i];
        k++;
    }
    page->n_messages = k;
    return 0;
}

static int fetch_messages(mkt_shop *shop, const cJSON *cur, int64_t since, mkt_page *page,
                          bd_err *err)
{
    ebay_state *st = shop->impl;
    window w;
    window_start(shop, cur, since, &w);
    char a[32], b[32];
    mkt_time_ms(w.from, a);
    mkt_time_ms(w.to, b);
    char *url = bd_asprintf("%s/commerce/message/v1/conversation?conversation_type=FROM_MEMBERS"
                            "&start_time=%s&end_time=%s&limit=%d&offset=%lld", st->base, a, b,
                            EBAY_MSG_LIMIT, (long long)w.offset);
    if (!st->list || !bd_streq(st->list_key, url)) {
        cJSON_Delete(st->list);
        st->list = NULL;
        free(st->list_key);
        st->list_key = NULL;
        if (get_page(shop, "getConversations", url, w.offset, "conversations", "conversationId",
                     w.sig, &w.cur_sig, &st->list, page, err)) {
            free(url);
            return -1;
        }
        st->list_key = bd_strdup(url);
        /* a changed total (conversations that left the window) moves the offset back */
        int64_t total = mkt_json_int(st->list, "total", 0);
        if (w.total >= 0 && total < w.total && w.index == 0) {
            window back = w;
            window_advance(&back, 0, total);
            if (back.offset != w.offset) {
                back.index = 0;
                back.cur_sig = 0; /* the page at the new offset is still to be read */
                page->cursor = window_cursor(&back, 0);
                free(url);
                return 0;
            }
        }
        w.total = total;
    }
    free(url);
    const cJSON *convs = cJSON_GetObjectItemCaseSensitive(st->list, "conversations");
    int n = cJSON_IsArray(convs) ? cJSON_GetArraySize(convs) : 0;
    int64_t total = mkt_json_int(st->list, "total", 0);
    if (w.index < n) {
        const cJSON *c = cJSON_GetArrayItem(convs, (int)w.index);
        const char *cid = bd_json_str(c, "conversationId");
        if (!cid) return bd_err_set(err, "shop %s: getConversations: a conversation without "
                                    "conversationId", shop->name);
        if (conversation_messages(shop, cid, page, err)) return -1;
        w.index++;
    }
    if (w.index >= n) {
        window_advance(&w, n, total);
        w.index = 0;
        w.sig = w.cur_sig; /* the page just finished is the one before the next */
        w.cur_sig = 0;
    }
    int done = n == 0 || (w.index == 0 && w.offset >= total);
    page->cursor = window_cursor(&w, done);
    page->done = done;
    return 0;
}

/* ---- feedback ---- */
static int wants_ticket(ebay_state *st, const char *rating)
{
    if (bd_streq(st->feedback_tickets, "all")) return 1;
    if (bd_streq(st->feedback_tickets, "none")) return 0;
    return !bd_streq(rating, "positive");
}

static int ebay_feedback(mkt_shop *shop, const cJSON *f, mkt_page *page, int64_t *left,
                         bd_err *err)
{
    ebay_state *st = shop->impl;
    const char *id = bd_json_str(f, "feedbackId");
    const char *type = bd_json_str(f, "commentType");
    const cJSON *prov = cJSON_GetObjectItemCaseSensitive(f, "providerUserDetail");
    const char *user = bd_json_str(prov, "userId");
    int64_t t = json_time(f, "feedbackEnteredDate");
    if (!id || !type || !user || t <= 0)
        return bd_err_set(err, "a feedback entry without feedbackId, commentType, "
                          "providerUserDetail.userId or feedbackEnteredDate");
    *left = t;
    mkt_feedback *fb = mkt_page_add_feedback(page);
    fb->external_id = bd_strdup(id);
    fb->buyer.external_id = bd_strdup(user);
    char rating[16];
    snprintf(rating, sizeof rating, "%s", type);
    bd_str_lower_ascii(rating);
    fb->rating = bd_strdup(rating);
    const cJSON *summary = cJSON_GetObjectItemCaseSensitive(f, "orderLineItemSummary");
    fb->line_item_id = bd_strdup(bd_json_str(summary, "orderLineItemId"));
    fb->comment = bd_strdup(bd_json_str(cJSON_GetObjectItemCaseSensitive(f, "feedbackComment"), "commentText"));
    fb->reply = bd_strdup(bd_json_str(cJSON_GetObjectItemCaseSensitive(f, "replyComment"), "commentText"));
    fb->left_at = t;
    const cJSON *ratings = cJSON_GetObjectItemCaseSensitive(f, "feedbackRatings");
    for (const cJSON *r = cJSON_IsArray(ratings) ? ratings->child : NULL; r; r = r->next)
        if (bd_streq(bd_json_str(r, "ratingType"), "OVERALL_EXPERIENCE"))
            fb->score = (int)mkt_json_int(r, "value", 0);
    if (!wants_ticket(st, fb->rating)) return 0;
    /* the feedback as a buyer message on its own ticket, the seller's reply after it */
    char *conv = bd_asprintf("feedback:%s", id);
    bd_message *m = mkt_page_add_message(page);
    m->shop = bd_strdup(shop->name);
    m->marketplace = bd_strdup("ebay");
    m->external_id = bd_strdup(conv);
    m->buyer.external_id = bd_strdup(user);
    m->conversation_id = bd_strdup(conv);
    m->direction = BD_DIR_IN;
    m->subject = bd_asprintf("eBay feedback: %s", fb->rating);
    m->body = bd_strdup(fb->comment ? fb->comment : "");
    m->sent_at = t;
    m->author = bd_strdup(user);
    m->extra = bd_asprintf("{\"feedback_id\":\"%s\",\"rating\":\"%s\"}", id, fb->rating);
    if (fb->reply) {
        bd_message *r = mkt_page_add_message(page);
        r->shop = bd_strdup(shop->name);
        r->marketplace = bd_strdup("ebay");
        r->external_id = bd_asprintf("feedback-reply:%s", id);
        r->buyer.external_id = bd_strdup(user);
        r->conversation_id = bd_strdup(conv);
        r->direction = BD_DIR_OUT;
        r->body = bd_strdup(fb->reply);
        r->sent_at = t + 1;
        r->author = bd_strdup(st->seller);
    }
    free(conv);
    return 0;
}

static int fetch_feedback(mkt_shop *shop, const cJSON *cur, int64_t since, mkt_page *page,
                          bd_err *err)
{
    ebay_state *st = shop->impl;
    int64_t offset = 0, stop, high;
    uint64_t sig = 0;
    if (cur && cJSON_GetObjectItemCaseSensitive(cur, "offset") && since <= 0) {
        offset = mkt_json_int(cur, "offset", 0);
        sig = cursor_sig(cur, "sig");
        stop = mkt_json_int(cur, "stop", 0);
        high = mkt_json_int(cur, "high", 0);
    } else {
        int64_t done = mkt_json_int(cur, "done", 0);
        stop = since > 0 ? since : done > 0 ? done - shop->overlap : 0;
        high = done;
    }
    bd_buf user = BD_BUF_INIT;
    http_url_escape(&user, st->seller);
    char *url = bd_asprintf("%s/commerce/feedback/v1/feedback?user_id=%s&feedback_type=FEEDBACK_RECEIVED"
                            "&sort=TIME&limit=%d&offset=%lld", st->base, user.data,
                            EBAY_FEEDBACK_LIMIT, (long long)offset);
    bd_buf_free(&user);
    cJSON *j = NULL;
    if (get_page(shop, "getFeedback", url, offset, "feedbackEntries", "feedbackId", sig, &sig, &j, page,
                 err)) {
        free(url);
        return -1;
    }
    double t0 = http_now_ms();
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, "feedbackEntries");
    int64_t total = mkt_json_int(cJSON_GetObjectItemCaseSensitive(j, "pagination"), "total", 0);
    int rc = 0, n = 0, older = 0;
    for (const cJSON *f = arr ? arr->child : NULL; f && !rc; f = f->next, n++) {
        int64_t left = 0;
        rc = ebay_feedback(shop, f, page, &left, err);
        if (left > high) high = left;
        if (left < stop) older = 1;
    }
    page->json_ms += http_now_ms() - t0;
    cJSON_Delete(j);
    if (rc) {
        page_error(shop, "getFeedback", url, err);
        free(url);
        return -1;
    }
    free(url);
    qsort(page->messages, page->n_messages, sizeof *page->messages, cmp_msg);
    offset += n;
    int done = n == 0 || older || offset >= total;
    cJSON *c = cJSON_CreateObject();
    if (done) {
        cJSON_AddNumberToObject(c, "done", (double)(high ? high : bd_now()));
    } else {
        cJSON_AddNumberToObject(c, "offset", (double)offset);
        cJSON_AddNumberToObject(c, "stop", (double)stop);
        cJSON_AddNumberToObject(c, "high", (double)high);
        add_sig(c, "sig", sig);
    }
    page->cursor = mkt_json_text(c);
    page->done = done;
    return 0;
}

/* ---- the connector ---- */
static char *trim_slash(const char *s)
{
    char *c = bd_strdup(s);
    size_t n = strlen(c);
    while (n && c[n - 1] == '/') c[--n] = 0;
    return c;
}

static int ebay_open(mkt_shop *shop, bd_err *err)
{
    ebay_state *st = bd_calloc(1, sizeof *st);
    shop->impl = st;
    st->base = trim_slash(mkt_conf_str(shop, "endpoint", "https://api.ebay.com"));
    const char *tu = mkt_conf_str(shop, "token_endpoint", NULL);
    st->token_url = tu ? bd_strdup(tu) : bd_asprintf("%s/identity/v1/oauth2/token", st->base);
    st->seller = bd_strdup(mkt_conf_str(shop, "seller_username", NULL));
    if (!st->seller)
        return bd_err_set(err, "shop %s: \"seller_username\" (the seller's eBay user ID) is "
                          "required", shop->name);
    const char *cid = mkt_conf_str(shop, "client_id", NULL);
    if (!cid) cid = mkt_secret(shop, "client_id_env", 0, err);
    st->client_id = bd_strdup(cid);
    st->client_secret = mkt_secret(shop, "client_secret_env", 0, err);
    st->scope = bd_strdup(mkt_conf_str(shop, "scope", NULL));
    st->feedback_tickets = mkt_conf_str(shop, "feedback_tickets", "neutral_negative");
    if (!bd_str_in(st->feedback_tickets, (const char *const[]){"all", "neutral_negative", "none", NULL}))
        return bd_err_set(err, "shop %s: \"feedback_tickets\" must be all, neutral_negative or none",
                          shop->name);
    if (!shop->tokens.refresh_token && !st->client_secret && !shop->tokens.access_token)
        return bd_err_set(err, "shop %s: no credentials: set \"refresh_token_env\" (and "
                          "\"client_id\", \"client_secret_env\") or \"access_token_env\"", shop->name);
    if ((shop->tokens.refresh_token || st->client_secret) && (!st->client_id || !st->client_secret))
        return bd_err_set(err, "shop %s: refreshing tokens needs \"client_id\" and "
                          "\"client_secret_env\"", shop->name);
    return mkt_shop_limits(shop, ebay_limits, err);
}

static void ebay_close(mkt_shop *shop)
{
    ebay_state *st = shop->impl;
    if (!st) return;
    free(st->base);
    free(st->token_url);
    free(st->seller);
    free(st->client_id);
    free(st->scope);
    free(st->list_key);
    cJSON_Delete(st->list);
    free(st);
    shop->impl = NULL;
}

static int ebay_fetch(mkt_shop *shop, const char *resource, const char *cursor, int64_t since,
                      mkt_page *page, bd_err *err)
{
    ebay_state *st = shop->impl;
    memset(page, 0, sizeof *page);
    st->json_ms = &page->json_ms;
    cJSON *cur = NULL;
    if (cursor) {
        bd_err perr;
        cur = bd_json_parse(cursor, strlen(cursor), &perr);
        if (!cur) return bd_err_set(err, "shop %s: stored %s checkpoint is damaged: %s",
                                    shop->name, resource, perr.msg);
    }
    int rc;
    if (strcmp(resource, "orders") == 0) rc = fetch_orders(shop, cur, since, page, err);
    else if (strcmp(resource, "messages") == 0) rc = fetch_messages(shop, cur, since, page, err);
    else if (strcmp(resource, "feedback") == 0) rc = fetch_feedback(shop, cur, since, page, err);
    else rc = bd_err_set(err, "shop %s: eBay has no resource \"%s\"", shop->name, resource);
    cJSON_Delete(cur);
    st->json_ms = NULL;
    if (rc) mkt_page_clear(page);
    return rc;
}

static int is_feedback(const mkt_reply *r, const char **fid)
{
    if (r->conversation_id && strncmp(r->conversation_id, "feedback:", 9) == 0) {
        *fid = r->conversation_id + 9;
        return 1;
    }
    return 0;
}

/* Looks for our reply in what eBay now shows: the feedback's reply comment, or a seller
 * message with the same text in the conversation (or, without one, in the conversations
 * with the buyer). */
static int ebay_find_sent(mkt_shop *shop, const mkt_reply *r, mkt_sent *out, bd_err *err)
{
    ebay_state *st = shop->impl;
    memset(out, 0, sizeof *out);
    const char *fid;
    bd_buf q = BD_BUF_INIT;
    if (is_feedback(r, &fid)) {
        bd_buf_printf(&q, "%s/commerce/feedback/v1/feedback?feedback_id=", st->base);
        http_url_escape(&q, fid);
        bd_buf_puts(&q, "&feedback_type=FEEDBACK_RECEIVED&user_id=");
        http_url_escape(&q, st->seller);
        cJSON *j = NULL;
        int rc = api(shop, "getFeedback", "GET", q.data, NULL, 0, NULL, &j, err);
        bd_buf_free(&q);
        if (rc != HTTP_OK) return -1;
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "feedbackEntries");
        const char *reply = bd_json_str(
            cJSON_GetObjectItemCaseSensitive(cJSON_IsArray(e) ? e->child : NULL, "replyComment"),
            "commentText");
        int found = reply && strcmp(reply, r->text) == 0;
        if (found) {
            out->remote_id = bd_asprintf("feedback-reply:%s", fid);
            out->conversation_id = bd_strdup(r->conversation_id);
            out->sent_at = bd_now();
        }
        cJSON_Delete(j);
        return found;
    }
    if (r->conversation_id) {
        bd_buf_printf(&q, "%s/commerce/message/v1/conversation/", st->base);
        http_url_escape(&q, r->conversation_id);
        bd_buf_printf(&q, "?conversation_type=FROM_MEMBERS&limit=%d&offset=0", EBAY_MSG_LIMIT);
    } else {
        bd_buf_printf(&q, "%s/commerce/message/v1/conversation?conversation_type=FROM_MEMBERS"
                      "&limit=%d&offset=0&other_party_username=", st->base, EBAY_MSG_LIMIT);
        http_url_escape(&q, r->buyer_id ? r->buyer_id : "");
    }
    cJSON *j = NULL;
    int rc = api(shop, r->conversation_id ? "getConversation" : "getConversations", "GET", q.data,
                 NULL, 0, NULL, &j, err);
    bd_buf_free(&q);
    if (rc != HTTP_OK) return -1;
    int found = 0;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, r->conversation_id ? "messages" : "conversations");
    for (const cJSON *e = cJSON_IsArray(list) ? list->child : NULL; e && !found; e = e->next) {
        const cJSON *m = r->conversation_id ? e : cJSON_GetObjectItemCaseSensitive(e, "latestMessage");
        int64_t t = json_time(m, "createdDate");
        if (bd_streq(bd_json_str(m, "senderUsername"), st->seller) &&
            bd_streq(bd_json_str(m, "messageBody"), r->text) && t >= r->not_before - 300 &&
            bd_json_str(m, "messageId")) {
            found = 1;
            out->remote_id = bd_strdup(bd_json_str(m, "messageId"));
            out->conversation_id = bd_strdup(r->conversation_id ? r->conversation_id
                                                                : bd_json_str(e, "conversationId"));
            out->sent_at = t;
        }
    }
    cJSON_Delete(j);
    return found;
}

static int ebay_send(mkt_shop *shop, const mkt_reply *r, mkt_sent *out, bd_err *err)
{
    ebay_state *st = shop->impl;
    memset(out, 0, sizeof *out);
    const char *fid = NULL;
    size_t len = bd_utf8_len(r->text);
    int fb = is_feedback(r, &fid);
    size_t max = fb ? EBAY_FEEDBACK_TEXT_MAX : EBAY_TEXT_MAX;
    if (len > max) {
        bd_err_set(err, "eBay accepts at most %zu characters here; the reply has %zu", max, len);
        return MKT_REJECTED;
    }
    cJSON *body = cJSON_CreateObject();
    char *url;
    const char *op;
    if (fb) {
        cJSON_AddStringToObject(body, "feedbackId", fid);
        cJSON_AddStringToObject(body, "recipientUserId", r->buyer_id ? r->buyer_id : "");
        cJSON_AddStringToObject(body, "responseText", r->text);
        cJSON_AddStringToObject(body, "responseType", "REPLY");
        url = bd_asprintf("%s/commerce/feedback/v1/respond_to_feedback", st->base);
        op = "respondToFeedback";
    } else {
        if (r->conversation_id) cJSON_AddStringToObject(body, "conversationId", r->conversation_id);
        else cJSON_AddStringToObject(body, "otherPartyUsername", r->buyer_id ? r->buyer_id : "");
        cJSON_AddStringToObject(body, "messageText", r->text);
        url = bd_asprintf("%s/commerce/message/v1/send_message", st->base);
        op = "sendMessage";
    }
    char *text = mkt_json_text(body);
    long status = 0;
    cJSON *j = NULL;
    int rc = api(shop, op, "POST", url, text, 0, &status, &j, err);
    free(text);
    free(url);
    if (rc == HTTP_UNCERTAIN) return MKT_UNCERTAIN;
    if (rc != HTTP_OK) {
        if (status == 0 || status == 429 || status == 401 || status == 403) return MKT_RETRY;
        if (status >= 500) return MKT_UNCERTAIN;
        if (fb && status == 409) { /* "Reply already left": ours, from an earlier attempt? */
            bd_err keep = *err;
            int found = ebay_find_sent(shop, r, out, err);
            if (found == 1) return MKT_SENT;
            if (found == 0) *err = keep;
            return found < 0 ? MKT_RETRY : MKT_REJECTED;
        }
        return MKT_REJECTED;
    }
    out->sent_at = bd_now();
    out->conversation_id = bd_strdup(r->conversation_id);
    if (fb) {
        out->remote_id = bd_asprintf("feedback-reply:%s", fid);
    } else {
        out->remote_id = bd_strdup(bd_json_str(j, "messageId"));
        int64_t t = json_time(j, "createdDate");
        if (t > 0) out->sent_at = t;
    }
    cJSON_Delete(j);
    if (!out->remote_id) {
        bd_err_set(err, "shop %s: %s: the answer has no messageId", shop->name, op);
        return MKT_UNCERTAIN;
    }
    return MKT_SENT;
}

const mkt_connector ebay_connector = {
    .marketplace = "ebay",
    .resources = ebay_resources,
    .open = ebay_open,
    .close = ebay_close,
    .fetch = ebay_fetch,
    .send = ebay_send,
    .find_sent = ebay_find_sent,
};
