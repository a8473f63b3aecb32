/*
 * sla.h — response-time clocks (DOMAIN.md §4): team targets in business time and
 * marketplace deadlines in calendar time, computed from a ticket's messages and its audit
 * log (events), never from stored counters, so the same data always gives the same numbers.
 *
 * Clocks of one ticket:
 *  - first reply: from the first buyer message that needs an answer to the first public
 *    reply written by a person (an auto-acknowledgement does not stop it);
 *  - next reply: from the oldest unanswered buyer message to the next such reply;
 *  - resolution: from creation to the last time the ticket became solved or closed,
 *    counting only time while it is new or open (pending and solved spans pause it).
 * A buyer message marked "no response needed" (event no_response_needed, undone by
 * response_needed) starts no clock and is not counted by the marketplace. A reply clock
 * whose ticket is solved without an answer stops at the solve.
 *
 * Team clocks measure business seconds on the ticket's calendar (its shop's calendar, else
 * its team's) against targets per category and priority; marketplace clocks measure
 * calendar seconds against the marketplace's deadline (reply clocks only). A clock is
 * breached when its elapsed time exceeds the target.
 *
 * Configuration ("sla" in borderdesk.json) is documented in docs/sla.md.
 */
#ifndef BORDERDESK_SLA_H
#define BORDERDESK_SLA_H

#include <stddef.h>
#include <stdint.h>

#include "borderdesk/calendar.h"
#include "borderdesk/config.h"
#include "borderdesk/store.h"

enum sla_clock { SLA_FIRST_REPLY = 0, SLA_NEXT_REPLY = 1, SLA_RESOLUTION = 2, SLA_N_CLOCKS = 3 };
const char *sla_clock_name(int clock); /* "first_reply", "next_reply", "resolution" */

enum sla_state { SLA_STATE_NONE = 0, SLA_STATE_OK, SLA_STATE_WARNING, SLA_STATE_BREACHED };
const char *sla_state_name(int state); /* NULL, "ok", "warning", "breached" */

/* ---- configuration ---- */

typedef struct sla_target_rule {
    char *category;    /* NULL: any; "dispute" or "dispute/complaint" */
    int priority;      /* TICKET_PRIORITY_*, -1: any */
    int64_t target[SLA_N_CLOCKS]; /* business seconds; -1: this rule sets no target */
} sla_target_rule;

typedef struct sla_team {
    char *name;
    cal_calendar *calendar;
    sla_target_rule *rules;
    size_t n_rules;
} sla_team;

typedef struct sla_shop_rule {
    char *shop;
    size_t team;            /* index into teams */
    cal_calendar *calendar; /* the shop's own calendar, or NULL for the team's */
} sla_shop_rule;

typedef struct sla_deadline {
    char *marketplace; /* lower case */
    int64_t seconds;
} sla_deadline;

typedef struct sla_config {
    sla_team *teams;
    size_t n_teams, default_team;
    sla_shop_rule *shops;
    size_t n_shops;
    sla_deadline *deadlines;
    size_t n_deadlines;
    int64_t default_deadline;  /* marketplaces not listed */
    int64_t warning_lead;      /* seconds before a breach when a clock turns "warning" */
    char **auto_authors;       /* replies by these authors are auto-acknowledgements */
    size_t n_auto_authors;
    char *auto_marker;         /* ... and so are replies whose text contains this */
    cal_calendar *report_calendar; /* zone of report dates and day/week groups */
} sla_config;

/* Reads cfg's "sla" object (missing: the built-in defaults of docs/sla.md) and checks it;
 * every error names the key, e.g. `sla.teams[1].hours.mon[0]: "18:00-09:00": ...`. */
int sla_config_load(const bd_config *cfg, sla_config **out, bd_err *err);
void sla_config_free(sla_config *c); /* NULL-safe */

/* A copy of c for another thread: the same rules, calendars of its own (a calendar caches
 * what it computed and is not shared between threads). NULL with err set when a calendar
 * cannot be copied. Free with sla_config_thread_free, never with sla_config_free. */
sla_config *sla_config_thread_copy(const sla_config *c, bd_err *err);
void sla_config_thread_free(sla_config *copy); /* NULL-safe */

/* The team that serves a shop (its "shops" list, else the default team) and the calendar
 * its tickets run on. */
const sla_team *sla_shop_team(const sla_config *c, const char *shop);
cal_calendar *sla_shop_calendar(const sla_config *c, const char *shop);
/* The team target for a clock, in business seconds, or -1 when none applies. The most
 * specific matching rule that sets the clock wins: subcategory > category > priority. */
int64_t sla_target(const sla_team *team, const char *category, const char *subcategory,
                   int priority, int clock);
/* The marketplace's reply deadline in calendar seconds. */
int64_t sla_marketplace_deadline(const sla_config *c, const char *marketplace);
/* 1 when a reply by author with this text is an auto-acknowledgement: a configured author
 * or marker, or one of borderdesk's own automatic messages (author BD_AUTHOR_AUTOMATIC...,
 * e.g. a survey invitation). */
int sla_is_auto_ack(const sla_config *c, const char *author, const char *body);

/* ---- one ticket's clocks ---- */

enum { SLA_MSG_OUT = 1, SLA_MSG_NOTE = 2, SLA_MSG_AUTO = 4, SLA_MSG_EXCLUDED = 8 };
typedef struct sla_msg {
    int64_t id, at;
    int32_t author; /* an index the caller understands (see sla_dataset_author), -1 none */
    uint32_t flags;
} sla_msg;

enum { SLA_ST_ACTIVE = 0, SLA_ST_PENDING = 1, SLA_ST_SOLVED = 2 };
typedef struct sla_change {
    int64_t at;
    int status; /* SLA_ST_*: new/open are active, solved/closed are solved */
} sla_change;

typedef struct sla_ticket_in {
    int64_t created_at;
    int priority;
    const char *category, *subcategory;
    const sla_msg *msgs; /* ordered by (at, id) */
    size_t n_msgs;
    const sla_change *changes; /* ordered */
    size_t n_changes;
    const sla_team *team;
    cal_calendar *calendar;
    int64_t deadline; /* marketplace deadline, calendar seconds */
} sla_ticket_in;

typedef struct sla_measure {
    int clock;
    int64_t start;
    int64_t end;      /* the reply or the solve; 0 while it has not happened */
    int64_t until;    /* where time was measured: end, the unanswered solve, or as_of */
    int running;      /* still ticking at as_of */
    int64_t business; /* business seconds in [start, until), pauses excluded */
    int64_t elapsed;  /* calendar seconds in [start, until), pauses excluded */
    int64_t target;   /* team target (business seconds), -1 none */
    int64_t due;      /* when the team target is used up, 0 when none or paused */
    int64_t deadline; /* marketplace deadline (calendar seconds), -1 none */
    int32_t author;   /* reply clocks: who answered, -1 */
} sla_measure;

/* A buyer message the marketplace counts, and when it was answered (0: not yet). */
typedef struct sla_contact {
    int64_t at, answered_at;
} sla_contact;

typedef struct sla_result {
    sla_measure *m;
    size_t n, cap;
    sla_contact *contacts;
    size_t n_contacts, cap_contacts;
    int64_t due_at; /* the earliest due instant of a running clock, 0 when none runs */
    int state;      /* SLA_STATE_* at as_of */
} sla_result;

/* Computes every clock of the ticket as of as_of (messages and changes after it must not
 * be passed). out is reset first; reuse it across tickets, free with sla_result_clear. */
void sla_ticket_compute(const sla_config *c, const sla_ticket_in *t, int64_t as_of,
                        sla_result *out);
void sla_result_clear(sla_result *r);
/* 1 when the measure is over its target: team (business) or marketplace (calendar). */
int sla_measure_breached(const sla_measure *m, int marketplace_clock);
/* Seconds over the target (business for team, calendar for marketplace), 0 when within. */
int64_t sla_measure_late(const sla_measure *m, int marketplace_clock);

/* ---- tickets loaded for clocks (reports, recomputes) ---- */

typedef struct sla_scope {
    int64_t ticket_id;      /* one ticket, or 0 */
    int64_t created_before; /* 0: no limit */
    int64_t active_since;   /* tickets updated at or after; 0: no limit */
    int64_t as_of;          /* messages and events before this instant */
    int buyer_language;     /* fall back to the buyer's language (a join; slower) */
} sla_scope;

typedef struct sla_ticket_info {
    int64_t id, created_at, due_at;
    int priority;
    int32_t shop;           /* index into the dataset's shops */
    const char *status, *category, *subcategory, *language, *assignee, *due_state;
} sla_ticket_info;

typedef struct sla_dataset sla_dataset;
/* Loads every ticket of the scope at once (meant for one ticket or a few: a scan of many is
 * sla_dataset_scan). Free with sla_dataset_free. */
int sla_dataset_load(bd_store *s, const sla_config *c, const sla_scope *scope,
                     sla_dataset **out, bd_err *err);
void sla_dataset_free(sla_dataset *d);

/* Loads the tickets of the scope in chunks (ranges of ticket ids) and calls fn once per
 * chunk that holds any. Two workers load and hand over chunks at the same time: this thread
 * (worker 0) and, for a scan of all tickets, a second thread (worker 1) with its own
 * read-only connection, which sees committed data only; so fn runs in both threads at once,
 * must keep what it gathers per worker, and must use the configuration it is passed (the
 * worker's own calendars) instead of c. Chunks come in no fixed order; inside one, tickets
 * are in id order. A chunk and everything it points to is valid only during the call. fn
 * returns 0, or -1 with err set to stop the scan, which then returns -1 with that err. */
#define SLA_SCAN_WORKERS 2
typedef int (*sla_chunk_fn)(void *ud, int worker, const sla_config *c, const sla_dataset *chunk,
                            bd_err *err);
int sla_dataset_scan(bd_store *s, const sla_config *c, const sla_scope *scope, sla_chunk_fn fn,
                     void *ud, bd_err *err);

/* Loads the tickets of ids (ascending, no repeats; scope->ticket_id is ignored) and calls
 * fn for each chunk, on this thread (worker 0): one loader for all of them, ids close
 * together in one range of ids — such a chunk may also hold tickets between them that are
 * not in ids, which fn skips. What a bulk import's refresh of the tickets it changed uses. */
int sla_dataset_scan_ids(bd_store *s, const sla_config *c, const sla_scope *scope,
                         const int64_t *ids, size_t n, sla_chunk_fn fn, void *ud, bd_err *err);

size_t sla_dataset_count(const sla_dataset *d);
const sla_ticket_info *sla_dataset_ticket(const sla_dataset *d, size_t i);
/* Fills in for ticket i (pointers into d). */
void sla_dataset_input(const sla_dataset *d, size_t i, sla_ticket_in *in);
/* The author of a message of d (valid as long as the load or scan), "-" for -1. */
const char *sla_dataset_author(const sla_dataset *d, int32_t author);
const char *sla_dataset_shop(const sla_dataset *d, int32_t shop);
const char *sla_dataset_marketplace(const sla_dataset *d, int32_t shop);

/* ---- keeping tickets.due_at / due_state current ---- */

/* Recomputes one ticket's clocks as of now and stores its due time and state. Call after
 * every change to the ticket (ticket_ctx.on_change does). Does not commit. */
int sla_ticket_refresh(bd_store *s, const sla_config *c, int64_t ticket_id, int64_t now,
                       bd_err *err);
/* The same for several tickets (ascending ids, no repeats): what a bulk import calls once
 * per transaction for the tickets it changed, so a ticket that got many messages in the
 * batch is computed once; the tickets are loaded with sla_dataset_scan_ids (one loader, ids
 * close together in one read). Does not commit. */
int sla_tickets_refresh(bd_store *s, const sla_config *c, const int64_t *ids, size_t n,
                        int64_t now, bd_err *err);
/* The due time and state of a ticket about to be created (n, with first message m, in shop
 * shop of marketplace) as of now, as sla_ticket_refresh will compute them once it is
 * stored with its message and no event that moves a clock: what ticket_ctx.new_ticket_due
 * asks for. 0 and NULL when no clock runs. */
void sla_new_ticket_due(const sla_config *c, const char *shop, const char *marketplace,
                        const store_ticket_new *n, const bd_message *m, int64_t now,
                        int64_t *due_at, const char **state);
/* Recomputes every ticket; *changed counts the rows whose due time or state moved. Runs in
 * its own transaction. */
int sla_refresh_all(bd_store *s, const sla_config *c, int64_t now, size_t *tickets,
                    size_t *changed, bd_err *err);

/* Marks a buyer message of the ticket as needing no response (undo: needed = 1), recording
 * actor and reason in the audit log, then refreshes the ticket. Does not commit. */
int sla_no_response(bd_store *s, const sla_config *c, int64_t ticket_id, int64_t message_id,
                    const char *actor, const char *reason, int undo, int64_t now,
                    bd_err *err);

/* ---- reports ---- */

enum sla_group {
    SLA_GROUP_NONE = 0, SLA_GROUP_AGENT, SLA_GROUP_SHOP, SLA_GROUP_MARKETPLACE,
    SLA_GROUP_CATEGORY, SLA_GROUP_LANGUAGE, SLA_GROUP_DAY, SLA_GROUP_WEEK
};
/* "agent" ... "week" → SLA_GROUP_*; -1 when unknown. */
int sla_group_parse(const char *name);
const char *sla_group_name(int group);

/* The period [from, to) of a report: from and to are dates of the report time zone
 * (sla.report_time_zone; YYYY-MM-DD, `to` inclusive) or RFC 3339 instants; NULL: the
 * `default_days` days up to and including today (as of now). Returns 0, or -1 with err
 * naming the bad bound ("--from: ..."-style messages start with "from: " or "to: "). */
int sla_report_period(const sla_config *c, const char *from, const char *to, int default_days,
                      int64_t now, int64_t *f, int64_t *t, bd_err *err);

/* Response-time histogram buckets of stopped clocks: upper bounds in seconds (inclusive),
 * the last bucket is everything above the last bound. */
#define SLA_N_BUCKETS 8
extern const int64_t sla_bucket_bounds[SLA_N_BUCKETS - 1];

typedef struct sla_report_opts {
    int64_t from, to;  /* clocks that start in [from, to) */
    int64_t as_of;     /* evaluate running clocks here: min(to, now) */
    int group;         /* SLA_GROUP_* */
    int marketplace;   /* 0: team clock, 1: marketplace clock */
    int breaches;      /* list breaching clocks */
} sla_report_opts;

typedef struct sla_stat {
    int64_t count;      /* clocks that stopped (a reply, a solve) */
    int64_t running;    /* clocks still ticking at as_of */
    int64_t with_target;/* stopped clocks with a target, plus running ones already breached */
    int64_t within;     /* stopped clocks within their target */
    int64_t breaches;   /* stopped late, plus running past their target */
    int64_t median, p90;/* of stopped clocks (seconds); -1 when count is 0 */
    int64_t histogram[SLA_N_BUCKETS]; /* stopped clocks per bucket (sla_bucket_bounds) */
} sla_stat;

typedef struct sla_group_row {
    char *key;
    sla_stat stat[SLA_N_CLOCKS];
} sla_group_row;

typedef struct sla_breach {
    int64_t ticket_id;
    int clock;
    char *agent, *buyer, *shop;
    int64_t start, end;  /* end 0: not answered / not solved */
    int64_t due;         /* when the target was used up */
    int64_t late;        /* seconds over the target (business or calendar, per clock) */
} sla_breach;

typedef struct sla_late_rate {
    char *shop, *marketplace;
    int64_t counted[3], late[3]; /* last 7, 30, 90 days before as_of */
} sla_late_rate;

typedef struct sla_report {
    sla_report_opts opts;
    sla_group_row total;
    sla_group_row *rows;
    size_t n_rows;
    sla_breach *breaches;
    size_t n_breaches;
    sla_late_rate *late;
    size_t n_late;
    size_t tickets; /* tickets read */
    char time_zone[64]; /* the report time zone (dates, day and week groups) */
} sla_report;

int sla_report_build(bd_store *s, const sla_config *c, const sla_report_opts *o,
                     sla_report **out, bd_err *err);
void sla_report_free(sla_report *r);
/* The documented JSON form (docs/sla.md "report sla --format json"); the CLI and the REST
 * API (GET /api/v1/reports/sla) both print this. Caller deletes. */
cJSON *sla_report_json(const sla_report *r);

/* Workload: open tickets per agent and per queue (shop), oldest waiting buyer, and
 * public replies by a person per agent per day in [from, to). */
typedef struct sla_workload_row {
    char *key;
    int64_t open, pending, waiting; /* waiting: a buyer message is unanswered */
    int64_t oldest_wait_since;      /* the oldest unanswered buyer message, 0 none */
    int64_t oldest_ticket;
} sla_workload_row;
typedef struct sla_answered {
    char *agent;
    char day[11]; /* YYYY-MM-DD in the report zone */
    int64_t replies;
} sla_answered;
typedef struct sla_workload {
    int64_t from, to, as_of;
    sla_workload_row *agents, *queues;
    size_t n_agents, n_queues;
    sla_answered *answered;
    size_t n_answered;
} sla_workload;
int sla_workload_build(bd_store *s, const sla_config *c, int64_t from, int64_t to,
                       int64_t as_of, sla_workload **out, bd_err *err);
void sla_workload_free(sla_workload *w);
/* The documented JSON form (docs/sla.md "report workload"); CLI and REST API. */
cJSON *sla_workload_json(const sla_workload *w);

#endif
