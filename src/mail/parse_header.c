/* parse_header.c — header values to UTF-8: RFC 2047 encoded-words, raw 8-bit text,
 * address lists and message-id lists, all tolerant of what real mailers write.
 *
 * GMime gives the raw header bytes; decoding happens here so that a wrong or missing
 * charset in a header goes through the same detection as body text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_internal.h"

char *mail_header_unfold(const char *raw)
{
    bd_buf b = BD_BUF_INIT;
    bd_buf_puts(&b, "");
    for (const char *p = raw; p && *p; p++) {
        if (*p == '\r' || *p == '\n') {
            /* a fold: the line break and the whitespace after it become one space */
            while (p[1] == '\r' || p[1] == '\n')
                p++;
            if (p[1] == ' ' || p[1] == '\t') {
                while (p[1] == ' ' || p[1] == '\t')
                    p++;
            }
            bd_buf_putc(&b, ' ');
            continue;
        }
        bd_buf_putc(&b, *p == '\t' ? ' ' : *p);
    }
    char *s = bd_buf_detach(&b);
    size_t start = strspn(s, " "), end = strlen(s);
    while (end > start && s[end - 1] == ' ')
        end--;
    memmove(s, s + start, end - start);
    s[end - start] = '\0';
    return s;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Appends the decoded bytes of an encoded-word's text; returns 0, or -1 when it was not
 * cleanly encoded (what could be decoded is appended anyway). */
static int decode_word(char enc, const char *s, size_t n, bd_buf *out)
{
    int bad = 0;
    if (enc == 'q' || enc == 'Q') {
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '_')
                bd_buf_putc(out, ' ');
            else if (s[i] == '=' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
                bd_buf_putc(out, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
                i += 2;
            } else {
                if (s[i] == '=') bad = 1;
                bd_buf_putc(out, s[i]);
            }
        }
        return bad ? -1 : 0;
    }
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '=') break;
        const char *k = s[i] ? strchr(b64, s[i]) : NULL;
        if (!k) {
            bad = 1;
            continue;
        }
        acc = (acc << 6) | (unsigned)(k - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bd_buf_putc(out, (char)((acc >> bits) & 0xFF));
        }
    }
    return bad ? -1 : 0;
}

#define ENCODED_WORD_MAX 2048

/* One encoded-word "=?charset?e?text?=" at s: fills its parts and returns its length, or
 * 0 when s does not start one. RFC 2231 language suffixes ("utf-8*en") are dropped. */
static size_t parse_word(const char *s, char *charset, size_t cs_size, char *enc, const char **text,
                         size_t *text_len)
{
    if (s[0] != '=' || s[1] != '?') return 0;
    /* RFC 2047 caps a word at 75 characters; mailers overshoot, but a word never runs for
     * pages, and a bounded search keeps a header full of "=?" linear */
    size_t window = strnlen(s, ENCODED_WORD_MAX);
    const char *q1 = memchr(s + 2, '?', window - 2);
    if (!q1 || q1 == s + 2 || (size_t)(q1 - s - 2) >= cs_size) return 0;
    if (!q1[1] || !strchr("bBqQ", q1[1]) || q1[2] != '?' || q1 + 3 > s + window) return 0;
    const char *end = memmem(q1 + 3, window - (size_t)(q1 + 3 - s), "?=", 2);
    if (!end) return 0;
    for (const char *p = s + 2; p < end; p++)
        if (*p == ' ') return 0; /* encoded-words hold no spaces; this is prose */
    size_t cl = (size_t)(q1 - s - 2);
    memcpy(charset, s + 2, cl);
    charset[cl] = '\0';
    char *star = strchr(charset, '*');
    if (star) *star = '\0';
    *enc = q1[1];
    *text = q1 + 3;
    *text_len = (size_t)(end - q1 - 3);
    return (size_t)(end + 2 - s);
}

/* Converts pending bytes (of one declared charset, or raw 8-bit text with charset "")
 * and appends them to out. */
static void flush(bd_buf *pending, const char *charset, bd_buf *out)
{
    if (!pending->len) return;
    char *t = mail_to_utf8(pending->data, pending->len, charset[0] ? charset : NULL, NULL, NULL);
    bd_buf_puts(out, t);
    free(t);
    bd_buf_reset(pending);
}

char *mail_header_decode(const char *raw, int *bad)
{
    bd_buf out = BD_BUF_INIT, pending = BD_BUF_INIT, gap = BD_BUF_INIT;
    char cur[64] = "", cs[64];
    int in_words = 0; /* pending holds bytes of encoded-words in charset cur */
    if (bad) *bad = 0;
    bd_buf_puts(&out, "");
    for (const char *p = raw ? raw : ""; *p;) {
        char enc;
        const char *text;
        size_t tl;
        size_t k = parse_word(p, cs, sizeof cs, &enc, &text, &tl);
        if (k) {
            /* whitespace between two encoded-words is dropped (RFC 2047 §6.2); words of the
             * same charset are joined as bytes so a character split across them survives */
            if (!in_words || strcmp(cs, cur) != 0) {
                flush(&pending, in_words ? cur : "", &out);
                if (!in_words) bd_buf_append(&out, gap.data ? gap.data : "", gap.len);
                snprintf(cur, sizeof cur, "%s", cs);
            }
            bd_buf_reset(&gap);
            if (decode_word(enc, text, tl, &pending) != 0 && bad) *bad = 1;
            in_words = 1;
            p += k;
            continue;
        }
        if (in_words && (*p == ' ' || *p == '\t')) {
            bd_buf_putc(&gap, *p++);
            continue;
        }
        if (in_words) {
            flush(&pending, cur, &out);
            bd_buf_append(&out, gap.data ? gap.data : "", gap.len);
            bd_buf_reset(&gap);
            in_words = 0;
        }
        bd_buf_putc(&pending, *p++); /* raw text: 8-bit bytes are detected at flush */
    }
    flush(&pending, in_words ? cur : "", &out);
    if (in_words) bd_buf_append(&out, gap.data ? gap.data : "", gap.len);
    bd_buf_free(&pending);
    bd_buf_free(&gap);
    /* control characters (a decoded CR, LF or NUL) do not belong in a one-line value */
    for (size_t i = 0; i < out.len; i++)
        if ((unsigned char)out.data[i] < 0x20) out.data[i] = ' ';
    return bd_buf_detach(&out);
}

/* ---- addresses ---- */

/* Splits at commas outside quotes, angle brackets and comments. */
static size_t next_item(const char *s, size_t n)
{
    int quoted = 0, angle = 0, comment = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (quoted) {
            if (c == '\\' && i + 1 < n)
                i++;
            else if (c == '"')
                quoted = 0;
        } else if (c == '"')
            quoted = 1;
        else if (c == '(')
            comment++;
        else if (c == ')' && comment)
            comment--;
        else if (!comment && c == '<')
            angle = 1;
        else if (!comment && c == '>')
            angle = 0;
        else if (!comment && !angle && (c == ',' || c == ';'))
            return i;
    }
    return n;
}

/* The display name with quotes and backslash escapes removed, comments kept as text. */
static char *unquote(const char *s, size_t n)
{
    bd_buf b = BD_BUF_INIT;
    bd_buf_puts(&b, "");
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') continue;
        if (s[i] == '\\' && i + 1 < n) i++;
        bd_buf_putc(&b, s[i]);
    }
    return bd_buf_detach(&b);
}

static char *trimmed(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return bd_strndup(s, n);
}

/* The addr-spec with its domain lowercased (local parts are case-sensitive by the RFC). */
static char *clean_addr(const char *s, size_t n)
{
    char *a = trimmed(s, n);
    size_t len = strlen(a);
    if (len >= 2 && a[0] == '"' && a[len - 1] == '"') { /* "a@b" */
        memmove(a, a + 1, len - 2);
        a[len - 2] = '\0';
    }
    char *at = strrchr(a, '@');
    if (!at || at == a || !at[1] || strpbrk(a, " <>,\"")) {
        free(a);
        return NULL;
    }
    bd_str_lower_ascii(at);
    return a;
}

/* Fills one address from "Name <addr>", "addr (Name)", "addr" or a bare name. */
static int parse_one(const char *s, size_t n, mail_address *a)
{
    memset(a, 0, sizeof *a);
    const char *lt = memchr(s, '<', n);
    char *name = NULL;
    if (lt) {
        const char *gt = memchr(lt, '>', n - (size_t)(lt - s));
        size_t alen = gt ? (size_t)(gt - lt - 1) : n - (size_t)(lt - s) - 1;
        a->address = clean_addr(lt + 1, alen);
        char *raw = trimmed(s, (size_t)(lt - s));
        name = unquote(raw, strlen(raw));
        free(raw);
    } else {
        const char *paren = memchr(s, '(', n);
        size_t alen = paren ? (size_t)(paren - s) : n;
        a->address = clean_addr(s, alen);
        if (paren) {
            const char *close = memchr(paren, ')', n - (size_t)(paren - s));
            size_t cl = close ? (size_t)(close - paren - 1) : n - (size_t)(paren - s) - 1;
            name = bd_strndup(paren + 1, cl);
        } else if (!a->address) {
            char *raw = trimmed(s, n);
            name = unquote(raw, strlen(raw));
            free(raw);
        }
    }
    if (name) {
        char *t = trimmed(name, strlen(name));
        free(name);
        a->name = *t ? mail_header_decode(t, NULL) : NULL;
        free(t);
        if (a->name && !*a->name) {
            free(a->name);
            a->name = NULL;
        }
    }
    return a->name || a->address;
}

size_t mail_address_list(const char *raw, mail_address **out)
{
    *out = NULL;
    if (!raw) return 0;
    size_t count = 0, cap = 0, n = strlen(raw);
    for (size_t i = 0; i < n;) {
        size_t len = next_item(raw + i, n - i);
        const char *item = raw + i;
        /* group syntax "Friends: a@x, b@y;" — the group's label is not an address */
        const char *colon = memchr(item, ':', len);
        if (colon && !memchr(item, '<', (size_t)(colon - item)) &&
            !memchr(item, '"', (size_t)(colon - item)) &&
            !memchr(item, '@', (size_t)(colon - item))) {
            len -= (size_t)(colon + 1 - item);
            item = colon + 1;
        }
        mail_address a;
        if (parse_one(item, len, &a)) {
            if (count == cap) {
                cap = cap ? cap * 2 : 4;
                *out = bd_realloc(*out, cap * sizeof **out);
            }
            (*out)[count++] = a;
        }
        i = (size_t)(item - raw) + len + 1;
    }
    return count;
}

size_t mail_msgid_list(const char *raw, char ***out)
{
    *out = NULL;
    size_t count = 0, cap = 0;
    for (const char *p = raw; p && *p;) {
        const char *lt = strchr(p, '<');
        if (!lt) break;
        const char *gt = strchr(lt + 1, '>');
        if (!gt) break;
        char *id = trimmed(lt + 1, (size_t)(gt - lt - 1));
        if (*id && !strpbrk(id, "<")) {
            if (count == cap) {
                cap = cap ? cap * 2 : 4;
                *out = bd_realloc(*out, cap * sizeof **out);
            }
            (*out)[count++] = id;
        } else {
            free(id);
        }
        p = gt + 1;
    }
    if (count == 0 && raw) { /* some mailers drop the brackets: one bare id */
        char *id = trimmed(raw, strlen(raw));
        if (*id && strchr(id, '@') && !strpbrk(id, " <>")) {
            *out = bd_malloc(sizeof **out);
            (*out)[count++] = id;
        } else {
            free(id);
        }
    }
    return count;
}
