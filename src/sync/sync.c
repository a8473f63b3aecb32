/* sync.c — the sync engine: pages from the connectors into the store, one transaction per
 * page together with its checkpoint. See sync.h. */
#include "borderdesk/sync.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* What the connector's callbacks need. The fetching thread calls them while the main
 * thread stores pages: every use of the store goes through store_mu. */
typedef struct shop_run {
    bd_store *store;
    int64_t shop_id;
    pthread_mutex_t store_mu;
} shop_run;

void sync_results_free(sync_shop_result *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++) {
        free(r[i].shop);
        free(r[i].marketplace);
        free(r[i].error);
    }
    free(r);
}

static int save_tokens(void *ud, mkt_shop *shop, bd_err *err)
{
    shop_run *run = ud;
    store_tokens t = {.access_token = shop->tokens.access_token,
                      .refresh_token = shop->tokens.refresh_token,
                      .seed = shop->tokens.seed,
                      .access_expires = shop->tokens.access_expires};
    pthread_mutex_lock(&run->store_mu);
    int rc = store_tokens_set(run->store, run->shop_id, &t, err);
    pthread_mutex_unlock(&run->store_mu);
    return rc;
}

static int64_t conversation_seen(void *ud, mkt_shop *shop, const char *conversation_id)
{
    (void)shop;
    shop_run *run = ud;
    bd_err err;
    pthread_mutex_lock(&run->store_mu);
    int64_t t = store_conversation_last(run->store, run->shop_id, conversation_id, &err);
    pthread_mutex_unlock(&run->store_mu);
    return t < 0 ? 0 : t;
}

static int thread_of(void *ud, mkt_shop *shop, const char *external_id, char **conversation_id,
                     char **order_id)
{
    (void)shop;
    shop_run *run = ud;
    bd_err err;
    pthread_mutex_lock(&run->store_mu);
    int found = store_message_thread(run->store, run->shop_id, external_id, conversation_id,
                                     order_id, &err);
    pthread_mutex_unlock(&run->store_mu);
    return found > 0;
}

/* Tokens: the database's, unless the configured (environment) token changed since. */
static int load_tokens(bd_store *store, int64_t shop_id, mkt_shop *shop, bd_err *err)
{
    bd_err ignore;
    const char *refresh = mkt_secret(shop, "refresh_token_env", 0, &ignore);
    const char *access = mkt_secret(shop, "access_token_env", 0, &ignore);
    char *seed_src = bd_asprintf("%s\n%s", refresh ? refresh : "", access ? access : "");
    char fp[33];
    mkt_fingerprint(seed_src, fp);
    free(seed_src);
    store_tokens st;
    int found = store_tokens_get(store, shop_id, &st, err);
    if (found < 0) return -1;
    mkt_tokens_clear(&shop->tokens);
    if (found && bd_streq(st.seed, fp)) {
        shop->tokens.access_token = st.access_token;
        shop->tokens.refresh_token = st.refresh_token;
        shop->tokens.access_expires = st.access_expires;
        shop->tokens.seed = st.seed;
        return 0;
    }
    store_tokens_clear(&st);
    shop->tokens.access_token = bd_strdup(access);
    shop->tokens.refresh_token = bd_strdup(refresh);
    shop->tokens.seed = bd_strdup(fp);
    return 0;
}

int sync_shop_open(bd_store *store, const cJSON *conf, mkt_shop *shop,
                   const mkt_connector **conn, int64_t *shop_id, bd_err *err)
{
    memset(shop, 0, sizeof *shop);
    const char *name = bd_json_str(conf, "name");
    const char *mk = bd_json_str(conf, "marketplace");
    *conn = mkt_connector_find(mk);
    if (!*conn)
        return bd_err_set(err, "shop %s: no connector for marketplace \"%s\" (known: ebay, shopee, amazon, mail)",
                          name, mk ? mk : "");
    if (store_shop_ensure(store, name, mk, shop_id, err)) return -1;
    if (mkt_shop_init(shop, conf, err) || load_tokens(store, *shop_id, shop, err)) {
        mkt_shop_clear(shop);
        return -1;
    }
    shop_run *run = bd_calloc(1, sizeof *run);
    run->store = store;
    run->shop_id = *shop_id;
    pthread_mutex_init(&run->store_mu, NULL);
    shop->ud = run;
    shop->save_tokens = save_tokens;
    shop->conversation_seen = conversation_seen;
    shop->thread_of = thread_of;
    if ((*conn)->open(shop, err)) {
        sync_shop_close(shop, *conn);
        return -1;
    }
    return 0;
}

void sync_shop_close(mkt_shop *shop, const mkt_connector *conn)
{
    if (conn && shop->impl) conn->close(shop);
    if (shop->ud) pthread_mutex_destroy(&((shop_run *)shop->ud)->store_mu);
    free(shop->ud);
    shop->ud = NULL;
    mkt_shop_clear(shop);
}

/* ---- storing one page ---- */
/* A message whose raw source the page kept (malformed mail): the source is stored beside
 * it and the ticket's history says what was wrong, so a person can look. */
static int keep_raw(ticket_ctx *ctx, const mkt_raw *raw, const ticket_ingest_result *res,
                    bd_err *err)
{
    if (store_message_source_add(ctx->store, res->message_id, raw->data, raw->len, raw->full_len,
                                 raw->error, err))
        return -1;
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "message_id", (double)res->message_id);
    cJSON_AddStringToObject(d, "error", raw->error ? raw->error : "");
    char *detail = mkt_json_text(d);
    int rc = store_event_add(ctx->store, res->ticket_id, ctx->actor, "message_malformed", detail,
                             bd_now(), err);
    free(detail);
    return rc;
}

static int sync_message(ticket_ctx *ctx, int64_t shop_id, const bd_message *m, const mkt_raw *raw,
                        sync_counts *c, bd_err *err)
{
    if (m->direction == BD_DIR_OUT) {
        int have = store_message_exists(ctx->store, shop_id, m->external_id, err);
        if (have < 0) return -1;
        if (!have) {
            int claimed = store_outbox_claim_echo(ctx->store, shop_id, m->conversation_id,
                                                  m->buyer.external_id, m->body, m->external_id,
                                                  bd_now(), err);
            if (claimed < 0) return -1;
            if (claimed) {
                c->messages_seen++;
                return 0;
            }
        }
    }
    ticket_ingest_result res;
    if (ticket_ingest_message(ctx, m, &res, err)) return -1;
    if (res.duplicate) c->messages_seen++;
    else c->messages_new++;
    c->tickets_created += res.created;
    c->tickets_reopened += res.reopened;
    if (raw && !res.duplicate && keep_raw(ctx, raw, &res, err)) return -1;
    return 0;
}

static int store_page(ticket_ctx *ctx, int64_t shop_id, const char *resource, const mkt_page *p,
                      sync_counts *c, bd_err *err)
{
    bd_store *s = ctx->store;
    if (store_begin(s, err)) return -1;
    for (size_t i = 0; i < p->n_orders; i++) {
        int result;
        if (ticket_ingest_order(ctx, &p->orders[i], &result, err)) goto fail;
        if (result == STORE_INSERTED) c->inserted++;
        else if (result == STORE_UPDATED) c->updated++;
        else c->unchanged++;
    }
    for (size_t i = 0; i < p->n_refs; i++)
        if (store_line_ref_add(s, shop_id, p->refs[i].line_item_id, p->refs[i].order_id, err))
            goto fail;
    for (size_t i = 0; i < p->n_feedback; i++) {
        const mkt_feedback *f = &p->feedback[i];
        int64_t buyer_id;
        int result;
        if (store_buyer_upsert(s, shop_id, &f->buyer, &buyer_id, err)) goto fail;
        store_feedback sf = {.external_id = f->external_id, .buyer_id = buyer_id,
                             .order_external_id = f->order_id, .line_item_id = f->line_item_id,
                             .rating = f->rating, .score = f->score, .comment = f->comment,
                             .reply = f->reply, .extra = f->extra, .left_at = f->left_at};
        if (store_feedback_upsert(s, shop_id, &sf, &result, err)) goto fail;
        if (result == STORE_INSERTED) c->inserted++;
        else if (result == STORE_UPDATED) c->updated++;
        else c->unchanged++;
    }
    for (size_t i = 0, r = 0; i < p->n_messages; i++) {
        while (r < p->n_raws && p->raws[r].message < i) r++;
        const mkt_raw *raw = r < p->n_raws && p->raws[r].message == i ? &p->raws[r] : NULL;
        if (sync_message(ctx, shop_id, &p->messages[i], raw, c, err)) goto fail;
    }
    if (store_checkpoint_set(s, shop_id, resource, p->cursor, bd_now(), err)) goto fail;
    if (store_commit(s, err)) goto fail;
    return 0;
fail:
    store_rollback(s);
    return -1;
}

static sync_counts *counts_for(sync_shop_result *r, const char *resource)
{
    if (strcmp(resource, "orders") == 0) return &r->orders;
    if (strcmp(resource, "messages") == 0) return &r->messages;
    return &r->feedback;
}

static int wanted(const cJSON *conf, const char *resource, const sync_options *o)
{
    if (o->resource && strcmp(o->resource, resource) != 0) return 0;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(conf, "resources");
    if (!cJSON_IsArray(list)) return 1;
    for (const cJSON *e = list->child; e; e = e->next)
        if (cJSON_IsString(e) && strcmp(e->valuestring, resource) == 0) return 1;
    return 0;
}

size_t sync_wanted_resources(const cJSON *conf, const char **out, size_t max)
{
    const mkt_connector *c = mkt_connector_find(bd_json_str(conf, "marketplace"));
    const sync_options all = {0};
    size_t n = 0;
    for (int i = 0; c && c->resources[i] && n < max; i++)
        if (wanted(conf, c->resources[i], &all) && (!c->enabled || c->enabled(conf, c->resources[i])))
            out[n++] = c->resources[i];
    return n;
}

/* ---- fetching ahead ----
 * One thread fetches pages (HTTP + JSON) following each page's cursor while the main
 * thread stores the previous page with its checkpoint; at most FETCH_AHEAD pages wait.
 * A crash loses only pages that were not stored, and the stored checkpoint says where
 * they start. */
#define FETCH_AHEAD 2

typedef struct slot {
    mkt_page page;
    int rc;
    bd_err err;
} slot;

typedef struct fetcher {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    mkt_shop *shop;
    const mkt_connector *conn;
    const char *resource;
    char *cursor;
    int64_t since;
    slot q[FETCH_AHEAD];
    int head, count, stop, finished;
} fetcher;

static void *fetch_loop(void *arg)
{
    fetcher *f = arg;
    for (;;) {
        slot s;
        memset(&s, 0, sizeof s);
        s.rc = f->conn->fetch(f->shop, f->resource, f->cursor, f->since, &s.page, &s.err);
        f->since = 0; /* --since starts the first window only */
        int last = s.rc || s.page.done;
        if (!s.rc) {
            free(f->cursor);
            f->cursor = bd_strdup(s.page.cursor);
        }
        pthread_mutex_lock(&f->mu);
        while (f->count == FETCH_AHEAD && !f->stop) pthread_cond_wait(&f->cv, &f->mu);
        if (f->stop) {
            pthread_mutex_unlock(&f->mu);
            mkt_page_clear(&s.page);
            break;
        }
        f->q[(f->head + f->count) % FETCH_AHEAD] = s;
        f->count++;
        pthread_cond_broadcast(&f->cv);
        pthread_mutex_unlock(&f->mu);
        if (last) break;
        pthread_mutex_lock(&f->mu);
        int stop = f->stop;
        pthread_mutex_unlock(&f->mu);
        if (stop) break;
    }
    pthread_mutex_lock(&f->mu);
    f->finished = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

/* The next fetched page in order; 0 when the fetcher ended without one. */
static int next_page(fetcher *f, slot *out)
{
    pthread_mutex_lock(&f->mu);
    while (f->count == 0 && !f->finished) pthread_cond_wait(&f->cv, &f->mu);
    int got = f->count > 0;
    if (got) {
        *out = f->q[f->head];
        f->head = (f->head + 1) % FETCH_AHEAD;
        f->count--;
        pthread_cond_broadcast(&f->cv);
    }
    pthread_mutex_unlock(&f->mu);
    return got;
}

static int sync_resource(ticket_ctx *ctx, mkt_shop *shop, const mkt_connector *conn,
                         int64_t shop_id, const char *resource, const sync_options *o,
                         sync_shop_result *r, bd_err *err)
{
    sync_counts *c = counts_for(r, resource);
    shop_run *run = shop->ud;
    fetcher f = {.shop = shop, .conn = conn, .resource = resource, .since = o->since};
    pthread_mutex_lock(&run->store_mu);
    int rc = store_checkpoint_get(ctx->store, shop_id, resource, &f.cursor, err);
    pthread_mutex_unlock(&run->store_mu);
    if (rc) return -1;
    pthread_mutex_init(&f.mu, NULL);
    pthread_cond_init(&f.cv, NULL);
    if (pthread_create(&f.thread, NULL, fetch_loop, &f) != 0) {
        free(f.cursor);
        return bd_err_set(err, "shop %s: cannot start a thread", shop->name);
    }
    rc = -1;
    slot s;
    while (next_page(&f, &s)) {
        if (s.rc) {
            *err = s.err;
            mkt_page_clear(&s.page);
            break;
        }
        r->json_ms += s.page.json_ms;
        c->pages++;
        c->requests += s.page.requests;
        c->items += (int64_t)(s.page.n_orders + s.page.n_messages + s.page.n_feedback);
        double t0 = http_now_ms();
        pthread_mutex_lock(&run->store_mu);
        int st = store_page(ctx, shop_id, resource, &s.page, c, err);
        pthread_mutex_unlock(&run->store_mu);
        r->store_ms += http_now_ms() - t0;
        int done = s.page.done;
        mkt_page_clear(&s.page);
        if (st) break;
        if (o->progress) o->progress(o->progress_ud, r, resource);
        if (done) {
            rc = 0;
            break;
        }
    }
    pthread_mutex_lock(&f.mu);
    f.stop = 1;
    pthread_cond_broadcast(&f.cv);
    pthread_mutex_unlock(&f.mu);
    pthread_join(f.thread, NULL);
    while (f.count > 0) {
        mkt_page_clear(&f.q[f.head].page);
        f.head = (f.head + 1) % FETCH_AHEAD;
        f.count--;
    }
    pthread_cond_destroy(&f.cv);
    pthread_mutex_destroy(&f.mu);
    free(f.cursor);
    return rc;
}

cJSON *sync_counts_json(const sync_counts *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "pages", (double)c->pages);
    cJSON_AddNumberToObject(o, "requests", (double)c->requests);
    cJSON_AddNumberToObject(o, "items", (double)c->items);
    cJSON_AddNumberToObject(o, "inserted", (double)c->inserted);
    cJSON_AddNumberToObject(o, "updated", (double)c->updated);
    cJSON_AddNumberToObject(o, "unchanged", (double)c->unchanged);
    cJSON_AddNumberToObject(o, "messages_new", (double)c->messages_new);
    cJSON_AddNumberToObject(o, "messages_seen", (double)c->messages_seen);
    cJSON_AddNumberToObject(o, "tickets_created", (double)c->tickets_created);
    cJSON_AddNumberToObject(o, "tickets_reopened", (double)c->tickets_reopened);
    return o;
}

cJSON *sync_run_json(const store_sync_run *run)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)run->id);
    json_add_str(j, "shop", run->shop);
    json_add_str(j, "resource", run->resource);
    json_add_str(j, "actor", run->actor);
    json_add_time(j, "started_at", run->started_at);
    json_add_time(j, "finished_at", run->finished_at);
    cJSON_AddStringToObject(j, "result", !run->finished_at ? "unfinished" : run->ok ? "ok" : "error");
    json_add_str(j, "error", run->error);
    cJSON *counts = run->counts ? cJSON_Parse(run->counts) : NULL;
    cJSON_AddItemToObject(j, "counts", counts ? counts : cJSON_CreateNull());
    return j;
}

/* The record of runs is for people reading status: a store that cannot write it fails the
 * sync's own writes too, and that error is the one reported, so its errors are dropped. */
static int64_t run_start(bd_store *store, const char *shop, const char *resource,
                         const sync_options *o)
{
    bd_err err;
    int64_t id = 0;
    if (store_sync_run_start(store, shop, resource, o->actor ? o->actor : "sync", bd_now(), &id,
                             &err))
        return 0;
    return id;
}

static void run_finish(bd_store *store, int64_t id, int ok, const char *error,
                       const sync_counts *c)
{
    if (!id) return;
    char *counts = NULL;
    if (c) {
        cJSON *j = sync_counts_json(c);
        counts = cJSON_PrintUnformatted(j);
        cJSON_Delete(j);
    }
    bd_err err;
    store_sync_run_finish(store, id, bd_now(), ok, error, counts, &err);
    free(counts);
}

/* A shop that could not even be opened: its failure is the last run of each resource it
 * would have synced. */
static void record_open_failure(bd_store *store, const cJSON *conf, const sync_options *o,
                                const char *error)
{
    const char *name = bd_json_str(conf, "name");
    const mkt_connector *conn = mkt_connector_find(bd_json_str(conf, "marketplace"));
    for (int i = 0; conn && conn->resources[i]; i++) {
        if (!wanted(conf, conn->resources[i], o)) continue;
        run_finish(store, run_start(store, name, conn->resources[i], o), 0, error, NULL);
    }
}

static void sync_shop(bd_store *store, const cJSON *conf, const sync_options *o,
                      sync_shop_result *r)
{
    double t0 = http_now_ms();
    bd_err err;
    mkt_shop shop;
    const mkt_connector *conn = NULL;
    int64_t shop_id = 0;
    r->ok = 1;
    if (sync_shop_open(store, conf, &shop, &conn, &shop_id, &err)) {
        r->ok = 0;
        r->error = bd_strdup(err.msg);
        r->elapsed_ms = http_now_ms() - t0;
        record_open_failure(store, conf, o, err.msg);
        return;
    }
    if (o->shop && o->resource && !mkt_connector_has(conn, o->resource)) {
        /* asked for by name: say so rather than sync nothing */
        r->ok = 0;
        r->error = bd_asprintf("shop %s: a %s shop has no %s", shop.name, conn->marketplace, o->resource);
        sync_shop_close(&shop, conn);
        r->elapsed_ms = http_now_ms() - t0;
        return;
    }
    ticket_ctx ctx = {.store = store, .reopen_window = o->reopen_window,
                      .actor = o->actor ? o->actor : "sync", .classify = o->classify,
                      .classify_ud = o->classify_ud, .on_change = o->on_change,
                      .on_change_ud = o->on_change_ud};
    for (int i = 0; conn->resources[i]; i++) {
        if (!wanted(conf, conn->resources[i], o)) continue;
        if (conn->enabled && !conn->enabled(conf, conn->resources[i])) {
            if (!o->resource || !o->shop) continue;
            r->ok = 0;
            r->error = bd_asprintf("shop %s: its configuration has no %s (see docs/sync.md)",
                                   shop.name, conn->resources[i]);
            break;
        }
        shop_run *run = shop.ud;
        pthread_mutex_lock(&run->store_mu);
        int64_t rec = run_start(store, shop.name, conn->resources[i], o);
        pthread_mutex_unlock(&run->store_mu);
        int rc = sync_resource(&ctx, &shop, conn, shop_id, conn->resources[i], o, r, &err);
        pthread_mutex_lock(&run->store_mu);
        run_finish(store, rec, rc == 0, rc ? err.msg : NULL, counts_for(r, conn->resources[i]));
        pthread_mutex_unlock(&run->store_mu);
        if (rc) {
            r->ok = 0;
            r->error = bd_strdup(err.msg);
            break;
        }
    }
    ticket_ctx_clear(&ctx);
    const http_stats *hs = http_client_stats(shop.http);
    r->http_ms = hs->transfer_ms;
    r->wait_ms = hs->wait_ms;
    r->requests = hs->requests;
    r->retries = hs->retries;
    r->throttled = hs->throttled;
    sync_shop_close(&shop, conn);
    r->elapsed_ms = http_now_ms() - t0;
}

int sync_run(bd_store *store, const bd_config *cfg, const sync_options *o,
             sync_shop_result **results, size_t *n, bd_err *err)
{
    *results = NULL;
    *n = 0;
    const cJSON *shops = cJSON_GetObjectItemCaseSensitive(cfg->root, "shops");
    int count = cJSON_IsArray(shops) ? cJSON_GetArraySize(shops) : 0;
    if (count == 0)
        return bd_err_set(err, "no shops configured: add a \"shops\" array to %s (see docs/sync.md)",
                          cfg->path ? cfg->path : "borderdesk.json");
    if (o->shop && !bd_config_shop(cfg, o->shop))
        return bd_err_set(err, "no shop \"%s\" in %s", o->shop, cfg->path ? cfg->path : "the configuration");
    *results = bd_calloc((size_t)count, sizeof **results);
    int failed = 0;
    for (const cJSON *s = shops->child; s; s = s->next) {
        const char *name = bd_json_str(s, "name");
        if (o->shop && !bd_streq(name, o->shop)) continue;
        const cJSON *en = cJSON_GetObjectItemCaseSensitive(s, "enabled");
        if (cJSON_IsFalse(en) && !o->shop) continue;
        sync_shop_result *r = &(*results)[(*n)++];
        r->shop = bd_strdup(name);
        r->marketplace = bd_strdup(bd_json_str(s, "marketplace"));
        sync_shop(store, s, o, r);
        failed |= !r->ok;
    }
    return failed ? 1 : 0;
}
