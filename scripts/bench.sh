#!/bin/sh
# bench.sh - throughput (MB of article text per second) and peak memory of
# `newsmine run` on the Reuters benchmark corpus, with 1 and 2 worker
# threads, and on 10x the corpus to show memory does not grow with input.
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
run "-j 1, 1x corpus (plain)" -j 1 "$plain"
run "-j 2, 1x corpus (plain)" -j 2 "$plain"
run "-j 1, 1x corpus (.gz)" -j 1 "$corpus"
set -- "$plain" "$plain" "$plain" "$plain" "$plain" "$plain" "$plain" "$plain" "$plain" "$plain"
run "-j 2, 10x corpus (plain)" -j 2 "$@"
