#!/bin/sh
# Builds the libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined)
# and runs each for SECONDS (default 60), two at a time, starting from the
# seed corpus in tests/fuzz/corpus/<target>, on inputs of up to 8 KiB or
# the target's largest seed if larger (the model files' seeds are ~8-19 KB:
# a shorter -max_len would cut them). Fails if any target finds a
# crash, a leak, undefined behaviour, a timeout or an out-of-memory; the
# reproducer is left in build-fuzz/artifacts/. Prints executions per target.
#   sh scripts/fuzz.sh [SECONDS] [TARGET...]
#   targets: tokenizer corpus_tsv corpus_fasttext corpus_text corpus_dir model vocab safetensors csv
# A long run: sh scripts/fuzz.sh 3600 model
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-tokenizer corpus_tsv corpus_fasttext corpus_text corpus_dir model vocab safetensors csv}
sh scripts/install-deps.sh --fuzz
B=${BUILD_DIR:-build-fuzz}
cmake -S . -B "$B" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRNNKIT_FUZZ=ON \
    -DRNNKIT_TESTS=OFF >/dev/null
cmake --build "$B" -j2 >/dev/null
mkdir -p "$B/artifacts" "$B/work"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export OPENBLAS_NUM_THREADS=1
# max_len TARGET: 8192, or the size of the target's largest seed if larger.
max_len() {
    m=8192
    for f in "tests/fuzz/corpus/$1"/*; do
        [ -f "$f" ] || continue
        n=$(($(wc -c <"$f")))
        [ "$n" -le "$m" ] || m=$n
    done
    echo "$m"
}
run_one() {
    t=$1
    mkdir -p "$B/work/$t"
    # new inputs go to the work corpus; the committed seeds are read only
    if "$B/tests/fuzz/fuzz_$t" -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$B/artifacts/$t-" "$B/work/$t" "tests/fuzz/corpus/$t" \
        >"$B/work/$t.log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$B/work/$t.log")
        echo "fuzz_$t: ${runs:-?} executions in ${secs} s, no crash"
    else
        echo "fuzz_$t: FAILED (see $B/work/$t.log, reproducer in $B/artifacts/)"
        grep -m 5 -E "ERROR|SUMMARY|deadly" "$B/work/$t.log" || true
        return 1
    fi
}
status=0
set -- $targets
while [ $# -gt 0 ]; do
    run_one "$1" >"$B/work/result.a" &
    pa=$!
    pb=""
    if [ $# -gt 1 ]; then
        run_one "$2" >"$B/work/result.b" &
        pb=$!
    fi
    wait $pa || status=1
    cat "$B/work/result.a"
    if [ -n "$pb" ]; then
        wait $pb || status=1
        cat "$B/work/result.b"
        shift
    fi
    shift
done
exit $status
