/*
 * app.c - build and tear down one configuration generation (see app.h).
 */
#include "app.h"
#include "auth.h"
#include "db.h"
#include "json.h"
#include "keyfile.h"
#include "log.h"
#include "plugins.h"
#include "scripts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_plugin(struct oak_app *app, struct oak_plugin_ctx *p)
{
    struct oak_plugin_ctx **l = realloc(app->plugins, sizeof *l * (size_t)(app->nplugins + 1));

    if (!l)
        return -1;
    app->plugins = l;
    l[app->nplugins++] = p;
    return 0;
}

struct oak_app *oak_app_current;
const struct oak_scripts *oak_scripts_previous;

struct oak_app *oak_app_create(const struct oak_cli *cli, int flags, char *err, size_t errlen)
{
    struct oak_app *app;
    struct oak_plugin_ctx *core;

    oak_json_init();
    app = calloc(1, sizeof *app);
    if (!app) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    oak_config_defaults(&app->cfg);
    oak_router_init(&app->router);
    if (cli->config_path && oak_config_load(&app->cfg, cli->config_path, err, errlen) < 0)
        goto fail;
    for (int i = 0; i < cli->noverrides; i++)
        if (oak_config_set(&app->cfg, cli->overrides[i], err, errlen) < 0)
            goto fail;
    app->limits.max_body = app->cfg.max_body;
    app->limits.max_params = app->cfg.max_params;
    app->limits.max_json_depth = app->cfg.max_json_depth;

    if (!(flags & OAK_APP_QUIET_LOG) &&
        oak_log_open(app->cfg.log_level, app->cfg.log_file) < 0) {
        snprintf(err, errlen, "log file %s: cannot open", app->cfg.log_file);
        goto fail;
    }

    /* keys first: plugins may need them in init, and a key file with
     * loose permissions must stop start-up */
    if (app->cfg.key_file) {
        char kerr[512];

        app->keys = oak_keyring_load(app->cfg.key_file, kerr, sizeof kerr);
        if (!app->keys) {
            snprintf(err, errlen, "%s", kerr);
            goto fail;
        }
    }
    oak_app_current = app;

    /* plugin sections must name plugins that are loaded */
    for (int i = 0; i < app->cfg.nextra; i++) {
        const char *name = app->cfg.extra[i].section + 7;
        int listed = 0;

        for (int j = 0; j < app->cfg.nplugins; j++)
            listed |= strcmp(app->cfg.plugins[j], name) == 0;
        if (!listed) {
            snprintf(err, errlen, "%s: section [%s] is for a plugin not in [plugins] load",
                     app->cfg.extra[i].where, app->cfg.extra[i].section);
            goto fail;
        }
    }

    core = oak_plugin_core(app);
    if (!core || add_plugin(app, core) < 0) {
        free(core);
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    core->in_init = 1;
    if (oak_core_routes_register(core, err, errlen) < 0 ||
        oak_auth_routes_register(core, err, errlen) < 0) {
        core->in_init = 0;
        goto fail;
    }
    core->in_init = 0;
    if (oak_app_add_enc_column(app, "core_users", "totp_secret", NULL) < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }

    for (int i = 0; !(flags & OAK_APP_NO_PLUGINS) && i < app->cfg.nplugins; i++) {
        struct oak_plugin_ctx *p = oak_plugin_load(app, app->cfg.plugins[i], err, errlen);

        if (!p)
            goto fail;
        if (add_plugin(app, p) < 0) {
            oak_plugin_unload(p);
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    }

    if (app->cfg.scripts_dir && !(flags & OAK_APP_NO_PLUGINS)) {
        int failed = 0;

        app->scripts = oak_scripts_read(app->cfg.scripts_dir, oak_scripts_previous, &failed);
        if (!app->scripts) {
            snprintf(err, errlen, "lua: out of memory reading scripts");
            goto fail;
        }
        if (failed)
            oak_warn("lua: %d script%s did not compile (see above)", failed, failed == 1 ? "" : "s");
    }

    if (flags & OAK_APP_MIGRATE) {
        int applied;

        if (oak_app_migrate(app, &applied, err, errlen) < 0)
            goto fail;
        if (applied)
            oak_info("applied %d migration%s", applied, applied == 1 ? "" : "s");
    }
    return app;
fail:
    oak_app_destroy(app);
    return NULL;
}

int oak_app_add_enc_column(struct oak_app *app, const char *table, const char *column,
                           const char *region_column)
{
    struct oak_enc_column *l = realloc(app->enc_columns, sizeof *l * (size_t)(app->nenc_columns + 1));
    struct oak_enc_column *c;

    if (!l)
        return -1;
    app->enc_columns = l;
    c = &l[app->nenc_columns];
    c->table = strdup(table);
    c->column = strdup(column);
    c->region_column = region_column ? strdup(region_column) : NULL;
    if (!c->table || !c->column || (region_column && !c->region_column)) {
        free(c->table);
        free(c->column);
        free(c->region_column);
        return -1;
    }
    app->nenc_columns++;
    return 0;
}

int oak_app_add_script_helper(struct oak_app *app, const char *plugin, const char *name,
                              oak_script_helper fn, void *ud)
{
    struct oak_script_helper_reg *l = realloc(app->helpers, sizeof *l * (size_t)(app->nhelpers + 1));

    if (!l)
        return -1;
    app->helpers = l;
    l[app->nhelpers] = (struct oak_script_helper_reg){ plugin, strdup(name), fn, ud };
    if (!l[app->nhelpers].name)
        return -1;
    app->nhelpers++;
    return 0;
}

void oak_app_remove_script_helpers(struct oak_app *app, const char *plugin)
{
    int kept = 0;

    for (int i = 0; i < app->nhelpers; i++) {
        if (app->helpers[i].plugin == plugin)
            free(app->helpers[i].name);
        else
            app->helpers[kept++] = app->helpers[i];
    }
    app->nhelpers = kept;
}

void oak_app_destroy(struct oak_app *app)
{
    if (!app)
        return;
    oak_scripts_runtime_release(app);
    for (int i = app->nplugins - 1; i >= 0; i--)
        oak_plugin_unload(app->plugins[i]);
    free(app->plugins);
    oak_router_free(&app->router);
    oak_keyring_free(app->keys);
    oak_scripts_free(app->scripts);
    for (int i = 0; i < app->nenc_columns; i++) {
        free(app->enc_columns[i].table);
        free(app->enc_columns[i].column);
        free(app->enc_columns[i].region_column);
    }
    free(app->enc_columns);
    for (int i = 0; i < app->nhelpers; i++)
        free(app->helpers[i].name);
    free(app->helpers);
    if (oak_app_current == app)
        oak_app_current = NULL;
    oak_config_free(&app->cfg);
    free(app);
}

int oak_app_migrate(struct oak_app *app, int *applied, char *err, size_t errlen)
{
    struct oak_db_options o = {
        .path = app->cfg.db_path,
        .synchronous = app->cfg.synchronous,
        .busy_timeout = app->cfg.busy_timeout,
    };
    struct oak_db_migration_set *sets = calloc((size_t)app->nplugins + 1, sizeof *sets);
    struct oak_db *db;
    int n = 0, rc;

    if (!sets) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < app->nplugins; i++)
        if (app->plugins[i]->desc->migrations) {
            sets[n].plugin = app->plugins[i]->name;
            sets[n++].list = app->plugins[i]->desc->migrations;
        }
    db = oak_db_open(&o, err, errlen);
    if (!db) {
        free(sets);
        return -1;
    }
    rc = oak_db_migrate(db, sets, n, applied, err, errlen);
    oak_db_close(db);
    free(sets);
    return rc;
}
