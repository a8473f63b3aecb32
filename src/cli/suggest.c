/* suggest.c — `borderdesk suggest TICKET` and `borderdesk templates check|list`. */
#include "cli.h"

#include "borderdesk/suggest.h"
#include "borderdesk/taxonomy.h"

#include <stdlib.h>
#include <string.h>

static void suggest_help(void)
{
    printf("usage: borderdesk suggest TICKET [--limit N] [--as AGENT] [--json]\n\n"
           "Ranked replies for the ticket, rendered in the buyer's language with the order's\n"
           "facts (English, marked as such, where that language has no template). Facts only\n"
           "the agent knows appear as [[name]] and are listed as missing.\n\n"
           "  --limit N   how many (default 3)\n"
           "  --as AGENT  the name to sign with (default: the assignee's display name)\n"
           "  --json      an array of {template_id, title, language, fallback, score, text,\n"
           "              missing}\n");
}

static void print_problem(void *ud, const char *path, const char *message)
{
    (void)path;
    int *count = ud;
    if (count) ++*count;
    fprintf(stderr, "%s\n", message);
}

int cmd_suggest(bd_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        suggest_help();
        return BD_EXIT_OK;
    }
    const char *ref = NULL, *as = NULL;
    int json = 0;
    size_t limit = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (strcmp(argv[i], "--as") == 0 && i + 1 < argc) as = argv[++i];
        else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v <= 0 || v > 100) return cli_usage("suggest", "--limit needs 1-100");
            limit = (size_t)v;
        } else if (!ref && argv[i][0] != '-') ref = argv[i];
        else return cli_usage("suggest", "unexpected argument \"%s\"", argv[i]);
    }
    if (!ref) return cli_usage("suggest", "which ticket? give its ID");
    int64_t id;
    if (cli_parse_id("suggest", ref, &id)) return BD_EXIT_USAGE;
    bd_store *s = cli_store(cli, STORE_OPEN_READONLY);
    if (!s) return BD_EXIT_FAIL;
    bd_err err;
    suggest_library *lib;
    if (suggest_library_load(cli->config->templates_dir, NULL, NULL, &lib, &err))
        return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    cJSON *ctx = NULL;
    suggest_facts facts;
    suggestion *sg = NULL;
    size_t n = 0;
    int rc = BD_EXIT_OK;
    if (suggest_ticket_context(s, cli->config, id, as, &ctx, &facts, &err) ||
        suggest_rank(lib, &facts, ctx, limit, &sg, &n, &err)) {
        rc = cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    } else if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(arr, suggestion_json(&sg[i]));
        cli_print_json(arr);
    } else {
        for (size_t i = 0; i < n; i++) {
            printf("#%zu  %s  (%s%s, score %d)  %s\n", i + 1, sg[i].tpl->id, sg[i].tpl->lang,
                   sg[i].fallback ? ", English fallback" : "", sg[i].score, sg[i].tpl->title);
            if (sg[i].n_missing) {
                printf("    fill in:");
                for (size_t k = 0; k < sg[i].n_missing; k++) printf(" [[%s]]", sg[i].missing[k]);
                printf("\n");
            }
            printf("\n%s\n", sg[i].text);
            if (i + 1 < n) printf("----------------------------------------\n");
        }
        if (!n) printf("no template fits ticket %lld\n", (long long)id);
    }
    suggestions_free(sg, n);
    cJSON_Delete(ctx);
    suggest_library_free(lib);
    return rc;
}

typedef struct check_state {
    const suggest_template *t;
    int errors;
} check_state;

static void check_name(void *ud, const char *name, char kind, const char *scope, unsigned line,
                       unsigned col)
{
    check_state *st = ud;
    if (kind == '>' || kind == '<' || kind == '+') {
        fprintf(stderr, "%s:%u:%u: partial or inheritance tag \"%s\": library templates stand alone\n",
                st->t->path, line, col, name);
        st->errors++;
    } else if (!suggest_name_known(name, scope)) {
        fprintf(stderr, "%s:%u:%u: \"%s\" is not in the documented context (docs/templates.md)\n",
                st->t->path, line, col, name);
        st->errors++;
    }
}

static int templates_check(bd_cli *cli, const char *dir)
{
    if (!dir) {
        if (!cli_config(cli)) return BD_EXIT_FAIL;
        dir = cli->config->templates_dir;
    }
    bd_err err;
    suggest_library *lib;
    int problems = 0;
    if (suggest_library_load(dir, print_problem, &problems, &lib, &err))
        return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    for (size_t i = 0; i < lib->n; i++) {
        const suggest_template *t = &lib->t[i];
        check_state st = {t, 0};
        if (!bd_str_in(t->lang, bd_languages)) {
            fprintf(stderr, "%s: unknown language directory \"%s\"\n", t->path, t->lang);
            st.errors++;
        }
        int survey = strcmp(t->category, "survey") == 0 && strcmp(t->subcategory, "invitation") == 0;
        if (!survey && !bd_taxonomy_valid(t->category, t->subcategory)) {
            fprintf(stderr, "%s: %s/%s is not in the taxonomy\n", t->path, t->category, t->subcategory);
            st.errors++;
        }
        tpl_names(t->tpl, check_name, &st);
        problems += st.errors;
    }
    /* coverage: subcategory x language */
    int gaps = 0;
    printf("%-28s", "subcategory");
    for (const char *const *l = bd_languages; *l; l++) printf(" %3s", *l);
    printf("\n");
    for (const bd_category *c = bd_taxonomy; c->name; c++) {
        for (const char *const *sub = c->subcategories; *sub; sub++) {
            char label[64];
            snprintf(label, sizeof label, "%s/%s", c->name, *sub);
            printf("%-28s", label);
            for (const char *const *l = bd_languages; *l; l++) {
                int count = 0;
                for (size_t i = 0; i < lib->n; i++)
                    if (strcmp(lib->t[i].lang, *l) == 0 && strcmp(lib->t[i].category, c->name) == 0 &&
                        strcmp(lib->t[i].subcategory, *sub) == 0)
                        count++;
                if (count) printf(" %3d", count);
                else printf("   -"), gaps++;
            }
            printf("\n");
        }
    }
    printf("%zu templates, %d problem%s, %d gap%s (subcategory x language without a template)\n",
           lib->n, problems, problems == 1 ? "" : "s", gaps, gaps == 1 ? "" : "s");
    suggest_library_free(lib);
    return problems || gaps ? BD_EXIT_DATA : BD_EXIT_OK;
}

static int templates_list(bd_cli *cli, int json)
{
    if (!cli_config(cli)) return BD_EXIT_FAIL;
    bd_err err;
    suggest_library *lib;
    if (suggest_library_load(cli->config->templates_dir, print_problem, NULL, &lib, &err))
        return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    cJSON *arr = json ? cJSON_CreateArray() : NULL;
    for (size_t i = 0; i < lib->n; i++) {
        const suggest_template *t = &lib->t[i];
        if (json) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddStringToObject(j, "id", t->id);
            cJSON_AddStringToObject(j, "language", t->lang);
            cJSON_AddStringToObject(j, "category", t->category);
            cJSON_AddStringToObject(j, "subcategory", t->subcategory);
            json_add_str(j, "variant", t->variant);
            cJSON_AddStringToObject(j, "title", t->title);
            cJSON_AddItemToArray(arr, j);
        } else {
            printf("%-44s %s\n", t->id, t->title);
        }
    }
    if (json) cli_print_json(arr);
    suggest_library_free(lib);
    return BD_EXIT_OK;
}

int cmd_templates(bd_cli *cli, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help(argc, argv)) {
        printf("usage: borderdesk templates check [--dir DIR] | list [--json]\n\n"
               "  check   parses every reply template, flags names outside the documented\n"
               "          context (docs/templates.md), prints the coverage matrix\n"
               "          (subcategory x language); exit 3 on problems or gaps\n"
               "  list    every template with its title\n");
        return argc < 2 ? BD_EXIT_USAGE : BD_EXIT_OK;
    }
    if (strcmp(argv[1], "check") == 0) {
        const char *dir = NULL;
        if (argc == 4 && strcmp(argv[2], "--dir") == 0) dir = argv[3];
        else if (argc != 2) return cli_usage("templates check", "unexpected argument");
        return templates_check(cli, dir);
    }
    if (strcmp(argv[1], "list") == 0)
        return templates_list(cli, argc > 2 && strcmp(argv[2], "--json") == 0);
    return cli_usage("templates", "unknown subcommand \"%s\"", argv[1]);
}
