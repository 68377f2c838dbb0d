#!/usr/bin/env python3
"""clause-errors.py - list where the clause stage disagrees with a gold file.

    python3 scripts/clause-errors.py GOLD.jsonl [type|status|holder|until|since|scope]
                                     [--bin bin/newsmine] [--models models] [--cuad-map eval/cuad-map.tsv]

Runs the pipeline on GOLD (its records' text or text_file) and prints one line a
disagreement, with the record's text, so a rule writer sees what to fix:

  type     per record: clause types the gold has and the system missed (FN), and
           types the system found that the gold lacks (FP)
  status   (and holder, until, since, scope): for each gold clause span that a
           system span of the same type overlaps, the attribute when the two differ

With --cuad-map, gold types are read through the map first (CUAD categories to our
types; "-" drops a category), as `make eval` does for CUAD dev.  A summary line goes
to stderr.  Never run it on a held-back split: its errors are not to be read.
"""
import argparse
import json
import os
import subprocess
import sys


def load_map(path):
    m = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            a, b = line.rstrip("\n").split("\t")
            m[a] = b
    return m


def text_of(rec, gold_path):
    if "text" in rec:
        return rec["text"]
    path = os.path.join(os.path.dirname(gold_path), rec["text_file"])
    with open(path, encoding="utf-8") as f:
        return f.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gold")
    ap.add_argument("what", nargs="?", default="type",
                    choices=["type", "status", "holder", "until", "since", "scope"])
    ap.add_argument("--bin", default="bin/newsmine")
    ap.add_argument("--models", default="models")
    ap.add_argument("--cuad-map")
    a = ap.parse_args()
    if "heldout" in os.path.basename(a.gold):
        print("clause-errors: refusing a held-back split (its errors are not to be read)", file=sys.stderr)
        return 2
    tmap = load_map(a.cuad_map) if a.cuad_map else None
    env = dict(os.environ, NEWSMINE_MODELS=a.models)
    out = subprocess.run([a.bin, "run", a.gold], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        return 2
    system = {}
    for line in out.stdout.splitlines():
        r = json.loads(line)
        system[r["id"]] = r
    n = bad = 0
    with open(a.gold, encoding="utf-8") as f:
        for line in f:
            g = json.loads(line)
            s = system.get(g["id"], {"spans": []})
            text = text_of(g, a.gold).replace("\n", " ")
            gspans = []
            for x in g["spans"]:
                t = x["type"]
                if tmap is not None:
                    t = tmap.get(t, "-")
                    if t == "-":
                        continue
                if t.startswith("CLAUSE:"):
                    gspans.append(dict(x, type=t))
            sspans = [x for x in s["spans"] if x["type"].startswith("CLAUSE:")]
            if a.what == "type":
                gt = {x["type"] for x in gspans}
                st = {x["type"] for x in sspans}
                n += 1
                if gt != st:
                    bad += 1
                    print("%s FN %s FP %s | %s" % (g["id"], sorted(t[7:] for t in gt - st),
                                                   sorted(t[7:] for t in st - gt), text[:300]))
                continue
            for gs in gspans:
                for ss in sspans:
                    if ss["type"] == gs["type"] and ss["start"] < gs["end"] and gs["start"] < ss["end"]:
                        n += 1
                        if gs.get(a.what) != ss.get(a.what):
                            bad += 1
                            print("%s %s %r gold %s system %s (%r) | %s" % (
                                g["id"], gs["type"][7:], gs.get("text", ""), gs.get(a.what), ss.get(a.what),
                                ss.get("text", ""), text[:300]))
                        break
    print("clause-errors: %d of %d %s differ" % (bad, n, "records" if a.what == "type" else "overlapping spans"),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
