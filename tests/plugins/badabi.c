/* Test plugin built for a future ABI major: the host must refuse it. */
#include <oakseed/plugin.h>

static int badabi_init(oak_plugin_ctx *ctx, const struct oak_host *h, struct oak_error *err)
{
    (void)ctx; (void)h; (void)err;
    return OAK_OK;
}

static const struct oak_plugin badabi_plugin = {
    .abi_major = OAK_ABI_MAJOR + 1,
    .abi_minor = 0,
    .name = "badabi",
    .version = "0.0.1",
    .init = badabi_init,
};

OAK_PLUGIN_EXPORT(badabi_plugin)
