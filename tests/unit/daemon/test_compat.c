/*
 * test_compat.c — unit tests of daemon/compat.c. Built twice: test_compat
 * with what this system offers (accept4, pipe2, socket type flags,
 * pthread_condattr_setclock) and test_compat_portable with
 * FERRY_COMPAT_PORTABLE, which takes every fallback, i.e. Darwin's paths:
 * fcntl for the flags, and timed waits on a realtime condition variable that
 * must still honour a CLOCK_MONOTONIC deadline (the defect of simply dropping
 * pthread_condattr_setclock: the wait returns at once).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compat.h"

static int is_nonblock(int fd)
{
    return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

static int is_cloexec(int fd)
{
    return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void socketpair_flags(void **state)
{
    int sv[2];
    char c;

    (void)state;
    assert_int_equal(compat_socketpair_nb(sv), 0);
    for (int i = 0; i < 2; i++) {
        assert_true(is_nonblock(sv[i]));
        assert_true(is_cloexec(sv[i]));
    }
    assert_int_equal(recv(sv[0], &c, 1, 0), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    /* a send to a closed peer is EPIPE, not a SIGPIPE that kills the test */
    close(sv[1]);
    assert_int_equal(send(sv[0], "x", 1, COMPAT_MSG_NOSIGNAL), -1);
    assert_int_equal(errno, EPIPE);
    close(sv[0]);
}

static void pipe_flags(void **state)
{
    int p[2];
    char c;

    (void)state;
    assert_int_equal(compat_pipe_nb(p), 0);
    for (int i = 0; i < 2; i++) {
        assert_true(is_nonblock(p[i]));
        assert_true(is_cloexec(p[i]));
    }
    assert_int_equal(read(p[0], &c, 1), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    close(p[0]);
    close(p[1]);
}

static void socket_and_accept(void **state)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    int l, c, a, b;

    (void)state;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l = compat_socket_cloexec(AF_INET, SOCK_STREAM, 0);
    assert_true(l >= 0);
    assert_true(is_cloexec(l));
    assert_false(is_nonblock(l));
    assert_int_equal(bind(l, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(l, 4), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&sa, &len), 0);
    c = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof sa), 0);
    a = compat_accept(l, NULL, NULL, 1);
    assert_true(a >= 0);
    assert_true(is_nonblock(a));
    assert_true(is_cloexec(a));
    close(c);
    c = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof sa), 0);
    b = compat_accept(l, NULL, NULL, 0);
    assert_true(b >= 0);
    assert_false(is_nonblock(b));
    assert_true(is_cloexec(b));
    close(a);
    close(b);
    close(c);
    /* errors come back as accept's: -1 and errno */
    assert_int_equal(compat_accept(c, NULL, NULL, 1), -1);
    assert_int_equal(errno, EBADF);
    close(l);
}

/* A CLOCK_MONOTONIC deadline ms from now. */
static struct timespec deadline_in(int ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return ts;
}

static void timedwait_monotonic(void **state)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c;
    struct timespec until;
    int64_t t0, took;
    int rc = 0;

    (void)state;
    assert_int_equal(compat_cond_init(&c), 0);
    pthread_mutex_lock(&m);
    /* 300 ms: waits that long (spurious wake-ups loop), then ETIMEDOUT */
    until = deadline_in(300);
    t0 = mono_ms();
    for (int i = 0; i < 100 && rc != ETIMEDOUT; i++)
        rc = compat_cond_timedwait(&c, &m, &until);
    took = mono_ms() - t0;
    assert_int_equal(rc, ETIMEDOUT);
    if (took < 290 || took > 3000)
        fail_msg("a 300 ms monotonic deadline ended the wait after %lld ms", (long long)took);
    /* a deadline in the past: ETIMEDOUT at once */
    until = deadline_in(0);
    until.tv_sec -= 5;
    t0 = mono_ms();
    assert_int_equal(compat_cond_timedwait(&c, &m, &until), ETIMEDOUT);
    assert_true(mono_ms() - t0 < 200);
    pthread_mutex_unlock(&m);
    pthread_cond_destroy(&c);
}

struct signaller {
    pthread_mutex_t *m;
    pthread_cond_t *c;
    int *flag;
};

static void *signal_later(void *arg)
{
    struct signaller *s = arg;
    struct timespec d = {.tv_sec = 0, .tv_nsec = 50 * 1000000};

    nanosleep(&d, NULL); /* the waiter is (very likely) waiting by now; if not, it sees flag */
    pthread_mutex_lock(s->m);
    *s->flag = 1;
    pthread_cond_signal(s->c);
    pthread_mutex_unlock(s->m);
    return NULL;
}

static void timedwait_signalled(void **state)
{
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c;
    pthread_t th;
    int flag = 0, rc = 0;
    struct signaller s = {&m, &c, &flag};
    struct timespec until;
    int64_t t0;

    (void)state;
    assert_int_equal(compat_cond_init(&c), 0);
    pthread_mutex_lock(&m);
    assert_int_equal(pthread_create(&th, NULL, signal_later, &s), 0);
    until = deadline_in(5000);
    t0 = mono_ms();
    while (!flag && rc != ETIMEDOUT)
        rc = compat_cond_timedwait(&c, &m, &until);
    pthread_mutex_unlock(&m);
    assert_int_equal(flag, 1);
    assert_int_not_equal(rc, ETIMEDOUT);
    assert_true(mono_ms() - t0 < 4000);
    pthread_join(th, NULL);
    pthread_cond_destroy(&c);
}

static void mtime_and_fsync(void **state)
{
    char path[] = "/tmp/ferry-compat-XXXXXX";
    int fd = mkstemp(path);
    struct stat st;

    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "durable\n", 8), 8);
    assert_int_equal(compat_fsync_durable(fd), 0);
    assert_int_equal(fstat(fd, &st), 0);
    assert_int_equal((long long)compat_st_mtim(&st).tv_sec, (long long)st.st_mtime);
    assert_true(compat_st_mtim(&st).tv_nsec >= 0 && compat_st_mtim(&st).tv_nsec < 1000000000);
    close(fd);
    unlink(path);
    assert_int_equal(compat_fsync_durable(fd), -1); /* closed: fsync's error */
    assert_int_equal(errno, EBADF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(socketpair_flags),
        cmocka_unit_test(pipe_flags),
        cmocka_unit_test(socket_and_accept),
        cmocka_unit_test(timedwait_monotonic),
        cmocka_unit_test(timedwait_signalled),
        cmocka_unit_test(mtime_and_fsync),
    };

#if COMPAT_MSG_NOSIGNAL == 0 && !defined(SO_NOSIGPIPE)
    /* FERRY_COMPAT_PORTABLE on Linux: neither MSG_NOSIGNAL nor SO_NOSIGPIPE
     * is used, which no real build does; only EPIPE is checked then. */
    signal(SIGPIPE, SIG_IGN);
#endif
    return cmocka_run_group_tests(tests, NULL, NULL);
}
