/*
 * dataset.c — loads what the clocks of many tickets are computed from: tickets, their
 * messages and their clock events.
 *
 * A scan of all tickets is cut into ranges of ticket ids ("chunks"). Two workers — the
 * calling thread, and a second thread on its own read-only connection — take the chunks in
 * turn: each reads a chunk's tickets, clock events and messages with three index range scans
 * (all in ticket order, so rows are joined to their ticket by merging), groups them per
 * ticket and hands the chunk to the caller, then reuses the same memory for its next chunk.
 * So a report over a million tickets is a few sequential scans shared by two cores, with
 * each worker's data small enough to stay in cache and no large array built, copied or
 * grown. Strings that repeat (authors, categories, assignees) are interned once, in pools
 * that the workers share; each worker remembers the strings it has met, so the pools' lock
 * is taken only for a string the worker has not seen yet.
 */
#include "borderdesk/sla.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Chunks of a scan of all tickets: enough for the two workers to stay busy to the end. */
#define SLA_SCAN_CHUNKS 64

/* ---- interned strings, shared by the workers ---- */

/* A string never moves once added (blocks that double in size, never reallocated), so a
 * string is read by index without the lock; adding one takes it. */
#define POOL_BLOCKS 40
typedef struct intern_pool {
    pthread_mutex_t mu;
    char **blocks[POOL_BLOCKS]; /* block k holds 64 << k strings */
    size_t n;
    int32_t *slots; /* open addressing: index + 1, 0 empty */
    size_t n_slots;
} intern_pool;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static char **pool_slot(const intern_pool *p, size_t i)
{
    unsigned long long j = (unsigned long long)i + 64;
    int k = 63 - __builtin_clzll(j) - 6;
    return &p->blocks[k][j - (64ULL << k)];
}

static void pool_grow(intern_pool *p)
{
    size_t n = p->n_slots ? p->n_slots * 2 : 256;
    int32_t *slots = bd_calloc(n, sizeof *slots);
    for (size_t i = 0; i < p->n; i++) {
        size_t k = hash_str(*pool_slot(p, i)) & (n - 1);
        while (slots[k]) k = (k + 1) & (n - 1);
        slots[k] = (int32_t)i + 1;
    }
    free(p->slots);
    p->slots = slots;
    p->n_slots = n;
}

/* The index of s (hash h) in the pool, adding it; the caller holds the lock. */
static int32_t pool_intern(intern_pool *p, const char *s, uint64_t h)
{
    if ((p->n + 1) * 2 > p->n_slots) pool_grow(p);
    size_t k = h & (p->n_slots - 1);
    while (p->slots[k]) {
        int32_t i = p->slots[k] - 1;
        if (strcmp(*pool_slot(p, (size_t)i), s) == 0) return i;
        k = (k + 1) & (p->n_slots - 1);
    }
    unsigned long long j = (unsigned long long)p->n + 64;
    int b = 63 - __builtin_clzll(j) - 6;
    if (!p->blocks[b]) p->blocks[b] = bd_malloc((64ULL << b) * sizeof(char *));
    *pool_slot(p, p->n) = bd_strdup(s);
    p->slots[k] = (int32_t)p->n + 1;
    return (int32_t)p->n++;
}

static void pool_init(intern_pool *p)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
}

static void pool_free(intern_pool *p)
{
    for (size_t i = 0; i < p->n; i++) free(*pool_slot(p, i));
    for (int b = 0; b < POOL_BLOCKS; b++) free(p->blocks[b]);
    free(p->slots);
    pthread_mutex_destroy(&p->mu);
}

/* A worker's memory of the pool: string → index, and for authors whether replies by them
 * are auto-acknowledgements (decided once per author). */
typedef struct cache_entry {
    uint64_t hash;
    const char *str; /* the pool's copy */
    int32_t index;
    int auto_ack;
} cache_entry;

typedef struct str_cache {
    cache_entry *e;
    size_t n, n_slots;
} str_cache;

static void cache_grow(str_cache *c)
{
    size_t n = c->n_slots ? c->n_slots * 2 : 64;
    cache_entry *e = bd_calloc(n, sizeof *e);
    for (size_t i = 0; i < c->n_slots; i++) {
        if (!c->e[i].str) continue;
        size_t k = c->e[i].hash & (n - 1);
        while (e[k].str) k = (k + 1) & (n - 1);
        e[k] = c->e[i];
    }
    free(c->e);
    c->e = e;
    c->n_slots = n;
}

/* The entry of s, asking the pool the first time; cfg decides auto-acknowledgements (NULL:
 * not an author). */
static const cache_entry *cache_get(str_cache *c, intern_pool *p, const char *s,
                                    const sla_config *cfg)
{
    uint64_t h = hash_str(s);
    if ((c->n + 1) * 2 > c->n_slots) cache_grow(c);
    size_t k = h & (c->n_slots - 1);
    for (; c->e[k].str; k = (k + 1) & (c->n_slots - 1))
        if (c->e[k].hash == h && strcmp(c->e[k].str, s) == 0) return &c->e[k];
    pthread_mutex_lock(&p->mu);
    int32_t i = pool_intern(p, s, h);
    const char *str = *pool_slot(p, (size_t)i);
    pthread_mutex_unlock(&p->mu);
    c->e[k] = (cache_entry){h, str, i, cfg ? sla_is_auto_ack(cfg, str, NULL) : 0};
    c->n++;
    return &c->e[k];
}

/* ---- a chunk of tickets ---- */

typedef struct shop_info {
    int64_t id;
    const char *name, *marketplace;
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

typedef struct loader loader;

struct sla_dataset {
    loader *owner; /* sla_dataset_load: freed with the dataset */
    const intern_pool *authors;
    shop_info *shops; /* with the calendars of the worker's configuration */
    size_t n_shops;
    sla_ticket_info *t;
    size_t n, cap;
    sla_msg *msgs, *spare; /* spare: the other half of a counting sort */
    int32_t *msg_ticket;   /* parallel to msgs until bucketed */
    size_t n_msgs, cap_msgs, cap_spare;
    size_t *msg_start, *chg_start, *fill; /* n + 1 */
    size_t cap_starts;
    raw_change *raw; /* clock changes in event order, until bucketed */
    size_t n_raw, cap_raw;
    sla_change *changes;
    size_t cap_changes;
    excl *excl;
    size_t n_excl, cap_excl;
    int64_t *excluded; /* sorted ids of buyer messages marked "no response needed" */
    size_t n_excluded, cap_excluded;
};

typedef struct worker {
    loader *ld;
    int id;
    bd_store *store;
    const sla_config *cfg;
    sla_config *own_cfg; /* worker 1's copy */
    str_cache strings, authors;
    sla_dataset d; /* the chunk being loaded; its memory serves every chunk */
    size_t cursor; /* where the merge of rows into d's tickets is */
} worker;

struct loader {
    const sla_config *cfg;
    store_sla_scope sc;
    intern_pool strings, authors;
    store_shop *shops;
    size_t n_shops;
    pthread_mutex_t mu; /* guards next, failed and err */
    size_t next, n_chunks;
    int64_t chunk_ids; /* ticket ids per chunk; 0: one chunk, no range */
    sla_chunk_fn fn;
    void *ud;
    int failed;
    bd_err err;
    worker w[SLA_SCAN_WORKERS];
};

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) return p;
    size_t n = *cap ? *cap : 256;
    while (n < need) n *= 2;
    *cap = n;
    return bd_realloc(p, n * size);
}

/* The index of ticket id in d. Rows come in ticket order, so the search resumes where the
 * previous row left it; a row out of order (a scan in table order) searches from scratch. */
static int32_t find_ticket(worker *w, int64_t id)
{
    const sla_dataset *d = &w->d;
    size_t j = w->cursor;
    if (j < d->n && d->t[j].id < id) {
        while (j < d->n && d->t[j].id < id) j++;
    } else if (j > 0 && d->t[j - 1].id >= id) {
        size_t lo = 0, hi = j;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (d->t[mid].id < id) lo = mid + 1;
            else hi = mid;
        }
        j = lo;
    }
    w->cursor = j;
    return j < d->n && d->t[j].id == id ? (int32_t)j : -1;
}

static int32_t shop_index(const sla_dataset *d, int64_t shop_id)
{
    for (size_t i = 0; i < d->n_shops; i++)
        if (d->shops[i].id == shop_id) return (int32_t)i;
    return -1;
}

static const char *intern_str(worker *w, const char *s)
{
    return s ? cache_get(&w->strings, &w->ld->strings, s, NULL)->str : NULL;
}

/* ---- scan callbacks ---- */

static int on_ticket(void *ud, const store_sla_ticket *r, bd_err *err)
{
    worker *w = ud;
    sla_dataset *d = &w->d;
    d->t = grow(d->t, &d->cap, d->n + 1, sizeof *d->t);
    sla_ticket_info *t = &d->t[d->n];
    t->id = r->id;
    t->created_at = r->created_at;
    t->due_at = r->due_at;
    t->priority = r->priority;
    t->shop = shop_index(d, r->shop_id);
    if (t->shop < 0) return bd_err_set(err, "ticket %lld: unknown shop %lld", (long long)r->id,
                                       (long long)r->shop_id);
    t->status = intern_str(w, r->status);
    t->category = intern_str(w, r->category);
    t->subcategory = intern_str(w, r->subcategory);
    t->language = intern_str(w, r->language);
    t->assignee = intern_str(w, r->assignee);
    t->due_state = intern_str(w, r->due_state);
    d->n++;
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

/* An exclusion names its message; sla_no_response only marks a message of the event's own
 * ticket, so the events of a chunk's tickets hold every mark of the chunk's messages. */
static int on_event(void *ud, const store_sla_event *e, bd_err *err)
{
    (void)err;
    worker *w = ud;
    sla_dataset *d = &w->d;
    int32_t ti = find_ticket(w, e->ticket_id);
    if (ti < 0) return 0;
    if (e->message_id) {
        d->excl = grow(d->excl, &d->cap_excl, d->n_excl + 1, sizeof *d->excl);
        d->excl[d->n_excl++] =
            (excl){e->message_id, e->id, strcmp(e->kind, "no_response_needed") == 0};
        return 0;
    }
    int st = status_code(e->status);
    if (st < 0) return 0;
    d->raw = grow(d->raw, &d->cap_raw, d->n_raw + 1, sizeof *d->raw);
    d->raw[d->n_raw++] = (raw_change){ti, {e->at, st}};
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
    worker *w = ud;
    sla_dataset *d = &w->d;
    int32_t ti = find_ticket(w, m->ticket_id);
    if (ti < 0) return 0;
    if (d->n_msgs == d->cap_msgs) {
        d->msgs = grow(d->msgs, &d->cap_msgs, d->n_msgs + 1, sizeof *d->msgs);
        d->msg_ticket = bd_realloc(d->msg_ticket, d->cap_msgs * sizeof *d->msg_ticket);
    }
    d->msg_ticket[d->n_msgs] = ti;
    sla_msg *r = &d->msgs[d->n_msgs++];
    r->id = m->id;
    r->at = m->sent_at;
    r->flags = m->note ? SLA_MSG_NOTE : 0;
    r->author = -1;
    if (m->direction == BD_DIR_OUT) {
        r->flags |= SLA_MSG_OUT;
        if (m->author) {
            const cache_entry *a = cache_get(&w->authors, &w->ld->authors, m->author, w->cfg);
            r->author = a->index;
            if (a->auto_ack) r->flags |= SLA_MSG_AUTO;
        }
        if (m->marked) r->flags |= SLA_MSG_AUTO;
    } else if (d->n_excluded && is_excluded(d, m->id)) {
        r->flags |= SLA_MSG_EXCLUDED;
    }
    return 0;
}

/* ---- grouping per ticket ---- */

static int excl_cmp(const void *a, const void *b)
{
    const excl *x = a, *y = b;
    if (x->message_id != y->message_id) return x->message_id < y->message_id ? -1 : 1;
    return x->event_id < y->event_id ? -1 : x->event_id > y->event_id;
}

/* A message is excluded when its last mark says so. */
static void settle_exclusions(sla_dataset *d)
{
    if (!d->n_excl) return;
    qsort(d->excl, d->n_excl, sizeof *d->excl, excl_cmp);
    d->excluded = grow(d->excluded, &d->cap_excluded, d->n_excl, sizeof *d->excluded);
    for (size_t i = 0; i < d->n_excl; i++) {
        int last = i + 1 == d->n_excl || d->excl[i + 1].message_id != d->excl[i].message_id;
        if (last && d->excl[i].excluded) d->excluded[d->n_excluded++] = d->excl[i].message_id;
    }
}

static int msg_before(const sla_msg *a, const sla_msg *b)
{
    return a->at < b->at || (a->at == b->at && a->id < b->id);
}

/* Groups messages per ticket: a linear pass when the scan came in ticket order (the
 * covering index), else a counting sort; then orders each ticket's messages by time. */
static void bucket_messages(sla_dataset *d)
{
    memset(d->msg_start, 0, (d->n + 1) * sizeof *d->msg_start);
    int sorted = 1;
    for (size_t i = 0; i < d->n_msgs; i++) {
        d->msg_start[d->msg_ticket[i] + 1]++;
        if (i && d->msg_ticket[i] < d->msg_ticket[i - 1]) sorted = 0;
    }
    for (size_t i = 0; i < d->n; i++) d->msg_start[i + 1] += d->msg_start[i];
    if (!sorted) {
        memcpy(d->fill, d->msg_start, (d->n + 1) * sizeof *d->fill);
        d->spare = grow(d->spare, &d->cap_spare, d->n_msgs, sizeof *d->spare);
        for (size_t i = 0; i < d->n_msgs; i++) d->spare[d->fill[d->msg_ticket[i]]++] = d->msgs[i];
        sla_msg *m = d->msgs;
        size_t cap = d->cap_msgs;
        d->msgs = d->spare;
        d->cap_msgs = d->cap_spare;
        d->spare = m;
        d->cap_spare = cap;
        d->msg_ticket = bd_realloc(d->msg_ticket, d->cap_msgs * sizeof *d->msg_ticket);
    }
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
    memset(d->chg_start, 0, (d->n + 1) * sizeof *d->chg_start);
    for (size_t i = 0; i < d->n_raw; i++) d->chg_start[d->raw[i].ticket + 1]++;
    for (size_t i = 0; i < d->n; i++) d->chg_start[i + 1] += d->chg_start[i];
    memcpy(d->fill, d->chg_start, (d->n + 1) * sizeof *d->fill);
    d->changes = grow(d->changes, &d->cap_changes, d->n_raw, sizeof *d->changes);
    /* raw changes are in event order; a stable insertion sort by time keeps ties in it */
    for (size_t i = 0; i < d->n_raw; i++) d->changes[d->fill[d->raw[i].ticket]++] = d->raw[i].c;
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

/* Reads the tickets of sc into the worker's dataset, then their events and messages. */
static int load_chunk(worker *w, const store_sla_scope *sc, bd_err *err)
{
    sla_dataset *d = &w->d;
    d->n = d->n_msgs = d->n_raw = d->n_excl = d->n_excluded = 0;
    if (store_sla_tickets(w->store, sc, on_ticket, w, err)) return -1;
    if (!d->n) return 0;
    w->cursor = 0;
    if (store_sla_events(w->store, sc, on_event, w, err)) return -1;
    settle_exclusions(d);
    w->cursor = 0;
    if (store_sla_messages(w->store, sc, w->ld->cfg->auto_marker, on_message, w, err)) return -1;
    if (d->n + 1 > d->cap_starts) {
        d->cap_starts = (d->n + 1) * 2;
        d->msg_start = bd_realloc(d->msg_start, d->cap_starts * sizeof *d->msg_start);
        d->chg_start = bd_realloc(d->chg_start, d->cap_starts * sizeof *d->chg_start);
        d->fill = bd_realloc(d->fill, d->cap_starts * sizeof *d->fill);
    }
    bucket_messages(d);
    bucket_changes(d);
    return 0;
}

/* ---- workers ---- */

static void dataset_clear(sla_dataset *d)
{
    free(d->shops);
    free(d->t);
    free(d->msgs);
    free(d->spare);
    free(d->msg_ticket);
    free(d->msg_start);
    free(d->chg_start);
    free(d->fill);
    free(d->raw);
    free(d->changes);
    free(d->excl);
    free(d->excluded);
    memset(d, 0, sizeof *d);
}

/* Worker i of ld: its configuration (a copy for a second thread) and its shops. */
static int worker_init(loader *ld, int i, bd_store *s, bd_err *err)
{
    worker *w = &ld->w[i];
    w->ld = ld;
    w->id = i;
    w->store = s; /* first: worker 1 owns its connection from here on */
    w->cfg = ld->cfg;
    if (i > 0 && !(w->cfg = w->own_cfg = sla_config_thread_copy(ld->cfg, err))) return -1;
    sla_dataset *d = &w->d;
    d->authors = &ld->authors;
    d->shops = bd_calloc(ld->n_shops ? ld->n_shops : 1, sizeof *d->shops);
    for (size_t k = 0; k < ld->n_shops; k++) {
        shop_info *sh = &d->shops[d->n_shops++];
        sh->id = ld->shops[k].id;
        sh->name = ld->shops[k].name;
        sh->marketplace = ld->shops[k].marketplace;
        sh->team = sla_shop_team(w->cfg, sh->name);
        sh->calendar = sla_shop_calendar(w->cfg, sh->name);
        sh->deadline = sla_marketplace_deadline(w->cfg, sh->marketplace);
    }
    return 0;
}

static void worker_clear(worker *w)
{
    dataset_clear(&w->d);
    free(w->strings.e);
    free(w->authors.e);
    sla_config_thread_free(w->own_cfg);
    if (w->id > 0) store_close(w->store);
    memset(w, 0, sizeof *w);
}

static void fail(loader *ld, const bd_err *e)
{
    pthread_mutex_lock(&ld->mu);
    if (!ld->failed) ld->err = *e;
    ld->failed = 1;
    pthread_mutex_unlock(&ld->mu);
}

/* Loads and hands over chunks until none is left (or a worker failed). */
static void worker_run(worker *w)
{
    loader *ld = w->ld;
    for (;;) {
        pthread_mutex_lock(&ld->mu);
        size_t k = ld->next < ld->n_chunks && !ld->failed ? ld->next++ : ld->n_chunks;
        pthread_mutex_unlock(&ld->mu);
        if (k == ld->n_chunks) return;
        store_sla_scope sc = ld->sc;
        if (ld->chunk_ids) { /* the last chunk is open: tickets added since max(id) */
            sc.ticket_from = (int64_t)k * ld->chunk_ids;
            sc.ticket_to = k + 1 < ld->n_chunks ? (int64_t)(k + 1) * ld->chunk_ids : 0;
        }
        bd_err e;
        if (load_chunk(w, &sc, &e) || (w->d.n && ld->fn(ld->ud, w->id, w->cfg, &w->d, &e))) {
            fail(ld, &e);
            return;
        }
    }
}

static void *worker_main(void *arg)
{
    worker_run(arg);
    return NULL;
}

static loader *loader_new(bd_store *s, const sla_config *c, const sla_scope *scope, bd_err *err)
{
    loader *ld = bd_calloc(1, sizeof *ld);
    ld->cfg = c;
    ld->sc = (store_sla_scope){.ticket_id = scope->ticket_id,
                               .created_before = scope->created_before,
                               .active_since = scope->active_since,
                               .before = scope->as_of,
                               .buyer_language = scope->buyer_language};
    ld->n_chunks = 1;
    pool_init(&ld->strings);
    pool_init(&ld->authors);
    pthread_mutex_init(&ld->mu, NULL);
    if (store_shops_list(s, &ld->shops, &ld->n_shops, err) || worker_init(ld, 0, s, err)) {
        pthread_mutex_destroy(&ld->mu);
        pool_free(&ld->authors);
        pool_free(&ld->strings);
        worker_clear(&ld->w[0]);
        store_shops_free(ld->shops, ld->n_shops);
        free(ld);
        return NULL;
    }
    return ld;
}

static void loader_free(loader *ld)
{
    if (!ld) return;
    for (int i = 0; i < SLA_SCAN_WORKERS; i++) worker_clear(&ld->w[i]);
    store_shops_free(ld->shops, ld->n_shops);
    pool_free(&ld->strings);
    pool_free(&ld->authors);
    pthread_mutex_destroy(&ld->mu);
    free(ld);
}

int sla_dataset_scan(bd_store *s, const sla_config *c, const sla_scope *scope, sla_chunk_fn fn,
                     void *ud, bd_err *err)
{
    loader *ld = loader_new(s, c, scope, err);
    if (!ld) return -1;
    ld->fn = fn;
    ld->ud = ud;
    /* many tickets (and no marker to read from bodies): chunks for two workers */
    if (!scope->ticket_id && !c->auto_marker) {
        int64_t max = store_ticket_max_id(s);
        if (max > 0) {
            ld->n_chunks = SLA_SCAN_CHUNKS;
            ld->chunk_ids = max / SLA_SCAN_CHUNKS + 1;
        }
    }
    /* without a second connection or thread, this one does all the chunks */
    pthread_t thread;
    bd_err e2;
    bd_store *reader;
    int threaded = ld->n_chunks > 1 && store_open_reader(s, &reader, &e2) == 0 &&
                   worker_init(ld, 1, reader, &e2) == 0 && /* the worker closes reader */
                   pthread_create(&thread, NULL, worker_main, &ld->w[1]) == 0;
    worker_run(&ld->w[0]);
    if (threaded) pthread_join(thread, NULL);
    int rc = ld->failed ? bd_err_set(err, "%s", ld->err.msg) : 0;
    loader_free(ld);
    return rc;
}

/* Ids at most this far apart are loaded as one range of ids (the tickets between them
 * come along and are skipped): one query per table for the run instead of three per
 * ticket. */
#define SLA_IDS_GAP 8

int sla_dataset_scan_ids(bd_store *s, const sla_config *c, const sla_scope *scope,
                         const int64_t *ids, size_t n, sla_chunk_fn fn, void *ud, bd_err *err)
{
    sla_scope one = *scope;
    one.ticket_id = 0;
    loader *ld = loader_new(s, c, &one, err);
    if (!ld) return -1;
    int rc = 0;
    for (size_t i = 0, j; !rc && i < n; i = j + 1) {
        j = i;
        /* a message scan with a marker reads bodies in table order: no ranges then */
        while (!c->auto_marker && j + 1 < n && ids[j + 1] - ids[j] <= SLA_IDS_GAP) j++;
        store_sla_scope sc = ld->sc;
        if (j == i) {
            sc.ticket_id = ids[i];
        } else {
            sc.ticket_from = ids[i];
            sc.ticket_to = ids[j] + 1;
        }
        worker *w = &ld->w[0];
        rc = load_chunk(w, &sc, err) || (w->d.n && fn(ud, 0, w->cfg, &w->d, err)) ? -1 : 0;
    }
    loader_free(ld);
    return rc;
}

int sla_dataset_load(bd_store *s, const sla_config *c, const sla_scope *scope,
                     sla_dataset **out, bd_err *err)
{
    *out = NULL;
    loader *ld = loader_new(s, c, scope, err);
    if (!ld) return -1;
    if (load_chunk(&ld->w[0], &ld->sc, err)) {
        loader_free(ld);
        return -1;
    }
    sla_dataset *d = bd_malloc(sizeof *d);
    *d = ld->w[0].d; /* the dataset takes the worker's memory, and the loader with it */
    memset(&ld->w[0].d, 0, sizeof ld->w[0].d);
    d->owner = ld;
    *out = d;
    return 0;
}

void sla_dataset_free(sla_dataset *d)
{
    if (!d) return;
    loader *ld = d->owner;
    dataset_clear(d);
    free(d);
    loader_free(ld);
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

/* author comes from one of d's messages, so it was interned before d was handed over (no
 * lock needed to read it) */
const char *sla_dataset_author(const sla_dataset *d, int32_t author)
{
    return author >= 0 ? *pool_slot(d->authors, (size_t)author) : "-";
}

const char *sla_dataset_shop(const sla_dataset *d, int32_t shop)
{
    return shop >= 0 && (size_t)shop < d->n_shops ? d->shops[shop].name : "-";
}

const char *sla_dataset_marketplace(const sla_dataset *d, int32_t shop)
{
    return shop >= 0 && (size_t)shop < d->n_shops ? d->shops[shop].marketplace : "-";
}
