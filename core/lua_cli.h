/*
 * lua_cli.h - `oakseed lua check DIR`, `oakseed lua test DIR` and
 * `oakseed lua which HOOK REGION`: tools for the regional admins who write
 * rules, run offline against the scripts on disk.
 */
#ifndef OAK_LUA_CLI_H
#define OAK_LUA_CLI_H

struct oak_app;

/* Returns the process exit status. */
int oak_lua_cli(struct oak_app *app, int argc, char **argv);

#endif
