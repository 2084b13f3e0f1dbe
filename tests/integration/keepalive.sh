#!/bin/sh
# keepalive.sh - FastCGI keep-alive through real nginx (the shipped site:
# an upstream with keepalive and fastcgi_keep_conn on) without the stall:
# 32 concurrent clients on one worker all get their answers, correct, while
# the worker holds the idle kept connections; a request still gets in past
# them; SIGHUP replaces a worker holding idle kept connections and an
# in-flight request is answered; max_requests recycles under keep-alive;
# [server] threads serves the same way with several threads; SIGTERM drains
# without waiting out drain_timeout. Functional assertions only: the
# generous per-client timeouts are there so a stall fails instead of hanging.
# POSTs, which nginx never retries on a new connection, keep coming during
# SIGHUPs and max_requests recycling: every one must be answered, and
# nginx must log no upstream error (a kept connection closed under it).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

oak_require nginx curl cgi-fcgi sqlite3

oak_plugins example crasher

# none_alive PID...: every listed process has finished
none_alive() {
    for p in "$@"; do
        oak_alive "$p" && return 1
    done
    return 0
}

# spawn OUT CURL-ARGS...: one curl in the background writing its status
# code to OUT; its pid is added to $spawned
spawned=
spawn() {
    s_out=$1
    shift
    curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 "$@" > "$s_out" 2>&1 &
    spawned="$spawned $!"
    oak_track "$!"
}

# finish: wait for every spawned curl
finish() {
    oak_wait 30 none_alive $spawned
    wait $spawned 2> /dev/null
    spawned=
}

# burst TAG CLIENTS REQUESTS: CLIENTS concurrent curl processes, each making
# REQUESTS GETs on one client connection (alternating two routes) and
# writing one "status body-check" line per request to $oak_tmp/TAG.N.
# Prints how many answers were 200 with the right body.
burst() {
    b_pids=
    b_i=0
    while [ "$b_i" -lt "$2" ]; do
        (
            b_k=0
            while [ "$b_k" -lt "$3" ]; do
                if [ $((b_k % 2)) = 0 ]; then
                    b_out=$(curl -s --max-time 20 -w ' %{http_code}' "$OAK_URL/api/health")
                    case $b_out in *'"status":"ok"'*' 200') echo good ;; *) echo "bad $b_out" ;; esac
                else
                    b_out=$(curl -s --max-time 20 -w ' %{http_code}' "$OAK_URL/api/example/greetings?limit=1")
                    case $b_out in *'"items":'*' 200') echo good ;; *) echo "bad $b_out" ;; esac
                fi
                b_k=$((b_k + 1))
            done
        ) > "$oak_tmp/$1.$b_i" 2>&1 &
        b_pids="$b_pids $!"
        oak_track "$!"
        b_i=$((b_i + 1))
    done
    oak_wait 60 none_alive $b_pids
    wait $b_pids 2> /dev/null
    cat "$oak_tmp/$1".* | grep -c '^good$'
}

# post_load TAG CLIENTS: CLIENTS background loops, each POSTing greetings
# through nginx one after the other until $oak_tmp/TAG.stop exists (at
# most 3000 each), one status code per line in $oak_tmp/TAG.N.
post_pids=
post_load() {
    rm -f "$oak_tmp/$1.stop"
    pl_i=0
    post_pids=
    while [ "$pl_i" -lt "$2" ]; do
        (
            pl_k=0
            while [ ! -e "$oak_tmp/$1.stop" ] && [ "$pl_k" -lt 3000 ]; do
                curl -s -o /dev/null -w '%{http_code}\n' --max-time 20 \
                    -H 'Content-Type: application/json' \
                    --data "{\"name\":\"负载$pl_i\",\"message\":\"第 $pl_k 条\"}" \
                    "$OAK_URL/api/example/greetings"
                pl_k=$((pl_k + 1))
            done
        ) > "$oak_tmp/$1.$pl_i" 2>&1 &
        post_pids="$post_pids $!"
        oak_track "$!"
        pl_i=$((pl_i + 1))
    done
}

# post_stop TAG: end the loops and wait for their last requests
post_stop() {
    touch "$oak_tmp/$1.stop"
    oak_wait 30 none_alive $post_pids
    wait $post_pids 2> /dev/null
}

# post_count TAG [CODE]: how many POSTs were made (answered CODE)
post_count() {
    if [ -n "${2:-}" ]; then
        cat "$oak_tmp/$1".[0-9]* | grep -xc "$2"
    else
        cat "$oak_tmp/$1".[0-9]* | wc -l | tr -d ' '
    fi
}

# nginx_log_lines: the length of nginx's error log; nginx_upstream_errors LINE:
# its upstream errors after line LINE
nginx_log_lines() {
    wc -l < "$oak_tmp/log/nginx-error.log" | tr -d ' '
}
nginx_upstream_errors() {
    tail -n "+$(($1 + 1))" "$oak_tmp/log/nginx-error.log" |
        grep -E 'prematurely closed|reset by peer|upstream|\[(error|crit|alert|emerg)\]'
}

reloads_done() {
    [ "$(grep -c '\] reloaded: ' "$oak_log")" -ge "$1" ]
}

health_via_nginx() {
    http GET /api/health
    [ "$R_status" = 200 ]
}

oak_config "example, crasher" "[server]
workers = 1
max_requests = 0"
ok "oakseed starts with one worker" oak_start || bail_out "cannot start oakseed"
ok "nginx starts with the shipped site" oak_nginx_start || bail_out "cannot start nginx"
site=$oak_nginx_dir/oakseed-site.conf
ok "the rendered site keeps FastCGI connections" grep -q '^        fastcgi_keep_conn on;$' "$site"
ok "through the upstream to the test socket" grep -q "^    server unix:$oak_sock;$" "$site"
nok "and no longer straight to the socket" grep -q '^        fastcgi_pass unix:' "$site"

# ---- 32 clients, one worker ---------------------------------------------------------------
worker=$(oak_workers)
is "$(burst c32 32 6)" 192 "32 concurrent clients x 6 requests on one worker: all 192 answered correctly"
ok "the worker keeps idle connections open after the burst" test "$(oak_kept "$worker")" -ge 1
ok "a new request gets past the idle kept connections" health_via_nginx
is "$(oak_workers)" "$worker" "the same worker served them all"
nok "nginx logged no upstream timeout or reset" grep -Eq 'upstream timed out|reset by peer|prematurely closed' "$oak_tmp/log/nginx-error.log"

# ---- POSTs over kept connections ----------------------------------------------------------
rows=$(sql "$oak_db" 'SELECT count(*) FROM example_greetings')
i=0
while [ "$i" -lt 16 ]; do
    spawn "$oak_tmp/post.$i" -H 'Content-Type: application/json' \
        --data "{\"name\":\"保持$i\",\"message\":\"keep-alive\"}" "$OAK_URL/api/example/greetings"
    i=$((i + 1))
done
finish
is "$(cat "$oak_tmp"/post.* | grep -xc 201)" 16 "16 concurrent POSTs over kept connections: all 201"
is "$(sql "$oak_db" 'SELECT count(*) FROM example_greetings')" $((rows + 16)) "16 rows written"

# ---- SIGHUP: a worker with kept connections and a request in flight --------------------
ok "the worker holds kept connections before the reload" test "$(oak_kept "$worker")" -ge 1
spawn "$oak_tmp/slow.code" "$OAK_URL/api/crasher/slow?ms=700"
sleep 0.2
kill -HUP "$OAK_PID"
ok "the old worker exits after finishing its request" oak_wait 15 oak_not_alive "$worker"
finish
is "$(cat "$oak_tmp/slow.code")" 200 "the request in flight during SIGHUP was answered"
nok "it was not killed for overrunning drain_timeout" oak_log_has 'did not finish within drain_timeout'
ok "a new worker serves" oak_wait 10 health_via_nginx
is "$(burst hup 32 4)" 128 "after the reload: 32 clients x 4 requests all answered correctly"

# ---- SIGHUP under a load of POSTs ----------------------------------------------------------
# nginx does not retry a POST whose kept connection fails: a draining worker
# that closed a connection nginx had just sent a request on would be a 502.
elog=$(nginx_log_lines)
reloads=$(grep -c '\] reloaded: ' "$oak_log")
post_load hup_post 16
sleep 0.3
for n in 1 2 3 4 5 6 7 8 9 10; do
    kill -HUP "$OAK_PID"
    oak_wait 10 reloads_done $((reloads + n))
    sleep 0.2
done
post_stop hup_post
ok "10 reloads were done under the load" reloads_done $((reloads + 10))
ok "a good many POSTs were made ($(post_count hup_post))" test "$(post_count hup_post)" -ge 100
is "$(post_count hup_post 201)" "$(post_count hup_post)" "every POST during the reloads was answered 201"
is "$(nginx_upstream_errors "$elog")" "" "nginx logged no upstream error during the reloads"
nok "no worker was killed for overrunning drain_timeout" oak_log_has 'did not finish within drain_timeout'

# ---- max_requests under keep-alive --------------------------------------------------------
oak_stop
is "$oak_stop_status" 0 "SIGTERM: the master exits 0"
oak_config "example, crasher" "[server]
workers = 1
max_requests = 40"
ok "oakseed restarts with max_requests = 40" oak_start || bail_out "cannot restart oakseed"
first=$(oak_workers)
is "$(burst recycle 16 8)" 128 "128 requests across recycling: all answered correctly"
isnt "$(oak_workers)" "$first" "the worker was recycled"
oak_stop
is "$oak_stop_status" 0 "SIGTERM: the master exits 0"

# ---- max_requests under a load of POSTs ----------------------------------------------------
# a recycle every 5 requests: about 200 workers each let go of the kept
# connections nginx is busy sending POSTs on
oak_config "example, crasher" "[server]
workers = 1
max_requests = 5"
ok "oakseed restarts with max_requests = 5" oak_start || bail_out "cannot restart oakseed"
elog=$(nginx_log_lines)
first=$(oak_workers)
post_load recycle_post 16
oak_wait 90 sh -c "[ \$(cat '$oak_tmp'/recycle_post.[0-9]* | wc -l) -ge 1000 ]"
post_stop recycle_post
ok "a good many POSTs were made ($(post_count recycle_post))" test "$(post_count recycle_post)" -ge 1000
is "$(post_count recycle_post 201)" "$(post_count recycle_post)" \
    "every POST across max_requests recycling was answered 201"
is "$(nginx_upstream_errors "$elog")" "" "nginx logged no upstream error across the recycling"
isnt "$(oak_workers)" "$first" "the worker was recycled under the POSTs"
nok "no worker crashed" oak_log_has 'killed by signal|exited with status [1-9]'
oak_stop
is "$oak_stop_status" 0 "SIGTERM: the master exits 0"

# ---- [server] threads ---------------------------------------------------------------------
oak_config "example, crasher" "[server]
workers = 1
threads = 3
max_requests = 0"
ok "oakseed starts with one worker of 3 threads" oak_start || bail_out "cannot start oakseed with threads"
worker=$(oak_workers)
is "$(sed -n 's/^Threads:[[:space:]]*//p' "/proc/$worker/status")" 3 "the worker runs 3 threads"
is "$(burst t32 32 6)" 192 "threads: 32 concurrent clients x 6 requests all answered correctly"
ok "threads: idle connections stay open" test "$(oak_kept "$worker")" -ge 1
for j in 1 2 3; do
    spawn "$oak_tmp/tslow.$j" "$OAK_URL/api/crasher/slow?ms=400"
done
sleep 0.15
is "$(burst tside 4 2)" 8 "threads: quick requests are answered while slow ones run"
finish
is "$(cat "$oak_tmp"/tslow.* | grep -xc 200)" 3 "threads: the slow requests were answered"

# ---- SIGTERM with kept connections and a request in flight -----------------------------------
spawn "$oak_tmp/last.code" "$OAK_URL/api/crasher/slow?ms=600"
sleep 0.2
oak_stop
is "$oak_stop_status" 0 "SIGTERM with kept connections: the master exits 0"
finish
is "$(cat "$oak_tmp/last.code")" 200 "the request in flight during SIGTERM was answered"
ok "the log says stopped" oak_log_has '\] stopped$'
nok "no worker had to be killed" oak_log_has 'still busy after drain_timeout|did not finish within drain_timeout'
nok "no worker crashed" oak_log_has 'killed by signal|exited with status [1-9]'
oak_nginx_stop

done_testing
