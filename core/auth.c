/*
 * auth.c - sessions, authorisation and the /api/auth endpoints (see
 * auth.h). Passwords are checked only after the throttle allows it, since
 * one scrypt costs about half a CPU-second; unknown accounts cost the same
 * as known ones, and every failure answers alike, so responses do not tell
 * whether an account exists.
 */
#include "auth.h"
#include "crypto.h"
#include "app.h"
#include "arena.h"
#include "audit.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "password.h"
#include "plugins.h"
#include "regions.h"
#include "roles.h"
#include "totp.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Thread_local const struct oak_actor *current_actor;

void oak_actor_set_current(const struct oak_actor *a)
{
    current_actor = a;
}

void oak_sha256_hex(const void *p, size_t n, char out[65])
{
    unsigned char d[32];
    unsigned int len = 0;

    EVP_Digest(p, n, d, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

int oak_random_token(char *out, size_t outlen)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char r[32];
    size_t o = 0;
    uint32_t buf = 0;
    int bits = 0;

    if (outlen < 44 || RAND_bytes(r, sizeof r) != 1)
        return -1;
    for (size_t i = 0; i < sizeof r; i++) {
        buf = (buf << 8) | r[i];
        bits += 8;
        while (bits >= 6) {
            out[o++] = alphabet[(buf >> (bits - 6)) & 63];
            bits -= 6;
        }
    }
    if (bits)
        out[o++] = alphabet[(buf << (6 - bits)) & 63];
    out[o] = '\0';
    OPENSSL_cleanse(r, sizeof r);
    return 0;
}

int oak_actor_has(const struct oak_app *app, const struct oak_actor *a, const char *perm)
{
    if (!a)
        return 0;
    if (oak_role_has(app, a->role, perm))
        return 1;
    for (int i = 0; i < a->ngrants; i++)
        if (strcmp(a->grants[i], perm) == 0)
            return 1;
    return 0;
}

int oak_actor_covers(const struct oak_actor *a, int region)
{
    if (!a)
        return 0;
    if (strcmp(a->role, "national_admin") == 0)
        return oak_region_find(region) != NULL;
    for (int i = 0; i < a->nregions; i++)
        if (oak_region_within(region, a->regions[i]))
            return 1;
    return 0;
}

int oak_authorize(const struct oak_app *app, const struct oak_actor *a, const char *perm, int region)
{
    if (!a)
        return OAK_EAUTH;
    if (!oak_actor_has(app, a, perm) || !oak_actor_covers(a, region))
        return OAK_EPERM;
    return OAK_OK;
}

int oak_csrf_ok(struct oak_req *req, const struct oak_actor *a)
{
    const char *h = oak_req_header(req, "X-CSRF-Token");
    size_t n = strlen(a->csrf);

    return h && strlen(h) == n && CRYPTO_memcmp(h, a->csrf, n) == 0;
}

static void sql_in_scope(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sqlite3_result_int(ctx, current_actor && sqlite3_value_type(argv[0]) == SQLITE_INTEGER &&
                                oak_actor_covers(current_actor, sqlite3_value_int(argv[0])));
}

static void sql_within(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    sqlite3_result_int(ctx, oak_region_within(sqlite3_value_int(argv[0]), sqlite3_value_int(argv[1])));
}

int oak_auth_register_sql(sqlite3 *db)
{
    /* oak_in_scope depends on the request, so it is not deterministic */
    if (sqlite3_create_function(db, "oak_in_scope", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL,
                                sql_in_scope, NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function(db, "oak_region_within", 2,
                                SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                sql_within, NULL, NULL) != SQLITE_OK)
        return -1;
    return 0;
}

static int load_scope(struct oak_req *req, struct oak_actor *a)
{
    oak_stmt *st;
    int rc;

    a->nregions = 0;
    a->ngrants = 0;
    a->grants = NULL;
    if ((rc = oak_db_prepare("SELECT region FROM core_user_regions WHERE user_id = ?1 ORDER BY region",
                             &st, NULL)) != OAK_OK)
        return rc;
    sqlite3_bind_int64(oak_db_raw(st), 1, a->user_id);
    while ((rc = oak_db_step(st, NULL)) == OAK_ROW && a->nregions < OAK_MAX_SCOPE)
        a->regions[a->nregions++] = sqlite3_column_int(oak_db_raw(st), 0);
    oak_db_finish(st);
    if ((rc = oak_db_prepare("SELECT permission FROM core_user_grants WHERE user_id = ?1",
                             &st, NULL)) != OAK_OK)
        return rc;
    sqlite3_bind_int64(oak_db_raw(st), 1, a->user_id);
    while ((rc = oak_db_step(st, NULL)) == OAK_ROW) {
        char **g = oak_arena_alloc(req->arena, sizeof *g * (size_t)(a->ngrants + 1));

        if (!g)
            break;
        if (a->ngrants)
            memcpy(g, a->grants, sizeof *g * (size_t)a->ngrants);
        g[a->ngrants] = oak_arena_strdup(req->arena, (const char *)sqlite3_column_text(oak_db_raw(st), 0));
        if (!g[a->ngrants])
            break;
        a->grants = g;
        a->ngrants++;
    }
    oak_db_finish(st);
    return OAK_OK;
}

int oak_session_lookup(struct oak_app *app, struct oak_req *req, struct oak_actor *a)
{
    const char *tok = oak_req_cookie(req, OAK_SESSION_COOKIE);
    long long now = (long long)time(NULL), last_seen;
    oak_stmt *st;
    int rc;

    if (!tok || strlen(tok) != 43)
        return 0;
    oak_sha256_hex(tok, strlen(tok), a->token_hash);
    rc = oak_db_prepare("SELECT s.user_id, s.csrf_token, s.last_seen, s.expires_at, u.username,"
                        " u.display_name, u.role, u.disabled FROM core_sessions s"
                        " JOIN core_users u ON u.id = s.user_id WHERE s.token_hash = ?1", &st, NULL);
    if (rc != OAK_OK)
        return rc;
    sqlite3_stmt *s = oak_db_raw(st);
    sqlite3_bind_text(s, 1, a->token_hash, -1, SQLITE_STATIC);
    rc = oak_db_step(st, NULL);
    if (rc != OAK_ROW) {
        oak_db_finish(st);
        return rc == OAK_DONE ? 0 : rc;
    }
    a->user_id = sqlite3_column_int64(s, 0);
    snprintf(a->csrf, sizeof a->csrf, "%s", (const char *)sqlite3_column_text(s, 1));
    last_seen = sqlite3_column_int64(s, 2);
    long long expires = sqlite3_column_int64(s, 3);
    snprintf(a->username, sizeof a->username, "%s", (const char *)sqlite3_column_text(s, 4));
    snprintf(a->display_name, sizeof a->display_name, "%s", (const char *)sqlite3_column_text(s, 5));
    snprintf(a->role, sizeof a->role, "%s", (const char *)sqlite3_column_text(s, 6));
    int disabled = sqlite3_column_int(s, 7);
    oak_db_finish(st);

    if (disabled || now >= expires || now - last_seen > app->cfg.idle_timeout) {
        if (oak_db_prepare("DELETE FROM core_sessions WHERE token_hash = ?1", &st, NULL) == OAK_OK) {
            sqlite3_bind_text(oak_db_raw(st), 1, a->token_hash, -1, SQLITE_STATIC);
            oak_db_step(st, NULL);
            oak_db_finish(st);
        }
        return 0;
    }
    /* bound the write load: last_seen only needs minute precision */
    if (now - last_seen >= 60 &&
        oak_db_prepare("UPDATE core_sessions SET last_seen = ?2 WHERE token_hash = ?1", &st, NULL) == OAK_OK) {
        sqlite3_bind_text(oak_db_raw(st), 1, a->token_hash, -1, SQLITE_STATIC);
        sqlite3_bind_int64(oak_db_raw(st), 2, now);
        oak_db_step(st, NULL);
        oak_db_finish(st);
    }
    rc = load_scope(req, a);
    return rc == OAK_OK ? 1 : rc;
}

/* ---- endpoints -------------------------------------------------------- */

static const struct oak_host *H = &oak_host_table;

static oak_json *actor_json(const struct oak_app *app, const struct oak_actor *a)
{
    oak_json *u = H->json_object(), *regions = H->json_array(), *perms = H->json_array();

    H->json_set(u, "username", H->json_string(a->username));
    H->json_set(u, "display_name", H->json_string(a->display_name));
    H->json_set(u, "role", H->json_string(a->role));
    H->json_set(u, "role_label", H->json_string(oak_role_label(a->role)));
    for (int i = 0; i < a->nregions; i++) {
        oak_json *r = H->json_object();
        const char *name = oak_region_name(a->regions[i]);
        char code[8];

        snprintf(code, sizeof code, "%06d", a->regions[i]);
        H->json_set(r, "code", H->json_string(code));
        H->json_set(r, "name", H->json_string(name ? name : ""));
        H->json_append(regions, r);
    }
    H->json_set(u, "regions", regions);
    for (int i = 0; i < app->nplugins; i++)
        for (const struct oak_permission *p = app->plugins[i]->desc->permissions; p && p->name; p++)
            if (oak_actor_has(app, a, p->name))
                H->json_append(perms, H->json_string(p->name));
    H->json_set(u, "permissions", perms);
    return u;
}

/* Throttle keys: one per account name, one per client address. */
static void throttle_keys(struct oak_req *req, const char *username, char *ukey, size_t ulen,
                          char *akey, size_t alen)
{
    char lower[80];
    size_t i;

    for (i = 0; username[i] && i < sizeof lower - 1; i++)
        lower[i] = (char)((username[i] >= 'A' && username[i] <= 'Z') ? username[i] + 32 : username[i]);
    lower[i] = '\0';
    snprintf(ukey, ulen, "user:%s", lower);
    snprintf(akey, alen, "addr:%s", req->remote_addr ? req->remote_addr : "-");
}

static long long locked_until(const char *key)
{
    oak_stmt *st;
    long long v = 0;

    if (oak_db_prepare("SELECT locked_until FROM core_login_throttle WHERE key = ?1", &st, NULL) != OAK_OK)
        return -1;
    sqlite3_bind_text(oak_db_raw(st), 1, key, -1, SQLITE_STATIC);
    if (oak_db_step(st, NULL) == OAK_ROW)
        v = sqlite3_column_int64(oak_db_raw(st), 0);
    oak_db_finish(st);
    return v;
}

static void record_failure(const char *key, int max, int window, long long now)
{
    oak_stmt *st;

    if (oak_db_prepare(
            "INSERT INTO core_login_throttle(key, failures, first_at, locked_until)"
            " VALUES (?1, 1, ?2, CASE WHEN ?3 <= 1 THEN ?2 + ?4 ELSE 0 END)"
            " ON CONFLICT(key) DO UPDATE SET"
            "  failures = CASE WHEN first_at <= ?2 - ?4 THEN 1 ELSE failures + 1 END,"
            "  locked_until = CASE WHEN (CASE WHEN first_at <= ?2 - ?4 THEN 1 ELSE failures + 1 END) >= ?3"
            "                 THEN ?2 + ?4 ELSE locked_until END,"
            "  first_at = CASE WHEN first_at <= ?2 - ?4 THEN ?2 ELSE first_at END",
            &st, NULL) != OAK_OK)
        return;
    sqlite3_bind_text(oak_db_raw(st), 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(oak_db_raw(st), 2, now);
    sqlite3_bind_int(oak_db_raw(st), 3, max);
    sqlite3_bind_int(oak_db_raw(st), 4, window);
    oak_db_step(st, NULL);
    oak_db_finish(st);
}

static void clear_failures(const char *key)
{
    oak_stmt *st;

    if (oak_db_prepare("DELETE FROM core_login_throttle WHERE key = ?1", &st, NULL) != OAK_OK)
        return;
    sqlite3_bind_text(oak_db_raw(st), 1, key, -1, SQLITE_STATIC);
    oak_db_step(st, NULL);
    oak_db_finish(st);
}

int oak_throttle_wait(const char *key)
{
    long long until = locked_until(key), now = (long long)time(NULL);

    if (until < 0)
        return -1;
    return until > now ? (int)(until - now) : 0;
}

void oak_throttle_fail(const char *key, int max, int window)
{
    record_failure(key, max, window, (long long)time(NULL));
}

void oak_throttle_clear(const char *key)
{
    clear_failures(key);
}

/* A hash of the configured strength that no password matches, so unknown
 * accounts cost as much as known ones. */
static const char *dummy_hash(int log_n)
{
    static _Thread_local char hash[OAK_PASSWORD_HASH_MAX];
    static _Thread_local int for_n;

    if (for_n != log_n) {
        char pw[44];

        if (oak_random_token(pw, sizeof pw) < 0 || oak_password_hash(pw, log_n, hash) < 0)
            return "$scrypt$ln=14,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        for_n = log_n;
    }
    return hash;
}

static int too_many(oak_req *req, long long until, long long now)
{
    char retry[24];

    snprintf(retry, sizeof retry, "%lld", until - now);
    H->set_header(req, "Retry-After", retry);
    return H->error(req, 429, "too_many_attempts",
                    "尝试次数过多，请稍后再试 (too many attempts, try again later)");
}

static int login_failed(oak_req *req)
{
    return H->error(req, 401, "login_failed", "用户名或密码错误 (wrong username or password)");
}

static const char *json_field(oak_json *body, const char *name)
{
    oak_json *v = H->json_get(body, name);

    return v ? H->json_str(v) : NULL;
}

static int do_login(oak_req *r, void *ud)
{
    struct oak_app *app = ud;
    struct oak_req *req = (struct oak_req *)r;
    oak_json *body = H->req_json(r);
    const char *username, *password, *totp;
    char ukey[96], akey[96], stored[OAK_PASSWORD_HASH_MAX] = "", token[48], csrf[48], th[65];
    long long now = (long long)time(NULL), uid = 0, until;
    int disabled = 1, ok, rc;
    char role[32] = "";
    char totp_secret[160] = "";
    oak_stmt *st;
    struct oak_actor actor;
    struct oak_audit_entry ae;

    if (!body || H->json_type(body) != OAK_JSON_OBJECT)
        return H->error(r, 400, "bad_request", "请以 JSON 提交 (send a JSON object)");
    username = json_field(body, "username");
    password = json_field(body, "password");
    totp = json_field(body, "totp");
    if (!username || !*username)
        H->error_field(r, "username", "请填写用户名 (username is required)");
    if (!password || !*password)
        H->error_field(r, "password", "请填写密码 (password is required)");
    if (!username || !*username || !password || !*password)
        return H->error(r, 422, "validation_failed", "请检查填写的内容 (please check the fields)");
    if (strlen(username) > 64 || strlen(password) > OAK_PASSWORD_MAX)
        return login_failed(r);

    throttle_keys(req, username, ukey, sizeof ukey, akey, sizeof akey);
    until = locked_until(ukey);
    if (locked_until(akey) > until)
        until = locked_until(akey);
    if (until > now)
        return too_many(r, until, now);

    rc = oak_db_prepare("SELECT id, password_hash, disabled, role, coalesce(totp_secret, '')"
                        " FROM core_users WHERE username = ?1", &st, NULL);
    if (rc != OAK_OK)
        return rc;
    sqlite3_bind_text(oak_db_raw(st), 1, username, -1, SQLITE_STATIC);
    if (oak_db_step(st, NULL) == OAK_ROW) {
        sqlite3_stmt *s = oak_db_raw(st);

        uid = sqlite3_column_int64(s, 0);
        snprintf(stored, sizeof stored, "%s", (const char *)sqlite3_column_text(s, 1));
        disabled = sqlite3_column_int(s, 2);
        snprintf(role, sizeof role, "%s", (const char *)sqlite3_column_text(s, 3));
        snprintf(totp_secret, sizeof totp_secret, "%s", (const char *)sqlite3_column_text(s, 4));
    }
    oak_db_finish(st);

    ok = oak_password_verify(password, uid ? stored : dummy_hash(app->cfg.scrypt_log_n)) == 1;
    ok = ok && uid && !disabled;
    if (ok && totp_secret[0]) {
        unsigned char secret[64];
        struct oak_field_ctx fc = { "core_users", "totp_secret", uid, 0 };
        char *b32 = NULL;
        size_t b32len = 0;
        int n = -1;

        if (app->keys && oak_field_decrypt(app->keys, &fc, totp_secret, &b32, &b32len) == OAK_OK) {
            n = oak_base32_decode(b32, secret, sizeof secret);
            oak_field_free(b32, b32len);
        } else {
            oak_error("auth: one-time code secret of account %lld cannot be decrypted", uid);
        }
        uint64_t step = 0;
        long long last = 0;

        if (oak_db_prepare("SELECT totp_last_step FROM core_users WHERE id = ?1", &st, NULL) == OAK_OK) {
            sqlite3_bind_int64(oak_db_raw(st), 1, uid);
            if (oak_db_step(st, NULL) == OAK_ROW)
                last = sqlite3_column_int64(oak_db_raw(st), 0);
            oak_db_finish(st);
        }
        /* a code is good once: a replayed step counts as a failure */
        ok = n > 0 && oak_totp_verify(secret, (size_t)n, totp, (time_t)now, &step) &&
             (long long)step > last;
        OPENSSL_cleanse(secret, sizeof secret);
        if (ok && oak_db_prepare("UPDATE core_users SET totp_last_step = ?2 WHERE id = ?1", &st, NULL) == OAK_OK) {
            sqlite3_bind_int64(oak_db_raw(st), 1, uid);
            sqlite3_bind_int64(oak_db_raw(st), 2, (long long)step);
            oak_db_step(st, NULL);
            oak_db_finish(st);
        }
        if (!ok && (!totp || !*totp)) {
            record_failure(akey, app->cfg.max_failures_address, app->cfg.lockout, now);
            H->error_field(r, "totp", "请输入动态验证码 (enter the one-time code)");
            return H->error(r, 401, "totp_required", "需要动态验证码 (one-time code required)");
        }
    }
    if (!ok) {
        record_failure(ukey, app->cfg.max_failures_account, app->cfg.lockout, now);
        record_failure(akey, app->cfg.max_failures_address, app->cfg.lockout, now);
        oak_info("auth: failed login from %s", req->remote_addr ? req->remote_addr : "-");
        return login_failed(r);
    }
    if (app->cfg.totp_admins && oak_role_is_admin(role) && !totp_secret[0])
        return H->error(r, 403, "totp_enrollment_required",
                        "管理员需先启用动态验证码 (admins must enrol a one-time code: oakseed user totp)");
    clear_failures(ukey);

    if (oak_password_needs_rehash(stored, app->cfg.scrypt_log_n)) {
        char fresh[OAK_PASSWORD_HASH_MAX];

        if (oak_password_hash(password, app->cfg.scrypt_log_n, fresh) == 0 &&
            oak_db_prepare("UPDATE core_users SET password_hash = ?2 WHERE id = ?1", &st, NULL) == OAK_OK) {
            sqlite3_bind_int64(oak_db_raw(st), 1, uid);
            sqlite3_bind_text(oak_db_raw(st), 2, fresh, -1, SQLITE_STATIC);
            oak_db_step(st, NULL);
            oak_db_finish(st);
        }
    }

    if (oak_random_token(token, sizeof token) < 0 || oak_random_token(csrf, sizeof csrf) < 0)
        return OAK_ERROR;
    oak_sha256_hex(token, strlen(token), th);
    if ((rc = oak_db_begin(NULL)) != OAK_OK)
        return rc;
    /* expired sessions go on the way */
    oak_db_exec("DELETE FROM core_sessions WHERE expires_at <= strftime('%s','now')", NULL);
    rc = oak_db_prepare("INSERT INTO core_sessions(token_hash, user_id, csrf_token, created_at,"
                        " last_seen, expires_at) VALUES (?1, ?2, ?3, ?4, ?4, ?5)", &st, NULL);
    if (rc == OAK_OK) {
        sqlite3_stmt *s = oak_db_raw(st);

        sqlite3_bind_text(s, 1, th, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, uid);
        sqlite3_bind_text(s, 3, csrf, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, now);
        sqlite3_bind_int64(s, 5, now + app->cfg.absolute_timeout);
        rc = oak_db_step(st, NULL) == OAK_DONE ? OAK_OK : OAK_ERROR;
        oak_db_finish(st);
    }
    memset(&ae, 0, sizeof ae);
    ae.actor_id = uid;
    ae.actor = username;
    ae.action = "auth.login";
    ae.object_type = "account";
    char uidtxt[24];
    snprintf(uidtxt, sizeof uidtxt, "%lld", uid);
    ae.object_id = uidtxt;
    ae.request_id = req->id;
    if (rc == OAK_OK)
        rc = oak_audit_append(&ae, NULL);
    if (rc != OAK_OK) {
        oak_db_rollback();
        return rc;
    }
    if ((rc = oak_db_commit(NULL)) != OAK_OK)
        return rc;

    memset(&actor, 0, sizeof actor);
    actor.user_id = uid;
    if (load_scope(req, &actor) != OAK_OK)
        return OAK_ERROR;
    snprintf(actor.role, sizeof actor.role, "%s", role);
    if (oak_db_prepare("SELECT username, display_name FROM core_users WHERE id = ?1", &st, NULL) == OAK_OK) {
        sqlite3_bind_int64(oak_db_raw(st), 1, uid);
        if (oak_db_step(st, NULL) == OAK_ROW) {
            snprintf(actor.username, sizeof actor.username, "%s", (const char *)sqlite3_column_text(oak_db_raw(st), 0));
            snprintf(actor.display_name, sizeof actor.display_name, "%s", (const char *)sqlite3_column_text(oak_db_raw(st), 1));
        }
        oak_db_finish(st);
    }
    {
        char cookie[200];
        oak_json *out = H->json_object();

        snprintf(cookie, sizeof cookie, "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
                 OAK_SESSION_COOKIE, token, app->cfg.absolute_timeout, req->https ? "; Secure" : "");
        H->set_header(r, "Set-Cookie", cookie);
        H->json_set(out, "user", actor_json(app, &actor));
        H->json_set(out, "csrf_token", H->json_string(csrf));
        OPENSSL_cleanse(token, sizeof token);
        return H->respond_json(r, 200, out);
    }
}

static int do_logout(oak_req *r, void *ud)
{
    struct oak_req *req = (struct oak_req *)r;
    char cookie[160];
    oak_stmt *st;
    int rc;

    (void)ud;
    rc = oak_db_prepare("DELETE FROM core_sessions WHERE token_hash = ?1", &st, NULL);
    if (rc != OAK_OK)
        return rc;
    sqlite3_bind_text(oak_db_raw(st), 1, req->actor->token_hash, -1, SQLITE_STATIC);
    rc = oak_db_step(st, NULL);
    oak_db_finish(st);
    if (rc != OAK_DONE)
        return rc;
    snprintf(cookie, sizeof cookie, "%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax%s",
             OAK_SESSION_COOKIE, req->https ? "; Secure" : "");
    H->set_header(r, "Set-Cookie", cookie);
    return H->respond(r, 204, "application/json; charset=utf-8", "", 0);
}

static int do_me(oak_req *r, void *ud)
{
    struct oak_req *req = (struct oak_req *)r;
    oak_json *out = H->json_object();

    H->json_set(out, "user", actor_json(ud, req->actor));
    H->json_set(out, "csrf_token", H->json_string(req->actor->csrf));
    return H->respond_json(r, 200, out);
}

int oak_auth_routes_register(struct oak_plugin_ctx *core, char *err, size_t errlen)
{
    struct oak_error e = { 0, "" };

    if (H->route(core, "POST", "/api/auth/login", OAK_PUBLIC, do_login, core->app, &e) != OAK_OK ||
        H->route(core, "POST", "/api/auth/logout", "core.self", do_logout, core->app, &e) != OAK_OK ||
        H->route(core, "GET", "/api/auth/me", "core.self", do_me, core->app, &e) != OAK_OK) {
        snprintf(err, errlen, "auth routes: %s", e.message);
        return -1;
    }
    return 0;
}
