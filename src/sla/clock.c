/* clock.c — one ticket's clocks from its messages and status changes (see sla.h). */
#include "borderdesk/sla.h"

#include <stdlib.h>
#include <string.h>

void sla_result_clear(sla_result *r)
{
    if (!r) return;
    free(r->m);
    free(r->contacts);
    memset(r, 0, sizeof *r);
}

static sla_measure *push_measure(sla_result *r)
{
    if (r->n == r->cap) r->m = bd_realloc(r->m, (r->cap = r->cap ? r->cap * 2 : 8) * sizeof *r->m);
    sla_measure *m = &r->m[r->n++];
    memset(m, 0, sizeof *m);
    m->author = -1;
    m->target = m->deadline = -1;
    return m;
}

static void push_contact(sla_result *r, int64_t at)
{
    if (r->n_contacts == r->cap_contacts)
        r->contacts = bd_realloc(r->contacts, (r->cap_contacts = r->cap_contacts
                                                                     ? r->cap_contacts * 2
                                                                     : 8) *
                                                  sizeof *r->contacts);
    r->contacts[r->n_contacts++] = (sla_contact){at, 0};
}

/* When the ticket last became solved (as of the last change), or 0 when it is not solved. */
static int64_t solved_at(const sla_ticket_in *t)
{
    if (!t->n_changes || t->changes[t->n_changes - 1].status != SLA_ST_SOLVED) return 0;
    return t->changes[t->n_changes - 1].at;
}

/* A reply clock from start: stopped by a reply at end, by a solve, or running at as_of. */
static void reply_measure(const sla_ticket_in *t, sla_result *r, int clock, int64_t start,
                          int64_t end, int32_t author, int64_t solve, int64_t as_of)
{
    sla_measure *m = push_measure(r);
    m->clock = clock;
    m->start = start;
    m->end = end;
    m->author = author;
    if (end) m->until = end;
    else if (solve) m->until = solve > start ? solve : start;
    else {
        m->until = as_of > start ? as_of : start;
        m->running = 1;
    }
    m->business = cal_business_seconds(t->calendar, start, m->until);
    m->elapsed = m->until - start;
    m->target = sla_target(t->team, t->category, t->subcategory, t->priority, clock);
    if (m->target >= 0) m->due = cal_add_business(t->calendar, start, m->target);
    m->deadline = t->deadline;
}

static void reply_clocks(const sla_ticket_in *t, int64_t as_of, sla_result *r)
{
    int64_t waiting = 0, solve = solved_at(t);
    int replied = 0;
    size_t unanswered = 0; /* first contact without an answer */
    for (size_t i = 0; i < t->n_msgs; i++) {
        const sla_msg *m = &t->msgs[i];
        if (m->flags & SLA_MSG_NOTE) continue;
        if (!(m->flags & SLA_MSG_OUT)) {
            if (m->flags & SLA_MSG_EXCLUDED) continue;
            push_contact(r, m->at);
            if (!waiting) waiting = m->at;
            continue;
        }
        if (m->flags & SLA_MSG_AUTO) continue;
        for (; unanswered < r->n_contacts; unanswered++)
            r->contacts[unanswered].answered_at = m->at;
        if (waiting)
            reply_measure(t, r, replied ? SLA_NEXT_REPLY : SLA_FIRST_REPLY, waiting, m->at,
                          m->author, 0, as_of);
        waiting = 0;
        replied = 1;
    }
    if (waiting)
        reply_measure(t, r, replied ? SLA_NEXT_REPLY : SLA_FIRST_REPLY, waiting, 0, -1, solve,
                      as_of);
}

/* Adds an active span [a, b) to the resolution clock; sets the due time when the target is
 * used up inside it. */
static void active_span(const sla_ticket_in *t, sla_measure *m, int64_t a, int64_t b)
{
    if (b <= a) return;
    int64_t bus = cal_business_seconds(t->calendar, a, b);
    if (m->target >= 0 && !m->due && m->business + bus >= m->target)
        m->due = cal_add_business(t->calendar, a, m->target - m->business);
    m->business += bus;
    m->elapsed += b - a;
}

static void resolution_clock(const sla_ticket_in *t, int64_t as_of, sla_result *r)
{
    sla_measure *m = push_measure(r);
    m->clock = SLA_RESOLUTION;
    m->start = t->created_at;
    m->target = sla_target(t->team, t->category, t->subcategory, t->priority, SLA_RESOLUTION);
    int status = SLA_ST_ACTIVE;
    int64_t since = t->created_at;
    for (size_t i = 0; i < t->n_changes; i++) {
        int64_t at = t->changes[i].at < t->created_at ? t->created_at : t->changes[i].at;
        if (status == SLA_ST_ACTIVE) active_span(t, m, since, at);
        status = t->changes[i].status;
        since = at;
    }
    if (status == SLA_ST_SOLVED) { /* due stays set only when the target was used up */
        m->end = m->until = since;
        return;
    }
    m->running = 1;
    m->until = as_of > since ? as_of : since;
    if (status == SLA_ST_ACTIVE) {
        active_span(t, m, since, m->until);
        if (m->target >= 0 && !m->due)
            m->due = cal_add_business(t->calendar, m->until, m->target - m->business);
    } /* pending: no due time while waiting on the buyer, unless already used up */
}

int sla_measure_breached(const sla_measure *m, int marketplace_clock)
{
    if (marketplace_clock) return m->deadline >= 0 && m->elapsed > m->deadline;
    return m->target >= 0 && m->business > m->target;
}

int64_t sla_measure_late(const sla_measure *m, int marketplace_clock)
{
    if (!sla_measure_breached(m, marketplace_clock)) return 0;
    return marketplace_clock ? m->elapsed - m->deadline : m->business - m->target;
}

void sla_ticket_compute(const sla_config *c, const sla_ticket_in *t, int64_t as_of,
                        sla_result *r)
{
    r->n = 0;
    r->n_contacts = 0;
    r->due_at = 0;
    r->state = SLA_STATE_NONE;
    reply_clocks(t, as_of, r);
    resolution_clock(t, as_of, r);
    int breached = 0;
    for (size_t i = 0; i < r->n; i++) {
        const sla_measure *m = &r->m[i];
        if (!m->running) continue;
        int64_t due[2] = {m->target >= 0 ? m->due : 0,
                          m->deadline >= 0 && m->clock != SLA_RESOLUTION ? m->start + m->deadline
                                                                         : 0};
        if (due[0] == CAL_NEVER) due[0] = 0;
        if (due[0] && sla_measure_breached(m, 0)) breached = 1;
        if (due[1] && sla_measure_breached(m, 1)) breached = 1;
        for (int k = 0; k < 2; k++)
            if (due[k] && (!r->due_at || due[k] < r->due_at)) r->due_at = due[k];
    }
    if (!r->due_at) return;
    if (breached) r->state = SLA_STATE_BREACHED;
    else if (as_of >= r->due_at - c->warning_lead) r->state = SLA_STATE_WARNING;
    else r->state = SLA_STATE_OK;
}
