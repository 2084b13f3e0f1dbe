#!/bin/sh
# registry_wills.sh - living wills (我的五个愿望) end to end through nginx,
# oakseed and SQLite: a will with its access code and proxy codes, a clear
# 422 naming each bad field (and nothing stored), duplicates, minors, the
# registrant's lookup, a new version that keeps the old one, a proxy's read
# (listed to the registrant), wrong codes and the lockout, the staff read
# (POST, its required reason in the body) kept to the account's regions
# (the reason sealed, shown to the registrant, never in a URL, a log or an
# audit row), revocation, a new will after a revocation, audit rows, and
# no will text, reason, ID or mobile number in clear in the database or
# the logs.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

oak_require nginx curl cgi-fcgi sqlite3

PW='Correct-Horse-9'
oak_plugins registry
oak_config "registry" "[auth]
scrypt_log_n = 12

[keys]
file = data/keys"
run "$OAKSEED" keygen "$oak_tmp/data/keys"
is "$rc" 0 "key file written"

# mkid PREFIX6 YYYYMMDD SEQ3: a resident ID number with its check character
mkid() {
    printf '%s%s%s\n' "$1" "$2" "$3" | awk '{
        split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
        s = 0
        for (i = 1; i <= 17; i++) s += substr($0, i, 1) * w[i]
        print $0 substr("10X98765432", s % 11 + 1, 1)
    }'
}
ID1=$(mkid 530502 19800315 124)      # 王秀兰, 云南 保山 隆阳区, adult since 1998-03-15
ID2=$(mkid 110105 19700101 357)      # 北京 朝阳
IDMINOR=$(mkid 530502 20120304 222)
MOB1=13987650001
PMOB1=13711112222                    # proxy 李建华
PMOB2=13822223333                    # proxy 李小雨
PHRASE1='愿在苍山脚下听一夜松涛'
PHRASE2='请把我的骨灰撒进洱海东岸'
TOMORROW=$(date -d "@$(($(date +%s) + 86400))" +%Y-%m-%d)
LONG2001=$(printf '%2001s' '' | tr ' ' x)

# ---- the body of a will, from parts (an empty part is left out) ----------------
reset_parts() {
    p_name='"name":"王秀兰"'
    p_id="\"id_number\":\"$ID1\""
    p_mob="\"mobile\":\"$MOB1\""
    p_reg='"region":"530502"'
    w_med='"medical_care":"不要插管，不要心肺复苏；需要充分的止痛治疗。"'
    w_life='"life_support":{"choice":"do_not_want","note":"如果医生判断无法恢复意识"}'
    w_com='"comfort":"希望有人握着我的手，房间里放些音乐。"'
    w_fam="\"family_message\":\"$PHRASE1\""
    w_prx="\"proxies\":[{\"name\":\"李建华\",\"relation\":\"丈夫\",\"mobile\":\"$PMOB1\"},{\"name\":\"李小雨\",\"relation\":\"女儿\",\"mobile\":\"$PMOB2\"}]"
    p_wishes=
    p_signed='"signed_on":"2024-06-01"'
    p_wit='"witnesses":[{"name":"赵敏"},{"name":"钱立"}]'
}
join() {
    oak_sep=
    for oak_part in "$@"; do
        [ -n "$oak_part" ] || continue
        printf '%s%s' "$oak_sep" "$oak_part"
        oak_sep=,
    done
}
wishes_part() {
    if [ -n "$p_wishes" ]; then
        [ "$p_wishes" = none ] || printf '%s' "$p_wishes"
    else
        printf '"wishes":{%s}' "$(join "$w_med" "$w_life" "$w_com" "$w_fam" "$w_prx")"
    fi
}
will_body() {
    printf '{%s}' "$(join "$p_name" "$p_id" "$p_mob" "$p_reg" "$(wishes_part)" "$p_signed" "$p_wit")"
}
post() { # PATH JSON
    http POST "$1" -H 'Content-Type: application/json' --data "$2"
}
create() {
    post /api/registry/wills "$(will_body)"
}
counts() {
    sql "$oak_db" "SELECT (SELECT count(*) FROM registry_wills) || ' ' || (SELECT count(*) FROM registry_will_versions) || ' ' || (SELECT count(*) FROM registry_will_proxies)"
}
audits() {
    sql "$oak_db" "SELECT count(*) FROM core_audit WHERE action = '$1'"
}
masked() { # ID -> 110105********123X
    printf '%s********%s' "$(printf '%s' "$1" | cut -c1-6)" "$(printf '%s' "$1" | cut -c15-18)"
}

ok "oakseed starts" oak_start || bail_out "cannot start oakseed"
ok "nginx starts" oak_nginx_start || bail_out "cannot start nginx"

# ---- a living will ----------------------------------------------------------------------
reset_parts
create
is "$R_status" 201 "a complete living will: 201"
NUM1=$(jget number)
CODE1=$(jget access_code)
ALPHA='[23456789ABCDEFGHJKMNPQRSTUVWXYZ]'
like "$NUM1" "^W530502-$ALPHA{8}\$" "number: W + county code + 8 characters"
like "$CODE1" "^$ALPHA{4}-$ALPHA{4}-$ALPHA{4}\$" "access code shown once, grouped"
like "$(body)" "\"proxy_codes\":\\[\\{\"name\":\"李建华\",\"code\":\"$ALPHA{4}-$ALPHA{4}-$ALPHA{4}\"\\},\\{\"name\":\"李小雨\",\"code\":\"$ALPHA{4}-" \
    "a proxy code for each proxy, by name"
PCODE1=$(body | sed 's/.*"name":"李建华","code":"\([^"]*\)".*/\1/')
PCODE2=$(body | sed 's/.*"name":"李小雨","code":"\([^"]*\)".*/\1/')
isnt "$PCODE1" "$PCODE2" "each proxy has their own code"
is "$(jget version)" 1 "version 1"
is "$(hdr Cache-Control)" no-store "the codes are not cached"
unlike "$(body)" "$ID1|$MOB1|$PHRASE1" "the answer repeats no number and no wish"
is "$(counts)" "1 1 2" "stored: the will, version 1, two proxies"
like "$(sql "$oak_db" "SELECT status || ' ' || region || ' ' || registered_at FROM registry_wills")" \
    '^active 530502 20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$' \
    "active, its region, registered_at in ISO 8601 UTC"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_wills WHERE name_enc IS NULL OR id_enc IS NULL OR mobile_enc IS NULL OR length(id_index) <> 64")" 0 \
    "name, ID and mobile sealed, ID found by blind index"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_will_versions WHERE content_enc IS NULL")" 0 "the wishes sealed"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_will_proxies WHERE name_enc IS NULL OR length(code_hash) <> 64")" 0 \
    "proxy names sealed, codes kept as hashes"

# ---- bad input on every field: 422 naming it, nothing stored --------------------------
rows=$(counts)
bad() { # FIELD DESCRIPTION  (the parts were changed before)
    create
    bad_f=$(printf '%s' "$1" | sed 's/\./\\./g')
    if [ "$R_status" = 422 ] && [ "$(ecode)" = validation_failed ] &&
        body | grep -q "\"fields\":{[^}]*\"$bad_f\":\"[^\"]*[^ -~][^\"]*\"" && [ "$(counts)" = "$rows" ]; then
        pass "$2: 422 names $1 in Chinese, nothing stored"
    else
        fail "$2: 422 names $1 in Chinese, nothing stored"
        diag "status $R_status: $(body)"
    fi
    reset_parts
}
p_name=; bad name "name missing"
p_name='"name":"王3"'; bad name "name with a digit"
p_id=; bad id_number "ID number missing"
p_id="\"id_number\":\"$(printf '%s' "$ID1" | cut -c1-17)\""; bad id_number "ID number of 17 characters"
p_id="\"id_number\":\"$IDMINOR\""; bad id_number "a minor"
p_mob=; bad mobile "mobile missing"
p_mob='"mobile":"12345"'; bad mobile "mobile too short"
p_reg=; bad region "region missing"
p_reg='"region":"539999"'; bad region "unknown region"
p_reg='"region":"530000"'; bad region "a province alone"
p_wishes=none; bad wishes "wishes missing"
p_wishes='"wishes":"都听医生的"'; bad wishes "wishes not an object"
w_med=; bad wishes.medical_care "first wish missing"
w_med="\"medical_care\":\"$LONG2001\""; bad wishes.medical_care "first wish of 2001 characters"
w_med='"medical_care":"不要\u0007插管"'; bad wishes.medical_care "first wish with a control character"
w_life=; bad wishes.life_support "second wish missing"
w_life='"life_support":{"choice":"maybe"}'; bad wishes.life_support.choice "an unknown life-support choice"
w_life='"life_support":{"note":"无"}'; bad wishes.life_support.choice "no life-support choice"
w_life="\"life_support\":{\"choice\":\"want\",\"note\":\"$(printf '%1001s' '' | tr ' ' y)\"}"
bad wishes.life_support.note "a life-support note of 1001 characters"
w_com=; bad wishes.comfort "third wish missing"
w_fam='"family_message":42'; bad wishes.family_message "fourth wish not text"
w_prx=; bad wishes.proxies "no proxies"
w_prx='"proxies":[]'; bad wishes.proxies "an empty list of proxies"
w_prx='"proxies":[{"name":"甲一","relation":"友","mobile":"13700000001"},{"name":"乙二","relation":"友","mobile":"13700000002"},{"name":"丙三","relation":"友","mobile":"13700000003"},{"name":"丁四","relation":"友","mobile":"13700000004"}]'
bad wishes.proxies "four proxies"
w_prx='"proxies":["李建华"]'; bad wishes.proxies.0 "a proxy that is not an object"
w_prx='"proxies":[{"name":"李建华","relation":"丈夫","mobile":"1371111"}]'; bad wishes.proxies.0.mobile "a proxy with a bad mobile"
w_prx='"proxies":[{"name":"李建华","mobile":"13711112222"}]'; bad wishes.proxies.0.relation "a proxy without a relation"
w_prx='"proxies":[{"name":"李建华","relation":"丈夫","mobile":"13711112222"},{"relation":"女儿","mobile":"13822223333"}]'
bad wishes.proxies.1.name "a second proxy without a name"
w_prx='"proxies":[{"name":"李建华","relation":"丈夫","mobile":"13711112222"},{"name":"李建华","relation":"丈夫","mobile":"13711112222"}]'
bad wishes.proxies.1.name "the same proxy twice"
p_signed=; bad signed_on "signed_on missing"
p_signed='"signed_on":"2024/06/01"'; bad signed_on "signed_on not YYYY-MM-DD"
p_signed='"signed_on":"2023-02-29"'; bad signed_on "signed_on not a calendar day"
p_signed='"signed_on":"2024-02-29"'; create
is "$R_status" 409 "29 February of a leap year is a day (this ID number has a will: 409)"
reset_parts
p_signed="\"signed_on\":\"$TOMORROW\""; bad signed_on "signed_on in the future"
p_signed='"signed_on":"1998-03-14"'; bad signed_on "signed_on before the 18th birthday"
p_wit=; bad witnesses "witnesses missing"
p_wit='"witnesses":[{"name":"赵敏"}]'; bad witnesses "one witness"
p_wit='"witnesses":[{"name":"赵敏"},{}]'; bad witnesses.1.name "a witness without a name"
p_wit='"witnesses":[{"name":"李建华"},{"name":"钱立"}]'; bad witnesses.0.name "a proxy as witness"
p_wit='"witnesses":[{"name":"赵敏"},{"name":"王秀兰"}]'; bad witnesses.1.name "the registrant as witness"
post /api/registry/wills '[1,2]'
is "$R_status" 400 "a body that is not an object: 400"
post /api/registry/wills '{"name":'
is "$R_status" 400 "malformed JSON: 400"
is "$(counts)" "$rows" "after all of them, still one will"

# ---- duplicates -----------------------------------------------------------------------------
reset_parts
p_id="\"id_number\":\"$(printf '%s' "$ID1" | tr X x)\""
create
is "$R_status" 409 "a second will for the same ID number: 409"
is "$(ecode)" already_registered "already_registered"
like "$(body)" '已订立生前预嘱' "with a Chinese message"
is "$(counts)" "$rows" "nothing stored"

# a will in 北京
reset_parts
p_name='"name":"周明"'; p_id="\"id_number\":\"$ID2\""; p_reg='"region":"110105"'; p_mob='"mobile":"13600005555"'
create
is "$R_status" 201 "a will in 北京"
NUM2=$(jget number)
CODE2=$(jget access_code)
reset_parts

# ---- lookup ------------------------------------------------------------------------------------
typed=$(printf '%s' "$CODE1" | tr -d - | tr 'A-Z' 'a-z')
post /api/registry/wills/lookup "{\"id_number\":\"$ID1\",\"access_code\":\"$typed\"}"
is "$R_status" 200 "lookup with the ID number and the code (no dashes, lower case)"
is "$(jget number)" "$NUM1" "finds the will"
is "$(jget status)" active "active"
is "$(jget name)" "王秀兰" "the registrant's own name"
is "$(jget id_number)" "$(masked "$ID1")" "ID number masked"
is "$(jget mobile)" "139****0001" "mobile masked"
is "$(jget family_message)" "$PHRASE1" "the registrant reads their wishes"
is "$(jget choice)" do_not_want "life support: do_not_want"
like "$(body)" '"proxies":\[\{"name":"李建华","relation":"丈夫","mobile":"137\*\*\*\*2222"\}' "proxies listed, mobiles masked"
like "$(body)" '"witnesses":\[\{"name":"赵敏"\},\{"name":"钱立"\}\]' "the witnesses"
is "$(jget signed_on)" 2024-06-01 "the date signed"
like "$(body)" '"versions":\[\{"version":1,"at":"20[^"]*Z"\}\]' "one version"
like "$(body)" '"reads":\[\]' "nobody else has read it"
unlike "$(body)" "$ID1|$MOB1|$PMOB1|$PMOB2" "no number in clear"
is "$(hdr Cache-Control)" no-store "not cached"

# ---- wrong codes and the lockout -----------------------------------------------------------------
post /api/registry/wills/lookup "{\"id_number\":\"$ID1\",\"access_code\":\"2222-2222-2222\"}"
is "$R_status" 404 "a wrong code: 404"
is "$(ecode)" not_found "not_found"
wrong=$(body | sed 's/"request_id":"[^"]*"//')
post /api/registry/wills/lookup "{\"id_number\":\"$(mkid 530502 19800315 999)\",\"access_code\":\"2222-2222-2222\"}"
is "$(body | sed 's/"request_id":"[^"]*"//')" "$wrong" "an ID number without a will gets the very same answer"
post /api/registry/wills/lookup "{\"id_number\":\"$ID1\"}"
is "$R_status" 422 "lookup without a code: 422"
like "$(body)" '"access_code":"请填写查询码' "naming access_code"
post /api/registry/wills/lookup "{\"id_number\":\"$CODE2\",\"access_code\":\"$CODE2\"}"
is "$R_status" 422 "lookup with something else as ID number: 422"
like "$(body)" '"id_number":"' "naming id_number"
for i in 1 2 3 4 5; do
    post /api/registry/wills/lookup "{\"id_number\":\"$ID2\",\"access_code\":\"3333-3333-333$i\"}"
done
is "$R_status" 404 "five wrong codes: each 404"
post /api/registry/wills/lookup "{\"id_number\":\"$ID2\",\"access_code\":\"$CODE2\"}"
is "$R_status" 429 "then even the right code waits: 429"
is "$(ecode)" too_many_attempts "too_many_attempts"
like "$(hdr Retry-After)" '^[0-9]+$' "with Retry-After"
post /api/registry/wills/lookup "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1\"}"
is "$R_status" 200 "another will is not locked"

# ---- a new version ------------------------------------------------------------------------------
upd() { # the document parts as they are now
    post /api/registry/wills/update "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1\",$(wishes_part),$p_signed,$p_wit}"
}
reset_parts
w_fam="\"family_message\":\"$PHRASE2\""
w_life='"life_support":{"choice":"proxy_decides"}'
TRICKY='他说\"别怕\"，路径 C:\\temp\n第二行\t😀 \u4e2d'
w_com="\"comfort\":\"$TRICKY\""
w_prx="\"proxies\":[{\"name\":\"李建华\",\"relation\":\"丈夫\",\"mobile\":\"$PMOB1\"},{\"name\":\"孙悦\",\"relation\":\"朋友\",\"mobile\":\"13566667777\"}]"
p_signed='"signed_on":"2025-01-02"'
upd
is "$R_status" 200 "update: 200"
is "$(jget version)" 2 "version 2"
is "$(jget family_message)" "$PHRASE2" "the new wishes"
is "$(jget choice)" proxy_decides "the new life-support choice"
is "$(jget comfort)" '他说\"别怕\"，路径 C:\\temp\n第二行\t😀 中' "quotes, backslashes, line breaks and emoji come back as sent"
like "$(body)" '"versions":\[\{"version":1,"at":"[^"]*"\},\{"version":2,"at":"[^"]*"\}\]' "both versions listed"
like "$(body)" "\"proxy_codes\":\\[\\{\"name\":\"孙悦\",\"code\":\"$ALPHA{4}-$ALPHA{4}-$ALPHA{4}\"\\}\\]" \
    "a code for the new proxy only"
is "$(sql "$oak_db" "SELECT group_concat(version, ',') FROM (SELECT v.version FROM registry_will_versions v JOIN registry_wills w ON w.id = v.will_id WHERE w.number = '$NUM1' ORDER BY v.version)")" \
    "1,2" "version 1 is kept beside version 2"
is "$(sql "$oak_db" "SELECT version FROM registry_wills WHERE number = '$NUM1'")" 2 "the will points to version 2"
reset_parts
p_signed="\"signed_on\":\"$TOMORROW\""
upd
is "$R_status" 422 "an update with a bad field: 422"
like "$(body)" '"signed_on":"签署日期' "naming it"
w_prx='"proxies":[]'
upd
like "$(body)" '"wishes\.proxies":"' "and every bad field of the update"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_will_versions v JOIN registry_wills w ON w.id = v.will_id WHERE w.number = '$NUM1'")" 2 \
    "no version stored by a refused update"
reset_parts
post /api/registry/wills/update "{\"id_number\":\"$ID1\",\"access_code\":\"2222-2222-2223\",$(wishes_part),$p_signed,$p_wit}"
is "$R_status" 404 "an update with a wrong code: 404"

# ---- a proxy reads it ------------------------------------------------------------------------------
ptyped=$(printf '%s' "$PCODE1" | tr -d - | tr 'A-Z' 'a-z')
post /api/registry/wills/proxy "{\"number\":\"$(printf '%s' "$NUM1" | tr 'A-Z' 'a-z')\",\"proxy_code\":\"$ptyped\"}"
is "$R_status" 200 "the proxy reads the will with their code"
is "$(jget version)" 2 "the current version"
is "$(jget family_message)" "$PHRASE2" "with its wishes"
is "$(jget id_number)" "$(masked "$ID1")" "ID number masked"
unlike "$(body)" '"mobile":"139|"reads"|"versions"' "nor the registrant's mobile, nor their list of reads"
unlike "$(body)" "$ID1|$MOB1|$PMOB1" "no number in clear"
post /api/registry/wills/proxy "{\"number\":\"$NUM1\",\"proxy_code\":\"$PCODE2\"}"
is "$R_status" 404 "a proxy taken off the will can no longer read it"
post /api/registry/wills/proxy "{\"number\":\"$NUM1\",\"proxy_code\":\"4444-4444-4444\"}"
is "$R_status" 404 "a wrong proxy code: 404"
pwrong=$(body | sed 's/"request_id":"[^"]*"//')
post /api/registry/wills/proxy "{\"number\":\"W530502-22222222\",\"proxy_code\":\"$PCODE1\"}"
is "$(body | sed 's/"request_id":"[^"]*"//')" "$pwrong" "an unknown number gets the very same answer"
post /api/registry/wills/proxy "{\"number\":\"12345\",\"proxy_code\":\"$PCODE1\"}"
is "$R_status" 422 "a malformed number: 422"
like "$(body)" '"number":"预嘱编号' "naming number"

# ---- staff -----------------------------------------------------------------------------------------
ok "add 云南 regional admin" adduser yn regional_admin 530000
ok "add 保山 regional admin" adduser bs regional_admin 530500
ok "add 北京 regional admin" adduser bj regional_admin 110000
ok "add 曲靖 regional admin" adduser qj regional_admin 530300
ok "add 云南 staff without registry.will.read" adduser clerk staff 530000
for u in yn bs bj qj clerk; do login $u; done
is "$R_status" 200 "staff log in"

REASON='急诊抢救，需确认患者本人意愿'
REASON2='家属咨询，核实预嘱'
sread() { # WHO NUMBER JSON-BODY: a staff read of a will, the reason in the body
    as "$1" POST "/api/registry/staff/wills/$2/read" -H 'Content-Type: application/json' --data "$3"
}
sread yn "$NUM1" '{}'
is "$R_status" 422 "staff read without a reason: 422"
like "$(body)" '"reason":"请填写查阅原因' "naming reason"
sread yn "$NUM1" '{"reason":"看看"}'
is "$R_status" 422 "a reason of 2 characters: 422"
sread yn "$NUM1" '{"reason":12345}'
is "$R_status" 422 "a reason that is not text: 422"
like "$(body)" '"reason":"查阅原因应为文字' "naming reason"
sread yn "$NUM1" '{"reason":"急诊\u0007抢救需要"}'
is "$R_status" 422 "a reason with a control character: 422"
sread yn "$NUM1" '"急诊抢救需要"'
is "$R_status" 400 "a body that is not a JSON object: 400"
sread bj "$NUM1" "{\"reason\":\"$REASON\"}"
is "$R_status" 404 "北京 admin: a 云南 will is 404"
sread yn "$NUM2" "{\"reason\":\"$REASON\"}"
is "$R_status" 404 "云南 admin: a 北京 will is 404"
sread qj "$NUM1" "{\"reason\":\"$REASON\"}"
is "$R_status" 404 "曲靖 admin: a will of the sibling prefecture 保山 is 404"
sread yn W530502-22222222 "{\"reason\":\"$REASON\"}"
is "$R_status" 404 "an unknown number: 404, the same"
sread clerk "$NUM1" "{\"reason\":\"$REASON\"}"
is "$R_status" 403 "a role without registry.will.read: 403"
http POST "/api/registry/staff/wills/$NUM1/read" -H 'Content-Type: application/json' --data '{"reason":"abcdef"}'
is "$R_status" 401 "without a session: 401"
http POST "/api/registry/staff/wills/$NUM1/read" -b "$oak_tmp/yn.jar" -H 'Content-Type: application/json' \
    --data "{\"reason\":\"$REASON\"}"
is "$R_status $(ecode)" "403 csrf_failed" "without the CSRF token: 403 (the read is a POST)"
as yn GET "/api/registry/staff/wills/$NUM1" -G --data-urlencode "reason=核对旧的查阅方式"
is "$R_status" 404 "the old GET with ?reason= is gone"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_will_reads WHERE kind = 'staff'")" 0 "none of those was recorded as a read"
sread yn "$NUM1" "{\"reason\":\"$REASON\"}"
is "$R_status" 200 "云南 admin reads the 保山 will, giving a reason"
is "$(jget family_message)" "$PHRASE2" "the current version"
is "$(jget name)" "王秀兰" "the registrant's name"
is "$(jget id_number)" "$(masked "$ID1")" "ID number masked"
unlike "$(body)" "$ID1|$MOB1|$PMOB1" "no number in clear"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_will_reads WHERE kind = 'staff' AND reason IS NULL AND reason_enc IS NOT NULL AND reason_enc NOT LIKE '%急诊%'")" 1 \
    "the reason is stored sealed, not in clear"
sread bj "$NUM2" "{\"reason\":\"$REASON2\"}"
is "$R_status" 200 "北京 admin reads the 北京 will"

# ---- the registrant sees who read it ----------------------------------------------------------------
post /api/registry/wills/lookup "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1\"}"
like "$(body)" '"reads":\[\{"at":"20[^"]*Z","kind":"proxy","who":"代理人 李建华","reason":null\}' "the proxy's read listed"
like "$(body)" "\\{\"at\":\"20[^\"]*Z\",\"kind\":\"staff\",\"who\":\"工作人员 yn, 云南省\",\"reason\":\"$REASON\"\\}\\]" \
    "the staff read listed with who, region and reason"
unlike "$(body)" '北京|bj' "not the read of another will"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_will_reads WHERE who_enc LIKE '%李建华%' OR who_enc IS NULL")" 0 \
    "who read it is sealed too"

# a read recorded before reasons were sealed (migration 5) is shown, and
# sealed when the will is next read
sql "$oak_db" "INSERT INTO registry_will_reads(will_id, region, kind, staff, reason) SELECT id, region, 'staff', 'old', '旧时记录的理由' FROM registry_wills WHERE number = '$NUM1'" > /dev/null
post /api/registry/wills/lookup "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1\"}"
like "$(body)" '"who":null,"reason":"旧时记录的理由"\}\]' "an old read's clear reason is still shown to the registrant"
post /api/registry/wills/proxy "{\"number\":\"$NUM1\",\"proxy_code\":\"$PCODE1\"}"
is "$R_status" 200 "the will is read again"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_will_reads WHERE reason IS NOT NULL")" 0 "and no reason is left in clear"
post /api/registry/wills/lookup "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1\"}"
like "$(body)" '"who":null,"reason":"旧时记录的理由"\},\{"at":"[^"]*","kind":"proxy"' "the registrant still sees the old reason, now sealed"

# ---- revoke ----------------------------------------------------------------------------------------
post /api/registry/wills/revoke "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1\"}"
is "$R_status" 200 "revoke"
is "$(jget status)" revoked "status revoked"
like "$(jget revoked_at)" '^20[0-9]{2}-' "revoked_at set"
post /api/registry/wills/revoke "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1\"}"
is "$R_status" 200 "revoking twice: 200"
reset_parts
upd
is "$R_status" 409 "a revoked will cannot be updated"
is "$(ecode)" revoked "revoked"
like "$(body)" '如需要，请重新订立' "and the message says a new one can be written"
post /api/registry/wills/proxy "{\"number\":\"$NUM1\",\"proxy_code\":\"$PCODE1\"}"
is "$R_status" 200 "the proxy still learns the state"
is "$(jget status)" revoked "revoked"
is "$(jget wishes)" null "but no longer the wishes"
sread yn "$NUM1" "{\"reason\":\"$REASON\"}"
is "$(jget status) $(jget wishes)" "revoked null" "staff see it revoked, without the wishes"
is "$(sql "$oak_db" "SELECT status FROM registry_wills WHERE number = '$NUM1'")" revoked "stored as revoked"
is "$(counts)" "2 3 5" "and nothing deleted: 2 wills, 3 versions, 5 proxies"

# ---- a new will after a revocation -------------------------------------------------------------
reset_parts
w_fam="\"family_message\":\"$PHRASE1\""
create
is "$R_status" 201 "a person whose will is revoked writes a new one: 201"
NUM1B=$(jget number)
CODE1B=$(jget access_code)
PCODE1B=$(body | sed 's/.*"name":"李建华","code":"\([^"]*\)".*/\1/')
isnt "$NUM1B" "$NUM1" "a new will, with a number of its own"
is "$(jget version)" 1 "at version 1"
isnt "$PCODE1B" "$PCODE1" "with new proxy codes"
is "$(counts)" "3 4 7" "the revoked will is kept, with its versions and proxies"
post /api/registry/wills/lookup "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1B\"}"
is "$R_status $(jget number) $(jget status)" "200 $NUM1B active" "the new code opens the new will"
like "$(body)" '"versions":\[\{"version":1,"at":"[^"]*"\}\],"reads":\[\]' "one version, and none of the earlier will's reads"
unlike "$(body)" "$NUM1|$REASON|旧时记录" "nothing of the earlier will"
post /api/registry/wills/lookup "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1\"}"
is "$R_status" 404 "the old access code opens nothing any more"
post /api/registry/wills/proxy "{\"number\":\"$NUM1B\",\"proxy_code\":\"$PCODE1B\"}"
is "$R_status $(jget family_message)" "200 $PHRASE1" "the new proxy code reads the new will"
post /api/registry/wills/proxy "{\"number\":\"$NUM1B\",\"proxy_code\":\"$PCODE1\"}"
is "$R_status" 404 "an old proxy code does not"
is "$(sql "$oak_db" "SELECT status || ' ' || superseded_by || ' ' || id_index FROM registry_wills WHERE number = '$NUM1'")" \
    "revoked $NUM1B superseded:$NUM1" "the old will stays revoked, points to the new one and gave up its blind index"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_wills WHERE person_index = (SELECT id_index FROM registry_wills WHERE number = '$NUM1B')")" 2 \
    "both are the same person's (person_index)"
is "$(sql "$oak_db" "SELECT object_id || ' ' || region || ' ' || detail FROM core_audit WHERE action = 'registry.will.supersede'")" \
    "$NUM1 530502 by=$NUM1B" "the hand-over audited, by will numbers"
create
is "$R_status $(ecode)" "409 already_registered" "a second will while the new one is active: 409"
reset_parts

# ---- audit ---------------------------------------------------------------------------------------------
is "$(audits registry.will.create)" 3 "each will audited"
ok "lookups audited" test "$(audits registry.will.read)" -ge 3
is "$(audits registry.will.update)" 1 "the update audited"
is "$(audits registry.will.revoke)" 1 "the revocation audited"
is "$(audits registry.will.proxy_read)" 4 "the proxy's reads audited"
is "$(sql "$oak_db" "SELECT actor || ' ' || object_id || ' ' || region || ' ' || detail FROM core_audit WHERE action = 'registry.will.staff_read' ORDER BY id LIMIT 1")" \
    "yn $NUM1 530502 reason_len=14" "the staff read audited with actor, number, region and the reason's length only"
is "$(sql "$oak_db" "SELECT count(*) FROM core_audit WHERE detail LIKE '%急诊%' OR detail LIKE '%家属%' OR detail LIKE '%reason=%'")" 0 \
    "no audit row carries the reason"
is "$(audits registry.will.staff_read)" 3 "each staff read audited"
run "$OAKSEED" audit verify -c "$oak_conf"
is "$rc" 0 "the audit chain verifies"

# ---- nothing in clear on disk or in the logs -----------------------------------------------------
oak_nginx_stop
oak_stop
sql "$oak_db" "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
like "$(cat "$oak_db"* | grep -ac -- "$NUM1")" '^[1-9]' "the search below finds what is stored in clear (the number)"
ok "the log is there to search" test -s "$oak_log"
for v in "$PHRASE1" "$PHRASE2" "苍山" "洱海" "不要插管" "$REASON" "$REASON2" "$ID1" "$ID2" "$MOB1" "$PMOB1" "$PMOB2" "王秀兰" "李建华" "赵敏"; do
    if cat "$oak_db"* | grep -aq -- "$v"; then
        fail "$v is not in the database files"
    else
        pass "$v is not in the database files"
    fi
done
ok "nginx's access log is among them" test -s "$oak_tmp/log/nginx-access.log"
like "$(cat "$oak_tmp/log/nginx-access.log")" "POST /api/registry/staff/wills/$NUM1/read " "with the staff reads in it"
# pct TEXT: TEXT percent-encoded, as curl puts it in a URL (any case is searched for below)
pct() {
    printf '%s' "$1" | od -An -tx1 | tr -d ' \n' | sed 's/../%&/g'
}
like "$(cat "$oak_tmp/log/nginx-access.log")" "$(pct 核对旧的查阅方式)" "(a reason sent in a URL does reach the access log, percent-encoded)"
for v in "$PHRASE1" "$PHRASE2" "苍山" "$REASON" "$REASON2" "急诊" "$(pct "$REASON")" "$(pct "$REASON2")" "$(pct 急诊)" \
    "$ID1" "$ID2" "$MOB1" "$PMOB1"; do
    if cat "$oak_tmp"/log/* | grep -aiq -- "$v"; then
        fail "$v is in no log"
    else
        pass "$v is in no log"
    fi
done

# =====================================================================================================
# ---- bad input through nginx: the proxy code lockout --------------------------------------------------
# A section of its own (its names start with rt_), with wills of its own. Wrong proxy codes for one
# will number lock that number out (429 with Retry-After, then even for the right code) and change
# nothing in the database: no read recorded, no audit row. It starts oakseed and nginx when they are
# not running, and leaves them as it found them.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/registry_lib.sh"
rt_begin
# rt_will ID PROXY-MOBILE: a will with one proxy; its number and the proxy's code in $rt_num, $rt_pcode
rt_will() {
    post /api/registry/wills "{\"name\":\"孙丽娟\",\"id_number\":\"$1\",\"mobile\":\"13987650077\",\"region\":\"530502\",\"wishes\":{\"medical_care\":\"不要插管\",\"life_support\":{\"choice\":\"want\"},\"comfort\":\"有家人陪伴\",\"proxies\":[{\"name\":\"孙建军\",\"relation\":\"儿子\",\"mobile\":\"$2\"}]},\"signed_on\":\"2024-06-01\",\"witnesses\":[{\"name\":\"周红\"},{\"name\":\"吴刚\"}]}"
    rt_num=$(jget number 2> /dev/null)
    rt_pcode=$(body | sed -n 's/.*"proxy_codes":\[{"name":"孙建军","code":"\([^"]*\)".*/\1/p')
    [ "$R_status" = 201 ] && [ -n "$rt_pcode" ]
}
ok "a will with a proxy" rt_will "$(mkid 530502 19750809 101)" 13700000077
RT_NUM=$rt_num
RT_PCODE=$rt_pcode
ok "another will with a proxy" rt_will "$(mkid 530502 19750809 102)" 13700000078
RT_NUM2=$rt_num
RT_PCODE2=$rt_pcode
rt_lower=$(printf '%s' "$RT_NUM" | tr 'A-Z' 'a-z')
rt_before=$(rt_snap)
rt_codes=
for rt_i in 1 2 3 4 5; do
    rt_n=$RT_NUM
    [ "$rt_i" -le 2 ] && rt_n=$rt_lower    # the same number typed in lower case counts the same
    post /api/registry/wills/proxy "{\"number\":\"$rt_n\",\"proxy_code\":\"2345-6789-ABC$rt_i\"}"
    rt_codes="$rt_codes$R_status $(ecode);"
done
is "$rt_codes" "404 not_found;404 not_found;404 not_found;404 not_found;404 not_found;" \
    "five wrong proxy codes for one will (two with the number in lower case): each 404"
post /api/registry/wills/proxy "{\"number\":\"$RT_NUM\",\"proxy_code\":\"2345-6789-ABCE\"}"
is "$R_status $(ecode)" "429 too_many_attempts" "the sixth: 429"
like "$(hdr Retry-After)" '^[1-9][0-9]*$' "with Retry-After in seconds"
like "$(body)" '"message":"尝试次数过多' "and a Chinese message"
post /api/registry/wills/proxy "{\"number\":\"$RT_NUM\",\"proxy_code\":\"$RT_PCODE\"}"
is "$R_status $(ecode)" "429 too_many_attempts" "then even the right proxy code waits"
unlike "$(body)" '不要插管|孙丽娟|"wishes"' "and learns nothing of the will"
post /api/registry/wills/proxy "{\"number\":\"$rt_lower\",\"proxy_code\":\"$RT_PCODE\"}"
is "$R_status" 429 "also with the number in lower case"
is "$(rt_snap)" "$rt_before" "nothing changed in the database: no read recorded, no audit row"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_will_reads r JOIN registry_wills w ON w.id = r.will_id WHERE w.number = '$RT_NUM'")" 0 \
    "the will has no read"
post /api/registry/wills/proxy "{\"number\":\"$RT_NUM2\",\"proxy_code\":\"$RT_PCODE2\"}"
is "$R_status $(jget number)" "200 $RT_NUM2" "another will's proxy is not locked out"
post /api/registry/wills/proxy "{\"number\":\"12345\",\"proxy_code\":\"$RT_PCODE\"}"
is "$R_status $(ecode)" "422 validation_failed" "a malformed number is still 422, before the limit"
like "$(body)" '"fields":\{[^}]*"number":"' "naming number"

rt_end
# ---- end of the bad-input section ----------------------------------------------------------------------
# =====================================================================================================
done_testing
