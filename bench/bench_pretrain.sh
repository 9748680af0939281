#!/bin/sh
# bench/bench_pretrain.sh: language-model pretraining, then fine-tuning, on
# IMDB, from raw text to the test figures.
#
#   sh bench/bench_pretrain.sh [BUILD_DIR]
#
# Stages (each timed):
#   1. a word-level language model (`rnnkit generate train --level word`) on
#      IMDB's 50,000 unlabelled reviews (imdb/unsup.txt) and the texts of
#      its 25,000 training reviews (never the test texts); the last 0.2 % of
#      that text is its validation; its vocabulary (min count 2, at most
#      50,000 words) becomes the classifier's. With LM_BACKWARD=1 also a
#      model of the same text read backwards (--reverse).
#   2. the classifier with rnnkit's defaults on imdb/train.tsv (10 % held out
#      for model selection), started from the language model(s)
#      (--pretrained), and, unless BASELINE=0, the same from random weights;
#      accuracy on imdb/test.tsv.
#   3. unless FEW=0, the same two on 1,000 labelled reviews (a seeded,
#      balanced sample of train.tsv: 500 of each label).
# Settings (environment): LM_EPOCHS (default 1), LM_EMBED / LM_HIDDEN
# (default 128 / 128, the classifier's defaults: the classifier takes the
# language model's sizes), LM_SEQ (70), LM_BATCH (64), LM_FLAGS (more flags
# for `generate train`), CLF_FLAGS (more flags for `classify train`), THREADS.
# Prints a table: data set, labelled reviews, without and with pretraining,
# the language model's validation perplexity, and the time of each stage.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build=$src/$build ;; esac
D=${RNNKIT_DATA:-$src/../shared/data}
R=$build/rnnkit
[ -x "$R" ] || { echo "build rnnkit first (sh scripts/test.sh)" >&2; exit 1; }
[ -f "$D/imdb/unsup.txt" ] || { echo "no $D/imdb: this benchmark needs the shared data sets" >&2; exit 1; }
out=${OUT:-$build/bench-pretrain}
mkdir -p "$out"
threads=${THREADS:-}
tflag=""
[ -n "$threads" ] && tflag="--threads $threads"
E=${LM_EMBED:-128}
H=${LM_HIDDEN:-128}
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); commit $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?');" \
    "$(nproc) cores; --threads ${threads:-default}; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset};" \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# LM: embed $E, hidden $H, epochs ${LM_EPOCHS:-1}, seq ${LM_SEQ:-70}, batch ${LM_BATCH:-64}," \
    "flags '${LM_FLAGS:-}'; classifier flags '${CLF_FLAGS:-}'"

now() { date +%s; }
acc() { "$R" classify eval -m "$1" "$D/imdb/test.tsv" | awk -F'\t' '$1 == "accuracy" { printf "%.2f", $2 * 100 }'; }

# 1. language model(s)
cut -f2 "$D/imdb/train.tsv" >"$out/imdb-train-text.txt"
lm() { # lm NAME [--reverse]
    name=$1
    shift
    t0=$(now)
    # shellcheck disable=SC2086
    "$R" generate train --level word --train "$D/imdb/unsup.txt" --train "$out/imdb-train-text.txt" \
        --valid-frac 0.002 --embed "$E" --hidden "$H" --layers 1 --seq-len "${LM_SEQ:-70}" \
        --batch "${LM_BATCH:-64}" --steps 0 --epochs "${LM_EPOCHS:-1}" --eval-every 1000 \
        -o "$out/$name.db" --force $tflag ${LM_FLAGS:-} "$@" 2>"$out/$name.log"
    t1=$(now)
    ppl=$(awk '$1 == "step" && (b == "" || $9 < b) { b = $9 } END { printf "%.1f", exp(b) }' "$out/$name.log")
    echo "$name: $((t1 - t0)) s, best validation perplexity $ppl"
    grep -E '^rnnkit: [0-9]+ training' "$out/$name.log" || true
}
lm lm-forward
pre="--pretrained $out/lm-forward.db"
if [ "${LM_BACKWARD:-0}" = 1 ]; then
    lm lm-backward --reverse
    pre="$pre --pretrained-backward $out/lm-backward.db"
fi

# 2. and 3. classifiers
clf() { # clf NAME TRAIN [flags...]: prints accuracy and seconds
    name=$1
    train=$2
    shift 2
    t0=$(now)
    # shellcheck disable=SC2086
    "$R" classify train --train "$train" -o "$out/$name.db" --force --quiet $tflag ${CLF_FLAGS:-} "$@"
    t1=$(now)
    echo "$(acc "$out/$name.db") $((t1 - t0))"
}
row() { # row LABEL N TRAIN
    w=$(clf "$1-pre" "$3" $pre)
    b="- -"
    [ "${BASELINE:-1}" = 1 ] && b=$(clf "$1-base" "$3")
    printf '| %s | %s | %s %% (%s s) | %s %% (%s s) |\n' "$1" "$2" "${b% *}" "${b#* }" "${w% *}" "${w#* }"
}
echo
echo "| set | labelled | from random weights | pretrained |"
echo "|---|---|---|---|"
row imdb 22500 "$D/imdb/train.tsv"
if [ "${FEW:-1}" = 1 ]; then
    # 500 of each label, drawn with a fixed seed
    for l in pos neg; do
        awk -F'\t' -v l=$l '$1 == l' "$D/imdb/train.tsv" |
            /usr/bin/python3 -c 'import sys, random; r = sys.stdin.readlines(); random.Random(1).shuffle(r); sys.stdout.writelines(r[:500])'
    done >"$out/imdb-1000.tsv"
    row imdb-1000 900 "$out/imdb-1000.tsv"
fi
