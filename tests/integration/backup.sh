#!/bin/sh
# backup.sh - `oakseed backup` of a live database while the server writes to
# it, `oakseed restore` refused while the server runs, and a restore that
# brings back exactly the backed-up state; corrupt or missing sources and
# unwritable destinations fail with a message and change nothing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

oak_require cgi-fcgi sqlite3

oak_plugins example
oak_config example
ok "oakseed starts" oak_start || bail_out "cannot start oakseed"

# add NAME MESSAGE: create a greeting through the API; prints its id
add() {
    printf '{"name":"%s","message":"%s"}' "$1" "$2" > "$oak_tmp/add.json"
    fcgi POST /api/example/greetings "$oak_tmp/add.json" application/json
    [ "$R_status" = 201 ] || diag "POST greeting: $R_status $(body)"
    jget id
}

ids() {
    sql "$1" "SELECT id || ':' || name FROM example_greetings ORDER BY id" | tr '\n' ' ' | sed 's/ $//'
}

# ---- data, then an online backup --------------------------------------------------
a=$(add '甲' '第一条')
b=$(add '乙' '第二条')
c=$(add '丙' '第三条')
is "$a $b $c" "1 2 3" "three greetings created through the API"

backup=$oak_tmp/backups/before.db
mkdir -p "$oak_tmp/backups"
run "$OAKSEED" backup -c "$oak_conf" "$backup"
is "$rc" 0 "backup while the server runs exits 0"
like "$out" "backup written to $backup" "backup says where"
ok "backup file exists" test -s "$backup"
is "$(stat -c %a "$backup")" 600 "the backup is readable by its owner only (0600)"
ok "no temporary file left beside it" test ! -e "$backup.tmp"
is "$(sql "$backup" 'PRAGMA integrity_check')" ok "backup passes integrity_check"
is "$(sql "$backup" 'PRAGMA journal_mode')" delete "backup is a self-contained file (journal_mode delete)"
ok "backup has no -wal file beside it" test ! -e "$backup-wal"
is "$(ids "$backup")" "1:甲 2:乙 3:丙" "backup holds the three greetings"
is "$(sql "$backup" 'SELECT count(*) FROM oak_migrations')" 5 "backup holds the migration records"

# ---- more data after the backup ------------------------------------------------------------
d=$(add '丁' '备份之后')
e=$(add '戊' '备份之后')
is "$d $e" "4 5" "two more greetings after the backup"
fcgi GET /api/example/greetings
is "$(grep -o '"id":' "$R_body" | wc -l | tr -d ' ')" 5 "the API lists 5"

# ---- restore is refused while the server runs ---------------------------------------------
run "$OAKSEED" restore -c "$oak_conf" "$backup"
isnt "$rc" 0 "restore while the server runs is refused"
like "$err" "the server is running \\(pid file $oak_pidfile is locked\\); stop it first" "with a message naming the pid file"
fcgi GET "/api/example/greetings/$e"
is "$R_status" 200 "the live data is untouched"

# ---- bad restores and backups ------------------------------------------------------------------
ok "server stops" oak_stop
is "$(ids "$oak_db")" "1:甲 2:乙 3:丙 4:丁 5:戊" "all 5 greetings are in the database after the stop"

printf 'this is not an SQLite database, just text pretending to be one.\n%.0s' 1 2 3 4 5 6 7 8 9 10 \
    > "$oak_tmp/backups/garbage.db"
run "$OAKSEED" restore -c "$oak_conf" "$oak_tmp/backups/garbage.db"
isnt "$rc" 0 "restore of a non-database file fails"
like "$err" 'restore: .*(not a database|integrity)' "with a message"

cp "$backup" "$oak_tmp/backups/corrupt.db"
size=$(wc -c < "$backup" | tr -d ' ')
# overwrite the middle pages with junk, keep the header
head -c $((size - 4096)) /dev/zero | tr '\0' 'X' |
    dd of="$oak_tmp/backups/corrupt.db" bs=1 seek=4096 conv=notrunc 2> /dev/null
run "$OAKSEED" restore -c "$oak_conf" "$oak_tmp/backups/corrupt.db"
isnt "$rc" 0 "restore of a corrupted database fails"
like "$err" 'restore: ' "with a message"

run "$OAKSEED" restore -c "$oak_conf" "$oak_tmp/backups/missing.db"
isnt "$rc" 0 "restore of a missing file fails"
like "$err" "missing.db: No such file or directory" "with a message naming the file"

is "$(ids "$oak_db")" "1:甲 2:乙 3:丙 4:丁 5:戊" "failed restores left the database as it was"

run "$OAKSEED" backup -c "$oak_conf" -o "database.path=$oak_tmp/data/typo.db" "$oak_tmp/backups/typo.db"
isnt "$rc" 0 "backup of a database that does not exist fails (no empty 'backup')"
ok "and leaves no new database file behind" test ! -e "$oak_tmp/data/typo.db"

run "$OAKSEED" backup -c "$oak_conf" "$oak_tmp/no/such/dir/x.db"
isnt "$rc" 0 "backup into a missing directory fails"
like "$err" 'backup: ' "with a message"

# ---- restore, restart, check ----------------------------------------------------------------------
run "$OAKSEED" restore -c "$oak_conf" "$backup"
is "$rc" 0 "restore with the server stopped exits 0"
like "$out" "database $oak_db restored from $backup" "restore says what it did"
is "$(sql "$oak_db" 'PRAGMA integrity_check')" ok "restored database passes integrity_check"
is "$(sql "$oak_db" 'PRAGMA journal_mode')" wal "restored database is back in WAL mode"

ok "server starts on the restored database" oak_start
fcgi GET /api/example/greetings
is "$R_status" 200 "list -> 200"
is "$(grep -o '"id":' "$R_body" | wc -l | tr -d ' ')" 3 "the API lists 3 greetings again"
for id in 1 2 3; do
    fcgi GET "/api/example/greetings/$id"
    is "$R_status" 200 "greeting $id (before the backup) is back"
done
fcgi GET /api/example/greetings/2
is "$(jget message)" '第二条' "with its text"
for id in 4 5; do
    fcgi GET "/api/example/greetings/$id"
    is "$R_status" 404 "greeting $id (after the backup) is gone"
done
f=$(add '己' '恢复之后')
is "$f" 4 "new writes continue after the restored rows"
ok "server stops" oak_stop
is "$(sql "$oak_db" 'PRAGMA integrity_check')" ok "integrity_check ok after more writes"
is "$(ids "$oak_db")" "1:甲 2:乙 3:丙 4:己" "final contents"

done_testing
