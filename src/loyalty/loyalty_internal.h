/* loyalty_internal.h — shared by the files of src/loyalty only: the bands every ranking is
 * made of, the per-buyer aggregation and the labelling rules. */
#ifndef BORDERDESK_LOYALTY_INTERNAL_H
#define BORDERDESK_LOYALTY_INTERNAL_H

#include "borderdesk/loyalty.h"

/* A shop's rankings are 17 nested "top share" bands:
 *   0-3   recency   top 20/40/60/80% of buyers   (R score = 1 + bands held)
 *   4-7   frequency top 20/40/60/80%             (F score)
 *   8-11  monetary  top 20/40/60/80%             (M score)
 *   12-14 value     top 1/5/20% (configurable)   (pyramid: vip, important, key ordinary)
 *   15-16 value     A / A+B share of cumulative sales (configurable 55/85%)
 * A count band holds the buyers whose value is shared by at most K = floor(share * N)
 * buyers at or above it (ties never push a band past its share); a sum band holds the
 * buyers whose better-ranked buyers make less than share * T of the sales (the buyer who
 * crosses the line is in; ties share the class of the first of them). */
#define LY_BANDS 17
#define LY_NONE_U INT64_MAX /* u of a band without members */
#define LY_NONE_B INT64_MIN /* b of a band that holds everyone */

int ly_band_metric(int band);
int ly_band_is_sum(int band);
int ly_band_bp(const loyalty_config *cfg, int band);
/* The population a count band is a share of (n_rfm or n_value). */
int64_t ly_band_population(const store_loyalty_shop *t, int band);
/* The band's weight for one buyer with value v. */
int64_t ly_band_weight(int band, int64_t v);
/* 1 when the band's state satisfies its rule for the shop's totals. */
int ly_band_member_u(int band, const loyalty_config *cfg, const store_loyalty_shop *t,
                     const store_loyalty_band *b);
int ly_band_member_b(int band, const loyalty_config *cfg, const store_loyalty_shop *t,
                     const store_loyalty_band *b);
/* Computes the band from the shop's ranking by its metric (ascending by value). */
void ly_band_from_sorted(int band, const loyalty_config *cfg, const store_loyalty_shop *t,
                         const store_rank_entry *asc, size_t n, store_loyalty_band *out);
/* Sorts entries by value, ascending (a radix sort: rankings have a million entries). */
void ly_rank_sort(store_rank_entry *e, size_t n);
/* An empty shop's band. */
void ly_band_empty(store_loyalty_band *b);

/* One shop as the engine sees it. */
typedef struct ly_shop {
    int64_t id;
    char *name;
    const loyalty_config *cfg;
    store_loyalty_shop totals;
    store_loyalty_band bands[LY_BANDS];
    int known; /* totals and bands were loaded (else: an empty shop) */
} ly_shop;

/* What a buyer's orders, claims and satisfaction add up to. */
typedef struct ly_agg {
    int64_t shop_id;
    int64_t orders, orders_all, spend, first, last, freq, monetary, value, recent, previous;
    int64_t claims, chargebacks, negatives;
    int has_rfm, has_value;
} ly_agg;

/* What an order's status means under a shop's settings. */
enum { LY_NOT_SALE = 1, LY_REFUND = 2, LY_CHARGEBACK = 4 };
int ly_status_flags(const loyalty_config *cfg, const char *status);

/* Adds one order whose status has the flags and whose total is base micros of the base
 * currency (converted by the caller; ignored for orders that are not sales). An order with
 * a negative total is not counted: *skipped is set. */
void ly_agg_order(ly_agg *a, const loyalty_config *cfg, int64_t as_of, const store_loyalty_order *o,
                  int flags, int64_t base, int *skipped);
/* 1 when the order counts as a sale at as_of (so that it needs an FX rate). */
int ly_order_is_sale(int64_t as_of, const store_loyalty_order *o, int flags);
/* Copies the aggregates into a profile (labels untouched). */
void ly_agg_to_profile(const ly_agg *a, int64_t buyer_id, store_buyer_loyalty *p);

/* Fills the rank-derived labels (r, f, m, segment, pyramid, top20, abc) of p from its
 * metrics and the shop's bands. */
void ly_rank_labels(const ly_shop *sh, store_buyer_loyalty *p);
/* Fills every label, the tier and the boost of p from its aggregates and metrics. */
void ly_label(const ly_shop *sh, int64_t as_of, int blacklisted, store_buyer_loyalty *p);
/* 1 when moving the band can change a tier under the grading. */
int ly_band_sets_tier(int grading, int band);
/* A fingerprint of the stored fields of p (not the derived labels, digest, updated_at). */
uint64_t ly_profile_digest(const store_buyer_loyalty *p);
/* 1 when two profiles differ in a stored field (derived labels, digest and updated_at do not
 * count). */
int ly_profile_differs(const store_buyer_loyalty *a, const store_buyer_loyalty *b);

/* Re-sorts the buyer's active tickets for a new tier boost; each priority that changes is an
 * event "priority_changed" with the reason "from -> to". */
int ly_reprioritize(bd_store *s, const char *actor, int64_t at, int64_t buyer_id, int boost,
                    const char *from, const char *to, int64_t *changes, bd_err *err);

int ly_status_in(const char list[][32], int n, const char *status);

#endif
