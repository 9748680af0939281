#!/bin/sh
# Runs the rnnkit program under valgrind memcheck: any invalid access, use of
# uninitialised memory or leak (definite or indirect) makes it exit 99. The
# end-to-end scripts take this wrapper in place of the program (see .ci/run).
#   RNNKIT_BIN   the program (default: build/rnnkit beside this checkout)
here=$(cd "$(dirname "$0")/.." && pwd)
exec valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --track-origins=no \
    --suppressions="$here/tests/valgrind.supp" "${RNNKIT_BIN:-$here/build/rnnkit}" "$@"
