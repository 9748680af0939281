#!/bin/sh
# bench/bench_generate.sh: the character generator's figures in README.
#
#   sh bench/bench_generate.sh [BUILD_DIR] [shakespeare] [tang]
#
# shakespeare: `rnnkit generate train` with its defaults on Tiny Shakespeare
#   (../shared/data/tinyshakespeare/input.txt, the last 5 % as validation):
#   wall time, the validation curve as a Markdown table, the best validation
#   loss, and a 300-character sample after "ROMEO:" with --check-copy.
# tang: the defaults on the Tang poems (../shared/data/tangpoems/input.txt)
#   for TANG_STEPS steps (default 2000), then a 400-character sample after
#   "床前明月光，" at temperature 0.7, checked by bench/verse_lines.py (valid
#   UTF-8, complete lines of regular 5- or 7-character verse).
# GEN_FLAGS, when set, is added to the shakespeare training command (e.g.
# "--ensemble 3 --steps 4000": one curve per network, then the ensemble's
# validation loss as `generate train` prints it).
# THREADS, when set, is passed as --threads (default: rnnkit's own, all the
# cores this process may use; the model is the same on any thread count);
# RNNKIT_DATA overrides the data directory. The models are left in BUILD_DIR/bench-generate/.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
build=${1:-build}
shift 2>/dev/null || true
sets=${*:-shakespeare tang}
case $build in /*) ;; *) build=$src/$build ;; esac
D=${RNNKIT_DATA:-$src/../shared/data}
R=$build/rnnkit
bench_need_rnnkit
bench_need_data
threads=${THREADS:-}
tflag=""
[ -n "$threads" ] && tflag="--threads $threads"
out=$build/bench-generate
mkdir -p "$out"
gflags=${GEN_FLAGS:-}
bench_header "" "$src" "--threads ${threads:-default}; GEN_FLAGS=${gflags:-none}; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"

# evals LOG: a training log's evaluation lines, "member k/R " dropped
evals() { sed 's/^member [0-9]*\/[0-9]*  *//' "$1" | awk '$1 == "step"'; }

# curve LOG: the evaluation lines of a training log as a Markdown table (an
# ensemble's networks one after the other: the step count starts again)
curve() {
    evals "$1" | awk '{ s = s " | " $2; t = t " | " $4; v = v " | " $9; n++ }
         END { printf "| step%s |\n|---", s; for (i = 0; i < n; i++) printf "|---"; printf "|\n";
               printf "| train loss%s |\n| validation loss%s |\n", t, v }'
}

for s in $sets; do
    case $s in
    shakespeare)
        text=$D/tinyshakespeare/input.txt
        t0=$(date +%s)
        # shellcheck disable=SC2086
        "$R" generate train --train "$text" -o "$out/shakespeare.db" $tflag $gflags 2>"$out/shakespeare.log"
        t1=$(date +%s)
        echo "== Tiny Shakespeare${gflags:+ ($gflags)}: $(( (t1 - t0) / 60 )) min $(( (t1 - t0) % 60 )) s"
        curve "$out/shakespeare.log"
        evals "$out/shakespeare.log" | awk 'best == "" || $9 < best { best = $9; at = $2 }
             END { printf "best validation loss of one network %s nats/char at step %s\n", best, at }'
        grep '^rnnkit: the ensemble' "$out/shakespeare.log" || true
        "$R" generate sample -m "$out/shakespeare.db" --prime "ROMEO:" --length 300 --temperature 0.8 \
            --seed 1 --check-copy "$text"
        echo
        ;;
    tang)
        text=$D/tangpoems/input.txt
        t0=$(date +%s)
        # shellcheck disable=SC2086
        "$R" generate train --train "$text" -o "$out/tang.db" --steps "${TANG_STEPS:-2000}" \
            $tflag 2>"$out/tang.log"
        t1=$(date +%s)
        echo "== Tang poems, ${TANG_STEPS:-2000} steps: $(( (t1 - t0) / 60 )) min $(( (t1 - t0) % 60 )) s"
        curve "$out/tang.log"
        "$R" generate sample -m "$out/tang.db" --prime "床前明月光，" --length 400 --temperature 0.7 \
            --seed 1 >"$out/tang-sample.txt"
        python3 "$src/bench/verse_lines.py" <"$out/tang-sample.txt"
        ;;
    *) echo "bench_generate.sh: unknown set '$s' (shakespeare, tang)" >&2; exit 2 ;;
    esac
done
