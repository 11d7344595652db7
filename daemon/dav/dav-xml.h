/*
 * dav-xml.h — the request bodies of WebDAV (RFC 4918) read with expat:
 * PROPFIND (§14.20), PROPPATCH (§14.19) and LOCK (§14.11).
 *
 * A parser is fed the body in chunks as they arrive (the route contract:
 * headers → body chunks → finish), so nothing waits for the whole body;
 * at most DAV_XML_BODY_MAX bytes are accepted. Names are matched by
 * namespace URI, never by prefix. Documents with a DOCTYPE, or that declare
 * entities, are refused outright, so no entity is ever expanded (and expat's
 * own amplification limit, 2.4+, stays on as a second wall). Unknown
 * elements where RFC 4918 allows extensions are ignored.
 *
 * Property values (PROPPATCH) and the lock owner (LOCK) are kept as XML
 * fragments re-serialised so that they stand alone: every element declares
 * the namespace it uses (prefixes "n", attributes "a0", "a1"...), text is
 * escaped. Not thread-safe per parser; parsers are independent.
 */
#ifndef FERRY_DAV_XML_H
#define FERRY_DAV_XML_H

#include <stddef.h>

#define DAV_XML_BODY_MAX (256 * 1024) /* bytes of body accepted */
#define DAV_XML_PROPS_MAX 256         /* names or operations in one body */
#define DAV_XML_DEPTH_MAX 48          /* element nesting */

enum dav_body_kind { DAV_BODY_PROPFIND, DAV_BODY_PROPPATCH, DAV_BODY_LOCK };

/* Errors (negative), each with an HTTP status to answer. */
enum dav_xml_error {
    DAV_XML_EMALFORMED = -1, /* not well-formed XML, or a DOCTYPE/entity: 400 */
    DAV_XML_EINVALID = -2,   /* well-formed, but not the document RFC 4918
                                asks for here: 422 */
    DAV_XML_ETOOBIG = -3,    /* over DAV_XML_BODY_MAX, too deep or too many
                                properties: 413 */
    DAV_XML_ENOMEM = -4,     /* 500 */
};

/* The HTTP status for a dav_xml_error (500 for anything else). */
unsigned dav_xml_status(int err);

enum dav_propfind_kind { DAV_PF_ALLPROP, DAV_PF_PROPNAME, DAV_PF_PROP };

/* One property named in a body. */
struct dav_xml_prop {
    char *ns;    /* namespace URI; "" for none. Owned by the result */
    char *name;  /* local name. Owned */
    char *value; /* PROPPATCH set: the value as an XML fragment ("" when
                    empty); NULL for PROPFIND names and PROPPATCH remove */
    int remove;  /* PROPPATCH: 1 for <DAV:remove>, 0 for <DAV:set> */
};

/* What a body said. */
struct dav_xml_result {
    enum dav_body_kind kind;
    int empty;                     /* the body held nothing (not even
                                      whitespace-only XML): PROPFIND means
                                      allprop, LOCK means a refresh */
    enum dav_propfind_kind pf;     /* PROPFIND; props are the names asked
                                      for (PROP) or <DAV:include>d (ALLPROP) */
    struct dav_xml_prop *props;    /* PROPFIND names; PROPPATCH operations in
                                      document order. Owned */
    size_t nprops;
    int shared;                    /* LOCK: 1 shared, 0 exclusive */
    char *owner;                   /* LOCK: <DAV:owner>'s content as XML, or
                                      NULL when absent. Owned */
};

struct dav_xml;

/* A parser for one body of `kind`. NULL when out of memory. Owned by the
 * caller: dav_xml_free(). */
struct dav_xml *dav_xml_new(enum dav_body_kind kind);

/* Feeds len bytes of the body. Returns 0, or a dav_xml_error (the parser
 * then refuses further input and dav_xml_finish() returns the same). */
int dav_xml_feed(struct dav_xml *x, const char *buf, size_t len);

/* Ends the body and fills *out (owned by the caller afterwards:
 * dav_xml_result_free(); zeroed on failure). Returns 0 or a dav_xml_error.
 * Call once. */
int dav_xml_finish(struct dav_xml *x, struct dav_xml_result *out);

/* A sentence saying why the body was refused (with expat's line and column
 * for a malformed one); "" when it was not. Lives as long as x. */
const char *dav_xml_message(const struct dav_xml *x);

void dav_xml_free(struct dav_xml *x);
void dav_xml_result_free(struct dav_xml_result *r);

/* Parses a whole body at once: new, feed, finish, free. The message, if
 * msg is not NULL, is copied into msg (msglen bytes). */
int dav_xml_parse(enum dav_body_kind kind, const char *body, size_t len,
                  struct dav_xml_result *out, char *msg, size_t msglen);

#endif
