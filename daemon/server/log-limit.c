/*
 * log-limit.c — rate-limited log lines: one line plus a count per episode
 * (see server.h, struct srv_log_limit). Owns nothing but the limiter's
 * state; the lines go to srv_log()'s sink.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server.h"

#define DEFAULT_PERIOD_MS 60000

/* Monotonic milliseconds, never 0. */
static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 + 1;
}

void srv_log_limit_init(struct srv_log_limit *lim, unsigned period_ms, unsigned burst)
{
    pthread_mutex_init(&lim->lock, NULL);
    lim->period_ms = period_ms ? period_ms : DEFAULT_PERIOD_MS;
    lim->burst = burst ? burst : 1;
    lim->period_start = lim->first_ms = 0;
    lim->written = 0;
    lim->suppressed = 0;
}

void srv_log_limit_destroy(const struct ferry_server *srv, struct srv_log_limit *lim,
                           enum ferry_log_level level, const char *what)
{
    srv_log_limit_end(srv, lim, level, what);
    pthread_mutex_destroy(&lim->lock);
}

void srv_log_limited(const struct ferry_server *srv, struct srv_log_limit *lim,
                     enum ferry_log_level level, const char *fmt, ...)
{
    char line[1024];
    unsigned long n;
    uint64_t now, first;
    size_t len;
    va_list ap;

    if (!srv_log_enabled(srv, level))
        return;
    now = mono_ms();
    n = 0;
    first = 0;
    pthread_mutex_lock(&lim->lock);
    if (lim->period_start && now - lim->period_start < lim->period_ms) {
        if (lim->written >= lim->burst) {
            if (!lim->suppressed++)
                lim->first_ms = now;
            pthread_mutex_unlock(&lim->lock);
            return;
        }
        lim->written++;
    } else { /* a new period: this line carries the last one's count */
        n = lim->suppressed;
        first = lim->first_ms;
        lim->suppressed = 0;
        lim->period_start = now;
        lim->written = 1;
    }
    pthread_mutex_unlock(&lim->lock);
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    len = strlen(line);
    if (n && len < sizeof line)
        snprintf(line + len, sizeof line - len, " (%lu more like it in the last %llu s)", n,
                 (unsigned long long)((now - first) / 1000 + 1));
    srv_log(srv, level, "%s", line);
}

void srv_log_limit_end(const struct ferry_server *srv, struct srv_log_limit *lim,
                       enum ferry_log_level level, const char *what)
{
    unsigned long n;
    uint64_t first;

    pthread_mutex_lock(&lim->lock);
    n = lim->suppressed;
    first = lim->first_ms;
    lim->suppressed = 0;
    lim->period_start = 0;
    pthread_mutex_unlock(&lim->lock);
    if (n)
        srv_log(srv, level, "%s: %lu more in the last %llu s", what, n,
                (unsigned long long)((mono_ms() - first) / 1000 + 1));
}
