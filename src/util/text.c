/* text.c — UTF-8 validation and repair, display width, fixed-point money, file reads. */
#include "borderdesk/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) len = 2, v = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, v = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, v = c & 0x07, min = 0x10000;
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

int bd_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq(p + i, n - i, &cp);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

char *bd_utf8_repair(const char *s, size_t n, size_t *outlen)
{
    bd_buf b = BD_BUF_INIT;
    bd_buf_grow(&b, n);
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        size_t k = utf8_seq(p + i, n - i, &cp);
        if (k) {
            bd_buf_append(&b, s + i, k);
            i += k;
        } else {
            bd_buf_append(&b, "\xEF\xBF\xBD", 3);
            i++;
        }
    }
    if (outlen) *outlen = b.len;
    return bd_buf_detach(&b);
}

size_t bd_utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

char *bd_utf8_truncate(const char *s, size_t max_cp)
{
    size_t n = 0, i = 0;
    for (; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            if (n == max_cp) break;
            n++;
        }
    }
    if (!s[i]) return bd_strdup(s);
    /* back off one code point to make room for the ellipsis */
    size_t j = i;
    if (j > 0) {
        do j--;
        while (j > 0 && ((unsigned char)s[j] & 0xC0) == 0x80);
    }
    bd_buf b = BD_BUF_INIT;
    bd_buf_append(&b, s, j);
    bd_buf_puts(&b, "\xE2\x80\xA6");
    return bd_buf_detach(&b);
}

static int wide_cp(uint32_t c)
{
    return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
           (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
           (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
           (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
           (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD);
}

size_t bd_utf8_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0, w = 0;
    uint32_t cp;
    while (i < n) {
        size_t k = utf8_seq(p + i, n - i, &cp);
        if (!k) k = 1, cp = '?';
        if (cp >= 0x300 && cp <= 0x36F) { /* combining marks take no column */
        } else {
            w += wide_cp(cp) ? 2 : 1;
        }
        i += k;
    }
    return w;
}

int bd_money_parse(const char *s, int64_t *micros)
{
    if (!s || !*s) return -1;
    int neg = 0;
    if (*s == '-') neg = 1, s++;
    if (*s < '0' || *s > '9') return -1;
    int64_t whole = 0, frac = 0;
    int fd = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (whole > (INT64_MAX / 1000000 - 9) / 10) return -1;
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9') return -1;
        for (; *s >= '0' && *s <= '9'; s++) {
            if (++fd > 6) return -1;
            frac = frac * 10 + (*s - '0');
        }
    }
    if (*s) return -1;
    for (; fd < 6; fd++) frac *= 10;
    int64_t v = whole * 1000000 + frac;
    *micros = neg ? -v : v;
    return 0;
}

void bd_money_format(int64_t micros, char *out, size_t outlen)
{
    int neg = micros < 0;
    uint64_t v = neg ? (uint64_t)(-(micros + 1)) + 1 : (uint64_t)micros;
    uint64_t whole = v / 1000000, frac = v % 1000000;
    char fs[8];
    snprintf(fs, sizeof fs, "%06llu", (unsigned long long)frac);
    int keep = 6;
    while (keep > 2 && fs[keep - 1] == '0') keep--;
    fs[keep] = '\0';
    snprintf(out, outlen, "%s%llu.%s", neg ? "-" : "", (unsigned long long)whole, fs);
}

char *bd_read_file(const char *path, size_t max_bytes, size_t *len, bd_err *err)
{
    if (!max_bytes) max_bytes = 256u << 20;
    FILE *f = fopen(path, "rb");
    if (!f) {
        bd_err_set(err, "%s: %s", path, strerror(errno));
        return NULL;
    }
    bd_buf b = BD_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + n > max_bytes) {
            bd_err_set(err, "%s: larger than %zu bytes", path, max_bytes);
            bd_buf_free(&b);
            fclose(f);
            return NULL;
        }
        bd_buf_append(&b, chunk, n);
    }
    if (ferror(f)) {
        bd_err_set(err, "%s: read error: %s", path, strerror(errno));
        bd_buf_free(&b);
        fclose(f);
        return NULL;
    }
    fclose(f);
    if (len) *len = b.len;
    return bd_buf_detach(&b);
}

int bd_mkdir_parent(const char *path, bd_err *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    char *dir = bd_strndup(path, (size_t)(slash - path));
    int rc = 0;
    if (mkdir(dir, 0775) != 0 && errno != EEXIST)
        rc = bd_err_set(err, "cannot create directory %s: %s", dir, strerror(errno));
    free(dir);
    return rc;
}
