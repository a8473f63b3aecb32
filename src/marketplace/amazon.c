/* amazon.c — the Amazon Selling Partner API connector: access tokens from Login with
 * Amazon (refresh_token grant, renewed before expiry and once more when the API says the
 * token expired), orders through getOrders v0 (LastUpdatedAfter/Before windows,
 * MaxResultsPerPage, NextToken) with getOrderItems for each order (its own NextToken),
 * or through searchOrders 2026-01-01 (lastUpdatedAfter windows, paginationToken, items
 * inline), chosen per shop with "orders_api". Rate limits default to the documented
 * usage plans and follow the x-amzn-RateLimit-Limit header. Errors come as
 * {"errors": [{"code", "message", "details"}]}. A shop with "sandbox" set sends the
 * static sandbox parameters (CreatedAfter=TEST_CASE_200, ...) instead.
 * Buyer messages are not in the API: Amazon relays them by e-mail from an anonymised
 * @marketplace.amazon.* address, and replies go back by e-mail to it. With a "mail"
 * object the shop's "messages" resource and its replies use the mail channel
 * (src/marketplace/mail.c); without one the shop has orders only. */
#include "borderdesk/marketplace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AMZ_PAGE_MAX 100      /* MaxResultsPerPage / maxResultsPerPage */
#define AMZ_REFRESH_MARGIN 300
#define AMZ_BEFORE_LAG 120    /* LastUpdatedBefore must be at least 2 minutes before now */
#define AMZ_ITEM_PAGES 50     /* getOrderItems pages per order at most */
#define AMZ_API_V0 "v0"
#define AMZ_API_2026 "2026-01-01"

static const char *const amazon_resources[] = {"orders", "messages", NULL};

/* The documented usage plans (requests per second, burst). */
static const mkt_limit amazon_limits[] = {{"getOrders", 0.0167, 20},
                                          {"getOrderItems", 0.5, 30},
                                          {"searchOrders", 0.0056, 20},
                                          {"token", 1, 2},
                                          {NULL, 0, 0}};

/* Marketplace id -> country and currency (for orders without OrderTotal and buyers
 * without an address). */
static const char *const amazon_markets[][3] = {
    {"ATVPDKIKX0DER", "US", "USD"},  {"A2EUQ1WTGCTBG2", "CA", "CAD"}, {"A1AM78C64UM0Y8", "MX", "MXN"},
    {"A2Q3Y263D00KWC", "BR", "BRL"}, {"A1RKKUPIHCS9HS", "ES", "EUR"}, {"A1F83G8C2ARO7P", "GB", "GBP"},
    {"A13V1IB3VIYZZH", "FR", "EUR"}, {"AMEN7PMS3EDWL", "BE", "EUR"},  {"A1805IZSGTT6HS", "NL", "EUR"},
    {"A1PA6795UKMFR9", "DE", "EUR"}, {"APJ6JRA9NG5V4", "IT", "EUR"},  {"A2NODRKZP88ZB9", "SE", "SEK"},
    {"A1C3SOZRARQ6R3", "PL", "PLN"}, {"ARBP9OOSHTCHU", "EG", "EGP"},  {"A33AVAJ2PDY3EV", "TR", "TRY"},
    {"A17E79C6D8DWNP", "SA", "SAR"}, {"A2VIGQ35RCS4UG", "AE", "AED"}, {"A21TJRUUN4KGV", "IN", "INR"},
    {"A19VAU5U5O7RUS", "SG", "SGD"}, {"A39IBJ37TRP1C6", "AU", "AUD"}, {"A1VC38T7YXB528", "JP", "JPY"}};

static const char *market_field(const char *id, int field)
{
    for (size_t i = 0; i < sizeof amazon_markets / sizeof amazon_markets[0]; i++)
        if (bd_streq(amazon_markets[i][0], id)) return amazon_markets[i][field];
    return NULL;
}

typedef struct amazon_state {
    char *base, *token_url, *client_id, *markets, *api, *sandbox;
    const char *client_secret;
    const char *first_market; /* inside markets */
    int follow_header[3];     /* getOrders, getOrderItems, searchOrders: adopt announced rates */
    double *json_ms;
    mkt_mail *mail;           /* the buyer messages' mailbox, or NULL */
} amazon_state;

static const char *const header_ops[] = {"getOrders", "getOrderItems", "searchOrders"};

/* ---- requests ---- */
typedef struct call {
    mkt_shop *shop;
    const char *url;
} call;

static int prepare(void *ud, http_attempt *a, bd_err *err)
{
    (void)err;
    call *c = ud;
    bd_buf_puts(&a->url, c->url);
    if (c->shop->tokens.access_token)
        http_attempt_header(a, "x-amz-access-token: %s", c->shop->tokens.access_token);
    return 0;
}

/* "code: message (details)" of the first error of an SP-API or LWA error body. */
static void amazon_error_text(const cJSON *j, char *out, size_t outlen)
{
    const cJSON *errs = cJSON_GetObjectItemCaseSensitive(j, "errors");
    const cJSON *e = cJSON_IsArray(errs) ? errs->child : NULL;
    if (e) {
        const char *code = bd_json_str(e, "code"), *msg = bd_json_str(e, "message");
        const char *det = bd_json_str(e, "details");
        snprintf(out, outlen, "%s: %s%s%s%s", code ? code : "(no code)", msg ? msg : "(no message)",
                 det && *det ? " (" : "", det && *det ? det : "", det && *det ? ")" : "");
        return;
    }
    const char *oe = bd_json_str(j, "error"), *od = bd_json_str(j, "error_description");
    if (oe) {
        snprintf(out, outlen, "%s: %s", oe, od ? od : "");
        return;
    }
    snprintf(out, outlen, "no error details");
}

/* 1 when the body says the access token is no longer good. */
static int token_expired(long status, const cJSON *j)
{
    if (status == 401) return 1;
    if (status != 403) return 0;
    char text[512];
    amazon_error_text(j, text, sizeof text);
    return strstr(text, "xpired") != NULL || strstr(text, "nvalid access token") != NULL ||
           strstr(text, "InvalidAccessToken") != NULL;
}

static int refresh_token(mkt_shop *shop, bd_err *err)
{
    amazon_state *st = shop->impl;
    if (!shop->tokens.refresh_token)
        return bd_err_set(err, "shop %s: the access token expired and no \"refresh_token_env\" is "
                          "configured", shop->name);
    bd_buf body = BD_BUF_INIT;
    bd_buf_puts(&body, "grant_type=refresh_token&refresh_token=");
    http_url_escape(&body, shop->tokens.refresh_token);
    bd_buf_puts(&body, "&client_id=");
    http_url_escape(&body, st->client_id);
    bd_buf_puts(&body, "&client_secret=");
    http_url_escape(&body, st->client_secret);
    char *saved = shop->tokens.access_token; /* the token request carries no access token */
    shop->tokens.access_token = NULL;
    call c = {shop, st->token_url};
    http_request req = {.method = "POST", .op = "token", .body = body.data, .body_len = body.len,
                        .content_type = "application/x-www-form-urlencoded", .idempotent = 1,
                        .prepare = prepare, .ud = &c};
    long status = 0;
    cJSON *j = NULL;
    int rc = mkt_call_json(shop, &req, &status, &j, NULL, err);
    shop->tokens.access_token = saved;
    bd_buf_free(&body);
    if (rc != HTTP_OK) return -1;
    const char *tok = bd_json_str(j, "access_token");
    if (status != 200 || !tok) {
        char detail[512];
        amazon_error_text(j, detail, sizeof detail);
        cJSON_Delete(j);
        char *red = http_redact(st->token_url);
        bd_err_set(err, "shop %s: token %s: HTTP %ld: %s", shop->name, red, status, detail);
        free(red);
        return -1;
    }
    free(shop->tokens.access_token);
    shop->tokens.access_token = bd_strdup(tok);
    shop->tokens.access_expires = bd_now() + mkt_json_int(j, "expires_in", 3600);
    const char *ref = bd_json_str(j, "refresh_token");
    if (ref && *ref && !bd_streq(ref, shop->tokens.refresh_token)) {
        free(shop->tokens.refresh_token);
        shop->tokens.refresh_token = bd_strdup(ref);
    }
    cJSON_Delete(j);
    if (shop->save_tokens && shop->save_tokens(shop->ud, shop, err)) return -1;
    return 0;
}

static int ensure_token(mkt_shop *shop, bd_err *err)
{
    mkt_tokens *t = &shop->tokens;
    if (t->access_token && (t->access_expires == 0 || t->access_expires - bd_now() > AMZ_REFRESH_MARGIN))
        return 0;
    return refresh_token(shop, err);
}

/* Adopts the rate the marketplace announced for op, unless the configuration set it. */
static void follow_rate(mkt_shop *shop, const char *op, double announced)
{
    amazon_state *st = shop->impl;
    for (int i = 0; i < 3; i++) {
        if (!bd_streq(op, header_ops[i]) || !st->follow_header[i] || announced <= 0) continue;
        double want = announced * 0.97, have = http_client_rate(shop->http, op);
        if (have > 0 && (want > have * 1.01 || want < have * 0.99)) http_client_set_rate(shop->http, op, want);
    }
}

/* GET url; refreshes the token once when the answer says it expired. Any status other
 * than 200 is an error naming the shop, the call and Amazon's reason. */
static int api_get(mkt_shop *shop, const char *op, const char *url, cJSON **out, bd_err *err)
{
    amazon_state *st = shop->impl;
    *out = NULL;
    for (int round = 0; round < 2; round++) {
        if (ensure_token(shop, err)) return HTTP_FAILED;
        call c = {shop, url};
        double announced = -1;
        http_request req = {.method = "GET", .op = op, .idempotent = 1, .prepare = prepare,
                            .ud = &c, .rate_limit = &announced};
        long status = 0;
        cJSON *j = NULL;
        int rc = mkt_call_json(shop, &req, &status, &j, st->json_ms, err);
        if (rc != HTTP_OK) return rc;
        follow_rate(shop, op, announced);
        if (round == 0 && token_expired(status, j)) {
            cJSON_Delete(j);
            free(shop->tokens.access_token);
            shop->tokens.access_token = NULL;
            continue;
        }
        if (status != 200 || cJSON_GetObjectItemCaseSensitive(j, "errors")) {
            char detail[512];
            amazon_error_text(j, detail, sizeof detail);
            char *red = http_redact(url);
            bd_err_set(err, "shop %s: %s %s: HTTP %ld: %s", shop->name, op, red, status, detail);
            free(red);
            cJSON_Delete(j);
            return HTTP_FAILED;
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

/* Amazon's order statuses (v0 words and 2026-01-01 FulfillmentStatus) -> sync's. */
static const char *amazon_status(const char *s)
{
    static const char *const map[][2] = {
        {"PendingAvailability", "unpaid"}, {"Pending", "unpaid"},      {"Unshipped", "paid"},
        {"PartiallyShipped", "in_progress"}, {"Shipped", "shipped"},   {"InvoiceUnconfirmed", "shipped"},
        {"Canceled", "cancelled"},         {"Unfulfillable", "cancelled"},
        {"PENDING_AVAILABILITY", "unpaid"}, {"PENDING", "unpaid"},     {"UNSHIPPED", "paid"},
        {"PARTIALLY_SHIPPED", "in_progress"}, {"SHIPPED", "shipped"},  {"CANCELLED", "cancelled"},
        {"UNFULFILLABLE", "cancelled"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (bd_streq(s, map[i][0])) return map[i][1];
    return NULL;
}

static char *unit_price(const char *amount, int64_t qty)
{
    int64_t micros;
    if (!amount || bd_money_parse(amount, &micros)) return NULL;
    char out[48];
    bd_money_format(qty > 0 ? micros / qty : micros, out, sizeof out);
    return bd_strdup(out);
}

/* The buyer: the relay e-mail address (stable per buyer) and name when Amazon gives them,
 * else an id derived from the order (the sandbox and orders without PII access). */
static void amazon_buyer(bd_order *o, const char *email, const char *name, const char *country)
{
    if (email && *email) {
        char *id = bd_strdup(email);
        for (char *p = id; *p; p++)
            if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
        o->buyer.external_id = id;
        o->buyer.email = bd_strdup(email);
    } else {
        o->buyer.external_id = bd_asprintf("amazon-order:%s", o->external_id);
    }
    o->buyer.name = name && *name ? bd_strdup(name) : NULL;
    o->buyer.country = bd_strdup(country);
}

static void order_extra(bd_order *o, const char *status_key, const char *raw, const char *market,
                        const char *channel)
{
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, status_key, raw);
    if (market) cJSON_AddStringToObject(x, "marketplace_id", market);
    if (channel) cJSON_AddStringToObject(x, "fulfillment_channel", channel);
    o->extra = mkt_json_text(x);
}

/* One v0 Order (without items). */
static int amazon_order_v0(mkt_shop *shop, const cJSON *j, bd_order *o, bd_err *err)
{
    amazon_state *st = shop->impl;
    const char *id = bd_json_str(j, "AmazonOrderId");
    if (!id) return bd_err_set(err, "an order without \"AmazonOrderId\"");
    const char *raw = bd_json_str(j, "OrderStatus");
    const char *status = amazon_status(raw);
    if (!status) return bd_err_set(err, "order %s: missing or unknown OrderStatus \"%s\"", id, raw ? raw : "");
    int64_t created = json_time(j, "PurchaseDate"), updated = json_time(j, "LastUpdateDate");
    if (created <= 0) return bd_err_set(err, "order %s: missing or bad PurchaseDate", id);
    if (updated < 0) return bd_err_set(err, "order %s: bad LastUpdateDate", id);
    const char *market = bd_json_str(j, "MarketplaceId");
    if (!market) market = st->first_market;
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(j, "OrderTotal");
    const char *amount = bd_json_str(total, "Amount"), *cur = bd_json_str(total, "CurrencyCode");
    int64_t micros;
    if (amount && bd_money_parse(amount, &micros))
        return bd_err_set(err, "order %s: OrderTotal \"%s\" is not an amount", id, amount);
    if (!cur) cur = market_field(market, 2);
    if (!cur) return bd_err_set(err, "order %s: no OrderTotal and an unknown marketplace %s", id,
                                market ? market : "");
    const cJSON *bi = cJSON_GetObjectItemCaseSensitive(j, "BuyerInfo");
    const char *country = bd_json_str(cJSON_GetObjectItemCaseSensitive(j, "ShippingAddress"), "CountryCode");
    o->shop = bd_strdup(shop->name);
    o->marketplace = bd_strdup("amazon");
    o->external_id = bd_strdup(id);
    amazon_buyer(o, bd_json_str(bi, "BuyerEmail"), bd_json_str(bi, "BuyerName"),
                 country ? country : market_field(market, 1));
    o->status = bd_strdup(status);
    o->purchased_at = created;
    o->updated_at = updated > 0 ? updated : created;
    o->currency = bd_strdup(cur);
    o->total = bd_strdup(amount ? amount : "0.00"); /* Pending orders carry no total yet */
    int64_t ed = json_time(j, "LatestDeliveryDate");
    if (ed > 0) o->estimated_delivery = ed;
    order_extra(o, "OrderStatus", raw, market, bd_json_str(j, "FulfillmentChannel"));
    return 0;
}

/* Appends the v0 OrderItems of a getOrderItems answer to o. */
static int add_items_v0(bd_order *o, const cJSON *list, bd_err *err)
{
    int n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
    o->items = bd_realloc(o->items, (o->n_items + (size_t)n + 1) * sizeof *o->items);
    for (const cJSON *it = n ? list->child : NULL; it; it = it->next) {
        if (!bd_json_str(it, "OrderItemId"))
            return bd_err_set(err, "order %s: an order item without OrderItemId", o->external_id);
        bd_item *x = &o->items[o->n_items++];
        memset(x, 0, sizeof *x);
        x->sku = bd_strdup(bd_json_str(it, "SellerSKU"));
        const char *title = bd_json_str(it, "Title");
        x->title = bd_strdup(title ? title : bd_json_str(it, "ASIN") ? bd_json_str(it, "ASIN") : "(untitled)");
        x->quantity = mkt_json_int(it, "QuantityOrdered", 1);
        x->price = unit_price(bd_json_str(cJSON_GetObjectItemCaseSensitive(it, "ItemPrice"), "Amount"),
                              x->quantity);
    }
    return 0;
}

/* One 2026-01-01 Order, items included. */
static int amazon_order_2026(mkt_shop *shop, const cJSON *j, bd_order *o, bd_err *err)
{
    amazon_state *st = shop->impl;
    const char *id = bd_json_str(j, "orderId");
    if (!id) return bd_err_set(err, "an order without \"orderId\"");
    const cJSON *ful = cJSON_GetObjectItemCaseSensitive(j, "fulfillment");
    const char *raw = bd_json_str(ful, "fulfillmentStatus");
    const char *status = amazon_status(raw);
    if (!status)
        return bd_err_set(err, "order %s: missing or unknown fulfillment.fulfillmentStatus \"%s\"", id,
                          raw ? raw : "");
    int64_t created = json_time(j, "createdTime"), updated = json_time(j, "lastUpdatedTime");
    if (created <= 0) return bd_err_set(err, "order %s: missing or bad createdTime", id);
    if (updated < 0) return bd_err_set(err, "order %s: bad lastUpdatedTime", id);
    const char *market = bd_json_str(cJSON_GetObjectItemCaseSensitive(j, "salesChannel"), "marketplaceId");
    if (!market) market = st->first_market;
    const cJSON *total = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "proceeds"),
                                                          "grandTotal");
    const char *amount = bd_json_str(total, "amount"), *cur = bd_json_str(total, "currencyCode");
    int64_t micros;
    if (amount && bd_money_parse(amount, &micros))
        return bd_err_set(err, "order %s: proceeds.grandTotal \"%s\" is not an amount", id, amount);
    if (!cur) cur = market_field(market, 2);
    if (!cur) return bd_err_set(err, "order %s: no grandTotal and an unknown marketplace %s", id,
                                market ? market : "");
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(j, "orderItems");
    if (!cJSON_IsArray(items)) return bd_err_set(err, "order %s: no \"orderItems\" array", id);
    const cJSON *buyer = cJSON_GetObjectItemCaseSensitive(j, "buyer");
    const char *country = bd_json_str(cJSON_GetObjectItemCaseSensitive(
                                          cJSON_GetObjectItemCaseSensitive(j, "recipient"), "deliveryAddress"),
                                      "countryCode");
    o->shop = bd_strdup(shop->name);
    o->marketplace = bd_strdup("amazon");
    o->external_id = bd_strdup(id);
    amazon_buyer(o, bd_json_str(buyer, "buyerEmail"), bd_json_str(buyer, "buyerName"),
                 country ? country : market_field(market, 1));
    o->status = bd_strdup(status);
    o->purchased_at = created;
    o->updated_at = updated > 0 ? updated : created;
    o->currency = bd_strdup(cur);
    o->total = bd_strdup(amount ? amount : "0.00");
    int64_t ed = json_time(cJSON_GetObjectItemCaseSensitive(ful, "deliverByWindow"), "latestDateTime");
    if (ed > 0) o->estimated_delivery = ed;
    int n = cJSON_GetArraySize(items);
    o->items = bd_calloc((size_t)n + 1, sizeof *o->items);
    for (const cJSON *it = items->child; it; it = it->next) {
        const cJSON *prod = cJSON_GetObjectItemCaseSensitive(it, "product");
        if (!bd_json_str(it, "orderItemId"))
            return bd_err_set(err, "order %s: an order item without orderItemId", id);
        bd_item *x = &o->items[o->n_items++];
        x->sku = bd_strdup(bd_json_str(prod, "sellerSku"));
        const char *title = bd_json_str(prod, "title");
        x->title = bd_strdup(title ? title : bd_json_str(prod, "asin") ? bd_json_str(prod, "asin") : "(untitled)");
        x->quantity = mkt_json_int(it, "quantityOrdered", 1);
        const char *up = bd_json_str(cJSON_GetObjectItemCaseSensitive(
                                         cJSON_GetObjectItemCaseSensitive(prod, "price"), "unitPrice"),
                                     "amount");
        x->price = unit_price(up, 1);
    }
    order_extra(o, "fulfillmentStatus", raw, market, bd_json_str(ful, "fulfilledBy"));
    return 0;
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

/* ---- orders ---- */
/* Every page of getOrderItems for order ask, appended to its order among the page's
 * orders from first on. The sandbox answers only orderId TEST_CASE_200, with the items of
 * one of its example orders: those go to that order, if it is on the page. */
static int order_items_v0(mkt_shop *shop, const char *ask, mkt_page *page, size_t first,
                          int sandbox, bd_err *err)
{
    amazon_state *st = shop->impl;
    bd_buf next = BD_BUF_INIT;
    for (int n = 0; n < AMZ_ITEM_PAGES; n++) {
        bd_buf url = BD_BUF_INIT;
        bd_buf_printf(&url, "%s/orders/v0/orders/", st->base);
        http_url_escape(&url, ask);
        bd_buf_puts(&url, "/orderItems");
        if (next.len) {
            bd_buf_puts(&url, "?NextToken=");
            http_url_escape(&url, next.data);
        }
        cJSON *j = NULL;
        int rc = api_get(shop, "getOrderItems", url.data, &j, err);
        page->requests++;
        if (rc != HTTP_OK) {
            bd_buf_free(&url);
            bd_buf_free(&next);
            return -1;
        }
        double t0 = http_now_ms();
        const cJSON *pl = cJSON_GetObjectItemCaseSensitive(j, "payload");
        const char *got = bd_json_str(pl, "AmazonOrderId");
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(pl, "OrderItems");
        bd_order *o = NULL;
        for (size_t i = first; i < page->n_orders && !o; i++)
            if (bd_streq(page->orders[i].external_id, got ? got : ask)) o = &page->orders[i];
        if (!cJSON_IsArray(list)) {
            rc = bd_err_set(err, "the answer has no payload.OrderItems array");
        } else if (!sandbox && (!o || (got && !bd_streq(got, ask)))) {
            rc = bd_err_set(err, "the answer is for another order (%s)", got ? got : "?");
        } else if (o) {
            rc = add_items_v0(o, list, err);
        }
        const char *nt = bd_json_str(pl, "NextToken");
        int more = nt && *nt && !bd_streq(nt, next.data);
        if (more) {
            bd_buf_free(&next);
            bd_buf_puts(&next, nt);
        }
        page->json_ms += http_now_ms() - t0;
        cJSON_Delete(j);
        if (rc) {
            page_error(shop, "getOrderItems", url.data, err);
            bd_buf_free(&url);
            bd_buf_free(&next);
            return -1;
        }
        bd_buf_free(&url);
        if (!more) break;
    }
    bd_buf_free(&next);
    return 0;
}

/* The time window of this page and its paging token, from the checkpoint. */
typedef struct window {
    int64_t from, to;
    const char *token; /* "" on a window's first page */
} window;

static void window_start(mkt_shop *shop, const cJSON *cur, int64_t since, window *w)
{
    int64_t now = bd_now();
    if (cur && cJSON_GetObjectItemCaseSensitive(cur, "to") && since <= 0) {
        w->from = mkt_json_int(cur, "from", 0);
        w->to = mkt_json_int(cur, "to", now - AMZ_BEFORE_LAG);
        w->token = bd_json_str(cur, "next") ? bd_json_str(cur, "next") : "";
        return;
    }
    int64_t done = mkt_json_int(cur, "done", 0);
    w->to = now - AMZ_BEFORE_LAG;
    w->from = since > 0 ? since : done > 0 ? done - shop->overlap : w->to - shop->initial_days * 86400;
    if (w->from > w->to) w->from = w->to;
    w->token = "";
}

static char *window_cursor(const window *w, const char *next)
{
    cJSON *c = cJSON_CreateObject();
    if (!next || !*next) {
        cJSON_AddNumberToObject(c, "done", (double)w->to);
    } else {
        cJSON_AddNumberToObject(c, "from", (double)w->from);
        cJSON_AddNumberToObject(c, "to", (double)w->to);
        cJSON_AddStringToObject(c, "next", next);
    }
    return mkt_json_text(c);
}

/* The paging token of an orders answer (v0 payload.NextToken, 2026-01-01
 * pagination.nextToken), or NULL. */
static const char *next_token(const cJSON *j, int v0)
{
    return v0 ? bd_json_str(cJSON_GetObjectItemCaseSensitive(j, "payload"), "NextToken")
              : bd_json_str(cJSON_GetObjectItemCaseSensitive(j, "pagination"), "nextToken");
}

/* GET an orders page; an answer whose paging token is the one just sent is the previous
 * page served again: fetched again with backoff, then an error. */
static int orders_page(mkt_shop *shop, const char *op, const char *url, const char *sent, int v0,
                       cJSON **j, mkt_page *page, bd_err *err)
{
    uint64_t rng = (uint64_t)strlen(url) * 7919u + 17;
    for (int attempt = 0;; attempt++) {
        int rc = api_get(shop, op, url, j, err);
        page->requests++;
        if (rc != HTTP_OK) return -1;
        const char *nt = next_token(*j, v0);
        if (!*sent || !nt || !bd_streq(nt, sent)) return 0;
        cJSON_Delete(*j);
        *j = NULL;
        if (attempt >= shop->http_opts.max_retries) {
            char *red = http_redact(url);
            bd_err_set(err, "shop %s: %s %s: the paging token does not move (the previous page "
                       "again)", shop->name, op, red);
            free(red);
            return -1;
        }
        http_sleep_ms((double)http_backoff_ms(&shop->http_opts, attempt, &rng));
    }
}

static int fetch_orders_v0(mkt_shop *shop, const cJSON *cur, int64_t since, mkt_page *page,
                           bd_err *err)
{
    amazon_state *st = shop->impl;
    window w;
    window_start(shop, cur, since, &w);
    int size = shop->page_size > 0 && shop->page_size <= AMZ_PAGE_MAX ? shop->page_size : AMZ_PAGE_MAX;
    bd_buf url = BD_BUF_INIT;
    bd_buf_printf(&url, "%s/orders/v0/orders?MarketplaceIds=", st->base);
    http_url_escape(&url, st->markets);
    if (st->sandbox) {
        bd_buf_puts(&url, "&CreatedAfter=");
        http_url_escape(&url, st->sandbox);
    } else {
        char a[32], b[32];
        bd_time_format(w.from, a, sizeof a);
        bd_time_format(w.to, b, sizeof b);
        bd_buf_printf(&url, "&LastUpdatedAfter=%s&LastUpdatedBefore=%s&MaxResultsPerPage=%d", a, b, size);
    }
    if (*w.token) {
        bd_buf_puts(&url, "&NextToken=");
        http_url_escape(&url, w.token);
    }
    cJSON *j = NULL;
    int rc = orders_page(shop, "getOrders", url.data, w.token, 1, &j, page, err);
    if (rc) {
        bd_buf_free(&url);
        return -1;
    }
    double t0 = http_now_ms();
    const cJSON *pl = cJSON_GetObjectItemCaseSensitive(j, "payload");
    const cJSON *orders = cJSON_GetObjectItemCaseSensitive(pl, "Orders");
    if (!cJSON_IsArray(orders)) {
        bd_err_set(err, "the answer has no payload.Orders array");
        rc = -1;
    }
    size_t first = page->n_orders;
    for (const cJSON *o = rc ? NULL : orders->child; o && !rc; o = o->next)
        rc = amazon_order_v0(shop, o, mkt_page_add_order(page), err);
    page->json_ms += http_now_ms() - t0;
    if (rc) {
        page_error(shop, "getOrders", url.data, err);
        bd_buf_free(&url);
        cJSON_Delete(j);
        return -1;
    }
    bd_buf_free(&url);
    /* items: one getOrderItems per order (the sandbox: once, for TEST_CASE_200) */
    if (st->sandbox && page->n_orders > first)
        rc = order_items_v0(shop, "TEST_CASE_200", page, first, 1, err);
    for (size_t i = first; i < page->n_orders && !rc && !st->sandbox; i++)
        rc = order_items_v0(shop, page->orders[i].external_id, page, i, 0, err);
    for (size_t i = first; i < page->n_orders; i++)
        if (!page->orders[i].items) page->orders[i].items = bd_calloc(1, sizeof(bd_item));
    if (rc) {
        cJSON_Delete(j);
        return -1;
    }
    const char *nt = bd_json_str(pl, "NextToken");
    page->cursor = window_cursor(&w, nt);
    page->done = !nt || !*nt;
    cJSON_Delete(j);
    return 0;
}

static int fetch_orders_2026(mkt_shop *shop, const cJSON *cur, int64_t since, mkt_page *page,
                             bd_err *err)
{
    amazon_state *st = shop->impl;
    window w;
    window_start(shop, cur, since, &w);
    int size = shop->page_size > 0 && shop->page_size <= AMZ_PAGE_MAX ? shop->page_size : AMZ_PAGE_MAX;
    bd_buf url = BD_BUF_INIT;
    bd_buf_printf(&url, "%s/orders/2026-01-01/orders?marketplaceIds=", st->base);
    http_url_escape(&url, st->markets);
    if (st->sandbox) {
        bd_buf_puts(&url, "&createdAfter=");
        http_url_escape(&url, st->sandbox);
    } else {
        char a[32], b[32];
        bd_time_format(w.from, a, sizeof a);
        bd_time_format(w.to, b, sizeof b);
        bd_buf_printf(&url, "&lastUpdatedAfter=%s&lastUpdatedBefore=%s&maxResultsPerPage=%d", a, b, size);
    }
    bd_buf_puts(&url, "&includedData=BUYER%2CPROCEEDS%2CFULFILLMENT");
    if (*w.token) {
        bd_buf_puts(&url, "&paginationToken=");
        http_url_escape(&url, w.token);
    }
    cJSON *j = NULL;
    int rc = orders_page(shop, "searchOrders", url.data, w.token, 0, &j, page, err);
    if (rc) {
        bd_buf_free(&url);
        return -1;
    }
    double t0 = http_now_ms();
    const cJSON *orders = cJSON_GetObjectItemCaseSensitive(j, "orders");
    if (!cJSON_IsArray(orders)) {
        bd_err_set(err, "the answer has no \"orders\" array");
        rc = -1;
    }
    for (const cJSON *o = rc ? NULL : orders->child; o && !rc; o = o->next)
        rc = amazon_order_2026(shop, o, mkt_page_add_order(page), err);
    page->json_ms += http_now_ms() - t0;
    if (rc) {
        page_error(shop, "searchOrders", url.data, err);
        bd_buf_free(&url);
        cJSON_Delete(j);
        return -1;
    }
    bd_buf_free(&url);
    const char *nt = next_token(j, 0);
    page->cursor = window_cursor(&w, nt);
    page->done = !nt || !*nt;
    cJSON_Delete(j);
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

/* A shop may answer its Amazon buyers by mail before (or without) API access: with a
 * "mail" object and none of the API's keys it has messages only, and "orders" is refused
 * as a resource its configuration lacks instead of failing every sync. */
static int amazon_enabled(const cJSON *conf, const char *resource)
{
    int mail = cJSON_GetObjectItemCaseSensitive(conf, "mail") != NULL;
    if (strcmp(resource, "messages") == 0) return mail;
    static const char *const api_keys[] = {"lwa_client_id_env", "lwa_client_secret_env",
                                           "refresh_token_env", "marketplace_ids", NULL};
    for (int i = 0; api_keys[i]; i++)
        if (cJSON_GetObjectItemCaseSensitive(conf, api_keys[i])) return 1;
    return !mail;
}

static int amazon_open(mkt_shop *shop, bd_err *err)
{
    amazon_state *st = bd_calloc(1, sizeof *st);
    shop->impl = st;
    if (!amazon_enabled(shop->conf, "orders")) return mkt_mail_open(shop, 1, &st->mail, err);
    st->base = trim_slash(mkt_conf_str(shop, "endpoint", "https://sellingpartnerapi-eu.amazon.com"));
    st->token_url = bd_strdup(mkt_conf_str(shop, "token_endpoint", "https://api.amazon.com/auth/o2/token"));
    st->api = bd_strdup(mkt_conf_str(shop, "orders_api", AMZ_API_V0));
    if (!bd_streq(st->api, AMZ_API_V0) && !bd_streq(st->api, AMZ_API_2026))
        return bd_err_set(err, "shop %s: \"orders_api\" must be \"v0\" or \"2026-01-01\"", shop->name);
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(shop->conf, "marketplace_ids");
    if (!cJSON_IsArray(ids) || !ids->child)
        return bd_err_set(err, "shop %s: \"marketplace_ids\" (a list such as [\"A1RKKUPIHCS9HS\"]) is "
                          "required", shop->name);
    bd_buf m = BD_BUF_INIT;
    for (const cJSON *e = ids->child; e; e = e->next) {
        if (!cJSON_IsString(e) || !*e->valuestring || strchr(e->valuestring, ',')) {
            bd_buf_free(&m);
            return bd_err_set(err, "shop %s: \"marketplace_ids\" must hold marketplace id strings",
                              shop->name);
        }
        if (m.len) bd_buf_putc(&m, ',');
        bd_buf_puts(&m, e->valuestring);
    }
    st->markets = bd_buf_detach(&m);
    st->first_market = ids->child->valuestring;
    const char *sb = mkt_conf_str(shop, "sandbox", NULL);
    st->sandbox = sb && *sb ? bd_strdup(sb) : NULL;
    st->client_id = bd_strdup(mkt_secret(shop, "lwa_client_id_env", 1, err));
    if (!st->client_id) return -1;
    st->client_secret = mkt_secret(shop, "lwa_client_secret_env", 1, err);
    if (!st->client_secret) return -1;
    if (!shop->tokens.refresh_token && !shop->tokens.access_token)
        return bd_err_set(err, "shop %s: no credentials: set \"refresh_token_env\" (the seller's "
                          "Login with Amazon refresh token)", shop->name);
    /* announced rates are followed unless the configuration sets the operation itself */
    const cJSON *rl = cJSON_GetObjectItemCaseSensitive(shop->conf, "rate_limits");
    for (int i = 0; i < 3; i++)
        st->follow_header[i] = !cJSON_IsFalse(rl) && !cJSON_GetObjectItemCaseSensitive(rl, header_ops[i]);
    if (mkt_mail_open(shop, 0, &st->mail, err)) return -1;
    return mkt_shop_limits(shop, amazon_limits, err);
}

static void amazon_close(mkt_shop *shop)
{
    amazon_state *st = shop->impl;
    if (!st) return;
    free(st->base);
    free(st->token_url);
    free(st->client_id);
    free(st->markets);
    free(st->api);
    free(st->sandbox);
    mkt_mail_close(st->mail);
    free(st);
    shop->impl = NULL;
}

static int amazon_fetch(mkt_shop *shop, const char *resource, const char *cursor, int64_t since,
                        mkt_page *page, bd_err *err)
{
    amazon_state *st = shop->impl;
    memset(page, 0, sizeof *page);
    st->json_ms = &page->json_ms;
    cJSON *cur = NULL;
    if (cursor) {
        bd_err perr;
        cur = bd_json_parse(cursor, strlen(cursor), &perr);
        if (!cur) return bd_err_set(err, "shop %s: stored %s checkpoint is damaged: %s", shop->name,
                                    resource, perr.msg);
    }
    int rc;
    if (strcmp(resource, "messages") == 0 && st->mail)
        rc = mkt_mail_fetch(shop, st->mail, cursor, since, page, err);
    else if (strcmp(resource, "orders") != 0)
        rc = bd_err_set(err, "shop %s: Amazon has no resource \"%s\" here (buyer messages come by "
                        "e-mail: configure \"mail\")", shop->name, resource);
    else if (bd_streq(st->api, AMZ_API_2026))
        rc = fetch_orders_2026(shop, cur, since, page, err);
    else
        rc = fetch_orders_v0(shop, cur, since, page, err);
    cJSON_Delete(cur);
    st->json_ms = NULL;
    if (rc) mkt_page_clear(page);
    return rc;
}

/* Amazon buyer messages are answered by e-mail to the relay address, not through the
 * Selling Partner API. */
static int amazon_send(mkt_shop *shop, const mkt_reply *r, mkt_sent *out, bd_err *err)
{
    amazon_state *st = shop->impl;
    memset(out, 0, sizeof *out);
    if (st->mail) return mkt_mail_send(shop, st->mail, r, out, err);
    bd_err_set(err, "shop %s: Amazon replies go by e-mail to the buyer's relay address and the "
               "shop has no \"mail\" configuration", shop->name);
    return MKT_REJECTED;
}

static int amazon_find_sent(mkt_shop *shop, const mkt_reply *r, mkt_sent *out, bd_err *err)
{
    amazon_state *st = shop->impl;
    memset(out, 0, sizeof *out);
    if (st->mail) return mkt_mail_find_sent(shop, st->mail, r, out, err);
    return 0;
}


const mkt_connector amazon_connector = {
    .marketplace = "amazon",
    .resources = amazon_resources,
    .open = amazon_open,
    .close = amazon_close,
    .fetch = amazon_fetch,
    .send = amazon_send,
    .find_sent = amazon_find_sent,
    .enabled = amazon_enabled,
};
