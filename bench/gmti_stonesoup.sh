#!/usr/bin/env bash
# GMTI tier: biac and Stone Soup on the same STANAG 4607 dwells of the demo's MQ-9 over
# ground movers. See docs/BENCHMARKS.md ("GMTI").
#
#   bench/gmti_stonesoup.sh [OUTDIR]        (default target/bench-gmti)
#
# Env: SEEDS ("1 2 3"), SIZES ("20 50"), STEPS (60 dwells, 10 s revisit), REF_LAT/REF_LON
# (the movers' square, 30.8/128.9: 30–70 km from the orbit's northern leg), SIGMA_R (10 m),
# SIGMA_AZ_DEG (0.1°), SIGMA_RR (0.5 m/s), Q (0.05 m²/s³), SS_TIMEOUT_S (900), VENV
# (default OUTDIR/venv), SHARED_BENCH (../shared/bench), HARNESS (a biac-harness binary;
# default: build release), FORCE_SS=1 to re-run Stone Soup when its result exists.
#
# For each N and seed: `biac-harness gmti-scenario` writes the truth (scenario file for
# gospa_score.py) and the dwells as STANAG 4607 packets; `biac-harness track-csv
# --input gmti` runs them through the feed's decoder into the tracker, in the sensor's
# space and, for comparison, as converted plots (`--as-plots`), and dumps the decoded
# measurements; Stone Soup tracks the dump (bench/gmti_stonesoup.py stonesoup);
# gospa_score.py scores all three; then one table.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/target/bench-gmti}
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
VENV=${VENV:-$OUT/venv}
SEEDS=${SEEDS:-"1 2 3"}
SIZES=${SIZES:-"20 50"}
STEPS=${STEPS:-60}
REF_LAT=${REF_LAT:-30.8}
REF_LON=${REF_LON:-128.9}
SIGMA_R=${SIGMA_R:-10}
SIGMA_AZ_DEG=${SIGMA_AZ_DEG:-0.1}
SIGMA_RR=${SIGMA_RR:-0.5}
Q=${Q:-0.05}
SS_TIMEOUT_S=${SS_TIMEOUT_S:-900}
mkdir -p "$OUT"

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -c 'import stonesoup, numpy, scipy' 2>/dev/null ||
    "$VENV/bin/pip" install --quiet stonesoup==1.9.1 numpy scipy
PY="$VENV/bin/python"

if [ -z "${HARNESS:-}" ]; then
    (cd "$ROOT" && cargo build --release -p biac-harness --quiet)
    HARNESS="${CARGO_TARGET_DIR:-$ROOT/target}/release/biac-harness"
fi

for n in $SIZES; do
    for seed in $SEEDS; do
        tag="n${n}_s${seed}_k${STEPS}"
        scen="$OUT/$tag.scenario.csv"
        cap="$OUT/$tag.4607"
        echo "== N=$n seed=$seed dwells=$STEPS" >&2
        "$HARNESS" gmti-scenario --n "$n" --steps "$STEPS" --seed "$seed" --scenario "$scen" \
            --packets "$cap" --ref-lat "$REF_LAT" --ref-lon "$REF_LON" --sigma-range "$SIGMA_R" \
            --sigma-az-deg "$SIGMA_AZ_DEG" --sigma-range-rate "$SIGMA_RR" --q "$Q" \
            >"$OUT/$tag.make.json"
        for mode in gmti plots; do
            extra=()
            [ "$mode" = plots ] && extra=(--as-plots)
            "$HARNESS" track-csv "$cap" "$OUT/$tag.biac_$mode.tracks.csv" --input gmti \
                --ref-lat "$REF_LAT" --ref-lon "$REF_LON" --scan-s 10 --q "$Q" --pd 0.85 \
                --clutter-per-km2 0.0625 --dump-dets "$OUT/$tag.dump_$mode.csv" "${extra[@]}" \
                --timing "$OUT/$tag.biac_$mode.timing.json" 2>/dev/null
            "$PY" "$SHARED_BENCH/gospa_score.py" score "$scen" "$OUT/$tag.biac_$mode.tracks.csv" \
                >"$OUT/$tag.biac_$mode.score.json"
        done
        if [ "${FORCE_SS:-0}" = 1 ] || [ ! -s "$OUT/$tag.stonesoup.json" ]; then
            if ! timeout "$SS_TIMEOUT_S" "$PY" "$ROOT/bench/gmti_stonesoup.py" stonesoup \
                --dets "$OUT/$tag.dump_gmti.csv" --tracks "$OUT/$tag.stonesoup_tracks.csv" \
                --q "$Q" >"$OUT/$tag.stonesoup.json"; then
                echo "   Stone Soup did not finish within ${SS_TIMEOUT_S}s" >&2
                echo '{"timeout_s": '"$SS_TIMEOUT_S"'}' >"$OUT/$tag.stonesoup.json"
            fi
        fi
        if [ -s "$OUT/$tag.stonesoup_tracks.csv" ]; then
            "$PY" "$SHARED_BENCH/gospa_score.py" score "$scen" "$OUT/$tag.stonesoup_tracks.csv" \
                >"$OUT/$tag.stonesoup_score.json"
        fi
    done
done

"$PY" "$ROOT/bench/gmti_stonesoup.py" table "$OUT" | tee "$OUT/table.md"
