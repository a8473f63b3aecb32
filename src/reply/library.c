/* library.c — loading the reply templates and the header each one opens with. */
#include "borderdesk/suggest.h"
#include "borderdesk/taxonomy.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define TEMPLATE_MAX_BYTES (256u << 10)

static void template_clear(suggest_template *t)
{
    free(t->id);
    free(t->path);
    free(t->lang);
    free(t->category);
    free(t->subcategory);
    free(t->variant);
    free(t->title);
    free(t->order_state);
    free(t->tracking);
    free(t->tier);
    free(t->marketplace);
    free(t->eta);
    free(t->late_reply);
    tpl_free(t->tpl);
    memset(t, 0, sizeof *t);
}

void suggest_library_free(suggest_library *lib)
{
    if (!lib) return;
    for (size_t i = 0; i < lib->n; i++) template_clear(&lib->t[i]);
    free(lib->t);
    free(lib->dir);
    free(lib);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = '\0';
    return s;
}

/* One `key=value` of a when: line into the template's conditions. */
static int set_condition(suggest_template *t, char *cond, bd_err *err)
{
    char *eq = strchr(cond, '=');
    if (!eq) return bd_err_set(err, "condition \"%s\" is not key=value", cond);
    *eq = '\0';
    char *k = trim(cond), *v = trim(eq + 1);
    static const char *const states[] = {"not_shipped", "shipped", "delivered", NULL};
    static const char *const yesno[] = {"yes", "no", NULL};
    static const char *const tiers[] = {"vip", "important", "ordinary", NULL};
    static const char *const etas[] = {"before", "after", NULL};
    static const char *const yes[] = {"yes", NULL};
    struct {
        const char *key;
        char **slot;
        const char *const *values; /* NULL: any */
    } keys[] = {{"order_state", &t->order_state, states}, {"tracking", &t->tracking, yesno},
                {"tier", &t->tier, tiers},               {"marketplace", &t->marketplace, NULL},
                {"eta", &t->eta, etas},                  {"late_reply", &t->late_reply, yes}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(keys[i].key, k) != 0) continue;
        if (keys[i].values && !bd_str_in(v, keys[i].values))
            return bd_err_set(err, "condition %s=%s: unknown value", k, v);
        if (*keys[i].slot) return bd_err_set(err, "condition %s given twice", k);
        *keys[i].slot = bd_strdup(v);
        return 0;
    }
    return bd_err_set(err, "unknown condition \"%s\"", k);
}

/* The header is the Mustache comment the file opens with: `title:` and `when:` lines. */
static int parse_header(suggest_template *t, const char *text, bd_err *err)
{
    if (strncmp(text, "{{!", 3) != 0)
        return bd_err_set(err, "%s:1:1: a template opens with a header comment {{! title: ... }}",
                          t->path);
    const char *end = strstr(text, "}}");
    if (!end) return bd_err_set(err, "%s:1:1: unclosed header comment", t->path);
    char *hdr = bd_strndup(text + 3, (size_t)(end - text - 3));
    int rc = 0, line = 1;
    for (char *save = NULL, *ln = strtok_r(hdr, "\n", &save); ln && !rc;
         ln = strtok_r(NULL, "\n", &save), line++) {
        char *l = trim(ln);
        if (!*l) continue;
        char *colon = strchr(l, ':');
        if (!colon) {
            rc = bd_err_set(err, "%s:%d: header line without key: \"%s\"", t->path, line, l);
            break;
        }
        *colon = '\0';
        char *key = trim(l), *val = trim(colon + 1);
        if (strcmp(key, "title") == 0) {
            free(t->title);
            t->title = bd_strdup(val);
        } else if (strcmp(key, "when") == 0) {
            bd_err cerr;
            for (char *s2 = NULL, *c = strtok_r(val, ";", &s2); c && !rc; c = strtok_r(NULL, ";", &s2))
                if (*trim(c) && set_condition(t, c, &cerr))
                    rc = bd_err_set(err, "%s:%d: %s", t->path, line, cerr.msg);
        } else {
            rc = bd_err_set(err, "%s:%d: unknown header key \"%s\"", t->path, line, key);
        }
    }
    free(hdr);
    if (!rc && (!t->title || !*t->title))
        rc = bd_err_set(err, "%s:1:1: the header has no title", t->path);
    if (!rc && t->variant && !t->order_state && !t->tracking && !t->tier && !t->marketplace &&
        !t->eta && !t->late_reply)
        rc = bd_err_set(err, "%s:1:1: variant \"%s\" has no `when:` conditions", t->path,
                        t->variant);
    return rc;
}

static int load_one(suggest_library *lib, const char *lang, const char *category,
                    const char *file, suggest_problem_fn problem, void *ud)
{
    size_t fl = strlen(file);
    if (fl <= 9 || strcmp(file + fl - 9, ".mustache") != 0) return 0;
    suggest_template t = {0};
    t.path = bd_asprintf("%s/%s/%s/%s", lib->dir, lang, category, file);
    t.lang = bd_strdup(lang);
    t.category = bd_strdup(category);
    char *stem = bd_strndup(file, fl - 9);
    char *dot = strchr(stem, '.');
    if (dot) {
        t.variant = bd_strdup(dot + 1);
        *dot = '\0';
    }
    t.subcategory = stem;
    t.id = bd_asprintf("%s/%s/%s%s%s", lang, category, stem, t.variant ? "." : "",
                       t.variant ? t.variant : "");
    bd_err err;
    size_t len;
    char *text = bd_read_file(t.path, TEMPLATE_MAX_BYTES, &len, &err);
    int rc = text ? 0 : -1;
    if (!rc && parse_header(&t, text, &err)) rc = -1;
    if (!rc && tpl_compile(text, len, t.path, &t.tpl, &err)) rc = -1;
    free(text);
    if (rc) {
        if (problem) problem(ud, t.path, err.msg);
        template_clear(&t);
        return 0;
    }
    lib->t = bd_realloc(lib->t, (lib->n + 1) * sizeof *lib->t);
    lib->t[lib->n++] = t;
    return 0;
}

static int by_id(const void *a, const void *b)
{
    return strcmp(((const suggest_template *)a)->id, ((const suggest_template *)b)->id);
}

/* Entries of a directory that are directories (or files: want_dirs 0), sorted. */
static char **list_dir(const char *path, int want_dirs, size_t *n)
{
    *n = 0;
    DIR *d = opendir(path);
    if (!d) return NULL;
    char **names = NULL;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *full = bd_asprintf("%s/%s", path, e->d_name);
        struct stat st;
        int ok = stat(full, &st) == 0 && (want_dirs ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
        free(full);
        if (!ok) continue;
        names = bd_realloc(names, (*n + 1) * sizeof *names);
        names[(*n)++] = bd_strdup(e->d_name);
    }
    closedir(d);
    return names;
}

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++) free(l[i]);
    free(l);
}

int suggest_library_load(const char *dir, suggest_problem_fn problem, void *ud,
                         suggest_library **out, bd_err *err)
{
    *out = NULL;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return bd_err_set(err, "templates directory %s: %s", dir,
                          errno ? strerror(errno) : "not a directory");
    suggest_library *lib = bd_calloc(1, sizeof *lib);
    lib->dir = bd_strdup(dir);
    size_t nl;
    char **langs = list_dir(dir, 1, &nl);
    for (size_t i = 0; i < nl; i++) {
        char *ldir = bd_asprintf("%s/%s", dir, langs[i]);
        size_t nc;
        char **cats = list_dir(ldir, 1, &nc);
        for (size_t j = 0; j < nc; j++) {
            char *cdir = bd_asprintf("%s/%s", ldir, cats[j]);
            size_t nf;
            char **files = list_dir(cdir, 0, &nf);
            for (size_t k = 0; k < nf; k++) load_one(lib, langs[i], cats[j], files[k], problem, ud);
            free_list(files, nf);
            free(cdir);
        }
        free_list(cats, nc);
        free(ldir);
    }
    free_list(langs, nl);
    if (lib->n) qsort(lib->t, lib->n, sizeof *lib->t, by_id);
    *out = lib;
    return 0;
}

int suggest_name_known(const char *name, const char *scope)
{
    static const char *const top[] = {
        "greeting", "closing", "buyer.name", "buyer.first_name", "buyer.country",
        "buyer.language", "buyer.tier", "order", "order.id", "order.items", "order.status",
        "order.carrier", "order.tracking_number", "order.tracking_url", "order.purchased_at",
        "order.shipped_at", "order.estimated_delivery", "order.total", "shop.name",
        "shop.signature", "shop.marketplace", "shop.return_days", "agent.name", "ticket.id",
        "ticket.subject", "survey.url", "survey.expires_at", NULL};
    static const char *const item[] = {"title", "quantity", "sku", ".", NULL};
    if (scope && strcmp(scope, "order.items") == 0 && bd_str_in(name, item)) return 1;
    if (strncmp(name, "fill.", 5) == 0 && name[5]) return 1;
    return bd_str_in(name, top);
}
