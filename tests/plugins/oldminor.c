/* Test plugin built for ABI 1.0, the oldest minor: a newer host must load
 * it (the host-services table only grows at its end). Its one route
 * answers the host's minor, which it reads as the ABI tells it to. */
#include <oakseed/plugin.h>
#include <stdio.h>

static const struct oak_host *host;

static int abi(oak_req *req, void *ud)
{
    oak_json *o = host->json_object();
    char v[32];

    (void)ud;
    snprintf(v, sizeof v, "%u.%u", (unsigned)host->abi_major, (unsigned)host->abi_minor);
    host->json_set(o, "host_abi", host->json_string(v));
    return host->respond_json(req, 200, o);
}

static int oldminor_init(oak_plugin_ctx *ctx, const struct oak_host *h, struct oak_error *err)
{
    host = h;
    return host->route(ctx, "GET", "/api/oldminor", OAK_PUBLIC, abi, NULL, err);
}

static const struct oak_plugin oldminor_plugin = {
    .abi_major = OAK_ABI_MAJOR,
    .abi_minor = 0,
    .name = "oldminor",
    .version = "0.0.1",
    .init = oldminor_init,
};

OAK_PLUGIN_EXPORT(oldminor_plugin)
