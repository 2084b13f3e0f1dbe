/*
 * stats.c - GET /api/registry/stats?region=CODE (public): donor
 * registrations, withdrawals and living wills per month, for the region
 * and for each region directly inside it. Counts from 1 to 4 are shown as
 * "<5" so that no one can be singled out in a small county; there is no
 * personal data in the answer. Without region: the whole country, by
 * province.
 */
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CELLS 4096

enum { REGISTERED, WITHDRAWN, WILLS, KINDS };

/* Counts of one month of one region (child 0: the region asked for). */
struct cell {
    int child;
    char month[8];
    long long n[KINDS];
};

struct tally {
    struct cell *cells;
    int count, region;
};

/* The region directly inside PARENT that holds REGION, or 0 when REGION
 * is PARENT itself. */
static int child_of(int region, int parent)
{
    for (int depth = 0; region && depth < 8; depth++) {
        int up = host->region_parent(region);

        if (up == parent)
            return region == parent ? 0 : region;
        region = up;
    }
    return 0;
}

static void add(struct tally *t, int child, const char *month, int kind, long long n)
{
    struct cell *c = NULL;

    for (int i = 0; i < t->count && !c; i++)
        if (t->cells[i].child == child && strcmp(t->cells[i].month, month) == 0)
            c = &t->cells[i];
    if (!c) {
        if (t->count == MAX_CELLS)
            return;
        c = &t->cells[t->count++];
        memset(c, 0, sizeof *c);
        c->child = child;
        snprintf(c->month, sizeof c->month, "%s", month);
    }
    c->n[kind] += n;
}

/* Run SQL (region, month, count) for the tally's region into KIND. */
static int count_into(struct tally *t, const char *sql, int kind)
{
    struct oak_error err;
    oak_stmt *st;
    int rc = host->db_prepare(sql, &st, &err);

    if (rc != OAK_OK) {
        host->log(NULL, OAK_LOG_ERROR, "registry: stats: %s", err.message);
        return rc;
    }
    host->db_bind_int(st, 1, t->region);
    while ((rc = host->db_step(st, &err)) == OAK_ROW) {
        int region = (int)host->db_column_int(st, 0);
        const char *month = host->db_column_text(st, 1);
        long long n = host->db_column_int(st, 2);
        int child = child_of(region, t->region);

        if (!month || strlen(month) != 7)
            continue;
        add(t, 0, month, kind, n);
        if (child)
            add(t, child, month, kind, n);
    }
    host->db_finish(st);
    return rc == OAK_DONE ? OAK_OK : rc;
}

/* Living wills live in wills.c's table; count them when it is there. */
static int wills_table(int *rc)
{
    struct oak_error err;
    oak_stmt *st;
    int found = 0;

    *rc = host->db_prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'registry_wills'",
                           &st, &err);
    if (*rc != OAK_OK)
        return 0;
    *rc = host->db_step(st, &err);
    found = *rc == OAK_ROW;
    host->db_finish(st);
    *rc = *rc == OAK_ROW || *rc == OAK_DONE ? OAK_OK : *rc;
    return found;
}

#define WITHIN " (?1 = 0 OR oak_region_within(region, ?1))"

static int collect(struct tally *t)
{
    int rc, wills;

    if ((rc = count_into(t, "SELECT region, substr(registered_at, 1, 7), count(*) FROM registry_donors"
                            " WHERE" WITHIN " GROUP BY 1, 2", REGISTERED)) != OAK_OK ||
        (rc = count_into(t, "SELECT region, substr(withdrawn_at, 1, 7), count(*) FROM registry_donors"
                            " WHERE withdrawn_at IS NOT NULL AND" WITHIN " GROUP BY 1, 2", WITHDRAWN)) != OAK_OK)
        return rc;
    wills = wills_table(&rc);
    if (rc == OAK_OK && wills)
        rc = count_into(t, "SELECT region, substr(registered_at, 1, 7), count(*) FROM registry_wills"
                           " WHERE" WITHIN " GROUP BY 1, 2", WILLS);
    return rc;
}

static int by_child_month(const void *a, const void *b)
{
    const struct cell *x = a, *y = b;

    if (x->child != y->child)
        return x->child < y->child ? -1 : 1;
    return strcmp(x->month, y->month);
}

/* 0 and 5 or more as numbers; 1 to 4 as "<5". */
static oak_json *shown(long long n)
{
    return n > 0 && n < 5 ? host->json_string("<5") : host->json_integer(n);
}

static oak_json *month_json(const struct cell *c)
{
    oak_json *o = host->json_object();

    host->json_set(o, "month", host->json_string(c->month));
    host->json_set(o, "registrations", shown(c->n[REGISTERED]));
    host->json_set(o, "withdrawals", shown(c->n[WITHDRAWN]));
    host->json_set(o, "wills", shown(c->n[WILLS]));
    return o;
}

static oak_json *region_json(int region, oak_json *months)
{
    oak_json *o = host->json_object();
    char code[7];

    registry_region_str(region, code);
    host->json_set(o, "region", region ? host->json_string(code) : host->json_null());
    host->json_set(o, "region_name", host->json_string(region ? host->region_name(region) : "全国"));
    host->json_set(o, "months", months);
    return o;
}

static oak_json *tally_json(struct tally *t)
{
    oak_json *out = NULL, *children = host->json_array(), *months = NULL;
    int child = -1;

    qsort(t->cells, (size_t)t->count, sizeof *t->cells, by_child_month);
    for (int i = 0; i < t->count; i++) {
        const struct cell *c = &t->cells[i];

        if (c->child != child) {
            child = c->child;
            months = host->json_array();
            if (child == 0)
                out = region_json(t->region, months);
            else
                host->json_append(children, region_json(child, months));
        }
        host->json_append(months, month_json(c));
    }
    if (!out)
        out = region_json(t->region, host->json_array());
    host->json_set(out, "children", children);
    return out;
}

static int stats(oak_req *req, void *ud)
{
    const char *q = host->req_query(req, "region");
    struct tally t = { 0 };
    oak_json *out;
    int rc;

    (void)ud;
    if (q && *q && !(t.region = host->region_parse(q))) {
        host->error_field(req, "region", "地区代码未知 (region: unknown GB/T 2260 code)");
        return host->error(req, 400, "validation_failed", "查询条件无效 (invalid parameter)");
    }
    if (!(t.cells = host->req_alloc(req, sizeof *t.cells * MAX_CELLS)))
        return OAK_ENOMEM;
    if ((rc = collect(&t)) != OAK_OK)
        return rc;
    out = tally_json(&t);
    host->set_header(req, "Cache-Control", "public, max-age=300");
    return host->respond_json(req, 200, out);
}

int registry_stats_init(oak_plugin_ctx *ctx, struct oak_error *err)
{
    if (host->route(ctx, "GET", "/api/registry/stats", OAK_PUBLIC, stats, NULL, err))
        return err->code ? err->code : OAK_ERROR;
    return OAK_OK;
}
