#!/usr/bin/env python3
"""check-entity-lists.py - check the entity stage's gazetteer lists.

    python3 scripts/check-entity-lists.py [models/entities]

Checks lists.def (version line, five fields, known TYPE/CASE/USE, every file
exists, no file twice, every *.tsv of the entity-list format is listed) and
each list (version line, ALIAS<TAB>ID lines, id characters, no spaces at the
ends of an alias or doubled inside it, no duplicate alias in a file: in any
case for a "fold" list).  Across lists, an alias written the same in two
lists must have the same id in both, unless one of them is a feature list
whose id is "-" (given names); such overlaps are only counted.  Ids must not
be shared by lists of different TYPE (one id, one entity), except that a
nationality takes its country's id ("American" -> iso:us).  Two span-list
aliases that can match the same text under their CASE ("LatAm" in a title
list also matches "LATAM") must have the same id.

Prints counts per list; exits 1 on any error.
"""
import os
import re
import sys
import unicodedata
from collections import defaultdict

TYPES = {"PER", "ORG", "LOC", "MISC", "CUR"}
CASES = {"cased", "fold", "title"}
USES = {"span", "feature"}
ID_RE = re.compile(r"^[a-z0-9:-]+$")


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "models", "entities")
    errors = []

    def err(msg):
        errors.append(msg)

    defs = []
    path = os.path.join(d, "lists.def")
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines or lines[0] != "#newsmine entity-lists v1":
        err(f"{path}:1: version line must be '#newsmine entity-lists v1'")
    seen_files = set()
    for n, line in enumerate(lines[1:], 2):
        if not line or line.startswith("#"):
            continue
        f5 = line.split("\t")
        if len(f5) != 5:
            err(f"{path}:{n}: expected FILE TYPE SUBTYPE CASE USE, got {len(f5)} fields")
            continue
        fn, ty, sub, case, use = f5
        if ty not in TYPES:
            err(f"{path}:{n}: TYPE {ty!r}")
        if case not in CASES:
            err(f"{path}:{n}: CASE {case!r}")
        if use not in USES:
            err(f"{path}:{n}: USE {use!r}")
        if not re.fullmatch(r"[a-z][a-z-]*", sub) or len(sub) >= 24:
            err(f"{path}:{n}: SUBTYPE {sub!r}")
        if "/" in fn or len(fn) >= 96:
            err(f"{path}:{n}: FILE {fn!r}")
        if fn in seen_files:
            err(f"{path}:{n}: {fn} listed twice")
        seen_files.add(fn)
        if not os.path.isfile(os.path.join(d, fn)):
            err(f"{path}:{n}: {fn} does not exist")
            continue
        defs.append((fn, ty, sub, case, use))

    # every file in the entity-list format must be listed
    for fn in sorted(os.listdir(d)):
        p = os.path.join(d, fn)
        if not os.path.isfile(p) or fn.endswith(".gz"):
            continue
        with open(p, encoding="utf-8", errors="replace") as f:
            first = f.readline().rstrip("\n")
        if first == "#newsmine entity-list v1" and fn not in seen_files:
            err(f"{p}: an entity list that lists.def does not list")

    alias_ids = defaultdict(dict)   # alias -> {file: id}
    id_types = defaultdict(set)     # id -> {(type, file)}
    counts = []
    for fn, ty, sub, case, use in defs:
        p = os.path.join(d, fn)
        with open(p, "rb") as f:
            raw = f.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            err(f"{p}: not UTF-8 ({e})")
            continue
        if not text.endswith("\n"):
            err(f"{p}: no final newline")
        lines = text.split("\n")[:-1]
        if not lines or lines[0] != "#newsmine entity-list v1":
            err(f"{p}:1: version line must be '#newsmine entity-list v1'")
        keys = {}
        n_alias = 0
        ids = set()
        for n, line in enumerate(lines[1:], 2):
            if not line or line.startswith("#"):
                continue
            if "\r" in line:
                err(f"{p}:{n}: carriage return")
            parts = line.split("\t")
            if len(parts) != 2:
                err(f"{p}:{n}: expected ALIAS<TAB>ID, got {len(parts)} fields")
                continue
            alias, ident = parts
            if not alias or alias != alias.strip() or "  " in alias:
                err(f"{p}:{n}: alias {alias!r} has stray spaces")
            if line != line.rstrip():
                err(f"{p}:{n}: trailing space")
            if not ID_RE.match(ident):
                err(f"{p}:{n}: id {ident!r}: [a-z0-9:-] only")
            if ident == "-" and use == "span":
                err(f"{p}:{n}: a span list needs real ids, not '-'")
            key = alias.lower() if case == "fold" else alias
            if key in keys:
                err(f"{p}:{n}: duplicate alias {alias!r} (line {keys[key]})")
            keys[key] = n
            n_alias += 1
            ids.add(ident)
            alias_ids[alias][fn] = ident
            if ident != "-":
                id_types[ident].add((ty, fn))
        counts.append((fn, ty, sub, case, use, n_alias, len(ids)))

    overlaps = 0
    clashes = 0
    for alias, per in sorted(alias_ids.items()):
        if len(per) < 2:
            continue
        real = {fn: i for fn, i in per.items() if i != "-"}
        if len(set(real.values())) > 1:
            clashes += 1
            err("alias %r has different ids: %s" % (alias, ", ".join(f"{fn}={i}" for fn, i in sorted(real.items()))))
        else:
            overlaps += 1
    nat_files = {fn for fn, _, sub, _, _ in defs if sub == "nationality"}
    for ident, tf in sorted(id_types.items()):
        types = {t for t, fn in tf if not (fn in nat_files and ident.startswith("iso:"))}
        if len(types) > 1:
            err(f"id {ident!r} is used by lists of different types: {sorted(tf)}")

    # texts that two aliases with real ids both match, given each list's CASE
    # (title: as written or in capitals; cased: as written; fold: any case)
    case_of = {fn: case for fn, _, _, case, _ in defs}
    by_text = defaultdict(set)
    by_lower = defaultdict(set)
    for alias, per in alias_ids.items():
        for fn, i in per.items():
            if i == "-":
                continue
            c = case_of[fn]
            by_lower[alias.lower()].add((i, fn, alias, c))
            if c != "fold":
                for t in ({alias, alias.upper()} if c == "title" else {alias}):
                    by_text[t].add((i, fn, alias))
    for t, v in sorted(by_lower.items()):
        if any(c == "fold" for _, _, _, c in v) and len({i for i, _, _, _ in v}) > 1:
            by_text["(any case) " + t] |= {(i, fn, a) for i, fn, a, _ in v}
    for t, v in sorted(by_text.items()):
        if len({i for i, _, _ in v}) > 1:
            err("text %r is matched by aliases with different ids: %s" % (t, "; ".join(f"{a!r} {i} ({fn})" for i, fn, a in sorted(v))))

    # accent- and case-folded near-duplicates across span lists (a normaliser
    # that folds accents would make them clash): reported, not fatal
    def fold(s):
        return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)).lower()
    span_files = {fn for fn, _, _, _, use in defs if use == "span"}
    near = defaultdict(set)
    for alias, per in alias_ids.items():
        for fn, i in per.items():
            if fn in span_files:
                near[fold(alias)].add((i, fn, alias))
    warnings = [(k, v) for k, v in sorted(near.items()) if len({i for i, _, _ in v}) > 1]

    w = max(len(c[0]) for c in counts) if counts else 10
    for fn, ty, sub, case, use, na, ni in counts:
        print(f"{fn:<{w}}  {ty:<4} {sub:<11} {case:<5} {use:<7} {na:6d} aliases {ni:5d} ids")
    print(f"aliases in more than one list: {overlaps} with one id (or a '-' feature list), {clashes} clashes")
    for k, v in warnings:
        print("warning: differ only in case or accents, with different ids: " +
              "; ".join(f"{a!r} {i} ({fn})" for i, fn, a in sorted(v)))
    for e in errors:
        print("error: " + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
