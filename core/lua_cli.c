/*
 * lua_cli.c - the rule writers' tools (see lua_cli.h).
 *
 * DIR is a scripts folder (holding default/ and region folders) or one
 * region folder inside it; hooks resolve against the scripts folder, so a
 * region's tests see the same fallback the server would.
 */
#include "lua_cli.h"
#include "app.h"
#include "log.h"
#include "lua_sandbox.h"
#include "plugins.h"
#include "regions.h"
#include "scripts.h"

#include <dirent.h>
#include <lauxlib.h>
#include <libgen.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ctx {
    struct oak_app *app;
    const char *only;          /* folder name to restrict to, or NULL */
    int problems;
    int passed, failed;
    int region;                /* folder of the test file being run */
    struct oak_require_ctx req;
};

static struct ctx *cur;

static int folder_region(const char *rel)
{
    return strncmp(rel, "default/", 8) == 0 ? 0 : atoi(rel);
}

static int selected(const struct ctx *c, const char *rel)
{
    size_t n = c->only ? strlen(c->only) : 0;

    return !c->only || (strncmp(rel, c->only, n) == 0 && rel[n] == '/');
}

static int is_test(const char *rel)
{
    size_t n = strlen(rel);

    return n > 9 && strcmp(rel + n - 9, "_test.lua") == 0;
}

static int is_lib(const char *rel)
{
    const char *slash = strchr(rel, '/');

    return slash && strncmp(slash + 1, "lib/", 4) == 0;
}

/* ---- check ------------------------------------------------------------- */

static void check_hook_file(struct ctx *c, struct oak_sandbox *sb, const struct oak_script *sc)
{
    lua_State *L = oak_sandbox_state(sb);
    char hook[256], err[512], chunk[600];
    const char *base = strchr(sc->rel, '/') + 1;
    size_t n = strlen(base) - 4;
    int top = lua_gettop(L);

    snprintf(hook, sizeof hook, "%.*s", (int)n, base);
    if (c->app->nplugins > 1 && !oak_hook_point_find(c->app, hook)) {
        printf("%s: unknown hook '%s' (no loaded plugin declares it)\n", sc->rel, hook);
        c->problems++;
    }
    if (folder_region(sc->rel) && !oak_region_find(folder_region(sc->rel)))
        printf("%s: note: %06d is not in oakseed's region table\n", sc->rel, folder_region(sc->rel));
    oak_scripts_require_region(&c->req, folder_region(sc->rel));
    snprintf(chunk, sizeof chunk, "@%s", sc->rel);
    oak_sandbox_push_env(sb);
    lua_pushvalue(L, -1);
    if (oak_sandbox_load(sb, sc->src, sc->len, chunk, err, sizeof err) != 0 ||
        oak_sandbox_call(sb, 0, 1, err, sizeof err) != 0) {
        printf("%s\n", err);
        c->problems++;
        lua_settop(L, top);
        return;
    }
    if (!lua_isfunction(L, -1)) {
        printf("%s: must return a function(record), returns a %s\n", sc->rel, luaL_typename(L, -1));
        c->problems++;
    } else {
        /* a dry run on an empty record shows globals assigned by mistake */
        lua_newtable(L);
        oak_sandbox_call(sb, 1, 0, err, sizeof err);
    }
    lua_settop(L, top + 1);
    lua_pushnil(L);
    while (lua_next(L, top + 1)) {
        printf("%s: writes global '%s' (declare it local)\n", sc->rel,
               lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?");
        c->problems++;
        lua_pop(L, 1);
    }
    lua_settop(L, top);
}

static int cmd_check(struct ctx *c)
{
    struct oak_lua_limits lim = { (size_t)c->app->cfg.lua_memory, c->app->cfg.lua_instructions,
                                  c->app->cfg.lua_timeout_ms };
    struct oak_sandbox *sb = oak_sandbox_new(&lim);
    int files = 0;

    if (!sb)
        return 1;
    oak_scripts_bind_require(&c->req, sb, c->app->scripts);
    oak_scripts_open_oak(sb);
    oak_scripts_open_helpers(sb, c->app);
    for (int i = 0; i < c->app->scripts->count; i++) {
        const struct oak_script *sc = &c->app->scripts->items[i];

        if (!selected(c, sc->rel))
            continue;
        files++;
        if (!is_test(sc->rel) && !is_lib(sc->rel))
            check_hook_file(c, sb, sc);
    }
    oak_sandbox_free(sb);
    printf("%d files checked, %d problem%s\n", files, c->problems, c->problems == 1 ? "" : "s");
    return c->problems ? 1 : 0;
}

/* ---- test ----------------------------------------------------------------- */

static int t_hook(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    int region = (int)luaL_optinteger(L, 3, cur->region);
    char err[512];
    json_t *rec, *ans = NULL;
    int rc;

    json_t *helpers;

    luaL_checktype(L, 2, LUA_TTABLE);
    helpers = lua_istable(L, 4) ? oak_lua_to_json(L, 4, 0) : json_object();
    if (!helpers || !json_is_object(helpers)) {
        json_decref(helpers);
        return luaL_error(L, "hook(): helper answers must be a table { [\"plugin.name\"] = value }");
    }
    rec = oak_lua_to_json(L, 2, 0);
    if (!rec || !json_is_object(rec)) {
        json_decref(rec);
        json_decref(helpers);
        return luaL_error(L, "hook(): the record must be a table of field = value");
    }
    oak_scripts_fake_helpers(helpers);
    rc = oak_hook_call(cur->app, name, region, rec, &ans, err, sizeof err);
    oak_scripts_fake_helpers(NULL);
    json_decref(helpers);
    json_decref(rec);
    if (rc < 0)
        return luaL_error(L, "%s", err);
    oak_lua_push_json(L, ans, 0);
    /* keep "script": which file answered, also when none (default accept) */
    if (json_is_null(json_object_get(ans, "script"))) {
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "script");
    }
    json_decref(ans);
    return 1;
}

static int t_expect(lua_State *L)
{
    if (!lua_toboolean(L, 1))
        return luaL_error(L, "expectation failed: %s", luaL_optstring(L, 2, "(no message)"));
    return 0;
}

static const char *shown(lua_State *L, int idx)
{
    switch (lua_type(L, idx)) {
    case LUA_TSTRING:
    case LUA_TNUMBER:
        return lua_tostring(L, idx);
    case LUA_TBOOLEAN:
        return lua_toboolean(L, idx) ? "true" : "false";
    default:
        return luaL_typename(L, idx);
    }
}

static int t_expect_eq(lua_State *L)
{
    if (!lua_rawequal(L, 1, 2))
        return luaL_error(L, "%s: got %s, want %s", luaL_optstring(L, 3, "values differ"),
                          shown(L, 1), shown(L, 2));
    return 0;
}

/* test(name, fn): collected into the env's __tests list. */
static int t_test(lua_State *L)
{
    luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_getfield(L, lua_upvalueindex(1), "__tests");
    lua_createtable(L, 2, 0);
    lua_pushvalue(L, 1);
    lua_rawseti(L, -2, 1);
    lua_pushvalue(L, 2);
    lua_rawseti(L, -2, 2);
    lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
    return 0;
}

static void run_test_file(struct ctx *c, struct oak_sandbox *sb, const struct oak_script *sc)
{
    lua_State *L = oak_sandbox_state(sb);
    char err[512], chunk[600];
    int top = lua_gettop(L), env;

    c->region = folder_region(sc->rel);
    oak_sandbox_push_env(sb);
    env = lua_gettop(L);
    lua_pushstring(L, "__tests");
    lua_newtable(L);
    lua_rawset(L, env);
    lua_pushstring(L, "test");
    lua_pushvalue(L, env);
    lua_pushcclosure(L, t_test, 1);
    lua_rawset(L, env);
    lua_pushstring(L, "hook");
    lua_pushcfunction(L, t_hook);
    lua_rawset(L, env);
    lua_pushstring(L, "expect");
    lua_pushcfunction(L, t_expect);
    lua_rawset(L, env);
    lua_pushstring(L, "expect_eq");
    lua_pushcfunction(L, t_expect_eq);
    lua_rawset(L, env);
    snprintf(chunk, sizeof chunk, "@%s", sc->rel);
    lua_pushvalue(L, env);
    if (oak_sandbox_load(sb, sc->src, sc->len, chunk, err, sizeof err) != 0 ||
        oak_sandbox_call(sb, 0, 0, err, sizeof err) != 0) {
        printf("FAIL %s: %s\n", sc->rel, err);
        c->failed++;
        lua_settop(L, top);
        return;
    }
    lua_pushstring(L, "__tests");
    lua_rawget(L, env);
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    if (n == 0) {
        printf("FAIL %s: defines no test(...)\n", sc->rel);
        c->failed++;
    }
    for (lua_Integer i = 1; i <= n; i++) {
        const char *name;

        lua_rawgeti(L, -1, i);
        lua_rawgeti(L, -1, 1);
        name = lua_tostring(L, -1);
        lua_rawgeti(L, -2, 2);
        if (oak_sandbox_call(sb, 0, 0, err, sizeof err) == 0) {
            printf("PASS %s: %s\n", sc->rel, name);
            c->passed++;
        } else {
            printf("FAIL %s: %s\n     %s\n", sc->rel, name, err);
            c->failed++;
        }
        lua_pop(L, 2);
    }
    lua_settop(L, top);
}

static int cmd_test(struct ctx *c)
{
    struct oak_lua_limits lim = { (size_t)c->app->cfg.lua_memory, c->app->cfg.lua_instructions * 10,
                                  c->app->cfg.lua_timeout_ms * 10 };
    struct oak_sandbox *sb = oak_sandbox_new(&lim);
    int files = 0;

    if (!sb)
        return 1;
    oak_scripts_open_oak(sb);
    cur = c;
    for (int i = 0; i < c->app->scripts->count; i++) {
        const struct oak_script *sc = &c->app->scripts->items[i];

        if (selected(c, sc->rel) && is_test(sc->rel)) {
            files++;
            run_test_file(c, sb, sc);
        }
    }
    oak_sandbox_free(sb);
    oak_scripts_runtime_reset();
    if (!files)
        printf("no *_test.lua files found\n");
    printf("%d passed, %d failed\n", c->passed, c->failed);
    return c->failed || !files ? 1 : 0;
}

/* ---- which ----------------------------------------------------------------- */

static int cmd_which(struct ctx *c, const char *hook, const char *region_s)
{
    int region = atoi(region_s), chain[5], n;
    const struct oak_script *sc;

    if (strlen(region_s) != 6 || region <= 0) {
        fprintf(stderr, "oakseed: REGION must be a six-digit GB/T 2260 code\n");
        return 2;
    }
    if (c->app->nplugins > 1 && !oak_hook_point_find(c->app, hook))
        fprintf(stderr, "oakseed: warning: no loaded plugin declares hook '%s'\n", hook);
    n = oak_region_chain(region, chain);
    printf("looked in:");
    for (int i = 0; i < n; i++)
        printf(" %06d/", chain[i]);
    printf(" default/\n");
    sc = oak_hook_script(c->app->scripts, hook, region);
    if (sc)
        printf("%s/%s answers %s for %06d\n", c->app->scripts->root, sc->rel, hook, region);
    else
        printf("no script defines %s for %06d: records are accepted unchanged\n", hook, region);
    return 0;
}

int oak_lua_cli(struct oak_app *app, int argc, char **argv)
{
    struct ctx c;
    char *dup = NULL, *dir;
    int rc;

    memset(&c, 0, sizeof c);
    c.app = app;
    if (argc < 1 || (strcmp(argv[0], "which") == 0 ? argc != 3 : argc != 2)) {
        fprintf(stderr, "usage: oakseed lua check DIR | lua test DIR | lua which HOOK REGION "
                        "[-c FILE] (DIR: a scripts folder or one region folder in it)\n");
        return 2;
    }
    if (strcmp(argv[0], "which") != 0) {
        char *base, *copy = strdup(argv[1]);
        int failed = 0;

        if (!copy)
            return 1;
        /* a region folder: resolve against the scripts folder above it */
        size_t len = strlen(copy);
        while (len > 1 && copy[len - 1] == '/')
            copy[--len] = '\0';
        base = basename(copy);
        if (strcmp(base, "default") == 0 || (strlen(base) == 6 && strspn(base, "0123456789") == 6)) {
            c.only = base;
            dup = strdup(copy);
            dir = dirname(dup);
        } else {
            dir = copy;
        }
        oak_scripts_free(app->scripts);
        app->scripts = oak_scripts_read(dir, NULL, &failed);
        if (!app->scripts) {
            free(copy);
            free(dup);
            return 1;
        }
        c.problems = failed;
        rc = strcmp(argv[0], "check") == 0 ? cmd_check(&c)
           : strcmp(argv[0], "test") == 0 ? cmd_test(&c) : 2;
        if (rc == 2)
            fprintf(stderr, "oakseed: unknown lua command '%s'\n", argv[0]);
        free(copy);
        free(dup);
        return rc;
    }
    if (!app->scripts) {
        fprintf(stderr, "oakseed: no [lua] scripts folder configured\n");
        return 1;
    }
    return cmd_which(&c, argv[1], argv[2]);
}
