/* h_admin.c — the service itself: health, the OpenAPI document, the scheduler's task
 * table, and user and token administration (each change audited with the admin's name). */
#include "server_internal.h"

#include <stdlib.h>
#include <string.h>

void h_health(srv_request *r)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "status", atomic_load(&r->srv->stopping) ? "stopping" : "ok");
    cJSON_AddNumberToObject(j, "schema_version", store_schema_latest());
    srv_reply_json(r, 200, j);
}

void h_openapi(srv_request *r)
{
    size_t len;
    bd_err err;
    char *doc = bd_read_file(r->srv->opt.openapi_path, 4u << 20, &len, &err);
    if (!doc) {
        srv_error(r, 500, "internal", "the OpenAPI document is missing from this installation");
        return;
    }
    srv_reply_raw(r, 200, "application/json; charset=utf-8", doc, len);
}

/* ---- scheduler ---- */

void h_scheduler_get(srv_request *r)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "tasks", srv_scheduler_json(r->srv->sched));
    srv_reply_json(r, 200, j);
}

void h_scheduler_run(srv_request *r)
{
    const char *name = r->params[0];
    if (!srv_scheduler_run_now(r->srv->sched, name)) {
        srv_error(r, 404, "not_found", "no scheduled task \"%s\"", name);
        return;
    }
    bd_store *s = srv_store(r);
    if (!s) return;
    bd_err err;
    /* not a change of data, but who pushed the button is worth keeping */
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "task", name);
    char *detail = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    store_event_add(s, 0, r->user, "task_run_requested", detail, bd_now(), &err);
    cJSON_free(detail);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "task", name);
    cJSON_AddBoolToObject(j, "queued", 1);
    srv_reply_json(r, 202, j);
}

/* ---- users ---- */

static cJSON *user_json(const store_user *u)
{
    cJSON *j = cJSON_CreateObject();
    json_add_str(j, "name", u->name);
    json_add_str(j, "display_name", u->display_name);
    json_add_str(j, "role", u->role);
    cJSON_AddBoolToObject(j, "disabled", u->disabled);
    json_add_time(j, "created_at", u->created_at);
    return j;
}

static void reply_user(srv_request *r, bd_store *s, const char *name, int status)
{
    store_user u;
    bd_err err;
    int found = store_user_get(s, name, &u, &err);
    if (found < 0)
        srv_fail(r, s, &err);
    else if (!found)
        srv_error(r, 404, "not_found", "no user \"%s\"", name);
    else
        srv_reply_json(r, status, user_json(&u));
    store_user_clear(&u);
}

void h_users_list(srv_request *r)
{
    bd_store *s = srv_store(r);
    if (!s) return;
    store_user *u;
    size_t n;
    bd_err err;
    if (store_users_list(s, &u, &n, &err)) {
        srv_fail(r, s, &err);
        return;
    }
    cJSON *items = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(items, user_json(&u[i]));
    store_users_free(u, n);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "items", items);
    srv_reply_json(r, 200, j);
}

void h_user_get(srv_request *r)
{
    bd_store *s = srv_store(r);
    if (s) reply_user(r, s, r->params[0], 200);
}

struct user_edit {
    const char *name, *role, *display, *password;
    int disabled; /* -1 unchanged */
    int exists;
};

static int do_user_create(srv_request *r, bd_store *s, void *arg, bd_err *err)
{
    struct user_edit *e = arg;
    store_user u;
    int found = store_user_get(s, e->name, &u, err);
    store_user_clear(&u);
    if (found) {
        e->exists = found > 0;
        return found < 0 ? -1 : bd_err_set(err, "user \"%s\" already exists", e->name);
    }
    return auth_user_add(s, r->user, e->name, e->display, e->role, e->password, err);
}

void h_user_create(srv_request *r)
{
    cJSON *body = srv_body_object(r);
    struct user_edit e = {.role = "agent"};
    if (!body || srv_body_str(r, body, "name", 1, &e.name) ||
        srv_body_str(r, body, "role", 0, &e.role) ||
        srv_body_str(r, body, "display_name", 0, &e.display) ||
        srv_body_str(r, body, "password", 0, &e.password))
        return;
    if (!e.role) e.role = "agent";
    bd_err err;
    if (!auth_user_name_valid(e.name)) {
        srv_error(r, 400, "invalid_field", "\"name\" is 1-64 of a-z, 0-9, '.', '_' and '-'");
        return;
    }
    if (!auth_role_parse(e.role)) {
        srv_error(r, 400, "invalid_field", "\"role\" must be agent, lead or admin");
        return;
    }
    if (e.password && auth_password_check(e.password, &err)) {
        srv_error(r, 400, "invalid_field", "%s", err.msg);
        return;
    }
    bd_store *s = srv_store(r);
    if (!s) return;
    if (srv_write(r, s, do_user_create, &e, &err)) {
        if (!r->status)
            srv_error(r, e.exists ? 409 : 422, e.exists ? "conflict" : "unprocessable", "%s",
                      err.msg);
        return;
    }
    reply_user(r, s, e.name, 201);
}

static int do_user_update(srv_request *r, bd_store *s, void *arg, bd_err *err)
{
    struct user_edit *e = arg;
    store_user u;
    int found = store_user_get(s, e->name, &u, err);
    store_user_clear(&u);
    if (found <= 0) return found < 0 ? -1 : bd_err_set(err, "no user \"%s\"", e->name);
    e->exists = 1;
    if (e->role && auth_user_set_role(s, r->user, e->name, e->role, err)) return -1;
    if (e->disabled >= 0 && auth_user_set_disabled(s, r->user, e->name, e->disabled, err))
        return -1;
    if (e->password && auth_user_set_password(s, r->user, e->name, e->password, err)) return -1;
    return 0;
}

void h_user_update(srv_request *r)
{
    cJSON *body = srv_body_object(r);
    struct user_edit e = {.name = r->params[0], .disabled = -1};
    if (!body || srv_body_str(r, body, "role", 0, &e.role) ||
        srv_body_str(r, body, "password", 0, &e.password))
        return;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(body, "disabled");
    if (d && !cJSON_IsBool(d)) {
        srv_error(r, 400, "invalid_field", "\"disabled\" must be true or false");
        return;
    }
    if (d) e.disabled = cJSON_IsTrue(d);
    bd_err err;
    if (e.role && !auth_role_parse(e.role)) {
        srv_error(r, 400, "invalid_field", "\"role\" must be agent, lead or admin");
        return;
    }
    if (e.password && auth_password_check(e.password, &err)) {
        srv_error(r, 400, "invalid_field", "%s", err.msg);
        return;
    }
    if (bd_streq(e.name, r->user) && (e.disabled == 1 || (e.role && strcmp(e.role, "admin"))))
        return srv_error(r, 409, "conflict",
                         "an admin cannot disable or demote themselves; ask another admin");
    bd_store *s = srv_store(r);
    if (!s) return;
    if (srv_write(r, s, do_user_update, &e, &err)) {
        if (!r->status)
            srv_error(r, e.exists ? 422 : 404, e.exists ? "unprocessable" : "not_found", "%s",
                      err.msg);
        return;
    }
    reply_user(r, s, e.name, 200);
}

/* ---- tokens ---- */

static cJSON *token_json(const store_token *t)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)t->id);
    json_add_str(j, "user", t->user_name);
    json_add_str(j, "scope", t->scope);
    json_add_str(j, "label", t->label);
    json_add_str(j, "prefix", t->prefix);
    json_add_time(j, "created_at", t->created_at);
    json_add_time(j, "last_used_at", t->last_used_at);
    json_add_time(j, "revoked_at", t->revoked_at);
    return j;
}

void h_tokens_list(srv_request *r)
{
    const char *user = srv_query(r, "user");
    bd_store *s = srv_store(r);
    if (!s) return;
    store_token *t;
    size_t n;
    bd_err err;
    if (store_tokens_list(s, user, &t, &n, &err)) {
        srv_fail(r, s, &err);
        return;
    }
    cJSON *items = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(items, token_json(&t[i]));
    store_tokens_free(t, n);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "items", items);
    srv_reply_json(r, 200, j);
}

struct token_edit {
    const char *user, *scope, *label;
    char *secret;
    int64_t id;
    int result;
};

static int do_token_create(srv_request *r, bd_store *s, void *arg, bd_err *err)
{
    struct token_edit *e = arg;
    return auth_token_create(s, r->user, e->user, e->scope, e->label, &e->secret, &e->id, err);
}

void h_token_create(srv_request *r)
{
    cJSON *body = srv_body_object(r);
    struct token_edit e = {0};
    if (!body || srv_body_str(r, body, "user", 1, &e.user) ||
        srv_body_str(r, body, "scope", 1, &e.scope) || srv_body_str(r, body, "label", 0, &e.label))
        return;
    if (!auth_scope_grants(e.scope)) {
        srv_error(r, 400, "invalid_field", "\"scope\" must be read, write, sync or admin");
        return;
    }
    bd_store *s = srv_store(r);
    if (!s) return;
    bd_err err;
    if (srv_write(r, s, do_token_create, &e, &err)) {
        if (!r->status) srv_error(r, 422, "unprocessable", "%s", err.msg);
        return;
    }
    store_token t;
    int found = store_token_get(s, e.id, &t, &err);
    if (found <= 0) {
        free(e.secret);
        if (!found) bd_err_set(&err, "database: token vanished");
        {
            srv_fail(r, s, &err);
            return;
        }
    }
    cJSON *j = token_json(&t);
    cJSON_AddStringToObject(j, "token", e.secret);
    free(e.secret);
    store_token_clear(&t);
    srv_reply_json(r, 201, j);
}

static int do_token_revoke(srv_request *r, bd_store *s, void *arg, bd_err *err)
{
    struct token_edit *e = arg;
    e->result = auth_token_revoke(s, r->user, e->id, err);
    return e->result < 0 ? -1 : 0;
}

void h_token_revoke(srv_request *r)
{
    struct token_edit e = {.id = srv_param_id(r, 0, "token")};
    if (!e.id) return;
    bd_store *s = srv_store(r);
    if (!s) return;
    bd_err err;
    if (srv_write(r, s, do_token_revoke, &e, &err)) {
        if (!r->status) srv_fail(r, s, &err);
        return;
    }
    if (!e.result) {
        srv_error(r, 404, "not_found", "no active token %lld", (long long)e.id);
        return;
    }
    srv_reply_empty(r, 204);
}
