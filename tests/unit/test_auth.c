/*
 * test_auth.c - staff sessions and authorisation through the request
 * pipeline: login (cookie attributes, one message for every failure),
 * /api/auth/me, CSRF on state-changing requests, logout, idle and absolute
 * expiry, lockout per account and per address, disabled accounts, TOTP
 * with replay refusal, and region scope: a 云南省 admin cannot touch a
 * 北京市 record, a 保山市 admin cannot touch a sibling prefecture's.
 */
#include "app.h"
#include "arena.h"
#include "auth.h"
#include "crypto.h"
#include "db.h"
#include "http.h"
#include "keyfile.h"
#include "password.h"
#include "pipeline.h"
#include "tap.h"
#include "totp.h"
#include "worker.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static struct oak_app *app;

static int run(struct client *c, const char *method, const char *uri, const char *payload, int send_csrf)
{
    return pipeline_run(app, c, method, uri, payload ? "application/json" : NULL, payload, send_csrf);
}

static int login(struct client *c, const char *user, const char *pw)
{
    char payload[256];
    int st;
    const char *p;

    snprintf(payload, sizeof payload, "{\"username\":\"%s\",\"password\":\"%s\"}", user, pw);
    st = run(c, "POST", "/api/auth/login", payload, 0);
    if (st == 200) {
        p = strstr(last_headers, "oak_session=");
        if (p)
            sscanf(p + 12, "%127[^;]", c->cookie);
        snprintf(c->csrf, sizeof c->csrf, "%s", json_string_value(json_object_get(last, "csrf_token")));
    }
    return st;
}

static long long add_user(const char *name, const char *role, const int *regions, int n)
{
    char hash[OAK_PASSWORD_HASH_MAX], sql[512];
    long long id;

    oak_password_hash("Correct-Horse-9", 10, hash);
    snprintf(sql, sizeof sql, "INSERT INTO core_users(username, role, password_hash) VALUES ('%s','%s','%s')",
             name, role, hash);
    oak_db_exec(sql, NULL);
    id = sqlite3_last_insert_rowid(oak_db_sqlite(oak_db_current()));
    for (int i = 0; i < n; i++) {
        snprintf(sql, sizeof sql, "INSERT INTO core_user_regions VALUES (%lld, %d)", id, regions[i]);
        oak_db_exec(sql, NULL);
    }
    return id;
}

static long long greeting(int region)
{
    char payload[200];

    snprintf(payload, sizeof payload, "{\"name\":\"访客\",\"message\":\"你好\",\"region\":\"%06d\"}", region);
    if (run(NULL, "POST", "/api/example/greetings", payload, 0) != 201)
        return 0;
    return json_integer_value(json_object_get(last, "id"));
}

int main(void)
{
    const char *pdir = getenv("OAK_PLUGIN_BUILD_DIR");
    char dir[] = "/tmp/oak-test-auth-XXXXXX", conf[300], keys[300], path[512], err[1024], uri[128];
    struct oak_cli cli = { 0 };
    struct oak_db_options o = { 0 };
    struct oak_db *db;
    struct client yn = { .addr = "10.0.0.1" }, bs = { .addr = "10.0.0.2" }, nat = { .addr = "10.0.0.3" };
    struct client staff = { .addr = "10.0.0.4" }, anon = { .addr = "10.0.0.5" };
    int yunnan[] = { 530000 }, baoshan[] = { 530500 }, beijing[] = { 110000 };
    long long g_bj, g_qj, g_bs, g_long;
    FILE *f;

    if (!pdir) {
        printf("1..0 # SKIP OAK_PLUGIN_BUILD_DIR not set (run via make check)\n");
        return 0;
    }
    if (!mkdtemp(dir))
        return 1;
    snprintf(keys, sizeof keys, "%s/keys", dir);
    ok(oak_keyfile_generate(keys, err, sizeof err) == OAK_OK, "key file");
    snprintf(conf, sizeof conf, "%s/o.conf", dir);
    f = fopen(conf, "w");
    fprintf(f, "[database]\npath = t.db\n[auth]\nscrypt_log_n = 10\nmax_failures_account = 3\n"
               "max_failures_address = 8\nidle_timeout = 600\nabsolute_timeout = 3600\n"
               "[keys]\nfile = keys\n[plugins]\ndir = %s\nload = example\n", pdir);
    fclose(f);
    cli.config_path = conf;
    app = oak_app_create(&cli, OAK_APP_QUIET_LOG | OAK_APP_MIGRATE, err, sizeof err);
    if (!ok(app != NULL, "app: %s", app ? "ok" : err))
        return done_testing();
    o.path = app->cfg.db_path;
    o.synchronous = 1;
    o.busy_timeout = 1000;
    db = oak_db_open(&o, err, sizeof err);
    oak_db_use(db);
    oak_auth_register_sql(oak_db_sqlite(db));

    add_user("yn", "regional_admin", yunnan, 1);
    add_user("bs", "regional_admin", baoshan, 1);
    add_user("bj", "regional_admin", beijing, 1);
    add_user("nat", "national_admin", NULL, 0);
    add_user("clerk", "staff", yunnan, 1);
    add_user("gone", "regional_admin", yunnan, 1);
    oak_db_exec("UPDATE core_users SET disabled = 1 WHERE username = 'gone'", NULL);

    /* login */
    is_int(login(&yn, "yn", "Correct-Horse-9"), 200, "login");
    ok(strstr(last_headers, "HttpOnly") && strstr(last_headers, "SameSite=Lax") &&
       !strstr(last_headers, "Secure"), "cookie HttpOnly, SameSite=Lax, no Secure over http");
    is_int(strlen(yn.cookie), 43, "256-bit token, base64url");
    is_str(json_string_value(json_object_get(json_object_get(last, "user"), "role")), "regional_admin", "role");
    {
        char th[65], sql[200];
        oak_stmt *st;

        oak_sha256_hex(yn.cookie, strlen(yn.cookie), th);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM core_sessions WHERE token_hash = '%s'", th);
        oak_db_prepare(sql, &st, NULL);
        oak_db_step(st, NULL);
        is_int(sqlite3_column_int(oak_db_raw(st), 0), 1, "only the token's hash is stored");
        oak_db_finish(st);
        oak_db_prepare("SELECT count(*) FROM core_sessions WHERE token_hash = ?1", &st, NULL);
        sqlite3_bind_text(oak_db_raw(st), 1, yn.cookie, -1, SQLITE_STATIC);
        oak_db_step(st, NULL);
        is_int(sqlite3_column_int(oak_db_raw(st), 0), 0, "the token itself is not");
        oak_db_finish(st);
    }
    is_int(run(&yn, "GET", "/api/auth/me", NULL, 0), 200, "me with session");
    is_str(json_string_value(json_object_get(json_object_get(last, "user"), "username")), "yn", "me is yn");
    is_int(run(&anon, "GET", "/api/auth/me", NULL, 0), 401, "me without session 401");
    is_str(code_of(), "unauthenticated", "unauthenticated");

    is_int(login(&anon, "yn", "wrong-Password-1"), 401, "wrong password 401");
    is_str(code_of(), "login_failed", "login_failed");
    {
        json_t *wrong = json_incref(json_object_get(last, "error"));

        is_int(login(&anon, "no-such-user", "wrong-Password-1"), 401, "unknown user 401");
        ok(json_equal(wrong, json_object_get(last, "error")), "same answer for unknown user and wrong password");
        json_decref(wrong);
    }
    is_int(login(&anon, "gone", "Correct-Horse-9"), 401, "disabled account refused alike");
    is_int(run(&anon, "POST", "/api/auth/login", "{\"username\":\"yn\"}", 0), 422, "missing password 422");
    ok(json_object_get(json_object_get(json_object_get(last, "error"), "fields"), "password") != NULL,
       "names the field");

    /* CSRF */
    long long g = greeting(530500);
    snprintf(uri, sizeof uri, "/api/example/greetings/%lld", g);
    is_int(run(&yn, "DELETE", uri, NULL, 0), 403, "DELETE with session but no CSRF token");
    is_str(code_of(), "csrf_failed", "csrf_failed");
    is_int(run(&yn, "DELETE", uri, NULL, 1), 204, "DELETE with CSRF token");
    is_int(run(&yn, "DELETE", uri, NULL, 1), 404, "deleted");

    /* region scope */
    g_bj = greeting(110105);
    g_qj = greeting(530300);
    g_bs = greeting(530502);
    g_long = greeting(530000);
    is_int(login(&bs, "bs", "Correct-Horse-9"), 200, "保山 admin logs in");
    is_int(login(&nat, "nat", "Correct-Horse-9"), 200, "national admin logs in");
    is_int(login(&staff, "clerk", "Correct-Horse-9"), 200, "staff logs in");
    snprintf(uri, sizeof uri, "/api/example/greetings/%lld", g_bj);
    is_int(run(&yn, "DELETE", uri, NULL, 1), 404, "云南 admin cannot delete a 北京 record");
    snprintf(uri, sizeof uri, "/api/example/greetings/%lld", g_qj);
    is_int(run(&bs, "DELETE", uri, NULL, 1), 404, "保山 admin cannot delete a 曲靖 (sibling) record");
    snprintf(uri, sizeof uri, "/api/example/greetings/%lld", g_long);
    is_int(run(&bs, "DELETE", uri, NULL, 1), 404, "保山 admin cannot delete a province-level record");
    is_int(run(&staff, "GET", "/api/example/moderation", NULL, 0), 403, "staff role lacks example.moderate");
    is_str(code_of(), "forbidden", "forbidden");
    is_int(run(&yn, "GET", "/api/example/moderation", NULL, 0), 200, "云南 moderation list");
    {
        json_t *items = json_object_get(last, "items");
        int saw_bj = 0, saw_bs = 0, saw_qj = 0;
        size_t i;
        json_t *it;

        json_array_foreach(items, i, it) {
            long long id = json_integer_value(json_object_get(it, "id"));
            saw_bj |= id == g_bj;
            saw_bs |= id == g_bs;
            saw_qj |= id == g_qj;
        }
        ok(saw_bs && saw_qj && !saw_bj, "云南 list has 保山 and 曲靖, not 北京");
    }
    is_int(run(&bs, "GET", "/api/example/moderation", NULL, 0), 200, "保山 moderation list");
    {
        json_t *items = json_object_get(last, "items");
        size_t i;
        json_t *it;
        int only_bs = json_array_size(items) > 0;

        json_array_foreach(items, i, it)
            only_bs &= json_integer_value(json_object_get(it, "id")) == g_bs;
        ok(only_bs, "保山 list holds only 保山 records");
    }
    snprintf(uri, sizeof uri, "/api/example/greetings/%lld", g_bs);
    is_int(run(&bs, "DELETE", uri, NULL, 1), 204, "保山 admin deletes a 隆阳区 record");
    snprintf(uri, sizeof uri, "/api/example/greetings/%lld", g_bj);
    is_int(run(&nat, "DELETE", uri, NULL, 1), 204, "national admin deletes anywhere");
    {
        oak_stmt *st;

        oak_db_prepare("SELECT count(*) FROM core_audit WHERE action = 'example.delete'", &st, NULL);
        oak_db_step(st, NULL);
        is_int(sqlite3_column_int(oak_db_raw(st), 0), 3, "every delete audited");
        oak_db_finish(st);
    }

    /* logout */
    is_int(run(&yn, "POST", "/api/auth/logout", NULL, 0), 403, "logout needs the CSRF token");
    is_int(run(&yn, "POST", "/api/auth/logout", NULL, 1), 204, "logout");
    ok(strstr(last_headers, "Max-Age=0") != NULL, "cookie cleared");
    is_int(run(&yn, "GET", "/api/auth/me", NULL, 0), 401, "session gone after logout");

    /* expiry */
    is_int(login(&yn, "yn", "Correct-Horse-9"), 200, "login again");
    oak_db_exec("UPDATE core_sessions SET last_seen = last_seen - 601", NULL);
    is_int(run(&yn, "GET", "/api/auth/me", NULL, 0), 401, "idle session expired");
    is_int(login(&yn, "yn", "Correct-Horse-9"), 200, "login again");
    oak_db_exec("UPDATE core_sessions SET expires_at = strftime('%s','now') - 1", NULL);
    is_int(run(&yn, "GET", "/api/auth/me", NULL, 0), 401, "absolute expiry");

    /* lockout per account */
    {
        struct client a = { .addr = "10.1.0.1" }, b = { .addr = "10.1.0.2" };

        for (int i = 0; i < 3; i++)
            login(&a, "bs", "Wrong-Password-1");
        is_int(login(&b, "bs", "Correct-Horse-9"), 429, "account locked after 3 failures, even from elsewhere");
        is_str(code_of(), "too_many_attempts", "too_many_attempts");
        ok(strstr(last_headers, "Retry-After: ") != NULL, "Retry-After given");
        for (int i = 0; i < 3; i++)
            login(&a, "nobody-here", "Wrong-Password-1");
        is_int(login(&b, "nobody-here", "Wrong-Password-1"), 429, "unknown accounts lock alike");
        oak_db_exec("UPDATE core_login_throttle SET locked_until = 0, failures = 0", NULL);
        is_int(login(&b, "bs", "Correct-Horse-9"), 200, "unlocked after the lockout");
    }
    /* lockout per address */
    {
        struct client a = { .addr = "10.2.0.1" }, b = { .addr = "10.2.0.9" };
        char user[32];

        for (int i = 0; i < 8; i++) {
            snprintf(user, sizeof user, "spray%d", i);
            login(&a, user, "Wrong-Password-1");
        }
        is_int(login(&a, "nat", "Correct-Horse-9"), 429, "address locked after 8 failures");
        is_int(login(&b, "nat", "Correct-Horse-9"), 200, "other addresses unaffected");
    }

    /* TOTP */
    {
        unsigned char secret[20] = "0123456789abcdefghij";
        char b32[64], *enc = NULL, sql[400], payload[200], code[8];
        struct oak_field_ctx fc = { "core_users", "totp_secret", 0, 0 };
        oak_stmt *st;
        struct client t = { .addr = "10.3.0.1" };

        oak_db_prepare("SELECT id FROM core_users WHERE username = 'bj'", &st, NULL);
        oak_db_step(st, NULL);
        fc.rowid = sqlite3_column_int64(oak_db_raw(st), 0);
        oak_db_finish(st);
        oak_base32_encode(secret, sizeof secret, b32);
        oak_field_encrypt(app->keys, &fc, b32, strlen(b32), &enc);
        snprintf(sql, sizeof sql, "UPDATE core_users SET totp_secret = '%s' WHERE id = %lld", enc, (long long)fc.rowid);
        free(enc);
        oak_db_exec(sql, NULL);
        is_int(login(&t, "bj", "Correct-Horse-9"), 401, "password alone is not enough");
        is_str(code_of(), "totp_required", "totp_required");
        snprintf(code, sizeof code, "%06u", (unsigned)oak_totp_code(secret, 20, (uint64_t)time(NULL) / 30));
        snprintf(payload, sizeof payload, "{\"username\":\"bj\",\"password\":\"Correct-Horse-9\",\"totp\":\"%s\"}", code);
        is_int(run(&t, "POST", "/api/auth/login", payload, 0), 200, "password and code");
        is_int(run(&t, "POST", "/api/auth/login", payload, 0), 401, "the same code again is refused (replay)");
        snprintf(payload, sizeof payload, "{\"username\":\"bj\",\"password\":\"Correct-Horse-9\",\"totp\":\"000000\"}");
        is_int(run(&t, "POST", "/api/auth/login", payload, 0), 401, "wrong code refused");
    }

    /* over https the cookie is Secure */
    {
        struct client h = { .addr = "10.4.0.1" };

        h.https = 1;
        is_int(login(&h, "nat", "Correct-Horse-9"), 200, "login over https");
        ok(strstr(last_headers, "; Secure") != NULL, "cookie Secure over https");
    }
    /* TOTP required for admins when configured */
    {
        struct client a = { .addr = "10.5.0.1" };

        app->cfg.totp_admins = 1;
        is_int(login(&a, "yn", "Correct-Horse-9"), 403, "admin without TOTP refused when totp_admins is on");
        is_str(code_of(), "totp_enrollment_required", "totp_enrollment_required");
        is_int(login(&a, "clerk", "Correct-Horse-9"), 200, "non-admin roles unaffected");
        app->cfg.totp_admins = 0;
    }

    /* regions endpoint */
    is_int(run(NULL, "GET", "/api/regions", NULL, 0), 200, "regions");
    is_int(json_array_size(json_object_get(last, "items")), 34, "34 provincial-level divisions");
    is_int(run(NULL, "GET", "/api/regions?parent=530000", NULL, 0), 200, "云南 prefectures");
    is_int(json_array_size(json_object_get(last, "items")), 16, "16 prefectures");
    is_int(run(NULL, "GET", "/api/regions?parent=999999", NULL, 0), 400, "unknown parent 400");

    /* attempt limits for plugins (access codes) */
    is_int(oak_throttle_wait("registry:code:R1"), 0, "throttle: a fresh key may go ahead");
    oak_throttle_fail("registry:code:R1", 3, 600);
    oak_throttle_fail("registry:code:R1", 3, 600);
    is_int(oak_throttle_wait("registry:code:R1"), 0, "two failures of three: still allowed");
    oak_throttle_fail("registry:code:R1", 3, 600);
    ok(oak_throttle_wait("registry:code:R1") > 590, "the third locks the key for the window");
    is_int(oak_throttle_wait("registry:code:R2"), 0, "other keys are not affected");
    oak_throttle_clear("registry:code:R1");
    is_int(oak_throttle_wait("registry:code:R1"), 0, "clear lifts the lock");

    oak_db_close(db);
    pipeline_free();
    oak_app_destroy(app);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    ok(system(path) == 0, "temp dir removed");
    return done_testing();
}
