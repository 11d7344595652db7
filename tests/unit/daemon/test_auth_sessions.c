/*
 * test_auth_sessions.c — unit tests of daemon/auth/auth-sessions.c on a virtual
 * wall clock in a temporary state folder: secrets, one-time pairing tokens
 * and their expiry, sessions (rights, idle and absolute expiry, bound,
 * revocation at the next lookup, sanitised fields), bearer tokens, listing,
 * persistence (round trip, no secret on disk, last-seen batching, corrupt
 * files of every kind ignored and reported, failed writes), and several
 * threads at once.
 *
 * auth_ct_equal() is defined here, not taken from auth-ct.c: it counts its
 * calls, so that the tests can check that lookups compare every stored
 * hash through it.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/constant_time.h>

#include "ferry.h"
#include "auth-ct.h"
#include "auth-sessions.h"

#define T0 ((int64_t)1700000000)
#define DAY 86400

/* ------------------------------------------------------------ stand-ins */

static unsigned long ct_calls;
static size_t ct_bad_len;    /* a length other than 32, if ever seen */

int auth_ct_equal(const void *a, const void *b, size_t n)
{
    __atomic_add_fetch(&ct_calls, 1, __ATOMIC_RELAXED);
    if (n != 32)
        ct_bad_len = n;
    return n == 0 || mbedtls_ct_memcmp(a, b, n) == 0;
}

static char log_text[8192];
static unsigned log_lines;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

static void log_sink(void *user, enum ferry_log_level level, const char *line)
{
    size_t len;

    (void)user;
    (void)level;
    pthread_mutex_lock(&log_mu);
    len = strlen(log_text);
    snprintf(log_text + len, sizeof log_text - len, "%s\n", line);
    log_lines++;
    pthread_mutex_unlock(&log_mu);
}

/* ------------------------------------------------------------ fixture */

struct fx {
    char dir[64];
    int fd;
    struct auth_sessions *s;
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
    snprintf(f->dir, sizeof f->dir, "/tmp/ferry-auth-s.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    f->fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    log_text[0] = '\0';
    log_lines = 0;
    ct_calls = 0;
    ct_bad_len = 0;
    *state = f;
    return f->fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    auth_sessions_free(f->s);
    close(f->fd);
    nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    assert_int_equal(ct_bad_len, 0);
    return 0;
}

/* A config with the state folder of f (or none) and the log sink. */
static struct auth_sessions_config config(const struct fx *f, int persist)
{
    struct auth_sessions_config c;

    auth_sessions_defaults(&c);
    c.state_fd = persist ? f->fd : -1;
    c.state_path = f->dir;
    c.log = log_sink;
    return c;
}

static struct auth_sessions *open_store(const struct auth_sessions_config *c)
{
    struct auth_sessions *s = NULL;

    assert_int_equal(auth_sessions_new(c, &s), 0);
    assert_non_null(s);
    return s;
}

/* Reads the sessions file (malloc'd, NUL-terminated), or NULL. */
static char *file_text(const struct fx *f)
{
    char path[128];
    FILE *fp;
    char *buf;
    long n;

    snprintf(path, sizeof path, "%s/%s", f->dir, AUTH_SESSIONS_FILE);
    fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    buf = calloc(1, (size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    return buf;
}

static void write_file(const struct fx *f, const char *text)
{
    int fd = openat(f->fd, AUTH_SESSIONS_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static int lookup(struct auth_sessions *s, const struct auth_secret *sec, int64_t now,
                  struct auth_info *info)
{
    return auth_session_lookup(s, sec->text, strlen(sec->text), now, info);
}

/* ------------------------------------------------------------ secrets */

static int is_b64url(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(((const struct auth_secret *)a)->text, ((const struct auth_secret *)b)->text);
}

static void test_secrets(void **state)
{
    struct fx *f = *state;
    enum { N = 2000 };
    struct auth_secret *sec = calloc(N, sizeof *sec);
    unsigned char big[5000], zero[5000];
    unsigned seen[256] = {0};

    f->s = open_store(NULL);
    assert_non_null(sec);
    for (int i = 0; i < N; i++) {
        assert_int_equal(auth_pair_new(f->s, AUTH_RIGHTS_RO, 0, T0, &sec[i], NULL), 0);
        assert_int_equal(strlen(sec[i].text), AUTH_SECRET_LEN);
        for (int j = 0; j < AUTH_SECRET_LEN; j++) {
            assert_true(is_b64url(sec[i].text[j]));
            seen[(unsigned char)sec[i].text[j]]++;
        }
    }
    qsort(sec, N, sizeof *sec, cmp_text);
    for (int i = 1; i < N; i++)
        assert_string_not_equal(sec[i - 1].text, sec[i].text);
    /* All 64 characters show up (86,000 draws). */
    for (const char *c = "AZaz09-_"; *c; c++)
        assert_true(seen[(unsigned char)*c] > 0);
    free(sec);

    /* auth_sessions_random, past the DRBG's largest request. */
    memset(big, 0, sizeof big);
    memset(zero, 0, sizeof zero);
    assert_int_equal(auth_sessions_random(f->s, big, sizeof big), 0);
    assert_memory_not_equal(big + 4000, zero, 1000);
}

/* ------------------------------------------------------------ pairing */

static void test_pairing_one_time(void **state)
{
    struct fx *f = *state;
    struct auth_secret tok, sec, sec2;
    struct auth_info info;
    int64_t exp = 0;

    f->s = open_store(NULL);
    assert_int_equal(auth_pair_new(f->s, AUTH_RIGHTS_RW, 0, T0, &tok, &exp), 0);
    assert_int_equal(exp, T0 + 300);
    assert_int_equal(auth_pair_redeem(f->s, tok.text, AUTH_SECRET_LEN, "192.0.2.7",
                                      "Mozilla/5.0", T0 + 10, &sec, &info), 0);
    assert_int_equal(info.kind, AUTH_KIND_SESSION);
    assert_int_equal(info.rights, AUTH_RIGHTS_RW);
    assert_int_equal(info.created, T0 + 10);
    assert_string_equal(info.peer, "192.0.2.7");
    assert_string_equal(info.agent, "Mozilla/5.0");
    assert_int_equal(strlen(info.id), AUTH_ID_LEN);
    assert_string_not_equal(sec.text, tok.text);
    /* Used: never again. */
    assert_int_equal(auth_pair_redeem(f->s, tok.text, AUTH_SECRET_LEN, NULL, NULL,
                                      T0 + 11, &sec2, NULL), AUTH_S_ENOTFOUND);
    /* The session works; the token is not a session secret. */
    assert_int_equal(lookup(f->s, &sec, T0 + 12, NULL), 0);
    assert_int_equal(lookup(f->s, &tok, T0 + 12, NULL), AUTH_S_ENOTFOUND);

    /* Read-only tokens make read-only sessions. */
    assert_int_equal(auth_pair_new(f->s, AUTH_RIGHTS_RO, 0, T0, &tok, NULL), 0);
    assert_int_equal(auth_pair_redeem(f->s, tok.text, AUTH_SECRET_LEN, NULL, NULL,
                                      T0 + 1, &sec2, &info), 0);
    assert_int_equal(info.rights, AUTH_RIGHTS_RO);
    assert_string_equal(info.peer, "");
    assert_int_equal(lookup(f->s, &sec2, T0 + 2, &info), 0);
    assert_int_equal(info.rights, AUTH_RIGHTS_RO);

    /* Wrong rights, wrong tokens. */
    assert_int_equal(auth_pair_new(f->s, (enum auth_rights)0, 0, T0, &tok, NULL), -EINVAL);
    assert_int_equal(auth_pair_new(f->s, (enum auth_rights)3, 0, T0, &tok, NULL), -EINVAL);
    assert_int_equal(auth_pair_new(f->s, AUTH_RIGHTS_RW, 0, T0, &tok, NULL), 0);
    assert_int_equal(auth_pair_redeem(f->s, tok.text, AUTH_SECRET_LEN - 1, NULL, NULL,
                                      T0, &sec2, NULL), AUTH_S_ENOTFOUND);
    assert_int_equal(auth_pair_redeem(f->s, "", 0, NULL, NULL, T0, &sec2, NULL),
                     AUTH_S_ENOTFOUND);
    tok.text[20] ^= 1;
    assert_int_equal(auth_pair_redeem(f->s, tok.text, AUTH_SECRET_LEN, NULL, NULL,
                                      T0, &sec2, NULL), AUTH_S_ENOTFOUND);
    tok.text[20] ^= 1;
    assert_int_equal(auth_pair_redeem(f->s, tok.text, AUTH_SECRET_LEN, NULL, NULL,
                                      T0, &sec2, NULL), 0);
}

static void test_pairing_expiry(void **state)
{
    struct fx *f = *state;
    struct auth_sessions_config c = config(f, 0);
    struct auth_secret a, b, d, sec;
    int64_t exp;

    c.pair_ttl_s = 60;
    f->s = open_store(&c);
    assert_int_equal(auth_pair_new(f->s, AUTH_RIGHTS_RW, 0, T0, &a, &exp), 0);
    assert_int_equal(exp, T0 + 60);
    assert_int_equal(auth_pair_new(f->s, AUTH_RIGHTS_RW, 0, T0, &b, NULL), 0);
    assert_int_equal(auth_pair_new(f->s, AUTH_RIGHTS_RW, 600, T0, &d, &exp), 0);
    assert_int_equal(exp, T0 + 600);
    /* Valid to the last second, not at the expiry. */
    assert_int_equal(auth_pair_redeem(f->s, a.text, AUTH_SECRET_LEN, NULL, NULL,
                                      T0 + 59, &sec, NULL), 0);
    assert_int_equal(auth_pair_redeem(f->s, b.text, AUTH_SECRET_LEN, NULL, NULL,
                                      T0 + 60, &sec, NULL), AUTH_S_EEXPIRED);
    assert_int_equal(auth_pair_redeem(f->s, b.text, AUTH_SECRET_LEN, NULL, NULL,
                                      T0 + 1, &sec, NULL), AUTH_S_ENOTFOUND);
    /* Its own ttl. */
    assert_int_equal(auth_pair_redeem(f->s, d.text, AUTH_SECRET_LEN, NULL, NULL,
                                      T0 + 599, &sec, NULL), 0);
}

static void test_pairing_live_max(void **state)
{
    struct fx *f = *state;
    struct auth_secret tok[AUTH_PAIR_LIVE_MAX + 1], sec;

    f->s = open_store(NULL);
    /* A new token does not void the earlier ones ... */
    for (int i = 0; i < AUTH_PAIR_LIVE_MAX; i++)
        assert_int_equal(auth_pair_new(f->s, AUTH_RIGHTS_RW, 0, T0 + i, &tok[i], NULL), 0);
    /* ... up to the bound: one more drops the one expiring first. */
    assert_int_equal(auth_pair_new(f->s, AUTH_RIGHTS_RW, 0, T0 + 10,
                                   &tok[AUTH_PAIR_LIVE_MAX], NULL), 0);
    assert_int_equal(auth_pair_redeem(f->s, tok[0].text, AUTH_SECRET_LEN, NULL, NULL,
                                      T0 + 20, &sec, NULL), AUTH_S_ENOTFOUND);
    ct_calls = 0;
    for (int i = 1; i <= AUTH_PAIR_LIVE_MAX; i++)
        assert_int_equal(auth_pair_redeem(f->s, tok[i].text, AUTH_SECRET_LEN, NULL, NULL,
                                          T0 + 20, &sec, NULL), 0);
    /* Each redeem compared with every slot of both pools, in constant time. */
    assert_int_equal(ct_calls, AUTH_PAIR_LIVE_MAX * (AUTH_PAIR_LIVE_MAX + AUTH_SHARE_POOL));

    /* Clearing drops every token. */
    assert_int_equal(auth_pair_new(f->s, AUTH_RIGHTS_RW, 0, T0, &tok[0], NULL), 0);
    auth_pair_clear(f->s);
    assert_int_equal(auth_pair_redeem(f->s, tok[0].text, AUTH_SECRET_LEN, NULL, NULL,
                                      T0, &sec, NULL), AUTH_S_ENOTFOUND);
}

/* Share links have their own pool: making many never pushes out the
 * host's pairing token, and they redeem like any pairing token. */
static void test_share_pool(void **state)
{
    struct fx *f = *state;
    struct auth_secret host, share[AUTH_PAIR_LIVE_MAX + 2], sec;
    struct auth_info info;
    int64_t exp = 0;

    f->s = open_store(NULL);
    assert_int_equal(auth_pair_new(f->s, AUTH_RIGHTS_RW, 0, T0, &host, NULL), 0);
    for (int i = 0; i < AUTH_PAIR_LIVE_MAX + 2; i++)
        assert_int_equal(auth_share_new(f->s, AUTH_RIGHTS_RO, 0, T0 + 1 + i, "0000000a", 0,
                                        &share[i], &exp), 0);
    assert_int_equal(exp, T0 + AUTH_PAIR_LIVE_MAX + 2 + 300);
    /* The two made first fell out of the maker's links, not the host's token. */
    for (int i = 0; i < 2; i++)
        assert_int_equal(auth_pair_redeem(f->s, share[i].text, AUTH_SECRET_LEN, NULL,
                                          NULL, T0 + 20, &sec, NULL), AUTH_S_ENOTFOUND);
    for (int i = 2; i < AUTH_PAIR_LIVE_MAX + 2; i++) {
        assert_int_equal(auth_pair_redeem(f->s, share[i].text, AUTH_SECRET_LEN, NULL,
                                          NULL, T0 + 20, &sec, &info), 0);
        assert_int_equal(info.rights, AUTH_RIGHTS_RO);
    }
    assert_int_equal(auth_pair_redeem(f->s, host.text, AUTH_SECRET_LEN, NULL, NULL,
                                      T0 + 20, &sec, &info), 0);
    assert_int_equal(info.rights, AUTH_RIGHTS_RW);
    assert_int_equal(auth_share_new(f->s, (enum auth_rights)0, 0, T0, "0000000a", 0, &sec,
                                    NULL), -EINVAL);
    /* Clearing drops share links too. */
    assert_int_equal(auth_share_new(f->s, AUTH_RIGHTS_RO, 0, T0, "0000000a", 0, &share[0],
                                    NULL), 0);
    auth_pair_clear(f->s);
    assert_int_equal(auth_pair_redeem(f->s, share[0].text, AUTH_SECRET_LEN, NULL, NULL,
                                      T0, &sec, NULL), AUTH_S_ENOTFOUND);
}

/* Two threads racing with one token: exactly one session. */
struct racer {
    struct auth_sessions *s;
    const struct auth_secret *tok;
    int rc;
    pthread_barrier_t *bar;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct auth_secret sec;

    pthread_barrier_wait(r->bar);
    r->rc = auth_pair_redeem(r->s, r->tok->text, AUTH_SECRET_LEN, NULL, NULL, T0, &sec, NULL);
    return NULL;
}

static void test_pairing_race(void **state)
{
    struct fx *f = *state;
    struct auth_secret tok;
    pthread_barrier_t bar;

    f->s = open_store(NULL);
    for (int round = 0; round < 50; round++) {
        struct racer r[4];
        pthread_t t[4];
        int ok = 0;

        assert_int_equal(auth_pair_new(f->s, AUTH_RIGHTS_RW, 0, T0, &tok, NULL), 0);
        pthread_barrier_init(&bar, NULL, 4);
        for (int i = 0; i < 4; i++) {
            r[i] = (struct racer){.s = f->s, .tok = &tok, .bar = &bar};
            assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(t[i], NULL);
            ok += r[i].rc == 0;
            assert_true(r[i].rc == 0 || r[i].rc == AUTH_S_ENOTFOUND);
        }
        pthread_barrier_destroy(&bar);
        assert_int_equal(ok, 1);
    }
}

/* ------------------------------------------------------------ sessions */

static void test_session_expiry(void **state)
{
    struct fx *f = *state;
    struct auth_sessions_config c = config(f, 0);
    struct auth_secret a, b;
    struct auth_info info;
    int64_t t;

    c.idle_s = 1 * DAY;
    c.absolute_s = 3 * DAY;
    f->s = open_store(&c);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, "p", "ua", T0, &a, &info), 0);
    assert_int_equal(info.expires, T0 + DAY);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, "p", "ua", T0, &b, NULL), 0);
    /* Idle: seen at T0 + DAY - 1 keeps it; DAY after the last sight ends it. */
    assert_int_equal(lookup(f->s, &a, T0 + DAY - 1, &info), 0);
    assert_int_equal(info.last_seen, T0 + DAY - 1);
    assert_int_equal(info.expires, T0 + 2 * DAY - 1);
    assert_int_equal(lookup(f->s, &b, T0 + DAY, NULL), AUTH_S_EEXPIRED);
    assert_int_equal(lookup(f->s, &b, T0 + 1, NULL), AUTH_S_ENOTFOUND); /* dropped */
    /* Absolute: seen every half day, it still ends 3 days after creation. */
    for (t = T0 + DAY - 1; t < T0 + 3 * DAY; t += DAY / 2) {
        assert_int_equal(lookup(f->s, &a, t, &info), 0);
        assert_true(info.expires <= T0 + 3 * DAY);
    }
    assert_int_equal(info.expires, T0 + 3 * DAY);
    assert_int_equal(lookup(f->s, &a, T0 + 3 * DAY, NULL), AUTH_S_EEXPIRED);
    /* A clock that goes back expires nothing and does not move last_seen. */
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RO, NULL, NULL, T0, &a, NULL), 0);
    assert_int_equal(lookup(f->s, &a, T0 - 5 * DAY, &info), 0);
    assert_int_equal(info.last_seen, T0);
}

static void test_session_revoke(void **state)
{
    struct fx *f = *state;
    struct auth_secret a, b;
    struct auth_info ia, ib;

    f->s = open_store(NULL);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, T0, &a, &ia), 0);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, T0, &b, &ib), 0);
    assert_string_not_equal(ia.id, ib.id);
    assert_int_equal(lookup(f->s, &a, T0 + 1, NULL), 0);
    /* Revoked between two requests: the next one fails. */
    assert_int_equal(auth_revoke(f->s, ia.id), 0);
    assert_int_equal(lookup(f->s, &a, T0 + 2, NULL), AUTH_S_ENOTFOUND);
    assert_int_equal(lookup(f->s, &b, T0 + 2, NULL), 0);
    assert_int_equal(auth_revoke(f->s, ia.id), AUTH_S_ENOTFOUND);
    assert_int_equal(auth_revoke(f->s, "nothere"), AUTH_S_ENOTFOUND);
    assert_int_equal(auth_revoke(f->s, ""), AUTH_S_ENOTFOUND);
    /* The secret does not work as an id. */
    assert_int_equal(auth_revoke(f->s, b.text), AUTH_S_ENOTFOUND);
    assert_int_equal(auth_revoke_all(f->s, AUTH_KIND_SESSION), 1);
    assert_int_equal(lookup(f->s, &b, T0 + 3, NULL), AUTH_S_ENOTFOUND);
    assert_int_equal(auth_revoke_all(f->s, AUTH_KIND_SESSION), 0);
}

static void test_session_fields(void **state)
{
    struct fx *f = *state;
    struct auth_secret a;
    struct auth_info info;
    char agent[400];

    f->s = open_store(NULL);
    memset(agent, 'A', sizeof agent - 1);
    agent[sizeof agent - 1] = '\0';
    memcpy(agent, "Mo\x01z\n\xc3\xa9\x7f", 8);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, "fe80::1%eth0\r\n", agent,
                                         T0, &a, &info), 0);
    assert_string_equal(info.peer, "fe80::1%eth0??");
    assert_int_equal(strlen(info.agent), AUTH_AGENT_MAX - 1);
    assert_memory_equal(info.agent, "Mo?z????AAA", 11);
    assert_string_equal(info.name, "");
    assert_int_equal(auth_session_create(f->s, (enum auth_rights)7, NULL, NULL, T0, &a, NULL),
                     -EINVAL);
}

static void test_session_bound(void **state)
{
    struct fx *f = *state;
    struct auth_sessions_config c = config(f, 0);
    struct auth_secret sec[5];
    struct auth_info info[5];

    c.max_sessions = 4;
    f->s = open_store(&c);
    for (int i = 0; i < 4; i++)
        assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, T0 + i,
                                             &sec[i], &info[i]), 0);
    /* Session 0 is the oldest but seen lately; 1 is least recently seen. */
    assert_int_equal(lookup(f->s, &sec[0], T0 + 10, NULL), 0);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, T0 + 11,
                                         &sec[4], &info[4]), 0);
    assert_int_equal(lookup(f->s, &sec[1], T0 + 12, NULL), AUTH_S_ENOTFOUND);
    for (int i = 0; i < 5; i++)
        if (i != 1)
            assert_int_equal(lookup(f->s, &sec[i], T0 + 12, NULL), 0);
}

/* A share link of maker (id, depth) redeemed at now: the new session's
 * secret in *sec, its info in *info; returns the redeem's result. */
static int share_redeem(struct auth_sessions *s, const struct auth_info *maker, int64_t now,
                        struct auth_secret *sec, struct auth_info *info)
{
    struct auth_secret link;

    assert_int_equal(auth_share_new(s, AUTH_RIGHTS_RO, 0, now, maker->id, maker->depth,
                                    &link, NULL), 0);
    return auth_pair_redeem(s, link.text, AUTH_SECRET_LEN, "guest", NULL, now, sec, info);
}

/*
 * F5, F16: a read-only guest makes 300 links and redeems them: the host's
 * session and another user's unredeemed link are untouched; the guest's
 * own oldest links and made sessions are the ones that go.
 */
static void test_guest_evicts_only_its_own(void **state)
{
    struct fx *f = *state;
    struct auth_secret host, guest, other_link, tok, links[300], made[300], sec;
    struct auth_info hi, gi, info;
    int64_t now = T0;

    f->s = open_store(NULL);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, now, &host, &hi), 0);
    /* The guest: a read-only pairing of the host's (ferryctl pair --read-only). */
    assert_int_equal(auth_pair_new(f->s, AUTH_RIGHTS_RO, 0, now, &tok, NULL), 0);
    assert_int_equal(auth_pair_redeem(f->s, tok.text, AUTH_SECRET_LEN, NULL, NULL, now, &guest,
                                      &gi), 0);
    assert_string_equal(gi.maker, "");
    assert_int_equal(gi.depth, 0);
    /* Another user's read-write link, not opened yet. */
    assert_int_equal(auth_share_new(f->s, AUTH_RIGHTS_RW, 0, now, hi.id, 0, &other_link, NULL),
                     0);
    /* The guest makes 300 links within one second, redeeming every second
     * one. */
    for (int i = 0; i < 300; i++) {
        assert_int_equal(auth_share_new(f->s, AUTH_RIGHTS_RO, 0, now, gi.id, 0, &links[i],
                                        NULL), 0);
        if (i % 2 == 0) {
            assert_int_equal(auth_pair_redeem(f->s, links[i].text, AUTH_SECRET_LEN, NULL,
                                              NULL, now, &made[i], &info), 0);
            assert_string_equal(info.maker, gi.id);
            assert_int_equal(info.depth, 1);
        }
    }
    assert_int_equal(lookup(f->s, &host, now, NULL), 0);
    assert_int_equal(lookup(f->s, &guest, now, NULL), 0);
    /* Its made sessions: the 16 newest live, the older ones gone. */
    for (int i = 0; i < 300; i += 2)
        assert_int_equal(lookup(f->s, &made[i], now, NULL),
                         i >= 300 - 2 * 16 ? 0 : AUTH_S_ENOTFOUND);
    /* Its unredeemed links: only its newest 4 are live (299, 297 ...: one
     * of them, 297, is checked here, the rest below). */
    assert_int_equal(auth_pair_redeem(f->s, links[1].text, AUTH_SECRET_LEN, NULL, NULL, now,
                                      &sec, NULL), AUTH_S_ENOTFOUND);
    assert_int_equal(auth_pair_redeem(f->s, links[297].text, AUTH_SECRET_LEN, NULL, NULL, now,
                                      &sec, NULL), 0);
    /* The other user's link still admits, read-write, as the host's guest. */
    assert_int_equal(auth_pair_redeem(f->s, other_link.text, AUTH_SECRET_LEN, NULL, NULL, now,
                                      &sec, &info), 0);
    assert_int_equal(info.rights, AUTH_RIGHTS_RW);
    assert_string_equal(info.maker, hi.id);
    assert_int_equal(lookup(f->s, &host, now, NULL), 0);
}

/* A guest's guest cannot share; evicting a made session ends what it made. */
static void test_guest_depth_and_cascade(void **state)
{
    struct fx *f = *state;
    struct auth_secret host, g1, g1kids[3], more[16], link;
    struct auth_info hi, g1i, info;
    int64_t now = T0;

    f->s = open_store(NULL);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, now, &host, &hi), 0);
    assert_int_equal(share_redeem(f->s, &hi, ++now, &g1, &g1i), 0);
    assert_int_equal(g1i.depth, 1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(share_redeem(f->s, &g1i, ++now, &g1kids[i], &info), 0);
    assert_int_equal(info.depth, 2);
    assert_int_equal(auth_share_new(f->s, AUTH_RIGHTS_RO, 0, now, info.id, info.depth, &link,
                                    NULL), AUTH_S_EDEPTH);
    assert_int_equal(auth_share_new(f->s, AUTH_RIGHTS_RO, 0, now, "", 0, &link, NULL), -EINVAL);
    /* The host makes 16 more: g1, its oldest, goes with the three it made. */
    for (int i = 0; i < 16; i++)
        assert_int_equal(share_redeem(f->s, &hi, ++now, &more[i], NULL), 0);
    assert_int_equal(lookup(f->s, &g1, now, NULL), AUTH_S_ENOTFOUND);
    for (int i = 0; i < 3; i++)
        assert_int_equal(lookup(f->s, &g1kids[i], now, NULL), AUTH_S_ENOTFOUND);
    for (int i = 0; i < 16; i++)
        assert_int_equal(lookup(f->s, &more[i], now, NULL), 0);
    assert_int_equal(lookup(f->s, &host, now, NULL), 0);
}

/* Revoking a session or token ends what it made: links, sessions, and
 * what those made (F5: a guest kept a cookie for every session it made). */
static void test_revoke_ends_what_it_made(void **state)
{
    struct fx *f = *state;
    struct auth_secret host, g, gk[2], link, t, tk, sec;
    struct auth_info hi, gi, gki, ti;
    int64_t now = T0;

    f->s = open_store(NULL);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, now, &host, &hi), 0);
    assert_int_equal(share_redeem(f->s, &hi, now, &g, &gi), 0);
    assert_int_equal(share_redeem(f->s, &gi, now, &gk[0], &gki), 0);
    assert_int_equal(share_redeem(f->s, &gi, now, &gk[1], NULL), 0);
    assert_int_equal(auth_share_new(f->s, AUTH_RIGHTS_RO, 0, now, gi.id, gi.depth, &link, NULL),
                     0);
    assert_int_equal(auth_revoke(f->s, gi.id), 0);
    assert_int_equal(lookup(f->s, &g, now, NULL), AUTH_S_ENOTFOUND);
    for (int i = 0; i < 2; i++)
        assert_int_equal(lookup(f->s, &gk[i], now, NULL), AUTH_S_ENOTFOUND);
    assert_int_equal(auth_pair_redeem(f->s, link.text, AUTH_SECRET_LEN, NULL, NULL, now, &sec,
                                      NULL), AUTH_S_ENOTFOUND);
    assert_int_equal(lookup(f->s, &host, now, NULL), 0);
    /* A token's made sessions go with it. */
    assert_int_equal(auth_token_create(f->s, "api", AUTH_RIGHTS_RO, now, &t, &ti), 0);
    assert_int_equal(share_redeem(f->s, &ti, now, &tk, NULL), 0);
    assert_int_equal(lookup(f->s, &tk, now, NULL), 0);
    assert_int_equal(auth_revoke(f->s, ti.id), 0);
    assert_int_equal(lookup(f->s, &tk, now, NULL), AUTH_S_ENOTFOUND);
    assert_int_equal(lookup(f->s, &host, now, NULL), 0);
}

/* The host's sessions are bounded apart; guests in all too: a maker with
 * nothing to give up is refused and its link stays live. */
static void test_guest_bounds(void **state)
{
    struct fx *f = *state;
    struct auth_sessions_config c = config(f, 0);
    struct auth_secret a, b, sec[8], link, hs[3];
    struct auth_info ai, bi;
    int64_t now = T0;

    c.max_sessions = 2;
    c.max_guests = 4;
    f->s = open_store(&c);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, now, &a, &ai), 0);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RO, NULL, NULL, now, &b, &bi), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(share_redeem(f->s, &ai, ++now, &sec[i], NULL), 0);
    /* a's fifth took a's first: the guests' bound is a's own problem. */
    assert_int_equal(lookup(f->s, &sec[0], now, NULL), AUTH_S_ENOTFOUND);
    assert_int_equal(auth_share_new(f->s, AUTH_RIGHTS_RO, 0, now, bi.id, 0, &link, NULL), 0);
    assert_int_equal(auth_pair_redeem(f->s, link.text, AUTH_SECRET_LEN, NULL, NULL, now,
                                      &sec[5], NULL), AUTH_S_EFULL);
    for (int i = 1; i < 5; i++)
        assert_int_equal(lookup(f->s, &sec[i], now, NULL), 0);
    /* Still live: once a guest of a's is revoked, it admits. */
    {
        struct auth_info *list = NULL;
        size_t n = 0;

        assert_int_equal(auth_list(f->s, now, &list, &n), 0);
        for (size_t i = 0; i < n; i++)
            if (strcmp(list[i].maker, ai.id) == 0) {
                assert_int_equal(auth_revoke(f->s, list[i].id), 0);
                break;
            }
        free(list);
    }
    assert_int_equal(auth_pair_redeem(f->s, link.text, AUTH_SECRET_LEN, NULL, NULL, now,
                                      &sec[5], NULL), 0);
    /* Guests never push out the host's sessions; the host's third does
     * (its own least recently seen). */
    assert_int_equal(lookup(f->s, &a, now, NULL), 0);
    assert_int_equal(lookup(f->s, &b, now + 1, NULL), 0);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, now + 2, &hs[0], NULL),
                     0);
    assert_int_equal(lookup(f->s, &a, now + 2, NULL), AUTH_S_ENOTFOUND);
    assert_int_equal(lookup(f->s, &b, now + 2, NULL), 0);
    for (int i = 2; i < 6; i++)
        assert_int_equal(lookup(f->s, &sec[i], now + 2, NULL), 0);
}

/* Makers and depths survive a restart, and the bounds go on from there. */
static void test_persist_makers(void **state)
{
    struct fx *f = *state;
    struct auth_sessions_config c = config(f, 1);
    struct auth_secret host, made[17];
    struct auth_info hi, info;
    int64_t now = T0;
    char *text;

    f->s = open_store(&c);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, now, &host, &hi), 0);
    for (int i = 0; i < 16; i++)
        assert_int_equal(share_redeem(f->s, &hi, ++now, &made[i], NULL), 0);
    text = file_text(f);
    assert_non_null(text);
    assert_non_null(strstr(text, "\"version\": 2"));
    assert_non_null(strstr(text, "\"maker\": \"\""));
    assert_non_null(strstr(text, "\"depth\": 1"));
    free(text);
    auth_sessions_free(f->s);
    f->s = open_store(&c);
    assert_int_equal(auth_sessions_load(f->s, now), 0);
    assert_int_equal(lookup(f->s, &made[0], now, &info), 0);
    assert_string_equal(info.maker, hi.id);
    assert_int_equal(info.depth, 1);
    assert_int_equal(lookup(f->s, &host, now, &info), 0);
    assert_string_equal(info.maker, "");
    /* The 17th after the restart takes the oldest made before it. */
    assert_int_equal(share_redeem(f->s, &hi, ++now, &made[16], NULL), 0);
    assert_int_equal(lookup(f->s, &made[0], now, NULL), AUTH_S_ENOTFOUND);
    assert_int_equal(lookup(f->s, &made[1], now, NULL), 0);
    assert_int_equal(lookup(f->s, &host, now, NULL), 0);
}

/* Lookups compare with every stored hash, found or not. */
static void test_constant_time_lookups(void **state)
{
    struct fx *f = *state;
    struct auth_secret sec[10], tok, other;

    f->s = open_store(NULL);
    for (int i = 0; i < 10; i++)
        assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, T0,
                                             &sec[i], NULL), 0);
    assert_int_equal(auth_token_create(f->s, "t", AUTH_RIGHTS_RO, T0, &tok, NULL), 0);
    other = sec[5];
    other.text[0] = other.text[0] == 'A' ? 'B' : 'A';
    ct_calls = 0;
    assert_int_equal(lookup(f->s, &sec[0], T0, NULL), 0);
    assert_int_equal(ct_calls, 10);
    assert_int_equal(lookup(f->s, &sec[9], T0, NULL), 0);
    assert_int_equal(ct_calls, 20);
    assert_int_equal(lookup(f->s, &other, T0, NULL), AUTH_S_ENOTFOUND);
    assert_int_equal(ct_calls, 30);
    assert_int_equal(auth_token_lookup(f->s, tok.text, AUTH_SECRET_LEN, T0, NULL), 0);
    assert_int_equal(ct_calls, 31);
    assert_int_equal(ct_bad_len, 0);
}

/* ------------------------------------------------------------ tokens */

static void test_tokens(void **state)
{
    struct fx *f = *state;
    struct auth_sessions_config c = config(f, 0);
    struct auth_secret t1, t2, t3, s1;
    struct auth_info info;

    c.max_tokens = 2;
    f->s = open_store(&c);
    assert_int_equal(auth_token_create(f->s, "backup\tscript", AUTH_RIGHTS_RO, T0, &t1, &info), 0);
    assert_int_equal(info.kind, AUTH_KIND_TOKEN);
    assert_string_equal(info.name, "backup?script");
    assert_int_equal(info.last_seen, 0);
    assert_int_equal(info.expires, 0);
    assert_int_equal(auth_token_create(f->s, NULL, AUTH_RIGHTS_RW, T0, &t2, NULL), 0);
    assert_int_equal(auth_token_create(f->s, "three", AUTH_RIGHTS_RW, T0, &t3, NULL),
                     AUTH_S_EFULL);
    assert_int_equal(auth_token_create(f->s, "x", (enum auth_rights)0, T0, &t3, NULL), -EINVAL);
    /* Tokens never expire; their use is recorded. */
    assert_int_equal(auth_token_lookup(f->s, t1.text, AUTH_SECRET_LEN, T0 + 400 * DAY, &info), 0);
    assert_int_equal(info.rights, AUTH_RIGHTS_RO);
    assert_int_equal(info.last_seen, T0 + 400 * DAY);
    /* A token is not a session and a session is not a token. */
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, T0, &s1, NULL), 0);
    assert_int_equal(lookup(f->s, &t1, T0, NULL), AUTH_S_ENOTFOUND);
    assert_int_equal(auth_token_lookup(f->s, s1.text, AUTH_SECRET_LEN, T0, NULL),
                     AUTH_S_ENOTFOUND);
    /* Revoking one makes room. */
    assert_int_equal(auth_token_lookup(f->s, t2.text, AUTH_SECRET_LEN, T0, &info), 0);
    assert_int_equal(auth_revoke(f->s, info.id), 0);
    assert_int_equal(auth_token_lookup(f->s, t2.text, AUTH_SECRET_LEN, T0, NULL),
                     AUTH_S_ENOTFOUND);
    assert_int_equal(auth_token_create(f->s, "three", AUTH_RIGHTS_RW, T0, &t3, NULL), 0);
    assert_int_equal(auth_revoke_all(f->s, AUTH_KIND_TOKEN), 2);
    assert_int_equal(lookup(f->s, &s1, T0, NULL), 0);
}

static void test_list(void **state)
{
    struct fx *f = *state;
    struct auth_sessions_config c = config(f, 0);
    struct auth_secret sec;
    struct auth_info *list = (struct auth_info *)&c, info[4];
    size_t n = 99;

    c.idle_s = 100;
    c.absolute_s = 1000;
    f->s = open_store(&c);
    assert_int_equal(auth_list(f->s, T0, &list, &n), 0);
    assert_null(list);
    assert_int_equal(n, 0);
    assert_int_equal(auth_token_create(f->s, "late", AUTH_RIGHTS_RW, T0 + 5, &sec, &info[0]), 0);
    assert_int_equal(auth_token_create(f->s, "early", AUTH_RIGHTS_RO, T0 + 1, &sec, &info[1]), 0);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, "b", NULL, T0 + 3, &sec, &info[2]), 0);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RO, "a", NULL, T0 + 2, &sec, &info[3]), 0);
    assert_int_equal(auth_list(f->s, T0 + 50, &list, &n), 0);
    assert_int_equal(n, 4);
    assert_string_equal(list[0].id, info[3].id);
    assert_string_equal(list[0].peer, "a");
    assert_int_equal(list[0].kind, AUTH_KIND_SESSION);
    assert_int_equal(list[0].expires, T0 + 102);
    assert_string_equal(list[1].id, info[2].id);
    assert_string_equal(list[2].name, "early");
    assert_int_equal(list[2].kind, AUTH_KIND_TOKEN);
    assert_string_equal(list[3].name, "late");
    free(list);
    /* Expired sessions are not listed. */
    assert_int_equal(auth_list(f->s, T0 + 102, &list, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(list[0].id, info[2].id);
    free(list);
}

/* ------------------------------------------------------------ persistence */

static void test_persist_round_trip(void **state)
{
    struct fx *f = *state;
    struct auth_sessions_config c = config(f, 1);
    struct auth_secret s1, s2, s3, t1, pair, out;
    struct auth_info i1, i2, it, got, *list;
    struct stat st;
    size_t n;
    char *text;

    f->s = open_store(&c);
    assert_int_equal(auth_sessions_load(f->s, T0), 0); /* no file yet */
    assert_int_equal(auth_pair_new(f->s, AUTH_RIGHTS_RO, 0, T0, &pair, NULL), 0);
    assert_null(file_text(f)); /* pairing tokens are never written */
    assert_int_equal(auth_pair_new(f->s, AUTH_RIGHTS_RW, 0, T0, &pair, NULL), 0);
    assert_int_equal(auth_pair_redeem(f->s, pair.text, AUTH_SECRET_LEN, "192.0.2.1",
                                      "Firefox \"quoted\" \\", T0, &s1, &i1), 0);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RO, "2001:db8::1", "curl",
                                         T0 + 1, &s2, &i2), 0);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RO, NULL, NULL, T0 + 2, &s3, NULL), 0);
    assert_int_equal(auth_token_create(f->s, "nightly backup", AUTH_RIGHTS_RW, T0 + 3, &t1, &it), 0);
    assert_int_equal(lookup(f->s, &s3, T0 + 4, &got), 0);
    assert_int_equal(auth_revoke(f->s, got.id), 0);

    /* The file: mode 0600, no secret and no pairing token in it. */
    assert_int_equal(fstatat(f->fd, AUTH_SESSIONS_FILE, &st, 0), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    text = file_text(f);
    assert_non_null(text);
    assert_null(strstr(text, s1.text));
    assert_null(strstr(text, s2.text));
    assert_null(strstr(text, s3.text));
    assert_null(strstr(text, t1.text));
    assert_null(strstr(text, pair.text));
    assert_non_null(strstr(text, "nightly backup"));
    assert_non_null(strstr(text, i1.id));
    assert_null(strstr(text, got.id)); /* revoked */
    free(text);

    /* A cold start reads them back. */
    auth_sessions_free(f->s);
    f->s = open_store(&c);
    assert_int_equal(auth_sessions_load(f->s, T0 + 100), 0);
    assert_int_equal(lookup(f->s, &s1, T0 + 100, &got), 0);
    assert_string_equal(got.id, i1.id);
    assert_int_equal(got.rights, AUTH_RIGHTS_RW);
    assert_int_equal(got.created, T0);
    assert_string_equal(got.peer, "192.0.2.1");
    assert_string_equal(got.agent, "Firefox \"quoted\" \\");
    assert_int_equal(lookup(f->s, &s2, T0 + 100, &got), 0);
    assert_string_equal(got.id, i2.id);
    assert_int_equal(got.rights, AUTH_RIGHTS_RO);
    assert_int_equal(lookup(f->s, &s3, T0 + 100, NULL), AUTH_S_ENOTFOUND);
    assert_int_equal(auth_token_lookup(f->s, t1.text, AUTH_SECRET_LEN, T0 + 100, &got), 0);
    assert_string_equal(got.id, it.id);
    assert_string_equal(got.name, "nightly backup");
    assert_int_equal(got.rights, AUTH_RIGHTS_RW);
    /* Pairing tokens did not survive. */
    assert_int_equal(auth_pair_redeem(f->s, pair.text, AUTH_SECRET_LEN, NULL, NULL,
                                      T0 + 100, &out, NULL), AUTH_S_ENOTFOUND);
    assert_int_equal(auth_list(f->s, T0 + 100, &list, &n), 0);
    assert_int_equal(n, 3);
    free(list);
    assert_int_equal(log_lines, 0);
    /* Without a state folder nothing is read or written. */
    auth_sessions_free(f->s);
    c = config(f, 0);
    f->s = open_store(&c);
    assert_int_equal(auth_sessions_load(f->s, T0 + 100), 0);
    assert_int_equal(lookup(f->s, &s1, T0 + 100, NULL), AUTH_S_ENOTFOUND);
}

/* Last-seen times reach the file in steps of seen_persist_s. */
static void test_persist_last_seen(void **state)
{
    struct fx *f = *state;
    struct auth_sessions_config c = config(f, 1);
    struct auth_secret s1, t1;
    struct auth_info got, *list;
    struct stat st1, st2;
    size_t n;
    char *before, *after;

    c.seen_persist_s = 600;
    f->s = open_store(&c);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, T0, &s1, NULL), 0);
    assert_int_equal(auth_token_create(f->s, "t", AUTH_RIGHTS_RW, T0, &t1, NULL), 0);
    before = file_text(f);
    assert_int_equal(lookup(f->s, &s1, T0 + 599, NULL), 0);
    after = file_text(f);
    assert_string_equal(before, after);
    free(after);
    assert_int_equal(lookup(f->s, &s1, T0 + 600, NULL), 0);
    after = file_text(f);
    assert_string_not_equal(before, after);
    free(before);
    free(after);
    /* A token's first use is written at once. */
    before = file_text(f);
    assert_int_equal(auth_token_lookup(f->s, t1.text, AUTH_SECRET_LEN, T0 + 601, NULL), 0);
    after = file_text(f);
    assert_string_not_equal(before, after);
    free(before);
    free(after);
    /* Without flush() a restart loses the last-seen time below the step ... */
    assert_int_equal(lookup(f->s, &s1, T0 + 900, NULL), 0);
    auth_sessions_free(f->s);
    f->s = open_store(&c);
    assert_int_equal(auth_sessions_load(f->s, T0 + 901), 0);
    assert_int_equal(auth_list(f->s, T0 + 901, &list, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(list[0].last_seen, T0 + 600);
    free(list);
    /* ... flush() writes it. */
    assert_int_equal(lookup(f->s, &s1, T0 + 900, NULL), 0);
    before = file_text(f);
    assert_int_equal(auth_sessions_flush(f->s), 0);
    after = file_text(f);
    assert_string_not_equal(before, after);
    free(before);
    free(after);
    auth_sessions_free(f->s);
    f->s = open_store(&c);
    assert_int_equal(auth_sessions_load(f->s, T0 + 901), 0);
    assert_int_equal(lookup(f->s, &s1, T0 + 901, &got), 0);
    assert_int_equal(got.created, T0);
    assert_int_equal(auth_list(f->s, T0 + 901, &list, &n), 0);
    assert_int_equal(list[0].last_seen, T0 + 901);
    free(list);
    /* Nothing pending: flush() does not write (a write is a new inode). */
    assert_int_equal(auth_sessions_flush(f->s), 0);
    assert_int_equal(fstatat(f->fd, AUTH_SESSIONS_FILE, &st1, 0), 0);
    assert_int_equal(auth_sessions_flush(f->s), 0);
    assert_int_equal(fstatat(f->fd, AUTH_SESSIONS_FILE, &st2, 0), 0);
    assert_int_equal(st1.st_ino, st2.st_ino);
    assert_int_equal(lookup(f->s, &s1, T0 + 901, NULL), 0); /* seen again, same time */
    assert_int_equal(auth_sessions_flush(f->s), 0);
    assert_int_equal(fstatat(f->fd, AUTH_SESSIONS_FILE, &st2, 0), 0);
    assert_int_equal(st1.st_ino, st2.st_ino);
}

/* Expired sessions are dropped at load; lower bounds are applied. */
static void test_persist_expiry_and_bounds(void **state)
{
    struct fx *f = *state;
    struct auth_sessions_config c = config(f, 1);
    struct auth_secret s[4], t[3];
    struct auth_info *list;
    size_t n;

    c.idle_s = 1000;
    c.absolute_s = 5000;
    f->s = open_store(&c);
    for (int i = 0; i < 4; i++)
        assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, T0 + i * 100,
                                             &s[i], NULL), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(auth_token_create(f->s, "t", AUTH_RIGHTS_RW, T0 + i, &t[i], NULL), 0);
    auth_sessions_free(f->s);
    /* At T0 + 1050: session 0 (seen T0) has been idle too long. */
    f->s = open_store(&c);
    assert_int_equal(auth_sessions_load(f->s, T0 + 1050), 0);
    assert_int_equal(auth_list(f->s, T0 + 1050, &list, &n), 0);
    assert_int_equal(n, 3 + 3);
    free(list);
    assert_int_equal(lookup(f->s, &s[0], T0 + 1050, NULL), AUTH_S_ENOTFOUND);
    auth_sessions_free(f->s);
    /* With lower bounds: the most recently seen sessions, the oldest tokens. */
    c.max_sessions = 2;
    c.max_tokens = 2;
    f->s = open_store(&c);
    assert_int_equal(auth_sessions_load(f->s, T0 + 1050), 0);
    assert_non_null(strstr(log_text, "more than the configured bounds"));
    assert_int_equal(auth_list(f->s, T0 + 1050, &list, &n), 0);
    assert_int_equal(n, 4);
    free(list);
    assert_int_equal(lookup(f->s, &s[1], T0 + 1050, NULL), AUTH_S_ENOTFOUND);
    assert_int_equal(lookup(f->s, &s[2], T0 + 1050, NULL), 0);
    assert_int_equal(lookup(f->s, &s[3], T0 + 1050, NULL), 0);
    assert_int_equal(auth_token_lookup(f->s, t[0].text, AUTH_SECRET_LEN, T0, NULL), 0);
    assert_int_equal(auth_token_lookup(f->s, t[1].text, AUTH_SECRET_LEN, T0, NULL), 0);
    assert_int_equal(auth_token_lookup(f->s, t[2].text, AUTH_SECRET_LEN, T0, NULL),
                     AUTH_S_ENOTFOUND);
}

/* A valid file with one session, into which the corrupt variants are cut. */
#define GOOD_ID "0a1b2c3d"
#define GOOD_HASH "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define SES(fields) "{\"version\": 1, \"sessions\": [" fields "], \"tokens\": []}"
#define ONE(id, hash, rights, created, seen, peer, agent)                         \
    "{\"id\": \"" id "\", \"hash\": \"" hash "\", \"rights\": \"" rights           \
    "\", \"created\": " created ", \"last_seen\": " seen ", \"peer\": \"" peer     \
    "\", \"agent\": \"" agent "\"}"
#define TOK(id, hash) \
    "{\"id\": \"" id "\", \"hash\": \"" hash "\", \"rights\": \"ro\", \"created\": 5, " \
    "\"last_used\": 0, \"name\": \"n\"}"

static void test_persist_corrupt(void **state)
{
    static const char *const bad[] = {
        "",
        "not json",
        "{\"version\": 1, \"sessions\": [], \"tokens\": []",     /* truncated */
        "[]",
        "{\"version\": 3, \"sessions\": [], \"tokens\": []}",
        "{\"version\": 0, \"sessions\": [], \"tokens\": []}",
        "{\"version\": \"1\", \"sessions\": [], \"tokens\": []}",
        "{\"version\": 1, \"sessions\": []}",
        "{\"version\": 1, \"sessions\": [], \"tokens\": [], \"x\": 1}",
        "{\"version\": 1, \"sessions\": {}, \"tokens\": []}",
        "{\"version\": 1, \"version\": 1, \"sessions\": [], \"tokens\": []}",
        SES("1"),
        SES(ONE("0a1b2c3", GOOD_HASH, "rw", "5", "6", "p", "a")),
        SES(ONE("0a1b2c3D", GOOD_HASH, "rw", "5", "6", "p", "a")),
        SES(ONE("0a1b2c3g", GOOD_HASH, "rw", "5", "6", "p", "a")),
        SES(ONE(GOOD_ID, "0011", "rw", "5", "6", "p", "a")),
        SES(ONE(GOOD_ID, GOOD_HASH "00", "rw", "5", "6", "p", "a")),
        SES(ONE(GOOD_ID, "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff",
                "rw", "5", "6", "p", "a")),
        SES(ONE(GOOD_ID, GOOD_HASH, "admin", "5", "6", "p", "a")),
        SES(ONE(GOOD_ID, GOOD_HASH, "RW", "5", "6", "p", "a")),
        SES(ONE(GOOD_ID, GOOD_HASH, "rw", "-5", "6", "p", "a")),
        SES(ONE(GOOD_ID, GOOD_HASH, "rw", "5.5", "6", "p", "a")),
        SES(ONE(GOOD_ID, GOOD_HASH, "rw", "\"5\"", "6", "p", "a")),
        SES(ONE(GOOD_ID, GOOD_HASH, "rw", "7", "6", "p", "a")),      /* seen < created */
        SES(ONE(GOOD_ID, GOOD_HASH, "rw", "5", "99999999999999999999", "p", "a")),
        SES(ONE(GOOD_ID, GOOD_HASH, "rw", "5", "6", "p\\u0001", "a")),
        SES(ONE(GOOD_ID, GOOD_HASH, "rw", "5", "6", "p", "\\u00e9")),
        SES(ONE(GOOD_ID, GOOD_HASH, "rw", "5", "6", "p", "a\\u0000b")),
        SES(ONE(GOOD_ID, GOOD_HASH, "rw", "5", "6",
                "0123456789012345678901234567890123456789012345678901234567890123", "a")),
        SES(ONE(GOOD_ID, GOOD_HASH, "rw", "5", "6", "p", "a") ", "
            ONE(GOOD_ID, "ff112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
                "rw", "5", "6", "p", "a")),                           /* same id */
        SES(ONE(GOOD_ID, GOOD_HASH, "rw", "5", "6", "p", "a") ", "
            ONE("ffffffff", GOOD_HASH, "rw", "5", "6", "p", "a")),   /* same hash */
        "{\"version\": 1, \"sessions\": [" ONE(GOOD_ID, GOOD_HASH, "rw", "5", "6", "p", "a")
        "], \"tokens\": [" TOK(GOOD_ID, "ff112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
        "]}",                                                          /* id across lists */
        "{\"version\": 1, \"sessions\": [], \"tokens\": [" TOK(GOOD_ID, GOOD_HASH) ", 3]}",
        "{\"version\": 1, \"sessions\": [{\"id\": \"" GOOD_ID "\", \"hash\": \"" GOOD_HASH
        "\", \"rights\": \"rw\", \"created\": 5, \"last_seen\": 6, \"peer\": \"p\"}], "
        "\"tokens\": []}",                                              /* key missing */
        "{\"version\": 1, \"sessions\": [{\"id\": \"" GOOD_ID "\", \"hash\": \"" GOOD_HASH
        "\", \"rights\": \"rw\", \"created\": 5, \"last_seen\": 6, \"peer\": \"p\", "
        "\"agent\": \"a\", \"name\": \"x\"}], \"tokens\": []}",        /* key extra */
        "{\"version\": 1, \"sessions\": [], \"tokens\": [{\"id\": \"" GOOD_ID "\", \"hash\": \""
        GOOD_HASH "\", \"rights\": \"ro\", \"created\": 5, \"last_used\": 3, \"name\": \"n\"}]}",
    };
    struct fx *f = *state;
    struct auth_sessions_config c = config(f, 1);
    struct auth_secret sec;
    struct auth_info *list;
    size_t n;
    char *text;

    /* The good file loads (to know the frame is right). */
    write_file(f, "{\"version\": 1, \"sessions\": [" ONE(GOOD_ID, GOOD_HASH, "rw", "5", "6", "p", "a")
                  "], \"tokens\": [" TOK("ffffffff", GOOD_HASH) "]}");
    f->s = open_store(&c);
    assert_int_equal(auth_sessions_load(f->s, 7), 0);
    assert_int_equal(auth_list(f->s, 7, &list, &n), 0);
    assert_int_equal(n, 2);
    free(list);

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct auth_secret s0;
        int rc;

        /* A session from before, which the corrupt file must not keep. */
        assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, 7, &s0, NULL), 0);
        write_file(f, bad[i]);
        log_text[0] = '\0';
        rc = auth_sessions_load(f->s, 7);
        if (rc != AUTH_S_ECORRUPT)
            fail_msg("file %zu loaded (%d): %s", i, rc, bad[i]);
        assert_non_null(strstr(log_text, "is corrupt"));
        assert_non_null(strstr(log_text, f->dir));
        assert_int_equal(auth_list(f->s, 7, &list, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(lookup(f->s, &s0, 7, NULL), AUTH_S_ENOTFOUND);
    }
    /* The next change replaces the corrupt file with a good one. */
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, 7, &sec, NULL), 0);
    auth_sessions_free(f->s);
    f->s = open_store(&c);
    assert_int_equal(auth_sessions_load(f->s, 8), 0);
    assert_int_equal(lookup(f->s, &sec, 8, NULL), 0);

    /* Too big, a folder, a symlink: reported, nothing loaded. */
    text = malloc((16u << 20) + 2);
    assert_non_null(text);
    memset(text, ' ', (16u << 20) + 1);
    text[(16u << 20) + 1] = '\0';
    write_file(f, text);
    free(text);
    assert_int_equal(auth_sessions_load(f->s, 8), AUTH_S_ECORRUPT);
    assert_int_equal(lookup(f->s, &sec, 8, NULL), AUTH_S_ENOTFOUND);
    assert_int_equal(unlinkat(f->fd, AUTH_SESSIONS_FILE, 0), 0);
    assert_int_equal(symlinkat("/etc/passwd", f->fd, AUTH_SESSIONS_FILE), 0);
    log_text[0] = '\0';
    assert_int_equal(auth_sessions_load(f->s, 8), -ELOOP);
    assert_non_null(strstr(log_text, "cannot read"));
    assert_int_equal(unlinkat(f->fd, AUTH_SESSIONS_FILE, 0), 0);
    assert_int_equal(mkdirat(f->fd, AUTH_SESSIONS_FILE, 0700), 0);
    assert_int_equal(auth_sessions_load(f->s, 8), -EINVAL);
    assert_int_equal(unlinkat(f->fd, AUTH_SESSIONS_FILE, AT_REMOVEDIR), 0);
}

static void test_persist_mode_warning(void **state)
{
    struct fx *f = *state;
    struct auth_sessions_config c = config(f, 1);
    struct auth_secret sec;

    f->s = open_store(&c);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, T0, &sec, NULL), 0);
    assert_int_equal(fchmodat(f->fd, AUTH_SESSIONS_FILE, 0644, 0), 0);
    assert_int_equal(auth_sessions_load(f->s, T0), 0);
    assert_non_null(strstr(log_text, "can be read by others"));
    assert_int_equal(lookup(f->s, &sec, T0, NULL), 0);
}

/* A write that fails is logged once, retried, and reported by flush. */
static void test_persist_write_fails(void **state)
{
    struct fx *f = *state;
    struct auth_sessions_config c = config(f, 1);
    struct auth_secret a, b;
    char sub[128];
    int fd;

    snprintf(sub, sizeof sub, "%s/state", f->dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    fd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    c.state_fd = fd;
    c.state_path = sub;
    f->s = open_store(&c);
    close(fd); /* the store has its own */
    assert_int_equal(rmdir(sub), 0);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, T0, &a, NULL), 0);
    assert_int_equal(auth_session_create(f->s, AUTH_RIGHTS_RW, NULL, NULL, T0, &b, NULL), 0);
    assert_int_equal(log_lines, 1);
    snprintf(sub + strlen(sub), sizeof sub - strlen(sub), "/%s: ", AUTH_SESSIONS_FILE);
    assert_non_null(strstr(log_text, "cannot write "));
    assert_non_null(strstr(log_text, sub));
    assert_non_null(strstr(log_text, strerror(ENOENT)));
    /* The changes stand in memory. */
    assert_int_equal(lookup(f->s, &a, T0, NULL), 0);
    assert_int_equal(lookup(f->s, &b, T0, NULL), 0);
    assert_int_equal(auth_sessions_flush(f->s), -ENOENT);
    assert_int_equal(log_lines, 1);
}

static void test_config(void **state)
{
    struct fx *f = *state;
    struct auth_sessions_config c;
    struct auth_sessions *s = (struct auth_sessions *)&c;

    auth_sessions_defaults(&c);
    assert_int_equal(c.pair_ttl_s, 300);
    assert_int_equal(c.idle_s, 7 * DAY);
    assert_int_equal(c.absolute_s, 30 * DAY);
    assert_int_equal(c.max_sessions, 256);
    assert_int_equal(c.max_tokens, 64);
    assert_int_equal(c.state_fd, -1);
    c.absolute_s = c.idle_s - 1;
    assert_int_equal(auth_sessions_new(&c, &s), FERRY_EINVAL_CONFIG);
    assert_null(s);
    auth_sessions_defaults(&c);
    c.max_sessions = 0;
    assert_int_equal(auth_sessions_new(&c, &s), FERRY_EINVAL_CONFIG);
    auth_sessions_defaults(&c);
    c.max_tokens = AUTH_SESSIONS_HARD_MAX + 1;
    assert_int_equal(auth_sessions_new(&c, &s), FERRY_EINVAL_CONFIG);
    auth_sessions_defaults(&c);
    c.pair_ttl_s = 0;
    assert_int_equal(auth_sessions_new(&c, &s), FERRY_EINVAL_CONFIG);
    auth_sessions_defaults(&c);
    c.state_fd = 9999;
    assert_int_equal(auth_sessions_new(&c, &s), -EBADF);
    auth_sessions_free(NULL);
    assert_string_equal(auth_sessions_strerror(AUTH_S_EFULL),
                        "too many bearer tokens: revoke one first");
    (void)f;
}

/* ------------------------------------------------------------ threads */

struct worker {
    struct auth_sessions *s;
    unsigned id;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    struct auth_secret mine[8];
    struct auth_info info[8];
    int n = 0;

    for (int i = 0; i < 300; i++) {
        int64_t now = T0 + i * 700;
        struct auth_secret tok;

        switch ((i + (int)w->id) % 4) {
        case 0:
            if (n < 8) {
                assert_int_equal(auth_pair_new(w->s, AUTH_RIGHTS_RW, 0, now, &tok, NULL), 0);
                if (auth_pair_redeem(w->s, tok.text, AUTH_SECRET_LEN, "p", "a", now,
                                     &mine[n], &info[n]) == 0)
                    n++;
            }
            break;
        case 1:
        case 2:
            for (int k = 0; k < n; k++)
                assert_int_equal(lookup(w->s, &mine[k], now, NULL), 0);
            break;
        default:
            if (n > 4) {
                assert_int_equal(auth_revoke(w->s, info[0].id), 0);
                assert_int_equal(lookup(w->s, &mine[0], now, NULL), AUTH_S_ENOTFOUND);
                memmove(mine, mine + 1, (size_t)(n - 1) * sizeof mine[0]);
                memmove(info, info + 1, (size_t)(n - 1) * sizeof info[0]);
                n--;
            }
            break;
        }
    }
    return NULL;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(((const struct auth_info *)a)->id, ((const struct auth_info *)b)->id);
}

static void test_threads(void **state)
{
    struct fx *f = *state;
    struct auth_sessions_config c = config(f, 1);
    struct auth_info *before, *after;
    size_t nb, na;
    struct worker w[4];
    pthread_t t[4];

    c.seen_persist_s = 1000;
    f->s = open_store(&c);
    for (unsigned i = 0; i < 4; i++) {
        w[i] = (struct worker){.s = f->s, .id = i};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (unsigned i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    /* Whatever order the writes happened in, the file is the last state. */
    assert_int_equal(auth_list(f->s, T0, &before, &nb), 0);
    assert_true(nb > 0);
    auth_sessions_free(f->s);
    f->s = open_store(&c);
    assert_int_equal(auth_sessions_load(f->s, T0), 0);
    assert_int_equal(auth_list(f->s, T0, &after, &na), 0);
    assert_int_equal(na, nb);
    qsort(before, nb, sizeof *before, cmp_id);
    qsort(after, na, sizeof *after, cmp_id);
    for (size_t i = 0; i < nb; i++)
        assert_string_equal(before[i].id, after[i].id);
    free(before);
    free(after);
    assert_int_equal(log_lines, 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_secrets),
        T(test_pairing_one_time),
        T(test_pairing_expiry),
        T(test_pairing_live_max),
        T(test_share_pool),
        T(test_pairing_race),
        T(test_session_expiry),
        T(test_session_revoke),
        T(test_session_fields),
        T(test_session_bound),
        T(test_guest_evicts_only_its_own),
        T(test_guest_depth_and_cascade),
        T(test_revoke_ends_what_it_made),
        T(test_guest_bounds),
        T(test_persist_makers),
        T(test_constant_time_lookups),
        T(test_tokens),
        T(test_list),
        T(test_persist_round_trip),
        T(test_persist_last_seen),
        T(test_persist_expiry_and_bounds),
        T(test_persist_corrupt),
        T(test_persist_mode_warning),
        T(test_persist_write_fails),
        T(test_config),
        T(test_threads),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
