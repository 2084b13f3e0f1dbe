/* Test plugin with a slow route (to prove draining) and a route that
 * kills its worker (to prove the master replaces it). */
#define _POSIX_C_SOURCE 200809L  /* nanosleep under -std=c11 */
#include <oakseed/plugin.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

static const struct oak_host *host;

static int slow(oak_req *req, void *ud)
{
    const char *ms = host->req_query(req, "ms");
    long v = ms ? strtol(ms, NULL, 10) : 500;
    struct timespec ts;
    oak_json *o = host->json_object();

    (void)ud;
    if (v < 0 || v > 10000)
        v = 500;
    ts.tv_sec = v / 1000;
    ts.tv_nsec = (v % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0)
        ;
    host->json_set(o, "slept_ms", host->json_integer(v));
    return host->respond_json(req, 200, o);
}

static int crash(oak_req *req, void *ud)
{
    (void)req; (void)ud;
    /* die by the signal itself: in a sanitizer build ASan's own SIGSEGV
     * handler would otherwise turn this deliberate crash into a report */
    signal(SIGSEGV, SIG_DFL);
    raise(SIGSEGV);
    return OAK_ERROR;
}

static int pid(oak_req *req, void *ud)
{
    oak_json *o = host->json_object();

    (void)ud;
    host->json_set(o, "ok", host->json_bool(1));
    return host->respond_json(req, 200, o);
}

static int crasher_init(oak_plugin_ctx *ctx, const struct oak_host *h, struct oak_error *err)
{
    host = h;
    if (h->route(ctx, "GET", "/api/crasher/slow", OAK_PUBLIC, slow, NULL, err) ||
        h->route(ctx, "GET", "/api/crasher/crash", OAK_PUBLIC, crash, NULL, err) ||
        h->route(ctx, "GET", "/api/crasher/ok", OAK_PUBLIC, pid, NULL, err))
        return err->code;
    return OAK_OK;
}

static const struct oak_plugin crasher_plugin = {
    .abi_major = OAK_ABI_MAJOR,
    .abi_minor = OAK_ABI_MINOR,
    .name = "crasher",
    .version = "0.0.1",
    .init = crasher_init,
};

OAK_PLUGIN_EXPORT(crasher_plugin)
