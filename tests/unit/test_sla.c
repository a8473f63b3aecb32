/*
 * test_sla.c — the clocks of one ticket, hand-computed: a Shenzhen team serving a Madrid
 * buyer over a weekend, an auto-acknowledgement that must not stop the clock, a message
 * that needs no response, a pending span that pauses resolution, marketplace deadlines in
 * calendar time; target rules by specificity; and configuration errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "borderdesk/sla.h"
#include "borderdesk/ticket.h"

static int64_t T(const char *rfc3339)
{
    int64_t t;
    assert_int_equal(bd_time_parse(rfc3339, &t), 0);
    return t;
}

static const char *CONFIG =
    "{\"sla\": {\"teams\": [{\"name\": \"shenzhen\", \"time_zone\": \"Asia/Shanghai\","
    "  \"hours\": {\"mon-fri\": [\"09:00-12:00\", \"13:00-18:00\"]},"
    "  \"shops\": [\"acme-amazon-es\"],"
    "  \"targets\": [{\"first_reply\": \"10m\", \"next_reply\": \"1h\"},"
    "                {\"category\": \"dispute\", \"resolution\": \"24h\"},"
    "                {\"category\": \"dispute/chargeback\", \"first_reply\": \"5m\"},"
    "                {\"priority\": \"urgent\", \"first_reply\": 3},"
    "                {\"category\": \"dispute\", \"priority\": \"urgent\", \"first_reply\": \"1m\"}]},"
    " {\"name\": \"saopaulo\", \"time_zone\": \"America/Sao_Paulo\","
    "  \"hours\": {\"mon-sat\": \"08:00-20:00\"}, \"shops\": [\"acme-shopee-br\"]}],"
    " \"warning_minutes\": 30, \"auto_ack\": {\"authors\": [\"autoresponder\"], \"marker\": \"[auto]\"},"
    " \"marketplace_deadline_hours\": {\"shopee\": 8, \"default\": 36}}}";

static sla_config *load(const char *json, bd_err *err)
{
    bd_config cfg = {0};
    cfg.root = cJSON_Parse(json);
    assert_non_null(cfg.root);
    sla_config *c = NULL;
    int rc = sla_config_load(&cfg, &c, err);
    cJSON_Delete(cfg.root);
    return rc ? NULL : c;
}

static void test_config_and_targets(void **state)
{
    (void)state;
    bd_err err;
    sla_config *c = load(CONFIG, &err);
    assert_non_null(c);
    const sla_team *sz = sla_shop_team(c, "acme-amazon-es");
    assert_string_equal(sz->name, "shenzhen");
    assert_string_equal(sla_shop_team(c, "acme-shopee-br")->name, "saopaulo");
    assert_string_equal(sla_shop_team(c, "unknown-shop")->name, "shenzhen"); /* default */
    assert_string_equal(cal_zone(sla_shop_calendar(c, "acme-shopee-br")), "America/Sao_Paulo");
    /* specificity: subcategory > category > priority > any */
    assert_int_equal(sla_target(sz, "shipping", "delay", TICKET_PRIORITY_NORMAL, SLA_FIRST_REPLY), 600);
    assert_int_equal(sla_target(sz, "dispute", "refund", TICKET_PRIORITY_NORMAL, SLA_FIRST_REPLY), 600);
    assert_int_equal(sla_target(sz, "dispute", "chargeback", TICKET_PRIORITY_NORMAL, SLA_FIRST_REPLY), 300);
    assert_int_equal(sla_target(sz, "shipping", "delay", TICKET_PRIORITY_URGENT, SLA_FIRST_REPLY), 180);
    assert_int_equal(sla_target(sz, "dispute", "refund", TICKET_PRIORITY_URGENT, SLA_FIRST_REPLY), 60);
    assert_int_equal(sla_target(sz, "dispute", "chargeback", TICKET_PRIORITY_URGENT, SLA_FIRST_REPLY), 300);
    assert_int_equal(sla_target(sz, "dispute", NULL, TICKET_PRIORITY_LOW, SLA_RESOLUTION), 86400);
    assert_int_equal(sla_target(sz, "shipping", NULL, TICKET_PRIORITY_LOW, SLA_RESOLUTION), -1);
    assert_int_equal(sla_target(sz, NULL, NULL, TICKET_PRIORITY_LOW, SLA_NEXT_REPLY), 3600);
    /* the São Paulo team has no targets of its own: the built-in DOMAIN.md defaults */
    const sla_team *sp = sla_shop_team(c, "acme-shopee-br");
    assert_int_equal(sla_target(sp, "pre_sale", "stock", 1, SLA_FIRST_REPLY), 600);
    assert_int_equal(sla_target(sp, "review", "negative", 1, SLA_FIRST_REPLY), 3600);
    assert_int_equal(sla_target(sp, "review", "negative", 1, SLA_RESOLUTION), 86400);
    assert_int_equal(sla_target(sp, "dispute", "complaint", 1, SLA_RESOLUTION), 86400);
    /* deadlines: defaults, overrides, the default for unlisted marketplaces */
    assert_int_equal(sla_marketplace_deadline(c, "Amazon"), 24 * 3600);
    assert_int_equal(sla_marketplace_deadline(c, "walmart"), 48 * 3600);
    assert_int_equal(sla_marketplace_deadline(c, "shopee"), 8 * 3600);
    assert_int_equal(sla_marketplace_deadline(c, "lazada"), 36 * 3600);
    assert_true(sla_is_auto_ack(c, "autoresponder", "hi"));
    assert_true(sla_is_auto_ack(c, "alice", "[auto] we got your message"));
    assert_false(sla_is_auto_ack(c, "alice", "hello"));
    assert_string_equal(cal_zone(c->report_calendar), "Asia/Shanghai");
    sla_config_free(c);

    c = load("{}", &err); /* no sla section: one UTC team with the default targets */
    assert_non_null(c);
    assert_int_equal(c->n_teams, 1);
    assert_string_equal(cal_zone(c->teams[0].calendar), "UTC");
    assert_int_equal(c->warning_lead, 1800);
    sla_config_free(c);
}

/* Report periods: dates are local days of the report zone, `to` inclusive; RFC 3339
 * instants as they are; defaults count back from today. */
static void test_report_period(void **state)
{
    (void)state;
    bd_err err;
    sla_config *c = load(CONFIG, &err); /* report zone: Asia/Shanghai (UTC+8) */
    assert_non_null(c);
    int64_t f, t, now = T("2026-03-13T02:00:00Z"); /* Friday 10:00 in Shanghai */
    assert_int_equal(sla_report_period(c, "2026-03-06", "2026-03-12", 30, now, &f, &t, &err), 0);
    assert_int_equal(f, T("2026-03-05T16:00:00Z"));
    assert_int_equal(t, T("2026-03-12T16:00:00Z"));
    assert_int_equal(sla_report_period(c, "2026-03-06T00:00:00Z", "2026-03-07T12:00:00+08:00", 30,
                                       now, &f, &t, &err),
                     0);
    assert_int_equal(f, T("2026-03-06T00:00:00Z"));
    assert_int_equal(t, T("2026-03-07T04:00:00Z"));
    /* the last 7 days up to and including today */
    assert_int_equal(sla_report_period(c, NULL, NULL, 7, now, &f, &t, &err), 0);
    assert_int_equal(t, T("2026-03-13T16:00:00Z"));
    assert_int_equal(f, T("2026-03-06T16:00:00Z"));
    assert_int_equal(sla_report_period(c, "2026-03-10", "2026-03-09", 7, now, &f, &t, &err), -1);
    assert_non_null(strstr(err.msg, "before its start"));
    assert_int_equal(sla_report_period(c, "yesterday", NULL, 7, now, &f, &t, &err), -1);
    assert_true(strncmp(err.msg, "from: ", 6) == 0);
    assert_int_equal(sla_report_period(c, NULL, "2026-02-30", 7, now, &f, &t, &err), -1);
    assert_true(strncmp(err.msg, "to: ", 4) == 0);
    sla_config_free(c);
}

static void expect_config_error(const char *sla, const char *needle)
{
    char json[2048];
    snprintf(json, sizeof json, "{\"sla\": %s}", sla);
    bd_err err = {{0}};
    sla_config *c = load(json, &err);
    if (c) fail_msg("accepted: %s", sla);
    if (!strstr(err.msg, needle)) fail_msg("error \"%s\" lacks \"%s\"", err.msg, needle);
}

static void test_config_errors(void **state)
{
    (void)state;
    const char *team = "\"time_zone\": \"Asia/Shanghai\", \"hours\": {\"mon\": \"09:00-18:00\"}";
    char buf[1024];
    expect_config_error("{\"teams\": [{\"name\": \"a\", \"time_zone\": \"Asia/Shangai\", "
                        "\"hours\": {\"mon\": \"09:00-18:00\"}}]}",
                        "sla.teams[0].time_zone: unknown time zone \"Asia/Shangai\"");
    expect_config_error("{\"teams\": [{\"name\": \"a\", \"time_zone\": \"UTC\", \"hours\": "
                        "{\"mon-fri\": \"09:00-18:00\", \"fri\": [\"17:00-19:00\"]}}]}",
                        "sla.teams[0].hours.fri[0]: \"17:00-19:00\": overlaps 09:00-18:00 on Friday");
    expect_config_error("{\"teams\": [{\"name\": \"a\", \"time_zone\": \"UTC\", \"hours\": "
                        "{\"mon\": [\"22:00-06:00\"]}}]}",
                        "sla.teams[0].hours.mon[0]: \"22:00-06:00\": the end is not after the start");
    expect_config_error("{\"teams\": [{\"name\": \"a\", \"time_zone\": \"UTC\", \"hours\": "
                        "{\"mon\": \"09:00-18:00\"}, \"holidays\": [\"2026-05-05..2026-05-01\"]}]}",
                        "sla.teams[0].holidays[0]: 2026-05-05..2026-05-01: the end date is before");
    snprintf(buf, sizeof buf, "{\"teams\": [{\"name\": \"a\", %s, \"targets\": "
             "[{\"category\": \"shiping\", \"first_reply\": \"1h\"}]}]}", team);
    expect_config_error(buf, "sla.teams[0].targets[0].category: \"shiping\" is not a category");
    snprintf(buf, sizeof buf, "{\"teams\": [{\"name\": \"a\", %s, \"targets\": "
             "[{\"first_reply\": \"1 hour\"}]}]}", team);
    expect_config_error(buf, "sla.teams[0].targets[0].first_reply: a duration");
    snprintf(buf, sizeof buf, "{\"teams\": [{\"name\": \"a\", %s, \"targets\": "
             "[{\"priority\": \"high\", \"first_reply\": \"1h\"}, {\"priority\": \"high\", "
             "\"resolution\": \"8h\"}]}]}", team);
    expect_config_error(buf, "sla.teams[0].targets[1]: same category and priority as "
                             "sla.teams[0].targets[0]");
    snprintf(buf, sizeof buf, "{\"teams\": [{\"name\": \"a\", %s, \"shops\": [\"s1\"]}, "
             "{\"name\": \"b\", %s, \"shops\": [\"s1\"]}]}", team, team);
    expect_config_error(buf, "sla.teams[1].shops[0]: shop \"s1\" is already served by team \"a\"");
    snprintf(buf, sizeof buf, "{\"teams\": [{\"name\": \"a\", %s}], \"default_team\": \"b\"}", team);
    expect_config_error(buf, "sla.default_team: no team named \"b\"");
    expect_config_error("{\"report_time_zone\": \"Europe/Madird\"}",
                        "sla.report_time_zone: unknown time zone");
    expect_config_error("{\"warning_minutes\": -5}", "sla.warning_minutes");
    expect_config_error("{\"marketplace_deadline_hours\": {\"amazon\": 0}}",
                        "sla.marketplace_deadline_hours.amazon");
    expect_config_error("{\"teams\": []}", "sla.teams: must be a non-empty list");
    expect_config_error("{\"team\": []}", "sla.team: unknown key");
    expect_config_error("{\"shop_calendars\": {\"s1\": {\"time_zone\": \"UTC\", \"hours\": "
                        "{\"sun\": \"10:00-09:00\"}}}}",
                        "sla.shop_calendars.s1.hours.sun");
}

/* The scenario of the header comment (times in UTC; Shenzhen is UTC+8). */
static void test_clocks_hand_computed(void **state)
{
    (void)state;
    bd_err err;
    sla_config *c = load(CONFIG, &err);
    assert_non_null(c);
    sla_msg msgs[] = {
        /* Fri 17:30 Madrid = Sat 00:30 Shenzhen: the buyer opens a dispute */
        {1, T("2026-03-06T16:30:00Z"), -1, 0},
        {2, T("2026-03-06T16:31:00Z"), 7, SLA_MSG_OUT | SLA_MSG_AUTO}, /* auto-ack */
        {3, T("2026-03-09T01:05:00Z"), 1, SLA_MSG_OUT},                /* Mon 09:05: alice */
        {4, T("2026-03-09T03:50:00Z"), -1, 0},                         /* Mon 11:50 */
        {5, T("2026-03-09T03:55:00Z"), -1, SLA_MSG_EXCLUDED},          /* "thanks!" */
        {6, T("2026-03-09T05:20:00Z"), 2, SLA_MSG_OUT},                /* Mon 13:20: bob */
        {7, T("2026-03-09T05:25:00Z"), 2, SLA_MSG_OUT | SLA_MSG_NOTE}, /* internal note */
        {8, T("2026-03-09T09:30:00Z"), -1, 0},                         /* Mon 17:30 */
    };
    sla_change changes[] = {{T("2026-03-09T05:30:00Z"), SLA_ST_PENDING},
                            {T("2026-03-09T09:30:00Z"), SLA_ST_ACTIVE}};
    sla_ticket_in in = {.created_at = msgs[0].at,
                        .priority = TICKET_PRIORITY_NORMAL,
                        .category = "dispute",
                        .subcategory = "refund",
                        .msgs = msgs,
                        .n_msgs = 8,
                        .changes = changes,
                        .n_changes = 2,
                        .team = sla_shop_team(c, "acme-amazon-es"),
                        .calendar = sla_shop_calendar(c, "acme-amazon-es"),
                        .deadline = sla_marketplace_deadline(c, "amazon")};
    sla_result r = {0};
    int64_t as_of = T("2026-03-10T02:00:00Z"); /* Tue 10:00 Shenzhen */
    sla_ticket_compute(c, &in, as_of, &r);
    assert_int_equal(r.n, 4);
    /* first reply: Mon 09:00-09:05 of business time, 56 h 35 min of calendar time */
    assert_int_equal(r.m[0].clock, SLA_FIRST_REPLY);
    assert_int_equal(r.m[0].end, msgs[2].at);
    assert_int_equal(r.m[0].business, 300);
    assert_int_equal(r.m[0].elapsed, 56 * 3600 + 35 * 60);
    assert_int_equal(r.m[0].target, 600);
    assert_int_equal(r.m[0].author, 1);
    assert_false(sla_measure_breached(&r.m[0], 0));
    assert_true(sla_measure_breached(&r.m[0], 1)); /* Amazon: later than 24 h */
    assert_int_equal(sla_measure_late(&r.m[0], 1), 32 * 3600 + 35 * 60);
    /* next reply: 11:50-12:00 and 13:00-13:20; the excluded message changes nothing */
    assert_int_equal(r.m[1].clock, SLA_NEXT_REPLY);
    assert_int_equal(r.m[1].start, msgs[3].at);
    assert_int_equal(r.m[1].business, 30 * 60);
    assert_int_equal(r.m[1].elapsed, 90 * 60);
    assert_int_equal(r.m[1].author, 2);
    /* the last buyer message waits: Mon 17:30-18:00 + Tue 09:00-10:00 = 90 min > 1 h */
    assert_int_equal(r.m[2].clock, SLA_NEXT_REPLY);
    assert_true(r.m[2].running);
    assert_int_equal(r.m[2].end, 0);
    assert_int_equal(r.m[2].business, 90 * 60);
    assert_int_equal(r.m[2].elapsed, 16 * 3600 + 30 * 60);
    assert_int_equal(r.m[2].due, T("2026-03-10T01:30:00Z")); /* Tue 09:30 Shenzhen */
    assert_true(sla_measure_breached(&r.m[2], 0));
    assert_int_equal(sla_measure_late(&r.m[2], 0), 30 * 60);
    /* resolution: 3 h 30 min until pending, paused, then 1 h 30 min: 5 h of 24 h */
    assert_int_equal(r.m[3].clock, SLA_RESOLUTION);
    assert_true(r.m[3].running);
    assert_int_equal(r.m[3].business, 5 * 3600);
    assert_int_equal(r.m[3].elapsed, 61 * 3600 + 16 * 3600 + 30 * 60);
    assert_int_equal(r.m[3].target, 86400);
    assert_int_equal(r.m[3].due, T("2026-03-12T06:00:00Z")); /* Thu 14:00 Shenzhen */
    /* the ticket: the earliest due time is the breached next reply */
    assert_int_equal(r.due_at, T("2026-03-10T01:30:00Z"));
    assert_int_equal(r.state, SLA_STATE_BREACHED);
    /* marketplace contacts: 3 counted (not the excluded one), the last unanswered */
    assert_int_equal(r.n_contacts, 3);
    assert_int_equal(r.contacts[0].answered_at, msgs[2].at);
    assert_int_equal(r.contacts[1].answered_at, msgs[5].at);
    assert_int_equal(r.contacts[2].answered_at, 0);

    /* an hour earlier (Tue 09:00) the next reply had 30 of its 60 minutes left: warning */
    sla_ticket_compute(c, &in, T("2026-03-10T01:00:00Z"), &r);
    assert_int_equal(r.due_at, T("2026-03-10T01:30:00Z"));
    assert_int_equal(r.state, SLA_STATE_WARNING);
    /* and on Monday evening, 20:00 Shenzhen, it was fine */
    sla_ticket_compute(c, &in, T("2026-03-09T12:00:00Z"), &r);
    assert_int_equal(r.state, SLA_STATE_OK);

    /* solved without answering the last message: that clock stops at the solve */
    sla_change solved[] = {{T("2026-03-09T05:30:00Z"), SLA_ST_PENDING},
                           {T("2026-03-09T09:30:00Z"), SLA_ST_ACTIVE},
                           {T("2026-03-09T09:40:00Z"), SLA_ST_SOLVED}};
    in.changes = solved;
    in.n_changes = 3;
    sla_ticket_compute(c, &in, as_of, &r);
    assert_false(r.m[2].running);
    assert_int_equal(r.m[2].until, solved[2].at);
    assert_int_equal(r.m[2].business, 10 * 60);
    assert_int_equal(r.m[3].end, solved[2].at);
    assert_int_equal(r.m[3].business, 3 * 3600 + 30 * 60 + 10 * 60);
    assert_int_equal(r.due_at, 0); /* nothing runs */
    assert_int_equal(r.state, SLA_STATE_NONE);
    sla_result_clear(&r);
    sla_config_free(c);
}

static void test_seller_first_and_reopen(void **state)
{
    (void)state;
    bd_err err;
    sla_config *c = load(CONFIG, &err);
    assert_non_null(c);
    /* a São Paulo shop (Mon-Sat 08:00-20:00, UTC-3) writes first; the buyer answers */
    sla_msg msgs[] = {
        {1, T("2026-05-15T12:00:00-03:00"), 1, SLA_MSG_OUT},          /* Fri noon */
        {2, T("2026-05-15T19:50:00-03:00"), -1, 0},                   /* Fri 19:50 */
        {3, T("2026-05-15T19:55:00-03:00"), 4, SLA_MSG_OUT | SLA_MSG_AUTO},
        {4, T("2026-05-16T08:20:00-03:00"), 1, SLA_MSG_OUT},          /* Sat 08:20 */
    };
    sla_change changes[] = {{T("2026-05-16T08:30:00-03:00"), SLA_ST_SOLVED},
                            {T("2026-05-18T10:00:00-03:00"), SLA_ST_ACTIVE},
                            {T("2026-05-18T11:00:00-03:00"), SLA_ST_SOLVED}};
    sla_ticket_in in = {.created_at = msgs[0].at,
                        .priority = TICKET_PRIORITY_HIGH,
                        .category = "shipping",
                        .subcategory = "tracking",
                        .msgs = msgs,
                        .n_msgs = 4,
                        .changes = changes,
                        .n_changes = 3,
                        .team = sla_shop_team(c, "acme-shopee-br"),
                        .calendar = sla_shop_calendar(c, "acme-shopee-br"),
                        .deadline = sla_marketplace_deadline(c, "shopee")};
    sla_result r = {0};
    sla_ticket_compute(c, &in, T("2026-06-01T00:00:00Z"), &r);
    assert_int_equal(r.n, 2);
    /* no first reply (the seller started); the buyer's message waited 10 + 20 minutes */
    assert_int_equal(r.m[0].clock, SLA_NEXT_REPLY);
    assert_int_equal(r.m[0].business, 30 * 60);
    assert_int_equal(r.m[0].elapsed, 12 * 3600 + 30 * 60);
    assert_int_equal(r.m[0].target, 600); /* built-in default next reply */
    assert_true(sla_measure_breached(&r.m[0], 0));
    assert_true(sla_measure_breached(&r.m[0], 1)); /* Shopee: 8 h */
    /* resolution: Fri 12:00-20:00, Sat 08:00-08:30, then reopened Mon 10:00-11:00 */
    assert_int_equal(r.m[1].clock, SLA_RESOLUTION);
    assert_int_equal(r.m[1].business, 8 * 3600 + 30 * 60 + 3600);
    assert_int_equal(r.m[1].end, changes[2].at);
    assert_int_equal(r.m[1].target, -1); /* no resolution target for shipping */
    assert_int_equal(r.state, SLA_STATE_NONE);
    sla_result_clear(&r);
    sla_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_and_targets),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_report_period),
        cmocka_unit_test(test_clocks_hand_computed),
        cmocka_unit_test(test_seller_first_and_reopen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
