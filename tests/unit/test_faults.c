/*
 * test_faults.c - allocation and I/O failure sweeps of a donor registration
 * through the real pipeline (parse, dispatch, the registry plugin, Lua
 * rules, sealing, audit, commit, and the bytes a worker sends) without
 * FastCGI.
 *
 * Each sweep fails the Nth event of one kind for N = 1, 2, ... until a
 * registration runs without reaching N (or the cap is hit):
 *   sqlite  - SQLite's allocations (SQLITE_CONFIG_MALLOC wrapper);
 *   malloc  - every other allocation of the process: oakseed allocates with
 *             malloc/realloc directly (arena.c, buf.c, http.c, the Lua
 *             sandbox's lua_Alloc) and so do jansson and OpenSSL, which
 *             oakseed leaves on their default allocators; this program
 *             replaces malloc, calloc and realloc (glibc supports that) to
 *             reach all of them; skipped under ASan and valgrind, which
 *             own malloc;
 *   write   - each write of a database file (faultvfs.h, a VFS shim
 *             registered over the default one in this program only), also
 *             while the connection closes (its checkpoint);
 *   sync    - each sync of a database file, likewise;
 * and write, sync and sqlite again on a connection that checkpoints after
 * every commit (oak_db_options.checkpoint_frames = 1; db.c runs the
 * checkpoint itself and notes its failures, see wal_hook), so that the
 * checkpoint's writes and syncs fail too.
 *
 * Each case runs in a child process, as a worker does (its own
 * connection, forked from the process that loaded plugins and keys). What
 * it sends (oak_resp_output: the static 500 when there is no answer or no
 * memory for it) must be 201, or a 5xx with the error envelope. After a
 * write or sync failed during the registration the next registration must
 * be refused with 503 (the write latch), also when it was answered 201 (a
 * checkpoint after the commit failed); one that failed only while the
 * connection closed, after the answer, is harmless (sqlite3_close keeps
 * the WAL). The parent then opens the database afresh and checks: an
 * acknowledged registration is there, nothing is half-written (every row
 * has its sealed fields, revision 1 and audit row), integrity_check is ok,
 * and a registration answered with an error is not stored. An allocation
 * failure may never leave one stored (that is a donor answered 500 whose
 * registration exists: no access code, and a retry gets 409); after an
 * I/O failure it may be: its WAL frames were written, whether they reached
 * the disk is unknown, and recovery may bring back the complete
 * transaction.
 *
 * OAK_FAULTS_CAP bounds N per sweep (default 4000; a registration needs
 * about 800 SQLite and 1,800 other allocations, 35 writes and 5 syncs).
 * OAK_FAULTS_STRIDE=S fails only every Sth allocation (N = 1, 1+S, ...):
 * make check-valgrind sets it, where every case costs a second or more;
 * the I/O sweeps, a few dozen cases, always take every N.
 * OAK_FAULTS_VERBOSE=1 prints every case's outcome.
 */
#include "app.h"
#include "auth.h"
#include "db.h"
#include "keyfile.h"
#include "pipeline.h"
#include "tap.h"
#include "worker.h"

#include "../plugins/faultvfs.h"

#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- failing allocations ----------------------------------------------------- */

enum kind { K_SQLITE, K_MALLOC, K_WRITE, K_SYNC };
static const char *const kind_name[] = { "sqlite", "malloc", "write", "sync" };

static _Thread_local int in_sqlite;      /* inside SQLite's allocator: not ours */
static int armed_kind = -1;
static long fail_at, count;
static int hit;

static int should_fail(enum kind k)
{
    if (armed_kind != (int)k || hit)
        return 0;
    if (++count == fail_at) {
        hit = 1;
        return 1;
    }
    return 0;
}

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define OWNED_MALLOC 1
#endif
#endif
#if !defined(__SANITIZE_ADDRESS__) && !defined(OWNED_MALLOC)
#define REPLACE_MALLOC 1
void *malloc(size_t n)
{
    return !in_sqlite && should_fail(K_MALLOC) ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    return !in_sqlite && should_fail(K_MALLOC) ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    return n && !in_sqlite && should_fail(K_MALLOC) ? NULL : __libc_realloc(p, n);
}
#endif

static sqlite3_mem_methods sq_orig;

static void *sq_malloc(int n)
{
    void *p;

    if (should_fail(K_SQLITE))
        return NULL;
    in_sqlite++;
    p = sq_orig.xMalloc(n);
    in_sqlite--;
    return p;
}

static void sq_free(void *p)
{
    in_sqlite++;
    sq_orig.xFree(p);
    in_sqlite--;
}

static void *sq_realloc(void *p, int n)
{
    void *r;

    if (should_fail(K_SQLITE))
        return NULL;
    in_sqlite++;
    r = sq_orig.xRealloc(p, n);
    in_sqlite--;
    return r;
}

static int sq_size(void *p) { return sq_orig.xSize(p); }
static int sq_roundup(int n) { return sq_orig.xRoundup(n); }
static int sq_init(void *ud) { return sq_orig.xInit(ud); }
static void sq_shutdown(void *ud) { sq_orig.xShutdown(ud); }

static sqlite3_mem_methods sq_wrap = {
    sq_malloc, sq_free, sq_realloc, sq_size, sq_roundup, sq_init, sq_shutdown, NULL
};

/* ---- one case ------------------------------------------------------------------- */

static struct oak_app *app;
static int seq;
static const char *sweep_name = "";  /* of the running sweep, for messages */

/* A resident ID number of 保山 隆阳区 born 1980-1999 with its check character. */
static void make_id(int n, char out[19])
{
    static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    char tmp[64];
    int s = 0;

    n = n < 0 ? 0 : n % 60000;
    snprintf(tmp, sizeof tmp, "530502%04d%02d%02d%03d", 1980 + n / 3000 % 20, 1 + n / 250 % 12,
             1 + n / 10 % 25, n % 10 + 100);
    memcpy(out, tmp, 17);
    for (int i = 0; i < 17; i++)
        s += (out[i] - '0') * w[i];
    out[17] = "10X98765432"[s % 11];
    out[18] = '\0';
}

static int register_one(void)
{
    char id[19], body[1024];

    make_id(seq++, id);
    snprintf(body, sizeof body,
             "{\"name\":\"张丽华\",\"id_number\":\"%s\",\"ethnicity\":\"汉族\",\"mobile\":\"13987651234\","
             "\"region\":\"530502\",\"donation\":{\"organs\":[\"kidneys\"]},"
             "\"emergency_contact\":{\"name\":\"张建国\",\"relation\":\"父亲\",\"mobile\":\"13600001111\"},"
             "\"consents\":{\"voluntary\":true,\"informed\":true,\"revocable\":true}}", id);
    return pipeline_run(app, NULL, "POST", "/api/registry/donors", "application/json", body, 0);
}

/* The error code of the answer as sent (pl_sent, which is the static 500
 * when there was no answer or no memory to send one), parsed again now
 * nothing fails. */
static const char *answer_code(void)
{
    const char *b = pl_sent ? strstr(pl_sent, "\r\n\r\n") : NULL;

    json_decref(last);
    last = b ? json_loads(b + 4, 0, NULL) : NULL;
    return code_of();
}

enum outcome {
    O_ERROR = 0, O_OK = 1, O_BAD = 2, O_NOT_LATCHED = 3, O_SETUP = 4,
    O_HARMLESS = 5,     /* 201; the write or sync failed only while closing, after it */
    O_UNTOUCHED = 10
};

static int is_io(enum kind k) { return k == K_WRITE || k == K_SYNC; }

/* In the child: open a connection (checkpointing past CKPT WAL frames, 0:
 * the default), fail the Nth event of KIND during one registration (and,
 * for writes and syncs, while the connection closes: its checkpoint),
 * classify the answer. */
static int child_case(enum kind k, long n, int ckpt)
{
    struct oak_db_options o = { .path = app->cfg.db_path, .synchronous = 2, .busy_timeout = 2000,
                                .checkpoint_frames = ckpt };
    char err[512];
    struct oak_db *db = oak_db_open(&o, err, sizeof err);
    int status, result;
    const char *code;

    if (!db || oak_auth_register_sql(oak_db_sqlite(db)) < 0)
        return O_SETUP;
    oak_db_use(db);
    count = 0;
    hit = 0;
    fail_at = n;
    if (k == K_WRITE)
        fv_fail_write_at = n;
    else if (k == K_SYNC)
        fv_fail_sync_at = n;
    else
        armed_kind = (int)k;
    status = register_one();
    armed_kind = -1;
    if (is_io(k))
        hit = fv_failed > 0;
    code = answer_code();
    if (!hit)
        result = status == 201 ? O_UNTOUCHED : O_BAD;
    else if (status == 201)
        result = O_OK;
    else if (status >= 500 && status <= 599 && code && *code)
        result = O_ERROR;
    else
        result = O_BAD;
    if (result == O_BAD)
        printf("# %s N=%ld: status %d, code %s, body %.200s\n", sweep_name, n, status,
                code ? code : "(none)", pl_sent ? pl_sent : "");
    /* A write or sync that failed while the registration ran must have
     * been noticed, whatever the answer: an error, or a 201 whose commit
     * was synced before the failure (a checkpoint after it); the next
     * write is refused either way (the latch). */
    if ((result == O_ERROR || result == O_OK) && is_io(k) && (status = register_one()) != 503) {
        printf("# %s N=%ld: %s, and the next registration got %d, not 503\n", sweep_name, n,
               result == O_OK ? "201 despite the failure" : "an error", status);
        result = O_NOT_LATCHED;
    }
    oak_db_close(db);
    if (result == O_UNTOUCHED && is_io(k) && fv_failed > 0)
        result = O_HARMLESS;    /* only the checkpoint of sqlite3_close failed (see db.c) */
    if (getenv("OAK_FAULTS_VERBOSE"))
        printf("# %s N=%ld: outcome %d\n", sweep_name, n, result);
    fv_fail_write_at = fv_fail_sync_at = 0;
    fflush(stdout);
    return result;
}

static long long scalar(sqlite3 *c, const char *sql)
{
    sqlite3_stmt *st;
    long long v = -1;

    if (sqlite3_prepare_v2(c, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static const char *const half_written_sql =
    "SELECT count(*) FROM registry_donors d WHERE d.name_enc IS NULL OR d.id_enc IS NULL"
    " OR d.mobile_enc IS NULL OR d.contact_enc IS NULL"
    " OR NOT EXISTS (SELECT 1 FROM registry_donor_revisions r WHERE r.donor_id = d.id AND r.revision = 1)"
    " OR NOT EXISTS (SELECT 1 FROM core_audit a WHERE a.action = 'registry.donor.create'"
    " AND a.object_id = d.number)";

struct sweep {
    long cases, errors, oks, harmless, stored_on_error, bad;
    long last_n;
    int done;
};

/* Check the database after a case: 0 when consistent. */
static int check_db(struct sweep *sw, enum kind k, long n, int outcome, long long before, long long *after)
{
    sqlite3 *c = NULL;
    char *ic = NULL;
    int rc = 0;
    long long rows, half;
    sqlite3_stmt *st;

    if (sqlite3_open_v2(app->cfg.db_path, &c, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sqlite3_close(c);
        return -1;
    }
    rows = scalar(c, "SELECT count(*) FROM registry_donors");
    half = scalar(c, half_written_sql);
    if (sqlite3_prepare_v2(c, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        ic = sqlite3_mprintf("%s", sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(c);
    *after = rows;
    if (half != 0 || !ic || strcmp(ic, "ok") != 0) {
        printf("# %s N=%ld: %lld half-written rows, quick_check %s\n", sweep_name, n, half,
               ic ? ic : "(failed)");
        rc = -1;
    } else if ((outcome == O_OK || outcome == O_UNTOUCHED || outcome == O_HARMLESS) && rows != before + 1) {
        printf("# %s N=%ld: acknowledged, but %lld rows (before %lld)\n", sweep_name, n, rows, before);
        rc = -1;
    } else if (outcome == O_ERROR && rows == before + 1 && is_io(k)) {
        /* its WAL frames were written, only a later write or the sync
         * failed: whether they are on the disk is unknown, and recovery
         * may bring back the complete transaction (never acknowledged;
         * the donor's retry gets 409) */
        sw->stored_on_error++;
    } else if (outcome == O_ERROR && rows == before + 1) {
        /* a failed allocation cannot make a stored registration unsure:
         * an error answer for one that is there is a lost access code */
        printf("# %s N=%ld: answered an error, but the registration was stored (committed before the "
               "answer failed)\n", sweep_name, n);
        rc = -1;
    } else if (outcome == O_ERROR && rows != before) {
        printf("# %s N=%ld: error, but %lld rows (before %lld)\n", sweep_name, n, rows, before);
        rc = -1;
    }
    sqlite3_free(ic);
    return rc;
}

static char child_err[4200];

/* A case that aborts says where, on its stderr (shown by show_tail). */
static void on_abort(int sig)
{
    void *frames[48];
    int n = backtrace(frames, 48);

    backtrace_symbols_fd(frames, n, 2);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* The last lines a dead case wrote to stderr, as TAP comments. */
static void show_tail(const char *path)
{
    char buf[1024];
    FILE *f = fopen(path, "r");
    long size;
    size_t n;

    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, size > (long)sizeof buf - 1 ? size - (long)sizeof buf + 1 : 0, SEEK_SET);
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        printf("#   %s\n", line);
}

static long alloc_stride = 1;

/* Sweep KIND over N = 1, 2, ... (CKPT as for child_case). */
static void run_sweep(enum kind k, long cap, long long *rows, int ckpt)
{
    long step = is_io(k) ? 1 : alloc_stride;
    struct sweep sw = { 0 };
    char name[64];

    snprintf(name, sizeof name, "%s%s", kind_name[k], ckpt ? " (checkpoint at every commit)" : "");
    sweep_name = name;

    for (long n = 1; n <= cap && !sw.done; n += step) {
        int status, outcome;
        pid_t pid;
        long long after;

        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid == 0) {
            /* the log (stderr) would drown the TAP output: keep it in a
             * file, shown only when the case dies */
            if (!freopen(child_err, "w", stderr))
                _exit(O_SETUP);
            signal(SIGABRT, on_abort);
            _exit(child_case(k, n, ckpt));
        }
        seq++;      /* the child used this ID number */
        if (is_io(k))
            seq++;  /* and the one its latch check used */
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        sw.cases++;
        sw.last_n = n;
        if (WIFSIGNALED(status)) {
            printf("# %s N=%ld: the worker died of signal %d\n", name, n, WTERMSIG(status));
            show_tail(child_err);
            sw.bad++;
            continue;
        }
        outcome = WEXITSTATUS(status);
        if (outcome == O_UNTOUCHED)
            sw.done = 1;
        else if (outcome == O_OK)
            sw.oks++;
        else if (outcome == O_HARMLESS)
            sw.harmless++;
        else if (outcome == O_ERROR)
            sw.errors++;
        else
            sw.bad++;
        if (check_db(&sw, k, n, outcome, *rows, &after) < 0)
            sw.bad++;
        *rows = after;
        if (sw.bad > 20)
            break;
    }
    if (step > 1)
        printf("# %s: every %ldth N only (OAK_FAULTS_STRIDE)\n", name, step);
    printf("# %s: %ld cases up to N=%ld: %ld error answers (%ld of them stored complete after an I/O "
           "failure), %ld successes despite the failure%s, %ld harmless (the close's checkpoint), %ld bad\n",
           name, sw.cases, sw.last_n, sw.errors, sw.stored_on_error, sw.oks,
           is_io(k) ? " (writes refused after each)" : "", sw.harmless, sw.bad);
    is_int(sw.bad, 0, "%s sweep: every case answered 201 or a 5xx envelope, nothing half-written, "
           "no error answered for a stored registration%s", name,
           is_io(k) ? ", every failure noticed (writes refused after it)" : "");
    ok(sw.done, "%s sweep: reached a registration that needs fewer than N (N=%ld, cap %ld)",
       name, sw.last_n, cap);
    ok(sw.errors > 0, "%s sweep: failures were injected and answered as errors", name);
    if (ckpt && is_io(k))
        ok(sw.oks > 0, "%s sweep: failures in the checkpoint after a commit were noticed "
           "(%ld: 201, then writes refused)", name, sw.oks);
    sweep_name = "";
}

int main(void)
{
    const char *pdir = getenv("OAK_PLUGIN_BUILD_DIR");
    const char *src = getenv("top_srcdir");
    const char *capenv = getenv("OAK_FAULTS_CAP");
    const char *strideenv = getenv("OAK_FAULTS_STRIDE");
    const char *preload = getenv("LD_PRELOAD");
    char dir[] = "/tmp/oak-test-faults-XXXXXX", conf[300], keys[300], err[1024];
    struct oak_cli cli = { 0 };
    long cap = capenv ? strtol(capenv, NULL, 10) : 4000, stride;
    long long rows;
    FILE *f;

    if (strideenv && (stride = strtol(strideenv, NULL, 10)) > 1)
        alloc_stride = stride;

    if (!pdir || !src) {
        printf("1..0 # SKIP OAK_PLUGIN_BUILD_DIR or top_srcdir not set (run via make check)\n");
        return 0;
    }
    /* the allocator wrapper must be in place before SQLite starts */
    sqlite3_shutdown();
    if (!ok(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sq_orig) == SQLITE_OK &&
            sqlite3_config(SQLITE_CONFIG_MALLOC, &sq_wrap) == SQLITE_OK &&
            sqlite3_initialize() == SQLITE_OK, "SQLite allocator wrapped"))
        return done_testing();
    ok(fv_register() == SQLITE_OK, "fault VFS registered as the default");
    if (!mkdtemp(dir))
        return 1;
    snprintf(keys, sizeof keys, "%s/keys", dir);
    snprintf(child_err, sizeof child_err, "%s/case.err", dir);
    {
        void *warm[1];

        (void)backtrace(warm, 1);     /* loads libgcc now, not in a failing case */
    }
    ok(oak_keyfile_generate(keys, err, sizeof err) == OAK_OK, "key file");
    snprintf(conf, sizeof conf, "%s/o.conf", dir);
    f = fopen(conf, "w");
    fprintf(f, "[database]\npath = t.db\nsynchronous = full\n[keys]\nfile = keys\n"
               "[lua]\nscripts = %s/scripts\n[plugins]\ndir = %s\nload = registry\n", src, pdir);
    fclose(f);
    cli.config_path = conf;
    app = oak_app_create(&cli, OAK_APP_QUIET_LOG | OAK_APP_MIGRATE, err, sizeof err);
    if (!ok(app != NULL, "app with the registry plugin: %s", app ? "ok" : err))
        return done_testing();
    rows = 0;
    /* a first registration in a child, nothing failing: the baseline */
    {
        pid_t pid = fork();
        int status;
        long long after;
        struct sweep sw = { 0 };

        if (pid == 0)
            _exit(child_case(K_WRITE, 1000000000L, 0));
        seq += 2;
        waitpid(pid, &status, 0);
        is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, O_UNTOUCHED, "a registration with nothing failing: 201");
        ok(check_db(&sw, K_WRITE, 0, O_UNTOUCHED, rows, &after) == 0 && after == 1, "and it is stored");
        rows = after;
    }
    run_sweep(K_SQLITE, cap, &rows, 0);
#ifdef REPLACE_MALLOC
    if (preload && strstr(preload, "vgpreload"))
        printf("ok %d - malloc sweep # SKIP under valgrind\n", ++tap_n);
    else
        run_sweep(K_MALLOC, cap, &rows, 0);
#else
    (void)preload;
    printf("ok %d - malloc sweep # SKIP ASan owns malloc\n", ++tap_n);
#endif
    run_sweep(K_WRITE, cap, &rows, 0);
    run_sweep(K_SYNC, cap, &rows, 0);
    /* the checkpoint after a commit, with the faults armed: a write or sync
     * of the database file failing there is noticed (db.c, wal_hook) */
    run_sweep(K_WRITE, cap, &rows, 1);
    run_sweep(K_SYNC, cap, &rows, 1);
    run_sweep(K_SQLITE, cap, &rows, 1);
    oak_app_destroy(app);
    pipeline_free();
    {
        char cmd[400];

        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            printf("# could not remove %s\n", dir);
    }
    return done_testing();
}
