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

/* Bulk ingest on this connection (`import messages`): the schema's CHECK constraints are
 * left out of its statements, because SQLite evaluates each IN list of more than two values
 * through a temporary B-tree built for every row written — a third of the cost of creating
 * a ticket. The values those constraints guard are checked here in C instead (ticket
 * statuses, message directions and kinds; see store_ticket_create, store_ticket_set_status,
 * store_message_insert), so use it only on a connection that writes nothing else.
 * Foreign keys are not enforced either (a lookup in the parent table per key per row): every
 * id an ingest writes is one it read or wrote itself in the same transaction. */
int store_bulk_ingest(bd_store *s, bd_err *err);

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
    char *tier;      /* the buyer's loyalty tier (see src/loyalty), or NULL */
    int blacklisted; /* the buyer is on the blacklist */
    int64_t due_at;  /* the next SLA due time, 0 when no clock with a target runs */
    char *due_state; /* ok, warning, breached; NULL with no due time */
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
    /* The ticket's request as its first message states it, so that a new ticket is written
     * once: the classification (NULL when unclassified), the queue priority (0 low .. 3
     * urgent; ticket.c combines urgency and tier) and the classifier's urgency (-1: none). */
    const char *category, *subcategory, *language;
    int priority, urgency;
    /* The due time and state it starts with (0 and NULL: none), see ticket_ctx.new_ticket_due. */
    int64_t due_at;
    const char *due_state;
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
/* urgency is the classifier's; priority is what the queue sorts by (urgency combined with
 * the buyer's tier, see ticket_priority_combine). */
int store_ticket_set_classification(bd_store *s, int64_t id, const char *category,
                                    const char *subcategory, const char *language, int urgency,
                                    int priority, bd_err *err);
/* A message joining its ticket: store_ticket_touch and, when classify is 1,
 * store_ticket_set_classification, in one UPDATE (one rewrite of the row and its indexes
 * instead of two). */
int store_ticket_touch_classify(bd_store *s, int64_t id, int direction, int64_t at,
                                const char *subject, int classify, const char *category,
                                const char *subcategory, const char *language, int urgency,
                                int priority, bd_err *err);
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
/* The same by the shop's name (a shop not yet stored has no messages): 1, 0, -1. */
int store_message_exists_in(bd_store *s, const char *shop, const char *external_id,
                            bd_err *err);
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

/* ---- SLA clocks: streaming reads of what the clocks are computed from (src/store/sla.c) ----
 * Each scan calls fn once per row; the row and its strings live only during the call. fn
 * returns 0 to go on, or -1 to stop the scan (the scan then returns -1; fn sets err). */
typedef struct store_sla_scope {
    int64_t ticket_id;      /* one ticket (an indexed lookup), or 0 for all */
    int64_t created_before; /* tickets created before; 0: no limit */
    int64_t active_since;   /* tickets updated at or after; 0: no limit */
    int64_t before;         /* messages sent / events recorded before; 0: no limit */
    int buyer_language;     /* tickets without a language take their buyer's */
    int64_t ticket_from, ticket_to; /* tickets with ids in [from, to), 0: open (both 0: all);
                                     * a message scan with a marker ignores the range */
} store_sla_scope;

/* The largest ticket id (0 when there is none, -1 on error). */
int64_t store_ticket_max_id(bd_store *s);

typedef struct store_sla_ticket {
    int64_t id, shop_id, created_at, due_at; /* due_at 0 when none */
    int priority;
    const char *status, *category, *subcategory;
    const char *language; /* the ticket's (else the buyer's, with buyer_language) */
    const char *assignee, *due_state;
} store_sla_ticket;
/* Tickets in id order. */
int store_sla_tickets(bd_store *s, const store_sla_scope *sc,
                      int (*fn)(void *ud, const store_sla_ticket *t, bd_err *err), void *ud,
                      bd_err *err);

typedef struct store_sla_message {
    int64_t id, ticket_id, sent_at;
    int direction; /* BD_DIR_* */
    int note;      /* an internal note */
    int marked;    /* an outbound message whose body contains the marker passed */
    const char *author;
} store_sla_message;
/* Messages of the scope's tickets: without a marker in (ticket, time) order from a covering
 * index; with one (checked against the body) in table order. marker may be NULL. */
int store_sla_messages(bd_store *s, const store_sla_scope *sc, const char *marker,
                       int (*fn)(void *ud, const store_sla_message *m, bd_err *err), void *ud,
                       bd_err *err);

typedef struct store_sla_event {
    int64_t id, ticket_id, at;
    const char *kind;   /* status_changed, reopened, no_response_needed, response_needed */
    const char *status; /* the status it changed to (status_changed, reopened), else NULL */
    int64_t message_id; /* no_response_needed / response_needed: the message, else 0 */
} store_sla_event;
/* The events that move clocks, by ticket, in the order they were recorded. */
int store_sla_events(bd_store *s, const store_sla_scope *sc,
                     int (*fn)(void *ud, const store_sla_event *e, bd_err *err), void *ud,
                     bd_err *err);

/* A second, read-only connection to the same database, for a scan in another thread. It
 * sees committed data only. Close with store_close. */
int store_open_reader(bd_store *s, bd_store **out, bd_err *err);

/* Stores the ticket's next due time (0: none) and state (NULL: none). */
int store_ticket_set_due(bd_store *s, int64_t id, int64_t due_at, const char *state,
                         bd_err *err);

typedef struct store_shop {
    int64_t id;
    char *name, *marketplace;
} store_shop;
int store_shops_list(bd_store *s, store_shop **out, size_t *n, bd_err *err);
void store_shops_free(store_shop *shops, size_t n);

/* ---- marketplace sync (src/store/sync.c) ---- */
typedef struct store_feedback {
    const char *external_id;
    int64_t buyer_id;
    const char *order_external_id; /* when the marketplace names the order */
    const char *line_item_id;      /* else the order line: resolved through line refs */
    const char *rating;            /* positive, neutral, negative */
    int score;                     /* 1..5, 0 = none */
    const char *comment, *reply, *extra;
    int64_t left_at;
} store_feedback;
/* Inserts or updates the feedback (shop_id, external_id); links it to its order when the
 * order (or the line it names) is known. *result: STORE_INSERTED/UPDATED/UNCHANGED. */
int store_feedback_upsert(bd_store *s, int64_t shop_id, const store_feedback *f, int *result,
                          bd_err *err);
/* Remembers that an order line belongs to an order, and links feedback waiting for it. */
int store_line_ref_add(bd_store *s, int64_t shop_id, const char *line_item_id,
                       const char *order_external_id, bd_err *err);

/* OAuth tokens of a shop, kept between runs (marketplaces rotate refresh tokens). */
typedef struct store_tokens {
    char *access_token, *refresh_token, *seed;
    int64_t access_expires;
} store_tokens;
void store_tokens_clear(store_tokens *t);
/* 1 found, 0 none, -1 error. */
int store_tokens_get(bd_store *s, int64_t shop_id, store_tokens *t, bd_err *err);
int store_tokens_set(bd_store *s, int64_t shop_id, const store_tokens *t, bd_err *err);

/* Newest sent_at of the stored messages of a conversation; 0 when none, -1 on error. */
int64_t store_conversation_last(bd_store *s, int64_t shop_id, const char *conversation_id,
                                bd_err *err);

/* The raw source of a message that could not be read cleanly (malformed mail), kept with
 * the reason, so it is never lost; full_len is the size the server announced (raw may be
 * cut at the size limit). Replaces an earlier source of the same message. */
int store_message_source_add(bd_store *s, int64_t message_id, const char *raw, size_t len,
                             size_t full_len, const char *error, bd_err *err);
/* The thread of the stored message (shop_id, external_id): its conversation id and order
 * id, or its ticket's when the message has none (*... NULL when neither). Returns 1 found,
 * 0 not stored, -1 error; the strings are the caller's. */
int store_message_thread(bd_store *s, int64_t shop_id, const char *external_id,
                         char **conversation_id, char **order_id, bd_err *err);

/* ---- outbox delivery (src/store/outbox.c) ---- */
typedef struct store_outbox_row {
    int64_t id, ticket_id, message_id, shop_id;
    char *shop, *marketplace, *channel, *status, *idempotency_key;
    char *body, *conversation_id, *order_external_id, *buyer_external_id;
    /* the buyer's latest public message before the reply (what mail replies answer), or
     * NULL: its external id, subject and extra data */
    char *reply_to_external_id, *reply_to_subject, *reply_to_extra;
    char *ticket_subject;
    char *last_error; /* why the previous attempt did not deliver, or NULL */
    int attempts;
    int64_t created_at, next_attempt_at;
} store_outbox_row;
void store_outbox_rows_free(store_outbox_row *rows, size_t n);
/* Replies due at now (queued, or sending = an attempt whose outcome is unknown), oldest
 * first; shop NULL for all shops; limit 0 = all. */
int store_outbox_due(bd_store *s, int64_t now, const char *shop, size_t limit,
                     store_outbox_row **rows, size_t *n, bd_err *err);
/* Records an attempt before it is made: status sending, attempts + 1. */
int store_outbox_mark_sending(bd_store *s, int64_t id, int64_t at, bd_err *err);
/* Delivered: status sent, the marketplace's id on the outbox row and on the message (a
 * copy of the message that a sync stored meanwhile is dropped). */
int store_outbox_mark_sent(bd_store *s, int64_t id, const char *remote_id, int64_t at,
                           bd_err *err);
/* Not delivered yet: status (queued, or sending when the outcome is unknown), the error,
 * and when to try again. */
int store_outbox_reschedule(bd_store *s, int64_t id, const char *status, const char *error,
                            int64_t next_at, bd_err *err);
int store_outbox_mark_failed(bd_store *s, int64_t id, const char *error, int64_t at, bd_err *err);
/* A seller message found by sync that is one of our replies whose delivery was not yet
 * confirmed (status sending, same shop, same text, same conversation or buyer): marks it
 * sent with remote_id. Returns 1 claimed, 0 not ours, -1 error. */
int store_outbox_claim_echo(bd_store *s, int64_t shop_id, const char *conversation_id,
                            const char *buyer_external_id, const char *body,
                            const char *remote_id, int64_t at, bd_err *err);

/* ---- counts, for summaries and tests ---- */
/* Number of rows of a named table (one of: shops buyers orders order_items tickets
 * messages events users outbox sync_checkpoints buyer_loyalty loyalty_dirty buyer_blacklist
 * buyer_flags surveys survey_answers feedback order_line_refs message_sources). */
int64_t store_count(bd_store *s, const char *table);

/* ==== loyalty: buyer profiles and tiers (src/store/loyalty.c) ====
 * The loyalty engine (src/loyalty) owns the meaning; the store keeps its rows and answers
 * the few range questions the incremental recompute asks. */

/* The values buyers are ranked by; columns of the buyer profile. */
enum store_loyalty_metric {
    STORE_LM_RECENCY = 0,   /* last counted order (time) */
    STORE_LM_FREQUENCY = 1, /* counted orders in the RFM window */
    STORE_LM_MONETARY = 2,  /* counted sales in the RFM window (base currency micros) */
    STORE_LM_VALUE = 3,     /* counted sales in the pyramid period (base currency micros) */
    STORE_LM_COUNT_ = 4
};

/* An order as the loyalty engine reads it; the strings live until the callback returns.
 * external_id is not read (NULL): store_order_external_id() fetches it when needed. */
typedef struct store_loyalty_order {
    int64_t id, buyer_id, shop_id, purchased_at, total_micros;
    const char *external_id, *currency, *status;
} store_loyalty_order;
/* The marketplace order id of an order. 1 found, 0 not, -1 error. */
int store_order_external_id(bd_store *s, int64_t order_id, char *out, size_t outlen,
                            bd_err *err);
typedef int (*store_loyalty_order_fn)(void *ud, const store_loyalty_order *o, bd_err *err);
/* Every order (buyer_id 0, grouped by buyer) or one buyer's orders. A callback returning -1
 * stops the scan and the function returns -1 with the callback's err. */
int store_loyalty_orders(bd_store *s, int64_t buyer_id, store_loyalty_order_fn fn, void *ud,
                         bd_err *err);

/* A ticket that claims something (its subcategory is in the JSON array subcategories), with
 * the status of its order (NULL when it has none). */
typedef struct store_loyalty_claim {
    int64_t buyer_id, ticket_id, order_id; /* order_id 0 when none */
    const char *subcategory, *order_status;
} store_loyalty_claim;
typedef int (*store_loyalty_claim_fn)(void *ud, const store_loyalty_claim *c, bd_err *err);
int store_loyalty_claims(bd_store *s, int64_t buyer_id, const char *subcategories_json,
                         store_loyalty_claim_fn fn, void *ud, bd_err *err);

/* Negative satisfaction signals per buyer (buyer_id 0: all buyers) in (since, until]:
 * survey answers at or below the floor of their kind (csat_max, nps_max, ces_max) and
 * negative marketplace feedback. */
typedef int (*store_loyalty_count_fn)(void *ud, int64_t buyer_id, int64_t count, bd_err *err);
int store_loyalty_negatives(bd_store *s, int64_t buyer_id, int64_t since, int64_t until,
                            int csat_max, int nps_max, int ces_max, store_loyalty_count_fn fn,
                            void *ud, bd_err *err);

typedef int (*store_id_fn)(void *ud, int64_t id, bd_err *err);
/* Buyers with an order purchased in (from, to]; with satisfaction also those with a survey
 * answer or feedback in (from, to]. A buyer may be reported more than once. */
int store_loyalty_buyers_between(bd_store *s, int64_t from, int64_t to, int satisfaction,
                                 store_id_fn fn, void *ud, bd_err *err);

/* The queue of buyers whose profile must be recomputed (orders, disputes, surveys,
 * feedback, blacklist changes add to it). */
int store_loyalty_mark_dirty(bd_store *s, int64_t buyer_id, bd_err *err);
int store_loyalty_dirty(bd_store *s, store_id_fn fn, void *ud, bd_err *err);
int store_loyalty_dirty_clear(bd_store *s, bd_err *err);

#define STORE_LABEL_MAX 24
/* A buyer's loyalty profile. Empty label strings are stored as NULL; has[] says which
 * metrics are set (a buyer outside a ranking's population has none). The rank-derived
 * labels (r, f, m, segment, pyramid, top20, abc) are not stored: reads leave them empty and
 * loyalty_view_labels() (loyalty.h) derives them from the metrics and the shop's bands. */
typedef struct store_buyer_loyalty {
    int64_t buyer_id, shop_id;
    int64_t orders, orders_all, spend, first_order_at, last_order_at;
    int64_t metric[STORE_LM_COUNT_];
    int has[STORE_LM_COUNT_];
    int64_t orders_recent, orders_previous, claims, chargebacks, negatives;
    int boost;
    char loyalty[STORE_LABEL_MAX], lifecycle[STORE_LABEL_MAX], churn[STORE_LABEL_MAX];
    char tier[STORE_LABEL_MAX];
    int64_t digest; /* the engine's fingerprint of the stored fields */
    int64_t updated_at;
    /* derived, never stored */
    int r, f, m, top20;
    char segment[STORE_LABEL_MAX], pyramid[STORE_LABEL_MAX], abc[4];
} store_buyer_loyalty;
/* 1 found, 0 none, -1 error. */
int store_loyalty_get(bd_store *s, int64_t buyer_id, store_buyer_loyalty *p, bd_err *err);
int store_loyalty_put(bd_store *s, const store_buyer_loyalty *p, bd_err *err);
/* Rewrites only the labels (loyalty, lifecycle, churn, tier, boost, digest, updated_at) of an
 * existing profile. */
int store_loyalty_put_labels(bd_store *s, const store_buyer_loyalty *p, bd_err *err);
int store_loyalty_delete(bd_store *s, int64_t buyer_id, bd_err *err);
typedef int (*store_loyalty_profile_fn)(void *ud, const store_buyer_loyalty *p, bd_err *err);
/* Every profile's buyer, digest, tier and boost, by buyer id (cheap: for change detection). */
typedef int (*store_loyalty_digest_fn)(void *ud, int64_t buyer_id, int64_t digest,
                                       const char *tier, int boost, bd_err *err);
int store_loyalty_digests(bd_store *s, store_loyalty_digest_fn fn, void *ud, bd_err *err);
/* Every profile (shop_id 0) or one shop's, by buyer id. */
int store_loyalty_scan(bd_store *s, int64_t shop_id, store_loyalty_profile_fn fn, void *ud,
                       bd_err *err);
/* Largest buyer id (0 when there are no buyers). */
int store_loyalty_max_buyer_id(bd_store *s, int64_t *max, bd_err *err);
/* Buyers (of the shop; shop_id 0: all) that have no loyalty profile: they never ordered. */
int store_loyalty_unprofiled(bd_store *s, int64_t shop_id, int64_t *n, bd_err *err);

/* ---- rankings: each shop's buyers sorted by a metric (src/store/rank.c) ----
 * A base written whole by a full recompute, plus the moves of single buyers since. */
typedef struct store_rank_entry {
    int64_t value, buyer_id;
} store_rank_entry;
/* Replaces the shop's ranking by metric with n entries sorted by value (ascending). */
int store_rank_rebuild(bd_store *s, int64_t shop_id, int metric, const store_rank_entry *e,
                       size_t n, bd_err *err);
/* Forgets every ranking (before a full recompute rebuilds them). */
int store_rank_reset(bd_store *s, bd_err *err);
/* Records that a buyer's value moved (has_old / has_new: whether it was / is ranked). */
int store_rank_move(bd_store *s, int64_t shop_id, int metric, int64_t buyer_id, int has_old,
                    int64_t old_value, int has_new, int64_t new_value, bd_err *err);
/* The nearest value strictly above (dir > 0) or below (dir < 0) from among the shop's ranked
 * buyers, and how many buyers have it. 1 found, 0 none, -1 error. */
int store_loyalty_metric_next(bd_store *s, int64_t shop_id, int metric, int64_t from, int dir,
                              int64_t *value, int64_t *count, bd_err *err);
/* The buyers whose value lies in [lo, hi), each once, in no particular order. */
int store_rank_range(bd_store *s, int64_t shop_id, int metric, int64_t lo, int64_t hi,
                     store_id_fn fn, void *ud, bd_err *err);

/* A band of one ranking: its members are the profiles whose metric is >= u (u = INT64_MAX:
 * none); a is their weight, e_u the weight at u, b the next value below u (INT64_MIN: none)
 * and e_b the weight at b. */
typedef struct store_loyalty_band {
    int64_t u, e_u, a, b, e_b;
} store_loyalty_band;
typedef struct store_loyalty_shop {
    int64_t shop_id, n_rfm, n_value, t_value;
} store_loyalty_shop;
/* 1 found (bands[0..nbands) filled), 0 none, -1 error. */
int store_loyalty_shop_get(bd_store *s, int64_t shop_id, store_loyalty_shop *sh,
                           store_loyalty_band *bands, int nbands, bd_err *err);
int store_loyalty_shop_put(bd_store *s, const store_loyalty_shop *sh,
                           const store_loyalty_band *bands, int nbands, bd_err *err);
/* Forgets every shop's bands (before a full recompute). */
int store_loyalty_shops_reset(bd_store *s, bd_err *err);

/* When the profiles were last computed, and under which configuration. 1 / 0 / -1. */
int store_loyalty_state_get(bd_store *s, int64_t *as_of, char *config_hash, size_t hash_len,
                            int64_t *full_at, bd_err *err);
int store_loyalty_state_put(bd_store *s, int64_t as_of, const char *config_hash,
                            int64_t full_at, bd_err *err);

/* Every shop: id and name. */
typedef int (*store_shop_fn)(void *ud, int64_t id, const char *name, bd_err *err);
int store_shops_each(bd_store *s, store_shop_fn fn, void *ud, bd_err *err);

/* ---- the tier's effect on tickets ---- */
/* The buyer's tier and priority boost (0 and "" without a profile). */
int store_buyer_tier(bd_store *s, int64_t buyer_id, int *boost, char *tier, size_t tier_len,
                     bd_err *err);
typedef struct store_ticket_priority {
    int64_t id;
    int urgency; /* the classifier's, TICKET_PRIORITY_NORMAL when unclassified */
    int priority;
} store_ticket_priority;
/* The buyer's new, open and pending tickets. Caller frees *out. */
int store_buyer_active_tickets(bd_store *s, int64_t buyer_id, store_ticket_priority **out,
                               size_t *n, bd_err *err);
int store_ticket_set_priority(bd_store *s, int64_t id, int priority, bd_err *err);

/* ---- buyers ---- */
typedef struct store_buyer_row store_buyer_row; /* below, with store_buyer_get */
/* By internal id, or "SHOP:EXTERNAL_ID" (fills the buyer's own columns and shop; the counts
 * stay 0). 1 found, 0 not found, -1 error. */
int store_buyer_find(bd_store *s, const char *ref, store_buyer_row *b, bd_err *err);
/* Last message from the buyer (0 when none). */
int store_buyer_last_contact(bd_store *s, int64_t buyer_id, int64_t *at, bd_err *err);

/* Audit events about a buyer (ticket_id 0 when none): tier changes, blacklist, flags. */
int store_buyer_event_add(bd_store *s, int64_t buyer_id, int64_t ticket_id, const char *actor,
                          const char *kind, const char *detail_json, int64_t at, bd_err *err);
int store_buyer_events(bd_store *s, int64_t buyer_id, store_event **rows, size_t *n,
                       bd_err *err);
/* Events of kind "tier_changed" with at in [from, to) (to 0: no end). */
typedef int (*store_event_fn)(void *ud, int64_t buyer_id, const store_event *e, bd_err *err);
int store_tier_changes(bd_store *s, int64_t from, int64_t to, store_event_fn fn, void *ud,
                       bd_err *err);

/* ---- blacklist and suspicion flags (src/store/blacklist.c) ---- */
typedef struct store_blacklist_entry {
    int64_t buyer_id, shop_id, flag_id, added_at;
    char *shop, *buyer_external_id, *buyer_name, *reason, *added_by;
} store_blacklist_entry;
void store_blacklist_entry_clear(store_blacklist_entry *e);
void store_blacklist_entries_free(store_blacklist_entry *e, size_t n);
/* 1 listed, 0 not, -1 error; e may be NULL. */
int store_blacklist_get(bd_store *s, int64_t buyer_id, store_blacklist_entry *e, bd_err *err);
int store_blacklist_add(bd_store *s, int64_t buyer_id, const char *reason, const char *by,
                        int64_t at, int64_t flag_id, bd_err *err);
/* 1 removed, 0 was not listed. */
int store_blacklist_remove(bd_store *s, int64_t buyer_id, bd_err *err);
int store_blacklist_list(bd_store *s, store_blacklist_entry **out, size_t *n, bd_err *err);

typedef struct store_buyer_flag {
    int64_t id, buyer_id, shop_id, level, raised_at, decided_at;
    char kind[16], status[12];
    char *evidence, *decided_by, *decision, *shop, *buyer_external_id, *buyer_name;
} store_buyer_flag;
void store_buyer_flag_clear(store_buyer_flag *f);
void store_buyer_flags_free(store_buyer_flag *f, size_t n);
/* The newest flag of that kind for the buyer. 1 / 0 / -1. */
int store_flag_latest(bd_store *s, int64_t buyer_id, const char *kind, store_buyer_flag *f,
                      bd_err *err);
int store_flag_get(bd_store *s, int64_t id, store_buyer_flag *f, bd_err *err);
int store_flag_add(bd_store *s, int64_t buyer_id, const char *kind, int64_t level,
                   const char *evidence_json, int64_t at, int64_t *id, bd_err *err);
/* Moves an open flag to status (confirmed or dismissed). 1 done, 0 it was not open. */
int store_flag_decide(bd_store *s, int64_t id, const char *status, const char *by,
                      const char *decision, int64_t at, bd_err *err);
/* Flags with the status (NULL: all), newest first. */
int store_flags_list(bd_store *s, const char *status, store_buyer_flag **out, size_t *n,
                     bd_err *err);

/* ---- surveys (src/store/survey.c) ---- */
typedef struct store_survey {
    int64_t id, ticket_id, shop_id, buyer_id, created_at, expires_at, responded_at;
    int score; /* valid when responded_at != 0 */
    int dims[4]; /* answers: quality, attitude, speed, price; 0 = not answered */
    char *token, *agent, *category, *subcategory, *language, *kind, *dimensions, *comment;
    char *shop, *buyer_external_id, *buyer_name; /* filled by reads */
    char *order_external_id;                     /* the ticket's order, filled by reads */
} store_survey;
void store_survey_clear(store_survey *v);
void store_surveys_free(store_survey *v, size_t n);
/* Inserts the survey (the read-only fields are ignored). */
int store_survey_insert(bd_store *s, const store_survey *v, int64_t *id, bd_err *err);
/* By token (ref a token) or id. 1 / 0 / -1. */
int store_survey_get_token(bd_store *s, const char *token, store_survey *v, bd_err *err);
int store_survey_get(bd_store *s, int64_t id, store_survey *v, bd_err *err);
int store_survey_for_ticket(bd_store *s, int64_t ticket_id, int64_t *id, bd_err *err);
/* Records the response unless one is stored: 1 recorded, 0 already answered. */
int store_survey_respond(bd_store *s, int64_t id, int score, const char *comment, int64_t at,
                         bd_err *err);
int store_survey_answer(bd_store *s, int64_t id, const char *dimension, int score, bd_err *err);
typedef struct store_survey_filter {
    const char *status; /* pending, answered, expired or NULL (all) */
    const char *shop;
    int64_t now;        /* decides pending vs expired */
    size_t limit;
} store_survey_filter;
int store_surveys_list(bd_store *s, const store_survey_filter *f, store_survey **out, size_t *n,
                       bd_err *err);
/* A buyer's answered surveys, newest answer first (limit 0: all). */
int store_buyer_surveys(bd_store *s, int64_t buyer_id, size_t limit, store_survey **out, size_t *n,
                        bd_err *err);
/* Surveys created in [from, to), with their answers, for reports. */
typedef int (*store_survey_fn)(void *ud, const store_survey *v, bd_err *err);
int store_surveys_scan(bd_store *s, int64_t from, int64_t to, store_survey_fn fn, void *ud,
                       bd_err *err);

/* ---- marketplace feedback (src/store/feedback.c) ---- */
typedef struct store_feedback_row {
    int64_t id, shop_id, buyer_id, order_id, ticket_id, left_at, recorded_at;
    int stars; /* 0 = none */
    char *external_id, *order_external_id, *agent, *kind, *rating, *comment, *response;
    char *revised_from;
    char *shop, *category; /* filled by scans: shop name, the followed ticket's category */
} store_feedback_row;
void store_feedback_clear(store_feedback_row *f);
/* 1 found, 0 none, -1 error. */
int store_feedback_get(bd_store *s, int64_t shop_id, const char *external_id, store_feedback_row *f,
                       bd_err *err);
int store_feedback_insert(bd_store *s, const store_feedback_row *f, int64_t *id, bd_err *err);
/* A revised rating: rating, stars, comment, response and left_at change; revised_from keeps
 * the rating it replaced. */
int store_feedback_revise(bd_store *s, int64_t id, const store_feedback_row *f, bd_err *err);
/* The ticket a feedback follows: the newest ticket of the shop and buyer (about order when
 * given) created at or before at whose last message is no more than window seconds before
 * at. 1 found (ticket_id, agent — caller frees), 0 none, -1 error. */
int store_feedback_ticket(bd_store *s, int64_t shop_id, int64_t buyer_id,
                          const char *order_external_id, int64_t at, int64_t window,
                          int64_t *ticket_id, char **agent, bd_err *err);
void store_feedback_rows_free(store_feedback_row *f, size_t n); /* NULL-safe */
/* A buyer's feedback, newest first (limit 0: all). */
int store_buyer_feedback(bd_store *s, int64_t buyer_id, size_t limit, store_feedback_row **out,
                         size_t *n, bd_err *err);
typedef int (*store_feedback_fn)(void *ud, const store_feedback_row *f, bd_err *err);
/* Feedback left in [from, to), for reports. */
int store_feedback_scan(bd_store *s, int64_t from, int64_t to, store_feedback_fn fn, void *ud,
                        bd_err *err);
/* Buyer messages classified review/<subcategory> sent in [from, to): shop, the ticket's
 * assignee (NULL) and subcategory, for reports. */
typedef int (*store_review_fn)(void *ud, const char *shop, const char *agent,
                               const char *subcategory, int64_t sent_at, bd_err *err);
int store_review_messages_scan(bd_store *s, int64_t from, int64_t to, store_review_fn fn,
                               void *ud, bd_err *err);

/* ==== the service (src/store/auth.c, src/store/api.c) ==== */

/* ---- users: credentials and roles ---- */
typedef struct store_user_auth {
    int64_t id;
    char *name, *role;
    char *password_hash; /* argon2id encoded, or NULL when the user has no password */
    int disabled;
} store_user_auth;
void store_user_auth_clear(store_user_auth *u); /* NULL-safe */
/* 1 found, 0 not, -1 error. */
int store_user_auth_get(bd_store *s, const char *name, store_user_auth *u, bd_err *err);
/* hash NULL removes the password (the user can no longer log in). */
int store_user_set_password(bd_store *s, const char *name, const char *hash, bd_err *err);
int store_user_set_role(bd_store *s, const char *name, const char *role, bd_err *err);

/* ---- login sessions: the cookie's token is stored hashed (SHA-256 hex) ---- */
int store_session_add(bd_store *s, const char *token_hash, int64_t user_id,
                      const char *csrf_token, int64_t created_at, int64_t expires_at,
                      const char *remote, bd_err *err);
typedef struct store_session {
    int64_t user_id, created_at, expires_at;
    char *user_name, *role, *csrf_token;
    int disabled;
} store_session;
void store_session_clear(store_session *ss); /* NULL-safe */
/* 1 found and not expired at now, 0 not (or expired), -1 error. */
int store_session_find(bd_store *s, const char *token_hash, int64_t now, store_session *ss,
                       bd_err *err);
int store_session_delete(bd_store *s, const char *token_hash, bd_err *err);
/* Deletes sessions expired at now (and every session of disabled users); *n deleted. */
int store_sessions_expire(bd_store *s, int64_t now, int64_t *n, bd_err *err);

/* ---- API tokens: stored hashed; prefix is the token's first characters, for lists ---- */
typedef struct store_token {
    int64_t id, user_id, created_at, last_used_at, revoked_at;
    char *user_name, *role, *prefix, *label, *scope;
    int user_disabled;
} store_token;
void store_token_clear(store_token *t); /* NULL-safe */
void store_tokens_free(store_token *t, size_t n);
int store_token_add(bd_store *s, int64_t user_id, const char *token_hash, const char *prefix,
                    const char *label, const char *scope, int64_t at, int64_t *id, bd_err *err);
/* The token with this hash, revoked or not: 1 found, 0 not, -1 error. */
int store_token_find(bd_store *s, const char *token_hash, store_token *t, bd_err *err);
/* Records a use; writes only when the stored time is older than at - granularity. */
int store_token_used(bd_store *s, int64_t id, int64_t at, int64_t granularity, bd_err *err);
/* 1 revoked now, 0 no such token or already revoked, -1 error. */
int store_token_revoke(bd_store *s, int64_t id, int64_t at, bd_err *err);
/* user NULL: every user's tokens; newest first. */
int store_tokens_list(bd_store *s, const char *user, store_token **out, size_t *n,
                      bd_err *err);
/* 1 and *t when the token id exists, 0 not, -1 error. */
int store_token_get(bd_store *s, int64_t id, store_token *t, bd_err *err);

/* ---- ticket tags ---- */
/* 1 added, 0 already there, -1 error. */
int store_tag_add(bd_store *s, int64_t ticket_id, const char *tag, int64_t at, bd_err *err);
/* 1 removed, 0 was not there, -1 error. */
int store_tag_remove(bd_store *s, int64_t ticket_id, const char *tag, bd_err *err);
/* Tags of a ticket, sorted; caller frees each string and the array. */
int store_ticket_tags(bd_store *s, int64_t ticket_id, char ***tags, size_t *n, bd_err *err);
void store_tags_free(char **tags, size_t n);

/* ---- pages: keyset pagination (rows after a key, in a stable order) ---- */
/* The API's queue: ordered by queue key (status group new/open → pending → solved/closed,
 * priority high first, due or oldest waiting buyer message first), then id; or, with
 * sort_due, only tickets with an SLA due time, soonest due first, then id (the key is
 * then due_at). */
typedef struct store_ticket_query {
    const char *status;   /* exact status, "active" (new+open+pending), or NULL = all */
    const char *shop, *marketplace, *category, *language;
    const char *assignee; /* a user name, or "-" for unassigned */
    const char *tag;
    const char *tier;     /* the buyer's loyalty tier (buyer_loyalty.tier) */
    const char *due;      /* the SLA due state: "breached", "warning", "ok", or "none" */
    const char *search;   /* text in the subject, the buyer's name or id, or the order id
                             (case-insensitive for ASCII); a number also matches the ticket id */
    int64_t buyer_id;     /* 0 = any */
    int sort_due;         /* order by due time instead of the queue key */
    int has_after;        /* continue after (after_key, after_id) */
    int64_t after_key, after_id;
    size_t limit;
} store_ticket_query;
/* Fills up to q->limit tickets; *keys (caller frees) receives each row's queue key. */
int store_tickets_page(bd_store *s, const store_ticket_query *q, store_ticket **out,
                       int64_t **keys, size_t *n, bd_err *err);

/* Orders, newest purchase first, then id descending. */
typedef struct store_order_query {
    const char *shop, *status;
    int64_t buyer_id;     /* 0 = any */
    int has_after;
    int64_t after_purchased_at, after_id;
    size_t limit;
} store_order_query;
int store_orders_page(bd_store *s, const store_order_query *q, store_order_row **out, size_t *n,
                      bd_err *err);

/* One message by id (with its delivery state): 1 found, 0 not, -1 error. */
int store_message_get(bd_store *s, int64_t id, store_message_row *row, bd_err *err);

struct store_buyer_row {
    int64_t id, shop_id, created_at, updated_at;
    char *shop, *marketplace, *external_id, *name, *email, *country, *language;
    int64_t order_count, ticket_count, open_ticket_count;
    int64_t first_order_at, last_order_at;
};
void store_buyer_row_clear(store_buyer_row *b); /* NULL-safe */
/* 1 found, 0 not, -1 error. */
int store_buyer_get(bd_store *s, int64_t id, store_buyer_row *b, bd_err *err);

/* The API's list of buyers (src/store/buyers.c): highest spend first (micros of the base
 * currency; 0 for a buyer without a loyalty profile), then id. */
typedef struct store_buyer_query {
    const char *shop, *tier; /* NULL: any */
    int churn_risk;          /* only buyers at churn risk */
    int blacklisted;         /* only blacklisted buyers */
    int has_after;           /* continue after (after_spend, after_id) */
    int64_t after_spend, after_id;
    size_t limit;
} store_buyer_query;
/* Fills ids and spends of up to q->limit buyers (caller frees both). */
int store_buyers_page(bd_store *s, const store_buyer_query *q, int64_t **ids, int64_t **spend,
                      size_t *n, bd_err *err);

/* Every stored sync checkpoint: shop name, resource, cursor text, when it was written. */
typedef struct store_checkpoint_row {
    char *shop, *resource, *cursor;
    int64_t updated_at;
} store_checkpoint_row;
int store_checkpoints_list(bd_store *s, store_checkpoint_row **out, size_t *n, bd_err *err);
void store_checkpoint_rows_free(store_checkpoint_row *rows, size_t n); /* NULL-safe */

/* Sync runs (migration 9): one row per shop and resource per run, opened when the run
 * starts and closed when it ends; a row never closed is a run that was killed. At most
 * STORE_SYNC_RUNS_KEPT rows are kept per shop and resource. */
#define STORE_SYNC_RUNS_KEPT 500
typedef struct store_sync_run {
    int64_t id, started_at, finished_at; /* finished_at 0 while running or when killed */
    int ok;
    char *shop, *resource, *actor, *error, *counts; /* counts: a JSON object or NULL */
} store_sync_run;
/* Opens a run in its own transaction; *id is its row. */
int store_sync_run_start(bd_store *s, const char *shop, const char *resource, const char *actor,
                         int64_t at, int64_t *id, bd_err *err);
/* Closes the run (ok, error or NULL, counts as JSON text or NULL) and prunes old rows. */
int store_sync_run_finish(bd_store *s, int64_t id, int64_t at, int ok, const char *error,
                          const char *counts, bd_err *err);
/* Newest first. shop/resource NULL = any; last_only: only the newest run per shop and
 * resource; limit 0 = no limit. */
int store_sync_runs_list(bd_store *s, const char *shop, const char *resource, int last_only,
                         int limit, store_sync_run **out, size_t *n, bd_err *err);
void store_sync_runs_free(store_sync_run *rows, size_t n); /* NULL-safe */

/* An outbox entry as the API lists it (delivery uses store_outbox_row above). */
typedef struct store_outbox_entry {
    int64_t id, ticket_id, message_id, attempts, next_attempt_at, created_at, sent_at;
    char *channel, *status, *last_error, *remote_id;
} store_outbox_entry;
void store_outbox_entries_free(store_outbox_entry *rows, size_t n);
/* Newest first (id descending); status NULL = any; after_id 0 = from the newest. */
int store_outbox_page(bd_store *s, const char *status, int64_t ticket_id, int64_t after_id,
                      size_t limit, store_outbox_entry **out, size_t *n, bd_err *err);

/* The audit log, oldest first (id ascending), after after_id. ticket_id 0 = every ticket
 * and the events of no ticket (user and token administration). */
typedef struct store_event_query {
    int64_t ticket_id;
    const char *actor, *kind;
    int64_t since, until; /* 0 = unbounded */
    int64_t after_id;
    size_t limit;
} store_event_query;
int store_events_page(bd_store *s, const store_event_query *q, store_event **out, size_t *n,
                      bd_err *err);

/* 1 when the last failed call on s failed because another connection held the database
 * (SQLITE_BUSY or SQLITE_LOCKED after the busy timeout), else 0. */
int store_last_busy(bd_store *s);

/* ---- many threads, many connections (the service) ---- */
/* Call once at program start, before the first store_open, in a program that uses the
 * store from several threads: turns off SQLite's global memory statistics, whose mutex
 * every allocation of every connection would otherwise take. */
void store_threads_init(void);
/* A read transaction: every read until store_read_end sees one snapshot, and the file
 * locks are taken once instead of once per statement. store_read_end is NULL-safe. */
int store_read_begin(bd_store *s, bd_err *err);
void store_read_end(bd_store *s);
/* Reads through a shared memory map of up to bytes of the file instead of copying pages
 * into each connection's cache (PRAGMA mmap_size). */
int store_use_mmap(bd_store *s, int64_t bytes, bd_err *err);

/* ---- housekeeping ---- */
/* A passive WAL checkpoint: *wal_frames in the log, *checkpointed copied to the database. */
int store_checkpoint_wal(bd_store *s, int *wal_frames, int *checkpointed, bd_err *err);
/* Lets SQLite refresh the query planner's statistics where they are stale. */
int store_optimize(bd_store *s, bd_err *err);

#endif
