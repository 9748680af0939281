#!/bin/sh
# bench/bench_int8.sh: int8 prediction against fp32 on the sentiment test
# sets: rnnkit's default classifier per data set (trained here, or reused
# from MODELS/SET.db when it exists), then its test accuracy in fp32, with
# int8 weights in memory (`classify eval --int8`) and from an int8 model
# file (`rnnkit export --quantize int8`), and both files' sizes.
#
#   sh bench/bench_int8.sh [BUILD_DIR] [SET ...]   (default: build, mr sst2 chnsenticorp imdb)
#   MODELS=DIR keeps the trained models there (default: a temporary dir)
#
# Needs ../shared/data (RNNKIT_DATA overrides). The fp32 models are those of
# bench/bench_classify.sh (the same command, so the same bits on the same
# machine kind and OPENBLAS_CORETYPE). The int8 file also rounds the
# embedding and layer 0's input weights, which --int8 keeps in fp32; the
# "changed" column counts test documents whose predicted label differs from
# fp32's.
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
B=${1:-build}
shift 2>/dev/null || true
sets=${*:-mr sst2 chnsenticorp imdb}
D=${RNNKIT_DATA:-../shared/data}
R=$B/rnnkit
bench_need_rnnkit
bench_need_data
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
M=${MODELS:-$T}
mkdir -p "$M"
vnni=$(grep -q avx512_vnni /proc/cpuinfo && echo yes || echo no)
bench_header "# " . "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; VNNI: $vnni"
echo
echo "| data set | fp32 | --int8 (in memory) | int8 file | labels changed (int8 file vs fp32) | fp32 file (with training state) | fp32 weights | int8 file | int8 weights | int8 / fp32 weights |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
acc() { awk -F'\t' '$1=="accuracy"{printf "%.2f %%", 100 * $2}'; }
for s in $sets; do
    if [ ! -f "$M/$s.db" ]; then
        valid=""
        [ -f "$D/$s/dev.tsv" ] && valid="--valid $D/$s/dev.tsv"
        # shellcheck disable=SC2086
        "$R" classify train --train "$D/$s/train.tsv" $valid -o "$M/$s.db" --quiet
    fi
    "$R" export -m "$M/$s.db" --quantize int8 "$T/$s-int8.db" >"$T/$s.sizes"
    cut -f2 "$D/$s/test.tsv" >"$T/$s.txt"
    a32=$("$R" classify eval -m "$M/$s.db" "$D/$s/test.tsv" | acc)
    a8m=$("$R" classify eval -m "$M/$s.db" --int8 "$D/$s/test.tsv" | acc)
    a8f=$("$R" classify eval -m "$T/$s-int8.db" "$D/$s/test.tsv" | acc)
    "$R" classify predict -m "$M/$s.db" - <"$T/$s.txt" | cut -f2 >"$T/$s.p32"
    "$R" classify predict -m "$T/$s-int8.db" - <"$T/$s.txt" | cut -f2 >"$T/$s.p8"
    changed=$(paste "$T/$s.p32" "$T/$s.p8" | awk -F'\t' '$1 != $2 { n++ } END { print n + 0 }')
    n=$(wc -l <"$D/$s/test.tsv")
    f32=$(wc -c <"$M/$s.db")
    f8=$(wc -c <"$T/$s-int8.db")
    w32=$(sqlite3 "$M/$s.db" 'select sum(length(data)) from tensors')
    w8=$(sqlite3 "$T/$s-int8.db" 'select sum(length(data)) from tensors')
    printf '| %s | %s | %s | %s | %s of %s | %s | %s | %s | %s | %s |\n' "$s" "$a32" "$a8m" "$a8f" "$changed" "$n" \
        "$f32" "$w32" "$f8" "$w8" "$(awk -v a="$w8" -v b="$w32" 'BEGIN{printf "%.1f %%", 100 * a / b}')"
done
