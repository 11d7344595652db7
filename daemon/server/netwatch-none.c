/*
 * netwatch-none.c — no address watcher on this host (see netwatch.h): the
 * embedding app posts FERRY_EVENT_NETWORK_CHANGED itself.
 */
#include "config.h"

#include <stddef.h>

#include "netwatch.h"

int netwatch_start(struct ferry_server *srv, struct netwatch **out)
{
    *out = NULL;
    return 0;
}

void netwatch_stop(struct netwatch *w)
{
}
