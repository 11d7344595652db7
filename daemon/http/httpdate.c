/*
 * httpdate.c — HTTP dates (RFC 9110 §5.6.7) to and from time_t, with our own
 * calendar arithmetic (proleptic Gregorian, days from 1970-01-01), so that
 * neither the locale nor the TZ variable nor a static struct tm is involved.
 *
 * Accepted, exactly as the grammar says (case-sensitive, single spaces):
 *   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"
 *   RFC 850      "Sunday, 06-Nov-94 08:49:37 GMT"
 *   asctime      "Sun Nov  6 08:49:37 1994"    (day also as "06")
 * plus whitespace around the whole value. Rejected: days that do not exist
 * (Feb 30, Feb 29 of a common year), hours > 23, minutes > 59, seconds > 60,
 * and a day name that is not the weekday of the date. A leap second (":60")
 * counts as the first second of the next minute. Years are 0000..9999.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "httpdate.h"

static const char *const day_names[7] = {
    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};

static const char *const day_names_long[7] = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
};

static const char *const month_names[12] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

#define SECS_PER_DAY 86400

/* First and last second whose IMF-fixdate has a four-digit year:
 * 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z. */
#define FIRST_SECOND INT64_C(-62167219200)
#define LAST_SECOND INT64_C(253402300799)

/* A broken-down UTC time; month 1..12, day 1..31, weekday 0 = Sunday. */
struct civil {
    int64_t year;
    int month, day, hour, min, sec, wday;
};

/* Floor division, for days and seconds before the epoch. */
static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Weekday (0 = Sunday) of a day counted from 1970-01-01, a Thursday. */
static int weekday(int64_t days)
{
    return (int)(days - floor_div(days + 4, 7) * 7 + 4);
}

/* Days from 1970-01-01 to year-month-day (month 1..12; day may run past the
 * month's end, it simply counts on). H. Hinnant's days_from_civil. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = floor_div(y, 400);
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The inverse of days_from_civil, also filling in the weekday. */
static void civil_from_days(int64_t z, struct civil *c)
{
    int64_t era, doe, yoe, doy, mp;

    c->wday = weekday(z);
    z += 719468;
    era = floor_div(z, 146097);
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    c->day = (int)(doy - (153 * mp + 2) / 5 + 1);
    c->month = (int)(mp < 10 ? mp + 3 : mp - 9);
    c->year = yoe + era * 400 + (c->month <= 2);
}

/* Whether year y of the proleptic Gregorian calendar has a Feb 29. */
static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Number of days in month m (1..12) of year y. */
static int month_days(int64_t y, int m)
{
    static const unsigned char days[12] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
    };

    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Writes the n low decimal digits of v (v >= 0) at p, zero-padded. */
static void put_digits(char *p, int64_t v, int n)
{
    while (n-- > 0) {
        p[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* See httpdate.h. t outside years 0000..9999 is clamped to that range. */
char *httpdate_format(time_t t, char buf[HTTPDATE_LEN])
{
    int64_t s = (int64_t)t, days, sod;
    struct civil c;

    if (s < FIRST_SECOND)
        s = FIRST_SECOND;
    if (s > LAST_SECOND)
        s = LAST_SECOND;
    days = floor_div(s, SECS_PER_DAY);
    sod = s - days * SECS_PER_DAY;
    civil_from_days(days, &c);

    /* "Sun, 06 Nov 1994 08:49:37 GMT" */
    memcpy(buf, day_names[c.wday], 3);
    memcpy(buf + 3, ", ", 2);
    put_digits(buf + 5, c.day, 2);
    buf[7] = ' ';
    memcpy(buf + 8, month_names[c.month - 1], 3);
    buf[11] = ' ';
    put_digits(buf + 12, c.year, 4);
    buf[16] = ' ';
    put_digits(buf + 17, sod / 3600, 2);
    buf[19] = ':';
    put_digits(buf + 20, sod / 60 % 60, 2);
    buf[22] = ':';
    put_digits(buf + 23, sod % 60, 2);
    memcpy(buf + 25, " GMT", 5);  /* with the NUL */
    return buf;
}

/* A cursor over the text being parsed; every reader advances it or fails. */
struct scan {
    const char *p;
};

/* Consumes the literal `lit`, case-sensitively. Returns 0 or -1. */
static int take_lit(struct scan *sc, const char *lit)
{
    size_t n = strlen(lit);

    if (strncmp(sc->p, lit, n) != 0)
        return -1;
    sc->p += n;
    return 0;
}

/* Consumes exactly n decimal digits into *out. Returns 0 or -1. */
static int take_digits(struct scan *sc, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        char c = sc->p[i];

        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    sc->p += n;
    *out = v;
    return 0;
}

/* Consumes one of the `count` names in `names`; its index goes to *out.
 * Returns 0 or -1. No name is a prefix of another in the same table. */
static int take_name(struct scan *sc, const char *const *names, int count,
                     int *out)
{
    for (int i = 0; i < count; i++) {
        if (take_lit(sc, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return -1;
}

/* Consumes month (3 letters) into *out as 1..12. Returns 0 or -1. */
static int take_month(struct scan *sc, int *out)
{
    int m;

    if (take_name(sc, month_names, 12, &m) < 0)
        return -1;
    *out = m + 1;
    return 0;
}

/* Consumes time-of-day "HH:MM:SS" into c. Range checks come later. */
static int take_time(struct scan *sc, struct civil *c)
{
    if (take_digits(sc, 2, &c->hour) < 0 || take_lit(sc, ":") < 0 ||
        take_digits(sc, 2, &c->min) < 0 || take_lit(sc, ":") < 0 ||
        take_digits(sc, 2, &c->sec) < 0)
        return -1;
    return 0;
}

/* Consumes a four-digit year into c->year. Returns 0 or -1. */
static int take_year4(struct scan *sc, struct civil *c)
{
    int y;

    if (take_digits(sc, 4, &y) < 0)
        return -1;
    c->year = y;
    return 0;
}

/* IMF-fixdate after the day name: ", 06 Nov 1994 08:49:37 GMT". */
static int parse_imf(struct scan *sc, struct civil *c)
{
    if (take_lit(sc, ", ") < 0 || take_digits(sc, 2, &c->day) < 0 ||
        take_lit(sc, " ") < 0 || take_month(sc, &c->month) < 0 ||
        take_lit(sc, " ") < 0 || take_year4(sc, c) < 0 ||
        take_lit(sc, " ") < 0 || take_time(sc, c) < 0 ||
        take_lit(sc, " GMT") < 0)
        return -1;
    return 0;
}

/* asctime after the day name: " Nov  6 08:49:37 1994" (or " Nov 06 ..."). */
static int parse_asctime(struct scan *sc, struct civil *c)
{
    if (take_lit(sc, " ") < 0 || take_month(sc, &c->month) < 0 ||
        take_lit(sc, " ") < 0)
        return -1;
    if (sc->p[0] == ' ') {
        sc->p++;
        if (take_digits(sc, 1, &c->day) < 0)
            return -1;
    } else if (take_digits(sc, 2, &c->day) < 0) {
        return -1;
    }
    if (take_lit(sc, " ") < 0 || take_time(sc, c) < 0 ||
        take_lit(sc, " ") < 0 || take_year4(sc, c) < 0)
        return -1;
    return 0;
}

/*
 * RFC 850 after the long day name: ", 06-Nov-94 08:49:37 GMT". The century
 * is chosen as RFC 9110 requires: the latest year with those two digits that
 * is not more than 50 years after `now`.
 */
static int parse_rfc850(struct scan *sc, struct civil *c, time_t now)
{
    int yy;
    int64_t n = (int64_t)now, ndays, nsod, limit, when;
    struct civil nc;

    if (take_lit(sc, ", ") < 0 || take_digits(sc, 2, &c->day) < 0 ||
        take_lit(sc, "-") < 0 || take_month(sc, &c->month) < 0 ||
        take_lit(sc, "-") < 0 || take_digits(sc, 2, &yy) < 0 ||
        take_lit(sc, " ") < 0 || take_time(sc, c) < 0 ||
        take_lit(sc, " GMT") < 0)
        return -1;

    ndays = floor_div(n, SECS_PER_DAY);
    nsod = n - ndays * SECS_PER_DAY;
    civil_from_days(ndays, &nc);
    limit = days_from_civil(nc.year + 50, nc.month, nc.day) * SECS_PER_DAY + nsod;

    c->year = nc.year + 50 - ((nc.year + 50 - yy) % 100 + 100) % 100;
    when = days_from_civil(c->year, c->month, c->day) * SECS_PER_DAY +
           c->hour * 3600 + c->min * 60 + c->sec;
    if (when > limit)
        c->year -= 100;
    return 0;
}

/* Converts a parsed date to seconds after checking every field and the
 * weekday. Returns 0 and sets *out, or -1. */
static int to_time(const struct civil *c, int wday, time_t *out)
{
    int64_t days, s;

    if (c->year < 0 || c->year > 9999 || c->month < 1 || c->month > 12 ||
        c->day < 1 || c->day > month_days(c->year, c->month) ||
        c->hour > 23 || c->min > 59 || c->sec > 60)
        return -1;
    days = days_from_civil(c->year, c->month, c->day);
    if (weekday(days) != wday)
        return -1;
    s = days * SECS_PER_DAY + c->hour * 3600 + c->min * 60 + c->sec;
    if ((int64_t)(time_t)s != s)  /* a 32-bit time_t */
        return -1;
    *out = (time_t)s;
    return 0;
}

/* Whether c is optional whitespace (SP or HTAB). */
static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * See httpdate.h. The day name decides the form: a long name is RFC 850, a
 * short one followed by "," IMF-fixdate, otherwise asctime. Only RFC 850
 * reads the clock (time(), for its century).
 */
int httpdate_parse(const char *s, time_t *out)
{
    struct scan sc;
    struct civil c;
    int wday, r;

    if (!s)
        return -1;
    memset(&c, 0, sizeof c);
    sc.p = s;
    while (is_ows(*sc.p))
        sc.p++;

    if (take_name(&sc, day_names_long, 7, &wday) == 0) {
        r = parse_rfc850(&sc, &c, time(NULL));
    } else if (take_name(&sc, day_names, 7, &wday) == 0) {
        r = sc.p[0] == ',' ? parse_imf(&sc, &c) : parse_asctime(&sc, &c);
    } else {
        return -1;
    }
    if (r < 0)
        return -1;
    while (is_ows(*sc.p))
        sc.p++;
    if (*sc.p != '\0')
        return -1;
    return to_time(&c, wday, out);
}
