/* testutil.c — see testutil.h. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tu_temp_path(const char *suffix)
{
    static int seq;
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    return bd_asprintf("%s/bd-test-%d-%d%s", dir, (int)getpid(), ++seq, suffix);
}

void tu_remove_db(const char *path)
{
    char buf[4096];
    unlink(path);
    snprintf(buf, sizeof buf, "%s-wal", path);
    unlink(buf);
    snprintf(buf, sizeof buf, "%s-shm", path);
    unlink(buf);
}

bd_store *tu_open_new(char **path_out)
{
    char *path = tu_temp_path(".db");
    bd_store *s = NULL;
    bd_err err = {{0}};
    if (store_open(path, STORE_OPEN_CREATE, &s, &err) != 0) fail_msg("store_open: %s", err.msg);
    *path_out = path;
    return s;
}

void tu_message(bd_message *m, const char *json)
{
    bd_err err;
    cJSON *j = bd_json_parse(json, strlen(json), &err);
    if (!j) fail_msg("fixture JSON: %s", err.msg);
    if (bd_message_from_json(j, m, &err)) fail_msg("fixture message: %s", err.msg);
    cJSON_Delete(j);
}

void tu_order(bd_order *o, const char *json)
{
    bd_err err;
    cJSON *j = bd_json_parse(json, strlen(json), &err);
    if (!j) fail_msg("fixture JSON: %s", err.msg);
    if (bd_order_from_json(j, o, &err)) fail_msg("fixture order: %s", err.msg);
    cJSON_Delete(j);
}
