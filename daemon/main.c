/*
 * main.c — ferryd, the daemon around libferry: options, logging to stderr,
 * signals, and the URLs (and a QR code) on stdout.
 *
 * Signals are blocked in every thread before the server starts and taken
 * here with sigwait(): SIGINT and SIGTERM stop the server cleanly.
 *
 * With --os fake, the lifecycle runs on the fake OS (iOS rules on a virtual
 * clock) driven through the control socket, and a watchdog kill is real:
 * the process dies with SIGKILL, so that the next start recovers from the
 * journal as an app relaunched by iOS would.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The fake OS's watchdog: die as an iOS app killed by the watchdog would. */
static void watchdog_kill(void *user, const char *why)
{
    char line[600];

    snprintf(line, sizeof line, "fake OS watchdog: %s; killing ferryd (SIGKILL)", why);
    log_stderr(NULL, FERRY_LOG_ERROR, line);
    kill(getpid(), SIGKILL);
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
    int rc = ferry_server_urls(srv, &urls, &n);

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

int main(int argc, char **argv)
{
    struct ferryd_options o;
    ferry_server *srv = NULL;
    ferry_fake_os *fake = NULL;
    struct control *ctl = NULL;
    int exempt[2] = {-1, -1};
    sigset_t stop;
    int rc, sig, status = 1;

    rc = options_parse(argc, argv, &o);
    if (rc != 0 || o.exit_now) {
        options_free(&o);
        return rc;
    }
    o.cfg.log = log_stderr;

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL); /* inherited by every thread */

    rc = ferry_server_new(&o.cfg, &srv);
    if (rc < 0) {
        fprintf(stderr, "ferryd: %s\n", ferry_strerror(rc));
        goto out;
    }
    if (o.control && control_open(o.control, exempt, &ctl) < 0)
        goto out;
    if (o.fake_os) {
        ferry_fake_os_config fc;

        ferry_fake_os_config_init(&fc);
        fc.reclaim_sockets = 1; /* as iOS defuncts them on suspension */
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
    rc = ferry_server_start(srv);
    if (rc < 0) {
        fprintf(stderr, "ferryd: %s\n", ferry_strerror(rc));
        goto out;
    }
    print_urls(srv, &o);
    if (!o.cfg.read_only) /* until access control exists (issue 8) */
        log_stderr(NULL, FERRY_LOG_WARN, "uploads (PUT) are allowed and there is no access "
                   "control yet: anyone who can reach this port can add files; "
                   "start with --read-only to refuse them");
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
    ferry_server_free(srv);
    ferry_fake_os_free(fake);
    options_free(&o);
    return status;
}
