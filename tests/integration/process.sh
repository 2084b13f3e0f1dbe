#!/bin/sh
# process.sh - the prefork master under nginx: a killed worker is replaced,
# SIGHUP reloads without failing a request (and a broken config is refused
# with the old workers kept), it reopens the log and applies new settings,
# max_requests recycles workers, a client giving up mid-request harms no
# worker, SIGTERM drains an in-flight request, crash loops back off and
# recover, the pid file and the socket keep a second instance out, a master
# killed outright leaves nothing that blocks a restart, and drain_timeout
# bounds both reload and stop.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

# This test pins what happens with one FastCGI connection per request (a
# request cut by drain_timeout ends in 502); with the shipped keep-alive
# nginx retries such a GET once on a new connection (keepalive.sh).
OAK_NGINX_PLAIN=1
oak_require nginx curl cgi-fcgi pgrep

oak_plugins example crasher
base_extra="[server]
workers = 2
drain_timeout = 10"
oak_config "example, crasher" "$base_extra"
ok "oakseed starts" oak_start || bail_out "cannot start oakseed"
ok "nginx starts" oak_nginx_start || bail_out "cannot start nginx"

# ---- socket and pid file ----------------------------------------------------------
is "$(stat -c %a "$oak_sock")" 660 "unix socket mode is 0660"
if [ "$oak_root" = 1 ]; then
    is "$(stat -c %G "$oak_sock")" "$oak_web_group" "socket group is socket_group ($oak_web_group)"
else
    skip "socket group is socket_group" "not root"
fi
is "$(cat "$oak_pidfile")" "$OAK_PID" "pid file holds the master's pid"
is "$(oak_nworkers)" 2 "2 workers"

# n_ok COUNT PATH: COUNT sequential requests; prints how many got 200
n_ok() {
    i=0 good=0
    while [ "$i" -lt "$1" ]; do
        c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$OAK_URL$2")
        [ "$c" = 200 ] && good=$((good + 1))
        i=$((i + 1))
    done
    echo "$good"
}

# workers_replaced N OLD-PID...: N workers, none of them one of OLD-PIDs
workers_replaced() {
    oak_want=$1
    shift
    oak_now=$(oak_workers)
    [ "$(echo "$oak_now" | wc -w)" = "$oak_want" ] || return 1
    for oak_o in "$@"; do
        case " $oak_now " in *" $oak_o "*) return 1 ;; esac
    done
}

log_count() {
    grep -c -- "$1" "$oak_log" 2> /dev/null || true
}

# log_count_gt PATTERN N: more than N log lines match (re-read each call)
log_count_gt() {
    [ "$(log_count "$1")" -gt "$2" ]
}

# some_gone PID...: at least one of these processes is gone
some_gone() {
    for oak_x in "$@"; do
        oak_alive "$oak_x" || return 0
    done
    return 1
}

test_nworkers() {
    [ "$(oak_nworkers)" = "$1" ]
}

# none_alive PID...: none of these processes is running any more
none_alive() {
    for oak_x in "$@"; do
        oak_alive "$oak_x" && return 1
    done
    return 0
}

# ---- kill -9 a worker -----------------------------------------------------------------
before=$(oak_workers)
victim=${before%% *}
kill -KILL "$victim"
ok "the killed worker ($victim) is replaced within 3 s" oak_wait 3 workers_replaced 2 "$victim"
ok "the master logged it" oak_wait_log "worker slot [0-9]+ killed by signal 9" 3
is "$(n_ok 20 /api/crasher/ok)" 20 "the next 20 requests all succeed"
ok "master still running" oak_alive "$OAK_PID"

# ---- a client that gives up mid-request ------------------------------------------------------
before=$(oak_workers)
crashes=$(log_count 'killed by signal')
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 0.3 "$OAK_URL/api/crasher/slow?ms=800")
is "$code" 000 "client gives up after 0.3 s on a 0.8 s request"
ok "nginx saw the client go (499)" oak_wait 5 grep -q '"GET /api/crasher/slow?ms=800 HTTP/1.1" 499 ' "$oak_tmp/log/nginx-access.log"
sleep 0.8
is "$(oak_workers)" "$before" "the worker that answered into a closed connection lives on"
is "$(log_count 'killed by signal')" "$crashes" "no crash logged"
is "$(n_ok 10 /api/crasher/ok)" 10 "10 more requests all succeed"

# ---- concurrent writers ---------------------------------------------------------------------------
rows=$(sql "$oak_db" 'SELECT count(*) FROM example_greetings')
par_pids=
i=0
while [ "$i" -lt 40 ]; do
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 -H 'Content-Type: application/json' \
        --data "{\"name\":\"并发$i\",\"message\":\"concurrent\"}" \
        "$OAK_URL/api/example/greetings" > "$oak_tmp/par.$i" 2>&1 &
    par_pids="$par_pids $!"
    oak_track "$!"
    i=$((i + 1))
done
ok "40 concurrent POSTs finish" oak_wait 30 none_alive $par_pids
wait $par_pids
is "$(cat "$oak_tmp"/par.* | grep -c '^201$')" 40 "40 concurrent POSTs on 2 workers: all 201"
is "$(sql "$oak_db" 'SELECT count(*) FROM example_greetings')" $((rows + 40)) "40 rows written"

# ---- SIGHUP under load ------------------------------------------------------------------
before=$(oak_workers)
reloads=$(log_count 'reloaded: ')
(
    i=0
    while [ "$i" -lt 200 ]; do
        curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 "$OAK_URL/api/example/greetings?limit=1"
        i=$((i + 1))
    done
) > "$oak_tmp/load.seq" 2>&1 &
load_pid=$!
oak_track "$load_pid"
slow_pids=
for j in 1 2 3; do
    (
        for k in 1 2 3; do
            curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 "$OAK_URL/api/crasher/slow?ms=250"
        done
    ) > "$oak_tmp/load.slow$j" 2>&1 &
    slow_pids="$slow_pids $!"
    oak_track "$!"
done
sleep 0.4
kill -HUP "$OAK_PID"
sleep 0.8
kill -HUP "$OAK_PID"
ok "the load finishes" oak_wait 40 oak_not_alive "$load_pid"
for p in $slow_pids; do oak_wait 20 oak_not_alive "$p"; done
wait "$load_pid" $slow_pids
is "$(grep -c '^200$' "$oak_tmp/load.seq")" 200 "200 sequential requests across two reloads: all 200"
is "$(cat "$oak_tmp"/load.slow* | grep -c '^200$')" 9 "9 concurrent slow requests across the reloads: all 200"
ok "two reloads logged" oak_wait 5 log_count_gt 'reloaded: ' $((reloads + 1))
ok "after the reload every worker is a new process" oak_wait 10 workers_replaced 2 $before
ok "master still running" oak_alive "$OAK_PID"

# ---- SIGHUP with a broken config ------------------------------------------------------------
cp "$oak_conf" "$oak_tmp/good.conf"
printf '[server]\nbogus_key = 1\n' >> "$oak_conf"
bad_line=$(wc -l < "$oak_conf" | tr -d ' ')
before=$(oak_workers)
failed=$(log_count 'reload failed')
kill -HUP "$OAK_PID"
ok "reload with an unknown key is refused" oak_wait 10 log_count_gt 'reload failed' "$failed"
ok "the log names file, line and key" oak_log_has "$oak_conf:$bad_line: unknown key 'bogus_key' in \\[server\\]"
ok "the log says the running configuration stays" oak_log_has 'reload failed; the running configuration stays in service'
sleep 0.3
is "$(oak_workers)" "$before" "the old workers keep serving (same pids)"
is "$(n_ok 10 /api/example/greetings)" 10 "and answer: 10 of 10 requests 200"

# ---- SIGHUP reopens the log, applies workers and max_requests -----------------------------------
http GET /api/lateroute/late
is "$R_status" 404 "lateroute not loaded yet: 404"
mv "$oak_log" "$oak_log.1"
oak_plugins lateroute
oak_config "example, crasher, lateroute" "[server]
listen = unix:run/elsewhere.sock
workers = 3
max_requests = 5
drain_timeout = 10"
kill -HUP "$OAK_PID"
ok "after SIGHUP a rotated log file is reopened" oak_wait 10 oak_log_has 'reloaded: 3 workers, 3 plugins'
ok "workers = 3 takes effect on reload" oak_wait 10 workers_replaced 3 $before
ok "a changed listen is not applied by a reload, and the log says so" \
    oak_log_has "reload: listen changed to unix:$oak_tmp/run/elsewhere.sock; that needs a restart, still on unix:$oak_sock"
ok "the socket stays where it was" test -S "$oak_sock"
nok "no new socket appears" test -e "$oak_tmp/run/elsewhere.sock"
http GET /api/lateroute/late
is "$R_status" 200 "a plugin added to load serves after the reload"
http GET /api/health
like "$(body)" '"name":"lateroute"' "health lists it"

# ---- max_requests recycles workers ---------------------------------------------------------------
before=$(oak_workers)
from=$(($(wc -l < "$oak_log") + 1))
is "$(n_ok 24 /api/crasher/ok)" 24 "24 requests with max_requests = 5: all 200"
sleep 0.2
tail -n "+$from" "$oak_log" | sed -n 's/.*\] \[\([0-9]*\)\] access GET \/api\/crasher\/ok 200 .*/\1/p' \
    | sort | uniq -c > "$oak_tmp/per-worker"
is "$(awk '{ n += $1 } END { print n }' "$oak_tmp/per-worker")" 24 "24 access lines"
is "$(awk '$1 > 5' "$oak_tmp/per-worker" | wc -l | tr -d ' ')" 0 "no worker served more than 5 requests"
ok "at least 5 different workers served them" test "$(wc -l < "$oak_tmp/per-worker")" -ge 5
ok "workers were recycled (pids changed)" oak_wait 5 some_gone $before
ok "and there are 3 again" oak_wait 5 test_nworkers 3
is "$(log_count 'killed by signal\|exited with status [1-9]')" 0 "recycling is not logged as a crash"

# ---- a second instance is kept out -------------------------------------------------------------
oak_config "example, crasher, lateroute" "[server]
workers = 3
max_requests = 5"
run "$OAKSEED" serve -c "$oak_conf"
isnt "$rc" 0 "a second 'serve' with the same pid file fails"
isnt "$rc" 124 "and exits at once"
like "$err
$(cat "$oak_log")" "pid file $oak_pidfile is locked: oakseed already running \\(pid $OAK_PID\\)" \
    "with a clear message naming the running pid"
is "$(cat "$oak_pidfile")" "$OAK_PID" "the pid file still holds the running master's pid"
run "$OAKSEED" serve -c "$oak_conf" -o "server.pid_file=$oak_tmp/run/other.pid"
isnt "$rc" 0 "a second 'serve' on the same socket (other pid file) fails"
like "$err
$(cat "$oak_log")" "listen: $oak_sock is in use by another process" "with a clear message"
ok "the other pid file is cleaned up" test ! -e "$oak_tmp/run/other.pid"
ok "the socket is still there" test -S "$oak_sock"
is "$(n_ok 5 /api/health)" 5 "the running server is unaffected"

# ---- SIGTERM drains an in-flight request ---------------------------------------------------------
curl -s -o "$oak_tmp/slow.body" -w '%{http_code}' --max-time 20 \
    "$OAK_URL/api/crasher/slow?ms=2000" > "$oak_tmp/slow.code" 2>&1 &
slow_pid=$!
oak_track "$slow_pid"
sleep 0.8
master=$OAK_PID
ws=$(oak_workers)
kill -TERM "$master"
oak_wait 20 oak_not_alive "$slow_pid"
wait "$slow_pid"
is "$(cat "$oak_tmp/slow.code")" 200 "the 2 s request in flight at SIGTERM completes with 200"
like "$(cat "$oak_tmp/slow.body")" '"slept_ms":2000' "with its full answer"
ok "the master exits" oak_wait 15 oak_not_alive "$master"
wait "$master"
is "$?" 0 "exit status 0"
ok "socket removed" test ! -e "$oak_sock"
ok "pid file removed" test ! -e "$oak_pidfile"
ok "log: draining, then stopped" oak_log_has 'stopping: draining [0-9]+ workers'
ok "log: stopped" oak_log_has '\] stopped$'
ok "no worker outlives the master" none_alive $ws

# ---- crash loop: back-off, then recovery -----------------------------------------------------------
oak_config "example, crasher" "[server]
workers = 1"
ok "oakseed restarts with 1 worker" oak_start || bail_out "cannot restart oakseed"
n502=0
i=0
while [ "$i" -lt 5 ]; do
    http GET /api/crasher/crash
    [ "$R_status" = 502 ] && [ "$(ecode)" = bad_gateway ] && n502=$((n502 + 1))
    i=$((i + 1))
done
is "$n502" 5 "5 crashing requests: 5 x 502 with the JSON envelope from nginx"
ok "the master logged the crash loop" oak_wait_log 'worker slot 0 is crash-looping: 5 crashes in [0-9.]+ s, last killed by signal 11' 5
ok "with a back-off" oak_log_has 'crash-looping: .*next restart in [0-9.]+ s'
http GET /api/crasher/ok
is "$R_status" 200 "the service recovers after the back-off"
is "$(n_ok 5 /api/example/greetings)" 5 "and keeps serving"
ok "master still running" oak_alive "$OAK_PID"

# ---- a master killed outright ---------------------------------------------------------------------
master=$OAK_PID
ws=$(oak_workers)
kill -KILL "$master"
oak_wait 5 oak_not_alive "$master"
wait "$master" 2> /dev/null
ok "its workers ($ws) exit with it" oak_wait 5 none_alive $ws
ok "a stale socket file is left" test -S "$oak_sock"
ok "oakseed starts again over the stale socket and pid file" oak_start
is "$(n_ok 5 /api/health)" 5 "and serves"

# ---- a master killed while its worker is busy: the orphan still holds the socket -----------------
curl -s -o "$oak_tmp/slow.body" -w '%{http_code}' --max-time 20 \
    "$OAK_URL/api/crasher/slow?ms=3000" > "$oak_tmp/slow.code" 2>&1 &
slow_pid=$!
oak_track "$slow_pid"
sleep 0.8
master=$OAK_PID
ws=$(oak_workers)
kill -KILL "$master"
oak_wait 5 oak_not_alive "$master"
wait "$master" 2> /dev/null
ok "its busy worker ($ws) is still finishing" oak_alive $ws
ok "a new master starts at once, though the orphan still listens on the socket" oak_start
ok "log: the dead master's socket is replaced" \
    oak_log_has "listen: $oak_sock is still held by workers of a master that died; replacing it"
is "$(n_ok 5 /api/health)" 5 "the new master serves"
oak_wait 10 oak_not_alive "$slow_pid"
wait "$slow_pid"
is "$(cat "$oak_tmp/slow.code")" 200 "the orphan's request in flight completes with 200"
ok "and the orphan exits" oak_wait 5 none_alive $ws

# ---- drain_timeout bounds reloads and stops -----------------------------------------------------------
oak_config "example, crasher" "[server]
workers = 1
drain_timeout = 1"
reloads=$(log_count 'reloaded: ')
kill -HUP "$OAK_PID"
ok "reload with drain_timeout = 1" oak_wait 10 log_count_gt 'reloaded: ' "$reloads"
http GET /api/crasher/ok
before=$(oak_workers)
curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$OAK_URL/api/crasher/slow?ms=4000" \
    > "$oak_tmp/slow.code" 2>&1 &
slow_pid=$!
oak_track "$slow_pid"
sleep 0.8
kill -HUP "$OAK_PID"
ok "a worker still busy after drain_timeout on reload is killed" \
    oak_wait 4 oak_log_has "worker $before did not finish within drain_timeout; killing it"
oak_wait 10 oak_not_alive "$slow_pid"
wait "$slow_pid"
is "$(cat "$oak_tmp/slow.code")" 502 "its request ends in a 502"
is "$(n_ok 3 /api/health)" 3 "the new worker serves"

curl -s -o /dev/null -w '%{http_code}' --max-time 20 "$OAK_URL/api/crasher/slow?ms=4000" \
    > "$oak_tmp/slow.code" 2>&1 &
slow_pid=$!
oak_track "$slow_pid"
sleep 0.8
master=$OAK_PID
kill -TERM "$master"
ok "SIGTERM with a request longer than drain_timeout: the master exits within 3 s" \
    oak_wait 3 oak_not_alive "$master"
wait "$master"
is "$?" 0 "exit status 0"
ok "log: workers killed after drain_timeout" oak_log_has 'still busy after drain_timeout; killing them'
oak_wait 10 oak_not_alive "$slow_pid"
wait "$slow_pid"
is "$(cat "$oak_tmp/slow.code")" 502 "the cut request ends in a 502"
ok "socket removed" test ! -e "$oak_sock"
ok "pid file removed" test ! -e "$oak_pidfile"

done_testing
