/* Test plugin: GET /api/echo?nonce=N answers the nonce of the query, the
 * X-Nonce header and the request id, after an optional pause of ?us=
 * microseconds (at most 20 ms) so requests overlap; POST /api/echo answers
 * the "nonce" of its JSON body, the header and the request id. For the
 * crossed-responses test: a response must carry its own request's nonce
 * and request id, never another's.
 *
 * GET /api/echo/unsafe?action=A is deliberately injectable: it pastes A
 * into its SQL. It is the sqlmap test's positive control (a scan that
 * cannot find this finds nothing anywhere). Test plugin only. */
#define _POSIX_C_SOURCE 200809L  /* nanosleep under -std=c11 */
#include <oakseed/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct oak_host *host;

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

static int echo_get(oak_req *req, void *ud)
{
    const char *us = host->req_query(req, "us");
    long v = us ? strtol(us, NULL, 10) : 0;
    oak_json *o = host->json_object();

    (void)ud;
    if (v > 0 && v <= 20000) {
        struct timespec ts = { 0, v * 1000L };

        while (nanosleep(&ts, &ts) != 0)
            ;
    }
    host->json_set(o, "nonce", host->json_string(or_empty(host->req_query(req, "nonce"))));
    host->json_set(o, "header", host->json_string(or_empty(host->req_header(req, "X-Nonce"))));
    host->json_set(o, "request_id", host->json_string(or_empty(host->req_id(req))));
    return host->respond_json(req, 200, o);
}

static int echo_post(oak_req *req, void *ud)
{
    oak_json *body = host->req_json(req), *o = host->json_object();
    const char *n = host->json_str(host->json_get(body, "nonce"));

    (void)ud;
    host->json_set(o, "nonce", host->json_string(or_empty(n)));
    host->json_set(o, "header", host->json_string(or_empty(host->req_header(req, "X-Nonce"))));
    host->json_set(o, "request_id", host->json_string(or_empty(host->req_id(req))));
    return host->respond_json(req, 200, o);
}

static int echo_unsafe(oak_req *req, void *ud)
{
    const char *a = host->req_query(req, "action");
    char sql[512];
    struct oak_error err;
    oak_stmt *st;
    oak_json *o;
    int rc;

    (void)ud;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM core_audit WHERE action = '%s'", a ? a : "");
    if (strlen(sql) >= sizeof sql - 1 || host->db_prepare(sql, &st, &err) != OAK_OK)
        return host->error(req, 400, "bad_request", "bad action");
    rc = host->db_step(st, &err);
    o = host->json_object();
    host->json_set(o, "count", host->json_integer(rc == OAK_ROW ? host->db_column_int(st, 0) : -1));
    host->db_finish(st);
    return host->respond_json(req, 200, o);
}

static int echo_init(oak_plugin_ctx *ctx, const struct oak_host *h, struct oak_error *err)
{
    host = h;
    if (h->route(ctx, "GET", "/api/echo", OAK_PUBLIC, echo_get, NULL, err) ||
        h->route(ctx, "POST", "/api/echo", OAK_PUBLIC, echo_post, NULL, err) ||
        h->route(ctx, "GET", "/api/echo/unsafe", OAK_PUBLIC, echo_unsafe, NULL, err))
        return err->code;
    return OAK_OK;
}

static const struct oak_plugin echo_plugin = {
    .abi_major = OAK_ABI_MAJOR,
    .abi_minor = OAK_ABI_MINOR,
    .name = "echo",
    .version = "0.0.1",
    .init = echo_init,
};

OAK_PLUGIN_EXPORT(echo_plugin)
