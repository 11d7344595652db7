/*
 * replay.c — runs a fuzz target over its seed corpus without libFuzzer.
 *
 * FUZZ_CORPUS names the folder below $FERRY_SRCDIR/tests/fuzz/corpus (or
 * $srcdir/...). Each file is one TAP test point; a crash or sanitizer report
 * fails the whole program. An empty or missing corpus is a failure, so that a
 * lost corpus cannot pass silently.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#ifndef FUZZ_CORPUS
#error "FUZZ_CORPUS must name the corpus folder"
#endif

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads the whole file at `path`; returns a malloc'd buffer or NULL. */
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto fail;
    buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
        goto fail;
    }
    *len = (size_t)n;
fail:
    fclose(f);
    return buf;
}

int main(void)
{
    const char *top = getenv("FERRY_SRCDIR");
    char dir[4096];
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    DIR *d;
    int failed = 0;

    if (!top)
        top = getenv("srcdir");
    if (!top)
        top = ".";
    snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", top, FUZZ_CORPUS);
    d = opendir(dir);
    if (!d) {
        printf("1..1\nnot ok 1 - corpus folder %s cannot be opened\n", dir);
        return 1;
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
            if (!names)
                return 1;
        }
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    if (n == 0) {
        printf("1..1\nnot ok 1 - corpus folder %s is empty\n", dir);
        return 1;
    }
    qsort(names, n, sizeof *names, name_cmp);
    printf("1..%zu\n", n);
    for (size_t i = 0; i < n; i++) {
        char path[8192];
        size_t len = 0;
        unsigned char *buf;

        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        buf = slurp(path, &len);
        if (!buf) {
            printf("not ok %zu - %s: cannot read\n", i + 1, names[i]);
            failed = 1;
        } else {
            fflush(stdout);
            LLVMFuzzerTestOneInput(buf, len);
            printf("ok %zu - %s/%s\n", i + 1, FUZZ_CORPUS, names[i]);
            free(buf);
        }
        free(names[i]);
    }
    free(names);
    return failed;
}
