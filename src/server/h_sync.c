/* h_sync.c — marketplace sync and tier recomputation inside serve. The scheduler's "sync"
 * task syncs every enabled shop periodically; POST /sync queues a run of one shop or
 * resource (or all) that the on-demand task "sync-requests" performs; both run on the
 * scheduler's single thread, so two syncs of the same shop never run at once in the
 * service (and the sync engine's checkpoints make a manual `borderdesk sync` beside it
 * safe). Each shop's resources are synced one by one, so that GET /sync can show, per shop
 * and resource, when the last run started and ended, its result and counts, beside the
 * stored checkpoint. After a run that stored new or changed orders, and every
 * tiers_interval seconds, buyers' tiers are recomputed incrementally ("tiers-recompute"). */
#include "server_internal.h"

#include "borderdesk/loyalty.h"
#include "borderdesk/sla.h"
#include "borderdesk/sync.h"

#include <stdlib.h>
#include <string.h>

#define SYNC_REQUESTS_KEPT 50 /* finished requests GET /sync still shows */
#define SYNC_RESOURCES_MAX 8

/* A shop's resource the service is syncing now; finished runs are read from the store's
 * record of runs (store_sync_runs_list), which CLI runs and earlier processes wrote too. */
typedef struct sync_entry {
    char *shop, *resource;
    int64_t started_at;
    int running;
} sync_entry;

typedef struct sync_request {
    int64_t id;
    char *shop, *resource, *by; /* shop / resource NULL: all */
    int64_t requested_at, started_at, finished_at;
    const char *status; /* queued, running, done, failed */
    char *result;
} sync_request;

struct srv_sync {
    pthread_mutex_t mu;
    sync_entry *e;
    size_t n;
    sync_request *q; /* oldest first */
    size_t nq;
    int64_t next_id;
};

srv_sync *srv_sync_new(void)
{
    srv_sync *s = bd_calloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

static void request_clear(sync_request *q)
{
    free(q->shop);
    free(q->resource);
    free(q->by);
    free(q->result);
}

void srv_sync_free(srv_sync *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->e[i].shop);
        free(s->e[i].resource);
    }
    free(s->e);
    for (size_t i = 0; i < s->nq; i++)
        request_clear(&s->q[i]);
    free(s->q);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* The entry of (shop, resource), created on first use. Caller holds mu. */
static sync_entry *entry(srv_sync *s, const char *shop, const char *resource)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->e[i].shop, shop) == 0 && strcmp(s->e[i].resource, resource) == 0)
            return &s->e[i];
    s->e = bd_realloc(s->e, (s->n + 1) * sizeof *s->e);
    sync_entry *e = &s->e[s->n++];
    memset(e, 0, sizeof *e);
    e->shop = bd_strdup(shop);
    e->resource = bd_strdup(resource);
    return e;
}

/* ---- what a shop syncs ---- */

static int shop_enabled(const cJSON *conf)
{
    return !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(conf, "enabled"));
}

static const cJSON *config_shops(const srv_server *srv)
{
    const cJSON *shops = cJSON_GetObjectItemCaseSensitive(srv->opt.config->root, "shops");
    return cJSON_IsArray(shops) ? shops : NULL;
}

/* ---- running ---- */

int srv_task_sla_changed(void *ud, int64_t ticket_id, bd_err *err)
{
    srv_task_hook *h = ud;
    pthread_mutex_lock(&h->srv->sla_lock);
    int rc = sla_ticket_refresh(h->store, h->srv->opt.sla, ticket_id, bd_now(), err);
    pthread_mutex_unlock(&h->srv->sla_lock);
    return rc;
}

/* Syncs one resource of one shop and records the run. Returns 0 ok, 1 the shop failed (the
 * error is recorded and appended to *why), -1 with err when nothing could run. *orders
 * grows by the orders stored or changed. */
static int sync_one(srv_server *srv, bd_store *store, const char *shop, const char *resource,
                    int64_t *orders, bd_buf *why, bd_err *err)
{
    srv_sync *sy = srv->sync;
    pthread_mutex_lock(&sy->mu);
    sync_entry *e = entry(sy, shop, resource);
    e->running = 1;
    e->started_at = bd_now();
    pthread_mutex_unlock(&sy->mu);

    srv_task_hook hook = {srv, store};
    sync_options o = {.shop = shop,
                      .resource = resource,
                      .reopen_window = srv->opt.reopen_window,
                      .actor = "scheduler"};
    if (srv->opt.sla) {
        o.on_change = srv_task_sla_changed;
        o.on_change_ud = &hook;
    }
    ticket_ctx classifier = {0};
    bd_err cerr;
    if (ticket_classifier_open(&classifier, srv->opt.config->locales_dir, &cerr) == 0) {
        o.classify = classifier.classify;
        o.classify_ud = classifier.classify_ud;
    }
    sync_shop_result *res = NULL;
    size_t n = 0;
    int rc = sync_run(store, srv->opt.config, &o, &res, &n, err);
    ticket_classifier_close(&classifier);

    pthread_mutex_lock(&sy->mu);
    e = entry(sy, shop, resource); /* the table may have grown meanwhile */
    e->running = 0;
    pthread_mutex_unlock(&sy->mu);
    if (rc >= 0 && n > 0) {
        if (strcmp(resource, "orders") == 0) *orders += res[0].orders.inserted + res[0].orders.updated;
        if (!res[0].ok) bd_buf_printf(why, "%s%s %s: %s", why->len ? "; " : "", shop, resource,
                                      res[0].error ? res[0].error : "failed");
    }
    sync_results_free(res, n);
    return rc < 0 ? -1 : rc;
}

/* Syncs a shop's resources (one of them, or all). */
static int sync_shop_resources(srv_server *srv, bd_store *store, const cJSON *conf,
                               const char *only, int64_t *orders, bd_buf *why, bd_err *err)
{
    const char *res[SYNC_RESOURCES_MAX];
    size_t n = sync_wanted_resources(conf, res, SYNC_RESOURCES_MAX);
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (only && strcmp(only, res[i]) != 0) continue;
        int rc = sync_one(srv, store, bd_json_str(conf, "name"), res[i], orders, why, err);
        if (rc < 0) {
            bd_buf_printf(why, "%s%s %s: %s", why->len ? "; " : "", bd_json_str(conf, "name"),
                          res[i], err->msg);
            failed = 1;
        }
        failed |= rc != 0;
    }
    return failed;
}

/* An incremental tier recompute in its own transaction; *summary says what changed. */
static int recompute_tiers(srv_server *srv, bd_store *store, char **summary, bd_err *err)
{
    loyalty_ctx lc = {
        .store = store, .settings = srv->loyalty, .as_of = bd_now(), .actor = "scheduler"};
    loyalty_result res;
    memset(&res, 0, sizeof res);
    int rc = store_begin(store, err);
    if (!rc) rc = loyalty_recompute(&lc, 0, &res, err);
    if (!rc) rc = store_commit(store, err);
    if (rc) {
        store_rollback(store);
        loyalty_result_clear(&res);
        return -1;
    }
    *summary = bd_asprintf("%s: %lld buyers recomputed, %lld tier changes, %lld ticket priorities,"
                           " %lld flags raised, %lld orders not counted",
                           res.full ? "full" : "incremental", (long long)res.recomputed,
                           (long long)res.tier_changes, (long long)res.priority_changes,
                           (long long)res.flags_raised, (long long)res.orders_skipped);
    loyalty_result_clear(&res);
    return 0;
}

/* After a sync that stored orders: tiers follow at once, as after `import orders`. */
static void tiers_after_sync(srv_server *srv, bd_store *store, int64_t orders, bd_buf *summary)
{
    if (!orders || !srv->loyalty) return;
    char *what = NULL;
    bd_err err;
    if (recompute_tiers(srv, store, &what, &err) == 0)
        bd_buf_printf(summary, "; tiers %s", what);
    else
        bd_buf_printf(summary, "; tiers not updated: %s", err.msg);
    free(what);
}

/* "sync": every enabled shop, from its checkpoints. */
static int task_sync(void *ud, bd_store *store, char **summary, bd_err *err)
{
    srv_server *srv = ud;
    bd_buf why = BD_BUF_INIT;
    int64_t orders = 0;
    int shops = 0, failed = 0;
    for (const cJSON *conf = config_shops(srv) ? config_shops(srv)->child : NULL; conf;
         conf = conf->next) {
        if (!shop_enabled(conf)) continue;
        shops++;
        failed |= sync_shop_resources(srv, store, conf, NULL, &orders, &why, err);
    }
    bd_buf out = BD_BUF_INIT;
    bd_buf_printf(&out, "%d shop%s synced, %lld orders stored or changed", shops,
                  shops == 1 ? "" : "s", (long long)orders);
    tiers_after_sync(srv, store, orders, &out);
    if (failed) {
        bd_err_set(err, "%s; failed: %s", out.data, why.data ? why.data : "");
        bd_buf_free(&out);
        bd_buf_free(&why);
        return -1;
    }
    bd_buf_free(&why);
    *summary = bd_buf_detach(&out);
    return 0;
}

/* The oldest queued request, marked running; 0 when none is queued. Copies what the run
 * needs, since the queue may move while it runs. */
static int64_t take_request(srv_sync *sy, char **shop, char **resource)
{
    int64_t id = 0;
    pthread_mutex_lock(&sy->mu);
    for (size_t i = 0; i < sy->nq && !id; i++)
        if (strcmp(sy->q[i].status, "queued") == 0) {
            sync_request *q = &sy->q[i];
            q->status = "running";
            q->started_at = bd_now();
            id = q->id;
            *shop = bd_strdup(q->shop);
            *resource = bd_strdup(q->resource);
        }
    pthread_mutex_unlock(&sy->mu);
    return id;
}

static void finish_request(srv_sync *sy, int64_t id, int failed, char *result)
{
    pthread_mutex_lock(&sy->mu);
    for (size_t i = 0; i < sy->nq; i++)
        if (sy->q[i].id == id) {
            sy->q[i].status = failed ? "failed" : "done";
            sy->q[i].finished_at = bd_now();
            free(sy->q[i].result);
            sy->q[i].result = result;
            result = NULL;
        }
    pthread_mutex_unlock(&sy->mu);
    free(result);
}

/* "sync-requests": the runs asked for with POST /sync, oldest first, until none is left. */
static int task_sync_requests(void *ud, bd_store *store, char **summary, bd_err *err)
{
    srv_server *srv = ud;
    int done = 0, failed_runs = 0;
    char *shop = NULL, *resource = NULL;
    int64_t id;
    while (!atomic_load(&srv->stopping) && (id = take_request(srv->sync, &shop, &resource))) {
        bd_buf why = BD_BUF_INIT;
        int64_t orders = 0;
        int failed = 0, shops = 0;
        for (const cJSON *conf = config_shops(srv) ? config_shops(srv)->child : NULL; conf;
             conf = conf->next) {
            if (shop ? !bd_streq(shop, bd_json_str(conf, "name")) : !shop_enabled(conf)) continue;
            shops++;
            failed |= sync_shop_resources(srv, store, conf, resource, &orders, &why, err);
        }
        bd_buf out = BD_BUF_INIT;
        bd_buf_printf(&out, "%d shop%s synced, %lld orders stored or changed", shops,
                      shops == 1 ? "" : "s", (long long)orders);
        tiers_after_sync(srv, store, orders, &out);
        if (failed) bd_buf_printf(&out, "; failed: %s", why.data ? why.data : "");
        bd_buf_free(&why);
        finish_request(srv->sync, id, failed, bd_buf_detach(&out));
        free(shop);
        free(resource);
        shop = resource = NULL;
        done++;
        failed_runs += failed;
    }
    *summary = bd_asprintf("%d requested run%s, %d failed", done, done == 1 ? "" : "s",
                           failed_runs);
    return 0;
}

/* "tiers-recompute": buyers whose orders, disputes or satisfaction changed, and those whose
 * orders crossed a time window since the last run. */
static int task_tiers(void *ud, bd_store *store, char **summary, bd_err *err)
{
    return recompute_tiers(ud, store, summary, err);
}

int srv_sync_register(srv_server *srv, bd_err *err)
{
    const srv_options *o = &srv->opt;
    const cJSON *shops = config_shops(srv);
    if (cJSON_GetArraySize(shops) > 0) {
        if (o->sync_interval &&
            srv_scheduler_add(srv->sched, "sync", o->sync_interval, task_sync, srv, err))
            return -1;
        if (srv_scheduler_add(srv->sched, "sync-requests", 0, task_sync_requests, srv, err))
            return -1;
    }
    if (o->tiers_interval && srv->loyalty &&
        srv_scheduler_add(srv->sched, "tiers-recompute", o->tiers_interval, task_tiers, srv, err))
        return -1;
    return 0;
}

/* ---- GET /sync ---- */

static cJSON *request_json(const sync_request *q)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)q->id);
    json_add_str(j, "shop", q->shop);
    json_add_str(j, "resource", q->resource);
    cJSON_AddStringToObject(j, "status", q->status);
    json_add_str(j, "requested_by", q->by);
    json_add_time(j, "requested_at", q->requested_at);
    json_add_time(j, "started_at", q->started_at);
    json_add_time(j, "finished_at", q->finished_at);
    json_add_str(j, "result", q->result);
    return j;
}

static cJSON *checkpoint_json(const store_checkpoint_row *rows, size_t n, const char *shop,
                              const char *resource)
{
    for (size_t i = 0; i < n; i++) {
        if (!bd_streq(rows[i].shop, shop) || !bd_streq(rows[i].resource, resource)) continue;
        cJSON *j = cJSON_CreateObject();
        json_add_time(j, "saved_at", rows[i].updated_at);
        /* the connector's own state (time window, page token): shown as it is stored */
        cJSON *cur = rows[i].cursor ? cJSON_Parse(rows[i].cursor) : NULL;
        if (cJSON_IsObject(cur))
            cJSON_AddItemToObject(j, "cursor", cur);
        else {
            cJSON_Delete(cur);
            json_add_str(j, "cursor", rows[i].cursor);
        }
        return j;
    }
    return cJSON_CreateNull();
}

/* One resource of a shop: its checkpoint, whether the service syncs it now, and its last
 * recorded run (by the service or a CLI). Holds mu. */
static cJSON *resource_json(srv_sync *sy, const store_checkpoint_row *ck, size_t nck,
                            const store_sync_run *runs, size_t nruns, const char *shop,
                            const char *resource)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "resource", resource);
    cJSON_AddItemToObject(j, "checkpoint", checkpoint_json(ck, nck, shop, resource));
    const sync_entry *e = NULL;
    for (size_t i = 0; i < sy->n && !e; i++)
        if (!strcmp(sy->e[i].shop, shop) && !strcmp(sy->e[i].resource, resource)) e = &sy->e[i];
    int running = e && e->running;
    cJSON_AddBoolToObject(j, "running", running);
    const store_sync_run *last = NULL;
    for (size_t i = 0; i < nruns && !last; i++)
        if (!strcmp(runs[i].shop, shop) && !strcmp(runs[i].resource, resource)) last = &runs[i];
    /* the run going on now is not the last one finished: show the one before it */
    if (last && running && !last->finished_at) last = NULL;
    cJSON_AddItemToObject(j, "last_run", last ? sync_run_json(last) : cJSON_CreateNull());
    return j;
}

void h_sync_get(srv_request *r)
{
    bd_store *s = srv_store(r);
    if (!s) return;
    store_checkpoint_row *ck = NULL;
    size_t nck = 0;
    store_sync_run *runs = NULL;
    size_t nruns = 0;
    bd_err err;
    if (store_checkpoints_list(s, &ck, &nck, &err) ||
        store_sync_runs_list(s, NULL, NULL, 1, 0, &runs, &nruns, &err)) {
        store_checkpoint_rows_free(ck, nck);
        srv_fail(r, s, &err);
        return;
    }
    srv_server *srv = r->srv;
    int64_t next = srv_scheduler_next_run(srv->sched, "sync");
    cJSON *j = cJSON_CreateObject();
    if (srv->opt.sync_interval && config_shops(srv))
        cJSON_AddNumberToObject(j, "interval_seconds", (double)srv->opt.sync_interval);
    else
        cJSON_AddNullToObject(j, "interval_seconds");
    json_add_time(j, "next_run_at", next);
    cJSON *shops = cJSON_AddArrayToObject(j, "shops");
    pthread_mutex_lock(&srv->sync->mu);
    for (const cJSON *conf = config_shops(srv) ? config_shops(srv)->child : NULL; conf;
         conf = conf->next) {
        const char *name = bd_json_str(conf, "name");
        cJSON *sj = cJSON_CreateObject();
        json_add_str(sj, "name", name);
        json_add_str(sj, "marketplace", bd_json_str(conf, "marketplace"));
        cJSON_AddBoolToObject(sj, "enabled", shop_enabled(conf));
        json_add_time(sj, "next_run_at", shop_enabled(conf) ? next : 0);
        cJSON *res = cJSON_AddArrayToObject(sj, "resources");
        const char *names[SYNC_RESOURCES_MAX];
        size_t n = sync_wanted_resources(conf, names, SYNC_RESOURCES_MAX);
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(res, resource_json(srv->sync, ck, nck, runs, nruns, name, names[i]));
        cJSON_AddItemToArray(shops, sj);
    }
    cJSON *reqs = cJSON_AddArrayToObject(j, "requests");
    for (size_t i = srv->sync->nq; i-- > 0;) /* newest first */
        cJSON_AddItemToArray(reqs, request_json(&srv->sync->q[i]));
    pthread_mutex_unlock(&srv->sync->mu);
    store_checkpoint_rows_free(ck, nck);
    store_sync_runs_free(runs, nruns);
    srv_reply_json(r, 200, j);
}

/* ---- POST /sync ---- */

/* Queues a run unless the same one is already waiting (then that one is the answer). Drops
 * the oldest finished requests beyond SYNC_REQUESTS_KEPT. Returns the request's JSON. */
static cJSON *enqueue(srv_sync *sy, const char *shop, const char *resource, const char *by)
{
    pthread_mutex_lock(&sy->mu);
    sync_request *q = NULL;
    for (size_t i = 0; i < sy->nq && !q; i++)
        if (!strcmp(sy->q[i].status, "queued") && bd_streq(sy->q[i].shop, shop) &&
            bd_streq(sy->q[i].resource, resource))
            q = &sy->q[i];
    if (!q) {
        size_t finished = 0;
        for (size_t i = 0; i < sy->nq; i++)
            finished += sy->q[i].finished_at != 0;
        for (size_t i = 0; i < sy->nq && finished >= SYNC_REQUESTS_KEPT;) {
            if (sy->q[i].finished_at) {
                request_clear(&sy->q[i]);
                memmove(&sy->q[i], &sy->q[i + 1], (sy->nq - i - 1) * sizeof *sy->q);
                sy->nq--;
                finished--;
            } else {
                i++;
            }
        }
        sy->q = bd_realloc(sy->q, (sy->nq + 1) * sizeof *sy->q);
        q = &sy->q[sy->nq++];
        memset(q, 0, sizeof *q);
        q->id = ++sy->next_id;
        q->shop = bd_strdup(shop);
        q->resource = bd_strdup(resource);
        q->by = bd_strdup(by);
        q->requested_at = bd_now();
        q->status = "queued";
    }
    cJSON *j = request_json(q);
    pthread_mutex_unlock(&sy->mu);
    return j;
}

void h_sync_post(srv_request *r)
{
    const char *shop = NULL, *resource = NULL;
    if (r->body.len) {
        cJSON *body = srv_body_object(r);
        if (!body || srv_body_str(r, body, "shop", 0, &shop) ||
            srv_body_str(r, body, "resource", 0, &resource))
            return;
    }
    if (resource && !bd_str_in(resource, (const char *const[]){"orders", "messages", "feedback",
                                                               NULL})) {
        srv_error(r, 400, "invalid_field", "resource must be orders, messages or feedback");
        return;
    }
    srv_server *srv = r->srv;
    if (!config_shops(srv) || !cJSON_GetArraySize(config_shops(srv))) {
        srv_error(r, 422, "unprocessable",
                  "no shops are configured: add a \"shops\" array to the configuration"
                  " (docs/sync.md)");
        return;
    }
    const cJSON *conf = shop ? bd_config_shop(srv->opt.config, shop) : NULL;
    if (shop && !conf) {
        srv_error(r, 422, "unprocessable", "no shop \"%s\" in the configuration", shop);
        return;
    }
    if (conf && resource) {
        const char *names[SYNC_RESOURCES_MAX];
        size_t n = sync_wanted_resources(conf, names, SYNC_RESOURCES_MAX), i = 0;
        while (i < n && strcmp(names[i], resource) != 0) i++;
        if (i == n) {
            srv_error(r, 422, "unprocessable", "shop \"%s\" does not sync %s", shop, resource);
            return;
        }
    }
    cJSON *req = enqueue(srv->sync, shop, resource, r->user);
    srv_scheduler_run_now(srv->sched, "sync-requests");
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "request", req);
    cJSON_AddStringToObject(j, "poll", "/api/v1/sync");
    srv_reply_json(r, 202, j);
}

/* GET /sync/runs: the record of runs, newest first (?shop, ?resource, ?limit). */
void h_sync_runs(srv_request *r)
{
    size_t limit;
    if (srv_limit(r, &limit)) return;
    const char *resource = srv_query(r, "resource");
    if (resource && !bd_str_in(resource, (const char *const[]){"orders", "messages", "feedback", NULL})) {
        srv_error(r, 400, "invalid_parameter", "resource must be orders, messages or feedback");
        return;
    }
    bd_store *s = srv_store(r);
    if (!s) return;
    store_sync_run *runs = NULL;
    size_t n = 0;
    bd_err err;
    if (store_sync_runs_list(s, srv_query(r, "shop"), resource, 0, (int)limit, &runs, &n, &err)) {
        srv_fail(r, s, &err);
        return;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON *items = cJSON_AddArrayToObject(j, "items");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(items, sync_run_json(&runs[i]));
    store_sync_runs_free(runs, n);
    srv_reply_json(r, 200, j);
}
