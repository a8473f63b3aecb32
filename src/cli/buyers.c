/* buyers.c — `borderdesk buyers list|show|blacklist|flags`: buyers' loyalty profiles, the
 * blacklist (a person's decision, with a reason) and the suspicion flags the tier recompute
 * raises for a person to confirm or dismiss. */
#include "cli.h"

#include "borderdesk/loyalty.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void buyers_help(void)
{
    printf("usage: borderdesk buyers <subcommand>\n\n"
           "  list [--shop NAME] [--tier T] [--churn-risk] [--limit N] [--json]\n"
           "        buyers with a loyalty profile, highest spend first (default limit 50)\n"
           "  show BUYER [--json]       profile, blacklist entry, flags and history\n"
           "  blacklist add BUYER --reason TEXT [--as USER]\n"
           "  blacklist remove BUYER --reason TEXT [--as USER]\n"
           "  blacklist list [--json]\n"
           "  flags [list] [--all] [--json]   open suspicion flags (--all: every flag)\n"
           "  flags confirm FLAG --reason TEXT [--as USER]   blacklist the buyer\n"
           "  flags dismiss FLAG --reason TEXT [--as USER]\n\n"
           "BUYER is a buyer id or SHOP:BUYER_ID (the marketplace's buyer id). Flags are never\n"
           "an automatic ban: a person confirms them. Changes are buyer events (history).\n");
}

static int find_buyer(bd_store *s, const char *cmd, const char *ref, store_buyer_row *b)
{
    bd_err err;
    int found = store_buyer_find(s, ref, b, &err);
    if (found < 0) return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    if (!found) return cli_fail(BD_EXIT_FAIL, "%s: no buyer \"%s\"", cmd, ref);
    return 0;
}

static cJSON *profile_json(const store_buyer_loyalty *p, int have, const char *base)
{
    cJSON *j = cJSON_CreateObject();
    if (!have) {
        cJSON_AddStringToObject(j, "loyalty", "potential");
        cJSON_AddNumberToObject(j, "orders", 0);
        return j;
    }
    char amount[48];
    cJSON_AddNumberToObject(j, "orders", (double)p->orders);
    cJSON_AddNumberToObject(j, "orders_all", (double)p->orders_all);
    loyalty_money_format(p->spend, amount, sizeof amount);
    cJSON_AddStringToObject(j, "spend", amount);
    cJSON_AddStringToObject(j, "currency", base);
    json_add_time(j, "first_order_at", p->first_order_at);
    json_add_time(j, "last_order_at", p->last_order_at);
    cJSON *rfm = cJSON_AddObjectToObject(j, "rfm");
    cJSON_AddNumberToObject(rfm, "r", p->r);
    cJSON_AddNumberToObject(rfm, "f", p->f);
    cJSON_AddNumberToObject(rfm, "m", p->m);
    json_add_str(rfm, "segment", p->segment[0] ? p->segment : NULL);
    if (p->has[STORE_LM_FREQUENCY])
        cJSON_AddNumberToObject(rfm, "frequency", (double)p->metric[STORE_LM_FREQUENCY]);
    if (p->has[STORE_LM_MONETARY]) {
        loyalty_money_format(p->metric[STORE_LM_MONETARY], amount, sizeof amount);
        cJSON_AddStringToObject(rfm, "monetary", amount);
    }
    json_add_str(j, "pyramid", p->pyramid[0] ? p->pyramid : NULL);
    cJSON_AddBoolToObject(j, "top20", p->top20);
    json_add_str(j, "abc", p->abc[0] ? p->abc : NULL);
    if (p->has[STORE_LM_VALUE]) {
        loyalty_money_format(p->metric[STORE_LM_VALUE], amount, sizeof amount);
        cJSON_AddStringToObject(j, "period_sales", amount);
    } else {
        cJSON_AddNullToObject(j, "period_sales");
    }
    json_add_str(j, "loyalty", p->loyalty);
    json_add_str(j, "lifecycle", p->lifecycle[0] ? p->lifecycle : NULL);
    json_add_str(j, "churn_risk", p->churn[0] ? p->churn : NULL);
    json_add_str(j, "tier", p->tier[0] ? p->tier : NULL);
    cJSON_AddNumberToObject(j, "priority_boost", p->boost);
    cJSON_AddNumberToObject(j, "claims", (double)p->claims);
    cJSON_AddNumberToObject(j, "chargebacks", (double)p->chargebacks);
    cJSON_AddNumberToObject(j, "recent_dissatisfaction", (double)p->negatives);
    json_add_time(j, "computed_at", p->updated_at);
    return j;
}

static cJSON *flag_json(const store_buyer_flag *f)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)f->id);
    cJSON_AddNumberToObject(j, "buyer_id", (double)f->buyer_id);
    json_add_str(j, "shop", f->shop);
    json_add_str(j, "buyer", f->buyer_external_id);
    json_add_str(j, "name", f->buyer_name);
    cJSON_AddStringToObject(j, "kind", f->kind);
    cJSON_AddStringToObject(j, "status", f->status);
    cJSON_AddNumberToObject(j, "level", (double)f->level);
    cJSON *ev = f->evidence ? cJSON_Parse(f->evidence) : NULL;
    cJSON_AddItemToObject(j, "evidence", ev ? ev : cJSON_CreateNull());
    json_add_time(j, "raised_at", f->raised_at);
    json_add_str(j, "decided_by", f->decided_by);
    json_add_time(j, "decided_at", f->decided_at);
    json_add_str(j, "decision", f->decision);
    return j;
}

static cJSON *blacklist_json(const store_blacklist_entry *e)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "buyer_id", (double)e->buyer_id);
    json_add_str(j, "shop", e->shop);
    json_add_str(j, "buyer", e->buyer_external_id);
    json_add_str(j, "name", e->buyer_name);
    json_add_str(j, "reason", e->reason);
    json_add_str(j, "added_by", e->added_by);
    json_add_time(j, "added_at", e->added_at);
    if (e->flag_id)
        cJSON_AddNumberToObject(j, "flag", (double)e->flag_id);
    else
        cJSON_AddNullToObject(j, "flag");
    return j;
}

/* ---- list ---- */

typedef struct picked {
    int64_t id, spend;
    store_buyer_loyalty p;
} picked;

typedef struct pick {
    const char *tier;
    int churn;
    picked *rows;
    size_t n, cap;
} pick;

static int on_pick(void *ud, const store_buyer_loyalty *p, bd_err *err)
{
    (void)err;
    pick *k = ud;
    if (k->tier && strcmp(k->tier, p->tier) != 0) return 0;
    if (k->churn && !p->churn[0]) return 0;
    if (k->n == k->cap) {
        k->cap = k->cap ? k->cap * 2 : 256;
        k->rows = bd_realloc(k->rows, k->cap * sizeof *k->rows);
    }
    k->rows[k->n].id = p->buyer_id;
    k->rows[k->n].spend = p->spend;
    k->rows[k->n++].p = *p;
    return 0;
}

static int cmp_spend(const void *a, const void *b)
{
    const picked *x = a, *y = b;
    if (x->spend != y->spend) return x->spend < y->spend ? 1 : -1;
    return x->id < y->id ? -1 : x->id > y->id;
}

typedef struct shop_lookup {
    const char *name;
    int64_t id;
} shop_lookup;

static int on_shop(void *ud, int64_t id, const char *name, bd_err *err)
{
    (void)err;
    shop_lookup *l = ud;
    if (bd_streq(l->name, name)) l->id = id;
    return 0;
}

static int buyers_list(bd_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"shop", required_argument, NULL, 's'}, {"tier", required_argument, NULL, 't'},
        {"churn-risk", no_argument, NULL, 'c'}, {"limit", required_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},       {NULL, 0, NULL, 0}};
    pick k = {0};
    const char *shop = NULL;
    long limit = 50;
    int json = 0, c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            shop = optarg;
            break;
        case 't':
            k.tier = optarg;
            break;
        case 'c':
            k.churn = 1;
            break;
        case 'l': {
            char *end;
            limit = strtol(optarg, &end, 10);
            if (*end || limit < 0)
                return cli_usage("buyers list", "--limit needs a number (0: all)");
            break;
        }
        case 'j':
            json = 1;
            break;
        default:
            return cli_usage("buyers list", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("buyers list", "unexpected argument \"%s\"", argv[optind]);
    bd_store *s = cli_store(cli, STORE_OPEN_READONLY);
    if (!s) return BD_EXIT_FAIL;
    loyalty_settings *set;
    bd_err err;
    if (loyalty_settings_load(cli->config, &set, &err))
        return cli_fail(BD_EXIT_FAIL, "configuration: %s", err.msg);
    shop_lookup sl = {.name = shop};
    loyalty_view *view = NULL;
    int rc = BD_EXIT_OK;
    if (shop && (store_shops_each(s, on_shop, &sl, &err) || !sl.id)) {
        rc = sl.id ? cli_fail(BD_EXIT_FAIL, "%s", err.msg)
                   : cli_fail(BD_EXIT_FAIL, "buyers list: no shop \"%s\"", shop);
        goto out;
    }
    if (store_loyalty_scan(s, sl.id, on_pick, &k, &err) || loyalty_view_open(s, set, &view, &err)) {
        rc = cli_fail(BD_EXIT_FAIL, "%s", err.msg);
        goto out;
    }
    if (k.n) qsort(k.rows, k.n, sizeof *k.rows, cmp_spend);
    size_t n = limit && (size_t)limit < k.n ? (size_t)limit : k.n;
    cJSON *arr = json ? cJSON_CreateArray() : NULL;
    if (!json)
        printf("%-8s %-12s %-20s %-18s %-10s %6s %12s %-3s %-5s %-9s %-11s %s\n", "ID", "SHOP",
               "BUYER", "NAME", "TIER", "ORDERS", "SPEND", "ABC", "RFM", "LOYALTY", "LIFECYCLE",
               "CHURN");
    for (size_t i = 0; i < n; i++) {
        char ref[32];
        snprintf(ref, sizeof ref, "%lld", (long long)k.rows[i].id);
        store_buyer_row b;
        if (store_buyer_find(s, ref, &b, &err) != 1) continue;
        store_buyer_loyalty *p = &k.rows[i].p;
        loyalty_view_labels(view, p);
        if (json) {
            cJSON *j = profile_json(p, 1, set->base_currency);
            cJSON_AddNumberToObject(j, "buyer_id", (double)b.id);
            cJSON_AddStringToObject(j, "shop", b.shop);
            cJSON_AddStringToObject(j, "buyer", b.external_id);
            json_add_str(j, "name", b.name);
            cJSON_AddItemToArray(arr, j);
        } else {
            char amount[48], rfm[8];
            loyalty_money_format(p->spend, amount, sizeof amount);
            snprintf(rfm, sizeof rfm, "%d%d%d", p->r, p->f, p->m);
            cli_cell(stdout, ref, 8);
            putchar(' ');
            cli_cell(stdout, b.shop, 12);
            putchar(' ');
            cli_cell(stdout, b.external_id, 20);
            putchar(' ');
            cli_cell(stdout, b.name ? b.name : "-", 18);
            printf(" %-10s %6lld %12s %-3s %-5s %-9s %-11s %s\n", p->tier[0] ? p->tier : "-",
                   (long long)p->orders, amount, p->abc[0] ? p->abc : "-", p->orders ? rfm : "-",
                   p->loyalty, p->lifecycle[0] ? p->lifecycle : "-", p->churn[0] ? p->churn : "-");
        }
        store_buyer_row_clear(&b);
    }
    if (json)
        cli_print_json(arr);
    else
        printf("%zu of %zu buyer%s (spend in %s)\n", n, k.n, k.n == 1 ? "" : "s",
               set->base_currency);
out:
    free(k.rows);
    loyalty_view_free(view);
    loyalty_settings_free(set);
    return rc;
}

/* ---- show ---- */

static int buyers_show(bd_cli *cli, int argc, char **argv)
{
    int json = 0;
    const char *ref = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (!ref)
            ref = argv[i];
        else
            return cli_usage("buyers show", "unexpected argument \"%s\"", argv[i]);
    }
    if (!ref) return cli_usage("buyers show", "which buyer? give an id or SHOP:BUYER_ID");
    bd_store *s = cli_store(cli, STORE_OPEN_READONLY);
    if (!s) return BD_EXIT_FAIL;
    store_buyer_row b;
    if (find_buyer(s, "buyers show", ref, &b)) return BD_EXIT_FAIL;
    loyalty_settings *set = NULL;
    bd_err err;
    store_buyer_loyalty p;
    store_blacklist_entry bl;
    store_event *ev = NULL;
    size_t nev = 0;
    store_buyer_flag flags[2];
    int have_flag[2] = {0, 0};
    memset(flags, 0, sizeof flags);
    memset(&bl, 0, sizeof bl);
    int rc = BD_EXIT_OK;
    int have = 0, listed = 0;
    loyalty_view *view = NULL;
    if (loyalty_settings_load(cli->config, &set, &err) || loyalty_view_open(s, set, &view, &err) ||
        (have = store_loyalty_get(s, b.id, &p, &err)) < 0 ||
        (listed = store_blacklist_get(s, b.id, &bl, &err)) < 0 ||
        (have_flag[0] = store_flag_latest(s, b.id, "refund_claims", &flags[0], &err)) < 0 ||
        (have_flag[1] = store_flag_latest(s, b.id, "chargebacks", &flags[1], &err)) < 0 ||
        store_buyer_events(s, b.id, &ev, &nev, &err)) {
        rc = cli_fail(BD_EXIT_FAIL, "%s", err.msg);
        goto out;
    }
    if (have) loyalty_view_labels(view, &p);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)b.id);
    cJSON_AddStringToObject(j, "shop", b.shop);
    cJSON_AddStringToObject(j, "marketplace", b.marketplace);
    cJSON_AddStringToObject(j, "external_id", b.external_id);
    json_add_str(j, "name", b.name);
    json_add_str(j, "email", b.email);
    json_add_str(j, "country", b.country);
    json_add_str(j, "language", b.language);
    cJSON_AddItemToObject(j, "loyalty", profile_json(&p, have, set->base_currency));
    cJSON_AddItemToObject(j, "blacklist", listed ? blacklist_json(&bl) : cJSON_CreateNull());
    cJSON *fa = cJSON_AddArrayToObject(j, "flags");
    for (int i = 0; i < 2; i++)
        if (have_flag[i]) cJSON_AddItemToArray(fa, flag_json(&flags[i]));
    cJSON *ea = cJSON_AddArrayToObject(j, "events");
    for (size_t i = 0; i < nev; i++)
        cJSON_AddItemToArray(ea, ticket_event_json(&ev[i]));
    if (json) {
        cli_print_json(j);
    } else {
        printf("Buyer %lld  %s <%s>  shop %s (%s)%s%s\n", (long long)b.id, b.name ? b.name : "-",
               b.external_id, b.shop, b.marketplace, b.country ? "  country " : "",
               b.country ? b.country : "");
        if (listed) printf("BLACKLISTED by %s: %s\n", bl.added_by, bl.reason);
        if (!have) {
            printf("Loyalty:   potential (no order yet)\n");
        } else {
            char amount[48], first[32], last[32];
            loyalty_money_format(p.spend, amount, sizeof amount);
            bd_time_format(p.first_order_at, first, sizeof first);
            bd_time_format(p.last_order_at, last, sizeof last);
            printf("Tier:      %s (%s grading), priority boost %+d\n", p.tier[0] ? p.tier : "-",
                   loyalty_grading_name(loyalty_settings_shop(set, b.shop)->grading), p.boost);
            printf("Orders:    %lld counted (%lld in all), spend %s %s\n", (long long)p.orders,
                   (long long)p.orders_all, amount, set->base_currency);
            if (p.orders) {
                printf("           first %.10s, last %.10s\n", first, last);
                printf("RFM:       %d%d%d %s\n", p.r, p.f, p.m, p.segment);
                printf("Pyramid:   %s%s   ABC: %s\n", p.pyramid, p.top20 ? " (top 20%)" : "",
                       p.abc);
            }
            printf("Loyalty:   %s   life cycle: %s%s%s\n", p.loyalty,
                   p.lifecycle[0] ? p.lifecycle : "-", p.churn[0] ? "   churn risk: " : "",
                   p.churn);
            printf("Claims:    %lld refund claims, %lld chargebacks, %lld recent dissatisfied"
                   " answers\n",
                   (long long)p.claims, (long long)p.chargebacks, (long long)p.negatives);
        }
        for (int i = 0; i < 2; i++)
            if (have_flag[i])
                printf("Flag %lld:   %s (%s) %s\n", (long long)flags[i].id, flags[i].kind,
                       flags[i].status, flags[i].evidence);
        if (nev) printf("History:\n");
        for (size_t i = 0; i < nev; i++) {
            char at[32];
            bd_time_format(ev[i].at, at, sizeof at);
            printf("  %s  %-10s %-15s %s\n", at, ev[i].actor, ev[i].kind,
                   ev[i].detail ? ev[i].detail : "");
        }
        cJSON_Delete(j);
    }
out:
    loyalty_view_free(view);
    for (int i = 0; i < 2; i++)
        store_buyer_flag_clear(&flags[i]);
    store_blacklist_entry_clear(&bl);
    store_events_free(ev, nev);
    store_buyer_row_clear(&b);
    loyalty_settings_free(set);
    return rc;
}

/* ---- changes: blacklist and flags ---- */

typedef struct change_opts {
    const char *reason, *as;
} change_opts;

static int change_options(const char *cmd, int argc, char **argv, change_opts *o, int *first)
{
    static const struct option opts[] = {{"reason", required_argument, NULL, 'r'},
                                         {"as", required_argument, NULL, 'a'},
                                         {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'r')
            o->reason = optarg;
        else if (c == 'a')
            o->as = optarg;
        else
            return cli_usage(cmd, "unknown option");
    }
    if (optind != argc - 1) return cli_usage(cmd, "give one buyer or flag");
    if (!o->reason || !*o->reason) return cli_usage(cmd, "--reason is required");
    if (!o->as) o->as = cli_actor();
    *first = optind;
    return 0;
}

typedef int (*change_fn)(bd_store *s, const loyalty_settings *set, const char *ref,
                         const change_opts *o, bd_err *err);

static int run_change(bd_cli *cli, const char *cmd, int argc, char **argv, change_fn fn,
                      const char *done)
{
    change_opts o;
    int first = 0;
    int rc = change_options(cmd, argc, argv, &o, &first);
    if (rc) return rc;
    bd_store *s = cli_store(cli, 0);
    if (!s) return BD_EXIT_FAIL;
    loyalty_settings *set;
    bd_err err;
    if (loyalty_settings_load(cli->config, &set, &err))
        return cli_fail(BD_EXIT_FAIL, "configuration: %s", err.msg);
    int frc = store_begin(s, &err);
    if (!frc) frc = fn(s, set, argv[first], &o, &err);
    if (!frc) frc = store_commit(s, &err);
    loyalty_settings_free(set);
    if (frc) {
        store_rollback(s);
        return cli_fail(BD_EXIT_FAIL, "%s: %s", cmd, err.msg);
    }
    printf("%s %s\n", argv[first], done);
    return BD_EXIT_OK;
}

static int resolve(bd_store *s, const char *ref, int64_t *id, bd_err *err)
{
    store_buyer_row b;
    int found = store_buyer_find(s, ref, &b, err);
    if (found < 0) return -1;
    if (!found) return bd_err_set(err, "no buyer \"%s\"", ref);
    *id = b.id;
    store_buyer_row_clear(&b);
    return 0;
}

static int do_blacklist_add(bd_store *s, const loyalty_settings *set, const char *ref,
                            const change_opts *o, bd_err *err)
{
    int64_t id = 0;
    if (resolve(s, ref, &id, err)) return -1;
    return loyalty_blacklist_add(s, set, id, o->reason, o->as, bd_now(), err);
}

static int do_blacklist_remove(bd_store *s, const loyalty_settings *set, const char *ref,
                               const change_opts *o, bd_err *err)
{
    int64_t id = 0;
    if (resolve(s, ref, &id, err)) return -1;
    return loyalty_blacklist_remove(s, set, id, o->reason, o->as, bd_now(), err);
}

static int flag_id(const char *ref, int64_t *id, bd_err *err)
{
    char *end;
    long long v = strtoll(ref, &end, 10);
    if (!*ref || *end || v <= 0) return bd_err_set(err, "\"%s\" is not a flag id", ref);
    *id = v;
    return 0;
}

static int do_flag_confirm(bd_store *s, const loyalty_settings *set, const char *ref,
                           const change_opts *o, bd_err *err)
{
    int64_t id = 0;
    if (flag_id(ref, &id, err)) return -1;
    return loyalty_flag_confirm(s, set, id, o->reason, o->as, bd_now(), err);
}

static int do_flag_dismiss(bd_store *s, const loyalty_settings *set, const char *ref,
                           const change_opts *o, bd_err *err)
{
    (void)set;
    int64_t id = 0;
    if (flag_id(ref, &id, err)) return -1;
    return loyalty_flag_dismiss(s, id, o->reason, o->as, bd_now(), err);
}

static int blacklist_list(bd_cli *cli, int argc, char **argv)
{
    int json = argc > 1 && strcmp(argv[1], "--json") == 0;
    if (argc > 1 + json) return cli_usage("buyers blacklist list", "unexpected argument");
    bd_store *s = cli_store(cli, STORE_OPEN_READONLY);
    if (!s) return BD_EXIT_FAIL;
    store_blacklist_entry *e;
    size_t n;
    bd_err err;
    if (store_blacklist_list(s, &e, &n, &err)) return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(arr, blacklist_json(&e[i]));
        cli_print_json(arr);
    } else {
        for (size_t i = 0; i < n; i++) {
            char at[32];
            bd_time_format(e[i].added_at, at, sizeof at);
            printf("%lld  %s:%s  %s  by %s on %.10s: %s\n", (long long)e[i].buyer_id, e[i].shop,
                   e[i].buyer_external_id, e[i].buyer_name ? e[i].buyer_name : "-", e[i].added_by,
                   at, e[i].reason);
        }
        printf("%zu buyer%s blacklisted\n", n, n == 1 ? "" : "s");
    }
    store_blacklist_entries_free(e, n);
    return BD_EXIT_OK;
}

static int flags_list(bd_cli *cli, int argc, char **argv)
{
    int json = 0, all = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--all"))
            all = 1;
        else
            return cli_usage("buyers flags", "unexpected argument \"%s\"", argv[i]);
    }
    bd_store *s = cli_store(cli, STORE_OPEN_READONLY);
    if (!s) return BD_EXIT_FAIL;
    store_buyer_flag *f;
    size_t n;
    bd_err err;
    if (store_flags_list(s, all ? NULL : "open", &f, &n, &err))
        return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(arr, flag_json(&f[i]));
        cli_print_json(arr);
    } else {
        for (size_t i = 0; i < n; i++) {
            char at[32];
            bd_time_format(f[i].raised_at, at, sizeof at);
            printf("flag %lld  [%s]  %s  %s:%s %s  raised %.10s  %s\n", (long long)f[i].id,
                   f[i].status, f[i].kind, f[i].shop, f[i].buyer_external_id,
                   f[i].buyer_name ? f[i].buyer_name : "", at, f[i].evidence);
        }
        printf("%zu %sflag%s%s\n", n, all ? "" : "open ", n == 1 ? "" : "s",
               n && !all ? " (confirm or dismiss: `borderdesk buyers flags confirm|dismiss ID"
                           " --reason TEXT`)"
                         : "");
    }
    store_buyer_flags_free(f, n);
    return BD_EXIT_OK;
}

int cmd_buyers(bd_cli *cli, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        buyers_help();
        return argc < 2 ? BD_EXIT_USAGE : BD_EXIT_OK;
    }
    if (cli_wants_help(argc, argv)) {
        buyers_help();
        return BD_EXIT_OK;
    }
    const char *sub = argv[1];
    argc--, argv++;
    if (!strcmp(sub, "list")) return buyers_list(cli, argc, argv);
    if (!strcmp(sub, "show")) return buyers_show(cli, argc, argv);
    if (!strcmp(sub, "blacklist")) {
        if (argc < 2) return cli_usage("buyers blacklist", "add, remove or list?");
        if (!strcmp(argv[1], "add"))
            return run_change(cli, "buyers blacklist add", argc - 1, argv + 1, do_blacklist_add,
                              "blacklisted");
        if (!strcmp(argv[1], "remove"))
            return run_change(cli, "buyers blacklist remove", argc - 1, argv + 1,
                              do_blacklist_remove, "removed from the blacklist");
        if (!strcmp(argv[1], "list")) return blacklist_list(cli, argc - 1, argv + 1);
        return cli_usage("buyers blacklist", "unknown subcommand \"%s\"", argv[1]);
    }
    if (!strcmp(sub, "flags")) {
        if (argc >= 2 && !strcmp(argv[1], "confirm"))
            return run_change(cli, "buyers flags confirm", argc - 1, argv + 1, do_flag_confirm,
                              "confirmed: the buyer is blacklisted");
        if (argc >= 2 && !strcmp(argv[1], "dismiss"))
            return run_change(cli, "buyers flags dismiss", argc - 1, argv + 1, do_flag_dismiss,
                              "dismissed");
        if (argc >= 2 && !strcmp(argv[1], "list")) return flags_list(cli, argc - 1, argv + 1);
        return flags_list(cli, argc, argv);
    }
    return cli_usage("buyers", "unknown subcommand \"%s\"", sub);
}
