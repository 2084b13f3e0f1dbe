/*
 * fuzz_json.c - JSON request bodies under the depth limit (core/json.c).
 *
 * Input: one byte for the depth limit (0..15), then the body. Properties:
 * a parsed body is never deeper than the limit; a refusal says why, in
 * UTF-8 (the reason goes into the error envelope); the envelope built from
 * it and the parsed value both serialise.
 */
#include "fuzz.h"
#include "json.h"
#include "urlencode.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[200];
    int fail = 0, max_depth;
    json_t *v, *env;
    char *s;

    if (size < 1)
        return 0;
    max_depth = data[0] & 15;
    why[0] = '\0';
    v = oak_json_parse_body((const char *)data + 1, size - 1, max_depth, &fail, why, sizeof why);
    if (v) {
        FUZZ_CHECK(fuzz_json_depth(v) <= max_depth);
        FUZZ_CHECK(oak_json_depth((const char *)data + 1, size - 1) <= max_depth);
        s = oak_json_dump(v);
        FUZZ_CHECK(s != NULL);
        free(s);
        json_decref(v);
        return 0;
    }
    FUZZ_CHECK(fail == OAK_JSON_SYNTAX || fail == OAK_JSON_TOO_DEEP || fail == OAK_JSON_NOMEM);
    FUZZ_CHECK(why[0] != '\0');
    FUZZ_CHECK(oak_utf8_valid(why, strlen(why)));
    env = oak_json_envelope("malformed_json", why, NULL, "0123456789abcdef0123456789abcdef");
    FUZZ_CHECK(env != NULL);
    FUZZ_CHECK(json_is_string(json_object_get(json_object_get(env, "error"), "message")));
    s = oak_json_dump(env);
    FUZZ_CHECK(s != NULL);
    free(s);
    json_decref(env);
    return 0;
}
