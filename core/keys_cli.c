/*
 * keys_cli.c - key file creation and key rotation (see keys_cli.h).
 *
 * Rotation is resumable because progress lives in the data itself: a
 * value is done when its stored form names the current key. A run that
 * finds values under older keys finishes them instead of adding a key.
 */
#include "keys_cli.h"
#include "app.h"
#include "crypto.h"
#include "db.h"
#include "keyfile.h"
#include "log.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int oak_keygen_cli(const char *path)
{
    char err[512];

    if (oak_keyfile_generate(path, err, sizeof err) != OAK_OK) {
        fprintf(stderr, "oakseed: %s\n", err);
        return 1;
    }
    printf("key file %s written (mode 0600); set [keys] file = %s\n", path, path);
    return 0;
}

/* Values not yet under the current key, over all declared columns. */
static long long pending(struct oak_app *app, const char *prefix)
{
    long long total = 0;

    for (int i = 0; i < app->nenc_columns; i++) {
        const struct oak_enc_column *c = &app->enc_columns[i];
        char sql[512];
        sqlite3_stmt *st;

        snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\" WHERE \"%s\" IS NOT NULL"
                 " AND substr(\"%s\", 1, length(?1)) <> ?1", c->table, c->column, c->column);
        if (sqlite3_prepare_v2(oak_db_sqlite(oak_db_current()), sql, -1, &st, NULL) != SQLITE_OK)
            return -1;
        sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            total += sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    return total;
}

/* Re-encrypt up to BATCH values of one column in one transaction.
 * Returns how many were done, or -1. */
static int batch_column(struct oak_app *app, const struct oak_enc_column *c, const char *prefix,
                        int batch)
{
    sqlite3 *db = oak_db_sqlite(oak_db_current());
    char sql[512];
    sqlite3_stmt *sel = NULL, *upd = NULL;
    struct oak_error e;
    int done = 0, rc;

    snprintf(sql, sizeof sql, "SELECT rowid, %s%s%s, \"%s\" FROM \"%s\" WHERE \"%s\" IS NOT NULL"
             " AND substr(\"%s\", 1, length(?1)) <> ?1 LIMIT ?2",
             c->region_column ? "\"" : "", c->region_column ? c->region_column : "0",
             c->region_column ? "\"" : "", c->column, c->table, c->column, c->column);
    if (oak_db_begin(&e) != OAK_OK)
        return -1;
    if (sqlite3_prepare_v2(db, sql, -1, &sel, NULL) != SQLITE_OK)
        goto fail;
    snprintf(sql, sizeof sql, "UPDATE \"%s\" SET \"%s\" = ?2 WHERE rowid = ?1", c->table, c->column);
    if (sqlite3_prepare_v2(db, sql, -1, &upd, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_text(sel, 1, prefix, -1, SQLITE_STATIC);
    sqlite3_bind_int(sel, 2, batch);
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        struct oak_field_ctx fc = { c->table, c->column, sqlite3_column_int64(sel, 0),
                                    sqlite3_column_int(sel, 1) };
        const char *stored = (const char *)sqlite3_column_text(sel, 2);
        char *plain = NULL, *fresh = NULL;
        size_t len = 0;

        if (oak_field_decrypt(app->keys, &fc, stored, &plain, &len) != OAK_OK) {
            fprintf(stderr, "oakseed: %s.%s row %lld does not decrypt; rotation stopped\n",
                    c->table, c->column, (long long)fc.rowid);
            goto fail;
        }
        rc = oak_field_encrypt(app->keys, &fc, plain, len, &fresh);
        oak_field_free(plain, len);
        if (rc != OAK_OK)
            goto fail;
        sqlite3_reset(upd);
        sqlite3_bind_int64(upd, 1, fc.rowid);
        sqlite3_bind_text(upd, 2, fresh, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(upd);
        free(fresh);
        if (rc != SQLITE_DONE)
            goto fail;
        done++;
    }
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    return oak_db_commit(&e) == OAK_OK ? done : -1;
fail:
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    oak_db_rollback();
    return -1;
}

/* A running daemon must learn the new key before values use it. */
static void reload_daemon(struct oak_app *app)
{
    char buf[32];
    int fd, n;

    if (!app->cfg.pid_file || (fd = open(app->cfg.pid_file, O_RDONLY | O_CLOEXEC)) < 0)
        return;
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) {      /* not locked: no daemon */
        close(fd);
        return;
    }
    n = (int)read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    if (kill((pid_t)atol(buf), SIGHUP) == 0) {
        printf("sent SIGHUP to the running server (pid %ld) so it loads the new key\n", atol(buf));
        sleep(2);
    }
}

int oak_keys_cli(struct oak_app *app, int argc, char **argv)
{
    int batch = 500, max_batches = 0, resume = 0;
    char prefix[40], err[512];
    long long left, total = 0;

    if (argc < 1 || strcmp(argv[0], "rotate") != 0) {
        fprintf(stderr, "usage: oakseed keys rotate [--resume] [--batch N] [--max-batches N]\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--resume"))
            resume = 1;
        else if (i + 1 < argc && !strcmp(argv[i], "--batch"))
            batch = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--max-batches"))
            max_batches = atoi(argv[++i]);
        else {
            fprintf(stderr, "oakseed: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (batch < 1 || batch > 100000 || max_batches < 0) {
        fprintf(stderr, "oakseed: --batch must be 1..100000\n");
        return 2;
    }
    if (!app->keys) {
        fprintf(stderr, "oakseed: no [keys] file configured\n");
        return 1;
    }
    snprintf(prefix, sizeof prefix, "v1:%s:", oak_keyring_current_id(app->keys));
    left = pending(app, prefix);
    if (left < 0) {
        fprintf(stderr, "oakseed: cannot count encrypted values\n");
        return 1;
    }
    if (left > 0 || resume) {
        printf("resuming: %lld values not yet under key %s\n", left, oak_keyring_current_id(app->keys));
    } else {
        char id[32];
        struct oak_keyring *kr;

        if (oak_keyfile_add_key(app->cfg.key_file, id, sizeof id, err, sizeof err) != OAK_OK) {
            fprintf(stderr, "oakseed: %s\n", err);
            return 1;
        }
        kr = oak_keyring_load(app->cfg.key_file, err, sizeof err);
        if (!kr) {
            fprintf(stderr, "oakseed: %s\n", err);
            return 1;
        }
        oak_keyring_free(app->keys);
        app->keys = kr;
        printf("new data key %s is current\n", id);
        reload_daemon(app);
        snprintf(prefix, sizeof prefix, "v1:%s:", id);
    }
    for (int b = 0; max_batches == 0 || b < max_batches; b++) {
        int round = 0;

        for (int i = 0; i < app->nenc_columns; i++) {
            int n = batch_column(app, &app->enc_columns[i], prefix, batch - round);

            if (n < 0) {
                fprintf(stderr, "oakseed: rotation stopped after %lld values; run "
                        "oakseed keys rotate again to resume\n", total);
                return 1;
            }
            round += n;
            if (round >= batch)
                break;
        }
        total += round;
        if (round == 0)
            break;
        printf("re-encrypted %lld values\n", total);
    }
    left = pending(app, prefix);
    if (left > 0) {
        printf("stopped with %lld values left; run oakseed keys rotate again to resume\n", left);
        return 0;
    }
    printf("rotation complete: every encrypted value uses key %s\n", oak_keyring_current_id(app->keys));
    return 0;
}
