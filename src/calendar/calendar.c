/*
 * calendar.c — business calendars on ICU time zones.
 *
 * The engine turns weekly hours and holidays into a sorted list of business intervals in
 * UTC for a span of years, with running totals, so that business time between two instants
 * is two binary searches. The list is built from the zone's offset segments (between two
 * ICU transitions the UTC offset is constant): an hour range [s, e) of a local day D is, in
 * a segment with offset o, the instants [D*86400 + s - o, D*86400 + e - o) inside the
 * segment. That is exactly the set of instants whose wall clock lies in the range, so DST
 * gaps shorten a day and repeated hours lengthen it, as they do for the people working.
 */
#include "borderdesk/calendar.h"
#include "borderdesk/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#define CAL_MAX_RANGES 16            /* hour ranges per weekday */
#define CAL_DAY 86400
#define CAL_YEAR (366 * (int64_t)CAL_DAY)
#define CAL_MIN_TIME (-2208988800LL) /* 1900-01-01: the engine's range */
#define CAL_MAX_TIME 10413792000LL   /* 2300-01-01 */
#define CAL_OFFSET_SLACK (16 * 3600) /* larger than any UTC offset */

typedef struct cal_range {
    int32_t start, end; /* seconds after local midnight */
} cal_range;

typedef struct cal_holiday {
    int64_t first, last; /* day numbers, inclusive */
} cal_holiday;

typedef struct cal_segment {
    int64_t start, end; /* instants with a constant offset */
    int32_t offset;
} cal_segment;

struct cal_calendar {
    char *zone;
    UCalendar *uc;
    cal_range hours[7][CAL_MAX_RANGES];
    int n_hours[7];
    cal_holiday *hol;
    size_t n_hol, cap_hol;
    /* cache: business intervals [start[i], end[i]) covering instants [lo, hi) */
    int cached;
    int64_t lo, hi;
    int64_t *start, *end, *cum; /* cum[i]: business seconds in [lo, start[i]) */
    size_t n, cap;
};

static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
static const char *const day_long[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                       "Thursday", "Friday", "Saturday"};

/* ---- dates (H. Hinnant's civil-day algorithms) ---- */

int64_t cal_days_from_civil(int year, int month, int day)
{
    int64_t y = year - (month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void cal_civil_from_days(int64_t z, int *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(y + (m <= 2));
    *month = (int)m;
    *day = (int)d;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int wday_of(int64_t day_number)
{
    return (int)(((day_number % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
}

int cal_parse_date(const char *s, int64_t *day_number)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-') return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return -1;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    if (m < 1 || m > 12 || d < 1) return -1;
    int y2, m2, d2;
    int64_t n = cal_days_from_civil(y, m, d);
    cal_civil_from_days(n, &y2, &m2, &d2);
    if (y2 != y || m2 != m || d2 != d) return -1; /* 2026-02-30 */
    *day_number = n;
    return 0;
}

/* ---- life cycle ---- */

cal_calendar *cal_new(const char *zone, bd_err *err)
{
    if (!zone || !*zone || strlen(zone) > 63) {
        bd_err_set(err, "time zone must be an IANA name such as \"Asia/Shanghai\"");
        return NULL;
    }
    UChar uzone[64], canon[128];
    u_uastrcpy(uzone, zone);
    UErrorCode st = U_ZERO_ERROR;
    UBool system_id = 0;
    ucal_getCanonicalTimeZoneID(uzone, -1, canon, 128, &system_id, &st);
    if (U_FAILURE(st) || !system_id) {
        bd_err_set(err, "unknown time zone \"%s\" (use an IANA name such as \"Europe/Madrid\")",
                   zone);
        return NULL;
    }
    st = U_ZERO_ERROR;
    UCalendar *uc = ucal_open(uzone, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st)) {
        bd_err_set(err, "time zone \"%s\": %s", zone, u_errorName(st));
        return NULL;
    }
    cal_calendar *c = bd_calloc(1, sizeof *c);
    c->zone = bd_strdup(zone);
    c->uc = uc;
    return c;
}

void cal_free(cal_calendar *c)
{
    if (!c) return;
    if (c->uc) ucal_close(c->uc);
    free(c->zone);
    free(c->hol);
    free(c->start);
    free(c->end);
    free(c->cum);
    free(c);
}

cal_calendar *cal_copy(const cal_calendar *c, bd_err *err)
{
    UErrorCode st = U_ZERO_ERROR;
    UCalendar *uc = ucal_clone(c->uc, &st);
    if (U_FAILURE(st)) {
        bd_err_set(err, "time zone \"%s\": %s", c->zone, u_errorName(st));
        return NULL;
    }
    cal_calendar *x = bd_malloc(sizeof *x);
    *x = *c;
    x->zone = bd_strdup(c->zone);
    x->uc = uc;
    x->hol = bd_malloc((c->n_hol ? c->n_hol : 1) * sizeof *x->hol);
    if (c->n_hol) memcpy(x->hol, c->hol, c->n_hol * sizeof *x->hol);
    x->cap_hol = c->n_hol;
    /* the interval cache comes along, so the copy does not rebuild the years it covers */
    size_t n = c->cached ? c->n : 0;
    x->start = bd_malloc((n ? n : 1) * sizeof *x->start);
    x->end = bd_malloc((n ? n : 1) * sizeof *x->end);
    x->cum = bd_malloc((n ? n : 1) * sizeof *x->cum);
    if (n) {
        memcpy(x->start, c->start, n * sizeof *x->start);
        memcpy(x->end, c->end, n * sizeof *x->end);
        memcpy(x->cum, c->cum, n * sizeof *x->cum);
    }
    x->n = x->cap = n;
    return x;
}

const char *cal_zone(const cal_calendar *c)
{
    return c->zone;
}

static void invalidate(cal_calendar *c)
{
    c->cached = 0;
    c->n = 0;
}

static void fmt_hm(int secs, char *out)
{
    int m = secs / 60;
    out[0] = (char)('0' + m / 600);
    out[1] = (char)('0' + m / 60 % 10);
    out[2] = ':';
    out[3] = (char)('0' + m % 60 / 10);
    out[4] = (char)('0' + m % 10);
    out[5] = '\0';
}

int cal_add_hours(cal_calendar *c, int wday, int start_min, int end_min, bd_err *err)
{
    if (wday < 0 || wday > 6) return bd_err_set(err, "weekday %d out of range", wday);
    if (start_min < 0 || start_min > 1440 || end_min < 0 || end_min > 1440)
        return bd_err_set(err, "hours must lie between 00:00 and 24:00");
    if (end_min <= start_min)
        return bd_err_set(err, "the end is not after the start (hours never cross midnight: "
                               "split them over two days)");
    int s = start_min * 60, e = end_min * 60;
    for (int i = 0; i < c->n_hours[wday]; i++) {
        cal_range *r = &c->hours[wday][i];
        if (s < r->end && r->start < e) {
            char a[8], b[8];
            fmt_hm(r->start, a);
            fmt_hm(r->end, b);
            return bd_err_set(err, "overlaps %s-%s on %s", a, b, day_long[wday]);
        }
    }
    if (c->n_hours[wday] == CAL_MAX_RANGES)
        return bd_err_set(err, "more than %d hour ranges on %s", CAL_MAX_RANGES, day_long[wday]);
    int k = c->n_hours[wday]++;
    while (k > 0 && c->hours[wday][k - 1].start > s) {
        c->hours[wday][k] = c->hours[wday][k - 1];
        k--;
    }
    c->hours[wday][k] = (cal_range){s, e};
    invalidate(c);
    return 0;
}

int cal_add_holidays(cal_calendar *c, int64_t first, int64_t last, bd_err *err)
{
    if (last < first) return bd_err_set(err, "the end date is before the start date");
    if (c->n_hol == c->cap_hol) {
        c->cap_hol = c->cap_hol ? c->cap_hol * 2 : 8;
        c->hol = bd_realloc(c->hol, c->cap_hol * sizeof *c->hol);
    }
    size_t k = c->n_hol++;
    while (k > 0 && c->hol[k - 1].first > first) {
        c->hol[k] = c->hol[k - 1];
        k--;
    }
    c->hol[k] = (cal_holiday){first, last};
    invalidate(c);
    return 0;
}

int cal_week_minutes(const cal_calendar *c)
{
    int total = 0;
    for (int d = 0; d < 7; d++)
        for (int i = 0; i < c->n_hours[d]; i++)
            total += (c->hours[d][i].end - c->hours[d][i].start) / 60;
    return total;
}

static int is_holiday(const cal_calendar *c, int64_t day)
{
    /* holidays are sorted by first day; ranges may overlap, so scan the candidates */
    size_t lo = 0, hi = c->n_hol;
    while (lo < hi) { /* first holiday with first > day */
        size_t mid = (lo + hi) / 2;
        if (c->hol[mid].first <= day) lo = mid + 1;
        else hi = mid;
    }
    for (size_t i = lo; i-- > 0;)
        if (c->hol[i].last >= day) return 1;
    return 0;
}

/* ---- time zone access ---- */

static int32_t offset_at(cal_calendar *c, int64_t t)
{
    UErrorCode st = U_ZERO_ERROR;
    ucal_setMillis(c->uc, (UDate)t * 1000.0, &st);
    int32_t z = ucal_get(c->uc, UCAL_ZONE_OFFSET, &st);
    int32_t d = ucal_get(c->uc, UCAL_DST_OFFSET, &st);
    if (U_FAILURE(st)) return 0;
    return (z + d) / 1000;
}

/* The next offset change after t, or 0 when there is none before `until`. */
static int next_transition(cal_calendar *c, int64_t t, int64_t until, int64_t *out)
{
    UErrorCode st = U_ZERO_ERROR;
    ucal_setMillis(c->uc, (UDate)t * 1000.0, &st);
    UDate u;
    UBool found = ucal_getTimeZoneTransitionDate(c->uc, UCAL_TZ_TRANSITION_NEXT, &u, &st);
    if (U_FAILURE(st) || !found) return 0;
    int64_t n = (int64_t)floor(u / 1000.0);
    if (n <= t) n = t + 1;
    if (n >= until) return 0;
    *out = n;
    return 1;
}

static cal_segment *segments(cal_calendar *c, int64_t from, int64_t to, size_t *n)
{
    size_t cap = 16;
    cal_segment *s = bd_malloc(cap * sizeof *s);
    *n = 0;
    int64_t seg_start = from, cur = from;
    int32_t off = offset_at(c, cur);
    for (;;) {
        int64_t next;
        int more = next_transition(c, cur, to, &next);
        int32_t noff = more ? offset_at(c, next) : off;
        if (!more || noff != off) { /* a transition that only renames the zone is skipped */
            if (*n == cap) s = bd_realloc(s, (cap *= 2) * sizeof *s);
            s[(*n)++] = (cal_segment){seg_start, more ? next : to, off};
            if (!more) break;
            seg_start = next;
            off = noff;
        }
        cur = next;
    }
    return s;
}

/* ---- the interval cache ---- */

typedef struct cal_piece {
    int64_t start, end;
} cal_piece;

static int piece_cmp(const void *a, const void *b)
{
    const cal_piece *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static void push_piece(cal_piece **p, size_t *n, size_t *cap, int64_t s, int64_t e)
{
    if (*n == *cap) *p = bd_realloc(*p, (*cap = *cap ? *cap * 2 : 256) * sizeof **p);
    (*p)[(*n)++] = (cal_piece){s, e};
}

/* Rebuilds the cache to cover [lo, hi). */
static void build(cal_calendar *c, int64_t lo, int64_t hi)
{
    size_t nseg;
    cal_segment *seg = segments(c, lo - 2 * CAL_DAY, hi + 2 * CAL_DAY, &nseg);
    cal_piece *p = NULL;
    size_t np = 0, pcap = 0, k = 0;
    int64_t d_first = floor_div(lo, CAL_DAY) - 2, d_last = floor_div(hi, CAL_DAY) + 2;
    for (int64_t d = d_first; d <= d_last; d++) {
        int wd = wday_of(d);
        if (!c->n_hours[wd] || is_holiday(c, d)) continue;
        for (int i = 0; i < c->n_hours[wd]; i++) {
            int64_t l0 = d * CAL_DAY + c->hours[wd][i].start;
            int64_t l1 = d * CAL_DAY + c->hours[wd][i].end;
            while (k < nseg && seg[k].end <= l0 - CAL_OFFSET_SLACK) k++;
            for (size_t j = k; j < nseg && seg[j].start < l1 + CAL_OFFSET_SLACK; j++) {
                int64_t s = l0 - seg[j].offset, e = l1 - seg[j].offset;
                if (s < seg[j].start) s = seg[j].start;
                if (e > seg[j].end) e = seg[j].end;
                if (s < lo) s = lo;
                if (e > hi) e = hi;
                if (s < e) push_piece(&p, &np, &pcap, s, e);
            }
        }
    }
    free(seg);
    if (np) qsort(p, np, sizeof *p, piece_cmp);
    if (np > c->cap) {
        c->cap = np;
        c->start = bd_realloc(c->start, np * sizeof *c->start);
        c->end = bd_realloc(c->end, np * sizeof *c->end);
        c->cum = bd_realloc(c->cum, np * sizeof *c->cum);
    }
    c->n = 0;
    int64_t total = 0;
    for (size_t i = 0; i < np; i++) {
        if (c->n && p[i].start <= c->end[c->n - 1]) { /* adjacent: merge */
            if (p[i].end > c->end[c->n - 1]) {
                total += p[i].end - c->end[c->n - 1];
                c->end[c->n - 1] = p[i].end;
            }
            continue;
        }
        c->start[c->n] = p[i].start;
        c->end[c->n] = p[i].end;
        c->cum[c->n] = total;
        total += p[i].end - p[i].start;
        c->n++;
    }
    free(p);
    c->lo = lo;
    c->hi = hi;
    c->cached = 1;
}

static int64_t clamp_time(int64_t t)
{
    return t < CAL_MIN_TIME ? CAL_MIN_TIME : t > CAL_MAX_TIME ? CAL_MAX_TIME : t;
}

/* Makes the cache cover [a, b] (clamped to the engine's range), growing it in whole years
 * so that nearby queries reuse it. */
static void ensure(cal_calendar *c, int64_t a, int64_t b)
{
    a = clamp_time(a);
    b = clamp_time(b);
    if (c->cached && a >= c->lo && b < c->hi) return;
    int64_t lo = c->cached ? (a < c->lo ? a - CAL_YEAR : c->lo) : a - CAL_YEAR;
    int64_t hi = c->cached ? (b >= c->hi ? b + CAL_YEAR : c->hi) : b + CAL_YEAR;
    build(c, clamp_time(lo), clamp_time(hi) + 1);
}

/* Business seconds in [lo, t) for t inside the cache. */
static int64_t cumulative(const cal_calendar *c, int64_t t)
{
    size_t lo = 0, hi = c->n; /* first interval with start > t */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->start[mid] <= t) lo = mid + 1;
        else hi = mid;
    }
    if (lo == 0) return 0;
    size_t i = lo - 1;
    return c->cum[i] + (t < c->end[i] ? t : c->end[i]) - c->start[i];
}

int64_t cal_business_seconds(cal_calendar *c, int64_t from, int64_t to)
{
    if (to <= from) return 0;
    ensure(c, from, to);
    return cumulative(c, clamp_time(to)) - cumulative(c, clamp_time(from));
}

int cal_is_business(cal_calendar *c, int64_t t)
{
    return cal_business_seconds(c, t, t + 1) == 1;
}

int64_t cal_add_business(cal_calendar *c, int64_t from, int64_t amount)
{
    if (amount <= 0) return from;
    int64_t span = amount * 4 + 14 * (int64_t)CAL_DAY;
    for (;;) {
        int64_t to = from + span;
        if (to > CAL_MAX_TIME) to = CAL_MAX_TIME;
        ensure(c, from, to);
        int64_t target = cumulative(c, from) + amount;
        size_t lo = 0, hi = c->n; /* first interval whose end total reaches target */
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (c->cum[mid] + (c->end[mid] - c->start[mid]) < target) lo = mid + 1;
            else hi = mid;
        }
        if (lo < c->n) {
            int64_t t = c->start[lo] + (target - c->cum[lo]);
            if (t >= from) return t;
        }
        if (to >= CAL_MAX_TIME || span > 100 * CAL_YEAR) return CAL_NEVER;
        span *= 2;
    }
}

/* ---- local time ---- */

void cal_local_time(cal_calendar *c, int64_t t, cal_local *out)
{
    int32_t off = offset_at(c, t);
    int64_t local = t + off;
    int64_t day = floor_div(local, CAL_DAY);
    int64_t sod = local - day * CAL_DAY;
    memset(out, 0, sizeof *out);
    cal_civil_from_days(day, &out->year, &out->month, &out->day);
    out->day_number = day;
    out->wday = wday_of(day);
    out->hour = (int)(sod / 3600);
    out->minute = (int)(sod / 60 % 60);
    out->second = (int)(sod % 60);
    out->offset = off;
}

int64_t cal_day_start(cal_calendar *c, int64_t day)
{
    /* the first instant whose local day is >= day, by bisection around the nominal time */
    int64_t lo = day * CAL_DAY - CAL_OFFSET_SLACK, hi = day * CAL_DAY + CAL_OFFSET_SLACK;
    while (lo < hi) {
        int64_t mid = floor_div(lo + hi, 2);
        int64_t local_day = floor_div(mid + offset_at(c, mid), CAL_DAY);
        if (local_day >= day) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

/* ---- configuration ---- */

static int parse_hm(const char *s, int *minutes)
{
    if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] == ':' &&
          s[3] >= '0' && s[3] <= '5' && s[4] >= '0' && s[4] <= '9'))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || (h == 24 && m != 0)) return -1;
    *minutes = h * 60 + m;
    return 0;
}

static int day_index(const char *s, size_t n)
{
    for (int i = 0; i < 7; i++)
        if (n == 3 && strncmp(s, day_names[i], 3) == 0) return i;
    return -1;
}

/* "mon", "mon-fri", "sat-sun": fills days[7]; -1 when the key is not a day or range. */
static int parse_days(const char *key, int days[7])
{
    memset(days, 0, 7 * sizeof *days);
    const char *dash = strchr(key, '-');
    int a = day_index(key, dash ? (size_t)(dash - key) : strlen(key));
    int b = dash ? day_index(dash + 1, strlen(dash + 1)) : a;
    if (a < 0 || b < 0) return -1;
    for (int d = a;; d = (d + 1) % 7) {
        days[d] = 1;
        if (d == b) break;
    }
    return 0;
}

static int parse_hours(cal_calendar *c, const cJSON *hours, const char *where, bd_err *err)
{
    if (!cJSON_IsObject(hours))
        return bd_err_set(err, "%s.hours: must be an object such as "
                               "{\"mon-fri\": [\"09:00-18:00\"]}", where);
    for (const cJSON *k = hours->child; k; k = k->next) {
        int days[7];
        if (parse_days(k->string, days))
            return bd_err_set(err, "%s.hours.%s: not a weekday or range of weekdays (mon, tue, "
                                   "wed, thu, fri, sat, sun, or e.g. mon-fri)", where, k->string);
        const cJSON *list = k;
        int single = cJSON_IsString(k);
        if (!single && !cJSON_IsArray(k))
            return bd_err_set(err, "%s.hours.%s: must be a list of \"HH:MM-HH:MM\" ranges",
                              where, k->string);
        int idx = 0;
        for (const cJSON *r = single ? k : list->child; r; r = single ? NULL : r->next, idx++) {
            char key[160];
            if (single) snprintf(key, sizeof key, "%s.hours.%s", where, k->string);
            else snprintf(key, sizeof key, "%s.hours.%s[%d]", where, k->string, idx);
            const char *v = cJSON_IsString(r) ? r->valuestring : NULL;
            int s, e;
            if (!v || strlen(v) != 11 || v[5] != '-' || parse_hm(v, &s) || parse_hm(v + 6, &e))
                return bd_err_set(err, "%s: \"%s\" is not a range like \"09:00-18:00\"", key,
                                  v ? v : "(not a string)");
            for (int d = 0; d < 7; d++) {
                bd_err e2;
                if (days[d] && cal_add_hours(c, d, s, e, &e2))
                    return bd_err_set(err, "%s: \"%s\": %s", key, v, e2.msg);
            }
        }
    }
    return 0;
}

static int parse_holiday(cal_calendar *c, const cJSON *h, const char *key, bd_err *err)
{
    const char *from = NULL, *to = NULL;
    char a[16] = "", b[16] = "";
    if (cJSON_IsString(h)) {
        const char *v = h->valuestring, *dots = strstr(v, "..");
        if (dots && (size_t)(dots - v) < sizeof a && strlen(dots + 2) < sizeof b) {
            memcpy(a, v, (size_t)(dots - v));
            a[dots - v] = '\0';
            strcpy(b, dots + 2);
            from = a;
            to = b;
        } else {
            from = to = v;
        }
    } else if (cJSON_IsObject(h)) {
        from = bd_json_str(h, "from");
        to = bd_json_str(h, "to");
        if (!to) to = from;
    }
    int64_t d0, d1;
    if (!from || cal_parse_date(from, &d0) || cal_parse_date(to, &d1))
        return bd_err_set(err, "%s: a holiday is \"YYYY-MM-DD\", \"YYYY-MM-DD..YYYY-MM-DD\" "
                               "or {\"from\": ..., \"to\": ...}", key);
    bd_err e2;
    if (cal_add_holidays(c, d0, d1, &e2))
        return bd_err_set(err, "%s: %s..%s: %s", key, from, to, e2.msg);
    return 0;
}

int cal_from_json(const cJSON *obj, const char *where, cal_calendar **out, bd_err *err)
{
    *out = NULL;
    if (!cJSON_IsObject(obj)) return bd_err_set(err, "%s: must be an object", where);
    const cJSON *tz = cJSON_GetObjectItemCaseSensitive(obj, "time_zone");
    if (!cJSON_IsString(tz))
        return bd_err_set(err, "%s.time_zone: required, an IANA name such as \"Asia/Shanghai\"",
                          where);
    bd_err e2;
    cal_calendar *c = cal_new(tz->valuestring, &e2);
    if (!c) return bd_err_set(err, "%s.time_zone: %s", where, e2.msg);
    const cJSON *hours = cJSON_GetObjectItemCaseSensitive(obj, "hours");
    if (!hours) {
        cal_free(c);
        return bd_err_set(err, "%s.hours: required (e.g. {\"mon-fri\": [\"09:00-18:00\"]})",
                          where);
    }
    if (parse_hours(c, hours, where, err)) goto fail;
    if (cal_week_minutes(c) == 0) {
        bd_err_set(err, "%s.hours: no business hours in the whole week", where);
        goto fail;
    }
    const cJSON *hol = cJSON_GetObjectItemCaseSensitive(obj, "holidays");
    if (hol && !cJSON_IsArray(hol)) {
        bd_err_set(err, "%s.holidays: must be a list of dates and date ranges", where);
        goto fail;
    }
    int i = 0;
    for (const cJSON *h = hol ? hol->child : NULL; h; h = h->next, i++) {
        char key[160];
        snprintf(key, sizeof key, "%s.holidays[%d]", where, i);
        if (parse_holiday(c, h, key, err)) goto fail;
    }
    *out = c;
    return 0;
fail:
    cal_free(c);
    return -1;
}
