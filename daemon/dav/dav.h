/*
 * dav.h — WebDAV class 2 methods on the shared folder (RFC 4918):
 * PROPFIND, PROPPATCH, LOCK and UNLOCK, and the lock/If: check every write
 * method makes first. Independent of the HTTP library: a handler gets
 * the request (decoded path, method, the headers it needs through a
 * lookup function), its body in chunks, and fills a dav_reply (status, a
 * few headers, a body that is a buffer or a stream); daemon/dav/dav-mhd.c
 * turns that into libmicrohttpd calls. The route-table contract it fits:
 * headers → body chunks → finish → end.
 *
 *   struct dav_call *c = dav_call_begin(d, &rq, &early);   headers
 *   dav_call_body(c, chunk, n) ...                           body chunks
 *   dav_call_finish(c, &reply);                              finish
 *   dav_call_end(c);                                         end
 *
 * Access control is the caller's (the gate: read rights for PROPFIND,
 * write rights for the rest); so is the decoding of the URL (paths.h).
 * Thread-safe: a dav_server is shared by all worker threads (its lock
 * table has a mutex); a dav_call belongs to one request.
 */
#ifndef FERRY_DAV_H
#define FERRY_DAV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct paths_opts;
struct dav_locks;

/* What the handlers need of the server. Borrowed for the server's life. */
struct dav_config {
    int root_fd;                    /* the shared folder */
    const struct paths_opts *paths; /* the resolver's policy */
    int show_hidden;
    const char *root_name;          /* displayname of the share */
    int state_fd;                   /* the state folder, or -1: dead
                                       properties where xattrs cannot go */
    int dead_no_xattr;              /* tests: keep them in the state folder
                                       even where xattrs work */
};

struct dav_server;

/* NULL when out of memory (or the random source cannot be seeded). Owned by
 * the caller: dav_server_free() (accepts NULL). */
struct dav_server *dav_server_new(const struct dav_config *cfg);
void dav_server_free(struct dav_server *d);

/* The lock table (for the write checks and tests). Borrowed. */
struct dav_locks *dav_server_locks(struct dav_server *d);

/* The request, as the router hands it over; read during dav_call_begin()
 * and dav_write_check() only (what is needed later is copied). */
struct dav_request {
    const char *method;
    const char *path;   /* decoded, below the share: "" or "a/b" */
    int trailing;       /* the URL ended in '/' */
    /* The value of request header `name`, or NULL when absent. */
    const char *(*header)(void *cls, const char *name);
    void *header_cls;
    int64_t now;        /* monotonic seconds (lock timeouts) */
};

/* A body produced while it is sent. read: bytes into buf (> 0), 0 at the
 * end, -1 to cut the answer. free: called once, when sent or abandoned. */
struct dav_stream {
    ssize_t (*read)(void *cls, char *buf, size_t max);
    void (*free)(void *cls);
    void *cls;
};

#define DAV_REPLY_HEADERS 4
#define DAV_HEADER_VALUE_MAX 160

/* An answer. dav_reply_free() releases what it owns. */
struct dav_reply {
    unsigned status;                /* 0: none yet */
    struct {
        const char *name;           /* static */
        char value[DAV_HEADER_VALUE_MAX];
    } headers[DAV_REPLY_HEADERS];
    size_t nheaders;
    const char *content_type;       /* static, or NULL for no body */
    char *body;                     /* malloc'd, owned; or NULL */
    size_t len;
    struct dav_stream stream;       /* used when stream.read is set */
};

void dav_reply_free(struct dav_reply *r);

/* 1 when `method` is one of PROPFIND, PROPPATCH, LOCK, UNLOCK. */
int dav_method(const char *method);

/* 1 when `method` only reads (PROPFIND): read rights are enough. */
int dav_method_reads(const char *method);

struct dav_call;

/*
 * Starts a request of a dav_method(). Returns the call (owned by the
 * caller: dav_call_end()), or NULL with early->status set when the answer
 * is known from the headers alone (a bad Depth, a PROPFIND of depth
 * infinity, a missing Lock-Token, a refusing If:, a lock in the way...),
 * or with early->status 0 when out of memory (close the connection).
 */
struct dav_call *dav_call_begin(struct dav_server *d, const struct dav_request *rq,
                                struct dav_reply *early);

/* Takes a chunk of the body; the parse error, if any, is answered by
 * finish. Returns 0. */
int dav_call_body(struct dav_call *c, const char *buf, size_t len);

/* Fills *out with the answer (owned by the caller afterwards). */
void dav_call_finish(struct dav_call *c, struct dav_reply *out);

/* Frees the call; accepts NULL. */
void dav_call_end(struct dav_call *c);

/*
 * Before a write method of the rest of the server (PUT, DELETE, MKCOL,
 * MOVE, COPY) acts on `path` (decoded): evaluates the If: header (400 when
 * malformed, 412 when false) and checks the lock table (423 when a lock's
 * token is not submitted) — with `recursive` for a write that reaches
 * below path (DELETE, MOVE, or a replaced folder) and `member` when it adds
 * or removes a name in path's folder. Returns 0 when the write may go on,
 * else the status, with *out filled (an error body for 423).
 */
unsigned dav_write_check(struct dav_server *d, const struct dav_request *rq, const char *path,
                         int recursive, int member, struct dav_reply *out);

/* After a DELETE or the MOVE of `path`: its locks (and those below) end. */
void dav_forget(struct dav_server *d, const char *path);

/* After a COPY from src to dst (decoded paths): the dead properties of the
 * top item come along (those of a copied folder's members do not yet). */
void dav_copied(struct dav_server *d, const char *src, const char *dst);

#endif
