/*
 * fuzz_dav_if.c — fuzz target for the If: header (daemon/dav/dav-if.c): any
 * header text parsed, and when it parses, the structure checked against
 * dav-if.h's promises and evaluated against a few stand-in resources
 * (every token, tag and ETag it names is also made current once, so that
 * the "true" paths run too). The tag path helper runs on every tag.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dav-if.h"
#include "fuzz.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_dav_if: %s\n", what);
    abort();
}

struct world {
    const char *etag;
    const char *tokens[2];
    size_t n;
    int missing;
};

static int state_of(void *cls, const char *tag, struct dav_if_state *st)
{
    struct world *w = cls;
    char path[64];

    if (tag && dav_if_tag_path(tag, path, sizeof path) < 0)
        return -1;
    st->exists = !w->missing;
    st->etag = w->etag;
    st->tokens = w->tokens;
    st->ntokens = w->n;
    return 0;
}

/* See fuzz.h. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    struct dav_if h;
    int rc;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    rc = dav_if_parse(text, &h);
    check(rc == 0 || rc == -EINVAL || rc == -E2BIG || rc == -ENOMEM, "unknown result");
    if (rc == 0) {
        struct world w = {0};

        check(h.nlists >= 1 && h.nlists <= DAV_IF_LISTS_MAX, "list count");
        check(h.nconds <= DAV_IF_CONDS_MAX, "condition count");
        for (size_t i = 0; i < h.nlists; i++) {
            check(h.lists[i].n >= 1 && h.lists[i].first + h.lists[i].n <= h.nconds,
                  "a list's conditions out of range");
            check(!h.lists[i].tag == !h.lists[0].tag, "tagged and untagged mixed");
            if (h.lists[i].tag) {
                char path[256];

                check(h.lists[i].tag[0] != '\0', "an empty tag");
                if (dav_if_tag_path(h.lists[i].tag, path, sizeof path) == 0)
                    check(path[0] == '/', "a tag path without its slash");
            }
        }
        for (size_t i = 0; i < h.nconds; i++)
            check(h.conds[i].text && h.conds[i].text[0], "an empty condition");
        dav_if_eval(&h, state_of, &w);
        w.missing = 1;
        dav_if_eval(&h, state_of, &w);
        w.missing = 0;
        for (size_t i = 0; i < h.nconds; i++) {
            if (h.conds[i].etag)
                w.etag = h.conds[i].text;
            else
                w.tokens[0] = h.conds[i].text, w.n = 1;
            dav_if_eval(&h, state_of, &w);
            if (!h.conds[i].etag && !h.conds[i].not)
                check(dav_if_submits(&h, h.conds[i].text), "a token not submitted");
        }
        dav_if_free(&h);
    }
    free(text);
    return 0;
}
