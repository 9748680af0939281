#!/bin/sh
# bench/bench_vs_torch.sh: rnnkit against PyTorch's CPU LSTM, side by side,
# on the same machine, shapes, optimiser, loss and thread count.
#
#   sh bench/bench_vs_torch.sh [--quick] [--build DIR] [--threads "1 2"]
#
# Installs what it needs (the build dependencies, Debian's python3-torch),
# builds the library in Release (default build dir: build-perf) and
# bench/bench_train.c against it, then for every configuration and thread
# count runs bench_train (rnnkit) and bench/torch_side.py (PyTorch,
# /usr/bin/python3) alternately, one process per run, each warming up before
# it times its rounds. Figures are medians over all rounds of all runs.
# Prints one Markdown table on stdout (progress on stderr); raw result lines
# are kept in DIR/bench_vs_torch.raw.
#
#   --quick   one run per side, one round each (a few minutes less than the
#             full table; figures are noisier)
#
# Threads: OPENBLAS_NUM_THREADS and OMP_NUM_THREADS are set to the thread
# count for both sides; bench_train also calls openblas_set_num_threads and
# torch_side.py torch.set_num_threads. OPENBLAS_CORETYPE is left as found.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build-perf
quick=0
threads="1 2"
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1 ;;
        --build) build=$2; shift ;;
        --threads) threads=$2; shift ;;
        -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench_vs_torch.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift
done
case $build in /*) ;; *) build=$(pwd)/$build ;; esac

# ---------------------------------------------------------------- setup
sh "$src/scripts/install-deps.sh"
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "bench_vs_torch.sh: installing python3-torch" >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        python3-torch >/dev/null
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRNNKIT_TESTS=OFF >/dev/null
fi
cmake --build "$build" --target rnnkit_static -j2 >/dev/null
bench=$build/bench_train
# shellcheck disable=SC2046
${CC:-cc} -O2 -std=c17 -Wall -Wextra -I"$src/include" "$src/bench/bench_train.c" \
    "$build/librnnkit.a" $(pkg-config --cflags --libs openblas libutf8proc sqlite3) -lm \
    -o "$bench"
torch_side="/usr/bin/python3 $src/bench/torch_side.py"

# ---------------------------------------------------------------- plan
# One line per configuration: label | mode | arguments (shared by both
# sides) | sgemm reference task ("-": none). Steps per round are chosen so
# that a round is about a second of PyTorch time at one thread.
if [ $quick -eq 1 ]; then runs=1 rounds=1; else runs=1 rounds=3; fi
G2="--embed 64 --hidden 512 --layers 2"
plan="\
1. clf train uni B32 T80|clf-train|--bi 0 --batch 32 --len 80 --steps 8 --warm 1|clf
1. clf train uni B64 T80|clf-train|--bi 0 --batch 64 --len 80 --steps 4 --warm 1|clf
1. clf train uni B32 T400|clf-train|--bi 0 --batch 32 --len 400 --steps 2 --warm 1|clf
1. clf train uni B64 T400|clf-train|--bi 0 --batch 64 --len 400 --steps 1 --warm 1|clf
1. clf train bi B32 T80|clf-train|--bi 1 --batch 32 --len 80 --steps 6 --warm 1|clf
1. clf train bi B64 T80|clf-train|--bi 1 --batch 64 --len 80 --steps 3 --warm 1|clf
1. clf train bi B32 T400|clf-train|--bi 1 --batch 32 --len 400 --steps 1 --warm 1|clf
1. clf train bi B64 T400|clf-train|--bi 1 --batch 64 --len 400 --steps 1 --warm 1|clf
2. gen train 2x512 B64 T100|gen-train|$G2 --batch 64 --len 100 --steps 2 --warm 1|gen
3. clf infer bi B1 T80|clf-infer|--bi 1 --batch 1 --len 80 --steps 200 --warm 20|-
3. clf infer bi B256 T80|clf-infer|--bi 1 --batch 256 --len 80 --steps 2 --warm 1|-
3. clf infer bi B1 T400|clf-infer|--bi 1 --batch 1 --len 400 --steps 50 --warm 5|-
3. clf infer bi B256 T400|clf-infer|--bi 1 --batch 256 --len 400 --steps 1 --warm 1|-
4. generate 2x512 B1|gen-sample|$G2 --batch 1 --steps 1000 --warm 100|-
5. scale H128 uni B64 T80|clf-train|--bi 0 --hidden 128 --batch 64 --len 80 --steps 4 --warm 1|clf
5. scale H256 uni B64 T80|clf-train|--bi 0 --hidden 256 --batch 64 --len 80 --steps 2 --warm 1|clf
5. scale H512 uni B64 T80|clf-train|--bi 0 --hidden 512 --batch 64 --len 80 --steps 1 --warm 1|clf
5. scale H1024 uni B64 T80|clf-train|--bi 0 --hidden 1024 --batch 64 --len 80 --steps 1 --warm 1|clf"

raw=$build/bench_vs_torch.raw
log=$build/bench_vs_torch.log
: >"$raw"
: >"$log"

# run TAG THREADS COMMAND...: one measurement process; its result line,
# prefixed with the tag, goes to $raw (a failure is logged and skipped).
run() {
    tag=$1 n=$2
    shift 2
    if out=$(OPENBLAS_NUM_THREADS=$n OMP_NUM_THREADS=$n "$@" 2>>"$log"); then
        printf '%s\n' "$out" | grep '^result ' | sed "s/^/$tag|/" >>"$raw"
    else
        echo "bench_vs_torch.sh: failed: $*" >&2
        echo "failed: $*" >>"$log"
    fi
}

start=$(date +%s)
for n in $threads; do
    printf '%s\n' "$plan" | while IFS='|' read -r label mode args task; do
        echo "bench_vs_torch.sh: $label, $n thread(s)" >&2
        tag="$label|$n"
        if [ $quick -eq 1 ]; then # half the steps per round, rounded up
            args=$(printf '%s\n' "$args" | awk '{
                for (i = 2; i <= NF; i++) if ($(i - 1) == "--steps") $i = int(($i + 1) / 2)
                print }')
        fi
        # shellcheck disable=SC2086
        common="$args --threads $n --rounds $rounds"
        if [ "$task" != "-" ]; then
            # the sgemm reference at this configuration's forward shapes
            # shellcheck disable=SC2086
            run "$tag" "$n" "$bench" sgemm --task "$task" $args --threads "$n"
        fi
        i=0
        while [ $i -lt $runs ]; do
            # shellcheck disable=SC2086
            run "$tag" "$n" "$bench" "$mode" $common
            # shellcheck disable=SC2086
            run "$tag" "$n" $torch_side "$mode" $common
            i=$((i + 1))
        done
    done
done
secs=$(($(date +%s) - start))

# ---------------------------------------------------------------- table
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
tv=$(/usr/bin/python3 -c 'import torch; print(torch.__version__)')
bv=$(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || echo '?')
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'). Machine: $cpu, $(nproc) cores, $(uname -sr);" \
    "$(${CC:-cc} --version | head -n 1); PyTorch $tv (Debian); OpenBLAS $bv" \
    "(OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset})."
echo "Command: \`sh bench/bench_vs_torch.sh$( [ $quick -eq 1 ] && echo ' --quick')\`" \
    "($runs run(s) per side x $rounds round(s), medians; ${secs} s)."
echo
awk -F'|' '
function kv(s, key,    a, i, n) {   # value of key=value in a result line
    n = split(s, a, " ")
    for (i = 1; i <= n; i++)
        if (index(a[i], key "=") == 1)
            return substr(a[i], length(key) + 2)
    return ""
}
function median(list,    a, n, i, j, t) {
    n = split(list, a, ",")
    for (i = 2; i <= n; i++)
        for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
            t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
        }
    if (n == 0) return ""
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function fmt(x) {
    if (x == "") return "fail"
    return x >= 100 ? sprintf("%.0f", x) : sprintf("%.1f", x)
}
{
    key = $1 "|" $2
    if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
    line = $3
    side = kv(line, "side")
    if (side == "sgemm") { sg[key] = kv(line, "gflops"); next }
    mode[key] = kv(line, "mode")
    r[key, side] = r[key, side] (r[key, side] == "" ? "" : ",") kv(line, "rounds")
    fl[key, side] = kv(line, "flop_per_item")
    rss = kv(line, "rss_kb") / 1024
    if (rss > mem[key, side]) mem[key, side] = rss
}
END {
    unit["clf-train"] = "tokens/s"; unit["gen-train"] = "chars/s"
    unit["clf-infer"] = "docs/s"; unit["gen-sample"] = "chars/s"
    # PyTorch at its best thread count up to this row (it often runs
    # slower with 2 threads than with 1 on this machine)
    for (k = 1; k <= nk; k++) {
        key = order[k]
        split(key, p, "|")
        tb[key] = median(r[key, "torch"])
    }
    print "| configuration | threads | rnnkit | PyTorch | ratio | ratio vs PyTorch best at <= threads | unit | rnnkit % sgemm | PyTorch % sgemm | rnnkit RSS MB | PyTorch RSS MB |"
    print "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|"
    for (k = 1; k <= nk; k++) {
        key = order[k]
        split(key, p, "|")
        a = median(r[key, "rnnkit"]); b = tb[key]
        ratio = (a != "" && b != "" && b > 0) ? sprintf("%.2fx", a / b) : "-"
        best = b
        for (j = 1; j <= nk; j++) {
            split(order[j], q, "|")
            if (q[1] == p[1] && q[2] + 0 <= p[2] + 0 && tb[order[j]] + 0 > best + 0)
                best = tb[order[j]]
        }
        rbest = (a != "" && best != "" && best > 0) ? sprintf("%.2fx", a / best) : "-"
        ua = "-"; ub = "-"
        if ((key in sg) && sg[key] > 0) {
            if (a != "") ua = sprintf("%.0f %%", 100 * a * fl[key, "rnnkit"] / 1e9 / sg[key])
            if (b != "") ub = sprintf("%.0f %%", 100 * b * fl[key, "torch"] / 1e9 / sg[key])
        }
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %.0f | %.0f |\n", p[1], p[2],
               fmt(a), fmt(b), ratio, rbest, unit[mode[key]], ua, ub, mem[key, "rnnkit"],
               mem[key, "torch"]
    }
}' "$raw"
