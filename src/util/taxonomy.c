/* taxonomy.c — the fixed message taxonomy and the supported languages. */
#include "borderdesk/taxonomy.h"

#include <string.h>

static const char *const pre_sale[] = {"product_info", "stock",   "bargain", "shipping_quote",
                                       "payment",      "customs_tax", "sample", NULL};
static const char *const shipping[] = {"tracking", "delay", "not_received", "customs_hold",
                                       "order_change", NULL};
static const char *const dispute[] = {"refund",      "return",  "damaged",      "wrong_item",
                                      "not_as_described", "missing_item", "chargeback",
                                      "complaint",   NULL};
static const char *const review[] = {"positive", "negative", "revision", NULL};
static const char *const other[] = {"account", "invoice", "greeting", "spam", "unknown", NULL};

const bd_category bd_taxonomy[] = {{"pre_sale", pre_sale}, {"shipping", shipping},
                                   {"dispute", dispute},   {"review", review},
                                   {"other", other},       {NULL, NULL}};

const char *const bd_languages[] = {"en", "es", "fr", "de", "it", "pt", "ru",
                                    "pl", "ja", "ko", "ar", "zh", NULL};

int bd_taxonomy_valid(const char *category, const char *subcategory)
{
    for (const bd_category *c = bd_taxonomy; category && c->name; c++) {
        if (strcmp(c->name, category) != 0) continue;
        if (!subcategory) return 1;
        for (const char *const *s = c->subcategories; *s; s++)
            if (strcmp(*s, subcategory) == 0) return 1;
        return 0;
    }
    return 0;
}

const char *bd_taxonomy_category_of(const char *subcategory)
{
    for (const bd_category *c = bd_taxonomy; subcategory && c->name; c++)
        for (const char *const *s = c->subcategories; *s; s++)
            if (strcmp(*s, subcategory) == 0) return c->name;
    return NULL;
}

size_t bd_taxonomy_subcategory_count(void)
{
    size_t n = 0;
    for (const bd_category *c = bd_taxonomy; c->name; c++)
        for (const char *const *s = c->subcategories; *s; s++) n++;
    return n;
}
