#!/bin/sh
# End-to-end golden results: the program trains fixed-seed small models of
# both tasks from the bundled corpora (a classifier ensemble from text, a
# generator), exports them and predicts/samples; the SHA-256 of every output
# must equal tests/golden/cli.txt, recorded before the trainer was rebuilt
# (commit f26547b). Together with tests/test_golden.c this proves that a
# refactoring changed no trained bit, from the text file to the output.
# OpenBLAS's kernels are pinned (the fingerprints depend on them).
# RNNKIT_GOLDEN_RECORD=1 prints the table instead of checking it.
# usage: golden.sh RNNKIT SOURCE_DIR
set -eu
R=$1
S=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1
fail() { echo "FAIL: $*" >&2; exit 1; }
fp() { sha256sum "$1" | cut -c1-16; }
check() { # check NAME FILE
    h=$(fp "$2")
    if [ -n "${RNNKIT_GOLDEN_RECORD:-}" ]; then echo "$1 $h"; return; fi
    want=$(awk -v k="$1" '$1==k{print $2}' "$S/tests/golden/cli.txt")
    [ -n "$want" ] || fail "$1: no golden fingerprint"
    [ "$h" = "$want" ] || fail "$1: fingerprint $h, golden $want: a trained bit changed"
}
cd "$S" # outputs that name their input name it relative to the tree
D=corpora/data/sentiment

# a classifier ensemble (auto: 4 networks) with a held-out validation part
"$R" classify train --train "$D/train.tsv" -o "$T/c.db" --epochs 3 --embed 16 --hidden 12 \
    --batch 16 --seed 4 --weight-drop 0.2 --precision fp32 --quiet
for k in 1 2 3 4; do
    "$R" export -m "$T/c.db" --format safetensors --member $k "$T/c$k.safetensors"
    check "classify.member$k" "$T/c$k.safetensors"
done
"$R" classify predict -m "$T/c.db" "$D/test.tsv" >"$T/pred"
check classify.predict "$T/pred"
"$R" classify eval -m "$T/c.db" --json "$D/test.tsv" >"$T/eval"
check classify.eval "$T/eval"

# a GRU with mean pooling, plateau schedule, Chinese text at the character level
Z=corpora/data/sentiment_zh
"$R" classify train --train "$Z/train.tsv" -o "$T/z.db" --epochs 2 --embed 8 --hidden 8 --level char \
    --cell gru --pool mean --bidirectional no --lr-schedule plateau --lr-decay 0.5 --ensemble 1 \
    --seed 2 --precision fp32 --quiet
"$R" export -m "$T/z.db" --format safetensors "$T/z.safetensors"
check classify_zh.weights "$T/z.safetensors"
"$R" classify predict -m "$T/z.db" "$Z/test.tsv" >"$T/zpred"
check classify_zh.predict "$T/zpred"

# a generator with validation, an off-schedule last evaluation, and samples
"$R" generate train --train corpora/data/text/verse.txt -o "$T/g.db" --hidden 24 --layers 2 \
    --embed 8 --batch 4 --seq-len 32 --steps 45 --eval-every 20 --seed 6 --precision fp32 --quiet
"$R" export -m "$T/g.db" --format safetensors "$T/g.safetensors"
check generate.weights "$T/g.safetensors"
"$R" generate sample -m "$T/g.db" --prime "The " --length 200 --seed 3 --top-k 5 >"$T/sample"
check generate.sample "$T/sample"
"$R" generate eval -m "$T/g.db" corpora/data/text/verse.txt >"$T/geval"
check generate.eval "$T/geval"
# bf16 products (--precision bf16, the default), where the CPU runs them:
# recorded at commit 249e12a, before W_hh was packed once per pass and
# steps were cut by rows (the bits did not move). Sizes where those paths
# run: batch 32, hidden 64 and 128.
"$R" classify train --train "$D/train.tsv" -o "$T/b.db" --epochs 2 --embed 16 --hidden 64 --batch 32 \
    --ensemble 1 --seed 5 --precision bf16 2>"$T/b.err"
if grep -q "run in fp32" "$T/b.err"; then
    echo "golden: no AVX512-BF16 here, the bf16 fingerprints not checked"
else
    "$R" export -m "$T/b.db" --format safetensors "$T/b.safetensors"
    check classify_bf16.weights "$T/b.safetensors"
    "$R" generate train --train corpora/data/text/verse.txt -o "$T/h.db" --hidden 128 --embed 16 --batch 32 \
        --seq-len 32 --steps 12 --eval-every 6 --seed 6 --precision bf16 --quiet
    "$R" export -m "$T/h.db" --format safetensors "$T/h.safetensors"
    check generate_bf16.weights "$T/h.safetensors"
fi
[ -n "${RNNKIT_GOLDEN_RECORD:-}" ] || echo "golden: every output as recorded"
