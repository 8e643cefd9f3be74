#!/usr/bin/env python3
"""Monte-Carlo bench of biac's ballistic tracking and impact prediction (issue 15),
with a Stone Soup EKF on the same plots in the same run.

    bench/ballistic_mc.py [--biac PATH] [--out DIR] [--seeds N] [--no-stonesoup]

Grid: scenarios (srbm, mrbm, irbm, icbm-lofted) x radar sets (the one, two and three
radars that see the missile longest) x noise (10 m / 0.5 mrad, 20 m / 1 mrad,
30 m / 2 mrad) x seeds: with the default 3 seeds, 108 runs. Per run: `biac sim-missile`
writes the plots and the truth, `biac ballistic` tracks them, and this script scores
the track's predictions at 30, 60 and 120 s after the first plot after the truth's
burnout (the track's prediction in force then: its last row at or before that time):
impact-point error (geodesic), whether the truth impact lies inside the
predicted 95 % ellipse, time-to-impact error at 30 s, tracks per missile, and whether a
prediction exists at all then. Horizons after the last plot of the missile (out of
every radar's reach) are "not applicable"; predictions missing while the missile is
seen count as missing.

Stone Soup (PyPI `stonesoup`, in a venv): an `ExtendedKalmanPredictor`/`Updater` pair
with `CartesianToElevationBearingRange` per radar (its ECEF offset and the rotation of
the radar's east-north-up frame) and a ballistic transition model written here (WGS84
J2 gravity in the rotating Earth-fixed frame, RK4; white acceleration noise), fed every
plot from the first post-burnout plot on (scored, like biac, by the state in force at
each horizon) (it has no boost model, so it is told when
the boost ended: an advantage), its impact predicted by propagating its mean with the
same gravity and the prior-mean drag. Stone Soup has no impact ellipse: its coverage
is not scored. CPU per plot of each tracker (biac: `Tracker::process_batch` thread
time as the command reports it; Stone Soup: predict+update process time).

Prints one JSON summary (and writes OUT/summary.json). Python 3.10+, numpy.
"""

import argparse
import csv
import datetime
import json
import math
import os
import statistics
import subprocess
import sys
import time

import numpy as np

A = 6378137.0
F = 1 / 298.257223563
E2 = F * (2 - F)
GM = 3.986004418e14
J2 = 1.0826298213133e-3
OMEGA = 7.292115e-5
RHO0, HSCALE = 1.225, 7200.0
BETA_MEAN = math.exp(0.5 * (math.log(1e4) + math.log(1e5)))

SCENARIOS = ["srbm", "mrbm", "irbm", "icbm-lofted"]
RADARS = ["tpy2-shariki", "tpy2-kyogamisaki", "fps5-shimokoshiki", "greenpine-seongju", "aegis-soj"]
NOISES = [(10.0, 0.5), (20.0, 1.0), (30.0, 2.0)]
HORIZONS = [30.0, 60.0, 120.0]


def geodetic_to_ecef(lat, lon, h):
    la, lo = math.radians(lat), math.radians(lon)
    n = A / math.sqrt(1 - E2 * math.sin(la) ** 2)
    return np.array([(n + h) * math.cos(la) * math.cos(lo), (n + h) * math.cos(la) * math.sin(lo),
                     (n * (1 - E2) + h) * math.sin(la)])


def ecef_to_geodetic(p):
    x, y, z = p
    lon = math.atan2(y, x)
    r = math.hypot(x, y)
    lat = math.atan2(z, r * (1 - E2))
    for _ in range(6):
        n = A / math.sqrt(1 - E2 * math.sin(lat) ** 2)
        h = r / math.cos(lat) - n if abs(lat) < 1.4 else z / math.sin(lat) - n * (1 - E2)
        lat = math.atan2(z, r * (1 - E2 * n / (n + h)))
    n = A / math.sqrt(1 - E2 * math.sin(lat) ** 2)
    h = r / math.cos(lat) - n if abs(lat) < 1.4 else z / math.sin(lat) - n * (1 - E2)
    return math.degrees(lat), math.degrees(lon), h


def enu_rows(lat, lon):
    la, lo = math.radians(lat), math.radians(lon)
    return np.array([[-math.sin(lo), math.cos(lo), 0.0],
                     [-math.sin(la) * math.cos(lo), -math.sin(la) * math.sin(lo), math.cos(la)],
                     [math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)]])


def accel(p, v, beta=None):
    r2 = p @ p
    r = math.sqrt(r2)
    k = -GM / (r2 * r)
    z2 = p[2] ** 2 / r2
    c = 1.5 * J2 * A * A / r2
    a = np.array([k * p[0] * (1 + c * (1 - 5 * z2)), k * p[1] * (1 + c * (1 - 5 * z2)),
                  k * p[2] * (1 + c * (3 - 5 * z2))])
    a[0] += OMEGA ** 2 * p[0] + 2 * OMEGA * v[1]
    a[1] += OMEGA ** 2 * p[1] - 2 * OMEGA * v[0]
    if beta:
        h = ecef_to_geodetic(p)[2]
        if h < 200e3:
            a += -0.5 * RHO0 * math.exp(-max(h, 0) / HSCALE) * np.linalg.norm(v) / beta * v
    return a


def rk4(p, v, dt, beta=None):
    a1 = accel(p, v, beta)
    p2, v2 = p + v * dt / 2, v + a1 * dt / 2
    a2 = accel(p2, v2, beta)
    p3, v3 = p + v2 * dt / 2, v + a2 * dt / 2
    a3 = accel(p3, v3, beta)
    p4, v4 = p + v3 * dt, v + a3 * dt
    a4 = accel(p4, v4, beta)
    return p + dt / 6 * (v + 2 * v2 + 2 * v3 + v4), v + dt / 6 * (a1 + 2 * a2 + 2 * a3 + a4)


def impact_of(p, v, beta=BETA_MEAN):
    """Propagate to h = 0: (lat, lon, seconds)."""
    t = 0.0
    h = ecef_to_geodetic(p)[2]
    while t < 3 * 3600:
        dt = 20.0 if h > 150e3 else (5.0 if h > 80e3 else 1.0)
        p1, v1 = rk4(p, v, dt, beta)
        h1 = ecef_to_geodetic(p1)[2]
        if h1 <= 0:
            lo, hi = 0.0, dt
            for _ in range(30):
                mid = 0.5 * (lo + hi)
                pm, _ = rk4(p, v, mid, beta)
                if ecef_to_geodetic(pm)[2] > 0:
                    lo = mid
                else:
                    hi = mid
            pm, _ = rk4(p, v, 0.5 * (lo + hi), beta)
            la, lo_, _ = ecef_to_geodetic(pm)
            return la, lo_, t + 0.5 * (lo + hi)
        p, v, h, t = p1, v1, h1, t + dt
    return None


def geo_dist(lat1, lon1, lat2, lon2):
    """Distance on the ellipsoid's local radii (exact to < 0.1 % under 100 km)."""
    lat = math.radians(0.5 * (lat1 + lat2))
    n = A / math.sqrt(1 - E2 * math.sin(lat) ** 2)
    m = A * (1 - E2) / (1 - E2 * math.sin(lat) ** 2) ** 1.5
    dlon = (lon2 - lon1 + 540) % 360 - 180
    de = math.radians(dlon) * n * math.cos(lat)
    dn = math.radians(lat2 - lat1) * m
    return math.hypot(de, dn), de, dn


def inside_ellipse(row, lat, lon):
    _, de, dn = geo_dist(float(row["ipp_lat"]), float(row["ipp_lon"]), lat, lon)
    a, b = float(row["ipp_semi_major_m"]), float(row["ipp_semi_minor_m"])
    th = math.radians(float(row["ipp_major_bearing_deg"]))
    u = de * math.sin(th) + dn * math.cos(th)
    w = de * math.cos(th) - dn * math.sin(th)
    return (u / max(a, 1e-9)) ** 2 + (w / max(b, 1e-9)) ** 2 <= 1.0


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def sim(biac, scen, seed, radars, rn, an, out):
    plots, truth = f"{out}.plots.csv", f"{out}.truth.csv"
    subprocess.run([biac, "sim-missile", "--scenario", scen, "--seed", str(seed), "--radars", radars,
                    "--range-noise", str(rn), "--angle-noise", str(an), plots, truth],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return plots, truth


def run_biac(biac, plots, out):
    res = subprocess.run([biac, "ballistic", plots, out], check=True, capture_output=True, text=True)
    us = None
    for line in res.stderr.splitlines():
        if "µs CPU per plot" in line:
            us = float(line.split("tracker ")[1].split(" µs")[0])
    return read_csv(out), us


class StoneSoup:
    """Stone Soup EKF over the plots, with a ballistic transition model written here."""

    def __init__(self):
        from stonesoup.base import Property
        from stonesoup.models.base import GaussianModel, TimeVariantModel
        from stonesoup.models.transition.base import TransitionModel
        from stonesoup.types.array import StateVector, StateVectors, CovarianceMatrix

        class BallisticECEF(GaussianModel, TransitionModel, TimeVariantModel):
            """WGS84 J2 gravity in the rotating ECEF frame, RK4 (state x vx y vy z vz)."""
            q: float = Property(default=1e-4, doc="white acceleration, m^2/s^3")

            @property
            def ndim_state(self):
                return 6

            def function(self, state, noise=False, **kwargs):
                dt = kwargs["time_interval"].total_seconds()
                sv = state.state_vector
                out = []
                for k in range(sv.shape[1]):
                    col = np.asarray(sv[:, k], dtype=float).ravel()
                    p, v = col[[0, 2, 4]], col[[1, 3, 5]]
                    n = max(1, int(math.ceil(abs(dt) / 2.0)))
                    for _ in range(n):
                        p, v = rk4(p, v, dt / n)
                    out.append([p[0], v[0], p[1], v[1], p[2], v[2]])
                arr = np.array(out).T
                return StateVector(arr) if arr.shape[1] == 1 else StateVectors(arr)

            def covar(self, time_interval, **kwargs):
                dt = time_interval.total_seconds()
                blk = self.q * np.array([[dt ** 3 / 3, dt ** 2 / 2], [dt ** 2 / 2, dt]])
                q = np.zeros((6, 6))
                for i in range(3):
                    q[2 * i:2 * i + 2, 2 * i:2 * i + 2] = blk
                return CovarianceMatrix(q)

        from stonesoup.predictor.kalman import ExtendedKalmanPredictor
        from stonesoup.updater.kalman import ExtendedKalmanUpdater
        self.tm = BallisticECEF()
        self.predictor = ExtendedKalmanPredictor(self.tm)
        self.updater = ExtendedKalmanUpdater(measurement_model=None)
        self.models = {}

    def model(self, row):
        from stonesoup.models.measurement.nonlinear import CartesianToElevationBearingRange
        key = (row["sensor"], row["sigma_range_m"], row["sigma_azimuth_deg"])
        if key not in self.models:
            lat, lon, alt = float(row["sensor_lat"]), float(row["sensor_lon"]), float(row["sensor_alt_m"])
            sr = float(row["sigma_range_m"])
            sa = math.radians(float(row["sigma_azimuth_deg"]))
            se = math.radians(float(row["sigma_elevation_deg"]))
            # The radar's east-north-up frame: rotate by the longitude about z, then
            # tilt by the colatitude about the new x (Stone Soup's roll/pitch/yaw).
            self.models[key] = CartesianToElevationBearingRange(
                ndim_state=6, mapping=(0, 2, 4), noise_covar=np.diag([se ** 2, sa ** 2, sr ** 2]),
                translation_offset=np.array([geodetic_to_ecef(lat, lon, alt)]).T,
                rotation_offset=np.array([[math.pi / 2 - math.radians(lat)], [0.0],
                                          [math.pi / 2 + math.radians(lon)]]))
            self.check(self.models[key], lat, lon, alt)
        return self.models[key]

    @staticmethod
    def check(model, lat, lon, alt):
        # The model must see a point as our radar does (elevation, bearing = 90° − azimuth).
        from stonesoup.types.state import State
        p = geodetic_to_ecef(lat + 2.0, lon + 3.0, 300e3)
        d = enu_rows(lat, lon) @ (p - geodetic_to_ecef(lat, lon, alt))
        el, az = math.atan2(d[2], math.hypot(d[0], d[1])), math.atan2(d[0], d[1])
        z = model.function(State(np.array([[p[0]], [0], [p[1]], [0], [p[2]], [0]])))
        got = (float(z[0, 0]), float(z[1, 0]), float(z[2, 0]))
        want = (el, math.pi / 2 - az, float(np.linalg.norm(d)))
        db = (got[1] - want[1] + math.pi) % (2 * math.pi) - math.pi
        assert abs(got[0] - want[0]) < 1e-9 and abs(db) < 1e-9 and abs(got[2] - want[2]) < 1e-3, (got, want)

    def track(self, plots, t0_s, horizons, t_first):
        """Feed plots from t0_s on; mean states at the horizon times: {h: (t, p, v)}."""
        from stonesoup.types.angle import Bearing, Elevation
        from stonesoup.types.array import StateVector
        from stonesoup.types.detection import Detection
        from stonesoup.types.hypothesis import SingleHypothesis
        from stonesoup.types.state import GaussianState
        epoch = datetime.datetime(2026, 1, 1)
        state, out, cpu, n = None, {}, 0.0, 0
        want = sorted(horizons)
        last_t = None

        def record(upto):
            # The state in force at each horizon up to `upto` (its last update before).
            while want and state is not None and upto >= t_first + want[0]:
                x = np.asarray(state.state_vector, dtype=float).ravel()
                out[want.pop(0)] = (last_t, x[[0, 2, 4]], x[[1, 3, 5]])

        for row in plots:
            t = float(row["t_s"])
            if t < t0_s:
                continue
            # Horizons strictly before this plot: the previous state was in force.
            while want and state is not None and t > t_first + want[0]:
                record(t_first + want[0])
            if not want:
                break
            m = self.model(row)
            az = math.radians(float(row["azimuth_deg"]))
            el = math.radians(float(row["elevation_deg"]))
            r = float(row["range_m"])
            ts = epoch + datetime.timedelta(seconds=t)
            det = Detection(StateVector([Elevation(el), Bearing(math.pi / 2 - az), r]), timestamp=ts,
                            measurement_model=m)
            c0 = time.process_time()
            if state is None:
                site = np.array(m.translation_offset).ravel()
                lat, lon = float(row["sensor_lat"]), float(row["sensor_lon"])
                d = np.array([r * math.cos(el) * math.sin(az), r * math.cos(el) * math.cos(az), r * math.sin(el)])
                p = site + enu_rows(lat, lon).T @ d
                sp = max(r * math.radians(float(row["sigma_azimuth_deg"])), 100.0)
                state = GaussianState(StateVector([p[0], 0, p[1], 0, p[2], 0]),
                                      np.diag([sp ** 2, 3000.0 ** 2] * 3), timestamp=ts)
            else:
                pred = self.predictor.predict(state, timestamp=ts)
                state = self.updater.update(SingleHypothesis(pred, det))
            cpu += time.process_time() - c0
            n += 1
            last_t = t
        if last_t is not None:
            record(last_t)
        return out, (cpu / n * 1e6 if n else None)


def main():
    ap = argparse.ArgumentParser()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--biac", default=None)
    ap.add_argument("--out", default=os.path.join(root, "target", "bench-ballistic"))
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--no-stonesoup", action="store_true")
    a = ap.parse_args()
    biac = a.biac or next(p for p in [os.path.join(root, "target", "release", "biac"),
                                      os.path.join(root, "target", "debug", "biac")] if os.path.exists(p))
    os.makedirs(a.out, exist_ok=True)
    ss = None if a.no_stonesoup else StoneSoup()
    runs = []
    for scen in a.scenarios.split(","):
        # Radar sets: the one, two and three radars with the most plots of this missile.
        plots, _ = sim(biac, scen, 0, ",".join(RADARS), 20, 1.0, os.path.join(a.out, f"{scen}-probe"))
        counts = {}
        for r in read_csv(plots):
            counts[r["sensor"]] = counts.get(r["sensor"], 0) + 1
        best = sorted(counts, key=lambda s: -counts[s])
        sets = [",".join(best[:k]) for k in (1, 2, 3) if len(best) >= k]
        for radars in sets:
            for rn, an in NOISES:
                for seed in range(1, a.seeds + 1):
                    tag = f"{scen}-{len(radars.split(','))}r-{rn:g}m-{an:g}mrad-s{seed}"
                    base = os.path.join(a.out, tag)
                    plots, truth = sim(biac, scen, seed, radars, rn, an, base)
                    prow = read_csv(plots)
                    tr = read_csv(truth)
                    t0 = tr[0]
                    burnout, t_imp = float(t0["burnout_t_s"]), float(t0["impact_t_s"])
                    ilat, ilon = float(t0["impact_lat"]), float(t0["impact_lon"])
                    ptimes = [float(r["t_s"]) for r in prow]
                    post = [t for t in ptimes if t >= burnout]
                    out, us = run_biac(biac, plots, base + ".out.csv")
                    ids = {}
                    for r in out:
                        ids.setdefault(r["track_id"], []).append(r)
                    run = {"tag": tag, "scenario": scen, "radars": len(radars.split(",")), "noise": [rn, an],
                           "plots": len(prow), "tracks": len(ids), "biac_us_per_plot": us, "h": {}}
                    if not post or not ids:
                        runs.append(run)
                        continue
                    t_pb, t_last = post[0], ptimes[-1]
                    main_rows = max(ids.values(), key=len)
                    # Burnout delay: the first row after the truth's burnout whose phase
                    # is no longer boost (None: never declared while the missile was seen).
                    free = next((float(r["t_s"]) for r in main_rows
                                 if r["phase"] != "boost" and float(r["t_s"]) >= burnout - 30), None)
                    run["burnout_delay_s"] = None if free is None else free - burnout
                    for h in HORIZONS:
                        if t_pb + h > t_last:
                            continue  # no plot then: not applicable
                        # The prediction in force at the horizon: the track's last row at
                        # or before it (a lofted shot leaves every radar's reach a few
                        # tens of seconds after burnout; what is scored is what a user
                        # sees then, not the prediction made an hour later when it is
                        # seen again).
                        row = next((r for r in reversed(main_rows) if float(r["t_s"]) <= t_pb + h), None)
                        res = {"predicted": bool(row and row["ipp_lat"])}
                        if res["predicted"]:
                            d, _, _ = geo_dist(float(row["ipp_lat"]), float(row["ipp_lon"]), ilat, ilon)
                            res.update(err_m=d, inside=inside_ellipse(row, ilat, ilon),
                                       dt_err_s=abs(float(row["ipp_t_s"]) - t_imp))
                        run["h"][str(int(h))] = res
                    if ss:
                        states, ss_us = ss.track(prow, t_pb, HORIZONS, t_pb)
                        run["ss_us_per_plot"] = ss_us
                        for h, (t, p, v) in states.items():
                            if t_pb + h > t_last:
                                continue
                            imp = impact_of(p, v)
                            if imp and str(int(h)) in run["h"]:
                                d, _, _ = geo_dist(imp[0], imp[1], ilat, ilon)
                                run["h"][str(int(h))].update(ss_err_m=d, ss_dt_err_s=abs(t + imp[2] - t_imp))
                    runs.append(run)
                    print(json.dumps(run), file=sys.stderr)
    summary = summarize(runs)
    with open(os.path.join(a.out, "runs.json"), "w") as f:
        json.dump(runs, f, indent=1)
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps(summary, indent=1))


def med(v):
    return statistics.median(v) if v else None


def summarize(runs):
    s = {"runs": len(runs), "tracks_per_missile": {}, "by_horizon": {}, "by_scenario": {},
         "coverage_by_scenario": {}, "coverage_by_radars": {}}
    for r in runs:
        k = str(r["tracks"])
        s["tracks_per_missile"][k] = s["tracks_per_missile"].get(k, 0) + 1
    bd = [r["burnout_delay_s"] for r in runs if r.get("burnout_delay_s") is not None]
    s["burnout_delay_s"] = {"declared": len(bd), "median": med(bd), "max": max(bd) if bd else None,
                            "early": sum(1 for d in bd if d < 0)}
    for key, name in [("scenario", "coverage_by_scenario"), ("radars", "coverage_by_radars")]:
        for val in sorted({r[key] for r in runs}):
            rs = [r for r in runs if r[key] == val]
            s[name][str(val)] = {}
            for h in ["30", "60", "120"]:
                got = [r["h"][h] for r in rs if h in r["h"] and r["h"][h]["predicted"]]
                app = sum(1 for r in rs if h in r["h"])
                s[name][str(val)][h] = {"applicable": app, "predicted": len(got),
                                        "coverage95": sum(x["inside"] for x in got) / len(got) if got else None}
    for h in ["30", "60", "120"]:
        hs = [r["h"][h] for r in runs if h in r["h"]]
        got = [x for x in hs if x["predicted"]]
        ss = [x for x in got if "ss_err_m" in x]
        e = {"applicable": len(hs), "predicted": len(got),
             "median_err_m": med([x["err_m"] for x in got]),
             "coverage95": (sum(x["inside"] for x in got) / len(got)) if got else None,
             "median_dt_err_s": med([x["dt_err_s"] for x in got])}
        if ss:
            e["ss_median_err_m"] = med([x["ss_err_m"] for x in ss])
            e["biac_median_err_m_same_runs"] = med([x["err_m"] for x in ss])
            e["ss_median_dt_err_s"] = med([x["ss_dt_err_s"] for x in ss])
            if e["biac_median_err_m_same_runs"]:
                e["ss_over_biac_err"] = e["ss_median_err_m"] / e["biac_median_err_m_same_runs"]
        s["by_horizon"][h] = e
    for scen in sorted({r["scenario"] for r in runs}):
        rs = [r for r in runs if r["scenario"] == scen]
        s["by_scenario"][scen] = {
            h: med([r["h"][h]["err_m"] for r in rs if h in r["h"] and r["h"][h]["predicted"]])
            for h in ["30", "60", "120"]}
    bu = [r["biac_us_per_plot"] for r in runs if r.get("biac_us_per_plot")]
    su = [r["ss_us_per_plot"] for r in runs if r.get("ss_us_per_plot")]
    s["biac_us_per_plot_median"] = med(bu)
    s["ss_us_per_plot_median"] = med(su)
    if bu and su:
        s["ss_over_biac_cpu"] = med(su) / med(bu)
    return s


if __name__ == "__main__":
    main()
