// chrono-bench.js - times chrono-node (the JavaScript date parser) over a
// JSONL corpus: every record's text, parsed with its dct as the reference
// date.  Prints one line: "chrono-node: N docs, X MB text, S s, R MB/s,
// M expressions".  Used by `make bench-peers`; not part of newsmine.
'use strict';
const fs = require('fs');
const path = require('path');
const chrono = require(path.join(process.argv[3], 'node_modules', 'chrono-node'));
const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l.length);
const docs = lines.map((l) => JSON.parse(l));
let bytes = 0;
let found = 0;
const t0 = process.hrtime.bigint();
for (const d of docs) {
  bytes += Buffer.byteLength(d.text, 'utf8');
  const ref = d.dct ? new Date(d.dct + 'T12:00:00Z') : new Date(0);
  found += chrono.parse(d.text, ref).length;
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`chrono-node: ${docs.length} docs, ${(bytes / 1e6).toFixed(1)} MB text, ${secs.toFixed(3)} s, ` +
            `${(bytes / 1e6 / secs).toFixed(2)} MB/s, ${found} expressions`);
