# tests/integration/registry_lib.sh - what the bad-input sections of
# registry.sh and registry_wills.sh share. Sourced after lib.sh, with
# $oak_db set.
#
#   rt_begin   start oakseed and nginx when they are not running (rt_end
#              stops what it started), and clear the registry's attempt
#              limits so the section is not locked out by the tests above
#   rt_snap    every row of every registry table and the number of audit
#              rows, as one checksum: compare it with one taken before
#   rt_end     leave things as rt_begin found them

rt_begin() {
    rt_started=
    if ! oak_alive "$OAK_PID"; then
        ok "oakseed starts (bad-input section)" oak_start || bail_out "cannot start oakseed"
        rt_started="$rt_started oakseed"
    fi
    if ! oak_alive "$NGINX_PID"; then
        ok "nginx starts (bad-input section)" oak_nginx_start || bail_out "cannot start nginx"
        rt_started="$rt_started nginx"
    fi
    sql "$oak_db" "DELETE FROM core_login_throttle WHERE key LIKE 'registry:%'" > /dev/null
}

rt_snap() {
    rt_q="SELECT count(*) FROM core_audit;"
    for rt_t in $(sql "$oak_db" "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'registry%' ORDER BY name"); do
        rt_q="$rt_q SELECT * FROM $rt_t ORDER BY rowid;"
    done
    sql "$oak_db" "$rt_q" | cksum
}

rt_end() {
    for rt_s in $rt_started; do
        case $rt_s in
        nginx) oak_nginx_stop ;;
        oakseed) oak_stop ;;
        esac
    done
}
