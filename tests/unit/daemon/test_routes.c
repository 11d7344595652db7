/*
 * test_routes.c — unit tests of the route table (daemon/http/route-table.c)
 * and the method names of the request context (daemon/http/request.c),
 * without sockets: which handler each method and path reaches, which rows
 * only refuse, the Allow a path gets for read-write and read-only callers,
 * and the Allow text's bounds.
 *
 * The handlers the table names are stand-ins defined here (their names
 * tell them apart); the server is a zeroed struct with only cfg.read_only
 * set.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "dav-mhd.h"
#include "request.h"
#include "routes.h"
#include "server.h"

/* ------------------------------------------------------------ stand-ins */

const struct route_handler tus_handler = {.name = "tus"};
const struct route_handler put_handler = {.name = "put"};
const struct route_handler trash_handler = {.name = "trash"};
const struct route_handler fileops_handler = {.name = "fileops"};
const struct route_handler status_handler = {.name = "status"};
const struct route_handler assets_handler = {.name = "ui"};
const struct route_handler share_get_handler = {.name = "share"};
const struct route_handler dav_handler = {.name = "webdav"};
const struct route_handler dav_put_handler = {.name = "put (dav)"};
const struct route_handler dav_fileops_handler = {.name = "fileops (dav)"};

void dav_mhd_options_headers(struct MHD_Response *r)
{
    (void)r;
}
const struct route_handler zip_select_handler = {.name = "zip-select"};

enum MHD_Result req_reply(struct req *rq, unsigned status, struct MHD_Response *r,
                          uint64_t len)
{
    (void)rq;
    (void)status;
    (void)r;
    (void)len;
    return MHD_YES;
}

enum MHD_Result req_error_page(struct req *rq, enum req_page page)
{
    (void)rq;
    (void)page;
    return MHD_YES;
}

/* ---------------------------------------------------------------- helpers */

static struct ferry_server server;

/* A request for `method` on `url`, as the gate would fill it. */
static struct req request(const char *method, const char *url)
{
    struct req rq;

    memset(&rq, 0, sizeof rq);
    rq.srv = &server;
    rq.method = method;
    rq.method_bit = req_method_bit(method);
    rq.url = url;
    rq.space = strncmp(url, REQ_FERRY_PREFIX, sizeof REQ_FERRY_PREFIX - 1) == 0
                   ? REQ_SPACE_FERRY : REQ_SPACE_SHARED;
    rq.auth.rights = AUTH_RIGHTS_RW;
    return rq;
}

/* The name of the handler `method` on `url` reaches, or "405". */
static const char *routed(const char *method, const char *url)
{
    struct req rq = request(method, url);
    const struct route_handler *h = routes_find(&rq);

    return h ? h->name : "405";
}

/* The Allow of `url` for rights (and the server's cfg.read_only). */
static const char *allow(const char *url, enum auth_rights rights)
{
    static char buf[200];
    struct req rq = request("GET", url);

    rq.auth.rights = rights;
    routes_allow_text(routes_allowed(&rq), buf, sizeof buf);
    return buf;
}

/* ------------------------------------------------------------------ tests */

static void test_method_bits(void **state)
{
    (void)state;
    assert_int_equal(req_method_bit("GET"), REQ_GET);
    assert_int_equal(req_method_bit("PROPFIND"), REQ_PROPFIND);
    assert_int_equal(req_method_bit("UNLOCK"), REQ_UNLOCK);
    assert_int_equal(req_method_bit("get"), REQ_OTHER); /* methods are case-sensitive */
    assert_int_equal(req_method_bit("BREW"), REQ_OTHER);
    assert_int_equal(req_method_bit(""), REQ_OTHER);
}

/* Each method and path, and the handler it reaches ("405": none). */
static const struct {
    const char *method, *url, *handler;
} cases[] = {
    /* the shared folder */
    {"GET", "/a/b.txt", "share"},
    {"HEAD", "/", "share"},
    {"PUT", "/a/b.txt", "put (dav)"}, /* If: and locks, then put */
    {"OPTIONS", "/a/", "options"},
    {"MKCOL", "/new/", "fileops (dav)"},
    {"MOVE", "/a", "fileops (dav)"},
    {"COPY", "/a", "fileops (dav)"},
    {"DELETE", "/a", "fileops (dav)"},
    /* a selection's zip; without ?download=zip the handler answers the
     * 405 itself, before the body (its row is unlisted: test_allow) */
    {"POST", "/a/", "zip-select"},
    {"PATCH", "/a", "405"},
    {"PROPFIND", "/a", "webdav"}, /* WebDAV class 2 */
    {"PROPPATCH", "/a/", "webdav"},
    {"LOCK", "/a", "webdav"},
    {"UNLOCK", "/", "webdav"},
    {"REPORT", "/a", "405"},
    {"BREW", "/a", "405"},
    {"GET", "/.ferry", "share"}, /* without its slash: a (hidden) name */
    /* tus: the prefix without its slash, and below; every method */
    {"POST", "/.ferry/uploads", "tus"},
    {"PATCH", "/.ferry/uploads/abc", "tus"},
    {"GET", "/.ferry/uploads/", "tus"},
    {"GET", "/.ferry/uploadsX", "not found"},
    /* the trash, likewise; PUT still goes to PUT, which refuses it */
    {"DELETE", "/.ferry/trash", "trash"},
    {"POST", "/.ferry/trash/x/restore", "trash"},
    {"PUT", "/.ferry/trash", "put"},
    {"GET", "/.ferry/trashcan", "not found"},
    /* writes under /.ferry/ reach the handlers that refuse them */
    {"PUT", "/.ferry/status", "put"},
    {"MKCOL", "/.ferry/x", "fileops"},
    /* the read-only endpoints */
    {"GET", "/.ferry/status", "status"},
    {"OPTIONS", "/.ferry/status", "status"},
    {"GET", "/.ferry/status/", "not found"},
    {"GET", "/.ferry/ui/app.js", "ui"},
    {"OPTIONS", "/.ferry/ui/app.js", "ui"},
    {"GET", "/.ferry/", "not found"},
    {"POST", "/.ferry/status", "405"},
    {"POST", "/.ferry/ui/app.js", "405"},
    /* no WebDAV under /.ferry/ */
    {"PROPFIND", "/.ferry/status", "405"},
    {"PROPFIND", "/.ferry/", "405"},
    {"LOCK", "/.ferry/x", "405"},
    {"PROPFIND", "/.ferry/uploads/abc", "tus"},
};

static void test_routing(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = routed(cases[i].method, cases[i].url);

        if (strcmp(got, cases[i].handler) != 0)
            fail_msg("%s %s: reached %s, not %s", cases[i].method, cases[i].url, got,
                     cases[i].handler);
    }
}

/* Every row is well formed: a handler, a namespace, methods, and a prefix
 * exactly when its match needs one (rows added later included). */
static void test_rows(void **state)
{
    (void)state;
    assert_true(routes_count > 0);
    for (size_t i = 0; i < routes_count; i++) {
        const struct route *r = &routes_table[i];

        assert_non_null(r->handler);
        assert_true(r->methods != 0);
        assert_true(r->spaces != 0 && (r->spaces & ~(unsigned)REQ_SPACE_ANY) == 0);
        if (r->match == ROUTE_ANY)
            assert_null(r->prefix);
        else
            assert_true(r->prefix && r->prefix[0] == '/');
    }
}

static void test_allow(void **state)
{
    (void)state;
    server.cfg.read_only = 0;
    assert_string_equal(allow("/a/", AUTH_RIGHTS_RW),
                        "GET, HEAD, PUT, OPTIONS, MKCOL, MOVE, COPY, DELETE, PROPFIND, "
                        "PROPPATCH, LOCK, UNLOCK");
    assert_string_equal(allow("/a/", AUTH_RIGHTS_RO), "GET, HEAD, OPTIONS, PROPFIND");
    /* rows that only refuse are not methods of the path */
    assert_string_equal(allow("/.ferry/status", AUTH_RIGHTS_RW), "GET, HEAD, OPTIONS");
    server.cfg.read_only = 1;
    assert_string_equal(allow("/a/", AUTH_RIGHTS_RW), "GET, HEAD, OPTIONS, PROPFIND");
    server.cfg.read_only = 0;
}

static void test_allow_text_bounds(void **state)
{
    char small[12], one[1];

    (void)state;
    memset(small, 'x', sizeof small);
    routes_allow_text(REQ_GET | REQ_HEAD | REQ_PUT, small, sizeof small);
    assert_string_equal(small, "GET, HEAD"); /* ", PUT" does not fit: left out */
    routes_allow_text(REQ_GET, one, sizeof one);
    assert_string_equal(one, "");
    routes_allow_text(REQ_OTHER, small, sizeof small);
    assert_string_equal(small, "");
    routes_allow_text(REQ_PROPFIND | REQ_LOCK | REQ_UNLOCK, small, sizeof small);
    assert_string_equal(small, "PROPFIND");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_method_bits),
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_routing),
        cmocka_unit_test(test_allow),
        cmocka_unit_test(test_allow_text_bounds),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
