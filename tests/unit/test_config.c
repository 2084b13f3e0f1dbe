/*
 * test_config.c - the configuration reader: defaults, a file with every
 * section, comments and blank lines, relative paths resolved against the
 * file's directory, errors naming FILE:LINE (unknown keys and sections,
 * malformed lines, bad int/size/bool/level/sync/mode/listen/list values),
 * [plugin.NAME] keys kept in extra, command-line overrides, oak_parse_size,
 * oak_config_copy as a deep copy, and the start-up warning for a password
 * hashing cost below the recommended scrypt N = 2^17.
 */
#include "config.h"
#include "log.h"
#include "tap.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/oak-test-config-XXXXXX";
static char realdir[PATH_MAX];
static char paths[16][PATH_MAX + 32];
static int npaths;

/* Write CONTENT to DIR/NAME; returns the path (remembered for cleanup). */
static const char *write_file(const char *name, const char *content)
{
    char want[PATH_MAX + 32], *p = NULL;
    FILE *f;

    snprintf(want, sizeof want, "%s/%s", dir, name);
    for (int i = 0; i < npaths; i++)
        if (strcmp(paths[i], want) == 0)
            p = paths[i];
    if (!p) {
        p = paths[npaths < 15 ? npaths++ : 15];
        memcpy(p, want, sizeof want);
    }
    f = fopen(p, "w");
    if (!f)
        return p;
    fputs(content, f);
    fclose(f);
    return p;
}

static const char *extra_value(const struct oak_config *c, const char *section, const char *key)
{
    for (int i = 0; i < c->nextra; i++)
        if (!strcmp(c->extra[i].section, section) && !strcmp(c->extra[i].key, key))
            return c->extra[i].value;
    return NULL;
}

static const char *extra_where(const struct oak_config *c, const char *section, const char *key)
{
    for (int i = 0; i < c->nextra; i++)
        if (!strcmp(c->extra[i].section, section) && !strcmp(c->extra[i].key, key))
            return c->extra[i].where;
    return NULL;
}

static const char *joined(const char *a, const char *b)
{
    static char buf[PATH_MAX + 64];

    snprintf(buf, sizeof buf, "%s%s", a, b);
    return buf;
}

static void test_defaults(void)
{
    struct oak_config c;

    oak_config_defaults(&c);
    is_str(c.listen, "unix:/run/oakseed/oakseed.sock", "default listen");
    ok(c.socket_group == NULL, "default socket_group NULL");
    is_int(c.socket_mode, 0660, "default socket_mode 0660");
    is_int(c.workers, 2, "default workers");
    is_int(c.threads, 1, "default threads: 1 per worker");
    is_int(c.max_requests, 10000, "default max_requests");
    ok(c.pid_file == NULL, "default pid_file NULL");
    is_int(c.drain_timeout, 30, "default drain_timeout");
    is_int(c.log_level, OAK_L_INFO, "default log level info");
    ok(c.log_file == NULL, "default log_file NULL (stderr)");
    is_int(c.access_log, 1, "default access_log on");
    is_int(c.max_body, 1L << 20, "default max_body 1m");
    is_int(c.max_params, 256, "default max_params");
    is_int(c.max_json_depth, 32, "default max_json_depth");
    is_str(c.db_path, "/var/lib/oakseed/oakseed.db", "default db path");
    is_int(c.synchronous, 2, "default synchronous full");
    is_int(c.busy_timeout, 5000, "default busy_timeout");
    is_int(c.idle_timeout, 1800, "default auth.idle_timeout 30 minutes");
    is_int(c.absolute_timeout, 43200, "default auth.absolute_timeout 12 hours");
    is_int(c.max_failures_account, 5, "default auth.max_failures_account");
    is_int(c.max_failures_address, 50, "default auth.max_failures_address");
    is_int(c.lockout, 900, "default auth.lockout");
    is_int(c.totp_admins, 0, "default auth.totp_admins off");
    is_int(c.scrypt_log_n, 17, "default auth.scrypt_log_n 17 (scrypt N = 2^17)");
    ok(c.plugin_dir != NULL && c.plugin_dir[0] == '/', "default plugin_dir is absolute");
    is_int(c.nplugins, 0, "no plugins by default");
    is_int(c.nextra, 0, "no extra keys by default");
    ok(c.path == NULL && c.base_dir == NULL, "no file read yet");
    oak_config_free(&c);
    ok(c.listen == NULL && c.db_path == NULL, "free clears the struct");
}

static const char full_conf[] =
    "# oakseed test configuration\n"
    "; semicolon comment\n"
    "\n"
    "[server]\n"
    "listen = 127.0.0.1:9000\n"
    "socket_group = www-data\n"
    "socket_mode = 0640\n"
    "   workers=4   \n"
    "max_requests = 0\n"
    "pid_file = ../run/oakseed.pid\n"
    "drain_timeout = 10\n"
    "  # indented comment\n"
    "[ log ]\n"
    "level = debug\n"
    "file = /var/log/oakseed.log\n"
    "access_log = off\n"
    "[limits]\n"
    "max_body = 2m\n"
    "max_params = 50\n"
    "max_json_depth = 8\n"
    "[database]\n"
    "path = data/oak.db\n"
    "synchronous = normal\n"
    "busy_timeout = 1000\n"
    "[plugins]\n"
    "dir = plugins\n"
    "load = example, second_one\tthird\n"
    "[plugin.example]\n"
    "greeting = 你好, world\n"
    "limit = 5\n"
    "[plugin.second_one]\n"
    "mode = strict\n";

static void test_full_file(void)
{
    struct oak_config c;
    char err[512] = "";
    const char *path = write_file("full.conf", full_conf);
    int rc;

    oak_config_defaults(&c);
    rc = oak_config_load(&c, path, err, sizeof err);
    is_int(rc, 0, "full config loads");
    if (rc)
        printf("# error: %s\n", err);
    is_str(c.path, path, "path recorded");
    is_str(c.base_dir, realdir, "base_dir is the file's directory");
    is_str(c.listen, "127.0.0.1:9000", "server.listen");
    is_str(c.socket_group, "www-data", "server.socket_group");
    is_int(c.socket_mode, 0640, "server.socket_mode octal");
    is_int(c.workers, 4, "server.workers (whitespace trimmed)");
    is_int(c.max_requests, 0, "server.max_requests 0");
    is_str(c.pid_file, joined(realdir, "/../run/oakseed.pid"), "relative pid_file with .. resolved");
    is_int(c.drain_timeout, 10, "server.drain_timeout");
    is_int(c.log_level, OAK_L_DEBUG, "log.level debug ([ log ] header trimmed)");
    is_str(c.log_file, "/var/log/oakseed.log", "absolute log.file kept");
    is_int(c.access_log, 0, "log.access_log off");
    is_int(c.max_body, 2L << 20, "limits.max_body 2m");
    is_int(c.max_params, 50, "limits.max_params");
    is_int(c.max_json_depth, 8, "limits.max_json_depth");
    is_str(c.db_path, joined(realdir, "/data/oak.db"), "relative database.path resolved");
    is_int(c.synchronous, 1, "database.synchronous normal");
    is_int(c.busy_timeout, 1000, "database.busy_timeout");
    is_str(c.plugin_dir, joined(realdir, "/plugins"), "relative plugins.dir resolved");
    is_int(c.nplugins, 3, "three plugins listed (comma, space and tab separated)");
    if (c.nplugins == 3) {
        is_str(c.plugins[0], "example", "plugin 0");
        is_str(c.plugins[1], "second_one", "plugin 1");
        is_str(c.plugins[2], "third", "plugin 2");
    } else {
        ok(0, "plugin list");
    }
    is_int(c.nextra, 3, "three [plugin.*] keys kept");
    is_str(extra_value(&c, "plugin.example", "greeting"), "你好, world", "plugin.example.greeting");
    is_str(extra_value(&c, "plugin.example", "limit"), "5", "plugin.example.limit");
    is_str(extra_value(&c, "plugin.second_one", "mode"), "strict", "plugin.second_one.mode");
    {
        char want[PATH_MAX + 64];

        snprintf(want, sizeof want, "%s:%d", path, 29);
        is_str(extra_where(&c, "plugin.example", "greeting"), want, "extra key remembers FILE:LINE");
    }

    /* command-line overrides on top of the file */
    rc = oak_config_set(&c, "server.workers=7", err, sizeof err);
    is_int(rc, 0, "override server.workers=7");
    is_int(c.workers, 7, "workers overridden");
    rc = oak_config_set(&c, "server.threads=4", err, sizeof err);
    is_int(rc, 0, "override server.threads=4");
    is_int(c.threads, 4, "threads overridden");
    rc = oak_config_set(&c, "plugin.example.greeting=hi", err, sizeof err);
    is_int(rc, 0, "override plugin.example.greeting");
    is_str(extra_value(&c, "plugin.example", "greeting"), "hi", "plugin key replaced, not duplicated");
    is_str(extra_where(&c, "plugin.example", "greeting"), "command line", "replaced key: where is command line");
    is_int(c.nextra, 3, "still three extra keys");
    rc = oak_config_set(&c, "plugin.newone.key=a=b", err, sizeof err);
    is_int(rc, 0, "override adds a new plugin key");
    is_str(extra_value(&c, "plugin.newone", "key"), "a=b", "value keeps text after the first '='");
    rc = oak_config_set(&c, "log.file=rel/oak.log", err, sizeof err);
    is_int(rc, 0, "override log.file relative");
    is_str(c.log_file, "rel/oak.log", "command-line relative path not resolved against the file");
    is_str(c.base_dir, realdir, "base_dir restored after the override");
    rc = oak_config_set(&c, "server.socket_group=", err, sizeof err);
    is_int(rc, 0, "override with empty string");
    ok(c.socket_group == NULL, "empty socket_group becomes NULL");
    rc = oak_config_set(&c, "database.path=", err, sizeof err);
    ok(rc == 0 && c.db_path == NULL, "empty path becomes NULL");

    /* a deep copy */
    struct oak_config d;

    rc = oak_config_copy(&d, &c);
    is_int(rc, 0, "copy succeeds");
    ok(d.listen != c.listen && !strcmp(d.listen, c.listen), "listen deep-copied");
    ok(d.path != c.path && !strcmp(d.path, c.path), "path deep-copied");
    ok(d.base_dir != c.base_dir && !strcmp(d.base_dir, c.base_dir), "base_dir deep-copied");
    ok(d.pid_file != c.pid_file && !strcmp(d.pid_file, c.pid_file), "pid_file deep-copied");
    ok(d.plugin_dir != c.plugin_dir && !strcmp(d.plugin_dir, c.plugin_dir), "plugin_dir deep-copied");
    ok(d.db_path == NULL, "NULL db_path copied as NULL");
    ok(d.plugins != c.plugins && d.nplugins == 3 && d.plugins[2] != c.plugins[2] &&
       !strcmp(d.plugins[2], "third"), "plugin list deep-copied");
    ok(d.extra != c.extra && d.nextra == c.nextra, "extra array copied");
    is_int(d.workers, 7, "scalar fields copied");
    is_int(d.max_body, 2L << 20, "long fields copied");

    oak_config_free(&c);
    /* the copy must survive the original */
    is_str(d.listen, "127.0.0.1:9000", "copy intact after the original is freed (listen)");
    is_str(d.plugins[0], "example", "copy intact after the original is freed (plugins)");
    is_str(extra_value(&d, "plugin.example", "greeting"), "hi", "copy intact (extra value)");
    is_str(extra_where(&d, "plugin.example", "greeting"), "command line", "copy intact (extra where)");
    is_str(extra_value(&d, "plugin.newone", "key"), "a=b", "copy intact (added extra)");
    oak_config_set(&d, "server.workers=9", err, sizeof err);
    is_int(d.workers, 9, "copy is independently modifiable");
    oak_config_free(&d);

    /* copy of plain defaults */
    oak_config_defaults(&c);
    rc = oak_config_copy(&d, &c);
    is_int(rc, 0, "copy of defaults");
    ok(d.plugins == NULL && d.nplugins == 0 && d.extra == NULL && d.nextra == 0, "empty lists stay empty");
    ok(d.path == NULL && d.socket_group == NULL, "NULL fields stay NULL");
    oak_config_free(&c);
    oak_config_free(&d);
}

static void test_relative_listen(void)
{
    struct oak_config c;
    char err[512] = "";
    const char *path = write_file("listen.conf", "[server]\nlisten = unix:sock/oak.sock\n"
                                                 "[plugins]\nload = a\nload = b, c\n");

    oak_config_defaults(&c);
    is_int(oak_config_load(&c, path, err, sizeof err), 0, "relative unix listen loads");
    {
        char want[PATH_MAX + 64];

        snprintf(want, sizeof want, "unix:%s/sock/oak.sock", realdir);
        is_str(c.listen, want, "relative unix socket resolved against the file's directory");
    }
    is_int(c.nplugins, 2, "a second load line replaces the first");
    ok(c.nplugins == 2 && !strcmp(c.plugins[0], "b") && !strcmp(c.plugins[1], "c"),
       "plugin list is the last one");
    oak_config_free(&c);

    /* the file's own directory is used even when loaded via a relative
     * path from another working directory */
    char cwd[PATH_MAX];

    if (getcwd(cwd, sizeof cwd) && chdir("/tmp") == 0) {
        char rel[PATH_MAX];

        snprintf(rel, sizeof rel, "%s/listen.conf", dir + strlen("/tmp/"));
        oak_config_defaults(&c);
        is_int(oak_config_load(&c, rel, err, sizeof err), 0, "load through a relative path");
        is_str(c.base_dir, realdir, "base_dir absolute even for a relative config path");
        oak_config_free(&c);
        ok(chdir(cwd) == 0, "back to the working directory");
    } else {
        ok(0, "chdir");
    }
}

/* Load CONTENT and expect an error mentioning NAME:LINE and NEEDLE. */
static void expect_error(const char *content, int line, const char *needle, const char *what)
{
    struct oak_config c;
    char err[512] = "", where[PATH_MAX + 64];
    const char *path = write_file("bad.conf", content);
    int rc;

    oak_config_defaults(&c);
    rc = oak_config_load(&c, path, err, sizeof err);
    snprintf(where, sizeof where, "%s:%d:", path, line);
    is_int(rc, -1, "%s: refused", what);
    ok(strstr(err, where) != NULL, "%s: error names FILE:%d (%s)", what, line, err);
    ok(needle == NULL || strstr(err, needle) != NULL, "%s: error mentions '%s'", what,
       needle ? needle : "");
    oak_config_free(&c);
}

static void test_errors(void)
{
    struct oak_config c;
    char err[512] = "";

    expect_error("[server]\nworkers = 3\n\nbogus_key = 1\n", 4, "bogus_key", "unknown key");
    expect_error("# c\n[nosuch]\nx = 1\n", 2, "nosuch", "unknown section");
    expect_error("[log]\nlisten = 127.0.0.1:1\n", 2, "listen", "key of another section");
    expect_error("workers = 3\n", 1, "section", "key outside a section");
    expect_error("[server\n", 1, "section", "malformed section header");
    expect_error("[server] x\n", 1, "section", "junk after section header");
    expect_error("[server]\nworkers\n", 2, "key = value", "line without '='");
    expect_error("[plugin.Bad]\nx = 1\n", 2, "plugin.Bad", "bad plugin section name");

    /* bad values, one per type, each on line 3 */
    expect_error("[server]\n# c\nworkers = many\n", 3, "workers", "int not a number");
    expect_error("[server]\n# c\nworkers = 0\n", 3, "workers", "int below minimum");
    expect_error("[server]\n# c\nworkers = 257\n", 3, "workers", "int above maximum");
    expect_error("[server]\n# c\nworkers = 4x\n", 3, "4x", "int with junk");
    expect_error("[server]\n# c\nworkers =\n", 3, "workers", "int empty");
    expect_error("[server]\n# c\nmax_requests = -1\n", 3, "max_requests", "negative max_requests");
    expect_error("[server]\n# c\nthreads = 0\n", 3, "threads", "threads below 1");
    expect_error("[server]\n# c\nthreads = 65\n", 3, "threads", "threads above 64");
    expect_error("[limits]\n# c\nmax_json_depth = 1001\n", 3, "max_json_depth", "max_json_depth above range");
    expect_error("[limits]\n# c\nmax_body = 1q\n", 3, "max_body", "size bad suffix");
    expect_error("[limits]\n# c\nmax_body = 2g\n", 3, "max_body", "size over 1g");
    expect_error("[limits]\n# c\nmax_body = big\n", 3, "big", "size not a number");
    expect_error("[log]\n# c\naccess_log = maybe\n", 3, "access_log", "bool");
    expect_error("[log]\n# c\naccess_log = 2\n", 3, "access_log", "bool 2");
    expect_error("[log]\n# c\naccess_log = On\n", 3, "access_log", "bool is case-sensitive");
    expect_error("[log]\n# c\nlevel = verbose\n", 3, "verbose", "log level");
    expect_error("[database]\n# c\nsynchronous = fast\n", 3, "synchronous", "sync mode");
    expect_error("[database]\n# c\nsynchronous = FULL\n", 3, "synchronous", "sync mode is case-sensitive");
    expect_error("[server]\n# c\nsocket_mode = 0999\n", 3, "socket_mode", "mode not octal");
    expect_error("[server]\n# c\nsocket_mode = 01000\n", 3, "socket_mode", "mode above 0777");
    expect_error("[server]\n# c\nsocket_mode = rw\n", 3, "socket_mode", "mode letters");
    expect_error("[server]\n# c\nlisten = localhost\n", 3, "listen", "listen without port");
    expect_error("[server]\n# c\nlisten = 127.0.0.1:0\n", 3, "listen", "listen port 0");
    expect_error("[server]\n# c\nlisten = 127.0.0.1:65536\n", 3, "listen", "listen port too big");
    expect_error("[server]\n# c\nlisten = 127.0.0.1:80x\n", 3, "listen", "listen port junk");
    expect_error("[server]\n# c\nlisten = :80\n", 3, "listen", "listen without host");
    expect_error("[server]\n# c\nlisten = unix:\n", 3, "listen", "listen empty unix path");
    expect_error("[server]\n# c\nlisten = 0.0.0.0:9000\n", 3, "loopback", "listen on every address");
    expect_error("[server]\n# c\nlisten = 192.168.1.5:9000\n", 3, "loopback", "listen on a LAN address");
    expect_error("[server]\n# c\nlisten = [::]:9000\n", 3, "loopback", "listen on every IPv6 address");
    expect_error("[plugins]\n# c\nload = Example\n", 3, "Example", "bad plugin name in load");
    expect_error("[plugins]\n# c\nload = a, b, a\n", 3, "twice", "plugin listed twice");

    /* a line longer than the reader's buffer */
    {
        char big[6000];

        memset(big, 'x', sizeof big);
        memcpy(big, "[server]\n# ", 11);
        big[sizeof big - 2] = '\n';
        big[sizeof big - 1] = '\0';
        expect_error(big, 2, "too long", "over-long line");
    }

    /* the first error wins and stops the reader */
    expect_error("[server]\nworkers = 3\nworkers = x\nbogus = 1\n", 3, "workers", "first error reported");

    /* a missing file */
    oak_config_defaults(&c);
    is_int(oak_config_load(&c, "/nonexistent/oak.conf", err, sizeof err), -1, "missing file refused");
    ok(strstr(err, "/nonexistent/oak.conf") != NULL, "missing file: error names the path");
    oak_config_free(&c);

    /* an error leaves earlier values in place */
    const char *p = write_file("partial.conf", "[server]\nworkers = 5\nworkers = nope\n");

    oak_config_defaults(&c);
    oak_config_load(&c, p, err, sizeof err);
    is_int(c.workers, 5, "values before the error were applied");
    oak_config_free(&c);
}

static void test_set(void)
{
    struct oak_config c;
    char err[512];

    oak_config_defaults(&c);
    is_int(oak_config_set(&c, "server.workers=7", err, sizeof err), 0, "server.workers=7");
    is_int(c.workers, 7, "workers = 7");
    is_int(oak_config_set(&c, "limits.max_body=512k", err, sizeof err), 0, "limits.max_body=512k");
    is_int(c.max_body, 512 * 1024, "max_body = 512k");
    is_int(oak_config_set(&c, "log.level=warn", err, sizeof err), 0, "log.level=warn");
    is_int(c.log_level, OAK_L_WARN, "level warn");
    is_int(oak_config_set(&c, "database.synchronous=extra", err, sizeof err), 0, "synchronous=extra");
    is_int(c.synchronous, 3, "synchronous extra = 3");
    is_int(oak_config_set(&c, "database.synchronous=off", err, sizeof err), 0, "synchronous=off");
    is_int(c.synchronous, 0, "synchronous off = 0");
    is_int(oak_config_set(&c, "log.access_log=false", err, sizeof err), 0, "access_log=false");
    is_int(c.access_log, 0, "access_log false");
    is_int(oak_config_set(&c, "log.access_log=1", err, sizeof err), 0, "access_log=1");
    is_int(c.access_log, 1, "access_log 1");
    is_int(oak_config_set(&c, "server.listen=[::1]:8080", err, sizeof err), 0, "IPv6 listen");
    is_str(c.listen, "[::1]:8080", "IPv6 listen kept");
    is_int(oak_config_set(&c, "server.listen=127.0.0.2:8080", err, sizeof err), 0,
           "any 127/8 address is loopback");
    is_int(oak_config_set(&c, "server.listen=10.0.0.1:8080", err, sizeof err), -1,
           "a non-loopback listen is refused from the command line too");
    is_str(c.listen, "127.0.0.2:8080", "and the loopback one kept");
    is_int(oak_config_set(&c, "server.listen=unix:/abs/oak.sock", err, sizeof err), 0, "absolute unix listen");
    is_str(c.listen, "unix:/abs/oak.sock", "absolute unix listen kept");
    is_int(oak_config_set(&c, "server.socket_mode=600", err, sizeof err), 0, "mode without leading 0");
    is_int(c.socket_mode, 0600, "mode parsed as octal");
    is_int(oak_config_set(&c, "server.max_requests=123456789", err, sizeof err), 0, "max_requests large");
    is_int(c.max_requests, 123456789, "max_requests stored as long");

    is_int(oak_config_set(&c, "workers=7", err, sizeof err), -1, "override without a section refused");
    ok(strstr(err, "command line") && strstr(err, "section.key=value"), "missing section: message");
    is_int(oak_config_set(&c, "server.workers", err, sizeof err), -1, "override without '=' refused");
    is_int(oak_config_set(&c, "server.workers=abc", err, sizeof err), -1, "bad override value refused");
    ok(strstr(err, "command line") && strstr(err, "workers"), "bad value: message names where and key");
    is_int(c.workers, 7, "bad override leaves the old value");
    is_int(oak_config_set(&c, "server.nokey=1", err, sizeof err), -1, "unknown key refused");
    ok(strstr(err, "nokey") && strstr(err, "[server]"), "unknown key: message names key and section");
    is_int(oak_config_set(&c, "nosection.key=1", err, sizeof err), -1, "unknown section refused");
    is_int(oak_config_set(&c, "plugin.Bad.key=1", err, sizeof err), -1, "bad plugin section refused");
    is_int(c.nextra, 0, "refused plugin key not stored");
    {
        char longopt[2000];

        memset(longopt, 'a', sizeof longopt - 1);
        longopt[sizeof longopt - 1] = '\0';
        memcpy(longopt, "server.pid_file=", 16);
        is_int(oak_config_set(&c, longopt, err, sizeof err), -1, "over-long option refused");
        ok(strstr(err, "too long") != NULL, "over-long option: message");
    }

    is_int(oak_config_set_key(&c, "server", "workers", "12", "--workers", err, sizeof err), 0,
           "oak_config_set_key");
    is_int(c.workers, 12, "set_key applied");
    is_int(oak_config_set_key(&c, "server", "workers", "x", "--workers", err, sizeof err), -1,
           "set_key bad value");
    ok(strncmp(err, "--workers: ", 11) == 0, "set_key error starts with where");
    oak_config_free(&c);
}

static void test_parse_size(void)
{
    is_int(oak_parse_size("1m"), 1048576, "1m");
    is_int(oak_parse_size("1M"), 1048576, "1M");
    is_int(oak_parse_size("512k"), 524288, "512k");
    is_int(oak_parse_size("512K"), 524288, "512K");
    is_int(oak_parse_size("1g"), 1073741824L, "1g");
    is_int(oak_parse_size("10"), 10, "10");
    is_int(oak_parse_size("0"), 0, "0");
    is_int(oak_parse_size("1048576"), 1048576, "1048576");
    is_int(oak_parse_size("x"), -1, "x");
    is_int(oak_parse_size("1q"), -1, "1q");
    is_int(oak_parse_size(""), -1, "empty");
    is_int(oak_parse_size("k"), -1, "suffix without number");
    is_int(oak_parse_size("-1"), -1, "negative");
    is_int(oak_parse_size("+1"), -1, "explicit plus");
    is_int(oak_parse_size(" 1"), -1, "leading space");
    is_int(oak_parse_size("1 "), -1, "trailing space");
    is_int(oak_parse_size("1kb"), -1, "two-letter suffix");
    is_int(oak_parse_size("1.5m"), -1, "fraction");
    is_int(oak_parse_size("99999999999999999999"), -1, "overflow");
    is_int(oak_parse_size("9223372036854775807k"), -1, "overflow with suffix");
    is_int(oak_parse_size("9007199254740992k"), -1, "overflow with k just past the limit");
}

/* The contents of FILE, at most 4 KiB. */
static const char *slurp(const char *path)
{
    static char buf[4096];
    size_t n = 0;
    FILE *f = fopen(path, "r");

    if (f) {
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    return buf;
}

static void test_scrypt_warning(void)
{
    struct oak_config c;
    char err[512] = "";
    const char *log = write_file("warn.log", "");

    oak_config_defaults(&c);
    is_int(oak_config_set(&c, "auth.scrypt_log_n=9", err, sizeof err), -1, "scrypt_log_n 9 refused");
    is_int(oak_config_set(&c, "auth.scrypt_log_n=23", err, sizeof err), -1, "scrypt_log_n 23 refused");
    is_int(oak_config_set(&c, "auth.scrypt_log_n=22", err, sizeof err), 0, "scrypt_log_n 22 accepted");
    is_int(oak_config_set(&c, "auth.scrypt_log_n=10", err, sizeof err), 0,
           "scrypt_log_n 10 still accepted (tests need fast hashes)");
    is_int(c.scrypt_log_n, 10, "and kept");

    is_int(oak_log_open(OAK_L_INFO, log), 0, "log to a file");
    is_int(oak_config_warn(&c), 1, "one warning for scrypt_log_n 10");
    c.scrypt_log_n = 16;
    is_int(oak_config_warn(&c), 1, "and for 16");
    c.scrypt_log_n = 17;
    is_int(oak_config_warn(&c), 0, "none at 17");
    c.scrypt_log_n = 20;
    is_int(oak_config_warn(&c), 0, "none above");
    oak_log_close();
    {
        const char *text = slurp(log);

        ok(strstr(text, "auth.scrypt_log_n = 10 is below the recommended 17") != NULL,
           "the warning names the key, the value and 17");
        ok(strstr(text, "auth.scrypt_log_n = 16 is below") != NULL, "16 warned too");
        ok(strstr(text, "= 17 ") == NULL && strstr(text, "= 20 ") == NULL, "17 and 20 not warned");
        ok(strstr(text, "[warn]") != NULL, "logged at warn level");
    }
    oak_config_free(&c);
    oak_config_defaults(&c);
    is_int(oak_config_warn(&c), 0, "the default warns nothing");
    oak_config_free(&c);
}

int main(void)
{
    if (!mkdtemp(dir) || !realpath(dir, realdir)) {
        printf("Bail out! cannot create %s\n", dir);
        return 1;
    }
    test_defaults();
    test_full_file();
    test_relative_listen();
    test_errors();
    test_set();
    test_parse_size();
    test_scrypt_warning();

    for (int i = 0; i < npaths; i++)
        unlink(paths[i]);
    rmdir(dir);
    return done_testing();
}
