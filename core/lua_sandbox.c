/*
 * lua_sandbox.c - the sandboxed Lua state (see lua_sandbox.h).
 *
 * The real global table stays empty: scripts see a base environment built
 * here from allow-listed functions, with every library behind a read-only
 * proxy so one script cannot change what another one sees. The weak spots
 * of Lua 5.4.4 named in docs/lua-api.md are closed here: text-only load,
 * no __gc/__mode/__close, no string metatable, a count hook that re-arms
 * itself every instruction once the budget is spent (so pcall and xpcall
 * cannot swallow it), bounded patterns, string.rep and table.move (their
 * loops run in C, out of the hook's reach) and a wall-clock watchdog.
 */
#include "lua_sandbox.h"
#include "log.h"

#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define HOOK_EVERY 1000
#define PATTERN_MAX 256          /* bytes of a pattern */
#define PATTERN_QUANTIFIERS 4    /* * + - ? items in one pattern */
#define SUBJECT_MAX (64 * 1024)  /* bytes a pattern may scan */
#define REP_MAX (1024 * 1024)    /* bytes string.rep may build; also its count */
#define MOVE_MAX (1024 * 1024)   /* elements one table.move may copy */

struct oak_sandbox {
    lua_State *L;
    struct oak_lua_limits lim;
    size_t used;
    int enforcing;               /* the memory cap applies while script code runs */
    long counted;
    long last;
    int blown;
    oak_sandbox_require_fn require;
    void *require_ud;
    /* the watchdog: a timer of this sandbox's own, signalling the thread
     * that created it, so serving threads with a sandbox each never re-arm
     * or disarm one another's. It is armed lazily (see arm_for_call): a
     * call does not pay two timer_settime calls. */
    timer_t timer;
    int has_timer;
    atomic_int in_call;          /* a script call runs */
    atomic_llong call_started;   /* when it began, CLOCK_MONOTONIC ns */
    atomic_int armed;            /* the timer will fire */
    char chunk[256];             /* the script being called, for messages */
};

static struct oak_sandbox *self(lua_State *L)
{
    void *ud;

    lua_getallocf(L, &ud);
    return ud;
}

/* ---- memory ------------------------------------------------------------ */

static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct oak_sandbox *sb = ud;
    size_t old = ptr ? osize : 0;
    void *p;

    if (nsize == 0) {
        free(ptr);
        sb->used -= old;
        return NULL;
    }
    if (sb->enforcing && nsize > old && sb->used + (nsize - old) > sb->lim.memory)
        return NULL;
    p = realloc(ptr, nsize);
    if (p)
        sb->used = sb->used - old + nsize;
    return p;
}

/* ---- instruction budget ------------------------------------------------ */

static void count_hook(lua_State *L, lua_Debug *ar)
{
    struct oak_sandbox *sb = self(L);

    (void)ar;
    if (!sb->blown) {
        sb->counted += lua_gethookcount(L);
        if (sb->counted <= sb->lim.instructions) {
            if (lua_gethookcount(L) != HOOK_EVERY)
                lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
            return;
        }
        sb->blown = 1;
    }
    /* every further instruction fails again, in this thread and in any
     * coroutine, so no pcall, xpcall handler or resume can carry on */
    lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);
    if (L != sb->L)
        lua_sethook(sb->L, count_hook, LUA_MASKCOUNT, 1);
    luaL_error(L, "instruction budget of %d exceeded", (int)sb->lim.instructions);
}

/* ---- watchdog ---------------------------------------------------------- */

static long long now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void set_timer(struct oak_sandbox *sb, long long ns)
{
    struct itimerspec t = { { 0, 0 }, { (time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL) } };

    timer_settime(sb->timer, 0, &t, NULL);
}

/*
 * The timer is armed when a call starts and finds it idle, and is left
 * running when the call returns: most calls start and end while it runs
 * and cost no system call. When it fires, the handler looks at the call
 * in hand: none, and the timer rests until the next call arms it; one
 * that began less than the time limit ago, and the timer is set for the
 * rest of that call's time; else the call has overrun.
 */
static void watchdog(int sig, siginfo_t *si, void *uc)
{
    struct itimerval last = { { 0, 0 }, { 1, 0 } };
    struct oak_sandbox *sb = si && si->si_code == SI_TIMER ? si->si_value.sival_ptr : NULL;
    long long left;
    int saved = errno;

    (void)sig;
    (void)uc;
    /* a SIGALRM from anything but a sandbox's timer (alarm(), kill -ALRM,
     * libFuzzer's own timer) is no runaway script: the worker carries on */
    if (!sb)
        return;
    atomic_store(&sb->armed, 0);
    if (!atomic_load(&sb->in_call)) {
        errno = saved;
        return;
    }
    left = atomic_load(&sb->call_started) + (long long)sb->lim.timeout_ms * 1000000LL - now_ns();
    if (left > 1000000LL) {
        atomic_store(&sb->armed, 1);
        set_timer(sb, left);
        errno = saved;
        return;
    }
    /* Logging from a signal handler could block on a lock the interrupted
     * code holds; if it does, the default SIGALRM ends us a second later. */
    signal(SIGALRM, SIG_DFL);
    setitimer(ITIMER_REAL, &last, NULL);
    oak_error("lua: a script call ran past its time limit (%s); the worker exits and is replaced",
              sb->chunk);
    _exit(70);
}

/* A call starts: the order (begin, then look at the timer) pairs with the
 * handler's (timer idle, then look at the call), so one of them arms it. */
static void arm_for_call(struct oak_sandbox *sb)
{
    if (!sb->has_timer)
        return;
    atomic_store(&sb->call_started, now_ns());
    atomic_store(&sb->in_call, 1);
    if (!atomic_load(&sb->armed)) {
        atomic_store(&sb->armed, 1);
        set_timer(sb, (long long)sb->lim.timeout_ms * 1000000LL);
    }
}

/* ---- errors ------------------------------------------------------------- */

/* Message handler: a string message, with the innermost script position
 * added when the error came from a C function. No metamethod runs. */
static int msgh(lua_State *L)
{
    struct oak_sandbox *sb = self(L);
    const char *msg = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : NULL;
    lua_Debug ar;

    sb->enforcing = 0;
    if (!msg)
        msg = lua_pushfstring(L, "error object is a %s value", luaL_typename(L, 1));
    for (int level = 0; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0)
            continue;
        size_t n = strlen(ar.short_src);
        if (strncmp(msg, ar.short_src, n) == 0 && msg[n] == ':')
            lua_pushstring(L, msg);
        else
            lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, msg);
        return 1;
    }
    /* a tail call left no script frame: name the script at least */
    lua_pushfstring(L, "%s: %s", sb->chunk, msg);
    return 1;
}

static void take_error(lua_State *L, int rc, char *err, size_t errlen)
{
    const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;

    if (rc == LUA_ERRMEM)
        snprintf(err, errlen, "%s: %s (memory limit reached)", self(L)->chunk,
                 m ? m : "not enough memory");
    else
        snprintf(err, errlen, "%s", m ? m : "error object is not a string");
    lua_pop(L, 1);
}

/* ---- the sandbox's own versions of base functions ---------------------- */

static void push_env_from(lua_State *L)
{
    lua_newtable(L);
    lua_createtable(L, 0, 2);
    lua_getfield(L, LUA_REGISTRYINDEX, OAK_LUA_BASE_ENV);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
}

/* load(text [, name [, mode [, env]]]): text only, never the real globals */
static int sb_load(lua_State *L)
{
    size_t len;
    const char *src = luaL_checklstring(L, 1, &len);
    const char *name = luaL_optstring(L, 2, "=(load)");
    const char *mode = luaL_optstring(L, 3, "t");
    int rc;

    if (strchr(mode, 'b'))
        return luaL_error(L, "load: binary chunks are not allowed");
    if (!lua_isnoneornil(L, 4))
        luaL_checktype(L, 4, LUA_TTABLE);
    rc = luaL_loadbufferx(L, src, len, name, "t");
    if (rc != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;
    }
    if (!lua_isnoneornil(L, 4))
        lua_pushvalue(L, 4);
    else
        push_env_from(L);
    if (!lua_setupvalue(L, -2, 1))
        lua_pop(L, 1);
    return 1;
}

static int sb_getmetatable(lua_State *L)
{
    luaL_checkany(L, 1);
    if (lua_type(L, 1) != LUA_TTABLE) {
        lua_pushnil(L);            /* never the string metatable */
        return 1;
    }
    if (!lua_getmetatable(L, 1)) {
        lua_pushnil(L);
        return 1;
    }
    luaL_getmetafield(L, 1, "__metatable");
    return 1;
}

/* setmetatable(t, mt): no __gc, __mode or __close; the metatable in force
 * is a private copy (marked by a key scripts cannot make), so such fields
 * cannot be added afterwards; getmetatable still answers MT. */
static const char copy_mark;

static int sb_setmetatable(lua_State *L)
{
    static const char *const refused[] = { "__gc", "__mode", "__close", NULL };
    int t = lua_type(L, 2), ours = 0;

    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (lua_getmetatable(L, 1)) {
        lua_pushlightuserdata(L, (void *)&copy_mark);
        ours = lua_rawget(L, -2) != LUA_TNIL;
        if (!ours && luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
            return luaL_error(L, "cannot change a protected metatable");
    }
    lua_settop(L, 2);
    if (t == LUA_TNIL) {
        lua_setmetatable(L, 1);
        return 1;
    }
    for (int i = 0; refused[i]; i++) {
        lua_pushstring(L, refused[i]);
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "setmetatable: %s is not allowed in rule scripts", refused[i]);
        lua_pop(L, 1);
    }
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, 3);
    }
    lua_pushliteral(L, "__metatable");
    if (lua_rawget(L, 3) == LUA_TNIL) {
        lua_pushlightuserdata(L, (void *)&copy_mark);
        lua_pushboolean(L, 1);
        lua_rawset(L, 3);
        lua_pushvalue(L, 2);
        lua_setfield(L, 3, "__metatable");
    }
    lua_pop(L, 1);
    lua_setmetatable(L, 1);
    lua_settop(L, 1);
    return 1;
}

/* xpcall(f, handler, ...): the handler runs after the protected call has
 * returned, with hooks on. Lua's own xpcall runs it inside the error, and
 * when the error is the budget's, inside the count hook with hooks off,
 * where an endless handler would never be stopped. */
static int sb_xpcall(lua_State *L)
{
    int n = lua_gettop(L);

    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 1);
    for (int i = 3; i <= n; i++)
        lua_pushvalue(L, i);
    if (lua_pcall(L, n - 2, LUA_MULTRET, 0) == LUA_OK)
        return lua_gettop(L) - n;
    lua_pushvalue(L, 2);
    lua_insert(L, -2);
    lua_pcall(L, 1, 1, 0);
    lua_pushboolean(L, 0);
    lua_replace(L, n + 1);
    return 2;
}

static int sb_collectgarbage(lua_State *L)
{
    const char *opt = luaL_optstring(L, 1, "collect");

    if (strcmp(opt, "count") != 0)
        return luaL_error(L, "collectgarbage: only \"count\" is allowed in rule scripts");
    lua_pushnumber(L, (lua_Number)lua_gc(L, LUA_GCCOUNT, 0) +
                          (lua_Number)lua_gc(L, LUA_GCCOUNTB, 0) / 1024.0);
    return 1;
}

static int sb_require(lua_State *L)
{
    struct oak_sandbox *sb = self(L);
    const char *name = luaL_checkstring(L, 1);

    if (strcmp(name, "oak") == 0) {
        lua_getfield(L, LUA_REGISTRYINDEX, OAK_LUA_BASE_ENV);
        lua_getfield(L, -1, "oak");
        return 1;
    }
    if (!sb->require)
        return luaL_error(L, "module '%s' not found", name);
    lua_settop(L, 1);
    return sb->require(L, name, sb->require_ud);
}

/* ---- bounded string functions -------------------------------------------- */

static void check_pattern(lua_State *L, int subject, int pattern)
{
    size_t sl, pl;
    int quant = 0;
    const char *p;

    luaL_checklstring(L, subject, &sl);
    p = luaL_checklstring(L, pattern, &pl);
    if (pl > PATTERN_MAX)
        luaL_error(L, "pattern longer than %d bytes", PATTERN_MAX);
    if (sl > SUBJECT_MAX)
        luaL_error(L, "string of %d bytes is too long for pattern matching (limit %d)", (int)sl,
                   SUBJECT_MAX);
    for (size_t i = 0; i < pl; i++) {
        if (p[i] == '%') {
            i++;
            continue;
        }
        if (p[i] == '*' || p[i] == '+' || p[i] == '-' || p[i] == '?')
            quant++;
    }
    if (quant > PATTERN_QUANTIFIERS)
        luaL_error(L, "pattern has %d repetition items (limit %d)", quant, PATTERN_QUANTIFIERS);
}

static int call_upvalue(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

static int plain_find(lua_State *L)
{
    /* string.find(s, p, init, true) does no pattern matching */
    return lua_toboolean(L, 4);
}

static int sb_find(lua_State *L)
{
    if (!plain_find(L))
        check_pattern(L, 1, 2);
    return call_upvalue(L);
}

static int sb_pattern(lua_State *L)
{
    check_pattern(L, 1, 2);
    return call_upvalue(L);
}

static int sb_rep(lua_State *L)
{
    size_t l, ls = 0;
    lua_Integer n;

    luaL_checklstring(L, 1, &l);
    n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &ls);
    if (n > 0 && (l + ls) > 0 && (lua_Unsigned)n > REP_MAX / (l + ls))
        return luaL_error(L, "string.rep: result larger than %d bytes", REP_MAX);
    /* rep("", n) still loops n times in C, where no hook runs */
    if (n > REP_MAX)
        return luaL_error(L, "string.rep: more than %d repetitions", REP_MAX);
    return call_upvalue(L);
}

/* table.move(a1, f, e, t [, a2]): its loop runs in C, where no hook runs
 * (an empty table moved over 1e15 indices never ends), so bound e - f. */
static int sb_move(lua_State *L)
{
    lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);

    luaL_checkinteger(L, 4);
    if (e >= f && (lua_Unsigned)e - (lua_Unsigned)f >= MOVE_MAX)
        return luaL_error(L, "table.move: more than %d elements", MOVE_MAX);
    return call_upvalue(L);
}

static void wrap(lua_State *L, int lib, const char *name, lua_CFunction f)
{
    lua_getfield(L, lib, name);
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, lib, name);
}

/* ---- building the base environment ------------------------------------- */

static int read_only(lua_State *L)
{
    return luaL_error(L, "cannot assign %s: library tables are read-only in rule scripts",
                      lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "a field");
}

/* Replace the table at the top by a read-only proxy of it. */
static void make_proxy(lua_State *L)
{
    lua_newtable(L);
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, read_only);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_remove(L, -2);
}

/* Open library NAME, keep only the functions in KEEP (NULL: all), and
 * leave the table on the stack. */
static void open_lib(lua_State *L, const char *name, lua_CFunction open, const char *const *keep)
{
    luaL_requiref(L, name, open, 0);
    if (!keep)
        return;
    lua_newtable(L);
    for (int i = 0; keep[i]; i++) {
        lua_getfield(L, -2, keep[i]);
        lua_setfield(L, -2, keep[i]);
    }
    lua_remove(L, -2);
}

static void build_base(lua_State *L)
{
    static const char *const base_keep[] = {
        "assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "rawlen",
        "select", "tonumber", "tostring", "type", NULL
    };
    static const char *const os_keep[] = { "time", "date", NULL };
    static const luaL_Reg own[] = {
        { "load", sb_load },
        { "getmetatable", sb_getmetatable },
        { "setmetatable", sb_setmetatable },
        { "collectgarbage", sb_collectgarbage },
        { "xpcall", sb_xpcall },
        { "require", sb_require },
        { NULL, NULL }
    };
    static const struct { const char *name; lua_CFunction open; } libs[] = {
        { LUA_TABLIBNAME, luaopen_table },
        { LUA_MATHLIBNAME, luaopen_math },
        { LUA_UTF8LIBNAME, luaopen_utf8 },
        { LUA_COLIBNAME, luaopen_coroutine },
    };
    int base;

    lua_newtable(L);
    base = lua_gettop(L);

    /* base functions: opened into the real globals, copied, then removed */
    luaL_requiref(L, LUA_GNAME, luaopen_base, 0);
    for (int i = 0; base_keep[i]; i++) {
        lua_getfield(L, -1, base_keep[i]);
        lua_setfield(L, base, base_keep[i]);
    }
    lua_pop(L, 1);
    lua_pushglobaltable(L);
    lua_pushnil(L);
    while (lua_next(L, -2)) {      /* empty the real globals */
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushnil(L);
        lua_rawset(L, -4);
    }
    lua_pop(L, 1);
    luaL_setfuncs(L, own, 0);

    /* string: no dump, bounded patterns and rep; also the strings' __index */
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    wrap(L, lua_gettop(L), "find", sb_find);
    wrap(L, lua_gettop(L), "match", sb_pattern);
    wrap(L, lua_gettop(L), "gmatch", sb_pattern);
    wrap(L, lua_gettop(L), "gsub", sb_pattern);
    wrap(L, lua_gettop(L), "rep", sb_rep);
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 2);
    make_proxy(L);
    lua_setfield(L, base, "string");

    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        open_lib(L, libs[i].name, libs[i].open, NULL);
        if (libs[i].open == luaopen_table)
            wrap(L, lua_gettop(L), "move", sb_move);
        make_proxy(L);
        lua_setfield(L, base, libs[i].name);
    }
    open_lib(L, LUA_OSLIBNAME, luaopen_os, os_keep);
    make_proxy(L);
    lua_setfield(L, base, "os");

    /* the loaded-modules table would hand out the real library tables */
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_setfield(L, LUA_REGISTRYINDEX, OAK_LUA_BASE_ENV);
}

static int panic(lua_State *L)
{
    const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";

    fprintf(stderr, "oakseed: lua: unprotected error: %s\n", m);
    return 0;                      /* Lua aborts the process */
}

static int build(lua_State *L)
{
    build_base(L);
    return 0;
}

struct oak_sandbox *oak_sandbox_new(const struct oak_lua_limits *lim)
{
    struct oak_sandbox *sb = calloc(1, sizeof *sb);
    struct sigaction sa;

    if (!sb)
        return NULL;
    sb->lim = *lim;
    if (!sb->lim.memory)
        sb->lim.memory = 16u << 20;
    if (sb->lim.instructions <= 0)
        sb->lim.instructions = 1000000;
    if (sb->lim.timeout_ms <= 0)
        sb->lim.timeout_ms = 2000;
    sb->L = lua_newstate(sb_alloc, sb);
    if (!sb->L) {
        free(sb);
        return NULL;
    }
    lua_atpanic(sb->L, panic);
    lua_pushcfunction(sb->L, build);
    if (lua_pcall(sb->L, 0, 0, 0) != LUA_OK) {
        lua_close(sb->L);
        free(sb);
        return NULL;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = watchdog;
    /* SA_RESTART: the timer now also fires while nothing overran (see
     * watchdog), and must not fail the system calls it interrupts */
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct sigevent ev;

    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGALRM;
    ev.sigev_value.sival_ptr = sb;
    /* to this thread: the handler then never races a free of the sandbox
     * (oak_sandbox_free disarms the timer first, in this thread, and a
     * signal already queued is delivered before that call returns) */
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev._sigev_un._tid = gettid();
    sb->has_timer = timer_create(CLOCK_MONOTONIC, &ev, &sb->timer) == 0;
    if (!sb->has_timer)
        oak_warn("lua: no watchdog timer for this state; only the instruction budget applies");
    return sb;
}

void oak_sandbox_free(struct oak_sandbox *sb)
{
    if (!sb)
        return;
    if (sb->has_timer) {
        set_timer(sb, 0);
        timer_delete(sb->timer);
    }
    lua_close(sb->L);
    free(sb);
}

lua_State *oak_sandbox_state(struct oak_sandbox *sb)
{
    return sb->L;
}

void oak_sandbox_add_library(struct oak_sandbox *sb, const char *name, const luaL_Reg *fns)
{
    lua_State *L = sb->L;

    lua_getfield(L, LUA_REGISTRYINDEX, OAK_LUA_BASE_ENV);
    if (name) {
        lua_newtable(L);
        luaL_setfuncs(L, fns, 0);
        make_proxy(L);
        lua_setfield(L, -2, name);
    } else {
        luaL_setfuncs(L, fns, 0);
    }
    lua_pop(L, 1);
}

void oak_sandbox_add_function(struct oak_sandbox *sb, const char *lib, const char *name,
                              lua_CFunction fn, void *ud)
{
    lua_State *L = sb->L;

    lua_getfield(L, LUA_REGISTRYINDEX, OAK_LUA_BASE_ENV);
    if (lua_getfield(L, -1, lib) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        make_proxy(L);
        lua_setfield(L, -3, lib);
    } else {
        lua_getmetatable(L, -1);     /* the proxy's: __index is the table */
        lua_getfield(L, -1, "__index");
        lua_remove(L, -2);
        lua_remove(L, -2);
    }
    lua_pushlightuserdata(L, ud);
    lua_pushcclosure(L, fn, 1);
    lua_setfield(L, -2, name);
    lua_pop(L, 2);
}

void oak_sandbox_push_env(struct oak_sandbox *sb)
{
    push_env_from(sb->L);
}

int oak_sandbox_load(struct oak_sandbox *sb, const char *src, size_t len, const char *name,
                     char *err, size_t errlen)
{
    lua_State *L = sb->L;
    int rc;

    if (len && src[0] == LUA_SIGNATURE[0]) {
        snprintf(err, errlen, "%s: binary chunks are not allowed", name[0] == '@' ? name + 1 : name);
        lua_pop(L, 1);
        return -1;
    }
    rc = luaL_loadbufferx(L, src, len, name, "t");
    if (rc != LUA_OK) {
        take_error(L, rc, err, errlen);
        lua_pop(L, 1);
        return -1;
    }
    lua_insert(L, -2);
    if (!lua_setupvalue(L, -2, 1))
        lua_pop(L, 1);
    return 0;
}

int oak_sandbox_call(struct oak_sandbox *sb, int nargs, int nresults, char *err, size_t errlen)
{
    lua_State *L = sb->L;
    int base = lua_gettop(L) - nargs, rc;
    lua_Debug ar;

    if (lua_getinfo(L, ">S", (lua_pushvalue(L, base), &ar))) {
        size_t n = strnlen(ar.short_src, sizeof sb->chunk - 1);

        memcpy(sb->chunk, ar.short_src, n);
        sb->chunk[n] = '\0';
    }
    lua_pushcfunction(L, msgh);
    lua_insert(L, base);
    sb->counted = 0;
    sb->blown = 0;
    lua_sethook(L, count_hook, LUA_MASKCOUNT, HOOK_EVERY);
    arm_for_call(sb);
    sb->enforcing = 1;
    rc = lua_pcall(L, nargs, nresults, base);
    sb->enforcing = 0;
    atomic_store(&sb->in_call, 0);
    sb->last = sb->counted;
    lua_sethook(L, NULL, 0, 0);
    lua_remove(L, base);
    if (rc == LUA_OK)
        return 0;
    take_error(L, rc, err, errlen);
    lua_gc(L, LUA_GCCOLLECT);
    return -1;
}

long oak_sandbox_last_instructions(const struct oak_sandbox *sb)
{
    return sb->last;
}

size_t oak_sandbox_memory(const struct oak_sandbox *sb)
{
    return sb->used;
}

void oak_sandbox_set_require(struct oak_sandbox *sb, oak_sandbox_require_fn fn, void *ud)
{
    sb->require = fn;
    sb->require_ud = ud;
}
