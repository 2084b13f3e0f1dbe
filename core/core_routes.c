/*
 * core_routes.c - the core's own endpoints: /api/health for load balancers
 * and monitoring, /api/version for operators, /api/regions for pickers,
 * and /api/audit/export, the audit log for national admins to keep and
 * check outside. Written against the same host table plugins use.
 */
#include "app.h"
#include "buf.h"
#include "db.h"
#include "plugins.h"
#include "regions.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- GET /api/audit/export --------------------------------------------- */

#define AUDIT_EXPORT_DEFAULT 100
#define AUDIT_EXPORT_MAX 1000

/* FROM / TO: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM:SSZ" or "YYYY-MM-DDTHH:MM:SS.mmmZ"
 * into the log's own fixed-width form ("2026-03-01T08:00:00.000Z"), so
 * that comparing text compares times. Returns 0, or -1 when malformed. */
static int audit_time(const char *s, char out[32])
{
    static const char date_shape[] = "dddd-dd-dd", full_shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t n = strlen(s);
    int y, mo, d, mdays, h = 0, mi = 0, sec = 0, ms = 0;

    for (size_t i = 0; i < 10; i++)
        if (i >= n || (date_shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != date_shape[i]))
            return -1;
    if (n > 10) {
        for (size_t i = 10; i < 19; i++)
            if (i >= n || (full_shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != full_shape[i]))
                return -1;
        if (n == 24 && s[19] == '.' && isdigit((unsigned char)s[20]) && isdigit((unsigned char)s[21]) &&
            isdigit((unsigned char)s[22]) && s[23] == 'Z')
            ms = atoi(s + 20);
        else if (n != 20 || s[19] != 'Z')
            return -1;
        h = atoi(s + 11);
        mi = atoi(s + 14);
        sec = atoi(s + 17);
    }
    y = atoi(s);
    mo = atoi(s + 5);
    d = atoi(s + 8);
    if (mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59)
        return -1;
    mdays = mo == 2 ? ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28)
                    : (mo == 4 || mo == 6 || mo == 9 || mo == 11 ? 30 : 31);
    if (d < 1 || d > mdays)
        return -1;
    snprintf(out, 32, "%.4s-%02d-%02dT%02d:%02d:%02d.%03dZ", s, mo % 100, d % 100, h % 100, mi % 100,
             sec % 100, ms % 1000);
    return 0;
}

/* A non-negative decimal of at most 18 digits, or -1. */
static long long audit_number(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
        return -1;
    return strtoll(s, NULL, 10);
}

/* One CSV cell, quoted; a leading = + - @ gets a ' so that a spreadsheet
 * never runs it as a formula (the JSON form keeps every value exact). */
static int csv_cell(struct oak_buf *b, const char *s, int last)
{
    int rc = oak_buf_puts(b, "\"");

    if (s && (*s == '=' || *s == '+' || *s == '-' || *s == '@'))
        rc |= oak_buf_puts(b, "'");
    for (; s && *s; s++)
        rc |= oak_buf_append(b, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
    return rc | oak_buf_puts(b, last ? "\"\r\n" : "\",");
}

static const char *const audit_columns[] = {
    "id", "at", "actor_id", "actor", "action", "object_type", "object_id", "region", "detail",
    "request_id", "prev_hash", "hash", NULL
};

/* GET /api/audit/export?from=&to=&after_id=&limit=&format=: rows of the
 * whole log (every region) in id order with their prev_hash and hash, so
 * the chain can be checked away from this host. The export itself is
 * written to the log (core.audit.export) before it is answered; audit
 * rows hold no personal data. */
static int audit_export(oak_req *req, void *ud)
{
    static const char time_shape[] = "时间格式应为 YYYY-MM-DD 或 YYYY-MM-DDTHH:MM:SSZ (UTC) "
                                     "(use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, in UTC)";
    const char *from_s = H->req_query(req, "from"), *to_s = H->req_query(req, "to");
    const char *after_s = H->req_query(req, "after_id"), *limit_s = H->req_query(req, "limit");
    const char *format = H->req_query(req, "format");
    char from[32] = "", to[32] = "", detail[160], oid[48];
    long long after = 0, limit = AUDIT_EXPORT_DEFAULT, first = 0, last = 0;
    int csv = 0, bad = 0, n = 0, more = 0, oom = 0, rc;
    struct oak_buf b = OAK_BUF_INIT;
    oak_json *items = NULL;
    oak_stmt *st;

    (void)ud;
    if (from_s && *from_s && audit_time(from_s, from) < 0) {
        H->error_field(req, "from", time_shape);
        bad = 1;
    }
    if (to_s && *to_s && audit_time(to_s, to) < 0) {
        H->error_field(req, "to", time_shape);
        bad = 1;
    } else if (from[0] && to[0] && strcmp(from, to) >= 0) {
        H->error_field(req, "to", "结束时间须晚于开始时间 (to must be later than from)");
        bad = 1;
    }
    if (after_s && *after_s && (after = audit_number(after_s)) < 0) {
        H->error_field(req, "after_id", "应为非负整数 (a whole number, 0 or more)");
        bad = 1;
    }
    if (limit_s && *limit_s && ((limit = audit_number(limit_s)) < 1 || limit > AUDIT_EXPORT_MAX)) {
        H->error_field(req, "limit", "应为 1 到 1000 之间的整数 (a whole number from 1 to 1000)");
        bad = 1;
    }
    if (format && *format && strcmp(format, "json") != 0 && !(csv = strcmp(format, "csv") == 0)) {
        H->error_field(req, "format", "应为 json 或 csv (json or csv)");
        bad = 1;
    }
    if (bad)
        return H->error(req, 400, "validation_failed", "参数无效 (invalid parameter)");

    /* read and record the read in one transaction: no export goes out unaudited */
    if ((rc = H->db_begin(NULL)) != OAK_OK)
        return rc;
    rc = H->db_prepare("SELECT id, at, actor_id, actor, action, object_type, object_id, region,"
                       " detail, request_id, prev_hash, hash FROM core_audit"
                       " WHERE id > ?1 AND (?2 IS NULL OR at >= ?2) AND (?3 IS NULL OR at < ?3)"
                       " ORDER BY id LIMIT ?4", &st, NULL);
    if (rc != OAK_OK) {
        H->db_rollback();
        return rc;
    }
    H->db_bind_int(st, 1, after);
    H->db_bind_text(st, 2, from[0] ? from : NULL, -1);
    H->db_bind_text(st, 3, to[0] ? to : NULL, -1);
    H->db_bind_int(st, 4, limit + 1);     /* one more tells whether a next page exists */
    if (csv) {
        oom |= oak_buf_puts(&b, "\xef\xbb\xbf");  /* BOM: spreadsheets then read UTF-8 */
        for (int i = 0; audit_columns[i]; i++)
            oom |= csv_cell(&b, audit_columns[i], !audit_columns[i + 1]);
    } else {
        items = H->json_array();
    }
    while ((rc = H->db_step(st, NULL)) == OAK_ROW) {
        long long id = H->db_column_int(st, 0);

        if (n == limit) {
            more = 1;
            break;
        }
        if (!n)
            first = id;
        last = id;
        n++;
        if (csv) {
            for (int c = 0; audit_columns[c]; c++)
                oom |= csv_cell(&b, H->db_column_is_null(st, c) ? "" : H->db_column_text(st, c),
                                !audit_columns[c + 1]);
        } else {
            oak_json *o = H->json_object();

            /* a row missing a member could not be checked: fail instead */
            for (int c = 0; audit_columns[c]; c++) {
                oak_json *v;

                if (c == 0 || c == 7)          /* id, region */
                    v = H->json_integer(H->db_column_int(st, c));
                else if (c == 2)               /* actor_id: NULL for cli, public, system */
                    v = H->db_column_is_null(st, c) ? H->json_null() : H->json_integer(H->db_column_int(st, c));
                else
                    v = H->json_string(H->db_column_text(st, c));
                oom |= H->json_set(o, audit_columns[c], v) != OAK_OK;
            }
            oom |= H->json_append(items, o) != OAK_OK;
        }
    }
    H->db_finish(st);
    if (rc >= 0 && oom)
        rc = OAK_ENOMEM;
    if (rc < 0) {
        H->db_rollback();
        H->json_decref(items);
        oak_buf_free(&b);
        return rc;
    }
    if (n)
        snprintf(oid, sizeof oid, "%lld-%lld", first, last);
    else
        snprintf(oid, sizeof oid, "none");
    snprintf(detail, sizeof detail, "rows=%d format=%s%s%s%s%s", n, csv ? "csv" : "json",
             from[0] ? " from=" : "", from, to[0] ? " to=" : "", to);
    rc = H->audit(req, "core.audit.export", "audit", oid, 0, detail);
    if (rc == OAK_OK)
        rc = H->db_commit(NULL);
    else
        H->db_rollback();
    if (rc != OAK_OK) {
        H->json_decref(items);
        oak_buf_free(&b);
        return rc;
    }
    H->set_header(req, "Cache-Control", "no-store");
    if (csv) {
        char next[24];

        if (more) {
            snprintf(next, sizeof next, "%lld", last);
            H->set_header(req, "X-Next-After-Id", next);
        }
        H->set_header(req, "Content-Disposition", "attachment; filename=\"audit.csv\"");
        rc = H->respond(req, 200, "text/csv; charset=utf-8", b.data, b.len);
        oak_buf_free(&b);
        return rc;
    }
    {
        oak_json *body = H->json_object();

        H->json_set(body, "items", items);
        H->json_set(body, "more", H->json_bool(more));
        H->json_set(body, "next_after_id", more ? H->json_integer(last) : H->json_null());
        return H->respond_json(req, 200, body);
    }
}

int oak_core_routes_register(struct oak_plugin_ctx *core, char *err, size_t errlen)
{
    struct oak_error e = { 0, "" };

    if (H->route(core, "GET", "/api/health", OAK_PUBLIC, health, core->app, &e) != OAK_OK ||
        H->route(core, "GET", "/api/version", OAK_PUBLIC, version, NULL, &e) != OAK_OK ||
        H->route(core, "GET", "/api/regions", OAK_PUBLIC, regions, NULL, &e) != OAK_OK ||
        H->route(core, "GET", "/api/audit/export", "core.audit.export", audit_export, NULL, &e) != OAK_OK) {
        snprintf(err, errlen, "core routes: %s", e.message);
        return -1;
    }
    return 0;
}
