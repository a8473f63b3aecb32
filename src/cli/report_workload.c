/* report_workload.c — `borderdesk report workload`: open tickets per agent and per queue
 * (shop), the oldest waiting buyer, and replies per agent per day. */
#include "report.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void workload_help(void)
{
    printf("usage: borderdesk report workload [--from DATE] [--to DATE] "
           "[--format table|csv|json]\n\n"
           "Open tickets (new, open, pending) per agent and per queue (shop) now, with how\n"
           "many have a buyer waiting for an answer and the oldest waiting buyer; and the\n"
           "public replies each agent wrote per day in the period (default: the last 7 days;\n"
           "auto-acknowledgements do not count).\n");
}

static void print_rows(const char *title, const sla_workload_row *rows, size_t n, int64_t as_of)
{
    printf("%-20s %6s %8s %8s  %s\n", title, "OPEN", "PENDING", "WAITING", "OLDEST WAITING BUYER");
    for (size_t i = 0; i < n; i++) {
        cli_cell(stdout, rows[i].key, 20);
        printf(" %6lld %8lld %8lld  ", (long long)rows[i].open, (long long)rows[i].pending,
               (long long)rows[i].waiting);
        if (rows[i].oldest_wait_since) {
            char since[32], age[16];
            bd_time_format(rows[i].oldest_wait_since, since, sizeof since);
            bd_time_age(as_of - rows[i].oldest_wait_since, age, sizeof age);
            printf("ticket %lld since %s (%s)\n", (long long)rows[i].oldest_ticket, since, age);
        } else {
            printf("-\n");
        }
    }
}

static void print_table(const sla_workload *w)
{
    char as_of[32];
    bd_time_format(w->as_of, as_of, sizeof as_of);
    printf("Workload as of %s\n\n", as_of);
    print_rows("AGENT", w->agents, w->n_agents, w->as_of);
    printf("\n");
    print_rows("QUEUE (SHOP)", w->queues, w->n_queues, w->as_of);
    char from[32], to[32];
    bd_time_format(w->from, from, sizeof from);
    bd_time_format(w->to, to, sizeof to);
    printf("\nReplies per agent per day, %s .. %s:\n", from, to);
    printf("%-20s %-10s %7s\n", "AGENT", "DAY", "REPLIES");
    for (size_t i = 0; i < w->n_answered; i++) {
        cli_cell(stdout, w->answered[i].agent, 20);
        printf(" %-10s %7lld\n", w->answered[i].day, (long long)w->answered[i].replies);
    }
}

static void csv_rows(const char *section, const sla_workload_row *rows, size_t n, int64_t as_of)
{
    for (size_t i = 0; i < n; i++) {
        printf("%s,", section);
        report_csv_field(stdout, rows[i].key);
        printf(",,%lld,%lld,%lld,", (long long)rows[i].open, (long long)rows[i].pending,
               (long long)rows[i].waiting);
        if (rows[i].oldest_wait_since) {
            char since[32];
            bd_time_format(rows[i].oldest_wait_since, since, sizeof since);
            printf("%lld,%s,%lld,\n", (long long)rows[i].oldest_ticket, since,
                   (long long)(as_of - rows[i].oldest_wait_since));
        } else {
            printf(",,,\n");
        }
    }
}

static void print_csv(const sla_workload *w)
{
    printf("section,key,day,open,pending,waiting,oldest_ticket,oldest_waiting_since,"
           "waited_seconds,replies\n");
    csv_rows("agent", w->agents, w->n_agents, w->as_of);
    csv_rows("queue", w->queues, w->n_queues, w->as_of);
    for (size_t i = 0; i < w->n_answered; i++) {
        printf("answered,");
        report_csv_field(stdout, w->answered[i].agent);
        printf(",%s,,,,,,,%lld\n", w->answered[i].day, (long long)w->answered[i].replies);
    }
}

int cmd_report_workload(bd_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        workload_help();
        return BD_EXIT_OK;
    }
    static const struct option opts[] = {{"from", required_argument, NULL, 'f'},
                                         {"to", required_argument, NULL, 't'},
                                         {"format", required_argument, NULL, 'o'},
                                         {NULL, 0, NULL, 0}};
    const char *from = NULL, *to = NULL;
    int format = REPORT_TABLE, c;
    optind = 0; /* 0: reinitialise getopt (permute options after arguments) */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'f': from = optarg; break;
        case 't': to = optarg; break;
        case 'o':
            format = report_parse_format(optarg);
            if (format < 0) return cli_usage("report workload", "--format: table, csv or json");
            break;
        default: return cli_usage("report workload", "unknown option");
        }
    }
    if (optind < argc)
        return cli_usage("report workload", "unexpected argument \"%s\"", argv[optind]);
    if (!cli_config(cli)) return BD_EXIT_FAIL;
    int64_t f, t;
    if (report_parse_period("report workload", cli->sla, from, to, 7, &f, &t))
        return BD_EXIT_USAGE;
    bd_store *s = cli_store(cli, STORE_OPEN_READONLY);
    if (!s) return BD_EXIT_FAIL;
    sla_workload *w;
    bd_err err;
    if (sla_workload_build(s, cli->sla, f, t, bd_now(), &w, &err))
        return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    if (format == REPORT_JSON) cli_print_json(sla_workload_json(w));
    else if (format == REPORT_CSV) print_csv(w);
    else print_table(w);
    sla_workload_free(w);
    return BD_EXIT_OK;
}
