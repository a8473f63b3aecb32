/* line.c — the fast reader of `borderdesk classify` input lines: one flat JSON object,
 * without building a tree.
 *
 * Most lines are {"id": 12 or "x", "body": "...", "subject"?, "lang"?, ...} with plain
 * values. This reader takes exactly those: valid UTF-8, no NUL, an object of strings,
 * integers, true, false and null, each string's escapes well-formed. Anything else —
 * nested values, other numbers as the id, an escaped id, \u0000, a lone surrogate, a wrong
 * type, any syntax error — is left to cJSON (the slow path of src/cli/classify.c), which
 * gives the same result or the error message; so the fast reader never decides anything
 * cJSON would decide differently, it only decides sooner. */
#include "borderdesk/classify.h"

#include <string.h>

static const char *fast_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static int hex4(const char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16;
        if (d == 16) return -1;
        *v = *v * 16 + d;
    }
    return 0;
}

/* A string after its opening quote: *esc set when it holds escapes. Returns the closing
 * quote, or NULL for anything the fast reader leaves to cJSON. */
static const char *fast_string(const char *p, const char *end, int *esc)
{
    *esc = 0;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') return p;
        if (c < 0x20) return NULL; /* cJSON's business */
        if (c != '\\') {
            p++;
            continue;
        }
        *esc = 1;
        if (end - p < 2) return NULL;
        char e = p[1];
        if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
            e == 't') {
            p += 2;
            continue;
        }
        unsigned u, lo;
        if (e != 'u' || end - p < 6 || hex4(p + 2, &u)) return NULL;
        if (u == 0 || (u >= 0xDC00 && u <= 0xDFFF)) return NULL;
        if (u >= 0xD800 && u <= 0xDBFF) { /* a pair, or cJSON says what is wrong */
            if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || hex4(p + 8, &lo) || lo < 0xDC00 ||
                lo > 0xDFFF)
                return NULL;
            p += 12;
        } else {
            p += 6;
        }
    }
    return NULL;
}

char *classify_line_decode(const char *s, size_t n, size_t *outlen)
{
    char *out = bd_malloc(n + 1), *w = out;
    const char *end = s + n;
    while (s < end) {
        if (*s != '\\') {
            *w++ = *s++;
            continue;
        }
        char e = s[1];
        if (e != 'u') {
            *w++ = e == 'b'   ? '\b'
                   : e == 'f' ? '\f'
                   : e == 'n' ? '\n'
                   : e == 'r' ? '\r'
                   : e == 't' ? '\t'
                              : e;
            s += 2;
            continue;
        }
        unsigned u, lo;
        hex4(s + 2, &u);
        s += 6;
        if (u >= 0xD800 && u <= 0xDBFF) {
            hex4(s + 2, &lo);
            u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            s += 6;
        }
        if (u < 0x80) {
            *w++ = (char)u;
        } else if (u < 0x800) {
            *w++ = (char)(0xC0 | (u >> 6)), *w++ = (char)(0x80 | (u & 0x3F));
        } else if (u < 0x10000) {
            *w++ = (char)(0xE0 | (u >> 12)), *w++ = (char)(0x80 | ((u >> 6) & 0x3F));
            *w++ = (char)(0x80 | (u & 0x3F));
        } else {
            *w++ = (char)(0xF0 | (u >> 18)), *w++ = (char)(0x80 | ((u >> 12) & 0x3F));
            *w++ = (char)(0x80 | ((u >> 6) & 0x3F)), *w++ = (char)(0x80 | (u & 0x3F));
        }
    }
    *w = '\0';
    *outlen = (size_t)(w - out);
    return out;
}

/* A JSON number at p (the grammar of RFC 8259); its end, or NULL. *integer: no fraction, no
 * exponent, at most 9 digits and not "-0" (printed by cJSON exactly as written). */
static const char *fast_number(const char *p, const char *end, int *integer)
{
    const char *start = p;
    if (p < end && *p == '-') p++;
    if (p >= end || *p < '0' || *p > '9') return NULL;
    if (*p == '0')
        p++;
    else
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    const char *digits_end = p;
    int frac = 0;
    if (p < end && *p == '.') {
        p++, frac = 1;
        if (p >= end || *p < '0' || *p > '9') return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++, frac = 1;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || *p < '0' || *p > '9') return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    size_t nd = (size_t)(digits_end - start) - (*start == '-');
    *integer = !frac && nd <= 9 && !(*start == '-' && start[1] == '0');
    return p;
}

int classify_line_parse(const char *line, size_t len, classify_line *f)
{
    memset(f, 0, sizeof *f);
    if (memchr(line, '\0', len) || !bd_utf8_valid(line, len)) return 0;
    const char *p = fast_ws(line, line + len), *end = line + len;
    if (p >= end || *p++ != '{') return 0;
    int seen_id = 0, seen_body = 0, seen_subject = 0, seen_lang = 0;
    p = fast_ws(p, end);
    if (p < end && *p == '}') return 0; /* no body: cJSON's error */
    for (;;) {
        int esc;
        if (p >= end || *p != '"') return 0;
        const char *key = p + 1, *kend = fast_string(key, end, &esc);
        if (!kend || esc) return 0;
        size_t kl = (size_t)(kend - key);
        p = fast_ws(kend + 1, end);
        if (p >= end || *p++ != ':') return 0;
        p = fast_ws(p, end);
        if (p >= end) return 0;
        /* the first of duplicate keys counts, as with cJSON_GetObjectItemCaseSensitive */
        int which = kl == 2 && !memcmp(key, "id", 2) && !seen_id++             ? 1
                    : kl == 4 && !memcmp(key, "body", 4) && !seen_body++       ? 2
                    : kl == 7 && !memcmp(key, "subject", 7) && !seen_subject++ ? 3
                    : kl == 4 && !memcmp(key, "lang", 4) && !seen_lang++       ? 4
                                                                               : 0;
        const char *v = p;
        if (*p == '"') {
            const char *vend = fast_string(p + 1, end, &esc);
            if (!vend) return 0;
            size_t vl = (size_t)(vend - p - 1);
            if (which == 1) {
                if (esc) return 0; /* printed back by cJSON */
                f->id = v, f->id_len = vl + 2;
            } else if (which == 2) {
                f->body = p + 1, f->body_len = vl, f->body_esc = esc;
            } else if (which == 3) {
                f->subject = p + 1, f->subject_len = vl, f->subject_esc = esc;
            } else if (which == 4) {
                f->lang = p + 1, f->lang_len = vl, f->lang_esc = esc;
            }
            p = vend + 1;
        } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
            int integer;
            p = fast_number(p, end, &integer);
            if (!p || (which == 1 && !integer) || which > 1) return 0;
            if (which == 1) f->id = v, f->id_len = (size_t)(p - v);
        } else if (end - p >= 4 && !memcmp(p, "null", 4)) {
            if (which == 2) return 0; /* "body" must be a string: cJSON's error */
            p += 4;
        } else if (end - p >= 4 &&
                   (!memcmp(p, "true", 4) || (end - p >= 5 && !memcmp(p, "false", 5)))) {
            if (which) return 0;
            p += *p == 't' ? 4 : 5;
        } else {
            return 0; /* objects, arrays, errors */
        }
        p = fast_ws(p, end);
        if (p >= end) return 0;
        if (*p == '}') break;
        if (*p++ != ',') return 0;
        p = fast_ws(p, end);
    }
    p = fast_ws(p + 1, end);
    return p == end && f->body;
}
