/*
 * example.c - a small, complete oakseed plugin for authors to copy.
 *
 * It keeps a guestbook of greetings in its own table (example_greetings),
 * each optionally tied to a region (GB/T 2260 code):
 *   GET    /api/example/greetings          list the newest greetings
 *   GET    /api/example/greetings/:id      one greeting
 *   POST   /api/example/greetings          add one (JSON or form body)
 *   GET    /api/example/moderation         staff: greetings of my regions
 *   DELETE /api/example/greetings/:id      staff: remove one of my regions
 *   POST   /api/example/greetings/:id/publish  staff: publish one held for review
 *
 * A new greeting goes through the hook example.validate, so each region's
 * Lua rules can refuse it, reword it or hold it for review.
 *
 * It shows the whole plugin shape: one exported entry symbol, a static
 * const descriptor, migrations, a declared permission and config key,
 * routes registered in init, validation errors in the one envelope,
 * database access only through the host table, and the staff side:
 * a permission checked against each record's region, lists limited to the
 * account's scope with oak_in_scope() in SQL, and an audit row per change.
 */
#include <oakseed/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct oak_host *host;
static long max_length = 200;

static const struct oak_migration example_migrations[] = {
    { 1, "create greetings",
      "CREATE TABLE example_greetings ("
      " id INTEGER PRIMARY KEY,"
      " name TEXT NOT NULL,"
      " message TEXT NOT NULL,"
      " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));" },
    { 2, "index by time",
      "CREATE INDEX example_greetings_created ON example_greetings(created_at);" },
    { 3, "region of a greeting",
      "ALTER TABLE example_greetings ADD COLUMN region INTEGER NOT NULL DEFAULT 0;"
      "CREATE INDEX example_greetings_region ON example_greetings(region);" },
    { 4, "greetings held for review",
      "ALTER TABLE example_greetings ADD COLUMN review INTEGER NOT NULL DEFAULT 0;" },
    { 0, NULL, NULL }
};

static const struct oak_permission example_permissions[] = {
    { "example.moderate", "see and remove the greetings of one's regions", "regional_admin volunteer_manager" },
    { NULL, NULL, NULL }
};

/* Regional rules may check a new greeting, reword its message, and hold it
 * for a moderator: scripts/<region>/example.validate.lua */
static const struct oak_hook_point example_hooks[] = {
    { "example.validate",
      "a new greeting: name, message, name_length, message_length, region (six digits or nil)",
      "message", "require_review notify" },
    { NULL, NULL, NULL, NULL }
};

static const struct oak_config_key example_config[] = {
    { "max_length", "200", "longest message accepted, in characters" },
    { NULL, NULL, NULL }
};

/* Characters, not bytes: messages are mostly Chinese. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* Columns: id, name, message, created_at, region[, review]. */
static oak_json *greeting_row(oak_stmt *st, int with_status)
{
    oak_json *o = host->json_object();
    int region = (int)host->db_column_int(st, 4);

    if (with_status)
        host->json_set(o, "status", host->json_string(host->db_column_int(st, 5) ? "pending_review" : "published"));

    host->json_set(o, "id", host->json_integer(host->db_column_int(st, 0)));
    host->json_set(o, "name", host->json_string(host->db_column_text(st, 1)));
    host->json_set(o, "message", host->json_string(host->db_column_text(st, 2)));
    host->json_set(o, "created_at", host->json_string(host->db_column_text(st, 3)));
    if (region) {
        char code[8];
        const char *rn = host->region_name(region);

        snprintf(code, sizeof code, "%06d", region);
        host->json_set(o, "region", host->json_string(code));
        host->json_set(o, "region_name", host->json_string(rn ? rn : ""));
    } else {
        host->json_set(o, "region", host->json_null());
    }
    return o;
}

/* Answer {"items":[...]} with every row of ST, then finish it. */
static int respond_rows(oak_req *req, oak_stmt *st, int with_status)
{
    struct oak_error err;
    oak_json *items = host->json_array(), *body;
    int rc;

    while ((rc = host->db_step(st, &err)) == OAK_ROW)
        host->json_append(items, greeting_row(st, with_status));
    host->db_finish(st);
    if (rc != OAK_DONE) {
        host->json_decref(items);
        return rc;
    }
    body = host->json_object();
    host->json_set(body, "items", items);
    return host->respond_json(req, 200, body);
}

/* Parse a positive integer id; 0 when malformed. */
static long long parse_id(const char *s)
{
    char *end;
    long long v;

    if (!s || !*s || strlen(s) > 18)
        return 0;
    v = strtoll(s, &end, 10);
    return *end || v <= 0 ? 0 : v;
}

static int example_list(oak_req *req, void *ud)
{
    struct oak_error err;
    oak_stmt *st;
    const char *lim = host->req_query(req, "limit");
    long long limit = 20;
    int rc;

    (void)ud;
    if (lim) {
        limit = parse_id(lim);
        if (limit < 1 || limit > 100) {
            host->error_field(req, "limit", "应为 1 到 100 之间的整数 (an integer from 1 to 100)");
            return host->error(req, 400, "validation_failed", "参数无效 (invalid parameter)");
        }
    }
    rc = host->db_prepare("SELECT id, name, message, created_at, region FROM example_greetings "
                          "WHERE review = 0 ORDER BY id DESC LIMIT ?1", &st, &err);
    if (rc != OAK_OK) {
        host->log(NULL, OAK_LOG_ERROR, "example: list: %s", err.message);
        return rc;
    }
    host->db_bind_int(st, 1, limit);
    return respond_rows(req, st, 0);
}

static int example_get(oak_req *req, void *ud)
{
    struct oak_error err;
    oak_stmt *st;
    long long id = parse_id(host->req_param(req, "id"));
    int rc;

    (void)ud;
    if (!id)
        return host->error(req, 404, "not_found", "未找到该留言 (greeting not found)");
    rc = host->db_prepare("SELECT id, name, message, created_at, region FROM example_greetings "
                          "WHERE id = ?1 AND review = 0", &st, &err);
    if (rc != OAK_OK)
        return rc;
    host->db_bind_int(st, 1, id);
    rc = host->db_step(st, &err);
    if (rc == OAK_ROW) {
        oak_json *g = greeting_row(st, 0);

        host->db_finish(st);
        return host->respond_json(req, 200, g);
    }
    host->db_finish(st);
    if (rc != OAK_DONE)
        return rc;
    return host->error(req, 404, "not_found", "未找到该留言 (greeting not found)");
}

/* A field from a JSON body or, failing that, a form body. */
static const char *field(oak_req *req, const char *name, int *bad_type)
{
    oak_json *body = host->req_json(req);

    *bad_type = 0;
    if (body) {
        oak_json *v = host->json_get(body, name);

        if (!v)
            return NULL;
        if (host->json_type(v) != OAK_JSON_STRING) {
            *bad_type = 1;
            return NULL;
        }
        return host->json_str(v);
    }
    return host->req_form(req, name);
}

static int example_create(oak_req *req, void *ud)
{
    struct oak_error err;
    oak_stmt *st;
    const char *name, *message, *region_txt, *changed;
    int bad_name, bad_msg, bad_region, rc, region = 0, review = 0;
    oak_json *record, *answer = NULL;
    char limit_msg[160];

    (void)ud;
    if (host->req_json(req) && host->json_type(host->req_json(req)) != OAK_JSON_OBJECT)
        return host->error(req, 400, "bad_request", "请求体应为 JSON 对象 (body must be a JSON object)");
    name = field(req, "name", &bad_name);
    message = field(req, "message", &bad_msg);
    if (bad_name || !name || !*name)
        host->error_field(req, "name", "请填写姓名 (name is required)");
    else if (utf8_chars(name) > 50)
        host->error_field(req, "name", "姓名不能超过 50 个字 (at most 50 characters)");
    if (bad_msg || !message || !*message)
        host->error_field(req, "message", "请填写留言 (message is required)");
    else if ((long)utf8_chars(message) > max_length) {
        snprintf(limit_msg, sizeof limit_msg, "留言不能超过 %ld 个字 (at most %ld characters)",
                 max_length, max_length);
        host->error_field(req, "message", limit_msg);
    }
    region_txt = field(req, "region", &bad_region);
    if (bad_region || (region_txt && *region_txt && !(region = host->region_parse(region_txt))))
        host->error_field(req, "region", "未知的地区代码 (unknown GB/T 2260 code)");
    if (bad_name || bad_msg || bad_region || !name || !*name || !message || !*message ||
        utf8_chars(name) > 50 || (long)utf8_chars(message) > max_length ||
        (region_txt && *region_txt && !region))
        return host->error(req, 422, "validation_failed", "请检查填写的内容 (please check the fields)");

    /* the region's rules see derived facts and the text, nothing else */
    record = host->json_object();
    host->json_set(record, "name", host->json_string(name));
    host->json_set(record, "message", host->json_string(message));
    host->json_set(record, "name_length", host->json_integer((long long)utf8_chars(name)));
    host->json_set(record, "message_length", host->json_integer((long long)utf8_chars(message)));
    if (region) {
        char code[8];

        snprintf(code, sizeof code, "%06d", region);
        host->json_set(record, "region", host->json_string(code));
    }
    rc = host->hook_run(req, "example.validate", region, record, &answer);
    host->json_decref(record);
    if (rc != OAK_OK)
        return rc;
    if (host->json_type(host->json_get(answer, "accept")) != OAK_JSON_TRUE) {
        const char *key;
        oak_json *msg;

        for (void *it = host->json_next(host->json_get(answer, "errors"), NULL, &key, &msg); it;
             it = host->json_next(host->json_get(answer, "errors"), it, &key, &msg))
            host->error_field(req, key, host->json_str(msg));
        host->json_decref(answer);
        return host->error(req, 422, "validation_failed", "请检查填写的内容 (please check the fields)");
    }
    changed = host->json_str(host->json_get(host->json_get(answer, "changes"), "message"));
    if (changed)
        message = host->req_strdup(req, changed);
    for (size_t i = 0; i < host->json_size(host->json_get(answer, "actions")); i++) {
        const char *type = host->json_str(host->json_get(host->json_at(host->json_get(answer, "actions"), i), "type"));

        if (type && strcmp(type, "require_review") == 0)
            review = 1;
        else if (type && strcmp(type, "notify") == 0)
            host->log(NULL, OAK_LOG_INFO, "example: a regional rule asks to notify moderators of a new greeting");
    }
    host->json_decref(answer);

    rc = host->db_prepare("INSERT INTO example_greetings(name, message, region, review) VALUES (?1, ?2, ?3, ?4) "
                          "RETURNING id, name, message, created_at, region", &st, &err);
    if (rc != OAK_OK)
        return rc;
    host->db_bind_text(st, 1, name, -1);
    host->db_bind_text(st, 2, message, -1);
    host->db_bind_int(st, 3, region);
    host->db_bind_int(st, 4, review);
    rc = host->db_step(st, &err);
    if (rc == OAK_ROW) {
        oak_json *g = greeting_row(st, 0);
        char loc[64];

        host->db_finish(st);
        snprintf(loc, sizeof loc, "/api/example/greetings/%lld", host->json_int(host->json_get(g, "id")));
        host->set_header(req, "Location", loc);
        host->json_set(g, "status", host->json_string(review ? "pending_review" : "published"));
        return host->respond_json(req, 201, g);
    }
    host->db_finish(st);
    return rc < 0 ? rc : OAK_ERROR;
}

/* Staff: the greetings of the regions this account covers. */
static int example_moderation(oak_req *req, void *ud)
{
    struct oak_error err;
    oak_stmt *st;
    int rc;

    (void)ud;
    rc = host->db_prepare("SELECT id, name, message, created_at, region, review FROM example_greetings "
                          "WHERE oak_in_scope(region) ORDER BY id DESC LIMIT 200", &st, &err);
    if (rc != OAK_OK)
        return rc;
    return respond_rows(req, st, 1);
}

/* Staff: remove a greeting of one's own regions. A greeting outside the
 * account's scope answers 404 like a missing one, so its existence does
 * not leak across regions. */
static int example_delete(oak_req *req, void *ud)
{
    struct oak_error err;
    oak_stmt *st;
    long long id = parse_id(host->req_param(req, "id"));
    int rc, region;
    char idtxt[24];

    (void)ud;
    rc = host->db_prepare("SELECT region FROM example_greetings WHERE id = ?1", &st, &err);
    if (rc != OAK_OK)
        return rc;
    host->db_bind_int(st, 1, id);
    rc = host->db_step(st, &err);
    region = rc == OAK_ROW ? (int)host->db_column_int(st, 0) : 0;
    host->db_finish(st);
    if (rc == OAK_DONE || (rc == OAK_ROW && host->authorize(req, "example.moderate", region) != OAK_OK))
        return host->error(req, 404, "not_found", "未找到该留言 (greeting not found)");
    if (rc != OAK_ROW)
        return rc;

    if ((rc = host->db_begin(&err)) != OAK_OK)
        return rc;
    rc = host->db_prepare("DELETE FROM example_greetings WHERE id = ?1", &st, &err);
    if (rc == OAK_OK) {
        host->db_bind_int(st, 1, id);
        rc = host->db_step(st, &err);
        host->db_finish(st);
    }
    snprintf(idtxt, sizeof idtxt, "%lld", id);
    /* the audit row commits with the change, or neither does */
    if (rc == OAK_DONE)
        rc = host->audit(req, "example.delete", "greeting", idtxt, region, NULL);
    /* answer, then commit: once the commit succeeds nothing is left that
     * could fail (docs/plugin-api.md, Handlers) */
    if (rc == OAK_OK && (rc = host->respond(req, 204, "application/json; charset=utf-8", "", 0)) == OAK_OK)
        rc = host->db_commit(&err);
    if (rc != OAK_OK)
        host->db_rollback();
    return rc;
}

/* Staff: publish a greeting a regional rule held for review. */
static int example_publish(oak_req *req, void *ud)
{
    struct oak_error err;
    oak_stmt *st;
    long long id = parse_id(host->req_param(req, "id"));
    int rc, region;
    char idtxt[24];

    (void)ud;
    rc = host->db_prepare("SELECT region FROM example_greetings WHERE id = ?1", &st, &err);
    if (rc != OAK_OK)
        return rc;
    host->db_bind_int(st, 1, id);
    rc = host->db_step(st, &err);
    region = rc == OAK_ROW ? (int)host->db_column_int(st, 0) : 0;
    host->db_finish(st);
    if (rc == OAK_DONE || (rc == OAK_ROW && host->authorize(req, "example.moderate", region) != OAK_OK))
        return host->error(req, 404, "not_found", "未找到该留言 (greeting not found)");
    if (rc != OAK_ROW)
        return rc;
    if ((rc = host->db_begin(&err)) != OAK_OK)
        return rc;
    rc = host->db_prepare("UPDATE example_greetings SET review = 0 WHERE id = ?1", &st, &err);
    if (rc == OAK_OK) {
        host->db_bind_int(st, 1, id);
        rc = host->db_step(st, &err);
        host->db_finish(st);
    }
    snprintf(idtxt, sizeof idtxt, "%lld", id);
    if (rc == OAK_DONE)
        rc = host->audit(req, "example.publish", "greeting", idtxt, region, NULL);
    /* answer, then commit: once the commit succeeds nothing is left that
     * could fail (docs/plugin-api.md, Handlers) */
    if (rc == OAK_OK && (rc = host->respond(req, 204, "application/json; charset=utf-8", "", 0)) == OAK_OK)
        rc = host->db_commit(&err);
    if (rc != OAK_OK)
        host->db_rollback();
    return rc;
}

/* Script helper example.greetings_today(region): how many greetings were
 * written today (UTC) in REGION and the regions inside it. Read-only, as
 * every helper must be. */
static int helper_greetings_today(const oak_json *args, oak_json **result, struct oak_error *err,
                                  void *ud)
{
    const oak_json *a = host->json_at(args, 0);
    const char *s = host->json_str(a);
    long long region = s ? strtoll(s, NULL, 10) : host->json_int(a);
    oak_stmt *st;
    int rc;

    (void)ud;
    if (host->json_size(args) != 1 || region < 100000 || region > 999999) {
        snprintf(err->message, sizeof err->message, "give one six-digit region code");
        return err->code = OAK_EINVAL;
    }
    rc = host->db_prepare("SELECT count(*) FROM example_greetings"
                          " WHERE oak_region_within(region, ?1)"
                          " AND created_at >= strftime('%Y-%m-%dT00:00:00Z', 'now')", &st, err);
    if (rc != OAK_OK)
        return rc;
    host->db_bind_int(st, 1, region);
    rc = host->db_step(st, err);
    if (rc == OAK_ROW)
        *result = host->json_integer(host->db_column_int(st, 0));
    host->db_finish(st);
    return rc == OAK_ROW ? OAK_OK : rc;
}

static int example_init(oak_plugin_ctx *ctx, const struct oak_host *h, struct oak_error *err)
{
    const char *v;
    char *end;

    host = h;
    v = h->config_get(ctx, "max_length");
    max_length = strtol(v ? v : "200", &end, 10);
    if (*end || max_length < 1 || max_length > 10000) {
        snprintf(err->message, sizeof err->message,
                 "max_length must be an integer from 1 to 10000, got '%s'", v);
        return err->code = OAK_EINVAL;
    }
    if (h->route(ctx, "GET", "/api/example/greetings", OAK_PUBLIC, example_list, NULL, err) ||
        h->route(ctx, "GET", "/api/example/greetings/:id", OAK_PUBLIC, example_get, NULL, err) ||
        h->route(ctx, "POST", "/api/example/greetings", OAK_PUBLIC, example_create, NULL, err) ||
        h->route(ctx, "GET", "/api/example/moderation", "example.moderate",
                 example_moderation, NULL, err) ||
        h->route(ctx, "DELETE", "/api/example/greetings/:id", "example.moderate",
                 example_delete, NULL, err) ||
        h->route(ctx, "POST", "/api/example/greetings/:id/publish", "example.moderate",
                 example_publish, NULL, err) ||
        h->script_helper(ctx, "greetings_today", helper_greetings_today, NULL, err))
        return err->code ? err->code : OAK_ERROR;
    h->log(ctx, OAK_LOG_DEBUG, "ready, max_length=%ld", max_length);
    return OAK_OK;
}

static const struct oak_plugin example_plugin = {
    .abi_major = OAK_ABI_MAJOR,
    .abi_minor = OAK_ABI_MINOR,
    .name = "example",
    .version = "1.0.0",
    .description = "guestbook example for plugin authors",
    .init = example_init,
    .migrations = example_migrations,
    .permissions = example_permissions,
    .config_keys = example_config,
    .hooks = example_hooks,
};

OAK_PLUGIN_EXPORT(example_plugin)
