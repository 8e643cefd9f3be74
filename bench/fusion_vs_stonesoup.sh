#!/usr/bin/env bash
# Side-by-side benchmark: biac's fusion tracker against Stone Soup on the GMTI-lite
# scenario of ../shared/bench/stonesoup_bench.py. See docs/BENCHMARKS.md.
#
#   bench/fusion_vs_stonesoup.sh [OUTDIR]        (default target/bench-fusion)
#
# Env: SEEDS ("1 2"), SIZES ("10 50 200 1000"), SS_TIMEOUT_S (400: cap per Stone Soup
# run), VENV (a Python venv to use or create; default OUTDIR/venv), SHARED_BENCH (the
# folder holding stonesoup_bench.py and gospa_score.py; default ../shared/bench),
# FORCE_SS=1 to re-run Stone Soup even when its result for (N, seed, steps) exists,
# SCALE=0 to skip the 10,000-target in-memory run.
#
# For each N and seed: generate the scenario and run Stone Soup on it
# (stonesoup_bench.py --dump: its own CPU timing and GOSPA), turn it into the detection
# stream (gospa_score.py detections), run `biac track-csv` (release build) on that
# stream, score it (gospa_score.py score), then print one table. Bounded: scan counts
# shrink as N grows (below), and each Stone Soup run is killed after SS_TIMEOUT_S.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/target/bench-fusion}
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
VENV=${VENV:-$OUT/venv}
SEEDS=${SEEDS:-"1 2"}
SIZES=${SIZES:-"10 50 200 1000"}
SS_TIMEOUT_S=${SS_TIMEOUT_S:-400}
mkdir -p "$OUT"

steps_for() {
    case $1 in
        10 | 50) echo 100 ;;
        200) echo 60 ;;
        *) echo 30 ;;
    esac
}

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -c 'import stonesoup, numpy, scipy' 2>/dev/null ||
    "$VENV/bin/pip" install --quiet stonesoup==1.9.1 numpy scipy
PY="$VENV/bin/python"

(cd "$ROOT" && cargo build --release -p biac --quiet)
BIAC="$ROOT/target/release/biac"

for n in $SIZES; do
    steps=$(steps_for "$n")
    for seed in $SEEDS; do
        tag="n${n}_s${seed}_k${steps}"
        scen="$OUT/$tag.scenario.csv"
        echo "== N=$n seed=$seed steps=$steps" >&2
        if [ "${FORCE_SS:-0}" = 1 ] || [ ! -s "$OUT/$tag.stonesoup.json" ] || [ ! -s "$scen" ]; then
            rm -f "$OUT/$tag.stonesoup.json"
            # The scenario is dumped before tracking starts, so a run cut by the
            # timeout still leaves the detections for biac.
            if ! timeout "$SS_TIMEOUT_S" "$PY" "$SHARED_BENCH/stonesoup_bench.py" \
                --n "$n" --steps "$steps" --seed "$seed" --dump "$scen" \
                >"$OUT/$tag.stonesoup.json"; then
                echo "   Stone Soup did not finish within ${SS_TIMEOUT_S}s" >&2
                echo '{"timeout_s": '"$SS_TIMEOUT_S"'}' >"$OUT/$tag.stonesoup.json"
            fi
        fi
        "$PY" "$SHARED_BENCH/gospa_score.py" detections "$scen" >"$OUT/$tag.dets.csv"
        "$BIAC" track-csv "$OUT/$tag.dets.csv" "$OUT/$tag.biac_tracks.csv" \
            --timing "$OUT/$tag.biac_timing.json" 2>/dev/null
        "$PY" "$SHARED_BENCH/gospa_score.py" score "$scen" "$OUT/$tag.biac_tracks.csv" \
            >"$OUT/$tag.biac_score.json"
    done
done

if [ "${SCALE:-1}" = 1 ]; then
    echo "== 10,000 targets, 10,000 false alarms per scan (in memory)" >&2
    (cd "$ROOT" && cargo bench -p biac-fusion --bench scale --quiet -- \
        --n 10000 --clutter 10000 --steps 30 --seed 1) >"$OUT/scale_10000.json"
fi

"$PY" "$ROOT/bench/fusion_table.py" "$OUT" | tee "$OUT/table.md"
