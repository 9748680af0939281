#!/bin/sh
# bench/bench_lazy.sh: lazy embedding updates (--lazy-embedding) against the
# default dense optimiser step, side by side on the sentiment sets of
# ../shared/data: for each set, `classify train` with rnnkit's defaults,
# once dense and once lazy, one after the other in the same sitting; wall
# time, test accuracy (the ensemble and its first network), and the best
# validation accuracy of network 1 (from its training log).
#   sh bench/bench_lazy.sh [BUILD_DIR] [DATASETS...]   (default: mr sst2 imdb)
# OUT=DIR keeps the models (DIR/<set>-dense.db, DIR/<set>-lazy.db).
# THREADS as in bench/bench_classify.sh; model selection on --valid (dev
# split) where the set has one, else a seeded 10 % of train; the test
# split is read only by the final eval.
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
B=${1:-build}
shift 2>/dev/null || true
sets=${*:-mr sst2 imdb}
D=${RNNKIT_DATA:-../shared/data}
R=$B/rnnkit
bench_need_rnnkit
bench_need_data
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
tflag=""
[ -n "${THREADS:-}" ] && tflag="--threads $THREADS"
bench_header "# " . "rnnkit --threads ${THREADS:-default}; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
printf '%-8s %-6s %5s %9s %9s %11s %8s\n' "set" "step" "nets" "test" "1st net" "best valid" "time"
for s in $sets; do
    valid=""
    [ -f "$D/$s/dev.tsv" ] && valid="--valid $D/$s/dev.tsv"
    for mode in dense lazy; do
        flag=""
        [ $mode = lazy ] && flag="--lazy-embedding"
        m=$out/$s-$mode.db
        t0=$(date +%s.%N)
        # shellcheck disable=SC2086
        "$R" classify train --train "$D/$s/train.tsv" $valid -o "$m" --force $tflag $flag --quiet
        t1=$(date +%s.%N)
        acc=$("$R" classify eval -m "$m" "$D/$s/test.tsv" | awk -F'\t' '$1=="accuracy"{print $2}')
        acc1=$("$R" classify eval -m "$m" --member 1 "$D/$s/test.tsv" | awk -F'\t' '$1=="accuracy"{print $2}')
        nets=$(sqlite3 "$m" "select value from model_meta where key = 'members'")
        best=$(sqlite3 "$m" "select max(valid_acc) from training_log where member = 0" 2>/dev/null || echo "")
        printf '%-8s %-6s %5s %8.2f%% %8.2f%% %10s %7.0fs\n' "$s" "$mode" "${nets:-1}" \
            "$(echo "$acc * 100" | bc -l)" "$(echo "$acc1 * 100" | bc -l)" "${best:--}" "$(echo "$t1 - $t0" | bc -l)"
    done
done
