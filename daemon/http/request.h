/*
 * request.h — one request as every handler sees it, and the contract of a
 * handler.
 *
 * The context (struct req) is built once, at the gate (routes.c, the first
 * call of libmicrohttpd's access handler, before any body is read): the
 * method, the raw path and the decoded one (or the reason it is refused),
 * the query's values, the namespace (the shared folder, or ferry's own
 * endpoints under /.ferry/), and the gate's word on the credentials and
 * rights (auth.h). Nothing after the gate decodes the request's URL again
 * or looks the query up in libmicrohttpd: handlers read it here.
 *
 * A handler (struct route_handler) is reached through one row of the route
 * table (routes.h) and answers through the connection rq->c with
 * srv_queue_response() and its helpers (server.h), setting rq->status.
 *
 * Ownership: the context belongs to routes.c, from the first call of the
 * access handler to the completion callback; a handler owns what it hangs
 * on rq->state and releases it in its end().
 */
#ifndef FERRY_REQUEST_H
#define FERRY_REQUEST_H

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "auth-ticket.h"
#include "paths.h"

struct ferry_server;
struct zip_end;

/* The methods the route table knows, one bit each. The order of the bits is
 * the order in which an Allow header lists them. */
enum req_method {
    REQ_GET = 1u << 0,
    REQ_HEAD = 1u << 1,
    REQ_PUT = 1u << 2,
    REQ_OPTIONS = 1u << 3,
    REQ_MKCOL = 1u << 4,
    REQ_MOVE = 1u << 5,
    REQ_COPY = 1u << 6,
    REQ_DELETE = 1u << 7,
    REQ_POST = 1u << 8,
    REQ_PATCH = 1u << 9,
    REQ_PROPFIND = 1u << 10,
    REQ_PROPPATCH = 1u << 11,
    REQ_LOCK = 1u << 12,
    REQ_UNLOCK = 1u << 13,
    REQ_OTHER = 1u << 14, /* any method not named above */
};
#define REQ_ANY (~0u)
/* The methods that only read: every other one is a write (auth/auth.c
 * agrees: a read-only session may PROPFIND). */
#define REQ_READS (REQ_GET | REQ_HEAD | REQ_OPTIONS | REQ_PROPFIND)

/* Where a path points. */
enum req_space {
    REQ_SPACE_SHARED = 1, /* the shared folder: every path not under /.ferry/ */
    REQ_SPACE_FERRY = 2,  /* ferry's own endpoints: "/.ferry/" and below */
};
#define REQ_SPACE_ANY (REQ_SPACE_SHARED | REQ_SPACE_FERRY)
#define REQ_FERRY_PREFIX "/.ferry/"

/*
 * The query's values that ferry reads, each the first value of its key as
 * libmicrohttpd decoded it (NULL when the key is absent or has no value).
 * The strings are libmicrohttpd's, valid for the request.
 */
struct req_query {
    const char *download; /* "zip": a folder as one zip (share/zip.h) */
    const char *format;   /* "json": a listing as JSON */
    const char *size;     /* "1": a folder's size */
    const char *thumb;    /* "1": a picture's thumbnail (share/thumb.h) */
    const char *ticket;   /* a zip's ticket, for /.ferry/status */
    const char *v;        /* the UI's version (ui/assets.h) */
    const char *token;    /* a pairing token (auth.h, /.ferry/pair) */
    const char *to;       /* where a redeemed pairing link lands */
    const char *q;        /* a search below a folder (share/search.h) */
    const char *name;     /* the first item of a selection's zip: with
                             download=zip, the items are every name=
                             (share/zip-select.h), iterated by its reader */
};

/* The request's path, percent-decoded once by paths_decode() with the
 * server's options (paths.h). */
struct req_path {
    int rc;                  /* 0, or the paths_error that refuses it */
    int trailing;            /* the raw path ended with '/' */
    char rel[PATHS_MAX + 1]; /* below the root, no leading or trailing
                                '/' ("" for the root); "" when refused */
};

struct route_handler;

/* The statuses for which a server keeps a shared, prebuilt error answer
 * (routes.c): req_error_page(). */
enum req_page {
    REQ_PAGE_400, /* the path is malformed */
    REQ_PAGE_403, /* the path leaves the shared folder */
    REQ_PAGE_404,
    REQ_PAGE_500,
    REQ_PAGE_COUNT
};

/* One request, from the gate to the completion callback. */
struct req {
    struct ferry_server *srv;
    struct MHD_Connection *c;
    const char *method;      /* as sent; libmicrohttpd's string */
    unsigned method_bit;     /* one enum req_method */
    const char *url;         /* the raw path (still percent-encoded) */
    unsigned space;          /* one enum req_space */
    struct req_query query;
    struct auth_ticket auth; /* the gate's word (auth-ticket.h) */

    const struct route_handler *handler; /* set once admitted and routed */
    void *state;             /* the handler's (see struct route_handler) */
    int had_body;            /* a body came that no handler read (dropped) */

    /* the outcome, for the access log and the lifecycle's registry */
    unsigned status;         /* the status answered; 0: none yet */
    uint64_t length;         /* body bytes answered, when known */
    uint64_t transfer;       /* registry id of a download, closed on
                                completion (interrupted when cut) */
    int transfer_once;       /* it cannot be resumed: closed also when cut */
    struct zip_end *zip_end; /* a ticketed zip's end (share/zip-ends.h) */

    struct timespec start;   /* for the access log (INFO only) */
    char log_method[16];
    char log_path[256];

    struct req_path path;    /* last: its 4 KiB are not zeroed (req_new()) */
};

/* Whether the request is a HEAD. */
static inline int req_is_head(const struct req *rq)
{
    return rq->method_bit == REQ_HEAD;
}

/* A zeroed context but for path.rel (written by req_parse()), or NULL when
 * out of memory; freed with free(). */
struct req *req_new(void);

/* The enum req_method bit of a method name (REQ_OTHER when unknown). */
unsigned req_method_bit(const char *method);

/*
 * Fills rq's method, path, namespace and query from the request line
 * (the gate's parse; rq->srv and rq->c must be set). The path is decoded
 * with `opts` (the server's). Never fails: a refused path is rq->path.rc.
 */
void req_parse(struct req *rq, const char *method, const char *url,
               const struct paths_opts *opts);

/* The shared answer for a path that cannot be served: a paths.h error or
 * -errno from opening it (400 malformed; 403 leaves the folder or not
 * permitted; 404 not there, hidden, or not reachable; else 500). */
enum req_page req_page_for(int rc);

/*
 * Answers, each through srv_queue_response() (server.h: the headers every
 * answer carries), recording the status and length in rq for the access
 * log. Each returns what MHD_queue_response() returns (MHD_NO also when
 * out of memory: the connection closes).
 *
 * req_error_page: the server's shared answer for `page`.
 * req_reply: `r` (owned from the call on: released once queued; NULL,
 *   out of memory, closes the connection) with `status` and a body of
 *   `len` bytes.
 * req_reply_buffer: 200 with `body` (malloc'd, owned from the call on, also
 *   on failure) of `len` bytes and Content-Type `type`, Cache-Control
 *   no-cache; text/html (ferry's own: the listing) with SRV_CSP_LISTING.
 * req_note: records status and length only (a handler that queued itself).
 */
enum MHD_Result req_error_page(struct req *rq, enum req_page page);
enum MHD_Result req_reply(struct req *rq, unsigned status, struct MHD_Response *r,
                          uint64_t len);
enum MHD_Result req_reply_buffer(struct req *rq, char *body, size_t len, const char *type);
void req_note(struct req *rq, unsigned status, uint64_t length);

/*
 * A handler: what one row of the route table (routes.h) calls, each step
 * optional (NULL). Every step runs on libmicrohttpd's threads and returns
 * MHD_YES, or MHD_NO to close the connection.
 *
 *   begin(rq)   the headers are in, the body is not read yet; the gate
 *               admitted the request. May answer at once (a refusal before
 *               the body: set rq->status), or take the body by setting
 *               rq->state. Without begin, or when it leaves rq->state
 *               NULL without answering, a body is dropped (rq->had_body)
 *               and finish() answers once it is gone.
 *   body(rq, data, size)   only while rq->state is set: the next `*size`
 *               bytes of the body; set *size to what was consumed (0..).
 *   finish(rq)  the body is in: answer (set rq->status), or suspend the
 *               connection with rq->state set, and finish() is called
 *               again once it is resumed.
 *   end(rq, completed)   the request is over (completed: libmicrohttpd
 *               finished it normally), answered or not; release
 *               rq->state. Called for every request routed to the
 *               handler, whatever happened before.
 */
struct route_handler {
    const char *name; /* for the log */
    enum MHD_Result (*begin)(struct req *rq);
    enum MHD_Result (*body)(struct req *rq, const char *data, size_t *size);
    enum MHD_Result (*finish)(struct req *rq);
    void (*end)(struct req *rq, int completed);
};

#endif
