/*
 * template.h — the Mustache engine behind suggested replies (docs/templates.md).
 *
 * A template is compiled once (tpl_compile) and rendered many times (tpl_render) against a
 * cJSON context. The engine follows the Mustache spec (v1.3: variables, sections, inverted
 * sections, comments, partials with standalone indentation, set delimiters, dotted names,
 * the implicit iterator `{{.}}`) and its optional modules for dynamic partial names
 * `{{>*name}}` and template inheritance (`{{<layout}}{{$body}}...{{/body}}{{/layout}}`: a
 * partial whose `{{$block}}` defaults the parent tag overrides). Lambdas are not supported.
 *
 * Choices where the spec leaves room:
 *   - falsey for sections: missing, null, false, the empty list and the empty string;
 *     every number (0 too) and every object is truthy;
 *   - a number interpolates as its shortest round-trip decimal ("1.21", "85"), true/false
 *     as "true"/"false", null, objects and lists as nothing;
 *   - HTML escaping replaces & < > " (and nothing else);
 *   - a string of the data that is not valid UTF-8 is rendered with U+FFFD in place of each
 *     bad byte, so the output of a valid template is always valid UTF-8;
 *   - a missing partial renders as nothing (as the spec says); a partial the resolver cannot
 *     read is an error.
 *
 * Hostile templates get an error, never a crash or a hang: templates must be valid UTF-8
 * without NUL bytes, sections nest at most TPL_MAX_NESTING deep, partials at most
 * max_partial_depth deep (recursion included), the output is capped at max_output bytes and
 * the work at max_steps rendered tags.
 *
 * Errors are values: every function returning int gives 0 on success or -1 with err set.
 * Messages name the place as "LABEL:LINE:COLUMN: message" (line and column count from 1,
 * columns in code points), LABEL being the label given to tpl_compile (usually a path) or,
 * inside a partial, the origin its resolver gave (else the partial's name).
 */
#ifndef BORDERDESK_TEMPLATE_H
#define BORDERDESK_TEMPLATE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "borderdesk/util.h"

#define TPL_DEFAULT_MAX_OUTPUT ((size_t)1 << 20) /* bytes */
#define TPL_DEFAULT_MAX_DEPTH 32                 /* nested partials */
#define TPL_DEFAULT_MAX_STEPS 2000000            /* rendered tags and text pieces */
#define TPL_MAX_NESTING 100                      /* sections inside one template */
#define TPL_REPORT_MAX 256                       /* names kept per list of a report */

typedef struct tpl_template tpl_template;

/* Compiles text[0..len) (need not be NUL-terminated). label names the template in error
 * messages (NULL: "template"). On success *out is a new template the caller frees with
 * tpl_free. Errors: unclosed tag, unclosed or mismatched section, closing tag without
 * section, bad delimiter, empty or malformed tag name, nesting deeper than TPL_MAX_NESTING,
 * invalid UTF-8 or NUL byte in the text. */
int tpl_compile(const char *text, size_t len, const char *label, tpl_template **out, bd_err *err);
void tpl_free(tpl_template *t); /* NULL-safe */
/* The label given to tpl_compile (never NULL). */
const char *tpl_label(const tpl_template *t);

/* Finds the text of the partial `name` for the renderer. Returns
 *    1 after appending the text to *text; it may set *origin to a malloc'd label for error
 *      messages (a file path, say), which the renderer frees;
 *    0 when there is no such partial: it renders as the empty string;
 *   -1 with err set when the lookup failed (unreadable file, forbidden name): rendering
 *      stops with that error. */
typedef int (*tpl_partial_fn)(void *ud, const char *name, bd_buf *text, char **origin, bd_err *err);

/* Resolver over a directory: ud is the directory path (const char *); the partial `x` is
 * DIR/x.mustache. Names are relative paths without "." or ".." components and without a
 * leading "/" (anything else is an error); a file that does not exist is "no such partial". */
int tpl_partials_dir(void *ud, const char *name, bd_buf *text, char **origin, bd_err *err);
/* Resolver over a JSON object (ud: const cJSON *) mapping names to template strings; a
 * member that is not a string counts as missing. */
int tpl_partials_json(void *ud, const char *name, bd_buf *text, char **origin, bd_err *err);

/* What a render left unresolved; the lists own their strings (tpl_report_clear frees them).
 * Each list keeps a name once, in order of first use, at most TPL_REPORT_MAX names. */
typedef struct tpl_report {
    char **unresolved; /* every variable tag name ("order.carrier", "fill.coupon") that
                          was missing or null and so rendered as nothing or as a marker */
    size_t n_unresolved;
    char **missing; /* X of every `fill.X` rendered as the marker [[X]] */
    size_t n_missing;
    char **partials; /* partials that were not found (and so rendered as nothing) */
    size_t n_partials;
} tpl_report;
void tpl_report_clear(tpl_report *r); /* frees the lists and zeroes r; NULL-safe */

typedef struct tpl_render_opts {
    tpl_partial_fn partials;    /* NULL: no partials (every partial renders as nothing) */
    void *partials_ud;          /* passed to partials */
    unsigned max_partial_depth; /* 0: TPL_DEFAULT_MAX_DEPTH */
    size_t max_output;          /* bytes this render may add to out; 0: default 1 MiB */
    size_t max_steps;           /* 0: TPL_DEFAULT_MAX_STEPS */
    int fill_markers;           /* non-zero: a `fill.X` variable that is missing, null or ""
                                   renders as "[[X]]" and X is reported as missing */
    tpl_report *report;         /* NULL: no report; else names are appended to it */
    int plain_text;             /* non-zero: the output is plain text (a marketplace message,
                                   an e-mail body), so {{x}} is not HTML-escaped either */
} tpl_render_opts;

/* Renders t with data (any cJSON value; NULL is an empty context) and appends the result to
 * out. opts may be NULL (defaults, no partials). On error out is left as it was on entry
 * and err says what went wrong and where: partial nesting deeper than max_partial_depth,
 * output larger than max_output, more than max_steps steps, a partial that does not compile
 * or cannot be read. t is not modified, so one template may be rendered by many threads. */
int tpl_render(const tpl_template *t, const cJSON *data, const tpl_render_opts *opts, bd_buf *out,
               bd_err *err);

/* Calls fn for every name a compiled template uses (variables, sections, inverted sections,
 * partials, parents and blocks), in source order. kind is '$' variable, '#' section, '^'
 * inverted section, '>' partial, '<' parent, '+' block; scope is the name of the innermost
 * enclosing section (NULL at top level), so that names inside {{#order.items}} can be read
 * as fields of an item. Used by `borderdesk templates check`. */
typedef void (*tpl_name_fn)(void *ud, const char *name, char kind, const char *scope,
                            unsigned line, unsigned col);
void tpl_names(const tpl_template *t, tpl_name_fn fn, void *ud);

/* tpl_compile + tpl_render + tpl_free in one call. */
int tpl_render_text(const char *text, size_t len, const char *label, const cJSON *data,
                    const tpl_render_opts *opts, bd_buf *out, bd_err *err);

#endif
