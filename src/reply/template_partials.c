/* template_partials.c — ready-made partial resolvers for tpl_render: a directory of
 * NAME.mustache files (the CLI, the templates/ tree) and a JSON object (tests, the spec). */
#include "borderdesk/template.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PARTIAL_MAX_BYTES ((size_t)4 << 20)

/* A relative path without empty, "." or ".." components. */
static int partial_name_ok(const char *name)
{
    if (!*name || *name == '/') return 0;
    const char *p = name;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) return 0;
        p += n;
        if (*p == '/') p++;
        if (slash && !*p) return 0; /* trailing slash */
    }
    return 1;
}

int tpl_partials_dir(void *ud, const char *name, bd_buf *text, char **origin, bd_err *err)
{
    const char *dir = ud;
    if (!partial_name_ok(name))
        return bd_err_set(err,
                          "\"%s\" is not a partial name (a relative path without \".\" "
                          "or \"..\")",
                          name);
    char *path = bd_asprintf("%s/%s.mustache", dir, name);
    struct stat st;
    if (stat(path, &st) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
        free(path);
        return 0;
    }
    size_t len;
    char *data = bd_read_file(path, PARTIAL_MAX_BYTES, &len, err);
    if (!data) {
        free(path);
        return -1;
    }
    bd_buf_append(text, data, len);
    free(data);
    *origin = path;
    return 1;
}

int tpl_partials_json(void *ud, const char *name, bd_buf *text, char **origin, bd_err *err)
{
    (void)origin;
    (void)err;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive((const cJSON *)ud, name);
    if (!cJSON_IsString(v) || !v->valuestring) return 0;
    bd_buf_puts(text, v->valuestring);
    return 1;
}
