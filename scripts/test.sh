#!/bin/sh
# test.sh - the README's test command: install what the build needs, build,
# run the unit, golden and regression tests, the same under ASan + UBSan
# (make check), the unit tests under ThreadSanitizer (make tsan), and the
# scored evaluation against its floors (make eval).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs" WERROR=1
# (no pipe into tee: a pipe's status is tee's, and a failure would pass)
run_logged() {
    log=$1; shift
    status=0
    "$@" > "$log" 2>&1 || status=$?
    cat "$log"
    if [ "$status" -ne 0 ]; then
        echo "test.sh: '$*' failed (exit $status)" >&2
        exit 1
    fi
}
run_logged build/test.log make test WERROR=1
run_logged build/check.log make check WERROR=1
run_logged build/tsan.log make tsan WERROR=1
make eval
# one closing line for the whole run
pass=0
for f in build/test.log build/check.log build/tsan.log; do
    for n in $(sed -n 's/^\(unit\|golden\|fuzz\|install\|store\|cluster\|serve\): \([0-9]*\) passed, 0 failed.*/\2/p' "$f"); do
        pass=$((pass + n))
    done
done
echo "all tests: $pass passed, 0 failed"
