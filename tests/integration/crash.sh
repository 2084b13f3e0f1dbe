#!/bin/sh
# crash.sh - crash safety: donor registrations through nginx from several
# clients at once while workers and the master are killed with SIGKILL at
# random moments (the master started again each time). Afterwards every
# registration that got a 201 is stored and intact (looked up through the
# API with its ID number and access code, so its sealed fields decrypt),
# nothing half-written is stored (every row has its sealed fields, its
# revision and its audit row), PRAGMA integrity_check is ok and the audit
# chain verifies.
#
# OAK_CRASH_KILLS (default 30) kills, one in OAK_CRASH_MASTER_EVERY (5) of
# the master; OAK_CRASH_CLIENTS (4) clients.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

oak_require nginx curl cgi-fcgi sqlite3 pgrep od

kills=${OAK_CRASH_KILLS:-30}
master_every=${OAK_CRASH_MASTER_EVERY:-5}
clients=${OAK_CRASH_CLIENTS:-4}

oak_plugins registry
oak_registry_config registry
run "$OAKSEED" keygen "$oak_tmp/data/keys"
is "$rc" 0 "key file written"
ok "oakseed starts" oak_start || bail_out "cannot start oakseed"
ok "nginx starts" oak_nginx_start || bail_out "cannot start nginx"

# rnd N: a random number in 0 .. N-1
rnd() {
    echo $(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1))
}

# client K: registrations with ID numbers of its own until $oak_tmp/stop
# exists (at most 3000); one line per request: ID STATUS BODY
client() {
    awk -v k="$1" 'BEGIN {
        split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
        for (n = 0; n < 3000; n++) {
            d = sprintf("530502%04d%02d%02d%03d", 1950 + k * 10 + int(n / 300), 1 + int(n / 25) % 12, 1 + n % 25, 100 + k)
            s = 0
            for (i = 1; i <= 17; i++) s += substr(d, i, 1) * w[i]
            print d substr("10X98765432", s % 11 + 1, 1)
        }
    }' | while read -r id; do
        [ -e "$oak_tmp/stop" ] && break
        out=$(curl -s --max-time 15 -H 'Content-Type: application/json' -w '\n%{http_code}' \
            --data "$(oak_donor_json "$id")" "$OAK_URL/api/registry/donors" 2> /dev/null)
        st=$(printf '%s\n' "$out" | tail -n 1)
        printf '%s %s %s\n' "$id" "${st:-000}" "$(printf '%s\n' "$out" | sed '$d' | tr -d '\n')"
    done > "$oak_tmp/client.$1"
}

cpids=
k=0
while [ "$k" -lt "$clients" ]; do
    client "$k" &
    cpids="$cpids $!"
    oak_track "$!"
    k=$((k + 1))
done

# the killer: at random moments 50-300 ms apart, SIGKILL a random worker,
# or every master_every-th time the master (then start it again)
wkills=0
mkills=0
restart_failed=0
t0=$(date +%s)
i=1
while [ "$i" -le "$kills" ]; do
    sleep "0.$(printf '%03d' $((50 + $(rnd 250))))"
    if [ $((i % master_every)) = 0 ]; then
        old=$(oak_workers)
        kill -KILL "$OAK_PID" && mkills=$((mkills + 1))
        wait "$OAK_PID" 2> /dev/null
        # its workers finish the request in hand (SIGTERM from the
        # kernel when their parent dies), then go
        for w in $old; do oak_wait 15 oak_not_alive "$w"; done
        if ! oak_start; then
            restart_failed=$((restart_failed + 1))
            diag "$(tail -n 5 "$oak_log")"
        fi
    else
        set -- $(oak_workers)
        if [ $# -gt 0 ]; then
            shift $(rnd $#)
            kill -KILL "$1" && wkills=$((wkills + 1))
        fi
    fi
    i=$((i + 1))
done
: > "$oak_tmp/stop"
for p in $cpids; do
    oak_wait 30 oak_not_alive "$p"
done
wait $cpids
diag "$wkills workers and $mkills masters killed in $(($(date +%s) - t0)) s"
is "$restart_failed" 0 "the master started again after each kill"
ok "at least $((kills - kills / master_every - 2)) workers killed" \
    test "$wkills" -ge $((kills - kills / master_every - 2))
is "$mkills" $((kills / master_every)) "$((kills / master_every)) masters killed"

cat "$oak_tmp"/client.* > "$oak_tmp/all"
sent=$(wc -l < "$oak_tmp/all" | tr -d ' ')
grep -E '^[0-9X]+ 201 ' "$oak_tmp/all" > "$oak_tmp/acked"
nacked=$(wc -l < "$oak_tmp/acked" | tr -d ' ')
diag "$sent registrations sent, $nacked acknowledged; others: $(awk '$2 != 201 { print $2 }' "$oak_tmp/all" | sort | uniq -c | tr '\n' ' ')"
ok "registrations kept going (at least 100 acknowledged)" test "$nacked" -ge 100
is "$(awk '$2 != 201 && $2 != 502 && $2 != 503 && $2 != 504 && $2 != "000"' "$oak_tmp/all" | wc -l | tr -d ' ')" 0 \
    "every other answer is 502/503/504 or a cut connection, never a 4xx or a 500"
is "$(grep -c '"access_code"' "$oak_tmp/acked")" "$nacked" "every 201 carries its number and access code"

# ---- after the storm: one healthy master ------------------------------------------------
oak_alive "$OAK_PID" || oak_start
ok "oakseed serves" oak_wait 10 oak_health_ok

# every acknowledged registration, looked up with its ID number and code
bad=0
while read -r id st body; do
    num=$(printf '%s' "$body" | sed -n 's/.*"number":"\([^"]*\)".*/\1/p')
    code=$(printf '%s' "$body" | sed -n 's/.*"access_code":"\([^"]*\)".*/\1/p')
    http POST /api/registry/donors/lookup -H 'Content-Type: application/json' \
        --data "{\"id_number\":\"$id\",\"access_code\":\"$code\"}"
    if [ "$R_status" != 200 ] || [ "$(jget number)" != "$num" ] || [ "$(jget name)" != "张丽华" ] ||
        [ "$(jget status)" != active ]; then
        bad=$((bad + 1))
        [ "$bad" -le 5 ] && diag "acknowledged $num: lookup $R_status $(body | head -c 300)"
    fi
done < "$oak_tmp/acked"
is "$bad" 0 "all $nacked acknowledged registrations are stored and open with their code"

oak_nginx_stop
oak_stop
rows=$(sql "$oak_db" "SELECT count(*) FROM registry_donors")
ok "no more rows than registrations sent ($rows of $sent; at least the $nacked acknowledged)" \
    test "$rows" -ge "$nacked" -a "$rows" -le "$sent"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_donors d WHERE d.name_enc IS NULL OR d.id_enc IS NULL OR d.mobile_enc IS NULL OR d.contact_enc IS NULL OR NOT EXISTS (SELECT 1 FROM registry_donor_revisions r WHERE r.donor_id = d.id AND r.revision = 1) OR NOT EXISTS (SELECT 1 FROM core_audit a WHERE a.action = 'registry.donor.create' AND a.object_id = d.number)")" 0 \
    "nothing half-written: every stored registration has its sealed fields, revision 1 and audit row"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_donor_revisions r WHERE NOT EXISTS (SELECT 1 FROM registry_donors d WHERE d.id = r.donor_id)")" 0 \
    "no revision without its registration"
is "$(sql "$oak_db" "PRAGMA integrity_check")" ok "integrity_check: ok"
is "$(sql "$oak_db" "PRAGMA foreign_key_check" | wc -l | tr -d ' ')" 0 "foreign_key_check: clean"
run "$OAKSEED" audit verify -c "$oak_conf"
is "$rc" 0 "the audit chain verifies"
done_testing
