/* feedback.c — marketplace feedback recorded as satisfaction data on the buyer, the order and
 * the ticket (and its agent) it follows; duplicates and revisions told apart. */
#include "borderdesk/satisfaction.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sat_stars_rating(int stars)
{
    return stars >= 4 ? "positive" : stars == 3 ? "neutral" : "negative";
}

static int text_ok(const char *what, const char *v, size_t max, bd_err *err)
{
    if (!v) return 0;
    size_t n = strlen(v);
    if (!bd_utf8_valid(v, n)) return bd_err_set(err, "field \"%s\" is not valid UTF-8", what);
    if (n > max) return bd_err_set(err, "field \"%s\" is longer than %zu bytes", what, max);
    return 0;
}

/* Everything that can be wrong with the input, before the first write. */
static int check(const sat_feedback *f, const char **rating, bd_err *err)
{
    if (!f->shop || !*f->shop) return bd_err_set(err, "missing required field \"shop\"");
    if (!f->marketplace || !*f->marketplace)
        return bd_err_set(err, "missing required field \"marketplace\"");
    if (!f->buyer.external_id || !*f->buyer.external_id)
        return bd_err_set(err, "missing required field \"buyer.external_id\"");
    if (!f->external_id && !f->order_id)
        return bd_err_set(err, "a feedback needs \"external_id\" (the marketplace's feedback id)"
                               " or \"order_id\", so that it is recorded once");
    if (f->kind && strcmp(f->kind, "seller_feedback") && strcmp(f->kind, "product_review"))
        return bd_err_set(err,
                          "field \"kind\" must be \"seller_feedback\" or"
                          " \"product_review\", not \"%.40s\"",
                          f->kind);
    if (f->stars && (f->stars < 1 || f->stars > 5))
        return bd_err_set(err, "field \"stars\" must be a whole number from 1 to 5, not %d",
                          f->stars);
    if (f->rating &&
        !bd_str_in(f->rating, (const char *const[]){"positive", "neutral", "negative", NULL}))
        return bd_err_set(err,
                          "field \"rating\" must be positive, neutral or negative, not"
                          " \"%.40s\"",
                          f->rating);
    if (!f->rating && !f->stars)
        return bd_err_set(err, "a feedback needs \"rating\" (positive, neutral, negative) or"
                               " \"stars\" (1-5)");
    if (f->rating && f->stars && strcmp(f->rating, sat_stars_rating(f->stars)) != 0)
        return bd_err_set(err, "rating \"%s\" contradicts %d star%s (%s)", f->rating, f->stars,
                          f->stars == 1 ? "" : "s", sat_stars_rating(f->stars));
    if (!f->left_at) return bd_err_set(err, "missing required field \"left_at\"");
    if (text_ok("comment", f->comment, 16384, err) ||
        text_ok("response", f->response, 16384, err) ||
        text_ok("external_id", f->external_id, 256, err) ||
        text_ok("order_id", f->order_id, 256, err))
        return -1;
    *rating = f->rating ? f->rating : sat_stars_rating(f->stars);
    return 0;
}

static int same_text(const char *a, const char *b)
{
    return bd_streq(a ? a : "", b ? b : "");
}

int sat_feedback_record(bd_store *s, const sat_feedback *f, int *result, int64_t *id, bd_err *err)
{
    const char *rating = NULL;
    *result = 0;
    if (check(f, &rating, err)) return -1;
    const char *kind = f->kind ? f->kind : "seller_feedback";
    char derived[320];
    const char *ext = f->external_id;
    if (!ext) {
        snprintf(derived, sizeof derived, "order:%s:%s", f->order_id, kind);
        ext = derived;
    }
    int64_t shop_id, buyer_id, order_id = 0, fid = 0;
    if (store_shop_ensure(s, f->shop, f->marketplace, &shop_id, err)) return -1;
    store_feedback_row old;
    int found = store_feedback_get(s, shop_id, ext, &old, err);
    if (found < 0) return -1;
    if (found) {
        int same = bd_streq(old.rating, rating) && old.stars == f->stars &&
                   same_text(old.comment, f->comment) && same_text(old.response, f->response) &&
                   old.left_at == f->left_at;
        fid = old.id;
        buyer_id = old.buyer_id;
        int rc = 0;
        if (same) {
            *result = SAT_DUPLICATE;
        } else {
            store_feedback_row rev = {.rating = (char *)rating,
                                  .stars = f->stars,
                                  .comment = (char *)f->comment,
                                  .response = (char *)f->response,
                                  .left_at = f->left_at,
                                  .recorded_at = bd_now()};
            rc = store_feedback_revise(s, fid, &rev, err);
            if (!rc && old.ticket_id) {
                char detail[160];
                snprintf(detail, sizeof detail, "{\"feedback\":%lld,\"from\":\"%s\",\"to\":\"%s\"}",
                         (long long)fid, old.rating, rating);
                rc = store_event_add(s, old.ticket_id, "marketplace", "feedback_revised", detail,
                                     f->left_at, err);
            }
            if (!rc) rc = store_loyalty_mark_dirty(s, buyer_id, err);
            *result = SAT_REVISED;
        }
        store_feedback_clear(&old);
        if (id) *id = fid;
        return rc;
    }
    if (store_buyer_upsert(s, shop_id, &f->buyer, &buyer_id, err)) return -1;
    if (f->order_id && store_order_lookup(s, shop_id, f->order_id, &order_id, err) < 0) return -1;
    int64_t ticket_id = 0;
    char *agent = NULL;
    if (store_feedback_ticket(s, shop_id, buyer_id, f->order_id, f->left_at, SAT_FOLLOW_WINDOW,
                              &ticket_id, &agent, err) < 0)
        return -1;
    store_feedback_row nf = {.shop_id = shop_id,
                         .buyer_id = buyer_id,
                         .order_id = order_id,
                         .ticket_id = ticket_id,
                         .left_at = f->left_at,
                         .recorded_at = bd_now(),
                         .stars = f->stars,
                         .external_id = (char *)ext,
                         .order_external_id = (char *)f->order_id,
                         .agent = agent,
                         .kind = (char *)kind,
                         .rating = (char *)rating,
                         .comment = (char *)f->comment,
                         .response = (char *)f->response};
    int rc = store_feedback_insert(s, &nf, &fid, err);
    if (!rc && ticket_id) {
        char detail[160];
        snprintf(detail, sizeof detail, "{\"feedback\":%lld,\"kind\":\"%s\",\"rating\":\"%s\"}",
                 (long long)fid, kind, rating);
        rc = store_event_add(s, ticket_id, "marketplace", "feedback_received", detail, f->left_at,
                             err);
    }
    if (!rc) rc = store_loyalty_mark_dirty(s, buyer_id, err);
    free(agent);
    if (rc) return -1;
    *result = SAT_RECORDED;
    if (id) *id = fid;
    return 0;
}

int sat_feedback_from_json(const cJSON *obj, sat_feedback *f, bd_err *err)
{
    memset(f, 0, sizeof *f);
    if (!cJSON_IsObject(obj)) return bd_err_set(err, "a feedback line must be a JSON object");
    static const char *const strings[] = {"shop",    "marketplace", "external_id", "order_id",
                                          "kind",    "rating",      "comment",     "response",
                                          "left_at", NULL};
    for (int i = 0; strings[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, strings[i]);
        if (v && !cJSON_IsString(v) && !cJSON_IsNull(v))
            return bd_err_set(err, "field \"%s\" must be a string", strings[i]);
    }
    f->shop = bd_json_str(obj, "shop");
    f->marketplace = bd_json_str(obj, "marketplace");
    f->external_id = bd_json_str(obj, "external_id");
    f->order_id = bd_json_str(obj, "order_id");
    f->kind = bd_json_str(obj, "kind");
    f->rating = bd_json_str(obj, "rating");
    f->comment = bd_json_str(obj, "comment");
    f->response = bd_json_str(obj, "response");
    const cJSON *stars = cJSON_GetObjectItemCaseSensitive(obj, "stars");
    if (stars && !cJSON_IsNull(stars)) {
        if (!cJSON_IsNumber(stars) || stars->valuedouble != floor(stars->valuedouble) ||
            stars->valuedouble < 1 || stars->valuedouble > 5)
            return bd_err_set(err, "field \"stars\" must be a whole number from 1 to 5");
        f->stars = (int)stars->valuedouble;
    }
    const char *left = bd_json_str(obj, "left_at");
    if (!left) return bd_err_set(err, "missing required field \"left_at\"");
    if (bd_time_parse(left, &f->left_at))
        return bd_err_set(err, "field \"left_at\" is not an RFC 3339 time: \"%.40s\"", left);
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(obj, "buyer");
    if (!b) return bd_err_set(err, "missing required field \"buyer\"");
    if (bd_buyer_from_json(b, &f->buyer, err)) return -1;
    return 0;
}
