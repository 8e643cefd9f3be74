#!/usr/bin/env bash
# The distributed mode's figures (docs/BENCHMARKS.md, issue 19): observations/s through a
# local cluster (scripts/cluster/up.sh --release: 3 NATS nodes R=3, PostgreSQL, ingest, 1 or 2
# fusion nodes, edges) and ingest-to-client latency, with bench/loadgen: N AIS vessels at
# 1 Hz into ingest-1's AIS feed over TCP, WebSocket clients on Japan's edge measuring, for
# every object, the time from writing its report to receiving the track. OBS's growth (the
# NATS monitor) and the archive's (PostgreSQL) are read beside.
# Usage: bench/cluster.sh [--fusion 1|2] [--tracks N] [--duration S] [--warmup S] [--ws-clients N]
#                         [--window MS]  (re-ordering window, default 0 as bench/load.sh)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fusion=2 tracks=5000 duration=30 warmup=10 ws=10 base=49000 window=0
while [ $# -gt 0 ]; do
    case "$1" in
        --fusion) fusion=$2; shift 2 ;;
        --tracks) tracks=$2; shift 2 ;;
        --duration) duration=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --ws-clients) ws=$2; shift 2 ;;
        --window) window=$2; shift 2 ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "cluster.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release -q -p biac --bin biac -p biac-loadgen --bin loadgen
export BIAC_BIN="$target/release/biac"
run="$(mktemp -d /tmp/biac-cluster-bench.XXXX)"
rmdir "$run"
trap 'bash "$root/scripts/cluster/down.sh" --run "$run" >/dev/null 2>&1 || true' EXIT
bash scripts/cluster/up.sh --release --no-sim --run "$run" --port-base "$base" --fusion "$fusion" --window "$window" > /dev/null
# ingest-1's first AIS feed (its startup lines: "feed NAME Ais on ADDR (LABEL)").
ais="$(grep -m1 -E '^feed .* Ais on ' "$run/logs/ingest-1.log" | sed -E 's/.* on ([0-9.:]+) .*/\1/')"
obs() { curl -fs "http://127.0.0.1:$((base + 20))/jsz?streams=true" \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); print(sum(s["state"]["messages"] for a in d.get("account_details",[]) for s in a.get("stream_detail",[]) if s["name"]=="OBS"))'; }
"$target/release/loadgen" --ais "$ais" --http "127.0.0.1:$((base + 40))" --ws-tokens demo-jpn \
    --cot-clients 0 --ws-clients "$ws" --tracks "$tracks" --duration "$duration" --warmup "$warmup" \
    --name "cluster-f$fusion-t$tracks" --json "$run/loadgen.json" &
lg=$!
sleep "$warmup"
o0=$(obs); t0=$(date +%s.%N)
# Per-process CPU over 10 s in the middle of the measurement (top's second sample).
(sleep $((duration / 3)); top -b -d 10 -n 2 -w 200 | awk '/^top -/{n++} n==2' \
    | grep -E 'biac|nats-se|postgres|loadgen' | head -20 > "$run/top.txt") &
sleep "$duration"
o1=$(obs); t1=$(date +%s.%N)
wait "$lg" || true
python3 - "$o0" "$o1" "$t0" "$t1" "$fusion" "$tracks" <<'PY'
import sys
o0, o1, t0, t1 = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
print(f"cluster (fusion nodes {sys.argv[5]}, {sys.argv[6]} tracks at 1 Hz): OBS stored {(o1 - o0) / (t1 - t0):.0f} observations/s")
PY
echo "CPU % per process (10 s sample mid-run; 200 = both cores):"
awk 'NR==FNR{n[$1]=$2; next} {print $9 "%\t" ($1 in n ? n[$1] : $12)}' "$run/pids" "$run/top.txt" || true
for f in "$run"/logs/fusion-*.log; do
    echo "$(basename "$f"): $(grep -c 'ERROR' "$f" || true) errors, $(grep -c 'WARN' "$f" || true) warnings; $(grep -E 'owns|archives' "$f" | tr '\n' ' ')"
done
grep -h -m3 'WARN' "$run"/logs/fusion-*.log | sed 's/\x1b\[[0-9;]*m//g' | cut -c1-200 || true
# The nodes' logs outlive the run (down.sh removes its directory).
rm -rf /tmp/biac-cluster-bench-logs && cp -r "$run/logs" /tmp/biac-cluster-bench-logs
