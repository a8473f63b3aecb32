/* h_suggest.c — reply suggestions for the agent's screen: the ranked replies of a ticket in
 * the buyer's language (the same as `borderdesk suggest`), the template library, and the
 * preview of one template for a ticket with the facts the agent filled in. The library is
 * loaded once at start (srv->templates); the ticket's context is built per request. */
#include "server_internal.h"

#include <stdlib.h>
#include <string.h>

#define SUGGEST_DEFAULT_LIMIT 3
#define SUGGEST_MAX_LIMIT 20
#define FILL_MAX_NAMES 32
#define FILL_MAX_BYTES 4000

/* The name replies are signed with: the user's display name, else the user name. Caller
 * frees; NULL after answering (a database error). */
static char *agent_name(srv_request *r, bd_store *s)
{
    store_user u = {0};
    bd_err err;
    int found = store_user_get(s, r->user, &u, &err);
    if (found < 0) {
        srv_fail(r, s, &err);
        return NULL;
    }
    char *name = bd_strdup(found && u.display_name && *u.display_name ? u.display_name : r->user);
    store_user_clear(&u);
    return name;
}

/* 1 when the ticket exists; 0 after answering with status (404 or 422) or an error. */
static int ticket_exists(srv_request *r, bd_store *s, int64_t id, int status)
{
    store_ticket t;
    bd_err err;
    int found = store_ticket_get(s, id, &t, &err);
    if (found > 0) store_ticket_clear(&t);
    if (found < 0)
        srv_fail(r, s, &err);
    else if (!found)
        srv_error(r, status, status == 404 ? "not_found" : "unprocessable", "no ticket %lld",
                  (long long)id);
    return found > 0;
}

/* The ticket's render context signed by the request's user; NULL after answering. */
static cJSON *ticket_context(srv_request *r, bd_store *s, int64_t id, suggest_facts *facts)
{
    char *agent = agent_name(r, s);
    if (!agent) return NULL;
    cJSON *ctx = NULL;
    bd_err err;
    if (suggest_ticket_context(s, r->srv->opt.config, id, agent, &ctx, facts, &err)) {
        srv_fail(r, s, &err);
        ctx = NULL;
    }
    free(agent);
    return ctx;
}

static void add_fact(cJSON *j, const char *key, const char *v)
{
    json_add_str(j, key, *v ? v : NULL);
}

static cJSON *facts_json(const suggest_facts *f)
{
    cJSON *j = cJSON_CreateObject();
    add_fact(j, "language", f->language);
    add_fact(j, "category", f->category);
    add_fact(j, "subcategory", f->subcategory);
    add_fact(j, "order_state", f->order_state);
    add_fact(j, "tracking", f->tracking);
    add_fact(j, "tier", f->tier);
    add_fact(j, "marketplace", f->marketplace);
    add_fact(j, "eta", f->eta);
    add_fact(j, "late_reply", f->late_reply);
    return j;
}

void h_ticket_suggestions(srv_request *r)
{
    int64_t id = srv_param_id(r, 0, "ticket");
    if (!id) return;
    size_t limit = SUGGEST_DEFAULT_LIMIT;
    const char *lv = srv_query(r, "limit");
    if (lv) {
        char *end;
        long n = strtol(lv, &end, 10);
        if (!*lv || *end || n < 1 || n > SUGGEST_MAX_LIMIT) {
            srv_error(r, 400, "invalid_parameter", "limit must be a number from 1 to %d",
                      SUGGEST_MAX_LIMIT);
            return;
        }
        limit = (size_t)n;
    }
    bd_store *s = srv_store(r);
    if (!s || !ticket_exists(r, s, id, 404)) return;
    suggest_facts facts;
    cJSON *ctx = ticket_context(r, s, id, &facts);
    if (!ctx) return;
    suggestion *sg = NULL;
    size_t n = 0;
    bd_err err;
    if (suggest_rank(r->srv->templates, &facts, ctx, limit, &sg, &n, &err)) {
        cJSON_Delete(ctx);
        srv_fail(r, s, &err);
        return;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON *items = cJSON_AddArrayToObject(j, "items");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(items, suggestion_json(&sg[i]));
    cJSON_AddItemToObject(j, "facts", facts_json(&facts));
    suggestions_free(sg, n);
    cJSON_Delete(ctx);
    srv_reply_json(r, 200, j);
}

/* ---- the library ---- */

static cJSON *template_json(const suggest_template *t)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", t->id);
    cJSON_AddStringToObject(j, "language", t->lang);
    cJSON_AddStringToObject(j, "category", t->category);
    cJSON_AddStringToObject(j, "subcategory", t->subcategory);
    json_add_str(j, "variant", t->variant);
    cJSON_AddStringToObject(j, "title", t->title);
    cJSON *w = cJSON_AddObjectToObject(j, "when");
    const struct {
        const char *key, *value;
    } conds[] = {
        {"order_state", t->order_state}, {"tracking", t->tracking}, {"tier", t->tier},
        {"marketplace", t->marketplace}, {"eta", t->eta},           {"late_reply", t->late_reply}};
    for (size_t i = 0; i < sizeof conds / sizeof conds[0]; i++)
        if (conds[i].value) cJSON_AddStringToObject(w, conds[i].key, conds[i].value);
    return j;
}

void h_templates_list(srv_request *r)
{
    const char *lang = srv_query(r, "language"), *cat = srv_query(r, "category");
    if ((lang && strlen(lang) > 16) || (cat && strlen(cat) > 32)) {
        srv_error(r, 400, "invalid_parameter", "language or category is too long");
        return;
    }
    const suggest_library *lib = r->srv->templates;
    cJSON *items = cJSON_CreateArray();
    for (size_t i = 0; i < lib->n; i++) {
        const suggest_template *t = &lib->t[i];
        if ((lang && strcmp(t->lang, lang) != 0) || (cat && strcmp(t->category, cat) != 0))
            continue;
        cJSON_AddItemToArray(items, template_json(t));
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "items", items);
    srv_reply_json(r, 200, j);
}

/* ---- preview ---- */

static int fill_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
    return 1;
}

/* A copy of the body's "fill" object (names -> strings) or NULL when absent; -1 after a 400. */
static int read_fill(srv_request *r, cJSON *body, cJSON **out)
{
    *out = NULL;
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(body, "fill");
    if (!f || cJSON_IsNull(f)) return 0;
    if (!cJSON_IsObject(f) || cJSON_GetArraySize(f) > FILL_MAX_NAMES) {
        srv_error(r, 400, "invalid_field",
                  "\"fill\" must be an object of at most %d names and strings", FILL_MAX_NAMES);
        return -1;
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, f)
    {
        if (!fill_name_ok(v->string) || !cJSON_IsString(v) ||
            strlen(v->valuestring) > FILL_MAX_BYTES) {
            srv_error(r, 400, "invalid_field",
                      "\"fill\": names are a-z, 0-9 and _ (at most 64), values strings of at "
                      "most %d bytes",
                      FILL_MAX_BYTES);
            return -1;
        }
    }
    *out = cJSON_Duplicate(f, 1);
    return 0;
}

void h_template_preview(srv_request *r)
{
    cJSON *body = srv_body_object(r);
    const char *tpl_id;
    if (!body || srv_body_str(r, body, "template_id", 1, &tpl_id)) return;
    const cJSON *tid = cJSON_GetObjectItemCaseSensitive(body, "ticket_id");
    if (!tid || cJSON_IsNull(tid)) {
        srv_error(r, 400, "missing_field", "\"ticket_id\" is required");
        return;
    }
    if (!cJSON_IsNumber(tid) || tid->valuedouble < 1 || tid->valuedouble > 9e15 ||
        tid->valuedouble != (double)(int64_t)tid->valuedouble) {
        srv_error(r, 400, "invalid_field", "\"ticket_id\" must be a ticket id");
        return;
    }
    int64_t id = (int64_t)tid->valuedouble;
    const suggest_template *t = suggest_library_find(r->srv->templates, tpl_id);
    if (!t) {
        srv_error(r, 422, "unprocessable", "no template \"%s\"", tpl_id);
        return;
    }
    cJSON *fill;
    if (read_fill(r, body, &fill)) return;
    bd_store *s = srv_store(r);
    if (!s || !ticket_exists(r, s, id, 422)) {
        cJSON_Delete(fill);
        return;
    }
    suggest_facts facts;
    cJSON *ctx = ticket_context(r, s, id, &facts);
    if (!ctx) {
        cJSON_Delete(fill);
        return;
    }
    if (fill) { /* the agent's facts replace whatever the context had */
        cJSON_DeleteItemFromObjectCaseSensitive(ctx, "fill");
        cJSON_AddItemToObject(ctx, "fill", fill);
    }
    suggestion *sg = bd_calloc(1, sizeof *sg);
    bd_err err;
    int rc = suggest_render(t, ctx, sg, &err);
    cJSON_Delete(ctx);
    if (rc) {
        suggestions_free(sg, 1);
        srv_fail(r, s, &err);
        return;
    }
    char base[16];
    snprintf(base, sizeof base, "%.*s", (int)strcspn(facts.language, "_-"), facts.language);
    bd_str_lower_ascii(base);
    sg->fallback = strcmp(t->lang, *base ? base : "en") != 0;
    cJSON *j = suggestion_json(sg);
    cJSON_DeleteItemFromObjectCaseSensitive(j, "score"); /* a preview is not ranked */
    suggestions_free(sg, 1);
    srv_reply_json(r, 200, j);
}
