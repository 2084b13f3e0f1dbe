/*
 * test_arena.c - the per-request bump allocator: 16-byte alignment for every
 * size, strdup/strndup copies, allocations larger than a block, distinct
 * non-overlapping chunks, reset (keeps working, drops oversized blocks) and
 * free (including on an arena that never allocated).
 */
#include "arena.h"
#include "tap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int aligned16(const void *p)
{
    return ((uintptr_t)p & 15) == 0;
}

static void test_init(void)
{
    struct oak_arena a;

    oak_arena_init(&a, 0);
    ok(a.head == NULL, "init: no block allocated up front");
    is_int(a.block_size, 16384, "init: block size 0 means the 16 KiB default");
    oak_arena_free(&a);

    oak_arena_init(&a, 256);
    is_int(a.block_size, 256, "init: explicit block size kept");
    oak_arena_free(&a);
    ok(a.head == NULL, "free of an empty arena leaves head NULL");
}

static void test_alignment(void)
{
    struct oak_arena a;
    int all_aligned = 1, all_nonnull = 1;
    size_t sizes[] = { 0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 100, 255, 1000 };

    oak_arena_init(&a, 512);
    for (int round = 0; round < 20; round++)
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            void *p = oak_arena_alloc(&a, sizes[i]);

            if (!p)
                all_nonnull = 0;
            else if (!aligned16(p))
                all_aligned = 0;
        }
    ok(all_nonnull, "alloc: every allocation succeeded (spanning many blocks)");
    ok(all_aligned, "alloc: every pointer is 16-byte aligned");

    void *z1 = oak_arena_alloc(&a, 0), *z2 = oak_arena_alloc(&a, 0);

    ok(z1 && z2 && z1 != z2, "alloc(0) returns distinct non-NULL pointers");
    oak_arena_free(&a);
}

static void test_no_overlap(void)
{
    struct oak_arena a;
    unsigned char *p[64];
    int good = 1;

    oak_arena_init(&a, 128);
    for (int i = 0; i < 64; i++) {
        p[i] = oak_arena_alloc(&a, 24);
        if (p[i])
            memset(p[i], i, 24);
    }
    for (int i = 0; i < 64; i++) {
        if (!p[i]) {
            good = 0;
            break;
        }
        for (int j = 0; j < 24; j++)
            if (p[i][j] != (unsigned char)i)
                good = 0;
    }
    ok(good, "64 chunks of 24 bytes keep their own contents (no overlap)");
    ok(p[1] >= p[0] + 32 || p[1] + 32 <= p[0], "consecutive chunks are at least 32 bytes apart");
    oak_arena_free(&a);
}

static void test_strdup(void)
{
    struct oak_arena a;
    const char *src = "hello, 世界";
    char *s, *t, *e;

    oak_arena_init(&a, 64);
    s = oak_arena_strdup(&a, src);
    ok(s != NULL, "strdup returns a copy");
    is_str(s, src, "strdup copies the bytes including UTF-8");
    ok(s != src, "strdup copy is a new pointer");
    ok(aligned16(s), "strdup result is aligned");

    t = oak_arena_strndup(&a, "abcdef", 3);
    is_str(t, "abc", "strndup copies n bytes and terminates");

    t = oak_arena_strndup(&a, "ab\0cd", 5);
    ok(t && memcmp(t, "ab\0cd", 6) == 0, "strndup copies embedded NUL bytes verbatim");

    e = oak_arena_strdup(&a, "");
    is_str(e, "", "strdup of empty string");
    e = oak_arena_strndup(&a, "xyz", 0);
    is_str(e, "", "strndup with n=0 gives empty string");

    /* a string longer than a block */
    char big[300];

    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    t = oak_arena_strdup(&a, big);
    ok(t && strlen(t) == sizeof big - 1 && t[0] == 'q' && t[298] == 'q',
       "strdup of a string longer than the block size");
    is_str(s, src, "earlier strdup result still intact");
    oak_arena_free(&a);
}

static void test_large(void)
{
    struct oak_arena a;
    unsigned char *small1, *big, *small2;
    int good = 1;

    oak_arena_init(&a, 256);
    small1 = oak_arena_alloc(&a, 32);
    big = oak_arena_alloc(&a, 10000);
    small2 = oak_arena_alloc(&a, 32);
    ok(small1 && big && small2, "large allocation (10000 > 256 block) succeeds");
    ok(aligned16(big), "large allocation is aligned");
    if (big && small1 && small2) {
        memset(small1, 0x11, 32);
        memset(big, 0xab, 10000);
        memset(small2, 0x22, 32);
        for (int i = 0; i < 10000; i++)
            if (big[i] != 0xab)
                good = 0;
        for (int i = 0; i < 32; i++)
            if (small1[i] != 0x11 || small2[i] != 0x22)
                good = 0;
    }
    ok(good, "whole large block is writable and does not clobber neighbours");

    big = oak_arena_alloc(&a, 1 << 20);
    ok(big != NULL, "1 MiB allocation in a 256-byte arena");
    if (big)
        big[(1 << 20) - 1] = 1;

    ok(oak_arena_alloc(&a, SIZE_MAX) == NULL, "alloc(SIZE_MAX) fails cleanly");
    ok(oak_arena_alloc(&a, SIZE_MAX - 10) == NULL, "alloc(SIZE_MAX-10) fails cleanly (no wraparound)");
    ok(oak_arena_alloc(&a, 16) != NULL, "arena usable after a refused allocation");
    oak_arena_free(&a);
}

static void test_reset(void)
{
    struct oak_arena a;
    char *s;
    int good = 1;

    oak_arena_init(&a, 128);
    for (int i = 0; i < 50; i++)
        oak_arena_alloc(&a, 100);
    oak_arena_alloc(&a, 5000);
    oak_arena_reset(&a);
    ok(a.head != NULL, "reset keeps one standard block");

    s = oak_arena_strdup(&a, "after reset");
    is_str(s, "after reset", "allocation after reset works");

    /* many reset cycles with mixed sizes */
    for (int round = 0; round < 100 && good; round++) {
        char *x = oak_arena_alloc(&a, 40);
        char *y = oak_arena_alloc(&a, 1000);   /* oversized for 128 */
        char *z = oak_arena_strdup(&a, "zz");

        if (!x || !y || !z || !aligned16(x) || !aligned16(y) || strcmp(z, "zz") != 0)
            good = 0;
        else {
            memset(x, 1, 40);
            memset(y, 2, 1000);
        }
        oak_arena_reset(&a);
    }
    ok(good, "100 alloc/reset cycles with oversized blocks");

    /* the block kept by reset is rewound: the first allocation after reset
     * reuses the same memory */
    void *p1 = oak_arena_alloc(&a, 16);

    oak_arena_reset(&a);
    void *p2 = oak_arena_alloc(&a, 16);

    ok(p1 == p2, "reset rewinds the kept block");

    /* reset of an arena holding only an oversized block */
    oak_arena_free(&a);
    oak_arena_init(&a, 64);
    oak_arena_alloc(&a, 4096);
    oak_arena_reset(&a);
    ok(a.head == NULL, "reset drops a lone oversized block");
    ok(oak_arena_alloc(&a, 8) != NULL, "alloc after dropping everything works");

    /* reset on an empty arena */
    oak_arena_free(&a);
    oak_arena_reset(&a);
    ok(a.head == NULL, "reset of an empty arena is harmless");
    oak_arena_free(&a);
    oak_arena_free(&a);
    ok(a.head == NULL, "double free is harmless (head cleared)");
}

int main(void)
{
    test_init();
    test_alignment();
    test_no_overlap();
    test_strdup();
    test_large();
    test_reset();
    return done_testing();
}
