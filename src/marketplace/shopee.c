/* shopee.c — the Shopee Open Platform v2 connector: signed requests (HMAC-SHA256),
 * access tokens from auth/access_token/get (the refresh token rotates), orders through
 * get_order_list (update_time windows of at most 15 days, cursor/next_cursor/more) and
 * get_order_detail (at most 50 per call), seller chat conversations and messages, and
 * send_message. Errors arrive inside HTTP 200 bodies ("error", "message"). */
#include "borderdesk/marketplace.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOPEE_WINDOW (15 * 86400) /* get_order_list: time_to - time_from at most */
#define SHOPEE_LIST_SIZE 100       /* get_order_list page_size maximum */
#define SHOPEE_DETAIL_BATCH 50     /* get_order_detail order_sn_list maximum */
#define SHOPEE_CHAT_SIZE 60        /* get_conversation_list / get_message page_size */
#define SHOPEE_REFRESH_MARGIN 300
#define SHOPEE_DETAIL_FIELDS "buyer_user_id,buyer_username,item_list,total_amount,pay_time,shipping_carrier"

static const char *const shopee_resources[] = {"orders", "messages", NULL};

/* Shopee limits calls per partner and shop; these defaults stay well inside them. */
static const mkt_limit shopee_limits[] = {{"get_order_list", 10, 10},
                                          {"get_order_detail", 10, 10},
                                          {"get_conversation_list", 10, 10},
                                          {"get_message", 10, 10},
                                          {"send_message", 5, 5},
                                          {"access_token", 1, 2},
                                          {NULL, 0, 0}};

typedef struct shopee_state {
    char *base;
    int64_t partner_id, shop_id;
    const char *partner_key;
    char *list_key; /* the conversation list page kept between fetch() calls */
    cJSON *list;
    double *json_ms;
} shopee_state;

typedef struct call {
    mkt_shop *shop;
    const char *path;  /* /api/v2/... */
    const char *query; /* already escaped "a=b&c=d", or NULL */
    int public_call;   /* signed without access_token and shop_id */
} call;

static int prepare(void *ud, http_attempt *a, bd_err *err)
{
    (void)err;
    call *c = ud;
    shopee_state *st = c->shop->impl;
    long long ts = (long long)bd_now();
    const char *tok = c->shop->tokens.access_token ? c->shop->tokens.access_token : "";
    char *base = c->public_call
                     ? bd_asprintf("%lld%s%lld", (long long)st->partner_id, c->path, ts)
                     : bd_asprintf("%lld%s%lld%s%lld", (long long)st->partner_id, c->path, ts, tok,
                                   (long long)st->shop_id);
    char sign[65];
    mkt_hmac_sha256_hex(st->partner_key, base, sign);
    free(base);
    bd_buf_printf(&a->url, "%s%s?partner_id=%lld&timestamp=%lld&sign=%s", st->base, c->path,
                  (long long)st->partner_id, ts, sign);
    if (!c->public_call) {
        bd_buf_puts(&a->url, "&shop_id=");
        bd_buf_printf(&a->url, "%lld&access_token=", (long long)st->shop_id);
        http_url_escape(&a->url, tok);
    }
    if (c->query && *c->query) {
        bd_buf_putc(&a->url, '&');
        bd_buf_puts(&a->url, c->query);
    }
    return 0;
}

static int refresh_token(mkt_shop *shop, bd_err *err)
{
    shopee_state *st = shop->impl;
    if (!shop->tokens.refresh_token)
        return bd_err_set(err, "shop %s: the access token expired and no \"refresh_token_env\" "
                          "is configured", shop->name);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "refresh_token", shop->tokens.refresh_token);
    cJSON_AddNumberToObject(b, "partner_id", (double)st->partner_id);
    cJSON_AddNumberToObject(b, "shop_id", (double)st->shop_id);
    char *body = mkt_json_text(b);
    call c = {shop, "/api/v2/auth/access_token/get", NULL, 1};
    http_request req = {.method = "POST", .op = "access_token", .body = body,
                        .body_len = strlen(body), .content_type = "application/json",
                        .idempotent = 1, .prepare = prepare, .ud = &c};
    long status = 0;
    cJSON *j = NULL;
    int rc = mkt_call_json(shop, &req, &status, &j, NULL, err);
    free(body);
    if (rc != HTTP_OK) return -1;
    const char *e = bd_json_str(j, "error");
    const char *tok = bd_json_str(j, "access_token");
    const char *ref = bd_json_str(j, "refresh_token");
    if (status != 200 || (e && *e) || !tok || !ref) {
        bd_err_set(err, "shop %s: access_token/get: HTTP %ld: %s: %s", shop->name, status,
                   e && *e ? e : "no access_token", bd_json_str(j, "message") ? bd_json_str(j, "message") : "");
        cJSON_Delete(j);
        return -1;
    }
    free(shop->tokens.access_token);
    free(shop->tokens.refresh_token);
    shop->tokens.access_token = bd_strdup(tok);
    shop->tokens.refresh_token = bd_strdup(ref);
    shop->tokens.access_expires = bd_now() + mkt_json_int(j, "expire_in", 14400);
    cJSON_Delete(j);
    /* the old refresh token may stop working: keep the new one before anything else */
    if (shop->save_tokens && shop->save_tokens(shop->ud, shop, err)) return -1;
    return 0;
}

static int ensure_token(mkt_shop *shop, bd_err *err)
{
    mkt_tokens *t = &shop->tokens;
    if (t->access_token &&
        (t->access_expires == 0 || t->access_expires - bd_now() > SHOPEE_REFRESH_MARGIN))
        return 0;
    return refresh_token(shop, err);
}

static int token_error(const char *e)
{
    return bd_streq(e, "invalid_access_token") || bd_streq(e, "invalid_acceess_token") ||
           bd_streq(e, "error_auth");
}

/* A signed call. HTTP_OK with *resp (the whole answer; caller frees) when "error" is
 * empty; refreshes the token once when Shopee rejects it. *api_error gets Shopee's error
 * code on a rejected call (for the outbox). */
static int api(mkt_shop *shop, const char *op, const char *method, const char *path,
               const char *query, const char *body, long *status_out, char *api_error,
               size_t api_error_len, cJSON **resp, bd_err *err)
{
    shopee_state *st = shop->impl;
    *resp = NULL;
    if (api_error) *api_error = 0;
    for (int round = 0; round < 2; round++) {
        if (ensure_token(shop, err)) return HTTP_FAILED;
        call c = {shop, path, query, 0};
        http_request req = {.method = method, .op = op, .body = body,
                            .body_len = body ? strlen(body) : 0,
                            .content_type = "application/json",
                            .idempotent = strcmp(method, "GET") == 0, .prepare = prepare, .ud = &c};
        long status = 0;
        cJSON *j = NULL;
        int rc = mkt_call_json(shop, &req, &status, &j, st->json_ms, err);
        if (rc != HTTP_OK) return rc;
        if (status_out) *status_out = status;
        const char *e = bd_json_str(j, "error");
        if (status == 200 && (!e || !*e)) {
            *resp = j;
            return HTTP_OK;
        }
        if (token_error(e) && round == 0) {
            cJSON_Delete(j);
            free(shop->tokens.access_token);
            shop->tokens.access_token = NULL;
            continue;
        }
        if (api_error) snprintf(api_error, api_error_len, "%s", e ? e : "");
        bd_err_set(err, "shop %s: %s %s: HTTP %ld: %s: %s (request_id %s)", shop->name, op, path,
                   status, e && *e ? e : "error", bd_json_str(j, "message") ? bd_json_str(j, "message") : "",
                   bd_json_str(j, "request_id") ? bd_json_str(j, "request_id") : "-");
        cJSON_Delete(j);
        return status >= 500 && !req.idempotent ? HTTP_UNCERTAIN : HTTP_FAILED;
    }
    return HTTP_FAILED;
}

static const cJSON *response_of(const cJSON *j)
{
    return cJSON_GetObjectItemCaseSensitive(j, "response");
}

/* ---- orders ---- */
static char *money(const cJSON *v)
{
    if (cJSON_IsString(v)) return bd_strdup(v->valuestring);
    if (!cJSON_IsNumber(v)) return NULL;
    char out[48];
    bd_money_format((int64_t)llround(v->valuedouble * 1e6), out, sizeof out);
    return bd_strdup(out);
}

static const char *order_status(const char *s)
{
    static const char *const map[][2] = {
        {"UNPAID", "unpaid"},          {"READY_TO_SHIP", "paid"},   {"PROCESSED", "paid"},
        {"RETRY_SHIP", "paid"},        {"INVOICE_PENDING", "paid"}, {"SHIPPED", "shipped"},
        {"TO_CONFIRM_RECEIVE", "shipped"}, {"COMPLETED", "delivered"},
        {"IN_CANCEL", "cancel_requested"}, {"CANCELLED", "cancelled"}, {"TO_RETURN", "returned"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (bd_streq(s, map[i][0])) return map[i][1];
    return NULL;
}

static char *id_text(const cJSON *v)
{
    if (cJSON_IsString(v) && *v->valuestring) return bd_strdup(v->valuestring);
    if (cJSON_IsNumber(v)) return bd_asprintf("%.0f", v->valuedouble);
    return NULL;
}

static int shopee_order(mkt_shop *shop, const cJSON *j, bd_order *o, bd_err *err)
{
    const char *sn = bd_json_str(j, "order_sn");
    if (!sn) return bd_err_set(err, "an order without \"order_sn\"");
    const char *raw = bd_json_str(j, "order_status");
    const char *status = order_status(raw);
    int64_t created = mkt_json_int(j, "create_time", 0), updated = mkt_json_int(j, "update_time", 0);
    char *buyer = id_text(cJSON_GetObjectItemCaseSensitive(j, "buyer_user_id"));
    char *total = money(cJSON_GetObjectItemCaseSensitive(j, "total_amount"));
    const char *cur = bd_json_str(j, "currency");
    if (!status || created <= 0 || !buyer || !total || !cur) {
        free(buyer);
        free(total);
        return bd_err_set(err, "order %s: missing or unknown %s", sn,
                          !status ? "order_status" : created <= 0 ? "create_time"
                          : !buyer ? "buyer_user_id" : !total ? "total_amount" : "currency");
    }
    o->shop = bd_strdup(shop->name);
    o->marketplace = bd_strdup("shopee");
    o->external_id = bd_strdup(sn);
    o->buyer.external_id = buyer;
    o->buyer.name = bd_strdup(bd_json_str(j, "buyer_username"));
    o->buyer.country = bd_strdup(bd_json_str(j, "region"));
    o->status = bd_strdup(status);
    o->purchased_at = created;
    o->updated_at = updated > 0 ? updated : created;
    o->currency = bd_strdup(cur);
    o->total = total;
    o->carrier = bd_strdup(bd_json_str(j, "shipping_carrier"));
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(j, "item_list");
    int n = cJSON_IsArray(items) ? cJSON_GetArraySize(items) : 0;
    o->items = bd_calloc((size_t)n + 1, sizeof *o->items);
    for (const cJSON *it = n ? items->child : NULL; it; it = it->next) {
        bd_item *x = &o->items[o->n_items++];
        const char *sku = bd_json_str(it, "model_sku");
        x->sku = bd_strdup(sku && *sku ? sku : bd_json_str(it, "item_sku"));
        x->title = bd_strdup(bd_json_str(it, "item_name") ? bd_json_str(it, "item_name") : "(untitled)");
        x->quantity = mkt_json_int(it, "model_quantity_purchased", 1);
        x->price = money(cJSON_GetObjectItemCaseSensitive(it, "model_discounted_price"));
    }
    o->extra = bd_asprintf("{\"order_status\":\"%s\"}", raw);
    return 0;
}

/* Fills page with the details of the order_sn list (<= 50 per call). */
static int order_details(mkt_shop *shop, const cJSON *list, mkt_page *page, bd_err *err)
{
    const cJSON *e = list ? list->child : NULL;
    while (e) {
        bd_buf q = BD_BUF_INIT;
        bd_buf_puts(&q, "order_sn_list=");
        int n = 0;
        const cJSON *start = e;
        for (; e && n < SHOPEE_DETAIL_BATCH; e = e->next, n++) {
            const char *sn = bd_json_str(e, "order_sn");
            if (!sn) {
                bd_buf_free(&q);
                return bd_err_set(err, "shop %s: get_order_list: an entry without order_sn", shop->name);
            }
            if (n) bd_buf_puts(&q, "%2C");
            http_url_escape(&q, sn);
        }
        bd_buf_puts(&q, "&response_optional_fields=" SHOPEE_DETAIL_FIELDS);
        cJSON *j = NULL;
        int rc = api(shop, "get_order_detail", "GET", "/api/v2/order/get_order_detail", q.data,
                     NULL, NULL, NULL, 0, &j, err);
        page->requests++;
        bd_buf_free(&q);
        if (rc != HTTP_OK) return -1;
        double t0 = http_now_ms();
        const cJSON *ol = cJSON_GetObjectItemCaseSensitive(response_of(j), "order_list");
        int got = cJSON_IsArray(ol) ? cJSON_GetArraySize(ol) : 0;
        if (got != n) {
            cJSON_Delete(j);
            return bd_err_set(err, "shop %s: get_order_detail: asked for %d orders, got %d "
                              "(starting at %s)", shop->name, n, got, bd_json_str(start, "order_sn"));
        }
        for (const cJSON *o = ol->child; o && !rc; o = o->next)
            rc = shopee_order(shop, o, mkt_page_add_order(page), err);
        page->json_ms += http_now_ms() - t0;
        cJSON_Delete(j);
        if (rc) {
            char inner[sizeof err->msg];
            memcpy(inner, err->msg, sizeof inner);
            return bd_err_set(err, "shop %s: get_order_detail: %s", shop->name, inner);
        }
    }
    return 0;
}

static int fetch_orders(mkt_shop *shop, const cJSON *cur, int64_t since, mkt_page *page,
                        bd_err *err)
{
    int64_t from, to, end;
    const char *cursor = "";
    if (cur && cJSON_GetObjectItemCaseSensitive(cur, "to") && since <= 0) {
        from = mkt_json_int(cur, "from", 0);
        to = mkt_json_int(cur, "to", 0);
        end = mkt_json_int(cur, "end", to);
        cursor = bd_json_str(cur, "cursor") ? bd_json_str(cur, "cursor") : "";
    } else {
        int64_t done = mkt_json_int(cur, "done", 0);
        end = bd_now();
        from = since > 0 ? since : done > 0 ? done - shop->overlap : end - shop->initial_days * 86400;
        to = from + SHOPEE_WINDOW < end ? from + SHOPEE_WINDOW : end;
    }
    int size = shop->page_size > 0 && shop->page_size <= SHOPEE_LIST_SIZE ? shop->page_size
                                                                          : SHOPEE_LIST_SIZE;
    bd_buf q = BD_BUF_INIT;
    bd_buf_printf(&q, "time_range_field=update_time&time_from=%lld&time_to=%lld&page_size=%d"
                  "&response_optional_fields=order_status&cursor=", (long long)from, (long long)to, size);
    http_url_escape(&q, cursor);
    cJSON *j = NULL;
    const char *next = NULL;
    int more = 0;
    uint64_t rng = (uint64_t)from;
    for (int attempt = 0;; attempt++) {
        int rc = api(shop, "get_order_list", "GET", "/api/v2/order/get_order_list", q.data, NULL,
                     NULL, NULL, 0, &j, err);
        page->requests++;
        if (rc != HTTP_OK) {
            bd_buf_free(&q);
            return -1;
        }
        const cJSON *r = response_of(j);
        more = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "more"));
        next = bd_json_str(r, "next_cursor");
        /* a page served again: the cursor did not move */
        if (!more || (next && *next && strcmp(next, cursor) != 0)) break;
        cJSON_Delete(j);
        j = NULL;
        if (attempt >= shop->http_opts.max_retries) {
            bd_buf_free(&q);
            return bd_err_set(err, "shop %s: get_order_list: more=true but next_cursor does not "
                              "advance past \"%s\"", shop->name, cursor);
        }
        http_sleep_ms((double)http_backoff_ms(&shop->http_opts, attempt, &rng));
    }
    bd_buf_free(&q);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(response_of(j), "order_list");
    if (list && !cJSON_IsArray(list)) {
        cJSON_Delete(j);
        return bd_err_set(err, "shop %s: get_order_list: order_list is not an array", shop->name);
    }
    if (order_details(shop, list, page, err)) {
        cJSON_Delete(j);
        return -1;
    }
    cJSON *c = cJSON_CreateObject();
    if (more) {
        cJSON_AddNumberToObject(c, "from", (double)from);
        cJSON_AddNumberToObject(c, "to", (double)to);
        cJSON_AddNumberToObject(c, "end", (double)end);
        cJSON_AddStringToObject(c, "cursor", next);
    } else if (to < end) {
        cJSON_AddNumberToObject(c, "from", (double)to);
        cJSON_AddNumberToObject(c, "to", (double)(to + SHOPEE_WINDOW < end ? to + SHOPEE_WINDOW : end));
        cJSON_AddNumberToObject(c, "end", (double)end);
        cJSON_AddStringToObject(c, "cursor", "");
    } else {
        cJSON_AddNumberToObject(c, "done", (double)end);
        page->done = 1;
    }
    cJSON_Delete(j);
    page->cursor = mkt_json_text(c);
    return 0;
}

/* ---- chat ---- */
static int shopee_message(mkt_shop *shop, const char *conv, const cJSON *m, const char *buyer_name,
                          bd_message *out, bd_err *err)
{
    shopee_state *st = shop->impl;
    char *id = id_text(cJSON_GetObjectItemCaseSensitive(m, "message_id"));
    int64_t t = mkt_json_int(m, "created_timestamp", 0);
    int64_t from_shop = mkt_json_int(m, "from_shop_id", 0);
    int outbound = from_shop == st->shop_id;
    char *buyer = id_text(cJSON_GetObjectItemCaseSensitive(m, outbound ? "to_id" : "from_id"));
    if (!id || t <= 0 || !buyer) {
        free(id);
        free(buyer);
        return bd_err_set(err, "conversation %s: a message without message_id, created_timestamp "
                          "or sender", conv);
    }
    const char *type = bd_json_str(m, "message_type");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
    const char *text = bd_json_str(content, "text");
    out->shop = bd_strdup(shop->name);
    out->marketplace = bd_strdup("shopee");
    out->external_id = id;
    out->buyer.external_id = buyer;
    out->buyer.name = bd_strdup(buyer_name);
    out->conversation_id = bd_strdup(conv);
    out->direction = outbound ? BD_DIR_OUT : BD_DIR_IN;
    out->body = text ? bd_strdup(text) : bd_asprintf("[%s]", type ? type : "message");
    out->sent_at = t;
    if (type && strcmp(type, "text") != 0) out->extra = bd_asprintf("{\"message_type\":\"%s\"}", type);
    return 0;
}

static int cmp_msg(const void *a, const void *b)
{
    const bd_message *x = a, *y = b;
    if (x->sent_at != y->sent_at) return x->sent_at < y->sent_at ? -1 : 1;
    return strcmp(x->external_id, y->external_id);
}

/* The new messages of one conversation: newest first until older than stop (0 = all). */
static int conversation_messages(mkt_shop *shop, const char *conv, const char *buyer_name,
                                 int64_t stop, mkt_page *page, bd_err *err)
{
    size_t first = page->n_messages;
    char offset[64] = "";
    uint64_t rng = 7;
    for (;;) {
        bd_buf q = BD_BUF_INIT;
        bd_buf_puts(&q, "conversation_id=");
        http_url_escape(&q, conv);
        bd_buf_printf(&q, "&page_size=%d", SHOPEE_CHAT_SIZE);
        if (*offset) {
            bd_buf_puts(&q, "&offset=");
            http_url_escape(&q, offset);
        }
        cJSON *j = NULL;
        const char *nxt = NULL;
        for (int attempt = 0;; attempt++) {
            int rc = api(shop, "get_message", "GET", "/api/v2/sellerchat/get_message", q.data, NULL,
                         NULL, NULL, 0, &j, err);
            page->requests++;
            if (rc != HTTP_OK) {
                bd_buf_free(&q);
                return -1;
            }
            nxt = bd_json_str(cJSON_GetObjectItemCaseSensitive(response_of(j), "page_result"), "next_offset");
            if (!nxt || !*nxt || !*offset || strcmp(nxt, offset) != 0) break;
            cJSON_Delete(j); /* the same page again: the offset did not move */
            j = NULL;
            if (attempt >= shop->http_opts.max_retries) {
                bd_buf_free(&q);
                return bd_err_set(err, "shop %s: get_message %s: next_offset does not advance past %s",
                                  shop->name, conv, offset);
            }
            http_sleep_ms((double)http_backoff_ms(&shop->http_opts, attempt, &rng));
        }
        bd_buf_free(&q);
        double t0 = http_now_ms();
        const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(response_of(j), "messages");
        int rc = 0, older = 0, n = 0;
        for (const cJSON *m = cJSON_IsArray(msgs) ? msgs->child : NULL; m && !rc; m = m->next, n++) {
            rc = shopee_message(shop, conv, m, buyer_name, mkt_page_add_message(page), err);
            if (!rc && stop && page->messages[page->n_messages - 1].sent_at < stop) older = 1;
        }
        snprintf(offset, sizeof offset, "%s", nxt ? nxt : "");
        page->json_ms += http_now_ms() - t0;
        cJSON_Delete(j);
        if (rc) {
            char inner[sizeof err->msg];
            memcpy(inner, err->msg, sizeof inner);
            return bd_err_set(err, "shop %s: get_message: %s", shop->name, inner);
        }
        if (n == 0 || older || !*offset) break;
    }
    /* oldest first, each message once */
    bd_message *m = page->messages + first;
    size_t n = page->n_messages - first, k = 0;
    qsort(m, n, sizeof *m, cmp_msg);
    for (size_t i = 0; i < n; i++) {
        if (k && strcmp(m[k - 1].external_id, m[i].external_id) == 0) {
            bd_message_clear(&m[i]);
            continue;
        }
        if (k != i) m[k] = m[i];
        k++;
    }
    page->n_messages = first + k;
    return 0;
}

static int fetch_messages(mkt_shop *shop, const cJSON *cur, int64_t since, mkt_page *page,
                          bd_err *err)
{
    shopee_state *st = shop->impl;
    int64_t from, to, index = 0;
    const char *next = "";
    if (cur && cJSON_GetObjectItemCaseSensitive(cur, "to") && since <= 0) {
        from = mkt_json_int(cur, "from", 0);
        to = mkt_json_int(cur, "to", 0);
        index = mkt_json_int(cur, "index", 0);
        next = bd_json_str(cur, "next") ? bd_json_str(cur, "next") : "";
    } else {
        int64_t done = mkt_json_int(cur, "done", 0);
        to = bd_now();
        from = since > 0 ? since : done > 0 ? done - shop->overlap : to - shop->initial_days * 86400;
    }
    char *key = bd_asprintf("%lld/%s", (long long)to, next);
    if (!st->list || !bd_streq(st->list_key, key)) {
        cJSON_Delete(st->list);
        st->list = NULL;
        free(st->list_key);
        st->list_key = NULL;
        bd_buf q = BD_BUF_INIT;
        bd_buf_printf(&q, "direction=latest&type=all&page_size=%d", SHOPEE_CHAT_SIZE);
        if (*next) bd_buf_printf(&q, "&next_timestamp_nano=%s", next);
        uint64_t rng = 11;
        for (int attempt = 0;; attempt++) {
            int rc = api(shop, "get_conversation_list", "GET", "/api/v2/sellerchat/get_conversation_list",
                         q.data, NULL, NULL, NULL, 0, &st->list, err);
            page->requests++;
            if (rc != HTTP_OK) {
                bd_buf_free(&q);
                free(key);
                return -1;
            }
            const cJSON *pr = cJSON_GetObjectItemCaseSensitive(response_of(st->list), "page_result");
            const char *nn = bd_json_str(cJSON_GetObjectItemCaseSensitive(pr, "next_cursor"),
                                         "next_message_time_nano");
            if (!*next || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pr, "more")) ||
                !bd_streq(nn, next))
                break;
            cJSON_Delete(st->list); /* the cursor did not move: the same page again */
            st->list = NULL;
            if (attempt >= shop->http_opts.max_retries) {
                bd_buf_free(&q);
                free(key);
                return bd_err_set(err, "shop %s: get_conversation_list: next_cursor does not "
                                  "advance past %s", shop->name, next);
            }
            http_sleep_ms((double)http_backoff_ms(&shop->http_opts, attempt, &rng));
        }
        bd_buf_free(&q);
        st->list_key = key;
    } else {
        free(key);
    }
    const cJSON *r = response_of(st->list);
    const cJSON *convs = cJSON_GetObjectItemCaseSensitive(r, "conversations");
    const cJSON *pr = cJSON_GetObjectItemCaseSensitive(r, "page_result");
    int n = cJSON_IsArray(convs) ? cJSON_GetArraySize(convs) : 0;
    int64_t oldest = INT64_MAX;
    for (const cJSON *c = n ? convs->child : NULL; c; c = c->next) {
        int64_t ts = mkt_json_int(c, "last_message_timestamp", 0) / 1000000000;
        if (ts < oldest) oldest = ts;
    }
    if (index < n) {
        const cJSON *c = cJSON_GetArrayItem(convs, (int)index);
        char *cid = id_text(cJSON_GetObjectItemCaseSensitive(c, "conversation_id"));
        int64_t ts = mkt_json_int(c, "last_message_timestamp", 0) / 1000000000;
        if (!cid) return bd_err_set(err, "shop %s: get_conversation_list: a conversation without "
                                    "conversation_id", shop->name);
        if (ts >= from) {
            int64_t seen = shop->conversation_seen ? shop->conversation_seen(shop->ud, shop, cid) : 0;
            int64_t stop = seen > 0 ? seen - shop->overlap : 0;
            int rc = conversation_messages(shop, cid, bd_json_str(c, "to_name"), stop, page, err);
            if (rc) {
                free(cid);
                return -1;
            }
        }
        free(cid);
        index++;
    }
    cJSON *cur2 = cJSON_CreateObject();
    int done = 0;
    if (index < n) {
        cJSON_AddNumberToObject(cur2, "from", (double)from);
        cJSON_AddNumberToObject(cur2, "to", (double)to);
        cJSON_AddStringToObject(cur2, "next", next);
        cJSON_AddNumberToObject(cur2, "index", (double)index);
    } else {
        const char *nn = bd_json_str(cJSON_GetObjectItemCaseSensitive(pr, "next_cursor"),
                                     "next_message_time_nano");
        int more = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(pr, "more"));
        if (n == 0 || !more || oldest < from || !nn) {
            cJSON_AddNumberToObject(cur2, "done", (double)to);
            done = 1;
        } else {
            cJSON_AddNumberToObject(cur2, "from", (double)from);
            cJSON_AddNumberToObject(cur2, "to", (double)to);
            cJSON_AddStringToObject(cur2, "next", nn);
            cJSON_AddNumberToObject(cur2, "index", 0);
        }
    }
    page->cursor = mkt_json_text(cur2);
    page->done = done;
    return 0;
}

/* ---- the connector ---- */
static int shopee_open(mkt_shop *shop, bd_err *err)
{
    shopee_state *st = bd_calloc(1, sizeof *st);
    shop->impl = st;
    const char *base = mkt_conf_str(shop, "endpoint", "https://partner.shopeemobile.com");
    st->base = bd_strdup(base);
    size_t n = strlen(st->base);
    while (n && st->base[n - 1] == '/') st->base[--n] = 0;
    if (mkt_conf_int64(shop, "partner_id", 0, &st->partner_id, err) ||
        mkt_conf_int64(shop, "shop_id", 0, &st->shop_id, err))
        return -1;
    if (!st->partner_id || !st->shop_id)
        return bd_err_set(err, "shop %s: \"partner_id\" and \"shop_id\" (numbers) are required",
                          shop->name);
    st->partner_key = mkt_secret(shop, "partner_key_env", 1, err);
    if (!st->partner_key) return -1;
    if (!shop->tokens.refresh_token && !shop->tokens.access_token)
        return bd_err_set(err, "shop %s: no credentials: set \"refresh_token_env\" (or "
                          "\"access_token_env\")", shop->name);
    return mkt_shop_limits(shop, shopee_limits, err);
}

static void shopee_close(mkt_shop *shop)
{
    shopee_state *st = shop->impl;
    if (!st) return;
    free(st->base);
    free(st->list_key);
    cJSON_Delete(st->list);
    free(st);
    shop->impl = NULL;
}

static int shopee_fetch(mkt_shop *shop, const char *resource, const char *cursor, int64_t since,
                        mkt_page *page, bd_err *err)
{
    shopee_state *st = shop->impl;
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
    else rc = bd_err_set(err, "shop %s: Shopee has no resource \"%s\"", shop->name, resource);
    cJSON_Delete(cur);
    st->json_ms = NULL;
    if (rc) mkt_page_clear(page);
    return rc;
}

static int find_in_conversation(mkt_shop *shop, const char *conv, const mkt_reply *r,
                                mkt_sent *out, bd_err *err)
{
    shopee_state *st = shop->impl;
    bd_buf q = BD_BUF_INIT;
    bd_buf_puts(&q, "conversation_id=");
    http_url_escape(&q, conv);
    bd_buf_printf(&q, "&page_size=%d", SHOPEE_CHAT_SIZE);
    cJSON *j = NULL;
    int rc = api(shop, "get_message", "GET", "/api/v2/sellerchat/get_message", q.data, NULL, NULL,
                 NULL, 0, &j, err);
    bd_buf_free(&q);
    if (rc != HTTP_OK) return -1;
    int found = 0;
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(response_of(j), "messages");
    for (const cJSON *m = cJSON_IsArray(msgs) ? msgs->child : NULL; m && !found; m = m->next) {
        int64_t t = mkt_json_int(m, "created_timestamp", 0);
        const char *text = bd_json_str(cJSON_GetObjectItemCaseSensitive(m, "content"), "text");
        if (mkt_json_int(m, "from_shop_id", 0) == st->shop_id && bd_streq(text, r->text) &&
            t >= r->not_before - 300) {
            found = 1;
            out->remote_id = id_text(cJSON_GetObjectItemCaseSensitive(m, "message_id"));
            out->conversation_id = bd_strdup(conv);
            out->sent_at = t;
        }
    }
    cJSON_Delete(j);
    return found;
}

static int shopee_find_sent(mkt_shop *shop, const mkt_reply *r, mkt_sent *out, bd_err *err)
{
    memset(out, 0, sizeof *out);
    if (r->conversation_id) return find_in_conversation(shop, r->conversation_id, r, out, err);
    char q[64];
    snprintf(q, sizeof q, "direction=latest&type=all&page_size=%d", SHOPEE_CHAT_SIZE);
    cJSON *j = NULL;
    if (api(shop, "get_conversation_list", "GET", "/api/v2/sellerchat/get_conversation_list", q,
            NULL, NULL, NULL, 0, &j, err) != HTTP_OK)
        return -1;
    int found = 0;
    const cJSON *convs = cJSON_GetObjectItemCaseSensitive(response_of(j), "conversations");
    for (const cJSON *c = cJSON_IsArray(convs) ? convs->child : NULL; c && !found; c = c->next) {
        char *to = id_text(cJSON_GetObjectItemCaseSensitive(c, "to_id"));
        char *cid = id_text(cJSON_GetObjectItemCaseSensitive(c, "conversation_id"));
        if (to && cid && bd_streq(to, r->buyer_id)) found = find_in_conversation(shop, cid, r, out, err);
        free(to);
        free(cid);
    }
    cJSON_Delete(j);
    return found;
}

static int shopee_send(mkt_shop *shop, const mkt_reply *r, mkt_sent *out, bd_err *err)
{
    memset(out, 0, sizeof *out);
    char *end = NULL;
    long long to = r->buyer_id ? strtoll(r->buyer_id, &end, 10) : 0;
    if (!r->buyer_id || !end || *end || to <= 0) {
        bd_err_set(err, "shop %s: the buyer id \"%s\" is not a Shopee user id", shop->name,
                   r->buyer_id ? r->buyer_id : "");
        return MKT_REJECTED;
    }
    cJSON *b = cJSON_CreateObject();
    cJSON_AddNumberToObject(b, "to_id", (double)to);
    cJSON_AddStringToObject(b, "message_type", "text");
    cJSON_AddItemToObject(b, "content", cJSON_CreateObject());
    cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(b, "content"), "text", r->text);
    char *body = mkt_json_text(b);
    long status = 0;
    char code[64];
    cJSON *j = NULL;
    int rc = api(shop, "send_message", "POST", "/api/v2/sellerchat/send_message", NULL, body,
                 &status, code, sizeof code, &j, err);
    free(body);
    if (rc == HTTP_UNCERTAIN) return MKT_UNCERTAIN;
    if (rc != HTTP_OK) {
        if (status == 0 || status == 429 || token_error(code) || bd_streq(code, "error_busy") ||
            bd_streq(code, "error_too_many_request"))
            return MKT_RETRY;
        if (status >= 500 || bd_streq(code, "error_server")) return MKT_UNCERTAIN;
        return MKT_REJECTED;
    }
    const cJSON *resp = response_of(j);
    out->remote_id = id_text(cJSON_GetObjectItemCaseSensitive(resp, "message_id"));
    out->conversation_id = id_text(cJSON_GetObjectItemCaseSensitive(resp, "conversation_id"));
    out->sent_at = mkt_json_int(resp, "created_timestamp", bd_now());
    cJSON_Delete(j);
    if (!out->remote_id) {
        bd_err_set(err, "shop %s: send_message: the answer has no message_id", shop->name);
        return MKT_UNCERTAIN;
    }
    return MKT_SENT;
}

const mkt_connector shopee_connector = {
    .marketplace = "shopee",
    .resources = shopee_resources,
    .open = shopee_open,
    .close = shopee_close,
    .fetch = shopee_fetch,
    .send = shopee_send,
    .find_sent = shopee_find_sent,
};
