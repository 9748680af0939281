#!/bin/sh
# End-to-end: the same model on any number of threads. Each task (a
# classifier ensemble of 2, a classifier with lazy embedding updates, a
# generator, a forecaster) is trained with
# --threads 1, 2 and 3 from the same seed, with shapes large enough that
# the products are cut into several blocks (core/pool.h), and every model
# tensor, exported to safetensors, must be byte-identical across the three;
# once with OpenBLAS's Haswell kernels (as the goldens) and once with the
# kernels OpenBLAS picks for this CPU. Also: the progress lines name the
# thread count once, and RNNKIT_THREADS sets it when --threads is absent;
# a sample drawn on 1, 2 and 3 threads is the same text; a run resumed on
# another thread count ends as an uninterrupted one.
# usage: threads.sh RNNKIT SOURCE_DIR
set -eu
R=$1
S=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export OPENBLAS_NUM_THREADS=1
fail() { echo "FAIL: $*" >&2; exit 1; }
D=$S/corpora/data
awk 'BEGIN { srand(3); printf "Date,Value\n";
             for (i = 0; i < 600; i++) printf "%d,%.6f\n", i, sin(2 * 3.14159265 * i / 24) + 0.1 * (rand() - 0.5) }' >"$T/series.csv"

train() { # train CORETYPE THREADS: the three models into $T/<coretype>-<threads>-*
    tag=$1-$2
    "$R" classify train --train "$D/sentiment/train.tsv" -o "$T/c$tag.db" --epochs 1 --ensemble 2 \
        --embed 32 --hidden 64 --batch 64 --seed 1 --bidirectional 1 --threads "$2" --quiet
    for k in 1 2; do
        "$R" export -m "$T/c$tag.db" --format safetensors --member $k "$T/c$tag.$k.safetensors"
    done
    "$R" classify train --train "$D/sentiment/train.tsv" -o "$T/l$tag.db" --epochs 2 --ensemble 1 --lazy-embedding \
        --embed 32 --hidden 64 --batch 16 --seed 1 --threads "$2" --quiet
    "$R" export -m "$T/l$tag.db" --format safetensors "$T/l$tag.safetensors"
    "$R" generate train --train "$D/text/verse.txt" -o "$T/g$tag.db" --hidden 96 --layers 2 \
        --batch 48 --seq-len 40 --steps 6 --seed 1 --threads "$2" --quiet
    "$R" export -m "$T/g$tag.db" --format safetensors "$T/g$tag.safetensors"
    "$R" forecast train --csv "$T/series.csv" --target Value -o "$T/f$tag.db" --epochs 2 --hidden 96 \
        --lookback 48 --batch 64 --seed 1 --threads "$2" --quiet
    "$R" export -m "$T/f$tag.db" --format safetensors "$T/f$tag.safetensors"
}

for ct in Haswell native; do
    if [ $ct = Haswell ]; then export OPENBLAS_CORETYPE=Haswell; else unset OPENBLAS_CORETYPE; fi
    for n in 1 2 3; do train $ct $n; done
    for f in c.1 c.2 l g f; do
        m=${f%%.*} k=${f#*.}
        [ "$k" = "$f" ] && k="" || k=.$k
        for n in 2 3; do
            cmp -s "$T/$m$ct-1$k.safetensors" "$T/$m$ct-$n$k.safetensors" ||
                fail "$f ($ct kernels): --threads $n gives other tensors than --threads 1"
        done
    done
done

# a run resumed on another thread count: a first part on 1 thread, --resume
# to the whole length on 2, against the whole run on 3 threads (the plateau
# schedule: a cosine is drawn over the run's length)
# resumed NAME "TASK FLAGS" LENGTH_FLAG FIRST WHOLE
resumed() {
    # shellcheck disable=SC2086
    "$R" $2 $3 "$4" --threads 1 -o "$T/$1-res.db"
    # shellcheck disable=SC2086
    "$R" $2 $3 "$5" --threads 2 -o "$T/$1-res.db" --resume
    # shellcheck disable=SC2086
    "$R" $2 $3 "$5" --threads 3 -o "$T/$1-whole.db"
    for f in res whole; do
        "$R" export -m "$T/$1-$f.db" --format safetensors "$T/$1-$f.safetensors"
    done
    cmp -s "$T/$1-res.safetensors" "$T/$1-whole.safetensors" ||
        fail "$1: $3 $4 on 1 thread + --resume to $5 on 2 differs from $5 on 3 threads"
}
resumed generator "generate train --train $D/text/verse.txt --hidden 96 --layers 2 --batch 48 --seq-len 40
    --seed 1 --lr-schedule plateau --quiet" --steps 3 6
# the same with lazy embedding updates
resumed lazy "classify train --train $D/sentiment/train.tsv --embed 32 --hidden 64 --batch 16 --seed 1
    --ensemble 1 --lazy-embedding --lr-schedule plateau --quiet" --epochs 1 2

# sampling too: the same text from the same model and seed on any thread
# count (hidden 512, so that the one-row products are split, core/pool.h)
"$R" generate train --train "$D/text/verse.txt" -o "$T/g512.db" --hidden 512 --layers 2 --batch 4 \
    --seq-len 10 --steps 1 --seed 1 --quiet
for n in 1 2 3; do
    RNNKIT_THREADS=$n "$R" generate sample -m "$T/g512.db" --prime "The " --length 200 --seed 3 \
        >"$T/sample$n.txt" || fail "generate sample on $n threads"
    if ! cmp -s "$T/sample1.txt" "$T/sample$n.txt"; then
        fail "generate sample: other text on $n threads than on 1"
    fi
done

# the thread count, once, on the progress lines; RNNKIT_THREADS without --threads
RNNKIT_THREADS=3 "$R" forecast train --csv "$T/series.csv" --target Value -o "$T/p.db" --epochs 2 \
    2>"$T/err" || fail "forecast train with RNNKIT_THREADS=3"
[ "$(grep -c 'thread' "$T/err")" -eq 1 ] || { cat "$T/err" >&2; fail "the thread count is not shown once"; }
grep -q "^training on 3 threads$" "$T/err" || { cat "$T/err" >&2; fail "RNNKIT_THREADS=3 not in force"; }
RNNKIT_THREADS=3 "$R" forecast train --csv "$T/series.csv" --target Value -o "$T/p.db" --epochs 1 \
    --threads 1 2>"$T/err" || fail "forecast train --threads 1"
grep -q "^training on 1 thread$" "$T/err" || { cat "$T/err" >&2; fail "--threads does not override RNNKIT_THREADS"; }
echo "threads: ok"
