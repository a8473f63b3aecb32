/* template_parse.c — compiles Mustache text into a tree of tpl_node (template_internal.h).
 *
 * One pass over the text with an explicit stack of open sections (no recursion, so deep
 * nesting cannot overflow the C stack). Standalone lines (a section, inverted, closing,
 * comment, partial or set-delimiter tag alone on its line, with only spaces or tabs around)
 * are removed whole, as the spec says; the leading whitespace of a standalone partial is
 * kept as its indentation. Parent and block tags (inheritance) may also share a standalone
 * line with each other ("{{<layout}}{{$body}}"), and a standalone block's content is stored
 * without its own indentation, which the renderer replaces by its site's (dedent_blocks). */
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
    size_t pos;       /* first byte not yet consumed */
    int at_bol;       /* the next piece of output begins a line */
    size_t run_until; /* a standalone run of parent/block tags ends here ... */
    size_t run_next;  /* ... and parsing goes on here after its last tag */
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

/* 1 when only blanks precede tag_start on its line (and no other tag); *ws_start is where
 * they begin. */
static int line_start_blank(const parser *p, size_t tag_start, size_t *ws_start)
{
    size_t i = tag_start;
    while (i > p->pos && is_blank(p->src[i - 1]))
        i--;
    if (i != 0 && p->src[i - 1] != '\n') return 0;
    *ws_start = i;
    return 1;
}

/* 1 when only blanks follow pos up to the line's end; *next is after "\n", "\r\n" or at the
 * end of the text. */
static int line_end_blank(const parser *p, size_t pos, size_t *next)
{
    size_t j = pos;
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

/* A plain name: no blanks inside (partials, parents and blocks are not looked up in the
 * context, so their names are not split at dots). */
static int plain_name(parser *p, size_t at, const char *what, const char *s, size_t n,
                      tpl_node *node)
{
    node->name = bd_strndup(s, n);
    for (size_t i = 0; i < n; i++)
        if (is_space(s[i])) return parse_fail(p, at, "invalid %s name \"%s\"", what, node->name);
    return 0;
}

/* Opens a section, inverted section, parent or block. indent is the blank text before a
 * standalone tag (parents and blocks use it for indentation). */
static int open_section(parser *p, size_t at, char sigil, const char *s, size_t n, int bol,
                        int alone, const char *indent, size_t indent_len)
{
    if (p->depth - 1 >= TPL_MAX_NESTING)
        return parse_fail(p, at, "sections nested deeper than %d levels", TPL_MAX_NESTING);
    if (p->depth == p->cap) {
        p->cap *= 2;
        p->stack = bd_realloc(p->stack, p->cap * sizeof *p->stack);
    }
    frame *f = &p->stack[p->depth++];
    memset(f, 0, sizeof *f);
    tpl_node *h = &f->head;
    h->kind = sigil == '#'   ? TPL_SECTION
              : sigil == '^' ? TPL_INVERTED
              : sigil == '<' ? TPL_PARENT
                             : TPL_BLOCK;
    h->bol = (uint8_t)bol;
    parse_loc(p, at, &h->line, &h->col);
    if (h->kind == TPL_SECTION || h->kind == TPL_INVERTED) return parse_name(p, at, s, n, h);
    h->standalone = (uint8_t)alone;
    h->text = bd_strndup(indent, indent_len);
    h->len = indent_len;
    return plain_name(p, at, h->kind == TPL_PARENT ? "parent" : "block", s, n, h);
}

/* Only the blocks inside a parent tag count; the rest of its content is ignored. */
static void keep_blocks(nodevec *body)
{
    size_t k = 0;
    for (size_t i = 0; i < body->n; i++) {
        if (body->v[i].kind == TPL_BLOCK)
            body->v[k++] = body->v[i];
        else
            node_clear(&body->v[i]);
    }
    body->n = k;
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
            if (f->head.kind == TPL_PARENT) keep_blocks(&f->body);
            tpl_node *sec = nodevec_push(parse_body(p));
            *sec = f->head;
            sec->kids = f->body.v;
            sec->n_kids = f->body.n;
        }
    }
    free(name);
    return rc;
}

/* A tag as found in the text: src[start, end), its sigil and its trimmed content [a, b). */
typedef struct tag {
    size_t start, end, a, b;
    char sigil; /* one of # ^ / > & { ! = < $, or '\0' for a variable */
} tag;

/* Reads the tag at start (which begins with the open delimiter). Returns 0, or -1 when its
 * closing delimiter never comes ("}" + delimiter for {{{, "=" + delimiter for {{=). */
static int tag_read(const parser *p, size_t start, tag *t)
{
    size_t in = start + p->olen;
    char c = in < p->len ? p->src[in] : '\0';
    t->sigil = c && strchr("#^/>&{!=<$", c) ? c : '\0';
    size_t from = t->sigil ? in + 1 : in;
    const char *end = NULL;
    if (from <= p->len) {
        size_t extra = c == '{' || c == '=';
        char *closer = bd_malloc(p->clen + 1);
        closer[0] = c == '{' ? '}' : c; /* {{{x}}} and {{=x=}}: one more character */
        memcpy(closer + extra, p->ctag, p->clen);
        end = find(p->src + from, p->len - from, closer, p->clen + extra);
        free(closer);
    }
    if (!end) return -1;
    t->start = start;
    t->a = from;
    t->b = (size_t)(end - p->src);
    t->end = t->b + (t->sigil == '{' || t->sigil == '=') + p->clen;
    trim(p->src, &t->a, &t->b);
    return 0;
}

#define RUN_MAX 16

/* Parent and block tags may share one standalone line: "{{<parent}}{{$block}}",
 * "{{/block}}{{/parent}}", "{{<parent}}{{/parent}}", "  {{$block}}{{/block}}". From the first
 * such tag t, returns the end of the run of adjacent parent, block and matching closing tags
 * (t->start when t cannot begin one); *block_pair says the run is a block opened and closed
 * at once, whose line keeps its newline. */
static size_t run_scan(const parser *p, const tag *first, int *block_pair)
{
    const char *open[RUN_MAX];
    size_t open_len[RUN_MAX], n_open = 0, depth = p->depth, count = 0, end = first->start;
    tag t = *first;
    for (;;) {
        const char *name = p->src + t.a;
        size_t len = t.b - t.a;
        if (t.sigil == '<' || t.sigil == '$') {
            open[n_open] = name, open_len[n_open++] = len;
        } else if (t.sigil == '/' && n_open > 0) {
            if (open_len[n_open - 1] != len || memcmp(open[n_open - 1], name, len)) break;
            n_open--;
        } else if (t.sigil == '/' && depth > 1) {
            const tpl_node *h = &p->stack[depth - 1].head;
            if ((h->kind != TPL_PARENT && h->kind != TPL_BLOCK) || strlen(h->name) != len ||
                memcmp(h->name, name, len))
                break;
            depth--;
        } else {
            break;
        }
        end = t.end;
        if (++count == RUN_MAX || n_open == RUN_MAX) break;
        if (end + p->olen > p->len || memcmp(p->src + end, p->otag, p->olen) != 0) break;
        if (tag_read(p, end, &t)) break;
    }
    *block_pair = count == 2 && first->sigil == '$';
    return end;
}

/* Decides whether tag t stands alone on its line (alone with a run of parent/block tags).
 * Sets *ws_start (where the line's leading blanks begin) and *next (where parsing goes on). */
static int tag_alone(parser *p, const tag *t, size_t *ws_start, size_t *next)
{
    *ws_start = t->start;
    *next = t->end;
    if (t->start < p->run_until) { /* a later tag of a standalone run */
        if (t->end == p->run_until) *next = p->run_next;
        return 1;
    }
    if (!t->sigil || strchr("&{", t->sigil) || !line_start_blank(p, t->start, ws_start)) {
        *ws_start = t->start;
        return 0;
    }
    int pair = 0;
    size_t end = t->end;
    if (strchr("<$/", t->sigil)) {
        size_t run_end = run_scan(p, t, &pair);
        if (run_end > end) end = run_end;
    }
    size_t after;
    if (!line_end_blank(p, end, &after)) {
        *ws_start = t->start;
        return 0;
    }
    if (end > t->end) {
        p->run_until = end;
        p->run_next = pair ? end : after; /* a block pair's line keeps its newline */
    } else {
        *next = after;
    }
    return 1;
}

/* Reads the tag at tag_start (which starts with the open delimiter). */
static int parse_tag(parser *p, size_t tag_start)
{
    const char *src = p->src;
    tag t;
    if (tag_read(p, tag_start, &t)) {
        char sigil = tag_start + p->olen < p->len ? src[tag_start + p->olen] : '\0';
        int extra = sigil == '{' || sigil == '=';
        return parse_fail(p, tag_start, "unclosed tag: \"%.*s\" without \"%s%.*s\"", (int)p->olen,
                          p->otag, extra ? (sigil == '{' ? "}" : "=") : "", (int)p->clen, p->ctag);
    }
    size_t a = t.a, b = t.b, ws_start, next;
    char sigil = t.sigil;
    int alone = tag_alone(p, &t, &ws_start, &next);
    add_text(p, p->pos, ws_start);
    p->pos = next;
    const char *indent = src + ws_start;
    size_t indent_len = tag_start - ws_start;

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
    if (sigil && strchr("#^<$", sigil))
        return open_section(p, tag_start, sigil, src + a, b - a, bol, alone, indent, indent_len);

    tpl_node *n = nodevec_push(parse_body(p));
    n->bol = (uint8_t)bol;
    parse_loc(p, tag_start, &n->line, &n->col);
    if (sigil == '>') {
        n->kind = TPL_PARTIAL;
        n->dynamic = (uint8_t)dynamic;
        n->standalone = (uint8_t)alone;
        n->len = alone ? indent_len : 0;
        n->text = bd_strndup(indent, n->len);
        if (dynamic) return parse_name(p, tag_start, src + a, b - a, n);
        return plain_name(p, tag_start, "partial", src + a, b - a, n);
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

/* ---- block indentation ----
 * The content of a block whose tag stands alone is kept without its own indentation (the
 * blanks common to its lines); where the block is rendered standalone, its site's
 * indentation is put back: the indentation of the site's default content or, without one,
 * of the site's tag. So an override written at any depth lines up with the parent. */

static void narrow(const char **c, size_t *clen, int *seen, const char *s, size_t w)
{
    if (!*seen) {
        *c = s, *clen = w, *seen = 1;
        return;
    }
    size_t k = 0;
    while (k < *clen && k < w && (*c)[k] == s[k])
        k++;
    *clen = k;
}

static int line_starts(const tpl_node *x, size_t s)
{
    return s == 0 ? x->bol : x->text[s - 1] == '\n';
}

static int stands_indented(const tpl_node *x)
{
    return x->standalone &&
           (x->kind == TPL_PARTIAL || x->kind == TPL_PARENT || x->kind == TPL_BLOCK);
}

/* The blanks common to the starts of the non-blank lines in nodes. */
static void lines_indent(const tpl_node *nodes, size_t n, const char **c, size_t *clen, int *seen)
{
    for (size_t i = 0; i < n; i++) {
        const tpl_node *x = &nodes[i];
        if (x->kind == TPL_TEXT) {
            if (x->len == 0 && x->bol) narrow(c, clen, seen, "", 0);
            for (size_t s = 0; s < x->len; s++) {
                if (!line_starts(x, s)) continue;
                size_t w = 0;
                while (s + w < x->len && is_blank(x->text[s + w]))
                    w++;
                if (s + w < x->len && (x->text[s + w] == '\n' || x->text[s + w] == '\r'))
                    continue; /* a blank line */
                narrow(c, clen, seen, x->text + s, w);
            }
        } else if (stands_indented(x)) {
            narrow(c, clen, seen, x->text, x->len);
        } else if (x->bol) {
            narrow(c, clen, seen, "", 0);
        }
        lines_indent(x->kids, x->n_kids, c, clen, seen);
    }
}

/* Removes up to k blanks from the start of every line in nodes. */
static void strip_indent(tpl_node *nodes, size_t n, size_t k)
{
    for (size_t i = 0; i < n; i++) {
        tpl_node *x = &nodes[i];
        if (x->kind == TPL_TEXT || stands_indented(x)) {
            size_t o = 0;
            for (size_t s = 0; s < x->len;) {
                if (x->kind == TPL_TEXT ? line_starts(x, s) : s == 0) {
                    size_t w = 0;
                    while (w < k && s + w < x->len && is_blank(x->text[s + w]))
                        w++;
                    s += w;
                    if (s == x->len) break;
                }
                x->text[o++] = x->text[s++];
            }
            x->text[o] = '\0';
            x->len = o;
        }
        strip_indent(x->kids, x->n_kids, k);
    }
}

static void dedent_blocks(tpl_node *nodes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tpl_node *x = &nodes[i];
        if (x->kind == TPL_BLOCK && x->standalone) {
            const char *c = NULL;
            size_t clen = 0;
            int seen = 0;
            lines_indent(x->kids, x->n_kids, &c, &clen, &seen);
            if (seen && clen > 0) {
                char *indent = bd_strndup(c, clen); /* c points into the text stripped next */
                strip_indent(x->kids, x->n_kids, clen);
                free(x->text);
                x->text = indent;
                x->len = clen;
            }
        }
        dedent_blocks(x->kids, x->n_kids);
    }
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
    dedent_blocks(p.stack[0].body.v, p.stack[0].body.n);
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
