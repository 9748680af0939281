# bench/lib.sh: what the bench/*.sh scripts share, sourced by them (POSIX
# sh): the checks that open a run (an rnnkit binary, the shared data sets,
# a configured build folder, PyTorch), the pieces of the line each run's
# output opens with, and the awk function that reads rnnkit's JSONL
# progress. Sourcing it defines functions and one variable; it runs
# nothing and prints nothing.
# shellcheck shell=sh

# bench_need_rnnkit: exits 1 unless $R is an executable (rnnkit as
# scripts/test.sh builds it).
bench_need_rnnkit() {
    [ -x "$R" ] || { echo "build rnnkit first (sh scripts/test.sh)" >&2; exit 1; }
}

# bench_need_data: exits 1 unless $D, the shared data sets' folder, exists.
bench_need_data() {
    [ -d "$D" ] || { echo "no $D: this benchmark needs the shared data sets" >&2; exit 1; }
}

# bench_configure SRC BUILD [CMAKE_ARG...]: configures BUILD as a Release
# build of the source tree SRC unless it is configured already (then its
# settings stay as they are); quiet but for errors.
bench_configure() {
    bench_src=$1
    bench_build=$2
    shift 2
    if [ ! -f "$bench_build/CMakeCache.txt" ]; then
        cmake -S "$bench_src" -B "$bench_build" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
    fi
}

# bench_need_torch NAME: installs Debian's python3-torch (through sudo
# when not root) unless /usr/bin/python3 imports torch already; NAME (the
# script's) opens the note on stderr.
bench_need_torch() {
    if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
        bench_sudo=""
        [ "$(id -u)" -eq 0 ] || bench_sudo=sudo
        echo "$1: installing python3-torch" >&2
        DEBIAN_FRONTEND=noninteractive $bench_sudo apt-get install -y -qq --no-install-recommends \
            python3-torch >/dev/null
    fi
}

# bench_date: now in UTC, to the minute ("2026-12-02 14:54 UTC").
bench_date() { date -u '+%Y-%m-%d %H:%M UTC'; }

# bench_commit [DIR]: the short hash of the commit checked out in DIR
# (default: the current folder), "?" outside a git checkout.
bench_commit() { git -C "${1:-.}" rev-parse --short HEAD 2>/dev/null || echo '?'; }

# bench_load: the 1, 5 and 15 minute load averages ("1.98 1.45 1.68").
bench_load() { cut -d' ' -f1-3 /proc/loadavg; }

# bench_header PREFIX DIR MIDDLE: the line a run opens with,
# "PREFIX<date>; commit <DIR's commit>; <cores> cores; MIDDLE; load <load>".
bench_header() {
    echo "$1$(bench_date); commit $(bench_commit "$2"); $(nproc) cores; $3; load $(bench_load)"
}

# The awk function val(key): the value of "key" in a JSONL line ($0) as
# written (a string keeps its quotes), "" when the line lacks the key. To
# be put before an awk program: awk "$bench_awk_val"' ... '.
# shellcheck disable=SC2034,SC2016 # used by the scripts that source it; awk's $0, not sh's
bench_awk_val='
    function val(key,    i, s) {
        i = index($0, "\"" key "\":")
        if (!i) return ""
        s = substr($0, i + length(key) + 3)
        sub(/[,}].*/, "", s)
        return s
    }'
