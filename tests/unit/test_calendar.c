/*
 * test_calendar.c — the business-time engine: hand-computed cases across weekends,
 * holidays, overnight gaps and DST changes in both directions; configuration errors; and a
 * property test against a brute-force minute-by-minute reference that reads the wall clock
 * of every minute from ICU's calendar fields (not from the engine's offset segments).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "borderdesk/calendar.h"
#include "borderdesk/model.h"

static int64_t T(const char *rfc3339)
{
    int64_t t;
    assert_int_equal(bd_time_parse(rfc3339, &t), 0);
    return t;
}

static cal_calendar *cal_json(const char *json)
{
    bd_err err;
    cJSON *j = cJSON_Parse(json);
    assert_non_null(j);
    cal_calendar *c = NULL;
    int rc = cal_from_json(j, "team", &c, &err);
    if (rc) fprintf(stderr, "%s\n", err.msg);
    assert_int_equal(rc, 0);
    cJSON_Delete(j);
    return c;
}

static const char *SHENZHEN =
    "{\"time_zone\": \"Asia/Shanghai\", \"hours\": {\"mon-fri\": [\"09:00-12:00\", "
    "\"13:00-18:00\"]}, \"holidays\": [\"2026-10-01..2026-10-07\", \"2026-01-01\"]}";

/* A Madrid buyer writes on Friday evening: the Shenzhen team's clock starts on Monday. */
static void test_weekend_across_zones(void **state)
{
    (void)state;
    cal_calendar *c = cal_json(SHENZHEN);
    /* Fri 17:30 Madrid = Sat 00:30 Shenzhen; reply Mon 10:30 Shenzhen: 09:00-10:30 */
    assert_int_equal(cal_business_seconds(c, T("2026-03-06T17:30:00+01:00"),
                                          T("2026-03-09T10:30:00+08:00")),
                     90 * 60);
    /* a São Paulo buyer on Friday 20:00 (-03:00) = Sat 07:00 Shenzhen: +10 min → Mon 09:10 */
    assert_int_equal(cal_add_business(c, T("2026-05-15T20:00:00-03:00"), 600),
                     T("2026-05-18T01:10:00Z"));
    /* a full week: five days of 8 hours */
    assert_int_equal(cal_business_seconds(c, T("2026-03-09T00:00:00+08:00"),
                                          T("2026-03-16T00:00:00+08:00")),
                     5 * 8 * 3600);
    cal_free(c);
}

static void test_lunch_and_holidays(void **state)
{
    (void)state;
    cal_calendar *c = cal_json(SHENZHEN);
    /* 11:55 + 10 minutes of work = 13:05 (lunch 12:00-13:00 does not count) */
    assert_int_equal(cal_add_business(c, T("2026-03-09T11:55:00+08:00"), 600),
                     T("2026-03-09T13:05:00+08:00"));
    assert_int_equal(cal_is_business(c, T("2026-03-09T12:30:00+08:00")), 0);
    assert_int_equal(cal_is_business(c, T("2026-03-09T12:59:59+08:00")), 0);
    assert_int_equal(cal_is_business(c, T("2026-03-09T13:00:00+08:00")), 1);
    /* Wed 30 Sep 17:00 → Thu 8 Oct 09:30 across the National Day week: 1 h + 30 min */
    assert_int_equal(cal_business_seconds(c, T("2026-09-30T17:00:00+08:00"),
                                          T("2026-10-08T09:30:00+08:00")),
                     90 * 60);
    /* New Year's Day (a Thursday) is a holiday: Wed 17:30 + 1 h → Fri 09:30 */
    assert_int_equal(cal_add_business(c, T("2025-12-31T17:30:00+08:00"), 3600),
                     T("2026-01-02T09:30:00+08:00"));
    /* a message on a holiday starts the clock at the next working morning */
    assert_int_equal(cal_add_business(c, T("2026-10-03T11:00:00+08:00"), 0),
                     T("2026-10-03T11:00:00+08:00"));
    assert_int_equal(cal_add_business(c, T("2026-10-03T11:00:00+08:00"), 1),
                     T("2026-10-08T09:00:01+08:00"));
    cal_free(c);
}

static void test_overnight_gap(void **state)
{
    (void)state;
    cal_calendar *c =
        cal_json("{\"time_zone\": \"Europe/Madrid\", \"hours\": {\"mon-fri\": \"09:00-18:00\"}}");
    /* Tue 17:50 → Wed 09:10: 10 + 10 minutes */
    assert_int_equal(cal_business_seconds(c, T("2026-03-10T17:50:00+01:00"),
                                          T("2026-03-11T09:10:00+01:00")),
                     20 * 60);
    assert_int_equal(cal_add_business(c, T("2026-03-10T17:50:00+01:00"), 20 * 60),
                     T("2026-03-11T09:10:00+01:00"));
    /* a reply before the office opens took no business time */
    assert_int_equal(cal_business_seconds(c, T("2026-03-10T19:00:00+01:00"),
                                          T("2026-03-11T08:59:00+01:00")),
                     0);
    cal_free(c);
}

static void test_dst_europe(void **state)
{
    (void)state;
    cal_calendar *c = cal_json("{\"time_zone\": \"Europe/Madrid\", \"hours\": "
                               "{\"sun\": \"00:00-24:00\", \"mon\": \"01:00-04:00\"}}");
    /* Sunday 29 March 2026 has 23 hours, Sunday 25 October 25 hours */
    assert_int_equal(cal_business_seconds(c, T("2026-03-29T00:00:00+01:00"),
                                          T("2026-03-30T00:00:00+02:00")),
                     23 * 3600);
    assert_int_equal(cal_business_seconds(c, T("2026-10-25T00:00:00+02:00"),
                                          T("2026-10-26T00:00:00+01:00")),
                     25 * 3600);
    cal_free(c);

    c = cal_json("{\"time_zone\": \"Europe/Madrid\", \"hours\": {\"sun\": \"01:00-04:00\"}}");
    /* spring: 02:00 becomes 03:00, so 01:00-04:00 holds 2 hours: 00:00Z-02:00Z */
    assert_int_equal(cal_business_seconds(c, T("2026-03-28T12:00:00Z"), T("2026-03-29T12:00:00Z")),
                     2 * 3600);
    assert_int_equal(cal_add_business(c, T("2026-03-28T12:00:00Z"), 7200), T("2026-03-29T02:00:00Z"));
    assert_int_equal(cal_is_business(c, T("2026-03-29T01:30:00Z")), 1); /* 03:30 CEST */
    /* autumn: 03:00 becomes 02:00 again, so 01:00-04:00 holds 4 hours: 23:00Z-03:00Z */
    assert_int_equal(cal_business_seconds(c, T("2026-10-24T12:00:00Z"), T("2026-10-25T12:00:00Z")),
                     4 * 3600);
    assert_int_equal(cal_add_business(c, T("2026-10-24T12:00:00Z"), 4 * 3600),
                     T("2026-10-25T03:00:00Z"));
    cal_free(c);
}

static void test_dst_southern_and_half_hour(void **state)
{
    (void)state;
    cal_calendar *c =
        cal_json("{\"time_zone\": \"Australia/Sydney\", \"hours\": {\"sun\": \"00:00-24:00\"}}");
    /* Sydney: DST ends Sunday 5 April 2026 (25 h), starts Sunday 4 October 2026 (23 h) */
    assert_int_equal(cal_business_seconds(c, T("2026-04-04T13:00:00Z"), T("2026-04-05T14:00:00Z")),
                     25 * 3600);
    assert_int_equal(cal_business_seconds(c, T("2026-10-03T14:00:00Z"), T("2026-10-04T13:00:00Z")),
                     23 * 3600);
    cal_free(c);
    /* Lord Howe Island moves its clocks by 30 minutes: 5 April 2026 has 24.5 hours */
    c = cal_json("{\"time_zone\": \"Australia/Lord_Howe\", \"hours\": {\"sun\": \"00:00-24:00\"}}");
    assert_int_equal(cal_business_seconds(c, T("2026-04-04T13:00:00Z"), T("2026-04-05T13:30:00Z")),
                     24 * 3600 + 1800);
    cal_free(c);
}

static void test_local_time(void **state)
{
    (void)state;
    cal_calendar *c = cal_json(SHENZHEN);
    cal_local l;
    cal_local_time(c, T("2026-03-06T16:30:00Z"), &l);
    assert_int_equal(l.year, 2026);
    assert_int_equal(l.month, 3);
    assert_int_equal(l.day, 7);
    assert_int_equal(l.wday, 6);
    assert_int_equal(l.hour, 0);
    assert_int_equal(l.minute, 30);
    assert_int_equal(l.offset, 8 * 3600);
    int64_t d;
    assert_int_equal(cal_parse_date("2026-03-07", &d), 0);
    assert_int_equal(l.day_number, d);
    assert_int_equal(cal_day_start(c, d), T("2026-03-07T00:00:00+08:00"));
    assert_int_equal(cal_parse_date("2026-02-30", &d), -1);
    cal_free(c);
    c = cal_json("{\"time_zone\": \"America/Sao_Paulo\", \"hours\": {\"mon\": \"09:00-10:00\"}}");
    assert_int_equal(cal_parse_date("2026-05-15", &d), 0);
    assert_int_equal(cal_day_start(c, d), T("2026-05-15T03:00:00Z"));
    cal_free(c);
}

static void expect_error(const char *json, const char *needle1, const char *needle2)
{
    cJSON *j = cJSON_Parse(json);
    assert_non_null(j);
    cal_calendar *c = (cal_calendar *)1;
    bd_err err = {{0}};
    assert_int_equal(cal_from_json(j, "sla.teams[0]", &c, &err), -1);
    assert_null(c);
    if (!strstr(err.msg, needle1) || !strstr(err.msg, needle2))
        fail_msg("error \"%s\" lacks \"%s\" / \"%s\"", err.msg, needle1, needle2);
    cJSON_Delete(j);
}

static void test_config_errors(void **state)
{
    (void)state;
    expect_error("{\"time_zone\": \"Mars/Olympus_Mons\", \"hours\": {\"mon\": \"09:00-18:00\"}}",
                 "sla.teams[0].time_zone", "unknown time zone \"Mars/Olympus_Mons\"");
    expect_error("{\"hours\": {\"mon\": \"09:00-18:00\"}}", "sla.teams[0].time_zone", "required");
    expect_error("{\"time_zone\": \"Asia/Shanghai\", \"hours\": {\"mon-fri\": [\"09:00-12:00\", "
                 "\"11:00-14:00\"]}}",
                 "sla.teams[0].hours.mon-fri[1]", "overlaps 09:00-12:00 on Monday");
    expect_error("{\"time_zone\": \"Asia/Shanghai\", \"hours\": {\"mon-fri\": \"09:00-18:00\", "
                 "\"wed\": [\"17:00-20:00\"]}}",
                 "sla.teams[0].hours.wed[0]", "overlaps 09:00-18:00 on Wednesday");
    expect_error("{\"time_zone\": \"Asia/Shanghai\", \"hours\": {\"tue\": [\"18:00-09:00\"]}}",
                 "sla.teams[0].hours.tue[0]", "end is not after the start");
    expect_error("{\"time_zone\": \"Asia/Shanghai\", \"hours\": {\"tue\": [\"9-18\"]}}",
                 "sla.teams[0].hours.tue[0]", "not a range");
    expect_error("{\"time_zone\": \"Asia/Shanghai\", \"hours\": {\"tuesday\": [\"09:00-18:00\"]}}",
                 "sla.teams[0].hours.tuesday", "not a weekday");
    expect_error("{\"time_zone\": \"Asia/Shanghai\", \"hours\": {\"sat\": []}}",
                 "sla.teams[0].hours", "no business hours");
    expect_error("{\"time_zone\": \"Asia/Shanghai\", \"hours\": {\"mon\": \"09:00-18:00\"}, "
                 "\"holidays\": [\"2026-10-07..2026-10-01\"]}",
                 "sla.teams[0].holidays[0]", "end date is before the start date");
    expect_error("{\"time_zone\": \"Asia/Shanghai\", \"hours\": {\"mon\": \"09:00-18:00\"}, "
                 "\"holidays\": [\"2026-01-01\", {\"from\": \"2026-05-05\", \"to\": \"2026-05-01\"}]}",
                 "sla.teams[0].holidays[1]", "end date is before");
    expect_error("{\"time_zone\": \"Asia/Shanghai\", \"hours\": {\"mon\": \"09:00-18:00\"}, "
                 "\"holidays\": [\"2026-13-01\"]}",
                 "sla.teams[0].holidays[0]", "YYYY-MM-DD");
}

/* ---- property test ---- */

static const char *const zones[] = {
    "Asia/Shanghai",   "Europe/Madrid",       "America/Sao_Paulo", "America/New_York",
    "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Chatham",   "Asia/Kolkata",
    "America/St_Johns", "Europe/London",       "Pacific/Apia",      "America/Santiago",
    "Asia/Tehran",     "Africa/Casablanca",   "UTC",               "Pacific/Kiritimati"};
#define N_ZONES (sizeof zones / sizeof zones[0])

typedef struct ref_cal {
    int ranges[7][8][2]; /* minutes */
    int n[7];
    int64_t hol[6][2];
    int n_hol;
    UCalendar *uc;
} ref_cal;

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static int64_t rnd_range(int64_t n)
{
    return n > 0 ? (int64_t)(rnd() % (uint64_t)n) : 0;
}

static int ref_business_minute(ref_cal *r, int64_t t)
{
    UErrorCode st = U_ZERO_ERROR;
    ucal_setMillis(r->uc, (UDate)t * 1000.0, &st);
    int y = ucal_get(r->uc, UCAL_YEAR, &st);
    int mo = ucal_get(r->uc, UCAL_MONTH, &st) + 1;
    int d = ucal_get(r->uc, UCAL_DATE, &st);
    int wd = ucal_get(r->uc, UCAL_DAY_OF_WEEK, &st) - 1;
    int minute = ucal_get(r->uc, UCAL_HOUR_OF_DAY, &st) * 60 + ucal_get(r->uc, UCAL_MINUTE, &st);
    assert_false(U_FAILURE(st));
    int64_t day = cal_days_from_civil(y, mo, d);
    for (int i = 0; i < r->n_hol; i++)
        if (day >= r->hol[i][0] && day <= r->hol[i][1]) return 0;
    for (int i = 0; i < r->n[wd]; i++)
        if (minute >= r->ranges[wd][i][0] && minute < r->ranges[wd][i][1]) return 1;
    return 0;
}

static cal_calendar *random_calendar(ref_cal *r, const char *zone)
{
    bd_err err;
    cal_calendar *c = cal_new(zone, &err);
    assert_non_null(c);
    memset(r, 0, sizeof *r);
    int total = 0;
    for (int d = 0; d < 7; d++) {
        int k = (int)rnd_range(4);
        if (rnd_range(10) == 0) { /* whole days make intervals meet at midnight */
            r->ranges[d][0][0] = 0;
            r->ranges[d][0][1] = 1440;
            r->n[d] = 1;
        } else {
            int pts[8], np = 0;
            while (np < 2 * k) {
                int v = (int)rnd_range(1441), dup = 0;
                for (int i = 0; i < np; i++) dup |= pts[i] == v;
                if (!dup) pts[np++] = v;
            }
            for (int i = 1; i < np; i++) /* insertion sort */
                for (int j = i; j > 0 && pts[j - 1] > pts[j]; j--) {
                    int t = pts[j];
                    pts[j] = pts[j - 1];
                    pts[j - 1] = t;
                }
            for (int i = 0; i < k; i++) {
                r->ranges[d][i][0] = pts[2 * i];
                r->ranges[d][i][1] = pts[2 * i + 1];
            }
            r->n[d] = k;
        }
        for (int i = 0; i < r->n[d]; i++) {
            assert_int_equal(cal_add_hours(c, d, r->ranges[d][i][0], r->ranges[d][i][1], &err), 0);
            total += r->ranges[d][i][1] - r->ranges[d][i][0];
        }
    }
    if (total == 0) {
        r->ranges[1][0][0] = 540;
        r->ranges[1][0][1] = 1020;
        r->n[1] = 1;
        assert_int_equal(cal_add_hours(c, 1, 540, 1020, &err), 0);
    }
    r->n_hol = (int)rnd_range(6);
    for (int i = 0; i < r->n_hol; i++) {
        int64_t first = cal_days_from_civil(2019, 1, 1) + rnd_range(8 * 366);
        r->hol[i][0] = first;
        r->hol[i][1] = first + rnd_range(6);
        assert_int_equal(cal_add_holidays(c, r->hol[i][0], r->hol[i][1], &err), 0);
    }
    UChar uz[64];
    u_uastrcpy(uz, zone);
    UErrorCode st = U_ZERO_ERROR;
    r->uc = ucal_open(uz, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
    assert_false(U_FAILURE(st));
    return c;
}

/* A start near one of the zone's offset transitions, or anywhere in 2019-2026. */
static int64_t random_start(ref_cal *r)
{
    int64_t base = T("2019-01-01T00:00:00Z") + rnd_range(8LL * 365 * 1440) * 60;
    if (rnd_range(10) < 4) {
        UErrorCode st = U_ZERO_ERROR;
        UDate u;
        ucal_setMillis(r->uc, (UDate)base * 1000.0, &st);
        if (ucal_getTimeZoneTransitionDate(r->uc, UCAL_TZ_TRANSITION_NEXT, &u, &st) &&
            !U_FAILURE(st) && u / 1000.0 < 2.0e9)
            base = (int64_t)(u / 1000.0) / 60 * 60 - rnd_range(3 * 1440) * 60;
    }
    return base;
}

static void test_property_brute_force(void **state)
{
    (void)state;
    const char *seed = getenv("BD_PROPERTY_SEED");
    if (seed) rng_state = strtoull(seed, NULL, 10) | 1;
    int cases = 0, calendars = 0;
    long minutes = 0;
    while (cases < 4000) {
        ref_cal r;
        const char *zone = zones[rnd_range(N_ZONES)];
        cal_calendar *c = random_calendar(&r, zone);
        calendars++;
        for (int k = 0; k < 20; k++, cases++) {
            int64_t t0 = random_start(&r);
            int64_t len = rnd_range(2) ? rnd_range(3 * 1440) : rnd_range(600);
            int64_t t1 = t0 + len * 60;
            int64_t count = 0;
            int64_t want = 1 + rnd_range(len > 0 ? len : 1); /* business minutes to add */
            int64_t want_at = 0;
            for (int64_t t = t0; t < t1; t += 60) {
                count += ref_business_minute(&r, t);
                if (!want_at && count == want) want_at = t + 60;
            }
            minutes += len;
            int64_t got = cal_business_seconds(c, t0, t1);
            if (got != count * 60)
                fail_msg("%s [%lld, %lld): engine %lld s, reference %lld s", zone, (long long)t0,
                         (long long)t1, (long long)got, (long long)(count * 60));
            if (want_at) {
                int64_t at = cal_add_business(c, t0, want * 60);
                if (at != want_at)
                    fail_msg("%s add %lld min from %lld: engine %lld, reference %lld", zone,
                             (long long)want, (long long)t0, (long long)at, (long long)want_at);
            }
            int64_t probe = t0 + rnd_range(len + 1) * 60;
            assert_int_equal(cal_is_business(c, probe), ref_business_minute(&r, probe));
        }
        ucal_close(r.uc);
        cal_free(c);
    }
    printf("property: %d cases on %d random calendars, %ld minutes checked\n", cases, calendars,
           minutes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weekend_across_zones),
        cmocka_unit_test(test_lunch_and_holidays),
        cmocka_unit_test(test_overnight_gap),
        cmocka_unit_test(test_dst_europe),
        cmocka_unit_test(test_dst_southern_and_half_hour),
        cmocka_unit_test(test_local_time),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_property_brute_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
