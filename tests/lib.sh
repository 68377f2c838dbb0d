# lib.sh - what the shell tests (store.sh, cluster.sh, serve.sh) share: a
# tally and its checks.  Set NAME first; end with `report` (its status is
# the test's: 0 when nothing failed).
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "$NAME: FAIL: $*"; }
check() { if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', want '$3'"; fi; } # WHAT GOT WANT
has() { case $2 in *"$3"*) ok ;; *) bad "$1: '$3' not in '$2'" ;; esac; }      # WHAT TEXT PART
report() { echo "$NAME: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; }
