#!/usr/bin/env bash
# Set up a fresh machine (Rust toolchain, Python 3.11, Node 20, apt) and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

step() { printf '\n==> %s\n' "$*"; }

step "system packages (chromium for the browser test, openssl as an independent TLS client)"
if ! command -v chromium >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium openssl >/dev/null
fi
chromium --version

step "peer implementations the wire-format tests compare against (gpsd, dump1090, pyais, takproto)"
bash scripts/install-peers.sh
bash scripts/install-pg.sh
bash scripts/install-nats.sh

step "node packages for the browser test"
npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error

# One clean build: incremental state would only add gigabytes to the target directory.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
step "disk (the debug build and its test binaries take several GB)"
df -h . | tail -1

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "build"
cargo build --workspace --locked

step "Rust tests (unit, property, end-to-end against the real binary)"
cargo test --workspace --locked

df -h . | tail -1

step "browser test (headless Debian Chromium against the real binary)"
BIAC_BIN="$PWD/target/debug/biac" node --test tests/browser/
