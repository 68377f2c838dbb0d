#!/bin/sh
# store.sh BIN SHARED - `newsmine run --db` end to end, into SQLite and into a
# throwaway PostgreSQL: every document stored once, a second load changes
# nothing, a changed text replaces its rows, a load killed part-way and run
# again completes with no duplicate and no missing document, a full disk and
# a database that goes away end with exit 2 and a clear message and lose no
# committed document, rejected records land in --rejects as JSONL.
# Prints "store: N passed, M failed".
set -u
bin=$(realpath "$1")
shared=$2
here=$(pwd)
export NEWSMINE_MODELS="$here/models"
t=$(mktemp -d /tmp/nm-store.XXXXXX)
pgdir=""
cleanup() {
    umount "$t/small" 2>/dev/null
    [ -n "$pgdir" ] && sh "$here/scripts/pg-throwaway.sh" stop "$pgdir" >/dev/null 2>&1
    rm -rf "$t" "$pgdir"
}
trap cleanup EXIT INT TERM
NAME=store
. "$here/tests/lib.sh"

# ---------------------------------------------------------------- inputs
# small: the bundled sample, one duplicate id with the same text, one broken line
small=$t/small.jsonl
cat "$here/corpus/sample/articles.jsonl" > "$small"
head -1 "$here/corpus/sample/articles.jsonl" >> "$small"
echo '{"id":"broken","text":' >> "$small"
n_small=$(jq -r .id "$here/corpus/sample/articles.jsonl" | sort -u | wc -l)
# big: enough news to kill a load part-way (research data: read, never copied)
big=$t/big.jsonl
if [ -f "$shared/data/news-bench.jsonl.gz" ]; then
    zcat "$shared/data/news-bench.jsonl.gz" > "$big"
else
    for i in $(seq 1 3000); do cat "$here/corpus/sample/articles.jsonl"; done |
        awk '{ sub(/"id": "[^"]*"/, "\"id\": \"gen/" NR "\""); print }' > "$big"
fi
n_big=$(wc -l < "$big")
# what a plain run gives: the reference span count
"$bin" run -j 2 "$big" 2>/dev/null | jq -c '.spans | length' | awk '{s += $1} END {print s}' > "$t/big.spans"
"$bin" run -j 2 "$small" 2>/dev/null | sort -u | jq -c '.spans | length' | awk '{s += $1} END {print s}' > "$t/small.spans"

sq() { sqlite3 "$1" "$2"; }

# ---------------------------------------------------------------- SQLite
db=$t/a.db
"$bin" run --quiet --db "sqlite:$db" --rejects "$t/rej.jsonl" "$small" 2>"$t/err"
check "sqlite: exit status with a rejected line" "$?" 1
check "sqlite: documents" "$(sq "$db" 'SELECT count(*) FROM documents')" "$n_small"
check "sqlite: spans as in the JSONL output" "$(sq "$db" 'SELECT count(*) FROM spans')" "$(cat "$t/small.spans")"
check "sqlite: rejects are JSONL with the reason" \
    "$(jq -r '[.line, (.reason | test("invalid JSON")), (.raw | startswith("{"))] | @tsv' "$t/rej.jsonl")" \
    "$(printf '8\ttrue\ttrue')"
before=$(sq "$db" 'SELECT group_concat(doc_key || sha256 || loaded_at) FROM documents')
"$bin" run --db "sqlite:$db" "$small" 2>"$t/err"
check "sqlite: second load says nothing is new" "$(grep -c "0 new, $((n_small + 1)) unchanged, 0 replaced" "$t/err")" 1
check "sqlite: second load changes nothing" \
    "$(sq "$db" 'SELECT group_concat(doc_key || sha256 || loaded_at) FROM documents')" "$before"
# one text changed: its rows replaced, the others kept
sed '1s/Harbor Cloud said/Harbor Cloud announced/' "$here/corpus/sample/articles.jsonl" > "$t/changed.jsonl"
"$bin" run --db "sqlite:$db" "$t/changed.jsonl" 2>"$t/err"
check "sqlite: a changed text is replaced" "$(grep -c "0 new, $((n_small - 1)) unchanged, 1 replaced" "$t/err")" 1
"$bin" run "$t/changed.jsonl" 2>/dev/null | jq -c '.spans | length' | awk '{s += $1} END {print s}' > "$t/changed.spans"
check "sqlite: spans after the change" "$(sq "$db" 'SELECT count(*) FROM spans')" "$(cat "$t/changed.spans")"
check "sqlite: no span without its document" \
    "$(sq "$db" 'SELECT count(*) FROM spans WHERE doc_key NOT IN (SELECT doc_key FROM documents)')" 0
check "sqlite: the query indexes are there" \
    "$(sq "$db" "SELECT count(*) FROM sqlite_master WHERE type='index' AND name IN ('documents_dct','spans_type_until','spans_entity')")" 3

# killed part-way (once its first batch has committed), then run again
db=$t/kill.db
"$bin" run --quiet -j 1 --db "sqlite:$db" "$big" 2>/dev/null &
pid=$!
i=0
while [ "$(sq "$db" 'SELECT count(*) FROM documents' 2>/dev/null || echo 0)" -lt 1 ] && [ $i -lt 1200 ]; do
    sleep 0.05; i=$((i + 1))
done
kill -STOP $pid 2>/dev/null
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
got=$(sq "$db" 'SELECT count(*) FROM documents')
if [ "$got" -gt 0 ] && [ "$got" -lt "$n_big" ]; then ok; else bad "sqlite: kill part-way: $got of $n_big stored"; fi
check "sqlite: integrity after the kill" "$(sq "$db" 'PRAGMA integrity_check')" ok
"$bin" run --quiet -j 2 --db "sqlite:$db" "$big" 2>/dev/null
check "sqlite: resumed: every document once" "$(sq "$db" "SELECT count(*) || ' ' || count(DISTINCT id) FROM documents")" "$n_big $n_big"
check "sqlite: resumed: spans as a clean load" "$(sq "$db" 'SELECT count(*) FROM spans')" "$(cat "$t/big.spans")"

# a full disk (a file-size limit: writes fail with EFBIG): exit 2, a clear
# message, committed documents intact; the same command then finishes
db=$t/full.db
status=0
(ulimit -f 24000; exec "$bin" run --quiet -j 2 --db "sqlite:$db" "$big") 2>"$t/err" || status=$?
check "sqlite: full disk: exit status" "$status" 2
if grep -q -i "disk\|full\|too large\|I/O" "$t/err" && grep -q "run the same command again" "$t/err"; then ok; else
    bad "sqlite: full disk: message: $(cat "$t/err")"; fi
check "sqlite: full disk: integrity" "$(sq "$db" 'PRAGMA integrity_check')" ok
"$bin" run --quiet -j 2 --db "sqlite:$db" "$big" 2>/dev/null
check "sqlite: after the full disk: every document once" \
    "$(sq "$db" "SELECT count(*) || ' ' || count(DISTINCT id) FROM documents")" "$n_big $n_big"

# a really full disk (a small tmpfs, where this machine lets root mount one):
# ENOSPC, exit 2, committed documents intact; moved to a roomier disk, the
# same command finishes the job
mkdir -p "$t/small"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=12m tmpfs "$t/small" 2>/dev/null; then
    status=0
    "$bin" run --quiet -j 2 --db "sqlite:$t/small/x.db" "$big" 2>"$t/err" || status=$?
    check "sqlite: disk full: exit status" "$status" 2
    if grep -q "database or disk is full" "$t/err"; then ok; else bad "sqlite: disk full: message: $(cat "$t/err")"; fi
    check "sqlite: disk full: integrity" "$(sq "$t/small/x.db" 'PRAGMA integrity_check')" ok
    stored=$(sq "$t/small/x.db" 'SELECT count(*) FROM documents')
    cp "$t/small/x.db" "$t/small/x.db-wal" "$t/" 2>/dev/null
    umount "$t/small"
    "$bin" run -j 2 --db "sqlite:$t/x.db" "$big" 2>"$t/err"
    check "sqlite: after the disk filled: every document once" \
        "$(sq "$t/x.db" "SELECT count(*) || ' ' || count(DISTINCT id) FROM documents")" "$n_big $n_big"
    if grep -q "$((n_big - stored)) new, $stored unchanged" "$t/err"; then ok; else
        bad "sqlite: after the disk filled: the committed $stored kept: $(cat "$t/err")"; fi
else
    echo "store: (no tmpfs could be mounted here: the real full-disk case is skipped; ulimit -f above stands in)"
fi

# progress: a line on a terminal (script(1) gives the run one), with MB/s and
# an ETA for a plain file; nothing when stderr is not a terminal, or with --quiet
if command -v script >/dev/null 2>&1; then
    rm -f "$t/p.db"*
    script -q -e -c "'$bin' run -j 1 --db 'sqlite:$t/p.db' '$big' '$big'" /dev/null > "$t/tty" 2>&1
    tr '\r' '\n' < "$t/tty" | grep -a 'documents, .* MB/s, 0 rejected' > "$t/tty.lines"
    if [ -s "$t/tty.lines" ]; then ok; else bad "progress: no progress line on a terminal"; fi
    if grep -aq 'ETA [0-9]*m[0-9]*s' "$t/tty.lines"; then ok; else bad "progress: no ETA for a plain file"; fi
    rm -f "$t/p.db"*
    script -q -e -c "'$bin' run -j 1 --quiet --db 'sqlite:$t/p.db' '$big'" /dev/null > "$t/tty" 2>&1
    check "progress: none with --quiet" "$(tr '\r' '\n' < "$t/tty" | grep -ac 'MB/s')" 0
fi
rm -f "$t/p.db"*
"$bin" run -j 1 --db "sqlite:$t/p.db" "$big" 2>"$t/err"
check "progress: none when stderr is not a terminal" "$(grep -c 'MB/s' "$t/err")" 0

# a bad URL and an unwritable path: exit 2 before any work
"$bin" run --db "mysql://x" "$small" >/dev/null 2>"$t/err"
check "bad --db: exit status" "$?" 2
check "bad --db: message" "$(grep -c 'expected sqlite:PATH or postgresql://' "$t/err")" 1
"$bin" run --db "sqlite:/nonexistent/dir/x.db" "$small" >/dev/null 2>"$t/err"
check "unwritable sqlite: exit status" "$?" 2

# ------------------------------------------------------------ PostgreSQL
pgdir=$(mktemp -d /tmp/nm-pg.XXXXXX)
chmod 755 "$pgdir" # the postgres user goes through it
if url=$(sh "$here/scripts/pg-throwaway.sh" start "$pgdir/c" 2>"$t/pgerr"); then
    pq() { psql -X -q -t -A "$url" -c "$1"; }
    "$bin" run --quiet -j 2 --db "$url" "$small" 2>/dev/null
    check "pg: documents" "$(pq 'SELECT count(*) FROM documents')" "$n_small"
    check "pg: spans as in the JSONL output" "$(pq 'SELECT count(*) FROM spans')" "$(cat "$t/small.spans")"
    "$bin" run -j 2 --db "$url" "$small" 2>"$t/err"
    check "pg: second load changes nothing" "$(grep -c "0 new, $((n_small + 1)) unchanged, 0 replaced" "$t/err")" 1
    "$bin" run --db "$url" "$t/changed.jsonl" 2>"$t/err"
    check "pg: a changed text is replaced" "$(grep -c "0 new, $((n_small - 1)) unchanged, 1 replaced" "$t/err")" 1
    check "pg: spans after the change" "$(pq 'SELECT count(*) FROM spans')" "$(cat "$t/changed.spans")"
    check "pg: a record is jsonb" "$(pq "SELECT record->>'id' FROM documents WHERE id = 'nm-sample/001'")" nm-sample/001
    # NUL in a text: stored, as U+FFFD in the jsonb (which refuses \u0000)
    printf '{"id":"nul","text":"Acme\\u0000Corp said Paris."}\n' > "$t/nul.jsonl"
    "$bin" run --quiet --db "$url" "$t/nul.jsonl" 2>"$t/err"
    check "pg: a text with NUL loads" "$?" 0
    # killed part-way, then run again
    "$bin" run --quiet -j 1 --db "$url" "$big" 2>/dev/null &
    pid=$!
    i=0
    while [ "$(pq "SELECT count(*) FROM documents WHERE id NOT LIKE 'nm-sample/%'" 2>/dev/null || echo 0)" -lt 1 ] &&
          [ $i -lt 1200 ]; do
        sleep 0.05; i=$((i + 1))
    done
    kill -STOP $pid 2>/dev/null
    got=$(pq "SELECT count(*) FROM documents WHERE id NOT LIKE 'nm-sample/%'")
    kill -KILL $pid 2>/dev/null
    wait $pid 2>/dev/null
    if [ "$got" -gt 0 ] && [ "$got" -lt "$n_big" ]; then ok; else bad "pg: kill part-way: $got of $n_big stored"; fi
    "$bin" run --quiet -j 2 --db "$url" "$big" 2>/dev/null
    check "pg: resumed: every document once" \
        "$(pq "SELECT count(*) || ' ' || count(DISTINCT id) FROM documents WHERE id NOT LIKE 'nm-sample/%' AND id <> 'nul'")" \
        "$n_big $n_big"
    check "pg: resumed: spans as a clean load" \
        "$(pq "SELECT count(*) FROM spans s JOIN documents d USING (doc_key) WHERE d.id NOT LIKE 'nm-sample/%' AND d.id <> 'nul'")" \
        "$(cat "$t/big.spans")"
    # the database goes away mid-load: exit 2, a clear message
    pq "TRUNCATE documents, spans"
    "$bin" run --quiet -j 1 --db "$url" "$big" 2>"$t/err" &
    pid=$!
    i=0
    while [ "$(pq 'SELECT count(*) FROM documents' 2>/dev/null || echo 0)" -lt 1 ] && [ $i -lt 1200 ]; do
        sleep 0.05; i=$((i + 1))
    done
    sh "$here/scripts/pg-throwaway.sh" stop "$pgdir/c"
    status=0
    wait $pid || status=$?
    check "pg: database gone: exit status" "$status" 2
    if grep -q "run the same command again" "$t/err"; then ok; else bad "pg: database gone: message: $(cat "$t/err")"; fi
else
    bad "pg: could not start a throwaway PostgreSQL: $(cat "$t/pgerr")"
fi

report
