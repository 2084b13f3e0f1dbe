/*
 * lua_sandbox.h - one sandboxed Lua 5.4 state per worker for the regional
 * rule scripts: allow-listed libraries only, text chunks only, a memory
 * cap through the allocator, an instruction budget per call that pcall
 * cannot swallow, bounded pattern matching, a watchdog for what no hook
 * can interrupt, and error messages taken without running metamethods.
 *
 * Nothing a script does can crash or hang the worker beyond the watchdog,
 * which ends the worker (the master replaces it) when a call overruns its
 * wall-clock limit.
 */
#ifndef OAK_LUA_SANDBOX_H
#define OAK_LUA_SANDBOX_H

#include <stddef.h>

typedef struct lua_State lua_State;

struct oak_lua_limits {
    size_t memory;            /* bytes the whole state may hold (default 16 MiB) */
    long instructions;        /* VM instructions per call (default 1,000,000) */
    int timeout_ms;           /* wall clock per call before the watchdog (default 2000) */
};

struct oak_sandbox;

/* Create a state with the sandbox globals in place. Returns NULL on
 * allocation failure. The base environment (the read-only global table
 * scripts see through their own _ENV) is in the registry under
 * OAK_LUA_BASE_ENV. */
struct oak_sandbox *oak_sandbox_new(const struct oak_lua_limits *lim);
void oak_sandbox_free(struct oak_sandbox *sb);
lua_State *oak_sandbox_state(struct oak_sandbox *sb);

#define OAK_LUA_BASE_ENV "oak.base_env"

/* Add the functions FNS to the base environment: as the read-only table
 * NAME, or as globals when NAME is NULL. */
typedef struct luaL_Reg luaL_Reg;
void oak_sandbox_add_library(struct oak_sandbox *sb, const char *name, const luaL_Reg *fns);

/* Add FN, with UD as its first upvalue (a light userdata), to the
 * read-only table LIB of the base environment, creating it if needed. */
typedef int (*lua_CFunction)(lua_State *L);
void oak_sandbox_add_function(struct oak_sandbox *sb, const char *lib, const char *name,
                              lua_CFunction fn, void *ud);

/* Push a new environment table for one script: reads fall through to the
 * read-only base, writes stay in this table. */
void oak_sandbox_push_env(struct oak_sandbox *sb);

/* Compile SRC (text only; binary chunks are refused) as chunk NAME (e.g.
 * "@scripts/530000/example.validate.lua") with the environment table on
 * the top of the stack as its _ENV (the table is popped). On success the
 * function is pushed and 0 returned; otherwise the message goes to err and
 * nothing is pushed. */
int oak_sandbox_load(struct oak_sandbox *sb, const char *src, size_t len, const char *name,
                     char *err, size_t errlen);

/* Call the function below NARGS arguments on the stack, under the budget,
 * the memory cap and the watchdog, with a message handler adding the
 * script's file:line. Leaves NRESULTS results (LUA_MULTRET allowed) and
 * returns 0, or returns -1 with "file:line: message" in err and nothing
 * pushed. Never raises into C. */
int oak_sandbox_call(struct oak_sandbox *sb, int nargs, int nresults, char *err, size_t errlen);

/* Instructions used by the last call (for the benchmark and tests). */
long oak_sandbox_last_instructions(const struct oak_sandbox *sb);

/* Bytes currently held by the state. */
size_t oak_sandbox_memory(const struct oak_sandbox *sb);

/* The module loader used by require(NAME) inside scripts: set by the
 * scripts layer; it must push the module value (or raise an error). */
typedef int (*oak_sandbox_require_fn)(lua_State *L, const char *name, void *ud);
void oak_sandbox_set_require(struct oak_sandbox *sb, oak_sandbox_require_fn fn, void *ud);

#endif
