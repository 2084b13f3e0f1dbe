/*
 * oakseed/plugin.h - the one header a plugin includes.
 *
 * A plugin is a shared object exporting one symbol, oak_plugin_entry, that
 * returns a static const struct oak_plugin. The host checks the ABI version,
 * calls init with a table of host services (struct oak_host) and from then on
 * the plugin reaches the core only through that table, the way sqlite3ext.h
 * and redismodule.h do it.
 *
 * Compatibility rules:
 *  - The host loads a plugin whose abi_major equals its own and whose
 *    abi_minor is not newer than its own; anything else is refused.
 *  - struct oak_host only grows at the end. Each entry is marked with the
 *    minor version that added it; a plugin that wants an entry newer than
 *    the minor it was built for checks host->abi_minor first.
 *  - Nothing here depends on build options: no #ifdef'd fields, no globals.
 *
 * Ownership is written on each entry: "borrowed" values belong to the host
 * and stay valid until the handler returns (or, for init-time values, until
 * fini); "steals" means the host takes the reference passed in.
 */
#ifndef OAKSEED_PLUGIN_H
#define OAKSEED_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OAK_ABI_MAJOR 1
#define OAK_ABI_MINOR 2

/* Result codes: 0 success, negative failure, small positives for stepping. */
#define OAK_OK          0
#define OAK_ERROR      (-1)  /* generic failure, see the oak_error message */
#define OAK_ENOMEM     (-2)
#define OAK_EINVAL     (-3)  /* bad argument from the caller */
#define OAK_ENOTFOUND  (-4)
#define OAK_EEXIST     (-5)  /* duplicate registration or unique constraint */
#define OAK_EBUSY      (-6)  /* database locked past busy_timeout */
#define OAK_ECONSTRAINT (-7) /* other constraint violation */
#define OAK_ESTATE     (-8)  /* call not allowed now (e.g. route after init) */
#define OAK_EIO        (-9)  /* disk full, read-only or I/O error */
#define OAK_EPERM      (-10) /* the actor may not do this (answered 403) */
#define OAK_EAUTH      (-11) /* no staff session (answered 401) */
#define OAK_ETAMPER    (-12) /* a protected value failed authentication */
#define OAK_ESCRIPT    (-13) /* a regional Lua rule failed (answered 500) */

#define OAK_ROW        100   /* db_step: a row is ready */
#define OAK_DONE       101   /* db_step: statement finished */

/* Log levels. */
#define OAK_LOG_ERROR 0
#define OAK_LOG_WARN  1
#define OAK_LOG_INFO  2
#define OAK_LOG_DEBUG 3

/* The permission string for routes anyone may call without a session. */
#define OAK_PUBLIC "public"

/* Caller-owned error report: the callee fills code and a message. */
struct oak_error {
    int code;
    char message[256];
};

/* Opaque handles. */
struct oak_host;
typedef struct oak_plugin_ctx oak_plugin_ctx; /* one per loaded plugin */
typedef struct oak_req oak_req;               /* one per request */
typedef struct oak_json oak_json;             /* a JSON value */
typedef struct oak_stmt oak_stmt;             /* a cached prepared statement */

/*
 * A request handler. It answers through host->respond_json, host->respond
 * or host->error and returns OAK_OK; any negative return makes the host
 * answer 500 internal_error and log the failure.
 */
typedef int (*oak_handler_fn)(oak_req *req, void *ud);

/* One schema step of a plugin. The list ends with an entry whose sql is NULL.
 * Versions start at 1 and increase by one; applied steps are never edited
 * (the host stores a checksum and refuses to start when one changed). */
struct oak_migration {
    int version;
    const char *name;
    const char *sql;
};

/* A permission a plugin defines, e.g. "example.moderate". Ends with name
 * NULL. roles lists, space-separated, the staff roles that hold it by
 * default (national_admin holds every permission). */
struct oak_permission {
    const char *name;
    const char *description;
    const char *roles;
};

/* A point where regional Lua scripts shape a plugin's workflow (1.2). The
 * plugin runs it with host->hook_run for a record of a region; the core
 * finds the script scripts/<region>/<name>.lua, falling back county ->
 * prefecture -> province -> scripts/default/. Ends with name NULL. */
struct oak_hook_point {
    const char *name;          /* "<plugin>.<what>", e.g. "example.validate" */
    const char *description;   /* what the record table holds */
    const char *fields;        /* space-separated fields a script may change */
    const char *actions;       /* space-separated actions it may return, from:
                                * require_review assign notify */
};

/* A read-only helper a plugin offers to regional scripts (1.2), called in
 * Lua as NAME_OF_PLUGIN.NAME(...): ARGS is a JSON array of the arguments
 * (strings, numbers, booleans, tables). Set *result to a new JSON value to
 * return (NULL returns nil) and return OAK_OK, or return an error code with
 * err->message set: the script gets a Lua error with that message. The
 * database may only be read while a helper runs; writes fail with
 * OAK_ESTATE. Helpers run inside a request, between other host calls. */
typedef int (*oak_script_helper)(const oak_json *args, oak_json **result,
                                 struct oak_error *err, void *ud);

/* A configuration key a plugin accepts in its [plugin.NAME] section.
 * Ends with name NULL. Keys not listed are rejected with file and line. */
struct oak_config_key {
    const char *name;
    const char *default_value;   /* NULL: no default */
    const char *description;
};

/* The descriptor a plugin exports. Declare it static const with designated
 * initialisers; leave spare zeroed. */
struct oak_plugin {
    uint32_t abi_major;          /* OAK_ABI_MAJOR when built */
    uint32_t abi_minor;          /* OAK_ABI_MINOR when built */
    const char *name;            /* [a-z][a-z0-9_]*, also its table prefix */
    const char *version;
    const char *description;
    /* Called once at load. Register routes here (and only here). Return
     * OAK_OK, or a negative code with err->message set: the host then
     * undoes this plugin's registrations and refuses to start. */
    int (*init)(oak_plugin_ctx *ctx, const struct oak_host *host,
                struct oak_error *err);
    /* Called before unload (shutdown or reload). May be NULL. */
    void (*fini)(oak_plugin_ctx *ctx);
    const struct oak_migration *migrations;     /* may be NULL */
    const struct oak_permission *permissions;   /* may be NULL */
    const struct oak_config_key *config_keys;   /* may be NULL */
    const struct oak_hook_point *hooks;         /* 1.2; may be NULL */
    const void *spare[7];        /* for later minors; must be NULL */
};

#define OAK_PLUGIN_ENTRY_SYMBOL "oak_plugin_entry"

#if defined(__GNUC__)
#define OAK_EXPORT __attribute__((visibility("default")))
#else
#define OAK_EXPORT
#endif

/* Use once per plugin, without a trailing semicolon:
 *     OAK_PLUGIN_EXPORT(my_descriptor) */
#define OAK_PLUGIN_EXPORT(desc) \
    OAK_EXPORT const struct oak_plugin *oak_plugin_entry(void); \
    OAK_EXPORT const struct oak_plugin *oak_plugin_entry(void) { return &(desc); }

/* What host->id_check derives from a PRC resident identity number. Plugins
 * pass these derived values on (to Lua, to the page), not the number. */
struct oak_id_facts {
    char normalized[19];   /* 18 characters, a lowercase x made 'X' */
    int region;            /* first six digits (GB/T 2260 at issue) */
    int birth_year, birth_month, birth_day;
    char birth_date[11];   /* "YYYY-MM-DD" */
    int gender;            /* 1 male, 2 female */
    int age;               /* completed years today */
};

/* Where an encrypted value lives. All four are bound into the ciphertext,
 * so a value copied to another row, column, table or region does not
 * decrypt. table and column are borrowed. */
struct oak_field_ref {
    const char *table;
    const char *column;
    long long rowid;
    int region;
};

/* JSON value types, as returned by json_type. */
enum oak_json_type {
    OAK_JSON_OBJECT, OAK_JSON_ARRAY, OAK_JSON_STRING, OAK_JSON_INTEGER,
    OAK_JSON_REAL, OAK_JSON_TRUE, OAK_JSON_FALSE, OAK_JSON_NULL
};

/*
 * The host services table. Obtain it as the init argument and keep the
 * pointer; it stays valid until fini.
 */
struct oak_host {
    uint32_t abi_major;
    uint32_t abi_minor;
    size_t size;                 /* sizeof(struct oak_host) of the host */

    /* ---- 1.0: logging ------------------------------------------------ */
    /* Log a line prefixed with the plugin's name. Never log personal data. */
    void (*log)(oak_plugin_ctx *ctx, int level, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;

    /* ---- 1.0: routes (init only) --------------------------------------- */
    /* Register METHOD PATTERN. Pattern segments starting with ':' are named
     * parameters ("/api/example/greetings/:id"). permission is OAK_PUBLIC or
     * a permission some loaded plugin declares; NULL is refused (deny by
     * default). Only callable from init; returns OAK_ESTATE otherwise,
     * OAK_EEXIST for a duplicate, OAK_EINVAL for a bad pattern. */
    int (*route)(oak_plugin_ctx *ctx, const char *method, const char *pattern,
                 const char *permission, oak_handler_fn fn, void *ud,
                 struct oak_error *err);

    /* ---- 1.0: configuration ---------------------------------------------- */
    /* Value of KEY in this plugin's [plugin.NAME] section, or its declared
     * default, or NULL. Borrowed until fini. */
    const char *(*config_get)(oak_plugin_ctx *ctx, const char *key);

    /* ---- 1.0: request ----------------------------------------------------- */
    /* All strings borrowed until the handler returns; NULL when absent. */
    const char *(*req_method)(oak_req *req);    /* "GET", ...; HEAD reads as "HEAD" */
    const char *(*req_path)(oak_req *req);      /* decoded path, no query */
    const char *(*req_param)(oak_req *req, const char *name);  /* route :name */
    const char *(*req_query)(oak_req *req, const char *name);  /* first value */
    const char *(*req_form)(oak_req *req, const char *name);   /* urlencoded body */
    const char *(*req_header)(oak_req *req, const char *name); /* "User-Agent" */
    const char *(*req_cookie)(oak_req *req, const char *name);
    /* Raw body and its length; NULL/0 when there is none. */
    const char *(*req_body)(oak_req *req, size_t *len);
    /* Parsed JSON body (borrowed), or NULL when the body is not JSON. A
     * malformed JSON body never reaches the handler: the host answers 400. */
    oak_json *(*req_json)(oak_req *req);
    const char *(*req_id)(oak_req *req);
    const char *(*req_remote_addr)(oak_req *req);
    int (*req_is_https)(oak_req *req);
    /* Request-lifetime memory, freed by the host after the response. */
    void *(*req_alloc)(oak_req *req, size_t size);
    char *(*req_strdup)(oak_req *req, const char *s);

    /* ---- 1.0: response ---------------------------------------------------- */
    /* Add a response header (copied). Repeating a name adds another line. */
    int (*set_header)(oak_req *req, const char *name, const char *value);
    /* Answer STATUS with a JSON body; steals body. */
    int (*respond_json)(oak_req *req, int status, oak_json *body);
    /* Answer STATUS with any body (copied), e.g. text/csv. */
    int (*respond)(oak_req *req, int status, const char *content_type,
                   const void *body, size_t len);
    /* Record a per-field message for the next error() envelope (copied). */
    int (*error_field)(oak_req *req, const char *field, const char *message);
    /* Answer with the error envelope:
     * {"error":{"code":CODE,"message":MESSAGE,"fields":{...}},"request_id":"..."} */
    int (*error)(oak_req *req, int status, const char *code, const char *message);

    /* ---- 1.0: JSON -------------------------------------------------------- */
    /* Constructors return a new reference (NULL on allocation failure). */
    oak_json *(*json_object)(void);
    oak_json *(*json_array)(void);
    oak_json *(*json_string)(const char *utf8);          /* NULL if not UTF-8 */
    oak_json *(*json_stringn)(const char *utf8, size_t len);
    oak_json *(*json_integer)(long long v);
    oak_json *(*json_real)(double v);
    oak_json *(*json_bool)(int v);
    oak_json *(*json_null)(void);
    /* Container setters steal val, also on failure. */
    int (*json_set)(oak_json *obj, const char *key, oak_json *val);
    int (*json_append)(oak_json *arr, oak_json *val);
    /* Getters return borrowed values or NULL. */
    oak_json *(*json_get)(const oak_json *obj, const char *key);
    oak_json *(*json_at)(const oak_json *arr, size_t index);
    size_t (*json_size)(const oak_json *v);      /* array/object size */
    int (*json_type)(const oak_json *v);         /* enum oak_json_type, -1 for NULL */
    const char *(*json_str)(const oak_json *v);  /* NULL unless a string */
    long long (*json_int)(const oak_json *v);    /* 0 unless an integer */
    double (*json_number)(const oak_json *v);    /* integer or real, else 0 */
    /* Iterate an object: pass NULL first, then the returned cursor; returns
     * NULL at the end. key and val are borrowed. */
    void *(*json_next)(const oak_json *obj, void *cursor, const char **key,
                       oak_json **val);
    void (*json_decref)(oak_json *v);
    oak_json *(*json_incref)(oak_json *v);
    /* Serialise compactly; returns a string to free with host->free. */
    char *(*json_dump)(const oak_json *v);

    /* ---- 1.0: database (worker connection; handlers only) ----------------- */
    /* Get the cached prepared statement for SQL (prepared on first use in
     * this worker). Finish it with db_finish before the handler returns. */
    int (*db_prepare)(const char *sql, oak_stmt **stmt, struct oak_error *err);
    /* Bind 1-based parameters. Text and blobs are copied. */
    int (*db_bind_text)(oak_stmt *st, int idx, const char *s, int len);
    int (*db_bind_int)(oak_stmt *st, int idx, long long v);
    int (*db_bind_double)(oak_stmt *st, int idx, double v);
    int (*db_bind_blob)(oak_stmt *st, int idx, const void *p, int len);
    int (*db_bind_null)(oak_stmt *st, int idx);
    /* OAK_ROW, OAK_DONE or a negative code (err filled). */
    int (*db_step)(oak_stmt *st, struct oak_error *err);
    /* Column values of the current row, borrowed until the next step/finish.
     * db_column_text returns NULL for SQL NULL. */
    const char *(*db_column_text)(oak_stmt *st, int col);
    long long (*db_column_int)(oak_stmt *st, int col);
    double (*db_column_double)(oak_stmt *st, int col);
    const void *(*db_column_blob)(oak_stmt *st, int col, int *len);
    int (*db_column_is_null)(oak_stmt *st, int col);
    /* Reset and clear bindings; the statement goes back to the cache. */
    void (*db_finish)(oak_stmt *st);
    /* Run SQL without results (several statements allowed). */
    int (*db_exec)(const char *sql, struct oak_error *err);
    /* Transactions: begin (IMMEDIATE), commit, rollback. Nesting is refused
     * with OAK_ESTATE. A handler returning with a transaction open gets it
     * rolled back and answers 500. */
    int (*db_begin)(struct oak_error *err);
    int (*db_commit)(struct oak_error *err);
    int (*db_rollback)(void);
    long long (*db_last_insert_id)(void);
    int (*db_changes)(void);

    /* ---- 1.0: memory ------------------------------------------------------- */
    void (*free)(void *p);       /* frees strings the host returned as owned */

    /* ---- 1.1: staff, authorisation, audit -------------------------------- */
    /* May the request's staff account do PERMISSION on a record of REGION?
     * OAK_OK; OAK_EAUTH without a session; OAK_EPERM when the role lacks the
     * permission or REGION lies outside the account's scope. Returning
     * either code from a handler answers 401 / 403. Call it for every
     * record a handler touches. */
    int (*authorize)(oak_req *req, const char *permission, int region);
    long long (*req_user_id)(oak_req *req);     /* 0 when anonymous */
    const char *(*req_username)(oak_req *req);  /* NULL when anonymous */
    const char *(*req_role)(oak_req *req);      /* NULL when anonymous */
    /* The account's scope: *codes borrowed until the handler returns.
     * Returns the count; -1 for national_admin (every region), 0 when
     * anonymous. In SQL, oak_in_scope(region) answers the same question. */
    int (*req_regions)(oak_req *req, const int **codes);
    /* Append to the tamper-evident audit log (inside the open transaction,
     * if any). Never put personal data in detail. */
    int (*audit)(oak_req *req, const char *action, const char *object_type,
                 const char *object_id, int region, const char *detail);

    /* ---- 1.1: regions (GB/T 2260) ---------------------------------------- */
    const char *(*region_name)(int code);       /* NULL when unknown */
    int (*region_parent)(int code);             /* 0 for a province */
    int (*region_within)(int inner, int outer); /* 1 when inner lies in outer */
    int (*region_parse)(const char *six_digits); /* code, or 0 when unknown */

    /* ---- 1.1: identity numbers and mobile numbers ------------------------- */
    /* 0, or negative with *why a Chinese (English) message naming the fault. */
    int (*id_check)(const char *id, struct oak_id_facts *out, const char **why);
    int (*mobile_check)(const char *s, char out[12], const char **why);

    /* ---- 1.1: field encryption (needs [keys] file) ------------------------ */
    /* *out is owned: free with host->free. OAK_ESTATE without a key file. */
    int (*field_encrypt)(const struct oak_field_ref *ref, const void *plain, size_t len,
                         char **out);
    /* OAK_ETAMPER when STORED does not belong to REF or was altered. *plain
     * (NUL-terminated, *len without it) is owned: free with field_free,
     * which wipes it. */
    int (*field_decrypt)(const struct oak_field_ref *ref, const char *stored, char **plain,
                         size_t *len);
    void (*field_free)(char *plain, size_t len);
    /* Keyed HMAC-SHA256 of DATA under DOMAIN ("registry.id_number"),
     * 64 hex digits: find a record without decrypting. */
    int (*blind_index)(const char *domain, const void *data, size_t len, char out[65]);
    /* Declare, during init, a column holding field_encrypt values, so
     * `oakseed keys rotate` re-encrypts it. The table is the plugin's own,
     * its rowid is the ref's rowid, and REGION_COLUMN (NULL: region 0)
     * holds the ref's region. */
    int (*encrypted_column)(oak_plugin_ctx *ctx, const char *table, const char *column,
                            const char *region_column, struct oak_error *err);

    /* ---- 1.2: regional Lua rules ------------------------------------------ */
    /* Run hook HOOK (declared in the descriptor) for a record of REGION.
     * RECORD is a borrowed JSON object; pass derived values (age, gender),
     * never ID numbers. *answer (owned, json_decref) is always an object:
     *   {"accept":bool, "errors":{field:msg}, "changes":{field:value},
     *    "actions":[{"type":..., ...}], "script":"default/x.lua" or null}
     * With no script for the hook the answer accepts unchanged. Returns
     * OAK_OK, or OAK_ESCRIPT when the script failed (logged with its path
     * and line; return it from the handler to answer 500 script_error). */
    int (*hook_run)(oak_req *req, const char *hook, int region, const oak_json *record,
                    oak_json **answer);
    /* Offer FN to scripts as <plugin>.NAME (NAME [a-z][a-z0-9_]*), during
     * init only. */
    int (*script_helper)(oak_plugin_ctx *ctx, const char *name, oak_script_helper fn, void *ud,
                         struct oak_error *err);

    /* ---- 1.2: documents people carry, codes, attempt limits ------------- */
    /* Ed25519 signature of MSG as 86 characters of base64url (OUT holds 87),
     * with the deployment's signing key (derived from the key file's index
     * key). OAK_ESTATE without a key file. */
    int (*sign)(const void *msg, size_t len, char *out);
    /* OAK_OK when SIG signs MSG, OAK_ETAMPER when it does not. */
    int (*sign_verify)(const void *msg, size_t len, const char *sig);
    /* The public key, 43 characters of base64url (OUT holds 44). */
    int (*sign_public_key)(char *out);
    /* LEN - 1 random characters from 23456789ABCDEFGHJKMNPQRSTUVWXYZ and a
     * NUL: registration numbers, access codes (12 characters: 59 bits). */
    int (*random_code)(char *out, size_t len);
    /* Attempt limits kept in SQLite (shared by workers, kept over
     * restarts), for guessable secrets such as access codes. KEY starts with
     * the plugin's name ("registry:addr:1.2.3.4"). throttle_wait: seconds
     * still to wait, 0 to go ahead; throttle_fail counts a failure (MAX
     * within WINDOW_S seconds locks the key for WINDOW_S); throttle_clear
     * forgets them (after a success). */
    int (*throttle_wait)(const char *key);
    void (*throttle_fail)(const char *key, int max, int window_s);
    void (*throttle_clear)(const char *key);
};

#ifdef __cplusplus
}
#endif
#endif /* OAKSEED_PLUGIN_H */
