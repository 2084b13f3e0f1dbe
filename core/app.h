/*
 * app.h - everything one configuration generation loads: the config, the
 * plugins and the routes they registered. The master builds an app at
 * start and again on SIGHUP; workers inherit it when forked.
 */
#ifndef OAK_APP_H
#define OAK_APP_H

#include "config.h"
#include "http.h"
#include "router.h"

struct oak_plugin_ctx;

/* What the command line says, kept so a reload can re-apply it. */
struct oak_cli {
    const char *config_path;     /* NULL: built-in defaults only */
    const char **overrides;      /* "section.key=value" */
    int noverrides;
};

struct oak_app {
    struct oak_config cfg;
    struct oak_limits limits;
    struct oak_router router;
    struct oak_plugin_ctx **plugins;   /* loaded, in load order; [0] is the core */
    int nplugins;
    struct oak_keyring *keys;          /* NULL without [keys] file */
    struct oak_enc_column *enc_columns; /* declared encrypted columns */
    struct oak_scripts *scripts;       /* regional rule scripts, NULL without [lua] scripts */
    int nenc_columns;
    struct oak_script_helper_reg *helpers; /* offered to scripts by plugins */
    int nhelpers;
};

struct oak_script_helper_reg {
    const char *plugin;                /* the plugin's name (its descriptor's) */
    char *name;
    oak_script_helper fn;
    void *ud;
};

struct oak_enc_column {
    char *table;
    char *column;
    char *region_column;               /* NULL: region 0 */
};

/* Record an encrypted column (see host->encrypted_column). */
int oak_app_add_enc_column(struct oak_app *app, const char *table, const char *column,
                           const char *region_column);

/* Record a helper a plugin offers to scripts (see host->script_helper). */
int oak_app_add_script_helper(struct oak_app *app, const char *plugin, const char *name,
                              oak_script_helper fn, void *ud);

/* Forget the helpers of PLUGIN (its descriptor's name pointer). */
void oak_app_remove_script_helpers(struct oak_app *app, const char *plugin);

/* The app whose keys the host table's crypto entries use (the newest one
 * created in this process). */
extern struct oak_app *oak_app_current;

/* Scripts of the generation being replaced: a script that no longer
 * compiles keeps this version (set by the master around a reload). */
extern const struct oak_scripts *oak_scripts_previous;

enum oak_app_flags {
    OAK_APP_MIGRATE = 1,         /* open the database and apply migrations */
    OAK_APP_QUIET_LOG = 2,       /* keep logging on stderr (CLI tools) */
    OAK_APP_NO_PLUGINS = 4,      /* configuration only (backup, restore) */
};

/* Read the config, open the log, load and initialise plugins, and with
 * OAK_APP_MIGRATE apply migrations. Returns NULL with a message in err. */
struct oak_app *oak_app_create(const struct oak_cli *cli, int flags, char *err, size_t errlen);
/* Call plugin fini in reverse order, unload them, free everything. */
void oak_app_destroy(struct oak_app *app);
/* Apply migrations of every loaded plugin. */
int oak_app_migrate(struct oak_app *app, int *applied, char *err, size_t errlen);

/* The core's own routes (/api/health, /api/version). */
int oak_core_routes_register(struct oak_plugin_ctx *core, char *err, size_t errlen);

#endif
