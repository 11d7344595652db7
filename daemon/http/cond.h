/*
 * cond.h — evaluation of conditional requests (RFC 9110 §13) for one
 * representation: If-Match, If-None-Match, If-Modified-Since,
 * If-Unmodified-Since, in the order of §13.2.2, and If-Range.
 *
 * Pure: the caller passes header values (NULL when absent) and the
 * representation's validators.
 */
#ifndef FERRY_COND_H
#define FERRY_COND_H

#include <sys/stat.h>
#include <time.h>

struct cond_headers {
    const char *if_match;
    const char *if_none_match;
    const char *if_modified_since;
    const char *if_unmodified_since;
    const char *if_range;
};

/* What the server knows of the selected representation. */
struct cond_validators {
    const char *etag; /* strong entity tag including quotes, e.g. "\"a-b-c\"" */
    time_t mtime;     /* Last-Modified, seconds */
};

/* Room for the tag cond_etag() writes, with its quotes and NUL. */
#define COND_ETAG_MAX 64

/*
 * Writes the strong ETag of a file, "\"<inode>-<size>-<mtime ns>\"" in hex,
 * from its stat into buf. The same file gives the same tag for downloads
 * (daemon/share/files.c) and for If-Match on uploads (daemon/uploads/upload-put.c).
 */
void cond_etag(const struct stat *st, char buf[COND_ETAG_MAX]);

enum cond_result {
    COND_PROCEED = 200,            /* evaluate Range, then serve */
    COND_NOT_MODIFIED = 304,       /* only for GET and HEAD */
    COND_PRECONDITION_FAILED = 412,
};

/*
 * Evaluates the preconditions for a request with method `is_get_or_head`
 * (non-zero for GET/HEAD). Returns a cond_result. If-Match uses the strong
 * comparison, If-None-Match the weak one; "*" matches any existing
 * representation; malformed dates are ignored as the RFC requires.
 */
enum cond_result cond_evaluate(const struct cond_headers *h,
                               const struct cond_validators *v,
                               int is_get_or_head);

/*
 * If-Range (§13.1.5): returns non-zero when the Range header should be
 * honoured — If-Range absent, or it names the current strong ETag, or it is a
 * date exactly equal to mtime. Returns 0 when the full representation must be
 * sent instead. A weak ETag in If-Range never matches.
 */
int cond_if_range_allows(const struct cond_headers *h,
                         const struct cond_validators *v);

#endif
