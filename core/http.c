/*
 * http.c - request parsing from FastCGI params and response assembly
 * (see http.h). Error messages are Chinese first, English after.
 */
#include "http.h"
#include "arena.h"
#include "json.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void oak_req_reset(struct oak_req *req, struct oak_arena *a, struct oak_buf *headers,
                   struct oak_buf *body, const struct oak_limits *lim)
{
    memset(req, 0, sizeof *req);
    req->arena = a;
    req->limits = lim;
    req->resp_headers = headers;
    req->resp_body = body;
    req->content_length = -1;
    oak_buf_reset(headers);
    oak_buf_reset(body);
}

void oak_req_release(struct oak_req *req)
{
    json_decref(req->json);
    req->json = NULL;
    json_decref(req->err_fields);
    req->err_fields = NULL;
}

const char *oak_env_get(char **env, const char *name)
{
    size_t n = strlen(name);

    for (char **e = env; e && *e; e++)
        if (**e == *name && strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

static void fail_set(struct oak_http_fail *f, int status, const char *code,
                     const char *field, const char *msg)
{
    f->status = status;
    f->code = code;
    snprintf(f->message, sizeof f->message, "%s", msg);
    snprintf(f->field, sizeof f->field, "%s", field ? field : "");
}

static int is_hex32(const char *s)
{
    if (!s || strlen(s) != 32)
        return 0;
    for (int i = 0; i < 32; i++)
        if (!isxdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

int oak_req_parse_params(struct oak_req *req, char **env, const char *gen_id,
                         struct oak_http_fail *fail)
{
    const char *uri, *q, *cl, *rid, *https;
    char bad[64];
    int rc;

    req->env = env;
    rid = oak_env_get(env, "REQUEST_ID");
    {
        const char *id = is_hex32(rid) ? rid : gen_id;
        size_t n = strnlen(id, sizeof req->id - 1);

        memcpy(req->id, id, n);
        req->id[n] = '\0';
    }

    req->method = oak_env_get(env, "REQUEST_METHOD");
    if (!req->method || !*req->method || strlen(req->method) > 16) {
        fail_set(fail, 400, "bad_request", NULL, "请求方法无效 (bad request method)");
        return -1;
    }
    for (const char *m = req->method; *m; m++)
        if (!isupper((unsigned char)*m)) {
            fail_set(fail, 400, "bad_request", NULL, "请求方法无效 (bad request method)");
            return -1;
        }
    req->is_head = strcmp(req->method, "HEAD") == 0;

    /* REQUEST_URI is the raw target; we route on it ourselves instead of
     * trusting any split nginx might make */
    uri = oak_env_get(env, "REQUEST_URI");
    if (!uri)
        uri = oak_env_get(env, "DOCUMENT_URI");
    if (!uri)
        uri = oak_env_get(env, "SCRIPT_NAME");
    if (!uri || uri[0] != '/') {
        fail_set(fail, 400, "bad_request", NULL, "请求路径无效 (bad request path)");
        return -1;
    }
    q = strchr(uri, '?');
    req->raw_path = q ? oak_arena_strndup(req->arena, uri, (size_t)(q - uri))
                      : oak_arena_strdup(req->arena, uri);
    req->query_string = q ? q + 1 : "";
    if (!req->raw_path)
        goto nomem;
    {
        size_t n = strlen(req->raw_path);
        char *p = oak_arena_alloc(req->arena, n + 1);

        if (!p)
            goto nomem;
        if (oak_url_decode(p, req->raw_path, n, 0) < 0) {
            fail_set(fail, 400, "bad_request", NULL, "请求路径编码无效 (malformed path encoding)");
            return -1;
        }
        req->path = p;
    }

    rc = oak_parse_urlencoded(req->arena, req->query_string, strlen(req->query_string),
                              req->limits->max_params, &req->query, bad, sizeof bad);
    if (rc == -1) {
        fail_set(fail, 400, "bad_request", bad, "查询参数编码无效 (malformed query parameter)");
        return -1;
    }
    if (rc == -2) {
        fail_set(fail, 400, "too_many_parameters", NULL, "参数过多 (too many parameters)");
        return -1;
    }
    if (rc < 0)
        goto nomem;

    req->content_type = oak_env_get(env, "CONTENT_TYPE");
    req->remote_addr = oak_env_get(env, "REMOTE_ADDR");
    https = oak_env_get(env, "HTTPS");
    req->https = https && (strcasecmp(https, "on") == 0 || strcmp(https, "1") == 0);
    cl = oak_env_get(env, "CONTENT_LENGTH");
    if (cl && *cl) {
        char *end;
        long v;

        errno = 0;
        v = strtol(cl, &end, 10);
        if (errno || *end || v < 0 || !isdigit((unsigned char)cl[0])) {
            fail_set(fail, 400, "bad_request", NULL, "Content-Length 无效 (bad Content-Length)");
            return -1;
        }
        req->content_length = v;
        if (v > req->limits->max_body) {
            char msg[128];

            snprintf(msg, sizeof msg, "请求体过大，上限 %ld 字节 (body larger than %ld bytes)",
                     req->limits->max_body, req->limits->max_body);
            fail_set(fail, 413, "payload_too_large", NULL, msg);
            return -1;
        }
    }
    return 0;
nomem:
    fail_set(fail, 500, "internal_error", NULL, "服务器内部错误 (out of memory)");
    return -1;
}

static int type_is(const char *ct, const char *want)
{
    size_t n = strlen(want);

    if (!ct || strncasecmp(ct, want, n) != 0)
        return 0;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

int oak_req_set_body(struct oak_req *req, const char *body, size_t len,
                     struct oak_http_fail *fail)
{
    req->body = body;
    req->body_len = len;
    if (len == 0)
        return 0;
    if (type_is(req->content_type, "application/json")) {
        char why[200], msg[256];
        int f = 0;

        req->json = oak_json_parse_body(body, len, req->limits->max_json_depth, &f, why, sizeof why);
        if (!req->json) {
            if (f == OAK_JSON_NOMEM) {
                fail_set(fail, 500, "internal_error", NULL, "服务器内部错误 (out of memory)");
                return -1;
            }
            if (f == OAK_JSON_TOO_DEEP)
                snprintf(msg, sizeof msg, "JSON 嵌套过深 (%s)", why);
            else
                snprintf(msg, sizeof msg, "JSON 格式错误 (malformed JSON: %s)", why);
            fail_set(fail, 400, f == OAK_JSON_TOO_DEEP ? "json_too_deep" : "malformed_json",
                     "body", msg);
            return -1;
        }
    } else if (type_is(req->content_type, "application/x-www-form-urlencoded")) {
        char bad[64];
        int rc = oak_parse_urlencoded(req->arena, body, len,
                                      req->limits->max_params - req->query.count,
                                      &req->form, bad, sizeof bad);

        if (rc == -1) {
            fail_set(fail, 400, "bad_request", bad, "表单编码无效 (malformed form field)");
            return -1;
        }
        if (rc == -2) {
            fail_set(fail, 400, "too_many_parameters", NULL, "参数过多 (too many parameters)");
            return -1;
        }
        if (rc < 0) {
            fail_set(fail, 500, "internal_error", NULL, "服务器内部错误 (out of memory)");
            return -1;
        }
    }
    return 0;
}

const char *oak_req_header(struct oak_req *req, const char *name)
{
    char key[128] = "HTTP_";
    size_t n = strlen(name);

    if (strcasecmp(name, "Content-Type") == 0)
        return req->content_type;
    if (strcasecmp(name, "Content-Length") == 0)
        return oak_env_get(req->env, "CONTENT_LENGTH");
    if (n + 6 > sizeof key)
        return NULL;
    for (size_t i = 0; i < n; i++)
        key[5 + i] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
    key[5 + n] = '\0';
    return oak_env_get(req->env, key);
}

const char *oak_req_cookie(struct oak_req *req, const char *name)
{
    if (!req->cookies_parsed) {
        const char *h = oak_env_get(req->env, "HTTP_COOKIE");

        req->cookies_parsed = 1;
        if (h && oak_parse_cookies(req->arena, h, 64, &req->cookies) < 0)
            return NULL;
    }
    return oak_kv_get(&req->cookies, name);
}

/* No answer: what a failed attempt to answer leaves, never the answer it
 * was replacing (the worker sends its static 500 for it). */
static void no_answer(struct oak_req *req)
{
    oak_buf_reset(req->resp_body);
    req->status = 0;
    req->resp_type = NULL;
    req->responded = 0;
    req->resp_ready = 0;
}

/* Render the whole response into req->resp_out now: from here on sending
 * it needs no memory, so nothing can fail after a handler's commit. */
static int render(struct oak_req *req)
{
    req->resp_ready = 0;
    if (!req->resp_out)
        return 0;
    if (oak_resp_serialize(req, req->resp_out) < 0)
        return -1;
    req->resp_ready = 1;
    return 0;
}

/* The answer STATUS of TYPE, its body already in req->resp_body. */
static int answered(struct oak_req *req, int status, const char *type)
{
    req->status = status;
    req->resp_type = type;
    req->responded = 1;
    if (render(req) < 0) {
        no_answer(req);
        return -1;
    }
    return 0;
}

int oak_resp_raw(struct oak_req *req, int status, const char *type, const void *p, size_t n)
{
    no_answer(req);
    if (oak_buf_append(req->resp_body, p, n) < 0)
        return -1;
    return answered(req, status, type);
}

int oak_resp_json(struct oak_req *req, int status, json_t *body)
{
    int rc;

    no_answer(req);
    if (!body)
        return -1;
    rc = oak_json_dump_buf(body, req->resp_body);
    json_decref(body);
    if (rc < 0) {
        no_answer(req);
        return -1;
    }
    return answered(req, status, "application/json; charset=utf-8");
}

int oak_resp_error_field(struct oak_req *req, const char *field, const char *message)
{
    json_t *m;

    if (!req->err_fields && !(req->err_fields = json_object()))
        return -1;
    m = json_string(message);
    if (!m)
        m = json_string("无效 (invalid)");
    return json_object_set_new(req->err_fields, field, m);
}

int oak_resp_error(struct oak_req *req, int status, const char *code, const char *message)
{
    json_t *env;

    if (status < 400 || status > 599)
        status = 500;
    env = oak_json_envelope(code, message, req->err_fields, req->id);
    return oak_resp_json(req, status, env);
}

static int header_token_ok(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_'))
            return 0;
    return 1;
}

int oak_resp_header(struct oak_req *req, const char *name, const char *value)
{
    if (!header_token_ok(name) || strpbrk(value, "\r\n") ||
        strcasecmp(name, "Status") == 0 || strcasecmp(name, "Content-Length") == 0 ||
        strcasecmp(name, "Content-Type") == 0)
        return -1;
    /* an answer rendered already is rendered again, with it, at send time */
    req->resp_ready = 0;
    return oak_buf_printf(req->resp_headers, "%s: %s\r\n", name, value);
}

const char *oak_status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default:  return "Unknown";
    }
}

/* Whether the handler set header NAME (lines "Name: value\r\n"). */
static int has_header(const struct oak_buf *h, const char *name)
{
    size_t n = strlen(name);

    if (!h->data)                /* nothing appended yet (NULL + 0 is undefined) */
        return 0;
    for (const char *p = h->data, *end = h->data + h->len; p && p < end;) {
        if ((size_t)(end - p) > n && p[n] == ':' && strncasecmp(p, name, n) == 0)
            return 1;
        p = memchr(p, '\n', (size_t)(end - p));
        p = p ? p + 1 : NULL;
    }
    return 0;
}

int oak_resp_serialize(struct oak_req *req, struct oak_buf *out)
{
    int no_body = req->status == 204 || req->status == 304;
    /* personal data must not sit in caches, unless a handler says otherwise */
    const char *cache = has_header(req->resp_headers, "Cache-Control") ? "" : "Cache-Control: no-store\r\n";

    oak_buf_reset(out);
    if (oak_buf_puts(out, "Status: ") < 0 || oak_buf_putu(out, (unsigned)req->status) < 0 ||
        oak_buf_puts(out, " ") < 0 || oak_buf_puts(out, oak_status_text(req->status)) < 0 ||
        oak_buf_puts(out, "\r\n") < 0)
        return -1;
    if (!no_body &&
        (oak_buf_puts(out, "Content-Type: ") < 0 ||
         oak_buf_puts(out, req->resp_type ? req->resp_type : "application/json; charset=utf-8") < 0 ||
         oak_buf_puts(out, "\r\nContent-Length: ") < 0 || oak_buf_putu(out, req->resp_body->len) < 0 ||
         oak_buf_puts(out, "\r\n") < 0))
        return -1;
    if (oak_buf_puts(out, "X-Request-Id: ") < 0 || oak_buf_puts(out, req->id) < 0 ||
        oak_buf_puts(out, "\r\n") < 0 || oak_buf_puts(out, cache) < 0 ||
        oak_buf_append(out, req->resp_headers->data ? req->resp_headers->data : "",
                       req->resp_headers->len) < 0 ||
        oak_buf_append(out, "\r\n", 2) < 0)
        return -1;
    if (!req->is_head && !no_body)
        return oak_buf_append(out, req->resp_body->data ? req->resp_body->data : "",
                              req->resp_body->len);
    return 0;
}

const char *oak_resp_output(struct oak_req *req, struct oak_buf *out, size_t *len)
{
    /* no allocation: the fallback for when there is no memory left */
    static _Thread_local char fallback[512];
    static const char fmt[] = "Status: 500 Internal Server Error\r\n"
                              "Content-Type: application/json; charset=utf-8\r\n"
                              "X-Request-Id: %s\r\nCache-Control: no-store\r\n\r\n"
                              "{\"error\":{\"code\":\"internal_error\",\"message\":"
                              "\"服务器内部错误 (internal error)\",\"fields\":{}},\"request_id\":\"%s\"}";
    int n;

    if (req->resp_ready && req->resp_out == out && out->data) {
        *len = out->len;
        return out->data;
    }
    req->resp_ready = 0;
    if (req->status >= 100 && oak_resp_serialize(req, out) == 0) {
        *len = out->len;
        return out->data;
    }
    req->status = 500;
    n = snprintf(fallback, sizeof fallback, fmt, req->id, req->id);
    *len = n > 0 && (size_t)n < sizeof fallback ? (size_t)n : strlen(fallback);
    return fallback;
}
