/*
 * scripts.c - regional rule scripts (see scripts.h).
 */
#include "scripts.h"
#include "app.h"
#include "db.h"
#include "log.h"
#include "lua_sandbox.h"
#include "plugins.h"
#include "regions.h"

#include <dirent.h>
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_SCRIPT_BYTES (1 << 20)
#define RECORD_DEPTH 8
#define ACTIONS_MAX 32

/* ---- reading ----------------------------------------------------------- */

static int folder_ok(const char *name)
{
    if (strcmp(name, "default") == 0)
        return 1;
    if (strlen(name) != 6)
        return 0;
    for (int i = 0; i < 6; i++)
        if (name[i] < '0' || name[i] > '9')
            return 0;
    return 1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n > m && strcmp(s + n - m, suffix) == 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || n > MAX_SCRIPT_BYTES ||
        fseek(f, 0, SEEK_SET) < 0 || !(buf = malloc((size_t)n + 1))) {
        fclose(f);
        return NULL;
    }
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* Syntax check in a bare state: text only, nothing runs. */
static int compiles(const char *src, size_t len, const char *chunk, char *err, size_t errlen)
{
    lua_State *L = luaL_newstate();
    int rc;

    if (!L) {
        snprintf(err, errlen, "out of memory");
        return 0;
    }
    rc = luaL_loadbufferx(L, src, len, chunk, "t");
    if (rc != LUA_OK)
        snprintf(err, errlen, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "load error");
    lua_close(L);
    return rc == LUA_OK;
}

static int add(struct oak_scripts *s, const char *rel, char *src, size_t len)
{
    struct oak_script *n = realloc(s->items, sizeof *n * (size_t)(s->count + 1));

    if (!n)
        return -1;
    s->items = n;
    n[s->count].rel = strdup(rel);
    n[s->count].src = src;
    n[s->count].len = len;
    if (!n[s->count].rel)
        return -1;
    s->count++;
    return 0;
}

static void read_dir(struct oak_scripts *s, const struct oak_scripts *prev, const char *sub,
                     int *failed)
{
    char path[4096], rel[512], chunk[600], err[512];
    DIR *d;
    struct dirent *e;

    snprintf(path, sizeof path, "%s/%s", s->root, sub);
    d = opendir(path);
    if (!d)
        return;
    while ((e = readdir(d)) != NULL) {
        size_t len = 0;
        char *src;

        if (e->d_name[0] == '.' || !ends_with(e->d_name, ".lua"))
            continue;
        snprintf(rel, sizeof rel, "%s/%s", sub, e->d_name);
        snprintf(path, sizeof path, "%s/%s", s->root, rel);
        snprintf(chunk, sizeof chunk, "@%s", rel);
        src = read_file(path, &len);
        if (src && compiles(src, len, chunk, err, sizeof err)) {
            if (add(s, rel, src, len) < 0)
                free(src);
            continue;
        }
        (*failed)++;
        free(src);
        const struct oak_script *old = oak_scripts_get(prev, rel);
        if (old) {
            char *copy = malloc(old->len + 1);

            oak_error("lua: %s; keeping the previous version", src ? err : rel);
            if (copy) {
                memcpy(copy, old->src, old->len + 1);
                if (add(s, rel, copy, old->len) < 0)
                    free(copy);
            }
        } else {
            oak_error("lua: %s; the hook falls back to the next region", src ? err : rel);
        }
    }
    closedir(d);
}

static int cmp_script(const void *a, const void *b)
{
    return strcmp(((const struct oak_script *)a)->rel, ((const struct oak_script *)b)->rel);
}

struct oak_scripts *oak_scripts_read(const char *root, const struct oak_scripts *prev, int *failed)
{
    struct oak_scripts *s = calloc(1, sizeof *s);
    DIR *d;
    struct dirent *e;

    *failed = 0;
    if (!s || !(s->root = strdup(root))) {
        free(s);
        return NULL;
    }
    d = opendir(root);
    if (!d) {
        oak_warn("lua: scripts folder %s: %s; every hook accepts unchanged", root, strerror(errno));
        return s;
    }
    while ((e = readdir(d)) != NULL) {
        char lib[sizeof e->d_name + 8];

        if (!folder_ok(e->d_name))
            continue;
        read_dir(s, prev, e->d_name, failed);
        snprintf(lib, sizeof lib, "%s/lib", e->d_name);
        read_dir(s, prev, lib, failed);
    }
    closedir(d);
    if (s->count)
        qsort(s->items, (size_t)s->count, sizeof *s->items, cmp_script);
    return s;
}

void oak_scripts_free(struct oak_scripts *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->count; i++) {
        free(s->items[i].rel);
        free(s->items[i].src);
    }
    free(s->items);
    free(s->root);
    free(s);
}

const struct oak_script *oak_scripts_get(const struct oak_scripts *s, const char *rel)
{
    struct oak_script key = { (char *)rel, NULL, 0 };

    if (!s || !s->count)
        return NULL;
    return bsearch(&key, s->items, (size_t)s->count, sizeof *s->items, cmp_script);
}

/* ---- resolution ---------------------------------------------------------- */

int oak_region_chain(int region, int out[5])
{
    int n = 0;

    if (region > 0 && oak_region_find(region)) {
        for (int r = region; r && n < 4; r = oak_region_parent(r))
            out[n++] = r;
    } else if (region >= 110000 && region <= 999999) {
        /* not in our table: follow the code's own structure */
        int pref = region / 100 * 100, prov = region / 10000 * 10000;

        out[n++] = region;
        if (pref != region)
            out[n++] = pref;
        if (prov != pref)
            out[n++] = prov;
    }
    out[n] = 0;
    return n;
}

/* The script FILE (FLEN bytes) of folder CODE (0: default/), looked up by
 * its relative path; built by hand, as this runs for every hook call. */
static const struct oak_script *find_in(const struct oak_scripts *s, int code, const char *file,
                                        size_t flen)
{
    char rel[8 + 256 + 1];
    size_t n;

    if (code) {
        for (int i = 5; i >= 0; i--, code /= 10)
            rel[i] = (char)('0' + code % 10);
        n = 6;
    } else {
        memcpy(rel, "default", 7);
        n = 7;
    }
    rel[n++] = '/';
    memcpy(rel + n, file, flen + 1);
    return oak_scripts_get(s, rel);
}

const struct oak_script *oak_hook_script(const struct oak_scripts *s, const char *hook, int region)
{
    int chain[5], n = oak_region_chain(region, chain);
    size_t hlen = strlen(hook);
    char file[256];

    if (hlen + sizeof ".lua" > sizeof file)
        return NULL;
    memcpy(file, hook, hlen);
    memcpy(file + hlen, ".lua", sizeof ".lua");
    for (int i = 0; i <= n; i++) {
        const struct oak_script *sc = find_in(s, chain[i], file, hlen + 4);

        if (sc)
            return sc;
    }
    return NULL;
}

/* ---- runtime ------------------------------------------------------------- */

static _Thread_local struct oak_sandbox *rt;   /* per serving thread */
static _Thread_local const struct oak_app *rt_app;
static _Thread_local struct oak_require_ctx rt_req;

#define FN_CACHE "oak.fn_cache"
#define MOD_CACHE "oak.mod_cache"

void oak_scripts_runtime_reset(void)
{
    oak_sandbox_free(rt);
    rt = NULL;
    rt_app = NULL;
}

void oak_scripts_runtime_release(const struct oak_app *app)
{
    if (rt_app == app)
        oak_scripts_runtime_reset();
}

static int l_log(lua_State *L)
{
    oak_log(OAK_L_INFO, "lua: %s", luaL_checkstring(L, 1));
    return 0;
}

static int l_print(lua_State *L)
{
    luaL_Buffer b;
    int n = lua_gettop(L);

    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    oak_log(OAK_L_INFO, "lua: %s", lua_tostring(L, -1));
    return 0;
}

static int l_region(lua_State *L)
{
    const struct oak_region *r = oak_region_find((int)luaL_checkinteger(L, 1));
    char code[8];

    if (!r) {
        lua_pushnil(L);
        return 1;
    }
    lua_createtable(L, 0, 4);
    snprintf(code, sizeof code, "%06d", r->code);
    lua_pushstring(L, code);
    lua_setfield(L, -2, "code");
    lua_pushstring(L, r->name);
    lua_setfield(L, -2, "name");
    lua_pushinteger(L, r->parent);
    lua_setfield(L, -2, "parent");
    lua_pushinteger(L, r->level);
    lua_setfield(L, -2, "level");
    return 1;
}

static int l_within(lua_State *L)
{
    lua_pushboolean(L, oak_region_within((int)luaL_checkinteger(L, 1), (int)luaL_checkinteger(L, 2)));
    return 1;
}

/* require(name): region chain's lib/<name>.lua, compiled once, cached. */
static int require_module(lua_State *L, const char *name, void *ud)
{
    struct oak_require_ctx *rc = ud;
    char file[128], err[512], chunk[600];
    const struct oak_script *sc = NULL;

    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return luaL_error(L, "module name '%s' must be [a-z0-9_]", name);
    if (snprintf(file, sizeof file, "lib/%s.lua", name) >= (int)sizeof file)
        return luaL_error(L, "module name '%s' is too long", name);
    for (int i = 0; i <= rc->nchain && !sc; i++)
        sc = find_in(rc->scripts, rc->chain[i], file, strlen(file));
    if (!sc)
        return luaL_error(L, "module '%s' not found in this region's lib folders", name);
    lua_getfield(L, LUA_REGISTRYINDEX, MOD_CACHE);
    if (lua_getfield(L, -1, sc->rel) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    snprintf(chunk, sizeof chunk, "@%s", sc->rel);
    oak_sandbox_push_env(rc->sb);
    if (oak_sandbox_load(rc->sb, sc->src, sc->len, chunk, err, sizeof err) != 0)
        return luaL_error(L, "%s", err);
    lua_call(L, 0, 1);               /* errors propagate to the caller's pcall */
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, sc->rel);
    return 1;
}

void oak_scripts_bind_require(struct oak_require_ctx *rc, struct oak_sandbox *sb,
                              const struct oak_scripts *s)
{
    lua_State *L = oak_sandbox_state(sb);

    rc->sb = sb;
    rc->scripts = s;
    oak_scripts_require_region(rc, 0);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, MOD_CACHE);
    oak_sandbox_set_require(sb, require_module, rc);
}

void oak_scripts_require_region(struct oak_require_ctx *rc, int region)
{
    rc->nchain = oak_region_chain(region, rc->chain);
}

static int runtime(struct oak_app *app, char *err, size_t errlen)
{
    struct oak_lua_limits lim;
    lua_State *L;

    if (rt && rt_app == app)
        return 0;
    oak_scripts_runtime_reset();
    lim.memory = (size_t)app->cfg.lua_memory;
    lim.instructions = app->cfg.lua_instructions;
    lim.timeout_ms = app->cfg.lua_timeout_ms;
    rt = oak_sandbox_new(&lim);
    if (!rt) {
        snprintf(err, errlen, "lua: cannot create a state");
        return -1;
    }
    rt_app = app;
    oak_scripts_bind_require(&rt_req, rt, app->scripts);
    L = oak_sandbox_state(rt);
    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, FN_CACHE);
    oak_scripts_open_oak(rt);
    oak_scripts_open_helpers(rt, app);
    return 0;
}

static json_t *helper_answers;

void oak_scripts_fake_helpers(json_t *answers)
{
    helper_answers = answers;
}

/* In `oakseed lua test`, helpers answer what the test case gave. */
static int fake_helper(lua_State *L, const struct oak_script_helper_reg *h)
{
    char key[256];
    json_t *v;

    snprintf(key, sizeof key, "%s.%s", h->plugin, h->name);
    v = json_object_get(helper_answers, key);
    if (!v)
        return luaL_error(L, "%s: this test gives no answer for it (hook(name, record, region, "
                             "{ [\"%s\"] = value }))", key, key);
    if (oak_lua_push_json(L, v, 0) < 0)
        return luaL_error(L, "%s: the test's answer is too deep", key);
    return 1;
}

/* plugin.fn(...): a plugin's read-only helper */
static int l_helper(lua_State *L)
{
    const struct oak_script_helper_reg *h = lua_touserdata(L, lua_upvalueindex(1));
    struct oak_error e = { 0, "" };
    int n = lua_gettop(L), rc;
    json_t *args, *res = NULL;

    if (helper_answers)
        return fake_helper(L, h);
    args = json_array();

    for (int i = 1; i <= n && args; i++) {
        json_t *v = oak_lua_to_json(L, i, 0);

        if (!v) {
            json_decref(args);
            return luaL_error(L, "%s.%s: argument %d must be a string, number, boolean or plain table",
                              h->plugin, h->name, i);
        }
        json_array_append_new(args, v);
    }
    if (!args)
        return luaL_error(L, "out of memory");
    oak_db_set_read_only(1);
    rc = h->fn((const oak_json *)args, (oak_json **)&res, &e, h->ud);
    oak_db_set_read_only(0);
    json_decref(args);
    if (rc != OAK_OK) {
        json_decref(res);
        return luaL_error(L, "%s.%s: %s", h->plugin, h->name, e.message[0] ? e.message : "failed");
    }
    if (!res) {
        lua_pushnil(L);
        return 1;
    }
    rc = oak_lua_push_json(L, res, 0);
    json_decref(res);
    if (rc < 0)
        return luaL_error(L, "%s.%s: result too deep", h->plugin, h->name);
    return 1;
}

void oak_scripts_open_helpers(struct oak_sandbox *sb, const struct oak_app *app)
{
    for (int i = 0; i < app->nhelpers; i++)
        oak_sandbox_add_function(sb, app->helpers[i].plugin, app->helpers[i].name, l_helper,
                                 &app->helpers[i]);
}

void oak_scripts_open_oak(struct oak_sandbox *sb)
{
    static const luaL_Reg oak[] = {
        { "log", l_log },
        { "region", l_region },
        { "within", l_within },
        { NULL, NULL }
    };
    static const luaL_Reg globals[] = {
        { "print", l_print },
        { NULL, NULL }
    };

    oak_sandbox_add_library(sb, "oak", oak);
    oak_sandbox_add_library(sb, NULL, globals);
}

/* The last line with code of the function at the top of the stack (for a
 * chunk: its final return), which is popped; 0 if unknown. */
static int last_line(lua_State *L)
{
    lua_Debug ar;
    int line = 0;

    if (!lua_getinfo(L, ">L", &ar) || !lua_istable(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_isinteger(L, -2) && lua_tointeger(L, -2) > line)
            line = (int)lua_tointeger(L, -2);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return line;
}

/* Push the hook function of script SC (compiled and cached on first use). */
static int push_hook_fn(const struct oak_script *sc, char *err, size_t errlen)
{
    lua_State *L = oak_sandbox_state(rt);
    char chunk[600];

    lua_getfield(L, LUA_REGISTRYINDEX, FN_CACHE);
    if (lua_getfield(L, -1, sc->rel) == LUA_TFUNCTION) {
        lua_remove(L, -2);
        return 0;
    }
    lua_pop(L, 1);
    snprintf(chunk, sizeof chunk, "@%s", sc->rel);
    oak_sandbox_push_env(rt);
    if (oak_sandbox_load(rt, sc->src, sc->len, chunk, err, errlen) != 0) {
        lua_pop(L, 1);
        return -1;
    }
    lua_pushvalue(L, -1);            /* the chunk, kept to name its line */
    if (oak_sandbox_call(rt, 0, 1, err, errlen) != 0) {
        lua_pop(L, 2);
        return -1;
    }
    if (!lua_isfunction(L, -1)) {
        const char *type = luaL_typename(L, -1);

        lua_pushvalue(L, -2);
        snprintf(err, errlen, "%s:%d: the script must return a function(record), it returned a %s",
                 sc->rel, last_line(L), type);
        lua_pop(L, 3);
        return -1;
    }
    lua_remove(L, -2);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, sc->rel);
    lua_remove(L, -2);
    return 0;
}

int oak_lua_push_json(lua_State *L, json_t *v, int depth)
{
    if (depth > RECORD_DEPTH || !lua_checkstack(L, 4))
        return -1;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;

        lua_createtable(L, 0, (int)json_object_size(v));
        json_object_foreach(v, k, x) {
            if (json_is_null(x))
                continue;
            if (oak_lua_push_json(L, x, depth + 1) < 0)
                return -1;
            lua_setfield(L, -2, k);
        }
        return 0;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;

        lua_createtable(L, (int)json_array_size(v), 0);
        json_array_foreach(v, i, x) {
            if (oak_lua_push_json(L, x, depth + 1) < 0)
                return -1;
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        return 0;
    }
    case JSON_STRING:
        lua_pushlstring(L, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_INTEGER:
        lua_pushinteger(L, (lua_Integer)json_integer_value(v));
        return 0;
    case JSON_REAL:
        lua_pushnumber(L, json_real_value(v));
        return 0;
    case JSON_TRUE:
    case JSON_FALSE:
        lua_pushboolean(L, json_is_true(v));
        return 0;
    case JSON_NULL:
        lua_pushnil(L);
        return 0;
    }
    return -1;
}

/* A scalar answer value: string, number or boolean. */
static json_t *scalar(lua_State *L, int idx)
{
    switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, idx, &n);
        return json_stringn(s, n);   /* NULL when not UTF-8 */
    }
    case LUA_TNUMBER:
        return lua_isinteger(L, idx) ? json_integer(lua_tointeger(L, idx)) : json_real(lua_tonumber(L, idx));
    case LUA_TBOOLEAN:
        return json_boolean(lua_toboolean(L, idx));
    default:
        return NULL;
    }
}

static int word_in(const char *list, const char *w)
{
    size_t n = strlen(w);

    for (const char *s = list ? list : ""; *s;) {
        size_t len = strcspn(s, " ");

        if (len == n && strncmp(s, w, n) == 0)
            return 1;
        s += len;
        while (*s == ' ')
            s++;
    }
    return 0;
}

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); goto bad; } while (0)

/* Check and convert the answer at the top of the stack. REL names the
 * script in the answer, WHERE ("rel:line") in the messages. */
static json_t *answer_json(lua_State *L, const struct oak_hook_point *hp, const char *rel,
                           const char *where, char *err, size_t errlen)
{
    json_t *out = json_object(), *errors = json_object(), *changes = json_object(), *actions = json_array();
    int accept = 1, explicit_accept = -1;

    if (!lua_istable(L, -1))
        BAD("%s: the hook must answer a table, not a %s", where, luaL_typename(L, -1));
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;

        if (!k)
            BAD("%s: answer keys must be accept, errors, changes or actions", where);
        if (!strcmp(k, "accept")) {
            if (!lua_isboolean(L, -1))
                BAD("%s: accept must be true or false", where);
            explicit_accept = lua_toboolean(L, -1);
        } else if (!strcmp(k, "errors") || !strcmp(k, "changes")) {
            int is_err = k[0] == 'e';

            if (!lua_istable(L, -1))
                BAD("%s: %s must be a table of field = value", where, k);
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                const char *f = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
                json_t *v;

                if (!f)
                    BAD("%s: %s keys must be field names", where, k);
                if (is_err && lua_type(L, -1) != LUA_TSTRING)
                    BAD("%s: errors.%s must be a message string", where, f);
                if (!is_err && !word_in(hp->fields, f))
                    BAD("%s: hook %s does not let scripts change '%s' (allowed: %s)", where, hp->name,
                        f, hp->fields && *hp->fields ? hp->fields : "none");
                v = scalar(L, -1);
                if (!v)
                    BAD("%s: %s.%s must be a string, number or boolean (UTF-8)", where, k, f);
                json_object_set_new(is_err ? errors : changes, f, v);
                lua_pop(L, 1);
            }
        } else if (!strcmp(k, "actions")) {
            lua_Integer n = 0, top = 0;

            if (!lua_istable(L, -1))
                BAD("%s: actions must be a list", where);
            /* a list: keys 1..n and nothing else, at most ACTIONS_MAX */
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                lua_pop(L, 1);
                if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1)
                    BAD("%s: actions must be a list { {type = ...}, ... }, not a table with "
                        "named keys", where);
                if (++n > ACTIONS_MAX)
                    BAD("%s: more than %d actions", where, ACTIONS_MAX);
                if (lua_tointeger(L, -1) > top)
                    top = lua_tointeger(L, -1);
            }
            if (top != n)
                BAD("%s: actions must be a list without holes", where);
            for (lua_Integer i = 1; i <= n; i++) {
                json_t *a;
                const char *type;

                lua_rawgeti(L, -1, i);
                if (!lua_istable(L, -1))
                    BAD("%s: actions[%lld] must be a table", where, (long long)i);
                lua_pushliteral(L, "type");
                type = lua_rawget(L, -2) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
                if (!type || !word_in(hp->actions, type))
                    BAD("%s: actions[%lld]: type '%s' is not offered by hook %s (offered: %s)", where,
                        (long long)i, type ? type : "?", hp->name,
                        hp->actions && *hp->actions ? hp->actions : "none");
                lua_pop(L, 1);
                a = json_object();
                json_array_append_new(actions, a);
                lua_pushnil(L);
                while (lua_next(L, -2)) {
                    const char *f = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
                    json_t *v = f ? scalar(L, -1) : NULL;

                    if (!v)
                        BAD("%s: actions[%lld] fields must be name = string/number/boolean", where,
                            (long long)i);
                    json_object_set_new(a, f, v);
                    lua_pop(L, 1);
                }
                lua_pop(L, 1);
            }
        } else {
            BAD("%s: unknown answer key '%s' (use accept, errors, changes, actions)", where, k);
        }
        lua_pop(L, 1);
    }
    if (json_object_size(errors))
        accept = 0;
    if (explicit_accept == 1 && !accept)
        BAD("%s: an answer with errors cannot accept", where);
    if (explicit_accept == 0)
        accept = 0;
    json_object_set_new(out, "accept", json_boolean(accept));
    json_object_set_new(out, "errors", errors);
    json_object_set_new(out, "changes", changes);
    json_object_set_new(out, "actions", actions);
    json_object_set_new(out, "script", json_string(rel));
    return out;
bad:
    json_decref(out);
    json_decref(errors);
    json_decref(changes);
    json_decref(actions);
    return NULL;
}

const struct oak_hook_point *oak_hook_point_find(struct oak_app *app, const char *hook)
{
    for (int i = 0; i < app->nplugins; i++)
        for (const struct oak_hook_point *h = app->plugins[i]->desc->hooks; h && h->name; h++)
            if (strcmp(h->name, hook) == 0)
                return h;
    return NULL;
}

struct hook_run {
    const struct oak_hook_point *hp;
    const struct oak_script *sc;
    json_t *record, *answer;
    char *err;
    size_t errlen;
};

/* The host side of a hook call runs protected too: an allocation failure
 * there must become an error, never Lua's panic. */
static int hook_protected(lua_State *L)
{
    struct hook_run *h = lua_touserdata(L, 1);

    lua_pop(L, 1);
    lua_Debug ar;
    char where[600];

    if (push_hook_fn(h->sc, h->err, h->errlen) < 0)
        return 0;
    /* a bad answer is reported at the line where the hook function starts */
    lua_pushvalue(L, -1);
    lua_getinfo(L, ">S", &ar);
    snprintf(where, sizeof where, "%s:%d", h->sc->rel, ar.linedefined);
    if (!json_is_object(h->record) || oak_lua_push_json(L, h->record, 0) < 0) {
        snprintf(h->err, h->errlen, "%s: record is not a JSON object of bounded depth", h->sc->rel);
        return 0;
    }
    if (oak_sandbox_call(rt, 1, 1, h->err, h->errlen) != 0)
        return 0;
    h->answer = answer_json(L, h->hp, h->sc->rel, where, h->err, h->errlen);
    return 0;
}

int oak_hook_call(struct oak_app *app, const char *hook, int region, json_t *record,
                  json_t **answer, char *err, size_t errlen)
{
    struct hook_run h = { oak_hook_point_find(app, hook), NULL, record, NULL, err, errlen };
    lua_State *L;
    int top;

    *answer = NULL;
    if (!h.hp) {
        snprintf(err, errlen, "hook %s is not declared by any loaded plugin", hook);
        return -1;
    }
    h.sc = app->scripts ? oak_hook_script(app->scripts, hook, region) : NULL;
    if (!h.sc) {
        *answer = json_pack("{s:b, s:{}, s:{}, s:[], s:n}", "accept", 1, "errors", "changes",
                            "actions", "script");
        return *answer ? 0 : -1;
    }
    if (runtime(app, err, errlen) < 0)
        return -1;
    L = oak_sandbox_state(rt);
    top = lua_gettop(L);
    oak_scripts_require_region(&rt_req, region);
    lua_pushcfunction(L, hook_protected);
    lua_pushlightuserdata(L, &h);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        snprintf(err, errlen, "%s: %s", h.sc->rel,
                 lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error in the host");
        json_decref(h.answer);
        h.answer = NULL;
    }
    lua_settop(L, top);
    *answer = h.answer;
    return *answer ? 0 : -1;
}

json_t *oak_lua_to_json(lua_State *L, int idx, int depth)
{
    json_t *v;

    idx = lua_absindex(L, idx);
    if (depth > RECORD_DEPTH)
        return NULL;
    if (lua_type(L, idx) != LUA_TTABLE)
        return scalar(L, idx);
    if (!lua_checkstack(L, 4))
        return NULL;
    /* a table with 1..n and nothing else is an array */
    lua_Integer n = (lua_Integer)lua_rawlen(L, idx), count = 0;

    lua_pushnil(L);
    while (lua_next(L, idx)) {
        count++;
        lua_pop(L, 1);
    }
    if (n > 0 && count == n) {
        v = json_array();
        for (lua_Integer i = 1; i <= n; i++) {
            json_t *x;

            lua_rawgeti(L, idx, i);
            x = oak_lua_to_json(L, -1, depth + 1);
            lua_pop(L, 1);
            if (!x) {
                json_decref(v);
                return NULL;
            }
            json_array_append_new(v, x);
        }
        return v;
    }
    v = json_object();
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        json_t *x;

        if (lua_type(L, -2) != LUA_TSTRING) {
            lua_pop(L, 2);
            json_decref(v);
            return NULL;
        }
        x = oak_lua_to_json(L, -1, depth + 1);
        if (!x) {
            lua_pop(L, 2);
            json_decref(v);
            return NULL;
        }
        json_object_set_new(v, lua_tostring(L, -2), x);
        lua_pop(L, 1);
    }
    return v;
}
