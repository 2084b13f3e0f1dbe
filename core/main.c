/*
 * main.c - the oakseed command line: serve, migrate, routes, backup,
 * restore, check-config, version.
 */
#include "app.h"
#include "audit.h"
#include "db.h"
#include "keys_cli.h"
#include "lua_cli.h"
#include "log.h"
#include "plugins.h"
#include "server.h"
#include "users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
        "usage: oakseed COMMAND [options]\n"
        "\n"
        "commands:\n"
        "  serve               run the FastCGI server (master + workers)\n"
        "  migrate             apply pending database migrations and exit\n"
        "  routes              list every route with its plugin and permission\n"
        "  backup FILE         copy the live database to FILE (online backup)\n"
        "  restore FILE        replace the database with FILE (server stopped)\n"
        "  check-config        load the configuration and plugins, report errors\n"
        "  user SUBCOMMAND     staff accounts: add, passwd, disable, enable, list,\n"
        "                      grant, revoke, totp (oakseed user for details)\n"
        "  audit verify        check the audit log's hash chain\n"
        "                      [--expect-head HASH] (a head recorded earlier)\n"
        "  lua check DIR       compile and lint regional rule scripts\n"
        "  lua test DIR        run a region's *_test.lua cases offline\n"
        "  lua which HOOK CODE which script answers HOOK for region CODE\n"
        "  keygen FILE         write a new key file (mode 0600)\n"
        "  keys rotate         add a data key and re-encrypt in resumable batches\n"
        "                      [--resume] [--batch N] [--max-batches N]\n"
        "  version             print the version and plugin ABI\n"
        "\n"
        "options:\n"
        "  -c, --config FILE   configuration file (INI)\n"
        "  -o, --set S.K=V     override a key, e.g. -o server.workers=4\n"
        "      --listen SPEC   same as -o server.listen=SPEC\n"
        "      --workers N     same as -o server.workers=N\n"
        "      --log-level L   same as -o log.level=L\n"
        "      --pid-file F    same as -o server.pid_file=F\n"
        "      --db FILE       same as -o database.path=FILE\n");
}

struct named_flag {
    const char *flag;
    const char *key;
};

static const struct named_flag named[] = {
    { "--listen", "server.listen" },
    { "--workers", "server.workers" },
    { "--log-level", "log.level" },
    { "--pid-file", "server.pid_file" },
    { "--db", "database.path" },
};

/* Parse options after the command; positional arguments go to ARGS. */
static char *owned[64];
static int nowned;

static int parse_opts(int argc, char **argv, struct oak_cli *cli, char **args, int *nargs,
                      int passthrough)
{
    cli->overrides = calloc((size_t)argc + 1, sizeof *cli->overrides);
    if (!cli->overrides)
        return -1;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int matched = 0;

        if (!strcmp(a, "-c") || !strcmp(a, "--config")) {
            if (++i >= argc)
                goto missing;
            cli->config_path = argv[i];
            continue;
        }
        if (!strcmp(a, "-o") || !strcmp(a, "--set")) {
            if (++i >= argc)
                goto missing;
            cli->overrides[cli->noverrides++] = argv[i];
            continue;
        }
        for (size_t k = 0; k < sizeof named / sizeof named[0]; k++) {
            if (strcmp(a, named[k].flag) != 0)
                continue;
            if (++i >= argc)
                goto missing;
            if (nowned == 64)
                return -1;
            size_t n = strlen(named[k].key) + strlen(argv[i]) + 2;
            char *s = malloc(n);

            if (!s)
                return -1;
            snprintf(s, n, "%s=%s", named[k].key, argv[i]);
            owned[nowned++] = s;
            cli->overrides[cli->noverrides++] = s;
            matched = 1;
        }
        if (matched)
            continue;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        }
        if (a[0] == '-' && !passthrough) {
            fprintf(stderr, "oakseed: unknown option %s\n", a);
            return -1;
        }
        if (*nargs == 64)
            return -1;
        args[(*nargs)++] = argv[i];
    }
    return 0;
missing:
    fprintf(stderr, "oakseed: %s needs a value\n", argv[argc - 1]);
    return -1;
}

static int cmd_routes(struct oak_app *app)
{
    printf("%-7s %-44s %-12s %s\n", "METHOD", "PATH", "PLUGIN", "PERMISSION");
    for (int i = 0; i < app->router.count; i++) {
        const struct oak_route *r = &app->router.routes[i];

        printf("%-7s %-44s %-12s %s\n", r->method, r->pattern, r->owner_name, r->permission);
    }
    return 0;
}

static struct oak_db *open_db(struct oak_app *app, char *err, size_t errlen)
{
    struct oak_db_options o = {
        .path = app->cfg.db_path,
        .synchronous = app->cfg.synchronous,
        .busy_timeout = app->cfg.busy_timeout,
    };
    return oak_db_open(&o, err, errlen);
}

static int cmd_backup(struct oak_app *app, const char *dest)
{
    char err[1024];
    struct oak_db_options o = {
        .path = app->cfg.db_path,
        .synchronous = app->cfg.synchronous,
        .busy_timeout = app->cfg.busy_timeout,
        .must_exist = 1,          /* a mistyped path must not back up an empty file */
    };
    struct oak_db *db = oak_db_open(&o, err, sizeof err);
    int rc;

    if (!db) {
        fprintf(stderr, "oakseed: %s\n", err);
        return 1;
    }
    rc = oak_db_backup(db, dest, err, sizeof err);
    oak_db_close(db);
    if (rc < 0) {
        fprintf(stderr, "oakseed: %s\n", err);
        return 1;
    }
    printf("backup written to %s\n", dest);
    return 0;
}

/* Refuse to restore under a running server: its workers hold the database
 * open and would keep serving the old contents. */
static int server_running(struct oak_app *app)
{
    int fd, locked = 0;

    if (!app->cfg.pid_file)
        return 0;
    fd = open(app->cfg.pid_file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    if (flock(fd, LOCK_SH | LOCK_NB) < 0)
        locked = 1;
    close(fd);
    return locked;
}

static int cmd_restore(struct oak_app *app, const char *src)
{
    char err[1024];

    if (server_running(app)) {
        fprintf(stderr, "oakseed: restore: the server is running (pid file %s is locked); "
                "stop it first\n", app->cfg.pid_file);
        return 1;
    }
    if (oak_db_restore(app->cfg.db_path, src, err, sizeof err) < 0) {
        fprintf(stderr, "oakseed: %s\n", err);
        return 1;
    }
    printf("database %s restored from %s\n", app->cfg.db_path, src);
    return 0;
}

/* audit verify [--expect-head HASH]: HASH is a head an earlier verify
 * printed; it must still be in the chain (rows cut off the end otherwise). */
static int cmd_audit_verify(int nargs, char **args)
{
    char head[65], err[512], want[65] = "";
    long long count, bad, head_id;
    int rc;

    for (int i = 1; i < nargs; i++) {
        const char *v = NULL;

        if (!strcmp(args[i], "--expect-head") && i + 1 < nargs)
            v = args[++i];
        else if (!strncmp(args[i], "--expect-head=", 14))
            v = args[i] + 14;
        if (!v || strlen(v) != 64 || strspn(v, "0123456789abcdefABCDEF") != 64) {
            fprintf(stderr, v ? "oakseed: --expect-head needs the 64 hex digits of a head hash\n"
                              : "usage: oakseed audit verify [--expect-head HASH]\n");
            return 2;
        }
        for (int k = 0; k < 64; k++)
            want[k] = (char)(v[k] >= 'A' && v[k] <= 'F' ? v[k] + 32 : v[k]);
        want[64] = '\0';
    }
    rc = oak_audit_verify_head(oak_db_current(), want[0] ? want : NULL, &count, head, &head_id,
                               &bad, err, sizeof err);
    if (rc == 0) {
        printf("audit log intact: %lld rows, head %s\n", count, head);
        if (want[0])
            printf("recorded head found at row %lld\n", head_id);
        return 0;
    }
    fprintf(stderr, "oakseed: %s\n", err);
    return rc == -1 ? 3 : 1;
}

/* Commands that need the migrated database on this process's connection. */
static int with_db(const struct oak_cli *cli, const char *cmd, int nargs, char **args)
{
    char err[1024];
    struct oak_app *app = oak_app_create(cli, OAK_APP_QUIET_LOG | OAK_APP_MIGRATE, err, sizeof err);
    struct oak_db *db;
    int rc;

    if (!app) {
        fprintf(stderr, "oakseed: %s\n", err);
        return 1;
    }
    db = open_db(app, err, sizeof err);
    if (!db) {
        fprintf(stderr, "oakseed: %s\n", err);
        oak_app_destroy(app);
        return 1;
    }
    oak_db_use(db);
    if (!strcmp(cmd, "user")) {
        rc = oak_users_cli(app, nargs, args);
    } else if (!strcmp(cmd, "keys")) {
        rc = oak_keys_cli(app, nargs, args);
    } else if (nargs >= 1 && !strcmp(args[0], "verify")) {
        rc = cmd_audit_verify(nargs, args);
    } else {
        fprintf(stderr, "usage: oakseed audit verify [--expect-head HASH]\n");
        rc = 2;
    }
    oak_db_close(db);
    oak_app_destroy(app);
    return rc;
}

int main(int argc, char **argv)
{
    struct oak_cli cli = { 0 };
    char *args[64];
    int nargs = 0, rc = 1, flags = OAK_APP_QUIET_LOG;
    const char *cmd;
    struct oak_app *app;
    char err[1024];

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    cmd = argv[1];
    if (!strcmp(cmd, "help") || !strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("oakseed %s (plugin ABI %d.%d)\n", PACKAGE_VERSION, OAK_ABI_MAJOR, OAK_ABI_MINOR);
        return 0;
    }
    int passthrough = !strcmp(cmd, "user") || !strcmp(cmd, "audit") || !strcmp(cmd, "keys") ||
                      !strcmp(cmd, "lua");

    if (!strcmp(cmd, "keygen")) {
        if (argc != 3) {
            fprintf(stderr, "usage: oakseed keygen FILE\n");
            return 2;
        }
        return oak_keygen_cli(argv[2]);
    }

    if (parse_opts(argc - 2, argv + 2, &cli, args, &nargs, passthrough) < 0) {
        usage(stderr);
        rc = 2;
        goto out;
    }
    if (!strcmp(cmd, "serve")) {
        if (nargs) {
            fprintf(stderr, "oakseed: serve takes no arguments\n");
            rc = 2;
            goto out;
        }
        rc = oak_server_run(&cli);
        goto out;
    }
    if (!strcmp(cmd, "lua")) {
        char err2[1024];
        struct oak_app *lapp = oak_app_create(&cli, flags, err2, sizeof err2);

        if (!lapp) {
            fprintf(stderr, "oakseed: %s\n", err2);
            goto out;
        }
        rc = oak_lua_cli(lapp, nargs, args);
        oak_app_destroy(lapp);
        goto out;
    }
    if (!strcmp(cmd, "user") || !strcmp(cmd, "audit") || !strcmp(cmd, "keys")) {
        rc = with_db(&cli, cmd, nargs, args);
        goto out;
    }
    if ((!strcmp(cmd, "backup") || !strcmp(cmd, "restore")) ? nargs != 1 : nargs != 0) {
        fprintf(stderr, "oakseed: wrong number of arguments for %s\n", cmd);
        usage(stderr);
        rc = 2;
        goto out;
    }
    if (strcmp(cmd, "migrate") && strcmp(cmd, "routes") && strcmp(cmd, "backup") &&
        strcmp(cmd, "restore") && strcmp(cmd, "check-config")) {
        fprintf(stderr, "oakseed: unknown command '%s'\n", cmd);
        usage(stderr);
        rc = 2;
        goto out;
    }
    if (!strcmp(cmd, "migrate"))
        flags |= OAK_APP_MIGRATE;
    if (!strcmp(cmd, "backup") || !strcmp(cmd, "restore"))
        flags |= OAK_APP_NO_PLUGINS;
    app = oak_app_create(&cli, flags, err, sizeof err);
    if (!app) {
        fprintf(stderr, "oakseed: %s\n", err);
        goto out;
    }
    if (!strcmp(cmd, "routes"))
        rc = cmd_routes(app);
    else if (!strcmp(cmd, "backup"))
        rc = cmd_backup(app, args[0]);
    else if (!strcmp(cmd, "restore"))
        rc = cmd_restore(app, args[0]);
    else if (!strcmp(cmd, "migrate")) {
        printf("database %s is up to date\n", app->cfg.db_path);
        rc = 0;
    } else {
        printf("configuration OK: %d plugins, %d routes\n", app->nplugins - 1, app->router.count);
        rc = 0;
    }
    oak_app_destroy(app);
out:
    free(cli.overrides);
    for (int i = 0; i < nowned; i++)
        free(owned[i]);
    return rc;
}
