/* common.c — helpers shared by the subcommands. */
#include "cli.h"

#include "borderdesk/survey.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cli_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("borderdesk: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return code;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "borderdesk %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see `borderdesk %s --help`)\n", cmd);
    va_end(ap);
    return BD_EXIT_USAGE;
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return 1;
    return 0;
}

int cli_parse_id(const char *cmd, const char *s, int64_t *id)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v <= 0) {
        cli_usage(cmd, "\"%s\" is not a ticket id", s);
        return -1;
    }
    *id = v;
    return 0;
}

const char *cli_actor(void)
{
    const char *u = getenv("BORDERDESK_USER");
    if (!u || !*u) u = getenv("USER");
    return u && *u ? u : "cli";
}

bd_config *cli_config(bd_cli *cli)
{
    if (cli->config) return cli->config;
    bd_err err;
    if (bd_config_load(cli->config_opt, &cli->config, &err) ||
        sla_config_load(cli->config, &cli->sla, &err)) {
        cli_fail(BD_EXIT_FAIL, "configuration: %s", err.msg);
        bd_config_free(cli->config);
        cli->config = NULL;
        return NULL;
    }
    return cli->config;
}

const char *cli_db_path(bd_cli *cli)
{
    if (cli->db_opt) return cli->db_opt;
    const char *env = getenv("BORDERDESK_DB");
    if (env && *env) return env;
    bd_config *c = cli_config(cli);
    if (c && c->database) return c->database;
    return "var/borderdesk.db";
}

bd_store *cli_store(bd_cli *cli, int flags)
{
    if (cli->store) return cli->store;
    if (!cli_config(cli)) return NULL;
    bd_err err;
    if (store_open(cli_db_path(cli), flags, &cli->store, &err)) {
        cli_fail(BD_EXIT_FAIL, "%s", err.msg);
        return NULL;
    }
    return cli->store;
}

static int sla_changed(void *ud, int64_t ticket_id, bd_err *err)
{
    bd_cli *cli = ud;
    return sla_ticket_refresh(cli->store, cli->sla, ticket_id, bd_now(), err);
}

static void sla_new_ticket(void *ud, const store_ticket_new *n, const bd_message *m,
                           int64_t *due_at, const char **due_state)
{
    bd_cli *cli = ud;
    sla_new_ticket_due(cli->sla, m->shop, m->marketplace, n, m, bd_now(), due_at, due_state);
}

static int sla_changed_many(void *ud, const int64_t *ids, size_t n, bd_err *err)
{
    bd_cli *cli = ud;
    return sla_tickets_refresh(cli->store, cli->sla, ids, n, bd_now(), err);
}

void cli_ticket_ctx(bd_cli *cli, ticket_ctx *ctx, const char *actor)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->store = cli->store;
    ctx->reopen_window = cli->config ? cli->config->reopen_window : 7 * 86400;
    ctx->actor = actor;
    /* a solved ticket gets a satisfaction survey when the shop's configuration asks */
    ctx->on_solved = survey_on_ticket_solved;
    ctx->on_solved_ud = cli->config;
    if (cli->sla) {
        ctx->on_change = sla_changed;
        ctx->on_changes = sla_changed_many;
        ctx->new_ticket_due = sla_new_ticket;
        ctx->on_change_ud = cli;
    }
}

void cli_ticket_classifier(bd_cli *cli, ticket_ctx *ctx, const char *cmd)
{
    bd_config *c = cli_config(cli);
    bd_err err;
    if (!c || ticket_classifier_open(ctx, c->locales_dir, &err))
        fprintf(stderr, "borderdesk %s: warning: messages are not classified: %s\n", cmd,
                c ? err.msg : "no configuration");
}

void cli_cell(FILE *f, const char *s, size_t width)
{
    if (!s) s = "";
    /* one line only */
    char *flat = bd_strdup(s);
    for (char *p = flat; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
    char *cut = NULL;
    size_t w = bd_utf8_width(flat);
    if (w > width) {
        size_t keep = width;
        do {
            free(cut);
            cut = bd_utf8_truncate(flat, keep);
            keep--;
        } while (keep > 0 && bd_utf8_width(cut) > width);
    }
    const char *out = cut ? cut : flat;
    fputs(out, f);
    for (size_t i = bd_utf8_width(out); i < width; i++)
        fputc(' ', f);
    free(cut);
    free(flat);
}

void cli_print_json(cJSON *j)
{
    char *s = cJSON_Print(j);
    puts(s);
    cJSON_free(s);
    cJSON_Delete(j);
}

int cli_line_blank(const char *line, size_t n, size_t *len)
{
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    *len = n;
    size_t k = 0;
    while (k < n && (line[k] == ' ' || line[k] == '\t'))
        k++;
    return k == n;
}
