/*
 * config.h - the one configuration reader: an INI-style file with
 * [section] headers and key = value lines, defaults for every key, and
 * "section.key=value" overrides from the command line. Unknown keys and bad
 * values are errors naming the file and line.
 */
#ifndef OAK_CONFIG_H
#define OAK_CONFIG_H

#include <stddef.h>

/* A key of a [plugin.NAME] section, validated once the plugin is loaded. */
struct oak_conf_extra {
    char *section;     /* "plugin.example" */
    char *key;
    char *value;
    char *where;       /* "FILE:LINE" or "command line" */
};

struct oak_config {
    char *path;                 /* file read, NULL if none */
    char *base_dir;             /* relative paths resolve against this */
    /* [server] */
    char *listen;               /* "unix:/path" or "127.0.0.1:PORT" */
    char *socket_group;         /* group owning a unix socket, NULL: ours */
    int socket_mode;            /* default 0660 */
    int workers;
    int threads;                /* serving threads per worker, each with its own db and Lua */
    long max_requests;          /* recycle a worker after this many, 0: never */
    char *pid_file;
    int drain_timeout;          /* seconds to wait for workers on stop/reload */
    /* [log] */
    int log_level;
    char *log_file;
    int access_log;
    /* [limits] */
    long max_body;              /* bytes */
    int max_params;
    int max_json_depth;
    /* [database] */
    char *db_path;
    int synchronous;            /* 0 off, 1 normal, 2 full, 3 extra */
    int busy_timeout;           /* milliseconds */
    int group_commit;           /* requests one commit may take at most; 1: a commit each */
    /* [auth] */
    int idle_timeout;           /* seconds without a request before a session ends */
    int absolute_timeout;       /* seconds after login a session ends regardless */
    int max_failures_account;   /* failed logins per account before lockout */
    int max_failures_address;   /* failed logins per client address before lockout */
    int lockout;                /* seconds an account/address stays locked */
    int totp_admins;            /* require TOTP for admin roles */
    int scrypt_log_n;           /* scrypt N = 2^scrypt_log_n */
    /* [lua] */
    char *scripts_dir;          /* regional rule scripts; NULL: none */
    long lua_memory;            /* bytes per worker Lua state */
    int lua_instructions;       /* VM instructions per hook call */
    int lua_timeout_ms;         /* wall clock per hook call before the watchdog */
    /* [keys] */
    char *key_file;
    /* [plugins] */
    char *plugin_dir;
    char **plugins;             /* names to load, in order */
    int nplugins;

    struct oak_conf_extra *extra;
    int nextra;
};

/* Fill every field with its default. */
void oak_config_defaults(struct oak_config *cfg);
/* Read PATH over the current values. On error returns -1 with a message
 * "FILE:LINE: ..." in err. */
int oak_config_load(struct oak_config *cfg, const char *path, char *err, size_t errlen);
/* Apply "section.key=value" (from -o / --set). */
int oak_config_set(struct oak_config *cfg, const char *assignment, char *err, size_t errlen);
/* Apply one key directly (used by named flags such as --workers). */
int oak_config_set_key(struct oak_config *cfg, const char *section, const char *key,
                       const char *value, const char *where, char *err, size_t errlen);
/* The weakest recommended password hashing cost (scrypt N = 2^17). */
#define OAK_SCRYPT_LOG_N_MIN_RECOMMENDED 17
/* Log a warning for each accepted value that weakens security (today:
 * auth.scrypt_log_n below 17, which tests use to run fast). Returns how
 * many warnings were logged. Called by serve at start and on reload. */
int oak_config_warn(const struct oak_config *cfg);
/* Deep copy / free. */
int oak_config_copy(struct oak_config *dst, const struct oak_config *src);
void oak_config_free(struct oak_config *cfg);
/* The host part of "HOST:PORT" ("[::1]:9000" gives "::1"); -1 when
 * there is no port or the host does not fit LEN. */
int oak_listen_host(const char *spec, char *host, size_t len);
/* Parse "1m", "512k", "1048576" into bytes; -1 when malformed. */
long oak_parse_size(const char *s);

#endif
