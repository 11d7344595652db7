/*
 * auth-ct.c — auth_ct_equal() of auth-ct.h, on mbedTLS's constant-time
 * comparison.
 */
#include "config.h"

#include <mbedtls/constant_time.h>

#include "auth-ct.h"

/* See auth-ct.h. */
int auth_ct_equal(const void *a, const void *b, size_t n)
{
    if (n == 0)
        return 1;
    return mbedtls_ct_memcmp(a, b, n) == 0;
}
