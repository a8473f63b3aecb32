/*
 * hsdb.c — the Hyperscan prefilter of a language: every pattern that hspattern.c can
 * rewrite goes into one database (compiled in prefilter mode), which one scan of the
 * normalised text runs all at once; PCRE2 then confirms only the patterns it reported.
 * Hyperscan may report a pattern that does not match (the rewrite is broader, prefilter
 * mode approximates), never miss one that does.
 *
 * Compiling a language takes seconds (hundreds of patterns), so the compiled database is
 * kept in a cache directory, named by a SHA-256 of everything that went into it
 * (Hyperscan's version, the CPU features it was built for, every rewritten pattern with its
 * id and flags): rules that change get a new file, a file is never reused for other rules.
 * Each file carries the SHA-256 of its bytes, so a torn or damaged file is compiled again,
 * never loaded. Files not used for 30 days are removed when a new one is written.
 *
 * Where: $BORDERDESK_CACHE_DIR (empty: no cache), else $XDG_CACHE_HOME/borderdesk, else
 * $HOME/.cache/borderdesk. Without a usable directory every run compiles.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HS_FLAGS (HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY | HS_FLAG_PREFILTER)
#define CACHE_MAGIC "borderdesk hyperscan 1\n"
#define CACHE_MAX_AGE (30 * 86400)

char *cl_cache_dir(void)
{
    const char *env = getenv("BORDERDESK_CACHE_DIR");
    if (env) return *env ? bd_strdup(env) : NULL;
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && *xdg == '/') return bd_asprintf("%s/borderdesk", xdg);
    const char *home = getenv("HOME");
    if (home && *home == '/') return bd_asprintf("%s/.cache/borderdesk", home);
    return NULL;
}

/* mkdir -p for the cache (private to the user); 0 when it exists afterwards. */
static int make_dirs(const char *dir)
{
    char *p = bd_strdup(dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        (void)mkdir(p, 0700);
        *s = '/';
    }
    int rc = mkdir(p, 0700) == 0 || errno == EEXIST ? 0 : -1;
    free(p);
    return rc;
}

static void hex(const unsigned char *md, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++)
        out[2 * i] = digits[md[i] >> 4], out[2 * i + 1] = digits[md[i] & 15];
    out[2 * n] = '\0';
}

/* The name of a database: what went into it, hashed. */
static void db_key(const char *lang, char *const *exprs, const unsigned *ids, size_t n,
                   char out[65])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx) abort();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    hs_platform_info_t plat;
    memset(&plat, 0, sizeof plat);
    (void)hs_populate_platform(&plat);
    char head[256];
    int k = snprintf(head, sizeof head, "%s|%s|%u|%llu|%llu|%u|", CACHE_MAGIC, hs_version(),
                     plat.tune, (unsigned long long)plat.cpu_features,
                     (unsigned long long)plat.reserved1, (unsigned)HS_FLAGS);
    EVP_DigestUpdate(ctx, head, (size_t)k);
    EVP_DigestUpdate(ctx, lang, strlen(lang) + 1);
    for (size_t i = 0; i < n; i++) {
        char id[16];
        k = snprintf(id, sizeof id, "%u:", ids[i]);
        EVP_DigestUpdate(ctx, id, (size_t)k);
        EVP_DigestUpdate(ctx, exprs[i], strlen(exprs[i]) + 1);
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_DigestFinal_ex(ctx, md, &len);
    EVP_MD_CTX_free(ctx);
    hex(md, 32, out);
}

static void sha256(const char *data, size_t n, unsigned char md[32])
{
    unsigned len = 0;
    unsigned char full[EVP_MAX_MD_SIZE];
    EVP_Digest(data, n, full, &len, EVP_sha256(), NULL);
    memcpy(md, full, 32);
}

char *cl_cache_read(const char *path, const char *magic, size_t *n)
{
    size_t len;
    bd_err err;
    char *data = bd_read_file(path, 256u << 20, &len, &err);
    if (!data) return NULL;
    size_t head = strlen(magic);
    unsigned char md[32];
    if (len < head + 32 || memcmp(data, magic, head) != 0) {
        free(data);
        return NULL;
    }
    sha256(data + head + 32, len - head - 32, md);
    if (memcmp(md, data + head, 32) != 0) {
        free(data);
        return NULL;
    }
    *n = len - head - 32;
    memmove(data, data + head + 32, *n);
    struct stat st; /* in use: keep it from being pruned */
    if (stat(path, &st) == 0 && st.st_mtime < time(NULL) - 86400)
        (void)utimensat(AT_FDCWD, path, NULL, 0);
    return data;
}

/* A database from the cache, or NULL (missing, damaged, built by another Hyperscan). The
 * file holds the ids of the patterns in it (those Hyperscan accepted): *ids gets them
 * (caller frees), *n their number; each must be one of want[0..n_want), or with want NULL
 * below n_want. */
static hs_database_t *cache_load(const char *path, const unsigned *want, size_t n_want,
                                 unsigned **ids, size_t *n)
{
    size_t plen;
    char *payload = cl_cache_read(path, CACHE_MAGIC, &plen);
    hs_database_t *db = NULL;
    *ids = NULL;
    *n = 0;
    if (!payload || plen < 4) goto out;
    uint32_t count;
    memcpy(&count, payload, 4);
    if (count > n_want || plen < 4 + (size_t)count * 4) goto out;
    *ids = bd_malloc((count ? count : 1) * sizeof **ids);
    for (uint32_t i = 0; i < count; i++) {
        uint32_t id;
        memcpy(&id, payload + 4 + 4 * (size_t)i, 4);
        int known = !want && id < n_want;
        for (size_t k = 0; want && k < n_want && !known; k++)
            known = want[k] == id;
        if (!known) goto out;
        (*ids)[i] = id;
    }
    size_t off = 4 + (size_t)count * 4;
    if (hs_deserialize_database(payload + off, plen - off, &db) != HS_SUCCESS) db = NULL;
    if (db) *n = count;
out:
    if (!db) {
        free(*ids);
        *ids = NULL;
    }
    free(payload);
    return db;
}

/* Removes our cached files (databases, rules analyses) not used for CACHE_MAX_AGE. */
static void cache_prune(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    time_t old = time(NULL) - CACHE_MAX_AGE;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "hs-", 3) != 0 && strncmp(e->d_name, "cl-", 3) != 0) continue;
        char *path = bd_asprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime < old) (void)unlink(path);
        free(path);
    }
    closedir(d);
}

void cl_cache_write(const char *dir, const char *name, const char *magic, const char *data,
                    size_t n)
{
    if (make_dirs(dir) != 0) return;
    cache_prune(dir);
    char *path = bd_asprintf("%s/%s", dir, name);
    char *tmp = bd_asprintf("%s.%ld.tmp", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    unsigned char md[32];
    sha256(data, n, md);
    size_t head = strlen(magic);
    int ok = f && fwrite(magic, 1, head, f) == head && fwrite(md, 1, 32, f) == 32 &&
             fwrite(data, 1, n, f) == n;
    if (f && fclose(f) != 0) ok = 0;
    if (!ok || rename(tmp, path) != 0) (void)unlink(tmp);
    free(tmp);
    free(path);
}

/* Writes db (holding the patterns ids[0..n)) to dir/name. */
static void cache_store(const char *dir, const char *name, const hs_database_t *db,
                        const unsigned *ids, size_t n)
{
    char *bytes = NULL;
    size_t nb = 0;
    if (hs_serialize_database(db, &bytes, &nb) != HS_SUCCESS) return;
    bd_buf payload = BD_BUF_INIT;
    uint32_t count = (uint32_t)n;
    bd_buf_append(&payload, (const char *)&count, 4);
    for (size_t i = 0; i < n; i++) {
        uint32_t id = ids[i];
        bd_buf_append(&payload, (const char *)&id, 4);
    }
    bd_buf_append(&payload, bytes, nb);
    free(bytes); /* hs_serialize_database allocates with malloc (no allocator was set) */
    cl_cache_write(dir, name, CACHE_MAGIC, payload.data, payload.len);
    bd_buf_free(&payload);
}

/* Compiles exprs[0..*n); a pattern Hyperscan refuses is taken out (exprs and ids shrink)
 * and the rest compiled again. NULL when nothing is left or the set as a whole fails. */
static hs_database_t *compile_all(char **exprs, unsigned *ids, size_t *n)
{
    while (*n) {
        unsigned *flags = bd_malloc(*n * sizeof *flags);
        for (size_t i = 0; i < *n; i++)
            flags[i] = HS_FLAGS;
        hs_database_t *db = NULL;
        hs_compile_error_t *ce = NULL;
        hs_error_t rc = hs_compile_multi((const char *const *)exprs, flags, ids, (unsigned)*n,
                                         HS_MODE_BLOCK, NULL, &db, &ce);
        free(flags);
        if (rc == HS_SUCCESS) return db;
        int bad = ce ? ce->expression : -1;
        hs_free_compile_error(ce);
        if (bad < 0 || (size_t)bad >= *n) return NULL; /* everything falls back */
        free(exprs[bad]);
        memmove(exprs + bad, exprs + bad + 1, (*n - (size_t)bad - 1) * sizeof *exprs);
        memmove(ids + bad, ids + bad + 1, (*n - (size_t)bad - 1) * sizeof *ids);
        (*n)--;
    }
    return NULL;
}

void cl_lang_hyperscan(cl_lang *lang, int lang_idx)
{
    size_t cap = lang->n_pats ? lang->n_pats : 1;
    char **exprs = bd_malloc(cap * sizeof *exprs);
    unsigned *ids = bd_malloc(cap * sizeof *ids);
    cl_hs_memo *memo = bd_calloc(1, sizeof *memo);
    size_t n = 0;
    lang->hs_key[0] = '\0';
    for (size_t p = 0; p < lang->n_pats; p++) {
        cl_pattern *pat = &lang->pats[p];
        pat->hs = 0;
        /* a list of strings is decided by the literal automaton alone, without PCRE2:
         * better left to it than confirmed by PCRE2 after Hyperscan */
        if (!pat->ok || pat->list) continue;
        char *e = cl_hs_pattern(pat->src, lang->rules[pat->rule].where == CL_WHERE_ANY, memo);
        if (!e) continue;
        exprs[n] = e;
        ids[n++] = (unsigned)p;
    }
    hs_database_t *db = NULL;
    unsigned *in_db = NULL;
    size_t n_in_db = 0;
    char *dir = n ? cl_cache_dir() : NULL, *path = NULL, *name = NULL;
    char key[65];
    if (dir) {
        db_key(classify_langs[lang_idx], exprs, ids, n, key);
        name = bd_asprintf("hs-%s-%.40s.db", classify_langs[lang_idx], key);
        path = bd_asprintf("%s/%s", dir, name);
        db = cache_load(path, ids, n, &in_db, &n_in_db);
    }
    if (!db && n) {
        in_db = bd_malloc(n * sizeof *in_db);
        memcpy(in_db, ids, n * sizeof *ids);
        n_in_db = n;
        db = compile_all(exprs, in_db, &n_in_db); /* frees the refused expressions */
        for (size_t i = n_in_db; i < n; i++)
            exprs[i] = NULL;
        if (db && path) cache_store(dir, name, db, in_db, n_in_db);
    }
    if (db) {
        for (size_t i = 0; i < n_in_db; i++)
            lang->pats[in_db[i]].hs = 1;
        lang->hs_db = db;
        lang->n_hs = n_in_db;
        if (path) memcpy(lang->hs_key, key, 40), lang->hs_key[40] = '\0';
    }
    for (size_t i = 0; i < n; i++)
        free(exprs[i]);
    free(exprs);
    free(ids);
    free(memo);
    free(in_db);
    free(path);
    free(name);
    free(dir);
}

int cl_lang_hyperscan_cached(cl_lang *lang, int lang_idx, const char *dir)
{
    if (!lang->hs_key[0]) return -1;
    char *path = bd_asprintf("%s/hs-%s-%s.db", dir, classify_langs[lang_idx], lang->hs_key);
    unsigned *in_db = NULL;
    size_t n_in_db = 0;
    hs_database_t *db = cache_load(path, NULL, lang->n_pats, &in_db, &n_in_db);
    free(path);
    if (!db) return -1;
    for (size_t i = 0; i < n_in_db; i++)
        if (!lang->pats[in_db[i]].ok || lang->pats[in_db[i]].list) { /* not for these rules */
            hs_free_database(db);
            free(in_db);
            return -1;
        }
    for (size_t i = 0; i < n_in_db; i++)
        lang->pats[in_db[i]].hs = 1;
    lang->hs_db = db;
    lang->n_hs = n_in_db;
    free(in_db);
    return 0;
}
