/*
 * normalize.c — the text the rules see: NFKC, Unicode case folding, accents and other
 * combining marks stripped (the kana voicing marks are kept: か and が are different
 * words), default-ignorable code points (zero-width joiners, variation selectors, soft
 * hyphens) dropped, typographic look-alikes lumped (’ → ', – → -, “ » → "), Arabic-Indic digits to
 * ASCII, tatweel dropped, CR LF / CR → LF, tab → space, other control characters removed.
 * Invalid UTF-8 becomes U+FFFD.
 *
 * ASCII (most of the bytes of most messages) takes a table-driven fast path; CJK
 * ideographs, Hangul syllables and kana are already in normal form and are copied; the rest
 * goes through utf8proc one run at a time, so that decomposed Hangul jamo and half-width
 * kana with voicing marks are recomposed.
 *
 * While it walks the raw text it counts letters per script, words written in capitals and
 * letters that only some languages use: the language detector and the anger signal need
 * what normalisation throws away.
 */
#include "internal.h"

#include <string.h>
#include <utf8proc.h>

#define NORM_OPTS                                                                                  \
    (UTF8PROC_COMPAT | UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE | UTF8PROC_LUMP)

/* Decodes one code point at s (n > 0 bytes left); invalid input gives U+FFFD and 1 byte. */
static size_t decode(const unsigned char *s, size_t n, int32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    int32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, v = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, v = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, v = c & 0x07, min = 0x10000;
    else
        goto bad;
    if (n < len) goto bad;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) goto bad;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) goto bad;
    *cp = v;
    return len;
bad:
    *cp = 0xFFFD;
    return 1;
}

static void put_cp(bd_buf *out, int32_t cp)
{
    bd_buf_grow(out, 4);
    out->len += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)out->data + out->len);
    out->data[out->len] = '\0';
}

/* Language cues from letters (indexes of classify_langs: en es fr de it pt ru pl ...). */
enum { L_EN, L_ES, L_FR, L_DE, L_IT, L_PT, L_RU, L_PL };
static void cue(cl_stats *st, int32_t cp)
{
    float *c = st->cue;
    switch (cp) {
    case 0xF1:
    case 0xD1:
    case 0xBF:
    case 0xA1:
        c[L_ES] += 2;
        break; /* ñ ¿ ¡ */
    case 0xE3:
    case 0xF5:
    case 0xC3:
    case 0xD5:
        c[L_PT] += 2;
        break; /* ã õ */
    case 0xE7:
    case 0xC7:
        c[L_FR] += 0.7f, c[L_PT] += 0.7f;
        break; /* ç */
    case 0xDF:
    case 0xE4:
    case 0xF6:
    case 0xFC:
    case 0xC4:
    case 0xD6:
    case 0xDC:
        c[L_DE] += 2;
        break; /* ß ä ö ü */
    case 0x105:
    case 0x119:
    case 0x142:
    case 0x144:
    case 0x15B:
    case 0x17A:
    case 0x17C:
    case 0x107:
    case 0x104:
    case 0x118:
    case 0x141:
    case 0x143:
    case 0x15A:
    case 0x179:
    case 0x17B:
    case 0x106:
        c[L_PL] += 2;
        break; /* ą ę ł ń ś ź ż ć */
    case 0xF3:
    case 0xD3:
        c[L_ES] += 0.3f, c[L_PT] += 0.3f, c[L_PL] += 0.3f;
        break; /* ó */
    case 0xE8:
    case 0xC8:
        c[L_FR] += 1, c[L_IT] += 1;
        break; /* è */
    case 0xE0:
    case 0xC0:
        c[L_FR] += 0.7f, c[L_IT] += 0.7f, c[L_PT] += 0.3f;
        break; /* à */
    case 0xF9:
        c[L_FR] += 0.5f, c[L_IT] += 0.5f;
        break; /* ù */
    case 0xEC:
    case 0xF2:
        c[L_IT] += 2;
        break; /* ì ò */
    case 0xEA:
    case 0xE2:
    case 0xF4:
    case 0xCA:
    case 0xC2:
    case 0xD4:
        c[L_FR] += 1, c[L_PT] += 1;
        break; /* ê â ô */
    case 0xEE:
    case 0xFB:
    case 0xEB:
    case 0xEF:
    case 0x153:
    case 0x152:
        c[L_FR] += 2;
        break; /* î û ë ï œ */
    case 0xE9:
    case 0xC9:
        c[L_FR] += 0.5f, c[L_ES] += 0.3f, c[L_PT] += 0.3f, c[L_IT] += 0.3f;
        break; /* é */
    case 0xE1:
    case 0xED:
    case 0xFA:
    case 0xC1:
    case 0xCD:
    case 0xDA:
        c[L_ES] += 0.7f, c[L_PT] += 0.7f;
        break; /* á í ú */
    default:
        break;
    }
}

static void count_script(cl_stats *st, int32_t cp)
{
    if (cp < 0x250)
        st->latin++;
    else if (cp >= 0x400 && cp <= 0x52F)
        st->cyrillic++;
    else if ((cp >= 0x600 && cp <= 0x6FF) || (cp >= 0x750 && cp <= 0x77F) ||
             (cp >= 0xFB50 && cp <= 0xFDFF) || (cp >= 0xFE70 && cp <= 0xFEFF))
        st->arabic++;
    else if ((cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0x1100 && cp <= 0x11FF) ||
             (cp >= 0x3130 && cp <= 0x318F))
        st->hangul++;
    else if ((cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x31F0 && cp <= 0x31FF) ||
             (cp >= 0xFF66 && cp <= 0xFF9F))
        st->kana++;
    else if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
             (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FFFF))
        st->han++;
    else if (cp >= 0x1E00 && cp <= 0x1EFF)
        st->latin++;
    else
        st->other++;
}

/* Words in capitals: tracked across code points. */
typedef struct caps_state {
    uint32_t letters, upper;
    int digit;
} caps_state;

static void caps_end(caps_state *c, cl_stats *st)
{
    if (st && c->letters >= 3 && c->upper == c->letters && !c->digit) st->shouted_words++;
    c->letters = c->upper = 0;
    c->digit = 0;
}

/* The run of code points waiting for utf8proc composition. */
typedef struct run {
    int32_t buf[256];
    size_t n;
} run;

static void run_flush(run *r, bd_buf *out)
{
    if (!r->n) return;
    utf8proc_ssize_t n = (utf8proc_ssize_t)r->n;
    if (r->n > 1) {
        utf8proc_ssize_t k =
            utf8proc_normalize_utf32(r->buf, n, UTF8PROC_COMPOSE | UTF8PROC_STABLE);
        if (k >= 0) n = k;
    }
    for (utf8proc_ssize_t i = 0; i < n; i++)
        put_cp(out, r->buf[i]);
    r->n = 0;
}

static void run_add(run *r, bd_buf *out, int32_t cp)
{
    int32_t dec[32];
    int last = 0;
    utf8proc_ssize_t k = utf8proc_decompose_char(cp, dec, 32, NORM_OPTS, &last);
    if (k < 0 || k > 32) {
        dec[0] = cp;
        k = 1;
    }
    for (utf8proc_ssize_t i = 0; i < k; i++) {
        int32_t d = dec[i];
        if (d != 0x3099 && d != 0x309A) {
            utf8proc_category_t cat = utf8proc_category(d);
            if (cat == UTF8PROC_CATEGORY_MN || cat == UTF8PROC_CATEGORY_ME) continue;
        }
        if (d < 0x80) { /* compatibility forms that became ASCII (full-width, ligatures) */
            run_flush(r, out);
            char c = (char)d;
            if (d >= 0x20 && d != 0x7F) bd_buf_append(out, &c, 1);
            continue;
        }
        if (r->n == sizeof r->buf / sizeof r->buf[0]) run_flush(r, out);
        r->buf[r->n++] = d;
    }
}

/* Already in NFKC-casefold form and free of marks: copied as they are. */
static int is_stable(int32_t cp)
{
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
           (cp >= 0x3041 && cp <= 0x3096) || (cp >= 0x30A1 && cp <= 0x30FA);
}

/* What the ASCII fast path does with each byte. */
enum { K_LOWER, K_UPPER, K_DIGIT, K_APOS, K_OTHER, K_CR, K_SPACE, K_LF, K_DROP };
static const uint8_t ascii_kind[128] = {
    K_DROP,  K_DROP,  K_DROP,  K_DROP,  K_DROP,  K_DROP,  K_DROP,  K_DROP,  K_DROP,  K_SPACE,
    K_LF,    K_SPACE, K_SPACE, K_CR,    K_DROP,  K_DROP,  K_DROP,  K_DROP,  K_DROP,  K_DROP,
    K_DROP,  K_DROP,  K_DROP,  K_DROP,  K_DROP,  K_DROP,  K_DROP,  K_DROP,  K_DROP,  K_DROP,
    K_DROP,  K_DROP,  K_OTHER, K_OTHER, K_OTHER, K_OTHER, K_OTHER, K_OTHER, K_OTHER, K_APOS,
    K_OTHER, K_OTHER, K_OTHER, K_OTHER, K_OTHER, K_OTHER, K_OTHER, K_OTHER, K_DIGIT, K_DIGIT,
    K_DIGIT, K_DIGIT, K_DIGIT, K_DIGIT, K_DIGIT, K_DIGIT, K_DIGIT, K_DIGIT, K_OTHER, K_OTHER,
    K_OTHER, K_OTHER, K_OTHER, K_OTHER, K_OTHER, K_UPPER, K_UPPER, K_UPPER, K_UPPER, K_UPPER,
    K_UPPER, K_UPPER, K_UPPER, K_UPPER, K_UPPER, K_UPPER, K_UPPER, K_UPPER, K_UPPER, K_UPPER,
    K_UPPER, K_UPPER, K_UPPER, K_UPPER, K_UPPER, K_UPPER, K_UPPER, K_UPPER, K_UPPER, K_UPPER,
    K_UPPER, K_OTHER, K_OTHER, K_OTHER, K_OTHER, K_OTHER, K_OTHER, K_LOWER, K_LOWER, K_LOWER,
    K_LOWER, K_LOWER, K_LOWER, K_LOWER, K_LOWER, K_LOWER, K_LOWER, K_LOWER, K_LOWER, K_LOWER,
    K_LOWER, K_LOWER, K_LOWER, K_LOWER, K_LOWER, K_LOWER, K_LOWER, K_LOWER, K_LOWER, K_LOWER,
    K_LOWER, K_LOWER, K_LOWER, K_OTHER, K_OTHER, K_OTHER, K_OTHER, K_DROP,
};

/* A run of ASCII from p[*i]: table-driven, no allocation inside. */
static void ascii_run(bd_buf *out, const unsigned char *p, size_t n, size_t *i, caps_state *caps,
                      cl_stats *st)
{
    bd_buf_grow(out, n - *i);
    char *o = out->data + out->len;
    size_t k = *i;
    uint32_t latin = 0;
    while (k < n && p[k] < 0x80) {
        unsigned char c = p[k++];
        switch (ascii_kind[c]) {
        case K_LOWER:
            *o++ = (char)c;
            latin++;
            caps->letters++;
            break;
        case K_UPPER:
            *o++ = (char)(c + 32);
            latin++;
            caps->letters++;
            caps->upper++;
            break;
        case K_DIGIT:
            *o++ = (char)c;
            caps->digit = 1;
            break;
        case K_APOS:
            *o++ = (char)c;
            break; /* inside a word: don't, l'ordine */
        case K_OTHER:
            *o++ = (char)c;
            if (caps->letters) caps_end(caps, st);
            break;
        case K_CR:
            if (k < n && p[k] == '\n') k++;
            *o++ = '\n';
            if (caps->letters) caps_end(caps, st);
            break;
        case K_SPACE:
            *o++ = ' ';
            if (caps->letters) caps_end(caps, st);
            break;
        case K_LF:
            *o++ = '\n';
            if (caps->letters) caps_end(caps, st);
            break;
        default:
            if (caps->letters) caps_end(caps, st);
            break; /* other controls go */
        }
        if (!caps->letters) caps->digit = 0;
    }
    out->len = (size_t)(o - out->data);
    *o = '\0';
    if (st) st->latin += latin;
    *i = k;
}

/* Scripts whose letters are in normal form already: copied as they are. */
static int stable_letter(int32_t cp, cl_stats *st)
{
    if (cp >= 0x4E00 && cp <= 0x9FFF) {
        if (st) st->han++;
    } else if (cp >= 0xAC00 && cp <= 0xD7A3) {
        if (st) st->hangul++;
    } else if ((cp >= 0x3041 && cp <= 0x3096) || (cp >= 0x30A1 && cp <= 0x30FA)) {
        if (st) st->kana++;
    } else {
        return 0;
    }
    return 1;
}

/* Letters and marks of the two-byte UTF-8 range (Latin, Greek, Cyrillic, Hebrew, Arabic):
 * their normal form does not depend on their neighbours once marks are stripped, so it is
 * computed once, by the general path, and looked up. */
struct cl_normtab {
    uint8_t cat[0x800];
    uint8_t len[0x800]; /* NORMTAB_SLOW: use the general path */
    char out[0x800][7];
};
#define NORMTAB_SLOW 0xFF

static void normalize(bd_buf *out, const char *s, size_t n, cl_stats *st, const cl_normtab *t);

cl_normtab *cl_normtab_new(void)
{
    cl_normtab *t = bd_calloc(1, sizeof *t);
    bd_buf b = BD_BUF_INIT;
    for (int32_t cp = 0x80; cp < 0x800; cp++) {
        char u[2] = {(char)(0xC0 | (cp >> 6)), (char)(0x80 | (cp & 0x3F))};
        bd_buf_reset(&b);
        normalize(&b, u, 2, NULL, NULL);
        t->cat[cp] = (uint8_t)utf8proc_category(cp);
        if (b.len < sizeof t->out[0]) {
            t->len[cp] = (uint8_t)b.len;
            if (b.len) memcpy(t->out[cp], b.data, b.len);
        } else {
            t->len[cp] = NORMTAB_SLOW;
        }
    }
    bd_buf_free(&b);
    return t;
}

void cl_normtab_free(cl_normtab *t)
{
    free(t);
}

/* Statistics of one non-ASCII code point of category cat. */
static void cp_stats(cl_stats *st, caps_state *caps, int32_t cp, int cat)
{
    if ((cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A))
        st->fullwidth++;
    else if (cp == 0x60C || cp == 0x61B || cp == 0x61F || (cp >= 0x660 && cp <= 0x66D))
        st->arabic_marks++;
    if (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) {
        count_script(st, cp);
        if (cp < 0x250) cue(st, cp);
        caps->letters++;
        if (cat == UTF8PROC_CATEGORY_LU)
            caps->upper++;
        else if (cat != UTF8PROC_CATEGORY_LL)
            caps->letters = 0; /* caseless script */
    } else if (cat != UTF8PROC_CATEGORY_MN) {
        caps_end(caps, st);
        if (cp == 0xBF || cp == 0xA1) cue(st, cp);
    }
}

void cl_normalize_append(bd_buf *out, const char *s, size_t n, cl_stats *st, const cl_normtab *t)
{
    normalize(out, s, n, st, t);
}

static void normalize(bd_buf *out, const char *s, size_t n, cl_stats *st, const cl_normtab *t)
{
    const unsigned char *p = (const unsigned char *)s;
    run r;
    r.n = 0;
    caps_state caps = {0, 0, 0};
    bd_buf_grow(out, n + 16);
    out->data[out->len] = '\0';
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            run_flush(&r, out);
            ascii_run(out, p, n, &i, &caps, st);
            continue;
        }
        int32_t cp;
        size_t at = i;
        i += decode(p + i, n - i, &cp);
        if (t && cp < 0x800 && t->len[cp] != NORMTAB_SLOW) { /* looked up */
            if (st) cp_stats(st, &caps, cp, t->cat[cp]);
            run_flush(&r, out);
            if (t->len[cp]) bd_buf_append(out, t->out[cp], t->len[cp]);
            continue;
        }
        if (stable_letter(cp, st)) { /* CJK, Hangul, kana: the bytes as they are */
            run_flush(&r, out);
            caps.letters = 0; /* caseless */
            bd_buf_append(out, (const char *)p + at, i - at);
            continue;
        }
        if (st) cp_stats(st, &caps, cp, utf8proc_category(cp));
        if (is_stable(cp)) {
            run_flush(&r, out);
            put_cp(out, cp);
        } else if (cp >= 0x660 && cp <= 0x669) {
            run_flush(&r, out);
            bd_buf_putc(out, (char)('0' + cp - 0x660));
        } else if (cp >= 0x6F0 && cp <= 0x6F9) {
            run_flush(&r, out);
            bd_buf_putc(out, (char)('0' + cp - 0x6F0));
        } else if (cp == 0x640 || cp == 0x85) { /* tatweel; NEL */
            if (cp == 0x85) {
                run_flush(&r, out);
                bd_buf_putc(out, '\n');
            }
        } else if (cp == 0x201C || cp == 0x201D || cp == 0x201E || cp == 0x201F || cp == 0xAB ||
                   cp == 0xBB || cp == 0x2033) {
            run_flush(&r, out); /* typographic double quotes and guillemets (LUMP keeps them) */
            bd_buf_putc(out, '"');
        } else if (cp == 0x2028 || cp == 0x2029) {
            run_flush(&r, out);
            bd_buf_putc(out, '\n');
        } else if (cp < 0xA0) { /* C1 controls */
            continue;
        } else {
            run_add(&r, out, cp);
        }
    }
    run_flush(&r, out);
    caps_end(&caps, st);
}

char *classify_normalize(const char *s, size_t n, size_t *outlen)
{
    bd_buf b = BD_BUF_INIT;
    bd_buf_grow(&b, n + 1);
    b.data[0] = '\0';
    if (s) normalize(&b, s, n, NULL, NULL);
    if (outlen) *outlen = b.len;
    bd_buf_grow(&b, 64); /* defined bytes past the end, for PCRE2's JIT */
    memset(b.data + b.len, 0, 64);
    return bd_buf_detach(&b);
}
