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
    X(EADDR, -1006, "not a valid IP address")                                \
    X(ETLS, -1007, "TLS cannot be set up (see the log for the key or certificate)") \
    X(ENOPASSWORD, -1008, "--auth password needs a password: set one with "     \
      "'ferryd --set-password' (ferry_password_set())")                        \
    X(EPASSWORD, -1009, "the password is empty, longer than 1024 bytes, or "  \
      "has control characters")                                               \
    X(ENOTFOUND, -1010, "no session or token has that id")                   \
    X(ETOKENS, -1011, "too many bearer tokens: revoke one first")            \
    X(EUNAVAIL, -1012, "the OS service is not reachable or not built in (see the log)")

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

/* What a PUT does when its target exists and the request has no If-Match or
 * If-None-Match to say. */
enum ferry_conflict {
    FERRY_CONFLICT_REFUSE = 0, /* 409 Conflict; nothing changes (default) */
    FERRY_CONFLICT_KEEP_BOTH,  /* store as "name (1).ext", "name (2).ext"...;
                                  the Location header names it */
    FERRY_CONFLICT_OVERWRITE,  /* replace the file atomically (204) */
};

/* Who may use the server (ferry_config.auth). */
enum ferry_auth {
    FERRY_AUTH_TOKEN = 0,    /* default: a device is admitted by opening a
                                one-time pairing URL (QR code) that sets a
                                session cookie; API clients use bearer
                                tokens (ferry_server_token_create) */
    FERRY_AUTH_OPEN = 1,     /* no access control: anyone who can reach the
                                port reads (and, unless read_only, writes) */
    FERRY_AUTH_PASSWORD = 2, /* a password (ferry_password_set) by login
                                form or HTTP Basic; pairing URLs and bearer
                                tokens work too */
};

/*
 * How the host OS suspends the app (ferry_config.suspend_model).
 * NOTIFIED: the OS announces suspension or sleep (FERRY_EVENT_WILL_SUSPEND,
 * then RESUMED): logind, macOS, the fake OS's announced suspension.
 * SILENT: iOS. The app is suspended without notice whenever it holds no
 * assertion in the background, and every listener and connection is
 * defunct on suspension; no WILL_SUSPEND or RESUMED ever comes. ferry then
 * never listens in the background without an assertion: BACKGROUND with
 * nothing open goes quiet inside the call (no linger).
 */
enum ferry_suspend_model {
    FERRY_SUSPEND_NOTIFIED = 0,
    FERRY_SUSPEND_SILENT = 1,
};

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
                                 0 = the default (8 KiB: request headers
                                 up to about 4 KiB) */
    unsigned max_connections; /* most connections at once (HTTP and HTTPS,
                                 from accept until closed); more are
                                 refused at once (plain HTTP with a short
                                 503). 0 = the default: 1024, lowered to
                                 fit the open-file limit (about 4 fds a
                                 connection), which is logged */
    unsigned max_connections_per_addr; /* most of those from one client
                                 address (IPv4, or a whole IPv6 address);
                                 0 = the default: 128, at most
                                 max_connections */
    unsigned idle_timeout_s;  /* idle keep-alive timeout; 0 = default (120) */
    enum ferry_log_level log_level; /* lines above this level are dropped */
    ferry_log_fn log;   /* NULL: no logging */
    void *log_user;
    const char *state_dir; /* folder for the journal (and later keys and
                              partial uploads), created with mode 0700; never
                              inside root. NULL: nothing is persisted. */
    unsigned linger_ms; /* background: how long to hold on after the last
                           transfer ends before going quiet; 0 = 1000;
                           FERRY_LINGER_NONE: go quiet at once */
    const char *service_name; /* mDNS/DNS-SD instance name; NULL = "Files on
                                 <hostname>" */
    int no_mdns;        /* do not advertise over mDNS/DNS-SD */
    int tls;            /* 0: plain HTTP only; FERRY_TLS_ONLY: `port` speaks
                           HTTPS (terminated by ferry with mbedTLS);
                           FERRY_TLS_BOTH: HTTP on `port`, HTTPS on tls_port */
    int tls_port;       /* FERRY_TLS_BOTH: the HTTPS port; 0 = any free port.
                           Default FERRY_DEFAULT_TLS_PORT */
    const char *tls_cert; /* the user's own PEM certificate (chain) and */
    const char *tls_key;  /* key, both or neither. NULL: an ECDSA P-256 key
                             and a self-signed certificate made once and kept
                             in state_dir (in memory only without one) */
    enum ferry_conflict on_conflict; /* PUT onto an existing file without
                                        If-Match / If-None-Match */
    uint64_t max_upload; /* largest upload body in bytes; 0 = no limit */
    unsigned upload_expiry_s; /* a resumable (tus) upload untouched for this
                                 long is removed with its part file;
                                 0 = 86400 (one day) */
    int no_trash;       /* DELETE removes at once instead of moving to the
                           trash folder in state_dir */
    unsigned trash_days; /* trash entries older than this are removed;
                            0 = 30 */
    uint64_t trash_max; /* the trash holds at most this many bytes (the
                           oldest entries go first; a bigger item is not
                           taken: its DELETE asks); 0 = trash_max_percent */
    unsigned trash_max_percent; /* ... of the size of the state folder's
                                   file system; 0 = 10 */
    enum ferry_auth auth; /* access control; 0 (the zeroed default) is
                             FERRY_AUTH_TOKEN. Sessions, bearer tokens and
                             the password are kept in state_dir. */
    unsigned pairing_ttl_s; /* a pairing URL's token is valid this long;
                               0 = 300 */
    enum ferry_suspend_model suspend_model; /* how the OS suspends: see the
                                               lifecycle section */
    int start_in_background; /* the app was launched straight into the
                                background (no didEnterBackground comes):
                                ferry_server_start() restores the journal
                                but binds and publishes nothing (state
                                QUIET, ferry_server_port() 0) until
                                FOREGROUND */
} ferry_config;

#define FERRY_LINGER_NONE 0xffffffffu /* linger_ms: no linger */

#define FERRY_DEFAULT_PORT 8731
#define FERRY_DEFAULT_TLS_PORT 8732
#define FERRY_TLS_ONLY 1
#define FERRY_TLS_BOTH 2

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
 * The HTTPS port (equal to ferry_server_port() with FERRY_TLS_ONLY), or 0
 * when TLS is off or the server is not listening.
 */
int ferry_server_tls_port(const ferry_server *srv);

/*
 * The SHA-256 fingerprint of the server's certificate (DER), 64 lowercase hex
 * digits, for clients to pin (it is also advertised over mDNS as TXT fp=).
 * NULL when TLS is off or the server is not started. Valid until
 * ferry_server_stop().
 */
const char *ferry_server_fingerprint(const ferry_server *srv);

/*
 * The public-key pin of the server's certificate, "sha256//BASE64" (the
 * SHA-256 of its SubjectPublicKeyInfo), as curl --pinnedpubkey takes it. It
 * stays the same when the certificate is issued again with the kept key.
 * NULL when TLS is off or the server is not started. Valid until
 * ferry_server_stop().
 */
const char *ferry_server_pubkey_pin(const ferry_server *srv);

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

/* ------------------------------------------------------------- access
 *
 * Sessions (browsers admitted by a pairing URL or a password login) and
 * bearer tokens (API clients). Secrets are shown once and only their hashes
 * are kept (in state_dir). These functions may be called from any thread,
 * while the server runs or not (after ferry_server_new()).
 */

#define FERRY_ID_LEN 8       /* a session's or token's public id, hex */
#define FERRY_SECRET_LEN 43  /* a token's secret, base64url */

/*
 * Like ferry_server_urls(), each URL with a fresh one-time pairing token:
 * "http://HOST:PORT/.ferry/pair?token=T" (one token shared by every URL: the
 * first opened uses it), valid cfg.pairing_ttl_s. Opening one admits that
 * browser with a session cookie, read-only if read_only. In open mode the
 * plain URLs. Nothing of the token is logged. Returns 0, FERRY_ESTATE (not
 * listening), FERRY_ENOMEM, or a negative code from the random source.
 */
int ferry_server_pairing_urls(ferry_server *srv, int read_only, char ***urls,
                              size_t *n);

/* One session or bearer token as shown to the host: never its secret. */
typedef struct ferry_session {
    char id[FERRY_ID_LEN + 1];
    int is_token;        /* 1: a bearer token; 0: a browser session */
    int read_only;
    int64_t created;     /* Unix seconds */
    int64_t last_seen;   /* last request (tokens: 0 = never used) */
    int64_t expires;     /* sessions: unless seen again; tokens: 0 */
    char peer[64];       /* sessions: the address it was made from */
    char agent[128];     /* sessions: the User-Agent */
    char name[64];       /* tokens: the name given at creation */
} ferry_session;

/*
 * Lists the live sessions, then the bearer tokens. *list (caller frees with
 * free()) holds *n entries. Returns 0 or FERRY_ENOMEM.
 */
int ferry_server_sessions(ferry_server *srv, ferry_session **list, size_t *n);

/*
 * Revokes the session or token `id`: its next request is refused (401), and
 * so are those of the sessions made from its share links (with what they
 * made); its live share links stop working. Returns 0 or FERRY_ENOTFOUND.
 */
int ferry_server_revoke(ferry_server *srv, const char *id);

/*
 * Makes a bearer token (`Authorization: Bearer SECRET`) named `name` (may be
 * NULL), read-only if read_only. Writes its secret (shown once, never kept)
 * into secret and its id into id. Returns 0, FERRY_ETOKENS, or a negative
 * code from the random source.
 */
int ferry_server_token_create(ferry_server *srv, const char *name, int read_only,
                              char secret[FERRY_SECRET_LEN + 1],
                              char id[FERRY_ID_LEN + 1]);

/*
 * Sets the password of FERRY_AUTH_PASSWORD: stores a salted PBKDF2 hash of
 * the len bytes at pw in the state folder state_dir (created 0700; file mode
 * 0600) and revokes every browser session kept there. A running server
 * reads it at its next start. Returns 0, FERRY_EPASSWORD, FERRY_EINVAL_CONFIG
 * (no state_dir), or -errno.
 */
int ferry_password_set(const char *state_dir, const char *pw, size_t len);

/* ------------------------------------------------------------- lifecycle
 *
 * The host tells ferry what the OS does (ferry_server_post_event), and ferry
 * asks the OS for background time through a port (ferry_port). The rules
 * (DESIGN.md): in the foreground hold nothing; in the background hold a
 * finish-up assertion only while transfers are open, and go quiet (listener
 * closed, service withdrawn, every assertion ended) when they are done or
 * the OS warns; snapshot open transfers to the journal before suspension;
 * rebind and restore on resume.
 */

/* What the host OS reports. */
enum ferry_event {
    FERRY_EVENT_BACKGROUND = 1, /* the app left the screen */
    FERRY_EVENT_FOREGROUND,     /* the app is about to be on screen again */
    FERRY_EVENT_EXPIRING,       /* an assertion's expiration warning: must
                                   be handled before the call returns */
    FERRY_EVENT_WILL_SUSPEND,   /* the OS suspends the process or sleeps next */
    FERRY_EVENT_RESUMED,        /* running again after suspension or sleep */
    FERRY_EVENT_WILL_TERMINATE, /* the process is about to end */
    FERRY_EVENT_NETWORK_CHANGED,/* interfaces or addresses changed */
    FERRY_EVENT_TIMER,          /* the timer armed through the port is due */
};

/* Where the lifecycle stands. */
enum ferry_state {
    FERRY_STATE_FOREGROUND = 0, /* serving, holding nothing */
    FERRY_STATE_FINISHING,      /* background, transfers open, assertion held */
    FERRY_STATE_LINGER,         /* background, transfers done, waiting
                                   linger_ms before going quiet */
    FERRY_STATE_QUIET,          /* background, nothing held, not listening */
    FERRY_STATE_SUSPENDED,      /* snapshot taken, not listening, waiting */
    FERRY_STATE_TERMINATED,
};

enum ferry_assertion_kind {
    FERRY_ASSERTION_FINISH_UP = 0, /* iOS beginBackgroundTask; logind delay lock */
    FERRY_ASSERTION_CONTINUED,     /* iOS 26 BGContinuedProcessingTask */
};

/*
 * The OS-facing interface. A host fills one in (the iOS wrapper, the fake OS
 * below, the Linux ports) and installs it with ferry_server_set_port() before
 * ferry_server_start(). ferry calls every slot with its lifecycle lock held,
 * from the thread that posted the event being handled (or that fired the
 * timer); a slot must therefore never call ferry_server_post_event() itself:
 * the port posts from its own context (an OS callback, a timer, the fake
 * clock), never from inside a slot.
 *
 * Threads and timing (the contract every port keeps): a slot may run on
 * any thread — the host's main thread (ferry_host_* calls), an HTTP worker
 * (a transfer opening in the background begins an assertion there), the
 * port's timer thread, ferry's rebinder thread. It must return within
 * about a millisecond, must not call any ferry_* function, and must never
 * wait for another thread (the main thread or queue above all): that
 * thread may be blocked in a ferry_host_* call waiting for the lock the
 * slot runs under. On iOS, beginBackgroundTask and endBackgroundTask are
 * nonisolated: call them directly, on the UIApplication taken on the main
 * thread at set-up, never through DispatchQueue.main.sync.
 */
typedef struct ferry_port {
    void *ctx; /* passed to every slot */
    /* Monotonic milliseconds. Required. */
    uint64_t (*now_ms)(void *ctx);
    /*
     * Begins an assertion of `kind`; `reason` names it for the OS's logs.
     * Returns 0 and sets *id, or a negative code when the OS refuses (ferry
     * then goes quiet at once). The port must later post
     * FERRY_EVENT_EXPIRING when the OS warns that the assertion's time is
     * running out. Required.
     */
    int (*begin_assertion)(void *ctx, enum ferry_assertion_kind kind,
                           const char *reason, uint64_t *id);
    /* Ends an assertion begun above. Called exactly once per begin, never
     * for an id the host reported expiring and ferry answered
     * FERRY_ENOTFOUND (the host ends that one). Required. */
    void (*end_assertion)(void *ctx, uint64_t id);
    /* Progress of a continued-processing assertion. May be NULL. */
    void (*report_progress)(void *ctx, uint64_t id, uint64_t done,
                            uint64_t total);
    /*
     * Arms the one timer ferry needs: the port posts FERRY_EVENT_TIMER once
     * now_ms() >= at_ms. A new call replaces the previous one; at_ms 0
     * disarms. Required.
     */
    void (*arm_timer)(void *ctx, uint64_t at_ms);
} ferry_port;

/*
 * Installs `port` (copied) before ferry_server_start(). Without a call, a
 * built-in port for hosts that never suspend is used (real clock, assertions
 * granted and never expiring). Returns 0 or FERRY_ESTATE when running.
 */
int ferry_server_set_port(ferry_server *srv, const ferry_port *port);

/*
 * Tells the lifecycle what the OS did. Callable from any thread, including
 * an expiration handler: everything the event requires (snapshot, closing
 * the listener, ending assertions) is done before it returns. Events are
 * handled one at a time in the order posted. Returns 0, FERRY_ESTATE when
 * the server is not started, or FERRY_EINVAL_CONFIG for an unknown event.
 */
int ferry_server_post_event(ferry_server *srv, enum ferry_event ev);

/* The current lifecycle state. */
enum ferry_state ferry_server_state(const ferry_server *srv);

/* ------------------------------------------------------------- host API
 *
 * Named entry points for an app's glue (the iOS wrapper, issue 19's Swift
 * package), for what ferry_server_post_event() has no room for. The
 * contract, common to every ferry_host_* call:
 *  - Any thread, including the main thread and an expiration handler:
 *    ferry never waits for the host's main thread.
 *  - Synchronous: everything the call requires (snapshot, closing the
 *    listener, every end_assertion it causes) has happened when it returns.
 *  - Serialised with every other lifecycle event by one lock; a call made
 *    from inside a port slot (forbidden, see ferry_port) would be queued.
 *  - Time: bounded by the slowest action it runs. The ones that go quiet
 *    end assertions first, then snapshot (two fsyncs), close connections
 *    (the TLS close_notify wait is capped at 250 ms), withdraw mDNS (at most
 *    250 ms) and join the accept thread.
 *  - Returns 0, FERRY_ESTATE when the server is not running (stopped, or
 *    between stop and start), FERRY_EINVAL_CONFIG for a bad argument.
 *
 * The port slots' side of the contract (ferry_port): they may run on any
 * of these threads (the host's, an HTTP worker when a transfer opens in the
 * background, the port's timer) with the lifecycle lock held; they must
 * return within about a millisecond, must not call ferry, and must not
 * wait for the main thread or queue (DispatchQueue.main.sync deadlocks
 * against a main-thread ferry_host_* call waiting for that lock). On iOS,
 * beginBackgroundTask/endBackgroundTask are nonisolated: call them directly
 * on the UIApplication taken on main at set-up.
 */

enum ferry_app_state {
    FERRY_APP_ACTIVE = 0,   /* on screen (willEnterForeground, scenePhase
                               .active): FOREGROUND */
    FERRY_APP_INACTIVE,     /* on screen but interrupted (Control Center, a
                               call): nothing changes, ferry keeps serving */
    FERRY_APP_BACKGROUND,   /* didEnterBackground: BACKGROUND */
};

/*
 * The app's state changed. ACTIVE: ends what is held, listens again if the
 * listener is not known to be alive (always after an unprotected
 * background period, which a silent suspension may have ended), re-
 * advertises, retries a pending journal read, removes expired resumable
 * uploads. BACKGROUND: with transfers open, snapshot and begin a finish-up
 * assertion; with none, go quiet inside the call (silent model, or
 * FERRY_LINGER_NONE) or linger. INACTIVE: nothing. Idempotent.
 */
int ferry_host_app_state(ferry_server *srv, enum ferry_app_state st);

/*
 * From an assertion's expiration handler, synchronously (never dispatch it
 * asynchronously). When ferry holds `id` it ends it through the port's
 * end_assertion(id) first, inside this call, then (when nothing else is
 * held) snapshots, closes the listener and connections and withdraws the
 * service, and returns 0. When ferry does not hold `id` (already ended, not
 * ferry's, or the server is stopped) it returns FERRY_ENOTFOUND and changes
 * nothing: the caller must end the task itself (endBackgroundTask) before
 * returning. Never FERRY_ESTATE.
 */
int ferry_host_assertion_expiring(ferry_server *srv, uint64_t id);

/*
 * Protected data became unavailable (0: protectedDataWillBecomeUnavailable,
 * the phone locks and files of class Complete turn EPERM about 10 s later)
 * or available again (1). Unavailable: snapshot now (while the journal can
 * still be written). Available: retry a journal read that failed. The
 * journal's folder should be of class CompleteUntilFirstUserAuthentication.
 */
int ferry_host_protected_data(ferry_server *srv, int available);

/* Interfaces or addresses changed (NWPathMonitor): listen again and re-
 * advertise when listening. */
int ferry_host_network_changed(ferry_server *srv);

/* applicationWillTerminate: snapshot, close, end everything (best effort:
 * a suspended app is killed without this). */
int ferry_host_will_terminate(ferry_server *srv);

/* The port's timer is due (from the port's own timer queue). */
int ferry_host_timer(ferry_server *srv);

/* Text name of a state ("foreground", ...) or event ("background", ...). */
const char *ferry_state_name(enum ferry_state st);
const char *ferry_event_name(enum ferry_event ev);

enum ferry_direction { FERRY_DOWNLOAD = 0, FERRY_UPLOAD = 1 };

/* One transfer as the registry knows it (a copy). */
typedef struct ferry_transfer {
    uint64_t id;
    enum ferry_direction direction;
    char path[1024];     /* decoded path below the root, '/'-led */
    char validator[80];  /* ETag of the file when the transfer started */
    uint64_t first;      /* byte range asked for: first..last inclusive */
    uint64_t last;
    uint64_t done;       /* bytes sent or received so far (best known) */
    uint64_t total;      /* size of the whole file */
    char peer[64];       /* client address */
    uint64_t started_ms; /* port clock at start */
    int restored;        /* 1: read back from the journal, not live */
} ferry_transfer;

/*
 * Copies the open and restored transfers. On success *list (caller frees
 * with free()) holds *n entries. Returns 0 or FERRY_ENOMEM.
 */
int ferry_server_transfers(ferry_server *srv, ferry_transfer **list,
                           size_t *n);

/* ------------------------------------------------------------- fake OS
 *
 * A stand-in for iOS's rules on hosts without a phone: a virtual clock
 * advanced by hand, finish-up budgets with an expiration warning, a watchdog
 * that records (and optionally enacts, through on_kill) a kill when an
 * assertion outlives its budget, socket reclaim on suspension, a
 * continued-processing mode that expires when progress stalls, failure
 * injection, and a complete event log. Thread-safe.
 */
typedef struct ferry_fake_os ferry_fake_os;

typedef struct ferry_fake_os_config {
    uint64_t finish_up_budget_ms; /* 0 = 30000 */
    uint64_t warning_ms;          /* expiration warning before the end; 0 = 5000 */
    uint64_t stall_ms;            /* continued processing ends after this long
                                     without progress; 0 = 10000 */
    unsigned fail_begin_nth;      /* the Nth begin (1-based) fails; 0 = never */
    int refuse_all;               /* every begin fails */
    int reclaim_sockets;          /* on suspend, shut down every socket of the
                                     process except exempt_fds (as iOS does) */
    int exempt_fds[8];            /* sockets reclaim leaves alone; -1 = unused */
    int defunct_listeners;        /* reclaim leaves listening sockets open but
                                     defunct: every accept() through ferry's
                                     socket table fails with ECONNABORTED, as
                                     on iOS after a suspension */
    int expire_by_id;             /* deliver warnings one assertion at a time
                                     through ferry_host_assertion_expiring()
                                     (ending it as the glue would when ferry
                                     answers FERRY_ENOTFOUND), not as one
                                     FERRY_EVENT_EXPIRING */
    /*
     * Called once on a watchdog kill with a reason; NULL: only recorded. It
     * may run inside a port slot, with ferry's lifecycle lock held: it must
     * not call ferry_server_*(). After a kill the fake is dead: its clock
     * stops, begins fail, and only free, stats, now and log still work.
     */
    void (*on_kill)(void *user, const char *why);
    void *kill_user;
} ferry_fake_os_config;

/* Fills the defaults (reclaim off, exempt_fds all -1). */
void ferry_fake_os_config_init(ferry_fake_os_config *cfg);

/* Creates a fake OS at virtual time 0. Returns 0 or FERRY_ENOMEM. */
int ferry_fake_os_new(const ferry_fake_os_config *cfg, ferry_fake_os **out);

/* Frees it. Accepts NULL. The server using it must be freed first. */
void ferry_fake_os_free(ferry_fake_os *os);

/* The port to install with ferry_server_set_port(); valid while os lives. */
const ferry_port *ferry_fake_os_port(ferry_fake_os *os);

/* Where the fake OS posts expirations and timers. Call before starting. */
void ferry_fake_os_attach(ferry_fake_os *os, ferry_server *srv);

/*
 * Moves the virtual clock forward by ms, firing in time order every
 * expiration warning, timer and watchdog kill that falls due (ties: warning,
 * timer, kill). A timer armed for a time already past fires at once, so a
 * port user must not re-arm for "now" from the TIMER handler. Suspended:
 * the clock moves, nothing fires. Returns 0.
 */
int ferry_fake_os_advance(ferry_fake_os *os, uint64_t ms);

/*
 * Advances like ferry_fake_os_advance() while the app is hung: warnings and
 * timers fall due but are not delivered, so the watchdog kills an app that
 * holds an assertion past its budget. Returns 0.
 */
int ferry_fake_os_hang(ferry_fake_os *os, uint64_t ms);

/*
 * Fires the expiration warning of every held assertion not yet warned, in
 * one FERRY_EVENT_EXPIRING. Returns 0, or FERRY_ESTATE when suspended or
 * dead.
 */
int ferry_fake_os_expire(ferry_fake_os *os);

/*
 * The OS suspends the app: posts FERRY_EVENT_WILL_SUSPEND, checks that no
 * assertion is left (else a watchdog kill), then reclaims sockets if
 * configured. ferry_fake_os_resume() posts FERRY_EVENT_RESUMED. Both return
 * 0, or FERRY_ESTATE when dead, already suspended (suspend) or not
 * suspended (resume).
 */
int ferry_fake_os_suspend(ferry_fake_os *os);
int ferry_fake_os_resume(ferry_fake_os *os);

/*
 * The OS suspends the app as iOS does: no event at all. Refused
 * (FERRY_ESTATE, logged) while an assertion is held: iOS does not suspend
 * an app holding a background task. Reclaims sockets if configured (with
 * defunct_listeners, listening sockets fail every accept with ECONNABORTED
 * afterwards). The next ferry_fake_os_resume() posts nothing either. Returns
 * 0 or FERRY_ESTATE (dead, suspended, holding).
 */
int ferry_fake_os_suspend_silently(ferry_fake_os *os);

/*
 * Fires the expiration of held assertion `id` alone, through
 * ferry_host_assertion_expiring() (the glue ends it itself if ferry answers
 * FERRY_ENOTFOUND). Returns 0, FERRY_ENOTFOUND (not held or already
 * warned) or FERRY_ESTATE (suspended or dead).
 */
int ferry_fake_os_expire_id(ferry_fake_os *os, uint64_t id);

/*
 * Protected data, process-wide (it acts through ferry's file table, like
 * iOS's class keys act on every file of the app). ferry_fake_os_protect()
 * marks files of that name (a last path component, e.g. "journal") as of
 * class Complete: returns 0 or FERRY_ENOMEM (at most 8 names of < 64
 * bytes). ferry_fake_os_lock(os, 1) locks the phone: opening such a file
 * through ferry fails with EPERM until ferry_fake_os_lock(os, 0). It does
 * not tell ferry: a host calls ferry_host_protected_data() itself. Returns 0.
 */
int ferry_fake_os_protect(ferry_fake_os *os, const char *name);
int ferry_fake_os_lock(ferry_fake_os *os, int locked);

/* Virtual time in ms. */
uint64_t ferry_fake_os_now(ferry_fake_os *os);

/*
 * Counters for tests and status. begins == ends + held always; a killed
 * process keeps counting what it died holding in held.
 */
typedef struct ferry_fake_os_stats {
    uint64_t begins, ends, held, kills, expirations, reclaimed_sockets;
    uint64_t violations; /* ends or progress of assertions not held */
    int suspended;
} ferry_fake_os_stats;
void ferry_fake_os_get_stats(ferry_fake_os *os, ferry_fake_os_stats *st);

/*
 * The event log, one line per event ("t=1500 begin 1 finish-up"), as a
 * malloc'd NUL-terminated string owned by the caller, or NULL.
 */
char *ferry_fake_os_log(ferry_fake_os *os);

/* ------------------------------------------------------------- logind port
 *
 * The Linux desktop port (lifecycle/port-logind.c, configure --with-logind):
 * it follows systemd-logind on the system bus (DBUS_SYSTEM_BUS_ADDRESS is
 * honoured). While it lives it holds a "sleep:shutdown" delay inhibitor.
 * PrepareForSleep(true) posts FERRY_EVENT_WILL_SUSPEND (snapshot, listener
 * closed, connections ended, mDNS record withdrawn, assertions ended) and
 * then releases that lock, well inside logind's InhibitDelayMaxUSec;
 * PrepareForSleep(false) posts FERRY_EVENT_RESUMED (whose rebind takes in
 * addresses that moved while asleep: URLs, certificate, mDNS) and takes the
 * lock again. PrepareForShutdown(true) posts
 * FERRY_EVENT_WILL_TERMINATE, releases the lock and calls on_shutdown.
 * With track_session and a session of its own (XDG_SESSION_ID, else the
 * process's cgroup), an idle or locked session is the desktop's
 * "background" (FERRY_EVENT_BACKGROUND / FOREGROUND), and a finish-up
 * assertion is an "idle" block inhibitor (never a sleep block: it stops
 * automatic idle suspend, not a suspend the user asks for). logind leaving
 * the bus drops the locks; its return takes them again. Everything on the
 * bus happens on the port's own thread.
 */
typedef struct ferry_logind ferry_logind;

typedef struct ferry_logind_config {
    ferry_log_fn log;      /* one line per lifecycle step; NULL: silent */
    void *log_user;
    int track_session;     /* follow the session's IdleHint/LockedHint */
    /* Called on the port's thread after a shutdown was handled (ferryd
     * stops then); NULL: nothing. Must not call ferry_logind_*(). */
    void (*on_shutdown)(void *user);
    void *shutdown_user;
} ferry_logind_config;

/*
 * Connects to the system bus, checks that org.freedesktop.login1 answers,
 * reads InhibitDelayMaxUSec, takes the delay lock and starts the port's
 * thread, which posts to srv (posts before ferry_server_start() are
 * dropped). Install ferry_logind_port() with ferry_server_set_port().
 * Returns 0, FERRY_EUNAVAIL when logind cannot be reached or the library
 * was built without it (one line logged saying which), FERRY_ENOMEM, or
 * -errno. On failure *out is NULL.
 */
int ferry_logind_new(ferry_server *srv, const ferry_logind_config *cfg,
                     ferry_logind **out);

/* The port to install; valid while ld lives. */
const ferry_port *ferry_logind_port(ferry_logind *ld);

/* The delay budget read from logind (InhibitDelayMaxUSec) in ms. */
uint64_t ferry_logind_delay_budget_ms(const ferry_logind *ld);

/*
 * Stops the port's thread and releases every lock: nothing is posted to
 * the server after it returns. Call it before ferry_server_free(); the
 * slots keep working (without the bus) until ferry_logind_free().
 * Accepts NULL.
 */
void ferry_logind_stop(ferry_logind *ld);

/* Frees it (stopping it first if needed). Accepts NULL. The server using
 * it must be freed first. */
void ferry_logind_free(ferry_logind *ld);

#ifdef __cplusplus
}
#endif
#endif /* FERRY_H */
