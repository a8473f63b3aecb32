/* h_tickets.c — the ticket routes: the queue with filters and cursor pages, one ticket with
 * its order, messages, history and tags, and the changes (reply, note, assign, status,
 * tags), each an audited ticket.h call made as the request's user. */
#include "server_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- JSON ---- */

static cJSON *tags_json(bd_store *s, int64_t ticket_id, bd_err *err, int *failed)
{
    char **tags;
    size_t n;
    cJSON *arr = cJSON_CreateArray();
    if (store_ticket_tags(s, ticket_id, &tags, &n, err)) {
        *failed = 1;
        return arr;
    }
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(tags[i]));
    store_tags_free(tags, n);
    return arr;
}

/* ticket_json plus "tags"; NULL with err on a database error. */
static cJSON *ticket_obj(bd_store *s, const store_ticket *t, bd_err *err)
{
    int failed = 0;
    cJSON *j = ticket_json(t);
    cJSON_AddItemToObject(j, "tags", tags_json(s, t->id, err, &failed));
    if (failed) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* Loads the ticket of path parameter 0: 1 found, 0 after answering (404 or error). */
static int load_ticket(srv_request *r, bd_store *s, store_ticket *t, int64_t *id)
{
    memset(t, 0, sizeof *t);
    *id = srv_param_id(r, 0, "ticket");
    if (!*id) return 0;
    bd_err err;
    int found = store_ticket_get(s, *id, t, &err);
    if (found < 0)
        srv_fail(r, s, &err);
    else if (!found)
        srv_error(r, 404, "not_found", "no ticket %lld", (long long)*id);
    return found > 0;
}

/* Answers with the ticket (reloaded) as it is now. */
static void reply_ticket(srv_request *r, bd_store *s, int64_t id, int status)
{
    store_ticket t;
    bd_err err;
    int found = store_ticket_get(s, id, &t, &err);
    if (found <= 0) {
        if (found == 0) bd_err_set(&err, "database: ticket %lld vanished", (long long)id);
        srv_fail(r, s, &err);
        return;
    }
    cJSON *j = ticket_obj(s, &t, &err);
    store_ticket_clear(&t);
    if (!j)
        srv_fail(r, s, &err);
    else
        srv_reply_json(r, status, j);
}

/* ---- the queue ---- */

static int valid_text_param(srv_request *r, const char *key, const char **out)
{
    *out = srv_query(r, key);
    if (*out && (strlen(*out) > 200 || !bd_utf8_valid(*out, strlen(*out)))) {
        srv_error(r, 400, "invalid_parameter", "%s is too long or not UTF-8", key);
        return -1;
    }
    return 0;
}

/* The buyer filter (?buyer=ID, a borderdesk buyer id): 0 when absent; -1 after a 400. */
static int buyer_param(srv_request *r, int64_t *out)
{
    const char *v = srv_query(r, "buyer");
    *out = 0;
    if (!v) return 0;
    size_t n = strspn(v, "0123456789");
    if (n == 0 || n > 18 || v[n] || (*out = strtoll(v, NULL, 10)) <= 0) {
        srv_error(r, 400, "invalid_parameter", "buyer must be a buyer id (a positive number)");
        return -1;
    }
    return 0;
}

/* Reads the filters shared by /tickets and /buyers/{id}/tickets; -1 after a 400. */
static int ticket_query(srv_request *r, store_ticket_query *q, const char *default_status)
{
    memset(q, 0, sizeof *q);
    const char *status = srv_query(r, "status");
    if (!status) status = default_status;
    if (strcmp(status, "all") == 0)
        q->status = NULL;
    else if (strcmp(status, "active") == 0 || ticket_status_valid(status))
        q->status = status;
    else {
        srv_error(r, 400, "invalid_parameter",
                  "status must be new, open, pending, solved, closed, active or all");
        return -1;
    }
    if (valid_text_param(r, "shop", &q->shop) ||
        valid_text_param(r, "marketplace", &q->marketplace) ||
        valid_text_param(r, "category", &q->category) ||
        valid_text_param(r, "language", &q->language) ||
        valid_text_param(r, "assignee", &q->assignee) || valid_text_param(r, "tag", &q->tag) ||
        valid_text_param(r, "tier", &q->tier) || valid_text_param(r, "q", &q->search) ||
        buyer_param(r, &q->buyer_id))
        return -1;
    if (q->search && !*q->search) q->search = NULL;
    q->due = srv_query(r, "due");
    if (q->due &&
        !bd_str_in(q->due, (const char *const[]){"breached", "warning", "ok", "none", NULL})) {
        srv_error(r, 400, "invalid_parameter", "due must be breached, warning, ok or none");
        return -1;
    }
    const char *sort = srv_query(r, "sort");
    if (sort && strcmp(sort, "queue") != 0 && strcmp(sort, "due") != 0) {
        srv_error(r, 400, "invalid_parameter", "sort must be queue or due");
        return -1;
    }
    q->sort_due = sort && strcmp(sort, "due") == 0;
    if (srv_limit(r, &q->limit)) return -1;
    int c = srv_cursor(r, q->sort_due ? 'd' : 't', &q->after_key, &q->after_id);
    if (c < 0) return -1;
    q->has_after = c;
    return 0;
}

static void tickets_page(srv_request *r, store_ticket_query *q)
{
    bd_store *s = srv_store(r);
    if (!s) return;
    size_t want = q->limit;
    q->limit = want + 1; /* one more tells whether a next page exists */
    store_ticket *t;
    int64_t *keys;
    size_t n;
    bd_err err;
    if (store_tickets_page(s, q, &t, &keys, &n, &err)) {
        srv_fail(r, s, &err);
        return;
    }
    cJSON *items = cJSON_CreateArray();
    int failed = 0;
    for (size_t i = 0; i < n && i < want && !failed; i++) {
        cJSON *j = ticket_obj(s, &t[i], &err);
        if (!j)
            failed = 1;
        else
            cJSON_AddItemToArray(items, j);
    }
    char *next = n > want
                     ? srv_cursor_encode(q->sort_due ? 'd' : 't', keys[want - 1], t[want - 1].id)
                     : NULL;
    store_tickets_free(t, n);
    free(keys);
    if (failed) {
        cJSON_Delete(items);
        free(next);
        srv_fail(r, s, &err);
        return;
    }
    srv_reply_json(r, 200, srv_page(items, next));
}

void h_tickets_list(srv_request *r)
{
    store_ticket_query q;
    if (ticket_query(r, &q, "active")) return;
    tickets_page(r, &q);
}

void h_buyer_tickets(srv_request *r)
{
    store_ticket_query q;
    int64_t id = srv_param_id(r, 0, "buyer");
    if (!id || ticket_query(r, &q, "all")) return;
    bd_store *s = srv_store(r);
    if (!s) return;
    store_buyer_row b;
    bd_err err;
    int found = store_buyer_get(s, id, &b, &err);
    store_buyer_row_clear(&b);
    if (found < 0) {
        srv_fail(r, s, &err);
        return;
    }
    if (!found) {
        srv_error(r, 404, "not_found", "no buyer %lld", (long long)id);
        return;
    }
    q.buyer_id = id;
    tickets_page(r, &q);
}

/* ---- one ticket ---- */

void h_ticket_get(srv_request *r)
{
    bd_store *s = srv_store(r);
    if (!s) return;
    store_ticket t;
    int64_t id;
    if (!load_ticket(r, s, &t, &id)) return;
    bd_err err;
    store_order_row o;
    memset(&o, 0, sizeof o);
    int has_order = 0;
    if (t.order_id) {
        char ref[32];
        snprintf(ref, sizeof ref, "%lld", (long long)t.order_id);
        has_order = store_order_get(s, ref, &o, &err);
    }
    store_message_row *m = NULL;
    store_event *e = NULL;
    size_t nm = 0, ne = 0;
    cJSON *j = NULL;
    if (has_order >= 0 && !store_ticket_messages(s, id, &m, &nm, &err) &&
        !store_ticket_events(s, id, &e, &ne, &err) && (j = ticket_obj(s, &t, &err))) {
        cJSON_AddItemToObject(j, "order", has_order ? srv_order_json(&o) : cJSON_CreateNull());
        cJSON *ma = cJSON_AddArrayToObject(j, "messages");
        for (size_t i = 0; i < nm; i++)
            cJSON_AddItemToArray(ma, ticket_message_json(&m[i]));
        cJSON *ea = cJSON_AddArrayToObject(j, "events");
        for (size_t i = 0; i < ne; i++)
            cJSON_AddItemToArray(ea, ticket_event_json(&e[i]));
        srv_reply_json(r, 200, j);
    } else {
        srv_fail(r, s, &err);
    }
    store_order_row_clear(&o);
    store_message_rows_free(m, nm);
    store_events_free(e, ne);
    store_ticket_clear(&t);
}

void h_ticket_messages(srv_request *r)
{
    bd_store *s = srv_store(r);
    if (!s) return;
    store_ticket t;
    int64_t id;
    if (!load_ticket(r, s, &t, &id)) return;
    store_ticket_clear(&t);
    store_message_row *m;
    size_t n;
    bd_err err;
    if (store_ticket_messages(s, id, &m, &n, &err)) {
        srv_fail(r, s, &err);
        return;
    }
    cJSON *items = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(items, ticket_message_json(&m[i]));
    store_message_rows_free(m, n);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "items", items);
    srv_reply_json(r, 200, j);
}

/* ---- changes ---- */

struct change {
    int64_t id;
    const char *value;
    int64_t message_id;
    int note;
    int result;
};

static int do_text(srv_request *r, bd_store *s, void *arg, bd_err *err)
{
    struct change *c = arg;
    ticket_ctx ctx;
    srv_ticket_ctx(r, s, &ctx);
    int rc = c->note ? ticket_note(&ctx, c->id, c->value, r->user, &c->message_id, err)
                     : ticket_reply(&ctx, c->id, c->value, r->user, &c->message_id, err);
    ticket_ctx_clear(&ctx);
    return rc;
}

static void text_change(srv_request *r, int note)
{
    bd_store *s = srv_store(r);
    if (!s) return;
    store_ticket t;
    struct change c = {.note = note};
    if (!load_ticket(r, s, &t, &c.id)) return;
    store_ticket_clear(&t);
    cJSON *body = srv_body_object(r);
    if (!body || srv_body_str(r, body, "body", 1, &c.value)) return;
    if (!*c.value || strspn(c.value, " \t\r\n") == strlen(c.value)) {
        srv_error(r, 400, "invalid_field", "\"body\" is empty");
        return;
    }
    bd_err err;
    if (srv_write(r, s, do_text, &c, &err)) {
        if (!r->status) srv_error(r, 422, "unprocessable", "%s", err.msg);
        return;
    }
    store_message_row *m = bd_calloc(1, sizeof *m);
    int found = store_message_get(s, c.message_id, m, &err);
    if (found <= 0) {
        store_message_rows_free(m, 1);
        if (!found) bd_err_set(&err, "database: message %lld vanished", (long long)c.message_id);
        srv_fail(r, s, &err);
        return;
    }
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "message", ticket_message_json(m));
    store_message_rows_free(m, 1);
    store_ticket now;
    found = store_ticket_get(s, c.id, &now, &err);
    cJSON *tj = found > 0 ? ticket_obj(s, &now, &err) : NULL;
    if (found > 0) store_ticket_clear(&now);
    if (!tj) {
        cJSON_Delete(j);
        {
            srv_fail(r, s, &err);
            return;
        }
    }
    cJSON_AddItemToObject(j, "ticket", tj);
    srv_reply_json(r, 201, j);
}

void h_ticket_reply(srv_request *r)
{
    text_change(r, 0);
}

void h_ticket_note(srv_request *r)
{
    text_change(r, 1);
}

static int do_status(srv_request *r, bd_store *s, void *arg, bd_err *err)
{
    struct change *c = arg;
    ticket_ctx ctx;
    srv_ticket_ctx(r, s, &ctx);
    int rc = ticket_set_status(&ctx, c->id, c->value, err);
    ticket_ctx_clear(&ctx);
    return rc;
}

void h_ticket_status(srv_request *r)
{
    bd_store *s = srv_store(r);
    if (!s) return;
    store_ticket t;
    struct change c = {0};
    if (!load_ticket(r, s, &t, &c.id)) return;
    store_ticket_clear(&t);
    cJSON *body = srv_body_object(r);
    if (!body || srv_body_str(r, body, "status", 1, &c.value)) return;
    if (!ticket_status_valid(c.value)) {
        srv_error(r, 400, "invalid_field",
                  "\"status\" must be new, open, pending, solved or closed");
        return;
    }
    bd_err err;
    if (srv_write(r, s, do_status, &c, &err)) {
        if (!r->status)
            srv_error(r, strstr(err.msg, "is closed") ? 409 : 422,
                      strstr(err.msg, "is closed") ? "conflict" : "unprocessable", "%s", err.msg);
        return;
    }
    reply_ticket(r, s, c.id, 200);
}

/* An agent may take an unassigned ticket or give back their own; leads assign anyone.
 * Checked inside the write transaction, so two agents taking one ticket at once cannot
 * both win. */
static int do_assign(srv_request *r, bd_store *s, void *arg, bd_err *err)
{
    struct change *c = arg;
    if (r->role < AUTH_ROLE_LEAD) {
        store_ticket t;
        int found = store_ticket_get(s, c->id, &t, err);
        if (found <= 0) return found < 0 ? -1 : bd_err_set(err, "no ticket %lld", (long long)c->id);
        int self_service = (c->value && bd_streq(c->value, r->user) &&
                            (!t.assignee || bd_streq(t.assignee, r->user))) ||
                           (!c->value && bd_streq(t.assignee, r->user));
        store_ticket_clear(&t);
        if (!self_service) {
            c->result = 403;
            return bd_err_set(err, "an agent can only take an unassigned ticket or give back "
                                   "their own");
        }
    }
    ticket_ctx ctx;
    srv_ticket_ctx(r, s, &ctx);
    int rc = ticket_assign(&ctx, c->id, c->value, err);
    ticket_ctx_clear(&ctx);
    return rc;
}

void h_ticket_assign(srv_request *r)
{
    bd_store *s = srv_store(r);
    if (!s) return;
    store_ticket t;
    struct change c = {0};
    if (!load_ticket(r, s, &t, &c.id)) return;
    store_ticket_clear(&t);
    cJSON *body = srv_body_object(r);
    if (!body) return;
    if (!cJSON_HasObjectItem(body, "assignee")) {
        srv_error(r, 400, "missing_field", "\"assignee\" is required (a user or null)");
        return;
    }
    if (srv_body_str(r, body, "assignee", 0, &c.value)) return;
    bd_err err;
    if (srv_write(r, s, do_assign, &c, &err)) {
        if (r->status) return;
        if (c.result == 403)
            srv_error(r, 403, "forbidden", "%s", err.msg);
        else
            srv_error(r, 422, "unprocessable", "%s", err.msg);
        return;
    }
    reply_ticket(r, s, c.id, 200);
}

/* ---- tags ---- */

static int tag_valid(const char *tag)
{
    size_t n = strlen(tag);
    if (n == 0 || n > 40) return 0;
    for (const char *p = tag; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              (p > tag && (*p == '-' || *p == '_' || *p == '.' || *p == ':'))))
            return 0;
    return 1;
}

static int do_tag(srv_request *r, bd_store *s, void *arg, bd_err *err)
{
    struct change *c = arg;
    c->result = c->note ? store_tag_remove(s, c->id, c->value, err)
                        : store_tag_add(s, c->id, c->value, bd_now(), err);
    if (c->result < 0) return -1;
    if (c->result == 0) return 0;
    char *detail = bd_asprintf("{\"tag\":\"%s\"}", c->value); /* tag_valid: no quoting needed */
    int rc = store_event_add(s, c->id, r->user, c->note ? "tag_removed" : "tag_added", detail,
                             bd_now(), err);
    free(detail);
    return rc;
}

static void tag_change(srv_request *r, int remove)
{
    bd_store *s = srv_store(r);
    if (!s) return;
    store_ticket t;
    struct change c = {.note = remove};
    if (!load_ticket(r, s, &t, &c.id)) return;
    store_ticket_clear(&t);
    if (remove) {
        c.value = r->params[1];
    } else {
        cJSON *body = srv_body_object(r);
        if (!body || srv_body_str(r, body, "tag", 1, &c.value)) return;
    }
    if (!tag_valid(c.value)) {
        if (remove)
            srv_error(r, 404, "not_found", "ticket %lld has no such tag", (long long)c.id);
        else
            srv_error(r, 400, "invalid_field",
                      "a tag is 1-40 of a-z, 0-9 and (not first) '-', '_', '.', ':'");
        return;
    }
    bd_err err;
    if (srv_write(r, s, do_tag, &c, &err)) {
        if (!r->status) srv_fail(r, s, &err);
        return;
    }
    if (remove && c.result == 0) {
        srv_error(r, 404, "not_found", "ticket %lld has no tag \"%s\"", (long long)c.id, c.value);
        return;
    }
    int failed = 0;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddItemToObject(j, "tags", tags_json(s, c.id, &err, &failed));
    if (failed) {
        cJSON_Delete(j);
        {
            srv_fail(r, s, &err);
            return;
        }
    }
    srv_reply_json(r, 200, j);
}

void h_ticket_tag_add(srv_request *r)
{
    tag_change(r, 0);
}

void h_ticket_tag_remove(srv_request *r)
{
    tag_change(r, 1);
}
