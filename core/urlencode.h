/*
 * urlencode.h - percent-decoding and the three key/value syntaxes a request
 * carries: query strings, urlencoded form bodies, and Cookie headers.
 */
#ifndef OAK_URLENCODE_H
#define OAK_URLENCODE_H

#include <stddef.h>

struct oak_arena;

struct oak_kv {
    const char *name;
    const char *value;
};

struct oak_kvlist {
    struct oak_kv *items;
    int count;
};

/* Decode SRC[0..len) into DST (at least len+1 bytes). plus_space turns '+'
 * into ' ' (query and form syntax). Returns the decoded length, or -1 on a
 * malformed escape, an encoded NUL, or invalid UTF-8. */
long oak_url_decode(char *dst, const char *src, size_t len, int plus_space);

/* Value of one hex digit, or -1. */
int oak_hex_value(int c);
/* P[0..n) as 2n lower-case hex digits and a NUL into OUT. */
void oak_hex_encode(const void *p, size_t n, char *out);

/* 1 when S[0..len) is well-formed UTF-8 without NUL. */
int oak_utf8_valid(const char *s, size_t len);

/* Copy RAW[0..n) into OUT (CAP > 0 bytes, always NUL-terminated) for an
 * error message: bytes that are not valid UTF-8 and control characters
 * become '?', and the copy ends on a character boundary, so it can always
 * go into a JSON envelope. */
void oak_utf8_safe_copy(char *out, size_t cap, const char *raw, size_t n);

/* Parse "a=1&b=2" into OUT, appending to what is there (OUT must be empty
 * or filled by these parsers: they own its growth). Pairs without '='
 * get an empty value; empty pairs are skipped. Returns 0, -1 on a malformed
 * pair (its raw name, truncated, is put in bad_name), -2 when the total
 * number of pairs would exceed max_pairs, -3 out of memory. */
int oak_parse_urlencoded(struct oak_arena *a, const char *s, size_t len, int max_pairs,
                         struct oak_kvlist *out, char *bad_name, size_t bad_len);

/* Parse a Cookie header ("a=1; b=2"). Values are not decoded. Malformed
 * parts are skipped. Returns 0 or -3 out of memory. */
int oak_parse_cookies(struct oak_arena *a, const char *s, int max_pairs, struct oak_kvlist *out);

/* First value of NAME or NULL. */
const char *oak_kv_get(const struct oak_kvlist *l, const char *name);

#endif
