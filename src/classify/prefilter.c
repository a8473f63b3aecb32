/*
 * prefilter.c — Aho-Corasick automaton over the required literals of a language's
 * patterns (see literal.c). One pass over the normalised text reports every literal that
 * occurs; only the patterns owning one of them (plus the few without a usable literal) are
 * then run through PCRE2. The automaton is a full DFA over byte classes: bytes that appear
 * in no literal share class 0, so the table stays small.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

struct cl_ac {
    uint8_t cls[256];
    uint32_t n_cls, n_states;
    uint32_t *delta;          /* n_states * n_cls */
    uint32_t *out_off;        /* n_states + 1: outputs of state s are out[out_off[s]..] */
    uint32_t *out;
};

cl_ac *cl_ac_build(char *const *lits, size_t n)
{
    cl_ac *ac = bd_calloc(1, sizeof *ac);
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
    for (size_t i = 0; i < total; i++) own_head[i] = -1;
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
        if (t == UINT32_MAX) next[c] = 0;
        else fail[t] = 0, queue[qt++] = t;
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
    for (size_t k = 0; k < qt; k++) order[order_len++] = queue[k];
    for (uint32_t k = 0; k < order_len; k++) {
        uint32_t u = order[k];
        uint32_t c = 0;
        for (int64_t o = own_head[u]; o >= 0; o = own_next[o]) c++;
        if (u) c += cnt[fail[u]];
        cnt[u] = c;
    }
    for (uint32_t s = 0; s < states; s++) ac->out_off[s + 1] = ac->out_off[s] + cnt[s];
    ac->out = bd_malloc((ac->out_off[states] ? ac->out_off[states] : 1) * sizeof *ac->out);
    for (uint32_t k = 0; k < order_len; k++) {
        uint32_t u = order[k];
        uint32_t w = ac->out_off[u];
        for (int64_t o = own_head[u]; o >= 0; o = own_next[o]) ac->out[w++] = (uint32_t)o;
        if (u)
            for (uint32_t j = ac->out_off[fail[u]]; j < ac->out_off[fail[u] + 1]; j++)
                ac->out[w++] = ac->out[j];
    }
    ac->n_states = states;
    ac->delta = bd_realloc(next, (size_t)states * nc * sizeof *next);
    free(own_head);
    free(own_next);
    free(fail);
    free(queue);
    free(cnt);
    free(order);
    return ac;
}

void cl_ac_free(cl_ac *ac)
{
    if (!ac) return;
    free(ac->delta);
    free(ac->out_off);
    free(ac->out);
    free(ac);
}

void cl_ac_scan(const cl_ac *ac, const char *text, size_t n, uint32_t *seen, uint32_t stamp,
                void (*hit)(void *ud, uint32_t id), void *ud)
{
    const unsigned char *p = (const unsigned char *)text;
    const uint32_t *delta = ac->delta;
    const uint32_t *off = ac->out_off;
    uint32_t nc = ac->n_cls, s = 0;
    for (size_t i = 0; i < n; i++) {
        s = delta[s * nc + ac->cls[p[i]]];
        if (off[s] != off[s + 1]) {
            for (uint32_t j = off[s]; j < off[s + 1]; j++) {
                uint32_t id = ac->out[j];
                if (seen[id] != stamp) {
                    seen[id] = stamp;
                    hit(ud, id);
                }
            }
        }
    }
}
