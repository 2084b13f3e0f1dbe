/*
 * router.h - method + path patterns with named segments. Routes are added
 * while plugins initialise and never change while requests are served, so
 * matching needs no locking and allocates nothing but the parameter list.
 */
#ifndef OAK_ROUTER_H
#define OAK_ROUTER_H

#include <stddef.h>

#include "oakseed/plugin.h"
#include "urlencode.h"

struct oak_arena;

struct oak_route {
    char *method;
    char *pattern;
    char **segs;           /* literal segments, or ":name" */
    int nsegs;
    char *permission;
    oak_handler_fn fn;
    void *ud;
    const void *owner;     /* the plugin record that registered it */
    char *owner_name;
};

struct oak_router {
    struct oak_route *routes;
    int count;
    int cap;
};

void oak_router_init(struct oak_router *r);
void oak_router_free(struct oak_router *r);

/* Add a route. Returns OAK_OK, OAK_EINVAL (bad method/pattern, message in
 * err), OAK_EEXIST (same method and shape already registered), OAK_ENOMEM. */
int oak_router_add(struct oak_router *r, const char *method, const char *pattern,
                   const char *permission, oak_handler_fn fn, void *ud,
                   const void *owner, const char *owner_name, struct oak_error *err);

/* Remove every route of OWNER (undo after a failed init). */
void oak_router_remove_owner(struct oak_router *r, const void *owner);

/* Validate a pattern: 0 or -1 with a reason. */
int oak_route_pattern_valid(const char *pattern, char *why, size_t whylen);

/*
 * Match METHOD and the raw (still percent-encoded) PATH. HEAD matches GET
 * routes. On a match returns the route and fills PARAMS (decoded, from the
 * arena). Otherwise returns NULL and sets *status: 404, 405 (ALLOW filled
 * with "GET, HEAD, POST"), or 400 when a segment is malformed.
 */
const struct oak_route *oak_router_match(const struct oak_router *r, const char *method,
                                         const char *path, struct oak_arena *a,
                                         struct oak_kvlist *params, int *status,
                                         char *allow, size_t allowlen);

#endif
