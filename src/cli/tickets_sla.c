/* tickets_sla.c — `borderdesk tickets no-response` and `tickets refresh-due`: the ticket
 * commands that belong to the SLA clocks. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int tickets_no_response(bd_cli *cli, int argc, char **argv)
{
    const char *cmd = "tickets no-response";
    static const struct option opts[] = {{"reason", required_argument, NULL, 'r'},
                                         {"as", required_argument, NULL, 'a'},
                                         {"undo", no_argument, NULL, 'u'},
                                         {NULL, 0, NULL, 0}};
    const char *reason = NULL, *as = NULL;
    int undo = 0, c;
    optind = 0; /* 0: reinitialise getopt (permute options after arguments) */
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'r') reason = optarg;
        else if (c == 'a') as = optarg;
        else if (c == 'u') undo = 1;
        else return cli_usage(cmd, "unknown option");
    }
    if (optind != argc - 2) return cli_usage(cmd, "give a ticket ID and a MESSAGE_ID");
    int64_t id, mid;
    if (cli_parse_id(cmd, argv[optind], &id) || cli_parse_id(cmd, argv[optind + 1], &mid))
        return BD_EXIT_USAGE;
    if (!undo && (!reason || !*reason))
        return cli_usage(cmd, "say why with --reason TEXT (it is kept in the ticket's history)");
    bd_store *s = cli_store(cli, 0);
    if (!s) return BD_EXIT_FAIL;
    bd_err err;
    int rc = store_begin(s, &err);
    if (!rc) rc = sla_no_response(s, cli->sla, id, mid, as ? as : cli_actor(), reason, undo,
                                  bd_now(), &err);
    if (!rc) rc = store_commit(s, &err);
    if (rc) {
        store_rollback(s);
        return cli_fail(BD_EXIT_FAIL, "%s: %s", cmd, err.msg);
    }
    printf("ticket %lld: message %lld %s\n", (long long)id, (long long)mid,
           undo ? "needs a response again" : "needs no response");
    return BD_EXIT_OK;
}

int tickets_refresh_due(bd_cli *cli, int argc, char **argv)
{
    (void)argv;
    if (argc != 1) return cli_usage("tickets refresh-due", "takes no arguments");
    bd_store *s = cli_store(cli, 0);
    if (!s) return BD_EXIT_FAIL;
    bd_err err;
    size_t n, changed;
    if (sla_refresh_all(s, cli->sla, bd_now(), &n, &changed, &err))
        return cli_fail(BD_EXIT_FAIL, "tickets refresh-due: %s", err.msg);
    printf("%zu tickets, %zu due times or states changed\n", n, changed);
    return BD_EXIT_OK;
}
