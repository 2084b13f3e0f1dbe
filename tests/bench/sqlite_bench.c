/*
 * sqlite_bench.c - raw SQLite without HTTP, the floor the write target of
 * tests/bench/run.sh is measured against: one-row INSERTs, each its own
 * transaction, at synchronous=FULL (fsync-bound, what oakseed runs with)
 * and NORMAL, and indexed point look-ups, in WAL mode like oakseed.
 *
 *   tests/bench/sqlite_bench DIR SECONDS
 *
 * Writes a scratch database in DIR (removed after) and prints one
 * "name value" line per measurement (per second). Never asserts timings.
 */
#include "clock.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static sqlite3 *db;

static void exec(const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "sqlite_bench: %s: %s\n", sql, msg ? msg : "?");
        exit(1);
    }
}

/* Run SQL (one ? bound to a counter) for SECONDS; returns rows per second. */
static double rate(const char *sql, double seconds, long modulo)
{
    sqlite3_stmt *st;
    double t0 = oak_now_ms(), t;
    long n = 0;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "sqlite_bench: %s\n", sqlite3_errmsg(db));
        exit(1);
    }
    do {
        for (int i = 0; i < 16; i++, n++) {
            sqlite3_bind_int64(st, 1, modulo ? n % modulo + 1 : n);
            if (sqlite3_step(st) == SQLITE_ERROR) {
                fprintf(stderr, "sqlite_bench: %s\n", sqlite3_errmsg(db));
                exit(1);
            }
            sqlite3_reset(st);
        }
        t = oak_now_ms() - t0;
    } while (t < seconds * 1000.0);
    sqlite3_finalize(st);
    return (double)n * 1000.0 / t;
}

int main(int argc, char **argv)
{
    char path[4096];
    double secs = argc > 2 ? atof(argv[2]) : 2;

    if (argc < 2 || secs <= 0) {
        fprintf(stderr, "usage: sqlite_bench DIR SECONDS\n");
        return 2;
    }
    snprintf(path, sizeof path, "%s/sqlite_bench.db", argv[1]);
    unlink(path);
    if (sqlite3_open(path, &db) != SQLITE_OK)
        return 1;
    exec("PRAGMA journal_mode=WAL");
    exec("CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER, v TEXT)");
    exec("PRAGMA synchronous=FULL");
    printf("insert_full %.0f\n", rate("INSERT INTO t(k, v) VALUES (?, 'x')", secs, 0));
    exec("PRAGMA synchronous=NORMAL");
    printf("insert_normal %.0f\n", rate("INSERT INTO t(k, v) VALUES (?, 'x')", secs, 0));
    exec("CREATE INDEX t_k ON t(k)");
    printf("lookup %.0f\n", rate("SELECT v FROM t WHERE k = ?", secs, 1000));
    sqlite3_close(db);
    snprintf(path, sizeof path, "%s/sqlite_bench.db", argv[1]);
    unlink(path);
    snprintf(path, sizeof path, "%s/sqlite_bench.db-wal", argv[1]);
    unlink(path);
    snprintf(path, sizeof path, "%s/sqlite_bench.db-shm", argv[1]);
    unlink(path);
    return 0;
}
