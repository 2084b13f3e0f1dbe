/*
 * core_routes.c - the core's own endpoints: /api/health for load balancers
 * and monitoring, /api/version for operators. Written against the same host
 * table plugins use.
 */
#include "app.h"
#include "db.h"
#include "plugins.h"
#include "regions.h"

#include <stdio.h>

static const struct oak_host *H = &oak_host_table;

static int health(oak_req *req, void *ud)
{
    struct oak_app *app = ud;
    int db_ok = oak_db_ping();
    oak_json *body, *plugins;

    if (!db_ok)
        return H->error(req, 503, "service_unavailable", "数据库不可用 (database unreachable)");
    if (oak_db_writes_refused())
        return H->error(req, 503, "service_unavailable",
                        "数据库写入失败后已停止写入，请检查磁盘后重启服务 "
                        "(writes stopped after a disk write or sync failed; check the disk, then restart oakseed)");
    body = H->json_object();
    plugins = H->json_array();
    for (int i = 1; i < app->nplugins; i++) {
        oak_json *p = H->json_object();

        H->json_set(p, "name", H->json_string(app->plugins[i]->name));
        H->json_set(p, "version", H->json_string(app->plugins[i]->desc->version));
        H->json_append(plugins, p);
    }
    H->json_set(body, "status", H->json_string("ok"));
    H->json_set(body, "db", H->json_bool(1));
    H->json_set(body, "plugins", plugins);
    return H->respond_json(req, 200, body);
}

static int version(oak_req *req, void *ud)
{
    oak_json *body = H->json_object();
    char abi[32];

    (void)ud;
    snprintf(abi, sizeof abi, "%d.%d", OAK_ABI_MAJOR, OAK_ABI_MINOR);
    H->json_set(body, "name", H->json_string("oakseed"));
    H->json_set(body, "version", H->json_string(PACKAGE_VERSION));
    H->json_set(body, "abi", H->json_string(abi));
    return H->respond_json(req, 200, body);
}

/* GET /api/regions[?parent=CODE]: the divisions under PARENT (provinces
 * without it), for the province -> prefecture -> county pickers. */
static int regions(oak_req *req, void *ud)
{
    const char *ps = H->req_query(req, "parent");
    int parent = 0;
    oak_json *items, *body;

    (void)ud;
    if (ps && *ps) {
        parent = oak_region_parse(ps);
        if (!parent) {
            H->error_field(req, "parent", "未知的地区代码 (unknown GB/T 2260 code)");
            return H->error(req, 400, "validation_failed", "参数无效 (invalid parameter)");
        }
    }
    items = H->json_array();
    for (size_t i = 0; i < oak_region_count(); i++) {
        const struct oak_region *r = oak_region_at(i);
        char code[8];
        oak_json *o;

        if (r->parent != parent)
            continue;
        o = H->json_object();
        snprintf(code, sizeof code, "%06d", r->code);
        H->json_set(o, "code", H->json_string(code));
        H->json_set(o, "name", H->json_string(r->name));
        H->json_set(o, "level", H->json_integer(r->level));
        H->json_append(items, o);
    }
    body = H->json_object();
    H->json_set(body, "items", items);
    H->set_header(req, "Cache-Control", "public, max-age=86400");
    return H->respond_json(req, 200, body);
}

int oak_core_routes_register(struct oak_plugin_ctx *core, char *err, size_t errlen)
{
    struct oak_error e = { 0, "" };

    if (H->route(core, "GET", "/api/health", OAK_PUBLIC, health, core->app, &e) != OAK_OK ||
        H->route(core, "GET", "/api/version", OAK_PUBLIC, version, NULL, &e) != OAK_OK ||
        H->route(core, "GET", "/api/regions", OAK_PUBLIC, regions, NULL, &e) != OAK_OK) {
        snprintf(err, errlen, "core routes: %s", e.message);
        return -1;
    }
    return 0;
}
