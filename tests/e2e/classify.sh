#!/bin/sh
# End-to-end: `rnnkit classify` on the bundled sentiment corpus: trains in
# seconds, learns it (accuracy well above chance), predicts files and stdin,
# evaluates; and the bad-input cases exit 1 with a message naming file/line.
# usage: classify.sh RNNKIT SOURCE_DIR
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

"$R" classify train --train "$D/train.tsv" -o "$T/m.db" --epochs 6 --lr 0.005 --embed-dropout 0 --embed 32 --hidden 32 \
    --batch 32 --seed 3 --precision fp32 --quiet
[ -s "$T/m.db" ] || fail "no model written"

# bf16, the default: recorded in the file, learns the set as fp32 does (on a
# CPU without AVX512-BF16 the products run in fp32 and a note says so)
"$R" classify train --train "$D/train.tsv" -o "$T/h.db" --epochs 6 --lr 0.005 --embed-dropout 0 --embed 32 --hidden 32 \
    --batch 32 --seed 3 --ensemble 1 --quiet
[ "$(sqlite3 "$T/h.db" "select value from model_meta where key='bf16'")" = 1 ] || fail "bf16 (the default) not recorded"
[ -z "$(sqlite3 "$T/m.db" "select value from model_meta where key='bf16'")" ] || fail "an fp32 model says bf16"
"$R" classify eval -m "$T/h.db" "$D/test.tsv" | awk -F'\t' '$1=="accuracy"{exit !($2 >= 0.9)}' ||
    fail "bf16 accuracy below 0.9"
expect_rc 2 "precision" "$R" classify train --train "$D/train.tsv" -o "$T/x.db" --precision fp16

# --ensemble auto (the default) makes this small set an ensemble of 4; --ensemble 1 one network
[ "$(sqlite3 "$T/m.db" "select value from model_meta where key='members'")" = 4 ] || fail "auto ensemble is not 4"
[ "$(sqlite3 "$T/m.db" "select count(*) from tensors")" -eq "$(( 4 * $(sqlite3 "$T/m.db" "select count(*) from tensors where name not like 'member%'") ))" ] ||
    fail "an ensemble of 4 lacks tensors"

# one network of the ensemble: eval and predict --member; a member it lacks is an error
"$R" classify eval -m "$T/m.db" --member 2 "$D/test.tsv" | grep -q '^accuracy' || fail "eval --member 2"
[ "$("$R" classify predict -m "$T/m.db" --member 4 "$D/docs/pos" | wc -l)" -ge 5 ] || fail "predict --member 4"
expect_rc 1 "member 5.*4 trained networks" "$R" classify eval -m "$T/m.db" --member 5 "$D/test.tsv"

# eval: accuracy well above chance (0.5) on held-out text
"$R" classify eval -m "$T/m.db" "$D/test.tsv" >"$T/eval"
acc=$(awk -F'\t' '$1=="accuracy"{print $2}' "$T/eval")
awk -v a="$acc" 'BEGIN{exit !(a >= 0.9)}' || fail "accuracy $acc < 0.9"
grep -q "macro F1" "$T/eval" || fail "eval lacks macro F1"
"$R" classify eval -m "$T/m.db" --json "$D/test.tsv" | grep -q '"confusion":\[\[' || fail "eval --json"

# predict: files, a directory (walked), stdin lines, JSON lines
"$R" classify predict -m "$T/m.db" "$D/docs/pos" >"$T/pred"
n=$(wc -l <"$T/pred")
[ "$n" -ge 5 ] || fail "predict on a directory printed $n lines"
pos=$(awk -F'\t' '$2=="pos"' "$T/pred" | wc -l)
[ $((pos * 10)) -ge $((n * 7)) ] || fail "only $pos of $n positive documents predicted pos"
awk -F'\t' 'NF!=3 || $3<0.5 || $3>1 {exit 1}' "$T/pred" || fail "predict lines are not path<TAB>label<TAB>prob"
printf 'a wonderful and moving film\nnot good at all , a dull mess\n' | "$R" classify predict -m "$T/m.db" - >"$T/stdin"
[ "$(wc -l <"$T/stdin")" -eq 2 ] || fail "stdin: one line per document"
"$R" classify predict -m "$T/m.db" --json --top-k 2 - <"$T/stdin" | grep -q '"probability"' || fail "predict --json"

# same seed, same model, bit for bit
"$R" classify train --train "$D/train.tsv" -o "$T/m2.db" --epochs 1 --embed 16 --hidden 16 --seed 9 --quiet
"$R" classify train --train "$D/train.tsv" -o "$T/m3.db" --epochs 1 --embed 16 --hidden 16 --seed 9 --quiet
a=$(sqlite3 "$T/m2.db" "select group_concat(fnv1a64) from (select fnv1a64 from tensors order by name)" 2>/dev/null || echo x)
b=$(sqlite3 "$T/m3.db" "select group_concat(fnv1a64) from (select fnv1a64 from tensors order by name)" 2>/dev/null || echo y)
if command -v sqlite3 >/dev/null 2>&1; then [ "$a" = "$b" ] || fail "same seed gave different weights"; fi

# bad input
printf 'pos\tgood film\nthis line has no tab\n' >"$T/notab.tsv"
expect_rc 1 "notab.tsv:2" "$R" classify train --train "$T/notab.tsv" -o "$T/x.db" --quiet
printf 'pos\tgood film\npos\tgreat film\n' >"$T/one.tsv"
expect_rc 1 "only one label" "$R" classify train --train "$T/one.tsv" -o "$T/x.db" --quiet
printf 'pos\tgood film\nneg\t\n' >"$T/empty.tsv"
expect_rc 1 "empty.tsv:2" "$R" classify train --train "$T/empty.tsv" -o "$T/x.db" --quiet
printf 'pos\tgood \377 film\n' >"$T/bad8.tsv"
expect_rc 1 "bad8.tsv:1" "$R" classify eval -m "$T/m.db" "$T/bad8.tsv"
printf 'meh\tan unknown label\n' >"$T/unk.tsv"
expect_rc 1 "label 'meh'" "$R" classify eval -m "$T/m.db" "$T/unk.tsv"
[ ! -e "$T/x.db" ] || fail "a failed training left a model behind"
printf 'not a database at all' >"$T/junk.db"
expect_rc 1 "not an rnnkit model" "$R" classify predict -m "$T/junk.db" -
expect_rc 1 "cannot open" "$R" classify predict -m "$T/missing.db" -
"$R" generate train --train "$S/corpora/data/text/repeat.txt" -o "$T/gen.db" --hidden 8 --layers 1 \
    --embed 4 --batch 2 --seq-len 8 --steps 2 --quiet
expect_rc 1 "generator model" "$R" classify predict -m "$T/gen.db" -
expect_rc 1 "classifier model" "$R" generate sample -m "$T/m.db"
expect_rc 2 "" "$R" classify train --train "$D/train.tsv" -o "$T/x.db" --hidden 0
expect_rc 2 "" "$R" classify train --train "$D/train.tsv" -o "$T/x.db" --maxlen -1
expect_rc 2 "" "$R" classify train --train "$D/train.tsv" -o "$T/x.db" --batch 1000000000
expect_rc 2 "" "$R" classify train --nosuchflag
expect_rc 2 "" "$R" classify nosuchverb
# usage errors: two lines (what, and where to look), exit 2; a mistyped
# flag gets the nearest one; renamed spellings name the new one
expect_rc 2 "unknown option '--trian' (did you mean '--train'?)" "$R" classify train --trian "$D/train.tsv"
[ "$(wc -l <"$T/err")" -eq 2 ] || fail "an unknown option printed $(wc -l <"$T/err") lines, not 2"
grep -q "^rnnkit: see 'rnnkit classify train --help'$" "$T/err" || fail "no pointer to the help"
expect_rc 2 "unknown option '--zzzzzz'$" "$R" classify train --zzzzzz
expect_rc 2 "option '--hidden' needs a value" "$R" classify train --train "$D/train.tsv" --hidden
[ "$(wc -l <"$T/err")" -eq 2 ] || fail "a missing value printed more than 2 lines"
expect_rc 2 "^rnnkit: --valid-split is now --valid-frac$" "$R" classify train --train "$D/train.tsv" -o "$T/x.db" --valid-split 0.2
expect_rc 2 "^rnnkit: --format is now --json$" "$R" classify predict -m "$T/m.db" --format jsonl -
[ ! -e "$T/x.db" ] || fail "a usage error wrote a model"
"$R" classify --help | grep -q "train" || fail "classify --help"
"$R" classify train --help | grep -q -- "--bidirectional" || fail "classify train --help"
echo "classify e2e: ok (accuracy $acc)"
