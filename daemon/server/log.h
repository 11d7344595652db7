/*
 * log.h — the server's log lines: srv_log() to the configured sink, and
 * the limiter of lines that can repeat (log-limit.c). What a module needs
 * to log, without the rest of the server (server.h). srv_log() and
 * srv_log_enabled() live in server.c, the limiter in log-limit.c.
 */
#ifndef FERRY_LOG_H
#define FERRY_LOG_H

#include <pthread.h>
#include <stdint.h>

#include "ferry.h"

struct ferry_server;

/*
 * A log line that can repeat (one per failed accept, per refused
 * connection, ...) goes through a limiter (daemon/server/log-limit.c): the first
 * `burst` lines of a period of `period_ms` are written, the rest of the
 * period's are only counted, and the first line written after the period
 * carries the count ("(N more like it in the last S s)") and opens the next
 * period. srv_log_limit_end() closes an episode: it writes the count, if
 * any, and the next line is written at once again. A limiter is shared by
 * the threads that log that kind of line; it lives in the struct of the
 * module that owns the line.
 */
struct srv_log_limit {
    pthread_mutex_t lock;
    unsigned period_ms, burst;
    uint64_t period_start;    /* monotonic ms; 0: no period open */
    unsigned written;         /* lines written in this period */
    uint64_t first_ms;        /* when the first repeat was counted */
    unsigned long suppressed; /* repeats counted, not written */
};

/*
 * Formats one log line and passes it to the configured sink if `level` is
 * enabled. Callable from any thread. Lines longer than 1 KiB are truncated.
 */
void srv_log(const struct ferry_server *srv, enum ferry_log_level level,
             const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Non-zero when a line at `level` would be logged; lets callers skip work. */
int srv_log_enabled(const struct ferry_server *srv, enum ferry_log_level level);

/* Sets up lim: at most `burst` (0: 1) lines a period of period_ms (0:
 * 60 s). */
void srv_log_limit_init(struct srv_log_limit *lim, unsigned period_ms, unsigned burst);

/* Ends the episode as srv_log_limit_end() would and frees lim's lock. */
void srv_log_limit_destroy(const struct ferry_server *srv, struct srv_log_limit *lim,
                           enum ferry_log_level level, const char *what);

/* srv_log() through the limiter lim. Any thread. */
void srv_log_limited(const struct ferry_server *srv, struct srv_log_limit *lim,
                     enum ferry_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * The condition behind lim's lines is over: writes "WHAT: N more in the
 * last S s" at `level` when repeats were counted, and makes the next line
 * be written at once. Any thread.
 */
void srv_log_limit_end(const struct ferry_server *srv, struct srv_log_limit *lim,
                       enum ferry_log_level level, const char *what);

#endif
