/*
 * test_dav_xml.c — unit tests of the WebDAV body parsers (daemon/dav/dav-xml.c):
 * PROPFIND kinds and names by namespace (not prefix), PROPPATCH operations
 * and re-serialised values, LOCK scope/type/owner, empty bodies, chunked
 * feeding byte by byte, and the refusals: malformed XML, DOCTYPE and
 * entities (billion laughs), wrong roots, size, depth and count limits.
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

#include "dav-xml.h"

static int parse(enum dav_body_kind k, const char *body, struct dav_xml_result *r)
{
    char msg[256];
    int rc = dav_xml_parse(k, body, strlen(body), r, msg, sizeof msg);

    if (rc)
        print_message("# %s\n", msg);
    return rc;
}

static void propfind_named(void **state)
{
    struct dav_xml_result r;

    (void)state;
    assert_int_equal(parse(DAV_BODY_PROPFIND,
                           "<?xml version=\"1.0\"?><x:propfind xmlns:x=\"DAV:\"><x:prop>"
                           "<x:getetag/><resourcetype xmlns=\"DAV:\"/>"
                           "<z:foo xmlns:z=\"http://example.com/ns\"/><bare/>"
                           "</x:prop></x:propfind>", &r), 0);
    assert_int_equal(r.pf, DAV_PF_PROP);
    assert_int_equal(r.nprops, 4);
    assert_string_equal(r.props[0].ns, "DAV:");
    assert_string_equal(r.props[0].name, "getetag");
    assert_string_equal(r.props[1].name, "resourcetype");
    assert_string_equal(r.props[2].ns, "http://example.com/ns");
    assert_string_equal(r.props[2].name, "foo");
    assert_string_equal(r.props[3].ns, "");
    assert_null(r.props[0].value);
    dav_xml_result_free(&r);
}

static void propfind_kinds(void **state)
{
    struct dav_xml_result r;

    (void)state;
    assert_int_equal(parse(DAV_BODY_PROPFIND, "<propfind xmlns=\"DAV:\"><allprop/>"
                           "<include><quota-used-bytes/></include></propfind>", &r), 0);
    assert_int_equal(r.pf, DAV_PF_ALLPROP);
    assert_int_equal(r.nprops, 1);
    dav_xml_result_free(&r);
    assert_int_equal(parse(DAV_BODY_PROPFIND, "<propfind xmlns=\"DAV:\"><propname/></propfind>",
                           &r), 0);
    assert_int_equal(r.pf, DAV_PF_PROPNAME);
    dav_xml_result_free(&r);
    assert_int_equal(parse(DAV_BODY_PROPFIND, "", &r), 0);
    assert_true(r.empty);
    assert_int_equal(r.pf, DAV_PF_ALLPROP);
    dav_xml_result_free(&r);
    assert_int_equal(parse(DAV_BODY_PROPFIND, " \r\n", &r), 0);
    assert_true(r.empty);
    dav_xml_result_free(&r);
    /* an unknown element beside allprop is ignored (extensibility) */
    assert_int_equal(parse(DAV_BODY_PROPFIND, "<propfind xmlns=\"DAV:\"><x xmlns=\"y\"/><allprop/>"
                           "</propfind>", &r), 0);
    dav_xml_result_free(&r);
}

static void propfind_refused(void **state)
{
    struct dav_xml_result r;

    (void)state;
    /* litmus propfind_invalid: not well-formed */
    assert_int_equal(parse(DAV_BODY_PROPFIND, "<foo>", &r), DAV_XML_EMALFORMED);
    /* litmus propfind_invalid2: an empty namespace bound to a prefix */
    assert_int_equal(parse(DAV_BODY_PROPFIND, "<D:propfind xmlns:D=\"DAV:\"><D:prop>"
                           "<bar:foo xmlns:bar=\"\"/></D:prop></D:propfind>", &r),
                     DAV_XML_EMALFORMED);
    /* well-formed, but another document: 422 */
    assert_int_equal(parse(DAV_BODY_PROPFIND, "<foo/>", &r), DAV_XML_EINVALID);
    /* the right local name in the wrong namespace */
    assert_int_equal(parse(DAV_BODY_PROPFIND, "<propfind xmlns=\"urn:x\"><allprop/></propfind>",
                           &r), DAV_XML_EINVALID);
    assert_int_equal(parse(DAV_BODY_PROPFIND, "<propfind><allprop/></propfind>", &r),
                     DAV_XML_EINVALID);
    assert_int_equal(parse(DAV_BODY_PROPFIND, "<propfind xmlns=\"DAV:\"/>", &r),
                     DAV_XML_EINVALID);
    assert_int_equal(parse(DAV_BODY_PROPFIND, "<propfind xmlns=\"DAV:\"><allprop/><propname/>"
                           "</propfind>", &r), DAV_XML_EINVALID);
    assert_int_equal(parse(DAV_BODY_PROPFIND, "<propfind xmlns=\"DAV:\"><allprop/></propfind>x",
                           &r), DAV_XML_EMALFORMED);
    assert_int_equal(dav_xml_status(DAV_XML_EMALFORMED), 400);
    assert_int_equal(dav_xml_status(DAV_XML_EINVALID), 422);
    assert_int_equal(dav_xml_status(DAV_XML_ETOOBIG), 413);
}

static void doctype_and_entities(void **state)
{
    struct dav_xml_result r;
    static const char lol[] =
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
        "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>"
        "<propertyupdate xmlns=\"DAV:\"><set><prop><x xmlns=\"urn:a\">&lol3;</x></prop></set>"
        "</propertyupdate>";
    char msg[256];

    (void)state;
    assert_int_equal(dav_xml_parse(DAV_BODY_PROPPATCH, lol, strlen(lol), &r, msg, sizeof msg),
                     DAV_XML_EMALFORMED);
    assert_non_null(strstr(msg, "DOCTYPE"));
    assert_int_equal(parse(DAV_BODY_PROPFIND, "<!DOCTYPE propfind SYSTEM \"http://x/y.dtd\">"
                           "<propfind xmlns=\"DAV:\"><allprop/></propfind>", &r),
                     DAV_XML_EMALFORMED);
    /* an undeclared entity is not well-formed; predefined ones are fine */
    assert_int_equal(parse(DAV_BODY_PROPPATCH, "<propertyupdate xmlns=\"DAV:\"><set><prop>"
                           "<x xmlns=\"urn:a\">&foo;</x></prop></set></propertyupdate>", &r),
                     DAV_XML_EMALFORMED);
    assert_int_equal(parse(DAV_BODY_PROPPATCH, "<propertyupdate xmlns=\"DAV:\"><set><prop>"
                           "<x xmlns=\"urn:a\">a&amp;b&#x263A;</x></prop></set></propertyupdate>",
                           &r), 0);
    assert_string_equal(r.props[0].value, "a&amp;b\xe2\x98\xba");
    dav_xml_result_free(&r);
}

static void proppatch_ops(void **state)
{
    struct dav_xml_result r;

    (void)state;
    assert_int_equal(parse(DAV_BODY_PROPPATCH,
        "<D:propertyupdate xmlns:D=\"DAV:\" xmlns:Z=\"http://ns.example.com/z/\">"
        "<D:set><D:prop><Z:Author>Jim <i>W</i></Z:Author>"
        "<Z:Nested><Z:a xml:lang=\"en\" Z:k=\"v&quot;\">t</Z:a><b/></Z:Nested>"
        "<Z:Empty/></D:prop></D:set>"
        "<D:remove><D:prop><Z:Copyright-Owner/></D:prop></D:remove>"
        "</D:propertyupdate>", &r), 0);
    assert_int_equal(r.nprops, 4);
    assert_string_equal(r.props[0].ns, "http://ns.example.com/z/");
    assert_string_equal(r.props[0].name, "Author");
    assert_int_equal(r.props[0].remove, 0);
    assert_string_equal(r.props[0].value, "Jim <i>W</i>");
    assert_string_equal(r.props[1].value,
                        "<n:a xmlns:n=\"http://ns.example.com/z/\" xml:lang=\"en\" "
                        "xmlns:a1=\"http://ns.example.com/z/\" a1:k=\"v&quot;\">t</n:a><b></b>");
    assert_string_equal(r.props[2].value, "");
    assert_int_equal(r.props[3].remove, 1);
    assert_null(r.props[3].value);
    dav_xml_result_free(&r);
    assert_int_equal(parse(DAV_BODY_PROPPATCH, "", &r), DAV_XML_EINVALID);
    assert_int_equal(parse(DAV_BODY_PROPPATCH, "<propertyupdate xmlns=\"DAV:\"/>", &r),
                     DAV_XML_EINVALID);
}

static void lock_bodies(void **state)
{
    struct dav_xml_result r;

    (void)state;
    assert_int_equal(parse(DAV_BODY_LOCK,
        "<?xml version=\"1.0\" encoding=\"utf-8\" ?><D:lockinfo xmlns:D='DAV:'>"
        "<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>"
        "<D:owner><D:href>http://example.org/~ejw/contact.html</D:href></D:owner>"
        "</D:lockinfo>", &r), 0);
    assert_int_equal(r.shared, 0);
    assert_string_equal(r.owner, "<n:href xmlns:n=\"DAV:\">http://example.org/~ejw/contact.html"
                                 "</n:href>");
    dav_xml_result_free(&r);
    assert_int_equal(parse(DAV_BODY_LOCK, "<lockinfo xmlns='DAV:'><locktype><write/></locktype>"
                           "<lockscope><shared/></lockscope><owner>me &amp; you</owner>"
                           "</lockinfo>", &r), 0);
    assert_int_equal(r.shared, 1);
    assert_string_equal(r.owner, "me &amp; you");
    dav_xml_result_free(&r);
    assert_int_equal(parse(DAV_BODY_LOCK, "", &r), 0); /* a refresh */
    assert_true(r.empty);
    assert_null(r.owner);
    assert_int_equal(parse(DAV_BODY_LOCK, "<lockinfo xmlns='DAV:'><lockscope><exclusive/>"
                           "</lockscope></lockinfo>", &r), DAV_XML_EINVALID);
    assert_int_equal(parse(DAV_BODY_LOCK, "<lockinfo xmlns='DAV:'><lockscope><whatever/>"
                           "</lockscope><locktype><write/></locktype></lockinfo>", &r),
                     DAV_XML_EINVALID);
    assert_int_equal(parse(DAV_BODY_LOCK, "<lockinfo xmlns='DAV:'><lockscope><exclusive/>"
                           "</lockscope><locktype><read/></locktype></lockinfo>", &r),
                     DAV_XML_EINVALID);
}

/* The same body fed one byte at a time gives the same result. */
static void chunked(void **state)
{
    static const char body[] =
        "<D:propertyupdate xmlns:D=\"DAV:\"><D:set><D:prop><Z:x xmlns:Z=\"urn:z\">"
        "h\xc3\xa9llo <Z:y/></Z:x></D:prop></D:set></D:propertyupdate>";
    struct dav_xml *x = dav_xml_new(DAV_BODY_PROPPATCH);
    struct dav_xml_result r;

    (void)state;
    assert_non_null(x);
    for (size_t i = 0; i < sizeof body - 1; i++)
        assert_int_equal(dav_xml_feed(x, body + i, 1), 0);
    assert_int_equal(dav_xml_finish(x, &r), 0);
    assert_string_equal(r.props[0].value, "h\xc3\xa9llo <n:y xmlns:n=\"urn:z\"></n:y>");
    dav_xml_result_free(&r);
    dav_xml_free(x);
}

static void limits(void **state)
{
    struct dav_xml_result r;
    struct dav_xml *x;
    char *big;
    size_t n = 0;

    (void)state;
    /* size: refused as soon as the body passes the limit */
    x = dav_xml_new(DAV_BODY_PROPFIND);
    big = malloc(DAV_XML_BODY_MAX + 1);
    memset(big, ' ', DAV_XML_BODY_MAX + 1);
    assert_int_equal(dav_xml_feed(x, "<propfind xmlns='DAV:'>", 23), 0);
    assert_int_equal(dav_xml_feed(x, big, DAV_XML_BODY_MAX), DAV_XML_ETOOBIG);
    assert_int_equal(dav_xml_feed(x, "x", 1), DAV_XML_ETOOBIG);
    assert_int_equal(dav_xml_finish(x, &r), DAV_XML_ETOOBIG);
    dav_xml_free(x);
    /* depth */
    n = (size_t)snprintf(big, 64, "<propertyupdate xmlns='DAV:'><set><prop><x>");
    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(big + n, 8, "<y>");
    assert_int_equal(dav_xml_parse(DAV_BODY_PROPPATCH, big, n, &r, NULL, 0), DAV_XML_ETOOBIG);
    /* number of properties */
    n = (size_t)snprintf(big, 64, "<propfind xmlns='DAV:'><prop>");
    for (int i = 0; i < DAV_XML_PROPS_MAX + 1; i++)
        n += (size_t)snprintf(big + n, 16, "<p%d/>", i);
    n += (size_t)snprintf(big + n, 32, "</prop></propfind>");
    assert_int_equal(dav_xml_parse(DAV_BODY_PROPFIND, big, n, &r, NULL, 0), DAV_XML_ETOOBIG);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(propfind_named),   cmocka_unit_test(propfind_kinds),
        cmocka_unit_test(propfind_refused), cmocka_unit_test(doctype_and_entities),
        cmocka_unit_test(proppatch_ops),    cmocka_unit_test(lock_bodies),
        cmocka_unit_test(chunked),          cmocka_unit_test(limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
