/* grading.c — the rules: bands (quintiles, the pyramid's top shares, ABC's cumulative
 * shares) with their tie rules, the RFM segment, loyalty class, life-cycle stage, churn risk,
 * the tier label, its priority boost, and the reason a tier is what it is. Pure functions;
 * docs/loyalty.md states every rule in words. */
#include "loyalty_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ly_band_metric(int band)
{
    if (band < 4) return STORE_LM_RECENCY;
    if (band < 8) return STORE_LM_FREQUENCY;
    if (band < 12) return STORE_LM_MONETARY;
    return STORE_LM_VALUE;
}

int ly_band_is_sum(int band)
{
    return band >= 15;
}

int ly_band_bp(const loyalty_config *cfg, int band)
{
    if (band < 12) return 2000 * (band % 4 + 1);
    if (band < 15) return cfg->pyramid_bp[band - 12];
    return cfg->abc_bp[band - 15];
}

int64_t ly_band_population(const store_loyalty_shop *t, int band)
{
    return band < 12 ? t->n_rfm : t->n_value;
}

int64_t ly_band_weight(int band, int64_t v)
{
    return ly_band_is_sum(band) ? v : 1;
}

static int64_t band_k(int band, const loyalty_config *cfg, const store_loyalty_shop *t)
{
    return (int64_t)(((__int128)ly_band_bp(cfg, band) * ly_band_population(t, band)) / 10000);
}

/* A sum band holds a value whose better-ranked weight w_gt is below share * T. */
static int sum_member(int band, const loyalty_config *cfg, const store_loyalty_shop *t,
                      int64_t w_gt)
{
    return (__int128)w_gt * 10000 < (__int128)ly_band_bp(cfg, band) * t->t_value;
}

int ly_band_member_u(int band, const loyalty_config *cfg, const store_loyalty_shop *t,
                     const store_loyalty_band *b)
{
    if (ly_band_is_sum(band)) return sum_member(band, cfg, t, b->a - b->e_u);
    return b->a <= band_k(band, cfg, t);
}

int ly_band_member_b(int band, const loyalty_config *cfg, const store_loyalty_shop *t,
                     const store_loyalty_band *b)
{
    if (ly_band_is_sum(band)) return sum_member(band, cfg, t, b->a);
    return b->a + b->e_b <= band_k(band, cfg, t);
}

void ly_band_empty(store_loyalty_band *b)
{
    b->u = LY_NONE_U;
    b->e_u = 0;
    b->a = 0;
    b->b = LY_NONE_B;
    b->e_b = 0;
}

void ly_band_from_sorted(int band, const loyalty_config *cfg, const store_loyalty_shop *t,
                         const store_rank_entry *asc, size_t n, store_loyalty_band *out)
{
    ly_band_empty(out);
    size_t i = n; /* walk down from the top: groups of equal values */
    while (i > 0) {
        int64_t v = asc[i - 1].value;
        size_t j = i;
        while (j > 0 && asc[j - 1].value == v)
            j--;
        int64_t w = ly_band_weight(band, v) * (int64_t)(i - j);
        /* Would the group at v be in the band, given everything above it is? */
        store_loyalty_band probe = *out;
        probe.b = v;
        probe.e_b = w;
        if (!ly_band_member_b(band, cfg, t, &probe)) {
            out->b = v;
            out->e_b = w;
            return;
        }
        out->a += w;
        out->u = v;
        out->e_u = w;
        i = j;
    }
}

void ly_rank_sort(store_rank_entry *e, size_t n)
{
    if (n < 2) return;
    store_rank_entry *tmp = bd_malloc(n * sizeof *tmp), *src = e, *dst = tmp;
    size_t *count = bd_malloc(65536 * sizeof *count);
    for (int pass = 0; pass < 4; pass++) {
        int shift = 16 * pass;
        memset(count, 0, 65536 * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[(((uint64_t)src[i].value ^ 0x8000000000000000ULL) >> shift) & 0xffff]++;
        /* a digit all keys share moves nothing */
        size_t d0 = (((uint64_t)src[0].value ^ 0x8000000000000000ULL) >> shift) & 0xffff;
        if (count[d0] == n) continue;
        size_t sum = 0;
        for (size_t d = 0; d < 65536; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[(((uint64_t)src[i].value ^ 0x8000000000000000ULL) >> shift) & 0xffff]++] =
                src[i];
        store_rank_entry *t = src;
        src = dst;
        dst = t;
    }
    if (src != e) memcpy(e, src, n * sizeof *e);
    free(tmp);
    free(count);
}

/* ---- labels ---- */

static const char *rfm_segment(int r, int f, int m)
{
    if (r >= 4 && f >= 4 && m >= 4) return "champions";
    if (r == 1 && f == 1) return "lost";
    if (r <= 2 && (f >= 4 || m >= 4)) return "at_risk";
    if (r <= 2) return "hibernating";
    if (r >= 4 && f == 1) return "new";
    if (r >= 4) return "active";
    return "needs_attention";
}

static int member(const ly_shop *sh, int band, const store_buyer_loyalty *p)
{
    int metric = ly_band_metric(band);
    return p->has[metric] && p->metric[metric] >= sh->bands[band].u;
}

static void put(char *dst, const char *src)
{
    size_t n = strlen(src);
    if (n >= STORE_LABEL_MAX) n = STORE_LABEL_MAX - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void ly_rank_labels(const ly_shop *sh, store_buyer_loyalty *p)
{
    p->r = p->f = p->m = p->top20 = 0;
    p->segment[0] = p->pyramid[0] = p->abc[0] = 0;
    if (p->orders == 0) return;
    p->r = 1, p->f = 1, p->m = 1;
    for (int b = 0; b < 4; b++) {
        p->r += member(sh, b, p);
        p->f += member(sh, b + 4, p);
        p->m += member(sh, b + 8, p);
    }
    put(p->segment, rfm_segment(p->r, p->f, p->m));
    if (p->has[STORE_LM_VALUE]) {
        put(p->pyramid, member(sh, 12, p) ? "vip" : member(sh, 13, p) ? "important" : "ordinary");
        p->top20 = member(sh, 14, p);
        p->abc[0] = member(sh, 15, p) ? 'A' : member(sh, 16, p) ? 'B' : 'C';
        p->abc[1] = '\0';
    } else {
        put(p->pyramid, "ordinary");
        p->abc[0] = 'C', p->abc[1] = '\0';
    }
}

int ly_band_sets_tier(int grading, int band)
{
    switch (grading) {
    case LOYALTY_PYRAMID:
        return band == 12 || band == 13;
    case LOYALTY_ABC:
        return band == 15 || band == 16;
    case LOYALTY_RFM:
        return band < 12;
    default:
        return 0;
    }
}

void ly_label(const ly_shop *sh, int64_t as_of, int blacklisted, store_buyer_loyalty *p)
{
    const loyalty_config *cfg = sh->cfg;
    ly_rank_labels(sh, p);
    p->boost = 0;
    p->lifecycle[0] = p->churn[0] = p->tier[0] = 0;
    if (p->orders == 0) {
        put(p->loyalty, "potential");
    } else {
        int silent =
            p->orders >= cfg->churn_min_orders && as_of - p->last_order_at >= cfg->churn_silence;
        int falling = p->orders_previous >= cfg->decline_min_orders &&
                      (__int128)p->orders_recent * 10000 <=
                          (__int128)p->orders_previous * (10000 - cfg->decline_drop_bp);
        if (silent)
            put(p->churn, "silent");
        else if (falling)
            put(p->churn, "falling");
        int stable =
            p->orders >= cfg->loyal_min_orders && as_of - p->first_order_at >= cfg->loyal_tenure;
        put(p->lifecycle, p->churn[0]      ? "decline"
                          : p->orders <= 1 ? "exploration"
                          : stable         ? "stability"
                                           : "formation");
        put(p->loyalty, p->orders == 1                                ? "new"
                        : stable && !p->churn[0] && p->negatives == 0 ? "loyal"
                                                                      : "repeat");
    }
    switch (cfg->grading) {
    case LOYALTY_PYRAMID:
        put(p->tier, p->pyramid);
        break;
    case LOYALTY_ABC:
        memcpy(p->tier, p->abc, sizeof p->abc);
        break;
    case LOYALTY_RFM:
        put(p->tier, p->segment);
        break;
    case LOYALTY_CLASS:
        put(p->tier, p->loyalty);
        break;
    default:
        put(p->tier, p->lifecycle);
        break;
    }
    p->boost = blacklisted || !p->tier[0] ? 0 : loyalty_boost(cfg, p->tier);
}

int ly_profile_differs(const store_buyer_loyalty *a, const store_buyer_loyalty *b)
{
    if (a->buyer_id != b->buyer_id || a->shop_id != b->shop_id || a->orders != b->orders ||
        a->orders_all != b->orders_all || a->spend != b->spend ||
        a->first_order_at != b->first_order_at || a->last_order_at != b->last_order_at ||
        a->orders_recent != b->orders_recent || a->orders_previous != b->orders_previous ||
        a->claims != b->claims || a->chargebacks != b->chargebacks ||
        a->negatives != b->negatives || a->boost != b->boost)
        return 1;
    for (int m = 0; m < STORE_LM_COUNT_; m++)
        if (a->has[m] != b->has[m] || (a->has[m] && a->metric[m] != b->metric[m])) return 1;
    return strcmp(a->loyalty, b->loyalty) || strcmp(a->lifecycle, b->lifecycle) ||
           strcmp(a->churn, b->churn) || strcmp(a->tier, b->tier);
}

uint64_t ly_profile_digest(const store_buyer_loyalty *p)
{
    uint64_t h = 0x243F6A8885A308D3ULL;
#define MIX(x)                                                                                     \
    do {                                                                                           \
        h = (h ^ (uint64_t)(x)) * 0x9E3779B97F4A7C15ULL;                                           \
        h ^= h >> 29;                                                                              \
    } while (0)
    MIX(p->shop_id);
    MIX(p->orders);
    MIX(p->orders_all);
    MIX(p->spend);
    MIX(p->first_order_at);
    MIX(p->last_order_at);
    for (int m = 0; m < STORE_LM_COUNT_; m++) {
        MIX(p->has[m]);
        MIX(p->has[m] ? p->metric[m] : 0);
    }
    MIX(p->orders_recent);
    MIX(p->orders_previous);
    MIX(p->claims);
    MIX(p->chargebacks);
    MIX(p->negatives);
    MIX(p->boost);
    const char *labels[] = {p->loyalty, p->lifecycle, p->churn, p->tier};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        uint64_t w = 0;
        for (const char *c = labels[i]; *c; c++) {
            w = (w << 8) | (unsigned char)*c;
            if ((c - labels[i]) % 8 == 7) {
                MIX(w);
                w = 0;
            }
        }
        MIX(w);
        MIX(0xffu + i);
    }
#undef MIX
    return h;
}

/* ---- aggregation ---- */

int ly_status_in(const char list[][32], int n, const char *status)
{
    char norm[32];
    size_t k = 0;
    for (const char *s = status ? status : ""; *s && k + 1 < sizeof norm; s++) {
        if (*s == ' ' || *s == '_' || *s == '-') continue;
        norm[k++] = (char)tolower((unsigned char)*s);
    }
    norm[k] = '\0';
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], norm) == 0) return 1;
    return 0;
}

int ly_status_flags(const loyalty_config *cfg, const char *status)
{
    return (ly_status_in(cfg->not_sales, cfg->n_not_sales, status) ? LY_NOT_SALE : 0) |
           (ly_status_in(cfg->refunds, cfg->n_refunds, status) ? LY_REFUND : 0) |
           (ly_status_in(cfg->chargebacks, cfg->n_chargebacks, status) ? LY_CHARGEBACK : 0);
}

int ly_order_is_sale(int64_t as_of, const store_loyalty_order *o, int flags)
{
    return o->purchased_at <= as_of && !(flags & LY_NOT_SALE) && o->total_micros >= 0;
}

void ly_agg_order(ly_agg *a, const loyalty_config *cfg, int64_t as_of, const store_loyalty_order *o,
                  int flags, int64_t base, int *skipped)
{
    *skipped = 0;
    a->shop_id = o->shop_id;
    a->orders_all++;
    a->claims += (flags & LY_REFUND) != 0;
    a->chargebacks += (flags & LY_CHARGEBACK) != 0;
    if (o->purchased_at > as_of || (flags & LY_NOT_SALE)) return;
    if (o->total_micros < 0) {
        *skipped = 1;
        return;
    }
    int64_t p = o->purchased_at;
    a->orders++;
    a->spend += base;
    if (!a->first || p < a->first) a->first = p;
    if (!a->last || p > a->last) a->last = p;
    a->has_rfm = 1;
    if (p > as_of - cfg->rfm_window) {
        a->freq++;
        a->monetary += base;
    }
    if (p > as_of - cfg->pyramid_period) {
        a->value += base;
        a->has_value = 1;
    }
    if (p > as_of - cfg->decline_window)
        a->recent++;
    else if (p > as_of - 2 * cfg->decline_window)
        a->previous++;
}

void ly_agg_to_profile(const ly_agg *a, int64_t buyer_id, store_buyer_loyalty *p)
{
    p->buyer_id = buyer_id;
    p->shop_id = a->shop_id;
    p->orders = a->orders;
    p->orders_all = a->orders_all;
    p->spend = a->spend;
    p->first_order_at = a->first;
    p->last_order_at = a->last;
    memset(p->has, 0, sizeof p->has);
    memset(p->metric, 0, sizeof p->metric);
    if (a->has_rfm) {
        p->has[STORE_LM_RECENCY] = p->has[STORE_LM_FREQUENCY] = p->has[STORE_LM_MONETARY] = 1;
        p->metric[STORE_LM_RECENCY] = a->last;
        p->metric[STORE_LM_FREQUENCY] = a->freq;
        p->metric[STORE_LM_MONETARY] = a->monetary;
    }
    if (a->has_value) {
        p->has[STORE_LM_VALUE] = 1;
        p->metric[STORE_LM_VALUE] = a->value;
    }
    p->orders_recent = a->recent;
    p->orders_previous = a->previous;
    p->claims = a->claims;
    p->chargebacks = a->chargebacks;
    p->negatives = a->negatives;
}

/* ---- reasons ---- */

static void money(const loyalty_settings *s, int64_t micros, char *out, size_t n)
{
    char num[48];
    loyalty_money_format(micros, num, sizeof num);
    snprintf(out, n, "%s %s", num, s->base_currency);
}

void loyalty_tier_reason(const loyalty_settings *s, const loyalty_config *cfg,
                         const store_buyer_loyalty *p, int64_t population, char *out, size_t outlen)
{
    char amount[64];
    long long days_value = (long long)(cfg->pyramid_period / LOYALTY_DAY);
    if (p->orders == 0) {
        snprintf(out, outlen, "no counted order yet");
        return;
    }
    switch (cfg->grading) {
    case LOYALTY_PYRAMID:
    case LOYALTY_ABC:
        money(s, p->has[STORE_LM_VALUE] ? p->metric[STORE_LM_VALUE] : 0, amount, sizeof amount);
        if (cfg->grading == LOYALTY_PYRAMID)
            snprintf(out, outlen,
                     "sales %s in %lld days: %s among %lld buyers (vip top %g%%,"
                     " important top %g%%)",
                     amount, days_value, p->pyramid, (long long)population,
                     cfg->pyramid_bp[0] / 100.0, cfg->pyramid_bp[1] / 100.0);
        else
            snprintf(out, outlen,
                     "sales %s in %lld days: class %s (A = first %g%% of the"
                     " shop's sales, B = up to %g%%)",
                     amount, days_value, p->abc, cfg->abc_bp[0] / 100.0, cfg->abc_bp[1] / 100.0);
        break;
    case LOYALTY_RFM:
        snprintf(out, outlen,
                 "RFM %d%d%d (recency, frequency, monetary quintiles among %lld"
                 " buyers): %s",
                 p->r, p->f, p->m, (long long)population, p->segment);
        break;
    case LOYALTY_CLASS:
    case LOYALTY_LIFECYCLE: {
        char first[32];
        bd_time_format(p->first_order_at, first, sizeof first);
        first[10] = '\0';
        const char *why =
            p->churn[0] ? (strcmp(p->churn, "silent") == 0 ? "; silent beyond the churn threshold"
                                                           : "; order volume falling")
            : p->negatives ? "; recent dissatisfaction"
                           : "";
        snprintf(out, outlen, "%lld orders since %s%s: %s", (long long)p->orders, first, why,
                 cfg->grading == LOYALTY_CLASS ? p->loyalty : p->lifecycle);
        break;
    }
    default:
        snprintf(out, outlen, "%s", p->tier);
        break;
    }
}
