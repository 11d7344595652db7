/*
 * httpdate.h — HTTP dates (RFC 9110 §5.6.7): formatting IMF-fixdate and
 * parsing the three accepted forms (IMF-fixdate, RFC 850, asctime).
 *
 * Pure and thread-safe: no locale, no time zone, no static buffers. The one
 * exception: an RFC 850 date's two-digit year is read against the clock.
 */
#ifndef FERRY_HTTPDATE_H
#define FERRY_HTTPDATE_H

#include <stddef.h>
#include <time.h>

#define HTTPDATE_LEN 30 /* "Sun, 06 Nov 1994 08:49:37 GMT" + NUL */

/* Writes t (seconds since the epoch, UTC) as IMF-fixdate into buf, which
 * holds at least HTTPDATE_LEN bytes; t outside the years 0000..9999 is
 * clamped to them. Returns buf. */
char *httpdate_format(time_t t, char buf[HTTPDATE_LEN]);

/* Parses an HTTP date. Returns 0 and sets *out, or -1 if `s` is not a valid
 * date in one of the three forms (a caller then ignores the header). */
int httpdate_parse(const char *s, time_t *out);

#endif
