/* config.c — the "loyalty" keys of borderdesk.json: defaults, per-shop overrides, the FX
 * table, and the fingerprint that tells an incremental recompute the rules changed. */
#include "borderdesk/loyalty.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const grading_names[LOYALTY_GRADINGS_] = {"pyramid", "abc", "rfm", "loyalty",
                                                             "lifecycle"};

const char *loyalty_grading_name(int g)
{
    return g >= 0 && g < LOYALTY_GRADINGS_ ? grading_names[g] : "?";
}

/* Keys only the top-level object may carry. */
static const char *const global_keys[] = {"base_currency",
                                          "fx_rates",
                                          "dissatisfaction_days",
                                          "claim_subcategories",
                                          "chargeback_subcategories",
                                          NULL};
static const char *const shop_keys[] = {"tier",
                                        "rfm_window_days",
                                        "pyramid_period_days",
                                        "pyramid_percent",
                                        "abc_percent",
                                        "loyal_min_orders",
                                        "loyal_min_tenure_days",
                                        "churn_silence_days",
                                        "churn_min_orders",
                                        "decline_window_days",
                                        "decline_min_orders",
                                        "decline_drop_percent",
                                        "flags",
                                        "priority_boost",
                                        "not_sales_statuses",
                                        "refund_statuses",
                                        "chargeback_statuses",
                                        NULL};

static void normalise_status(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (; *in && k + 1 < n; in++) {
        if (*in == ' ' || *in == '_' || *in == '-') continue;
        out[k++] = (char)tolower((unsigned char)*in);
    }
    out[k] = '\0';
}

static void set_list(char list[][32], int *n, const char *const *values)
{
    *n = 0;
    for (; *values && *n < LOYALTY_MAX_STATUSES; values++)
        normalise_status(*values, list[(*n)++], 32);
}

static void set_boost(loyalty_config *c, const char *label, int boost)
{
    for (int i = 0; i < c->n_boosts; i++)
        if (strcmp(c->boosts[i].label, label) == 0) {
            c->boosts[i].boost = boost;
            return;
        }
    if (c->n_boosts == LOYALTY_MAX_BOOSTS) return;
    snprintf(c->boosts[c->n_boosts].label, sizeof c->boosts[0].label, "%s", label);
    c->boosts[c->n_boosts++].boost = boost;
}

static void defaults(loyalty_config *c)
{
    memset(c, 0, sizeof *c);
    c->rfm_window = 365 * LOYALTY_DAY;
    c->pyramid_period = 365 * LOYALTY_DAY;
    c->pyramid_bp[0] = 100;
    c->pyramid_bp[1] = 500;
    c->pyramid_bp[2] = 2000;
    c->abc_bp[0] = 5500;
    c->abc_bp[1] = 8500;
    c->loyal_min_orders = 5;
    c->loyal_tenure = 365 * LOYALTY_DAY;
    c->churn_silence = 180 * LOYALTY_DAY;
    c->churn_min_orders = 2;
    c->decline_window = 180 * LOYALTY_DAY;
    c->decline_min_orders = 2;
    c->decline_drop_bp = 5000;
    c->flag_min_orders = 3;
    c->flag_claims_bp = 5000;
    c->flag_chargebacks = 2;
    c->grading = LOYALTY_PYRAMID;
    set_boost(c, "vip", 1);
    set_boost(c, "important", 1);
    set_boost(c, "A", 1);
    set_boost(c, "champions", 1);
    set_boost(c, "at_risk", 1);
    set_boost(c, "loyal", 1);
    set_list(c->not_sales, &c->n_not_sales,
             (const char *const[]){"cancelled", "canceled", "refunded", "returned", "chargeback",
                                   "charged_back", "pending", "pending_availability",
                                   "unfulfillable", "failed", NULL});
    set_list(c->refunds, &c->n_refunds,
             (const char *const[]){"refunded", "returned", "partially_refunded", NULL});
    set_list(c->chargebacks, &c->n_chargebacks,
             (const char *const[]){"chargeback", "charged_back", NULL});
}

/* ---- typed readers: each sets err naming the key ---- */

static int get_int(const cJSON *o, const char *key, long lo, long hi, int *out, const char *path,
                   bd_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > hi)
        return bd_err_set(err, "%s.%s must be a whole number from %ld to %ld", path, key, lo, hi);
    *out = (int)v->valuedouble;
    return 0;
}

static int get_days(const cJSON *o, const char *key, long lo, long hi, int64_t *out,
                    const char *path, bd_err *err)
{
    int d = -1;
    if (get_int(o, key, lo, hi, &d, path, err)) return -1;
    if (d >= 0) *out = (int64_t)d * LOYALTY_DAY;
    return 0;
}

/* A percentage (0 < p <= 100, fractions allowed) in basis points. */
static int percent_bp(const cJSON *v, const char *path, const char *key, int *bp, bd_err *err)
{
    if (!cJSON_IsNumber(v) || !(v->valuedouble > 0) || v->valuedouble > 100)
        return bd_err_set(err, "%s.%s must be a percentage above 0 and at most 100", path, key);
    *bp = (int)llround(v->valuedouble * 100);
    if (*bp < 1) return bd_err_set(err, "%s.%s: at least 0.01 percent", path, key);
    return 0;
}

static int get_list(const cJSON *o, const char *key, char list[][32], int *n, const char *path,
                    bd_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) return 0;
    if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) > LOYALTY_MAX_STATUSES)
        return bd_err_set(err, "%s.%s must be an array of at most %d strings", path, key,
                          LOYALTY_MAX_STATUSES);
    *n = 0;
    for (const cJSON *e = v->child; e; e = e->next) {
        if (!cJSON_IsString(e) || !*e->valuestring)
            return bd_err_set(err, "%s.%s must hold non-empty strings", path, key);
        normalise_status(e->valuestring, list[(*n)++], 32);
    }
    return 0;
}

static int get_grading(const cJSON *o, int *g, const char *path, bd_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "tier");
    if (!v) return 0;
    for (int i = 0; cJSON_IsString(v) && i < LOYALTY_GRADINGS_; i++)
        if (strcmp(v->valuestring, grading_names[i]) == 0) {
            *g = i;
            return 0;
        }
    return bd_err_set(err, "%s.tier must be one of pyramid, abc, rfm, loyalty, lifecycle", path);
}

static int get_pyramid(const cJSON *o, loyalty_config *c, const char *path, bd_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "pyramid_percent");
    if (!v) return 0;
    if (!cJSON_IsObject(v))
        return bd_err_set(err,
                          "%s.pyramid_percent must be an object {\"vip\", \"important\","
                          " \"key_ordinary\"}",
                          path);
    static const char *const names[3] = {"vip", "important", "key_ordinary"};
    for (const cJSON *k = v->child; k; k = k->next) {
        int i = 0;
        while (i < 3 && strcmp(k->string, names[i]) != 0)
            i++;
        if (i == 3)
            return bd_err_set(err,
                              "%s.pyramid_percent: unknown band \"%s\" (vip, important,"
                              " key_ordinary)",
                              path, k->string);
        if (percent_bp(k, path, k->string, &c->pyramid_bp[i], err)) return -1;
    }
    if (!(c->pyramid_bp[0] < c->pyramid_bp[1] && c->pyramid_bp[1] < c->pyramid_bp[2]))
        return bd_err_set(err, "%s.pyramid_percent: vip < important < key_ordinary is required",
                          path);
    return 0;
}

static int get_abc(const cJSON *o, loyalty_config *c, const char *path, bd_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "abc_percent");
    if (!v) return 0;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(v, "a");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(v, "b");
    int abp = c->abc_bp[0], bbp = c->abc_bp[1] - c->abc_bp[0];
    if (!cJSON_IsObject(v) || cJSON_GetArraySize(v) != (a != NULL) + (b != NULL))
        return bd_err_set(err, "%s.abc_percent must be an object {\"a\": 55, \"b\": 30}", path);
    if (a && percent_bp(a, path, "abc_percent.a", &abp, err)) return -1;
    if (b && percent_bp(b, path, "abc_percent.b", &bbp, err)) return -1;
    if (abp + bbp >= 10000)
        return bd_err_set(err, "%s.abc_percent: a + b must stay below 100 (C gets the rest)", path);
    c->abc_bp[0] = abp;
    c->abc_bp[1] = abp + bbp;
    return 0;
}

static int get_flags(const cJSON *o, loyalty_config *c, const char *path, bd_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "flags");
    if (!v) return 0;
    if (!cJSON_IsObject(v))
        return bd_err_set(err,
                          "%s.flags must be an object {\"min_orders\", \"claims_percent\","
                          " \"chargebacks\"}",
                          path);
    for (const cJSON *k = v->child; k; k = k->next)
        if (!bd_str_in(k->string,
                       (const char *const[]){"min_orders", "claims_percent", "chargebacks", NULL}))
            return bd_err_set(err, "%s.flags: unknown key \"%s\"", path, k->string);
    char sub[128];
    snprintf(sub, sizeof sub, "%s.flags", path);
    if (get_int(v, "min_orders", 1, 100000, &c->flag_min_orders, sub, err) ||
        get_int(v, "chargebacks", 1, 100000, &c->flag_chargebacks, sub, err))
        return -1;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(v, "claims_percent");
    if (p && percent_bp(p, sub, "claims_percent", &c->flag_claims_bp, err)) return -1;
    return 0;
}

static int get_boosts(const cJSON *o, loyalty_config *c, const char *path, bd_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "priority_boost");
    if (!v) return 0;
    if (!cJSON_IsObject(v))
        return bd_err_set(err, "%s.priority_boost must be an object {\"label\": boost}", path);
    for (const cJSON *k = v->child; k; k = k->next) {
        if (!cJSON_IsNumber(k) || k->valuedouble != floor(k->valuedouble) || k->valuedouble < -3 ||
            k->valuedouble > 3)
            return bd_err_set(err, "%s.priority_boost.%s must be a whole number from -3 to 3", path,
                              k->string);
        if (strlen(k->string) >= STORE_LABEL_MAX)
            return bd_err_set(err, "%s.priority_boost: label \"%s\" is too long", path, k->string);
        set_boost(c, k->string, (int)k->valuedouble);
    }
    return 0;
}

/* Applies the keys present in o onto c. */
static int apply(const cJSON *o, loyalty_config *c, const char *path, int top, bd_err *err)
{
    if (!cJSON_IsObject(o)) return bd_err_set(err, "%s must be an object", path);
    for (const cJSON *k = o->child; k; k = k->next) {
        if (bd_str_in(k->string, shop_keys)) continue;
        if (bd_str_in(k->string, global_keys)) {
            if (top) continue;
            return bd_err_set(err, "%s.%s can only be set in the top-level \"loyalty\" object",
                              path, k->string);
        }
        return bd_err_set(err, "%s: unknown key \"%s\" (see docs/loyalty.md)", path, k->string);
    }
    if (get_grading(o, &c->grading, path, err) ||
        get_days(o, "rfm_window_days", 30, 3650, &c->rfm_window, path, err) ||
        get_days(o, "pyramid_period_days", 1, 3650, &c->pyramid_period, path, err) ||
        get_pyramid(o, c, path, err) || get_abc(o, c, path, err) ||
        get_int(o, "loyal_min_orders", 2, 100000, &c->loyal_min_orders, path, err) ||
        get_days(o, "loyal_min_tenure_days", 0, 3650, &c->loyal_tenure, path, err) ||
        get_days(o, "churn_silence_days", 1, 3650, &c->churn_silence, path, err) ||
        get_int(o, "churn_min_orders", 1, 100000, &c->churn_min_orders, path, err) ||
        get_days(o, "decline_window_days", 1, 1825, &c->decline_window, path, err) ||
        get_int(o, "decline_min_orders", 1, 100000, &c->decline_min_orders, path, err) ||
        get_flags(o, c, path, err) || get_boosts(o, c, path, err) ||
        get_list(o, "not_sales_statuses", c->not_sales, &c->n_not_sales, path, err) ||
        get_list(o, "refund_statuses", c->refunds, &c->n_refunds, path, err) ||
        get_list(o, "chargeback_statuses", c->chargebacks, &c->n_chargebacks, path, err))
        return -1;
    const cJSON *drop = cJSON_GetObjectItemCaseSensitive(o, "decline_drop_percent");
    if (drop && percent_bp(drop, path, "decline_drop_percent", &c->decline_drop_bp, err)) return -1;
    return 0;
}

/* "0.92", "149.5" or a JSON number: a positive rate with at most 9 decimals. */
static int parse_rate(const cJSON *v, int64_t *nanos)
{
    char buf[64];
    const char *s;
    if (cJSON_IsString(v)) {
        s = v->valuestring;
    } else if (cJSON_IsNumber(v)) {
        snprintf(buf, sizeof buf, "%.9f", v->valuedouble);
        s = buf;
    } else {
        return -1;
    }
    int64_t whole = 0, frac = 0;
    int fd = 0;
    if (*s < '0' || *s > '9') return -1;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (whole > 1000000000) return -1;
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.') {
        s++;
        for (; *s >= '0' && *s <= '9'; s++)
            if (fd < 9)
                frac = frac * 10 + (*s - '0'), fd++;
            else if (*s != '0')
                return -1;
    }
    if (*s) return -1;
    for (; fd < 9; fd++)
        frac *= 10;
    *nanos = whole * 1000000000 + frac;
    return *nanos > 0 ? 0 : -1;
}

static int valid_code(const char *c)
{
    if (strlen(c) != 3) return 0;
    for (int i = 0; i < 3; i++)
        if (c[i] < 'A' || c[i] > 'Z') return 0;
    return 1;
}

static int get_globals(const cJSON *o, loyalty_settings *s, bd_err *err)
{
    snprintf(s->base_currency, sizeof s->base_currency, "EUR");
    s->dissatisfaction_window = 90 * LOYALTY_DAY;
    const char *claims = "[\"refund\",\"return\",\"not_received\",\"not_as_described\"]";
    const char *charge = "[\"chargeback\"]";
    if (!o) goto lists;
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(o, "base_currency");
    if (base) {
        if (!cJSON_IsString(base) || !valid_code(base->valuestring))
            return bd_err_set(err, "loyalty.base_currency must be an ISO 4217 code like \"EUR\"");
        snprintf(s->base_currency, sizeof s->base_currency, "%s", base->valuestring);
    }
    if (get_days(o, "dissatisfaction_days", 1, 3650, &s->dissatisfaction_window, "loyalty", err))
        return -1;
    const cJSON *fx = cJSON_GetObjectItemCaseSensitive(o, "fx_rates");
    if (fx) {
        if (!cJSON_IsObject(fx))
            return bd_err_set(err, "loyalty.fx_rates must be an object {\"USD\": \"0.92\", ...}"
                                   " (units of the base currency for one unit)");
        s->fx = bd_calloc((size_t)cJSON_GetArraySize(fx) + 1, sizeof *s->fx);
        for (const cJSON *r = fx->child; r; r = r->next) {
            if (!valid_code(r->string))
                return bd_err_set(err, "loyalty.fx_rates: \"%s\" is not an ISO 4217 code",
                                  r->string);
            loyalty_fx_rate *e = &s->fx[s->n_fx++];
            snprintf(e->code, sizeof e->code, "%s", r->string);
            if (parse_rate(r, &e->nanos))
                return bd_err_set(err,
                                  "loyalty.fx_rates.%s must be a positive decimal rate"
                                  " (at most 9 decimals)",
                                  r->string);
        }
    }
    static const char *const list_keys[2] = {"claim_subcategories", "chargeback_subcategories"};
    char **dest[2] = {&s->claim_subcategories, &s->chargeback_subcategories};
    for (int i = 0; i < 2; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, list_keys[i]);
        if (!v) continue;
        if (!cJSON_IsArray(v))
            return bd_err_set(err, "loyalty.%s must be an array of subcategory names",
                              list_keys[i]);
        for (const cJSON *e = v->child; e; e = e->next)
            if (!cJSON_IsString(e))
                return bd_err_set(err, "loyalty.%s must hold strings", list_keys[i]);
        char *printed = cJSON_PrintUnformatted(v);
        *dest[i] = bd_strdup(printed);
        cJSON_free(printed);
    }
lists:
    if (!s->claim_subcategories) s->claim_subcategories = bd_strdup(claims);
    if (!s->chargeback_subcategories) s->chargeback_subcategories = bd_strdup(charge);
    return 0;
}

/* FNV-1a over a canonical text of every setting. */
static void fingerprint(loyalty_settings *s)
{
    bd_buf b = BD_BUF_INIT;
    bd_buf_printf(&b, "%s|%lld|%s|%s|", s->base_currency, (long long)s->dissatisfaction_window,
                  s->claim_subcategories, s->chargeback_subcategories);
    for (size_t i = 0; i < s->n_fx; i++)
        bd_buf_printf(&b, "%s=%lld,", s->fx[i].code, (long long)s->fx[i].nanos);
    for (size_t i = 0; i <= s->n_shops; i++) {
        const loyalty_config *c = i < s->n_shops ? &s->shops[i].cfg : &s->defaults;
        bd_buf_printf(&b, "|%s:", i < s->n_shops ? s->shops[i].shop : "*");
        bd_buf_printf(&b, "%lld,%lld,%lld,%lld,%lld,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d,%d",
                      (long long)c->rfm_window, (long long)c->pyramid_period,
                      (long long)c->decline_window, (long long)c->churn_silence,
                      (long long)c->loyal_tenure, c->pyramid_bp[0], c->pyramid_bp[1],
                      c->pyramid_bp[2], c->abc_bp[0], c->abc_bp[1], c->loyal_min_orders,
                      c->churn_min_orders, c->decline_min_orders, c->decline_drop_bp,
                      c->flag_min_orders, c->flag_claims_bp, c->flag_chargebacks, c->grading);
        for (int k = 0; k < c->n_boosts; k++)
            bd_buf_printf(&b, ",%s=%d", c->boosts[k].label, c->boosts[k].boost);
        for (int k = 0; k < c->n_not_sales; k++)
            bd_buf_printf(&b, ",n:%s", c->not_sales[k]);
        for (int k = 0; k < c->n_refunds; k++)
            bd_buf_printf(&b, ",r:%s", c->refunds[k]);
        for (int k = 0; k < c->n_chargebacks; k++)
            bd_buf_printf(&b, ",c:%s", c->chargebacks[k]);
    }
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < b.len; i++) {
        h ^= (unsigned char)b.data[i];
        h *= 1099511628211ULL;
    }
    snprintf(s->hash, sizeof s->hash, "%016llx", (unsigned long long)h);
    bd_buf_free(&b);
}

int loyalty_settings_load(const bd_config *c, loyalty_settings **out, bd_err *err)
{
    *out = NULL;
    loyalty_settings *s = bd_calloc(1, sizeof *s);
    defaults(&s->defaults);
    const cJSON *top = c ? cJSON_GetObjectItemCaseSensitive(c->root, "loyalty") : NULL;
    if (top && apply(top, &s->defaults, "loyalty", 1, err)) goto fail;
    if (get_globals(top, s, err)) goto fail;
    const cJSON *shops = c ? cJSON_GetObjectItemCaseSensitive(c->root, "shops") : NULL;
    for (const cJSON *sh = shops ? shops->child : NULL; sh; sh = sh->next) {
        const cJSON *lo = cJSON_GetObjectItemCaseSensitive(sh, "loyalty");
        const char *name = bd_json_str(sh, "name");
        if (!lo || !name) continue;
        s->shops = bd_realloc(s->shops, (s->n_shops + 1) * sizeof *s->shops);
        struct loyalty_shop_config *e = &s->shops[s->n_shops++];
        e->shop = bd_strdup(name);
        e->cfg = s->defaults;
        char path[160];
        snprintf(path, sizeof path, "shops[%s].loyalty", name);
        if (apply(lo, &e->cfg, path, 0, err)) goto fail;
    }
    fingerprint(s);
    *out = s;
    return 0;
fail:
    loyalty_settings_free(s);
    return -1;
}

void loyalty_settings_free(loyalty_settings *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n_shops; i++)
        free(s->shops[i].shop);
    free(s->shops);
    free(s->fx);
    free(s->claim_subcategories);
    free(s->chargeback_subcategories);
    free(s);
}

const loyalty_config *loyalty_settings_shop(const loyalty_settings *s, const char *shop)
{
    for (size_t i = 0; shop && i < s->n_shops; i++)
        if (strcmp(s->shops[i].shop, shop) == 0) return &s->shops[i].cfg;
    return &s->defaults;
}

int loyalty_fx_lookup(const loyalty_settings *s, const char *currency, int64_t *nanos)
{
    if (!currency || strlen(currency) != 3) return -1;
    char code[4] = {0};
    for (int i = 0; i < 3; i++)
        code[i] = (char)toupper((unsigned char)currency[i]);
    if (strcmp(code, s->base_currency) == 0) {
        *nanos = 1000000000;
        return 0;
    }
    for (size_t i = 0; i < s->n_fx; i++)
        if (strcmp(s->fx[i].code, code) == 0) {
            *nanos = s->fx[i].nanos;
            return 0;
        }
    return -1;
}

int loyalty_fx_apply(int64_t micros, int64_t nanos, int64_t *base)
{
    if (nanos == 1000000000) {
        *base = micros;
        return 0;
    }
    __int128 v = (__int128)micros * nanos;
    __int128 half = 500000000;
    v = v >= 0 ? (v + half) / 1000000000 : -((-v + half) / 1000000000);
    if (v > INT64_MAX || v < -INT64_MAX) return -1;
    *base = (int64_t)v;
    return 0;
}

int loyalty_fx_convert(const loyalty_settings *s, const char *currency, int64_t micros,
                       int64_t *base, bd_err *err)
{
    int64_t nanos;
    if (loyalty_fx_lookup(s, currency, &nanos))
        return bd_err_set(err,
                          "no FX rate for %s to %s: add \"%s\" to loyalty.fx_rates in the"
                          " configuration",
                          currency ? currency : "(none)", s->base_currency,
                          currency ? currency : "");
    if (loyalty_fx_apply(micros, nanos, base))
        return bd_err_set(err, "amount too large to convert from %s to %s", currency,
                          s->base_currency);
    return 0;
}

void loyalty_money_format(int64_t micros, char *out, size_t outlen)
{
    int64_t cents = micros >= 0 ? (micros + 5000) / 10000 : -((-micros + 5000) / 10000);
    bd_money_format(cents * 10000, out, outlen);
}

int loyalty_boost(const loyalty_config *cfg, const char *label)
{
    for (int i = 0; label && i < cfg->n_boosts; i++)
        if (strcmp(cfg->boosts[i].label, label) == 0) return cfg->boosts[i].boost;
    return 0;
}
