/* cli.h — what the subcommands of src/cli share: the global options and lazy opening of
 * the configuration and the database. One file per subcommand, `cmd_<name>()` each. */
#ifndef BORDERDESK_CLI_H
#define BORDERDESK_CLI_H

#include <stdio.h>

#include "borderdesk/config.h"
#include "borderdesk/sla.h"
#include "borderdesk/store.h"
#include "borderdesk/ticket.h"
#include "borderdesk/util.h"

typedef struct bd_cli {
    const char *db_opt;     /* --db, or NULL */
    const char *config_opt; /* --config, or NULL */
    const char *prog;       /* "borderdesk" */
    bd_config *config;      /* loaded by cli_config() */
    bd_store *store;        /* opened by cli_store() */
    sla_config *sla;        /* the "sla" section, checked by cli_config() */
} bd_cli;

typedef int (*cli_cmd_fn)(bd_cli *cli, int argc, char **argv);

/* Returns the configuration, loading it on first use; NULL after printing the error. */
bd_config *cli_config(bd_cli *cli);
/* The database path the lookup chooses (see config.h). */
const char *cli_db_path(bd_cli *cli);
/* Opens the database (flags: STORE_OPEN_*); NULL after printing the error. */
bd_store *cli_store(bd_cli *cli, int flags);
/* A ticket context for changes made by the person running the command. */
void cli_ticket_ctx(bd_cli *cli, ticket_ctx *ctx, const char *actor);
/* Who runs the command: $BORDERDESK_USER, else $USER, else "cli". */
const char *cli_actor(void);
/* Turns on classification of new buyer messages in ctx; without rules it warns on stderr
 * (naming cmd) and messages are stored unclassified — a broken rules file must not stop
 * the mail. Close with ticket_classifier_close. */
void cli_ticket_classifier(bd_cli *cli, ticket_ctx *ctx, const char *cmd);

/* Prints "borderdesk: msg" to stderr and returns code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints a usage error and the command's help hint; returns BD_EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 1 when argv[i] is -h or --help. */
int cli_wants_help(int argc, char **argv);
/* A JSON Lines input line of n bytes: its length without the line end (LF or CRLF) in
 * *len; returns 1 when nothing but spaces and tabs is left (a blank line, skipped). */
int cli_line_blank(const char *line, size_t n, size_t *len);
/* Parses a positive ticket id; returns 0 or prints a usage error and returns -1. */
int cli_parse_id(const char *cmd, const char *s, int64_t *id);

/* Terminal tables: pads to display width (CJK aware), cuts with an ellipsis. */
void cli_cell(FILE *f, const char *s, size_t width);
/* Prints a cJSON value (pretty) followed by a newline, and frees it. */
void cli_print_json(cJSON *j);

int cmd_init(bd_cli *cli, int argc, char **argv);
int cmd_import(bd_cli *cli, int argc, char **argv);
int cmd_tickets(bd_cli *cli, int argc, char **argv);
int cmd_orders(bd_cli *cli, int argc, char **argv);
int cmd_user(bd_cli *cli, int argc, char **argv);
int cmd_tiers(bd_cli *cli, int argc, char **argv);
int cmd_survey(bd_cli *cli, int argc, char **argv);
int cmd_report(bd_cli *cli, int argc, char **argv);
int cmd_buyers(bd_cli *cli, int argc, char **argv);
int cmd_feedback(bd_cli *cli, int argc, char **argv);

/* The reports of report_loyalty.c, called by cmd_report (argv[0] is the report's name). */
int cli_report_satisfaction(bd_cli *cli, int argc, char **argv);
int cli_report_tiers(bd_cli *cli, int argc, char **argv);

/* Updates buyers' tiers incrementally after orders were imported or synced (tiers.c). A
 * failure (a missing FX rate) is printed as a warning: the orders stay imported. */
int cli_tiers_update(bd_cli *cli, int quiet);
int cmd_suggest(bd_cli *cli, int argc, char **argv);
int cmd_templates(bd_cli *cli, int argc, char **argv);
int cmd_template(bd_cli *cli, int argc, char **argv);
/* tickets_sla.c: `tickets no-response`, `tickets refresh-due` */
int tickets_no_response(bd_cli *cli, int argc, char **argv);
int tickets_refresh_due(bd_cli *cli, int argc, char **argv);
int cmd_serve(bd_cli *cli, int argc, char **argv);
int cmd_sync(bd_cli *cli, int argc, char **argv);
int cmd_outbox(bd_cli *cli, int argc, char **argv);
int cmd_classify(bd_cli *cli, int argc, char **argv);
int cmd_rules(bd_cli *cli, int argc, char **argv);
int cmd_mail(bd_cli *cli, int argc, char **argv);

#endif
