/*
 * search-fold.h — case folding for name search (share/search.c): UTF-8
 * in, UTF-8 out, one code point at a time, so that a case-insensitive
 * substring test is a memmem of two folded strings. Pure; no locale.
 */
#ifndef FERRY_SEARCH_FOLD_H
#define FERRY_SEARCH_FOLD_H

#include <stddef.h>

/*
 * Writes the n bytes at `in` folded into out (cap bytes, NUL-terminated):
 * upper case to lower case for ASCII, Latin-1, Latin Extended-A, Greek and
 * Cyrillic (the simple one-to-one mappings; no ß → ss, no normalization,
 * so a decomposed "é" does not match a composed one), every other code point
 * as it was. Returns the folded length, or -1 when `in` is not valid UTF-8
 * (RFC 3629) or out is too small. Folding never makes a string longer.
 */
long search_fold(const char *in, size_t n, char *out, size_t cap);

#endif
