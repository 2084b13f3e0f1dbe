/*
 * migrate.c - per-plugin schema migrations, all pending ones applied in one
 * transaction. Each applied step is recorded with a SHA-256 of its SQL so an
 * edited migration is noticed instead of silently diverging, and each step
 * may only create objects named with its plugin's prefix.
 */
#include "db.h"
#include "log.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const schema_sql =
    "CREATE TABLE IF NOT EXISTS oak_migrations ("
    " plugin TEXT NOT NULL,"
    " version INTEGER NOT NULL,"
    " name TEXT NOT NULL,"
    " checksum TEXT NOT NULL,"
    " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
    " PRIMARY KEY (plugin, version))";

static int sha256_hex(const char *s, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;

    if (!EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL) || n != 32)
        return -1;
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

/* Objects existing before a migration are the baseline; anything new must
 * carry the prefix. Done by snapshotting names into a temp table. */
static int snapshot(sqlite3 *c)
{
    return sqlite3_exec(c, "DROP TABLE IF EXISTS temp.oak_mig_before;"
                           "CREATE TEMP TABLE oak_mig_before AS SELECT name FROM main.sqlite_schema",
                        NULL, NULL, NULL);
}

static int new_unprefixed(sqlite3 *c, const char *plugin, char *first, size_t firstlen)
{
    sqlite3_stmt *st;
    int n = 0;

    if (sqlite3_prepare_v2(c, "SELECT name FROM main.sqlite_schema WHERE name NOT LIKE 'sqlite_%' "
                              "AND name NOT IN (SELECT name FROM temp.oak_mig_before) "
                              "AND substr(name, 1, length(?1) + 1) <> ?1 || '_'",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, plugin, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW)
        if (n++ == 0)
            snprintf(first, firstlen, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return n;
}

static int migrate_set(sqlite3 *c, const struct oak_db_migration_set *set, int *applied,
                       char *err, size_t errlen)
{
    sqlite3_stmt *get = NULL, *put = NULL;
    int rc = -1;

    if (sqlite3_prepare_v2(c, "SELECT checksum FROM oak_migrations WHERE plugin=?1 AND version=?2",
                           -1, &get, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(c, "INSERT INTO oak_migrations(plugin, version, name, checksum) "
                              "VALUES (?1, ?2, ?3, ?4)", -1, &put, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "plugin %s: %s", set->plugin, sqlite3_errmsg(c));
        goto out;
    }
    for (int i = 0; set->list && set->list[i].sql; i++) {
        const struct oak_migration *m = &set->list[i];
        char sum[65], *msg = NULL, obj[128];

        if (m->version != i + 1) {
            snprintf(err, errlen, "plugin %s: migration '%s' has version %d, expected %d",
                     set->plugin, m->name ? m->name : "?", m->version, i + 1);
            goto out;
        }
        if (sha256_hex(m->sql, sum) < 0) {
            snprintf(err, errlen, "plugin %s: cannot hash migration", set->plugin);
            goto out;
        }
        sqlite3_reset(get);
        sqlite3_bind_text(get, 1, set->plugin, -1, SQLITE_STATIC);
        sqlite3_bind_int(get, 2, m->version);
        if (sqlite3_step(get) == SQLITE_ROW) {
            if (strcmp((const char *)sqlite3_column_text(get, 0), sum) != 0) {
                snprintf(err, errlen, "plugin %s migration %d (%s): changed after it was applied; "
                         "add a new migration instead of editing an old one",
                         set->plugin, m->version, m->name);
                goto out;
            }
            continue;
        }
        if (snapshot(c) != SQLITE_OK) {
            snprintf(err, errlen, "plugin %s: %s", set->plugin, sqlite3_errmsg(c));
            goto out;
        }
        if (sqlite3_exec(c, m->sql, NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, errlen, "plugin %s migration %d (%s): %s", set->plugin, m->version,
                     m->name, msg ? msg : sqlite3_errmsg(c));
            sqlite3_free(msg);
            goto out;
        }
        if (new_unprefixed(c, set->plugin, obj, sizeof obj) != 0) {
            snprintf(err, errlen, "plugin %s migration %d (%s): creates '%s'; a plugin's tables, "
                     "indexes and triggers must be named %s_*", set->plugin, m->version, m->name,
                     obj, set->plugin);
            goto out;
        }
        sqlite3_reset(put);
        sqlite3_bind_text(put, 1, set->plugin, -1, SQLITE_STATIC);
        sqlite3_bind_int(put, 2, m->version);
        sqlite3_bind_text(put, 3, m->name ? m->name : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(put, 4, sum, -1, SQLITE_STATIC);
        if (sqlite3_step(put) != SQLITE_DONE) {
            snprintf(err, errlen, "plugin %s: recording migration %d: %s", set->plugin,
                     m->version, sqlite3_errmsg(c));
            goto out;
        }
        (*applied)++;
    }
    rc = 0;
out:
    sqlite3_finalize(get);
    sqlite3_finalize(put);
    return rc;
}

int oak_db_migrate(struct oak_db *db, const struct oak_db_migration_set *sets, int nsets,
                   int *applied, char *err, size_t errlen)
{
    sqlite3 *c = oak_db_sqlite(db);

    *applied = 0;
    if (sqlite3_exec(c, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "migrate: %s", sqlite3_errmsg(c));
        return -1;
    }
    if (sqlite3_exec(c, schema_sql, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "migrate: %s", sqlite3_errmsg(c));
        goto fail;
    }
    for (int i = 0; i < nsets; i++)
        if (migrate_set(c, &sets[i], applied, err, errlen) < 0)
            goto fail;
    sqlite3_exec(c, "DROP TABLE IF EXISTS temp.oak_mig_before", NULL, NULL, NULL);
    if (sqlite3_exec(c, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "migrate: commit: %s", sqlite3_errmsg(c));
        goto fail;
    }
    return 0;
fail:
    sqlite3_exec(c, "ROLLBACK", NULL, NULL, NULL);
    *applied = 0;
    return -1;
}
