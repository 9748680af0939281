#!/bin/sh
# End-to-end: hostile input, one row per case. Each row runs the program on
# something a stranger could hand it and checks the exit status (1 for bad
# data, 2 for a bad argument, 0 where the handling is documented), that the
# message names the file/line/tensor/flag involved, that nothing crashed
# (no status above 128, no sanitizer report), and that a failed training left
# no model behind (or left the old one as it was).
# usage: hostile.sh RNNKIT SOURCE_DIR
set -eu
R=$1
S=$2
D=$S/corpora/data
T=$(mktemp -d)
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1
rows=0

# row WANT PATTERN COMMAND...: exit status WANT, PATTERN (grep -E) in stderr.
row() {
    want=$1 pat=$2
    shift 2
    set +e
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    set -e
    [ $rc -lt 128 ] || { cat "$T/err" >&2; fail "crashed (exit $rc): $*"; }
    ! grep -q "runtime error\|AddressSanitizer\|LeakSanitizer" "$T/err" || { cat "$T/err" >&2; fail "sanitizer: $*"; }
    [ $rc -eq "$want" ] || { cat "$T/err" >&2; fail "exit $rc, want $want: $*"; }
    [ -z "$pat" ] || grep -Eq -- "$pat" "$T/err" || { cat "$T/err" >&2; fail "stderr lacks '$pat': $*"; }
    [ "$want" -ne 1 ] || [ "$(wc -l <"$T/err")" -le 3 ] || { cat "$T/err" >&2; fail "more than a short error: $*"; }
    rows=$((rows + 1))
}
no_model() { [ ! -e "$1" ] || fail "a failed run left $1 behind"; }

CT="classify train -q --epochs 1 --embed 8 --hidden 8 --ensemble 1"
GT="generate train -q --steps 3 --embed 8 --hidden 16 --layers 1 --batch 2 --seq-len 8"
"$R" $CT --train "$D/sentiment/train.tsv" -o "$T/clf.db"
"$R" $GT --train "$D/text/verse.txt" -o "$T/gen.db"
"$R" vocab build --format tsv -o "$T/vocab.db" "$D/sentiment/train.tsv"

# ---------------------------------------------------------------- corpora
printf 'pos\tgood \377 film\n' >"$T/bad8.tsv"
row 1 "bad8.tsv:1.*UTF-8" "$R" $CT --train "$T/bad8.tsv" -o "$T/x.db"
printf 'a \300\257 b\n' >"$T/bad8.txt"
row 1 "bad8.txt:1.*UTF-8" "$R" $GT --train "$T/bad8.txt" -o "$T/x.db"
row 1 "nul.tsv:.*NUL" "$R" $CT --train "$D/bad/nul.tsv" -o "$T/x.db"
printf 'abc\000def\n' >"$T/nul.txt"
row 1 "nul.txt.*NUL" "$R" $GT --train "$T/nul.txt" -o "$T/x.db"
row 1 "empty.tsv.*(empty|no )" "$R" $CT --train "$D/bad/empty.tsv" -o "$T/x.db"
: >"$T/empty.txt"
row 1 "empty.txt.*empty" "$R" $GT --train "$T/empty.txt" -o "$T/x.db"
row 1 "whitespace.tsv" "$R" $CT --train "$D/bad/whitespace.tsv" -o "$T/x.db"
printf '   \n\t\n  \n' >"$T/ws.txt"
row 1 "ws.txt.*whitespace" "$R" $GT --train "$T/ws.txt" -o "$T/x.db"
row 1 "no_tab.tsv:[0-9]+" "$R" $CT --train "$D/bad/no_tab.tsv" -o "$T/x.db"
row 1 "empty_text.tsv:[0-9]+" "$R" $CT --train "$D/bad/empty_text.tsv" -o "$T/x.db"
row 1 "empty_label.tsv:[0-9]+" "$R" $CT --train "$D/bad/empty_label.tsv" -o "$T/x.db"
no_model "$T/x.db"
# documented handling: a BOM is dropped, CRLF is a line break
{ printf '\357\273\277'; for i in $(seq 40); do printf 'pos\tgood film %d\r\nneg\tbad film %d\r\n' $i $i; done; } >"$T/crlf.tsv"
row 0 "" "$R" $CT --train "$T/crlf.tsv" -o "$T/crlf.db"
[ "$("$R" classify eval -m "$T/crlf.db" "$T/crlf.tsv" | awk -F'\t' '$1=="accuracy"{print ($2 > 0)}')" = 1 ] ||
    fail "CRLF + BOM corpus not read as two labels"
# --skip-bad counts and skips malformed rows
{ cat "$T/crlf.tsv"; printf 'no tab here\n\tno label\n'; } >"$T/mixed.tsv"
row 1 "mixed.tsv:81" "$R" $CT --train "$T/mixed.tsv" -o "$T/x.db"
row 0 "skipped 2" "$R" classify train --epochs 1 --embed 8 --hidden 8 --skip-bad --train "$T/mixed.tsv" -o "$T/skip.db"
# a 100 MB single line: a document like any other (the tokenizer streams;
# --maxlen keeps the last 400 tokens). These two big rows take minutes under
# valgrind: RNNKIT_E2E_SMALL=1 (set by .ci/run's valgrind step) skips them.
if [ -z "${RNNKIT_E2E_SMALL:-}" ]; then
{ printf 'pos\t'; yes 'a fine long film' | head -c 100000000 | tr '\n' ' '; printf '\n'; cat "$D/sentiment/train.tsv"; } >"$T/long.tsv"
row 0 "" "$R" $CT --train "$T/long.tsv" -o "$T/long.db"
rm -f "$T/long.tsv"
# 10^6 distinct labels: refused before any model is built
awk 'BEGIN { for (i = 0; i < 1000000; i++) printf "l%d\tsome text\n", i }' >"$T/labels.tsv"
row 1 "1000000 distinct labels" "$R" $CT --train "$T/labels.tsv" -o "$T/x.db"
rm -f "$T/labels.tsv"
no_model "$T/x.db"
fi
mkdir -p "$T/adir"
row 1 "adir.*(director|sub-folder|no documents)" "$R" $CT --train "$T/adir" -o "$T/x.db"
row 1 "adir.*directory" "$R" $GT --train "$T/adir" -o "$T/x.db"
row 1 "adir.*directory" "$R" generate eval -m "$T/gen.db" "$T/adir"
row 1 "adir.*(directory|not an rnnkit)" "$R" classify predict -m "$T/adir" -
cp "$D/sentiment/train.tsv" "$T/secret.tsv"
chmod 000 "$T/secret.tsv"
if [ "$(id -u)" -eq 0 ]; then # root reads anything: run this row as nobody
    chmod 755 "$T"
    AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
else
    AS=""
fi
# as nobody the program itself must be reachable (a wrapper script inside a
# private checkout is not): otherwise these permission rows are skipped
if $AS "$R" --help >/dev/null 2>&1; then PERM=1; else PERM=""; echo "note: $R cannot run as nobody; permission rows skipped"; fi
[ -z "$PERM" ] || row 1 "secret.tsv.*(ermission|cannot open)" $AS "$R" $CT --train "$T/secret.tsv" -o "$T/x.db"
no_model "$T/x.db"

# ---------------------------------------------------------------- model and vocabulary files
cp "$T/clf.db" "$T/trunc.db"
truncate -s 3000 "$T/trunc.db"
row 1 "trunc.db" "$R" classify predict -m "$T/trunc.db" -
head -c 8192 /dev/urandom >"$T/random.db"
row 1 "random.db.*not an rnnkit model" "$R" classify predict -m "$T/random.db" -
sqlite3 "$T/foreign.db" "create table t(x); insert into t values (1)"
row 1 "foreign.db.*not an rnnkit model" "$R" classify predict -m "$T/foreign.db" -
cp "$T/clf.db" "$T/shape.db"
sqlite3 "$T/shape.db" "update tensors set shape = '5x3' where name = 'fc.weight'"
row 1 "shape.db.*fc.weight.*shape" "$R" classify predict -m "$T/shape.db" -
cp "$T/clf.db" "$T/len.db"
sqlite3 "$T/len.db" "update tensors set data = substr(data, 1, 8) where name = 'fc.weight'"
row 1 "len.db.*fc.weight.*bytes" "$R" classify predict -m "$T/len.db" -
cp "$T/clf.db" "$T/tamper.db"
sqlite3 "$T/tamper.db" "update tensors set data = zeroblob(length(data)) where name = 'fc.bias'"
row 1 "tamper.db.*fc.bias.*checksum" "$R" classify predict -m "$T/tamper.db" -
cp "$T/clf.db" "$T/future.db"
sqlite3 "$T/future.db" "pragma user_version = 99"
row 1 "future.db.*newer" "$R" classify predict -m "$T/future.db" -
cp "$T/clf.db" "$T/nan.db"
sqlite3 "$T/nan.db" "update model_meta set value = 'nan' where key = 'dropout'"
row 1 "nan.db.*dropout" "$R" classify predict -m "$T/nan.db" -
cp "$T/vocab.db" "$T/noreserved.db"
sqlite3 "$T/noreserved.db" "delete from tokens where id in (0, 1)"
row 1 "noreserved.db.*(reserved|<pad>|<unk>|id 0)" "$R" $CT --train "$D/sentiment/train.tsv" --vocab "$T/noreserved.db" -o "$T/x.db"
row 1 "noreserved.db.*(reserved|<pad>|<unk>|id 0)" "$R" vocab show "$T/noreserved.db"
row 1 "gen.db.*generator" "$R" classify predict -m "$T/gen.db" -
row 1 "gen.db.*generator" "$R" classify eval -m "$T/gen.db" "$D/sentiment/test.tsv"
row 1 "clf.db.*classifier" "$R" generate sample -m "$T/clf.db"
row 1 "clf.db.*classifier" "$R" generate eval -m "$T/clf.db" "$D/text/verse.txt"
row 1 "vocab.db.*not an rnnkit model" "$R" classify predict -m "$T/vocab.db" -
row 1 "random.db.*not an rnnkit vocabulary" "$R" vocab show "$T/random.db"
no_model "$T/x.db"

# ---------------------------------------------------------------- arguments
row 2 "--hidden" "$R" $CT --train "$D/sentiment/train.tsv" -o "$T/x.db" --hidden 0
row 2 "--ensemble" "$R" $CT --train "$D/sentiment/train.tsv" -o "$T/x.db" --ensemble 0
row 2 "--ensemble" "$R" $CT --train "$D/sentiment/train.tsv" -o "$T/x.db" --ensemble 17
row 2 "--ensemble" "$R" $CT --train "$D/sentiment/train.tsv" -o "$T/x.db" --ensemble many
row 2 "--member" "$R" export -m "$T/clf.db" --format vocab-txt --member 1 "$T/x.txt"
row 2 "--member" "$R" export -m "$T/clf.db" --format safetensors --member 0 "$T/x.st"
row 1 "member 2.*1 trained network" "$R" export -m "$T/clf.db" --format safetensors --member 2 "$T/x.st"
[ ! -e "$T/x.st" ] || fail "a refused export left $T/x.st behind"
row 2 "--maxlen" "$R" $CT --train "$D/sentiment/train.tsv" -o "$T/x.db" --maxlen -1
row 2 "--batch" "$R" $CT --train "$D/sentiment/train.tsv" -o "$T/x.db" --batch 1000000000
row 2 "--batch" "$R" $GT --train "$D/text/verse.txt" -o "$T/x.db" --batch 1000000000
row 2 "--length" "$R" generate sample -m "$T/gen.db" --length 1000000000000
row 2 "--dropout" "$R" $CT --train "$D/sentiment/train.tsv" -o "$T/x.db" --dropout 1.5
row 2 "--lr" "$R" $CT --train "$D/sentiment/train.tsv" -o "$T/x.db" --lr nan
row 2 "--weight-drop" "$R" $CT --train "$D/sentiment/train.tsv" -o "$T/x.db" --weight-drop 1
row 2 "--weight-drop" "$R" $GT --train "$D/text/verse.txt" -o "$T/x.db" --weight-drop -0.1
row 2 "--lr-decay" "$R" $CT --train "$D/sentiment/train.tsv" -o "$T/x.db" --lr-decay 0
row 2 "--lr-decay: the cosine" "$R" $CT --train "$D/sentiment/train.tsv" -o "$T/x.db" --lr-decay 0.5
row 2 "--lr-schedule" "$R" $CT --train "$D/sentiment/train.tsv" -o "$T/x.db" --lr-schedule step
row 2 "--lr-schedule" "$R" $GT --train "$D/text/verse.txt" -o "$T/x.db" --lr-schedule linear
row 2 "--embed-dropout" "$R" $GT --train "$D/text/verse.txt" -o "$T/x.db" --embed-dropout 0.99
row 2 "--lr-decay: the cosine" "$R" $GT --train "$D/text/verse.txt" -o "$T/x.db" --lr-decay 0.5
row 2 "option '--cjk-bigrams' takes no value" "$R" $CT --train "$D/sentiment/train.tsv" -o "$T/x.db" --cjk-bigrams=maybe
row 2 "--cjk-bigrams: word level" "$R" $CT --train "$D/sentiment/train.tsv" -o "$T/x.db" --level char --cjk-bigrams
row 2 "--cjk-bigrams: word level" "$R" vocab build --level char --cjk-bigrams -o "$T/x.db" "$D/text/verse.txt"
row 2 "--split-clitics: word level" "$R" $CT --train "$D/sentiment/train.tsv" -o "$T/x.db" --level char --split-clitics
row 2 "--split-clitics: word level" "$R" vocab build --level char --split-clitics -o "$T/x.db" "$D/text/verse.txt"
row 2 "--split-clitics: with --vocab" "$R" $CT --train "$D/sentiment/train.tsv" -o "$T/x.db" --vocab "$T/no.db" \
    --split-clitics
row 2 "--temperature" "$R" generate sample -m "$T/gen.db" --temperature 0
row 2 "--top-p" "$R" generate sample -m "$T/gen.db" --top-p 2
row 2 "--embed" "$R" $CT --train "$D/sentiment/train.tsv" -o "$T/x.db" --embed 1e9
row 2 "needs a value" "$R" $CT --train "$D/sentiment/train.tsv" -o "$T/x.db" --hidden
row 2 "needs a value" "$R" generate sample -m
no_model "$T/x.db"
# an output path in a read-only directory
mkdir -p "$T/ro"
chmod 555 "$T/ro"
# (the data is copied into $T: the rows run as nobody, who may not read the checkout)
cp "$D/sentiment/train.tsv" "$T/public.tsv"
chmod 644 "$T/public.tsv"
[ -z "$PERM" ] || row 1 "ro/m.db.*(ermission|cannot)" $AS "$R" $CT --train "$T/public.tsv" -o "$T/ro/m.db"
[ -z "$(ls -A "$T/ro")" ] || fail "files left in the read-only directory"
[ -z "$PERM" ] || row 1 "ro/v.db.*(ermission|cannot)" $AS "$R" vocab build --format tsv -o "$T/ro/v.db" "$T/public.tsv"
# a full disk: a file-size limit far below the model's size. The failed
# write leaves the old model at that path as it was.
cp "$T/clf.db" "$T/old.db"
before=$(md5sum <"$T/old.db")
row 1 "old.db.*(too large|disk|full|write|SQLite)" sh -c "ulimit -f 64; exec \"\$0\" \"\$@\"" "$R" \
    $CT --train "$D/sentiment/train.tsv" --hidden 64 --embed 64 -o "$T/old.db"
[ "$(md5sum <"$T/old.db")" = "$before" ] || fail "a failed write changed the old model"
ls "$T"/old.db.tmp-* >/dev/null 2>&1 && fail "a failed write left a temporary file"
row 1 "(too large|disk|full|write)" sh -c "ulimit -f 8; exec \"\$0\" \"\$@\"" "$R" \
    export -m "$T/clf.db" --format safetensors "$T/w.safetensors"
echo "ok $rows hostile-input rows: clear errors, no crash, nothing half written"
