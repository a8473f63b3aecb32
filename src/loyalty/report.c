/* report.c — the tiers report: how buyers are distributed over every grading, how tiers
 * moved up and down in a period, who risks churning (with their last order and contact), and
 * how concentrated the shop's sales are (share of the top 1 / 5 / 20% of buyers). */
#include "loyalty_internal.h"

#include "borderdesk/ticket.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct counter {
    char label[STORE_LABEL_MAX];
    int64_t n;
} counter;

typedef struct counters {
    counter c[24];
    int n;
} counters;

static void count(counters *c, const char *label)
{
    if (!label || !*label) label = "none";
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->c[i].label, label) == 0) {
            c->c[i].n++;
            return;
        }
    if (c->n == (int)(sizeof c->c / sizeof c->c[0])) return;
    snprintf(c->c[c->n].label, sizeof c->c[0].label, "%s", label);
    c->c[c->n++].n = 1;
}

static void add_counters(cJSON *parent, const char *name, const counters *c,
                         const char *const *order)
{
    cJSON *o = cJSON_AddObjectToObject(parent, name);
    for (int k = 0; order && order[k]; k++)
        cJSON_AddNumberToObject(o, order[k], 0);
    for (int i = 0; i < c->n; i++) {
        cJSON *have = cJSON_GetObjectItemCaseSensitive(o, c->c[i].label);
        if (have)
            cJSON_SetNumberValue(have, (double)c->c[i].n);
        else
            cJSON_AddNumberToObject(o, c->c[i].label, (double)c->c[i].n);
    }
}

typedef struct churner {
    int64_t buyer_id, spend, orders, last_order_at;
    char reason[STORE_LABEL_MAX];
} churner;

typedef struct collect {
    const loyalty_view *view;
    counters pyramid, abc, rfm, loyalty, lifecycle, tier;
    int64_t key_ordinary;
    int64_t *values; /* sales in the pyramid period, of buyers who bought in it */
    size_t n_values, cap_values;
    churner *churn;
    size_t n_churn, cap_churn;
} collect;

static int on_profile(void *ud, const store_buyer_loyalty *stored, bd_err *err)
{
    (void)err;
    collect *c = ud;
    store_buyer_loyalty full = *stored, *p = &full;
    loyalty_view_labels(c->view, p);
    count(&c->pyramid, p->orders ? p->pyramid : NULL);
    if (p->orders && !strcmp(p->pyramid, "ordinary") && p->top20) c->key_ordinary++;
    count(&c->abc, p->orders ? p->abc : NULL);
    count(&c->rfm, p->segment);
    count(&c->loyalty, p->loyalty);
    count(&c->lifecycle, p->lifecycle);
    count(&c->tier, p->tier);
    if (p->has[STORE_LM_VALUE]) {
        if (c->n_values == c->cap_values) {
            c->cap_values = c->cap_values ? c->cap_values * 2 : 1024;
            c->values = bd_realloc(c->values, c->cap_values * sizeof *c->values);
        }
        c->values[c->n_values++] = p->metric[STORE_LM_VALUE];
    }
    if (p->churn[0]) {
        if (c->n_churn == c->cap_churn) {
            c->cap_churn = c->cap_churn ? c->cap_churn * 2 : 64;
            c->churn = bd_realloc(c->churn, c->cap_churn * sizeof *c->churn);
        }
        churner *x = &c->churn[c->n_churn++];
        x->buyer_id = p->buyer_id;
        x->spend = p->spend;
        x->orders = p->orders;
        x->last_order_at = p->last_order_at;
        memcpy(x->reason, p->churn, sizeof x->reason);
        x->reason[sizeof x->reason - 1] = '\0';
    }
    return 0;
}

static int cmp_desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

static int cmp_churner(const void *a, const void *b)
{
    const churner *x = a, *y = b;
    if (x->spend != y->spend) return x->spend < y->spend ? 1 : -1;
    return x->buyer_id < y->buyer_id ? -1 : x->buyer_id > y->buyer_id;
}

/* Shares of sales of the top 1, 5 and 20% of buyers: the top p% is the first ceil(p N / 100)
 * buyers by sales (at least one when there are buyers). */
static cJSON *concentration(collect *c, const char *base)
{
    cJSON *j = cJSON_CreateObject();
    if (c->n_values) qsort(c->values, c->n_values, sizeof *c->values, cmp_desc);
    __int128 total = 0;
    for (size_t i = 0; i < c->n_values; i++)
        total += c->values[i];
    cJSON_AddNumberToObject(j, "buyers", (double)c->n_values);
    char amount[48];
    loyalty_money_format((int64_t)total, amount, sizeof amount);
    cJSON_AddStringToObject(j, "sales", amount);
    cJSON_AddStringToObject(j, "currency", base);
    static const int pct[3] = {1, 5, 20};
    static const char *const names[3] = {"top_1_pct", "top_5_pct", "top_20_pct"};
    for (int k = 0; k < 3; k++) {
        size_t top = (c->n_values * (size_t)pct[k] + 99) / 100;
        __int128 part = 0;
        for (size_t i = 0; i < top; i++)
            part += c->values[i];
        if (total > 0)
            cJSON_AddNumberToObject(j, names[k],
                                    (double)llround((double)part * 1000.0 / (double)total) / 10.0);
        else
            cJSON_AddNullToObject(j, names[k]);
    }
    return j;
}

typedef struct moves {
    int64_t up, down;
    cJSON *pairs; /* "from>to" -> count */
} moves;

static int on_change(void *ud, int64_t buyer_id, const store_event *e, bd_err *err)
{
    (void)buyer_id, (void)err;
    moves *m = ud;
    cJSON *d = e->detail ? cJSON_Parse(e->detail) : NULL;
    if (!d) return 0;
    const char *dir = bd_json_str(d, "direction");
    const char *from = bd_json_str(d, "from"), *to = bd_json_str(d, "to");
    if (bd_streq(dir, "up"))
        m->up++;
    else
        m->down++;
    char key[96];
    snprintf(key, sizeof key, "%s -> %s", from ? from : "none", to ? to : "none");
    cJSON *have = cJSON_GetObjectItemCaseSensitive(m->pairs, key);
    if (have)
        cJSON_SetNumberValue(have, have->valuedouble + 1);
    else
        cJSON_AddNumberToObject(m->pairs, key, 1);
    cJSON_Delete(d);
    return 0;
}

typedef struct shop_pick {
    const char *want;
    int64_t id;
} shop_pick;

static int pick_shop(void *ud, int64_t id, const char *name, bd_err *err)
{
    (void)err;
    shop_pick *p = ud;
    if (bd_streq(p->want, name)) p->id = id;
    return 0;
}

static int churn_list(bd_store *s, collect *c, const loyalty_report_opts *o, cJSON *arr,
                      bd_err *err)
{
    if (c->n_churn) qsort(c->churn, c->n_churn, sizeof *c->churn, cmp_churner);
    size_t n = o->churn_limit && o->churn_limit < c->n_churn ? o->churn_limit : c->n_churn;
    for (size_t i = 0; i < n; i++) {
        churner *x = &c->churn[i];
        char ref[32];
        snprintf(ref, sizeof ref, "%lld", (long long)x->buyer_id);
        store_buyer_row b;
        int found = store_buyer_find(s, ref, &b, err);
        if (found < 0) return -1;
        if (!found) continue;
        int64_t contact = 0;
        if (store_buyer_last_contact(s, x->buyer_id, &contact, err)) {
            store_buyer_row_clear(&b);
            return -1;
        }
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "buyer_id", (double)x->buyer_id);
        cJSON_AddStringToObject(j, "shop", b.shop);
        cJSON_AddStringToObject(j, "buyer", b.external_id);
        if (b.name)
            cJSON_AddStringToObject(j, "name", b.name);
        else
            cJSON_AddNullToObject(j, "name");
        if (b.email)
            cJSON_AddStringToObject(j, "email", b.email);
        else
            cJSON_AddNullToObject(j, "email");
        cJSON_AddStringToObject(j, "reason", x->reason);
        cJSON_AddNumberToObject(j, "orders", (double)x->orders);
        char amount[48];
        loyalty_money_format(x->spend, amount, sizeof amount);
        cJSON_AddStringToObject(j, "spend", amount);
        char when[32];
        bd_time_format(x->last_order_at, when, sizeof when);
        cJSON_AddStringToObject(j, "last_order_at", when);
        cJSON_AddNumberToObject(j, "days_since_order",
                                (double)((o->as_of - x->last_order_at) / LOYALTY_DAY));
        if (contact) {
            bd_time_format(contact, when, sizeof when);
            cJSON_AddStringToObject(j, "last_contact_at", when);
        } else {
            cJSON_AddNullToObject(j, "last_contact_at");
        }
        cJSON_AddItemToArray(arr, j);
        store_buyer_row_clear(&b);
    }
    return 0;
}

int loyalty_report(bd_store *s, const loyalty_settings *set, const loyalty_report_opts *o,
                   cJSON **out, bd_err *err)
{
    *out = NULL;
    shop_pick pk = {.want = o->shop};
    if (o->shop) {
        if (store_shops_each(s, pick_shop, &pk, err)) return -1;
        if (!pk.id) return bd_err_set(err, "no shop \"%s\"", o->shop);
    }
    collect c;
    memset(&c, 0, sizeof c);
    loyalty_view *view;
    if (loyalty_view_open(s, set, &view, err)) return -1;
    c.view = view;
    int64_t unprofiled = 0;
    moves mv = {.pairs = cJSON_CreateObject()};
    cJSON *j = cJSON_CreateObject();
    int rc = store_loyalty_scan(s, pk.id, on_profile, &c, err) ||
                     store_loyalty_unprofiled(s, pk.id, &unprofiled, err) ||
                     store_tier_changes(s, o->from, o->to, on_change, &mv, err)
                 ? -1
                 : 0;
    if (!rc) {
        char when[32];
        bd_time_format(o->as_of, when, sizeof when);
        cJSON_AddStringToObject(j, "as_of", when);
        if (o->shop)
            cJSON_AddStringToObject(j, "shop", o->shop);
        else
            cJSON_AddNullToObject(j, "shop");
        cJSON_AddStringToObject(j, "tier_grading",
                                loyalty_grading_name(loyalty_settings_shop(set, o->shop)->grading));
        cJSON *d = cJSON_AddObjectToObject(j, "distribution");
        add_counters(d, "tier", &c.tier, NULL);
        add_counters(d, "pyramid", &c.pyramid,
                     (const char *const[]){"vip", "important", "ordinary", NULL});
        cJSON_AddNumberToObject(cJSON_GetObjectItemCaseSensitive(d, "pyramid"), "key_ordinary",
                                (double)c.key_ordinary);
        add_counters(d, "abc", &c.abc, (const char *const[]){"A", "B", "C", NULL});
        add_counters(d, "rfm", &c.rfm,
                     (const char *const[]){"champions", "active", "new", "needs_attention",
                                           "at_risk", "hibernating", "lost", NULL});
        add_counters(d, "loyalty", &c.loyalty,
                     (const char *const[]){"potential", "new", "repeat", "loyal", NULL});
        cJSON *pot = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(d, "loyalty"), "potential");
        cJSON_SetNumberValue(pot, pot->valuedouble + (double)unprofiled);
        add_counters(
            d, "lifecycle", &c.lifecycle,
            (const char *const[]){"exploration", "formation", "stability", "decline", NULL});
        cJSON *m = cJSON_AddObjectToObject(j, "movements");
        json_add_time(m, "from", o->from);
        json_add_time(m, "to", o->to);
        cJSON_AddNumberToObject(m, "up", (double)mv.up);
        cJSON_AddNumberToObject(m, "down", (double)mv.down);
        cJSON_AddItemToObject(m, "changes", mv.pairs);
        mv.pairs = NULL;
        cJSON *cl = cJSON_AddArrayToObject(j, "churn_risk");
        cJSON_AddNumberToObject(j, "churn_risk_total", (double)c.n_churn);
        rc = churn_list(s, &c, o, cl, err);
        cJSON_AddItemToObject(j, "concentration", concentration(&c, set->base_currency));
    }
    cJSON_Delete(mv.pairs);
    free(c.values);
    free(c.churn);
    loyalty_view_free(view);
    if (rc) {
        cJSON_Delete(j);
        return -1;
    }
    *out = j;
    return 0;
}
