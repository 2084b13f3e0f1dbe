/*
 * buf.h - growable byte buffer used to assemble responses. The buffer keeps
 * its capacity across resets so a worker reuses it for every request.
 */
#ifndef OAK_BUF_H
#define OAK_BUF_H

#include <stddef.h>

struct oak_buf {
    char *data;
    size_t len;
    size_t cap;
};

#define OAK_BUF_INIT { NULL, 0, 0 }

int oak_buf_reserve(struct oak_buf *b, size_t extra);
int oak_buf_append(struct oak_buf *b, const void *p, size_t n);
int oak_buf_puts(struct oak_buf *b, const char *s);
/* V in decimal, without printf: for the few numbers of every response. */
int oak_buf_putu(struct oak_buf *b, unsigned long long v);
int oak_buf_printf(struct oak_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void oak_buf_reset(struct oak_buf *b);
void oak_buf_free(struct oak_buf *b);

#endif
