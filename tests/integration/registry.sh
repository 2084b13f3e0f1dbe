#!/bin/sh
# registry.sh - organ-donor registration end to end through nginx, oakseed
# and SQLite: a registration with its access code and signed card, a clear
# 422 naming each bad field (and nothing stored), duplicates, minors and
# guardians, lookup / amend (a revision kept) / withdraw (the card then
# verifies as withdrawn), wrong codes and the lockout, no ID or mobile
# number in clear in the database or the log, the staff search, detail
# and CSV kept to each account's regions, audit rows, the follow-ups the
# regional rules queue, and public statistics with small counts hidden.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

oak_require nginx curl cgi-fcgi sqlite3

PW='Correct-Horse-9'
scripts=$oak_tmp/scripts
cp -R "$top_srcdir/scripts" "$scripts"
chmod -R u+w "$scripts"
oak_plugins registry
oak_config "registry" "[auth]
scrypt_log_n = 12

[keys]
file = data/keys

[lua]
scripts = scripts"
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
ID1=$(mkid 530502 19900512 124)      # a woman born 1990-05-12, 云南 保山 隆阳区
ID2=$(mkid 530302 19850101 456)      # 曲靖
ID3=$(mkid 110105 19780202 789)      # 北京 朝阳
ID4=$(mkid 530502 20120304 222)      # a minor
ID5=$(mkid 110105 19920707 333)      # for the lockout
MOB1=13987651234

# ---- the body of a registration, from parts (an empty part is left out) -------
reset_parts() {
    p_name='"name":"张丽华"'
    p_id="\"id_number\":\"$ID1\""
    p_eth='"ethnicity":"彝族"'
    p_mob="\"mobile\":\"$MOB1\""
    p_reg='"region":"530502"'
    p_don='"donation":{"all_organs":false,"organs":["kidneys","corneas"],"body":false}'
    p_ec='"emergency_contact":{"name":"张建国","relation":"父亲","mobile":"13600001111"}'
    p_con='"consents":{"voluntary":true,"informed":true,"revocable":true}'
    p_gua=
}
donor_body() {
    printf '{'
    oak_sep=
    for oak_part in "$p_name" "$p_id" "$p_eth" "$p_mob" "$p_reg" "$p_don" "$p_ec" "$p_con" "$p_gua"; do
        [ -n "$oak_part" ] || continue
        printf '%s%s' "$oak_sep" "$oak_part"
        oak_sep=,
    done
    printf '}'
}
register() {
    http POST /api/registry/donors -H 'Content-Type: application/json' --data "$(donor_body)"
}
post() { # PATH JSON
    http POST "$1" -H 'Content-Type: application/json' --data "$2"
}
count() {
    sql "$oak_db" "SELECT count(*) FROM registry_donors"
}

ok "oakseed starts" oak_start || bail_out "cannot start oakseed"
ok "nginx starts" oak_nginx_start || bail_out "cannot start nginx"

# ---- a registration --------------------------------------------------------------
reset_parts
register
is "$R_status" 201 "a complete registration: 201"
NUM1=$(jget number)
CODE1=$(jget access_code)
SIG1=$(jget signature)
like "$NUM1" '^D530502-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$' "number: D + county code + 8 characters"
like "$CODE1" '^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{4}$' \
    "access code shown once, grouped XXXX-XXXX-XXXX"
is "$(jget status)" active "status active"
like "$(jget month)" '^20[0-9]{2}-[01][0-9]$' "the card carries the month"
is "$(jget donation)" "肾脏、眼角膜" "the card says what is donated"
like "$SIG1" '^[A-Za-z0-9_-]{86}$' "the card is signed (Ed25519, base64url)"
unlike "$(body)" "$ID1|张丽华|$MOB1" "the answer carries no name, ID or mobile number"
is "$(hdr Cache-Control)" no-store "the access code is not cached"
http GET "/api/registry/cards/$NUM1?sig=$SIG1"
is "$(jget valid)" true "the card verifies"
is "$(jget status)" active "as active"
is "$(jget region_name)" "隆阳区" "with its region"
is "$(body | sed 's/"[a-z_]*":/\n&/g' | grep -c '^"')" 4 "and nothing else: valid, status, region_name, month"
first=A
[ "$(printf '%s' "$SIG1" | cut -c1)" != A ] || first=B
http GET "/api/registry/cards/$NUM1?sig=$first$(printf '%s' "$SIG1" | cut -c2-)"
is "$(jget valid)" false "an altered signature does not verify"
http GET "/api/registry/cards/D530502-22222222?sig=$SIG1"
is "$(jget valid)" false "another number with this signature does not verify"
is "$(sql "$oak_db" "SELECT card_sig FROM registry_donors WHERE number = '$NUM1'")" "$SIG1" \
    "the signature is kept as issued (verify compares, without signing again)"
sql "$oak_db" "UPDATE registry_donors SET card_sig = NULL WHERE number = '$NUM1'" > /dev/null
http GET "/api/registry/cards/$NUM1?sig=$SIG1"
is "$(jget valid)" true "a row from before signatures were kept: verified by signing again"
http GET "/api/registry/cards/$NUM1?sig=$first$(printf '%s' "$SIG1" | cut -c2-)"
is "$(jget valid)" false "and an altered signature still fails there"
sql "$oak_db" "UPDATE registry_donors SET card_sig = '$SIG1' WHERE number = '$NUM1'" > /dev/null
age1=$(($(date +%Y) - 1990))
[ "$(date +%m%d)" -ge 0512 ] || age1=$((age1 - 1))
is "$(sql "$oak_db" "SELECT status || ' ' || region || ' ' || age || ' ' || gender || ' ' || birth_month || ' ' || ethnicity || ' ' || organs FROM registry_donors")" \
    "active 530502 $age1 female 1990-05 彝族 kidneys,corneas" "stored: derived values in clear"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_donors WHERE name_enc IS NULL OR id_enc IS NULL OR mobile_enc IS NULL OR contact_enc IS NULL")" 0 \
    "personal fields stored sealed"
is "$(sql "$oak_db" "SELECT what FROM registry_donor_revisions")" registered "revision 1: registered"

# ---- bad input on every field: 422 naming it, nothing stored ---------------------------------
rows=$(count)
bad() { # FIELD DESCRIPTION  (the parts were changed before)
    register
    if [ "$R_status" = 422 ] && [ "$(ecode)" = validation_failed ] &&
        body | grep -q "\"fields\":{[^}]*\"$1\":\"[^\"]*[^ -~][^\"]*\"" && [ "$(count)" = "$rows" ]; then
        pass "$2: 422 names $1 in Chinese, nothing stored"
    else
        fail "$2: 422 names $1 in Chinese, nothing stored"
        diag "status $R_status: $(body)"
    fi
    reset_parts
}
p_name=; bad name "name missing"
p_name='"name":"李"'; bad name "name of one character"
p_name='"name":"张三三三三三三三三三三三三三三三三三三三三三三三三三三三三三三"'; bad name "name of 31 characters"
p_name='"name":"张3"'; bad name "name with a digit"
p_name='"name":"=cmd"'; bad name "name starting with a formula"
p_name='"name":42'; bad name "name not a string"
p_id=; bad id_number "ID number missing"
p_id='"id_number":"53050219900512123"'; bad id_number "ID number of 17 characters"
other=0
[ "$(printf '%s' "$ID1" | cut -c18)" != 0 ] || other=1
p_id="\"id_number\":\"$(printf '%s' "$ID1" | cut -c1-17)$other\""
bad id_number "ID number with a wrong check character"
p_id="\"id_number\":\"$(mkid 530502 20991231 123)\""; bad id_number "ID number born in the future"
p_eth='"ethnicity":"火星族"'; bad ethnicity "ethnicity not one of the 56"
p_eth=; bad ethnicity "云南's rule: ethnicity required here"
p_mob=; bad mobile "mobile missing"
p_mob='"mobile":"12345"'; bad mobile "mobile too short"
p_mob='"mobile":"+1 415 555 0100"'; bad mobile "foreign mobile"
p_reg=; bad region "region missing"
p_reg='"region":"539999"'; bad region "unknown region"
p_reg='"region":"530000"'; bad region "a province alone"
p_reg='"region":530502'; bad region "region as a number"
p_don=; bad donation "donation missing"
p_don='"donation":{"all_organs":false,"organs":[],"body":false}'; bad donation "no donation chosen"
p_don='"donation":{"organs":["heart","spleen"]}'; bad donation.organs "an unknown organ"
p_don='"donation":{"organs":"heart"}'; bad donation.organs "organs not a list"
p_don='"donation":{"all_organs":true,"organs":["heart"]}'; bad donation.organs "organs listed with all_organs"
p_don='"donation":{"all_organs":"yes"}'; bad donation.all_organs "all_organs not a boolean"
p_don='"donation":{"organs":["heart"],"body":1}'; bad donation.body "body not a boolean"
p_ec=; bad emergency_contact "emergency contact missing"
p_ec='"emergency_contact":{"relation":"父亲","mobile":"13600001111"}'; bad emergency_contact.name "emergency contact without a name"
p_ec='"emergency_contact":{"name":"张建国","mobile":"13600001111"}'; bad emergency_contact.relation "emergency contact without a relation"
p_ec='"emergency_contact":{"name":"张建国","relation":"父亲","mobile":"1360000"}'; bad emergency_contact.mobile "emergency contact with a bad mobile"
p_con=; bad consents "consents missing"
p_con='"consents":{"voluntary":false,"informed":true,"revocable":true}'; bad consents.voluntary "not voluntary"
p_con='"consents":{"voluntary":true,"revocable":true}'; bad consents.informed "not informed"
p_con='"consents":{"voluntary":true,"informed":true,"revocable":"true"}'; bad consents.revocable "revocable as a string"
p_gua='"guardian":{"name":"张建国","relation":"父亲","mobile":"13600001111","consent":true}'
bad guardian "a guardian for an adult"
http POST /api/registry/donors -H 'Content-Type: application/json' --data '[1,2]'
is "$R_status" 400 "a body that is not an object: 400"
http POST /api/registry/donors -H 'Content-Type: application/json' --data '{"name":'
is "$R_status" 400 "malformed JSON: 400"
is "$(count)" "$rows" "after all of them, still one registration"

# ---- duplicates --------------------------------------------------------------------
p_id="\"id_number\":\"$(printf '%s' "$ID1" | tr X x)\""
register
is "$R_status" 409 "the same ID number again: 409"
is "$(ecode)" already_registered "already_registered"
like "$(body)" '该身份证号已登记' "with a Chinese message"
is "$(count)" "$rows" "nothing stored"

# ---- minors -------------------------------------------------------------------------
reset_parts
p_id="\"id_number\":\"$ID4\""
p_ec='"emergency_contact":{"name":"张建国","relation":"父亲","mobile":"13600001111"}'
bad guardian "a minor without a guardian"
p_id="\"id_number\":\"$ID4\""
p_gua='"guardian":{"name":"张建国","relation":"父亲","mobile":"13600001111"}'
bad guardian.consent "a guardian without consent"
p_id="\"id_number\":\"$ID4\""
p_gua='"guardian":{"name":"张建国","relation":"父亲","mobile":"136","consent":true}'
bad guardian.mobile "a guardian with a bad mobile"
p_id="\"id_number\":\"$ID4\""
p_gua='"guardian":{"name":"张建国","relation":"父亲","mobile":"13600001111","consent":true}'
register
is "$R_status" 201 "a minor with a guardian's consent: 201"
NUM4=$(jget number)
is "$(sql "$oak_db" "SELECT type || ' ' || source FROM registry_followups WHERE number = '$NUM4' AND type = 'review'")" \
    "review 530000/registry.validate.lua" "云南's rule queued a review of the minor's registration"
reset_parts

# ---- more registrations (other regions) ------------------------------------------------
p_id="\"id_number\":\"$ID2\""; p_reg='"region":"530300"'; p_name='"name":"王芳"'; p_mob='"mobile":"13911112222"'
register
is "$R_status" 201 "a registration in 曲靖市"
NUM2=$(jget number)
reset_parts
p_id="\"id_number\":\"$ID3\""; p_reg='"region":"110105"'; p_eth=; p_name='"name":"李明"'
p_mob='"mobile":"13800002222"'; p_don='"donation":{"all_organs":true,"body":true}'
register
is "$R_status" 201 "a registration in 北京 without ethnicity (the default rule does not ask)"
NUM3=$(jget number)
is "$(jget donation)" "全部器官、遗体" "all organs and the body"
reset_parts
p_id="\"id_number\":\"$ID5\""; p_reg='"region":"110105"'; p_name='"name":"赵六"'
register
CODE5=$(jget access_code)
rows=$(count)
is "$rows" 5 "five registrations stored"

# ---- lookup ---------------------------------------------------------------------------
typed=$(printf '%s' "$CODE1" | tr -d - | tr 'A-Z' 'a-z')
post /api/registry/donors/lookup "{\"id_number\":\"$ID1\",\"access_code\":\"$typed\"}"
is "$R_status" 200 "lookup with the ID number and the code (typed without dashes, lower case)"
is "$(jget number)" "$NUM1" "finds the registration"
is "$(jget name)" "张丽华" "shows the registrant their own name"
is "$(jget id_number)" "$(printf '%s' "$ID1" | cut -c1-6)********$(printf '%s' "$ID1" | cut -c15-18)" "ID number masked"
is "$(jget mobile)" "139****1234" "mobile masked"
like "$(body)" '"emergency_contact":\{"name":"张建国","relation":"父亲","mobile":"136\*\*\*\*1111"\}' "emergency contact, mobile masked"
is "$(jget what)" registered "revisions listed"
unlike "$(body)" "$ID1|$MOB1|13600001111" "no number in clear"

# ---- wrong codes and the lockout ------------------------------------------------------------
post /api/registry/donors/lookup "{\"id_number\":\"$ID1\",\"access_code\":\"2222-2222-2222\"}"
is "$R_status" 404 "a wrong code: 404"
is "$(ecode)" not_found "not_found"
wrong=$(body | sed 's/"request_id":"[^"]*"//')
post /api/registry/donors/lookup "{\"id_number\":\"$(mkid 530502 19900512 999)\",\"access_code\":\"2222-2222-2222\"}"
is "$(body | sed 's/"request_id":"[^"]*"//')" "$wrong" "an unregistered ID number gets the very same answer"
post /api/registry/donors/lookup "{\"id_number\":\"$ID1\"}"
is "$R_status" 422 "lookup without a code: 422"
like "$(body)" '"access_code":"请填写查询码' "naming access_code"
for i in 1 2 3 4 5; do
    post /api/registry/donors/lookup "{\"id_number\":\"$ID5\",\"access_code\":\"3333-3333-333$i\"}"
done
is "$R_status" 404 "five wrong codes: each 404"
post /api/registry/donors/lookup "{\"id_number\":\"$ID5\",\"access_code\":\"$CODE5\"}"
is "$R_status" 429 "then even the right code waits: 429"
is "$(ecode)" too_many_attempts "too_many_attempts"
like "$(hdr Retry-After)" '^[0-9]+$' "with Retry-After"
post /api/registry/donors/lookup "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1\"}"
is "$R_status" 200 "another registration is not locked"

# ---- amend -------------------------------------------------------------------------------
post /api/registry/donors/amend "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1\",\"changes\":{\"mobile\":\"13711112222\",\"donation\":{\"all_organs\":true}}}"
is "$R_status" 200 "amend mobile and donation"
is "$(jget mobile)" "137****2222" "the new mobile, masked"
like "$(body)" '"donation":\{"all_organs":true,"organs":\[\],"body":false' "the new donation"
like "$(body)" '"revision":2,"at":"[^"]*","what":"amended","fields":"mobile,donation"' "revision 2 kept: amended mobile, donation"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_donor_revisions r JOIN registry_donors d ON d.id = r.donor_id WHERE d.number = '$NUM1'")" 2 \
    "two revisions stored"
post /api/registry/donors/amend "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1\",\"changes\":{\"name\":\"别人\"}}"
is "$R_status" 422 "the name cannot be amended online"
like "$(body)" '"changes.name":"此项不能在线修改' "and the field says so"
post /api/registry/donors/amend "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1\",\"changes\":{\"mobile\":\"123\"}}"
is "$R_status" 422 "a bad new mobile: 422"
like "$(body)" '"mobile":"手机号码' "naming mobile"
post /api/registry/donors/amend "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1\",\"changes\":{\"ethnicity\":null}}"
is "$R_status" 422 "云南's rule applies to amendments too (ethnicity)"
post /api/registry/donors/amend "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1\",\"changes\":{\"region\":\"530521\"}}"
is "$R_status" 200 "move to 施甸县"
is "$(jget region_name)" "施甸县" "the new region"
is "$(jget name)" "张丽华" "personal data re-sealed for the new region and still readable"
SIG1B=$(jget signature)
http GET "/api/registry/cards/$NUM1?sig=$SIG1B"
is "$(jget region_name)" "施甸县" "the new card verifies"
http GET "/api/registry/cards/$NUM1?sig=$SIG1"
is "$(jget valid)" false "the card of the old region no longer does"
is "$(sql "$oak_db" "SELECT card_sig FROM registry_donors WHERE number = '$NUM1'")" "$SIG1B" \
    "the kept signature is the new card's"

# ---- withdraw ------------------------------------------------------------------------------
post /api/registry/donors/withdraw "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1\",\"reason\":\"个人原因\"}"
is "$R_status" 200 "withdraw"
is "$(jget status)" withdrawn "status withdrawn"
like "$(jget withdrawn_at)" '^20[0-9]{2}-' "withdrawn_at set"
http GET "/api/registry/cards/$NUM1?sig=$SIG1B"
is "$(jget valid)" true "the card is still ours"
is "$(jget status)" withdrawn "but verifies as withdrawn, at once"
post /api/registry/donors/withdraw "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1\"}"
is "$R_status" 200 "withdrawing twice: 200"
post /api/registry/donors/amend "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1\",\"changes\":{\"mobile\":\"13711112222\"}}"
is "$R_status" 409 "a withdrawn registration cannot be amended"
is "$(ecode)" withdrawn "withdrawn"
is "$(sql "$oak_db" "SELECT group_concat(what, ',') FROM (SELECT what FROM registry_donor_revisions r JOIN registry_donors d ON d.id = r.donor_id WHERE d.number = '$NUM1' ORDER BY revision)")" \
    "registered,amended,amended,withdrawn" "every change kept as a revision"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_donors WHERE reason_enc IS NOT NULL AND reason_enc NOT LIKE '%个人%'")" 1 \
    "the reason is sealed too"

# ---- nothing personal in clear on disk or in the log ---------------------------------------------
sql "$oak_db" "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
for v in "$ID1" "$ID2" "$ID3" "$ID4" "$MOB1" 13711112222 13600001111 "张丽华" "张建国"; do
    if cat "$oak_db"* | grep -aq -- "$v"; then
        fail "$v is not in the database files"
    else
        pass "$v is not in the database files"
    fi
done
nok "no ID number or mobile in the log" grep -Eq "$ID1|$ID2|$ID4|$MOB1|13600001111" "$oak_log" "$oak_tmp/log/oakseed.out"

# ---- staff -------------------------------------------------------------------------------------
ok "add 云南 regional admin" adduser yn regional_admin 530000
ok "add 保山 regional admin" adduser bs regional_admin 530500
ok "add 北京 regional admin" adduser bj regional_admin 110000
ok "add 云南 staff without registry.read" adduser clerk staff 530000
for u in yn bs bj clerk; do login $u; done
is "$R_status" 200 "staff log in"

# the registry's staff routes; each is checked for region isolation below
# (the living-will read in registry_wills.sh)
staff_routes=$("$OAKSEED" routes -c "$oak_conf" | awk '$3 == "registry" && $4 != "public" { print $1 " " $2 }' | LC_ALL=C sort | tr '\n' ';')
is "$staff_routes" "GET /api/registry/staff/donors;GET /api/registry/staff/donors.csv;GET /api/registry/staff/donors/:number;GET /api/registry/staff/followups;GET /api/registry/staff/wills/:number;POST /api/registry/staff/donors/search;POST /api/registry/staff/followups/:id/done;" \
    "every registry staff route is covered by the isolation tests"

as yn GET /api/registry/staff/donors
is "$R_status" 200 "云南 admin: search"
like "$(body)" "\"number\":\"$NUM1\"" "lists the 保山 registration"
like "$(body)" "\"number\":\"$NUM2\"" "lists the 曲靖 registration"
unlike "$(body)" "\"number\":\"$NUM3\"" "never the 北京 registration"
unlike "$(body)" "$ID1|$ID2|$MOB1" "no number in clear"
like "$(body)" '"id_number":"530302\*\*\*\*\*\*\*\*' "ID numbers masked"
as bs GET /api/registry/staff/donors
like "$(body)" "\"number\":\"$NUM1\"" "保山 admin sees 保山's"
unlike "$(body)" "\"number\":\"$NUM2\"" "but not the sibling prefecture 曲靖's"
as bj GET /api/registry/staff/donors
like "$(body)" "\"number\":\"$NUM3\"" "北京 admin sees 北京's"
unlike "$(body)" "\"number\":\"$NUM1\"|\"number\":\"$NUM2\"" "and nothing of 云南"
as yn POST /api/registry/staff/donors/search -H 'Content-Type: application/json' --data "{\"id_number\":\"$ID2\"}"
like "$(body)" "^\\{\"items\":\\[\\{\"number\":\"$NUM2\"" "search by ID number (blind index, POST body)"
as yn GET "/api/registry/staff/donors?id_number=$ID2"
is "$R_status" 400 "an ID number in the URL is refused (it would reach access logs)"
like "$(body)" 'POST /api/registry/staff/donors/search' "and the message says how to search"
as yn POST /api/registry/staff/donors/search -H 'Content-Type: application/json' --data "{\"id_number\":\"$ID3\"}"
like "$(body)" '"items":\[\]' "an ID number of 北京 finds nothing for 云南"
as yn GET "/api/registry/staff/donors?status=withdrawn"
like "$(body)" "\"number\":\"$NUM1\"" "filter by status"
unlike "$(body)" "\"number\":\"$NUM2\"" "only withdrawn ones"
as yn GET "/api/registry/staff/donors?region=530300"
like "$(body)" "\"number\":\"$NUM2\"" "filter by region"
unlike "$(body)" "\"number\":\"$NUM4\"" "only that region"
as yn POST /api/registry/staff/donors/search -H 'Content-Type: application/json' --data '{"id_number":"123"}'
is "$R_status" 400 "a bad filter: 400"
like "$(body)" '"id_number":"身份证号码' "naming the filter"
as clerk GET /api/registry/staff/donors
is "$R_status" 403 "a role without registry.read: 403"

as yn GET "/api/registry/staff/donors/$NUM3"
is "$R_status" 404 "云南 admin: a 北京 registration is 404"
as bs GET "/api/registry/staff/donors/$NUM2"
is "$R_status" 404 "保山 admin: a 曲靖 registration is 404"
as bs GET "/api/registry/staff/donors/$NUM4"
is "$R_status" 200 "保山 admin: the detail of 隆阳区's"
is "$(jget name)" "张丽华" "name"
like "$(jget id_number)" '^530502\*{8}222.$' "masked ID"
like "$(body)" '"guardian":\{"name":"张建国","relation":"父亲","mobile":"136\*\*\*\*1111"\}' "guardian, masked"
like "$(body)" '"followups":\[\{"id":[0-9]+,"type":"review"' "with its follow-ups"
unlike "$(body)" "$ID4|13600001111" "no number in clear"
as clerk GET "/api/registry/staff/donors/$NUM4"
is "$R_status" 403 "a role without registry.read: 403 on the detail"

as yn GET /api/registry/staff/donors.csv
is "$R_status" 200 "CSV export"
is "$(hdr Content-Type)" "text/csv; charset=utf-8" "text/csv; charset=utf-8"
like "$(head -n 1 "$R_body")" '登记号,状态,姓名,身份证号码' "a header row"
is "$(wc -l < "$R_body" | tr -d ' ')" 4 "header and the three 云南 registrations"
like "$(body)" "\"$NUM2\",\"有效\",\"王芳\",\"530302\\*{8}456.\"" "masked rows"
unlike "$(body)" "$NUM3|$ID1|$ID2|$MOB1|13911112222" "nothing of 北京, no number in clear"
as bs GET "/api/registry/staff/donors.csv"
unlike "$(body)" "$NUM2" "保山's export leaves out 曲靖"

# ---- follow-ups from the regional rules ----------------------------------------------------------------
as bs GET /api/registry/staff/followups
is "$R_status" 200 "保山 admin: the follow-up queue"
like "$(body)" "\"number\":\"$NUM4\",\"region\":\"530500\",\"region_name\":\"保山市\",\"type\":\"notify\",\"to\":\"coordinator\"" \
    "after_submit notified 保山市's coordinator of the new registration"
unlike "$(body)" "\"number\":\"$NUM2\"" "not 曲靖's"
as yn GET /api/registry/staff/followups
like "$(body)" "\"number\":\"$NUM2\",\"region\":\"530300\"" "云南 admin sees 曲靖's"
unlike "$(body)" "\"number\":\"$NUM3\"" "never 北京's"
fid=$(sql "$oak_db" "SELECT id FROM registry_followups WHERE number = '$NUM2' LIMIT 1")
as bs POST "/api/registry/staff/followups/$fid/done"
is "$R_status" 404 "保山 admin cannot close 曲靖's follow-up"
as yn POST "/api/registry/staff/followups/$fid/done"
is "$R_status" 200 "云南 admin closes it"
is "$(sql "$oak_db" "SELECT state || ' ' || done_by FROM registry_followups WHERE id = $fid")" "done yn" "done, by yn"
as yn GET "/api/registry/staff/followups?state=done"
like "$(body)" "\"id\":$fid," "listed as done"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_followups WHERE number = '$NUM3' AND region = 110000 AND type = 'notify'")" 1 \
    "北京's registration notified 北京市"

# ---- audit -----------------------------------------------------------------------------------------
audits() {
    sql "$oak_db" "SELECT count(*) FROM core_audit WHERE action = '$1'"
}
is "$(audits registry.donor.create)" 5 "each registration audited"
ok "lookups audited" test "$(audits registry.donor.read)" -ge 2
is "$(audits registry.donor.amend)" 2 "each amendment audited"
is "$(audits registry.donor.withdraw)" 1 "the withdrawal audited"
is "$(sql "$oak_db" "SELECT actor || ' ' || object_id || ' ' || region FROM core_audit WHERE action = 'registry.donor.view'")" \
    "bs $NUM4 530502" "the staff detail audited with actor, number and region"
is "$(audits registry.donor.search)" 7 "each search audited"
is "$(audits registry.donor.export)" 2 "exports audited"
is "$(audits registry.followup.done)" 1 "closing a follow-up audited"
run "$OAKSEED" audit verify -c "$oak_conf"
is "$rc" 0 "the audit chain verifies"

# ---- statistics ----------------------------------------------------------------------------------------
http GET "/api/registry/stats?region=530000"
is "$R_status" 200 "statistics of 云南省"
month=$(date -u +%Y-%m)
like "$(body)" "^\\{\"region\":\"530000\",\"region_name\":\"云南省\",\"months\":\\[\\{\"month\":\"$month\",\"registrations\":\"<5\",\"withdrawals\":\"<5\",\"wills\":0\\}\\]" \
    "this month: registrations and withdrawals below 5 shown as <5"
like "$(body)" '"children":\[\{"region":"530300","region_name":"曲靖市","months"' "per prefecture: 曲靖市"
like "$(body)" '\{"region":"530500","region_name":"保山市"' "and 保山市"
unlike "$(body)" '110105|"registrations":[1-4][,}]' "no 北京, no small count in clear"
http GET "/api/registry/stats?region=539999"
is "$R_status" 400 "an unknown region: 400"
http GET "/api/registry/stats?region=110000"
like "$(body)" '"children":\[\{"region":"110105","region_name":"朝阳区"' "北京市 by district"

oak_nginx_stop
oak_stop
done_testing
