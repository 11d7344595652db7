/*
 * mhd-compat.h — what differs between libmicrohttpd 0.9.75 (Debian 12) and
 * 1.0.x (Debian 13, app builds), in one place.
 *
 *   - A 304 built from an empty response gets "Content-Length: 0" from
 *     libmicrohttpd itself; RFC 9110 §8.6 allows none or the 200's length,
 *     so a cache may take the 0 for the representation's length. From
 *     0.9.77 (0x00097701) on, MHD_RF_HEAD_ONLY_RESPONSE turns that off;
 *     0.9.75 cannot be told (README, Known warts).
 * (The polling mode is chosen by what the library was built with, not by
 * its version: server.c asks MHD_is_feature_supported(MHD_FEATURE_EPOLL).)
 */
#ifndef FERRY_MHD_COMPAT_H
#define FERRY_MHD_COMPAT_H

#include <microhttpd.h>

/* The empty response of a 304 (NULL when out of memory): no Content-Length
 * where the library allows it. */
static inline struct MHD_Response *mhd_compat_response_304(void)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);

#if MHD_VERSION >= 0x00097701
    if (r)
        MHD_set_response_options(r, MHD_RF_HEAD_ONLY_RESPONSE, MHD_RO_END);
#endif
    return r;
}

#endif
