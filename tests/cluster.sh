#!/bin/sh
# cluster.sh BIN SHARED - the cluster recipes end to end: a throwaway
# single-node Slurm (scripts/slurm-local.sh) and a throwaway PostgreSQL
# (scripts/pg-throwaway.sh); a 4-task job array (scripts/slurm-array.sh)
# loads a corpus into PostgreSQL, and the database must hold every document
# exactly once, with the spans of a plain run; the array run again changes
# nothing; then the per-shard SQLite files of an array, merged, and GNU
# parallel (scripts/parallel-shards.sh) the same.  Installs slurm-wlm,
# munge, parallel and postgresql when missing (as root); stops every daemon
# it started, by pid.  Prints "cluster: N passed, M failed".
set -u
bin=$(realpath "$1")
shared=$2
here=$(pwd)
export NEWSMINE_MODELS="$here/models"
t=$(mktemp -d /tmp/nm-cluster.XXXXXX)
chmod 755 "$t"
slurm=""
pg=""
cleanup() {
    [ -n "$slurm" ] && sh "$here/scripts/slurm-local.sh" stop "$t/slurm" >/dev/null 2>&1
    [ -n "$pg" ] && sh "$here/scripts/pg-throwaway.sh" stop "$t/pg" >/dev/null 2>&1
    [ -n "${KEEP:-}" ] || rm -rf "$t"
}
trap cleanup EXIT INT TERM
NAME=cluster
. "$here/tests/lib.sh"
finish() { report; exit; }

if ! command -v parallel >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q parallel >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -q parallel >/dev/null 2>&1; }
    fi
fi

# the corpus: news (research data, read in place) split over two files,
# the bundled sample, and one broken line
mkdir -p "$t/in"
if [ -f "$shared/data/news-bench.jsonl.gz" ]; then
    zcat "$shared/data/news-bench.jsonl.gz" | head -3000 > "$t/in/a.jsonl"
    zcat "$shared/data/news-bench.jsonl.gz" | sed -n '3001,6000p' > "$t/in/b.jsonl"
else
    for i in $(seq 1 500); do cat "$here/corpus/sample/articles.jsonl"; done |
        awk '{ sub(/"id": "[^"]*"/, "\"id\": \"gen/" NR "\""); print }' > "$t/in/a.jsonl"
    : > "$t/in/b.jsonl"
fi
cat "$here/corpus/sample/articles.jsonl" >> "$t/in/b.jsonl"
echo '{"id":"broken","text":' >> "$t/in/b.jsonl"
ids=$(cat "$t/in/a.jsonl" "$t/in/b.jsonl" | jq -R 'fromjson? | .id' | sort -u | wc -l)
spans=$("$bin" run -j 2 "$t/in/a.jsonl" "$t/in/b.jsonl" 2>/dev/null | jq '.spans | length' | awk '{s += $1} END {print s}')

if ! SLURM_CONF=$(sh "$here/scripts/slurm-local.sh" start "$t/slurm" 2>"$t/slurm.err"); then
    bad "could not start a throwaway Slurm: $(cat "$t/slurm.err")"
    finish
fi
slurm=1
export SLURM_CONF
if ! url=$(sh "$here/scripts/pg-throwaway.sh" start "$t/pg" 2>"$t/pg.err"); then
    bad "could not start a throwaway PostgreSQL: $(cat "$t/pg.err")"
    finish
fi
pg=1
pq() { psql -X -q -t -A "$url" -c "$1"; }

# a 4-task array into PostgreSQL
if sh "$here/scripts/slurm-array.sh" -n 4 --db "$url" --workdir "$t/array" --bin "$bin" --wait \
    "$t/in/a.jsonl" "$t/in/b.jsonl" >"$t/array.out" 2>&1; then ok; else bad "array: $(cat "$t/array.out")"; fi
check "array -> pg: every document once" "$(pq "SELECT count(*) || ' ' || count(DISTINCT id) FROM documents")" "$ids $ids"
check "array -> pg: spans as a plain run" "$(pq 'SELECT count(*) FROM spans')" "$spans"
check "array: the four tasks ran" "$(ls "$t/array"/status-* 2>/dev/null | wc -l)" 4
check "array: one rejected line, in one shard's rejects" "$(cat "$t/array"/rejects-*.jsonl | jq -r .line)" \
    "$(($(wc -l < "$t/in/b.jsonl")))"
before=$(pq 'SELECT sum(doc_key), max(loaded_at) FROM documents')
sh "$here/scripts/slurm-array.sh" -n 4 --db "$url" --workdir "$t/array2" --bin "$bin" --wait \
    "$t/in/a.jsonl" "$t/in/b.jsonl" >/dev/null 2>&1
check "array again: nothing changes" "$(pq 'SELECT sum(doc_key), max(loaded_at) FROM documents')" "$before"

# a 4-task array into per-shard SQLite files, merged
if sh "$here/scripts/slurm-array.sh" -n 4 --sqlite-dir "$t/sq" --bin "$bin" --wait \
    "$t/in/a.jsonl" "$t/in/b.jsonl" >"$t/sq.out" 2>&1; then ok; else bad "array -> sqlite: $(cat "$t/sq.out")"; fi
check "array -> sqlite, merged: every document once" \
    "$(sqlite3 "$t/sq/all.db" "SELECT count(*) || ' ' || count(DISTINCT id) FROM documents")" "$ids $ids"
check "array -> sqlite, merged: spans" "$(sqlite3 "$t/sq/all.db" 'SELECT count(*) FROM spans')" "$spans"
NEWSMINE=$bin sh "$here/scripts/merge-sqlite.sh" "$t/sq/all.db" "$t"/sq/shard-*.db
check "merged again: nothing changes" \
    "$(sqlite3 "$t/sq/all.db" "SELECT count(*) || ' ' || (SELECT count(*) FROM spans) FROM documents")" "$ids $spans"

# GNU parallel, 4 shards, 2 at a time
if command -v parallel >/dev/null 2>&1; then
    if sh "$here/scripts/parallel-shards.sh" -n 4 -P 2 --sqlite-dir "$t/par" --bin "$bin" \
        "$t/in/a.jsonl" "$t/in/b.jsonl" >"$t/par.out" 2>&1; then ok; else bad "parallel: $(cat "$t/par.out")"; fi
    check "parallel -> sqlite, merged: every document once" \
        "$(sqlite3 "$t/par/all.db" "SELECT count(*) || ' ' || count(DISTINCT id) FROM documents")" "$ids $ids"
    check "parallel -> sqlite, merged: spans" "$(sqlite3 "$t/par/all.db" 'SELECT count(*) FROM spans')" "$spans"
else
    bad "GNU parallel could not be installed"
fi

# every daemon stopped by its pid
sh "$here/scripts/slurm-local.sh" stop "$t/slurm"
slurm=""
left=0
for p in "$t"/slurm/slurm/slurmd.pid "$t"/slurm/slurm/slurmctld.pid "$t"/slurm/munge/munged.pid; do
    [ -f "$p" ] && kill -0 "$(cat "$p")" 2>/dev/null && left=$((left + 1))
done
check "slurm daemons stopped" "$left" 0
finish
