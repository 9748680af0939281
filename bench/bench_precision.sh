#!/bin/sh
# bench/bench_precision.sh: rnnkit's bf16 products (--precision bf16,
# bench_train --bf16 1) against its fp32 ones and against PyTorch in both
# precisions, side by side in one run, on the rows of bench_vs_torch.sh
# that the products dominate.
#
#   sh bench/bench_precision.sh [BUILD_DIR]     (default build-perf)
#
# rnnkit: bench_train --threads n (OPENBLAS_NUM_THREADS=n), --bf16 0 and 1.
# PyTorch: bench/torch_side.py with malloc tuned (MALLOC_MMAP_MAX_=0,
# MALLOC_TRIM_THRESHOLD_=10^12); fp32 at intra-op 1 and OpenBLAS n (its
# fastest set-up on every training row of bench_vs_torch.sh's full grid,
# 2026-12-02); bf16 (`--autocast bf16`, torch.autocast on the CPU) at
# intra-op 1 / OpenBLAS n and at intra-op n / OpenBLAS 1 (its bf16 products
# go through oneDNN, which uses the intra-op threads), the faster counted.
# "PyTorch best" is the fastest of its three runs; every rate is the median
# of 3 rounds after a warm-up. Prints a Markdown table on stdout.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
build=${1:-$src/build-perf}
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
sh "$src/scripts/install-deps.sh" --ref >/dev/null
bench_configure "$src" "$build" -DRNNKIT_TESTS=OFF
cmake --build "$build" --target rnnkit_static -j2 >/dev/null
B=$build/bench_train
# shellcheck disable=SC2046
${CC:-cc} -O2 -std=c17 -Wall -Wextra -I"$src/include" "$src/bench/bench_train.c" \
    "$build/librnnkit.a" $(pkg-config --cflags --libs openblas libutf8proc sqlite3) -lm -o "$B"
cd "$src"
tuned="MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1000000000000"
rate() { sed -n 's/^result .*items_per_s=\([^ ]*\).*/\1/p'; }
rk() { # n bf16 mode args...
    n=$1 h=$2 mode=$3; shift 3
    OPENBLAS_NUM_THREADS=$n OMP_NUM_THREADS=$n "$B" "$mode" "$@" --threads "$n" --rounds 3 --bf16 "$h" 2>/dev/null | rate
}
pt() { # intra blas autocast mode n args...
    i=$1 b=$2 ac=$3 mode=$4 n=$5; shift 5
    # shellcheck disable=SC2086
    env $tuned OPENBLAS_NUM_THREADS="$b" OMP_NUM_THREADS="$i" /usr/bin/python3 bench/torch_side.py "$mode" "$@" \
        --threads "$n" --intra "$i" --blas "$b" --rounds 3 --autocast "$ac" 2>/dev/null | rate
}
row() { # label mode n args...
    label=$1 mode=$2 n=$3; shift 3
    f=$(rk "$n" 0 "$mode" "$@"); h=$(rk "$n" 1 "$mode" "$@")
    t32=$(pt 1 "$n" none "$mode" "$n" "$@")
    t16a=$(pt 1 "$n" bf16 "$mode" "$n" "$@")
    t16b=$t16a
    [ "$n" -eq 1 ] || t16b=$(pt "$n" 1 bf16 "$mode" "$n" "$@")
    awk -v l="$label" -v n="$n" -v f="$f" -v h="$h" -v t="$t32" -v a="$t16a" -v b="$t16b" 'BEGIN {
        bf = a > b ? a : b; how = a >= b ? "intra 1" : "intra " n
        best = t > bf ? t : bf; bw = t >= bf ? "fp32" : "bf16, " how
        printf "| %s | %d | %.0f | %.0f | %.2fx | %.0f | %.0f (%s) | %s | %.2fx | %.2fx |\n",
               l, n, f, h, h / f, t, bf, how, bw, f / best, h / best }'
}
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?');" \
    "$(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores; PyTorch" \
    "$(/usr/bin/python3 -c 'import torch; print(torch.__version__)');" \
    "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} (both sides); load $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| configuration | threads | rnnkit fp32 | rnnkit bf16 | bf16 / fp32 | PyTorch fp32 | PyTorch bf16 (autocast) | PyTorch best | rnnkit fp32 / PyTorch best | rnnkit bf16 / PyTorch best |"
echo "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|"
G2="--embed 64 --hidden 512 --layers 2"
for n in 2 1; do
    # shellcheck disable=SC2086
    row "gen train 2x512 B64 T100 (chars/s)" gen-train "$n" $G2 --batch 64 --len 100 --steps 2 --warm 1
    row "clf train bi B32 T80 (tokens/s)" clf-train "$n" --bi 1 --batch 32 --len 80 --steps 6 --warm 1
    row "clf train bi B64 T400 (tokens/s)" clf-train "$n" --bi 1 --batch 64 --len 400 --steps 1 --warm 1
    row "clf train uni B64 T80 (tokens/s)" clf-train "$n" --bi 0 --batch 64 --len 80 --steps 4 --warm 1
    row "scale H512 uni B64 T80 (tokens/s)" clf-train "$n" --bi 0 --hidden 512 --batch 64 --len 80 --steps 1 --warm 1
    row "clf infer bi B256 T80 (docs/s)" clf-infer "$n" --bi 1 --batch 256 --len 80 --steps 2 --warm 1
done
