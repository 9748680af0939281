#!/bin/sh
# End-to-end: `rnnkit export` and `rnnkit import` without other tools: a
# model exported to safetensors and imported back predicts exactly as
# before; the vocabulary formats hold every id; damaged or mismatched input
# fails with exit 1 and a message naming the file and tensor; usage errors
# exit 2; nothing half-written is left behind. A forecaster (no
# vocabulary) goes safetensors -> model file -> safetensors -> model file ->
# safetensors with the two exports byte-identical.
# usage: export.sh RNNKIT SOURCE_DIR
set -eu
R=$1
S=$2
D=$S/corpora/data/sentiment
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_rc() { # expect_rc CODE PATTERN cmd...
    want=$1; pat=$2; shift 2
    set +e; "$@" >"$T/out" 2>"$T/err"; rc=$?; set -e
    [ "$rc" -eq "$want" ] || { cat "$T/err" >&2; fail "exit $rc, want $want: $*"; }
    [ -z "$pat" ] || grep -q -- "$pat" "$T/err" || { cat "$T/err" >&2; fail "stderr lacks '$pat': $*"; }
}

"$R" vocab build --format tsv -o "$T/v.db" "$D/train.tsv"
"$R" classify train --train "$D/train.tsv" --vocab "$T/v.db" -o "$T/m.db" --epochs 2 --embed 16 --hidden 8 --cell gru \
    --pool mean --seed 2 --ensemble 1 --quiet
"$R" export -m "$T/m.db" --format safetensors "$T/m.st"
# safetensors: 8-byte length, then a JSON header starting with '{'
[ "$(head -c 9 "$T/m.st" | tail -c 1)" = "{" ] || fail "no JSON header after the length"
for name in embedding.weight rnn.weight_ih_l0 rnn.weight_hh_l0_reverse fc.weight fc.bias '"labels"'; do
    head -c 4096 "$T/m.st" | grep -q -- "$name" || fail "header lacks $name"
done

# vocabulary formats: one line per id; JSON documents with every id
"$R" export -m "$T/m.db" --format vocab-txt "$T/vocab.txt"
"$R" export -m "$T/m.db" --format keras-tokenizer "$T/keras.json"
"$R" export -m "$T/m.db" --format hf-tokenizer "$T/tokenizer.json"
[ "$(sed -n 1p "$T/vocab.txt")" = "<pad>" ] && [ "$(sed -n 2p "$T/vocab.txt")" = "<unk>" ] ||
    fail "vocab.txt does not start with <pad>, <unk>"
n=$(wc -l <"$T/vocab.txt")
grep -q "\"vocab_size\":\"$n\"" "$T/m.st" || fail "vocab.txt has $n lines, the weights another size"
grep -q '"type": "WordLevel"' "$T/tokenizer.json" || fail "tokenizer.json is not WordLevel"
grep -q '"class_name": "Tokenizer"' "$T/keras.json" || fail "keras JSON lacks class_name"
"$R" export -m "$T/m.db" --format vocab-txt - | cmp -s - "$T/vocab.txt" || fail "export to stdout differs"

# round trip inside rnnkit: same probabilities, digit for digit
"$R" export --vocab "$T/v.db" --format vocab-txt "$T/v.txt"
cmp -s "$T/v.txt" "$T/vocab.txt" || fail "the model's vocabulary differs from the one it was trained with"
"$R" import --format safetensors "$T/m.st" --vocab "$T/v.db" -o "$T/back.db" 2>"$T/err" ||
    { cat "$T/err" >&2; fail "import of an export failed"; }
"$R" classify predict -m "$T/m.db" --top-k 2 "$D/docs/pos" >"$T/p1"
"$R" classify predict -m "$T/back.db" --top-k 2 "$D/docs/pos" >"$T/p2"
cmp -s "$T/p1" "$T/p2" || fail "imported model predicts differently"

# an ensemble: safetensors takes one network; --member N exports member N's tensors
"$R" classify train --train "$D/train.tsv" --vocab "$T/v.db" -o "$T/e.db" --epochs 1 --embed 16 --hidden 8 --cell gru \
    --pool mean --seed 2 --ensemble 2 --quiet
expect_rc 1 "ensemble of 2.*--member" "$R" export -m "$T/e.db" --format safetensors "$T/e.st"
[ ! -e "$T/e.st" ] || fail "a refused export left $T/e.st"
"$R" export -m "$T/e.db" --format safetensors --member 2 "$T/e2.st"
"$R" import --format safetensors "$T/e2.st" --vocab "$T/v.db" -o "$T/e2.db" 2>"$T/err" || { cat "$T/err" >&2; fail "import of member 2"; }
a=$(sqlite3 "$T/e.db" "select group_concat(fnv1a64) from (select fnv1a64 from tensors where name like 'member1.%' order by substr(name, 9))")
b=$(sqlite3 "$T/e2.db" "select group_concat(fnv1a64) from (select fnv1a64 from tensors order by name)")
[ -n "$a" ] && [ "$a" = "$b" ] || fail "--member 2 did not export member 2's tensors"
"$R" export -m "$T/e.db" --format safetensors --member 1 "$T/e1.st"
cmp -s "$T/e1.st" "$T/e2.st" && fail "members 1 and 2 exported the same weights"

# failures: exit 1, the file and what is wrong
head -c 100 "$T/m.st" >"$T/trunc.st"
expect_rc 1 "trunc.st" "$R" import --format safetensors "$T/trunc.st" --vocab "$T/v.db" -o "$T/x.db"
printf 'not a model' >"$T/junk"
expect_rc 1 "junk" "$R" export -m "$T/junk" --format safetensors "$T/x.st"
expect_rc 1 "rnn.weight_ih_l1" "$R" import --format safetensors "$T/m.st" --vocab "$T/v.db" -o "$T/x.db" \
    --config layers=2
expect_rc 1 "has shape" "$R" import --format safetensors "$T/m.st" --vocab "$T/v.db" -o "$T/x.db" \
    --config hidden=9
[ ! -e "$T/x.db" ] || fail "a failed import left $T/x.db"
ls "$T" | grep -q tmp- && fail "a temporary file was left behind"

# usage errors: exit 2
expect_rc 2 "--format" "$R" export -m "$T/m.db" "$T/x.st"
expect_rc 2 "'onnx' is not one of" "$R" export -m "$T/m.db" --format onnx "$T/x.st"
expect_rc 2 "needs -m" "$R" export --vocab "$T/v.db" --format safetensors "$T/x.st"
expect_rc 2 "--vocab" "$R" import --format safetensors "$T/m.st" -o "$T/x.db"
expect_rc 2 "unknown configuration key" "$R" import --format safetensors "$T/m.st" --vocab "$T/v.db" \
    -o "$T/x.db" --config colour=red
expect_rc 2 "-o REPORT.html" "$R" report -m "$T/m.db"

# a forecaster: no vocabulary; export -> import -> export is byte-identical
. "$S/tests/e2e/lib/forecaster.sh"
forecaster_st "$T/f.st"
expect_rc 0 "forecaster lstm" "$R" import --format safetensors "$T/f.st" -o "$T/f.db"
"$R" export -m "$T/f.db" --format safetensors "$T/f1.st"
expect_rc 0 "" "$R" import --format safetensors "$T/f1.st" -o "$T/f1.db"
"$R" export -m "$T/f1.db" --format safetensors "$T/f2.st"
cmp -s "$T/f1.st" "$T/f2.st" || fail "a forecaster's export -> import -> export differs"
expect_rc 2 "takes no vocabulary" "$R" import --format safetensors "$T/f.st" --vocab "$T/v.db" -o "$T/x.db"
expect_rc 1 "forecaster has no vocabulary" "$R" export -m "$T/f.db" --format vocab-txt "$T/x.txt"
expect_rc 1 "is a forecaster model; use \`rnnkit forecast\`" "$R" classify predict -m "$T/f.db" "$T/f.st"
"$R" export --help | grep -q safetensors || fail "export --help"
echo "export/import: ok"
