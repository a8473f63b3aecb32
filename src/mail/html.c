/* html.c — plain text from the HTML part of a mail, when there is no text/plain.
 *
 * A small tolerant converter, not a browser: tags are read just enough to know their name,
 * script/style/head contents are dropped, block elements become line breaks, list items
 * get a "- " or "1. " marker, table cells a tab, <blockquote> lines a "> " prefix (so that
 * quote.c strips quoted replies from HTML mail like from plain text), entities are
 * decoded (named, decimal, hex), and whitespace collapses as a browser would show it.
 * Unclosed tags, stray '<' and unknown entities stay text. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse_internal.h"

typedef struct html_out {
    bd_buf buf;
    int space;       /* whitespace is pending */
    int pre;         /* inside <pre>: whitespace kept */
    int quote;       /* <blockquote> depth */
    int list_depth;  /* nesting of ul/ol */
    int ordered[16]; /* per list level: 0 for ul, else the next number */
} html_out;

static int at_line_start(const html_out *o)
{
    return o->buf.len == 0 || o->buf.data[o->buf.len - 1] == '\n';
}

static void line_prefix(html_out *o)
{
    if (at_line_start(o))
        for (int i = 0; i < o->quote && i < 8; i++)
            bd_buf_puts(&o->buf, "> ");
}

static void put_text(html_out *o, const char *s, size_t n)
{
    if (!n) return;
    line_prefix(o);
    if (o->space && !at_line_start(o) && o->buf.data[o->buf.len - 1] != ' ')
        bd_buf_putc(&o->buf, ' ');
    o->space = 0;
    bd_buf_append(&o->buf, s, n);
}

/* Ends the line; with blank = 1 leaves an empty line too (paragraphs). Never at the top,
 * never more than one empty line. */
static void put_break(html_out *o, int blank)
{
    o->space = 0;
    while (o->buf.len && o->buf.data[o->buf.len - 1] == ' ')
        o->buf.data[--o->buf.len] = '\0';
    if (!o->buf.len) return;
    size_t nl = 0;
    while (nl < o->buf.len && o->buf.data[o->buf.len - 1 - nl] == '\n')
        nl++;
    for (size_t want = blank ? 2 : 1; nl < want; nl++)
        bd_buf_putc(&o->buf, '\n');
}

/* ---- entities ---- */

static const struct {
    const char *name;
    uint32_t cp;
} entities[] = {
    {"nbsp", 0xA0},    {"amp", '&'},       {"lt", '<'},       {"gt", '>'},
    {"quot", '"'},     {"apos", '\''},     {"copy", 0xA9},    {"reg", 0xAE},
    {"trade", 0x2122}, {"euro", 0x20AC},   {"pound", 0xA3},   {"yen", 0xA5},
    {"cent", 0xA2},    {"sect", 0xA7},     {"deg", 0xB0},     {"times", 0xD7},
    {"divide", 0xF7},  {"hellip", 0x2026}, {"mdash", 0x2014}, {"ndash", 0x2013},
    {"lsquo", 0x2018}, {"rsquo", 0x2019},  {"sbquo", 0x201A}, {"ldquo", 0x201C},
    {"rdquo", 0x201D}, {"bdquo", 0x201E},  {"laquo", 0xAB},   {"raquo", 0xBB},
    {"bull", 0x2022},  {"middot", 0xB7},   {"iexcl", 0xA1},   {"iquest", 0xBF},
    {"shy", 0xAD},     {"ensp", 0x2002},   {"emsp", 0x2003},  {"thinsp", 0x2009},
    {"zwnj", 0x200C},  {"zwj", 0x200D},    {"aacute", 0xE1},  {"Aacute", 0xC1},
    {"agrave", 0xE0},  {"Agrave", 0xC0},   {"acirc", 0xE2},   {"Acirc", 0xC2},
    {"atilde", 0xE3},  {"Atilde", 0xC3},   {"auml", 0xE4},    {"Auml", 0xC4},
    {"aring", 0xE5},   {"Aring", 0xC5},    {"aelig", 0xE6},   {"AElig", 0xC6},
    {"ccedil", 0xE7},  {"Ccedil", 0xC7},   {"eacute", 0xE9},  {"Eacute", 0xC9},
    {"egrave", 0xE8},  {"Egrave", 0xC8},   {"ecirc", 0xEA},   {"Ecirc", 0xCA},
    {"euml", 0xEB},    {"Euml", 0xCB},     {"iacute", 0xED},  {"Iacute", 0xCD},
    {"igrave", 0xEC},  {"Igrave", 0xCC},   {"icirc", 0xEE},   {"Icirc", 0xCE},
    {"iuml", 0xEF},    {"Iuml", 0xCF},     {"ntilde", 0xF1},  {"Ntilde", 0xD1},
    {"oacute", 0xF3},  {"Oacute", 0xD3},   {"ograve", 0xF2},  {"Ograve", 0xD2},
    {"ocirc", 0xF4},   {"Ocirc", 0xD4},    {"otilde", 0xF5},  {"Otilde", 0xD5},
    {"ouml", 0xF6},    {"Ouml", 0xD6},     {"oslash", 0xF8},  {"Oslash", 0xD8},
    {"uacute", 0xFA},  {"Uacute", 0xDA},   {"ugrave", 0xF9},  {"Ugrave", 0xD9},
    {"ucirc", 0xFB},   {"Ucirc", 0xDB},    {"uuml", 0xFC},    {"Uuml", 0xDC},
    {"yacute", 0xFD},  {"yuml", 0xFF},     {"szlig", 0xDF},   {"oelig", 0x153},
    {"OElig", 0x152},  {"scaron", 0x161},  {"Scaron", 0x160}, {"ordf", 0xAA},
    {"ordm", 0xBA},    {"plusmn", 0xB1},   {"micro", 0xB5},   {"para", 0xB6},
    {"frac12", 0xBD},  {"frac14", 0xBC},   {"frac34", 0xBE},  {"larr", 0x2190},
    {"rarr", 0x2192},  {"hearts", 0x2665}, {"star", 0x2606},
};

static void put_cp(bd_buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80)
        u[0] = (char)cp, n = 1;
    else if (cp < 0x800)
        u[0] = (char)(0xC0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    bd_buf_append(b, u, n);
}

/* Decodes the entity at s ('&'); returns the bytes consumed (0: not an entity) and sets
 * *cp. Numeric references to NUL, surrogates or beyond U+10FFFF give U+FFFD. */
static size_t entity(const char *s, uint32_t *cp)
{
    if (s[1] == '#') {
        int hex = s[2] == 'x' || s[2] == 'X';
        size_t i = hex ? 3 : 2;
        uint32_t v = 0;
        size_t start = i;
        while (hex ? isxdigit((unsigned char)s[i]) : isdigit((unsigned char)s[i])) {
            int d = isdigit((unsigned char)s[i]) ? s[i] - '0'
                                                 : (tolower((unsigned char)s[i]) - 'a' + 10);
            if (v < 0x110000) v = v * (hex ? 16 : 10) + (uint32_t)d;
            i++;
        }
        if (i == start) return 0;
        if (s[i] == ';') i++;
        if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) v = 0xFFFD;
        if (v >= 0x80 && v <= 0x9F) v = 0xFFFD; /* C1 controls are not text */
        *cp = v;
        return i;
    }
    size_t n = 0;
    while (n < 10 && isalnum((unsigned char)s[1 + n]))
        n++;
    for (size_t k = 0; k < sizeof entities / sizeof entities[0]; k++) {
        size_t len = strlen(entities[k].name);
        if (len <= n && strncmp(s + 1, entities[k].name, len) == 0 &&
            (s[1 + len] == ';' || len == n)) {
            *cp = entities[k].cp;
            return 1 + len + (s[1 + len] == ';');
        }
    }
    return 0;
}

/* ---- tags ---- */

static int name_is(const char *name, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcasecmp(name, list[i]) == 0) return 1;
    return 0;
}

static const char *const drop_tags[] = {"script",   "style", "head",   "title", "template",
                                        "noscript", "xml",   "object", NULL};
static const char *const para_tags[] = {"p",     "h1", "h2",  "h3",      "h4", "h5", "h6",
                                        "table", "hr", "pre", "address", "dl", NULL};
static const char *const line_tags[] = {
    "div",    "tr",   "section", "article", "header", "footer",     "dd",       "dt",
    "center", "form", "caption", "ul",      "ol",     "blockquote", "fieldset", "figure",
    "main",   "nav",  "aside",   "tbody",   "thead",  "body",       "html",     NULL};

/* Where the tag starting at s ('<') ends: the '>' outside quoted attribute values, or NULL. */
static const char *tag_end(const char *s)
{
    char quote = 0;
    for (const char *p = s + 1; *p; p++) {
        if (quote) {
            if (*p == quote) quote = 0;
        } else if (*p == '"' || *p == '\'') {
            if (p[-1] == '=' || p[-1] == ' ') quote = *p;
        } else if (*p == '>') {
            return p;
        }
    }
    return NULL;
}

/* Skips to after the closing tag of name (case-insensitive), or to the end. */
static const char *skip_element(const char *p, const char *name)
{
    size_t n = strlen(name);
    for (; *p; p++)
        if (p[0] == '<' && p[1] == '/' && strncasecmp(p + 2, name, n) == 0 &&
            !isalnum((unsigned char)p[2 + n])) {
            const char *e = tag_end(p);
            return e ? e + 1 : p + strlen(p);
        }
    return p;
}

static void open_list(html_out *o, int ordered)
{
    if (o->list_depth < 16) o->ordered[o->list_depth] = ordered;
    o->list_depth++;
    put_break(o, 0);
}

static void list_item(html_out *o)
{
    put_break(o, 0);
    line_prefix(o);
    int level = o->list_depth > 0 ? o->list_depth - 1 : 0;
    for (int i = 0; i < level && i < 8; i++)
        bd_buf_puts(&o->buf, "  ");
    if (o->list_depth > 0 && o->list_depth <= 16 && o->ordered[level])
        bd_buf_printf(&o->buf, "%d. ", o->ordered[level]++);
    else
        bd_buf_puts(&o->buf, "- ");
}

/* Acts on one tag; returns where reading goes on. */
static const char *handle_tag(html_out *o, const char *p, const char *end)
{
    int closing = p[1] == '/';
    const char *q = p + 1 + closing;
    char name[16];
    size_t n = 0;
    while (isalnum((unsigned char)q[n]) && n < sizeof name - 1)
        name[n] = q[n], n++;
    name[n] = '\0';
    if (!closing && name_is(name, drop_tags)) return skip_element(end + 1, name);
    if (strcasecmp(name, "br") == 0) {
        put_break(o, 0);
        line_prefix(o);
        return end + 1;
    }
    if (strcasecmp(name, "li") == 0) {
        if (!closing) list_item(o);
        return end + 1;
    }
    if (strcasecmp(name, "td") == 0 || strcasecmp(name, "th") == 0) {
        if (!closing && !at_line_start(o)) bd_buf_putc(&o->buf, '\t'), o->space = 0;
        return end + 1;
    }
    if (strcasecmp(name, "pre") == 0) o->pre = !closing;
    if (strcasecmp(name, "blockquote") == 0) {
        put_break(o, 0);
        o->quote += closing ? (o->quote > 0 ? -1 : 0) : 1;
    }
    if (strcasecmp(name, "ul") == 0 || strcasecmp(name, "ol") == 0) {
        if (closing) {
            if (o->list_depth > 0) o->list_depth--;
            put_break(o, 0);
        } else {
            open_list(o, strcasecmp(name, "ol") == 0 ? 1 : 0);
        }
        return end + 1;
    }
    if (name_is(name, para_tags))
        put_break(o, 1);
    else if (name_is(name, line_tags))
        put_break(o, 0);
    return end + 1;
}

char *mail_html_to_text(const char *html)
{
    html_out o = {0};
    bd_buf_puts(&o.buf, "");
    const char *p = html ? html : "";
    while (*p) {
        if (p[0] == '<' && strncmp(p, "<!--", 4) == 0) {
            const char *e = strstr(p + 4, "-->");
            p = e ? e + 3 : p + strlen(p);
            continue;
        }
        if (p[0] == '<' &&
            (isalpha((unsigned char)p[1]) || p[1] == '/' || p[1] == '!' || p[1] == '?')) {
            const char *e = tag_end(p);
            if (e) {
                p = (p[1] == '!' || p[1] == '?') ? e + 1 : handle_tag(&o, p, e);
                continue;
            }
        }
        if (*p == '&') {
            uint32_t cp;
            size_t k = entity(p, &cp);
            if (k) {
                bd_buf tmp = BD_BUF_INIT;
                put_cp(&tmp, cp == 0xA0 ? ' ' : cp);
                if (cp == 0xA0 && !o.pre) {
                    put_text(&o, " ", 1); /* a hard space survives collapsing */
                    o.space = 0;
                } else {
                    put_text(&o, tmp.data, tmp.len);
                }
                bd_buf_free(&tmp);
                p += k;
                continue;
            }
        }
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f') {
            if (o.pre && *p == '\n')
                put_break(&o, 0), line_prefix(&o);
            else if (o.pre && *p != '\r')
                put_text(&o, p, 1);
            else
                o.space = 1;
            p++;
            continue;
        }
        size_t run = strcspn(p, "<& \t\n\r\f");
        if (!run) run = 1;
        put_text(&o, p, run);
        p += run;
    }
    put_break(&o, 0);
    /* no trailing line break, and no "> " prefixes left dangling at the end */
    while (o.buf.len && (o.buf.data[o.buf.len - 1] == '\n' || o.buf.data[o.buf.len - 1] == ' '))
        o.buf.data[--o.buf.len] = '\0';
    char *out = bd_buf_detach(&o.buf);
    size_t len;
    char *valid = bd_utf8_repair(out, strlen(out), &len);
    free(out);
    return valid;
}
