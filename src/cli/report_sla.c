/* report_sla.c — `borderdesk report sla`: response times per group, breaches, and the
 * marketplaces' late-response rate per shop. */
#include "report.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void sla_help(void)
{
    printf("usage: borderdesk report sla [--from DATE] [--to DATE]\n"
           "         [--group-by agent|shop|marketplace|category|language|day|week]\n"
           "         [--clock team|marketplace] [--format table|csv|json] [--breaches]\n\n"
           "First reply, next reply and resolution times of the clocks that started in the\n"
           "period: count, median, 90th percentile, %% within target and breaches; and the\n"
           "late-response rate per shop over the 7/30/90 days before the end of the period.\n\n"
           "  --from, --to  dates in the report time zone (--to inclusive) or RFC 3339 times;\n"
           "                default: the last 30 days\n"
           "  --clock       team: business time against team targets (default);\n"
           "                marketplace: calendar time against marketplace deadlines\n"
           "  --breaches    list every breaching clock (agent, buyer, times, how late);\n"
           "                with --format csv only the list is printed\n"
           "Running clocks are measured at the end of the period, or now if that is earlier.\n"
           "docs/sla.md documents the configuration and the JSON schema.\n");
}

static const char *const clock_labels[] = {"first reply", "next reply", "resolution"};

static void pct(const sla_stat *s, char *out, size_t n)
{
    if (!s->with_target) snprintf(out, n, "-");
    else snprintf(out, n, "%.1f%%", (double)((s->within * 1000 + s->with_target / 2) /
                                             s->with_target) / 10.0);
}

static void print_row(const sla_group_row *row, size_t key_w)
{
    for (int c = 0; c < SLA_N_CLOCKS; c++) {
        const sla_stat *s = &row->stat[c];
        char med[32], p90[32], within[16];
        report_duration(s->median, med, sizeof med);
        report_duration(s->p90, p90, sizeof p90);
        pct(s, within, sizeof within);
        cli_cell(stdout, c == 0 ? row->key : "", key_w);
        printf("  %-11s %7lld %7lld %10s %10s %7s %8lld\n", clock_labels[c], (long long)s->count,
               (long long)s->running, med, p90, within, (long long)s->breaches);
    }
}

static void print_table(const sla_report *r, const sla_config *c)
{
    char from[32], to[32], as_of[32];
    bd_time_format(r->opts.from, from, sizeof from);
    bd_time_format(r->opts.to, to, sizeof to);
    bd_time_format(r->opts.as_of, as_of, sizeof as_of);
    printf("SLA report %s .. %s (report zone %s), as of %s\n", from, to,
           cal_zone(c->report_calendar), as_of);
    printf("%s clock: %s; durations h:mm:ss\n\n", r->opts.marketplace ? "marketplace" : "team",
           r->opts.marketplace ? "calendar time against marketplace deadlines"
                               : "business time against team targets");
    size_t key_w = 12;
    for (size_t i = 0; i < r->n_rows; i++) {
        size_t w = bd_utf8_width(r->rows[i].key);
        if (w > key_w) key_w = w > 30 ? 30 : w;
    }
    const char *label = r->opts.group == SLA_GROUP_NONE ? "GROUP" : sla_group_name(r->opts.group);
    char upper[32];
    snprintf(upper, sizeof upper, "%s", label);
    for (char *p = upper; *p; p++) *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    cli_cell(stdout, upper, key_w);
    printf("  %-11s %7s %7s %10s %10s %7s %8s\n", "CLOCK", "COUNT", "RUNNING", "MEDIAN", "P90",
           "WITHIN", "BREACHES");
    if (r->opts.group != SLA_GROUP_NONE)
        for (size_t i = 0; i < r->n_rows; i++) print_row(&r->rows[i], key_w);
    print_row(&r->total, key_w);

    if (r->n_late) {
        printf("\nLate-response rate (replies after the marketplace deadline, calendar time):\n");
        printf("%-24s %-12s %16s %16s %16s\n", "SHOP", "MARKETPLACE", "LAST 7 DAYS",
               "LAST 30 DAYS", "LAST 90 DAYS");
        for (size_t i = 0; i < r->n_late; i++) {
            const sla_late_rate *l = &r->late[i];
            cli_cell(stdout, l->shop, 24);
            putchar(' ');
            cli_cell(stdout, l->marketplace, 12);
            for (int w = 0; w < 3; w++) {
                char cell[40];
                if (l->counted[w])
                    snprintf(cell, sizeof cell, "%.1f%% (%lld/%lld)",
                             100.0 * (double)l->late[w] / (double)l->counted[w],
                             (long long)l->late[w], (long long)l->counted[w]);
                else snprintf(cell, sizeof cell, "-");
                printf(" %16s", cell);
            }
            putchar('\n');
        }
    }
    if (r->opts.breaches) {
        printf("\nBreaches (%zu), latest first by how late:\n", r->n_breaches);
        printf("%-7s %-11s %-14s %-18s %-16s %-20s %-20s %10s\n", "TICKET", "CLOCK", "AGENT",
               "BUYER", "SHOP", "STARTED", "STOPPED", "LATE");
        for (size_t i = 0; i < r->n_breaches; i++) {
            const sla_breach *b = &r->breaches[i];
            char start[32], end[32], late[32];
            bd_time_format(b->start, start, sizeof start);
            if (b->end) bd_time_format(b->end, end, sizeof end);
            else snprintf(end, sizeof end, "(not yet)");
            report_duration(b->late, late, sizeof late);
            printf("%-7lld %-11s ", (long long)b->ticket_id, clock_labels[b->clock]);
            cli_cell(stdout, b->agent, 14);
            putchar(' ');
            cli_cell(stdout, b->buyer ? b->buyer : "-", 18);
            putchar(' ');
            cli_cell(stdout, b->shop, 16);
            printf(" %-20s %-20s %10s\n", start, end, late);
        }
    }
}

static void print_csv(const sla_report *r)
{
    if (r->opts.breaches) {
        printf("ticket_id,clock,agent,buyer,shop,started_at,stopped_at,due_at,late_seconds\n");
        for (size_t i = 0; i < r->n_breaches; i++) {
            const sla_breach *b = &r->breaches[i];
            char start[32], end[32] = "", due[32] = "";
            bd_time_format(b->start, start, sizeof start);
            if (b->end) bd_time_format(b->end, end, sizeof end);
            if (b->due && b->due != CAL_NEVER) bd_time_format(b->due, due, sizeof due);
            printf("%lld,%s,", (long long)b->ticket_id, sla_clock_name(b->clock));
            report_csv_field(stdout, b->agent);
            putchar(',');
            report_csv_field(stdout, b->buyer);
            putchar(',');
            report_csv_field(stdout, b->shop);
            printf(",%s,%s,%s,%lld\n", start, end, due, (long long)b->late);
        }
        return;
    }
    printf("%s,clock,count,running,median_seconds,p90_seconds,with_target,within_target,"
           "within_target_pct,breaches\n",
           r->opts.group == SLA_GROUP_NONE ? "group" : sla_group_name(r->opts.group));
    for (size_t i = 0; i <= r->n_rows; i++) {
        const sla_group_row *row = i < r->n_rows ? &r->rows[i] : &r->total;
        if (i < r->n_rows && r->opts.group == SLA_GROUP_NONE) continue;
        for (int c = 0; c < SLA_N_CLOCKS; c++) {
            const sla_stat *s = &row->stat[c];
            report_csv_field(stdout, row->key);
            printf(",%s,%lld,%lld,", sla_clock_name(c), (long long)s->count,
                   (long long)s->running);
            if (s->median >= 0) printf("%lld,%lld,", (long long)s->median, (long long)s->p90);
            else printf(",,");
            printf("%lld,%lld,", (long long)s->with_target, (long long)s->within);
            if (s->with_target)
                printf("%.1f", (double)((s->within * 1000 + s->with_target / 2) / s->with_target) /
                                   10.0);
            printf(",%lld\n", (long long)s->breaches);
        }
    }
}

int cmd_report_sla(bd_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        sla_help();
        return BD_EXIT_OK;
    }
    static const struct option opts[] = {{"from", required_argument, NULL, 'f'},
                                         {"to", required_argument, NULL, 't'},
                                         {"group-by", required_argument, NULL, 'g'},
                                         {"clock", required_argument, NULL, 'c'},
                                         {"format", required_argument, NULL, 'o'},
                                         {"breaches", no_argument, NULL, 'b'},
                                         {NULL, 0, NULL, 0}};
    const char *from = NULL, *to = NULL;
    sla_report_opts o = {0};
    int format = REPORT_TABLE, c;
    optind = 0; /* 0: reinitialise getopt (permute options after arguments) */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'f': from = optarg; break;
        case 't': to = optarg; break;
        case 'g':
            o.group = sla_group_parse(optarg);
            if (o.group <= 0)
                return cli_usage("report sla", "--group-by: agent, shop, marketplace, category, "
                                               "language, day or week");
            break;
        case 'c':
            if (strcmp(optarg, "team") && strcmp(optarg, "marketplace"))
                return cli_usage("report sla", "--clock: team or marketplace");
            o.marketplace = strcmp(optarg, "marketplace") == 0;
            break;
        case 'o':
            format = report_parse_format(optarg);
            if (format < 0) return cli_usage("report sla", "--format: table, csv or json");
            break;
        case 'b': o.breaches = 1; break;
        default: return cli_usage("report sla", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("report sla", "unexpected argument \"%s\"", argv[optind]);
    if (!cli_config(cli)) return BD_EXIT_FAIL;
    if (report_parse_period("report sla", cli->sla, from, to, 30, &o.from, &o.to))
        return BD_EXIT_USAGE;
    int64_t now = bd_now();
    o.as_of = o.to < now ? o.to : now;
    bd_store *s = cli_store(cli, STORE_OPEN_READONLY);
    if (!s) return BD_EXIT_FAIL;
    sla_report *r;
    bd_err err;
    if (sla_report_build(s, cli->sla, &o, &r, &err)) return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    if (format == REPORT_JSON) {
        cli_print_json(sla_report_json(r));
    } else if (format == REPORT_CSV) {
        print_csv(r);
    } else {
        print_table(r, cli->sla);
    }
    sla_report_free(r);
    return BD_EXIT_OK;
}
