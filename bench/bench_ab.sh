#!/bin/sh
# bench/bench_ab.sh: two builds of rnnkit's side of bench/bench_vs_torch.sh
# (bench/bench_train.c linked against two librnnkit.a), row by row, run
# alternately (base, new, base, new, ...) so that both see the same load.
# The rows are bench_vs_torch.sh's plan, read from that script.
# usage: sh bench/bench_ab.sh BASE_BENCH_TRAIN NEW_BENCH_TRAIN [THREADS [RUNS]]
# AB_FLAGS: more bench_train options for every run of both sides (for
# example "--bf16 1" for the bf16 products); AB_ROWS: an extended regular
# expression, only the rows whose label matches (default all).
# Prints the load, OPENBLAS_CORETYPE, every run's items/s, then the best
# run per side and new/base for each row.
set -eu
n=${3:-2} runs=${4:-3}
here=$(dirname "$0")
G2="--embed 64 --hidden 512 --layers 2"
plan=$(sed -n '/^plan="\\$/,/"$/p' "$here/bench_vs_torch.sh" | sed '1d; s/"$//' | sed "s/\$G2/$G2/" |
    grep -E "^[^|]*(${AB_ROWS:-.})")
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); load $(cut -d' ' -f1-3 /proc/loadavg);" \
    "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; --threads $n; $runs runs per side, 3 rounds each (median);" \
    "AB_FLAGS='${AB_FLAGS:-}'"
printf '%s\n' "$plan" | while IFS='|' read -r label mode args _task; do
    i=0
    while [ $i -lt "$runs" ]; do
        for side in base new; do
            if [ $side = base ]; then b=$1; else b=$2; fi
            # shellcheck disable=SC2086
            v=$(OPENBLAS_NUM_THREADS=$n "$b" "$mode" $args ${AB_FLAGS:-} --threads "$n" --rounds 3 2>/dev/null |
                sed -n 's/.*items_per_s=\([0-9.]*\).*/\1/p')
            echo "$label|$side|$v" | tee -a "$raw"
        done
        i=$((i + 1))
    done
done
echo
echo "| row | base (best) | new (best) | new/base |"
echo "|---|---:|---:|---:|"
awk -F'|' '{ k = $1; if (!(k in seen)) { seen[k] = 1; order[++m] = k }
             if ($3 + 0 > best[k, $2]) best[k, $2] = $3 + 0 }
     END { for (i = 1; i <= m; i++) { k = order[i]
           printf "| %s | %.0f | %.0f | %.2fx |\n", k, best[k, "base"], best[k, "new"],
                  best[k, "new"] / best[k, "base"] } }' "$raw"
