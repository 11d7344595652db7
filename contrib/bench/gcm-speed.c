/*
 * gcm-speed.c — AES-128-GCM encryption speed of the linked mbedTLS: N MiB
 * (default 256) in 16 KiB records, as a TLS record layer would. Not built by
 * make; e.g. `cc -O2 contrib/bench/gcm-speed.c -lmbedcrypto -o gcm-speed` and
 * `valgrind --tool=callgrind ./gcm-speed 16` for instruction counts that do
 * not depend on the machine's load (README, HTTPS).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mbedtls/gcm.h>
#include <mbedtls/version.h>
#if MBEDTLS_VERSION_MAJOR < 3
#include <mbedtls/aesni.h>
#endif
int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 256, rec = 16384, n = mib * 1048576 / rec;
    static unsigned char in[16384], out[16384], key[16], iv[12], tag[16];
    mbedtls_gcm_context g;
    struct timespec a, b;
    char v[32];
    mbedtls_version_get_string(v);
    mbedtls_gcm_init(&g);
    mbedtls_gcm_setkey(&g, MBEDTLS_CIPHER_ID_AES, key, 128);
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (size_t i = 0; i < n; i++) {
        iv[0] = (unsigned char)i;
        if (mbedtls_gcm_crypt_and_tag(&g, MBEDTLS_GCM_ENCRYPT, rec, iv, 12, NULL, 0, in, out, 16, tag)) return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    printf("mbedTLS %s: AES-128-GCM %zu MiB in %.3f s = %.0f MB/s (aesni %d)\n", v, mib, s, (double)(mib * 1048576) / s / 1e6,
#if MBEDTLS_VERSION_MAJOR < 3
           mbedtls_aesni_has_support(MBEDTLS_AESNI_AES)
#else
           -1
#endif
           );
    return 0;
}
