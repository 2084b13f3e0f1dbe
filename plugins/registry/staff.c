/*
 * staff.c - the staff side of donor registrations (permission
 * registry.read): search, detail, CSV export and the follow-up queue that
 * the regional rules feed. Lists are limited to the account's regions in
 * SQL (oak_in_scope); a single record is authorised on its own region and
 * answers 404 outside it. Every read of personal data is audited, with one
 * audit row per registration read (a list or an export names each one).
 * An ID number is a filter only in a POST body, never in a URL.
 */
#include "registry.h"
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_SIZE 50
#define CSV_MAX_ROWS 10000
#define PERM "registry.read"

struct filters {
    const char *number, *status, *from, *to;
    char idx[65];
    int has_idx, region;
    long long page;
};

static int bad_param(oak_req *req, const char *field, const char *msg)
{
    host->error_field(req, field, msg);
    return host->error(req, 400, "validation_failed", "查询条件无效 (invalid filter)");
}

/* A filter from the JSON body of POST .../search, else the query string. */
static const char *filter(oak_req *req, const char *name)
{
    const oak_json *body = host->req_json(req);

    return body ? registry_str(body, name) : host->req_query(req, name);
}

/* Parse the filters of the list and the export; 0, or 1 when answered.
 * An ID number is only taken from a POST body: in a URL it would end up
 * in proxy and nginx access logs. */
static int parse_filters(oak_req *req, struct filters *f)
{
    const char *id = filter(req, "id_number"), *region = filter(req, "region");
    const char *page = filter(req, "page"), *why = NULL;
    struct oak_id_facts facts;
    char *end;

    memset(f, 0, sizeof *f);
    f->number = filter(req, "number");
    f->status = filter(req, "status");
    f->from = filter(req, "from");
    f->to = filter(req, "to");
    f->page = 1;
    if (host->req_query(req, "id_number"))
        return bad_param(req, "id_number",
                         "按身份证号查询请用 POST /api/registry/staff/donors/search，以免号码出现在网址和日志中 "
                         "(search by ID number with POST so it stays out of URLs and logs)"), 1;
    if (f->number && (!*f->number || strlen(f->number) > 16))
        return bad_param(req, "number", "登记号格式不正确 (number: e.g. D530502-7KQ2M9XA)"), 1;
    if (f->status && *f->status && strcmp(f->status, "active") && strcmp(f->status, "withdrawn"))
        return bad_param(req, "status", "状态应为 active 或 withdrawn (status: active or withdrawn)"), 1;
    if (f->status && !*f->status)
        f->status = NULL;
    if (id && *id) {
        if (host->id_check(id, &facts, &why) != 0)
            return bad_param(req, "id_number", why ? why : "身份证号码无效 (invalid ID number)"), 1;
        if (host->blind_index("registry.id_number", facts.normalized, 18, f->idx) != OAK_OK)
            return -1;
        f->has_idx = 1;
    }
    if (region && *region && !(f->region = host->region_parse(region)))
        return bad_param(req, "region", "地区代码未知 (region: unknown GB/T 2260 code)"), 1;
    if (f->from && *f->from && registry_date_check(f->from) < 0)
        return bad_param(req, "from", "日期应为 YYYY-MM-DD 格式的有效日期 (from: a real date, YYYY-MM-DD)"), 1;
    if (f->to && *f->to && registry_date_check(f->to) < 0)
        return bad_param(req, "to", "日期应为 YYYY-MM-DD 格式的有效日期 (to: a real date, YYYY-MM-DD)"), 1;
    if (f->from && *f->from && f->to && *f->to && strcmp(f->from, f->to) > 0)
        return bad_param(req, "from", "起始日期晚于截止日期 (from: later than to)"), 1;
    if (page && ((f->page = strtoll(page, &end, 10)) < 1 || *end || f->page > 100000))
        return bad_param(req, "page", "页码应为正整数 (page: a positive integer)"), 1;
    if (f->from && !*f->from)
        f->from = NULL;
    if (f->to && !*f->to)
        f->to = NULL;
    return 0;
}

/* The numbers of the matching registrations of the account's regions,
 * newest first: at most LIMIT from OFFSET. Request memory. */
static int matching(oak_req *req, const struct filters *f, long long limit, long long offset,
                    const char ***out, int *n)
{
    struct oak_error err;
    oak_stmt *st;
    const char **v = host->req_alloc(req, sizeof *v * (size_t)limit);
    int rc = host->db_prepare(
        "SELECT number FROM registry_donors WHERE oak_in_scope(region)"
        " AND (?1 IS NULL OR number = ?1) AND (?2 IS NULL OR person_index = ?2)"
        " AND (?3 IS NULL OR status = ?3) AND (?4 = 0 OR oak_region_within(region, ?4))"
        " AND (?5 IS NULL OR registered_at >= ?5)"
        " AND (?6 IS NULL OR registered_at < strftime('%Y-%m-%d', ?6, '+1 day'))"
        " ORDER BY id DESC LIMIT ?7 OFFSET ?8", &st, &err);

    *n = 0;
    if (rc != OAK_OK || !v)
        return rc != OAK_OK ? rc : OAK_ENOMEM;
    host->db_bind_text(st, 1, f->number, -1);
    host->db_bind_text(st, 2, f->has_idx ? f->idx : NULL, -1);
    host->db_bind_text(st, 3, f->status, -1);
    host->db_bind_int(st, 4, f->region);
    host->db_bind_text(st, 5, f->from, -1);
    host->db_bind_text(st, 6, f->to, -1);
    host->db_bind_int(st, 7, limit);
    host->db_bind_int(st, 8, offset);
    while ((rc = host->db_step(st, &err)) == OAK_ROW && *n < limit)
        v[(*n)++] = host->req_strdup(req, host->db_column_text(st, 0));
    host->db_finish(st);
    *out = v;
    return rc == OAK_DONE || rc == OAK_ROW ? OAK_OK : rc;
}

/* Audit a staff read in a transaction of its own. */
static int audit_read(oak_req *req, const char *action, const char *type, const char *id, int region,
                      const char *detail)
{
    struct oak_error err;
    int rc = host->db_begin(&err);

    if (rc != OAK_OK)
        return rc;
    if ((rc = host->audit(req, action, type, id, region, detail)) != OAK_OK ||
        (rc = host->db_commit(&err)) != OAK_OK)
        host->db_rollback();
    return rc;
}

/* The registrations a list or an export read, for its audit rows. */
struct reads {
    const char **numbers;
    int *regions;
    int n;
};

static int reads_init(oak_req *req, struct reads *r, int cap)
{
    r->n = 0;
    r->numbers = host->req_alloc(req, sizeof *r->numbers * (size_t)(cap > 0 ? cap : 1));
    r->regions = host->req_alloc(req, sizeof *r->regions * (size_t)(cap > 0 ? cap : 1));
    return r->numbers && r->regions ? OAK_OK : OAK_ENOMEM;
}

static void reads_add(struct reads *r, const struct registry_donor *d)
{
    r->numbers[r->n] = d->number;
    r->regions[r->n++] = d->region;
}

/* Audit ACTION for each registration of R, one row naming it in its own
 * region, all in one transaction. When nothing matched, one row "-" in
 * the filter's REGION records that the search was made. DETAIL says how
 * (page, rows, by=id_number), never what was searched for. */
static int audit_reads(oak_req *req, const char *action, const struct reads *r, int region, const char *detail)
{
    struct oak_error err;
    int rc = host->db_begin(&err);

    if (rc != OAK_OK)
        return rc;
    if (r->n == 0)
        rc = host->audit(req, action, "donor", "-", region, detail);
    for (int i = 0; i < r->n && rc == OAK_OK; i++)
        rc = host->audit(req, action, "donor", r->numbers[i], r->regions[i], detail);
    if (rc == OAK_OK)
        rc = host->db_commit(&err);
    if (rc != OAK_OK)
        host->db_rollback();
    return rc;
}

/* Find and open a registration for the list; it was matched in scope. */
static int load(oak_req *req, const char *number, struct registry_donor *d)
{
    int rc = registry_donor_find(req, "number", number, d);

    if (rc == OAK_OK && host->authorize(req, PERM, d->region) != OAK_OK)
        rc = OAK_ENOTFOUND;
    return rc == OAK_OK ? registry_donor_open(req, d) : rc;
}

static oak_json *list_item(const struct registry_donor *d)
{
    struct oak_id_facts id;
    oak_json *o = host->json_object();
    char masked[19], code[7];
    const char *rn = host->region_name(d->region);

    registry_mask_id(d->id_number, masked);
    registry_region_str(d->region, code);
    host->json_set(o, "number", host->json_string(d->number));
    host->json_set(o, "status", host->json_string(d->status));
    host->json_set(o, "name", registry_json_text(d->name));
    host->json_set(o, "id_number", host->json_string(masked));
    host->json_set(o, "age", host->json_integer(host->id_check(d->id_number, &id, NULL) == 0 ? id.age : d->age));
    host->json_set(o, "gender", registry_json_text(d->gender));
    host->json_set(o, "region", host->json_string(code));
    host->json_set(o, "region_name", host->json_string(rn ? rn : ""));
    host->json_set(o, "registered_at", registry_json_text(d->registered_at));
    return o;
}

/* GET /api/registry/staff/donors, POST /api/registry/staff/donors/search */
static int staff_list(oak_req *req, void *ud)
{
    struct filters f;
    struct reads seen;
    const char **numbers;
    oak_json *items, *out;
    char detail[64];
    int n, rc = parse_filters(req, &f);

    (void)ud;
    if (rc != 0)
        return rc > 0 ? OAK_OK : rc;
    if ((rc = matching(req, &f, PAGE_SIZE + 1, (f.page - 1) * PAGE_SIZE, &numbers, &n)) != OAK_OK ||
        (rc = reads_init(req, &seen, n)) != OAK_OK)
        return rc;
    items = host->json_array();
    for (int i = 0; i < n && i < PAGE_SIZE; i++) {
        struct registry_donor d;

        if ((rc = load(req, numbers[i], &d)) == OAK_ENOTFOUND)
            continue;
        if (rc != OAK_OK) {
            host->json_decref(items);
            return rc;
        }
        host->json_append(items, list_item(&d));
        reads_add(&seen, &d);
    }
    snprintf(detail, sizeof detail, "page=%lld rows=%d%s", f.page, seen.n, f.has_idx ? " by=id_number" : "");
    if ((rc = audit_reads(req, "registry.donor.search", &seen, f.region, detail)) != OAK_OK) {
        host->json_decref(items);
        return rc;
    }
    out = host->json_object();
    host->json_set(out, "items", items);
    host->json_set(out, "page", host->json_integer(f.page));
    host->json_set(out, "more", host->json_bool(n > PAGE_SIZE));
    return host->respond_json(req, 200, out);
}

static oak_json *followups_of(long long donor)
{
    struct oak_error err;
    oak_stmt *st;
    oak_json *a = host->json_array();

    if (host->db_prepare("SELECT id, type, recipient, reason, state, created_at FROM registry_followups"
                         " WHERE donor_id = ?1 AND oak_in_scope(region) ORDER BY id", &st, &err) != OAK_OK)
        return a;
    host->db_bind_int(st, 1, donor);
    while (host->db_step(st, &err) == OAK_ROW) {
        oak_json *o = host->json_object();

        host->json_set(o, "id", host->json_integer(host->db_column_int(st, 0)));
        host->json_set(o, "type", registry_json_text(host->db_column_text(st, 1)));
        host->json_set(o, "to", registry_json_text(host->db_column_text(st, 2)));
        host->json_set(o, "reason", registry_json_text(host->db_column_text(st, 3)));
        host->json_set(o, "state", registry_json_text(host->db_column_text(st, 4)));
        host->json_set(o, "created_at", registry_json_text(host->db_column_text(st, 5)));
        host->json_append(a, o);
    }
    host->db_finish(st);
    return a;
}

/* The other registrations of D's person within the account's regions,
 * oldest first (numbers, states and dates: nothing personal), into OUT's
 * "earlier", and the registration that superseded D into "superseded_by". */
static int history_of(const struct registry_donor *d, oak_json *out)
{
    struct oak_error err;
    oak_stmt *st;
    oak_json *a;
    int rc = host->db_prepare("SELECT superseded_by FROM registry_donors WHERE id = ?1", &st, &err);

    if (rc != OAK_OK)
        return rc;
    host->db_bind_int(st, 1, d->rowid);
    rc = host->db_step(st, &err);
    host->json_set(out, "superseded_by", registry_json_text(rc == OAK_ROW ? host->db_column_text(st, 0) : NULL));
    host->db_finish(st);
    if (rc != OAK_ROW && rc != OAK_DONE)
        return rc;
    rc = host->db_prepare("SELECT number, status, registered_at, withdrawn_at, superseded_by FROM registry_donors"
                          " WHERE person_index = (SELECT person_index FROM registry_donors WHERE id = ?1)"
                          " AND id <> ?1 AND oak_in_scope(region) ORDER BY id", &st, &err);
    if (rc != OAK_OK)
        return rc;
    host->db_bind_int(st, 1, d->rowid);
    a = host->json_array();
    while ((rc = host->db_step(st, &err)) == OAK_ROW) {
        static const char *const keys[] = { "number", "status", "registered_at", "withdrawn_at", "superseded_by" };
        oak_json *o = host->json_object();

        for (int i = 0; i < 5; i++)
            host->json_set(o, keys[i], registry_json_text(host->db_column_text(st, i)));
        host->json_append(a, o);
    }
    host->db_finish(st);
    host->json_set(out, "earlier", a);
    return rc == OAK_DONE ? OAK_OK : rc;
}

/* GET /api/registry/staff/donors/:number */
static int staff_detail(oak_req *req, void *ud)
{
    struct registry_donor d;
    const char *reason = NULL;
    oak_json *out;
    int rc = load(req, host->req_param(req, "number"), &d);

    (void)ud;
    if (rc == OAK_ENOTFOUND)
        return host->error(req, 404, "not_found", "未找到该登记 (registration not found)");
    if (rc != OAK_OK || (rc = registry_donor_reason(req, &d, &reason)) != OAK_OK)
        return rc;
    if ((rc = audit_read(req, "registry.donor.view", "donor", d.number, d.region, NULL)) != OAK_OK)
        return rc;
    if (!(out = registry_donor_json(req, &d)))
        return OAK_ERROR;
    host->json_set(out, "withdraw_reason", registry_json_text(reason));
    if ((rc = history_of(&d, out)) != OAK_OK) {
        host->json_decref(out);
        return rc;
    }
    host->json_set(out, "followups", followups_of(d.rowid));
    host->set_header(req, "Cache-Control", "no-store");
    return host->respond_json(req, 200, out);
}

/* ---- CSV ------------------------------------------------------------------------- */

struct buf {
    char *p;
    size_t len, cap;
    int oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 8192) + n;
        char *p = realloc(b->p, cap);

        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* One quoted cell; a leading = + - @ is defused so that a spreadsheet
 * never runs a cell as a formula. */
static void cell(struct buf *b, const char *s, int last)
{
    put(b, "\"", 1);
    if (s && (*s == '=' || *s == '+' || *s == '-' || *s == '@'))
        put(b, "'", 1);
    for (; s && *s; s++)
        put(b, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
    put(b, last ? "\"\r\n" : "\",", last ? 3 : 2);
}

static void csv_row(oak_req *req, struct buf *b, const struct registry_donor *d)
{
    struct oak_id_facts id;
    char masked[19], m[12], code[7], age[8], name[REGISTRY_MASKED_NAME];
    const char *rn = host->region_name(d->region);

    registry_mask_name(d->name, name, sizeof name);
    registry_mask_id(d->id_number, masked);
    registry_mask_mobile(d->mobile, m);
    registry_region_str(d->region, code);
    snprintf(age, sizeof age, "%d", host->id_check(d->id_number, &id, NULL) == 0 ? id.age : d->age);
    cell(b, d->number, 0);
    cell(b, strcmp(d->status, "active") == 0 ? "有效" : "已撤回", 0);
    cell(b, name, 0);
    cell(b, masked, 0);
    cell(b, age, 0);
    cell(b, strcmp(d->gender, "male") == 0 ? "男" : "女", 0);
    cell(b, d->ethnicity, 0);
    cell(b, code, 0);
    cell(b, rn, 0);
    cell(b, m, 0);
    cell(b, registry_donation_text(req, d), 0);
    cell(b, d->registered_at, 0);
    cell(b, d->withdrawn_at, 1);
}

static const char csv_header[] =
    "\xef\xbb\xbf" /* BOM: spreadsheets then read the file as UTF-8 */
    "登记号,状态,姓名,身份证号码,年龄,性别,民族,地区代码,地区,手机号码,捐献意愿,登记时间,撤回时间\r\n";

/* GET /api/registry/staff/donors.csv, and POST with the filters in a JSON
 * body (the only way to export by ID number) */
static int staff_csv(oak_req *req, void *ud)
{
    struct filters f;
    struct buf b = { 0 };
    struct reads seen;
    const char **numbers;
    char detail[64];
    int n, rc = parse_filters(req, &f);

    (void)ud;
    if (rc != 0)
        return rc > 0 ? OAK_OK : rc;
    if ((rc = matching(req, &f, CSV_MAX_ROWS, 0, &numbers, &n)) != OAK_OK ||
        (rc = reads_init(req, &seen, n)) != OAK_OK)
        return rc;
    put(&b, csv_header, sizeof csv_header - 1);
    for (int i = 0; i < n && rc == OAK_OK; i++) {
        struct registry_donor d;

        if ((rc = load(req, numbers[i], &d)) == OAK_OK) {
            csv_row(req, &b, &d);
            reads_add(&seen, &d);
        } else if (rc == OAK_ENOTFOUND) {
            rc = OAK_OK;
        }
    }
    snprintf(detail, sizeof detail, "rows=%d%s", seen.n, f.has_idx ? " by=id_number" : "");
    if (rc == OAK_OK && !b.oom)
        rc = audit_reads(req, "registry.donor.export", &seen, f.region, detail);
    if (rc == OAK_OK && !b.oom) {
        host->set_header(req, "Content-Disposition", "attachment; filename=\"donors.csv\"");
        host->set_header(req, "Cache-Control", "no-store");
        rc = host->respond(req, 200, "text/csv; charset=utf-8", b.p, b.len);
    }
    free(b.p);
    return b.oom ? OAK_ENOMEM : rc;
}

/* ---- follow-ups -------------------------------------------------------------------- */

static oak_json *followup_row(oak_stmt *st)
{
    oak_json *o = host->json_object();
    int region = (int)host->db_column_int(st, 2);
    char code[7];

    registry_region_str(region, code);
    host->json_set(o, "id", host->json_integer(host->db_column_int(st, 0)));
    host->json_set(o, "number", registry_json_text(host->db_column_text(st, 1)));
    host->json_set(o, "region", host->json_string(code));
    host->json_set(o, "region_name", registry_json_text(host->region_name(region)));
    host->json_set(o, "type", registry_json_text(host->db_column_text(st, 3)));
    host->json_set(o, "to", registry_json_text(host->db_column_text(st, 4)));
    host->json_set(o, "reason", registry_json_text(host->db_column_text(st, 5)));
    host->json_set(o, "source", registry_json_text(host->db_column_text(st, 6)));
    host->json_set(o, "state", registry_json_text(host->db_column_text(st, 7)));
    host->json_set(o, "created_at", registry_json_text(host->db_column_text(st, 8)));
    host->json_set(o, "done_at", registry_json_text(host->db_column_text(st, 9)));
    host->json_set(o, "done_by", registry_json_text(host->db_column_text(st, 10)));
    return o;
}

/* GET /api/registry/staff/followups?state=open|done&page= */
static int staff_followups(oak_req *req, void *ud)
{
    const char *state = host->req_query(req, "state"), *page = host->req_query(req, "page");
    struct oak_error err;
    oak_stmt *st;
    oak_json *items, *out;
    long long p = 1;
    char *end;
    int rc, n = 0;

    (void)ud;
    if (!state || !*state)
        state = "open";
    if (strcmp(state, "open") && strcmp(state, "done"))
        return bad_param(req, "state", "状态应为 open 或 done (state: open or done)");
    if (page && ((p = strtoll(page, &end, 10)) < 1 || *end || p > 100000))
        return bad_param(req, "page", "页码应为正整数 (page: a positive integer)");
    rc = host->db_prepare("SELECT id, number, region, type, recipient, reason, source, state, created_at,"
                          " done_at, done_by FROM registry_followups WHERE state = ?1 AND oak_in_scope(region)"
                          " ORDER BY id LIMIT ?2 OFFSET ?3", &st, &err);
    if (rc != OAK_OK)
        return rc;
    host->db_bind_text(st, 1, state, -1);
    host->db_bind_int(st, 2, PAGE_SIZE + 1);
    host->db_bind_int(st, 3, (p - 1) * PAGE_SIZE);
    items = host->json_array();
    while ((rc = host->db_step(st, &err)) == OAK_ROW)
        if (++n <= PAGE_SIZE)
            host->json_append(items, followup_row(st));
    host->db_finish(st);
    if (rc != OAK_DONE) {
        host->json_decref(items);
        return rc;
    }
    out = host->json_object();
    host->json_set(out, "items", items);
    host->json_set(out, "page", host->json_integer(p));
    host->json_set(out, "more", host->json_bool(n > PAGE_SIZE));
    return host->respond_json(req, 200, out);
}

/* POST /api/registry/staff/followups/:id/done */
static int staff_followup_done(oak_req *req, void *ud)
{
    const char *idtxt = host->req_param(req, "id");
    struct oak_error err;
    oak_stmt *st;
    oak_json *out;
    char *end = NULL;
    long long id = idtxt ? strtoll(idtxt, &end, 10) : 0;
    int rc, region = 0, done = 0;

    (void)ud;
    if (id <= 0 || !end || *end)
        return host->error(req, 404, "not_found", "未找到该待办 (follow-up not found)");
    if ((rc = host->db_begin(&err)) != OAK_OK)
        return rc;
    rc = host->db_prepare("SELECT region, state FROM registry_followups WHERE id = ?1", &st, &err);
    if (rc == OAK_OK) {
        host->db_bind_int(st, 1, id);
        rc = host->db_step(st, &err);
        region = rc == OAK_ROW ? (int)host->db_column_int(st, 0) : 0;
        done = rc == OAK_ROW && strcmp(host->db_column_text(st, 1), "done") == 0;
        host->db_finish(st);
    }
    if (rc == OAK_DONE || (rc == OAK_ROW && host->authorize(req, PERM, region) != OAK_OK)) {
        host->db_rollback();
        return host->error(req, 404, "not_found", "未找到该待办 (follow-up not found)");
    }
    if (rc == OAK_ROW && !done)
        rc = host->db_prepare("UPDATE registry_followups SET state = 'done', done_by = ?2,"
                              " done_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?1 AND state = 'open'",
                              &st, &err);
    if (rc == OAK_OK) {
        host->db_bind_int(st, 1, id);
        host->db_bind_text(st, 2, host->req_username(req), -1);
        rc = host->db_step(st, &err);
        host->db_finish(st);
        done = rc == OAK_DONE && host->db_changes() != 1;
    }
    /* closed already (by someone else, perhaps a moment ago): nothing changes, nothing to audit */
    if (done) {
        host->db_rollback();
        return host->error(req, 409, "already_done", "该待办已完成 (this follow-up is already done)");
    }
    if (rc == OAK_DONE)
        rc = host->audit(req, "registry.followup.done", "followup", idtxt, region, NULL);
    /* answered before the commit: respond_json renders the whole answer,
     * so nothing can fail once the follow-up is closed (a retry would get
     * 409 for a close that was answered 500) */
    if (rc == OAK_OK) {
        out = host->json_object();
        host->json_set(out, "id", host->json_integer(id));
        host->json_set(out, "state", host->json_string("done"));
        if ((rc = host->respond_json(req, 200, out)) == OAK_OK)
            rc = host->db_commit(&err);
    }
    if (rc != OAK_OK)
        host->db_rollback();
    return rc;
}

int registry_staff_init(oak_plugin_ctx *ctx, struct oak_error *err)
{
    if (host->route(ctx, "GET", "/api/registry/staff/donors", PERM, staff_list, NULL, err) ||
        host->route(ctx, "POST", "/api/registry/staff/donors/search", PERM, staff_list, NULL, err) ||
        host->route(ctx, "GET", "/api/registry/staff/donors.csv", PERM, staff_csv, NULL, err) ||
        host->route(ctx, "POST", "/api/registry/staff/donors.csv", PERM, staff_csv, NULL, err) ||
        host->route(ctx, "GET", "/api/registry/staff/donors/:number", PERM, staff_detail, NULL, err) ||
        host->route(ctx, "GET", "/api/registry/staff/followups", PERM, staff_followups, NULL, err) ||
        host->route(ctx, "POST", "/api/registry/staff/followups/:id/done", PERM, staff_followup_done, NULL, err))
        return err->code ? err->code : OAK_ERROR;
    return OAK_OK;
}
