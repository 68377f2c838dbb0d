#!/bin/sh
# run.sh - golden tests: feed each CASE.in to the CLI and compare what it
# prints (stdout, then stderr, then the exit status) with CASE.out.
#
#   sh tests/golden/run.sh BIN [--update] [DIR...]
#
# CASE.args holds the arguments (default: "run"); paths in it are relative
# to the repository root, where this runs.  --update rewrites the .out files
# so that the change can be reviewed with git diff.
set -u
bin=$1; shift
update=0
if [ "${1:-}" = "--update" ]; then update=1; shift; fi
[ $# -gt 0 ] || set -- tests/golden
pass=0; fail=0
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
for dir in "$@"; do
    for in in $(find "$dir" -name '*.in' | LC_ALL=C sort); do
        case_=${in%.in}
        args=run
        [ -f "$case_.args" ] && args=$(cat "$case_.args")
        # shellcheck disable=SC2086
        NEWSMINE_MODELS=models "$bin" $args < "$in" > "$tmp/out" 2> "$tmp/err"
        status=$?
        { cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"; echo "--- exit $status"; } > "$tmp/got"
        if [ $update = 1 ]; then
            cp "$tmp/got" "$case_.out"
            pass=$((pass + 1))
        elif diff -u "$case_.out" "$tmp/got" > "$tmp/diff" 2>&1; then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
            echo "FAIL $case_"
            cat "$tmp/diff"
        fi
    done
done
echo "golden: $pass passed, $fail failed"
[ $fail -eq 0 ]
