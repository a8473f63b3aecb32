/* store_internal.h — shared by the files of src/store only. */
#ifndef BORDERDESK_STORE_INTERNAL_H
#define BORDERDESK_STORE_INTERNAL_H

#include <sqlite3.h>

#include "borderdesk/store.h"

/* 'BDK1': marks a SQLite file as a borderdesk database. */
#define STORE_APPLICATION_ID 0x42444B31

typedef struct store_migration {
    int version;
    const char *description;
    const char *sql;
} store_migration;
extern const store_migration store_migrations[];
extern const int store_n_migrations;

/* Prepared statements are cached per store, one slot per call site. */
enum store_stmt_id {
    ST_SHOP_GET, ST_SHOP_INSERT,
    ST_BUYER_UPSERT, ST_BUYER_ID, ST_BUYER_INSERT,
    ST_ORDER_UPSERT, ST_ORDER_LOOKUP, ST_ITEMS_DELETE, ST_ITEM_INSERT, ST_ORDER_ITEMS,
    ST_TICKET_THREAD, ST_TICKET_INSERT, ST_TICKET_GET, ST_TICKET_STATUS, ST_TICKET_ASSIGN,
    ST_TICKET_TOUCH, ST_TICKET_CLASSIFY, ST_TICKET_TOUCH_CLASSIFY, ST_TICKET_LINK,
    ST_TICKET_WAITING,
    ST_MSG_EXISTS, ST_MSG_EXISTS_IN, ST_MSG_INSERT, ST_MSG_LIST,
    ST_EVENT_INSERT, ST_EVENT_LIST,
    ST_OUTBOX_INSERT,
    ST_USER_GET, ST_USER_INSERT, ST_USER_DISABLE, ST_USER_LIST,
    ST_CKPT_GET, ST_CKPT_SET, ST_DATA_VERSION,
    /* loyalty.c */
    ST_LY_BUYER_ORDERS, ST_LY_ALL_ORDERS, ST_LY_CLAIMS, ST_LY_NEGATIVES, ST_LY_ORDERS_BETWEEN,
    ST_LY_SAT_BETWEEN, ST_LY_DIRTY_ADD, ST_LY_DIRTY_LIST, ST_LY_DIRTY_CLEAR, ST_LY_GET,
    ST_LY_PUT, ST_LY_DELETE, ST_LY_SCAN, ST_LY_MAX_BUYER, ST_LY_SHOP_GET, ST_LY_BANDS_GET,
    ST_LY_SHOP_PUT, ST_LY_BAND_PUT, ST_LY_STATE_GET, ST_LY_STATE_PUT, ST_LY_SHOPS, ST_LY_TIER,
    ST_LY_ACTIVE_TICKETS, ST_LY_SET_PRIORITY, ST_LY_ORDER_EXT, ST_LY_CLAIMS_ONE,
    ST_LY_NEGATIVES_ONE, ST_LY_PUT_LABELS, ST_LY_DIGESTS, ST_LY_UNPROFILED, ST_LY_BUYER_BY_ID, ST_LY_BUYER_BY_REF,
    ST_LY_LAST_CONTACT, ST_LY_EVENT_ADD, ST_LY_EVENT_LIST, ST_LY_TIER_CHANGES,
    /* rank.c */
    ST_RK_DIR, ST_RK_CHUNK, ST_RK_CLEAR, ST_RK_CLEAR_CHUNKS, ST_RK_CLEAR_DELTA, ST_RK_PUT,
    ST_RK_PUT_CHUNK, ST_RK_MOVE,
    ST_RK_DCOUNT_CUR, ST_RK_DCOUNT_BASE, ST_RK_DNEXT_UP, ST_RK_DNEXT_DOWN, ST_RK_MOVED,
    ST_RK_DRANGE,
    /* blacklist.c */
    ST_BL_GET, ST_BL_ADD, ST_BL_REMOVE, ST_BL_LIST,
    ST_FLAG_LATEST, ST_FLAG_GET, ST_FLAG_ADD, ST_FLAG_DECIDE, ST_FLAG_LIST,
    /* survey.c */
    ST_SV_INSERT, ST_SV_BY_TOKEN, ST_SV_BY_ID, ST_SV_FOR_TICKET, ST_SV_RESPOND, ST_SV_ANSWER,
    ST_SV_LIST, ST_SV_SCAN,
    /* feedback.c */
    ST_FB_GET, ST_FB_INSERT, ST_FB_REVISE, ST_FB_TICKET, ST_FB_SCAN, ST_FB_REVIEWS,
    ST_SLA_TICKET, ST_SLA_MESSAGES_ONE, ST_SLA_EVENTS_ONE, ST_SLA_SET_DUE, ST_SLA_SHOPS, ST_SLA_MAX_TICKET,
    ST_SLA_TICKETS_RANGE, ST_SLA_TICKETS_RANGE_LANG, ST_SLA_EVENTS_RANGE, ST_SLA_MESSAGES_RANGE,
    /* the service: src/store/auth.c, src/store/api.c */
    ST_USER_AUTH, ST_USER_PASSWORD, ST_USER_ROLE,
    ST_SESSION_INSERT, ST_SESSION_FIND, ST_SESSION_DELETE, ST_SESSION_EXPIRE,
    ST_TOKEN_INSERT, ST_TOKEN_FIND, ST_TOKEN_USED, ST_TOKEN_REVOKE, ST_TOKEN_LIST,
    ST_TAG_INSERT, ST_TAG_DELETE, ST_TAG_LIST,
    ST_MSG_GET, ST_BUYER_GET, ST_OUTBOX_PAGE, ST_EVENT_PAGE, ST_ORDER_GET_ID, ST_ORDER_GET_REF,
    /* sync.c */
    ST_FEEDBACK_UPSERT, ST_FEEDBACK_EXISTS, ST_LINE_REF_ADD, ST_LINE_REF_GET, ST_FEEDBACK_LINK,
    ST_TOKENS_GET, ST_TOKENS_SET, ST_CONV_LAST, ST_MSG_SOURCE_ADD, ST_MSG_THREAD,
    /* outbox.c */
    ST_OUTBOX_DUE, ST_OUTBOX_SENDING, ST_OUTBOX_SENT, ST_OUTBOX_MSG_ID, ST_OUTBOX_RESCHEDULE,
    ST_OUTBOX_FAILED, ST_OUTBOX_ECHO, ST_MSG_BY_EXT, ST_MSG_DELETE, ST_MSG_SET_EXT,
    ST_COUNT_
};

struct bd_store {
    sqlite3 *db;
    char *path;
    int readonly;
    sqlite3_stmt *stmts[ST_COUNT_];
    struct store_rank_cache *rank; /* rank.c: valid within one transaction */
    struct store_buyer_cache *buyers; /* buyer_cache.c */
    int in_tx;                        /* inside store_begin .. store_commit/rollback */
    int64_t data_version;             /* PRAGMA data_version at the last store_begin */
};

/* buyer_cache.c: buyers as this connection last read or wrote them, used only inside its
 * write transactions (store_begin checks that no other connection committed since the
 * last one, else empties it; store_rollback empties it). The strings of a found buyer live
 * until the next put or clear. */
typedef struct store_cached_buyer {
    int64_t id;
    const char *name, *email, *country, *language;
} store_cached_buyer;
int store_buyer_cache_get(bd_store *s, int64_t shop_id, const char *external_id,
                          store_cached_buyer *out); /* 1 found, 0 not */
void store_buyer_cache_put(bd_store *s, int64_t shop_id, const char *external_id, int64_t id,
                           const char *name, const char *email, const char *country,
                           const char *language);
void store_buyer_cache_clear(bd_store *s);

/* Drops rank.c's cache (at every transaction boundary). */
void store_rank_cache_free(bd_store *s);

/* Returns the cached statement for id (reset and unbound), preparing sql the first time;
 * NULL with err set on a prepare error. */
sqlite3_stmt *store_stmt(bd_store *s, int id, const char *sql, bd_err *err);
/* Sets err from the connection's last error with a short context. Returns -1. */
int store_fail(bd_store *s, bd_err *err, const char *what);

/* Binding helpers: NULL strings and zero times bind SQL NULL. */
void store_bind_text(sqlite3_stmt *st, int i, const char *v);
void store_bind_time(sqlite3_stmt *st, int i, int64_t v);
char *store_col_text(sqlite3_stmt *st, int i); /* malloc'd copy or NULL */
/* Appends the rows of a statement selecting (id, ticket_id, at, actor, kind, detail) to
 * *rows / *n (which may start empty); returns the last sqlite3_step code. */
int store_read_events(sqlite3_stmt *st, store_event **rows, size_t *n);

#endif
