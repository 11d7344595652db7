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

#include <stdarg.h>

#include "ferry.h"
#include "paths.h"

struct MHD_Daemon;
struct MHD_Response;
struct listener;

/* HTTP statuses for which a shared, prebuilt error response exists. */
enum srv_error_page {
    SRV_PAGE_400,
    SRV_PAGE_403,
    SRV_PAGE_404,
    SRV_PAGE_405,
    SRV_PAGE_500,
    SRV_PAGE_COUNT
};

struct ferry_server {
    ferry_config cfg;           /* strings below point into owned copies */
    char *root;                 /* absolute path of the shared folder */
    char *binds[FERRY_MAX_BINDS];
    int root_fd;                /* O_DIRECTORY fd of the root, owned */
    struct paths_opts paths;    /* derived from cfg */
    struct MHD_Daemon *mhd;     /* NULL when stopped */
    struct listener *listener;  /* NULL when stopped */
    struct MHD_Response *pages[SRV_PAGE_COUNT]; /* shared error responses */
    int port;                   /* bound port, 0 when stopped */
};

/*
 * Formats one log line and passes it to the configured sink if `level` is
 * enabled. Callable from any thread. Lines longer than 1 KiB are truncated.
 */
void srv_log(const struct ferry_server *srv, enum ferry_log_level level,
             const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Non-zero when a line at `level` would be logged; lets callers skip work. */
int srv_log_enabled(const struct ferry_server *srv, enum ferry_log_level level);

#endif
