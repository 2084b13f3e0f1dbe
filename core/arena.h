/*
 * arena.h - per-request bump allocator. Blocks are kept between requests so
 * the steady state allocates nothing; oak_arena_reset releases oversized
 * blocks and rewinds the first one.
 */
#ifndef OAK_ARENA_H
#define OAK_ARENA_H

#include <stddef.h>

struct oak_arena_block;

struct oak_arena {
    struct oak_arena_block *head;  /* current block, chained to older ones */
    size_t block_size;
};

void oak_arena_init(struct oak_arena *a, size_t block_size);
/* Returns 16-byte aligned memory, or NULL when out of memory. */
void *oak_arena_alloc(struct oak_arena *a, size_t size);
char *oak_arena_strdup(struct oak_arena *a, const char *s);
char *oak_arena_strndup(struct oak_arena *a, const char *s, size_t n);
void oak_arena_reset(struct oak_arena *a);
void oak_arena_free(struct oak_arena *a);

#endif
