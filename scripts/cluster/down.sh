#!/usr/bin/env bash
# Stop the local cluster scripts/cluster/up.sh started (same --run), and remove its directory.
set -euo pipefail
run=/tmp/biac-cluster keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --run) run=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        *) echo "down.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -e "$run/pids" ] || { echo "down.sh: no cluster in $run" >&2; exit 1; }
pgbin="$(pg_config --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)"
[ -x "$pgbin/pg_ctl" ] || pgbin=/usr/lib/postgresql/15/bin
tac "$run/pids" | while read -r pid name; do
    if [ "$pid" = pg ]; then
        if [ "$(id -u)" = 0 ]; then
            runuser -u postgres -- "$pgbin/pg_ctl" -D "$name" -m fast stop >/dev/null || true
        else
            "$pgbin/pg_ctl" -D "$name" -m fast stop >/dev/null || true
        fi
    else
        kill "$pid" 2>/dev/null || true
    fi
done
sleep 1
rm -f "$run/pids"
[ "$keep" = 1 ] || rm -rf "$run"
echo "biac cluster in $run stopped"
