/* refresh.c — keeping tickets.due_at / due_state current, and "no response needed". */
#include "borderdesk/sla.h"

#include <stdlib.h>
#include <string.h>

/* Computes ticket i of d as of now and stores its due time and state when they moved. */
static int refresh_one(bd_store *s, const sla_config *c, const sla_dataset *d, size_t i,
                       int64_t now, sla_result *r, size_t *changed, bd_err *err)
{
    sla_ticket_in in;
    sla_dataset_input(d, i, &in);
    sla_ticket_compute(c, &in, now, r);
    const sla_ticket_info *t = sla_dataset_ticket(d, i);
    const char *state = sla_state_name(r->state);
    if (t->due_at == r->due_at && bd_streq(t->due_state, state)) return 0;
    if (changed) (*changed)++;
    return store_ticket_set_due(s, t->id, r->due_at, state, err);
}

int sla_ticket_refresh(bd_store *s, const sla_config *c, int64_t ticket_id, int64_t now,
                       bd_err *err)
{
    sla_scope scope = {.ticket_id = ticket_id, .as_of = now + 1};
    sla_dataset *d;
    if (sla_dataset_load(s, c, &scope, &d, err)) return -1;
    sla_result r = {0};
    int rc = 0;
    for (size_t i = 0; !rc && i < sla_dataset_count(d); i++)
        rc = refresh_one(s, c, d, i, now, &r, NULL, err);
    sla_result_clear(&r);
    sla_dataset_free(d);
    return rc;
}

/* sla_tickets_refresh's walk: the ids to refresh and how far the chunks got. */
typedef struct ids_refresh {
    bd_store *s;
    const int64_t *ids;
    size_t n, next;
    int64_t now;
    sla_result r;
} ids_refresh;

static int refresh_ids_chunk(void *ud, int worker, const sla_config *c, const sla_dataset *d,
                             bd_err *err)
{
    (void)worker;
    ids_refresh *x = ud;
    for (size_t i = 0; i < sla_dataset_count(d); i++) {
        int64_t id = sla_dataset_ticket(d, i)->id;
        while (x->next < x->n && x->ids[x->next] < id) x->next++;
        if (x->next == x->n || x->ids[x->next] != id) continue; /* between two of ids */
        if (refresh_one(x->s, c, d, i, x->now, &x->r, NULL, err)) return -1;
    }
    return 0;
}

int sla_tickets_refresh(bd_store *s, const sla_config *c, const int64_t *ids, size_t n,
                        int64_t now, bd_err *err)
{
    if (n == 1) return sla_ticket_refresh(s, c, ids[0], now, err);
    ids_refresh x = {.s = s, .ids = ids, .n = n, .now = now};
    sla_scope scope = {.as_of = now + 1};
    int rc = sla_dataset_scan_ids(s, c, &scope, ids, n, refresh_ids_chunk, &x, err);
    sla_result_clear(&x.r);
    return rc;
}

void sla_new_ticket_due(const sla_config *c, const char *shop, const char *marketplace,
                        const store_ticket_new *n, const bd_message *m, int64_t now,
                        int64_t *due_at, const char **state)
{
    /* the ticket as sla_dataset_load reads it: messages sent before now + 1 only */
    sla_msg msg = {.id = 1, .at = m->sent_at, .author = -1};
    if (m->direction == BD_DIR_OUT) {
        msg.flags = SLA_MSG_OUT;
        if (sla_is_auto_ack(c, m->author, m->body)) msg.flags |= SLA_MSG_AUTO;
    }
    sla_ticket_in in = {.created_at = n->created_at,
                        .priority = n->priority,
                        .category = n->category,
                        .subcategory = n->subcategory,
                        .msgs = &msg,
                        .n_msgs = m->sent_at < now + 1,
                        .team = sla_shop_team(c, shop),
                        .calendar = sla_shop_calendar(c, shop),
                        .deadline = sla_marketplace_deadline(c, marketplace)};
    sla_result r = {0};
    sla_ticket_compute(c, &in, now, &r);
    *due_at = r.due_at;
    *state = sla_state_name(r.state);
    sla_result_clear(&r);
}

/* A ticket whose due time or state moved. */
typedef struct due_change {
    int64_t id, due_at;
    const char *state; /* sla_state_name's */
} due_change;

/* What one worker found; the calling thread writes it once the scan is over (the store
 * connection is not shared between threads). */
typedef struct refresh_part {
    size_t tickets;
    due_change *changes;
    size_t n, cap;
    sla_result r;
} refresh_part;

typedef struct refresh_ctx {
    int64_t now;
    refresh_part part[SLA_SCAN_WORKERS];
} refresh_ctx;

static int refresh_chunk(void *ud, int worker, const sla_config *c, const sla_dataset *d,
                         bd_err *err)
{
    (void)err;
    refresh_ctx *x = ud;
    refresh_part *p = &x->part[worker];
    size_t n = sla_dataset_count(d);
    for (size_t i = 0; i < n; i++) {
        sla_ticket_in in;
        sla_dataset_input(d, i, &in);
        sla_ticket_compute(c, &in, x->now, &p->r);
        const sla_ticket_info *t = sla_dataset_ticket(d, i);
        const char *state = sla_state_name(p->r.state);
        if (t->due_at == p->r.due_at && bd_streq(t->due_state, state)) continue;
        if (p->n == p->cap)
            p->changes = bd_realloc(p->changes, (p->cap = p->cap ? p->cap * 2 : 256) *
                                                    sizeof *p->changes);
        p->changes[p->n++] = (due_change){t->id, p->r.due_at, state};
    }
    p->tickets += n;
    return 0;
}

int sla_refresh_all(bd_store *s, const sla_config *c, int64_t now, size_t *tickets,
                    size_t *changed, bd_err *err)
{
    *tickets = *changed = 0;
    sla_scope scope = {.as_of = now + 1};
    if (store_begin(s, err)) return -1;
    refresh_ctx x = {.now = now};
    int rc = sla_dataset_scan(s, c, &scope, refresh_chunk, &x, err);
    for (int w = 0; w < SLA_SCAN_WORKERS; w++) {
        refresh_part *p = &x.part[w];
        for (size_t i = 0; !rc && i < p->n; i++)
            rc = store_ticket_set_due(s, p->changes[i].id, p->changes[i].due_at,
                                      p->changes[i].state, err);
        *changed += p->n;
        *tickets += p->tickets;
        free(p->changes);
        sla_result_clear(&p->r);
    }
    if (!rc) rc = store_commit(s, err);
    if (rc) store_rollback(s);
    return rc;
}

/* 1 when the last no_response_needed / response_needed event of the message marks it. */
static int currently_excluded(const store_event *e, size_t n, int64_t message_id)
{
    int excluded = 0;
    for (size_t i = 0; i < n; i++) {
        int on = bd_streq(e[i].kind, "no_response_needed");
        if (!on && !bd_streq(e[i].kind, "response_needed")) continue;
        cJSON *d = e[i].detail ? cJSON_Parse(e[i].detail) : NULL;
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(d, "message_id");
        if (cJSON_IsNumber(id) && (int64_t)id->valuedouble == message_id) excluded = on;
        cJSON_Delete(d);
    }
    return excluded;
}

int sla_no_response(bd_store *s, const sla_config *c, int64_t ticket_id, int64_t message_id,
                    const char *actor, const char *reason, int undo, int64_t now, bd_err *err)
{
    if (!undo && (!reason || !*reason))
        return bd_err_set(err, "say why no response is needed (--reason)");
    store_message_row *m;
    size_t nm;
    if (store_ticket_messages(s, ticket_id, &m, &nm, err)) return -1;
    const store_message_row *msg = NULL;
    for (size_t i = 0; i < nm; i++)
        if (m[i].id == message_id) msg = &m[i];
    int rc = 0;
    if (!nm) rc = bd_err_set(err, "no ticket %lld (or it has no messages)", (long long)ticket_id);
    else if (!msg)
        rc = bd_err_set(err, "message %lld is not part of ticket %lld", (long long)message_id,
                        (long long)ticket_id);
    else if (msg->direction != BD_DIR_IN || bd_streq(msg->kind, "note"))
        rc = bd_err_set(err, "message %lld is not a buyer message", (long long)message_id);
    store_message_rows_free(m, nm);
    if (rc) return -1;
    store_event *e;
    size_t ne;
    if (store_ticket_events(s, ticket_id, &e, &ne, err)) return -1;
    int excluded = currently_excluded(e, ne, message_id);
    store_events_free(e, ne);
    if (!undo && excluded)
        return bd_err_set(err, "message %lld is already marked \"no response needed\"",
                          (long long)message_id);
    if (undo && !excluded)
        return bd_err_set(err, "message %lld is not marked \"no response needed\"",
                          (long long)message_id);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddNumberToObject(d, "message_id", (double)message_id);
    if (reason && *reason) cJSON_AddStringToObject(d, "reason", reason);
    char *detail = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    rc = store_event_add(s, ticket_id, actor, undo ? "response_needed" : "no_response_needed",
                         detail, now, err);
    cJSON_free(detail);
    if (rc) return -1;
    return sla_ticket_refresh(s, c, ticket_id, now, err);
}
