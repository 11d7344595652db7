/*
 * test_auth_password.c — unit tests of daemon/auth/auth-password.c: known
 * answers (texts computed independently with Python's hashlib), round trips
 * with fresh salts, every way a text can be malformed, the password rules,
 * the cost of one verification at AUTH_PW_ITERATIONS (printed), and the
 * password file (atomic, 0600, corrupt or planted files refused).
 *
 * auth_ct_equal() is defined here, not taken from auth-ct.c: it counts its
 * calls, so that the tests can check that verification compares through it.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/constant_time.h>

#include "auth-ct.h"
#include "auth-password.h"

/* ------------------------------------------------------------ stand-ins */

static unsigned ct_calls;
static size_t ct_last_n;

int auth_ct_equal(const void *a, const void *b, size_t n)
{
    ct_calls++;
    ct_last_n = n;
    return n == 0 || mbedtls_ct_memcmp(a, b, n) == 0;
}

/* A random source giving 0, 1, 2, ... */
static int counting_rng(void *ctx, unsigned char *buf, size_t len)
{
    unsigned *next = ctx;

    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(*next)++;
    return 0;
}

static int failing_rng(void *ctx, unsigned char *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return -1;
}

/* ------------------------------------------------------------ fixture */

struct fx {
    char dir[64];
    int fd;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);

    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/ferry-auth-pw.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    f->fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    *state = f;
    return f->fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    close(f->fd);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Writes `text` as the password file, bypassing the module. */
static void plant(const struct fx *f, const char *text, size_t len)
{
    int fd = openat(f->fd, AUTH_PASSWORD_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* The number of entries in the folder (to catch left-over temp files). */
static int entries(const struct fx *f)
{
    DIR *d = opendir(f->dir);
    struct dirent *de;
    int n = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

/* ------------------------------------------------------------ tests */

/* Texts made by Python's hashlib.pbkdf2_hmac and base64 (stripped). */
static const char kat_1000[] =
    "$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$"
    "yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ";
static const char kat_4096[] =
    "$pbkdf2-sha256$i=4096$c2FsdFNBTFRzYWx0U0FMVA$"
    "kVD6NM4ljz+g9JUH5Fappxkk9oLULzZIKyYYhI/Tjlo";
static const char kat_short[] = /* 8-byte salt, 16-byte hash */
    "$pbkdf2-sha256$i=1000$MTIzNDU2Nzg$vm3+4ul5CLiIrsI+XuwtCw";
static const char kat_long[] = /* 64-byte salt, 64-byte hash */
    "$pbkdf2-sha256$i=1000$QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU"
    "FBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQQ$Kk3vV/zasfWGAsrL9fT"
    "ZY0VM4t8axMza6Cc4NwaEW6ulEEVr+90rosDsVc8ptcqVfqEjyDrG4RM0VpPk1AN"
    "jGA";

static int verify(const char *text, const char *pw)
{
    return auth_password_verify(text, strlen(text), pw, strlen(pw));
}

static void test_known_answers(void **state)
{
    struct auth_pw_hash h;
    char out[AUTH_PW_TEXT_MAX];
    unsigned next = 0;

    (void)state;
    /* Hashing with salt bytes 0..15 gives Python's text exactly. */
    assert_int_equal(auth_password_hash("correct horse", 13, 1000, counting_rng,
                                        &next, out, sizeof out), 0);
    assert_string_equal(out, kat_1000);
    assert_int_equal(next, AUTH_PW_SALT_LEN);

    assert_int_equal(verify(kat_1000, "correct horse"), 0);
    assert_int_equal(verify(kat_1000, "correct horsf"), AUTH_PW_EMISMATCH);
    assert_int_equal(verify(kat_1000, "correct hors"), AUTH_PW_EMISMATCH);
    assert_int_equal(verify(kat_1000, ""), AUTH_PW_EMISMATCH);
    assert_int_equal(verify(kat_4096, "password"), 0);
    assert_int_equal(verify(kat_4096, "Password"), AUTH_PW_EMISMATCH);
    assert_int_equal(verify(kat_short, "pw"), 0);
    assert_int_equal(verify(kat_long, "pw"), 0);
    assert_int_equal(verify(kat_long, "pW"), AUTH_PW_EMISMATCH);

    /* Parsing gives back the fields. */
    assert_int_equal(auth_password_parse(kat_4096, strlen(kat_4096), &h), 0);
    assert_int_equal(h.iterations, 4096);
    assert_int_equal(h.salt_len, 16);
    assert_memory_equal(h.salt, "saltSALTsaltSALT", 16);
    assert_int_equal(h.hash_len, 32);
    assert_int_equal(auth_password_parse(kat_long, strlen(kat_long), &h), 0);
    assert_int_equal(h.salt_len, 64);
    assert_int_equal(h.hash_len, 64);
}

static void test_round_trip(void **state)
{
    char a[AUTH_PW_TEXT_MAX], b[AUTH_PW_TEXT_MAX];
    struct auth_pw_hash ha, hb;
    const char *pw = "hunter2 is not a good password";

    (void)state;
    assert_int_equal(auth_password_hash(pw, strlen(pw), 2000, NULL, NULL, a, sizeof a), 0);
    assert_int_equal(auth_password_hash(pw, strlen(pw), 2000, NULL, NULL, b, sizeof b), 0);
    assert_string_not_equal(a, b); /* fresh salts */
    assert_null(strstr(a, pw));
    assert_null(strstr(a, "hunter2"));
    assert_int_equal(auth_password_parse(a, strlen(a), &ha), 0);
    assert_int_equal(auth_password_parse(b, strlen(b), &hb), 0);
    assert_int_equal(ha.salt_len, AUTH_PW_SALT_LEN);
    assert_int_equal(ha.hash_len, AUTH_PW_HASH_LEN);
    assert_int_equal(ha.iterations, 2000);
    assert_memory_not_equal(ha.salt, hb.salt, AUTH_PW_SALT_LEN);
    assert_int_equal(verify(a, pw), 0);
    assert_int_equal(verify(b, pw), 0);
    assert_int_equal(verify(a, "hunter2"), AUTH_PW_EMISMATCH);
    /* Bytes >= 0x80 are fine. */
    assert_int_equal(auth_password_hash("p\xc3\xa4ss", 5, 1000, NULL, NULL, a, sizeof a), 0);
    assert_int_equal(verify(a, "p\xc3\xa4ss"), 0);
    assert_int_equal(verify(a, "pass"), AUTH_PW_EMISMATCH);
}

static void test_constant_time_compare_used(void **state)
{
    (void)state;
    ct_calls = 0;
    assert_int_equal(verify(kat_1000, "correct horse"), 0);
    assert_int_equal(ct_calls, 1);
    assert_int_equal(ct_last_n, 32);
    assert_int_equal(verify(kat_1000, "wrong"), AUTH_PW_EMISMATCH);
    assert_int_equal(ct_calls, 2);
    assert_int_equal(verify(kat_long, "x"), AUTH_PW_EMISMATCH);
    assert_int_equal(ct_calls, 3);
    assert_int_equal(ct_last_n, 64);
    /* A malformed text compares nothing. */
    assert_int_equal(verify("$pbkdf2-sha256$i=1000$", "x"), AUTH_PW_EFORMAT);
    assert_int_equal(ct_calls, 3);
}

static void test_default_cost(void **state)
{
    char text[AUTH_PW_TEXT_MAX];
    struct auth_pw_hash h;
    struct timespec t0, t1;
    double best = 1e9;

    (void)state;
    assert_int_equal(auth_password_hash("correct horse battery", 21, 0, NULL, NULL,
                                        text, sizeof text), 0);
    assert_int_equal(auth_password_parse(text, strlen(text), &h), 0);
    assert_int_equal(h.iterations, AUTH_PW_ITERATIONS);
    for (int i = 0; i < 3; i++) {
        double ms;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(verify(text, "correct horse battery"), 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        if (ms < best)
            best = ms;
    }
    printf("# one verification at %u iterations: %.1f ms (best of 3)\n",
           AUTH_PW_ITERATIONS, best);
    /* Loose bounds: sanitizers and a loaded machine slow it down; what must
     * not happen is a cost that is no cost at all. */
    assert_true(best > 5.0);
    assert_true(best < 5000.0);
}

static void test_malformed_texts(void **state)
{
    static const char *const bad[] = {
        "",
        "$pbkdf2-sha256$",
        "$pbkdf2-sha256$i=",
        "$pbkdf2-sha1$i=1000$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
        "$PBKDF2-SHA256$i=1000$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
        "pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
        "$pbkdf2-sha256$1000$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
        "$pbkdf2-sha256$i=01000$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
        "$pbkdf2-sha256$i=999$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
        "$pbkdf2-sha256$i=10000001$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
        "$pbkdf2-sha256$i=99999999999999999999$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
        "$pbkdf2-sha256$i=-1000$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
        "$pbkdf2-sha256$i=1000x$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
        "$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw==$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
        "$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ=",
        "$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODx$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
        "$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGR",
        "$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0OD$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
        "$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKum-Q",
        "$pbkdf2-sha256$i=1000$AAECAwQF_gcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
        "$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ$",
        "$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ\n",
        "$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ ",
        "$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$",
        "$pbkdf2-sha256$i=1000$$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
        "$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw",
        "$pbkdf2-sha256$i=1000$MTIzNDU2Nw$vm3+4ul5CLiIrsI+XuwtCw",      /* 7-byte salt */
        "$pbkdf2-sha256$i=1000$MTIzNDU2Nzg$AAAAAAAAAAAAAAAAAAAA",        /* 15-byte hash */
        "$pbkdf2-sha256$i=1000$MTIzNDU2Nzh$vm3+4ul5CLiIrsI+XuwtCw",      /* bits */
        "$pbkdf2-sha256$i=1000$QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU"
        "FBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE$vm3+4ul5CLiIrsI+Xu"
        "wtCw", /* 65-byte salt */
    };
    struct auth_pw_hash h;

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = auth_password_parse(bad[i], strlen(bad[i]), &h);

        if (rc != AUTH_PW_EFORMAT)
            fail_msg("text %zu \"%s\" parsed: %d", i, bad[i], rc);
        assert_int_equal(h.iterations, 0);
        assert_int_equal(h.salt_len, 0);
        assert_int_equal(verify(bad[i], "pw"), AUTH_PW_EFORMAT);
    }
    /* Only len bytes are read. */
    assert_int_equal(auth_password_parse(kat_1000, strlen(kat_1000) - 1, &h), AUTH_PW_EFORMAT);
    assert_int_equal(auth_password_verify(kat_1000, strlen(kat_1000), "correct horse!", 13), 0);
}

static void test_password_rules(void **state)
{
    char pw[AUTH_PW_MAX + 2];
    char out[AUTH_PW_TEXT_MAX];
    unsigned next = 0;

    (void)state;
    assert_int_equal(auth_password_acceptable("", 0), AUTH_PW_EBADCHAR);
    assert_int_equal(auth_password_acceptable("a\0b", 3), AUTH_PW_EBADCHAR);
    assert_int_equal(auth_password_acceptable("a\tb", 3), AUTH_PW_EBADCHAR);
    assert_int_equal(auth_password_acceptable("a\x7f", 2), AUTH_PW_EBADCHAR);
    assert_int_equal(auth_password_acceptable("a\n", 2), AUTH_PW_EBADCHAR);
    assert_int_equal(auth_password_acceptable("a b:c", 5), 0);
    assert_int_equal(auth_password_acceptable("\xe2\x82\xac", 3), 0);
    memset(pw, 'x', sizeof pw);
    assert_int_equal(auth_password_acceptable(pw, AUTH_PW_MAX), 0);
    assert_int_equal(auth_password_acceptable(pw, AUTH_PW_MAX + 1), AUTH_PW_ETOOLONG);

    /* hash() applies them, and its other arguments. */
    strcpy(out, "junk");
    assert_int_equal(auth_password_hash("a\0b", 3, 1000, NULL, NULL, out, sizeof out),
                     AUTH_PW_EBADCHAR);
    assert_string_equal(out, "");
    assert_int_equal(auth_password_hash(pw, AUTH_PW_MAX + 1, 1000, NULL, NULL, out, sizeof out),
                     AUTH_PW_ETOOLONG);
    assert_int_equal(auth_password_hash("pw", 2, 999, NULL, NULL, out, sizeof out),
                     AUTH_PW_EFORMAT);
    assert_int_equal(auth_password_hash("pw", 2, AUTH_PW_ITER_MAX + 1, NULL, NULL, out,
                                        sizeof out), AUTH_PW_EFORMAT);
    assert_int_equal(auth_password_hash("pw", 2, 1000, counting_rng, &next, out, 40),
                     AUTH_PW_ETOOLONG);
    assert_string_equal(out, "");
    strcpy(out, "junk");
    assert_int_equal(auth_password_hash("pw", 2, 1000, failing_rng, NULL, out, sizeof out),
                     AUTH_PW_ECRYPTO);
    assert_string_equal(out, "");
    /* A long password verifies; one past the limit never matches. */
    assert_int_equal(auth_password_hash(pw, AUTH_PW_MAX, 1000, NULL, NULL, out, sizeof out), 0);
    assert_int_equal(auth_password_verify(out, strlen(out), pw, AUTH_PW_MAX), 0);
    assert_int_equal(auth_password_verify(out, strlen(out), pw, AUTH_PW_MAX + 1),
                     AUTH_PW_EMISMATCH);
}

static void test_file_round_trip(void **state)
{
    struct fx *f = *state;
    char out[AUTH_PW_TEXT_MAX];
    struct stat st;
    unsigned mode = 0;
    mode_t old = umask(0);

    assert_int_equal(auth_password_file_read(f->fd, out, sizeof out, NULL), -ENOENT);
    assert_int_equal(auth_password_file_write(f->fd, kat_1000), 0);
    umask(old);
    assert_int_equal(fstatat(f->fd, AUTH_PASSWORD_FILE, &st, 0), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_size, (off_t)strlen(kat_1000) + 1);
    assert_int_equal(entries(f), 1);
    assert_int_equal(auth_password_file_read(f->fd, out, sizeof out, &mode), 0);
    assert_string_equal(out, kat_1000);
    assert_int_equal(mode, 0600);
    assert_int_equal(verify(out, "correct horse"), 0);

    /* Replaced whole. */
    assert_int_equal(auth_password_file_write(f->fd, kat_4096), 0);
    assert_int_equal(auth_password_file_read(f->fd, out, sizeof out, NULL), 0);
    assert_string_equal(out, kat_4096);
    assert_int_equal(entries(f), 1);

    /* A text that does not parse is not written. */
    assert_int_equal(auth_password_file_write(f->fd, "secret"), AUTH_PW_EFORMAT);
    assert_int_equal(auth_password_file_read(f->fd, out, sizeof out, NULL), 0);
    assert_string_equal(out, kat_4096);

    /* Too small a buffer. */
    assert_int_equal(auth_password_file_read(f->fd, out, 20, NULL), AUTH_PW_ETOOLONG);
    assert_string_equal(out, "");

    /* The mode is reported, so the caller can warn. */
    assert_int_equal(fchmodat(f->fd, AUTH_PASSWORD_FILE, 0644, 0), 0);
    assert_int_equal(auth_password_file_read(f->fd, out, sizeof out, &mode), 0);
    assert_int_equal(mode, 0644);
}

static void test_file_corrupt(void **state)
{
    struct fx *f = *state;
    char out[AUTH_PW_TEXT_MAX], big[8192], line[AUTH_PW_TEXT_MAX + 4];

    /* "\r\n" and no newline are fine. */
    snprintf(line, sizeof line, "%s\r\n", kat_1000);
    plant(f, line, strlen(line));
    assert_int_equal(auth_password_file_read(f->fd, out, sizeof out, NULL), 0);
    assert_string_equal(out, kat_1000);
    plant(f, kat_1000, strlen(kat_1000));
    assert_int_equal(auth_password_file_read(f->fd, out, sizeof out, NULL), 0);

    /* Anything else is corrupt. */
    snprintf(line, sizeof line, "%s\n\n", kat_1000);
    plant(f, line, strlen(line));
    assert_int_equal(auth_password_file_read(f->fd, out, sizeof out, NULL), AUTH_PW_EFORMAT);
    snprintf(line, sizeof line, "%s\r", kat_1000);
    plant(f, line, strlen(line));
    assert_int_equal(auth_password_file_read(f->fd, out, sizeof out, NULL), AUTH_PW_EFORMAT);
    plant(f, "hunter2\n", 8);
    assert_int_equal(auth_password_file_read(f->fd, out, sizeof out, NULL), AUTH_PW_EFORMAT);
    assert_string_equal(out, "");
    plant(f, "", 0);
    assert_int_equal(auth_password_file_read(f->fd, out, sizeof out, NULL), AUTH_PW_EFORMAT);
    snprintf(line, sizeof line, "%s", kat_1000);
    line[30] = '\0';
    plant(f, line, strlen(kat_1000));
    assert_int_equal(auth_password_file_read(f->fd, out, sizeof out, NULL), AUTH_PW_EFORMAT);
    memset(big, 'A', sizeof big);
    plant(f, big, sizeof big);
    assert_int_equal(auth_password_file_read(f->fd, out, sizeof out, NULL), AUTH_PW_EFORMAT);

    /* A symlink or a FIFO planted under the name is not followed or read. */
    assert_int_equal(unlinkat(f->fd, AUTH_PASSWORD_FILE, 0), 0);
    assert_int_equal(symlinkat("/etc/passwd", f->fd, AUTH_PASSWORD_FILE), 0);
    assert_int_equal(auth_password_file_read(f->fd, out, sizeof out, NULL), -ELOOP);
    assert_int_equal(unlinkat(f->fd, AUTH_PASSWORD_FILE, 0), 0);
    assert_int_equal(mkfifoat(f->fd, AUTH_PASSWORD_FILE, 0600), 0);
    assert_int_equal(auth_password_file_read(f->fd, out, sizeof out, NULL), -EINVAL);
    /* Writing replaces the FIFO with the file. */
    assert_int_equal(auth_password_file_write(f->fd, kat_1000), 0);
    assert_int_equal(auth_password_file_read(f->fd, out, sizeof out, NULL), 0);
    assert_string_equal(out, kat_1000);
}

static void test_file_unwritable(void **state)
{
    struct fx *f = *state;
    char out[AUTH_PW_TEXT_MAX];

    if (geteuid() == 0) {
        /* root writes anyway: check the other failure, a bad folder fd. */
        assert_int_equal(auth_password_file_write(-1, kat_1000), -EBADF);
        return;
    }
    assert_int_equal(fchmod(f->fd, 0500), 0);
    assert_int_equal(auth_password_file_write(f->fd, kat_1000), -EACCES);
    assert_int_equal(fchmod(f->fd, 0700), 0);
    assert_int_equal(auth_password_file_read(f->fd, out, sizeof out, NULL), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_constant_time_compare_used),
        cmocka_unit_test(test_default_cost),
        cmocka_unit_test(test_malformed_texts),
        cmocka_unit_test(test_password_rules),
        cmocka_unit_test_setup_teardown(test_file_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_corrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_unwritable, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
