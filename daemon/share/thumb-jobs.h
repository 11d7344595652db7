/*
 * thumb-jobs.h — thumbnails made off libmicrohttpd's worker threads.
 *
 * A request whose thumbnail must be made (daemon/share/thumb.c) hands a job to
 * thumb_jobs_submit(), which suspends its connection and queues the job for
 * one thumbnail thread. The thread makes the thumbnail within the limits of
 * thumb-scale.h (THUMB_JOBS_TIME_MS, the scans), keeps the result in the
 * cache (thumb-cache.h: the thumbnail, or that it failed) and resumes the
 * connection; libmicrohttpd then calls the access handler again, which
 * answers from the job. So a picture holds the thumbnail thread for
 * THUMB_JOBS_TIME_MS at most, and never a worker: other requests are served
 * meanwhile.
 *
 * The queue is bounded, in all and per client address: a job that does not
 * fit is refused at once (the caller answers the file itself). The thread
 * takes the oldest job of another client than the last one's when there is
 * one, so one client's many pictures do not starve another's. A job that
 * waited longer than THUMB_JOBS_WAIT_MS is not made.
 *
 * Every connection suspended here is resumed by the time thumb_jobs_stop()
 * returns, which the server calls before it stops libmicrohttpd (stopping it
 * with a suspended connection is an API violation).
 */
#ifndef FERRY_THUMB_JOBS_H
#define FERRY_THUMB_JOBS_H

#include <stddef.h>
#include <sys/stat.h>

struct MHD_Connection;
struct ferry_server;
struct thumb_cache;

#define THUMB_JOBS_MAX 16          /* jobs waiting or being made, in all */
#define THUMB_JOBS_PER_CLIENT 6    /* ... of one client address (a browser
                                      opens 6 connections to a server) */
#define THUMB_JOBS_WAIT_MS 5000    /* a job not begun by then: not made */
#define THUMB_JOBS_TIME_MS 2000    /* making one thumbnail, at most */
#define THUMB_JOBS_CACHE_BYTES (64ull << 20) /* $STATE/thumbs/, at most */
#define THUMB_JOBS_CLIENT_MAX 64

/*
 * One thumbnail to make. The caller allocates it (it may be the first
 * member of a larger struct) and fills the inputs; from a successful
 * thumb_jobs_submit() until its connection is resumed it belongs to the
 * queue, and the caller must not touch it; then it is the caller's again,
 * with the outputs set.
 */
struct thumb_job {
    /* inputs */
    struct MHD_Connection *conn; /* suspended while queued */
    int fd;                      /* the picture, read through a dup of it
                                    (its offset back at 0 afterwards); stays
                                    the caller's */
    struct stat st;              /* its fstat(): the cache key */
    unsigned orientation;        /* Exif, 1-8 */
    const char *rel;             /* its path, for log lines; the caller's */
    char client[THUMB_JOBS_CLIENT_MAX]; /* the client's address */

    /* outputs, set before the connection is resumed */
    int rc;              /* 0: made (or found in the cache meanwhile);
                            -ECANCELED: the server is stopping or ending
                            connections; -EAGAIN: it waited too long;
                            else thumb_scale()'s error, remembered in the
                            cache when it is the picture's fault (a
                            -ETIMEDOUT only when the thread had at least
                            half the time on a CPU) */
    unsigned char *jpeg; /* when rc is 0: the thumbnail, malloc'd, now the
                            caller's */
    size_t len;

    /* the queue's */
    struct thumb_job *next;
    long long queued_ms;
};

struct thumb_jobs;

/*
 * Starts the thumbnail thread, with the cache in srv's state folder (none
 * without one, or when it cannot be opened: logged). Returns 0 with *out, or
 * a negative code (*out NULL): FERRY_ENOMEM, -errno of pthread_create().
 */
int thumb_jobs_new(struct ferry_server *srv, struct thumb_jobs **out);

/* The cache (NULL when there is none), for lookups before a job is made.
 * q NULL: NULL. */
struct thumb_cache *thumb_jobs_cache(struct thumb_jobs *q);

/*
 * Queues job and suspends job->conn (call it from the access handler of
 * that connection, then return MHD_YES without a response). Returns 0, or
 * without doing anything: -EBUSY when THUMB_JOBS_MAX jobs are queued, or
 * THUMB_JOBS_PER_CLIENT of job->client's; -ESHUTDOWN once stopping (or q
 * NULL).
 */
int thumb_jobs_submit(struct thumb_jobs *q, struct thumb_job *job);

/*
 * Ends what waits now: every queued job, and the one being made (its
 * decoding stops at its next row or scan), ends with -ECANCELED and its
 * connection is resumed. For the lifecycle, when connections are ended
 * before a suspension. Later jobs are made as usual. Any thread. q NULL: a
 * no-op.
 */
void thumb_jobs_cancel(struct thumb_jobs *q);

/*
 * As thumb_jobs_cancel(), then refuses every later job and waits for the
 * thread to end: when it returns no connection is suspended by it. Call it
 * before MHD_stop_daemon(). Idempotent; q NULL: a no-op.
 */
void thumb_jobs_stop(struct thumb_jobs *q);

/* Stops (thumb_jobs_stop()) and frees q and its cache. Accepts NULL. */
void thumb_jobs_free(struct thumb_jobs *q);

#endif
