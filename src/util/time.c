/* time.c — RFC 3339 parsing and formatting in UTC, without the process time zone. */
#include "borderdesk/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t bd_now(void)
{
    /* BORDERDESK_NOW (RFC 3339) replays history and makes tests reproducible */
    const char *fixed = getenv("BORDERDESK_NOW");
    int64_t t;
    if (fixed && *fixed && bd_time_parse(fixed, &t) == 0) return t;
    return (int64_t)time(NULL);
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's method). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dm[m - 1];
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int parse_date(const char *s, int *y, int *mo, int *d)
{
    if (digits(s, 4, y) || s[4] != '-' || digits(s + 5, 2, mo) || s[7] != '-' ||
        digits(s + 8, 2, d))
        return -1;
    if (*mo < 1 || *mo > 12 || *d < 1 || *d > days_in_month(*y, *mo)) return -1;
    return 0;
}

int bd_time_parse(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, se;
    if (!s || strlen(s) < 20) return -1;
    if (parse_date(s, &y, &mo, &d)) return -1;
    if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &h) ||
        s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
        return -1;
    if (h > 23 || mi > 59 || se > 60) return -1;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p)) return -1;
        while (isdigit((unsigned char)*p)) p++;
    }
    int offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p) return -1;
    if (se == 60) se = 59; /* leap second: clamp */
    *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se -
           offset;
    return 0;
}

int bd_time_parse_loose(const char *s, int64_t *out)
{
    int y, mo, d;
    if (s && strlen(s) == 10 && parse_date(s, &y, &mo, &d) == 0) {
        *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400;
        return 0;
    }
    return bd_time_parse(s, out);
}

void bd_time_format(int64_t t, char *out, size_t outlen)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void bd_time_age(int64_t s, char *out, size_t outlen)
{
    if (s < 0) s = 0;
    if (s < 60) snprintf(out, outlen, "%llds", (long long)s);
    else if (s < 3600) snprintf(out, outlen, "%lldm", (long long)(s / 60));
    else if (s < 172800) snprintf(out, outlen, "%lldh", (long long)(s / 3600));
    else snprintf(out, outlen, "%lldd", (long long)(s / 86400));
}
