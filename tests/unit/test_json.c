/*
 * test_json.c - the JSON helpers: oak_json_depth (brackets inside strings,
 * escaped quotes and backslashes, unbalanced text), oak_json_parse_body
 * (accepted bodies, syntax errors with a position, the depth limit checked
 * before jansson, duplicate keys), the error envelope with and without
 * fields, and oak_json_dump (and oak_json_dump_buf) keeping UTF-8 unescaped.
 */
#include "json.h"
#include "buf.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static int depth(const char *s)
{
    return oak_json_depth(s, strlen(s));
}

/* Nested arrays N deep around 1, in a malloc'd string. */
static char *nested(int n)
{
    char *s = malloc((size_t)n * 2 + 2);

    if (!s)
        return NULL;
    memset(s, '[', (size_t)n);
    s[n] = '1';
    memset(s + n + 1, ']', (size_t)n);
    s[2 * n + 1] = '\0';
    return s;
}

static void test_depth(void)
{
    is_int(depth(""), 0, "depth of empty text");
    is_int(depth("1"), 0, "depth of a scalar");
    is_int(depth("\"x\""), 0, "depth of a string");
    is_int(depth("[]"), 1, "depth of []");
    is_int(depth("{}"), 1, "depth of {}");
    is_int(depth("[1,[2,[3]]]"), 3, "depth of nested arrays");
    is_int(depth("{\"a\":{\"b\":[{}]}}"), 4, "depth of mixed objects and arrays");
    is_int(depth("[[],[],[[]]]"), 3, "depth is the maximum, not the sum");
    is_int(depth("[[[]]][]"), 3, "depth after closing back to 0");
    is_int(depth("[\"[[[[\"]"), 1, "brackets inside a string ignored");
    is_int(depth("{\"a\":\"}}}{{{\"}"), 1, "braces inside a string ignored");
    is_int(depth("[\"a\\\"[[[\"]"), 1, "escaped quote does not end the string");
    is_int(depth("[\"a\\\\\",[[1]]]"), 3, "escaped backslash then quote ends the string");
    is_int(depth("[\"\\\\\\\"[\"]"), 1, "backslash pair then escaped quote stays in the string");
    is_int(depth("[\"\\u005b[\"]"), 1, "unicode escape inside a string");
    is_int(depth("\"unterminated [[["), 0, "unterminated string: brackets ignored");
    is_int(depth("\"ends with backslash\\"), 0, "trailing backslash does not read past len");
    is_int(oak_json_depth("[[[[", 2), 2, "only len bytes are scanned");
    is_int(depth("]]]][[["), 0, "unbalanced closing brackets never raise the depth");

    char *s = nested(100);

    is_int(depth(s), 100, "depth 100");
    free(s);
}

static void test_parse(void)
{
    char why[256];
    int fail;
    json_t *v;
    const char *b;
    char *s;

    fail = 0;
    b = "{\"a\":[1,2,{\"b\":null}],\"c\":\"中文\"}";
    v = oak_json_parse_body(b, strlen(b), 3, &fail, why, sizeof why);
    ok(v != NULL, "valid body parses");
    is_int(fail, 0, "valid body: fail untouched");
    ok(json_is_object(v), "valid body is an object");
    is_str(json_string_value(json_object_get(v, "c")), "中文", "UTF-8 string value");
    json_decref(v);

    b = "[1,2,3]";
    v = oak_json_parse_body(b, strlen(b), 1, &fail, why, sizeof why);
    ok(json_is_array(v), "array body at depth limit 1");
    json_decref(v);

    /* only len bytes are parsed */
    b = "[1]garbage";
    v = oak_json_parse_body(b, 3, 4, &fail, why, sizeof why);
    ok(json_is_array(v), "len bounds the parsed text");
    json_decref(v);

    fail = 0;
    why[0] = '\0';
    b = "{\"a\":1,\n\"b\":}";
    v = oak_json_parse_body(b, strlen(b), 4, &fail, why, sizeof why);
    ok(v == NULL, "syntax error refused");
    is_int(fail, OAK_JSON_SYNTAX, "syntax error: OAK_JSON_SYNTAX");
    ok(strstr(why, "line 2") != NULL, "syntax error reason has the line (%s)", why);
    ok(strstr(why, "column") != NULL, "syntax error reason has the column");

    fail = 0;
    v = oak_json_parse_body("", 0, 4, &fail, why, sizeof why);
    ok(v == NULL && fail == OAK_JSON_SYNTAX, "empty text is a syntax error");

    fail = 0;
    b = "{\"a\":1}x";
    v = oak_json_parse_body(b, strlen(b), 4, &fail, why, sizeof why);
    ok(v == NULL && fail == OAK_JSON_SYNTAX, "trailing garbage is a syntax error");

    fail = 0;
    b = "[1,2,]";
    v = oak_json_parse_body(b, strlen(b), 4, &fail, why, sizeof why);
    ok(v == NULL && fail == OAK_JSON_SYNTAX, "trailing comma is a syntax error");

    fail = 0;
    b = "{\"k\":1,\"k\":2}";
    v = oak_json_parse_body(b, strlen(b), 4, &fail, why, sizeof why);
    ok(v == NULL, "duplicate keys refused");
    is_int(fail, OAK_JSON_SYNTAX, "duplicate keys: OAK_JSON_SYNTAX");
    ok(strstr(why, "duplicate") != NULL, "duplicate keys: reason says so (%s)", why);

    fail = 0;
    b = "{\"a\":{\"k\":1},\"b\":{\"k\":2}}";
    v = oak_json_parse_body(b, strlen(b), 4, &fail, why, sizeof why);
    ok(v != NULL, "same key in different objects accepted");
    json_decref(v);

    fail = 0;
    b = "[\"a\\u0000b\"]";
    v = oak_json_parse_body(b, strlen(b), 4, &fail, why, sizeof why);
    ok(v == NULL && fail == OAK_JSON_SYNTAX, "\\u0000 in a string refused");

    fail = 0;
    b = "[\"\xc0\xaf\"]";
    v = oak_json_parse_body(b, strlen(b), 4, &fail, why, sizeof why);
    ok(v == NULL && fail == OAK_JSON_SYNTAX, "invalid UTF-8 refused");

    /* depth */
    s = nested(5);
    fail = 0;
    v = oak_json_parse_body(s, strlen(s), 5, &fail, why, sizeof why);
    ok(v != NULL, "depth equal to the limit accepted");
    json_decref(v);
    v = oak_json_parse_body(s, strlen(s), 4, &fail, why, sizeof why);
    ok(v == NULL, "depth over the limit refused");
    is_int(fail, OAK_JSON_TOO_DEEP, "too deep: OAK_JSON_TOO_DEEP");
    ok(strstr(why, "4") != NULL, "too deep: reason names the limit (%s)", why);
    free(s);

    /* the depth check comes first: far too deep and malformed is TOO_DEEP */
    s = nested(100000);
    s[200000] = '\0';   /* cut the closing brackets: also malformed */
    fail = 0;
    v = oak_json_parse_body(s, strlen(s), 32, &fail, why, sizeof why);
    ok(v == NULL && fail == OAK_JSON_TOO_DEEP, "100000 levels refused as too deep before jansson");
    free(s);

    /* brackets in strings do not count toward the limit */
    fail = 0;
    b = "{\"t\":\"[[[[[[[[[[{{{{{{\"}";
    v = oak_json_parse_body(b, strlen(b), 1, &fail, why, sizeof why);
    ok(v != NULL, "brackets inside strings do not trip the depth limit");
    json_decref(v);

    /* a small why buffer is truncated, not overrun */
    {
        char small[8];

        memset(small, 'Z', sizeof small);
        v = oak_json_parse_body("{", 1, 4, &fail, small, sizeof small);
        ok(v == NULL && memchr(small, '\0', sizeof small) != NULL, "short why buffer stays terminated");
    }
}

static void test_envelope(void)
{
    json_t *env, *err, *fields, *f;
    char *s;

    env = oak_json_envelope("not_found", "找不到 (not found)", NULL, "0123456789abcdef0123456789abcdef");
    ok(json_is_object(env), "envelope is an object");
    is_int(json_object_size(env), 2, "envelope has two members");
    err = json_object_get(env, "error");
    ok(json_is_object(err), "envelope.error is an object");
    is_int(json_object_size(err), 3, "error has code, message, fields");
    is_str(json_string_value(json_object_get(err, "code")), "not_found", "error.code");
    is_str(json_string_value(json_object_get(err, "message")), "找不到 (not found)", "error.message");
    fields = json_object_get(err, "fields");
    ok(json_is_object(fields) && json_object_size(fields) == 0, "no fields: empty object");
    is_str(json_string_value(json_object_get(env, "request_id")), "0123456789abcdef0123456789abcdef",
           "request_id");
    s = oak_json_dump(env);
    ok(s && strstr(s, "\"fields\":{}") != NULL, "serialised with an empty fields object");
    free(s);
    json_decref(env);

    f = json_pack("{s:s,s:s}", "email", "无效 (invalid)", "name", "required");
    env = oak_json_envelope("validation_failed", "invalid input", f, "abc");
    fields = json_object_get(json_object_get(env, "error"), "fields");
    ok(fields == f, "fields object is shared (borrowed, referenced)");
    is_int(json_object_size(fields), 2, "fields has two members");
    is_str(json_string_value(json_object_get(fields, "email")), "无效 (invalid)", "fields.email");
    is_str(json_string_value(json_object_get(fields, "name")), "required", "fields.name");
    is_int(f->refcount, 2, "caller's reference kept, envelope took its own");
    json_decref(env);
    is_int(f->refcount, 1, "envelope released its reference");
    json_decref(f);

    env = oak_json_envelope("x", "y", NULL, NULL);
    is_str(json_string_value(json_object_get(env, "request_id")), "", "NULL request_id becomes \"\"");
    json_decref(env);
}

static void test_dump(void)
{
    json_t *v = json_pack("{s:s}", "名字", "张三 😀");
    char *s = oak_json_dump(v);

    is_str(s, "{\"名字\":\"张三 😀\"}", "dump is compact and keeps UTF-8 unescaped");
    ok(s && strstr(s, "\\u") == NULL, "no \\u escapes in the dump");
    free(s);
    json_decref(v);

    v = json_pack("{s:i,s:[i,i],s:b,s:n}", "a", 1, "b", 2, 3, "c", 1, "d");
    s = oak_json_dump(v);
    ok(s && strchr(s, ' ') == NULL && strchr(s, '\n') == NULL, "compact: no spaces or newlines");
    free(s);
    json_decref(v);

    v = json_string("控制\n\"字符\"");
    s = oak_json_dump(v);
    is_str(s, "\"控制\\n\\\"字符\\\"\"", "a bare string can be dumped; control chars and quotes escaped");
    free(s);
    json_decref(v);

    v = json_integer(42);
    s = oak_json_dump(v);
    is_str(s, "42", "a bare integer can be dumped");
    free(s);
    json_decref(v);

    /* into a buffer: the same text, after what the buffer held */
    {
        struct oak_buf b = OAK_BUF_INIT;
        json_t *big = json_array();

        oak_buf_puts(&b, "x=");
        v = json_pack("{s:s,s:i}", "名字", "张三 😀", "n", 7);
        is_int(oak_json_dump_buf(v, &b), 0, "dump into a buffer");
        s = oak_json_dump(v);
        ok(s && strcmp(b.data, "x=") != 0 && strcmp(b.data + 2, s) == 0, "the same text as oak_json_dump, appended (%s)", b.data);
        is_int((int)b.len, (int)strlen(s) + 2, "its length counted");
        free(s);
        json_decref(v);
        for (int i = 0; i < 2000; i++)
            json_array_append_new(big, json_string("一二三四五六七八九十"));
        oak_buf_reset(&b);
        is_int(oak_json_dump_buf(big, &b), 0, "a dump larger than the buffer grows it");
        s = oak_json_dump(big);
        ok(s && b.len == strlen(s) && strcmp(b.data, s) == 0, "and is whole (%zu bytes)", b.len);
        free(s);
        json_decref(big);
        oak_buf_free(&b);
    }
}

int main(void)
{
    test_depth();
    test_parse();
    test_envelope();
    test_dump();
    return done_testing();
}
