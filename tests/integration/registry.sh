#!/bin/sh
# registry.sh - organ-donor registration end to end through nginx, oakseed
# and SQLite: a registration with its access code and signed card, a clear
# 422 naming each bad field (and nothing stored), duplicates, minors and
# guardians, lookup / amend (a revision kept; a replaced card verifies as
# superseded) / withdraw (the card then verifies as withdrawn), registering
# again after a withdrawal, wrong codes and the lockout, no ID or mobile
# number in clear in the database or the log, the staff search (by ID
# number only in a POST body), detail and CSV (names masked) kept to each
# account's regions, audit rows naming each registration read, the
# follow-ups the regional rules queue, public statistics with small counts
# hidden, and no ID number in nginx's access log.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

oak_require nginx curl cgi-fcgi sqlite3

PW='Correct-Horse-9'
scripts=$oak_tmp/scripts
cp -R "$top_srcdir/scripts" "$scripts"
chmod -R u+w "$scripts"
# 龙陵县 (530523, used nowhere else here): a rule that refuses every registration with a field
# error saying what its record held, to show the rules get derived values, never name, ID, mobile
mkdir -p "$scripts/530523"
cat > "$scripts/530523/registry.validate.lua" <<'LUA'
return function(record)
  local keys = {}
  for k in pairs(record) do keys[#keys + 1] = k end
  table.sort(keys)
  if record.id_number ~= nil or record.name ~= nil or record.mobile ~= nil then
    return { errors = { region = "规则看到了个人信息 (raw personal data): " .. table.concat(keys, ",") } }
  end
  return { errors = { region = "规则看到 (seen): " .. table.concat(keys, ",") .. " age=" ..
                      tostring(record.age) .. " gender=" .. tostring(record.gender) } }
end
LUA
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
IDPROBE=$(mkid 530302 19850101 999)  # never registered: sent in a URL once, to see it refused
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

# ---- statistics of an empty registry -------------------------------------------------------
http GET /api/registry/stats
is "$R_status" 200 "statistics before any registration: 200"
like "$(body)" '^\{"region":null,"region_name":"全国","months":\[\],"children":\[\]\}$' "with no month and no region"

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

# ---- what a regional rule sees ------------------------------------------------------------
reset_parts
rows=$(count)
p_id="\"id_number\":\"$(mkid 530523 19900512 246)\""; p_reg='"region":"530523"'
register
is "$R_status" 422 "龙陵县: the probing rule refuses with a field error"
like "$(body)" "\"region\":\"规则看到 \\(seen\\): age,all_organs,amending,body,ethnicity,gender,has_guardian,organs,region age=$age1 gender=female\"" \
    "the rule's record has age and gender, and no name, ID number or mobile"
unlike "$(body)" 'raw personal data' "no raw id_number, name or mobile reached the script"
is "$(count)" "$rows" "nothing stored"
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
is "$(jget superseded)" true "and verifies as superseded by a newer card, not as someone else's"
is "$(body | sed 's/"[a-z_]*":/\n&/g' | grep -c '^"')" 2 "and says nothing else: valid, superseded"
http GET "/api/registry/cards/D530502-22222222?sig=$SIG1"
nok "a card of another number is not called superseded" jget superseded
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
like "$(body)" '如需捐献，请重新登记' "and the 409 says to register again"

# ---- registering again after a withdrawal -----------------------------------------------------
rows=$(count)
reset_parts
p_mob='"mobile":"13755556666"'
register
is "$R_status" 201 "a person whose registration is withdrawn registers again: 201"
NUM1B=$(jget number)
CODE1B=$(jget access_code)
SIG1C=$(jget signature)
isnt "$NUM1B" "$NUM1" "a new registration, with a number of its own"
isnt "$CODE1B" "$CODE1" "and a new access code"
is "$(count)" $((rows + 1)) "the withdrawn registration is kept beside it"
post /api/registry/donors/lookup "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1B\"}"
is "$R_status $(jget number) $(jget status)" "200 $NUM1B active" "the new code opens the new registration"
like "$(body)" '"revisions":\[\{"revision":1,"at":"[^"]*","what":"registered","fields":""\}\]' "which starts at revision 1"
unlike "$(body)" "$NUM1|个人原因" "and shows nothing of the earlier one"
post /api/registry/donors/lookup "{\"id_number\":\"$ID1\",\"access_code\":\"$CODE1\"}"
is "$R_status" 404 "the old access code opens nothing any more"
http GET "/api/registry/cards/$NUM1?sig=$SIG1B"
is "$(jget valid) $(jget status)" "true withdrawn" "the old card still verifies as withdrawn"
http GET "/api/registry/cards/$NUM1B?sig=$SIG1C"
is "$(jget valid) $(jget status)" "true active" "the new card verifies as active"
is "$(sql "$oak_db" "SELECT status || ' ' || superseded_by || ' ' || id_index FROM registry_donors WHERE number = '$NUM1'")" \
    "withdrawn $NUM1B superseded:$NUM1" "the old one stays withdrawn, points to the new one and gave up its blind index"
is "$(sql "$oak_db" "SELECT group_concat(what, ',') FROM (SELECT what FROM registry_donor_revisions r JOIN registry_donors d ON d.id = r.donor_id WHERE d.number = '$NUM1' ORDER BY revision)")" \
    "registered,amended,amended,withdrawn" "with its history intact"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_donors WHERE person_index = (SELECT id_index FROM registry_donors WHERE number = '$NUM1B')")" 2 \
    "both are the same person's (person_index)"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_donors WHERE id_index = (SELECT id_index FROM registry_donors WHERE number = '$NUM1B')")" 1 \
    "and one of them is current (id_index stays unique)"
is "$(sql "$oak_db" "SELECT object_id || ' ' || region || ' ' || detail FROM core_audit WHERE action = 'registry.donor.supersede'")" \
    "$NUM1 530521 by=$NUM1B" "the hand-over audited, by registration numbers"
register
is "$R_status $(ecode)" "409 already_registered" "registering a third time while the new one is active: 409"
reset_parts

# ---- nothing personal in clear on disk or in the log ---------------------------------------------
sql "$oak_db" "PRAGMA wal_checkpoint(TRUNCATE)" > /dev/null
for v in "$ID1" "$ID2" "$ID3" "$ID4" "$MOB1" 13711112222 13755556666 13600001111 "张丽华" "张建国"; do
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
is "$staff_routes" "GET /api/registry/staff/donors;GET /api/registry/staff/donors.csv;GET /api/registry/staff/donors/:number;GET /api/registry/staff/followups;POST /api/registry/staff/donors.csv;POST /api/registry/staff/donors/search;POST /api/registry/staff/followups/:id/done;POST /api/registry/staff/wills/:number/read;" \
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
listed=$(body | grep -o '"number":"D[^"]*"' | sed 's/^"number":"//; s/"$//' | LC_ALL=C sort | tr '\n' ' ')
rid=$(hdr X-Request-Id)
is "$(sql "$oak_db" "SELECT object_id FROM core_audit WHERE action = 'registry.donor.search' AND request_id = '$rid' ORDER BY object_id" | tr '\n' ' ')" \
    "$listed" "the search audited with one row per registration listed ($listed)"
is "$(sql "$oak_db" "SELECT count(*) FROM core_audit a JOIN registry_donors d ON d.number = a.object_id WHERE a.request_id = '$rid' AND a.region = d.region AND a.detail = 'page=1 rows=3'")" 3 \
    "each in its registration's region, with page and row count"
as bj GET /api/registry/staff/donors
like "$(body)" "\"number\":\"$NUM3\"" "北京 admin sees 北京's"
unlike "$(body)" "\"number\":\"$NUM1\"|\"number\":\"$NUM2\"" "and nothing of 云南"
as yn POST /api/registry/staff/donors/search -H 'Content-Type: application/json' --data "{\"id_number\":\"$ID2\"}"
like "$(body)" "^\\{\"items\":\\[\\{\"number\":\"$NUM2\"" "search by ID number (blind index, POST body)"
as yn GET "/api/registry/staff/donors?id_number=$IDPROBE"
is "$R_status" 400 "an ID number in the URL is refused (it would reach access logs)"
like "$(body)" 'POST /api/registry/staff/donors/search' "and the message says how to search"
as yn POST /api/registry/staff/donors/search -H 'Content-Type: application/json' --data "{\"id_number\":\"$ID1\"}"
like "$(body)" "^\\{\"items\":\\[\\{\"number\":\"$NUM1B\",\"status\":\"active\".*\\{\"number\":\"$NUM1\",\"status\":\"withdrawn\"" \
    "by ID number: the person's current registration and the withdrawn one"
rid=$(hdr X-Request-Id)
is "$(sql "$oak_db" "SELECT group_concat(object_id || ' ' || region || ' ' || detail, ';') FROM (SELECT * FROM core_audit WHERE action = 'registry.donor.search' AND request_id = '$rid' ORDER BY id)")" \
    "$NUM1B 530502 page=1 rows=2 by=id_number;$NUM1 530521 page=1 rows=2 by=id_number" \
    "audited with one row per registration listed, naming it and its region (the ID number nowhere)"
as yn POST /api/registry/staff/donors/search -H 'Content-Type: application/json' --data "{\"id_number\":\"$ID3\"}"
like "$(body)" '"items":\[\]' "an ID number of 北京 finds nothing for 云南"
rid=$(hdr X-Request-Id)
is "$(sql "$oak_db" "SELECT group_concat(object_id || ' ' || detail, ';') FROM core_audit WHERE action = 'registry.donor.search' AND request_id = '$rid'")" \
    "- page=1 rows=0 by=id_number" "a search that found nothing: one row saying so"
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
like "$(sql "$oak_db" "EXPLAIN QUERY PLAN SELECT id, type, recipient, reason, state, created_at FROM registry_followups WHERE donor_id = 1 ORDER BY id")" \
    'USING INDEX registry_followups_donor' "a registration's follow-ups are found by index, not by a scan of all"
unlike "$(body)" "$ID4|13600001111" "no number in clear"
as clerk GET "/api/registry/staff/donors/$NUM4"
is "$R_status" 403 "a role without registry.read: 403 on the detail"
as bs GET "/api/registry/staff/donors/$NUM1"
is "$R_status $(jget status)" "200 withdrawn" "保山 admin: the detail of the withdrawn registration"
is "$(jget withdraw_reason)" "个人原因" "shows the withdrawal reason (stored sealed)"
is "$(jget superseded_by)" "$NUM1B" "and the registration that followed it"
like "$(body)" "\"earlier\":\\[\\{\"number\":\"$NUM1B\",\"status\":\"active\"" "listing the person's other registrations"
as bs GET "/api/registry/staff/donors/$NUM4"
is "$(jget withdraw_reason) $(jget superseded_by)" "null null" "an active registration: no reason, not superseded"

as yn GET /api/registry/staff/donors.csv
is "$R_status" 200 "CSV export"
is "$(hdr Content-Type)" "text/csv; charset=utf-8" "text/csv; charset=utf-8"
like "$(head -n 1 "$R_body")" '登记号,状态,姓名,身份证号码' "a header row"
is "$(wc -l < "$R_body" | tr -d ' ')" 5 "header and the four 云南 registrations"
like "$(body)" "\"$NUM2\",\"有效\",\"王\\*\",\"530302\\*{8}456.\"" "masked rows: name (王*), ID number"
like "$(body)" "\"$NUM4\",\"有效\",\"张\\*华\"" "a name of three characters keeps its first and last (张*华)"
unlike "$(body)" "$NUM3|$ID1|$ID2|$MOB1|13911112222|王芳|张丽华" "nothing of 北京, no number and no name in clear"
rid=$(hdr X-Request-Id)
is "$(sql "$oak_db" "SELECT count(DISTINCT object_id) || ' ' || count(*) FROM core_audit WHERE action = 'registry.donor.export' AND request_id = '$rid' AND detail = 'rows=4' AND object_id IN ('$NUM1', '$NUM1B', '$NUM2', '$NUM4')")" \
    "4 4" "the export audited with one row per registration exported"
as bs GET "/api/registry/staff/donors.csv"
unlike "$(body)" "$NUM2" "保山's export leaves out 曲靖"
as yn POST /api/registry/staff/donors.csv -H 'Content-Type: application/json' --data "{\"id_number\":\"$ID1\"}"
is "$R_status $(hdr Content-Type)" "200 text/csv; charset=utf-8" "CSV export by ID number: POST with the filters in the body"
is "$(wc -l < "$R_body" | tr -d ' ')" 3 "header and the person's two registrations"
like "$(body)" "\"$NUM1B\",\"有效\",\"张\\*华\"" "masked like the rest"
unlike "$(body)" "$ID1|张丽华" "no ID number, no name in clear"
rid=$(hdr X-Request-Id)
is "$(sql "$oak_db" "SELECT group_concat(object_id, ' ') FROM (SELECT object_id FROM core_audit WHERE action = 'registry.donor.export' AND request_id = '$rid' AND detail = 'rows=2 by=id_number' ORDER BY id)")" \
    "$NUM1B $NUM1" "audited per registration, the ID number nowhere"
as yn GET "/api/registry/staff/donors.csv?id_number=$IDPROBE"
is "$R_status" 400 "an ID number in the export's URL is refused too"
as yn POST /api/registry/staff/donors.csv -H 'Content-Type: application/json' --data '{"id_number":"123"}'
is "$R_status $(ecode)" "400 validation_failed" "a bad filter of the POST export: 400"
as bj POST /api/registry/staff/donors.csv -H 'Content-Type: application/json' --data "{\"id_number\":\"$ID1\"}"
is "$(wc -l < "$R_body" | tr -d ' ')" 1 "北京 admin: a 云南 person's ID number exports nothing but the header"
as bj POST /api/registry/staff/donors.csv -H 'Content-Type: application/json' --data '{}'
unlike "$(body)" "$NUM1|$NUM2|$NUM4" "and no 云南 registration at all"
http POST /api/registry/staff/donors.csv -b "$oak_tmp/yn.jar" -H 'Content-Type: application/json' --data "{\"id_number\":\"$ID1\"}"
is "$R_status $(ecode)" "403 csrf_failed" "the POST export needs the CSRF token"

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
as yn POST "/api/registry/staff/followups/$fid/done"
is "$R_status $(ecode)" "409 already_done" "closing it again: 409 already_done"
like "$(body)" '"message":"该待办已完成' "with a Chinese message in the envelope"
as yn GET "/api/registry/staff/followups?state=done"
like "$(body)" "\"id\":$fid," "listed as done"
is "$(sql "$oak_db" "SELECT count(*) FROM registry_followups WHERE number = '$NUM3' AND region = 110000 AND type = 'notify'")" 1 \
    "北京's registration notified 北京市"

# ---- audit -----------------------------------------------------------------------------------------
audits() {
    sql "$oak_db" "SELECT count(*) FROM core_audit WHERE action = '$1'"
}
is "$(audits registry.donor.create)" 6 "each registration audited"
ok "lookups audited" test "$(audits registry.donor.read)" -ge 2
is "$(audits registry.donor.amend)" 2 "each amendment audited"
is "$(audits registry.donor.withdraw)" 1 "the withdrawal audited"
is "$(sql "$oak_db" "SELECT group_concat(actor || ' ' || object_id || ' ' || region, ';') FROM (SELECT * FROM core_audit WHERE action = 'registry.donor.view' ORDER BY id)")" \
    "bs $NUM4 530502;bs $NUM1 530521;bs $NUM4 530502" "the staff detail audited with actor, number and region"
is "$(sql "$oak_db" "SELECT count(*) FROM core_audit WHERE action IN ('registry.donor.search', 'registry.donor.export') AND object_id = '-' AND detail NOT LIKE '%rows=0%'")" 0 \
    "no search or export audited without naming what it read"
is "$(audits registry.followup.done)" 1 "closing a follow-up audited, once"
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
http GET "/api/registry/stats?region=440000"
is "$R_status" 200 "a province without registrations (广东省): 200"
like "$(body)" '^\{"region":"440000","region_name":"广东省","months":\[\],"children":\[\]\}$' "with no month and no region below it"

# ---- no ID number reached nginx's access log ------------------------------------------------------
oak_nginx_stop
oak_stop
ok "nginx wrote an access log" test -s "$oak_tmp/log/nginx-access.log"
like "$(cat "$oak_tmp/log/nginx-access.log")" "POST /api/registry/staff/donors/search " "with the searches by ID number in it"
for v in "$ID1" "$ID2" "$ID3" "$ID4" "$ID5"; do
    nok "$v (searched for, registered) is not in nginx's access log" grep -q -- "$v" "$oak_tmp/log/nginx-access.log"
done
# in the request lines only (a request id, 32 hex digits, may hold a run of digits)
is "$(sed 's/^[^"]*"\([^"]*\)".*/\1/' "$oak_tmp/log/nginx-access.log" | grep -oE '[0-9]{17}[0-9Xx]' | sort -u | tr '\n' ' ')" "$IDPROBE " \
    "the only ID number there is the probe sent in a URL on purpose (and refused)"

# =====================================================================================================
# ---- bad input through nginx, staff date filters and paging, statistics that cannot be subtracted ----
# A section of its own (its names start with rt_): its own registrations, in regions the rest of this
# file leaves alone (普洱市 530800, 楚雄州 532300, 昆明市 530100), and its own staff accounts. Each bad
# request must answer its 4xx naming the field and change nothing in the database: no row of any
# registry table, no audit row. It starts oakseed and nginx when they are not running, and leaves
# them as it found them.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/registry_lib.sh"
rt_begin

# rt_refused STATUS FIELD DESCRIPTION: the last answer is STATUS with the error naming FIELD, and
# the database is as $rt_before says
rt_refused() {
    rt_f=$(printf '%s' "$2" | sed 's/\./\\./g')
    if [ "$R_status" = "$1" ] && body | grep -q "\"fields\":{[^}]*\"$rt_f\":\"" && [ "$(rt_snap)" = "$rt_before" ]; then
        pass "$3: $1 naming $2, nothing changed"
    else
        fail "$3: $1 naming $2, nothing changed"
        diag "status $R_status: $(body | head -c 600)"
        [ "$(rt_snap)" = "$rt_before" ] || diag "the database changed"
    fi
}
# rt_donor ID REGION: a registration (oak_donor_json) in REGION; its number and code in
# $rt_num, $rt_code
rt_donor() {
    post /api/registry/donors "$(oak_donor_json "$1" | sed "s/\"region\":\"530502\"/\"region\":\"$2\"/")"
    rt_num=$(jget number 2> /dev/null)
    rt_code=$(jget access_code 2> /dev/null)
    [ "$R_status" = 201 ]
}
# rt_numbers: the registration numbers of the last staff list, one a line
rt_numbers() {
    body | grep -o '"number":"D[^"]*"' | sed 's/^"number":"//; s/"$//'
}

ok "add 云南 regional admin (bad-input section)" adduser rt_yn regional_admin 530000
ok "add 普洱 regional admin (bad-input section)" adduser rt_pe regional_admin 530800
login rt_yn
is "$R_status" 200 "the 云南 admin logs in"
login rt_pe
is "$R_status" 200 "the 普洱 admin logs in"
RT_ID=$(mkid 530502 19840506 101)
ok "a registration to withdraw and amend" rt_donor "$RT_ID" 530502
RT_NUM=$rt_num
RT_CODE=$rt_code
rt_cred="\"id_number\":\"$RT_ID\",\"access_code\":\"$RT_CODE\""

# ---- withdraw: a bad reason ----------------------------------------------------------------------
rt_before=$(rt_snap)
post /api/registry/donors/withdraw "{$rt_cred,\"reason\":\"$(awk 'BEGIN { for (i = 0; i < 201; i++) printf "原" }')\"}"
rt_refused 422 reason "withdraw with a reason of 201 characters"
like "$(body)" '"reason":"撤回原因应为1到200个字' "the message gives the limit, in Chinese"
post /api/registry/donors/withdraw "{$rt_cred,\"reason\":\"$(printf '%201s' '' | tr ' ' x)\"}"
rt_refused 422 reason "withdraw with a reason of 201 ASCII characters"
post /api/registry/donors/withdraw "{$rt_cred,\"reason\":\"个人\\u0007原因\"}"
rt_refused 422 reason "withdraw with a control character in the reason"
like "$(body)" '"reason":"撤回原因含有无效字符' "said to hold invalid characters"
post /api/registry/donors/withdraw "{$rt_cred,\"reason\":\"个人原因\\n第二行\"}"
rt_refused 422 reason "withdraw with a line break in the reason"
post /api/registry/donors/withdraw "{$rt_cred,\"reason\":\"个人原因\\u007f\"}"
rt_refused 422 reason "withdraw with DEL in the reason"
post /api/registry/donors/withdraw "{$rt_cred,\"reason\":42}"
rt_refused 422 reason "withdraw with a reason that is not text"
is "$(sql "$oak_db" "SELECT status FROM registry_donors WHERE number = '$RT_NUM'")" active "the registration is still active"
RT_ID2=$(mkid 530502 19840506 102)
ok "a second registration to withdraw" rt_donor "$RT_ID2" 530502
post /api/registry/donors/withdraw "{\"id_number\":\"$RT_ID2\",\"access_code\":\"$rt_code\",\"reason\":\"$(awk 'BEGIN { for (i = 0; i < 200; i++) printf "原" }')\"}"
is "$R_status $(jget status)" "200 withdrawn" "a reason of 200 Chinese characters (600 bytes) is within the limit: characters are counted"

# ---- amend: a bad region, donation or emergency contact --------------------------------------------
rt_before=$(rt_snap)
rt_amend() { # CHANGES-JSON
    post /api/registry/donors/amend "{$rt_cred,\"changes\":$1}"
}
rt_amend '{"region":"539999"}'
rt_refused 422 region "amend to an unknown region"
rt_amend '{"region":"530000"}'
rt_refused 422 region "amend to a province alone"
rt_amend '{"region":530502}'
rt_refused 422 region "amend with the region as a number"
rt_amend '{"region":""}'
rt_refused 422 region "amend to an empty region"
rt_amend '{"mobile":"13711112222","region":"539999"}'
rt_refused 422 region "amend a good mobile with a bad region: nothing of it kept"
rt_amend '{"donation":{"all_organs":false,"organs":[],"body":false}}'
rt_refused 422 donation "amend to no donation at all"
rt_amend '{"donation":"all"}'
rt_refused 422 donation "amend with the donation not an object"
rt_amend '{"donation":{"organs":["heart","spleen"]}}'
rt_refused 422 donation.organs "amend with an unknown organ"
rt_amend '{"donation":{"all_organs":true,"organs":["heart"]}}'
rt_refused 422 donation.organs "amend with organs listed beside all_organs"
rt_amend '{"donation":{"all_organs":"yes"}}'
rt_refused 422 donation.all_organs "amend with all_organs not a boolean"
rt_amend '{"donation":{"organs":["heart"],"body":"no"}}'
rt_refused 422 donation.body "amend with body not a boolean"
rt_amend '{"emergency_contact":"张建国"}'
rt_refused 422 emergency_contact "amend with the emergency contact not an object"
rt_amend '{"emergency_contact":null}'
rt_refused 422 emergency_contact "amend the emergency contact away"
rt_amend '{"emergency_contact":{"relation":"父亲","mobile":"13600001111"}}'
rt_refused 422 emergency_contact.name "amend with an emergency contact without a name"
rt_amend '{"emergency_contact":{"name":"张3","relation":"父亲","mobile":"13600001111"}}'
rt_refused 422 emergency_contact.name "amend with a digit in the emergency contact's name"
rt_amend "{\"emergency_contact\":{\"name\":\"张建国\",\"relation\":\"$(printf '%21s' '' | tr ' ' r)\",\"mobile\":\"13600001111\"}}"
rt_refused 422 emergency_contact.relation "amend with a relation of 21 characters"
rt_amend '{"emergency_contact":{"name":"张建国","relation":"父\u0001亲","mobile":"13600001111"}}'
rt_refused 422 emergency_contact.relation "amend with a control character in the relation"
rt_amend '{"emergency_contact":{"name":"张建国","relation":"父亲","mobile":"1360000"}}'
rt_refused 422 emergency_contact.mobile "amend with a bad emergency contact mobile"
rt_amend '{"emergency_contact":{"name":"张建国","relation":"父亲","mobile":"+1 415 555 0100"}}'
rt_refused 422 emergency_contact.mobile "amend with a foreign emergency contact mobile"
is "$(sql "$oak_db" "SELECT region || ' ' || organs || ' ' || all_organs FROM registry_donors WHERE number = '$RT_NUM'")" "530502  1" \
    "the registration is as it was registered"

# ---- staff search filters ----------------------------------------------------------------------------
rt_before=$(rt_snap)
for rt_path in /api/registry/staff/donors /api/registry/staff/donors.csv; do
    as rt_yn GET "$rt_path?status=deleted"
    rt_refused 400 status "$rt_path: status=deleted"
    as rt_yn GET "$rt_path?status=ACTIVE"
    rt_refused 400 status "$rt_path: status=ACTIVE (the values are lower case)"
    as rt_yn GET "$rt_path?region=539999"
    rt_refused 400 region "$rt_path: an unknown region"
    as rt_yn GET "$rt_path?region=yunnan"
    rt_refused 400 region "$rt_path: a region that is not a code"
    as rt_yn GET "$rt_path?from=2024/01/01"
    rt_refused 400 from "$rt_path: from=2024/01/01"
    as rt_yn GET "$rt_path?from=2024-1-1"
    rt_refused 400 from "$rt_path: from without leading zeros"
    as rt_yn GET "$rt_path?to=yesterday"
    rt_refused 400 to "$rt_path: to=yesterday"
    as rt_yn GET "$rt_path?from=2024-01-01&to=2024-01-01T12:00"
    rt_refused 400 to "$rt_path: to with a time"
    as rt_yn GET "$rt_path?page=-1"
    rt_refused 400 page "$rt_path: page=-1"
    as rt_yn GET "$rt_path?page=0"
    rt_refused 400 page "$rt_path: page=0"
    as rt_yn GET "$rt_path?page=two"
    rt_refused 400 page "$rt_path: page=two"
    as rt_yn GET "$rt_path?page=1.5"
    rt_refused 400 page "$rt_path: page=1.5"
    as rt_yn GET "$rt_path?page=100001"
    rt_refused 400 page "$rt_path: page=100001 (beyond the last page there can be)"
    as rt_yn GET "$rt_path?page=99999999999999999999999"
    rt_refused 400 page "$rt_path: a page number beyond 64 bits"
done
as rt_yn POST /api/registry/staff/donors/search -H 'Content-Type: application/json' --data '{"status":"gone"}'
rt_refused 400 status "search body: status=gone"
as rt_yn POST /api/registry/staff/donors/search -H 'Content-Type: application/json' --data '{"from":"01/02/2024"}'
rt_refused 400 from "search body: from=01/02/2024"
as rt_yn POST /api/registry/staff/donors/search -H 'Content-Type: application/json' --data '{"page":"-3"}'
rt_refused 400 page "search body: page=-3"
as rt_yn GET "/api/registry/staff/donors?from=2024-02-01&to=2024-01-01"
rt_refused 400 from "from after to"
as rt_yn GET "/api/registry/staff/donors?from=2024-02-30"
rt_refused 400 from "from=2024-02-30 (no such day)"
as rt_yn POST /api/registry/staff/donors/search -H 'Content-Type: application/json' --data '{"to":"2023-02-29"}'
rt_refused 400 to "search body: to=2023-02-29 (no such day)"
as rt_yn GET "/api/registry/staff/donors?from=2024-01-01&to=2024-01-01"
ok "from = to is one day, not an error" test "$R_status" = 200
rt_before=$(rt_snap)

# ---- follow-ups: a bad state or page ---------------------------------------------------------------------
as rt_yn GET "/api/registry/staff/followups?state=closed"
rt_refused 400 state "follow-ups with state=closed"
as rt_yn GET "/api/registry/staff/followups?state=OPEN"
rt_refused 400 state "follow-ups with state=OPEN"
as rt_yn GET "/api/registry/staff/followups?state=open%00"
rt_refused 400 state "follow-ups with a NUL after the state"
as rt_yn GET "/api/registry/staff/followups?state=done&page=0"
rt_refused 400 page "follow-ups with page=0"
as rt_yn GET "/api/registry/staff/followups?page=x"
rt_refused 400 page "follow-ups with page=x"

# ---- statistics: no region, or a bad one -------------------------------------------------------------------
http GET /api/registry/stats
is "$R_status" 200 "statistics without a region: 200"
like "$(body)" '^\{"region":null,"region_name":"全国","months":\[' "the whole country"
is "$(body | grep -o '"children":\[.*' | grep -o '"region":"[0-9]*"' | grep -vc '"[0-9][0-9]0000"$')" 0 \
    "by province only"
rt_all=$(body)
http GET "/api/registry/stats?region="
is "$(body)" "$rt_all" "an empty region: the same"
for rt_r in 539999 000000 yunnan 53 5305021 '530000%20' '%E4%BA%91%E5%8D%97'; do
    http GET "/api/registry/stats?region=$rt_r"
    rt_refused 400 region "statistics with region=$rt_r"
done
is "$(rt_snap)" "$rt_before" "statistics wrote nothing"

# ---- staff: paging and the date filters give the right rows -----------------------------------------------------
# 55 registrations in 普洱市 (a prefecture code: there is no county of it in the region table)
rt_i=100
rt_fail=0
while [ "$rt_i" -lt 155 ]; do
    rt_i=$((rt_i + 1))
    rt_donor "$(mkid 530502 19810203 "$rt_i")" 530800 || rt_fail=$((rt_fail + 1))
done
is "$rt_fail" 0 "55 registrations in 普洱市"
rt_all=$(sql "$oak_db" "SELECT number FROM registry_donors WHERE region = 530800 ORDER BY id DESC")
is "$(printf '%s\n' "$rt_all" | wc -l | tr -d ' ')" 55 "stored"
as rt_pe GET /api/registry/staff/donors
is "$R_status $(jget page) $(jget more)" "200 1 true" "page 1 of 普洱's: more to come"
rt_p1=$(rt_numbers)
is "$(printf '%s\n' "$rt_p1" | wc -l | tr -d ' ')" 50 "50 rows on a page"
is "$rt_p1" "$(printf '%s\n' "$rt_all" | head -n 50)" "the 50 newest, newest first"
as rt_pe GET "/api/registry/staff/donors?page=2"
is "$R_status $(jget page) $(jget more)" "200 2 false" "page 2: the last"
rt_p2=$(rt_numbers)
is "$rt_p2" "$(printf '%s\n' "$rt_all" | tail -n 5)" "the 5 oldest, in order"
is "$(printf '%s\n%s\n' "$rt_p1" "$rt_p2" | sort -u | wc -l | tr -d ' ')" 55 "pages 1 and 2 share no row and miss none"
as rt_pe GET "/api/registry/staff/donors?page=3"
is "$R_status $(jget more)" "200 false" "page 3 is empty"
like "$(body)" '"items":\[\]' "with no rows"
as rt_pe POST /api/registry/staff/donors/search -H 'Content-Type: application/json' --data '{"page":"2"}'
is "$(rt_numbers)" "$rt_p2" "page 2 through the POST search: the same rows"
as rt_yn GET "/api/registry/staff/donors?region=530800&page=2"
is "$(rt_numbers)" "$rt_p2" "and for the 云南 admin filtering by 普洱市"

# four of them registered on the edges of January 2023
rt_a=$(printf '%s\n' "$rt_all" | sed -n 11p)
rt_b=$(printf '%s\n' "$rt_all" | sed -n 12p)
rt_c=$(printf '%s\n' "$rt_all" | sed -n 13p)
rt_d=$(printf '%s\n' "$rt_all" | sed -n 14p)
sql "$oak_db" "UPDATE registry_donors SET registered_at = CASE number WHEN '$rt_a' THEN '2023-01-09T23:59:59Z'
    WHEN '$rt_b' THEN '2023-01-10T00:00:00Z' WHEN '$rt_c' THEN '2023-01-31T23:59:59Z'
    WHEN '$rt_d' THEN '2023-02-01T00:00:00Z' END WHERE number IN ('$rt_a', '$rt_b', '$rt_c', '$rt_d')" > /dev/null
rt_dates() { # QUERY -> the numbers found, sorted, on one line
    as rt_pe GET "/api/registry/staff/donors?$1"
    rt_numbers | sort | tr '\n' ' '
}
rt_sorted() {
    printf '%s\n' "$@" | sort | tr '\n' ' '
}
is "$(rt_dates 'from=2023-01-10&to=2023-01-31')" "$(rt_sorted "$rt_b" "$rt_c")" \
    "from=2023-01-10&to=2023-01-31: the first second of the 10th and the last of the 31st, inclusive"
is "$(rt_dates 'to=2023-01-31')" "$(rt_sorted "$rt_a" "$rt_b" "$rt_c")" "to=2023-01-31 alone: up to the end of the 31st"
is "$(rt_dates 'to=2023-01-09')" "$(rt_sorted "$rt_a")" "to=2023-01-09: the 9th only"
is "$(rt_dates 'from=2023-01-31&to=2023-01-31')" "$(rt_sorted "$rt_c")" "from=to=2023-01-31: one day"
is "$(rt_dates 'from=2023-02-01&to=2023-02-01')" "$(rt_sorted "$rt_d")" "from=to=2023-02-01: the next day"
is "$(rt_dates 'from=2023-02-02&to=2023-12-31')" "" "from=2023-02-02&to=2023-12-31: none"
rt_now=$(rt_dates "from=$(date -u +%Y-%m-%d)&page=2")
is "$(printf '%s' "$rt_now" | wc -w | tr -d ' ')" 1 "from today: the other 51 (page 2 holds the 51st)"
is "$(rt_dates 'from=2023-01-10&status=active&to=2023-02-01')" "$(rt_sorted "$rt_b" "$rt_c" "$rt_d")" \
    "dates with status"
as rt_pe POST /api/registry/staff/donors/search -H 'Content-Type: application/json' \
    --data '{"from":"2023-01-10","to":"2023-01-31"}'
is "$(rt_numbers | sort | tr '\n' ' ')" "$(rt_sorted "$rt_b" "$rt_c")" "the same dates in a POST search"
as rt_pe GET "/api/registry/staff/donors.csv?from=2023-01-10&to=2023-01-31"
is "$R_status $(($(wc -l < "$R_body")))" "200 3" "the CSV export with the dates: a header and two rows"
like "$(body)" "\"$rt_b\"" "one of them $rt_b"
like "$(body)" "\"$rt_c\"" "the other $rt_c"

# ---- statistics: no "<5" worked out by subtraction -------------------------------------------------------------
# 楚雄州 = 楚雄市 6 + 双柏县 2: shown as 8, 6 and "<5", the 2 would be 8 - 6. 昆明市 = 五华区 1 +
# 盘龙区 1 + 官渡区 6: with 8 and 6 shown, two "<5" adding up to 2 can only be 1 and 1.
rt_i=100
rt_fail=0
for rt_r in 532301 532301 532301 532301 532301 532301 532322 532322 530102 530103 530111 530111 530111 530111 530111 530111; do
    rt_i=$((rt_i + 1))
    rt_donor "$(mkid 530502 19820304 "$rt_i")" "$rt_r" || rt_fail=$((rt_fail + 1))
done
is "$rt_fail" 0 "16 registrations in 楚雄州 and 昆明市"
is "$(sql "$oak_db" "SELECT group_concat(region || '=' || n, ' ') FROM (SELECT region, count(*) AS n FROM registry_donors WHERE region IN (532301, 532322, 530102, 530103, 530111) GROUP BY region ORDER BY region)")" \
    "530102=1 530103=1 530111=6 532301=6 532322=2" "the counts the answers must not give away"
# rt_cells: the last statistics answer as lines "ROLE REGION MONTH KIND VALUE" (ROLE: region, the one
# asked for; child, a region inside it)
rt_cells() {
    body | sed 's/{"region":/\n&/g' | awk '
        /^\{"region":/ {
            role = n++ ? "child" : "region"
            r = $0
            sub(/^\{"region":"?/, "", r)
            sub(/[",].*/, "", r)
            if (r == "null") r = "000000"
            s = $0
            while (match(s, /\{"month":"[0-9-]+","registrations":[^,]+,"withdrawals":[^,]+,"wills":[^}]+\}/)) {
                m = substr(s, RSTART + 1, RLENGTH - 2)
                s = substr(s, RSTART + RLENGTH)
                gsub(/"/, "", m)
                split(m, f, ",")
                for (i = 1; i <= 4; i++) sub(/^[a-z]+:/, "", f[i])
                print role, r, f[1], "registrations", f[2]
                print role, r, f[1], "withdrawals", f[3]
                print role, r, f[1], "wills", f[4]
            }
        }'
}
# rt_exposed: from rt_cells lines, each month and kind of the answer whose hidden counts a reader can
# work out: one hidden count alone (the region minus the others, or the others added up), or only
# "<5" beside a region shown, with a difference that only 1 + 1 + ... or 4 + 4 + ... can make
rt_exposed() {
    awk '
        { key = $3 " " $4; keys[key] = 1
          if ($5 ~ /^[0-9]+$/) { if ($1 == "region") total[key] = $5; else shown[key] += $5 }
          else { hidden[key]++; if ($5 != "<5" || $1 == "region") other[key] = 1 } }
        END {
            for (key in keys) {
                h = hidden[key] + 0
                if (h == 0) continue
                d = total[key] - shown[key]
                if (h == 1 || (!other[key] && (key in total) && (d == h || d == 4 * h)))
                    print key ": " h " hidden, difference " d
            }
        }'
}
rt_views=
for rt_r in "" 530000 532300 530100 110000 530500; do
    http GET "/api/registry/stats${rt_r:+?region=$rt_r}"
    rt_name=${rt_r:-000000}
    rt_cells > "$oak_tmp/resp/stats-$rt_name"
    rt_views="$rt_views $oak_tmp/resp/stats-$rt_name"
    # a view is checked where its region has no records of its own code (then its count is its
    # children's added up, as a reader would assume)
    if [ "$(sql "$oak_db" "SELECT count(*) FROM registry_donors WHERE region = ${rt_r:-0}")" = 0 ]; then
        is "$(rt_exposed < "$oak_tmp/resp/stats-$rt_name")" "" \
            "statistics of ${rt_r:-the whole country}: no hidden count can be worked out from the numbers shown"
    fi
done
rt_m=$(date -u +%Y-%m)
rt_cell() { # VIEW REGION KIND -> the value this month
    awk -v r="$2" -v m="$rt_m" -v k="$3" '$2 == r && $3 == m && $4 == k { print $5 }' "$oak_tmp/resp/stats-$1"
}
is "$(rt_cell 532300 532322 registrations)" "<5" "双柏县's 2 is shown as <5"
isnt "$(rt_cell 532300 532301 registrations)$(rt_cell 532300 532300 registrations)" "68" \
    "and 楚雄市 and 楚雄州 are not both shown (8 - 6 would give it)"
like "$(rt_cell 532300 532301 registrations) $(rt_cell 532300 532300 registrations)" 'suppressed' \
    "one of them is suppressed"
is "$(rt_cell 530100 530102 registrations) $(rt_cell 530100 530103 registrations)" "<5 <5" "五华区 and 盘龙区 are <5"
isnt "$(rt_cell 530100 530111 registrations)$(rt_cell 530100 530100 registrations)" "68" \
    "and 官渡区 and 昆明市 are not both shown (8 - 6 = 2 = 1 + 1)"
is "$(cat $rt_views | awk '{ print $2, $3, $4, $5 }' | sort -u | awk '{ k = $1 " " $2 " " $3 } seen[k]++')" "" \
    "a region's count is shown the same in every answer that has it (a prefecture hidden in its province's is hidden in its own)"
like "$(cat "$oak_tmp/resp/stats-532300")" ' suppressed' "the answers carry \"suppressed\" where a number is hidden"

rt_end
# ---- end of the bad-input section ----------------------------------------------------------------------
# =====================================================================================================
done_testing
