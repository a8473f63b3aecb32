/*
 * rules.c — reading, validating and compiling locales/<lang>/rules.json (format in
 * docs/classifier.md), the prefilter tables of a language, and `rules check`'s lints.
 *
 * Loading is strict (the first problem refuses the set, naming file, rule and reason);
 * checking reports every problem and goes on.
 */
#include "internal.h"
#include "borderdesk/model.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <utf8proc.h>

#define CL_MAX_RULES_FILE (8u << 20)
#define CL_PCRE_OPTS (PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_MATCH_INVALID_UTF)
/* the prefilter tells where a match can start at the latest (pcre2_set_offset_limit) */
#define CL_PCRE_FAST_OPTS (CL_PCRE_OPTS | PCRE2_USE_OFFSET_LIMIT)

/* Reports one problem. In strict mode the first error is kept in d->err. */
static void diag(cl_diag *d, int is_error, const char *file, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void diag(cl_diag *d, int is_error, const char *file, const char *rule, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (d->report) {
        d->report(d->ud, is_error, file, rule, msg);
    } else if (is_error && d->errors == 0) {
        if (rule)
            bd_err_set(d->err, "%s: rule \"%s\": %s", file, rule, msg);
        else
            bd_err_set(d->err, "%s: %s", file, msg);
    }
    if (is_error) d->errors++;
}

static void rule_clear(cl_rule *r)
{
    free(r->id);
    for (size_t i = 0; i < r->n_examples; i++)
        free(r->examples[i]);
    free(r->examples);
}

void cl_lang_clear(cl_lang *lang)
{
    for (size_t i = 0; i < lang->n_rules; i++)
        rule_clear(&lang->rules[i]);
    free(lang->rules);
    for (size_t i = 0; i < lang->n_pats; i++) {
        free(lang->pats[i].src);
        pcre2_code_free(lang->pats[i].code);
        for (size_t k = 0; k < lang->pats[i].n_lits; k++)
            free(lang->pats[i].lits[k]);
        free(lang->pats[i].lits);
    }
    free(lang->pats);
    cl_ac_free(lang->ac);
    hs_free_database(lang->hs_db);
    free(lang->lit_off);
    for (size_t i = 0; i < lang->n_uses; i++)
        free(lang->uses[i].full);
    free(lang->uses);
    free(lang->pat_lit_off);
    free(lang->pat_lits);
    free(lang->always);
    free(lang->file);
    memset(lang, 0, sizeof *lang);
}

/* Compiles one pattern; NULL after reporting the PCRE2 error. */
static pcre2_code *compile(const char *src, int naive, cl_diag *d, const char *file,
                           const char *rule, const char *what, size_t idx)
{
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
                                   naive ? CL_PCRE_OPTS : CL_PCRE_FAST_OPTS, &code, &off, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        diag(d, 1, file, rule, "%s %zu \"%s\" does not compile: %s (at offset %zu)", what, idx + 1,
             src, (const char *)msg, (size_t)off);
        return NULL;
    }
    (void)naive; /* JIT later, when the pattern first runs (cl_pattern_jit) */
    return re;
}

/* Lint: characters the normaliser removes can never be matched (accents, marks). */
static void lint_pattern_chars(const char *src, cl_diag *d, const char *file, const char *rule,
                               size_t idx)
{
    const unsigned char *p = (const unsigned char *)src;
    size_t n = strlen(src);
    for (size_t i = 0; i < n;) {
        if (p[i] == '\\') {
            i += 2;
            if (i <= n && (p[i - 1] == 'x' || p[i - 1] == 'p' || p[i - 1] == 'P') && i < n &&
                p[i] == '{')
                while (i < n && p[i] != '}')
                    i++;
            continue;
        }
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0) {
            i++;
            continue;
        }
        size_t nl;
        char *norm = classify_normalize((const char *)p + i, (size_t)k, &nl);
        utf8proc_uint8_t low[8];
        utf8proc_ssize_t ll = utf8proc_encode_char(utf8proc_tolower(cp), low);
        int same = (nl == (size_t)k && memcmp(norm, p + i, nl) == 0) ||
                   (nl == (size_t)ll && memcmp(norm, low, nl) == 0);
        if (!same && nl == 0)
            diag(d, 1, file, rule,
                 "pattern %zu: \"%.*s\" (U+%04X) is removed by normalisation (an invisible "
                 "code point such as a variation selector): leave it out",
                 idx + 1, (int)k, (const char *)p + i, (unsigned)cp);
        else if (!same)
            diag(d, 1, file, rule,
                 "pattern %zu: \"%.*s\" never appears in normalised text (write \"%s\"; the "
                 "text is case-folded and accent-stripped)",
                 idx + 1, (int)k, (const char *)p + i, norm);
        free(norm);
        i += (size_t)k;
    }
}

static const char *const rule_keys[] = {
    "id",    "category",  "subcategory", "weight",   "patterns", "unless", "where",
    "flags", "sentiment", "urgency",     "examples", "comment",  NULL};

/* Adds the strings of array key to lang->pats; returns the count or -1 on a type error. */
static int add_patterns(cl_lang *lang, const cJSON *rj, const char *key, uint32_t rule_idx,
                        int unless, int naive, int lazy, cl_diag *d, const char *file,
                        const char *rid)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(rj, key);
    if (!arr) return 0;
    if (!cJSON_IsArray(arr)) {
        diag(d, 1, file, rid, "\"%s\" must be an array of strings", key);
        return -1;
    }
    int count = 0;
    size_t idx = 0;
    for (const cJSON *p = arr->child; p; p = p->next, idx++) {
        if (!cJSON_IsString(p) || !*p->valuestring) {
            diag(d, 1, file, rid, "\"%s\"[%zu] must be a non-empty string", key, idx);
            continue;
        }
        if (d->report) lint_pattern_chars(p->valuestring, d, file, rid, idx);
        pcre2_code *re = lazy ? NULL
                              : compile(p->valuestring, naive, d, file, rid,
                                        unless ? "unless-pattern" : "pattern", idx);
        if (!re && !lazy && !d->report) return -1;
        lang->pats = bd_realloc(lang->pats, (lang->n_pats + 1) * sizeof *lang->pats);
        cl_pattern *cp = &lang->pats[lang->n_pats++];
        memset(cp, 0, sizeof *cp);
        cp->src = bd_strdup(p->valuestring);
        cp->code = re;
        cp->ok = re || lazy;
        cp->rule = rule_idx;
        cp->unless = unless;
        count++;
    }
    return count;
}

static int parse_rule(cl_lang *lang, const cJSON *rj, const char *lang_code, int naive, int lazy,
                      cl_diag *d, const char *file, size_t pos)
{
    char posname[32];
    snprintf(posname, sizeof posname, "#%zu", pos + 1);
    if (!cJSON_IsObject(rj)) {
        diag(d, 1, file, posname, "a rule must be an object");
        return -1;
    }
    const char *id = bd_json_str(rj, "id");
    const char *rid = id ? id : posname;
    int bad = d->errors;
    if (!id || !*id)
        diag(d, 1, file, posname, "missing \"id\"");
    else if (strncmp(id, lang_code, 2) != 0 || id[2] != '.')
        diag(d, 1, file, rid, "the id must start with \"%s.\"", lang_code);
    for (const cJSON *k = rj->child; k; k = k->next)
        if (!bd_str_in(k->string, rule_keys))
            diag(d, 1, file, rid,
                 "unknown key \"%s\" (known: id, category, subcategory, "
                 "weight, patterns, unless, where, flags, sentiment, urgency, "
                 "examples, comment)",
                 k->string);
    cl_rule r;
    memset(&r, 0, sizeof r);
    r.sub = -1;
    r.weight = 1;
    const char *cat = bd_json_str(rj, "category"), *sub = bd_json_str(rj, "subcategory");
    if (cat || sub) {
        if (!cat || !sub)
            diag(d, 1, file, rid, "give both \"category\" and \"subcategory\"");
        else if ((r.sub = classify_sub_index(cat, sub)) < 0) {
            const char *real = classify_category_of(sub);
            if (real)
                diag(d, 1, file, rid, "subcategory \"%s\" belongs to \"%s\", not \"%s\"", sub, real,
                     cat);
            else
                diag(d, 1, file, rid, "unknown category/subcategory \"%s/%s\"", cat, sub);
        }
    }
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(rj, "weight");
    if (w) {
        if (!cJSON_IsNumber(w) || !(w->valuedouble > 0) || w->valuedouble > 100)
            diag(d, 1, file, rid, "\"weight\" must be a number above 0 (at most 100)");
        else
            r.weight = w->valuedouble;
    }
    const char *where = bd_json_str(rj, "where");
    if (cJSON_GetObjectItemCaseSensitive(rj, "where") && !where)
        diag(d, 1, file, rid, "\"where\" must be a string");
    if (!where || strcmp(where, "any") == 0)
        r.where = CL_WHERE_ANY;
    else if (strcmp(where, "subject") == 0)
        r.where = CL_WHERE_SUBJECT;
    else if (strcmp(where, "body") == 0)
        r.where = CL_WHERE_BODY;
    else
        diag(d, 1, file, rid, "unknown \"where\" \"%s\" (any, subject, body)", where);
    const cJSON *flags = cJSON_GetObjectItemCaseSensitive(rj, "flags");
    if (flags && !cJSON_IsArray(flags)) diag(d, 1, file, rid, "\"flags\" must be an array");
    for (const cJSON *f = flags ? flags->child : NULL; f; f = f->next) {
        unsigned bit = cJSON_IsString(f) ? classify_flag_bit(f->valuestring) : 0;
        if (bit == CLASSIFY_FLAG_REPEATED)
            diag(d, 1, file, rid, "flag \"repeated_contact\" is set by the caller, not by rules");
        else if (!bit)
            diag(d, 1, file, rid,
                 "unknown flag %s%s%s (threatens_negative_feedback, "
                 "threatens_dispute, angry, mentions_order)",
                 cJSON_IsString(f) ? "\"" : "",
                 cJSON_IsString(f) ? f->valuestring : "(not a string)",
                 cJSON_IsString(f) ? "\"" : "");
        r.flags |= bit & ~(unsigned)CLASSIFY_FLAG_REPEATED;
    }
    const char *sent = bd_json_str(rj, "sentiment");
    if (sent) {
        if (strcmp(sent, "positive") == 0)
            r.sentiment = 1;
        else if (strcmp(sent, "negative") == 0)
            r.sentiment = -1;
        else
            diag(d, 1, file, rid, "unknown \"sentiment\" \"%s\" (positive, negative)", sent);
    }
    const char *urg = bd_json_str(rj, "urgency");
    if (urg) {
        if (strcmp(urg, "high") == 0)
            r.urgency = 2;
        else if (strcmp(urg, "urgent") == 0)
            r.urgency = 3;
        else
            diag(d, 1, file, rid, "unknown \"urgency\" \"%s\" (high, urgent)", urg);
    }
    if (r.sub < 0 && !r.flags && !r.sentiment && !r.urgency && !cat && !sub)
        diag(d, 1, file, rid,
             "the rule neither votes (category/subcategory) nor signals "
             "(flags, sentiment, urgency)");
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(rj, "examples");
    if (ex && !cJSON_IsArray(ex)) diag(d, 1, file, rid, "\"examples\" must be an array");
    for (const cJSON *e = ex && cJSON_IsArray(ex) ? ex->child : NULL; e; e = e->next) {
        if (!cJSON_IsString(e)) {
            diag(d, 1, file, rid, "\"examples\" must hold strings");
            continue;
        }
        r.examples = bd_realloc(r.examples, (r.n_examples + 1) * sizeof *r.examples);
        r.examples[r.n_examples++] = bd_strdup(e->valuestring);
    }
    if (!d->report && d->errors > bad) {
        rule_clear(&r);
        return -1;
    }
    uint32_t idx = (uint32_t)lang->n_rules;
    r.first_pat = (uint32_t)lang->n_pats;
    int np = add_patterns(lang, rj, "patterns", idx, 0, naive, lazy, d, file, rid);
    r.n_pat = np > 0 ? (uint32_t)np : 0;
    if (np == 0 && !cJSON_GetObjectItemCaseSensitive(rj, "patterns"))
        diag(d, 1, file, rid, "missing \"patterns\"");
    else if (np == 0)
        diag(d, 1, file, rid, "\"patterns\" is empty: the rule can never fire");
    if (d->report && r.where == CL_WHERE_ANY)
        for (uint32_t k = 0; k < (uint32_t)(np > 0 ? np : 0); k++)
            if (lang->pats[r.first_pat + k].src[0] == '^')
                diag(d, 0, file, rid,
                     "pattern %u starts with ^: with \"where\": \"any\" that is the start of the "
                     "subject; use \"where\": \"body\" to anchor the body",
                     k + 1);
    r.first_unless = (uint32_t)lang->n_pats;
    int nu = np < 0 && !d->report
                 ? -1
                 : add_patterns(lang, rj, "unless", idx, 1, naive, lazy, d, file, rid);
    r.n_unless = nu > 0 ? (uint32_t)nu : 0;
    r.id = bd_strdup(id ? id : posname);
    lang->rules = bd_realloc(lang->rules, (lang->n_rules + 1) * sizeof *lang->rules);
    lang->rules[lang->n_rules++] = r;
    if (!d->report && (np <= 0 || nu < 0)) return -1;
    return 0;
}

int cl_lang_load(cl_lang *lang, int lang_idx, const char *path, int naive, cl_diag *d)
{
    bd_err rerr;
    size_t len;
    char *text = bd_read_file(path, CL_MAX_RULES_FILE, &len, &rerr);
    if (!text) {
        memset(lang, 0, sizeof *lang);
        lang->file = bd_strdup(path);
        diag(d, 1, path, NULL, "%s", rerr.msg);
        return d->report ? d->errors : -1;
    }
    int rc = cl_lang_load_text(lang, lang_idx, path, text, len, naive, 0, d);
    free(text);
    return rc;
}

int cl_lang_load_text(cl_lang *lang, int lang_idx, const char *path, const char *text, size_t len,
                      int naive, int lazy, cl_diag *d)
{
    const char *code = classify_langs[lang_idx];
    memset(lang, 0, sizeof *lang);
    lang->file = bd_strdup(path);
    bd_err jerr;
    cJSON *root = bd_json_parse(text, len, &jerr);
    if (!root) {
        diag(d, 1, path, NULL, "%s", jerr.msg);
        return d->report ? d->errors : -1;
    }
    int rc = 0;
    const char *declared = bd_json_str(root, "language");
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(root, "rules");
    if (!cJSON_IsObject(root)) {
        diag(d, 1, path, NULL, "the file must hold a JSON object {\"language\", \"rules\"}");
        rc = -1;
    } else if (!declared || strcmp(declared, code) != 0) {
        diag(d, 1, path, NULL, "\"language\" must be \"%s\" (the directory's name)", code);
        rc = -1;
    } else if (!cJSON_IsArray(rules)) {
        diag(d, 1, path, NULL, "\"rules\" must be an array");
        rc = -1;
    } else {
        for (const cJSON *k = root->child; k; k = k->next)
            if (!bd_str_in(k->string, (const char *const[]){"language", "rules", "comment", NULL}))
                diag(d, 1, path, NULL, "unknown top-level key \"%s\"", k->string);
        size_t pos = 0;
        for (const cJSON *r = rules->child; r; r = r->next, pos++) {
            if (parse_rule(lang, r, code, naive, lazy, d, path, pos) && !d->report) {
                rc = -1;
                break;
            }
        }
        /* duplicate ids inside the file */
        for (size_t i = 0; i < lang->n_rules && rc == 0; i++)
            for (size_t j = 0; j < i; j++)
                if (strcmp(lang->rules[i].id, lang->rules[j].id) == 0) {
                    diag(d, 1, path, lang->rules[i].id, "duplicate rule id (rules #%zu and #%zu)",
                         j + 1, i + 1);
                    if (!d->report) rc = -1;
                    break;
                }
    }
    cJSON_Delete(root);
    if (d->report) return d->errors;
    return rc || d->errors ? -1 : 0;
}

/* The prefilter of one language: every pattern's literals, cut to CL_LIT_MAX bytes,
 * deduplicated (sorted), each with the list of its uses. */
#define CL_LIT_MAX 6

typedef struct lit_pair {
    char *lit; /* with \x01 boundary markers */
    cl_lit_use use;
} lit_pair;

static int cmp_pair(const void *a, const void *b)
{
    const lit_pair *x = a, *y = b;
    int c = strcmp(x->lit, y->lit);
    if (c) return c;
    return x->use.pat < y->use.pat ? -1 : x->use.pat > y->use.pat;
}

/* The searched literal of an exact string m (markers at its ends, literal.c): its first
 * bytes, cut on a character boundary. */
static lit_pair exact_pair(const char *m, uint32_t pat)
{
    lit_pair lp;
    memset(&lp, 0, sizeof lp);
    size_t n = strlen(m);
    int ws = n && m[0] == '\x01';
    int next = n > (size_t)ws && m[n - 1] == '\x01'   ? CL_NEXT_NONWORD
               : n > (size_t)ws && m[n - 1] == '\x03' ? CL_NEXT_WORD
                                                      : CL_NEXT_ANY;
    const char *bare = m + ws;
    size_t bl = n - (size_t)ws - (next != CL_NEXT_ANY);
    lp.use.pat = pat;
    lp.use.full = bd_strndup(bare, bl);
    lp.use.full_len = (uint32_t)bl;
    lp.use.full_wend = next;
    size_t k = bl;
    if (k > CL_LIT_MAX) {
        k = CL_LIT_MAX;
        while (k > 0 && ((unsigned char)bare[k] & 0xC0) == 0x80)
            k--;
    }
    lp.lit = bd_asprintf("%s%.*s%s", ws ? "\x01" : "", (int)k, bare,
                         next == CL_NEXT_NONWORD && k == bl ? "\x01" : "");
    lp.use.lit_len = (uint32_t)k;
    size_t tail = bl - k < 8 ? bl - k : 8;
    memcpy(&lp.use.next8, bare + k, tail);
    return lp;
}

void cl_lang_literals(cl_lang *lang)
{
    for (size_t p = 0; p < lang->n_pats; p++) {
        cl_pattern *pat = &lang->pats[p];
        if (!pat->ok || pat->analysed) continue;
        int exact, prefix;
        pat->n_lits = cl_required_literals(pat->src, &pat->lits, &exact, &prefix, &pat->max_len);
        pat->list = pat->n_lits && exact;
        pat->prefix = prefix;
        pat->analysed = 1;
    }
}

void cl_lang_prefilter(cl_lang *lang)
{
    cl_lang_literals(lang);
    lit_pair *pairs = NULL;
    size_t n_pairs = 0;
    for (size_t p = 0; p < lang->n_pats; p++) {
        cl_pattern *pat = &lang->pats[p];
        if (!pat->ok || pat->hs) continue; /* Hyperscan reports it */
        char **lits = pat->lits;
        size_t n = pat->n_lits;
        int exact = pat->list;
        pat->lits = NULL, pat->n_lits = 0; /* taken over below */
        if (!n) {
            free(lits);
            if (!pat->unless) {
                lang->always =
                    bd_realloc(lang->always, (lang->n_always + 1) * sizeof *lang->always);
                lang->always[lang->n_always++] = (uint32_t)p;
            }
            continue;
        }
        pat->filtered = 1;
        pairs = bd_realloc(pairs, (n_pairs + n) * sizeof *pairs);
        for (size_t i = 0; i < n; i++) {
            lit_pair *lp = &pairs[n_pairs++];
            if (exact) {
                *lp = exact_pair(lits[i], (uint32_t)p);
                free(lits[i]);
            } else {
                memset(lp, 0, sizeof *lp);
                lp->lit = lits[i];
                lp->use.pat = (uint32_t)p;
            }
        }
        free(lits);
    }
    /* what is left belongs to patterns Hyperscan reports */
    for (size_t p = 0; p < lang->n_pats; p++) {
        cl_pattern *pat = &lang->pats[p];
        for (size_t k = 0; k < pat->n_lits; k++)
            free(pat->lits[k]);
        free(pat->lits);
        pat->lits = NULL, pat->n_lits = 0;
    }
    if (n_pairs) qsort(pairs, n_pairs, sizeof *pairs, cmp_pair);
    char **uniq = bd_malloc((n_pairs ? n_pairs : 1) * sizeof *uniq);
    lang->lit_off = bd_malloc((n_pairs + 1) * sizeof *lang->lit_off);
    lang->uses = bd_malloc((n_pairs ? n_pairs : 1) * sizeof *lang->uses);
    uint8_t *every = bd_calloc(n_pairs ? n_pairs : 1, 1);
    size_t nl = 0;
    for (size_t i = 0; i < n_pairs; i++) {
        if (nl == 0 || strcmp(pairs[i].lit, uniq[nl - 1]) != 0) {
            lang->lit_off[nl] = (uint32_t)i;
            uniq[nl++] = pairs[i].lit;
        } else {
            free(pairs[i].lit);
        }
        if (pairs[i].use.full_len) every[nl - 1] = 1; /* any occurrence may be the string */
        lang->uses[i] = pairs[i].use;
    }
    lang->lit_off[nl] = (uint32_t)n_pairs;
    lang->n_lits = nl;
    lang->n_uses = n_pairs;
    /* the reverse: each pattern's literals (where its last one is tells how far PCRE2 needs
     * to look) */
    lang->pat_lit_off = bd_calloc(lang->n_pats + 1, sizeof *lang->pat_lit_off);
    lang->pat_lits = bd_malloc((n_pairs ? n_pairs : 1) * sizeof *lang->pat_lits);
    for (size_t i = 0; i < n_pairs; i++)
        lang->pat_lit_off[lang->uses[i].pat + 1]++;
    for (size_t p = 0; p < lang->n_pats; p++)
        lang->pat_lit_off[p + 1] += lang->pat_lit_off[p];
    uint32_t *fill = bd_malloc((lang->n_pats ? lang->n_pats : 1) * sizeof *fill);
    memcpy(fill, lang->pat_lit_off, lang->n_pats * sizeof *fill);
    for (size_t l = 0; l < nl; l++)
        for (uint32_t k = lang->lit_off[l]; k < lang->lit_off[l + 1]; k++)
            lang->pat_lits[fill[lang->uses[k].pat]++] = (uint32_t)l;
    free(fill);
    lang->ac = cl_ac_build(uniq, every, nl);
    free(every);
    for (size_t i = 0; i < nl; i++)
        free(uniq[i]);
    free(uniq);
    free(pairs);
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int dir_ok(const char *dir, bd_err *err)
{
    struct stat st;
    if (stat(dir, &st) != 0) return bd_err_set(err, "rules directory %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode)) return bd_err_set(err, "rules directory %s: not a directory", dir);
    return 0;
}

/* Rule ids must be unique across all files. */
static void check_global_ids(classify_rules *r, cl_diag *d)
{
    for (int a = 0; a < CLASSIFY_N_LANGS; a++)
        for (size_t i = 0; i < r->langs[a].n_rules; i++)
            for (int b = 0; b < a; b++)
                for (size_t j = 0; j < r->langs[b].n_rules; j++)
                    if (strcmp(r->langs[a].rules[i].id, r->langs[b].rules[j].id) == 0)
                        diag(d, 1, r->langs[a].file, r->langs[a].rules[i].id,
                             "rule id also used in %s", r->langs[b].file);
}

static void sizes(classify_rules *r)
{
    for (int i = 0; i < CLASSIFY_N_LANGS; i++) {
        cl_lang *l = &r->langs[i];
        if (l->n_pats > r->max_pats) r->max_pats = l->n_pats;
        if (l->n_lits > r->max_lits) r->max_lits = l->n_lits;
        if (l->n_rules > r->max_rules) r->max_rules = l->n_rules;
    }
}

/* One language's rules, prefilters built. With a cache directory, a rules file loaded
 * before (the same bytes, flags and program) takes its analysis from the rules cache and
 * compiles nothing now; otherwise everything is worked out and the analysis kept. */
static int load_lang(classify_rules *r, int i, const char *path, int flags, const char *cache,
                     cl_diag *d)
{
    cl_lang *lang = &r->langs[i];
    if (r->naive) return cl_lang_load(lang, i, path, 1, d);
    bd_err rerr;
    size_t len;
    char *text = bd_read_file(path, CL_MAX_RULES_FILE, &len, &rerr);
    if (!text) {
        memset(lang, 0, sizeof *lang);
        lang->file = bd_strdup(path);
        diag(d, 1, path, NULL, "%s", rerr.msg);
        return -1;
    }
    char key[65];
    int cached = 0;
    size_t an = 0;
    char *analysis = NULL;
    if (cache) {
        cl_rulecache_key(text, len, path, i, flags, key);
        analysis = cl_rulecache_read(i, cache, key, &an);
    }
    if (analysis) {
        bd_err quiet_err; /* the file loaded before: a problem now means a damaged cache */
        cl_diag quiet = {NULL, NULL, 0, &quiet_err};
        cached = cl_lang_load_text(lang, i, path, text, len, 0, 1, &quiet) == 0 &&
                 cl_rulecache_apply(lang, analysis, an) == 0;
        if (!cached) cl_lang_clear(lang); /* no usable analysis: the whole way */
        free(analysis);
    }
    if (!cached && cl_lang_load_text(lang, i, path, text, len, 0, 0, d) != 0) {
        free(text);
        return -1;
    }
    free(text);
    if (!cached) cl_lang_literals(lang);
    int hs = !(flags & CLASSIFY_LOAD_LITERAL);
    if (hs && (!cached || cl_lang_hyperscan_cached(lang, i, cache) != 0)) {
        cl_lang_hyperscan(lang, i);
        cached = 0; /* the database has a new name: keep it */
    }
    if (!cached && cache) cl_rulecache_store(lang, i, cache, key);
    cl_lang_prefilter(lang);
    return 0;
}

int classify_rules_load(const char *dir, int flags, classify_rules **out, bd_err *err)
{
    *out = NULL;
    if (dir_ok(dir, err)) return -1;
    classify_rules *r = bd_calloc(1, sizeof *r);
    pthread_mutex_init(&r->jit_lock, NULL);
    r->naive = (flags & CLASSIFY_LOAD_NAIVE) != 0;
    cl_diag d = {NULL, NULL, 0, err};
    int files = 0;
    char *cache = r->naive ? NULL : cl_cache_dir();
    for (int i = 0; i < CLASSIFY_N_LANGS; i++) {
        char *path = bd_asprintf("%s/%s/rules.json", dir, classify_langs[i]);
        if (file_exists(path)) {
            files++;
            if (load_lang(r, i, path, flags, cache, &d) != 0) {
                free(path);
                free(cache);
                classify_rules_free(r);
                return -1;
            }
        }
        free(path);
    }
    free(cache);
    if (!files) {
        classify_rules_free(r);
        return bd_err_set(err, "no rules file in %s (expected %s/<lang>/rules.json)", dir, dir);
    }
    check_global_ids(r, &d);
    if (d.errors) {
        classify_rules_free(r);
        return -1;
    }
    sizes(r);
    r->det = cl_langdet_new();
    r->norm = cl_normtab_new();
    *out = r;
    return 0;
}

void classify_rules_free(classify_rules *r)
{
    if (!r) return;
    for (int i = 0; i < CLASSIFY_N_LANGS; i++)
        cl_lang_clear(&r->langs[i]);
    cl_langdet_free(r->det);
    cl_normtab_free(r->norm);
    pthread_mutex_destroy(&r->jit_lock);
    free(r);
}

void cl_pattern_jit(const classify_rules *r, const cl_pattern *p)
{
    if (r->naive || atomic_load_explicit(&p->jitted, memory_order_acquire)) return;
    /* the rules are shared read-only; the compiled code is a cache filled in once, under a
     * lock */
    classify_rules *rw = (classify_rules *)r;
    cl_pattern *pw = (cl_pattern *)p;
    pthread_mutex_lock(&rw->jit_lock);
    if (!atomic_load_explicit(&pw->jitted, memory_order_relaxed)) {
        if (!pw->code) { /* known to compile (the rules cache): compiled only now */
            int code;
            PCRE2_SIZE off;
            pw->code = pcre2_compile((PCRE2_SPTR)pw->src, PCRE2_ZERO_TERMINATED, CL_PCRE_FAST_OPTS,
                                     &code, &off, NULL);
        }
        if (pw->code) (void)pcre2_jit_compile(pw->code, PCRE2_JIT_COMPLETE); /* else interpret */
        atomic_store_explicit(&pw->jitted, 1, memory_order_release);
    }
    pthread_mutex_unlock(&rw->jit_lock);
}

size_t classify_rules_count(const classify_rules *r, const char *lang)
{
    int i = classify_lang_index(lang);
    return r && i >= 0 ? r->langs[i].n_rules : 0;
}

/* ---- rules check ---- */

/* Does b fire whenever a does? (every trigger of a is a trigger of b, b has no veto, and
 * b looks at least where a looks) */
static int fires_with(const cl_lang *la, const cl_rule *a, const cl_lang *lb, const cl_rule *b)
{
    if (b->n_unless || !a->n_pat) return 0;
    if (b->where != CL_WHERE_ANY && b->where != a->where) return 0;
    for (uint32_t i = 0; i < a->n_pat; i++) {
        const char *src = la->pats[a->first_pat + i].src;
        int found = 0;
        for (uint32_t j = 0; j < b->n_pat && !found; j++)
            found = strcmp(src, lb->pats[b->first_pat + j].src) == 0;
        if (!found) return 0;
    }
    return 1;
}

/* 1 when a vote for sub b always takes the decision away from sub a (docs: precedence). */
static int outranks(int b, int a)
{
    int cb = cl_sub_chargeback();
    if (b == cb) return a != cb;
    if (cl_sub_is_defect(b))
        return bd_str_in(classify_subcategories[a],
                         (const char *const[]){"refund", "return", NULL});
    if (cl_sub_is_problem(b)) return strcmp(classify_subcategories[a], "negative") == 0;
    return 0;
}

static void check_shadowing(classify_rules *r, int li, cl_diag *d)
{
    const cl_lang *la = &r->langs[li];
    for (size_t i = 0; i < la->n_rules; i++) {
        const cl_rule *a = &la->rules[i];
        if (a->sub < 0) continue;
        int shadow_reported = 0;
        int lbs[2] = {li, 0};
        for (int k = 0; k < (li == 0 ? 1 : 2); k++) {
            const cl_lang *lb = &r->langs[lbs[k]];
            for (size_t j = 0; j < lb->n_rules; j++) {
                const cl_rule *b = &lb->rules[j];
                if (b == a || b->sub < 0 || !fires_with(la, a, lb, b)) continue;
                if (b->weight >= 1 && outranks(b->sub, a->sub) && !shadow_reported++)
                    diag(d, 1, la->file, a->id,
                         "can never decide: rule \"%s\" (%s/%s) fires whenever it does and "
                         "outranks %s/%s by precedence",
                         b->id, classify_category_of(classify_subcategories[b->sub]),
                         classify_subcategories[b->sub],
                         classify_category_of(classify_subcategories[a->sub]),
                         classify_subcategories[a->sub]);
                else if (!(b->weight >= 1 && outranks(b->sub, a->sub)) &&
                         fires_with(lb, b, la, a) && (lb != la || j < i))
                    diag(d, 0, la->file, a->id, "has the same patterns as rule \"%s\"%s", b->id,
                         b->sub == a->sub ? " (the two always add up: merge them)"
                                          : " (they always fire together)");
            }
        }
    }
}

/* Every example must fire its rule; a warning when the whole set decides otherwise. */
static void check_examples(classify_rules *r, int li, cl_diag *d)
{
    const cl_lang *l = &r->langs[li];
    classify_scratch *s = classify_scratch_new(r);
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    for (size_t i = 0; i < l->n_rules; i++) {
        const cl_rule *ru = &l->rules[i];
        for (size_t e = 0; e < ru->n_examples; e++) {
            size_t n;
            char *t = classify_normalize(ru->examples[e], strlen(ru->examples[e]), &n);
            int fired = 0, vetoed = 0;
            for (uint32_t p = 0; p < ru->n_pat + ru->n_unless; p++) {
                const cl_pattern *pat = &l->pats[ru->first_pat + p];
                if (!pat->code) continue;
                int m = pcre2_match(pat->code, (PCRE2_SPTR)t, n, 0, 0, md, NULL) >= 0;
                if (m && pat->unless)
                    vetoed = 1;
                else if (m)
                    fired = 1;
            }
            if (!fired || vetoed) {
                diag(d, 1, l->file, ru->id, "example %zu does not fire the rule%s: \"%s\"", e + 1,
                     vetoed ? " (an unless-pattern vetoes it)" : "", ru->examples[e]);
            } else if (ru->sub >= 0) {
                classify_input in = {
                    NULL, 0, ru->examples[e], strlen(ru->examples[e]), classify_langs[li], NULL, 0};
                classify_result res;
                bd_err err;
                if (classify_message(r, s, &in, &res, &err) == 0 &&
                    strcmp(res.subcategory, classify_subcategories[ru->sub]) != 0)
                    diag(d, 0, l->file, ru->id,
                         "example %zu is classified %s/%s by the whole rule set, not %s: \"%s\"",
                         e + 1, res.category, res.subcategory, classify_subcategories[ru->sub],
                         ru->examples[e]);
            }
            free(t);
        }
    }
    pcre2_match_data_free(md);
    classify_scratch_free(s);
}

int classify_rules_check(const char *dir, classify_report_fn report, void *ud, bd_err *err)
{
    if (dir_ok(dir, err)) return -1;
    classify_rules *r = bd_calloc(1, sizeof *r);
    pthread_mutex_init(&r->jit_lock, NULL);
    cl_diag d = {report, ud, 0, err};
    int files = 0;
    for (int i = 0; i < CLASSIFY_N_LANGS; i++) {
        char *path = bd_asprintf("%s/%s/rules.json", dir, classify_langs[i]);
        if (file_exists(path)) {
            files++;
            cl_lang_load(&r->langs[i], i, path, 0, &d);
            cl_lang_prefilter(&r->langs[i]);
        }
        free(path);
    }
    if (!files) {
        classify_rules_free(r);
        return bd_err_set(err, "no rules file in %s (expected %s/<lang>/rules.json)", dir, dir);
    }
    check_global_ids(r, &d);
    sizes(r);
    r->det = cl_langdet_new();
    for (int i = 0; i < CLASSIFY_N_LANGS; i++) {
        if (!r->langs[i].file) continue;
        check_shadowing(r, i, &d);
        check_examples(r, i, &d);
    }
    classify_rules_free(r);
    return d.errors;
}
