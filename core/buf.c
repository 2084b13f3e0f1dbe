/*
 * buf.c - growable byte buffer (see buf.h). Always NUL-terminated.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int oak_buf_reserve(struct oak_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > SIZE_MAX - b->len - 1)
        return -1;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int oak_buf_append(struct oak_buf *b, const void *p, size_t n)
{
    if (oak_buf_reserve(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int oak_buf_puts(struct oak_buf *b, const char *s)
{
    return oak_buf_append(b, s, strlen(s));
}

int oak_buf_putu(struct oak_buf *b, unsigned long long v)
{
    char d[20];
    size_t n = sizeof d;

    do
        d[--n] = (char)('0' + v % 10);
    while ((v /= 10) && n);
    return oak_buf_append(b, d + n, sizeof d - n);
}

int oak_buf_printf(struct oak_buf *b, const char *fmt, ...)
{
    va_list ap;
    size_t room = b->cap > b->len ? b->cap - b->len : 0;
    int n;

    /* print into the room there is; only a line that does not fit is
     * printed a second time, after growing */
    va_start(ap, fmt);
    n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n >= room) {
        if (oak_buf_reserve(b, (size_t)n) < 0) {
            if (room)
                b->data[b->len] = '\0';
            return -1;
        }
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
    return 0;
}

void oak_buf_reset(struct oak_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void oak_buf_free(struct oak_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
