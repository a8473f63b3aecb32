/*
 * store.h — the database. The only module that speaks SQL; SQLite (WAL) on disk is the
 * embedded default. Every function returns 0 on success or -1 with err set, unless said
 * otherwise; strings in returned structs are owned by the struct and freed by the matching
 * *_free / *_clear function.
 *
 * Writes happen inside store_begin()/store_commit() (BEGIN IMMEDIATE); a function that
 * writes outside a transaction runs in its own autocommit statement.
 */
#ifndef BORDERDESK_STORE_H
#define BORDERDESK_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "borderdesk/model.h"
#include "borderdesk/util.h"

typedef struct bd_store bd_store;

/* The schema version this binary writes; older databases are upgraded on open. */
int store_schema_latest(void);

enum {
    STORE_OPEN_CREATE = 1,   /* create the file (and its directory) if missing */
    STORE_OPEN_READONLY = 2, /* never write, never migrate */
};

/* Opens (and with STORE_OPEN_CREATE creates) the database at path, runs pending migrations.
 * Refuses files that are not borderdesk databases and databases newer than this binary. */
int store_open(const char *path, int flags, bd_store **out, bd_err *err);
void store_close(bd_store *s); /* NULL-safe */
int store_schema_version(bd_store *s);

int store_begin(bd_store *s, bd_err *err);  /* BEGIN IMMEDIATE */
int store_commit(bd_store *s, bd_err *err);
void store_rollback(bd_store *s);

/* ---- shops ---- */
/* Finds or creates the shop by name; errors if it exists with another marketplace. */
int store_shop_ensure(bd_store *s, const char *name, const char *marketplace, int64_t *id,
                      bd_err *err);

/* ---- buyers ---- */
/* Inserts or updates (non-NULL fields win) the buyer (shop_id, external_id). */
int store_buyer_upsert(bd_store *s, int64_t shop_id, const bd_buyer *b, int64_t *id,
                       bd_err *err);

/* ---- orders ---- */
enum store_upsert_result { STORE_UNCHANGED = 0, STORE_INSERTED = 1, STORE_UPDATED = 2 };
/* Inserts or updates the order (shop_id, external_id) with its items. An older update
 * (updated_at before the stored one) is ignored. *result says what happened. */
int store_order_upsert(bd_store *s, int64_t shop_id, int64_t buyer_id, const bd_order *o,
                       int64_t *id, int *result, bd_err *err);
/* 1 and *id when the order exists, 0 when not, -1 on error. */
int store_order_lookup(bd_store *s, int64_t shop_id, const char *external_id, int64_t *id,
                       bd_err *err);

typedef struct store_order_row {
    int64_t id;
    char *shop, *marketplace, *external_id;
    int64_t buyer_id;
    char *buyer_name, *buyer_external_id, *buyer_country, *buyer_language;
    char *status, *currency, *total, *carrier, *tracking_number;
    int64_t purchased_at, updated_at, shipped_at, estimated_delivery;
    bd_item *items;
    size_t n_items;
    int64_t ticket_count;
} store_order_row;
void store_order_row_clear(store_order_row *o);
/* All orders, newest purchase first (limit 0 = all). Caller frees with store_order_rows_free. */
int store_orders_list(bd_store *s, size_t limit, store_order_row **rows, size_t *n, bd_err *err);
/* One order by internal id, or by marketplace order id when ref is not a number.
 * Returns 1 found, 0 not found, -1 error. Items are filled. */
int store_order_get(bd_store *s, const char *ref, store_order_row *row, bd_err *err);
void store_order_rows_free(store_order_row *rows, size_t n);

/* ---- tickets ---- */
typedef struct store_ticket {
    int64_t id;
    int64_t shop_id, buyer_id, order_id; /* order_id 0 when none */
    char *shop, *marketplace;
    char *buyer_name, *buyer_external_id, *buyer_language, *buyer_country;
    char *order_external_id, *conversation_id;
    char *status, *category, *subcategory, *language, *assignee, *subject;
    int priority;
    int64_t created_at, updated_at, solved_at, last_message_at, last_inbound_at;
    int64_t linked_ticket_id;
    int64_t message_count, unanswered;
} store_ticket;
void store_ticket_clear(store_ticket *t);
void store_tickets_free(store_ticket *t, size_t n);

/* The head of the newest ticket of a thread key (shop, buyer, order or conversation),
 * whatever its status: just what threading needs. Returns 1 found, 0 none, -1 error. */
typedef struct store_thread_head {
    int64_t id, solved_at;
    char status[12];
} store_thread_head;
int store_ticket_find_thread(bd_store *s, int64_t shop_id, int64_t buyer_id,
                             const char *order_external_id, const char *conversation_id,
                             store_thread_head *h, bd_err *err);

typedef struct store_ticket_new {
    int64_t shop_id, buyer_id, order_id;
    const char *order_external_id, *conversation_id, *subject, *status;
    int64_t created_at, linked_ticket_id;
    int direction; /* of the first message: sets last_message_at / last_inbound_at */
} store_ticket_new;
int store_ticket_create(bd_store *s, const store_ticket_new *n, int64_t *id, bd_err *err);

/* 1 found, 0 not found, -1 error. */
int store_ticket_get(bd_store *s, int64_t id, store_ticket *t, bd_err *err);

typedef struct store_ticket_filter {
    const char *status;   /* exact status, or "active" (new+open+pending), or NULL = all */
    const char *shop;
    const char *assignee;
    size_t limit;         /* 0 = all */
} store_ticket_filter;
/* Tickets ordered by priority (high first) then oldest waiting buyer message first. */
int store_tickets_list(bd_store *s, const store_ticket_filter *f, store_ticket **out, size_t *n,
                       bd_err *err);

int store_ticket_set_status(bd_store *s, int64_t id, const char *status, int64_t at,
                            bd_err *err);
int store_ticket_set_assignee(bd_store *s, int64_t id, const char *assignee, int64_t at,
                              bd_err *err);
/* Records a message's arrival on the ticket (last_message_at; last_inbound_at for buyer
 * messages; the subject if the ticket has none). */
int store_ticket_touch(bd_store *s, int64_t id, int direction, int64_t at, const char *subject,
                       bd_err *err);
/* Sets order_id on tickets of the shop that name the order but were created before it
 * arrived. */
int store_tickets_link_order(bd_store *s, int64_t shop_id, const char *order_external_id,
                             int64_t order_id, bd_err *err);
int store_ticket_set_classification(bd_store *s, int64_t id, const char *category,
                                    const char *subcategory, const char *language, int priority,
                                    bd_err *err);
/* What the buyer is waiting for on a ticket: the public buyer messages sent after the last
 * public reply (unanswered, the newest at last_unanswered_at) and that reply's time (0 when
 * there is none). */
typedef struct store_ticket_waiting {
    int64_t unanswered, last_unanswered_at, last_reply_at;
} store_ticket_waiting;
int store_ticket_waiting_get(bd_store *s, int64_t ticket_id, store_ticket_waiting *w,
                             bd_err *err);

/* ---- messages ---- */
typedef struct store_message {
    int64_t id, ticket_id, buyer_id;
    int64_t shop_id;
    const char *external_id; /* NULL for replies written here until the marketplace has one */
    int direction;
    const char *kind;        /* "public" (default) or "note" */
    const char *author, *subject, *body;
    int64_t sent_at;
    const char *order_external_id, *conversation_id;
    const char *language, *category, *subcategory, *classification;
    const char *extra;
} store_message;
/* 1 when the message (shop_id, external_id) is already stored, 0 when not, -1 on error. */
int store_message_exists(bd_store *s, int64_t shop_id, const char *external_id, bd_err *err);
int store_message_insert(bd_store *s, const store_message *m, int64_t *id, bd_err *err);

typedef struct store_message_row {
    int64_t id, ticket_id;
    char *external_id, *kind, *author, *subject, *body, *language, *category, *subcategory;
    char *classification, *delivery; /* outbox state for replies: queued/sent/failed */
    int direction;
    int64_t sent_at;
} store_message_row;
int store_ticket_messages(bd_store *s, int64_t ticket_id, store_message_row **rows, size_t *n,
                          bd_err *err);
void store_message_rows_free(store_message_row *rows, size_t n);

/* ---- events: the append-only audit log of ticket changes ---- */
/* detail_json may be NULL. */
int store_event_add(bd_store *s, int64_t ticket_id, const char *actor, const char *kind,
                    const char *detail_json, int64_t at, bd_err *err);
typedef struct store_event {
    int64_t id, ticket_id, at;
    char *actor, *kind, *detail;
} store_event;
int store_ticket_events(bd_store *s, int64_t ticket_id, store_event **rows, size_t *n,
                        bd_err *err);
void store_events_free(store_event *rows, size_t n);

/* ---- outbox ---- */
int store_outbox_add(bd_store *s, int64_t ticket_id, int64_t message_id, const char *channel,
                     int64_t at, int64_t *id, bd_err *err);

/* ---- users ---- */
typedef struct store_user {
    int64_t id;
    char *name, *display_name, *role;
    int disabled;
    int64_t created_at;
} store_user;
/* 1 found, 0 not, -1 error. */
int store_user_get(bd_store *s, const char *name, store_user *u, bd_err *err);
int store_user_add(bd_store *s, const char *name, const char *display_name, const char *role,
                   int64_t at, bd_err *err);
int store_user_set_disabled(bd_store *s, const char *name, int disabled, bd_err *err);
int store_users_list(bd_store *s, store_user **out, size_t *n, bd_err *err);
void store_user_clear(store_user *u);
void store_users_free(store_user *u, size_t n);

/* ---- sync checkpoints ---- */
/* *cursor is NULL when none is stored; caller frees. */
int store_checkpoint_get(bd_store *s, int64_t shop_id, const char *resource, char **cursor,
                         bd_err *err);
int store_checkpoint_set(bd_store *s, int64_t shop_id, const char *resource,
                         const char *cursor, int64_t at, bd_err *err);

/* ---- counts, for summaries and tests ---- */
/* Number of rows of a named table (one of: shops buyers orders order_items tickets
 * messages events users outbox sync_checkpoints). */
int64_t store_count(bd_store *s, const char *table);

#endif
