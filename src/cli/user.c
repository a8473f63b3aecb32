/* user.c — `borderdesk user add|list|disable|enable`. */
#include "cli.h"

#include <string.h>

static void user_help(void)
{
    printf("usage: borderdesk user <subcommand>\n\n"
           "  add NAME [--role agent|lead|admin] [--display-name TEXT]\n"
           "  list [--json]\n"
           "  disable NAME | enable NAME\n");
}

static int user_add(bd_cli *cli, int argc, char **argv)
{
    const char *name = NULL, *role = "agent", *display = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--role") == 0 && i + 1 < argc) role = argv[++i];
        else if (strcmp(argv[i], "--display-name") == 0 && i + 1 < argc) display = argv[++i];
        else if (!name && argv[i][0] != '-') name = argv[i];
        else return cli_usage("user add", "unexpected argument \"%s\"", argv[i]);
    }
    if (!name) return cli_usage("user add", "give the user's login NAME");
    if (!bd_str_in(role, (const char *const[]){"agent", "lead", "admin", NULL}))
        return cli_usage("user add", "unknown role \"%s\" (agent, lead, admin)", role);
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
              *p == '-'))
            return cli_usage("user add", "a login NAME uses a-z, 0-9, '.', '_' and '-'");
    bd_store *s = cli_store(cli, STORE_OPEN_CREATE);
    if (!s) return BD_EXIT_FAIL;
    bd_err err;
    if (store_user_add(s, name, display, role, bd_now(), &err))
        return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    printf("user %s added (%s)\n", name, role);
    return BD_EXIT_OK;
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
                   u[i].disabled ? "disabled" : "active", u[i].display_name ? u[i].display_name : "");
    }
    store_users_free(u, n);
    return BD_EXIT_OK;
}

static int user_disable(bd_cli *cli, int argc, char **argv, int disabled)
{
    if (argc != 2) return cli_usage(disabled ? "user disable" : "user enable", "give one NAME");
    bd_store *s = cli_store(cli, 0);
    if (!s) return BD_EXIT_FAIL;
    bd_err err;
    if (store_user_set_disabled(s, argv[1], disabled, &err))
        return cli_fail(BD_EXIT_FAIL, "%s", err.msg);
    printf("user %s %s\n", argv[1], disabled ? "disabled" : "enabled");
    return BD_EXIT_OK;
}

int cmd_user(bd_cli *cli, int argc, char **argv)
{
    if (argc < 2 || cli_wants_help(argc, argv)) {
        user_help();
        return argc < 2 ? BD_EXIT_USAGE : BD_EXIT_OK;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "add") == 0) return user_add(cli, argc - 1, argv + 1);
    if (strcmp(sub, "list") == 0) return user_list(cli, argc - 1, argv + 1);
    if (strcmp(sub, "disable") == 0) return user_disable(cli, argc - 1, argv + 1, 1);
    if (strcmp(sub, "enable") == 0) return user_disable(cli, argc - 1, argv + 1, 0);
    return cli_usage("user", "unknown subcommand \"%s\"", sub);
}
