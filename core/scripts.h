/*
 * scripts.h - the regional rule scripts: read from the scripts folder into
 * memory when a configuration generation loads (a script that fails to
 * compile keeps its previous version), resolved per region with fallback
 * county -> prefecture -> province -> default, and run as plugin hooks in
 * the worker's sandboxed Lua state.
 *
 * Layout under [lua] scripts:
 *   default/<hook>.lua        the rule everyone gets, e.g. default/example.validate.lua
 *   <code>/<hook>.lua         a region's own rule (530000, 530500, 530502 ...)
 *   <code>/lib/<name>.lua     helper modules for require("name")
 *   <code>/<name>_test.lua  the region's test cases (oakseed lua test)
 * A hook file returns a function(record) that answers a table.
 */
#ifndef OAK_SCRIPTS_H
#define OAK_SCRIPTS_H

#include <jansson.h>
#include <stddef.h>

struct oak_app;

struct oak_script {
    char *rel;        /* "530000/example.validate.lua" */
    char *src;
    size_t len;
};

struct oak_scripts {
    char *root;
    struct oak_script *items;
    int count;
};

/* Read every script under ROOT. A file that does not compile is logged
 * ("path:line: message") and replaced by its version in PREV when there
 * is one. *failed counts such files. NULL only on allocation failure. */
struct oak_scripts *oak_scripts_read(const char *root, const struct oak_scripts *prev, int *failed);
void oak_scripts_free(struct oak_scripts *s);
const struct oak_script *oak_scripts_get(const struct oak_scripts *s, const char *rel);

/* The folders consulted for REGION, most specific first, ending with 0
 * for default. Returns how many codes (excluding the final 0). */
int oak_region_chain(int region, int out[5]);

/* The script that answers HOOK for REGION, or NULL (accept unchanged). */
const struct oak_script *oak_hook_script(const struct oak_scripts *s, const char *hook, int region);

/* Run HOOK for a record of REGION in this process's sandbox. *answer gets
 * the normalised answer (see plugin.h hook_run). Returns 0, or -1 with
 * "path:line: message" in err (the answer is then NULL). */
int oak_hook_call(struct oak_app *app, const char *hook, int region, json_t *record,
                  json_t **answer, char *err, size_t errlen);

/* Conversions for the tools: push a JSON value as Lua (objects become
 * tables, null is skipped), and read a Lua value as JSON (NULL for
 * functions, mixed tables, depth past 8 or non-UTF-8 strings). */
typedef struct lua_State lua_State;
int oak_lua_push_json(lua_State *L, json_t *v, int depth);
json_t *oak_lua_to_json(lua_State *L, int idx, int depth);

/* The plugin hook point named HOOK, or NULL. */
struct oak_hook_point;
const struct oak_hook_point *oak_hook_point_find(struct oak_app *app, const char *hook);

/* require() for a sandbox: modules from the lib/ folders along the region
 * chain set by oak_scripts_require_region (default: only default/lib). */
struct oak_sandbox;
struct oak_require_ctx {
    struct oak_sandbox *sb;
    const struct oak_scripts *scripts;
    int chain[5], nchain;
};
void oak_scripts_bind_require(struct oak_require_ctx *rc, struct oak_sandbox *sb,
                              const struct oak_scripts *s);
void oak_scripts_require_region(struct oak_require_ctx *rc, int region);

/* Put the oak library and print() into a sandbox's base environment. */
void oak_scripts_open_oak(struct oak_sandbox *sb);

/* Put the plugins' script helpers (plugin.name) into a sandbox. */
void oak_scripts_open_helpers(struct oak_sandbox *sb, const struct oak_app *app);

/* For the offline tests: helpers answer from ANSWERS ({"plugin.name":
 * value}) instead of running; NULL returns to running them. */
void oak_scripts_fake_helpers(json_t *answers);

/* Drop the Lua state if it was made for APP (APP is going away). */
void oak_scripts_runtime_release(const struct oak_app *app);

/* Drop this process's Lua state (a new configuration generation). */
void oak_scripts_runtime_reset(void);

#endif
