"""Decode AIVDM sentences from stdin with pyais; one JSON object per message on stdout.

Used by biac-formats' differential tests (crates/biac-formats/tests/peers_ais.rs).
Fragments of a multi-sentence message are grouped by their fragment count/number.
Each output line is {"ok": {...pyais fields...}} or {"error": "..."}; bytes are
written as {"bits": n, "hex": "..."} when pyais gives a bit count, else hex.
"""
import enum
import json
import sys

import pyais


def plain(v):
    if isinstance(v, bytes):
        return {"hex": v.hex()}
    if isinstance(v, enum.Enum):
        return v.value
    return v


def main():
    out = sys.stdout
    frags = []
    for raw in sys.stdin:
        line = raw.strip()
        if not line:
            continue
        body = line[line.index("!"):] if "!" in line else line
        f = body.split(",")
        try:
            count, number = int(f[1]), int(f[2])
        except (IndexError, ValueError):
            count, number = 1, 1
        frags.append(line.encode())
        if number < count:
            continue
        try:
            msg = pyais.decode(*frags)
            d = {k: plain(v) for k, v in msg.asdict().items()}
            out.write(json.dumps({"ok": d}) + "\n")
        except Exception as e:  # noqa: BLE001 - report any decoder failure
            out.write(json.dumps({"error": f"{type(e).__name__}: {e}"}) + "\n")
        frags = []


if __name__ == "__main__":
    main()
