/*
 * server.h - the prefork master: owns the listen socket and the pid file,
 * forks workers, restarts crashed ones with back-off, recycles, reloads on
 * SIGHUP and drains on SIGTERM.
 */
#ifndef OAK_SERVER_H
#define OAK_SERVER_H

#include "app.h"

/* Open the listen socket described by "unix:/path" or "HOST:PORT".
 * Returns the fd (non-blocking, close-on-exec) or -1 with err set. */
int oak_listen_open(const char *spec, int mode, const char *group, char *err, size_t errlen);

/* Serve until SIGTERM/SIGINT. Returns the process exit status. */
int oak_server_run(const struct oak_cli *cli);

#endif
