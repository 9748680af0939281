#!/bin/sh
# End-to-end: `rnnkit forecast` on series the test writes itself: a noisy
# sine is learnt to a small error (below persistence), eval prints its table
# and its JSON, predict prints +step<TAB>value lines, a resumed run ends bit
# for bit where an uninterrupted one does; and the hostile rows: an empty
# file, a header only, a text cell, a missing cell, a target that does not
# exist, a constant series (no division by zero), 10^7 rows. Each bad input
# exits 1 with a message naming the file (and line and column), no crash.
# usage: forecast.sh RNNKIT SOURCE_DIR
set -eu
R=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1
row() { # row WANT PATTERN COMMAND...
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
}

# a noisy sine with a period of 20 steps, 400 rows, CRLF line ends, dates
awk 'BEGIN { srand(7); printf "\"Date\",\"Value\"\r\n";
             for (i = 0; i < 400; i++) printf "\"2000-%04d\",%.6f\r\n", i, sin(2 * 3.14159265 * i / 20) + 0.05 * (rand() - 0.5) }' >"$T/sine.csv"
"$R" forecast train --csv "$T/sine.csv" --target Value -o "$T/s.db" --epochs 40 --quiet
"$R" forecast eval -m "$T/s.db" --csv "$T/sine.csv" >"$T/eval"
grep -q '^model test' "$T/eval" || fail "eval lacks the model's test row"
grep -q '^persist test' "$T/eval" || fail "eval lacks persistence"
"$R" forecast eval -m "$T/s.db" --csv "$T/sine.csv" --json >"$T/eval.json"
if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/eval.json" || fail "eval --json is not JSON"
fi
test_rmse=$(sed 's/.*"points":{[^}]*},"train":{[^}]*},"test":{"n":[0-9]*,"rmse":\([^,]*\),.*/\1/' "$T/eval.json")
persist=$(sed 's/.*"persistence":{"train":{[^}]*},"test":{"n":[0-9]*,"rmse":\([^,]*\),.*/\1/' "$T/eval.json")
awk -v a="$test_rmse" -v p="$persist" 'BEGIN { exit !(a < 0.06 && a < p) }' ||
    fail "noisy sine: test RMSE $test_rmse (persistence $persist): not learnt"
"$R" forecast predict -m "$T/s.db" --csv "$T/sine.csv" --horizon 7 >"$T/pred"
[ "$(wc -l <"$T/pred")" -eq 7 ] || fail "predict --horizon 7 printed $(wc -l <"$T/pred") lines"
awk -F'\t' 'NF != 2 || $1 !~ /^\+[0-9]+$/ || $2 < -1.5 || $2 > 1.5 { exit 1 }' "$T/pred" ||
    fail "predict lines are not +step<TAB>value near the sine"

# resume: a finished 3-epoch run extended to 6 ends bit for bit where a
# 6-epoch run does. The plateau schedule: a cosine one spans the run's own
# length, so extending a run reshapes its curve (rnnkit_train_options).
"$R" forecast train --csv "$T/sine.csv" --target Value -o "$T/a.db" --epochs 6 --difference 0 --quiet \
    --lr-schedule plateau
"$R" forecast train --csv "$T/sine.csv" --target Value -o "$T/b.db" --epochs 3 --difference 0 --quiet \
    --lr-schedule plateau
"$R" forecast train --csv "$T/sine.csv" --target Value -o "$T/b.db" --epochs 6 --difference 0 --quiet --resume \
    --lr-schedule plateau
"$R" export -m "$T/a.db" --format safetensors "$T/a.st"
"$R" export -m "$T/b.db" --format safetensors "$T/b.st"
cmp -s "$T/a.st" "$T/b.st" || fail "3 epochs + resume to 6 differ from 6 epochs"

# hostile rows
: >"$T/empty.csv"
row 1 "empty.csv.*empty" "$R" forecast train --csv "$T/empty.csv" --target x -o "$T/x.db" --quiet
printf 'Date,Value\n' >"$T/header.csv"
row 1 "header.csv.*no data" "$R" forecast train --csv "$T/header.csv" --target Value -o "$T/x.db" --quiet
printf 'Date,Value\n1,2\n2,abc\n3,4\n' >"$T/text.csv"
row 1 "text.csv:3.*Value.*abc" "$R" forecast train --csv "$T/text.csv" --target Value -o "$T/x.db" --quiet
printf 'Date,Value\n1,2\n2,\n3,4\n' >"$T/missing.csv"
row 1 "missing.csv:3.*Value.*missing" "$R" forecast train --csv "$T/missing.csv" --target Value -o "$T/x.db" --quiet
row 1 "no (target )?column 'Price'.*Date, Value" "$R" forecast train --csv "$T/sine.csv" --target Price -o "$T/x.db" --quiet
[ ! -e "$T/x.db" ] || fail "a failed training left a model behind"
awk 'BEGIN { print "t,v"; for (i = 0; i < 200; i++) print i ",5" }' >"$T/const.csv"
row 0 "" "$R" forecast train --csv "$T/const.csv" --target v -o "$T/c.db" --epochs 3 --difference 0 --quiet
"$R" forecast predict -m "$T/c.db" --csv "$T/const.csv" --horizon 3 >"$T/cpred"
awk -F'\t' '$2 != $2 + 0 || $2 < 4.9 || $2 > 5.1 { exit 1 }' "$T/cpred" || fail "a constant series forecasts $(cat "$T/cpred")"
row 1 "lookback 12.*need" "$R" forecast train --csv "$T/text.csv" --target Date -o "$T/x.db" --quiet
if [ -z "${RNNKIT_E2E_SMALL:-}" ]; then
    # 10^7 rows: read and forecast from their end (memory and time linear in the rows)
    awk 'BEGIN { print "Date,Value"; for (i = 0; i < 10000000; i++) print i "," (i % 97) / 97 }' >"$T/big.csv"
    row 0 "" "$R" forecast predict -m "$T/s.db" --csv "$T/big.csv" --horizon 2 --fill none
    [ "$(wc -l <"$T/out")" -eq 2 ] || fail "10^7 rows: no forecast"
fi
echo "forecast: learnt, eval/predict formats, resume bit for bit, hostile rows"
