/*
 * fuzz_util.c - helpers the fuzz targets share (see fuzz.h).
 */
#include "fuzz.h"
#include "arena.h"

#include <string.h>

char *fuzz_strdup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

struct oak_arena *fuzz_arena(void)
{
    static struct oak_arena arena;
    static int ready;

    if (!ready) {
        oak_arena_init(&arena, 0);
        ready = 1;
    }
    return &arena;
}

int fuzz_json_depth(const json_t *v)
{
    int max = 0;
    json_t *x;

    if (json_is_object(v)) {
        const char *k;

        json_object_foreach((json_t *)v, k, x) {
            int d = fuzz_json_depth(x);

            max = d > max ? d : max;
        }
        return max + 1;
    }
    if (json_is_array(v)) {
        size_t i;

        json_array_foreach(v, i, x) {
            int d = fuzz_json_depth(x);

            max = d > max ? d : max;
        }
        return max + 1;
    }
    return 0;
}
