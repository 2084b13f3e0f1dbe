/*
 * test_audit.c - the hash-chained audit log: appends chain, verify passes,
 * the triggers refuse UPDATE and DELETE, and an edit, a reordering (two
 * rows swapped, by their ids or by their contents) or a removal done behind
 * the triggers' back is found by verify; a head recorded earlier shows rows
 * cut off the end, which the chain alone cannot.
 */
#include "audit.h"
#include "db.h"
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

static const struct oak_migration schema[] = {
    { 1, "audit",
      "CREATE TABLE core_audit (id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor_id INTEGER,"
      " actor TEXT NOT NULL, action TEXT NOT NULL, object_type TEXT NOT NULL, object_id TEXT NOT NULL,"
      " region INTEGER NOT NULL, detail TEXT NOT NULL, request_id TEXT NOT NULL,"
      " prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
      "CREATE TRIGGER core_audit_no_update BEFORE UPDATE ON core_audit"
      " BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
      "CREATE TRIGGER core_audit_no_delete BEFORE DELETE ON core_audit"
      " BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;" },
    { 0, NULL, NULL }
};

static int add(const char *action, const char *oid, int region)
{
    struct oak_audit_entry e = { 7, "alice", action, "registration", oid, region, "reason: follow-up", "rid" };

    return oak_audit_append(&e, NULL);
}

/* The first column of the first row of SQL, as text ("" when none). */
static const char *sql_text(const char *sql)
{
    static char out[128];
    oak_stmt *st;

    out[0] = '\0';
    if (oak_db_prepare(sql, &st, NULL) != OAK_OK)
        return out;
    if (oak_db_step(st, NULL) == OAK_ROW)
        snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(oak_db_raw(st), 0));
    oak_db_finish(st);
    return out;
}

static int verify(long long *count, long long *bad, char *err, size_t len)
{
    char head[65];

    return oak_audit_verify(oak_db_current(), count, head, bad, err, len);
}

int main(void)
{
    char dir[] = "/tmp/oak-test-audit-XXXXXX", path[256], err[512];
    struct oak_db_options o = { 0 };
    struct oak_db_migration_set set = { "core", schema };
    struct oak_error e;
    struct oak_db *db;
    long long count, bad;
    int applied;

    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/a.db", dir);
    o.path = path;
    o.synchronous = 1;
    o.busy_timeout = 1000;
    db = oak_db_open(&o, err, sizeof err);
    oak_db_use(db);
    is_int(oak_db_migrate(db, &set, 1, &applied, err, sizeof err), 0, "schema");

    is_int(verify(&count, &bad, err, sizeof err), 0, "empty log verifies");
    is_int(count, 0, "no rows");
    for (int i = 1; i <= 5; i++) {
        char id[8];

        snprintf(id, sizeof id, "%d", i);
        is_int(add("registry.read", id, 530500), OAK_OK, "append %d", i);
    }
    oak_db_begin(NULL);
    is_int(add("registry.update", "6", 530500), OAK_OK, "append inside the caller's transaction");
    oak_db_commit(NULL);
    is_int(verify(&count, &bad, err, sizeof err), 0, "chain verifies");
    is_int(count, 6, "six rows");
    {
        struct oak_audit_entry bad_e = { 0, "x", NULL, "t", "1", 0, NULL, NULL };

        is_int(oak_audit_append(&bad_e, &e), OAK_EINVAL, "missing action refused");
    }
    is_int(oak_db_exec("UPDATE core_audit SET actor='mallory' WHERE id=2", &e), OAK_ECONSTRAINT,
           "UPDATE refused by trigger");
    ok(strstr(e.message, "append-only") != NULL, "message: %s", e.message);
    is_int(oak_db_exec("DELETE FROM core_audit WHERE id=2", &e), OAK_ECONSTRAINT, "DELETE refused by trigger");

    /* a tamperer with write access drops the triggers first */
    oak_db_exec("DROP TRIGGER core_audit_no_update; DROP TRIGGER core_audit_no_delete", NULL);
    oak_db_exec("UPDATE core_audit SET object_id='99' WHERE id=3", NULL);
    is_int(verify(&count, &bad, err, sizeof err), -1, "edited row detected");
    is_int(bad, 3, "first bad row is 3");
    ok(strstr(err, "altered") != NULL, "message: %s", err);
    oak_db_exec("UPDATE core_audit SET object_id='3' WHERE id=3", NULL);
    is_int(verify(&count, &bad, err, sizeof err), 0, "restored row verifies again");

    /* reordering: rows 2 and 3 trade places by their ids */
    is_int(oak_db_exec("UPDATE core_audit SET id = -3 WHERE id = 3;"
                       "UPDATE core_audit SET id = 3 WHERE id = 2;"
                       "UPDATE core_audit SET id = 2 WHERE id = -3", &e), OAK_OK, "swap the ids of rows 2 and 3");
    is_str(sql_text("SELECT object_id FROM core_audit WHERE id = 2"), "3", "row 2 now holds the third entry");
    is_int(verify(&count, &bad, err, sizeof err), -1, "swapped ids detected");
    is_int(bad, 2, "the first row out of place is reported");
    ok(strstr(err, "reordered") != NULL, "message: %s", err);
    oak_db_exec("UPDATE core_audit SET id = -3 WHERE id = 3;"
                "UPDATE core_audit SET id = 3 WHERE id = 2;"
                "UPDATE core_audit SET id = 2 WHERE id = -3", NULL);
    is_int(verify(&count, &bad, err, sizeof err), 0, "swapped back: verifies again");

    /* reordering: rows 4 and 5 trade contents (every column but id) */
    {
        static const char cols[] = "at, actor_id, actor, action, object_type, object_id, region,"
                                   " detail, request_id, prev_hash, hash";
        char sqlbuf[1024];

        snprintf(sqlbuf, sizeof sqlbuf,
                 "CREATE TEMP TABLE t AS SELECT * FROM core_audit WHERE id IN (4, 5);"
                 "UPDATE core_audit SET (%s) = (SELECT %s FROM t WHERE t.id = 9 - core_audit.id)"
                 " WHERE id IN (4, 5); DROP TABLE t", cols, cols);
        is_int(oak_db_exec(sqlbuf, &e), OAK_OK, "swap the contents of rows 4 and 5");
        is_str(sql_text("SELECT object_id FROM core_audit WHERE id = 4"), "5", "row 4 now holds the fifth entry");
        is_int(verify(&count, &bad, err, sizeof err), -1, "swapped contents detected");
        is_int(bad, 4, "the first row out of place is reported");
        ok(strstr(err, "does not follow") != NULL, "message: %s", err);
        is_int(oak_db_exec(sqlbuf, &e), OAK_OK, "swap them back");
        is_int(verify(&count, &bad, err, sizeof err), 0, "verifies again");
    }

    /* a head recorded earlier shows a truncated end */
    {
        char head[65], recorded[65], hbuf[65];
        long long head_id;

        is_int(oak_audit_verify(oak_db_current(), &count, recorded, &bad, err, sizeof err), 0, "record the head");
        is_int(oak_audit_verify_head(oak_db_current(), recorded, &count, head, &head_id, &bad, err, sizeof err), 0,
               "the recorded head is in the chain");
        is_int(head_id, 6, "at the last row");
        is_int(add("registry.read", "7", 530500), OAK_OK, "append a seventh row");
        is_int(oak_audit_verify_head(oak_db_current(), recorded, &count, head, &head_id, &bad, err, sizeof err), 0,
               "a recorded head followed by newer rows verifies");
        is_int(head_id, 6, "still found at row 6");
        snprintf(hbuf, sizeof hbuf, "%s", sql_text("SELECT hash FROM core_audit WHERE id = 7"));
        oak_db_exec("DELETE FROM core_audit WHERE id >= 6", NULL);
        is_int(verify(&count, &bad, err, sizeof err), 0, "cutting off the end leaves an intact chain");
        is_int(count, 5, "of five rows");
        is_int(oak_audit_verify_head(oak_db_current(), recorded, &count, head, &head_id, &bad, err, sizeof err), -1,
               "but the recorded head is missing");
        is_int(bad, 0, "no row is to blame");
        ok(strstr(err, "cut off the end") != NULL, "message: %s", err);
        is_int(oak_audit_verify_head(oak_db_current(), hbuf, &count, head, &head_id, &bad, err, sizeof err), -1,
               "a later recorded head is missing too");
        is_int(oak_audit_verify_head(oak_db_current(), NULL, &count, head, &head_id, &bad, err, sizeof err), 0,
               "without a recorded head: as verify");
    }
    oak_db_exec("DELETE FROM core_audit WHERE id=4", NULL);
    is_int(verify(&count, &bad, err, sizeof err), -1, "removed row detected");
    is_int(bad, 5, "the row after the gap is reported");
    ok(strstr(err, "does not follow") != NULL, "message: %s", err);

    oak_db_close(db);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    ok(system(path) == 0, "temp dir removed");
    return done_testing();
}
