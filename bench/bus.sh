#!/usr/bin/env bash
# The bus's figures (docs/BENCHMARKS.md): acknowledged publishes/s to a 3-node NATS cluster
# (JetStream, R=3, file storage) on loopback, one at a time and in batches with their acks in
# flight, and publish-to-consumer p50/p99 at 5,000 observations/s.
# Usage: bench/bus.sh [SECONDS per phase, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-nats.sh >/dev/null
exec cargo run -q -p biac-bus --example bus_bench -- "${1:-10}"
