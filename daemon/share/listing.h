/*
 * listing.h — directory listings as JSON (jansson) or as a plain HTML page
 * that works without JavaScript.
 */
#ifndef FERRY_LISTING_H
#define FERRY_LISTING_H

#include <stddef.h>

enum listing_format { LISTING_HTML, LISTING_JSON };

struct paths_opts;

struct listing_opts {
    int show_hidden; /* include entries whose name starts with '.' */
    /* Where symlinks may lead: with `paths`, a symlink in the folder
     * (whose path below the root_fd folder is `rel`, "" or NULL for the
     * root) is listed only when paths_open(root_fd, rel/name, ..., paths)
     * opens it — so never one that leaves the root unless
     * paths->follow_symlinks — and shows what that opens. paths NULL (or
     * opts NULL): every symlink is followed wherever it leads. root_fd
     * stays the caller's. */
    int root_fd;
    const char *rel;
    const struct paths_opts *paths;
};

/*
 * Reads the folder open at `dir_fd` (borrowed; not closed, its offset is not
 * used) and renders it. `url_path` is the folder's decoded URL path with a
 * leading and trailing '/' (e.g. "/photos/2024/"), used for the title,
 * breadcrumbs and links; links are percent-encoded. Entries are sorted
 * folders first, then by name (case-insensitively, then bytewise). Entries
 * whose names could not be requested back (not valid UTF-8, or holding a
 * control character or a backslash) are left out; entries that cannot be
 * stat()ed are left out. Symlinks are followed (a symlink is listed as what
 * it points to) as far as opts allows (see struct listing_opts): one that
 * GET would refuse is left out, so that nothing about a file outside the
 * shared folder shows (its size, its date); entries that are neither regular files nor folders (fifos,
 * sockets, devices) are left out. "." and ".." never appear; other names
 * starting with '.' only with opts->show_hidden. `opts` may be NULL for the
 * defaults.
 *
 * HTML: a standalone page (no scripts, no external resources) with
 * breadcrumbs, a link to the parent folder (except at "/"), one table row
 * per entry (folders end in '/', sizes in binary units with the exact byte
 * count in a title attribute, mtimes as "YYYY-MM-DD HH:MM" UTC) and an
 * explicit row for an empty folder. Every name is HTML-escaped. After the
 * table, the JSON below in <script type="application/json"
 * id="ferry-listing"> (a data block, never run; each '<' written \u003c),
 * so that the browser UI needs no second fetch of the folder.
 *
 * JSON: {"path": "/a/", "entries": [{"name", "type": "file"|"dir",
 * "size" (bytes, files only), "mtime" (seconds since the epoch),
 * "href" (percent-encoded absolute link, folders end in '/')}]}.
 *
 * On success returns 0 and *body (malloc'd, owned by the caller) holds *len
 * bytes, NUL-terminated. Returns -errno on failure, *body is then NULL and
 * *len 0: -EINVAL for a NULL body/len/url_path, a url_path that does not
 * start and end with '/' or is not valid UTF-8, or an unknown fmt; -ENOMEM;
 * or what opening or reading the folder failed with (-EBADF, -ENOTDIR,
 * -EACCES, ...). Thread-safe: no state outside the call.
 */
int listing_render(int dir_fd, const char *url_path, enum listing_format fmt,
                   const struct listing_opts *opts, char **body, size_t *len);

/*
 * Returns 1 when the n bytes at `name` (one folder entry's name) could be
 * requested back through paths_decode(): valid UTF-8 under RFC 3629 without
 * control characters or backslashes; 0 otherwise. The listing leaves other
 * names out, and so does the zip download (daemon/share/zip.c). Pure.
 */
int listing_name_servable(const char *name, size_t n);

/*
 * Percent-encodes `in` for use in a URL path: every byte outside
 * RFC 3986 unreserved and '/' is escaped, as %XX with uppercase hex.
 * Returns a malloc'd string owned by the caller, or NULL with errno set
 * (EINVAL for a NULL `in`, ENOMEM).
 */
char *listing_url_escape(const char *in);

#endif
