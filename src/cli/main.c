/* main.c — the borderdesk command: global options, then one subcommand from the table. */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    cli_cmd_fn fn;
    const char *help;
} commands[] = {
    {"init", cmd_init, "create the database (or upgrade it) and exit"},
    {"import", cmd_import, "import orders or messages from JSON Lines"},
    {"tickets", cmd_tickets, "list, show, reply to, assign and change tickets"},
    {"orders", cmd_orders, "list and show orders"},
    {"tiers", cmd_tiers, "recompute buyers' loyalty profiles and tiers"},
    {"survey", cmd_survey, "record survey responses, list and show satisfaction surveys"},
    {"feedback", cmd_feedback, "import marketplace feedback and reviews"},
    {"buyers", cmd_buyers, "buyers' loyalty profiles, blacklist and suspicion flags"},
    {"user", cmd_user, "add, list and disable the people who work tickets; API tokens"},
    {"suggest", cmd_suggest, "ranked reply suggestions for a ticket, in the buyer's language"},
    {"templates", cmd_templates, "check the reply templates and their coverage; list them"},
    {"template", cmd_template, "render a reply template (Mustache) with JSON data"},
    {"report", cmd_report, "reports for team leads: sla, workload, satisfaction, tiers"},
    {"serve", cmd_serve, "run the REST API and the background scheduler"},
    {"sync", cmd_sync, "pull orders, messages and feedback from the marketplaces"},
    {"outbox", cmd_outbox, "deliver queued replies to the marketplaces"},
    {"classify", cmd_classify, "classify messages (JSON Lines in, JSON Lines out)"},
    {"rules", cmd_rules, "check the classifier's rules files"},
    {"mail", cmd_mail, "parse raw e-mail (.eml) as borderdesk reads it"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: borderdesk [--db PATH] [--config PATH] <command> [options]\n\n"
               "Global options:\n"
               "  --db PATH       SQLite database (env BORDERDESK_DB; default var/borderdesk.db)\n"
               "  --config PATH   configuration file (env BORDERDESK_CONFIG; default "
               "./borderdesk.json)\n"
               "  --help          this help; `borderdesk <command> --help` for a command\n"
               "  --version       print the version\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\nExit codes: 0 ok, 1 runtime failure, 2 usage error, 3 bad input data.\n");
}

int main(int argc, char **argv)
{
    bd_cli cli = {.prog = "borderdesk"};
    static const struct option opts[] = {{"db", required_argument, NULL, 'd'},
                                         {"config", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    int c;
    /* '+': stop at the first non-option, which is the command */
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': cli.db_opt = optarg; break;
        case 'c': cli.config_opt = optarg; break;
        case 'h': usage(stdout); return BD_EXIT_OK;
        case 'V': printf("borderdesk 0.1.0\n"); return BD_EXIT_OK;
        default: usage(stderr); return BD_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return BD_EXIT_USAGE;
    }
    const char *name = argv[optind];
    int sub_argc = argc - optind;
    char **sub_argv = argv + optind;
    optind = 0; /* let the subcommand run getopt again from its own argv */
    int rc = -1;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(commands[i].name, name) == 0) {
            rc = commands[i].fn(&cli, sub_argc, sub_argv);
            break;
        }
    }
    if (rc == -1) {
        if (strcmp(name, "help") == 0) {
            usage(stdout);
            return BD_EXIT_OK;
        }
        fprintf(stderr, "borderdesk: unknown command \"%s\"\n\n", name);
        usage(stderr);
        rc = BD_EXIT_USAGE;
    }
    store_close(cli.store);
    bd_config_free(cli.config);
    sla_config_free(cli.sla);
    return rc;
}
