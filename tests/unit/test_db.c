/*
 * test_db.c - the SQLite service: connection pragmas, the statement cache,
 * error-code mapping, transactions, migrations and backup/restore.
 */
#include "clock.h"
#include "db.h"
#include "tap.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/oak-test-db-XXXXXX";

static long long scalar(const char *sql)
{
    oak_stmt *st;
    long long v = -1;

    if (oak_db_prepare(sql, &st, NULL) != OAK_OK)
        return -1;
    if (oak_db_step(st, NULL) == OAK_ROW)
        v = sqlite3_column_int64(oak_db_raw(st), 0);
    oak_db_finish(st);
    return v;
}

static const char *text1(const char *sql, char *buf, size_t len)
{
    oak_stmt *st;

    buf[0] = '\0';
    if (oak_db_prepare(sql, &st, NULL) == OAK_OK && oak_db_step(st, NULL) == OAK_ROW)
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(oak_db_raw(st), 0));
    oak_db_finish(st);
    return buf;
}

/* Rows with v = V, read on another connection (what is durable to others). */
static int other_count(sqlite3 *conn, const char *v)
{
    sqlite3_stmt *st;
    int n = -1;

    if (sqlite3_prepare_v2(conn, "SELECT count(*) FROM demo_t WHERE v = ?", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, v, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

static const struct oak_migration good[] = {
    { 1, "t", "CREATE TABLE demo_t (id INTEGER PRIMARY KEY, v TEXT UNIQUE);" },
    { 2, "i", "CREATE INDEX demo_t_v ON demo_t(v);" },
    { 0, NULL, NULL }
};
static const struct oak_migration edited[] = {
    { 1, "t", "CREATE TABLE demo_t (id INTEGER PRIMARY KEY, v TEXT);" },
    { 0, NULL, NULL }
};
static const struct oak_migration unprefixed[] = {
    { 1, "ok", "CREATE TABLE other_ok (id INTEGER);" },
    { 2, "bad", "CREATE TABLE users (id INTEGER);" },
    { 0, NULL, NULL }
};
static const struct oak_migration gap[] = {
    { 2, "skips one", "CREATE TABLE gap_t (id INTEGER);" },
    { 0, NULL, NULL }
};
static const struct oak_migration broken[] = {
    { 1, "syntax", "CREATE TABLE broken_t (;" },
    { 0, NULL, NULL }
};

int main(void)
{
    char path[256], bpath[256], err[512], buf[64];
    struct oak_db_options o = { 0 };
    struct oak_db *db;
    struct oak_error e;
    oak_stmt *a, *b, *c;
    int applied = -1;

    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/t.db", dir);
    snprintf(bpath, sizeof bpath, "%s/backup.db", dir);
    o.path = path;
    o.synchronous = 2;
    o.busy_timeout = 1000;

    db = oak_db_open(&o, err, sizeof err);
    ok(db != NULL, "open %s", path);
    oak_db_use(db);
    is_str(text1("PRAGMA journal_mode", buf, sizeof buf), "wal", "journal_mode is WAL");
    is_int(scalar("PRAGMA foreign_keys"), 1, "foreign_keys on");
    is_int(scalar("PRAGMA synchronous"), 2, "synchronous FULL");
    is_int(scalar("PRAGMA secure_delete"), 1, "secure_delete on");
    is_int(scalar("PRAGMA temp_store"), 2, "temp_store MEMORY (statement journals of group commit members)");
    ok(oak_db_ping(), "ping answers");

    /* migrations */
    {
        struct oak_db_migration_set sets[] = { { "demo", good } };

        is_int(oak_db_migrate(db, sets, 1, &applied, err, sizeof err), 0, "migrate good set");
        is_int(applied, 2, "two migrations applied");
        is_int(oak_db_migrate(db, sets, 1, &applied, err, sizeof err), 0, "migrate again");
        is_int(applied, 0, "second run applies nothing");
        is_int(scalar("SELECT count(*) FROM oak_migrations WHERE plugin='demo'"), 2, "recorded");
    }
    {
        struct oak_db_migration_set sets[] = { { "demo", edited } };

        is_int(oak_db_migrate(db, sets, 1, &applied, err, sizeof err), -1, "edited migration refused");
        ok(strstr(err, "changed after it was applied") != NULL, "message: %s", err);
    }
    {
        struct oak_db_migration_set sets[] = { { "other", unprefixed } };

        is_int(oak_db_migrate(db, sets, 1, &applied, err, sizeof err), -1, "unprefixed table refused");
        ok(strstr(err, "'users'") && strstr(err, "other_*"), "message names table and prefix: %s", err);
        is_int(scalar("SELECT count(*) FROM sqlite_schema WHERE name IN ('other_ok','users')"), 0,
               "whole batch rolled back");
        is_int(scalar("SELECT count(*) FROM oak_migrations WHERE plugin='other'"), 0, "nothing recorded");
    }
    {
        struct oak_db_migration_set sets[] = { { "gap", gap } };

        is_int(oak_db_migrate(db, sets, 1, &applied, err, sizeof err), -1, "version gap refused");
        ok(strstr(err, "expected 1") != NULL, "message: %s", err);
    }
    {
        struct oak_db_migration_set sets[] = { { "broken", broken } };

        is_int(oak_db_migrate(db, sets, 1, &applied, err, sizeof err), -1, "SQL error refused");
        ok(strstr(err, "plugin broken migration 1 (syntax)") != NULL, "message: %s", err);
    }

    /* statement cache */
    is_int(oak_db_prepare("SELECT 1", &a, &e), OAK_OK, "prepare");
    is_int(oak_db_prepare("SELECT 1", &b, &e), OAK_OK, "prepare same SQL while in use");
    ok(a != b, "in-use statement is not handed out twice");
    oak_db_finish(a);
    oak_db_finish(b);
    is_int(oak_db_prepare("SELECT 1", &c, &e), OAK_OK, "prepare after finish");
    ok(c == a || c == b, "finished statement is reused from the cache");
    oak_db_finish(c);
    is_int(oak_db_prepare("SELEC nonsense", &a, &e), OAK_ERROR, "syntax error is OAK_ERROR");
    ok(strstr(e.message, "syntax") != NULL, "message from SQLite: %s", e.message);
    ok(a == NULL, "no statement on failure");

    /* error mapping */
    is_int(oak_db_exec("INSERT INTO demo_t(v) VALUES ('x')", &e), OAK_OK, "insert");
    is_int(oak_db_exec("INSERT INTO demo_t(v) VALUES ('x')", &e), OAK_EEXIST, "unique -> OAK_EEXIST");
    is_int(oak_db_code(SQLITE_FULL, SQLITE_FULL), OAK_EIO, "disk full -> OAK_EIO");
    is_int(oak_db_code(SQLITE_BUSY, SQLITE_BUSY), OAK_EBUSY, "busy -> OAK_EBUSY");
    is_int(oak_db_code(SQLITE_CONSTRAINT, SQLITE_CONSTRAINT_FOREIGNKEY), OAK_ECONSTRAINT,
           "foreign key -> OAK_ECONSTRAINT");
    is_int(oak_db_code(SQLITE_READONLY, SQLITE_READONLY), OAK_EIO, "read-only -> OAK_EIO");

    /* transactions */
    is_int(oak_db_begin(&e), OAK_OK, "begin");
    ok(oak_db_in_tx(), "in transaction");
    is_int(oak_db_begin(&e), OAK_ESTATE, "nested begin refused");
    oak_db_exec("INSERT INTO demo_t(v) VALUES ('rolled back')", NULL);
    is_int(oak_db_rollback(), OAK_OK, "rollback");
    ok(!oak_db_in_tx(), "not in transaction");
    is_int(scalar("SELECT count(*) FROM demo_t WHERE v='rolled back'"), 0, "rollback discarded the row");
    is_int(oak_db_begin(&e), OAK_OK, "begin");
    oak_db_exec("INSERT INTO demo_t(v) VALUES ('kept')", NULL);
    is_int(oak_db_commit(&e), OAK_OK, "commit");
    is_int(scalar("SELECT count(*) FROM demo_t WHERE v='kept'"), 1, "commit kept the row");
    is_int(oak_db_commit(&e), OAK_ESTATE, "commit without begin refused");

    /* read-only mode, as while a script helper runs */
    oak_db_set_read_only(1);
    is_int(scalar("SELECT count(*) FROM demo_t WHERE v='kept'"), 1, "read-only: reading works");
    oak_db_prepare("INSERT INTO demo_t(v) VALUES ('sneaky')", &a, NULL);
    is_int(oak_db_step(a, &e), OAK_ESTATE, "read-only: an INSERT is refused");
    ok(strstr(e.message, "only read") != NULL, "with a clear message (%s)", e.message);
    oak_db_finish(a);
    is_int(oak_db_exec("DELETE FROM demo_t", &e), OAK_ESTATE, "read-only: exec refused");
    is_int(oak_db_begin(&e), OAK_ESTATE, "read-only: begin refused");
    oak_db_set_read_only(0);
    is_int(scalar("SELECT count(*) FROM demo_t WHERE v='sneaky'"), 0, "nothing was written");

    /* unfinished statements are reset by the core after a handler */
    oak_db_prepare("SELECT v FROM demo_t", &a, NULL);
    oak_db_step(a, NULL);
    is_int(oak_db_reset_all(), 1, "one forgotten statement reset");
    is_int(oak_db_reset_all(), 0, "none left");

    /* group commit: members of one batch, seen by a second connection */
    {
        struct oak_db *other = oak_db_open(&o, err, sizeof err);
        sqlite3 *oc = oak_db_sqlite(other);

        ok(other != NULL, "a second connection");
        oak_db_batch_start();
        ok(!oak_db_batch_open(), "batch: not open before a member begins");
        is_int(scalar("SELECT count(*) FROM demo_t"), 2, "batch: a read alone does not open it");
        ok(!oak_db_batch_open(), "batch: still not open after a read");
        is_int(oak_db_begin(&e), OAK_OK, "batch: first member begins");
        ok(oak_db_batch_open(), "batch: open once a member began");
        ok(oak_db_in_tx(), "batch: in a transaction inside a member");
        is_int(oak_db_begin(&e), OAK_ESTATE, "batch: a nested begin is refused");
        oak_db_exec("INSERT INTO demo_t(v) VALUES ('m1')", NULL);
        is_int(oak_db_commit(&e), OAK_OK, "batch: first member commits");
        ok(!oak_db_in_tx(), "batch: between members the handler is not in a transaction");
        is_int(other_count(oc, "m1"), 0, "batch: a committed member is not yet seen by others");
        is_int(oak_db_begin(&e), OAK_OK, "batch: second member begins");
        oak_db_exec("INSERT INTO demo_t(v) VALUES ('m2')", NULL);
        is_int(oak_db_rollback(), OAK_OK, "batch: second member rolls back");
        is_int(scalar("SELECT count(*) FROM demo_t WHERE v IN ('m1','m2')"), 1,
               "batch: the rollback undid the second member alone");
        is_int(oak_db_begin(&e), OAK_OK, "batch: third member begins");
        oak_db_exec("INSERT INTO demo_t(v) VALUES ('m3')", NULL);
        is_int(oak_db_exec("INSERT INTO demo_t(v) VALUES ('m1')", &e), OAK_EEXIST,
               "batch: a member's failing statement");
        is_int(oak_db_exec("COMMIT", &e), OAK_ESTATE, "batch: a raw COMMIT from a handler is refused");
        ok(strstr(e.message, "db_begin") != NULL, "with a message naming the way (%s)", e.message);
        is_int(oak_db_prepare("ROLLBACK", &a, &e), OAK_ESTATE, "batch: so is a prepared ROLLBACK");
        is_int(oak_db_exec("RELEASE oak_member", &e), OAK_ESTATE, "batch: and the member's savepoint");
        is_int(oak_db_exec("SAVEPOINT mine; INSERT INTO demo_t(v) VALUES ('sp'); ROLLBACK TO mine; RELEASE mine",
                           &e), OAK_OK, "batch: a handler's own savepoint works");
        ok(oak_db_in_tx(), "batch: the member is still open after all that");
        is_int(oak_db_commit(&e), OAK_OK, "batch: third member commits what it has");
        is_int(oak_db_rollback(), OAK_ESTATE, "batch: a rollback outside a member is refused");
        is_int(oak_db_batch_end(1, &e), OAK_OK, "batch: ends with one commit");
        ok(!oak_db_batch_open(), "batch: closed after its end");
        is_int(other_count(oc, "m1") + other_count(oc, "m3"), 2, "batch: both members now seen by others");
        is_int(other_count(oc, "m2"), 0, "batch: the rolled-back member never was");

        /* KEEP 0 undoes every member */
        oak_db_batch_start();
        oak_db_begin(&e);
        oak_db_exec("INSERT INTO demo_t(v) VALUES ('k1')", NULL);
        is_int(oak_db_commit(&e), OAK_OK, "batch: a member joins a batch that will not be kept");
        is_int(oak_db_batch_end(0, &e), OAK_EIO, "batch: ending it unkept reports the failure");
        is_int(scalar("SELECT count(*) FROM demo_t WHERE v='k1'"), 0, "batch: the member was rolled back");
        ok(sqlite3_get_autocommit(oak_db_sqlite(db)), "batch: no transaction left open");

        /* SQLite rolling the whole transaction back (as a full disk may) */
        oak_db_batch_start();
        oak_db_begin(&e);
        oak_db_exec("INSERT INTO demo_t(v) VALUES ('l1')", NULL);
        oak_db_commit(&e);
        sqlite3_exec(oak_db_sqlite(db), "ROLLBACK", NULL, NULL, NULL);
        is_int(oak_db_begin(&e), OAK_EIO, "batch lost: the next member is refused");
        ok(strstr(e.message, "rolled back") != NULL, "with a message (%s)", e.message);
        is_int(oak_db_exec("INSERT INTO demo_t(v) VALUES ('l2')", &e), OAK_EIO,
               "batch lost: a write in autocommit mode is refused too");
        is_int(oak_db_batch_end(1, &e), OAK_EIO, "batch lost: its end reports the failure");
        is_int(other_count(oc, "l1") + other_count(oc, "l2"), 0, "batch lost: nothing of it stored");
        is_int(oak_db_exec("INSERT INTO demo_t(v) VALUES ('after')", &e), OAK_OK,
               "after a lost batch the next write works");
        is_int(other_count(oc, "after"), 1, "and is committed at once outside a batch");

        /* a batch ended while a member is still open is not kept */
        oak_db_batch_start();
        oak_db_begin(&e);
        oak_db_exec("INSERT INTO demo_t(v) VALUES ('open')", NULL);
        is_int(oak_db_batch_end(1, &e), OAK_EIO, "batch: ended inside a member fails");
        ok(!oak_db_in_tx(), "batch: and leaves no transaction");
        is_int(scalar("SELECT count(*) FROM demo_t WHERE v='open'"), 0, "batch: the open member is gone");
        oak_db_close(other);
        oak_db_use(db);
    }

    /* the writers' turn, shared as the daemon's master shares it */
    {
        int to_parent[2], status = -1;
        pid_t child;
        double t0;
        char byte;

        is_int(oak_db_latch_share(), 0, "the latch and the writers' turn are shared");
        ok(pipe(to_parent) == 0, "a pipe");
        child = fork();
        if (child == 0) {
            struct oak_db *cdb = oak_db_open(&o, err, sizeof err);

            oak_db_use(cdb);
            if (oak_db_begin(NULL) == OAK_OK && oak_db_exec("INSERT INTO demo_t(v) VALUES ('dead')", NULL) == OAK_OK)
                (void)!write(to_parent[1], "b", 1);
            pause();                      /* holds the turn until killed */
            _exit(1);
        }
        close(to_parent[1]);
        ok(read(to_parent[0], &byte, 1) == 1, "another process began a write and holds the turn");
        t0 = oak_now_ms();
        is_int(oak_db_begin(&e), OAK_EBUSY, "turn: a begin waits, then gives up after busy_timeout");
        ok(oak_now_ms() - t0 >= 900, "not before busy_timeout (%.0f ms)", oak_now_ms() - t0);
        ok(strstr(e.message, "busy_timeout") != NULL, "saying why (%s)", e.message);
        ok(!oak_db_in_tx(), "turn: no transaction after the refusal");
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
        ok(WIFSIGNALED(status), "the holder is killed while it holds the turn");
        t0 = oak_now_ms();
        is_int(oak_db_begin(&e), OAK_OK, "turn: the next begin gets it (the dead holder's is taken over)");
        ok(oak_now_ms() - t0 < 900, "at once (%.0f ms)", oak_now_ms() - t0);
        is_int(scalar("SELECT count(*) FROM demo_t WHERE v='dead'"), 0, "the dead holder's write is not there");
        is_int(oak_db_rollback(), OAK_OK, "rollback gives the turn back");
        is_int(oak_db_begin(&e), OAK_OK, "so it can be taken again");
        is_int(oak_db_commit(&e), OAK_OK, "and commit gives it back too");
        oak_db_batch_start();
        is_int(oak_db_begin(&e), OAK_OK, "a batch takes the turn with its first member");
        is_int(oak_db_commit(&e), OAK_OK, "the member commits");
        is_int(oak_db_batch_end(1, &e), OAK_OK, "the batch ends");
        is_int(oak_db_begin(&e), OAK_OK, "and gave the turn back");
        oak_db_rollback();
        close(to_parent[0]);
    }

    /* the checkpoint of a commit in the turn runs once the turn is given
     * back; a batch's waits until its answers are out (oak_db_checkpoint_due) */
    {
        struct oak_db_options co = o;
        struct oak_db *ck;
        struct stat st;
        off_t before;

        co.checkpoint_frames = 1;
        ck = oak_db_open(&co, err, sizeof err);
        oak_db_use(ck);
        oak_db_exec("PRAGMA wal_checkpoint(TRUNCATE)", NULL);
        before = stat(path, &st) == 0 ? st.st_size : -1;
        oak_db_batch_start();
        ok(oak_db_begin(&e) == OAK_OK &&
           oak_db_exec("INSERT INTO demo_t(v) VALUES (hex(randomblob(30000)))", NULL) == OAK_OK &&
           oak_db_commit(&e) == OAK_OK, "a batch member writes 60 kB");
        is_int(oak_db_batch_end(1, &e), OAK_OK, "the batch commits");
        stat(path, &st);
        ok(st.st_size == before, "its checkpoint has not run yet (%lld bytes)", (long long)st.st_size);
        ok(!oak_db_in_tx() && oak_db_begin(&e) == OAK_OK && oak_db_rollback() == OAK_OK,
           "and the turn is free meanwhile");
        oak_db_checkpoint_due();
        stat(path, &st);
        ok(st.st_size > before + 50000, "oak_db_checkpoint_due runs it (%lld bytes)", (long long)st.st_size);
        before = st.st_size;
        oak_db_checkpoint_due();
        stat(path, &st);
        ok(st.st_size == before, "and only once");
        ok(oak_db_begin(&e) == OAK_OK &&
           oak_db_exec("INSERT INTO demo_t(v) VALUES (hex(randomblob(30000)))", NULL) == OAK_OK &&
           oak_db_commit(&e) == OAK_OK, "a transaction outside a batch writes 60 kB more");
        stat(path, &st);
        ok(st.st_size > before + 50000, "its checkpoint ran as it gave the turn back (%lld bytes)",
           (long long)st.st_size);
        oak_db_exec("DELETE FROM demo_t WHERE length(v) = 60000", NULL);
        oak_db_close(ck);
        oak_db_use(db);
    }

    /* backup and restore */
    is_int(oak_db_backup(db, bpath, err, sizeof err), 0, "backup");
    ok(access(bpath, F_OK) == 0, "backup file exists");
    oak_db_exec("INSERT INTO demo_t(v) VALUES ('after backup')", NULL);
    oak_db_close(db);
    is_int(oak_db_restore(path, bpath, err, sizeof err), 0, "restore");
    db = oak_db_open(&o, err, sizeof err);
    oak_db_use(db);
    is_int(scalar("SELECT count(*) FROM demo_t WHERE v='after backup'"), 0, "later row gone after restore");
    is_int(scalar("SELECT count(*) FROM demo_t WHERE v='kept'"), 1, "earlier row restored");
    {
        char junk[256];
        FILE *f;

        snprintf(junk, sizeof junk, "%s/junk.db", dir);
        f = fopen(junk, "w");
        fputs("this is not a database, just text long enough to look like a header........", f);
        fclose(f);
        is_int(oak_db_restore(path, junk, err, sizeof err), -1, "restore of a non-database refused");
        ok(err[0] != '\0', "message: %s", err);
        unlink(junk);
    }
    oak_db_close(db);
    oak_db_use(NULL);
    is_int(oak_db_prepare("SELECT 1", &a, &e), OAK_ESTATE, "no connection -> OAK_ESTATE");

    {
        char cmd[300];

        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        ok(system(cmd) == 0, "temp dir removed");
    }
    return done_testing();
}
