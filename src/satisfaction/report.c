/* report.c — the satisfaction report: surveys (response rate, CSAT, NPS, CES, dimensions),
 * marketplace feedback and review messages, grouped by agent, shop, category or week. */
#include "borderdesk/satisfaction.h"
#include "borderdesk/ticket.h" /* json_add_time, json_add_str */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int sat_group_parse(const char *name)
{
    if (!name) return SAT_BY_NONE;
    if (!strcmp(name, "agent")) return SAT_BY_AGENT;
    if (!strcmp(name, "shop")) return SAT_BY_SHOP;
    if (!strcmp(name, "category")) return SAT_BY_CATEGORY;
    if (!strcmp(name, "week")) return SAT_BY_WEEK;
    return -1;
}

void sat_iso_week(int64_t t, char *out, size_t outlen)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    /* ISO 8601: the week with the year's first Thursday is week 1; weeks start on Monday */
    int wday = (tm.tm_wday + 6) % 7; /* Monday = 0 */
    int64_t thursday = t - (int64_t)wday * 86400 + 3 * 86400;
    time_t th = (time_t)thursday;
    struct tm tt2;
    gmtime_r(&th, &tt2);
    snprintf(out, outlen, "%04d-W%02d", tt2.tm_year + 1900, tt2.tm_yday / 7 + 1);
}

typedef struct report {
    int group_by;
    sat_row *rows;
    size_t n, cap;
} report;

static sat_row *row_for(report *r, const char *key)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->rows[i].key, key) == 0) return &r->rows[i];
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->rows = bd_realloc(r->rows, r->cap * sizeof *r->rows);
    }
    sat_row *row = &r->rows[r->n++];
    memset(row, 0, sizeof *row);
    snprintf(row->key, sizeof row->key, "%s", key);
    return row;
}

static void key_of(const report *r, const char *agent, const char *shop, const char *category,
                   int64_t at, char *out, size_t n)
{
    switch (r->group_by) {
    case SAT_BY_AGENT:
        snprintf(out, n, "%s", agent ? agent : "(unassigned)");
        break;
    case SAT_BY_SHOP:
        snprintf(out, n, "%s", shop ? shop : "(none)");
        break;
    case SAT_BY_CATEGORY:
        snprintf(out, n, "%s", category ? category : "(none)");
        break;
    case SAT_BY_WEEK:
        sat_iso_week(at, out, n);
        break;
    default:
        snprintf(out, n, "all");
        break;
    }
}

static int on_survey(void *ud, const store_survey *v, bd_err *err)
{
    (void)err;
    report *r = ud;
    char key[96];
    key_of(r, v->agent, v->shop, v->category, v->created_at, key, sizeof key);
    sat_row *row = row_for(r, key);
    row->sent++;
    if (!v->responded_at) return 0;
    row->responses++;
    if (bd_streq(v->kind, "csat")) {
        row->csat_n++;
        row->csat_satisfied += v->score >= 4;
    } else if (bd_streq(v->kind, "nps")) {
        row->nps_n++;
        row->promoters += v->score >= 9;
        row->passives += v->score == 7 || v->score == 8;
        row->detractors += v->score <= 6;
    } else if (bd_streq(v->kind, "ces")) {
        row->ces_n++;
        row->ces_easy += v->score >= 5;
    }
    for (int d = 0; d < 4; d++)
        if (v->dims[d]) row->dim_n[d]++, row->dim_sum[d] += v->dims[d];
    return 0;
}

static int on_feedback(void *ud, const store_feedback_row *f, bd_err *err)
{
    (void)err;
    report *r = ud;
    char key[96];
    key_of(r, f->agent, f->shop, f->category, f->left_at, key, sizeof key);
    sat_row *row = row_for(r, key);
    if (bd_streq(f->rating, "positive"))
        row->fb_positive++;
    else if (bd_streq(f->rating, "neutral"))
        row->fb_neutral++;
    else
        row->fb_negative++;
    return 0;
}

static int on_review(void *ud, const char *shop, const char *agent, const char *subcategory,
                     int64_t sent_at, bd_err *err)
{
    (void)err;
    report *r = ud;
    char key[96];
    key_of(r, agent, shop, "review", sent_at, key, sizeof key);
    sat_row *row = row_for(r, key);
    if (bd_streq(subcategory, "positive"))
        row->review_positive++;
    else if (bd_streq(subcategory, "negative"))
        row->review_negative++;
    else
        row->review_revision++;
    return 0;
}

static int cmp_row(const void *a, const void *b)
{
    return strcmp(((const sat_row *)a)->key, ((const sat_row *)b)->key);
}

int sat_report(bd_store *s, int64_t from, int64_t to, int group_by, sat_row **rows, size_t *n,
               sat_row *total, bd_err *err)
{
    *rows = NULL;
    *n = 0;
    report r = {.group_by = group_by};
    if (store_surveys_scan(s, from, to, on_survey, &r, err) ||
        store_feedback_scan(s, from, to, on_feedback, &r, err) ||
        store_review_messages_scan(s, from, to, on_review, &r, err)) {
        free(r.rows);
        return -1;
    }
    if (r.n) qsort(r.rows, r.n, sizeof *r.rows, cmp_row);
    memset(total, 0, sizeof *total);
    snprintf(total->key, sizeof total->key, "total");
    for (size_t i = 0; i < r.n; i++) {
        const sat_row *x = &r.rows[i];
        total->sent += x->sent;
        total->responses += x->responses;
        total->csat_n += x->csat_n;
        total->csat_satisfied += x->csat_satisfied;
        total->nps_n += x->nps_n;
        total->promoters += x->promoters;
        total->passives += x->passives;
        total->detractors += x->detractors;
        total->ces_n += x->ces_n;
        total->ces_easy += x->ces_easy;
        for (int d = 0; d < 4; d++) {
            total->dim_n[d] += x->dim_n[d];
            total->dim_sum[d] += x->dim_sum[d];
        }
        total->fb_positive += x->fb_positive;
        total->fb_neutral += x->fb_neutral;
        total->fb_negative += x->fb_negative;
        total->review_positive += x->review_positive;
        total->review_negative += x->review_negative;
        total->review_revision += x->review_revision;
    }
    *rows = r.rows;
    *n = r.n;
    return 0;
}

/* num / den with one decimal (num carries the x 100 of a percentage); null without den. */
static void add_ratio(cJSON *j, const char *key, double num, double den)
{
    if (den > 0)
        cJSON_AddNumberToObject(j, key, (double)llround(num / den * 10.0) / 10.0);
    else
        cJSON_AddNullToObject(j, key);
}

cJSON *sat_row_json(const sat_row *r)
{
    static const char *const dims[4] = {"quality", "attitude", "speed", "price"};
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "group", r->key);
    cJSON_AddNumberToObject(j, "surveys_sent", (double)r->sent);
    cJSON_AddNumberToObject(j, "responses", (double)r->responses);
    add_ratio(j, "response_rate_pct", (double)r->responses * 100, (double)r->sent);
    cJSON_AddNumberToObject(j, "csat_responses", (double)r->csat_n);
    add_ratio(j, "csat_pct", (double)r->csat_satisfied * 100, (double)r->csat_n);
    cJSON_AddNumberToObject(j, "nps_responses", (double)r->nps_n);
    cJSON_AddNumberToObject(j, "promoters", (double)r->promoters);
    cJSON_AddNumberToObject(j, "passives", (double)r->passives);
    cJSON_AddNumberToObject(j, "detractors", (double)r->detractors);
    add_ratio(j, "nps", ((double)r->promoters - (double)r->detractors) * 100, (double)r->nps_n);
    cJSON_AddNumberToObject(j, "ces_responses", (double)r->ces_n);
    add_ratio(j, "ces_easy_pct", (double)r->ces_easy * 100, (double)r->ces_n);
    cJSON *d = cJSON_AddObjectToObject(j, "dimension_avg");
    for (int k = 0; k < 4; k++) {
        if (r->dim_n[k])
            cJSON_AddNumberToObject(
                d, dims[k],
                (double)llround((double)r->dim_sum[k] * 100.0 / (double)r->dim_n[k]) / 100.0);
        else
            cJSON_AddNullToObject(d, dims[k]);
    }
    cJSON *f = cJSON_AddObjectToObject(j, "feedback");
    cJSON_AddNumberToObject(f, "positive", (double)r->fb_positive);
    cJSON_AddNumberToObject(f, "neutral", (double)r->fb_neutral);
    cJSON_AddNumberToObject(f, "negative", (double)r->fb_negative);
    cJSON *rv = cJSON_AddObjectToObject(j, "review_messages");
    cJSON_AddNumberToObject(rv, "positive", (double)r->review_positive);
    cJSON_AddNumberToObject(rv, "negative", (double)r->review_negative);
    cJSON_AddNumberToObject(rv, "revision", (double)r->review_revision);
    return j;
}

cJSON *sat_report_json(int64_t from, int64_t to, const char *group_by, const sat_row *rows,
                       size_t n, const sat_row *total)
{
    cJSON *j = cJSON_CreateObject();
    json_add_time(j, "from", from);
    json_add_time(j, "to", to);
    json_add_str(j, "group_by", group_by);
    cJSON *arr = cJSON_AddArrayToObject(j, "rows");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, sat_row_json(&rows[i]));
    cJSON_AddItemToObject(j, "total", sat_row_json(total));
    return j;
}

int sat_report_period(const char *from, const char *to, int64_t now, int64_t *f, int64_t *t,
                      bd_err *err)
{
    *t = now;
    if (to) {
        if (bd_time_parse_loose(to, t))
            return bd_err_set(err, "to needs a date (YYYY-MM-DD or RFC 3339): \"%s\"", to);
        if (strlen(to) == 10) *t += 86400; /* the whole day */
    }
    *f = *t - 30 * 86400;
    if (from && bd_time_parse_loose(from, f))
        return bd_err_set(err, "from needs a date (YYYY-MM-DD or RFC 3339): \"%s\"", from);
    if (*t <= *f) return bd_err_set(err, "to must come after from");
    return 0;
}
