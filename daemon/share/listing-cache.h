/*
 * listing-cache.h — rendered folder listings kept for a moment, so that a
 * burst of requests for a large folder stats its entries once, not once per
 * request (as lighttpd's stat cache and nginx's open_file_cache do).
 *
 * An entry is used only while the folder's identity and its mtime/ctime are
 * unchanged (a file added, removed or renamed changes them) and for at most
 * ttl_ms after rendering: a file changed in place (new size or mtime, same
 * name) shows up at most that late. Thread-safe.
 */
#ifndef FERRY_LISTING_CACHE_H
#define FERRY_LISTING_CACHE_H

#include <stddef.h>
#include <sys/stat.h>

struct listing_cache;

/*
 * Creates a cache of at most max_entries listings and max_bytes of bodies,
 * each valid ttl_ms. Returns NULL when out of memory.
 */
struct listing_cache *listing_cache_new(size_t max_entries, size_t max_bytes,
                                        unsigned ttl_ms);

/* Frees it. Accepts NULL. */
void listing_cache_free(struct listing_cache *c);

/*
 * Looks up the listing of the folder whose fstat() is *dir for `url_path`
 * in `format` (a listing_format). On a fresh hit returns a malloc'd copy of
 * the body (owned by the caller) and sets *len; otherwise NULL.
 */
char *listing_cache_get(struct listing_cache *c, const struct stat *dir,
                        const char *url_path, int format, size_t *len);

/*
 * Stores a copy of body[0..len) for that folder, URL path and format,
 * replacing an older one and evicting the oldest entries as needed. A body
 * larger than max_bytes is not stored. Never fails (a failed allocation
 * just stores nothing).
 */
void listing_cache_put(struct listing_cache *c, const struct stat *dir,
                       const char *url_path, int format, const char *body,
                       size_t len);

#endif
