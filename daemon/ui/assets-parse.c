/*
 * assets-parse.c — the two request headers the UI's files depend on
 * (assets.h): Accept-Encoding (gzip or not) and If-None-Match (304 or not).
 * Pure functions of their strings, linked alone into tests/fuzz/fuzz_assets.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "assets-parse.h"

int assets_accepts_gzip(const char *ae)
{
    const char *p = ae;

    while (p && *p) {
        size_t n;

        p += strspn(p, " \t,");
        n = strcspn(p, ",; \t");
        if ((n == 4 && strncasecmp(p, "gzip", 4) == 0) || (n == 1 && *p == '*')) {
            const char *end = p + strcspn(p, ",");
            const char *q = p + n;

            /* ";q=0", ";q=0.0", ... refuse it */
            while (q < end && (q = strchr(q, ';')) && q < end) {
                q++;
                q += strspn(q, " \t");
                if ((q[0] == 'q' || q[0] == 'Q') && q[1] == '=')
                    return strtod(q + 2, NULL) > 0;
            }
            return 1;
        }
        p = strchr(p, ',');
    }
    return 0;
}

int assets_etag_listed(const char *inm, const char *etag)
{
    size_t n = strlen(etag);

    if (!inm)
        return 0;
    for (const char *p = inm; *p;) {
        p += strspn(p, " \t,");
        if (*p == '*')
            return 1;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        if (strncmp(p, etag, n) == 0)
            return 1;
        p += strcspn(p, ",");
    }
    return 0;
}
