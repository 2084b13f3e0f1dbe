#!/bin/sh
# lua.sh - regional rules through nginx: the shipped scripts decide on new
# greetings (refuse, reword, hold for review, fall back to default), a
# failing or runaway script fails closed with its path and line in the log
# while the worker keeps serving, SIGHUP keeps the previous version of a
# script that no longer compiles, and the rule writers' tools (lua which,
# check, test) work on the shipped folder and catch broken ones. Also the
# fallback order (county, prefecture, province, default) and bad answers
# (not a table, unknown keys or actions, actions not a list of at most 32)
# refused with the script's file and line.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

oak_require nginx curl cgi-fcgi sqlite3

scripts=$oak_tmp/scripts
cp -R "$top_srcdir/scripts" "$scripts"
chmod -R u+w "$scripts"
oak_plugins example registry
oak_config "example, registry" "[lua]
scripts = scripts
instructions = 200000
timeout_ms = 3000"

# ---- tools on the shipped scripts ---------------------------------------------
run "$OAKSEED" lua test "$top_srcdir/scripts" -c "$oak_conf"
is "$rc" 0 "lua test: the shipped scripts pass their own tests"
like "$out" '^19 passed, 0 failed$' "19 cases (example and registry rules), all passing"
like "$out" 'PASS 530000/example_test.lua: donation messages notify' "readable report names file and case"
run "$OAKSEED" lua test "$top_srcdir/scripts/530000" -c "$oak_conf"
like "$out" '^8 passed, 0 failed$' "a region folder runs only its own tests"
run "$OAKSEED" lua check "$top_srcdir/scripts" -c "$oak_conf"
is "$rc" 0 "lua check: the shipped scripts are clean"
run "$OAKSEED" lua which example.validate 530502 -c "$oak_conf"
like "$out" 'looked in: 530502/ 530500/ 530000/ default/' "which: the fallback order county, prefecture, province, default"
like "$out" '530000/example.validate.lua answers example.validate for 530502' "which: 隆阳区 is answered by the province"
run "$OAKSEED" lua which example.validate 110105 -c "$oak_conf"
like "$out" 'default/example.validate.lua answers' "which: 北京 gets the default"

# ---- fallback order: county, prefecture, province, default ------------------------------------
# A folder of its own (with its own config), so the server's rules below stay as shipped.
for dir in 530502 530500 530000 default; do
    mkdir -p "$oak_tmp/fallback/$dir"
    printf 'return function(record) return { accept = true } end\n' \
        > "$oak_tmp/fallback/$dir/example.validate.lua"
done
cat > "$oak_tmp/fallback/default/fallback_test.lua" <<'LUA'
local rec = { name = "x", message = "y", name_length = 1, message_length = 1 }
local function answered_by(region, want)
  expect_eq(hook("example.validate", rec, region).script, want, "script for " .. region)
end
test("隆阳区 runs its own rule", function() answered_by(530502, "530502/example.validate.lua") end)
test("施甸县 runs 保山市's", function() answered_by(530521, "530500/example.validate.lua") end)
test("保山市 runs its own", function() answered_by(530500, "530500/example.validate.lua") end)
test("a county of 曲靖市 runs 云南省's", function() answered_by(530302, "530000/example.validate.lua") end)
test("北京 朝阳区 runs the default", function() answered_by(110105, "default/example.validate.lua") end)
LUA
oak_config "example, registry" "[lua]
scripts = fallback" "$oak_tmp/fallback.conf"
run "$OAKSEED" lua which example.validate 530502 -c "$oak_tmp/fallback.conf"
like "$out" '/530502/example.validate.lua answers example.validate for 530502' "fallback: a county's own rule first"
run "$OAKSEED" lua which example.validate 530521 -c "$oak_tmp/fallback.conf"
like "$out" 'looked in: 530521/ 530500/ 530000/ default/' "fallback: 施甸县 looks in its prefecture next"
like "$out" '/530500/example.validate.lua answers example.validate for 530521' "fallback: another county gets the prefecture's"
run "$OAKSEED" lua which example.validate 530302 -c "$oak_tmp/fallback.conf"
like "$out" 'looked in: 530302/ 530300/ 530000/ default/' "fallback: a county of 曲靖 looks in 530300/, then 530000/"
like "$out" '/530000/example.validate.lua answers example.validate for 530302' "fallback: a prefecture without rules gets the province's"
run "$OAKSEED" lua which example.validate 110105 -c "$oak_tmp/fallback.conf"
like "$out" '/default/example.validate.lua answers example.validate for 110105' "fallback: another province gets the default"
run "$OAKSEED" lua test "$oak_tmp/fallback" -c "$oak_conf"
like "$out" '^5 passed, 0 failed$' "fallback: the hook runs the same scripts as lua which names"

# ---- bad answers are script errors naming the file and line ------------------------------------
mkdir -p "$oak_tmp/answers/default"
answer() { # REGION, then the script on stdin
    mkdir -p "$oak_tmp/answers/$1"
    cat > "$oak_tmp/answers/$1/example.validate.lua"
}
answer 530100 <<'LUA'
-- 昆明: answers a string
return function(record)
  return "yes"
end
LUA
answer 530300 <<'LUA'
return function(record)
  return { accept = true, reason = "fine" }
end
LUA
answer 530400 <<'LUA'
return function(record)
  return { actions = { { type = "delete_everything" } } }
end
LUA
answer 530500 <<'LUA'
return function(record)
  return { actions = { review = { type = "require_review" } } }
end
LUA
answer 530600 <<'LUA'
return function(record)
  local a = {}
  for i = 1, 33 do a[i] = { type = "notify", n = i } end
  return { actions = a }
end
LUA
answer 530700 <<'LUA'
return function(record)
  local a = {}
  for i = 1, 32 do a[i] = { type = "notify", n = i } end
  return { actions = a }
end
LUA
answer 530800 <<'LUA'
-- 普洱: returns the answer instead of a function
return { accept = true }
LUA
answer 530900 <<'LUA'
return function(record)
  return { actions = { { type = "notify" }, nil, { type = "notify" } } }
end
LUA
cat > "$oak_tmp/answers/default/answers_test.lua" <<'LUA'
local rec = { name = "x", message = "y", name_length = 1, message_length = 1 }
local function refused(region, want)
  local ok, e = pcall(hook, "example.validate", rec, region)
  expect(not ok, "the answer was accepted")
  expect(tostring(e):find(want, 1, true) ~= nil, tostring(e))
end
test("a string answer", function()
  refused(530100, "530100/example.validate.lua:2: the hook must answer a table, not a string")
end)
test("an unknown key", function()
  refused(530300, "530300/example.validate.lua:1: unknown answer key 'reason'")
end)
test("an undeclared action type", function()
  refused(530400, "530400/example.validate.lua:1: actions[1]: type 'delete_everything' is not offered by hook example.validate")
end)
test("actions with named keys", function()
  refused(530500, "530500/example.validate.lua:1: actions must be a list")
end)
test("33 actions", function()
  refused(530600, "530600/example.validate.lua:1: more than 32 actions")
end)
test("32 actions are fine", function()
  expect_eq(#hook("example.validate", rec, 530700).actions, 32, "actions")
end)
test("a script that returns no function", function()
  refused(530800, "530800/example.validate.lua:2: the script must return a function(record), it returned a table")
end)
test("actions with a hole", function()
  refused(530900, "530900/example.validate.lua:1: actions must be a list without holes")
end)
LUA
run "$OAKSEED" lua test "$oak_tmp/answers" -c "$oak_conf"
like "$out" '^8 passed, 0 failed$' "bad answers: every case passes"
like "$out" 'PASS default/answers_test.lua: a string answer' "a non-table answer is refused with file and line"
like "$out" 'PASS default/answers_test.lua: an unknown key' "an unknown answer key is refused with file and line"
like "$out" 'PASS default/answers_test.lua: an undeclared action type' "an action the hook does not offer is refused"
like "$out" 'PASS default/answers_test.lua: actions with named keys' "actions given as a map are refused (not silently ignored)"
like "$out" 'PASS default/answers_test.lua: 33 actions' "a 33rd action is refused (not silently dropped)"
like "$out" 'PASS default/answers_test.lua: 32 actions are fine' "32 actions are accepted"
like "$out" 'PASS default/answers_test.lua: a script that returns no function' "a script returning no function: the line of its return"
like "$out" 'PASS default/answers_test.lua: actions with a hole' "a list with a hole is refused"

mkdir -p "$oak_tmp/bad/530500"
cat > "$oak_tmp/bad/530500/example.validate.lua" <<'LUA'
return function(record)
  counter = (counter or 0) + 1
  return { accept = true }
end
LUA
cat > "$oak_tmp/bad/530500/example.nothing.lua" <<'LUA'
return function(record) return { accept = true } end
LUA
cat > "$oak_tmp/bad/530500/broken.lua" <<'LUA'
return function(record) return { accept = true
LUA
run "$OAKSEED" lua check "$oak_tmp/bad" -c "$oak_conf"
isnt "$rc" 0 "lua check fails on a broken folder"
like "$out" "writes global 'counter'" "a global written by mistake is reported"
like "$out" "unknown hook 'example.nothing'" "an unknown hook name is reported"
like "$err$out" "broken.lua:2:" "a syntax error is reported with file and line"
cat > "$oak_tmp/bad/530500/example_test.lua" <<'LUA'
test("expects the wrong thing", function()
  local a = hook("example.validate", { name = "x", message = "y", name_length = 1, message_length = 1 })
  expect_eq(a.accept, false, "accept")
end)
LUA
rm "$oak_tmp/bad/530500/broken.lua"
run "$OAKSEED" lua test "$oak_tmp/bad" -c "$oak_conf"
isnt "$rc" 0 "lua test exits non-zero on a failing case"
like "$out" 'FAIL 530500/example_test.lua: expects the wrong thing' "names the failing case"
like "$out" 'example_test.lua:3: accept: got true, want false' "with the line and the values"

# ---- the server -------------------------------------------------------------------------
ok "oakseed starts" oak_start || bail_out "cannot start oakseed"
ok "nginx starts" oak_nginx_start || bail_out "cannot start nginx"
post() { # JSON -> status, body
    http POST /api/example/greetings -H 'Content-Type: application/json' --data "$1"
}
post '{"name":"王芳","message":"看看 https://spam.example","region":"110105"}'
is "$R_status" 422 "北京: the default rule refuses links"
like "$(body)" '"fields":\{"message":"留言中不能包含网址' "the script's message is on the field"
post '{"name":"王芳","message":"平安","region":"110105"}'
is "$R_status" 201 "北京: a plain greeting is published"
is "$(jget status)" published "status published"
post '{"name":"李明","message":"  你好   云南 ","region":"530502"}'
is "$R_status" 201 "隆阳区: accepted"
is "$(jget message)" "你好 云南" "云南's rule tidied the message (a permitted change)"
post '{"name":"李","message":"我想了解器官捐献","region":"530502"}'
is "$R_status" 201 "隆阳区: a one-character name is accepted"
is "$(jget status)" pending_review "but held for review"
held=$(jget id)
http GET "/api/example/greetings/$held"
is "$R_status" 404 "a held greeting is not public"
ok "the notify action reached the plugin" oak_wait_log 'notify moderators' 5

# ---- a plugin's read-only helper -------------------------------------------------------------
mkdir -p "$scripts/530900"
cat > "$scripts/530900/example.validate.lua" <<'LUA'
-- 临沧市: hold greetings for review once two were written today
return function(record)
  if example.greetings_today(record.region) >= 2 then
    return { actions = { { type = "require_review", reason = "busy day" } } }
  end
  return { accept = true }
end
LUA
cat > "$scripts/530900/example_test.lua" <<'LUA'
test("a busy day holds the greeting", function()
  local a = hook("example.validate", { name = "赵六", message = "你好", name_length = 2,
                 message_length = 2, region = "530900" }, 530900, { ["example.greetings_today"] = 5 })
  expect_eq(a.actions[1].type, "require_review", "held")
end)
test("a quiet day lets it through", function()
  local a = hook("example.validate", { name = "赵六", message = "你好", name_length = 2,
                 message_length = 2, region = "530900" }, 530900, { ["example.greetings_today"] = 0 })
  expect_eq(#a.actions, 0, "no actions")
end)
LUA
run "$OAKSEED" lua test "$scripts/530900" -c "$oak_conf"
like "$out" '^2 passed, 0 failed$' "lua test: helper answers come from the test case"
sed 's/, { \["example.greetings_today"\] = 0 })/)/' "$scripts/530900/example_test.lua" > "$oak_tmp/t.lua"
mv "$oak_tmp/t.lua" "$scripts/530900/example_test.lua"
run "$OAKSEED" lua test "$scripts/530900" -c "$oak_conf"
like "$out" 'example.greetings_today: this test gives no answer for it' "a helper the test did not answer is named"
kill -HUP "$OAK_PID"
oak_wait_log 'reloaded:' 10
sleep 0.5
post '{"name":"赵六","message":"第一条","region":"530900"}'
is "$(jget status)" published "临沧: the first greeting of the day is published"
post '{"name":"赵六","message":"第二条","region":"530900"}'
is "$(jget status)" published "the second too"
post '{"name":"赵六","message":"第三条","region":"530900"}'
is "$(jget status)" pending_review "the third is held: the script asked example.greetings_today"

# ---- failures fail closed -----------------------------------------------------------------
mkdir -p "$scripts/530300"
cat > "$scripts/530300/example.validate.lua" <<'LUA'
return function(record)
  local t = nil
  return { accept = t.missing }
end
LUA
mkdir -p "$scripts/530400"
cat > "$scripts/530400/example.validate.lua" <<'LUA'
return function(record)
  while true do end
end
LUA
mkdir -p "$scripts/530600"
cat > "$scripts/530600/example.validate.lua" <<'LUA'
return function(record)
  return { accept = true, changes = { name = "someone else" } }
end
LUA
mkdir -p "$scripts/530700"
cat > "$scripts/530700/example.validate.lua" <<'LUA'
return function(record)
  local too_much = string.rep("a", 60000)
  return { accept = string.find(too_much, "a*a*a*b") ~= nil }
end
LUA
mkdir -p "$scripts/530800"
cat > "$scripts/530800/example.validate.lua" <<'LUA'
return function(record)
  local s = "x"
  for i = 1, 40 do s = s .. s end
  return { accept = true }
end
LUA
kill -HUP "$OAK_PID"
oak_wait_log 'reloaded:' 10
sleep 0.5
post '{"name":"张三","message":"你好","region":"530300"}'
is "$R_status" 500 "曲靖: a script error answers 500"
is "$(ecode)" script_error "script_error envelope"
ok "the log names the script and line" oak_wait_log '530300/example.validate.lua:3:' 5
post '{"name":"张三","message":"你好","region":"530400"}'
is "$R_status" 500 "玉溪: an endless loop is stopped by the instruction budget"
ok "the log says the budget ran out" oak_wait_log 'instruction budget' 5
post '{"name":"张三","message":"你好","region":"530600"}'
is "$R_status" 500 "昭通: changing a field the hook does not allow fails closed"
ok "and the log says which field, with file and line" \
    oak_wait_log "530600/example.validate.lua:1: hook example.validate does not let scripts change 'name'" 5
post '{"name":"张三","message":"你好","region":"530800"}'
is "$R_status" 500 "普洱: a memory bomb hits the state's memory cap"
ok "the log says the memory limit was reached" oak_wait_log '530800/example.validate.lua: not enough memory \(memory limit reached\)' 5
post '{"name":"张三","message":"你好","region":"530502"}'
is "$R_status" 201 "the workers keep serving"
post '{"name":"张三","message":"你好","region":"530700"}'
is "$R_status" 502 "丽江: a runaway pattern is ended by the watchdog (nginx answers 502)"
ok "the log names the script that ran past its time limit" \
    oak_wait_log 'ran past its time limit \(530700/example.validate.lua\)' 5
post '{"name":"张三","message":"你好","region":"530502"}'
is "$R_status" 201 "a replacement worker serves the next request"

# ---- reload keeps the previous version of a broken script ------------------------------------
printf 'return function(record) return {\n' > "$scripts/530000/example.validate.lua"
kill -HUP "$OAK_PID"
oak_wait_log 'keeping the previous version' 10
ok "the syntax error is reported" oak_log_has '530000/example.validate.lua:2:'
oak_wait 10 oak_log_has 'reloaded:'
sleep 0.5
post '{"name":"李明","message":"  新的   一天 ","region":"530502"}'
is "$R_status" 201 "still served after the broken reload"
is "$(jget message)" "新的 一天" "by the previous 云南 rule"

# ---- the hook benchmark runs (its timings are reported, never asserted) -----------------------
run "$top_builddir/tests/bench/lua_hook_bench" "$OAK_PLUGIN_BUILD_DIR" "$top_srcdir/scripts" 2000
is "$rc" 0 "lua_hook_bench runs"
like "$out" '^530502 +530000/example\.validate\.lua +[0-9.]+$' "it reports the 云南 rule per call"
like "$out" '^110105 +default/example\.validate\.lua +[0-9.]+$' "and the default rule"

oak_nginx_stop
oak_stop
done_testing
