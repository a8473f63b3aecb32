/* report.h — what the `borderdesk report <name>` subcommands share. One file per report
 * (report_sla.c, report_workload.c, ...); report.c maps names to functions. */
#ifndef BORDERDESK_CLI_REPORT_H
#define BORDERDESK_CLI_REPORT_H

#include "cli.h"

enum report_format { REPORT_TABLE = 0, REPORT_CSV = 1, REPORT_JSON = 2 };

int cmd_report_sla(bd_cli *cli, int argc, char **argv);
int cmd_report_workload(bd_cli *cli, int argc, char **argv);

/* "table", "csv", "json" → REPORT_*; -1 when unknown. */
int report_parse_format(const char *s);
/* The period [from, to): dates are local days of the report time zone (sla.report_time_zone)
 * with --to inclusive, or RFC 3339 instants. Missing: the `default_days` days up to today.
 * Prints a usage error for cmd and returns -1 on bad input. */
int report_parse_period(const char *cmd, const sla_config *c, const char *from,
                        const char *to, int default_days, int64_t *f, int64_t *t);
/* Writes s as one CSV field (quoted when it holds a comma, quote or line break). */
void report_csv_field(FILE *f, const char *s);
/* "h:mm:ss" for a duration in seconds; "-" when negative. */
void report_duration(int64_t secs, char *out, size_t n);

#endif
