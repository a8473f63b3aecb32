/* sync.c — `borderdesk sync`: pull orders, buyer messages and feedback from the configured
 * marketplace shops (docs/sync.md). */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "borderdesk/sync.h"

static void sync_help(void)
{
    printf("usage: borderdesk sync [--shop NAME] [--resource orders|messages|feedback]\n"
           "                       [--since TIME] [--json]\n"
           "       borderdesk sync status|log ...   (the recorded runs; sync status --help)\n\n"
           "Pulls orders, buyer messages and feedback from every shop in borderdesk.json\n"
           "(\"shops\"; docs/sync.md lists every key) and threads the messages into tickets.\n"
           "Each run continues from the checkpoint of the last one; an interrupted run\n"
           "resumes without gaps or duplicates.\n\n"
           "  --shop NAME       only this shop\n"
           "  --resource R      only orders, messages or feedback\n"
           "  --since TIME      start the time windows at TIME (RFC 3339, YYYY-MM-DD, or an\n"
           "                    age such as 90m, 36h, 7d) instead of at the checkpoint\n"
           "  --json            print a JSON summary instead of the summary line\n\n"
           "Exit codes: 0 every shop synced, 1 a shop failed (the others still synced),\n"
           "2 usage error.\n");
}

static int parse_since(const char *s, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end != s && v > 0 && end[0] && !end[1]) {
        int64_t unit = end[0] == 'm' ? 60 : end[0] == 'h' ? 3600 : end[0] == 'd' ? 86400 : 0;
        if (unit) {
            *out = bd_now() - v * unit;
            return 0;
        }
    }
    return bd_time_parse_loose(s, out);
}

typedef struct progress {
    int tty;
    double start;
} progress;

static void on_page(void *ud, const sync_shop_result *r, const char *resource)
{
    progress *p = ud;
    if (!p->tty) return;
    const sync_counts *c = strcmp(resource, "orders") == 0     ? &r->orders
                           : strcmp(resource, "messages") == 0 ? &r->messages
                                                               : &r->feedback;
    double secs = (http_now_ms() - p->start) / 1000.0;
    fprintf(stderr, "\r\033[K%s %s: %lld pages, %lld items, %.0f items/s", r->shop, resource,
            (long long)c->pages, (long long)c->items, secs > 0 ? (double)c->items / secs : 0.0);
    fflush(stderr);
}

static cJSON *result_json(const sync_shop_result *r, size_t n, double elapsed_ms)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *shops = cJSON_AddArrayToObject(root, "shops");
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        cJSON *s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "shop", r[i].shop);
        json_add_str(s, "marketplace", r[i].marketplace);
        cJSON_AddBoolToObject(s, "ok", r[i].ok);
        json_add_str(s, "error", r[i].error);
        cJSON_AddItemToObject(s, "orders", sync_counts_json(&r[i].orders));
        cJSON_AddItemToObject(s, "messages", sync_counts_json(&r[i].messages));
        cJSON_AddItemToObject(s, "feedback", sync_counts_json(&r[i].feedback));
        cJSON_AddNumberToObject(s, "requests", (double)r[i].requests);
        cJSON_AddNumberToObject(s, "retries", (double)r[i].retries);
        cJSON_AddNumberToObject(s, "throttled", (double)r[i].throttled);
        cJSON_AddNumberToObject(s, "elapsed_ms", r[i].elapsed_ms);
        cJSON_AddNumberToObject(s, "http_ms", r[i].http_ms);
        cJSON_AddNumberToObject(s, "wait_ms", r[i].wait_ms);
        cJSON_AddNumberToObject(s, "json_ms", r[i].json_ms);
        cJSON_AddNumberToObject(s, "store_ms", r[i].store_ms);
        cJSON_AddItemToArray(shops, s);
        ok &= r[i].ok;
    }
    cJSON_AddBoolToObject(root, "ok", ok);
    cJSON_AddNumberToObject(root, "elapsed_ms", elapsed_ms);
    return root;
}

static void status_help(void)
{
    printf("usage: borderdesk sync status [--shop NAME] [--json]\n"
           "       borderdesk sync log [--shop NAME] [--resource R] [--limit N] [--json]\n\n"
           "status: per configured shop and resource, the last recorded run (by `borderdesk\n"
           "sync` or the service), its result, counts or error, and when the checkpoint was\n"
           "saved. Exit code 1 when a last run ended in an error, so monitoring can call it.\n"
           "log: the recorded runs, newest first (default 20; 500 are kept per shop and\n"
           "resource). A run whose process was killed stays \"unfinished\".\n");
}

/* "12 items, 3 new messages" from a run's counts JSON. */
static void counts_text(const char *counts, char *out, size_t n)
{
    cJSON *c = counts ? cJSON_Parse(counts) : NULL;
    snprintf(out, n, "%.0f items, %.0f new/%.0f updated, %.0f new messages",
             cJSON_GetNumberValue(cJSON_GetObjectItem(c, "items")),
             cJSON_GetNumberValue(cJSON_GetObjectItem(c, "inserted")),
             cJSON_GetNumberValue(cJSON_GetObjectItem(c, "updated")),
             cJSON_GetNumberValue(cJSON_GetObjectItem(c, "messages_new")));
    if (!c) snprintf(out, n, "-");
    cJSON_Delete(c);
}

static void run_line(const char *shop, const char *resource, const store_sync_run *run)
{
    char when[32] = "never", what[128] = "";
    const char *result = "-";
    if (run) {
        bd_time_format(run->started_at, when, sizeof when);
        result = !run->finished_at ? "unfinished" : run->ok ? "ok" : "error";
        if (run->error)
            snprintf(what, sizeof what, "%s", run->error);
        else
            counts_text(run->counts, what, sizeof what);
    }
    cli_cell(stdout, shop, 18);
    cli_cell(stdout, resource, 10);
    cli_cell(stdout, when, 22);
    cli_cell(stdout, result, 11);
    printf("%s\n", what);
}

static const store_sync_run *last_run(const store_sync_run *runs, size_t n, const char *shop,
                                      const char *resource)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(runs[i].shop, shop) && !strcmp(runs[i].resource, resource)) return &runs[i];
    return NULL;
}

static int sync_status(bd_cli *cli, int argc, char **argv, int log)
{
    static const struct option opts[] = {{"shop", required_argument, NULL, 's'},
                                         {"resource", required_argument, NULL, 'r'},
                                         {"limit", required_argument, NULL, 'l'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *shop = NULL, *resource = NULL, *cmd = log ? "sync log" : "sync status";
    int json = 0, limit = 20, c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': shop = optarg; break;
        case 'r':
            if (!log) return cli_usage(cmd, "--resource is for sync log");
            if (!bd_str_in(optarg, (const char *const[]){"orders", "messages", "feedback", NULL}))
                return cli_usage(cmd, "unknown resource \"%s\" (orders, messages or feedback)", optarg);
            resource = optarg;
            break;
        case 'l': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (!log || end == optarg || *end || v < 1 || v > 100000)
                return cli_usage(cmd, log ? "--limit must be a number from 1 to 100000"
                                          : "--limit is for sync log");
            limit = (int)v;
            break;
        }
        case 'j': json = 1; break;
        case 'h': status_help(); return BD_EXIT_OK;
        default: return cli_usage(cmd, "unknown option");
        }
    }
    if (optind < argc) return cli_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
    bd_store *store = cli_store(cli, 0);
    if (!store) return BD_EXIT_FAIL;
    store_sync_run *runs = NULL;
    size_t n = 0;
    bd_err err;
    if (store_sync_runs_list(store, shop, resource, !log, log ? limit : 0, &runs, &n, &err))
        return cli_fail(BD_EXIT_FAIL, "%s: %s", cmd, err.msg);
    int failed = 0;
    cJSON *root = cJSON_CreateObject();
    if (log) {
        cJSON *items = cJSON_AddArrayToObject(root, "items");
        for (size_t i = 0; i < n; i++) {
            if (json)
                cJSON_AddItemToArray(items, sync_run_json(&runs[i]));
            else
                run_line(runs[i].shop, runs[i].resource, &runs[i]);
        }
    } else {
        const cJSON *shops = cJSON_GetObjectItemCaseSensitive(cli->config->root, "shops");
        cJSON *out = cJSON_AddArrayToObject(root, "shops");
        if (shop && !bd_config_shop(cli->config, shop)) {
            store_sync_runs_free(runs, n);
            cJSON_Delete(root);
            return cli_fail(BD_EXIT_USAGE, "%s: no shop \"%s\" in the configuration", cmd, shop);
        }
        for (const cJSON *conf = cJSON_IsArray(shops) ? shops->child : NULL; conf; conf = conf->next) {
            const char *name = bd_json_str(conf, "name");
            if (!name || (shop && strcmp(name, shop) != 0)) continue;
            cJSON *sj = cJSON_CreateObject();
            json_add_str(sj, "name", name);
            json_add_str(sj, "marketplace", bd_json_str(conf, "marketplace"));
            cJSON_AddBoolToObject(sj, "enabled",
                                  !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(conf, "enabled")));
            cJSON *res = cJSON_AddArrayToObject(sj, "resources");
            const char *names[8];
            size_t k = sync_wanted_resources(conf, names, 8);
            for (size_t i = 0; i < k; i++) {
                const store_sync_run *run = last_run(runs, n, name, names[i]);
                failed |= run && run->finished_at && !run->ok;
                cJSON *rj = cJSON_CreateObject();
                cJSON_AddStringToObject(rj, "resource", names[i]);
                cJSON_AddItemToObject(rj, "last_run", run ? sync_run_json(run) : cJSON_CreateNull());
                cJSON_AddItemToArray(res, rj);
                if (!json) run_line(name, names[i], run);
            }
            cJSON_AddItemToArray(out, sj);
        }
        if (!json && !cJSON_GetArraySize(out)) printf("no shops configured (see docs/sync.md)\n");
    }
    store_sync_runs_free(runs, n);
    if (json)
        cli_print_json(root);
    else
        cJSON_Delete(root);
    return failed ? BD_EXIT_FAIL : BD_EXIT_OK;
}

int cmd_sync(bd_cli *cli, int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "status") == 0 || strcmp(argv[1], "log") == 0))
        return sync_status(cli, argc - 1, argv + 1, strcmp(argv[1], "log") == 0);
    static const struct option opts[] = {{"shop", required_argument, NULL, 's'},
                                         {"resource", required_argument, NULL, 'r'},
                                         {"since", required_argument, NULL, 'S'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    sync_options o = {0};
    int json = 0, c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's': o.shop = optarg; break;
        case 'r':
            if (!bd_str_in(optarg, (const char *const[]){"orders", "messages", "feedback", NULL}))
                return cli_usage("sync", "unknown resource \"%s\" (orders, messages or feedback)", optarg);
            o.resource = optarg;
            break;
        case 'S':
            if (parse_since(optarg, &o.since))
                return cli_usage("sync", "--since: \"%s\" is not a time (RFC 3339, YYYY-MM-DD, or 90m/36h/7d)",
                                 optarg);
            break;
        case 'j': json = 1; break;
        case 'h': sync_help(); return BD_EXIT_OK;
        default: return cli_usage("sync", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("sync", "unexpected argument \"%s\"", argv[optind]);
    bd_store *store = cli_store(cli, STORE_OPEN_CREATE);
    if (!store) return BD_EXIT_FAIL;
    ticket_ctx hooks;
    cli_ticket_ctx(cli, &hooks, "sync"); /* the hooks every ticket change runs */
    cli_ticket_classifier(cli, &hooks, "sync");
    o.reopen_window = hooks.reopen_window;
    o.classify = hooks.classify;
    o.classify_ud = hooks.classify_ud;
    o.on_change = hooks.on_change;
    o.on_change_ud = hooks.on_change_ud;
    progress p = {.tty = !json && isatty(STDERR_FILENO), .start = http_now_ms()};
    o.progress = on_page;
    o.progress_ud = &p;
    sync_shop_result *r;
    size_t n;
    bd_err err;
    int rc = sync_run(store, cli->config, &o, &r, &n, &err);
    ticket_classifier_close(&hooks);
    if (p.tty) fprintf(stderr, "\r\033[K");
    if (rc < 0) return cli_fail(BD_EXIT_FAIL, "sync: %s", err.msg);
    double elapsed = http_now_ms() - p.start;
    for (size_t i = 0; i < n; i++)
        if (!r[i].ok) fprintf(stderr, "borderdesk sync: shop %s failed: %s\n", r[i].shop, r[i].error);
    if (json) {
        cli_print_json(result_json(r, n, elapsed));
    } else {
        sync_counts t = {0};
        int failed = 0;
        for (size_t i = 0; i < n; i++) {
            const sync_counts *parts[] = {&r[i].orders, &r[i].messages, &r[i].feedback};
            for (int k = 0; k < 3; k++) {
                t.pages += parts[k]->pages;
                t.tickets_created += parts[k]->tickets_created;
            }
            t.inserted += r[i].orders.inserted;
            t.updated += r[i].orders.updated;
            t.items += r[i].orders.items;
            t.messages_new += r[i].messages.messages_new + r[i].feedback.messages_new;
            t.unchanged += r[i].feedback.inserted + r[i].feedback.updated;
            failed += !r[i].ok;
        }
        printf("synced %zu shop%s in %.1f s: %lld orders (%lld new, %lld updated), %lld new messages, "
               "%lld feedback changes, %lld tickets created%s\n",
               n - (size_t)failed, n - (size_t)failed == 1 ? "" : "s", elapsed / 1000.0,
               (long long)t.items, (long long)t.inserted, (long long)t.updated,
               (long long)t.messages_new, (long long)t.unchanged, (long long)t.tickets_created,
               failed ? "; some shops failed (see above)" : "");
    }
    sync_results_free(r, n);
    return rc == 0 ? BD_EXIT_OK : BD_EXIT_FAIL;
}
