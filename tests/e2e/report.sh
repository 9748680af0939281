#!/bin/sh
# End-to-end: `rnnkit report` renders in headless Chromium with its curves
# visible: the rendered DOM holds the loss and accuracy charts, each with a
# train and a validation polyline of one point per epoch, and a screenshot
# of the page holds pixels of both curve colours. Also the confusion matrix
# with --data, a generator's report, and the usage errors. A forecaster
# (imported from a safetensors file this script writes: no forecaster
# needs training for its report) without --csv says what --csv adds, and
# with --csv draws the series, its fit and its forecasts and tabulates the
# errors beside the baselines.
# Needs Debian's chromium; without it the test is SKIPPED (exit 77).
# usage: report.sh RNNKIT SOURCE_DIR
set -eu
R=$1
S=$2
D=$S/corpora/data/sentiment
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$R" classify train --train "$D/train.tsv" -o "$T/m.db" --epochs 4 --patience 0 --embed 16 --hidden 16 \
    --seed 4 --quiet
"$R" report -m "$T/m.db" -o "$T/report.html" --data "$D/test.tsv"
grep -q '<table id="confusion"' "$T/report.html" || fail "no confusion matrix with --data"
grep -q '<svg id="loss-curve"' "$T/report.html" || fail "no loss chart"
"$R" generate train --train "$S/corpora/data/text/verse.txt" -o "$T/g.db" --hidden 16 --embed 8 --layers 1 \
    --steps 40 --eval-every 10 --batch 8 --seq-len 32 --quiet
"$R" report -m "$T/g.db" -o - >"$T/g.html"
grep -q 'data-series="validation loss"' "$T/g.html" || fail "generator report lacks its validation curve"
set +e
"$R" report -m "$T/g.db" -o "$T/x.html" --data "$D/test.tsv" 2>/dev/null
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "--data with a generator: exit $rc, want 2"

. "$S/tests/e2e/lib/forecaster.sh"
forecaster_st "$T/f.st"
"$R" import --format safetensors "$T/f.st" -o "$T/f.db" 2>"$T/err" || { cat "$T/err" >&2; fail "import of a forecaster"; }
awk 'BEGIN { print "month,passengers"
             for (t = 0; t < 72; t++)
                 printf "%d-%02d,%.3f\n", 1950 + int(t / 12), t % 12 + 1, 100 + 20 * sin(2 * 3.14159265 * t / 12) + t }' \
    >"$T/series.csv"
"$R" report -m "$T/f.db" -o "$T/f0.html"
grep -q -- '--csv SERIES.csv</code> to add the plot' "$T/f0.html" || fail "a forecaster's report without --csv does not say what it adds"
grep -q '<svg id="forecast-plot"' "$T/f0.html" && fail "a plot without the series"
grep -q '<th>date column</th><td>month</td>' "$T/f0.html" || fail "the forecaster's configuration lacks its date column"
"$R" report -m "$T/f.db" -o "$T/f.html" --csv "$T/series.csv"
grep -q '<svg id="forecast-plot"' "$T/f.html" || fail "no forecast plot with --csv"
for c in 'series' 'fit (training)' 'forecast (test)'; do
    grep -q "data-series=\"$c\"" "$T/f.html" || fail "the forecast plot lacks the curve '$c'"
done
grep -q '<table id="forecast-errors"' "$T/f.html" || fail "no table of errors"
[ "$(grep -c '<td>persistence (y\[t&minus;1\])</td><td>test</td><td>18</td>' "$T/f.html")" -eq 1 ] ||
    fail "no persistence baseline on the 18 test rows"
grep -q 'test rows from 54' "$T/f.html" || fail "the test part does not start at row 54 (ceil(72 * 0.25) = 18 rows)"
# a forecaster trained by `rnnkit forecast train`: its loss curves too
"$R" forecast train --csv "$T/series.csv" --target passengers -o "$T/ft.db" --epochs 3 --hidden 4 --lookback 6 \
    --difference 1 --season 12 --test-frac 0.25 --quiet
"$R" report -m "$T/ft.db" -o "$T/ft.html" --csv "$T/series.csv"
for id in forecast-plot loss-curve; do
    grep -q "<svg id=\"$id\"" "$T/ft.html" || fail "a trained forecaster's report lacks the $id chart"
done
grep -q '<td><b>model</b></td><td>validation</td>' "$T/ft.html" || fail "no validation errors of a trained forecaster"
set +e
"$R" report -m "$T/f.db" -o "$T/x.html" --data "$D/test.tsv" 2>/dev/null
rc1=$?
"$R" report -m "$T/m.db" -o "$T/x.html" --csv "$T/series.csv" 2>/dev/null
rc2=$?
"$R" report -m "$T/f.db" -o "$T/x.html" --csv "$T/nothere.csv" 2>"$T/err"
rc3=$?
set -e
[ "$rc1" -eq 2 ] || fail "--data with a forecaster: exit $rc1, want 2"
[ "$rc2" -eq 2 ] || fail "--csv with a classifier: exit $rc2, want 2"
[ "$rc3" -eq 1 ] && grep -q 'nothere.csv' "$T/err" || fail "a missing --csv: exit $rc3, want 1 naming the file"
[ ! -e "$T/x.html" ] || fail "a failed report left a page behind"

CHROME=""
for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then CHROME=$c; break; fi
done
if [ -z "$CHROME" ]; then
    echo "SKIP: no chromium to render the report (apt-get install chromium)"
    exit 77
fi
chrome() {
    "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$T/profile" --window-size=1000,1500 "$@" 2>>"$T/chrome.log"
}
url="file://$T/report.html"
chrome --dump-dom "$url" >"$T/dom.html" || { cat "$T/chrome.log" >&2; fail "chromium --dump-dom failed"; }
for id in loss-curve accuracy-curve; do
    grep -q "<svg id=\"$id\"" "$T/dom.html" || fail "rendered DOM lacks the $id chart"
done
# 4 epochs -> 4 points in each of the 4 polylines (train/validation x loss/accuracy)
n=$(grep -o '<polyline class="curve"[^>]*points="[^"]*"' "$T/dom.html" |
    sed 's/.*points="//; s/"$//' | awk '{ if (NF >= 4) ok++ } END { print ok + 0 }')
[ "$n" -eq 4 ] || fail "rendered DOM has $n curves with 4 points, want 4"
chrome --dump-dom "file://$T/f.html" >"$T/fdom.html" || { cat "$T/chrome.log" >&2; fail "chromium --dump-dom failed"; }
# the forecaster's plot: the series (72 rows), the fit, the forecasts (18 test rows)
pts=$(grep -o '<polyline class="curve"[^>]*points="[^"]*"' "$T/fdom.html" |
    sed 's/.*points="//; s/"$//' | awk '{ printf "%s%d", (NR > 1 ? " " : ""), NF }')
case "$pts" in
"72 "*" 18") ;;
*) fail "rendered forecast plot has curves of $pts points, want 72, the fit, 18" ;;
esac

chrome --screenshot="$T/shot.png" "$url" >/dev/null || { cat "$T/chrome.log" >&2; fail "chromium --screenshot failed"; }
[ -s "$T/shot.png" ] || fail "no screenshot"
if [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 "$S/tests/interop/png_colours.py" "$T/shot.png" 1f77b4 d62728 >"$T/px"
    awk -F'\t' '$2 < 150 { bad = 1; print "FAIL: colour " $1 ": only " $2 " pixels" } END { exit bad }' "$T/px" >&2 ||
        fail "curves not visible in the screenshot"
    echo "pixels of the curve colours (train, validation):" $(cut -f2 "$T/px")
fi
echo "report: ok"
