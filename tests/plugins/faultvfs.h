/*
 * faultvfs.h - a SQLite VFS shim for tests only: it wraps the default VFS
 * and can make the Nth write or sync of any database file fail, as a
 * failing disk would. Header-only, included by the faultvfs test plugin
 * (integration tests) and by tests/unit/test_faults.c. Nothing of it is in
 * the daemon: it exists only where a test loads it.
 *
 * Counting: fv_fail_write_at = N makes the Nth xWrite from now fail with
 * SQLITE_IOERR_WRITE (0: never); fv_fail_sync_at likewise for xSync with
 * SQLITE_IOERR_FSYNC. A trigger file (fv_write_trigger / fv_sync_trigger)
 * does the same for the next call once it exists, and is removed: that is
 * how a test arms a running daemon from outside, whichever worker runs
 * the next write.
 */
#ifndef OAK_TEST_FAULTVFS_H
#define OAK_TEST_FAULTVFS_H

#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

struct fv_file {
    sqlite3_file base;
    sqlite3_file *real;       /* the default VFS's file, right after us */
};

static sqlite3_vfs *fv_parent;
static sqlite3_vfs fv_vfs;
static sqlite3_io_methods fv_methods;
static long fv_writes, fv_syncs;          /* calls seen */
static long fv_fail_write_at, fv_fail_sync_at;
static long fv_failed;                   /* failures injected */
static const char *fv_write_trigger, *fv_sync_trigger;

#define FV_REAL(f) (((struct fv_file *)(f))->real)

static int fv_triggered(const char *path)
{
    return path && access(path, F_OK) == 0 && unlink(path) == 0;
}

static int fv_close(sqlite3_file *f)
{
    int rc = FV_REAL(f)->pMethods ? FV_REAL(f)->pMethods->xClose(FV_REAL(f)) : SQLITE_OK;

    f->pMethods = NULL;
    return rc;
}

static int fv_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
    return FV_REAL(f)->pMethods->xRead(FV_REAL(f), p, n, off);
}

static int fv_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
    fv_writes++;
    if ((fv_fail_write_at && --fv_fail_write_at == 0) || fv_triggered(fv_write_trigger)) {
        fv_failed++;
        return SQLITE_IOERR_WRITE;
    }
    return FV_REAL(f)->pMethods->xWrite(FV_REAL(f), p, n, off);
}

static int fv_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return FV_REAL(f)->pMethods->xTruncate(FV_REAL(f), size);
}

static int fv_sync(sqlite3_file *f, int flags)
{
    fv_syncs++;
    if ((fv_fail_sync_at && --fv_fail_sync_at == 0) || fv_triggered(fv_sync_trigger)) {
        fv_failed++;
        return SQLITE_IOERR_FSYNC;
    }
    return FV_REAL(f)->pMethods->xSync(FV_REAL(f), flags);
}

static int fv_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return FV_REAL(f)->pMethods->xFileSize(FV_REAL(f), size);
}

static int fv_lock(sqlite3_file *f, int l)
{
    return FV_REAL(f)->pMethods->xLock(FV_REAL(f), l);
}

static int fv_unlock(sqlite3_file *f, int l)
{
    return FV_REAL(f)->pMethods->xUnlock(FV_REAL(f), l);
}

static int fv_check_lock(sqlite3_file *f, int *out)
{
    return FV_REAL(f)->pMethods->xCheckReservedLock(FV_REAL(f), out);
}

static int fv_file_control(sqlite3_file *f, int op, void *arg)
{
    return FV_REAL(f)->pMethods->xFileControl(FV_REAL(f), op, arg);
}

static int fv_sector_size(sqlite3_file *f)
{
    return FV_REAL(f)->pMethods->xSectorSize(FV_REAL(f));
}

static int fv_device_characteristics(sqlite3_file *f)
{
    return FV_REAL(f)->pMethods->xDeviceCharacteristics(FV_REAL(f));
}

static int fv_shm_map(sqlite3_file *f, int pg, int pgsz, int extend, void volatile **pp)
{
    return FV_REAL(f)->pMethods->xShmMap(FV_REAL(f), pg, pgsz, extend, pp);
}

static int fv_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    return FV_REAL(f)->pMethods->xShmLock(FV_REAL(f), offset, n, flags);
}

static void fv_shm_barrier(sqlite3_file *f)
{
    FV_REAL(f)->pMethods->xShmBarrier(FV_REAL(f));
}

static int fv_shm_unmap(sqlite3_file *f, int del)
{
    return FV_REAL(f)->pMethods->xShmUnmap(FV_REAL(f), del);
}

static int fv_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
    return FV_REAL(f)->pMethods->xFetch(FV_REAL(f), off, n, pp);
}

static int fv_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return FV_REAL(f)->pMethods->xUnfetch(FV_REAL(f), off, p);
}

static int fv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
    struct fv_file *ff = (struct fv_file *)f;
    int rc;

    (void)vfs;
    ff->real = (sqlite3_file *)(ff + 1);
    memset(ff->real, 0, (size_t)fv_parent->szOsFile);
    rc = fv_parent->xOpen(fv_parent, name, ff->real, flags, out);
    if (rc != SQLITE_OK || !ff->real->pMethods) {
        f->pMethods = NULL;
        return rc;
    }
    /* the unix VFS gives version 3 methods; mirror what it has */
    if (!fv_methods.iVersion) {
        const sqlite3_io_methods *r = ff->real->pMethods;

        fv_methods = (sqlite3_io_methods){
            .iVersion = r->iVersion < 3 ? r->iVersion : 3,
            .xClose = fv_close, .xRead = fv_read, .xWrite = fv_write,
            .xTruncate = fv_truncate, .xSync = fv_sync, .xFileSize = fv_file_size,
            .xLock = fv_lock, .xUnlock = fv_unlock, .xCheckReservedLock = fv_check_lock,
            .xFileControl = fv_file_control, .xSectorSize = fv_sector_size,
            .xDeviceCharacteristics = fv_device_characteristics,
            .xShmMap = fv_shm_map, .xShmLock = fv_shm_lock,
            .xShmBarrier = fv_shm_barrier, .xShmUnmap = fv_shm_unmap,
            .xFetch = fv_fetch, .xUnfetch = fv_unfetch,
        };
    }
    f->pMethods = &fv_methods;
    return SQLITE_OK;
}

static int fv_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
    (void)v;
    return fv_parent->xDelete(fv_parent, name, sync_dir);
}

static int fv_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
    (void)v;
    return fv_parent->xAccess(fv_parent, name, flags, out);
}

static int fv_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
    (void)v;
    return fv_parent->xFullPathname(fv_parent, name, n, out);
}

static int fv_randomness(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return fv_parent->xRandomness(fv_parent, n, out);
}

static int fv_sleep(sqlite3_vfs *v, int us)
{
    (void)v;
    return fv_parent->xSleep(fv_parent, us);
}

static int fv_current_time(sqlite3_vfs *v, double *out)
{
    (void)v;
    return fv_parent->xCurrentTime(fv_parent, out);
}

static int fv_get_last_error(sqlite3_vfs *v, int n, char *out)
{
    (void)v;
    return fv_parent->xGetLastError ? fv_parent->xGetLastError(fv_parent, n, out) : 0;
}

static int fv_current_time_int64(sqlite3_vfs *v, sqlite3_int64 *out)
{
    (void)v;
    return fv_parent->xCurrentTimeInt64(fv_parent, out);
}

/* Register the shim as the default VFS (wrapping the current default).
 * Connections opened from now on go through it. Returns a SQLite code. */
static int fv_register(void)
{
    if (fv_parent)
        return SQLITE_OK;
    fv_parent = sqlite3_vfs_find(NULL);
    if (!fv_parent)
        return SQLITE_ERROR;
    fv_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)sizeof(struct fv_file) + fv_parent->szOsFile,
        .mxPathname = fv_parent->mxPathname,
        .zName = "oakfault",
        .xOpen = fv_open, .xDelete = fv_delete, .xAccess = fv_access,
        .xFullPathname = fv_full_pathname,
        .xRandomness = fv_randomness, .xSleep = fv_sleep, .xCurrentTime = fv_current_time,
        .xGetLastError = fv_get_last_error, .xCurrentTimeInt64 = fv_current_time_int64,
    };
    return sqlite3_vfs_register(&fv_vfs, 1);
}

#endif
