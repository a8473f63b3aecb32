/*
 * taxonomy.h — the categories and subcategories of buyer messages (a public contract, see
 * README.md) and the languages borderdesk has rules, templates and locale data for.
 */
#ifndef BORDERDESK_TAXONOMY_H
#define BORDERDESK_TAXONOMY_H

#include <stddef.h>

typedef struct bd_category {
    const char *name;
    const char *const *subcategories; /* NULL-terminated */
} bd_category;

/* The five categories, in contract order; NULL-terminated by a {NULL, NULL} entry. */
extern const bd_category bd_taxonomy[];
/* en, es, fr, de, it, pt, ru, pl, ja, ko, ar, zh; NULL-terminated. */
extern const char *const bd_languages[];

/* 1 when category is known and (subcategory is NULL or belongs to it). */
int bd_taxonomy_valid(const char *category, const char *subcategory);
/* The category a subcategory belongs to, or NULL (subcategory names are unique). */
const char *bd_taxonomy_category_of(const char *subcategory);
size_t bd_taxonomy_subcategory_count(void); /* 28 */

#endif
