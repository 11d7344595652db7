/*
 * fuzz_dav_xml.c — fuzz target for the WebDAV body parsers
 * (daemon/dav/dav-xml.c). DAV_FUZZ_KIND picks the body kind (one target per
 * kind: replay_dav_propfind, _proppatch, _lock). The input is fed whole and
 * again split in two at a point taken from its first byte; both must agree,
 * and the result must satisfy dav-xml.h's promises.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dav-xml.h"
#include "fuzz.h"

#ifndef DAV_FUZZ_KIND
#error "DAV_FUZZ_KIND must name the body kind"
#endif

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_dav_xml: %s\n", what);
    abort();
}

/* Parses data in two chunks split at `cut`. */
static int run(const uint8_t *data, size_t size, size_t cut, struct dav_xml_result *r)
{
    struct dav_xml *x = dav_xml_new(DAV_FUZZ_KIND);
    int rc;

    if (!x)
        abort();
    rc = dav_xml_feed(x, (const char *)data, cut);
    if (rc == 0)
        rc = dav_xml_feed(x, (const char *)data + cut, size - cut);
    if (rc == 0)
        rc = dav_xml_finish(x, r);
    else
        check(dav_xml_finish(x, r) == rc, "finish changed the error");
    check(rc == 0 || *dav_xml_message(x), "an error without a message");
    dav_xml_free(x);
    return rc;
}

/* See fuzz.h. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dav_xml_result a, b;
    int ra = run(data, size, size, &a);
    int rb = run(data, size, size ? data[0] % (size + 1) : 0, &b);

    check(ra == rb, "chunking changed the outcome");
    check(ra <= 0 && ra >= DAV_XML_ENOMEM, "unknown result");
    if (ra == 0) {
        check(a.nprops == b.nprops && a.nprops <= DAV_XML_PROPS_MAX, "property count");
        for (size_t i = 0; i < a.nprops; i++) {
            check(strcmp(a.props[i].ns, b.props[i].ns) == 0 &&
                  strcmp(a.props[i].name, b.props[i].name) == 0, "names differ");
            check(!a.props[i].value == !b.props[i].value &&
                  (!a.props[i].value || strcmp(a.props[i].value, b.props[i].value) == 0),
                  "values differ");
            check(DAV_FUZZ_KIND != DAV_BODY_PROPPATCH ||
                  (a.props[i].remove ? !a.props[i].value : !!a.props[i].value),
                  "a set without a value or a remove with one");
        }
        check(!a.owner == !b.owner && (!a.owner || strcmp(a.owner, b.owner) == 0), "owner");
        /* a re-serialised value must itself parse back as XML content */
        for (size_t i = 0; DAV_FUZZ_KIND == DAV_BODY_PROPPATCH && i < a.nprops; i++) {
            if (a.props[i].value) {
                size_t n = strlen(a.props[i].value) + 128;
                char *doc = malloc(n);
                struct dav_xml_result c;
                int rc;

                snprintf(doc, n, "<propertyupdate xmlns='DAV:'><set><prop><v xmlns='urn:f'>%s"
                         "</v></prop></set></propertyupdate>", a.props[i].value);
                rc = dav_xml_parse(DAV_BODY_PROPPATCH, doc, strlen(doc), &c, NULL, 0);
                check(rc == 0 || rc == DAV_XML_ETOOBIG, "a value does not parse back");
                check(rc || strcmp(c.props[0].value, a.props[i].value) == 0,
                      "a value changes when parsed back");
                dav_xml_result_free(&c);
                free(doc);
            }
        }
    }
    dav_xml_result_free(&a);
    dav_xml_result_free(&b);
    return 0;
}
