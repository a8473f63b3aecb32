/* report.c — `borderdesk report <name>`: a table of reports, each in its own file. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    cli_cmd_fn fn;
    const char *help;
} reports[] = {
    {"sla", cmd_report_sla, "response times against team targets and marketplace deadlines"},
    {"workload", cmd_report_workload, "open tickets per agent and queue, replies per day"},
    {"satisfaction", cli_report_satisfaction, "CSAT, NPS, CES, response rate, dimensions, feedback"},
    {"tiers", cli_report_tiers, "tier distribution, movements, churn-risk list, value concentration"},
};

static void report_help(FILE *f)
{
    fprintf(f, "usage: borderdesk report <name> [options]\n\nReports:\n");
    for (size_t i = 0; i < sizeof reports / sizeof reports[0]; i++)
        fprintf(f, "  %-12s %s\n", reports[i].name, reports[i].help);
    fprintf(f, "\n`borderdesk report <name> --help` lists a report's options.\n");
}

int cmd_report(bd_cli *cli, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        report_help(argc < 2 ? stderr : stdout);
        return argc < 2 ? BD_EXIT_USAGE : BD_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof reports / sizeof reports[0]; i++)
        if (strcmp(reports[i].name, argv[1]) == 0) return reports[i].fn(cli, argc - 1, argv + 1);
    return cli_usage("report", "unknown report \"%s\"", argv[1]);
}

int report_parse_format(const char *s)
{
    if (strcmp(s, "table") == 0) return REPORT_TABLE;
    if (strcmp(s, "csv") == 0) return REPORT_CSV;
    if (strcmp(s, "json") == 0) return REPORT_JSON;
    return -1;
}

int report_parse_period(const char *cmd, const sla_config *c, const char *from,
                        const char *to, int default_days, int64_t *f, int64_t *t)
{
    bd_err err;
    if (sla_report_period(c, from, to, default_days, bd_now(), f, t, &err))
        return cli_usage(cmd, "--%s", err.msg), -1;
    return 0;
}

void report_csv_field(FILE *f, const char *s)
{
    if (!s) s = "";
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void report_duration(int64_t secs, char *out, size_t n)
{
    if (secs < 0) {
        snprintf(out, n, "-");
        return;
    }
    snprintf(out, n, "%lld:%02lld:%02lld", (long long)(secs / 3600),
             (long long)(secs / 60 % 60), (long long)(secs % 60));
}
