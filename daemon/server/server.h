/*
 * server.h — the inside of a ferry_server, shared by the daemon/ modules.
 *
 * A ferry_server owns: a copy of its configuration, the root folder's fd, the
 * listener (listening sockets + accept thread), the libmicrohttpd daemon that
 * serves the connections the listener hands over, and the responses shared
 * by every request (error pages). Nothing here is global.
 */
#ifndef FERRY_SERVER_H
#define FERRY_SERVER_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>

#include "discovery.h"
#include "ferry.h"
#include "log.h"
#include "paths.h"
#include "request.h"
#include "zip-ends.h"

struct listener;
struct lc_engine;
struct lc_registry;
struct lc_port_none;
struct disc;
struct listing_cache;
struct dav_server;
struct tls_identity;
struct tls_front;
struct tus_store;
struct auth_gate;
struct conn_limit;

/* The Content-Security-Policy of the HTML ferry makes itself (login and
 * pairing pages, the 401 page) and of the UI's files: no script at all,
 * inline styles only. */
#define SRV_CSP_UI "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; " \
                   "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
/* The folder listing's: the same, plus the browser UI's scripts and
 * stylesheet from /.ferry/ui/ (same origin, no inline script), its
 * requests (fetch, tus uploads) to this server only, and the PDF preview's
 * frame of a shared file (which keeps its own sandbox CSP). */
#define SRV_CSP_LISTING "default-src 'none'; style-src 'unsafe-inline' 'self'; " \
                        "script-src 'self'; connect-src 'self'; img-src 'self' data:; media-src 'self'; " \
                        "frame-src 'self'; " \
                        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
/* ... and of everything else, files from the shared folder above all: an
 * uploaded HTML or SVG file never runs with the server's origin. */
#define SRV_CSP_FILES "sandbox"

struct ferry_server {
    ferry_config cfg;           /* strings below point into owned copies */
    char *root;                 /* absolute path of the shared folder */
    char *binds[FERRY_MAX_BINDS];
    int root_fd;                /* O_DIRECTORY fd of the root, owned */
    struct paths_opts paths;    /* derived from cfg */
    pthread_rwlock_t links_lock; /* MOVE/COPY: folders' depths hold still
                                    while symlinks are checked (fileops.c) */
    atomic_int openat2_missing; /* paths.openat2_missing points here */
    struct MHD_Daemon *mhd;     /* NULL when stopped */
    struct listener *listener;  /* NULL when stopped */
    struct MHD_Response *pages[REQ_PAGE_COUNT]; /* shared error responses
                                                   (routes.c) */
    struct listing_cache *listings; /* rendered listings, valid ~1 s */
    struct dav_server *dav;     /* WebDAV class 2: locks, handlers (daemon/dav/) */
    int port;                   /* bound port; kept while quiesced so that
                                   a rebind asks for the same one */
    int listening;              /* the listener is open */

    /* lifecycle */
    ferry_port os;              /* the installed port (copy) */
    int have_os;                /* ferry_server_set_port() was called */
    struct lc_port_none *none;  /* the built-in port when none installed */
    struct lc_registry *registry;
    struct lc_engine *engine;   /* NULL when stopped */
    pthread_rwlock_t engine_lock; /* posts read it; stop writes it */
    pthread_mutex_t rebind_lock; /* guards the four below */
    pthread_cond_t rebind_cv;   /* a death was reported, or stopping */
    pthread_t rebinder;         /* posts NETWORK_CHANGED after a listener died */
    int rebinder_started;       /* joinable */
    int rebinder_again;         /* another death while it ran */
    int rebinder_off;           /* stopping: start none */
    int data_locked;            /* the host said protected data is
                                   unavailable (ferry_host_protected_data):
                                   EPERM answers 503 + Retry-After */
    char *state_dir;            /* absolute, or NULL */
    int state_fd;               /* O_DIRECTORY fd of state_dir, or -1 */

    /* resumable (tus) uploads: daemon/uploads/upload-tus.h; NULL without a state
       folder */
    struct tus_store *tus;

    /* discovery (mDNS/DNS-SD); NULL when off */
    struct disc *disc;
    char *service_name;         /* owned copy, or the default */

    /* how the last ticketed zip downloads ended (daemon/share/zip-ends.h), for
       /.ferry/status: from new to free */
    struct zip_ends zip_ends;

    /* open connections' sockets, so they can be ended before suspension */
    pthread_mutex_t conns_lock;
    int *conns;
    size_t n_conns, cap_conns;

    /* TLS (cfg.tls): the HTTPS listener, whose connections go through the
       front end (daemon/tls/tls-front.c) before MHD; all NULL when off */
    char *tls_cert, *tls_key;   /* owned copies of cfg's paths */
    struct listener *tls_listener; /* NULL when not listening */
    int tls_port;               /* bound HTTPS port; kept while quiesced.
                                   Equal to port with FERRY_TLS_ONLY */
    struct tls_identity *tls_id; /* from start to stop */
    struct tls_front *tls_front; /* from start to stop */
    /* identities replaced by a network change (srv_tls_reissue): kept until
       stop, as a request may still read the old one's fingerprint */
    struct tls_identity **tls_retired;
    size_t n_tls_retired;

    /* network changes (daemon/netwatch.h, netchange.c): from start to stop */
    struct netwatch *netwatch;  /* NULL: no watcher on this host */
    char *net_addrs;            /* the address set of the last refresh */

    /* access control (daemon/auth/auth.c): from new to free */
    struct auth_gate *auth;

    /* the thumbnail thread and cache (daemon/share/thumb-jobs.h): from start to
       stop (freed after the engine, whose ops cancel its jobs); NULL when
       it could not start (pictures then answer themselves) */
    struct thumb_jobs *thumbs;

    /* connection caps (daemon/http/conn-limit.h), from start to stop: every
       connection is admitted there before libmicrohttpd sees it */
    struct conn_limit *climit;
    unsigned max_conns, max_per_addr; /* in force (cfg, or the defaults
                                         fitted to the open-file limit) */
    struct srv_log_limit refused_log; /* "connections refused" lines */
    struct srv_log_limit mhd_log;     /* libmicrohttpd's own lines */
};

/*
 * The one way a response is queued (instead of MHD_queue_response): adds
 * the headers every answer carries unless already set —
 * X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer, and
 * Content-Security-Policy SRV_CSP_FILES (a module that makes HTML of its
 * own sets SRV_CSP_UI first). A response shared between requests must have
 * been through srv_secure_headers() when it was built, so that this only
 * reads it. Returns what MHD_queue_response() returns; r stays the
 * caller's.
 */
enum MHD_Result srv_queue_response(struct MHD_Connection *c, unsigned status,
                                   struct MHD_Response *r);

/*
 * Queues `status` with `text` (copied) as a text/plain body (none for 204)
 * through srv_queue_response(), plus up to two headers: name1: value1 and
 * name2: value2, each left out when its value is NULL. Sets *status_out.
 * Returns what srv_queue_response() returns, MHD_NO when out of memory.
 */
enum MHD_Result srv_answer_text(struct MHD_Connection *c, unsigned status, const char *text,
                                const char *name1, const char *value1,
                                const char *name2, const char *value2,
                                unsigned *status_out);

/* Whether connection c came through the TLS front end (HTTPS). */
int srv_conn_tls(const struct ferry_server *srv, struct MHD_Connection *c);

/* Adds the headers above to r where missing. Not for a response that other
 * threads may be sending. */
void srv_secure_headers(struct MHD_Response *r);

/*
 * Opens the listener on the configured addresses and srv->port (any free
 * port when that one is taken and `may_move`), and starts accepting. Sets
 * srv->port and srv->listening. With TLS, the HTTPS listener likewise on
 * srv->tls_port (HTTPS only: it is the one on srv->port). Returns 0 or a
 * FERRY_E* code (logged); nothing is left open on failure.
 */
int srv_listen(struct ferry_server *srv, int may_move);

/* Stops accepting and closes the listening sockets (plain and TLS); keeps
 * srv->port and srv->tls_port. */
void srv_unlisten(struct ferry_server *srv);

/*
 * The numeric addresses the server is reachable at (its bind addresses, or
 * every address of the interfaces that are up for a wildcard bind; no IPv6
 * link-local), for the TLS certificate. *addrs is freed with
 * ferry_urls_free(). Returns 0, FERRY_ENOMEM or -errno from getifaddrs().
 */
int srv_host_addresses(const struct ferry_server *srv, char ***addrs, size_t *n);

/*
 * After a network change, with the listener closed (the engine's rebind,
 * netchange.c): when the addresses ferry serves on differ from the last
 * refresh, issues the generated TLS certificate again for them
 * (srv_tls_reissue). Returns 1 when they differed (not on the first call,
 * at start), else 0. Called with the engine's lock held.
 */
int srv_network_refresh(struct ferry_server *srv);

/* Logs every URL the server answers at now ("network: URLs now: ..."),
 * once it listens again after a refresh that returned 1. */
void srv_network_announce(struct ferry_server *srv);

/* The addresses ferry serves on now (srv_host_addresses), joined with ' ':
 * malloc'd, the caller frees; NULL when they cannot be read. */
char *srv_address_set(struct ferry_server *srv);

/*
 * Issues the generated certificate again for the host's current addresses
 * and restarts the TLS front end with it (open TLS connections end; their
 * clients resume). The listener must be closed. Returns 0, or a negative
 * code (logged; the old identity stays in use).
 */
int srv_tls_reissue(struct ferry_server *srv);

/* What discovery should advertise now (port, TXT) into *info. */
void srv_disc_info(const struct ferry_server *srv, struct disc_info *info);

/*
 * Lifecycle glue (server-lifecycle.c): creates the engine with the installed
 * or built-in port and reads the journal back (a cold start). Returns 0 or a
 * negative code.
 */
int srv_lifecycle_start(struct ferry_server *srv);

/* Ends what the engine holds and frees it; snapshots open transfers first. */
void srv_lifecycle_stop(struct ferry_server *srv);

/*
 * The server's parts (parts.c, the one file of the core that names the
 * modules it carries, so that server.c includes none of them). Each runs
 * on the thread that calls ferry_server_new/start/stop/free:
 *   srv_parts_new      from ferry_server_new(), last: the listing cache and
 *                      the gate. 0 or a negative code (the caller frees).
 *   srv_parts_start    from ferry_server_start(), after the lifecycle's
 *                      start: error pages, the uploads' store, the sweeps
 *                      of what a kill left, the trash, the thumbnail
 *                      thread. 0 or FERRY_ENOMEM (the caller stops).
 *   srv_parts_started  at the end of a successful start (the gate says
 *                      how to get in).
 *   srv_parts_quiesce  from ferry_server_stop(), before libmicrohttpd
 *                      stops (what the parts suspended is resumed).
 *   srv_parts_stop     from ferry_server_stop(), after the lifecycle's
 *                      stop. Safe after a failed or no start.
 *   srv_parts_free     from ferry_server_free(). Safe after a failed new.
 * srv_access_handler and srv_request_completed are libmicrohttpd's entry
 * points (routes.h).
 */
int srv_parts_new(struct ferry_server *srv);
int srv_parts_start(struct ferry_server *srv);
void srv_parts_started(struct ferry_server *srv);
void srv_parts_quiesce(struct ferry_server *srv);
void srv_parts_stop(struct ferry_server *srv);
void srv_parts_free(struct ferry_server *srv);
extern const MHD_AccessHandlerCallback srv_access_handler;
extern const MHD_RequestCompletedCallback srv_request_completed;

/* The first step of ferry_server_stop(): ends every held assertion (the
 * slow teardown after it must not hold one), and joins the rebinder thread
 * (no rebind may race the teardown). */
void srv_lifecycle_stopping(struct ferry_server *srv);


/* Writes the client's numeric address (or "-") into buf. */
void srv_peer_address(struct MHD_Connection *c, char *buf, size_t len);

/* MHD_NotifyConnectionCallback: tracks connection sockets. */
void srv_track_connection(void *cls, struct MHD_Connection *c, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode code);

#endif
