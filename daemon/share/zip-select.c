/*
 * zip-select.c — a selection of items of one folder for one zip download:
 * the form decoded and checked name by name (share/paths.c's rules), the
 * names sorted and pruned, each found below the folder without following a
 * link, and the archive's size estimated. The stream is share/zip.c's.
 *
 * Ownership: a struct zip_selection owns its names; the zip stream that
 * takes one frees it (zip_selection_free) with itself.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "tree-size.h"
#include "zip-select.h"

#define ENTRY_OVERHEAD 160 /* as share/zip.c's estimate */

struct zip_selection *zip_selection_new(void)
{
    return calloc(1, sizeof(struct zip_selection));
}

void zip_selection_free(struct zip_selection *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->names[i]);
    free(s->names);
    free(s);
}

/* Keeps the first refused name, as sent, for the error answer. */
static void note_bad(struct zip_selection *s, const char *v, size_t n)
{
    if (s->bad[0])
        return;
    if (n > sizeof s->bad - 1)
        n = sizeof s->bad - 1;
    memcpy(s->bad, v, n);
    s->bad[n] = '\0';
    for (char *p = s->bad; *p; p++) /* it goes into a text answer and a log */
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
}

static int key_is(const char *key, size_t klen, const char *want)
{
    return klen == strlen(want) && memcmp(key, want, klen) == 0;
}

int zip_select_add(struct zip_selection *s, const char *key, size_t klen, const char *value,
                   size_t vlen, const struct paths_opts *opts)
{
    char *raw, *rel, **grown;
    size_t o = 0;
    int rc;

    if (key_is(key, klen, "ticket")) {
        size_t n = 0;

        while (n < vlen && strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789_-", value[n]) && value[n])
            n++;
        if (n == vlen && n >= 1 && n <= ZIP_SELECT_TICKET_MAX) {
            memcpy(s->ticket, value, n);
            s->ticket[n] = '\0';
        }
        return 0;
    }
    if (!key_is(key, klen, "name"))
        return 0;
    if (s->n >= ZIP_SELECT_MAX) {
        note_bad(s, value, vlen);
        return ZIPSEL_ETOOMANY;
    }
    if (vlen == 0) {
        note_bad(s, value, vlen);
        return ZIPSEL_EEMPTY;
    }
    if (vlen > 3 * PATHS_MAX) {
        note_bad(s, value, vlen);
        return PATHS_EBADREQ;
    }
    /* "/" + the value with each '+' as "%20" and "%2F" as '/': a URL path
     * for paths_decode */
    raw = malloc(3 * vlen + 2);
    rel = malloc(PATHS_MAX + 1);
    if (!raw || !rel) {
        free(raw);
        free(rel);
        return -ENOMEM;
    }
    raw[o++] = '/';
    for (size_t i = 0; i < vlen; i++) {
        if (value[i] == '%' && i + 2 < vlen && value[i + 1] == '2' &&
            (value[i + 2] == 'F' || value[i + 2] == 'f')) {
            raw[o++] = '/'; /* in a form, "a%2Fb" is the path a/b */
            i += 2;
        } else if (value[i] == '+') {
            memcpy(raw + o, "%20", 3);
            o += 3;
        } else if (value[i] == '\0') {
            memcpy(raw + o, "%00", 3); /* refused by paths_decode */
            o += 3;
        } else {
            raw[o++] = value[i];
        }
    }
    raw[o] = '\0';
    rc = paths_decode(raw, opts, rel, PATHS_MAX + 1, NULL);
    free(raw);
    if (rc == 0)
        rc = ZIPSEL_EEMPTY; /* "/" or "%2E"-free nothing: the folder itself */
    if (rc < 0) {
        free(rel);
        note_bad(s, value, vlen);
        return rc;
    }
    grown = realloc(s->names, (s->n + 1) * sizeof *grown);
    if (!grown) {
        free(rel);
        return -ENOMEM;
    }
    s->names = grown;
    s->names[s->n++] = rel;
    return 0;
}

int zip_select_parse_form(struct zip_selection *s, const char *body, size_t len,
                          const struct paths_opts *opts)
{
    size_t at = 0;

    while (at < len) {
        const char *f = body + at, *amp = memchr(f, '&', len - at), *eq;
        size_t flen = amp ? (size_t)(amp - f) : len - at;
        int rc;

        at += flen + 1;
        if (flen == 0)
            continue;
        eq = memchr(f, '=', flen);
        if (!eq)
            rc = zip_select_add(s, f, flen, "", 0, opts);
        else
            rc = zip_select_add(s, f, (size_t)(eq - f), eq + 1, flen - (size_t)(eq - f) - 1,
                                opts);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* strcmp with '/' below every other byte, so that "a/b" sorts right after
 * "a" (before "a b"), and what a folder holds follows it. */
static int cmp_names(const void *x, const void *y)
{
    const unsigned char *a = *(const unsigned char *const *)x;
    const unsigned char *b = *(const unsigned char *const *)y;

    for (; *a && *a == *b; a++, b++)
        ;
    if (*a == *b)
        return 0;
    if (*a == '/')
        return *b ? -1 : 1;
    if (*b == '/')
        return *a ? 1 : -1;
    return *a < *b ? -1 : 1;
}

int zip_select_open(int dir_fd, const char *rel)
{
    int fd = dup(dir_fd);

    if (fd < 0)
        return -errno;
    for (;;) {
        char name[NAME_MAX + 1];
        size_t n = strcspn(rel, "/");
        int last = rel[n] == '\0', next;

        if (n == 0 || n > NAME_MAX) {
            close(fd);
            return -ENOENT;
        }
        memcpy(name, rel, n);
        name[n] = '\0';
        next = openat(fd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW |
                                    (last ? 0 : O_DIRECTORY));
        if (next < 0) {
            int e = errno;

            close(fd);
            return -e;
        }
        close(fd);
        fd = next;
        if (last)
            return fd;
        rel += n + 1;
    }
}

int zip_select_check(struct zip_selection *s, int dir_fd, int show_hidden)
{
    size_t kept = 0;
    uint64_t est = 22;
    int known = 1;

    if (s->n == 0)
        return ZIPSEL_EEMPTY;
    qsort(s->names, s->n, sizeof *s->names, cmp_names);
    for (size_t i = 0; i < s->n; i++) {
        char *name = s->names[i];
        size_t plen = kept ? strlen(s->names[kept - 1]) : 0;
        struct stat st;
        int fd;

        /* the same name again, or one below the last kept (its folder, or a
         * file that then holds nothing: dropped all the same) */
        if (kept && strncmp(name, s->names[kept - 1], plen) == 0 &&
            (name[plen] == '\0' || name[plen] == '/')) {
            free(name);
            continue;
        }
        fd = zip_select_open(dir_fd, name);
        if (fd == -ELOOP || fd == -ENXIO || fd == -EACCES || fd == -EPERM) {
            /* a link, a FIFO without writer, or unreadable: kept, and left
             * out of the archive (logged) as a folder's would be */
            s->names[kept++] = name;
            continue;
        }
        if (fd < 0) {
            note_bad(s, name, strlen(name));
            for (size_t j = i; j < s->n; j++)
                free(s->names[j]);
            s->n = kept;
            return PATHS_ENOTFOUND;
        }
        if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            struct tree_size t;

            if (tree_size(fd, show_hidden, &t) == 0 && t.complete)
                est += t.bytes + (t.files + t.folders + 1) * ENTRY_OVERHEAD +
                       2 * (t.name_bytes + (t.files + t.folders + 1) * (strlen(name) + 1));
            else
                known = 0;
        } else if (S_ISREG(st.st_mode)) {
            est += (uint64_t)st.st_size + ENTRY_OVERHEAD + 2 * strlen(name);
        }
        close(fd);
        s->names[kept++] = name;
    }
    s->n = kept;
    s->estimate = known ? est : 0;
    return 0;
}
