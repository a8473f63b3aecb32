/*
 * outbox.h — delivering queued replies (`borderdesk outbox send`).
 *
 * Each due reply is recorded as "sending" (attempts + 1) in the database BEFORE it goes
 * out. An answer that proves delivery marks it sent with the marketplace's message id; a
 * refusal (a 4xx with the marketplace's error text) marks it failed and adds a
 * reply_failed event to the ticket; a temporary problem (429, network, token) retries
 * with backoff; an unknown outcome (timeout or 5xx after the request left) is reconciled
 * by looking for the reply on the marketplace before anything is sent again. A reply is
 * therefore never sent twice, even when the process dies between sending and recording.
 */
#ifndef BORDERDESK_OUTBOX_H
#define BORDERDESK_OUTBOX_H

#include <stdint.h>

#include "borderdesk/config.h"
#include "borderdesk/store.h"

typedef struct outbox_options {
    const char *shop;   /* only this shop's replies, or NULL */
    size_t limit;       /* at most this many replies (0 = all due) */
    int max_attempts;   /* attempts before a reply is marked failed; default 8 */
    int run_attempts;   /* attempts within this run before rescheduling; default 4 */
    int verbose;        /* one line per reply on stderr */
} outbox_options;

typedef struct outbox_result {
    int64_t due, sent, reconciled, failed, retrying, skipped;
} outbox_result;

/* Delivers the due replies. Returns 0 when every due reply was delivered, 1 when some
 * failed, wait for a retry or belong to a shop without a connector (stderr says which),
 * -1 with err on a database error. */
int outbox_send(bd_store *store, const bd_config *cfg, const outbox_options *o,
                outbox_result *res, bd_err *err);

#endif
