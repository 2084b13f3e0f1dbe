/*
 * json.c - bounded JSON parsing and the error envelope (see json.h).
 */
#include "json.h"

#include <stdio.h>
#include <string.h>

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
    v = json_loadb(s, len, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        *fail = OAK_JSON_SYNTAX;
        snprintf(why, whylen, "%s at line %d column %d", je.text, je.line, je.column);
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
