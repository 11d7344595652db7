/*
 * discovery.c — the parts of discovery that every backend shares: state
 * names and the default service name.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "discovery.h"

const char *disc_state_name(enum disc_state st)
{
    static const char *const names[] = {
        [DISC_OFF] = "off",             [DISC_CONNECTING] = "connecting",
        [DISC_REGISTERING] = "registering", [DISC_PUBLISHED] = "published",
        [DISC_WITHDRAWN] = "withdrawn", [DISC_FAILED] = "failed",
    };

    return (unsigned)st < sizeof names / sizeof *names ? names[st] : "?";
}

void disc_default_name(char *buf, size_t len)
{
    char host[256] = "";
    char *dot;

    if (gethostname(host, sizeof host - 1) < 0 || !host[0])
        snprintf(host, sizeof host, "this device");
    dot = strchr(host, '.');
    if (dot)
        *dot = '\0';
    snprintf(buf, len, "Files on %s", host);
}
