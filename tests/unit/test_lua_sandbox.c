/*
 * test_lua_sandbox.c - the sandbox escape and abuse suite: one check per
 * vector (forbidden libraries, binary chunks, the string metatable, memory
 * bombs, pathological patterns, endless loops that pcall/xpcall/coroutines
 * try to survive, deep recursion, hostile error objects and metatables).
 */
#include "lua_sandbox.h"
#include "tap.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct oak_sandbox *sb;
static char err[1024];
static char out[256];

/* Run SRC as a fresh script; 0 with its result in out, or -1 with err. */
static int run(const char *src)
{
    lua_State *L = oak_sandbox_state(sb);
    int top = lua_gettop(L);

    err[0] = out[0] = '\0';
    oak_sandbox_push_env(sb);
    if (oak_sandbox_load(sb, src, strlen(src), "@t/x.lua", err, sizeof err) != 0 ||
        oak_sandbox_call(sb, 0, 1, err, sizeof err) != 0) {
        if (lua_gettop(L) != top)
            printf("# stack not balanced after failure\n");
        return -1;
    }
    switch (lua_type(L, -1)) {
    case LUA_TSTRING:
    case LUA_TNUMBER:
        snprintf(out, sizeof out, "%s", lua_tostring(L, -1));
        break;
    case LUA_TBOOLEAN:
        snprintf(out, sizeof out, "%s", lua_toboolean(L, -1) ? "true" : "false");
        break;
    default:
        snprintf(out, sizeof out, "%s", luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    if (lua_gettop(L) != top)
        printf("# stack not balanced after success\n");
    return 0;
}

static int fails_with(const char *src, const char *needle)
{
    int rc = run(src);

    if (rc == 0) {
        printf("#   ran, returned %s\n", out);
        return 0;
    }
    if (!strstr(err, needle)) {
        printf("#   error was: %s\n", err);
        return 0;
    }
    return 1;
}

static int gives(const char *src, const char *want)
{
    if (run(src) != 0) {
        printf("#   error: %s\n", err);
        return 0;
    }
    if (strcmp(out, want) != 0) {
        printf("#   got %s, want %s\n", out, want);
        return 0;
    }
    return 1;
}

static int require_cb(lua_State *L, const char *name, void *ud)
{
    (void)ud;
    if (strcmp(name, "wording") == 0) {
        lua_newtable(L);
        lua_pushliteral(L, "请填写");
        lua_setfield(L, -2, "fill");
        return 1;
    }
    return luaL_error(L, "module '%s' not found in this region's lib folders", name);
}

static void forbidden(void)
{
    static const char *const absent[] = {
        "io", "package", "debug", "dofile", "loadfile", "rawset", "print", "_G",
        "os.execute", "os.getenv", "os.exit", "os.remove", "os.rename", "os.tmpname",
        "os.setlocale", "os.clock", "os.difftime", "string.dump", "utf8 and nil", NULL
    };
    char src[128];

    for (int i = 0; absent[i]; i++) {
        snprintf(src, sizeof src, "return %s == nil", absent[i]);
        ok(gives(src, "true"), "%s is not available", absent[i]);
    }
    ok(gives("return type(os.time()) .. type(os.date('%Y'))", "numberstring"),
       "os.time and os.date remain");
    ok(gives("return type(string.format) .. type(table.concat) .. type(math.floor) .. "
             "type(utf8.char) .. type(coroutine.wrap)", "functionfunctionfunctionfunctionfunction"),
       "string, table, math, utf8 and coroutine are there");
    ok(fails_with("return collectgarbage()", "only \"count\""), "collectgarbage() refused");
    ok(fails_with("return collectgarbage('stop')", "only \"count\""), "collectgarbage('stop') refused");
    ok(fails_with("return collectgarbage('step')", "only \"count\""), "collectgarbage('step') refused");
    ok(fails_with("return collectgarbage('incremental', 1000)", "only \"count\""),
       "collectgarbage('incremental') refused");
    ok(gives("return collectgarbage('count') > 0", "true"), "collectgarbage('count') answers");
    ok(fails_with("return require('io')", "module 'io' not found"), "require('io') refused");
    ok(fails_with("return require('os')", "module 'os' not found"), "require('os') refused");
    ok(gives("return require('wording').fill", "请填写"), "require of a region helper module");
}

static void binary_chunks(void)
{
    static const char bin[] = "\x1bLua\x54\x00\x19\x93\r\n\x1a\n";

    oak_sandbox_push_env(sb);
    ok(oak_sandbox_load(sb, bin, sizeof bin - 1, "@t/bin.lua", err, sizeof err) != 0 &&
           strstr(err, "binary chunks are not allowed"),
       "the host refuses a binary script (%s)", err);
    ok(gives("local f, e = load('\\27Lua\\84\\0\\25\\147\\r\\n\\26\\n') return f == nil and e:find('binary') ~= nil",
             "true"), "load() refuses a binary chunk");
    ok(fails_with("return load('return 1', 'x', 'b')", "binary chunks are not allowed"),
       "load() with mode 'b' refused");
    ok(fails_with("return load('return 1', 'x', 'bt')", "binary chunks are not allowed"),
       "load() with mode 'bt' refused");
    ok(fails_with("return load(function() return nil end)", "bad argument #1 to 'load'"),
       "load() of a reader function refused");
    ok(gives("x = 5 local f = load('x = 7 return io') return tostring(f()) .. x", "nil5"),
       "load()ed code runs in its own sandbox environment");
    ok(gives("local e = {y = 3} return load('return y', 'c', 't', e)()", "3"),
       "load() with an explicit environment");
    oak_sandbox_push_env(sb);
    ok(oak_sandbox_load(sb, "return (", 8, "@t/syntax.lua", err, sizeof err) != 0 &&
           strstr(err, "t/syntax.lua:1:"),
       "a syntax error names the file and line (%s)", err);
}

static void string_metatable(void)
{
    ok(gives("return getmetatable('') == nil", "true"), "getmetatable('') gives nothing");
    ok(gives("return getmetatable(1) == nil and getmetatable(print) == nil", "true"),
       "getmetatable of other non-tables gives nothing");
    ok(fails_with("string.upper = function() return 'pwned' end", "read-only"),
       "library tables cannot be assigned");
    ok(fails_with("string.find = nil", "read-only"), "library functions cannot be removed");
    ok(gives("return getmetatable(string)", "false"), "library proxies hide their metatable");
    ok(fails_with("setmetatable(string, {})", "protected metatable"),
       "library proxies' metatables cannot be replaced");
    ok(fails_with("setmetatable(_ENV, {__index = function() return 1 end})", "protected metatable"),
       "the script environment's metatable cannot be replaced");
    ok(gives("return ('abc'):upper() .. string.upper('d')", "ABCD"), "strings still have methods");
    ok(gives("return ('x').dump == nil", "true"), "no dump through string methods either");
    ok(fails_with("return ('a'):rep(40):find(('a*'):rep(12) .. 'b')", "repetition items"),
       "method calls use the bounded pattern functions too");
    ok(gives("math.x = 1", "nil") == 0 && strstr(err, "read-only"), "math is read-only as well");
}

static void memory_bombs(void)
{
    size_t before = oak_sandbox_memory(sb);

    ok(fails_with("return ('x'):rep(1 << 30)", "larger than"), "string.rep past 1 MiB refused");
    ok(fails_with("return ('xy'):rep(1 << 20, ',')", "larger than"), "string.rep with separator bounded");
    ok(fails_with("local s = 'x' for i = 1, 40 do s = s .. s end return #s", "t/x.lua: not enough memory"),
       "doubling concatenation hits the memory cap");
    ok(fails_with("local t = {} for i = 1, 1e9 do t[i] = ('y'):rep(64) .. i end", "memory"),
       "a growing table hits the memory cap");
    ok(fails_with("local t = {} for i = 1, 1e7 do t[#t + 1] = {} end", "memory"),
       "many small tables hit the memory cap");
    ok(fails_with("return #string.rep('', math.maxinteger)", "more than 1048576 repetitions"),
       "string.rep of an empty string a huge number of times is refused at once");
    ok(fails_with("return #string.rep('', math.maxinteger, '')", "more than 1048576 repetitions"),
       "with an empty separator too");
    ok(gives("return #(''):rep(1000)", "0"), "a small rep of an empty string still works");
    ok(fails_with("return table.move({}, 1, 1e15, 1)", "table.move: more than 1048576 elements"),
       "table.move over a huge empty range is refused at once");
    ok(fails_with("return table.move({}, math.mininteger, -1, 1, {})", "more than 1048576 elements"),
       "table.move over a range that would overflow is refused too");
    ok(gives("return table.concat(table.move({1, 2, 3}, 1, 3, 2), ',')", "1,1,2,3"),
       "an ordinary table.move works");
    ok(gives("return #table.move({}, 5, 1, 1)", "0"), "an empty range moves nothing");
    ok(fails_with("return table.concat(setmetatable({}, {__len = function() return 1e9 end}))",
                  ""), "table.concat over a lying length fails cleanly");
    ok(oak_sandbox_memory(sb) < before + (2u << 20),
       "memory goes back after a failed call (%zu -> %zu bytes)", before, oak_sandbox_memory(sb));
    ok(gives("return #('z'):rep(1000)", "1000"), "the state still works after the bombs");
}

static void patterns(void)
{
    ok(fails_with("return string.find(('a'):rep(40), ('a*'):rep(12) .. 'b')", "repetition items"),
       "the classic catastrophic pattern is refused at once");
    ok(fails_with("return string.match('x', ('x'):rep(300))", "longer than 256"),
       "a pattern past 256 bytes is refused");
    ok(fails_with("return string.find(('a'):rep(70000), 'a')", "too long for pattern"),
       "a subject past 64 KiB is refused");
    ok(gives("return string.find(('a'):rep(70000) .. 'b', 'b', 1, true)", "70001"),
       "plain find on a long subject is allowed");
    ok(fails_with("for w in string.gmatch('aaaa', 'a*a*a*a*a*') do end", "repetition items"),
       "gmatch is bounded");
    ok(fails_with("return (string.gsub('aaaa', 'a?a?a?a?a?', ''))", "repetition items"),
       "gsub is bounded");
    ok(gives("return ('  trim me  '):match('^%s*(.-)%s*$')", "trim me"), "ordinary patterns work");
    ok(gives("return ('2026-11-23'):match('^%d%d%d%d%-%d%d%-%d%d$') ~= nil", "true"),
       "an escaped %%- is not counted as repetition");
}

static void loops(void)
{
    ok(fails_with("while true do end", "instruction budget"), "an endless loop is stopped");
    ok(fails_with("while true do end", "t/x.lua:1:"), "the budget error names the file and line");
    ok(fails_with("for i = 1, 100 do pcall(function() while true do end end) end return 'escaped'",
                  "instruction budget"), "pcall cannot swallow the budget");
    ok(fails_with("local n = 0 while true do n = n + 1 pcall(error, 'x') end", "instruction budget"),
       "a loop of pcalls is stopped");
    ok(fails_with("xpcall(function() while true do end end, function() while true do end end) "
                  "return 'escaped'", "budget"), "xpcall's handler cannot carry on");
    ok(fails_with("local ok = xpcall(function() while true do end end, function(m) return m end) "
                  "while true do end", "budget"), "code after a failed xpcall is stopped");
    ok(fails_with("local co = coroutine.wrap(function() while true do end end) pcall(co) return 'escaped'",
                  "instruction budget"), "an endless coroutine is stopped");
    ok(fails_with("while true do coroutine.resume(coroutine.create(function() while true do end end)) end",
                  "instruction budget"), "resuming endless coroutines in a loop is stopped");
    ok(fails_with("local t = setmetatable({}, {__index = function(t, k) while true do end end}) return t.x",
                  "instruction budget"), "an endless metamethod is stopped");
    ok(fails_with("local t = {} for i = 1, 20 do t[i] = i end "
                  "table.sort(t, function(a, b) while true do end end)", "instruction budget"),
       "an endless sort comparator is stopped");
    ok(gives("local n = 0 for i = 1, 1000 do n = n + i end return n", "500500"),
       "the budget resets for the next call");
    ok(oak_sandbox_last_instructions(sb) < 100000, "a small call uses a small budget (%ld)",
       oak_sandbox_last_instructions(sb));
}

static void recursion(void)
{
    ok(fails_with("local function f(n) return 1 + f(n + 1) end return f(1)", "stack overflow") ||
           strstr(err, "memory limit"),
       "deep Lua recursion fails cleanly");
    ok(fails_with("local t t = setmetatable({}, {__index = function(_, k) return t[k] end}) return t.x",
                  "stack overflow"), "recursion through metamethods fails cleanly");
    ok(fails_with("local function f() return coroutine.wrap(f)() end return f()", ""),
       "recursion through nested coroutines fails cleanly");
    ok(fails_with("local s = ('('):rep(300) .. '1' .. (')'):rep(300) return load('return ' .. s)()",
                  ""), "a deeply nested expression fails cleanly");
    ok(gives("return 1", "1"), "the state still works after the recursion tests");
}

static void error_objects(void)
{
    ok(fails_with("error(setmetatable({}, {__tostring = function() while true do end end}))",
                  "error object is a table value"), "a looping __tostring is never called");
    ok(fails_with("error(setmetatable({}, {__tostring = function() error('boom') end}))",
                  "t/x.lua:1: error object is a table value"), "an erroring __tostring is never called");
    ok(fails_with("error({code = 1})", "error object is a table value"), "a table error object");
    ok(fails_with("error(nil)", "error object is a nil value"), "a nil error object");
    ok(fails_with("error('plain', 0)", "plain"), "a plain string error");
    ok(fails_with("local s = ('x'):rep() return s", "t/x.lua:1: bad argument #1 to 'rep'"),
       "errors raised in C functions get the script's file and line");
    ok(fails_with("setmetatable({}, {__gc = function() while true do end end})", "__gc is not allowed"),
       "__gc refused");
    ok(fails_with("setmetatable({}, {__mode = 'k'})", "__mode is not allowed"), "__mode refused");
    ok(fails_with("setmetatable({}, {__close = function() end})", "__close is not allowed"),
       "__close refused");
    ok(fails_with("local mt = {} local t = setmetatable({}, mt) mt.__close = function() end "
                  "local x <close> = t", "non-closable"), "__close added afterwards has no effect");
    ok(gives("local mt = {} local t = setmetatable({}, mt) mt.__mode = 'k' t[{}] = 1 "
             "return getmetatable(t) == mt", "true"), "__mode added afterwards stays out of force");
    lua_gc(oak_sandbox_state(sb), LUA_GCCOLLECT);
    ok(1, "a full collection after the metatable tests returns");
    ok(gives("local mt = {__index = function() return 42 end} local t = setmetatable({}, mt) "
             "setmetatable(t, nil) setmetatable(t, mt) return t.anything", "42"),
       "ordinary metatables can be set, cleared and set again");
    ok(gives("local t = setmetatable({}, {__metatable = 'mine'}) return getmetatable(t)", "mine"),
       "a script's own __metatable is honoured");
    ok(fails_with("local t = setmetatable({}, {__metatable = 'mine'}) setmetatable(t, {})",
                  "protected metatable"), "and protects its table");
}

static int demo_answer(lua_State *L)
{
    lua_pushinteger(L, 42);
    return 1;
}

static void isolation(void)
{
    static const luaL_Reg demo[] = { { "answer", demo_answer }, { NULL, NULL } };

    oak_sandbox_add_library(sb, "demo", demo);
    oak_sandbox_add_library(sb, NULL, demo);
    ok(gives("return demo.answer() + answer()", "84"), "host libraries and globals are callable");
    ok(fails_with("demo.answer = nil", "read-only"), "a host library is read-only");
    ok(gives("answer = 1 return answer", "1"), "a host global can be shadowed in one script");
    ok(gives("return answer()", "42"), "but stays for the others");
    ok(gives("leaked = 'secret' return 1", "1"), "a script writes a global");
    ok(gives("return leaked == nil", "true"), "another script does not see it");
    ok(gives("local ok = pcall(function() string.secret = 1 end) return string.secret == nil", "true"),
       "libraries stay unchanged for the next script");
}

/* A pattern within the limits that still backtracks for minutes: only the
 * watchdog ends it, by ending the process. */
static void watchdog(void)
{
    struct timespec t0, t1;
    char said[512] = "";
    int status = 0, fds[2];
    ssize_t n;
    pid_t pid;

    if (pipe(fds) != 0)
        return;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    if (pid == 0) {
        struct oak_lua_limits lim = { 16u << 20, 1000000, 300 };
        struct oak_sandbox *w = oak_sandbox_new(&lim);
        const char *src = "return string.find(('a'):rep(60000), 'a*a*a*b')";

        dup2(fds[1], 2);
        oak_sandbox_push_env(w);
        if (oak_sandbox_load(w, src, strlen(src), "@t/slow.lua", err, sizeof err) == 0)
            oak_sandbox_call(w, 0, 1, err, sizeof err);
        _exit(0);
    }
    close(fds[1]);
    for (size_t got = 0; got < sizeof said - 1; got += (size_t)n)
        if ((n = read(fds[0], said + got, sizeof said - 1 - got)) <= 0)
            break;
    said[strcspn(said, "\n")] = '\0';
    close(fds[0]);
    waitpid(pid, &status, 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ok(strstr(said, "t/slow.lua") && strstr(said, "ran past its time limit"),
       "the watchdog reports the runaway script (%s)", said);
    /* 70 normally; valgrind replaces the exit code with its own */
    ok(WIFEXITED(status) && WEXITSTATUS(status) != 0, "and ends the process (status %d)", status);
    ok(t1.tv_sec - t0.tv_sec < 10, "within its time limit");
}

int main(void)
{
    struct oak_lua_limits lim = { 4u << 20, 1000000, 10000 };

    sb = oak_sandbox_new(&lim);
    if (!sb) {
        printf("Bail out! no sandbox\n");
        return 1;
    }
    oak_sandbox_set_require(sb, require_cb, NULL);
    forbidden();
    binary_chunks();
    string_metatable();
    memory_bombs();
    patterns();
    loops();
    recursion();
    error_objects();
    isolation();
    watchdog();
    oak_sandbox_free(sb);
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}
