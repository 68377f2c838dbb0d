#!/usr/bin/env python3
"""Check gold JSON Lines files (corpus/GUIDE.md) and print span counts per type.

usage: scripts/check-gold.py [FILE.jsonl ...]    (default: corpus/gold/*.jsonl)

For every record: the text is `text`, or the file `text_file` names (relative to the gold
file's folder); every span's `text` equals the UTF-8 bytes [start, end) of it; spans are
sorted by start; entity spans (PER ORG LOC MISC MONEY PERCENT) do not overlap one another,
nor do temporal spans (DATE TIME DURATION SET); MONEY values are "CUR AMOUNT" or
"CUR LOW..HIGH" (ISO 4217 code, plain decimal number), PERCENT values a plain decimal
fraction or "LOW..HIGH". A span that starts with "the " or ends in 's is noted (right only
when the name has it: "Sainsbury's"). Exit status 1 if any check fails.
"""
import glob
import json
import os
import re
import sys
from collections import Counter

ENTITY = ('PER', 'ORG', 'LOC', 'MISC', 'MONEY', 'PERCENT')
TEMPORAL = ('DATE', 'TIME', 'DURATION', 'SET')
NUM = r'-?(?:0|[1-9]\d*)(?:\.\d*[1-9])?'
MONEY_RE = re.compile(r'[A-Z]{3} ' + NUM + r'(?:\.\.' + NUM + r')?')
PERCENT_RE = re.compile(NUM + r'(?:\.\.' + NUM + r')?')


def check_file(path):
    errors = []
    warnings = []
    counts = Counter()
    nrec = 0
    base = os.path.dirname(os.path.abspath(path))
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            where = '%s:%d' % (path, lineno)
            try:
                rec = json.loads(line)
            except ValueError as e:
                errors.append('%s: bad JSON: %s' % (where, e))
                continue
            nrec += 1
            where += ' ' + str(rec.get('id'))
            if 'text' in rec:
                raw = rec['text'].encode('utf-8')
            elif 'text_file' in rec:
                tf = os.path.normpath(os.path.join(base, rec['text_file']))
                try:
                    with open(tf, 'rb') as g:
                        raw = g.read()
                except OSError as e:
                    errors.append('%s: cannot read text_file: %s' % (where, e))
                    continue
            else:
                errors.append('%s: no text or text_file' % where)
                continue
            spans = rec.get('spans', [])
            last = -1
            for kind in (ENTITY, TEMPORAL):
                sel = sorted((s for s in spans if s.get('type') in kind), key=lambda s: (s['start'], s['end']))
                for a, b in zip(sel, sel[1:]):
                    if b['start'] < a['end']:
                        errors.append('%s: overlapping %s %r and %s %r' % (where, a['type'], a['text'], b['type'], b['text']))
            for s in spans:
                t = s.get('type')
                counts[t] += 1
                st, en = s.get('start'), s.get('end')
                if not (isinstance(st, int) and isinstance(en, int) and 0 <= st < en <= len(raw)):
                    errors.append('%s: bad offsets %r' % (where, s))
                    continue
                if st < last:
                    errors.append('%s: spans not sorted at %d' % (where, st))
                last = st
                try:
                    got = raw[st:en].decode('utf-8')
                except UnicodeDecodeError:
                    errors.append('%s: span %d-%d splits a UTF-8 character' % (where, st, en))
                    continue
                if got != s.get('text'):
                    errors.append('%s: span %d-%d is %r, text says %r' % (where, st, en, got, s.get('text')))
                if t not in ENTITY + TEMPORAL:
                    errors.append('%s: unknown type %r' % (where, t))
                if t in ENTITY:
                    v = s.get('value')
                    if t == 'MONEY' and not (isinstance(v, str) and MONEY_RE.fullmatch(v)):
                        errors.append('%s: MONEY %r has bad value %r' % (where, got, v))
                    elif t == 'PERCENT' and not (isinstance(v, str) and PERCENT_RE.fullmatch(v)):
                        errors.append('%s: PERCENT %r has bad value %r' % (where, got, v))
                    elif t not in ('MONEY', 'PERCENT') and 'value' in s:
                        errors.append('%s: %s %r carries a value' % (where, t, got))
                    if got != got.strip():
                        errors.append('%s: %s %r: whitespace at an edge of the span' % (where, t, got))
                    elif got.lower().startswith('the ') or re.search(r"['\u2019]s$", got):
                        warnings.append('%s: %s %r: "the" or a final \'s inside (right only if part of the name)' % (where, t, got))
    return nrec, counts, errors, warnings


def main(argv):
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    files = argv[1:] or sorted(glob.glob(os.path.join(root, 'corpus', 'gold', '*.jsonl')))
    bad = 0
    order = ENTITY + TEMPORAL
    for path in files:
        nrec, counts, errors, warnings = check_file(path)
        types = sorted(counts, key=lambda t: order.index(t) if t in order else len(order))
        print('%s: %d records, %d spans: %s' % (os.path.relpath(path), nrec, sum(counts.values()),
              ', '.join('%s %d' % (t, counts[t]) for t in types)))
        for w in warnings:
            print('  note: ' + w)
        for e in errors:
            print('  ERROR ' + e)
        bad += len(errors)
    if bad:
        print('%d error(s)' % bad)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
