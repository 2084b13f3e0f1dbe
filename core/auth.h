/*
 * auth.h - staff sessions and authorisation: who is asking (the actor,
 * from the session cookie), whether their role or grants hold a
 * permission, and whether a region lies inside their scope. Deny by
 * default: no session, no staff route.
 */
#ifndef OAK_AUTH_H
#define OAK_AUTH_H

#include <stddef.h>

struct oak_app;
struct oak_req;
struct sqlite3;

#define OAK_SESSION_COOKIE "oak_session"
#define OAK_MAX_SCOPE 64

struct oak_actor {
    long long user_id;
    char username[64];
    char display_name[128];
    char role[32];
    int regions[OAK_MAX_SCOPE];   /* the account's scope */
    int nregions;
    char csrf[48];
    char token_hash[65];
    char **grants;                /* extra permissions, arena-allocated */
    int ngrants;
};

/* Find the session named by the request's cookie and fill ACTOR.
 * Returns 1 (found and fresh), 0 (none, expired or unknown), <0 on a
 * database error. Touches last_seen at most once a minute. */
int oak_session_lookup(struct oak_app *app, struct oak_req *req, struct oak_actor *actor);

/* 1 when the actor's role or grants hold PERM. */
int oak_actor_has(const struct oak_app *app, const struct oak_actor *a, const char *perm);
/* 1 when REGION lies inside the actor's scope (national_admin: all). */
int oak_actor_covers(const struct oak_actor *a, int region);
/* OAK_OK, OAK_EAUTH (no actor), or OAK_EPERM. */
int oak_authorize(const struct oak_app *app, const struct oak_actor *a, const char *perm, int region);

/* Constant-time check of the X-CSRF-Token header against the session. */
int oak_csrf_ok(struct oak_req *req, const struct oak_actor *a);

/* The actor requests on this thread run as (for the oak_in_scope SQL
 * function); NULL when anonymous. */
void oak_actor_set_current(const struct oak_actor *a);
/* Register oak_in_scope(region) and oak_region_within(inner, outer) on a
 * connection. */
int oak_auth_register_sql(struct sqlite3 *db);

/* Register /api/auth/login, /api/auth/logout, /api/auth/me. */
struct oak_plugin_ctx;
int oak_auth_routes_register(struct oak_plugin_ctx *core, char *err, size_t errlen);

/* Random token helpers shared with the CLI. */
int oak_random_token(char *out, size_t outlen);
/* Failure counters in core_login_throttle, shared by workers and kept
 * over restarts: seconds KEY must still wait (0: go ahead, -1: error);
 * count a failure (MAX within WINDOW seconds locks KEY for WINDOW); clear. */
int oak_throttle_wait(const char *key);
void oak_throttle_fail(const char *key, int max, int window);
void oak_throttle_clear(const char *key);      /* 43 chars base64url of 32 bytes */
void oak_sha256_hex(const void *p, size_t n, char out[65]);

#endif
