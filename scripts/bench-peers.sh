#!/bin/sh
# bench-peers.sh - newsmine against chrono-node on the same corpus in the
# same run: installs chrono-node from the npm registry into bench/peers
# (ignored by git), times both on one thread, prints the speed ratio.
# Figures are printed, never asserted.
set -eu
bin=$1
shared=$2
corpus=$shared/data/news-bench.jsonl.gz
mkdir -p bench/peers
plain=bench/news-bench.jsonl
[ -f "$plain" ] || zcat "$corpus" > "$plain"
command -v node >/dev/null 2>&1 || { echo "bench-peers: node is needed (apt-get install nodejs npm)" >&2; exit 2; }
if [ ! -d bench/peers/node_modules/chrono-node ]; then
    (cd bench/peers && npm install --silent --no-audit --no-fund chrono-node@2) >&2
fi
nm=$(NEWSMINE_MODELS=models "$bin" run -j 1 --stats "$plain" 2>&1 >/dev/null | grep 'stats:')
ch=$(node scripts/chrono-bench.js "$plain" "$(pwd)/bench/peers")
echo "newsmine -j 1: ${nm#newsmine: stats: }"
echo "$ch"
nm_mbs=$(printf '%s\n' "$nm" | sed 's/.* \([0-9.]*\) MB\/s.*/\1/')
ch_mbs=$(printf '%s\n' "$ch" | sed 's/.* \([0-9.]*\) MB\/s.*/\1/')
awk -v a="$nm_mbs" -v b="$ch_mbs" 'BEGIN { printf "newsmine/chrono-node speed ratio: %.1fx (one thread each; newsmine runs every stage, chrono-node dates only)\n", a / b }'
