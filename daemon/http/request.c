/*
 * request.c — the gate's parse of a request line into the context of
 * request.h: the method's bit, the namespace, the path decoded once
 * (paths_decode) and the query's values looked up once.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "request.h"

static const struct {
    const char *name;
    unsigned bit;
} methods[] = {
    {"GET", REQ_GET},       {"HEAD", REQ_HEAD},         {"PUT", REQ_PUT},
    {"OPTIONS", REQ_OPTIONS}, {"MKCOL", REQ_MKCOL},     {"MOVE", REQ_MOVE},
    {"COPY", REQ_COPY},     {"DELETE", REQ_DELETE},     {"POST", REQ_POST},
    {"PATCH", REQ_PATCH},   {"PROPFIND", REQ_PROPFIND}, {"PROPPATCH", REQ_PROPPATCH},
    {"LOCK", REQ_LOCK},     {"UNLOCK", REQ_UNLOCK},
};

struct req *req_new(void)
{
    struct req *rq = malloc(sizeof *rq);

    if (rq)
        memset(rq, 0, offsetof(struct req, path.rel));
    return rq;
}

unsigned req_method_bit(const char *method)
{
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(method, methods[i].name) == 0)
            return methods[i].bit;
    return REQ_OTHER;
}

/* The keys of struct req_query, each with where its value goes. */
struct query_pass {
    struct req_query *q;
    unsigned seen; /* one bit a key: its first value is kept */
};

static enum MHD_Result take_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    struct query_pass *p = cls;
    struct {
        const char *key;
        const char **slot;
    } keys[] = {
        {"download", &p->q->download}, {"format", &p->q->format}, {"size", &p->q->size},
        {"thumb", &p->q->thumb},       {"ticket", &p->q->ticket}, {"v", &p->q->v},
        {"token", &p->q->token},       {"to", &p->q->to},         {"q", &p->q->q},
        {"name", &p->q->name},
    };

    (void)kind;
    for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcasecmp(key, keys[i].key) != 0) /* as MHD_lookup_connection_value */
            continue;
        if (!(p->seen & 1u << i)) {
            p->seen |= 1u << i;
            *keys[i].slot = value;
        }
        break;
    }
    return MHD_YES;
}

void req_parse(struct req *rq, const char *method, const char *url,
               const struct paths_opts *opts)
{
    struct query_pass qp = {&rq->query, 0};

    rq->method = method;
    rq->method_bit = req_method_bit(method);
    rq->url = url;
    rq->space = strncmp(url, REQ_FERRY_PREFIX, sizeof REQ_FERRY_PREFIX - 1) == 0
                    ? REQ_SPACE_FERRY : REQ_SPACE_SHARED;
    rq->path.rc = paths_decode(url, opts, rq->path.rel, sizeof rq->path.rel,
                               &rq->path.trailing);
    if (rq->path.rc > 0)
        rq->path.rc = 0; /* the length: not needed */
    memset(&rq->query, 0, sizeof rq->query);
    MHD_get_connection_values(rq->c, MHD_GET_ARGUMENT_KIND, take_arg, &qp);
}

enum req_page req_page_for(int rc)
{
    switch (rc) {
    case PATHS_EBADREQ:
        return REQ_PAGE_400;
    case PATHS_EFORBIDDEN:
    case -EACCES:
    case -EPERM:
        return REQ_PAGE_403;
    case PATHS_ENOTFOUND:
    case -ENOENT:
    case -ENOTDIR:
    case -ENAMETOOLONG:
    case -ELOOP:
        return REQ_PAGE_404;
    default:
        return REQ_PAGE_500;
    }
}
