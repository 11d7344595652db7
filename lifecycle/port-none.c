/*
 * port-none.c — the port for hosts that never suspend; see port-none.h.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "compat.h"
#include "port-none.h"

struct lc_port_none {
    ferry_port port;
    ferry_server *srv;
    pthread_mutex_t lock;
    pthread_cond_t cond;   /* CLOCK_MONOTONIC */
    pthread_t thread;
    uint64_t at_ms;        /* armed deadline, 0 = none */
    uint64_t next_id;
    int stop;
};

/* Monotonic clock in ms. */
static uint64_t none_now(void *ctx)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int none_begin(void *ctx, enum ferry_assertion_kind kind, const char *reason,
                      uint64_t *id)
{
    struct lc_port_none *p = ctx;

    pthread_mutex_lock(&p->lock);
    *id = ++p->next_id;
    pthread_mutex_unlock(&p->lock);
    return 0;
}

static void none_end(void *ctx, uint64_t id)
{
}

static void none_arm(void *ctx, uint64_t at_ms)
{
    struct lc_port_none *p = ctx;

    pthread_mutex_lock(&p->lock);
    p->at_ms = at_ms;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

/* The timer thread: waits for the armed deadline and posts the timer event
 * without holding the lock (the post calls back into none_arm). */
static void *timer_main(void *arg)
{
    struct lc_port_none *p = arg;

    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        if (!p->at_ms) {
            pthread_cond_wait(&p->cond, &p->lock);
            continue;
        }
        if (none_now(p) >= p->at_ms) {
            p->at_ms = 0;
            pthread_mutex_unlock(&p->lock);
            ferry_server_post_event(p->srv, FERRY_EVENT_TIMER);
            pthread_mutex_lock(&p->lock);
            continue;
        }
        struct timespec ts = {.tv_sec = (time_t)(p->at_ms / 1000),
                              .tv_nsec = (long)(p->at_ms % 1000) * 1000000L};
        compat_cond_timedwait(&p->cond, &p->lock, &ts);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int lc_port_none_new(ferry_server *srv, struct lc_port_none **out)
{
    struct lc_port_none *p = calloc(1, sizeof *p);
    int err;

    *out = NULL;
    if (!p)
        return FERRY_ENOMEM;
    p->srv = srv;
    p->port = (ferry_port){.ctx = p, .now_ms = none_now, .begin_assertion = none_begin,
                           .end_assertion = none_end, .arm_timer = none_arm};
    pthread_mutex_init(&p->lock, NULL);
    compat_cond_init(&p->cond); /* waits take CLOCK_MONOTONIC deadlines */
    err = pthread_create(&p->thread, NULL, timer_main, p);
    if (err) {
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        free(p);
        return -err;
    }
    *out = p;
    return 0;
}

const ferry_port *lc_port_none_port(struct lc_port_none *p)
{
    return &p->port;
}

void lc_port_none_free(struct lc_port_none *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
