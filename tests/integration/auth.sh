#!/bin/sh
# auth.sh - staff accounts end to end through nginx: `oakseed user`
# administration, the key file rules, login with the session cookie,
# CSRF, lockout, region isolation on every staff route that exists (a
# 云南省 admin never reaches a 北京市 record, a 保山市 admin never reaches a
# sibling prefecture's), session end on disable and password change, the
# audit chain (and its tamper detection), and key rotation in resumable
# batches while the server runs.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

oak_require nginx curl cgi-fcgi sqlite3

PW='Correct-Horse-9'
keys=$oak_tmp/data/keys
oak_plugins example
oak_config "example" "[auth]
scrypt_log_n = 12
max_failures_account = 3

[keys]
file = data/keys"

# ---- key file ---------------------------------------------------------------
run "$OAKSEED" keygen "$keys"
is "$rc" 0 "keygen writes a key file"
is "$(stat -c %a "$keys")" 600 "key file mode 0600"
run "$OAKSEED" keygen "$keys"
isnt "$rc" 0 "keygen never overwrites a key file"
chmod 0640 "$keys"
run "$OAKSEED" serve -c "$oak_conf" -o log.file=
isnt "$rc" 0 "serve refuses a key file readable by the group"
like "$err" "readable by group or others \\(mode 0640\\); run chmod 600" "and says how to fix it"
chmod 0600 "$keys"

# ---- accounts -----------------------------------------------------------------
ok "add 云南 regional admin" adduser yn regional_admin 530000
ok "add 保山 regional admin" adduser bs regional_admin 530500
ok "add 北京 regional admin" adduser bj regional_admin 110000
ok "add national admin" adduser nat national_admin
ok "add 云南 staff" adduser clerk staff 530000
nok "a second account with the same name is refused" adduser yn staff 530000
nok "an unknown region is refused" adduser x1 staff 539999
nok "a regional role without a region is refused" adduser x2 regional_admin
ok "weak password refused" sh -c "printf 'short\n' | '$OAKSEED' user add x3 --role staff --region 530000 --password-stdin -c '$oak_conf' 2>&1 | grep -q '至少需要10个字符'"
run "$OAKSEED" user list -c "$oak_conf"
like "$out" '^yn +regional_admin +active +no +530000' "user list shows yn with its region"
like "$out" '^nat +national_admin +active' "user list shows the national admin"
unlike "$out" 'x1|x2|x3' "refused accounts were not created"
run "$OAKSEED" user grant clerk --permission example.moderate -c "$oak_conf"
is "$rc" 0 "grant an extra permission"
run "$OAKSEED" user revoke clerk --permission example.moderate -c "$oak_conf"
is "$rc" 0 "and revoke it"
run "$OAKSEED" user grant clerk --permission no.such -c "$oak_conf"
isnt "$rc" 0 "granting an unknown permission is refused"
like "$(sql "$oak_db" "SELECT password_hash FROM core_users WHERE username='yn'")" '^\$scrypt\$ln=12,r=8,p=1\$' \
    "password stored as scrypt with its parameters"

ok "oakseed starts" oak_start || bail_out "cannot start oakseed"
ok "nginx starts" oak_nginx_start || bail_out "cannot start nginx"

# ---- login ----------------------------------------------------------------------

login yn
is "$R_status" 200 "yn logs in through nginx"
like "$(hdr Set-Cookie)" '^oak_session=[A-Za-z0-9_-]{43}; Path=/; Max-Age=[0-9]+; HttpOnly; SameSite=Lax$' \
    "session cookie: 256-bit token, HttpOnly, SameSite=Lax"
is "$(jget role)" regional_admin "login answers the role"
like "$(body)" '"regions":\[\{"code":"530000","name":"云南省"\}\]' "and the scope by name"
login bs
login bj
login nat
login clerk
as yn GET /api/auth/me
is "$R_status" 200 "me with the cookie"
is "$(jget username)" yn "me is yn"
http GET /api/auth/me
is "$R_status" 401 "me without a cookie: 401"
is "$(ecode)" unauthenticated "unauthenticated envelope"

http POST /api/auth/login -H 'Content-Type: application/json' --data '{"username":"yn","password":"Wrong-Password-1"}'
is "$R_status" 401 "wrong password: 401"
wrong=$(body | sed 's/"request_id":"[0-9a-f]*"//')
http POST /api/auth/login -H 'Content-Type: application/json' --data '{"username":"ghost","password":"Wrong-Password-1"}'
is "$(body | sed 's/"request_id":"[0-9a-f]*"//')" "$wrong" "unknown account gets the very same answer"
http POST /api/auth/login --data 'username=yn&password=x'
is "$R_status" 400 "login only takes JSON (a cross-site form cannot post it)"

# ---- region isolation on every staff route ---------------------------------------------
greet() { # REGION -> id
    http POST /api/example/greetings -H 'Content-Type: application/json' \
        --data "{\"name\":\"访客\",\"message\":\"平安\",\"region\":\"$1\"}"
    jget id
}
g_bj=$(greet 110105)
g_qj=$(greet 530300)
g_bs=$(greet 530502)
ok "greetings created in 朝阳区, 曲靖市, 隆阳区" test -n "$g_bj" -a -n "$g_qj" -a -n "$g_bs"

# the staff routes that exist; each one is checked below
staff_routes=$("$OAKSEED" routes -c "$oak_conf" | awk 'NR > 1 && $4 != "public" { print $1 " " $2 }' | sort | tr '\n' ';')
is "$staff_routes" "DELETE /api/example/greetings/:id;GET /api/auth/me;GET /api/example/moderation;POST /api/auth/logout;POST /api/example/greetings/:id/publish;" \
    "every staff route is covered by this test"

# GET /api/auth/me: only one's own account
as yn GET /api/auth/me
unlike "$(body)" '北京' "me shows no 北京 data to a 云南 admin"
# GET /api/example/moderation
as yn GET /api/example/moderation
is "$R_status" 200 "云南 admin: moderation list"
like "$(body)" "\"id\":$g_qj," "lists the 曲靖 greeting"
like "$(body)" "\"id\":$g_bs," "lists the 保山 greeting"
unlike "$(body)" "\"id\":$g_bj," "never the 北京 greeting"
as bs GET /api/example/moderation
unlike "$(body)" "\"id\":$g_qj," "保山 admin does not see the sibling prefecture 曲靖"
like "$(body)" "\"id\":$g_bs," "保山 admin sees 隆阳区"
as bj GET /api/example/moderation
like "$(body)" "\"id\":$g_bj," "北京 admin sees 朝阳区"
unlike "$(body)" "\"id\":$g_bs," "北京 admin does not see 云南"
as clerk GET /api/example/moderation
is "$R_status" 403 "staff role without example.moderate: 403"
is "$(ecode)" forbidden "forbidden envelope"
# POST /api/example/greetings/:id/publish
as yn POST "/api/example/greetings/$g_bj/publish"
is "$R_status" 404 "云南 admin cannot publish the 北京 greeting (404)"
as bs POST "/api/example/greetings/$g_qj/publish"
is "$R_status" 404 "保山 admin cannot publish the 曲靖 greeting"
as clerk POST "/api/example/greetings/$g_bs/publish"
is "$R_status" 403 "staff role without example.moderate cannot publish (403)"
as bs POST "/api/example/greetings/$g_bs/publish"
is "$R_status" 204 "保山 admin publishes the 隆阳区 greeting"
is "$(sql "$oak_db" "SELECT actor || ' ' || region FROM core_audit WHERE action='example.publish'")" "bs 530502" \
    "the one publish is audited with actor and region"
# DELETE /api/example/greetings/:id
as yn DELETE "/api/example/greetings/$g_bj"
is "$R_status" 404 "云南 admin cannot delete the 北京 greeting (404, existence not revealed)"
as bs DELETE "/api/example/greetings/$g_qj"
is "$R_status" 404 "保山 admin cannot delete the 曲靖 greeting"
as bj DELETE "/api/example/greetings/$g_bs"
is "$R_status" 404 "北京 admin cannot delete a 云南 greeting"
http GET "/api/example/greetings/$g_bj"
is "$R_status" 200 "the 北京 greeting is still there"
http DELETE "/api/example/greetings/$g_bs" -b "$oak_tmp/bs.jar"
is "$R_status" 403 "DELETE with the cookie but without X-CSRF-Token: 403"
is "$(ecode)" csrf_failed "csrf_failed envelope"
as bs DELETE "/api/example/greetings/$g_bs"
is "$R_status" 204 "保山 admin deletes the 隆阳区 greeting"
as nat DELETE "/api/example/greetings/$g_bj"
is "$R_status" 204 "national admin deletes anywhere"
is "$(sql "$oak_db" "SELECT count(*) FROM core_audit WHERE action='example.delete'")" 2 "each delete audited"
is "$(sql "$oak_db" "SELECT actor FROM core_audit WHERE action='example.delete' ORDER BY id LIMIT 1")" bs \
    "audit names the staff account"
# POST /api/auth/logout
http POST /api/auth/logout -b "$oak_tmp/clerk.jar"
is "$R_status" 403 "logout without the CSRF token: 403"
as clerk POST /api/auth/logout
is "$R_status" 204 "logout"
as clerk GET /api/auth/me
is "$R_status" 401 "the session is gone"

# ---- lockout ---------------------------------------------------------------------------
for i in 1 2 3; do login bj Wrong-Password-1; done
login bj
is "$R_status" 429 "after 3 failures even the right password waits"
is "$(ecode)" too_many_attempts "too_many_attempts"
like "$(hdr Retry-After)" '^[0-9]+$' "Retry-After"
is "$(sql "$oak_db" "SELECT failures FROM core_login_throttle WHERE key='user:bj'")" 3 \
    "the counter lives in SQLite (shared by workers, kept over restarts)"

# ---- disable and password change end sessions -----------------------------------------------
run "$OAKSEED" user disable yn -c "$oak_conf"
is "$rc" 0 "disable yn"
as yn GET /api/auth/me
is "$R_status" 401 "a disabled account's session ends at once"
login yn
is "$R_status" 401 "and it cannot log in"
run "$OAKSEED" user enable yn -c "$oak_conf"
login yn
is "$R_status" 200 "enabled again"
printf 'Another-Horse-7\n' | "$OAKSEED" user passwd yn --password-stdin -c "$oak_conf" > /dev/null 2>&1
as yn GET /api/auth/me
is "$R_status" 401 "a password change ends the account's sessions"
login yn Another-Horse-7
is "$R_status" 200 "the new password works"

# ---- keys rotate while serving ----------------------------------------------------------------
for u in nat bs; do "$OAKSEED" user totp "$u" -c "$oak_conf" > /dev/null 2>&1; done
is "$(sql "$oak_db" "SELECT count(*) FROM core_users WHERE totp_secret LIKE 'v1:k1:%'")" 2 \
    "one-time code secrets stored encrypted under k1"
unlike "$(sql "$oak_db" "SELECT group_concat(totp_secret) FROM core_users")" '^[A-Z2-7]{32}' "never in clear"
run "$OAKSEED" keys rotate --batch 1 --max-batches 1 -c "$oak_conf"
is "$rc" 0 "rotate (interrupted after one batch of one)"
like "$out" "new data key k2 is current" "adds k2"
like "$out" "values left; run oakseed keys rotate again to resume" "reports it stopped early"
is "$(sql "$oak_db" "SELECT count(*) FROM core_users WHERE totp_secret LIKE 'v1:k1:%'")" 1 "one value still under k1"
run "$OAKSEED" keys rotate -c "$oak_conf"
like "$out" "resuming: 1 values" "a second run resumes instead of adding a key"
like "$out" "rotation complete: every encrypted value uses key k2" "and completes"
is "$(sql "$oak_db" "SELECT count(*) FROM core_users WHERE totp_secret LIKE 'v1:k2:%'")" 2 "all values under k2"
ok "the server was told to reload the key file" oak_wait_log 'SIGHUP: reloading' 5
oak_wait 10 oak_log_has 'reloaded:'
http POST /api/auth/login -H 'Content-Type: application/json' --data "{\"username\":\"nat\",\"password\":\"$PW\",\"totp\":\"000000\"}"
is "$R_status" 401 "a wrong one-time code is refused"
nok "the reloaded workers decrypt k2 secrets" oak_log_has 'cannot be decrypted'

# ---- audit chain ---------------------------------------------------------------------------------
run "$OAKSEED" audit verify -c "$oak_conf"
is "$rc" 0 "audit verify passes"
like "$out" '^audit log intact: [0-9]+ rows, head [0-9a-f]{64}$' "reports rows and head hash"
sql "$oak_db" "UPDATE core_audit SET actor='mallory' WHERE id=2" 2> /dev/null
is "$(sql "$oak_db" "SELECT actor FROM core_audit WHERE id=2")" cli "UPDATE of the audit log is refused"
sql "$oak_db" "DROP TRIGGER core_audit_no_update; UPDATE core_audit SET actor='mallory' WHERE id=2"
run "$OAKSEED" audit verify -c "$oak_conf"
is "$rc" 3 "audit verify fails (exit 3) after a row was changed behind the triggers"
like "$err" 'audit row 2 was altered' "and names the row"

oak_nginx_stop
oak_stop
done_testing
