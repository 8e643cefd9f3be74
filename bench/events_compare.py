#!/usr/bin/env python3
"""Compare two `biac events` JSON-line outputs (e.g. biac and bench/events_ref.py): the same
events, matched by type, MMSIs, zone and open flag, with start/end within --tol-s seconds
(interpolated encounter times differ by the two methods' rounding) and positions within
--tol-deg. Prints the differences; exits 1 when there are any.

  events_compare.py A.jsonl B.jsonl [--tol-s 1] [--tol-deg 0.001]
"""

import argparse
import json
import sys


def load(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def key(e):
    return (e["type"], tuple(e["mmsi"]), e.get("zone"), bool(e.get("open")))


def close(a, b, tol_s, tol_deg):
    return (
        abs(a["start"] - b["start"]) <= tol_s
        and abs(a["end"] - b["end"]) <= tol_s
        and abs(a["lat"] - b["lat"]) <= tol_deg
        and abs(a["lon"] - b["lon"]) <= tol_deg
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--tol-s", type=float, default=1.0)
    ap.add_argument("--tol-deg", type=float, default=0.001)
    a = ap.parse_args()
    left, right = load(a.a), load(a.b)
    unmatched = list(right)
    missing = []
    for e in left:
        for i, f in enumerate(unmatched):
            if key(e) == key(f) and close(e, f, a.tol_s, a.tol_deg):
                unmatched.pop(i)
                break
        else:
            missing.append(e)
    for e in missing:
        print("only in %s: %s" % (a.a, json.dumps(e)))
    for f in unmatched:
        print("only in %s: %s" % (a.b, json.dumps(f)))
    kinds = sorted({e["type"] for e in left})
    print(
        "events_compare: %d vs %d events (%s), %d differences"
        % (len(left), len(right), ", ".join(kinds), len(missing) + len(unmatched))
    )
    sys.exit(1 if missing or unmatched else 0)


if __name__ == "__main__":
    main()
