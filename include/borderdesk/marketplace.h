/*
 * marketplace.h — the connectors: what every marketplace (eBay, Shopee, Amazon)
 * provides to the sync engine and the outbox, and the helpers they share.
 *
 * A connector never touches the database. It turns one page of a marketplace API into
 * normalised orders, messages and feedback (model.h) plus the checkpoint that follows
 * that page (an opaque JSON text the connector alone reads); the sync engine stores the
 * rows and the checkpoint in one transaction. Resuming from any stored checkpoint
 * re-fetches at most the page that was being stored, never skips one.
 *
 * Adding a marketplace: write src/marketplace/<name>.c defining a `const mkt_connector
 * <name>_connector`, declare it below and add it to the table in connector.c.
 */
#ifndef BORDERDESK_MARKETPLACE_H
#define BORDERDESK_MARKETPLACE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "borderdesk/http.h"
#include "borderdesk/model.h"
#include "borderdesk/util.h"

/* Marketplace feedback (ratings and comments): satisfaction data on buyer and order. */
typedef struct mkt_feedback {
    char *external_id;
    bd_buyer buyer;
    char *order_id;     /* the marketplace order id when the connector knows it */
    char *line_item_id; /* the order line it rates, when given */
    char *rating;       /* "positive", "neutral" or "negative" */
    int score;          /* overall 1..5, 0 when none */
    char *comment;
    int64_t left_at;
    char *reply;        /* the seller's public answer, or NULL */
    char *extra;        /* JSON object text, or NULL */
} mkt_feedback;
void mkt_feedback_clear(mkt_feedback *f);

/* "This order line belongs to that order": lets feedback find its order. */
typedef struct mkt_line_ref {
    char *line_item_id, *order_id;
} mkt_line_ref;

/* The raw source of a message on the page that could not be read cleanly (malformed
 * mail): stored beside the message so that nothing is lost, with the reason. */
typedef struct mkt_raw {
    size_t message;  /* index in messages */
    char *data;      /* raw bytes (owned) */
    size_t len, full_len; /* full_len: the size announced (data may be cut at the limit) */
    char *error;     /* why it could not be read cleanly */
} mkt_raw;

typedef struct mkt_page {
    bd_order *orders;
    size_t n_orders;
    bd_message *messages; /* in the order they should be stored (oldest first) */
    size_t n_messages;
    mkt_feedback *feedback;
    size_t n_feedback;
    mkt_line_ref *refs;
    size_t n_refs;
    mkt_raw *raws;
    size_t n_raws;
    char *cursor;   /* the checkpoint after this page; owned */
    int done;       /* the resource is up to date for this run */
    int requests;   /* API calls this page took */
    double json_ms; /* time spent parsing and normalising */
} mkt_page;
void mkt_page_clear(mkt_page *p);
bd_order *mkt_page_add_order(mkt_page *p);     /* zeroed slot */
bd_message *mkt_page_add_message(mkt_page *p); /* zeroed slot */
mkt_feedback *mkt_page_add_feedback(mkt_page *p);
void mkt_page_add_ref(mkt_page *p, const char *line_item_id, const char *order_id);
/* Keeps the raw source of message i (data is copied). */
void mkt_page_add_raw(mkt_page *p, size_t i, const char *data, size_t len, size_t full_len,
                      const char *error);

/* OAuth state of a shop; persisted by the sync engine between runs. */
typedef struct mkt_tokens {
    char *access_token;
    int64_t access_expires; /* Unix seconds; 0 = unknown */
    char *refresh_token;
    char *seed;             /* fingerprint of the configured refresh token it came from */
} mkt_tokens;
void mkt_tokens_clear(mkt_tokens *t);

typedef struct mkt_shop mkt_shop;
struct mkt_shop {
    const char *name, *marketplace;
    const cJSON *conf;        /* the shop's object in borderdesk.json */
    http_client *http;
    http_options http_opts;
    mkt_tokens tokens;
    int64_t overlap;          /* seconds each time window overlaps the previous one */
    int64_t initial_days;     /* how far back a first sync starts */
    int page_size;            /* 0 = the connector's default */
    /* Callbacks into the sync engine (may be NULL). */
    int (*save_tokens)(void *ud, mkt_shop *shop, bd_err *err);
    /* Newest stored message time of a conversation (0 when none). */
    int64_t (*conversation_seen)(void *ud, mkt_shop *shop, const char *conversation_id);
    /* The thread of a stored message of this shop (mail: by Message-ID): 1 and its
     * conversation and order ids (caller frees; either may be NULL), 0 when not stored. */
    int (*thread_of)(void *ud, mkt_shop *shop, const char *external_id, char **conversation_id,
                     char **order_id);
    void *ud;
    void *impl;               /* the connector's own state */
};

/* A reply to deliver. */
typedef struct mkt_reply {
    const char *conversation_id; /* the ticket's conversation ("feedback:<id>" for feedback) */
    const char *buyer_id;        /* the buyer's marketplace id */
    const char *order_id;        /* the marketplace order id, or NULL */
    const char *text;
    const char *idempotency_key;
    int64_t not_before;          /* for reconciliation: sent no earlier than this */
    /* the buyer's latest message the reply answers (mail: In-Reply-To, References, the
     * subject), or NULL: its external id, subject and extra data (JSON text) */
    const char *reply_to_id, *reply_to_subject, *reply_to_extra;
    const char *ticket_subject;
} mkt_reply;

typedef struct mkt_sent {
    char *remote_id;       /* the marketplace's id of the sent message */
    char *conversation_id; /* the conversation it went to, when known */
    int64_t sent_at;
} mkt_sent;
void mkt_sent_clear(mkt_sent *s);

enum {
    MKT_SENT = 0,      /* accepted */
    MKT_RETRY = 1,     /* not sent; try again later (429, 5xx before processing, network) */
    MKT_REJECTED = 2,  /* permanent: err holds the marketplace's error text */
    MKT_UNCERTAIN = 3, /* may have been sent: reconcile before sending again */
};
/* find_sent: the earlier attempt cannot be checked at all (err says why): the reply is
 * marked failed for a person to look, never sent again. */
#define MKT_FIND_UNCHECKABLE 2

typedef struct mkt_connector {
    const char *marketplace;
    const char *const *resources; /* what fetch() knows, NULL-terminated */
    /* Checks the shop's configuration and secrets, sets rate limits; 0 or -1. */
    int (*open)(mkt_shop *shop, bd_err *err);
    void (*close)(mkt_shop *shop);
    /* One page of resource after cursor (NULL = first sync; since > 0 overrides where
     * the time window starts). 0 and *page filled, or -1 with err naming the shop, the
     * endpoint and the reason. */
    int (*fetch)(mkt_shop *shop, const char *resource, const char *cursor, int64_t since,
                 mkt_page *page, bd_err *err);
    /* Delivers a reply: MKT_SENT (and *out), MKT_RETRY, MKT_REJECTED or MKT_UNCERTAIN. */
    int (*send)(mkt_shop *shop, const mkt_reply *r, mkt_sent *out, bd_err *err);
    /* Looks for a reply that an uncertain attempt may have delivered: 1 found (*out),
     * 0 not there, MKT_FIND_UNCHECKABLE, -1 error. */
    int (*find_sent)(mkt_shop *shop, const mkt_reply *r, mkt_sent *out, bd_err *err);
    /* Optional: 0 when this shop's configuration leaves a resource out (an Amazon shop
     * without "mail" has no messages, one with only "mail" no orders); decided from the
     * configuration alone, so that status pages list what a shop really syncs. NULL means
     * every resource is there. */
    int (*enabled)(const cJSON *conf, const char *resource);
} mkt_connector;

extern const mkt_connector ebay_connector;
extern const mkt_connector shopee_connector;
extern const mkt_connector amazon_connector;
extern const mkt_connector mail_connector; /* shops that talk to buyers by plain e-mail */

/* ---- the mail channel (src/marketplace/mail.c): messages over IMAP, replies over SMTP,
 * for the "mail" marketplace and Amazon's buyer messages. The shop's "mail" object:
 * imap_url, smtp_url, username_env, password_env, from, and optionally sent_folder,
 * page_size, mark_seen (README "Configuration", docs/sync.md). ---- */
typedef struct mkt_mail mkt_mail;
/* Reads and checks the shop's "mail" object. *out is NULL (and 0 returned) when the shop
 * has none and required is 0. */
int mkt_mail_open(mkt_shop *shop, int required, mkt_mail **out, bd_err *err);
void mkt_mail_close(mkt_mail *m); /* NULL-safe */
/* One page of the messages resource: the next page_size new mails of the folder by UID
 * after the checkpoint {"uidvalidity", "last_uid"}; a changed UIDVALIDITY rescans the
 * folder (the Message-ID external ids keep that from storing anything twice). */
int mkt_mail_fetch(mkt_shop *shop, mkt_mail *m, const char *cursor, int64_t since,
                   mkt_page *page, bd_err *err);
/* A reply by SMTP to the buyer's address, answering the buyer's last message; filed in
 * the Sent folder when one is configured. Returns MKT_*. */
int mkt_mail_send(mkt_shop *shop, mkt_mail *m, const mkt_reply *r, mkt_sent *out, bd_err *err);
/* Looks for the reply's Message-ID in the Sent folder: 1, 0, -1, or MKT_FIND_UNCHECKABLE
 * when no Sent folder is configured. */
int mkt_mail_find_sent(mkt_shop *shop, mkt_mail *m, const mkt_reply *r, mkt_sent *out,
                       bd_err *err);
/* The Message-ID (without brackets) of the reply with this idempotency key, queued at
 * queued_at, sent from address from. Caller frees. */
char *mkt_mail_message_id(const char *idempotency_key, int64_t queued_at, const char *from);

/* The connector of a marketplace ("ebay", "shopee", "amazon"), or NULL. */
const mkt_connector *mkt_connector_find(const char *marketplace);
/* 1 when the connector syncs resource. */
int mkt_connector_has(const mkt_connector *c, const char *resource);

/* ---- helpers shared by the connectors ---- */
/* Sets up shop: HTTP options from the configuration (timeout_ms, connect_timeout_ms,
 * max_retries, retry_base_ms, retry_max_ms, max_retry_after_s, max_response_bytes,
 * page_size, overlap_seconds, initial_sync_days) and the client. */
int mkt_shop_init(mkt_shop *shop, const cJSON *conf, bd_err *err);
void mkt_shop_clear(mkt_shop *shop);
/* Rate limits: defaults[] ({op, rate, burst}, NULL-terminated op) overridden by the
 * configuration's "rate_limits" object ({"op": {"rate": r, "burst": b}}); "rate_limits":
 * false turns every limit off. The client runs at 97% of each rate and keeps one token of
 * a burst of two or more in reserve, a margin for jitter. */
typedef struct mkt_limit {
    const char *op;
    double rate, burst;
} mkt_limit;
int mkt_shop_limits(mkt_shop *shop, const mkt_limit *defaults, bd_err *err);

/* The value of the environment variable named by the configuration key (a "*_env" key).
 * required: error when the key or the variable is missing. Returns the value (not owned)
 * or NULL. */
const char *mkt_secret(mkt_shop *shop, const char *env_key, int required, bd_err *err);
/* Configuration readers: the value, or def when absent; -1 with err on a wrong type. */
const char *mkt_conf_str(mkt_shop *shop, const char *key, const char *def);
int mkt_conf_int64(mkt_shop *shop, const char *key, int64_t def, int64_t *out, bd_err *err);

/* Fingerprint (hex SHA-256 prefix) of a secret, to notice a changed configured token. */
void mkt_fingerprint(const char *secret, char out[33]);
/* Lowercase hex HMAC-SHA256 of msg with key (65 bytes incl. NUL). */
void mkt_hmac_sha256_hex(const char *key, const char *msg, char out[65]);

/* GET/POST and parse a JSON answer. Retries malformed bodies like transient errors.
 * HTTP_OK with *json (caller frees) and *status; HTTP_FAILED / HTTP_UNCERTAIN with err
 * naming the shop, the endpoint and the reason. */
int mkt_call_json(mkt_shop *shop, const http_request *req, long *status, cJSON **json,
                  double *json_ms, bd_err *err);

/* RFC 3339 with milliseconds ("2026-01-02T03:04:05.000Z"). */
void mkt_time_ms(int64_t t, char out[32]);
/* Checkpoint JSON helpers. */
int64_t mkt_json_int(const cJSON *o, const char *key, int64_t def);
char *mkt_json_text(cJSON *o); /* prints unformatted, frees o, returns a bd_ string */

#endif
