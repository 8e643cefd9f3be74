"""takproto (PyPI) as the golden peer for biac's TAK protocol v1 codec.

Reads JSON requests from stdin, one per line, and answers one JSON line each:
  {"xml": "<event ...>"}  -> {"mesh": hex, "stream": hex}   (takproto.xml2proto)
  {"parse": hex}          -> {"body": hex, "event": {...}}  (takproto.parse_proto,
                              re-serialised; unknown fields such as caveat (16) and
                              releaseableTo (17) are kept by protobuf)
Errors are answered as {"error": "..."}.
Used by crates/biac-formats/tests/peers_tak.rs.
"""
import json
import sys

import takproto
from takproto.constants import TAKProtoVer


def event_fields(msg):
    ev = msg.cotEvent
    d = ev.detail
    return {
        "type": ev.type,
        "uid": ev.uid,
        "how": ev.how,
        "access": ev.access,
        "sendTime": ev.sendTime,
        "startTime": ev.startTime,
        "staleTime": ev.staleTime,
        "lat": ev.lat,
        "lon": ev.lon,
        "hae": ev.hae,
        "ce": ev.ce,
        "le": ev.le,
        "xmlDetail": d.xmlDetail,
        "callsign": d.contact.callsign,
        "endpoint": d.contact.endpoint,
        "group": [d.group.name, d.group.role],
        "battery": d.status.battery,
        "takv": [d.takv.device, d.takv.platform, d.takv.os, d.takv.version],
        "track": [d.track.speed, d.track.course],
        "has_detail": ev.HasField("detail"),
    }


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        try:
            if "xml" in req:
                xml = req["xml"]
                mesh = takproto.xml2proto(xml, TAKProtoVer.MESH)
                stream = takproto.xml2proto(xml, TAKProtoVer.STREAM)
                out = {"mesh": bytes(mesh).hex(), "stream": bytes(stream).hex()}
            else:
                msg = takproto.parse_proto(bytearray(bytes.fromhex(req["parse"])))
                out = {"body": msg.SerializeToString().hex(), "event": event_fields(msg)}
        except Exception as e:  # noqa: BLE001 - report any peer failure
            out = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
