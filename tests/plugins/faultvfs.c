/* Test plugin: installs the fault-injecting SQLite VFS of faultvfs.h as
 * the default, in the master before it forks, so every worker's connection
 * goes through it. A test arms it from outside by creating the files
 * $OAK_FAULTVFS_DIR/fail-sync or fail-write: the next sync (or write) of
 * the database, in whichever worker, fails as a failing disk would. Only
 * tests load this plugin; the daemon has no such hook of its own. */
#include <oakseed/plugin.h>

#include <stdio.h>
#include <stdlib.h>

#include "faultvfs.h"

static char sync_path[4096], write_path[4096];

static int faultvfs_init(oak_plugin_ctx *ctx, const struct oak_host *h, struct oak_error *err)
{
    const char *dir = getenv("OAK_FAULTVFS_DIR");

    (void)ctx;
    if (!dir || !*dir) {
        err->code = OAK_EINVAL;
        snprintf(err->message, sizeof err->message, "faultvfs: OAK_FAULTVFS_DIR is not set");
        return err->code;
    }
    snprintf(sync_path, sizeof sync_path, "%s/fail-sync", dir);
    snprintf(write_path, sizeof write_path, "%s/fail-write", dir);
    fv_sync_trigger = sync_path;
    fv_write_trigger = write_path;
    if (fv_register() != SQLITE_OK) {
        err->code = OAK_ERROR;
        snprintf(err->message, sizeof err->message, "faultvfs: cannot register the VFS");
        return err->code;
    }
    h->log(NULL, OAK_LOG_WARN, "faultvfs: test VFS installed; arm it under %s", dir);
    return OAK_OK;
}

/* The host unloads plugins on reload (in the master, which holds no
 * connection then): the VFS must not outlive the code behind it. */
static void faultvfs_fini(oak_plugin_ctx *ctx)
{
    (void)ctx;
    if (fv_parent)
        sqlite3_vfs_unregister(&fv_vfs);
    fv_parent = NULL;
}

static const struct oak_plugin faultvfs_plugin = {
    .abi_major = OAK_ABI_MAJOR,
    .abi_minor = OAK_ABI_MINOR,
    .name = "faultvfs",
    .version = "0.0.1",
    .init = faultvfs_init,
    .fini = faultvfs_fini,
};

OAK_PLUGIN_EXPORT(faultvfs_plugin)
