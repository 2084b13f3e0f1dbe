/*
 * lookup_fcgi.c - the bare libfcgi peer of tests/bench/run.sh: what a
 * FastCGI program costs with no framework at all. One indexed SQLite
 * look-up answered as JSON (GET .../lookup?n=NUMBER), or one one-row
 * INSERT (POST .../insert), on the same WAL database settings oakseed
 * uses (synchronous=FULL).
 *
 *   lookup_fcgi SOCKET DB CHILDREN
 *
 * Listens on the unix socket SOCKET and forks CHILDREN processes, each
 * with its own connection, in the classic blocking FCGX_Accept_r loop.
 * SIGTERM to the parent stops the children. Benchmark code only: it
 * trusts its input (the harness sends it) and is never installed.
 */
#include <fcgiapp.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int serve(int fd, const char *path)
{
    sqlite3 *db;
    sqlite3_stmt *get, *put;
    FCGX_Request r;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                         "PRAGMA busy_timeout=5000", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT number, status, region, month FROM peer_donors "
                               "WHERE number = ?", -1, &get, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO peer_events(number, at) VALUES (?, ?)", -1, &put,
                           NULL) != SQLITE_OK) {
        fprintf(stderr, "lookup_fcgi: %s: %s\n", path, sqlite3_errmsg(db));
        return 1;
    }
    FCGX_Init();
    FCGX_InitRequest(&r, fd, 0);
    while (FCGX_Accept_r(&r) == 0) {
        const char *uri = FCGX_GetParam("REQUEST_URI", r.envp);
        const char *q = FCGX_GetParam("QUERY_STRING", r.envp);
        const char *n = q && strncmp(q, "n=", 2) == 0 ? q + 2 : "";

        if (uri && strstr(uri, "/insert")) {
            sqlite3_bind_text(put, 1, "D530502-22222222", -1, SQLITE_STATIC);
            sqlite3_bind_int64(put, 2, (sqlite3_int64)time(NULL));
            if (sqlite3_step(put) == SQLITE_DONE)
                FCGX_FPrintF(r.out, "Status: 201 Created\r\nContent-Type: application/json\r\n\r\n"
                                    "{\"id\":%lld}", (long long)sqlite3_last_insert_rowid(db));
            else
                FCGX_FPrintF(r.out, "Status: 500\r\nContent-Type: application/json\r\n\r\n{}");
            sqlite3_reset(put);
        } else {
            sqlite3_bind_text(get, 1, n, -1, SQLITE_STATIC);
            if (sqlite3_step(get) == SQLITE_ROW)
                FCGX_FPrintF(r.out, "Content-Type: application/json\r\n\r\n"
                                    "{\"number\":\"%s\",\"status\":\"%s\",\"region\":%d,\"month\":\"%s\"}",
                             sqlite3_column_text(get, 0), sqlite3_column_text(get, 1),
                             sqlite3_column_int(get, 2), sqlite3_column_text(get, 3));
            else
                FCGX_FPrintF(r.out, "Status: 404\r\nContent-Type: application/json\r\n\r\n{}");
            sqlite3_reset(get);
        }
        FCGX_Finish_r(&r);
    }
    sqlite3_finalize(get);
    sqlite3_finalize(put);
    sqlite3_close(db);
    return 0;
}

int main(int argc, char **argv)
{
    int fd, n = argc > 3 ? atoi(argv[3]) : 2;
    pid_t kids[64];
    sigset_t set;
    int sig;

    if (argc < 3 || n < 1 || n > 64) {
        fprintf(stderr, "usage: lookup_fcgi SOCKET DB CHILDREN\n");
        return 2;
    }
    unlink(argv[1]);
    fd = FCGX_OpenSocket(argv[1], 128);
    if (fd < 0) {
        perror("lookup_fcgi: socket");
        return 1;
    }
    chmod(argv[1], 0666);            /* nginx's workers may run as another user */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    for (int i = 0; i < n; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            sigprocmask(SIG_UNBLOCK, &set, NULL);
            _exit(serve(fd, argv[2]));
        }
    }
    sigwait(&set, &sig);
    for (int i = 0; i < n; i++)
        if (kids[i] > 0)
            kill(kids[i], SIGTERM);
    while (wait(NULL) > 0)
        ;
    unlink(argv[1]);
    return 0;
}
