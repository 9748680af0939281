#!/bin/sh
# fastText at its best on the sentiment splits rnnkit is measured on: its own
# hyper-parameter search (`fasttext supervised -autotune-validation`) on the
# validation data of the same kind rnnkit selects its model on (the dev
# split where the set has one, else a seeded 10 % of train, which fastText
# then does not train on: not the same lines rnnkit holds out, the same
# share), then the test split. Prints the accuracy and the settings
# autotune chose (from `fasttext dump ... args`).
#   sh bench/bench_fasttext.sh [DATASETS...]      (mr sst2 chnsenticorp imdb)
#   FT_SECONDS  autotune budget per data set (default 300, fastText's own)
#   THREADS     fastText threads (default 2: the machine's cores)
# Text is lower-cased for fastText (MR and SST-2 are already; IMDB and the
# Chinese set are left as they are apart from that), labels as __label__X.
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
sets=${*:-mr sst2 chnsenticorp imdb}
D=${RNNKIT_DATA:-../shared/data}
bench_need_data
sh scripts/install-deps.sh --ref
command -v fasttext >/dev/null 2>&1 || { echo "fasttext is not installed" >&2; exit 1; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
secs=${FT_SECONDS:-300}
threads=${THREADS:-2}
echo "fastText $(dpkg-query -W -f '${Version}' fasttext 2>/dev/null || echo '?'), -autotune-duration $secs," \
    "-thread $threads, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}, $(date -u '+%Y-%m-%d %H:%M UTC')"
ft_lines() { awk -F'\t' '{ print "__label__" $1 " " tolower($2) }' "$1"; }
for s in $sets; do
    if [ -f "$D/$s/dev.tsv" ]; then
        ft_lines "$D/$s/train.tsv" >"$T/train.ft"
        ft_lines "$D/$s/dev.tsv" >"$T/valid.ft"
        how="dev split"
    else
        # a seeded 10 % of train (awk's srand(1): the same lines every run)
        ft_lines "$D/$s/train.tsv" | awk -v f="$T" 'BEGIN { srand(1) }
            { if (rand() < 0.1) print > (f "/valid.ft"); else print > (f "/train.ft") }'
        how="seeded 10 % of train"
    fi
    ft_lines "$D/$s/test.tsv" >"$T/test.ft"
    t0=$(date +%s)
    fasttext supervised -input "$T/train.ft" -output "$T/m" -autotune-validation "$T/valid.ft" \
        -autotune-duration "$secs" -thread "$threads" -verbose 0 >/dev/null 2>&1
    t1=$(date +%s)
    acc=$(fasttext test "$T/m.bin" "$T/test.ft" | awk '$1=="P@1"{print $2}')
    args=$(fasttext dump "$T/m.bin" args 2>/dev/null | awk 'NF == 2 && $1 ~ /^(dim|epoch|lr|wordNgrams|minCount|bucket|dsub|loss|minn|maxn)$/ { printf "%s %s  ", $1, $2 }')
    printf '%-13s test accuracy %6.2f %%  (autotuned on the %s in %d s)  %s\n' "$s" "$(echo "$acc * 100" | bc -l)" \
        "$how" "$((t1 - t0))" "$args"
done
