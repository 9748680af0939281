#!/bin/sh
# Installs the Debian packages rnnkit builds and tests with, and only those
# that are missing. Idempotent: when everything is present it does nothing.
# Runs apt-get directly as root, through sudo otherwise.
#
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --ref      also the reference tools (python3-torch,
#                                      python3-keras-preprocessing,
#                                      python3-statsmodels, fasttext)
set -eu

pkgs="build-essential cmake pkg-config libutf8proc-dev libsqlite3-dev sqlite3 libcmocka-dev libopenblas-dev libcsv-dev zlib1g-dev"
for arg in "$@"; do
    case "$arg" in
        --ref) pkgs="$pkgs python3-torch python3-numpy python3-keras-preprocessing python3-statsmodels fasttext" ;;
        --clang) pkgs="$pkgs clang" ;;
        --fuzz) pkgs="$pkgs clang libclang-rt-14-dev" ;;
        --valgrind) pkgs="$pkgs valgrind" ;;
        *) echo "install-deps.sh: unknown option '$arg'" >&2; exit 2 ;;
    esac
done

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-deps.sh: need root or sudo to install:$missing" >&2
    exit 1
fi
echo "install-deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
