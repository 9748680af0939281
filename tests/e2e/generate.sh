#!/bin/sh
# End-to-end: `rnnkit generate` learns a short repeated text well enough that
# --argmax from its start reproduces it; samples are valid UTF-8 (also for
# Chinese); the same --rng-seed gives the same text, another seed another.
# usage: generate.sh RNNKIT SOURCE_DIR
set -eu
R=$1
S=$2
D=$S/corpora/data/text
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Memorise a short text.
"$R" generate train --text "$D/repeat.txt" -o "$T/rep.db" --hidden 96 --layers 1 --embed 16 \
    --batch 8 --seq-len 48 --steps 400 --lr 0.01 --dropout 0 --valid-frac 0 --quiet
unit=$(head -c 2000 "$D/repeat.txt")
seed=$(printf '%s' "$unit" | head -c 40)
"$R" generate sample -m "$T/rep.db" --seed "$seed" --argmax --length 120 >"$T/out"
want=$(printf '%s' "$unit" | head -c 120)
got=$(head -c 120 "$T/out")
[ "$got" = "$want" ] || { printf 'want: %s\ngot:  %s\n' "$want" "$got" >&2; fail "argmax did not reproduce the text"; }

# Chinese: samples are valid UTF-8, same seed same text, other seed differs.
"$R" generate train --text "$D/poems_zh.txt" -o "$T/zh.db" --hidden 64 --layers 1 --embed 16 \
    --batch 8 --seq-len 32 --steps 60 --quiet
"$R" generate sample -m "$T/zh.db" --seed "春" --length 200 --rng-seed 5 >"$T/a"
"$R" generate sample -m "$T/zh.db" --seed "春" --length 200 --rng-seed 5 >"$T/b"
"$R" generate sample -m "$T/zh.db" --seed "春" --length 200 --rng-seed 6 >"$T/c"
iconv -f UTF-8 -t UTF-8 "$T/a" >/dev/null || fail "sample is not valid UTF-8"
cmp -s "$T/a" "$T/b" || fail "same --rng-seed gave different text"
! cmp -s "$T/a" "$T/c" || fail "different --rng-seed gave the same text"
"$R" generate eval -m "$T/zh.db" "$D/poems_zh.txt" | grep -q "^bpc" || fail "eval prints bpc"

# An unknown seed character: error with the character and position, or skipped.
set +e
"$R" generate sample -m "$T/zh.db" --seed "春Ω" --length 5 >/dev/null 2>"$T/err"; rc=$?
set -e
[ "$rc" -eq 1 ] && grep -q "position 2" "$T/err" || fail "unknown seed character: rc $rc"
"$R" generate sample -m "$T/zh.db" --seed "春Ω" --unknown skip --length 5 >/dev/null || fail "--unknown skip"

# Wrong model kind, bad arguments.
set +e
"$R" generate sample -m "$T/nonexistent.db" >/dev/null 2>&1; [ $? -eq 1 ] || fail "missing model"
"$R" generate sample -m "$T/rep.db" --length 1000000000000 >/dev/null 2>&1; [ $? -eq 2 ] || fail "--length 10^12"
"$R" generate train --text "$D/repeat.txt" -o "$T/x.db" --hidden 0 >/dev/null 2>&1; [ $? -eq 2 ] || fail "--hidden 0"
set -e
echo "generate e2e: ok"
