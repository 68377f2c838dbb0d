#!/bin/sh
# merge-sqlite.sh OUT.db SHARD.db... - merge per-shard newsmine SQLite files
# into one, with the same rule as a load: a document already in OUT with
# the same text digest is left alone, one with another digest is replaced
# (its spans too), a new one is added with its spans.  Safe to run again.
# OUT is created with newsmine's schema if need be (NEWSMINE, default
# bin/newsmine beside this script, makes it from an empty load).
set -eu
[ $# -ge 2 ] || { echo "usage: merge-sqlite.sh OUT.db SHARD.db..." >&2; exit 2; }
out=$1; shift
here=$(cd "$(dirname "$0")/.." && pwd)
newsmine=${NEWSMINE:-$here/bin/newsmine}
command -v sqlite3 >/dev/null || { echo "merge-sqlite: needs the sqlite3 command (Debian: sqlite3)" >&2; exit 1; }
"$newsmine" run --quiet --db "sqlite:$out" < /dev/null
cols="seq, start_byte, end_byte, kind, type, text, value, entity_id, status, challenged, holder, counterparty, scope, since, until"
for shard in "$@"; do
    [ -f "$shard" ] || { echo "merge-sqlite: $shard: no such file" >&2; exit 1; }
    sqlite3 -bail "$out" <<SQL
.timeout 60000
ATTACH '$(printf '%s' "$shard" | sed "s/'/''/g")' AS s;
BEGIN IMMEDIATE;
CREATE TEMP TABLE changed AS
    SELECT d.doc_key FROM main.documents d JOIN s.documents x ON x.id = d.id AND x.sha256 <> d.sha256;
DELETE FROM main.spans WHERE doc_key IN (SELECT doc_key FROM temp.changed);
DELETE FROM main.documents WHERE doc_key IN (SELECT doc_key FROM temp.changed);
CREATE TEMP TABLE fresh AS
    SELECT x.doc_key AS old_key, x.id FROM s.documents x WHERE x.id NOT IN (SELECT id FROM main.documents);
INSERT INTO main.documents (id, sha256, dct, source, record, loaded_at)
    SELECT x.id, x.sha256, x.dct, x.source, x.record, x.loaded_at
    FROM s.documents x JOIN temp.fresh f ON f.old_key = x.doc_key ORDER BY x.doc_key;
INSERT INTO main.spans (doc_key, $cols)
    SELECT d.doc_key, $(echo "$cols" | sed 's/\([a-z_][a-z_]*\)/sp.\1/g')
    FROM s.spans sp JOIN temp.fresh f ON f.old_key = sp.doc_key JOIN main.documents d ON d.id = f.id;
DROP TABLE temp.changed;
DROP TABLE temp.fresh;
COMMIT;
DETACH s;
SQL
done
