/*
 * regions.c - look-ups in the GB/T 2260 table (see regions.h).
 */
#include "regions.h"

/* Levels are at most 3 deep; the bound only guards against a table
 * mistake (a parent cycle) turning into an endless loop. */
#define MAX_DEPTH 8

const struct oak_region *oak_region_find(int code)
{
    size_t lo = 0, hi = oak_region_table_len;

    if (code <= 0)
        return NULL;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = oak_region_table[mid].code;

        if (c == code)
            return &oak_region_table[mid];
        if (c < code)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *oak_region_name(int code)
{
    const struct oak_region *r = oak_region_find(code);

    return r ? r->name : NULL;
}

int oak_region_parent(int code)
{
    const struct oak_region *r = oak_region_find(code);

    return r ? r->parent : 0;
}

int oak_region_level(int code)
{
    const struct oak_region *r = oak_region_find(code);

    return r ? r->level : 0;
}

int oak_region_within(int inner, int outer)
{
    const struct oak_region *r;

    if (inner <= 0 || outer <= 0)
        return 0;
    if (inner == outer)
        return 1;
    r = oak_region_find(inner);
    if (!r || !oak_region_find(outer))
        return 0;
    for (int depth = 0; r && r->parent && depth < MAX_DEPTH; depth++) {
        if (r->parent == outer)
            return 1;
        r = oak_region_find(r->parent);
    }
    return 0;
}

int oak_region_province_of(int code)
{
    const struct oak_region *r = oak_region_find(code);

    for (int depth = 0; r && depth < MAX_DEPTH; depth++) {
        if (r->level == OAK_REGION_PROVINCE)
            return r->code;
        r = oak_region_find(r->parent);
    }
    return 0;
}

int oak_region_parse(const char *s)
{
    int code = 0;

    if (!s)
        return 0;
    for (int i = 0; i < 6; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0; /* also stops at the terminator of a short string */
        code = code * 10 + (s[i] - '0');
    }
    if (s[6] != '\0')
        return 0;
    return oak_region_find(code) ? code : 0;
}

int oak_region_province_prefix_valid(int two_digits)
{
    const struct oak_region *r;

    if (two_digits < 10 || two_digits > 99)
        return 0;
    r = oak_region_find(two_digits * 10000);
    return r && r->level == OAK_REGION_PROVINCE;
}

size_t oak_region_count(void)
{
    return oak_region_table_len;
}

const struct oak_region *oak_region_at(size_t i)
{
    return i < oak_region_table_len ? &oak_region_table[i] : NULL;
}
