/*
 * assets-parse.h — header parsers for the embedded UI (daemon/ui/assets.c).
 * Both read a NUL-terminated header value and never write.
 */
#ifndef FERRY_ASSETS_PARSE_H
#define FERRY_ASSETS_PARSE_H

/* Nonzero when an Accept-Encoding value accepts gzip ("gzip" or "*" with a
 * q that is not 0). */
int assets_accepts_gzip(const char *accept_encoding);

/* Nonzero when an If-None-Match value lists `etag` (quoted, strong; a W/
 * prefix is ignored, as weak comparison wants) or is "*". NULL: 0. */
int assets_etag_listed(const char *if_none_match, const char *etag);

#endif
