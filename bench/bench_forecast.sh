#!/bin/sh
# bench/bench_forecast.sh: `rnnkit forecast` against the reference methods on
# the real series of ../shared/data/series, side by side in one run.
#
#   sh bench/bench_forecast.sh [--quick] [RNNKIT_BINARY] [DATA_DIR] [-- PYTHON_OPTIONS]
#
#   RNNKIT_BINARY  default build/rnnkit; when it has no `forecast` command the
#                  rnnkit column reads "n/a" and the rest still runs
#   DATA_DIR       default ../shared/data (relative to the repository root);
#                  the series are read from DATA_DIR/series (read only)
#   --quick        airline, car sales and sine only, 30 epochs (about 15 s)
#   after --       options for bench/forecast_ref.py (see its --help), e.g.
#                  --series sunspots,sp500 --epochs 50 --hidden 64
#
# For every series: the test RMSE on the last 33 % of the points (the first
# int(0.67 n) train), one step ahead from the true history, in the series'
# units, of persistence y[t-1], seasonal naive y[t-season], Holt-Winters
# (statsmodels, chosen by AIC on the training part, then a fixed-parameter
# filter over the test part: no refit), a PyTorch LSTM of rnnkit's default
# shape, and rnnkit (`forecast train --csv F --target COL -o M.db --quiet`,
# then `forecast eval -m M.db --csv F --json`, its test rmse), with the
# training times. Details in bench/forecast_ref.py.
#
# The Markdown table goes to stdout; the whole log (machine facts, every
# Holt-Winters candidate, training curves, rnnkit's JSON) also to
# bench/results/bench_forecast[-quick]-<date>.md.
#
# Threads: PyTorch 1 intra-op thread (fastest here), OpenBLAS (numpy, scipy,
# statsmodels) OPENBLAS_NUM_THREADS=2 unless set; OPENBLAS_CORETYPE is left
# as found and printed.
set -eu
cd "$(dirname "$0")/.."
quick=""
R=build/rnnkit
D=../shared/data
n=0
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=--quick ;;
        --) shift; break ;;
        -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "bench_forecast.sh: unknown option $1" >&2; exit 2 ;;
        *) n=$((n + 1)); if [ $n -eq 1 ]; then R=$1; else D=$1; fi ;;
    esac
    shift
done
[ -d "$D/series" ] || [ -f "$D/airline-passengers.csv" ] ||
    { echo "bench_forecast.sh: no series in $D: this benchmark needs the shared data" >&2; exit 1; }
[ -x "$R" ] || echo "bench_forecast.sh: no $R: the rnnkit column will read n/a (build it: sh scripts/test.sh)" >&2
sh scripts/install-deps.sh --ref
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-2}"
mkdir -p bench/results
log=bench/results/bench_forecast${quick:+-quick}-$(date -u +%Y-%m-%d).md
: >"$log"
{
    echo "Command: sh bench/bench_forecast.sh${quick:+ $quick} $R $D${*:+ -- $*}"
    echo "Commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ' (modified)')"
    echo
} >>"$log"
# the table on stdout, the details on stderr; both in $log
/usr/bin/python3 bench/forecast_ref.py $quick --rnnkit "$R" --data "$D" --log "$log" "$@"
echo "bench_forecast.sh: whole log in $log" >&2
