/* report_loyalty.c — `borderdesk report satisfaction` and `borderdesk report tiers`, in
 * table, CSV or JSON form. The figures come from src/satisfaction and src/loyalty. */
#include "cli.h"

#include "borderdesk/loyalty.h"
#include "borderdesk/satisfaction.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum { FMT_TABLE, FMT_CSV, FMT_JSON };

typedef struct period_opts {
    int64_t from, to;
    int format;
    const char *group, *shop;
    long limit;
} period_opts;

/* --from/--to: dates are whole days (--to includes its day); times are exact bounds. The
 * default period is the last 30 days. */
static int parse_period(const char *cmd, int argc, char **argv, int with_group, int with_shop,
                        period_opts *o)
{
    static const struct option opts[] = {{"from", required_argument, NULL, 'f'},
                                         {"to", required_argument, NULL, 't'},
                                         {"group-by", required_argument, NULL, 'g'},
                                         {"format", required_argument, NULL, 'o'},
                                         {"shop", required_argument, NULL, 's'},
                                         {"limit", required_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->to = bd_now();
    o->from = o->to - 30 * 86400;
    int have_from = 0, c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
        case 't': {
            int64_t t;
            if (bd_time_parse_loose(optarg, &t))
                return cli_usage(cmd, "--%s needs a date (YYYY-MM-DD or RFC 3339): \"%s\"",
                                 c == 'f' ? "from" : "to", optarg);
            if (c == 't' && strlen(optarg) == 10) t += 86400; /* the whole day */
            if (c == 'f')
                o->from = t, have_from = 1;
            else
                o->to = t;
            break;
        }
        case 'g':
            if (!with_group) return cli_usage(cmd, "unknown option --group-by");
            if (sat_group_parse(optarg) < 0)
                return cli_usage(cmd, "--group-by is agent, shop, category or week");
            o->group = optarg;
            break;
        case 'o':
            if (!strcmp(optarg, "table"))
                o->format = FMT_TABLE;
            else if (!strcmp(optarg, "csv"))
                o->format = FMT_CSV;
            else if (!strcmp(optarg, "json"))
                o->format = FMT_JSON;
            else
                return cli_usage(cmd, "--format is table, csv or json");
            break;
        case 's':
            if (!with_shop) return cli_usage(cmd, "unknown option --shop");
            o->shop = optarg;
            break;
        case 'l': {
            char *end;
            o->limit = strtol(optarg, &end, 10);
            if (*end || o->limit < 0 || !with_shop)
                return cli_usage(cmd, "--limit needs a number (0: all)");
            break;
        }
        default:
            return cli_usage(cmd, "unknown option");
        }
    }
    if (optind < argc) return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
    if (!have_from) o->from = o->to - 30 * 86400;
    if (o->to <= o->from) return cli_usage(cmd, "--to must come after --from");
    return 0;
}

/* ---- satisfaction ---- */

static void sat_help(void)
{
    printf("usage: borderdesk report satisfaction [--from DATE] [--to DATE]\n"
           "         [--group-by agent|shop|category|week] [--format table|csv|json]\n\n"
           "Surveys sent in the period and their answers, marketplace feedback left and buyer\n"
           "messages classified as reviews, per group (default: one row), with a total:\n"
           "  response rate = answered / sent x 100\n"
           "  CSAT %% = (4s + 5s) / CSAT answers x 100\n"
           "  NPS = %% promoters (9-10) - %% detractors (0-6) of NPS answers\n"
           "  CES %% = answers 5-7 / CES answers x 100\n"
           "  dimension averages: quality, attitude, speed, price (1-5)\n"
           "Dates are days (--to includes its day); default: the last 30 days.\n");
}

static void fmt_num(const cJSON *v, char *out, size_t n, int decimals)
{
    if (!v || cJSON_IsNull(v))
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%.*f", decimals, v->valuedouble);
}

static void sat_print_row(const cJSON *j, int csv)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "dimension_avg");
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(j, "feedback");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(j, "review_messages");
    const char *names[] = {"surveys_sent", "responses", "response_rate_pct",
                           "csat_pct",     "nps",       "ces_easy_pct"};
    const int dec[] = {0, 0, 1, 1, 1, 1};
    char cells[16][32];
    int k = 0;
    for (int i = 0; i < 6; i++)
        fmt_num(cJSON_GetObjectItemCaseSensitive(j, names[i]), cells[k++], 32, dec[i]);
    const char *dims[] = {"quality", "attitude", "speed", "price"};
    for (int i = 0; i < 4; i++)
        fmt_num(cJSON_GetObjectItemCaseSensitive(d, dims[i]), cells[k++], 32, 2);
    const char *fb[] = {"positive", "neutral", "negative"};
    for (int i = 0; i < 3; i++)
        fmt_num(cJSON_GetObjectItemCaseSensitive(f, fb[i]), cells[k++], 32, 0);
    const char *rv[] = {"positive", "negative", "revision"};
    for (int i = 0; i < 3; i++)
        fmt_num(cJSON_GetObjectItemCaseSensitive(r, rv[i]), cells[k++], 32, 0);
    const char *group = bd_json_str(j, "group");
    if (csv) {
        /* CSV: quote the group, which is free text */
        putchar('"');
        for (const char *p = group; *p; p++) {
            if (*p == '"') putchar('"');
            putchar(*p);
        }
        putchar('"');
        for (int i = 0; i < k; i++)
            printf(",%s", strcmp(cells[i], "-") ? cells[i] : "");
        putchar('\n');
        return;
    }
    cli_cell(stdout, group, 20);
    for (int i = 0; i < k; i++)
        printf(" %*s", i < 6 ? 7 : 5, cells[i]);
    putchar('\n');
}

int cli_report_satisfaction(bd_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        sat_help();
        return BD_EXIT_OK;
    }
    period_opts o;
    int rc = parse_period("report satisfaction", argc, argv, 1, 0, &o);
    if (rc) return rc;
    bd_store *s = cli_store(cli, STORE_OPEN_READONLY);
    if (!s) return BD_EXIT_FAIL;
    sat_row *rows, total;
    size_t n;
    bd_err err;
    int group = sat_group_parse(o.group);
    if (sat_report(s, o.from, o.to, group, &rows, &n, &total, &err))
        return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    if (o.format == FMT_JSON) {
        cli_print_json(sat_report_json(o.from, o.to, o.group, rows, n, &total));
    } else {
        int csv = o.format == FMT_CSV;
        if (csv)
            printf("group,surveys_sent,responses,response_rate_pct,csat_pct,nps,ces_easy_pct,"
                   "quality,attitude,speed,price,feedback_positive,feedback_neutral,"
                   "feedback_negative,reviews_positive,reviews_negative,reviews_revision\n");
        else {
            char a[32], b[32];
            bd_time_format(o.from, a, sizeof a);
            bd_time_format(o.to, b, sizeof b);
            printf("Satisfaction %s .. %s%s%s\n\n", a, b, o.group ? ", by " : "",
                   o.group ? o.group : "");
            printf("%-20s %7s %7s %7s %7s %7s %7s %5s %5s %5s %5s %5s %5s %5s %5s %5s %5s\n",
                   o.group ? o.group : "", "SENT", "ANSWERS", "RATE%", "CSAT%", "NPS", "CES%",
                   "QUAL", "ATT", "SPEED", "PRICE", "FB+", "FB=", "FB-", "REV+", "REV-", "REV~");
        }
        for (size_t i = 0; i < n; i++) {
            cJSON *j = sat_row_json(&rows[i]);
            sat_print_row(j, csv);
            cJSON_Delete(j);
        }
        if (group != SAT_BY_NONE || n == 0) {
            cJSON *j = sat_row_json(&total);
            sat_print_row(j, csv);
            cJSON_Delete(j);
        }
    }
    free(rows);
    return BD_EXIT_OK;
}

/* ---- tiers ---- */

static void tiers_help(void)
{
    printf("usage: borderdesk report tiers [--from DATE] [--to DATE] [--shop NAME] [--limit N]\n"
           "         [--format table|csv|json]\n\n"
           "Buyers per tier of every grading (pyramid with its key-ordinary band, ABC, RFM\n"
           "segment, loyalty class, life-cycle stage), tier movements up and down in the period,\n"
           "the churn-risk list (most valuable first; --limit, default 50, 0 for all) with the\n"
           "last order and contact, and the share of sales of the top 1 / 5 / 20%% of buyers.\n"
           "Profiles are as of the last `borderdesk tiers recompute`.\n");
}

static void print_counts(const char *title, const cJSON *o, int csv, const char *section)
{
    if (csv) {
        for (const cJSON *k = o->child; k; k = k->next)
            printf("%s,%s,%s,%.0f\n", section, title, k->string, k->valuedouble);
        return;
    }
    printf("  %-10s", title);
    for (const cJSON *k = o->child; k; k = k->next)
        printf("  %s %.0f", k->string, k->valuedouble);
    putchar('\n');
}

static void print_tiers(const cJSON *j, int csv)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "distribution");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "movements");
    const cJSON *cl = cJSON_GetObjectItemCaseSensitive(j, "churn_risk");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "concentration");
    if (csv) {
        printf("section,group,key,value\n");
        for (const cJSON *g = d->child; g; g = g->next)
            print_counts(g->string, g, 1, "distribution");
        printf("movements,all,up,%.0f\nmovements,all,down,%.0f\n",
               cJSON_GetObjectItemCaseSensitive(m, "up")->valuedouble,
               cJSON_GetObjectItemCaseSensitive(m, "down")->valuedouble);
        for (const cJSON *k = cJSON_GetObjectItemCaseSensitive(m, "changes")->child; k; k = k->next)
            printf("movements,change,\"%s\",%.0f\n", k->string, k->valuedouble);
        for (const cJSON *b = cl->child; b; b = b->next)
            printf("churn_risk,\"%s:%s\",%s,%s\n", bd_json_str(b, "shop"), bd_json_str(b, "buyer"),
                   bd_json_str(b, "reason"), bd_json_str(b, "last_order_at"));
        for (const cJSON *k = c->child; k; k = k->next) {
            if (cJSON_IsNumber(k))
                printf("concentration,all,%s,%g\n", k->string, k->valuedouble);
            else if (cJSON_IsString(k))
                printf("concentration,all,%s,%s\n", k->string, k->valuestring);
            else
                printf("concentration,all,%s,\n", k->string);
        }
        return;
    }
    printf("Tiers as of %s%s%s (the tier is the %s grading)\n\n", bd_json_str(j, "as_of"),
           bd_json_str(j, "shop") ? ", shop " : "",
           bd_json_str(j, "shop") ? bd_json_str(j, "shop") : "", bd_json_str(j, "tier_grading"));
    printf("Distribution\n");
    for (const cJSON *g = d->child; g; g = g->next)
        print_counts(g->string, g, 0, NULL);
    printf("\nMovements %s .. %s: %.0f up, %.0f down\n", bd_json_str(m, "from"),
           bd_json_str(m, "to"), cJSON_GetObjectItemCaseSensitive(m, "up")->valuedouble,
           cJSON_GetObjectItemCaseSensitive(m, "down")->valuedouble);
    for (const cJSON *k = cJSON_GetObjectItemCaseSensitive(m, "changes")->child; k; k = k->next)
        printf("  %-28s %.0f\n", k->string, k->valuedouble);
    printf("\nChurn risk: %.0f buyers%s\n",
           cJSON_GetObjectItemCaseSensitive(j, "churn_risk_total")->valuedouble,
           cJSON_GetArraySize(cl) ? " (most valuable first)" : "");
    if (cJSON_GetArraySize(cl))
        printf("  %-12s %-20s %-20s %-8s %6s %12s %-10s %-10s\n", "SHOP", "BUYER", "NAME", "REASON",
               "ORDERS", "SPEND", "LAST ORDER", "CONTACT");
    for (const cJSON *b = cl->child; b; b = b->next) {
        char last[16], contact[16];
        snprintf(last, sizeof last, "%.10s", bd_json_str(b, "last_order_at"));
        snprintf(contact, sizeof contact, "%.10s",
                 bd_json_str(b, "last_contact_at") ? bd_json_str(b, "last_contact_at") : "-");
        printf("  ");
        cli_cell(stdout, bd_json_str(b, "shop"), 12);
        putchar(' ');
        cli_cell(stdout, bd_json_str(b, "buyer"), 20);
        putchar(' ');
        cli_cell(stdout, bd_json_str(b, "name") ? bd_json_str(b, "name") : "-", 20);
        printf(" %-8s %6.0f %12s %-10s %-10s\n", bd_json_str(b, "reason"),
               cJSON_GetObjectItemCaseSensitive(b, "orders")->valuedouble, bd_json_str(b, "spend"),
               last, contact);
    }
    char t1[16], t5[16], t20[16];
    fmt_num(cJSON_GetObjectItemCaseSensitive(c, "top_1_pct"), t1, sizeof t1, 1);
    fmt_num(cJSON_GetObjectItemCaseSensitive(c, "top_5_pct"), t5, sizeof t5, 1);
    fmt_num(cJSON_GetObjectItemCaseSensitive(c, "top_20_pct"), t20, sizeof t20, 1);
    printf("\nValue concentration: %.0f buyers, sales %s %s; top 1%%: %s%%, top 5%%: %s%%, "
           "top 20%%: %s%% of sales\n",
           cJSON_GetObjectItemCaseSensitive(c, "buyers")->valuedouble, bd_json_str(c, "sales"),
           bd_json_str(c, "currency"), t1, t5, t20);
}

int cli_report_tiers(bd_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        tiers_help();
        return BD_EXIT_OK;
    }
    period_opts o;
    int rc = parse_period("report tiers", argc, argv, 0, 1, &o);
    if (rc) return rc;
    bd_store *s = cli_store(cli, STORE_OPEN_READONLY);
    if (!s) return BD_EXIT_FAIL;
    loyalty_settings *set;
    bd_err err;
    if (loyalty_settings_load(cli->config, &set, &err))
        return cli_fail(BD_EXIT_FAIL, "configuration: %s", err.msg);
    loyalty_report_opts ro = {.from = o.from,
                              .to = o.to,
                              .shop = o.shop,
                              .as_of = bd_now(),
                              .churn_limit = o.limit ? (size_t)o.limit : 0};
    int64_t as_of, full_at;
    char hash[32];
    if (store_loyalty_state_get(s, &as_of, hash, sizeof hash, &full_at, &err) == 1)
        ro.as_of = as_of;
    int limit_given = 0;
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], "--limit", 7)) limit_given = 1;
    if (!limit_given) ro.churn_limit = 50;
    cJSON *j;
    if (loyalty_report(s, set, &ro, &j, &err)) {
        loyalty_settings_free(set);
        return cli_fail(strncmp(err.msg, "no shop", 7) ? BD_EXIT_FAIL : BD_EXIT_USAGE, "%s",
                        err.msg);
    }
    if (o.format == FMT_JSON) {
        cli_print_json(j);
    } else {
        print_tiers(j, o.format == FMT_CSV);
        cJSON_Delete(j);
    }
    loyalty_settings_free(set);
    return BD_EXIT_OK;
}
