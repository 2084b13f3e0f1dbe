/*
 * host.c - the services table handed to plugins (struct oak_host). Each
 * entry is a thin adapter onto a core service; plugins never link against
 * core symbols.
 */
#include "app.h"
#include "arena.h"
#include "audit.h"
#include "auth.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "idcard.h"
#include "json.h"
#include "log.h"
#include "plugins.h"
#include "regions.h"
#include "scripts.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REQ(r) ((struct oak_req *)(r))
#define J(v) ((json_t *)(v))
#define OJ(v) ((oak_json *)(v))

static void h_log(oak_plugin_ctx *ctx, int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    oak_vlog(level, ctx ? ctx->name : "plugin", fmt, ap);
    va_end(ap);
}

static int h_route(oak_plugin_ctx *ctx, const char *method, const char *pattern,
                   const char *permission, oak_handler_fn fn, void *ud, struct oak_error *err)
{
    struct oak_error scratch;

    if (!err)
        err = &scratch;
    if (!ctx || !ctx->in_init) {
        snprintf(err->message, sizeof err->message, "routes can only be registered during init");
        return err->code = OAK_ESTATE;
    }
    if (!permission) {
        snprintf(err->message, sizeof err->message,
                 "route %s %s declares no permission (use OAK_PUBLIC for public routes)",
                 method ? method : "?", pattern ? pattern : "?");
        return err->code = OAK_EINVAL;
    }
    if (!oak_permission_known(ctx->app, ctx, permission)) {
        snprintf(err->message, sizeof err->message,
                 "route %s %s requires unknown permission '%s'", method ? method : "?",
                 pattern ? pattern : "?", permission);
        return err->code = OAK_EINVAL;
    }
    return oak_router_add(&ctx->app->router, method, pattern, permission, fn, ud, ctx,
                          ctx->name, err);
}

static const char *h_config_get(oak_plugin_ctx *ctx, const char *key)
{
    char section[96];
    const struct oak_config *cfg = &ctx->app->cfg;

    snprintf(section, sizeof section, "plugin.%s", ctx->name);
    for (int i = 0; i < cfg->nextra; i++)
        if (!strcmp(cfg->extra[i].section, section) && !strcmp(cfg->extra[i].key, key))
            return cfg->extra[i].value;
    for (const struct oak_config_key *k = ctx->desc->config_keys; k && k->name; k++)
        if (strcmp(k->name, key) == 0)
            return k->default_value;
    return NULL;
}

static const char *h_req_method(oak_req *r) { return REQ(r)->method; }
static const char *h_req_path(oak_req *r) { return REQ(r)->path; }
static const char *h_req_param(oak_req *r, const char *n) { return oak_kv_get(&REQ(r)->params, n); }
static const char *h_req_query(oak_req *r, const char *n) { return oak_kv_get(&REQ(r)->query, n); }
static const char *h_req_form(oak_req *r, const char *n) { return oak_kv_get(&REQ(r)->form, n); }
static const char *h_req_header(oak_req *r, const char *n) { return oak_req_header(REQ(r), n); }
static const char *h_req_cookie(oak_req *r, const char *n) { return oak_req_cookie(REQ(r), n); }
static const char *h_req_id(oak_req *r) { return REQ(r)->id; }
static const char *h_req_remote_addr(oak_req *r) { return REQ(r)->remote_addr; }
static int h_req_is_https(oak_req *r) { return REQ(r)->https; }
static oak_json *h_req_json(oak_req *r) { return OJ(REQ(r)->json); }

static const char *h_req_body(oak_req *r, size_t *len)
{
    if (len)
        *len = REQ(r)->body_len;
    return REQ(r)->body;
}

static void *h_req_alloc(oak_req *r, size_t n) { return oak_arena_alloc(REQ(r)->arena, n); }
static char *h_req_strdup(oak_req *r, const char *s) { return oak_arena_strdup(REQ(r)->arena, s); }

static int h_set_header(oak_req *r, const char *n, const char *v)
{
    return oak_resp_header(REQ(r), n, v) < 0 ? OAK_EINVAL : OAK_OK;
}

static int h_respond_json(oak_req *r, int status, oak_json *body)
{
    if (status < 100 || status > 599) {
        json_decref(J(body));
        return OAK_EINVAL;
    }
    return oak_resp_json(REQ(r), status, J(body)) < 0 ? OAK_ENOMEM : OAK_OK;
}

static int h_respond(oak_req *r, int status, const char *type, const void *p, size_t n)
{
    if (status < 100 || status > 599 || !type || strpbrk(type, "\r\n"))
        return OAK_EINVAL;
    return oak_resp_raw(REQ(r), status, oak_arena_strdup(REQ(r)->arena, type), p, n) < 0
               ? OAK_ENOMEM : OAK_OK;
}

static int h_error_field(oak_req *r, const char *f, const char *m)
{
    return oak_resp_error_field(REQ(r), f, m) < 0 ? OAK_ENOMEM : OAK_OK;
}

static int h_error(oak_req *r, int status, const char *code, const char *message)
{
    return oak_resp_error(REQ(r), status, code, message) < 0 ? OAK_ENOMEM : OAK_OK;
}

static oak_json *h_json_object(void) { return OJ(json_object()); }
static oak_json *h_json_array(void) { return OJ(json_array()); }
static oak_json *h_json_string(const char *s) { return s ? OJ(json_string(s)) : NULL; }
static oak_json *h_json_stringn(const char *s, size_t n) { return s ? OJ(json_stringn(s, n)) : NULL; }
static oak_json *h_json_integer(long long v) { return OJ(json_integer(v)); }
static oak_json *h_json_real(double v) { return OJ(json_real(v)); }
static oak_json *h_json_bool(int v) { return OJ(json_boolean(v)); }
static oak_json *h_json_null(void) { return OJ(json_null()); }

static int h_json_set(oak_json *o, const char *k, oak_json *v)
{
    if (!o || !k || !v) {
        json_decref(J(v));
        return OAK_EINVAL;
    }
    return json_object_set_new(J(o), k, J(v)) < 0 ? OAK_EINVAL : OAK_OK;
}

static int h_json_append(oak_json *a, oak_json *v)
{
    if (!a || !v) {
        json_decref(J(v));
        return OAK_EINVAL;
    }
    return json_array_append_new(J(a), J(v)) < 0 ? OAK_EINVAL : OAK_OK;
}

static oak_json *h_json_get(const oak_json *o, const char *k) { return OJ(json_object_get(J(o), k)); }
static oak_json *h_json_at(const oak_json *a, size_t i) { return OJ(json_array_get(J(a), i)); }

static size_t h_json_size(const oak_json *v)
{
    if (json_is_object(J(v)))
        return json_object_size(J(v));
    return json_array_size(J(v));
}

static int h_json_type(const oak_json *v)
{
    if (!v)
        return -1;
    switch (json_typeof(J(v))) {
    case JSON_OBJECT: return OAK_JSON_OBJECT;
    case JSON_ARRAY: return OAK_JSON_ARRAY;
    case JSON_STRING: return OAK_JSON_STRING;
    case JSON_INTEGER: return OAK_JSON_INTEGER;
    case JSON_REAL: return OAK_JSON_REAL;
    case JSON_TRUE: return OAK_JSON_TRUE;
    case JSON_FALSE: return OAK_JSON_FALSE;
    case JSON_NULL: return OAK_JSON_NULL;
    }
    return -1;
}

static const char *h_json_str(const oak_json *v) { return json_string_value(J(v)); }
static long long h_json_int(const oak_json *v) { return json_is_integer(J(v)) ? json_integer_value(J(v)) : 0; }
static double h_json_number(const oak_json *v) { return json_number_value(J(v)); }

static void *h_json_next(const oak_json *o, void *cursor, const char **key, oak_json **val)
{
    void *it;

    if (!json_is_object(J(o)))
        return NULL;
    it = cursor ? json_object_iter_next(J(o), cursor) : json_object_iter(J(o));
    if (it) {
        if (key)
            *key = json_object_iter_key(it);
        if (val)
            *val = OJ(json_object_iter_value(it));
    }
    return it;
}

static void h_json_decref(oak_json *v) { json_decref(J(v)); }
static oak_json *h_json_incref(oak_json *v) { return OJ(json_incref(J(v))); }
static char *h_json_dump(const oak_json *v) { return v ? oak_json_dump(J(v)) : NULL; }

static sqlite3_stmt *S(oak_stmt *st) { return oak_db_raw(st); }

static int bind_rc(oak_stmt *st, int rc)
{
    return rc == SQLITE_OK ? OAK_OK : oak_db_code(rc, sqlite3_extended_errcode(sqlite3_db_handle(S(st))));
}

static int h_db_bind_text(oak_stmt *st, int i, const char *s, int n)
{
    return bind_rc(st, s ? sqlite3_bind_text(S(st), i, s, n, SQLITE_TRANSIENT) : sqlite3_bind_null(S(st), i));
}
static int h_db_bind_int(oak_stmt *st, int i, long long v) { return bind_rc(st, sqlite3_bind_int64(S(st), i, v)); }
static int h_db_bind_double(oak_stmt *st, int i, double v) { return bind_rc(st, sqlite3_bind_double(S(st), i, v)); }
static int h_db_bind_blob(oak_stmt *st, int i, const void *p, int n)
{
    return bind_rc(st, sqlite3_bind_blob(S(st), i, p, n, SQLITE_TRANSIENT));
}
static int h_db_bind_null(oak_stmt *st, int i) { return bind_rc(st, sqlite3_bind_null(S(st), i)); }
static const char *h_db_column_text(oak_stmt *st, int c) { return (const char *)sqlite3_column_text(S(st), c); }
static long long h_db_column_int(oak_stmt *st, int c) { return sqlite3_column_int64(S(st), c); }
static double h_db_column_double(oak_stmt *st, int c) { return sqlite3_column_double(S(st), c); }
static const void *h_db_column_blob(oak_stmt *st, int c, int *n)
{
    const void *p = sqlite3_column_blob(S(st), c);

    if (n)
        *n = sqlite3_column_bytes(S(st), c);
    return p;
}
static int h_db_column_is_null(oak_stmt *st, int c) { return sqlite3_column_type(S(st), c) == SQLITE_NULL; }

static long long h_db_last_insert_id(void)
{
    return oak_db_current() ? sqlite3_last_insert_rowid(oak_db_sqlite(oak_db_current())) : 0;
}

static int h_db_changes(void)
{
    return oak_db_current() ? sqlite3_changes(oak_db_sqlite(oak_db_current())) : 0;
}

static void h_free(void *p) { free(p); }

/* ---- 1.1 ------------------------------------------------------------- */

static int h_authorize(oak_req *r, const char *perm, int region)
{
    return oak_authorize(REQ(r)->app, REQ(r)->actor, perm, region);
}

static long long h_req_user_id(oak_req *r) { return REQ(r)->actor ? REQ(r)->actor->user_id : 0; }
static const char *h_req_username(oak_req *r) { return REQ(r)->actor ? REQ(r)->actor->username : NULL; }
static const char *h_req_role(oak_req *r) { return REQ(r)->actor ? REQ(r)->actor->role : NULL; }

static int h_req_regions(oak_req *r, const int **codes)
{
    const struct oak_actor *a = REQ(r)->actor;

    if (codes)
        *codes = a ? a->regions : NULL;
    if (!a)
        return 0;
    if (strcmp(a->role, "national_admin") == 0)
        return -1;
    return a->nregions;
}

static int h_audit(oak_req *r, const char *action, const char *otype, const char *oid, int region,
                   const char *detail)
{
    const struct oak_actor *a = REQ(r)->actor;
    struct oak_audit_entry e = {
        .actor_id = a ? a->user_id : 0,
        .actor = a ? a->username : "public",
        .action = action,
        .object_type = otype,
        .object_id = oid,
        .region = region,
        .detail = detail,
        .request_id = REQ(r)->id,
    };
    return oak_audit_append(&e, NULL);
}

static int h_id_check(const char *id, struct oak_id_facts *out, const char **why)
{
    struct oak_date today;
    struct oak_id_info info;
    int rc;

    oak_date_today(&today);
    rc = oak_id_check(id, today, &info, why);
    if (rc == 0 && out) {
        memset(out, 0, sizeof *out);
        memcpy(out->normalized, info.normalized, sizeof out->normalized);
        out->region = info.region;
        out->birth_year = info.birth_year;
        out->birth_month = info.birth_month;
        out->birth_day = info.birth_day;
        memcpy(out->birth_date, info.birth, sizeof out->birth_date);
        out->gender = info.gender;
        out->age = oak_id_age(&info, today.year, today.month, today.day);
    }
    return rc;
}

static int h_mobile_check(const char *s, char out[12], const char **why)
{
    return oak_mobile_check(s, out, why);
}

static const struct oak_keyring *keys(void)
{
    return oak_app_current ? oak_app_current->keys : NULL;
}

static int ref_ctx(const struct oak_field_ref *ref, struct oak_field_ctx *c)
{
    if (!ref)
        return OAK_EINVAL;
    c->table = ref->table;
    c->column = ref->column;
    c->rowid = ref->rowid;
    c->region = ref->region;
    return OAK_OK;
}

static int h_field_encrypt(const struct oak_field_ref *ref, const void *p, size_t n, char **out)
{
    struct oak_field_ctx c;

    if (out)
        *out = NULL;
    if (!keys())
        return OAK_ESTATE;
    if (ref_ctx(ref, &c) != OAK_OK)
        return OAK_EINVAL;
    return oak_field_encrypt(keys(), &c, p, n, out);
}

static int h_field_decrypt(const struct oak_field_ref *ref, const char *stored, char **plain, size_t *len)
{
    struct oak_field_ctx c;

    if (plain)
        *plain = NULL;
    if (!keys())
        return OAK_ESTATE;
    if (ref_ctx(ref, &c) != OAK_OK)
        return OAK_EINVAL;
    return oak_field_decrypt(keys(), &c, stored, plain, len);
}

static int h_blind_index(const char *domain, const void *data, size_t len, char out[65])
{
    if (!keys())
        return OAK_ESTATE;
    return oak_blind_index(keys(), domain, data, len, out);
}

static int ident_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static int h_encrypted_column(oak_plugin_ctx *ctx, const char *table, const char *column,
                              const char *region_column, struct oak_error *err)
{
    struct oak_error scratch;
    size_t n;

    if (!err)
        err = &scratch;
    if (!ctx || !ctx->in_init) {
        snprintf(err->message, sizeof err->message, "encrypted columns are declared during init");
        return err->code = OAK_ESTATE;
    }
    n = strlen(ctx->name);
    if (!ident_ok(table) || !ident_ok(column) || (region_column && !ident_ok(region_column)) ||
        strncmp(table, ctx->name, n) != 0 || table[n] != '_') {
        snprintf(err->message, sizeof err->message,
                 "encrypted column %s.%s: names must be [a-z0-9_] and the table %s_*",
                 table ? table : "?", column ? column : "?", ctx->name);
        return err->code = OAK_EINVAL;
    }
    if (oak_app_add_enc_column(ctx->app, table, column, region_column) < 0) {
        snprintf(err->message, sizeof err->message, "out of memory");
        return err->code = OAK_ENOMEM;
    }
    return OAK_OK;
}

static int h_hook_run(oak_req *r, const char *hook, int region, const oak_json *record,
                      oak_json **answer)
{
    char err[512];
    json_t *a = NULL;

    if (answer)
        *answer = NULL;
    if (!hook || !answer)
        return OAK_EINVAL;
    if (oak_hook_call(REQ(r)->app, hook, region, (json_t *)record, &a, err, sizeof err) < 0) {
        oak_error("lua: %s (hook %s, region %06d, request %s)", err, hook, region, REQ(r)->id);
        return OAK_ESCRIPT;
    }
    *answer = OJ(a);
    return OAK_OK;
}

static int h_script_helper(oak_plugin_ctx *ctx, const char *name, oak_script_helper fn, void *ud,
                           struct oak_error *err)
{
    struct oak_error scratch;

    if (!err)
        err = &scratch;
    if (!ctx || !ctx->in_init) {
        snprintf(err->message, sizeof err->message, "script helpers are offered during init");
        return err->code = OAK_ESTATE;
    }
    if (!fn || !name || !(*name >= 'a' && *name <= 'z') || !ident_ok(name)) {
        snprintf(err->message, sizeof err->message, "script helper '%s': a name [a-z][a-z0-9_]* and a function",
                 name ? name : "?");
        return err->code = OAK_EINVAL;
    }
    for (int i = 0; i < ctx->app->nhelpers; i++)
        if (strcmp(ctx->app->helpers[i].plugin, ctx->desc->name) == 0 &&
            strcmp(ctx->app->helpers[i].name, name) == 0) {
            snprintf(err->message, sizeof err->message, "script helper %s.%s offered twice",
                     ctx->desc->name, name);
            return err->code = OAK_EEXIST;
        }
    if (oak_app_add_script_helper(ctx->app, ctx->desc->name, name, fn, ud) < 0) {
        snprintf(err->message, sizeof err->message, "out of memory");
        return err->code = OAK_ENOMEM;
    }
    return OAK_OK;
}

static int h_sign(const void *msg, size_t len, char *out)
{
    return oak_sign(keys(), msg, len, out);
}

static int h_sign_verify(const void *msg, size_t len, const char *sig)
{
    return oak_sign_verify(keys(), msg, len, sig);
}

static int h_sign_public_key(char *out)
{
    return oak_sign_public_key(keys(), out);
}

static int h_throttle_wait(const char *key)
{
    return key ? oak_throttle_wait(key) : -1;
}

static void h_throttle_fail(const char *key, int max, int window_s)
{
    if (key && max > 0 && window_s > 0)
        oak_throttle_fail(key, max, window_s);
}

static void h_throttle_clear(const char *key)
{
    if (key)
        oak_throttle_clear(key);
}

/*
 * The table is append-only: a plugin built for 1.0 finds every 1.0 service
 * where it was. These freeze where each minor's services begin and where
 * the table ends, in pointer slots after the header. A service inserted
 * before the end breaks the build here; a new one goes at the end, with
 * OAK_ABI_MINOR raised and the last assertion moved.
 */
#define HOST_SLOT(n) (offsetof(struct oak_host, log) + (size_t)(n) * sizeof(void (*)(void)))
_Static_assert(offsetof(struct oak_host, log) == 8 + sizeof(size_t), "host table header changed");
_Static_assert(offsetof(struct oak_host, authorize) == HOST_SLOT(63), "the 1.0 services moved");
_Static_assert(offsetof(struct oak_host, hook_run) == HOST_SLOT(80), "the 1.1 services moved");
_Static_assert(sizeof(struct oak_host) == HOST_SLOT(89) && OAK_ABI_MINOR == 2,
               "the table grew: raise OAK_ABI_MINOR and move this assertion");

const struct oak_host oak_host_table = {
    .abi_major = OAK_ABI_MAJOR,
    .abi_minor = OAK_ABI_MINOR,
    .size = sizeof(struct oak_host),
    .log = h_log,
    .route = h_route,
    .config_get = h_config_get,
    .req_method = h_req_method,
    .req_path = h_req_path,
    .req_param = h_req_param,
    .req_query = h_req_query,
    .req_form = h_req_form,
    .req_header = h_req_header,
    .req_cookie = h_req_cookie,
    .req_body = h_req_body,
    .req_json = h_req_json,
    .req_id = h_req_id,
    .req_remote_addr = h_req_remote_addr,
    .req_is_https = h_req_is_https,
    .req_alloc = h_req_alloc,
    .req_strdup = h_req_strdup,
    .set_header = h_set_header,
    .respond_json = h_respond_json,
    .respond = h_respond,
    .error_field = h_error_field,
    .error = h_error,
    .json_object = h_json_object,
    .json_array = h_json_array,
    .json_string = h_json_string,
    .json_stringn = h_json_stringn,
    .json_integer = h_json_integer,
    .json_real = h_json_real,
    .json_bool = h_json_bool,
    .json_null = h_json_null,
    .json_set = h_json_set,
    .json_append = h_json_append,
    .json_get = h_json_get,
    .json_at = h_json_at,
    .json_size = h_json_size,
    .json_type = h_json_type,
    .json_str = h_json_str,
    .json_int = h_json_int,
    .json_number = h_json_number,
    .json_next = h_json_next,
    .json_decref = h_json_decref,
    .json_incref = h_json_incref,
    .json_dump = h_json_dump,
    .db_prepare = oak_db_prepare,
    .db_bind_text = h_db_bind_text,
    .db_bind_int = h_db_bind_int,
    .db_bind_double = h_db_bind_double,
    .db_bind_blob = h_db_bind_blob,
    .db_bind_null = h_db_bind_null,
    .db_step = oak_db_step,
    .db_column_text = h_db_column_text,
    .db_column_int = h_db_column_int,
    .db_column_double = h_db_column_double,
    .db_column_blob = h_db_column_blob,
    .db_column_is_null = h_db_column_is_null,
    .db_finish = oak_db_finish,
    .db_exec = oak_db_exec,
    .db_begin = oak_db_begin,
    .db_commit = oak_db_commit,
    .db_rollback = oak_db_rollback,
    .db_last_insert_id = h_db_last_insert_id,
    .db_changes = h_db_changes,
    .free = h_free,
    .authorize = h_authorize,
    .req_user_id = h_req_user_id,
    .req_username = h_req_username,
    .req_role = h_req_role,
    .req_regions = h_req_regions,
    .audit = h_audit,
    .region_name = oak_region_name,
    .region_parent = oak_region_parent,
    .region_within = oak_region_within,
    .region_parse = oak_region_parse,
    .id_check = h_id_check,
    .mobile_check = h_mobile_check,
    .field_encrypt = h_field_encrypt,
    .field_decrypt = h_field_decrypt,
    .field_free = oak_field_free,
    .blind_index = h_blind_index,
    .encrypted_column = h_encrypted_column,
    .hook_run = h_hook_run,
    .script_helper = h_script_helper,
    .sign = h_sign,
    .sign_verify = h_sign_verify,
    .sign_public_key = h_sign_public_key,
    .random_code = oak_random_code,
    .throttle_wait = h_throttle_wait,
    .throttle_fail = h_throttle_fail,
    .throttle_clear = h_throttle_clear,
};
