/*
 * fuzz_lua_hook.c - the Lua hook boundary (core/scripts.c over
 * core/lua_sandbox.c): an arbitrary record goes in as a table, an
 * arbitrary script answers anything at all.
 *
 * Input: the first line is the record (a JSON object; anything else means
 * a fixed record), the rest is the script. A script starting with '='
 * is an expression, made into "return function(r) return EXPR end".
 * Properties (fail closed): oak_hook_call either answers the normalised
 * shape - accept boolean, errors and changes objects, actions array, the
 * script's name - with changes only to the hook's fields, actions only of
 * its offered types, never accept with errors; or it fails with no answer
 * and a message. Never a crash, a Lua panic or a leak.
 */
#include "fuzz.h"
#include "app.h"
#include "log.h"
#include "plugins.h"
#include "scripts.h"

#include <string.h>

static const struct oak_hook_point hooks[] = {
    { "fuzz.check", "a record", "status note", "require_review notify" },
    { NULL, NULL, NULL, NULL }
};

static const struct oak_plugin desc = {
    .abi_major = OAK_ABI_MAJOR,
    .abi_minor = OAK_ABI_MINOR,
    .name = "fuzz",
    .version = "1",
    .hooks = hooks,
};

static const char lib_src[] = "return { twice = function(x) return x * 2 end, name = 'util' }\n";

static int word_in(const char *list, const char *w)
{
    size_t n = strlen(w);

    for (const char *s = list; *s;) {
        size_t len = strcspn(s, " ");

        if (len == n && strncmp(s, w, n) == 0)
            return 1;
        s += len + (s[len] == ' ');
    }
    return 0;
}

static void check_answer(const json_t *a)
{
    const json_t *errors = json_object_get(a, "errors"), *changes = json_object_get(a, "changes");
    const json_t *actions = json_object_get(a, "actions"), *x;
    const char *k;
    size_t i;

    FUZZ_CHECK(json_is_object(a));
    FUZZ_CHECK(json_is_boolean(json_object_get(a, "accept")));
    FUZZ_CHECK(json_is_object(errors) && json_is_object(changes) && json_is_array(actions));
    FUZZ_CHECK(json_is_string(json_object_get(a, "script")));
    if (json_object_size(errors))
        FUZZ_CHECK(json_is_false(json_object_get(a, "accept")));
    json_object_foreach((json_t *)errors, k, x)
        FUZZ_CHECK(json_is_string(x));
    json_object_foreach((json_t *)changes, k, x) {
        FUZZ_CHECK(word_in(hooks[0].fields, k));
        FUZZ_CHECK(json_is_string(x) || json_is_number(x) || json_is_boolean(x));
    }
    FUZZ_CHECK(json_array_size(actions) <= 32);
    json_array_foreach(actions, i, x) {
        const json_t *t = json_object_get(x, "type");

        FUZZ_CHECK(json_is_string(t) && word_in(hooks[0].actions, json_string_value(t)));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct oak_plugin_ctx plugin_ctx;
    static struct oak_plugin_ctx *plugins[1] = { &plugin_ctx };
    static int ready;
    struct oak_script items[2];
    struct oak_scripts scripts = { (char *)"fuzz", items, 2 };
    struct oak_app app;
    const char *nl = memchr(data, '\n', size);
    size_t rec_len = nl ? (size_t)(nl - (const char *)data) : 0;
    const char *src = nl ? nl + 1 : (const char *)data;
    size_t src_len = size - (size_t)(src - (const char *)data);
    json_t *record, *answer = NULL;
    char err[1024], *script;
    size_t len;

    if (!ready) {
        oak_log_open(OAK_L_ERROR, NULL);  /* print() and oak.log() stay quiet */
        plugin_ctx.desc = &desc;
        ready = 1;
    }
    record = rec_len ? json_loadb((const char *)data, rec_len, 0, NULL) : NULL;
    if (!json_is_object(record)) {
        json_decref(record);
        record = json_pack("{s:i, s:s, s:i, s:b, s:[i,s,f], s:{s:{s:s}}}", "region", 530502,
                           "name", "张三", "age", 42, "consent", 1, "list", 1, "two", 3.5,
                           "nested", "a", "b", "c");
    }
    if (src_len && src[0] == '=') {
        static const char pre[] = "return function(r) return ", post[] = "\nend\n";

        len = sizeof pre - 1 + src_len - 1 + sizeof post - 1;
        script = malloc(len + 1);
        if (!script) {
            json_decref(record);
            return 0;
        }
        memcpy(script, pre, sizeof pre - 1);
        memcpy(script + sizeof pre - 1, src + 1, src_len - 1);
        memcpy(script + sizeof pre - 1 + src_len - 1, post, sizeof post);
    } else {
        len = src_len;
        script = malloc(len + 1);
        if (!script) {
            json_decref(record);
            return 0;
        }
        memcpy(script, src, len);
        script[len] = '\0';
    }
    items[0] = (struct oak_script){ (char *)"default/fuzz.check.lua", script, len };
    items[1] = (struct oak_script){ (char *)"default/lib/util.lua", (char *)lib_src,
                                    sizeof lib_src - 1 };

    memset(&app, 0, sizeof app);
    app.cfg.lua_memory = 8 << 20;
    app.cfg.lua_instructions = 200000;
    app.cfg.lua_timeout_ms = 5000;
    app.plugins = plugins;
    app.nplugins = 1;
    app.scripts = &scripts;
    plugin_ctx.app = &app;

    /* twice: compiling and the cached function */
    for (int round = 0; round < 2; round++) {
        err[0] = '\0';
        if (oak_hook_call(&app, "fuzz.check", 530502, record, &answer, err, sizeof err) == 0) {
            FUZZ_CHECK(answer != NULL);
            check_answer(answer);
            json_decref(answer);
        } else {
            FUZZ_CHECK(answer == NULL);
            FUZZ_CHECK(err[0] != '\0');
        }
    }
    FUZZ_CHECK(oak_hook_call(&app, "no.such.hook", 530502, record, &answer, err, sizeof err) == -1);
    FUZZ_CHECK(answer == NULL);

    oak_scripts_runtime_release(&app);
    json_decref(record);
    free(script);
    return 0;
}
