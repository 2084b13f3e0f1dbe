/*
 * test_buf.c - the growable response buffer: appends, printf into the room
 * there is and past it (the buffer grows and the text is whole), reset
 * keeping the capacity, and the NUL after the data.
 */
#include "buf.h"
#include "tap.h"

#include <string.h>

int main(void)
{
    struct oak_buf b = OAK_BUF_INIT;
    char big[4096];
    size_t cap;

    is_int(oak_buf_printf(&b, "Status: %d %s\r\n", 200, "OK"), 0, "printf into an empty buffer");
    is_str(b.data, "Status: 200 OK\r\n", "the text, NUL-terminated");
    is_int((int)b.len, 16, "its length");
    ok(b.cap >= 17, "room for the NUL");
    is_int(oak_buf_printf(&b, "X-Id: %s\r\n", "abc"), 0, "printf that fits the room left");
    is_str(b.data, "Status: 200 OK\r\nX-Id: abc\r\n", "appended after the first");

    memset(big, 'x', 999);
    big[999] = '\0';
    cap = b.cap;
    is_int(oak_buf_printf(&b, "[%s]", big), 0, "printf longer than the room left");
    ok(b.cap > cap, "the buffer grew (%zu -> %zu)", cap, b.cap);
    is_int((int)b.len, 27 + 1001, "the whole text is there");
    ok(b.data[27] == '[' && b.data[27 + 1000] == ']' && b.data[b.len] == '\0' &&
       strspn(b.data + 28, "x") == 999, "in full, after what was there, NUL-terminated");

    cap = b.cap;
    oak_buf_reset(&b);
    is_int((int)b.len, 0, "reset empties it");
    is_int((int)b.cap, (int)cap, "and keeps the capacity");
    is_int(oak_buf_printf(&b, "%s", ""), 0, "printf of nothing");
    is_int((int)b.len, 0, "adds nothing");

    /* exactly filling the room: the NUL needs one more byte */
    oak_buf_reset(&b);
    ok(b.cap <= sizeof big, "(capacity %zu fits the test's string)", b.cap);
    memset(big, 'y', sizeof big - 1);
    big[b.cap - 1] = '\0';
    is_int(oak_buf_printf(&b, "%s", big), 0, "printf of exactly the capacity less one");
    is_int((int)b.len, (int)cap - 1, "all of it");
    is_int(oak_buf_printf(&b, "z"), 0, "one more character");
    ok(b.data[b.len - 1] == 'z' && b.data[b.len] == '\0' && b.len == cap, "lands after it, grown");

    is_int(oak_buf_append(&b, "ab", 2), 0, "append");
    is_int(oak_buf_puts(&b, "cd"), 0, "puts");
    ok(b.len == cap + 4 && memcmp(b.data + cap, "abcd", 4) == 0 && b.data[b.len] == '\0', "both appended");
    oak_buf_free(&b);
    ok(b.data == NULL && b.len == 0 && b.cap == 0, "free leaves an empty buffer");
    is_int(oak_buf_printf(&b, "%d", 42), 0, "usable again after free");
    is_str(b.data, "42", "with its text");
    oak_buf_reset(&b);
    is_int(oak_buf_putu(&b, 0), 0, "putu 0");
    oak_buf_puts(&b, " ");
    oak_buf_putu(&b, 200);
    oak_buf_puts(&b, " ");
    oak_buf_putu(&b, 18446744073709551615ULL);
    is_str(b.data, "0 200 18446744073709551615", "putu: decimal, zero and the largest value too");
    oak_buf_free(&b);
    return done_testing();
}
