/*
 * dav-if.h — the WebDAV If: request header (RFC 4918 §10.4): parsed into
 * lists of conditions, and evaluated against resources' lock tokens and
 * ETags.
 *
 *   If: (<opaquelocktoken:a> ["etag"]) (Not <DAV:no-lock>)        untagged
 *   If: <http://h/x> (<opaquelocktoken:a>) </y> (["etag"])        tagged
 *
 * Pure apart from the parse's one allocation; thread-safe per struct.
 */
#ifndef FERRY_DAV_IF_H
#define FERRY_DAV_IF_H

#include <stddef.h>

#define DAV_IF_HEADER_MAX 8192 /* longer headers are refused */
#define DAV_IF_CONDS_MAX 64    /* conditions in one header */
#define DAV_IF_LISTS_MAX 32    /* lists in one header */

struct dav_if_cond {
    int not;          /* "Not" before it */
    int etag;         /* 1: an entity tag ("[...]"), 0: a state token ("<...>") */
    const char *text; /* the token's URI without <>, or the tag with its
                         quotes (and W/ if weak) without []; points into
                         the parsed copy */
};

struct dav_if_list {
    const char *tag; /* the Resource-Tag's reference without <> (an absolute
                        URI or a path, as sent), or NULL for a list that
                        applies to the request's own resource */
    size_t first, n; /* its conditions: conds[first .. first+n-1], n >= 1 */
};

struct dav_if {
    char *copy; /* the header, cut up; owned */
    struct dav_if_cond conds[DAV_IF_CONDS_MAX];
    size_t nconds;
    struct dav_if_list lists[DAV_IF_LISTS_MAX];
    size_t nlists;
};

/*
 * Parses the header value. Returns 0 (h then owns a copy: dav_if_free()),
 * -EINVAL for a value that does not follow the grammar (answer 400), -E2BIG
 * past a limit (400), -ENOMEM. A header mixing tagged and untagged lists is
 * refused. On failure h needs no freeing.
 */
int dav_if_parse(const char *value, struct dav_if *h);

void dav_if_free(struct dav_if *h);

/* What the evaluation needs to know about one resource. */
struct dav_if_state {
    int exists;                /* 0: no ETag and no tokens match */
    const char *etag;          /* its strong ETag with quotes, or NULL */
    const char *const *tokens; /* lock tokens of the locks covering it */
    size_t ntokens;
};

/*
 * Asked for the state of a resource: `tag` is a list's Resource-Tag as
 * sent, or NULL for the request's resource. Fills *st (pointers must stay
 * valid until the next call). Returns 0, or -1 when the tag names no
 * resource of this server (that list is then false).
 */
typedef int (*dav_if_state_fn)(void *cls, const char *tag, struct dav_if_state *st);

/*
 * Evaluates the header: true when at least one list is true; a list is
 * true when all its conditions are; a state token is true when it is one of
 * the resource's lock tokens, an entity tag when it equals the resource's
 * ETag (weak tags never match), each inverted by Not. Returns 1 (true) or
 * 0 (false: 412 Precondition Failed).
 */
int dav_if_eval(const struct dav_if *h, dav_if_state_fn fn, void *cls);

/*
 * Whether the header submits `token` (RFC 4918 §10.4.1): it appears
 * anywhere in it without Not, in a tagged list or not. 1 or 0. Callers
 * evaluate the header first; a lock is honoured only when both hold.
 */
int dav_if_submits(const struct dav_if *h, const char *token);

/*
 * The path part of a Resource-Tag: for "http://host:port/a/b" or "/a/b"
 * writes "/a/b" (still percent-encoded) to out. Returns 0, or -EINVAL for a
 * tag with neither a path nor an http(s) scheme, -ENAMETOOLONG.
 */
int dav_if_tag_path(const char *tag, char *out, size_t outlen);

#endif
