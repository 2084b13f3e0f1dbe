#!/bin/sh
# tools/deps.sh - install the Debian 12 packages oakseed needs to build,
# run and test, skipping those already present. Sourced or run by
# tools/demo and tools/check; safe to run again.
set -e

OAK_PACKAGES="gcc make autoconf automake libtool pkg-config
libfcgi-dev libfcgi-bin liblua5.4-dev lua5.4 libsqlite3-dev sqlite3
libssl-dev libjansson-dev nginx curl ca-certificates"
# Only the test suite (tools/check) needs these: valgrind (make
# check-valgrind), and for tests/browser/ headless Chromium driven over its DevTools pipe by a
# Python script (standard library only), with CJK fonts so screenshots
# show Chinese text rather than boxes.
# tests/bench/ (its smoke mode runs in make check): the load generator and
# the php-fpm peer it compares oakseed with.
OAK_BENCH_PACKAGES="wrk php8.2-fpm php8.2-sqlite3"
# tests/fuzz/ (make fuzz, fuzz-run): clang and its libFuzzer/sanitizer runtime.
OAK_FUZZ_PACKAGES="clang libclang-rt-14-dev"
# tests/integration/sqlmap.sh: the SQL injection scan.
OAK_TEST_PACKAGES="valgrind chromium python3 fonts-noto-cjk sqlmap $OAK_BENCH_PACKAGES $OAK_FUZZ_PACKAGES"

# oak_install_deps [test|bench]: the build and run packages, plus the test
# ones (which include the bench ones).
oak_missing_packages() {
    for p in $OAK_PACKAGES ${1:+$OAK_TEST_PACKAGES}; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
    done
}

oak_install_deps() {
    missing=$(oak_missing_packages "${1:-}" | tr '\n' ' ')
    [ -z "$missing" ] && return 0
    echo "oakseed: installing Debian packages: $missing"
    if [ "$(id -u)" != 0 ]; then
        echo "oakseed: run as root (or install them with: sudo apt-get install $missing)" >&2
        return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # nginx's postinst tries to start the system nginx on port 80; the
    # project runs its own instances, so keep the packaged one from starting
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        trap 'rm -f /usr/sbin/policy-rc.d' EXIT
        apt-get install -y -qq --no-install-recommends $missing
        rm -f /usr/sbin/policy-rc.d
        trap - EXIT
    else
        apt-get install -y -qq --no-install-recommends $missing
    fi
}

# Run directly: install.
case "$0" in
*deps.sh) oak_install_deps "${1:-}" ;;
esac
