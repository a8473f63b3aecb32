/* h_survey.c — the routes behind the buyers' survey page (/s/{token} in the web UI): read a
 * survey and answer it. They are public — the token in the invitation is the credential —
 * so they carry no cookie and need no CSRF token, are limited per address, and say nothing
 * beyond what the page needs (no buyer, no ticket, no agent). */
#include "server_internal.h"

#include "borderdesk/survey.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The dimensions as the API names them; survey_dimension_names[] are the stored names. */
static const char *const api_dimensions[SURVEY_DIMENSIONS] = {
    "product_quality", "service_attitude", "response_speed", "price"};

#define TOKEN_MAX 64

/* 0 to go on; -1 after answering 429 when the address asked too often. */
static int limited(srv_request *r)
{
    char key[96];
    snprintf(key, sizeof key, "s:%s", r->remote);
    int64_t now = bd_now();
    int64_t wait = auth_limiter_wait(r->srv->public_per_address, key, now);
    if (wait > 0) {
        r->retry_after = (int)wait;
        srv_error(r, 429, "too_many_requests",
                  "too many survey requests from this address; try again in %lld seconds",
                  (long long)wait);
        return -1;
    }
    auth_limiter_failed(r->srv->public_per_address, key, now); /* counts every request */
    return 0;
}

/* The token of the path; NULL after answering 404 (a malformed token is no survey). */
static const char *token_param(srv_request *r)
{
    const char *t = r->n_params ? r->params[0] : "";
    size_t n = strlen(t);
    int ok = n > 0 && n <= TOKEN_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = (t[i] >= 'A' && t[i] <= 'Z') || (t[i] >= 'a' && t[i] <= 'z') ||
             (t[i] >= '0' && t[i] <= '9') || t[i] == '-' || t[i] == '_';
    if (!ok) {
        srv_error(r, 404, "not_found", "no survey has this address (check the link)");
        return NULL;
    }
    return t;
}

static const char *api_status(const store_survey *v, int64_t now)
{
    const char *st = survey_status(v, now);
    return strcmp(st, "pending") == 0 ? "open" : st;
}

static cJSON *public_json(srv_request *r, const store_survey *v)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "token", v->token);
    cJSON_AddStringToObject(j, "kind", v->kind);
    int lo = 0, hi = 0;
    survey_score_range(v->kind, &lo, &hi);
    cJSON *scale = cJSON_AddObjectToObject(j, "scale");
    cJSON_AddNumberToObject(scale, "min", lo);
    cJSON_AddNumberToObject(scale, "max", hi);
    cJSON_AddStringToObject(j, "language", v->language);
    const cJSON *cfg = bd_config_shop(r->srv->opt.config, v->shop);
    const char *display = cfg ? bd_json_str(cfg, "display_name") : NULL;
    cJSON *shop = cJSON_AddObjectToObject(j, "shop");
    cJSON_AddStringToObject(shop, "name", display && *display ? display : v->shop);
    cJSON *dims = cJSON_AddArrayToObject(j, "dimensions");
    for (int k = 0; k < SURVEY_DIMENSIONS; k++) {
        char quoted[40];
        snprintf(quoted, sizeof quoted, "\"%s\"", survey_dimension_names[k]);
        if (v->dimensions && strstr(v->dimensions, quoted))
            cJSON_AddItemToArray(dims, cJSON_CreateString(api_dimensions[k]));
    }
    cJSON_AddStringToObject(j, "status", api_status(v, bd_now()));
    json_add_time(j, "expires_at", v->expires_at);
    return j;
}

void h_public_survey_get(srv_request *r)
{
    if (limited(r)) return;
    const char *token = token_param(r);
    bd_store *s = token ? srv_store(r) : NULL;
    if (!s) return;
    store_survey v;
    bd_err err;
    int found = store_survey_get_token(s, token, &v, &err);
    if (found < 0)
        srv_fail(r, s, &err);
    else if (!found)
        srv_error(r, 404, "not_found", "no survey has this address (check the link)");
    else
        srv_reply_json(r, 200, public_json(r, &v));
    store_survey_clear(&v);
}

/* A whole number member in [-1e6, 1e6]; 0 absent, 1 set, -1 after a 400. */
static int int_member(srv_request *r, const cJSON *v, const char *what, int *out)
{
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
        fabs(v->valuedouble) > 1e6) {
        srv_error(r, 400, "invalid_field", "%s must be a whole number", what);
        return -1;
    }
    *out = (int)v->valuedouble;
    return 1;
}

/* The answer in the body; 0, or -1 after a 400 (malformed) or 422 (a dimension the API does
 * not know). The range checks are survey_respond's. */
static int parse_answer(srv_request *r, survey_response *a)
{
    memset(a, 0, sizeof *a);
    cJSON *body = srv_body_object(r);
    if (!body) return -1;
    static const char *const keys[] = {"score", "comment", "dimensions", NULL};
    for (const cJSON *k = body->child; k; k = k->next)
        if (!bd_str_in(k->string, keys)) {
            srv_error(r, 400, "invalid_field", "unknown member \"%s\" (score, comment, dimensions)",
                      k->string);
            return -1;
        }
    const cJSON *score = cJSON_GetObjectItemCaseSensitive(body, "score");
    if (!score || cJSON_IsNull(score)) {
        srv_error(r, 400, "missing_field", "\"score\" is required");
        return -1;
    }
    if (int_member(r, score, "score", &a->score) < 0) return -1;
    if (srv_body_str(r, body, "comment", 0, &a->comment)) return -1;
    const cJSON *dims = cJSON_GetObjectItemCaseSensitive(body, "dimensions");
    if (dims && !cJSON_IsNull(dims)) {
        if (!cJSON_IsObject(dims)) {
            srv_error(r, 400, "invalid_field",
                      "dimensions must be an object such as {\"product_quality\": 5}");
            return -1;
        }
        for (const cJSON *d = dims->child; d; d = d->next) {
            int k = 0;
            while (k < SURVEY_DIMENSIONS && strcmp(d->string, api_dimensions[k]) != 0) k++;
            if (k == SURVEY_DIMENSIONS || a->n_dims == SURVEY_DIMENSIONS) {
                srv_error(r, 422, "unprocessable",
                          "unknown dimension \"%s\" (product_quality, service_attitude,"
                          " response_speed, price)",
                          d->string);
                return -1;
            }
            if (int_member(r, d, d->string, &a->dims[a->n_dims].score) < 0) return -1;
            a->dims[a->n_dims++].name = survey_dimension_names[k];
        }
    }
    return 0;
}

/* 0 when every dimension of the answer is one the survey asks; else -1 with err naming them
 * as the API does. */
static int dimensions_asked(const store_survey *v, const survey_response *a, bd_err *err)
{
    for (int i = 0; i < a->n_dims; i++) {
        char quoted[40];
        snprintf(quoted, sizeof quoted, "\"%s\"", a->dims[i].name);
        if (v->dimensions && strstr(v->dimensions, quoted)) continue;
        bd_buf asked = BD_BUF_INIT;
        for (int k = 0; k < SURVEY_DIMENSIONS; k++) {
            snprintf(quoted, sizeof quoted, "\"%s\"", survey_dimension_names[k]);
            if (v->dimensions && strstr(v->dimensions, quoted))
                bd_buf_printf(&asked, "%s%s", asked.len ? ", " : "", api_dimensions[k]);
        }
        int k = 0;
        while (k < SURVEY_DIMENSIONS && strcmp(survey_dimension_names[k], a->dims[i].name)) k++;
        bd_err_set(err, "this survey does not ask about \"%s\" (it asks: %s)",
                   k < SURVEY_DIMENSIONS ? api_dimensions[k] : a->dims[i].name,
                   asked.len ? asked.data : "no dimensions");
        bd_buf_free(&asked);
        return -1;
    }
    return 0;
}

typedef struct answer_job {
    const char *token;
    survey_response *answer;
    int status; /* the answer when the survey refuses: 404, 409, 410; 0 otherwise */
} answer_job;

static int record_answer(srv_request *r, bd_store *s, void *arg, bd_err *err)
{
    (void)r;
    answer_job *job = arg;
    store_survey v;
    int found = store_survey_get_token(s, job->token, &v, err);
    if (found < 0) return -1;
    int64_t now = bd_now();
    int rc;
    if (!found) {
        job->status = 404;
        rc = bd_err_set(err, "no survey has this address (check the link)");
    } else if (v.responded_at) {
        job->status = 409;
        rc = survey_respond(s, job->token, job->answer, now, err); /* says when */
        if (rc == 0) rc = bd_err_set(err, "this survey was already answered");
    } else if (now >= v.expires_at) {
        job->status = 410;
        rc = survey_respond(s, job->token, job->answer, now, err); /* says since when */
        if (rc == 0) rc = bd_err_set(err, "this survey has expired");
    } else {
        rc = dimensions_asked(&v, job->answer, err) ||
                     survey_respond(s, job->token, job->answer, now, err)
                 ? -1
                 : 0;
    }
    store_survey_clear(&v);
    return rc;
}

void h_public_survey_answer(srv_request *r)
{
    if (limited(r)) return;
    const char *token = token_param(r);
    survey_response answer;
    if (!token || parse_answer(r, &answer)) return;
    bd_store *s = srv_store(r);
    if (!s) return;
    answer_job job = {.token = token, .answer = &answer};
    bd_err err;
    if (srv_write(r, s, record_answer, &job, &err) == 0) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "status", "answered");
        srv_reply_json(r, 201, j);
    } else if (!r->status) { /* refused: srv_write left the answer to us */
        switch (job.status) {
        case 404:
            srv_error(r, 404, "not_found", "%s", err.msg);
            break;
        case 409:
            srv_error(r, 409, "conflict", "%s", err.msg);
            break;
        case 410:
            srv_error(r, 410, "gone", "%s", err.msg);
            break;
        default:
            srv_error(r, 422, "unprocessable", "%s", err.msg);
        }
    }
}
