#!/bin/sh
# End-to-end: `rnnkit vocab build | show | encode | decode` on small corpora
# (words, Chinese, char level, TSV, stdin, --append), Keras-style padding, and
# the bad-input cases: each a one-line error and exit 1, nothing written.
# usage: vocab.sh RNNKIT SOURCE_DIR
set -eu
R=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_rc() { # expect_rc CODE PATTERN cmd...
    want=$1; pat=$2; shift 2
    set +e; "$@" >"$T/out" 2>"$T/err"; rc=$?; set -e
    [ "$rc" -eq "$want" ] || { cat "$T/err" >&2; fail "exit $rc, want $want: $*"; }
    [ -z "$pat" ] || grep -q -- "$pat" "$T/err" || { cat "$T/err" >&2; fail "stderr lacks '$pat': $*"; }
}
one_line() { [ "$(wc -l <"$T/err")" -eq 1 ] || { cat "$T/err" >&2; fail "not a one-line error: $*"; }; }

printf 'The cat sat.\nthe cat ran, the dog sat!\nI don'"'"'t know\n' >"$T/en.txt"
"$R" vocab build -q -o "$T/v.db" "$T/en.txt"
[ -s "$T/v.db" ] || fail "no vocabulary written"
ls "$T" | grep -q tmp && fail "temporary file left behind"

# the file is plain SQLite: ids by count, ties by bytes
top=$(sqlite3 "$T/v.db" 'select token from tokens order by id limit 5' | tr '\n' ' ')
[ "$top" = "<pad> <unk> the cat sat " ] || fail "top tokens are '$top'"
[ "$(sqlite3 "$T/v.db" 'pragma user_version')" = 1 ] || fail "user_version"
[ "$(sqlite3 "$T/v.db" "select value from vocab_config where key='level'")" = word ] || fail "level"
[ "$(sqlite3 "$T/v.db" 'select lines from sources')" = 3 ] || fail "source lines"

"$R" vocab show "$T/v.db" --top 3 >"$T/show"
grep -q "coverage" "$T/show" || fail "show lacks coverage"
grep -q "nfkc" "$T/show" || fail "show lacks the normalisation"
"$R" vocab show "$T/v.db" --json | grep -q '"coverage"' || fail "show --json"

# encode/decode round trip; Keras padding (pre by default)
"$R" vocab encode "$T/v.db" "$T/en.txt" >"$T/ids"
[ "$(wc -l <"$T/ids")" -eq 3 ] || fail "encode: one line per input line"
"$R" vocab decode "$T/v.db" "$T/ids" >"$T/back"
[ "$(head -n 1 "$T/back")" = "the cat sat ." ] || fail "decode gave '$(head -n 1 "$T/back")'"
[ "$(echo 'the cat' | "$R" vocab encode "$T/v.db" --maxlen 4 -)" = "0 0 2 3" ] || fail "pre padding"
[ "$(echo 'the cat' | "$R" vocab encode "$T/v.db" --maxlen 4 --padding post --value 9 -)" = "2 3 9 9" ] ||
    fail "post padding with a value"
[ "$(echo 'the cat sat' | "$R" vocab encode "$T/v.db" --maxlen 2 -)" = "3 4" ] || fail "pre truncating"
[ "$(echo 'the cat sat' | "$R" vocab encode "$T/v.db" --maxlen 2 --truncating post -)" = "2 3" ] ||
    fail "post truncating"
[ "$(echo 'zebra cat' | "$R" vocab encode "$T/v.db" -)" = "1 3" ] || fail "unknown word is <unk> (1)"
echo 'the cat sat on the mat' | "$R" vocab encode "$T/v.db" --maxlen 2 --report - >/dev/null 2>"$T/rep"
grep -q "95" "$T/rep" || fail "--report lacks the 95% length"

# encode uses the file's rules, not the command line's: char level keeps case
printf 'Ab\nab\n' >"$T/c.txt"
"$R" vocab build -q -o "$T/c.db" --level char "$T/c.txt"
[ "$(sqlite3 "$T/c.db" 'select count(*) from tokens')" -eq 6 ] || fail "char vocab: <pad> <unk> a b A \\n"
[ "$(printf 'A\n' | "$R" vocab encode "$T/c.db" - | wc -w)" -eq 1 ] || fail "char encode"

# Chinese: one token per character; stdin; --format tsv counts only the text
printf '我爱北京\n北京很大\n' | "$R" vocab build -q -o "$T/zh.db" -
[ "$(sqlite3 "$T/zh.db" "select token from tokens where id=2")" = "京" ] || fail "zh: commonest is 京 (ties by bytes)"
printf 'pos\tgood film\nneg\tbad film\n' >"$T/d.tsv"
"$R" vocab build -q -o "$T/t.db" --format tsv "$T/d.tsv"
sqlite3 "$T/t.db" 'select token from tokens' | grep -qx pos && fail "--format tsv counted the label"
[ "$(sqlite3 "$T/t.db" 'select token from tokens where id=2')" = film ] || fail "--format tsv text"

# --split-clitics: raw text and Penn Treebank text (MR, SST-2) give the same
# ids; the file and `show` say so; decode joins a clitic to its word
printf 'I don'"'"'t know, it'"'"'s great.\ni do n'"'"'t know , it '"'"'s great .\n' >"$T/ptb.txt"
"$R" vocab build -q -o "$T/cl.db" --split-clitics "$T/ptb.txt"
[ "$(sqlite3 "$T/cl.db" "select value from vocab_config where key='split_clitics'")" = 1 ] || fail "split_clitics key"
[ "$(sqlite3 "$T/v.db" "select value from vocab_config where key='split_clitics'")" = 0 ] || fail "split_clitics off"
"$R" vocab encode "$T/cl.db" "$T/ptb.txt" >"$T/cl.ids"
[ "$(sed -n 1p "$T/cl.ids")" = "$(sed -n 2p "$T/cl.ids")" ] || fail "--split-clitics: raw and PTB ids differ"
"$R" vocab show "$T/cl.db" | grep -q "^split_clitics	yes$" || fail "show lacks split_clitics yes"
"$R" vocab show "$T/v.db" | grep -q "^split_clitics	no$" || fail "show lacks split_clitics no"
"$R" vocab show "$T/cl.db" --json | grep -q '"split_clitics":true' || fail "show --json lacks split_clitics"
[ "$("$R" vocab decode "$T/cl.db" "$T/cl.ids" | sed -n 1p)" = "i don't know , it's great ." ] ||
    fail "decode gave '$("$R" vocab decode "$T/cl.db" "$T/cl.ids" | sed -n 1p)'"
expect_rc 2 "--split-clitics: word level" "$R" vocab build --level char --split-clitics -o "$T/x.db" "$T/ptb.txt"
expect_rc 1 "split_clitics" "$R" export --vocab "$T/cl.db" --format hf-tokenizer "$T/x.json"
[ ! -e "$T/x.json" ] || fail "a refused export wrote its output"

# --append counts more corpora into the file; --max-vocab counts the reserved ids
"$R" vocab build -q -o "$T/t.db" --append "$T/en.txt"
[ "$(sqlite3 "$T/t.db" 'select count(*) from sources')" -eq 2 ] || fail "--append sources"
"$R" vocab build -q -o "$T/m.db" --max-vocab 4 "$T/en.txt"
[ "$(sqlite3 "$T/m.db" 'select count(*) from tokens')" -eq 4 ] || fail "--max-vocab 4 gives 4 ids"

# help and usage
"$R" vocab --help | grep -q build || fail "vocab --help"
"$R" vocab build --help | grep -q -- "--max-vocab" || fail "build --help"
# the old spelling is a usage error naming the new one (one word per idea:
# --max-vocab in vocab build and classify train)
set +e
"$R" vocab build -q -o "$T/old.db" --max-size 4 "$T/en.txt" 2>"$T/err"; rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "^rnnkit: --max-size is now --max-vocab$" "$T/err" || fail "--max-size: rc $rc"
set +e; "$R" vocab build -o "$T/x.db" --tsv "$T/d.tsv" 2>"$T/err"; rc=$?; set -e
[ "$rc" -eq 2 ] && grep -q "^rnnkit: --tsv is now --format tsv$" "$T/err" || fail "vocab build --tsv: rc $rc"
set +e; "$R" vocab encode "$T/t.db" --tsv "$T/d.tsv" 2>"$T/err"; rc=$?; set -e
[ "$rc" -eq 2 ] && grep -q "^rnnkit: --tsv is now --format tsv$" "$T/err" || fail "vocab encode --tsv: rc $rc"
[ ! -e "$T/old.db" ] || fail "a usage error wrote a vocabulary"
expect_rc 2 "" "$R" vocab build "$T/en.txt"
expect_rc 2 "" "$R" vocab build -o "$T/x.db" --bogus "$T/en.txt"
expect_rc 2 "" "$R" vocab encode "$T/v.db" --maxlen nope -

# bad input: one-line error, exit 1, nothing written
cp "$T/v.db" "$T/keep.db"
expect_rc 1 "missing.txt" "$R" vocab build -o "$T/keep.db" "$T/missing.txt"; one_line missing
cmp -s "$T/v.db" "$T/keep.db" || fail "a failed build changed the existing file"
expect_rc 1 "" "$R" vocab build -o "$T/new.db" "$T"; one_line directory
[ -e "$T/new.db" ] && fail "a failed build wrote its output"
printf 'ok\nbad \377 byte\n' >"$T/bad.txt"
expect_rc 1 "bad.txt:2:.*byte offset 7" "$R" vocab build -o "$T/new.db" "$T/bad.txt"; one_line utf8
[ -e "$T/new.db" ] && fail "invalid UTF-8 wrote an output"
"$R" vocab build -o "$T/new.db" --invalid replace "$T/bad.txt" 2>"$T/err"
grep -q "1 invalid" "$T/err" || fail "--invalid replace does not report the count"
expect_rc 1 "missing.db" "$R" vocab show "$T/missing.db"; one_line missing-db
expect_rc 1 "" "$R" vocab show "$T"; one_line dir-db
expect_rc 1 "not" "$R" vocab show "$T/en.txt"; one_line text-db
sqlite3 "$T/other.db" 'create table t(x)'
expect_rc 1 "not an rnnkit vocabulary" "$R" vocab encode "$T/other.db" "$T/en.txt"; one_line other-db
cp "$T/v.db" "$T/newer.db"
sqlite3 "$T/newer.db" 'pragma user_version=9'
expect_rc 1 "newer" "$R" vocab show "$T/newer.db"; one_line newer
expect_rc 1 "newer" "$R" vocab build -o "$T/newer.db" --append "$T/en.txt"; one_line newer-append
[ "$(sqlite3 "$T/newer.db" 'pragma user_version')" = 9 ] || fail "--append rewrote a newer file"
echo "vocab e2e: ok"
