/* h_reports.c — the leads' reports over HTTP: response times (GET /reports/sla) and workload
 * (GET /reports/workload). They are built by src/sla exactly as `borderdesk report sla|
 * workload --format json` builds them (same period rules, same builders, same JSON writer),
 * so the dashboard and the command line always show the same numbers. */
#include "server_internal.h"

#include "borderdesk/sla.h"

#include <stdlib.h>
#include <string.h>

#define SLA_DEFAULT_DAYS 30
#define WORKLOAD_DEFAULT_DAYS 7

static const sla_config *sla_of(srv_request *r)
{
    if (!r->srv->opt.sla) srv_error(r, 500, "internal", "the SLA configuration is not loaded");
    return r->srv->opt.sla;
}

/* from/to of the query (see sla_report_period); -1 after a 400. Called under sla_lock: the
 * report calendar is an ICU calendar. */
static int period(srv_request *r, const sla_config *c, int default_days, int64_t *f, int64_t *t)
{
    const char *from = srv_query(r, "from"), *to = srv_query(r, "to");
    if ((from && strlen(from) > 64) || (to && strlen(to) > 64)) {
        srv_error(r, 400, "invalid_parameter", "from and to are dates or RFC 3339 times");
        return -1;
    }
    bd_err err;
    if (sla_report_period(c, from, to, default_days, bd_now(), f, t, &err)) {
        srv_error(r, 400, "invalid_parameter", "%s", err.msg);
        return -1;
    }
    return 0;
}

/* The report options of the query; -1 after a 400. */
static int sla_options(srv_request *r, sla_report_opts *o)
{
    memset(o, 0, sizeof *o);
    const char *group = srv_query(r, "group_by");
    if (group && strcmp(group, "none") != 0) {
        o->group = sla_group_parse(group);
        if (o->group <= 0) {
            srv_error(r, 400, "invalid_parameter",
                      "group_by must be none, agent, shop, marketplace, category, language, day "
                      "or week");
            return -1;
        }
    }
    const char *clock = srv_query(r, "clock");
    if (clock && strcmp(clock, "team") != 0 && strcmp(clock, "marketplace") != 0) {
        srv_error(r, 400, "invalid_parameter", "clock must be team or marketplace");
        return -1;
    }
    o->marketplace = clock && strcmp(clock, "marketplace") == 0;
    const char *breaches = srv_query(r, "breaches");
    if (breaches) {
        if (!bd_str_in(breaches, (const char *const[]){"true", "false", "1", "0", NULL})) {
            srv_error(r, 400, "invalid_parameter", "breaches must be true or false");
            return -1;
        }
        o->breaches = strcmp(breaches, "true") == 0 || strcmp(breaches, "1") == 0;
    }
    return 0;
}

void h_report_sla(srv_request *r)
{
    const sla_config *c = sla_of(r);
    sla_report_opts o;
    if (!c || sla_options(r, &o)) return;
    bd_store *s = srv_store(r);
    if (!s) return;
    pthread_mutex_lock(&r->srv->sla_lock);
    sla_report *rep = NULL;
    bd_err err;
    int rc = period(r, c, SLA_DEFAULT_DAYS, &o.from, &o.to);
    if (!rc) {
        int64_t now = bd_now();
        o.as_of = o.to < now ? o.to : now;
        rc = sla_report_build(s, c, &o, &rep, &err);
        if (rc) srv_fail(r, s, &err);
    }
    pthread_mutex_unlock(&r->srv->sla_lock);
    if (rc) return;
    srv_reply_json(r, 200, sla_report_json(rep));
    sla_report_free(rep);
}

void h_report_workload(srv_request *r)
{
    const sla_config *c = sla_of(r);
    if (!c) return;
    bd_store *s = srv_store(r);
    if (!s) return;
    pthread_mutex_lock(&r->srv->sla_lock);
    int64_t f, t;
    sla_workload *w = NULL;
    bd_err err;
    int rc = period(r, c, WORKLOAD_DEFAULT_DAYS, &f, &t);
    if (!rc) {
        rc = sla_workload_build(s, c, f, t, bd_now(), &w, &err);
        if (rc) srv_fail(r, s, &err);
    }
    pthread_mutex_unlock(&r->srv->sla_lock);
    if (rc) return;
    srv_reply_json(r, 200, sla_workload_json(w));
    sla_workload_free(w);
}
