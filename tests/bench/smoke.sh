#!/bin/sh
# smoke.sh - tests/bench/run.sh in smoke mode (a second per case, one
# round, a small peer database) under make check: proves the harness
# builds its set-up and every case answers; timings are never asserted.
OAK_BENCH_SMOKE=1
OAK_BENCH_OUT=${OAK_BENCH_OUT:-/dev/null}
export OAK_BENCH_SMOKE OAK_BENCH_OUT
exec "${SHELL:-/bin/sh}" "${top_srcdir:-$(dirname "$0")/../..}/tests/bench/run.sh"
