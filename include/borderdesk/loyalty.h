/*
 * loyalty.h — who the seller's best buyers are, who is drifting away, and who is not welcome:
 * per-buyer order count and spend in a base currency, RFM scores by quintile, the customer
 * pyramid, ABC classes, loyalty classes, the relationship life cycle, churn risk, the tier
 * shown to agents (one of those gradings, by configuration), its effect on ticket priority,
 * the blacklist and the suspicion flags a person confirms or dismisses. Every rule, tie rule
 * and configuration key is in docs/loyalty.md.
 *
 * Profiles are recomputed by loyalty_recompute(): fully, or incrementally from the queue of
 * buyers whose orders, disputes or satisfaction changed (ticket_ingest_order and the survey
 * and feedback functions fill it) plus the buyers whose orders crossed a time window since
 * the last run. Both give the same profiles (tests/unit/test_loyalty_incremental.c).
 *
 * Functions return 0, or -1 with err set; none commits: the caller owns the transaction.
 */
#ifndef BORDERDESK_LOYALTY_H
#define BORDERDESK_LOYALTY_H

#include <stdint.h>

#include "borderdesk/config.h"
#include "borderdesk/store.h"
#include "borderdesk/util.h"

#define LOYALTY_DAY 86400

/* The gradings; one of them is "the tier" (configuration key "tier"). */
enum loyalty_grading {
    LOYALTY_PYRAMID = 0,   /* vip, important, ordinary (top 1% / 5% by sales) */
    LOYALTY_ABC = 1,       /* A, B, C (55% / 30% / 15% of cumulative sales) */
    LOYALTY_RFM = 2,       /* the RFM segment: champions, active, new, ... */
    LOYALTY_CLASS = 3,     /* potential, new, repeat, loyal */
    LOYALTY_LIFECYCLE = 4, /* exploration, formation, stability, decline */
    LOYALTY_GRADINGS_ = 5
};
const char *loyalty_grading_name(int grading);

#define LOYALTY_MAX_BOOSTS 32
#define LOYALTY_MAX_STATUSES 32

/* The settings of one shop (the top-level "loyalty" object, overridden key by key by the
 * shop's own "loyalty" object). Durations are seconds, shares are basis points (1% = 100). */
typedef struct loyalty_config {
    int64_t rfm_window, pyramid_period, decline_window, churn_silence, loyal_tenure;
    int pyramid_bp[3]; /* top shares of buyers: vip, important, key ordinary */
    int abc_bp[2];     /* cumulative shares of sales: A, A + B */
    int loyal_min_orders, churn_min_orders, decline_min_orders, decline_drop_bp;
    int flag_min_orders, flag_claims_bp, flag_chargebacks;
    int grading; /* LOYALTY_* shown as the tier */
    struct {
        char label[STORE_LABEL_MAX];
        int boost;
    } boosts[LOYALTY_MAX_BOOSTS];
    int n_boosts;
    /* order statuses, normalised (lower case, without ' ', '_' and '-') */
    char not_sales[LOYALTY_MAX_STATUSES][32], refunds[LOYALTY_MAX_STATUSES][32],
        chargebacks[LOYALTY_MAX_STATUSES][32];
    int n_not_sales, n_refunds, n_chargebacks;
} loyalty_config;

typedef struct loyalty_fx_rate {
    char code[4];
    int64_t nanos; /* units of the base currency for one unit, times 1e9 */
} loyalty_fx_rate;

/* The whole loyalty configuration: defaults, per-shop settings, FX, global lists. */
typedef struct loyalty_settings {
    loyalty_config defaults;
    struct loyalty_shop_config {
        char *shop;
        loyalty_config cfg;
    } * shops;
    size_t n_shops;
    char base_currency[4];
    loyalty_fx_rate *fx;
    size_t n_fx;
    int64_t dissatisfaction_window;
    char *claim_subcategories;      /* JSON array text */
    char *chargeback_subcategories; /* JSON array text */
    char hash[17];                  /* fingerprint: a change forces a full recompute */
} loyalty_settings;

/* Reads the "loyalty" keys of the configuration (defaults when absent). */
int loyalty_settings_load(const bd_config *c, loyalty_settings **out, bd_err *err);
void loyalty_settings_free(loyalty_settings *s);
/* The settings for the shop (the defaults for shops without their own). */
const loyalty_config *loyalty_settings_shop(const loyalty_settings *s, const char *shop);

/* Converts an amount (micros of currency) into micros of the base currency, rounding half
 * away from zero. -1 with a clear message when there is no rate for the currency. */
int loyalty_fx_convert(const loyalty_settings *s, const char *currency, int64_t micros,
                       int64_t *base, bd_err *err);

/* The rate of currency (units of the base currency for one unit, times 1e9; 1e9 for the base
 * currency itself). -1 when there is none. */
int loyalty_fx_lookup(const loyalty_settings *s, const char *currency, int64_t *nanos);
/* micros * nanos / 1e9, rounded half away from zero; -1 on overflow. */
int loyalty_fx_apply(int64_t micros, int64_t nanos, int64_t *base);

/* An amount of the base currency for people: rounded half away from zero to cents
 * ("1922.65"); the stored micros stay exact. */
void loyalty_money_format(int64_t micros, char *out, size_t outlen);

/* The boost a label gives to ticket priority under cfg (0 when not configured). */
int loyalty_boost(const loyalty_config *cfg, const char *label);

/* ---- recompute ---- */

typedef struct loyalty_ctx {
    bd_store *store;
    const loyalty_settings *settings;
    int64_t as_of;     /* "now": windows end here */
    const char *actor; /* recorded on events: a user name, "tiers", "import" */
} loyalty_ctx;

typedef struct loyalty_result {
    int full;           /* a full recompute ran */
    char why_full[128]; /* and why ("--full", "configuration changed", ...) */
    int64_t buyers;     /* profiles after the run */
    int64_t recomputed; /* profiles computed from their orders */
    int64_t rescored;   /* other profiles whose band membership was re-checked */
    int64_t written;    /* profiles that changed */
    int64_t tier_changes, priority_changes, flags_raised;
    int64_t orders_skipped; /* orders not counted (negative totals) */
    char **issues;          /* messages about skipped orders (at most 20 kept) */
    size_t n_issues;
    /* where the time went, for benchmarks: phase names and milliseconds */
    struct {
        const char *name;
        double ms;
    } phases[8];
    int n_phases;
} loyalty_result;
void loyalty_result_clear(loyalty_result *r);

/* full = 1 recomputes every profile; otherwise the run is incremental unless there is no
 * previous run, the configuration changed or as_of went back in time (then it is full and
 * r->why_full says why). An order in a currency without an FX rate fails the run (nothing
 * is written); an order with a negative total is not counted and is reported in r->issues. */
int loyalty_recompute(const loyalty_ctx *ctx, int full, loyalty_result *r, bd_err *err);

/* Human-readable reason for a buyer's tier under cfg, e.g. "sales 1,234.50 EUR in 365 days:
 * top 1% of 812 buyers". Writes into out. */
void loyalty_tier_reason(const loyalty_settings *s, const loyalty_config *cfg,
                         const store_buyer_loyalty *p, int64_t population, char *out,
                         size_t outlen);

/* ---- reading profiles ---- */

/* The shops' bands as of the last recompute, to derive the labels a profile does not store:
 * RFM scores and segment, pyramid band (and top-20% band), ABC class. */
typedef struct loyalty_view loyalty_view;
int loyalty_view_open(bd_store *s, const loyalty_settings *set, loyalty_view **out, bd_err *err);
/* Fills p's r, f, m, segment, pyramid, top20 and abc (empty for a shop never ranked). */
void loyalty_view_labels(const loyalty_view *v, store_buyer_loyalty *p);
void loyalty_view_free(loyalty_view *v);

/* ---- blacklist and suspicion flags ---- */

/* Puts the buyer on the blacklist (a reason and who are required); their tickets lose any
 * tier boost. An event records it. */
int loyalty_blacklist_add(bd_store *s, const loyalty_settings *set, int64_t buyer_id,
                          const char *reason, const char *by, int64_t at, bd_err *err);
int loyalty_blacklist_remove(bd_store *s, const loyalty_settings *set, int64_t buyer_id,
                             const char *reason, const char *by, int64_t at, bd_err *err);
/* A person confirms an open flag (the buyer is blacklisted with the flag as evidence) or
 * dismisses it (a dismissed flag is raised again only when its count grows). */
int loyalty_flag_confirm(bd_store *s, const loyalty_settings *set, int64_t flag_id,
                         const char *reason, const char *by, int64_t at, bd_err *err);
int loyalty_flag_dismiss(bd_store *s, int64_t flag_id, const char *reason, const char *by,
                         int64_t at, bd_err *err);

/* ---- the tiers report ---- */

typedef struct loyalty_report_opts {
    int64_t from, to;   /* movements with at in [from, to) */
    const char *shop;   /* NULL: every shop */
    int64_t as_of;      /* for the churn list's "days silent" */
    size_t churn_limit; /* 0: all */
} loyalty_report_opts;
/* The tiers report as JSON (docs/loyalty.md "report tiers"): distribution per grading,
 * movements up and down, the churn-risk list and the value concentration. */
int loyalty_report(bd_store *s, const loyalty_settings *set, const loyalty_report_opts *o,
                   cJSON **out, bd_err *err);

#endif
