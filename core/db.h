/*
 * db.h - the one database wrapper: a SQLite connection per worker with the
 * data rules of DESIGN.md (WAL, foreign keys, busy timeout, synchronous
 * FULL), a prepared-statement cache, transactions, migrations and backup.
 *
 * The connection in use is per thread (oak_db_use), so handlers and the
 * host table never pass it around.
 */
#ifndef OAK_DB_H
#define OAK_DB_H

#include <stddef.h>
#include <sqlite3.h>

#include "oakseed/plugin.h"

struct oak_db;

struct oak_db_options {
    const char *path;
    int synchronous;        /* 0 off .. 3 extra */
    int busy_timeout;       /* ms */
    int readonly;
    int must_exist;         /* refuse to create a new database file */
    /* a commit that leaves the WAL with at least this many frames runs a
     * passive checkpoint, whose failures are noted like any other (the
     * write latch); 0: 1000, SQLite's wal_autocheckpoint default */
    int checkpoint_frames;
};

/* Open and configure a connection. Returns NULL with a message in err. */
struct oak_db *oak_db_open(const struct oak_db_options *o, char *err, size_t errlen);
/* Finalize every cached statement and close. NULL is fine. */
void oak_db_close(struct oak_db *db);
/* Make DB the connection of this thread (NULL to clear). */
void oak_db_use(struct oak_db *db);
struct oak_db *oak_db_current(void);
sqlite3 *oak_db_sqlite(struct oak_db *db);

/* Map a SQLite result code to an OAK_E* code. */
int oak_db_code(int sqlite_rc, int extended_rc);

/* Statement cache and stepping on the current connection. */
int oak_db_prepare(const char *sql, oak_stmt **st, struct oak_error *err);
int oak_db_step(oak_stmt *st, struct oak_error *err);
void oak_db_finish(oak_stmt *st);
sqlite3_stmt *oak_db_raw(oak_stmt *st);
/* Reset statements a handler forgot to finish; returns how many. */
int oak_db_reset_all(void);
int oak_db_exec(const char *sql, struct oak_error *err);
/* While on, this thread may only run statements that do not write
 * (sqlite3_stmt_readonly); exec and begin are refused: script helpers. */
void oak_db_set_read_only(int on);
int oak_db_begin(struct oak_error *err);
int oak_db_commit(struct oak_error *err);
int oak_db_rollback(void);
int oak_db_in_tx(void);
/*
 * Group commit, for the worker's loop. After oak_db_batch_start the
 * connection's transactions become members of one batch: the first
 * oak_db_begin runs BEGIN IMMEDIATE, each begin opens a savepoint, a
 * commit releases it (durable only when the batch is) and a rollback
 * undoes that member alone. oak_db_batch_open tells whether a member has
 * joined, so that answers must wait; oak_db_batch_end commits the batch
 * (one fsync for all) and ends batching. A batch that SQLite rolled back
 * by itself, or that met the write latch, fails as a whole: then every
 * member must be answered as failed. KEEP 0 rolls the batch back instead.
 * Returns OAK_OK, or the error when nothing of the batch was kept.
 */
void oak_db_batch_start(void);
int oak_db_batch_open(void);
int oak_db_batch_end(int keep, struct oak_error *err);
/* Run the WAL checkpoint the last commit left due, if any: a batch's
 * commit leaves it for after its answers have been sent (a checkpoint
 * copies up to checkpoint_frames pages and syncs the database file). */
void oak_db_checkpoint_due(void);
/* The daemon-wide write latch and writers' turn (see db.c): the master
 * calls oak_db_latch_share once before it forks workers, so a write or
 * sync failure seen by one worker stops writes in all of them until
 * restart, and a worker waiting to write sleeps until the one writing
 * commits instead of polling SQLite's lock. Returns 0, or -1 when the
 * shared page cannot be mapped. */
int oak_db_latch_share(void);
/* 1 once a write or sync failed: every write is refused with OAK_EIO. */
int oak_db_writes_refused(void);
/* 1 when a database call on this thread failed with OAK_EIO (I/O error,
 * full disk, read-only or unopenable file, the latch) since the last
 * call; clears it. The dispatcher turns such a failure into a 503. */
int oak_db_take_io_error(void);
/* 1 when the connection answers a trivial query. */
int oak_db_ping(void);

/* A plugin's migrations, as handed to oak_db_migrate. */
struct oak_db_migration_set {
    const char *plugin;
    const struct oak_migration *list;
};

/* Apply every pending migration of every set in one transaction. Returns 0,
 * or -1 with "plugin NAME migration V (NAME): reason" in err. *applied gets
 * the number of migrations run. */
int oak_db_migrate(struct oak_db *db, const struct oak_db_migration_set *sets, int nsets,
                   int *applied, char *err, size_t errlen);

/* Online backup of DB into DEST (written to DEST.tmp, synced, renamed). */
int oak_db_backup(struct oak_db *db, const char *dest, char *err, size_t errlen);
/* Replace the database at DB_PATH with the contents of SRC (checked with
 * PRAGMA integrity_check first). The daemon must be stopped. */
int oak_db_restore(const char *db_path, const char *src, char *err, size_t errlen);

#endif
