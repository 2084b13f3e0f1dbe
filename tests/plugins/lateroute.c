/* Test plugin exercising the API edges: a route without a permission is
 * refused, registering outside init is refused, and handlers that misuse
 * the API (no response, transaction left open, negative return) are
 * answered with a 500 envelope instead of crashing. */
#include <oakseed/plugin.h>
#include <stdio.h>
#include <string.h>

static const struct oak_host *host;
static oak_plugin_ctx *self;
static int refused_null_perm, refused_unknown_perm;

static int noop(oak_req *req, void *ud)
{
    (void)req; (void)ud;
    return OAK_OK;  /* never responds */
}

static int late(oak_req *req, void *ud)
{
    struct oak_error err = { 0, "" };
    int rc = host->route(self, "GET", "/api/lateroute/x", OAK_PUBLIC, noop, NULL, &err);
    oak_json *o = host->json_object();

    (void)ud;
    host->json_set(o, "rc", host->json_integer(rc));
    host->json_set(o, "refused_null_perm", host->json_bool(refused_null_perm));
    host->json_set(o, "refused_unknown_perm", host->json_bool(refused_unknown_perm));
    return host->respond_json(req, 200, o);
}

static int opentx(oak_req *req, void *ud)
{
    (void)ud;
    host->db_begin(NULL);
    return host->respond_json(req, 200, host->json_object());
}

static int fails(oak_req *req, void *ud)
{
    (void)req; (void)ud;
    return OAK_ERROR;
}

static int echo(oak_req *req, void *ud)
{
    oak_json *o = host->json_object(), *j = host->req_json(req);
    size_t len = 0;
    const char *b = host->req_body(req, &len);

    (void)ud;
    host->json_set(o, "method", host->json_string(host->req_method(req)));
    host->json_set(o, "path", host->json_string(host->req_path(req)));
    host->json_set(o, "name", host->json_string(host->req_param(req, "name")));
    if (host->req_query(req, "q"))
        host->json_set(o, "q", host->json_string(host->req_query(req, "q")));
    if (host->req_form(req, "f"))
        host->json_set(o, "f", host->json_string(host->req_form(req, "f")));
    if (host->req_cookie(req, "c"))
        host->json_set(o, "c", host->json_string(host->req_cookie(req, "c")));
    if (host->req_header(req, "X-Test"))
        host->json_set(o, "x_test", host->json_string(host->req_header(req, "X-Test")));
    if (j)
        host->json_set(o, "json", host->json_incref(j));
    host->json_set(o, "body_len", host->json_integer((long long)len));
    (void)b;
    return host->respond_json(req, 200, o);
}

static int lateroute_init(oak_plugin_ctx *ctx, const struct oak_host *h, struct oak_error *err)
{
    struct oak_error e = { 0, "" };

    host = h;
    self = ctx;
    refused_null_perm = h->route(ctx, "GET", "/api/lateroute/nullperm", NULL, noop, NULL, &e) == OAK_EINVAL;
    refused_unknown_perm = h->route(ctx, "GET", "/api/lateroute/unknown", "nobody.knows", noop, NULL, &e) == OAK_EINVAL;
    if (h->route(ctx, "GET", "/api/lateroute/late", OAK_PUBLIC, late, NULL, err) ||
        h->route(ctx, "GET", "/api/lateroute/noresponse", OAK_PUBLIC, noop, NULL, err) ||
        h->route(ctx, "POST", "/api/lateroute/opentx", OAK_PUBLIC, opentx, NULL, err) ||
        h->route(ctx, "GET", "/api/lateroute/fails", OAK_PUBLIC, fails, NULL, err) ||
        h->route(ctx, "POST", "/api/lateroute/echo/:name", OAK_PUBLIC, echo, NULL, err) ||
        h->route(ctx, "GET", "/api/lateroute/echo/:name", OAK_PUBLIC, echo, NULL, err))
        return err->code;
    return OAK_OK;
}

static const struct oak_plugin lateroute_plugin = {
    .abi_major = OAK_ABI_MAJOR,
    .abi_minor = OAK_ABI_MINOR,
    .name = "lateroute",
    .version = "0.0.1",
    .init = lateroute_init,
};

OAK_PLUGIN_EXPORT(lateroute_plugin)
