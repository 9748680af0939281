#!/bin/sh
# End-to-end: `rnnkit generate` learns a short repeated text well enough that
# --argmax from its start reproduces it; samples are valid UTF-8 (also for
# Chinese); the same --seed gives the same text, another seed another.
# usage: generate.sh RNNKIT SOURCE_DIR
set -eu
R=$1
S=$2
D=$S/corpora/data/text
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Memorise a short text.
"$R" generate train --train "$D/repeat.txt" -o "$T/rep.db" --hidden 96 --layers 1 --embed 16 \
    --batch 8 --seq-len 48 --steps 400 --lr 0.01 --dropout 0 --valid-frac 0 --quiet
unit=$(head -c 2000 "$D/repeat.txt")
seed=$(printf '%s' "$unit" | head -c 40)
"$R" generate sample -m "$T/rep.db" --prime "$seed" --argmax --length 120 >"$T/out"
want=$(printf '%s' "$unit" | head -c 120)
got=$(head -c 120 "$T/out")
[ "$got" = "$want" ] || { printf 'want: %s\ngot:  %s\n' "$want" "$got" >&2; fail "argmax did not reproduce the text"; }

# Chinese: samples are valid UTF-8, same seed same text, other seed differs.
"$R" generate train --train "$D/poems_zh.txt" -o "$T/zh.db" --hidden 64 --layers 1 --embed 16 \
    --batch 8 --seq-len 32 --steps 60 --quiet
"$R" generate sample -m "$T/zh.db" --prime "春" --length 200 --seed 5 >"$T/a"
"$R" generate sample -m "$T/zh.db" --prime "春" --length 200 --seed 5 >"$T/b"
"$R" generate sample -m "$T/zh.db" --prime "春" --length 200 --seed 6 >"$T/c"
iconv -f UTF-8 -t UTF-8 "$T/a" >/dev/null || fail "sample is not valid UTF-8"
cmp -s "$T/a" "$T/b" || fail "same --seed gave different text"
! cmp -s "$T/a" "$T/c" || fail "different --seed gave the same text"
"$R" generate eval -m "$T/zh.db" "$D/poems_zh.txt" | grep -q "^bpc" || fail "eval prints bpc"

# An ensemble: training ends with its validation loss beside each network's;
# eval of the whole is below the mean of its networks' (the mean probability
# of a token is at least the geometric mean); --member N picks one; the
# classifier's --ensemble auto and a network past the last are refused.
"$R" generate train --train "$D/poems_zh.txt" -o "$T/ens.db" --hidden 32 --layers 1 --embed 8 \
    --batch 8 --seq-len 16 --steps 40 --eval-every 20 --ensemble 2 2>"$T/ens.log"
grep -q "^rnnkit: the ensemble of 2 networks: validation loss [0-9.]* nats/char (each alone, at its best: [0-9.]* [0-9.]*)" \
    "$T/ens.log" || fail "ensemble training's last line: $(tail -n 2 "$T/ens.log")"
e0=$("$R" generate eval -m "$T/ens.db" "$D/poems_zh.txt" | awk '$1 == "loss" { print $2 }')
e1=$("$R" generate eval -m "$T/ens.db" --member 1 "$D/poems_zh.txt" | awk '$1 == "loss" { print $2 }')
e2=$("$R" generate eval -m "$T/ens.db" --member 2 "$D/poems_zh.txt" | awk '$1 == "loss" { print $2 }')
awk -v e="$e0" -v a="$e1" -v b="$e2" 'BEGIN { exit !(a != b && e < (a + b) / 2) }' ||
    fail "ensemble eval $e0, networks $e1 $e2"
"$R" generate sample -m "$T/ens.db" --prime "春" --length 50 --seed 5 >"$T/a"
"$R" generate sample -m "$T/ens.db" --prime "春" --length 50 --seed 5 --member 2 >"$T/b"
iconv -f UTF-8 -t UTF-8 "$T/a" >/dev/null || fail "ensemble sample is not valid UTF-8"
! cmp -s "$T/a" "$T/b" || fail "the ensemble samples as its second network alone"
set +e
"$R" generate eval -m "$T/ens.db" --member 3 "$D/poems_zh.txt" >/dev/null 2>"$T/err"; rc=$?
[ "$rc" -eq 1 ] && grep -q -- "--member 3" "$T/err" || fail "--member 3 of 2: rc $rc"
"$R" generate train --train "$D/poems_zh.txt" -o "$T/auto.db" --ensemble auto >/dev/null 2>"$T/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q -- "--ensemble auto" "$T/err" || fail "--ensemble auto: rc $rc"
set -e

# The default schedule: the rate of step s is 0.5 lr (1 + cos(pi (s-1) / steps)),
# what each evaluation's log row records; --lr-schedule plateau halves it
# only at evaluations without a new best.
"$R" generate train --train "$D/poems_zh.txt" -o "$T/cos.db" --hidden 32 --layers 1 --embed 8 \
    --batch 8 --seq-len 16 --steps 60 --eval-every 20 --lr 0.004 --quiet
sqlite3 "$T/cos.db" "select step, lr from training_log order by step" | awk -F'|' '
    { want = 0.5 * 0.004 * (1 + cos(3.14159265358979 * ($1 - 1) / 60)); n++
      if ($2 - want > 1e-9 || want - $2 > 1e-9) { print "step " $1 ": lr " $2 ", want " want; bad = 1 } }
    END { if (n != 3) { print n " rows, want 3"; bad = 1 } exit bad }' || fail "cosine schedule"
"$R" generate train --train "$D/poems_zh.txt" -o "$T/plat.db" --hidden 32 --layers 1 --embed 8 \
    --batch 8 --seq-len 16 --steps 60 --eval-every 20 --lr 0.004 --lr-schedule plateau --quiet
sqlite3 "$T/plat.db" "select lr from training_log order by step limit 1" | awk '{ exit !($1 > 0.0039999 && $1 < 0.0040001) }' ||
    fail "plateau schedule starts at --lr"

# An unknown seed character: error with the character and position, or skipped.
set +e
"$R" generate sample -m "$T/zh.db" --prime "春Ω" --length 5 >/dev/null 2>"$T/err"; rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "position 2" "$T/err" || fail "unknown seed character: rc $rc"
"$R" generate sample -m "$T/zh.db" --prime "春Ω" --unknown skip --length 5 >/dev/null || fail "--unknown skip"

# --prime is the text to continue, --seed the random seed: the old spellings
# are usage errors that name the new ones.
set +e
"$R" generate sample -m "$T/zh.db" --rng-seed 5 >/dev/null 2>"$T/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q -- "--rng-seed is now --seed" "$T/err" || fail "--rng-seed: rc $rc"
"$R" generate train --text "$D/repeat.txt" -o "$T/x.db" 2>"$T/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q -- "^rnnkit: --text is now --train$" "$T/err" || fail "generate train --text: rc $rc"
"$R" generate sample -m "$T/zh.db" --seed "春" >/dev/null 2>"$T/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q -- "the text to continue is now --prime" "$T/err" || fail "--seed TEXT: rc $rc"
[ "$(wc -l <"$T/err")" -le 3 ] || fail "a usage error printed the whole help"
set -e
"$R" generate sample -m "$T/zh.db" --prime "春" --length 3 --seed 5 | head -c 3 | grep -q "春" || fail "--prime is printed first"

# --log-format jsonl: every line a JSON object, each with the fields every
# progress object shares (the thread count's and evaluations' included);
# each evaluation follows the batch event of its step (batch events are
# otherwise at most one every 0.5 s), whose elapsed_s is where it began.
"$R" generate train --train "$D/repeat.txt" -o "$T/j.db" --hidden 16 --layers 1 --embed 8 --batch 4 \
    --seq-len 16 --steps 30 --eval-every 10 --log-format jsonl 2>"$T/jsonl" >/dev/null
grep '^{' "$T/jsonl" >"$T/objects" || fail "--log-format jsonl printed no object"
if command -v python3 >/dev/null 2>&1; then
    python3 -c '
import json, sys
common = ("event", "epoch", "step", "batch", "batches", "loss", "items_per_s", "elapsed_s")
events = []
prev = None
for n, line in enumerate(open(sys.argv[1]), 1):
    o = json.loads(line)
    events.append(o["event"])
    if o["event"] == "eval" and (prev is None or prev["event"] != "batch" or prev["step"] != o["step"]):
        sys.exit("line %d: eval at step %d not after its step'"'"'s batch event" % (n, o["step"]))
    prev = o
    lack = [k for k in common if k not in o]
    if lack:
        sys.exit("line %d (%s) lacks %s" % (n, o["event"], ", ".join(lack)))
    if not isinstance(o["elapsed_s"], (int, float)):
        sys.exit("line %d: elapsed_s is %r" % (n, o["elapsed_s"]))
for e in ("threads", "batch", "eval"):
    if e not in events:
        sys.exit("no %s event" % e)
if events.count("eval") != 3:
    sys.exit("%d eval events, not 3" % events.count("eval"))
' "$T/objects" || fail "--log-format jsonl: $(cat "$T/jsonl")"
else
    echo "generate.sh: no python3: the JSONL objects are not parsed" >&2
fi

# Wrong model kind, bad arguments.
set +e
"$R" generate sample -m "$T/nonexistent.db" >/dev/null 2>&1; [ $? -eq 1 ] || fail "missing model"
"$R" generate sample -m "$T/rep.db" --length 1000000000000 >/dev/null 2>&1; [ $? -eq 2 ] || fail "--length 10^12"
"$R" generate train --train "$D/repeat.txt" -o "$T/x.db" --hidden 0 >/dev/null 2>&1; [ $? -eq 2 ] || fail "--hidden 0"
set -e
echo "generate e2e: ok"
