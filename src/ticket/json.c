/* json.c — the JSON form of tickets, messages, events and orders (a public contract). */
#include "borderdesk/ticket.h"

#include <stdlib.h>

void json_add_time(cJSON *obj, const char *key, int64_t t)
{
    if (!t) {
        cJSON_AddNullToObject(obj, key);
        return;
    }
    char buf[32];
    bd_time_format(t, buf, sizeof buf);
    cJSON_AddStringToObject(obj, key, buf);
}

void json_add_str(cJSON *obj, const char *key, const char *s)
{
    if (s) cJSON_AddStringToObject(obj, key, s);
    else cJSON_AddNullToObject(obj, key);
}

cJSON *ticket_json(const store_ticket *t)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)t->id);
    json_add_str(j, "status", t->status);
    json_add_str(j, "shop", t->shop);
    json_add_str(j, "marketplace", t->marketplace);
    cJSON *b = cJSON_AddObjectToObject(j, "buyer");
    cJSON_AddNumberToObject(b, "id", (double)t->buyer_id);
    json_add_str(b, "external_id", t->buyer_external_id);
    json_add_str(b, "name", t->buyer_name);
    json_add_str(b, "country", t->buyer_country);
    json_add_str(b, "language", t->buyer_language);
    json_add_str(j, "order_id", t->order_external_id);
    json_add_str(j, "conversation_id", t->conversation_id);
    json_add_str(j, "subject", t->subject);
    json_add_str(j, "category", t->category);
    json_add_str(j, "subcategory", t->subcategory);
    json_add_str(j, "language", t->language);
    json_add_str(j, "priority", ticket_priority_name(t->priority));
    json_add_str(j, "assignee", t->assignee);
    json_add_time(j, "created_at", t->created_at);
    json_add_time(j, "updated_at", t->updated_at);
    json_add_time(j, "solved_at", t->solved_at);
    json_add_time(j, "last_message_at", t->last_message_at);
    json_add_time(j, "last_buyer_message_at", t->last_inbound_at);
    cJSON_AddNumberToObject(j, "message_count", (double)t->message_count);
    cJSON_AddNumberToObject(j, "unanswered", (double)t->unanswered);
    json_add_time(j, "due_at", t->due_at);
    json_add_str(j, "due_state", t->due_state);
    if (t->linked_ticket_id) cJSON_AddNumberToObject(j, "linked_ticket_id", (double)t->linked_ticket_id);
    else cJSON_AddNullToObject(j, "linked_ticket_id");
    json_add_str(j, "tier", t->tier);
    cJSON_AddBoolToObject(j, "blacklisted", t->blacklisted);
    return j;
}

cJSON *ticket_message_json(const store_message_row *m)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)m->id);
    json_add_str(j, "external_id", m->external_id);
    cJSON_AddStringToObject(j, "direction", m->direction == BD_DIR_OUT ? "out" : "in");
    json_add_str(j, "kind", m->kind);
    json_add_str(j, "author", m->author);
    json_add_str(j, "subject", m->subject);
    json_add_str(j, "body", m->body);
    json_add_time(j, "sent_at", m->sent_at);
    json_add_str(j, "language", m->language);
    json_add_str(j, "category", m->category);
    json_add_str(j, "subcategory", m->subcategory);
    if (m->classification) {
        cJSON *c = cJSON_Parse(m->classification);
        if (c) cJSON_AddItemToObject(j, "classification", c);
    }
    if (m->direction == BD_DIR_OUT && m->kind && m->kind[0] == 'p')
        json_add_str(j, "delivery", m->delivery);
    return j;
}

cJSON *ticket_event_json(const store_event *e)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)e->id);
    json_add_time(j, "at", e->at);
    json_add_str(j, "actor", e->actor);
    json_add_str(j, "kind", e->kind);
    cJSON *d = e->detail ? cJSON_Parse(e->detail) : NULL;
    cJSON_AddItemToObject(j, "detail", d ? d : cJSON_CreateNull());
    return j;
}

cJSON *order_json(const store_order_row *o)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)o->id);
    json_add_str(j, "shop", o->shop);
    json_add_str(j, "marketplace", o->marketplace);
    json_add_str(j, "order_id", o->external_id);
    cJSON *b = cJSON_AddObjectToObject(j, "buyer");
    json_add_str(b, "external_id", o->buyer_external_id);
    json_add_str(b, "name", o->buyer_name);
    json_add_str(b, "country", o->buyer_country);
    json_add_str(b, "language", o->buyer_language);
    json_add_str(j, "status", o->status);
    json_add_time(j, "purchased_at", o->purchased_at);
    json_add_time(j, "updated_at", o->updated_at);
    json_add_str(j, "currency", o->currency);
    json_add_str(j, "total", o->total);
    json_add_str(j, "carrier", o->carrier);
    json_add_str(j, "tracking_number", o->tracking_number);
    json_add_time(j, "shipped_at", o->shipped_at);
    json_add_time(j, "estimated_delivery", o->estimated_delivery);
    cJSON *items = cJSON_AddArrayToObject(j, "items");
    for (size_t i = 0; i < o->n_items; i++) {
        cJSON *it = cJSON_CreateObject();
        json_add_str(it, "sku", o->items[i].sku);
        json_add_str(it, "title", o->items[i].title);
        cJSON_AddNumberToObject(it, "quantity", (double)o->items[i].quantity);
        json_add_str(it, "price", o->items[i].price);
        cJSON_AddItemToArray(items, it);
    }
    cJSON_AddNumberToObject(j, "ticket_count", (double)o->ticket_count);
    return j;
}
