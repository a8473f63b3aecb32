/*
 * dataset.c — loads what the clocks of many tickets are computed from: tickets, their
 * messages and their clock events, read in table order and bucketed per ticket in memory
 * (a counting sort), so that a report over a million tickets is a few sequential scans.
 * For many tickets the message scan is shared, in ranges of ticket ids, with a second
 * thread on its own read-only connection, which starts while this one reads tickets and
 * events. Strings that repeat (authors,
 * categories, assignees) are interned once.
 */
#include "borderdesk/sla.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct intern_pool {
    char **strs;
    size_t n, cap;
    int32_t *slots; /* open addressing: index + 1, 0 empty */
    size_t n_slots;
} intern_pool;

typedef struct shop_info {
    int64_t id;
    char *name, *marketplace;
    const sla_team *team;
    cal_calendar *calendar;
    int64_t deadline;
} shop_info;

typedef struct raw_change {
    int32_t ticket;
    sla_change c;
} raw_change;

typedef struct excl {
    int64_t message_id, event_id;
    int excluded;
} excl;

/* The message scan is cut into ranges of ticket ids ("chunks") that the workers — this
 * thread after its own scans, and a second thread on its own read-only connection — take
 * in turn; rows keep their raw ticket ids and are mapped to tickets afterwards. */
#define SLA_SCAN_CHUNKS 64

typedef struct msg_chunk {
    sla_msg *msgs;
    int64_t *tids;
    size_t n, cap;
    int worker; /* whose author pool the author indexes refer to */
} msg_chunk;

typedef struct msg_scan {
    pthread_mutex_t mu;
    size_t next, n_chunks;
    int64_t chunk_ids; /* ticket ids per chunk; 0: one chunk, no range */
    const int64_t *ids; /* a list of tickets: one chunk, read ticket by ticket */
    size_t n_ids;
    msg_chunk *chunks;
    store_sla_scope sc;
    const sla_config *cfg;
    int failed;
    bd_err err;
} msg_scan;

typedef struct msg_worker {
    msg_scan *scan;
    bd_store *store;
    int id;
    intern_pool authors;
    msg_chunk *cur;
} msg_worker;

struct sla_dataset {
    const sla_config *cfg;
    intern_pool pool;    /* ticket strings */
    intern_pool authors; /* message authors */
    shop_info *shops;
    size_t n_shops;
    sla_ticket_info *t;
    size_t n, cap;
    int32_t *map; /* ticket id - map_base → index + 1 */
    int64_t map_base, map_len;
    sla_msg *msgs;
    size_t *msg_start; /* n + 1 */
    sla_change *changes;
    size_t *chg_start; /* n + 1 */
    /* while loading */
    int32_t *msg_ticket; /* parallel to msgs until bucketed */
    size_t n_msgs;
    raw_change *raw_changes;
    size_t n_raw_changes, cap_raw_changes;
    excl *excl;
    size_t n_excl, cap_excl;
    int64_t *excluded; /* sorted message ids */
    size_t n_excluded;
};

/* ---- interning ---- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void pool_grow(intern_pool *p)
{
    size_t n = p->n_slots ? p->n_slots * 2 : 256;
    int32_t *slots = bd_calloc(n, sizeof *slots);
    for (size_t i = 0; i < p->n; i++) {
        size_t k = hash_str(p->strs[i]) & (n - 1);
        while (slots[k]) k = (k + 1) & (n - 1);
        slots[k] = (int32_t)i + 1;
    }
    free(p->slots);
    p->slots = slots;
    p->n_slots = n;
}

static int32_t intern(intern_pool *p, const char *s)
{
    if (!s) return -1;
    if ((p->n + 1) * 2 > p->n_slots) pool_grow(p);
    size_t k = hash_str(s) & (p->n_slots - 1);
    while (p->slots[k]) {
        int32_t i = p->slots[k] - 1;
        if (strcmp(p->strs[i], s) == 0) return i;
        k = (k + 1) & (p->n_slots - 1);
    }
    if (p->n == p->cap) p->strs = bd_realloc(p->strs, (p->cap = p->cap ? p->cap * 2 : 64) * sizeof(char *));
    p->strs[p->n] = bd_strdup(s);
    p->slots[k] = (int32_t)p->n + 1;
    return (int32_t)p->n++;
}

static const char *intern_str(intern_pool *p, const char *s)
{
    int32_t i = intern(p, s);
    return i < 0 ? NULL : p->strs[i];
}

/* ---- lookups ---- */

static int32_t ticket_index(const sla_dataset *d, int64_t id)
{
    if (d->map) {
        int64_t k = id - d->map_base;
        return k >= 0 && k < d->map_len ? d->map[k] - 1 : -1;
    }
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (d->t[mid].id < id) lo = mid + 1;
        else hi = mid;
    }
    return lo < d->n && d->t[lo].id == id ? (int32_t)lo : -1;
}

static void build_map(sla_dataset *d)
{
    if (!d->n) return;
    int64_t lo = d->t[0].id, hi = d->t[d->n - 1].id;
    if (hi - lo + 1 > (int64_t)d->n * 8 + 1024) return; /* sparse: binary search */
    d->map_base = lo;
    d->map_len = hi - lo + 1;
    d->map = bd_calloc((size_t)d->map_len, sizeof *d->map);
    for (size_t i = 0; i < d->n; i++) d->map[d->t[i].id - lo] = (int32_t)i + 1;
}

static int32_t shop_index(const sla_dataset *d, int64_t shop_id)
{
    for (size_t i = 0; i < d->n_shops; i++)
        if (d->shops[i].id == shop_id) return (int32_t)i;
    return -1;
}

/* ---- scan callbacks ---- */

static int on_ticket(void *ud, const store_sla_ticket *r, bd_err *err)
{
    sla_dataset *d = ud;
    if (d->n == d->cap) d->t = bd_realloc(d->t, (d->cap = d->cap ? d->cap * 2 : 1024) * sizeof *d->t);
    sla_ticket_info *t = &d->t[d->n++];
    t->id = r->id;
    t->created_at = r->created_at;
    t->due_at = r->due_at;
    t->priority = r->priority;
    t->shop = shop_index(d, r->shop_id);
    if (t->shop < 0) return bd_err_set(err, "ticket %lld: unknown shop %lld", (long long)r->id,
                                       (long long)r->shop_id);
    t->status = intern_str(&d->pool, r->status);
    t->category = intern_str(&d->pool, r->category);
    t->subcategory = intern_str(&d->pool, r->subcategory);
    t->language = intern_str(&d->pool, r->language);
    t->assignee = intern_str(&d->pool, r->assignee);
    t->due_state = intern_str(&d->pool, r->due_state);
    return 0;
}

static int status_code(const char *s)
{
    if (!s) return -1;
    if (!strcmp(s, "new") || !strcmp(s, "open")) return SLA_ST_ACTIVE;
    if (!strcmp(s, "pending")) return SLA_ST_PENDING;
    if (!strcmp(s, "solved") || !strcmp(s, "closed")) return SLA_ST_SOLVED;
    return -1;
}

static int on_event(void *ud, const store_sla_event *e, bd_err *err)
{
    (void)err;
    sla_dataset *d = ud;
    int32_t ti = ticket_index(d, e->ticket_id);
    if (ti < 0) return 0;
    if (e->message_id) {
        if (d->n_excl == d->cap_excl)
            d->excl = bd_realloc(d->excl, (d->cap_excl = d->cap_excl ? d->cap_excl * 2 : 16) *
                                              sizeof *d->excl);
        d->excl[d->n_excl++] =
            (excl){e->message_id, e->id, strcmp(e->kind, "no_response_needed") == 0};
        return 0;
    }
    int st = status_code(e->status);
    if (st < 0) return 0;
    if (d->n_raw_changes == d->cap_raw_changes)
        d->raw_changes = bd_realloc(d->raw_changes,
                                    (d->cap_raw_changes = d->cap_raw_changes
                                                              ? d->cap_raw_changes * 2
                                                              : 1024) *
                                        sizeof *d->raw_changes);
    d->raw_changes[d->n_raw_changes++] = (raw_change){ti, {e->at, st}};
    return 0;
}

static int is_excluded(const sla_dataset *d, int64_t message_id)
{
    size_t lo = 0, hi = d->n_excluded;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (d->excluded[mid] < message_id) lo = mid + 1;
        else hi = mid;
    }
    return lo < d->n_excluded && d->excluded[lo] == message_id;
}

static int on_message(void *ud, const store_sla_message *m, bd_err *err)
{
    (void)err;
    msg_worker *w = ud;
    msg_chunk *x = w->cur;
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 4096;
        x->msgs = bd_realloc(x->msgs, x->cap * sizeof *x->msgs);
        x->tids = bd_realloc(x->tids, x->cap * sizeof *x->tids);
    }
    x->tids[x->n] = m->ticket_id;
    sla_msg *r = &x->msgs[x->n++];
    r->id = m->id;
    r->at = m->sent_at;
    r->flags = 0;
    r->author = -1;
    if (m->note) r->flags |= SLA_MSG_NOTE;
    if (m->direction == BD_DIR_OUT) {
        r->flags |= SLA_MSG_OUT;
        r->author = intern(&w->authors, m->author); /* auto-ack authors: adopt_messages */
        if (m->marked) r->flags |= SLA_MSG_AUTO;
    }
    return 0;
}

/* Scans chunks until none is left (or a worker failed). */
static void worker_run(msg_worker *w)
{
    msg_scan *x = w->scan;
    for (;;) {
        pthread_mutex_lock(&x->mu);
        size_t k = x->next < x->n_chunks && !x->failed ? x->next++ : x->n_chunks;
        pthread_mutex_unlock(&x->mu);
        if (k == x->n_chunks) return;
        store_sla_scope sc = x->sc;
        if (x->chunk_ids) {
            sc.ticket_from = (int64_t)k * x->chunk_ids;
            sc.ticket_to = (int64_t)(k + 1) * x->chunk_ids;
        }
        w->cur = &x->chunks[k];
        w->cur->worker = w->id;
        bd_err e;
        int rc = 0;
        if (x->ids)
            for (size_t i = 0; !rc && i < x->n_ids; i++) {
                sc.ticket_id = x->ids[i];
                rc = store_sla_messages(w->store, &sc, x->cfg->auto_marker, on_message, w, &e);
            }
        else
            rc = store_sla_messages(w->store, &sc, x->cfg->auto_marker, on_message, w, &e);
        if (rc) {
            pthread_mutex_lock(&x->mu);
            if (!x->failed) x->err = e;
            x->failed = 1;
            pthread_mutex_unlock(&x->mu);
            return;
        }
    }
}

static void *worker_main(void *arg)
{
    worker_run(arg);
    return NULL;
}

/* Takes the scanned messages in chunk order: keeps those of loaded tickets, gives authors
 * one index space, marks auto-acknowledgements and excluded buyer messages. */
static void adopt_messages(sla_dataset *d, msg_scan *x, msg_worker *w, int n_workers)
{
    int32_t *map[2] = {NULL, NULL};
    for (int i = 0; i < n_workers; i++) {
        map[i] = bd_malloc((w[i].authors.n ? w[i].authors.n : 1) * sizeof *map[i]);
        for (size_t a = 0; a < w[i].authors.n; a++)
            map[i][a] = intern(&d->authors, w[i].authors.strs[a]);
    }
    char *auto_ack = bd_calloc(d->authors.n ? d->authors.n : 1, 1); /* per author */
    for (size_t i = 0; i < d->authors.n; i++)
        auto_ack[i] = (char)sla_is_auto_ack(d->cfg, d->authors.strs[i], NULL);
    size_t total = 0;
    for (size_t k = 0; k < x->n_chunks; k++) total += x->chunks[k].n;
    d->msgs = bd_malloc((total ? total : 1) * sizeof *d->msgs);
    d->msg_ticket = bd_malloc((total ? total : 1) * sizeof *d->msg_ticket);
    size_t n = 0;
    for (size_t k = 0; k < x->n_chunks; k++) {
        msg_chunk *c = &x->chunks[k];
        for (size_t i = 0; i < c->n; i++) {
            int32_t ti = ticket_index(d, c->tids[i]);
            if (ti < 0) continue;
            sla_msg m = c->msgs[i];
            if (m.author >= 0) m.author = map[c->worker][m.author];
            if (m.author >= 0 && auto_ack[m.author]) m.flags |= SLA_MSG_AUTO;
            if (!(m.flags & SLA_MSG_OUT) && d->n_excluded && is_excluded(d, m.id))
                m.flags |= SLA_MSG_EXCLUDED;
            d->msgs[n] = m;
            d->msg_ticket[n++] = ti;
        }
        free(c->msgs);
        free(c->tids);
        c->msgs = NULL;
        c->tids = NULL;
    }
    d->n_msgs = n;
    free(auto_ack);
    free(map[0]);
    free(map[1]);
}

/* ---- bucketing ---- */

static int excl_cmp(const void *a, const void *b)
{
    const excl *x = a, *y = b;
    if (x->message_id != y->message_id) return x->message_id < y->message_id ? -1 : 1;
    return x->event_id < y->event_id ? -1 : x->event_id > y->event_id;
}

static void settle_exclusions(sla_dataset *d)
{
    if (d->n_excl) qsort(d->excl, d->n_excl, sizeof *d->excl, excl_cmp);
    d->excluded = bd_malloc((d->n_excl ? d->n_excl : 1) * sizeof *d->excluded);
    for (size_t i = 0; i < d->n_excl; i++) {
        int last = i + 1 == d->n_excl || d->excl[i + 1].message_id != d->excl[i].message_id;
        if (last && d->excl[i].excluded) d->excluded[d->n_excluded++] = d->excl[i].message_id;
    }
    free(d->excl);
    d->excl = NULL;
}

static int msg_before(const sla_msg *a, const sla_msg *b)
{
    return a->at < b->at || (a->at == b->at && a->id < b->id);
}

/* Groups messages per ticket: a linear pass when the scan came in ticket order (the
 * covering index), else a counting sort; then orders each ticket's messages by time. */
static void bucket_messages(sla_dataset *d)
{
    d->msg_start = bd_calloc(d->n + 1, sizeof *d->msg_start);
    int sorted = 1;
    for (size_t i = 0; i < d->n_msgs; i++) {
        d->msg_start[d->msg_ticket[i] + 1]++;
        if (i && d->msg_ticket[i] < d->msg_ticket[i - 1]) sorted = 0;
    }
    for (size_t i = 0; i < d->n; i++) d->msg_start[i + 1] += d->msg_start[i];
    if (!sorted) {
        size_t *fill = bd_malloc((d->n + 1) * sizeof *fill);
        memcpy(fill, d->msg_start, (d->n + 1) * sizeof *fill);
        sla_msg *out = bd_malloc((d->n_msgs ? d->n_msgs : 1) * sizeof *out);
        for (size_t i = 0; i < d->n_msgs; i++) out[fill[d->msg_ticket[i]]++] = d->msgs[i];
        free(fill);
        free(d->msgs);
        d->msgs = out;
    }
    free(d->msg_ticket);
    d->msg_ticket = NULL;
    for (size_t t = 0; t < d->n; t++) /* insertion sort: a ticket has a handful */
        for (size_t i = d->msg_start[t] + 1; i < d->msg_start[t + 1]; i++) {
            if (!msg_before(&d->msgs[i], &d->msgs[i - 1])) continue;
            sla_msg x = d->msgs[i];
            size_t j = i;
            while (j > d->msg_start[t] && msg_before(&x, &d->msgs[j - 1])) {
                d->msgs[j] = d->msgs[j - 1];
                j--;
            }
            d->msgs[j] = x;
        }
}

static void bucket_changes(sla_dataset *d)
{
    d->chg_start = bd_calloc(d->n + 1, sizeof *d->chg_start);
    for (size_t i = 0; i < d->n_raw_changes; i++) d->chg_start[d->raw_changes[i].ticket + 1]++;
    for (size_t i = 0; i < d->n; i++) d->chg_start[i + 1] += d->chg_start[i];
    size_t *fill = bd_malloc((d->n + 1) * sizeof *fill);
    memcpy(fill, d->chg_start, (d->n + 1) * sizeof *fill);
    d->changes = bd_malloc((d->n_raw_changes ? d->n_raw_changes : 1) * sizeof *d->changes);
    /* raw changes are in event order; a stable insertion sort by time keeps ties in it */
    for (size_t i = 0; i < d->n_raw_changes; i++)
        d->changes[fill[d->raw_changes[i].ticket]++] = d->raw_changes[i].c;
    free(fill);
    free(d->raw_changes);
    d->raw_changes = NULL;
    for (size_t t = 0; t < d->n; t++)
        for (size_t i = d->chg_start[t] + 1; i < d->chg_start[t + 1]; i++) {
            sla_change x = d->changes[i];
            size_t j = i;
            while (j > d->chg_start[t] && x.at < d->changes[j - 1].at) {
                d->changes[j] = d->changes[j - 1];
                j--;
            }
            d->changes[j] = x;
        }
}

static int load_shops(sla_dataset *d, bd_store *s, bd_err *err)
{
    store_shop *shops;
    size_t n;
    if (store_shops_list(s, &shops, &n, err)) return -1;
    d->shops = bd_calloc(n ? n : 1, sizeof *d->shops);
    for (size_t i = 0; i < n; i++) {
        shop_info *sh = &d->shops[d->n_shops++];
        sh->id = shops[i].id;
        sh->name = bd_strdup(shops[i].name);
        sh->marketplace = bd_strdup(shops[i].marketplace);
        sh->team = sla_shop_team(d->cfg, sh->name);
        sh->calendar = sla_shop_calendar(d->cfg, sh->name);
        sh->deadline = sla_marketplace_deadline(d->cfg, sh->marketplace);
    }
    store_shops_free(shops, n);
    return 0;
}

/* Tickets and their clock events: the scope's tickets, or each ticket of its list. */
static int load_tickets(sla_dataset *d, bd_store *s, const sla_scope *scope,
                        store_sla_scope sc, bd_err *err)
{
    if (!scope->ticket_ids) {
        if (store_sla_tickets(s, &sc, on_ticket, d, err)) return -1;
        build_map(d);
        return store_sla_events(s, &sc, on_event, d, err);
    }
    for (size_t i = 0; i < scope->n_ticket_ids; i++) {
        sc.ticket_id = scope->ticket_ids[i];
        if (store_sla_tickets(s, &sc, on_ticket, d, err)) return -1;
    }
    build_map(d);
    for (size_t i = 0; i < scope->n_ticket_ids; i++) {
        sc.ticket_id = scope->ticket_ids[i];
        if (store_sla_events(s, &sc, on_event, d, err)) return -1;
    }
    return 0;
}

static void pool_free(intern_pool *p)
{
    for (size_t i = 0; i < p->n; i++) free(p->strs[i]);
    free(p->strs);
    free(p->slots);
}

int sla_dataset_load(bd_store *s, const sla_config *c, const sla_scope *scope,
                     sla_dataset **out, bd_err *err)
{
    *out = NULL;
    sla_dataset *d = bd_calloc(1, sizeof *d);
    d->cfg = c;
    store_sla_scope sc = {.ticket_id = scope->ticket_id,
                          .created_before = scope->created_before,
                          .active_since = scope->active_since,
                          .before = scope->as_of,
                          .buyer_language = scope->buyer_language};
    /* many tickets (and no marker to read from bodies): messages are read in ranges of
     * ticket ids by two workers; the second has its own connection, which sees committed
     * data (callers hold no uncommitted writes when they load many tickets) */
    msg_scan x = {.sc = sc, .cfg = c, .n_chunks = 1, .ids = scope->ticket_ids,
                  .n_ids = scope->n_ticket_ids};
    msg_worker w[2] = {{.scan = &x, .store = s, .id = 0}, {.scan = &x, .id = 1}};
    if (!scope->ticket_id && !scope->ticket_ids && !c->auto_marker) {
        int64_t max = store_ticket_max_id(s);
        if (max > 0) {
            x.n_chunks = SLA_SCAN_CHUNKS;
            x.chunk_ids = max / SLA_SCAN_CHUNKS + 1;
        }
    }
    x.chunks = bd_calloc(x.n_chunks, sizeof *x.chunks);
    pthread_mutex_init(&x.mu, NULL);
    pthread_t thread;
    bd_err e2;
    int threaded = x.n_chunks > 1 && store_open_reader(s, &w[1].store, &e2) == 0 &&
                   pthread_create(&thread, NULL, worker_main, &w[1]) == 0;
    if (!threaded && w[1].store) {
        store_close(w[1].store);
        w[1].store = NULL;
    }
    int rc = load_shops(d, s, err) || load_tickets(d, s, scope, sc, err);
    if (!rc) {
        worker_run(&w[0]);
    } else { /* stop the other worker early */
        pthread_mutex_lock(&x.mu);
        x.failed = 1;
        pthread_mutex_unlock(&x.mu);
    }
    if (threaded) pthread_join(thread, NULL);
    store_close(w[1].store);
    if (!rc && x.failed) rc = bd_err_set(err, "%s", x.err.msg);
    if (!rc) {
        settle_exclusions(d);
        adopt_messages(d, &x, w, threaded ? 2 : 1);
        bucket_messages(d);
        bucket_changes(d);
    }
    for (size_t k = 0; k < x.n_chunks; k++) {
        free(x.chunks[k].msgs);
        free(x.chunks[k].tids);
    }
    free(x.chunks);
    pool_free(&w[0].authors);
    pool_free(&w[1].authors);
    pthread_mutex_destroy(&x.mu);
    if (rc) {
        sla_dataset_free(d);
        return -1;
    }
    *out = d;
    return 0;
}

void sla_dataset_free(sla_dataset *d)
{
    if (!d) return;
    pool_free(&d->pool);
    pool_free(&d->authors);
    for (size_t i = 0; i < d->n_shops; i++) {
        free(d->shops[i].name);
        free(d->shops[i].marketplace);
    }
    free(d->shops);
    free(d->t);
    free(d->map);
    free(d->msgs);
    free(d->msg_start);
    free(d->changes);
    free(d->chg_start);
    free(d->msg_ticket);
    free(d->raw_changes);
    free(d->excl);
    free(d->excluded);
    free(d);
}

size_t sla_dataset_count(const sla_dataset *d)
{
    return d->n;
}

const sla_ticket_info *sla_dataset_ticket(const sla_dataset *d, size_t i)
{
    return &d->t[i];
}

void sla_dataset_input(const sla_dataset *d, size_t i, sla_ticket_in *in)
{
    const sla_ticket_info *t = &d->t[i];
    const shop_info *sh = &d->shops[t->shop];
    in->created_at = t->created_at;
    in->priority = t->priority;
    in->category = t->category;
    in->subcategory = t->subcategory;
    in->msgs = d->msgs + d->msg_start[i];
    in->n_msgs = d->msg_start[i + 1] - d->msg_start[i];
    in->changes = d->changes + d->chg_start[i];
    in->n_changes = d->chg_start[i + 1] - d->chg_start[i];
    in->team = sh->team;
    in->calendar = sh->calendar;
    in->deadline = sh->deadline;
}

const char *sla_dataset_author(const sla_dataset *d, int32_t author)
{
    return author >= 0 && (size_t)author < d->authors.n ? d->authors.strs[author] : "-";
}

const char *sla_dataset_shop(const sla_dataset *d, int32_t shop)
{
    return shop >= 0 && (size_t)shop < d->n_shops ? d->shops[shop].name : "-";
}

const char *sla_dataset_marketplace(const sla_dataset *d, int32_t shop)
{
    return shop >= 0 && (size_t)shop < d->n_shops ? d->shops[shop].marketplace : "-";
}
