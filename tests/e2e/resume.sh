#!/bin/sh
# End-to-end: checkpoints and exact resume (one BLAS thread, as ctest runs it).
#  - generator: N steps, then --resume to N+M, equals an uninterrupted N+M run
#    bit for bit (model tensors, checkpoint weights and best weights, Adam
#    moments, carried state, counters);
#  - generator: SIGINT at a random moment exits 130 with a resume hint;
#    --resume then finishes with the same bits; SIGTERM exits 143;
#  - classifier: E epochs then --resume, and SIGINT mid-epoch then --resume,
#    equal the uninterrupted run;
#  - NaN in the loss at step K: exit 1 naming step K; the file still opens,
#    holds the checkpoint before K, and resumes to the uninterrupted result;
#  - a model file being trained can be read (eval, sample) at the same time;
#  - --resume refuses other data, another seed, a file without a checkpoint,
#    and the other task's checkpoint.
# usage: resume.sh RNNKIT SOURCE_DIR
set -eu
R=$1
S=$2
TXT=$S/corpora/data/text/verse.txt
TSV=$S/corpora/data/sentiment/train.tsv
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1

# Everything training leaves in a model file, except wall-clock times and
# the log row of an extra evaluation that ends a run off the --eval-every
# schedule (the resumed run keeps that row: it happened).
digest() {
    sqlite3 "$1" "select name, fnv1a64 from checkpoint order by name;
        select name, fnv1a64 from optim_state order by name;
        select name, fnv1a64 from tensors order by name;
        select key, value from train_state where key not in ('elapsed') order by key;
        select epoch, step, train_loss, valid_loss from training_log
            where train_acc is not null or step % 50 = 0 order by rowid" | md5sum
}
# stop_rc SIGNAL PID: sends the signal, waits; the exit status in rc. The
# run may have ended (and the shell reaped it) before the signal: kill then
# fails, and wait still gives the run's own status (0).
stop_rc() { kill -"$1" "$2" 2>/dev/null || true; set +e; wait "$2"; rc=$?; set -e; }
ckpt_step() { sqlite3 "$1" "select value from train_state where key = 'step'"; }
# A random delay in [lo, hi) seconds.
rand_delay() { awk -v lo="$1" -v hi="$2" -v s="$$$(date +%N)" 'BEGIN { srand(s % 100000); printf "%.3f", lo + rand() * (hi - lo) }'; }
wait_for() { w=0; while [ ! -s "$1" ] && [ $w -lt 1500 ]; do sleep 0.02; w=$((w + 1)); done; } # up to 30 s: a loaded machine

G="--train $TXT --hidden 64 --embed 16 --layers 2 --batch 16 --seq-len 32 --eval-every 50 -q"

# --- generator: stop at N (a finished run), extend to N+M. The plateau
# schedule: the cosine one is shaped by --steps, so a longer run differs
# from its first N steps (the interrupted runs below use the cosine).
"$R" generate train $G --lr-schedule plateau --steps 300 -o "$T/full.db"
"$R" generate train $G --lr-schedule plateau --steps 130 -o "$T/part.db"
[ "$(ckpt_step "$T/part.db")" = 130 ] || fail "the 130-step run checkpointed step $(ckpt_step "$T/part.db")"
"$R" generate train $G --lr-schedule plateau --steps 300 -o "$T/part.db" --resume
[ "$(digest "$T/full.db")" = "$(digest "$T/part.db")" ] || fail "generator: 130 + resume to 300 differs from 300"
echo "ok generator: 130 steps + --resume to 300 == 300 steps, bit for bit"
"$R" generate train $G --steps 300 -o "$T/fullc.db"

# --- generator: SIGINT at a random moment, read while training (1,000
# steps, about 2 s on one thread: the signal lands inside the run; 300
# took 0.7 s, less than the delay plus the reads before the signal)
"$R" generate train $G --steps 1000 -o "$T/fulli.db"
"$R" generate train $G --steps 1000 -o "$T/int.db" 2>"$T/int.err" &
pid=$!
wait_for "$T/int.db"
sleep "$(rand_delay 0.1 0.5)"
"$R" generate eval -m "$T/int.db" "$TXT" >/dev/null || fail "a model being trained cannot be read"
"$R" generate sample -m "$T/int.db" --length 20 >/dev/null || fail "a model being trained cannot be sampled"
stop_rc INT $pid
if [ $rc -eq 0 ]; then
    echo "note: training finished before SIGINT arrived" >&2
else
    [ $rc -eq 130 ] || fail "SIGINT: exit $rc, want 130: $(cat "$T/int.err")"
    grep -q -- "--resume" "$T/int.err" || fail "SIGINT: no resume hint: $(cat "$T/int.err")"
    echo "ok SIGINT at step $(ckpt_step "$T/int.db"): exit 130"
    "$R" generate train $G --steps 1000 -o "$T/int.db" --resume
fi
[ "$(digest "$T/fulli.db")" = "$(digest "$T/int.db")" ] || fail "generator: SIGINT + resume differs from the uninterrupted run"
echo "ok generator: SIGINT + --resume == uninterrupted, bit for bit"

"$R" generate train $G --steps 1000 -o "$T/term.db" 2>"$T/term.err" &
pid=$!
wait_for "$T/term.db"
sleep 0.2
stop_rc TERM $pid
[ $rc -eq 143 ] || [ $rc -eq 0 ] || fail "SIGTERM: exit $rc, want 143"
echo "ok SIGTERM: exit $rc"

# --- NaN at step 77: the checkpoint before it is intact and resumes exactly
set +e
RNNKIT_FAULT_NAN_STEP=77 "$R" generate train $G --steps 300 --checkpoint-steps 10 -o "$T/nan.db" 2>"$T/nan.err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "NaN: exit $rc, want 1"
grep -q "step 77" "$T/nan.err" || fail "NaN: the error does not name step 77: $(cat "$T/nan.err")"
[ "$(ckpt_step "$T/nan.db")" = 70 ] || fail "NaN: checkpoint at step $(ckpt_step "$T/nan.db"), want 70"
"$R" generate eval -m "$T/nan.db" "$TXT" >/dev/null || fail "NaN: the model file does not open"
"$R" generate train $G --steps 300 -o "$T/nan.db" --resume
[ "$(digest "$T/fullc.db")" = "$(digest "$T/nan.db")" ] || fail "NaN: resumed run differs"
echo "ok NaN at step 77: error names it, checkpoint 70 intact, resume exact"

# --- classifier: epochs, then resume; SIGINT mid-epoch, then resume
C="--train $TSV --embed 32 --hidden 32 --patience 0 --checkpoint-steps 5 -q --ensemble 1 --lr-schedule plateau"
"$R" classify train $C --epochs 12 -o "$T/cfull.db"
"$R" classify train $C --epochs 5 -o "$T/cpart.db"
"$R" classify train $C --epochs 12 -o "$T/cpart.db" --resume
[ "$(digest "$T/cfull.db")" = "$(digest "$T/cpart.db")" ] || fail "classifier: 5 + resume to 12 epochs differs from 12"
echo "ok classifier: 5 epochs + --resume to 12 == 12 epochs, bit for bit"
"$R" classify train $C --epochs 12 -o "$T/cint.db" 2>"$T/cint.err" &
pid=$!
wait_for "$T/cint.db"
sleep "$(rand_delay 0.05 0.4)"
"$R" classify predict -m "$T/cint.db" - </dev/null >/dev/null || fail "a classifier being trained cannot be read"
stop_rc INT $pid
if [ $rc -ne 0 ]; then
    [ $rc -eq 130 ] || fail "classifier SIGINT: exit $rc: $(cat "$T/cint.err")"
    echo "ok classifier SIGINT at step $(ckpt_step "$T/cint.db") (batch $(sqlite3 "$T/cint.db" "select value from train_state where key='batch_index'") of its epoch)"
    "$R" classify train $C --epochs 12 -o "$T/cint.db" --resume
fi
[ "$(digest "$T/cfull.db")" = "$(digest "$T/cint.db")" ] || fail "classifier: SIGINT + resume differs"
echo "ok classifier: SIGINT + --resume == uninterrupted, bit for bit"

# --- an ensemble: SIGINT inside a later member, then resume; a finished one is not extended
E="--train $TSV --embed 16 --hidden 16 --patience 0 --epochs 3 --checkpoint-steps 5 -q --ensemble 3"
"$R" classify train $E -o "$T/efull.db"
[ "$(sqlite3 "$T/efull.db" "select count(distinct member) from training_log")" = 3 ] || fail "ensemble log lacks members"
"$R" classify train $E -o "$T/eint.db" 2>"$T/eint.err" &
pid=$!
w=0 # wait until the second member has started
while [ "$(sqlite3 "$T/eint.db" "select value from train_state where key='member'" 2>/dev/null)" != 1 ] && [ $w -lt 1500 ]; do
    sleep 0.02
    w=$((w + 1))
done
stop_rc INT $pid
if [ $rc -ne 0 ]; then
    [ $rc -eq 130 ] || fail "ensemble SIGINT: exit $rc: $(cat "$T/eint.err")"
    member=$(sqlite3 "$T/eint.db" "select value from train_state where key='member'")
    ready=$(sqlite3 "$T/eint.db" "select value from model_meta where key='members_ready'")
    [ "$ready" = $((member + 1)) ] || fail "ensemble: member $member in training, $ready ready"
    "$R" classify predict -m "$T/eint.db" - </dev/null >/dev/null || fail "an interrupted ensemble cannot be read"
    echo "ok ensemble SIGINT in member $((member + 1)) of 3 at step $(ckpt_step "$T/eint.db")"
    "$R" classify train $E -o "$T/eint.db" --resume
fi
[ "$(digest "$T/efull.db")" = "$(digest "$T/eint.db")" ] || fail "ensemble: SIGINT + resume differs"
echo "ok ensemble: SIGINT + --resume == uninterrupted, bit for bit"
set +e
"$R" classify train $(echo "$E" | sed 's/--epochs 3/--epochs 4/') -o "$T/eint.db" --resume 2>"$T/err"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q "finished" "$T/err" || fail "extending a finished ensemble: exit $rc: $(cat "$T/err")"

# --- what --resume refuses
head -n 300 "$TSV" >"$T/other.tsv"
expect_fail() { # expect_fail PATTERN COMMAND...
    pat=$1
    shift
    set +e
    "$@" >/dev/null 2>"$T/err"
    rc=$?
    set -e
    [ $rc -ne 0 ] || fail "succeeded: $*"
    grep -q -- "$pat" "$T/err" || fail "'$pat' not in: $(cat "$T/err")"
}
cp "$T/cpart.db" "$T/c2.db"
expect_fail "data differ" "$R" classify train --train "$T/other.tsv" --epochs 13 -q -o "$T/c2.db" --resume
expect_fail "seed" "$R" classify train $C --epochs 13 --seed 9 -o "$T/c2.db" --resume
expect_fail "generator" "$R" classify train $C --epochs 13 -o "$T/part.db" --resume
expect_fail "no such file\|cannot open" "$R" generate train $G --steps 5 -o "$T/missing.db" --resume
cp "$T/part.db" "$T/nock.db"
sqlite3 "$T/nock.db" "delete from train_state; delete from checkpoint"
expect_fail "no checkpoint" "$R" generate train $G --steps 5 -o "$T/nock.db" --resume
echo "ok --resume refuses other data, another seed, the other task, a missing file, no checkpoint"
