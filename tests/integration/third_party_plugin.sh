#!/bin/sh
# third_party_plugin.sh - the plugin author's path: `make install` into a
# DESTDIR, then build plugins outside the tree with nothing but the
# installed header and `pkg-config oakseed-plugin` (plugins/example/example.c
# and a fresh one written here), check that they export only the entry
# symbol and link against no core symbol, and run them in the installed
# oakseed.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/integration/lib.sh"

oak_require cgi-fcgi nm sqlite3

dest=$oak_tmp/dest
plug=$oak_tmp/plug
mkdir -p "$plug"

# ---- install -------------------------------------------------------------------
env -u MAKEFLAGS -u MFLAGS "$MAKE" -C "$top_builddir" install DESTDIR="$dest" \
    > "$oak_tmp/log/install.out" 2>&1
rc=$?
is "$rc" 0 "make install DESTDIR=... succeeds"
[ "$rc" = 0 ] || { diag "$(tail -n 20 "$oak_tmp/log/install.out")"; bail_out "make install failed"; }

pc=$(find "$dest" -name oakseed-plugin.pc)
is "$(printf '%s\n' "$pc" | grep -c .)" 1 "one oakseed-plugin.pc installed"
prefix=$(sed -n 's/^prefix=//p' "$pc")
like "$prefix" '^/' "the .pc names an absolute prefix ($prefix)"
root=$dest$prefix
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
pcq() {
    "$PKG_CONFIG" --define-variable=prefix="$root" "$@" oakseed-plugin
}
flags=$(pcq --cflags --libs)
is "$?" 0 "pkg-config oakseed-plugin works"
like "$flags" "-I$root/include" "cflags point at the installed include dir"
like "$flags" '-fvisibility=hidden' "cflags hide symbols by default"
is "$(pcq --variable=plugindir)" "$root/lib/oakseed/plugins" "pkg-config knows the plugin dir"
is "$(pcq --modversion)" "$("$OAKSEED" version | sed -n 's/^oakseed \([^ ]*\) .*/\1/p')" \
    "pkg-config version is the oakseed version"

header=$root/include/oakseed/plugin.h
ok "the header is installed" test -r "$header"
ok "it is the public header of the source tree" cmp "$header" "$top_srcdir/core/include/oakseed/plugin.h"
ok "installed oakseed binary" test -x "$root/bin/oakseed"
ok "installed example plugin" test -r "$root/lib/oakseed/plugins/example.so"

# ---- the header on its own -------------------------------------------------------------
printf '#include <oakseed/plugin.h>\nint main(void) { return OAK_ABI_MAJOR != 1; }\n' > "$oak_tmp/h.c"
for std in c99 c11 c17; do
    run $CC -std=$std -Wall -Wextra -Werror -Wpedantic $(pcq --cflags) -c -o "$oak_tmp/h.o" "$oak_tmp/h.c"
    is "$rc" 0 "the installed header compiles alone (-std=$std -Wall -Wextra -Werror -Wpedantic)"
    [ "$rc" = 0 ] || diag "$err"
done
if command -v c++ > /dev/null 2>&1; then
    cp "$oak_tmp/h.c" "$oak_tmp/h.cc"
    run c++ -Wall -Wextra -Werror $(pcq --cflags) -c -o "$oak_tmp/h.o" "$oak_tmp/h.cc"
    is "$rc" 0 "the installed header compiles as C++"
else
    skip "the installed header compiles as C++" "no C++ compiler"
fi

# ---- example.c built out of tree ---------------------------------------------------------------
# only_entry SO: exported (defined, dynamic) symbols are exactly oak_plugin_entry
exported() {
    nm -D --defined-only "$1" | awk '{ print $NF }' | sort | tr '\n' ' ' | sed 's/ $//'
}
core_refs() {
    nm -D --undefined-only "$1" | awk '{ print $NF }' | grep '^oak_' || true
}

run $CC -std=c11 -Wall -Wextra -Werror $flags -o "$plug/example.so" "$top_srcdir/plugins/example/example.c"
is "$rc" 0 "example.c builds out of tree with pkg-config flags and -Wall -Wextra -Werror"
is "$err" "" "without a single warning"
is "$(exported "$plug/example.so")" oak_plugin_entry "it exports only oak_plugin_entry"
is "$(core_refs "$plug/example.so")" "" "it needs no oak_* symbol from the core"
is "$(exported "$root/lib/oakseed/plugins/example.so")" oak_plugin_entry \
    "the installed example.so exports only oak_plugin_entry too"

# ---- a plugin written from scratch against the installed header ---------------------------------------
cat > "$oak_tmp/hello.c" << 'EOF'
/* A third-party plugin: one route, one config key, one table. */
#include <oakseed/plugin.h>

static const struct oak_host *H;

static const struct oak_migration hello_migrations[] = {
    { 1, "visits", "CREATE TABLE hello_visits (id INTEGER PRIMARY KEY, who TEXT NOT NULL);" },
    { 0, NULL, NULL }
};

static const struct oak_config_key hello_keys[] = {
    { "greeting", "你好", "what to say" },
    { NULL, NULL, NULL }
};

static int hello(oak_req *req, void *ud)
{
    oak_plugin_ctx *ctx = ud;
    struct oak_error err;
    oak_stmt *st;
    oak_json *o;
    long long n = 0;
    const char *who = H->req_param(req, "who");

    if (H->db_prepare("INSERT INTO hello_visits(who) VALUES (?1)", &st, &err) != OAK_OK)
        return OAK_ERROR;
    H->db_bind_text(st, 1, who, -1);
    if (H->db_step(st, &err) != OAK_DONE) {
        H->db_finish(st);
        return OAK_ERROR;
    }
    H->db_finish(st);
    if (H->db_prepare("SELECT count(*) FROM hello_visits WHERE who = ?1", &st, &err) != OAK_OK)
        return OAK_ERROR;
    H->db_bind_text(st, 1, who, -1);
    if (H->db_step(st, &err) == OAK_ROW)
        n = H->db_column_int(st, 0);
    H->db_finish(st);
    o = H->json_object();
    H->json_set(o, "greeting", H->json_string(H->config_get(ctx, "greeting")));
    H->json_set(o, "who", H->json_string(who));
    H->json_set(o, "visits", H->json_integer(n));
    return H->respond_json(req, 200, o);
}

static int hello_init(oak_plugin_ctx *ctx, const struct oak_host *host, struct oak_error *err)
{
    H = host;
    if (host->abi_major != OAK_ABI_MAJOR || host->size < sizeof *host)
        return err->code = OAK_ERROR;
    return host->route(ctx, "GET", "/api/hello/:who", OAK_PUBLIC, hello, ctx, err);
}

static const struct oak_plugin hello_plugin = {
    .abi_major = OAK_ABI_MAJOR,
    .abi_minor = OAK_ABI_MINOR,
    .name = "hello",
    .version = "0.1.0",
    .description = "third-party test plugin",
    .init = hello_init,
    .migrations = hello_migrations,
    .config_keys = hello_keys,
};

OAK_PLUGIN_EXPORT(hello_plugin)
EOF
run $CC -std=c11 -Wall -Wextra -Werror -Wpedantic $flags -o "$plug/hello.so" "$oak_tmp/hello.c"
is "$rc" 0 "a new plugin builds against the installed header alone"
[ "$rc" = 0 ] || diag "$err"
is "$(exported "$plug/hello.so")" oak_plugin_entry "it exports only oak_plugin_entry"

# ---- load them in the installed oakseed ----------------------------------------------------------
OAKSEED=$root/bin/oakseed
run "$OAKSEED" version
like "$out" '\(plugin ABI 1\.2\)$' "the installed oakseed runs"

oak_config "example, hello" "[plugins]
dir = $plug

[plugin.hello]
greeting = 欢迎"
run "$OAKSEED" routes -c "$oak_conf"
is "$rc" 0 "routes with the out-of-tree plugins"
like "$out" '^POST +/api/example/greetings +example +public$' "routes: example's POST"
like "$out" '^DELETE +/api/example/greetings/:id +example +example\.moderate$' "routes: example's DELETE with its permission"
like "$out" '^GET +/api/hello/:who +hello +public$' "routes: the new plugin's route"
run "$OAKSEED" check-config -c "$oak_conf"
is "$out" "configuration OK: 2 plugins, 14 routes" "check-config OK"

ok "the installed oakseed serves them" oak_start
fcgi GET /api/health
like "$(body)" '"plugins":\[\{"name":"example","version":"1\.0\.0"\},\{"name":"hello","version":"0\.1\.0"\}\]' \
    "health lists both plugins"
printf '{"name":"第三方","message":"树外构建"}' > "$oak_tmp/g.json"
fcgi POST /api/example/greetings "$oak_tmp/g.json" application/json
is "$R_status" 201 "out-of-tree example: POST -> 201"
fcgi GET "$(hdr Location)"
is "$R_status" 200 "out-of-tree example: GET it back -> 200"
is "$(jget message)" '树外构建' "out-of-tree example: same text"
fcgi GET /api/hello/%E5%B0%8F%E7%8E%8B
fcgi GET /api/hello/%E5%B0%8F%E7%8E%8B
is "$R_status" 200 "new plugin: GET /api/hello/:who -> 200"
is "$(jget who)" '小王' "new plugin: path parameter"
is "$(jget visits)" 2 "new plugin: its migration created its table, two visits counted"
is "$(jget greeting)" '欢迎' "new plugin: its [plugin.hello] key"
ok "server stops" oak_stop
is "$(sql "$oak_db" "SELECT count(*) FROM oak_migrations WHERE plugin='hello'")" 1 "hello's migration recorded"

done_testing
