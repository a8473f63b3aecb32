/*
 * ticket.h — threading and the ticket life cycle. Every inbound message lands here: it is
 * stored first, then joined to its ticket (same shop + buyer + order or conversation), and
 * every ticket change is written to the audit log (events) with who made it.
 *
 * Threading rules:
 *  - a buyer message joins the newest ticket of its thread key when that ticket is new,
 *    open or pending (pending becomes open: the buyer answered);
 *  - on a solved ticket it reopens it when it was sent within the reopen window after the
 *    ticket was solved (a message sent before the solve just joins);
 *  - otherwise (closed, or solved longer ago) it opens a new ticket linked to the old one;
 *  - a seller message joins the newest ticket of its thread whatever its status, or opens
 *    an "open" ticket when there is none.
 *
 * All functions return 0, or -1 with err set; none commits: the caller owns the
 * transaction (store_begin/store_commit). The ingest functions check everything that can
 * be wrong with their input before their first write, so a -1 that is not a database
 * error ("database ..." in err) has written nothing and the caller's transaction can go on.
 */
#ifndef BORDERDESK_TICKET_H
#define BORDERDESK_TICKET_H

#include <stdint.h>

#include "borderdesk/model.h"
#include "borderdesk/store.h"

/* What the classifier (or any later stage) says of a new buyer message. */
typedef struct ticket_classification {
    const char *category, *subcategory, *language;
    int priority;     /* TICKET_PRIORITY_* */
    const char *json; /* the full result, stored on the message; may be NULL */
    int message_only; /* 1: store it on the message but leave the ticket as it is (the
                         message is older than the ticket's latest unanswered one) */
} ticket_classification;

/* Called for each new inbound message before it is stored; returns 0 and fills *out (its
 * strings must live until the next call), or -1 to leave the message unclassified.
 * ticket_id is the ticket the message joins, or 0 when it opens a new one (which has
 * nothing waiting on it yet). */
typedef int (*ticket_classify_fn)(void *ud, bd_store *store, const bd_message *m, int64_t ticket_id,
                                  ticket_classification *out);

enum {
    TICKET_PRIORITY_LOW = 0,
    TICKET_PRIORITY_NORMAL = 1,
    TICKET_PRIORITY_HIGH = 2,
    TICKET_PRIORITY_URGENT = 3
};
const char *ticket_priority_name(int priority); /* "low".."urgent" */
/* The queue priority of a ticket: the urgency of its messages (the classifier's, normal when
 * unclassified) raised or lowered by the buyer's tier boost (see docs/loyalty.md), kept in
 * low..urgent: min(urgent, max(low, urgency + boost)). */
int ticket_priority_combine(int urgency, int tier_boost);

typedef struct ticket_shop_cache ticket_shop_cache;
typedef struct ticket_changes ticket_changes;
typedef struct ticket_ctx ticket_ctx;

/* Called inside the caller's transaction right after a ticket became solved; t is the ticket
 * as it was before the change. A satisfaction survey is created here (src/survey). */
typedef int (*ticket_solved_fn)(void *ud, ticket_ctx *ctx, const store_ticket *t, int64_t at,
                                bd_err *err);

struct ticket_ctx {
    bd_store *store;
    int64_t reopen_window;       /* seconds */
    const char *actor;           /* who makes the changes: a user name, "import", "sync" */
    ticket_classify_fn classify; /* optional */
    void *classify_ud;
    ticket_solved_fn on_solved; /* optional */
    void *on_solved_ud;
    ticket_shop_cache *shops; /* private; freed by ticket_ctx_clear */
    /* Optional: called after every change to a ticket (a message threaded into it, its
     * status, assignee, a reply or a note), inside the caller's transaction — e.g. the SLA
     * due-time refresh. A failure fails the change. */
    int (*on_change)(void *ud, int64_t ticket_id, bd_err *err);
    void *on_change_ud;
    /* Optional: 1 defers on_change to ticket_ctx_flush, which calls it once per changed
     * ticket — a bulk import refreshes a ticket's due time once per transaction, not once
     * per message. */
    int defer_changes;
    /* Optional with defer_changes: called by ticket_ctx_flush instead of on_change, with
     * every changed ticket at once (ascending ids, no repeats; n > 0). */
    int (*on_changes)(void *ud, const int64_t *ids, size_t n, bd_err *err);
    /* Optional: the due time and state a new ticket is written with, worked out from what
     * creating it has in hand (the row n, its first message m), so that the refresh after
     * it (on_change, called with on_change_ud) usually finds nothing to rewrite. Only a
     * guess that saves a write: on_change still computes the ticket from the database. */
    void (*new_ticket_due)(void *ud, const store_ticket_new *n, const bd_message *m,
                           int64_t *due_at, const char **due_state);
    ticket_changes *changes; /* private: the deferred ticket ids */
};
void ticket_ctx_clear(ticket_ctx *ctx);
/* Calls on_changes, or on_change once for every ticket, for the tickets changed since the
 * last flush (with defer_changes), in id order, inside the caller's transaction: call it
 * before committing. Returns 0, or -1 with err (the caller rolls back). The deferred ids
 * are forgotten either way. */
int ticket_ctx_flush(ticket_ctx *ctx, bd_err *err);
/* Forgets the deferred changes without calling on_change (after a rollback). */
void ticket_ctx_discard(ticket_ctx *ctx);

typedef struct ticket_ingest_result {
    int duplicate;         /* the message was already stored: nothing changed */
    int created, reopened; /* a ticket was created / reopened */
    int64_t ticket_id, message_id;
} ticket_ingest_result;

int ticket_ingest_message(ticket_ctx *ctx, const bd_message *m, ticket_ingest_result *res,
                          bd_err *err);

/* Stores the order (and its buyer); links tickets that mentioned it before it arrived; a new
 * or changed order queues its buyer for the next tier recompute (loyalty_recompute).
 * *result is STORE_INSERTED, STORE_UPDATED or STORE_UNCHANGED. */
int ticket_ingest_order(ticket_ctx *ctx, const bd_order *o, int *result, bd_err *err);

/* status: new, open, pending, solved, closed. A closed ticket stays closed. */
int ticket_set_status(ticket_ctx *ctx, int64_t ticket_id, const char *status, bd_err *err);
/* user must be an enabled user (see `borderdesk user add`); NULL or "" unassigns. */
int ticket_assign(ticket_ctx *ctx, int64_t ticket_id, const char *user, bd_err *err);
/* Stores a public reply by author and queues it in the outbox for the ticket's channel. */
int ticket_reply(ticket_ctx *ctx, int64_t ticket_id, const char *body, const char *author,
                 int64_t *message_id, bd_err *err);
/* Stores an internal note (never sent to the buyer). */
int ticket_note(ticket_ctx *ctx, int64_t ticket_id, const char *body, const char *author,
                int64_t *message_id, bd_err *err);

int ticket_status_valid(const char *status);

/* Loads the classifier's rules (locales_dir/<lang>/rules.json) and sets ctx->classify so
 * that every new buyer message is classified (src/ticket/classify_hook.c). -1 with err
 * when the rules cannot be loaded. ticket_classifier_close frees it (safe without open). */
int ticket_classifier_open(ticket_ctx *ctx, const char *locales_dir, bd_err *err);
void ticket_classifier_close(ticket_ctx *ctx);

/* Classifying ahead, on another thread than the one ingesting (a bulk import's reader): a
 * message is classified as if nothing were waiting on its ticket; the hook takes that
 * result for the message it was made for, and classifies again only when the ticket has
 * unanswered messages (repeated_contact), so results are those of the hook alone.
 * A worker holds one thread's scratch; NULL when ctx has no classifier (then there is
 * nothing to do ahead). */
typedef struct ticket_ahead_worker ticket_ahead_worker;
typedef struct ticket_ahead ticket_ahead; /* one result made ahead */
ticket_ahead_worker *ticket_ahead_worker_new(const ticket_ctx *ctx);
void ticket_ahead_worker_free(ticket_ahead_worker *w); /* NULL-safe */
ticket_ahead *ticket_ahead_new(void);
void ticket_ahead_free(ticket_ahead *a); /* NULL-safe */
/* On the worker's thread: classifies m into a (m must live until a is used). */
void ticket_classify_ahead(ticket_ahead_worker *w, const bd_message *m, ticket_ahead *a);
/* The same for ms[0..n) into as[0..n), classified together (classify_messages: faster). */
void ticket_classify_ahead_many(ticket_ahead_worker *w, const bd_message *const *ms,
                                ticket_ahead *const *as, size_t n);
/* On the ingesting thread, right before ticket_ingest_message(ctx, m, ...): the hook uses a
 * when it was made for m. The classifier's rules must outlive every worker. */
void ticket_classifier_use(ticket_ctx *ctx, const ticket_ahead *a);

/* ---- JSON forms shared by the CLI (--json) and the REST API (README "JSON output") ---- */
#ifndef BORDERDESK_TICKET_JSON
#define BORDERDESK_TICKET_JSON
cJSON *ticket_json(const store_ticket *t);
cJSON *ticket_message_json(const store_message_row *m);
cJSON *ticket_event_json(const store_event *e);
cJSON *order_json(const store_order_row *o);
/* Adds an RFC 3339 string, or null when t is 0. */
void json_add_time(cJSON *obj, const char *key, int64_t t);
/* Adds a string, or null when s is NULL. */
void json_add_str(cJSON *obj, const char *key, const char *s);
#endif

#endif
