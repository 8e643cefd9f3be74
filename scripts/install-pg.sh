#!/usr/bin/env bash
# Install PostgreSQL 15 and PostGIS 3 (Debian) for the PostgreSQL store's tests.
# The tests start their own throwaway server (initdb in a temp dir, 127.0.0.1, free port), so the
# Debian cluster service is neither needed nor started. Idempotent: installs only what is missing.
set -euo pipefail

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
fi

need_apt=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_apt+=(postgresql-15)
[ -f /usr/share/postgresql/15/extension/postgis.control ] || need_apt+=(postgresql-15-postgis-3)

if [ ${#need_apt[@]} -gt 0 ]; then
    echo "install-pg: apt-get install ${need_apt[*]}"
    # Keep the package scripts from starting the Debian cluster: invoke-rc.d asks policy-rc.d,
    # and exit code 101 means "action forbidden". Only ours is removed afterwards.
    policy=/usr/sbin/policy-rc.d
    own_policy=0
    if ! [ -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo_cmd[@]}" tee "$policy" >/dev/null
        "${sudo_cmd[@]}" chmod +x "$policy"
        own_policy=1
    fi
    trap '[ "$own_policy" = 1 ] && "${sudo_cmd[@]}" rm -f "$policy"' EXIT
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
        --no-install-recommends "${need_apt[@]}"
fi

/usr/lib/postgresql/15/bin/postgres --version
test -f /usr/share/postgresql/15/extension/postgis.control
echo "install-pg: PostGIS $(sed -n "s/^default_version = '\(.*\)'/\1/p" \
    /usr/share/postgresql/15/extension/postgis.control)"
