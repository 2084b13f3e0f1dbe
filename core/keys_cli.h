/*
 * keys_cli.h - `oakseed keygen FILE` and `oakseed keys rotate`: make a key
 * file, add a data key and re-encrypt every declared encrypted column under
 * it in batches that can be interrupted and resumed.
 */
#ifndef OAK_KEYS_CLI_H
#define OAK_KEYS_CLI_H

struct oak_app;

int oak_keygen_cli(const char *path);
/* Uses the current database connection. Returns the exit status. */
int oak_keys_cli(struct oak_app *app, int argc, char **argv);

#endif
