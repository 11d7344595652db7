/*
 * main.c — ferryd, the daemon around libferry: options, logging to stderr,
 * signals, and the URLs (and a QR code) on stdout.
 *
 * Signals are blocked in every thread before the server starts and taken
 * here with sigwait(): SIGINT and SIGTERM stop the server cleanly. The soft
 * open-file limit is raised to the hard one at start.
 *
 * With --os fake, the lifecycle runs on the fake OS (iOS rules on a virtual
 * clock) driven through the control socket, and a watchdog kill is real:
 * the process dies with SIGKILL, so that the next start recovers from the
 * journal as an app relaunched by iOS would.
 *
 * With --os logind (or auto, the default, when logind answers on the system
 * bus), the lifecycle follows systemd-logind: sleep, wake and shutdown
 * (lifecycle/port-logind.c); a shutdown that logind announces stops ferryd
 * as SIGTERM does.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "control.h"
#include "ferry.h"
#include "options.h"
#include "qr-term.h"

/* Log sink: one line to stderr with a UTC timestamp, written at once. */
static void log_stderr(void *user, enum ferry_log_level level, const char *line)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    char buf[1280], stamp[32];
    struct timespec ts;
    struct tm tm;
    int n;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    n = snprintf(buf, sizeof buf, "%s.%03ldZ %-5s %s\n", stamp, ts.tv_nsec / 1000000,
                 names[level], line);
    if (n > (int)sizeof buf - 1)
        n = sizeof buf - 1;
    if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
        /* nowhere left to report it */
    }
}

/*
 * Raises the soft open-file limit to the hard one (a desktop session's soft
 * limit is often 1,024 while the hard one is far higher): every connection
 * takes one to four descriptors. The library sizes its connection cap from
 * the limit it finds. On a system that refuses the hard limit itself
 * (macOS takes at most OPEN_MAX), the soft limit is left as it was.
 */
static void raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
        return;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        /* kept: the library logs what the limit allows */
    }
}

/* The fake OS's watchdog: die as an iOS app killed by the watchdog would. */
static void watchdog_kill(void *user, const char *why)
{
    char line[600];

    snprintf(line, sizeof line, "fake OS watchdog: %s; killing ferryd (SIGKILL)", why);
    log_stderr(NULL, FERRY_LOG_ERROR, line);
    kill(getpid(), SIGKILL);
}

/* logind announced a shutdown, already handled by the lifecycle: stop as on
 * SIGTERM (the signal is blocked everywhere and taken by sigwait below). */
static void logind_shutdown(void *user)
{
    kill(getpid(), SIGTERM);
}

/*
 * Installs the logind port for --os logind and auto. Returns 0 (also when
 * auto found no logind: the port logged one line and the built-in port for
 * hosts that never sleep stays), or -1 when --os logind cannot be had.
 */
static int setup_logind(ferry_server *srv, const struct ferryd_options *o,
                        ferry_logind **out)
{
    ferry_logind_config lc = {.log = log_stderr, .track_session = 1,
                              .on_shutdown = logind_shutdown};
    int rc;

    *out = NULL;
    if (o->os != FERRYD_OS_AUTO && o->os != FERRYD_OS_LOGIND)
        return 0;
    rc = ferry_logind_new(srv, &lc, out);
    if (rc == 0)
        rc = ferry_server_set_port(srv, ferry_logind_port(*out));
    if (rc == 0)
        return 0;
    ferry_logind_free(*out);
    *out = NULL;
    if (o->os == FERRYD_OS_AUTO && rc == FERRY_EUNAVAIL)
        return 0;
    fprintf(stderr, "ferryd: --os logind: %s\n", ferry_strerror(rc));
    return -1;
}

/*
 * Prints the banner, every URL, the certificate's fingerprint and key pin
 * (with TLS), and a QR code of the first URL. An https:// URL's QR code
 * carries the fingerprint in its fragment (#fp=HEX), which a client app can
 * pin; browsers never send the fragment to the server.
 */
static void print_urls(ferry_server *srv, const struct ferryd_options *o)
{
    const char *fp = ferry_server_fingerprint(srv), *pin = ferry_server_pubkey_pin(srv);
    char **urls = NULL;
    size_t n = 0;
    /* token mode: each URL carries a fresh one-time pairing token */
    int rc = o->cfg.auth == FERRY_AUTH_TOKEN ? ferry_server_pairing_urls(srv, 0, &urls, &n)
                                             : ferry_server_urls(srv, &urls, &n);

    printf("ferry %s is serving %s%s on port %d", ferry_version(), o->cfg.root,
           o->cfg.read_only ? " (read-only)" : "", ferry_server_port(srv));
    if (o->cfg.tls == FERRY_TLS_BOTH)
        printf(" (HTTP) and port %d (HTTPS)\n", ferry_server_tls_port(srv));
    else
        printf(o->cfg.tls ? " (HTTPS)\n" : "\n");
    if (rc < 0)
        fprintf(stderr, "ferryd: cannot list this host's addresses: %s\n", ferry_strerror(rc));
    for (size_t i = 0; i < n; i++)
        printf("  %s\n", urls[i]);
    if (n && o->cfg.auth == FERRY_AUTH_TOKEN)
        printf("Each URL above pairs one browser, once, within %u s; `ferryctl pair` "
               "makes a new one.\n", o->cfg.pairing_ttl_s ? o->cfg.pairing_ttl_s : 300);
    if (fp && pin)
        printf("TLS certificate fingerprint (SHA-256): %s\n"
               "TLS public-key pin (curl --pinnedpubkey): %s\n", fp, pin);
    if (n && !o->no_qr && isatty(STDOUT_FILENO)) {
        char payload[512];

        if (fp && strncmp(urls[0], "https://", 8) == 0)
            snprintf(payload, sizeof payload, "%s#fp=%s", urls[0], fp);
        else
            snprintf(payload, sizeof payload, "%s", urls[0]);
        printf("\nScan to open %s:\n", urls[0]);
        qr_term_print(stdout, payload);
    }
    fflush(stdout);
    ferry_urls_free(urls, n);
}

/*
 * Reads one line (the password) from stdin into buf without echo when it
 * is a terminal. Returns its length, or -1 at end of input.
 */
static long read_secret_line(const char *prompt, char *buf, size_t len)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    size_t n;

    if (tty) {
        fputs(prompt, stderr);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    if (!fgets(buf, (int)len, stdin)) {
        if (tty) {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
            fputc('\n', stderr);
        }
        return -1;
    }
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    n = strcspn(buf, "\n");
    if (n && buf[n - 1] == '\r' && buf[n] == '\n')
        n--;
    buf[n] = '\0';
    return (long)n;
}

/* ferryd --set-password: 0 when stored, 2 when refused, 1 on other errors. */
static int set_password(const struct ferryd_options *o)
{
    char a[1100], b[1100];
    long n, m;
    int rc;

    if (!o->cfg.state_dir) {
        fprintf(stderr, "ferryd: --set-password needs a state folder (--state-dir)\n");
        return 2;
    }
    n = read_secret_line("New password: ", a, sizeof a);
    if (n > 0 && isatty(STDIN_FILENO)) {
        m = read_secret_line("Again: ", b, sizeof b);
        if (m != n || memcmp(a, b, (size_t)n) != 0) {
            fprintf(stderr, "ferryd: the two passwords differ; nothing was changed\n");
            memset(a, 0, sizeof a);
            memset(b, 0, sizeof b);
            return 2;
        }
    }
    memset(b, 0, sizeof b);
    if (n <= 0) {
        fprintf(stderr, "ferryd: no password given (empty input); nothing was changed\n");
        return 2;
    }
    rc = ferry_password_set(o->cfg.state_dir, a, (size_t)n);
    memset(a, 0, sizeof a);
    if (rc < 0) {
        fprintf(stderr, "ferryd: cannot set the password in %s: %s\n", o->cfg.state_dir,
                ferry_strerror(rc));
        return rc == FERRY_EPASSWORD ? 2 : 1;
    }
    fprintf(stderr, "ferryd: password stored in %s (browser sessions were ended); start "
            "with --auth password\n", o->cfg.state_dir);
    return 0;
}

int main(int argc, char **argv)
{
    struct ferryd_options o;
    ferry_server *srv = NULL;
    ferry_fake_os *fake = NULL;
    ferry_logind *logind = NULL;
    struct control *ctl = NULL;
    char *default_ctl = NULL;
    int exempt[2] = {-1, -1};
    sigset_t stop;
    int rc, sig, status = 1;

    rc = options_parse(argc, argv, &o);
    if (rc != 0 || o.exit_now) {
        options_free(&o);
        return rc;
    }
    if (o.set_password) {
        rc = set_password(&o);
        options_free(&o);
        return rc;
    }
    o.cfg.log = log_stderr;
    raise_fd_limit();

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* inherited by every thread */

    rc = ferry_server_new(&o.cfg, &srv);
    if (rc < 0) {
        fprintf(stderr, "ferryd: %s\n", ferry_strerror(rc));
        if (rc == FERRY_ENOPASSWORD)
            status = 2;
        goto out;
    }
    /* --control, else the default socket in the state folder, which ferryctl
     * finds by itself; only an explicit --control that fails stops ferryd. */
    if (o.control) {
        if (control_open(o.control, exempt, &ctl) < 0)
            goto out;
    } else if (o.cfg.state_dir &&
               asprintf(&default_ctl, "%s/" FERRY_CONTROL_NAME, o.cfg.state_dir) > 0 &&
               control_open(default_ctl, exempt, &ctl) < 0) {
        fprintf(stderr, "ferryd: warning: no control socket, so ferryctl cannot reach this "
                "ferryd (give --control PATH)\n");
    }
    if (o.fake_os) {
        ferry_fake_os_config fc;

        ferry_fake_os_config_init(&fc);
        fc.reclaim_sockets = 1; /* as iOS defuncts them on suspension */
        fc.defunct_listeners = 1; /* accept() then fails with ECONNABORTED */
        fc.exempt_fds[0] = exempt[0];
        fc.exempt_fds[1] = exempt[1];
        fc.on_kill = watchdog_kill;
        rc = ferry_fake_os_new(&fc, &fake);
        if (rc == 0)
            rc = ferry_server_set_port(srv, ferry_fake_os_port(fake));
        if (rc < 0) {
            fprintf(stderr, "ferryd: cannot set up the fake OS: %s\n", ferry_strerror(rc));
            goto out;
        }
        ferry_fake_os_attach(fake, srv);
    }
    if (setup_logind(srv, &o, &logind) < 0)
        goto out;
    rc = ferry_server_start(srv);
    if (rc < 0) {
        fprintf(stderr, "ferryd: %s\n", ferry_strerror(rc));
        goto out;
    }
    print_urls(srv, &o);
    if (ctl && control_run(ctl, srv, fake) < 0) {
        fprintf(stderr, "ferryd: cannot start the control thread\n");
        goto out;
    }
    for (;;) {
        if (sigwait(&stop, &sig) != 0)
            break;
        if (sig == SIGHUP) {
            log_stderr(NULL, FERRY_LOG_INFO, "SIGHUP ignored: restart ferryd to change its options");
            continue;
        }
        log_stderr(NULL, FERRY_LOG_INFO, sig == SIGINT ? "SIGINT: stopping" : "SIGTERM: stopping");
        break;
    }
    status = 0;
out:
    control_stop(ctl); /* no command may run on a freed server */
    ferry_logind_stop(logind); /* nor any post */
    ferry_server_free(srv);
    ferry_logind_free(logind);
    ferry_fake_os_free(fake);
    options_free(&o);
    free(default_ctl);
    return status;
}
