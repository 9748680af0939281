#!/bin/sh
# End-to-end: `rnnkit report` renders in headless Chromium with its curves
# visible: the rendered DOM holds the loss and accuracy charts, each with a
# train and a validation polyline of one point per epoch, and a screenshot
# of the page holds pixels of both curve colours. Also the confusion matrix
# with --data, a generator's report, and the usage errors.
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

chrome --screenshot="$T/shot.png" "$url" >/dev/null || { cat "$T/chrome.log" >&2; fail "chromium --screenshot failed"; }
[ -s "$T/shot.png" ] || fail "no screenshot"
if [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 "$S/tests/interop/png_colours.py" "$T/shot.png" 1f77b4 d62728 >"$T/px"
    awk -F'\t' '$2 < 150 { bad = 1; print "FAIL: colour " $1 ": only " $2 " pixels" } END { exit bad }' "$T/px" >&2 ||
        fail "curves not visible in the screenshot"
    echo "pixels of the curve colours (train, validation):" $(cut -f2 "$T/px")
fi
echo "report: ok"
