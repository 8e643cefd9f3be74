#!/usr/bin/env bash
# STANAG 4607 decode throughput: biac's decoder (criterion, one thread) against the PyPI
# `stanag4607` decoder on the same capture (100 000 target reports in 1 000 dwells), and
# the ratio. Needs scripts/install-peers.sh (stanag4607 in .venv-peers).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="${BIAC_PEERS_VENV:-$root/.venv-peers}/bin/python"
cd "$root"
cargo bench -p biac-formats --bench stanag4607 -- --noplot 2>&1 | tee /tmp/stanag4607-criterion.txt
file="$root/target/stanag4607-bench.4607"
# Criterion's throughput line: "thrpt:  [LOW UNIT MID UNIT HIGH UNIT]", e.g. Melem/s.
ours=$(awk '/thrpt:/ && !seen {v=$4; u=$5; seen=1} END {
    m = (u ~ /^G/) ? 1e9 : (u ~ /^M/) ? 1e6 : (u ~ /^K/) ? 1e3 : 1; printf "%.0f", v * m }' \
    /tmp/stanag4607-criterion.txt)
best=0
for _ in 1 2 3; do
    read -r n secs < <("$py" bench/stanag4607_decode_bench.py "$file")
    rate=$(python3 -c "print(round($n / $secs))")
    [ "$rate" -gt "$best" ] && best=$rate
done
echo "biac:       $ours target reports/s"
echo "stanag4607: $best target reports/s (best of 3, $n reports)"
python3 -c "print(f'ratio:      {$ours / $best:.0f}x')"
