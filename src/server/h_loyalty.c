/* h_loyalty.c — buyers as src/loyalty and src/satisfaction see them: the loyalty profile
 * (the tier and every grading, with the reasons), survey answers and marketplace feedback,
 * the blacklist and the suspicion flags; the list of buyers by tier, churn risk and
 * blacklist; blacklisting (a lead's decision, audited); and the satisfaction and tiers
 * reports, built exactly as `borderdesk report satisfaction|tiers --format json` builds
 * them so that the dashboard and the command line show the same numbers. */
#include "server_internal.h"

#include "borderdesk/loyalty.h"
#include "borderdesk/satisfaction.h"
#include "borderdesk/survey.h"

#include <stdlib.h>
#include <string.h>

#define SATISFACTION_ITEMS 50 /* survey answers and feedback shown on a buyer, newest first */
#define CHURN_LIST_DEFAULT 50 /* the tiers report's churn-risk list, as the CLI's --limit */

static const char *const api_dimensions[SURVEY_DIMENSIONS] = {
    "product_quality", "service_attitude", "response_speed", "price"};

/* ---- the loyalty profile ---- */

static void add_label(cJSON *j, const char *key, const char *label)
{
    json_add_str(j, key, label && label[0] ? label : NULL);
}

/* Why the buyer is at churn risk, in the configuration's terms. */
static cJSON *churn_json(const loyalty_config *cfg, const store_buyer_loyalty *p, int64_t as_of)
{
    if (!p->churn[0]) return cJSON_CreateNull();
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "kind", p->churn);
    char reason[256], last[32];
    bd_time_format(p->last_order_at, last, sizeof last);
    last[10] = '\0';
    long long window = (long long)(cfg->decline_window / LOYALTY_DAY);
    if (strcmp(p->churn, "silent") == 0)
        snprintf(reason, sizeof reason,
                 "no order for %lld days (last %s); %lld sales in all, at risk after %lld days"
                 " without one",
                 (long long)((as_of - p->last_order_at) / LOYALTY_DAY), last, (long long)p->orders,
                 (long long)(cfg->churn_silence / LOYALTY_DAY));
    else
        snprintf(reason, sizeof reason,
                 "%lld sales in the last %lld days against %lld in the %lld days before"
                 " (at risk at %g%% or less)",
                 (long long)p->orders_recent, window, (long long)p->orders_previous, window,
                 cfg->decline_drop_bp / 100.0);
    cJSON_AddStringToObject(j, "reason", reason);
    return j;
}

/* The profile p (have = 0: the buyer never bought) as the API shows it. */
static cJSON *loyalty_json(srv_request *r, bd_store *s, const char *shop, store_buyer_loyalty *p,
                           int have, int64_t as_of)
{
    const loyalty_settings *set = r->srv->loyalty;
    const loyalty_config *cfg = loyalty_settings_shop(set, shop);
    if (!have) {
        memset(p, 0, sizeof *p);
        snprintf(p->loyalty, sizeof p->loyalty, "potential");
    }
    cJSON *j = cJSON_CreateObject();
    add_label(j, "tier", p->tier);
    cJSON_AddStringToObject(j, "tier_grading", loyalty_grading_name(cfg->grading));
    char reason[512] = "no counted order yet";
    if (have && p->orders) {
        store_loyalty_shop sh;
        bd_err err;
        int64_t population = 0;
        if (store_loyalty_shop_get(s, p->shop_id, &sh, NULL, 0, &err) == 1)
            population = cfg->grading == LOYALTY_RFM ? sh.n_rfm : sh.n_value;
        loyalty_tier_reason(set, cfg, p, population, reason, sizeof reason);
    }
    cJSON_AddStringToObject(j, "tier_reason", reason);
    add_label(j, "pyramid", p->pyramid);
    cJSON_AddBoolToObject(j, "top20", p->top20);
    add_label(j, "abc", p->abc);
    cJSON_AddStringToObject(j, "loyalty_class", p->loyalty);
    add_label(j, "lifecycle", p->lifecycle);
    cJSON *rfm = cJSON_AddObjectToObject(j, "rfm");
    const char *keys[] = {"r", "f", "m"};
    int scores[] = {p->r, p->f, p->m};
    for (int i = 0; i < 3; i++)
        if (scores[i])
            cJSON_AddNumberToObject(rfm, keys[i], scores[i]);
        else
            cJSON_AddNullToObject(rfm, keys[i]);
    add_label(rfm, "segment", p->segment);
    cJSON_AddNumberToObject(j, "orders", (double)p->orders);
    cJSON_AddNumberToObject(j, "orders_all", (double)p->orders_all);
    char amount[48];
    loyalty_money_format(p->spend, amount, sizeof amount);
    cJSON_AddStringToObject(j, "spend", amount);
    cJSON_AddStringToObject(j, "currency", set->base_currency);
    json_add_time(j, "first_order_at", p->first_order_at);
    json_add_time(j, "last_order_at", p->last_order_at);
    cJSON_AddItemToObject(j, "churn_risk", churn_json(cfg, p, as_of));
    cJSON_AddNumberToObject(j, "priority_boost", p->boost);
    cJSON_AddNumberToObject(j, "claims", (double)p->claims);
    cJSON_AddNumberToObject(j, "chargebacks", (double)p->chargebacks);
    cJSON_AddNumberToObject(j, "recent_dissatisfaction", (double)p->negatives);
    json_add_time(j, "computed_at", p->updated_at);
    return j;
}

/* The profile of buyer b with its derived labels; *have 0 without one. */
static int load_profile(bd_store *s, const loyalty_view *view, int64_t buyer_id,
                        store_buyer_loyalty *p, int *have, bd_err *err)
{
    memset(p, 0, sizeof *p);
    *have = store_loyalty_get(s, buyer_id, p, err);
    if (*have < 0) return -1;
    if (*have) loyalty_view_labels(view, p);
    return 0;
}

/* When the profiles were computed (churn risk is judged then); now without a run yet. */
static int64_t profiles_as_of(bd_store *s)
{
    int64_t as_of, full_at;
    char hash[32];
    bd_err err;
    if (store_loyalty_state_get(s, &as_of, hash, sizeof hash, &full_at, &err) == 1) return as_of;
    return bd_now();
}

/* ---- satisfaction: survey answers and feedback, newest first ---- */

static cJSON *survey_item(const store_survey *v)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "source", "survey");
    json_add_time(j, "at", v->responded_at);
    json_add_str(j, "shop", v->shop);
    cJSON_AddNumberToObject(j, "ticket_id", (double)v->ticket_id);
    json_add_str(j, "order_id", v->order_external_id);
    json_add_str(j, "agent", v->agent);
    cJSON_AddStringToObject(j, "kind", v->kind);
    cJSON_AddNumberToObject(j, "score", v->score);
    int lo = 0, hi = 0;
    survey_score_range(v->kind, &lo, &hi);
    cJSON *scale = cJSON_AddObjectToObject(j, "scale");
    cJSON_AddNumberToObject(scale, "min", lo);
    cJSON_AddNumberToObject(scale, "max", hi);
    cJSON *dims = cJSON_AddObjectToObject(j, "dimensions");
    for (int k = 0; k < SURVEY_DIMENSIONS; k++)
        if (v->dims[k]) cJSON_AddNumberToObject(dims, api_dimensions[k], v->dims[k]);
    json_add_str(j, "comment", v->comment);
    return j;
}

static cJSON *feedback_item(const store_feedback_row *f)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "source", "feedback");
    json_add_time(j, "at", f->left_at);
    json_add_str(j, "shop", f->shop);
    if (f->ticket_id)
        cJSON_AddNumberToObject(j, "ticket_id", (double)f->ticket_id);
    else
        cJSON_AddNullToObject(j, "ticket_id");
    json_add_str(j, "order_id", f->order_external_id);
    json_add_str(j, "agent", f->agent);
    json_add_str(j, "kind", f->kind);
    json_add_str(j, "rating", f->rating);
    if (f->stars)
        cJSON_AddNumberToObject(j, "stars", f->stars);
    else
        cJSON_AddNullToObject(j, "stars");
    json_add_str(j, "comment", f->comment);
    json_add_str(j, "response", f->response);
    json_add_str(j, "revised_from", f->revised_from);
    return j;
}

static cJSON *satisfaction_json(bd_store *s, int64_t buyer_id, bd_err *err)
{
    store_survey *v = NULL;
    store_feedback_row *f = NULL;
    size_t nv = 0, nf = 0;
    if (store_buyer_surveys(s, buyer_id, SATISFACTION_ITEMS, &v, &nv, err) ||
        store_buyer_feedback(s, buyer_id, SATISFACTION_ITEMS, &f, &nf, err)) {
        store_surveys_free(v, nv);
        return NULL;
    }
    cJSON *arr = cJSON_CreateArray();
    size_t i = 0, k = 0;
    while ((i < nv || k < nf) && (size_t)cJSON_GetArraySize(arr) < SATISFACTION_ITEMS) {
        if (k >= nf || (i < nv && v[i].responded_at >= f[k].left_at))
            cJSON_AddItemToArray(arr, survey_item(&v[i++]));
        else
            cJSON_AddItemToArray(arr, feedback_item(&f[k++]));
    }
    store_surveys_free(v, nv);
    store_feedback_rows_free(f, nf);
    return arr;
}

/* ---- blacklist and suspicion ---- */

static cJSON *blacklist_json(bd_store *s, int64_t buyer_id, bd_err *err, int *failed)
{
    store_blacklist_entry e;
    memset(&e, 0, sizeof e);
    int listed = store_blacklist_get(s, buyer_id, &e, err);
    *failed = listed < 0;
    if (listed <= 0) return cJSON_CreateNull();
    cJSON *j = cJSON_CreateObject();
    json_add_str(j, "reason", e.reason);
    json_add_str(j, "set_by", e.added_by);
    json_add_time(j, "set_at", e.added_at);
    store_blacklist_entry_clear(&e);
    return j;
}

static cJSON *flag_json(const store_buyer_flag *f)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)f->id);
    cJSON_AddStringToObject(j, "kind", f->kind);
    cJSON_AddStringToObject(j, "status", f->status);
    cJSON_AddNumberToObject(j, "level", (double)f->level);
    cJSON *ev = f->evidence ? cJSON_Parse(f->evidence) : NULL;
    cJSON_AddItemToObject(j, "evidence", cJSON_IsObject(ev) ? ev : (cJSON_Delete(ev), cJSON_CreateNull()));
    json_add_time(j, "raised_at", f->raised_at);
    json_add_str(j, "decided_by", f->decided_by);
    json_add_time(j, "decided_at", f->decided_at);
    json_add_str(j, "decision", f->decision);
    return j;
}

/* The newest flag of each kind: what the engine suspects and what a person decided. */
static cJSON *suspicion_json(bd_store *s, int64_t buyer_id, bd_err *err)
{
    static const char *const kinds[] = {"refund_claims", "chargebacks"};
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < 2; i++) {
        store_buyer_flag f;
        memset(&f, 0, sizeof f);
        int found = store_flag_latest(s, buyer_id, kinds[i], &f, err);
        if (found < 0) {
            cJSON_Delete(arr);
            return NULL;
        }
        if (found) cJSON_AddItemToArray(arr, flag_json(&f));
        store_buyer_flag_clear(&f);
    }
    return arr;
}

int srv_buyer_extras(srv_request *r, bd_store *s, const store_buyer_row *b, cJSON *j)
{
    bd_err err;
    loyalty_view *view = NULL;
    store_buyer_loyalty p;
    int have = 0, failed = 0;
    if (loyalty_view_open(s, r->srv->loyalty, &view, &err) ||
        load_profile(s, view, b->id, &p, &have, &err)) {
        loyalty_view_free(view);
        srv_fail(r, s, &err);
        return -1;
    }
    loyalty_view_free(view);
    cJSON_AddItemToObject(j, "loyalty", loyalty_json(r, s, b->shop, &p, have, profiles_as_of(s)));
    cJSON *sat = satisfaction_json(s, b->id, &err);
    cJSON *bl = sat ? blacklist_json(s, b->id, &err, &failed) : NULL;
    cJSON *sus = sat && !failed ? suspicion_json(s, b->id, &err) : NULL;
    if (!sus) {
        cJSON_Delete(sat);
        cJSON_Delete(bl);
        srv_fail(r, s, &err);
        return -1;
    }
    cJSON_AddItemToObject(j, "satisfaction", sat);
    cJSON_AddItemToObject(j, "blacklist", bl);
    cJSON_AddItemToObject(j, "suspicion", sus);
    return 0;
}

/* ---- the list of buyers ---- */

/* A flag parameter: 1 for "1"/"true", 0 for absent/"0"/"false"; -1 after a 400. */
static int flag_param(srv_request *r, const char *key)
{
    const char *v = srv_query(r, key);
    if (!v || !strcmp(v, "0") || !strcmp(v, "false")) return 0;
    if (!strcmp(v, "1") || !strcmp(v, "true")) return 1;
    srv_error(r, 400, "invalid_parameter", "%s must be 1 or 0 (true or false)", key);
    return -1;
}

void h_buyers_list(srv_request *r)
{
    store_buyer_query q = {.shop = srv_query(r, "shop"), .tier = srv_query(r, "tier")};
    if ((q.shop && strlen(q.shop) > 200) || (q.tier && strlen(q.tier) > STORE_LABEL_MAX)) {
        srv_error(r, 400, "invalid_parameter", "shop or tier is too long");
        return;
    }
    if ((q.churn_risk = flag_param(r, "churn_risk")) < 0 ||
        (q.blacklisted = flag_param(r, "blacklisted")) < 0 || srv_limit(r, &q.limit))
        return;
    int c = srv_cursor(r, 'b', &q.after_spend, &q.after_id);
    if (c < 0) return;
    q.has_after = c;
    bd_store *s = srv_store(r);
    if (!s) return;
    size_t want = q.limit, n = 0;
    q.limit = want + 1;
    int64_t *ids = NULL, *spend = NULL;
    loyalty_view *view = NULL;
    bd_err err;
    if (store_buyers_page(s, &q, &ids, &spend, &n, &err) ||
        loyalty_view_open(s, r->srv->loyalty, &view, &err)) {
        free(ids);
        free(spend);
        srv_fail(r, s, &err);
        return;
    }
    int64_t as_of = profiles_as_of(s);
    cJSON *items = cJSON_CreateArray();
    int rc = 0;
    for (size_t i = 0; i < n && i < want && !rc; i++) {
        store_buyer_row b;
        store_buyer_loyalty p;
        int have = 0;
        int found = store_buyer_get(s, ids[i], &b, &err);
        rc = found < 0 || (found && load_profile(s, view, ids[i], &p, &have, &err));
        if (found > 0 && !rc) {
            cJSON *j = srv_buyer_json(&b);
            cJSON_AddItemToObject(j, "loyalty", loyalty_json(r, s, b.shop, &p, have, as_of));
            int listed = store_blacklist_get(s, b.id, NULL, &err);
            rc = listed < 0;
            cJSON_AddBoolToObject(j, "blacklisted", listed > 0);
            cJSON_AddItemToArray(items, j);
        }
        if (found > 0) store_buyer_row_clear(&b);
    }
    char *next = !rc && n > want ? srv_cursor_encode('b', spend[want - 1], ids[want - 1]) : NULL;
    free(ids);
    free(spend);
    loyalty_view_free(view);
    if (rc) {
        cJSON_Delete(items);
        free(next);
        srv_fail(r, s, &err);
        return;
    }
    srv_reply_json(r, 200, srv_page(items, next));
}

/* ---- blacklist changes (lead) ---- */

typedef struct blacklist_job {
    int64_t buyer_id;
    const char *reason;
    int add;
    int status; /* 404 no buyer, 409 already listed / 404 not listed */
} blacklist_job;

static int change_blacklist(srv_request *r, bd_store *s, void *arg, bd_err *err)
{
    blacklist_job *job = arg;
    store_buyer_row b;
    int found = store_buyer_get(s, job->buyer_id, &b, err);
    if (found <= 0) {
        if (found == 0) job->status = 404;
        return found < 0 ? -1 : bd_err_set(err, "no buyer %lld", (long long)job->buyer_id);
    }
    store_buyer_row_clear(&b);
    store_blacklist_entry e;
    memset(&e, 0, sizeof e);
    int listed = store_blacklist_get(s, job->buyer_id, &e, err);
    if (listed < 0) return -1;
    int rc;
    if (job->add && listed) {
        char at[32];
        bd_time_format(e.added_at, at, sizeof at);
        job->status = 409;
        rc = bd_err_set(err, "buyer %lld is already blacklisted (by %s on %s: %s)",
                        (long long)job->buyer_id, e.added_by, at, e.reason);
    } else if (!job->add && !listed) {
        job->status = 404;
        rc = bd_err_set(err, "buyer %lld is not blacklisted", (long long)job->buyer_id);
    } else if (job->add) {
        rc = loyalty_blacklist_add(s, r->srv->loyalty, job->buyer_id, job->reason, r->user,
                                   bd_now(), err);
    } else {
        rc = loyalty_blacklist_remove(s, r->srv->loyalty, job->buyer_id, job->reason, r->user,
                                      bd_now(), err);
    }
    store_blacklist_entry_clear(&e);
    return rc;
}

static void blacklist_change(srv_request *r, int add)
{
    blacklist_job job = {.add = add};
    if (!(job.buyer_id = srv_param_id(r, 0, "buyer"))) return;
    if (add || r->body.len) {
        cJSON *body = srv_body_object(r);
        if (!body || srv_body_str(r, body, "reason", add, &job.reason)) return;
        if (job.reason && (!*job.reason || strlen(job.reason) > 2000)) {
            srv_error(r, 400, "invalid_field", "the reason is 1 to 2000 bytes of text");
            return;
        }
    }
    if (!job.reason) job.reason = "removed through the API";
    bd_store *s = srv_store(r);
    if (!s) return;
    bd_err err;
    if (srv_write(r, s, change_blacklist, &job, &err)) {
        if (r->status) return;
        if (job.status == 404)
            srv_error(r, 404, "not_found", "%s", err.msg);
        else if (job.status == 409)
            srv_error(r, 409, "conflict", "%s", err.msg);
        else
            srv_error(r, 422, "unprocessable", "%s", err.msg);
        return;
    }
    if (!add) {
        srv_reply_empty(r, 204);
        return;
    }
    int failed = 0;
    cJSON *bl = blacklist_json(s, job.buyer_id, &err, &failed);
    if (failed) {
        cJSON_Delete(bl);
        srv_fail(r, s, &err);
        return;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "buyer_id", (double)job.buyer_id);
    cJSON_AddItemToObject(j, "blacklist", bl);
    srv_reply_json(r, 201, j);
}

void h_buyer_blacklist_put(srv_request *r)
{
    blacklist_change(r, 1);
}

void h_buyer_blacklist_delete(srv_request *r)
{
    blacklist_change(r, 0);
}

/* ---- reports ---- */

/* from/to as the CLI takes them (sat_report_period); -1 after a 400. */
static int report_period(srv_request *r, int64_t *from, int64_t *to)
{
    const char *f = srv_query(r, "from"), *t = srv_query(r, "to");
    bd_err err;
    if ((f && strlen(f) > 64) || (t && strlen(t) > 64) ||
        sat_report_period(f, t, bd_now(), from, to, &err)) {
        srv_error(r, 400, "invalid_parameter", "%s",
                  (f && strlen(f) > 64) || (t && strlen(t) > 64)
                      ? "from and to are dates or RFC 3339 times"
                      : err.msg);
        return -1;
    }
    return 0;
}

void h_report_satisfaction(srv_request *r)
{
    const char *group = srv_query(r, "group_by");
    int by = SAT_BY_NONE;
    if (group && (by = sat_group_parse(group)) < 0) {
        srv_error(r, 400, "invalid_parameter", "group_by must be agent, shop, category or week");
        return;
    }
    int64_t from, to;
    if (report_period(r, &from, &to)) return;
    bd_store *s = srv_store(r);
    if (!s) return;
    sat_row *rows = NULL, total;
    size_t n = 0;
    bd_err err;
    if (sat_report(s, from, to, by, &rows, &n, &total, &err)) {
        srv_fail(r, s, &err);
        return;
    }
    srv_reply_json(r, 200, sat_report_json(from, to, group, rows, n, &total));
    free(rows);
}

void h_report_tiers(srv_request *r)
{
    int64_t from, to;
    if (report_period(r, &from, &to)) return;
    const char *shop = srv_query(r, "shop");
    long limit = CHURN_LIST_DEFAULT;
    const char *l = srv_query(r, "limit");
    if (l) {
        char *end;
        limit = strtol(l, &end, 10);
        if (!*l || *end || limit < 0 || limit > 100000) {
            srv_error(r, 400, "invalid_parameter",
                      "limit is the length of the churn-risk list: 0 (all) to 100000");
            return;
        }
    }
    if (shop && strlen(shop) > 200) {
        srv_error(r, 400, "invalid_parameter", "shop is too long");
        return;
    }
    bd_store *s = srv_store(r);
    if (!s) return;
    loyalty_report_opts o = {.from = from,
                             .to = to,
                             .shop = shop,
                             .as_of = profiles_as_of(s),
                             .churn_limit = (size_t)limit};
    cJSON *j;
    bd_err err;
    if (loyalty_report(s, r->srv->loyalty, &o, &j, &err)) {
        if (strncmp(err.msg, "no shop", 7) == 0)
            srv_error(r, 400, "invalid_parameter", "%s", err.msg);
        else
            srv_fail(r, s, &err);
        return;
    }
    srv_reply_json(r, 200, j);
}
