/*
 * prefilter.c — Aho-Corasick automaton over the required literals of a language's
 * patterns (see literal.c). One pass over the normalised text reports every literal that
 * occurs; only the patterns owning one of them (plus the few without a usable literal) are
 * then run through PCRE2. The automaton is a full DFA over byte classes: bytes that appear
 * in no literal share class 0, so the table stays small. A literal that follows (precedes) a
 * \b in its pattern only counts where no word character (a letter or digit of any script, as
 * PCRE2 sees them with UCP) stands before (after) it: "hi" in "this" does not wake up
 * /\bhi\b/, nor "нет" in "монета" /\bнет\b/.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

enum { AC_WSTART = 1, AC_WEND = 2, AC_EVERY = 4 };
#define AC_OUT16 0x8000u /* in a 16-bit transition: the target state has outputs */

struct cl_ac {
    uint8_t cls[256];
    uint32_t n_cls, n_states;
    uint32_t *delta;   /* n_states * n_cls */
    uint16_t *delta16; /* the same, when the states fit 16 bits (half the cache) */
    uint32_t *out_off; /* n_states + 1: outputs of state s are out[out_off[s]..] */
    uint32_t *out;
    uint8_t *flags; /* per literal: AC_WSTART, AC_WEND (word boundary required) */
    uint8_t *len;   /* per literal: its length in bytes */
};

cl_ac *cl_ac_build(char *const *marked, const uint8_t *every, size_t n)
{
    cl_ac *ac = bd_calloc(1, sizeof *ac);
    ac->flags = bd_calloc(n ? n : 1, 1);
    ac->len = bd_calloc(n ? n : 1, 1);
    /* a leading / trailing \x01 (literal.c) asks for a word boundary there */
    char **lits = bd_malloc((n ? n : 1) * sizeof *lits);
    for (size_t i = 0; i < n; i++) {
        const char *m = marked[i];
        size_t k = strlen(m);
        if (k && m[0] == '\x01') ac->flags[i] |= AC_WSTART, m++, k--;
        if (k && m[k - 1] == '\x01') ac->flags[i] |= AC_WEND, k--;
        if (every && every[i]) ac->flags[i] |= AC_EVERY;
        lits[i] = bd_strndup(m, k);
        ac->len[i] = (uint8_t)(k < 255 ? k : 255);
    }
    size_t total = 1;
    ac->n_cls = 1;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *s = (const unsigned char *)lits[i];
        for (; *s; s++, total++)
            if (!ac->cls[*s]) ac->cls[*s] = (uint8_t)ac->n_cls++;
    }
    size_t nc = ac->n_cls;
    uint32_t *next = bd_malloc(total * nc * sizeof *next);
    memset(next, 0xFF, total * nc * sizeof *next); /* UINT32_MAX: no edge */
    /* own outputs per state, as linked lists during the build */
    int64_t *own_head = bd_malloc(total * sizeof *own_head);
    int64_t *own_next = bd_malloc((n ? n : 1) * sizeof *own_next);
    for (size_t i = 0; i < total; i++)
        own_head[i] = -1;
    uint32_t states = 1;
    for (size_t i = 0; i < n; i++) {
        uint32_t s = 0;
        for (const unsigned char *p = (const unsigned char *)lits[i]; *p; p++) {
            uint32_t *e = &next[s * nc + ac->cls[*p]];
            if (*e == UINT32_MAX) *e = states++;
            s = *e;
        }
        own_next[i] = own_head[s];
        own_head[s] = (int64_t)i;
    }
    /* breadth-first: fail links, full transitions, merged outputs */
    uint32_t *fail = bd_calloc(states, sizeof *fail);
    uint32_t *queue = bd_malloc(states * sizeof *queue);
    size_t qh = 0, qt = 0;
    for (size_t c = 0; c < nc; c++) {
        uint32_t t = next[c];
        if (t == UINT32_MAX)
            next[c] = 0;
        else
            fail[t] = 0, queue[qt++] = t;
    }
    while (qh < qt) {
        uint32_t u = queue[qh++];
        for (size_t c = 0; c < nc; c++) {
            uint32_t t = next[u * nc + c];
            if (t == UINT32_MAX) {
                next[u * nc + c] = next[fail[u] * nc + c];
            } else {
                fail[t] = next[fail[u] * nc + c];
                queue[qt++] = t;
            }
        }
    }
    /* outputs: own ∪ outputs of the fail state (already final: it is shallower) */
    ac->out_off = bd_calloc(states + 1, sizeof *ac->out_off);
    uint32_t *cnt = bd_calloc(states, sizeof *cnt);
    uint32_t order_len = 0;
    uint32_t *order = bd_malloc(states * sizeof *order);
    order[order_len++] = 0;
    for (size_t k = 0; k < qt; k++)
        order[order_len++] = queue[k];
    for (uint32_t k = 0; k < order_len; k++) {
        uint32_t u = order[k];
        uint32_t c = 0;
        for (int64_t o = own_head[u]; o >= 0; o = own_next[o])
            c++;
        if (u) c += cnt[fail[u]];
        cnt[u] = c;
    }
    for (uint32_t s = 0; s < states; s++)
        ac->out_off[s + 1] = ac->out_off[s] + cnt[s];
    ac->out = bd_malloc((ac->out_off[states] ? ac->out_off[states] : 1) * sizeof *ac->out);
    for (uint32_t k = 0; k < order_len; k++) {
        uint32_t u = order[k];
        uint32_t w = ac->out_off[u];
        for (int64_t o = own_head[u]; o >= 0; o = own_next[o])
            ac->out[w++] = (uint32_t)o;
        if (u)
            for (uint32_t j = ac->out_off[fail[u]]; j < ac->out_off[fail[u] + 1]; j++)
                ac->out[w++] = ac->out[j];
    }
    ac->n_states = states;
    ac->delta = bd_realloc(next, (size_t)states * nc * sizeof *next);
    if (states <= AC_OUT16) {
        /* 16 bits: the state number, and the top bit when the state has outputs */
        ac->delta16 = bd_malloc((size_t)states * nc * sizeof *ac->delta16);
        for (size_t k = 0; k < (size_t)states * nc; k++) {
            uint32_t t = ac->delta[k];
            ac->delta16[k] = (uint16_t)(t | (ac->out_off[t] != ac->out_off[t + 1] ? AC_OUT16 : 0));
        }
        free(ac->delta);
        ac->delta = NULL;
    }
    free(own_head);
    free(own_next);
    free(fail);
    free(queue);
    free(cnt);
    free(order);
    for (size_t i = 0; i < n; i++)
        free(lits[i]);
    free(lits);
    return ac;
}

void cl_ac_free(cl_ac *ac)
{
    if (!ac) return;
    free(ac->delta);
    free(ac->delta16);
    free(ac->out_off);
    free(ac->out);
    free(ac->flags);
    free(ac->len);
    free(ac);
}

int cl_word_cp(int32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
               cp == '_';
    utf8proc_category_t c = utf8proc_category(cp);
    if (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) return 1;
    if (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO) return 1;
    if ((c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME) || c == UTF8PROC_CATEGORY_PC)
        return 2;
    return 0;
}

/* The code point of the UTF-8 sequence at p[0..n) (n > 0), or -1 when it is not one. */
static int32_t cp_at(const unsigned char *p, size_t n)
{
    utf8proc_int32_t cp;
    return utf8proc_iterate(p, (utf8proc_ssize_t)(n < 4 ? n : 4), &cp) > 0 ? cp : -1;
}

int cl_word_after(const char *text, size_t n, size_t i)
{
    const unsigned char *p = (const unsigned char *)text;
    if (i >= n) return 0;
    if (p[i] < 0x80) return cl_word_cp(p[i]);
    int32_t cp = cp_at(p + i, n - i);
    return cp < 0 ? 2 : cl_word_cp(cp);
}

int cl_word_before(const char *text, size_t i)
{
    const unsigned char *p = (const unsigned char *)text;
    if (i == 0) return 0;
    if (p[i - 1] < 0x80) return cl_word_cp(p[i - 1]);
    size_t k = i - 1;
    while (k > 0 && i - k < 4 && (p[k] & 0xC0) == 0x80)
        k--;
    int32_t cp = cp_at(p + k, i - k);
    return cp < 0 ? 2 : cl_word_cp(cp);
}

/* Reports the outputs of state s at text offset i (the last byte of the match) whose word
 * boundaries hold. */
static void outputs(const cl_ac *ac, uint32_t s, const unsigned char *p, size_t n, size_t i,
                    void (*hit)(void *ud, uint32_t id, size_t start, size_t end, int sure),
                    void *ud)
{
    for (uint32_t j = ac->out_off[s]; j < ac->out_off[s + 1]; j++) {
        uint32_t id = ac->out[j];
        uint8_t f = ac->flags[id];
        int sure = 1;
        size_t start = i + 1 - ac->len[id];
        if (f & (AC_WSTART | AC_WEND)) { /* the literal's end is a word character: a word
                                            character next to it breaks the \b */
            if (f & AC_WSTART) {
                int w = cl_word_before((const char *)p, start);
                if (w == 1) continue;
                if (w == 2) sure = 0;
            }
            if (f & AC_WEND) {
                int w = cl_word_after((const char *)p, n, i + 1);
                if (w == 1) continue;
                if (w == 2) sure = 0;
            }
        }
        hit(ud, id, start, i + 1, sure);
    }
}

int cl_ac_every(const cl_ac *ac, uint32_t id)
{
    return (ac->flags[id] & AC_EVERY) != 0;
}

void cl_ac_scan(const cl_ac *ac, const char *text, size_t n,
                void (*hit)(void *ud, uint32_t id, size_t start, size_t end, int sure), void *ud)
{
    const unsigned char *p = (const unsigned char *)text;
    uint32_t nc = ac->n_cls;
    if (ac->delta16) {
        const uint16_t *d = ac->delta16;
        uint32_t s = 0;
        for (size_t i = 0; i < n; i++) {
            uint32_t t = d[s * nc + ac->cls[p[i]]];
            s = t & ~AC_OUT16;
            if (t & AC_OUT16) outputs(ac, s, p, n, i, hit, ud);
        }
        return;
    }
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++) {
        s = ac->delta[s * nc + ac->cls[p[i]]];
        if (ac->out_off[s] != ac->out_off[s + 1]) outputs(ac, s, p, n, i, hit, ud);
    }
}
