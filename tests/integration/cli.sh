#!/bin/sh
# cli.sh - the oakseed command line: version, routes, check-config and every
# kind of configuration error (with FILE:LINE), plugin refusals (ABI, failing
# init, missing file), migrate (tables, idempotence, tampered checksums) and
# -o overrides reaching a running server.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

oak_require cgi-fcgi sqlite3

oak_plugins example badabi failinit lateroute newminor oldminor

# ---- version / usage -----------------------------------------------------------
run "$OAKSEED" version
is "$rc" 0 "version exits 0"
like "$out" '^oakseed [0-9]+\.[0-9]+\.[0-9]+ \(plugin ABI 1\.2\)$' "version prints the version and ABI 1.2"
run "$OAKSEED" --version
like "$out" '^oakseed .*\(plugin ABI 1\.2\)$' "--version too"
run "$OAKSEED" help
is "$rc" 0 "help exits 0"
like "$out" '^  check-config' "help lists the commands"
run "$OAKSEED" frobnicate
is "$rc" 2 "unknown command exits 2"
like "$err" "unknown command 'frobnicate'" "unknown command is named"
run "$OAKSEED" routes --no-such-flag
is "$rc" 2 "unknown option exits 2"
like "$err" 'unknown option --no-such-flag' "unknown option is named"

# ---- routes -----------------------------------------------------------------------
oak_config example
run "$OAKSEED" routes -c "$oak_conf"
is "$rc" 0 "routes exits 0"
like "$out" '^METHOD +PATH +PLUGIN +PERMISSION$' "routes prints a header"
routes=$(printf '%s\n' "$out" | sed 1d | awk '{ print $1, $2, $3, $4 }')
for r in "GET /api/health core public" \
         "GET /api/version core public" \
         "GET /api/regions core public" \
         "GET /api/audit/export core core.audit.export" \
         "POST /api/auth/login core public" \
         "POST /api/auth/logout core core.self" \
         "GET /api/auth/me core core.self" \
         "GET /api/example/moderation example example.moderate" \
         "GET /api/example/greetings example public" \
         "GET /api/example/greetings/:id example public" \
         "POST /api/example/greetings example public" \
         "DELETE /api/example/greetings/:id example example.moderate" \
         "POST /api/example/greetings/:id/publish example example.moderate"; do
    like "$routes" "^$r\$" "routes: $r"
done
is "$(printf '%s\n' "$routes" | wc -l | tr -d ' ')" 13 "routes: exactly 13 routes"

oak_config "example, lateroute" "" "$oak_tmp/late.conf"
run "$OAKSEED" routes -c "$oak_tmp/late.conf"
like "$out" '^GET +/api/lateroute/echo/:name +lateroute +public$' "routes lists a second plugin's routes"
unlike "$out" 'nullperm|/unknown' "routes refused at init (no or unknown permission) are not listed"

# ---- check-config ------------------------------------------------------------------------
run "$OAKSEED" check-config -c "$oak_conf"
is "$rc" 0 "check-config on a good config exits 0"
is "$out" "configuration OK: 1 plugins, 13 routes" "check-config reports plugins and routes"
run sh -c "cd '$oak_tmp/run' && '$OAKSEED' check-config -c ../oakseed.conf"
is "$rc" 0 "relative paths resolve against the config file's directory, not the cwd"

# bad_config TEXT EXPECTED-ERE DESC: TEXT is the whole file
bad_config() {
    printf '%s\n' "$1" > "$oak_tmp/bad.conf"
    run "$OAKSEED" check-config -c "$oak_tmp/bad.conf"
    isnt "$rc" 0 "$3: non-zero exit"
    like "$err" "$2" "$3: message"
}

bad_config "[server]
workers = 2

bogus = 1" "^oakseed: $oak_tmp/bad.conf:4: unknown key 'bogus' in \\[server\\]\$" "unknown key"
bad_config "[server]
workers = many" "bad.conf:2: workers: expected an integer from 1 to 256, got 'many'" "non-numeric workers"
bad_config "[server]
workers = 0" "bad.conf:2: workers: expected an integer from 1 to 256, got '0'" "workers out of range"
bad_config "[limits]
max_body = 1x" "bad.conf:2: max_body: expected a size" "malformed size"
bad_config "[server]
socket_mode = 0999" "bad.conf:2: socket_mode: expected an octal mode" "non-octal socket_mode"
bad_config "[database]
synchronous = sometimes" "bad.conf:2: synchronous: expected off, normal, full or extra" "bad synchronous"
bad_config "[log]
access_log = perhaps" "bad.conf:2: access_log: expected on or off" "bad boolean"
bad_config "[server]
listen = nowhere" "bad.conf:2: listen: expected unix:/path or HOST:PORT" "bad listen"
bad_config "[bogus]
x = 1" "bad.conf:1: unknown section \\[bogus\\]" "unknown section"
bad_config "[server
workers = 2" "bad.conf:1: malformed section header" "malformed section header"
bad_config "workers = 2" "bad.conf:1: key outside of a \\[section\\]" "key before any section"
bad_config "[plugins]
dir = $oak_tmp/plugins
load = example

[plugin.nothere]
x = 1" "bad.conf:6: section \\[plugin.nothere\\] is for a plugin not in \\[plugins\\] load" "section for a plugin not loaded"
bad_config "[plugins]
dir = $oak_tmp/plugins
load = example

[plugin.example]
max_length = 100
colour = red" "bad.conf:7: unknown key 'colour' in \\[plugin.example\\]" "unknown [plugin.example] key"
bad_config "[plugins]
dir = $oak_tmp/plugins
load = example

[plugin.example]
max_length = 0" "plugin 'example': init failed: max_length must be an integer from 1 to 10000, got '0'" \
    "bad [plugin.example] value refused by the plugin"
bad_config "[plugins]
dir = $oak_tmp/plugins
load = example, Example" "bad plugin name 'Example'" "bad plugin name"
bad_config "[plugins]
dir = $oak_tmp/plugins
load = example, nosuch" "plugin 'nosuch': cannot load $oak_tmp/plugins/nosuch.so" "missing plugin file"

run "$OAKSEED" check-config -c "$oak_tmp/missing.conf"
isnt "$rc" 0 "missing config file: non-zero exit"
like "$err" "missing.conf: No such file or directory" "missing config file: message"

# ---- plugins that must not load ------------------------------------------------------------
oak_config "example, badabi" "" "$oak_tmp/badabi.conf"
run "$OAKSEED" check-config -c "$oak_tmp/badabi.conf"
isnt "$rc" 0 "a plugin built for another ABI is refused"
like "$err" "plugin 'badabi': not binary compatible: built for ABI 2\\.0, this oakseed provides ABI 1\\.2" \
    "the refusal names both ABI versions"
oak_config "example, newminor" "" "$oak_tmp/newminor.conf"
run "$OAKSEED" check-config -c "$oak_tmp/newminor.conf"
isnt "$rc" 0 "a plugin built for a newer ABI minor is refused"
like "$err" "plugin 'newminor': not binary compatible: built for ABI 1\\.3, this oakseed provides ABI 1\\.2" \
    "that refusal names both versions too"
oak_config "example, oldminor" "" "$oak_tmp/oldminor.conf"
run "$OAKSEED" check-config -c "$oak_tmp/oldminor.conf"
is "$rc" 0 "a plugin built for ABI 1.0 loads in this 1.2 host"
run "$OAKSEED" routes -c "$oak_tmp/oldminor.conf"
like "$out" "GET +/api/oldminor +oldminor +public" "and registers its route"

oak_config "example, failinit" "" "$oak_tmp/failinit.conf"
sed -i '/^file = /d' "$oak_tmp/failinit.conf"   # log to stderr
run "$OAKSEED" serve -c "$oak_tmp/failinit.conf"
isnt "$rc" 0 "serve with a plugin whose init fails exits non-zero"
isnt "$rc" 124 "and exits at once (no hang)"
like "$err" "plugin 'failinit': init failed: required setting 'token' is missing" \
    "the failure names the plugin and its reason"
ok "no socket left behind" test ! -e "$oak_sock"
ok "no pid file left behind" test ! -e "$oak_pidfile"

oak_config "example, failinit" "" "$oak_tmp/failinit-log.conf"
run "$OAKSEED" serve -c "$oak_tmp/failinit-log.conf"
isnt "$rc" 0 "with [log] file set: serve still exits non-zero"
ok "with [log] file set: the reason is in the log file" \
    oak_log_has "\\[error\\] .*plugin 'failinit': init failed: required setting 'token' is missing"
like "$err" "plugin 'failinit': init failed" \
    "with [log] file set: a start-up failure is also reported on stderr"

run "$OAKSEED" serve -c "$oak_conf" -o server.socket_group=no_such_group_x
isnt "$rc" 0 "serve with a socket_group that does not exist fails"
ok "and says so" oak_log_has "listen: socket_group 'no_such_group_x' does not exist"
ok "leaving no socket" test ! -e "$oak_sock"
ok "and no pid file" test ! -e "$oak_pidfile"

# ---- migrate ---------------------------------------------------------------------------------
rm -f "$oak_db"
run "$OAKSEED" migrate -c "$oak_conf"
is "$rc" 0 "migrate on a fresh database exits 0"
like "$out" "database $oak_db is up to date" "migrate says the database is up to date"
like "$err" 'applied 5 migrations' "migrate reports 5 applied migrations (core 1, example 4)"
is "$(sql "$oak_db" "SELECT name FROM sqlite_schema WHERE type='table' AND name='example_greetings'")" \
    example_greetings "example_greetings table created"
is "$(sql "$oak_db" "SELECT name FROM sqlite_schema WHERE type='index' AND name='example_greetings_created'")" \
    example_greetings_created "example_greetings_created index created"
is "$(sql "$oak_db" "SELECT plugin || ':' || version || ':' || name FROM oak_migrations ORDER BY plugin, version" | tr '\n' ' ')" \
    "core:1:accounts, sessions, throttle, audit example:1:create greetings example:2:index by time example:3:region of a greeting example:4:greetings held for review " \
    "oak_migrations records every step"
like "$(sql "$oak_db" "SELECT checksum FROM oak_migrations WHERE plugin='example' AND version=1")" \
    '^[0-9a-f]{64}$' "each step has a SHA-256 checksum"
is "$(sql "$oak_db" "PRAGMA journal_mode")" wal "the database is in WAL mode"
sql "$oak_db" "INSERT INTO example_greetings(name, message) VALUES ('keep', 'me')"

run "$OAKSEED" migrate -c "$oak_conf"
is "$rc" 0 "migrate again exits 0 (idempotent)"
unlike "$err" 'applied' "nothing applied the second time"
is "$(sql "$oak_db" "SELECT count(*) FROM oak_migrations")" 5 "still 5 recorded steps"
is "$(sql "$oak_db" "SELECT name FROM example_greetings")" keep "data untouched"

good_sum=$(sql "$oak_db" "SELECT checksum FROM oak_migrations WHERE plugin='example' AND version=1")
sql "$oak_db" "UPDATE oak_migrations SET checksum='0000000000000000000000000000000000000000000000000000000000000000' WHERE plugin='example' AND version=1"
run "$OAKSEED" migrate -c "$oak_conf"
isnt "$rc" 0 "migrate refuses an applied migration whose checksum changed"
like "$err" "plugin example migration 1 \\(create greetings\\): changed after it was applied" \
    "the refusal names plugin, version and step"
run "$OAKSEED" serve -c "$oak_conf"
isnt "$rc" 0 "serve refuses to start on it too"
isnt "$rc" 124 "and exits at once"
ok "serve logged why" oak_log_has "changed after it was applied"
sql "$oak_db" "UPDATE oak_migrations SET checksum='$good_sum' WHERE plugin='example' AND version=1"
run "$OAKSEED" migrate -c "$oak_conf"
is "$rc" 0 "with the checksum restored migrate succeeds again"

mkdir -p "$oak_tmp/cwd"
run sh -c "cd '$oak_tmp/cwd' && '$OAKSEED' migrate -c '$oak_conf' -o database.path=cli.db"
is "$rc" 0 "migrate with -o database.path=cli.db"
ok "a relative path given with -o means the working directory" test -s "$oak_tmp/cwd/cli.db"

# ---- -o overrides ----------------------------------------------------------------------------
run "$OAKSEED" check-config -c "$oak_conf" -o server.workers=0
isnt "$rc" 0 "-o with a bad value is refused"
like "$err" "command line: workers: expected an integer from 1 to 256, got '0'" "-o error says 'command line'"
run "$OAKSEED" check-config -c "$oak_conf" -o nodot=1
isnt "$rc" 0 "-o without section.key is refused"
like "$err" "expected section.key=value" "-o syntax error message"
run "$OAKSEED" check-config -c "$oak_conf" -o plugin.example.colour=red
isnt "$rc" 0 "-o with an unknown plugin key is refused"
like "$err" "command line: unknown key 'colour' in \\[plugin.example\\]" "and the key is named"

oak_config example "[plugin.example]
max_length = 100"
ok "serve with -o plugin.example.max_length=5 --workers 3" \
    oak_start -o plugin.example.max_length=5 --workers 3
is "$(oak_nworkers)" 3 "--workers 3 gives 3 workers"
printf '{"name":"n","message":"%s"}' '一二三四五六' > "$oak_tmp/six.json"
fcgi POST /api/example/greetings "$oak_tmp/six.json" application/json
is "$R_status" 422 "6-character message refused (override beats the file's 100)"
like "$(body)" '"fields":\{"message":"[^"]*5[^"]*"\}' "the refusal names the limit 5"
printf '{"name":"n","message":"%s"}' '一二三四五' > "$oak_tmp/five.json"
fcgi POST /api/example/greetings "$oak_tmp/five.json" application/json
is "$R_status" 201 "5-character (15-byte) message accepted: the limit counts characters"
ok "server stops" oak_stop

done_testing
