#!/bin/sh
# bench/bench_pretrain.sh: language-model pretraining, then fine-tuning,
# from raw text to the test figures.
#
#   sh bench/bench_pretrain.sh [BUILD_DIR] [english] [chinese]
#
# english: word-level language models (`rnnkit generate train --level word
#   --split-clitics`, forward and, unless LM_BACKWARD=0, --reverse) on
#   IMDB's 50,000 unlabelled reviews (imdb/unsup.txt) and the training texts
#   of IMDB, MR and SST-2 (never a test text); --split-clitics makes raw
#   reviews ("don't") and the Penn Treebank tokens of MR and SST-2 ("do
#   n't") the same tokens. Their vocabulary (min count 2, at most 50,000
#   words) becomes the classifiers'. Then classifiers on imdb, mr, sst2,
#   sst2-phrases (GLUE's 67,349 training phrases, the same test split) and
#   1,000 labelled IMDB reviews (a seeded, balanced sample of train.tsv).
# chinese: the same on the training texts of onlineshopping without its 酒店
#   (hotel) category, whose reviews repeat ChnSentiCorp's (train.cat names
#   each line's category), and of chnsenticorp; then a chnsenticorp
#   classifier.
# The recipe (bench/results/bench_pretrain-embed-init-2026-12-03.md): a
# language model of embedding 256 and one LSTM of 512 whose embedding starts
# uniform in [-0.1, 0.1) (--embed-init 0.1), dropout LM_DROPOUT, no weight
# drop, a sampled softmax over 1,024 words, LM_STEPS optimiser steps of 64 x
# 70 tokens (english 16,000, about 3.2 passes over its 22 M tokens; chinese
# 6,000, about 9 passes over its 2.9 M characters). Each classifier takes the
# language models' sizes and vocabulary (--pretrained, --pretrained-backward:
# a bi-LSTM with both directions, one direction with LM_BACKWARD=0), mean
# pooling and dropout 0.1 on the embeddings, 0.2 before the output (the
# setting a development split of IMDB's training set chose), a dev split
# where the set has one, else rnnkit's 10 % of train held out; the column
# "from random weights" is the same network and flags without the language
# models (BASELINE: the sets to train that way, default all; "none": no set).
# Accuracy on the test split, which nothing else reads.
# Settings (environment): CLF_RECIPE (the classifiers' flags above; empty:
# rnnkit's defaults), PRE_RECIPE (more flags for the pretrained classifiers
# only, e.g. --freeze-body 1, measured in the results file above and not a
# default), LM_STEPS (0:
# LM_EPOCHS passes, default 1), LM_EMBED / LM_HIDDEN (256 / 512), LM_DROPOUT
# (english 0.1, chinese 0.3), LM_SEQ (70), LM_BATCH (64), LM_BACKWARD (1),
# LM_FLAGS (more flags for `generate train`), CLF_FLAGS (more flags for both
# classifiers of a row, after the recipe's), SETS (default "imdb mr sst2
# sst2-phrases imdb-1000"; "none": the language models only), REUSE_LM=1
# (keep language models an earlier run left in OUT), THREADS, OUT.
# Prints each language model's time and validation perplexity, then a table:
# set, labelled documents, accuracy and time without and with pretraining.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
build=${1:-build}
shift 2>/dev/null || true
langs=${*:-english chinese}
case $build in /*) ;; *) build=$src/$build ;; esac
D=${RNNKIT_DATA:-$src/../shared/data}
R=$build/rnnkit
bench_need_rnnkit
[ -f "$D/imdb/unsup.txt" ] || { echo "no $D/imdb: this benchmark needs the shared data sets" >&2; exit 1; }
out=${OUT:-$build/bench-pretrain}
mkdir -p "$out"
threads=${THREADS:-}
tflag=""
[ -n "$threads" ] && tflag="--threads $threads"
E=${LM_EMBED:-256}
H=${LM_HIDDEN:-512}
# the classifiers' recipe, with and without the language models
clf_recipe=${CLF_RECIPE-"--pool mean --embed-dropout 0.1 --dropout 0.2"}
pre_recipe=${PRE_RECIPE-}
[ "${LM_BACKWARD:-1}" = 1 ] || clf_recipe="$clf_recipe --bidirectional no"
bench_header "# " "$src" "--threads ${threads:-default}; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
echo "# LM: embed $E, hidden $H, steps ${LM_STEPS:-english 16000, chinese 6000} (0: ${LM_EPOCHS:-1} epochs)," \
    "dropout ${LM_DROPOUT:-english 0.1, chinese 0.3}, seq ${LM_SEQ:-70}, batch ${LM_BATCH:-64}," \
    "backward ${LM_BACKWARD:-1}, flags '${LM_FLAGS:-}'; classifier flags '$clf_recipe ${CLF_FLAGS:-}'," \
    "pretrained only '$pre_recipe'"

now() { date +%s; }

lm() { # lm NAME STEPS DROPOUT: a language model of the files in $texts ($lmdir: more flags)
    name=$1 steps=$2 drop=$3
    if [ "${REUSE_LM:-0}" = 1 ] && [ -s "$out/$name.db" ]; then
        echo "$name: reused from an earlier run ($out/$name.db)"
        return
    fi
    t0=$(now)
    set --
    for f in $texts; do set -- "$@" --train "$f"; done
    # shellcheck disable=SC2086
    "$R" generate train --level word --split-clitics "$@" --valid-frac 0.002 --embed "$E" --hidden "$H" \
        --layers 1 --dropout "$drop" --weight-drop 0 --embed-init 0.1 --softmax-samples 1024 --lazy-embedding \
        --seq-len "${LM_SEQ:-70}" --batch "${LM_BATCH:-64}" --steps "$steps" --epochs "${LM_EPOCHS:-1}" \
        --eval-every 500 -o "$out/$name.db" --force $tflag ${LM_FLAGS:-} $lmdir 2>"$out/$name.log"
    t1=$(now)
    ppl=$(awk '$1 == "step" && (b == "" || $9 < b) { b = $9 } END { printf "%.1f", exp(b) }' "$out/$name.log")
    echo "$name: $((t1 - t0)) s, best validation perplexity $ppl; $(grep -E '^rnnkit: [0-9]+ training' "$out/$name.log" | cut -c9-)"
}
lms() { # lms PREFIX STEPS DROPOUT: forward (and backward) models; sets $pre
    lmdir=""
    lm "$1-forward" "$2" "$3"
    pre="--pretrained $out/$1-forward.db"
    if [ "${LM_BACKWARD:-1}" = 1 ]; then
        lmdir="--reverse"
        lm "$1-backward" "$2" "$3"
        pre="$pre --pretrained-backward $out/$1-backward.db"
    fi
}

clf() { # clf NAME TRAIN TEST [flags...]: prints accuracy and seconds
    name=$1
    train=$2
    test=$3
    shift 3
    t0=$(now)
    # shellcheck disable=SC2086
    "$R" classify train --train "$train" -o "$out/$name.db" --force --quiet $tflag "$@"
    t1=$(now)
    a=$("$R" classify eval -m "$out/$name.db" "$test" | awk -F'\t' '$1 == "accuracy" { printf "%.2f", $2 * 100 }')
    echo "$a $((t1 - t0))"
}
row() { # row SET LABELLED TRAIN TEST [flags...]
    set_=$1 n=$2 train=$3 test=$4
    shift 4
    # shellcheck disable=SC2086
    w=$(clf "$set_-pre" "$train" "$test" "$@" $pre $clf_recipe $pre_recipe ${CLF_FLAGS:-})
    b="- -"
    case " ${BASELINE:-all} " in
    *" all "* | *" $set_ "*)
        # shellcheck disable=SC2086
        b=$(clf "$set_-base" "$train" "$test" "$@" $same_net $clf_recipe ${CLF_FLAGS:-})
        ;;
    esac
    printf '| %s | %s | %s %% (%s s) | %s %% (%s s) |\n' "$set_" "$n" "${b% *}" "${b#* }" "${w% *}" "${w#* }"
}
header() {
    echo
    echo "| set | labelled | from random weights | pretrained |"
    echo "|---|---|---|---|"
}

for lang in $langs; do
    case $lang in
    english)
        cut -f2 "$D/imdb/train.tsv" >"$out/imdb-train.txt"
        cut -f2 "$D/mr/train.tsv" >"$out/mr-train.txt"
        cut -f2 "$D/sst2/train.tsv" >"$out/sst2-train.txt"
        texts="$D/imdb/unsup.txt $out/imdb-train.txt $out/mr-train.txt $out/sst2-train.txt"
        lms en "${LM_STEPS:-16000}" "${LM_DROPOUT:-0.1}"
        # the same network from random weights: the language models' sizes and tokens
        same_net="--embed $E --hidden $H --split-clitics"
        header
        for s in ${SETS:-imdb mr sst2 sst2-phrases imdb-1000}; do
            case $s in
            imdb) row imdb 22500 "$D/imdb/train.tsv" "$D/imdb/test.tsv" ;;
            mr) row mr 8636 "$D/mr/train.tsv" "$D/mr/test.tsv" ;;
            sst2) row sst2 6920 "$D/sst2/train.tsv" "$D/sst2/test.tsv" --valid "$D/sst2/dev.tsv" ;;
            sst2-phrases) # GLUE's training set: the phrases of the training sentences' parse trees
                row sst2-phrases 67349 "$D/sst2/train_phrases.tsv" "$D/sst2/test.tsv" --valid "$D/sst2/dev.tsv"
                ;;
            imdb-1000)
                # 500 of each label, drawn with a fixed seed
                for l in pos neg; do
                    awk -F'\t' -v l=$l '$1 == l' "$D/imdb/train.tsv" | /usr/bin/python3 -c \
                        'import sys, random; r = sys.stdin.readlines(); random.Random(1).shuffle(r); sys.stdout.writelines(r[:500])'
                done >"$out/imdb-1000.tsv"
                row imdb-1000 900 "$out/imdb-1000.tsv" "$D/imdb/test.tsv"
                ;;
            esac
        done
        ;;
    chinese)
        paste "$D/onlineshopping/train.cat" "$D/onlineshopping/train.tsv" |
            awk -F'\t' '$1 != "酒店" { print $3 }' >"$out/shopping-train.txt"
        cut -f2 "$D/chnsenticorp/train.tsv" >"$out/chn-train.txt"
        texts="$out/shopping-train.txt $out/chn-train.txt"
        lms zh "${LM_STEPS:-6000}" "${LM_DROPOUT:-0.3}"
        same_net="--embed $E --hidden $H"
        header
        row chnsenticorp 6212 "$D/chnsenticorp/train.tsv" "$D/chnsenticorp/test.tsv" --valid "$D/chnsenticorp/dev.tsv"
        ;;
    esac
done
