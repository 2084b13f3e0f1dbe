/*
 * plugins.h - loading plugins and the record the core keeps for each one.
 * struct oak_plugin_ctx is what plugins see as an opaque handle.
 */
#ifndef OAK_PLUGINS_H
#define OAK_PLUGINS_H

#include "oakseed/plugin.h"

struct oak_app;

struct oak_plugin_ctx {
    const struct oak_plugin *desc;
    void *dl;                  /* NULL for the core */
    char *path;
    char *name;
    struct oak_app *app;
    int in_init;
    int initialised;
};

/* The host services table handed to plugins. */
extern const struct oak_host oak_host_table;

/* The core's own record (no shared object). */
struct oak_plugin_ctx *oak_plugin_core(struct oak_app *app);

/* Load NAME from the app's plugin_dir, check its ABI and config section,
 * run init. Returns the record, or NULL with "plugin 'NAME': reason". */
struct oak_plugin_ctx *oak_plugin_load(struct oak_app *app, const char *name,
                                       char *err, size_t errlen);
/* Same, from an explicit path. */
struct oak_plugin_ctx *oak_plugin_load_path(struct oak_app *app, const char *name,
                                            const char *path, char *err, size_t errlen);
/* fini, remove its routes, dlclose. */
void oak_plugin_unload(struct oak_plugin_ctx *p);

/* 1 when PERM is OAK_PUBLIC or declared by a loaded plugin (or by P). */
int oak_permission_known(struct oak_app *app, struct oak_plugin_ctx *p, const char *perm);

#endif
