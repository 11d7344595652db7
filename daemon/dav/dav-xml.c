/*
 * dav-xml.c — the WebDAV request bodies through expat; see dav-xml.h.
 *
 * The handlers track the element depth and, per body kind, what the first
 * levels mean; below the level that names a property (or DAV:owner), the
 * content is re-serialised into a buffer instead.
 */
#include "config.h"

#include <errno.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dav-buf.h"
#include "dav-xml.h"

#define NS_SEP '\x01' /* cannot occur in XML 1.0 text, so never in a URI */
#define DAV_NS "DAV:"

struct dav_xml {
    XML_Parser p;
    enum dav_body_kind kind;
    int err;          /* 0, or the first dav_xml_error */
    char msg[200];    /* why, when err */
    size_t total;     /* body bytes fed */
    int nonblank;     /* any byte other than XML white space was fed */
    int depth;        /* of the element being read; 1 = the root */
    int pf_list;      /* PROPFIND: inside <prop> or <include> (depth 2) */
    int pp_mode;      /* PROPPATCH: -1 outside, 0 in <set>, 1 in <remove> */
    int pp_prop;      /* PROPPATCH: inside <set|remove><prop> (depth 3) */
    int lk_where;     /* LOCK: 1 lockscope, 2 locktype (depth 2) */
    int lk_scope, lk_type;
    const char *bad_root; /* the root was not DAV:<this>: refused (422)
                             once the document proved well-formed (else 400) */
    int capture;      /* depth whose content goes to `cap`; 0 none */
    struct dav_buf cap;
    size_t cap_prop;  /* index of the prop the capture is for; or owner */
    struct dav_xml_result r;
    size_t props_cap;
};

unsigned dav_xml_status(int err)
{
    switch (err) {
    case DAV_XML_EMALFORMED: return 400;
    case DAV_XML_EINVALID: return 422;
    case DAV_XML_ETOOBIG: return 413;
    default: return 500;
    }
}

/* Records the first error and stops expat. */
static void fail(struct dav_xml *x, int err, const char *fmt, const char *arg)
{
    if (x->err)
        return;
    x->err = err;
    snprintf(x->msg, sizeof x->msg, fmt, arg ? arg : "");
    XML_StopParser(x->p, XML_FALSE);
}

/* Splits expat's "uri<SEP>local" (or "local"): returns the local name and
 * sets *nslen to the length of the URI at the start of `name` (0: none). */
static const char *split(const char *name, size_t *nslen)
{
    const char *sep = strchr(name, NS_SEP);

    if (!sep) {
        *nslen = 0;
        return name;
    }
    *nslen = (size_t)(sep - name);
    return sep + 1;
}

/* Whether name is DAV:<local>. */
static int is_dav(const char *name, const char *local)
{
    size_t n;
    const char *l = split(name, &n);

    return n == sizeof DAV_NS - 1 && memcmp(name, DAV_NS, n) == 0 && strcmp(l, local) == 0;
}

/* Appends a property named `name` (expat form) to the result. */
static struct dav_xml_prop *add_prop(struct dav_xml *x, const char *name, int remove)
{
    size_t nslen;
    const char *local = split(name, &nslen);
    struct dav_xml_prop *p;

    if (x->r.nprops >= DAV_XML_PROPS_MAX) {
        fail(x, DAV_XML_ETOOBIG, "more than %s properties in one request", "256");
        return NULL;
    }
    if (x->r.nprops == x->props_cap) {
        size_t cap = x->props_cap ? 2 * x->props_cap : 8;
        struct dav_xml_prop *np = realloc(x->r.props, cap * sizeof *np);

        if (!np) {
            fail(x, DAV_XML_ENOMEM, "out of memory%s", NULL);
            return NULL;
        }
        x->r.props = np;
        x->props_cap = cap;
    }
    p = &x->r.props[x->r.nprops];
    memset(p, 0, sizeof *p);
    p->ns = strndup(name, nslen);
    p->name = strdup(local);
    p->remove = remove;
    if (!p->ns || !p->name) {
        free(p->ns);
        free(p->name);
        fail(x, DAV_XML_ENOMEM, "out of memory%s", NULL);
        return NULL;
    }
    x->r.nprops++;
    return p;
}

/* Serialises the start tag of an element below a captured one. */
static void capture_start(struct dav_xml *x, const char *name, const char **atts)
{
    size_t nslen;
    const char *local = split(name, &nslen);
    struct dav_buf *b = &x->cap;
    int rc;

    if (nslen) {
        rc = dav_buf_printf(b, "<n:%s xmlns:n=\"", local);
        rc = rc ? rc : dav_buf_escape(b, name, nslen);
        rc = rc ? rc : dav_buf_adds(b, "\"");
    } else {
        rc = dav_buf_printf(b, "<%s", local);
    }
    for (int i = 0; rc == 0 && atts[i]; i += 2) {
        size_t an;
        const char *al = split(atts[i], &an);

        if (an == 36 && memcmp(atts[i], "http://www.w3.org/XML/1998/namespace", 36) == 0)
            rc = dav_buf_printf(b, " xml:%s=\"", al);
        else if (an) {
            rc = dav_buf_printf(b, " xmlns:a%d=\"", i / 2);
            rc = rc ? rc : dav_buf_escape(b, atts[i], an);
            rc = rc ? rc : dav_buf_printf(b, "\" a%d:%s=\"", i / 2, al);
        } else {
            rc = dav_buf_printf(b, " %s=\"", al);
        }
        rc = rc ? rc : dav_buf_escape_attr(b, atts[i + 1], strlen(atts[i + 1]));
        rc = rc ? rc : dav_buf_adds(b, "\"");
    }
    rc = rc ? rc : dav_buf_adds(b, ">");
    if (rc)
        fail(x, rc == -E2BIG ? DAV_XML_ETOOBIG : DAV_XML_ENOMEM,
             "a property value is too big or memory ran out%s", NULL);
}

static void capture_end(struct dav_xml *x, const char *name)
{
    size_t nslen;
    const char *local = split(name, &nslen);

    if (dav_buf_printf(&x->cap, nslen ? "</n:%s>" : "</%s>", local))
        fail(x, DAV_XML_ENOMEM, "out of memory%s", NULL);
}

/* Starts capturing the content of the element at the current depth. */
static void capture_begin(struct dav_xml *x, size_t prop)
{
    x->capture = x->depth;
    x->cap_prop = prop;
    dav_buf_reset(&x->cap);
}

static void XMLCALL on_start(void *ud, const char *name, const char **atts)
{
    struct dav_xml *x = ud;
    int d;

    if (x->err)
        return;
    d = ++x->depth;
    if (x->bad_root)
        return;
    if (d > DAV_XML_DEPTH_MAX) {
        fail(x, DAV_XML_ETOOBIG, "elements nested more than %s deep", "48");
        return;
    }
    if (x->capture) {
        capture_start(x, name, atts);
        return;
    }
    if (d == 1) {
        static const char *const roots[] = {"propfind", "propertyupdate", "lockinfo"};

        if (!is_dav(name, roots[x->kind]))
            x->bad_root = roots[x->kind];
        return;
    }
    switch (x->kind) {
    case DAV_BODY_PROPFIND:
        if (d == 2) {
            int kind = is_dav(name, "prop") ? DAV_PF_PROP
                     : is_dav(name, "allprop") ? DAV_PF_ALLPROP
                     : is_dav(name, "propname") ? DAV_PF_PROPNAME : -1;

            x->pf_list = is_dav(name, "prop") || is_dav(name, "include");
            if (kind < 0)
                return;
            if (x->r.pf != (enum dav_propfind_kind)-1) {
                fail(x, DAV_XML_EINVALID,
                     "DAV:propfind holds more than one of prop, allprop and propname%s", NULL);
                return;
            }
            x->r.pf = (enum dav_propfind_kind)kind;
        } else if (d == 3 && x->pf_list) {
            add_prop(x, name, 0);
        }
        return;
    case DAV_BODY_PROPPATCH:
        if (d == 2)
            x->pp_mode = is_dav(name, "set") ? 0 : is_dav(name, "remove") ? 1 : -1;
        else if (d == 3)
            x->pp_prop = x->pp_mode >= 0 && is_dav(name, "prop");
        else if (d == 4 && x->pp_prop && add_prop(x, name, x->pp_mode) && !x->pp_mode)
            capture_begin(x, x->r.nprops - 1);
        return;
    case DAV_BODY_LOCK:
        if (d == 2) {
            x->lk_where = is_dav(name, "lockscope") ? 1 : is_dav(name, "locktype") ? 2 : 0;
            if (is_dav(name, "owner")) {
                if (x->r.owner) {
                    fail(x, DAV_XML_EINVALID, "more than one DAV:owner%s", NULL);
                    return;
                }
                capture_begin(x, (size_t)-1);
            }
        } else if (d == 3 && x->lk_where == 1) {
            if (x->lk_scope)
                fail(x, DAV_XML_EINVALID, "more than one lock scope%s", NULL);
            else if (is_dav(name, "exclusive") || is_dav(name, "shared"))
                x->lk_scope = 1, x->r.shared = is_dav(name, "shared");
            else
                fail(x, DAV_XML_EINVALID,
                     "the lock scope must be DAV:exclusive or DAV:shared%s", NULL);
        } else if (d == 3 && x->lk_where == 2) {
            if (is_dav(name, "write") && !x->lk_type)
                x->lk_type = 1;
            else
                fail(x, DAV_XML_EINVALID, "only one DAV:write lock type is offered%s", NULL);
        }
        return;
    }
}

static void XMLCALL on_end(void *ud, const char *name)
{
    struct dav_xml *x = ud;

    if (x->err)
        return;
    if (x->bad_root) {
        x->depth--;
        return;
    }
    if (x->capture && x->depth > x->capture) {
        capture_end(x, name);
    } else if (x->capture && x->depth == x->capture) {
        char *v = dav_buf_take(&x->cap);

        if (!v) {
            fail(x, DAV_XML_ENOMEM, "out of memory%s", NULL);
            return;
        }
        if (x->cap_prop == (size_t)-1)
            x->r.owner = v;
        else
            x->r.props[x->cap_prop].value = v;
        x->capture = 0;
    } else if (x->depth == 2) {
        x->pf_list = 0;
        x->pp_mode = -1;
        x->lk_where = 0;
    } else if (x->depth == 3) {
        x->pp_prop = 0;
    }
    x->depth--;
}

static void XMLCALL on_text(void *ud, const char *s, int len)
{
    struct dav_xml *x = ud;
    int rc;

    if (x->err || !x->capture || x->bad_root)
        return;
    rc = dav_buf_escape(&x->cap, s, (size_t)len);
    if (rc)
        fail(x, rc == -E2BIG ? DAV_XML_ETOOBIG : DAV_XML_ENOMEM,
             "a property value is too big or memory ran out%s", NULL);
}

/* A DOCTYPE, and with it any entity declaration, is refused outright. */
static void XMLCALL on_doctype(void *ud, const char *name, const char *sysid,
                               const char *pubid, int has_internal)
{
    (void)name, (void)sysid, (void)pubid, (void)has_internal;
    fail(ud, DAV_XML_EMALFORMED, "a DOCTYPE is not accepted in a WebDAV body%s", NULL);
}

static void XMLCALL on_entity(void *ud, const char *name, int is_param, const char *value,
                              int vlen, const char *base, const char *sysid,
                              const char *pubid, const char *notation)
{
    (void)name, (void)is_param, (void)value, (void)vlen, (void)base, (void)sysid;
    (void)pubid, (void)notation;
    fail(ud, DAV_XML_EMALFORMED, "entity declarations are not accepted%s", NULL);
}

struct dav_xml *dav_xml_new(enum dav_body_kind kind)
{
    struct dav_xml *x = calloc(1, sizeof *x);

    if (!x)
        return NULL;
    x->p = XML_ParserCreateNS("UTF-8", NS_SEP);
    if (!x->p) {
        free(x);
        return NULL;
    }
    x->kind = kind;
    x->pp_mode = -1;
    x->r.kind = kind;
    x->r.pf = (enum dav_propfind_kind)-1;
    dav_buf_init(&x->cap, DAV_XML_BODY_MAX);
    XML_SetUserData(x->p, x);
    XML_SetElementHandler(x->p, on_start, on_end);
    XML_SetCharacterDataHandler(x->p, on_text);
    XML_SetStartDoctypeDeclHandler(x->p, on_doctype);
    XML_SetEntityDeclHandler(x->p, on_entity);
    XML_SetParamEntityParsing(x->p, XML_PARAM_ENTITY_PARSING_NEVER);
    return x;
}

/* Turns an expat failure into EMALFORMED with its message and place. */
static int expat_failed(struct dav_xml *x)
{
    if (!x->err) {
        enum XML_Error e = XML_GetErrorCode(x->p);

        x->err = e == XML_ERROR_NO_MEMORY ? DAV_XML_ENOMEM : DAV_XML_EMALFORMED;
        snprintf(x->msg, sizeof x->msg, "the body is not well-formed XML: %s (line %lu, column %lu)",
                 XML_ErrorString(e), (unsigned long)XML_GetCurrentLineNumber(x->p),
                 (unsigned long)XML_GetCurrentColumnNumber(x->p));
    }
    return x->err;
}

int dav_xml_feed(struct dav_xml *x, const char *buf, size_t len)
{
    if (x->err)
        return x->err;
    if (len > DAV_XML_BODY_MAX - x->total) {
        x->err = DAV_XML_ETOOBIG;
        snprintf(x->msg, sizeof x->msg, "the body is larger than %d bytes", DAV_XML_BODY_MAX);
        return x->err;
    }
    x->total += len;
    for (size_t i = 0; i < len && !x->nonblank; i++)
        x->nonblank = !(buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n');
    if (XML_Parse(x->p, buf, (int)len, 0) != XML_STATUS_OK)
        return expat_failed(x);
    return 0;
}

/* The checks that need the whole document. */
static void check_complete(struct dav_xml *x)
{
    if (x->bad_root) {
        fail(x, DAV_XML_EINVALID, "the body's root element must be DAV:%s", x->bad_root);
        return;
    }
    switch (x->kind) {
    case DAV_BODY_PROPFIND:
        if (x->r.pf == (enum dav_propfind_kind)-1)
            fail(x, DAV_XML_EINVALID,
                 "DAV:propfind must hold DAV:prop, DAV:allprop or DAV:propname%s", NULL);
        break;
    case DAV_BODY_PROPPATCH:
        if (!x->r.nprops)
            fail(x, DAV_XML_EINVALID, "DAV:propertyupdate names no property to set or remove%s",
                 NULL);
        break;
    case DAV_BODY_LOCK:
        if (!x->lk_scope || !x->lk_type)
            fail(x, DAV_XML_EINVALID, "DAV:lockinfo needs a lockscope and a locktype%s", NULL);
        break;
    }
}

int dav_xml_finish(struct dav_xml *x, struct dav_xml_result *out)
{
    memset(out, 0, sizeof *out);
    if (x->err)
        return x->err;
    if (!x->nonblank) {
        if (x->kind == DAV_BODY_PROPPATCH) {
            x->err = DAV_XML_EINVALID;
            snprintf(x->msg, sizeof x->msg, "PROPPATCH needs a DAV:propertyupdate body");
            return x->err;
        }
        out->kind = x->kind;
        out->empty = 1;
        out->pf = DAV_PF_ALLPROP;
        return 0;
    }
    if (XML_Parse(x->p, NULL, 0, 1) != XML_STATUS_OK)
        return expat_failed(x);
    check_complete(x);
    if (x->err)
        return x->err;
    *out = x->r;
    memset(&x->r, 0, sizeof x->r);
    x->props_cap = 0;
    return 0;
}

const char *dav_xml_message(const struct dav_xml *x)
{
    return x->err ? x->msg : "";
}

void dav_xml_result_free(struct dav_xml_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nprops; i++) {
        free(r->props[i].ns);
        free(r->props[i].name);
        free(r->props[i].value);
    }
    free(r->props);
    free(r->owner);
    memset(r, 0, sizeof *r);
}

void dav_xml_free(struct dav_xml *x)
{
    if (!x)
        return;
    XML_ParserFree(x->p);
    dav_buf_free(&x->cap);
    dav_xml_result_free(&x->r);
    free(x);
}

int dav_xml_parse(enum dav_body_kind kind, const char *body, size_t len,
                  struct dav_xml_result *out, char *msg, size_t msglen)
{
    struct dav_xml *x = dav_xml_new(kind);
    int rc;

    memset(out, 0, sizeof *out);
    if (!x)
        return DAV_XML_ENOMEM;
    rc = dav_xml_feed(x, body, len);
    if (rc == 0)
        rc = dav_xml_finish(x, out);
    if (msg && msglen)
        snprintf(msg, msglen, "%s", dav_xml_message(x));
    dav_xml_free(x);
    return rc;
}
