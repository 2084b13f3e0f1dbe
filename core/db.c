/*
 * db.c - SQLite connection, statement cache, transactions (see db.h).
 */
#include "db.h"
#include "clock.h"
#include "json.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NBUCKETS 256

struct oak_stmt {
    sqlite3_stmt *st;
    char *sql;
    uint32_t hash;
    int in_use;
    struct oak_db *db;
    struct oak_stmt *next;
};

struct oak_db {
    sqlite3 *conn;
    struct oak_stmt *buckets[NBUCKETS];
    int stmts_in_use;              /* so oak_db_reset_all need not walk them all */
    int in_tx;
    int busy_timeout;              /* ms */
    double busy_since;             /* when the current wait began */
    int checkpoint_frames;         /* a commit past this many WAL frames checkpoints */
    int checkpoint_due;            /* after the writers' turn is given back */
    /* group commit (oak_db_batch_start): transactions become savepoints
     * of one transaction that oak_db_batch_end commits */
    int batching;                  /* begin opens a savepoint in the batch */
    int batch_open;                /* the batch's BEGIN IMMEDIATE ran */
    int batch_lost;                /* SQLite rolled the batch back: nothing more joins */
    int has_turn;                  /* holds the writers' turn (take_turn) */
    int guarding;                  /* SQL from a handler is being prepared */
    int denied_tx;                 /* guard_tx refused a statement of it */
};

static _Thread_local struct oak_db *current;
static _Thread_local int read_only;
/* set by any failure mapped to OAK_EIO on this thread; see oak_db_take_io_error */
static _Thread_local int saw_io_error;

/*
 * The write latch. Once a write or sync of the database has failed, the
 * state of the kernel's page cache for those files is unknown: Linux may
 * have dropped the dirty pages and marked them clean, so a later fsync by
 * anyone "succeeds" without the data (PostgreSQL's fsyncgate, 2018). A
 * commit acknowledged after that could be one that is not on the disk.
 *
 * The page cache is shared by every process of the daemon, and since
 * Linux 4.13 an error is reported once per open file: another worker, or a
 * fresh connection opened after the error, would not see it. So a latch per
 * connection or per worker, or exiting the worker for a fresh connection,
 * is not enough: the latch is daemon-wide. The master maps one shared word
 * before it forks (oak_db_latch_share); a worker that sees the error sets
 * it and from then on every worker refuses writes with OAK_EIO (503), while
 * reads go on. Only restarting oakseed clears it (a SIGHUP reload does
 * not): the operator checks the disk first (docs/operations.md). A disk
 * that is merely full (SQLITE_FULL, ENOSPC from write()) is not latched:
 * nothing reached the page cache, and writes resume when space returns.
 * In processes that never share it (CLI, tests) the latch is process-local.
 */
static atomic_int local_latch;
static atomic_int *latch = &local_latch;

/*
 * The writers' turn. SQLite has one write lock per database and no queue
 * for it: a connection that finds it taken polls (busy_wait). With group
 * commit a worker keeps the lock for a whole group (up to 10 ms and an
 * fsync), so the others would poll all that while and, waking late, often
 * find the holder already in its next group. So the workers of one daemon
 * first wait for their turn on a robust process-shared mutex, mapped with
 * the latch: the waiter sleeps in the kernel, costs nothing, and wakes as
 * soon as the turn is given back. SQLite's lock stays the authority (the
 * CLI and writes outside a transaction do not take the turn). A worker
 * that dies holding the turn leaves EOWNERDEAD to the next: it is made
 * consistent and passed on. Without the shared map (CLI, tests) there is
 * no turn.
 */
struct shared {
    atomic_int latch;
    pthread_mutex_t turn;
};
static struct shared *shared;

int oak_db_latch_share(void)
{
    pthread_mutexattr_t a;
    struct shared *p;
    int ok;

    if (shared)
        return 0;
    p = mmap(NULL, sizeof *p, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    ok = pthread_mutexattr_init(&a) == 0;
    ok = ok && pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) == 0 &&
         pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) == 0 &&
         pthread_mutex_init(&p->turn, &a) == 0;
    pthread_mutexattr_destroy(&a);
    if (!ok) {
        munmap(p, sizeof *p);
        errno = ENOMEM;
        return -1;
    }
    atomic_store(&p->latch, atomic_load(&local_latch));
    latch = &p->latch;
    shared = p;
    return 0;
}

/* Wait, up to busy_timeout, for the writers' turn. */
static int take_turn(struct oak_db *db, struct oak_error *err)
{
    struct timespec until;
    int rc;

    if (!shared || db->has_turn)
        return OAK_OK;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += db->busy_timeout / 1000;
    until.tv_nsec += (long)(db->busy_timeout % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    rc = pthread_mutex_timedlock(&shared->turn, &until);
    if (rc == EOWNERDEAD) {
        oak_warn("database: a worker died while writing; its transaction was rolled back");
        pthread_mutex_consistent(&shared->turn);
        rc = 0;
    }
    if (rc == 0) {
        db->has_turn = 1;
        return OAK_OK;
    }
    if (err) {
        err->code = OAK_EBUSY;
        snprintf(err->message, sizeof err->message, "database is locked (%s)",
                 rc == ETIMEDOUT ? "other workers' writes took longer than busy_timeout" : strerror(rc));
    }
    return OAK_EBUSY;
}

static void checkpoint_if_due(struct oak_db *db);

static void give_turn(struct oak_db *db)
{
    if (db->has_turn) {
        db->has_turn = 0;
        pthread_mutex_unlock(&shared->turn);
    }
    /* a batch's checkpoint waits until its answers are sent
     * (oak_db_checkpoint_due) */
    if (!db->batching)
        checkpoint_if_due(db);
}

/* BEGIN IMMEDIATE in the writers' turn. */
static int begin_write(struct oak_db *db, struct oak_error *err)
{
    int rc = take_turn(db, err);

    if (rc == OAK_OK && (rc = oak_db_exec("BEGIN IMMEDIATE", err)) != OAK_OK)
        give_turn(db);
    return rc;
}

int oak_db_writes_refused(void)
{
    return atomic_load(latch) != 0;
}

int oak_db_take_io_error(void)
{
    int was = saw_io_error;

    saw_io_error = 0;
    return was;
}

/* Writes or syncs that may have left the page cache unlike the disk. */
static int lost_write(int ext)
{
    switch (ext) {
    case SQLITE_IOERR_WRITE: case SQLITE_IOERR_FSYNC:
    case SQLITE_IOERR_DIR_FSYNC:
        return 1;
    default:
        return 0;
    }
}

/* Every SQLite failure passes here: note it for the request and latch. */
static int note_failure(sqlite3 *conn, int rc)
{
    int ext = conn ? sqlite3_extended_errcode(conn) : rc;
    int code = oak_db_code(rc, ext);

    if (code == OAK_EIO)
        saw_io_error = 1;
    if ((lost_write(ext) || lost_write(rc)) && atomic_exchange(latch, 1) == 0)
        oak_error("database: a write or sync failed (%s, extended code %d): refusing every "
                  "write until oakseed is restarted; check the disk first",
                  conn ? sqlite3_errmsg(conn) : sqlite3_errstr(rc), ext);
    return code;
}

static int refuse_latched(struct oak_error *err)
{
    saw_io_error = 1;
    if (err) {
        err->code = OAK_EIO;
        snprintf(err->message, sizeof err->message,
                 "writes refused since a disk write or sync failed; restart oakseed");
    }
    return OAK_EIO;
}

/*
 * A batch is lost when SQLite rolled its transaction back by itself (a
 * full disk, an I/O error or running out of memory may do that to the
 * whole transaction, not just the statement): what the earlier members
 * wrote is gone, so nothing may write on in autocommit mode and be
 * answered as part of it.
 */
static int batch_gone(struct oak_db *db)
{
    if (db->batch_open && !db->batch_lost && sqlite3_get_autocommit(db->conn))
        db->batch_lost = 1;
    return db->batch_lost;
}

static int refuse_lost(struct oak_error *err)
{
    saw_io_error = 1;
    if (err) {
        err->code = OAK_EIO;
        snprintf(err->message, sizeof err->message,
                 "the group commit this request joined was rolled back");
    }
    return OAK_EIO;
}

/*
 * The authorizer. Inside an open batch the transaction is the worker's: a
 * handler's raw BEGIN, COMMIT or ROLLBACK (db_exec, db_prepare) would end
 * it under the other members, so those are refused at prepare time. The
 * handler's own savepoints nest inside the member and stay allowed.
 */
static int guard_tx(void *ud, int action, const char *op, const char *name,
                    const char *schema, const char *trigger)
{
    struct oak_db *db = ud;

    (void)op; (void)schema; (void)trigger;
    if (!db->guarding || !db->batch_open)
        return SQLITE_OK;
    if (action == SQLITE_TRANSACTION ||
        (action == SQLITE_SAVEPOINT && name && sqlite3_stricmp(name, "oak_member") == 0)) {
        db->denied_tx = 1;
        return SQLITE_DENY;
    }
    return SQLITE_OK;
}

/* After handler SQL failed to prepare: say why when guard_tx refused it. */
static int guard_result(struct oak_db *db, int code, struct oak_error *err)
{
    db->guarding = 0;
    if (!db->denied_tx)
        return code;
    db->denied_tx = 0;
    if (err) {
        err->code = OAK_ESTATE;
        snprintf(err->message, sizeof err->message,
                 "transaction statements are the host's here: use db_begin, db_commit and db_rollback");
    }
    return OAK_ESTATE;
}

void oak_db_use(struct oak_db *db) { current = db; }
struct oak_db *oak_db_current(void) { return current; }
sqlite3 *oak_db_sqlite(struct oak_db *db) { return db ? db->conn : NULL; }

int oak_db_code(int rc, int ext)
{
    switch (rc & 0xff) {
    case SQLITE_OK: case SQLITE_ROW: case SQLITE_DONE:
        return OAK_OK;
    case SQLITE_NOMEM:
        return OAK_ENOMEM;
    case SQLITE_BUSY: case SQLITE_LOCKED:
        return OAK_EBUSY;
    case SQLITE_CONSTRAINT:
        if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
            return OAK_EEXIST;
        return OAK_ECONSTRAINT;
    case SQLITE_FULL: case SQLITE_IOERR: case SQLITE_READONLY: case SQLITE_CANTOPEN:
    case SQLITE_CORRUPT: case SQLITE_NOTADB:
        return OAK_EIO;
    case SQLITE_MISUSE: case SQLITE_RANGE:
        return OAK_EINVAL;
    default:
        return OAK_ERROR;
    }
}

static int fill_err(struct oak_error *err, sqlite3 *conn, int rc)
{
    int code = note_failure(conn, rc);

    if (err) {
        err->code = code;
        snprintf(err->message, sizeof err->message, "%s",
                 conn ? sqlite3_errmsg(conn) : sqlite3_errstr(rc));
    }
    return code;
}

/*
 * The WAL checkpoint. SQLite's automatic one (wal_autocheckpoint) runs
 * after a commit and ignores its result, so a write or fsync of the
 * database file failing there never reached note_failure: the latch stayed
 * open over pages the kernel may have dropped. The connection runs the same
 * passive checkpoint itself, at the same threshold (1000 frames unless
 * oak_db_options.checkpoint_frames says otherwise), and notes a failure
 * like any other. The hook must answer SQLITE_OK whatever happened: what
 * it returns becomes the result of the COMMIT that has just succeeded, and
 * a commit that is stored (the synced WAL holds it) must not be reported
 * as failed. A failed checkpoint only leaves the frames in the WAL for the
 * next one. The checkpoint sqlite3_close runs when the last connection
 * closes ignores its errors too; that one is harmless for the same reason
 * (the WAL is kept when it fails, and the next checkpoint copies every
 * frame again) and the connection is gone anyway.
 *
 * A commit made in the writers' turn (take_turn) checkpoints after it has
 * given the turn back: a passive checkpoint does not keep writers out, and
 * copying a thousand pages and syncing the database file held every other
 * worker's registrations up for milliseconds.
 */
static void checkpoint(struct oak_db *db)
{
    int rc;

    db->checkpoint_due = 0;
    if (oak_db_writes_refused())
        return;
    rc = sqlite3_wal_checkpoint_v2(db->conn, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED) {
        if (!lost_write(rc))
            oak_warn("database: a checkpoint failed (%s); the WAL keeps its frames for the next one",
                     sqlite3_errstr(rc));
        note_failure(db->conn, rc);
    }
}

static void checkpoint_if_due(struct oak_db *db)
{
    if (db->checkpoint_due && !db->in_tx && sqlite3_get_autocommit(db->conn))
        checkpoint(db);
}

static int wal_hook(void *ud, sqlite3 *conn, const char *name, int frames)
{
    struct oak_db *db = ud;

    (void)conn;
    (void)name;
    if (frames < db->checkpoint_frames || oak_db_writes_refused())
        return SQLITE_OK;
    if (db->has_turn)
        db->checkpoint_due = 1;
    else
        checkpoint(db);
    return SQLITE_OK;
}

/*
 * SQLite's own busy handler (sqlite3_busy_timeout) sleeps 1, 2, 5, 10, 15
 * ms... between tries. A write transaction here holds the lock for about
 * one fsync, well under a millisecond, so a worker waiting for it would
 * sleep through several commits and registrations would queue behind the
 * sleeps, not behind the disk. Retry every 100 us for the first tries,
 * then every millisecond, until busy_timeout has passed.
 */
static int busy_wait(void *ud, int tries)
{
    struct oak_db *db = ud;
    double now = oak_now_ms();

    if (db->busy_timeout <= 0)
        return 0;
    if (tries == 0)
        db->busy_since = now;
    else if (now - db->busy_since >= db->busy_timeout)
        return 0;
    usleep(tries < 20 ? 100 : 1000);
    return 1;
}

struct oak_db *oak_db_open(const struct oak_db_options *o, char *err, size_t errlen)
{
    static const char *const sync_names[] = { "OFF", "NORMAL", "FULL", "EXTRA" };
    struct oak_db *db = calloc(1, sizeof *db);
    char pragmas[512];
    char *msg = NULL;
    int flags, rc;

    if (!db) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    flags = o->readonly ? SQLITE_OPEN_READONLY
          : o->must_exist ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    rc = sqlite3_open_v2(o->path, &db->conn, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", o->path, db->conn ? sqlite3_errmsg(db->conn) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(db->conn, 1);
    db->busy_timeout = o->busy_timeout;
    sqlite3_busy_handler(db->conn, busy_wait, db);
    /* secure_delete: deleted personal data must not linger in free pages */
    snprintf(pragmas, sizeof pragmas,
             "PRAGMA foreign_keys=ON;"
             "PRAGMA secure_delete=ON;"
             "PRAGMA synchronous=%s;"
             "PRAGMA trusted_schema=OFF;"
             "PRAGMA temp_store=MEMORY;",
             sync_names[o->synchronous & 3]);
    rc = sqlite3_exec(db->conn, pragmas, NULL, NULL, &msg);
    if (rc == SQLITE_OK && !o->readonly)
        rc = sqlite3_exec(db->conn, "PRAGMA journal_mode=WAL;", NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", o->path, msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        goto fail;
    }
    sqlite3_db_config(db->conn, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    /* replaces SQLite's automatic checkpoint (see wal_hook) */
    db->checkpoint_frames = o->checkpoint_frames > 0 ? o->checkpoint_frames : 1000;
    sqlite3_wal_hook(db->conn, wal_hook, db);
    sqlite3_set_authorizer(db->conn, guard_tx, db);
    return db;
fail:
    sqlite3_close(db->conn);
    free(db);
    return NULL;
}

void oak_db_close(struct oak_db *db)
{
    if (!db)
        return;
    for (int i = 0; i < NBUCKETS; i++) {
        struct oak_stmt *s = db->buckets[i];

        while (s) {
            struct oak_stmt *next = s->next;
            sqlite3_finalize(s->st);
            free(s->sql);
            free(s);
            s = next;
        }
    }
    if (!sqlite3_get_autocommit(db->conn))
        sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
    give_turn(db);
    sqlite3_close(db->conn);
    if (current == db)
        current = NULL;
    free(db);
}

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

int oak_db_prepare(const char *sql, oak_stmt **out, struct oak_error *err)
{
    struct oak_db *db = current;
    struct oak_stmt *s;
    uint32_t h;
    int rc;

    *out = NULL;
    if (!db) {
        if (err) {
            err->code = OAK_ESTATE;
            snprintf(err->message, sizeof err->message, "no database connection in this context");
        }
        return OAK_ESTATE;
    }
    h = fnv1a(sql);
    for (s = db->buckets[h % NBUCKETS]; s; s = s->next)
        if (s->hash == h && !s->in_use && strcmp(s->sql, sql) == 0)
            goto found;
    s = calloc(1, sizeof *s);
    if (!s || !(s->sql = strdup(sql))) {
        free(s);
        if (err) {
            err->code = OAK_ENOMEM;
            snprintf(err->message, sizeof err->message, "out of memory");
        }
        return OAK_ENOMEM;
    }
    const char *tail = NULL;

    db->guarding = 1;
    rc = sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, &tail);
    if (rc != SQLITE_OK) {
        int code = guard_result(db, fill_err(err, db->conn, rc), err);
        free(s->sql);
        free(s);
        return code;
    }
    db->guarding = 0;
    while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == '\r' || *tail == ';'))
        tail++;
    if (!s->st || (tail && *tail)) {
        /* a second statement would be silently ignored: refuse instead */
        sqlite3_finalize(s->st);
        free(s->sql);
        free(s);
        if (err) {
            err->code = OAK_EINVAL;
            snprintf(err->message, sizeof err->message,
                     "db_prepare takes exactly one statement (use db_exec for scripts)");
        }
        return OAK_EINVAL;
    }
    s->hash = h;
    s->db = db;
    s->next = db->buckets[h % NBUCKETS];
    db->buckets[h % NBUCKETS] = s;
found:
    s->in_use = 1;
    db->stmts_in_use++;
    *out = s;
    return OAK_OK;
}

void oak_db_set_read_only(int on)
{
    read_only = on;
}

static int refuse_write(struct oak_error *err)
{
    if (err) {
        err->code = OAK_ESTATE;
        snprintf(err->message, sizeof err->message, "this context may only read the database");
    }
    return OAK_ESTATE;
}

int oak_db_step(oak_stmt *s, struct oak_error *err)
{
    int rc;

    if (read_only && !sqlite3_stmt_readonly(s->st))
        return refuse_write(err);
    if (oak_db_writes_refused() && !sqlite3_stmt_readonly(s->st))
        return refuse_latched(err);
    if (current && batch_gone(current) && !sqlite3_stmt_readonly(s->st))
        return refuse_lost(err);
    rc = sqlite3_step(s->st);

    if (rc == SQLITE_ROW)
        return OAK_ROW;
    if (rc == SQLITE_DONE)
        return OAK_DONE;
    return fill_err(err, sqlite3_db_handle(s->st), rc);
}

void oak_db_finish(oak_stmt *s)
{
    if (!s)
        return;
    sqlite3_reset(s->st);
    sqlite3_clear_bindings(s->st);
    if (s->in_use)
        s->db->stmts_in_use--;
    s->in_use = 0;
}

sqlite3_stmt *oak_db_raw(oak_stmt *s)
{
    return s->st;
}

int oak_db_reset_all(void)
{
    int n = 0;

    if (!current || !current->stmts_in_use)
        return 0;
    for (int i = 0; i < NBUCKETS; i++)
        for (struct oak_stmt *s = current->buckets[i]; s; s = s->next)
            if (s->in_use) {
                oak_db_finish(s);
                n++;
            }
    return n;
}

/* sqlite3_exec on the current connection, failures noted and mapped. */
static int exec_sql(const char *sql, struct oak_error *err)
{
    char *msg = NULL;
    int rc;

    if (!current)
        return OAK_ESTATE;
    rc = sqlite3_exec(current->conn, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        int code = note_failure(current->conn, rc);

        if (err) {
            err->code = code;
            snprintf(err->message, sizeof err->message, "%s", msg ? msg : sqlite3_errstr(rc));
        }
        sqlite3_free(msg);
        return code;
    }
    return OAK_OK;
}

int oak_db_exec(const char *sql, struct oak_error *err)
{
    if (read_only)
        return refuse_write(err);
    if (!current)
        return OAK_ESTATE;
    if (oak_db_writes_refused())
        return refuse_latched(err);
    if (batch_gone(current))
        return refuse_lost(err);
    current->guarding = 1;
    return guard_result(current, exec_sql(sql, err), err);
}

int oak_db_begin(struct oak_error *err)
{
    int rc;

    if (read_only)
        return refuse_write(err);
    if (!current)
        return OAK_ESTATE;
    if (current->in_tx) {
        if (err) {
            err->code = OAK_ESTATE;
            snprintf(err->message, sizeof err->message, "transaction already open");
        }
        return OAK_ESTATE;
    }
    if (!current->batching) {
        rc = begin_write(current, err);
    } else if (batch_gone(current)) {
        rc = refuse_lost(err);
    } else {
        /* the first member takes the write lock for the whole batch */
        rc = current->batch_open ? OAK_OK : begin_write(current, err);
        if (rc == OAK_OK)
            current->batch_open = 1;
        if (rc == OAK_OK)
            rc = exec_sql("SAVEPOINT oak_member", err);
    }
    if (rc == OAK_OK)
        current->in_tx = 1;
    return rc;
}

/* The checks before anything is made durable (or joins what will be). */
static int commit_allowed(struct oak_error *err)
{
    /* a latch set by another worker during this transaction: its commit
     * would sync on top of pages that may be lost */
    if (oak_db_writes_refused())
        return refuse_latched(err);
    if (oak_json_oom_seen()) {
        /* what this transaction wrote was decided on JSON built while
         * memory ran out (a member may be missing): do not keep it */
        if (err) {
            err->code = OAK_ENOMEM;
            snprintf(err->message, sizeof err->message, "out of memory while building the data");
        }
        return OAK_ENOMEM;
    }
    return OAK_OK;
}

/* Undo the current member of a batch; the batch's earlier members stay. */
static int member_rollback(void)
{
    if (batch_gone(current))
        return OAK_OK;
    if (exec_sql("ROLLBACK TO oak_member", NULL) == OAK_OK &&
        exec_sql("RELEASE oak_member", NULL) == OAK_OK)
        return OAK_OK;
    /* the savepoint could not be undone: neither can the batch be kept */
    current->batch_lost = 1;
    return OAK_ERROR;
}

int oak_db_commit(struct oak_error *err)
{
    int rc;

    if (!current || !current->in_tx)
        return OAK_ESTATE;
    rc = commit_allowed(err);
    if (current->batch_open) {
        /* joins the batch: durable when oak_db_batch_end commits it, and
         * the worker holds the answer until then */
        if (rc == OAK_OK)
            rc = batch_gone(current) ? refuse_lost(err) : exec_sql("RELEASE oak_member", err);
        if (rc != OAK_OK)
            member_rollback();
        current->in_tx = 0;
        return rc;
    }
    if (rc == OAK_OK)
        rc = exec_sql("COMMIT", err);
    /* a failed COMMIT may leave the transaction open: roll it back so the
     * caller never believes in a write that is not there */
    if (rc != OAK_OK && !sqlite3_get_autocommit(current->conn))
        sqlite3_exec(current->conn, "ROLLBACK", NULL, NULL, NULL);
    current->in_tx = 0;
    give_turn(current);
    return rc;
}

int oak_db_rollback(void)
{
    int was = current && current->in_tx, rc;

    if (!current)
        return OAK_ESTATE;
    current->in_tx = 0;
    if (current->batch_open)
        return was ? member_rollback() : OAK_ESTATE;
    /* also ends a transaction opened with raw SQL through db_exec */
    if (!sqlite3_get_autocommit(current->conn))
        rc = exec_sql("ROLLBACK", NULL);
    else
        rc = was ? OAK_OK : OAK_ESTATE;
    give_turn(current);
    return rc;
}

void oak_db_batch_start(void)
{
    if (current && !current->in_tx && sqlite3_get_autocommit(current->conn))
        current->batching = 1;
}

int oak_db_batch_open(void)
{
    return current && current->batch_open;
}

int oak_db_batch_end(int keep, struct oak_error *err)
{
    struct oak_db *db = current;
    int rc = OAK_OK;

    if (!db)
        return OAK_OK;
    if (!db->batch_open) {
        db->batching = 0;
        return OAK_OK;
    }
    db->batch_open = 0;
    if (db->in_tx) {
        /* the worker ends a batch between requests only */
        db->in_tx = 0;
        db->batch_lost = 1;
    }
    if (db->batch_lost || !keep)
        rc = refuse_lost(err);
    else if (oak_db_writes_refused())
        rc = refuse_latched(err);
    else
        rc = exec_sql("COMMIT", err);
    db->batch_lost = 0;
    if (rc != OAK_OK && !sqlite3_get_autocommit(db->conn))
        sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
    give_turn(db);
    db->batching = 0;
    return rc;
}

void oak_db_checkpoint_due(void)
{
    if (current)
        checkpoint_if_due(current);
}

int oak_db_in_tx(void)
{
    /* in a batch the outer transaction is the worker's, not the handler's */
    return current && (current->in_tx || (!current->batch_open && !sqlite3_get_autocommit(current->conn)));
}

int oak_db_ping(void)
{
    oak_stmt *s;
    int rc;

    if (oak_db_prepare("SELECT count(*) FROM sqlite_schema", &s, NULL) != OAK_OK)
        return 0;
    rc = oak_db_step(s, NULL);
    oak_db_finish(s);
    return rc == OAK_ROW;
}
