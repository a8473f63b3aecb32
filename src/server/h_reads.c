/* h_reads.c — read-only routes: single messages, shops, buyers and their orders, orders,
 * the outbox and the audit log. */
#include "server_internal.h"

#include <stdlib.h>
#include <string.h>

void h_message_get(srv_request *r)
{
    int64_t id = srv_param_id(r, 0, "message");
    bd_store *s = id ? srv_store(r) : NULL;
    if (!s) return;
    store_message_row *m = bd_calloc(1, sizeof *m);
    bd_err err;
    int found = store_message_get(s, id, m, &err);
    if (found < 0)
        srv_fail(r, s, &err);
    else if (!found)
        srv_error(r, 404, "not_found", "no message %lld", (long long)id);
    else {
        cJSON *j = ticket_message_json(m);
        cJSON_AddNumberToObject(j, "ticket_id", (double)m->ticket_id);
        srv_reply_json(r, 200, j);
    }
    store_message_rows_free(m, 1);
}

/* ---- shops ---- */

void h_shops_list(srv_request *r)
{
    bd_store *s = srv_store(r);
    if (!s) return;
    store_shop *rows;
    size_t n;
    bd_err err;
    if (store_shops_list(s, &rows, &n, &err)) {
        srv_fail(r, s, &err);
        return;
    }
    cJSON *items = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "name", rows[i].name);
        cJSON_AddStringToObject(j, "marketplace", rows[i].marketplace);
        const cJSON *cfg = bd_config_shop(r->srv->opt.config, rows[i].name);
        json_add_str(j, "display_name", cfg ? bd_json_str(cfg, "display_name") : NULL);
        cJSON_AddItemToArray(items, j);
    }
    store_shops_free(rows, n);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "items", items);
    srv_reply_json(r, 200, j);
}

/* ---- buyers ---- */

cJSON *srv_buyer_json(const store_buyer_row *b)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)b->id);
    json_add_str(j, "shop", b->shop);
    json_add_str(j, "marketplace", b->marketplace);
    json_add_str(j, "external_id", b->external_id);
    json_add_str(j, "name", b->name);
    json_add_str(j, "email", b->email);
    json_add_str(j, "country", b->country);
    json_add_str(j, "language", b->language);
    json_add_time(j, "created_at", b->created_at);
    json_add_time(j, "updated_at", b->updated_at);
    cJSON_AddNumberToObject(j, "order_count", (double)b->order_count);
    cJSON_AddNumberToObject(j, "ticket_count", (double)b->ticket_count);
    cJSON_AddNumberToObject(j, "open_ticket_count", (double)b->open_ticket_count);
    json_add_time(j, "first_order_at", b->first_order_at);
    json_add_time(j, "last_order_at", b->last_order_at);
    return j;
}

/* 1 and *b when the buyer of path parameter 0 exists; 0 after answering. */
static int load_buyer(srv_request *r, bd_store *s, store_buyer_row *b, int64_t *id)
{
    memset(b, 0, sizeof *b);
    *id = srv_param_id(r, 0, "buyer");
    if (!*id) return 0;
    bd_err err;
    int found = store_buyer_get(s, *id, b, &err);
    if (found < 0)
        srv_fail(r, s, &err);
    else if (!found)
        srv_error(r, 404, "not_found", "no buyer %lld", (long long)*id);
    return found > 0;
}

void h_buyer_get(srv_request *r)
{
    bd_store *s = srv_store(r);
    if (!s) return;
    store_buyer_row b;
    int64_t id;
    if (!load_buyer(r, s, &b, &id)) return;
    cJSON *j = srv_buyer_json(&b);
    if (srv_buyer_extras(r, s, &b, j) == 0)
        srv_reply_json(r, 200, j);
    else
        cJSON_Delete(j);
    store_buyer_row_clear(&b);
}

/* ---- orders ---- */

cJSON *srv_order_json(const store_order_row *o)
{
    cJSON *j = order_json(o);
    char *url = o->tracking_number && *o->tracking_number
                    ? suggest_tracking_url(o->carrier, o->tracking_number)
                    : NULL;
    json_add_str(j, "tracking_url", url);
    free(url);
    return j;
}

static void orders_page(srv_request *r, bd_store *s, store_order_query *q)
{
    if (srv_limit(r, &q->limit)) return;
    int c = srv_cursor(r, 'o', &q->after_purchased_at, &q->after_id);
    if (c < 0) return;
    q->has_after = c;
    size_t want = q->limit;
    q->limit = want + 1;
    store_order_row *o;
    size_t n;
    bd_err err;
    if (store_orders_page(s, q, &o, &n, &err)) {
        srv_fail(r, s, &err);
        return;
    }
    cJSON *items = cJSON_CreateArray();
    for (size_t i = 0; i < n && i < want; i++)
        cJSON_AddItemToArray(items, srv_order_json(&o[i]));
    char *next = n > want ? srv_cursor_encode('o', o[want - 1].purchased_at, o[want - 1].id) : NULL;
    store_order_rows_free(o, n);
    srv_reply_json(r, 200, srv_page(items, next));
}

void h_buyer_orders(srv_request *r)
{
    bd_store *s = srv_store(r);
    if (!s) return;
    store_buyer_row b;
    int64_t id;
    if (!load_buyer(r, s, &b, &id)) return;
    store_buyer_row_clear(&b);
    store_order_query q = {.buyer_id = id};
    orders_page(r, s, &q);
}

void h_orders_list(srv_request *r)
{
    bd_store *s = srv_store(r);
    if (!s) return;
    store_order_query q = {.shop = srv_query(r, "shop"), .status = srv_query(r, "status")};
    if ((q.shop && strlen(q.shop) > 200) || (q.status && strlen(q.status) > 200)) {
        srv_error(r, 400, "invalid_parameter", "shop or status is too long");
        return;
    }
    orders_page(r, s, &q);
}

void h_order_get(srv_request *r)
{
    bd_store *s = srv_store(r);
    if (!s) return;
    const char *ref = r->params[0];
    if (strlen(ref) > 200) {
        srv_error(r, 404, "not_found", "no such order");
        return;
    }
    store_order_row o;
    bd_err err;
    int found = store_order_get(s, ref, &o, &err);
    if (found < 0)
        srv_fail(r, s, &err);
    else if (!found)
        srv_error(r, 404, "not_found", "no order \"%s\"", ref);
    else
        srv_reply_json(r, 200, srv_order_json(&o));
    store_order_row_clear(&o);
}

/* ---- outbox ---- */

void h_outbox_list(srv_request *r)
{
    const char *status = srv_query(r, "status");
    if (status &&
        !bd_str_in(status, (const char *const[]){"queued", "sending", "sent", "failed", NULL})) {
        srv_error(r, 400, "invalid_parameter", "status must be queued, sending, sent or failed");
        return;
    }
    int64_t ticket_id = 0, after = 0, unused;
    const char *tid = srv_query(r, "ticket_id");
    if (tid) {
        char *end;
        ticket_id = strtoll(tid, &end, 10);
        if (!*tid || *end || ticket_id <= 0) {
            srv_error(r, 400, "invalid_parameter", "ticket_id must be a ticket id");
            return;
        }
    }
    size_t limit;
    if (srv_limit(r, &limit) || srv_cursor(r, 'x', &after, &unused) < 0) return;
    bd_store *s = srv_store(r);
    if (!s) return;
    store_outbox_entry *o;
    size_t n;
    bd_err err;
    if (store_outbox_page(s, status, ticket_id, after, limit + 1, &o, &n, &err)) {
        srv_fail(r, s, &err);
        return;
    }
    cJSON *items = cJSON_CreateArray();
    for (size_t i = 0; i < n && i < limit; i++) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "id", (double)o[i].id);
        cJSON_AddNumberToObject(j, "ticket_id", (double)o[i].ticket_id);
        cJSON_AddNumberToObject(j, "message_id", (double)o[i].message_id);
        json_add_str(j, "channel", o[i].channel);
        json_add_str(j, "status", o[i].status);
        cJSON_AddNumberToObject(j, "attempts", (double)o[i].attempts);
        json_add_str(j, "last_error", o[i].last_error);
        json_add_time(j, "next_attempt_at", o[i].next_attempt_at);
        json_add_time(j, "created_at", o[i].created_at);
        json_add_time(j, "sent_at", o[i].sent_at);
        cJSON_AddItemToArray(items, j);
    }
    char *next = n > limit ? srv_cursor_encode('x', o[limit - 1].id, 0) : NULL;
    store_outbox_entries_free(o, n);
    srv_reply_json(r, 200, srv_page(items, next));
}

/* ---- audit ---- */

static int time_param(srv_request *r, const char *key, int64_t *out)
{
    const char *v = srv_query(r, key);
    *out = 0;
    if (!v) return 0;
    if (bd_time_parse_loose(v, out)) {
        srv_error(r, 400, "invalid_parameter", "%s must be an RFC 3339 time or a date", key);
        return -1;
    }
    return 0;
}

void h_audit_list(srv_request *r)
{
    store_event_query q = {.actor = srv_query(r, "actor"), .kind = srv_query(r, "kind")};
    const char *tid = srv_query(r, "ticket_id");
    if (tid) {
        char *end;
        q.ticket_id = strtoll(tid, &end, 10);
        if (!*tid || *end || q.ticket_id <= 0) {
            srv_error(r, 400, "invalid_parameter", "ticket_id must be a ticket id");
            return;
        }
    }
    int64_t unused;
    if (time_param(r, "since", &q.since) || time_param(r, "until", &q.until) ||
        srv_limit(r, &q.limit) || srv_cursor(r, 'e', &q.after_id, &unused) < 0)
        return;
    bd_store *s = srv_store(r);
    if (!s) return;
    bd_err err;
    if (q.ticket_id) {
        store_ticket t;
        int found = store_ticket_get(s, q.ticket_id, &t, &err);
        if (found > 0) store_ticket_clear(&t);
        if (found < 0) {
            srv_fail(r, s, &err);
            return;
        }
        if (!found) {
            srv_error(r, 404, "not_found", "no ticket %lld", (long long)q.ticket_id);
            return;
        }
    }
    size_t want = q.limit;
    q.limit = want + 1;
    store_event *e;
    size_t n;
    if (store_events_page(s, &q, &e, &n, &err)) {
        srv_fail(r, s, &err);
        return;
    }
    cJSON *items = cJSON_CreateArray();
    for (size_t i = 0; i < n && i < want; i++) {
        cJSON *j = ticket_event_json(&e[i]);
        if (e[i].ticket_id)
            cJSON_AddNumberToObject(j, "ticket_id", (double)e[i].ticket_id);
        else
            cJSON_AddNullToObject(j, "ticket_id");
        cJSON_AddItemToArray(items, j);
    }
    char *next = n > want ? srv_cursor_encode('e', e[want - 1].id, 0) : NULL;
    store_events_free(e, n);
    srv_reply_json(r, 200, srv_page(items, next));
}
