/*
 * fuzz.h — the libFuzzer entry point every target in tests/fuzz/ defines.
 *
 * Built with --enable-fuzzing, a target links against libFuzzer. Otherwise it
 * links with replay.c, which feeds it every file of its seed corpus
 * (tests/fuzz/corpus/<FUZZ_CORPUS>/) as a TAP test in `make check`.
 */
#ifndef FERRY_FUZZ_H
#define FERRY_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Runs one input. Returns 0. Crashes (or trips a sanitizer) on a bug. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
