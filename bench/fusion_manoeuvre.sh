#!/usr/bin/env bash
# Manoeuvring tier: constant velocity against the CV/coordinated-turn IMM on targets
# flying coordinated turns. See docs/BENCHMARKS.md ("Manoeuvring tier").
#
#   bench/fusion_manoeuvre.sh [OUTDIR]        (default target/bench-manoeuvre)
#
# Env: SEEDS ("1 2 3"), N (20), STEPS (120), VENV (a Python venv with numpy and scipy,
# and Stone Soup 1.9.1 unless STONESOUP=0; created if missing; default OUTDIR/venv),
# SHARED_BENCH (../shared/bench), BIAC (a biac binary; default: build release). GOSPA
# does not depend on the build profile, so BIAC=target/debug/biac gives the same scores.
#
# For each seed: the Rust generator (benches/manoeuvre.rs) scores CV (q = 1 and 30)
# and the IMM in memory (CPU timing included) and dumps the scenario in
# stonesoup_bench.py's format; then, independently, gospa_score.py turns it into a
# detection stream, `biac track-csv --model cv|imm` tracks it, gospa_score.py scores it;
# and Stone Soup's CV tracker (bench/polar_bench.py stonesoup-xy: Kalman, Mahalanobis
# hypothesiser, GNN with the KD-tree pre-gate, 3-point initiation, as stonesoup_bench.py,
# with the same 40 m/s velocity prior as biac here) runs on the scenario's detections at
# q = 1 and q = 30, scored by gospa_score.py too.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/target/bench-manoeuvre}
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
VENV=${VENV:-$OUT/venv}
SEEDS=${SEEDS:-"1 2 3"}
N=${N:-20}
STEPS=${STEPS:-120}
mkdir -p "$OUT"

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if [ "${STONESOUP:-1}" = 1 ]; then
    "$VENV/bin/python" -c 'import stonesoup, numpy, scipy' 2>/dev/null ||
        "$VENV/bin/pip" install --quiet stonesoup==1.9.1 numpy scipy
else
    "$VENV/bin/python" -c 'import numpy, scipy' 2>/dev/null ||
        "$VENV/bin/pip" install --quiet numpy scipy
fi
PY="$VENV/bin/python"

if [ -z "${BIAC:-}" ]; then
    (cd "$ROOT" && cargo build --release -p biac --quiet)
    BIAC="${CARGO_TARGET_DIR:-$ROOT/target}/release/biac"
fi

for seed in $SEEDS; do
    tag="n${N}_s${seed}_k${STEPS}"
    scen="$OUT/$tag.scenario.csv"
    echo "== N=$N seed=$seed steps=$STEPS" >&2
    (cd "$ROOT" && cargo bench -p biac-fusion --bench manoeuvre --quiet -- \
        --n "$N" --steps "$STEPS" --seed "$seed" --dump "$scen") >"$OUT/$tag.inmemory.jsonl"
    "$PY" "$SHARED_BENCH/gospa_score.py" detections "$scen" >"$OUT/$tag.dets.csv"
    # Fast movers: a 40 m/s velocity prior (the 15 m/s GMTI-lite default never starts them).
    for model in cv imm; do
        "$BIAC" track-csv "$OUT/$tag.dets.csv" "$OUT/$tag.$model.tracks.csv" \
            --model "$model" --init-vel-sigma 40 --timing "$OUT/$tag.$model.timing.json" 2>/dev/null
        "$PY" "$SHARED_BENCH/gospa_score.py" score "$scen" "$OUT/$tag.$model.tracks.csv" \
            >"$OUT/$tag.$model.score.json"
        echo "   track-csv --model $model: $(cat "$OUT/$tag.$model.score.json")" >&2
    done
    if [ "${STONESOUP:-1}" = 1 ]; then
        for q in 1 30; do
            "$PY" "$ROOT/bench/polar_bench.py" stonesoup-xy --scenario "$scen" \
                --tracks "$OUT/$tag.ss_q$q.tracks.csv" --q "$q" --prior-vel 40 \
                >"$OUT/$tag.ss_q$q.timing.json"
            "$PY" "$SHARED_BENCH/gospa_score.py" score "$scen" "$OUT/$tag.ss_q$q.tracks.csv" \
                >"$OUT/$tag.ss_q$q.score.json"
            echo "   Stone Soup CV q=$q: $(cat "$OUT/$tag.ss_q$q.score.json")" >&2
            echo "      $(cat "$OUT/$tag.ss_q$q.timing.json")" >&2
        done
    fi
    cat "$OUT/$tag.inmemory.jsonl" >&2
done
