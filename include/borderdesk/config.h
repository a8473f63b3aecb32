/*
 * config.h — the configuration file (borderdesk.json). Secrets never live in it, only the
 * names of the environment variables that hold them (keys ending in "_env").
 *
 * Lookup: --config PATH, else $BORDERDESK_CONFIG, else ./borderdesk.json when it exists,
 * else built-in defaults. The database: --db PATH, else $BORDERDESK_DB, else the file's
 * "database", else var/borderdesk.db.
 */
#ifndef BORDERDESK_CONFIG_H
#define BORDERDESK_CONFIG_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "borderdesk/util.h"

typedef struct bd_config {
    char *path;             /* the file read, or NULL for defaults */
    cJSON *root;            /* the whole document (an empty object for defaults) */
    char *database;         /* from "database", or NULL */
    int64_t reopen_window;  /* seconds; "reopen_window_days", default 7 */
    char *templates_dir;    /* "templates_dir", default <source>/templates */
    char *locales_dir;      /* "locales_dir", default <source>/locales */
} bd_config;

/* path NULL: the lookup above. Returns 0, or -1 with err naming the file and the key. */
int bd_config_load(const char *path, bd_config **out, bd_err *err);
void bd_config_free(bd_config *c);

/* The "shops" array entry with "name" == name, or NULL. */
const cJSON *bd_config_shop(const bd_config *c, const char *name);

/* Directory of the bundled data (templates/, locales/): $BORDERDESK_HOME, else the
 * directory the binary was built from. */
const char *bd_data_dir(void);

#endif
