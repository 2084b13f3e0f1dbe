/*
 * audit.h - the tamper-evident audit log. Every read or change of personal
 * data appends a row; each row carries the SHA-256 of the previous row's
 * hash and its own fields, so editing, reordering or removing a row in the
 * middle breaks the chain and `oakseed audit verify` finds it. Rows hold
 * no personal data: who (staff account), what action, which object id,
 * which region, when, and the request id.
 */
#ifndef OAK_AUDIT_H
#define OAK_AUDIT_H

#include <stddef.h>

#include "oakseed/plugin.h"

struct oak_db;

struct oak_audit_entry {
    long long actor_id;        /* 0 when not a staff account */
    const char *actor;         /* username, "public", "system", "cli" */
    const char *action;        /* e.g. "registry.read" */
    const char *object_type;   /* e.g. "registration" */
    const char *object_id;
    int region;
    const char *detail;        /* short, never personal data; may be NULL */
    const char *request_id;    /* may be NULL */
};

/* Append to the log on the current connection; inside the caller's
 * transaction if one is open (so the audit row and the change commit
 * together), else in its own. */
int oak_audit_append(const struct oak_audit_entry *e, struct oak_error *err);

/* Walk the whole chain. Returns 0 when intact (count and head filled),
 * -1 when broken (*bad_id is the first row that does not verify, message
 * in err), -2 on a database error. */
int oak_audit_verify(struct oak_db *db, long long *count, char head[65], long long *bad_id,
                     char *err, size_t errlen);

/* oak_audit_verify, and also: EXPECT_HEAD (64 hex digits, a head printed
 * by an earlier verify and kept off this host) must be the hash of a row
 * of the intact chain, or rows were cut off the end or the log replaced.
 * The chain alone cannot show that. Returns as oak_audit_verify; -1 with
 * *bad_id 0 when only the recorded head is missing. *head_id receives the
 * id of the row that carries EXPECT_HEAD. EXPECT_HEAD NULL checks nothing
 * more than oak_audit_verify. */
int oak_audit_verify_head(struct oak_db *db, const char *expect_head, long long *count,
                          char head[65], long long *head_id, long long *bad_id, char *err,
                          size_t errlen);

#endif
