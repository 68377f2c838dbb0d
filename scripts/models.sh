#!/bin/sh
# models.sh - rebuild the generated model files: the gazetteer lists made
# from Debian's iso-codes (scripts/gen-entity-lists.sh), then the entity
# tagger's weights, trained on CoNLL-2003 train and the team's dev articles.
#
#   sh scripts/models.sh BIN SHARED_DIR           write models/entities/ner.weights.gz
#   sh scripts/models.sh --check BIN SHARED_DIR   train again into a temporary file and
#                                                 check it is byte-identical to the
#                                                 committed weights (reproducibility)
#
# Training is deterministic (integer updates, a fixed-seed document order,
# keys written sorted): the same inputs give the same bytes.
set -eu
check=0
if [ "${1:-}" = "--check" ]; then
    check=1
    shift
fi
bin=$1
shared=$2
weights=models/entities/ner.weights.gz
train=$shared/data/conll2003-train.jsonl
# our own articles are few beside CoNLL's 946: they count six times
corpus="corpus/gold/entities-dev.gold.jsonl corpus/gold/temporal-dev.gold.jsonl"
weight=6
epochs=12
if [ ! -f "$train" ]; then
    echo "models: $train not found (the shared data folder); cannot train" >&2
    [ "$check" -eq 1 ] && { echo "models-check: skipped (no training data)"; exit 0; }
    exit 2
fi
if [ "$check" -eq 0 ] && [ -x scripts/gen-entity-lists.sh ]; then
    sh scripts/gen-entity-lists.sh
fi
set -- --gold "$train"
i=0
while [ $i -lt $weight ]; do
    for f in $corpus; do
        set -- "$@" --gold "$f"
    done
    i=$((i + 1))
done
if [ "$check" -eq 1 ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    NEWSMINE_MODELS=models "$bin" train --quiet "$@" --epochs $epochs --min-count 1 -o "$tmp/w.gz"
    if cmp -s "$tmp/w.gz" "$weights"; then
        echo "models-check: retrained weights are byte-identical to $weights"
    else
        echo "models-check: retraining gives other weights than $weights (run make models and commit)" >&2
        exit 1
    fi
    exit 0
fi
NEWSMINE_MODELS=models "$bin" train "$@" --epochs $epochs --min-count 1 -o "$weights"
