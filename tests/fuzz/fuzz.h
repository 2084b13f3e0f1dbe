/*
 * fuzz.h - shared by the fuzz targets in tests/fuzz/. Each target is one
 * LLVMFuzzerTestOneInput: built with clang and libFuzzer by `make fuzz`,
 * and with gcc and replay.c as a check program that runs the target's
 * corpus (tests/fuzz/corpus/<target>/) in every `make check`.
 *
 * A target checks the properties the core promises, not only "no crash":
 * FUZZ_CHECK aborts (a crash to libFuzzer, a failed test to the replay).
 */
#ifndef OAK_FUZZ_H
#define OAK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>

struct oak_arena;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* fuzz_util.c: DATA as a NUL-terminated copy (free it; NULL when out of
 * memory); this process's request arena (reset it after each input); the
 * nesting depth of a JSON value (a scalar is 0). */
char *fuzz_strdup(const uint8_t *data, size_t size);
struct oak_arena *fuzz_arena(void);
int fuzz_json_depth(const json_t *v);

#define FUZZ_CHECK(cond) do { \
        if (!(cond)) { \
            fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
            abort(); \
        } \
    } while (0)

#endif
