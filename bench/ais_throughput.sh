#!/usr/bin/env bash
# AIS decoding throughput on one core, same file, same run:
#   biac decode ais --observations (sentences -> labelled observations as JSON)
#   biac decode ais           (sentences -> gpsd's unscaled AIS JSON)
#   gpsdecode -u -j           (gpsd, Debian gpsd-clients)
#   pyais                     (PyPI; decode() + asdict() per message)
# Usage: bench/ais_throughput.sh [SENTENCES]   (default 200000)
# Needs scripts/install-peers.sh first. Prints a Markdown table; best of 3 runs.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-200000}"
venv="${BIAC_PEERS_VENV:-$root/.venv-peers}"
cd "$root"

cargo build --release -q -p biac --bin biac
cargo build --release -q -p biac-formats --example ais_corpus
corpus="$(mktemp --suffix=.nmea)"
trap 'rm -f "$corpus"' EXIT
target/release/examples/ais_corpus "$n" > "$corpus"
lines=$(wc -l < "$corpus")

pin=()
if command -v taskset >/dev/null 2>&1; then pin=(taskset -c 0); fi

# Best wall time of 3 runs of "$@", output discarded.
best() {
    local best_s="" s t0 t1
    for _ in 1 2 3; do
        t0=$(date +%s.%N)
        "${pin[@]}" "$@" > /dev/null 2>&1
        t1=$(date +%s.%N)
        s=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$best_s" ] || [ "$(echo "$s < $best_s" | bc -l)" = 1 ]; then best_s=$s; fi
    done
    echo "$best_s"
}

t_obs=$(best target/release/biac decode ais --observations "$corpus")
t_gpsd_json=$(best target/release/biac decode ais "$corpus")
t_gpsdecode=$(best sh -c "gpsdecode -u -j < '$corpus'")
t_pyais=$(best "$venv/bin/python" bench/pyais_decode_bench.py "$corpus")

rate() { echo "$lines / $1" | bc -l | xargs printf '%.0f'; }
echo "corpus: $lines sentences ($(du -h "$corpus" | cut -f1)); $(nproc) cores, pinned to one: ${pin[*]:-no taskset}"
echo
echo "| decoder | seconds | sentences/s | vs pyais |"
echo "|---|---:|---:|---:|"
for row in "biac decode ais --observations:$t_obs" \
           "biac decode ais (gpsd JSON):$t_gpsd_json" \
           "gpsdecode -u -j (gpsd $(dpkg-query -W -f='${Version}' gpsd-tools 2>/dev/null || echo '?')):$t_gpsdecode" \
           "pyais $("$venv/bin/python" -c 'import pyais; print(pyais.__version__)'):$t_pyais"; do
    name="${row%:*}"; t="${row##*:}"
    printf '| %s | %.3f | %s | %.1f× |\n' "$name" "$t" "$(rate "$t")" "$(echo "$t_pyais / $t" | bc -l)"
done
