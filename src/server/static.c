/* static.c — the web UI's files: everything under web/ (HTML, CSS, JavaScript modules, no
 * build step) and the interface strings locales/<lang>/ui.json and survey.json (the buyers'
 * survey page, /s/{token}, served as web/survey.html), read once when the server
 * starts and served from memory at / with a strong ETag (304 on If-None-Match),
 * "Cache-Control: no-cache" (the browser keeps a copy and revalidates it, so a new
 * release shows at the next load) and a strict Content-Security-Policy. Only the files of
 * the table exist: a path is looked up, never joined to a directory, so "..", encoded
 * slashes or NUL bytes cannot reach another file. */
#include "server_internal.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FILES_MAX 2000
#define FILE_MAX_BYTES (4u << 20)
#define DIR_MAX_DEPTH 8

/* No inline scripts or styles, nothing from other origins, and Trusted Types: a page
 * script that assigns a string to innerHTML (or any other HTML sink) throws instead. */
#define SRV_UI_CSP                                                                                 \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "                    \
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "                    \
    "form-action 'self'; frame-ancestors 'none'; require-trusted-types-for 'script'; "             \
    "trusted-types 'none'"

typedef struct srv_file {
    char *path; /* "/index.html" */
    const char *type;
    char *data;
    size_t len;
    char etag[24]; /* "\"<16 hex digits>\"" */
} srv_file;

struct srv_files {
    srv_file *f;
    size_t n, cap;
};

static const struct {
    const char *ext, *type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".md", "text/markdown; charset=utf-8"},
    {".woff2", "font/woff2"},
    {".webmanifest", "application/manifest+json"},
};

static const char *type_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof content_types / sizeof content_types[0]; i++)
        if (strcmp(dot, content_types[i].ext) == 0) return content_types[i].type;
    return "application/octet-stream";
}

static void files_add(srv_files *t, const char *url, char *data, size_t len)
{
    if (t->n == t->cap) t->f = bd_realloc(t->f, (t->cap = t->cap ? t->cap * 2 : 64) * sizeof *t->f);
    srv_file *f = &t->f[t->n++];
    f->path = bd_strdup(url);
    f->type = type_of(url);
    f->data = data;
    f->len = len;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over the content */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)data[i]) * 1099511628211ULL;
    snprintf(f->etag, sizeof f->etag, "\"%016llx\"", (unsigned long long)h);
}

/* A name the table may hold: no dot files, only [A-Za-z0-9._-]. */
static int name_ok(const char *name)
{
    if (name[0] == '.' || !name[0]) return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return 0;
    return 1;
}

static int load_dir(srv_files *t, const char *dir, const char *url, int depth, bd_err *err)
{
    if (depth > DIR_MAX_DEPTH) return 0;
    DIR *d = opendir(dir);
    if (!d) return bd_err_set(err, "web_dir: cannot read %s", dir);
    int rc = 0;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (!name_ok(e->d_name)) continue;
        char *path = bd_asprintf("%s/%s", dir, e->d_name);
        char *sub = bd_asprintf("%s/%s", url, e->d_name);
        struct stat st; /* lstat: a symbolic link is neither, so it is not followed */
        int found = lstat(path, &st) == 0;
        if (found && S_ISDIR(st.st_mode)) {
            rc = load_dir(t, path, sub, depth + 1, err);
        } else if (found && S_ISREG(st.st_mode)) {
            if (t->n >= FILES_MAX) {
                rc = bd_err_set(err, "web_dir: more than %d files under %s", FILES_MAX, dir);
            } else {
                size_t len;
                char *data = bd_read_file(path, FILE_MAX_BYTES, &len, err);
                if (!data)
                    rc = -1;
                else
                    files_add(t, sub, data, len);
            }
        }
        free(path);
        free(sub);
    }
    closedir(d);
    return rc;
}

/* locales_dir/<lang>/NAME as /locales/<lang>/NAME when the file exists; 1 when it does. */
static int load_locale_file(srv_files *t, const char *locales_dir, const char *lang,
                            const char *name)
{
    char *path = bd_asprintf("%s/%s/%s", locales_dir, lang, name);
    size_t len;
    bd_err err;
    char *data = bd_read_file(path, FILE_MAX_BYTES, &len, &err);
    free(path);
    if (!data) return 0;
    char *url = bd_asprintf("/locales/%s/%s", lang, name);
    files_add(t, url, data, len);
    free(url);
    return 1;
}

/* locales_dir/<lang>/ui.json and survey.json as /locales/<lang>/..., and /locales/index.json
 * listing the languages with interface strings. The survey page asks for its language's
 * survey.json and falls back to English on a 404, so it needs no list. */
static void load_locales(srv_files *t, const char *locales_dir)
{
    DIR *d = locales_dir ? opendir(locales_dir) : NULL;
    cJSON *langs = cJSON_CreateArray();
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!name_ok(e->d_name) || strlen(e->d_name) > 16) continue;
        load_locale_file(t, locales_dir, e->d_name, "survey.json");
        if (load_locale_file(t, locales_dir, e->d_name, "ui.json"))
            cJSON_AddItemToArray(langs, cJSON_CreateString(e->d_name));
    }
    if (d) closedir(d);
    cJSON *index = cJSON_CreateObject();
    cJSON_AddItemToObject(index, "languages", langs);
    char *text = cJSON_PrintUnformatted(index);
    cJSON_Delete(index);
    files_add(t, "/locales/index.json", text, strlen(text));
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const srv_file *)a)->path, ((const srv_file *)b)->path);
}

int srv_files_load(const char *web_dir, int required, const char *locales_dir, srv_files **out,
                   bd_err *err)
{
    *out = NULL;
    srv_files *t = bd_calloc(1, sizeof *t);
    struct stat st;
    if (web_dir && (required || stat(web_dir, &st) == 0)) {
        if (load_dir(t, web_dir, "", 0, err)) {
            srv_files_free(t);
            return -1;
        }
    }
    load_locales(t, locales_dir);
    if (t->n) qsort(t->f, t->n, sizeof *t->f, by_path);
    *out = t;
    return 0;
}

void srv_files_free(srv_files *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->f[i].path);
        free(t->f[i].data);
    }
    free(t->f);
    free(t);
}

size_t srv_files_count(const srv_files *t)
{
    return t ? t->n : 0;
}

/* 1 when the If-None-Match header names etag (or is "*"). */
static int etag_matches(const char *header, const char *etag)
{
    size_t n = strlen(etag);
    for (const char *p = header; *p;) {
        p += strspn(p, " \t,");
        if (*p == '*') return 1;
        if (strncmp(p, "W/", 2) == 0) p += 2;
        if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' ')) return 1;
        p += strcspn(p, ",");
    }
    return 0;
}

/* 1 for /s/{token}: a survey's token is base64url (32 characters as issued; up to 128 are
 * let through so that the page itself can say "not found" for a mangled link). */
static int survey_path(const char *path)
{
    if (strncmp(path, "/s/", 3) != 0) return 0;
    size_t n = strspn(path + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
    return n > 0 && n <= 128 && path[3 + n] == '\0';
}

void srv_static(srv_request *r)
{
    const char *path = strcmp(r->path, "/") == 0 ? "/index.html"
                       : survey_path(r->path)    ? "/survey.html"
                                                 : r->path;
    srv_files *t = r->srv->files;
    srv_file key = {.path = (char *)path};
    srv_file *f = t && t->n ? bsearch(&key, t->f, t->n, sizeof *t->f, by_path) : NULL;
    if (!f) {
        srv_error(r, 404, "not_found", "no such page");
        return;
    }
    r->cache_control = "no-cache";
    r->csp = SRV_UI_CSP;
    r->etag = bd_strdup(f->etag);
    const char *inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "If-None-Match");
    if (inm && etag_matches(inm, f->etag)) {
        srv_reply_empty(r, 304);
        return;
    }
    srv_reply_raw(r, 200, f->type, f->data, f->len);
    r->resp_persistent = 1; /* the table outlives every request */
}
