#!/usr/bin/env python3
"""Independent reference for `biac events`, written from issue 16's contract (not from the
Rust): AIS decoded by pyais, geodesics by geographiclib (both PyPI, installed into
.venv-peers by scripts/install-peers.sh), whole input in memory, each MMSI's reports
processed as one sorted list.

  events_ref.py FILE.nmea [--zones Z.geojson] [--ports PORTS.csv] [thresholds as biac events]

Shore: the reference has no coastline; every report counts as far from shore (the
comparison input lies in open ocean, > 500 km from land). Ports: the CSV that biac embeds.
Prints JSON lines sorted by (start, type, mmsi, zone).
"""

import argparse
import csv
import json
import math
import sys
from collections import defaultdict

from geographiclib.geodesic import Geodesic
import pyais

G = Geodesic.WGS84
KNOT = 1852.0 / 3600.0


def dist(lat1, lon1, lat2, lon2):
    return G.Inverse(lat1, lon1, lat2, lon2, Geodesic.DISTANCE)["s12"]


# ---- input -----------------------------------------------------------------------


def nmea_ok(body, cs):
    c = 0
    for ch in body.encode():
        c ^= ch
    try:
        return int(cs[:2], 16) == c
    except ValueError:
        return False


def read_fixes(path):
    """[(mmsi, t_seconds, lat, lon, sog or None)] in input order; malformed lines skipped."""
    fixes, pending, bad = [], {}, 0
    with open(path, "r", encoding="ascii", errors="replace") as f:
        for raw in f:
            line = raw.strip()
            if not line:
                continue
            t = None
            if line.startswith("\\"):
                end = line.find("\\", 1)
                if end < 0:
                    bad += 1
                    continue
                tb = line[1:end]
                body, _, cs = tb.rpartition("*")
                if not nmea_ok(body, cs):
                    bad += 1
                    continue
                for field in body.split(","):
                    if field.startswith("c:"):
                        t = int(field[2:])
                        if t >= 100_000_000_000:  # milliseconds
                            t = t / 1000.0
                line = line[end + 1 :]
            if not line.startswith("!") or "*" not in line:
                bad += 1
                continue
            body, _, cs = line[1:].partition("*")
            if not nmea_ok(body, cs):
                bad += 1
                continue
            parts = body.split(",")
            if len(parts) != 7:
                bad += 1
                continue
            count, num, seq, chan = int(parts[1]), int(parts[2]), parts[3], parts[4]
            if count > 1:
                key = (chan, seq)
                if num == 1:
                    pending[key] = ([line], t)
                    continue
                if key not in pending:
                    bad += 1
                    continue
                pending[key][0].append(line)
                if num < count:
                    continue
                sentences, t = pending.pop(key)
            else:
                sentences = [line]
            if t is None:
                bad += 1
                continue
            try:
                msg = pyais.decode(*[s.encode() for s in sentences])
            except Exception:
                bad += 1
                continue
            if msg.msg_type not in (1, 2, 3, 18, 19, 27):
                continue
            lat, lon = msg.lat, msg.lon
            if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
                continue
            sog = msg.speed
            if sog is not None and (sog >= 102.3 or (msg.msg_type == 27 and sog >= 63)):
                sog = None
            fixes.append((msg.mmsi, t, lat, lon, sog))
    return fixes, bad


# ---- geometry --------------------------------------------------------------------


def in_ring(ring, x, y):
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def load_zones(path):
    if not path:
        return []
    gj = json.load(open(path))
    zones = []
    for i, feat in enumerate(gj["features"]):
        g = feat.get("geometry")
        if not g:
            continue
        name = (feat.get("properties") or {}).get("name", "feature %d" % i)
        polys = [g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"]
        zones.append((name, polys))
    return zones


def in_zone(polys, lat, lon):
    for rings in polys:
        if not in_ring(rings[0], lon, lat):
            continue
        if not any(in_ring(h, lon, lat) for h in rings[1:]):
            return True
    return False


def load_ports(path):
    ports = []
    with open(path) as f:
        rows = [l for l in f if not l.startswith("#")]
    for r in csv.DictReader(rows):
        ports.append((float(r["lat"]), float(r["lon"])))
    return ports


def port_distance(ports, lat, lon):
    best = math.inf
    for plat, plon in ports:
        # Cheap bound first: a degree of latitude is at least 110 km.
        if abs(plat - lat) * 110_000 > best:
            continue
        best = min(best, dist(lat, lon, plat, plon))
    return best


# ---- rules -----------------------------------------------------------------------


def event(kind, mmsi, start, end, lat, lon, open_=False, **extra):
    e = {"type": kind, "mmsi": mmsi, "start": start, "end": end, "lat": lat, "lon": lon}
    e.update(extra)
    e["open"] = open_
    return e


def gaps(m, fx, a):
    out = []
    for p, q in zip(fx, fx[1:]):
        if q[0] - p[0] >= a.gap_min_h * 3600:
            out.append(event("gap", [m], p[0], q[0], p[1], p[2]))
    return out


def loitering(m, fx, a, t_end):
    out, run = [], []

    def flush(open_):
        if run and run[-1][0] - run[0][0] >= a.loiter_min_h * 3600:
            lat = sum(r[1] for r in run) / len(run)
            lon = sum(r[2] for r in run) / len(run)
            out.append(event("loitering", [m], run[0][0], run[-1][0], lat, lon, open_))

    for r in fx:
        slow = r[3] is not None and r[3] < a.loiter_max_kn
        if slow and run and r[0] - run[-1][0] <= 3600:
            run.append(r)
            continue
        flush(False)
        run = [r] if slow else []
    # At the end of the input a run is open unless its vessel has been silent > 1 h.
    flush(bool(run) and t_end - run[-1][0] <= 3600)
    return out


def spoofing(m, fx, a):
    out, ep = [], None
    for p, q in zip(fx, fx[1:]):
        dt = q[0] - p[0]
        bad = dist(p[1], p[2], q[1], q[2]) > a.spoof_kn * KNOT * dt + 1000.0
        if bad:
            if ep is None:
                ep = [q, q]
            else:
                ep[1] = q
        elif ep is not None and q[0] - ep[1][0] >= 3600:
            out.append(event("spoofing", [m], ep[0][0], ep[1][0], ep[0][1], ep[0][2]))
            ep = None
    if ep is not None:
        out.append(event("spoofing", [m], ep[0][0], ep[1][0], ep[0][1], ep[0][2], True))
    return out


def zone_entries(m, fx, zones):
    out = []
    for name, polys in zones:
        prev, cur = None, None
        for r in fx:
            inside = in_zone(polys, r[1], r[2])
            if inside and prev is False:
                cur = [r, r]
            elif inside and cur is not None:
                cur[1] = r
            elif not inside and cur is not None:
                out.append(event("zone_entry", [m], cur[0][0], cur[1][0], cur[0][1], cur[0][2], zone=name))
                cur = None
            prev = inside
        if cur is not None:
            out.append(event("zone_entry", [m], cur[0][0], cur[1][0], cur[0][1], cur[0][2], True, zone=name))
    return out


def interp(fx, times, t):
    """Position on the track through the reports (linear in lat/lon)."""
    import bisect

    i = bisect.bisect_right(times, t)
    if i == 0:
        return fx[0][1], fx[0][2]
    p = fx[i - 1]
    if i == len(fx) or fx[i][0] == p[0]:
        return p[1], p[2]
    q = fx[i]
    u = (t - p[0]) / (q[0] - p[0])
    return p[1] + u * (q[1] - p[1]), p[2] + u * (q[2] - p[2])


def encounters(by, a, ports):
    """Every pair whose tracks' boxes come near, on the merged timeline of both; the
    within-distance stretches of each interval found by sampling then bisection on the
    geodesic distance."""
    D = a.encounter_max_m
    boxes = {}
    for m, fx in by.items():
        lats = [r[1] for r in fx]
        lons = [r[2] for r in fx]
        boxes[m] = (min(lats), max(lats), min(lons), max(lons))
    ms = sorted(by)
    # Sweep over latitude to find pairs with overlapping boxes (plus 0.01 degree).
    order = sorted(ms, key=lambda m: boxes[m][0])
    out = []
    for i, x in enumerate(order):
        for y in order[i + 1 :]:
            if boxes[y][0] > boxes[x][1] + 0.01:
                break
            bx, byy = boxes[x], boxes[y]
            if byy[2] > bx[3] + 0.02 or bx[2] > byy[3] + 0.02:
                continue
            out.extend(pair_encounters(min(x, y), max(x, y), by, a, ports, D))
    return out


def pair_encounters(x, y, by, a, ports, D):
    fa, fb = by[x], by[y]
    ta, tb = [r[0] for r in fa], [r[0] for r in fb]
    lo, hi = max(ta[0], tb[0]), min(ta[-1], tb[-1])
    if hi <= lo:
        return []
    ts = sorted(set([t for t in ta + tb if lo < t < hi] + [lo, hi]))

    def d(t):
        p, q = interp(fa, ta, t), interp(fb, tb, t)
        return dist(p[0], p[1], q[0], q[1])

    def cross(t_in, t_out):
        # d(t_in) <= D < d(t_out): bisect to a millisecond.
        while abs(t_out - t_in) > 1e-4:
            mid = 0.5 * (t_in + t_out)
            if d(mid) <= D:
                t_in = mid
            else:
                t_out = mid
        return t_in

    runs, cur = [], None  # cur = [start, last]
    dprev = d(ts[0])
    if dprev <= D:
        cur = [ts[0], ts[0]]
    for s, e in zip(ts, ts[1:]):
        de = d(e)
        # The relative track is a straight line over [s, e]: its distance is convex, so
        # sample it to find a within stretch inside an interval with both ends outside.
        n = 1 if (dprev > D + 5000 and de > D + 5000) else 16
        grid = [s + (e - s) * k / n for k in range(n + 1)]
        vals = [dprev] + [d(t) for t in grid[1:-1]] + [de]
        for k in range(n):
            t0, t1, v0, v1 = grid[k], grid[k + 1], vals[k], vals[k + 1]
            if v0 <= D and v1 <= D:
                if cur is None:
                    cur = [t0, t1]
                cur[1] = t1
            elif v0 <= D < v1:
                c = cross(t0, t1)
                if cur is None:
                    cur = [t0, c]
                cur[1] = c
                runs.append(cur)
                cur = None
            elif v1 <= D < v0:
                cur = [cross(t1, t0), t1]
        dprev = de
    open_run = cur
    if cur is not None:
        runs.append(cur)
    out = []
    for r in runs:
        start, end = r
        if end - start < a.encounter_min_h * 3600 - 1e-3:
            continue
        sogs = [f[3] for f in fa + fb if start <= f[0] <= end and f[3] is not None]
        if not sogs:
            continue
        sogs.sort()
        n = len(sogs)
        med = sogs[n // 2] if n % 2 else 0.5 * (sogs[n // 2 - 1] + sogs[n // 2])
        if med >= a.encounter_max_kn:
            continue
        # Position: mean midpoint over the encounter, sampled each minute.
        k = max(1, int((end - start) / 60))
        pts = [interp(fa, ta, start + (end - start) * j / k) for j in range(k + 1)]
        qts = [interp(fb, tb, start + (end - start) * j / k) for j in range(k + 1)]
        lat = sum(p[0] + q[0] for p, q in zip(pts, qts)) / (2 * (k + 1))
        lon = sum(p[1] + q[1] for p, q in zip(pts, qts)) / (2 * (k + 1))
        if port_distance(ports, lat, lon) < a.encounter_port_km * 1000:
            continue
        out.append(event("encounter", [x, y], start, end, lat, lon, r is open_run, median_kn=med))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--zones")
    ap.add_argument("--ports", required=True)
    for name, default in [
        ("gap-min-h", 12), ("gap-shore-nm", 50), ("encounter-max-m", 500),
        ("encounter-min-h", 2), ("encounter-max-kn", 2), ("encounter-port-km", 10),
        ("loiter-max-kn", 2), ("loiter-min-h", 4), ("loiter-shore-nm", 20), ("spoof-kn", 25),
    ]:
        ap.add_argument("--" + name, type=float, default=default)
    a = ap.parse_args()
    fixes, bad = read_fixes(a.file)
    by = defaultdict(list)
    for m, t, lat, lon, sog in fixes:
        fx = by[m]
        if fx and t < fx[-1][0]:
            continue  # older than the MMSI's last report
        fx.append((t, lat, lon, sog))
    t_end = max((f[1] for f in fixes), default=0)
    zones = load_zones(a.zones)
    ports = load_ports(a.ports)
    events = []
    for m, fx in by.items():
        events += gaps(m, fx, a) + loitering(m, fx, a, t_end) + spoofing(m, fx, a)
        events += zone_entries(m, fx, zones)
    events += encounters(by, a, ports)
    events.sort(key=lambda e: (e["start"], e["type"], e["mmsi"], e.get("zone", "")))
    for e in events:
        print(json.dumps(e))
    print("events_ref: %d reports, %d malformed, %d events" % (len(fixes), bad, len(events)), file=sys.stderr)


if __name__ == "__main__":
    main()
