#!/bin/sh
# registry_pages.sh - the registry's web pages (www/registry/) in headless
# Chromium, through nginx and oakseed with the registry plugin, the way a
# new user would use them on a phone: register as a donor, see the card,
# verify it (有效), withdraw, see it verify as withdrawn, register again,
# fill in a living will, see validation errors next to their fields (the
# browser's own and the API's), and the staff pages (search by ID number
# and CSV export through POST, never with the number in a URL; nginx's
# access log is checked for it at the end).
#
# The browser is driven over the DevTools protocol by registry_pages.py
# (Python standard library only, see cdp.py); this script starts the
# servers and turns its PASS/FAIL lines into TAP. Screenshots and PDFs of
# the print views are kept in $top_builddir/tests/browser/screenshots/.
#
# Skips only when Chromium is not installed (tools/deps.sh installs it);
# under CI that fails instead.
# OAK_BROWSER_ONLY=static runs just the checks that need no registry API.
: "${OAK_TEST_TIMEOUT:=300}"
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

CHROMIUM=${CHROMIUM:-}
for c in chromium chromium-browser google-chrome; do
    [ -n "$CHROMIUM" ] && break
    CHROMIUM=$(command -v "$c" 2> /dev/null || true)
done
if [ -z "$CHROMIUM" ]; then
    # under CI a missing tool is a failure, never a skip (as oak_require)
    [ -z "${CI:-}" ] || bail_out "chromium not found (CI must install it)"
    skip_all "chromium is not installed (tools/deps.sh installs it)"
fi
PYTHON=$(command -v python3 2> /dev/null || true)
[ -n "$PYTHON" ] || bail_out "python3 not found (tools/deps.sh installs it)"
oak_require nginx curl sqlite3

shots=$top_builddir/tests/browser/screenshots
rm -rf "$shots"
mkdir -p "$shots" || bail_out "cannot create $shots"

PW='Correct-Horse-9'
oak_plugins registry
cp -R "$top_srcdir/scripts" "$oak_tmp/scripts"
chmod -R u+w "$oak_tmp/scripts"
oak_config "registry" "[auth]
scrypt_log_n = 12

[keys]
file = data/keys

[lua]
scripts = scripts"

run "$OAKSEED" keygen "$oak_tmp/data/keys"
is "$rc" 0 "keygen writes a key file" || diag "$err"
ok "a 云南省 regional admin account" adduser clerk regional_admin 530000 || diag "$(cat "$oak_tmp/resp/adduser.err")"

ok "oakseed starts with the registry plugin" oak_start || bail_out "cannot start oakseed"
ok "nginx starts" oak_nginx_start || bail_out "cannot start nginx"

http GET /registry/donor.html
is "$R_status" 200 "nginx serves the registry pages"
http GET /js/common.js
like "$(hdr Content-Type)" 'javascript' "and their scripts as JavaScript"

# ---- the browser ------------------------------------------------------------
results=$oak_tmp/browser.out
mkdir -p "$oak_tmp/browser"
PYTHONDONTWRITEBYTECODE=1 STAFF_USER=clerk STAFF_PASSWORD=$PW OAK_ACCESS_LOG=$oak_tmp/log/nginx-access.log timeout 240 "$PYTHON" "$top_srcdir/tests/browser/registry_pages.py" \
    "$OAK_URL" "$shots" "$oak_tmp/browser" "$CHROMIUM" > "$results" 2> "$oak_tmp/log/browser.err"
status=$?
seen=0
tab=$(printf '\t')
while IFS= read -r line; do
    kind=${line%%"$tab"*}
    text=${line#*"$tab"}
    case $kind in
    PASS) pass "$text"; seen=$((seen + 1)) ;;
    FAIL) fail "$text"; seen=$((seen + 1)) ;;
    DIAG) diag "$text" ;;
    *) diag "$line" ;;
    esac
done < "$results"
is "$status" 0 "the browser script ran to its end"
[ "$status" = 0 ] || diag "$(tail -n 20 "$oak_tmp/log/browser.err")" "$(tail -n 20 "$oak_tmp/browser/chromium.log" 2> /dev/null)"
isnt "$seen" 0 "the browser script reported results"
diag "screenshots: $shots"

done_testing
