/*
 * audit.c - hash-chained audit log (see audit.h).
 */
#include "audit.h"
#include "db.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char zero_hash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* Length-prefixed fields, so no two different rows encode alike. */
static void feed(EVP_MD_CTX *md, const char *s)
{
    char len[24];
    size_t n = s ? strlen(s) : 0;

    snprintf(len, sizeof len, "%zu:", n);
    EVP_DigestUpdate(md, len, strlen(len));
    if (n)
        EVP_DigestUpdate(md, s, n);
}

static int row_hash(const char *prev, const char *at, long long actor_id, const char *actor,
                    const char *action, const char *otype, const char *oid, int region,
                    const char *detail, const char *rid, char out[65])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char d[32];
    unsigned int n = 0;
    char num[32];

    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(md);
        return -1;
    }
    feed(md, prev);
    feed(md, at);
    snprintf(num, sizeof num, "%lld", actor_id);
    feed(md, num);
    feed(md, actor);
    feed(md, action);
    feed(md, otype);
    feed(md, oid);
    snprintf(num, sizeof num, "%d", region);
    feed(md, num);
    feed(md, detail);
    feed(md, rid);
    EVP_DigestFinal_ex(md, d, &n);
    EVP_MD_CTX_free(md);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
    return 0;
}

static void now_iso(char buf[40], size_t len)
{
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L);
}

static int append(const struct oak_audit_entry *e, struct oak_error *err)
{
    char prev[65], at[40], hash[65];
    const char *actor = e->actor ? e->actor : "system";
    const char *detail = e->detail ? e->detail : "";
    const char *rid = e->request_id ? e->request_id : "";
    oak_stmt *st;
    int rc;

    rc = oak_db_prepare("SELECT hash FROM core_audit ORDER BY id DESC LIMIT 1", &st, err);
    if (rc != OAK_OK)
        return rc;
    rc = oak_db_step(st, err);
    snprintf(prev, sizeof prev, "%s",
             rc == OAK_ROW ? (const char *)sqlite3_column_text(oak_db_raw(st), 0) : zero_hash);
    oak_db_finish(st);
    if (rc < 0)
        return rc;
    now_iso(at, sizeof at);
    if (row_hash(prev, at, e->actor_id, actor, e->action, e->object_type, e->object_id,
                 e->region, detail, rid, hash) < 0)
        return OAK_ENOMEM;
    rc = oak_db_prepare("INSERT INTO core_audit(at, actor_id, actor, action, object_type, object_id,"
                        " region, detail, request_id, prev_hash, hash)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)", &st, err);
    if (rc != OAK_OK)
        return rc;
    sqlite3_stmt *s = oak_db_raw(st);
    sqlite3_bind_text(s, 1, at, -1, SQLITE_TRANSIENT);
    if (e->actor_id)
        sqlite3_bind_int64(s, 2, e->actor_id);
    else
        sqlite3_bind_null(s, 2);
    sqlite3_bind_text(s, 3, actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, e->action, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, e->object_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, e->object_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 7, e->region);
    sqlite3_bind_text(s, 8, detail, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, rid, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 10, prev, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 11, hash, -1, SQLITE_TRANSIENT);
    rc = oak_db_step(st, err);
    oak_db_finish(st);
    return rc == OAK_DONE ? OAK_OK : rc;
}

int oak_audit_append(const struct oak_audit_entry *e, struct oak_error *err)
{
    int rc;

    if (!e->action || !e->object_type || !e->object_id) {
        if (err) {
            err->code = OAK_EINVAL;
            snprintf(err->message, sizeof err->message, "audit: action, object type and id are required");
        }
        return OAK_EINVAL;
    }
    if (oak_db_in_tx())
        return append(e, err);
    /* the write lock serialises appends across workers, keeping the chain linear */
    rc = oak_db_begin(err);
    if (rc != OAK_OK)
        return rc;
    rc = append(e, err);
    if (rc != OAK_OK) {
        oak_db_rollback();
        return rc;
    }
    return oak_db_commit(err);
}

int oak_audit_verify(struct oak_db *db, long long *count, char head[65], long long *bad_id,
                     char *err, size_t errlen)
{
    long long head_id;

    return oak_audit_verify_head(db, NULL, count, head, &head_id, bad_id, err, errlen);
}

int oak_audit_verify_head(struct oak_db *db, const char *expect_head, long long *count,
                          char head[65], long long *head_id, long long *bad_id, char *err,
                          size_t errlen)
{
    sqlite3 *c = oak_db_sqlite(db);
    sqlite3_stmt *st;
    char prev[65], hash[65];
    int rc;

    *count = 0;
    *bad_id = 0;
    *head_id = 0;
    snprintf(prev, sizeof prev, "%s", zero_hash);
    if (sqlite3_prepare_v2(c, "SELECT id, at, coalesce(actor_id, 0), actor, action, object_type,"
                              " object_id, region, detail, request_id, prev_hash, hash"
                              " FROM core_audit ORDER BY id", -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "audit: %s", sqlite3_errmsg(c));
        return -2;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long long id = sqlite3_column_int64(st, 0);
        const char *stored_prev = (const char *)sqlite3_column_text(st, 10);
        const char *stored = (const char *)sqlite3_column_text(st, 11);

        if (!stored_prev || strcmp(stored_prev, prev) != 0) {
            *bad_id = id;
            snprintf(err, errlen, "audit row %lld does not follow row before it "
                     "(a row was removed, inserted or reordered)", id);
            sqlite3_finalize(st);
            return -1;
        }
        row_hash(prev, (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2),
                 (const char *)sqlite3_column_text(st, 3), (const char *)sqlite3_column_text(st, 4),
                 (const char *)sqlite3_column_text(st, 5), (const char *)sqlite3_column_text(st, 6),
                 sqlite3_column_int(st, 7), (const char *)sqlite3_column_text(st, 8),
                 (const char *)sqlite3_column_text(st, 9), hash);
        if (!stored || strcmp(stored, hash) != 0) {
            *bad_id = id;
            snprintf(err, errlen, "audit row %lld was altered (its hash does not match its contents)", id);
            sqlite3_finalize(st);
            return -1;
        }
        snprintf(prev, sizeof prev, "%s", hash);
        (*count)++;
        if (expect_head && !*head_id && strcmp(hash, expect_head) == 0)
            *head_id = id;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "audit: %s", sqlite3_errmsg(c));
        return -2;
    }
    snprintf(head, 65, "%s", prev);
    if (expect_head && !*head_id && strcmp(expect_head, zero_hash) != 0) {
        snprintf(err, errlen, "audit log of %lld rows does not contain the recorded head %.64s "
                 "(rows were cut off the end, or the log was replaced)", *count, expect_head);
        return -1;
    }
    return 0;
}
