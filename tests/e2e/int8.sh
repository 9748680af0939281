#!/bin/sh
# End-to-end: int8 prediction. A classifier trained on the sentiment
# corpus is evaluated with and without --int8: the same report lines, and
# accuracy within 2 points; `classify predict --int8` labels the same
# documents. The model file is read only.
# usage: int8.sh RNNKIT SOURCE_DIR
set -eu
R=$1
S=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export OPENBLAS_NUM_THREADS=1
fail() { echo "FAIL: $*" >&2; exit 1; }
D=$S/corpora/data

"$R" classify train --train "$D/sentiment/train.tsv" -o "$T/c.db" --epochs 2 --embed 32 --hidden 48 \
    --layers 2 --bidirectional 1 --batch 32 --seed 1 --quiet
sum=$(cksum <"$T/c.db")
"$R" classify eval -m "$T/c.db" "$D/sentiment/test.tsv" >"$T/fp32.txt"
"$R" classify eval -m "$T/c.db" --int8 "$D/sentiment/test.tsv" >"$T/int8.txt"
[ "$(cut -f1 "$T/fp32.txt")" = "$(cut -f1 "$T/int8.txt")" ] || fail "eval --int8 prints other lines than eval"
a32=$(awk -F'\t' '$1 == "accuracy" { print $2 }' "$T/fp32.txt")
a8=$(awk -F'\t' '$1 == "accuracy" { print $2 }' "$T/int8.txt")
[ -n "$a32" ] && [ -n "$a8" ] || fail "no accuracy line"
awk -v a="$a32" -v b="$a8" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.02) }' ||
    fail "accuracy $a8 with --int8 against $a32 in fp32"
echo "int8: accuracy $a8 (fp32 $a32)"
[ "$(cksum <"$T/c.db")" = "$sum" ] || fail "--int8 changed the model file"

cut -f2 "$D/sentiment/test.tsv" | head -n 100 >"$T/docs.txt"
"$R" classify predict -m "$T/c.db" - <"$T/docs.txt" | cut -f2 >"$T/p32.txt"
"$R" classify predict -m "$T/c.db" --int8 --threads 2 - <"$T/docs.txt" | cut -f2 >"$T/p8.txt"
[ "$(wc -l <"$T/p8.txt")" -eq 100 ] || fail "predict --int8: $(wc -l <"$T/p8.txt") lines for 100 documents"
n=$(paste "$T/p32.txt" "$T/p8.txt" | awk -F'\t' '$1 != $2' | wc -l)
[ "$n" -le 3 ] || fail "predict --int8: $n of 100 labels differ from fp32"

echo ok
