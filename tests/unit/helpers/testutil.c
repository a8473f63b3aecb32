/* testutil.c — see testutil.h. */
#include "testutil.h"

#include <dirent.h>
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

int tu_feed_fuzz_dir(const char *target_name, const char *sub,
                     int (*target)(const uint8_t *data, size_t size))
{
    const char *src = getenv("BD_SOURCE_DIR");
    char *dir = bd_asprintf("%s/tests/fuzz/%s", src && *src ? src : BD_SOURCE_DIR, sub);
    DIR *d = opendir(dir);
    if (!d) fail_msg("cannot open %s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *path = bd_asprintf("%s/%s", dir, e->d_name);
        bd_err err;
        size_t len;
        char *data = bd_read_file(path, 0, &len, &err);
        if (!data) fail_msg("%s", err.msg);
        target((const uint8_t *)data, len);
        free(data);
        free(path);
        n++;
    }
    closedir(d);
    printf("%s: %d inputs from tests/fuzz/%s\n", target_name, n, sub);
    free(dir);
    return n;
}
