/* engine.c — loyalty_recompute: the full recompute (every order read once, rankings sorted
 * in memory) and the incremental one (only the queued buyers and those whose orders crossed
 * a time window are read; each ranking's band boundary is moved from where it was, and only
 * the buyers it passes over are re-labelled). Both end in the same profiles. */
#include "loyalty_internal.h"

#include "borderdesk/ticket.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ISSUES 20

/* ---- small helpers ---- */

typedef struct idvec {
    int64_t *v;
    size_t n, cap;
} idvec;

static void idvec_push(idvec *x, int64_t id)
{
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 64;
        x->v = bd_realloc(x->v, x->cap * sizeof *x->v);
    }
    x->v[x->n++] = id;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void idvec_unique(idvec *x)
{
    if (!x->n) return;
    qsort(x->v, x->n, sizeof *x->v, cmp_i64);
    size_t k = 1;
    for (size_t i = 1; i < x->n; i++)
        if (x->v[i] != x->v[k - 1]) x->v[k++] = x->v[i];
    x->n = k;
}

static int idvec_has(const idvec *x, int64_t id)
{
    return x->n && bsearch(&id, x->v, x->n, sizeof *x->v, cmp_i64) != NULL;
}

static int push_id(void *ud, int64_t id, bd_err *err)
{
    (void)err;
    idvec_push(ud, id);
    return 0;
}

static double clock_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Closes the phase that started at *t0 and starts the next one. */
static void phase(loyalty_result *r, const char *name, double *t0)
{
    double t = clock_ms();
    if (r->n_phases < (int)(sizeof r->phases / sizeof r->phases[0])) {
        r->phases[r->n_phases].name = name;
        r->phases[r->n_phases++].ms = t - *t0;
    }
    *t0 = t;
}

void loyalty_result_clear(loyalty_result *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_issues; i++)
        free(r->issues[i]);
    free(r->issues);
    memset(r, 0, sizeof *r);
}

/* ---- the engine's state for one run ---- */

/* Orders repeat a handful of statuses and currencies: their meaning is looked up once. */
#define LY_CACHE 64
typedef struct status_memo {
    const loyalty_config *cfg;
    char status[48];
    int flags;
} status_memo;
typedef struct fx_memo {
    char code[8];
    int64_t nanos; /* -1: no rate */
} fx_memo;

typedef struct engine {
    const loyalty_ctx *ctx;
    const loyalty_settings *set;
    bd_store *s;
    int64_t T; /* as of */
    loyalty_result *r;
    ly_shop *shops;
    size_t n_shops;
    /* currencies without a rate: the run fails after listing them */
    char missing[16][8];
    int n_missing;
    int64_t missing_orders;
    char missing_example[160];
    status_memo statuses[LY_CACHE];
    int n_statuses;
    fx_memo fx[LY_CACHE];
    int n_fx;
    /* incremental runs: loaded once instead of asked per buyer */
    idvec *blacklist;
    int any_negatives; /* a survey answer or feedback lies in the dissatisfaction window */
} engine;

static int status_flags(engine *e, const loyalty_config *cfg, const char *status)
{
    if (!status) status = "";
    for (int i = 0; i < e->n_statuses; i++)
        if (e->statuses[i].cfg == cfg && strcmp(e->statuses[i].status, status) == 0)
            return e->statuses[i].flags;
    int flags = ly_status_flags(cfg, status);
    if (e->n_statuses < LY_CACHE && strlen(status) < sizeof e->statuses[0].status) {
        status_memo *m = &e->statuses[e->n_statuses++];
        m->cfg = cfg;
        snprintf(m->status, sizeof m->status, "%s", status);
        m->flags = flags;
    }
    return flags;
}

/* 0 and *base, or -1 when the currency has no rate. */
static int to_base(engine *e, const char *currency, int64_t micros, int64_t *base)
{
    if (!currency) currency = "";
    for (int i = 0; i < e->n_fx; i++)
        if (strcmp(e->fx[i].code, currency) == 0)
            return e->fx[i].nanos < 0 ? -1 : loyalty_fx_apply(micros, e->fx[i].nanos, base);
    int64_t nanos;
    if (loyalty_fx_lookup(e->set, currency, &nanos)) nanos = -1;
    if (e->n_fx < LY_CACHE && strlen(currency) < sizeof e->fx[0].code) {
        snprintf(e->fx[e->n_fx].code, sizeof e->fx[0].code, "%s", currency);
        e->fx[e->n_fx++].nanos = nanos;
    }
    return nanos < 0 ? -1 : loyalty_fx_apply(micros, nanos, base);
}

static void issue(engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void issue(engine *e, const char *fmt, ...)
{
    if (e->r->n_issues >= MAX_ISSUES) return;
    va_list ap;
    va_start(ap, fmt);
    bd_buf b = BD_BUF_INIT;
    bd_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    e->r->issues = bd_realloc(e->r->issues, (e->r->n_issues + 1) * sizeof *e->r->issues);
    e->r->issues[e->r->n_issues++] = bd_buf_detach(&b);
}

static int add_shop(void *ud, int64_t id, const char *name, bd_err *err)
{
    (void)err;
    engine *e = ud;
    e->shops = bd_realloc(e->shops, (e->n_shops + 1) * sizeof *e->shops);
    ly_shop *sh = &e->shops[e->n_shops++];
    memset(sh, 0, sizeof *sh);
    sh->id = id;
    sh->name = bd_strdup(name);
    sh->cfg = loyalty_settings_shop(e->set, name);
    sh->totals.shop_id = id;
    for (int b = 0; b < LY_BANDS; b++)
        ly_band_empty(&sh->bands[b]);
    return 0;
}

static ly_shop *shop_of(engine *e, int64_t id)
{
    size_t lo = 0, hi = e->n_shops;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (e->shops[mid].id == id) return &e->shops[mid];
        if (e->shops[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void engine_free(engine *e)
{
    for (size_t i = 0; i < e->n_shops; i++)
        free(e->shops[i].name);
    free(e->shops);
}

/* Adds one order to a; FX problems are collected, negative totals reported. */
static int aggregate(engine *e, ly_agg *a, const store_loyalty_order *o, bd_err *err)
{
    ly_shop *sh = shop_of(e, o->shop_id);
    if (!sh) return bd_err_set(err, "order %lld names an unknown shop", (long long)o->id);
    int flags = status_flags(e, sh->cfg, o->status), skipped;
    int64_t base = 0;
    if (ly_order_is_sale(e->T, o, flags) && to_base(e, o->currency, o->total_micros, &base)) {
        int known = 0;
        for (int i = 0; i < e->n_missing; i++)
            if (strcmp(e->missing[i], o->currency) == 0) known = 1;
        if (!known && e->n_missing < 16)
            snprintf(e->missing[e->n_missing++], sizeof e->missing[0], "%s", o->currency);
        if (!e->missing_orders) {
            char ext[96] = "?";
            if (store_order_external_id(e->s, o->id, ext, sizeof ext, err) < 0) return -1;
            snprintf(e->missing_example, sizeof e->missing_example, "%s order %s, %s", sh->name,
                     ext, o->currency);
        }
        e->missing_orders++;
        return 0;
    }
    ly_agg_order(a, sh->cfg, e->T, o, flags, base, &skipped);
    if (skipped) {
        char amount[48], ext[96] = "?";
        if (store_order_external_id(e->s, o->id, ext, sizeof ext, err) < 0) return -1;
        bd_money_format(o->total_micros, amount, sizeof amount);
        e->r->orders_skipped++;
        issue(e,
              "%s order %s: negative total %s %s is not counted (a refund is an order"
              " status, not a negative order)",
              sh->name, ext, amount, o->currency);
    }
    return 0;
}

static int fx_failure(engine *e, bd_err *err)
{
    if (!e->missing_orders) return 0;
    bd_buf b = BD_BUF_INIT;
    for (int i = 0; i < e->n_missing; i++)
        bd_buf_printf(&b, "%s%s", i ? ", " : "", e->missing[i]);
    bd_err_set(err,
               "no FX rate for %s to %s (%lld order%s, e.g. %s): add %s to loyalty.fx_rates"
               " in the configuration; nothing was changed",
               b.data, e->set->base_currency, (long long)e->missing_orders,
               e->missing_orders == 1 ? "" : "s", e->missing_example,
               e->n_missing == 1 ? "the rate" : "the rates");
    bd_buf_free(&b);
    return -1;
}

/* ---- claims: refund-status orders, plus claim tickets about other orders (once per
 * order) or about no order ---- */

typedef struct claim_sink {
    engine *e;
    ly_agg *aggs; /* full: indexed by buyer id */
    int64_t max_id;
    ly_agg *one; /* incremental: the buyer's */
    int64_t cur_buyer;
    idvec seen_claim, seen_charge;
} claim_sink;

static int in_json_list(const char *json, const char *name)
{
    char quoted[80];
    snprintf(quoted, sizeof quoted, "\"%s\"", name ? name : "");
    return strstr(json, quoted) != NULL;
}

static int on_claim(void *ud, const store_loyalty_claim *c, bd_err *err)
{
    (void)err;
    claim_sink *k = ud;
    ly_agg *a = k->one ? k->one : (c->buyer_id <= k->max_id ? &k->aggs[c->buyer_id] : NULL);
    if (!a || !a->orders_all) return 0;
    if (c->buyer_id != k->cur_buyer) {
        k->cur_buyer = c->buyer_id;
        k->seen_claim.n = k->seen_charge.n = 0;
    }
    ly_shop *sh = shop_of(k->e, a->shop_id);
    if (!sh) return 0;
    int charge = in_json_list(k->e->set->chargeback_subcategories, c->subcategory);
    idvec *seen = charge ? &k->seen_charge : &k->seen_claim;
    if (c->order_id) {
        const char(*list)[32] = charge ? sh->cfg->chargebacks : sh->cfg->refunds;
        int n = charge ? sh->cfg->n_chargebacks : sh->cfg->n_refunds;
        if (c->order_status && ly_status_in(list, n, c->order_status)) return 0; /* counted */
        for (size_t i = 0; i < seen->n; i++)
            if (seen->v[i] == c->order_id) return 0;
        idvec_push(seen, c->order_id);
    }
    if (charge)
        a->chargebacks++;
    else
        a->claims++;
    return 0;
}

static char *claim_subcategories(const loyalty_settings *set)
{
    /* one JSON array with both lists */
    size_t a = strlen(set->claim_subcategories), b = strlen(set->chargeback_subcategories);
    if (a <= 2) return bd_strdup(set->chargeback_subcategories);
    if (b <= 2) return bd_strdup(set->claim_subcategories);
    return bd_asprintf("%.*s,%s", (int)(a - 1), set->claim_subcategories,
                       set->chargeback_subcategories + 1);
}

static int collect_claims(engine *e, int64_t buyer_id, claim_sink *k, bd_err *err)
{
    char *subs = claim_subcategories(e->set);
    int rc = store_loyalty_claims(e->s, buyer_id, subs, on_claim, k, err);
    free(subs);
    free(k->seen_claim.v);
    free(k->seen_charge.v);
    return rc;
}

/* Survey answers at or below these count as dissatisfaction (docs/loyalty.md). */
#define NEG_CSAT_MAX 2
#define NEG_NPS_MAX 6
#define NEG_CES_MAX 3

typedef struct neg_sink {
    ly_agg *aggs;
    int64_t max_id;
    ly_agg *one;
} neg_sink;

static int on_negative(void *ud, int64_t buyer_id, int64_t count, bd_err *err)
{
    (void)err;
    neg_sink *k = ud;
    if (k->one)
        k->one->negatives += count;
    else if (buyer_id <= k->max_id)
        k->aggs[buyer_id].negatives += count;
    return 0;
}

static int collect_negatives(engine *e, int64_t buyer_id, neg_sink *k, bd_err *err)
{
    return store_loyalty_negatives(e->s, buyer_id, e->T - e->set->dissatisfaction_window, e->T,
                                   NEG_CSAT_MAX, NEG_NPS_MAX, NEG_CES_MAX, on_negative, k, err);
}

/* ---- effects of a new profile: tier events, ticket priorities, flags ---- */

static int tier_rank(int grading, const char *t)
{
    static const char *const order[LOYALTY_GRADINGS_][8] = {
        {"ordinary", "important", "vip"},
        {"C", "B", "A"},
        {"lost", "hibernating", "at_risk", "needs_attention", "new", "active", "champions"},
        {"potential", "new", "repeat", "loyal"},
        {"decline", "exploration", "formation", "stability"}};
    for (int i = 0; grading >= 0 && grading < LOYALTY_GRADINGS_ && i < 8 && order[grading][i]; i++)
        if (strcmp(order[grading][i], t) == 0) return i;
    return -1;
}

int ly_reprioritize(bd_store *s, const char *actor, int64_t at, int64_t buyer_id, int boost,
                    const char *from, const char *to, int64_t *changes, bd_err *err)
{
    store_ticket_priority *t;
    size_t n;
    if (store_buyer_active_tickets(s, buyer_id, &t, &n, err)) return -1;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        int p = ticket_priority_combine(t[i].urgency, boost);
        if (p == t[i].priority) continue;
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "from", ticket_priority_name(t[i].priority));
        cJSON_AddStringToObject(d, "to", ticket_priority_name(p));
        char reason[160];
        snprintf(reason, sizeof reason, "%s -> %s", from, to);
        cJSON_AddStringToObject(d, "reason", reason);
        char *txt = cJSON_PrintUnformatted(d);
        cJSON_Delete(d);
        rc = store_ticket_set_priority(s, t[i].id, p, err) ||
             store_event_add(s, t[i].id, actor, "priority_changed", txt, at, err);
        cJSON_free(txt);
        if (!rc && changes) (*changes)++;
    }
    free(t);
    return rc ? -1 : 0;
}

static int reprioritize(engine *e, int64_t buyer_id, int boost, const char *from, const char *to,
                        bd_err *err)
{
    char f[64], t[64];
    snprintf(f, sizeof f, "buyer tier %s", from[0] ? from : "none");
    snprintf(t, sizeof t, "%s", to[0] ? to : "none");
    return ly_reprioritize(e->s, e->ctx->actor, e->T, buyer_id, boost, f, t,
                           &e->r->priority_changes, err);
}

static int raise_flag(engine *e, const store_buyer_loyalty *p, const char *kind, int64_t level,
                      bd_err *err)
{
    store_buyer_flag f;
    int found = store_flag_latest(e->s, p->buyer_id, kind, &f, err);
    if (found < 0) return -1;
    int skip = found && (strcmp(f.status, "open") == 0 || level <= f.level);
    store_buyer_flag_clear(&f);
    if (skip) return 0;
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddNumberToObject(ev, "orders", (double)p->orders_all);
    cJSON_AddNumberToObject(ev, "claims", (double)p->claims);
    cJSON_AddNumberToObject(ev, "chargebacks", (double)p->chargebacks);
    char *txt = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
    int64_t id = 0;
    int rc = store_flag_add(e->s, p->buyer_id, kind, level, txt, e->T, &id, err);
    if (!rc) {
        char *d = bd_asprintf("{\"flag\":%lld,\"kind\":\"%s\",\"level\":%lld,\"evidence\":%s}",
                              (long long)id, kind, (long long)level, txt);
        rc =
            store_buyer_event_add(e->s, p->buyer_id, 0, e->ctx->actor, "flag_raised", d, e->T, err);
        free(d);
        if (!rc) e->r->flags_raised++;
    }
    cJSON_free(txt);
    return rc;
}

static int check_flags(engine *e, const loyalty_config *cfg, const store_buyer_loyalty *p,
                       bd_err *err)
{
    if (p->claims > 0 && p->orders_all >= cfg->flag_min_orders &&
        (__int128)p->claims * 10000 >= (__int128)cfg->flag_claims_bp * p->orders_all &&
        raise_flag(e, p, "refund_claims", p->claims, err))
        return -1;
    if (p->chargebacks >= cfg->flag_chargebacks &&
        raise_flag(e, p, "chargebacks", p->chargebacks, err))
        return -1;
    return 0;
}

/* Records what changed between old (NULL: no profile before) and p. */
static int effects(engine *e, const ly_shop *sh, const store_buyer_loyalty *old,
                   const store_buyer_loyalty *p, bd_err *err)
{
    const char *from = old ? old->tier : "";
    if (old && old->tier[0] && strcmp(old->tier, p->tier) != 0) {
        char reason[400];
        loyalty_tier_reason(e->set, sh->cfg, p,
                            sh->cfg->grading == LOYALTY_PYRAMID || sh->cfg->grading == LOYALTY_ABC
                                ? sh->totals.n_value
                                : sh->totals.n_rfm,
                            reason, sizeof reason);
        int up = tier_rank(sh->cfg->grading, p->tier) > tier_rank(sh->cfg->grading, old->tier);
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "grading", loyalty_grading_name(sh->cfg->grading));
        cJSON_AddStringToObject(d, "from", old->tier);
        if (p->tier[0])
            cJSON_AddStringToObject(d, "to", p->tier);
        else
            cJSON_AddNullToObject(d, "to");
        cJSON_AddStringToObject(d, "direction", up ? "up" : "down");
        cJSON_AddStringToObject(d, "reason", reason);
        char *txt = cJSON_PrintUnformatted(d);
        cJSON_Delete(d);
        int rc = store_buyer_event_add(e->s, p->buyer_id, 0, e->ctx->actor, "tier_changed", txt,
                                       e->T, err);
        cJSON_free(txt);
        if (rc) return -1;
        e->r->tier_changes++;
    }
    if ((old ? old->boost : 0) != p->boost &&
        reprioritize(e, p->buyer_id, p->boost, from, p->tier, err))
        return -1;
    return 0;
}

/* ================================ full ================================ */

typedef struct old_info {
    uint64_t hash;
    char tier[STORE_LABEL_MAX];
    int boost;
    int present;
} old_info;

typedef struct full_run {
    engine *e;
    ly_agg *aggs;
    old_info *old;
    int64_t max_id;
    int64_t old_rows;
} full_run;

static int full_order(void *ud, const store_loyalty_order *o, bd_err *err)
{
    full_run *f = ud;
    if (o->buyer_id < 1 || o->buyer_id > f->max_id)
        return bd_err_set(err, "order %lld names buyer %lld, which does not exist",
                          (long long)o->id, (long long)o->buyer_id);
    return aggregate(f->e, &f->aggs[o->buyer_id], o, err);
}

static int full_old(void *ud, int64_t buyer_id, int64_t digest, const char *tier, int boost,
                    bd_err *err)
{
    (void)err;
    full_run *f = ud;
    if (buyer_id < 1 || buyer_id > f->max_id) return 0;
    old_info *o = &f->old[buyer_id];
    o->hash = (uint64_t)digest;
    snprintf(o->tier, sizeof o->tier, "%s", tier ? tier : "");
    o->boost = boost;
    o->present = 1;
    f->old_rows++;
    return 0;
}

/* The shop's rankings from all its buyers' metrics: bands computed, rankings stored. */
static int full_bands(full_run *f, ly_shop *sh, bd_err *err)
{
    store_rank_entry *vals[STORE_LM_COUNT_];
    size_t n[STORE_LM_COUNT_] = {0}, cap = 0;
    for (int64_t id = 1; id <= f->max_id; id++)
        if (f->aggs[id].orders_all && f->aggs[id].shop_id == sh->id) cap++;
    for (int m = 0; m < STORE_LM_COUNT_; m++)
        vals[m] = bd_malloc((cap ? cap : 1) * sizeof **vals);
    store_loyalty_shop *t = &sh->totals;
    t->n_rfm = t->n_value = t->t_value = 0;
    for (int64_t id = 1; id <= f->max_id; id++) {
        const ly_agg *a = &f->aggs[id];
        if (!a->orders_all || a->shop_id != sh->id) continue;
        if (a->has_rfm) {
            vals[STORE_LM_RECENCY][n[0]++] = (store_rank_entry){a->last, id};
            vals[STORE_LM_FREQUENCY][n[1]++] = (store_rank_entry){a->freq, id};
            vals[STORE_LM_MONETARY][n[2]++] = (store_rank_entry){a->monetary, id};
            t->n_rfm++;
        }
        if (a->has_value) {
            vals[STORE_LM_VALUE][n[3]++] = (store_rank_entry){a->value, id};
            t->n_value++;
            t->t_value += a->value;
        }
    }
    int rc = 0;
    for (int m = 0; m < STORE_LM_COUNT_; m++) {
        ly_rank_sort(vals[m], n[m]);
        if (!rc) rc = store_rank_rebuild(f->e->s, sh->id, m, vals[m], n[m], err);
    }
    for (int b = 0; b < LY_BANDS; b++) {
        int m = ly_band_metric(b);
        ly_band_from_sorted(b, sh->cfg, t, vals[m], n[m], &sh->bands[b]);
    }
    for (int m = 0; m < STORE_LM_COUNT_; m++)
        free(vals[m]);
    sh->known = 1;
    return rc;
}

static int is_blacklisted(const idvec *bl, int64_t id)
{
    return idvec_has(bl, id);
}

static int collect_blacklist(engine *e, idvec *bl, bd_err *err)
{
    store_blacklist_entry *x;
    size_t n;
    if (store_blacklist_list(e->s, &x, &n, err)) return -1;
    for (size_t i = 0; i < n; i++)
        idvec_push(bl, x[i].buyer_id);
    store_blacklist_entries_free(x, n);
    idvec_unique(bl);
    return 0;
}

static void build_profile(const full_run *f, engine *e, int64_t id, const idvec *bl,
                          store_buyer_loyalty *p)
{
    memset(p, 0, sizeof *p);
    ly_agg_to_profile(&f->aggs[id], id, p);
    ly_label(shop_of(e, f->aggs[id].shop_id), e->T, is_blacklisted(bl, id), p);
    p->digest = (int64_t)ly_profile_digest(p);
    p->updated_at = e->T;
}

static int run_full(engine *e, bd_err *err)
{
    full_run f = {.e = e};
    idvec bl = {0};
    int rc = -1;
    if (store_loyalty_max_buyer_id(e->s, &f.max_id, err)) return -1;
    f.aggs = bd_calloc((size_t)f.max_id + 1, sizeof *f.aggs);
    f.old = bd_calloc((size_t)f.max_id + 1, sizeof *f.old);
    unsigned char *changed = bd_calloc((size_t)f.max_id + 1, 1);
    double t0 = clock_ms();
    if (store_loyalty_orders(e->s, 0, full_order, &f, err) || fx_failure(e, err)) goto done;
    phase(e->r, "read orders", &t0);
    claim_sink ck = {.e = e, .aggs = f.aggs, .max_id = f.max_id, .cur_buyer = -1};
    neg_sink nk = {.aggs = f.aggs, .max_id = f.max_id};
    if (collect_claims(e, 0, &ck, err) || collect_negatives(e, 0, &nk, err) ||
        collect_blacklist(e, &bl, err))
        goto done;
    phase(e->r, "claims+satisfaction+blacklist", &t0);
    if (store_loyalty_digests(e->s, full_old, &f, err)) goto done;
    phase(e->r, "read profiles", &t0);
    if (store_rank_reset(e->s, err)) goto done;
    for (size_t i = 0; i < e->n_shops; i++)
        if (full_bands(&f, &e->shops[i], err)) goto done;
    phase(e->r, "rank", &t0);

    /* First pass: what changes. */
    int64_t n_changed = 0, n_rows = 0;
    store_buyer_loyalty p;
    for (int64_t id = 1; id <= f.max_id; id++) {
        if (!f.aggs[id].orders_all) {
            if (f.old[id].present) changed[id] = 1, n_changed++;
            continue;
        }
        n_rows++;
        build_profile(&f, e, id, &bl, &p);
        if (!f.old[id].present || f.old[id].hash != (uint64_t)p.digest)
            changed[id] = 1, n_changed++;
    }
    /* Rewriting most rows is faster without the ranking indexes, rebuilt afterwards. */
    phase(e->r, "label", &t0);
    for (int64_t id = 1; id <= f.max_id; id++) {
        if (!changed[id]) continue;
        if (!f.aggs[id].orders_all) {
            if (store_loyalty_delete(e->s, id, err)) goto done;
            continue;
        }
        build_profile(&f, e, id, &bl, &p);
        if (store_loyalty_put(e->s, &p, err)) goto done;
        e->r->written++;
        store_buyer_loyalty old;
        memset(&old, 0, sizeof old);
        snprintf(old.tier, sizeof old.tier, "%s", f.old[id].tier);
        old.boost = f.old[id].boost;
        ly_shop *sh = shop_of(e, p.shop_id);
        if (effects(e, sh, f.old[id].present ? &old : NULL, &p, err)) goto done;
        if ((p.claims || p.chargebacks) && check_flags(e, sh->cfg, &p, err)) goto done;
    }
    phase(e->r, "write", &t0);
    if (store_loyalty_shops_reset(e->s, err)) goto done;
    for (size_t i = 0; i < e->n_shops; i++) {
        ly_shop *sh = &e->shops[i];
        if (store_loyalty_shop_put(e->s, &sh->totals, sh->bands, LY_BANDS, err)) goto done;
        e->r->buyers += sh->totals.n_rfm;
    }
    e->r->recomputed = n_rows;
    rc = 0;
done:
    free(changed);
    free(f.aggs);
    free(f.old);
    free(bl.v);
    return rc;
}

/* ============================= incremental ============================= */

typedef struct change {
    int64_t buyer_id;
    int has_old, has_new, blacklisted;
    store_buyer_loyalty old, now;
} change;

typedef struct one_order {
    engine *e;
    ly_agg *a;
} one_order;

static int one_order_cb(void *ud, const store_loyalty_order *o, bd_err *err)
{
    one_order *k = ud;
    return aggregate(k->e, k->a, o, err);
}

/* Time windows whose edges can move a buyer between runs. */
static void durations(const engine *e, idvec *d)
{
    idvec_push(d, 0);
    for (size_t i = 0; i <= e->set->n_shops; i++) {
        const loyalty_config *c = i < e->set->n_shops ? &e->set->shops[i].cfg : &e->set->defaults;
        idvec_push(d, c->rfm_window);
        idvec_push(d, c->pyramid_period);
        idvec_push(d, c->decline_window);
        idvec_push(d, 2 * c->decline_window);
        idvec_push(d, c->churn_silence);
        idvec_push(d, c->loyal_tenure);
    }
    idvec_unique(d);
}

static int dirty_buyers(engine *e, int64_t prev, idvec *ids, bd_err *err)
{
    if (store_loyalty_dirty(e->s, push_id, ids, err)) return -1;
    idvec d = {0};
    durations(e, &d);
    int rc = 0;
    for (size_t i = 0; i < d.n && !rc; i++)
        rc = store_loyalty_buyers_between(e->s, prev - d.v[i], e->T - d.v[i], d.v[i] == 0, push_id,
                                          ids, err);
    int64_t w = e->set->dissatisfaction_window;
    if (!rc) rc = store_loyalty_buyers_between(e->s, prev - w, e->T - w, 1, push_id, ids, err);
    free(d.v);
    idvec_unique(ids);
    return rc;
}

static int recompute_buyer(engine *e, change *c, bd_err *err)
{
    int found = store_loyalty_get(e->s, c->buyer_id, &c->old, err);
    if (found < 0) return -1;
    c->has_old = found;
    ly_agg a;
    memset(&a, 0, sizeof a);
    one_order k = {e, &a};
    if (store_loyalty_orders(e->s, c->buyer_id, one_order_cb, &k, err)) return -1;
    c->has_new = a.orders_all > 0;
    if (!c->has_new) return 0;
    claim_sink ck = {.e = e, .one = &a, .cur_buyer = -1};
    neg_sink nk = {.one = &a};
    if (collect_claims(e, c->buyer_id, &ck, err) ||
        (e->any_negatives && collect_negatives(e, c->buyer_id, &nk, err)))
        return -1;
    c->blacklisted = idvec_has(e->blacklist, c->buyer_id);
    memset(&c->now, 0, sizeof c->now);
    ly_agg_to_profile(&a, c->buyer_id, &c->now);
    c->now.updated_at = e->T;
    return 0;
}

/* Per band of a shop: the largest new value that fell between b and u, and its weight. */
typedef struct band_gap {
    int64_t max, w;
    int present;
} band_gap;

static void apply_delta(const loyalty_config *cfg, store_loyalty_shop *t, store_loyalty_band *bands,
                        band_gap *gaps, const store_buyer_loyalty *p, int sign)
{
    (void)cfg;
    if (p->has[STORE_LM_RECENCY]) t->n_rfm += sign;
    if (p->has[STORE_LM_VALUE]) {
        t->n_value += sign;
        t->t_value += sign * p->metric[STORE_LM_VALUE];
    }
    for (int i = 0; i < LY_BANDS; i++) {
        int m = ly_band_metric(i);
        if (!p->has[m]) continue;
        int64_t x = p->metric[m], w = ly_band_weight(i, x) * sign;
        store_loyalty_band *b = &bands[i];
        if (x >= b->u) b->a += w;
        if (x == b->u)
            b->e_u += w;
        else if (x == b->b)
            b->e_b += w;
        else if (sign > 0 && x > b->b && x < b->u) {
            band_gap *g = &gaps[i];
            if (!g->present || x > g->max) g->max = x, g->w = 0, g->present = 1;
            if (x == g->max) g->w += w;
        }
    }
}

static int inconsistent(const store_loyalty_band *b)
{
    return b->a < 0 || b->e_u < 0 || b->e_b < 0 || (b->u == LY_NONE_U && (b->a || b->e_u)) ||
           (b->u != LY_NONE_U && b->e_u > b->a);
}

/* Moves the band to the unique state its rule allows. 1 when the stored state was found
 * inconsistent (the caller falls back to a full recompute). */
static int walk(engine *e, ly_shop *sh, int i, const band_gap *g, bd_err *err)
{
    store_loyalty_band *b = &sh->bands[i];
    int m = ly_band_metric(i);
    int64_t v, cnt;
    int f;
    if (g->present) b->b = g->max, b->e_b = g->w;
    if (b->u != LY_NONE_U && b->e_u == 0) {
        if ((f = store_loyalty_metric_next(e->s, sh->id, m, b->u, 1, &v, &cnt, err)) < 0) return -1;
        if (f)
            b->u = v, b->e_u = ly_band_weight(i, v) * cnt;
        else
            b->u = LY_NONE_U;
    }
    if (b->b != LY_NONE_B && b->e_b == 0) {
        if ((f = store_loyalty_metric_next(e->s, sh->id, m, b->u, -1, &v, &cnt, err)) < 0)
            return -1;
        if (f)
            b->b = v, b->e_b = ly_band_weight(i, v) * cnt;
        else
            b->b = LY_NONE_B;
    }
    /* Each step passes one distinct value; more steps than buyers means the stored state
     * was wrong. */
    int64_t limit = sh->totals.n_rfm + sh->totals.n_value + 16;
    for (int64_t steps = 0;; steps++) {
        if (inconsistent(b) || steps > limit) return 1;
        if (b->u != LY_NONE_U && !ly_band_member_u(i, sh->cfg, &sh->totals, b)) {
            b->a -= b->e_u;
            b->b = b->u;
            b->e_b = b->e_u;
            if ((f = store_loyalty_metric_next(e->s, sh->id, m, b->u, 1, &v, &cnt, err)) < 0)
                return -1;
            if (f)
                b->u = v, b->e_u = ly_band_weight(i, v) * cnt;
            else
                b->u = LY_NONE_U, b->e_u = 0;
            continue;
        }
        if (b->b != LY_NONE_B && ly_band_member_b(i, sh->cfg, &sh->totals, b)) {
            b->a += b->e_b;
            b->u = b->b;
            b->e_u = b->e_b;
            if ((f = store_loyalty_metric_next(e->s, sh->id, m, b->b, -1, &v, &cnt, err)) < 0)
                return -1;
            if (f)
                b->b = v, b->e_b = ly_band_weight(i, v) * cnt;
            else
                b->b = LY_NONE_B, b->e_b = 0;
            continue;
        }
        return 0;
    }
}

typedef struct range_sink {
    const idvec *dirty;
    idvec ids;
} range_sink;

static int on_range(void *ud, int64_t buyer_id, bd_err *err)
{
    (void)err;
    range_sink *k = ud;
    if (!idvec_has(k->dirty, buyer_id)) idvec_push(&k->ids, buyer_id);
    return 0;
}

/* Records each metric that moved in the shop's rankings. */
static int move_ranks(engine *e, const change *c, int64_t shop_id, bd_err *err)
{
    for (int m = 0; m < STORE_LM_COUNT_; m++) {
        int ho = c->has_old && c->old.has[m], hn = c->has_new && c->now.has[m];
        if (store_rank_move(e->s, shop_id, m, c->buyer_id, ho, ho ? c->old.metric[m] : 0, hn,
                            hn ? c->now.metric[m] : 0, err))
            return -1;
    }
    return 0;
}

/* Returns 1 when the stored state proved inconsistent (the caller then recomputes in full,
 * which rewrites everything this run wrote). */
static int run_incremental(engine *e, int64_t prev, bd_err *err)
{
    idvec ids = {0};
    change *ch = NULL;
    band_gap(*gaps)[LY_BANDS] = NULL;
    store_loyalty_band(*old_bands)[LY_BANDS] = NULL;
    range_sink rs = {0};
    idvec blacklist = {0};
    int rc = -1;
    double t0 = clock_ms();
    e->blacklist = &blacklist;
    if (dirty_buyers(e, prev, &ids, err) || collect_blacklist(e, &blacklist, err)) goto done;
    {
        /* one question instead of one per buyer when nobody was dissatisfied lately */
        neg_sink any = {.one = &(ly_agg){0}};
        if (collect_negatives(e, 0, &any, err)) goto done;
        e->any_negatives = any.one->negatives > 0;
    }
    phase(e->r, "find buyers", &t0);
    ch = bd_calloc(ids.n ? ids.n : 1, sizeof *ch);
    for (size_t i = 0; i < ids.n; i++) {
        ch[i].buyer_id = ids.v[i];
        if (recompute_buyer(e, &ch[i], err)) goto done;
    }
    if (fx_failure(e, err)) goto done;
    e->r->recomputed = (int64_t)ids.n;
    phase(e->r, "read buyers", &t0);

    gaps = bd_calloc(e->n_shops ? e->n_shops : 1, sizeof *gaps);
    old_bands = bd_calloc(e->n_shops ? e->n_shops : 1, sizeof *old_bands);
    for (size_t s = 0; s < e->n_shops; s++)
        memcpy(old_bands[s], e->shops[s].bands, sizeof old_bands[s]);
    for (size_t i = 0; i < ids.n; i++) {
        change *c = &ch[i];
        int64_t shop_id = c->has_new ? c->now.shop_id : c->has_old ? c->old.shop_id : 0;
        ly_shop *sh = shop_id ? shop_of(e, shop_id) : NULL;
        if (!sh) continue;
        size_t si = (size_t)(sh - e->shops);
        if (c->has_old) apply_delta(sh->cfg, &sh->totals, sh->bands, gaps[si], &c->old, -1);
        if (c->has_new) apply_delta(sh->cfg, &sh->totals, sh->bands, gaps[si], &c->now, +1);
        /* the rankings first, so that the bands can move over the new values */
        if (move_ranks(e, c, sh->id, err)) goto done;
    }
    phase(e->r, "move rankings", &t0);
    rs.dirty = &ids;
    for (size_t s = 0; s < e->n_shops; s++) {
        ly_shop *sh = &e->shops[s];
        if (sh->totals.n_rfm < 0 || sh->totals.n_value < 0 || sh->totals.t_value < 0) {
            rc = 1;
            goto done;
        }
        for (int b = 0; b < LY_BANDS; b++) {
            int w = walk(e, sh, b, &gaps[s][b], err);
            if (w) {
                rc = w;
                goto done;
            }
            int64_t ou = old_bands[s][b].u, nu = sh->bands[b].u;
            /* labels that only follow the band are derived when read: re-check only the
             * buyers whose tier can change */
            if (ou == nu || !ly_band_sets_tier(sh->cfg->grading, b)) continue;
            if (store_rank_range(e->s, sh->id, ly_band_metric(b), ou < nu ? ou : nu,
                                 ou < nu ? nu : ou, on_range, &rs, err))
                goto done;
        }
    }
    phase(e->r, "move bands", &t0);
    /* The queued buyers: labels, the whole profile, effects, flags. */
    for (size_t i = 0; i < ids.n; i++) {
        change *c = &ch[i];
        if (!c->has_new) {
            if (c->has_old && store_loyalty_delete(e->s, c->buyer_id, err)) goto done;
            continue;
        }
        ly_shop *sh = shop_of(e, c->now.shop_id);
        ly_label(sh, e->T, c->blacklisted, &c->now);
        if (c->has_old && !ly_profile_differs(&c->old, &c->now)) continue;
        c->now.digest = (int64_t)ly_profile_digest(&c->now);
        if (store_loyalty_put(e->s, &c->now, err)) goto done;
        e->r->written++;
        if (effects(e, sh, c->has_old ? &c->old : NULL, &c->now, err)) goto done;
        if ((c->now.claims || c->now.chargebacks) && check_flags(e, sh->cfg, &c->now, err))
            goto done;
    }
    /* The buyers a band boundary passed over: their scores and labels. */
    idvec_unique(&rs.ids);
    for (size_t i = 0; i < rs.ids.n; i++) {
        store_buyer_loyalty old, now;
        int found = store_loyalty_get(e->s, rs.ids.v[i], &old, err);
        if (found < 0) goto done;
        if (!found) {
            rc = 1; /* ranked but without a profile: the state is inconsistent */
            goto done;
        }
        now = old;
        ly_shop *sh = shop_of(e, old.shop_id);
        ly_label(sh, e->T, idvec_has(e->blacklist, old.buyer_id), &now);
        e->r->rescored++;
        if (!ly_profile_differs(&old, &now)) continue;
        now.updated_at = e->T;
        now.digest = (int64_t)ly_profile_digest(&now);
        if (store_loyalty_put_labels(e->s, &now, err) || effects(e, sh, &old, &now, err)) goto done;
        e->r->written++;
    }
    phase(e->r, "label", &t0);
    for (size_t s = 0; s < e->n_shops; s++) {
        ly_shop *sh = &e->shops[s];
        if (store_loyalty_shop_put(e->s, &sh->totals, sh->bands, LY_BANDS, err)) goto done;
        e->r->buyers += sh->totals.n_rfm;
    }
    rc = 0;
done:
    free(ids.v);
    free(ch);
    free(gaps);
    free(old_bands);
    free(rs.ids.v);
    free(blacklist.v);
    e->blacklist = NULL;
    return rc;
}

/* ================================ entry ================================ */

static int load_shop_states(engine *e, bd_err *err)
{
    for (size_t i = 0; i < e->n_shops; i++) {
        ly_shop *sh = &e->shops[i];
        int found = store_loyalty_shop_get(e->s, sh->id, &sh->totals, sh->bands, LY_BANDS, err);
        if (found < 0) return -1;
        sh->known = found;
        if (!found) {
            memset(&sh->totals, 0, sizeof sh->totals);
            sh->totals.shop_id = sh->id;
            for (int b = 0; b < LY_BANDS; b++)
                ly_band_empty(&sh->bands[b]);
        }
    }
    return 0;
}

int loyalty_recompute(const loyalty_ctx *ctx, int full, loyalty_result *r, bd_err *err)
{
    memset(r, 0, sizeof *r);
    engine e = {.ctx = ctx, .set = ctx->settings, .s = ctx->store, .T = ctx->as_of, .r = r};
    int rc = -1;
    if (store_shops_each(e.s, add_shop, &e, err)) goto out;
    int64_t prev = 0, full_at = 0;
    char hash[32];
    int have = store_loyalty_state_get(e.s, &prev, hash, sizeof hash, &full_at, err);
    if (have < 0) goto out;
    if (full)
        snprintf(r->why_full, sizeof r->why_full, "asked for");
    else if (!have)
        snprintf(r->why_full, sizeof r->why_full, "first run");
    else if (strcmp(hash, e.set->hash) != 0)
        snprintf(r->why_full, sizeof r->why_full, "the loyalty configuration changed");
    else if (e.T < prev)
        snprintf(r->why_full, sizeof r->why_full, "as-of time went back");
    if (!r->why_full[0]) {
        if (load_shop_states(&e, err)) goto out;
        int inc = run_incremental(&e, prev, err);
        if (inc < 0) goto out;
        if (inc == 1) {
            /* The stored bands disagree with the profiles (an interrupted older version, a
             * hand-edited database): recompute everything instead. */
            loyalty_result_clear(r);
            snprintf(r->why_full, sizeof r->why_full, "the incremental state was inconsistent");
            e.n_missing = 0, e.missing_orders = 0;
        }
    }
    if (r->why_full[0]) {
        r->full = 1;
        if (run_full(&e, err)) goto out;
        full_at = e.T;
    }
    if (store_loyalty_state_put(e.s, e.T, e.set->hash, full_at, err) ||
        store_loyalty_dirty_clear(e.s, err))
        goto out;
    rc = 0;
out:
    engine_free(&e);
    return rc;
}
