#!/bin/sh
# End-to-end: SIGKILL at random moments never costs a model. 20 times: start
# a training run that checkpoints every few steps, kill -9 it at a random
# point (often in the middle of a checkpoint's transaction), then check that
# the file passes SQLite's integrity check and opens as a model, resume it
# with --resume to the end, and check that the finished model equals an
# uninterrupted run bit for bit. Generator and classifier runs alternate.
# usage: kill.sh RNNKIT SOURCE_DIR [ROUNDS]   (default 20, or $RNNKIT_KILL_ROUNDS)
set -eu
R=$1
S=$2
ROUNDS=${3:-${RNNKIT_KILL_ROUNDS:-20}}
TXT=$S/corpora/data/text/verse.txt
TSV=$S/corpora/data/sentiment/train.tsv
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1

digest() {
    sqlite3 "$1" "select name, fnv1a64 from checkpoint order by name;
        select name, fnv1a64 from optim_state order by name;
        select name, fnv1a64 from tensors order by name;
        select key, value from train_state where key not in ('elapsed') order by key" | md5sum
}
wait_for() { w=0; while [ ! -s "$1" ] && [ $w -lt 750 ]; do sleep 0.02; w=$((w + 1)); done; }

G="generate train --train $TXT --hidden 48 --embed 16 --layers 2 --batch 16 --seq-len 32 --eval-every 40 --steps 200 --checkpoint-steps 3 -q"
C="classify train --train $TSV --embed 32 --hidden 32 --patience 0 --epochs 4 --checkpoint-steps 3 -q --ensemble 2"
# shellcheck disable=SC2086
"$R" $G -o "$T/gref.db"
# shellcheck disable=SC2086
"$R" $C -o "$T/cref.db"
gref=$(digest "$T/gref.db")
cref=$(digest "$T/cref.db")

killed=0 late=0 i=1
while [ $i -le "$ROUNDS" ]; do
    if [ $((i % 2)) -eq 1 ]; then kind=generate args=$G ref=$gref; else kind=classify args=$C ref=$cref; fi
    m=$T/m$i.db
    # shellcheck disable=SC2086
    "$R" $args -o "$m" &
    pid=$!
    wait_for "$m"
    delay=$(awk -v s="$i$$" 'BEGIN { srand(s); printf "%.3f", rand() * 0.9 }')
    sleep "$delay"
    if kill -9 $pid 2>/dev/null; then killed=$((killed + 1)); else late=$((late + 1)); fi
    wait $pid 2>/dev/null || true
    if [ ! -e "$m" ]; then # killed before the first checkpoint: nothing to resume
        # shellcheck disable=SC2086
        "$R" $args -o "$m"
        [ "$(digest "$m")" = "$ref" ] || fail "round $i: fresh run differs"
        echo "ok round $i: killed before the first checkpoint; no file left, a fresh run is exact"
        rm -f "$m" "$m-wal" "$m-shm"
        i=$((i + 1))
        continue
    fi
    [ "$(sqlite3 "$m" 'pragma integrity_check')" = ok ] || fail "round $i: integrity check failed"
    step=$(sqlite3 "$m" "select value from train_state where key = 'step'")
    if [ $kind = generate ]; then
        "$R" generate eval -m "$m" "$TXT" >/dev/null || fail "round $i: killed model does not open"
    else
        echo "a fine film" | "$R" classify predict -m "$m" - >/dev/null || fail "round $i: killed model does not open"
    fi
    # shellcheck disable=SC2086
    "$R" $args -o "$m" --resume 2>"$T/err" || fail "round $i: resume failed: $(cat "$T/err")"
    [ "$(digest "$m")" = "$ref" ] || fail "round $i ($kind, killed after ${delay}s at step $step): resumed model differs"
    echo "ok round $i: $kind killed after ${delay}s at checkpoint step $step; opened, resumed, equal to the uninterrupted run"
    rm -f "$m" "$m-wal" "$m-shm"
    i=$((i + 1))
done
echo "ok $ROUNDS rounds ($killed killed mid-run, $late finished first): all models valid and exact"
