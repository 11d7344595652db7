/*
 * ferryctl.c — sends one command to a running ferryd's control socket and
 * prints the answer.
 *
 *   ferryctl [-s SOCKET] COMMAND [ARG]
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

static const char usage[] =
    "Usage: ferryctl [-s SOCKET] COMMAND [ARG]\n"
    "Commands: background foreground expire suspend resume terminate network\n"
    "          advance MS hang MS status help\n"
    "SOCKET defaults to $FERRY_CONTROL (ferryd --control PATH).\n";

int main(int argc, char **argv)
{
    const char *path = getenv("FERRY_CONTROL");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char line[512], answer[8192];
    size_t used = 0;
    int i = 1, fd, n;

    if (argc > 2 && strcmp(argv[1], "-s") == 0) {
        path = argv[2];
        i = 3;
    }
    if (i >= argc || i + 2 < argc || strcmp(argv[i], "-h") == 0 ||
        strcmp(argv[i], "--help") == 0) {
        fputs(usage, i < argc ? stdout : stderr);
        return i < argc ? 0 : 2;
    }
    if (!path || strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "ferryctl: no control socket: give -s PATH or set FERRY_CONTROL\n");
        return 2;
    }
    n = snprintf(line, sizeof line, "%s%s%s\n", argv[i], i + 1 < argc ? " " : "",
                 i + 1 < argc ? argv[i + 1] : "");
    if (n < 0 || (size_t)n >= sizeof line) {
        fprintf(stderr, "ferryctl: command too long\n");
        return 2;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, "ferryctl: cannot reach ferryd at %s: %s (is it running with "
                "--control %s?)\n", path, strerror(errno), path);
        return 1;
    }
    if (write(fd, line, (size_t)n) != n) {
        fprintf(stderr, "ferryctl: cannot send to %s: %s\n", path, strerror(errno));
        return 1;
    }
    while (used < sizeof answer - 1) {
        ssize_t r = read(fd, answer + used, sizeof answer - 1 - used);

        if (r <= 0)
            break;
        used += (size_t)r;
        if (memchr(answer, '\n', used))
            break;
    }
    close(fd);
    answer[used] = '\0';
    if (!used) {
        fprintf(stderr, "ferryctl: ferryd closed the connection without an answer\n");
        return 1;
    }
    fputs(answer, strncmp(answer, "ok", 2) == 0 ? stdout : stderr);
    return strncmp(answer, "ok", 2) == 0 ? 0 : 1;
}
