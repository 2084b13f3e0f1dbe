/*
 * worker.h - one worker process: its own SQLite connection, a loop on
 * FCGX_Accept_r, and the per-request pipeline (parse, route, check access,
 * run the handler, answer, log one access line).
 */
#ifndef OAK_WORKER_H
#define OAK_WORKER_H

#include <sys/types.h>

struct oak_app;
struct oak_req;

/* Run until told to stop (SIGTERM), max_requests is reached or master (the
 * pid that forked us) is gone. Returns the process exit status. */
int oak_worker_run(struct oak_app *app, int listen_fd, pid_t master);

/* The request pipeline after parsing: route, access check, handler and
 * the post-handler checks. Exposed for tests that drive it without
 * FastCGI. */
void oak_dispatch(struct oak_app *app, struct oak_req *req);

#endif
