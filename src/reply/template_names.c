/* template_names.c — walking a compiled template for the names it uses (templates check). */
#include "template_internal.h"

static void walk(const tpl_node *nodes, size_t n, const char *scope, tpl_name_fn fn, void *ud)
{
    for (size_t i = 0; i < n; i++) {
        const tpl_node *nd = &nodes[i];
        char kind = 0;
        switch (nd->kind) {
        case TPL_VAR:
        case TPL_RAW: kind = '$'; break;
        case TPL_SECTION: kind = '#'; break;
        case TPL_INVERTED: kind = '^'; break;
        case TPL_PARTIAL: kind = '>'; break;
        case TPL_PARENT: kind = '<'; break;
        case TPL_BLOCK: kind = '+'; break;
        default: break;
        }
        if (kind) fn(ud, nd->name, kind, scope, nd->line, nd->col);
        if (nd->n_kids)
            walk(nd->kids, nd->n_kids, nd->kind == TPL_SECTION ? nd->name : scope, fn, ud);
    }
}

void tpl_names(const tpl_template *t, tpl_name_fn fn, void *ud)
{
    if (t) walk(t->nodes, t->n_nodes, NULL, fn, ud);
}
