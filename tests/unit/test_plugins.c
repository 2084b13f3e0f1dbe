/*
 * test_plugins.c - plugin loading through oak_app_create: the example
 * plugin loads and registers its routes; a plugin built for another ABI is
 * refused naming both versions; a failing init stops start-up with the
 * plugin's name and reason and leaves no routes behind; config sections
 * are checked against the keys a plugin declares.
 */
#include "app.h"
#include "plugins.h"
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

static char dir[] = "/tmp/oak-test-plugins-XXXXXX";
static char conf[300];

static void write_conf(const char *plugin_dir, const char *load, const char *extra)
{
    FILE *f = fopen(conf, "w");

    fprintf(f, "[database]\npath = t.db\n[plugins]\ndir = %s\nload = %s\n%s", plugin_dir, load,
            extra ? extra : "");
    fclose(f);
}

static int has_route(struct oak_app *app, const char *method, const char *pattern, const char *perm)
{
    for (int i = 0; i < app->router.count; i++) {
        const struct oak_route *r = &app->router.routes[i];

        if (!strcmp(r->method, method) && !strcmp(r->pattern, pattern) && !strcmp(r->permission, perm))
            return 1;
    }
    return 0;
}

int main(void)
{
    const char *pdir = getenv("OAK_PLUGIN_BUILD_DIR");
    const char *tdir = getenv("OAK_TEST_PLUGIN_DIR");
    struct oak_cli cli = { 0 };
    struct oak_app *app;
    char err[1024], path[512];

    if (!pdir || !tdir) {
        printf("1..0 # SKIP OAK_PLUGIN_BUILD_DIR / OAK_TEST_PLUGIN_DIR not set (run via make check)\n");
        return 0;
    }
    if (!mkdtemp(dir))
        return 1;
    snprintf(conf, sizeof conf, "%s/o.conf", dir);
    cli.config_path = conf;

    write_conf(pdir, "example", NULL);
    app = oak_app_create(&cli, OAK_APP_QUIET_LOG | OAK_APP_MIGRATE, err, sizeof err);
    ok(app != NULL, "example plugin loads (%s)", app ? "ok" : err);
    if (app) {
        is_int(app->nplugins, 2, "core + example");
        ok(has_route(app, "GET", "/api/health", "public"), "core route /api/health");
        ok(has_route(app, "GET", "/api/example/greetings/:id", "public"), "example GET route");
        ok(has_route(app, "DELETE", "/api/example/greetings/:id", "example.moderate"),
           "example DELETE route with its permission");
        ok(oak_permission_known(app, NULL, "example.moderate"), "declared permission known");
        ok(!oak_permission_known(app, NULL, "example.nothing"), "undeclared permission unknown");
        oak_app_destroy(app);
    }

    write_conf(tdir, "badabi", NULL);
    app = oak_app_create(&cli, OAK_APP_QUIET_LOG, err, sizeof err);
    ok(app == NULL, "plugin built for ABI 2 refused");
    ok(strstr(err, "plugin 'badabi': not binary compatible: built for ABI 2.0, this oakseed provides ABI 1.2") != NULL,
       "message names both versions: %s", err);

    write_conf(tdir, "failinit", NULL);
    app = oak_app_create(&cli, OAK_APP_QUIET_LOG, err, sizeof err);
    ok(app == NULL, "failing init stops start-up");
    ok(strstr(err, "plugin 'failinit': init failed: required setting 'token' is missing") != NULL,
       "message names plugin and reason: %s", err);

    /* a failed init leaves no routes: load it by hand into a working app */
    write_conf(pdir, "example", NULL);
    app = oak_app_create(&cli, OAK_APP_QUIET_LOG, err, sizeof err);
    if (app) {
        int before = app->router.count;

        snprintf(path, sizeof path, "%s/failinit.so", tdir);
        ok(oak_plugin_load_path(app, "failinit", path, err, sizeof err) == NULL, "failinit refused");
        is_int(app->router.count, before, "its route was removed again");
        ok(!has_route(app, "GET", "/api/failinit/ping", "public"), "no /api/failinit/ping");
        snprintf(path, sizeof path, "%s/lateroute.so", tdir);
        ok(oak_plugin_load_path(app, "wrongname", path, err, sizeof err) == NULL,
           "descriptor name must match the configured name");
        ok(strstr(err, "names itself 'lateroute'") != NULL, "message: %s", err);
        oak_app_destroy(app);
    }

    write_conf(pdir, "nosuch", NULL);
    app = oak_app_create(&cli, OAK_APP_QUIET_LOG, err, sizeof err);
    ok(app == NULL && strstr(err, "plugin 'nosuch': cannot load"), "missing plugin: %s", err);

    write_conf(pdir, "example", "[plugin.example]\nmax_lenght = 10\n");
    app = oak_app_create(&cli, OAK_APP_QUIET_LOG, err, sizeof err);
    ok(app == NULL, "misspelt plugin key refused");
    ok(strstr(err, "o.conf:7: unknown key 'max_lenght' in [plugin.example]") != NULL, "message: %s", err);

    write_conf(pdir, "example", "[plugin.example]\nmax_length = 0\n");
    app = oak_app_create(&cli, OAK_APP_QUIET_LOG, err, sizeof err);
    ok(app == NULL && strstr(err, "plugin 'example': init failed: max_length"), "bad plugin value: %s", err);

    write_conf(pdir, "example", "[plugin.other]\nx = 1\n");
    app = oak_app_create(&cli, OAK_APP_QUIET_LOG, err, sizeof err);
    ok(app == NULL && strstr(err, "not in [plugins] load"), "section of an unloaded plugin: %s", err);

    write_conf(tdir, "lateroute", NULL);
    app = oak_app_create(&cli, OAK_APP_QUIET_LOG, err, sizeof err);
    ok(app != NULL, "lateroute loads");
    if (app) {
        ok(!has_route(app, "GET", "/api/lateroute/nullperm", "public"), "route without permission refused");
        ok(has_route(app, "GET", "/api/lateroute/late", "public"), "its valid routes are there");
        oak_app_destroy(app);
    }

    snprintf(path, sizeof path, "rm -rf %s", dir);
    ok(system(path) == 0, "temp dir removed");
    return done_testing();
}
