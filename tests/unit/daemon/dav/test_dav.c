/*
 * test_dav.c — the WebDAV handlers (daemon/dav/dav.c, with dav-propfind.c,
 * dav-props.c and dav-dead.c) through their narrow interface only
 * (dav_call_begin/body/finish/end, dav_write_check), on a temp tree, no
 * sockets: PROPFIND depth 0/1 and its refusals, the stream read in pieces
 * of any size giving the same bytes, getetag equal to cond_etag(), hidden
 * and unservable names left out; PROPPATCH set/remove and all-or-nothing;
 * LOCK (new, on an unmapped name, conflicting, refresh), UNLOCK, and the
 * write check (If: false 412, a lock without its token 423, with it 0);
 * the body errors' statuses; COPY bringing dead properties along.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cond.h"
#include "dav.h"
#include "paths.h"

static char tmp[64];
static int root_fd = -1;
static struct dav_server *srv;
static struct paths_opts popts;
static int have_xattr;

/* Request headers: a NULL-terminated list of name, value pairs. */
static const char *lookup(void *cls, const char *name)
{
    for (const char *const *h = cls; h && *h; h += 2)
        if (strcasecmp(h[0], name) == 0)
            return h[1];
    return NULL;
}

/* Runs one request; returns the status, the body in *body (malloc'd, read
 * from the stream `piece` bytes at a time when there is one). */
static unsigned run(const char *method, const char *path, const char *const *headers,
                    const char *body, size_t piece, char **out, struct dav_reply *keep)
{
    struct dav_request rq = {.method = method, .path = path, .header = lookup,
                             .header_cls = (void *)headers, .now = 1000};
    struct dav_reply r, early;
    struct dav_call *c = dav_call_begin(srv, &rq, &early);
    char *buf = NULL;
    size_t len = 0;
    unsigned st;

    if (!c) {
        r = early;
    } else {
        for (size_t i = 0; body && body[i]; i++) /* the body a byte at a time */
            dav_call_body(c, body + i, 1);
        dav_call_finish(c, &r);
        dav_call_end(c);
    }
    if (r.stream.read) {
        char chunk[4096];
        ssize_t n;

        while ((n = r.stream.read(r.stream.cls, chunk, piece)) > 0) {
            buf = realloc(buf, len + (size_t)n + 1);
            memcpy(buf + len, chunk, (size_t)n);
            len += (size_t)n;
        }
        assert_int_equal(n, 0);
    } else if (r.body) {
        buf = malloc(r.len + 1);
        memcpy(buf, r.body, r.len);
        len = r.len;
    }
    if (!buf)
        buf = malloc(1);
    buf[len] = '\0';
    st = r.status;
    if (keep)
        *keep = r;
    else
        dav_reply_free(&r);
    if (out)
        *out = buf;
    else
        free(buf);
    return st;
}

static void put_file(const char *rel, const char *text)
{
    int fd = openat(root_fd, rel, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static int setup(void **state)
{
    struct dav_config cfg;
    int fd;

    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/test_dav.XXXXXX");
    assert_non_null(mkdtemp(tmp));
    root_fd = open(tmp, O_RDONLY | O_DIRECTORY);
    assert_true(root_fd >= 0);
    assert_int_equal(mkdirat(root_fd, "dir", 0755), 0);
    put_file("a.txt", "hello\n");
    put_file(".hidden", "x");
    put_file("dir/b.txt", "bb");
    put_file("dir/bad\\name", "x");
    cfg = (struct dav_config){.root_fd = root_fd, .paths = &popts, .root_name = "share",
                              .state_fd = -1};
    srv = dav_server_new(&cfg);
    assert_non_null(srv);
    fd = openat(root_fd, "a.txt", O_RDONLY);
    have_xattr = fsetxattr(fd, "user.ferry.probe", "1", 1, 0) == 0;
    fremovexattr(fd, "user.ferry.probe");
    close(fd);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    dav_server_free(srv);
    close(root_fd);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static void propfind(void **state)
{
    static const char *const d1[] = {"Depth", "1", NULL};
    static const char *const d0[] = {"Depth", "0", NULL};
    static const char *const inf[] = {"Depth", "infinity", NULL};
    char *whole, *bytes, etag[COND_ETAG_MAX], want[128];
    struct stat st;

    (void)state;
    assert_int_equal(run("PROPFIND", "", d1, NULL, 4096, &whole, NULL), 207);
    assert_non_null(strstr(whole, "<D:href>/</D:href>"));
    assert_non_null(strstr(whole, "<D:href>/a.txt</D:href>"));
    assert_non_null(strstr(whole, "<D:href>/dir/</D:href>"));
    assert_non_null(strstr(whole, "<D:displayname>share</D:displayname>"));
    assert_null(strstr(whole, "hidden"));
    assert_non_null(strstr(whole, "</D:multistatus>"));
    /* the same bytes however the stream is read */
    assert_int_equal(run("PROPFIND", "", d1, NULL, 1, &bytes, NULL), 207);
    assert_string_equal(whole, bytes);
    free(whole);
    free(bytes);
    /* getetag is cond_etag() */
    assert_int_equal(run("PROPFIND", "a.txt", d0,
                         "<propfind xmlns='DAV:'><prop><getetag/></prop></propfind>", 7, &whole,
                         NULL), 207);
    assert_int_equal(fstatat(root_fd, "a.txt", &st, 0), 0);
    cond_etag(&st, etag);
    snprintf(want, sizeof want, "<D:getetag>&quot;%.*s&quot;</D:getetag>",
             (int)strlen(etag) - 2, etag + 1);
    assert_non_null(strstr(whole, want));
    free(whole);
    /* a name that could not be requested back is left out */
    assert_int_equal(run("PROPFIND", "dir", d1, NULL, 4096, &whole, NULL), 207);
    assert_non_null(strstr(whole, "<D:href>/dir/b.txt</D:href>"));
    assert_null(strstr(whole, "bad"));
    free(whole);
    /* refusals */
    assert_int_equal(run("PROPFIND", "", inf, NULL, 4096, &whole, NULL), 403);
    assert_non_null(strstr(whole, "propfind-finite-depth"));
    free(whole);
    assert_int_equal(run("PROPFIND", "", NULL, NULL, 4096, NULL, NULL), 403);
    assert_int_equal(run("PROPFIND", "nope", d0, NULL, 4096, NULL, NULL), 404);
    assert_int_equal(run("PROPFIND", "", d0, "<propfind", 4096, NULL, NULL), 400);
    assert_int_equal(run("PROPFIND", "", d0, "<x/>", 4096, NULL, NULL), 422);
    assert_int_equal(run("FOO", "", d0, NULL, 4096, NULL, NULL), 405);
}

static void proppatch(void **state)
{
    static const char set[] = "<propertyupdate xmlns='DAV:'><set><prop>"
                              "<k xmlns='urn:k'>v&amp;w</k></prop></set></propertyupdate>";
    static const char bad[] = "<propertyupdate xmlns='DAV:'><set><prop>"
                              "<j xmlns='urn:k'>1</j><getetag>x</getetag></prop></set>"
                              "</propertyupdate>";
    static const char rm[] = "<propertyupdate xmlns='DAV:'><remove><prop>"
                             "<k xmlns='urn:k'/></prop></remove></propertyupdate>";
    static const char get[] = "<propfind xmlns='DAV:'><prop><k xmlns='urn:k'/>"
                              "<j xmlns='urn:k'/></prop></propfind>";
    static const char *const d0[] = {"Depth", "0", NULL};
    char *out;

    (void)state;
    if (!have_xattr)
        skip();
    assert_int_equal(run("PROPPATCH", "a.txt", NULL, set, 4096, &out, NULL), 207);
    assert_non_null(strstr(out, "HTTP/1.1 200 OK"));
    free(out);
    assert_int_equal(run("PROPFIND", "a.txt", d0, get, 4096, &out, NULL), 207);
    assert_non_null(strstr(out, "<X:k xmlns:X=\"urn:k\">v&amp;w</X:k>"));
    free(out);
    /* a protected property: 403, the other 424, nothing set */
    assert_int_equal(run("PROPPATCH", "a.txt", NULL, bad, 4096, &out, NULL), 207);
    assert_non_null(strstr(out, "403 Forbidden"));
    assert_non_null(strstr(out, "424 Failed Dependency"));
    assert_non_null(strstr(out, "cannot-modify-protected-property"));
    free(out);
    assert_int_equal(run("PROPFIND", "a.txt", d0, get, 4096, &out, NULL), 207);
    assert_non_null(strstr(out, "<X:j xmlns:X=\"urn:k\"/></D:prop><D:status>HTTP/1.1 404"));
    free(out);
    /* COPY's hook brings them along */
    put_file("copy.txt", "c");
    dav_copied(srv, "a.txt", "copy.txt");
    assert_int_equal(run("PROPFIND", "copy.txt", d0, get, 4096, &out, NULL), 207);
    assert_non_null(strstr(out, "v&amp;w"));
    free(out);
    assert_int_equal(run("PROPPATCH", "a.txt", NULL, rm, 4096, NULL, NULL), 207);
    assert_int_equal(run("PROPFIND", "a.txt", d0, get, 4096, &out, NULL), 207);
    assert_null(strstr(out, "v&amp;w"));
    free(out);
    assert_int_equal(run("PROPPATCH", "a.txt", NULL, "", 4096, NULL, NULL), 422);
    assert_int_equal(run("PROPPATCH", "nope", NULL, set, 4096, NULL, NULL), 404);
}

/* The same PROPPATCH and PROPFIND with the properties in a state folder,
 * as on a file system without user xattrs. */
static void proppatch_state_folder(void **state)
{
    static const char set[] = "<propertyupdate xmlns='DAV:'><set><prop>"
                              "<s xmlns='urn:s'>in state</s></prop></set></propertyupdate>";
    static const char *const d0[] = {"Depth", "0", NULL};
    struct dav_server *xattr_srv = srv;
    struct dav_config cfg = {.root_fd = root_fd, .paths = &popts, .root_name = "share",
                             .dead_no_xattr = 1};
    char *out;
    int fd;

    (void)state;
    assert_int_equal(mkdirat(root_fd, "dir/state", 0700), 0);
    cfg.state_fd = openat(root_fd, "dir/state", O_RDONLY | O_DIRECTORY);
    srv = dav_server_new(&cfg);
    assert_non_null(srv);
    assert_int_equal(run("PROPPATCH", "a.txt", NULL, set, 4096, &out, NULL), 207);
    assert_non_null(strstr(out, "HTTP/1.1 200 OK"));
    free(out);
    assert_int_equal(run("PROPFIND", "a.txt", d0, NULL, 4096, &out, NULL), 207);
    assert_non_null(strstr(out, "<X:s xmlns:X=\"urn:s\">in state</X:s>"));
    free(out);
    fd = openat(root_fd, "a.txt", O_RDONLY);
    assert_int_equal(fgetxattr(fd, "user.ferry.{urn:s}s", NULL, 0), -1); /* not an xattr */
    close(fd);
    dav_server_free(srv);
    close(cfg.state_fd);
    srv = xattr_srv;
}

static void locks(void **state)
{
    static const char lk[] = "<lockinfo xmlns='DAV:'><lockscope><exclusive/></lockscope>"
                             "<locktype><write/></locktype><owner>me</owner></lockinfo>";
    static const char *const d0[] = {"Depth", "0", NULL};
    static const char *const d1[] = {"Depth", "1", NULL};
    struct dav_reply r;
    char tok[DAV_HEADER_VALUE_MAX], bare[DAV_HEADER_VALUE_MAX], ifv[DAV_HEADER_VALUE_MAX + 2];
    char lt[DAV_HEADER_VALUE_MAX], *out;
    const char *ifh[] = {"If", ifv, "Timeout", "Second-60", NULL};
    const char *ult[] = {"Lock-Token", lt, NULL};
    static const char *const wrong_if[] = {"If", "([\"nope\"])", NULL};
    struct dav_request wr = {.method = "PUT", .path = "a.txt", .header = lookup, .now = 1000};

    (void)state;
    assert_int_equal(run("LOCK", "a.txt", d0, lk, 4096, &out, &r), 200);
    assert_int_equal(r.nheaders, 1);
    assert_string_equal(r.headers[0].name, "Lock-Token");
    snprintf(tok, sizeof tok, "%s", r.headers[0].value);
    assert_non_null(strstr(out, "<D:owner>me</D:owner>"));
    assert_non_null(strstr(out, "<D:lockroot><D:href>/a.txt</D:href></D:lockroot>"));
    dav_reply_free(&r);
    free(out);
    snprintf(bare, sizeof bare, "%.*s</D:href>", (int)strlen(tok) - 2, tok + 1);
    snprintf(ifv, sizeof ifv, "(%s)", tok);
    snprintf(lt, sizeof lt, "%s", tok);
    /* a second exclusive lock: 423 no-conflicting-lock */
    assert_int_equal(run("LOCK", "a.txt", d0, lk, 4096, &out, NULL), 423);
    assert_non_null(strstr(out, "no-conflicting-lock"));
    free(out);
    /* the write check */
    wr.header_cls = NULL;
    assert_int_equal(dav_write_check(srv, &wr, "a.txt", 0, 0, &r), 423);
    assert_non_null(strstr(r.body, "lock-token-submitted"));
    dav_reply_free(&r);
    wr.header_cls = (void *)ifh;
    assert_int_equal(dav_write_check(srv, &wr, "a.txt", 0, 0, &r), 0);
    wr.header_cls = (void *)wrong_if;
    assert_int_equal(dav_write_check(srv, &wr, "a.txt", 0, 0, &r), 412);
    dav_reply_free(&r);
    /* refresh, lockdiscovery, unlock */
    assert_int_equal(run("LOCK", "a.txt", NULL, NULL, 4096, NULL, NULL), 400);
    assert_int_equal(run("LOCK", "a.txt", ifh, NULL, 4096, &out, NULL), 200);
    assert_non_null(strstr(out, "<D:timeout>Second-60</D:timeout>"));
    free(out);
    assert_int_equal(run("PROPFIND", "", d1, NULL, 4096, &out, NULL), 207);
    assert_non_null(strstr(out, bare));
    free(out);
    assert_int_equal(run("UNLOCK", "dir", ult, NULL, 4096, NULL, NULL), 409);
    assert_int_equal(run("UNLOCK", "a.txt", NULL, NULL, 4096, NULL, NULL), 400);
    assert_int_equal(run("UNLOCK", "a.txt", ult, NULL, 4096, NULL, NULL), 204);
    wr.header_cls = NULL;
    assert_int_equal(dav_write_check(srv, &wr, "a.txt", 0, 0, &r), 0);
    /* an unmapped name: 201 and an empty file; a missing parent: 409 */
    assert_int_equal(run("LOCK", "dir/new.txt", d0, lk, 4096, NULL, NULL), 201);
    assert_int_equal(faccessat(root_fd, "dir/new.txt", F_OK, 0), 0);
    assert_int_equal(run("LOCK", "gone/new.txt", d0, lk, 4096, NULL, NULL), 409);
    /* the folder: a member is locked, so a depth-infinity lock conflicts */
    assert_int_equal(run("LOCK", "dir", NULL, lk, 4096, NULL, NULL), 423);
    dav_forget(srv, "dir");
    assert_int_equal(run("LOCK", "dir", NULL, lk, 4096, NULL, NULL), 200);
    assert_int_equal(dav_write_check(srv, &wr, "dir/b.txt", 0, 0, &r), 423);
    dav_reply_free(&r);
    assert_int_equal(run("LOCK", "a.txt", d1, lk, 4096, NULL, NULL), 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(propfind),
        cmocka_unit_test(proppatch),
        cmocka_unit_test(proppatch_state_folder),
        cmocka_unit_test(locks),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
