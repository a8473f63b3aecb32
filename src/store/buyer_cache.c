/* buyer_cache.c — the buyers this connection has read or written, so that a bulk ingest
 * finds a known buyer whose details did not change without a query (a tenth of the cost of
 * storing a message). Valid only inside this connection's write transactions: store_begin
 * empties it when another connection committed since the last one (PRAGMA data_version),
 * store_rollback empties it, and outside a transaction it is not used. */
#include "store_internal.h"

#include <stdlib.h>
#include <string.h>

/* Entries at most (then it starts again empty): about 100 bytes each. */
#define BUYER_CACHE_MAX (1u << 20)

typedef struct buyer_entry {
    int64_t shop_id, id; /* id 0: free slot */
    uint64_t hash;
    char *external_id, *name, *email, *country, *language;
} buyer_entry;

struct store_buyer_cache {
    buyer_entry *e;
    size_t cap, n; /* cap a power of two */
};

static uint64_t key_hash(int64_t shop_id, const char *ext)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)shop_id;
    for (const unsigned char *p = (const unsigned char *)ext; *p; p++)
        h = (h ^ *p) * 1099511628211ull; /* FNV-1a */
    return h ? h : 1;
}

static void entry_free(buyer_entry *e)
{
    free(e->external_id);
    free(e->name);
    free(e->email);
    free(e->country);
    free(e->language);
    memset(e, 0, sizeof *e);
}

void store_buyer_cache_clear(bd_store *s)
{
    struct store_buyer_cache *c = s->buyers;
    if (!c) return;
    for (size_t i = 0; i < c->cap; i++)
        if (c->e[i].id) entry_free(&c->e[i]);
    free(c->e);
    free(c);
    s->buyers = NULL;
}

static buyer_entry *slot(struct store_buyer_cache *c, int64_t shop_id, const char *ext,
                         uint64_t h)
{
    for (size_t i = h & (c->cap - 1);; i = (i + 1) & (c->cap - 1)) {
        buyer_entry *e = &c->e[i];
        if (!e->id || (e->hash == h && e->shop_id == shop_id && strcmp(e->external_id, ext) == 0))
            return e;
    }
}

int store_buyer_cache_get(bd_store *s, int64_t shop_id, const char *ext, store_cached_buyer *out)
{
    struct store_buyer_cache *c = s->buyers;
    if (!c || !s->in_tx || !ext) return 0;
    const buyer_entry *e = slot(c, shop_id, ext, key_hash(shop_id, ext));
    if (!e->id) return 0;
    *out = (store_cached_buyer){e->id, e->name, e->email, e->country, e->language};
    return 1;
}

static char *dup_or_null(const char *v)
{
    return v ? bd_strdup(v) : NULL;
}

static void grow(struct store_buyer_cache *c)
{
    buyer_entry *old = c->e;
    size_t old_cap = c->cap;
    c->cap = old_cap ? old_cap * 2 : 1024;
    c->e = bd_calloc(c->cap, sizeof *c->e);
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].id) *slot(c, old[i].shop_id, old[i].external_id, old[i].hash) = old[i];
    free(old);
}

void store_buyer_cache_put(bd_store *s, int64_t shop_id, const char *ext, int64_t id,
                           const char *name, const char *email, const char *country,
                           const char *language)
{
    if (!s->in_tx || !ext || !id) return;
    struct store_buyer_cache *c = s->buyers;
    if (c && c->n >= BUYER_CACHE_MAX) {
        store_buyer_cache_clear(s);
        c = NULL;
    }
    if (!c) c = s->buyers = bd_calloc(1, sizeof *c);
    if ((c->n + 1) * 10 > c->cap * 7) grow(c);
    uint64_t h = key_hash(shop_id, ext);
    buyer_entry *e = slot(c, shop_id, ext, h);
    if (e->id) entry_free(e);
    else c->n++;
    *e = (buyer_entry){.shop_id = shop_id,
                       .id = id,
                       .hash = h,
                       .external_id = bd_strdup(ext),
                       .name = dup_or_null(name),
                       .email = dup_or_null(email),
                       .country = dup_or_null(country),
                       .language = dup_or_null(language)};
}
