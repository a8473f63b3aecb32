/*
 * calendar.h — business calendars: an IANA time zone, weekly business hours and holidays,
 * and the arithmetic of business time on them (how much working time lies between two
 * instants; when a given amount of working time has elapsed).
 *
 * Meaning: an instant is "business time" when the wall clock of the calendar's zone at that
 * instant shows a working day (not a holiday) and a time of day inside one of that
 * weekday's hour ranges. Everything follows from that rule, DST included: on the day the
 * clocks go forward, 01:00-04:00 holds two hours of business time; on the day they go back
 * it holds four. Time-zone rules come from ICU (ucal_*), never from hand-written offsets.
 *
 * Instants are Unix seconds (UTC). Dates are local days of the calendar's zone.
 * A calendar caches the business intervals of the years it has been asked about, so its
 * functions take a non-const pointer; a calendar is not shared between threads.
 */
#ifndef BORDERDESK_CALENDAR_H
#define BORDERDESK_CALENDAR_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "borderdesk/util.h"

typedef struct cal_calendar cal_calendar;

/* Returned by cal_add_business when the amount is never reached (no business hours within
 * a century). */
#define CAL_NEVER INT64_MAX

/* A new calendar in the IANA zone (e.g. "Asia/Shanghai") with no hours and no holidays.
 * Returns NULL with err set when ICU does not know the zone. Free with cal_free. */
cal_calendar *cal_new(const char *zone, bd_err *err);
void cal_free(cal_calendar *c); /* NULL-safe */
/* A calendar like c (zone, hours, holidays and the intervals cached so far) for another
 * thread. NULL with err set when ICU cannot clone the zone. Free with cal_free. */
cal_calendar *cal_copy(const cal_calendar *c, bd_err *err);
const char *cal_zone(const cal_calendar *c);

/* Adds business hours [start_min, end_min) (minutes after local midnight, end up to 1440)
 * on weekday wday (0 = Sunday .. 6 = Saturday). Refuses end <= start and overlaps with
 * hours already given for that day; the message says which. */
int cal_add_hours(cal_calendar *c, int wday, int start_min, int end_min, bd_err *err);
/* Marks the local days first..last (days since 1970-01-01, inclusive) as holidays. */
int cal_add_holidays(cal_calendar *c, int64_t first_day, int64_t last_day, bd_err *err);
/* Minutes of business hours in a plain week (for validation: 0 means never open). */
int cal_week_minutes(const cal_calendar *c);

/* Builds a calendar from a configuration object:
 *   {"time_zone": "Asia/Shanghai",
 *    "hours": {"mon-fri": ["09:00-12:00", "13:00-18:00"], "sat": ["10:00-14:00"]},
 *    "holidays": ["2026-10-01..2026-10-07", "2026-01-01", {"from": D, "to": D, "name": S}]}
 * where names the object in error messages (e.g. "sla.teams[0]"). Every error names the
 * offending key: unknown zone, malformed or overlapping hours, an end before a start. */
int cal_from_json(const cJSON *obj, const char *where, cal_calendar **out, bd_err *err);

/* Business seconds in [from, to); 0 when to <= from. */
int64_t cal_business_seconds(cal_calendar *c, int64_t from, int64_t to);
/* The earliest instant t >= from with cal_business_seconds(c, from, t) == amount
 * (amount <= 0 gives from), or CAL_NEVER. */
int64_t cal_add_business(cal_calendar *c, int64_t from, int64_t amount);
/* 1 when the instant t is business time, else 0. */
int cal_is_business(cal_calendar *c, int64_t t);

/* ---- local dates in the calendar's zone ---- */
typedef struct cal_local {
    int year, month, day;   /* month 1..12 */
    int wday;               /* 0 = Sunday */
    int hour, minute, second;
    int64_t day_number;     /* days since 1970-01-01 of the local date */
    int offset;             /* UTC offset in seconds at that instant */
} cal_local;
/* The wall clock of the zone at instant t (through ICU). */
void cal_local_time(cal_calendar *c, int64_t t, cal_local *out);
/* The instant of the first moment of local day `day_number` (midnight, or the first
 * existing time when midnight is skipped by DST). */
int64_t cal_day_start(cal_calendar *c, int64_t day_number);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t cal_days_from_civil(int year, int month, int day);
void cal_civil_from_days(int64_t days, int *year, int *month, int *day);
/* Parses "YYYY-MM-DD" into a day number; 0 or -1. */
int cal_parse_date(const char *s, int64_t *day_number);

#endif
