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
echo "tokenize + sentences + normalise (--until sentences):"
run "-j 1, 5x corpus" -j 1 --until sentences $x5
run "-j 2, 5x corpus" -j 2 --until sentences $x5
echo "every stage (up to temporal):"
run "-j 1, 5x corpus" -j 1 $x5
run "-j 2, 5x corpus" -j 2 $x5
run "-j 1, 1x corpus, gzip input" -j 1 "$corpus"
run "-j 2, 1x corpus (memory)" -j 2 "$plain"
run "-j 2, 10x corpus (memory)" -j 2 $x10
}
