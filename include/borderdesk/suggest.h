/*
 * suggest.h — suggested replies: the library of reply templates (templates/<lang>/
 * <category>/<subcategory>[.<variant>].mustache, see docs/templates.md), the render context
 * of a ticket, and ranked, fully rendered suggestions in the buyer's language.
 *
 * Ownership: everything returned is freed by the matching *_free function (NULL-safe).
 */
#ifndef BORDERDESK_SUGGEST_H
#define BORDERDESK_SUGGEST_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "borderdesk/config.h"
#include "borderdesk/store.h"
#include "borderdesk/template.h"

/* One template of the library, with the header it opens with. */
typedef struct suggest_template {
    char *id;        /* "de/shipping/delay.no_tracking" */
    char *path;      /* the file */
    char *lang, *category, *subcategory;
    char *variant;   /* NULL for the subcategory's default template */
    char *title;
    /* conditions of the header's `when:` line; NULL where the header sets none */
    char *order_state, *tracking, *tier, *marketplace, *eta, *late_reply;
    tpl_template *tpl;
} suggest_template;

typedef struct suggest_library {
    char *dir;
    suggest_template *t;
    size_t n;
} suggest_library;

/* Called for a template that cannot be used (bad header, compile error); the load goes on
 * without it. message includes the file and position. */
typedef void (*suggest_problem_fn)(void *ud, const char *path, const char *message);

/* Loads every template under dir. Fails only when dir cannot be read; problems with single
 * templates go to problem (may be NULL). */
int suggest_library_load(const char *dir, suggest_problem_fn problem, void *ud,
                         suggest_library **out, bd_err *err);
void suggest_library_free(suggest_library *lib);

/* The facts about a ticket that choose a template. Empty strings mean unknown. */
typedef struct suggest_facts {
    char language[16];     /* the buyer's language: the reply's */
    char category[24], subcategory[24];
    char order_state[16];  /* not_shipped, shipped, delivered; "" without an order */
    char tracking[4];      /* yes, no; "" without an order */
    char tier[16];         /* vip, important, ordinary; "" when not graded */
    char marketplace[24];
    char eta[8];           /* before, after; "" without an estimate */
    char late_reply[4];    /* yes when our first answer is already late, else "" */
} suggest_facts;

/* Builds the render context of a ticket (the names of docs/templates.md) and its facts.
 * agent is the name of who answers (display name when a user); NULL: the assignee. The
 * context's dates and money are formatted for the buyer's locale through ICU. */
int suggest_ticket_context(bd_store *s, const bd_config *cfg, int64_t ticket_id,
                           const char *agent, cJSON **context, suggest_facts *facts,
                           bd_err *err);

typedef struct suggestion {
    const suggest_template *tpl; /* points into the library */
    int score;
    int fallback;  /* the buyer's language has no template here: this one is English */
    char *text;    /* the rendered reply */
    char **missing; /* fill.* facts the agent must supply (rendered as [[name]]) */
    size_t n_missing;
} suggestion;

/* Ranks the library's templates for facts and renders the best `limit` with context:
 * subcategory first, then the variant whose conditions all hold; a variant with a condition
 * that does not hold is left out. The buyer's language is used along its fallback chain
 * (pt_BR -> pt -> en); English answers are marked fallback. */
int suggest_rank(const suggest_library *lib, const suggest_facts *facts, const cJSON *context,
                 size_t limit, suggestion **out, size_t *n, bd_err *err);
void suggestions_free(suggestion *s, size_t n);

/* The carrier's tracking page for a tracking number (https; the number keeps only its
 * letters and digits; an unknown carrier gets a 17track page). Caller frees. */
char *suggest_tracking_url(const char *carrier, const char *number);

/* The template whose id is `id` ("de/shipping/delay.no_tracking"), or NULL. */
const suggest_template *suggest_library_find(const suggest_library *lib, const char *id);

/* Renders one template with context as a suggestion (fill markers on, plain text): out->tpl
 * is t, score and fallback are 0 (the caller sets them). Free with suggestions_free(out, 1)
 * when out was allocated, or free its members. Returns 0, or -1 with err. */
int suggest_render(const suggest_template *t, const cJSON *context, suggestion *out,
                   bd_err *err);

/* The JSON form of a suggestion (CLI --json and REST API). */
cJSON *suggestion_json(const suggestion *s);

/* Every name a template may use (docs/templates.md); scope is the enclosing section.
 * 1 when known. */
int suggest_name_known(const char *name, const char *scope);

#endif
