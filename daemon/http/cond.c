/*
 * cond.c — conditional requests (RFC 9110 §13): entity-tag lists, their
 * strong and weak comparison, and the evaluation order of §13.2.2.
 *
 * Entity tags are read strictly: [ "W/" ] DQUOTE *etagc DQUOTE, "W/" in that
 * case only, lists with OWS around commas and empty elements, "*" only on its
 * own. A header that breaks this grammar never helps the client: a malformed
 * If-Match fails (412); a malformed If-None-Match gives 412 to a method other
 * than GET/HEAD and no 304 to GET/HEAD (which still skips If-Modified-Since,
 * as the header is present); a malformed If-Range sends the whole
 * representation. A malformed date is ignored, as the RFC requires.
 */
#include "config.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cond.h"
#include "httpdate.h"

void cond_etag(const struct stat *st, char buf[COND_ETAG_MAX])
{
#if defined(__APPLE__)
    uint64_t ns = (uint64_t)st->st_mtimespec.tv_sec * 1000000000u +
                  (uint64_t)st->st_mtimespec.tv_nsec;
#else
    uint64_t ns = (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
#endif
    snprintf(buf, COND_ETAG_MAX, "\"%" PRIx64 "-%" PRIx64 "-%" PRIx64 "\"",
             (uint64_t)st->st_ino, (uint64_t)st->st_size, ns);
}

/* One entity tag: whether it is weak, and its opaque part between quotes. */
struct etag {
    int weak;
    const char *opaque;
    size_t len;
};

/* Whether c is optional whitespace (SP or HTAB). */
static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Advances *p past optional whitespace. */
static void skip_ows(const char **p)
{
    while (is_ows(**p))
        (*p)++;
}

/* Whether c may appear between the quotes of an entity tag (etagc). */
static int is_etagc(char c)
{
    unsigned char u = (unsigned char)c;

    return u == 0x21 || (u >= 0x23 && u <= 0x7e) || u >= 0x80;
}

/* Reads one entity-tag at *p into *e and advances *p past it.
 * Returns 0, or -1 if there is none. */
static int take_etag(const char **p, struct etag *e)
{
    const char *s = *p;

    e->weak = s[0] == 'W' && s[1] == '/';
    if (e->weak)
        s += 2;
    if (*s != '"')
        return -1;
    e->opaque = ++s;
    while (is_etagc(*s))
        s++;
    if (*s != '"')
        return -1;
    e->len = (size_t)(s - e->opaque);
    *p = s + 1;
    return 0;
}

/* Strong comparison (§8.8.3.2): neither is weak and the opaque parts are
 * identical. With `weak` set, the weak comparison: opaque parts identical. */
static int etag_equal(const struct etag *a, const struct etag *b, int weak)
{
    if (!weak && (a->weak || b->weak))
        return 0;
    return a->len == b->len && memcmp(a->opaque, b->opaque, a->len) == 0;
}

/*
 * Matches the If-Match / If-None-Match value `list` against the current tag
 * `cur` (NULL when the representation has none, then only "*" matches).
 * Returns 1 on a match, 0 on none, -1 if `list` is malformed anywhere.
 */
static int etag_list_match(const char *list, const struct etag *cur, int weak)
{
    const char *p = list;
    int matched = 0;

    skip_ows(&p);
    if (*p == '*') {
        p++;
        skip_ows(&p);
        return *p == '\0' ? 1 : -1;
    }
    for (;;) {
        struct etag e;

        skip_ows(&p);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '\0')
            return matched;
        if (take_etag(&p, &e) < 0)
            return -1;
        if (cur && etag_equal(&e, cur, weak))
            matched = 1;
        skip_ows(&p);
        if (*p == ',')
            p++;
        else if (*p != '\0')
            return -1;
    }
}

/* Parses the representation's own tag. Returns `e`, or NULL when `etag` is
 * NULL or not an entity tag (the representation then has no tag). */
static const struct etag *current_etag(const char *etag, struct etag *e)
{
    const char *p = etag;

    if (!p || take_etag(&p, e) < 0 || *p != '\0')
        return NULL;
    return e;
}

/*
 * See cond.h. Steps of §13.2.2: If-Match, else If-Unmodified-Since; then
 * If-None-Match, else (GET/HEAD only) If-Modified-Since. h and v must not be
 * NULL; v->etag may be NULL when there is no tag.
 */
enum cond_result cond_evaluate(const struct cond_headers *h,
                               const struct cond_validators *v,
                               int is_get_or_head)
{
    struct etag buf;
    const struct etag *cur = current_etag(v->etag, &buf);
    time_t date;

    if (h->if_match) {
        if (etag_list_match(h->if_match, cur, 0) != 1)
            return COND_PRECONDITION_FAILED;
    } else if (h->if_unmodified_since &&
               httpdate_parse(h->if_unmodified_since, &date) == 0 &&
               v->mtime > date) {
        return COND_PRECONDITION_FAILED;
    }

    if (h->if_none_match) {
        int r = etag_list_match(h->if_none_match, cur, 1);

        if (r == 1)
            return is_get_or_head ? COND_NOT_MODIFIED : COND_PRECONDITION_FAILED;
        if (r < 0 && !is_get_or_head)
            return COND_PRECONDITION_FAILED;
    } else if (is_get_or_head && h->if_modified_since &&
               httpdate_parse(h->if_modified_since, &date) == 0 &&
               v->mtime <= date) {
        return COND_NOT_MODIFIED;
    }
    return COND_PROCEED;
}

/* See cond.h. The value is one strong entity tag or one HTTP-date; anything
 * else (a list, a weak tag, a malformed date) means "send it all". h and v
 * must not be NULL. */
int cond_if_range_allows(const struct cond_headers *h,
                         const struct cond_validators *v)
{
    const char *p = h->if_range;
    struct etag buf, e;
    const struct etag *cur;
    time_t date;

    if (!p)
        return 1;
    skip_ows(&p);
    if (*p == '"' || (p[0] == 'W' && p[1] == '/')) {
        cur = current_etag(v->etag, &buf);
        if (take_etag(&p, &e) < 0)
            return 0;
        skip_ows(&p);
        return *p == '\0' && cur && etag_equal(&e, cur, 0);
    }
    return httpdate_parse(p, &date) == 0 && date == v->mtime;
}
