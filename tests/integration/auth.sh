#!/bin/sh
# auth.sh - staff accounts end to end through nginx: `oakseed user`
# administration, the key file rules, login with the session cookie,
# CSRF (missing and wrong tokens), lockout per account and per client
# address (held across a restart of oakseed), idle and absolute session
# expiry, region isolation on every staff route that exists (a 云南省
# admin never reaches a 北京市 record, a 保山市 admin never reaches a
# sibling prefecture's), session end on disable and password change, the
# national admins' audit export (paged, hashes that chain and recompute
# outside oakseed), the audit chain (its tamper detection, and a recorded
# head that shows rows cut off the end), and key rotation in resumable
# batches while the server runs.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

oak_require nginx curl cgi-fcgi sqlite3 sha256sum

PW='Correct-Horse-9'
keys=$oak_tmp/data/keys
oak_plugins example
oak_config "example" "[auth]
scrypt_log_n = 12
max_failures_account = 3
max_failures_address = 20
idle_timeout = 600
absolute_timeout = 3600

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
ok "start warns that scrypt_log_n 12 is below 17" \
    oak_wait_log '\[warn\] .*auth\.scrypt_log_n = 12 is below the recommended 17'

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
is "$staff_routes" "DELETE /api/example/greetings/:id;GET /api/audit/export;GET /api/auth/me;GET /api/example/moderation;POST /api/auth/logout;POST /api/example/greetings/:id/publish;" \
    "every staff route is covered by this test"

# GET /api/audit/export: the whole log, every region, so no regional account
# reaches it (the national admin's side is tested under "audit export")
for u in yn bs bj; do
    as "$u" GET /api/audit/export
    is "$R_status" 403 "regional admin $u cannot export the audit log (403)"
done

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
http DELETE "/api/example/greetings/$g_bs" -b "$oak_tmp/bs.jar" -H "X-CSRF-Token: $(cat "$oak_tmp/bj.csrf")"
is "$R_status" 403 "DELETE with another session's X-CSRF-Token: 403"
is "$(ecode)" csrf_failed "csrf_failed for a wrong token"
http DELETE "/api/example/greetings/$g_bs" -b "$oak_tmp/bs.jar" \
    -H "X-CSRF-Token: $(sed 's/^A/#/; s/^[^#]/A/; s/^#/B/' "$oak_tmp/bs.csrf")"
is "$R_status" 403 "DELETE with the right token but for its first character: 403"
http DELETE "/api/example/greetings/$g_bs" -b "$oak_tmp/bs.jar" -H "X-CSRF-Token: $(cat "$oak_tmp/bs.csrf")x"
is "$R_status" 403 "DELETE with the right token and one character more: 403"
http DELETE "/api/example/greetings/$g_bs" -b "$oak_tmp/bs.jar" -H "X-CSRF-Token: $(cut -c 2- "$oak_tmp/bs.csrf")"
is "$R_status" 403 "DELETE with the right token less its first character: 403"
http GET "/api/example/greetings/$g_bs"
is "$R_status" 200 "none of them deleted the greeting"
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

# per client address: nginx passes the client's address; 20 failures from
# 127.0.0.2, each for another (unknown) username, lock that address
from2() { # USERNAME PASSWORD: a login from 127.0.0.2
    http POST /api/auth/login --interface 127.0.0.2 -H 'Content-Type: application/json' \
        --data "{\"username\":\"$1\",\"password\":\"$2\"}"
}
from2 bs "$PW"
is "$R_status" 200 "a login from 127.0.0.2 (through nginx)"
i=1
while [ "$i" -le 20 ]; do
    from2 "guess$i" Wrong-Password-1
    i=$((i + 1))
done
is "$R_status" 401 "the 20th failure from 127.0.0.2 is still a plain 401"
is "$(sql "$oak_db" "SELECT failures FROM core_login_throttle WHERE key='addr:127.0.0.2'")" 20 \
    "counted under the client address nginx passed"
is "$(sql "$oak_db" "SELECT max(failures) FROM core_login_throttle WHERE key LIKE 'user:guess%'")" 1 \
    "no username reached its own limit"
from2 bs "$PW"
is "$R_status" 429 "then that address waits, even with another account's right password"
is "$(ecode)" too_many_attempts "too_many_attempts for the address"
like "$(hdr Retry-After)" '^[0-9]+$' "with Retry-After"
from2 guess21 Wrong-Password-1
is "$(sql "$oak_db" "SELECT count(*) FROM core_login_throttle WHERE key='user:guess21'")" 0 \
    "while locked, attempts are not even checked"
login bs
is "$R_status" 200 "the same account logs in from another address"

# the counters hold across a restart of oakseed
oak_stop
is "$oak_stop_status" 0 "oakseed stops"
ok "oakseed starts again" oak_start || bail_out "cannot restart oakseed"
http GET /api/health
is "$R_status" 200 "nginx reaches the restarted oakseed"
login bj
is "$R_status" 429 "after the restart the locked username still waits"
from2 bs "$PW"
is "$R_status" 429 "and so does the locked address"
as nat GET /api/auth/me
is "$R_status" 200 "sessions outlive the restart too"

# ---- session expiry ---------------------------------------------------------------------------
clerk_sessions="SELECT count(*) FROM core_sessions WHERE user_id = (SELECT id FROM core_users WHERE username = 'clerk')"
age_clerk() { # SQL assignments for clerk's sessions
    sql "$oak_db" "UPDATE core_sessions SET $1 WHERE user_id = (SELECT id FROM core_users WHERE username = 'clerk')"
}
login clerk
is "$R_status" 200 "clerk logs in again"
is "$(sql "$oak_db" "SELECT expires_at - created_at FROM core_sessions WHERE user_id = (SELECT id FROM core_users WHERE username = 'clerk')")" \
    3600 "a session lives absolute_timeout (3600 s) at most"
age_clerk "last_seen = strftime('%s','now') - 590"
as clerk GET /api/auth/me
is "$R_status" 200 "unused for 590 s (idle_timeout 600): still valid"
is "$(sql "$oak_db" "SELECT strftime('%s','now') - last_seen < 60 FROM core_sessions WHERE user_id = (SELECT id FROM core_users WHERE username = 'clerk')")" \
    1 "and the use is recorded"
age_clerk "last_seen = strftime('%s','now') - 601"
as clerk GET /api/auth/me
is "$R_status" 401 "unused for 601 s: the session has ended (idle expiry)"
is "$(ecode)" unauthenticated "unauthenticated after idle expiry"
is "$(sql "$oak_db" "$clerk_sessions")" 0 "the idle session is deleted"
login clerk
is "$R_status" 200 "a new login"
age_clerk "created_at = created_at - 3601, expires_at = strftime('%s','now') - 1"
as clerk GET /api/auth/me
is "$R_status" 401 "past its absolute lifetime the session has ended, though just used"
is "$(ecode)" unauthenticated "unauthenticated after absolute expiry"
is "$(sql "$oak_db" "$clerk_sessions")" 0 "the expired session is deleted"
login clerk
is "$R_status" 200 "clerk logs in once more"

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

# ---- audit export ---------------------------------------------------------------------------------
# lp VALUE: VALUE as the chain hashes it, its byte length, ':', then itself
lp() {
    printf '%s:%s' "$(printf '%s' "$1" | wc -c | tr -d ' ')" "$1"
}
# export_row_hash: the SHA-256 of the one row of the last export, computed
# here from its fields, as a verifier away from the server would
export_row_hash() {
    erh_actor_id=$(jget actor_id)
    [ "$erh_actor_id" != null ] || erh_actor_id=0
    {
        lp "$(jget prev_hash)"; lp "$(jget at)"; lp "$erh_actor_id"; lp "$(jget actor)"
        lp "$(jget action)"; lp "$(jget object_type)"; lp "$(jget object_id)"; lp "$(jget region)"
        lp "$(jget detail)"; lp "$(jget request_id)"
    } | sha256sum | cut -d ' ' -f 1
}
zeros=0000000000000000000000000000000000000000000000000000000000000000
exports=0

http GET /api/audit/export
is "$R_status" 401 "audit export without a session: 401"
is "$(ecode)" unauthenticated "unauthenticated envelope"
as clerk GET /api/audit/export
is "$R_status" 403 "staff: 403"
is "$(ecode)" forbidden "forbidden envelope"

as nat GET "/api/audit/export?limit=1000"
exports=$((exports + 1))
is "$R_status" 200 "national admin exports the audit log"
is "$(hdr Cache-Control)" no-store "Cache-Control: no-store"
like "$(hdr Content-Type)" '^application/json' "as JSON"
n_rows=$(grep -o '"hash":"[0-9a-f]\{64\}"' "$R_body" | wc -l | tr -d ' ')
is "$n_rows" "$(($(sql "$oak_db" "SELECT count(*) FROM core_audit") - 1))" \
    "every row but the export's own (written after it read the log)"
is "$(jget more)" false "all on one page"
is "$(jget next_after_id)" null "no next page"
is "$(jget id)" 1 "from the first row"
is "$(jget prev_hash)" "$zeros" "which follows the zero hash"
grep -o '"hash":"[0-9a-f]\{64\}"' "$R_body" | sed 's/.*:"//; s/"//' > "$oak_tmp/hashes"
grep -o '"prev_hash":"[0-9a-f]\{64\}"' "$R_body" | sed 's/.*:"//; s/"//' > "$oak_tmp/prevs"
{ echo "$zeros"; sed '$d' "$oak_tmp/hashes"; } > "$oak_tmp/prevs.want"
ok "each row's prev_hash is the hash of the row before it" cmp "$oak_tmp/prevs" "$oak_tmp/prevs.want"
is "$(sort -u "$oak_tmp/hashes" | wc -l | tr -d ' ')" "$n_rows" "hashes are distinct"
is "$(tail -n 1 "$oak_tmp/hashes")" "$(sql "$oak_db" "SELECT hash FROM core_audit WHERE action <> 'core.audit.export' ORDER BY id DESC LIMIT 1")" \
    "the last exported hash is the head before the export"
unlike "$(body)" "$PW|Another-Horse|csrf|totp_secret|password_hash" "no passwords, tokens or secrets in the export"

as nat GET "/api/audit/export?limit=2"
exports=$((exports + 1))
is "$(jget more)" true "limit=2: more rows follow"
is "$(jget next_after_id)" 2 "next_after_id is the last id of the page"
h2=$(grep -o '"hash":"[0-9a-f]\{64\}"' "$R_body" | sed -n '2s/.*:"//; 2s/"//p')
as nat GET "/api/audit/export?after_id=2&limit=1"
exports=$((exports + 1))
is "$(jget id)" 3 "after_id=2 starts at row 3"
is "$(jget prev_hash)" "$h2" "and continues the chain of the page before"
is "$(export_row_hash)" "$(jget hash)" "row 3's hash recomputed outside oakseed matches"
lid=$(sql "$oak_db" "SELECT id FROM core_audit WHERE action = 'auth.login' AND actor = 'nat' ORDER BY id LIMIT 1")
as nat GET "/api/audit/export?after_id=$((lid - 1))&limit=1"
exports=$((exports + 1))
is "$(jget action) $(jget actor)" "auth.login nat" "a login row, written by the server"
like "$(jget actor_id) $(jget request_id)" '^[0-9]+ [0-9a-f]{32}$' "with the account id and nginx's request id"
is "$(export_row_hash)" "$(jget hash)" "its hash recomputed outside oakseed matches too"

as nat GET "/api/audit/export?from=2999-01-01"
exports=$((exports + 1))
is "$(body)" '{"items":[],"more":false,"next_after_id":null}' "from in the future: no rows"
as nat GET "/api/audit/export?from=2000-02-29&to=2000-03-01T00:00:00Z"
exports=$((exports + 1))
like "$R_status $(body)" '^200 \{"items":\[\],' "a day long past (29 February of a leap year): no rows"
as nat GET "/api/audit/export?from=2000-01-01T00:00:00.000Z&to=2999-12-31&limit=1"
exports=$((exports + 1))
is "$(jget id)" 1 "from and to around today: rows from the first"

as nat GET "/api/audit/export?format=csv&limit=3"
exports=$((exports + 1))
is "$R_status" 200 "CSV export"
like "$(hdr Content-Type)" '^text/csv' "as text/csv"
is "$(hdr Cache-Control)" no-store "CSV: Cache-Control: no-store"
like "$(head -n 1 "$R_body")" '"id","at","actor_id","actor","action","object_type","object_id","region","detail","request_id","prev_hash","hash"' \
    "CSV header names the columns"
is "$(sed 1d "$R_body" | wc -l | tr -d ' ')" 3 "three rows"
like "$(sed -n 2p "$R_body")" "^\"1\",.*,\"$zeros\",\"[0-9a-f]{64}\"" "row 1 with its prev_hash and hash"
is "$(hdr X-Next-After-Id)" 3 "X-Next-After-Id names the next page"

for bad in limit=0:limit limit=1001:limit limit=ten:limit after_id=-1:after_id after_id=1.5:after_id \
    from=yesterday:from from=2026-02-29:from from=2026-03-01T24:00:00Z:from to=2026-13-01:to \
    from=2026-02-01\&to=2026-01-01:to format=xml:format; do
    as nat GET "/api/audit/export?${bad%:*}"
    is "$R_status $(ecode)" "400 validation_failed" "audit export ${bad%:*}: 400"
    like "$(body)" "\"fields\":\\{\"${bad##*:}\":" "names the field ${bad##*:}"
done

is "$(sql "$oak_db" "SELECT count(*) FROM core_audit WHERE action = 'core.audit.export'")" "$exports" \
    "each export served is in the audit log; refused ones are not"
is "$(sql "$oak_db" "SELECT actor || ' ' || object_type || ' ' || object_id || ' ' || region || ' ' || detail FROM core_audit WHERE action = 'core.audit.export' ORDER BY id LIMIT 1")" \
    "nat audit 1-$n_rows 0 rows=$n_rows format=json" "the audit row names the rows exported, never their contents"
run "$OAKSEED" user grant yn --permission core.audit.export -c "$oak_conf"
as yn GET "/api/audit/export?limit=1"
is "$R_status" 200 "an operator can grant core.audit.export to one more account"
run "$OAKSEED" user revoke yn --permission core.audit.export -c "$oak_conf"
as yn GET "/api/audit/export?limit=1"
is "$R_status" 403 "and revoke it"

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
head1=${out##* }
as nat GET "/api/audit/export?limit=1"
run "$OAKSEED" audit verify --expect-head "$head1" -c "$oak_conf"
is "$rc" 0 "verify --expect-head with a head recorded before newer rows"
like "$out" "recorded head found at row [0-9]+\$" "names the row of the recorded head"
head2=$(printf '%s\n' "$out" | sed -n '1s/.* //p')
isnt "$head2" "$head1" "the head moved on"
run "$OAKSEED" audit verify --expect-head 12345 -c "$oak_conf"
is "$rc" 2 "--expect-head needs 64 hex digits"
sql "$oak_db" "DROP TRIGGER core_audit_no_delete; DELETE FROM core_audit WHERE id = (SELECT max(id) FROM core_audit)"
run "$OAKSEED" audit verify -c "$oak_conf"
is "$rc" 0 "the newest row cut off: the chain alone still verifies"
run "$OAKSEED" audit verify --expect-head "$head2" -c "$oak_conf"
is "$rc" 3 "verify --expect-head with the head recorded before the cut: exit 3"
like "$err" 'does not contain the recorded head .*cut off the end' "and says rows were cut off"
run "$OAKSEED" audit verify --expect-head "$head1" -c "$oak_conf"
is "$rc" 0 "an older recorded head is still there"
sql "$oak_db" "UPDATE core_audit SET actor='mallory' WHERE id=2" 2> /dev/null
is "$(sql "$oak_db" "SELECT actor FROM core_audit WHERE id=2")" cli "UPDATE of the audit log is refused"
sql "$oak_db" "DROP TRIGGER core_audit_no_update; UPDATE core_audit SET actor='mallory' WHERE id=2"
run "$OAKSEED" audit verify -c "$oak_conf"
is "$rc" 3 "audit verify fails (exit 3) after a row was changed behind the triggers"
like "$err" 'audit row 2 was altered' "and names the row"

oak_nginx_stop
oak_stop
done_testing
