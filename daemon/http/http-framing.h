/*
 * http-framing.h — refuses a request whose framing is ambiguous, before
 * libmicrohttpd reads its body (RFC 9112 §6.3, §3.2): Content-Length
 * fields that disagree, Content-Length together with Transfer-Encoding,
 * and an HTTP/1.1 request without exactly one Host. libmicrohttpd 0.9.75
 * takes the first Content-Length and lets Transfer-Encoding win, so such a
 * request would be read one way here and another way by anything in front.
 */
#ifndef FERRY_HTTP_FRAMING_H
#define FERRY_HTTP_FRAMING_H

#include <microhttpd.h>

/* What the header fields of one request said about its framing. */
struct framing {
    unsigned cl_count;          /* Content-Length fields */
    int cl_bad;                 /* one was not 1*DIGIT (a list of equal
                                   values counts as one), or they differ */
    unsigned long long cl;      /* the first value */
    unsigned te_count;          /* Transfer-Encoding fields */
    unsigned host_count;        /* Host fields */
};

/* Starts an empty record. */
void framing_init(struct framing *f);

/*
 * Notes one header field (name compared without case; value as MHD gives
 * it, without surrounding blanks). Fields other than Content-Length,
 * Transfer-Encoding and Host are ignored. NULL value: an empty one. Pure.
 */
void framing_add(struct framing *f, const char *name, const char *value);

/*
 * The verdict on a request of HTTP `version` ("HTTP/1.1", "HTTP/1.0"):
 * NULL when its framing is sound, else the text of the 400 (static),
 * saying what is wrong. Pure.
 */
const char *framing_verdict(const struct framing *f, const char *version);

/*
 * framing_add() for every header field of connection c (duplicates too),
 * then framing_verdict(). Call it on the first call of the access handler,
 * before anything reads the body. Returns NULL or the 400's text (static).
 */
const char *framing_check(struct MHD_Connection *c, const char *version);

#endif
