/* survey.c — `borderdesk survey respond|list|show`: record a buyer's answer (the web page
 * comes with the web UI), list surveys for leads, show one with its invitation data. */
#include "cli.h"

#include "borderdesk/survey.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void survey_help(void)
{
    printf("usage: borderdesk survey <subcommand>\n\n"
           "  respond TOKEN --score N [--comment TEXT] [--dimension NAME=N ...]\n"
           "        record the answer to a survey (CSAT 1-5, NPS 0-10, CES 1-7; dimensions\n"
           "        quality, attitude, speed, price 1-5); one response per survey\n"
           "  list [--status pending|answered|expired|all] [--shop NAME] [--limit N] [--json]\n"
           "        surveys, newest first\n"
           "  show ID|TOKEN [--json]\n"
           "        one survey, with the invitation template and the data it is rendered with\n\n"
           "Surveys are created when a ticket is solved and \"surveys\" is enabled in the\n"
           "configuration (docs/loyalty.md). Exit code 3: the response was refused (expired,\n"
           "already answered, a score out of range).\n");
}

static int parse_int(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < -1000 || v > 1000) return -1;
    *out = (int)v;
    return 0;
}

static int survey_respond_cmd(bd_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"score", required_argument, NULL, 's'},
                                         {"comment", required_argument, NULL, 'c'},
                                         {"dimension", required_argument, NULL, 'd'},
                                         {NULL, 0, NULL, 0}};
    survey_response r;
    memset(&r, 0, sizeof r);
    int have_score = 0, c;
    char *dims[SURVEY_DIMENSIONS] = {0};
    optind = 0;
    int rc = BD_EXIT_OK;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 's') {
            if (parse_int(optarg, &r.score)) {
                rc = cli_usage("survey respond", "--score needs a whole number: \"%s\"", optarg);
                goto out;
            }
            have_score = 1;
        } else if (c == 'c') {
            r.comment = optarg;
        } else if (c == 'd') {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || r.n_dims == SURVEY_DIMENSIONS) {
                rc = cli_usage("survey respond",
                               "--dimension needs NAME=SCORE, e.g."
                               " quality=4 (at most %d)",
                               SURVEY_DIMENSIONS);
                goto out;
            }
            dims[r.n_dims] = bd_strndup(optarg, (size_t)(eq - optarg));
            r.dims[r.n_dims].name = dims[r.n_dims];
            if (parse_int(eq + 1, &r.dims[r.n_dims].score)) {
                rc = cli_usage("survey respond", "--dimension %s needs a whole number",
                               dims[r.n_dims]);
                r.n_dims++;
                goto out;
            }
            r.n_dims++;
        } else {
            rc = cli_usage("survey respond", "unknown option");
            goto out;
        }
    }
    if (optind != argc - 1) {
        rc = cli_usage("survey respond", "give the survey's TOKEN");
        goto out;
    }
    if (!have_score) {
        rc = cli_usage("survey respond", "--score is required");
        goto out;
    }
    bd_store *s = cli_store(cli, 0);
    if (!s) {
        rc = BD_EXIT_FAIL;
        goto out;
    }
    bd_err err;
    int frc = store_begin(s, &err);
    if (!frc) frc = survey_respond(s, argv[optind], &r, bd_now(), &err);
    if (!frc) frc = store_commit(s, &err);
    if (frc) {
        store_rollback(s);
        rc = cli_fail(strncmp(err.msg, "database ", 9) == 0 ? BD_EXIT_FAIL : BD_EXIT_DATA,
                      "survey: %s", err.msg);
    } else {
        printf("survey: response recorded, thank you (score %d)\n", r.score);
    }
out:
    for (int i = 0; i < SURVEY_DIMENSIONS; i++)
        free(dims[i]);
    return rc;
}

static cJSON *survey_json(const store_survey *v, int64_t now)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)v->id);
    cJSON_AddNumberToObject(j, "ticket_id", (double)v->ticket_id);
    json_add_str(j, "shop", v->shop);
    cJSON *b = cJSON_AddObjectToObject(j, "buyer");
    json_add_str(b, "external_id", v->buyer_external_id);
    json_add_str(b, "name", v->buyer_name);
    json_add_str(j, "agent", v->agent);
    json_add_str(j, "category", v->category);
    json_add_str(j, "subcategory", v->subcategory);
    json_add_str(j, "language", v->language);
    json_add_str(j, "kind", v->kind);
    cJSON *d = v->dimensions ? cJSON_Parse(v->dimensions) : NULL;
    cJSON_AddItemToObject(j, "dimensions", d ? d : cJSON_CreateArray());
    json_add_str(j, "status", survey_status(v, now));
    json_add_time(j, "created_at", v->created_at);
    json_add_time(j, "expires_at", v->expires_at);
    json_add_time(j, "responded_at", v->responded_at);
    if (v->responded_at)
        cJSON_AddNumberToObject(j, "score", v->score);
    else
        cJSON_AddNullToObject(j, "score");
    json_add_str(j, "comment", v->comment);
    cJSON *a = cJSON_AddObjectToObject(j, "answers");
    for (int k = 0; k < SURVEY_DIMENSIONS; k++)
        if (v->dims[k]) cJSON_AddNumberToObject(a, survey_dimension_names[k], v->dims[k]);
    return j;
}

static int survey_list(bd_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"status", required_argument, NULL, 's'},
                                         {"shop", required_argument, NULL, 'p'},
                                         {"limit", required_argument, NULL, 'l'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    store_survey_filter f = {.now = bd_now()};
    int json = 0, c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 's') {
            if (!bd_str_in(optarg,
                           (const char *const[]){"pending", "answered", "expired", "all", NULL}))
                return cli_usage("survey list", "--status is pending, answered, expired or all");
            f.status = strcmp(optarg, "all") == 0 ? NULL : optarg;
        } else if (c == 'p') {
            f.shop = optarg;
        } else if (c == 'l') {
            int v;
            if (parse_int(optarg, &v) || v <= 0)
                return cli_usage("survey list", "--limit needs a positive number");
            f.limit = (size_t)v;
        } else if (c == 'j') {
            json = 1;
        } else {
            return cli_usage("survey list", "unknown option");
        }
    }
    if (optind < argc) return cli_usage("survey list", "unexpected argument \"%s\"", argv[optind]);
    bd_store *s = cli_store(cli, STORE_OPEN_READONLY);
    if (!s) return BD_EXIT_FAIL;
    store_survey *v;
    size_t n;
    bd_err err;
    if (store_surveys_list(s, &f, &v, &n, &err)) return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(arr, survey_json(&v[i], f.now));
        cli_print_json(arr);
    } else {
        printf("%-6s %-7s %-9s %-5s %-12s %-18s %-12s %-10s %-5s %s\n", "ID", "TICKET", "STATUS",
               "KIND", "SHOP", "BUYER", "AGENT", "SENT", "SCORE", "COMMENT");
        for (size_t i = 0; i < n; i++) {
            char id[24], ticket[24], sent[32], score[8];
            snprintf(id, sizeof id, "%lld", (long long)v[i].id);
            snprintf(ticket, sizeof ticket, "%lld", (long long)v[i].ticket_id);
            bd_time_format(v[i].created_at, sent, sizeof sent);
            sent[10] = '\0';
            if (v[i].responded_at)
                snprintf(score, sizeof score, "%d", v[i].score);
            else
                snprintf(score, sizeof score, "-");
            cli_cell(stdout, id, 6);
            putchar(' ');
            cli_cell(stdout, ticket, 7);
            putchar(' ');
            cli_cell(stdout, survey_status(&v[i], f.now), 9);
            putchar(' ');
            cli_cell(stdout, v[i].kind, 5);
            putchar(' ');
            cli_cell(stdout, v[i].shop, 12);
            putchar(' ');
            cli_cell(stdout, v[i].buyer_name ? v[i].buyer_name : v[i].buyer_external_id, 18);
            putchar(' ');
            cli_cell(stdout, v[i].agent ? v[i].agent : "-", 12);
            putchar(' ');
            cli_cell(stdout, sent, 10);
            putchar(' ');
            cli_cell(stdout, score, 5);
            putchar(' ');
            cli_cell(stdout, v[i].comment ? v[i].comment : "", 40);
            putchar('\n');
        }
        printf("%zu survey%s\n", n, n == 1 ? "" : "s");
    }
    store_surveys_free(v, n);
    return BD_EXIT_OK;
}

static int survey_show(bd_cli *cli, int argc, char **argv)
{
    int json = 0;
    const char *ref = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (!ref)
            ref = argv[i];
        else
            return cli_usage("survey show", "unexpected argument \"%s\"", argv[i]);
    }
    if (!ref) return cli_usage("survey show", "which survey? give its ID or TOKEN");
    bd_store *s = cli_store(cli, STORE_OPEN_READONLY);
    if (!s) return BD_EXIT_FAIL;
    bd_err err;
    store_survey v;
    char *end;
    long long num = strtoll(ref, &end, 10);
    int found = *ref && !*end && num > 0 ? store_survey_get(s, num, &v, &err)
                                         : store_survey_get_token(s, ref, &v, &err);
    if (found < 0) return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    if (!found) return cli_fail(BD_EXIT_FAIL, "no survey \"%s\"", ref);
    survey_policy p;
    if (survey_policy_load(cli->config, v.shop, &p, &err)) {
        store_survey_clear(&v);
        return cli_fail(BD_EXIT_FAIL, "configuration: %s", err.msg);
    }
    int64_t now = bd_now();
    cJSON *j = survey_json(&v, now);
    cJSON *inv = cJSON_AddObjectToObject(j, "invitation");
    char *tpl = survey_invitation_template(cli->config, v.language);
    cJSON_AddStringToObject(inv, "template", tpl);
    cJSON_AddItemToObject(inv, "data", survey_invitation_data(&v, &p));
    free(tpl);
    if (json) {
        cli_print_json(j);
    } else {
        char a[32], b[32];
        bd_time_format(v.created_at, a, sizeof a);
        bd_time_format(v.expires_at, b, sizeof b);
        printf("Survey %lld  [%s]  %s  ticket %lld\n", (long long)v.id, survey_status(&v, now),
               v.kind, (long long)v.ticket_id);
        printf("Shop:      %s\nBuyer:     %s <%s>\nAgent:     %s\n", v.shop,
               v.buyer_name ? v.buyer_name : "-", v.buyer_external_id, v.agent ? v.agent : "-");
        printf("Sent:      %s\nExpires:   %s\nLanguage:  %s\nAsks:      %s\n", a, b, v.language,
               v.dimensions);
        if (v.responded_at) {
            bd_time_format(v.responded_at, a, sizeof a);
            printf("Answered:  %s  score %d%s%s\n", a, v.score, v.comment ? "  " : "",
                   v.comment ? v.comment : "");
            for (int k = 0; k < SURVEY_DIMENSIONS; k++)
                if (v.dims[k]) printf("           %s %d\n", survey_dimension_names[k], v.dims[k]);
        }
        cJSON *data = cJSON_GetObjectItemCaseSensitive(inv, "data");
        const cJSON *sv = cJSON_GetObjectItemCaseSensitive(data, "survey");
        printf("Link:      %s\nTemplate:  %s\n", bd_json_str(sv, "url"),
               bd_json_str(inv, "template"));
        cJSON_Delete(j);
    }
    store_survey_clear(&v);
    return BD_EXIT_OK;
}

int cmd_survey(bd_cli *cli, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help(argc, argv)) {
        survey_help();
        return argc < 2 ? BD_EXIT_USAGE : BD_EXIT_OK;
    }
    if (strcmp(argv[1], "respond") == 0) return survey_respond_cmd(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0) return survey_list(cli, argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0) return survey_show(cli, argc - 1, argv + 1);
    return cli_usage("survey", "unknown subcommand \"%s\"", argv[1]);
}
