#!/bin/sh
# unit.sh - run the cmocka unit test binaries given as arguments and tally
# them: "unit: N passed, M failed".  Exit 1 if any test failed.
set -u
pass=0; fail=0; bad=""
for t in "$@"; do
    out=$(NEWSMINE_MODELS=${NEWSMINE_MODELS:-models} "$t" 2>&1)
    status=$?
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
    if [ $status -ne 0 ]; then
        [ -z "$f" ] && fail=$((fail + 1))
        bad="$bad $(basename "$t")"
        printf '%s\n' "$out"
    fi
done
echo "unit: $pass passed, $fail failed${bad:+ (in$bad)}"
[ $fail -eq 0 ] && [ -z "$bad" ]
