/* model.c — the import contract: JSON objects to normalised orders, buyers and messages. */
#include "borderdesk/model.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 when d is a whole number that a double holds exactly (|d| <= 2^53): only then may it be
 * converted to an integer (a larger one is out of range or no longer the number written). */
static int whole_number(double d)
{
    return d >= -9007199254740992.0 && d <= 9007199254740992.0 && d == (double)(long long)d;
}

/* Reads key as a string (numbers are accepted for ids and turned into their decimal form).
 * required: error when absent. Returns 0 and sets *out (owned copy or NULL), -1 on error. */
static int get_str(const cJSON *obj, const char *key, int required, int allow_number, char **out,
                   const char *ctx, bd_err *err)
{
    *out = NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v)) {
        if (required) return bd_err_set(err, "missing required field \"%s%s\"", ctx, key);
        return 0;
    }
    if (cJSON_IsString(v)) {
        if (required && !*v->valuestring)
            return bd_err_set(err, "field \"%s%s\" is empty", ctx, key);
        *out = bd_strdup(v->valuestring);
        return 0;
    }
    if (allow_number && cJSON_IsNumber(v) && whole_number(v->valuedouble)) {
        *out = bd_asprintf("%lld", (long long)v->valuedouble);
        return 0;
    }
    return bd_err_set(err, "field \"%s%s\" must be a string", ctx, key);
}

static int get_time(const cJSON *obj, const char *key, int required, int64_t *out,
                    const char *ctx, bd_err *err)
{
    char *s;
    *out = 0;
    if (get_str(obj, key, required, 0, &s, ctx, err)) return -1;
    if (!s) return 0;
    int rc = bd_time_parse(s, out);
    if (rc) bd_err_set(err, "field \"%s%s\" is not an RFC 3339 date-time: \"%.40s\"", ctx, key, s);
    free(s);
    return rc;
}

static int check_money(const char *s, const char *field, bd_err *err)
{
    int64_t v;
    if (s && bd_money_parse(s, &v))
        return bd_err_set(err, "field \"%s\" is not a decimal amount: \"%.40s\"", field, s);
    return 0;
}

/* The contract's field names; everything else is kept as extra data. */
static char *collect_extra(const cJSON *obj, const char *const *known)
{
    cJSON *extra = NULL;
    for (const cJSON *c = obj->child; c; c = c->next) {
        if (!c->string || bd_str_in(c->string, known)) continue;
        if (!extra) extra = cJSON_CreateObject();
        cJSON_AddItemToObject(extra, c->string, cJSON_Duplicate(c, 1));
    }
    if (!extra) return NULL;
    char *s = cJSON_PrintUnformatted(extra);
    cJSON_Delete(extra);
    char *copy = bd_strdup(s);
    cJSON_free(s);
    return copy;
}

void bd_buyer_clear(bd_buyer *b)
{
    free(b->external_id);
    free(b->name);
    free(b->email);
    free(b->country);
    free(b->language);
    memset(b, 0, sizeof *b);
}

int bd_buyer_from_json(const cJSON *obj, bd_buyer *b, bd_err *err)
{
    memset(b, 0, sizeof *b);
    if (!cJSON_IsObject(obj)) return bd_err_set(err, "field \"buyer\" must be an object");
    if (get_str(obj, "external_id", 1, 1, &b->external_id, "buyer.", err) ||
        get_str(obj, "name", 0, 0, &b->name, "buyer.", err) ||
        get_str(obj, "email", 0, 0, &b->email, "buyer.", err) ||
        get_str(obj, "country", 0, 0, &b->country, "buyer.", err) ||
        get_str(obj, "language", 0, 0, &b->language, "buyer.", err)) {
        bd_buyer_clear(b);
        return -1;
    }
    if (b->language) bd_str_lower_ascii(b->language);
    if (b->country) {
        for (char *p = b->country; *p; p++) *p = (char)toupper((unsigned char)*p);
    }
    return 0;
}

static int check_shop_fields(const cJSON *obj, char **shop, char **marketplace, char **ext,
                             bd_err *err)
{
    if (get_str(obj, "shop", 1, 0, shop, "", err) ||
        get_str(obj, "marketplace", 1, 0, marketplace, "", err) ||
        get_str(obj, "external_id", 1, 1, ext, "", err))
        return -1;
    bd_str_lower_ascii(*marketplace);
    return 0;
}

void bd_order_clear(bd_order *o)
{
    free(o->shop);
    free(o->marketplace);
    free(o->external_id);
    bd_buyer_clear(&o->buyer);
    free(o->status);
    free(o->currency);
    free(o->total);
    for (size_t i = 0; i < o->n_items; i++) {
        free(o->items[i].sku);
        free(o->items[i].title);
        free(o->items[i].price);
    }
    free(o->items);
    free(o->carrier);
    free(o->tracking_number);
    free(o->extra);
    memset(o, 0, sizeof *o);
}

static int parse_items(const cJSON *arr, bd_order *o, bd_err *err)
{
    if (!cJSON_IsArray(arr)) return bd_err_set(err, "field \"items\" must be an array");
    int n = cJSON_GetArraySize(arr);
    o->items = bd_calloc((size_t)n + 1, sizeof *o->items);
    int i = 0;
    for (const cJSON *it = arr->child; it; it = it->next, i++) {
        bd_item *item = &o->items[o->n_items++];
        char ctx[32];
        snprintf(ctx, sizeof ctx, "items[%d].", i);
        if (!cJSON_IsObject(it)) return bd_err_set(err, "field \"items[%d]\" must be an object", i);
        if (get_str(it, "sku", 0, 1, &item->sku, ctx, err) ||
            get_str(it, "title", 1, 0, &item->title, ctx, err) ||
            get_str(it, "price", 0, 0, &item->price, ctx, err))
            return -1;
        const cJSON *q = cJSON_GetObjectItemCaseSensitive(it, "quantity");
        if (!cJSON_IsNumber(q) || !whole_number(q->valuedouble) || q->valuedouble < 0 ||
            q->valuedouble > 1e9)
            return bd_err_set(err, "field \"%squantity\" must be a non-negative integer", ctx);
        item->quantity = (int64_t)q->valuedouble;
        char f[48];
        snprintf(f, sizeof f, "%sprice", ctx);
        if (check_money(item->price, f, err)) return -1;
    }
    return 0;
}

static int check_currency(const char *c, bd_err *err)
{
    if (strlen(c) != 3 || !isupper((unsigned char)c[0]) || !isupper((unsigned char)c[1]) ||
        !isupper((unsigned char)c[2]))
        return bd_err_set(err, "field \"currency\" must be an ISO 4217 code like \"EUR\": \"%.20s\"",
                          c);
    return 0;
}

int bd_order_from_json(const cJSON *obj, bd_order *o, bd_err *err)
{
    static const char *const known[] = {
        "shop", "marketplace", "external_id", "buyer", "status", "purchased_at", "updated_at",
        "currency", "total", "items", "carrier", "tracking_number", "shipped_at",
        "estimated_delivery", NULL};
    memset(o, 0, sizeof *o);
    if (!cJSON_IsObject(obj)) return bd_err_set(err, "an order must be a JSON object");
    const cJSON *buyer = cJSON_GetObjectItemCaseSensitive(obj, "buyer");
    if (check_shop_fields(obj, &o->shop, &o->marketplace, &o->external_id, err)) goto fail;
    if (!buyer) {
        bd_err_set(err, "missing required field \"buyer\"");
        goto fail;
    }
    if (bd_buyer_from_json(buyer, &o->buyer, err)) goto fail;
    if (get_str(obj, "status", 1, 0, &o->status, "", err) ||
        get_time(obj, "purchased_at", 1, &o->purchased_at, "", err) ||
        get_time(obj, "updated_at", 0, &o->updated_at, "", err) ||
        get_str(obj, "currency", 1, 0, &o->currency, "", err) ||
        get_str(obj, "total", 1, 0, &o->total, "", err) ||
        get_str(obj, "carrier", 0, 0, &o->carrier, "", err) ||
        get_str(obj, "tracking_number", 0, 1, &o->tracking_number, "", err) ||
        get_time(obj, "shipped_at", 0, &o->shipped_at, "", err) ||
        get_time(obj, "estimated_delivery", 0, &o->estimated_delivery, "", err))
        goto fail;
    if (check_currency(o->currency, err) || check_money(o->total, "total", err)) goto fail;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(obj, "items");
    if (!items) {
        bd_err_set(err, "missing required field \"items\"");
        goto fail;
    }
    if (parse_items(items, o, err)) goto fail;
    if (!o->updated_at) o->updated_at = o->purchased_at;
    o->extra = collect_extra(obj, known);
    return 0;
fail:
    bd_order_clear(o);
    return -1;
}

void bd_message_clear(bd_message *m)
{
    free(m->shop);
    free(m->marketplace);
    free(m->external_id);
    bd_buyer_clear(&m->buyer);
    free(m->order_id);
    free(m->conversation_id);
    free(m->subject);
    free(m->body);
    free(m->author);
    free(m->extra);
    memset(m, 0, sizeof *m);
}

int bd_message_from_json(const cJSON *obj, bd_message *m, bd_err *err)
{
    static const char *const known[] = {"shop", "marketplace", "external_id", "buyer",
                                        "order_id", "conversation_id", "direction", "subject",
                                        "body", "sent_at", "author", NULL};
    memset(m, 0, sizeof *m);
    if (!cJSON_IsObject(obj)) return bd_err_set(err, "a message must be a JSON object");
    char *dir = NULL;
    const cJSON *buyer = cJSON_GetObjectItemCaseSensitive(obj, "buyer");
    if (check_shop_fields(obj, &m->shop, &m->marketplace, &m->external_id, err)) goto fail;
    if (!buyer) {
        bd_err_set(err, "missing required field \"buyer\"");
        goto fail;
    }
    if (bd_buyer_from_json(buyer, &m->buyer, err)) goto fail;
    if (get_str(obj, "order_id", 0, 1, &m->order_id, "", err) ||
        get_str(obj, "conversation_id", 0, 1, &m->conversation_id, "", err) ||
        get_str(obj, "direction", 1, 0, &dir, "", err) ||
        get_str(obj, "subject", 0, 0, &m->subject, "", err) ||
        get_str(obj, "body", 0, 0, &m->body, "", err) ||
        get_time(obj, "sent_at", 1, &m->sent_at, "", err) ||
        get_str(obj, "author", 0, 0, &m->author, "", err))
        goto fail;
    if (!m->body) {
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(obj, "body");
        if (!b) {
            bd_err_set(err, "missing required field \"body\"");
            goto fail;
        }
        m->body = bd_strdup("");
    }
    if (strcmp(dir, "in") == 0) m->direction = BD_DIR_IN;
    else if (strcmp(dir, "out") == 0) m->direction = BD_DIR_OUT;
    else {
        bd_err_set(err, "field \"direction\" must be \"in\" or \"out\": \"%.20s\"", dir);
        goto fail;
    }
    free(dir);
    m->extra = collect_extra(obj, known);
    return 0;
fail:
    free(dir);
    bd_message_clear(m);
    return -1;
}
