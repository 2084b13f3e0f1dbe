/*
 * urlencode.c - percent-decoding, query/form/cookie parsing, hex digits (see urlencode.h).
 */
#include "urlencode.h"
#include "arena.h"

#include <string.h>

int oak_hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void oak_hex_encode(const void *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

int oak_utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str, *e = s + len;

    while (s < e) {
        unsigned c = *s;
        size_t n;
        unsigned cp;

        if (c == 0)
            return 0;
        if (c < 0x80) {
            s++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) { n = 1; cp = c & 0x1f; }
        else if (c >= 0xe0 && c <= 0xef) { n = 2; cp = c & 0x0f; }
        else if (c >= 0xf0 && c <= 0xf4) { n = 3; cp = c & 0x07; }
        else return 0;
        if ((size_t)(e - s) <= n)
            return 0;
        for (size_t i = 1; i <= n; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i] & 0x3f);
        }
        /* overlong forms, surrogates, beyond U+10FFFF */
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        s += n + 1;
    }
    return 1;
}

long oak_url_decode(char *dst, const char *src, size_t len, int plus_space)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        char c = src[i];

        if (c == '%') {
            int hi, lo;

            if (i + 2 >= len)
                return -1;
            hi = oak_hex_value((unsigned char)src[i + 1]);
            lo = oak_hex_value((unsigned char)src[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        dst[o++] = c;
    }
    dst[o] = '\0';
    if (!oak_utf8_valid(dst, o))
        return -1;
    return (long)o;
}

static int kv_push(struct oak_arena *a, struct oak_kvlist *l, const char *name, const char *value)
{
    /* capacity is 8, then doubles at each power of two; arrays outgrown
     * stay in the arena until the request ends */
    if (l->count == 0 || (l->count >= 8 && (l->count & (l->count - 1)) == 0)) {
        int cap = l->count ? l->count * 2 : 8;
        struct oak_kv *n = oak_arena_alloc(a, sizeof *n * (size_t)cap);

        if (!n)
            return -1;
        if (l->count)
            memcpy(n, l->items, sizeof *n * (size_t)l->count);
        l->items = n;
    }
    l->items[l->count].name = name;
    l->items[l->count].value = value;
    l->count++;
    return 0;
}

void oak_utf8_safe_copy(char *out, size_t cap, const char *raw, size_t n)
{
    size_t o = 0, i = 0;

    while (i < n && o + 1 < cap) {
        size_t len = 1;
        unsigned char c = (unsigned char)raw[i];

        if (c >= 0xc2 && c <= 0xdf) len = 2;
        else if (c >= 0xe0 && c <= 0xef) len = 3;
        else if (c >= 0xf0 && c <= 0xf4) len = 4;
        if (c >= 0x80 && (len == 1 || i + len > n || !oak_utf8_valid(raw + i, len))) {
            out[o++] = '?';
            i++;
            continue;
        }
        if (c < 0x20) {
            out[o++] = '?';
            i++;
            continue;
        }
        if (o + len >= cap)
            break;
        memcpy(out + o, raw + i, len);
        o += len;
        i += len;
    }
    out[o] = '\0';
}

int oak_parse_urlencoded(struct oak_arena *a, const char *s, size_t len, int max_pairs,
                         struct oak_kvlist *out, char *bad_name, size_t bad_len)
{
    size_t i = 0;

    while (i < len) {
        size_t start = i, eq = (size_t)-1;
        char *name, *value;
        long nl, vl;

        while (i < len && s[i] != '&') {
            if (s[i] == '=' && eq == (size_t)-1)
                eq = i;
            i++;
        }
        if (i > start) {
            size_t name_end = eq == (size_t)-1 ? i : eq;

            if (out->count >= max_pairs)
                return -2;
            name = oak_arena_alloc(a, name_end - start + 1);
            value = oak_arena_alloc(a, eq == (size_t)-1 ? 1 : i - eq);
            if (!name || !value)
                return -3;
            nl = oak_url_decode(name, s + start, name_end - start, 1);
            vl = eq == (size_t)-1 ? (value[0] = '\0', 0) : oak_url_decode(value, s + eq + 1, i - eq - 1, 1);
            if (nl < 0 || vl < 0) {
                if (bad_len)
                    oak_utf8_safe_copy(bad_name, bad_len, s + start, name_end - start);
                return -1;
            }
            if (kv_push(a, out, name, value) < 0)
                return -3;
        }
        i++; /* skip '&' */
    }
    return 0;
}

int oak_parse_cookies(struct oak_arena *a, const char *s, int max_pairs, struct oak_kvlist *out)
{
    while (*s) {
        const char *start, *eq, *end;

        while (*s == ' ' || *s == '\t' || *s == ';')
            s++;
        if (!*s)
            break;
        start = s;
        while (*s && *s != ';')
            s++;
        end = s;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        eq = memchr(start, '=', (size_t)(end - start));
        if (!eq || eq == start)
            continue;
        if (out->count >= max_pairs)
            break;
        const char *vs = eq + 1, *ve = end;

        if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
            vs++;
            ve--;
        }
        char *name = oak_arena_strndup(a, start, (size_t)(eq - start));
        char *value = oak_arena_strndup(a, vs, (size_t)(ve - vs));

        if (!name || !value || kv_push(a, out, name, value) < 0)
            return -3;
    }
    return 0;
}

const char *oak_kv_get(const struct oak_kvlist *l, const char *name)
{
    for (int i = 0; i < l->count; i++)
        if (strcmp(l->items[i].name, name) == 0)
            return l->items[i].value;
    return NULL;
}
