/*
 * config.c - INI reader for oakseed.conf (see config.h). The keys live in
 * one table so the parser, defaults and error messages cannot disagree.
 */
#include "config.h"
#include "log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef OAK_PLUGINDIR
#define OAK_PLUGINDIR "/usr/local/lib/oakseed/plugins"
#endif

enum key_type { K_STR, K_PATH, K_INT, K_SIZE, K_BOOL, K_LEVEL, K_SYNC, K_MODE, K_LIST, K_LISTEN };

struct key_def {
    const char *section;
    const char *key;
    enum key_type type;
    size_t off;
    long min, max;
};

#define F(field) offsetof(struct oak_config, field)

static const struct key_def keys[] = {
    { "server",   "listen",         K_LISTEN, F(listen), 0, 0 },
    { "server",   "socket_group",   K_STR,   F(socket_group), 0, 0 },
    { "server",   "socket_mode",    K_MODE,  F(socket_mode), 0, 0777 },
    { "server",   "workers",        K_INT,   F(workers), 1, 256 },
    { "server",   "threads",        K_INT,   F(threads), 1, 64 },
    { "server",   "max_requests",   K_INT,   F(max_requests), 0, LONG_MAX },
    { "server",   "pid_file",       K_PATH,  F(pid_file), 0, 0 },
    { "server",   "drain_timeout",  K_INT,   F(drain_timeout), 1, 3600 },
    { "log",      "level",          K_LEVEL, F(log_level), 0, 0 },
    { "log",      "file",           K_PATH,  F(log_file), 0, 0 },
    { "log",      "access_log",     K_BOOL,  F(access_log), 0, 0 },
    { "limits",   "max_body",       K_SIZE,  F(max_body), 0, 1L << 30 },
    { "limits",   "max_params",     K_INT,   F(max_params), 1, 100000 },
    { "limits",   "max_json_depth", K_INT,   F(max_json_depth), 1, 1000 },
    { "database", "path",           K_PATH,  F(db_path), 0, 0 },
    { "database", "synchronous",    K_SYNC,  F(synchronous), 0, 0 },
    { "database", "busy_timeout",   K_INT,   F(busy_timeout), 0, 600000 },
    { "database", "group_commit",   K_INT,   F(group_commit), 1, 64 },
    { "auth",     "idle_timeout",   K_INT,   F(idle_timeout), 60, 86400 },
    { "auth",     "absolute_timeout", K_INT, F(absolute_timeout), 300, 30 * 86400 },
    { "auth",     "max_failures_account", K_INT, F(max_failures_account), 1, 1000 },
    { "auth",     "max_failures_address", K_INT, F(max_failures_address), 1, 100000 },
    { "auth",     "lockout",        K_INT,   F(lockout), 1, 86400 },
    { "auth",     "totp_admins",    K_BOOL,  F(totp_admins), 0, 0 },
    { "auth",     "scrypt_log_n",   K_INT,   F(scrypt_log_n), 10, 22 },
    { "lua",      "scripts",        K_PATH,  F(scripts_dir), 0, 0 },
    { "lua",      "memory",         K_SIZE,  F(lua_memory), 1L << 20, 1L << 30 },
    { "lua",      "instructions",   K_INT,   F(lua_instructions), 1000, 1000000000 },
    { "lua",      "timeout_ms",     K_INT,   F(lua_timeout_ms), 10, 60000 },
    { "keys",     "file",           K_PATH,  F(key_file), 0, 0 },
    { "plugins",  "dir",            K_PATH,  F(plugin_dir), 0, 0 },
    { "plugins",  "load",           K_LIST,  F(plugins), 0, 0 },
};

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void set_str(char **slot, const char *v)
{
    free(*slot);
    *slot = xstrdup(v);
}

void oak_config_defaults(struct oak_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->listen = xstrdup("unix:/run/oakseed/oakseed.sock");
    cfg->socket_mode = 0660;
    cfg->workers = 2;
    cfg->threads = 1;
    cfg->max_requests = 10000;
    cfg->drain_timeout = 30;
    cfg->log_level = OAK_L_INFO;
    cfg->access_log = 1;
    cfg->max_body = 1L << 20;
    cfg->max_params = 256;
    cfg->max_json_depth = 32;
    cfg->db_path = xstrdup("/var/lib/oakseed/oakseed.db");
    cfg->synchronous = 2;
    cfg->busy_timeout = 5000;
    cfg->group_commit = 16;
    cfg->plugin_dir = xstrdup(OAK_PLUGINDIR);
    cfg->idle_timeout = 1800;
    cfg->absolute_timeout = 43200;
    cfg->max_failures_account = 5;
    cfg->max_failures_address = 50;
    cfg->lockout = 900;
    cfg->scrypt_log_n = OAK_SCRYPT_LOG_N_MIN_RECOMMENDED;
    cfg->lua_memory = 16L << 20;
    cfg->lua_instructions = 1000000;
    cfg->lua_timeout_ms = 2000;
}

long oak_parse_size(const char *s)
{
    char *end;
    long v;

    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno)
        return -1;
    switch (tolower((unsigned char)*end)) {
    case 'k': v = v > LONG_MAX / 1024 ? -1 : v * 1024; end++; break;
    case 'm': v = v > LONG_MAX / (1L << 20) ? -1 : v * (1L << 20); end++; break;
    case 'g': v = v > LONG_MAX / (1L << 30) ? -1 : v * (1L << 30); end++; break;
    default: break;
    }
    return *end ? -1 : v;
}

static char *trim(char *s)
{
    char *e;

    while (isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static char *resolve_path(const struct oak_config *cfg, const char *v)
{
    char *p;
    size_t n;

    if (v[0] == '/' || !cfg->base_dir || !*v)
        return strdup(v);
    n = strlen(cfg->base_dir) + strlen(v) + 2;
    p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", cfg->base_dir, v);
    return p;
}

static void free_list(struct oak_config *cfg)
{
    for (int i = 0; i < cfg->nplugins; i++)
        free(cfg->plugins[i]);
    free(cfg->plugins);
    cfg->plugins = NULL;
    cfg->nplugins = 0;
}

static int valid_plugin_name(const char *s)
{
    if (!islower((unsigned char)*s))
        return 0;
    for (; *s; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_')
            return 0;
    return 1;
}

static int set_list(struct oak_config *cfg, const char *v, char *err, size_t errlen)
{
    char *copy = strdup(v), *save = NULL, *tok;

    if (!copy)
        return -1;
    free_list(cfg);
    for (tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        char **p;

        if (!valid_plugin_name(tok)) {
            snprintf(err, errlen, "bad plugin name '%s' (expected [a-z][a-z0-9_]*)", tok);
            free(copy);
            return -1;
        }
        for (int i = 0; i < cfg->nplugins; i++)
            if (strcmp(cfg->plugins[i], tok) == 0) {
                snprintf(err, errlen, "plugin '%s' listed twice", tok);
                free(copy);
                return -1;
            }
        p = realloc(cfg->plugins, sizeof *p * (size_t)(cfg->nplugins + 1));
        if (!p) {
            free(copy);
            return -1;
        }
        cfg->plugins = p;
        cfg->plugins[cfg->nplugins++] = strdup(tok);
    }
    free(copy);
    return 0;
}

int oak_listen_host(const char *spec, char *host, size_t len)
{
    const char *colon = strrchr(spec, ':');
    size_t hl = colon ? (size_t)(colon - spec) : 0;

    if (!colon || hl >= len)
        return -1;
    memcpy(host, spec, hl);
    host[hl] = '\0';
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    return 0;
}

static int check_listen(const char *v, char *err, size_t errlen)
{
    if (strncmp(v, "unix:", 5) == 0) {
        if (v[5] == '\0' || strlen(v + 5) >= 100) {
            snprintf(err, errlen, "listen: unix socket path empty or too long");
            return -1;
        }
        return 0;
    }
    const char *colon = strrchr(v, ':');
    char *end;
    long port;

    if (!colon || colon == v) {
        snprintf(err, errlen, "listen: expected unix:/path or HOST:PORT, got '%s'", v);
        return -1;
    }
    port = strtol(colon + 1, &end, 10);
    if (*end || port < 1 || port > 65535) {
        snprintf(err, errlen, "listen: bad port in '%s'", v);
        return -1;
    }
    {
        char host[64];
        unsigned char addr[16];

        if (oak_listen_host(v, host, sizeof host) < 0) {
            snprintf(err, errlen, "listen: address too long in '%s'", v);
            return -1;
        }
        if (inet_pton(AF_INET, host, addr) != 1 && inet_pton(AF_INET6, host, addr) != 1) {
            snprintf(err, errlen, "listen: '%s' is not a numeric address (use 127.0.0.1:PORT "
                     "or unix:/path)", host);
            return -1;
        }
        /* only nginx on this host may reach the FastCGI socket: libfcgi
         * trusts its peer (CVE-2025-23016 is only partly fixed in 2.4.2) */
        if (strchr(host, ':') ? memcmp(addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) != 0
                              : addr[0] != 127) {
            snprintf(err, errlen, "listen: '%s' is not a loopback address; only nginx on this "
                     "host may reach oakseed (use 127.0.0.1:PORT, [::1]:PORT or unix:/path)", host);
            return -1;
        }
    }
    return 0;
}

static int apply(struct oak_config *cfg, const struct key_def *d, const char *v,
                 char *err, size_t errlen)
{
    void *slot = (char *)cfg + d->off;
    char *end;
    long n;

    switch (d->type) {
    case K_STR:
        set_str(slot, *v ? v : NULL);
        return 0;
    case K_LISTEN:
        if (check_listen(v, err, errlen) < 0)
            return -1;
        if (strncmp(v, "unix:", 5) == 0) {
            char *p = resolve_path(cfg, v + 5), *full;

            if (!p)
                return -1;
            full = malloc(strlen(p) + 6);
            if (!full) {
                free(p);
                return -1;
            }
            sprintf(full, "unix:%s", p);
            free(p);
            free(*(char **)slot);
            *(char **)slot = full;
        } else {
            set_str(slot, v);
        }
        return 0;
    case K_PATH:
        free(*(char **)slot);
        *(char **)slot = *v ? resolve_path(cfg, v) : NULL;
        return 0;
    case K_INT:
        errno = 0;
        n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < d->min || n > d->max) {
            snprintf(err, errlen, "%s: expected an integer from %ld to %ld, got '%s'",
                     d->key, d->min, d->max, v);
            return -1;
        }
        if (d->off == F(max_requests))
            *(long *)slot = n;
        else
            *(int *)slot = (int)n;
        return 0;
    case K_SIZE:
        n = oak_parse_size(v);
        if (n < d->min || n > d->max) {
            snprintf(err, errlen, "%s: expected a size such as 1m or 65536 (at most 1g), got '%s'",
                     d->key, v);
            return -1;
        }
        *(long *)slot = n;
        return 0;
    case K_BOOL:
        if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
            *(int *)slot = 1;
        else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
            *(int *)slot = 0;
        else {
            snprintf(err, errlen, "%s: expected on or off, got '%s'", d->key, v);
            return -1;
        }
        return 0;
    case K_LEVEL:
        n = oak_log_level_parse(v);
        if (n < 0) {
            snprintf(err, errlen, "%s: expected error, warn, info or debug, got '%s'", d->key, v);
            return -1;
        }
        *(int *)slot = (int)n;
        return 0;
    case K_SYNC: {
        static const char *const names[] = { "off", "normal", "full", "extra" };

        for (int i = 0; i < 4; i++)
            if (strcmp(v, names[i]) == 0) {
                *(int *)slot = i;
                return 0;
            }
        snprintf(err, errlen, "%s: expected off, normal, full or extra, got '%s'", d->key, v);
        return -1;
    }
    case K_MODE:
        errno = 0;
        n = strtol(v, &end, 8);
        if (errno || end == v || *end || n < d->min || n > d->max) {
            snprintf(err, errlen, "%s: expected an octal mode such as 0660, got '%s'", d->key, v);
            return -1;
        }
        *(int *)slot = (int)n;
        return 0;
    case K_LIST:
        return set_list(cfg, v, err, errlen);
    }
    return -1;
}

static int add_extra(struct oak_config *cfg, const char *section, const char *key,
                     const char *value, const char *where)
{
    struct oak_conf_extra *p, *e;

    /* a later assignment (e.g. from the command line) replaces an earlier one */
    for (int i = 0; i < cfg->nextra; i++) {
        e = &cfg->extra[i];
        if (!strcmp(e->section, section) && !strcmp(e->key, key)) {
            set_str(&e->value, value);
            set_str(&e->where, where);
            return e->value && e->where ? 0 : -1;
        }
    }
    p = realloc(cfg->extra, sizeof *p * (size_t)(cfg->nextra + 1));
    if (!p)
        return -1;
    cfg->extra = p;
    e = &p[cfg->nextra++];
    e->section = strdup(section);
    e->key = strdup(key);
    e->value = strdup(value);
    e->where = strdup(where);
    return e->section && e->key && e->value && e->where ? 0 : -1;
}

int oak_config_set_key(struct oak_config *cfg, const char *section, const char *key,
                       const char *value, const char *where, char *err, size_t errlen)
{
    char msg[256];

    if (strncmp(section, "plugin.", 7) == 0) {
        if (!valid_plugin_name(section + 7)) {
            snprintf(err, errlen, "%s: bad plugin section [%s]", where, section);
            return -1;
        }
        if (add_extra(cfg, section, key, value, where) < 0) {
            snprintf(err, errlen, "%s: out of memory", where);
            return -1;
        }
        return 0;
    }
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(keys[i].section, section) || strcmp(keys[i].key, key))
            continue;
        msg[0] = '\0';
        if (apply(cfg, &keys[i], value, msg, sizeof msg) < 0) {
            snprintf(err, errlen, "%s: %s", where, msg[0] ? msg : "out of memory");
            return -1;
        }
        return 0;
    }
    snprintf(err, errlen, "%s: unknown key '%s' in [%s]", where, key, section);
    return -1;
}

static int known_section(const char *s)
{
    if (strncmp(s, "plugin.", 7) == 0)
        return 1;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(keys[i].section, s) == 0)
            return 1;
    return 0;
}

static void set_base_dir(struct oak_config *cfg, const char *path)
{
    char *abs = realpath(path, NULL), *slash;

    free(cfg->base_dir);
    cfg->base_dir = NULL;
    if (!abs)
        return;
    slash = strrchr(abs, '/');
    if (slash == abs)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    cfg->base_dir = abs;
}

int oak_config_load(struct oak_config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char line[4096], section[128] = "", where[600];
    int lineno = 0, rc = 0;

    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    set_str(&cfg->path, path);
    set_base_dir(cfg, path);
    while (fgets(line, sizeof line, f)) {
        char *s, *eq, *key, *val;

        lineno++;
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "%s: line too long", where);
            rc = -1;
            break;
        }
        s = trim(line);
        if (*s == '\0' || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');

            if (!close || close[1] != '\0' || close - s - 1 >= (long)sizeof section) {
                snprintf(err, errlen, "%s: malformed section header", where);
                rc = -1;
                break;
            }
            *close = '\0';
            snprintf(section, sizeof section, "%s", trim(s + 1));
            if (!known_section(section)) {
                snprintf(err, errlen, "%s: unknown section [%s]", where, section);
                rc = -1;
                break;
            }
            continue;
        }
        eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errlen, "%s: expected key = value", where);
            rc = -1;
            break;
        }
        if (!*section) {
            snprintf(err, errlen, "%s: key outside of a [section]", where);
            rc = -1;
            break;
        }
        *eq = '\0';
        key = trim(s);
        val = eq + 1;
        /* a '#' or ';' after whitespace starts a comment */
        for (char *c = val; *c; c++)
            if ((*c == '#' || *c == ';') && c > val && (c[-1] == ' ' || c[-1] == '\t')) {
                *c = '\0';
                break;
            }
        val = trim(val);
        if (oak_config_set_key(cfg, section, key, val, where, err, errlen) < 0) {
            rc = -1;
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        rc = -1;
    }
    fclose(f);
    return rc;
}

int oak_config_set(struct oak_config *cfg, const char *assignment, char *err, size_t errlen)
{
    char buf[1024], *dot, *eq;

    if (snprintf(buf, sizeof buf, "%s", assignment) >= (int)sizeof buf) {
        snprintf(err, errlen, "command line: option too long");
        return -1;
    }
    eq = strchr(buf, '=');
    if (eq)
        *eq = '\0';
    dot = strrchr(buf, '.');
    if (!eq || !dot) {
        snprintf(err, errlen, "command line: expected section.key=value, got '%s'", assignment);
        return -1;
    }
    *dot = '\0';
    /* relative paths given on the command line mean the working directory */
    char *base = cfg->base_dir;
    cfg->base_dir = NULL;
    int rc = oak_config_set_key(cfg, buf, dot + 1, eq + 1, "command line", err, errlen);
    cfg->base_dir = base;
    return rc;
}

static int dup_field(char **dst, const char *src)
{
    *dst = xstrdup(src);
    return src && !*dst ? -1 : 0;
}

int oak_config_copy(struct oak_config *dst, const struct oak_config *src)
{
    int bad = 0;

    *dst = *src;
    bad |= dup_field(&dst->path, src->path);
    bad |= dup_field(&dst->base_dir, src->base_dir);
    bad |= dup_field(&dst->listen, src->listen);
    bad |= dup_field(&dst->socket_group, src->socket_group);
    bad |= dup_field(&dst->pid_file, src->pid_file);
    bad |= dup_field(&dst->log_file, src->log_file);
    bad |= dup_field(&dst->db_path, src->db_path);
    bad |= dup_field(&dst->plugin_dir, src->plugin_dir);
    bad |= dup_field(&dst->key_file, src->key_file);
    bad |= dup_field(&dst->scripts_dir, src->scripts_dir);
    dst->plugins = NULL;
    dst->nplugins = 0;
    dst->extra = NULL;
    dst->nextra = 0;
    if (src->nplugins) {
        dst->plugins = calloc((size_t)src->nplugins, sizeof *dst->plugins);
        bad |= !dst->plugins;
        for (int i = 0; dst->plugins && i < src->nplugins; i++, dst->nplugins++)
            bad |= dup_field(&dst->plugins[i], src->plugins[i]);
    }
    for (int i = 0; i < src->nextra; i++) {
        const struct oak_conf_extra *e = &src->extra[i];
        bad |= add_extra(dst, e->section, e->key, e->value, e->where);
    }
    if (bad) {
        oak_config_free(dst);
        return -1;
    }
    return 0;
}

int oak_config_warn(const struct oak_config *cfg)
{
    int n = 0;

    if (cfg->scrypt_log_n < OAK_SCRYPT_LOG_N_MIN_RECOMMENDED) {
        oak_warn("config: auth.scrypt_log_n = %d is below the recommended %d; password hashes are "
                 "cheap to guess (use a low value only for tests)",
                 cfg->scrypt_log_n, OAK_SCRYPT_LOG_N_MIN_RECOMMENDED);
        n++;
    }
    return n;
}

void oak_config_free(struct oak_config *cfg)
{
    free(cfg->path);
    free(cfg->base_dir);
    free(cfg->listen);
    free(cfg->socket_group);
    free(cfg->pid_file);
    free(cfg->log_file);
    free(cfg->db_path);
    free(cfg->plugin_dir);
    free(cfg->key_file);
    free(cfg->scripts_dir);
    free_list(cfg);
    for (int i = 0; i < cfg->nextra; i++) {
        free(cfg->extra[i].section);
        free(cfg->extra[i].key);
        free(cfg->extra[i].value);
        free(cfg->extra[i].where);
    }
    free(cfg->extra);
    memset(cfg, 0, sizeof *cfg);
}
