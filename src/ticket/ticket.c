/* ticket.c — threading messages into tickets and every change to a ticket, audited. */
#include "borderdesk/ticket.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

struct ticket_shop_cache {
    size_t n, cap;
    struct {
        char *name, *marketplace;
        int64_t id;
    } * e;
};

struct ticket_changes {
    int64_t *ids;
    size_t n, cap;
};

static const char *const statuses[] = {"new", "open", "pending", "solved", "closed", NULL};

int ticket_status_valid(const char *status)
{
    return bd_str_in(status, statuses);
}

const char *ticket_priority_name(int p)
{
    static const char *const names[] = {"low", "normal", "high", "urgent"};
    return p >= 0 && p <= 3 ? names[p] : "normal";
}

int ticket_priority_combine(int urgency, int tier_boost)
{
    int p = urgency + tier_boost;
    if (p < TICKET_PRIORITY_LOW) p = TICKET_PRIORITY_LOW;
    if (p > TICKET_PRIORITY_URGENT) p = TICKET_PRIORITY_URGENT;
    return p;
}

void ticket_ctx_clear(ticket_ctx *ctx)
{
    ticket_ctx_discard(ctx);
    if (ctx->changes) {
        free(ctx->changes->ids);
        free(ctx->changes);
        ctx->changes = NULL;
    }
    if (!ctx->shops) return;
    for (size_t i = 0; i < ctx->shops->n; i++) {
        free(ctx->shops->e[i].name);
        free(ctx->shops->e[i].marketplace);
    }
    free(ctx->shops->e);
    free(ctx->shops);
    ctx->shops = NULL;
}

void ticket_ctx_discard(ticket_ctx *ctx)
{
    if (ctx->changes) ctx->changes->n = 0;
}

static int id_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int ticket_ctx_flush(ticket_ctx *ctx, bd_err *err)
{
    ticket_changes *c = ctx->changes;
    if (!c || !c->n) return 0;
    qsort(c->ids, c->n, sizeof *c->ids, id_cmp);
    size_t n = 1;
    for (size_t i = 1; i < c->n; i++)
        if (c->ids[i] != c->ids[n - 1]) c->ids[n++] = c->ids[i];
    c->n = 0;
    if (ctx->on_changes) return ctx->on_changes(ctx->on_change_ud, c->ids, n, err) ? -1 : 0;
    for (size_t i = 0; i < n; i++)
        if (ctx->on_change(ctx->on_change_ud, c->ids[i], err)) return -1;
    return 0;
}

/* Shop ids are looked up once per run: imports touch a handful of shops. The key is name
 * AND marketplace, so a known name under another marketplace still reaches
 * store_shop_ensure, which refuses it. */
static int shop_id(ticket_ctx *ctx, const char *name, const char *marketplace, int64_t *id,
                   bd_err *err)
{
    if (!ctx->shops) ctx->shops = bd_calloc(1, sizeof *ctx->shops);
    ticket_shop_cache *c = ctx->shops;
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->e[i].name, name) == 0 && bd_streq(c->e[i].marketplace, marketplace)) {
            *id = c->e[i].id;
            return 0;
        }
    if (store_shop_ensure(ctx->store, name, marketplace, id, err)) return -1;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->e = bd_realloc(c->e, c->cap * sizeof *c->e);
    }
    c->e[c->n].name = bd_strdup(name);
    c->e[c->n].marketplace = bd_strdup(marketplace);
    c->e[c->n++].id = *id;
    return 0;
}

static void put_member(bd_buf *b, const char *k, const char *v)
{
    bd_buf_put_json_str(b, k);
    bd_buf_putc(b, ':');
    if (v)
        bd_buf_put_json_str(b, v);
    else
        bd_buf_puts(b, "null");
}

/* The detail of an event, {"k1": v1, "k2": v2} in compact JSON (NULL values as null);
 * written directly: an event per new ticket made this a tenth of an import's writes. */
static void detail(bd_buf *b, const char *k1, const char *v1, const char *k2, const char *v2)
{
    bd_buf_reset(b);
    bd_buf_putc(b, '{');
    put_member(b, k1, v1);
    if (k2) {
        bd_buf_putc(b, ',');
        put_member(b, k2, v2);
    }
    bd_buf_putc(b, '}');
}

static int changed(ticket_ctx *ctx, int64_t ticket_id, bd_err *err)
{
    if (!ctx->on_change) return 0;
    if (!ctx->defer_changes) return ctx->on_change(ctx->on_change_ud, ticket_id, err);
    if (!ctx->changes) ctx->changes = bd_calloc(1, sizeof *ctx->changes);
    ticket_changes *c = ctx->changes;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 1024;
        c->ids = bd_realloc(c->ids, c->cap * sizeof *c->ids);
    }
    c->ids[c->n++] = ticket_id;
    return 0;
}

static int event(ticket_ctx *ctx, int64_t ticket_id, const char *kind, const char *k1,
                 const char *v1, const char *k2, const char *v2, int64_t at, bd_err *err)
{
    bd_buf d = BD_BUF_INIT;
    if (k1) detail(&d, k1, v1, k2, v2);
    int rc = store_event_add(ctx->store, ticket_id, ctx->actor, kind, k1 ? d.data : NULL, at, err);
    bd_buf_free(&d);
    return rc;
}

/* Joins the message to the newest ticket of its thread when the rules say so (reopening or
 * reviving it as they say): returns 1 with res->ticket_id set. Returns 0 when the message
 * opens a new ticket, linked to *link when that is not 0. -1 on error. */
static int thread_join(ticket_ctx *ctx, const bd_message *m, int64_t sid, int64_t buyer_id,
                       ticket_ingest_result *res, int64_t *link, bd_err *err)
{
    store_thread_head t;
    *link = 0;
    int found = store_ticket_find_thread(ctx->store, sid, buyer_id, m->order_id, m->conversation_id,
                                         &t, err);
    if (found <= 0) return found;
    int active = bd_str_in(t.status, (const char *const[]){"new", "open", "pending", NULL});
    int solved = strcmp(t.status, "solved") == 0;
    int rc = 0;
    if (m->direction == BD_DIR_OUT || active || (solved && m->sent_at <= t.solved_at)) {
        res->ticket_id = t.id;
        if (m->direction == BD_DIR_IN && strcmp(t.status, "pending") == 0)
            rc = store_ticket_set_status(ctx->store, t.id, "open", m->sent_at, err) ||
                 event(ctx, t.id, "status_changed", "from", "pending", "to", "open", m->sent_at,
                       err);
        else if (m->direction == BD_DIR_OUT && strcmp(t.status, "new") == 0)
            rc = store_ticket_set_status(ctx->store, t.id, "open", m->sent_at, err) ||
                 event(ctx, t.id, "status_changed", "from", "new", "to", "open", m->sent_at, err);
        return rc ? -1 : 1;
    }
    if (solved && m->sent_at - t.solved_at <= ctx->reopen_window) {
        res->ticket_id = t.id;
        res->reopened = 1;
        rc = store_ticket_set_status(ctx->store, t.id, "open", m->sent_at, err) ||
             event(ctx, t.id, "reopened", "from", "solved", "reason", "buyer wrote again",
                   m->sent_at, err);
        return rc ? -1 : 1;
    }
    *link = t.id;
    return 0;
}

/* Opens the ticket a message starts, with the request of that message (cl, NULL when it
 * does not classify the ticket) and its queue priority already in the row. */
static int create_ticket(ticket_ctx *ctx, const bd_message *m, int64_t sid, int64_t buyer_id,
                         int64_t link, const ticket_classification *cl, int boost,
                         ticket_ingest_result *res, bd_err *err)
{
    int64_t order_id = 0;
    if (m->order_id && store_order_lookup(ctx->store, sid, m->order_id, &order_id, err) < 0)
        return -1;
    /* Chat messages have no subject: the start of the first message stands in for it. */
    char *subject = m->subject && *m->subject ? NULL : bd_utf8_truncate(m->body, 80);
    if (subject)
        for (char *p = subject; *p; p++)
            if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
    store_ticket_new n = {
        .shop_id = sid,
        .buyer_id = buyer_id,
        .order_id = order_id,
        .order_external_id = m->order_id,
        .conversation_id = m->order_id ? NULL : m->conversation_id,
        .subject = subject ? subject : m->subject,
        .status = m->direction == BD_DIR_OUT ? "open" : "new",
        .created_at = m->sent_at,
        .linked_ticket_id = link,
        .direction = m->direction,
        .category = cl ? cl->category : NULL,
        .subcategory = cl ? cl->subcategory : NULL,
        .language = cl ? cl->language : NULL,
        .priority = ticket_priority_combine(cl ? cl->priority : TICKET_PRIORITY_NORMAL, boost),
        .urgency = cl ? cl->priority : -1};
    if (ctx->new_ticket_due) ctx->new_ticket_due(ctx->on_change_ud, &n, m, &n.due_at, &n.due_state);
    int rc = store_ticket_create(ctx->store, &n, &res->ticket_id, err);
    free(subject);
    if (rc) return -1;
    res->created = 1;
    char linkbuf[32];
    snprintf(linkbuf, sizeof linkbuf, "%lld", (long long)link);
    return event(ctx, res->ticket_id, "created", "status", n.status, link ? "linked_ticket" : NULL,
                 linkbuf, m->sent_at, err);
}

int ticket_ingest_message(ticket_ctx *ctx, const bd_message *m, ticket_ingest_result *res,
                          bd_err *err)
{
    memset(res, 0, sizeof *res);
    int64_t sid, buyer_id, link;
    if (shop_id(ctx, m->shop, m->marketplace, &sid, err)) return -1;
    int dup = store_message_exists(ctx->store, sid, m->external_id, err);
    if (dup < 0) return -1;
    if (dup) {
        res->duplicate = 1;
        return 0;
    }
    if (store_buyer_upsert(ctx->store, sid, &m->buyer, &buyer_id, err)) return -1;
    int joined = thread_join(ctx, m, sid, buyer_id, res, &link, err);
    if (joined < 0) return -1;

    /* Classified before a new ticket is written, so that the ticket is written once; a new
     * ticket has nothing waiting on it (ticket id 0 for the hook). */
    ticket_classification cl = {0};
    int classified =
        m->direction == BD_DIR_IN && ctx->classify &&
        ctx->classify(ctx->classify_ud, ctx->store, m, joined ? res->ticket_id : 0, &cl) == 0;
    /* A classification that concerns only the message leaves the ticket's alone. */
    int classifies = classified && !cl.message_only;
    /* The queue priority: the message's urgency combined with the buyer's tier. */
    int boost = 0;
    if ((classifies || !joined) && store_buyer_tier(ctx->store, buyer_id, &boost, NULL, 0, err))
        return -1;
    if (!joined &&
        create_ticket(ctx, m, sid, buyer_id, link, classifies ? &cl : NULL, boost, res, err))
        return -1;
    store_message sm = {.shop_id = sid,
                        .external_id = m->external_id,
                        .ticket_id = res->ticket_id,
                        .buyer_id = buyer_id,
                        .direction = m->direction,
                        .author = m->author,
                        .subject = m->subject,
                        .body = m->body,
                        .sent_at = m->sent_at,
                        .order_external_id = m->order_id,
                        .conversation_id = m->conversation_id,
                        .language = classified ? cl.language : NULL,
                        .category = classified ? cl.category : NULL,
                        .subcategory = classified ? cl.subcategory : NULL,
                        .classification = classified ? cl.json : NULL,
                        .extra = m->extra};
    if (store_message_insert(ctx->store, &sm, &res->message_id, err)) return -1;
    if (joined) {
        if (store_ticket_touch_classify(ctx->store, res->ticket_id, m->direction, m->sent_at,
                                        m->subject, classifies, cl.category, cl.subcategory,
                                        cl.language, cl.priority,
                                        ticket_priority_combine(cl.priority, boost), err))
            return -1;
    }
    /* A dispute (refund, chargeback...) counts toward the buyer's suspicion flags. */
    if (classifies && bd_streq(cl.category, "dispute") &&
        store_loyalty_mark_dirty(ctx->store, buyer_id, err))
        return -1;
    return changed(ctx, res->ticket_id, err);
}

int ticket_ingest_order(ticket_ctx *ctx, const bd_order *o, int *result, bd_err *err)
{
    int64_t sid, buyer_id, order_id;
    if (shop_id(ctx, o->shop, o->marketplace, &sid, err)) return -1;
    if (store_buyer_upsert(ctx->store, sid, &o->buyer, &buyer_id, err)) return -1;
    if (store_order_upsert(ctx->store, sid, buyer_id, o, &order_id, result, err)) return -1;
    if (*result == STORE_INSERTED &&
        store_tickets_link_order(ctx->store, sid, o->external_id, order_id, err))
        return -1;
    if (*result != STORE_UNCHANGED && store_loyalty_mark_dirty(ctx->store, buyer_id, err))
        return -1;
    return 0;
}

static int load(ticket_ctx *ctx, int64_t id, store_ticket *t, bd_err *err)
{
    int rc = store_ticket_get(ctx->store, id, t, err);
    if (rc < 0) return -1;
    if (rc == 0) return bd_err_set(err, "no ticket %lld", (long long)id);
    return 0;
}

int ticket_set_status(ticket_ctx *ctx, int64_t id, const char *status, bd_err *err)
{
    if (!ticket_status_valid(status))
        return bd_err_set(err, "unknown status \"%s\" (new, open, pending, solved, closed)",
                          status);
    store_ticket t;
    if (load(ctx, id, &t, err)) return -1;
    int rc = 0;
    if (strcmp(t.status, status) == 0) {
        /* nothing to change */
    } else if (strcmp(t.status, "closed") == 0) {
        rc = bd_err_set(err, "ticket %lld is closed; a new buyer message opens a new ticket",
                        (long long)id);
    } else {
        int64_t now = bd_now();
        rc = store_ticket_set_status(ctx->store, id, status, now, err) ||
                     event(ctx, id, "status_changed", "from", t.status, "to", status, now, err) ||
                     changed(ctx, id, err)
                 ? -1
                 : 0;
        if (!rc && strcmp(status, "solved") == 0 && ctx->on_solved)
            rc = ctx->on_solved(ctx->on_solved_ud, ctx, &t, now, err);
    }
    store_ticket_clear(&t);
    return rc;
}

int ticket_assign(ticket_ctx *ctx, int64_t id, const char *user, bd_err *err)
{
    if (user && !*user) user = NULL;
    if (user) {
        store_user u;
        int found = store_user_get(ctx->store, user, &u, err);
        if (found < 0) return -1;
        int disabled = found && u.disabled;
        store_user_clear(&u);
        if (!found)
            return bd_err_set(err, "no user \"%s\" (add one with `borderdesk user add`)", user);
        if (disabled) return bd_err_set(err, "user \"%s\" is disabled", user);
    }
    store_ticket t;
    if (load(ctx, id, &t, err)) return -1;
    int rc = 0;
    if (!bd_streq(t.assignee, user)) {
        int64_t now = bd_now();
        rc = store_ticket_set_assignee(ctx->store, id, user, now, err) ||
                     event(ctx, id, "assigned", "from", t.assignee, "to", user, now, err) ||
                     changed(ctx, id, err)
                 ? -1
                 : 0;
    }
    store_ticket_clear(&t);
    return rc;
}

static int add_message(ticket_ctx *ctx, int64_t id, const char *kind, const char *body,
                       const char *author, int64_t *message_id, bd_err *err)
{
    if (!body || !*body)
        return bd_err_set(err, "the %s is empty", strcmp(kind, "note") ? "reply" : "note");
    if (!bd_utf8_valid(body, strlen(body))) return bd_err_set(err, "the text is not valid UTF-8");
    store_ticket t;
    if (load(ctx, id, &t, err)) return -1;
    int64_t now = bd_now();
    store_message sm = {.shop_id = t.shop_id,
                        .ticket_id = id,
                        .buyer_id = t.buyer_id,
                        .direction = BD_DIR_OUT,
                        .kind = kind,
                        .author = author,
                        .body = body,
                        .sent_at = now,
                        .order_external_id = t.order_external_id,
                        .conversation_id = t.conversation_id};
    int rc = store_message_insert(ctx->store, &sm, message_id, err);
    if (!rc && strcmp(kind, "public") == 0) {
        int64_t outbox_id;
        rc = store_outbox_add(ctx->store, id, *message_id, t.marketplace, now, &outbox_id, err) ||
             store_ticket_touch(ctx->store, id, BD_DIR_OUT, now, NULL, err);
        if (!rc && strcmp(t.status, "new") == 0)
            rc = store_ticket_set_status(ctx->store, id, "open", now, err) ||
                 event(ctx, id, "status_changed", "from", "new", "to", "open", now, err);
    }
    if (!rc) {
        char mid[32];
        snprintf(mid, sizeof mid, "%lld", (long long)*message_id);
        rc = event(ctx, id, strcmp(kind, "note") == 0 ? "note_added" : "reply_queued", "message_id",
                   mid, NULL, NULL, now, err) ||
             changed(ctx, id, err);
    }
    store_ticket_clear(&t);
    return rc ? -1 : 0;
}

int ticket_reply(ticket_ctx *ctx, int64_t id, const char *body, const char *author,
                 int64_t *message_id, bd_err *err)
{
    return add_message(ctx, id, "public", body, author, message_id, err);
}

int ticket_note(ticket_ctx *ctx, int64_t id, const char *body, const char *author,
                int64_t *message_id, bd_err *err)
{
    return add_message(ctx, id, "note", body, author, message_id, err);
}
