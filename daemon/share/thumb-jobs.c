/*
 * thumb-jobs.c — the thumbnail thread and its bounded queue; see
 * thumb-jobs.h.
 *
 * Locking: q->lock guards the queue, the counts and the flags. libmicrohttpd
 * is called with it held only to suspend (MHD_suspend_connection(), from
 * the access handler); connections are resumed with it released. No thread
 * takes q->lock while it holds one of libmicrohttpd's, so there is no
 * cycle.
 */
#include "config.h"

#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server.h"
#include "thumb-cache.h"
#include "thumb-jobs.h"
#include "thumb-scale.h"

struct thumb_jobs {
    struct ferry_server *srv;
    struct thumb_cache *cache;  /* owned; NULL without one */
    pthread_t thread;
    int started;                /* thread is to be joined */

    pthread_mutex_t lock;
    pthread_cond_t more;        /* a job was queued, or stopping */
    struct thumb_job *head, *tail; /* waiting, oldest first */
    struct thumb_job *running;  /* being made, or NULL */
    unsigned n;                 /* waiting and running */
    int stopping;
    char last[THUMB_JOBS_CLIENT_MAX]; /* the client of the last job taken */
    atomic_int abort;           /* the running job is to stop */
};

/* Milliseconds of `clock` (CLOCK_MONOTONIC, or the calling thread's CPU
 * time). */
static long long clock_ms(clockid_t clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long now_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

/* ------------------------------------------------------------- making */

/* Reads the cached thumbnail open at fd (owned: closed) of size bytes into
 * job->jpeg. Returns 0 or -errno. */
static int read_cached(int fd, uint64_t size, struct thumb_job *job)
{
    unsigned char *b = size <= (16u << 20) ? malloc((size_t)size) : NULL;
    size_t got = 0;

    while (b && got < size) {
        ssize_t r = pread(fd, b + got, (size_t)size - got, (off_t)got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!b || got < size) {
        free(b);
        return b ? -EIO : -ENOMEM;
    }
    job->jpeg = b;
    job->len = got;
    return 0;
}

/* Makes job's thumbnail within lim, reading through a FILE of a dup of
 * job->fd, whose offset is back at 0 afterwards. Returns what thumb_scale()
 * returns, or -errno. */
static int scale_file(struct thumb_job *job, const struct thumb_scale_limits *lim)
{
    int dupfd = dup(job->fd);
    FILE *f = dupfd >= 0 ? fdopen(dupfd, "rb") : NULL;
    int rc;

    if (!f) {
        rc = -errno;
        if (dupfd >= 0)
            close(dupfd);
        return rc;
    }
    rc = lseek(job->fd, 0, SEEK_SET) == 0
             ? thumb_scale(f, job->orientation, lim, &job->jpeg, &job->len)
             : -errno;
    fclose(f);
    lseek(job->fd, 0, SEEK_SET);
    return rc;
}

/* Whether a failure is the picture's own, to be remembered: a broken or
 * unread kind, over the bounds, or over the time while this thread spent
 * at least half of it on the picture (cpu_ms) — not when the time went to
 * other threads, or the process was stopped or suspended meanwhile. */
static int remembered(int rc, long long cpu_ms)
{
    return rc == -EINVAL || rc == -ENOTSUP || rc == -EFBIG ||
           (rc == -ETIMEDOUT && cpu_ms >= THUMB_JOBS_TIME_MS / 2);
}

static const char *why(int rc)
{
    switch (rc) {
    case -EFBIG:
        return "over the bounds (sides, pixels or JPEG scans)";
    case -ETIMEDOUT:
        return "it took longer than the time allowed";
    case -ENOTSUP:
        return "a kind of picture that is not read";
    default:
        return "broken";
    }
}

/* Makes (or finds) job's thumbnail, sets job->rc, keeps the outcome in the
 * cache. Runs on the thumbnail thread. */
static void make(struct thumb_jobs *q, struct thumb_job *job)
{
    long long start = now_ms(), cpu = clock_ms(CLOCK_THREAD_CPUTIME_ID);
    struct thumb_scale_limits lim = {.deadline_ms = start + THUMB_JOBS_TIME_MS,
                                     .cancel = &q->abort};
    uint64_t size;
    int fd;

    if (start - job->queued_ms > THUMB_JOBS_WAIT_MS) {
        job->rc = -EAGAIN;
        return;
    }
    /* another request for the same picture may have made it meanwhile */
    switch (thumb_cache_get(q->cache, &job->st, &fd, &size)) {
    case THUMB_CACHE_MADE:
        job->rc = read_cached(fd, size, job);
        if (job->rc == 0)
            return;
        break;
    case THUMB_CACHE_FAILED:
        job->rc = -EFBIG;
        return;
    case THUMB_CACHE_MISS:
        break;
    }
    job->rc = scale_file(job, &lim);
    if (job->rc == 0) {
        thumb_cache_put(q->cache, &job->st, job->jpeg, job->len);
    } else if (remembered(job->rc, clock_ms(CLOCK_THREAD_CPUTIME_ID) - cpu)) {
        thumb_cache_put(q->cache, &job->st, NULL, 0);
        srv_log(q->srv, FERRY_LOG_INFO, "thumbnail of '%s' not made after %lld ms: %s; the "
                "picture itself is answered%s", job->rel, now_ms() - start, why(job->rc),
                q->cache ? " from now on" : "");
    } else if (job->rc == -ETIMEDOUT) {
        srv_log(q->srv, FERRY_LOG_DEBUG, "thumbnail of '%s' not made within %d ms (the "
                "thread had little of the CPU): the picture itself, this time",
                job->rel, THUMB_JOBS_TIME_MS);
    }
}

/* ------------------------------------------------------------- the queue */

/* Takes the job to make next off the queue: the oldest of a client other
 * than the last one's, else the oldest. Called with q->lock held and a job
 * waiting. */
static struct thumb_job *take(struct thumb_jobs *q)
{
    struct thumb_job *prev = NULL, *j = q->head, *p;

    for (p = q->head; p; prev = p, p = p->next)
        if (strcmp(p->client, q->last) != 0)
            break;
    if (p)
        j = p;
    else
        prev = NULL;
    if (prev)
        prev->next = j->next;
    else
        q->head = j->next;
    if (q->tail == j)
        q->tail = prev;
    j->next = NULL;
    snprintf(q->last, sizeof q->last, "%s", j->client);
    return j;
}

static void *thread_main(void *arg)
{
    struct thumb_jobs *q = arg;

    pthread_mutex_lock(&q->lock);
    for (;;) {
        struct thumb_job *job;

        while (!q->head && !q->stopping)
            pthread_cond_wait(&q->more, &q->lock);
        if (!q->head) /* stopping, and nothing left */
            break;
        job = take(q);
        q->running = job;
        atomic_store(&q->abort, q->stopping);
        pthread_mutex_unlock(&q->lock);
        if (atomic_load(&q->abort))
            job->rc = -ECANCELED;
        else
            make(q, job);
        pthread_mutex_lock(&q->lock);
        q->running = NULL;
        q->n--;
        pthread_mutex_unlock(&q->lock);
        MHD_resume_connection(job->conn); /* job is the request's from here */
        pthread_mutex_lock(&q->lock);
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

int thumb_jobs_submit(struct thumb_jobs *q, struct thumb_job *job)
{
    unsigned mine = 0;

    if (!q)
        return -ESHUTDOWN;
    job->rc = 0;
    job->jpeg = NULL;
    job->len = 0;
    job->next = NULL;
    pthread_mutex_lock(&q->lock);
    if (q->stopping) {
        pthread_mutex_unlock(&q->lock);
        return -ESHUTDOWN;
    }
    for (struct thumb_job *p = q->head; p; p = p->next)
        mine += strcmp(p->client, job->client) == 0;
    if (q->running)
        mine += strcmp(q->running->client, job->client) == 0;
    if (q->n >= THUMB_JOBS_MAX || mine >= THUMB_JOBS_PER_CLIENT) {
        pthread_mutex_unlock(&q->lock);
        return -EBUSY;
    }
    MHD_suspend_connection(job->conn);
    job->queued_ms = now_ms();
    if (q->tail)
        q->tail->next = job;
    else
        q->head = job;
    q->tail = job;
    q->n++;
    pthread_cond_signal(&q->more);
    pthread_mutex_unlock(&q->lock);
    srv_log(q->srv, FERRY_LOG_DEBUG, "thumbnail of '%s' queued (%u of %u)", job->rel, mine + 1,
            (unsigned)THUMB_JOBS_PER_CLIENT);
    return 0;
}

/* Ends every waiting job and the running one; with `stop`, refuses later
 * ones too. */
static void cancel(struct thumb_jobs *q, int stop)
{
    struct thumb_job *list;

    pthread_mutex_lock(&q->lock);
    if (stop)
        q->stopping = 1;
    list = q->head;
    q->head = q->tail = NULL;
    for (struct thumb_job *p = list; p; p = p->next)
        q->n--;
    if (q->running)
        atomic_store(&q->abort, 1);
    pthread_cond_signal(&q->more);
    pthread_mutex_unlock(&q->lock);
    while (list) {
        struct thumb_job *next = list->next;

        list->next = NULL;
        list->rc = -ECANCELED;
        MHD_resume_connection(list->conn); /* list is the request's from here */
        list = next;
    }
}

void thumb_jobs_cancel(struct thumb_jobs *q)
{
    if (q)
        cancel(q, 0);
}

void thumb_jobs_stop(struct thumb_jobs *q)
{
    if (!q)
        return;
    cancel(q, 1);
    if (q->started) {
        pthread_join(q->thread, NULL);
        q->started = 0;
    }
}

struct thumb_cache *thumb_jobs_cache(struct thumb_jobs *q)
{
    return q ? q->cache : NULL;
}

int thumb_jobs_new(struct ferry_server *srv, struct thumb_jobs **out)
{
    struct thumb_jobs *q = calloc(1, sizeof *q);
    int rc;

    *out = NULL;
    if (!q)
        return FERRY_ENOMEM;
    q->srv = srv;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->more, NULL);
    if (srv->state_fd >= 0) {
        rc = thumb_cache_open(srv->state_fd, THUMB_JOBS_CACHE_BYTES, &q->cache);
        if (rc < 0)
            srv_log(srv, FERRY_LOG_WARN, "thumbnails are not kept: cannot open '%s/%s': %s",
                    srv->state_dir, THUMB_CACHE_DIR, strerror(-rc));
    }
    rc = pthread_create(&q->thread, NULL, thread_main, q);
    if (rc != 0) {
        thumb_jobs_free(q);
        return -rc;
    }
    q->started = 1;
    *out = q;
    return 0;
}

void thumb_jobs_free(struct thumb_jobs *q)
{
    if (!q)
        return;
    thumb_jobs_stop(q);
    thumb_cache_free(q->cache);
    pthread_cond_destroy(&q->more);
    pthread_mutex_destroy(&q->lock);
    free(q);
}
