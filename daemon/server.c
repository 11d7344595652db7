/*
 * server.c — a ferry_server's life: configuration, the root and state
 * folders, starting and stopping libmicrohttpd, the listeners (plain and
 * TLS), discovery and the lifecycle engine (server-lifecycle.c), and
 * logging.
 *
 * libmicrohttpd runs without a listening socket of its own
 * (MHD_USE_NO_LISTEN_SOCKET): the listener accepts and hands each connection
 * over with MHD_add_connection(), plain connections directly so that sendfile
 * stays zero-copy, HTTPS ones (cfg.tls) through the TLS front end
 * (tls-front.c), which hands MHD one end of a socketpair after the
 * handshake.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "conn-limit.h"
#include "dav/dav-mhd.h"
#include "engine.h"
#include "listener.h"
#include "listing-cache.h"
#include "pending.h"
#include "registry.h"
#include "routes.h"
#include "server.h"
#include "thumb-jobs.h"
#include "tls.h"
#include "trash.h"
#include "upload-put.h"
#include "upload-tus.h"

#define DEFAULT_THREADS 2
#define DEFAULT_CONNECTION_MEMORY (8 * 1024) /* 1,000 idle keep-alive
                                               connections in ~13 MiB; request
                                               headers up to ~4 KiB */
#define DEFAULT_MAX_CONNECTIONS 1024 /* a LAN server's devices: a browser
                                        opens at most 6 a host, a download
                                        manager 16 */
#define DEFAULT_MAX_PER_ADDR 128     /* one device: several tabs, a WebDAV
                                        mount and a download manager at
                                        once; 8 addresses to fill the cap */
#define FDS_PER_CONNECTION 4         /* the most one may use: socket, a PUT's
                                        part file and folders; TLS: 3 */
#define FDS_RESERVED 64              /* listeners, state files, journal,
                                        discovery, the control socket */
#define MIN_CONNECTIONS 16
#define DEFAULT_IDLE_TIMEOUT_S 120
#define THREAD_STACK_SIZE (256 * 1024)
#define LISTING_CACHE_ENTRIES 16
#define LISTING_CACHE_BYTES (16u << 20)
#define LISTING_CACHE_TTL_MS 1000

void ferry_config_init(ferry_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->port = FERRY_DEFAULT_PORT;
    cfg->tls_port = FERRY_DEFAULT_TLS_PORT;
    cfg->log_level = FERRY_LOG_INFO;
}

int srv_log_enabled(const struct ferry_server *srv, enum ferry_log_level level)
{
    return srv->cfg.log && level <= srv->cfg.log_level;
}

void srv_log(const struct ferry_server *srv, enum ferry_log_level level,
             const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    if (!srv_log_enabled(srv, level))
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    srv->cfg.log(srv->cfg.log_user, level, line);
}

/*
 * libmicrohttpd's own messages, as warnings. The TCP_NODELAY/TCP_CORK notices
 * it prints for sockets that are not TCP (socketpairs of the TLS front end)
 * are dropped.
 */
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    struct ferry_server *srv = cls;
    char line[1024];
    size_t len;

    if (!srv_log_enabled(srv, FERRY_LOG_WARN))
        return;
    vsnprintf(line, sizeof line, fmt, ap);
    if (strstr(line, "TCP_NODELAY") || strstr(line, "TCP_CORK"))
        return;
    len = strlen(line);
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    /* its lines come per connection: five a minute, then a count */
    srv_log_limited(srv, &srv->mhd_log, FERRY_LOG_WARN,
                    "libmicrohttpd: %s", line);
}

/*
 * The URL as it came on the wire: ferry decodes paths itself (daemon/paths.c)
 * so that %00, %2F and overlong forms are seen and refused, not silently
 * rewritten. Query argument values stay encoded too.
 */
static size_t mhd_no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    return strlen(s);
}

int srv_conn_tls(const struct ferry_server *srv, struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci;
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (srv->cfg.tls != FERRY_TLS_BOTH)
        return srv->cfg.tls == FERRY_TLS_ONLY;
    /* Both listeners: the front end hands MHD one end of a socketpair. */
    ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci || getsockname(ci->connect_fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    return ss.ss_family == AF_UNIX;
}

/*
 * Opens and checks the folder to share. Returns the fd or FERRY_EROOT after
 * logging what is wrong and what to do.
 */
static int open_root(struct ferry_server *srv, const char *root)
{
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;

    if (fd >= 0)
        return fd;
    if (errno == ENOENT)
        srv_log(srv, FERRY_LOG_ERROR, "cannot share '%s': no such folder "
                "(check the path, or create it first)", root);
    else if (errno == ENOTDIR && stat(root, &st) == 0)
        srv_log(srv, FERRY_LOG_ERROR, "cannot share '%s': it is a file, not "
                "a folder (give the folder that contains it)", root);
    else if (errno == EACCES)
        srv_log(srv, FERRY_LOG_ERROR, "cannot share '%s': permission denied "
                "(the folder must be readable by this user)", root);
    else
        srv_log(srv, FERRY_LOG_ERROR, "cannot share '%s': %s", root,
                strerror(errno));
    return FERRY_EROOT;
}

/*
 * Creates the state folder (and missing parents) with mode 0700, checks that
 * it is not inside the shared folder, and opens it. Returns the fd, or
 * FERRY_EINVAL_CONFIG / -errno after logging what is wrong.
 */
static int open_state_dir(struct ferry_server *srv, const char *path)
{
    char *copy = strdup(path), *real = NULL;
    size_t rlen = strlen(srv->root);
    struct stat st;
    int fd = -1, rc;

    if (!copy)
        return FERRY_ENOMEM;
    for (char *p = copy + 1; ; p++) { /* mkdir -p, 0700 */
        char c = *p;

        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
            rc = -errno;
            srv_log(srv, FERRY_LOG_ERROR, "cannot create the state folder '%s': %s", copy,
                    strerror(errno));
            goto fail;
        }
        *p = c;
        if (!c)
            break;
    }
    real = realpath(path, NULL);
    if (!real) {
        rc = -errno;
        goto fail;
    }
    if (strncmp(real, srv->root, rlen) == 0 && (real[rlen] == '/' || real[rlen] == '\0' ||
                                                 strcmp(srv->root, "/") == 0)) {
        srv_log(srv, FERRY_LOG_ERROR, "the state folder '%s' is inside the shared folder "
                "'%s': keys and partial uploads would be served; choose another "
                "(--state-dir)", real, srv->root);
        rc = FERRY_EINVAL_CONFIG;
        goto fail;
    }
    fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        rc = -errno;
        srv_log(srv, FERRY_LOG_ERROR, "cannot open the state folder '%s': %s", real,
                strerror(errno));
        goto fail;
    }
    if ((st.st_mode & 077) && fchmod(fd, 0700) == 0)
        srv_log(srv, FERRY_LOG_WARN, "state folder '%s' was readable by others: now 0700", real);
    srv->state_dir = real;
    free(copy);
    return fd;
fail:
    if (fd >= 0)
        close(fd);
    free(real);
    free(copy);
    return rc;
}

/*
 * Checks and copies the TLS settings. Returns 0, FERRY_EINVAL_CONFIG (logged)
 * or FERRY_ENOMEM.
 */
static int tls_config(struct ferry_server *srv, const ferry_config *cfg)
{
    srv->cfg.tls_cert = srv->cfg.tls_key = NULL;
    if (!cfg->tls)
        return 0;
    if (!cfg->tls_cert != !cfg->tls_key) {
        srv_log(srv, FERRY_LOG_ERROR, "TLS: %s given without %s: give both the certificate "
                "and its key, or neither (for a generated one)",
                cfg->tls_cert ? "a certificate" : "a key",
                cfg->tls_cert ? "its key" : "its certificate");
        return FERRY_EINVAL_CONFIG;
    }
    if (cfg->tls == FERRY_TLS_BOTH && cfg->port && cfg->tls_port == cfg->port) {
        srv_log(srv, FERRY_LOG_ERROR, "HTTP and HTTPS cannot share port %d: choose another "
                "HTTPS port", cfg->port);
        return FERRY_EINVAL_CONFIG;
    }
    if (cfg->tls_cert) {
        srv->tls_cert = strdup(cfg->tls_cert);
        srv->tls_key = strdup(cfg->tls_key);
        if (!srv->tls_cert || !srv->tls_key)
            return FERRY_ENOMEM;
        srv->cfg.tls_cert = srv->tls_cert;
        srv->cfg.tls_key = srv->tls_key;
    }
    return 0;
}

int ferry_server_new(const ferry_config *cfg, ferry_server **out)
{
    struct ferry_server *srv;
    int rc = FERRY_ENOMEM;

    *out = NULL;
    if (!cfg || !cfg->root || !*cfg->root || cfg->port < 0 || cfg->port > 65535 ||
        cfg->n_binds > FERRY_MAX_BINDS || cfg->tls < 0 || cfg->tls > FERRY_TLS_BOTH ||
        cfg->tls_port < 0 || cfg->tls_port > 65535 ||
        (unsigned)cfg->auth > FERRY_AUTH_PASSWORD ||
        (unsigned)cfg->on_conflict > FERRY_CONFLICT_OVERWRITE)
        return FERRY_EINVAL_CONFIG;
    srv = calloc(1, sizeof *srv);
    if (!srv)
        return FERRY_ENOMEM;
    srv->cfg = *cfg;
    srv->root_fd = -1;
    srv->state_fd = -1;
    pthread_mutex_init(&srv->conns_lock, NULL);
    zip_ends_init(&srv->zip_ends);
    pthread_rwlock_init(&srv->engine_lock, NULL);
    srv_log_limit_init(&srv->refused_log, 0, 1);
    srv_log_limit_init(&srv->mhd_log, 0, 5);
    pthread_rwlock_init(&srv->links_lock, NULL);
    srv->registry = lc_registry_new();
    srv->listings = listing_cache_new(LISTING_CACHE_ENTRIES, LISTING_CACHE_BYTES,
                                      LISTING_CACHE_TTL_MS);
    if (!srv->registry || !srv->listings)
        goto fail;
    if (!srv->cfg.threads)
        srv->cfg.threads = DEFAULT_THREADS;
    if (!srv->cfg.connection_memory)
        srv->cfg.connection_memory = DEFAULT_CONNECTION_MEMORY;
    if (!srv->cfg.idle_timeout_s)
        srv->cfg.idle_timeout_s = DEFAULT_IDLE_TIMEOUT_S;
    for (size_t i = 0; i < cfg->n_binds; i++) {
        srv->binds[i] = strdup(cfg->binds[i]);
        if (!srv->binds[i])
            goto fail;
        srv->cfg.binds[i] = srv->binds[i];
    }
    srv->root = realpath(cfg->root, NULL);
    srv->cfg.root = srv->root ? srv->root : cfg->root;
    rc = open_root(srv, srv->cfg.root);
    if (rc < 0)
        goto fail;
    srv->root_fd = rc;
    if (!srv->root) {
        rc = -errno;
        goto fail;
    }
    if (cfg->state_dir && *cfg->state_dir) {
        rc = open_state_dir(srv, cfg->state_dir);
        if (rc < 0)
            goto fail;
        srv->state_fd = rc;
    }
    srv->cfg.state_dir = srv->state_dir;
    if (dav_mhd_server_init(srv) < 0) /* WebDAV class 2 (daemon/dav/) */
        goto fail;
    if (cfg->service_name && *cfg->service_name) {
        srv->service_name = strdup(cfg->service_name);
    } else {
        char name[256];

        disc_default_name(name, sizeof name);
        srv->service_name = strdup(name);
    }
    if (!srv->service_name) {
        rc = FERRY_ENOMEM;
        goto fail;
    }
    srv->cfg.service_name = srv->service_name;
    srv->paths.show_hidden = cfg->show_hidden;
    srv->paths.follow_symlinks = cfg->follow_symlinks;
    srv->paths.openat2_missing = &srv->openat2_missing;
    rc = tls_config(srv, cfg);
    if (rc < 0)
        goto fail;
    rc = auth_gate_new(srv, &srv->auth);
    if (rc < 0)
        goto fail;
    *out = srv;
    return 0;
fail:
    ferry_server_free(srv);
    return rc;
}

/*
 * Hands fd (owned; closed in every case) to libmicrohttpd with the holder of
 * `ticket` that the caller has.
 */
static void hand_to_mhd(struct ferry_server *srv, int fd, const struct sockaddr *peer,
                        socklen_t len, uint32_t ticket)
{
    uint64_t serial = climit_give_fd(srv->climit, ticket, fd);

    /* MHD_add_connection closes fd in every case, also on failure. */
    if (MHD_add_connection(srv->mhd, fd, peer, len) != MHD_YES) {
        int err = errno;

        climit_fd_failed(srv->climit, fd, serial);
        srv_log_limited(srv, &srv->refused_log, FERRY_LOG_WARN,
                        "connection refused by the HTTP engine: %s", strerror(err));
    }
}

/*
 * Refuses a connection over a cap: plain HTTP gets a short 503 if the
 * socket takes it at once (nothing is read, no state is kept), TLS is
 * closed; logged through the limiter with the reason. fd is closed.
 */
static void refuse(struct ferry_server *srv, int fd, const struct sockaddr *peer,
                   socklen_t len, int why, int plain)
{
#define BUSY_BODY "503 Service Unavailable: too many connections; try again in a few seconds.\n"
    static const char busy[] =
        "HTTP/1.1 503 Service Unavailable\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Retry-After: 2\r\n"
        "Connection: close\r\n"
        "Content-Length: 75\r\n"
        "\r\n" BUSY_BODY;
    _Static_assert(sizeof BUSY_BODY - 1 == 75, "Content-Length of BUSY_BODY");
    char addr[INET6_ADDRSTRLEN] = "?";

    if (plain && send(fd, busy, sizeof busy - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        /* the client gets the close alone */
    }
    close(fd);
    if (peer->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in))
        inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, addr, sizeof addr);
    else if (peer->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6))
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->sin6_addr, addr,
                  sizeof addr);
    if (why == CLIMIT_PER_ADDR)
        srv_log_limited(srv, &srv->refused_log, FERRY_LOG_WARN,
                        "connection from %s refused: it has %u open already "
                        "(--max-connections-per-address)", addr, srv->max_per_addr);
    else
        srv_log_limited(srv, &srv->refused_log, FERRY_LOG_WARN,
                        "connection from %s refused: %u connections are open "
                        "(--max-connections)", addr, srv->max_conns);
}

/* Admits a connection accepted on the HTTP listener and hands it to
 * libmicrohttpd, or refuses it. */
static void on_accept(void *user, int fd, const struct sockaddr *peer, socklen_t len)
{
    struct ferry_server *srv = user;
    uint32_t ticket;
    int rc = climit_admit(srv->climit, peer, len, &ticket);

    if (rc < 0) {
        refuse(srv, fd, peer, len, rc, 1);
        return;
    }
    hand_to_mhd(srv, fd, peer, len, ticket);
}

/* The TLS front end's handover: the plaintext end of an admitted TLS
 * connection goes to libmicrohttpd, which becomes a second holder. */
static void on_tls_handover(void *user, int fd, const struct sockaddr *peer, socklen_t len,
                            uint32_t ticket)
{
    struct ferry_server *srv = user;

    climit_hold(srv->climit, ticket);
    hand_to_mhd(srv, fd, peer, len, ticket);
}

/* Admits a connection accepted on the HTTPS listener and hands it to the
 * TLS front end (with its ticket), or refuses it. */
static void on_tls_accept(void *user, int fd, const struct sockaddr *peer, socklen_t len)
{
    struct ferry_server *srv = user;
    uint32_t ticket;
    int rc = climit_admit(srv->climit, peer, len, &ticket);

    if (rc < 0) {
        refuse(srv, fd, peer, len, rc, 0);
        return;
    }
    tls_front_accept(srv->tls_front, fd, peer, len, ticket);
}

/*
 * Opens one listener on *port (any free port when that one is taken and
 * `may_move`) and starts it with fn. Sets *port. Returns 0 or a FERRY_E*
 * code; *out is NULL on failure.
 */
static int listen_one(struct ferry_server *srv, const char *what, int *port, int may_move,
                      listener_accept_fn fn, struct listener **out)
{
    int rc = listener_open(srv, (const char *const *)srv->cfg.binds, srv->cfg.n_binds,
                           *port, out);

    if (rc == FERRY_EBIND && may_move && *port) {
        int old = *port;

        rc = listener_open(srv, (const char *const *)srv->cfg.binds, srv->cfg.n_binds, 0,
                           out);
        if (rc == 0)
            srv_log(srv, FERRY_LOG_WARN, "%s port %d is taken now: listening on port %d "
                    "instead", what, old, listener_port(*out));
    }
    if (rc < 0)
        return rc;
    rc = listener_start(*out, fn, srv);
    if (rc < 0) {
        listener_close(*out);
        *out = NULL;
        return rc;
    }
    *port = listener_port(*out);
    return 0;
}

int srv_listen(struct ferry_server *srv, int may_move)
{
    int rc;

    if (srv->cfg.tls == FERRY_TLS_ONLY) {
        rc = listen_one(srv, "HTTPS", &srv->port, may_move, on_tls_accept,
                        &srv->tls_listener);
        srv->tls_port = srv->port;
    } else {
        rc = listen_one(srv, "HTTP", &srv->port, may_move, on_accept, &srv->listener);
        if (rc == 0 && srv->cfg.tls == FERRY_TLS_BOTH)
            rc = listen_one(srv, "HTTPS", &srv->tls_port, may_move, on_tls_accept,
                            &srv->tls_listener);
    }
    if (rc < 0) {
        srv_unlisten(srv);
        return rc;
    }
    srv->listening = 1;
    return 0;
}

void srv_disc_info(const struct ferry_server *srv, struct disc_info *info)
{
    *info = (struct disc_info){
        .name = srv->service_name,
        .port = srv->cfg.tls == FERRY_TLS_ONLY ? 0 : srv->port,
        .tls_port = srv->cfg.tls ? srv->tls_port : 0,
        .read_only = srv->cfg.read_only,
        .fingerprint = srv->tls_id ? tls_identity_fingerprint(srv->tls_id) : NULL};
}

void srv_unlisten(struct ferry_server *srv)
{
    listener_close(srv->listener);
    srv->listener = NULL;
    listener_close(srv->tls_listener);
    srv->tls_listener = NULL;
    srv->listening = 0;
}

/*
 * Loads (or makes) the TLS identity for this host's names and addresses and
 * starts the front end. Returns 0 or a negative code (logged).
 */
static int tls_start(struct ferry_server *srv)
{
    struct tls_identity_config ic = {.state_dir_fd = srv->state_fd,
                                     .cert_path = srv->cfg.tls_cert,
                                     .key_path = srv->cfg.tls_key};
    const char *dns[3];
    char host[256], local[300], **addrs = NULL;
    size_t n_addrs = 0;
    int rc;

    host[0] = '\0';
    if (gethostname(host, sizeof host - 1) == 0) {
        host[sizeof host - 1] = '\0';
        host[strcspn(host, ".")] = '\0'; /* the first label: "hal" of hal.example.org */
    }
    if (host[0] && strcmp(host, "localhost") != 0) {
        snprintf(local, sizeof local, "%s.local", host);
        dns[ic.n_dns++] = local;
        dns[ic.n_dns++] = host;
    }
    dns[ic.n_dns++] = "localhost";
    ic.dns_names = dns;
    rc = srv_host_addresses(srv, &addrs, &n_addrs);
    if (rc < 0)
        return rc;
    ic.ip_addrs = (const char *const *)addrs;
    ic.n_ips = n_addrs;
    rc = tls_identity_load(srv, &ic, &srv->tls_id);
    ferry_urls_free(addrs, n_addrs);
    if (rc < 0)
        return rc;
    return tls_front_new(srv, srv->tls_id, on_tls_handover, srv, &srv->tls_front);
}

/* A quiet moment after a burst of connections (conn-limit.h): gives the
 * memory freed by their buffers back to the system where the C library
 * can (glibc keeps freed heap pages otherwise). */
static void on_quiet(void *user)
{
    (void)user;
#ifdef HAVE_MALLOC_TRIM
    malloc_trim(0);
#endif
}

/*
 * Sets srv->max_conns and srv->max_per_addr from the configuration: the
 * defaults are lowered to fit the open-file limit (FDS_PER_CONNECTION each
 * beside FDS_RESERVED), and both are logged; a cap set by the caller is kept
 * with a warning when the limit cannot hold it.
 */
static void choose_caps(struct ferry_server *srv)
{
    struct rlimit rl = {0, 0};
    unsigned fit = UINT_MAX;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        rlim_t usable = rl.rlim_cur > FDS_RESERVED ? rl.rlim_cur - FDS_RESERVED : 0;

        fit = usable / FDS_PER_CONNECTION > UINT_MAX ? UINT_MAX
                                                     : (unsigned)(usable / FDS_PER_CONNECTION);
        if (fit < MIN_CONNECTIONS)
            fit = MIN_CONNECTIONS;
    }
    srv->max_conns = srv->cfg.max_connections;
    if (!srv->max_conns) {
        srv->max_conns = DEFAULT_MAX_CONNECTIONS < fit ? DEFAULT_MAX_CONNECTIONS : fit;
        if (srv->max_conns < DEFAULT_MAX_CONNECTIONS)
            srv_log(srv, FERRY_LOG_WARN, "the open-file limit is %llu: at most %u connections "
                    "at once instead of %u (raise it with ulimit -n)",
                    (unsigned long long)rl.rlim_cur, srv->max_conns, DEFAULT_MAX_CONNECTIONS);
    } else if (srv->max_conns > fit) {
        srv_log(srv, FERRY_LOG_WARN, "the open-file limit is %llu, too low for %u connections "
                "at once: when descriptors run out, new clients wait (raise it with "
                "ulimit -n)", (unsigned long long)rl.rlim_cur, srv->max_conns);
    }
    srv->max_per_addr = srv->cfg.max_connections_per_addr ? srv->cfg.max_connections_per_addr
                                                          : DEFAULT_MAX_PER_ADDR;
    if (srv->max_per_addr > srv->max_conns)
        srv->max_per_addr = srv->max_conns;
    srv_log(srv, FERRY_LOG_DEBUG, "open-file limit %llu; at most %u connections, %u from "
            "one address", (unsigned long long)rl.rlim_cur, srv->max_conns, srv->max_per_addr);
}

/*
 * How MHD's internal thread waits: epoll where the library was built with it
 * (Linux), else MHD's own choice (poll, or select; every Apple build of
 * libmicrohttpd lacks epoll and refuses MHD_USE_EPOLL_INTERNAL_THREAD).
 */
static unsigned mhd_polling_flag(void)
{
    return MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES
               ? MHD_USE_EPOLL_INTERNAL_THREAD
               : MHD_USE_AUTO_INTERNAL_THREAD;
}

int ferry_server_start(ferry_server *srv)
{
    unsigned flags = MHD_USE_NO_LISTEN_SOCKET | mhd_polling_flag() | MHD_USE_ITC |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO;
    int rc;

    if (srv->mhd)
        return FERRY_ESTATE;
    rc = routes_pages_create(srv);
    if (rc < 0)
        return rc;
    rc = srv_lifecycle_start(srv);
    if (rc < 0)
        goto fail;
    /* After the journal is read: the uploads on disk complete the
     * registry's resumable set. Without it, tus requests get 503. */
    rc = tus_store_open(srv, &srv->tus);
    if (rc == FERRY_ENOMEM)
        goto fail;
    if (srv->state_fd >= 0) {
        unsigned cut = put_sweep(srv->state_fd);

        if (cut)
            srv_log(srv, FERRY_LOG_INFO, "removed %u part file(s) of PUT uploads cut by an "
                    "earlier run", cut);
        cut = pending_sweep(srv);
        if (cut)
            srv_log(srv, FERRY_LOG_INFO, "removed or put back %u item(s) that file "
                    "operations cut by an earlier run left in the shared folder", cut);
        trash_sweep(srv); /* and on each DELETE: no timer wakes an idle server */
    }
    rc = thumb_jobs_new(srv, &srv->thumbs);
    if (rc == FERRY_ENOMEM)
        goto fail;
    if (rc < 0)
        srv_log(srv, FERRY_LOG_WARN, "no thread for thumbnails (%s): pictures are answered "
                "as themselves", strerror(-rc));
    choose_caps(srv);
    rc = climit_new(srv->max_conns, srv->max_per_addr, on_quiet, srv, &srv->climit);
    if (rc < 0)
        goto fail;
    srv->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, routes_handle, srv,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, srv,
        MHD_OPTION_UNESCAPE_CALLBACK, mhd_no_unescape, srv,
        MHD_OPTION_NOTIFY_COMPLETED, routes_completed, srv,
        MHD_OPTION_NOTIFY_CONNECTION, srv_track_connection, srv,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(srv->cfg.threads > 1 ? srv->cfg.threads : 0),
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK_SIZE,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, srv->cfg.connection_memory,
        /* never reached: ferry admits connections first (on_accept) */
        MHD_OPTION_CONNECTION_LIMIT,
        climit_mhd_limit(srv->max_conns, srv->cfg.threads > 1 ? srv->cfg.threads : 1),
        MHD_OPTION_CONNECTION_TIMEOUT, srv->cfg.idle_timeout_s,
        MHD_OPTION_END);
    if (!srv->mhd) {
        srv_log(srv, FERRY_LOG_ERROR, "the HTTP engine (libmicrohttpd) did not start: %s",
                strerror(errno));
        rc = FERRY_EHTTP;
        goto fail;
    }
    if (srv->cfg.tls) {
        rc = tls_start(srv);
        if (rc < 0)
            goto fail;
    }
    srv->port = srv->cfg.port;
    srv->tls_port = srv->cfg.tls == FERRY_TLS_BOTH ? srv->cfg.tls_port : 0;
    rc = srv_listen(srv, 0);
    if (rc < 0)
        goto fail;
    if (!srv->cfg.no_mdns) {
        struct disc_info info;

        srv_disc_info(srv, &info);
        rc = disc_new(srv, &info, &srv->disc);
        if (rc < 0)
            goto fail;
    }
    auth_gate_announce(srv);
    return 0;
fail:
    ferry_server_stop(srv);
    return rc;
}

int ferry_server_stop(ferry_server *srv)
{
    if (!srv)
        return 0;
    disc_free(srv->disc); /* withdrawn first: nobody is sent to a dead port */
    srv->disc = NULL;
    srv_unlisten(srv);
    if (srv->engine)
        lc_engine_snapshot(srv->engine); /* what is open now resumes after relaunch */
    tls_front_free(srv->tls_front); /* before MHD: it hands connections to MHD */
    srv->tls_front = NULL;
    tls_identity_free(srv->tls_id);
    srv->tls_id = NULL;
    srv->tls_port = 0;
    thumb_jobs_stop(srv->thumbs); /* resumes what it suspended: before MHD */
    if (srv->mhd)
        MHD_stop_daemon(srv->mhd); /* completes requests: they close transfers */
    srv->mhd = NULL;
    climit_free(srv->climit); /* nothing hands over or notifies any more */
    srv->climit = NULL;
    srv_lifecycle_stop(srv);
    thumb_jobs_free(srv->thumbs); /* after the engine: its ops cancel jobs */
    srv->thumbs = NULL;
    tus_store_free(srv->tus); /* no request and no event uses it now */
    srv->tus = NULL;
    srv->port = 0;
    routes_pages_free(srv);
    return 0;
}

void ferry_server_free(ferry_server *srv)
{
    if (!srv)
        return;
    ferry_server_stop(srv);
    auth_gate_free(srv->auth);
    if (srv->root_fd >= 0)
        close(srv->root_fd);
    if (srv->state_fd >= 0)
        close(srv->state_fd);
    lc_registry_free(srv->registry);
    listing_cache_free(srv->listings);
    dav_mhd_server_free(srv); /* WebDAV class 2 (daemon/dav/) */
    free(srv->conns);
    free(srv->state_dir);
    free(srv->service_name);
    free(srv->tls_cert);
    free(srv->tls_key);
    srv_log_limit_destroy(srv, &srv->refused_log, FERRY_LOG_WARN, "connections refused");
    srv_log_limit_destroy(srv, &srv->mhd_log, FERRY_LOG_WARN, "libmicrohttpd's lines");
    pthread_mutex_destroy(&srv->conns_lock);
    zip_ends_destroy(&srv->zip_ends);
    pthread_rwlock_destroy(&srv->engine_lock);
    pthread_rwlock_destroy(&srv->links_lock);
    for (size_t i = 0; i < FERRY_MAX_BINDS; i++)
        free(srv->binds[i]);
    free(srv->root);
    free(srv);
}

int ferry_server_port(const ferry_server *srv)
{
    return srv && srv->listening ? srv->port : 0;
}

int ferry_server_tls_port(const ferry_server *srv)
{
    return srv && srv->listening && srv->cfg.tls ? srv->tls_port : 0;
}

const char *ferry_server_fingerprint(const ferry_server *srv)
{
    return srv && srv->tls_id ? tls_identity_fingerprint(srv->tls_id) : NULL;
}

const char *ferry_server_pubkey_pin(const ferry_server *srv)
{
    return srv && srv->tls_id ? tls_identity_spki_pin(srv->tls_id) : NULL;
}
