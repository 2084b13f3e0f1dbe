/* Test plugin built for a newer ABI minor than the host's: it may call
 * host services this oakseed does not have, so the host must refuse it. */
#include <oakseed/plugin.h>

static int newminor_init(oak_plugin_ctx *ctx, const struct oak_host *h, struct oak_error *err)
{
    (void)ctx; (void)h; (void)err;
    return OAK_OK;
}

static const struct oak_plugin newminor_plugin = {
    .abi_major = OAK_ABI_MAJOR,
    .abi_minor = OAK_ABI_MINOR + 1,
    .name = "newminor",
    .version = "0.0.1",
    .init = newminor_init,
};

OAK_PLUGIN_EXPORT(newminor_plugin)
