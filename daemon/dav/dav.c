/*
 * dav.c — the WebDAV class 2 methods; see dav.h.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cond.h"
#include "dav-buf.h"
#include "dav-dead.h"
#include "dav-if.h"
#include "dav-lock.h"
#include "dav-propfind.h"
#include "dav-props.h"
#include "dav-xml.h"
#include "dav.h"
#include "paths.h"

#define XML_TYPE "application/xml; charset=utf-8"
#define TEXT_TYPE "text/plain; charset=utf-8"
#define XML_HEAD "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
#define TOKENS_MAX 16 /* lock tokens of one resource looked at by If: */

struct dav_server {
    struct dav_config cfg;
    struct dav_locks *locks;
    struct dav_dead_store dead;
};

enum method { M_PROPFIND, M_PROPPATCH, M_LOCK, M_UNLOCK };

struct dav_call {
    struct dav_server *d;
    enum method m;
    char *path;
    int64_t now;
    int depth;          /* 0, 1, or -1 for infinity */
    unsigned timeout;   /* LOCK */
    struct dav_if ifh;  /* LOCK: its If: (refresh tokens); nconds 0 when absent */
    char token[DAV_LOCK_TOKEN_SIZE + 2]; /* UNLOCK */
    struct dav_xml *x;  /* the body's parser, or NULL (UNLOCK) */
};

static const char *const method_names[] = {"PROPFIND", "PROPPATCH", "LOCK", "UNLOCK"};

static int method_of(const char *m)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(m, method_names[i]) == 0)
            return i;
    return -1;
}

int dav_method(const char *method)
{
    return method_of(method) >= 0;
}

int dav_method_reads(const char *method)
{
    return method_of(method) == M_PROPFIND;
}

struct dav_server *dav_server_new(const struct dav_config *cfg)
{
    struct dav_server *d = calloc(1, sizeof *d);

    if (!d)
        return NULL;
    d->cfg = *cfg;
    dav_dead_store_init(&d->dead, cfg->state_fd);
    d->dead.no_xattr = cfg->dead_no_xattr;
    d->locks = dav_locks_new(0, NULL, NULL);
    if (!d->locks) {
        dav_dead_store_destroy(&d->dead);
        free(d);
        return NULL;
    }
    return d;
}

void dav_server_free(struct dav_server *d)
{
    if (!d)
        return;
    dav_locks_free(d->locks);
    dav_dead_store_destroy(&d->dead);
    free(d);
}

struct dav_locks *dav_server_locks(struct dav_server *d)
{
    return d->locks;
}

void dav_reply_free(struct dav_reply *r)
{
    if (!r)
        return;
    free(r->body);
    if (r->stream.read && r->stream.free)
        r->stream.free(r->stream.cls);
    memset(r, 0, sizeof *r);
}

/* Adds a header to a reply (formatted; cut at DAV_HEADER_VALUE_MAX). */
static void add_header(struct dav_reply *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_header(struct dav_reply *r, const char *name, const char *fmt, ...)
{
    va_list ap;

    if (r->nheaders == DAV_REPLY_HEADERS)
        return;
    r->headers[r->nheaders].name = name;
    va_start(ap, fmt);
    vsnprintf(r->headers[r->nheaders].value, DAV_HEADER_VALUE_MAX, fmt, ap);
    va_end(ap);
    r->nheaders++;
}

/* A plain-text answer: "<status> <text>\n". */
static void reply_text(struct dav_reply *r, unsigned status, const char *text)
{
    size_t n = strlen(text) + 8;

    r->status = status;
    r->body = malloc(n);
    if (!r->body) {
        r->status = 0;
        return;
    }
    r->len = (size_t)snprintf(r->body, n, "%u %s\n", status, text);
    r->content_type = TEXT_TYPE;
}

/* An XML answer: the buffer's bytes become the body. */
static void reply_xml(struct dav_reply *r, unsigned status, struct dav_buf *b)
{
    r->status = status;
    r->len = b->len;
    r->body = dav_buf_take(b);
    r->content_type = XML_TYPE;
    if (!r->body)
        r->status = 0;
}

/* A <D:error> answer with one precondition element, holding an href to
 * `path` when path is not NULL. */
static void reply_error(struct dav_reply *r, unsigned status, const char *cond, const char *path)
{
    struct dav_buf b;
    int rc;

    dav_buf_init(&b, 0);
    rc = dav_buf_printf(&b, XML_HEAD "<D:error xmlns:D=\"DAV:\"><D:%s", cond);
    if (rc == 0 && path) {
        rc = dav_buf_adds(&b, "><D:href>");
        rc = rc ? rc : dav_buf_href(&b, path, 0);
        rc = rc ? rc : dav_buf_printf(&b, "</D:href></D:%s>", cond);
    } else if (rc == 0) {
        rc = dav_buf_adds(&b, "/>");
    }
    rc = rc ? rc : dav_buf_adds(&b, "</D:error>\n");
    if (rc) {
        dav_buf_free(&b);
        return;
    }
    reply_xml(r, status, &b);
}

/* The status for a paths_open() / -errno failure. */
static unsigned status_for(int rc)
{
    switch (rc) {
    case PATHS_EBADREQ: return 400;
    case PATHS_EFORBIDDEN: case -EACCES: case -EPERM: return 403;
    case PATHS_ENOTFOUND: case -ENOENT: case -ENOTDIR: case -ENAMETOOLONG: case -ELOOP:
        return 404;
    case -ENOSPC: case -EDQUOT: return 507;
    default: return 500;
    }
}

/* Depth: 0, 1, -1 (infinity), or -2 when malformed; `dflt` when absent. */
static int parse_depth(const char *v, int dflt)
{
    if (!v)
        return dflt;
    if (strcmp(v, "0") == 0)
        return 0;
    if (strcmp(v, "1") == 0)
        return 1;
    if (strcasecmp(v, "infinity") == 0)
        return -1;
    return -2;
}

/* ----------------------------------------------------------- If: state */

struct if_ctx {
    struct dav_server *d;
    const char *path; /* the request's resource */
    int64_t now;
    char etag[COND_ETAG_MAX];
    char tokens[TOKENS_MAX][DAV_LOCK_TOKEN_SIZE];
    const char *tp[TOKENS_MAX];
    size_t n;
};

static void collect_token(void *cls, const struct dav_lock *l)
{
    struct if_ctx *c = cls;

    if (c->n < TOKENS_MAX) {
        snprintf(c->tokens[c->n], DAV_LOCK_TOKEN_SIZE, "%s", l->token);
        c->tp[c->n] = c->tokens[c->n];
        c->n++;
    }
}

/* dav_if_state_fn: a resource's ETag and lock tokens. */
static int if_state(void *cls, const char *tag, struct dav_if_state *st)
{
    struct if_ctx *c = cls;
    char raw[PATHS_MAX + 1], rel[PATHS_MAX + 1];
    const char *path = c->path;
    struct stat sb;
    int fd = -1, trailing = 0;

    if (tag) {
        if (dav_if_tag_path(tag, raw, sizeof raw) < 0 ||
            paths_decode(raw, c->d->cfg.paths, rel, sizeof rel, &trailing) < 0)
            return -1;
        path = rel;
    }
    memset(st, 0, sizeof *st);
    c->n = 0;
    dav_locks_each(c->d->locks, path, c->now, collect_token, c);
    st->tokens = c->tp;
    st->ntokens = c->n;
    if (paths_open(c->d->cfg.root_fd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, c->d->cfg.paths,
                   &fd) == 0) {
        if (fstat(fd, &sb) == 0) {
            st->exists = 1;
            if (S_ISREG(sb.st_mode)) {
                cond_etag(&sb, c->etag);
                st->etag = c->etag;
            }
        }
        close(fd);
    }
    /* a lock-null name that was never written: its locks still count */
    if (!st->exists && c->n)
        st->exists = 1;
    return 0;
}

static int if_submits(void *cls, const char *token)
{
    return dav_if_submits(cls, token);
}

/*
 * Parses and evaluates rq's If: (into *h; nconds 0 when absent), then
 * checks the locks on path. 0 or the status (with *out filled).
 */
static unsigned check_if_and_locks(struct dav_server *d, const struct dav_request *rq,
                                   const char *path, int recursive, int member,
                                   struct dav_if *h, struct dav_reply *out)
{
    const char *v = rq->header(rq->header_cls, "If");
    char root[PATHS_MAX + 1];
    int rc;

    memset(h, 0, sizeof *h);
    if (v) {
        struct if_ctx c = {.d = d, .path = path, .now = rq->now};

        if (dav_if_parse(v, h) < 0) {
            reply_text(out, 400, "Bad Request: the If header is malformed (RFC 4918 10.4).");
            return 400;
        }
        if (!dav_if_eval(h, if_state, &c)) {
            reply_text(out, 412, "Precondition Failed: no list of the If header holds.");
            return 412;
        }
    }
    rc = dav_lock_check(d->locks, path, recursive, member, v ? if_submits : NULL, h, rq->now,
                        root, sizeof root);
    if (rc == DAV_LOCK_ECONFLICT) {
        reply_error(out, 423, "lock-token-submitted", root);
        if (!out->status)
            return 500;
        return 423;
    }
    return 0;
}

unsigned dav_write_check(struct dav_server *d, const struct dav_request *rq, const char *path,
                         int recursive, int member, struct dav_reply *out)
{
    struct dav_if h;
    unsigned st = check_if_and_locks(d, rq, path, recursive, member, &h, out);

    dav_if_free(&h);
    return st;
}

void dav_forget(struct dav_server *d, const char *path)
{
    dav_locks_drop(d->locks, path);
}

void dav_copied(struct dav_server *d, const char *src, const char *dst)
{
    int s = -1, t = -1;

    if (paths_open(d->cfg.root_fd, src, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW,
                   d->cfg.paths, &s) == 0 &&
        paths_open(d->cfg.root_fd, dst, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW,
                   d->cfg.paths, &t) == 0)
        dav_dead_copy(&d->dead, s, t);
    if (s >= 0)
        close(s);
    if (t >= 0)
        close(t);
}

/* ---------------------------------------------------------------- calls */

struct dav_call *dav_call_begin(struct dav_server *d, const struct dav_request *rq,
                                struct dav_reply *early)
{
    struct dav_call *c;
    int m = method_of(rq->method);
    const char *v;

    memset(early, 0, sizeof *early);
    if (m < 0) {
        reply_text(early, 405, "Method Not Allowed");
        return NULL;
    }
    c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(rq->path)))
        goto oom;
    c->d = d;
    c->m = (enum method)m;
    c->now = rq->now;
    switch (c->m) {
    case M_PROPFIND:
        c->depth = parse_depth(rq->header(rq->header_cls, "Depth"), -1);
        if (c->depth == -2) {
            reply_text(early, 400, "Bad Request: Depth must be 0, 1 or infinity.");
            goto refused;
        }
        if (c->depth < 0) {
            reply_error(early, 403, "propfind-finite-depth", NULL);
            goto refused;
        }
        break;
    case M_PROPPATCH:
        if (dav_write_check(d, rq, rq->path, 0, 0, early))
            goto refused;
        break;
    case M_LOCK:
        c->depth = parse_depth(rq->header(rq->header_cls, "Depth"), -1);
        if (c->depth == -2 || c->depth == 1) {
            reply_text(early, 400, "Bad Request: a LOCK's Depth must be 0 or infinity.");
            goto refused;
        }
        c->timeout = dav_lock_timeout(rq->header(rq->header_cls, "Timeout"));
        v = rq->header(rq->header_cls, "If");
        if (v && dav_if_parse(v, &c->ifh) < 0) {
            reply_text(early, 400, "Bad Request: the If header is malformed (RFC 4918 10.4).");
            goto refused;
        }
        break;
    case M_UNLOCK:
        v = rq->header(rq->header_cls, "Lock-Token");
        if (!v || v[0] != '<' || strlen(v) < 3 || strlen(v) > sizeof c->token ||
            v[strlen(v) - 1] != '>') {
            reply_text(early, 400, "Bad Request: UNLOCK needs a Lock-Token header: <token>.");
            goto refused;
        }
        snprintf(c->token, sizeof c->token, "%.*s", (int)strlen(v) - 2, v + 1);
        return c;
    }
    c->x = dav_xml_new(c->m == M_PROPFIND ? DAV_BODY_PROPFIND
                       : c->m == M_PROPPATCH ? DAV_BODY_PROPPATCH : DAV_BODY_LOCK);
    if (!c->x)
        goto oom;
    return c;
oom:
    dav_call_end(c);
    memset(early, 0, sizeof *early);
    return NULL;
refused:
    dav_call_end(c);
    return NULL;
}

int dav_call_body(struct dav_call *c, const char *buf, size_t len)
{
    if (c->x)
        dav_xml_feed(c->x, buf, len); /* an error is kept and answered by finish */
    return 0;
}

/* Answers a body the parser refused. */
static void reply_parse_error(struct dav_call *c, int rc, struct dav_reply *out)
{
    char text[256];

    snprintf(text, sizeof text, "%s: %s", rc == DAV_XML_EINVALID ? "Unprocessable Content"
                                          : rc == DAV_XML_ETOOBIG ? "Content Too Large"
                                          : "Bad Request", dav_xml_message(c->x));
    reply_text(out, dav_xml_status(rc), text);
}

/* dav_stream over a dav_propfind. */
static ssize_t pf_read(void *cls, char *buf, size_t max)
{
    return dav_propfind_read(cls, buf, max);
}

static void pf_free(void *cls)
{
    dav_propfind_free(cls);
}

static void finish_propfind(struct dav_call *c, struct dav_xml_result *req,
                            struct dav_reply *out)
{
    struct dav_propfind_cfg cfg = {
        .root_fd = c->d->cfg.root_fd, .paths = c->d->cfg.paths,
        .show_hidden = c->d->cfg.show_hidden, .root_name = c->d->cfg.root_name,
        .locks = c->d->locks, .dead = &c->d->dead, .now = c->now,
    };
    struct dav_propfind *pf;
    int rc = dav_propfind_open(&cfg, c->path, c->depth, req, &pf);

    if (rc < 0) {
        unsigned st = status_for(rc);

        reply_text(out, st, st == 404 ? "Not Found" : st == 403 ? "Forbidden"
                                                    : "Internal Server Error");
        return;
    }
    out->status = 207;
    out->content_type = XML_TYPE;
    out->stream.read = pf_read;
    out->stream.free = pf_free;
    out->stream.cls = pf;
}

/* Whether ns/name is a live property (protected: PROPPATCH may not touch it). */
static int is_live(const struct dav_xml_prop *p)
{
    static const char *const names[] = {
        "resourcetype", "getcontentlength", "getlastmodified", "creationdate", "getetag",
        "getcontenttype", "lockdiscovery", "supportedlock", "quota-available-bytes",
        "quota-used-bytes", "displayname",
    };

    if (strcmp(p->ns, "DAV:") != 0)
        return 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(p->name, names[i]) == 0)
            return 1;
    return 0;
}

/* The element for ns/name, empty, into b. */
static int put_prop_name(struct dav_buf *b, const struct dav_xml_prop *p)
{
    int rc;

    if (strcmp(p->ns, "DAV:") == 0)
        return dav_buf_printf(b, "<D:%s/>", p->name);
    if (!p->ns[0])
        return dav_buf_printf(b, "<%s/>", p->name);
    rc = dav_buf_printf(b, "<X:%s xmlns:X=\"", p->name);
    rc = rc ? rc : dav_buf_escape_attr(b, p->ns, strlen(p->ns));
    return rc ? rc : dav_buf_adds(b, "\"/>");
}

static void finish_proppatch(struct dav_call *c, struct dav_xml_result *req,
                             struct dav_reply *out)
{
    unsigned *st = calloc(req->nprops ? req->nprops : 1, sizeof *st);
    char **old = calloc(req->nprops ? req->nprops : 1, sizeof *old);
    int *had = calloc(req->nprops ? req->nprops : 1, sizeof *had);
    struct dav_buf b;
    size_t failed_at = req->nprops;
    int fd = -1, rc;

    dav_buf_init(&b, 0);
    if (!st || !old || !had)
        goto done;
    rc = paths_open(c->d->cfg.root_fd, c->path, O_RDONLY | O_NONBLOCK | O_NOCTTY,
                    c->d->cfg.paths, &fd);
    if (rc < 0) {
        reply_text(out, status_for(rc), status_for(rc) == 404 ? "Not Found" : "Forbidden");
        goto done;
    }
    /* protected properties fail first, and then nothing is done */
    for (size_t i = 0; i < req->nprops; i++)
        if (is_live(&req->props[i])) {
            st[i] = 403;
            failed_at = 0;
        }
    /* then in document order, all or nothing */
    for (size_t i = 0; failed_at == req->nprops && i < req->nprops; i++) {
        const struct dav_xml_prop *p = &req->props[i];

        had[i] = dav_dead_get(&c->d->dead, fd, p->ns, p->name, &old[i]) == 0;
        rc = p->remove ? dav_dead_remove(&c->d->dead, fd, p->ns, p->name)
                       : dav_dead_set(&c->d->dead, fd, p->ns, p->name, p->value);
        if (rc < 0) {
            st[i] = rc == -ENAMETOOLONG ? 403 : rc == -EACCES || rc == -EPERM ? 403 : 507;
            failed_at = i;
        } else {
            st[i] = 200;
        }
    }
    if (failed_at < req->nprops) {
        for (size_t i = failed_at; i-- > 0;) { /* undo what was done */
            const struct dav_xml_prop *p = &req->props[i];

            if (had[i])
                dav_dead_set(&c->d->dead, fd, p->ns, p->name, old[i]);
            else
                dav_dead_remove(&c->d->dead, fd, p->ns, p->name);
        }
        for (size_t i = 0; i < req->nprops; i++)
            if (st[i] == 200 || st[i] == 0)
                st[i] = 424;
    }
    rc = dav_buf_adds(&b, XML_HEAD "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>");
    rc = rc ? rc : dav_buf_href(&b, c->path, 0);
    rc = rc ? rc : dav_buf_adds(&b, "</D:href>");
    for (size_t i = 0; rc == 0 && i < req->nprops; i++) {
        rc = dav_buf_adds(&b, "<D:propstat><D:prop>");
        rc = rc ? rc : put_prop_name(&b, &req->props[i]);
        rc = rc ? rc : dav_buf_printf(&b, "</D:prop><D:status>HTTP/1.1 %u %s</D:status>",
                                      st[i], st[i] == 200 ? "OK" : st[i] == 403 ? "Forbidden"
                                           : st[i] == 424 ? "Failed Dependency"
                                           : "Insufficient Storage");
        if (rc == 0 && st[i] == 403 && is_live(&req->props[i]))
            rc = dav_buf_adds(&b, "<D:error><D:cannot-modify-protected-property/></D:error>");
        rc = rc ? rc : dav_buf_adds(&b, "</D:propstat>");
    }
    rc = rc ? rc : dav_buf_adds(&b, "</D:response></D:multistatus>\n");
    if (rc == 0)
        reply_xml(out, 207, &b);
done:
    if (fd >= 0)
        close(fd);
    for (size_t i = 0; old && i < req->nprops; i++)
        free(old[i]);
    free(old);
    free(had);
    free(st);
    dav_buf_free(&b);
    dav_xml_result_free(req);
}

/* The lockdiscovery answer of LOCK for one lock. */
static void reply_lock(struct dav_reply *out, unsigned status, const struct dav_lock *l,
                       int64_t now)
{
    struct dav_buf b;
    int rc;

    dav_buf_init(&b, 0);
    rc = dav_buf_adds(&b, XML_HEAD "<D:prop xmlns:D=\"DAV:\"><D:lockdiscovery>");
    rc = rc ? rc : dav_props_activelock(&b, l, now);
    rc = rc ? rc : dav_buf_adds(&b, "</D:lockdiscovery></D:prop>\n");
    if (rc == 0)
        reply_xml(out, status, &b);
    dav_buf_free(&b);
}

struct refreshed {
    struct dav_reply *out;
    int64_t now;
};

static void on_refreshed(void *cls, const struct dav_lock *l)
{
    struct refreshed *r = cls;

    reply_lock(r->out, 200, l, r->now);
}

/* Creates path as an empty file (a locked empty resource, RFC 4918 §7.3).
 * 0 or the status. */
static unsigned create_empty(struct dav_call *c)
{
    char parent[PATHS_MAX + 1];
    const char *slash = strrchr(c->path, '/'), *name = slash ? slash + 1 : c->path;
    int pfd = -1, fd, rc;

    snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - c->path) : 0, c->path);
    rc = paths_open(c->d->cfg.root_fd, parent, O_RDONLY | O_DIRECTORY, c->d->cfg.paths, &pfd);
    if (rc < 0)
        return rc == PATHS_ENOTFOUND || rc == -ENOENT || rc == -ENOTDIR ? 409 : status_for(rc);
    fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    rc = fd < 0 ? -errno : 0;
    if (fd >= 0)
        close(fd);
    close(pfd);
    return rc == 0 || rc == -EEXIST ? 0 : status_for(rc);
}

static void finish_lock(struct dav_call *c, struct dav_xml_result *req, struct dav_reply *out)
{
    char token[DAV_LOCK_TOKEN_SIZE], root[PATHS_MAX + 1];
    struct stat sb;
    int fd = -1, exists, rc;
    unsigned st;

    if (req->empty) { /* a refresh: the token comes in If: */
        struct refreshed r = {out, c->now};

        if (!c->ifh.nconds) {
            reply_text(out, 400, "Bad Request: a LOCK without a body refreshes a lock, and "
                                 "needs the lock's token in an If header.");
            goto done;
        }
        for (size_t i = 0; i < c->ifh.nconds; i++)
            if (!c->ifh.conds[i].etag &&
                dav_lock_refresh(c->d->locks, c->path, c->ifh.conds[i].text, c->timeout, c->now,
                                 on_refreshed, &r) == 0)
                goto done;
        reply_error(out, 412, "lock-token-matches-request-uri", NULL);
        goto done;
    }
    if (c->ifh.nconds) {
        struct if_ctx ic = {.d = c->d, .path = c->path, .now = c->now};

        if (!dav_if_eval(&c->ifh, if_state, &ic)) {
            reply_text(out, 412, "Precondition Failed: no list of the If header holds.");
            goto done;
        }
    }
    rc = paths_open(c->d->cfg.root_fd, c->path, O_RDONLY | O_NONBLOCK | O_NOCTTY,
                    c->d->cfg.paths, &fd);
    exists = rc == 0 && fstat(fd, &sb) == 0;
    if (fd >= 0)
        close(fd);
    if (rc < 0 && rc != PATHS_ENOTFOUND && rc != -ENOENT) {
        reply_text(out, status_for(rc), "the path cannot be locked");
        goto done;
    }
    if (!exists && dav_lock_check(c->d->locks, c->path, 0, 1, c->ifh.nconds ? if_submits : NULL,
                                  &c->ifh, c->now, root, sizeof root) != 0) {
        reply_error(out, 423, "lock-token-submitted", root);
        goto done;
    }
    rc = dav_lock_create(c->d->locks, c->path, req->shared, c->depth < 0, req->owner,
                         c->timeout, !exists, c->now, token, root, sizeof root);
    if (rc == DAV_LOCK_ECONFLICT) {
        reply_error(out, 423, "no-conflicting-lock", root);
        goto done;
    }
    if (rc < 0) {
        reply_text(out, rc == DAV_LOCK_EFULL ? 503 : 500,
                   rc == DAV_LOCK_EFULL ? "Service Unavailable: too many locks are held."
                                        : "Internal Server Error");
        goto done;
    }
    if (!exists && (st = create_empty(c)) != 0) {
        dav_lock_release(c->d->locks, c->path, token, c->now);
        reply_text(out, st, st == 409 ? "Conflict: the parent folder does not exist."
                                      : "the empty resource cannot be created");
        goto done;
    }
    {
        struct refreshed r = {out, c->now};

        /* answer with the lock as the table holds it */
        dav_lock_refresh(c->d->locks, c->path, token, c->timeout, c->now, on_refreshed, &r);
        if (out->status)
            out->status = exists ? 200 : 201;
        add_header(out, "Lock-Token", "<%s>", token);
    }
done:
    dav_xml_result_free(req);
}

static void finish_unlock(struct dav_call *c, struct dav_reply *out)
{
    if (dav_lock_release(c->d->locks, c->path, c->token, c->now) == 0) {
        out->status = 204;
        return;
    }
    reply_error(out, 409, "lock-token-matches-request-uri", NULL);
}

void dav_call_finish(struct dav_call *c, struct dav_reply *out)
{
    struct dav_xml_result req;
    int rc;

    memset(out, 0, sizeof *out);
    if (c->m == M_UNLOCK) {
        finish_unlock(c, out);
        return;
    }
    rc = dav_xml_finish(c->x, &req);
    if (rc < 0) {
        reply_parse_error(c, rc, out);
        return;
    }
    switch (c->m) {
    case M_PROPFIND: finish_propfind(c, &req, out); break;
    case M_PROPPATCH: finish_proppatch(c, &req, out); break;
    case M_LOCK: finish_lock(c, &req, out); break;
    case M_UNLOCK: break;
    }
}

void dav_call_end(struct dav_call *c)
{
    if (!c)
        return;
    dav_xml_free(c->x);
    dav_if_free(&c->ifh);
    free(c->path);
    free(c);
}
