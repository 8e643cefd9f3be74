"""PyTAK (PyPI) as a TAK client of biac's TLS streaming port, with a client certificate.

Usage: pytak_tls_client.py tls://HOST:PORT SECONDS UID CALLSIGN RELEASABLE_TO

TLS settings come from the environment, under PyTAK's own names
(PYTAK_TLS_CLIENT_CERT, PYTAK_TLS_CLIENT_KEY, PYTAK_TLS_CLIENT_CAFILE, ...), as PyTAK's
command line takes them. Connects with PyTAK's CLITool (its TLS transport, which verifies
the server against the CA file and checks its name), sends a ping and then, every 0.5 s,
a position report of CALLSIGN marked SECRET releasable to RELEASABLE_TO; collects every
event received for SECONDS and prints one JSON object like pytak_client.py's.
Used by crates/biac/tests/cot_tls_pytak.rs.
"""
import asyncio
import json
import os
import sys
import warnings
from configparser import ConfigParser

warnings.filterwarnings("ignore")  # pytak warns about optional extras it can do without

import pytak  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytak_client import Collector, event_fields  # noqa: E402


class Reporter(pytak.QueueWorker):
    """A ping, then a marked position report every 0.5 s, moving north."""

    def __init__(self, queue, config, uid, callsign, rel):
        super().__init__(queue, config)
        self.uid, self.callsign, self.rel = uid, callsign, rel

    async def handle_data(self, data):
        await self.put_queue(data)

    async def run(self, _=-1):
        await self.put_queue(pytak.gen_cot(uid="pytak-ping", cot_type="t-x-c-t"))
        k = 0
        while True:
            k += 1
            now, stale = pytak.cot_time(), pytak.cot_time(60)
            ev = (
                f'<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<event version="2.0" uid="{self.uid}" type="a-f-S" how="h-e" '
                f'time="{now}" start="{now}" stale="{stale}" '
                f'access="SECRET" releasableTo="{self.rel}">'
                f'<point lat="{24.3 + k * 1e-4:.6f}" lon="124.1" hae="9999999.0" ce="10" le="9999999.0"/>'
                f'<detail><contact callsign="{self.callsign}"/></detail></event>'
            )
            await self.put_queue(ev.encode())
            await asyncio.sleep(0.5)


async def main(url, seconds, uid, callsign, rel):
    config = ConfigParser()
    section = {"COT_URL": url, "MAX_IN_QUEUE": "100000"}
    section.update({k: v for k, v in os.environ.items() if k.startswith("PYTAK_TLS_")})
    config["pytak_tls_client"] = section
    cfg = config["pytak_tls_client"]
    tool = pytak.CLITool(cfg)
    await tool.setup()
    got = []
    tool.add_tasks({
        Collector(tool.rx_queue, cfg, got),
        Reporter(tool.tx_queue, cfg, uid, callsign, rel),
    })
    try:
        await asyncio.wait_for(tool.run(), timeout=seconds)
    except asyncio.TimeoutError:
        pass
    events, unparsed = [], []
    for raw in got:
        try:
            events.append(event_fields(raw))
        except Exception as e:  # noqa: BLE001 - report, the Rust test decides
            unparsed.append({"error": str(e), "raw": raw.decode("utf-8", "replace")[:500]})
    json.dump({"events": events, "unparsed": unparsed}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]))
