#!/usr/bin/env bash
# Build biac and run the live demo on the embedded default: http://127.0.0.1:8080
# Extra arguments go to `biac demo` (e.g. --listen 127.0.0.1:9090 --speed 2).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p biac
exec ./target/release/biac demo "$@"
