/*
 * journal.c — the journal file of journal.h: encoding a list of transfers to
 * the checksummed text format, decoding it strictly, and saving, loading and
 * removing it atomically in the state folder.
 *
 * Owns: the format (magic line, JSON shape, checksum line), the validation
 * rules shared by the encoder and the decoder (so that whatever is written
 * decodes), the temporary-file-and-rename dance, and the size limits. JSON
 * comes from jansson, SHA-256 from mbedTLS. No global state.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include "compat.h"
#include "journal.h"
#include "sysio.h"
#include "tls-compat.h"

#define MAGIC "ferry-journal "          /* followed by the version and \n */
#define JOURNAL_VERSION 1
#define CHECK_TAG "\nsha256 "            /* starts the checksum line */
#define HEX_LEN 64
#define TAG_LEN (sizeof CHECK_TAG - 1)
#define TRAILER_LEN (TAG_LEN + HEX_LEN + 1) /* tag, hex digits, \n */
#define FIELDS 10                       /* keys of one transfer object */
#define MAX_TRANSFERS 1000000
#define MAX_FILE ((off_t)256 << 20)
#define TEMP_ATTEMPTS 64

/* ------------------------------------------------------------ checksum */

/* SHA-256 of len bytes at p, as 64 lowercase hex digits (not terminated)
 * in hex. Returns 0, or -1 when mbedTLS fails. */
static int sha256_hex(const void *p, size_t len, char hex[HEX_LEN])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char sum[32];
    int rc;

    rc = tlsc_sha256(p, len, sum);
    if (rc != 0)
        return -1;
    for (size_t i = 0; i < sizeof sum; i++) {
        hex[2 * i] = digits[sum[i] >> 4];
        hex[2 * i + 1] = digits[sum[i] & 15];
    }
    return 0;
}

/* ------------------------------------------------------------ rules */

/* The JSON name of a direction, or NULL when d is not one. */
static const char *direction_name(enum ferry_direction d)
{
    switch (d) {
    case FERRY_DOWNLOAD:
        return "download";
    case FERRY_UPLOAD:
        return "upload";
    }
    return NULL;
}

/*
 * The range rule, the same for writing and reading: first <= last always;
 * when total > 0 (the size is known) also last < total and done <= total.
 * total == 0 means an empty file or a size not known yet (an upload of
 * deferred length): last and done are then not bounded.
 */
static int range_ok(uint64_t first, uint64_t last, uint64_t done,
                    uint64_t total)
{
    if (first > last)
        return 0;
    if (total > 0 && (last >= total || done > total))
        return 0;
    return 1;
}

/* Whether every number of *t fits a JSON integer (jansson: int64) and the
 * direction and range rules hold. Strings are checked separately. */
static int numbers_ok(const ferry_transfer *t)
{
    const uint64_t max = (uint64_t)INT64_MAX;

    return direction_name(t->direction) != NULL && t->id <= max &&
           t->first <= max && t->last <= max && t->done <= max &&
           t->total <= max && t->started_ms <= max &&
           range_ok(t->first, t->last, t->done, t->total);
}

/* ------------------------------------------------------------ encode */

/*
 * Makes a JSON string of the text in a field of `cap` bytes. Returns 0 with
 * *out, 1 when the format cannot hold it (no NUL within the field, or not
 * valid UTF-8), or FERRY_ENOMEM.
 */
static int field_to_json(const char *s, size_t cap, json_t **out)
{
    size_t len = strnlen(s, cap);
    json_t *v;

    *out = NULL;
    if (len == cap)
        return 1;
    v = json_stringn(s, len);
    if (!v) {
        /* json_stringn() fails on bad UTF-8 and on ENOMEM: tell them apart
         * with the variant that does not check. */
        v = json_stringn_nocheck(s, len);
        if (!v)
            return FERRY_ENOMEM;
        json_decref(v);
        return 1;
    }
    *out = v;
    return 0;
}

/* Sets o[key] to *v, whose reference is always taken (NULL *v fails).
 * Returns 0 or -1. */
static int take(json_t *o, const char *key, json_t **v)
{
    int rc = json_object_set_new(o, key, *v);

    *v = NULL;
    return rc;
}

/* Sets o[key] to the integer x (<= INT64_MAX). Returns 0 or -1. */
static int set_int(json_t *o, const char *key, uint64_t x)
{
    return json_object_set_new(o, key, json_integer((json_int_t)x));
}

/*
 * Builds the JSON object of *t. Returns 0 with *out (owned by the caller),
 * 1 when the format cannot hold *t (see lc_journal_encode), or FERRY_ENOMEM.
 */
static int transfer_to_json(const ferry_transfer *t, json_t **out)
{
    json_t *o = NULL, *dir = NULL, *path = NULL, *validator = NULL,
           *peer = NULL;
    int rc;

    *out = NULL;
    if (!numbers_ok(t))
        return 1;
    if ((rc = field_to_json(t->path, sizeof t->path, &path)) != 0 ||
        (rc = field_to_json(t->validator, sizeof t->validator, &validator)) != 0 ||
        (rc = field_to_json(t->peer, sizeof t->peer, &peer)) != 0)
        goto fail;
    rc = FERRY_ENOMEM;
    dir = json_string(direction_name(t->direction));
    o = json_object();
    if (!dir || !o)
        goto fail;
    /* Insertion order is the order written (jansson keeps it). */
    if (set_int(o, "id", t->id) || take(o, "direction", &dir) ||
        take(o, "path", &path) || take(o, "validator", &validator) ||
        set_int(o, "first", t->first) || set_int(o, "last", t->last) ||
        set_int(o, "done", t->done) || set_int(o, "total", t->total) ||
        take(o, "peer", &peer) || set_int(o, "started_ms", t->started_ms))
        goto fail;
    *out = o;
    return 0;
fail:
    json_decref(o);
    json_decref(dir);
    json_decref(path);
    json_decref(validator);
    json_decref(peer);
    return rc;
}

/* See journal.h. */
int lc_journal_encode(const ferry_transfer *list, size_t n, uint64_t saved_ms,
                      char **buf, size_t *len)
{
    json_t *root = NULL, *arr;
    char *text = NULL, *out = NULL;
    char head[32];
    size_t head_len, text_len, body_len;
    int rc = FERRY_ENOMEM;

    *buf = NULL;
    *len = 0;
    if (saved_ms > (uint64_t)INT64_MAX)
        saved_ms = (uint64_t)INT64_MAX;
    root = json_object();
    if (!root || set_int(root, "saved_ms", saved_ms) ||
        json_object_set_new(root, "transfers", json_array()))
        goto fail;
    arr = json_object_get(root, "transfers");
    for (size_t i = 0; i < n; i++) {
        json_t *o;
        int r = transfer_to_json(&list[i], &o);

        if (r == 1)
            continue; /* cannot be written: left out */
        if (r != 0 || json_array_append_new(arr, o) != 0)
            goto fail;
    }
    text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    if (!text)
        goto fail;
    head_len = (size_t)snprintf(head, sizeof head, MAGIC "%d\n",
                                JOURNAL_VERSION);
    text_len = strlen(text);
    body_len = head_len + text_len;
    out = malloc(body_len + TRAILER_LEN + 1);
    if (!out)
        goto fail;
    memcpy(out, head, head_len);
    memcpy(out + head_len, text, text_len);
    memcpy(out + body_len, CHECK_TAG, TAG_LEN);
    if (sha256_hex(out, body_len, out + body_len + TAG_LEN) != 0)
        goto fail;
    out[body_len + TRAILER_LEN - 1] = '\n';
    out[body_len + TRAILER_LEN] = '\0';
    *buf = out;
    *len = body_len + TRAILER_LEN;
    out = NULL;
    rc = 0;
fail:
    free(out);
    free(text);
    json_decref(root);
    return rc;
}

/* ------------------------------------------------------------ decode */

/* Reads o[key] as a non-negative integer. Returns 0 or -1. */
static int get_u64(const json_t *o, const char *key, uint64_t *out)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

/* Copies the string o[key] into a field of cap bytes; it must fit whole.
 * Returns 0 or -1. */
static int get_str(const json_t *o, const char *key, char *dst, size_t cap)
{
    const json_t *v = json_object_get(o, key);
    size_t len;

    if (!json_is_string(v))
        return -1;
    len = json_string_length(v);
    if (len >= cap)
        return -1;
    memcpy(dst, json_string_value(v), len);
    dst[len] = '\0';
    return 0;
}

/* Fills *t (zeroed) from one transfer object. Returns 0 or -1 for any
 * violation of the rules in journal.h. */
static int json_to_transfer(const json_t *o, ferry_transfer *t)
{
    const json_t *dir = json_object_get(o, "direction");

    /* With duplicates rejected, size == FIELDS and every key present means
     * there is no unknown key. */
    if (!json_is_object(o) || json_object_size(o) != FIELDS ||
        !json_is_string(dir))
        return -1;
    if (strcmp(json_string_value(dir), "download") == 0)
        t->direction = FERRY_DOWNLOAD;
    else if (strcmp(json_string_value(dir), "upload") == 0)
        t->direction = FERRY_UPLOAD;
    else
        return -1;
    if (get_u64(o, "id", &t->id) || get_u64(o, "first", &t->first) ||
        get_u64(o, "last", &t->last) || get_u64(o, "done", &t->done) ||
        get_u64(o, "total", &t->total) ||
        get_u64(o, "started_ms", &t->started_ms) ||
        get_str(o, "path", t->path, sizeof t->path) ||
        get_str(o, "validator", t->validator, sizeof t->validator) ||
        get_str(o, "peer", t->peer, sizeof t->peer))
        return -1;
    if (!range_ok(t->first, t->last, t->done, t->total))
        return -1;
    t->restored = 1;
    return 0;
}

/*
 * Checks the envelope of len bytes at buf: magic, version line, checksum
 * line. Returns 0 with the JSON part in [*json, *json + *json_len),
 * LC_JOURNAL_EVERSION or LC_JOURNAL_ECORRUPT. The checksum is checked before
 * the version is believed, so a damaged version number reads as corrupt.
 */
static int check_envelope(const char *buf, size_t len, const char **json,
                          size_t *json_len)
{
    const size_t magic_len = sizeof MAGIC - 1;
    char hex[HEX_LEN];
    size_t body_len, p;
    unsigned long version = 0;

    /* magic, one digit, \n, then at least the checksum line */
    if (len < magic_len + 2 + TRAILER_LEN || memcmp(buf, MAGIC, magic_len) != 0)
        return LC_JOURNAL_ECORRUPT;
    body_len = len - TRAILER_LEN;
    /* The version: decimal, no leading zero, saturating. */
    p = magic_len;
    if (buf[p] == '0')
        return LC_JOURNAL_ECORRUPT;
    for (; p < body_len && buf[p] >= '0' && buf[p] <= '9'; p++) {
        unsigned d = (unsigned)(buf[p] - '0');

        version = version > (0xffffffffUL - d) / 10 ? 0xffffffffUL
                                                    : version * 10 + d;
    }
    if (p == magic_len || p >= body_len || buf[p] != '\n')
        return LC_JOURNAL_ECORRUPT;
    p++;
    /* The checksum line, exactly. */
    if (memcmp(buf + body_len, CHECK_TAG, TAG_LEN) != 0 || buf[len - 1] != '\n')
        return LC_JOURNAL_ECORRUPT;
    if (sha256_hex(buf, body_len, hex) != 0 ||
        memcmp(hex, buf + body_len + TAG_LEN, HEX_LEN) != 0)
        return LC_JOURNAL_ECORRUPT;
    if (version != JOURNAL_VERSION)
        return LC_JOURNAL_EVERSION; /* intact, and 0 was refused above */
    *json = buf + p;
    *json_len = body_len - p;
    return 0;
}

/* See journal.h. */
int lc_journal_decode(const char *buf, size_t len, ferry_transfer **list,
                      size_t *n, uint64_t *saved_ms)
{
    const char *text;
    size_t text_len, count;
    json_t *root = NULL, *arr;
    json_error_t err;
    uint64_t saved;
    ferry_transfer *out = NULL;
    int rc;

    *list = NULL;
    *n = 0;
    if (saved_ms)
        *saved_ms = 0;
    rc = check_envelope(buf, len, &text, &text_len);
    if (rc != 0)
        return rc;
    rc = LC_JOURNAL_ECORRUPT;
    root = json_loadb(text, text_len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        if (json_error_code(&err) == json_error_out_of_memory)
            rc = FERRY_ENOMEM;
        goto fail;
    }
    arr = json_object_get(root, "transfers");
    if (!json_is_object(root) || json_object_size(root) != 2 ||
        get_u64(root, "saved_ms", &saved) != 0 || !json_is_array(arr))
        goto fail;
    count = json_array_size(arr);
    if (count > MAX_TRANSFERS)
        goto fail;
    if (count > 0) {
        out = calloc(count, sizeof *out);
        if (!out) {
            rc = FERRY_ENOMEM;
            goto fail;
        }
    }
    for (size_t i = 0; i < count; i++)
        if (json_to_transfer(json_array_get(arr, i), &out[i]) != 0)
            goto fail;
    *list = out;
    *n = count;
    if (saved_ms)
        *saved_ms = saved;
    out = NULL;
    rc = 0;
fail:
    free(out);
    json_decref(root);
    return rc;
}

/* ------------------------------------------------------------ files */

/* Whether a failed fsync of a folder only means the file system cannot
 * sync folders (some network and FUSE file systems). */
static int dir_sync_unsupported(int err)
{
    return err == EINVAL || err == ENOTSUP || err == EOPNOTSUPP;
}

/*
 * Creates a new temporary file "journal.tmp-<pid>-<n>" in dir_fd, mode 0600,
 * writing its name into name[cap]. Returns the fd or -errno.
 */
static int open_temp(int dir_fd, char *name, size_t cap)
{
    struct timespec ts;

    for (unsigned i = 0; i < TEMP_ATTEMPTS; i++) {
        int fd;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        snprintf(name, cap, "%s.tmp-%ld-%lx", LC_JOURNAL_NAME, (long)getpid(),
                 (unsigned long)ts.tv_nsec ^ ((unsigned long)i << 24));
        fd = openat(dir_fd, name,
                    O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST)
            return -errno;
    }
    return -EEXIST;
}

/* Writes len bytes at p to fd, across short writes. Returns 0 or -errno. */
static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (w == 0)
            return -EIO;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* See journal.h. */
int lc_journal_save(int dir_fd, const ferry_transfer *list, size_t n,
                    uint64_t saved_ms)
{
    char *buf = NULL;
    char tmp[64];
    size_t len;
    int fd = -1, created = 0, rc;

    rc = lc_journal_encode(list, n, saved_ms, &buf, &len);
    if (rc != 0)
        return -ENOMEM;
    fd = open_temp(dir_fd, tmp, sizeof tmp);
    if (fd < 0) {
        rc = fd;
        goto fail;
    }
    created = 1;
    /* The mode is 0600 whatever the umask. */
    if (fchmod(fd, 0600) != 0) {
        rc = -errno;
        goto fail;
    }
    rc = write_all(fd, buf, len);
    if (rc != 0)
        goto fail;
    if (compat_fsync_durable(fd) != 0) {
        rc = -errno;
        goto fail;
    }
    rc = close(fd);
    fd = -1; /* closed even when close() fails */
    if (rc != 0) {
        rc = -errno;
        goto fail;
    }
    if (renameat(dir_fd, tmp, dir_fd, LC_JOURNAL_NAME) != 0) {
        rc = -errno;
        goto fail;
    }
    created = 0;
    if (compat_fsync_durable(dir_fd) != 0 && !dir_sync_unsupported(errno)) {
        rc = -errno;
        goto fail;
    }
    rc = 0;
fail:
    if (fd >= 0)
        close(fd);
    if (created)
        unlinkat(dir_fd, tmp, 0);
    free(buf);
    return rc;
}

/* See journal.h. */
int lc_journal_load(int dir_fd, ferry_transfer **list, size_t *n,
                    uint64_t *saved_ms)
{
    struct stat st;
    char *buf = NULL;
    size_t size, got = 0;
    int fd, rc;

    *list = NULL;
    *n = 0;
    if (saved_ms)
        *saved_ms = 0;
    /* O_NONBLOCK: a FIFO planted under the name must not hang the open. */
    fd = lc_sys_openat(dir_fd, LC_JOURNAL_NAME,
                       O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0);
    if (fd < 0)
        return errno == ENOENT ? 0 : -errno;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        goto fail;
    }
    rc = LC_JOURNAL_ECORRUPT;
    if (!S_ISREG(st.st_mode) || st.st_size > MAX_FILE)
        goto fail;
    size = (size_t)st.st_size;
    buf = malloc(size ? size : 1);
    if (!buf) {
        rc = FERRY_ENOMEM;
        goto fail;
    }
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            goto fail;
        }
        if (r == 0)
            break; /* shorter than fstat said: decode rejects it */
        got += (size_t)r;
    }
    rc = lc_journal_decode(buf, got, list, n, saved_ms);
fail:
    free(buf);
    close(fd);
    return rc;
}

/* See journal.h. */
int lc_journal_remove(int dir_fd)
{
    if (unlinkat(dir_fd, LC_JOURNAL_NAME, 0) != 0)
        return errno == ENOENT ? 0 : -errno;
    if (compat_fsync_durable(dir_fd) != 0 && !dir_sync_unsupported(errno))
        return -errno;
    return 0;
}

int lc_journal_clean_temp(int dir_fd)
{
    static const char prefix[] = LC_JOURNAL_NAME ".tmp-";
    int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), removed = 0;
    struct dirent *de;
    DIR *d;

    if (fd < 0)
        return -errno;
    d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -errno;
    }
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, prefix, sizeof prefix - 1) == 0 &&
            unlinkat(dir_fd, de->d_name, 0) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}
