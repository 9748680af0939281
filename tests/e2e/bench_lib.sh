#!/bin/sh
# End-to-end: the helpers bench/*.sh source from bench/lib.sh, without
# running a benchmark: the rnnkit and data checks exit 1 with their
# messages (and pass when the thing is there), bench_configure configures a
# new build folder and leaves a configured one alone, the header line has
# its fields in order, and the awk function val() reads rnnkit's JSONL
# progress as the time-to-accuracy curves need.
# usage: bench_lib.sh RNNKIT SOURCE_DIR
set -eu
RNNKIT=$1
S=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck source=bench/lib.sh
. "$S/bench/lib.sh"

# the checks: exit 1 and the message, or nothing
rc=0
(R=$T/none; bench_need_rnnkit) 2>"$T/err" || rc=$?
[ "$rc" -eq 1 ] || fail "bench_need_rnnkit without rnnkit: exit $rc"
grep -qx "build rnnkit first (sh scripts/test.sh)" "$T/err" || fail "bench_need_rnnkit: $(cat "$T/err")"
(R=$RNNKIT; bench_need_rnnkit) >"$T/out" 2>&1 || fail "bench_need_rnnkit with $RNNKIT: $(cat "$T/out")"
rc=0
(D=$T/none; bench_need_data) 2>"$T/err" || rc=$?
[ "$rc" -eq 1 ] || fail "bench_need_data without data: exit $rc"
grep -qx "no $T/none: this benchmark needs the shared data sets" "$T/err" || fail "bench_need_data: $(cat "$T/err")"
(D=$S/corpora/data; bench_need_data) >"$T/out" 2>&1 || fail "bench_need_data with data: $(cat "$T/out")"
[ ! -s "$T/out" ] || fail "a passing check printed: $(cat "$T/out")"

# bench_configure: a Release configuration of a new folder, with the
# arguments given; a configured folder is left as it is
if command -v cmake >/dev/null 2>&1; then
    mkdir "$T/src"
    cat >"$T/src/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.13)
project(t NONE)
set(x "${BENCH_LIB_X}")
CMAKE
    bench_configure "$T/src" "$T/b" -DBENCH_LIB_X=1 >"$T/out" 2>&1 || fail "bench_configure: $(cat "$T/out")"
    grep -q '^CMAKE_BUILD_TYPE:[A-Z]*=Release$' "$T/b/CMakeCache.txt" || fail "bench_configure: not Release"
    grep -q '^BENCH_LIB_X:[A-Z]*=1$' "$T/b/CMakeCache.txt" || fail "bench_configure: arguments not passed"
    [ ! -s "$T/out" ] || fail "bench_configure printed: $(cat "$T/out")"
    cp "$T/b/CMakeCache.txt" "$T/cache"
    bench_configure "$T/src" "$T/b" -DBENCH_LIB_X=2
    cmp -s "$T/cache" "$T/b/CMakeCache.txt" || fail "bench_configure changed a configured folder"
fi

# the header: prefix, date, commit, cores, the script's part, load
h=$(bench_header "# " "$T" "--threads 3; OPENBLAS_CORETYPE=x")
want='^# [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} UTC; commit \?; [0-9]+ cores; '
want=$want'--threads 3; OPENBLAS_CORETYPE=x; load [0-9.]+ [0-9.]+ [0-9.]+$'
echo "$h" | grep -Eq "$want" || fail "bench_header: '$h'"

# val(): keys of a JSONL line as written, "" when absent
got=$(printf '%s\n' '{"event":"eval","step":10,"elapsed_s":1.5e-05,"valid_acc":null,"improved":true}' |
    awk "$bench_awk_val"'{ n = split("event step elapsed_s valid_acc improved nope", k, " ")
                              for (i = 1; i <= n; i++) printf "%s|", val(k[i]); print "" }')
[ "$got" = '"eval"|10|1.5e-05|null|true||' ] || fail "val(): '$got'"
echo "bench_lib: ok"
