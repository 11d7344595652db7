/*
 * dav-props.c — one resource's properties; see dav-props.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cond.h"
#include "dav-dead.h"
#include "dav-props.h"
#include "httpdate.h"
#include "mime.h"

#define DAV_NS "DAV:"

enum live {
    L_RESOURCETYPE, L_GETCONTENTLENGTH, L_GETLASTMODIFIED, L_CREATIONDATE, L_GETETAG,
    L_GETCONTENTTYPE, L_DISPLAYNAME, L_LOCKDISCOVERY, L_SUPPORTEDLOCK, L_QUOTA_AVAIL,
    L_QUOTA_USED, L_COUNT
};

static const struct {
    const char *name;
    int files_only;  /* folders have none */
    int named_only;  /* not in allprop */
    int folders_only;
} live[L_COUNT] = {
    [L_RESOURCETYPE] = {"resourcetype", 0, 0, 0},
    [L_GETCONTENTLENGTH] = {"getcontentlength", 1, 0, 0},
    [L_GETLASTMODIFIED] = {"getlastmodified", 0, 0, 0},
    [L_CREATIONDATE] = {"creationdate", 0, 0, 0},
    [L_GETETAG] = {"getetag", 1, 0, 0},
    [L_GETCONTENTTYPE] = {"getcontenttype", 1, 0, 0},
    [L_DISPLAYNAME] = {"displayname", 0, 0, 0},
    [L_LOCKDISCOVERY] = {"lockdiscovery", 0, 0, 0},
    [L_SUPPORTEDLOCK] = {"supportedlock", 0, 0, 0},
    [L_QUOTA_AVAIL] = {"quota-available-bytes", 0, 1, 1},
    [L_QUOTA_USED] = {"quota-used-bytes", 0, 1, 1},
};

void dav_props_rfc3339(time_t t, char out[32])
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Whether resource r has live property i at all. */
static int has_live(const struct dav_props_ctx *ctx, const struct dav_resource *r, int i)
{
    int dir = S_ISDIR(r->st.st_mode);

    if ((live[i].files_only && dir) || (live[i].folders_only && !dir))
        return 0;
    if ((i == L_QUOTA_AVAIL || i == L_QUOTA_USED) && !ctx->have_quota)
        return 0;
    return 1;
}

/* The live property named ns/name, or -1. */
static int find_live(const char *ns, const char *name)
{
    if (strcmp(ns, DAV_NS) != 0)
        return -1;
    for (int i = 0; i < L_COUNT; i++)
        if (strcmp(live[i].name, name) == 0)
            return i;
    return -1;
}

int dav_props_need_fd(const struct dav_xml_result *req)
{
    if (req->pf != DAV_PF_PROP)
        return 1;
    for (size_t i = 0; i < req->nprops; i++)
        if (find_live(req->props[i].ns, req->props[i].name) < 0)
            return 1;
    return 0;
}

int dav_props_need_created(const struct dav_xml_result *req)
{
    if (req->pf != DAV_PF_PROP)
        return 1;
    for (size_t i = 0; i < req->nprops; i++)
        if (find_live(req->props[i].ns, req->props[i].name) == L_CREATIONDATE)
            return 1;
    return 0;
}

struct lockdisc {
    struct dav_buf *out;
    int64_t now;
    int rc;
};

static void one_lock(void *cls, const struct dav_lock *l)
{
    struct lockdisc *d = cls;

    if (d->rc == 0)
        d->rc = dav_props_activelock(d->out, l, d->now);
}

int dav_props_activelock(struct dav_buf *b, const struct dav_lock *l, int64_t now)
{
    long long left = l->expires - now;
    int rc = dav_buf_printf(b,
        "<D:activelock><D:locktype><D:write/></D:locktype>"
        "<D:lockscope><D:%s/></D:lockscope><D:depth>%s</D:depth>",
        l->shared ? "shared" : "exclusive", l->infinity ? "infinity" : "0");

    if (rc == 0 && l->owner)
        rc = dav_buf_printf(b, "<D:owner>%s</D:owner>", l->owner);
    if (rc == 0)
        rc = dav_buf_printf(b, "<D:timeout>Second-%lld</D:timeout>"
                               "<D:locktoken><D:href>%s</D:href></D:locktoken>"
                               "<D:lockroot><D:href>",
                            left > 0 ? left : 0, l->token);
    if (rc == 0)
        rc = dav_buf_href(b, l->root, 0);
    if (rc == 0)
        rc = dav_buf_adds(b, "</D:href></D:lockroot></D:activelock>");
    return rc;
}

int dav_props_lockdiscovery(struct dav_buf *out, struct dav_locks *locks, const char *path,
                            int64_t now)
{
    struct lockdisc d = {out, now, 0};
    int rc = dav_buf_adds(out, "<D:lockdiscovery>");

    if (rc == 0 && locks)
        dav_locks_each(locks, path, now, one_lock, &d);
    rc = rc ? rc : d.rc;
    return rc ? rc : dav_buf_adds(out, "</D:lockdiscovery>");
}

/* Appends live property i's element with its value. */
static int put_live(struct dav_buf *b, struct dav_props_ctx *ctx, const struct dav_resource *r,
                    int i)
{
    char tmp[HTTPDATE_LEN > 64 ? HTTPDATE_LEN : 64];

    switch (i) {
    case L_RESOURCETYPE:
        return dav_buf_adds(b, S_ISDIR(r->st.st_mode)
                                   ? "<D:resourcetype><D:collection/></D:resourcetype>"
                                   : "<D:resourcetype/>");
    case L_GETCONTENTLENGTH:
        return dav_buf_printf(b, "<D:getcontentlength>%lld</D:getcontentlength>",
                              (long long)r->st.st_size);
    case L_GETLASTMODIFIED:
        return dav_buf_printf(b, "<D:getlastmodified>%s</D:getlastmodified>",
                              httpdate_format(r->st.st_mtime, tmp));
    case L_CREATIONDATE:
        dav_props_rfc3339(r->created, tmp);
        return dav_buf_printf(b, "<D:creationdate>%s</D:creationdate>", tmp);
    case L_GETETAG: {
        char etag[COND_ETAG_MAX];
        int rc;

        cond_etag(&r->st, etag);
        rc = dav_buf_adds(b, "<D:getetag>");
        rc = rc ? rc : dav_buf_escape(b, etag, strlen(etag));
        return rc ? rc : dav_buf_adds(b, "</D:getetag>");
    }
    case L_GETCONTENTTYPE: {
        const char *t = mime_type_for(r->name);
        int rc = dav_buf_adds(b, "<D:getcontenttype>");

        rc = rc ? rc : dav_buf_escape(b, t, strlen(t));
        return rc ? rc : dav_buf_adds(b, "</D:getcontenttype>");
    }
    case L_DISPLAYNAME: {
        int rc = dav_buf_adds(b, "<D:displayname>");

        rc = rc ? rc : dav_buf_escape(b, r->name, strlen(r->name));
        return rc ? rc : dav_buf_adds(b, "</D:displayname>");
    }
    case L_LOCKDISCOVERY:
        return dav_props_lockdiscovery(b, ctx->locks, r->path, ctx->now);
    case L_SUPPORTEDLOCK:
        return dav_buf_adds(b,
            "<D:supportedlock>"
            "<D:lockentry><D:lockscope><D:exclusive/></D:lockscope>"
            "<D:locktype><D:write/></D:locktype></D:lockentry>"
            "<D:lockentry><D:lockscope><D:shared/></D:lockscope>"
            "<D:locktype><D:write/></D:locktype></D:lockentry>"
            "</D:supportedlock>");
    case L_QUOTA_AVAIL:
        return dav_buf_printf(b, "<D:quota-available-bytes>%llu</D:quota-available-bytes>",
                              ctx->quota_avail);
    case L_QUOTA_USED:
        return dav_buf_printf(b, "<D:quota-used-bytes>%llu</D:quota-used-bytes>",
                              ctx->quota_used);
    }
    return -EINVAL;
}

/* Appends an element named ns/name: empty (value NULL) or holding value. */
static int put_named(struct dav_buf *b, const char *ns, const char *name, const char *value)
{
    int rc;

    if (strcmp(ns, DAV_NS) == 0)
        rc = dav_buf_printf(b, "<D:%s", name);
    else if (!ns[0])
        rc = dav_buf_printf(b, "<%s", name);
    else {
        rc = dav_buf_printf(b, "<X:%s xmlns:X=\"", name);
        rc = rc ? rc : dav_buf_escape_attr(b, ns, strlen(ns));
        rc = rc ? rc : dav_buf_adds(b, "\"");
    }
    if (rc == 0 && !value)
        return dav_buf_adds(b, "/>");
    rc = rc ? rc : dav_buf_printf(b, ">%s", value);
    if (rc == 0)
        rc = dav_buf_printf(b, strcmp(ns, DAV_NS) == 0 ? "</D:%s>" : !ns[0] ? "</%s>" : "</X:%s>",
                            name);
    return rc;
}

struct dead_ctx {
    struct dav_buf *b;
    int rc;
};

static void put_dead(void *cls, const char *ns, const char *name, const char *value)
{
    struct dead_ctx *d = cls;

    if (d->rc == 0 && find_live(ns, name) < 0)
        d->rc = put_named(d->b, ns, name, value);
}

/* Appends a propstat holding `props` (if any) with `status`. */
static int propstat(struct dav_buf *out, const struct dav_buf *props, const char *status)
{
    if (!props->len)
        return 0;
    return dav_buf_printf(out, "<D:propstat><D:prop>%s</D:prop>"
                               "<D:status>HTTP/1.1 %s</D:status></D:propstat>",
                          props->p, status);
}

int dav_props_response(struct dav_buf *out, struct dav_props_ctx *ctx,
                       const struct dav_resource *r)
{
    const struct dav_xml_result *q = ctx->req;
    struct dav_buf *ok = &ctx->ok, *missing = &ctx->missing;
    int rc;

    dav_buf_reset(ok);
    dav_buf_reset(missing);
    rc = dav_buf_add(ok, "", 0); /* make sure ok->p exists */
    if (q->pf == DAV_PF_PROP) {
        for (size_t i = 0; i < q->nprops && rc == 0; i++) {
            const struct dav_xml_prop *p = &q->props[i];
            int l = find_live(p->ns, p->name);
            char *v = NULL;

            if (l >= 0 && has_live(ctx, r, l))
                rc = put_live(ok, ctx, r, l);
            else if (l < 0 && r->fd >= 0 && dav_dead_get(ctx->dead, r->fd, p->ns, p->name, &v) == 0)
                rc = put_named(ok, p->ns, p->name, v);
            else
                rc = put_named(missing, p->ns, p->name, NULL);
            free(v);
        }
    } else {
        int names = q->pf == DAV_PF_PROPNAME;
        struct dead_ctx d = {ok, 0};

        for (int i = 0; i < L_COUNT && rc == 0; i++) {
            int wanted = !live[i].named_only || names;

            /* allprop's <include>: named-only ones on request */
            for (size_t j = 0; !wanted && j < q->nprops; j++)
                wanted = find_live(q->props[j].ns, q->props[j].name) == i;
            if (!wanted || !has_live(ctx, r, i))
                continue;
            rc = names ? dav_buf_printf(ok, "<D:%s/>", live[i].name) : put_live(ok, ctx, r, i);
        }
        if (rc == 0 && r->fd >= 0)
            dav_dead_list(ctx->dead, r->fd, names, put_dead, &d);
        rc = rc ? rc : d.rc;
    }
    rc = rc ? rc : dav_buf_adds(out, "<D:response><D:href>");
    rc = rc ? rc : dav_buf_href(out, r->path, S_ISDIR(r->st.st_mode));
    rc = rc ? rc : dav_buf_adds(out, "</D:href>");
    rc = rc ? rc : propstat(out, ok, "200 OK");
    rc = rc ? rc : propstat(out, missing, "404 Not Found");
    return rc ? rc : dav_buf_adds(out, "</D:response>");
}
