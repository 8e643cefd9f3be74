#!/usr/bin/env bash
# Install the independent peer implementations the wire-format tests compare against:
#   Debian: gpsd-clients (gpsdecode), dump1090-mutability, tshark (STANAG 4607 file reader)
#   PyPI:   pyais, takproto, pytak, libasterix, stanag4607, geographiclib (into a venv at $BIAC_PEERS_VENV,
#           default .venv-peers/ at the repo root; libasterix is imported as `asterix`)
# Idempotent: re-running only installs what is missing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${BIAC_PEERS_VENV:-$root/.venv-peers}"

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
fi

need_apt=()
command -v gpsdecode >/dev/null 2>&1 || need_apt+=(gpsd-clients)
if ! command -v dump1090-mutability >/dev/null 2>&1 && ! [ -x /usr/bin/dump1090-mutability ]; then
    need_apt+=(dump1090-mutability)
fi
command -v tshark >/dev/null 2>&1 || need_apt+=(tshark)
if [ ${#need_apt[@]} -gt 0 ]; then
    # wireshark-common asks whether non-root users may capture: answer no, never prompt.
    echo "wireshark-common wireshark-common/install-setuid boolean false" |
        "${sudo_cmd[@]}" debconf-set-selections
    echo "install-peers: apt-get install ${need_apt[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    # dump1090-mutability asks debconf questions; never prompt, and do not start
    # its daemon on install (the tests start their own instance on 127.0.0.1).
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
        --no-install-recommends "${need_apt[@]}"
fi

if ! [ -x "$venv/bin/python" ]; then
    echo "install-peers: creating venv $venv"
    python3 -m venv "$venv"
fi
# libasterix is pinned: it is pre-1.0 and the oracle test uses its generated names
# (asterix.generated.Cat_048_1_32), which an older install may lack.
if ! "$venv/bin/python" -W ignore -c 'import pyais, takproto, pytak, asterix.generated as g; g.Cat_048_1_32' >/dev/null 2>&1; then
    echo "install-peers: pip install pyais takproto pytak libasterix==0.36.3"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check pyais takproto pytak libasterix==0.36.3
fi
# stanag4607 is pinned: a 0.x package whose module layout the STANAG 4607 oracle script imports.
if ! "$venv/bin/python" -c 'import importlib.metadata as m, sys; sys.exit(m.version("stanag4607") != "0.1.0")' >/dev/null 2>&1; then
    echo "install-peers: pip install stanag4607==0.1.0"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check stanag4607==0.1.0
fi
# geographiclib: the geodesics of the behaviour rules' Python reference (bench/events_ref.py).
if ! "$venv/bin/python" -c 'import geographiclib' >/dev/null 2>&1; then
    echo "install-peers: pip install geographiclib"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check geographiclib
fi

echo "install-peers: gpsdecode: $(command -v gpsdecode)"
echo "install-peers: tshark: $(tshark --version 2>/dev/null | head -1)"
echo "install-peers: dump1090-mutability: $(command -v dump1090-mutability || echo /usr/bin/dump1090-mutability)"
"$venv/bin/python" -c 'import pyais, takproto, sys; print("install-peers: venv", sys.prefix, "pyais", pyais.__version__)'
"$venv/bin/python" -c 'import importlib.metadata as m; print("install-peers: libasterix", m.version("libasterix"))'
"$venv/bin/python" -c 'import importlib.metadata as m; print("install-peers: stanag4607", m.version("stanag4607"))'
