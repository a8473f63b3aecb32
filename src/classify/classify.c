/*
 * classify.c — one message through the rules: the taxonomy, running the rules of the
 * detected language and of English (prefiltered, JIT-compiled), scoring, precedence,
 * confidence, urgency, sentiment, and the JSON form of a result.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const classify_langs[CLASSIFY_N_LANGS] = {"en", "es", "fr", "de", "it", "pt",
                                                      "ru", "pl", "ja", "ko", "ar", "zh"};

/* Taxonomy order: ties go to the one listed first. */
const char *const classify_subcategories[CLASSIFY_N_SUBS] = {
    "product_info", "stock",     "bargain",  "shipping_quote", "payment",          "customs_tax",
    "sample",       "tracking",  "delay",    "not_received",   "customs_hold",     "order_change",
    "refund",       "return",    "damaged",  "wrong_item",     "not_as_described", "missing_item",
    "chargeback",   "complaint", "positive", "negative",       "revision",         "account",
    "invoice",      "greeting",  "spam",     "unknown"};

enum { S_PRE = 0, S_SHIP = 7, S_DISP = 12, S_REVIEW = 20, S_OTHER = 23 };
enum {
    S_REFUND = 12,
    S_RETURN = 13,
    S_DAMAGED = 14,
    S_MISSING = 17,
    S_CHARGEBACK = 18,
    S_COMPLAINT = 19,
    S_POSITIVE = 20,
    S_NEGATIVE = 21,
    S_REVISION = 22,
    S_GREETING = 25,
    S_SPAM = 26,
    S_UNKNOWN = 27,
    S_DELAY = 8,
    S_NOT_RECEIVED = 9,
    S_CUSTOMS_HOLD = 10,
    S_ORDER_CHANGE = 11
};

const char *const classify_flag_names[CLASSIFY_N_FLAGS] = {"threatens_negative_feedback",
                                                           "threatens_dispute", "angry",
                                                           "mentions_order", "repeated_contact"};

static const char *category_name(int sub)
{
    if (sub < S_SHIP) return "pre_sale";
    if (sub < S_DISP) return "shipping";
    if (sub < S_REVIEW) return "dispute";
    if (sub < S_OTHER) return "review";
    return "other";
}

int classify_lang_index(const char *lang)
{
    if (!lang) return -1;
    for (int i = 0; i < CLASSIFY_N_LANGS; i++)
        if (strcmp(lang, classify_langs[i]) == 0) return i;
    return -1;
}

int cl_sub_index(const char *name)
{
    if (!name) return -1;
    for (int i = 0; i < CLASSIFY_N_SUBS; i++)
        if (strcmp(name, classify_subcategories[i]) == 0) return i;
    return -1;
}

const char *classify_category_of(const char *subcategory)
{
    int i = cl_sub_index(subcategory);
    return i < 0 ? NULL : category_name(i);
}

int classify_sub_index(const char *category, const char *subcategory)
{
    int i = cl_sub_index(subcategory);
    if (i < 0 || !category || strcmp(category_name(i), category) != 0) return -1;
    return i;
}

int cl_sub_is_defect(int sub)
{
    return sub >= S_DAMAGED && sub <= S_MISSING;
}
int cl_sub_is_problem(int sub)
{
    return sub >= S_SHIP && sub < S_REVIEW;
}
int cl_sub_chargeback(void)
{
    return S_CHARGEBACK;
}

unsigned classify_flag_bit(const char *name)
{
    for (int i = 0; i < CLASSIFY_N_FLAGS; i++)
        if (name && strcmp(name, classify_flag_names[i]) == 0) return 1u << i;
    return 0;
}

int classify_urgency_priority(const char *u)
{
    static const char *const names[] = {"low", "normal", "high", "urgent"};
    for (int i = 0; i < 4; i++)
        if (u && strcmp(u, names[i]) == 0) return i;
    return 1;
}

/* ---- scratch ---- */

classify_scratch *classify_scratch_new(const classify_rules *r)
{
    classify_scratch *s = bd_calloc(1, sizeof *s);
    s->md = pcre2_match_data_create(1, NULL);
    s->mctx = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(s->mctx, 200000);
    pcre2_set_depth_limit(s->mctx, 5000);
    s->jit_stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024, NULL);
    if (s->jit_stack) pcre2_jit_stack_assign(s->mctx, NULL, s->jit_stack);
    for (int i = 0; i < CLASSIFY_N_LANGS; i++) /* one scratch that fits every database */
        if (r->langs[i].hs_db && hs_alloc_scratch(r->langs[i].hs_db, &s->hs) != HS_SUCCESS)
            abort(); /* only ever out of memory: like every allocation failure */
    s->cap_pats = r->max_pats ? r->max_pats : 1;
    s->cap_lits = r->max_lits ? r->max_lits : 1;
    s->cap_rules = r->max_rules ? r->max_rules : 1;
    s->pat_stamp = bd_calloc(s->cap_pats, sizeof *s->pat_stamp);
    s->pat_proven = bd_calloc(s->cap_pats, sizeof *s->pat_proven);
    s->pat_first = bd_calloc(s->cap_pats, sizeof *s->pat_first);
    s->lit_seen = bd_calloc(s->cap_lits, sizeof *s->lit_seen);
    s->lit_last = bd_calloc(s->cap_lits, sizeof *s->lit_last);
    s->rule_stamp = bd_calloc(s->cap_rules, sizeof *s->rule_stamp);
    s->cand = bd_malloc(s->cap_rules * sizeof *s->cand);
    return s;
}

void classify_scratch_free(classify_scratch *s)
{
    if (!s) return;
    pcre2_match_data_free(s->md);
    pcre2_match_context_free(s->mctx);
    pcre2_jit_stack_free(s->jit_stack);
    hs_free_scratch(s->hs);
    free(s->runs);
    for (size_t i = 0; i < CL_BATCH; i++) {
        bd_buf_free(&s->slots[i].text);
        for (int k = 0; k < 2; k++) {
            free(s->slots[i].hits[k].hs);
            free(s->slots[i].hits[k].ac);
        }
    }
    free(s->pat_stamp);
    free(s->pat_proven);
    free(s->pat_first);
    free(s->lit_seen);
    free(s->lit_last);
    free(s->rule_stamp);
    free(s->cand);
    free(s);
}

static uint32_t next_stamp(classify_scratch *s)
{
    if (++s->stamp == 0) { /* wrapped: forget every old mark */
        memset(s->pat_stamp, 0, s->cap_pats * sizeof *s->pat_stamp);
        memset(s->pat_proven, 0, s->cap_pats * sizeof *s->pat_proven);
        memset(s->lit_seen, 0, s->cap_lits * sizeof *s->lit_seen);
        memset(s->rule_stamp, 0, s->cap_rules * sizeof *s->rule_stamp);
        s->stamp = 1;
    }
    return s->stamp;
}

/* ---- running one language's rules ---- */

typedef struct run_ctx {
    const classify_rules *rules;
    const cl_lang *lang;
    classify_scratch *s;
    const char *text;
    size_t subj_end, body_start, len;
    /* accumulators */
    double score[CLASSIFY_N_SUBS];
    double sentiment;
    int urgency;
    unsigned flags;
    classify_result *out;
    bd_err *err;
    int failed;
} run_ctx;

/* A literal seen at [start, end): its patterns become candidates. For a pattern that is a
 * list of strings, only a whole string found there counts: with sure boundaries it proves
 * the pattern, otherwise PCRE2 decides (every occurrence of such a literal is reported). */
static void on_literal(void *ud, uint32_t id, size_t start, size_t end, int sure)
{
    run_ctx *c = ud;
    const cl_lang *l = c->lang;
    classify_scratch *s = c->s;
    (void)end;
    for (uint32_t k = l->lit_off[id]; k < l->lit_off[id + 1]; k++) {
        const cl_lit_use *u = &l->uses[k];
        uint32_t p = u->pat;
        if (s->pat_proven[p] == s->stamp) continue;
        if (u->full_len) {
            /* the literal is there: then the next 8 bytes, then the rest (the text has 64
             * zero bytes after it, so 8 can always be read) */
            if (start + u->full_len > c->len) continue;
            const char *t = c->text + start + u->lit_len;
            uint32_t tail = u->full_len - u->lit_len;
            uint64_t have;
            memcpy(&have, t, 8);
            if (tail < 8) have &= ((uint64_t)1 << (8 * tail)) - 1;
            if (have != u->next8) continue;
            if (tail > 8 && memcmp(t + 8, u->full + u->lit_len + 8, tail - 8)) continue;
            size_t e = start + u->full_len;
            int next = u->full_wend ? cl_word_after(c->text, c->len, e) : 0;
            if (u->full_wend == CL_NEXT_NONWORD && next == 1) continue;
            if (u->full_wend == CL_NEXT_WORD && next == 0) continue;
            int where = l->rules[l->pats[p].rule].where;
            int inside = where == CL_WHERE_ANY || (where == CL_WHERE_SUBJECT && e <= c->subj_end) ||
                         (where == CL_WHERE_BODY && start >= c->body_start);
            if (sure && inside && next != 2) s->pat_proven[p] = s->stamp;
        }
        if (s->pat_stamp[p] != s->stamp || start < s->pat_first[p])
            s->pat_first[p] = (uint32_t)start; /* where its earliest literal starts */
        s->pat_stamp[p] = s->stamp;
        if (l->pats[p].unless) continue; /* a veto: looked at only if its rule fires */
        uint32_t rule = l->pats[p].rule;
        if (s->rule_stamp[rule] != s->stamp) {
            s->rule_stamp[rule] = s->stamp;
            s->cand[s->n_cand++] = rule;
        }
    }
}

/* Pattern p may match: its rule becomes a candidate (a veto is looked at only if its rule
 * fires). */
static void candidate(run_ctx *c, uint32_t p)
{
    classify_scratch *s = c->s;
    s->pat_stamp[p] = s->stamp;
    if (c->lang->pats[p].unless) return;
    uint32_t rule = c->lang->pats[p].rule;
    if (s->rule_stamp[rule] != s->stamp) {
        s->rule_stamp[rule] = s->stamp;
        s->cand[s->n_cand++] = rule;
    }
}

/* Where a match of pattern pi can start, from what the prefilter saw: every match holds an
 * occurrence of one of its literals, so it starts at the latest where the last one starts
 * (*limit), and at the earliest where the first one starts, less the longest match the
 * pattern allows (*from; the first itself when every match starts with a literal). Without
 * literals: anywhere (0, PCRE2_UNSET). */
static void window(const run_ctx *c, uint32_t pi, size_t *from, size_t *limit)
{
    const cl_lang *l = c->lang;
    const classify_scratch *s = c->s;
    const cl_pattern *p = &l->pats[pi];
    *from = 0;
    *limit = PCRE2_UNSET;
    if (s->pat_stamp[pi] != s->stamp) return;
    if (p->hs) { /* pat_first: where Hyperscan's first report ended (run_lang) */
        size_t end = s->pat_first[pi];
        if (p->max_len >= 0 && end > (size_t)p->max_len) *from = end - (size_t)p->max_len;
        return;
    }
    if (!p->filtered) return;
    size_t first = s->pat_first[pi];
    if (p->prefix)
        *from = first;
    else if (p->max_len >= 0)
        *from = first > (size_t)p->max_len ? first - (size_t)p->max_len : 0;
    uint32_t last = 0;
    for (uint32_t k = l->pat_lit_off[pi]; k < l->pat_lit_off[pi + 1]; k++) {
        uint32_t lit = l->pat_lits[k];
        if (s->lit_seen[lit] == s->stamp && s->lit_last[lit] > last) last = s->lit_last[lit];
    }
    *limit = last;
}

/* 1 match, 0 no match (or a limit hit), -1 error. A match must start in [from, limit]
 * (offsets in the whole text; limit PCRE2_UNSET: anywhere). */
static int match(run_ctx *c, const cl_pattern *p, int where, size_t from, size_t limit)
{
    const char *t = c->text;
    size_t n = c->len;
    if (where == CL_WHERE_SUBJECT) {
        n = c->subj_end;
    } else if (where == CL_WHERE_BODY) {
        t += c->body_start, n -= c->body_start;
        from = from > c->body_start ? from - c->body_start : 0;
        if (limit != PCRE2_UNSET) {
            if (limit < c->body_start) return 0; /* its literals are all in the subject */
            limit -= c->body_start;
        }
    }
    if (from > n || (limit != PCRE2_UNSET && from > limit)) return 0;
    cl_pattern_jit(c->rules, p);
    if (!p->code) return 0; /* cannot happen: a cached analysis vouched for it */
    if (!c->rules->naive) pcre2_set_offset_limit(c->s->mctx, limit);
    int rc = pcre2_match(p->code, (PCRE2_SPTR)t, n, from, PCRE2_NO_UTF_CHECK, c->s->md, c->s->mctx);
    if (rc >= 0) return 1;
    if (rc == PCRE2_ERROR_NOMATCH || rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
        rc == PCRE2_ERROR_JIT_STACKLIMIT)
        return 0;
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(rc, msg, sizeof msg);
    bd_err_set(c->err, "pattern \"%s\": %s", p->src, (const char *)msg);
    return -1;
}

static void record(run_ctx *c, const cl_rule *r)
{
    classify_result *out = c->out;
    if (out->n_fired < CLASSIFY_MAX_FIRED) out->fired[out->n_fired] = r->id;
    out->n_fired++;
    if (r->sub >= 0) c->score[r->sub] += r->weight;
    c->flags |= r->flags;
    c->sentiment += r->sentiment * r->weight;
    if (r->urgency > c->urgency) c->urgency = r->urgency;
}

/* Runs rule ri if any of its candidate triggers matches and no veto does. */
static int run_rule(run_ctx *c, uint32_t ri, int prefiltered)
{
    const cl_lang *l = c->lang;
    const cl_rule *r = &l->rules[ri];
    int fired = 0;
    for (uint32_t k = 0; k < r->n_pat && !fired; k++) {
        uint32_t p = r->first_pat + k;
        if (!l->pats[p].ok) continue;
        if (prefiltered && c->s->pat_stamp[p] != c->s->stamp) continue;
        if (prefiltered && c->s->pat_proven[p] == c->s->stamp) {
            fired = 1;
            break;
        }
        size_t from = 0, limit = PCRE2_UNSET;
        if (prefiltered) window(c, p, &from, &limit);
        int m = match(c, &l->pats[p], r->where, from, limit);
        if (m < 0) return -1;
        fired = m;
    }
    for (uint32_t k = 0; k < r->n_unless && fired; k++) {
        uint32_t pi = r->first_unless + k;
        const cl_pattern *p = &l->pats[pi];
        if (!p->ok) continue;
        if (prefiltered && (p->filtered || p->hs)) {
            if (c->s->pat_stamp[pi] != c->s->stamp) continue; /* cannot match here */
            if (c->s->pat_proven[pi] == c->s->stamp) {
                fired = 0;
                break;
            }
        }
        size_t from = 0, limit = PCRE2_UNSET;
        if (prefiltered) window(c, pi, &from, &limit);
        int m = match(c, p, r->where, from, limit);
        if (m < 0) return -1;
        if (m) fired = 0;
    }
    if (fired) record(c, r);
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* ---- scanning: what a language's prefilters find in a text, kept for run_lang ---- */

static int keep_hs(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                   void *ud)
{
    cl_hits *h = ud;
    (void)from, (void)flags;
    if (h->n_hs == h->cap_hs) {
        h->cap_hs = h->cap_hs ? 2 * h->cap_hs : 64;
        h->hs = bd_realloc(h->hs, h->cap_hs * sizeof *h->hs);
    }
    h->hs[h->n_hs++] = (cl_hsm){id, (uint32_t)to};
    return 0;
}

static void keep_occ(void *ud, uint32_t id, size_t start, size_t end, int sure)
{
    cl_hits *h = ud;
    if (h->n_ac == h->cap_ac) {
        h->cap_ac = h->cap_ac ? 2 * h->cap_ac : 128;
        h->ac = bd_realloc(h->ac, h->cap_ac * sizeof *h->ac);
    }
    h->ac[h->n_ac++] = (cl_occ){id, (uint32_t)start, (uint32_t)end, (uint32_t)sure};
}

/* Runs language l's Hyperscan database (each pattern reported once, at the end of its first
 * match: HS_FLAG_SINGLEMATCH, reports in the order of their ends) and literal automaton
 * over the slot's text. */
static void scan(const classify_rules *r, const cl_lang *l, classify_scratch *s,
                 const cl_slot *slot, cl_hits *h)
{
    h->n_hs = h->n_ac = 0;
    h->failed = 0;
    if (r->naive || !l->n_rules) return;
    if (l->hs_db) {
        hs_error_t rc =
            hs_scan(l->hs_db, slot->text.data, (unsigned)slot->len, 0, s->hs, keep_hs, h);
        if (rc != HS_SUCCESS) h->failed = (int)rc;
    }
    if (l->n_lits) cl_ac_scan(l->ac, slot->text.data, slot->len, keep_occ, h);
}

/* ---- running a language's rules on what its scans found ---- */

/* A literal occurrence, in text order: the first of each literal is reported (each one for
 * a string of a list); where the last one starts is kept for window(). */
static void literal_seen(run_ctx *c, const cl_occ *o)
{
    classify_scratch *s = c->s;
    s->lit_last[o->lit] = o->start;
    if (s->lit_seen[o->lit] == s->stamp && !cl_ac_every(c->lang->ac, o->lit)) return;
    s->lit_seen[o->lit] = s->stamp;
    on_literal(c, o->lit, o->start, o->end, (int)o->sure);
}

static int run_lang(run_ctx *c, const cl_lang *l, const cl_hits *h)
{
    if (!l->n_rules) return 0;
    c->lang = l;
    if (c->rules->naive) {
        for (uint32_t i = 0; i < l->n_rules; i++)
            if (run_rule(c, i, 0)) return -1;
        return 0;
    }
    if (h->failed) {
        c->failed = 1;
        return bd_err_set(c->err, "Hyperscan scan failed (error %d)", h->failed);
    }
    classify_scratch *s = c->s;
    next_stamp(s);
    s->n_cand = 0;
    for (size_t k = 0; k < h->n_hs; k++) { /* every match of the pattern ends there or later */
        s->pat_first[h->hs[k].pat] = h->hs[k].to;
        candidate(c, h->hs[k].pat);
    }
    for (size_t k = 0; k < h->n_ac; k++)
        literal_seen(c, &h->ac[k]);
    for (size_t k = 0; k < l->n_always; k++)
        candidate(c, l->always[k]);
    qsort(s->cand, s->n_cand, sizeof *s->cand, cmp_u32); /* fire in file order */
    for (size_t k = 0; k < s->n_cand; k++)
        if (run_rule(c, s->cand[k], 1)) return -1;
    return 0;
}

/* ---- the decision ---- */

/* A subcategory takes part in precedence once it scores CL_PRESENT (one ordinary rule);
 * weaker votes (fallback keywords) only count in the plain comparison. */
#define CL_PRESENT 1.0
#define CL_REQUEST 2.0

static int decide(const double *score, double *eff)
{
    memcpy(eff, score, CLASSIFY_N_SUBS * sizeof *eff);
    if (score[S_CHARGEBACK] > 0) {
        for (int i = 0; i < CLASSIFY_N_SUBS; i++)
            if (i != S_CHARGEBACK) eff[i] = 0;
        return S_CHARGEBACK;
    }
    int defect = 0, problem = 0, request = 0;
    for (int i = 0; i < CLASSIFY_N_SUBS; i++) {
        if (score[i] >= CL_PRESENT && cl_sub_is_defect(i)) defect = 1;
        if (score[i] >= CL_PRESENT && cl_sub_is_problem(i)) problem = 1;
        if (score[i] >= CL_REQUEST && i != S_GREETING && i != S_UNKNOWN) request = 1;
    }
    if (defect) eff[S_REFUND] = eff[S_RETURN] = 0;
    if (problem) eff[S_NEGATIVE] = 0;
    if (request) eff[S_GREETING] = 0; /* "Hello ... thank you" around a question */
    int best = S_UNKNOWN;
    for (int i = 0; i < CLASSIFY_N_SUBS; i++)
        if (eff[i] > eff[best] || (eff[best] <= 0 && eff[i] > 0)) best = i;
    return eff[best] > 0 ? best : S_UNKNOWN;
}

static double confidence(const double *eff, int win)
{
    double top = eff[win], second = 0;
    if (top <= 0) return 0;
    for (int i = 0; i < CLASSIFY_N_SUBS; i++)
        if (i != win && eff[i] > second) second = eff[i];
    double c = (1.0 - exp(-top / 3.0)) * (top / (top + second));
    return round(c * 100.0) / 100.0;
}

static const char *urgency_of(int win, unsigned flags, int rule_urgency)
{
    static const char *const names[] = {"low", "normal", "high", "urgent"};
    int u = 1;
    if (win == S_SPAM) return "low";
    if (win == S_CHARGEBACK)
        u = 3;
    else if (win >= S_DISP && win < S_REVIEW && win != S_RETURN)
        u = 2;
    else if (win == S_NOT_RECEIVED || win == S_CUSTOMS_HOLD || win == S_ORDER_CHANGE ||
             win == S_NEGATIVE)
        u = 2;
    else if (win == S_GREETING || win == S_POSITIVE)
        u = 0;
    if (flags & CLASSIFY_FLAG_DISPUTE) u = 3;
    if (flags & CLASSIFY_FLAG_NEGATIVE_FEEDBACK)
        u = u < 2 ? 2 : u, u = flags & (CLASSIFY_FLAG_ANGRY | CLASSIFY_FLAG_REPEATED) ? 3 : u;
    if ((flags & CLASSIFY_FLAG_ANGRY) && u < 2) u = 2;
    if ((flags & CLASSIFY_FLAG_REPEATED) && u < 3) u++;
    if (rule_urgency > u) u = rule_urgency;
    return names[u];
}

static const char *sentiment_of(int win, double s)
{
    if (s < 0) return "negative";
    if (s > 0) return "positive";
    if ((win >= S_DISP && win < S_REVIEW) || win == S_NEGATIVE || win == S_NOT_RECEIVED ||
        win == S_DELAY)
        return "negative";
    if (win == S_POSITIVE) return "positive";
    return "neutral";
}

/* Cuts n so that s[0..n) does not end inside a UTF-8 sequence. */
static size_t cut(const char *s, size_t n, size_t max)
{
    if (n <= max) return n;
    size_t k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    return k;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\n') return 0;
    return 1;
}

/* Step 1 for one message: its text normalised into the slot, its language. */
static void prepare(const classify_rules *r, cl_slot *slot, const classify_input *in,
                    classify_result *out)
{
    memset(out, 0, sizeof *out);
    slot->sn = in->subject ? cut(in->subject, in->subject_len, CLASSIFY_MAX_SUBJECT) : 0;
    slot->bn = in->body ? cut(in->body, in->body_len, CLASSIFY_MAX_SCAN) : 0;
    out->truncated = in->body && slot->bn < in->body_len;
    cl_stats *st = &slot->st;
    memset(st, 0, sizeof *st);
    bd_buf *t = &slot->text;
    bd_buf_reset(t);
    cl_normalize_append(t, in->subject ? in->subject : "", slot->sn, st, r->norm);
    slot->subj_end = t->len;
    bd_buf_putc(t, '\n');
    slot->body_start = t->len;
    cl_normalize_append(t, in->body ? in->body : "", slot->bn, st, r->norm);
    slot->len = t->len;
    /* PCRE2's JIT may read a few bytes past the subject: let them be defined */
    bd_buf_grow(t, 64);
    memset(t->data + t->len, 0, 64);
    int li = classify_lang_index(in->lang);
    if (li < 0) {
        double cert;
        li = cl_langdet_run(r->det, t->data, slot->len, st, &cert);
        if (li < 0) li = classify_lang_index(in->lang_hint);
        if (li < 0) li = 0;
    }
    slot->li = li;
    memcpy(out->language, classify_langs[li], 3);
    slot->blank = blank(t->data + slot->body_start, slot->len - slot->body_start);
}

/* Step 3 for one message: its context for the rules. */
static void run_begin(run_ctx *c, const classify_rules *r, classify_scratch *s, const cl_slot *slot,
                      classify_result *out, bd_err *err)
{
    memset(c, 0, sizeof *c);
    c->rules = r, c->s = s, c->out = out, c->err = err;
    c->text = slot->text.data;
    c->len = slot->len;
    c->subj_end = slot->subj_end;
    c->body_start = slot->body_start;
}

/* Step 5 for one message: the decision and the rest of the result. */
static void run_end(run_ctx *c, const cl_slot *slot, const classify_input *in, classify_result *out)
{
    int win = S_UNKNOWN;
    double eff[CLASSIFY_N_SUBS] = {0};
    if (slot->blank) {
        out->confidence = 1.0; /* nothing to read: certainly nothing to do */
    } else {
        if (slot->st.shouted_words >= 3) {
            c->flags |= CLASSIFY_FLAG_ANGRY;
            c->sentiment -= 1;
            if (out->n_fired < CLASSIFY_MAX_FIRED) out->fired[out->n_fired] = "engine.shouting";
            out->n_fired++;
        }
        win = decide(c->score, eff);
        out->confidence = confidence(eff, win);
    }
    out->subcategory = classify_subcategories[win];
    out->category = category_name(win);
    out->flags = c->flags | (in->repeated_contact ? CLASSIFY_FLAG_REPEATED : 0);
    if (slot->sn) classify_extract_entities(in->subject, slot->sn, out->language, out);
    if (slot->bn) classify_extract_entities(in->body, slot->bn, out->language, out);
    out->urgency = urgency_of(win, out->flags, c->urgency);
    out->sentiment = sentiment_of(win, c->sentiment);
    /* scores, highest first */
    for (int i = 0; i < CLASSIFY_N_SUBS; i++) {
        if (c->score[i] <= 0) continue;
        size_t k = out->n_scores++;
        while (k > 0 && out->scores[k - 1].score < c->score[i]) {
            out->scores[k] = out->scores[k - 1];
            k--;
        }
        out->scores[k].subcategory = classify_subcategories[i];
        out->scores[k].score = c->score[i];
    }
}

/* Up to CL_BATCH messages, step by step (see internal.h, "batches"): 1. texts and
 * languages; 2. each language's scans over its texts, English's over all; 3.-4. each
 * language's rules for its messages, then English's for all; 5. the decisions. */
static int classify_some(const classify_rules *r, classify_scratch *s, const classify_input *in,
                         classify_result *out, size_t n, bd_err *errs, int *rcs)
{
    if (!s->runs) s->runs = bd_malloc(CL_BATCH * sizeof(run_ctx));
    run_ctx *runs = s->runs;
    for (size_t i = 0; i < n; i++) {
        prepare(r, &s->slots[i], &in[i], &out[i]);
        run_begin(&runs[i], r, s, &s->slots[i], &out[i], &errs[i]);
        rcs[i] = 0;
    }
    for (int l = 1; l < CLASSIFY_N_LANGS; l++)
        for (size_t i = 0; i < n; i++)
            if (s->slots[i].li == l && !s->slots[i].blank)
                scan(r, &r->langs[l], s, &s->slots[i], &s->slots[i].hits[0]);
    for (size_t i = 0; i < n; i++)
        if (!s->slots[i].blank) scan(r, &r->langs[0], s, &s->slots[i], &s->slots[i].hits[1]);
    for (int l = 1; l < CLASSIFY_N_LANGS; l++)
        for (size_t i = 0; i < n; i++)
            if (s->slots[i].li == l && !s->slots[i].blank)
                rcs[i] = run_lang(&runs[i], &r->langs[l], &s->slots[i].hits[0]);
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (!s->slots[i].blank && !rcs[i])
            rcs[i] = run_lang(&runs[i], &r->langs[0], &s->slots[i].hits[1]);
        run_end(&runs[i], &s->slots[i], &in[i], &out[i]);
        failed |= rcs[i] != 0;
    }
    return failed ? -1 : 0;
}

int classify_messages(const classify_rules *r, classify_scratch *scratch, const classify_input *in,
                      classify_result *out, size_t n, bd_err *errs, int *rcs)
{
    classify_scratch *own = scratch ? NULL : classify_scratch_new(r);
    classify_scratch *s = scratch ? scratch : own;
    int rc = 0;
    for (size_t i = 0; i < n; i += CL_BATCH) {
        size_t k = n - i < CL_BATCH ? n - i : CL_BATCH;
        if (classify_some(r, s, in + i, out + i, k, errs + i, rcs + i)) rc = -1;
    }
    classify_scratch_free(own);
    return rc;
}

int classify_message(const classify_rules *r, classify_scratch *scratch, const classify_input *in,
                     classify_result *out, bd_err *err)
{
    int rc;
    classify_messages(r, scratch, in, out, 1, err, &rc);
    return rc;
}

cJSON *classify_result_json(const classify_result *res, const cJSON *id, int explain)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "id", id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull());
    cJSON_AddStringToObject(o, "category", res->category);
    cJSON_AddStringToObject(o, "subcategory", res->subcategory);
    cJSON_AddStringToObject(o, "language", res->language);
    cJSON_AddNumberToObject(o, "confidence", res->confidence);
    cJSON_AddStringToObject(o, "urgency", res->urgency);
    cJSON_AddStringToObject(o, "sentiment", res->sentiment);
    cJSON *flags = cJSON_AddArrayToObject(o, "flags");
    for (int i = 0; i < CLASSIFY_N_FLAGS; i++)
        if (res->flags & (1u << i))
            cJSON_AddItemToArray(flags, cJSON_CreateString(classify_flag_names[i]));
    cJSON *ent = cJSON_AddObjectToObject(o, "entities");
    if (res->order_id[0]) cJSON_AddStringToObject(ent, "order_id", res->order_id);
    if (res->tracking_number[0])
        cJSON_AddStringToObject(ent, "tracking_number", res->tracking_number);
    if (res->amount_value[0]) {
        cJSON *a = cJSON_AddObjectToObject(ent, "amount");
        cJSON_AddStringToObject(a, "value", res->amount_value);
        cJSON_AddStringToObject(a, "currency", res->amount_currency);
    }
    if (res->truncated) cJSON_AddTrueToObject(o, "truncated");
    if (explain) {
        cJSON *rules = cJSON_AddArrayToObject(o, "rules");
        size_t n = res->n_fired < CLASSIFY_MAX_FIRED ? res->n_fired : CLASSIFY_MAX_FIRED;
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(rules, cJSON_CreateString(res->fired[i]));
        cJSON *scores = cJSON_AddObjectToObject(o, "scores");
        for (size_t i = 0; i < res->n_scores; i++)
            cJSON_AddNumberToObject(scores, res->scores[i].subcategory, res->scores[i].score);
    }
    return o;
}

static void put_num(bd_buf *b, double v)
{
    if (v == (double)(long long)v)
        bd_buf_printf(b, "%lld", (long long)v);
    else
        bd_buf_printf(b, "%.6g", v);
}

void classify_result_append_json(bd_buf *b, const classify_result *res, const char *id_json,
                                 int explain)
{
    if (id_json) {
        bd_buf_puts(b, "{\"id\":");
        bd_buf_puts(b, id_json);
        bd_buf_puts(b, ",\"category\":\"");
    } else {
        bd_buf_puts(b, "{\"category\":\"");
    }
    bd_buf_puts(b, res->category);
    bd_buf_puts(b, "\",\"subcategory\":\"");
    bd_buf_puts(b, res->subcategory);
    bd_buf_puts(b, "\",\"language\":\"");
    bd_buf_puts(b, res->language);
    bd_buf_puts(b, "\",\"confidence\":");
    put_num(b, res->confidence);
    bd_buf_puts(b, ",\"urgency\":\"");
    bd_buf_puts(b, res->urgency);
    bd_buf_puts(b, "\",\"sentiment\":\"");
    bd_buf_puts(b, res->sentiment);
    bd_buf_puts(b, "\",\"flags\":[");
    int first = 1;
    for (int i = 0; i < CLASSIFY_N_FLAGS; i++)
        if (res->flags & (1u << i)) {
            if (!first) bd_buf_putc(b, ',');
            first = 0;
            bd_buf_put_json_str(b, classify_flag_names[i]);
        }
    bd_buf_puts(b, "],\"entities\":{");
    first = 1;
    if (res->order_id[0]) {
        bd_buf_puts(b, "\"order_id\":");
        bd_buf_put_json_str(b, res->order_id);
        first = 0;
    }
    if (res->tracking_number[0]) {
        bd_buf_puts(b, first ? "\"tracking_number\":" : ",\"tracking_number\":");
        bd_buf_put_json_str(b, res->tracking_number);
        first = 0;
    }
    if (res->amount_value[0]) {
        bd_buf_puts(b, first ? "\"amount\":{\"value\":" : ",\"amount\":{\"value\":");
        bd_buf_put_json_str(b, res->amount_value);
        bd_buf_puts(b, ",\"currency\":");
        bd_buf_put_json_str(b, res->amount_currency);
        bd_buf_putc(b, '}');
    }
    bd_buf_putc(b, '}');
    if (res->truncated) bd_buf_puts(b, ",\"truncated\":true");
    if (explain) {
        bd_buf_puts(b, ",\"rules\":[");
        size_t n = res->n_fired < CLASSIFY_MAX_FIRED ? res->n_fired : CLASSIFY_MAX_FIRED;
        for (size_t i = 0; i < n; i++) {
            if (i) bd_buf_putc(b, ',');
            bd_buf_put_json_str(b, res->fired[i]);
        }
        bd_buf_puts(b, "],\"scores\":{");
        for (size_t i = 0; i < res->n_scores; i++) {
            if (i) bd_buf_putc(b, ',');
            bd_buf_put_json_str(b, res->scores[i].subcategory);
            bd_buf_putc(b, ':');
            put_num(b, res->scores[i].score);
        }
        bd_buf_putc(b, '}');
    }
    bd_buf_putc(b, '}');
}
