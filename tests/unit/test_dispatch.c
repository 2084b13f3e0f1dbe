/*
 * test_dispatch.c - the request pipeline without FastCGI: parse params,
 * attach the body, route, check access, run the handler, and the checks
 * after it (no response, transaction left open, negative return).
 */
#include "app.h"
#include "arena.h"
#include "db.h"
#include "http.h"
#include "plugins.h"
#include "pipeline.h"
#include "tap.h"
#include "worker.h"

#include <stdlib.h>
#include <unistd.h>

static struct oak_app *app;

static int run(const char *method, const char *uri, const char *ctype, const char *payload)
{
    return pipeline_run(app, NULL, method, uri, ctype, payload, 0);
}

static const char *err_code(void)
{
    return code_of();
}

int main(void)
{
    const char *pdir = getenv("OAK_PLUGIN_BUILD_DIR");
    const char *tdir = getenv("OAK_TEST_PLUGIN_DIR");
    char dir[] = "/tmp/oak-test-dispatch-XXXXXX", conf[300], path[512], err[1024];
    struct oak_cli cli = { 0 };
    struct oak_db_options o = { 0 };
    struct oak_plugin_ctx *late;
    struct oak_db *db;
    FILE *f;

    if (!pdir || !tdir) {
        printf("1..0 # SKIP plugin directories not set (run via make check)\n");
        return 0;
    }
    if (!mkdtemp(dir))
        return 1;
    snprintf(conf, sizeof conf, "%s/o.conf", dir);
    f = fopen(conf, "w");
    fprintf(f, "[database]\npath = t.db\n[plugins]\ndir = %s\nload = example\n"
               "[plugin.example]\nmax_length = 10\n", pdir);
    fclose(f);
    cli.config_path = conf;
    app = oak_app_create(&cli, OAK_APP_QUIET_LOG | OAK_APP_MIGRATE, err, sizeof err);
    if (!ok(app != NULL, "app created: %s", app ? "ok" : err))
        return done_testing();
    snprintf(path, sizeof path, "%s/lateroute.so", tdir);
    late = oak_plugin_load_path(app, "lateroute", path, err, sizeof err);
    ok(late != NULL, "lateroute loaded beside example");
    if (late) {
        app->plugins = realloc(app->plugins, sizeof *app->plugins * (size_t)(app->nplugins + 1));
        app->plugins[app->nplugins++] = late;
    }
    o.path = app->cfg.db_path;
    o.synchronous = 1;
    o.busy_timeout = 1000;
    db = oak_db_open(&o, err, sizeof err);
    oak_db_use(db);

    is_int(run("GET", "/api/health", NULL, NULL), 200, "health 200");
    is_str(json_string_value(json_object_get(last, "status")), "ok", "health status ok");
    is_int(run("GET", "/api/version", NULL, NULL), 200, "version 200");
    is_str(json_string_value(json_object_get(last, "abi")), "1.2", "abi 1.2");

    is_int(run("POST", "/api/example/greetings", "application/json",
               "{\"name\":\"李四\",\"message\":\"一路平安\"}"), 201, "create greeting");
    is_str(json_string_value(json_object_get(last, "message")), "一路平安", "Chinese round-trips");
    ok(strstr(last_headers, "Location: /api/example/greetings/1\r\n") != NULL, "Location header");
    is_int(run("POST", "/api/example/greetings", "application/x-www-form-urlencoded",
               "name=%E7%8E%8B&message=hello"), 201, "create from a form body");
    is_int(run("POST", "/api/example/greetings", "application/json",
               "{\"name\":\"\",\"message\":\"12345678901\"}"), 422, "invalid greeting 422");
    is_str(err_code(), "validation_failed", "validation_failed");
    ok(json_object_get(json_object_get(json_object_get(last, "error"), "fields"), "name") != NULL,
       "fields.name present");
    ok(json_object_get(json_object_get(json_object_get(last, "error"), "fields"), "message") != NULL,
       "fields.message present (over max_length from config)");
    is_int(run("POST", "/api/example/greetings", "application/json", "{\"name\":1,\"message\":[]}"),
           422, "wrong JSON types 422");
    is_int(run("POST", "/api/example/greetings", "application/json", "[1,2]"), 400, "array body 400");
    is_int(run("POST", "/api/example/greetings", "application/json", "{\"name\":"), 400,
           "malformed JSON 400");
    is_str(err_code(), "malformed_json", "malformed_json");
    is_int(run("GET", "/api/example/greetings?limit=1", NULL, NULL), 200, "list");
    is_int(json_array_size(json_object_get(last, "items")), 1, "limit=1 honoured");
    is_int(run("GET", "/api/example/greetings?limit=0", NULL, NULL), 400, "limit=0 refused");
    is_int(run("GET", "/api/example/greetings/1", NULL, NULL), 200, "get by id");
    is_str(json_string_value(json_object_get(last, "name")), "李四", "right row");
    is_int(run("GET", "/api/example/greetings/999", NULL, NULL), 404, "missing id 404");
    is_int(run("GET", "/api/example/greetings/abc", NULL, NULL), 404, "non-numeric id 404");
    is_int(run("HEAD", "/api/example/greetings/1", NULL, NULL), 200, "HEAD on a GET route");
    ok(strstr(pl_out.data, "Content-Length: ") && strstr(pl_out.data, "\r\n\r\n")[4] == '\0',
       "HEAD response has headers but no body");

    is_int(run("GET", "/api/nothing/here", NULL, NULL), 404, "unknown path 404");
    is_str(err_code(), "not_found", "not_found envelope");
    is_str(json_string_value(json_object_get(last, "request_id")), "0123456789abcdef0123456789abcdef",
           "request_id in envelope");
    is_int(run("PUT", "/api/example/greetings", NULL, NULL), 405, "wrong method 405");
    ok(strstr(last_headers, "Allow: GET, HEAD, POST\r\n") != NULL, "Allow header: %s", last_headers);
    is_int(run("DELETE", "/api/example/greetings/1", NULL, NULL), 401, "permissioned route denied");
    is_str(err_code(), "unauthenticated", "unauthenticated envelope");

    if (late) {
        is_int(run("GET", "/api/lateroute/noresponse", NULL, NULL), 500, "no response -> 500");
        is_int(run("GET", "/api/lateroute/fails", NULL, NULL), 500, "negative return -> 500");
        is_str(err_code(), "internal_error", "internal_error envelope");
        is_int(run("POST", "/api/lateroute/opentx", NULL, NULL), 500, "open transaction -> 500");
        ok(!oak_db_in_tx(), "transaction rolled back");
        is_int(run("GET", "/api/lateroute/late", NULL, NULL), 200, "late route probe");
        is_int(json_integer_value(json_object_get(last, "rc")), OAK_ESTATE,
               "route registration after init refused with OAK_ESTATE");
        ok(json_is_true(json_object_get(last, "refused_null_perm")), "NULL permission refused");
        ok(json_is_true(json_object_get(last, "refused_unknown_perm")), "unknown permission refused");
        is_int(run("GET", "/api/lateroute/echo/a%20b%2Fc?q=%E4%BD%A0%E5%A5%BD", NULL, NULL), 200, "echo");
        is_str(json_string_value(json_object_get(last, "name")), "a b/c", "path parameter decoded");
        is_str(json_string_value(json_object_get(last, "q")), "你好", "query decoded");
        is_int(run("GET", "/api/lateroute/echo/%zz", NULL, NULL), 400, "malformed segment 400");
    }

    oak_db_close(db);
    pipeline_free();
    oak_app_destroy(app);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    ok(system(path) == 0, "temp dir removed");
    return done_testing();
}
