/*
 * satisfaction.h — marketplace feedback as satisfaction data, and the satisfaction report.
 *
 * Feedback (eBay feedback ratings and comments, product review stars, Amazon seller
 * feedback) arrives from the marketplace sync or `borderdesk feedback import`; it is stored
 * on the buyer and the order, and — when it follows a ticket — on that ticket and its agent.
 * The same feedback recorded twice changes nothing and says so; a changed rating for the
 * same feedback id is a revision (the replaced rating is kept).
 *
 * The report counts, per group (agent, shop, ticket category or ISO week): surveys sent and
 * answered, CSAT, NPS, CES, dimension averages, feedback by rating and buyer messages
 * classified as reviews (review/positive, negative, revision). Formulas in docs/loyalty.md.
 *
 * Functions return 0, or -1 with err set; none commits: the caller owns the transaction.
 */
#ifndef BORDERDESK_SATISFACTION_H
#define BORDERDESK_SATISFACTION_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "borderdesk/model.h"
#include "borderdesk/store.h"
#include "borderdesk/util.h"

/* How long after a ticket's last message a feedback counts as following it. */
#define SAT_FOLLOW_WINDOW (30 * 86400)

typedef struct sat_feedback {
    const char *shop, *marketplace;
    bd_buyer buyer;                 /* external_id required; other fields update the buyer */
    const char *external_id;        /* the marketplace's feedback id; else derived from the order */
    const char *order_id;           /* the marketplace's order id, or NULL */
    const char *kind;               /* "seller_feedback" (default) or "product_review" */
    const char *rating;             /* "positive", "neutral", "negative" — or NULL with stars */
    int stars;                      /* 1-5, or 0 */
    const char *comment, *response; /* the buyer's words, the seller's public answer */
    int64_t left_at;
} sat_feedback;

enum { SAT_RECORDED = 1, SAT_DUPLICATE = 2, SAT_REVISED = 3 };

/* Stores one feedback. *result is SAT_RECORDED, SAT_DUPLICATE (the same feedback again:
 * nothing changed) or SAT_REVISED; *id the feedback's id (may be NULL). Bad input (no buyer,
 * an unknown rating, stars outside 1-5, a rating that contradicts the stars, neither a
 * feedback id nor an order id, invalid UTF-8) is refused with a message naming the field,
 * before anything is written. */
int sat_feedback_record(bd_store *s, const sat_feedback *f, int *result, int64_t *id, bd_err *err);

/* The JSON Lines form of `borderdesk feedback import` (docs/loyalty.md). The strings of *f
 * point into obj, which must outlive it; f->buyer is owned (bd_buyer_clear). */
int sat_feedback_from_json(const cJSON *obj, sat_feedback *f, bd_err *err);

/* "positive" (4-5), "neutral" (3), "negative" (1-2). */
const char *sat_stars_rating(int stars);

/* ---- the report ---- */

enum { SAT_BY_NONE = 0, SAT_BY_AGENT, SAT_BY_SHOP, SAT_BY_CATEGORY, SAT_BY_WEEK };
/* "agent", "shop", "category", "week" -> SAT_BY_*; -1 when unknown. */
int sat_group_parse(const char *name);

typedef struct sat_row {
    char key[96];
    int64_t sent, responses;
    int64_t csat_n, csat_satisfied; /* 4s and 5s */
    int64_t nps_n, promoters, passives, detractors;
    int64_t ces_n, ces_easy;      /* 5-7 */
    int64_t dim_n[4], dim_sum[4]; /* quality, attitude, speed, price */
    int64_t fb_positive, fb_neutral, fb_negative;
    int64_t review_positive, review_negative, review_revision;
} sat_row;

/* Surveys sent, feedback left and review messages sent in [from, to), grouped. rows are
 * sorted by key; *total sums them. Caller frees *rows. */
int sat_report(bd_store *s, int64_t from, int64_t to, int group_by, sat_row **rows, size_t *n,
               sat_row *total, bd_err *err);

/* The row's figures with the formulas applied (percentages null when nothing to divide). */
cJSON *sat_row_json(const sat_row *r);

/* The report document of `borderdesk report satisfaction --format json` and of
 * GET /api/v1/reports/satisfaction: {"from", "to", "group_by" (name or null), "rows": [...],
 * "total"}. Caller deletes. */
cJSON *sat_report_json(int64_t from, int64_t to, const char *group_by, const sat_row *rows,
                       size_t n, const sat_row *total);

/* The period of a report from its from/to arguments as the CLI and the API take them: a
 * date (YYYY-MM-DD) or an RFC 3339 time; a "to" date includes its whole day; without "to"
 * the period ends at now, without "from" it starts 30 days before its end. -1 with err when
 * an argument is not a date or the end is not after the start. */
int sat_report_period(const char *from, const char *to, int64_t now, int64_t *f, int64_t *t,
                      bd_err *err);

/* "2026-W47": the ISO 8601 week of a time. */
void sat_iso_week(int64_t t, char *out, size_t outlen);

#endif
