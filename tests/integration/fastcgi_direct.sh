#!/bin/sh
# fastcgi_direct.sh - oakseed spoken to directly over FastCGI with cgi-fcgi
# (no nginx): the core routes, the error envelope, 404/405, HEAD, request
# ids, a JSON and a form POST with byte-accurate CONTENT_LENGTH read back,
# malformed params, a connection closed as soon as it is answered (clean,
# not waiting for the client), and a TCP listener.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

oak_require cgi-fcgi sqlite3 python3

oak_plugins example
oak_config example
ok "oakseed serve starts on a unix socket" oak_start || bail_out "cannot start oakseed"
is "$(stat -c %a "$oak_sock")" 660 "socket mode is 0660"

# ---- core routes ------------------------------------------------------------
fcgi GET /api/health
is "$R_status" 200 "GET /api/health -> 200"
like "$(hdr Content-Type)" '^application/json; charset=utf-8$' "health: JSON content type"
is "$(jget status)" ok "health: status ok"
is "$(jget db)" true "health: db true"
like "$(body)" '"plugins":\[\{"name":"example","version":"1\.0\.0"\}\]' "health: lists the example plugin"
is "$(hdr Cache-Control)" no-store "health: Cache-Control no-store"
rid=$(hdr X-Request-Id)
ok "health: generated X-Request-Id is 32 hex digits" is_hex32 "$rid"

fcgi GET /api/version
is "$R_status" 200 "GET /api/version -> 200"
is "$(jget name)" oakseed "version: name"
is "$(jget abi)" 1.2 "version: abi 1.2"
cli_version=$("$OAKSEED" version | sed -n 's/^oakseed \([^ ]*\) .*/\1/p')
is "$(jget version)" "$cli_version" "version: same as 'oakseed version'"

# ---- request ids ------------------------------------------------------------
fcgi GET /api/version "" "" REQUEST_ID=0123456789abcdef0123456789abcdef
is "$(hdr X-Request-Id)" 0123456789abcdef0123456789abcdef "REQUEST_ID param (32 hex) becomes the request id"
fcgi GET /api/nope "" "" REQUEST_ID='bad id; rm -rf'
rid=$(hdr X-Request-Id)
ok "a malformed REQUEST_ID is replaced by a generated id" is_hex32 "$rid"
is "$(jget request_id)" "$rid" "envelope request_id equals X-Request-Id"

# ---- 404 / 405 ----------------------------------------------------------------
fcgi GET /api/nope
is "$R_status" 404 "unknown path -> 404"
is "$(ecode)" not_found "404 envelope code not_found"
like "$(body)" '^\{"error":\{"code":"not_found","message":"[^"]+","fields":\{\}\},"request_id":"[0-9a-f]{32}"\}$' \
    "404 body is exactly the error envelope"

fcgi PUT /api/example/greetings
is "$R_status" 405 "PUT on a GET/POST route -> 405"
is "$(ecode)" method_not_allowed "405 envelope code method_not_allowed"
is "$(hdr Allow)" "GET, HEAD, POST" "405 Allow header lists GET, HEAD, POST"

fcgi DELETE /api/health
is "$R_status" 405 "DELETE /api/health -> 405"
is "$(hdr Allow)" "GET, HEAD" "Allow: GET, HEAD"

fcgi OPTIONS /api/example/greetings/1
is "$R_status" 405 "OPTIONS (a method no route uses) -> 405"
is "$(hdr Allow)" "GET, HEAD, DELETE" "Allow: GET, HEAD, DELETE"

fcgi GET /api/health/
is "$R_status" 404 "trailing slash is a different path -> 404"

# ---- HEAD -------------------------------------------------------------------------
fcgi HEAD /api/version
is "$R_status" 200 "HEAD on a GET route -> 200"
clen=$(hdr Content-Length)
like "$clen" '^[1-9][0-9]*$' "HEAD: Content-Length present ($clen)"
is "$(wc -c < "$R_body" | tr -d ' ')" 0 "HEAD: no body bytes"
fcgi GET /api/version
is "$(wc -c < "$R_body" | tr -d ' ')" "$clen" "HEAD Content-Length equals the GET body length"

# ---- POST JSON, read it back ----------------------------------------------------
name='李明'
msg='愿每一份善意都被温柔以待 "quoted" \ backslash'
printf '{"name":"%s","message":"%s"}' "$name" '愿每一份善意都被温柔以待 \"quoted\" \\ backslash' > "$oak_tmp/g1.json"
fcgi POST /api/example/greetings "$oak_tmp/g1.json" application/json
is "$R_status" 201 "POST JSON greeting (multi-byte, CONTENT_LENGTH in bytes) -> 201"
id=$(jget id)
like "$id" '^[1-9][0-9]*$' "created greeting has an id ($id)"
is "$(hdr Location)" "/api/example/greetings/$id" "Location header names the new greeting"
is "$(jget name)" "$name" "201 body echoes the name"

fcgi GET "/api/example/greetings/$id"
is "$R_status" 200 "GET the created greeting -> 200"
is "$(jget name)" "$name" "name reads back byte for byte"
is "$(jget message)" '愿每一份善意都被温柔以待 \"quoted\" \\ backslash' "message reads back with its escapes"
is "$(sql "$oak_db" "SELECT message FROM example_greetings WHERE id=$id")" "$msg" "stored message is the decoded text"

# ---- POST form --------------------------------------------------------------------
printf 'name=%s&message=%s' '%E5%BC%A0%E4%B8%89' 'hello+world%21' > "$oak_tmp/g2.form"
fcgi POST /api/example/greetings "$oak_tmp/g2.form" application/x-www-form-urlencoded
is "$R_status" 201 "POST form greeting -> 201"
id2=$(jget id)
fcgi GET "/api/example/greetings/$id2"
is "$(jget name)" '张三' "form name is percent-decoded"
is "$(jget message)" 'hello world!' "form message is decoded (+ and %21)"

fcgi GET "/api/example/greetings?limit=1"
is "$R_status" 200 "list with limit=1 -> 200"
is "$(grep -o '"id":' "$R_body" | wc -l | tr -d ' ')" 1 "limit=1 returns one item"
is "$(jget id)" "$id2" "newest first"

# ---- validation --------------------------------------------------------------------
printf '{"name":"","message":42}' > "$oak_tmp/bad.json"
fcgi POST /api/example/greetings "$oak_tmp/bad.json" application/json
is "$R_status" 422 "invalid greeting -> 422"
is "$(ecode)" validation_failed "422 code validation_failed"
like "$(body)" '"fields":\{.*"name":"[^"]+".*\}' "422 fields name 'name'"
like "$(body)" '"fields":\{.*"message":"[^"]+".*\}' "422 fields name 'message'"

# ---- malformed requests ---------------------------------------------------------------
printf '{"name":"a","message":"b"}' > "$oak_tmp/short.json"
fcgi POST /api/example/greetings "$oak_tmp/short.json" application/json CONTENT_LENGTH=100
is "$R_status" 400 "body shorter than CONTENT_LENGTH -> 400"
is "$(ecode)" bad_request "short body: code bad_request"

fcgi get /api/health
is "$R_status" 400 "lower-case method -> 400"
is "$(ecode)" bad_request "bad method: code bad_request"

fcgi GET /api/health "" "" CONTENT_LENGTH=-5
is "$R_status" 400 "negative CONTENT_LENGTH -> 400"

fcgi GET /api/health "" "" CONTENT_LENGTH=12abc
is "$R_status" 400 "non-numeric CONTENT_LENGTH -> 400"

fcgi GET '/api/example/greetings/%zz'
is "$R_status" 400 "malformed percent-encoding in the path -> 400"

fcgi GET '/api/example/greetings?limit=%zz'
is "$R_status" 400 "malformed percent-encoding in the query -> 400"

fcgi GET /api/health
is "$R_status" 200 "still healthy after the malformed requests"

# ---- the end of a connection nginx does not keep ----------------------------------------
# answered, then closed at once and cleanly, without waiting for the client
# to close its side: two clients keep theirs open (as many as the workers),
# and a third is still answered at once
run python3 "$top_srcdir/tests/integration/fcgi_close.py" "$oak_sock" 2
is "$out" "ok 2" "answered and closed at once, cleanly, while clients keep their side open"

ok "access log line written for each request" oak_wait_log 'access POST /api/example/greetings 201 [0-9.]+ms [0-9a-f]{32}$' 5

# ---- TCP listener ------------------------------------------------------------------------
port=$(oak_freeport)
oak_config example "[server]
listen = 127.0.0.1:$port
pid_file = run/tcp.pid" "$oak_tmp/tcp.conf"
unix_pid=$OAK_PID
saved_conf=$oak_conf saved_sock=$oak_sock saved_pidfile=$oak_pidfile
oak_conf=$oak_tmp/tcp.conf oak_sock= oak_pidfile=$oak_tmp/run/tcp.pid
FCGI_CONNECT=127.0.0.1:$port
ok "a second oakseed serves on 127.0.0.1:$port (TCP)" oak_start
tcp_pid=$OAK_PID
fcgi GET "/api/example/greetings/$id"
is "$R_status" 200 "TCP listener: GET greeting -> 200 (same database)"
is "$(jget name)" "$name" "TCP listener: same data"
run python3 "$top_srcdir/tests/integration/fcgi_close.py" "127.0.0.1:$port" 2
is "$out" "ok 2" "TCP: answered and closed at once with a FIN, not a reset"
ok "TCP instance stops on SIGTERM" oak_stop "$tcp_pid"
is "$oak_stop_status" 0 "TCP instance exit status 0"
unset FCGI_CONNECT
oak_conf=$saved_conf oak_sock=$saved_sock oak_pidfile=$saved_pidfile OAK_PID=$unix_pid

ok "unix instance stops on SIGTERM" oak_stop
is "$oak_stop_status" 0 "exit status 0"
ok "socket removed" test ! -e "$oak_sock"
ok "pid file removed" test ! -e "$oak_pidfile"

done_testing
