/*
 * report.c — the SLA report and the workload report, aggregated from the clocks of every
 * ticket in scope (sla_ticket_compute), so the numbers always follow from messages and
 * events. A clock belongs to the period in which it started.
 */
#include "borderdesk/sla.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400

static const char *const group_names[] = {"none",     "agent",    "shop", "marketplace",
                                          "category", "language", "day",  "week"};

int sla_group_parse(const char *name)
{
    for (int i = 0; i < (int)(sizeof group_names / sizeof group_names[0]); i++)
        if (bd_streq(name, group_names[i])) return i;
    return -1;
}

const char *sla_group_name(int group)
{
    return group >= 0 && group <= SLA_GROUP_WEEK ? group_names[group] : "?";
}

/* ---- the period ---- */

/* A date (local day start; `end` moves to the next day's start) or an RFC 3339 instant. */
static int parse_bound(const sla_config *c, const char *s, int end, int64_t *out)
{
    int64_t day;
    if (cal_parse_date(s, &day) == 0) {
        *out = cal_day_start(c->report_calendar, day + (end ? 1 : 0));
        return 0;
    }
    return bd_time_parse(s, out);
}

int sla_report_period(const sla_config *c, const char *from, const char *to, int default_days,
                      int64_t now, int64_t *f, int64_t *t, bd_err *err)
{
    cal_local today;
    cal_local_time(c->report_calendar, now, &today);
    if (to) {
        if (parse_bound(c, to, 1, t))
            return bd_err_set(err, "to: \"%s\" is not a date (YYYY-MM-DD) or RFC 3339 time", to);
    } else {
        *t = cal_day_start(c->report_calendar, today.day_number + 1);
    }
    if (from) {
        if (parse_bound(c, from, 0, f))
            return bd_err_set(err, "from: \"%s\" is not a date (YYYY-MM-DD) or RFC 3339 time",
                              from);
    } else {
        cal_local end;
        cal_local_time(c->report_calendar, *t - 1, &end);
        *f = cal_day_start(c->report_calendar, end.day_number - default_days + 1);
    }
    if (*t <= *f) return bd_err_set(err, "to: the end of the period is before its start");
    return 0;
}

/* ---- histogram buckets: 5 min, 15 min, 1 h, 4 h, 8 h, 24 h, 72 h, more ---- */

const int64_t sla_bucket_bounds[SLA_N_BUCKETS - 1] = {300, 900, 3600, 14400, 28800, 86400,
                                                      259200};

static int bucket_of(int64_t seconds)
{
    int b = 0;
    while (b < SLA_N_BUCKETS - 1 && seconds > sla_bucket_bounds[b]) b++;
    return b;
}

/* ---- a keyed table of rows with per-clock value lists ---- */

/* The values of one clock of a row, in blocks that never move: no copy as they grow, and
 * joining two workers' rows only joins their block lists. */
#define VALS_BLOCK 4096
typedef struct vals_block {
    int64_t *v;
    size_t n;
} vals_block;

typedef struct vals {
    vals_block *b;
    size_t n_blocks, cap_blocks;
} vals;

typedef struct acc_row {
    char *key;
    sla_stat stat[SLA_N_CLOCKS];
    vals values[SLA_N_CLOCKS];
} acc_row;

typedef struct acc_table {
    acc_row *rows;
    size_t n, cap;
    int32_t *slots;
    size_t n_slots;
} acc_table;

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void table_grow(acc_table *t)
{
    size_t n = t->n_slots ? t->n_slots * 2 : 64;
    int32_t *slots = bd_calloc(n, sizeof *slots);
    for (size_t i = 0; i < t->n; i++) {
        size_t k = hash_key(t->rows[i].key) & (n - 1);
        while (slots[k]) k = (k + 1) & (n - 1);
        slots[k] = (int32_t)i + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->n_slots = n;
}

static acc_row *table_row(acc_table *t, const char *key)
{
    if ((t->n + 1) * 2 > t->n_slots) table_grow(t);
    size_t k = hash_key(key) & (t->n_slots - 1);
    while (t->slots[k]) {
        acc_row *r = &t->rows[t->slots[k] - 1];
        if (strcmp(r->key, key) == 0) return r;
        k = (k + 1) & (t->n_slots - 1);
    }
    if (t->n == t->cap) t->rows = bd_realloc(t->rows, (t->cap = t->cap ? t->cap * 2 : 16) * sizeof *t->rows);
    acc_row *r = &t->rows[t->n];
    memset(r, 0, sizeof *r);
    r->key = bd_strdup(key);
    t->slots[k] = (int32_t)t->n + 1;
    t->n++;
    return r;
}

static void vals_push(vals *v, int64_t x)
{
    vals_block *last = v->n_blocks ? &v->b[v->n_blocks - 1] : NULL;
    if (!last || last->n == VALS_BLOCK) {
        if (v->n_blocks == v->cap_blocks)
            v->b = bd_realloc(v->b, (v->cap_blocks = v->cap_blocks ? v->cap_blocks * 2 : 8) *
                                        sizeof *v->b);
        last = &v->b[v->n_blocks++];
        last->v = bd_malloc(VALS_BLOCK * sizeof *last->v);
        last->n = 0;
    }
    last->v[last->n++] = x;
}

/* Moves src's blocks to dst. */
static void vals_join(vals *dst, vals *src)
{
    if (dst->n_blocks + src->n_blocks > dst->cap_blocks)
        dst->b = bd_realloc(dst->b, (dst->cap_blocks = dst->n_blocks + src->n_blocks) *
                                        sizeof *dst->b);
    if (src->n_blocks) memcpy(dst->b + dst->n_blocks, src->b, src->n_blocks * sizeof *src->b);
    dst->n_blocks += src->n_blocks;
    free(src->b);
    memset(src, 0, sizeof *src);
}

/* Copies the values to out; returns how many. */
static size_t vals_gather(const vals *v, int64_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n_blocks; i++) {
        memcpy(out + n, v->b[i].v, v->b[i].n * sizeof *out);
        n += v->b[i].n;
    }
    return n;
}

static void vals_free(vals *v)
{
    for (size_t i = 0; i < v->n_blocks; i++) free(v->b[i].v);
    free(v->b);
    memset(v, 0, sizeof *v);
}

/* Adds src's counts and values to dst (rows of two workers' tables). */
static void row_merge(acc_row *dst, acc_row *src)
{
    for (int c = 0; c < SLA_N_CLOCKS; c++) {
        sla_stat *d = &dst->stat[c];
        const sla_stat *s = &src->stat[c];
        d->count += s->count;
        d->running += s->running;
        d->with_target += s->with_target;
        d->within += s->within;
        d->breaches += s->breaches;
        for (int b = 0; b < SLA_N_BUCKETS; b++) d->histogram[b] += s->histogram[b];
        vals_join(&dst->values[c], &src->values[c]);
    }
}

static void table_merge(acc_table *dst, acc_table *src)
{
    for (size_t i = 0; i < src->n; i++) {
        row_merge(table_row(dst, src->rows[i].key), &src->rows[i]);
        free(src->rows[i].key);
    }
    free(src->rows);
    free(src->slots);
    memset(src, 0, sizeof *src);
}

/* The k-th smallest of a[0..n) (0-based), rearranging a: quickselect, linear on average. */
static int64_t select_kth(int64_t *a, int64_t n, int64_t k)
{
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi];
        int64_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        int64_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) i++;
            while (a[j] > pivot) j--;
            if (i <= j) {
                int64_t t = a[i];
                a[i++] = a[j];
                a[j--] = t;
            }
        }
        /* [lo, j] <= pivot, (j, i) == pivot, [i, hi] >= pivot */
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return a[k];
    }
    return a[k];
}

/* Median: the middle value, or the mean of the two middle values (rounded down).
 * p90: nearest rank, the smallest value with at least 90% of the values at or below it.
 * Of a[0..n), which is rearranged. */
static void quantiles(int64_t *a, int64_t n, sla_stat *s)
{
    s->median = s->p90 = -1;
    if (!n) return;
    int64_t upper = select_kth(a, n, n / 2);
    if (n % 2) {
        s->median = upper;
    } else { /* the lower middle is the largest value left of n/2 */
        int64_t lower = a[0];
        for (int64_t i = 1; i < n / 2; i++)
            if (a[i] > lower) lower = a[i];
        s->median = (lower + upper) / 2;
    }
    /* rank ceil(0.9 n), at or right of n/2: the selection left a[n/2..n) holding the
     * values from the median up, so it is searched alone */
    int64_t k = (n * 9 + 9) / 10 - 1;
    s->p90 = select_kth(a + n / 2, n - n / 2, k - n / 2);
}

/* The row's statistics into out, which takes its key; scratch holds any clock's values. */
static void settle(acc_row *r, sla_group_row *out, int64_t *scratch)
{
    out->key = r->key;
    r->key = NULL;
    for (int c = 0; c < SLA_N_CLOCKS; c++) {
        quantiles(scratch, (int64_t)vals_gather(&r->values[c], scratch), &r->stat[c]);
        vals_free(&r->values[c]);
        out->stat[c] = r->stat[c];
    }
}

/* The total keeps no values of its own: every clock it counts is in exactly one group, so
 * its median and percentile are those of all the groups' values together. */
static void settle_total(acc_row *total, const acc_table *groups, sla_group_row *out,
                         int64_t *scratch)
{
    out->key = total->key;
    total->key = NULL;
    for (int c = 0; c < SLA_N_CLOCKS; c++) {
        size_t n = 0;
        for (size_t i = 0; i < groups->n; i++) n += vals_gather(&groups->rows[i].values[c], scratch + n);
        quantiles(scratch, (int64_t)n, &total->stat[c]);
        out->stat[c] = total->stat[c];
    }
}

static int row_cmp(const void *a, const void *b)
{
    return strcmp(((const sla_group_row *)a)->key, ((const sla_group_row *)b)->key);
}

/* ---- the SLA report ---- */

/* What one worker gathers from its chunks; the workers' parts are merged at the end (counts
 * add up, value lists are joined, so medians and percentiles stay exact). */
typedef struct report_part {
    acc_table groups;
    acc_row total;
    sla_breach *breaches;
    size_t n_breaches, cap_breaches;
    sla_late_rate *late; /* per shop index */
    size_t n_late;
    size_t tickets;
    sla_result res;
} report_part;

typedef struct report_ctx {
    const sla_report_opts *o;
    report_part part[SLA_SCAN_WORKERS];
} report_ctx;

static void local_day(const sla_config *c, int64_t t, char *out, size_t n)
{
    cal_local l;
    cal_local_time(c->report_calendar, t, &l);
    snprintf(out, n, "%04d-%02d-%02d", l.year, l.month, l.day);
}

/* ISO 8601 week of the local date: "2026-W11". */
static void local_week(const sla_config *c, int64_t t, char *out, size_t n)
{
    cal_local l;
    cal_local_time(c->report_calendar, t, &l);
    int iso_wday = l.wday == 0 ? 7 : l.wday;
    int64_t thursday = l.day_number - iso_wday + 4;
    int y, m, d;
    cal_civil_from_days(thursday, &y, &m, &d);
    int64_t week = (thursday - cal_days_from_civil(y, 1, 1)) / 7 + 1;
    snprintf(out, n, "%04d-W%02lld", y, (long long)week);
}

static const char *agent_of(const sla_dataset *d, const sla_ticket_info *t, const sla_measure *m)
{
    if (m->clock != SLA_RESOLUTION && m->end) return sla_dataset_author(d, m->author);
    return t->assignee ? t->assignee : "(unassigned)";
}

/* The group a clock falls in; day and week keys are written into buf. */
static const char *group_key(const sla_config *c, const sla_dataset *d, int group,
                             const sla_ticket_info *t, const sla_measure *m, char *buf, size_t n)
{
    switch (group) {
    case SLA_GROUP_AGENT: return agent_of(d, t, m);
    case SLA_GROUP_SHOP: return sla_dataset_shop(d, t->shop);
    case SLA_GROUP_MARKETPLACE: return sla_dataset_marketplace(d, t->shop);
    case SLA_GROUP_CATEGORY: return t->category ? t->category : "(unclassified)";
    case SLA_GROUP_LANGUAGE: return t->language ? t->language : "(unknown)";
    case SLA_GROUP_DAY: local_day(c, m->start, buf, n); return buf;
    case SLA_GROUP_WEEK: local_week(c, m->start, buf, n); return buf;
    }
    return "all";
}

/* Counts the measure in row; its value is kept for the median when keep is set. */
static void account(acc_row *row, const sla_measure *m, int market, int breached, int keep)
{
    sla_stat *s = &row->stat[m->clock];
    int has_target = market ? (m->deadline >= 0 && m->clock != SLA_RESOLUTION) : m->target >= 0;
    if (m->end) {
        int64_t value = market ? m->elapsed : m->business;
        s->count++;
        s->histogram[bucket_of(value)]++;
        if (keep) vals_push(&row->values[m->clock], value);
        if (has_target) {
            s->with_target++;
            s->within += !breached;
        }
    } else if (m->running) {
        s->running++;
        if (breached) s->with_target++;
    } else if (breached) { /* solved without an answer, after the target */
        s->with_target++;
    }
    s->breaches += breached;
}

static void add_breach(report_part *p, int market, const sla_dataset *d,
                       const sla_ticket_info *t, const sla_measure *m)
{
    if (p->n_breaches == p->cap_breaches)
        p->breaches = bd_realloc(p->breaches, (p->cap_breaches = p->cap_breaches
                                                                     ? p->cap_breaches * 2
                                                                     : 64) *
                                                  sizeof *p->breaches);
    sla_breach *b = &p->breaches[p->n_breaches++];
    memset(b, 0, sizeof *b);
    b->ticket_id = t->id;
    b->clock = m->clock;
    b->agent = bd_strdup(agent_of(d, t, m));
    b->shop = bd_strdup(sla_dataset_shop(d, t->shop));
    b->start = m->start;
    b->end = m->end;
    b->due = market ? m->start + m->deadline : m->due;
    b->late = sla_measure_late(m, market);
}

static void late_rates(int64_t as_of, const sla_result *res, int64_t deadline,
                       sla_late_rate *lr)
{
    static const int windows[3] = {7, 30, 90};
    for (size_t i = 0; i < res->n_contacts; i++) {
        const sla_contact *c = &res->contacts[i];
        int answered = c->answered_at != 0;
        int64_t waited = (answered ? c->answered_at : as_of) - c->at;
        if (!answered && waited <= deadline) continue; /* still within the deadline */
        for (int w = 0; w < 3; w++) {
            if (c->at < as_of - windows[w] * (int64_t)DAY || c->at >= as_of) continue;
            lr->counted[w]++;
            lr->late[w] += waited > deadline;
        }
    }
}

/* The late-response counts of shop (an index of the dataset), named on first use. */
static sla_late_rate *late_of(report_part *p, const sla_dataset *d, int32_t shop)
{
    if ((size_t)shop >= p->n_late) {
        size_t grow = (size_t)shop + 1;
        p->late = bd_realloc(p->late, grow * sizeof *p->late);
        memset(p->late + p->n_late, 0, (grow - p->n_late) * sizeof *p->late);
        p->n_late = grow;
    }
    sla_late_rate *lr = &p->late[shop];
    if (!lr->shop) {
        lr->shop = bd_strdup(sla_dataset_shop(d, shop));
        lr->marketplace = bd_strdup(sla_dataset_marketplace(d, shop));
    }
    return lr;
}

/* One chunk of tickets, in worker `worker` with its configuration c. */
static int report_chunk(void *ud, int worker, const sla_config *c, const sla_dataset *d,
                        bd_err *err)
{
    (void)err;
    report_ctx *x = ud;
    const sla_report_opts *o = x->o;
    report_part *p = &x->part[worker];
    size_t n = sla_dataset_count(d);
    p->tickets += n;
    for (size_t i = 0; i < n; i++) {
        const sla_ticket_info *t = sla_dataset_ticket(d, i);
        sla_ticket_in in;
        sla_dataset_input(d, i, &in);
        sla_ticket_compute(c, &in, o->as_of, &p->res);
        for (size_t k = 0; k < p->res.n; k++) {
            const sla_measure *m = &p->res.m[k];
            if (m->start < o->from || m->start >= o->to) continue;
            int breached = sla_measure_breached(m, o->marketplace);
            char buf[32];
            account(table_row(&p->groups, group_key(c, d, o->group, t, m, buf, sizeof buf)), m,
                    o->marketplace, breached, 1);
            account(&p->total, m, o->marketplace, breached, 0);
            if (breached && o->breaches) add_breach(p, o->marketplace, d, t, m);
        }
        late_rates(o->as_of, &p->res, in.deadline, late_of(p, d, t->shop));
    }
    return 0;
}

/* Merges the other workers' parts into the first. */
static void report_merge(report_ctx *x)
{
    report_part *p = &x->part[0];
    for (int w = 1; w < SLA_SCAN_WORKERS; w++) {
        report_part *q = &x->part[w];
        table_merge(&p->groups, &q->groups);
        row_merge(&p->total, &q->total); /* counts only */
        if (q->n_breaches) {
            p->breaches = bd_realloc(p->breaches,
                                     (p->n_breaches + q->n_breaches) * sizeof *p->breaches);
            memcpy(p->breaches + p->n_breaches, q->breaches, q->n_breaches * sizeof *q->breaches);
            p->n_breaches += q->n_breaches;
            p->cap_breaches = p->n_breaches;
            q->n_breaches = 0;
        }
        for (size_t i = 0; i < q->n_late; i++) {
            if (!q->late[i].shop) continue;
            sla_late_rate *l = &q->late[i];
            if (i >= p->n_late || !p->late[i].shop) { /* take q's names */
                if (i >= p->n_late) {
                    p->late = bd_realloc(p->late, (i + 1) * sizeof *p->late);
                    memset(p->late + p->n_late, 0, (i + 1 - p->n_late) * sizeof *p->late);
                    p->n_late = i + 1;
                }
                p->late[i] = *l;
                memset(l, 0, sizeof *l);
                continue;
            }
            for (int k = 0; k < 3; k++) {
                p->late[i].counted[k] += l->counted[k];
                p->late[i].late[k] += l->late[k];
            }
        }
        p->tickets += q->tickets;
    }
}

static void report_ctx_clear(report_ctx *x)
{
    for (int w = 0; w < SLA_SCAN_WORKERS; w++) {
        report_part *p = &x->part[w];
        for (size_t i = 0; i < p->groups.n; i++) {
            free(p->groups.rows[i].key);
            for (int c = 0; c < SLA_N_CLOCKS; c++) vals_free(&p->groups.rows[i].values[c]);
        }
        free(p->groups.rows);
        free(p->groups.slots);
        free(p->total.key);
        for (size_t i = 0; i < p->n_breaches; i++) {
            free(p->breaches[i].agent);
            free(p->breaches[i].shop);
        }
        free(p->breaches);
        for (size_t i = 0; i < p->n_late; i++) {
            free(p->late[i].shop);
            free(p->late[i].marketplace);
        }
        free(p->late);
        sla_result_clear(&p->res);
    }
}

static int lookup_buyers(bd_store *s, sla_report *r, bd_err *err)
{
    for (size_t i = 0; i < r->n_breaches; i++) {
        store_ticket t;
        int rc = store_ticket_get(s, r->breaches[i].ticket_id, &t, err);
        if (rc < 0) return -1;
        if (rc) r->breaches[i].buyer = bd_strdup(t.buyer_name ? t.buyer_name : t.buyer_external_id);
        store_ticket_clear(&t);
    }
    return 0;
}

/* Latest first; a ticket's clocks of one kind (next replies) by start, so that the order
 * does not depend on which worker found them. */
static int breach_cmp(const void *a, const void *b)
{
    const sla_breach *x = a, *y = b;
    if (x->late != y->late) return x->late > y->late ? -1 : 1;
    if (x->ticket_id != y->ticket_id) return x->ticket_id < y->ticket_id ? -1 : 1;
    if (x->clock != y->clock) return x->clock - y->clock;
    return x->start < y->start ? -1 : x->start > y->start;
}

int sla_report_build(bd_store *s, const sla_config *c, const sla_report_opts *o,
                     sla_report **out, bd_err *err)
{
    *out = NULL;
    int64_t since = o->from < o->as_of - 90 * DAY ? o->from : o->as_of - 90 * DAY;
    sla_scope scope = {.created_before = o->to,
                       .active_since = since,
                       .as_of = o->as_of,
                       .buyer_language = o->group == SLA_GROUP_LANGUAGE};
    report_ctx x = {.o = o};
    if (sla_dataset_scan(s, c, &scope, report_chunk, &x, err)) {
        report_ctx_clear(&x);
        return -1;
    }
    report_merge(&x);
    report_part *p = &x.part[0];
    sla_report *r = bd_calloc(1, sizeof *r);
    r->opts = *o;
    snprintf(r->time_zone, sizeof r->time_zone, "%s", cal_zone(c->report_calendar));
    r->tickets = p->tickets;
    int64_t most = 1; /* the total counts every value of its clock */
    for (int c = 0; c < SLA_N_CLOCKS; c++)
        if (p->total.stat[c].count > most) most = p->total.stat[c].count;
    int64_t *scratch = bd_malloc((size_t)most * sizeof *scratch);
    p->total.key = bd_strdup("total");
    settle_total(&p->total, &p->groups, &r->total, scratch);
    /* rows, sorted by key */
    r->rows = bd_calloc(p->groups.n ? p->groups.n : 1, sizeof *r->rows);
    for (size_t i = 0; i < p->groups.n; i++) settle(&p->groups.rows[i], &r->rows[i], scratch);
    free(scratch);
    r->n_rows = p->groups.n;
    p->groups.n = 0;
    if (r->n_rows) qsort(r->rows, r->n_rows, sizeof *r->rows, row_cmp);
    /* late-response rates per shop that had any counted message */
    r->late = bd_calloc(p->n_late ? p->n_late : 1, sizeof *r->late);
    for (size_t i = 0; i < p->n_late; i++) {
        if (!p->late[i].counted[2]) continue;
        r->late[r->n_late++] = p->late[i];
        memset(&p->late[i], 0, sizeof p->late[i]);
    }
    r->breaches = p->breaches;
    r->n_breaches = p->n_breaches;
    p->breaches = NULL;
    p->n_breaches = 0;
    report_ctx_clear(&x);
    if (r->n_breaches) qsort(r->breaches, r->n_breaches, sizeof *r->breaches, breach_cmp);
    if (lookup_buyers(s, r, err)) {
        sla_report_free(r);
        return -1;
    }
    *out = r;
    return 0;
}

void sla_report_free(sla_report *r)
{
    if (!r) return;
    free(r->total.key);
    for (size_t i = 0; i < r->n_rows; i++) free(r->rows[i].key);
    free(r->rows);
    for (size_t i = 0; i < r->n_breaches; i++) {
        free(r->breaches[i].agent);
        free(r->breaches[i].buyer);
        free(r->breaches[i].shop);
    }
    free(r->breaches);
    for (size_t i = 0; i < r->n_late; i++) {
        free(r->late[i].shop);
        free(r->late[i].marketplace);
    }
    free(r->late);
    free(r);
}

/* ---- JSON ---- */

static void add_time(cJSON *o, const char *key, int64_t t)
{
    if (!t) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    char buf[32];
    bd_time_format(t, buf, sizeof buf);
    cJSON_AddStringToObject(o, key, buf);
}

static void add_num_or_null(cJSON *o, const char *key, int64_t v, int present)
{
    if (present) cJSON_AddNumberToObject(o, key, (double)v);
    else cJSON_AddNullToObject(o, key);
}

static cJSON *stat_json(const sla_stat *s)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "count", (double)s->count);
    cJSON_AddNumberToObject(j, "running", (double)s->running);
    add_num_or_null(j, "median_seconds", s->median, s->median >= 0);
    add_num_or_null(j, "p90_seconds", s->p90, s->p90 >= 0);
    cJSON_AddNumberToObject(j, "with_target", (double)s->with_target);
    cJSON_AddNumberToObject(j, "within_target", (double)s->within);
    if (s->with_target)
        cJSON_AddNumberToObject(j, "within_target_pct",
                                (double)((s->within * 1000 + s->with_target / 2) / s->with_target) /
                                    10.0);
    else cJSON_AddNullToObject(j, "within_target_pct");
    cJSON_AddNumberToObject(j, "breaches", (double)s->breaches);
    cJSON *h = cJSON_AddArrayToObject(j, "histogram");
    for (int b = 0; b < SLA_N_BUCKETS; b++) {
        cJSON *x = cJSON_CreateObject();
        if (b < SLA_N_BUCKETS - 1)
            cJSON_AddNumberToObject(x, "le_seconds", (double)sla_bucket_bounds[b]);
        else
            cJSON_AddNullToObject(x, "le_seconds");
        cJSON_AddNumberToObject(x, "count", (double)s->histogram[b]);
        cJSON_AddItemToArray(h, x);
    }
    return j;
}

static cJSON *row_json(const sla_group_row *row)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "key", row->key);
    for (int c = 0; c < SLA_N_CLOCKS; c++)
        cJSON_AddItemToObject(j, sla_clock_name(c), stat_json(&row->stat[c]));
    return j;
}

cJSON *sla_report_json(const sla_report *r)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "report", "sla");
    add_time(j, "from", r->opts.from);
    add_time(j, "to", r->opts.to);
    add_time(j, "as_of", r->opts.as_of);
    cJSON_AddStringToObject(j, "clock", r->opts.marketplace ? "marketplace" : "team");
    cJSON_AddStringToObject(j, "group_by", sla_group_name(r->opts.group));
    cJSON *rows = cJSON_AddArrayToObject(j, "groups");
    for (size_t i = 0; i < r->n_rows; i++) cJSON_AddItemToArray(rows, row_json(&r->rows[i]));
    cJSON_AddItemToObject(j, "total", row_json(&r->total));
    if (r->opts.breaches) {
        cJSON *b = cJSON_AddArrayToObject(j, "breaches");
        for (size_t i = 0; i < r->n_breaches; i++) {
            const sla_breach *x = &r->breaches[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "ticket_id", (double)x->ticket_id);
            cJSON_AddStringToObject(o, "clock", sla_clock_name(x->clock));
            cJSON_AddStringToObject(o, "agent", x->agent);
            if (x->buyer) cJSON_AddStringToObject(o, "buyer", x->buyer);
            else cJSON_AddNullToObject(o, "buyer");
            cJSON_AddStringToObject(o, "shop", x->shop);
            add_time(o, "started_at", x->start);
            add_time(o, "stopped_at", x->end);
            add_time(o, "due_at", x->due);
            cJSON_AddNumberToObject(o, "late_seconds", (double)x->late);
            cJSON_AddItemToArray(b, o);
        }
    }
    cJSON *late = cJSON_AddArrayToObject(j, "late_response_rate");
    static const char *const names[3] = {"last_7_days", "last_30_days", "last_90_days"};
    for (size_t i = 0; i < r->n_late; i++) {
        const sla_late_rate *l = &r->late[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "shop", l->shop);
        cJSON_AddStringToObject(o, "marketplace", l->marketplace);
        for (int w = 0; w < 3; w++) {
            cJSON *x = cJSON_AddObjectToObject(o, names[w]);
            cJSON_AddNumberToObject(x, "counted", (double)l->counted[w]);
            cJSON_AddNumberToObject(x, "late", (double)l->late[w]);
            if (l->counted[w])
                cJSON_AddNumberToObject(x, "rate_pct",
                                        (double)((l->late[w] * 1000 + l->counted[w] / 2) /
                                                 l->counted[w]) / 10.0);
            else cJSON_AddNullToObject(x, "rate_pct");
        }
        cJSON_AddItemToArray(late, o);
    }
    cJSON_AddNumberToObject(j, "tickets_read", (double)r->tickets);
    cJSON_AddStringToObject(j, "time_zone", r->time_zone);
    return j;
}

/* ---- workload ---- */

typedef struct wl_table {
    sla_workload_row *rows;
    size_t n;
} wl_table;

static sla_workload_row *wl_row(wl_table *t, const char *key)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->rows[i].key, key) == 0) return &t->rows[i];
    t->rows = bd_realloc(t->rows, (t->n + 1) * sizeof *t->rows);
    sla_workload_row *r = &t->rows[t->n++];
    memset(r, 0, sizeof *r);
    r->key = bd_strdup(key);
    return r;
}

static void wl_count(sla_workload_row *r, const sla_ticket_info *t, int64_t wait_since)
{
    if (bd_streq(t->status, "pending")) r->pending++;
    else r->open++;
    if (!wait_since) return;
    r->waiting++;
    if (!r->oldest_wait_since || wait_since < r->oldest_wait_since ||
        (wait_since == r->oldest_wait_since && t->id < r->oldest_ticket)) {
        r->oldest_wait_since = wait_since;
        r->oldest_ticket = t->id;
    }
}

static int wl_cmp(const void *a, const void *b)
{
    return strcmp(((const sla_workload_row *)a)->key, ((const sla_workload_row *)b)->key);
}

static int answered_cmp(const void *a, const void *b)
{
    const sla_answered *x = a, *y = b;
    int c = strcmp(x->agent, y->agent);
    return c ? c : strcmp(x->day, y->day);
}

/* What one worker gathers for the workload report. */
typedef struct wl_part {
    wl_table agents, queues;
    acc_table answered; /* "agent\tday" → stat[0].count */
    sla_result res;
} wl_part;

typedef struct wl_ctx {
    int64_t from, to, as_of;
    wl_part part[SLA_SCAN_WORKERS];
} wl_ctx;

static int workload_chunk(void *ud, int worker, const sla_config *c, const sla_dataset *d,
                          bd_err *err)
{
    (void)err;
    wl_ctx *x = ud;
    wl_part *p = &x->part[worker];
    for (size_t i = 0; i < sla_dataset_count(d); i++) {
        const sla_ticket_info *t = sla_dataset_ticket(d, i);
        sla_ticket_in in;
        sla_dataset_input(d, i, &in);
        for (size_t k = 0; k < in.n_msgs; k++) { /* replies by a person in the period */
            const sla_msg *m = &in.msgs[k];
            if ((m->flags & (SLA_MSG_OUT | SLA_MSG_NOTE | SLA_MSG_AUTO)) != SLA_MSG_OUT ||
                m->at < x->from || m->at >= x->to)
                continue;
            char day[11], key[192];
            local_day(c, m->at, day, sizeof day);
            snprintf(key, sizeof key, "%s\t%s", sla_dataset_author(d, m->author), day);
            table_row(&p->answered, key)->stat[0].count++;
        }
        if (!bd_str_in(t->status, (const char *const[]){"new", "open", "pending", NULL}))
            continue;
        sla_ticket_compute(c, &in, x->as_of, &p->res);
        int64_t wait_since = 0;
        for (size_t k = 0; k < p->res.n; k++)
            if (p->res.m[k].clock != SLA_RESOLUTION && p->res.m[k].running)
                wait_since = p->res.m[k].start;
        wl_count(wl_row(&p->agents, t->assignee ? t->assignee : "(unassigned)"), t, wait_since);
        wl_count(wl_row(&p->queues, sla_dataset_shop(d, t->shop)), t, wait_since);
    }
    return 0;
}

/* Adds src's rows to dst; the oldest wait is chosen as wl_count chooses it. */
static void wl_merge(wl_table *dst, wl_table *src)
{
    for (size_t i = 0; i < src->n; i++) {
        const sla_workload_row *s = &src->rows[i];
        sla_workload_row *r = wl_row(dst, s->key);
        r->open += s->open;
        r->pending += s->pending;
        r->waiting += s->waiting;
        if (s->oldest_wait_since &&
            (!r->oldest_wait_since || s->oldest_wait_since < r->oldest_wait_since ||
             (s->oldest_wait_since == r->oldest_wait_since && s->oldest_ticket < r->oldest_ticket))) {
            r->oldest_wait_since = s->oldest_wait_since;
            r->oldest_ticket = s->oldest_ticket;
        }
        free(src->rows[i].key);
    }
    free(src->rows);
    memset(src, 0, sizeof *src);
}

static void wl_ctx_clear(wl_ctx *x)
{
    for (int w = 0; w < SLA_SCAN_WORKERS; w++) {
        wl_part *p = &x->part[w];
        for (size_t i = 0; i < p->agents.n; i++) free(p->agents.rows[i].key);
        for (size_t i = 0; i < p->queues.n; i++) free(p->queues.rows[i].key);
        for (size_t i = 0; i < p->answered.n; i++) free(p->answered.rows[i].key);
        free(p->agents.rows);
        free(p->queues.rows);
        free(p->answered.rows);
        free(p->answered.slots);
        sla_result_clear(&p->res);
    }
}

int sla_workload_build(bd_store *s, const sla_config *c, int64_t from, int64_t to,
                       int64_t as_of, sla_workload **out, bd_err *err)
{
    *out = NULL;
    sla_scope scope = {.as_of = as_of};
    wl_ctx x = {.from = from, .to = to, .as_of = as_of};
    if (sla_dataset_scan(s, c, &scope, workload_chunk, &x, err)) {
        wl_ctx_clear(&x);
        return -1;
    }
    wl_part *p = &x.part[0];
    for (int i = 1; i < SLA_SCAN_WORKERS; i++) {
        wl_merge(&p->agents, &x.part[i].agents);
        wl_merge(&p->queues, &x.part[i].queues);
        acc_table *a = &x.part[i].answered;
        for (size_t k = 0; k < a->n; k++)
            table_row(&p->answered, a->rows[k].key)->stat[0].count += a->rows[k].stat[0].count;
    }
    sla_workload *w = bd_calloc(1, sizeof *w);
    w->from = from;
    w->to = to;
    w->as_of = as_of;
    if (p->agents.n) qsort(p->agents.rows, p->agents.n, sizeof *p->agents.rows, wl_cmp);
    if (p->queues.n) qsort(p->queues.rows, p->queues.n, sizeof *p->queues.rows, wl_cmp);
    w->answered = bd_calloc(p->answered.n ? p->answered.n : 1, sizeof *w->answered);
    for (size_t i = 0; i < p->answered.n; i++) {
        char *key = p->answered.rows[i].key, *tab = strrchr(key, '\t');
        sla_answered *a = &w->answered[w->n_answered++];
        *tab = '\0';
        a->agent = key;
        snprintf(a->day, sizeof a->day, "%s", tab + 1);
        a->replies = p->answered.rows[i].stat[0].count;
    }
    p->answered.n = 0;
    if (w->n_answered) qsort(w->answered, w->n_answered, sizeof *w->answered, answered_cmp);
    w->agents = p->agents.rows;
    w->n_agents = p->agents.n;
    w->queues = p->queues.rows;
    w->n_queues = p->queues.n;
    memset(&p->agents, 0, sizeof p->agents);
    memset(&p->queues, 0, sizeof p->queues);
    wl_ctx_clear(&x);
    *out = w;
    return 0;
}

void sla_workload_free(sla_workload *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->n_agents; i++) free(w->agents[i].key);
    for (size_t i = 0; i < w->n_queues; i++) free(w->queues[i].key);
    for (size_t i = 0; i < w->n_answered; i++) free(w->answered[i].agent);
    free(w->agents);
    free(w->queues);
    free(w->answered);
    free(w);
}

static cJSON *wl_rows_json(const sla_workload_row *rows, size_t n, const char *name,
                           int64_t as_of)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, name, rows[i].key);
        cJSON_AddNumberToObject(o, "open", (double)rows[i].open);
        cJSON_AddNumberToObject(o, "pending", (double)rows[i].pending);
        cJSON_AddNumberToObject(o, "waiting", (double)rows[i].waiting);
        if (rows[i].oldest_wait_since) {
            cJSON *x = cJSON_AddObjectToObject(o, "oldest_waiting");
            cJSON_AddNumberToObject(x, "ticket_id", (double)rows[i].oldest_ticket);
            add_time(x, "since", rows[i].oldest_wait_since);
            cJSON_AddNumberToObject(x, "waited_seconds",
                                    (double)(as_of - rows[i].oldest_wait_since));
        } else {
            cJSON_AddNullToObject(o, "oldest_waiting");
        }
        cJSON_AddItemToArray(a, o);
    }
    return a;
}

cJSON *sla_workload_json(const sla_workload *w)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "report", "workload");
    add_time(j, "from", w->from);
    add_time(j, "to", w->to);
    add_time(j, "as_of", w->as_of);
    cJSON_AddItemToObject(j, "agents", wl_rows_json(w->agents, w->n_agents, "agent", w->as_of));
    cJSON_AddItemToObject(j, "queues", wl_rows_json(w->queues, w->n_queues, "shop", w->as_of));
    cJSON *a = cJSON_AddArrayToObject(j, "answered");
    for (size_t i = 0; i < w->n_answered; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "agent", w->answered[i].agent);
        cJSON_AddStringToObject(o, "day", w->answered[i].day);
        cJSON_AddNumberToObject(o, "replies", (double)w->answered[i].replies);
        cJSON_AddItemToArray(a, o);
    }
    return j;
}
