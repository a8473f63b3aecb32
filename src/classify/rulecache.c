/*
 * rulecache.c — the analysis of a rules file, kept between runs.
 *
 * Loading a language compiles every pattern with PCRE2, works out its required literals
 * (literal.c) and rewrites it for Hyperscan (hspattern.c): about 1.7 billion instructions
 * for the shipped rules, three quarters of a run's start-up, to learn the same thing each
 * time. So the result — per pattern its literals, whether it is a list of strings, whether
 * its literals start every match and how long a match can be; per language the name of its
 * Hyperscan database — is written to the cache directory (hsdb.c's) as
 * cl-<lang>-<slot>-<key>.bin. The slot names the program, the rules file's path and the load
 * flags: writing an analysis removes the slot's older ones (an earlier build, an earlier
 * version of the file). The key is a SHA-256 of the rules file's bytes, the load flags, and
 * what could make the
 * analysis differ: this very program (its path, inode, size and modification time, so a
 * rebuilt borderdesk never trusts an older build's analysis) and the versions of PCRE2,
 * Hyperscan (with the CPU features it compiles for) and utf8proc. A file that matches is
 * only parsed: its patterns compiled before, so PCRE2 compiles each one when it first runs
 * (cl_pattern_jit), and most never do.
 *
 * The file is written and read through cl_cache_write/cl_cache_read (a SHA-256 of the
 * payload guards it: a damaged file is ignored and written again). Payload, little-endian as
 * the machine is (the key holds the program, so a file never crosses machines):
 *   u32 patterns, u32 rules; per pattern: u8 list, u8 prefix, u16 0, i64 max_len,
 *   u32 literals, each u32 length + bytes; then u8 length + the database name.
 */
#include "internal.h"

#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>

#define RULECACHE_MAGIC "borderdesk rules analysis 1\n"

/* Adds the identity of the running program to the hash (the slot's hash gets only its path);
 * 0, or -1 when it cannot be known (then nothing is cached). */
static int program_identity(EVP_MD_CTX *ctx, EVP_MD_CTX *slot)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return -1;
    exe[n] = '\0';
    struct stat st;
    if (stat(exe, &st) != 0) return -1;
    char id[4200];
    int k = snprintf(id, sizeof id, "%s|%llu|%llu|%lld|%lld.%09ld|", exe,
                     (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
                     (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    EVP_DigestUpdate(ctx, id, (size_t)k);
    EVP_DigestUpdate(slot, exe, (size_t)n + 1);
    return 0;
}

static void hex(const unsigned char *md, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++)
        out[2 * i] = digits[md[i] >> 4], out[2 * i + 1] = digits[md[i] & 15];
    out[2 * n] = '\0';
}

void cl_rulecache_key(const char *text, size_t len, const char *path, int lang_idx, int flags,
                      char key[65])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new(), *slot = EVP_MD_CTX_new();
    if (!ctx || !slot) abort();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    EVP_DigestInit_ex(slot, EVP_sha256(), NULL);
    key[0] = '\0';
    if (program_identity(ctx, slot) != 0) {
        EVP_MD_CTX_free(ctx);
        EVP_MD_CTX_free(slot);
        return; /* "": no cache */
    }
    char slot_tail[64];
    int sk = snprintf(slot_tail, sizeof slot_tail, "|%d|", flags);
    EVP_DigestUpdate(slot, slot_tail, (size_t)sk);
    EVP_DigestUpdate(slot, path, strlen(path));
    char pcre[64] = "";
    (void)pcre2_config(PCRE2_CONFIG_VERSION, pcre);
    hs_platform_info_t plat;
    memset(&plat, 0, sizeof plat);
    (void)hs_populate_platform(&plat);
    char head[512];
    int k = snprintf(head, sizeof head, "%s|%s|%s|%u|%llu|%s|%s|%d|", RULECACHE_MAGIC, pcre,
                     hs_version(), plat.tune, (unsigned long long)plat.cpu_features,
                     utf8proc_version(), classify_langs[lang_idx], flags);
    EVP_DigestUpdate(ctx, head, (size_t)k);
    EVP_DigestUpdate(ctx, text, len);
    unsigned char md[EVP_MAX_MD_SIZE], sm[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0, smlen = 0;
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_DigestFinal_ex(slot, sm, &smlen);
    EVP_MD_CTX_free(ctx);
    EVP_MD_CTX_free(slot);
    /* "<slot>-<key>": the slot (program path, rules file path, flags) names where one
     * analysis at a time is kept; 160 bits of the key name it well enough */
    hex(sm, 8, key);
    key[16] = '-';
    hex(md, 20, key + 17);
}

static char *file_name(int lang_idx, const char *key)
{
    return bd_asprintf("cl-%s-%s.bin", classify_langs[lang_idx], key);
}

char *cl_rulecache_read(int lang_idx, const char *dir, const char *key, size_t *n)
{
    if (!key[0]) return NULL;
    char *name = file_name(lang_idx, key);
    char *path = bd_asprintf("%s/%s", dir, name);
    char *data = cl_cache_read(path, RULECACHE_MAGIC, n);
    free(path);
    free(name);
    return data;
}

/* Removes the older analyses of the same slot (the same program, rules file and flags, an
 * earlier build or an earlier version of the file): one per slot is enough, and a developer
 * rebuilding all day would otherwise fill the directory until the 30-day pruning. */
static void forget_others(const char *dir, int lang_idx, const char *key, const char *keep)
{
    char prefix[40];
    int k = snprintf(prefix, sizeof prefix, "cl-%s-%.17s", classify_langs[lang_idx], key);
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, (size_t)k) != 0 || strcmp(e->d_name, keep) == 0) continue;
        size_t nl = strlen(e->d_name);
        if (nl < 4 || strcmp(e->d_name + nl - 4, ".bin") != 0) continue; /* not a .tmp */
        char *path = bd_asprintf("%s/%s", dir, e->d_name);
        (void)unlink(path);
        free(path);
    }
    closedir(d);
}

static void put_u32(bd_buf *b, uint32_t v)
{
    bd_buf_append(b, (const char *)&v, 4);
}

void cl_rulecache_store(const cl_lang *lang, int lang_idx, const char *dir, const char *key)
{
    if (!key[0]) return;
    bd_buf b = BD_BUF_INIT;
    put_u32(&b, (uint32_t)lang->n_pats);
    put_u32(&b, (uint32_t)lang->n_rules);
    for (size_t p = 0; p < lang->n_pats; p++) {
        const cl_pattern *pat = &lang->pats[p];
        if (!pat->analysed) { /* cannot be after a strict load; never write half a story */
            bd_buf_free(&b);
            return;
        }
        uint8_t head[4] = {(uint8_t)pat->list, (uint8_t)pat->prefix, 0, 0};
        int64_t max_len = pat->max_len;
        bd_buf_append(&b, (const char *)head, 4);
        bd_buf_append(&b, (const char *)&max_len, 8);
        put_u32(&b, (uint32_t)pat->n_lits);
        for (size_t k = 0; k < pat->n_lits; k++) {
            size_t len = strlen(pat->lits[k]);
            put_u32(&b, (uint32_t)len);
            bd_buf_append(&b, pat->lits[k], len);
        }
    }
    uint8_t kl = (uint8_t)strlen(lang->hs_key);
    bd_buf_append(&b, (const char *)&kl, 1);
    bd_buf_append(&b, lang->hs_key, kl);
    char *name = file_name(lang_idx, key);
    cl_cache_write(dir, name, RULECACHE_MAGIC, b.data, b.len);
    forget_others(dir, lang_idx, key, name);
    free(name);
    bd_buf_free(&b);
}

/* A reader over the payload that refuses to run past its end. */
typedef struct reader {
    const char *p, *end;
    int bad;
} reader;

static void take(reader *r, void *out, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        memset(out, 0, n);
        return;
    }
    memcpy(out, r->p, n);
    r->p += n;
}

int cl_rulecache_apply(cl_lang *lang, const char *data, size_t n)
{
    reader r = {data, data + n, 0};
    uint32_t n_pats, n_rules;
    take(&r, &n_pats, 4);
    take(&r, &n_rules, 4);
    if (r.bad || n_pats != lang->n_pats || n_rules != lang->n_rules) return -1;
    for (size_t p = 0; p < lang->n_pats && !r.bad; p++) {
        cl_pattern *pat = &lang->pats[p];
        uint8_t head[4];
        int64_t max_len;
        uint32_t n_lits;
        take(&r, head, 4);
        take(&r, &max_len, 8);
        take(&r, &n_lits, 4);
        if (r.bad || n_lits > (size_t)(r.end - r.p) / 4) return -1;
        pat->list = head[0] != 0;
        pat->prefix = head[1] != 0;
        pat->max_len = (long)max_len;
        pat->lits = bd_calloc(n_lits ? n_lits : 1, sizeof *pat->lits);
        pat->n_lits = n_lits;
        for (uint32_t k = 0; k < n_lits && !r.bad; k++) {
            uint32_t len;
            take(&r, &len, 4);
            if (r.bad || len > (size_t)(r.end - r.p) || memchr(r.p, 0, len)) return -1;
            pat->lits[k] = bd_strndup(r.p, len);
            r.p += len;
        }
        pat->analysed = 1;
    }
    uint8_t kl = 0;
    take(&r, &kl, 1);
    if (r.bad || kl >= sizeof lang->hs_key || (size_t)(r.end - r.p) != kl) return -1;
    memcpy(lang->hs_key, r.p, kl);
    lang->hs_key[kl] = '\0';
    return 0;
}
