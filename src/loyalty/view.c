/* view.c — reading profiles: the labels that follow from a buyer's metrics and the shop's
 * bands (RFM scores and segment, pyramid band, ABC class) are derived here, at read time,
 * so that a band boundary moving over many buyers rewrites none of them. */
#include "loyalty_internal.h"

#include <stdlib.h>
#include <string.h>

struct loyalty_view {
    ly_shop *shops;
    size_t n;
};

typedef struct view_load {
    loyalty_view *v;
    const loyalty_settings *set;
    bd_store *s;
} view_load;

static int add(void *ud, int64_t id, const char *name, bd_err *err)
{
    view_load *l = ud;
    loyalty_view *v = l->v;
    v->shops = bd_realloc(v->shops, (v->n + 1) * sizeof *v->shops);
    ly_shop *sh = &v->shops[v->n];
    memset(sh, 0, sizeof *sh);
    sh->id = id;
    sh->cfg = loyalty_settings_shop(l->set, name);
    (void)err;
    v->n++;
    return 0;
}

int loyalty_view_open(bd_store *s, const loyalty_settings *set, loyalty_view **out, bd_err *err)
{
    loyalty_view *v = bd_calloc(1, sizeof *v);
    view_load l = {v, set, s};
    if (store_shops_each(s, add, &l, err)) goto fail;
    for (size_t i = 0; i < v->n; i++) {
        ly_shop *sh = &v->shops[i];
        int found = store_loyalty_shop_get(s, sh->id, &sh->totals, sh->bands, LY_BANDS, err);
        if (found < 0) goto fail;
        sh->known = found;
    }
    *out = v;
    return 0;
fail:
    loyalty_view_free(v);
    *out = NULL;
    return -1;
}

void loyalty_view_labels(const loyalty_view *v, store_buyer_loyalty *p)
{
    for (size_t i = 0; i < v->n; i++)
        if (v->shops[i].id == p->shop_id) {
            if (v->shops[i].known) {
                ly_rank_labels(&v->shops[i], p);
                return;
            }
            break;
        }
    p->r = p->f = p->m = p->top20 = 0;
    p->segment[0] = p->pyramid[0] = p->abc[0] = 0;
}

void loyalty_view_free(loyalty_view *v)
{
    if (!v) return;
    free(v->shops);
    free(v);
}
