/*
 * users.h - staff account administration for the command line
 * (`oakseed user ...`). Every change is written to the audit log with the
 * actor "cli".
 */
#ifndef OAK_USERS_H
#define OAK_USERS_H

struct oak_app;

/* Run `oakseed user ARGS...` against the current database connection.
 * Returns the process exit status; messages go to stdout/stderr. */
int oak_users_cli(struct oak_app *app, int argc, char **argv);

#endif
