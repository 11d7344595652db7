/*
 * test_search_fold.c — case folding for name search (daemon/share/search-fold.c):
 * ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic capitals fold to
 * lower case; other code points stay; the length never grows; invalid
 * UTF-8 (overlong, surrogate, truncated, above U+10FFFF) and a too-small
 * buffer give -1.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "search-fold.h"

static void fold_is(const char *in, const char *want)
{
    char out[256];
    long n = search_fold(in, strlen(in), out, sizeof out);

    assert_int_equal(n, (long)strlen(want));
    assert_string_equal(out, want);
}

static void test_folds(void **state)
{
    (void)state;
    fold_is("Beach-PHOTO.JPG", "beach-photo.jpg");
    fold_is("ÉTÉ À NICE", "été à nice");
    fold_is("ÀÞ×", "àþ×");           /* × (U+00D7) is no letter */
    fold_is("ŁÓDŹ ŒUVRE Ÿ", "łódź œuvre ÿ"); /* Latin Extended-A, Ÿ → ÿ */
    fold_is("ΑΘΗΝΑ", "αθηνα");
    fold_is("МОСКВА ЁЖ", "москва ёж");
    fold_is("日本語 😀", "日本語 😀");
    fold_is("", "");
}

static void test_refuses(void **state)
{
    char out[16];

    (void)state;
    assert_int_equal(search_fold("\xC0\xAF", 2, out, sizeof out), -1);         /* overlong */
    assert_int_equal(search_fold("\xED\xA0\x80", 3, out, sizeof out), -1);     /* surrogate */
    assert_int_equal(search_fold("\xE6\x97", 2, out, sizeof out), -1);         /* truncated */
    assert_int_equal(search_fold("\xF4\x90\x80\x80", 4, out, sizeof out), -1); /* > U+10FFFF */
    assert_int_equal(search_fold("\xFF", 1, out, sizeof out), -1);
    assert_int_equal(search_fold("abcd", 4, out, 4), -1); /* no room for the NUL */
    assert_int_equal(search_fold("ABC", 3, out, 4), 3);   /* exactly enough */
    assert_string_equal(out, "abc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_folds),
        cmocka_unit_test(test_refuses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
