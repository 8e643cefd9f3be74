#!/usr/bin/env bash
# Bounded load test of `biac serve` on 127.0.0.1 (issue 6, "Load").
#
# Builds biac and bench/loadgen in release, starts the real `biac serve` with a generated
# configuration in a temporary directory (one AIS feed; two audiences, JPN SECRET and
# USA SECRET, each with a CoT listener and a WebSocket token), drives it with loadgen
# (N AIS tracks at 1 Hz in; CoT and WebSocket subscribers out; optionally one stalled
# client of each kind) and stops it. Each run writes a JSON summary to OUT/NAME.json and
# prints a table.
#
# Usage: bench/load.sh [--tracks N] [--duration S] [--warmup S] [--cot-clients N]
#                      [--ws-clients N] [--senders K] [--stall on|off|both]
#                      [--time-res s|ms] [--window MS] [--out DIR] [--tag NAME]
# Defaults: 10000 tracks, 60 s measured after 15 s warm-up, 200 CoT + 100 WS clients,
# 2 sender connections, --stall both (a run without, then a run with the stalled
# clients, each on a fresh server), whole-second AIS times, re-ordering window 0 (the
# server's low-latency release rule; 2000 is `biac serve`'s default), OUT bench/results.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tracks=10000 duration=60 warmup=15 cot=200 ws=100 senders=2 stall=both res=s window=0
out="$root/bench/results" tag=""
while [ $# -gt 0 ]; do
    case "$1" in
        --tracks) tracks=$2; shift 2 ;;
        --duration) duration=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --cot-clients) cot=$2; shift 2 ;;
        --ws-clients) ws=$2; shift 2 ;;
        --senders) senders=$2; shift 2 ;;
        --stall) stall=$2; shift 2 ;;
        --time-res) res=$2; shift 2 ;;
        --window) window=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --tag) tag=$2; shift 2 ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "load.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$tag" ] || tag="t${tracks}-c${cot}-w${ws}-${res}-win${window}"

cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
cargo build --release -q -p biac --bin biac -p biac-loadgen --bin loadgen
mkdir -p "$out"

run_one() { # $1 = on|off
    local st=$1 name="$tag-stall-$1" tmp base pid flags=()
    tmp="$(mktemp -d)"
    base=$((20000 + RANDOM % 20000))
    cat > "$tmp/config.json" <<JSON
{
  "feeds": [
    {"name": "load-ais", "format": "ais", "nation": "JPN",
     "default_label": {"classification": "UNCLASSIFIED", "owner": ["JPN"]},
     "description": "bench/loadgen AIS", "listen": "127.0.0.1:$((base + 1))"}
  ],
  "audiences": [{"nation": "JPN", "clearance": "SECRET"}, {"nation": "USA", "clearance": "SECRET"}],
  "reorder_window_ms": $window,
  "tokens": {"load-jpn": {"nation": "JPN", "clearance": "SECRET"},
             "load-usa": {"nation": "USA", "clearance": "SECRET"}},
  "cot_listeners": [
    {"listen": "127.0.0.1:$((base + 2))", "nation": "JPN", "clearance": "SECRET"},
    {"listen": "127.0.0.1:$((base + 3))", "nation": "USA", "clearance": "SECRET"}
  ]
}
JSON
    # Stage timings (journal commit, fusion, publication) are debug lines of the pipeline.
    RUST_LOG="info,biac_runtime::ingest=warn,biac_runtime::pipeline=debug" \
    "$target/release/biac" serve --listen "127.0.0.1:$base" --data-dir "$tmp/data" \
        --config "$tmp/config.json" --fsync normal > "$tmp/serve.out" 2> "$tmp/serve.err" &
    pid=$!
    for _ in $(seq 100); do
        grep -q '^biac: serving' "$tmp/serve.out" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.err" >&2; return 1; }
        sleep 0.2
    done
    [ "$st" = on ] && flags=(--stall)
    "$target/release/loadgen" --ais "127.0.0.1:$((base + 1))" --http "127.0.0.1:$base" \
        --cot "127.0.0.1:$((base + 2)),127.0.0.1:$((base + 3))" --ws-tokens load-jpn,load-usa \
        --tracks "$tracks" --senders "$senders" --duration "$duration" --warmup "$warmup" \
        --cot-clients "$cot" --ws-clients "$ws" --time-res "$res" --server-pid "$pid" \
        --name "$name" --json "$out/$name.json" "${flags[@]}" || true
    echo "server log: $(grep -c 'stalled\|dropped' "$tmp/serve.err" || true) stalled/dropped lines;" \
        "warnings: $(grep -c ' WARN ' "$tmp/serve.err" || true); errors: $(grep -c ' ERROR ' "$tmp/serve.err" || true)"
    grep -m3 'stalled\|dropped' "$tmp/serve.err" || true
    stages "$tmp/serve.err" "$out/$name.stages.json"
    gzip -c "$tmp/serve.err" > "$out/$name.serve.log.gz"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$tmp"
}

# Percentiles of the pipeline's stage timings (debug lines of biac_runtime::pipeline).
stages() {
    python3 - "$1" "$2" <<'PY'
import json, re, sys
text = re.sub(r"\x1b\[[0-9;]*m", "", open(sys.argv[1], errors="replace").read())
def pct(xs):
    xs = sorted(xs)
    if not xs:
        return {"n": 0}
    q = lambda p: xs[min(len(xs) - 1, max(0, int(-(-p * len(xs) // 1)) - 1))]
    return {"n": len(xs), "p50": q(0.5), "p90": q(0.9), "p99": q(0.99), "max": xs[-1]}
out = {}
for key in ["commit_us", "records", "fuse_us", "publish_us", "wall_minus_watermark_ms", "released", "checkpoint_us"]:
    out[key] = pct([int(v) for v in re.findall(r"\b" + key + r"=(-?\d+)", text)])
json.dump(out, open(sys.argv[2], "w"), indent=1)
print("stages (server):", " ".join(f"{k}={v.get('p50')}/{v.get('p99')}/{v.get('max')}" for k, v in out.items()), "(p50/p99/max)")
PY
}

case "$stall" in
    both) run_one off; run_one on ;;
    on|off) run_one "$stall" ;;
    *) echo "load.sh: --stall on|off|both" >&2; exit 2 ;;
esac
echo "summaries in $out/"
