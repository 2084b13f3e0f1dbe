/*
 * test_router.c - the route table: adding and matching routes, named
 * parameters (percent-decoded; malformed encoding answered 400), literal
 * segments preferred over parameters whatever the registration order, 404
 * versus 405 with the Allow list, HEAD served by GET routes, duplicate
 * shapes (OAK_EEXIST), pattern and method validation, removal by owner and
 * the segment limit for patterns and request paths.
 */
#include "arena.h"
#include "router.h"
#include "tap.h"

#include <stdio.h>
#include <string.h>

static int h1(oak_req *req, void *ud)
{
    (void)req;
    (void)ud;
    return 1;
}

static int h2(oak_req *req, void *ud)
{
    (void)req;
    (void)ud;
    return 2;
}

static struct oak_arena arena;
static struct oak_kvlist params;
static char allow[128];
static int status;

static const struct oak_route *match(const struct oak_router *r, const char *method, const char *path)
{
    params.items = NULL;
    params.count = 0;
    strcpy(allow, "garbage");
    status = -1;
    return oak_router_match(r, method, path, &arena, &params, &status, allow, sizeof allow);
}

static int add(struct oak_router *r, const char *method, const char *pattern, const void *owner,
               struct oak_error *err)
{
    memset(err, 0, sizeof *err);
    return oak_router_add(r, method, pattern, "public", h1, NULL, owner, "test", err);
}

static void test_basic(void)
{
    struct oak_router r;
    struct oak_error err;
    const struct oak_route *rt;
    int ud = 42, owner;

    oak_router_init(&r);
    is_int(r.count, 0, "new router is empty");
    rt = match(&r, "GET", "/");
    ok(rt == NULL, "empty router matches nothing");
    is_int(status, 404, "empty router: 404");
    is_str(allow, "", "404: Allow empty");

    memset(&err, 0, sizeof err);
    is_int(oak_router_add(&r, "GET", "/api/items", "items.read", h2, &ud, &owner, "items", &err),
           OAK_OK, "add GET /api/items");
    is_int(add(&r, "GET", "/", NULL, &err), OAK_OK, "add GET /");
    is_int(r.count, 2, "two routes");

    rt = match(&r, "GET", "/api/items");
    ok(rt != NULL, "GET /api/items matches");
    is_int(status, 200, "match: status 200");
    if (rt) {
        is_str(rt->pattern, "/api/items", "matched pattern");
        is_str(rt->method, "GET", "matched method");
        is_str(rt->permission, "items.read", "permission stored");
        ok(rt->fn == h2, "handler stored");
        ok(rt->ud == &ud, "user data stored");
        ok(rt->owner == &owner, "owner stored");
        is_str(rt->owner_name, "items", "owner name stored");
    } else {
        ok(0, "route fields (no match)");
    }
    is_int(params.count, 0, "no parameters for a literal route");

    rt = match(&r, "GET", "/");
    ok(rt && strcmp(rt->pattern, "/") == 0, "GET / matches the root route");

    memset(&err, 0, sizeof err);
    is_int(oak_router_add(&r, "GET", "/anon", "public", h1, NULL, NULL, NULL, &err), OAK_OK,
           "add with no owner name");
    rt = match(&r, "GET", "/anon");
    is_str(rt ? rt->owner_name : NULL, "core", "missing owner name recorded as core");

    ok(match(&r, "GET", "/api/items/") == NULL, "trailing slash in the path does not match");
    is_int(status, 404, "trailing slash: 404");
    ok(match(&r, "GET", "/api") == NULL, "prefix does not match");
    ok(match(&r, "GET", "/api/items/x") == NULL, "longer path does not match");
    ok(match(&r, "GET", "/API/items") == NULL, "literals are case-sensitive");
    ok(match(&r, "GET", "/api//items") == NULL, "doubled slash does not match");
    ok(match(&r, "GET", "api/items") == NULL, "path without leading slash does not match");
    is_int(status, 404, "path without leading slash: 404");
    ok(match(&r, "GET", "") == NULL, "empty path does not match");
    ok(match(&r, "GET", "/api/%69tems") == NULL, "literals compare against the raw path");

    oak_router_free(&r);
    is_int(r.count, 0, "free empties the router");
}

static void test_params(void)
{
    struct oak_router r;
    struct oak_error err;
    const struct oak_route *rt;

    oak_router_init(&r);
    is_int(add(&r, "GET", "/api/items/:id/comments/:comment_id", NULL, &err), OAK_OK,
           "add route with two parameters");
    is_int(add(&r, "PUT", "/api/:_x/:y2", NULL, &err), OAK_OK, "parameter names with _ and digits");

    rt = match(&r, "GET", "/api/items/17/comments/abc");
    ok(rt != NULL, "parameter route matches");
    is_int(params.count, 2, "two parameters");
    if (params.count == 2) {
        is_str(params.items[0].name, "id", "first parameter name");
        is_str(params.items[0].value, "17", "first parameter value");
        is_str(params.items[1].name, "comment_id", "second parameter name");
        is_str(params.items[1].value, "abc", "second parameter value");
    } else {
        ok(0, "parameters missing");
    }
    is_str(oak_kv_get(&params, "comment_id"), "abc", "oak_kv_get on route params");

    rt = match(&r, "GET", "/api/items/%E4%BD%A0%E5%A5%BD/comments/a%20b+c");
    ok(rt != NULL, "encoded parameters match");
    is_str(oak_kv_get(&params, "id"), "你好", "parameter percent-decoded to UTF-8");
    is_str(oak_kv_get(&params, "comment_id"), "a b+c", "%%20 decoded, '+' kept in a path");

    rt = match(&r, "GET", "/api/items/a%2Fb/comments/c");
    ok(rt != NULL, "encoded slash stays inside one segment");
    is_str(oak_kv_get(&params, "id"), "a/b", "encoded slash decoded in the value");

    rt = match(&r, "GET", "/api/items//comments/x");
    ok(rt == NULL, "empty segment does not match a parameter");
    is_int(status, 404, "empty parameter segment: 404");

    rt = match(&r, "PUT", "/api/one/two");
    ok(rt != NULL, "PUT /api/:_x/:y2 matches");
    is_str(oak_kv_get(&params, "_x"), "one", "parameter _x");
    is_str(oak_kv_get(&params, "y2"), "two", "parameter y2");

    /* malformed encoding in a parameter */
    rt = match(&r, "GET", "/api/items/%zz/comments/1");
    ok(rt == NULL, "malformed escape in a parameter: no route");
    is_int(status, 400, "malformed escape in a parameter: 400");
    rt = match(&r, "GET", "/api/items/1/comments/%4");
    is_int(status, 400, "truncated escape in the last parameter: 400");
    rt = match(&r, "GET", "/api/items/%00/comments/1");
    is_int(status, 400, "encoded NUL in a parameter: 400");
    rt = match(&r, "GET", "/api/items/%C0%AF/comments/1");
    is_int(status, 400, "overlong UTF-8 in a parameter: 400");
    rt = match(&r, "GET", "/api/items/%ED%A0%80/comments/1");
    is_int(status, 400, "surrogate in a parameter: 400");
    rt = match(&r, "GET", "/api/items/%E4%BD/comments/1");
    is_int(status, 400, "truncated UTF-8 in a parameter: 400");

    oak_router_free(&r);
}

static void test_literal_wins(void)
{
    struct oak_router r1, r2, r3;
    struct oak_error err;
    const struct oak_route *rt;

    /* parameter registered first */
    oak_router_init(&r1);
    add(&r1, "GET", "/a/items/:id", NULL, &err);
    is_int(add(&r1, "GET", "/a/items/search", NULL, &err), OAK_OK,
           "literal and parameter in the same place are different shapes");
    rt = match(&r1, "GET", "/a/items/search");
    is_str(rt ? rt->pattern : NULL, "/a/items/search", "literal wins (parameter registered first)");
    is_int(params.count, 0, "literal match has no parameters");
    rt = match(&r1, "GET", "/a/items/42");
    is_str(rt ? rt->pattern : NULL, "/a/items/:id", "other values still reach the parameter");
    is_str(oak_kv_get(&params, "id"), "42", "parameter value");

    /* literal registered first */
    oak_router_init(&r2);
    add(&r2, "GET", "/a/items/search", NULL, &err);
    add(&r2, "GET", "/a/items/:id", NULL, &err);
    rt = match(&r2, "GET", "/a/items/search");
    is_str(rt ? rt->pattern : NULL, "/a/items/search", "literal wins (literal registered first)");
    rt = match(&r2, "GET", "/a/items/7");
    is_str(rt ? rt->pattern : NULL, "/a/items/:id", "parameter route reached (literal first)");

    /* earliest literal wins between partial literals */
    oak_router_init(&r3);
    add(&r3, "GET", "/a/:x/c", NULL, &err);
    add(&r3, "GET", "/a/b/:y", NULL, &err);
    add(&r3, "GET", "/:p/:q/:r", NULL, &err);
    rt = match(&r3, "GET", "/a/b/c");
    is_str(rt ? rt->pattern : NULL, "/a/b/:y", "earlier literal segment wins");
    rt = match(&r3, "GET", "/a/z/c");
    is_str(rt ? rt->pattern : NULL, "/a/:x/c", "only /a/:x/c has literals matching");
    rt = match(&r3, "GET", "/x/y/z");
    is_str(rt ? rt->pattern : NULL, "/:p/:q/:r", "all-parameter route as the fallback");

    /* a literal with another method does not steal the request */
    add(&r1, "POST", "/a/items/:id", NULL, &err);
    rt = match(&r1, "POST", "/a/items/search");
    is_str(rt ? rt->pattern : NULL, "/a/items/:id", "POST reaches the parameter route");
    is_str(oak_kv_get(&params, "id"), "search", "POST parameter is 'search'");

    oak_router_free(&r1);
    oak_router_free(&r2);
    oak_router_free(&r3);
}

static void test_405(void)
{
    struct oak_router r;
    struct oak_error err;
    const struct oak_route *rt;

    oak_router_init(&r);
    add(&r, "GET", "/res/:id", NULL, &err);
    add(&r, "POST", "/res/:id", NULL, &err);
    add(&r, "DELETE", "/other", NULL, &err);
    add(&r, "POST", "/only-post", NULL, &err);

    rt = match(&r, "PUT", "/res/1");
    ok(rt == NULL, "PUT on a GET/POST path: no route");
    is_int(status, 405, "PUT on a GET/POST path: 405");
    is_str(allow, "GET, HEAD, POST", "Allow lists GET, HEAD, POST");

    rt = match(&r, "DELETE", "/res/1");
    is_int(status, 405, "DELETE: 405");
    is_str(allow, "GET, HEAD, POST", "Allow does not list DELETE of another path");

    rt = match(&r, "GET", "/nothing");
    is_int(status, 404, "unknown path: 404");
    is_str(allow, "", "404: Allow empty");

    rt = match(&r, "HEAD", "/res/9");
    ok(rt != NULL, "HEAD matches a GET route");
    is_str(rt ? rt->method : NULL, "GET", "HEAD served by the GET route");
    is_str(oak_kv_get(&params, "id"), "9", "HEAD gets the parameters");

    rt = match(&r, "HEAD", "/only-post");
    ok(rt == NULL, "HEAD on a POST-only path: no route");
    is_int(status, 405, "HEAD on a POST-only path: 405");
    is_str(allow, "POST", "Allow is just POST");

    rt = match(&r, "GET", "/other");
    is_int(status, 405, "GET on a DELETE-only path: 405");
    is_str(allow, "DELETE", "Allow is just DELETE");

    rt = match(&r, "POST", "/res/1");
    ok(rt && strcmp(rt->method, "POST") == 0, "POST on the same path matches POST");
    is_int(status, 200, "POST match: 200");

    rt = match(&r, "OPTIONS", "/res/1");
    is_int(status, 405, "unknown method on a known path: 405");

    /* Allow merges all shapes matching the path, without repeats */
    add(&r, "GET", "/res/special", NULL, &err);
    add(&r, "PATCH", "/res/special", NULL, &err);
    rt = match(&r, "PUT", "/res/special");
    is_int(status, 405, "PUT on /res/special: 405");
    ok(strstr(allow, "GET") && strstr(allow, "HEAD") && strstr(allow, "POST") && strstr(allow, "PATCH"),
       "Allow merges literal and parameter routes");
    is_int(strlen(allow), strlen("GET, HEAD, POST, PATCH"), "Allow lists each method once");

    /* registration order POST first */
    struct oak_router r2;

    oak_router_init(&r2);
    add(&r2, "POST", "/x", NULL, &err);
    add(&r2, "GET", "/x", NULL, &err);
    rt = match(&r2, "DELETE", "/x");
    is_int(status, 405, "POST+GET path: 405");
    ok(strstr(allow, "GET") && strstr(allow, "HEAD") && strstr(allow, "POST"),
       "Allow lists GET, HEAD and POST whatever the order");
    is_int(strlen(allow), strlen("GET, HEAD, POST"), "Allow has no extra entries");

    /* a small Allow buffer is truncated, not overrun */
    {
        char small[8];
        int st;
        struct oak_kvlist pl = { NULL, 0 };

        memset(small, 'Z', sizeof small);
        oak_router_match(&r, "PUT", "/res/1", &arena, &pl, &st, small, sizeof small);
        is_int(st, 405, "small Allow buffer: still 405");
        ok(memchr(small, '\0', sizeof small) != NULL, "small Allow buffer stays terminated");
    }

    oak_router_free(&r);
    oak_router_free(&r2);
}

static void test_duplicates(void)
{
    struct oak_router r;
    struct oak_error err;

    oak_router_init(&r);
    is_int(add(&r, "GET", "/d/:id", NULL, &err), OAK_OK, "first /d/:id");
    is_int(add(&r, "GET", "/d/:name", NULL, &err), OAK_EEXIST, "same shape with another name refused");
    is_int(err.code, OAK_EEXIST, "err.code set to OAK_EEXIST");
    ok(strstr(err.message, "/d/:id") != NULL, "message names the existing pattern");
    ok(strstr(err.message, "test") != NULL, "message names the owner");
    is_int(add(&r, "GET", "/d/:id", NULL, &err), OAK_EEXIST, "identical route refused");
    is_int(add(&r, "POST", "/d/:id", NULL, &err), OAK_OK, "same pattern, other method accepted");
    is_int(add(&r, "GET", "/d/list", NULL, &err), OAK_OK, "literal at a parameter place accepted");
    is_int(add(&r, "GET", "/d/list", NULL, &err), OAK_EEXIST, "duplicate literal refused");
    is_int(add(&r, "GET", "/d/:id/x", NULL, &err), OAK_OK, "longer shape accepted");
    is_int(add(&r, "GET", "/", NULL, &err), OAK_OK, "root accepted");
    is_int(add(&r, "GET", "/", NULL, &err), OAK_EEXIST, "duplicate root refused");
    is_int(r.count, 5, "five routes registered");
    oak_router_free(&r);
}

static void test_bad_patterns(void)
{
    struct oak_router r;
    struct oak_error err;
    char why[256];
    static const char *const bad[] = {
        "api/x",            /* no leading slash */
        "",
        "//",
        "/a//b",            /* empty segment */
        "/a/",              /* trailing slash */
        "/a/b/",
        "/a/:",             /* empty parameter name */
        "/a/:Id",           /* upper case */
        "/a/:1x",           /* starts with a digit */
        "/a/:x-y",          /* dash in a name */
        "/a/:x.y",
        "/a/:id/b/:id",     /* repeated parameter */
        "/a b",             /* bad characters */
        "/a%20b",
        "/a?x=1",
        "/a/*",
        "/a/b:c",
        "/a/\xe4\xbd\xa0",
        "/a#b",
    };

    oak_router_init(&r);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why[0] = '\0';
        is_int(oak_route_pattern_valid(bad[i], why, sizeof why), -1, "pattern '%s' invalid", bad[i]);
        ok(why[0] != '\0', "pattern '%s' has a reason: %s", bad[i], why);
        is_int(add(&r, "GET", bad[i], NULL, &err), OAK_EINVAL, "add '%s' refused with OAK_EINVAL", bad[i]);
    }
    is_int(oak_route_pattern_valid(NULL, why, sizeof why), -1, "NULL pattern invalid");
    is_int(add(&r, "GET", NULL, NULL, &err), OAK_EINVAL, "add NULL pattern refused");

    oak_route_pattern_valid("/a/:id/b/:id", why, sizeof why);
    ok(strstr(why, "id") && strstr(why, "repeated"), "repeated parameter reason names it");
    oak_route_pattern_valid("/a/", why, sizeof why);
    ok(strstr(why, "trailing") != NULL, "trailing slash reason says trailing '/' (%s)", why);
    oak_route_pattern_valid("/a b", why, sizeof why);
    ok(strstr(why, "' '") != NULL, "bad character reason names the character");

    static const char *const good[] = {
        "/", "/a", "/a/b", "/a-b_c.d~e/X9", "/:id", "/a/:x/b/:y", "/:_", "/v1.2/:a_1",
    };

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        is_int(oak_route_pattern_valid(good[i], why, sizeof why), 0, "pattern '%s' valid", good[i]);

    /* methods */
    static const char *const bad_methods[] = { "get", "HEAD", "OPTIONS", "", "GETX", "CONNECT" };

    for (size_t i = 0; i < sizeof bad_methods / sizeof bad_methods[0]; i++) {
        is_int(add(&r, bad_methods[i], "/m", NULL, &err), OAK_EINVAL, "method '%s' refused", bad_methods[i]);
    }
    ok(strstr(err.message, "method") != NULL, "bad method reason mentions the method");
    is_int(add(&r, NULL, "/m", NULL, &err), OAK_EINVAL, "NULL method refused");
    static const char *const good_methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE" };

    for (size_t i = 0; i < sizeof good_methods / sizeof good_methods[0]; i++)
        is_int(add(&r, good_methods[i], "/m", NULL, &err), OAK_OK, "method %s accepted", good_methods[i]);

    memset(&err, 0, sizeof err);
    is_int(oak_router_add(&r, "GET", "/nofn", "public", NULL, NULL, NULL, "t", &err), OAK_EINVAL,
           "route without a handler refused");
    is_int(r.count, 5, "only the five valid routes registered");
    oak_router_free(&r);
}

static void test_remove_owner(void)
{
    struct oak_router r;
    struct oak_error err;
    int o1, o2;
    const struct oak_route *rt;

    oak_router_init(&r);
    add(&r, "GET", "/p1/a", &o1, &err);
    add(&r, "GET", "/p2/a", &o2, &err);
    add(&r, "POST", "/p1/b", &o1, &err);
    add(&r, "GET", "/p2/:x", &o2, &err);
    add(&r, "DELETE", "/p1/:c", &o1, &err);
    is_int(r.count, 5, "five routes from two owners");

    oak_router_remove_owner(&r, &o1);
    is_int(r.count, 2, "owner 1's three routes removed");
    ok(match(&r, "GET", "/p1/a") == NULL, "removed route no longer matches");
    is_int(status, 404, "removed route: 404");
    ok(match(&r, "POST", "/p1/b") == NULL, "second removed route gone");
    rt = match(&r, "GET", "/p2/a");
    ok(rt && rt->owner == &o2, "owner 2's route still matches");
    rt = match(&r, "GET", "/p2/zz");
    ok(rt && strcmp(rt->pattern, "/p2/:x") == 0, "owner 2's parameter route still matches");

    is_int(add(&r, "GET", "/p1/a", &o1, &err), OAK_OK, "removed route can be registered again");
    oak_router_remove_owner(&r, &err);   /* an owner with no routes */
    is_int(r.count, 3, "removing an unknown owner changes nothing");
    oak_router_remove_owner(&r, &o2);
    oak_router_remove_owner(&r, &o1);
    is_int(r.count, 0, "all removed");
    oak_router_free(&r);
}

static void test_growth(void)
{
    struct oak_router r;
    struct oak_error err;
    char pat[64];
    int good = 1;

    oak_router_init(&r);
    for (int i = 0; i < 100; i++) {
        snprintf(pat, sizeof pat, "/r%d/:id", i);
        if (add(&r, "GET", pat, NULL, &err) != OAK_OK)
            good = 0;
    }
    ok(good, "100 routes added (table growth)");
    is_int(r.count, 100, "100 routes counted");
    const struct oak_route *rt = match(&r, "GET", "/r73/x");

    is_str(rt ? rt->pattern : NULL, "/r73/:id", "route 73 matches after growth");
    oak_router_free(&r);
}

static void test_segments(void)
{
    struct oak_router r;
    struct oak_error err;
    char pat[512], why[256];   /* the 200-segment path needs 401 bytes */
    size_t o = 0;
    const struct oak_route *rt;

    oak_router_init(&r);
    for (int i = 0; i < 32; i++)
        o += (size_t)snprintf(pat + o, sizeof pat - o, "/s%d", i);
    is_int(add(&r, "GET", pat, NULL, &err), OAK_OK, "32-segment pattern accepted");
    rt = match(&r, "GET", pat);
    ok(rt != NULL, "32-segment path matches");

    snprintf(pat + o, sizeof pat - o, "/s32");
    is_int(oak_route_pattern_valid(pat, why, sizeof why), -1, "33-segment pattern invalid");
    ok(strstr(why, "32") != NULL, "reason names the limit");
    is_int(add(&r, "GET", pat, NULL, &err), OAK_EINVAL, "33-segment pattern refused");

    rt = match(&r, "GET", pat);
    ok(rt == NULL, "33-segment path matches nothing");
    is_int(status, 404, "33-segment path: 404");

    o = 0;
    for (int i = 0; i < 200; i++)
        o += (size_t)snprintf(pat + o, sizeof pat - o, "/x");
    rt = match(&r, "GET", pat);
    ok(rt == NULL, "200-segment path matches nothing");
    is_int(status, 404, "200-segment path: 404 (no overflow)");

    o = 0;
    for (int i = 0; i < 32; i++)
        o += (size_t)snprintf(pat + o, sizeof pat - o, "/:p%d", i);
    is_int(add(&r, "POST", pat, NULL, &err), OAK_OK, "32 parameters accepted");
    o = 0;
    for (int i = 0; i < 32; i++)
        o += (size_t)snprintf(pat + o, sizeof pat - o, "/v%d", i);
    rt = match(&r, "POST", pat);
    is_int(params.count, 32, "32 parameters extracted");
    is_str(oak_kv_get(&params, "p31"), "v31", "last of 32 parameters");
    is_str(oak_kv_get(&params, "p0"), "v0", "first of 32 parameters");
    oak_router_free(&r);
}

int main(void)
{
    oak_arena_init(&arena, 0);
    test_basic();
    test_params();
    test_literal_wins();
    test_405();
    test_duplicates();
    test_bad_patterns();
    test_remove_owner();
    test_growth();
    test_segments();
    oak_arena_free(&arena);
    return done_testing();
}
