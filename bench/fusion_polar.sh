#!/usr/bin/env bash
# Polar-sensor tier: biac and Stone Soup on the same range/bearing detections of one
# radar far from the targets. See docs/BENCHMARKS.md ("Polar sensor").
#
#   bench/fusion_polar.sh [OUTDIR]        (default target/bench-polar)
#
# Env: SEEDS ("1 2"), SIZES ("10 50 200"), SENSOR_DIST (50000 m from the square's
# centre), SIGMA_R (10 m), SIGMA_B_DEG (0.1°), SS_TIMEOUT_S (900: cap per Stone Soup
# run), VENV (a Python venv to use or create; default OUTDIR/venv), SHARED_BENCH
# (../shared/bench), BIAC (a biac binary; default: build release), FORCE_SS=1 to re-run
# Stone Soup when its result for (N, seed, scans) exists.
#
# For each N and seed: bench/polar_bench.py make turns the GMTI-lite truth of
# stonesoup_bench.py (same N, scans, seed) into the radar's detections (Pd 0.9, N false
# alarms per scan over the square) and a scenario file for scoring; Stone Soup tracks
# them with CartesianToBearingRange + ExtendedKalmanUpdater (polar_bench.py
# stonesoup-polar); biac tracks them with `track-csv --input polar` (gated and updated in
# the sensor's space) and, for comparison, `--as-plots` (the converted plots with a
# circular sigma); gospa_score.py score scores all three; then one table.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/target/bench-polar}
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
VENV=${VENV:-$OUT/venv}
SEEDS=${SEEDS:-"1 2"}
SIZES=${SIZES:-"10 50 200"}
SENSOR_DIST=${SENSOR_DIST:-50000}
SIGMA_R=${SIGMA_R:-10}
SIGMA_B_DEG=${SIGMA_B_DEG:-0.1}
SS_TIMEOUT_S=${SS_TIMEOUT_S:-900}
mkdir -p "$OUT"

steps_for() {
    case $1 in
        10 | 50) echo 100 ;;
        *) echo 60 ;;
    esac
}

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -c 'import stonesoup, numpy, scipy' 2>/dev/null ||
    "$VENV/bin/pip" install --quiet stonesoup==1.9.1 numpy scipy
PY="$VENV/bin/python"
PB="$ROOT/bench/polar_bench.py"

if [ -z "${BIAC:-}" ]; then
    (cd "$ROOT" && cargo build --release -p biac --quiet)
    BIAC="${CARGO_TARGET_DIR:-$ROOT/target}/release/biac"
fi

for n in $SIZES; do
    steps=$(steps_for "$n")
    for seed in $SEEDS; do
        tag="n${n}_s${seed}_k${steps}_d${SENSOR_DIST}"
        scen="$OUT/$tag.scenario.csv"
        dets="$OUT/$tag.dets.csv"
        echo "== N=$n seed=$seed steps=$steps sensor at ${SENSOR_DIST} m" >&2
        "$PY" "$PB" make --n "$n" --steps "$steps" --seed "$seed" --scenario "$scen" \
            --dets "$dets" --sensor-dist "$SENSOR_DIST" --sigma-r "$SIGMA_R" \
            --sigma-b-deg "$SIGMA_B_DEG" --shared "$SHARED_BENCH" >"$OUT/$tag.make.json"
        sx=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["sensor_x"])' "$OUT/$tag.make.json")
        sy=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["sensor_y"])' "$OUT/$tag.make.json")
        if [ "${FORCE_SS:-0}" = 1 ] || [ ! -s "$OUT/$tag.stonesoup.json" ]; then
            if ! timeout "$SS_TIMEOUT_S" "$PY" "$PB" stonesoup-polar --dets "$dets" \
                --tracks "$OUT/$tag.stonesoup_tracks.csv" --sensor-x "$sx" --sensor-y "$sy" \
                --sigma-r "$SIGMA_R" --sigma-b-deg "$SIGMA_B_DEG" >"$OUT/$tag.stonesoup.json"; then
                echo "   Stone Soup did not finish within ${SS_TIMEOUT_S}s" >&2
                echo '{"timeout_s": '"$SS_TIMEOUT_S"'}' >"$OUT/$tag.stonesoup.json"
            fi
        fi
        if [ -s "$OUT/$tag.stonesoup_tracks.csv" ]; then
            "$PY" "$SHARED_BENCH/gospa_score.py" score "$scen" "$OUT/$tag.stonesoup_tracks.csv" \
                >"$OUT/$tag.stonesoup_score.json"
        fi
        for mode in polar plots; do
            extra=()
            [ "$mode" = plots ] && extra=(--as-plots)
            "$BIAC" track-csv "$dets" "$OUT/$tag.biac_$mode.tracks.csv" --input polar \
                --sensor-x "$sx" --sensor-y "$sy" --sigma-range "$SIGMA_R" \
                --sigma-bearing-deg "$SIGMA_B_DEG" "${extra[@]}" \
                --timing "$OUT/$tag.biac_$mode.timing.json" 2>/dev/null
            "$PY" "$SHARED_BENCH/gospa_score.py" score "$scen" "$OUT/$tag.biac_$mode.tracks.csv" \
                >"$OUT/$tag.biac_$mode.score.json"
        done
    done
done

"$PY" "$PB" table "$OUT" | tee "$OUT/table.md"
