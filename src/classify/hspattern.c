/*
 * hspattern.c — a rule's PCRE2 pattern rewritten for Hyperscan: a byte-level pattern that
 * matches wherever the PCRE2 pattern matches in normalised text (and perhaps elsewhere).
 *
 * Hyperscan is the multi-pattern prefilter (hsdb.c): it tells which patterns can match, and
 * PCRE2 decides. Only one thing matters for correctness: it must never miss a match, since
 * a pattern it does not report is never run. Compiling the rules as they are, with
 * HS_FLAG_UTF8 | HS_FLAG_UCP, is correct in principle but hopeless in practice: Unicode \w
 * and \b inside gaps such as [^.!?\n]{0,30} take seconds per pattern and minutes per
 * language. So each pattern is rewritten into a broader one over bytes, which Hyperscan
 * compiles in milliseconds:
 *
 *   - a code point set keeps its ASCII members exactly; its non-ASCII members become
 *     "any non-ASCII byte" (\w, \d, [^.!?\n], .) or the exact UTF-8 sequences of the few it
 *     names ([货貨]); one code point is 1 to 4 bytes, so X{m,n} becomes C{m,4n}, and a long
 *     bounded repeat becomes an unbounded one (a gap of 30 characters: C*);
 *   - literal characters are their UTF-8 bytes; ASCII letters match either case
 *     (HS_FLAG_CASELESS). Normalised text is case-folded, so a lower-case non-ASCII
 *     character only ever meets itself; a pattern character that normalisation would change
 *     (an accent, an upper-case Cyrillic letter) makes the pattern fall back;
 *   - \b stays (as an ASCII word boundary) only next to a character that is surely an ASCII
 *     letter, digit or underscore: there "the other side is not a word character" for PCRE2
 *     (any script) implies the same for ASCII. Elsewhere it is dropped, as are \B,
 *     lookarounds and \K: dropping an assertion only widens the set of matches;
 *   - ^ \A stay as the start of the text, $ \Z as the end or before a final newline, \z as
 *     the end; only rules looking at the whole text ("where": "any") may keep them, since
 *     the scan sees subject and body together.
 *
 * Anything not understood here (back references, conditionals, recursion, \Q...\E, POSIX
 * classes, option settings other than (?i), \X, \C, \G) gives NULL: that pattern stays on
 * the literal prefilter and PCRE2, which is always correct.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define HS_SEQ_MAX 16    /* named non-ASCII code points of a class kept exactly */
#define HS_REPEAT_MAX 16 /* a longer bounded repeat (in bytes) becomes unbounded */

/* A set of code points, kept as: its ASCII members (exactly), and either every non-ASCII
 * code point or a list of some (as UTF-8). */
typedef struct cpset {
    uint8_t ascii[16];
    int nonascii_any;
    uint32_t seq[HS_SEQ_MAX];
    size_t n_seq;
} cpset;

typedef struct piece {
    char *text;     /* the Hyperscan form, quantifier included */
    int zero_width; /* an assertion: consumes nothing */
    int wb;         /* a \b still to be kept or dropped */
    int first_word; /* every match surely starts with an ASCII word character */
    int last_word;  /* ... surely ends with one */
} piece;

typedef struct rw {
    const char *p, *end;
    int bail;
    int anchors_ok;
    cl_hs_memo *memo;
} rw;

static void set_add(cpset *s, uint32_t c)
{
    s->ascii[c >> 3] |= (uint8_t)(1u << (c & 7));
}
static int set_has(const cpset *s, uint32_t c)
{
    return (s->ascii[c >> 3] >> (c & 7)) & 1;
}
static void set_range(cpset *s, uint32_t a, uint32_t b)
{
    for (uint32_t c = a; c <= b && c < 128; c++)
        set_add(s, c);
}

/* Number of ASCII members of s, and the largest one in *last (when any). */
static size_t set_count(const cpset *s, uint32_t *last)
{
    size_t n = 0;
    for (uint32_t k = 0; k < 16; k++)
        if (s->ascii[k]) {
            n += (size_t)__builtin_popcount(s->ascii[k]);
            if (last) *last = k * 8 + 31 - (uint32_t)__builtin_clz(s->ascii[k]);
        }
    return n;
}

static int is_word_ascii(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The ASCII members of the class escapes (\w \d \s, with UCP: plus non-ASCII ones). */
static void add_word(cpset *s, int neg)
{
    for (uint32_t c = 0; c < 128; c++)
        if (is_word_ascii(c) != neg) set_add(s, c);
}
static void add_digit(cpset *s, int neg)
{
    for (uint32_t c = 0; c < 128; c++)
        if ((c >= '0' && c <= '9') != neg) set_add(s, c);
}
static int is_space_ascii(uint32_t c)
{
    return c == ' ' || (c >= '\t' && c <= '\r');
}
static void add_space(cpset *s, int neg)
{
    for (uint32_t c = 0; c < 128; c++)
        if (is_space_ascii(c) != neg) set_add(s, c);
}

/* A non-ASCII code point named by the pattern. Too many: every non-ASCII one. */
static void set_add_seq(cpset *s, uint32_t cp)
{
    if (s->nonascii_any) return;
    for (size_t i = 0; i < s->n_seq; i++)
        if (s->seq[i] == cp) return;
    if (s->n_seq == HS_SEQ_MAX) {
        s->nonascii_any = 1;
        return;
    }
    s->seq[s->n_seq++] = cp;
}

/* Decodes the UTF-8 character at w->p; 0 and bail on invalid input. */
static uint32_t take_cp(rw *w)
{
    utf8proc_int32_t cp;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)w->p,
                                          (utf8proc_ssize_t)(w->end - w->p), &cp);
    if (k <= 0) {
        w->bail = 1;
        w->p = w->end;
        return 0;
    }
    w->p += k;
    return (uint32_t)cp;
}

/* 1 when normalised text can hold cp as it is, so that its bytes in the pattern meet the
 * text's. PCRE2 matches it caselessly; the text is case-folded, so only the folded form
 * ever appears. */
static int cp_stable_uncached(uint32_t cp)
{
    char buf[4];
    utf8proc_ssize_t n = utf8proc_encode_char((utf8proc_int32_t)cp, (utf8proc_uint8_t *)buf);
    size_t nl;
    char *norm = classify_normalize(buf, (size_t)n, &nl);
    int same = nl == (size_t)n && memcmp(norm, buf, nl) == 0;
    free(norm);
    return same;
}

/* cp_stable_uncached, remembered in memo for the Basic Multilingual Plane (normalising
 * one character at a time is most of the rewriting's cost). */
static int cp_stable(cl_hs_memo *memo, uint32_t cp)
{
    if (cp < 0x80) return 1;
    if (cp >= 0x10000 || !memo) return cp_stable_uncached(cp);
    if (!memo->known[cp]) memo->known[cp] = cp_stable_uncached(cp) ? 1 : 2;
    return memo->known[cp] == 1;
}

/* A literal code point as a set; a non-ASCII one that normalisation changes bails. */
static void set_literal(rw *w, cpset *s, uint32_t cp)
{
    if (cp < 0x80) {
        set_add(s, cp);
        if (cp >= 'a' && cp <= 'z') set_add(s, cp - 32);
        if (cp >= 'A' && cp <= 'Z') set_add(s, cp + 32);
    } else if (cp_stable(w->memo, cp)) {
        set_add_seq(s, cp);
    } else {
        w->bail = 1;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* \xhh or \x{h...}; w->p is after the x. */
static uint32_t parse_hex(rw *w)
{
    uint32_t v = 0;
    if (w->p < w->end && *w->p == '{') {
        w->p++;
        int digits = 0;
        while (w->p < w->end && hexval(*w->p) >= 0 && digits < 8)
            v = v * 16 + (uint32_t)hexval(*w->p++), digits++;
        if (w->p >= w->end || *w->p != '}' || !digits || v > 0x10FFFF) w->bail = 1;
        w->p++;
        return v;
    }
    for (int i = 0; i < 2 && w->p < w->end && hexval(*w->p) >= 0; i++)
        v = v * 16 + (uint32_t)hexval(*w->p++);
    return v;
}

/* Skips \p{..} / \pL's argument. */
static void skip_property(rw *w)
{
    if (w->p < w->end && *w->p == '{') {
        while (w->p < w->end && *w->p != '}')
            w->p++;
        if (w->p >= w->end) w->bail = 1;
        w->p++;
    } else if (w->p < w->end) {
        w->p++;
    }
}

/* An escape that stands for one code point or a class of them, in a class or outside.
 * neg_class: inside [^...], where only a subset of the class may be excluded. Returns 0
 * when the escape is not of that kind (the caller handles it). */
static int class_escape(rw *w, char c, cpset *s, int neg_class)
{
    switch (c) {
    case 'w':
    case 'W':
        add_word(s, c == 'W');
        break;
    case 'd':
    case 'D':
        add_digit(s, c == 'D');
        break;
    case 's':
    case 'S':
        add_space(s, c == 'S');
        break;
    case 'h':
        set_add(s, ' '), set_add(s, '\t');
        break;
    case 'v':
        set_range(s, '\n', '\r');
        break;
    case 'H':
    case 'V':
        for (uint32_t k = 0; k < 128; k++)
            if (c == 'H' ? k != ' ' && k != '\t' : k < '\n' || k > '\r') set_add(s, k);
        break;
    case 'p':
    case 'P':
        skip_property(w);
        if (!neg_class) set_range(s, 0, 127); /* which ASCII ones is not worked out */
        break;
    default:
        return 0;
    }
    /* with UCP every one of these has non-ASCII members (or may have); excluding none of
     * them from a negated class keeps it a superset */
    if (!neg_class) s->nonascii_any = 1;
    return 1;
}

/* A backslash escape for a literal character (\n, \x{..}, \.); bails on the others. */
static uint32_t escaped_char(rw *w, char c)
{
    switch (c) {
    case 'n':
        return '\n';
    case 't':
        return '\t';
    case 'r':
        return '\r';
    case 'f':
        return '\f';
    case 'e':
        return 0x1B;
    case 'a':
        return 0x07;
    case 'x':
        return parse_hex(w);
    default:
        break;
    }
    if ((unsigned char)c >= 0x80) { /* \ before a non-ASCII character: that character */
        w->p--;
        return take_cp(w);
    }
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        w->bail = 1; /* back references, \Q, \c, \o, \g, \k, \N, \X, \C ... */
        return 0;
    }
    return (unsigned char)c;
}

/* [...]; w->p is after the [. */
static void parse_class(rw *w, cpset *out)
{
    int neg = 0;
    if (w->p < w->end && *w->p == '^') neg = 1, w->p++;
    cpset s; /* the members named (for a negated class: those surely excluded) */
    memset(&s, 0, sizeof s);
    int first = 1;
    while (!w->bail) {
        if (w->p >= w->end) {
            w->bail = 1;
            break;
        }
        if (*w->p == ']' && !first) {
            w->p++;
            break;
        }
        first = 0;
        if (w->p[0] == '[' && w->p + 1 < w->end &&
            (w->p[1] == ':' || w->p[1] == '.' || w->p[1] == '=')) {
            w->bail = 1; /* POSIX classes */
            break;
        }
        uint32_t lo;
        if (*w->p == '\\') {
            w->p++;
            if (w->p >= w->end) {
                w->bail = 1;
                break;
            }
            char c = *w->p++;
            if (class_escape(w, c, &s, neg)) continue;
            lo = c == 'b' ? 0x08 : escaped_char(w, c);
            if (w->bail) break;
        } else {
            lo = take_cp(w);
        }
        uint32_t hi = lo;
        if (w->p + 1 < w->end && w->p[0] == '-' && w->p[1] != ']') {
            w->p++;
            if (*w->p == '\\') {
                w->p++;
                if (w->p >= w->end) {
                    w->bail = 1;
                    break;
                }
                char c = *w->p++;
                hi = escaped_char(w, c);
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                    if (c != 'n' && c != 't' && c != 'r' && c != 'f' && c != 'e' && c != 'a' &&
                        c != 'x')
                        w->bail = 1; /* [a-\d] */
                }
            } else {
                hi = take_cp(w);
            }
            if (hi < lo) w->bail = 1;
        }
        if (w->bail) break;
        for (uint32_t c = lo; c <= hi && c < 0x80; c++)
            set_literal(w, &s, c);
        if (hi >= 0x80 && !neg) {
            if (hi - (lo < 0x80 ? 0x80 : lo) >= HS_SEQ_MAX) {
                s.nonascii_any = 1; /* a big range: any non-ASCII code point */
            } else {
                for (uint32_t c = lo < 0x80 ? 0x80 : lo; c <= hi; c++)
                    set_literal(w, &s, c);
            }
        }
        /* in a negated class a non-ASCII member is simply not excluded */
    }
    memset(out, 0, sizeof *out);
    if (!neg) {
        *out = s;
        return;
    }
    for (uint32_t c = 0; c < 128; c++)
        if (!set_has(&s, c)) set_add(out, c);
    out->nonascii_any = 1;
}

static void put_byte(bd_buf *b, unsigned c)
{
    static const char digits[] = "0123456789abcdef";
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        bd_buf_putc(b, (char)c);
    } else {
        char esc[4] = {'\\', 'x', digits[(c >> 4) & 15], digits[c & 15]};
        bd_buf_append(b, esc, 4);
    }
}

/* The ASCII part of s (and, when nonascii_any, every byte >= 0x80) as one byte class. */
static void put_byte_class(bd_buf *b, const cpset *s)
{
    uint32_t only = 0;
    size_t n = set_count(s, &only);
    if (n == 1 && !s->nonascii_any) {
        put_byte(b, only);
        return;
    }
    /* a letter with its other case only: the letter (the pattern is caseless) */
    if (n == 2 && !s->nonascii_any && only >= 'a' && only <= 'z' && set_has(s, only - 32)) {
        put_byte(b, only);
        return;
    }
    bd_buf_putc(b, '[');
    for (uint32_t c = 0; c < 128;) {
        if (!set_has(s, c)) {
            c++;
            continue;
        }
        uint32_t e = c;
        while (e + 1 < 128 && set_has(s, e + 1))
            e++;
        put_byte(b, c);
        if (e > c) {
            bd_buf_putc(b, '-');
            put_byte(b, e);
        }
        c = e + 1;
    }
    if (s->nonascii_any) bd_buf_puts(b, "\\x80-\\xff");
    bd_buf_putc(b, ']');
}

static void put_quant(bd_buf *b, long min, long max)
{
    if (min == 1 && max == 1) return;
    if (max < 0)
        bd_buf_printf(b, min == 0 ? "*" : min == 1 ? "+" : "{%ld,}", min);
    else if (min == 0 && max == 1)
        bd_buf_putc(b, '?');
    else if (min == max)
        bd_buf_printf(b, "{%ld}", min);
    else
        bd_buf_printf(b, "{%ld,%ld}", min, max);
}

/* A code point set with its quantifier, as bytes. */
static char *emit_set(const cpset *s, long min, long max)
{
    bd_buf b = BD_BUF_INIT;
    int any_ascii = set_count(s, NULL) > 0;
    if (s->nonascii_any) {
        /* one code point is one to four bytes of the class */
        put_byte_class(&b, s);
        long bmax = max < 0 ? -1 : 4 * max;
        if (bmax > HS_REPEAT_MAX) bmax = -1;
        put_quant(&b, min, bmax);
    } else if (!s->n_seq) {
        put_byte_class(&b, s);
        put_quant(&b, min, max > HS_REPEAT_MAX ? -1 : max);
    } else {
        int group = any_ascii || s->n_seq > 1 || min != 1 || max != 1;
        if (group) bd_buf_puts(&b, "(?:");
        int first = 1;
        if (any_ascii) put_byte_class(&b, s), first = 0;
        for (size_t i = 0; i < s->n_seq; i++) {
            if (!first) bd_buf_putc(&b, '|');
            first = 0;
            unsigned char u[4];
            utf8proc_ssize_t n = utf8proc_encode_char((utf8proc_int32_t)s->seq[i], u);
            for (utf8proc_ssize_t k = 0; k < n; k++)
                put_byte(&b, u[k]);
        }
        if (group) bd_buf_putc(&b, ')');
        put_quant(&b, min, max > HS_REPEAT_MAX ? -1 : max);
    }
    return bd_buf_detach(&b);
}

/* A quantifier after an atom, if any: *min, *max (-1 unbounded). Lazy and possessive
 * suffixes change which match is found, not whether there is one: dropped. */
static void parse_quant(rw *w, long *min, long *max)
{
    *min = *max = 1;
    if (w->p >= w->end) return;
    char c = *w->p;
    if (c == '*' || c == '+' || c == '?') {
        *min = c == '+';
        *max = c == '?' ? 1 : -1;
        w->p++;
    } else if (c == '{') {
        const char *q = w->p + 1;
        long a = 0, b;
        int da = 0;
        while (q < w->end && *q >= '0' && *q <= '9' && a < 100000)
            a = a * 10 + (*q++ - '0'), da++;
        if (!da) {
            if (q < w->end && *q == ',') w->bail = 1; /* {,n}: read differently by versions */
            return;                                   /* a literal { */
        }
        if (q < w->end && *q == '}') {
            b = a;
        } else if (q < w->end && *q == ',') {
            q++;
            b = -1;
            if (q < w->end && *q >= '0' && *q <= '9') {
                b = 0;
                while (q < w->end && *q >= '0' && *q <= '9' && b < 100000)
                    b = b * 10 + (*q++ - '0');
            }
            if (q >= w->end || *q != '}') return; /* a literal { */
        } else {
            return;
        }
        *min = a, *max = b;
        w->p = q + 1;
    } else {
        return;
    }
    if (w->p < w->end && (*w->p == '?' || *w->p == '+')) w->p++;
}

static char *parse_alt(rw *w, int *first_word, int *last_word);

typedef struct pieces {
    piece *v;
    size_t n;
} pieces;

static void push(pieces *ps, piece p)
{
    ps->v = bd_realloc(ps->v, (ps->n + 1) * sizeof *ps->v);
    ps->v[ps->n++] = p;
}

static piece zero_width(const char *text)
{
    piece p = {bd_strdup(text), 1, 0, 0, 0};
    return p;
}

/* (...): a group, a lookaround (dropped) or an option setting; w->p is after the (. Adds
 * what it stands for to ps. */
static void parse_group(rw *w, pieces *ps)
{
    int capture = 1, look = 0;
    if (w->p < w->end && *w->p == '*') {
        w->bail = 1; /* (*VERB) */
        return;
    }
    if (w->p < w->end && *w->p == '?') {
        w->p++;
        const char *q = w->p;
        capture = 0;
        if (q < w->end && *q == '#') { /* a comment */
            while (w->p < w->end && *w->p != ')')
                w->p++;
            if (w->p >= w->end) w->bail = 1;
            w->p++;
            return;
        }
        if (q < w->end && (*q == ':' || *q == '>' || *q == '|')) {
            w->p++;
        } else if (q < w->end && (*q == '=' || *q == '!')) {
            w->p++, look = 1;
        } else if (q + 1 < w->end && *q == '<' && (q[1] == '=' || q[1] == '!')) {
            w->p += 2, look = 1;
        } else if (q < w->end && (*q == '<' || *q == '\'' || (*q == 'P' && q + 1 < w->end &&
                                                              q[1] == '<'))) {
            char close = *q == '\'' ? '\'' : '>';
            while (w->p < w->end && *w->p != close)
                w->p++;
            if (w->p >= w->end) w->bail = 1;
            w->p++;
        } else {
            /* options: only case-insensitivity, which every pattern has anyway */
            int on = 1;
            while (w->p < w->end && (*w->p == 'i' || *w->p == '-')) {
                if (*w->p == '-') on = 0;
                w->p++;
            }
            (void)on; /* (?-i) too: matching caselessly anyway only widens */
            if (w->p < w->end && *w->p == ')') {
                w->p++;
                return;
            }
            if (w->p < w->end && *w->p == ':') {
                w->p++;
            } else {
                w->bail = 1; /* (?s) (?x) (?(cond) (?R) (?1) (?&name) (?C) ... */
                return;
            }
        }
    }
    (void)capture;
    int fw, lw;
    char *inner = parse_alt(w, &fw, &lw);
    if (w->p >= w->end || *w->p != ')') w->bail = 1;
    w->p++;
    long min, max;
    parse_quant(w, &min, &max);
    if (look) { /* an assertion: dropping it only widens the matches */
        free(inner);
        push(ps, zero_width(""));
        return;
    }
    bd_buf b = BD_BUF_INIT;
    bd_buf_puts(&b, "(?:");
    bd_buf_puts(&b, inner);
    bd_buf_putc(&b, ')');
    put_quant(&b, min, max > HS_REPEAT_MAX ? -1 : max);
    free(inner);
    piece p = {bd_buf_detach(&b), 0, 0, min > 0 && fw, min > 0 && lw};
    push(ps, p);
}

/* One atom with its quantifier, added to ps. */
static void parse_piece(rw *w, pieces *ps)
{
    char c = *w->p;
    cpset s;
    memset(&s, 0, sizeof s);
    if (c == '(') {
        w->p++;
        parse_group(w, ps);
        return;
    }
    if (c == '^' || c == '$') {
        w->p++;
        if (!w->anchors_ok) w->bail = 1;
        push(ps, zero_width(c == '^' ? "^" : "\\Z"));
        long min, max;
        parse_quant(w, &min, &max);
        return;
    }
    if (c == '[') {
        w->p++;
        parse_class(w, &s);
    } else if (c == '.') {
        w->p++;
        set_range(&s, 0, 127);
        s.ascii['\n' >> 3] &= (uint8_t) ~(1u << ('\n' & 7));
        s.nonascii_any = 1;
    } else if (c == '\\') {
        w->p++;
        if (w->p >= w->end) {
            w->bail = 1;
            return;
        }
        char e = *w->p++;
        switch (e) {
        case 'b': {
            piece p = {bd_strdup("\\b"), 1, 1, 0, 0};
            push(ps, p);
            long min, max;
            parse_quant(w, &min, &max);
            if (min == 0) ps->v[ps->n - 1].wb = 0; /* \b?: no condition */
            return;
        }
        case 'B':
        case 'K':
            push(ps, zero_width(""));
            return;
        case 'A':
        case 'z':
        case 'Z':
            if (!w->anchors_ok) w->bail = 1;
            push(ps, zero_width(e == 'A' ? "^" : e == 'z' ? "\\z" : "\\Z"));
            return;
        case 'E': /* a stray \E does nothing */
            return;
        default:
            if (!class_escape(w, e, &s, 0)) {
                uint32_t cp = escaped_char(w, e);
                if (w->bail) return;
                set_literal(w, &s, cp);
            }
        }
    } else {
        set_literal(w, &s, take_cp(w));
    }
    if (w->bail) return;
    long min, max;
    parse_quant(w, &min, &max);
    size_t members = set_count(&s, NULL);
    int word = members <= 63; /* there are 63 ASCII word characters */
    for (uint32_t k = 0; k < 128 && word; k++)
        if (set_has(&s, k)) word &= is_word_ascii(k);
    if (!members && !s.nonascii_any && !s.n_seq) {
        w->bail = 1; /* a class that matches nothing */
        return;
    }
    word = word && members && !s.nonascii_any && !s.n_seq && min > 0;
    piece p = {emit_set(&s, min, max), 0, 0, word, word};
    push(ps, p);
}

/* A sequence up to | or ) or the end; *first_word / *last_word as for a piece. */
static char *parse_seq(rw *w, int *first_word, int *last_word)
{
    pieces ps = {NULL, 0};
    while (!w->bail && w->p < w->end && *w->p != '|' && *w->p != ')')
        parse_piece(w, &ps);
    bd_buf b = BD_BUF_INIT;
    bd_buf_puts(&b, "");
    *first_word = *last_word = 0;
    for (size_t i = 0; i < ps.n; i++) {
        piece *p = &ps.v[i];
        if (p->wb) {
            /* the characters on either side: the nearest consuming pieces */
            int before = 0, after = 0;
            for (size_t k = i; k-- > 0;)
                if (!ps.v[k].zero_width) {
                    before = ps.v[k].last_word;
                    break;
                }
            for (size_t k = i + 1; k < ps.n; k++)
                if (!ps.v[k].zero_width) {
                    after = ps.v[k].first_word;
                    break;
                }
            if (before || after) bd_buf_puts(&b, p->text);
        } else {
            bd_buf_puts(&b, p->text);
        }
    }
    for (size_t i = 0; i < ps.n; i++)
        if (!ps.v[i].zero_width) {
            *first_word = ps.v[i].first_word;
            break;
        }
    for (size_t i = ps.n; i-- > 0;)
        if (!ps.v[i].zero_width) {
            *last_word = ps.v[i].last_word;
            break;
        }
    for (size_t i = 0; i < ps.n; i++)
        free(ps.v[i].text);
    free(ps.v);
    return bd_buf_detach(&b);
}

static char *parse_alt(rw *w, int *first_word, int *last_word)
{
    bd_buf b = BD_BUF_INIT;
    bd_buf_puts(&b, "");
    *first_word = *last_word = 1;
    for (;;) {
        int fw, lw;
        char *seq = parse_seq(w, &fw, &lw);
        bd_buf_puts(&b, seq);
        free(seq);
        *first_word &= fw;
        *last_word &= lw;
        if (w->bail || w->p >= w->end || *w->p != '|') break;
        w->p++;
        bd_buf_putc(&b, '|');
    }
    return bd_buf_detach(&b);
}

char *cl_hs_pattern(const char *src, int anchors_ok, cl_hs_memo *memo)
{
    rw w = {src, src + strlen(src), 0, anchors_ok, memo};
    int fw, lw;
    char *out = parse_alt(&w, &fw, &lw);
    if (w.bail || w.p != w.end) { /* not understood, or an unbalanced ) */
        free(out);
        return NULL;
    }
    return out;
}
