"""PyTAK (PyPI) as an independent TAK client of biac's CoT streaming server.

Usage: pytak_client.py tcp://HOST:PORT SECONDS [v1]

Connects with PyTAK's own CLITool (its TCP transport and RXWorker, which frames the
stream on </event> as TAK clients do), sends PyTAK's hello event and a ping
(t-x-c-t), collects every event received for SECONDS, parses each as XML, and prints
one JSON object: {"events": [{uid, type, how, access, caveat, releasableTo, lat, lon,
ce, time, start, stale, callsign, detail, raw}], "unparsed": [...]}.
With `v1`, negotiates TAK protocol version 1 instead (see negotiate_v1) and reports
the events takproto decodes from the v1 stream.
Used by crates/biac/tests/cot_stream_pytak.rs.
"""
import asyncio
import json
import sys
import warnings
import xml.etree.ElementTree as ET
from configparser import ConfigParser

warnings.filterwarnings("ignore")  # pytak warns about optional extras it can do without

import pytak  # noqa: E402


class Collector(pytak.QueueWorker):
    """Drains the RX queue into a list."""

    def __init__(self, queue, config, out):
        super().__init__(queue, config)
        self.out = out

    async def handle_data(self, data):
        self.out.append(data)

    async def run(self, _=-1):
        while True:
            data = await self.queue.get()
            await self.handle_data(data)


class Pinger(pytak.QueueWorker):
    """Sends one ping, as TAK clients do to keep a stream alive."""

    async def handle_data(self, data):
        await self.put_queue(data)

    async def run(self, _=-1):
        await self.put_queue(pytak.gen_cot(uid="pytak-ping", cot_type="t-x-c-t"))
        while True:
            await asyncio.sleep(3600)


def event_fields(raw):
    ev = ET.fromstring(raw)
    if ev.tag != "event":
        raise ValueError(f"root is {ev.tag}")
    point = ev.find("point")
    detail = ev.find("detail")
    contact = detail.find("contact") if detail is not None else None
    return {
        "uid": ev.get("uid"),
        "type": ev.get("type"),
        "how": ev.get("how"),
        "access": ev.get("access"),
        "caveat": ev.get("caveat"),
        "releasableTo": ev.get("releasableTo"),
        "time": ev.get("time"),
        "start": ev.get("start"),
        "stale": ev.get("stale"),
        "lat": float(point.get("lat")),
        "lon": float(point.get("lon")),
        "ce": float(point.get("ce")),
        "callsign": contact.get("callsign") if contact is not None else None,
        "detail": ET.tostring(detail, encoding="unicode") if detail is not None else "",
        "raw": raw.decode("utf-8"),
    }


async def main(url, seconds):
    config = ConfigParser()
    # A queue large enough that PyTAK never drops the oldest event of a burst.
    config["pytak_client"] = {"COT_URL": url, "MAX_IN_QUEUE": "100000"}
    cfg = config["pytak_client"]
    tool = pytak.CLITool(cfg)
    await tool.setup()
    got = []
    tool.add_tasks({Collector(tool.rx_queue, cfg, got), Pinger(tool.tx_queue, cfg)})
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


def read_varint(buf, i):
    shift = val = 0
    while True:
        b = buf[i]
        i += 1
        val |= (b & 0x7F) << shift
        if not b & 0x80:
            return val, i
        shift += 7


async def negotiate_v1(url, seconds):
    """TAK protocol negotiation as ATAK does it, then v1 frames decoded by takproto.

    PyTAK does not negotiate (it sends v1 only when configured to, without asking), so
    this client speaks the handshake over plain asyncio and lets takproto (PyPI, the
    independent v1 codec) decode every frame after the server's t-x-takp-r.
    """
    import takproto

    host, port = url.split("://", 1)[1].rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    buf = b""

    async def more():
        nonlocal buf
        chunk = await asyncio.wait_for(reader.read(65536), max(0.01, deadline - loop.time()))
        if not chunk:
            raise EOFError("server closed")
        buf += chunk

    async def xml_event():
        nonlocal buf
        while b"</event>" not in buf:
            await more()
        i = buf.index(b"</event>") + len(b"</event>")
        raw, buf = buf[:i], buf[i:]
        return ET.fromstring(raw)

    report = {"xml_events": 0, "offer": None, "response": None, "v1_events": [], "errors": []}
    offer = await xml_event()
    report["offer"] = offer.get("type")
    support = offer.find("detail/TakControl/TakProtocolSupport")
    report["offered_version"] = support.get("version") if support is not None else None
    now = pytak.cot_time()
    q = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<event version="2.0" uid="{offer.get("uid")}" type="t-x-takp-q" how="m-g" '
        f'time="{now}" start="{now}" stale="{pytak.cot_time(60)}">'
        '<point lat="0.0" lon="0.0" hae="0.0" ce="999999" le="999999"/>'
        '<detail><TakControl><TakRequest version="1"/></TakControl></detail></event>'
    )
    writer.write(q.encode())
    await writer.drain()
    while True:
        ev = await xml_event()
        if ev.get("type") == "t-x-takp-r":
            resp = ev.find("detail/TakControl/TakResponse")
            report["response"] = resp.get("status") if resp is not None else None
            break
        report["xml_events"] += 1
    try:
        while True:
            while buf:
                if buf[0] != 0xBF:
                    raise ValueError(f"v1 frame starts with {buf[0]:#x}")
                try:
                    n, j = read_varint(buf, 1)
                except IndexError:
                    break
                if j + n > len(buf):
                    break
                frame, buf = buf[: j + n], buf[j + n :]
                msg = takproto.parse_proto(bytearray(frame))
                if msg == -1:
                    report["errors"].append("takproto could not parse a frame")
                    continue
                ev = msg.cotEvent
                report["v1_events"].append({
                    "uid": ev.uid,
                    "type": ev.type,
                    "how": ev.how,
                    "access": ev.access,
                    "lat": ev.lat,
                    "lon": ev.lon,
                    "callsign": ev.detail.contact.callsign,
                    "sendTime": ev.sendTime,
                    "staleTime": ev.staleTime,
                })
            await more()
    except (asyncio.TimeoutError, EOFError):
        pass
    writer.close()
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    if len(sys.argv) > 3 and sys.argv[3] == "v1":
        asyncio.run(negotiate_v1(sys.argv[1], float(sys.argv[2])))
    else:
        asyncio.run(main(sys.argv[1], float(sys.argv[2])))
