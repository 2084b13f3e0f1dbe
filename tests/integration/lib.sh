# tests/integration/lib.sh - shared helpers for the integration tests.
#
# Sourced (POSIX sh) by every tests/integration/*.sh. It gives:
#   TAP        plan, ok, is, isnt, like, unlike, pass, fail, skip, todo, diag,
#              done_testing, skip_all, bail_out
#   sandbox    $oak_tmp (mode 0711, removed on exit with every process the
#              test started), oak_track, oak_alive, oak_stop_pid, oak_wait,
#              oak_mount / oak_umount (undone on exit too)
#   oakseed    oak_plugins, oak_config, oak_start, oak_stop, oak_workers, oak_kept,
#              oak_wait_log
#   registry   oak_mkid, oak_registry_config, oak_donor_json
#   nginx      oak_nginx_start (the shipped contrib/nginx/oakseed.conf with
#              only port, www root and socket replaced), oak_nginx_stop,
#              oak_nginx_plain (the same without FastCGI keep-alive)
#   requests   http (curl via nginx), fcgi (cgi-fcgi straight to oakseed);
#              both leave $R_status, $R_headers, $R_body; hdr NAME reads a
#              response header, jget KEY a JSON value of the body
#   staff      adduser, login, as (a request with a staff session)
#
# Everything listens on 127.0.0.1 or on unix sockets under $oak_tmp.
# Nothing here uses bash features, python or jq.

LC_ALL=C
export LC_ALL
PATH=$PATH:/usr/sbin:/sbin
export PATH

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
: "${OAKSEED:=$top_builddir/oakseed}"
: "${OAK_PLUGIN_BUILD_DIR:=$top_builddir/plugins/.libs}"
: "${OAK_TEST_PLUGIN_DIR:=$top_builddir/tests/plugins/.libs}"
: "${MAKE:=make}"
: "${CC:=cc}"
: "${PKG_CONFIG:=pkg-config}"
[ -n "${NGINX:-}" ] || NGINX=$(command -v nginx 2> /dev/null || true)
# nginx reads an environment variable NGINX as a list of inherited sockets:
# keep the path in OAK_NGINX and take NGINX out of the environment.
OAK_NGINX=$NGINX
unset NGINX
OAK_FREEPORT=$top_builddir/tests/tools/freeport
CGI_FCGI=$(command -v cgi-fcgi 2>/dev/null || true)

# ---- TAP ------------------------------------------------------------------

oak_n=0
oak_failed=0
oak_planned=
oak_done=0

plan() {
    oak_planned=$1
    echo "1..$1"
}

# diag LINE...: each argument on its own "# " line (multi-line ones too).
diag() {
    printf '%s\n' "$@" | sed 's/^/# /'
}

oak_result() {
    oak_n=$((oak_n + 1))
    if [ "$1" = 0 ]; then
        echo "ok $oak_n - $2"
        return 0
    fi
    echo "not ok $oak_n - $2"
    oak_failed=$((oak_failed + 1))
    return 1
}

pass() { oak_result 0 "$*"; }
fail() { oak_result 1 "$*"; }

# ok DESC COMMAND [ARGS...]: passes when the command succeeds. Its output
# goes to stderr (the test log), never into the TAP stream.
ok() {
    oak_d=$1
    shift
    if "$@" >&2; then
        pass "$oak_d"
    else
        fail "$oak_d"
        diag "  command failed: $*"
        return 1
    fi
}

# nok DESC COMMAND [ARGS...]: passes when the command fails.
nok() {
    oak_d=$1
    shift
    if "$@" >&2; then
        fail "$oak_d"
        diag "  command unexpectedly succeeded: $*"
        return 1
    fi
    pass "$oak_d"
}

is() {
    if [ "$1" = "$2" ]; then
        pass "$3"
    else
        fail "$3"
        diag "  got:      '$1'" "  expected: '$2'"
        return 1
    fi
}

isnt() {
    if [ "$1" != "$2" ]; then
        pass "$3"
    else
        fail "$3"
        diag "  got '$1', expected anything else"
        return 1
    fi
}

# like TEXT ERE DESC / unlike TEXT ERE DESC (grep -E, any line)
like() {
    if printf '%s\n' "$1" | grep -Eq -- "$2"; then
        pass "$3"
    else
        fail "$3"
        diag "  text:    '$(printf '%s' "$1" | head -c 600)'" "  pattern: '$2'"
        return 1
    fi
}

unlike() {
    if printf '%s\n' "$1" | grep -Eq -- "$2"; then
        fail "$3"
        diag "  text:    '$(printf '%s' "$1" | head -c 600)'" "  matches: '$2'"
        return 1
    fi
    pass "$3"
}

skip() {
    oak_n=$((oak_n + 1))
    echo "ok $oak_n - $1 # SKIP ${2:-}"
}

# todo REASON DESC COMMAND [ARGS...]: a check of a known gap, reported with
# a TAP TODO directive naming REASON: failing, it is an expected failure
# (XFAIL) that does not fail the test; passing, it is an XPASS, which
# does, so that the directive goes once the gap is closed.
todo() {
    oak_why=$1
    oak_d=$2
    shift 2
    oak_n=$((oak_n + 1))
    if "$@" >&2; then
        echo "ok $oak_n - $oak_d # TODO $oak_why"
    else
        echo "not ok $oak_n - $oak_d # TODO $oak_why"
    fi
}

done_testing() {
    oak_done=1
    if [ -z "$oak_planned" ]; then
        echo "1..$oak_n"
    elif [ "$oak_planned" != "$oak_n" ]; then
        diag "planned $oak_planned tests but ran $oak_n"
        oak_failed=$((oak_failed + 1))
    fi
    [ "$oak_failed" = 0 ] || diag "$oak_failed of $oak_n tests failed"
    [ "$oak_failed" = 0 ] && exit 0
    exit 1
}

skip_all() {
    oak_done=1
    echo "1..0 # SKIP $*"
    exit 0
}

bail_out() {
    oak_done=1
    echo "Bail out! $*"
    exit 1
}

# oak_require CMD...: skip the whole test when a tool is missing, except
# under CI (CI set), where a missing tool is an error, never a skip.
oak_require() {
    for oak_c in "$@"; do
        if [ "$oak_c" = nginx ]; then
            [ -n "$OAK_NGINX" ] && [ -x "$OAK_NGINX" ] && continue
        else
            command -v "$oak_c" > /dev/null 2>&1 && continue
        fi
        if [ -n "${CI:-}" ]; then
            bail_out "$oak_c not found (CI must install it)"
        fi
        skip_all "$oak_c not found"
    done
}

# ---- the sandbox ------------------------------------------------------------

oak_tmp=$(mktemp -d "${TMPDIR:-/tmp}/oakit.XXXXXX") || bail_out "mktemp failed"
# 0711: nginx workers (nobody when run as root) must traverse it
chmod 0711 "$oak_tmp"
mkdir -p "$oak_tmp/run" "$oak_tmp/log" "$oak_tmp/data" "$oak_tmp/plugins" "$oak_tmp/resp"
chmod 0711 "$oak_tmp/run"

# A sanitizer build (make check sets OAK_SANITIZE, ASAN_OPTIONS and
# UBSAN_OPTIONS): every process this test starts writes its reports under
# $oak_tmp/sanitizer (world-writable, for processes that change user), and
# oak_cleanup fails the test when one is there, even if the test passed.
if [ -n "${OAK_SANITIZE:-}" ]; then
    mkdir -p "$oak_tmp/sanitizer"
    chmod 1777 "$oak_tmp/sanitizer"
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$oak_tmp/sanitizer/asan"
    UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$oak_tmp/sanitizer/ubsan"
    export ASAN_OPTIONS UBSAN_OPTIONS
fi

# make check-valgrind (OAK_VALGRIND is the valgrind command line): oak_start
# runs the daemon under it, every process (master and forked workers)
# logging to $oak_tmp/valgrind/; oak_cleanup fails the test when one of
# them logged a memory error or a definite leak.
oak_valgrind=
oak_started=0
if [ -n "${OAK_VALGRIND:-}" ]; then
    mkdir -p "$oak_tmp/valgrind"
    chmod 1777 "$oak_tmp/valgrind"
    oak_valgrind="$OAK_VALGRIND --trace-children=yes --child-silent-after-fork=no --log-file=$oak_tmp/valgrind/vg.%p.log"
fi

oak_sock=$oak_tmp/run/oakseed.sock
oak_pidfile=$oak_tmp/run/oakseed.pid
oak_conf=$oak_tmp/oakseed.conf
oak_log=$oak_tmp/log/oakseed.log
oak_db=$oak_tmp/data/oakseed.db
R_raw=$oak_tmp/resp/raw
R_headers=$oak_tmp/resp/headers
R_body=$oak_tmp/resp/body
R_err=$oak_tmp/resp/err
R_status=000

if [ "$(id -u)" = 0 ]; then
    oak_root=1
    oak_web_user=nobody
    oak_web_group=$(id -gn nobody 2>/dev/null || echo nogroup)
else
    oak_root=0
fi

oak_pids=
oak_watchdog_pid=
OAK_PID=
NGINX_PID=

oak_track() {
    oak_pids="$oak_pids $1"
}

# Alive and not a zombie.
oak_alive() {
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
    oak_st=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)
    [ -n "$oak_st" ] && [ "$oak_st" != Z ] && [ "$oak_st" != X ]
}

# oak_wait SECONDS COMMAND...: poll every 0.1 s until the command succeeds.
oak_wait() {
    oak_ticks=$(($1 * 10))
    shift
    while [ "$oak_ticks" -gt 0 ]; do
        "$@" > /dev/null 2>&1 && return 0
        sleep 0.1
        oak_ticks=$((oak_ticks - 1))
    done
    "$@" > /dev/null 2>&1
}

oak_not_alive() { ! oak_alive "$1"; }

# oak_stop_pid PID [SIGNAL] [SECONDS]: signal, wait, SIGKILL if it will
# not go; reaps it and leaves its exit status in $oak_stop_status.
oak_stop_pid() {
    oak_stop_status=
    [ -n "$1" ] || return 0
    if oak_alive "$1"; then
        kill "-${2:-TERM}" "$1" 2> /dev/null
        if ! oak_wait "${3:-10}" oak_not_alive "$1"; then
            diag "pid $1 did not stop within ${3:-10}s; killing it"
            kill -KILL "$1" 2> /dev/null
            oak_wait 5 oak_not_alive "$1"
        fi
    fi
    wait "$1" 2> /dev/null
    oak_stop_status=$?
}

oak_dump_logs() {
    for oak_f in "$oak_tmp"/log/*; do
        [ -s "$oak_f" ] || continue
        diag "---- last lines of $(basename "$oak_f")"
        diag "$(tail -n 25 "$oak_f")"
    done
}

oak_cleanup() {
    oak_status=$?
    trap - EXIT HUP INT TERM
    if [ "$oak_done" = 0 ]; then
        fail "test script ended before done_testing (status $oak_status)"
        echo "1..$oak_n"
        [ "$oak_status" != 0 ] || oak_status=1
    fi
    if [ -n "$oak_watchdog_pid" ]; then
        kill -TERM "$oak_watchdog_pid" 2> /dev/null
        wait "$oak_watchdog_pid" 2> /dev/null
    fi
    for oak_p in $oak_pids; do
        oak_alive "$oak_p" && kill -TERM "$oak_p" 2> /dev/null
    done
    for oak_p in $oak_pids; do
        oak_wait 10 oak_not_alive "$oak_p" || kill -KILL "$oak_p" 2> /dev/null
        wait "$oak_p" 2> /dev/null
    done
    if [ -n "${OAK_SANITIZE:-}" ] && [ -n "$(ls -A "$oak_tmp/sanitizer" 2> /dev/null)" ]; then
        for oak_f in "$oak_tmp"/sanitizer/*; do
            diag "---- sanitizer report $(basename "$oak_f")" "$(head -n 80 "$oak_f")"
        done
        echo "Bail out! a sanitizer reported an error in a process of this test (see above)"
        oak_failed=$((oak_failed + 1))
        [ "$oak_status" != 0 ] || oak_status=1
    fi
    if [ -n "$oak_valgrind" ] && [ "$oak_started" = 1 ] && [ -z "$(ls -A "$oak_tmp/valgrind")" ]; then
        echo "Bail out! the daemon was started but left no valgrind log: it did not run under valgrind"
        oak_failed=$((oak_failed + 1))
        [ "$oak_status" != 0 ] || oak_status=1
    elif [ -n "$oak_valgrind" ]; then
        diag "valgrind: $(ls "$oak_tmp/valgrind" | wc -l) process log(s) checked"
    fi
    if [ -n "$oak_valgrind" ] &&
        oak_vg=$(grep -l 'ERROR SUMMARY: [1-9]\|definitely lost: [1-9]' "$oak_tmp"/valgrind/* 2> /dev/null); then
        for oak_f in $oak_vg; do
            diag "---- valgrind $(basename "$oak_f")" "$(head -n 120 "$oak_f")"
        done
        echo "Bail out! valgrind reported memory errors or definite leaks (see above)"
        oak_failed=$((oak_failed + 1))
        [ "$oak_status" != 0 ] || oak_status=1
    fi
    [ "$oak_failed" = 0 ] || oak_dump_logs
    # mounts the test made (oak_mount), newest first; lazily, as a process
    # of ours that would not die may still hold a file there
    for oak_m in $oak_mounts; do
        umount -l "$oak_m" 2> /dev/null || diag "cannot unmount $oak_m"
    done
    if [ -n "${OAK_KEEP_TMP:-}" ]; then
        diag "keeping $oak_tmp"
    else
        rm -rf "$oak_tmp"
    fi
    exit "$oak_status"
}

trap oak_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# oak_watchdog SECONDS: end the test (and so clean up) if it runs too long.
oak_watchdog() {
    (
        trap 'kill $oak_ws 2> /dev/null; wait $oak_ws; exit 0' TERM
        sleep "$1" &
        oak_ws=$!
        wait "$oak_ws" && kill -TERM $$
    ) > /dev/null 2>&1 < /dev/null &
    oak_watchdog_pid=$!
}
oak_watchdog "${OAK_TEST_TIMEOUT:-150}"

oak_freeport() {
    "$OAK_FREEPORT"
}

# oak_mount MOUNT-ARGS... DIR: mount (root only) and remember DIR, so that
# oak_cleanup unmounts it even when the test fails; oak_umount DIR undoes
# the newest mount on DIR. Paths must not contain blanks ($oak_tmp has none).
oak_mounts=
oak_mount() {
    for oak_dir in "$@"; do :; done
    mount "$@" || return 1
    oak_mounts="$oak_dir $oak_mounts"
}

oak_umount() {
    umount "$1" 2> /dev/null || umount -l "$1" || return 1
    oak_rest=
    oak_gone=
    for oak_m in $oak_mounts; do
        if [ -z "$oak_gone" ] && [ "$oak_m" = "$1" ]; then
            oak_gone=1
        else
            oak_rest="$oak_rest $oak_m"
        fi
    done
    oak_mounts=$oak_rest
}

# ---- oakseed ----------------------------------------------------------------

# oak_plugins NAME...: link built plugins (example) and test plugins
# (lateroute, crasher, ...) into the single plugin dir $oak_tmp/plugins.
oak_plugins() {
    for oak_p in "$@"; do
        if [ -f "$OAK_PLUGIN_BUILD_DIR/$oak_p.so" ]; then
            ln -sf "$OAK_PLUGIN_BUILD_DIR/$oak_p.so" "$oak_tmp/plugins/$oak_p.so"
        elif [ -f "$OAK_TEST_PLUGIN_DIR/$oak_p.so" ]; then
            ln -sf "$OAK_TEST_PLUGIN_DIR/$oak_p.so" "$oak_tmp/plugins/$oak_p.so"
        else
            bail_out "plugin $oak_p.so is not built (looked in $OAK_PLUGIN_BUILD_DIR and $OAK_TEST_PLUGIN_DIR)"
        fi
    done
}

# oak_config PLUGINS [EXTRA] [FILE]: write an oakseed config. Paths are
# relative (they resolve against the config file's directory); EXTRA is
# appended verbatim, e.g. "[limits]
# max_body = 1k".
oak_config() {
    {
        echo "# written by $(basename "$0")"
        echo "[server]"
        echo "listen = unix:run/oakseed.sock"
        [ "$oak_root" = 1 ] && echo "socket_group = $oak_web_group"
        echo "workers = 2"
        echo "pid_file = run/oakseed.pid"
        echo "drain_timeout = 10"
        echo
        echo "[log]"
        echo "level = info"
        echo "file = log/oakseed.log"
        echo
        echo "[database]"
        echo "path = data/oakseed.db"
        echo
        echo "[plugins]"
        echo "dir = plugins"
        echo "load = $1"
        echo
        [ -z "${2:-}" ] || printf '%s\n' "$2"
    } > "${3:-$oak_conf}"
}

oak_pidfile_is() {
    [ -s "$oak_pidfile" ] && [ "$(cat "$oak_pidfile" 2> /dev/null)" = "$1" ]
}

oak_health_ok() {
    fcgi GET /api/health && [ "$R_status" = 200 ]
}

# oak_start [ARGS...]: start `oakseed serve -c $oak_conf ARGS` from / (so
# relative paths must come from the config's directory), and wait until it
# wrote its pid file ($oak_pidfile), listens ($oak_sock, or nothing to
# check when empty) and answers /api/health (on $FCGI_CONNECT or
# $oak_sock). Sets OAK_PID.
oak_start() {
    oak_started=1
    # shellcheck disable=SC2086
    (cd / && exec $oak_valgrind "$OAKSEED" serve -c "$oak_conf" "$@") \
        >> "$oak_tmp/log/oakseed.out" 2>&1 < /dev/null &
    OAK_PID=$!
    oak_track "$OAK_PID"
    oak_ticks=150
    while [ "$oak_ticks" -gt 0 ]; do
        oak_alive "$OAK_PID" || break
        oak_pidfile_is "$OAK_PID" && { [ -z "$oak_sock" ] || [ -S "$oak_sock" ]; } && break
        sleep 0.1
        oak_ticks=$((oak_ticks - 1))
    done
    if ! oak_alive "$OAK_PID" || ! oak_pidfile_is "$OAK_PID"; then
        diag "oakseed did not start"
        return 1
    fi
    if [ -n "$CGI_FCGI" ]; then
        oak_wait 10 oak_health_ok || { diag "oakseed does not answer /api/health"; return 1; }
    fi
    return 0
}

# oak_stop [PID]: SIGTERM the master and wait for it (drain included).
oak_stop() {
    oak_stop_pid "${1:-$OAK_PID}" TERM 20
}

# oak_kept PID: how many FastCGI connections worker PID holds open (its
# connected unix stream sockets): kept-alive ones between requests.
oak_kept() {
    for oak_f in /proc/"$1"/fd/*; do
        readlink "$oak_f" 2> /dev/null
    done | sed -n 's/^socket:\[\([0-9]*\)\]$/\1/p' |
        awk 'NR == FNR { if ($5 == "0001" && $6 == "03") s[$7] = 1; next }
             ($1 in s) { n++ } END { print n + 0 }' /proc/net/unix -
}

# Worker pids of the running master, sorted, one line.
oak_workers() {
    for oak_w in $(pgrep -P "${1:-$OAK_PID}" 2> /dev/null); do
        oak_alive "$oak_w" && echo "$oak_w"
    done | sort -n | tr '\n' ' ' | sed 's/ $//'
}

oak_nworkers() {
    oak_workers "${1:-$OAK_PID}" | wc -w | tr -d ' '
}

oak_log_has() {
    grep -Eq -- "$1" "${2:-$oak_log}" 2> /dev/null
}

# oak_wait_log ERE [SECONDS]
oak_wait_log() {
    oak_wait "${2:-10}" oak_log_has "$1"
}

# ---- registry fixtures ------------------------------------------------------------

# oak_mkid PREFIX6 YYYYMMDD SEQ3: a resident ID number with its check character
oak_mkid() {
    printf '%s%s%s\n' "$1" "$2" "$3" | awk '{
        split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
        s = 0
        for (i = 1; i <= 17; i++) s += substr($0, i, 1) * w[i]
        print $0 substr("10X98765432", s % 11 + 1, 1)
    }'
}

# oak_registry_config PLUGINS [AUTH-LINES]: copy scripts/ into the sandbox
# and write a config loading PLUGINS with the key file data/keys (not
# created here), those scripts, and scrypt_log_n = 12 plus AUTH-LINES in
# [auth].
oak_registry_config() {
    cp -R "$top_srcdir/scripts" "$oak_tmp/scripts"
    chmod -R u+w "$oak_tmp/scripts"
    oak_config "$1" "[auth]
scrypt_log_n = 12
${2:-}

[keys]
file = data/keys

[lua]
scripts = scripts"
}

# oak_donor_json ID: a complete donor registration for 保山 隆阳区 (530502)
oak_donor_json() {
    printf '%s' "{\"name\":\"张丽华\",\"id_number\":\"$1\",\"ethnicity\":\"汉族\",\"mobile\":\"13987651234\",\"region\":\"530502\",\"donation\":{\"all_organs\":true},\"emergency_contact\":{\"name\":\"张建国\",\"relation\":\"父亲\",\"mobile\":\"13600001111\"},\"consents\":{\"voluntary\":true,\"informed\":true,\"revocable\":true}}"
}

# ---- nginx --------------------------------------------------------------------

# oak_nginx_render PORT WWW SOCKET OUT: the shipped server block with only
# the port, the www root and the socket replaced.
oak_nginx_render() {
    sed -e "s|127\.0\.0\.1:8080|127.0.0.1:$1|" \
        -e "s|/usr/share/oakseed/www|$2|" \
        -e "s|unix:/run/oakseed/oakseed\.sock|unix:$3|" \
        "$top_srcdir/contrib/nginx/oakseed.conf" > "$4"
}

# oak_nginx_plain FILE: a rendered site without kept-alive FastCGI
# connections (a new one per request), as contrib/nginx/oakseed.conf says.
oak_nginx_plain() {
    sed -i '/^        fastcgi_keep_conn on;$/d' "$1"
}

# oak_nginx_start: copy www/, render the site, wrap it in a minimal
# nginx.conf (everything under $oak_tmp/nginx) and start nginx in the
# foreground on a free port. Sets OAK_URL, NGINX_PID, oak_nginx_dir.
# OAK_NGINX_WORKERS (default 1) sets worker_processes; OAK_NGINX_EXTRA is
# added to the http block (more server blocks, as tests/bench/run.sh does);
# OAK_NGINX_PLAIN=1 renders the site without kept-alive connections.
oak_nginx_start() {
    oak_nginx_dir=$oak_tmp/nginx
    mkdir -p "$oak_nginx_dir/tmp"
    chmod 0711 "$oak_nginx_dir" "$oak_nginx_dir/tmp"
    if [ ! -d "$oak_tmp/www" ]; then
        cp -R "$top_srcdir/www" "$oak_tmp/www"
        chmod -R u+w,a+rX "$oak_tmp/www"
    fi
    oak_user_line=
    [ "$oak_root" = 1 ] && oak_user_line="user $oak_web_user $oak_web_group;"
    oak_mime="include /etc/nginx/mime.types;"
    [ -r /etc/nginx/mime.types ] ||
        oak_mime="types { text/html html; text/css css; application/javascript js; image/png png; }"
    oak_e=
    "$OAK_NGINX" -h 2>&1 | grep -q -- '-e filename' && oak_e=1
    for oak_try in 1 2 3; do
        oak_nginx_port=$(oak_freeport) || bail_out "freeport failed"
        oak_nginx_render "$oak_nginx_port" "$oak_tmp/www" "$oak_sock" "$oak_nginx_dir/oakseed-site.conf"
        [ -z "${OAK_NGINX_PLAIN:-}" ] || oak_nginx_plain "$oak_nginx_dir/oakseed-site.conf"
        cat > "$oak_nginx_dir/nginx.conf" << EOF
$oak_user_line
daemon off;
master_process on;
worker_processes ${OAK_NGINX_WORKERS:-1};
pid $oak_nginx_dir/nginx.pid;
error_log $oak_tmp/log/nginx-error.log info;
events { worker_connections 256; }
http {
    $oak_mime
    default_type application/octet-stream;
    log_format oak '\$remote_addr "\$request" \$status \$body_bytes_sent rid=\$request_id';
    access_log $oak_tmp/log/nginx-access.log oak;
    client_body_temp_path $oak_nginx_dir/tmp/body;
    fastcgi_temp_path $oak_nginx_dir/tmp/fastcgi;
    proxy_temp_path $oak_nginx_dir/tmp/proxy;
    uwsgi_temp_path $oak_nginx_dir/tmp/uwsgi;
    scgi_temp_path $oak_nginx_dir/tmp/scgi;
    include $oak_nginx_dir/oakseed-site.conf;
    ${OAK_NGINX_EXTRA:-}
}
EOF
        if [ -n "$oak_e" ]; then
            "$OAK_NGINX" -p "$oak_nginx_dir/" -c "$oak_nginx_dir/nginx.conf" \
                -e "$oak_tmp/log/nginx-error.log" >> "$oak_tmp/log/nginx.out" 2>&1 < /dev/null &
        else
            "$OAK_NGINX" -p "$oak_nginx_dir/" -c "$oak_nginx_dir/nginx.conf" \
                >> "$oak_tmp/log/nginx.out" 2>&1 < /dev/null &
        fi
        NGINX_PID=$!
        oak_track "$NGINX_PID"
        OAK_URL=http://127.0.0.1:$oak_nginx_port
        if oak_wait 10 oak_nginx_up; then
            return 0
        fi
        oak_stop_pid "$NGINX_PID" TERM 5
        # a port taken in between: try another one
        grep -q 'Address already in use' "$oak_tmp/log/nginx-error.log" "$oak_tmp/log/nginx.out" \
            2> /dev/null || break
    done
    diag "nginx did not start"
    diag "$(cat "$oak_tmp/log/nginx.out" "$oak_tmp/log/nginx-error.log" 2> /dev/null | tail -n 20)"
    return 1
}

oak_nginx_up() {
    oak_alive "$NGINX_PID" &&
        curl -s -o /dev/null --max-time 2 "$OAK_URL/" 2> /dev/null
}

oak_nginx_stop() {
    oak_stop_pid "$NGINX_PID" TERM 10
}

# ---- requests -------------------------------------------------------------------

# Keep the last response's headers: CR stripped, only the final response
# (a "100 Continue" block before it is dropped).
oak_split_headers() {
    tr -d '\r' < "$R_raw" | awk '
        /^HTTP\// { buf = ""; inh = 1 }
        inh && /^$/ { inh = 0 }
        inh { buf = buf $0 "\n" }
        END { printf "%s", buf }' > "$R_headers"
}

# http METHOD PATH-OR-URL [CURL-ARGS...]: one request through nginx.
# Sets R_status ("000" when curl failed) and fills $R_headers, $R_body.
http() {
    oak_m=$1
    oak_u=$2
    shift 2
    case $oak_u in
    http://* | https://*) ;;
    *) oak_u=$OAK_URL$oak_u ;;
    esac
    rm -f "$R_raw" "$R_headers" "$R_body" "$R_err"
    case $oak_m in
    HEAD) set -- --head "$@" ;;
    GET) ;;
    *) set -- -X "$oak_m" "$@" ;;
    esac
    R_status=$(curl -sS --max-time 30 -H 'Expect:' -o "$R_body" -D "$R_raw" \
        -w '%{http_code}' "$@" "$oak_u" 2> "$R_err")
    [ -n "$R_status" ] || R_status=000
    [ "$oak_m" != HEAD ] || : > "$R_body"
    touch "$R_raw" "$R_body"
    oak_split_headers
    [ "$R_status" != 000 ] || diag "curl $oak_m $oak_u: $(cat "$R_err")"
    return 0
}

# fcgi METHOD URI [BODYFILE [CONTENT_TYPE [NAME=VALUE...]]]: one request
# straight to oakseed with cgi-fcgi and nothing but the given params
# (CONTENT_LENGTH is the body file's exact byte count). $FCGI_CONNECT
# overrides the socket (e.g. 127.0.0.1:PORT).
fcgi() {
    oak_m=$1
    oak_u=$2
    oak_bf=${3:-}
    oak_ct=${4:-}
    shift 2
    [ $# -gt 0 ] && shift
    [ $# -gt 0 ] && shift
    oak_q=
    case $oak_u in
    *\?*) oak_q=${oak_u#*\?} ;;
    esac
    oak_len=
    oak_in=/dev/null
    if [ -n "$oak_bf" ]; then
        oak_len=$(wc -c < "$oak_bf" | tr -d ' ')
        oak_in=$oak_bf
    fi
    rm -f "$R_raw" "$R_headers" "$R_body" "$R_err"
    timeout 15 env -i REQUEST_METHOD="$oak_m" REQUEST_URI="$oak_u" QUERY_STRING="$oak_q" \
        SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1 REMOTE_ADDR=127.0.0.1 \
        ${oak_len:+"CONTENT_LENGTH=$oak_len"} ${oak_ct:+"CONTENT_TYPE=$oak_ct"} "$@" \
        "$CGI_FCGI" -bind -connect "${FCGI_CONNECT:-$oak_sock}" \
        < "$oak_in" > "$R_raw" 2> "$R_err"
    oak_cr=$(printf '\r')
    sed -n "1,/^$oak_cr*\$/p" "$R_raw" | tr -d '\r' | sed '/^$/d' > "$R_headers"
    sed "1,/^$oak_cr*\$/d" "$R_raw" > "$R_body"
    R_status=$(sed -n 's/^Status: *\([0-9][0-9]*\).*/\1/p' "$R_headers" | head -n 1)
    if [ -z "$R_status" ]; then
        if [ -s "$R_raw" ]; then R_status=200; else R_status=000; fi
    fi
    return 0
}

# hdr NAME: value of the first response header NAME (case-insensitive).
hdr() {
    awk -v n="$1" 'BEGIN { n = tolower(n) }
        { i = index($0, ":") }
        i && tolower(substr($0, 1, i - 1)) == n {
            v = substr($0, i + 1); sub(/^[ \t]+/, "", v); print v; exit
        }' "$R_headers"
}

# hdr_count NAME: how many times header NAME occurs.
hdr_count() {
    awk -v n="$1" 'BEGIN { n = tolower(n); c = 0 }
        { i = index($0, ":") }
        i && tolower(substr($0, 1, i - 1)) == n { c++ }
        END { print c }' "$R_headers"
}

body() {
    cat "$R_body"
}

# jget KEY [FILE]: the first value of "KEY": in the JSON of FILE (default:
# the last response body). Strings come back without quotes (escapes as
# sent), numbers/true/false/null as written. Fails when KEY is absent.
jget() {
    awk -v k="\"$1\":" '
        { s = s $0 "\n" }
        END {
            i = index(s, k)
            if (!i) exit 1
            s = substr(s, i + length(k))
            sub(/^[ \t\n]*/, "", s)
            if (substr(s, 1, 1) == "\"") {
                out = ""
                for (j = 2; j <= length(s); j++) {
                    c = substr(s, j, 1)
                    if (c == "\\") { out = out substr(s, j, 2); j++; continue }
                    if (c == "\"") break
                    out = out c
                }
                print out
            } else {
                match(s, /^[^,}\] \t\n]*/)
                print substr(s, 1, RLENGTH)
            }
        }' "${2:-$R_body}"
}

# The error envelope's code, or empty.
ecode() {
    jget code 2> /dev/null
}

# sql DB STATEMENT: run one statement with the sqlite3 CLI.
sql() {
    sqlite3 -batch -noheader -cmd '.timeout 5000' "$1" "$2"
}

# ---- staff sessions (oakseed's own config: $oak_conf; password: $PW) -------
# adduser NAME ROLE [REGION]: create a staff account (stderr kept in
# $oak_tmp/resp/adduser.err)
adduser() {
    printf '%s\n' "$PW" | timeout 60 "$OAKSEED" user add "$1" --role "$2" ${3:+--region "$3"} \
        --password-stdin -c "$oak_conf" > /dev/null 2> "$oak_tmp/resp/adduser.err"
}
# login NAME [PASSWORD]: log in through nginx; the cookie jar is
# $oak_tmp/NAME.jar, the CSRF token $oak_tmp/NAME.csrf
login() {
    http POST /api/auth/login -H 'Content-Type: application/json' -c "$oak_tmp/$1.jar" \
        --data "{\"username\":\"$1\",\"password\":\"${2:-$PW}\"}"
    jget csrf_token > "$oak_tmp/$1.csrf" 2> /dev/null || : > "$oak_tmp/$1.csrf"
}
# as NAME METHOD PATH [CURL-ARGS...]: a request with NAME's session and
# CSRF token
as() {
    as_who=$1
    shift
    as_m=$1
    as_p=$2
    shift 2
    http "$as_m" "$as_p" -b "$oak_tmp/$as_who.jar" -H "X-CSRF-Token: $(cat "$oak_tmp/$as_who.csrf")" "$@"
}

# run COMMAND...: run it (at most 60 s) and keep $rc, $out (stdout), $err
# (stderr).
run() {
    timeout 60 "$@" > "$oak_tmp/resp/run.out" 2> "$oak_tmp/resp/run.err" < /dev/null
    rc=$?
    out=$(cat "$oak_tmp/resp/run.out")
    err=$(cat "$oak_tmp/resp/run.err")
}

is_hex32() {
    printf '%s' "$1" | grep -Eqx '[0-9a-f]{32}'
}
