/*
 * users.c - `oakseed user add|passwd|disable|enable|list|grant|revoke|totp`.
 */
#include "users.h"
#include "app.h"
#include "audit.h"
#include "auth.h"
#include "crypto.h"
#include "db.h"
#include "password.h"
#include "plugins.h"
#include "regions.h"
#include "roles.h"
#include "totp.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

struct opts {
    const char *role;
    const char *display;
    const char *permission;
    int regions[OAK_MAX_SCOPE];
    int nregions;
    int password_stdin;
    int disable;
};

static void usage(void)
{
    fprintf(stderr,
        "usage: oakseed user add NAME --role ROLE [--region CODE]... [--name DISPLAY] [--password-stdin]\n"
        "       oakseed user passwd NAME [--password-stdin]\n"
        "       oakseed user disable|enable NAME\n"
        "       oakseed user list\n"
        "       oakseed user grant|revoke NAME (--region CODE | --permission PERM | --role ROLE)\n"
        "       oakseed user totp NAME [--disable]\n"
        "roles: national_admin regional_admin coordinator trainer volunteer_manager staff\n");
}

static int audit_cli(const char *action, long long uid, int region, const char *detail)
{
    struct oak_audit_entry e;
    char id[24];

    snprintf(id, sizeof id, "%lld", uid);
    memset(&e, 0, sizeof e);
    e.actor = "cli";
    e.action = action;
    e.object_type = "account";
    e.object_id = id;
    e.region = region;
    e.detail = detail;
    return oak_audit_append(&e, NULL);
}

static int read_password(const char *prompt, int from_stdin, char *out, size_t len)
{
    struct termios old, quiet;
    int tty = !from_stdin && isatty(0);
    size_t n;

    if (tty) {
        fprintf(stderr, "%s", prompt);
        tcgetattr(0, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(0, TCSAFLUSH, &quiet);
    }
    if (!fgets(out, (int)len, stdin))
        out[0] = '\0';
    if (tty) {
        tcsetattr(0, TCSAFLUSH, &old);
        fprintf(stderr, "\n");
    }
    n = strcspn(out, "\r\n");
    out[n] = '\0';
    return out[0] ? 0 : -1;
}

static int get_password(struct oak_app *app, const struct opts *o, char hash[OAK_PASSWORD_HASH_MAX])
{
    char pw[OAK_PASSWORD_MAX + 2], again[OAK_PASSWORD_MAX + 2];
    const char *weak;
    int rc = -1;

    if (read_password("password: ", o->password_stdin, pw, sizeof pw) < 0) {
        fprintf(stderr, "oakseed: no password given\n");
        return -1;
    }
    if ((weak = oak_password_weak(pw)) != NULL) {
        fprintf(stderr, "oakseed: password refused: %s\n", weak);
        goto out;
    }
    if (!o->password_stdin && isatty(0)) {
        if (read_password("again: ", 0, again, sizeof again) < 0 || strcmp(pw, again) != 0) {
            fprintf(stderr, "oakseed: passwords differ\n");
            goto out;
        }
    }
    if (app->cfg.scrypt_log_n < 17)
        fprintf(stderr, "oakseed: warning: scrypt_log_n = %d is below the recommended 17\n",
                app->cfg.scrypt_log_n);
    rc = oak_password_hash(pw, app->cfg.scrypt_log_n, hash);
    if (rc < 0)
        fprintf(stderr, "oakseed: hashing failed\n");
out:
    OPENSSL_cleanse(pw, sizeof pw);
    OPENSSL_cleanse(again, sizeof again);
    return rc;
}

static int parse(struct oak_app *app, int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof *o);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];

        if (!strcmp(a, "--password-stdin")) {
            o->password_stdin = 1;
        } else if (!strcmp(a, "--disable")) {
            o->disable = 1;
        } else if (i + 1 < argc && !strcmp(a, "--role")) {
            o->role = argv[++i];
            if (!oak_role_known(o->role)) {
                fprintf(stderr, "oakseed: unknown role '%s'\n", o->role);
                return -1;
            }
        } else if (i + 1 < argc && !strcmp(a, "--name")) {
            o->display = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--permission")) {
            o->permission = argv[++i];
            if (!oak_permission_known(app, NULL, o->permission) || !strcmp(o->permission, "public")) {
                fprintf(stderr, "oakseed: unknown permission '%s'\n", o->permission);
                return -1;
            }
        } else if (i + 1 < argc && !strcmp(a, "--region")) {
            int code = oak_region_parse(argv[++i]);

            if (!code) {
                fprintf(stderr, "oakseed: unknown region code '%s' (six digits, GB/T 2260)\n", argv[i]);
                return -1;
            }
            if (o->nregions == OAK_MAX_SCOPE) {
                fprintf(stderr, "oakseed: too many regions\n");
                return -1;
            }
            o->regions[o->nregions++] = code;
        } else {
            fprintf(stderr, "oakseed: unexpected argument '%s'\n", a);
            return -1;
        }
    }
    return 0;
}

static long long user_id(const char *name)
{
    oak_stmt *st;
    long long id = 0;

    if (oak_db_prepare("SELECT id FROM core_users WHERE username = ?1", &st, NULL) != OAK_OK)
        return -1;
    sqlite3_bind_text(oak_db_raw(st), 1, name, -1, SQLITE_STATIC);
    if (oak_db_step(st, NULL) == OAK_ROW)
        id = sqlite3_column_int64(oak_db_raw(st), 0);
    oak_db_finish(st);
    return id;
}

/* The id of NAME, or 0 after telling the operator there is no such user. */
static long long existing_user(const char *name)
{
    long long id = user_id(name);

    if (id > 0)
        return id;
    fprintf(stderr, "oakseed: no user '%s'\n", name);
    return 0;
}

static int valid_username(const char *s)
{
    size_t n = strlen(s);

    if (n < 2 || n > 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

/* Run SQL with up to two text/int parameters inside the open transaction. */
static int exec2(const char *sql, long long a, const char *b, long long c)
{
    oak_stmt *st;
    struct oak_error e;
    int rc = oak_db_prepare(sql, &st, &e);

    if (rc != OAK_OK) {
        fprintf(stderr, "oakseed: %s\n", e.message);
        return rc;
    }
    sqlite3_bind_int64(oak_db_raw(st), 1, a);
    if (b)
        sqlite3_bind_text(oak_db_raw(st), 2, b, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(oak_db_raw(st), 2, c);
    rc = oak_db_step(st, &e);
    oak_db_finish(st);
    if (rc != OAK_DONE) {
        fprintf(stderr, "oakseed: %s\n", e.message);
        return rc;
    }
    return OAK_OK;
}

static int finish(int rc)
{
    struct oak_error e = { 0, "" };

    if (rc != OAK_OK) {
        oak_db_rollback();
        return 1;
    }
    if (oak_db_commit(&e) != OAK_OK) {
        fprintf(stderr, "oakseed: commit: %s\n", e.message);
        return 1;
    }
    return 0;
}

static int cmd_add(struct oak_app *app, const char *name, const struct opts *o)
{
    char hash[OAK_PASSWORD_HASH_MAX];
    struct oak_error e;
    oak_stmt *st;
    long long id;
    int rc;

    if (!valid_username(name)) {
        fprintf(stderr, "oakseed: username must be 2-64 letters, digits, '.', '_' or '-'\n");
        return 1;
    }
    if (!o->role) {
        fprintf(stderr, "oakseed: --role is required\n");
        return 1;
    }
    if (strcmp(o->role, "national_admin") != 0 && o->nregions == 0) {
        fprintf(stderr, "oakseed: --region is required for role %s\n", o->role);
        return 1;
    }
    if (user_id(name) > 0) {
        fprintf(stderr, "oakseed: user '%s' already exists\n", name);
        return 1;
    }
    if (get_password(app, o, hash) < 0)
        return 1;
    if (oak_db_begin(&e) != OAK_OK) {
        fprintf(stderr, "oakseed: %s\n", e.message);
        return 1;
    }
    rc = oak_db_prepare("INSERT INTO core_users(username, display_name, role, password_hash)"
                        " VALUES (?1, ?2, ?3, ?4)", &st, &e);
    if (rc == OAK_OK) {
        sqlite3_stmt *s = oak_db_raw(st);

        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, o->display ? o->display : name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, o->role, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, hash, -1, SQLITE_STATIC);
        rc = oak_db_step(st, &e) == OAK_DONE ? OAK_OK : OAK_ERROR;
        oak_db_finish(st);
    }
    id = oak_db_current() ? sqlite3_last_insert_rowid(oak_db_sqlite(oak_db_current())) : 0;
    for (int i = 0; rc == OAK_OK && i < o->nregions; i++)
        rc = exec2("INSERT OR IGNORE INTO core_user_regions(user_id, region) VALUES (?1, ?2)",
                   id, NULL, o->regions[i]);
    if (rc == OAK_OK)
        rc = audit_cli("account.create", id, o->nregions ? o->regions[0] : 0, o->role);
    if (finish(rc))
        return 1;
    printf("user %s added (%s)\n", name, o->role);
    return 0;
}

static int cmd_passwd(struct oak_app *app, const char *name, const struct opts *o)
{
    char hash[OAK_PASSWORD_HASH_MAX];
    struct oak_error e;
    long long id = existing_user(name);
    int rc;

    if (!id)
        return 1;
    if (get_password(app, o, hash) < 0)
        return 1;
    if (oak_db_begin(&e) != OAK_OK)
        return 1;
    rc = exec2("UPDATE core_users SET password_hash = ?2, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ','now')"
               " WHERE id = ?1", id, hash, 0);
    /* a new password ends every session of the account */
    if (rc == OAK_OK)
        rc = exec2("DELETE FROM core_sessions WHERE user_id = ?1 AND ?2 = ?2", id, NULL, 0);
    if (rc == OAK_OK)
        rc = audit_cli("account.password", id, 0, NULL);
    if (finish(rc))
        return 1;
    printf("password of %s changed; its sessions ended\n", name);
    return 0;
}

static int cmd_disable(const char *name, int disable)
{
    struct oak_error e;
    long long id = existing_user(name);
    int rc;

    if (!id)
        return 1;
    if (oak_db_begin(&e) != OAK_OK)
        return 1;
    rc = exec2("UPDATE core_users SET disabled = ?2 WHERE id = ?1", id, NULL, disable);
    if (rc == OAK_OK && disable)
        rc = exec2("DELETE FROM core_sessions WHERE user_id = ?1 AND ?2 = ?2", id, NULL, 0);
    if (rc == OAK_OK)
        rc = audit_cli(disable ? "account.disable" : "account.enable", id, 0, NULL);
    if (finish(rc))
        return 1;
    printf("user %s %s\n", name, disable ? "disabled; its sessions ended" : "enabled");
    return 0;
}

static int cmd_list(void)
{
    oak_stmt *st;
    struct oak_error e;

    if (oak_db_prepare("SELECT u.username, u.role, u.disabled, u.totp_secret IS NOT NULL,"
                       " coalesce((SELECT group_concat(printf('%06d', region), ',') FROM core_user_regions"
                       "  WHERE user_id = u.id), ''),"
                       " coalesce((SELECT group_concat(permission, ',') FROM core_user_grants"
                       "  WHERE user_id = u.id), '')"
                       " FROM core_users u ORDER BY u.username", &st, &e) != OAK_OK) {
        fprintf(stderr, "oakseed: %s\n", e.message);
        return 1;
    }
    printf("%-24s %-18s %-9s %-5s %-30s %s\n", "USER", "ROLE", "STATUS", "TOTP", "REGIONS", "GRANTS");
    while (oak_db_step(st, NULL) == OAK_ROW) {
        sqlite3_stmt *s = oak_db_raw(st);

        printf("%-24s %-18s %-9s %-5s %-30s %s\n", sqlite3_column_text(s, 0), sqlite3_column_text(s, 1),
               sqlite3_column_int(s, 2) ? "disabled" : "active", sqlite3_column_int(s, 3) ? "yes" : "no",
               sqlite3_column_text(s, 4), sqlite3_column_text(s, 5));
    }
    oak_db_finish(st);
    return 0;
}

static int cmd_grant(const char *name, const struct opts *o, int grant)
{
    struct oak_error e;
    long long id = existing_user(name);
    int rc = OAK_OK;

    if (!id)
        return 1;
    if (!o->nregions && !o->permission && !o->role) {
        fprintf(stderr, "oakseed: give --region, --permission or --role\n");
        return 1;
    }
    if (o->role && !grant) {
        fprintf(stderr, "oakseed: an account always has one role; use grant --role to change it\n");
        return 1;
    }
    if (oak_db_begin(&e) != OAK_OK)
        return 1;
    for (int i = 0; rc == OAK_OK && i < o->nregions; i++) {
        rc = exec2(grant ? "INSERT OR IGNORE INTO core_user_regions(user_id, region) VALUES (?1, ?2)"
                         : "DELETE FROM core_user_regions WHERE user_id = ?1 AND region = ?2",
                   id, NULL, o->regions[i]);
        if (rc == OAK_OK)
            rc = audit_cli(grant ? "account.region.grant" : "account.region.revoke", id, o->regions[i], NULL);
    }
    if (rc == OAK_OK && o->permission) {
        rc = exec2(grant ? "INSERT OR IGNORE INTO core_user_grants(user_id, permission) VALUES (?1, ?2)"
                         : "DELETE FROM core_user_grants WHERE user_id = ?1 AND permission = ?2",
                   id, o->permission, 0);
        if (rc == OAK_OK)
            rc = audit_cli(grant ? "account.permission.grant" : "account.permission.revoke", id, 0,
                           o->permission);
    }
    if (rc == OAK_OK && o->role) {
        rc = exec2("UPDATE core_users SET role = ?2 WHERE id = ?1", id, o->role, 0);
        if (rc == OAK_OK)
            rc = audit_cli("account.role", id, 0, o->role);
    }
    if (finish(rc))
        return 1;
    printf("user %s updated\n", name);
    return 0;
}

static int cmd_totp(struct oak_app *app, const char *name, const struct opts *o)
{
    unsigned char secret[OAK_TOTP_SECRET_LEN];
    char b32[64];
    struct oak_error e;
    long long id = existing_user(name);
    int rc;

    if (!id)
        return 1;
    if (!o->disable && !app->keys) {
        fprintf(stderr, "oakseed: one-time code secrets are stored encrypted: set [keys] file "
                "(create one with oakseed keygen FILE)\n");
        return 1;
    }
    if (oak_db_begin(&e) != OAK_OK)
        return 1;
    if (o->disable) {
        rc = exec2("UPDATE core_users SET totp_secret = NULL, totp_last_step = 0 WHERE id = ?1 AND ?2 = ?2",
                   id, NULL, 0);
        if (rc == OAK_OK)
            rc = audit_cli("account.totp.disable", id, 0, NULL);
        if (finish(rc))
            return 1;
        printf("one-time codes disabled for %s\n", name);
        return 0;
    }
    if (RAND_bytes(secret, sizeof secret) != 1) {
        oak_db_rollback();
        return 1;
    }
    oak_base32_encode(secret, sizeof secret, b32);
    OPENSSL_cleanse(secret, sizeof secret);
    {
        struct oak_field_ctx fc = { "core_users", "totp_secret", id, 0 };
        char *enc = NULL;

        rc = oak_field_encrypt(app->keys, &fc, b32, strlen(b32), &enc);
        if (rc == OAK_OK)
            rc = exec2("UPDATE core_users SET totp_secret = ?2, totp_last_step = 0 WHERE id = ?1",
                       id, enc, 0);
        free(enc);
    }
    if (rc == OAK_OK)
        rc = audit_cli("account.totp.enrol", id, 0, NULL);
    if (finish(rc)) {
        OPENSSL_cleanse(b32, sizeof b32);
        return 1;
    }
    printf("secret: %s\n", b32);
    printf("otpauth://totp/oakseed:%s?secret=%s&issuer=oakseed&digits=6&period=30\n", name, b32);
    OPENSSL_cleanse(b32, sizeof b32);
    return 0;
}

int oak_users_cli(struct oak_app *app, int argc, char **argv)
{
    struct opts o;
    const char *sub, *name;

    if (argc < 1) {
        usage();
        return 2;
    }
    sub = argv[0];
    if (!strcmp(sub, "list"))
        return argc == 1 ? cmd_list() : (usage(), 2);
    if (argc < 2) {
        usage();
        return 2;
    }
    name = argv[1];
    if (parse(app, argc - 2, argv + 2, &o) < 0)
        return 2;
    if (!strcmp(sub, "add"))
        return cmd_add(app, name, &o);
    if (!strcmp(sub, "passwd"))
        return cmd_passwd(app, name, &o);
    if (!strcmp(sub, "disable"))
        return cmd_disable(name, 1);
    if (!strcmp(sub, "enable"))
        return cmd_disable(name, 0);
    if (!strcmp(sub, "grant"))
        return cmd_grant(name, &o, 1);
    if (!strcmp(sub, "revoke"))
        return cmd_grant(name, &o, 0);
    if (!strcmp(sub, "totp"))
        return cmd_totp(app, name, &o);
    usage();
    return 2;
}
