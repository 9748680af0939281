#!/bin/sh
# End-to-end: int8 prediction. A classifier trained on the sentiment
# corpus is evaluated with and without --int8: the same report lines, and
# accuracy within 2 points; `classify predict --int8` labels the same
# documents. The model file is read only.
# Then int8 model files (`rnnkit export --quantize int8`): the sizes of both
# files printed; eval and predict of the int8 file without --int8 (it is
# always on) against the fp32 model with --int8: the same report lines,
# accuracy within 2 points and at most 3 of 100 labels apart (the two differ
# only by the rounding of the embedding and of the first layer's input
# weights, which --int8 keeps fp32; the products themselves are the same
# int8 code); training, resuming or safetensors from it, an int8 generator
# and bad flags fail with a message (exit 1, usage errors 2), leaving
# existing files as they were.
# usage: int8.sh RNNKIT SOURCE_DIR
set -eu
R=$1
S=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export OPENBLAS_NUM_THREADS=1
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_rc() { # expect_rc CODE PATTERN cmd...
    want=$1; pat=$2; shift 2
    set +e; "$@" >"$T/out" 2>"$T/err"; rc=$?; set -e
    [ "$rc" -eq "$want" ] || { cat "$T/err" >&2; fail "exit $rc, want $want: $*"; }
    [ -z "$pat" ] || grep -q -- "$pat" "$T/err" || { cat "$T/err" >&2; fail "stderr lacks '$pat': $*"; }
}
acc() { awk -F'\t' '$1 == "accuracy" { print $2 }' "$1"; }
near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.02) }'; }
D=$S/corpora/data

"$R" classify train --train "$D/sentiment/train.tsv" -o "$T/c.db" --epochs 2 --embed 32 --hidden 48 \
    --layers 2 --bidirectional 1 --batch 32 --seed 1 --quiet
sum=$(cksum <"$T/c.db")
"$R" classify eval -m "$T/c.db" "$D/sentiment/test.tsv" >"$T/fp32.txt"
"$R" classify eval -m "$T/c.db" --int8 "$D/sentiment/test.tsv" >"$T/int8.txt"
[ "$(cut -f1 "$T/fp32.txt")" = "$(cut -f1 "$T/int8.txt")" ] || fail "eval --int8 prints other lines than eval"
a32=$(acc "$T/fp32.txt")
a8=$(acc "$T/int8.txt")
[ -n "$a32" ] && [ -n "$a8" ] || fail "no accuracy line"
near "$a32" "$a8" || fail "accuracy $a8 with --int8 against $a32 in fp32"
echo "int8: accuracy $a8 (fp32 $a32)"
[ "$(cksum <"$T/c.db")" = "$sum" ] || fail "--int8 changed the model file"

cut -f2 "$D/sentiment/test.tsv" | head -n 100 >"$T/docs.txt"
"$R" classify predict -m "$T/c.db" - <"$T/docs.txt" | cut -f2 >"$T/p32.txt"
"$R" classify predict -m "$T/c.db" --int8 --threads 2 - <"$T/docs.txt" | cut -f2 >"$T/p8.txt"
[ "$(wc -l <"$T/p8.txt")" -eq 100 ] || fail "predict --int8: $(wc -l <"$T/p8.txt") lines for 100 documents"
n=$(paste "$T/p32.txt" "$T/p8.txt" | awk -F'\t' '$1 != $2' | wc -l)
[ "$n" -le 3 ] || fail "predict --int8: $n of 100 labels differ from fp32"

# --- int8 model files ---
"$R" export -m "$T/c.db" --quantize int8 "$T/q.db" >"$T/sizes.txt" 2>"$T/note.txt"
[ "$(cksum <"$T/c.db")" = "$sum" ] || fail "export --quantize changed the model file"
tab=$(printf '\t')
grep -qx "fp32${tab}$T/c.db${tab}$(wc -c <"$T/c.db") bytes" "$T/sizes.txt" ||
    { cat "$T/sizes.txt" >&2; fail "no fp32 size"; }
grep -q "^int8${tab}$T/q.db${tab}$(wc -c <"$T/q.db") bytes${tab}[0-9.]* %\$" "$T/sizes.txt" ||
    { cat "$T/sizes.txt" >&2; fail "no int8 size"; }
grep -q "also holds its training state" "$T/note.txt" || fail "no word on the training state c.db holds"
[ "$(wc -c <"$T/q.db")" -lt "$(($(wc -c <"$T/c.db") / 3))" ] || fail "the int8 file is not smaller"
echo "int8 file: $(wc -c <"$T/q.db") bytes, the trained fp32 file (with its training state) $(wc -c <"$T/c.db")"

"$R" classify eval -m "$T/q.db" "$D/sentiment/test.tsv" >"$T/q8.txt"
"$R" classify eval -m "$T/q.db" --int8 "$D/sentiment/test.tsv" | cmp -s - "$T/q8.txt" ||
    fail "eval of the int8 file differs with --int8 (it is always on)"
[ "$(awk '{ print $1 }' "$T/q8.txt")" = "$(awk '{ print $1 }' "$T/int8.txt")" ] ||
    fail "eval of the int8 file prints other lines"
aq=$(acc "$T/q8.txt")
[ -n "$aq" ] && near "$a8" "$aq" || fail "accuracy $aq of the int8 file against $a8 of the fp32 model with --int8"
echo "int8 file: accuracy $aq (fp32 with --int8 $a8, fp32 $a32)"
"$R" classify predict -m "$T/q.db" --threads 2 - <"$T/docs.txt" | cut -f2 >"$T/pq.txt"
n=$(paste "$T/p8.txt" "$T/pq.txt" | awk -F'\t' '$1 != $2' | wc -l)
[ "$n" -le 3 ] || fail "predict of the int8 file: $n of 100 labels differ from --int8"

# what an int8 file is not for; nothing written or changed
qsum=$(cksum <"$T/q.db")
expect_rc 1 "q.db holds int8 weights for prediction only; train from the fp32 model" \
    "$R" classify train --train "$D/sentiment/train.tsv" --init "$T/q.db" -o "$T/more.db" --epochs 1 --quiet
[ ! -e "$T/more.db" ] || fail "a refused --init wrote more.db"
cp "$T/q.db" "$T/r.db"
expect_rc 1 "r.db holds int8 weights for prediction only" \
    "$R" classify train --train "$D/sentiment/train.tsv" -o "$T/r.db" --resume --quiet
[ "$(cksum <"$T/r.db")" = "$qsum" ] || fail "a refused --resume changed the int8 file"
expect_rc 1 "int8 weights for prediction only" "$R" export -m "$T/q.db" --format safetensors "$T/q.st"
[ ! -e "$T/q.st" ] || fail "a refused safetensors export left q.st"
"$R" generate train --train "$D/text/repeat.txt" -o "$T/gen.db" --hidden 8 --layers 1 --embed 4 --batch 2 \
    --seq-len 8 --steps 2 --quiet
cp "$T/q.db" "$T/keep.db"
expect_rc 1 "an int8 model file is for classifiers (this model is a generator)" \
    "$R" export -m "$T/gen.db" --quantize int8 --force "$T/keep.db"
[ "$(cksum <"$T/keep.db")" = "$qsum" ] || fail "a refused export changed the file already there"
expect_rc 2 "--quantize needs -m" "$R" export --vocab "$T/q.db" --quantize int8 "$T/x.db"
expect_rc 2 "no --format with it" "$R" export -m "$T/c.db" --quantize int8 --format safetensors "$T/x.db"
expect_rc 2 "give a file name" "$R" export -m "$T/c.db" --quantize int8 -
expect_rc 2 "'int4' is not one of int8" "$R" export -m "$T/c.db" --quantize int4 "$T/x.db"
expect_rc 2 "--format is required" "$R" export -m "$T/c.db" "$T/x.db"
[ ! -e "$T/x.db" ] || fail "a usage error wrote x.db"
[ "$(cksum <"$T/q.db")" = "$qsum" ] || fail "the int8 file changed"

echo ok
