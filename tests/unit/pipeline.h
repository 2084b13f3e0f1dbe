/*
 * pipeline.h - drive the request pipeline (parse, dispatch, serialize)
 * without FastCGI, for tests of handlers and access rules. Header-only:
 * each test program includes it once.
 */
#ifndef OAK_TEST_PIPELINE_H
#define OAK_TEST_PIPELINE_H

#include "app.h"
#include "arena.h"
#include "http.h"
#include "worker.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* A caller: its session cookie, CSRF token, address and transport. */
struct client {
    char cookie[128];
    char csrf[64];
    const char *addr;
    int https;
};

static struct oak_arena pl_arena;
static struct oak_buf pl_hdrs, pl_body, pl_out;
static json_t *last;                 /* the last response body, parsed */
static char last_headers[2048];      /* the last response's extra headers */
static const char *pl_sent;          /* the bytes a worker would send for it */
static size_t pl_sent_len;

/* Run one request; returns the status a worker sends (the static 500 when
 * there was no answer or no memory to send it). C may be NULL (anonymous). */
static int pipeline_run(struct oak_app *app, const struct client *c, const char *method,
                        const char *uri, const char *ctype, const char *payload, int send_csrf)
{
    char m[64], u[512], ct[128], cl[64], ck[200], cs[120], ra[80];
    char *env[12];
    int n = 0, status;
    struct oak_req req;
    struct oak_http_fail fail;

    if (!pl_arena.block_size)
        oak_arena_init(&pl_arena, 4096);
    snprintf(m, sizeof m, "REQUEST_METHOD=%s", method);
    snprintf(u, sizeof u, "REQUEST_URI=%s", uri);
    env[n++] = m;
    env[n++] = u;
    snprintf(ra, sizeof ra, "REMOTE_ADDR=%s", c && c->addr ? c->addr : "127.0.0.1");
    env[n++] = ra;
    if (ctype) {
        snprintf(ct, sizeof ct, "CONTENT_TYPE=%s", ctype);
        env[n++] = ct;
    }
    if (payload) {
        snprintf(cl, sizeof cl, "CONTENT_LENGTH=%zu", strlen(payload));
        env[n++] = cl;
    }
    if (c && c->cookie[0]) {
        snprintf(ck, sizeof ck, "HTTP_COOKIE=oak_session=%s", c->cookie);
        env[n++] = ck;
    }
    if (c && c->https)
        env[n++] = "HTTPS=on";
    if (c && send_csrf) {
        snprintf(cs, sizeof cs, "HTTP_X_CSRF_TOKEN=%s", c->csrf);
        env[n++] = cs;
    }
    env[n] = NULL;
    oak_arena_reset(&pl_arena);
    oak_req_reset(&req, &pl_arena, &pl_hdrs, &pl_body, &app->limits);
    req.resp_out = &pl_out;       /* as the worker does */
    memset(&fail, 0, sizeof fail);
    if (oak_req_parse_params(&req, env, "0123456789abcdef0123456789abcdef", &fail) < 0 ||
        (payload && oak_req_set_body(&req, payload, strlen(payload), &fail) < 0))
        oak_resp_error(&req, fail.status, fail.code, fail.message);
    else
        oak_dispatch(app, &req);
    /* what the worker sends, as it sends it (oak_resp_output) */
    pl_sent = oak_resp_output(&req, &pl_out, &pl_sent_len);
    status = req.status;
    json_decref(last);
    if (pl_sent != pl_out.data) {
        /* the static 500: its body is what the client gets */
        const char *b = strstr(pl_sent, "\r\n\r\n");

        last = b ? json_loads(b + 4, 0, NULL) : NULL;
    } else {
        last = pl_body.len ? json_loads(pl_body.data, 0, NULL) : NULL;
    }
    snprintf(last_headers, sizeof last_headers, "%s", pl_hdrs.data ? pl_hdrs.data : "");
    oak_req_release(&req);
    return status;
}

/* The last error envelope's code, or NULL. */
static const char *code_of(void)
{
    return json_string_value(json_object_get(json_object_get(last, "error"), "code"));
}

static void pipeline_free(void)
{
    oak_arena_free(&pl_arena);
    oak_buf_free(&pl_hdrs);
    oak_buf_free(&pl_body);
    oak_buf_free(&pl_out);
    json_decref(last);
    last = NULL;
}

#endif
