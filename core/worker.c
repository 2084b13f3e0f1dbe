/*
 * worker.c - a worker process (see worker.h).
 *
 * The listen socket is non-blocking and shared by all workers. Each
 * serving thread (one by default, [server] threads) waits in ppoll() on
 * the listen socket, on every FastCGI connection it holds and on a wake
 * pipe, with SIGTERM unblocked only there: a stop request can only arrive
 * while the thread is idle; while a request runs SIGTERM stays blocked and
 * is acted on once the response is out. That is how reload and shutdown
 * never cut an in-flight request.
 *
 * A thread holds several connections: with nginx's fastcgi_keep_conn on,
 * a connection stays open between requests, and a thread that waited on
 * one idle connection only (libfcgi's own loop) would stop taking any
 * other — the keep-alive stall. Here an idle connection costs nothing but
 * a slot in the poll set. Each thread has its own SQLite connection, Lua
 * state, arena and buffers; nothing in the request path is shared.
 *
 * Group commit: while a thread has requests waiting, their transactions
 * join one (oak_db_batch_start) and it holds their answers; when nothing
 * more is waiting, the batch holds [database] group_commit answers or has
 * been open GROUP_COMMIT_MS, one COMMIT and one fsync make them all
 * durable and only then are the answers sent. A batch that fails is
 * answered 503 for every member: no answer ever tells of a write that is
 * not on the disk. With one request at a time this is the plain commit.
 *
 * A worker being replaced (SIGUSR2 from a reloading master, or
 * max_requests) hands its idle kept connections to the workers that carry
 * on instead of closing them (handover.h): nginx may send on a kept
 * connection at any moment and does not retry a POST caught by a close.
 */
#include "worker.h"
#include "app.h"
#include "arena.h"
#include "auth.h"
#include "buf.h"
#include "db.h"
#include "handover.h"
#include "http.h"
#include "json.h"
#include "clock.h"
#include "log.h"
#include "plugins.h"
#include "router.h"
#include "scripts.h"
#include "urlencode.h"

#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <malloc.h>
#include <openssl/rand.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

/* FastCGI connections one thread keeps open at most; nginx opens one per
 * request in flight plus its idle keepalive cache. Past this the thread
 * stops accepting and leaves new connections to the others. */
#define CONNS_PER_THREAD 128
/* The most answers one batch holds ([database] group_commit, at most),
 * and how long a batch takes in more requests after its first member. */
#define GROUP_COMMIT_MAX 64
#define GROUP_COMMIT_MS 10.0

static atomic_int stop_requested;      /* set by SIGTERM, SIGUSR2 or max_requests */
static atomic_int hand_over;           /* on stop, pass kept connections on */
static int wake_pipe[2] = { -1, -1 };   /* readable once the worker stops */

static void wake_all(void)
{
    ssize_t n = write(wake_pipe[1], "x", 1);

    (void)n;                              /* full pipe: already readable */
}

static void on_stop(int sig)
{
    int saved = errno;

    /* SIGUSR2: the master replaces us (reload); SIGTERM: it stops */
    hand_over = sig == SIGUSR2;
    stop_requested = 1;
    wake_all();
    errno = saved;
}

/* An answer held until the batch its request joined is committed. */
struct held {
    int slot;                    /* in conns */
    int status;
    double t0;
    char id[33];
    struct oak_buf out;          /* the rendered answer */
    struct oak_buf line;         /* "METHOD PATH" for the access log */
};

struct worker {
    struct oak_app *app;
    struct oak_arena arena;
    struct oak_buf resp_headers, resp_body, out;
    char id_prefix[17];            /* a request id: these 16 hex digits, then the counter's */
    unsigned long long id_counter;
    char *body_buf;
    size_t body_cap;
    /* the serving thread's own */
    struct oak_db *db;
    int listen_fd;
    sigset_t waitmask;
    pthread_t thread;
    int started;
    double db_retry_at;          /* next reopen_db attempt, ms */
    FCGX_Request conns[CONNS_PER_THREAD];
    unsigned char holding[CONNS_PER_THREAD];   /* its answer is held */
    struct held held[GROUP_COMMIT_MAX];
    int nheld;
    int batch_broken;            /* an answer could not be held: fail the batch */
    double batch_t0;
    int batch_max;               /* [database] group_commit */
};

/* Requests served by all threads of this process (max_requests). */
static atomic_long served_total;

static void fail_response(struct oak_req *req, const struct oak_http_fail *f)
{
    if (f->field[0])
        oak_resp_error_field(req, f->field, f->message);
    oak_resp_error(req, f->status, f->code, f->message);
}

/* The answer when the database cannot be used (busy, full, read-only,
 * unopenable, failing, or writes latched off after a disk failure). */
static void respond_unavailable(struct oak_req *req)
{
    oak_resp_error(req, 503, "service_unavailable",
                   "服务暂时不可用，请稍后再试 (service temporarily unavailable)");
}

/* Who is asking and may they: session, permission, CSRF. Returns 1 to
 * go on, 0 when a response (401/403) is already set. */
static int oak_access(struct oak_app *app, struct oak_req *req, struct oak_actor *buf)
{
    const struct oak_route *rt = req->route;
    int public = strcmp(rt->permission, OAK_PUBLIC) == 0;
    int unsafe = strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0;
    int rc = oak_session_lookup(app, req, buf);

    if (rc < 0) {
        respond_unavailable(req);
        return 0;
    }
    req->actor = rc == 1 ? buf : NULL;
    /* a state-changing request made with a session must prove it came
     * from our own pages */
    if (req->actor && unsafe && !oak_csrf_ok(req, req->actor)) {
        if (public) {
            req->actor = NULL;       /* go on without the session's powers */
        } else {
            oak_resp_error(req, 403, "csrf_failed",
                           "页面已过期，请刷新后重试 (missing or wrong X-CSRF-Token)");
            return 0;
        }
    }
    if (public)
        return 1;
    if (!req->actor) {
        oak_resp_error(req, 401, "unauthenticated", "请先登录 (authentication required)");
        return 0;
    }
    if (!oak_actor_has(app, req->actor, rt->permission)) {
        oak_resp_error(req, 403, "forbidden", "没有权限 (permission denied)");
        return 0;
    }
    return 1;
}

void oak_dispatch(struct oak_app *app, struct oak_req *req)
{
    struct oak_actor actor_storage;
    struct oak_actor *actor_buf = &actor_storage;

    req->app = app;
    char allow[64];
    int status, rc, io_failed, json_oom;
    const struct oak_route *rt;

    rt = oak_router_match(&app->router, req->method, req->raw_path, req->arena,
                          &req->params, &status, allow, sizeof allow);
    if (!rt) {
        if (status == 405) {
            oak_resp_header(req, "Allow", allow);
            oak_resp_error(req, 405, "method_not_allowed", "不支持该请求方法 (method not allowed)");
        } else if (status == 400) {
            oak_resp_error(req, 400, "bad_request", "请求路径编码无效 (malformed path encoding)");
        } else if (status == 500) {
            oak_resp_error(req, 500, "internal_error", "服务器内部错误 (internal error)");
        } else {
            oak_resp_error(req, 404, "not_found", "未找到该资源 (not found)");
        }
        return;
    }
    req->route = rt;
    if (!oak_access(app, req, actor_buf))
        return;
    oak_actor_set_current(req->actor);
    oak_db_take_io_error();
    oak_json_take_oom();
    rc = rt->fn((oak_req *)req, rt->ud);
    oak_actor_set_current(NULL);
    json_oom = oak_json_take_oom();
    /* The one place a database that cannot be used (full disk, read-only
     * or unopenable file, I/O error, the write latch) becomes a 503: a
     * handler that failed after such an error, however it answered (500,
     * a script error, no answer), is reported as unavailable, not broken. */
    io_failed = oak_db_take_io_error() && (rc < 0 || !req->responded || req->status >= 500);
    if (oak_db_reset_all() > 0)
        oak_warn("%s: handler for %s %s left statements unfinished", rt->owner_name,
                 rt->method, rt->pattern);
    if (oak_db_in_tx()) {
        /* whatever it answered, the write it meant is not committed */
        oak_error("%s: handler for %s %s returned with a transaction open; rolled back",
                  rt->owner_name, rt->method, rt->pattern);
        oak_db_rollback();
        if (io_failed || rc == OAK_EIO || rc == OAK_EBUSY)
            respond_unavailable(req);
        else
            oak_resp_error(req, 500, "internal_error", "服务器内部错误 (internal error)");
    } else if (json_oom && !io_failed) {
        /* a JSON value built while memory ran out may lack a member: never
         * answer it (nor a decision taken on it) as if it were whole */
        oak_error("%s: %s %s: out of memory building JSON (handler answered %d); answering 500",
                  rt->owner_name, rt->method, rt->pattern, req->status);
        /* if even this fails it leaves no answer, and oak_resp_output
         * sends its static 500 envelope */
        oak_resp_error(req, 500, "internal_error", "服务器内部错误 (out of memory)");
    } else if (io_failed && rc != OAK_EBUSY && rc != OAK_EIO) {
        oak_error("%s: %s %s: database unavailable (handler answered %d, returned %d)",
                  rt->owner_name, rt->method, rt->pattern, req->status, rc);
        respond_unavailable(req);
    } else if (rc == OAK_ESCRIPT) {
        oak_resp_error(req, 500, "script_error",
                       "地区规则执行失败，请联系管理员 (a regional rule failed; the log has details)");
    } else if (rc == OAK_EPERM) {
        oak_resp_error(req, 403, "forbidden", "没有权限 (permission denied)");
    } else if (rc == OAK_EAUTH) {
        oak_resp_error(req, 401, "unauthenticated", "请先登录 (authentication required)");
    } else if (rc == OAK_EBUSY || rc == OAK_EIO) {
        oak_error("%s: %s %s: database unavailable (%d)", rt->owner_name, rt->method,
                  rt->pattern, rc);
        respond_unavailable(req);
    } else if (rc < 0) {
        oak_error("%s: %s %s: handler failed (%d)", rt->owner_name, rt->method, rt->pattern, rc);
        oak_resp_error(req, 500, "internal_error", "服务器内部错误 (internal error)");
    } else if (!req->responded) {
        oak_error("%s: %s %s: handler returned without a response", rt->owner_name,
                  rt->method, rt->pattern);
        oak_resp_error(req, 500, "internal_error", "服务器内部错误 (internal error)");
    }
}

/* Finish the request on C and, unless nginx keeps the connection, close
 * it. libfcgi closes by shutting down the write side and reading until
 * nginx closes too (for up to 2 s), so that bytes nginx sent that nobody
 * read cannot turn the close into a reset that loses the answer. Once the
 * request's input has been read to its end (the empty FCGI_STDIN record),
 * nginx sends nothing more on a connection it does not keep, and a plain
 * close() is just as clean: detached, libfcgi skips the shutdown, the wait
 * for nginx's side and its two system calls. Reading that last record
 * costs nothing when it came with the rest, as it does from nginx; EOF
 * without an error is that record. */
static void finish(FCGX_Request *c)
{
    if (!c->keepConnection && FCGX_GetChar(c->in) == EOF && FCGX_GetError(c->in) == 0)
        FCGX_Detach(c);
    FCGX_Finish_r(c);
}

/* Read exactly LEN body bytes; returns bytes read. */
static size_t read_body(FCGX_Stream *in, char *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        int n = FCGX_GetStr(buf + got, (int)(len - got > 65536 ? 65536 : len - got), in);

        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

/* Discard what is left of the body so nginx sees a clean exchange. */
static void drain_body(FCGX_Stream *in)
{
    char scratch[8192];

    while (FCGX_GetStr(scratch, sizeof scratch, in) > 0)
        ;
}

static struct oak_db *open_db(struct oak_app *app);

/* A worker whose database could not be opened (gone, unreadable, its
 * volume not mounted) answers 503 and tries again, at most once a second,
 * rather than exiting into a crash loop that nginx would report as 502.
 * Returns 1 once there is a connection. */
static int reopen_db(struct worker *w)
{
    double now = oak_now_ms();

    if (now < w->db_retry_at)
        return 0;
    w->db_retry_at = now + 1000;
    if (!(w->db = open_db(w->app)))
        return 0;
    oak_db_use(w->db);
    oak_info("worker: database open again");
    return 1;
}

/* "access METHOD PATH STATUS 1.23ms ID" (PATH NULL: METHOD holds both),
 * held back until the thread has nothing to do (poll_serve) or its buffer
 * is full; the time to the hundredth of a millisecond, without
 * floating-point formatting. */
static void access_line(const char *method, const char *path, int status, double t0,
                        const char *id)
{
    long us = (long)((oak_now_ms() - t0) * 1000.0);

    if (us < 0)
        us = 0;
    oak_log_held(OAK_L_INFO, "access %s%s%s %d %ld.%02ldms %s", method, path ? " " : "",
                 path ? path : "", status, us / 1000, us % 1000 / 10, id);
}

/* Keep REQ's answer on FR until its batch is committed (batch_end). When
 * it cannot be kept, the whole batch fails: its write may already be part
 * of the batch, and it must not be stored while its answer says nothing. */
static void hold(struct worker *w, FCGX_Request *fr, struct oak_req *req, double t0)
{
    struct held *h = &w->held[w->nheld++];
    size_t n;
    const char *bytes = oak_resp_output(req, &w->out, &n);

    if (w->nheld == 1)
        w->batch_t0 = t0;
    h->slot = (int)(fr - w->conns);
    h->status = req->status;
    h->t0 = t0;
    memcpy(h->id, req->id, sizeof h->id);
    w->holding[h->slot] = 1;
    oak_buf_reset(&h->out);
    oak_buf_reset(&h->line);
    if (oak_buf_append(&h->out, bytes, n) < 0 ||
        oak_buf_printf(&h->line, "%s %s", req->method ? req->method : "-",
                       req->raw_path ? req->raw_path : "-") < 0) {
        oak_error("worker: out of memory holding an answer; failing its group commit");
        w->batch_broken = 1;
    }
}

/* Commit the open batch, then send every held answer: as given when the
 * commit stored them, 503 for all when it did not. */
static void batch_end(struct worker *w)
{
    struct oak_error err = { 0 };
    int failed = 0, open = oak_db_batch_open();

    if (oak_db_batch_end(!w->batch_broken, &err) != OAK_OK || w->batch_broken) {
        failed = 1;
        if (w->nheld)
            oak_error("worker: group commit of %d request%s failed (%s): answering 503",
                      w->nheld, w->nheld == 1 ? "" : "s", err.message[0] ? err.message : "out of memory");
    } else if (open) {
        oak_debug("worker: group commit of %d request%s, %.2fms after the first began",
                  w->nheld, w->nheld == 1 ? "" : "s", oak_now_ms() - w->batch_t0);
    }
    for (int i = 0; i < w->nheld; i++) {
        struct held *h = &w->held[i];
        FCGX_Request *c = &w->conns[h->slot];
        const char *bytes = h->out.data;
        size_t n = h->out.len;
        struct oak_req req;

        if (failed || !bytes) {
            oak_arena_reset(&w->arena);
            oak_req_reset(&req, &w->arena, &w->resp_headers, &w->resp_body, &w->app->limits);
            req.resp_out = &w->out;
            memcpy(req.id, h->id, sizeof req.id);
            respond_unavailable(&req);
            bytes = oak_resp_output(&req, &w->out, &n);
            h->status = req.status;
            oak_req_release(&req);
        }
        FCGX_PutStr(bytes, (int)n, c->out);
        finish(c);
        w->holding[h->slot] = 0;
        if (w->app->cfg.access_log)
            access_line(h->line.data ? h->line.data : "- -", NULL, h->status, h->t0, h->id);
    }
    w->nheld = 0;
    w->batch_broken = 0;
    oak_db_checkpoint_due();
}

static void handle(struct worker *w, FCGX_Request *fr)
{
    struct oak_req req;
    struct oak_http_fail fail;
    char gen[33];
    double t0 = oak_now_ms();

    oak_arena_reset(&w->arena);
    oak_req_reset(&req, &w->arena, &w->resp_headers, &w->resp_body, &w->app->limits);
    /* each answer is rendered here when it is set (http.h) */
    req.resp_out = &w->out;
    {
        unsigned long long v = ++w->id_counter;
        unsigned char be[8];

        for (int i = 7; i >= 0; i--, v >>= 8)
            be[i] = (unsigned char)v;
        memcpy(gen, w->id_prefix, 16);
        oak_hex_encode(be, sizeof be, gen + 16);
    }
    memset(&fail, 0, sizeof fail);

    if (oak_req_parse_params(&req, fr->envp, gen, &fail) < 0) {
        drain_body(fr->in);
        fail_response(&req, &fail);
        goto send;
    }
    if (req.content_length > 0) {
        size_t len = (size_t)req.content_length, got;

        if (len + 1 > w->body_cap) {
            char *p = realloc(w->body_buf, len + 1);

            if (!p) {
                drain_body(fr->in);
                oak_resp_error(&req, 500, "internal_error", "服务器内部错误 (out of memory)");
                goto send;
            }
            w->body_buf = p;
            w->body_cap = len + 1;
        }
        got = read_body(fr->in, w->body_buf, len);
        w->body_buf[got] = '\0';
        if (got != len) {
            oak_resp_error(&req, 400, "bad_request", "请求体不完整 (incomplete body)");
            goto send;
        }
        if (oak_req_set_body(&req, w->body_buf, len, &fail) < 0) {
            fail_response(&req, &fail);
            goto send;
        }
    }
    if (!w->db && !reopen_db(w))
        respond_unavailable(&req);
    else
        oak_dispatch(w->app, &req);
send:
    if (oak_db_batch_open()) {
        hold(w, fr, &req, t0);
    } else {
        /* rendered when it was set, so this needs no memory: an answer
         * given before a commit cannot turn into a failure after it */
        size_t n;
        const char *bytes = oak_resp_output(&req, &w->out, &n);

        FCGX_PutStr(bytes, (int)n, fr->out);
        if (w->app->cfg.access_log)
            access_line(req.method ? req.method : "-", req.raw_path ? req.raw_path : "-",
                        req.status, t0, req.id);
    }
    oak_req_release(&req);
}

static struct oak_db *open_db(struct oak_app *app)
{
    struct oak_db_options o = {
        .path = app->cfg.db_path,
        .synchronous = app->cfg.synchronous,
        .busy_timeout = app->cfg.busy_timeout,
        /* the master created and migrated it: a missing file means a
         * volume not mounted or a path gone, never a new empty database */
        .must_exist = 1,
    };
    char err[512];
    struct oak_db *db = oak_db_open(&o, err, sizeof err);

    if (!db) {
        oak_error("worker: database: %s", err);
        return NULL;
    }
    if (oak_auth_register_sql(oak_db_sqlite(db)) < 0) {
        oak_error("worker: cannot register SQL functions");
        oak_db_close(db);
        return NULL;
    }
    return db;
}

static void stop_all(void)
{
    stop_requested = 1;
    wake_all();
}

/* One request on connection C: FCGX_Accept_r reads it from the open
 * connection, or accepts a new one when C is free. Returns 1 when a
 * request was served. */
static int serve_one(struct worker *w, FCGX_Request *c)
{
    long max = w->app->cfg.max_requests;
    int rc = FCGX_Accept_r(c);

    if (rc < 0) {
        /* the peer closed a kept connection, another worker took the new
         * one, or it went away: the slot is free again */
        if (rc != -EAGAIN && rc != -EWOULDBLOCK && rc != -ECONNABORTED && rc != -EINTR &&
            rc != -ECONNRESET && rc != -EPIPE)
            oak_warn("worker: accept: %s", strerror(-rc));
        return 0;
    }
    handle(w, c);
    if (!w->holding[c - w->conns])
        finish(c);
    if (max && atomic_fetch_add(&served_total, 1) + 1 >= max) {
        if (!stop_requested)
            hand_over = 1;        /* recycled: a replacement follows */
        stop_all();
    }
    return 1;
}

/* Take a kept connection another worker handed over into a free slot;
 * its next request (perhaps already waiting) is read like any other. */
static void adopt(struct worker *w)
{
    for (int i = 0; i < CONNS_PER_THREAD; i++) {
        FCGX_Request *c = &w->conns[i];

        if (c->ipcFd >= 0)
            continue;
        c->ipcFd = oak_handover_take();
        /* what FCGX_Finish_r leaves of a kept connection */
        c->keepConnection = c->ipcFd >= 0;
        return;
    }
}

/* Let go of the connections this thread keeps, all idle between requests.
 * When the worker is replaced they go to the workers that carry on, a
 * request nginx sent meanwhile included, unread. When it stops for good
 * they are closed, a request nginx already sent on one answered first. */
static void close_conns(struct worker *w)
{
    for (int i = 0; i < CONNS_PER_THREAD; i++) {
        FCGX_Request *c = &w->conns[i];
        struct pollfd pfd = { .fd = c->ipcFd, .events = POLLIN };

        if (c->ipcFd < 0)
            continue;
        if (hand_over && oak_handover_give(c->ipcFd) == 0) {
            /* not FCGX_Free(c, 1): its shutdown() would end the
             * connection for the worker that takes it */
            close(c->ipcFd);
            c->ipcFd = -1;
            c->keepConnection = 0;
            continue;
        }
        if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) && !(pfd.revents & POLLHUP))
            serve_one(w, c);
        if (c->ipcFd >= 0)
            FCGX_Free(c, 1);
    }
}

/* Wait (WAIT) or only look (!WAIT) for requests on this thread's
 * connections, the listen socket and the hand-over queue, and serve what
 * is ready, connections already open first: nginx is waiting on those.
 * A connection whose answer is held is not asked again. Returns how many
 * requests were served, or -1 when the thread must stop. */
static int poll_serve(struct worker *w, int wait)
{
    static const struct timespec now = { 0, 0 };
    struct pollfd pfd[CONNS_PER_THREAD + 3];
    int slot[CONNS_PER_THREAD + 3];
    int n = 0, free_slot = -1, listen_at = -1, take_at = -1, served = 0, rc;
    int room = w->batch_max - w->nheld;

    pfd[n++] = (struct pollfd){ .fd = wake_pipe[0], .events = POLLIN };
    for (int i = 0; i < CONNS_PER_THREAD; i++) {
        if (w->conns[i].ipcFd < 0) {
            if (free_slot < 0)
                free_slot = i;
            continue;
        }
        if (w->holding[i])
            continue;
        slot[n] = i;
        pfd[n++] = (struct pollfd){ .fd = w->conns[i].ipcFd, .events = POLLIN };
    }
    if (free_slot >= 0) {
        slot[n] = free_slot;
        listen_at = n;
        pfd[n++] = (struct pollfd){ .fd = w->listen_fd, .events = POLLIN };
        if (oak_handover_fd() >= 0) {
            take_at = n;
            pfd[n++] = (struct pollfd){ .fd = oak_handover_fd(), .events = POLLIN };
        }
    }
    rc = ppoll(pfd, (nfds_t)n, wait && !oak_log_pending() ? NULL : &now, &w->waitmask);
    if (rc == 0 && wait) {
        /* nothing to do: the access lines held back go out before it waits */
        oak_log_flush();
        rc = ppoll(pfd, (nfds_t)n, NULL, &w->waitmask);
    }
    if (rc < 0) {
        if (errno == EINTR)
            return 0;
        oak_error("worker: poll: %s", strerror(errno));
        stop_all();
        return -1;
    }
    /* a full batch leaves the rest ready for after its commit */
    for (int i = 1; i < n && !stop_requested && served < room; i++)
        if (pfd[i].revents && i != listen_at && i != take_at)
            served += serve_one(w, &w->conns[slot[i]]);
    if (listen_at >= 0 && !stop_requested && served < room && (pfd[listen_at].revents & POLLIN))
        served += serve_one(w, &w->conns[slot[listen_at]]);
    if (take_at >= 0 && !stop_requested && (pfd[take_at].revents & POLLIN))
        adopt(w);
    return served;
}

/* Whether an open batch should take in more requests before it commits. */
static int batch_has_room(const struct worker *w)
{
    return oak_db_batch_open() && !stop_requested && w->nheld < w->batch_max &&
           oak_now_ms() - w->batch_t0 < GROUP_COMMIT_MS;
}

static void serve(struct worker *w)
{
    oak_db_use(w->db);
    while (!stop_requested) {
        if (w->batch_max > 1 && w->db)
            oak_db_batch_start();
        if (poll_serve(w, 1) >= 0)
            while (batch_has_room(w) && poll_serve(w, 0) > 0)
                ;
        batch_end(w);
    }
    close_conns(w);
    oak_log_flush();
    oak_db_use(NULL);
    /* this thread's Lua state goes with it */
    oak_scripts_runtime_reset();
}

static void *thread_main(void *arg)
{
    serve(arg);
    return NULL;
}

static int worker_init(struct worker *w, struct oak_app *app, int listen_fd,
                       const sigset_t *waitmask)
{
    unsigned char rnd[8];

    memset(w, 0, sizeof *w);
    w->app = app;
    w->listen_fd = listen_fd;
    w->waitmask = *waitmask;
    w->batch_max = app->cfg.group_commit < GROUP_COMMIT_MAX ? app->cfg.group_commit : GROUP_COMMIT_MAX;
    if (w->batch_max < 1)
        w->batch_max = 1;
    oak_arena_init(&w->arena, 16384);
    for (int i = 0; i < CONNS_PER_THREAD; i++)
        if (FCGX_InitRequest(&w->conns[i], listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
            return -1;
    if (RAND_bytes(rnd, sizeof rnd) != 1) {
        oak_error("worker: RAND_bytes failed");
        return -1;
    }
    oak_hex_encode(rnd, sizeof rnd, w->id_prefix);
    /* without a database the thread answers 503 and retries (reopen_db) */
    w->db = open_db(app);
    w->db_retry_at = oak_now_ms() + 1000;
    return 0;
}

static void worker_free(struct worker *w)
{
    for (int i = 0; i < CONNS_PER_THREAD; i++)
        FCGX_Free(&w->conns[i], 1);
    oak_db_close(w->db);
    oak_arena_free(&w->arena);
    oak_buf_free(&w->resp_headers);
    oak_buf_free(&w->resp_body);
    oak_buf_free(&w->out);
    for (int i = 0; i < GROUP_COMMIT_MAX; i++) {
        oak_buf_free(&w->held[i].out);
        oak_buf_free(&w->held[i].line);
    }
    free(w->body_buf);
}

int oak_worker_run(struct oak_app *app, int listen_fd, pid_t master)
{
    struct worker *w;
    struct sigaction sa;
    sigset_t block, waitmask;
    int nthreads = app->cfg.threads > 0 ? app->cfg.threads : 1, status = 0;

    /* a worker outliving its master would keep the socket; stop with it */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    /* keep freed memory for the next request instead of giving it back
     * and faulting it in again: glibc's defaults trimmed the heap and
     * unmapped large blocks on every registration (brk, munmap and page
     * faults were a tenth of a worker's CPU) */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    mallopt(M_TRIM_THRESHOLD, 2 << 20);
    mallopt(M_TOP_PAD, 256 << 10);
    if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        oak_error("worker: pipe: %s", strerror(errno));
        return 1;
    }
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &sa, NULL);
    /* blocked before any thread starts, so every thread inherits it */
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGUSR2);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);
    sigdelset(&waitmask, SIGUSR2);

    /* the master died before the prctl: nothing will signal us (and the
     * orphan may have gone to a subreaper rather than to init) */
    if (getppid() != master)
        return 0;
    if (FCGX_Init() != 0) {
        oak_error("worker: FCGX_Init failed");
        return 1;
    }
    w = calloc((size_t)nthreads, sizeof *w);
    if (!w) {
        oak_error("worker: out of memory");
        return 1;
    }
    for (int i = 0; i < nthreads; i++)
        if (worker_init(&w[i], app, listen_fd, &waitmask) < 0) {
            status = 1;
            goto out;
        }
    oak_debug("worker started with %d thread%s", nthreads, nthreads == 1 ? "" : "s");
    /* the first thread serves on the process's own */
    for (int i = 1; i < nthreads; i++) {
        int rc = pthread_create(&w[i].thread, NULL, thread_main, &w[i]);

        if (rc != 0) {
            oak_error("worker: cannot start thread %d: %s", i, strerror(rc));
            stop_all();
            status = 1;
            break;
        }
        w[i].started = 1;
    }
    if (!status)
        serve(&w[0]);
    for (int i = 1; i < nthreads; i++)
        if (w[i].started)
            pthread_join(w[i].thread, NULL);
out:
    for (int i = 0; i < nthreads; i++)
        worker_free(&w[i]);
    free(w);
    oak_debug("worker exiting after %ld requests", (long)served_total);
    return status;
}
