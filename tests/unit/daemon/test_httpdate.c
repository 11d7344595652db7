/*
 * test_httpdate.c — unit tests of httpdate_format() and httpdate_parse()
 * (daemon/http/httpdate.c): known dates, every day from 1900 to 2100 against the
 * C library's gmtime_r/strftime, the three forms, the RFC 850 century rule,
 * invalid dates and times, and independence from TZ. This program defines
 * time() itself so that the RFC 850 rule can be tested at any "now".
 *
 * A day name that does not match the date is rejected (httpdate.c documents
 * this choice); test_parse_bad_weekday pins it.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "httpdate.h"

#define RFC_EXAMPLE ((time_t)784111777) /* Sun, 06 Nov 1994 08:49:37 GMT */

/* Clock seen by httpdate.c: this definition of time() takes the place of
 * the C library's in this test program, so "now" can be chosen. */
static int fake_clock;
static time_t fake_now;

time_t time(time_t *tloc)
{
    struct timespec ts;
    time_t now;

    if (fake_clock) {
        now = fake_now;
    } else {
        clock_gettime(CLOCK_REALTIME, &ts);
        now = ts.tv_sec;
    }
    if (tloc)
        *tloc = now;
    return now;
}

/* Teardown of the tests that set the clock: back to the real one. */
static int real_clock(void **state)
{
    (void)state;
    fake_clock = 0;
    return 0;
}

/* Whether t fits in this platform's time_t. */
static int fits(int64_t t)
{
    return (int64_t)(time_t)t == t;
}

/* Checks httpdate_format(t) (skipped when t does not fit in time_t). */
static void expect_format(int64_t t, const char *want)
{
    char buf[HTTPDATE_LEN];

    if (!fits(t))
        return;
    if (strcmp(httpdate_format((time_t)t, buf), want) != 0)
        fail_msg("format(%lld) = \"%s\", want \"%s\"", (long long)t, buf, want);
}

/* Checks that s parses to want (skipped when want does not fit). */
static void expect_parse(const char *s, int64_t want)
{
    time_t got = 0;

    if (!fits(want))
        return;
    if (httpdate_parse(s, &got) != 0)
        fail_msg("parse(\"%s\") failed, want %lld", s, (long long)want);
    if ((int64_t)got != want)
        fail_msg("parse(\"%s\") = %lld, want %lld", s, (long long)got,
                 (long long)want);
}

/* Checks that s is refused. */
static void expect_reject(const char *s)
{
    time_t got;

    if (httpdate_parse(s, &got) == 0)
        fail_msg("parse(\"%s\") accepted as %lld", s ? s : "(null)",
                 (long long)got);
}

/* Known instants, including leap days, 2038 and both ends. */
static void test_format_known(void **state)
{
    (void)state;
    expect_format(784111777, "Sun, 06 Nov 1994 08:49:37 GMT");
    expect_format(0, "Thu, 01 Jan 1970 00:00:00 GMT");
    expect_format(-1, "Wed, 31 Dec 1969 23:59:59 GMT");
    expect_format(951782400, "Tue, 29 Feb 2000 00:00:00 GMT");
    expect_format(951868799, "Tue, 29 Feb 2000 23:59:59 GMT");
    expect_format(2147483647, "Tue, 19 Jan 2038 03:14:07 GMT");
    expect_format(INT64_C(4102444800), "Fri, 01 Jan 2100 00:00:00 GMT");
    expect_format(INT64_C(4107542400), "Mon, 01 Mar 2100 00:00:00 GMT");
    expect_format(INT64_C(-2208988800), "Mon, 01 Jan 1900 00:00:00 GMT");
    expect_format(INT64_C(253402300799), "Fri, 31 Dec 9999 23:59:59 GMT");
    expect_format(INT64_C(-62167219200), "Sat, 01 Jan 0000 00:00:00 GMT");
    expect_format(INT64_C(-62135596800), "Mon, 01 Jan 0001 00:00:00 GMT");
}

/* Instants beyond years 0000..9999 are clamped to them. */
static void test_format_clamps(void **state)
{
    (void)state;
    expect_format(INT64_C(253402300800), "Fri, 31 Dec 9999 23:59:59 GMT");
    expect_format(INT64_MAX, "Fri, 31 Dec 9999 23:59:59 GMT");
    expect_format(INT64_C(-62167219201), "Sat, 01 Jan 0000 00:00:00 GMT");
    expect_format(INT64_MIN, "Sat, 01 Jan 0000 00:00:00 GMT");
}

/* Exactly HTTPDATE_LEN bytes are written, NUL-terminated. */
static void test_format_buffer(void **state)
{
    char buf[HTTPDATE_LEN + 8];

    (void)state;
    memset(buf, '#', sizeof buf);
    assert_ptr_equal(httpdate_format(RFC_EXAMPLE, buf), buf);
    assert_int_equal(strlen(buf), HTTPDATE_LEN - 1);
    for (size_t i = HTTPDATE_LEN; i < sizeof buf; i++)
        assert_int_equal(buf[i], '#');
}

/*
 * Every day from 1900 to 2100, at a time of day that moves through the
 * whole day: format must equal strftime over gmtime_r (C locale), and
 * parsing the IMF-fixdate and the asctime form must give t back.
 */
static void test_round_trip_every_day(void **state)
{
    const int64_t from = INT64_C(-2208988800);  /* 1900-01-01 */
    const int64_t to = INT64_C(4133980799);     /* 2100-12-31 23:59:59 */
    int64_t count = 0;

    (void)state;
    for (int64_t day = from; day <= to; day += 86400) {
        int64_t t = day + (count * 7919) % 86400;
        char mine[HTTPDATE_LEN], want[64], asc[64];
        struct tm tm;
        time_t back;

        count++;
        if (!fits(t))
            continue;
        assert_non_null(gmtime_r(&(time_t){(time_t)t}, &tm));
        strftime(want, sizeof want, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        strftime(asc, sizeof asc, "%a %b %e %H:%M:%S %Y", &tm);
        httpdate_format((time_t)t, mine);
        if (strcmp(mine, want) != 0)
            fail_msg("format(%lld) = \"%s\", want \"%s\"", (long long)t, mine, want);
        if (httpdate_parse(mine, &back) != 0 || back != (time_t)t)
            fail_msg("parse(\"%s\") did not give %lld", mine, (long long)t);
        if (httpdate_parse(asc, &back) != 0 || back != (time_t)t)
            fail_msg("parse(\"%s\") did not give %lld", asc, (long long)t);
    }
    assert_true(count > 73000);
}

/* Every second of one day, and a spread of seconds over 0000..9999. */
static void test_round_trip_seconds(void **state)
{
    uint64_t s = 88172645463325252u;

    (void)state;
    for (int64_t t = 1000000000; t < 1000000000 + 86400; t++) {
        char buf[HTTPDATE_LEN];
        time_t back;

        httpdate_format((time_t)t, buf);
        assert_int_equal(httpdate_parse(buf, &back), 0);
        assert_true(back == (time_t)t);
    }
    for (int i = 0; i < 100000; i++) {
        int64_t span = INT64_C(253402300799) + INT64_C(62167219200) + 1;
        int64_t t;
        char buf[HTTPDATE_LEN];
        time_t back;

        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        t = (int64_t)(s % (uint64_t)span) - INT64_C(62167219200);
        if (!fits(t))
            continue;
        httpdate_format((time_t)t, buf);
        if (httpdate_parse(buf, &back) != 0 || back != (time_t)t)
            fail_msg("round trip of %lld via \"%s\"", (long long)t, buf);
    }
}

/* The RFC 850 example is in test_parse_rfc850_boundary: it needs a clock. */
static void test_parse_rfc_examples(void **state)
{
    (void)state;
    expect_parse("Sun, 06 Nov 1994 08:49:37 GMT", RFC_EXAMPLE);
    expect_parse("Sun Nov  6 08:49:37 1994", RFC_EXAMPLE);
}

/* asctime: the day as " 6" or "06", nothing else. */
static void test_parse_asctime_day_forms(void **state)
{
    (void)state;
    expect_parse("Sun Nov 06 08:49:37 1994", RFC_EXAMPLE);
    expect_parse("Sun Nov  6 08:49:37 1994", RFC_EXAMPLE);
    expect_parse("Thu Jan  1 00:00:00 1970", 0);
    expect_parse("Wed Dec 31 23:59:59 1969", -1);
    expect_reject("Sun Nov 6 08:49:37 1994");
    expect_reject("Sun Nov   6 08:49:37 1994");
    expect_reject("Sun Nov  06 08:49:37 1994");
    expect_reject("Sun Nov 6  08:49:37 1994");
    expect_reject("Sun Nov  6 08:49:37 94");
    expect_reject("Sun Nov  6 08:49:37 1994 GMT");
    expect_reject("Sun,Nov  6 08:49:37 1994");
    expect_reject("Sunday Nov  6 08:49:37 1994");
}

/* The first and last representable dates. */
static void test_parse_extremes(void **state)
{
    (void)state;
    expect_parse("Sat, 01 Jan 0000 00:00:00 GMT", INT64_C(-62167219200));
    expect_parse("Fri, 31 Dec 9999 23:59:59 GMT", INT64_C(253402300799));
    expect_parse("Fri Dec 31 23:59:59 9999", INT64_C(253402300799));
    expect_parse("Mon, 01 Jan 1900 00:00:00 GMT", INT64_C(-2208988800));
    if (!fits(INT64_C(4102444800)))  /* 32-bit time_t: must refuse, not wrap */
        expect_reject("Fri, 01 Jan 2100 00:00:00 GMT");
}

/* Days that do not exist, unknown or mis-cased months. */
static void test_parse_invalid_calendar(void **state)
{
    (void)state;
    /* Each day name is that of the day the date would roll over to, so
     * only the day-of-month check can refuse them. */
    expect_reject("Fri, 30 Feb 2024 00:00:00 GMT");
    expect_reject("Thu, 29 Feb 1900 00:00:00 GMT");  /* 1900: no leap day */
    expect_reject("Mon, 29 Feb 2100 00:00:00 GMT");
    expect_reject("Wed, 29 Feb 2023 00:00:00 GMT");
    expect_reject("Wed, 31 Apr 2024 00:00:00 GMT");
    expect_reject("Mon, 31 Jun 2024 00:00:00 GMT");
    expect_reject("Tue, 31 Sep 2024 00:00:00 GMT");
    expect_reject("Sun, 31 Nov 2024 00:00:00 GMT");
    expect_reject("Wed, 32 Dec 2024 00:00:00 GMT");
    expect_reject("Sat, 00 Dec 2024 00:00:00 GMT");
    expect_reject("Sun, 01 Foo 2024 00:00:00 GMT");
    expect_reject("Sun, 01 nov 2024 00:00:00 GMT");
    expect_reject("Sun, 01 NOV 2024 00:00:00 GMT");
    expect_reject("Fri Feb 30 00:00:00 2024");
    expect_parse("Tue, 29 Feb 2000 00:00:00 GMT", 951782400);
    expect_parse("Thu, 29 Feb 2024 12:00:00 GMT", 1709208000);
    expect_parse("Thu Feb 29 12:00:00 2024", 1709208000);
    expect_parse("Thu, 01 Mar 1900 00:00:00 GMT", INT64_C(-2203891200));
}

/* Out-of-range or misshapen times; the leap second. */
static void test_parse_invalid_time(void **state)
{
    (void)state;
    expect_reject("Sun, 06 Nov 1994 24:00:00 GMT");
    expect_reject("Sun, 06 Nov 1994 08:60:00 GMT");
    expect_reject("Sun, 06 Nov 1994 08:49:61 GMT");
    expect_reject("Sun, 06 Nov 1994 99:99:99 GMT");
    expect_reject("Sun, 06 Nov 1994 8:49:37 GMT");
    expect_reject("Sun, 06 Nov 1994 08:49 GMT");
    expect_reject("Sun, 06 Nov 1994 08:49:37.5 GMT");
    expect_reject("Sun, 06 Nov 1994 08-49-37 GMT");
    expect_reject("Sun Nov  6 24:00:00 1994");
    /* A leap second is grammatical; it reads as the next minute's first. */
    expect_parse("Sun, 06 Nov 1994 08:49:60 GMT", RFC_EXAMPLE + 23);
    expect_parse("Sun, 06 Nov 1994 23:59:59 GMT", 784166399);
}

/* A day name that is not the weekday of the date is refused. */
static void test_parse_bad_weekday(void **state)
{
    (void)state;
    expect_reject("Mon, 06 Nov 1994 08:49:37 GMT");
    expect_reject("Sat, 06 Nov 1994 08:49:37 GMT");
    expect_reject("Mon Nov  6 08:49:37 1994");
    expect_reject("Monday, 06-Nov-94 08:49:37 GMT");
    expect_reject("Foo, 06 Nov 1994 08:49:37 GMT");
    /* Long names only in RFC 850, short ones only in the other two. */
    expect_reject("Sunday, 06 Nov 1994 08:49:37 GMT");
    expect_reject("Sun, 06-Nov-94 08:49:37 GMT");
}

/* HTTP-date is case-sensitive and always GMT. */
static void test_parse_case_and_zone(void **state)
{
    (void)state;
    expect_reject("sun, 06 Nov 1994 08:49:37 GMT");
    expect_reject("SUN, 06 Nov 1994 08:49:37 GMT");
    expect_reject("Sun, 06 Nov 1994 08:49:37 gmt");
    expect_reject("Sun, 06 Nov 1994 08:49:37 UTC");
    expect_reject("Sun, 06 Nov 1994 08:49:37 UT");
    expect_reject("Sun, 06 Nov 1994 08:49:37 +0000");
    expect_reject("Sun, 06 Nov 1994 08:49:37 GMT+1");
    expect_reject("Sun, 06 Nov 1994 08:49:37");
    expect_reject("sunday, 06-Nov-94 08:49:37 GMT");
    expect_reject("Sunday, 06-nov-94 08:49:37 GMT");
    expect_reject("Sunday, 06-Nov-94 08:49:37 UTC");
}

/* Wrong separators, digit counts, mixed forms, trailing bytes. */
static void test_parse_syntax(void **state)
{
    (void)state;
    expect_reject(NULL);
    expect_reject("");
    expect_reject("   ");
    expect_reject("0");
    expect_reject("784111777");
    expect_reject("1994-11-06T08:49:37Z");
    expect_reject("Sun, 06 Nov 94 08:49:37 GMT");        /* 2-digit year */
    expect_reject("Sun, 06 Nov 01994 08:49:37 GMT");
    expect_reject("Sun, 6 Nov 1994 08:49:37 GMT");       /* 1-digit day */
    expect_reject("Sun 06 Nov 1994 08:49:37 GMT");
    expect_reject("Sun,  06 Nov 1994 08:49:37 GMT");
    expect_reject("Sun, 06  Nov 1994 08:49:37 GMT");
    expect_reject("Sun, 06-Nov-1994 08:49:37 GMT");
    expect_reject("Sun, 06 Nov 1994 08:49:37 GMT;");
    expect_reject("Sun, 06 Nov 1994 08:49:37 GMTX");
    expect_reject("Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT");
    expect_reject("Sun, 06 Nov 1994\t08:49:37 GMT");
    expect_reject("Sun, -6 Nov 1994 08:49:37 GMT");
    expect_reject("Sun, +6 Nov 1994 08:49:37 GMT");
    expect_reject("Sunday, 06-Nov-1994 08:49:37 GMT");
    expect_reject("Sunday, 06-Nov-4 08:49:37 GMT");
    expect_reject("Sunday 06-Nov-94 08:49:37 GMT");
    expect_reject("Sun, 06 Nov 1994 08:49:37 GMT\n");
    /* Whitespace around the whole value, as a header parser leaves it. */
    expect_parse("  Sun, 06 Nov 1994 08:49:37 GMT", RFC_EXAMPLE);
    expect_parse("Sun, 06 Nov 1994 08:49:37 GMT \t", RFC_EXAMPLE);
    expect_parse("\tSun Nov  6 08:49:37 1994 ", RFC_EXAMPLE);
}

/* Every proper prefix and every one-character corruption of a valid date
 * must be refused: no position of the grammar is optional. */
static void test_parse_mutations(void **state)
{
    const char *valid[] = {
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Sun Nov 06 08:49:37 1994",
        "Tuesday, 14-Nov-23 22:13:20 GMT",
    };

    (void)state;
    fake_clock = 1;
    fake_now = 1700000000;
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        size_t len = strlen(valid[i]);
        char buf[64];
        time_t t;

        assert_int_equal(httpdate_parse(valid[i], &t), 0);
        for (size_t cut = 0; cut < len; cut++) {
            memcpy(buf, valid[i], cut);
            buf[cut] = '\0';
            expect_reject(buf);
        }
        for (size_t pos = 0; pos < len; pos++) {
            static const char subst[] = {'X', '/', '\0' + 1, (char)0xff};

            for (size_t k = 0; k < sizeof subst; k++) {
                memcpy(buf, valid[i], len + 1);
                buf[pos] = subst[k];
                expect_reject(buf);
            }
        }
    }
}

/* Writes tm as an RFC 850 date ("Sunday, 06-Nov-94 08:49:37 GMT"). */
static void rfc850(char *buf, size_t len, const struct tm *tm)
{
    char day[16], month[8];

    strftime(day, sizeof day, "%A", tm);
    strftime(month, sizeof month, "%b", tm);
    snprintf(buf, len, "%s, %02d-%s-%02d %02d:%02d:%02d GMT", day, tm->tm_mday,
             month, (tm->tm_year + 1900) % 100, tm->tm_hour, tm->tm_min,
             tm->tm_sec);
}

/* Seconds since the epoch of a UTC date (the C library as the oracle). */
static time_t utc(int year, int mon, int mday, int hour, int min, int sec)
{
    struct tm tm = {0};

    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = mday;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    return timegm(&tm);
}

/* The year an RFC 850 date within a year means at `now`, by brute force:
 * the latest year with those two digits that is at most 50 years ahead. */
static time_t rfc850_oracle(time_t now, int yy, int mon, int mday, int hour,
                            int min, int sec)
{
    struct tm ntm;
    time_t limit, best = (time_t)-1;
    int found = 0;

    gmtime_r(&now, &ntm);
    ntm.tm_year += 50;
    limit = timegm(&ntm);
    for (int y = yy; y <= 9999; y += 100) {
        time_t t = utc(y, mon, mday, hour, min, sec);

        if (t <= limit) {
            best = t;
            found = 1;
        }
    }
    assert_true(found);
    return best;
}

/* Runs the RFC 850 century rule at `now` for all 100 two-digit years and
 * three dates within the year (start, middle, end). */
static void check_centuries_at(time_t now)
{
    static const int when[][5] = {
        {1, 1, 0, 0, 0}, {6, 15, 12, 30, 0}, {12, 31, 23, 59, 59},
    };

    fake_clock = 1;
    fake_now = now;
    for (int yy = 0; yy < 100; yy++) {
        for (size_t w = 0; w < sizeof when / sizeof when[0]; w++) {
            const int *d = when[w];
            time_t want = rfc850_oracle(now, yy, d[0], d[1], d[2], d[3], d[4]);
            struct tm tm;
            char buf[64];

            gmtime_r(&want, &tm);
            rfc850(buf, sizeof buf, &tm);
            expect_parse(buf, (int64_t)want);
        }
    }
    fake_clock = 0;
}

/*
 * RFC 850 years (RFC 9110 §5.6.7): a date that would be more than 50 years
 * in the future is the most recent past year with those two digits.
 */
static void test_parse_rfc850_century(void **state)
{
    static const int64_t nows[] = {
        0,                      /* 1970-01-01 */
        784111777,              /* 1994-11-06 */
        946684799,              /* 1999-12-31 23:59:59 */
        946684800,              /* 2000-01-01 */
        1700000000,             /* 2023-11-14 */
        INT64_C(2524607999),    /* 2049-12-31 23:59:59 */
        INT64_C(2524608000),    /* 2050-01-01 */
        INT64_C(2845584000),    /* 2060-03-04 */
        INT64_C(4102444799),    /* 2099-12-31 23:59:59 */
        INT64_C(4107456000),    /* 2100-02-28 */
    };

    (void)state;
    for (size_t i = 0; i < sizeof nows / sizeof nows[0]; i++) {
        if (fits(nows[i]) && fits(nows[i] + INT64_C(1600000000)))
            check_centuries_at((time_t)nows[i]);
    }
    /* With the real clock as well. */
    check_centuries_at(time(NULL));
}

/* Exactly 50 years ahead is not "more than 50 years": the year is kept. */
static void test_parse_rfc850_boundary(void **state)
{
    char buf[64];
    struct tm tm;
    time_t edge = utc(2050, 6, 15, 12, 0, 0), past = utc(1950, 6, 15, 12, 0, 1);

    (void)state;
    if (!fits(INT64_C(2539000000)))
        skip();
    fake_clock = 1;
    fake_now = utc(2000, 6, 15, 12, 0, 0);
    gmtime_r(&edge, &tm);
    rfc850(buf, sizeof buf, &tm);
    expect_parse(buf, (int64_t)edge);
    gmtime_r(&past, &tm);
    rfc850(buf, sizeof buf, &tm);
    expect_parse(buf, (int64_t)past);
    /* The RFC's own example: 1994 until 2094 is no more than 50 years
     * ahead; then 2094, a Saturday, so "Sunday" no longer fits. */
    fake_now = utc(2025, 1, 1, 0, 0, 0);
    expect_parse("Sunday, 06-Nov-94 08:49:37 GMT", RFC_EXAMPLE);
    fake_now = utc(2044, 11, 6, 8, 49, 36);
    expect_parse("Sunday, 06-Nov-94 08:49:37 GMT", RFC_EXAMPLE);
    fake_now = utc(2044, 11, 6, 8, 49, 37);
    expect_reject("Sunday, 06-Nov-94 08:49:37 GMT");
    expect_parse("Saturday, 06-Nov-94 08:49:37 GMT",
                 (int64_t)utc(2094, 11, 6, 8, 49, 37));
    fake_clock = 0;
}

/* The TZ variable must change nothing. */
static void test_tz_independent(void **state)
{
    static const char *const zones[] = {
        "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "EST5EDT", "UTC-14",
    };
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;

    (void)state;
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        setenv("TZ", zones[i], 1);
        tzset();
        expect_format(784111777, "Sun, 06 Nov 1994 08:49:37 GMT");
        expect_format(0, "Thu, 01 Jan 1970 00:00:00 GMT");
        expect_parse("Sun, 06 Nov 1994 08:49:37 GMT", RFC_EXAMPLE);
        expect_parse("Sun Nov  6 08:49:37 1994", RFC_EXAMPLE);
        expect_parse("Thu, 01 Jan 1970 00:00:00 GMT", 0);
    }
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    free(saved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_known),
        cmocka_unit_test(test_format_clamps),
        cmocka_unit_test(test_format_buffer),
        cmocka_unit_test(test_round_trip_every_day),
        cmocka_unit_test(test_round_trip_seconds),
        cmocka_unit_test(test_parse_rfc_examples),
        cmocka_unit_test(test_parse_asctime_day_forms),
        cmocka_unit_test(test_parse_extremes),
        cmocka_unit_test(test_parse_invalid_calendar),
        cmocka_unit_test(test_parse_invalid_time),
        cmocka_unit_test(test_parse_bad_weekday),
        cmocka_unit_test(test_parse_case_and_zone),
        cmocka_unit_test(test_parse_syntax),
        cmocka_unit_test_teardown(test_parse_mutations, real_clock),
        cmocka_unit_test_teardown(test_parse_rfc850_century, real_clock),
        cmocka_unit_test_teardown(test_parse_rfc850_boundary, real_clock),
        cmocka_unit_test(test_tz_independent),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
