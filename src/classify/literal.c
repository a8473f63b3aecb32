/*
 * literal.c — required substrings of a PCRE2 pattern, for the prefilter.
 *
 * For a pattern P this finds a set of strings S such that every string P matches contains
 * at least one member of S (the idea of Russ Cox's code-search trigram index and of RE2's
 * prefilter, kept to literals). A pattern is then only run on a text that contains a
 * member of S, which one Aho-Corasick pass over the text tells for all patterns at once.
 *
 * The analysis walks the pattern syntax and, for each piece, knows either the exact
 * (small, finite) set of strings it matches or a required set:
 *   literal c          exact {c}
 *   [abc] (small)      exact {a, b, c}; other classes, ., \d, \w ... match "anything"
 *   \b ^ $ (?=...)     exact {""} (assertions match no text)
 *   XY                 cross product of exact sets while small, else the best required
 *                      set of the parts (any part's requirement holds for the whole)
 *   X|Y                union of exact sets, or of the branches' required sets
 *   X? X* X{0,n}       {""} ∪ exact, or nothing required; X+ X{n,} keep X's requirement
 * Anything it does not understand (conditionals, recursion, back references, extended
 * mode) makes the pattern "always run" — never a wrong skip. "Best" prefers the set whose
 * shortest member is longest. Members are normalised like the text (case folded, accents
 * stripped) so they can be searched in it.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define LSET_MAX 16    /* cross products, for a requirement */
#define EXACT_MAX 1024 /* cross products, when the whole pattern may be a list of strings */
#define UNION_MAX 64   /* members of a union (X|Y) before it is given up */
#define LIT_MAX 6      /* bytes of a literal searched for */
#define WB "\x01"      /* a word boundary (\b) inside a string of the analysis */
#define WT "\x02"      /* \w* (any word characters, or none) — first pass only */
#define WP "\x03"      /* \w+ (at least one word character) — first pass only */

/* 1 when the first (last) character of s[0..n) is surely a word character for PCRE2. */
static int starts_word(const char *s, size_t n)
{
    return n && cl_word_after(s, n, 0) == 1;
}
static int ends_word(const char *s, size_t n)
{
    return n && cl_word_before(s, n) == 1;
}

typedef struct lset {
    char **s;
    size_t n;
} lset;

typedef struct info {
    int exact; /* ex holds every string the piece can match */
    lset ex;
    int has_req; /* req: one of these is in every match */
    lset req;
    long max; /* the most characters a match can have, -1 when unbounded */
} info;

typedef struct parser {
    const char *p, *end;
    size_t cross_max; /* members of a cross product (XY) before it is given up */
    int bail;         /* a construct we do not analyse: no requirement for the pattern */
    int assertions;   /* anchors, lookarounds, \B ...: the literals are not the whole story */
    int depth;        /* groups around the current piece */
    int branches;     /* the pattern has top-level alternatives */
    int tails;        /* read \w* and \w+ as the markers WT and WP (the first pass) */
    lset prefix;      /* the strings every match starts with (the leading exact run) */
} parser;

static void lset_free(lset *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->s[i]);
    free(l->s);
    l->s = NULL;
    l->n = 0;
}

static void lset_add(lset *l, const char *s, size_t n)
{
    /* duplicates in large sets only cost a little later; searching for them costs more */
    for (size_t i = 0; i < l->n && l->n < 64; i++)
        if (strncmp(l->s[i], s, n) == 0 && l->s[i][n] == '\0') return;
    if ((l->n & (l->n - 1)) == 0) /* grow at powers of two */
        l->s = bd_realloc(l->s, (l->n ? 2 * l->n : 1) * sizeof *l->s);
    l->s[l->n++] = bd_strndup(s, n);
}

static lset lset_copy(const lset *l)
{
    lset c = {NULL, 0};
    for (size_t i = 0; i < l->n; i++)
        lset_add(&c, l->s[i], strlen(l->s[i]));
    return c;
}

static void info_free(info *f)
{
    lset_free(&f->ex);
    lset_free(&f->req);
    f->exact = f->has_req = 0;
}

static info info_empty(void)
{
    info f = {1, {NULL, 0}, 0, {NULL, 0}, 0};
    lset_add(&f.ex, "", 0);
    return f;
}

static info info_any(void) /* any one character */
{
    info f = {0, {NULL, 0}, 0, {NULL, 0}, 1};
    return f;
}

/* a + b for lengths that may be unbounded (-1) */
static long len_add(long a, long b)
{
    return a < 0 || b < 0 ? -1 : a + b;
}

/* Length of s without word-boundary markers. */
static long text_len(const char *s)
{
    long n = 0;
    for (; *s; s++)
        n += *s != WB[0];
    return n;
}

/* Usefulness of a requirement: the length of its shortest member, -1 if unusable (a
 * single byte is in nearly every text). */
static long lset_score(const lset *l)
{
    if (!l->n) return -1;
    long min = -1;
    for (size_t i = 0; i < l->n; i++) {
        long len = text_len(l->s[i]);
        if (min < 0 || len < min) min = len;
    }
    return min >= 2 ? min : -1;
}

/* Words in almost every message of some language: poor literals. */
static const char *const common_words[] = {
    "the",   "a",      "an",    "and",   "or",     "but",  "if",   "of",    "to",     "in",
    "on",    "at",     "for",   "with",  "from",   "by",   "is",   "are",   "was",    "were",
    "be",    "been",   "am",    "i",     "you",    "he",   "she",  "it",    "we",     "they",
    "me",    "my",     "your",  "our",   "their",  "this", "that", "these", "those",  "do",
    "does",  "did",    "have",  "has",   "had",    "not",  "no",   "yes",   "so",     "as",
    "can",   "will",   "would", "could", "should", "just", "all",  "any",   "some",   "there",
    "here",  "what",   "when",  "where", "who",    "how",  "why",  "which", "please", "hi",
    "hello", "thanks", "ok",    "get",   "got",    "one",  "de",   "la",    "el",     "los",
    "las",   "que",    "y",     "en",    "un",     "una",  "es",   "por",   "para",   "con",
    "mi",    "se",     "lo",    "le",    "su",     "al",   "del",  "o",     "e",      "os",
    "as",    "da",     "em",    "um",    "uma",    "nao",  "com",  "meu",   "les",    "des",
    "et",    "est",    "je",    "vous",  "il",     "ce",   "pas",  "ne",    "pour",   "dans",
    "sur",   "der",    "die",   "das",   "und",    "ist",  "ich",  "sie",   "nicht",  "mit",
    "zu",    "von",    "ein",   "eine",  "den",    "dem",  "di",   "che",   "non",    "per",
    "ho",    "ha",     "w",     "z",     "na",     "nie",  "jest", "sie",   "ze",     "i'm",
    "it's",  "don't",  NULL};

/* 1 when s, without markers, spaces and punctuation around it, is a common word. */
static int is_common(const char *s)
{
    char w[16];
    size_t n = 0;
    for (; *s && n < sizeof w - 1; s++)
        if (*s != WB[0] && *s != ' ' && *s != ',' && *s != '.') w[n++] = *s;
    if (*s) return 0;
    w[n] = '\0';
    for (const char *const *c = common_words; *c; c++)
        if (strcmp(w, *c) == 0) return 1;
    return 0;
}

static size_t n_common(const lset *l)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++)
        k += is_common(l->s[i]);
    return k;
}

/* a better than b: fewer members that are common words, then a shortest member of up to
 * 4 bytes (longer ones are not much rarer), then fewer members (a smaller automaton), then
 * longer members. */
static int better(const lset *a, const lset *b)
{
    long sa = lset_score(a), sb = lset_score(b);
    size_t wa = n_common(a), wb = n_common(b);
    if ((sa > 0) != (sb > 0)) return sa > 0;
    if (wa != wb) return wa < wb; /* "you", "the": in every other message */
    long ca = sa < 4 ? sa : 4, cb = sb < 4 ? sb : 4;
    if (ca != cb) return ca > cb;
    if (a->n != b->n) return a->n < b->n;
    return sa > sb;
}

/* The best requirement f offers (a copy), or an empty set. */
static lset info_best(const info *f)
{
    const lset *best = NULL;
    if (f->exact && lset_score(&f->ex) > 0) best = &f->ex;
    if (f->has_req && lset_score(&f->req) > 0 && (!best || better(&f->req, best))) best = &f->req;
    if (!best) {
        lset none = {NULL, 0};
        return none;
    }
    return lset_copy(best);
}

/* Offers candidate as a requirement of *dst (takes ownership). */
static void offer(lset *dst, int *has, lset cand)
{
    if (lset_score(&cand) <= 0) {
        lset_free(&cand);
        return;
    }
    if (!*has || better(&cand, dst)) {
        lset_free(dst);
        *dst = cand;
        *has = 1;
    } else {
        lset_free(&cand);
    }
}

static info parse_alt(parser *ps);

/* Length of the UTF-8 character at p. */
static size_t char_len(const char *p, const char *end)
{
    unsigned char c = (unsigned char)*p;
    size_t n = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return p + n <= end ? n : (size_t)(end - p);
}

static info info_char(const char *s, size_t n)
{
    info f = {1, {NULL, 0}, 0, {NULL, 0}, 1};
    lset_add(&f.ex, s, n);
    if (n == 1 && s[0] == WB[0]) f.max = 0; /* an assertion */
    if (n == 1 && (s[0] == WT[0] || s[0] == WP[0])) f.max = -1;
    return f;
}

static info info_cp(uint32_t cp)
{
    char buf[8];
    size_t n = 0;
    if (cp < 0x80)
        buf[n++] = (char)cp;
    else if (cp < 0x800)
        buf[n++] = (char)(0xC0 | (cp >> 6)), buf[n++] = (char)(0x80 | (cp & 0x3F));
    else if (cp < 0x10000)
        buf[n++] = (char)(0xE0 | (cp >> 12)), buf[n++] = (char)(0x80 | ((cp >> 6) & 0x3F)),
        buf[n++] = (char)(0x80 | (cp & 0x3F));
    else if (cp <= 0x10FFFF)
        buf[n++] = (char)(0xF0 | (cp >> 18)), buf[n++] = (char)(0x80 | ((cp >> 12) & 0x3F)),
        buf[n++] = (char)(0x80 | ((cp >> 6) & 0x3F)), buf[n++] = (char)(0x80 | (cp & 0x3F));
    else
        return info_any();
    return info_char(buf, n);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Skips a {...} argument (as of \p{..}, \g{..}) if there is one. */
static void skip_braces(parser *ps)
{
    if (ps->p < ps->end && *ps->p == '{') {
        while (ps->p < ps->end && *ps->p != '}')
            ps->p++;
        if (ps->p < ps->end) ps->p++;
    }
}

/* An escape outside a class; ps->p is after the backslash. */
static info parse_escape(parser *ps)
{
    if (ps->p >= ps->end) {
        ps->bail = 1;
        return info_any();
    }
    char c = *ps->p++;
    switch (c) {
    case 'b':
        return info_char(WB, 1); /* a word boundary: kept as a marker, see below */
    case 'R': {
        info f = info_any();
        f.max = 2; /* \r\n */
        return f;
    }
    case 'X': {
        info f = info_any();
        f.max = -1; /* a grapheme cluster */
        return f;
    }
    case 'B':
    case 'A':
    case 'z':
    case 'Z':
    case 'G':
    case 'K':
        ps->assertions = 1;
        return info_empty();
    case 'd':
    case 'D':
    case 'w':
    case 'W':
    case 's':
    case 'S':
    case 'h':
    case 'H':
    case 'v':
    case 'V':
    case 'N':
    case 'C':
    case 'n':
    case 't':
    case 'r':
    case 'f':
    case 'e':
    case 'a':
        return info_any();
    case 'p':
    case 'P':
        if (ps->p < ps->end && *ps->p == '{')
            skip_braces(ps);
        else if (ps->p < ps->end)
            ps->p++;
        return info_any();
    case 'x': {
        uint32_t v = 0;
        if (ps->p < ps->end && *ps->p == '{') {
            ps->p++;
            while (ps->p < ps->end && *ps->p != '}') {
                int h = hexval(*ps->p++);
                if (h < 0) {
                    ps->bail = 1;
                    return info_any();
                }
                v = v * 16 + (uint32_t)h;
                if (v > 0x10FFFF) {
                    ps->bail = 1;
                    return info_any();
                }
            }
            if (ps->p < ps->end) ps->p++;
        } else {
            for (int k = 0; k < 2 && ps->p < ps->end && hexval(*ps->p) >= 0; k++)
                v = v * 16 + (uint32_t)hexval(*ps->p++);
        }
        return info_cp(v);
    }
    case 'Q': {
        const char *start = ps->p;
        const char *stop = start;
        while (stop < ps->end && !(stop[0] == '\\' && stop + 1 < ps->end && stop[1] == 'E'))
            stop++;
        ps->p = stop < ps->end ? stop + 2 : ps->end;
        info f = {1, {NULL, 0}, 0, {NULL, 0}, 0};
        lset_add(&f.ex, start, (size_t)(stop - start));
        for (const char *q = start; q < stop; q++)
            f.max += ((unsigned char)*q & 0xC0) != 0x80;
        return f;
    }
    case 'E':
        return info_empty();
    default:
        if ((c >= '0' && c <= '9') || c == 'g' || c == 'k' || c == 'o' || c == 'c' || c == 'u' ||
            c == 'U' || c == 'l' || c == 'L') {
            ps->bail = 1; /* back references, octal, control escapes: not analysed */
            return info_any();
        }
        if ((unsigned char)c >= 0x80) {
            ps->p--;
            size_t n = char_len(ps->p, ps->end);
            info f = info_char(ps->p, n);
            ps->p += n;
            return f;
        }
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            ps->bail = 1; /* an escape we do not know */
            return info_any();
        }
        return info_char(&c, 1); /* escaped punctuation: \. \- \? \( ... */
    }
}

/* A character class; ps->p is after '['. Small lists of plain characters stay exact. */
static info parse_class(parser *ps)
{
    info f = {1, {NULL, 0}, 0, {NULL, 0}, 1};
    int simple = 1, first = 1;
    if (ps->p < ps->end && *ps->p == '^') simple = 0, ps->p++;
    while (ps->p < ps->end) {
        char c = *ps->p;
        if (c == ']' && !first) {
            ps->p++;
            break;
        }
        first = 0;
        if (c == '[' && ps->p + 1 < ps->end && ps->p[1] == ':') {
            const char *close = strstr(ps->p + 2, ":]");
            if (!close || close >= ps->end) {
                ps->bail = 1;
                break;
            }
            ps->p = close + 2;
            simple = 0;
            continue;
        }
        if (c == '\\') {
            ps->p++;
            if (ps->p >= ps->end) break;
            char e = *ps->p;
            if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9')) {
                simple = 0;
                ps->p++;
                if ((e == 'p' || e == 'P' || e == 'x') && ps->p < ps->end && *ps->p == '{')
                    skip_braces(ps);
                continue;
            }
            size_t n = char_len(ps->p, ps->end);
            if (simple) lset_add(&f.ex, ps->p, n);
            ps->p += n;
            continue;
        }
        size_t n = char_len(ps->p, ps->end);
        if (ps->p + n < ps->end && ps->p[n] == '-' && ps->p + n + 1 < ps->end &&
            ps->p[n + 1] != ']')
            simple = 0; /* a range */
        if (simple) lset_add(&f.ex, ps->p, n);
        ps->p += n;
    }
    if (!simple || f.ex.n == 0 || f.ex.n > 8) {
        info_free(&f);
        return info_any();
    }
    return f;
}

/* A group; ps->p is after '('. */
static info parse_group(parser *ps)
{
    int assertion = 0;
    if (ps->p < ps->end && *ps->p == '*') { /* (*VERB) */
        ps->assertions = 1;
        while (ps->p < ps->end && *ps->p != ')')
            ps->p++;
        if (ps->p < ps->end) ps->p++;
        return info_empty();
    }
    if (ps->p < ps->end && *ps->p == '?') {
        ps->p++;
        if (ps->p >= ps->end) {
            ps->bail = 1;
            return info_any();
        }
        char c = *ps->p;
        if (c == ':' || c == '|' || c == '>') {
            ps->p++;
        } else if (c == '=' || c == '!') {
            ps->p++, assertion = 1;
        } else if (c == '<' && ps->p + 1 < ps->end && (ps->p[1] == '=' || ps->p[1] == '!')) {
            ps->p += 2, assertion = 1;
        } else if (c == '<' || c == '\'' || (c == 'P' && ps->p + 1 < ps->end && ps->p[1] == '<')) {
            char close = c == '\'' ? '\'' : '>';
            while (ps->p < ps->end && *ps->p != close)
                ps->p++;
            if (ps->p < ps->end) ps->p++;
        } else if (c == '#') {
            while (ps->p < ps->end && *ps->p != ')')
                ps->p++;
            if (ps->p < ps->end) ps->p++;
            return info_empty();
        } else {
            /* inline options (?i) (?-i) (?s:...) — extended mode changes the syntax */
            const char *q = ps->p;
            while (q < ps->end && *q != ')' && *q != ':') {
                if (*q == 'x')
                    ps->bail = 1;
                else if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '-' ||
                           *q == '^'))
                    ps->bail = 1; /* (?R) (?1) (?(cond)...) (?C...) */
                q++;
            }
            if (ps->bail || q >= ps->end) {
                ps->bail = 1;
                return info_any();
            }
            ps->p = q + 1;
            if (*q == ')') return info_empty();
        }
    }
    ps->depth++;
    info inner = parse_alt(ps);
    ps->depth--;
    if (ps->p < ps->end && *ps->p == ')')
        ps->p++;
    else
        ps->bail = 1;
    if (assertion) {
        ps->assertions = 1;
        info_free(&inner);
        return info_empty();
    }
    return inner;
}

static info parse_atom(parser *ps)
{
    char c = *ps->p;
    switch (c) {
    case '(':
        ps->p++;
        return parse_group(ps);
    case '[':
        ps->p++;
        return parse_class(ps);
    case '\\':
        ps->p++;
        return parse_escape(ps);
    case '.':
        ps->p++;
        return info_any();
    case '^':
    case '$':
        ps->p++;
        ps->assertions = 1;
        return info_empty();
    default: {
        size_t n = char_len(ps->p, ps->end);
        if ((unsigned char)c <= WP[0]) ps->bail = 1; /* a raw marker byte: not analysed */
        info f = info_char(ps->p, n);
        ps->p += n;
        return f;
    }
    }
}

/* Reads a {m,n} quantifier at ps->p; returns 1 with *min (and *max, -1 = unbounded). */
static int read_braces(parser *ps, long *min, long *max)
{
    const char *q = ps->p + 1;
    long a = -1, b = -1;
    int comma = 0;
    if (q < ps->end && *q >= '0' && *q <= '9') {
        a = 0;
        while (q < ps->end && *q >= '0' && *q <= '9')
            a = a * 10 + (*q++ - '0');
    }
    if (q < ps->end && *q == ',') {
        comma = 1;
        q++;
        if (q < ps->end && *q >= '0' && *q <= '9') {
            b = 0;
            while (q < ps->end && *q >= '0' && *q <= '9')
                b = b * 10 + (*q++ - '0');
        }
    }
    if (q >= ps->end || *q != '}' || (a < 0 && b < 0)) return 0;
    ps->p = q + 1;
    *min = a < 0 ? 0 : a;
    *max = comma ? b : a;
    return 1;
}

static info quantify(info a, long min, long max)
{
    long most = a.max < 0 || max < 0 ? -1 : a.max * max;
    if (min == 0) {
        if (a.exact && a.ex.n < LSET_MAX && max == 1) {
            lset_free(&a.req);
            a.has_req = 0;
            lset_add(&a.ex, "", 0);
            return a;
        }
        info_free(&a);
        info f = info_any();
        f.exact = 0, f.max = most;
        return f;
    }
    info f = info_any();
    f.max = most;
    f.req = info_best(&a);
    f.has_req = f.req.n > 0;
    if (min >= 2 && a.exact && a.ex.n * a.ex.n <= LSET_MAX) {
        /* [?!]{3,} needs one of ??, ?!, !?, !!: longer than a single character */
        lset two = {NULL, 0};
        for (size_t i = 0; i < a.ex.n; i++)
            for (size_t j = 0; j < a.ex.n; j++) {
                char *t = bd_asprintf("%s%s", a.ex.s[i], a.ex.s[j]);
                lset_add(&two, t, strlen(t));
                free(t);
            }
        offer(&f.req, &f.has_req, two);
    }
    if (min == 1 && max == 1) { /* {1}: unchanged */
        info_free(&f);
        return a;
    }
    info_free(&a);
    return f;
}

static info parse_seq(parser *ps)
{
    lset cur = {NULL, 0};
    lset_add(&cur, "", 0);
    int broken = 0; /* the sequence is no longer one exact set */
    info out = info_any();
    out.max = 0;
    /* Optional pieces at the end of a top-level sequence (`thanks\b(?: so much)?`) decide
     * nothing about whether the pattern matches somewhere: whatever matches with them
     * starts with a match without them, which is a match too. In the first pass (lists of
     * strings) the exact set before them is kept: with it the pattern may still be a list,
     * where the cross product with the optional tails would be too big. */
    lset before_opt = {NULL, 0};
    int in_opt = 0, broken_before_opt = 0;
    while (ps->p < ps->end && *ps->p != '|' && *ps->p != ')' && !ps->bail) {
        info a;
        if (ps->tails && ps->end - ps->p >= 3 && ps->p[0] == '\\' && ps->p[1] == 'w' &&
            (ps->p[2] == '*' || ps->p[2] == '+')) {
            /* a word's tail: exact_literals() takes it at the end of a string */
            a = info_char(ps->p[2] == '*' ? WT : WP, 1);
            ps->p += 3;
            if (ps->p < ps->end && (*ps->p == '?' || *ps->p == '+')) ps->p++;
        } else {
            a = parse_atom(ps);
        }
        /* quantifier */
        if (ps->p < ps->end && !(a.exact && a.ex.n == 1 && (a.ex.s[0][0] == WT[0] ||
                                                           a.ex.s[0][0] == WP[0]))) {
            long min = -1, max = -1;
            char q = *ps->p;
            if (q == '?')
                ps->p++, min = 0, max = 1;
            else if (q == '*')
                ps->p++, min = 0, max = -1;
            else if (q == '+')
                ps->p++, min = 1, max = -1;
            else if (q == '{' && read_braces(ps, &min, &max)) {
            }
            if (min >= 0) {
                if (ps->p < ps->end && (*ps->p == '?' || *ps->p == '+')) ps->p++;
                a = quantify(a, min, max);
            }
            if (ps->tails && ps->depth == 0) {
                if (min == 0 && !in_opt) {
                    in_opt = 1, broken_before_opt = broken;
                    before_opt = lset_copy(&cur);
                } else if (min != 0 && in_opt) {
                    in_opt = 0; /* something required follows: not a tail */
                    lset_free(&before_opt);
                }
            }
        } else if (in_opt) {
            in_opt = 0;
            lset_free(&before_opt);
        }
        out.max = len_add(out.max, a.max);
        if (a.exact && cur.n * a.ex.n <= ps->cross_max) {
            lset next = {NULL, 0};
            char buf[512];
            for (size_t i = 0; i < cur.n; i++)
                for (size_t j = 0; j < a.ex.n; j++) {
                    size_t li = strlen(cur.s[i]), lj = strlen(a.ex.s[j]);
                    if (li + lj >= sizeof buf) {
                        ps->bail = 1; /* absurdly long: not analysed */
                        continue;
                    }
                    memcpy(buf, cur.s[i], li);
                    memcpy(buf + li, a.ex.s[j], lj);
                    lset_add(&next, buf, li + lj);
                }
            lset_free(&cur);
            cur = next;
        } else {
            if (!broken && ps->depth == 0 && !ps->prefix.n) ps->prefix = lset_copy(&cur);
            broken = 1;
            offer(&out.req, &out.has_req, cur);
            cur.s = NULL, cur.n = 0;
            if (a.exact) {
                cur = lset_copy(&a.ex);
            } else {
                lset_add(&cur, "", 0);
                offer(&out.req, &out.has_req, info_best(&a));
            }
        }
        info_free(&a);
    }
    if (in_opt && !broken_before_opt && before_opt.n) { /* drop the optional tail */
        lset_free(&cur);
        cur = before_opt;
        before_opt = (lset){NULL, 0};
        broken = 0;
    }
    lset_free(&before_opt);
    if (!broken) {
        out.exact = 1;
        out.ex = cur;
        return out;
    }
    offer(&out.req, &out.has_req, cur);
    return out;
}

static info parse_alt(parser *ps)
{
    info first = parse_seq(ps);
    if (ps->p >= ps->end || *ps->p != '|') return first;
    if (ps->depth == 0) ps->branches = 1;
    info acc = first;
    long most = first.max;
    int all_req = 1;
    lset reqs = info_best(&acc);
    if (!reqs.n) all_req = 0;
    while (ps->p < ps->end && *ps->p == '|' && !ps->bail) {
        ps->p++;
        info b = parse_seq(ps);
        most = most < 0 || b.max < 0 ? -1 : most > b.max ? most : b.max;
        if (acc.exact && b.exact && acc.ex.n + b.ex.n <= ps->cross_max) {
            for (size_t i = 0; i < b.ex.n; i++)
                lset_add(&acc.ex, b.ex.s[i], strlen(b.ex.s[i]));
        } else {
            acc.exact = 0;
        }
        lset br = info_best(&b);
        if (!br.n || reqs.n + br.n > UNION_MAX) all_req = 0;
        if (all_req)
            for (size_t i = 0; i < br.n; i++)
                lset_add(&reqs, br.s[i], strlen(br.s[i]));
        lset_free(&br);
        info_free(&b);
    }
    info out = info_any();
    out.max = most;
    if (acc.exact) {
        out.exact = 1;
        out.ex = lset_copy(&acc.ex);
    }
    if (all_req) {
        out.has_req = 1;
        out.req = reqs;
    } else {
        lset_free(&reqs);
    }
    info_free(&acc);
    return out;
}

/* The whole pattern is a finite set of strings, with word boundaries at most at their ends
 * and perhaps a word's tail (\w* or \w+) at the end: finding one in the text (boundaries
 * checked) is a match. Fills *out with each string as [WB] text [WB | WP]: WB asks for a
 * boundary, a trailing WP for a word character after the text (\w+); a trailing \w* asks
 * for nothing (it may match no character), and \w*\b nothing either after a word
 * character. */
static size_t exact_literals(const info *f, char ***out)
{
    if (!f->exact || !f->ex.n || f->ex.n > EXACT_MAX) return 0;
    char **res = bd_calloc(f->ex.n, sizeof *res);
    size_t k = 0;
    for (; k < f->ex.n; k++) {
        const char *m = f->ex.s[k];
        size_t n = strlen(m);
        size_t a = n && m[0] == WB[0];
        const char *tail = "";
        if (n > a + 1 && m[n - 1] == WB[0] && (m[n - 2] == WT[0] || m[n - 2] == WP[0])) n--;
        if (n > a && m[n - 1] == WT[0]) {
            n--;
            if (m[n + 1] == WB[0] && !ends_word(m + a, n - a)) break; /* \w*\b after a non-word */
        } else if (n > a && m[n - 1] == WP[0]) {
            n--, tail = WP;
        } else if (n > a && m[n - 1] == WB[0]) {
            n--, tail = WB;
        }
        const char *t = m + a;
        size_t tn = n - a;
        int bad = 0;
        for (size_t i = 0; i < tn && !bad; i++)
            bad = (unsigned char)t[i] < 0x20 || (t[i] >= 'A' && t[i] <= 'Z');
        size_t chars = 0;
        for (size_t i = 0; i < tn; i++)
            chars += ((unsigned char)t[i] & 0xC0) != 0x80;
        /* one character will do when it is not ASCII (慢, 늦, an emoji): three or four
         * bytes are rare enough in text not to wake the automaton all the time */
        if (bad || (chars < 2 && tn < 3)) break;
        if ((a && !starts_word(t, tn)) || (tail[0] == WB[0] && !ends_word(t, tn))) break;
        size_t nl;
        char *norm = classify_normalize(t, tn, &nl);
        int same = nl == tn && memcmp(norm, t, nl) == 0;
        free(norm);
        if (!same) break; /* the text never holds it as written */
        res[k] = bd_asprintf("%s%.*s%s", a ? WB : "", (int)tn, t, tail);
    }
    if (k < f->ex.n) {
        for (size_t i = 0; i < k; i++)
            free(res[i]);
        free(res);
        return 0;
    }
    *out = res;
    return f->ex.n;
}

static int lset_same(const lset *a, const lset *b)
{
    if (a->n != b->n) return 0;
    for (size_t i = 0; i < a->n; i++) {
        int found = 0;
        for (size_t j = 0; j < b->n && !found; j++)
            found = strcmp(a->s[i], b->s[j]) == 0;
        if (!found) return 0;
    }
    return 1;
}

size_t cl_required_literals(const char *pattern, char ***out, int *exact, int *prefix,
                            long *max_bytes)
{
    *out = NULL;
    *exact = 0;
    *prefix = 0;
    *max_bytes = -1;
    /* first as a list of strings (large cross products allowed), else for a requirement
     * (small ones: fewer, shorter literals) */
    parser ps = {pattern, pattern + strlen(pattern), EXACT_MAX, 0, 0, 0, 0, 1, {NULL, 0}};
    info f = parse_alt(&ps);
    if (ps.p < ps.end) ps.bail = 1; /* an unbalanced ')' */
    lset_free(&ps.prefix);
    if (!ps.bail && !ps.assertions) {
        size_t n = exact_literals(&f, out);
        if (n) {
            info_free(&f);
            *exact = *prefix = 1;
            return n;
        }
    }
    info_free(&f);
    ps = (parser){pattern, pattern + strlen(pattern), LSET_MAX, 0, 0, 0, 0, 0, {NULL, 0}};
    f = parse_alt(&ps);
    if (ps.p < ps.end) ps.bail = 1;
    lset best = ps.bail ? (lset){NULL, 0} : info_best(&f);
    /* a character of the text is at most 4 bytes of UTF-8 */
    if (!ps.bail && f.max >= 0 && f.max < (1L << 20)) *max_bytes = 4 * f.max;
    info_free(&f);
    /* every match starts with one of them: the search may start at the first one found */
    int starts = !ps.branches && best.n && lset_same(&best, &ps.prefix);
    lset_free(&ps.prefix);
    /* normalise like the text; a member that normalises to (almost) nothing is useless.
     * A match that contains a member contains its first bytes too: members are cut to
     * LIT_MAX bytes (on a character boundary), which keeps the automaton small. */
    lset norm = {NULL, 0};
    int ok = best.n > 0;
    for (size_t i = 0; ok && i < best.n; i++) {
        /* word boundaries at the ends become flags (a marker byte), inner ones go */
        const char *m = best.s[i];
        size_t ml = strlen(m);
        int start = ml && m[0] == WB[0], end = ml && m[ml - 1] == WB[0];
        char *bare = bd_malloc(ml + 1);
        size_t bl = 0;
        for (size_t k = 0; k < ml; k++)
            if (m[k] != WB[0]) bare[bl++] = m[k];
        bare[bl] = '\0';
        size_t n;
        char *s = classify_normalize(bare, bl, &n);
        free(bare);
        if (n > LIT_MAX) {
            n = LIT_MAX;
            while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
                n--;
            end = 0;
        }
        /* a boundary only means "no word character next to it" when the literal itself
         * starts (ends) with one */
        if (!starts_word(s, n)) start = 0;
        if (!ends_word(s, n)) end = 0;
        if (n < 2) {
            ok = 0;
        } else {
            char *lit = bd_asprintf("%s%.*s%s", start ? WB : "", (int)n, s, end ? WB : "");
            lset_add(&norm, lit, strlen(lit));
            free(lit);
        }
        free(s);
    }
    lset_free(&best);
    /* a member containing another member adds nothing: "orders" is found with "order"
     * (only an unflagged member can stand for others) */
    for (size_t i = 0; ok && i < norm.n;) {
        int redundant = 0;
        for (size_t j = 0; j < norm.n && !redundant; j++)
            redundant = j != i && !strchr(norm.s[j], WB[0]) &&
                        strlen(norm.s[j]) < strlen(norm.s[i]) && strstr(norm.s[i], norm.s[j]);
        if (redundant) {
            free(norm.s[i]);
            norm.s[i] = norm.s[--norm.n];
        } else {
            i++;
        }
    }
    if (!ok) {
        lset_free(&norm);
        return 0;
    }
    *out = norm.s;
    *prefix = starts;
    return norm.n;
}
