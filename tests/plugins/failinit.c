/* Test plugin whose init registers a route and then fails: the host must
 * report the reason and undo the registration. */
#include <oakseed/plugin.h>
#include <stdio.h>

static int failinit_handler(oak_req *req, void *ud)
{
    (void)req; (void)ud;
    return OAK_ERROR;
}

static int failinit_init(oak_plugin_ctx *ctx, const struct oak_host *h, struct oak_error *err)
{
    if (h->route(ctx, "GET", "/api/failinit/ping", OAK_PUBLIC, failinit_handler, NULL, err))
        return err->code;
    snprintf(err->message, sizeof err->message, "required setting 'token' is missing");
    return err->code = OAK_EINVAL;
}

static const struct oak_plugin failinit_plugin = {
    .abi_major = OAK_ABI_MAJOR,
    .abi_minor = OAK_ABI_MINOR,
    .name = "failinit",
    .version = "0.0.1",
    .init = failinit_init,
};

OAK_PLUGIN_EXPORT(failinit_plugin)
