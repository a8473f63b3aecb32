/* rank.c — choosing and rendering the suggested replies for a ticket. */
#include "borderdesk/locale.h"
#include "borderdesk/suggest.h"
#include "borderdesk/taxonomy.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    SCORE_SUBCATEGORY = 1000, /* the template answers exactly this kind of message */
    SCORE_UNCLASSIFIED = 600, /* no classification yet: the general "how can we help" */
    SCORE_CATEGORY = 200,     /* same category, another subcategory */
    SCORE_CONDITION = 50,     /* per `when:` condition that holds */
    SCORE_FALLBACK = -500,    /* not in the buyer's language */
};

/* -1 when a condition of t does not hold; else the number that hold. */
static int conditions(const suggest_template *t, const suggest_facts *f)
{
    struct {
        const char *want, *have;
    } c[] = {{t->order_state, f->order_state}, {t->tracking, f->tracking},
             {t->tier, f->tier},               {t->marketplace, f->marketplace},
             {t->eta, f->eta},                 {t->late_reply, f->late_reply}};
    int held = 0;
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        if (!c[i].want) continue;
        if (strcmp(c[i].want, c[i].have) != 0) return -1;
        held++;
    }
    return held;
}

static int same_template_in(const suggest_library *lib, const suggest_template *t,
                            const char *lang)
{
    for (size_t i = 0; i < lib->n; i++) {
        const suggest_template *o = &lib->t[i];
        if (strcmp(o->lang, lang) == 0 && strcmp(o->category, t->category) == 0 &&
            strcmp(o->subcategory, t->subcategory) == 0 && bd_streq(o->variant, t->variant))
            return 1;
    }
    return 0;
}

/* The language of the library that the buyer's language falls back to first. */
static void reply_language(const suggest_library *lib, const char *lang, char out[LOC_ID_MAX])
{
    char chain[LOC_CHAIN_MAX][LOC_ID_MAX];
    size_t n = loc_fallback_chain(lang && *lang ? lang : "en", chain);
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < lib->n; i++)
            if (strcmp(lib->t[i].lang, chain[k]) == 0) {
                memcpy(out, chain[k], LOC_ID_MAX);
                return;
            }
    memcpy(out, "en", 3);
}

#define NOT_ELIGIBLE INT_MIN

/* lang: the library language the buyer's language falls back to; base: the buyer's
 * language without region ("pt" for "pt_BR"). */
static int score(const suggest_library *lib, const suggest_template *t, const suggest_facts *f,
                 const char *lang, const char *base, int *fallback)
{
    if (!bd_taxonomy_valid(t->category, t->subcategory)) return NOT_ELIGIBLE; /* e.g. survey/ */
    int mixed = strcmp(t->lang, lang) != 0; /* English beside the buyer's language */
    if (mixed && (strcmp(t->lang, "en") != 0 || same_template_in(lib, t, lang)))
        return NOT_ELIGIBLE;
    *fallback = strcmp(t->lang, base) != 0;
    int held = conditions(t, f);
    if (held < 0) return NOT_ELIGIBLE;
    int s;
    if (!*f->subcategory)
        s = strcmp(t->subcategory, "unknown") == 0 ? SCORE_UNCLASSIFIED : 0;
    else if (strcmp(t->subcategory, f->subcategory) == 0)
        s = SCORE_SUBCATEGORY;
    else if (strcmp(t->category, f->category) == 0)
        s = SCORE_CATEGORY;
    else
        return NOT_ELIGIBLE;
    return s + held * SCORE_CONDITION + (mixed ? SCORE_FALLBACK : 0);
}

typedef struct candidate {
    size_t index;
    int score, fallback;
} candidate;

static int by_score(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    if (x->score != y->score) return y->score - x->score;
    return x->index < y->index ? -1 : x->index > y->index;
}

int suggest_rank(const suggest_library *lib, const suggest_facts *facts, const cJSON *context,
                 size_t limit, suggestion **out, size_t *n, bd_err *err)
{
    *out = NULL;
    *n = 0;
    char lang[LOC_ID_MAX], base[LOC_ID_MAX] = "en";
    reply_language(lib, facts->language, lang);
    if (*facts->language) {
        snprintf(base, sizeof base, "%.*s", (int)strcspn(facts->language, "_-"), facts->language);
        bd_str_lower_ascii(base);
    }
    candidate *c = bd_calloc(lib->n + 1, sizeof *c);
    size_t nc = 0;
    for (size_t i = 0; i < lib->n; i++) {
        int fb = 0, s = score(lib, &lib->t[i], facts, lang, base, &fb);
        if (s != NOT_ELIGIBLE) c[nc++] = (candidate){i, s, fb};
    }
    qsort(c, nc, sizeof *c, by_score);
    if (limit && nc > limit) nc = limit;
    suggestion *res = bd_calloc(nc + 1, sizeof *res);
    int rc = 0;
    for (size_t i = 0; i < nc && !rc; i++) {
        rc = suggest_render(&lib->t[c[i].index], context, &res[i], err);
        res[i].score = c[i].score;
        res[i].fallback = c[i].fallback;
    }
    free(c);
    if (rc) {
        suggestions_free(res, nc);
        return -1;
    }
    *out = res;
    *n = nc;
    return 0;
}

const suggest_template *suggest_library_find(const suggest_library *lib, const char *id)
{
    for (size_t i = 0; lib && id && i < lib->n; i++)
        if (strcmp(lib->t[i].id, id) == 0) return &lib->t[i];
    return NULL;
}

int suggest_render(const suggest_template *t, const cJSON *context, suggestion *out,
                   bd_err *err)
{
    tpl_report rep = {0};
    tpl_render_opts o = {.fill_markers = 1, .plain_text = 1, .report = &rep};
    bd_buf b = BD_BUF_INIT;
    int rc = tpl_render(t->tpl, context, &o, &b, err);
    *out = (suggestion){.tpl = t};
    out->text = bd_buf_detach(&b);
    out->missing = bd_calloc(rep.n_missing + 1, sizeof *out->missing);
    for (size_t k = 0; k < rep.n_missing; k++) out->missing[k] = bd_strdup(rep.missing[k]);
    out->n_missing = rep.n_missing;
    tpl_report_clear(&rep);
    return rc;
}

void suggestions_free(suggestion *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++) {
        free(s[i].text);
        for (size_t k = 0; k < s[i].n_missing; k++) free(s[i].missing[k]);
        free(s[i].missing);
    }
    free(s);
}

cJSON *suggestion_json(const suggestion *s)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "template_id", s->tpl->id);
    cJSON_AddStringToObject(j, "title", s->tpl->title);
    cJSON_AddStringToObject(j, "language", s->tpl->lang);
    cJSON_AddBoolToObject(j, "fallback", s->fallback);
    cJSON_AddNumberToObject(j, "score", s->score);
    cJSON_AddStringToObject(j, "text", s->text);
    cJSON *m = cJSON_AddArrayToObject(j, "missing");
    for (size_t i = 0; i < s->n_missing; i++) cJSON_AddItemToArray(m, cJSON_CreateString(s->missing[i]));
    return j;
}
