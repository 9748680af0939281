#!/bin/sh
# Sentiment accuracy of rnnkit's defaults on ../shared/data, beside fastText
# (Debian package `fasttext`, default settings, wordNgrams 2) on the same splits.
#   sh bench/bench_classify.sh [BUILD_DIR] [DATASETS...]
#   DATASETS: any of mr sst2 chnsenticorp imdb (default: all four)
# rnnkit: default flags; model selection on --valid (dev split) where the
# data set has one, else on a seeded 10 % of train. Test split never seen
# before the final eval. The defaults make small sets an ensemble
# (--ensemble auto); the "1st net" column is the ensemble's first network
# alone (`classify eval --member 1`), which is what --ensemble 1 trains.
# THREADS, when set, is passed as --threads (default: rnnkit's own, all the
# cores this process may use); the models, hence the accuracies, are the
# same on any thread count, only the times change.
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
sh scripts/install-deps.sh --ref
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
threads=${THREADS:-}
tflag=""
[ -n "$threads" ] && tflag="--threads $threads"
bench_header "# " . "rnnkit --threads ${threads:-default}; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
printf '%-14s %5s %10s %10s %10s %12s %14s\n' "data set" "nets" "rnnkit" "1st net" "fastText" "rnnkit time" \
    "fastText time"
for s in $sets; do
    valid=""
    [ -f "$D/$s/dev.tsv" ] && valid="--valid $D/$s/dev.tsv"
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$R" classify train --train "$D/$s/train.tsv" $valid -o "$T/$s.db" $tflag --quiet
    t1=$(date +%s.%N)
    acc=$("$R" classify eval -m "$T/$s.db" "$D/$s/test.tsv" | awk -F'\t' '$1=="accuracy"{print $2}')
    acc1=$("$R" classify eval -m "$T/$s.db" --member 1 "$D/$s/test.tsv" | awk -F'\t' '$1=="accuracy"{print $2}')
    nets=$(sqlite3 "$T/$s.db" "select value from model_meta where key = 'members'")
    for split in train test; do
        awk -F'\t' '{print "__label__" $1 " " $2}' "$D/$s/$split.tsv" >"$T/$s.$split.ft"
    done
    t2=$(date +%s.%N)
    fasttext supervised -input "$T/$s.train.ft" -output "$T/$s.ft" -wordNgrams 2 -thread "${threads:-$(nproc)}" -verbose 0 >/dev/null
    t3=$(date +%s.%N)
    ft=$(fasttext test "$T/$s.ft.bin" "$T/$s.test.ft" | awk '$1=="P@1"{print $2}')
    printf '%-14s %5s %9.2f%% %9.2f%% %9.2f%% %11.0fs %13.1fs\n' "$s" "${nets:-1}" "$(echo "$acc * 100" | bc -l)" \
        "$(echo "$acc1 * 100" | bc -l)" "$(echo "$ft * 100" | bc -l)" "$(echo "$t1 - $t0" | bc -l)" \
        "$(echo "$t3 - $t2" | bc -l)"
done
