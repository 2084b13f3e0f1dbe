/*
 * backup.c - online backup and restore through SQLite's backup API. A backup
 * is written beside the destination, synced and renamed into place, so a
 * crash never leaves a half-written file under the final name.
 */
#include "db.h"
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int copy_db(sqlite3 *to, sqlite3 *from, char *err, size_t errlen)
{
    sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
    int rc;

    if (!b) {
        snprintf(err, errlen, "backup: %s", sqlite3_errmsg(to));
        return -1;
    }
    do {
        rc = sqlite3_backup_step(b, 256);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
            sqlite3_sleep(20);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "backup: %s", sqlite3_errstr(rc));
        return -1;
    }
    return 0;
}

int oak_db_backup(struct oak_db *db, const char *dest, char *err, size_t errlen)
{
    char tmp[4096];
    sqlite3 *to = NULL;
    int rc = -1;

    if (snprintf(tmp, sizeof tmp, "%s.tmp", dest) >= (int)sizeof tmp) {
        snprintf(err, errlen, "backup: path too long");
        return -1;
    }
    unlink(tmp);
    /* the copy holds what the database holds: readable by its owner only
     * (SQLite would create it per the umask; its journal copies this mode) */
    {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

        if (fd < 0) {
            snprintf(err, errlen, "backup: %s: %s", tmp, strerror(errno));
            return -1;
        }
        close(fd);
    }
    if (sqlite3_open_v2(tmp, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "backup: %s: %s", tmp, to ? sqlite3_errmsg(to) : "cannot open");
        goto out;
    }
    if (copy_db(to, oak_db_sqlite(db), err, errlen) < 0)
        goto out;
    /* a backup is a single self-contained file */
    sqlite3_exec(to, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL);
    sqlite3_close(to);
    to = NULL;
    if (oak_fsync_path(tmp) < 0 || rename(tmp, dest) < 0 || oak_fsync_dir_of(dest) < 0) {
        snprintf(err, errlen, "backup: %s: %s", dest, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (to)
        sqlite3_close(to);
    if (rc < 0)
        unlink(tmp);
    return rc;
}

static int integrity_ok(sqlite3 *c, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    int ok = 0;

    if (sqlite3_prepare_v2(c, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "restore: %s", sqlite3_errmsg(c));
        return 0;
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(st, 0);

        ok = r && strcmp(r, "ok") == 0;
        if (!ok)
            snprintf(err, errlen, "restore: source fails integrity check: %s", r ? r : "?");
    } else {
        snprintf(err, errlen, "restore: %s", sqlite3_errmsg(c));
    }
    sqlite3_finalize(st);
    return ok;
}

int oak_db_restore(const char *db_path, const char *src, char *err, size_t errlen)
{
    sqlite3 *from = NULL, *to = NULL;
    int rc = -1;

    if (access(src, R_OK) < 0) {
        snprintf(err, errlen, "restore: %s: %s", src, strerror(errno));
        return -1;
    }
    if (sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "restore: %s: %s", src, from ? sqlite3_errmsg(from) : "cannot open");
        goto out;
    }
    if (!integrity_ok(from, err, errlen))
        goto out;
    {
        sqlite3_stmt *st;
        int has = 0;

        /* an empty or foreign database would silently replace all data */
        if (sqlite3_prepare_v2(from, "SELECT count(*) FROM sqlite_schema WHERE name = 'oak_migrations'",
                               -1, &st, NULL) == SQLITE_OK) {
            if (sqlite3_step(st) == SQLITE_ROW)
                has = sqlite3_column_int(st, 0);
            sqlite3_finalize(st);
        }
        if (!has) {
            snprintf(err, errlen, "restore: %s is not an oakseed database (no oak_migrations table)", src);
            goto out;
        }
    }
    if (sqlite3_open_v2(db_path, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "restore: %s: %s", db_path, to ? sqlite3_errmsg(to) : "cannot open");
        goto out;
    }
    sqlite3_busy_timeout(to, 5000);
    if (copy_db(to, from, err, errlen) < 0)
        goto out;
    sqlite3_exec(to, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
    rc = 0;
out:
    sqlite3_close(from);
    sqlite3_close(to);
    return rc;
}
