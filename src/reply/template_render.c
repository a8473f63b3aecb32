/* template_render.c — renders a compiled template (template_internal.h) against a cJSON
 * context stack: name lookup, sections, partials with indentation, the limits that keep
 * hostile templates and data harmless (output size, partial depth, work), and the report of
 * unresolved names and fill.* markers. */
#include "template_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Recursion guard over sections and partials together, whatever max_partial_depth says:
 * the renderer recurses once per level, so this bounds its use of the C stack. */
#define RENDER_MAX_NEST 1024

typedef struct cached_partial {
    char *name;
    tpl_template *t; /* NULL: no such partial */
} cached_partial;

/* A parent tag being rendered: its blocks override the blocks of the templates below it. */
typedef struct parent_frame {
    const tpl_template *t;
    const tpl_node *node;
} parent_frame;

typedef struct render {
    const tpl_render_opts *o;
    bd_buf *out;
    size_t start; /* out->len on entry */
    size_t max_output, max_steps, steps;
    unsigned max_depth;
    const cJSON **ctx; /* context stack, top last */
    size_t n_ctx, cap_ctx;
    const char **chain; /* names of the partials being rendered, outermost first */
    size_t depth, cap_chain;
    unsigned nest;
    const char *indent; /* indentation of the standalone partial being rendered */
    size_t indent_len;
    cached_partial *cache;
    size_t n_cache;
    parent_frame *parents; /* outermost first */
    size_t n_parents, cap_parents;
    const tpl_template *at_t; /* where we are, for error messages */
    const tpl_node *at_node;
    bd_err *err;
} render;

static int render_nodes(render *r, const tpl_template *t, const tpl_node *nodes, size_t n);

static int render_fail(render *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int render_fail(render *r, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->at_node)
        return bd_err_set(r->err, "%s:%u:%u: %s", r->at_t->label, r->at_node->line, r->at_node->col,
                          msg);
    return bd_err_set(r->err, "%s: %s", r->at_t->label, msg);
}

/* ---- output ---- */

static int put(render *r, const char *s, size_t n)
{
    if (r->out->len - r->start + n > r->max_output)
        return render_fail(r, "output larger than %zu bytes", r->max_output);
    bd_buf_append(r->out, s, n);
    return 0;
}

static int put_escaped(render *r, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        default:
            continue;
        }
        if (put(r, s + run, i - run) || put(r, rep, strlen(rep))) return -1;
        run = i + 1;
    }
    return put(r, s + run, n - run);
}

/* Text of the template: the indentation goes after every newline that has more text
 * behind it (a trailing newline's line starts with the next piece, which has bol set). */
static int put_text(render *r, const char *s, size_t n)
{
    if (!r->indent_len) return put(r, s, n);
    size_t from = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] != '\n') continue;
        if (put(r, s + from, i + 1 - from) || put(r, r->indent, r->indent_len)) return -1;
        from = i + 1;
    }
    return put(r, s + from, n - from);
}

/* ---- the report ---- */

static void report_add(char ***list, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i], name) == 0) return;
    if (*n >= TPL_REPORT_MAX) return;
    *list = bd_realloc(*list, (*n + 1) * sizeof **list);
    (*list)[(*n)++] = bd_strdup(name);
}

void tpl_report_clear(tpl_report *rep)
{
    if (!rep) return;
    for (size_t i = 0; i < rep->n_unresolved; i++)
        free(rep->unresolved[i]);
    for (size_t i = 0; i < rep->n_missing; i++)
        free(rep->missing[i]);
    for (size_t i = 0; i < rep->n_partials; i++)
        free(rep->partials[i]);
    free(rep->unresolved);
    free(rep->missing);
    free(rep->partials);
    memset(rep, 0, sizeof *rep);
}

/* ---- the context ---- */

static void ctx_push(render *r, const cJSON *v)
{
    if (r->n_ctx == r->cap_ctx) {
        r->cap_ctx = r->cap_ctx ? r->cap_ctx * 2 : 16;
        r->ctx = bd_realloc(r->ctx, r->cap_ctx * sizeof *r->ctx);
    }
    r->ctx[r->n_ctx++] = v;
}

/* The spec's name resolution: the first part is looked up from the top of the stack down,
 * every further part only inside the value found so far. NULL when nothing is found. */
static const cJSON *lookup(const render *r, const tpl_node *n)
{
    if (n->n_parts == 0) return r->n_ctx ? r->ctx[r->n_ctx - 1] : NULL;
    const cJSON *v = NULL;
    for (size_t i = r->n_ctx; i-- > 0 && !v;)
        if (cJSON_IsObject(r->ctx[i])) v = cJSON_GetObjectItemCaseSensitive(r->ctx[i], n->parts[0]);
    for (size_t k = 1; v && k < n->n_parts; k++)
        v = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, n->parts[k]) : NULL;
    return v;
}

static int falsey(const cJSON *v)
{
    return !v || cJSON_IsNull(v) || cJSON_IsFalse(v) || (cJSON_IsArray(v) && !v->child) ||
           (cJSON_IsString(v) && (!v->valuestring || !*v->valuestring));
}

/* Shortest decimal that reads back as d; integers without a fraction. */
static void number_text(double d, char *buf, size_t size)
{
    if (!isfinite(d)) {
        buf[0] = '\0';
        return;
    }
    if (d == floor(d) && fabs(d) < 1e15) {
        snprintf(buf, size, "%.0f", d);
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) return;
    }
}

/* ---- tags ---- */

static int put_value(render *r, const char *s, size_t n, int escape)
{
    char *fixed = NULL;
    if (!bd_utf8_valid(s, n)) s = fixed = bd_utf8_repair(s, n, &n);
    int rc = escape ? put_escaped(r, s, n) : put(r, s, n);
    free(fixed);
    return rc;
}

static int render_var(render *r, const tpl_node *n)
{
    const cJSON *v = lookup(r, n);
    int escape = n->kind == TPL_VAR && !r->o->plain_text;
    int absent = !v || cJSON_IsNull(v);
    tpl_report *rep = r->o->report;
    if (absent && rep) report_add(&rep->unresolved, &rep->n_unresolved, n->name);
    int fill = n->n_parts >= 2 && strcmp(n->parts[0], "fill") == 0;
    if (fill && r->o->fill_markers && (absent || (cJSON_IsString(v) && !*v->valuestring))) {
        const char *x = n->name + 5; /* after "fill." */
        if (rep) report_add(&rep->missing, &rep->n_missing, x);
        if (put(r, "[[", 2) || put_value(r, x, strlen(x), escape)) return -1;
        return put(r, "]]", 2);
    }
    if (absent) return 0;
    if (cJSON_IsString(v) && v->valuestring)
        return put_value(r, v->valuestring, strlen(v->valuestring), escape);
    if (cJSON_IsNumber(v)) {
        char buf[64];
        number_text(v->valuedouble, buf, sizeof buf);
        return put(r, buf, strlen(buf));
    }
    if (cJSON_IsBool(v)) return cJSON_IsTrue(v) ? put(r, "true", 4) : put(r, "false", 5);
    return 0; /* objects and lists have no text */
}

static int render_body(render *r, const tpl_template *t, const tpl_node *n, const cJSON *v)
{
    ctx_push(r, v);
    int rc = render_nodes(r, t, n->kids, n->n_kids);
    r->n_ctx--;
    return rc;
}

static int render_section(render *r, const tpl_template *t, const tpl_node *n)
{
    const cJSON *v = lookup(r, n);
    if (n->kind == TPL_INVERTED) return falsey(v) ? render_nodes(r, t, n->kids, n->n_kids) : 0;
    if (falsey(v)) return 0;
    if (!cJSON_IsArray(v)) return render_body(r, t, n, v);
    for (const cJSON *item = v->child; item; item = item->next) {
        if (++r->steps > r->max_steps) {
            r->at_t = t, r->at_node = n;
            return render_fail(r, "rendering takes more than %zu steps", r->max_steps);
        }
        if (render_body(r, t, n, item)) return -1;
    }
    return 0;
}

/* ---- indentation of standalone partials, parents and blocks ---- */

typedef struct indent_saved {
    const char *indent;
    size_t len;
    char *owned; /* the indentation pushed, freed by indent_pop */
} indent_saved;

/* Standalone: the current indentation grows by more[0..n); inline: none while inside. */
static indent_saved indent_push(render *r, int standalone, const char *more, size_t n)
{
    indent_saved s = {r->indent, r->indent_len, NULL};
    if (!standalone) {
        r->indent = "", r->indent_len = 0;
    } else if (n) {
        s.owned = bd_malloc(r->indent_len + n + 1);
        memcpy(s.owned, r->indent, r->indent_len);
        memcpy(s.owned + r->indent_len, more, n);
        s.owned[r->indent_len + n] = '\0';
        r->indent = s.owned, r->indent_len += n;
    }
    return s;
}

static void indent_pop(render *r, indent_saved *s)
{
    r->indent = s->indent, r->indent_len = s->len;
    free(s->owned);
}

/* The compiled partial `name` (NULL when there is none), resolved and compiled once per
 * render. */
static int partial_get(render *r, const char *name, tpl_template **out)
{
    for (size_t i = 0; i < r->n_cache; i++) {
        if (strcmp(r->cache[i].name, name) == 0) {
            *out = r->cache[i].t;
            return 0;
        }
    }
    *out = NULL;
    if (r->o->partials) {
        bd_buf text = BD_BUF_INIT;
        char *origin = NULL;
        bd_err perr = {{0}};
        int found = r->o->partials(r->o->partials_ud, name, &text, &origin, &perr);
        int rc = 0;
        if (found < 0) {
            rc = render_fail(r, "partial \"%s\": %s", name, perr.msg);
        } else if (found > 0 && tpl_compile(text.data ? text.data : "", text.len,
                                            origin ? origin : name, out, &perr)) {
            rc = bd_err_set(r->err, "%s (included from %s:%u:%u)", perr.msg, r->at_t->label,
                            r->at_node->line, r->at_node->col);
        }
        bd_buf_free(&text);
        free(origin);
        if (rc) return -1;
    }
    if (!*out && r->o->report) report_add(&r->o->report->partials, &r->o->report->n_partials, name);
    r->cache = bd_realloc(r->cache, (r->n_cache + 1) * sizeof *r->cache);
    r->cache[r->n_cache].name = bd_strdup(name);
    r->cache[r->n_cache].t = *out;
    r->n_cache++;
    return 0;
}

/* {{>name}}, {{>*name}} and {{<name}}...{{/name}}: a parent is a partial whose blocks the
 * parent tag's blocks override. */
static int render_partial(render *r, const tpl_template *t, const tpl_node *n)
{
    const char *name = n->name;
    if (n->dynamic) {
        const cJSON *v = lookup(r, n);
        if (!cJSON_IsString(v) || !v->valuestring) return 0;
        name = v->valuestring;
    }
    if (r->depth >= r->max_depth) {
        int loop = 0;
        for (size_t i = 0; i < r->depth; i++)
            loop |= strcmp(r->chain[i], name) == 0;
        return render_fail(r, "partial \"%s\" nested deeper than %u levels%s", name, r->max_depth,
                           loop ? " (it includes itself)" : "");
    }
    tpl_template *pt;
    if (partial_get(r, name, &pt)) return -1;
    if (!pt) return 0;
    if (r->depth == r->cap_chain) {
        r->cap_chain = r->cap_chain ? r->cap_chain * 2 : 8;
        r->chain = bd_realloc(r->chain, r->cap_chain * sizeof *r->chain);
    }
    r->chain[r->depth++] = name;
    if (n->kind == TPL_PARENT) {
        if (r->n_parents == r->cap_parents) {
            r->cap_parents = r->cap_parents ? r->cap_parents * 2 : 8;
            r->parents = bd_realloc(r->parents, r->cap_parents * sizeof *r->parents);
        }
        r->parents[r->n_parents++] = (parent_frame){t, n};
    }
    /* a standalone partial is indented like its tag; an inline one is not indented */
    indent_saved saved = indent_push(r, n->standalone, n->text, n->len);
    int rc = render_nodes(r, pt, pt->nodes, pt->n_nodes);
    indent_pop(r, &saved);
    r->depth--;
    if (n->kind == TPL_PARENT) r->n_parents--;
    return rc;
}

/* {{$name}}default{{/name}}: the outermost parent tag that has a block of that name wins. */
static int render_block(render *r, const tpl_template *t, const tpl_node *n)
{
    const tpl_template *ct = t;
    const tpl_node *c = n;
    for (size_t i = 0; i < r->n_parents && c == n; i++) {
        const tpl_node *par = r->parents[i].node;
        for (size_t k = 0; k < par->n_kids; k++) {
            if (strcmp(par->kids[k].name, n->name) == 0) {
                c = &par->kids[k], ct = r->parents[i].t;
                break;
            }
        }
    }
    if (!n->standalone) return render_nodes(r, ct, c->kids, c->n_kids);
    /* a standalone site indents every line of the content, like a standalone partial */
    indent_saved saved = indent_push(r, 1, n->text, n->len);
    int rc = 0;
    if (!c->standalone && r->indent_len) rc = put(r, r->indent, r->indent_len);
    if (!rc) rc = render_nodes(r, ct, c->kids, c->n_kids);
    indent_pop(r, &saved);
    return rc;
}

static int render_node(render *r, const tpl_template *t, const tpl_node *n)
{
    r->at_t = t, r->at_node = n;
    if (++r->steps > r->max_steps)
        return render_fail(r, "rendering takes more than %zu steps", r->max_steps);
    if (n->bol && r->indent_len && put(r, r->indent, r->indent_len)) return -1;
    switch (n->kind) {
    case TPL_TEXT:
        return put_text(r, n->text, n->len);
    case TPL_VAR:
    case TPL_RAW:
        return render_var(r, n);
    case TPL_SECTION:
    case TPL_INVERTED:
        return render_section(r, t, n);
    case TPL_PARTIAL:
    case TPL_PARENT:
        return render_partial(r, t, n);
    case TPL_BLOCK:
        return render_block(r, t, n);
    }
    return 0;
}

static int render_nodes(render *r, const tpl_template *t, const tpl_node *nodes, size_t n)
{
    if (++r->nest > RENDER_MAX_NEST)
        return render_fail(r, "sections and partials nested deeper than %d levels",
                           RENDER_MAX_NEST);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = render_node(r, t, &nodes[i]);
    r->nest--;
    return rc;
}

int tpl_render(const tpl_template *t, const cJSON *data, const tpl_render_opts *opts, bd_buf *out,
               bd_err *err)
{
    static const tpl_render_opts defaults;
    render r = {.o = opts ? opts : &defaults, .out = out, .start = out->len, .err = err};
    r.max_output = r.o->max_output ? r.o->max_output : TPL_DEFAULT_MAX_OUTPUT;
    r.max_steps = r.o->max_steps ? r.o->max_steps : TPL_DEFAULT_MAX_STEPS;
    r.max_depth = r.o->max_partial_depth ? r.o->max_partial_depth : TPL_DEFAULT_MAX_DEPTH;
    r.indent = "";
    r.at_t = t;
    if (data) ctx_push(&r, data);
    bd_buf_grow(out, 0); /* out->data is a string even when nothing is rendered */
    out->data[out->len] = '\0';
    int rc = render_nodes(&r, t, t->nodes, t->n_nodes);
    if (rc) {
        out->len = r.start;
        out->data[out->len] = '\0';
    }
    for (size_t i = 0; i < r.n_cache; i++) {
        free(r.cache[i].name);
        tpl_free(r.cache[i].t);
    }
    free(r.cache);
    free(r.ctx);
    free(r.chain);
    free(r.parents);
    return rc;
}

int tpl_render_text(const char *text, size_t len, const char *label, const cJSON *data,
                    const tpl_render_opts *opts, bd_buf *out, bd_err *err)
{
    tpl_template *t;
    if (tpl_compile(text, len, label, &t, err)) return -1;
    int rc = tpl_render(t, data, opts, out, err);
    tpl_free(t);
    return rc;
}
