#!/bin/sh
# End-to-end: word-level language models and classifiers started from them.
# A word-level generator learns a short repeated text well enough that
# --argmax continues it word for word (sampled softmax in training, exact
# eval printing perplexity); a --reverse one ends its sample with the prime
# and gives the text read backwards; `classify train --pretrained
# [--pretrained-backward]` takes their tensors (and vocabulary and sizes),
# and every mismatch is a clean error that writes no model; a word-level
# run with the sampled softmax resumes exactly.
# usage: pretrain.sh RNNKIT SOURCE_DIR
set -eu
R=$1
S=$2
D=$S/corpora/data
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Words of a repeated text, memorised; the sampled softmax (16 candidates
# of 60-odd ids) is forced, evaluation stays exact.
"$R" generate train --level word --min-count 1 --train "$D/text/repeat.txt" -o "$T/w.db" --hidden 64 --layers 1 \
    --embed 16 --batch 4 --seq-len 24 --steps 300 --lr 0.01 --dropout 0 --weight-drop 0 --valid-frac 0 \
    --softmax-samples 16 2>"$T/w.log"
grep -q "sampled softmax over 16 candidates" "$T/w.log" || fail "no sampled softmax: $(cat "$T/w.log")"
grep -q "tok/s" "$T/w.log" || fail "progress not in tokens"
"$R" generate sample -m "$T/w.db" --prime "the lamplighter walks" --argmax --length 12 >"$T/out"
got=$(cat "$T/out")
want="the lamplighter walks the harbour road at dusk , counting ships by their masts :"
[ "$got" = "$want" ] || { printf 'want: %s\ngot:  %s\n' "$want" "$got" >&2; fail "word argmax did not continue the text"; }
"$R" generate eval -m "$T/w.db" "$D/text/repeat.txt" >"$T/eval"
grep -q '^perplexity' "$T/eval" || fail "word-level eval prints no perplexity"
awk -F'\t' '$1 == "perplexity" && $2 < 1.5 { ok = 1 } END { exit !ok }' "$T/eval" ||
    fail "memorised text, perplexity not near 1: $(cat "$T/eval")"
# an unknown word in the prime is <unk>, as in training text
"$R" generate sample -m "$T/w.db" --prime "zyxwvut harbour" --length 3 --seed 2 >/dev/null ||
    fail "an unknown prime word failed"

# Exact resume with the sampled softmax (its candidates come from the
# checkpointed rng): 60 steps, and 25 + --resume to 60 (plateau schedule,
# which does not depend on --steps), the same tensors, Adam moments included.
wl="--level word --min-count 1 --train $D/text/verse.txt --hidden 16 --embed 8 --layers 1 --batch 4 --seq-len 8"
wl="$wl --softmax-samples 8 --lr-schedule plateau --eval-every 20 --quiet"
digest() { sqlite3 "$1" "select name, fnv1a64 from tensors order by name; select name, fnv1a64 from optim_state order by name"; }
# shellcheck disable=SC2086
"$R" generate train $wl --steps 60 -o "$T/full.db"
# shellcheck disable=SC2086
"$R" generate train $wl --steps 25 -o "$T/part.db"
# shellcheck disable=SC2086
"$R" generate train $wl --steps 60 -o "$T/part.db" --resume
[ "$(digest "$T/full.db")" = "$(digest "$T/part.db")" ] || fail "word level: 25 + resume to 60 differs from 60"
[ -n "$(digest "$T/full.db")" ] || fail "no tensors to compare"

# Backwards: the sample ends with the prime, the words before it are the text's.
"$R" generate train --level word --min-count 1 --reverse --train "$D/text/repeat.txt" -o "$T/b.db" --hidden 64 \
    --layers 1 --embed 16 --batch 4 --seq-len 24 --steps 300 --lr 0.01 --dropout 0 --weight-drop 0 \
    --valid-frac 0 --quiet
sqlite3 "$T/b.db" "select value from model_meta where key = 'reverse'" | grep -qx 1 || fail "reverse not recorded"
! sqlite3 "$T/w.db" "select value from model_meta where key = 'reverse'" | grep -q . ||
    fail "a forward model records reverse"
"$R" generate sample -m "$T/b.db" --prime "when the last lamp" --argmax --length 6 >"$T/out"
got=$(cat "$T/out")
want="the same old tune , and when the last lamp"
[ "$got" = "$want" ] || { printf 'want: %s\ngot:  %s\n' "$want" "$got" >&2; fail "backward sample is not the text before the prime"; }
"$R" generate sample -m "$T/b.db" --prime "lamp" --stop "x" >/dev/null 2>"$T/err" && fail "--stop with a backward model"
grep -q "backward" "$T/err" || fail "no reason given: $(cat "$T/err")"

# Classifiers from the two language models: the LM vocabulary of the
# sentiment corpus's text.
cut -f2 "$D/sentiment/train.tsv" >"$T/text.txt"
lm="--level word --train $T/text.txt --hidden 24 --embed 12 --layers 1 --batch 8 --seq-len 16 --steps 40 --quiet"
# shellcheck disable=SC2086
"$R" generate train $lm -o "$T/fw.db"
# shellcheck disable=SC2086
"$R" generate train $lm --reverse -o "$T/bw.db"
clf="--train $D/sentiment/train.tsv --epochs 1 --ensemble 1"
# shellcheck disable=SC2086
"$R" classify train $clf --pretrained "$T/fw.db" --pretrained-backward "$T/bw.db" -o "$T/c.db" 2>"$T/c.log" ||
    fail "pretrained classifier: $(cat "$T/c.log")"
grep -q "9 tensors from" "$T/c.log" || fail "tensors not reported: $(cat "$T/c.log")"
sqlite3 "$T/c.db" "select value from model_meta where key = 'hidden'" | grep -qx 24 || fail "sizes not the LM's"
"$R" classify eval -m "$T/c.db" "$D/sentiment/test.tsv" | grep -q '^accuracy' || fail "pretrained classifier eval"

# --freeze-body 1 with one epoch: the body is still the language model's
# (the same tensor checksums), the output layer learnt; --lr-body changes
# the result.
h() { sqlite3 "$1" "select fnv1a64 from tensors where name = '$2'"; }
# shellcheck disable=SC2086
"$R" classify train $clf --pretrained "$T/fw.db" --freeze-body 1 -o "$T/f.db" --quiet
[ "$(h "$T/f.db" embedding.weight)" = "$(h "$T/fw.db" embedding.weight)" ] || fail "--freeze-body: embedding moved"
[ "$(h "$T/f.db" rnn.weight_hh_l0)" = "$(h "$T/fw.db" rnn.weight_hh_l0)" ] || fail "--freeze-body: recurrent layer moved"
# shellcheck disable=SC2086
"$R" classify train $clf --pretrained "$T/fw.db" -o "$T/g.db" --quiet
# shellcheck disable=SC2086
"$R" classify train $clf --pretrained "$T/fw.db" --lr-body 0.1 -o "$T/s.db" --quiet
[ "$(h "$T/g.db" embedding.weight)" != "$(h "$T/fw.db" embedding.weight)" ] || fail "the body did not learn"
[ "$(h "$T/g.db" rnn.weight_hh_l0)" != "$(h "$T/s.db" rnn.weight_hh_l0)" ] || fail "--lr-body changed nothing"

# Mismatches: each a clean error (exit status 1), no model written.
refuse() { # refuse WANT ARGS...: classify train fails naming WANT, writes nothing
    want=$1
    shift
    rm -f "$T/x.db"
    rc=0
    # shellcheck disable=SC2086
    "$R" classify train $clf -o "$T/x.db" --quiet "$@" 2>"$T/err" || rc=$?
    [ "$rc" -eq 1 ] || fail "'$*': exit status $rc, not 1: $(cat "$T/err")"
    grep -q -- "$want" "$T/err" || fail "'$*': error lacks '$want': $(cat "$T/err")"
    [ ! -e "$T/x.db" ] || fail "'$*' left a model file"
}
refuse "read backwards" --pretrained "$T/bw.db"
refuse "read forwards" --pretrained "$T/fw.db" --pretrained-backward "$T/fw.db"
refuse "hidden 24" --pretrained "$T/fw.db" --hidden 32
refuse "c.db: a classifier model, not a language model" --pretrained "$T/c.db"
# an int8 export is a classifier's, prediction only: said so, for either flag
"$R" export -m "$T/c.db" --quantize int8 "$T/c8.db" >/dev/null
refuse "c8.db: an int8 export .* holds no training weights; give an fp32 word-level language model" \
    --pretrained "$T/c8.db"
refuse "^rnnkit: --pretrained-backward: .*c8.db: an int8 export" --pretrained "$T/fw.db" --pretrained-backward "$T/c8.db"
refuse "vocabulary" --pretrained "$T/fw.db" --vocab "$T/w.db"
refuse "reads one way" --pretrained-backward "$T/bw.db" --bidirectional no
echo "pretrain: ok"
