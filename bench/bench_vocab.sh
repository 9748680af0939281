#!/bin/sh
# bench/bench_vocab.sh [build-dir] [data.tsv]: vocabulary build (NFKC + case
# folding, word level, --format tsv) and encode of the IMDB training set, beside
# `tr -cs '[:alnum:]' '\n' | sort | uniq -c` on the same file in the same run.
# Prints MB/s (wall clock and per CPU second), tokens/s and peak memory.
# Defaults: build-dir build-tok (built first if needed), data
# ../shared/data/imdb/train.tsv relative to the source tree.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$src/bench/lib.sh"
build=${1:-build-tok}
data=${2:-$src/../shared/data/imdb/train.tsv}
case $build in /*) ;; *) build=$src/$build ;; esac
[ -r "$data" ] || { echo "bench_vocab: cannot read $data" >&2; exit 1; }
bench_configure "$src" "$build"
cmake --build "$build" --target rnnkit -j2 >/dev/null
R=$build/rnnkit
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export OPENBLAS_NUM_THREADS=1 LC_ALL=C
bytes=$(wc -c <"$data")
echo "data: $data ($bytes bytes); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# run NAME CMD...: wall, user+sys seconds and peak RSS via /usr/bin/time
run() {
    name=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$T/time" "$@"
    read -r wall user sys rss <"$T/time"
    awk -v n="$name" -v b="$bytes" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v tok="${tokens:-0}" \
        'BEGIN { cpu = u + s; if (w <= 0) w = 0.001; if (cpu <= 0) cpu = 0.001;
                 printf "%-28s %6.2f s wall %6.2f s cpu  %7.1f MB/s wall %7.1f MB/s cpu", n, w, cpu, b/1e6/w, b/1e6/cpu;
                 if (tok > 0) printf "  %6.2f Mtok/s cpu", tok/1e6/cpu;
                 printf "  peak %6.1f MB\n", r/1024 }'
}

for i in 1 2 3; do
    tokens=0
    run "vocab build (nfkc, fold) #$i" "$R" vocab build -o "$T/v.db" --format tsv "$data" 2>"$T/build.err"
done
tokens=$(sed -n 's/.* from \([0-9]*\) tokens.*/\1/p' "$T/build.err")
echo "  ($tokens tokens, $(sqlite3 "$T/v.db" 'select count(*) from tokens') ids)"
run "vocab encode --maxlen 200" sh -c "'$R' vocab encode '$T/v.db' --maxlen 200 --format tsv '$data' >/dev/null" ||
    run "vocab encode --maxlen 200" sh -c "cut -f2- '$data' | '$R' vocab encode '$T/v.db' --maxlen 200 - >/dev/null"
tokens=0
run "tr | sort | uniq -c" sh -c "tr -cs '[:alnum:]' '\n' <'$data' | sort | uniq -c >'$T/uniq'"
