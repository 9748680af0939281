#!/bin/sh
# bench/bench_vs_torch.sh: rnnkit against PyTorch's CPU LSTM, side by side,
# on the same machine, shapes, optimiser and loss, at each core budget:
# PyTorch at rnnkit's thread count and at its best set-up within the budget.
#
#   sh bench/bench_vs_torch.sh [--quick] [--build DIR] [--threads "1 2"]
#                              [--torch-grid full|quick] [--rows PATTERN]
#
# Installs what it needs (the build dependencies, Debian's python3-torch),
# builds the library in Release (default build dir: build-perf) and
# bench/bench_train.c against it, then for every configuration and core
# budget n runs bench_train (rnnkit) and bench/torch_side.py (PyTorch,
# /usr/bin/python3), one process per run, each warming up before it times
# its rounds. Figures are medians over all rounds of all runs. Prints one
# Markdown table on stdout (progress on stderr); raw result lines are kept
# in DIR/bench_vs_torch.raw.
#
#   --quick        one run per side and set-up, one round each, half the
#                  steps (figures are noisier)
#   --threads L    the core budgets n to run (default "1 2")
#   --torch-grid full   (default) PyTorch under every set-up on every row:
#                  intra-op threads 1..n x OpenBLAS threads 1..n x malloc
#                  default|tuned, 2n^2 runs per row and budget
#   --torch-grid quick  the whole grid on each mode's first row (clf-train,
#                  gen-train, clf-infer, gen-sample) at each budget only; the
#                  mode's other rows run its fastest set-up there and the
#                  same-thread one
#   --rows PATTERN only the plan lines (label|mode|arguments) that match this
#                  grep pattern, e.g. 'clf train uni B32 T80'
#
# rnnkit: bench_train --threads n, OPENBLAS_NUM_THREADS=OMP_NUM_THREADS=n.
# "target vs best": the ratio issue #19 aims at (2+ cores: training 2x,
# inference 3x, batch-1 generation 5x; 1 core: training 1.5x), met or not.
# PyTorch set-up (intra i, BLAS b, malloc m): torch_side.py --threads n
# --intra i (torch.set_num_threads(i)), OMP_NUM_THREADS=i,
# OPENBLAS_NUM_THREADS=b; malloc tuned sets MALLOC_MMAP_MAX_=0 and
# MALLOC_TRIM_THRESHOLD_=1000000000000 in that process's environment only
# (glibc keeps freed memory), default unsets both. Columns: "PyTorch" is
# i = b = n with malloc default; "PyTorch best" the fastest set-up run at
# that row and budget, named. OPENBLAS_CORETYPE is left as found, the same
# for both sides, and printed with the kernels OpenBLAS picked.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
build=$src/build-perf
quick=0
threads="1 2"
grid=full
rows=""
cmdline="sh bench/bench_vs_torch.sh"
for a in "$@"; do
    case $a in
        *[!A-Za-z0-9._/=+-]*) cmdline="$cmdline '$a'" ;;
        *) cmdline="$cmdline $a" ;;
    esac
done
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1 ;;
        --build) build=$2; shift ;;
        --threads) threads=$2; shift ;;
        --torch-grid)
            case $2 in full|quick) grid=$2 ;;
                *) echo "bench_vs_torch.sh: --torch-grid full|quick, not '$2'" >&2; exit 2 ;;
            esac
            shift ;;
        --rows) rows=$2; shift ;;
        -h|--help) sed -n '2,41p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench_vs_torch.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift
done
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
for n in $threads; do
    case $n in ''|*[!0-9]*|0*) echo "bench_vs_torch.sh: --threads: '$n' is not a thread count" >&2; exit 2 ;; esac
done
# glibc's malloc kept from returning memory (PyTorch's tuned set-ups only)
malloc_tuned="MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1000000000000"
# rnnkit runs with malloc as found
malloc_found=$(env | grep -E '^(MALLOC_MMAP_MAX_|MALLOC_TRIM_THRESHOLD_|GLIBC_TUNABLES)=' |
    tr '\n' ' ' | sed 's/ $//')

# ---------------------------------------------------------------- setup
sh "$src/scripts/install-deps.sh"
bench_need_torch bench_vs_torch.sh
bench_configure "$src" "$build" -DRNNKIT_TESTS=OFF
cmake --build "$build" --target rnnkit_static -j2 >/dev/null
bench=$build/bench_train
# shellcheck disable=SC2046
${CC:-cc} -O2 -std=c17 -Wall -Wextra -I"$src/include" "$src/bench/bench_train.c" \
    "$build/librnnkit.a" $(pkg-config --cflags --libs openblas libutf8proc sqlite3) -lm \
    -o "$bench"

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

if [ -n "$rows" ]; then
    plan=$(printf '%s\n' "$plan" | grep -e "$rows" || true)
    if [ -z "$plan" ]; then
        echo "bench_vs_torch.sh: --rows '$rows' matches no plan line" >&2
        exit 2
    fi
fi

raw=$build/bench_vs_torch.raw
log=$build/bench_vs_torch.log
picks=$build/bench_vs_torch.picks
: >"$raw"
: >"$log"
: >"$picks"

# Awk helpers shared by the set-up picker and the table.
awk_lib='
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
function setup_name(su,    s) {   # "1,2,tuned" -> "intra 1, BLAS 2, malloc tuned"
    split(su, s, ",")
    return "intra " s[1] ", BLAS " s[2] ", malloc " s[3]
}
'

# run TAG SETUP OMP_THREADS BLAS_THREADS COMMAND...: one measurement process
# with OMP_NUM_THREADS and OPENBLAS_NUM_THREADS set; its result line, prefixed
# with the tag and set-up ("-" for rnnkit and sgemm, "intra,blas,malloc" for
# PyTorch), goes to $raw (a failure is logged and skipped).
run() {
    r_tag=$1 r_setup=$2 r_omp=$3 r_blas=$4
    shift 4
    if r_out=$(OPENBLAS_NUM_THREADS=$r_blas OMP_NUM_THREADS=$r_omp "$@" </dev/null 2>>"$log"); then
        printf '%s\n' "$r_out" | grep '^result ' | sed "s/^/$r_tag|$r_setup|/" >>"$raw"
    else
        echo "bench_vs_torch.sh: failed: $*" >&2
        echo "failed: $*" >>"$log"
    fi
}

# torch_run TAG SETUP MODE ARGS...: torch_side.py under set-up
# "intra,blas,malloc" (malloc: default or tuned).
torch_run() {
    t_tag=$1 t_setup=$2 t_mode=$3
    shift 3
    t_intra=${t_setup%%,*}
    t_blas=${t_setup#*,}
    t_blas=${t_blas%%,*}
    case $t_setup in
        *,tuned)
            # shellcheck disable=SC2086
            run "$t_tag" "$t_setup" "$t_intra" "$t_blas" env $malloc_tuned \
                /usr/bin/python3 "$src/bench/torch_side.py" "$t_mode" "$@" --intra "$t_intra" ;;
        *)
            run "$t_tag" "$t_setup" "$t_intra" "$t_blas" \
                env -u MALLOC_MMAP_MAX_ -u MALLOC_TRIM_THRESHOLD_ \
                /usr/bin/python3 "$src/bench/torch_side.py" "$t_mode" "$@" --intra "$t_intra" ;;
    esac
}

# grid_setups N: PyTorch's set-ups at core budget N, the same-thread one first.
grid_setups() {
    echo "$1,$1,default"
    g_i=1
    while [ "$g_i" -le "$1" ]; do
        g_b=1
        while [ "$g_b" -le "$1" ]; do
            for g_m in default tuned; do
                [ "$g_i,$g_b,$g_m" = "$1,$1,default" ] || echo "$g_i,$g_b,$g_m"
            done
            g_b=$((g_b + 1))
        done
        g_i=$((g_i + 1))
    done
}

# best_setup LABEL N: the set-up with the highest median in $raw for that
# row and budget (empty if PyTorch failed under all of them).
best_setup() {
    awk -F'|' -v label="$1" -v n="$2" "$awk_lib"'
    $1 == label && $2 == n && $3 != "-" {
        if (!($3 in r)) order[++ns] = $3
        r[$3] = r[$3] (r[$3] == "" ? "" : ",") kv($4, "rounds")
    }
    END {
        for (k = 1; k <= ns; k++) {
            m = median(r[order[k]])
            if (m != "" && (best == "" || m + 0 > bm + 0)) { best = order[k]; bm = m }
        }
        print best
    }' "$raw"
}

start=$(date +%s)
for n in $threads; do
    printf '%s\n' "$plan" | while IFS='|' read -r label mode args task; do
        tag="$label|$n"
        if [ $quick -eq 1 ]; then # half the steps per round, rounded up
            args=$(printf '%s\n' "$args" | awk '{
                for (i = 2; i <= NF; i++) if ($(i - 1) == "--steps") $i = int(($i + 1) / 2)
                print }')
        fi
        # PyTorch's set-ups for this row
        picked=""
        if [ "$grid" = quick ]; then
            picked=$(awk -F'|' -v n="$n" -v m="$mode" '$1 == n && $2 == m { print $3; exit }' "$picks")
        fi
        if [ -n "$picked" ]; then
            setups=$(printf '%s\n%s\n' "$n,$n,default" "$picked" | awk '!seen[$0]++')
        else
            setups=$(grid_setups "$n")
        fi
        echo "bench_vs_torch.sh: $label, $n thread(s), PyTorch under $(printf '%s\n' "$setups" |
            wc -l) set-up(s)" >&2
        # shellcheck disable=SC2086
        common="$args --threads $n --rounds $rounds"
        if [ "$task" != "-" ]; then
            # the sgemm reference at this configuration's forward shapes
            # shellcheck disable=SC2086
            run "$tag" - "$n" "$n" "$bench" sgemm --task "$task" $args --threads "$n"
        fi
        i=0
        while [ $i -lt $runs ]; do
            # shellcheck disable=SC2086
            run "$tag" - "$n" "$n" "$bench" "$mode" $common
            for su in $setups; do
                # shellcheck disable=SC2086
                torch_run "$tag" "$su" "$mode" $common
            done
            i=$((i + 1))
        done
        if [ "$grid" = quick ] && [ -z "$picked" ]; then
            best=$(best_setup "$label" "$n")
            if [ -n "$best" ]; then
                echo "$n|$mode|$best|$label" >>"$picks"
                echo "bench_vs_torch.sh: $mode at $n thread(s): PyTorch's best set-up $best" >&2
            fi
        fi
    done
done
secs=$(($(date +%s) - start))

# ---------------------------------------------------------------- table
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
tv=$(/usr/bin/python3 -c 'import torch; print(torch.__version__)')
bv=$(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || echo '?')
cores=$(sed -n 's/.*side=torch .*blas_core=\([^ ]*\).*/\1/p' "$raw" | sort -u | tr '\n' ' ' |
    sed 's/ $//')
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC'). Machine: $cpu, $(nproc) cores, $(uname -sr);" \
    "$(${CC:-cc} --version | head -n 1); PyTorch $tv (Debian); OpenBLAS $bv" \
    "(OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}, both sides; kernels: ${cores:-?})."
echo "Command: \`$cmdline\`" \
    "($runs run(s) per side and set-up x $rounds round(s), medians; ${secs} s)."
if [ "$grid" = full ]; then
    gridtext="full: every set-up on every row"
else
    gridtext="quick: the whole grid on each mode's first row per budget, then its fastest set-up (and the same-thread one) on the mode's other rows; picked:"
    gridtext="$gridtext$(awk -F'|' '{ split($3, s, ","); printf "%s %s at %s thread(s) on %s: intra %s, BLAS %s, malloc %s", (NR > 1 ? ";" : ""), $2, $1, $4, s[1], s[2], s[3] }' "$picks")"
fi
echo "PyTorch's set-ups: intra-op threads 1..n x OpenBLAS threads 1..n x malloc" \
    "default | tuned ($malloc_tuned, in PyTorch's process only); grid $gridtext." \
    "\"PyTorch\": intra = BLAS = threads, malloc default (as rnnkit);" \
    "\"PyTorch best\": the fastest set-up run at that row and budget." \
    "rnnkit: bench_train --threads n, OpenBLAS on n, malloc ${malloc_found:-default}."
echo
awk -F'|' "$awk_lib"'
function fmt(x) {
    if (x == "") return "fail"
    return x >= 100 ? sprintf("%.0f", x) : sprintf("%.1f", x)
}
function pct(x, f, g) {
    return (x == "" || g == "" || g <= 0) ? "-" : sprintf("%.0f %%", 100 * x * f / 1e9 / g)
}
# the ratio to PyTorch'"'"'s best set-up the project aims at (issue #19): on
# 2+ cores training 2x, inference 3x, generation at batch 1 5x; on 1 core
# every training row 1.5x; no target elsewhere
function target(m, n) {
    if (m == "clf-train" || m == "gen-train") return n >= 2 ? 2.0 : 1.5
    if (n < 2) return ""
    if (m == "clf-infer") return 3.0
    if (m == "gen-sample") return 5.0
    return ""
}
function verdict(t, x, y) {
    if (t == "") return "-"
    if (x == "" || y == "" || y <= 0) return sprintf(">= %.1fx: no figure", t)
    return sprintf(">= %.1fx: %s", t, x / y >= t ? "met" : "**not met**")
}
function rat(x, y) {
    return (x != "" && y != "" && y > 0) ? sprintf("%.2fx", x / y) : "-"
}
{
    key = $1 "|" $2
    if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
    su = $3
    line = $4
    side = kv(line, "side")
    if (side == "sgemm") { sg[key] = kv(line, "gflops"); next }
    mode[key] = kv(line, "mode")
    if (side == "torch") {
        if (!((key, su) in r)) { nsu[key]++; sus[key, nsu[key]] = su }
        side = su
    }
    r[key, side] = r[key, side] (r[key, side] == "" ? "" : ",") kv(line, "rounds")
    fl[key, side] = kv(line, "flop_per_item")
    rss = kv(line, "rss_kb") / 1024
    if (rss > mem[key, side]) mem[key, side] = rss
}
END {
    unit["clf-train"] = "tokens/s"; unit["gen-train"] = "chars/s"
    unit["clf-infer"] = "docs/s"; unit["gen-sample"] = "chars/s"
    print "| configuration | threads | rnnkit | PyTorch | ratio | PyTorch best | PyTorch best set-up | ratio vs PyTorch best | target vs best | unit | rnnkit % sgemm | PyTorch % sgemm | PyTorch best % sgemm | rnnkit RSS MB | PyTorch RSS MB | PyTorch best RSS MB |"
    print "|---|---:|---:|---:|---:|---:|---|---:|---|---|---:|---:|---:|---:|---:|---:|"
    for (k = 1; k <= nk; k++) {
        key = order[k]
        split(key, p, "|")
        same = p[2] "," p[2] ",default"
        a = median(r[key, "rnnkit"]); b = median(r[key, same])
        best = ""; bsu = ""
        for (j = 1; j <= nsu[key]; j++) {
            m = median(r[key, sus[key, j]])
            if (m != "" && (best == "" || m + 0 > best + 0)) { best = m; bsu = sus[key, j] }
        }
        name = bsu == "" ? "-" : setup_name(bsu) " (of " nsu[key] ")"
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.0f | %.0f | %.0f |\n",
               p[1], p[2], fmt(a), fmt(b), rat(a, b), fmt(best), name, rat(a, best),
               verdict(target(mode[key], p[2]), a, best),
               unit[mode[key]], pct(a, fl[key, "rnnkit"], sg[key]), pct(b, fl[key, same], sg[key]),
               pct(best, fl[key, bsu], sg[key]), mem[key, "rnnkit"], mem[key, same], mem[key, bsu]
    }
}' "$raw"
