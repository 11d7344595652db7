/*
 * ferry.h — the public embedding API of libferry, a LAN file server.
 *
 * This is the only installed header. Everything hangs off an opaque
 * ferry_server; the library keeps no global state, installs no signal
 * handlers, never forks and never exits the process.
 *
 * Threads: ferry_server_start() starts an accept thread and libmicrohttpd's
 * worker threads. The log callback may be called from any of them, and from
 * the caller's thread inside ferry_server_*() calls. All other functions are
 * to be called from one thread at a time (the embedding app's "owner" thread).
 *
 * Signals: the host process must ignore SIGPIPE (writes to a closed peer), as
 * libmicrohttpd's sendfile path can raise it. ferryd does this in main().
 */
#ifndef FERRY_H
#define FERRY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Error codes. Every function returns 0 or a negative code: either one of
 * these, or -errno for an OS error. One table, expanded twice: here into the
 * enum, in daemon/errors.c into ferry_strerror().
 */
#define FERRY_ERRNO_MAP(X)                                                    \
    X(EINVAL_CONFIG, -1000, "invalid configuration")                          \
    X(EROOT, -1001, "the folder to share cannot be used")                     \
    X(EBIND, -1002, "cannot listen on the requested address and port")        \
    X(EHTTP, -1003, "the HTTP engine (libmicrohttpd) failed to start")        \
    X(ESTATE, -1004, "the call is not allowed in the server's current state") \
    X(ENOMEM, -1005, "out of memory")                                         \
    X(EADDR, -1006, "not a valid IP address")

enum ferry_error {
#define FERRY_ERRNO_ENUM_(name, value, text) FERRY_##name = (value),
    FERRY_ERRNO_MAP(FERRY_ERRNO_ENUM_)
#undef FERRY_ERRNO_ENUM_
};

/*
 * Returns a static, human-readable text for a code returned by any ferry
 * function: a FERRY_E* value or a negative errno. Never returns NULL.
 */
const char *ferry_strerror(int code);

/* The library's version, e.g. "0.1.0". */
const char *ferry_version(void);

enum ferry_log_level {
    FERRY_LOG_ERROR = 0,
    FERRY_LOG_WARN = 1,
    FERRY_LOG_INFO = 2, /* includes one access-log line per request */
    FERRY_LOG_DEBUG = 3,
};

/*
 * Log sink. Called from any ferry thread with one complete line (no trailing
 * newline); `line` is only valid during the call. Must not call back into
 * ferry_server_* functions.
 */
typedef void (*ferry_log_fn)(void *user, enum ferry_log_level level,
                             const char *line);

#define FERRY_MAX_BINDS 8

/*
 * Server configuration. Fill it with ferry_config_init() first, then set the
 * fields you need. Strings are borrowed: ferry_server_new() copies what it
 * keeps, so the caller may free them after that call returns.
 */
typedef struct ferry_config {
    const char *root;   /* folder to share; required */
    const char *binds[FERRY_MAX_BINDS]; /* IP literals to listen on;
                                           none = all IPv4 and IPv6 */
    size_t n_binds;
    int port;           /* TCP port; 0 = any free port (read it back with
                           ferry_server_port()). Default FERRY_DEFAULT_PORT. */
    int read_only;      /* refuse every request that would change the tree */
    int show_hidden;    /* serve and list dot-files */
    int follow_symlinks;/* follow symlinks that leave the root (default: no) */
    unsigned threads;   /* HTTP worker threads; 0 = the default */
    size_t connection_memory; /* per-connection buffer pool in bytes;
                                 0 = the default (16 KiB) */
    unsigned max_connections; /* 0 = the default (4096) */
    unsigned idle_timeout_s;  /* idle keep-alive timeout; 0 = default (120) */
    enum ferry_log_level log_level; /* lines above this level are dropped */
    ferry_log_fn log;   /* NULL: no logging */
    void *log_user;
} ferry_config;

#define FERRY_DEFAULT_PORT 8731

/* Fills *cfg with the defaults. Never fails. */
void ferry_config_init(ferry_config *cfg);

typedef struct ferry_server ferry_server;

/*
 * Checks the configuration and the root folder and creates a server that is
 * not yet listening. On success *out owns a server to be released with
 * ferry_server_free(). Returns 0, FERRY_EINVAL_CONFIG, FERRY_EROOT (logged
 * with the path and the reason), FERRY_EADDR or FERRY_ENOMEM; *out is then NULL.
 */
int ferry_server_new(const ferry_config *cfg, ferry_server **out);

/*
 * Binds the listening sockets and starts serving. Returns 0, FERRY_EBIND
 * (logged with the address, port and reason), FERRY_EHTTP or FERRY_ESTATE if
 * already started. After a failure the server may be started again.
 */
int ferry_server_start(ferry_server *srv);

/*
 * Stops accepting, closes every connection and joins every thread. A no-op on
 * a server that is not running. Returns 0.
 */
int ferry_server_stop(ferry_server *srv);

/* Stops the server if needed and frees it. Accepts NULL. */
void ferry_server_free(ferry_server *srv);

/* The TCP port the server listens on, or 0 when it is not listening. */
int ferry_server_port(const ferry_server *srv);

/*
 * Lists every URL at which the running server can be reached, the addresses a
 * LAN device can use first and loopback last. On success *urls is an array of
 * *n NUL-terminated strings owned by the caller, released with
 * ferry_urls_free(). Returns 0, FERRY_ESTATE if not listening, FERRY_ENOMEM or
 * -errno from getifaddrs().
 */
int ferry_server_urls(const ferry_server *srv, char ***urls, size_t *n);

/* Frees what ferry_server_urls() returned. Accepts NULL. */
void ferry_urls_free(char **urls, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* FERRY_H */
