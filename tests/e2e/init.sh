#!/bin/sh
# End-to-end: `classify train --init OLD.db` (continued training), on small
# corpora written here (three labels, each with its own words):
#  (a) on OLD's own data, --init OLD --epochs N equals --resume of a copy of
#      OLD to E+N epochs bit for bit (weights, best weights, Adam moments,
#      counters, log; both schedules; also from a run killed mid-epoch);
#  (b) on new data whose labels are a subset (even one label) the model
#      carries on: its weights change, epochs and steps are numbered on, and
#      predictions work; a label the model lacks fails naming file:line and
#      label; an ensemble carries every network on;
#  (c) kill -9 during an --init run (a single network, an ensemble), then
#      the same command with --resume (or --resume alone with --epochs E+N),
#      equals the uninterrupted run bit for bit;
#  (d) usage errors (flags that shape the model, another seed or batch,
#      --folds, -o OLD.db) and bad OLD files (missing, not a model, corrupt,
#      a generator, no checkpoint, an ensemble still in training) fail
#      naming what is wrong and leave no NEW.db; OLD.db is never written.
# usage: init.sh RNNKIT SOURCE_DIR
# shellcheck disable=SC2086 # $D, $M, $N: lists of flags
set -eu
R=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1

# corpus NAME SEED DOCS LABELS...: label<TAB>text lines; a document has a
# few words of its label and some shared noise
corpus() {
    name=$1 seed=$2 n=$3
    shift 3
    awk -v seed="$seed" -v n="$n" -v labels="$*" 'BEGIN {
        srand(seed); k = split(labels, L, " ")
        for (i = 0; i < n; i++) {
            l = L[int(rand() * k) + 1]; s = ""
            for (j = 0; j < 4 + int(rand() * 8); j++)
                s = s " " (rand() < 0.4 ? l "_" int(rand() * 5) : "w" int(rand() * 30))
            print l "\t" substr(s, 2)
        }
    }' >"$T/$name"
}
corpus old.tsv 1 400 red green blue
corpus oldv.tsv 2 80 red green blue
corpus new.tsv 3 250 red green
corpus newv.tsv 4 60 red green
corpus one.tsv 5 120 blue

# Everything training leaves in a model file but the clock and
# epochs_before (which a run from --init records and a resume does not).
digest() {
    sqlite3 "$1" "select name, fnv1a64 from checkpoint order by name;
        select name, fnv1a64 from optim_state order by name;
        select name, fnv1a64 from tensors order by name;
        select key, value from train_state where key not in ('elapsed', 'epochs_before') order by key;
        select member, epoch, step, train_loss, train_acc, valid_loss, valid_acc, lr from training_log
            order by rowid" | md5sum
}
weights() { sqlite3 "$1" "select group_concat(fnv1a64) from (select fnv1a64 from tensors order by name)"; }
state() { sqlite3 "$1" "select value from train_state where key = '$2'"; }
expect_rc() { # expect_rc CODE PATTERN cmd...
    want=$1 pat=$2
    shift 2
    set +e
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    set -e
    [ "$rc" -eq "$want" ] || fail "exit $rc, want $want: $* ($(cat "$T/err"))"
    grep -q -- "$pat" "$T/err" || fail "stderr lacks '$pat': $* ($(cat "$T/err"))"
}
# killed_at K cmd...: runs cmd with the kill -9 hook at its K-th step; it must die of it
killed_at() {
    k=$1
    shift
    RNNKIT_FAULT_KILL_STEP=$k "$@" >/dev/null 2>&1 &
    set +e
    wait $! 2>/dev/null
    rc=$?
    set -e
    [ "$rc" -eq 137 ] || fail "the kill hook at step $k: exit $rc, want 137: $*"
}

M="--embed 16 --hidden 16 --ensemble 1 --batch 16"
D="--train $T/old.tsv --valid $T/oldv.tsv -q"
N="--train $T/new.tsv --valid $T/newv.tsv -q"
"$R" classify train $D $M --epochs 3 -o "$T/old.db"
"$R" classify train $D $M --epochs 3 --lr-schedule plateau --lr-decay 0.5 --patience 0 -o "$T/oldp.db"
"$R" classify train $D $M --epochs 2 --embed 8 --hidden 8 --ensemble 3 -o "$T/ens.db"
old_sum=$(sha256sum "$T/old.db" "$T/oldp.db" "$T/ens.db")

# --- (a) the same data: --init == --resume of a copy, bit for bit
cp "$T/old.db" "$T/x.db"
"$R" classify train $D --epochs 5 --resume -o "$T/x.db"
"$R" classify train $D --init "$T/old.db" --epochs 2 -o "$T/new.db"
[ "$(digest "$T/x.db")" = "$(digest "$T/new.db")" ] || fail "same data: --init differs from --resume"
"$R" export -m "$T/x.db" --format safetensors "$T/x.st"
"$R" export -m "$T/new.db" --format safetensors "$T/new.st"
cmp -s "$T/x.st" "$T/new.st" || fail "same data: the exports differ"
[ "$(state "$T/new.db" epochs_before)" = 3 ] || fail "epochs_before is not 3"
[ "$(sqlite3 "$T/new.db" "select max(epoch) from training_log")" = 5 ] || fail "the log does not reach epoch 5"
cp "$T/oldp.db" "$T/xp.db"
"$R" classify train $D --epochs 6 --lr-schedule plateau --lr-decay 0.5 --patience 0 --resume -o "$T/xp.db"
"$R" classify train $D --init "$T/oldp.db" --epochs 3 --lr-schedule plateau --lr-decay 0.5 --patience 0 \
    -o "$T/newp.db"
[ "$(digest "$T/xp.db")" = "$(digest "$T/newp.db")" ] || fail "same data, plateau: --init differs from --resume"
# from a run killed in the middle of an epoch (its second of three)
killed_at 37 "$R" classify train $D $M --epochs 3 --checkpoint-steps 4 -o "$T/mid.db"
[ "$(state "$T/mid.db" batch_index)" != 0 ] || fail "the killed run's checkpoint is not mid-epoch"
cp "$T/mid.db" "$T/xm.db"
"$R" classify train $D --epochs 4 --resume -o "$T/xm.db"
"$R" classify train $D --init "$T/mid.db" --epochs 3 -o "$T/newm.db"
[ "$(digest "$T/xm.db")" = "$(digest "$T/newm.db")" ] || fail "same data, mid-epoch: --init differs from --resume"
echo "ok (a) same data: --init OLD --epochs N == --resume of a copy to E+N, bit for bit (cosine, plateau, mid-epoch)"

# --- (b) new data
"$R" classify train $N --init "$T/old.db" --epochs 3 -o "$T/n.db"
[ "$(weights "$T/n.db")" != "$(weights "$T/old.db")" ] || fail "new data: the weights did not change"
[ "$(sqlite3 "$T/n.db" "select group_concat(epoch) from training_log")" = 1,2,3,4,5,6 ] ||
    fail "new data: log epochs $(sqlite3 "$T/n.db" "select group_concat(epoch) from training_log")"
s0=$(state "$T/old.db" step)
[ "$(state "$T/n.db" origin_step)" = "$s0" ] || fail "new data: the data's epochs do not begin at step $s0"
nb=$(((250 + 15) / 16)) # batches of an epoch of new.tsv
[ "$(state "$T/n.db" step)" = $((s0 + 3 * nb)) ] || fail "new data: step $(state "$T/n.db" step), want $((s0 + 3 * nb))"
[ "$(sqlite3 "$T/n.db" "select count(*) from labels")" = 3 ] || fail "new data: the labels changed"
"$R" classify eval -m "$T/n.db" "$T/newv.tsv" | grep -q '^accuracy' || fail "new data: eval"
echo "red_1 red_2 w3" | "$R" classify predict -m "$T/n.db" - | grep -q red || fail "new data: predict"
"$R" classify train --train "$T/one.tsv" -q --init "$T/old.db" --epochs 1 -o "$T/one.db"
[ "$(weights "$T/one.db")" != "$(weights "$T/old.db")" ] || fail "one label: the weights did not change"
printf 'red\tred_1 w2\npurple\tw3 w4\n' >"$T/unk.tsv"
expect_rc 1 "unk.tsv:2.*'purple'" "$R" classify train --train "$T/unk.tsv" -q --init "$T/old.db" -o "$T/u.db"
[ ! -e "$T/u.db" ] || fail "an unknown label left a model behind"
printf 'red\tred_1 w2\npurple\tw3 w4\n' >"$T/unkv.tsv"
expect_rc 1 "unkv.tsv:2.*'purple'" "$R" classify train $N --valid "$T/unkv.tsv" --init "$T/old.db" -o "$T/u.db"
# an ensemble: every network carries on, all of them predict meanwhile
"$R" classify train $N --init "$T/ens.db" --epochs 2 -o "$T/e.db"
for k in 0 1 2; do
    a=$(sqlite3 "$T/ens.db" "select group_concat(fnv1a64) from (select fnv1a64 from tensors where name like 'member$k.%' or ($k = 0 and name not like 'member%') order by name)")
    b=$(sqlite3 "$T/e.db" "select group_concat(fnv1a64) from (select fnv1a64 from tensors where name like 'member$k.%' or ($k = 0 and name not like 'member%') order by name)")
    [ "$a" != "$b" ] || fail "ensemble: network $((k + 1)) did not change"
done
[ "$(sqlite3 "$T/e.db" "select count(*) from training_log where epoch > 2")" = 6 ] || fail "ensemble: not 3 x 2 new rows"
[ "$(sqlite3 "$T/e.db" "select value from model_meta where key = 'members_ready'")" = 3 ] || fail "ensemble: members_ready"
echo "ok (b) new data: a label subset (or one label) carries on, epochs and steps numbered on; an unknown label names file:line; an ensemble carries every network on"

# --- (c) kill -9 during an --init run, then --resume
"$R" classify train $N --init "$T/old.db" --epochs 4 --checkpoint-steps 3 -o "$T/ku.db"
killed_at 23 "$R" classify train $N --init "$T/old.db" --epochs 4 --checkpoint-steps 3 -o "$T/k.db"
ks=$(state "$T/k.db" step)
{ [ "$ks" -gt "$s0" ] && [ "$ks" -lt $((s0 + 23)) ]; } || fail "kill: checkpoint at step $ks, not in ($s0, $((s0 + 23)))"
"$R" classify train $N --init "$T/old.db" --epochs 4 --checkpoint-steps 3 -o "$T/k.db" --resume
[ "$(digest "$T/ku.db")" = "$(digest "$T/k.db")" ] || fail "kill: the same command + --resume differs"
killed_at 40 "$R" classify train $N --init "$T/old.db" --epochs 4 --checkpoint-steps 3 -o "$T/k2.db"
"$R" classify train $N --epochs 7 --checkpoint-steps 3 -o "$T/k2.db" --resume
[ "$(digest "$T/ku.db")" = "$(digest "$T/k2.db")" ] || fail "kill: --resume --epochs E+N differs"
"$R" classify train $N --init "$T/ens.db" --epochs 2 --checkpoint-steps 3 -o "$T/eu.db"
killed_at $((2 * 2 * nb + 11)) "$R" classify train $N --init "$T/ens.db" --epochs 2 --checkpoint-steps 3 -o "$T/ek.db"
[ "$(state "$T/ek.db" member)" = 2 ] || fail "ensemble kill: not in the third network"
[ "$(sqlite3 "$T/ek.db" "select value from model_meta where key = 'members_ready'")" = 3 ] ||
    fail "ensemble kill: a network is left out of predictions"
"$R" classify predict -m "$T/ek.db" "$T/newv.tsv" >/dev/null || fail "ensemble kill: the file does not predict"
"$R" classify train $N --init "$T/ens.db" --epochs 2 --checkpoint-steps 3 -o "$T/ek.db" --resume
[ "$(digest "$T/eu.db")" = "$(digest "$T/ek.db")" ] || fail "ensemble kill: --resume differs"
echo "ok (c) kill -9 mid --init run (one network, an ensemble) + --resume == uninterrupted, bit for bit"

# --- (d) usage errors and bad OLD files
for flag in "--hidden 8" "--cell gru" "--ensemble 2" "--maxlen 10" "--dropout 0.1" "--vocab $T/old.db" \
    "--level char" "--min-count 1" "--pretrained $T/old.db"; do
    # shellcheck disable=SC2086
    expect_rc 2 "${flag%% *}: with --init" "$R" classify train $N --init "$T/old.db" -o "$T/d.db" $flag
done
expect_rc 2 "seed 5.*old.db.*seed 1" "$R" classify train $N --init "$T/old.db" -o "$T/d.db" --seed 5
expect_rc 2 "batch 8.*old.db.*batch 16" "$R" classify train $N --init "$T/old.db" -o "$T/d.db" --batch 8
expect_rc 2 "--folds" "$R" classify train $N --init "$T/old.db" --folds 3
expect_rc 1 "is the input" "$R" classify train $N --init "$T/old.db" -o "$T/old.db"
expect_rc 1 "is the input" "$R" classify train $N --init "$T/old.db" -o "$T/old.db" --force
expect_rc 1 "missing.db" "$R" classify train $N --init "$T/missing.db" -o "$T/d.db"
printf 'not a database at all' >"$T/junk.db"
expect_rc 1 "junk.db: not an rnnkit model" "$R" classify train $N --init "$T/junk.db" -o "$T/d.db"
cp "$T/old.db" "$T/bad.db"
sqlite3 "$T/bad.db" "update checkpoint set fnv1a64 = '0000000000000000' where name = 'weights'"
expect_rc 1 "bad.db.*checksum" "$R" classify train $N --init "$T/bad.db" -o "$T/d.db"
"$R" generate train --train "$T/old.tsv" -o "$T/gen.db" --hidden 8 --layers 1 --embed 4 --batch 2 --seq-len 8 \
    --steps 2 -q
expect_rc 1 "gen.db: this is a generator model" "$R" classify train $N --init "$T/gen.db" -o "$T/d.db"
"$R" export -m "$T/old.db" --format safetensors "$T/old.st"
"$R" import --format safetensors "$T/old.st" --vocab "$T/old.db" -o "$T/imp.db" 2>/dev/null
expect_rc 1 "imp.db: holds no checkpoint" "$R" classify train $N --init "$T/imp.db" -o "$T/d.db"
killed_at 60 "$R" classify train $D --embed 8 --hidden 8 --ensemble 3 --epochs 2 --checkpoint-steps 5 -o "$T/eun.db"
expect_rc 1 "eun.db: the ensemble is still in training" "$R" classify train $N --init "$T/eun.db" -o "$T/d.db"
[ ! -e "$T/d.db" ] || fail "a refused --init left a model behind"
[ "$(sha256sum "$T/old.db" "$T/oldp.db" "$T/ens.db")" = "$old_sum" ] || fail "an --init input was written"
echo "ok (d) usage errors exit 2, bad OLD files exit 1 naming them, no NEW.db left, OLD.db never written"
