#!/bin/sh
# demo.sh - the README's first command: install what is missing, build, and
# run newsmine over the bundled sample articles (records on stdout).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
make -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
echo "newsmine: running on corpus/sample/articles.jsonl" >&2
exec ./bin/newsmine run corpus/sample/articles.jsonl
