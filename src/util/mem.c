/* mem.c — allocation that aborts on failure, error values, growable buffers, strings. */
#include "borderdesk/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ctype.h>

static void bd_oom(size_t n)
{
    fprintf(stderr, "borderdesk: out of memory (%zu bytes)\n", n);
    abort();
}

void *bd_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) bd_oom(n);
    return p;
}

void *bd_calloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (!p) bd_oom(count * n);
    return p;
}

void *bd_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) bd_oom(n);
    return q;
}

char *bd_strdup(const char *s)
{
    if (!s) return NULL;
    return bd_strndup(s, strlen(s));
}

char *bd_strndup(const char *s, size_t n)
{
    if (!s) return NULL;
    char *p = bd_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *bd_asprintf(const char *fmt, ...)
{
    bd_buf b = BD_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    bd_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    return bd_buf_detach(&b);
}

int bd_err_set(bd_err *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void bd_buf_grow(bd_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = bd_realloc(b->data, cap);
    b->cap = cap;
}

void bd_buf_append(bd_buf *b, const char *s, size_t n)
{
    bd_buf_grow(b, n);
    if (n) memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void bd_buf_puts(bd_buf *b, const char *s)
{
    if (s) bd_buf_append(b, s, strlen(s));
}

void bd_buf_putc(bd_buf *b, char c)
{
    bd_buf_append(b, &c, 1);
}

void bd_buf_vprintf(bd_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    bd_buf_grow(b, 64);
    int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    if (n < 0) n = 0;
    if ((size_t)n >= b->cap - b->len) {
        bd_buf_grow(b, (size_t)n);
        vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
    }
    va_end(ap2);
    b->len += (size_t)n;
}

void bd_buf_printf(bd_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bd_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void bd_buf_reset(bd_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

char *bd_buf_detach(bd_buf *b)
{
    /* grown but never appended to (bd_utf8_repair of 0 bytes): terminate it all the same */
    if (!b->data) bd_buf_grow(b, 0);
    b->data[b->len] = '\0';
    char *s = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

void bd_buf_free(bd_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int bd_streq(const char *a, const char *b)
{
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

int bd_str_in(const char *s, const char *const *list)
{
    for (; s && *list; list++)
        if (strcmp(s, *list) == 0) return 1;
    return 0;
}

void bd_str_lower_ascii(char *s)
{
    for (; s && *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

void bd_buf_put_json_str(bd_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    bd_buf_putc(b, '"');
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        bd_buf_append(b, run, (size_t)(s - run));
        run = s + 1;
        char esc[6] = {'\\', 0};
        size_t n = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        bd_buf_append(b, esc, n);
    }
    bd_buf_append(b, run, (size_t)(s - run));
    bd_buf_putc(b, '"');
}
