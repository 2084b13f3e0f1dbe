#!/bin/sh
# group_commit.sh - [database] group_commit through nginx with concurrent
# donor registrations (tests/integration/group_commit.py, 32 clients):
#   - the workers commit several waiting registrations with one COMMIT
#     (the debug line "group commit of N requests"), fewer commits than
#     registrations, and every 201 is stored with its revision and audit
#     row, the audit row written by the very request that was answered
#     (same request id: no answer went to another member of its group);
#   - a group whose commit cannot be synced (the faultvfs test plugin)
#     answers every member 503 with the envelope and its own request id,
#     and none of them is visible (one worker, kept busy by the crasher
#     plugin's slow route while the registrations queue up, so that the
#     first group is a full one);
#   - group_commit = 1: a commit per request, no group.
# At the end the database passes PRAGMA integrity_check and the audit
# chain verifies.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

oak_require nginx curl cgi-fcgi sqlite3 python3

mkdir -p "$oak_tmp/faults"
OAK_FAULTVFS_DIR=$oak_tmp/faults
export OAK_FAULTVFS_DIR
oak_plugins registry faultvfs crasher
oak_registry_config "registry, faultvfs, crasher"
run "$OAKSEED" keygen "$oak_tmp/data/keys"
is "$rc" 0 "key file written"

rows() {
    sql "$oak_db" "SELECT count(*) FROM registry_donors"
}
groups() {
    grep -c 'worker: group commit of [0-9]* request' "$oak_log"
}
# burst TAG COUNT FIRST: COUNT concurrent registrations, answers in $oak_tmp/TAG
burst() {
    timeout 300 python3 "$top_srcdir/tests/integration/group_commit.py" "$OAK_URL" "$2" 32 "$3" \
        > "$oak_tmp/$1" 2> "$oak_tmp/$1.err"
    is "$?" 0 "$1: every one of $2 concurrent registrations got an answer"
    [ ! -s "$oak_tmp/$1.err" ] || diag "$(head -n 5 "$oak_tmp/$1.err")"
}
count() {
    awk -v s="$2" '$1 == s' "$oak_tmp/$1" | wc -l | tr -d ' '
}

ok "oakseed starts" oak_start -o log.level=debug || bail_out "cannot start oakseed"
ok "nginx starts" oak_nginx_start || bail_out "cannot start nginx"

# ---- groups form under load ----------------------------------------------------------------
burst grouped 200 100
is "$(count grouped 201)" 200 "200 registrations: all 201"
is "$(rows)" 200 "all 200 stored"
ng=$(groups)
ok "they were committed in groups: fewer commits ($ng) than registrations" test "$ng" -gt 0 -a "$ng" -lt 200
largest=$(sed -n 's/.*worker: group commit of \([0-9]*\) request.*/\1/p' "$oak_log" | sort -n | tail -n 1)
ok "a group held several registrations (largest: ${largest:-none})" test "${largest:-0}" -gt 1
ok "none held more than group_commit = 16" test "${largest:-99}" -le 16
mismatch=0
while read -r status rid number code bodyid; do
    [ "$(sql "$oak_db" "SELECT count(*) FROM registry_donors d JOIN registry_donor_revisions r ON r.donor_id = d.id AND r.revision = 1 JOIN core_audit a ON a.action = 'registry.donor.create' AND a.object_id = d.number WHERE d.number = '$number' AND a.request_id = '$rid'")" = 1 ] ||
        mismatch=$((mismatch + 1))
done < "$oak_tmp/grouped"
is "$mismatch" 0 "each 201 names a registration stored with its revision and the audit row of that same request"

# ---- a group whose commit fails -----------------------------------------------------------
before=$(rows)
ok "oakseed stops" oak_stop
ok "oakseed starts with one worker" oak_start -o log.level=debug -o server.workers=1
: > "$OAK_FAULTVFS_DIR/fail-sync"
curl -s -o /dev/null --max-time 20 "$OAK_URL/api/crasher/slow?ms=1500" &
slow_pid=$!
oak_track "$slow_pid"
sleep 0.3
burst failed 48 400
wait "$slow_pid"
ok "the fault was used" test ! -e "$OAK_FAULTVFS_DIR/fail-sync"
is "$(count failed 503)" 48 "48 registrations while the commit cannot be synced: all 503"
is "$(awk '$1 == 503 && $4 == "service_unavailable" && $5 == $2' "$oak_tmp/failed" | wc -l | tr -d ' ')" 48 \
    "each with the envelope and its own request id"
if oak_log_has 'worker: group commit of ([2-9]|1[0-6]) requests failed .*: answering 503'; then
    pass "a whole group failed at once"
else
    fail "a whole group failed at once"
    diag "$(grep -E 'group commit|refusing' "$oak_log" | tail -n 5)"
fi
is "$(rows)" "$before" "none of them is visible"
# what follows the failed sync is refused by the write latch (faults.sh)
# until a restart; the group whose sync failed may come back with the WAL
# then, complete but never acknowledged (checked below)
ok "oakseed stops" oak_stop
uncertain=$(awk '$1 == 503' "$oak_tmp/failed" | wc -l | tr -d ' ')

# ---- group_commit = 1 ---------------------------------------------------------------------
ok "oakseed starts with group_commit = 1" oak_start -o log.level=debug -o database.group_commit=1
ng=$(groups)
after_restart=$(rows)
burst single 60 600
is "$(count single 201)" 60 "60 concurrent registrations: all 201"
is "$(rows)" $((after_restart + 60)) "all 60 stored"
is "$(groups)" "$ng" "and no group commit was made"

# ---- nothing lost, nothing half-written -----------------------------------------------------
oak_nginx_stop
oak_stop
ok "the stored ones: the acknowledged 260 and at most the $uncertain of the failed group" \
    test "$(rows)" -ge 260 -a "$(rows)" -le $((260 + uncertain))
is "$(sql "$oak_db" "SELECT count(*) FROM registry_donors d WHERE d.name_enc IS NULL OR d.id_enc IS NULL OR d.mobile_enc IS NULL OR NOT EXISTS (SELECT 1 FROM registry_donor_revisions r WHERE r.donor_id = d.id) OR NOT EXISTS (SELECT 1 FROM core_audit a WHERE a.action = 'registry.donor.create' AND a.object_id = d.number)")" 0 \
    "nothing half-written: every stored registration has its sealed fields, revision and audit row"
is "$(sql "$oak_db" "PRAGMA integrity_check")" ok "integrity_check: ok"
run "$OAKSEED" audit verify -c "$oak_conf"
is "$rc" 0 "the audit chain verifies"
done_testing
