#!/bin/sh
# bench/bench_lstm.sh [build-dir] [iterations]: builds bench_lstm.c against
# the static library of an rnnkit build directory (default build-rnn, built
# first if needed) and runs it with 1 and 2 OpenBLAS threads.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
build=${1:-build-rnn}
iters=${2:-5}
case $build in /*) ;; *) build=$src/$build ;; esac
bench_configure "$src" "$build"
cmake --build "$build" --target rnnkit_static -j2 >/dev/null
out=$build/bench_lstm
${CC:-cc} -O2 -std=c17 -Wall -Wextra -I"$src/include" -I"$src" "$src/bench/bench_lstm.c" \
    "$build/librnnkit.a" $(pkg-config --cflags --libs openblas libutf8proc sqlite3) -lm -o "$out"
for n in 1 2; do
    OPENBLAS_NUM_THREADS=$n "$out" "$iters"
done
