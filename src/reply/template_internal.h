/* template_internal.h — the compiled form of a Mustache template, shared by the compiler
 * (template_parse.c) and the renderer (template_render.c). Nothing outside src/reply/. */
#ifndef BORDERDESK_TEMPLATE_INTERNAL_H
#define BORDERDESK_TEMPLATE_INTERNAL_H

#include <stdint.h>

#include "borderdesk/template.h"

enum tpl_kind {
    TPL_TEXT,     /* literal text */
    TPL_VAR,      /* {{name}}: HTML-escaped */
    TPL_RAW,      /* {{{name}}} or {{&name}} */
    TPL_SECTION,  /* {{#name}}...{{/name}} */
    TPL_INVERTED, /* {{^name}}...{{/name}} */
    TPL_PARTIAL,  /* {{>name}} or {{>*name}} (dynamic) */
    TPL_PARENT,   /* {{<name}}...{{/name}}: a partial whose blocks the kids override */
    TPL_BLOCK,    /* {{$name}}default{{/name}}: replaceable by a parent's block */
};

/* One piece of a template. Line starts matter for the indentation of standalone partials:
 * bol is set on a piece that begins a line of output in the source, so the renderer writes
 * the current indentation before it (and after every inner newline of a text piece). */
typedef struct tpl_node {
    uint8_t kind;       /* enum tpl_kind */
    uint8_t bol;        /* begins a line */
    uint8_t standalone; /* partial, parent, block: the tag stood alone on its line */
    uint8_t dynamic;    /* TPL_PARTIAL: {{>*name}}, the partial's name is looked up */
    uint32_t line, col; /* where the tag starts (text: where the text starts) */
    char *text;         /* TPL_TEXT: the text; partial, parent, block: the indentation of a
                           standalone tag (a block: of its content, see template_parse.c) */
    size_t len;         /* length of text */
    char *name;         /* tag name as written, e.g. "order.id" or "." */
    char **parts;       /* the name split at dots; n_parts == 0 for "." */
    size_t n_parts;
    struct tpl_node *kids; /* sections: the body */
    size_t n_kids;
} tpl_node;

struct tpl_template {
    char *label;
    tpl_node *nodes;
    size_t n_nodes;
};

#endif
