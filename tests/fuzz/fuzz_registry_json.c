/*
 * fuzz_registry_json.c - the registry plugin's own JSON reader
 * (plugins/registry/wills.c), which opens the sealed will documents: the
 * host can write JSON for a plugin but not parse it, so the plugin reads
 * back its json_dump output itself.
 *
 * Input: the text (up to its first NUL). Properties: no memory error or
 * leak on any input; a value read is at most 16 containers deep and
 * serialises, and its serialisation reads back as the same value (the
 * documents are json_dump output); and what jansson reads as a strict
 * document of the kind we write (no reals, no "\u0000", at most 16 deep)
 * the reader reads too, as the same value.
 */
#include "fuzz.h"
#include "internal.h"
#include "json.h"
#include "plugins.h"

#include <string.h>

/* 1 when V holds a real anywhere. */
static int has_real(const json_t *v)
{
    const char *k;
    json_t *x;
    size_t i;

    if (json_is_real(v))
        return 1;
    if (json_is_object(v))
        json_object_foreach((json_t *)v, k, x)
            if (has_real(x))
                return 1;
    if (json_is_array(v))
        json_array_foreach(v, i, x)
            if (has_real(x))
                return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_strdup(data, size), *dump;
    json_t *v, *strict, *again;

    if (!text)
        return 0;
    host = &oak_host_table;
    v = (json_t *)registry_json_parse(text);
    if (v) {
        FUZZ_CHECK(fuzz_json_depth(v) <= 16);
        dump = oak_json_dump(v);
        FUZZ_CHECK(dump != NULL);
        again = (json_t *)registry_json_parse(dump);
        FUZZ_CHECK(again != NULL);
        FUZZ_CHECK(json_equal(v, again));
        json_decref(again);
        free(dump);
    }
    strict = json_loadb(text, strlen(text), JSON_DECODE_ANY, NULL);
    if (strict && !has_real(strict) && fuzz_json_depth(strict) <= 16) {
        FUZZ_CHECK(v != NULL);
        FUZZ_CHECK(json_equal(v, strict));
    }
    json_decref(strict);
    json_decref(v);
    free(text);
    return 0;
}
