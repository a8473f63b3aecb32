/*
 * model.h — the normalised Order, Buyer and Message that every connector (JSONL import,
 * marketplace sync, mail) produces, and their JSON Lines form (README "Import formats").
 *
 * Strings are owned by the struct and freed by the matching *_clear function. Times are
 * Unix seconds (UTC); 0 means "not given". Money stays a decimal string as received.
 */
#ifndef BORDERDESK_MODEL_H
#define BORDERDESK_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "borderdesk/util.h"

typedef struct bd_buyer {
    char *external_id; /* required */
    char *name, *email, *country, *language;
} bd_buyer;

typedef struct bd_item {
    char *sku, *title;
    int64_t quantity;
    char *price; /* decimal string or NULL */
} bd_item;

typedef struct bd_order {
    char *shop, *marketplace, *external_id;
    bd_buyer buyer;
    char *status;
    int64_t purchased_at, updated_at;
    char *currency, *total;
    bd_item *items;
    size_t n_items;
    char *carrier, *tracking_number;
    int64_t shipped_at, estimated_delivery;
    char *extra; /* JSON object text of the fields beyond the contract, or NULL */
} bd_order;

enum bd_direction { BD_DIR_IN = 0, BD_DIR_OUT = 1 };

/* Messages whose author starts with this are written by borderdesk itself (a survey
 * invitation is "borderdesk:survey"), never by a person: login names cannot contain ':'. */
#define BD_AUTHOR_AUTOMATIC "borderdesk:"

typedef struct bd_message {
    char *shop, *marketplace, *external_id;
    bd_buyer buyer;
    char *order_id;        /* the marketplace's order id, or NULL */
    char *conversation_id; /* the marketplace's conversation id, or NULL */
    int direction;         /* BD_DIR_IN / BD_DIR_OUT */
    char *subject, *body;
    int64_t sent_at;
    char *author;
    char *extra;
} bd_message;

/* Fill *o / *m from one parsed JSON object of the import contract. Returns 0, or -1 with
 * err naming the offending field. On failure the struct is left cleared. */
int bd_order_from_json(const cJSON *obj, bd_order *o, bd_err *err);
int bd_message_from_json(const cJSON *obj, bd_message *m, bd_err *err);
int bd_buyer_from_json(const cJSON *obj, bd_buyer *b, bd_err *err);

void bd_buyer_clear(bd_buyer *b);
void bd_order_clear(bd_order *o);
void bd_message_clear(bd_message *m);

/* cJSON with a nesting limit and UTF-8 check: parses text[0..len) or returns NULL with err. */
cJSON *bd_json_parse(const char *text, size_t len, bd_err *err);
/* Accessors: the string value of key, or NULL when absent/null; -1 via err if wrong type. */
const char *bd_json_str(const cJSON *obj, const char *key);

#endif
