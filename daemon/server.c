/*
 * server.c — a ferry_server's life: configuration, the root folder, starting
 * and stopping libmicrohttpd and the listener, and logging.
 *
 * libmicrohttpd runs without a listening socket of its own
 * (MHD_USE_NO_LISTEN_SOCKET): the listener accepts and hands each connection
 * over with MHD_add_connection(), plain connections directly so that sendfile
 * stays zero-copy.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "listener.h"
#include "routes.h"
#include "server.h"

#define DEFAULT_THREADS 2
#define DEFAULT_CONNECTION_MEMORY (16 * 1024)
#define DEFAULT_MAX_CONNECTIONS 4096
#define DEFAULT_IDLE_TIMEOUT_S 120
#define THREAD_STACK_SIZE (256 * 1024)

void ferry_config_init(ferry_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->port = FERRY_DEFAULT_PORT;
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
    const struct ferry_server *srv = cls;
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
    srv->cfg.log(srv->cfg.log_user, FERRY_LOG_WARN, line);
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

int ferry_server_new(const ferry_config *cfg, ferry_server **out)
{
    struct ferry_server *srv;
    int rc = FERRY_ENOMEM;

    *out = NULL;
    if (!cfg || !cfg->root || !*cfg->root || cfg->port < 0 || cfg->port > 65535 ||
        cfg->n_binds > FERRY_MAX_BINDS)
        return FERRY_EINVAL_CONFIG;
    srv = calloc(1, sizeof *srv);
    if (!srv)
        return FERRY_ENOMEM;
    srv->cfg = *cfg;
    srv->root_fd = -1;
    if (!srv->cfg.threads)
        srv->cfg.threads = DEFAULT_THREADS;
    if (!srv->cfg.connection_memory)
        srv->cfg.connection_memory = DEFAULT_CONNECTION_MEMORY;
    if (!srv->cfg.max_connections)
        srv->cfg.max_connections = DEFAULT_MAX_CONNECTIONS;
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
    srv->paths.show_hidden = cfg->show_hidden;
    srv->paths.follow_symlinks = cfg->follow_symlinks;
    *out = srv;
    return 0;
fail:
    ferry_server_free(srv);
    return rc;
}

/* Hands a connection accepted by the listener to libmicrohttpd. */
static void on_accept(void *user, int fd, const struct sockaddr *peer,
                      socklen_t len)
{
    struct ferry_server *srv = user;

    /* MHD_add_connection closes fd in every case, also on failure. */
    if (MHD_add_connection(srv->mhd, fd, peer, len) != MHD_YES)
        srv_log(srv, FERRY_LOG_WARN, "connection refused by the HTTP engine: %s "
                "(connection limit %u reached?)", strerror(errno),
                srv->cfg.max_connections);
}

int ferry_server_start(ferry_server *srv)
{
    unsigned flags = MHD_USE_NO_LISTEN_SOCKET | MHD_USE_EPOLL_INTERNAL_THREAD |
                     MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO;
    int rc;

    if (srv->mhd)
        return FERRY_ESTATE;
    rc = routes_pages_create(srv);
    if (rc < 0)
        return rc;
    rc = listener_open(srv, (const char *const *)srv->cfg.binds,
                       srv->cfg.n_binds, srv->cfg.port, &srv->listener);
    if (rc < 0)
        goto fail;
    srv->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, routes_handle, srv,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, srv,
        MHD_OPTION_UNESCAPE_CALLBACK, mhd_no_unescape, srv,
        MHD_OPTION_NOTIFY_COMPLETED, routes_completed, srv,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(srv->cfg.threads > 1 ? srv->cfg.threads : 0),
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)THREAD_STACK_SIZE,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, srv->cfg.connection_memory,
        MHD_OPTION_CONNECTION_LIMIT, srv->cfg.max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, srv->cfg.idle_timeout_s,
        MHD_OPTION_END);
    if (!srv->mhd) {
        srv_log(srv, FERRY_LOG_ERROR, "the HTTP engine (libmicrohttpd) did not start: %s",
                strerror(errno));
        rc = FERRY_EHTTP;
        goto fail;
    }
    rc = listener_start(srv->listener, on_accept, srv);
    if (rc < 0)
        goto fail;
    srv->port = listener_port(srv->listener);
    return 0;
fail:
    ferry_server_stop(srv);
    return rc;
}

int ferry_server_stop(ferry_server *srv)
{
    if (!srv)
        return 0;
    listener_close(srv->listener);
    srv->listener = NULL;
    if (srv->mhd)
        MHD_stop_daemon(srv->mhd);
    srv->mhd = NULL;
    srv->port = 0;
    routes_pages_free(srv);
    return 0;
}

void ferry_server_free(ferry_server *srv)
{
    if (!srv)
        return;
    ferry_server_stop(srv);
    if (srv->root_fd >= 0)
        close(srv->root_fd);
    for (size_t i = 0; i < FERRY_MAX_BINDS; i++)
        free(srv->binds[i]);
    free(srv->root);
    free(srv);
}

int ferry_server_port(const ferry_server *srv)
{
    return srv ? srv->port : 0;
}
