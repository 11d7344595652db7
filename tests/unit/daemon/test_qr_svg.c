/*
 * test_qr_svg.c — unit tests of qr_svg() (daemon/auth/qr-svg.c): the SVG's
 * module grid, read back from its path, is libqrencode's symbol with the
 * quiet zone around it (and shows the three finder patterns where ISO/IEC
 * 18004 puts them, which does not depend on libqrencode); the label is
 * XML-escaped; a text too long for any QR code is refused. The browser and
 * integration tests decode the drawn code with zbarimg.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry.h"
#include "qr-svg.h"

#define SIDE_MAX (177 + 2 * QR_SVG_QUIET)

/* The grid an SVG draws: the viewBox side and every module its path
 * covers. Fails the test on anything qr_svg() never writes. */
static int read_grid(const char *svg, unsigned char grid[SIDE_MAX][SIDE_MAX])
{
    int side = 0, w = 0;
    const char *p;

    assert_int_equal(sscanf(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\"",
                            &side, &w), 2);
    assert_int_equal(side, w);
    assert_true(side > 2 * QR_SVG_QUIET && side <= SIDE_MAX);
    memset(grid, 0, SIDE_MAX * SIDE_MAX);
    p = strstr(svg, "<path d=\"");
    assert_non_null(p);
    p += strlen("<path d=\"");
    while (*p == 'M') {
        int x, y, run, back, used = 0;

        assert_int_equal(sscanf(p, "M%d %dh%dv1h-%dz%n", &x, &y, &run, &back, &used), 4);
        assert_int_equal(run, back);
        assert_true(run > 0 && x >= 0 && y >= 0 && x + run <= side && y < side);
        for (int i = 0; i < run; i++) {
            assert_int_equal(grid[y][x + i], 0); /* runs never overlap */
            grid[y][x + i] = 1;
        }
        p += used;
    }
    assert_int_equal(strncmp(p, "\" fill=\"#000\"/></svg>\n", 22), 0);
    return side;
}

/* A 7x7 finder pattern with its top-left corner at (x, y). */
static void assert_finder(unsigned char grid[SIDE_MAX][SIDE_MAX], int x, int y)
{
    for (int j = 0; j < 7; j++)
        for (int i = 0; i < 7; i++) {
            int ring = i == 0 || j == 0 || i == 6 || j == 6;
            int core = i >= 2 && i <= 4 && j >= 2 && j <= 4;

            assert_int_equal(grid[y + j][x + i], ring || core);
        }
}

static void check_text(const char *text)
{
    static unsigned char grid[SIDE_MAX][SIDE_MAX];
    char *svg = NULL;
    size_t len = 0;
    QRcode *qr;
    int side, q = QR_SVG_QUIET;

    assert_int_equal(qr_svg(text, NULL, &svg, &len), 0);
    assert_int_equal(strlen(svg), len);
    side = read_grid(svg, grid);
    qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    assert_non_null(qr);
    assert_int_equal(side, qr->width + 2 * q);
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++) {
            int inside = x >= q && y >= q && x < q + qr->width && y < q + qr->width;
            int dark = inside && (qr->data[(y - q) * qr->width + (x - q)] & 1);

            assert_int_equal(grid[y][x], dark);
        }
    assert_finder(grid, q, q);
    assert_finder(grid, q + qr->width - 7, q);
    assert_finder(grid, q, q + qr->width - 7);
    QRcode_free(qr);
    free(svg);
}

static void test_grid(void **state)
{
    (void)state;
    check_text("x");
    check_text("http://192.168.1.20:8731/.ferry/pair?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
               "&to=/Photos/2026%20Summer/");
}

static void test_label(void **state)
{
    (void)state;
    char *svg = NULL;
    size_t len;

    assert_int_equal(qr_svg("x", "a \"<b>\" & 'c'", &svg, &len), 0);
    assert_non_null(strstr(svg, " role=\"img\" aria-label=\"a &quot;&lt;b&gt;&quot; &amp; "
                                "&apos;c&apos;\">"));
    free(svg);
    assert_int_equal(qr_svg("x", NULL, &svg, &len), 0);
    assert_null(strstr(svg, "aria-label"));
    free(svg);
}

static void test_too_long(void **state)
{
    (void)state;
    size_t n = 4000, len = 7;
    char *text = malloc(n + 1), *svg = (char *)"untouched";

    assert_non_null(text);
    memset(text, 'a', n);
    text[n] = '\0';
    assert_int_equal(qr_svg(text, NULL, &svg, &len), -EINVAL);
    assert_null(svg);
    assert_int_equal(len, 0);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grid),
        cmocka_unit_test(test_label),
        cmocka_unit_test(test_too_long),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
