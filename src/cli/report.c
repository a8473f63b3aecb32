/* report.c — `borderdesk report <name>`: a table of the reports, each in its own file and
 * parsing its own options (report_loyalty.c: satisfaction, tiers). */
#include "cli.h"

#include <string.h>

static const struct {
    const char *name;
    cli_cmd_fn fn;
    const char *help;
} reports[] = {
    {"satisfaction", cli_report_satisfaction,
     "CSAT, NPS, CES, response rate, dimensions, marketplace feedback"},
    {"tiers", cli_report_tiers,
     "tier distribution, movements, churn-risk list, value concentration"},
};

static void report_help(void)
{
    printf("usage: borderdesk report <name> [options]   (`borderdesk report <name> --help`)\n\n");
    for (size_t i = 0; i < sizeof reports / sizeof reports[0]; i++)
        printf("  %-13s %s\n", reports[i].name, reports[i].help);
}

int cmd_report(bd_cli *cli, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        report_help();
        return argc < 2 ? BD_EXIT_USAGE : BD_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof reports / sizeof reports[0]; i++)
        if (strcmp(reports[i].name, argv[1]) == 0) return reports[i].fn(cli, argc - 1, argv + 1);
    return cli_usage("report", "unknown report \"%s\"", argv[1]);
}
