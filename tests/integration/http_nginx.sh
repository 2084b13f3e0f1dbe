#!/bin/sh
# http_nginx.sh - the whole request path: curl -> nginx running the shipped
# contrib/nginx/oakseed.conf -> oakseed over its unix socket -> SQLite.
# Static pages and security headers, the example plugin end to end, the
# error envelope for every kind of refusal (nginx's own 413/502 included),
# body/JSON/parameter limits, request ids across nginx and oakseed, the
# lateroute test plugin's misbehaving handlers, the access log, and finally
# the exact FastCGI params the config sends (a param-dumping FastCGI
# program in oakseed's place).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

oak_require nginx curl cgi-fcgi sqlite3

shipped=$top_srcdir/contrib/nginx/oakseed.conf

# ---- the shipped file itself ------------------------------------------------------
ok "shipped nginx config exists" test -r "$shipped"
# the directives, without the comments
directives=$(sed -e 's/#.*//' "$shipped")
unlike "$directives" fastcgi_split_path_info "no fastcgi_split_path_info (oakseed routes on REQUEST_URI)"
ok "REQUEST_ID is passed as \$request_id" grep -Eq '^[[:space:]]*fastcgi_param[[:space:]]+REQUEST_ID[[:space:]]+\$request_id;' "$shipped"
ok "HTTP_PROXY is blanked (httpoxy)" grep -Eq '^[[:space:]]*fastcgi_param[[:space:]]+HTTP_PROXY[[:space:]]+"";' "$shipped"
for p in REQUEST_URI REQUEST_METHOD CONTENT_TYPE CONTENT_LENGTH QUERY_STRING REMOTE_ADDR HTTPS; do
    ok "fastcgi_param $p is passed" grep -Eq "^[[:space:]]*fastcgi_param[[:space:]]+$p[[:space:]]" "$shipped"
done
ok "client_max_body_size 1m (oakseed's default max_body)" grep -Eq '^[[:space:]]*client_max_body_size[[:space:]]+1m;' "$shipped"
ok "server_tokens off" grep -Eq '^[[:space:]]*server_tokens[[:space:]]+off;' "$shipped"

# ---- start oakseed (1 worker, small limits) and nginx -----------------------------
oak_plugins example lateroute
oak_config "example, lateroute" "[server]
workers = 1

[limits]
max_body = 1k
max_params = 20
max_json_depth = 8

[database]
busy_timeout = 300"
ok "oakseed starts" oak_start || bail_out "cannot start oakseed"
ok "nginx starts with the rendered shipped config" oak_nginx_start || bail_out "cannot start nginx"
site=$oak_nginx_dir/oakseed-site.conf
ok "rendered config listens on the test port" grep -q "listen 127.0.0.1:$oak_nginx_port;" "$site"
ok "rendered config serves the test www root" grep -q "root $oak_tmp/www;" "$site"
ok "rendered config passes to the test socket" grep -q "server unix:$oak_sock;" "$site"
ok "rendered config keeps FastCGI connections alive" grep -q "fastcgi_keep_conn on;" "$site"
nok "no shipped port or path left in the rendered config" grep -Eq '127\.0\.0\.1:8080|/usr/share/oakseed|unix:/run/oakseed' "$site"
ok "nginx -t accepts it" "$OAK_NGINX" -t -q -p "$oak_nginx_dir/" -c "$oak_nginx_dir/nginx.conf"
worker=$(oak_workers)

# security headers: check_security_headers WHAT
check_security_headers() {
    is "$(hdr X-Content-Type-Options)" nosniff "$1: X-Content-Type-Options nosniff"
    is "$(hdr X-Frame-Options)" DENY "$1: X-Frame-Options DENY"
    is "$(hdr Referrer-Policy)" same-origin "$1: Referrer-Policy same-origin"
    like "$(hdr Content-Security-Policy)" "^default-src 'self';.*frame-ancestors 'none'" "$1: strict Content-Security-Policy"
    like "$(hdr Permissions-Policy)" 'camera=\(\)' "$1: Permissions-Policy"
    is "$(hdr Server)" nginx "$1: Server header without version"
    is "$(hdr_count X-Request-Id)" 1 "$1: exactly one X-Request-Id"
    ok "$1: X-Request-Id is 32 hex digits" is_hex32 "$(hdr X-Request-Id)"
}

# nginx's $request_id for the request with id RID was logged by nginx
nginx_logged() {
    grep -q "rid=$1\$" "$oak_tmp/log/nginx-access.log"
}

# ---- static ------------------------------------------------------------------------
http GET /
is "$R_status" 200 "GET / -> 200 (static index from the www root)"
like "$(hdr Content-Type)" '^text/html' "static: text/html"
like "$(body)" '<title>oakseed' "static: the shipped index.html"
check_security_headers "static page"

http GET /css/site.css
is "$R_status" 200 "GET /css/site.css -> 200"
like "$(hdr Content-Type)" '^text/css' "stylesheet: text/css"

http GET /no-such-page.html
is "$R_status" 404 "missing static file -> 404"
check_security_headers "static 404"

echo 'secret' > "$oak_tmp/www/.env"
chmod 0644 "$oak_tmp/www/.env"
http GET /.env
is "$R_status" 404 "dot files are not served"
unlike "$(body)" secret "dot file content not leaked"

# ---- core routes through nginx ---------------------------------------------------------
http GET /api/health
is "$R_status" 200 "GET /api/health -> 200"
is "$(jget status)" ok "health: status ok"
like "$(hdr Content-Type)" '^application/json; charset=utf-8$' "health: JSON"
is "$(hdr Cache-Control)" no-store "health: oakseed's Cache-Control passes"
check_security_headers "API response"

http GET /api/regions
is "$R_status" 200 "GET /api/regions -> 200"
is "$(hdr Cache-Control)" "public, max-age=86400" "regions: the handler's Cache-Control replaces no-store"
is "$(grep -ci '^Cache-Control:' "$R_headers")" 1 "regions: exactly one Cache-Control header"

http GET /api/version
is "$R_status" 200 "GET /api/version -> 200"
is "$(jget abi)" 1.2 "version: abi 1.2"

# ---- request ids ----------------------------------------------------------------------------
http GET /api/nope
is "$R_status" 404 "unknown API path -> 404"
is "$(ecode)" not_found "404 code not_found"
rid=$(hdr X-Request-Id)
is "$(jget request_id)" "$rid" "oakseed used nginx's request id (envelope = header)"
ok "nginx logged the same \$request_id" nginx_logged "$rid"
ok "oakseed's access log line carries it too" oak_wait_log "access GET /api/nope 404 [0-9.]+ms $rid\$" 5

# ---- example plugin end to end ----------------------------------------------------------
name='王小明'
msg='生前预嘱：我的五个愿望 ✓'
printf '{"name":"%s","message":"%s"}' "$name" "$msg" > "$oak_tmp/g1.json"
http POST /api/example/greetings -H 'Content-Type: application/json' --data-binary "@$oak_tmp/g1.json"
is "$R_status" 201 "POST greeting (JSON) -> 201"
id1=$(jget id)
like "$id1" '^[1-9][0-9]*$' "it has an id"
is "$(hdr Location)" "/api/example/greetings/$id1" "Location header"
check_security_headers "201 response"

http GET "$(hdr Location)"
is "$R_status" 200 "GET the Location -> 200"
is "$(jget name)" "$name" "Chinese name round-trips"
is "$(jget message)" "$msg" "Chinese message round-trips"
is "$(sql "$oak_db" "SELECT message FROM example_greetings WHERE id=$id1")" "$msg" "stored in SQLite as sent"

http POST /api/example/greetings --data-urlencode 'name=志愿者' --data-urlencode 'message=a&b=c 100%'
is "$R_status" 201 "POST greeting (form) -> 201"
id2=$(jget id)
is "$(jget message)" 'a&b=c 100%' "form value with & = % decodes exactly"

http GET /api/example/greetings
is "$R_status" 200 "list -> 200"
like "$(body)" "^\\{\"items\":\\[\\{\"id\":$id2,.*\\{\"id\":$id1," "list holds both, newest first"

http GET '/api/example/greetings?limit=0'
is "$R_status" 400 "limit=0 -> 400"
is "$(ecode)" validation_failed "bad limit: validation_failed"
like "$(body)" '"fields":\{"limit":"[^"]+"\}' "bad limit: fields names limit"

printf '{"message":""}' > "$oak_tmp/bad.json"
http POST /api/example/greetings -H 'Content-Type: application/json' --data-binary "@$oak_tmp/bad.json"
is "$R_status" 422 "missing name and empty message -> 422"
is "$(ecode)" validation_failed "422 code validation_failed"
like "$(body)" '"fields":\{[^}]*"name":"[^"]+"' "422 fields name 'name'"
like "$(body)" '"fields":\{[^}]*"message":"[^"]+"' "422 fields name 'message'"
ok "422 request_id is the nginx id" nginx_logged "$(jget request_id)"

http GET /api/example/greetings/999999
is "$R_status" 404 "missing greeting -> 404"
is "$(ecode)" not_found "missing greeting: not_found"

# ---- 405, HEAD ------------------------------------------------------------------------------
http PATCH "/api/example/greetings/$id1"
is "$R_status" 405 "PATCH on a greeting -> 405"
is "$(ecode)" method_not_allowed "405 code method_not_allowed"
is "$(hdr Allow)" "GET, HEAD, DELETE" "405 Allow lists GET, HEAD, DELETE"
like "$(hdr Content-Type)" '^application/json' "405 is JSON"

http GET "/api/example/greetings/$id1"
get_len=$(wc -c < "$R_body" | tr -d ' ')
http HEAD "/api/example/greetings/$id1"
is "$R_status" 200 "HEAD on a GET route -> 200"
is "$(hdr Content-Length)" "$get_len" "HEAD Content-Length equals the GET body length"
is "$(wc -c < "$R_body" | tr -d ' ')" 0 "HEAD: no body"

# ---- deny by default ----------------------------------------------------------------------
http DELETE "/api/example/greetings/$id1"
is "$R_status" 401 "DELETE (needs example.moderate) without a session -> 401"
is "$(ecode)" unauthenticated "401 code unauthenticated"
http GET "/api/example/greetings/$id1"
is "$R_status" 200 "the greeting is still there"

# ---- another process holds the write lock past busy_timeout (300 ms) ------------------------
(printf 'BEGIN IMMEDIATE;\nSELECT 1;\n'; sleep 4; printf 'COMMIT;\n') | sqlite3 "$oak_db" > /dev/null &
locker=$!
oak_track "$locker"
sleep 0.5
t0=$(date +%s%N)
http POST /api/example/greetings -H 'Content-Type: application/json' --data '{"name":"等锁","message":"写锁被占用"}'
waited=$((($(date +%s%N) - t0) / 1000000))
is "$R_status $(ecode)" "503 service_unavailable" "a write while another process holds the lock: 503 service_unavailable"
like "$(body)" '^\{"error":\{"code":"service_unavailable","message":"[^"]+","fields":\{\}\},"request_id":"[0-9a-f]{32}"\}$' \
    "with the error envelope"
ok "after waiting about busy_timeout, not longer (${waited} ms)" test "$waited" -ge 250 -a "$waited" -lt 3000
http GET '/api/example/greetings?limit=1'
is "$R_status" 200 "reads go on meanwhile (WAL)"
is "$(sql "$oak_db" "SELECT count(*) FROM example_greetings WHERE name = '等锁'")" 0 "nothing of the refused write is stored"
wait "$locker"
http POST /api/example/greetings -H 'Content-Type: application/json' --data '{"name":"等锁","message":"锁已释放"}'
is "$R_status" 201 "once the lock is released, the write succeeds"


# ---- limits -------------------------------------------------------------------------------
head -c 1100000 /dev/zero | tr '\0' 'a' > "$oak_tmp/big"
http POST /api/example/greetings -H 'Content-Type: application/json' --data-binary "@$oak_tmp/big"
is "$R_status" 413 "body over nginx's 1m -> 413"
like "$(hdr Content-Type)" '^application/json' "nginx 413 is JSON"
is "$(ecode)" payload_too_large "nginx 413 envelope code payload_too_large"
rid=$(hdr X-Request-Id)
is "$(jget request_id)" "$rid" "nginx 413 envelope request_id = X-Request-Id"
like "$(body)" '^\{"error":\{"code":"payload_too_large","message":"[^"]+","fields":\{\}\},"request_id":"[0-9a-f]{32}"\}$' \
    "nginx 413 body is exactly the envelope"
check_security_headers "nginx 413"
nok "oakseed never saw the 1m body" oak_log_has "$rid"

head -c 2048 /dev/zero | tr '\0' 'b' > "$oak_tmp/mid"
http POST /api/example/greetings -H 'Content-Type: application/json' --data-binary "@$oak_tmp/mid"
is "$R_status" 413 "2k body over oakseed's max_body=1k -> 413"
is "$(ecode)" payload_too_large "oakseed 413 code payload_too_large"
like "$(jget message)" '1024' "oakseed 413 message names the limit"
is "$(hdr Cache-Control)" no-store "that 413 came from oakseed"
ok "oakseed logged its 413" oak_wait_log "access POST /api/example/greetings 413 [0-9.]+ms $(hdr X-Request-Id)\$" 5

# exactly max_body is read and handled (the message is too long: 422), one
# byte more is refused unread
json_of_size() {
    printf '{"name":"x","message":"%s"}' "$(head -c $(($1 - 25)) /dev/zero | tr '\0' 'c')"
}
json_of_size 1024 > "$oak_tmp/b1024.json"
json_of_size 1025 > "$oak_tmp/b1025.json"
is "$(wc -c < "$oak_tmp/b1024.json" | tr -d ' ')" 1024 "(a 1024-byte JSON body)"
http POST /api/example/greetings -H 'Content-Type: application/json' --data-binary "@$oak_tmp/b1024.json"
is "$R_status" 422 "a body of exactly max_body (1024) is accepted and validated (422)"
http POST /api/example/greetings -H 'Content-Type: application/json' --data-binary "@$oak_tmp/b1025.json"
is "$R_status" 413 "1025 bytes -> 413"

printf '{"name":"x","message":' > "$oak_tmp/trunc.json"
http POST /api/example/greetings -H 'Content-Type: application/json' --data-binary "@$oak_tmp/trunc.json"
is "$R_status" 400 "malformed JSON -> 400"
is "$(ecode)" malformed_json "code malformed_json"
like "$(body)" '"fields":\{"body":"[^"]+"\}' "malformed_json names field body"

printf '{"a":"x","a":"y"}' > "$oak_tmp/dup.json"
http POST /api/lateroute/echo/d -H 'Content-Type: application/json' --data-binary "@$oak_tmp/dup.json"
is "$R_status" 400 "JSON with a duplicated key -> 400"
is "$(ecode)" malformed_json "duplicated key: malformed_json"

# depth: max_json_depth = 8; the top-level object counts as 1
nest() {
    i=0 open= close=
    while [ "$i" -lt "$1" ]; do
        open="$open{\"a\":"
        close="$close}"
        i=$((i + 1))
    done
    printf '%s1%s' "$open" "$close"
}
nest 8 > "$oak_tmp/d8.json"
http POST /api/lateroute/echo/d -H 'Content-Type: application/json' --data-binary "@$oak_tmp/d8.json"
is "$R_status" 200 "JSON nested exactly max_json_depth (8) deep is accepted"
like "$(body)" '"json":\{"a":\{"a"' "and parsed"
nest 9 > "$oak_tmp/d9.json"
http POST /api/lateroute/echo/d -H 'Content-Type: application/json' --data-binary "@$oak_tmp/d9.json"
is "$R_status" 400 "JSON nested 9 deep (max 8) -> 400"
is "$(ecode)" json_too_deep "code json_too_deep"
i=0 open= close=
while [ "$i" -lt 400 ]; do open="$open[" close="$close]" i=$((i + 1)); done
printf '%s1%s' "$open" "$close" > "$oak_tmp/d400.json"
http POST /api/lateroute/echo/d -H 'Content-Type: application/json' --data-binary "@$oak_tmp/d400.json"
is "$R_status" 400 "400 nested arrays (within max_body) -> 400"
is "$(ecode)" json_too_deep "400 levels: json_too_deep, no crash"

q=p1=1
i=2
while [ "$i" -le 20 ]; do q="$q&p$i=$i"; i=$((i + 1)); done
http GET "/api/lateroute/echo/p?$q"
is "$R_status" 200 "20 query parameters (max_params) accepted"
http GET "/api/lateroute/echo/p?$q&p21=21"
is "$R_status" 400 "21 query parameters -> 400"
is "$(ecode)" too_many_parameters "code too_many_parameters"
http POST "/api/lateroute/echo/p?$q" --data 'f=1'
is "$(ecode)" too_many_parameters "query + form parameters over max_params -> too_many_parameters"

# ---- the echo route: what a plugin sees -----------------------------------------------------
http POST '/api/lateroute/echo/%E4%BD%A0%E5%A5%BD%20x%2Fy?q=%E6%9F%A5%E8%AF%A2+1&z=' \
    -H 'Cookie: other=o; c=cookie-value' -H 'X-Test: hello test' \
    --data 'f=%E8%A1%A8%E5%8D%95+a%26b'
is "$R_status" 200 "echo -> 200"
is "$(jget method)" POST "echo: method"
is "$(jget name)" '你好 x/y' "echo: path parameter decoded (%20, %2F, UTF-8)"
is "$(jget path)" '/api/lateroute/echo/你好 x/y' "echo: decoded path"
is "$(jget q)" '查询 1' "echo: query parameter decoded (+ is a space)"
is "$(jget f)" '表单 a&b' "echo: form field decoded"
is "$(jget c)" cookie-value "echo: cookie"
is "$(jget x_test)" 'hello test' "echo: request header"

printf 'f=chunked' | http POST /api/lateroute/echo/c -H 'Transfer-Encoding: chunked' \
    -H 'Content-Type: application/x-www-form-urlencoded' --data-binary @-
is "$R_status" 200 "chunked request body -> 200"
is "$(jget f)" chunked "chunked body reaches oakseed with its length"
is "$(jget body_len)" 9 "body_len 9"

# ---- misbehaving handlers (lateroute) -----------------------------------------------------------
http GET /api/lateroute/late
is "$R_status" 200 "late route -> 200"
is "$(jget rc)" -8 "route() after init returns OAK_ESTATE (-8)"
is "$(jget refused_null_perm)" true "a route without a permission was refused"
is "$(jget refused_unknown_perm)" true "a route with an unknown permission was refused"

http GET /api/lateroute/noresponse
is "$R_status" 500 "handler that never responds -> 500"
is "$(ecode)" internal_error "noresponse: internal_error envelope"
ok "noresponse logged" oak_wait_log 'lateroute: GET /api/lateroute/noresponse: handler returned without a response' 5

http GET /api/lateroute/fails
is "$R_status" 500 "handler returning an error -> 500"
is "$(ecode)" internal_error "fails: internal_error envelope"

http POST /api/lateroute/opentx --data ''
is "$R_status" 500 "handler leaving a transaction open -> 500"
is "$(ecode)" internal_error "opentx: internal_error envelope"
ok "opentx: rollback logged" oak_wait_log 'returned with a transaction open; rolled back' 5
http POST /api/example/greetings -H 'Content-Type: application/json' --data '{"name":"after","message":"opentx"}'
is "$R_status" 201 "the same worker accepts a write afterwards"
id3=$(jget id)
is "$(sql "$oak_db" "SELECT name FROM example_greetings WHERE id=$id3")" after "and that write is committed (no transaction left open)"
is "$(oak_workers)" "$worker" "the worker survived all of it (same pid)"

# ---- the access log -------------------------------------------------------------------------------
http GET '/api/example/greetings?limit=5&secret=hunter2'
is "$R_status" 200 "list with a query string -> 200"
rid=$(hdr X-Request-Id)
ok "access line: method, path, status, time, request id" \
    oak_wait_log "\\[info\\] \\[[0-9]+\\] access GET /api/example/greetings 200 [0-9.]+ms $rid\$" 5
nok "the query string is never logged" oak_log_has 'hunter2|limit=5'

# ---- oakseed down: nginx answers 502 with the envelope ----------------------------------------------
ok "oakseed stops" oak_stop
http GET /api/health
is "$R_status" 502 "oakseed down -> 502 from nginx"
is "$(ecode)" bad_gateway "502 envelope code bad_gateway"
is "$(jget request_id)" "$(hdr X-Request-Id)" "502 envelope request_id = X-Request-Id"
check_security_headers "nginx 502"

http GET /
is "$R_status" 200 "static pages still served without oakseed"

# ---- exactly what the shipped config sends over FastCGI ------------------------------------------------
# A tiny libfcgi program takes oakseed's place on the socket and answers
# with the params it received.
cat > "$oak_tmp/envdump.c" << 'EOF'
#include <fcgiapp.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
    FCGX_Request r;
    int s;

    if (argc != 2)
        return 2;
    umask(0);
    if (FCGX_Init() != 0 || (s = FCGX_OpenSocket(argv[1], 16)) < 0 ||
        FCGX_InitRequest(&r, s, 0) != 0)
        return 1;
    while (FCGX_Accept_r(&r) >= 0) {
        FCGX_FPrintF(r.out, "Content-Type: text/plain\r\n\r\n");
        for (char **e = r.envp; *e; e++)
            FCGX_FPrintF(r.out, "%s\n", *e);
        FCGX_Finish_r(&r);
    }
    return 0;
}
EOF
fcgi_flags=$("$PKG_CONFIG" --cflags --libs fcgi 2> /dev/null) || fcgi_flags=-lfcgi
run $CC -o "$oak_tmp/envdump" "$oak_tmp/envdump.c" $fcgi_flags
is "$rc" 0 "(built a FastCGI param dumper)"
rm -f "$oak_sock"
"$oak_tmp/envdump" "$oak_sock" > "$oak_tmp/log/envdump.out" 2>&1 < /dev/null &
oak_track "$!"
oak_wait 5 test -S "$oak_sock"
http POST '/api/dump/%E4%BD%A0?a=1&b=%20' -H 'Proxy: http://attacker.example:3128' \
    -H 'Host: evil.example' -H 'X-Test: yes' --data 'x=123'
is "$R_status" 200 "the param dumper answers through nginx"
params=$(body)
param() {
    printf '%s\n' "$params" | sed -n "s/^$1=//p"
}
is "$(param REQUEST_METHOD)" POST "REQUEST_METHOD"
is "$(param REQUEST_URI)" '/api/dump/%E4%BD%A0?a=1&b=%20' "REQUEST_URI is the raw request target"
is "$(param QUERY_STRING)" 'a=1&b=%20' "QUERY_STRING"
is "$(param CONTENT_TYPE)" application/x-www-form-urlencoded "CONTENT_TYPE"
is "$(param CONTENT_LENGTH)" 5 "CONTENT_LENGTH"
is "$(param REMOTE_ADDR)" 127.0.0.1 "REMOTE_ADDR"
is "$(param REQUEST_ID)" "$(hdr X-Request-Id)" "REQUEST_ID is the request id the client sees"
ok "REQUEST_ID is 32 hex digits" is_hex32 "$(param REQUEST_ID)"
is "$(param HTTP_PROXY)" "" "a client Proxy: header does not become HTTP_PROXY (httpoxy)"
unlike "$params" 'attacker\.example' "the Proxy: value is not passed under any name"
is "$(param HTTP_HOST)" evil.example "HTTP_HOST is nginx's \$host"
is "$(param HTTP_X_TEST)" yes "other request headers pass as HTTP_*"
unlike "$params" '^(HTTPS|SCRIPT_FILENAME|PATH_INFO|PATH_TRANSLATED)=' "no HTTPS on plain http, no SCRIPT_FILENAME/PATH_INFO"
is "$(printf '%s\n' "$params" | sed 's/=.*//' | sort | uniq -d | tr '\n' ' ')" "" "no param is sent twice"

done_testing
