#!/bin/sh
# crossed.sh - no response is ever delivered to the wrong request: thousands
# of concurrent requests through nginx to the echo test plugin, each with a
# nonce of its own (query or JSON body, and an X-Nonce header), checked by
# tests/integration/crossed.py against the answer and the request id. Run
# with nginx -> oakseed FastCGI connections kept alive (the shipped site:
# upstream keepalive, fastcgi_keep_conn on), then one connection per
# request (keep_conn off), then kept alive with [server] threads = 4; each
# time with clients that open a connection per request and with clients
# that keep theirs.
#
# OAK_CROSSED_N requests per run (default 3000), OAK_CROSSED_THREADS
# concurrent clients (default 48).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

oak_require nginx curl cgi-fcgi python3

n=${OAK_CROSSED_N:-3000}
par=${OAK_CROSSED_THREADS:-48}
oak_plugins echo
oak_config "echo" "[server]
workers = 2"
ok "oakseed starts" oak_start || bail_out "cannot start oakseed"
ok "nginx starts" oak_nginx_start || bail_out "cannot start nginx"
site=$oak_nginx_dir/oakseed-site.conf

kept_all() {
    t=0
    for w in $(oak_workers); do t=$((t + $(oak_kept "$w"))); done
    echo "$t"
}

# crossed TAG MODE: one run of crossed.py; passes when all N answers are right
crossed() {
    t0=$(date +%s)
    timeout 300 python3 "$top_srcdir/tests/integration/crossed.py" "$OAK_URL" "$n" "$par" "$2" \
        > "$oak_tmp/$1.out" 2> "$oak_tmp/$1.err"
    c_rc=$?
    read -r c_total c_ok c_crossed c_failed < "$oak_tmp/$1.out" || c_total=
    diag "$1: $c_total requests, $c_ok right, $c_crossed crossed, $c_failed failed in $(($(date +%s) - t0)) s"
    is "${c_crossed:-?}" 0 "$1: no answer carries another request's nonce or request id"
    if [ "$c_rc" = 0 ] && [ "$c_ok" = "$n" ]; then
        pass "$1: all $n answered, each with its own nonce"
    else
        fail "$1: all $n answered, each with its own nonce"
        diag "$(head -n 10 "$oak_tmp/$1.err")"
    fi
}

# nginx_reload: SIGHUP nginx and wait until its new worker serves
nginx_reload() {
    r0=$(grep -c 'start worker process' "$oak_tmp/log/nginx-error.log")
    kill -HUP "$NGINX_PID"
    oak_wait 10 sh -c "[ \$(grep -c 'start worker process' '$oak_tmp/log/nginx-error.log') -gt $r0 ]" &&
        sleep 0.5 && oak_nginx_up
}

# ---- kept-alive FastCGI connections (the shipped site) -----------------------------------
like "$(cat "$site")" 'fastcgi_keep_conn on' "the shipped site keeps FastCGI connections"
crossed keepalive-close close
crossed keepalive-keep keep
ok "the workers hold kept connections" test "$(kept_all)" -gt 0

# ---- one FastCGI connection per request --------------------------------------------------
sed -i -e 's/fastcgi_keep_conn on;/fastcgi_keep_conn off;/' -e '/^ *keepalive [0-9]*;/d' "$site"
ok "nginx reloads without keep_conn" nginx_reload
crossed plain-close close
crossed plain-keep keep
none_kept() { test "$(kept_all)" = 0; }
ok "the workers hold no connection between requests" oak_wait 5 none_kept

# ---- kept alive, 4 threads per worker --------------------------------------------------------
oak_render_back() {
    oak_nginx_render "$oak_nginx_port" "$oak_tmp/www" "$oak_sock" "$site"
}
oak_render_back
ok "nginx reloads with keep_conn again" nginx_reload
oak_config "echo" "[server]
workers = 2
threads = 4"
ws=$(oak_workers)
reloads=$(grep -c 'reloaded: ' "$oak_log")
kill -HUP "$OAK_PID"
ok "oakseed reloads with threads = 4" oak_wait 10 sh -c "[ \$(grep -c 'reloaded: ' '$oak_log') -gt $reloads ]"
crossed threads-keep keep
crossed threads-close close

oak_nginx_stop
oak_stop
done_testing
