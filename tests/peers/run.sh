#!/usr/bin/env bash
# Run the differential and golden tests against the independent peers:
#   gpsdecode (gpsd), pyais       -> crates/biac-formats/tests/peers_ais.rs
#   takproto                      -> crates/biac-formats/tests/peers_tak.rs
#   dump1090-mutability (loopback)-> crates/biac-formats/tests/peers_dump1090.rs
#   libasterix                    -> crates/biac-formats/tests/asterix_peers.rs
# Installs the peers first (idempotent). The same tests also run in a plain
# `cargo test`, where a missing peer fails them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bash "$root/scripts/install-peers.sh"
cd "$root"
cargo test -p biac-formats --test peers_ais --test peers_tak --test peers_dump1090 --test asterix_peers -- --nocapture "$@"
