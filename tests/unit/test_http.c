/*
 * test_http.c - the request as built from FastCGI params (method, raw and
 * decoded path, query, request id, Content-Length limits, parameter limits),
 * bodies (JSON with depth and duplicate-key checks, urlencoded forms),
 * header and cookie lookup, and the response side: the error envelope,
 * header validation and CGI serialisation (Status, Content-Length,
 * X-Request-Id, HEAD, 204), and what is sent: the answer rendered whole
 * when it is set (req->resp_out), a failed answer leaving none, and the
 * static 500 for no answer.
 */
#include "arena.h"
#include "http.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#define GEN_ID "0123456789abcdef0123456789abcdef"

static struct oak_arena arena;
static struct oak_buf hdrs = OAK_BUF_INIT, body = OAK_BUF_INIT, out = OAK_BUF_INIT;
static struct oak_limits limits = { 1024, 8, 4 };
static struct oak_req req;
static struct oak_http_fail fail;

/* Start a new request over ENV; returns what oak_req_parse_params returns. */
static int parse(char **env)
{
    oak_req_release(&req);
    oak_arena_reset(&arena);
    oak_req_reset(&req, &arena, &hdrs, &body, &limits);
    memset(&fail, 0, sizeof fail);
    return oak_req_parse_params(&req, env, GEN_ID, &fail);
}

/* Serialized output as a NUL-terminated string (static buffer). */
static const char *serialized(void)
{
    static char s[4096];
    size_t n = out.len < sizeof s - 1 ? out.len : sizeof s - 1;

    memcpy(s, out.data ? out.data : "", n);
    s[n] = '\0';
    return s;
}

/* The response body parsed as JSON (new reference) or NULL. */
static json_t *body_json(void)
{
    return body.len ? json_loadb(body.data, body.len, 0, NULL) : NULL;
}

/* 1 when every LF in S[0..n) is preceded by CR. */
static int crlf_only(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
            return 0;
    return 1;
}

static void test_basic_params(void)
{
    char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/api/x?a=1&b=%E4%BD%A0",
                    "REMOTE_ADDR=192.0.2.7", NULL };

    is_int(parse(env), 0, "basic GET parses");
    is_str(req.method, "GET", "method");
    is_str(req.raw_path, "/api/x", "raw_path without the query");
    is_str(req.path, "/api/x", "decoded path");
    is_str(req.query_string, "a=1&b=%E4%BD%A0", "query_string as sent");
    is_int(req.query.count, 2, "two query parameters");
    is_str(oak_kv_get(&req.query, "a"), "1", "query a=1");
    is_str(oak_kv_get(&req.query, "b"), "你", "query b decoded to 你");
    is_str(req.remote_addr, "192.0.2.7", "REMOTE_ADDR");
    is_int(req.content_length, -1, "no CONTENT_LENGTH gives -1");
    ok(req.content_type == NULL, "no CONTENT_TYPE gives NULL");
    is_int(req.is_head, 0, "GET is not HEAD");
    is_int(req.https, 0, "no HTTPS param: https 0");
    is_str(req.id, GEN_ID, "no REQUEST_ID: generated id used");
    is_str(oak_env_get(env, "REMOTE_ADDR"), "192.0.2.7", "oak_env_get finds a param");
    ok(oak_env_get(env, "REMOTE") == NULL, "oak_env_get needs the whole name");
    ok(oak_env_get(NULL, "X") == NULL, "oak_env_get on NULL env");
}

static void test_paths(void)
{
    char *e1[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/files/%E4%BD%A0%20x+y", NULL };
    char *e2[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/a%00b", NULL };
    char *e3[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/a%zz", NULL };
    char *e4[] = { "REQUEST_METHOD=GET", "REQUEST_URI=relative", NULL };
    char *e5[] = { "REQUEST_METHOD=GET", NULL };
    char *e6[] = { "REQUEST_METHOD=GET", "DOCUMENT_URI=/doc", NULL };
    char *e7[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/q?", NULL };
    char *e8[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/q?x=%", NULL };
    char *e9[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/a%C0%AF", NULL };
    char *e10[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/", NULL };

    is_int(parse(e1), 0, "encoded path parses");
    is_str(req.raw_path, "/files/%E4%BD%A0%20x+y", "raw_path kept encoded");
    is_str(req.path, "/files/你 x+y", "path decoded, '+' stays '+' in a path");
    is_str(req.query_string, "", "no '?': empty query string");
    is_int(req.query.count, 0, "no query parameters");

    is_int(parse(e2), -1, "%%00 in the path refused");
    is_int(fail.status, 400, "%%00 in the path: 400");
    is_str(fail.code, "bad_request", "%%00 in the path: bad_request");
    is_int(parse(e3), -1, "malformed escape in the path refused");
    is_int(fail.status, 400, "malformed path escape: 400");
    is_int(parse(e9), -1, "overlong UTF-8 in the path refused");
    is_int(parse(e4), -1, "path without a leading '/' refused");
    is_int(fail.status, 400, "relative path: 400");
    is_int(parse(e5), -1, "no path at all refused");
    is_int(fail.status, 400, "no path: 400");
    is_int(parse(e6), 0, "DOCUMENT_URI used when REQUEST_URI is absent");
    is_str(req.path, "/doc", "DOCUMENT_URI path");
    is_int(parse(e7), 0, "trailing '?' accepted");
    is_str(req.raw_path, "/q", "trailing '?': raw_path");
    is_str(req.query_string, "", "trailing '?': empty query");
    is_int(parse(e8), -1, "malformed query refused");
    is_int(fail.status, 400, "malformed query: 400");
    is_str(fail.code, "bad_request", "malformed query: bad_request");
    is_str(fail.field, "x", "malformed query: field names the parameter");
    is_int(parse(e10), 0, "root path");
    is_str(req.path, "/", "root path decoded");

    /* a long UTF-8 parameter name: fail.field is cut to fit its 64 bytes,
     * and must still be valid UTF-8 or the envelope loses the field (jansson
     * refuses the key) */
    {
        char uri[300] = "REQUEST_URI=/?a";
        char *e11[] = { "REQUEST_METHOD=GET", uri, NULL };
        json_t *j;

        for (int i = 0; i < 30; i++)
            strcat(uri, "你");
        strcat(uri, "=%");
        is_int(parse(e11), -1, "long UTF-8 name with a malformed value refused");
        ok(fail.field[0] == 'a', "field starts with the parameter's name");
        ok(oak_utf8_valid(fail.field, strlen(fail.field)),
           "truncated field name is still valid UTF-8 (cut at a character boundary)");
        oak_resp_error_field(&req, fail.field, fail.message);
        oak_resp_error(&req, fail.status, fail.code, fail.message);
        j = body_json();
        is_int(json_object_size(json_object_get(json_object_get(j, "error"), "fields")), 1,
               "error envelope names the truncated field");
        json_decref(j);
    }
}

static void test_request_id(void)
{
    char *e1[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/",
                   "REQUEST_ID=fedcba9876543210FEDCBA9876543210", NULL };
    char *e2[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/",
                   "REQUEST_ID=fedcba9876543210fedcba987654321", NULL };   /* 31 */
    char *e3[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/",
                   "REQUEST_ID=fedcba9876543210fedcba98765432100", NULL }; /* 33 */
    char *e4[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/",
                   "REQUEST_ID=gedcba9876543210fedcba9876543210", NULL };  /* non-hex */
    char *e5[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/",
                   "REQUEST_ID=fedcba9876543210\r\nX: 9876543210", NULL };
    char *e6[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/", "REQUEST_ID=", NULL };

    parse(e1);
    is_str(req.id, "fedcba9876543210FEDCBA9876543210", "32 hex digit REQUEST_ID used");
    parse(e2);
    is_str(req.id, GEN_ID, "31-digit REQUEST_ID ignored");
    parse(e3);
    is_str(req.id, GEN_ID, "33-digit REQUEST_ID ignored");
    parse(e4);
    is_str(req.id, GEN_ID, "non-hex REQUEST_ID ignored");
    parse(e5);
    is_str(req.id, GEN_ID, "REQUEST_ID with CR/LF ignored");
    parse(e6);
    is_str(req.id, GEN_ID, "empty REQUEST_ID ignored");

    char *bad[] = { "REQUEST_METHOD=get", "REQUEST_URI=/", NULL };

    parse(bad);
    is_str(req.id, GEN_ID, "id set even when the request is refused (for the error envelope)");
}

static void test_methods(void)
{
    char *e1[] = { "REQUEST_METHOD=get", "REQUEST_URI=/", NULL };
    char *e2[] = { "REQUEST_METHOD=", "REQUEST_URI=/", NULL };
    char *e3[] = { "REQUEST_URI=/", NULL };
    char *e4[] = { "REQUEST_METHOD=GE T", "REQUEST_URI=/", NULL };
    char *e5[] = { "REQUEST_METHOD=ABCDEFGHIJKLMNOPQ", "REQUEST_URI=/", NULL }; /* 17 */
    char *e6[] = { "REQUEST_METHOD=ABCDEFGHIJKLMNOP", "REQUEST_URI=/", NULL };  /* 16 */
    char *e7[] = { "REQUEST_METHOD=HEAD", "REQUEST_URI=/", NULL };
    char *e8[] = { "REQUEST_METHOD=POST\r\n", "REQUEST_URI=/", NULL };

    is_int(parse(e1), -1, "lower-case method refused");
    is_int(fail.status, 400, "lower-case method: 400");
    is_str(fail.code, "bad_request", "lower-case method: bad_request");
    ok(strstr(fail.message, "bad request method") != NULL, "bad method: message says so");
    is_int(parse(e2), -1, "empty method refused");
    is_int(fail.status, 400, "empty method: 400");
    is_int(parse(e3), -1, "missing method refused");
    is_int(fail.status, 400, "missing method: 400");
    is_int(parse(e4), -1, "method with a space refused");
    is_int(parse(e5), -1, "17-letter method refused");
    is_int(parse(e6), 0, "16-letter method accepted (the router answers 405)");
    is_int(parse(e8), -1, "method with CR/LF refused");
    is_int(parse(e7), 0, "HEAD accepted");
    is_int(req.is_head, 1, "HEAD sets is_head");
}

static void test_content_length(void)
{
    char *e1[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_LENGTH=1024", NULL };
    char *e2[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_LENGTH=1025", NULL };
    char *e3[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_LENGTH=12abc", NULL };
    char *e4[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_LENGTH=-1", NULL };
    char *e5[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_LENGTH=+5", NULL };
    char *e6[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_LENGTH=99999999999999999999999", NULL };
    char *e7[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_LENGTH=", NULL };
    char *e8[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_LENGTH= 5", NULL };
    char *e9[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_LENGTH=0", NULL };

    is_int(parse(e1), 0, "CONTENT_LENGTH equal to max_body accepted");
    is_int(req.content_length, 1024, "content_length parsed");
    is_int(parse(e2), -1, "CONTENT_LENGTH over max_body refused");
    is_int(fail.status, 413, "too large: 413");
    is_str(fail.code, "payload_too_large", "too large: payload_too_large");
    ok(strstr(fail.message, "1024") != NULL, "too large: message names the limit");
    is_int(parse(e3), -1, "CONTENT_LENGTH with trailing junk refused");
    is_int(fail.status, 400, "junk CONTENT_LENGTH: 400");
    is_str(fail.code, "bad_request", "junk CONTENT_LENGTH: bad_request");
    is_int(parse(e4), -1, "negative CONTENT_LENGTH refused");
    is_int(fail.status, 400, "negative CONTENT_LENGTH: 400");
    is_int(parse(e5), -1, "'+5' CONTENT_LENGTH refused");
    is_int(fail.status, 400, "'+5' CONTENT_LENGTH: 400");
    is_int(parse(e6), -1, "overflowing CONTENT_LENGTH refused");
    is_int(fail.status, 400, "overflowing CONTENT_LENGTH: 400");
    is_int(parse(e8), -1, "CONTENT_LENGTH with a leading space refused");
    is_int(parse(e7), 0, "empty CONTENT_LENGTH treated as absent");
    is_int(req.content_length, -1, "empty CONTENT_LENGTH: -1");
    is_int(parse(e9), 0, "CONTENT_LENGTH 0 accepted");
    is_int(req.content_length, 0, "CONTENT_LENGTH 0 parsed");
}

static void test_param_limits(void)
{
    char *e1[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8", NULL };
    char *e2[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9", NULL };

    is_int(parse(e1), 0, "max_params query parameters accepted");
    is_int(req.query.count, 8, "eight parameters");
    is_int(parse(e2), -1, "one parameter over max_params refused");
    is_int(fail.status, 400, "too many parameters: 400");
    is_str(fail.code, "too_many_parameters", "too many parameters: code");
}

static void test_https(void)
{
    char *e1[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/", "HTTPS=on", NULL };
    char *e2[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/", "HTTPS=ON", NULL };
    char *e3[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/", "HTTPS=1", NULL };
    char *e4[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/", "HTTPS=", NULL };
    char *e5[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/", "HTTPS=off", NULL };

    parse(e1);
    is_int(req.https, 1, "HTTPS=on");
    parse(e2);
    is_int(req.https, 1, "HTTPS=ON");
    parse(e3);
    is_int(req.https, 1, "HTTPS=1");
    parse(e4);
    is_int(req.https, 0, "HTTPS empty");
    parse(e5);
    is_int(req.https, 0, "HTTPS=off");
}

static void test_body_json(void)
{
    char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/api", "CONTENT_TYPE=application/json; charset=utf-8",
                    NULL };
    char *env2[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/api", "CONTENT_TYPE=Application/JSON", NULL };
    char *env3[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/api", "CONTENT_TYPE=application/jsonx", NULL };
    const char *b;

    parse(env);
    is_str(req.content_type, "application/json; charset=utf-8", "content_type from CONTENT_TYPE");
    b = "{\"name\":\"张三\",\"n\":[1,2]}";
    is_int(oak_req_set_body(&req, b, strlen(b), &fail), 0, "JSON body accepted");
    ok(json_is_object(req.json), "JSON body parsed to an object");
    is_str(json_string_value(json_object_get(req.json, "name")), "张三", "JSON string value");
    is_int(json_array_size(json_object_get(req.json, "n")), 2, "JSON array value");
    ok(req.body == b && req.body_len == strlen(b), "body pointer and length kept");

    parse(env);
    b = "{\"a\":1,}";
    is_int(oak_req_set_body(&req, b, strlen(b), &fail), -1, "malformed JSON refused");
    is_int(fail.status, 400, "malformed JSON: 400");
    is_str(fail.code, "malformed_json", "malformed JSON: code");
    is_str(fail.field, "body", "malformed JSON: field body");
    ok(strstr(fail.message, "line 1") != NULL, "malformed JSON: message has the position");
    ok(req.json == NULL, "malformed JSON: no json value");

    parse(env);
    b = "[[[[1]]]]";   /* depth 4 = limit */
    is_int(oak_req_set_body(&req, b, strlen(b), &fail), 0, "JSON at the depth limit accepted");
    parse(env);
    b = "[[[[[1]]]]]";   /* depth 5 */
    is_int(oak_req_set_body(&req, b, strlen(b), &fail), -1, "JSON over the depth limit refused");
    is_int(fail.status, 400, "too deep: 400");
    is_str(fail.code, "json_too_deep", "too deep: json_too_deep");
    ok(strstr(fail.message, "4") != NULL, "too deep: message names the limit");

    parse(env);
    b = "{\"role\":\"user\",\"role\":\"admin\"}";
    is_int(oak_req_set_body(&req, b, strlen(b), &fail), -1, "duplicate keys refused");
    is_str(fail.code, "malformed_json", "duplicate keys: malformed_json");

    parse(env);
    b = "{\"a\":1} {\"b\":2}";
    is_int(oak_req_set_body(&req, b, strlen(b), &fail), -1, "trailing data after JSON refused");

    parse(env);
    b = "\"just a string\"";
    /* jansson without JSON_DECODE_ANY: a body is an object or an array */
    is_int(oak_req_set_body(&req, b, strlen(b), &fail), -1, "bare JSON scalar body refused");
    is_str(fail.code, "malformed_json", "bare JSON scalar: malformed_json");

    parse(env2);
    b = "{}";
    is_int(oak_req_set_body(&req, b, 2, &fail), 0, "content type matched case-insensitively");
    ok(json_is_object(req.json), "Application/JSON parsed as JSON");

    parse(env3);
    b = "not json";
    is_int(oak_req_set_body(&req, b, strlen(b), &fail), 0, "application/jsonx is not JSON");
    ok(req.json == NULL, "application/jsonx left unparsed");

    parse(env);
    is_int(oak_req_set_body(&req, "", 0, &fail), 0, "empty body accepted");
    ok(req.json == NULL, "empty body: no JSON");
    is_int(req.body_len, 0, "empty body length");
}

static void test_body_form(void)
{
    char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/f?q=1",
                    "CONTENT_TYPE=application/x-www-form-urlencoded", NULL };
    char *envq[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/f?a=1&b=2&c=3&d=4&e=5&f=6",
                     "CONTENT_TYPE=application/x-www-form-urlencoded; charset=UTF-8", NULL };
    char *envt[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/f", "CONTENT_TYPE=text/plain", NULL };
    const char *b;

    parse(env);
    b = "user=%E7%8E%8B&note=hello+world&empty=";
    is_int(oak_req_set_body(&req, b, strlen(b), &fail), 0, "form body accepted");
    is_int(req.form.count, 3, "form: three fields");
    is_str(oak_kv_get(&req.form, "user"), "王", "form: decoded UTF-8 value");
    is_str(oak_kv_get(&req.form, "note"), "hello world", "form: '+' is a space");
    is_str(oak_kv_get(&req.form, "empty"), "", "form: empty value");
    is_str(oak_kv_get(&req.query, "q"), "1", "form: query still there");
    ok(req.json == NULL, "form: no JSON");

    parse(env);
    b = "ok=1&bad=%G1";
    is_int(oak_req_set_body(&req, b, strlen(b), &fail), -1, "malformed form refused");
    is_int(fail.status, 400, "malformed form: 400");
    is_str(fail.code, "bad_request", "malformed form: bad_request");
    is_str(fail.field, "bad", "malformed form: field names it");

    /* query (6) + form share max_params (8) */
    parse(envq);
    b = "g=7&h=8";
    is_int(oak_req_set_body(&req, b, strlen(b), &fail), 0, "query+form at max_params accepted");
    parse(envq);
    b = "g=7&h=8&i=9";
    is_int(oak_req_set_body(&req, b, strlen(b), &fail), -1, "query+form over max_params refused");
    is_int(fail.status, 400, "query+form over max_params: 400");
    is_str(fail.code, "too_many_parameters", "query+form over max_params: code");

    parse(envt);
    b = "a=1";
    is_int(oak_req_set_body(&req, b, strlen(b), &fail), 0, "text/plain body accepted as is");
    is_int(req.form.count, 0, "text/plain body not parsed as a form");
    ok(req.json == NULL, "text/plain body not parsed as JSON");
}

static void test_headers_cookies(void)
{
    char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/", "CONTENT_TYPE=text/plain",
                    "CONTENT_LENGTH=0", "HTTP_X_CUSTOM_HEADER=custom value",
                    "HTTP_USER_AGENT=test/1.0", "HTTP_COOKIE=sid=abc123; theme=\"dark\"; junk",
                    NULL };
    char *env2[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/", NULL };
    char longname[200];

    parse(env);
    is_str(oak_req_header(&req, "Content-Type"), "text/plain", "Content-Type from CONTENT_TYPE");
    is_str(oak_req_header(&req, "content-type"), "text/plain", "content-type case-insensitive");
    is_str(oak_req_header(&req, "Content-Length"), "0", "Content-Length from CONTENT_LENGTH");
    is_str(oak_req_header(&req, "X-Custom-Header"), "custom value", "X-Custom-Header -> HTTP_X_CUSTOM_HEADER");
    is_str(oak_req_header(&req, "x-custom-header"), "custom value", "header names case-insensitive");
    is_str(oak_req_header(&req, "User-Agent"), "test/1.0", "User-Agent");
    ok(oak_req_header(&req, "X-Missing") == NULL, "absent header gives NULL");
    memset(longname, 'A', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ok(oak_req_header(&req, longname) == NULL, "over-long header name gives NULL");

    is_str(oak_req_cookie(&req, "sid"), "abc123", "cookie sid");
    is_str(oak_req_cookie(&req, "theme"), "dark", "quoted cookie value unquoted");
    ok(oak_req_cookie(&req, "junk") == NULL, "malformed cookie part ignored");
    ok(oak_req_cookie(&req, "none") == NULL, "absent cookie gives NULL");
    is_int(req.cookies.count, 2, "cookies parsed once, two kept");

    parse(env2);
    ok(oak_req_cookie(&req, "sid") == NULL, "no Cookie header: NULL");
    ok(oak_req_header(&req, "Content-Type") == NULL, "no Content-Type: NULL");
    ok(oak_req_header(&req, "Content-Length") == NULL, "no Content-Length: NULL");
}

static void test_error_envelope(void)
{
    char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/",
                    "REQUEST_ID=00112233445566778899aabbccddeeff", NULL };
    json_t *j, *err, *fields;

    parse(env);
    is_int(oak_resp_error(&req, 404, "not_found", "找不到 (not found)"), 0, "oak_resp_error ok");
    is_int(req.status, 404, "error status");
    is_int(req.responded, 1, "error marks the request answered");
    is_str(req.resp_type, "application/json; charset=utf-8", "error content type");
    j = body_json();
    ok(json_is_object(j), "error body is a JSON object");
    err = json_object_get(j, "error");
    ok(json_is_object(err), "envelope has an error object");
    is_str(json_string_value(json_object_get(err, "code")), "not_found", "error.code");
    is_str(json_string_value(json_object_get(err, "message")), "找不到 (not found)", "error.message (UTF-8)");
    fields = json_object_get(err, "fields");
    ok(json_is_object(fields) && json_object_size(fields) == 0, "error.fields is an empty object");
    is_str(json_string_value(json_object_get(j, "request_id")), "00112233445566778899aabbccddeeff",
           "request_id is the request's id");
    is_int(json_object_size(j), 2, "envelope has exactly error and request_id");
    ok(body.len && memmem(body.data, body.len, "找不到", strlen("找不到")) != NULL,
       "UTF-8 kept unescaped in the body");
    json_decref(j);

    parse(env);
    is_int(oak_resp_error_field(&req, "email", "格式无效 (invalid email)"), 0, "error field added");
    is_int(oak_resp_error_field(&req, "age", "too young"), 0, "second error field added");
    is_int(oak_resp_error(&req, 422, "validation_failed", "invalid input"), 0, "error with fields");
    j = body_json();
    err = json_object_get(j, "error");
    fields = json_object_get(err, "fields");
    is_int(json_object_size(fields), 2, "error.fields has two entries");
    is_str(json_string_value(json_object_get(fields, "email")), "格式无效 (invalid email)", "fields.email");
    is_str(json_string_value(json_object_get(fields, "age")), "too young", "fields.age");
    is_str(json_string_value(json_object_get(err, "code")), "validation_failed", "code with fields");
    is_int(req.status, 422, "422 status");
    json_decref(j);

    parse(env);
    oak_resp_error(&req, 200, "weird", "not an error status");
    is_int(req.status, 500, "non-error status becomes 500");
    oak_resp_error(&req, 600, "weird", "out of range");
    is_int(req.status, 500, "status 600 becomes 500");
    oak_resp_error(&req, 503, "unavailable", "later");
    is_int(req.status, 503, "a later response replaces an earlier one");
    j = body_json();
    is_str(json_string_value(json_object_get(json_object_get(j, "error"), "code")), "unavailable",
           "replaced body has the new code");
    json_decref(j);

    /* the request's failure as the worker would answer it */
    char *bad[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/", "CONTENT_LENGTH=5000", NULL };

    ok(parse(bad) < 0, "oversized request refused");
    oak_resp_error(&req, fail.status, fail.code, fail.message);
    j = body_json();
    is_str(json_string_value(json_object_get(json_object_get(j, "error"), "code")), "payload_too_large",
           "413 envelope code");
    is_str(json_string_value(json_object_get(j, "request_id")), GEN_ID, "413 envelope carries the generated id");
    json_decref(j);
}

static void test_resp_header(void)
{
    char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/", NULL };

    parse(env);
    is_int(oak_resp_header(&req, "X-Frame-Options", "DENY"), 0, "plain header accepted");
    is_int(oak_resp_header(&req, "Set-Cookie", "a=1; HttpOnly"), 0, "Set-Cookie accepted");
    is_int(oak_resp_header(&req, "X-Evil", "a\r\nSet-Cookie: x=1"), -1, "CRLF in value refused");
    is_int(oak_resp_header(&req, "X-Evil", "a\nb"), -1, "LF in value refused");
    is_int(oak_resp_header(&req, "X-Evil", "a\rb"), -1, "CR in value refused");
    is_int(oak_resp_header(&req, "X-Evil\r\nA", "b"), -1, "CRLF in name refused");
    is_int(oak_resp_header(&req, "Bad Name", "b"), -1, "space in name refused");
    is_int(oak_resp_header(&req, "Bad:Name", "b"), -1, "colon in name refused");
    is_int(oak_resp_header(&req, "", "b"), -1, "empty name refused");
    is_int(oak_resp_header(&req, "Status", "200 OK"), -1, "Status refused");
    is_int(oak_resp_header(&req, "status", "200 OK"), -1, "status (lower case) refused");
    is_int(oak_resp_header(&req, "Content-Length", "5"), -1, "Content-Length refused");
    is_int(oak_resp_header(&req, "CONTENT-LENGTH", "5"), -1, "CONTENT-LENGTH refused");
    is_int(oak_resp_header(&req, "Content-Type", "text/html"), -1, "Content-Type refused (set by the response)");
    ok(hdrs.len > 0 && memmem(hdrs.data, hdrs.len, "X-Frame-Options: DENY\r\n", 23) != NULL,
       "accepted header recorded");
    ok(memmem(hdrs.data, hdrs.len, "Evil", 4) == NULL, "refused headers not recorded");
    ok(memmem(hdrs.data, hdrs.len, "Status", 6) == NULL, "refused Status not recorded");
}

static void test_serialize(void)
{
    char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/",
                    "REQUEST_ID=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL };
    char *henv[] = { "REQUEST_METHOD=HEAD", "REQUEST_URI=/", NULL };
    const char *s, *blank;

    parse(env);
    oak_resp_header(&req, "X-Test", "yes");
    is_int(oak_resp_raw(&req, 200, "text/plain; charset=utf-8", "hello", 5), 0, "raw response set");
    is_int(oak_resp_serialize(&req, &out), 0, "serialize ok");
    s = serialized();
    ok(strncmp(s, "Status: 200 OK\r\n", 16) == 0, "starts with the Status line");
    ok(strstr(s, "\r\nContent-Type: text/plain; charset=utf-8\r\n") != NULL, "Content-Type line");
    ok(strstr(s, "\r\nContent-Length: 5\r\n") != NULL, "Content-Length line");
    ok(strstr(s, "\r\nX-Request-Id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n") != NULL, "X-Request-Id line");
    ok(strstr(s, "\r\nX-Test: yes\r\n") != NULL, "custom header included");
    blank = strstr(s, "\r\n\r\n");
    ok(blank != NULL, "blank line ends the headers");
    is_str(blank ? blank + 4 : NULL, "hello", "body follows the blank line");
    ok(blank && crlf_only(s, (size_t)(blank - s) + 4), "every header line ends in CRLF");

    parse(env);
    oak_resp_json(&req, 201, json_pack("{s:s}", "名", "值"));
    oak_resp_serialize(&req, &out);
    s = serialized();
    ok(strncmp(s, "Status: 201 Created\r\n", 21) == 0, "201 Created status line");
    ok(strstr(s, "Content-Type: application/json; charset=utf-8\r\n") != NULL, "JSON content type");
    {
        char want[64];

        snprintf(want, sizeof want, "Content-Length: %zu\r\n", strlen("{\"名\":\"值\"}"));
        ok(strstr(s, want) != NULL, "Content-Length counts UTF-8 bytes");
    }
    blank = strstr(s, "\r\n\r\n");
    is_str(blank ? blank + 4 : NULL, "{\"名\":\"值\"}", "JSON body, UTF-8 unescaped");

    /* HEAD: keeps Content-Length, omits the body */
    parse(henv);
    oak_resp_raw(&req, 200, "text/plain", "0123456789", 10);
    oak_resp_serialize(&req, &out);
    s = serialized();
    ok(strstr(s, "Content-Length: 10\r\n") != NULL, "HEAD keeps Content-Length");
    blank = strstr(s, "\r\n\r\n");
    ok(blank && blank[4] == '\0', "HEAD has no body");
    is_int(out.len, blank ? (long)(blank + 4 - s) : -1, "HEAD output ends after the blank line");

    /* 204: no body, no Content-Length */
    parse(env);
    oak_resp_raw(&req, 204, NULL, "", 0);
    oak_resp_serialize(&req, &out);
    s = serialized();
    ok(strncmp(s, "Status: 204 No Content\r\n", 24) == 0, "204 status line");
    ok(strstr(s, "Content-Length") == NULL, "204 has no Content-Length");
    ok(strstr(s, "X-Request-Id: ") != NULL, "204 still has X-Request-Id");
    blank = strstr(s, "\r\n\r\n");
    ok(blank && blank[4] == '\0', "204 has no body");

    /* 204 with a body set by mistake still sends none */
    parse(env);
    oak_resp_raw(&req, 204, NULL, "oops", 4);
    oak_resp_serialize(&req, &out);
    s = serialized();
    blank = strstr(s, "\r\n\r\n");
    ok(blank && blank[4] == '\0', "204 with a stray body sends none");

    /* error response serialisation */
    parse(env);
    oak_resp_error(&req, 405, "method_not_allowed", "no");
    oak_resp_header(&req, "Allow", "GET, HEAD");
    oak_resp_serialize(&req, &out);
    s = serialized();
    ok(strncmp(s, "Status: 405 Method Not Allowed\r\n", 32) == 0, "405 status line");
    ok(strstr(s, "\r\nAllow: GET, HEAD\r\n") != NULL, "Allow header serialised");
    {
        char want[64];

        snprintf(want, sizeof want, "Content-Length: %zu\r\n", body.len);
        ok(strstr(s, want) != NULL, "error Content-Length matches the body");
    }

    /* unknown status text */
    parse(env);
    oak_resp_raw(&req, 299, "text/plain", "x", 1);
    oak_resp_serialize(&req, &out);
    ok(strncmp(serialized(), "Status: 299 Unknown\r\n", 21) == 0, "unknown status code gets a reason");
    is_str(oak_status_text(413), "Payload Too Large", "status text 413");
    is_str(oak_status_text(404), "Not Found", "status text 404");

    /* a second serialize replaces the first */
    parse(env);
    oak_resp_raw(&req, 200, "text/plain", "ab", 2);
    oak_resp_serialize(&req, &out);
    oak_resp_serialize(&req, &out);
    s = serialized();
    ok(strstr(s + 1, "Status:") == NULL, "serialize resets the output buffer");
}

/* The answer is rendered into req->resp_out when it is set, so that
 * sending it later (after a commit) needs no memory. */
static void test_render(void)
{
    char *env[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/x",
                    "REQUEST_ID=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", NULL };
    struct oak_buf rout = OAK_BUF_INIT, other = OAK_BUF_INIT;
    const char *sent;
    size_t n = 0;

    parse(env);
    req.resp_out = &rout;
    oak_resp_header(&req, "X-Before", "1");
    is_int(oak_resp_json(&req, 201, json_pack("{s:s}", "number", "D1")), 0, "answer set");
    ok(req.resp_ready && rout.len > 0, "and rendered at once into resp_out");
    ok(rout.data && strncmp(rout.data, "Status: 201 Created\r\n", 21) == 0 &&
       strstr(rout.data, "\r\nX-Before: 1\r\n") && strstr(rout.data, "\r\n\r\n{\"number\":\"D1\"}"),
       "with its status line, the headers set before it and its body");
    sent = oak_resp_output(&req, &rout, &n);
    ok(sent == rout.data && n == rout.len, "sending it uses that rendering (nothing is serialised again)");

    /* a header set after the answer: rendered again at send time */
    oak_resp_header(&req, "X-After", "2");
    ok(!req.resp_ready, "a header after the answer makes it render again");
    sent = oak_resp_output(&req, &rout, &n);
    ok(sent == rout.data && strstr(sent, "\r\nX-After: 2\r\n") != NULL, "at send time, with the header");

    /* a failed answer leaves none, never the one it replaced */
    is_int(oak_resp_json(&req, 200, NULL), -1, "an answer that cannot be built fails");
    ok(req.status == 0 && !req.responded && !req.resp_ready && body.len == 0,
       "and leaves no answer (not the 201 it was replacing)");
    sent = oak_resp_output(&req, &rout, &n);
    ok(strncmp(sent, "Status: 500 Internal Server Error\r\n", 35) == 0 && req.status == 500,
       "no answer: the static 500 is sent");
    ok(strstr(sent, "\r\nX-Request-Id: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n") &&
       strstr(sent, "\"code\":\"internal_error\"") &&
       strstr(sent, "\"request_id\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"") && n == strlen(sent),
       "with the request id and the error envelope");
    {
        const char *b = strstr(sent, "\r\n\r\n");
        json_t *j = b ? json_loads(b + 4, 0, NULL) : NULL;

        ok(j && json_is_object(json_object_get(j, "error")), "whose body is JSON");
        json_decref(j);
    }

    /* an error envelope replaces an earlier answer, rendered too */
    parse(env);
    req.resp_out = &rout;
    oak_resp_raw(&req, 200, "text/plain", "ok", 2);
    is_int(oak_resp_error(&req, 503, "service_unavailable", "down"), 0, "an error replaces the answer");
    ok(req.resp_ready && strncmp(rout.data, "Status: 503 Service Unavailable\r\n", 33) == 0,
       "rendered as the 503");

    /* without resp_out (tests, fuzzing): serialised at send time */
    parse(env);
    oak_resp_raw(&req, 200, "text/plain", "hi", 2);
    ok(!req.resp_ready, "no resp_out: nothing rendered early");
    sent = oak_resp_output(&req, &other, &n);
    ok(sent == other.data && strncmp(sent, "Status: 200 OK\r\n", 16) == 0, "serialised when sent");

    /* a request with no answer at all */
    parse(env);
    sent = oak_resp_output(&req, &other, &n);
    ok(strncmp(sent, "Status: 500 ", 12) == 0, "a request never answered gets the static 500");

    req.resp_out = NULL;
    oak_buf_free(&rout);
    oak_buf_free(&other);
}

int main(void)
{
    oak_arena_init(&arena, 0);
    oak_req_reset(&req, &arena, &hdrs, &body, &limits);

    test_basic_params();
    test_paths();
    test_request_id();
    test_methods();
    test_content_length();
    test_param_limits();
    test_https();
    test_body_json();
    test_body_form();
    test_headers_cookies();
    test_error_envelope();
    test_resp_header();
    test_serialize();
    test_render();

    oak_req_release(&req);
    oak_arena_free(&arena);
    oak_buf_free(&hdrs);
    oak_buf_free(&body);
    oak_buf_free(&out);
    return done_testing();
}
