/*
 * stats.c - GET /api/registry/stats?region=CODE (public): donor
 * registrations, withdrawals and living wills per month, for the region
 * and for each region directly inside it; without region, the whole
 * country by province. There is no personal data in the answer, and no
 * count from 1 to 4 can be read from it or worked out from it:
 *
 *  - a count from 1 to 4 is shown as "<5";
 *  - a region's count is its children's added up, plus the records made
 *    at the region's own code. Where the numbers a group shows (a region
 *    and the regions directly inside it, for one month and one kind of
 *    count) would pin a hidden count down to one value - a single "<5"
 *    beside numbers, which the total minus the others gives, or two "<5"
 *    whose sum can only be 1 + 1 - the smallest number shown among the
 *    children is hidden too, as "suppressed" (the region's own count when
 *    no child has one), until none can be worked out (complementary
 *    suppression). The records at a region's own code are counted as
 *    known unless they are from 1 to 4 themselves;
 *  - the rule is worked out once for the whole country, month by month,
 *    so a count hidden in one answer is hidden in every answer that has it
 *    (a prefecture is a child in its province's answer and the region of
 *    its own).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KINDS REGISTRY_STAT_KINDS
#define MAX_DEPTH 8

/* One region of the month's tree; index 0 is the whole country. */
struct node {
    int code;
    int parent, child, sibling;        /* indexes, -1 for none */
    long long n[KINDS];                /* inside the region, its own code included */
    long long own[KINDS];              /* recorded at the region's own code */
    unsigned char shown[KINDS];        /* REGISTRY_SHOWN, _SMALL, _SUPPRESSED */
};

struct registry_month {
    struct node *nodes;
    int count;
};

static int by_code(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;

    return x < y ? -1 : x > y;
}

static int find(const struct registry_month *m, int code)
{
    int lo = 0, hi = m->count - 1;

    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;

        if (m->nodes[mid].code == code)
            return mid;
        if (m->nodes[mid].code < code)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static int small(long long n)
{
    return n > 0 && n < 5;
}

/* ---- is a hidden count of a group pinned down? ------------------------------------------ */

/* A reader's bounds on one term of a group's sum, the sum being
 * region - own code - children = 0: coefficient +1 or -1, hidden or its
 * value, and for a hidden one what its marker says: [1, 4] for "<5", at
 * least 5 for "suppressed" (HI_INF). A reader who knows the rule also
 * knows that a child hidden as "suppressed" is no larger than the
 * smallest number still shown beside it: that bounds it from above. */
struct term {
    int coef, hidden, hi_inf;
    long long value, lo, hi;
};

/* The smallest and largest values COEF * x can take, with a flag for an
 * unbounded side. */
static void range(const struct term *t, long long *min, int *min_inf, long long *max, int *max_inf)
{
    *min_inf = *max_inf = 0;
    if (t->coef > 0) {
        *min = t->lo;
        *max = t->hi;
        *max_inf = t->hi_inf;
    } else {
        *min = -t->hi;
        *min_inf = t->hi_inf;
        *max = -t->lo;
    }
}

static struct term term_of(int coef, long long value, int shown)
{
    struct term t = { coef, shown != REGISTRY_SHOWN, 0, value, value, value };

    if (shown == REGISTRY_SMALL) {
        t.lo = 1;
        t.hi = 4;
    } else if (shown == REGISTRY_SUPPRESSED) {
        t.lo = 5;
        t.hi = 0;
        t.hi_inf = 1;
    }
    return t;
}

/* The Ith term of node P's group for KIND: 0 the region, 1 its own code,
 * then its children (*CHILD the next one; CAP the smallest count shown
 * among them that is not 0, or 0); 0 when there is no Ith term. */
static int group_term(const struct registry_month *m, int p, int k, int i, long long cap, int *child,
                      struct term *t)
{
    const struct node *n = &m->nodes[p];

    if (i == 0) {
        *t = term_of(1, n->n[k], n->shown[k]);
        return 1;
    }
    if (i == 1) {
        *t = term_of(-1, n->own[k], small(n->own[k]) ? REGISTRY_SMALL : REGISTRY_SHOWN);
        *child = n->child;
        return 1;
    }
    if (*child < 0)
        return 0;
    *t = term_of(-1, m->nodes[*child].n[k], m->nodes[*child].shown[k]);
    /* (a region hidden for its own group's sake may be larger: no bound then) */
    if (t->hi_inf && cap > 0 && t->value <= cap) {
        t->hi = cap;
        t->hi_inf = 0;
    }
    *child = m->nodes[*child].sibling;
    return 1;
}

/* The smallest count of KIND shown among P's children that is not 0; 0
 * when there is none. */
static long long smallest_shown(const struct registry_month *m, int p, int k)
{
    long long best = 0;

    for (int c = m->nodes[p].child; c >= 0; c = m->nodes[c].sibling)
        if (m->nodes[c].shown[k] == REGISTRY_SHOWN && m->nodes[c].n[k] > 0 &&
            (best == 0 || m->nodes[c].n[k] < best))
            best = m->nodes[c].n[k];
    return best;
}

/* 1 when a reader of P's group (KIND) can work out a hidden term exactly:
 * its value follows from the values shown and the bounds of the others. */
static int exposed(const struct registry_month *m, int p, int k)
{
    long long c = 0, slo = 0, shi = 0, cap = smallest_shown(m, p, k);
    int slo_inf = 0, shi_inf = 0, hidden = 0, child = -1;
    struct term t;

    for (int i = 0; group_term(m, p, k, i, cap, &child, &t); i++) {
        long long min, max;
        int min_inf, max_inf;

        if (!t.hidden) {
            c -= t.coef * t.value;
            continue;
        }
        hidden++;
        range(&t, &min, &min_inf, &max, &max_inf);
        slo += min_inf ? 0 : min;
        slo_inf += min_inf;
        shi += max_inf ? 0 : max;
        shi_inf += max_inf;
    }
    if (!hidden)
        return 0;
    child = -1;
    for (int i = 0; group_term(m, p, k, i, cap, &child, &t); i++) {
        long long min, max, lo, hi, olo, ohi;
        int min_inf, max_inf, olo_inf, ohi_inf, lo_inf, hi_inf;

        if (!t.hidden)
            continue;
        /* the others' sum, without this term */
        range(&t, &min, &min_inf, &max, &max_inf);
        olo = slo - (min_inf ? 0 : min);
        olo_inf = slo_inf - min_inf;
        ohi = shi - (max_inf ? 0 : max);
        ohi_inf = shi_inf - max_inf;
        /* coef * x = c - others */
        if (t.coef > 0) {
            lo = c - ohi, lo_inf = ohi_inf > 0;
            hi = c - olo, hi_inf = olo_inf > 0;
        } else {
            lo = olo - c, lo_inf = olo_inf > 0;
            hi = ohi - c, hi_inf = ohi_inf > 0;
        }
        if (lo_inf || lo < t.lo)
            lo = t.lo, lo_inf = 0;
        if (!t.hi_inf && (hi_inf || hi > t.hi))
            hi = t.hi, hi_inf = 0;
        if (!lo_inf && !hi_inf && lo == hi)
            return 1;
    }
    return 0;
}

/* Hide one more count of P's group (KIND): its smallest child shown that
 * is not 0, else P itself. 0 when there is nothing left to hide. */
static int cover(struct registry_month *m, int p, int k)
{
    int best = -1;

    /* the first of equals (lowest code): children are in order of code */
    for (int c = m->nodes[p].child; c >= 0; c = m->nodes[c].sibling)
        if (m->nodes[c].shown[k] == REGISTRY_SHOWN && m->nodes[c].n[k] > 0 &&
            (best < 0 || m->nodes[c].n[k] < m->nodes[best].n[k]))
            best = c;
    if (best < 0 && m->nodes[p].shown[k] == REGISTRY_SHOWN && m->nodes[p].n[k] > 0)
        best = p;
    if (best < 0)
        return 0;
    m->nodes[best].shown[k] = REGISTRY_SUPPRESSED;
    return 1;
}

static void suppress(struct registry_month *m)
{
    for (int k = 0; k < KINDS; k++) {
        int changed;

        for (int i = 0; i < m->count; i++)
            m->nodes[i].shown[k] = small(m->nodes[i].n[k]) ? REGISTRY_SMALL : REGISTRY_SHOWN;
        /* hiding a count can expose another group it is in: until nothing changes */
        do {
            changed = 0;
            for (int i = 0; i < m->count; i++)
                if (m->nodes[i].child >= 0 && exposed(m, i, k) && cover(m, i, k))
                    changed = 1;
        } while (changed);
    }
}

/* ---- the month's tree ------------------------------------------------------------------------ */

struct registry_month *registry_month_build(const struct registry_count *counts, size_t n)
{
    struct registry_month *m = calloc(1, sizeof *m);
    int *codes = malloc(sizeof *codes * (n * MAX_DEPTH + 1));
    size_t ncodes = 0;

    if (!m || !codes)
        goto fail;
    codes[ncodes++] = 0;
    for (size_t i = 0; i < n; i++)
        for (int c = counts[i].region, depth = 0; c > 0 && depth < MAX_DEPTH; depth++) {
            codes[ncodes++] = c;
            c = host->region_parent(c);
        }
    qsort(codes, ncodes, sizeof *codes, by_code);
    if (!(m->nodes = calloc(ncodes, sizeof *m->nodes)))
        goto fail;
    for (size_t i = 0; i < ncodes; i++)
        if (i == 0 || codes[i] != codes[i - 1]) {
            struct node *x = &m->nodes[m->count++];

            x->code = codes[i];
            x->parent = x->child = x->sibling = -1;
        }
    /* children linked in descending order of code end up ascending */
    for (int i = m->count - 1; i > 0; i--) {
        struct node *x = &m->nodes[i];
        int p = find(m, host->region_parent(x->code));

        x->parent = p > 0 ? p : 0;
        x->sibling = m->nodes[x->parent].child;
        m->nodes[x->parent].child = i;
    }
    for (size_t i = 0; i < n; i++) {
        int at = counts[i].region > 0 ? find(m, counts[i].region) : -1, k = counts[i].kind;

        if (at < 0 || k < 0 || k >= KINDS)
            continue;
        m->nodes[at].own[k] += counts[i].n;
        for (; at >= 0; at = m->nodes[at].parent)
            m->nodes[at].n[k] += counts[i].n;
    }
    free(codes);
    suppress(m);
    return m;
fail:
    free(codes);
    registry_month_free(m);
    return NULL;
}

void registry_month_free(struct registry_month *m)
{
    if (m) {
        free(m->nodes);
        free(m);
    }
}

int registry_month_cell(const struct registry_month *m, int region, int kind, long long *n)
{
    int at = find(m, region);

    if (at < 0 || kind < 0 || kind >= KINDS)
        return -1;
    *n = m->nodes[at].n[kind];
    return m->nodes[at].shown[kind];
}

/* ---- the counts, from the database ----------------------------------------------------------- */

/* One count read: its month ("2026-11") and what it counts. */
struct row {
    char month[8];
    struct registry_count c;
};

struct rows {
    struct row *v;
    size_t n, cap;
};

/* Run SQL (region, month, count) into R as KIND. */
static int load(struct rows *r, const char *sql, int kind)
{
    struct oak_error err;
    oak_stmt *st;
    int rc = host->db_prepare(sql, &st, &err);

    if (rc != OAK_OK) {
        host->log(NULL, OAK_LOG_ERROR, "registry: stats: %s", err.message);
        return rc;
    }
    while ((rc = host->db_step(st, &err)) == OAK_ROW) {
        const char *month = host->db_column_text(st, 1);
        struct row *x;

        if (!month || strlen(month) != 7)
            continue;
        if (r->n == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 256;
            struct row *v = realloc(r->v, sizeof *v * cap);

            if (!v) {
                rc = OAK_ENOMEM;
                break;
            }
            r->v = v;
            r->cap = cap;
        }
        x = &r->v[r->n++];
        memcpy(x->month, month, 8);
        x->c.region = (int)host->db_column_int(st, 0);
        x->c.kind = kind;
        x->c.n = host->db_column_int(st, 2);
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

/* Every count of the country: the rule needs them all (see the top). */
static int collect(struct rows *r)
{
    int rc, wills;

    if ((rc = load(r, "SELECT region, substr(registered_at, 1, 7), count(*) FROM registry_donors"
                      " GROUP BY 1, 2", REGISTRY_STAT_REGISTERED)) != OAK_OK ||
        (rc = load(r, "SELECT region, substr(withdrawn_at, 1, 7), count(*) FROM registry_donors"
                      " WHERE withdrawn_at IS NOT NULL GROUP BY 1, 2", REGISTRY_STAT_WITHDRAWN)) != OAK_OK)
        return rc;
    wills = wills_table(&rc);
    if (rc == OAK_OK && wills)
        rc = load(r, "SELECT region, substr(registered_at, 1, 7), count(*) FROM registry_wills GROUP BY 1, 2",
                  REGISTRY_STAT_WILLS);
    return rc;
}

static int by_month(const void *a, const void *b)
{
    return strcmp(((const struct row *)a)->month, ((const struct row *)b)->month);
}

/* ---- the answer ------------------------------------------------------------------------------ */

/* One month of the region asked for (child 0) or of a region inside it. */
struct cell {
    int child;
    char month[8];
    long long n[KINDS];
    unsigned char shown[KINDS];
};

struct cells {
    struct cell *v;
    size_t n, cap;
};

static int add_cell(struct cells *out, int child, const char *month, const struct node *x)
{
    struct cell *c;

    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 64;
        struct cell *v = realloc(out->v, sizeof *v * cap);

        if (!v)
            return OAK_ENOMEM;
        out->v = v;
        out->cap = cap;
    }
    c = &out->v[out->n++];
    c->child = child;
    memcpy(c->month, month, 8);
    memcpy(c->n, x->n, sizeof c->n);
    memcpy(c->shown, x->shown, sizeof c->shown);
    return OAK_OK;
}

/* The cells of REGION and its children, month by month, from the rows R
 * (sorted by month). */
static int tally(struct rows *r, int region, struct cells *out)
{
    struct registry_count *counts = malloc(sizeof *counts * (r->n ? r->n : 1));
    int rc = counts ? OAK_OK : OAK_ENOMEM;

    for (size_t a = 0, b; rc == OAK_OK && a < r->n; a = b) {
        struct registry_month *m;
        int q;

        for (b = a; b < r->n && strcmp(r->v[b].month, r->v[a].month) == 0; b++)
            counts[b - a] = r->v[b].c;
        if (!(m = registry_month_build(counts, b - a))) {
            rc = OAK_ENOMEM;
            break;
        }
        if ((q = find(m, region)) >= 0) {
            rc = add_cell(out, 0, r->v[a].month, &m->nodes[q]);
            for (int c = m->nodes[q].child; rc == OAK_OK && c >= 0; c = m->nodes[c].sibling)
                rc = add_cell(out, m->nodes[c].code, r->v[a].month, &m->nodes[c]);
        }
        registry_month_free(m);
    }
    free(counts);
    return rc;
}

static int by_child_month(const void *a, const void *b)
{
    const struct cell *x = a, *y = b;

    if (x->child != y->child)
        return x->child < y->child ? -1 : 1;
    return strcmp(x->month, y->month);
}

static oak_json *shown(long long n, int how)
{
    if (how == REGISTRY_SMALL)
        return host->json_string("<5");
    if (how == REGISTRY_SUPPRESSED)
        return host->json_string("suppressed");
    return host->json_integer(n);
}

static oak_json *month_json(const struct cell *c)
{
    oak_json *o = host->json_object();

    host->json_set(o, "month", host->json_string(c->month));
    host->json_set(o, "registrations", shown(c->n[REGISTRY_STAT_REGISTERED], c->shown[REGISTRY_STAT_REGISTERED]));
    host->json_set(o, "withdrawals", shown(c->n[REGISTRY_STAT_WITHDRAWN], c->shown[REGISTRY_STAT_WITHDRAWN]));
    host->json_set(o, "wills", shown(c->n[REGISTRY_STAT_WILLS], c->shown[REGISTRY_STAT_WILLS]));
    return o;
}

static oak_json *region_json(int region, oak_json *months)
{
    oak_json *o = host->json_object();
    const char *name = region ? host->region_name(region) : "全国";
    char code[7];

    registry_region_str(region, code);
    host->json_set(o, "region", region ? host->json_string(code) : host->json_null());
    host->json_set(o, "region_name", host->json_string(name ? name : ""));
    host->json_set(o, "months", months);
    return o;
}

static oak_json *answer(int region, struct cells *cells)
{
    oak_json *out = NULL, *children = host->json_array(), *months = NULL;
    int child = -1;

    /* no cells (a region without records): v is NULL, which qsort must not get */
    if (cells->n > 1)
        qsort(cells->v, cells->n, sizeof *cells->v, by_child_month);
    for (size_t i = 0; i < cells->n; i++) {
        const struct cell *c = &cells->v[i];

        if (c->child != child) {
            child = c->child;
            months = host->json_array();
            if (child == 0)
                out = region_json(region, months);
            else
                host->json_append(children, region_json(child, months));
        }
        host->json_append(months, month_json(c));
    }
    if (!out)
        out = region_json(region, host->json_array());
    host->json_set(out, "children", children);
    return out;
}

static int stats(oak_req *req, void *ud)
{
    const char *q = host->req_query(req, "region");
    struct rows r = { 0 };
    struct cells cells = { 0 };
    int region = 0, rc;

    (void)ud;
    if (q && *q && !(region = host->region_parse(q))) {
        host->error_field(req, "region", "地区代码未知 (region: unknown GB/T 2260 code)");
        return host->error(req, 400, "validation_failed", "查询条件无效 (invalid parameter)");
    }
    if ((rc = collect(&r)) == OAK_OK) {
        if (r.n > 1)
            qsort(r.v, r.n, sizeof *r.v, by_month);
        rc = tally(&r, region, &cells);
    }
    free(r.v);
    if (rc == OAK_OK) {
        host->set_header(req, "Cache-Control", "public, max-age=300");
        rc = host->respond_json(req, 200, answer(region, &cells));
    }
    free(cells.v);
    return rc;
}

int registry_stats_init(oak_plugin_ctx *ctx, struct oak_error *err)
{
    if (host->route(ctx, "GET", "/api/registry/stats", OAK_PUBLIC, stats, NULL, err))
        return err->code ? err->code : OAK_ERROR;
    return OAK_OK;
}
