#!/bin/sh
# The shared library's contract: `nm -D librnnkit.so` exports only the
# documented API. Every exported symbol is an rnnkit_ name (a letter after
# the prefix: no rnnkit__ internal, no helper of another name) that a public
# header in include/rnnkit/ declares.
# usage: abi.sh RNNKIT SOURCE_DIR
set -eu
R=$1
S=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
so=$(dirname "$R")/librnnkit.so
[ -e "$so" ] || fail "no $so beside the program"
command -v nm >/dev/null 2>&1 || { echo "nm missing: skipped"; exit 77; }
syms=$(nm -D --defined-only "$so" | awk 'NF == 3 { print $3 }')
[ -n "$syms" ] || fail "$so exports nothing"
n=0
for s in $syms; do
    case $s in
        rnnkit_[a-z]*) ;;
        *) fail "$so exports '$s', which is not API" ;;
    esac
    grep -qw -- "$s" "$S"/include/rnnkit/*.h || fail "$so exports '$s', which no public header declares"
    n=$((n + 1))
done
echo "abi: $n exported symbols, each declared in include/rnnkit/"
