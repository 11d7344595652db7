/*
 * test_cond.c — unit tests of cond_evaluate() and cond_if_range_allows()
 * (daemon/http/cond.c): each precondition alone, strong and weak comparison,
 * lists and "*", malformed values, the §13.2.2 order between headers, and
 * If-Range.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cond.h"

#define ETAG "\"abc\""
#define MTIME ((time_t)784111777)
#define D_EQUAL "Sun, 06 Nov 1994 08:49:37 GMT"  /* == MTIME */
#define D_BEFORE "Sun, 06 Nov 1994 08:49:36 GMT" /* MTIME - 1 */
#define D_AFTER "Sun, 06 Nov 1994 08:49:38 GMT"  /* MTIME + 1 */
#define D_BAD "Sun, 31 Nov 1994 08:49:37 GMT"

enum method { GET = 1, PUT = 0 };

/* One request: headers, the representation's tag, method, outcome. */
struct row {
    const char *name;
    struct cond_headers h;
    const char *etag;
    int get;
    enum cond_result want;
};

/* Evaluates every row (with mtime MTIME) and names the first that fails. */
static void run_rows(const struct row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct cond_validators v = {rows[i].etag, MTIME};
        enum cond_result got = cond_evaluate(&rows[i].h, &v, rows[i].get);

        if (got != rows[i].want)
            fail_msg("%s (%s): got %d, want %d", rows[i].name,
                     rows[i].get ? "GET" : "PUT", (int)got, (int)rows[i].want);
    }
}

#define RUN(rows) run_rows(rows, sizeof rows / sizeof rows[0])
#define IM(x) .if_match = (x)
#define INM(x) .if_none_match = (x)
#define IMS(x) .if_modified_since = (x)
#define IUS(x) .if_unmodified_since = (x)

/* Without preconditions every request proceeds. */
static void test_no_conditions(void **state)
{
    static const struct row rows[] = {
        {"nothing", {0}, ETAG, GET, COND_PROCEED},
        {"nothing", {0}, ETAG, PUT, COND_PROCEED},
        {"nothing, no tag", {0}, NULL, GET, COND_PROCEED},
        /* If-Range alone is not a precondition. */
        {"if-range only", {.if_range = "\"zzz\""}, ETAG, GET, COND_PROCEED},
    };

    (void)state;
    RUN(rows);
}

/* If-Match alone: strong comparison, lists, "*", malformed values. */
static void test_if_match(void **state)
{
    static const struct row rows[] = {
        {"same tag", {IM(ETAG)}, ETAG, PUT, COND_PROCEED},
        {"same tag", {IM(ETAG)}, ETAG, GET, COND_PROCEED},
        {"other tag", {IM("\"xyz\"")}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"other tag", {IM("\"xyz\"")}, ETAG, GET, COND_PRECONDITION_FAILED},
        {"prefix", {IM("\"ab\"")}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"longer", {IM("\"abcd\"")}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"case", {IM("\"ABC\"")}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"list, last", {IM("\"x\", \"y\", " ETAG)}, ETAG, PUT, COND_PROCEED},
        {"list, first", {IM(ETAG ",\"x\"")}, ETAG, PUT, COND_PROCEED},
        {"list, none", {IM("\"x\", \"y\"")}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"star", {IM("*")}, ETAG, PUT, COND_PROCEED},
        {"star, ows", {IM("  *\t")}, ETAG, PUT, COND_PROCEED},
        {"star, no tag", {IM("*")}, NULL, PUT, COND_PROCEED},
        {"ows, empties", {IM(" ,, " ETAG " ,,")}, ETAG, PUT, COND_PROCEED},
        /* Strong comparison: a weak tag on either side never matches. */
        {"weak request", {IM("W/" ETAG)}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"weak both", {IM("W/" ETAG)}, "W/" ETAG, PUT, COND_PRECONDITION_FAILED},
        {"weak current", {IM(ETAG)}, "W/" ETAG, PUT, COND_PRECONDITION_FAILED},
        {"weak then strong", {IM("W/" ETAG ", " ETAG)}, ETAG, PUT, COND_PROCEED},
        {"no current tag", {IM(ETAG)}, NULL, PUT, COND_PRECONDITION_FAILED},
        {"current malformed", {IM(ETAG)}, "abc", PUT, COND_PRECONDITION_FAILED},
        {"current trailing junk", {IM(ETAG)}, ETAG "x", PUT,
         COND_PRECONDITION_FAILED},
        {"empty tag", {IM("\"\"")}, "\"\"", PUT, COND_PROCEED},
        {"obs-text", {IM("\"\xc3\xa9\"")}, "\"\xc3\xa9\"", PUT, COND_PROCEED},
        /* Malformed: fails, even when a good element matches. */
        {"empty value", {IM("")}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"unquoted", {IM("abc")}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"unterminated", {IM("\"abc")}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"space inside", {IM("\"a c\"")}, "\"a c\"", PUT, COND_PRECONDITION_FAILED},
        {"lower w/", {IM("w/" ETAG)}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"star in list", {IM("*, " ETAG)}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"tag then star", {IM(ETAG ", *")}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"match then junk", {IM(ETAG ", junk")}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"no comma", {IM(ETAG " \"x\"")}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"trailing char", {IM(ETAG "x")}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"W/ alone", {IM("W/")}, ETAG, PUT, COND_PRECONDITION_FAILED},
    };

    (void)state;
    RUN(rows);
}

/* If-Unmodified-Since alone, and ignored under If-Match. */
static void test_if_unmodified_since(void **state)
{
    static const struct row rows[] = {
        {"equal", {IUS(D_EQUAL)}, ETAG, PUT, COND_PROCEED},
        {"later date", {IUS(D_AFTER)}, ETAG, PUT, COND_PROCEED},
        {"modified since", {IUS(D_BEFORE)}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"modified since", {IUS(D_BEFORE)}, ETAG, GET, COND_PRECONDITION_FAILED},
        {"asctime", {IUS("Sun Nov  6 08:49:36 1994")}, ETAG, PUT,
         COND_PRECONDITION_FAILED},
        {"malformed", {IUS(D_BAD)}, ETAG, PUT, COND_PROCEED},
        {"garbage", {IUS("yesterday")}, ETAG, PUT, COND_PROCEED},
        {"empty", {IUS("")}, ETAG, PUT, COND_PROCEED},
        /* Ignored when If-Match is present, whatever If-Match says. */
        {"if-match wins", {IM(ETAG), IUS(D_BEFORE)}, ETAG, PUT, COND_PROCEED},
        {"if-match star wins", {IM("*"), IUS(D_BEFORE)}, ETAG, PUT, COND_PROCEED},
        {"if-match fails", {IM("\"x\""), IUS(D_AFTER)}, ETAG, PUT,
         COND_PRECONDITION_FAILED},
    };

    (void)state;
    RUN(rows);
}

/* If-None-Match alone: weak comparison, 304 vs 412, malformed values. */
static void test_if_none_match(void **state)
{
    static const struct row rows[] = {
        {"same tag", {INM(ETAG)}, ETAG, GET, COND_NOT_MODIFIED},
        {"same tag", {INM(ETAG)}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"other tag", {INM("\"x\"")}, ETAG, GET, COND_PROCEED},
        {"other tag", {INM("\"x\"")}, ETAG, PUT, COND_PROCEED},
        {"star", {INM("*")}, ETAG, GET, COND_NOT_MODIFIED},
        {"star", {INM("*")}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"star, no tag", {INM("*")}, NULL, GET, COND_NOT_MODIFIED},
        {"no current tag", {INM(ETAG)}, NULL, GET, COND_PROCEED},
        /* Weak comparison: W/ on either side still matches. */
        {"weak request", {INM("W/" ETAG)}, ETAG, GET, COND_NOT_MODIFIED},
        {"weak request", {INM("W/" ETAG)}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"weak current", {INM(ETAG)}, "W/" ETAG, GET, COND_NOT_MODIFIED},
        {"weak both", {INM("W/" ETAG)}, "W/" ETAG, GET, COND_NOT_MODIFIED},
        {"weak other", {INM("W/\"x\"")}, ETAG, GET, COND_PROCEED},
        {"list", {INM("\"x\", W/\"y\",\t" ETAG)}, ETAG, GET, COND_NOT_MODIFIED},
        {"list, none", {INM("\"x\", W/\"y\"")}, ETAG, GET, COND_PROCEED},
        {"empties", {INM(",," ETAG ",,")}, ETAG, GET, COND_NOT_MODIFIED},
        {"empty list", {INM("")}, ETAG, GET, COND_PROCEED},
        {"empty list", {INM(" , ")}, ETAG, PUT, COND_PROCEED},
        /* Malformed: never a 304, always a 412 for other methods. */
        {"unquoted", {INM("abc")}, ETAG, GET, COND_PROCEED},
        {"unquoted", {INM("abc")}, ETAG, PUT, COND_PRECONDITION_FAILED},
        {"lower w/", {INM("w/" ETAG)}, ETAG, GET, COND_PROCEED},
        {"match then junk", {INM(ETAG ", junk")}, ETAG, GET, COND_PROCEED},
        {"match then junk", {INM(ETAG ", junk")}, ETAG, PUT,
         COND_PRECONDITION_FAILED},
        {"star in list", {INM("*, \"x\"")}, ETAG, GET, COND_PROCEED},
        {"star in list", {INM("\"x\", *")}, ETAG, PUT, COND_PRECONDITION_FAILED},
    };

    (void)state;
    RUN(rows);
}

/* If-Modified-Since: GET/HEAD only, and ignored under If-None-Match. */
static void test_if_modified_since(void **state)
{
    static const struct row rows[] = {
        {"equal", {IMS(D_EQUAL)}, ETAG, GET, COND_NOT_MODIFIED},
        {"later date", {IMS(D_AFTER)}, ETAG, GET, COND_NOT_MODIFIED},
        {"modified", {IMS(D_BEFORE)}, ETAG, GET, COND_PROCEED},
        {"asctime", {IMS("Sun Nov  6 08:49:37 1994")}, ETAG, GET,
         COND_NOT_MODIFIED},
        {"malformed", {IMS(D_BAD)}, ETAG, GET, COND_PROCEED},
        {"two dates", {IMS(D_EQUAL ", " D_EQUAL)}, ETAG, GET, COND_PROCEED},
        {"epoch", {IMS("Thu, 01 Jan 1970 00:00:00 GMT")}, ETAG, GET, COND_PROCEED},
        /* Only GET and HEAD. */
        {"not for PUT", {IMS(D_EQUAL)}, ETAG, PUT, COND_PROCEED},
        /* Ignored when If-None-Match is present, valid or not. */
        {"inm no match", {INM("\"x\""), IMS(D_AFTER)}, ETAG, GET, COND_PROCEED},
        {"inm malformed", {INM("x"), IMS(D_AFTER)}, ETAG, GET, COND_PROCEED},
        {"inm empty", {INM(""), IMS(D_AFTER)}, ETAG, GET, COND_PROCEED},
        {"inm match", {INM(ETAG), IMS(D_BEFORE)}, ETAG, GET, COND_NOT_MODIFIED},
    };

    (void)state;
    RUN(rows);
}

/* The order of RFC 9110 §13.2.2 across all four headers. */
static void test_precedence(void **state)
{
    static const struct row rows[] = {
        /* Step 1 before step 3. */
        {"im ok, inm match", {IM(ETAG), INM(ETAG)}, ETAG, GET, COND_NOT_MODIFIED},
        {"im ok, inm match", {IM(ETAG), INM(ETAG)}, ETAG, PUT,
         COND_PRECONDITION_FAILED},
        {"im fail, inm match", {IM("\"x\""), INM(ETAG)}, ETAG, GET,
         COND_PRECONDITION_FAILED},
        {"im fail, inm no match", {IM("\"x\""), INM("\"y\"")}, ETAG, GET,
         COND_PRECONDITION_FAILED},
        {"im ok, inm no match", {IM(ETAG), INM("\"y\"")}, ETAG, PUT, COND_PROCEED},
        /* Step 2 before steps 3 and 4. */
        {"ius fail, inm match", {IUS(D_BEFORE), INM(ETAG)}, ETAG, GET,
         COND_PRECONDITION_FAILED},
        {"ius fail, ims", {IUS(D_BEFORE), IMS(D_AFTER)}, ETAG, GET,
         COND_PRECONDITION_FAILED},
        {"ius ok, ims not modified", {IUS(D_EQUAL), IMS(D_EQUAL)}, ETAG, GET,
         COND_NOT_MODIFIED},
        {"ius ok, ims modified", {IUS(D_AFTER), IMS(D_BEFORE)}, ETAG, GET,
         COND_PROCEED},
        {"ius bad, inm match", {IUS(D_BAD), INM("*")}, ETAG, GET,
         COND_NOT_MODIFIED},
        /* All four: If-Match decides step 1, If-None-Match step 3. */
        {"all, pass", {IM(ETAG), IUS(D_BEFORE), INM("\"y\""), IMS(D_AFTER)}, ETAG,
         GET, COND_PROCEED},
        {"all, inm match", {IM(ETAG), IUS(D_BEFORE), INM(ETAG), IMS(D_BEFORE)},
         ETAG, GET, COND_NOT_MODIFIED},
        {"all, im fail", {IM("\"x\""), IUS(D_AFTER), INM("\"y\""), IMS(D_AFTER)},
         ETAG, GET, COND_PRECONDITION_FAILED},
        {"all, put", {IM("*"), IUS(D_BEFORE), INM("\"y\""), IMS(D_AFTER)}, ETAG,
         PUT, COND_PROCEED},
        {"im star, inm star", {IM("*"), INM("*")}, ETAG, PUT,
         COND_PRECONDITION_FAILED},
        /* If-Range never takes part in these. */
        {"if-range ignored", {IM(ETAG), .if_range = "\"zzz\""}, ETAG, PUT,
         COND_PROCEED},
    };

    (void)state;
    RUN(rows);
}

/* Checks cond_if_range_allows() for If-Range `value` and etag/mtime. */
static void expect_if_range(const char *value, const char *etag, time_t mtime,
                            int want)
{
    struct cond_headers h = {.if_range = value};
    struct cond_validators v = {etag, mtime};
    int got = cond_if_range_allows(&h, &v) != 0;

    if (got != want)
        fail_msg("If-Range \"%s\" vs %s @%lld: got %d, want %d",
                 value ? value : "(absent)", etag ? etag : "(no tag)",
                 (long long)mtime, got, want);
}

/* If-Range: one strong tag or one exact date, anything else sends it all. */
static void test_if_range(void **state)
{
    (void)state;
    expect_if_range(NULL, ETAG, MTIME, 1);
    expect_if_range(NULL, NULL, MTIME, 1);
    expect_if_range(ETAG, ETAG, MTIME, 1);
    expect_if_range(" " ETAG "\t", ETAG, MTIME, 1);
    expect_if_range("\"xyz\"", ETAG, MTIME, 0);
    expect_if_range("\"ab\"", ETAG, MTIME, 0);
    expect_if_range("W/" ETAG, ETAG, MTIME, 0);
    expect_if_range("W/" ETAG, "W/" ETAG, MTIME, 0);
    expect_if_range(ETAG, "W/" ETAG, MTIME, 0);
    expect_if_range(ETAG, NULL, MTIME, 0);
    expect_if_range(ETAG ", \"x\"", ETAG, MTIME, 0);
    expect_if_range(ETAG "x", ETAG, MTIME, 0);
    expect_if_range("\"abc", ETAG, MTIME, 0);
    expect_if_range("*", ETAG, MTIME, 0);
    expect_if_range("", ETAG, MTIME, 0);
    expect_if_range("abc", ETAG, MTIME, 0);
    /* A date must equal mtime exactly. */
    expect_if_range(D_EQUAL, ETAG, MTIME, 1);
    expect_if_range(D_EQUAL, NULL, MTIME, 1);
    expect_if_range("Sun Nov  6 08:49:37 1994", ETAG, MTIME, 1);
    expect_if_range(D_BEFORE, ETAG, MTIME, 0);
    expect_if_range(D_AFTER, ETAG, MTIME, 0);
    expect_if_range(D_BAD, ETAG, MTIME, 0);
    expect_if_range(D_EQUAL "x", ETAG, MTIME, 0);
    /* RFC 850: "23" is 2023 until 2073. */
    expect_if_range("Tuesday, 14-Nov-23 22:13:20 GMT", ETAG, 1700000000, 1);
    expect_if_range("Tuesday, 14-Nov-23 22:13:20 GMT", ETAG, 1700000001, 0);
}

/* The same request for many mtimes around a fixed date: exactly the ones at
 * or before the date are "not modified", exactly the later ones fail IUS. */
static void test_date_boundaries(void **state)
{
    (void)state;
    for (time_t m = MTIME - 100; m <= MTIME + 100; m++) {
        struct cond_validators v = {ETAG, m};
        struct cond_headers ims = {IMS(D_EQUAL)};
        struct cond_headers ius = {IUS(D_EQUAL)};

        assert_int_equal(cond_evaluate(&ims, &v, 1),
                         m <= MTIME ? COND_NOT_MODIFIED : COND_PROCEED);
        assert_int_equal(cond_evaluate(&ius, &v, 0),
                         m <= MTIME ? COND_PROCEED : COND_PRECONDITION_FAILED);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_conditions),
        cmocka_unit_test(test_if_match),
        cmocka_unit_test(test_if_unmodified_since),
        cmocka_unit_test(test_if_none_match),
        cmocka_unit_test(test_if_modified_since),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_if_range),
        cmocka_unit_test(test_date_boundaries),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
