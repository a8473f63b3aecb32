/* config.c — loading and checking borderdesk.json. */
#include "borderdesk/config.h"
#include "borderdesk/model.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *bd_data_dir(void)
{
    const char *home = getenv("BORDERDESK_HOME");
    return home && *home ? home : BD_SOURCE_DIR;
}

static int check_shops(const cJSON *shops, const char *path, bd_err *err)
{
    if (!shops) return 0;
    if (!cJSON_IsArray(shops)) return bd_err_set(err, "%s: \"shops\" must be an array", path);
    int i = 0;
    for (const cJSON *s = shops->child; s; s = s->next, i++) {
        const char *name = bd_json_str(s, "name");
        if (!cJSON_IsObject(s) || !name || !bd_json_str(s, "marketplace"))
            return bd_err_set(err, "%s: shops[%d] needs \"name\" and \"marketplace\" strings",
                              path, i);
        for (const cJSON *o = shops->child; o != s; o = o->next)
            if (bd_streq(bd_json_str(o, "name"), name))
                return bd_err_set(err, "%s: shop \"%s\" is configured twice", path, name);
        for (const cJSON *k = s->child; k; k = k->next) {
            size_t n = strlen(k->string);
            int secret = strstr(k->string, "secret") || strstr(k->string, "password") ||
                         strstr(k->string, "token") || strstr(k->string, "partner_key");
            if (secret && !(n > 4 && strcmp(k->string + n - 4, "_env") == 0) &&
                strcmp(k->string, "token_endpoint") != 0)
                return bd_err_set(err,
                                  "%s: shops[%d].%s: secrets are never stored in the file; "
                                  "use \"%s_env\" with the name of an environment variable",
                                  path, i, k->string, k->string);
        }
    }
    return 0;
}

int bd_config_load(const char *path, bd_config **out, bd_err *err)
{
    *out = NULL;
    if (!path) path = getenv("BORDERDESK_CONFIG");
    if (path && !*path) path = NULL;
    if (!path && access("borderdesk.json", R_OK) == 0) path = "borderdesk.json";

    bd_config *c = bd_calloc(1, sizeof *c);
    c->reopen_window = 7 * 86400;
    if (!path) {
        c->root = cJSON_CreateObject();
        goto defaults;
    }
    c->path = bd_strdup(path);
    size_t len;
    char *text = bd_read_file(path, 4u << 20, &len, err);
    if (!text) goto fail;
    bd_err perr;
    c->root = bd_json_parse(text, len, &perr);
    free(text);
    if (!c->root) {
        bd_err_set(err, "%s: %s", path, perr.msg);
        goto fail;
    }
    if (!cJSON_IsObject(c->root)) {
        bd_err_set(err, "%s: the configuration must be a JSON object", path);
        goto fail;
    }
    const cJSON *db = cJSON_GetObjectItemCaseSensitive(c->root, "database");
    if (db && !cJSON_IsString(db)) {
        bd_err_set(err, "%s: \"database\" must be a string", path);
        goto fail;
    }
    c->database = bd_strdup(db ? db->valuestring : NULL);
    const cJSON *rw = cJSON_GetObjectItemCaseSensitive(c->root, "reopen_window_days");
    if (rw) {
        if (!cJSON_IsNumber(rw) || rw->valuedouble < 0 || rw->valuedouble > 3650) {
            bd_err_set(err, "%s: \"reopen_window_days\" must be a number of days (0-3650)", path);
            goto fail;
        }
        c->reopen_window = (int64_t)(rw->valuedouble * 86400);
    }
    if (check_shops(cJSON_GetObjectItemCaseSensitive(c->root, "shops"), path, err)) goto fail;
    c->templates_dir = bd_strdup(bd_json_str(c->root, "templates_dir"));
    c->locales_dir = bd_strdup(bd_json_str(c->root, "locales_dir"));
defaults:
    if (!c->templates_dir) c->templates_dir = bd_asprintf("%s/templates", bd_data_dir());
    if (!c->locales_dir) c->locales_dir = bd_asprintf("%s/locales", bd_data_dir());
    *out = c;
    return 0;
fail:
    bd_config_free(c);
    return -1;
}

void bd_config_free(bd_config *c)
{
    if (!c) return;
    free(c->path);
    cJSON_Delete(c->root);
    free(c->database);
    free(c->templates_dir);
    free(c->locales_dir);
    free(c);
}

const cJSON *bd_config_shop(const bd_config *c, const char *name)
{
    const cJSON *shops = cJSON_GetObjectItemCaseSensitive(c->root, "shops");
    for (const cJSON *s = shops ? shops->child : NULL; s; s = s->next)
        if (bd_streq(bd_json_str(s, "name"), name)) return s;
    return NULL;
}
