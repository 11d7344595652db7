/*
 * paths.h — every decision about which file a URL may reach is made here.
 *
 * Two steps: paths_decode() turns the raw request path (still
 * percent-encoded, as it came on the wire) into a clean relative path or
 * refuses it; paths_open() opens that path below the root without ever
 * leaving it (openat2 RESOLVE_BENEATH on Linux, a component walk elsewhere).
 */
#ifndef FERRY_PATHS_H
#define FERRY_PATHS_H

#include <stdatomic.h>
#include <stddef.h>

/* Longest decoded relative path accepted (bytes, without the NUL). */
#define PATHS_MAX 4095

enum paths_error {
    PATHS_EBADREQ = -400,  /* malformed: bad %-escape, NUL, backslash,
                              invalid/overlong UTF-8, control char, too long,
                              not starting with '/' */
    PATHS_EFORBIDDEN = -403, /* a ".." or "." segment, or a path that leaves
                                the root through a symlink */
    PATHS_ENOTFOUND = -404,  /* absent, or hidden (dot-file) when hidden files
                                are not shown */
};

struct paths_opts {
    int show_hidden;     /* allow segments that start with '.' */
    int follow_symlinks; /* follow symlinks even when they leave the root */
    int force_walk;      /* tests: use the portable walk even if openat2 works */
    /* Where to remember that openat2 is missing or filtered (ENOSYS or a
     * seccomp EPERM), so that it is asked once: the owner's flag (a
     * ferry_server has one), starting at 0. NULL: asked every time. */
    atomic_int *openat2_missing;
};

/*
 * Decodes `raw` (the request target's path, without the query string) into
 * `out` (outlen bytes), as a relative path without leading or trailing '/'
 * ("" for the root itself). Empty segments ("//") are collapsed. If
 * `trailing_slash` is not NULL it is set to whether raw ended with '/'
 * (so 1 for "/"). Returns the length of out, or a negative paths_error.
 *
 * %XX escapes take either hex case; '+' is a plain '+'. An encoded slash
 * (%2F) is refused with PATHS_EBADREQ: it is never a separator and never
 * part of a name. The decoded bytes must be strict UTF-8 (no overlong forms,
 * surrogates, code points above U+10FFFF or truncated sequences) without
 * NUL, bytes below 0x20, 0x7f or a backslash. The result, including its NUL,
 * must fit in outlen and be at most PATHS_MAX bytes long. When several
 * errors apply, PATHS_EBADREQ wins over PATHS_EFORBIDDEN over
 * PATHS_ENOTFOUND. opts may be NULL (all options off). On error out is ""
 * (if outlen > 0). One pass, no allocation, no state: safe from any thread.
 */
int paths_decode(const char *raw, const struct paths_opts *opts, char *out,
                 size_t outlen, int *trailing_slash);

/*
 * Whether `name` (n bytes) is one of ferry's temporary names in the shared
 * tree: "." NAME ".ferry-copy-" / ".ferry-old-" / ".ferry-part-" and 8
 * lowercase hex digits (a copy being built, an item set aside while it is
 * replaced, an upload being copied across file systems). Such a name is
 * never served, listed, zipped, counted or written by a request, even with
 * show_hidden (paths_decode answers PATHS_ENOTFOUND), so a half-made copy is
 * never visible and the start-up sweep never meets a client's file.
 */
int paths_temp_name(const char *name, size_t n);

/*
 * Opens the relative path `rel` (as made by paths_decode) below the folder
 * `root_fd` with open(2) `flags` (O_CLOEXEC is always added; O_CREAT and
 * O_TMPFILE give -EINVAL). Symlinks are followed only while they stay below
 * the root, unless opts->follow_symlinks; absolute symlink targets, a ".."
 * above the root, more than 40 nested links and loops give
 * PATHS_EFORBIDDEN, as does a rel that starts with '/' or has a "." or ".."
 * segment. A missing entry, a dangling link or a non-directory in the middle
 * gives PATHS_ENOTFOUND. With O_NOFOLLOW in flags a final symlink is not
 * followed (PATHS_EFORBIDDEN, or the link itself with O_PATH). opts may be
 * NULL. root_fd stays the caller's. On success returns 0 and *out_fd is a
 * new fd owned by the caller; otherwise returns a negative paths_error, or
 * -errno for other OS failures (e.g. -EACCES, -ENAMETOOLONG), and *out_fd
 * is -1. The portable walk (no openat2, or opts->force_walk) descends at
 * most 256 directories (-ENAMETOOLONG beyond). Thread-safe.
 */
int paths_open(int root_fd, const char *rel, int flags,
               const struct paths_opts *opts, int *out_fd);

/*
 * Whether a symlink with target `target` (as readlink(2) gives it, NUL-
 * terminated) stays inside the root when it sits in a folder `depth` levels
 * below the root (0: the root itself; physical levels, as ".." climbs them).
 * Returns 1 when the target is relative and all its ".." segments come
 * first and are at most `depth` (so that neither the text nor the kernel
 * takes it above the root from there), 0 otherwise: an absolute target (a
 * link that leaves, or that only --follow-symlinks follows), more ".."
 * than depth, or a ".." after a name ("a/.." is not the link's own folder
 * when "a" is a symlink, so it cannot be judged from the text). Empty and
 * "." segments count for nothing; NULL gives 0. Pure: MOVE and COPY use it
 * for every link they put in a new place, through paths_link_movable().
 */
int paths_link_stays_inside(const char *target, size_t depth);

/*
 * Whether MOVE or COPY may put a symlink with `target` into a folder
 * `depth` levels below the root: 1 when it stays inside from there
 * (paths_link_stays_inside()) or its target is absolute — an absolute link
 * points at the same place from any folder, so moving it changes nothing
 * it reaches (without --follow-symlinks it is never followed at all) —
 * else 0. Pure.
 */
int paths_link_movable(const char *target, size_t depth);

#endif
