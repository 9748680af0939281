#!/bin/sh
# Sets everything up on a fresh Debian 12 machine, builds rnnkit and runs
# the whole test suite (cmocka unit tests, reference checks, end-to-end CLI
# tests). ctest's summary closes the output.
#   BUILD_DIR   build directory (default: build)
#   CC          compiler (default: cc)
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
BUILD_DIR=${BUILD_DIR:-build}
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j"$jobs" >/dev/null
cd "$BUILD_DIR" && ctest --output-on-failure -j"$jobs" ${CTEST_ARGS:-}
