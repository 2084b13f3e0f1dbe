/*
 * handover.h - passing idle kept FastCGI connections from a worker that
 * stops (reload, max_requests) to the workers that carry on.
 *
 * With nginx's fastcgi_keep_conn the web server owns a kept connection:
 * FastCGI has no way for the application to say "do not send on this one
 * any more", and nginx never retries a POST whose kept connection was
 * closed under it (502). So a stopping worker does not close its idle
 * connections: it sends them (SCM_RIGHTS) into a queue the master created
 * before forking any worker and keeps open, and any serving worker takes
 * them from there, a request nginx already sent on one included. The queue
 * outlives every worker, so a lone worker's replacement picks them up too.
 */
#ifndef OAK_HANDOVER_H
#define OAK_HANDOVER_H

/* Master, once before the first fork: create the queue. 0, or -1 with
 * errno set (then workers close their connections as before). */
int oak_handover_open(void);
/* Master, at exit: close the queue; connections still in it close. */
void oak_handover_close(void);
/* Worker: queue connection FD (the caller still closes its own copy).
 * 0 when queued, -1 when there is no queue or it is full. */
int oak_handover_give(int fd);
/* Worker: one connection from the queue (close-on-exec), or -1 when none
 * is waiting. */
int oak_handover_take(void);
/* The descriptor that polls readable when a connection waits, or -1. */
int oak_handover_fd(void);

#endif
