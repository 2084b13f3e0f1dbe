/*
 * plugins.c - dlopen a plugin, check that it is binary compatible, validate
 * its configuration section, and run its init; undo everything on failure.
 */
#include "plugins.h"
#include "app.h"
#include "core_schema.h"
#include "log.h"
#include "roles.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct oak_plugin core_desc = {
    .abi_major = OAK_ABI_MAJOR,
    .abi_minor = OAK_ABI_MINOR,
    .name = "core",
    .version = PACKAGE_VERSION,
    .description = "oakseed core services",
    .migrations = oak_core_migrations,
    .permissions = oak_core_permissions,
};

static struct oak_plugin_ctx *ctx_new(struct oak_app *app, const char *name, const char *path)
{
    struct oak_plugin_ctx *p = calloc(1, sizeof *p);

    if (!p)
        return NULL;
    p->app = app;
    p->name = strdup(name);
    p->path = path ? strdup(path) : NULL;
    if (!p->name || (path && !p->path)) {
        free(p->name);
        free(p->path);
        free(p);
        return NULL;
    }
    return p;
}

static void ctx_free(struct oak_plugin_ctx *p)
{
    free(p->name);
    free(p->path);
    free(p);
}

struct oak_plugin_ctx *oak_plugin_core(struct oak_app *app)
{
    struct oak_plugin_ctx *p = ctx_new(app, "core", NULL);

    if (p) {
        p->desc = &core_desc;
        p->initialised = 1;
    }
    return p;
}

int oak_permission_known(struct oak_app *app, struct oak_plugin_ctx *self, const char *perm)
{
    if (!perm)
        return 0;
    if (strcmp(perm, OAK_PUBLIC) == 0)
        return 1;
    for (int i = -1; i < app->nplugins; i++) {
        struct oak_plugin_ctx *p = i < 0 ? self : app->plugins[i];
        const struct oak_permission *l = p && p->desc ? p->desc->permissions : NULL;

        for (; l && l->name; l++)
            if (strcmp(l->name, perm) == 0)
                return 1;
    }
    return 0;
}

static int check_config(struct oak_app *app, const struct oak_plugin *d, char *err, size_t errlen)
{
    char section[96];

    snprintf(section, sizeof section, "plugin.%s", d->name);
    for (int i = 0; i < app->cfg.nextra; i++) {
        const struct oak_conf_extra *e = &app->cfg.extra[i];
        const struct oak_config_key *k;

        if (strcmp(e->section, section) != 0)
            continue;
        for (k = d->config_keys; k && k->name; k++)
            if (strcmp(k->name, e->key) == 0)
                break;
        if (!k || !k->name) {
            snprintf(err, errlen, "%s: unknown key '%s' in [%s]", e->where, e->key, section);
            return -1;
        }
    }
    return 0;
}

static int check_descriptor(const struct oak_plugin *d, const char *name, char *err, size_t errlen)
{
    if (d->abi_major != OAK_ABI_MAJOR || d->abi_minor > OAK_ABI_MINOR) {
        snprintf(err, errlen, "plugin '%s': not binary compatible: built for ABI %u.%u, "
                 "this oakseed provides ABI %d.%d", name, d->abi_major, d->abi_minor,
                 OAK_ABI_MAJOR, OAK_ABI_MINOR);
        return -1;
    }
    if (!d->name || strcmp(d->name, name) != 0) {
        snprintf(err, errlen, "plugin '%s': descriptor names itself '%s'", name,
                 d->name ? d->name : "(null)");
        return -1;
    }
    if (!d->version || !d->init) {
        snprintf(err, errlen, "plugin '%s': descriptor lacks version or init", name);
        return -1;
    }
    for (size_t i = 0; i < sizeof d->spare / sizeof d->spare[0]; i++)
        if (d->spare[i]) {
            snprintf(err, errlen, "plugin '%s': spare slot %zu is set; it was built for a "
                     "newer ABI than it declares", name, i);
            return -1;
        }
    for (const struct oak_hook_point *h = d->hooks; h && h->name; h++) {
        size_t n = strlen(name);

        if (strncmp(h->name, name, n) != 0 || h->name[n] != '.') {
            snprintf(err, errlen, "plugin '%s': hook '%s' must be named %s.*", name, h->name, name);
            return -1;
        }
        for (const char *a = h->actions ? h->actions : ""; *a;) {
            size_t len = strcspn(a, " ");

            if (len && !((len == 14 && !strncmp(a, "require_review", 14)) ||
                         (len == 6 && !strncmp(a, "assign", 6)) || (len == 6 && !strncmp(a, "notify", 6)))) {
                snprintf(err, errlen, "plugin '%s': hook '%s' offers unknown action '%.*s'", name,
                         h->name, (int)len, a);
                return -1;
            }
            a += len;
            while (*a == ' ')
                a++;
        }
    }
    for (const struct oak_permission *p = d->permissions; p && p->name; p++) {
        size_t n = strlen(name);

        if (p->roles && oak_roles_valid(p->roles) < 0) {
            snprintf(err, errlen, "plugin '%s': permission '%s' names an unknown role in '%s'",
                     name, p->name, p->roles);
            return -1;
        }

        if (strncmp(p->name, name, n) != 0 || p->name[n] != '.') {
            snprintf(err, errlen, "plugin '%s': permission '%s' must be named %s.*",
                     name, p->name, name);
            return -1;
        }
    }
    return 0;
}

struct oak_plugin_ctx *oak_plugin_load_path(struct oak_app *app, const char *name,
                                            const char *path, char *err, size_t errlen)
{
    const struct oak_plugin *(*entry)(void);
    const struct oak_plugin *d;
    struct oak_plugin_ctx *p;
    struct oak_error e = { 0, "" };
    void *dl;

    for (int i = 0; i < app->nplugins; i++)
        if (strcmp(app->plugins[i]->name, name) == 0) {
            snprintf(err, errlen, "plugin '%s': already loaded", name);
            return NULL;
        }
    dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        snprintf(err, errlen, "plugin '%s': cannot load %s: %s", name, path, dlerror());
        return NULL;
    }
    *(void **)&entry = dlsym(dl, OAK_PLUGIN_ENTRY_SYMBOL);
    if (!entry) {
        snprintf(err, errlen, "plugin '%s': %s exports no %s()", name, path,
                 OAK_PLUGIN_ENTRY_SYMBOL);
        dlclose(dl);
        return NULL;
    }
    d = entry();
    if (!d) {
        snprintf(err, errlen, "plugin '%s': %s() returned NULL", name, OAK_PLUGIN_ENTRY_SYMBOL);
        dlclose(dl);
        return NULL;
    }
    if (check_descriptor(d, name, err, errlen) < 0 || check_config(app, d, err, errlen) < 0) {
        dlclose(dl);
        return NULL;
    }
    p = ctx_new(app, name, path);
    if (!p) {
        snprintf(err, errlen, "plugin '%s': out of memory", name);
        dlclose(dl);
        return NULL;
    }
    p->desc = d;
    p->dl = dl;
    p->in_init = 1;
    int rc = d->init(p, &oak_host_table, &e);
    p->in_init = 0;
    if (rc != OAK_OK) {
        snprintf(err, errlen, "plugin '%s': init failed: %s", name,
                 e.message[0] ? e.message : "no reason given");
        /* undo its registrations before its code goes away */
        oak_router_remove_owner(&app->router, p);
        oak_app_remove_script_helpers(app, d->name);
        dlclose(dl);
        ctx_free(p);
        return NULL;
    }
    p->initialised = 1;
    return p;
}

struct oak_plugin_ctx *oak_plugin_load(struct oak_app *app, const char *name,
                                       char *err, size_t errlen)
{
    char path[4096];
    const char *dir = app->cfg.plugin_dir ? app->cfg.plugin_dir : ".";

    if (snprintf(path, sizeof path, "%s/%s.so", dir, name) >= (int)sizeof path) {
        snprintf(err, errlen, "plugin '%s': path too long", name);
        return NULL;
    }
    return oak_plugin_load_path(app, name, path, err, errlen);
}

void oak_plugin_unload(struct oak_plugin_ctx *p)
{
    if (!p)
        return;
    if (p->initialised && p->desc && p->desc->fini)
        p->desc->fini(p);
    oak_router_remove_owner(&p->app->router, p);
    if (p->desc)
        oak_app_remove_script_helpers(p->app, p->desc->name);
    if (p->dl)
        dlclose(p->dl);
    ctx_free(p);
}
