/*
 * router.c - route table and matching (see router.h).
 *
 * When several patterns match, the one with a literal segment earliest wins,
 * so "/api/x/items/search" is preferred over "/api/x/items/:id".
 */
#include "router.h"
#include "arena.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEGS 32

static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };

void oak_router_init(struct oak_router *r)
{
    memset(r, 0, sizeof *r);
}

static void route_free(struct oak_route *rt)
{
    for (int i = 0; i < rt->nsegs; i++)
        free(rt->segs[i]);
    free(rt->segs);
    free(rt->method);
    free(rt->pattern);
    free(rt->permission);
    free(rt->owner_name);
}

void oak_router_free(struct oak_router *r)
{
    for (int i = 0; i < r->count; i++)
        route_free(&r->routes[i]);
    free(r->routes);
    oak_router_init(r);
}

static int literal_char(int c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

int oak_route_pattern_valid(const char *p, char *why, size_t whylen)
{
    const char *s = p;
    int nsegs = 0;
    const char *names[MAX_SEGS];
    size_t namelen[MAX_SEGS];
    int nnames = 0;

    if (!p || p[0] != '/') {
        snprintf(why, whylen, "pattern must start with '/'");
        return -1;
    }
    if (strcmp(p, "/") == 0)
        return 0;
    while (*s == '/') {
        const char *seg = ++s;
        size_t n;

        while (*s && *s != '/')
            s++;
        n = (size_t)(s - seg);
        if (n == 0) {
            snprintf(why, whylen, *s ? "empty segment in '%s'" : "trailing '/' in '%s'", p);
            return -1;
        }
        if (++nsegs > MAX_SEGS) {
            snprintf(why, whylen, "more than %d segments", MAX_SEGS);
            return -1;
        }
        if (seg[0] == ':') {
            if (n < 2 || !(islower((unsigned char)seg[1]) || seg[1] == '_')) {
                snprintf(why, whylen, "bad parameter name in '%s'", p);
                return -1;
            }
            for (size_t i = 2; i < n; i++)
                if (!islower((unsigned char)seg[i]) && !isdigit((unsigned char)seg[i]) && seg[i] != '_') {
                    snprintf(why, whylen, "bad parameter name in '%s'", p);
                    return -1;
                }
            for (int i = 0; i < nnames; i++)
                if (namelen[i] == n && memcmp(names[i], seg, n) == 0) {
                    snprintf(why, whylen, "parameter '%.*s' repeated", (int)n - 1, seg + 1);
                    return -1;
                }
            names[nnames] = seg;
            namelen[nnames++] = n;
        } else {
            for (size_t i = 0; i < n; i++)
                if (!literal_char((unsigned char)seg[i])) {
                    snprintf(why, whylen, "character '%c' not allowed in '%s'", seg[i], p);
                    return -1;
                }
        }
    }
    return 0;
}

static int split(const char *p, char **segs, int max)
{
    int n = 0;
    const char *s = p;

    if (strcmp(p, "/") == 0)
        return 0;
    while (*s == '/' && n < max) {
        const char *seg = ++s;

        while (*s && *s != '/')
            s++;
        segs[n] = strndup(seg, (size_t)(s - seg));
        if (!segs[n])
            return -1;
        n++;
    }
    return n;
}

static int same_shape(const struct oak_route *a, char **segs, int n)
{
    if (a->nsegs != n)
        return 0;
    for (int i = 0; i < n; i++) {
        int pa = a->segs[i][0] == ':', pb = segs[i][0] == ':';

        if (pa != pb || (!pa && strcmp(a->segs[i], segs[i]) != 0))
            return 0;
    }
    return 1;
}

int oak_router_add(struct oak_router *r, const char *method, const char *pattern,
                   const char *permission, oak_handler_fn fn, void *ud,
                   const void *owner, const char *owner_name, struct oak_error *err)
{
    char *segs[MAX_SEGS];
    int n, known = 0;
    struct oak_route *rt;

    for (size_t i = 0; method && i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(method, methods[i]) == 0)
            known = 1;
    if (!known) {
        snprintf(err->message, sizeof err->message,
                 "route %s %s: method must be GET, POST, PUT, PATCH or DELETE",
                 method ? method : "(null)", pattern ? pattern : "(null)");
        return err->code = OAK_EINVAL;
    }
    if (!fn) {
        snprintf(err->message, sizeof err->message, "route %s %s: no handler", method, pattern);
        return err->code = OAK_EINVAL;
    }
    if (oak_route_pattern_valid(pattern, err->message, sizeof err->message) < 0)
        return err->code = OAK_EINVAL;
    n = split(pattern, segs, MAX_SEGS);
    if (n < 0)
        return err->code = OAK_ENOMEM;
    for (int i = 0; i < r->count; i++)
        if (strcmp(r->routes[i].method, method) == 0 && same_shape(&r->routes[i], segs, n)) {
            snprintf(err->message, sizeof err->message,
                     "route %s %s already registered by %s as %s", method, pattern,
                     r->routes[i].owner_name, r->routes[i].pattern);
            for (int j = 0; j < n; j++)
                free(segs[j]);
            return err->code = OAK_EEXIST;
        }
    if (r->count == r->cap) {
        int cap = r->cap ? r->cap * 2 : 32;
        struct oak_route *nr = realloc(r->routes, sizeof *nr * (size_t)cap);

        if (!nr)
            goto nomem;
        r->routes = nr;
        r->cap = cap;
    }
    rt = &r->routes[r->count];
    memset(rt, 0, sizeof *rt);
    rt->segs = malloc(sizeof *rt->segs * (size_t)(n ? n : 1));
    rt->method = strdup(method);
    rt->pattern = strdup(pattern);
    rt->permission = strdup(permission);
    rt->owner_name = strdup(owner_name ? owner_name : "core");
    if (!rt->segs || !rt->method || !rt->pattern || !rt->permission || !rt->owner_name) {
        route_free(rt);
        goto nomem;
    }
    memcpy(rt->segs, segs, sizeof *segs * (size_t)n);
    rt->nsegs = n;
    rt->fn = fn;
    rt->ud = ud;
    rt->owner = owner;
    r->count++;
    return OAK_OK;
nomem:
    for (int j = 0; j < n; j++)
        free(segs[j]);
    snprintf(err->message, sizeof err->message, "out of memory");
    return err->code = OAK_ENOMEM;
}

void oak_router_remove_owner(struct oak_router *r, const void *owner)
{
    int o = 0;

    for (int i = 0; i < r->count; i++) {
        if (r->routes[i].owner == owner)
            route_free(&r->routes[i]);
        else
            r->routes[o++] = r->routes[i];
    }
    r->count = o;
}

/* Segment boundaries of the raw path; returns count or -1 when too many. */
static int path_segments(const char *path, const char **start, size_t *len)
{
    int n = 0;
    const char *s = path;

    if (strcmp(path, "/") == 0)
        return 0;
    while (*s == '/') {
        const char *seg = ++s;

        while (*s && *s != '/')
            s++;
        if (n == MAX_SEGS)
            return -1;
        start[n] = seg;
        len[n] = (size_t)(s - seg);
        n++;
    }
    return n;
}

static void allow_add(char *allow, size_t allowlen, const char *m)
{
    size_t l = strlen(allow);

    if (strstr(allow, m))
        return;
    snprintf(allow + l, allowlen - l, "%s%s", l ? ", " : "", m);
}

const struct oak_route *oak_router_match(const struct oak_router *r, const char *method,
                                         const char *path, struct oak_arena *a,
                                         struct oak_kvlist *params, int *status,
                                         char *allow, size_t allowlen)
{
    const char *start[MAX_SEGS];
    size_t len[MAX_SEGS];
    const struct oak_route *best = NULL;
    unsigned long best_score = 0;
    int n, path_matched = 0;
    int is_head = strcmp(method, "HEAD") == 0;

    if (allowlen)
        allow[0] = '\0';
    *status = 404;
    if (path[0] != '/')
        return NULL;
    n = path_segments(path, start, len);
    if (n < 0)
        return NULL;
    for (int i = 0; i < r->count; i++) {
        const struct oak_route *rt = &r->routes[i];
        unsigned long score = 0;
        int ok = rt->nsegs == n;

        for (int j = 0; ok && j < n; j++) {
            if (rt->segs[j][0] == ':')
                ok = len[j] > 0;
            else {
                ok = strlen(rt->segs[j]) == len[j] && memcmp(rt->segs[j], start[j], len[j]) == 0;
                score |= 1UL << (MAX_SEGS - 1 - j);
            }
        }
        if (!ok)
            continue;
        path_matched = 1;
        allow_add(allow, allowlen, rt->method);
        if (strcmp(rt->method, "GET") == 0)
            allow_add(allow, allowlen, "HEAD");
        if (strcmp(rt->method, method) != 0 && !(is_head && strcmp(rt->method, "GET") == 0))
            continue;
        if (!best || score > best_score) {
            best = rt;
            best_score = score;
        }
    }
    if (!best) {
        *status = path_matched ? 405 : 404;
        return NULL;
    }
    params->items = NULL;
    params->count = 0;
    for (int j = 0; j < n; j++) {
        if (best->segs[j][0] != ':')
            continue;
        char *v = oak_arena_alloc(a, len[j] + 1);

        if (!v) {
            *status = 500;
            return NULL;
        }
        if (oak_url_decode(v, start[j], len[j], 0) < 0) {
            *status = 400;
            return NULL;
        }
        struct oak_kv *items = oak_arena_alloc(a, sizeof *items * (size_t)(params->count + 1));

        if (!items) {
            *status = 500;
            return NULL;
        }
        if (params->count)
            memcpy(items, params->items, sizeof *items * (size_t)params->count);
        items[params->count].name = best->segs[j] + 1;
        items[params->count].value = v;
        params->items = items;
        params->count++;
    }
    *status = 200;
    return best;
}
