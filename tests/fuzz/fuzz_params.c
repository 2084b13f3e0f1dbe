/*
 * fuzz_params.c - the FastCGI params -> request parser and the body
 * parsers behind it (core/http.c), as the worker drives them.
 *
 * Input: "NAME=value" params, one a line, then an empty line, then the
 * body. Properties: a request either parses into UTF-8 path, query and
 * form values within the limits, or fails with a 4xx/5xx whose message and
 * field are UTF-8 (they go into the JSON error envelope); the response
 * always serialises, with the envelope's message present.
 */
#include "fuzz.h"
#include "arena.h"
#include "http.h"
#include "json.h"

#include <string.h>

#define MAX_ENV 64

static void check_kv(const struct oak_kvlist *l)
{
    for (int i = 0; i < l->count; i++) {
        FUZZ_CHECK(oak_utf8_valid(l->items[i].name, strlen(l->items[i].name)));
        FUZZ_CHECK(oak_utf8_valid(l->items[i].value, strlen(l->items[i].value)));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct oak_buf headers = OAK_BUF_INIT, body = OAK_BUF_INIT, out = OAK_BUF_INIT;
    struct oak_arena *arena = fuzz_arena();
    const struct oak_limits lim = { 4096, 16, 8 };
    char *copy = fuzz_strdup(data, size), *env[MAX_ENV + 1], *rest, *s;
    size_t rest_len = 0;
    struct oak_req req;
    struct oak_http_fail fail;
    int n = 0, rc;

    if (!copy)
        return 0;
    rest = strstr(copy, "\n\n");
    if (rest) {
        *rest = '\0';
        rest += 2;
        rest_len = size - (size_t)(rest - copy);
    }
    for (s = copy; s && *s && n < MAX_ENV;) {
        char *nl = strchr(s, '\n');

        if (nl)
            *nl = '\0';
        if (*s)
            env[n++] = s;
        s = nl ? nl + 1 : NULL;
    }
    env[n] = NULL;

    oak_req_reset(&req, arena, &headers, &body, &lim);
    memset(&fail, 0, sizeof fail);
    rc = oak_req_parse_params(&req, env, "0123456789abcdef0123456789abcdef", &fail);
    if (rc == 0) {
        FUZZ_CHECK(req.method && req.path && req.raw_path && req.query_string);
        FUZZ_CHECK(req.path[0] == '/' && oak_utf8_valid(req.path, strlen(req.path)));
        FUZZ_CHECK(req.query.count <= lim.max_params);
        FUZZ_CHECK(req.content_length <= lim.max_body);
        FUZZ_CHECK(strlen(req.id) == 32);
        check_kv(&req.query);
        if (req.content_length > 0 && rest && (size_t)req.content_length <= rest_len) {
            /* the worker hands over exactly CONTENT_LENGTH bytes, NUL after */
            rest[req.content_length] = '\0';
            rc = oak_req_set_body(&req, rest, (size_t)req.content_length, &fail);
            if (rc == 0) {
                FUZZ_CHECK(req.query.count + req.form.count <= lim.max_params);
                check_kv(&req.form);
                if (req.json)
                    FUZZ_CHECK(fuzz_json_depth(req.json) <= lim.max_json_depth);
            }
        }
        (void)oak_req_header(&req, "Content-Type");
        (void)oak_req_header(&req, "X-Requested-With");
        (void)oak_req_cookie(&req, "oak_session");
        (void)oak_req_cookie(&req, "oak_csrf");
    }
    if (rc != 0) {
        FUZZ_CHECK(fail.status >= 400 && fail.status <= 599 && fail.code);
        FUZZ_CHECK(oak_utf8_valid(fail.message, strlen(fail.message)));
        FUZZ_CHECK(oak_utf8_valid(fail.field, strlen(fail.field)));
        /* as the worker's fail_response */
        if (fail.field[0])
            FUZZ_CHECK(oak_resp_error_field(&req, fail.field, fail.message) == 0);
        FUZZ_CHECK(oak_resp_error(&req, fail.status, fail.code, fail.message) == 0);
        FUZZ_CHECK(req.resp_body->len && memmem(req.resp_body->data, req.resp_body->len,
                                                "\"message\":", 10));
    } else {
        FUZZ_CHECK(oak_resp_json(&req, 200, json_object()) == 0);
    }
    FUZZ_CHECK(oak_resp_serialize(&req, &out) == 0);
    oak_req_release(&req);
    oak_arena_reset(arena);
    free(copy);
    return 0;
}
