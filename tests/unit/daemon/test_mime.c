/*
 * test_mime.c — unit tests of mime_type_for() (daemon/http/mime.c): every entry
 * of the table (which also proves it is sorted, as bsearch would miss an
 * entry out of order), case-insensitivity, charset on text types only, and
 * names without a usable extension.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "mime.h"

#define OCTET "application/octet-stream"
#define UTF8 "; charset=utf-8"

struct expect {
    const char *ext;
    const char *type;
};

/* Every extension mime.c knows, in no particular order. */
static const struct expect known[] = {
    /* web and text */
    {"html", "text/html" UTF8}, {"htm", "text/html" UTF8},
    {"xhtml", "application/xhtml+xml"},
    {"css", "text/css" UTF8}, {"js", "text/javascript" UTF8},
    {"mjs", "text/javascript" UTF8}, {"json", "application/json"},
    {"map", "application/json"}, {"webmanifest", "application/manifest+json"},
    {"xml", "application/xml"}, {"wasm", "application/wasm"},
    {"txt", "text/plain" UTF8}, {"text", "text/plain" UTF8},
    {"log", "text/plain" UTF8}, {"md", "text/markdown" UTF8},
    {"markdown", "text/markdown" UTF8}, {"csv", "text/csv" UTF8},
    {"tsv", "text/tab-separated-values" UTF8}, {"ics", "text/calendar" UTF8},
    {"vtt", "text/vtt" UTF8}, {"yaml", "application/yaml"},
    {"yml", "application/yaml"}, {"rss", "application/rss+xml"},
    {"atom", "application/atom+xml"},
    /* images */
    {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"png", "image/png"},
    {"apng", "image/apng"}, {"gif", "image/gif"}, {"webp", "image/webp"},
    {"avif", "image/avif"}, {"heic", "image/heic"}, {"heif", "image/heif"},
    {"jxl", "image/jxl"}, {"svg", "image/svg+xml"},
    {"ico", "image/vnd.microsoft.icon"}, {"bmp", "image/bmp"},
    {"tif", "image/tiff"}, {"tiff", "image/tiff"},
    /* video */
    {"mp4", "video/mp4"}, {"m4v", "video/mp4"}, {"mov", "video/quicktime"},
    {"webm", "video/webm"}, {"mkv", "video/x-matroska"},
    {"avi", "video/x-msvideo"}, {"mpeg", "video/mpeg"}, {"mpg", "video/mpeg"},
    {"ogv", "video/ogg"}, {"3gp", "video/3gpp"},
    /* audio */
    {"mp3", "audio/mpeg"}, {"m4a", "audio/mp4"}, {"aac", "audio/aac"},
    {"wav", "audio/wav"}, {"flac", "audio/flac"}, {"ogg", "audio/ogg"},
    {"oga", "audio/ogg"}, {"opus", "audio/ogg"}, {"weba", "audio/webm"},
    {"mid", "audio/midi"}, {"midi", "audio/midi"},
    /* documents and archives */
    {"pdf", "application/pdf"}, {"zip", "application/zip"},
    {"gz", "application/gzip"}, {"tgz", "application/gzip"},
    {"tar", "application/x-tar"}, {"7z", "application/x-7z-compressed"},
    {"bz2", "application/x-bzip2"}, {"xz", "application/x-xz"},
    {"zst", "application/zstd"}, {"rar", "application/vnd.rar"},
    {"epub", "application/epub+zip"}, {"rtf", "application/rtf"},
    {"doc", "application/msword"},
    {"docx", "application/vnd.openxmlformats-officedocument."
             "wordprocessingml.document"},
    {"xls", "application/vnd.ms-excel"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"pptx", "application/vnd.openxmlformats-officedocument."
             "presentationml.presentation"},
    {"odt", "application/vnd.oasis.opendocument.text"},
    {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
    {"odp", "application/vnd.oasis.opendocument.presentation"},
    {"apk", "application/vnd.android.package-archive"},
    /* fonts */
    {"woff", "font/woff"}, {"woff2", "font/woff2"}, {"ttf", "font/ttf"},
    {"otf", "font/otf"}, {"eot", "application/vnd.ms-fontobject"},
};

#define NKNOWN (sizeof known / sizeof known[0])

/* Checks mime_type_for(name) against want. */
static void expect_type(const char *name, const char *want)
{
    const char *got = mime_type_for(name);

    if (!got)
        fail_msg("mime_type_for(\"%s\") is NULL", name ? name : "(null)");
    if (strcmp(got, want) != 0)
        fail_msg("mime_type_for(\"%s\") = \"%s\", want \"%s\"",
                 name ? name : "(null)", got, want);
}

/* Every table entry is found, so the table is also sorted. */
static void test_every_entry(void **state)
{
    char name[64];

    (void)state;
    for (size_t i = 0; i < NKNOWN; i++) {
        snprintf(name, sizeof name, "file.%s", known[i].ext);
        expect_type(name, known[i].type);
    }
}

/* Upper and mixed case extensions find the same type. */
static void test_case_insensitive(void **state)
{
    char name[64];

    (void)state;
    for (size_t i = 0; i < NKNOWN; i++) {
        size_t len = (size_t)snprintf(name, sizeof name, "PHOTO.%s", known[i].ext);

        for (size_t k = 6; k < len; k++)
            name[k] = (char)toupper((unsigned char)name[k]);
        expect_type(name, known[i].type);
        /* Alternate case: "JpEg". */
        for (size_t k = 6; k < len; k += 2)
            name[k] = (char)tolower((unsigned char)name[k]);
        expect_type(name, known[i].type);
    }
    expect_type("a.Mp4", "video/mp4");
    expect_type("a.HEIC", "image/heic");
    expect_type("a.WOFF2", "font/woff2");
}

/* text/ types carry the charset, no other type does. */
static void test_charset_only_on_text(void **state)
{
    char name[64];

    (void)state;
    for (size_t i = 0; i < NKNOWN; i++) {
        const char *t;
        size_t tl, ul = strlen(UTF8);

        snprintf(name, sizeof name, "x.%s", known[i].ext);
        t = mime_type_for(name);
        tl = strlen(t);
        if (strncmp(t, "text/", 5) == 0)
            assert_true(tl > ul && strcmp(t + tl - ul, UTF8) == 0);
        else
            assert_null(strstr(t, "charset"));
    }
}

/* Names without a usable extension are octet-stream. */
static void test_no_extension(void **state)
{
    (void)state;
    expect_type(NULL, OCTET);
    expect_type("", OCTET);
    expect_type("README", OCTET);
    expect_type("file.", OCTET);
    expect_type(".", OCTET);
    expect_type("..", OCTET);
    expect_type(".bashrc", OCTET);
    expect_type(".txt", OCTET);          /* a dot-file, not an extension */
    expect_type("dir/.html", OCTET);
    expect_type("dir.html/README", OCTET);
    expect_type("dir.html/", OCTET);
    expect_type("/", OCTET);
}

/* Only the last extension of the last path component counts. */
static void test_final_extension_only(void **state)
{
    (void)state;
    expect_type("archive.tar.gz", "application/gzip");
    expect_type("a.b.c.png", "image/png");
    expect_type("page.html.bak", OCTET);
    expect_type("..png", "image/png");
    expect_type("dir/sub/photo.JPG", "image/jpeg");
    expect_type("dir.d/photo.jpeg", "image/jpeg");
    expect_type("/abs/path/.hidden.css", "text/css" UTF8);
}

/* Near misses and odd bytes are unknown, never a neighbour's type. */
static void test_unknown(void **state)
{
    static const char *const names[] = {
        "x.qqq", "x.jp", "x.jpgx", "x.pn", "x.h", "x.mp", "x.zzzzzzzzzzzz",
        "x.webmanifestx", "x.0", "x.7", "x.7zz", "x. png", "x.png ", "x.pn\xc3\xa9",
        "x.\xff\xfe", "x.htm\x01", "x.j%70g", "x.-", "x.aaaa", "x.zzzz",
        "x.js.", "x.ht ml",
    };

    (void)state;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        expect_type(names[i], OCTET);
}

/* Long names, with and without an extension. */
static void test_long_names(void **state)
{
    char name[5000];

    (void)state;
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    expect_type(name, OCTET);
    memcpy(name + sizeof name - 5, ".png", 4);
    expect_type(name, "image/png");
    memset(name, '.', sizeof name - 1);
    expect_type(name, OCTET);
}

/* The result is a static string: the same pointer every time. */
static void test_static_result(void **state)
{
    const char *a, *b;

    (void)state;
    a = mime_type_for("a.png");
    b = mime_type_for("b.PNG");
    assert_ptr_equal(a, b);
    assert_string_equal(a, "image/png");
    assert_ptr_equal(mime_type_for("x"), mime_type_for("y.unknown"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_entry),
        cmocka_unit_test(test_case_insensitive),
        cmocka_unit_test(test_charset_only_on_text),
        cmocka_unit_test(test_no_extension),
        cmocka_unit_test(test_final_extension_only),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_long_names),
        cmocka_unit_test(test_static_result),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
