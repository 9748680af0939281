#!/bin/sh
# bench/bench_tta.sh: time to accuracy (issue #19), the figure users feel:
# the training wall time rnnkit and a PyTorch reference of the same network
# take to reach a fixed test accuracy on MR and IMDB (and a fixed
# validation loss on Tiny Shakespeare), on 2 cores, side by side.
#
#   sh bench/bench_tta.sh [--build DIR] [--subset N] [--epochs N] [--steps N]
#                         [--no-check] [mr] [imdb] [shakespeare]
#
# Default: mr imdb. Installs what it needs (the build dependencies, Debian's
# python3-torch), builds rnnkit in Release (default build dir: build-perf),
# then for each data set runs rnnkit, then PyTorch (/usr/bin/python3), one
# after the other, each on 2 threads. Prints Markdown on stdout (progress
# on stderr); every log, id file and model is kept in DIR/bench-tta/<set>/.
# Data come by path from ../shared/data (RNNKIT_DATA overrides), never
# copied into the repository.
#
#   --build DIR   the build directory (default build-perf)
#   --subset N    the first N documents of train and of test only (a smoke
#                 test: MR and IMDB are shuffled files, so the first N are a
#                 fair sample; the targets are not meant for it). Also
#                 SUBSET=N. Shakespeare: no effect (see --steps)
#   --epochs N    epochs per side for MR and IMDB (default 10, rnnkit's)
#   --steps N     Tiny Shakespeare: the run's length in steps (default
#                 4500, rnnkit's; the cosine is drawn over it); a shorter
#                 run is a smoke test of the mode, not the trajectory
#   --eval-every N  Tiny Shakespeare: steps between evaluations (default
#                 100, rnnkit's), for smoke tests
#   --no-check    skip the check that rnnkit's trained weights, loaded into
#                 the reference network, give rnnkit's test accuracy and loss
#   PRECISION=fp32|bf16 (default fp32): bf16 gives rnnkit --precision bf16
#                 and the reference torch.autocast(cpu, bfloat16) at its
#                 fastest bf16 set-up (intra-op threads n, OpenBLAS 1: its
#                 bf16 products go through oneDNN; bench/bench_precision.sh);
#                 the weights check then allows 1 % of accuracy, 0.01 of loss
#                 (both sides round products to bf16, each its own way)
#   TORCH_ADAM=loop|foreach, TORCH_RNN=split|packed: the reference's Adam
#                 and biLSTM layout (torch_classify.py --adam, --rnn; default
#                 loop, split: packed sequences are quadratic in the length
#                 in PyTorch 1.13's CPU backward, see torch_classify.py)
#
# The sentiment sets (mr, imdb): the test split is the --valid file of
# rnnkit, so each epoch's log carries the test accuracy. This measures the
# trajectory; it selects nothing: with --patience 0 and the cosine schedule
# the weights rnnkit trains do not depend on the validation file (the
# vocabulary is counted over the training rows alone, evaluation draws no
# random numbers and writes no state a later step reads; only the final
# model file's choice of the best epoch reads it, and that is not used
# here). Both sides train all --epochs epochs (no early stop: patience 0)
# and evaluate after each.
#   rnnkit: `rnnkit classify train --train train.tsv --valid test.tsv
#     --ensemble 1 --patience 0 --threads 2 --checkpoint-minutes 0
#     --log-format jsonl`, its defaults otherwise (embedding 128 with
#     dropout 0.4, biLSTM 128, max pooling, dropout 0.5, batch 32, maxlen
#     400 keeping the last tokens, Adam 2e-3 on a cosine over the steps,
#     clip 5, seed 1, vocabulary of the training text: min count 2, at most
#     50,000 ids). Its 2 threads are its own pool over single-threaded
#     OpenBLAS calls; malloc as found. Times come from the JSONL progress:
#     "elapsed_s" of the last batch of an epoch (before its evaluation) and
#     of the epoch event (after it); their difference is the evaluation,
#     subtracted. The checkpoint rnnkit writes into its model file after
#     every epoch stays in its training time (it cannot be turned off; the
#     time-based ones are, with --checkpoint-minutes 0): against rnnkit.
#   PyTorch: bench/torch_classify.py (its header lists every difference
#     from rnnkit's network and training) on the ids of rnnkit's own
#     vocabulary: `rnnkit vocab build --format tsv --min-count 2 --max-vocab
#     50000` over train.tsv and `rnnkit vocab encode --format tsv`; after
#     rnnkit's run the script checks that the vocabulary rnnkit's classifier
#     built is that one, token for token, and that rnnkit's trained weights
#     (`rnnkit export --format safetensors`) in the reference network give
#     the test accuracy and loss `rnnkit classify eval` gives (to 2
#     documents and 0.001), or stops. Set-up: PyTorch's fastest on 2
#     cores as bench/bench_vs_torch.sh measured it: torch.set_num_threads(1)
#     (OMP_NUM_THREADS=1), OpenBLAS on 2 threads, MALLOC_MMAP_MAX_=0
#     MALLOC_TRIM_THRESHOLD_=1000000000000 in its environment; Adam's
#     for-loop version (TORCH_ADAM=foreach for the multi-tensor one).
#     Training time excludes each epoch's evaluation.
#   Targets, fixed before running: MR 75 % and IMDB 88 % test accuracy,
#   values one network of rnnkit's defaults passes within 10 epochs (its
#   figures in README: 77.5 % MR, 89.3 % IMDB at its best epoch) and which a
#   correct reference of the same network must reach too; a side that never
#   does prints "not reached".
#
# Tiny Shakespeare (shakespeare): the character generator 2x512 of `rnnkit
# generate train`'s defaults (embedding 64, 2 LSTM layers of 512, dropout
# 0.4, weight drop 0.35, 64 streams of 100 characters, 4500 steps, cosine,
# clip 5; validation: the last 5 % of the text, every 100 steps), its sizes
# and rates named on rnnkit's command line ($gen_net below), PRECISION on
# both sides as for the sentiment sets; bench/torch_generate.py is the
# reference. Target: validation loss 1.55
# nats/char (rnnkit's defaults: 1.546 at step 900, best 1.5045; README).
# Each side stops at the first evaluation that reaches it (the schedule
# stays that of the full run, so the trajectory up to there is the full
# run's). Times exclude evaluation as above: rnnkit's from the batch event
# of the step before each evaluation (printed every step when a step takes
# over half a second; otherwise the last one before it, and the table says
# how many evaluations were timed so).
#
# Output: a header (date, commit, CPU, OPENBLAS_CORETYPE, load, both
# set-ups), then one table row per data set:
#   target            the test accuracy (validation loss) to reach
#   rnnkit / PyTorch  cumulative training wall time (s) at the end of the
#                     first epoch (evaluation) that reaches it, and which;
#                     "not reached" if none does
#   ratio             PyTorch's time over rnnkit's ("> x" when PyTorch never
#                     reached it: its whole run over rnnkit's time)
#   >= 2.0x           the issue's aim, met or **not met**
#   best              each side's best test accuracy (lowest validation loss)
#   whole run         each side's training time for all its epochs, and the ratio
# and below it each data set's curves: per epoch, each side's cumulative
# training time, test accuracy (validation loss) and evaluation time.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
build=$src/build-perf
subset=${SUBSET:-}
epochs=10
steps=4500
eval_every=100
check_net=1
sets=""
while [ $# -gt 0 ]; do
    case $1 in
        --build) build=$2; shift ;;
        --subset) subset=$2; shift ;;
        --epochs) epochs=$2; shift ;;
        --steps) steps=$2; shift ;;
        --eval-every) eval_every=$2; shift ;;
        --no-check) check_net=0 ;;
        mr|imdb|shakespeare) sets="$sets $1" ;;
        -h|--help) sed -n '2,103p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench_tta.sh: unknown argument '$1' (data sets: mr imdb shakespeare)" >&2; exit 2 ;;
    esac
    shift
done
sets=${sets:-mr imdb}
for n in "$epochs" "$steps" "$eval_every" ${subset:+"$subset"}; do
    case $n in ''|*[!0-9]*|0*) echo "bench_tta.sh: '$n' is not a positive count" >&2; exit 2 ;; esac
done
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
D=${RNNKIT_DATA:-$src/../shared/data}
if [ ! -d "$D" ]; then
    echo "bench_tta.sh: no data directory $D: this benchmark needs the shared data sets" \
        "(../shared/data beside the checkout, or RNNKIT_DATA=DIR)" >&2
    exit 1
fi
threads=2
targets_mr=0.75
targets_imdb=0.88
target_gen=1.55
# the network of bench/torch_generate.py (rnnkit's generator defaults of
# 2026-12-02), named so that a change of the defaults cannot part the two
gen_net="--embed 64 --hidden 512 --layers 2 --dropout 0.4 --weight-drop 0.35 --seq-len 100 --batch 64 --lr 0.002"
torch_adam=${TORCH_ADAM:-loop}
torch_rnn=${TORCH_RNN:-split}
precision=${PRECISION:-fp32}
case $precision in
    fp32) autocast=none torch_intra=1 tol_acc=0 tol_loss=0.001 ;;
    bf16) autocast=bf16 torch_intra=$threads tol_acc=0.01 tol_loss=0.01 ;;
    *) echo "bench_tta.sh: PRECISION=fp32|bf16, not '$precision'" >&2; exit 2 ;;
esac
torch_blas=$((threads / torch_intra))
malloc_tuned="MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=1000000000000"
export PYTHONDONTWRITEBYTECODE=1

# ---------------------------------------------------------------- setup
sh "$src/scripts/install-deps.sh"
bench_need_torch bench_tta.sh
bench_configure "$src" "$build" -DRNNKIT_TESTS=OFF
if ! grep -q '^CMAKE_BUILD_TYPE:[A-Z]*=Release$' "$build/CMakeCache.txt"; then
    echo "bench_tta.sh: $build is not a Release build; give another --build DIR" >&2
    exit 1
fi
cmake --build "$build" --target rnnkit -j2 >/dev/null
R=$build/rnnkit
work=$build/bench-tta
mkdir -p "$work"
[ "$(nproc)" -ge $threads ] ||
    echo "bench_tta.sh: warning: $(nproc) core(s), fewer than the $threads threads each side runs" >&2

# ---------------------------------------------------------------- helpers
# jsonl_curve LOG: rnnkit's JSONL progress of a classifier as lines
# "epoch train_s acc eval_s loss": train_s cumulative, evaluations excluded.
jsonl_curve() {
    awk "$bench_awk_val"'
    /^\{/ {
        ev = val("event"); e = val("epoch") + 0
        if (ev == "\"batch\"" && val("batch") == val("batches")) trained[e] = val("elapsed_s")
        if (ev == "\"epoch\"") { done[e] = val("elapsed_s"); acc[e] = val("valid_acc"); loss[e] = val("train_loss"); n = e }
    }
    END {
        evals = 0
        for (e = 1; e <= n; e++) {
            if (!(e in trained)) { print "no end-of-epoch stamp for epoch " e > "/dev/stderr"; exit 1 }
            printf "%d %.3f %s %.3f %s\n", e, trained[e] - evals, acc[e], done[e] - trained[e], loss[e]
            evals += done[e] - trained[e]
        }
    }' "$1"
}

# first_reach CURVE TARGET DIRECTION: "time epoch" of the first line whose
# metric (column 3) reaches TARGET (DIRECTION ge: >=, le: <=), or nothing.
first_reach() {
    awk -v t="$2" -v d="$3" '(d == "ge" && $3 + 0 >= t + 0) || (d == "le" && $3 + 0 <= t + 0) {
        print $2, $1; exit }' "$1"
}

# summary_row NAME TARGET_TEXT RCURVE TCURVE TARGET DIRECTION UNIT: one table row.
summary_row() {
    r=$(first_reach "$3" "$5" "$6")
    t=$(first_reach "$4" "$5" "$6")
    awk -v name="$1" -v ttext="$2" -v r="$r" -v t="$t" -v d="$6" -v unit="$7" '
    FNR == 1 { f++ }
    f == 1 { rl = $2; if (rb == "" || (d == "ge" ? $3 > rb : $3 < rb)) rb = $3 }
    f == 2 { tl = $2; if (tb == "" || (d == "ge" ? $3 > tb : $3 < tb)) tb = $3 }
    function metric(x) { return x == "" ? "-" : d == "ge" ? sprintf("%.2f %%", 100 * x) : sprintf("%.4f", x) }
    function at(s,    p) {
        if (s == "") return "not reached"
        split(s, p, " ")
        return sprintf("%.1f s (%s %s)", p[1], unit, p[2])
    }
    END {
        split(r, rp, " "); split(t, tp, " ")
        if (r == "") { ratio = "-"; verdict = ">= 2.0x: **not met** (rnnkit did not reach the target)" }
        else if (t == "") {
            x = tl / rp[1]
            ratio = sprintf("> %.2fx", x)
            verdict = x >= 2 ? ">= 2.0x: met (PyTorch did not reach the target)" : ">= 2.0x: no figure (PyTorch did not reach the target)"
        } else {
            x = tp[1] / rp[1]
            ratio = sprintf("%.2fx", x)
            verdict = x >= 2 ? ">= 2.0x: met" : ">= 2.0x: **not met**"
        }
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %.0f s / %.0f s (%.2fx) |\n", name, ttext, at(r), at(t),
            ratio, verdict, metric(rb), metric(tb), rl, tl, (rl > 0 ? tl / rl : 0)
    }' "$3" "$4"
}

# curve_table RCURVE TCURVE UNIT METRIC: the per-evaluation curves side by side.
curve_table() {
    echo "| $3 | rnnkit train s | rnnkit $4 | rnnkit eval s | PyTorch train s | PyTorch $4 | PyTorch eval s |"
    echo "|---:|---:|---:|---:|---:|---:|---:|"
    awk -v m="$4" '
    function metric(x) { return x == "" ? "-" : m == "test acc" ? sprintf("%.2f %%", 100 * x) : sprintf("%.4f", x) }
    FNR == 1 { f++ }
    { k = $1; if (!(k in seen)) { seen[k] = 1; order[++n] = k } }
    f == 1 { rt[k] = $2; ra[k] = $3; re[k] = $4 }
    f == 2 { tt[k] = $2; ta[k] = $3; te[k] = $4 }
    END {
        for (i = 1; i <= n; i++) {
            k = order[i]
            printf "| %s | %s | %s | %s | %s | %s | %s |\n", k,
                k in rt ? sprintf("%.1f", rt[k]) : "-", k in ra ? metric(ra[k]) : "-", k in re ? sprintf("%.1f", re[k]) : "-",
                k in tt ? sprintf("%.1f", tt[k]) : "-", k in ta ? metric(ta[k]) : "-", k in te ? sprintf("%.1f", te[k]) : "-"
        }
    }' "$1" "$2"
}

# ---------------------------------------------------------------- sentiment
# classify SET: runs both sides on ../shared/data/SET; leaves
# $work/SET/{rnnkit,torch}.curve and $work/SET/facts.
classify() {
    s=$1
    w=$work/$s
    rm -rf "$w"
    mkdir -p "$w"
    train=$D/$s/train.tsv
    test=$D/$s/test.tsv
    for f in "$train" "$test"; do
        [ -f "$f" ] || { echo "bench_tta.sh: no $f" >&2; exit 1; }
    done
    if [ -n "$subset" ]; then
        head -n "$subset" "$train" >"$w/train.tsv"
        head -n "$subset" "$test" >"$w/test.tsv"
        train=$w/train.tsv
        test=$w/test.tsv
    fi
    ntrain=$(wc -l <"$train" | tr -d ' ')
    ntest=$(wc -l <"$test" | tr -d ' ')

    # the ids both sides read: rnnkit's vocabulary rules for a classifier
    # (cli/cmd_classify_train.c: word level, its default tokenizer, min
    # count 2, at most 50,000 ids, counted over the training rows)
    echo "bench_tta.sh: $s: vocabulary and ids" >&2
    "$R" vocab build -o "$w/vocab.db" --format tsv --min-count 2 --max-vocab 50000 --quiet "$train"
    V=$("$R" vocab show "$w/vocab.db" --top 0 | awk -F'\t' '$1 == "size" { print $2 + 0 }')
    for split in train test; do
        f=$train
        [ $split = test ] && f=$test
        "$R" vocab encode --format tsv "$w/vocab.db" "$f" >"$w/$split.ids"
        cut -f1 "$f" | paste - "$w/$split.ids" >"$w/$split.lid"
        [ "$(wc -l <"$w/$split.lid")" -eq "$(wc -l <"$f")" ] ||
            { echo "bench_tta.sh: $s: $split: ids and documents differ in number" >&2; exit 1; }
    done

    echo "bench_tta.sh: $s: rnnkit, $epochs epochs" >&2
    "$R" classify train --train "$train" --valid "$test" -o "$w/rnnkit.db" --ensemble 1 --patience 0 \
        --precision "$precision" --epochs "$epochs" --threads $threads --checkpoint-minutes 0 --log-format jsonl 2>"$w/rnnkit.log"
    jsonl_curve "$w/rnnkit.log" >"$w/rnnkit.curve"
    # the vocabulary the classifier built must be the one the ids come from
    "$R" vocab show "$w/rnnkit.db" --top 1000000000 | sed '1,/^$/d' >"$w/vocab.rnnkit"
    "$R" vocab show "$w/vocab.db" --top 1000000000 | sed '1,/^$/d' >"$w/vocab.ids"
    if ! cmp -s "$w/vocab.rnnkit" "$w/vocab.ids"; then
        echo "bench_tta.sh: $s: the vocabulary of rnnkit's classifier differs from the one the ids" \
            "were encoded with ($w/vocab.rnnkit, $w/vocab.ids)" >&2
        exit 1
    fi
    params=$(sed -n 's/^rnnkit: wrote .* (\([0-9]*\) parameters.*/\1/p' "$w/rnnkit.log")
    # the same network: rnnkit's trained weights in the reference give its
    # test accuracy and loss (`rnnkit classify eval` prints 4 decimals)
    check="not run (--no-check)"
    if [ $check_net -eq 1 ]; then
        echo "bench_tta.sh: $s: rnnkit's weights in the PyTorch network" >&2
        "$R" export -m "$w/rnnkit.db" --format safetensors "$w/rnnkit.safetensors"
        reval=$("$R" classify eval -m "$w/rnnkit.db" "$test" | awk -F'\t' '$1 == "accuracy" { a = $2 }
            $1 == "loss" { l = $2 } END { print a, l }')
        teval=$(OPENBLAS_NUM_THREADS=$torch_blas OMP_NUM_THREADS=$torch_intra /usr/bin/python3 \
            "$src/bench/torch_classify.py" --intra "$torch_intra" --blas "$torch_blas" --autocast "$autocast" \
            --check "$w/rnnkit.safetensors" --test "$w/test.lid" --vocab "$V" | awk '$1 == "check" { print $3, $5 }')
        check=$(echo "$reval $teval" | awk -v n="$ntest" -v ta="$tol_acc" -v tl="$tol_loss" '{
            da = 2 / n + 5e-5 + ta
            ok = ($1 - $3 <= da && $3 - $1 <= da && $2 - $4 <= tl && $4 - $2 <= tl)
            printf "%s: rnnkit classify eval %.2f %% / loss %.4f, PyTorch %.2f %% / loss %.4f", ok ? "same" : "DIFFERENT",
                100 * $1, $2, 100 * $3, $4 }')
        case $check in
            same*) ;;
            *) echo "bench_tta.sh: $s: rnnkit's weights give other results in the reference network ($check)" >&2
               exit 1 ;;
        esac
    fi

    echo "bench_tta.sh: $s: PyTorch, $epochs epochs" >&2
    # shellcheck disable=SC2086
    env $malloc_tuned OPENBLAS_NUM_THREADS=$torch_blas OMP_NUM_THREADS=$torch_intra /usr/bin/python3 \
        "$src/bench/torch_classify.py" --train "$w/train.lid" --test "$w/test.lid" --vocab "$V" \
        --epochs "$epochs" --intra "$torch_intra" --blas "$torch_blas" --autocast "$autocast" \
        --adam "$torch_adam" --rnn "$torch_rnn" \
        >"$w/torch.out" 2>"$w/torch.err" ||
        { cat "$w/torch.err" >&2; echo "bench_tta.sh: $s: PyTorch failed" >&2; exit 1; }
    awk '$1 == "epoch" { print $2, $4, $12, $8, $10 }' "$w/torch.out" >"$w/torch.curve"
    setup=$(sed -n 's/^setup //p' "$w/torch.out")
    printf '%s\n' "$s|$ntrain|$ntest|$V|${params:-?}|$setup|$check" >"$w/facts"
}

# ---------------------------------------------------------------- Shakespeare
# gen_curve LOG: rnnkit's JSONL progress of a generator as lines "step
# train_s valid_loss eval_s"; an evaluation's time is the eval event's
# elapsed_s less the batch event's of the same step, or, where that batch
# event was not printed (an rnnkit from before it always was: batch events
# at most one every 0.5 s), the median of the others (every evaluation
# does the same work). "estimated N" goes to stderr.
gen_curve() {
    awk "$bench_awk_val"'
    /^\{/ {
        ev = val("event"); st = val("step") + 0
        if (ev == "\"batch\"") stamp[st] = val("elapsed_s")
        if (ev == "\"eval\"") { n++; es[n] = st; done[n] = val("elapsed_s"); vl[n] = val("valid_loss") }
    }
    END {
        m = 0
        for (i = 1; i <= n; i++)
            if (es[i] in stamp) d[++m] = done[i] - stamp[es[i]]
        for (i = 2; i <= m; i++)
            for (j = i; j > 1 && d[j - 1] > d[j]; j--) { x = d[j]; d[j] = d[j - 1]; d[j - 1] = x }
        med = m ? (m % 2 ? d[(m + 1) / 2] : (d[m / 2] + d[m / 2 + 1]) / 2) : 0
        evals = 0; guessed = 0
        for (i = 1; i <= n; i++) {
            if (es[i] in stamp) e = done[i] - stamp[es[i]]
            else { e = med; guessed++ }
            printf "%d %.3f %s %.3f\n", es[i], done[i] - e - evals, vl[i], e
            evals += e
        }
        print "estimated " guessed " of " n > "/dev/stderr"
    }' "$1"
}

# generate: both sides on Tiny Shakespeare; each stops at the first
# evaluation that reaches the target. Leaves $work/shakespeare/{rnnkit,torch}.curve
# and a paragraph in $work/shakespeare/notes.
generate() {
    w=$work/shakespeare
    rm -rf "$w"
    mkdir -p "$w"
    text=$D/tinyshakespeare/input.txt
    [ -f "$text" ] || { echo "bench_tta.sh: no $text" >&2; exit 1; }
    echo "bench_tta.sh: shakespeare: rnnkit, $steps steps, until valid loss <= $target_gen" >&2
    # shellcheck disable=SC2086
    "$R" generate train --train "$text" -o "$w/rnnkit.db" $gen_net --steps "$steps" --eval-every "$eval_every" \
        --precision "$precision" --threads $threads --checkpoint-minutes 0 --log-format jsonl 2>"$w/rnnkit.log" &
    pid=$!
    # poll the log; SIGINT makes rnnkit finish its step, checkpoint and exit 130
    while kill -0 "$pid" 2>/dev/null; do
        sleep 5
        if awk -v t=$target_gen '/"event":"eval"/ {
                s = $0; sub(/.*"valid_loss":/, "", s); sub(/[,}].*/, "", s)
                if (s != "null" && s + 0 <= t + 0) f = 1 }
                END { exit !f }' "$w/rnnkit.log"; then
            kill -INT "$pid" 2>/dev/null || true
            break
        fi
    done
    rc=0
    wait "$pid" || rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 130 ]; then
        cat "$w/rnnkit.log" >&2
        echo "bench_tta.sh: shakespeare: rnnkit failed ($rc)" >&2
        exit 1
    fi
    gen_curve "$w/rnnkit.log" >"$w/rnnkit.curve" 2>"$w/rnnkit.estimated"
    V=$("$R" vocab show "$w/rnnkit.db" --top 0 | awk -F'\t' '$1 == "size" { print $2 + 0 }')
    facts=$(sed -n 's/^rnnkit: \([0-9]*\) training and \([0-9]*\) validation characters, \([0-9]*\) symbols, \([0-9]*\) parameters.*/\1 \2 \3 \4/p' "$w/rnnkit.log")

    echo "bench_tta.sh: shakespeare: PyTorch, $steps steps, until valid loss <= $target_gen" >&2
    # shellcheck disable=SC2086
    env $malloc_tuned OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=1 /usr/bin/python3 \
        "$src/bench/torch_generate.py" --text "$text" --steps "$steps" --eval-every "$eval_every" \
        --stop-loss $target_gen --intra "$torch_intra" --blas "$torch_blas" --autocast "$autocast" \
        --adam "$torch_adam" >"$w/torch.out" 2>"$w/torch.err" ||
        { cat "$w/torch.err" >&2; echo "bench_tta.sh: shakespeare: PyTorch failed" >&2; exit 1; }
    awk '$1 == "eval" { print $3, $5, $11, $7 }' "$w/torch.out" >"$w/torch.curve"
    setup=$(sed -n 's/^setup //p' "$w/torch.out")
    tv=$(printf '%s\n' "$setup" | sed -n 's/.* vocab=\([0-9]*\).*/\1/p')
    if [ "$tv" != "$V" ]; then
        echo "bench_tta.sh: shakespeare: PyTorch's vocabulary has $tv ids, rnnkit's $V" >&2
        exit 1
    fi
    {
        # shellcheck disable=SC2086 # the four counts, split on purpose
        set -- $facts
        echo "**shakespeare**: ${1:-?} training / ${2:-?} validation characters, $V ids, ${4:-?} parameters" \
            "(rnnkit); $steps-step cosine; each side stopped at the first evaluation reaching the target," \
            "so \"whole run\" is the time to its last evaluation. rnnkit's evaluation times:" \
            "$(cat "$w/rnnkit.estimated") taken as the median of the others (no batch stamp before them)." \
            "rnnkit's time includes its model file's checkpoint at every evaluation." \
            "PyTorch set-up: $setup."
    } >"$w/notes"
}

# ---------------------------------------------------------------- run
start=$(date +%s)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
for s in $sets; do
    case $s in
        mr|imdb) classify "$s" ;;
        shakespeare) generate ;;
    esac
done
secs=$(($(date +%s) - start))

# ---------------------------------------------------------------- report
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n 1)
commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo '?')
[ -z "$(git -C "$src" status --porcelain --untracked-files=no 2>/dev/null)" ] || commit="$commit + uncommitted changes"
tv=$(/usr/bin/python3 -c 'import torch; print(torch.__version__)')
bv=$(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || echo '?')
echo "# Time to accuracy: rnnkit against a PyTorch reference of the same network (issue #19)"
echo
echo "Date: $started; commit $commit; $cpu, $(nproc) cores, $(uname -sr);" \
    "$(${CC:-cc} --version | head -n 1); PyTorch $tv (Debian); OpenBLAS $bv;" \
    "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} (both sides); load average at the end" \
    "$(cut -d' ' -f1-3 /proc/loadavg); ${secs} s in all."
echo "Command: \`sh bench/bench_tta.sh$( [ -n "$subset" ] && printf ' --subset %s' "$subset")" \
    "--epochs $epochs --steps $steps --eval-every $eval_every$(for s in $sets; do printf ' %s' "$s"; done)\`."
[ -n "$subset" ] && echo "**Subset run**: the first $subset documents of train and test only; the targets are not meant for it."
echo "Both sides on $threads threads in $precision: rnnkit on its own pool of $threads over single-threaded" \
    "OpenBLAS calls, --precision $precision, malloc as found; PyTorch with intra-op threads $torch_intra," \
    "OpenBLAS on $torch_blas thread(s), autocast $autocast, malloc tuned ($malloc_tuned), Adam $torch_adam."
case " $sets " in
    *" mr "*|*" imdb "*)
        echo "Sentiment: rnnkit \`classify train --valid test.tsv --ensemble 1 --patience 0 --threads $threads" \
            "--checkpoint-minutes 0 --log-format jsonl\`, defaults otherwise, its time including its" \
            "per-epoch checkpoint; PyTorch bench/torch_classify.py --rnn $torch_rnn on the ids of rnnkit's" \
            "vocabulary (checked equal)." ;;
esac
case " $sets " in
    *" shakespeare "*)
        echo "Tiny Shakespeare: rnnkit \`generate train $gen_net --steps $steps --eval-every $eval_every" \
            "--precision $precision --threads $threads --checkpoint-minutes 0 --log-format jsonl\`," \
            "interrupted (SIGINT) once an evaluation reaches the target; PyTorch bench/torch_generate.py" \
            "--stop-loss $target_gen." ;;
esac
echo "Times: cumulative training wall time, each evaluation excluded."
echo
echo "| data set | target | rnnkit time to target | PyTorch time to target | ratio | target ratio | rnnkit best | PyTorch best | whole run rnnkit / PyTorch |"
echo "|---|---|---:|---:|---:|---|---:|---:|---|"
for s in $sets; do
    w=$work/$s
    case $s in
        mr) summary_row "MR" "$(awk -v t=$targets_mr 'BEGIN { printf "test acc %.0f %%", 100 * t }')" \
            "$w/rnnkit.curve" "$w/torch.curve" $targets_mr ge epoch ;;
        imdb) summary_row "IMDB (maxlen 400)" "$(awk -v t=$targets_imdb 'BEGIN { printf "test acc %.0f %%", 100 * t }')" \
            "$w/rnnkit.curve" "$w/torch.curve" $targets_imdb ge epoch ;;
        shakespeare) summary_row "Tiny Shakespeare (2x512)" "valid loss $target_gen" \
            "$w/rnnkit.curve" "$w/torch.curve" $target_gen le step ;;
    esac
done
for s in $sets; do
    w=$work/$s
    echo
    case $s in
        mr|imdb)
            IFS='|' read -r _ ntrain ntest V params setup check <"$w/facts"
            echo "**$s**: train $ntrain / test $ntest documents; vocabulary $V ids; $params parameters" \
                "(rnnkit); PyTorch set-up: $setup. rnnkit's final weights loaded into the reference" \
                "network, on test: $check."
            echo
            curve_table "$w/rnnkit.curve" "$w/torch.curve" epoch "test acc" ;;
        shakespeare)
            cat "$w/notes"
            echo
            curve_table "$w/rnnkit.curve" "$w/torch.curve" step "valid loss" ;;
    esac
done
