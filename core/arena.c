/*
 * arena.c - per-request bump allocator (see arena.h).
 */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct oak_arena_block {
    struct oak_arena_block *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
};

static struct oak_arena_block *block_new(size_t size)
{
    struct oak_arena_block *b = malloc(sizeof *b + size);

    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

void oak_arena_init(struct oak_arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 16384;
}

void *oak_arena_alloc(struct oak_arena *a, size_t size)
{
    struct oak_arena_block *b = a->head;
    size_t need = (size + 15) & ~(size_t)15;

    if (size > SIZE_MAX - 64)
        return NULL;
    if (need == 0)
        need = 16;
    if (!b || b->size - b->used < need) {
        size_t bs = need > a->block_size ? need : a->block_size;

        b = block_new(bs);
        if (!b)
            return NULL;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += need;
    return p;
}

char *oak_arena_strndup(struct oak_arena *a, const char *s, size_t n)
{
    char *p = oak_arena_alloc(a, n + 1);

    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *oak_arena_strdup(struct oak_arena *a, const char *s)
{
    return oak_arena_strndup(a, s, strlen(s));
}

void oak_arena_reset(struct oak_arena *a)
{
    struct oak_arena_block *b = a->head, *keep = NULL;

    /* keep one standard-size block, free the rest */
    while (b) {
        struct oak_arena_block *next = b->next;

        if (!keep && b->size == a->block_size) {
            keep = b;
            keep->used = 0;
            keep->next = NULL;
        } else {
            free(b);
        }
        b = next;
    }
    a->head = keep;
}

void oak_arena_free(struct oak_arena *a)
{
    struct oak_arena_block *b = a->head;

    while (b) {
        struct oak_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}
