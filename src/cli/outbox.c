/* outbox.c — `borderdesk outbox send`: deliver the queued replies to the marketplaces. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "borderdesk/outbox.h"

static void outbox_help(void)
{
    printf("usage: borderdesk outbox send [--shop NAME] [--limit N] [--json] [--verbose]\n\n"
           "Delivers the replies agents queued (`tickets reply`) through each ticket's\n"
           "marketplace. Every attempt is recorded before it is made, so a reply is never\n"
           "sent twice; temporary failures are retried with backoff, and a reply the\n"
           "marketplace refuses is marked failed on the ticket with the marketplace's error.\n\n"
           "Exit codes: 0 every due reply was delivered, 1 some failed or wait for a retry,\n"
           "2 usage error.\n");
}

int cmd_outbox(bd_cli *cli, int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "send") != 0) {
        if (cli_wants_help(argc, argv)) {
            outbox_help();
            return BD_EXIT_OK;
        }
        return cli_usage("outbox", "say what to do: send");
    }
    static const struct option opts[] = {{"shop", required_argument, NULL, 's'},
                                         {"limit", required_argument, NULL, 'l'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    outbox_options o = {0};
    int json = 0, c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
        switch (c) {
        case 's': o.shop = optarg; break;
        case 'l': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v <= 0) return cli_usage("outbox", "--limit needs a positive number");
            o.limit = (size_t)v;
            break;
        }
        case 'j': json = 1; break;
        case 'v': o.verbose = 1; break;
        case 'h': outbox_help(); return BD_EXIT_OK;
        default: return cli_usage("outbox", "unknown option");
        }
    }
    bd_store *store = cli_store(cli, 0);
    if (!store) return BD_EXIT_FAIL;
    outbox_result r;
    bd_err err;
    int rc = outbox_send(store, cli->config, &o, &r, &err);
    if (rc < 0) return cli_fail(BD_EXIT_FAIL, "outbox: %s", err.msg);
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddBoolToObject(j, "ok", rc == 0);
        cJSON_AddNumberToObject(j, "due", (double)r.due);
        cJSON_AddNumberToObject(j, "sent", (double)r.sent);
        cJSON_AddNumberToObject(j, "reconciled", (double)r.reconciled);
        cJSON_AddNumberToObject(j, "failed", (double)r.failed);
        cJSON_AddNumberToObject(j, "retrying", (double)r.retrying);
        cJSON_AddNumberToObject(j, "skipped", (double)r.skipped);
        cli_print_json(j);
    } else {
        printf("outbox: %lld due, %lld sent, %lld confirmed from an earlier attempt, %lld failed, "
               "%lld to retry, %lld waiting for configuration\n",
               (long long)r.due, (long long)r.sent, (long long)r.reconciled, (long long)r.failed,
               (long long)r.retrying, (long long)r.skipped);
    }
    return rc == 0 ? BD_EXIT_OK : BD_EXIT_FAIL;
}
