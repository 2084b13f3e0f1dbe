/*
 * fuzz_urlencode.c - percent-decoding and the query, form and cookie
 * parsers (core/urlencode.c).
 *
 * Input: one byte of options (bit 0: '+' is a space; bits 1-4: pair
 * limit), then the text. Properties: a decode succeeds only with UTF-8
 * output no longer than its input; parsed names and values are UTF-8 and
 * within the pair limit; the name reported for a malformed pair is UTF-8
 * and fits its buffer; cookies never exceed the limit.
 */
#include "fuzz.h"
#include "arena.h"
#include "urlencode.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct oak_arena *arena = fuzz_arena();
    struct oak_kvlist l = { NULL, 0 };
    char bad[64], *text, *dst;
    int opts, max_pairs, rc;
    long n;

    if (size < 1)
        return 0;
    opts = data[0];
    max_pairs = 1 + ((opts >> 1) & 15);
    data++;
    size--;
    text = fuzz_strdup(data, size);
    dst = malloc(size + 1);
    if (!text || !dst) {
        free(text);
        free(dst);
        return 0;
    }

    n = oak_url_decode(dst, text, size, opts & 1);
    if (n >= 0) {
        FUZZ_CHECK((size_t)n <= size);
        FUZZ_CHECK(dst[n] == '\0' && strlen(dst) == (size_t)n);
        FUZZ_CHECK(oak_utf8_valid(dst, (size_t)n));
    }

    memset(bad, 'Z', sizeof bad);
    rc = oak_parse_urlencoded(arena, text, size, max_pairs, &l, bad, sizeof bad);
    FUZZ_CHECK(rc == 0 || rc == -1 || rc == -2);
    FUZZ_CHECK(l.count <= max_pairs);
    for (int i = 0; i < l.count; i++) {
        FUZZ_CHECK(oak_utf8_valid(l.items[i].name, strlen(l.items[i].name)));
        FUZZ_CHECK(oak_utf8_valid(l.items[i].value, strlen(l.items[i].value)));
        FUZZ_CHECK(oak_kv_get(&l, l.items[i].name) != NULL);
    }
    if (rc == -1) {
        FUZZ_CHECK(memchr(bad, '\0', sizeof bad) != NULL);
        FUZZ_CHECK(oak_utf8_valid(bad, strlen(bad)));
    }

    l.items = NULL;
    l.count = 0;
    rc = oak_parse_cookies(arena, text, max_pairs, &l);
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(l.count <= max_pairs);
    for (int i = 0; i < l.count; i++)
        FUZZ_CHECK(l.items[i].name[0] != '\0' && !strchr(l.items[i].name, ';'));

    oak_arena_reset(arena);
    free(text);
    free(dst);
    return 0;
}
