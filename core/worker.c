/*
 * worker.c - a worker process (see worker.h).
 *
 * The listen socket is non-blocking and shared by all workers. A worker
 * waits in ppoll() with SIGTERM unblocked, so a stop request can only
 * arrive while it is idle; while a request runs SIGTERM stays blocked and
 * is acted on once the response is out. That is how reload and shutdown
 * never cut an in-flight request.
 */
#include "worker.h"
#include "app.h"
#include "arena.h"
#include "auth.h"
#include "buf.h"
#include "db.h"
#include "http.h"
#include "clock.h"
#include "log.h"
#include "plugins.h"
#include "router.h"

#include <errno.h>
#include <fcgiapp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

struct worker {
    struct oak_app *app;
    struct oak_arena arena;
    struct oak_buf resp_headers, resp_body, out;
    unsigned long long id_prefix, id_counter;
    char *body_buf;
    size_t body_cap;
};


static void fail_response(struct oak_req *req, const struct oak_http_fail *f)
{
    if (f->field[0])
        oak_resp_error_field(req, f->field, f->message);
    oak_resp_error(req, f->status, f->code, f->message);
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
        oak_resp_error(req, 503, "service_unavailable",
                       "服务暂时不可用，请稍后再试 (service temporarily unavailable)");
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
    int status, rc;
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
    rc = rt->fn((oak_req *)req, rt->ud);
    oak_actor_set_current(NULL);
    if (oak_db_reset_all() > 0)
        oak_warn("%s: handler for %s %s left statements unfinished", rt->owner_name,
                 rt->method, rt->pattern);
    if (oak_db_in_tx()) {
        /* whatever it answered, the write it meant is not committed */
        oak_error("%s: handler for %s %s returned with a transaction open; rolled back",
                  rt->owner_name, rt->method, rt->pattern);
        oak_db_rollback();
        oak_resp_error(req, 500, "internal_error", "服务器内部错误 (internal error)");
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
        oak_resp_error(req, 503, "service_unavailable",
                       "服务暂时不可用，请稍后再试 (service temporarily unavailable)");
    } else if (rc < 0) {
        oak_error("%s: %s %s: handler failed (%d)", rt->owner_name, rt->method, rt->pattern, rc);
        oak_resp_error(req, 500, "internal_error", "服务器内部错误 (internal error)");
    } else if (!req->responded) {
        oak_error("%s: %s %s: handler returned without a response", rt->owner_name,
                  rt->method, rt->pattern);
        oak_resp_error(req, 500, "internal_error", "服务器内部错误 (internal error)");
    }
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

static void handle(struct worker *w, FCGX_Request *fr)
{
    struct oak_req req;
    struct oak_http_fail fail;
    char gen[33];
    double t0 = oak_now_ms();

    oak_arena_reset(&w->arena);
    oak_req_reset(&req, &w->arena, &w->resp_headers, &w->resp_body, &w->app->limits);
    snprintf(gen, sizeof gen, "%016llx%016llx", w->id_prefix, ++w->id_counter);
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
    oak_dispatch(w->app, &req);
send:
    if (oak_resp_serialize(&req, &w->out) < 0) {
        static const char oom[] = "Status: 500 Internal Server Error\r\n"
                                  "Content-Type: application/json; charset=utf-8\r\n\r\n"
                                  "{\"error\":{\"code\":\"internal_error\",\"message\":\"out of memory\",\"fields\":{}}}";
        FCGX_PutStr(oom, sizeof oom - 1, fr->out);
    } else {
        FCGX_PutStr(w->out.data, (int)w->out.len, fr->out);
    }
    if (w->app->cfg.access_log)
        oak_log(OAK_L_INFO, "access %s %s %d %.2fms %s", req.method ? req.method : "-",
                req.raw_path ? req.raw_path : "-", req.status, oak_now_ms() - t0, req.id);
    oak_req_release(&req);
}

static int open_db(struct worker *w)
{
    struct oak_db_options o = {
        .path = w->app->cfg.db_path,
        .synchronous = w->app->cfg.synchronous,
        .busy_timeout = w->app->cfg.busy_timeout,
    };
    char err[512];
    struct oak_db *db = oak_db_open(&o, err, sizeof err);

    if (!db) {
        oak_error("worker: database: %s", err);
        return -1;
    }
    if (oak_auth_register_sql(oak_db_sqlite(db)) < 0) {
        oak_error("worker: cannot register SQL functions");
        oak_db_close(db);
        return -1;
    }
    oak_db_use(db);
    return 0;
}

int oak_worker_run(struct oak_app *app, int listen_fd)
{
    struct worker w;
    struct sigaction sa;
    sigset_t block, waitmask;
    FCGX_Request fr;
    long served = 0;
    unsigned char rnd[8];

    memset(&w, 0, sizeof w);
    w.app = app;
    oak_arena_init(&w.arena, 16384);

    /* a worker outliving its master would keep the socket; stop with it */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGPIPE, &sa, NULL);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &sa, NULL);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);

    if (getppid() == 1)
        return 0;
    if (RAND_bytes(rnd, sizeof rnd) != 1) {
        oak_error("worker: RAND_bytes failed");
        return 1;
    }
    memcpy(&w.id_prefix, rnd, sizeof rnd);
    if (open_db(&w) < 0)
        return 1;
    if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
        oak_error("worker: FCGX_Init failed");
        return 1;
    }
    oak_debug("worker started");
    while (!stop_requested) {
        struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
        int rc;

        if (app->cfg.max_requests && served >= app->cfg.max_requests)
            break;
        rc = ppoll(&pfd, 1, NULL, &waitmask);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            oak_error("worker: poll: %s", strerror(errno));
            break;
        }
        rc = FCGX_Accept_r(&fr);
        if (rc < 0) {
            /* another worker took the connection, or it went away */
            if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -ECONNABORTED || rc == -EINTR)
                continue;
            oak_warn("worker: accept: %s", strerror(-rc));
            continue;
        }
        handle(&w, &fr);
        FCGX_Finish_r(&fr);
        served++;
    }
    FCGX_Free(&fr, 1);
    oak_db_close(oak_db_current());
    oak_arena_free(&w.arena);
    oak_buf_free(&w.resp_headers);
    oak_buf_free(&w.resp_body);
    oak_buf_free(&w.out);
    free(w.body_buf);
    oak_debug("worker exiting after %ld requests", served);
    return 0;
}
