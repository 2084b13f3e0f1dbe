#!/bin/sh
# tests/fuzz/run.sh - run every libFuzzer target for a bounded time (run by
# `make fuzz-run`; tools/check runs it in CI). One line per target:
# "PASS: fuzz <target> ..." or "FAIL: fuzz <target> ...".
#
# Each target starts from its seed corpus, tests/fuzz/corpus/<target>/
# (read only), with tests/fuzz/<target>.dict when there is one, and keeps
# what it finds in tests/fuzz/work/<target>/ of the build folder. A crash
# leaves its input in tests/fuzz/artifacts/: fix the core, then copy the
# input into the seed corpus as a regression test.
#
#   FUZZ_SECONDS   seconds per target (default 60)
#   FUZZ_TARGETS   which targets (default: all)
#   FUZZ_FLAGS     more libFuzzer flags, e.g. -jobs=2 -workers=2
set -u
: "${srcdir:?}" "${builddir:?}" "${FUZZ_TARGETS:?}"
seconds=${FUZZ_SECONDS:-60}
bin=$builddir/tests/fuzz/bin
failed=0
mkdir -p "$builddir/tests/fuzz/artifacts"
for t in $FUZZ_TARGETS; do
    work=$builddir/tests/fuzz/work/$t
    log=$builddir/tests/fuzz/fuzz_$t.log
    mkdir -p "$work"
    dict=
    [ -f "$srcdir/tests/fuzz/$t.dict" ] && dict=-dict=$srcdir/tests/fuzz/$t.dict
    # ASan's leak check runs on every input (libFuzzer's -detect_leaks);
    # UBSan findings abort, so libFuzzer keeps them as crashes
    # shellcheck disable=SC2086
    ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1} \
    timeout $((seconds + 120)) "$bin/fuzz_$t" -max_total_time="$seconds" -timeout=20 \
        -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
        -artifact_prefix="$builddir/tests/fuzz/artifacts/$t-" $dict ${FUZZ_FLAGS:-} \
        "$work" "$srcdir/tests/fuzz/corpus/$t" > "$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ "$rc" = 0 ]; then
        echo "PASS: fuzz $t (${runs:-?} inputs in ${seconds}s)"
    else
        failed=$((failed + 1))
        echo "FAIL: fuzz $t (exit $rc; see $log)"
        grep -E 'ERROR:|runtime error|property violated|Test unit written' "$log" | head -n 10
        sed -n '/^==[0-9]*==ERROR/,/^SUMMARY/p' "$log" | head -n 40
    fi
done
[ "$failed" = 0 ]
