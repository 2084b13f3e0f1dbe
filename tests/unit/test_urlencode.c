/*
 * test_urlencode.c - percent-decoding ('+' handling, malformed escapes,
 * encoded NUL, UTF-8 validation: overlong forms, surrogates, truncated and
 * out-of-range sequences; Chinese text accepted), oak_parse_urlencoded
 * (pairs, empty pairs, names without '=', max_pairs, malformed pairs and
 * bad_name, growth past the initial capacity), oak_parse_cookies (spaces,
 * quotes, malformed parts, max_pairs) and oak_kv_get.
 */
#include "arena.h"
#include "tap.h"
#include "urlencode.h"

#include <string.h>

/* Decode S (NUL-terminated) into a static buffer; returns the length or -1. */
static long dec(const char *s, int plus, char *out, size_t outlen)
{
    size_t n = strlen(s);

    if (n + 1 > outlen)
        return -2;
    memset(out, 'X', outlen);
    return oak_url_decode(out, s, n, plus);
}

static void test_decode(void)
{
    char b[128];
    long n;

    n = dec("abc", 0, b, sizeof b);
    is_int(n, 3, "plain text: length");
    is_str(b, "abc", "plain text: unchanged and terminated");

    n = dec("", 0, b, sizeof b);
    is_int(n, 0, "empty input decodes to length 0");
    is_str(b, "", "empty input is terminated");

    n = dec("a%20b", 0, b, sizeof b);
    is_int(n, 3, "%%20: length");
    is_str(b, "a b", "%%20 decodes to space");

    n = dec("%41%42%43", 0, b, sizeof b);
    is_str(b, "ABC", "consecutive escapes, escape at the very end");
    is_int(n, 3, "consecutive escapes: length");

    dec("%2f%2F", 0, b, sizeof b);
    is_str(b, "//", "hex digits are case-insensitive");

    n = dec("a+b", 1, b, sizeof b);
    is_str(b, "a b", "'+' becomes space with plus_space");
    is_int(n, 3, "'+' with plus_space: length");
    dec("a+b", 0, b, sizeof b);
    is_str(b, "a+b", "'+' kept without plus_space");
    dec("a%2Bb", 1, b, sizeof b);
    is_str(b, "a+b", "%%2B is a literal '+' even with plus_space");
    dec("++", 1, b, sizeof b);
    is_str(b, "  ", "several '+' all become spaces");

    is_int(dec("%", 0, b, sizeof b), -1, "lone '%%' refused");
    is_int(dec("%4", 0, b, sizeof b), -1, "'%%4' (one hex digit) refused");
    is_int(dec("ab%4", 0, b, sizeof b), -1, "truncated escape at the end refused");
    is_int(dec("%zz", 0, b, sizeof b), -1, "'%%zz' refused");
    is_int(dec("%4z", 0, b, sizeof b), -1, "'%%4z' refused");
    is_int(dec("%z4", 0, b, sizeof b), -1, "'%%z4' refused");
    is_int(dec("%%41", 0, b, sizeof b), -1, "'%%%%41' refused");
    is_int(dec("% 1", 0, b, sizeof b), -1, "'%% 1' refused");
    is_int(dec("%00", 0, b, sizeof b), -1, "encoded NUL %%00 refused");
    is_int(dec("a%00b", 1, b, sizeof b), -1, "encoded NUL in the middle refused");

    /* the length argument is honoured: a '%' after len is not looked at */
    n = oak_url_decode(b, "ab%", 2, 0);
    is_int(n, 2, "only len bytes are decoded");
    is_str(b, "ab", "only len bytes are decoded (content)");
    n = oak_url_decode(b, "%41%", 3, 0);
    is_str(b, "A", "escape ending exactly at len accepted");

    /* UTF-8 */
    n = dec("%E4%BD%A0%E5%A5%BD", 0, b, sizeof b);
    is_int(n, 6, "encoded Chinese: 6 bytes");
    is_str(b, "你好", "encoded Chinese decodes to 你好");
    n = dec("你好", 0, b, sizeof b);
    is_str(b, "你好", "raw Chinese UTF-8 accepted as is");
    n = dec("%C3%A9t%C3%A9", 0, b, sizeof b);
    is_str(b, "été", "2-byte sequences accepted");
    n = dec("%F0%9F%98%80", 0, b, sizeof b);
    is_int(n, 4, "4-byte sequence (emoji) accepted");
    n = dec("%F4%8F%BF%BF", 0, b, sizeof b);
    is_int(n, 4, "U+10FFFF accepted");
    n = dec("%EF%BF%BD", 0, b, sizeof b);
    is_int(n, 3, "U+FFFD accepted");

    is_int(dec("%C0%AF", 0, b, sizeof b), -1, "overlong 2-byte '/' (C0 AF) refused");
    is_int(dec("%C1%BF", 0, b, sizeof b), -1, "overlong 2-byte (C1 BF) refused");
    is_int(dec("%E0%80%AF", 0, b, sizeof b), -1, "overlong 3-byte refused");
    is_int(dec("%E0%9F%BF", 0, b, sizeof b), -1, "overlong 3-byte U+07FF refused");
    is_int(dec("%F0%80%80%AF", 0, b, sizeof b), -1, "overlong 4-byte refused");
    is_int(dec("%F0%8F%BF%BF", 0, b, sizeof b), -1, "overlong 4-byte U+FFFF refused");
    is_int(dec("%ED%A0%80", 0, b, sizeof b), -1, "high surrogate U+D800 refused");
    is_int(dec("%ED%BF%BF", 0, b, sizeof b), -1, "low surrogate U+DFFF refused");
    is_int(dec("%ED%9F%BF", 0, b, sizeof b), 3, "U+D7FF (just below surrogates) accepted");
    is_int(dec("%F4%90%80%80", 0, b, sizeof b), -1, "beyond U+10FFFF refused");
    is_int(dec("%F5%80%80%80", 0, b, sizeof b), -1, "lead byte F5 refused");
    is_int(dec("%FF", 0, b, sizeof b), -1, "byte FF refused");
    is_int(dec("%80", 0, b, sizeof b), -1, "lone continuation byte refused");
    is_int(dec("%E4%BD", 0, b, sizeof b), -1, "truncated 3-byte sequence refused");
    is_int(dec("a%E4", 0, b, sizeof b), -1, "lead byte at the end refused");
    is_int(dec("%E4%BDa", 0, b, sizeof b), -1, "sequence interrupted by ASCII refused");
    is_int(dec("%F0%9F%98", 0, b, sizeof b), -1, "truncated 4-byte sequence refused");
    is_int(dec("%C3%28", 0, b, sizeof b), -1, "bad continuation byte refused");
}

static void test_utf8_valid(void)
{
    ok(oak_utf8_valid("", 0), "utf8: empty is valid");
    ok(oak_utf8_valid("plain ascii", 11), "utf8: ascii valid");
    ok(oak_utf8_valid("中文测试", strlen("中文测试")), "utf8: Chinese valid");
    ok(!oak_utf8_valid("a\0b", 3), "utf8: NUL refused");
    ok(!oak_utf8_valid("\xe4\xbd", 2), "utf8: truncated refused");
    ok(oak_utf8_valid("\xe4\xbd\xa0", 3), "utf8: complete 你 valid");
    ok(!oak_utf8_valid("\xe4\xbd\xa0", 2), "utf8: length respected (cut in the middle)");
    ok(!oak_utf8_valid("\xed\xa0\x80", 3), "utf8: surrogate refused");
    ok(!oak_utf8_valid("\xc0\x80", 2), "utf8: overlong NUL refused");
}

static void test_parse_urlencoded(void)
{
    struct oak_arena a;
    struct oak_kvlist l;
    char bad[16];
    int rc;
    const char *s;

    oak_arena_init(&a, 0);

    memset(&l, 0, sizeof l);
    s = "a=1&b=two&c=%E4%BD%A0+x";
    rc = oak_parse_urlencoded(&a, s, strlen(s), 100, &l, bad, sizeof bad);
    is_int(rc, 0, "urlencoded: three pairs parsed");
    is_int(l.count, 3, "urlencoded: count 3");
    if (l.count == 3) {
        is_str(l.items[0].name, "a", "pair 0 name");
        is_str(l.items[0].value, "1", "pair 0 value");
        is_str(l.items[1].name, "b", "pair 1 name");
        is_str(l.items[1].value, "two", "pair 1 value");
        is_str(l.items[2].name, "c", "pair 2 name");
        is_str(l.items[2].value, "你 x", "pair 2 value decoded, '+' is space");
    } else {
        ok(0, "pairs not parsed");
    }

    /* empty pairs and a name without '=' */
    memset(&l, 0, sizeof l);
    s = "&&x=1&&flag&&y=&";
    rc = oak_parse_urlencoded(&a, s, strlen(s), 100, &l, bad, sizeof bad);
    is_int(rc, 0, "empty pairs: rc 0");
    is_int(l.count, 3, "empty pairs skipped, three real pairs");
    is_str(oak_kv_get(&l, "x"), "1", "x=1 among empty pairs");
    is_str(oak_kv_get(&l, "flag"), "", "name without '=' has an empty value");
    is_str(oak_kv_get(&l, "y"), "", "y= has an empty value");
    ok(oak_kv_get(&l, "z") == NULL, "missing name gives NULL");

    /* a value containing '=' keeps everything after the first '=' */
    memset(&l, 0, sizeof l);
    s = "k=a=b%3Dc";
    rc = oak_parse_urlencoded(&a, s, strlen(s), 100, &l, bad, sizeof bad);
    is_int(rc, 0, "value with '=': rc 0");
    is_str(oak_kv_get(&l, "k"), "a=b=c", "value keeps text after the first '='");

    /* encoded names */
    memset(&l, 0, sizeof l);
    s = "first+name=Li&%E5%90%8D=%E5%AD%97";
    rc = oak_parse_urlencoded(&a, s, strlen(s), 100, &l, bad, sizeof bad);
    is_int(rc, 0, "encoded names: rc 0");
    is_str(oak_kv_get(&l, "first name"), "Li", "'+' in a name decodes to space");
    is_str(oak_kv_get(&l, "名"), "字", "percent-encoded Chinese name and value");

    /* empty input */
    memset(&l, 0, sizeof l);
    rc = oak_parse_urlencoded(&a, "", 0, 100, &l, bad, sizeof bad);
    is_int(rc, 0, "empty input: rc 0");
    is_int(l.count, 0, "empty input: no pairs");

    /* len is honoured */
    memset(&l, 0, sizeof l);
    rc = oak_parse_urlencoded(&a, "a=1&b=2", 3, 100, &l, bad, sizeof bad);
    is_int(l.count, 1, "only len bytes are parsed");
    is_str(oak_kv_get(&l, "a"), "1", "value stops at len");

    /* first value wins in oak_kv_get, all kept in the list */
    memset(&l, 0, sizeof l);
    s = "a=first&a=second&a=third";
    rc = oak_parse_urlencoded(&a, s, strlen(s), 100, &l, bad, sizeof bad);
    is_int(l.count, 3, "repeated names all kept");
    is_str(oak_kv_get(&l, "a"), "first", "oak_kv_get returns the first value");
    ok(l.count >= 3 && strcmp(l.items[2].value, "third") == 0, "third repeated value kept in order");

    /* appending to an existing list */
    rc = oak_parse_urlencoded(&a, "b=4", 3, 100, &l, bad, sizeof bad);
    is_int(rc, 0, "append: rc 0");
    is_int(l.count, 4, "append: pairs added after the existing ones");
    is_str(oak_kv_get(&l, "b"), "4", "append: new pair found");
    is_str(oak_kv_get(&l, "a"), "first", "append: old pairs kept");

    /* max_pairs */
    memset(&l, 0, sizeof l);
    s = "a=1&b=2&c=3";
    rc = oak_parse_urlencoded(&a, s, strlen(s), 3, &l, bad, sizeof bad);
    is_int(rc, 0, "exactly max_pairs pairs accepted");
    memset(&l, 0, sizeof l);
    rc = oak_parse_urlencoded(&a, s, strlen(s), 2, &l, bad, sizeof bad);
    is_int(rc, -2, "one pair over max_pairs gives -2");
    memset(&l, 0, sizeof l);
    s = "&&&a=1&&&&";
    rc = oak_parse_urlencoded(&a, s, strlen(s), 1, &l, bad, sizeof bad);
    is_int(rc, 0, "empty pairs do not count toward max_pairs");
    memset(&l, 0, sizeof l);
    rc = oak_parse_urlencoded(&a, "a=1&b=2", 7, 0, &l, bad, sizeof bad);
    is_int(rc, -2, "max_pairs 0 refuses any pair");
    /* total counts what is already in the list */
    memset(&l, 0, sizeof l);
    rc = oak_parse_urlencoded(&a, "a=1&b=2", 7, 3, &l, bad, sizeof bad);
    rc = oak_parse_urlencoded(&a, "c=1&d=2", 7, 3, &l, bad, sizeof bad);
    is_int(rc, -2, "max_pairs counts pairs already in the list");

    /* growth past the initial capacity of 8 */
    {
        char big[2048];
        size_t o = 0;
        int good;

        for (int i = 0; i < 100; i++)
            o += (size_t)snprintf(big + o, sizeof big - o, "%sk%d=v%d", i ? "&" : "", i, i);
        memset(&l, 0, sizeof l);
        rc = oak_parse_urlencoded(&a, big, o, 1000, &l, bad, sizeof bad);
        is_int(rc, 0, "100 pairs: rc 0");
        is_int(l.count, 100, "100 pairs: all parsed");
        good = l.count == 100;
        for (int i = 0; good && i < 100; i++) {
            char n[16], v[16];

            snprintf(n, sizeof n, "k%d", i);
            snprintf(v, sizeof v, "v%d", i);
            if (strcmp(l.items[i].name, n) || strcmp(l.items[i].value, v))
                good = 0;
        }
        ok(good, "100 pairs: all names and values intact after growth");
    }

    /* malformed pairs */
    memset(&l, 0, sizeof l);
    strcpy(bad, "untouched");
    s = "ok=1&bad%zz=2";
    rc = oak_parse_urlencoded(&a, s, strlen(s), 100, &l, bad, sizeof bad);
    is_int(rc, -1, "malformed name gives -1");
    is_str(bad, "bad%zz", "bad_name holds the raw name");

    memset(&l, 0, sizeof l);
    s = "ok=1&name=%";
    rc = oak_parse_urlencoded(&a, s, strlen(s), 100, &l, bad, sizeof bad);
    is_int(rc, -1, "malformed value gives -1");
    is_str(bad, "name", "bad_name names the pair whose value is malformed");

    memset(&l, 0, sizeof l);
    s = "v=%00";
    rc = oak_parse_urlencoded(&a, s, strlen(s), 100, &l, bad, sizeof bad);
    is_int(rc, -1, "encoded NUL in a value gives -1");
    is_str(bad, "v", "bad_name for encoded NUL");

    memset(&l, 0, sizeof l);
    s = "x=%C0%AF";
    rc = oak_parse_urlencoded(&a, s, strlen(s), 100, &l, bad, sizeof bad);
    is_int(rc, -1, "invalid UTF-8 in a value gives -1");

    memset(&l, 0, sizeof l);
    s = "averyveryverylongparametername%4=1";
    rc = oak_parse_urlencoded(&a, s, strlen(s), 100, &l, bad, sizeof bad);
    is_int(rc, -1, "long malformed name gives -1");
    is_int(strlen(bad), sizeof bad - 1, "bad_name truncated to bad_len-1");
    ok(strncmp(bad, "averyveryverylo", sizeof bad - 1) == 0, "bad_name truncated prefix");

    memset(&l, 0, sizeof l);
    rc = oak_parse_urlencoded(&a, "%", 1, 100, &l, NULL, 0);
    is_int(rc, -1, "malformed with bad_len 0 does not write bad_name");

    oak_arena_free(&a);
}

static void test_cookies(void)
{
    struct oak_arena a;
    struct oak_kvlist l;
    int rc;

    oak_arena_init(&a, 0);

    memset(&l, 0, sizeof l);
    rc = oak_parse_cookies(&a, "sid=abc; theme=dark", 64, &l);
    is_int(rc, 0, "cookies: rc 0");
    is_int(l.count, 2, "cookies: two parsed");
    is_str(oak_kv_get(&l, "sid"), "abc", "cookie sid");
    is_str(oak_kv_get(&l, "theme"), "dark", "cookie theme");

    memset(&l, 0, sizeof l);
    rc = oak_parse_cookies(&a, "  a=1 ;\tb=2\t;;  c=3  ", 64, &l);
    is_int(l.count, 3, "spaces, tabs and empty parts: three cookies");
    is_str(oak_kv_get(&l, "a"), "1", "trailing space trimmed from value");
    is_str(oak_kv_get(&l, "b"), "2", "tab-separated cookie");
    is_str(oak_kv_get(&l, "c"), "3", "leading and trailing spaces trimmed");

    memset(&l, 0, sizeof l);
    rc = oak_parse_cookies(&a, "q=\"quoted value\"; r=\"; s=\"\"", 64, &l);
    is_str(oak_kv_get(&l, "q"), "quoted value", "double quotes stripped");
    is_str(oak_kv_get(&l, "r"), "\"", "a lone quote is kept");
    is_str(oak_kv_get(&l, "s"), "", "empty quoted value");

    memset(&l, 0, sizeof l);
    rc = oak_parse_cookies(&a, "novalue; =anon; good=1; also bad; x=", 64, &l);
    is_int(rc, 0, "malformed parts: rc 0");
    is_int(l.count, 2, "parts without '=' or with empty name skipped");
    is_str(oak_kv_get(&l, "good"), "1", "good cookie after malformed parts");
    is_str(oak_kv_get(&l, "x"), "", "x= gives an empty value");
    ok(oak_kv_get(&l, "novalue") == NULL, "part without '=' not stored");

    memset(&l, 0, sizeof l);
    rc = oak_parse_cookies(&a, "tok=a%20b=c+d", 64, &l);
    is_str(oak_kv_get(&l, "tok"), "a%20b=c+d", "cookie values are not decoded");

    memset(&l, 0, sizeof l);
    rc = oak_parse_cookies(&a, "d=1; d=2", 64, &l);
    is_int(l.count, 2, "duplicate cookie names both kept");
    is_str(oak_kv_get(&l, "d"), "1", "oak_kv_get returns the first cookie");

    memset(&l, 0, sizeof l);
    rc = oak_parse_cookies(&a, "a=1; b=2; c=3; d=4", 2, &l);
    is_int(rc, 0, "max_pairs reached: rc 0");
    is_int(l.count, 2, "cookies beyond max_pairs ignored");

    memset(&l, 0, sizeof l);
    rc = oak_parse_cookies(&a, "", 64, &l);
    is_int(l.count, 0, "empty header: none");
    rc = oak_parse_cookies(&a, " ; ;; ", 64, &l);
    is_int(l.count, 0, "only separators: none");

    {
        char big[1024];
        size_t o = 0;

        for (int i = 0; i < 40; i++)
            o += (size_t)snprintf(big + o, sizeof big - o, "c%d=%d; ", i, i);
        memset(&l, 0, sizeof l);
        rc = oak_parse_cookies(&a, big, 64, &l);
        is_int(l.count, 40, "40 cookies (list growth)");
        is_str(oak_kv_get(&l, "c39"), "39", "last of 40 cookies");
        is_str(oak_kv_get(&l, "c0"), "0", "first of 40 cookies");
    }
    oak_arena_free(&a);
}

static void test_kv_get(void)
{
    struct oak_kv items[] = { { "a", "1" }, { "B", "2" }, { "a", "3" } };
    struct oak_kvlist l = { items, 3 }, empty = { NULL, 0 };

    is_str(oak_kv_get(&l, "a"), "1", "kv_get: first of repeated names");
    is_str(oak_kv_get(&l, "B"), "2", "kv_get: exact name");
    ok(oak_kv_get(&l, "b") == NULL, "kv_get: names are case-sensitive");
    ok(oak_kv_get(&empty, "a") == NULL, "kv_get: empty list");
}

static void test_hex(void)
{
    static const unsigned char bytes[] = { 0x00, 0x0f, 0xa5, 0xff, 0x10 };
    char out[2 * sizeof bytes + 1];

    memset(out, 'x', sizeof out);
    oak_hex_encode(bytes, sizeof bytes, out);
    is_str(out, "000fa5ff10", "hex_encode: lower-case, two digits a byte, NUL-terminated");
    oak_hex_encode(bytes, 0, out);
    is_str(out, "", "hex_encode: nothing is the empty string");
    for (int c = 0; c < 256; c++) {
        unsigned char b = (unsigned char)c;
        char h[3];

        oak_hex_encode(&b, 1, h);
        if (oak_hex_value(h[0]) * 16 + oak_hex_value(h[1]) != c) {
            ok(0, "hex_encode/hex_value round trip at %d", c);
            return;
        }
    }
    ok(1, "hex_encode then hex_value gives back every byte");
}

int main(void)
{
    test_decode();
    test_hex();
    test_utf8_valid();
    test_parse_urlencoded();
    test_cookies();
    test_kv_get();
    return done_testing();
}
