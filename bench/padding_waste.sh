#!/bin/sh
# bench/padding_waste.sh: how much of a classifier's training batches is
# padding, with rnnkit's batching (documents sorted by length, then cut into
# batches, whose order is shuffled: model/classifier.c) against batches of
# documents in random order (what training would do without sorting).
#   sh bench/padding_waste.sh [BUILD_DIR] [DATASETS...]   (default: mr imdb)
# A document counts its tokens as the classifier's defaults see them
# (the training vocabulary's tokenizer, unknown words included, at most
# --maxlen 400); a batch of B = 32 costs B times its longest document's
# length in recurrent steps. Prints, per set, the tokens, the padded
# steps of each batching and the share of them that is padding.
set -eu
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
B=${1:-build}
shift 2>/dev/null || true
sets=${*:-mr imdb}
D=${RNNKIT_DATA:-../shared/data}
R=$B/rnnkit
bench_need_rnnkit
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
waste() { # lengths on stdin, one per line, in batch order
    awk -v B=32 '{ n++; s += $1; if ($1 > mx) mx = $1; if (n % B == 0) { steps += B * mx; mx = 0 } }
                 END { if (n % B) steps += (n % B) * mx; printf "%d %d %.1f", s, steps, 100 * (1 - s / steps) }'
}
printf '%-6s %10s %14s %9s %14s %9s\n' set tokens "steps sorted" "padding" "steps random" padding
for s in $sets; do
    "$R" vocab build --format tsv --min-count 2 -o "$T/v.db" "$D/$s/train.tsv" 2>/dev/null
    "$R" vocab encode "$T/v.db" --format tsv "$D/$s/train.tsv" |
        awk '{ n = NF; if (n > 400) n = 400; if (n < 1) n = 1; print n }' >"$T/len"
    set -- $(sort -n "$T/len" | waste)
    sorted_steps=$2 sorted_pad=$3 tokens=$1
    set -- $(awk 'BEGIN { srand(1) } { printf "%.12f %s\n", rand(), $1 }' "$T/len" | sort -n | cut -d' ' -f2 | waste)
    printf '%-6s %10d %14d %8.1f%% %14d %8.1f%%\n' "$s" "$tokens" "$sorted_steps" "$sorted_pad" "$2" "$3"
done
