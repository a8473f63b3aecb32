/* outbox.c — `borderdesk outbox send`: deliver queued replies once each. See outbox.h. */
#include "borderdesk/outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "borderdesk/sync.h"

typedef struct open_shop {
    char *name;
    int ok;
    char *error;
    mkt_shop shop;
    const mkt_connector *conn;
} open_shop;

static open_shop *shop_for(bd_store *store, const bd_config *cfg, open_shop **cache, size_t *n,
                           const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*cache)[i].name, name) == 0) return &(*cache)[i];
    *cache = bd_realloc(*cache, (*n + 1) * sizeof **cache);
    open_shop *s = &(*cache)[(*n)++];
    memset(s, 0, sizeof *s);
    s->name = bd_strdup(name);
    const cJSON *conf = bd_config_shop(cfg, name);
    bd_err err;
    int64_t shop_id;
    if (!conf) {
        s->error = bd_asprintf("shop %s is not configured in borderdesk.json", name);
    } else if (sync_shop_open(store, conf, &s->shop, &s->conn, &shop_id, &err)) {
        s->error = bd_strdup(err.msg);
    } else {
        s->ok = 1;
    }
    return s;
}

static char *detail_json(const char *k1, const char *v1, const char *k2, const char *v2)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, k1, v1 ? v1 : "");
    if (k2) cJSON_AddStringToObject(o, k2, v2 ? v2 : "");
    return mkt_json_text(o);
}

static int event(bd_store *store, int64_t ticket_id, const char *kind, const char *k1,
                 const char *v1, const char *k2, const char *v2, bd_err *err)
{
    char *d = detail_json(k1, v1, k2, v2);
    int rc = store_event_add(store, ticket_id, "outbox", kind, d, bd_now(), err);
    free(d);
    return rc;
}

static int record_sent(bd_store *store, const store_outbox_row *r, const mkt_sent *sent,
                       const char *how, bd_err *err)
{
    if (store_begin(store, err)) return -1;
    char mid[32];
    snprintf(mid, sizeof mid, "%lld", (long long)r->message_id);
    if (store_outbox_mark_sent(store, r->id, sent->remote_id, bd_now(), err) ||
        event(store, r->ticket_id, "reply_sent", "message_id", mid, "remote_id", sent->remote_id, err) ||
        (how && event(store, r->ticket_id, "reply_reconciled", "message_id", mid, "how", how, err))) {
        store_rollback(store);
        return -1;
    }
    return store_commit(store, err);
}

static int record_failed(bd_store *store, const store_outbox_row *r, const char *why, bd_err *err)
{
    if (store_begin(store, err)) return -1;
    char mid[32];
    snprintf(mid, sizeof mid, "%lld", (long long)r->message_id);
    if (store_outbox_mark_failed(store, r->id, why, bd_now(), err) ||
        event(store, r->ticket_id, "reply_failed", "message_id", mid, "error", why, err)) {
        store_rollback(store);
        return -1;
    }
    return store_commit(store, err);
}

enum { DONE_SENT, DONE_RECONCILED, DONE_FAILED, DONE_LATER };

/* One reply: reconcile an unknown earlier outcome, then send, within run_attempts. */
static int deliver(bd_store *store, open_shop *os, store_outbox_row *r, const outbox_options *o,
                   char *why, size_t whylen, bd_err *err)
{
    mkt_reply rep = {.conversation_id = r->conversation_id, .buyer_id = r->buyer_external_id,
                     .order_id = r->order_external_id, .text = r->body,
                     .idempotency_key = r->idempotency_key, .not_before = r->created_at,
                     .reply_to_id = r->reply_to_external_id, .reply_to_subject = r->reply_to_subject,
                     .reply_to_extra = r->reply_to_extra, .ticket_subject = r->ticket_subject};
    int uncertain = strcmp(r->status, "sending") == 0;
    uint64_t rng = (uint64_t)r->id * 2654435761u;
    for (int k = 0; k < o->run_attempts; k++) {
        mkt_sent sent;
        bd_err e;
        if (uncertain) {
            int found = os->conn->find_sent(&os->shop, &rep, &sent, &e);
            if (found == 1) {
                int rc = record_sent(store, r, &sent, "found on the marketplace", err);
                mkt_sent_clear(&sent);
                return rc ? -1 : DONE_RECONCILED;
            }
            mkt_sent_clear(&sent);
            if (found == MKT_FIND_UNCHECKABLE) {
                /* nothing can tell whether it went out: a person decides, no second copy */
                snprintf(why, whylen, "%.1000s", e.msg);
                return record_failed(store, r, why, err) ? -1 : DONE_FAILED;
            }
            if (found < 0) {
                snprintf(why, whylen, "cannot check an earlier attempt: %.900s", e.msg);
                if (store_outbox_reschedule(store, r->id, "sending", why,
                                            bd_now() + 60 * (1 + r->attempts), err))
                    return -1;
                return DONE_LATER;
            }
        }
        if (r->attempts >= o->max_attempts) {
            char last[512];
            snprintf(last, sizeof last, "%.480s", why[0] ? why : r->last_error ? r->last_error : "no answer");
            snprintf(why, whylen, "gave up after %d attempts: %s", r->attempts, last);
            return record_failed(store, r, why, err) ? -1 : DONE_FAILED;
        }
        /* the attempt is on record before the request leaves */
        if (store_outbox_mark_sending(store, r->id, bd_now(), err)) return -1;
        r->attempts++;
        int rc = os->conn->send(&os->shop, &rep, &sent, &e);
        if (rc == MKT_SENT) {
            int st = record_sent(store, r, &sent, NULL, err);
            mkt_sent_clear(&sent);
            return st ? -1 : DONE_SENT;
        }
        mkt_sent_clear(&sent);
        snprintf(why, whylen, "%s", e.msg);
        if (rc == MKT_REJECTED) return record_failed(store, r, why, err) ? -1 : DONE_FAILED;
        uncertain = rc == MKT_UNCERTAIN;
        if (o->verbose)
            fprintf(stderr, "outbox: reply %lld (ticket %lld): %s; %s\n", (long long)r->message_id,
                    (long long)r->ticket_id, why, uncertain ? "checking before a new attempt" : "retrying");
        http_sleep_ms((double)http_backoff_ms(&os->shop.http_opts, k, &rng));
    }
    long delay = 60L << (r->attempts < 10 ? r->attempts : 10);
    if (store_outbox_reschedule(store, r->id, uncertain ? "sending" : "queued", why,
                                bd_now() + (delay > 86400 ? 86400 : delay), err))
        return -1;
    return DONE_LATER;
}

int outbox_send(bd_store *store, const bd_config *cfg, const outbox_options *opt,
                outbox_result *res, bd_err *err)
{
    outbox_options o = *opt;
    if (o.max_attempts <= 0) o.max_attempts = 8;
    if (o.run_attempts <= 0) o.run_attempts = 4;
    memset(res, 0, sizeof *res);
    store_outbox_row *rows;
    size_t n;
    if (store_outbox_due(store, bd_now(), o.shop, o.limit, &rows, &n, err)) return -1;
    res->due = (int64_t)n;
    open_shop *cache = NULL;
    size_t n_cache = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc >= 0; i++) {
        store_outbox_row *r = &rows[i];
        open_shop *os = shop_for(store, cfg, &cache, &n_cache, r->shop);
        if (!os->ok) {
            res->skipped++;
            fprintf(stderr, "borderdesk outbox: reply %lld (ticket %lld) waits: %s\n",
                    (long long)r->message_id, (long long)r->ticket_id, os->error);
            continue;
        }
        char why[1024] = "";
        int d = deliver(store, os, r, &o, why, sizeof why, err);
        if (d < 0) {
            rc = -1;
            break;
        }
        if (d == DONE_SENT) res->sent++;
        else if (d == DONE_RECONCILED) res->reconciled++;
        else if (d == DONE_FAILED) res->failed++;
        else res->retrying++;
        if (d == DONE_FAILED || d == DONE_LATER)
            fprintf(stderr, "borderdesk outbox: reply %lld (ticket %lld, shop %s) %s: %s\n",
                    (long long)r->message_id, (long long)r->ticket_id, r->shop,
                    d == DONE_FAILED ? "failed" : "will be retried", why);
    }
    for (size_t i = 0; i < n_cache; i++) {
        if (cache[i].ok) sync_shop_close(&cache[i].shop, cache[i].conn);
        free(cache[i].name);
        free(cache[i].error);
    }
    free(cache);
    store_outbox_rows_free(rows, n);
    if (rc < 0) return -1;
    return res->failed || res->retrying || res->skipped ? 1 : 0;
}
