#!/usr/bin/env python3
"""Check gold JSON Lines files (corpus/GUIDE.md) and print span counts per type.

usage: scripts/check-gold.py [FILE.jsonl ...]    (default: corpus/gold/*.jsonl)

For every record: the text is `text`, or the file `text_file` names (relative to the gold
file's folder); every span's `text` equals the UTF-8 bytes [start, end) of it; spans are
sorted by start; entity spans (PER ORG LOC MISC MONEY PERCENT) do not overlap one another,
nor do temporal spans (DATE TIME DURATION SET); MONEY values are "CUR AMOUNT" or
"CUR LOW..HIGH" (ISO 4217 code, plain decimal number), PERCENT values a plain decimal
fraction or "LOW..HIGH". A span that starts with "the " or ends in 's is noted (right only
when the name has it: "Sainsbury's").

Clause spans (CLAUSE:<TYPE>, corpus/GUIDE.md "Contract clauses"): TYPE is one of the 22 types
of the clause taxonomy or GOVERNING_LAW_DISPUTE; `status` is one of GRANTED REMOVED RETAINED
MODIFIED EXTENDED PROPOSED UNSPECIFIED; `holder`, `counterparty` and `scope`, when present,
occur verbatim in the record's text; `until` and `since` are YYYY, YYYY-MM, YYYY-MM-DD, YYYY-Qn,
event:<words>, or PRESENT_REF/PAST_REF/FUTURE_REF (TIMEX3's value for "until now"); `challenged`
is only ever true; clause spans of a record do not overlap.
Counts per clause type and per status are printed for every file that has clause spans.
Exit status 1 if any check fails.
"""
import datetime
import glob
import json
import os
import re
import sys
from collections import Counter

ENTITY = ('PER', 'ORG', 'LOC', 'MISC', 'MONEY', 'PERCENT')
TEMPORAL = ('DATE', 'TIME', 'DURATION', 'SET')
CLAUSE = ('EXCLUSIVITY', 'ROFR', 'NON_COMPETE', 'NO_POACH', 'REVENUE_SHARE', 'LICENSE_GRANT',
          'PERPETUAL_LICENSE', 'IP_OWNERSHIP', 'TERM_EXPIRY', 'RENEWAL_EXTENSION', 'TERMINATION_TRIGGER',
          'CHANGE_OF_CONTROL', 'MINIMUM_COMMITMENT', 'CAPACITY_SUPPLY', 'PRICING_MFN', 'TIE_IN_BUNDLING',
          'EQUITY_GOVERNANCE', 'LIABILITY_INDEMNITY', 'TERMINATION_FEE', 'AUDIT_VERIFICATION',
          'POST_TERMINATION', 'NON_DISPARAGEMENT', 'GOVERNING_LAW_DISPUTE')
STATUS = ('GRANTED', 'REMOVED', 'RETAINED', 'MODIFIED', 'EXTENDED', 'PROPOSED', 'UNSPECIFIED')
CLAUSE_KEYS = ('start', 'end', 'type', 'text', 'status', 'challenged', 'holder', 'counterparty',
               'scope', 'until', 'since')
NUM = r'-?(?:0|[1-9]\d*)(?:\.\d*[1-9])?'
MONEY_RE = re.compile(r'[A-Z]{3} ' + NUM + r'(?:\.\.' + NUM + r')?')
PERCENT_RE = re.compile(NUM + r'(?:\.\.' + NUM + r')?')
BOUND_RE = re.compile(r'\d{4}(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|[12]\d|3[01]))?|-Q[1-4])?'
                      r'|(?:PRESENT|PAST|FUTURE)_REF|event:\S.*')


def real_date(v):
    """False for a YYYY-MM-DD bound that names no calendar day (2030-02-30)."""
    if re.fullmatch(r'\d{4}-\d\d-\d\d', v):
        try:
            datetime.date(int(v[:4]), int(v[5:7]), int(v[8:10]))
        except ValueError:
            return False
    return True


def check_clause(where, s, got, text):
    """Errors and notes for one CLAUSE:<TYPE> span whose covered text is `got`."""
    errors = []
    notes = []
    t = s['type']
    if t[len('CLAUSE:'):] not in CLAUSE:
        errors.append('%s: unknown clause type %r' % (where, t))
    if s.get('status') not in STATUS:
        errors.append('%s: %s %r has bad status %r' % (where, t, got, s.get('status')))
    if 'challenged' in s and s['challenged'] is not True:
        errors.append('%s: %s %r: challenged is %r (only true, or left out)' % (where, t, got, s['challenged']))
    for k in ('holder', 'counterparty', 'scope'):
        if k in s:
            v = s[k]
            if not (isinstance(v, str) and v.strip()):
                errors.append('%s: %s %r has bad %s %r' % (where, t, got, k, v))
            elif v not in text:
                errors.append('%s: %s %r: %s %r is not in the text' % (where, t, got, k, v))
    for k in ('until', 'since'):
        if k in s and not (isinstance(s[k], str) and BOUND_RE.fullmatch(s[k]) and real_date(s[k])):
            errors.append('%s: %s %r has bad %s %r' % (where, t, got, k, s[k]))
    if got != got.strip():
        errors.append('%s: %s %r: whitespace at an edge of the span' % (where, t, got))
    other = sorted(k for k in s if k not in CLAUSE_KEYS)
    if other:
        notes.append('%s: %s %r: unexpected field(s) %s' % (where, t, got, ', '.join(other)))
    return errors, notes


def check_file(path):
    errors = []
    warnings = []
    counts = Counter()
    status = Counter()
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
            text = raw.decode('utf-8', 'replace')
            last = -1
            clause = tuple('CLAUSE:' + c for c in CLAUSE)
            for kind in (ENTITY, TEMPORAL, clause):
                sel = sorted((s for s in spans if s.get('type') in kind and isinstance(s.get('start'), int)
                              and isinstance(s.get('end'), int)), key=lambda s: (s['start'], s['end']))
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
                if isinstance(t, str) and t.startswith('CLAUSE:'):
                    status[s.get('status')] += 1
                    e, n = check_clause(where, s, got, text)
                    errors.extend(e)
                    warnings.extend(n)
                elif t not in ENTITY + TEMPORAL:
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
    return nrec, counts, status, errors, warnings


def main(argv):
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    files = argv[1:] or sorted(glob.glob(os.path.join(root, 'corpus', 'gold', '*.jsonl')))
    bad = 0
    order = ENTITY + TEMPORAL + tuple('CLAUSE:' + c for c in CLAUSE)
    for path in files:
        nrec, counts, status, errors, warnings = check_file(path)
        types = sorted(counts, key=lambda t: order.index(t) if t in order else len(order))
        print('%s: %d records, %d spans: %s' % (os.path.relpath(path), nrec, sum(counts.values()),
              ', '.join('%s %d' % (t, counts[t]) for t in types)))
        if status:
            sts = sorted(status, key=lambda x: STATUS.index(x) if x in STATUS else len(STATUS))
            print('  clause status: ' + ', '.join('%s %d' % (x, status[x]) for x in sts))
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
