#!/bin/sh
# bench/bench_bf16.sh [build-dir]: builds bench_bf16.c against the static
# library of an rnnkit build directory (default build, configured and built
# first if needed) and runs it on one thread: GFLOP/s of the bf16 product
# (core/bf16.c) against OpenBLAS's cblas_sgemm on rnnkit's shapes.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
build=${1:-build}
case $build in /*) ;; *) build=$src/$build ;; esac
bench_configure "$src" "$build"
cmake --build "$build" --target rnnkit_static -j2 >/dev/null
out=$build/bench_bf16
${CC:-cc} -O2 -std=c17 -Wall -Wextra -I"$src/include" -I"$src" "$src/bench/bench_bf16.c" \
    "$build/librnnkit.a" $(pkg-config --cflags --libs openblas libutf8proc sqlite3) -lm -lpthread -o "$out"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
OPENBLAS_NUM_THREADS=1 "$out"
