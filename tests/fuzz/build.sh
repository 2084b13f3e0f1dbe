#!/bin/sh
# tests/fuzz/build.sh - build the libFuzzer targets (run by `make fuzz`).
#
# The core's sources are compiled with clang for coverage plus ASan and
# UBSan into tests/fuzz/obj/ of the build folder (recompiled when a source
# or any core header is newer), and each tests/fuzz/fuzz_<target>.c is
# linked with fuzz_util.c and -fsanitize=fuzzer into
# tests/fuzz/bin/fuzz_<target>. A registry_* target also gets the registry
# plugin's sources (compiled the same way into tests/fuzz/obj/registry/).
#
# Environment (set by Makefile.am): FUZZ_CC, srcdir, builddir, FUZZ_TARGETS,
# CORE_SOURCES (the liboakcore sources, .h included), REGISTRY_SOURCES (the
# registry plugin's), DEP_CFLAGS, DEP_LIBS, PLUGINDIR, VERSION.
set -eu
: "${FUZZ_CC:=}" "${srcdir:?}" "${builddir:?}" "${FUZZ_TARGETS:?}" "${CORE_SOURCES:?}"
: "${REGISTRY_SOURCES:=}"
if [ -z "$FUZZ_CC" ]; then
    echo "make fuzz: no clang found by configure (On Debian 12: apt-get install clang libclang-rt-14-dev)" >&2
    exit 1
fi
obj=$builddir/tests/fuzz/obj
bin=$builddir/tests/fuzz/bin
mkdir -p "$obj" "$bin"
flags="-g -O1 -std=c11 -D_GNU_SOURCE -fno-omit-frame-pointer
-fsanitize=address,undefined -fno-sanitize-recover=undefined
-I$srcdir/core/include -I$srcdir/core -DOAK_PLUGINDIR=\"${PLUGINDIR:-/nonexistent}\"
-DPACKAGE_VERSION=\"${VERSION:-0}\" ${DEP_CFLAGS:-}"

# newest header: any change recompiles everything (simple and safe)
newest=$(ls -t "$srcdir"/core/*.h "$srcdir"/core/include/oakseed/*.h "$srcdir"/tests/fuzz/*.h \
    "$srcdir"/plugins/registry/*.h | head -n 1)
jobs=$(nproc 2> /dev/null || echo 2)
pids=
n=0

# compile SOURCES (.c only) into DIR; the objects' paths go to $objs
compile() {
    dir=$1
    shift
    objs=
    mkdir -p "$dir"
    for s in "$@"; do
        case $s in
        *.c) ;;
        *) continue ;;
        esac
        o=$dir/$(basename "$s" .c).o
        objs="$objs $o"
        if [ ! -f "$o" ] || [ "$srcdir/$s" -nt "$o" ] || [ "$newest" -nt "$o" ]; then
            echo "  FUZZCC   $s"
            # shellcheck disable=SC2086
            $FUZZ_CC $flags $extra -fsanitize=fuzzer-no-link -c "$srcdir/$s" -o "$o" &
            pids="$pids $!"
            n=$((n + 1))
            if [ "$n" -ge "$jobs" ]; then
                for p in $pids; do wait "$p"; done
                pids=
                n=0
            fi
        fi
    done
    for p in $pids; do wait "$p"; done
    pids=
    n=0
}

extra=
# shellcheck disable=SC2086
compile "$obj" $CORE_SOURCES
rm -f "$obj/liboakcore-fuzz.a"
# shellcheck disable=SC2086
ar rcs "$obj/liboakcore-fuzz.a" $objs

registry_objs=
case " $FUZZ_TARGETS " in
*" registry_"*)
    extra="-I$srcdir/plugins/registry"
    # shellcheck disable=SC2086
    compile "$obj/registry" $REGISTRY_SOURCES
    registry_objs=$objs
    ;;
esac

for t in $FUZZ_TARGETS; do
    extra=
    more=
    case $t in
    registry_*)
        extra="-I$srcdir/plugins/registry"
        more=$registry_objs
        ;;
    esac
    echo "  FUZZLD   tests/fuzz/bin/fuzz_$t"
    # shellcheck disable=SC2086
    $FUZZ_CC $flags $extra -fsanitize=fuzzer "$srcdir/tests/fuzz/fuzz_$t.c" \
        "$srcdir/tests/fuzz/fuzz_util.c" -o "$bin/fuzz_$t" $more \
        "$obj/liboakcore-fuzz.a" ${DEP_LIBS:-} -ldl
done
