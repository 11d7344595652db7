/*
 * ferryctl.c — sends one command to a running ferryd's control socket and
 * prints the answer.
 *
 *   ferryctl [-s SOCKET] COMMAND [ARG...]
 *
 * The socket is -s, else $FERRY_CONTROL. Exit status: 0 when ferryd answered
 * "ok", 1 when it answered an error or cannot be reached, 2 on usage errors.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "compat.h"
#include "control.h"

/* Longest answer read (ferryd's control.c answers at most this much). */
#define ANSWER_MAX (1024 * 1024)

static const char usage[] =
    "Usage: ferryctl [-s SOCKET] COMMAND [ARG...]\n"
    "Commands: background foreground expire [ID] suspend [--silent] resume\n"
    "          terminate network protected-data available|unavailable\n"
    "          advance MS hang MS status help\n"
    "          lock [NAME...] unlock   (fake OS: files named NAME turn EPERM)\n"
    "          (suspend --silent: as iOS, no event; listeners turn defunct)\n"
    "Access:   pair [--read-only]          print a new one-time pairing URL\n"
    "          sessions                    list sessions and tokens (JSON)\n"
    "          revoke ID                   end a session or token\n"
    "          token create NAME [--read-only]  print a new bearer token: ID SECRET\n"
    "          token revoke ID\n"
    "SOCKET defaults to $FERRY_CONTROL (ferryd --control PATH), else the socket\n"
    "ferryd makes in its default state folder: $XDG_STATE_HOME/ferry/control.sock\n"
    "or ~/.local/state/ferry/control.sock (give -s for another --state-dir).\n";

/* The control socket of a ferryd using the default state folder, into buf.
 * Returns 0, or -1 when neither XDG_STATE_HOME nor HOME is set. */
static int default_socket(char *buf, size_t len)
{
    const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");

    if (xdg && xdg[0] == '/')
        snprintf(buf, len, "%s/ferry/" FERRY_CONTROL_NAME, xdg);
    else if (home && home[0])
        snprintf(buf, len, "%s/.local/state/ferry/" FERRY_CONTROL_NAME, home);
    else
        return -1;
    return 0;
}

/* Reads one answer line (up to ANSWER_MAX bytes) from fd into a new
 * NUL-terminated buffer. Returns it, or NULL when nothing came (or out of
 * memory). */
static char *read_answer(int fd)
{
    char *answer = malloc(ANSWER_MAX);
    size_t used = 0;

    if (!answer)
        return NULL;
    while (used < ANSWER_MAX - 1) {
        ssize_t r = read(fd, answer + used, ANSWER_MAX - 1 - used);

        if (r <= 0)
            break;
        used += (size_t)r;
        if (memchr(answer + used - (size_t)r, '\n', (size_t)r))
            break;
    }
    if (!used) {
        free(answer);
        return NULL;
    }
    answer[used] = '\0';
    return answer;
}

int main(int argc, char **argv)
{
    const char *path = getenv("FERRY_CONTROL");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char line[512], fallback[sizeof sa.sun_path + 64], *answer;
    int i = 1, fd, n, ok;

    if (!path && default_socket(fallback, sizeof fallback) == 0)
        path = fallback;
    if (argc > 2 && strcmp(argv[1], "-s") == 0) {
        path = argv[2];
        i = 3;
    }
    if (i >= argc || strcmp(argv[i], "-h") == 0 ||
        strcmp(argv[i], "--help") == 0) {
        fputs(usage, i < argc ? stdout : stderr);
        return i < argc ? 0 : 2;
    }
    if (!path || strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "ferryctl: no control socket: give -s PATH or set FERRY_CONTROL\n");
        return 2;
    }
    n = 0;
    for (int k = i; k < argc && n >= 0 && (size_t)n < sizeof line; k++)
        n += snprintf(line + n, sizeof line - (size_t)n, "%s%s", k > i ? " " : "", argv[k]);
    if (n >= 0 && (size_t)n + 1 < sizeof line)
        line[n++] = '\n', line[n] = '\0';
    else
        n = -1;
    if (n < 0 || (size_t)n >= sizeof line || strpbrk(line, "\n") != line + n - 1) {
        fprintf(stderr, "ferryctl: command too long\n");
        return 2;
    }
    strcpy(sa.sun_path, path);
    fd = compat_socket_cloexec(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, "ferryctl: cannot reach ferryd at %s: %s (is it running with "
                "--control %s?)\n", path, strerror(errno), path);
        return 1;
    }
    if (write(fd, line, (size_t)n) != n) {
        fprintf(stderr, "ferryctl: cannot send to %s: %s\n", path, strerror(errno));
        return 1;
    }
    answer = read_answer(fd);
    close(fd);
    if (!answer) {
        fprintf(stderr, "ferryctl: ferryd closed the connection without an answer\n");
        return 1;
    }
    ok = strncmp(answer, "ok", 2) == 0;
    fputs(answer, ok ? stdout : stderr);
    free(answer);
    return ok ? 0 : 1;
}
