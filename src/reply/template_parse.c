/* template_parse.c — compiles Mustache text into a tree of tpl_node (template_internal.h).
 *
 * One pass over the text with an explicit stack of open sections (no recursion, so deep
 * nesting cannot overflow the C stack). Standalone lines (a section, inverted, closing,
 * comment, partial or set-delimiter tag alone on its line, with only spaces or tabs around)
 * are removed whole, as the spec says; the leading whitespace of a standalone partial is
 * kept as its indentation. */
#include "template_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct nodevec {
    tpl_node *v;
    size_t n, cap;
} nodevec;

/* An open section: its tag (kind, name, place) and the body read so far. The bottom frame
 * is the template's top level. */
typedef struct frame {
    tpl_node head;
    nodevec body;
} frame;

typedef struct parser {
    const char *src;
    size_t len;
    const char *label;
    const char *otag, *ctag; /* current delimiters (point into src or at "{{" "}}") */
    size_t olen, clen;
    size_t pos; /* first byte not yet consumed */
    int at_bol; /* the next piece of output begins a line */
    frame *stack;
    size_t depth, cap;
    size_t loc_pos; /* position cache for line/column */
    uint32_t loc_line, loc_col;
    bd_err *err;
} parser;

static void node_clear(tpl_node *n)
{
    free(n->text);
    free(n->name);
    for (size_t i = 0; i < n->n_parts; i++)
        free(n->parts[i]);
    free(n->parts);
    for (size_t i = 0; i < n->n_kids; i++)
        node_clear(&n->kids[i]);
    free(n->kids);
    memset(n, 0, sizeof *n);
}

static tpl_node *nodevec_push(nodevec *nv)
{
    if (nv->n == nv->cap) {
        nv->cap = nv->cap ? nv->cap * 2 : 8;
        nv->v = bd_realloc(nv->v, nv->cap * sizeof *nv->v);
    }
    tpl_node *n = &nv->v[nv->n++];
    memset(n, 0, sizeof *n);
    return n;
}

static void nodevec_clear(nodevec *nv)
{
    for (size_t i = 0; i < nv->n; i++)
        node_clear(&nv->v[i]);
    free(nv->v);
    memset(nv, 0, sizeof *nv);
}

/* Line and column (from 1, columns in code points) of byte offset pos. Queries are mostly
 * increasing, so the scan resumes where the last one stopped. */
static void parse_loc(parser *p, size_t pos, uint32_t *line, uint32_t *col)
{
    if (pos < p->loc_pos || p->loc_line == 0) p->loc_pos = 0, p->loc_line = 1, p->loc_col = 1;
    for (size_t i = p->loc_pos; i < pos && i < p->len; i++) {
        unsigned char c = (unsigned char)p->src[i];
        if (c == '\n')
            p->loc_line++, p->loc_col = 1;
        else if ((c & 0xC0) != 0x80)
            p->loc_col++;
    }
    p->loc_pos = pos;
    *line = p->loc_line;
    *col = p->loc_col;
}

/* Sets the error "LABEL:LINE:COL: message" for byte offset pos; returns -1. */
static int parse_fail(parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int parse_fail(parser *p, size_t pos, const char *fmt, ...)
{
    uint32_t line, col;
    parse_loc(p, pos, &line, &col);
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return bd_err_set(p->err, "%s:%u:%u: %s", p->label, line, col, msg);
}

static nodevec *parse_body(parser *p)
{
    return &p->stack[p->depth - 1].body;
}

static void add_text(parser *p, size_t from, size_t to)
{
    if (to <= from) return;
    tpl_node *n = nodevec_push(parse_body(p));
    n->kind = TPL_TEXT;
    n->bol = (uint8_t)p->at_bol;
    parse_loc(p, from, &n->line, &n->col);
    n->text = bd_strndup(p->src + from, to - from);
    n->len = to - from;
    p->at_bol = p->src[to - 1] == '\n';
}

/* A tag that renders nothing but sits at the start of a line that goes on: an empty piece
 * keeps the line's indentation where the tag was. */
static void add_bol_marker(parser *p)
{
    if (!p->at_bol) return;
    tpl_node *n = nodevec_push(parse_body(p));
    n->kind = TPL_TEXT;
    n->bol = 1;
    n->text = bd_strdup("");
    p->at_bol = 0;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* When the tag [tag_start, tag_end) stands alone on its line, returns 1 with *ws_start at
 * the line's leading whitespace and *next after the line's end ("\n", "\r\n" or the end). */
static int parse_standalone(parser *p, size_t tag_start, size_t tag_end, size_t *ws_start,
                            size_t *next)
{
    size_t i = tag_start;
    while (i > p->pos && is_blank(p->src[i - 1]))
        i--;
    if (i != 0 && p->src[i - 1] != '\n') return 0;
    size_t j = tag_end;
    while (j < p->len && is_blank(p->src[j]))
        j++;
    if (j == p->len)
        *next = j;
    else if (p->src[j] == '\n')
        *next = j + 1;
    else if (p->src[j] == '\r' && j + 1 < p->len && p->src[j + 1] == '\n')
        *next = j + 2;
    else
        return 0;
    *ws_start = i;
    return 1;
}

/* Splits a tag name at dots into n->parts ("." gives no parts). */
static int parse_name(parser *p, size_t at, const char *s, size_t n, tpl_node *node)
{
    node->name = bd_strndup(s, n);
    for (size_t i = 0; i < n; i++)
        if (is_space(s[i])) return parse_fail(p, at, "invalid tag name \"%s\"", node->name);
    if (n == 1 && s[0] == '.') return 0;
    size_t count = 1;
    for (size_t i = 0; i < n; i++)
        count += s[i] == '.';
    node->parts = bd_calloc(count, sizeof *node->parts);
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.') continue;
        if (i == start)
            return parse_fail(p, at, "invalid tag name \"%s\" (empty part between dots)",
                              node->name);
        node->parts[node->n_parts++] = bd_strndup(s + start, i - start);
        start = i + 1;
    }
    return 0;
}

/* "{{=<% %>=}}": content is "<% %>". */
static int parse_delimiters(parser *p, size_t at, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && is_space(s[i]))
        i++;
    size_t a = i;
    while (i < n && !is_space(s[i]))
        i++;
    size_t alen = i - a;
    while (i < n && is_space(s[i]))
        i++;
    size_t b = i;
    while (i < n && !is_space(s[i]))
        i++;
    size_t blen = i - b;
    while (i < n && is_space(s[i]))
        i++;
    int bad =
        alen == 0 || blen == 0 || i != n || memchr(s + a, '=', alen) || memchr(s + b, '=', blen);
    if (bad) {
        char *shown = bd_strndup(s, n);
        parse_fail(p, at,
                   "bad delimiter \"%s\": want two delimiters without spaces or '=', "
                   "like {{=<%% %%>=}}",
                   shown);
        free(shown);
        return -1;
    }
    p->otag = s + a, p->olen = alen;
    p->ctag = s + b, p->clen = blen;
    return 0;
}

static const char *find(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    return memmem(hay, hlen, needle, nlen);
}

/* Trims spaces around src[*a..*b). */
static void trim(const char *s, size_t *a, size_t *b)
{
    while (*a < *b && is_space(s[*a]))
        (*a)++;
    while (*b > *a && is_space(s[*b - 1]))
        (*b)--;
}

static int open_section(parser *p, size_t at, int kind, const char *s, size_t n, int bol)
{
    if (p->depth - 1 >= TPL_MAX_NESTING)
        return parse_fail(p, at, "sections nested deeper than %d levels", TPL_MAX_NESTING);
    if (p->depth == p->cap) {
        p->cap *= 2;
        p->stack = bd_realloc(p->stack, p->cap * sizeof *p->stack);
    }
    frame *f = &p->stack[p->depth++];
    memset(f, 0, sizeof *f);
    f->head.kind = (uint8_t)kind;
    f->head.bol = (uint8_t)bol;
    parse_loc(p, at, &f->head.line, &f->head.col);
    return parse_name(p, at, s, n, &f->head);
}

static int close_section(parser *p, size_t at, const char *s, size_t n)
{
    char *name = bd_strndup(s, n);
    int rc = 0;
    if (p->depth <= 1) {
        rc = parse_fail(p, at, "closing tag \"%s\" without an open section", name);
    } else {
        frame *f = &p->stack[p->depth - 1];
        if (strcmp(f->head.name, name) != 0) {
            rc = parse_fail(p, at,
                            "closing tag \"%s\" does not match section \"%s\" opened at "
                            "%u:%u",
                            name, f->head.name, f->head.line, f->head.col);
        } else {
            p->depth--;
            tpl_node *sec = nodevec_push(parse_body(p));
            *sec = f->head;
            sec->kids = f->body.v;
            sec->n_kids = f->body.n;
        }
    }
    free(name);
    return rc;
}

/* Reads the tag at p->pos (which starts with the open delimiter). */
static int parse_tag(parser *p, size_t tag_start)
{
    const char *src = p->src;
    size_t in = tag_start + p->olen; /* first byte inside the tag */
    char sigil = in < p->len ? src[in] : '\0';
    /* where the content ends: "}" + ctag for {{{, "=" + ctag for {{=, else ctag */
    char *closer = bd_malloc(p->clen + 1);
    size_t cl = 0;
    if (sigil == '{' || sigil == '=') closer[cl++] = sigil == '{' ? '}' : '=';
    memcpy(closer + cl, p->ctag, p->clen);
    cl += p->clen;
    size_t cstart = sigil && strchr("#^/>&{!=<$", sigil) ? in + 1 : in;
    const char *end = cstart <= p->len ? find(src + cstart, p->len - cstart, closer, cl) : NULL;
    if (!end) {
        int rc = parse_fail(p, tag_start, "unclosed tag: \"%.*s\" without \"%.*s\"", (int)p->olen,
                            p->otag, (int)cl, closer);
        free(closer);
        return rc;
    }
    free(closer);
    size_t a = cstart, b = (size_t)(end - src), tag_end = b + cl;
    trim(src, &a, &b);

    int can_stand = sigil == '#' || sigil == '^' || sigil == '/' || sigil == '>' || sigil == '!' ||
                    sigil == '=';
    size_t ws_start = tag_start, next = tag_end;
    int alone = can_stand && parse_standalone(p, tag_start, tag_end, &ws_start, &next);
    add_text(p, p->pos, alone ? ws_start : tag_start);
    p->pos = next;

    if (sigil == '<' || sigil == '$')
        return parse_fail(p, tag_start, "template inheritance (\"%c\" tags) is not supported",
                          sigil);
    if (sigil == '!') {
        if (!alone) add_bol_marker(p);
        return 0;
    }
    if (sigil == '=') {
        if (!alone) add_bol_marker(p);
        return parse_delimiters(p, tag_start, src + a, b - a);
    }
    int dynamic = 0;
    if (sigil == '>' && a < b && src[a] == '*') {
        dynamic = 1;
        a++;
        while (a < b && is_space(src[a]))
            a++;
    }
    if (a == b) return parse_fail(p, tag_start, "empty tag name");
    if (sigil == '/') {
        if (!alone) add_bol_marker(p);
        return close_section(p, tag_start, src + a, b - a);
    }
    int bol = alone ? 0 : p->at_bol; /* a standalone line writes nothing */
    if (!alone) p->at_bol = 0;
    if (sigil == '#' || sigil == '^')
        return open_section(p, tag_start, sigil == '#' ? TPL_SECTION : TPL_INVERTED, src + a, b - a,
                            bol);

    tpl_node *n = nodevec_push(parse_body(p));
    n->bol = (uint8_t)bol;
    parse_loc(p, tag_start, &n->line, &n->col);
    if (sigil == '>') {
        n->kind = TPL_PARTIAL;
        n->dynamic = (uint8_t)dynamic;
        n->standalone = (uint8_t)alone;
        n->len = alone ? tag_start - ws_start : 0;
        n->text = bd_strndup(src + ws_start, n->len);
        if (!dynamic) {
            n->name = bd_strndup(src + a, b - a);
            for (size_t i = a; i < b; i++)
                if (is_space(src[i]))
                    return parse_fail(p, tag_start, "invalid partial name \"%s\"", n->name);
            return 0;
        }
        return parse_name(p, tag_start, src + a, b - a, n);
    }
    n->kind = (sigil == '&' || sigil == '{') ? TPL_RAW : TPL_VAR;
    return parse_name(p, tag_start, src + a, b - a, n);
}

/* Offset of the first byte that breaks UTF-8 or is NUL, or len when the text is clean. */
static size_t first_bad_byte(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0) return i;
        size_t k = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (k > len - i || !bd_utf8_valid(s + i, k)) return i;
        i += k;
    }
    return len;
}

static int parse_all(parser *p)
{
    size_t bad = first_bad_byte(p->src, p->len);
    if (bad < p->len)
        return parse_fail(p, bad, "%s in template text",
                          p->src[bad] ? "invalid UTF-8" : "NUL byte");
    while (p->pos < p->len) {
        const char *o = find(p->src + p->pos, p->len - p->pos, p->otag, p->olen);
        if (!o) {
            add_text(p, p->pos, p->len);
            p->pos = p->len;
            break;
        }
        if (parse_tag(p, (size_t)(o - p->src))) return -1;
    }
    if (p->depth > 1) {
        frame *f = &p->stack[p->depth - 1];
        return bd_err_set(p->err, "%s:%u:%u: unclosed section \"%s\"", p->label, f->head.line,
                          f->head.col, f->head.name);
    }
    return 0;
}

int tpl_compile(const char *text, size_t len, const char *label, tpl_template **out, bd_err *err)
{
    *out = NULL;
    parser p = {.src = text ? text : "",
                .len = text ? len : 0,
                .label = label ? label : "template",
                .otag = "{{",
                .olen = 2,
                .ctag = "}}",
                .clen = 2,
                .at_bol = 1,
                .cap = 8,
                .depth = 1,
                .err = err};
    p.stack = bd_calloc(p.cap, sizeof *p.stack);
    int rc = parse_all(&p);
    if (rc) {
        for (size_t i = 0; i < p.depth; i++) {
            node_clear(&p.stack[i].head);
            nodevec_clear(&p.stack[i].body);
        }
        free(p.stack);
        return -1;
    }
    tpl_template *t = bd_calloc(1, sizeof *t);
    t->label = bd_strdup(p.label);
    t->nodes = p.stack[0].body.v;
    t->n_nodes = p.stack[0].body.n;
    free(p.stack);
    *out = t;
    return 0;
}

void tpl_free(tpl_template *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n_nodes; i++)
        node_clear(&t->nodes[i]);
    free(t->nodes);
    free(t->label);
    free(t);
}

const char *tpl_label(const tpl_template *t)
{
    return t->label;
}
