#!/usr/bin/env bash
# How often `radar_only_in_zone` opens in the demo's first nine simulated minutes, as
# tests/demo_behaviours.rs runs the demo (seed 7, --speed 4): counts the Japanese
# audience's opens, closes and distinct tracks from /api/v1/alerts.
# Usage: bench/radar_only_demo.sh [BIAC_BINARY]   (default target/debug/biac)
set -euo pipefail
BIN=${1:-target/debug/biac}
SIM_S=540
SPEED=4
DIR=$(mktemp -d)
"$BIN" demo --listen 127.0.0.1:0 --data-dir "$DIR/data" --seed 7 --speed "$SPEED" \
  --fsync off --cot-port-base 0 --cot-tls-port 0 --duration-s "$SIM_S" >"$DIR/out.log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 300); do
  grep -q "biac: serving http://" "$DIR/out.log" && break
  kill -0 "$PID" 2>/dev/null || { cat "$DIR/out.log"; exit 1; }
  sleep 1
done
ADDR=$(grep -o "biac: serving http://[^/]*" "$DIR/out.log" | sed 's#.*http://##')
# The simulated minutes at SPEED, and 15 s for the last picture.
sleep $((SIM_S / SPEED + 15))
curl -sf -H 'Authorization: Bearer demo-jpn' "http://$ADDR/api/v1/alerts?since=0&limit=100000" >"$DIR/alerts.json"
python3 - "$DIR/alerts.json" "$SIM_S" <<'PY'
import json, sys
from datetime import datetime
alerts = json.load(open(sys.argv[1]))["alerts"]
r = [a for a in alerts if a["kind"] == "radar_only_in_zone"]
opens = [a for a in r if a.get("state") == "open"]
closes = [a for a in r if a.get("state") == "close"]
def t(a):
    return datetime.fromisoformat(a["time"].replace("Z", "+00:00")).timestamp()
t0 = min(map(t, alerts)) if alerts else 0
print(f"alerts {len(alerts)}; radar_only_in_zone: {len(opens)} opens, {len(closes)} closes, "
      f"{len({a['track_id'] for a in opens})} tracks, in {sys.argv[2]} simulated s")
for a in opens:
    print(f"  +{t(a) - t0:6.0f} s  track {a['track_id']}  {a['zone']}")
PY
