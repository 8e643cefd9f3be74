#!/usr/bin/env python3
"""A day of AIS for N vessels with scripted behaviours, as NMEA 4.10 tag-blocked !AIVDM
lines in time order (stdlib only): the input of `biac events` and of bench/events_ref.py.

Vessels sail in open ocean east of Japan (29-37 N, 147-160 E: more than 500 km from any
land), each reporting every --interval seconds (type 1; every 20th vessel also sends a
two-fragment type 5 every hour). Behaviours by vessel index (i % 20):
  0-9  transit at 6-12 kn
  10   goes dark for 13 h (a gap), 11 goes dark for 11 h (no gap)
  12   loiters (1 kn) for 5 h, 13 loiters for 3.5 h (too short)
  14+15 meet and stay within ~150 m for 3 h at 0.5 kn (an encounter)
  16+17 meet for 1.5 h (too short)
  18   one report 60 km off (spoofing), 19 transits through the zones of --zones-out
A few malformed lines are mixed in (--malformed per 100,000).

  python3 bench/events_gen.py --vessels 10000 --hours 24 --interval 86 > day.nmea
"""

import argparse
import json
import math
import random
import sys

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
KN = 1852.0 / 3600.0
ARMOUR = "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw"


def checksum(s):
    c = 0
    for ch in s.encode():
        c ^= ch
    return "%02X" % c


def armour(bits, nbits):
    pad = (-nbits) % 6
    bits <<= pad
    n = (nbits + pad) // 6
    return "".join(ARMOUR[(bits >> (6 * (n - 1 - i))) & 63] for i in range(n)), pad


class W:
    def __init__(self):
        self.v = 0
        self.n = 0

    def u(self, x, w):
        self.v = (self.v << w) | (x & ((1 << w) - 1))
        self.n += w
        return self


def type1(mmsi, lat, lon, sog, cog, second):
    w = W()
    w.u(1, 6).u(0, 2).u(mmsi, 30).u(0, 4).u(-128, 8)
    w.u(min(1022, int(round(sog * 10))), 10).u(0, 1)
    w.u(int(round(lon * 600000)), 28).u(int(round(lat * 600000)), 27)
    w.u(int(round((cog % 360) * 10)) % 3600, 12).u(511, 9).u(second, 6)
    w.u(0, 2).u(0, 3).u(0, 1).u(0, 19)
    return armour(w.v, w.n)


def text(w, s, n):
    s = s.upper().ljust(n, "@")[:n]
    for ch in s:
        c = ord(ch)
        w.u(c - 64 if c >= 64 else c, 6)


def type5(mmsi, name, shiptype):
    w = W()
    w.u(5, 6).u(0, 2).u(mmsi, 30).u(0, 2).u(9000000 + mmsi % 1000000, 30)
    text(w, "C%06d" % (mmsi % 1000000), 7)
    text(w, name, 20)
    w.u(shiptype, 8).u(100, 9).u(20, 9).u(10, 6).u(10, 6).u(1, 4)
    w.u(0, 4).u(0, 5).u(24, 5).u(60, 6).u(60, 8)
    text(w, "OPEN SEA", 20)
    w.u(0, 1).u(0, 1)
    return armour(w.v, w.n)


def tagged(t, payload, fill, frag=(1, 1), seq="", chan="A", tag=True):
    body = "AIVDM,%d,%d,%s,%s,%s,%d" % (frag[1], frag[0], seq, chan, payload, fill)
    s = "!%s*%s" % (body, checksum(body))
    if tag:
        tb = "s:gen,c:%d" % t
        s = "\\%s*%s\\%s" % (tb, checksum(tb), s)
    return s


def move(lat, lon, bearing, d):
    """Local-plane step (the generator only needs plausible tracks)."""
    b = math.radians(bearing)
    lat2 = lat + d * math.cos(b) / 111_320.0
    lon2 = lon + d * math.sin(b) / (111_320.0 * math.cos(math.radians(lat)))
    return lat2, lon2


class Vessel:
    """pos(t) -> (lat, lon, sog, cog) or None when silent."""

    def __init__(self, i, rng, hours, zone_route):
        self.i = i
        self.mmsi = 200_000_000 + i
        self.kind = i % 20
        self.phase = rng.randrange(1_000_000)
        self.lat0 = rng.uniform(30.0, 36.0)
        self.lon0 = rng.uniform(148.5, 158.5)
        self.course = rng.uniform(0, 360)
        self.speed = rng.uniform(6, 12)
        self.hours = hours
        d = hours * 3600
        self.t1 = rng.uniform(0.2, 0.4) * d
        self.zone_route = zone_route
        # Slow phase (loiter / encounter), silence (dark), outlier (spoof).
        self.slow = None
        self.silent = None
        self.outlier = None
        if self.kind == 10:
            self.silent = (self.t1, self.t1 + 13 * 3600)
        elif self.kind == 11:
            self.silent = (self.t1, self.t1 + 11 * 3600)
        elif self.kind == 12:
            self.slow = (self.t1, self.t1 + 5 * 3600)
        elif self.kind == 13:
            self.slow = (self.t1, self.t1 + 3.5 * 3600)
        elif self.kind == 18:
            self.outlier = self.t1
        if self.kind == 19 and zone_route:
            self.lat0, self.lon0, self.course = zone_route

    def meet(self, other, hours_together, offset_m):
        """Come to `other` at its t1, drift beside it `offset_m` east, then part."""
        self.slow = other.slow = (other.t1, other.t1 + hours_together * 3600)
        self.speed = other.speed
        self.partner = other
        self.offset = offset_m
        self.course = (other.course + 120) % 360

    def dist(self, t):
        """Distance sailed by t and the speed then."""
        if self.slow is None:
            return self.speed * KN * t, self.speed
        a, b = self.slow
        slow_kn = 0.5 if self.kind in (14, 15, 16, 17) else 1.0
        if t < a:
            return self.speed * KN * t, self.speed
        if t < b:
            return self.speed * KN * a + slow_kn * KN * (t - a), slow_kn
        return self.speed * KN * a + slow_kn * KN * (b - a) + self.speed * KN * (t - b), self.speed

    def pos_raw(self, t):
        s, sog = self.dist(t)
        p = getattr(self, "partner", None)
        if p is not None:
            a, b = self.slow
            if t < a:
                lat, lon, _ = p.pos_raw(a)
                lat, lon = move(lat, lon, 90, self.offset)
                lat, lon = move(lat, lon, self.course, s - self.dist(a)[0])
            elif t < b:
                lat, lon, _ = p.pos_raw(t)
                lat, lon = move(lat, lon, 90, self.offset)
            else:
                lat, lon, _ = p.pos_raw(b)
                lat, lon = move(lat, lon, 90, self.offset)
                lat, lon = move(lat, lon, self.course, s - self.dist(b)[0])
            return lat, lon, sog
        lat, lon = move(self.lat0, self.lon0, self.course, s)
        return lat, lon, sog

    def pos(self, t):
        if self.silent and self.silent[0] <= t < self.silent[1]:
            return None
        lat, lon, sog = self.pos_raw(t)
        if self.outlier is not None and t >= self.outlier:
            # One report 60 km off, once.
            self.outlier = None
            lat, lon = move(lat, lon, 0, 60_000)
        return lat, lon, sog, self.course


ZONES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "Box with a hole"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [
                    [[152.0, 32.0], [153.0, 32.0], [153.0, 33.0], [152.0, 33.0], [152.0, 32.0]],
                    [[152.4, 32.4], [152.6, 32.4], [152.6, 32.6], [152.4, 32.6], [152.4, 32.4]],
                ],
            },
        },
        {
            "type": "Feature",
            "properties": {"name": "Two islands' waters"},
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": [
                    [[[155.0, 34.0], [155.5, 34.0], [155.5, 34.5], [155.0, 34.5], [155.0, 34.0]]],
                    [[[156.0, 34.0], [156.5, 34.0], [156.5, 34.5], [156.0, 34.5], [156.0, 34.0]]],
                ],
            },
        },
    ],
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vessels", type=int, default=200)
    ap.add_argument("--hours", type=float, default=24)
    ap.add_argument("--interval", type=int, default=60, help="seconds between reports")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--malformed", type=int, default=10, help="per 100,000 lines")
    ap.add_argument("--zones-out", help="write the zones GeoJSON here")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    if a.zones_out:
        with open(a.zones_out, "w") as f:
            json.dump(ZONES, f)
    routes = [(31.8, 152.1, 20.0), (34.25, 154.8, 90.0), (32.2, 152.5, 0.0)]
    vs = []
    for i in range(a.vessels):
        v = Vessel(i, rng, a.hours, routes[(i // 20) % len(routes)])
        vs.append(v)
    for i in range(0, a.vessels - 1):
        if vs[i].kind == 15:
            vs[i].meet(vs[i - 1], 3.0, 150.0)
        elif vs[i].kind == 17:
            vs[i].meet(vs[i - 1], 1.5, 150.0)
    if vs and vs[-1].kind in (14, 16):
        vs[-1].kind = 0
    buckets = [[] for _ in range(a.interval)]
    for v in vs:
        buckets[v.phase % a.interval].append(v)
    out = sys.stdout
    end = int(a.hours * 3600)
    lines = []
    seq = 0
    for t in range(end + 1):
        for v in buckets[t % a.interval]:
            p = v.pos(t)
            if p is None:
                continue
            lat, lon, sog, cog = p
            payload, fill = type1(v.mmsi, lat, lon, sog, cog, (T0 + t) % 60)
            lines.append(tagged(T0 + t, payload, fill))
            if v.i % 20 == 0 and (t // a.interval) % 60 == 0:
                p5, f5 = type5(v.mmsi, "VESSEL %d" % v.i, 70)
                seq = (seq + 1) % 10
                lines.append(tagged(T0 + t, p5[:60], 0, (1, 2), str(seq), "B"))
                lines.append(tagged(T0 + t, p5[60:], f5, (2, 2), str(seq), "B", tag=False))
            if a.malformed and rng.randrange(100_000) < a.malformed:
                lines.append(tagged(T0 + t, payload, fill)[:-1] + "Z")
        if len(lines) > 10000:
            out.write("\n".join(lines) + "\n")
            lines.clear()
    if lines:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
