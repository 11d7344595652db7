/*
 * test_dav_if.c — unit tests of the If: header (daemon/dav/dav-if.c): the
 * RFC 4918 §10.4 examples and litmus's headers parsed, malformed ones
 * refused, limits, evaluation of tokens, ETags, Not and tagged lists
 * against stand-in resources, submitted tokens, and Resource-Tag paths.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dav-if.h"

#define TOK "opaquelocktoken:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"

/* Two resources: the request's (untagged, or tag ending in /a) and /b. */
struct world {
    struct dav_if_state req, b;
};

static int state_of(void *cls, const char *tag, struct dav_if_state *st)
{
    struct world *w = cls;
    char path[256];

    if (!tag) {
        *st = w->req;
        return 0;
    }
    if (dav_if_tag_path(tag, path, sizeof path) < 0)
        return -1;
    if (strcmp(path, "/a") == 0)
        *st = w->req;
    else if (strcmp(path, "/b") == 0)
        *st = w->b;
    else
        return -1;
    return 0;
}

static const char *const req_tokens[] = {TOK};

static int eval(const char *hdr, struct world *w)
{
    struct dav_if h;
    int rc = dav_if_parse(hdr, &h);

    if (rc)
        fail_msg("\"%s\" does not parse: %d", hdr, rc);
    rc = dav_if_eval(&h, state_of, w);
    dav_if_free(&h);
    return rc;
}

static void parse_shapes(void **state)
{
    struct dav_if h;

    (void)state;
    assert_int_equal(dav_if_parse("(<" TOK "> [\"I am an ETag\"]) ([\"I am another ETag\"])",
                                  &h), 0);
    assert_int_equal(h.nlists, 2);
    assert_int_equal(h.nconds, 3);
    assert_null(h.lists[0].tag);
    assert_string_equal(h.conds[0].text, TOK);
    assert_int_equal(h.conds[1].etag, 1);
    assert_string_equal(h.conds[1].text, "\"I am an ETag\"");
    dav_if_free(&h);
    assert_int_equal(dav_if_parse("(Not <urn:uuid:181d4fae> <urn:uuid:58f202ac>)", &h), 0);
    assert_int_equal(h.conds[0].not, 1);
    assert_int_equal(h.conds[1].not, 0);
    dav_if_free(&h);
    assert_int_equal(dav_if_parse("<http://www.example.com/specs/> (<" TOK ">)\t"
                                  "</b> ([W/\"x\"]) (Not[\"y\"])", &h), 0);
    assert_int_equal(h.nlists, 3);
    assert_string_equal(h.lists[0].tag, "http://www.example.com/specs/");
    assert_string_equal(h.lists[2].tag, "/b");
    assert_int_equal(h.conds[2].not, 1);
    dav_if_free(&h);
}

static void parse_refused(void **state)
{
    static const char *const bad[] = {
        "", "   ", "()", "(", "(<a>", "<a>", "<a> x", "(<>)", "([])", "(x)", "(Not)",
        "(<a>) <b> (<c>)", /* untagged then tagged */
        "<b> (<c>) (<a>) junk", "(<a>) )", "(Nota <b>)",
    };
    struct dav_if h;
    char *big;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (dav_if_parse(bad[i], &h) != -EINVAL)
            fail_msg("\"%s\" was not refused", bad[i]);
    assert_int_equal(dav_if_parse(NULL, &h), -EINVAL);
    big = malloc(DAV_IF_HEADER_MAX + 2);
    memset(big, ' ', DAV_IF_HEADER_MAX + 1);
    big[DAV_IF_HEADER_MAX + 1] = '\0';
    assert_int_equal(dav_if_parse(big, &h), -E2BIG);
    big[0] = '\0';
    for (int i = 0; i < DAV_IF_CONDS_MAX + 1; i++)
        strcat(big, "(<a>)");
    assert_int_equal(dav_if_parse(big, &h), -E2BIG);
    free(big);
}

static void evaluation(void **state)
{
    struct world w = {
        .req = {.exists = 1, .etag = "\"e1\"", .tokens = req_tokens, .ntokens = 1},
        .b = {.exists = 1, .etag = "\"e2\""},
    };

    (void)state;
    assert_int_equal(eval("(<" TOK ">)", &w), 1);
    assert_int_equal(eval("(<opaquelocktoken:other>)", &w), 0);
    assert_int_equal(eval("(<" TOK "> [\"e1\"])", &w), 1);
    assert_int_equal(eval("(<" TOK "> [\"e2\"])", &w), 0);
    assert_int_equal(eval("([\"e2\"]) ([\"e1\"])", &w), 1); /* any list */
    assert_int_equal(eval("(Not <DAV:no-lock>)", &w), 1);
    assert_int_equal(eval("(<DAV:no-lock>)", &w), 0);
    assert_int_equal(eval("(<" TOK ">) (Not <DAV:no-lock>)", &w), 1);
    assert_int_equal(eval("(Not <" TOK ">)", &w), 0);
    assert_int_equal(eval("([W/\"e1\"])", &w), 0); /* weak never matches */
    /* tagged: each list is judged against its own resource */
    assert_int_equal(eval("</b> ([\"e2\"])", &w), 1);
    assert_int_equal(eval("<http://h:1/b> ([\"e1\"])", &w), 0);
    assert_int_equal(eval("<http://h:1/a> (<" TOK ">)", &w), 1);
    assert_int_equal(eval("</nowhere> (Not <DAV:no-lock>)", &w), 0);
    /* a missing resource matches no token and no tag; Not of them holds */
    w.req.exists = 0;
    assert_int_equal(eval("(<" TOK ">)", &w), 0);
    assert_int_equal(eval("(Not [\"e1\"])", &w), 1);
}

static void submits(void **state)
{
    struct dav_if h;

    (void)state;
    assert_int_equal(dav_if_parse("</b> (<urn:x> [\"e\"]) (Not <urn:y>)", &h), 0);
    assert_true(dav_if_submits(&h, "urn:x"));
    assert_false(dav_if_submits(&h, "urn:y"));
    assert_false(dav_if_submits(&h, "\"e\""));
    dav_if_free(&h);
}

static void tag_paths(void **state)
{
    char out[32];

    (void)state;
    assert_int_equal(dav_if_tag_path("http://127.0.0.1:8080/a%20b/c?q#f", out, sizeof out), 0);
    assert_string_equal(out, "/a%20b/c");
    assert_int_equal(dav_if_tag_path("HTTPS://host", out, sizeof out), 0);
    assert_string_equal(out, "/");
    assert_int_equal(dav_if_tag_path("/x/", out, sizeof out), 0);
    assert_string_equal(out, "/x/");
    assert_int_equal(dav_if_tag_path("urn:x", out, sizeof out), -EINVAL);
    assert_int_equal(dav_if_tag_path("/0123456789012345678901234567890123456789", out,
                                     sizeof out), -ENAMETOOLONG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_shapes), cmocka_unit_test(parse_refused),
        cmocka_unit_test(evaluation),   cmocka_unit_test(submits),
        cmocka_unit_test(tag_paths),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
