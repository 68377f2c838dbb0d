#!/bin/sh
# bench.sh - throughput (MB of article text per second) and peak memory of
# `newsmine run` on the Reuters benchmark corpus, with 1 and 2 worker
# threads (on 5x the corpus, so that start-up does not count), and on 1x and
# 10x the corpus to show that memory does not grow with the input.
# Figures are printed, never asserted.
set -eu
bin=$1
shared=$2
corpus=$shared/data/news-bench.jsonl.gz
[ -f "$corpus" ] || { echo "bench: $corpus not found" >&2; exit 2; }
mkdir -p bench
plain=bench/news-bench.jsonl
[ -f "$plain" ] || zcat "$corpus" > "$plain"
echo "bench: $(wc -l < "$plain") documents, $(du -m "$plain" | cut -f1) MB of JSONL; best of 3 runs"
run() {
    label=$1; shift
    best=""
    for i in 1 2 3; do
        line=$(NEWSMINE_MODELS=models "$bin" run --stats "$@" 2>&1 >/dev/null | grep 'stats:')
        mbs=$(printf '%s\n' "$line" | sed 's/.* \([0-9.]*\) MB\/s.*/\1/')
        if [ -z "$best" ] || awk "BEGIN{exit !($mbs > $best)}"; then best=$mbs; bline=$line; fi
    done
    printf '%-34s %s\n' "$label" "$(printf '%s\n' "$bline" | sed 's/^newsmine: stats: //')"
}
x5="$plain $plain $plain $plain $plain"
x10="$x5 $x5"
# shellcheck disable=SC2086
{
echo "tokenize + sentences + normalise (--until sentences; stems are worked out only when asked for):"
run "-j 1, 5x corpus" -j 1 --until sentences $x5
run "-j 2, 5x corpus" -j 2 --until sentences $x5
echo "up to entities (text stages + entities: issue 4's measure):"
run "-j 1, 5x corpus" -j 1 --until entities $x5
echo "up to temporal (text stages + entities + temporal):"
run "-j 1, 5x corpus" -j 1 --until temporal $x5
echo "every stage (text, entities, temporal, clauses: issue 5's measure):"
run "-j 1, 5x corpus" -j 1 $x5
run "-j 2, 5x corpus" -j 2 $x5
run "-j 1, 1x corpus, gzip input" -j 1 "$corpus"
run "-j 2, 1x corpus (memory)" -j 2 "$plain"
run "-j 2, 10x corpus (memory)" -j 2 $x10
}
# Loading into a database (issue 6): the same run into a fresh SQLite file
# and into a throwaway PostgreSQL (tables emptied between runs), against
# JSONL to /dev/null; the time includes the last commit and the indexes.
# Memory on 1x and 10x the corpus must not grow.
load_run() {
    label=$1; reset=$2; shift 2
    best=""
    for i in 1 2 3; do
        eval "$reset"
        line=$(NEWSMINE_MODELS=models "$bin" run --quiet --stats "$@" 2>&1 >/dev/null | grep 'stats:')
        mbs=$(printf '%s\n' "$line" | sed 's/.* \([0-9.]*\) MB\/s.*/\1/')
        if [ -z "$best" ] || awk "BEGIN{exit !($mbs > $best)}"; then best=$mbs; bline=$line; fi
    done
    printf '%-34s %s\n' "$label" "$(printf '%s\n' "$bline" | sed 's/^newsmine: stats: //')"
}
ldir=$(mktemp -d /tmp/nm-bench.XXXXXX)
chmod 755 "$ldir"
pgurl=$(sh scripts/pg-throwaway.sh start "$ldir/pg" 2>/dev/null) || pgurl=""
trap '[ -n "$pgurl" ] && sh scripts/pg-throwaway.sh stop "$ldir/pg" >/dev/null 2>&1; rm -rf "$ldir"' EXIT
echo "loading (issue 6: at most 20% over JSONL to /dev/null):"
for j in 1 2; do
    load_run "-j $j, 1x corpus, JSONL > /dev/null" ":" -j $j "$plain"
    load_run "-j $j, 1x corpus, into SQLite" "rm -f $ldir/b.db*" -j $j --db "sqlite:$ldir/b.db" "$plain"
    if [ -n "$pgurl" ]; then
        load_run "-j $j, 1x corpus, into PostgreSQL" \
            "psql -X -q '$pgurl' -c 'DROP TABLE IF EXISTS spans, documents' 2>/dev/null" -j $j --db "$pgurl" "$plain"
    fi
done
load_run "-j 2, loaded again (all unchanged)" ":" -j 2 --db "sqlite:$ldir/b.db" "$plain"
# shellcheck disable=SC2086
load_run "-j 2, 10x corpus, into SQLite (memory)" "rm -f $ldir/m.db*" -j 2 --db "sqlite:$ldir/m.db" $x10
[ -n "$pgurl" ] || echo "(no PostgreSQL figures: scripts/pg-throwaway.sh could not start one)"

# The HTTP service (issue 7): wrk on loopback against `newsmine serve` with
# 2 threads, POST /v1/extract of a ~5 KB article (our sample articles, as
# text/plain), for 10 s, then until 100,000 requests have been served; the
# server's resident memory before and after (it must stay flat).
if command -v wrk >/dev/null 2>&1; then
    art=$ldir/article.txt
    { jq -r .text corpus/sample/articles.jsonl; jq -r .text corpus/sample/articles.jsonl; } | head -c 5000 > "$art"
    cat > "$ldir/post.lua" <<LUA
local f = io.open("$art", "rb"); local body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = body
wrk.headers["Content-Type"] = "text/plain"
LUA
    NEWSMINE_MODELS=models "$bin" serve --listen 127.0.0.1:0 --threads 2 2>"$ldir/serve.err" &
    spid=$!
    i=0
    until grep -q "listening on" "$ldir/serve.err" 2>/dev/null || [ $i -gt 100 ]; do sleep 0.1; i=$((i + 1)); done
    port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$ldir/serve.err")
    url="http://127.0.0.1:$port/v1/extract?id=bench&dct=2025-06-03"
    wrk -t 2 -c 8 -d 5s -s "$ldir/post.lua" "$url" >/dev/null 2>&1 # warm up: both threads
    rss0=$(ps -o rss= -p $spid)
    echo "serve (2 threads, POST /v1/extract, $(wc -c < "$art") bytes of text, wrk -t 2 -c 8, 10 s):"
    wrk -t 2 -c 8 -d 10s --latency -s "$ldir/post.lua" "$url" 2>&1 |
        awk '/Requests\/sec/ {print "  requests/s " $2} / 50% / {print "  p50 " $2} / 99% / {print "  p99 " $2} /Non-2xx/ {print "  " $0}'
    # then 100,000 requests twice: memory after each hundred thousand
    n=0
    line="  server resident memory: $((rss0 / 1024)) MB after warm-up"
    for target in 100000 200000; do
        while [ $n -lt $target ]; do
            r=$(wrk -t 2 -c 8 -d 10s -s "$ldir/post.lua" "$url" 2>&1 | awk '/requests in/ {print $1}')
            n=$((n + ${r:-100000}))
        done
        line="$line, $(($(ps -o rss= -p $spid) / 1024)) MB after $n requests"
    done
    echo "$line"
    kill -TERM $spid
    wait $spid 2>/dev/null
fi

# Wall-clock figures on this kind of VM move by 10-20% from one minute to the
# next; instruction counts do not.  With valgrind at hand, count the
# instructions of the whole pipeline and of the text stages on the first
# 5,000 stories (one worker plus the reader; callgrind runs them serially).
if command -v valgrind >/dev/null 2>&1; then
    slice=bench/news-bench-5k.jsonl
    [ -f "$slice" ] || head -5000 "$plain" > "$slice"
    mb=$(wc -c < "$slice")
    ir() {
        NEWSMINE_MODELS=models valgrind --tool=callgrind --callgrind-out-file=/dev/null \
            "$bin" run -j 1 "$@" "$slice" 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
    }
    all=$(ir)
    text=$(ir --until sentences)
    ent=$(ir --until entities)
    tmp=$(ir --until temporal)
    awk -v a="$all" -v t="$text" -v e="$ent" -v m="$tmp" -v b="$mb" 'BEGIN {
        printf "instructions (callgrind, 5,000 stories, %.1f MB of JSONL): every stage %.0fM (%.0f per byte), text stages %.0fM, entities %.0fM, temporal %.0fM, clauses %.0fM\n",
               b / 1e6, a / 1e6, a / b, t / 1e6, (e - t) / 1e6, (m - e) / 1e6, (a - m) / 1e6 }'
fi
