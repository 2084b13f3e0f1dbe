/*
 * lua_hook_bench.c - what one Lua hook call costs the request path: the
 * record converted to Lua, the region's script found and run in the
 * worker's sandbox, the answer checked and converted back.
 *
 *   tests/bench/lua_hook_bench PLUGIN_DIR SCRIPTS_DIR [CALLS]
 *
 * Prints the mean time per call; never asserts on it (timings belong to
 * the benchmark reports, not to tests).
 */
#include "app.h"
#include "clock.h"
#include "config.h"
#include "lua_sandbox.h"
#include "scripts.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static double run(struct oak_app *app, int region, json_t *rec, long calls, char *script, size_t n)
{
    char err[512];
    json_t *ans;
    double t0;

    for (long i = 0; i < 1000; i++) {          /* warm: compile and cache */
        if (oak_hook_call(app, "example.validate", region, rec, &ans, err, sizeof err) != 0) {
            fprintf(stderr, "lua_hook_bench: %s\n", err);
            exit(1);
        }
        json_decref(ans);
    }
    t0 = oak_now_ms();
    for (long i = 0; i < calls; i++) {
        oak_hook_call(app, "example.validate", region, rec, &ans, err, sizeof err);
        if (i == 0)
            snprintf(script, n, "%s", json_string_value(json_object_get(ans, "script")));
        json_decref(ans);
    }
    return (oak_now_ms() - t0) * 1000.0 / (double)calls;
}

int main(int argc, char **argv)
{
    char dir[] = "/tmp/oak-lua-bench-XXXXXX", conf[300], err[512], script[256];
    struct oak_cli cli = { 0 };
    struct oak_app *app;
    long calls = argc > 3 ? atol(argv[3]) : 200000;
    json_t *rec;
    FILE *f;

    if (argc < 3 || calls <= 0) {
        fprintf(stderr, "usage: lua_hook_bench PLUGIN_DIR SCRIPTS_DIR [CALLS]\n");
        return 2;
    }
    if (!mkdtemp(dir))
        return 1;
    snprintf(conf, sizeof conf, "%s/bench.conf", dir);
    if (!(f = fopen(conf, "w")))
        return 1;
    fprintf(f, "[database]\npath = b.db\n[plugins]\ndir = %s\nload = example\n[lua]\nscripts = %s\n",
            argv[1], argv[2]);
    fclose(f);
    cli.config_path = conf;
    app = oak_app_create(&cli, OAK_APP_QUIET_LOG, err, sizeof err);
    unlink(conf);
    rmdir(dir);
    if (!app) {
        fprintf(stderr, "lua_hook_bench: %s\n", err);
        return 1;
    }
    rec = json_pack("{s:s, s:s, s:i, s:i, s:s}", "name", "李明", "message",
                    "愿生命以另一种方式延续", "name_length", 2, "message_length", 11, "region", "530502");
    printf("%-10s %-36s %12s\n", "region", "script", "us/call");
    for (int i = 0; i < 2; i++) {
        int region = i ? 110105 : 530502;
        double us = run(app, region, rec, calls, script, sizeof script);

        printf("%-10d %-36s %12.2f\n", region, script, us);
    }
    printf("%ld calls per region\n", calls);
    json_decref(rec);
    oak_app_destroy(app);
    return 0;
}
