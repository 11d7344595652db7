/*
 * test_host.c — the host API of ferry.h ("host API", issue 17) through the
 * public library alone: a real server on 127.0.0.1, port 0, on the fake OS,
 * and a raw TCP client. What it checks:
 *  - D7: started in the background nothing listens (port 0, QUIET) until
 *    ferry_host_app_state(ACTIVE), which binds and answers;
 *  - D1: silent model: BACKGROUND with nothing open goes quiet inside the
 *    call; after a silent suspension (listener defunct: accept fails with
 *    ECONNABORTED) ACTIVE answers at once;
 *  - D3/D4: ferry_host_assertion_expiring() of an id ferry does not hold is
 *    FERRY_ENOTFOUND (and changes nothing); after ferry_server_stop() it is
 *    FERRY_ENOTFOUND too (the glue ends the task itself), and INACTIVE says
 *    FERRY_ESTATE.
 * Loopback only; the shared folder is a mkdtemp folder removed at the end.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "ferry.h"

struct world {
    char root[64];
    char file[96];
    ferry_fake_os *os;
    ferry_server *srv;
};

/* GET /hello.txt on 127.0.0.1:port with a 5 s timeout. Returns 1 when the
 * answer starts "HTTP/1.1 200", else 0. */
static int answered(int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval tv = {.tv_sec = 5};
    static const char rq[] = "GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             "Connection: close\r\n\r\n";
    char buf[64] = "";
    int fd, ok = 0;
    ssize_t n;

    if (port <= 0)
        return 0;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        write(fd, rq, sizeof rq - 1) == (ssize_t)(sizeof rq - 1)) {
        n = read(fd, buf, sizeof buf - 1);
        ok = n >= 12 && strncmp(buf, "HTTP/1.1 200", 12) == 0;
    }
    close(fd);
    return ok;
}

/* Starts a server on the fake OS (defunct listeners on) with `model` and
 * `background`. */
static void start(struct world *w, enum ferry_suspend_model model, int background)
{
    ferry_config cfg;
    ferry_fake_os_config fc;

    ferry_config_init(&cfg);
    cfg.root = w->root;
    cfg.binds[0] = "127.0.0.1";
    cfg.n_binds = 1;
    cfg.port = 0;
    cfg.no_mdns = 1;
    cfg.auth = FERRY_AUTH_OPEN;
    cfg.suspend_model = model;
    cfg.start_in_background = background;
    ferry_fake_os_config_init(&fc);
    fc.reclaim_sockets = 1; /* no client socket is open at a suspension */
    fc.defunct_listeners = 1;
    assert_int_equal(ferry_fake_os_new(&fc, &w->os), 0);
    assert_int_equal(ferry_server_new(&cfg, &w->srv), 0);
    assert_int_equal(ferry_server_set_port(w->srv, ferry_fake_os_port(w->os)), 0);
    ferry_fake_os_attach(w->os, w->srv);
    assert_int_equal(ferry_server_start(w->srv), 0);
}

static void stop(struct world *w)
{
    ferry_server_free(w->srv);
    ferry_fake_os_free(w->os);
    w->srv = NULL;
    w->os = NULL;
}

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    FILE *f;

    if (!w)
        return -1;
    snprintf(w->root, sizeof w->root, "/tmp/ferry-host-XXXXXX");
    if (!mkdtemp(w->root))
        return -1;
    snprintf(w->file, sizeof w->file, "%s/hello.txt", w->root);
    f = fopen(w->file, "w");
    if (!f)
        return -1;
    fputs("hello\n", f);
    fclose(f);
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;

    if (w->srv)
        stop(w);
    unlink(w->file);
    rmdir(w->root);
    free(w);
    return 0;
}

/* D7: launched into the background. */
static void test_start_in_background(void **state)
{
    struct world *w = *state;

    start(w, FERRY_SUSPEND_SILENT, 1);
    assert_int_equal(ferry_server_port(w->srv), 0);
    assert_int_equal(ferry_server_state(w->srv), FERRY_STATE_QUIET);
    assert_int_equal(ferry_host_app_state(w->srv, FERRY_APP_INACTIVE), 0);
    assert_int_equal(ferry_host_app_state(w->srv, FERRY_APP_ACTIVE), 0);
    assert_true(ferry_server_port(w->srv) > 0);
    assert_true(answered(ferry_server_port(w->srv)));
}

/* D1 with the silent model, through the host API. */
static void test_silent_background_and_resume(void **state)
{
    struct world *w = *state;

    start(w, FERRY_SUSPEND_SILENT, 0);
    assert_true(answered(ferry_server_port(w->srv)));
    assert_int_equal(ferry_host_app_state(w->srv, FERRY_APP_BACKGROUND), 0);
    assert_int_equal(ferry_server_state(w->srv), FERRY_STATE_QUIET);
    assert_int_equal(ferry_server_port(w->srv), 0);
    assert_int_equal(ferry_fake_os_suspend_silently(w->os), 0);
    assert_int_equal(ferry_fake_os_resume(w->os), 0);
    assert_int_equal(ferry_host_app_state(w->srv, FERRY_APP_ACTIVE), 0);
    assert_true(answered(ferry_server_port(w->srv)));
}

/* D1 with the notified model: an unprotected linger, a silent suspension
 * (the listener defunct, unseen), then ACTIVE: answered at once. */
static void test_notified_linger_silent_suspension(void **state)
{
    struct world *w = *state;
    int port;

    start(w, FERRY_SUSPEND_NOTIFIED, 0);
    port = ferry_server_port(w->srv);
    assert_int_equal(ferry_host_app_state(w->srv, FERRY_APP_BACKGROUND), 0);
    assert_int_equal(ferry_server_state(w->srv), FERRY_STATE_LINGER);
    assert_int_equal(ferry_fake_os_suspend_silently(w->os), 0);
    assert_int_equal(ferry_fake_os_resume(w->os), 0);
    assert_int_equal(ferry_host_app_state(w->srv, FERRY_APP_ACTIVE), 0);
    assert_int_equal(ferry_server_port(w->srv), port);
    assert_true(answered(port));
}

/* D3/D4: expiring an id ferry does not hold; after stop. */
static void test_expiring_not_held_and_after_stop(void **state)
{
    struct world *w = *state;

    start(w, FERRY_SUSPEND_SILENT, 0);
    assert_int_equal(ferry_host_assertion_expiring(w->srv, 4242), FERRY_ENOTFOUND);
    assert_int_equal(ferry_server_state(w->srv), FERRY_STATE_FOREGROUND);
    assert_true(answered(ferry_server_port(w->srv)));
    assert_int_equal(ferry_server_stop(w->srv), 0);
    assert_int_equal(ferry_host_assertion_expiring(w->srv, 1), FERRY_ENOTFOUND);
    assert_int_equal(ferry_host_app_state(w->srv, FERRY_APP_INACTIVE), FERRY_ESTATE);
    assert_int_equal(ferry_host_app_state(w->srv, FERRY_APP_ACTIVE), FERRY_ESTATE);
    assert_int_equal(ferry_host_protected_data(w->srv, 1), FERRY_ESTATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_start_in_background, setup, teardown),
        cmocka_unit_test_setup_teardown(test_silent_background_and_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notified_linger_silent_suspension, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_expiring_not_held_and_after_stop, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
