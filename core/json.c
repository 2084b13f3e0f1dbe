/*
 * json.c - bounded JSON parsing and the error envelope (see json.h).
 */
#include "json.h"
#include "buf.h"
#include "urlencode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jansson reports an allocation that failed inside the parser as a syntax
 * error, or not at all (the lexer's saved text is cut short silently), so
 * a body read while memory ran out could be answered 400 or even 422 on
 * damaged data. Its allocator notes every failure; a parse that saw one is
 * answered 500. Plain malloc/free underneath, so setting it is harmless
 * whenever it happens. */
static _Thread_local int parse_oom, request_oom;

static void *json_alloc(size_t n)
{
    void *p = malloc(n);

    if (!p)
        parse_oom = request_oom = 1;
    return p;
}

int oak_json_oom_seen(void)
{
    return request_oom;
}

int oak_json_take_oom(void)
{
    int was = request_oom;

    request_oom = 0;
    return was;
}

void oak_json_init(void)
{
    json_set_alloc_funcs(json_alloc, free);
}

int oak_json_depth(const char *s, size_t len)
{
    int depth = 0, max = 0, in_str = 0;

    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c == '"')
            in_str = 1;
        else if (c == '[' || c == '{') {
            if (++depth > max)
                max = depth;
        } else if (c == ']' || c == '}')
            depth--;
    }
    return max;
}

json_t *oak_json_parse_body(const char *s, size_t len, int max_depth, int *fail,
                            char *why, size_t whylen)
{
    json_error_t je;
    json_t *v;

    if (oak_json_depth(s, len) > max_depth) {
        *fail = OAK_JSON_TOO_DEEP;
        snprintf(why, whylen, "JSON nested deeper than %d levels", max_depth);
        return NULL;
    }
    /* JSON_REJECT_DUPLICATES: a duplicated key could let two readers of
     * the same body see different values */
    parse_oom = 0;
    v = json_loadb(s, len, JSON_REJECT_DUPLICATES, &je);
    if (parse_oom) {
        json_decref(v);
        *fail = OAK_JSON_NOMEM;
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    if (!v) {
        char text[sizeof je.text];

        *fail = OAK_JSON_SYNTAX;
        /* jansson quotes the offending bytes ("invalid token near '...'"),
         * which need not be UTF-8; the reason goes into the JSON envelope */
        oak_utf8_safe_copy(text, sizeof text, je.text, strnlen(je.text, sizeof je.text));
        snprintf(why, whylen, "%s at line %d column %d", text, je.line, je.column);
    }
    return v;
}

json_t *oak_json_envelope(const char *code, const char *message, json_t *fields,
                          const char *request_id)
{
    json_t *err = json_object(), *env = json_object();

    if (!err || !env) {
        json_decref(err);
        json_decref(env);
        return NULL;
    }
    json_object_set_new(err, "code", json_string(code));
    json_object_set_new(err, "message", json_string(message));
    json_object_set_new(err, "fields", fields ? json_incref(fields) : json_object());
    json_object_set_new(env, "error", err);
    json_object_set_new(env, "request_id", json_string(request_id ? request_id : ""));
    return env;
}

char *oak_json_dump(const json_t *v)
{
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static int append_cb(const char *p, size_t n, void *b)
{
    return oak_buf_append(b, p, n);
}

int oak_json_dump_buf(const json_t *v, struct oak_buf *b)
{
    return json_dump_callback(v, append_cb, b, JSON_COMPACT | JSON_ENCODE_ANY) == 0 ? 0 : -1;
}
