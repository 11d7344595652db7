/*
 * control.c — ferryd's control socket; see control.h.
 *
 * One thread accepts one client at a time and answers its lines in order.
 * Each client is moved onto a reserved fd number (dup2) that the fake OS
 * exempts from socket reclaim, so that "suspend" can still be answered.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "compat.h"
#include "control.h"

#define LINE_MAX_LEN 256
/* Longest answer line: `sessions` lists up to 320 entries (256 sessions, 64
 * tokens) of well under 1 KiB of JSON each. */
#define ANSWER_MAX (1024 * 1024)
#define CONTROL_MAX_ADVANCE_MS 31536000000ULL /* one year of virtual time */

struct control {
    char *path;
    int listen_fd;
    int client_fd;   /* reserved number; /dev/null between clients */
    int wake[2];
    pthread_t thread;
    int started;
    ferry_server *srv;
    ferry_fake_os *fake;
};

int control_open(const char *path, int exempt[2], struct control **out)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct control *c = calloc(1, sizeof *c);
    struct stat st;
    mode_t old;
    int rc;

    *out = NULL;
    if (!c)
        return -ENOMEM;
    c->listen_fd = c->client_fd = c->wake[0] = c->wake[1] = -1;
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "ferryd: control socket path '%s' is too long (at most %zu bytes)\n",
                path, sizeof sa.sun_path - 1);
        rc = -ENAMETOOLONG;
        goto fail;
    }
    strcpy(sa.sun_path, path);
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            fprintf(stderr, "ferryd: '%s' exists and is not a socket: choose another "
                    "--control path\n", path);
            rc = -EEXIST;
            goto fail;
        }
        unlink(path); /* stale socket of an earlier run */
    }
    c->path = strdup(path);
    c->listen_fd = compat_socket_cloexec(AF_UNIX, SOCK_STREAM, 0);
    c->client_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (!c->path || c->listen_fd < 0 || c->client_fd < 0 || pipe(c->wake) < 0) {
        rc = -errno;
        goto fail;
    }
    old = umask(077); /* no moment where others could connect */
    rc = bind(c->listen_fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old);
    if (rc < 0 || chmod(path, 0600) < 0 || listen(c->listen_fd, 8) < 0) {
        rc = -errno;
        fprintf(stderr, "ferryd: cannot create the control socket '%s': %s\n", path,
                strerror(errno));
        goto fail;
    }
    exempt[0] = c->listen_fd;
    exempt[1] = c->client_fd;
    *out = c;
    return 0;
fail:
    control_stop(c);
    return rc;
}

/* Answers `status`: the lifecycle and, with a fake OS, its counters. */
static char *status_json(struct control *c)
{
    ferry_transfer *list = NULL;
    size_t n = 0;
    json_t *j = json_pack("{s:s, s:i}", "state", ferry_state_name(ferry_server_state(c->srv)),
                          "port", ferry_server_port(c->srv));
    char *out;

    if (ferry_server_transfers(c->srv, &list, &n) == 0) {
        size_t restored = 0;

        for (size_t i = 0; i < n; i++)
            restored += list[i].restored != 0;
        json_object_set_new(j, "transfers", json_integer((json_int_t)(n - restored)));
        json_object_set_new(j, "restored", json_integer((json_int_t)restored));
        free(list);
    }
    if (c->fake) {
        ferry_fake_os_stats st;

        ferry_fake_os_get_stats(c->fake, &st);
        json_object_set_new(j, "fake_os", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}",
            "now_ms", (json_int_t)ferry_fake_os_now(c->fake), "begins", (json_int_t)st.begins,
            "ends", (json_int_t)st.ends, "held", (json_int_t)st.held, "kills",
            (json_int_t)st.kills, "expirations", (json_int_t)st.expirations,
            "reclaimed_sockets", (json_int_t)st.reclaimed_sockets, "suspended", st.suspended));
        json_object_set_new(json_object_get(j, "fake_os"), "violations",
                            json_integer((json_int_t)st.violations));
    }
    out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return out;
}

/* Whether arg is the read-only flag. */
static int ro_flag(const char *arg)
{
    return arg && (strcmp(arg, "--read-only") == 0 || strcmp(arg, "ro") == 0 ||
                   strcmp(arg, "-r") == 0);
}

/*
 * The access-control commands: pair [--read-only] (the pairing URLs, one
 * line), sessions (a JSON array, never a secret), revoke ID, token create
 * NAME [--read-only] ("ok ID SECRET": the only time the secret is shown),
 * token revoke ID. Nothing here is logged.
 */
static void access_command(struct control *c, const char *cmd, char *arg, char *ans,
                           size_t len)
{
    int rc;

    if (strcmp(cmd, "pair") == 0) {
        char **urls = NULL;
        size_t n = 0, used;

        if (arg && *arg && !ro_flag(arg)) {
            snprintf(ans, len, "error: pair takes only --read-only");
            return;
        }
        rc = ferry_server_pairing_urls(c->srv, ro_flag(arg), &urls, &n);
        if (rc < 0) {
            snprintf(ans, len, "error: %s", ferry_strerror(rc));
            return;
        }
        used = (size_t)snprintf(ans, len, "ok");
        for (size_t i = 0; i < n && used + strlen(urls[i]) + 2 < len; i++)
            used += (size_t)snprintf(ans + used, len - used, " %s", urls[i]);
        ferry_urls_free(urls, n);
        return;
    }
    if (strcmp(cmd, "sessions") == 0) {
        ferry_session *list = NULL;
        size_t n = 0;
        json_t *a = json_array();
        char *js;

        if (!a || ferry_server_sessions(c->srv, &list, &n) < 0) {
            json_decref(a);
            snprintf(ans, len, "error: out of memory");
            return;
        }
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, json_pack(
                "{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "id", list[i].id, "kind",
                list[i].is_token ? "token" : "session", "rights",
                list[i].read_only ? "ro" : "rw", "peer", list[i].peer, "agent",
                list[i].agent, "created", (json_int_t)list[i].created, "last_seen",
                (json_int_t)list[i].last_seen, "expires", (json_int_t)list[i].expires,
                "name", list[i].name));
        free(list);
        js = json_dumps(a, JSON_COMPACT);
        json_decref(a);
        snprintf(ans, len, js ? "ok %s" : "error: out of memory", js);
        free(js);
        return;
    }
    if (strcmp(cmd, "revoke") == 0 ||
        (arg && strncmp(arg, "revoke ", 7) == 0 && (arg += 7))) {
        if (!arg || !*arg) {
            snprintf(ans, len, "error: revoke needs an id (see 'sessions')");
            return;
        }
        rc = ferry_server_revoke(c->srv, arg);
        snprintf(ans, len, rc < 0 ? "error: %s" : "ok", ferry_strerror(rc));
        return;
    }
    if (arg && strncmp(arg, "create ", 7) == 0) { /* token create NAME [--read-only] */
        char *name = arg + 7, *flag = strrchr(name, ' ');
        char secret[FERRY_SECRET_LEN + 1], id[FERRY_ID_LEN + 1];
        int ro = 0;

        if (flag && ro_flag(flag + 1)) {
            *flag = '\0';
            ro = 1;
        }
        if (!*name || ro_flag(name)) {
            snprintf(ans, len, "error: token create needs a name");
            return;
        }
        rc = ferry_server_token_create(c->srv, name, ro, secret, id);
        if (rc < 0)
            snprintf(ans, len, "error: %s", ferry_strerror(rc));
        else
            snprintf(ans, len, "ok %s %s", id, secret);
        memset(secret, 0, sizeof secret);
        return;
    }
    snprintf(ans, len, "error: token takes 'create NAME [--read-only]' or 'revoke ID'");
}

/* Runs one command line; writes the answer (without newline) into ans. */
static void run_command(struct control *c, char *line, char *ans, size_t len)
{
    static const struct { const char *name; enum ferry_event ev; } events[] = {
        {"background", FERRY_EVENT_BACKGROUND}, {"foreground", FERRY_EVENT_FOREGROUND},
        {"network", FERRY_EVENT_NETWORK_CHANGED},
    };
    char *arg = strchr(line, ' ');
    int rc = 0;

    if (arg)
        *arg++ = '\0';
    for (size_t i = 0; i < sizeof events / sizeof *events; i++) {
        if (strcmp(line, events[i].name) == 0) {
            rc = ferry_server_post_event(c->srv, events[i].ev);
            goto done;
        }
    }
    if (strcmp(line, "status") == 0) {
        char *js = status_json(c);

        snprintf(ans, len, js ? "ok %s" : "error: out of memory", js);
        free(js);
        return;
    }
    if (strcmp(line, "terminate") == 0) {
        rc = ferry_server_post_event(c->srv, FERRY_EVENT_WILL_TERMINATE);
        kill(getpid(), SIGTERM); /* main() takes it and stops the server */
        goto done;
    }
    if (strcmp(line, "suspend") == 0 && arg && strcmp(arg, "--silent") == 0) {
        if (!c->fake) {
            snprintf(ans, len, "error: 'suspend --silent' needs the fake OS: start ferryd "
                     "with --os fake");
            return;
        }
        rc = ferry_fake_os_suspend_silently(c->fake);
        if (rc == FERRY_ESTATE) {
            snprintf(ans, len, "error: not suspended (an assertion is held, or already "
                     "suspended)");
            return;
        }
        goto done;
    }
    if (strcmp(line, "lock") == 0 || strcmp(line, "unlock") == 0) {
        /* the phone locks: the glue hears protectedDataWillBecomeUnavailable
         * first, then the files named turn EPERM; unlock the other way */
        int lock = line[0] == 'l';
        char *save = NULL;

        if (!c->fake) {
            snprintf(ans, len, "error: '%s' needs the fake OS: start ferryd with --os fake",
                     line);
            return;
        }
        for (char *name = arg ? strtok_r(arg, " ", &save) : NULL; lock && name;
             name = strtok_r(NULL, " ", &save)) {
            if (ferry_fake_os_protect(c->fake, name) < 0) {
                snprintf(ans, len, "error: too many protected names, or '%.64s' too long",
                         name);
                return;
            }
        }
        if (lock) {
            rc = ferry_host_protected_data(c->srv, 0);
            ferry_fake_os_lock(c->fake, 1);
        } else {
            ferry_fake_os_lock(c->fake, 0);
            rc = ferry_host_protected_data(c->srv, 1);
        }
        goto done;
    }
    if (strcmp(line, "protected-data") == 0) {
        if (!arg || (strcmp(arg, "available") != 0 && strcmp(arg, "unavailable") != 0)) {
            snprintf(ans, len, "error: protected-data takes 'available' or 'unavailable'");
            return;
        }
        rc = ferry_host_protected_data(c->srv, arg[0] == 'a');
        goto done;
    }
    if ((strcmp(line, "suspend") == 0 || strcmp(line, "resume") == 0) && arg && *arg) {
        snprintf(ans, len, "error: %s takes no argument but --silent (suspend)", line);
        return;
    }
    if (strcmp(line, "suspend") == 0 || strcmp(line, "resume") == 0) {
        int suspend = line[0] == 's';

        if (c->fake)
            rc = suspend ? ferry_fake_os_suspend(c->fake) : ferry_fake_os_resume(c->fake);
        else
            rc = ferry_server_post_event(c->srv, suspend ? FERRY_EVENT_WILL_SUSPEND
                                                         : FERRY_EVENT_RESUMED);
        goto done;
    }
    if (strcmp(line, "expire") == 0 || strcmp(line, "advance") == 0 ||
        strcmp(line, "hang") == 0) {
        char *end = NULL;
        unsigned long long ms = 0;

        if (!c->fake) {
            snprintf(ans, len, "error: '%s' needs the fake OS: start ferryd with --os fake", line);
            return;
        }
        if (line[0] == 'e' && arg && *arg) { /* expire ID: that assertion alone */
            errno = 0;
            ms = strtoull(arg, &end, 10);
            if (*end || arg[0] == '-' || errno || ms == 0) {
                snprintf(ans, len, "error: expire takes an assertion id (see status)");
                return;
            }
            rc = ferry_fake_os_expire_id(c->fake, ms);
            goto done;
        }
        if (line[0] == 'e') {
            rc = ferry_fake_os_expire(c->fake);
            goto done;
        }
        errno = 0;
        if (arg)
            ms = strtoull(arg, &end, 10);
        if (!arg || !*arg || *end || arg[0] == '-' || errno || ms > CONTROL_MAX_ADVANCE_MS) {
            snprintf(ans, len, "error: %s needs a number of milliseconds from 0 to %llu "
                     "(a year), e.g. '%s 1000'", line, (unsigned long long)CONTROL_MAX_ADVANCE_MS,
                     line);
            return;
        }
        rc = line[0] == 'h' ? ferry_fake_os_hang(c->fake, ms) : ferry_fake_os_advance(c->fake, ms);
        goto done;
    }
    if (strcmp(line, "pair") == 0 || strcmp(line, "sessions") == 0 ||
        strcmp(line, "revoke") == 0 || strcmp(line, "token") == 0) {
        access_command(c, line, arg, ans, len);
        return;
    }
    if (strcmp(line, "help") == 0) {
        snprintf(ans, len, "ok commands: background foreground expire [ID] suspend "
                 "[--silent] resume terminate network protected-data available|unavailable "
                 "lock [NAME...] unlock "
                 "advance MS hang MS status pair [--read-only] sessions "
                 "revoke ID token create NAME [--read-only] token revoke ID");
        return;
    }
    snprintf(ans, len, "error: unknown command '%.64s' (try 'help')", line);
    return;
done:
    if (rc < 0)
        snprintf(ans, len, "error: %s", ferry_strerror(rc));
    else
        snprintf(ans, len, "ok");
}

/* Serves one client on c->client_fd until it closes. */
static void serve_client(struct control *c)
{
    char buf[LINE_MAX_LEN + 1];
    char *ans = malloc(ANSWER_MAX);
    size_t used = 0;

    if (!ans)
        return;
    for (;;) {
        ssize_t n = read(c->client_fd, buf + used, sizeof buf - 1 - used);
        char *nl;

        if (n <= 0)
            break;
        used += (size_t)n;
        buf[used] = '\0';
        while ((nl = strchr(buf, '\n')) != NULL) {
            size_t alen;

            *nl = '\0';
            if (nl > buf && nl[-1] == '\r')
                nl[-1] = '\0';
            run_command(c, buf, ans, ANSWER_MAX - 1);
            alen = strlen(ans);
            ans[alen++] = '\n';
            if (write(c->client_fd, ans, alen) != (ssize_t)alen)
                goto out;
            used -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, used + 1);
        }
        if (used == sizeof buf - 1) {
            static const char too_long[] = "error: line too long\n";

            (void)!write(c->client_fd, too_long, sizeof too_long - 1);
            break;
        }
    }
out:
    free(ans);
}

/* The control thread: accept, serve, repeat; ends when wake[] is written. */
static void *control_main(void *arg)
{
    struct control *c = arg;
    struct pollfd pfd[2] = {{.fd = c->listen_fd, .events = POLLIN},
                            {.fd = c->wake[0], .events = POLLIN}};

    for (;;) {
        int fd;

        if (poll(pfd, 2, -1) < 0 && errno != EINTR)
            break;
        if (pfd[1].revents)
            break;
        if (!(pfd[0].revents & POLLIN))
            continue;
        fd = compat_accept(c->listen_fd, NULL, NULL, 0);
        if (fd < 0)
            continue;
        dup2(fd, c->client_fd); /* onto the number the fake OS exempts */
        close(fd);
        serve_client(c);
        fd = open("/dev/null", O_RDWR | O_CLOEXEC); /* keep the number reserved */
        if (fd >= 0) {
            dup2(fd, c->client_fd);
            close(fd);
        }
    }
    return NULL;
}

int control_run(struct control *c, ferry_server *srv, ferry_fake_os *fake)
{
    int err;

    c->srv = srv;
    c->fake = fake;
    err = pthread_create(&c->thread, NULL, control_main, c);
    if (err)
        return -err;
    c->started = 1;
    return 0;
}

void control_stop(struct control *c)
{
    if (!c)
        return;
    if (c->started) {
        char b = 1;

        if (write(c->wake[1], &b, 1) < 0)
            pthread_cancel(c->thread);
        pthread_join(c->thread, NULL);
    }
    for (int i = 0; i < 2; i++)
        if (c->wake[i] >= 0)
            close(c->wake[i]);
    if (c->listen_fd >= 0)
        close(c->listen_fd);
    if (c->client_fd >= 0)
        close(c->client_fd);
    if (c->path)
        unlink(c->path);
    free(c->path);
    free(c);
}
