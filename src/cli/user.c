/* user.c — `borderdesk user add|passwd|role|list|disable|enable` and
 * `borderdesk user token create|list|revoke`. Every change is audited with the acting user. */
#include "cli.h"

#include "borderdesk/auth.h"

#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static void user_help(void)
{
    printf("usage: borderdesk user <subcommand>\n\n"
           "  add NAME [--role agent|lead|admin] [--display-name TEXT] [--password-stdin]\n"
           "  passwd NAME            set the password (read from stdin when it is not a terminal)\n"
           "  role NAME agent|lead|admin\n"
           "  list [--json]\n"
           "  disable NAME | enable NAME\n"
           "  token create NAME --scope read|write|sync|admin [--label TEXT]\n"
           "        prints the new API token once; only its hash is stored\n"
           "  token list [NAME] [--json]\n"
           "  token revoke ID\n");
}

/* One line from stdin, without its line end; NULL at end of input. Caller frees. */
static char *read_line(void)
{
    bd_buf b = BD_BUF_INIT;
    int c;
    while ((c = getchar()) != EOF && c != '\n') {
        if (b.len > 4096) break;
        bd_buf_putc(&b, (char)c);
    }
    if (c == EOF && b.len == 0) {
        bd_buf_free(&b);
        return NULL;
    }
    if (b.len && b.data[b.len - 1] == '\r') b.data[--b.len] = '\0';
    return bd_buf_detach(&b);
}

static char *prompt_hidden(const char *prompt)
{
    struct termios old, quiet;
    fputs(prompt, stderr);
    fflush(stderr);
    int tty = tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    char *line = read_line();
    if (tty) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    fputc('\n', stderr);
    return line;
}

/* The new password: typed twice on a terminal, else the first line of stdin. */
static char *read_password(const char *name)
{
    if (!isatty(STDIN_FILENO)) return read_line();
    char prompt[128];
    snprintf(prompt, sizeof prompt, "New password for %s: ", name);
    char *a = prompt_hidden(prompt);
    char *b = a ? prompt_hidden("Again: ") : NULL;
    if (!a || !b || strcmp(a, b) != 0) {
        if (a && b) fprintf(stderr, "borderdesk: the passwords differ\n");
        free(a);
        free(b);
        return NULL;
    }
    free(b);
    return a;
}

/* Runs fn in a write transaction; prints err and returns BD_EXIT_FAIL on failure. */
static int in_tx(bd_cli *cli, int (*fn)(bd_store *, void *, bd_err *), void *arg)
{
    bd_store *s = cli_store(cli, STORE_OPEN_CREATE);
    if (!s) return BD_EXIT_FAIL;
    bd_err err;
    int rc = store_begin(s, &err);
    if (!rc) rc = fn(s, arg, &err);
    if (!rc) rc = store_commit(s, &err);
    if (rc) {
        store_rollback(s);
        return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    }
    return BD_EXIT_OK;
}

struct user_change {
    const char *name, *role, *display, *password;
    int disabled;
};

static int do_add(bd_store *s, void *arg, bd_err *err)
{
    struct user_change *c = arg;
    return auth_user_add(s, cli_actor(), c->name, c->display, c->role, c->password, err);
}

static int user_add(bd_cli *cli, int argc, char **argv)
{
    struct user_change c = {.role = "agent"};
    int from_stdin = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
            c.role = argv[++i];
        else if (strcmp(argv[i], "--display-name") == 0 && i + 1 < argc)
            c.display = argv[++i];
        else if (strcmp(argv[i], "--password-stdin") == 0)
            from_stdin = 1;
        else if (!c.name && argv[i][0] != '-')
            c.name = argv[i];
        else
            return cli_usage("user add", "unexpected argument \"%s\"", argv[i]);
    }
    if (!c.name) return cli_usage("user add", "give the user's login NAME");
    if (!auth_role_parse(c.role))
        return cli_usage("user add", "unknown role \"%s\" (agent, lead, admin)", c.role);
    if (!auth_user_name_valid(c.name))
        return cli_usage("user add", "a login NAME is 1-64 of a-z, 0-9, '.', '_' and '-'");
    char *pw = NULL;
    if (from_stdin) {
        pw = read_line();
        bd_err err;
        if (auth_password_check(pw, &err)) {
            free(pw);
            return cli_fail(BD_EXIT_DATA, "%s", err.msg);
        }
        c.password = pw;
    }
    int rc = in_tx(cli, do_add, &c);
    free(pw);
    if (rc == BD_EXIT_OK) printf("user %s added (%s)\n", c.name, c.role);
    return rc;
}

static int do_passwd(bd_store *s, void *arg, bd_err *err)
{
    struct user_change *c = arg;
    return auth_user_set_password(s, cli_actor(), c->name, c->password, err);
}

static int user_passwd(bd_cli *cli, int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') return cli_usage("user passwd", "give one NAME");
    struct user_change c = {.name = argv[1]};
    char *pw = read_password(c.name);
    if (!pw) return cli_fail(BD_EXIT_DATA, "no password given");
    bd_err err;
    if (auth_password_check(pw, &err)) {
        free(pw);
        return cli_fail(BD_EXIT_DATA, "%s", err.msg);
    }
    c.password = pw;
    int rc = in_tx(cli, do_passwd, &c);
    free(pw);
    if (rc == BD_EXIT_OK) printf("user %s: password changed\n", c.name);
    return rc;
}

static int do_role(bd_store *s, void *arg, bd_err *err)
{
    struct user_change *c = arg;
    return auth_user_set_role(s, cli_actor(), c->name, c->role, err);
}

static int user_role(bd_cli *cli, int argc, char **argv)
{
    if (argc != 3) return cli_usage("user role", "give a NAME and a role");
    struct user_change c = {.name = argv[1], .role = argv[2]};
    if (!auth_role_parse(c.role))
        return cli_usage("user role", "unknown role \"%s\" (agent, lead, admin)", c.role);
    int rc = in_tx(cli, do_role, &c);
    if (rc == BD_EXIT_OK) printf("user %s is now %s\n", c.name, c.role);
    return rc;
}

static int user_list(bd_cli *cli, int argc, char **argv)
{
    int json = argc > 1 && strcmp(argv[1], "--json") == 0;
    bd_store *s = cli_store(cli, STORE_OPEN_READONLY);
    if (!s) return BD_EXIT_FAIL;
    store_user *u;
    size_t n;
    bd_err err;
    if (store_users_list(s, &u, &n, &err)) return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++) {
            cJSON *j = cJSON_CreateObject();
            json_add_str(j, "name", u[i].name);
            json_add_str(j, "display_name", u[i].display_name);
            json_add_str(j, "role", u[i].role);
            cJSON_AddBoolToObject(j, "disabled", u[i].disabled);
            json_add_time(j, "created_at", u[i].created_at);
            cJSON_AddItemToArray(arr, j);
        }
        cli_print_json(arr);
    } else {
        printf("%-16s %-6s %-9s %s\n", "NAME", "ROLE", "STATE", "DISPLAY NAME");
        for (size_t i = 0; i < n; i++)
            printf("%-16s %-6s %-9s %s\n", u[i].name, u[i].role,
                   u[i].disabled ? "disabled" : "active",
                   u[i].display_name ? u[i].display_name : "");
    }
    store_users_free(u, n);
    return BD_EXIT_OK;
}

static int do_disable(bd_store *s, void *arg, bd_err *err)
{
    struct user_change *c = arg;
    return auth_user_set_disabled(s, cli_actor(), c->name, c->disabled, err);
}

static int user_disable(bd_cli *cli, int argc, char **argv, int disabled)
{
    if (argc != 2) return cli_usage(disabled ? "user disable" : "user enable", "give one NAME");
    struct user_change c = {.name = argv[1], .disabled = disabled};
    int rc = in_tx(cli, do_disable, &c);
    if (rc == BD_EXIT_OK) printf("user %s %s\n", argv[1], disabled ? "disabled" : "enabled");
    return rc;
}

struct token_change {
    const char *user, *scope, *label;
    char *token;
    int64_t id;
    int revoked;
};

static int do_token_create(bd_store *s, void *arg, bd_err *err)
{
    struct token_change *c = arg;
    return auth_token_create(s, cli_actor(), c->user, c->scope, c->label, &c->token, &c->id, err);
}

static int token_create(bd_cli *cli, int argc, char **argv)
{
    struct token_change c = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--scope") == 0 && i + 1 < argc)
            c.scope = argv[++i];
        else if (strcmp(argv[i], "--label") == 0 && i + 1 < argc)
            c.label = argv[++i];
        else if (!c.user && argv[i][0] != '-')
            c.user = argv[i];
        else
            return cli_usage("user token create", "unexpected argument \"%s\"", argv[i]);
    }
    if (!c.user) return cli_usage("user token create", "give the user's NAME");
    if (!c.scope || !auth_scope_grants(c.scope))
        return cli_usage("user token create", "give --scope read, write, sync or admin");
    int rc = in_tx(cli, do_token_create, &c);
    if (rc == BD_EXIT_OK) {
        printf("%s\n", c.token);
        fprintf(stderr, "token %lld for %s (%s): shown once, store it now\n", (long long)c.id,
                c.user, c.scope);
    }
    free(c.token);
    return rc;
}

static int token_list(bd_cli *cli, int argc, char **argv)
{
    const char *user = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (!user && argv[i][0] != '-')
            user = argv[i];
        else
            return cli_usage("user token list", "unexpected argument \"%s\"", argv[i]);
    }
    bd_store *s = cli_store(cli, STORE_OPEN_READONLY);
    if (!s) return BD_EXIT_FAIL;
    store_token *t;
    size_t n;
    bd_err err;
    if (store_tokens_list(s, user, &t, &n, &err)) return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++) {
            cJSON *j = cJSON_CreateObject();
            cJSON_AddNumberToObject(j, "id", (double)t[i].id);
            json_add_str(j, "user", t[i].user_name);
            json_add_str(j, "scope", t[i].scope);
            json_add_str(j, "label", t[i].label);
            json_add_str(j, "prefix", t[i].prefix);
            json_add_time(j, "created_at", t[i].created_at);
            json_add_time(j, "last_used_at", t[i].last_used_at);
            json_add_time(j, "revoked_at", t[i].revoked_at);
            cJSON_AddItemToArray(arr, j);
        }
        cli_print_json(arr);
    } else {
        printf("%-5s %-16s %-6s %-13s %-9s %-20s %s\n", "ID", "USER", "SCOPE", "PREFIX", "STATE",
               "LAST USED", "LABEL");
        for (size_t i = 0; i < n; i++) {
            char used[32] = "-";
            if (t[i].last_used_at) bd_time_format(t[i].last_used_at, used, sizeof used);
            printf("%-5lld %-16s %-6s %-13s %-9s %-20s %s\n", (long long)t[i].id, t[i].user_name,
                   t[i].scope, t[i].prefix, t[i].revoked_at ? "revoked" : "active", used,
                   t[i].label ? t[i].label : "");
        }
    }
    store_tokens_free(t, n);
    return BD_EXIT_OK;
}

static int do_token_revoke(bd_store *s, void *arg, bd_err *err)
{
    struct token_change *c = arg;
    int rc = auth_token_revoke(s, cli_actor(), c->id, err);
    if (rc < 0) return -1;
    c->revoked = rc;
    return 0;
}

static int token_revoke(bd_cli *cli, int argc, char **argv)
{
    if (argc != 2) return cli_usage("user token revoke", "give one token ID");
    char *end;
    long long id = strtoll(argv[1], &end, 10);
    if (!*argv[1] || *end || id <= 0)
        return cli_usage("user token revoke", "\"%s\" is not a token id", argv[1]);
    struct token_change c = {.id = id};
    int rc = in_tx(cli, do_token_revoke, &c);
    if (rc != BD_EXIT_OK) return rc;
    if (!c.revoked) return cli_fail(BD_EXIT_FAIL, "no active token %lld", id);
    printf("token %lld revoked\n", id);
    return BD_EXIT_OK;
}

static int user_token(bd_cli *cli, int argc, char **argv)
{
    if (argc < 2) return cli_usage("user token", "give create, list or revoke");
    const char *sub = argv[1];
    if (strcmp(sub, "create") == 0) return token_create(cli, argc - 1, argv + 1);
    if (strcmp(sub, "list") == 0) return token_list(cli, argc - 1, argv + 1);
    if (strcmp(sub, "revoke") == 0) return token_revoke(cli, argc - 1, argv + 1);
    return cli_usage("user token", "unknown subcommand \"%s\"", sub);
}

int cmd_user(bd_cli *cli, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help(argc, argv)) {
        user_help();
        return argc < 2 ? BD_EXIT_USAGE : BD_EXIT_OK;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "add") == 0) return user_add(cli, argc - 1, argv + 1);
    if (strcmp(sub, "passwd") == 0) return user_passwd(cli, argc - 1, argv + 1);
    if (strcmp(sub, "role") == 0) return user_role(cli, argc - 1, argv + 1);
    if (strcmp(sub, "list") == 0) return user_list(cli, argc - 1, argv + 1);
    if (strcmp(sub, "disable") == 0) return user_disable(cli, argc - 1, argv + 1, 1);
    if (strcmp(sub, "enable") == 0) return user_disable(cli, argc - 1, argv + 1, 0);
    if (strcmp(sub, "token") == 0) return user_token(cli, argc - 1, argv + 1);
    return cli_usage("user", "unknown subcommand \"%s\"", sub);
}
