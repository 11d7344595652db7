/*
 * auth-ct.h — the one comparison of secrets in the access-control code.
 *
 * Every comparison of a password hash, a session or token hash, or any
 * other value an attacker may try to guess byte by byte goes through
 * auth_ct_equal(), never memcmp(): its time depends on the length only,
 * never on where the first difference is. Keeping it in a file of its own
 * lets the unit tests link a counting stand-in and check that the modules
 * really use it.
 */
#ifndef FERRY_AUTH_CT_H
#define FERRY_AUTH_CT_H

#include <stddef.h>

/*
 * Returns 1 when the n bytes at a and b are equal, 0 otherwise, in a time
 * that depends on n only (mbedTLS's mbedtls_ct_memcmp). n may be 0 (equal;
 * a and b may then be NULL). Pure; safe from any thread.
 */
int auth_ct_equal(const void *a, const void *b, size_t n);

#endif
