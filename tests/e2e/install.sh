#!/bin/sh
# End-to-end: what `cmake --install` gives a user. Installs this build into a
# private prefix, then: the headers, librnnkit.so and .a, rnnkit.pc, the CMake
# package and the man page are there; both examples build through
# pkg-config (examples/Makefile) and run against a freshly trained model; a
# CMake project using find_package(rnnkit) builds and runs; the installed
# program answers --version; `man` renders the page.
# usage: install.sh RNNKIT SOURCE_DIR   (RNNKIT sits in the build directory)
set -eu
R=$1
S=$2
B=$(cd "$(dirname "$R")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in cc make pkg-config cmake; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool is needed (scripts/install-deps.sh installs it)"
done

P=$T/prefix
cmake --install "$B" --prefix "$P" >"$T/install.log" || { cat "$T/install.log" >&2; fail "cmake --install"; }
libdir=$(cd "$P" && ls -d lib lib64 lib/*-linux-gnu 2>/dev/null | while read -r d; do
    [ -e "$P/$d/pkgconfig/rnnkit.pc" ] && echo "$d"; done | head -n 1)
[ -n "$libdir" ] || fail "no rnnkit.pc installed"
for f in bin/rnnkit include/rnnkit/model.h include/rnnkit/vocab.h "$libdir/librnnkit.a" "$libdir/librnnkit.so" \
         "$libdir/cmake/rnnkit/rnnkitConfig.cmake" share/man/man1/rnnkit.1 \
         share/bash-completion/completions/rnnkit; do
    [ -e "$P/$f" ] || fail "not installed: $f"
done
"$P/bin/rnnkit" --version | grep -q '^rnnkit [0-9]' || fail "installed rnnkit --version"

# A sanitizer build's library needs the sanitizer runtime in whatever links it.
SAN=""
grep -q '^RNNKIT_SANITIZE:BOOL=ON' "$B/CMakeCache.txt" 2>/dev/null && SAN="-fsanitize=address,undefined"
CC=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$B/CMakeCache.txt" 2>/dev/null)
CC=${CC:-cc}

# examples through pkg-config
export PKG_CONFIG_PATH="$P/$libdir/pkgconfig"
pkg-config --exists rnnkit || fail "pkg-config does not find rnnkit"
[ "$(pkg-config --modversion rnnkit)" = "$("$P/bin/rnnkit" --version | cut -d' ' -f2)" ] ||
    fail "rnnkit.pc version differs from the program's"
cp -r "$S/examples" "$T/ex"
make -s -C "$T/ex" CC="$CC" CFLAGS="-O2 -Wall -Wextra -Werror $SAN" LDFLAGS="$SAN" >"$T/make.log" 2>&1 ||
    { cat "$T/make.log" >&2; fail "examples do not build against the installed library"; }
D=$S/corpora/data
"$P/bin/rnnkit" classify train --train "$D/sentiment/train.tsv" -o "$T/c.db" --epochs 3 --embed 16 --hidden 16 \
    --seed 3 --quiet
"$T/ex/classify" "$T/c.db" "what a wonderful , moving film" >"$T/cls"
[ "$(wc -l <"$T/cls")" -eq 2 ] || fail "classify example: want one line per label"
awk -F'\t' 'NF != 2 || $2 < 0 || $2 > 1 { exit 1 } { s += $2 } END { exit !(s > 0.999 && s < 1.001) }' "$T/cls" ||
    fail "classify example: probabilities do not sum to 1"
"$P/bin/rnnkit" generate train --train "$D/text/verse.txt" -o "$T/g.db" --hidden 16 --embed 8 --layers 1 \
    --steps 20 --eval-every 10 --batch 8 --seq-len 32 --quiet
"$T/ex/generate" "$T/g.db" "The " 50 >"$T/gen"
[ "$(head -c 4 "$T/gen")" = "The " ] || fail "generate example does not start with its seed"
[ "$(wc -c <"$T/gen")" -gt 40 ] || fail "generate example printed too little"
so=$(ldd "$T/ex/classify" | awk '/librnnkit/ { print $3 }')
[ -n "$so" ] && [ "$(realpath "$so")" = "$(realpath "$P/$libdir/librnnkit.so")" ] ||
    fail "example is not linked to the installed librnnkit.so (ldd: ${so:-none})"

# find_package(rnnkit) from a CMake project
mkdir -p "$T/cm"
cp "$S/examples/classify.c" "$T/cm/"
cat >"$T/cm/CMakeLists.txt" <<'CMK'
cmake_minimum_required(VERSION 3.20)
project(uses_rnnkit C)
find_package(rnnkit 0.1 REQUIRED)
add_executable(classify classify.c)
target_link_libraries(classify PRIVATE rnnkit::rnnkit)
CMK
cmake -S "$T/cm" -B "$T/cm/build" -DCMAKE_PREFIX_PATH="$P" -DCMAKE_C_COMPILER="$CC" \
    -DCMAKE_C_FLAGS="$SAN" -DCMAKE_EXE_LINKER_FLAGS="$SAN" >"$T/cm.log" 2>&1 &&
    cmake --build "$T/cm/build" >>"$T/cm.log" 2>&1 || { cat "$T/cm.log" >&2; fail "find_package(rnnkit) project"; }
"$T/cm/build/classify" "$T/c.db" "a dull mess" | grep -q . || fail "find_package example printed nothing"

# the man page renders without warnings
if command -v man >/dev/null 2>&1; then
    MANWIDTH=80 man -l "$P/share/man/man1/rnnkit.1" 2>"$T/man.err" | grep -q "rnnkit export" ||
        { cat "$T/man.err" >&2; fail "man page does not render"; }
fi
if command -v groff >/dev/null 2>&1; then
    groff -man -Tutf8 -ww -z "$S/rnnkit.1" 2>"$T/groff.err"
    [ ! -s "$T/groff.err" ] || { cat "$T/groff.err" >&2; fail "man page has groff warnings"; }
fi
echo "install: ok"
