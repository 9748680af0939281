#!/bin/sh
# End-to-end: rnnkit <-> PyTorch through safetensors, both directions
# (tests/interop/torch_roundtrip.py): same probabilities to 1e-5, same greedy
# text. Needs Debian's python3-torch; without it the test is SKIPPED (exit
# 77, ctest's SKIP_RETURN_CODE).
# usage: interop.sh RNNKIT SOURCE_DIR
set -eu
R=$1
S=$2
PY=/usr/bin/python3   # Debian's torch is only visible to the system python
if ! [ -x "$PY" ] || ! "$PY" -c 'import torch' >/dev/null 2>&1; then
    echo "SKIP: python3-torch is not installed (sh scripts/install-deps.sh --ref installs it)"
    exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
OPENBLAS_NUM_THREADS=1 "$PY" "$S/tests/interop/torch_roundtrip.py" "$R" "$S" "$T"
