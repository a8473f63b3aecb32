/* init.c — `borderdesk init`: create or upgrade the database. */
#include "cli.h"

int cmd_init(bd_cli *cli, int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        printf("usage: borderdesk init\n\n"
               "Creates the SQLite database (default var/borderdesk.db, see --db) or upgrades an\n"
               "older one in place. Safe to run again.\n");
        return BD_EXIT_OK;
    }
    if (argc > 1) return cli_usage("init", "unexpected argument \"%s\"", argv[1]);
    bd_store *s = cli_store(cli, STORE_OPEN_CREATE);
    if (!s) return BD_EXIT_FAIL;
    printf("database %s ready (schema version %d)\n", cli_db_path(cli), store_schema_version(s));
    return BD_EXIT_OK;
}
