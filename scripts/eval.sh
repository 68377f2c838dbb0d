#!/bin/sh
# eval.sh - score the pipeline on every labelled set we have, write
# eval/last.tsv (committed: a review diff shows any change), and fail if a
# figure falls below its floor in eval/thresholds.tsv.
#
#   sh scripts/eval.sh BIN SHARED_DIR
#
# eval/last.tsv:        DATASET<TAB>TYPE<TAB>METRIC<TAB>VALUE
# eval/thresholds.tsv:  DATASET<TAB>TYPE<TAB>METRIC<TAB>FLOOR
# Raise a floor when a stage improves; lowering one needs a commit that says
# why.
set -eu
bin=$1
shared=$2
mkdir -p eval
tmp=$(mktemp) || exit 2
trap 'rm -f "$tmp"' EXIT
sets=""
for f in corpus/gold/*.jsonl; do
    [ -f "$f" ] && sets="$sets corpus/$(basename "$f" .jsonl)=$f"
done
for f in timebank conll2003-dev cuad-clauses-dev; do
    if [ -f "$shared/data/$f.jsonl" ]; then
        sets="$sets $f=$shared/data/$f.jsonl"
    else
        echo "eval: $shared/data/$f.jsonl not found; skipped" >&2
    fi
done
# each external set is scored on the types it annotates: elsewhere our
# other spans would count as false positives in its ALL row
types_of() {
    case $1 in
    timebank) echo DATE,TIME,DURATION,SET ;;
    conll2003-*) echo PER,ORG,LOC,MISC ;;
    # "over the mapped types": the clause types CUAD has a category for
    cuad-*) grep -v '^#' eval/cuad-map.tsv | cut -f2 | grep '^CLAUSE:' | sort -u | paste -sd, - ;;
    corpus/entities-*) echo PER,ORG,LOC,MISC,MONEY,PERCENT ;;
    corpus/clauses-*) echo "CLAUSE:*" ;;
    *) echo "" ;;
    esac
}
# gold written in another scheme is read through a type map
map_of() {
    case $1 in
    cuad-*) echo eval/cuad-map.tsv ;;
    *) echo "" ;;
    esac
}
for s in $sets; do
    name=${s%%=*}
    file=${s#*=}
    types=$(types_of "$name")
    map=$(map_of "$name")
    NEWSMINE_MODELS=models "$bin" eval --gold "$file" ${types:+--types "$types"} ${map:+--map "$map"} --tsv > "$tmp.one" || {
        echo "eval: scoring $file failed" >&2
        exit 1
    }
    sed "s|^|$name	|" "$tmp.one" >> "$tmp"
    echo "== $name ($file)${types:+, types $types}"
    NEWSMINE_MODELS=models "$bin" eval --gold "$file" ${types:+--types "$types"} ${map:+--map "$map"} | sed 's/^/   /'
done
rm -f "$tmp.one"
mv "$tmp" eval/last.tsv
# floors
awk -F '\t' '
    NR == FNR { v[$1 FS $2 FS $3] = $4; next }
    /^#/ || NF < 4 { next }
    {
        k = $1 FS $2 FS $3
        got = (k in v) ? v[k] : 0
        n++
        if (got + 1e-9 < $4) { printf "eval: %s %s %s = %.4f, below the floor %.4f\n", $1, $2, $3, got, $4; bad++ }
    }
    END {
        printf "eval: %d floors checked, %d below\n", n, bad
        exit bad > 0
    }' eval/last.tsv eval/thresholds.tsv
