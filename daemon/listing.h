/*
 * listing.h — directory listings as JSON (jansson) or as a plain HTML page
 * that works without JavaScript.
 */
#ifndef FERRY_LISTING_H
#define FERRY_LISTING_H

#include <stddef.h>

enum listing_format { LISTING_HTML, LISTING_JSON };

struct listing_opts {
    int show_hidden; /* include entries whose name starts with '.' */
};

/*
 * Reads the folder open at `dir_fd` (borrowed; not closed, its offset is not
 * used) and renders it. `url_path` is the folder's decoded URL path with a
 * leading and trailing '/' (e.g. "/photos/2024/"), used for the title,
 * breadcrumbs and links; links are percent-encoded. Entries are sorted
 * folders first, then by name (case-insensitively, then bytewise). Entries
 * whose names are not valid UTF-8 are left out; entries that cannot be
 * stat()ed are left out.
 *
 * JSON: {"path": "/a/", "entries": [{"name", "type": "file"|"dir",
 * "size" (bytes, files only), "mtime" (seconds since the epoch),
 * "href" (percent-encoded absolute link, folders end in '/')}]}.
 *
 * On success returns 0 and *body (malloc'd, owned by the caller) holds *len
 * bytes, NUL-terminated. Returns -errno on failure, *body is then NULL.
 */
int listing_render(int dir_fd, const char *url_path, enum listing_format fmt,
                   const struct listing_opts *opts, char **body, size_t *len);

/*
 * Percent-encodes `in` for use in a URL path: every byte outside
 * RFC 3986 unreserved and '/' is escaped. Returns a malloc'd string or NULL.
 */
char *listing_url_escape(const char *in);

#endif
