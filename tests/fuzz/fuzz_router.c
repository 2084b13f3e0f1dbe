/*
 * fuzz_router.c - route registration and matching (core/router.c).
 *
 * Input: lines. "+METHOD PATTERN" registers a route (on top of a fixed
 * table like the plugins'); any other "METHOD PATH" is matched. Properties:
 * a pattern is registered only when oak_route_pattern_valid accepts it; a
 * match answers 200 with one UTF-8 parameter per ':' segment of the route,
 * or 400/404/405 without a route, with an Allow list for 405, none for 404.
 */
#include "fuzz.h"
#include "arena.h"
#include "router.h"

#include <string.h>

static int handler(oak_req *req, void *ud)
{
    (void)req;
    (void)ud;
    return 0;
}

static const char *const fixed[][2] = {
    { "GET", "/api/health" },
    { "GET", "/api/registry/donors/:id" },
    { "PUT", "/api/registry/donors/:id" },
    { "GET", "/api/registry/donors/search" },
    { "POST", "/api/registry/wills/:id/proxies/:proxy" },
    { "DELETE", "/api/example/greetings/:id" },
    { "GET", "/" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct oak_arena *arena = fuzz_arena();
    struct oak_router r;
    struct oak_error err;
    char *copy = fuzz_strdup(data, size), *s, why[256], allow[64];
    int owner = 1;

    if (!copy)
        return 0;
    oak_router_init(&r);
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        FUZZ_CHECK(oak_router_add(&r, fixed[i][0], fixed[i][1], OAK_PUBLIC, handler, NULL, &owner,
                                  "fixed", &err) == OAK_OK);
    for (s = copy; s && *s;) {
        char *nl = strchr(s, '\n'), *sp;

        if (nl)
            *nl = '\0';
        sp = strchr(s, ' ');
        if (sp) {
            *sp = '\0';
            if (s[0] == '+') {
                int valid = oak_route_pattern_valid(sp + 1, why, sizeof why) == 0;
                int rc = oak_router_add(&r, s + 1, sp + 1, "fuzz.perm", handler, NULL, &r, "fuzz",
                                        &err);

                FUZZ_CHECK(rc == OAK_OK || rc == OAK_EINVAL || rc == OAK_EEXIST);
                if (rc == OAK_OK)
                    FUZZ_CHECK(valid);
            } else {
                struct oak_kvlist params = { NULL, 0 };
                int status = 0;
                const struct oak_route *rt = oak_router_match(&r, s, sp + 1, arena, &params,
                                                              &status, allow, sizeof allow);

                if (rt) {
                    int want = 0;

                    FUZZ_CHECK(status == 200);
                    for (int j = 0; j < rt->nsegs; j++)
                        want += rt->segs[j][0] == ':';
                    FUZZ_CHECK(params.count == want);
                    for (int j = 0; j < params.count; j++) {
                        FUZZ_CHECK(oak_kv_get(&params, params.items[j].name) != NULL);
                        FUZZ_CHECK(oak_utf8_valid(params.items[j].value,
                                                  strlen(params.items[j].value)));
                    }
                } else {
                    FUZZ_CHECK(status == 400 || status == 404 || status == 405);
                    /* 405 names the methods the path has; 404 has none */
                    if (status != 400)
                        FUZZ_CHECK((status == 405) == (allow[0] != '\0'));
                }
                FUZZ_CHECK(memchr(allow, '\0', sizeof allow) != NULL);
            }
        }
        s = nl ? nl + 1 : NULL;
    }
    oak_router_remove_owner(&r, &r);
    oak_router_free(&r);
    oak_arena_reset(arena);
    free(copy);
    return 0;
}
