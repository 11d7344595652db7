/*
 * zip-select.h — a selection of items of one folder, to be answered as one
 * zip (POST or GET /folder/?download=zip with name=... fields; the stream
 * itself is share/zip.c's): the form's fields decoded and checked by the
 * same rules as a URL path (share/paths.c), each item found below the
 * folder without following a link, and the archive's size estimated.
 */
#ifndef FERRY_ZIP_SELECT_H
#define FERRY_ZIP_SELECT_H

#include <stddef.h>
#include <stdint.h>

struct paths_opts;

#define ZIP_SELECT_MAX 10000            /* most names one selection holds */
#define ZIP_SELECT_BODY_MAX (1 << 20)   /* largest form body read (413 past it) */
#define ZIP_SELECT_TICKET_MAX 32        /* as ZIP_TICKET_MAX */

struct zip_selection {
    char **names;   /* decoded relative paths below the folder, each without
                       a leading or trailing '/', sorted so that an item
                       follows the folder that holds it; owned */
    size_t n;
    uint64_t estimate; /* about the archive's size (0: unknown) */
    char ticket[ZIP_SELECT_TICKET_MAX + 1]; /* the form's ticket, or "" */
    char bad[256];     /* the first refused name, as sent (for the error) */
};

/* Errors of zip_select_add() / zip_select_check(): negative, and apart from
 * the paths_error codes, which they also return. */
enum {
    ZIPSEL_ETOOMANY = -200, /* more than ZIP_SELECT_MAX names */
    ZIPSEL_EEMPTY = -201,   /* no name at all, or an empty one */
};

/* A new empty selection (calloc'd), or NULL. Free with zip_selection_free(). */
struct zip_selection *zip_selection_new(void);

/* Frees s and everything it owns. Accepts NULL. */
void zip_selection_free(struct zip_selection *s);

/*
 * Adds the field `key`=`value` (each n bytes, still form-encoded: '+' is a
 * space, %XX a byte) to s: "name" is decoded and checked as a URL path below
 * the folder is (paths_decode with opts: bad escapes, NUL, control bytes,
 * backslashes, %2F, invalid UTF-8 → PATHS_EBADREQ; "." or ".." segments →
 * PATHS_EFORBIDDEN; dot-files without opts->show_hidden and ferry's
 * temporary names → PATHS_ENOTFOUND) and kept; "ticket" is kept when it is
 * 1-32 characters of [A-Za-z0-9_-] (else ignored); other keys are ignored.
 * Returns 0 or a negative error (s->bad then holds the name as sent).
 */
int zip_select_add(struct zip_selection *s, const char *key, size_t klen, const char *value,
                   size_t vlen, const struct paths_opts *opts);

/*
 * Adds every field of an application/x-www-form-urlencoded body of len bytes
 * (fields split at '&', key and value at the first '=') with
 * zip_select_add(). Returns 0 or its first error.
 */
int zip_select_parse_form(struct zip_selection *s, const char *body, size_t len,
                          const struct paths_opts *opts);

/*
 * Sorts s->names, drops duplicates and names below another selected one
 * (their folder brings them), and checks that each is there below the folder
 * open at dir_fd (stays the caller's), found one name at a time without
 * following a link: PATHS_ENOTFOUND (s->bad set) when one is missing or a
 * name in its middle is not a folder. An item that is a link, FIFO, socket
 * or device is kept, and left out of the archive as a folder's would be.
 * Sets s->estimate by the zip's rule (tree_size for folders). Returns 0,
 * ZIPSEL_EEMPTY when s holds no name, or a negative error.
 */
int zip_select_check(struct zip_selection *s, int dir_fd, int show_hidden);

/*
 * Opens the relative path `rel` below the folder dir_fd (stays the
 * caller's) one name at a time with O_NOFOLLOW (the folders in its middle
 * with O_DIRECTORY), so that no link is followed. Returns a new fd (the
 * caller's) opened O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW, or
 * -errno (-ELOOP for a link).
 */
int zip_select_open(int dir_fd, const char *rel);

#endif
