/*
 * sync.h — the sync engine: for every configured shop and resource (orders, messages,
 * feedback) it asks the shop's connector (marketplace.h) for one page at a time and
 * stores the page's rows and the checkpoint that follows it in ONE transaction, so a run
 * interrupted at any instant (kill -9 included) resumes without gaps or duplicates.
 * Messages go through ticket_ingest_message (threading), orders through
 * ticket_ingest_order; a seller message that is one of our own replies still marked
 * "sending" in the outbox is recognised instead of stored twice. OAuth tokens are kept
 * in the database because marketplaces rotate them.
 */
#ifndef BORDERDESK_SYNC_H
#define BORDERDESK_SYNC_H

#include <stdint.h>

#include "borderdesk/config.h"
#include "borderdesk/marketplace.h"
#include "borderdesk/store.h"
#include "borderdesk/ticket.h"

typedef struct sync_counts {
    int64_t pages, requests, items;          /* items received */
    int64_t inserted, updated, unchanged;    /* orders and feedback */
    int64_t messages_new, messages_seen;     /* messages stored / already stored */
    int64_t tickets_created, tickets_reopened;
} sync_counts;

typedef struct sync_shop_result {
    char *shop, *marketplace;
    int ok;
    char *error;                     /* why the shop failed, or NULL */
    sync_counts orders, messages, feedback;
    double elapsed_ms, http_ms, wait_ms, json_ms, store_ms;
    int64_t requests, retries, throttled;
} sync_shop_result;
void sync_results_free(sync_shop_result *r, size_t n); /* NULL-safe */

typedef struct sync_options {
    const char *shop;     /* only this shop, or NULL for all */
    const char *resource; /* only this resource (orders, messages, feedback), or NULL */
    int64_t since;        /* > 0: start the time windows here instead of at the checkpoint */
    int64_t reopen_window;
    const char *actor;    /* who the ticket events name; default "sync" */
    ticket_classify_fn classify;
    void *classify_ud;
    /* ticket_ctx.on_change for every ticket a page changes (the SLA's due state) */
    int (*on_change)(void *ud, int64_t ticket_id, bd_err *err);
    void *on_change_ud;
    /* After every stored page (may be NULL). */
    void (*progress)(void *ud, const sync_shop_result *r, const char *resource);
    void *progress_ud;
} sync_options;

/* Syncs the shops of cfg into store. Fills *results (one per shop; caller frees with
 * sync_results_free). Returns 0 when every shop synced, 1 when at least one failed (the
 * others still ran), -1 with err when nothing could run (no shops, unknown --shop). */
int sync_run(bd_store *store, const bd_config *cfg, const sync_options *o,
             sync_shop_result **results, size_t *n, bd_err *err);

/* The counts as a JSON object (pages, requests, items, inserted, updated, unchanged,
 * messages_new, messages_seen, tickets_created, tickets_reopened). */
cJSON *sync_counts_json(const sync_counts *c);

/* The resources a configured shop syncs: its connector's, limited by its "resources"
 * list. Fills out[0..max) and returns how many. */
size_t sync_wanted_resources(const cJSON *conf, const char **out, size_t max);

/* A recorded run as the CLI and the API show it: id, shop, resource, actor, started_at,
 * finished_at, result (ok, error, unfinished), error, counts. */
cJSON *sync_run_json(const store_sync_run *run);

/* Every run of sync_run is recorded per shop and resource in the store (store_sync_run_*,
 * actor from sync_options), whatever its outcome; `borderdesk sync status` and GET /sync
 * read it. */

/* Opens the connector of a configured shop: settings, tokens (from the database, or the
 * environment when the configured token changed), rate limits. Used by sync_run and the
 * outbox. 0, or -1 with err. Close with sync_shop_close. */
int sync_shop_open(bd_store *store, const cJSON *conf, mkt_shop *shop,
                   const mkt_connector **conn, int64_t *shop_id, bd_err *err);
void sync_shop_close(mkt_shop *shop, const mkt_connector *conn);

#endif
