/*
 * discovery-none.c — the discovery backend of builds without mDNS: nothing
 * is advertised, and the status says so.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "discovery.h"
#include "ferry.h"

struct disc {
    int unused;
};

const char *disc_backend(void)
{
    return "none";
}

int disc_new(struct ferry_server *srv, const struct disc_info *info, struct disc **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : FERRY_ENOMEM;
}

int disc_update(struct disc *d, const struct disc_info *info)
{
    return 0;
}

void disc_withdraw(struct disc *d)
{
}

void disc_publish(struct disc *d)
{
}

enum disc_state disc_status(struct disc *d, char *name, size_t len)
{
    if (len)
        name[0] = '\0';
    return DISC_OFF;
}

void disc_free(struct disc *d)
{
    free(d);
}
