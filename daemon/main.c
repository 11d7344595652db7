/*
 * main.c — ferryd, the daemon around libferry: options, logging to stderr,
 * signals, and the URLs (and a QR code) on stdout.
 *
 * Signals are blocked in every thread before the server starts and taken
 * here with sigwait(): SIGINT and SIGTERM stop the server cleanly.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* Prints the banner, every URL, and a QR code of the first URL. */
static void print_urls(ferry_server *srv, const struct ferryd_options *o)
{
    char **urls = NULL;
    size_t n = 0;
    int rc = ferry_server_urls(srv, &urls, &n);

    printf("ferry %s is serving %s%s on port %d\n", ferry_version(), o->cfg.root,
           o->cfg.read_only ? " (read-only)" : "", ferry_server_port(srv));
    if (rc < 0)
        fprintf(stderr, "ferryd: cannot list this host's addresses: %s\n", ferry_strerror(rc));
    for (size_t i = 0; i < n; i++)
        printf("  %s\n", urls[i]);
    if (n && !o->no_qr && isatty(STDOUT_FILENO)) {
        printf("\nScan to open %s:\n", urls[0]);
        qr_term_print(stdout, urls[0]);
    }
    fflush(stdout);
    ferry_urls_free(urls, n);
}

int main(int argc, char **argv)
{
    struct ferryd_options o;
    ferry_server *srv = NULL;
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
    rc = ferry_server_start(srv);
    if (rc < 0) {
        fprintf(stderr, "ferryd: %s\n", ferry_strerror(rc));
        goto out;
    }
    print_urls(srv, &o);
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
    ferry_server_free(srv);
    options_free(&o);
    return status;
}
