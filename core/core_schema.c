/*
 * core_schema.c - the core's own tables (prefixed core_), applied as the
 * migrations of the "core" pseudo-plugin: staff accounts, their regions and
 * extra grants, sessions, login throttling and the audit log.
 */
#include "oakseed/plugin.h"
#include "core_schema.h"

const struct oak_migration oak_core_migrations[] = {
    { 1, "accounts, sessions, throttle, audit",
      "CREATE TABLE core_users ("
      " id INTEGER PRIMARY KEY,"
      " username TEXT NOT NULL UNIQUE COLLATE NOCASE,"
      " display_name TEXT NOT NULL DEFAULT '',"
      " role TEXT NOT NULL,"
      " password_hash TEXT NOT NULL,"
      " disabled INTEGER NOT NULL DEFAULT 0,"
      " totp_secret TEXT,"
      " totp_last_step INTEGER NOT NULL DEFAULT 0,"
      " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
      " updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
      "CREATE TABLE core_user_regions ("
      " user_id INTEGER NOT NULL REFERENCES core_users(id) ON DELETE CASCADE,"
      " region INTEGER NOT NULL,"
      " PRIMARY KEY (user_id, region));"
      "CREATE TABLE core_user_grants ("
      " user_id INTEGER NOT NULL REFERENCES core_users(id) ON DELETE CASCADE,"
      " permission TEXT NOT NULL,"
      " PRIMARY KEY (user_id, permission));"
      "CREATE TABLE core_sessions ("
      " token_hash TEXT PRIMARY KEY,"
      " user_id INTEGER NOT NULL REFERENCES core_users(id) ON DELETE CASCADE,"
      " csrf_token TEXT NOT NULL,"
      " created_at INTEGER NOT NULL,"
      " last_seen INTEGER NOT NULL,"
      " expires_at INTEGER NOT NULL);"
      "CREATE INDEX core_sessions_user ON core_sessions(user_id);"
      "CREATE TABLE core_login_throttle ("
      " key TEXT PRIMARY KEY,"
      " failures INTEGER NOT NULL,"
      " first_at INTEGER NOT NULL,"
      " locked_until INTEGER NOT NULL DEFAULT 0);"
      "CREATE TABLE core_audit ("
      " id INTEGER PRIMARY KEY,"
      " at TEXT NOT NULL,"
      " actor_id INTEGER,"
      " actor TEXT NOT NULL,"
      " action TEXT NOT NULL,"
      " object_type TEXT NOT NULL,"
      " object_id TEXT NOT NULL,"
      " region INTEGER NOT NULL,"
      " detail TEXT NOT NULL,"
      " request_id TEXT NOT NULL,"
      " prev_hash TEXT NOT NULL,"
      " hash TEXT NOT NULL);"
      "CREATE TRIGGER core_audit_no_update BEFORE UPDATE ON core_audit"
      " BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
      "CREATE TRIGGER core_audit_no_delete BEFORE DELETE ON core_audit"
      " BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;" },
    { 0, NULL, NULL }
};

const struct oak_permission oak_core_permissions[] = {
    { "core.self", "see and end one's own session",
      "regional_admin coordinator trainer volunteer_manager staff" },
    { "core.audit.read", "read the audit log of one's regions", "regional_admin" },
    /* the whole log, every region: national_admin only (it holds every
     * permission), unless an operator grants it to one more account */
    { "core.audit.export", "export the whole audit log with its hash chain", NULL },
    { "core.users.read", "list staff accounts of one's regions", "regional_admin" },
    { NULL, NULL, NULL }
};
