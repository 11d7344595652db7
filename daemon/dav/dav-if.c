/*
 * dav-if.c — the If: header; see dav-if.h.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dav-if.h"

static char *skip_ws(char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Cuts "<...>" or "[...]" starting at *pp (which is `open`): returns the
 * inside, NUL-terminated in place, and moves *pp past the closer; NULL when
 * there is no closer or the inside is empty. */
static char *cut(char **pp, char close)
{
    char *start = *pp + 1, *end = strchr(start, close);

    if (!end || end == start)
        return NULL;
    *end = '\0';
    *pp = end + 1;
    return start;
}

/* Parses one "( Condition+ )" at p; appends to h. Returns the position
 * after it, or NULL. */
static char *parse_list(struct dav_if *h, char *p, const char *tag, int *err)
{
    struct dav_if_list *l;

    if (h->nlists == DAV_IF_LISTS_MAX) {
        *err = -E2BIG;
        return NULL;
    }
    l = &h->lists[h->nlists];
    l->tag = tag;
    l->first = h->nconds;
    l->n = 0;
    p = skip_ws(p + 1); /* past '(' */
    while (*p != ')') {
        struct dav_if_cond *c;
        int not = 0;

        if (strncasecmp(p, "Not", 3) == 0 && (p[3] == ' ' || p[3] == '\t' || p[3] == '<' ||
                                               p[3] == '[')) {
            not = 1;
            p = skip_ws(p + 3);
        }
        if (*p != '<' && *p != '[') {
            *err = -EINVAL;
            return NULL;
        }
        if (h->nconds == DAV_IF_CONDS_MAX) {
            *err = -E2BIG;
            return NULL;
        }
        c = &h->conds[h->nconds];
        c->not = not;
        c->etag = *p == '[';
        c->text = cut(&p, c->etag ? ']' : '>');
        if (!c->text) {
            *err = -EINVAL;
            return NULL;
        }
        h->nconds++;
        l->n++;
        p = skip_ws(p);
    }
    if (!l->n) {
        *err = -EINVAL;
        return NULL;
    }
    h->nlists++;
    return p + 1;
}

int dav_if_parse(const char *value, struct dav_if *h)
{
    const char *tag = NULL;
    int tagged = -1, err = -EINVAL;
    char *p;

    memset(h, 0, sizeof *h);
    if (!value)
        return -EINVAL;
    if (strlen(value) > DAV_IF_HEADER_MAX)
        return -E2BIG;
    h->copy = strdup(value);
    if (!h->copy)
        return -ENOMEM;
    p = skip_ws(h->copy);
    while (*p) {
        if (*p == '<') {
            if (tagged == 0)
                goto fail;
            tagged = 1;
            tag = cut(&p, '>');
            if (!tag)
                goto fail;
            p = skip_ws(p);
            if (*p != '(') /* a tag needs at least one list */
                goto fail;
        } else if (*p == '(') {
            if (tagged < 0)
                tagged = 0;
            p = parse_list(h, p, tag, &err);
            if (!p)
                goto fail;
        } else {
            goto fail;
        }
        p = skip_ws(p);
    }
    if (!h->nlists)
        goto fail;
    return 0;
fail:
    free(h->copy);
    memset(h, 0, sizeof *h);
    return err;
}

void dav_if_free(struct dav_if *h)
{
    if (!h)
        return;
    free(h->copy);
    h->copy = NULL;
    h->nconds = h->nlists = 0;
}

/* Whether one condition holds for a resource. */
static int cond_true(const struct dav_if_cond *c, const struct dav_if_state *st)
{
    int hit = 0;

    if (st->exists && c->etag)
        hit = st->etag && strncmp(c->text, "W/", 2) != 0 && strcmp(c->text, st->etag) == 0;
    else if (st->exists)
        for (size_t i = 0; i < st->ntokens && !hit; i++)
            hit = strcmp(c->text, st->tokens[i]) == 0;
    return c->not ? !hit : hit;
}

int dav_if_eval(const struct dav_if *h, dav_if_state_fn fn, void *cls)
{
    for (size_t i = 0; i < h->nlists; i++) {
        const struct dav_if_list *l = &h->lists[i];
        struct dav_if_state st = {0};
        int ok = 1;

        if (fn(cls, l->tag, &st) < 0)
            continue;
        for (size_t j = 0; j < l->n && ok; j++)
            ok = cond_true(&h->conds[l->first + j], &st);
        if (ok)
            return 1;
    }
    return 0;
}

int dav_if_submits(const struct dav_if *h, const char *token)
{
    for (size_t i = 0; i < h->nconds; i++)
        if (!h->conds[i].etag && !h->conds[i].not && strcmp(h->conds[i].text, token) == 0)
            return 1;
    return 0;
}

int dav_if_tag_path(const char *tag, char *out, size_t outlen)
{
    const char *p = tag;
    size_t n;

    if (strncasecmp(p, "http://", 7) == 0 || strncasecmp(p, "https://", 8) == 0) {
        p = strstr(p, "://") + 3;
        p = strchr(p, '/');
        if (!p)
            p = "/";
    } else if (*p != '/') {
        return -EINVAL;
    }
    n = strcspn(p, "?#");
    if (n >= outlen)
        return -ENAMETOOLONG;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}
