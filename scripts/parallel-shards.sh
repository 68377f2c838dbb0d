#!/bin/sh
# parallel-shards.sh - the job array's recipe for one big machine, with GNU
# parallel: N shards, J at a time, each `newsmine run --shard K/N` loading
# into the same PostgreSQL, or into DIR/shard-K.db merged into DIR/all.db.
#
#   scripts/parallel-shards.sh -n N [-P J] (--db URL | --sqlite-dir DIR) INPUT...
#
# Exit status: 0 when every shard ended with 0 or 1 (some records
# rejected: see DIR/rejects-K.jsonl), else 1 (parallel's joblog says which).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
n=""; jobs=$(nproc); db=""; sqlite_dir=""; bin=$here/bin/newsmine; models=$here/models; workdir=""
while [ $# -gt 0 ]; do
    case $1 in
    -n) n=$2; shift 2 ;;
    -P) jobs=$2; shift 2 ;;
    --db) db=$2; shift 2 ;;
    --sqlite-dir) sqlite_dir=$2; shift 2 ;;
    --workdir) workdir=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "parallel-shards: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
[ -n "$n" ] && [ $# -gt 0 ] && { [ -n "$db" ] || [ -n "$sqlite_dir" ]; } ||
    { echo "usage: parallel-shards.sh -n N [-P J] (--db URL | --sqlite-dir DIR) INPUT..." >&2; exit 2; }
command -v parallel >/dev/null || { echo "parallel-shards: GNU parallel not found (Debian: parallel)" >&2; exit 1; }
[ -z "$sqlite_dir" ] || mkdir -p "$sqlite_dir"
[ -n "$workdir" ] || workdir=${sqlite_dir:-$(mktemp -d /tmp/nm-parallel.XXXXXX)}
mkdir -p "$workdir"
if [ -n "$sqlite_dir" ]; then target="sqlite:$sqlite_dir/shard-{}.db"; else target=$db; fi
q() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
inputs=""
for f in "$@"; do inputs="$inputs $(q "$f")"; done
# each shard's exit status: 0 or 1 is success (1: some records rejected)
status=0
parallel --will-cite -j "$jobs" --joblog "$workdir/joblog.tsv" \
    "'$bin' run --quiet -j 1 --models '$models' --shard {}/$n --db '$target' --rejects '$workdir/rejects-{}.jsonl' $inputs \
     || [ \$? -eq 1 ]" ::: $(seq 1 "$n") || status=1
[ "$status" -eq 0 ] || { echo "parallel-shards: a shard failed; see $workdir/joblog.tsv" >&2; exit 1; }
if [ -n "$sqlite_dir" ]; then
    set --
    for k in $(seq 1 "$n"); do set -- "$@" "$sqlite_dir/shard-$k.db"; done
    NEWSMINE=$bin sh "$here/scripts/merge-sqlite.sh" "$sqlite_dir/all.db" "$@"
fi
