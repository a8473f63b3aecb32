/* tiers.c — `borderdesk tiers recompute`: buyers' loyalty profiles and tiers, incrementally
 * (the buyers whose orders, disputes or satisfaction changed, and those whose orders left a
 * time window) or in full. Also the update that runs after every order import or sync. */
#include "cli.h"

#include "borderdesk/loyalty.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void tiers_help(void)
{
    printf("usage: borderdesk tiers recompute [--full] [--as-of DATE] [--json] [--quiet]\n\n"
           "Recomputes buyers' order counts, spend (in the base currency), RFM scores, pyramid\n"
           "tier, ABC class, loyalty class, life-cycle stage and churn risk, and the tier shown\n"
           "on tickets (docs/loyalty.md). Incremental unless --full, the configuration changed\n"
           "or this is the first run. Tier changes are audit events; ticket priorities follow.\n\n"
           "  --full         recompute every buyer\n"
           "  --as-of DATE   compute as of DATE (RFC 3339 or YYYY-MM-DD; default now)\n"
           "  --json         print the summary as JSON\n"
           "  --quiet        no summary\n\n"
           "Exit codes: 3 when an order could not be counted (negative total) or an FX rate is\n"
           "missing (then nothing is changed); 1 on database errors.\n");
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void print_summary(const loyalty_result *r, double ms, int json)
{
    if (json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddBoolToObject(j, "full", r->full);
        json_add_str(j, "why_full", r->full ? r->why_full : NULL);
        cJSON_AddNumberToObject(j, "buyers_ranked", (double)r->buyers);
        cJSON_AddNumberToObject(j, "recomputed", (double)r->recomputed);
        cJSON_AddNumberToObject(j, "rechecked", (double)r->rescored);
        cJSON_AddNumberToObject(j, "profiles_changed", (double)r->written);
        cJSON_AddNumberToObject(j, "tier_changes", (double)r->tier_changes);
        cJSON_AddNumberToObject(j, "priority_changes", (double)r->priority_changes);
        cJSON_AddNumberToObject(j, "flags_raised", (double)r->flags_raised);
        cJSON_AddNumberToObject(j, "orders_not_counted", (double)r->orders_skipped);
        cJSON *is = cJSON_AddArrayToObject(j, "issues");
        for (size_t i = 0; i < r->n_issues; i++)
            cJSON_AddItemToArray(is, cJSON_CreateString(r->issues[i]));
        cJSON_AddNumberToObject(j, "milliseconds", ms);
        cJSON *ph = cJSON_AddObjectToObject(j, "phases_ms");
        for (int i = 0; i < r->n_phases; i++)
            cJSON_AddNumberToObject(ph, r->phases[i].name, r->phases[i].ms);
        cli_print_json(j);
        return;
    }
    if (r->full)
        printf("tiers: full recompute (%s): %lld buyers", r->why_full, (long long)r->recomputed);
    else
        printf("tiers: incremental: %lld buyers recomputed, %lld re-checked",
               (long long)r->recomputed, (long long)r->rescored);
    printf(", %lld profiles changed, %lld tier changes, %lld ticket priorities, %lld flags"
           " raised; %lld buyers ranked (%.1f ms)\n",
           (long long)r->written, (long long)r->tier_changes, (long long)r->priority_changes,
           (long long)r->flags_raised, (long long)r->buyers, ms);
}

/* Runs one recompute in its own transaction. Returns an exit code; prints errors. */
static int recompute(bd_cli *cli, int full, int64_t as_of, const char *actor, int json, int quiet,
                     int warn_only)
{
    bd_config *cfg = cli_config(cli);
    if (!cfg) return BD_EXIT_FAIL;
    bd_store *s = cli_store(cli, 0);
    if (!s) return BD_EXIT_FAIL;
    loyalty_settings *set;
    bd_err err;
    if (loyalty_settings_load(cfg, &set, &err))
        return cli_fail(BD_EXIT_FAIL, "configuration: %s", err.msg);
    loyalty_ctx lc = {.store = s, .settings = set, .as_of = as_of, .actor = actor};
    loyalty_result r;
    memset(&r, 0, sizeof r);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = store_begin(s, &err);
    if (!rc) rc = loyalty_recompute(&lc, full, &r, &err);
    if (!rc) rc = store_commit(s, &err);
    double ms = ms_since(&t0);
    int code = BD_EXIT_OK;
    if (rc) {
        store_rollback(s);
        int data = strncmp(err.msg, "database ", 9) != 0;
        if (warn_only)
            fprintf(stderr, "borderdesk: warning: tiers not updated: %s\n", err.msg);
        else
            cli_fail(data ? BD_EXIT_DATA : BD_EXIT_FAIL, "tiers: %s", err.msg);
        code = warn_only ? BD_EXIT_OK : data ? BD_EXIT_DATA : BD_EXIT_FAIL;
    } else {
        for (size_t i = 0; i < r.n_issues; i++)
            fprintf(stderr, "borderdesk: warning: %s\n", r.issues[i]);
        if (r.orders_skipped > (int64_t)r.n_issues)
            fprintf(stderr, "borderdesk: warning: ... %lld orders not counted in all\n",
                    (long long)r.orders_skipped);
        if (!quiet) print_summary(&r, ms, json);
        if (r.orders_skipped && !warn_only) code = BD_EXIT_DATA;
    }
    loyalty_result_clear(&r);
    loyalty_settings_free(set);
    return code;
}

int cli_tiers_update(bd_cli *cli, int quiet)
{
    return recompute(cli, 0, bd_now(), "import", 0, quiet, 1);
}

static int tiers_recompute(bd_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"full", no_argument, NULL, 'f'},
                                         {"as-of", required_argument, NULL, 'a'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {NULL, 0, NULL, 0}};
    int full = 0, json = 0, quiet = 0, c;
    int64_t as_of = bd_now();
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            full = 1;
            break;
        case 'j':
            json = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'a':
            if (bd_time_parse_loose(optarg, &as_of))
                return cli_usage("tiers recompute",
                                 "--as-of needs a date (RFC 3339 or"
                                 " YYYY-MM-DD): \"%s\"",
                                 optarg);
            break;
        default:
            return cli_usage("tiers recompute", "unknown option");
        }
    }
    if (optind < argc)
        return cli_usage("tiers recompute", "unexpected argument \"%s\"", argv[optind]);
    return recompute(cli, full, as_of, cli_actor(), json, quiet, 0);
}

int cmd_tiers(bd_cli *cli, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help(argc, argv)) {
        tiers_help();
        return argc < 2 ? BD_EXIT_USAGE : BD_EXIT_OK;
    }
    if (strcmp(argv[1], "recompute") == 0) return tiers_recompute(cli, argc - 1, argv + 1);
    return cli_usage("tiers", "unknown subcommand \"%s\"", argv[1]);
}
