#!/usr/bin/env bash
# Regenerates the committed coastline extract of biac-zones from the npm package world-atlas
# (Natural Earth 10 m in the theatre, 50 m land elsewhere; public domain). Needs node and npm; installs into a temporary directory.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
version="${WORLD_ATLAS_VERSION:-2.0.2}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
npm install --silent --no-audit --no-fund --prefix "$tmp" "world-atlas@$version" >/dev/null
node "$here/extract.mjs" "$tmp/node_modules/world-atlas" "$root/crates/biac-zones/data/coast-ne10m.txt" \
  "$root/crates/biac-zones/data/land-ne50m.txt"
