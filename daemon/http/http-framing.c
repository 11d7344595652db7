/*
 * http-framing.c — the framing checks of a request's header fields (see
 * http-framing.h): a pure record of what Content-Length, Transfer-Encoding
 * and Host said, its verdict, and the glue that feeds it every field MHD
 * parsed, duplicates included.
 */
#include "config.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

#include "http-framing.h"

void framing_init(struct framing *f)
{
    memset(f, 0, sizeof *f);
}

/*
 * Parses a Content-Length value: 1*DIGIT, or a comma-separated list of
 * equal ones (RFC 9110 §8.6 lets a recipient take that as one). Returns 0
 * with *out set, or -1.
 */
static int parse_length(const char *v, unsigned long long *out)
{
    int have = 0;

    if (!v)
        return -1;
    for (;;) {
        unsigned long long n = 0;
        const char *start;

        v += strspn(v, " \t");
        start = v;
        for (; *v >= '0' && *v <= '9'; v++) {
            if (n > (ULLONG_MAX - 9) / 10)
                return -1;
            n = n * 10 + (unsigned long long)(*v - '0');
        }
        if (v == start)
            return -1;
        if (have && n != *out)
            return -1;
        *out = n;
        have = 1;
        v += strspn(v, " \t");
        if (!*v)
            return 0;
        if (*v++ != ',')
            return -1;
    }
}

void framing_add(struct framing *f, const char *name, const char *value)
{
    unsigned long long n = 0;

    if (!name)
        return;
    if (strcasecmp(name, "Content-Length") == 0) {
        if (parse_length(value, &n) < 0 || (f->cl_count && n != f->cl))
            f->cl_bad = 1;
        if (!f->cl_count)
            f->cl = n;
        f->cl_count++;
    } else if (strcasecmp(name, "Transfer-Encoding") == 0) {
        f->te_count++;
    } else if (strcasecmp(name, "Host") == 0) {
        f->host_count++;
    }
}

const char *framing_verdict(const struct framing *f, const char *version)
{
    if (f->cl_bad)
        return "400 Bad Request: the Content-Length fields are malformed or disagree; "
               "send one.\n";
    if (f->cl_count && f->te_count)
        return "400 Bad Request: Content-Length and Transfer-Encoding together; send "
               "one of them.\n";
    if (f->host_count > 1)
        return "400 Bad Request: more than one Host field; send one.\n";
    if (!f->host_count && version && strcmp(version, MHD_HTTP_VERSION_1_1) == 0)
        return "400 Bad Request: an HTTP/1.1 request needs a Host field.\n";
    return NULL;
}

static enum MHD_Result add_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    (void)kind;
    framing_add(cls, key, value);
    return MHD_YES;
}

const char *framing_check(struct MHD_Connection *c, const char *version)
{
    struct framing f;

    framing_init(&f);
    MHD_get_connection_values(c, MHD_HEADER_KIND, add_field, &f);
    return framing_verdict(&f, version);
}
