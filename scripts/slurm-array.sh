#!/bin/sh
# slurm-array.sh - run newsmine over a corpus as a Slurm job array: task K
# of N runs `newsmine run --shard K/N`, so the N tasks cover the input
# exactly once between them, and loads its share into the database:
#
#   scripts/slurm-array.sh -n N --db postgresql://... [options] INPUT...
#       every task loads into the same PostgreSQL (idempotent: re-running
#       the array, or one failed task, stores nothing twice)
#   scripts/slurm-array.sh -n N --sqlite-dir DIR [options] INPUT...
#       task K writes DIR/shard-K.db; with --wait they are merged into
#       DIR/all.db at the end (scripts/merge-sqlite.sh)
#
# options: --workdir DIR (logs, rejects, exit codes; default: the sqlite
#          dir, or a new temp dir), --bin PATH (newsmine), --models DIR,
#          -j N (threads a task, default 1: one CPU a task), --wait (block
#          until every task has ended; exit 1 if one failed), --sbatch "ARGS"
#          (more sbatch options: partition, time limit...).
# INPUT paths must be readable from the nodes (a shared file system).
# Prints the job id.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
n=""; db=""; sqlite_dir=""; workdir=""; bin=$here/bin/newsmine; models=$here/models; threads=1
wait=0; extra=""
while [ $# -gt 0 ]; do
    case $1 in
    -n) n=$2; shift 2 ;;
    --db) db=$2; shift 2 ;;
    --sqlite-dir) sqlite_dir=$2; shift 2 ;;
    --workdir) workdir=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    -j) threads=$2; shift 2 ;;
    --wait) wait=1; shift ;;
    --sbatch) extra=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "slurm-array: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
[ -n "$n" ] && [ $# -gt 0 ] && { [ -n "$db" ] || [ -n "$sqlite_dir" ]; } ||
    { echo "usage: slurm-array.sh -n N (--db URL | --sqlite-dir DIR) [--wait] [options] INPUT..." >&2; exit 2; }
command -v sbatch >/dev/null || { echo "slurm-array: sbatch not found (Slurm)" >&2; exit 1; }
abs() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$(pwd)" "$1" ;; esac; }
if [ -n "$sqlite_dir" ]; then
    mkdir -p "$sqlite_dir"
    sqlite_dir=$(cd "$sqlite_dir" && pwd)
fi
[ -n "$workdir" ] || workdir=${sqlite_dir:-$(mktemp -d /tmp/nm-array.XXXXXX)}
mkdir -p "$workdir"
workdir=$(cd "$workdir" && pwd)
inputs=""
for f in "$@"; do inputs="$inputs '$(abs "$f" | sed "s/'/'\\\\''/g")'"; done
if [ -n "$sqlite_dir" ]; then target="sqlite:$sqlite_dir/shard-\$K.db"; else target=$db; fi
rm -f "$workdir"/status-*
cat > "$workdir/task.sh" <<TASK
#!/bin/sh
# one task of the array: shard K of $n
K=\$SLURM_ARRAY_TASK_ID
status=0
'$bin' run --quiet -j $threads --models '$models' --shard "\$K/$n" --db "$target" \\
    --rejects '$workdir'/rejects-\$K.jsonl $inputs || status=\$?
echo \$status > '$workdir'/status-\$K
# exit 1 (some records rejected, all else stored) is success for the array
[ \$status -le 1 ]
TASK
# shellcheck disable=SC2086
jid=$(sbatch --parsable --job-name=newsmine --array=1-"$n" --cpus-per-task="$threads" \
    --output="$workdir/task-%a.log" $extra "$workdir/task.sh")
echo "$jid"
[ "$wait" -eq 1 ] || exit 0
while squeue -h -j "$jid" 2>/dev/null | grep -q .; do sleep 0.5; done
failed=0
for k in $(seq 1 "$n"); do
    s=$(cat "$workdir/status-$k" 2>/dev/null || echo "none")
    if [ "$s" != 0 ] && [ "$s" != 1 ]; then
        echo "slurm-array: task $k ended with status $s (log: $workdir/task-$k.log)" >&2
        failed=1
    fi
done
[ "$failed" -eq 0 ] || exit 1
if [ -n "$sqlite_dir" ]; then
    set --
    for k in $(seq 1 "$n"); do set -- "$@" "$sqlite_dir/shard-$k.db"; done
    NEWSMINE=$bin sh "$here/scripts/merge-sqlite.sh" "$sqlite_dir/all.db" "$@"
fi
