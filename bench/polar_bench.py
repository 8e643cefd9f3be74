#!/usr/bin/env python3
"""Polar-sensor tier and Stone Soup runs on dumped scenarios (see docs/BENCHMARKS.md).

Sub-commands (all print one JSON line on stdout):

  make --n N --steps S --seed K --scenario SCEN.csv --dets DETS.csv
       [--sensor-dist 50000] [--sigma-r 10] [--sigma-b-deg 0.1] [--shared DIR]
      The GMTI-lite truth of ../shared/bench/stonesoup_bench.py (its make_scenario, same
      N, steps and seed: the same targets as the Cartesian tier) seen by one radar on
      the plane at --sensor-dist metres south-west of the square's centre. Per scan each
      target is detected with Pd = 0.9 as (range, bearing) plus N(0, sigma) noise;
      clutter: Poisson, mean N per scan, uniform over the square (0.25 /km²/scan, as the
      Cartesian tier), turned into exact (range, bearing). Bearing is in radians,
      clockwise from north (the plane's y axis). Writes SCEN.csv in stonesoup_bench.py's
      --dump format (truth rows; det rows at the detections' planar points), for
      gospa_score.py score, and DETS.csv as `step,t_s,range,bearing` (shuffled within a
      scan). Prints the sensor position.

  stonesoup-polar --dets DETS.csv --tracks OUT.csv --sensor-x X --sensor-y Y
       [--sigma-r 10] [--sigma-b-deg 0.1] [--q 1] [--prior-vel 15]
      Stone Soup's own way for a range/bearing sensor: CartesianToBearingRange (with the
      sensor's translation offset) as the measurement model, ExtendedKalmanUpdater,
      KalmanPredictor with the scenario's constant-velocity model, Mahalanobis
      DistanceHypothesiser (3 sigma miss distance), GNN 2-D assignment with the
      detection KD-tree pre-gate (150 m ball in measurement space: a ±150 m range band),
      MultiMeasurementInitiator (3 points; it initiates through the model's inverse
      function), deletion after 5 misses. Timing: time.thread_time() around
      update_tracker per scan, first 10 scans excluded (as stonesoup_bench.py).

  stonesoup-xy --scenario SCEN.csv --tracks OUT.csv [--sigma 10] [--q 1] [--prior-vel 15]
      The same tracker with the linear position model (KalmanUpdater, LinearGaussian) on
      the det rows of a scenario in --dump format (e.g. the manoeuvring tier's).

  table OUTDIR
      The markdown table of a bench/fusion_polar.sh output folder.

Tracks are written as `step,track_id,x,y,vx,vy` (every confirmed track after each scan),
the input of gospa_score.py score. Needs stonesoup, numpy, scipy.
"""
import argparse
import csv
import datetime
import json
import math
import os
import sys
import time
from collections import defaultdict

import numpy as np

import stonesoup
from stonesoup.dataassociator.tree import DetectionKDTreeGNN2D
from stonesoup.deleter.time import UpdateTimeStepsDeleter
from stonesoup.hypothesiser.distance import DistanceHypothesiser
from stonesoup.initiator.simple import MultiMeasurementInitiator
from stonesoup.measures import Mahalanobis
from stonesoup.models.measurement.linear import LinearGaussian
from stonesoup.models.measurement.nonlinear import CartesianToBearingRange
from stonesoup.models.transition.linear import (
    CombinedLinearGaussianTransitionModel, ConstantVelocity)
from stonesoup.predictor.kalman import KalmanPredictor
from stonesoup.tracker.simple import MultiTargetTracker
from stonesoup.types.angle import Bearing
from stonesoup.types.array import StateVector
from stonesoup.types.detection import Detection
from stonesoup.types.state import GaussianState
from stonesoup.updater.kalman import ExtendedKalmanUpdater, KalmanUpdater

PD = 0.9
T0 = datetime.datetime(2025, 1, 1)


def cmd_make(a):
    sys.path.insert(0, a.shared)
    import stonesoup_bench  # the shared scenario generator (truth only is used)

    side, truths, _ = stonesoup_bench.make_scenario(a.n, a.steps, a.seed)
    dt = stonesoup_bench.DT
    c = side / 2 - a.sensor_dist / math.sqrt(2)
    sensor = np.array([c, c])
    sr, sb = a.sigma_r, math.radians(a.sigma_b_deg)
    rng = np.random.default_rng([a.seed, 4607])
    scen = open(a.scenario, "w", newline="")
    dets = open(a.dets, "w", newline="")
    ws, wd = csv.writer(scen), csv.writer(dets)
    ws.writerow(["step", "t_s", "kind", "id", "x", "y", "vx", "vy"])
    wd.writerow(["step", "t_s", "range", "bearing"])
    ndet = 0
    for k, x in enumerate(truths):
        t = k * dt
        for i, row in enumerate(x):
            ws.writerow([k, t, "truth", i, *(f"{v:.4f}" for v in (row[0], row[2], row[1], row[3]))])
        rows = []
        hit = rng.random(len(x)) < PD
        for i in np.nonzero(hit)[0]:
            d = np.array([x[i, 0], x[i, 2]]) - sensor
            r = math.hypot(d[0], d[1]) + sr * rng.standard_normal()
            b = math.atan2(d[0], d[1]) + sb * rng.standard_normal()
            rows.append((int(i), r, b))
        for p in rng.uniform(0, side, (rng.poisson(a.n), 2)):
            d = p - sensor
            rows.append((-1, math.hypot(d[0], d[1]), math.atan2(d[0], d[1])))
        rng.shuffle(rows)
        for tid, r, b in rows:
            ws.writerow([k, t, "det", tid, f"{sensor[0] + r * math.sin(b):.4f}",
                         f"{sensor[1] + r * math.cos(b):.4f}", "", ""])
            wd.writerow([k, t, f"{r:.4f}", f"{b:.9f}"])
        ndet += len(rows)
    scen.close()
    dets.close()
    print(json.dumps(dict(n=a.n, steps=a.steps, seed=a.seed, side_m=round(side, 1),
                          sensor_x=float(sensor[0]), sensor_y=float(sensor[1]),
                          sensor_dist_m=a.sensor_dist, sigma_r=sr, sigma_b_deg=a.sigma_b_deg,
                          mean_dets_per_scan=ndet / a.steps)))


def build(mm, updater, q, prior_vel):
    tm = CombinedLinearGaussianTransitionModel([ConstantVelocity(q)] * 2)
    predictor = KalmanPredictor(tm)
    hyp = DistanceHypothesiser(predictor, updater, measure=Mahalanobis(), missed_distance=3)

    def assoc():
        return DetectionKDTreeGNN2D(hypothesiser=hyp, predictor=predictor, updater=updater,
                                    max_distance=150.0)
    initiator = MultiMeasurementInitiator(
        prior_state=GaussianState(np.zeros((4, 1)), np.diag([0, prior_vel**2, 0, prior_vel**2])),
        measurement_model=mm, deleter=UpdateTimeStepsDeleter(2),
        data_associator=assoc(), updater=updater, min_points=3)
    return MultiTargetTracker(initiator=initiator, deleter=UpdateTimeStepsDeleter(5),
                              detector=None, data_associator=assoc(), updater=updater)


def run(tracker, scans, out_path, skip=10):
    """scans: sorted list of (step, t_s, set of Detection). Returns timing dict."""
    cpu, ntr = [], []
    with open(out_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["step", "track_id", "x", "y", "vx", "vy"])
        ids = {}
        for k, t, dets in scans:
            ts = T0 + datetime.timedelta(seconds=t)
            c0 = time.thread_time()
            _, tracks = tracker.update_tracker(ts, dets)
            cpu.append(time.thread_time() - c0)
            ntr.append(len(tracks))
            for tr in sorted(tracks, key=lambda tr: tr.id):
                tid = ids.setdefault(tr.id, len(ids) + 1)
                sv = tr.state_vector
                w.writerow([k, tid, f"{sv[0, 0]:.3f}", f"{sv[2, 0]:.3f}",
                            f"{sv[1, 0]:.3f}", f"{sv[3, 0]:.3f}"])
    ct = np.array(cpu[min(skip, len(cpu) - 1):]) * 1e3
    return dict(tracker="stonesoup", stonesoup=stonesoup.__version__,
                python=sys.version.split()[0], scans=len(scans),
                mean_dets_per_scan=float(np.mean([len(s[2]) for s in scans])),
                cpu_ms_per_scan_mean=float(ct.mean()),
                cpu_ms_per_scan_p95=float(np.percentile(ct, 95)),
                cpu_ms_total=float(np.sum(cpu) * 1e3),
                mean_confirmed_tracks=float(np.mean(ntr[skip:])) if len(ntr) > skip else None,
                loadavg_1m_at_end=float(open("/proc/loadavg").read().split()[0]))


def cmd_stonesoup_polar(a):
    sr, sb = a.sigma_r, math.radians(a.sigma_b_deg)
    # Stone Soup's measurement vector is [bearing, range]; its bearing is atan2(dy, dx)
    # (counter-clockwise from the x axis), ours clockwise from the y axis.
    mm = CartesianToBearingRange(ndim_state=4, mapping=(0, 2),
                                 noise_covar=np.diag([sb**2, sr**2]),
                                 translation_offset=StateVector([a.sensor_x, a.sensor_y]))
    by_step = defaultdict(list)
    t_of = {}
    with open(a.dets, newline="") as f:
        for row in csv.DictReader(f):
            k = int(row["step"])
            t_of[k] = float(row["t_s"])
            by_step[k].append((float(row["range"]), float(row["bearing"])))
    scans = []
    for k in sorted(t_of):
        ts = T0 + datetime.timedelta(seconds=t_of[k])
        dets = {Detection(StateVector([Bearing(math.pi / 2 - b), r]), timestamp=ts,
                          measurement_model=mm) for r, b in by_step[k]}
        scans.append((k, t_of[k], dets))
    tracker = build(mm, ExtendedKalmanUpdater(mm), a.q, a.prior_vel)
    res = run(tracker, scans, a.tracks)
    res.update(model="CartesianToBearingRange+ExtendedKalmanUpdater", q=a.q, prior_vel=a.prior_vel)
    print(json.dumps(res))


def cmd_stonesoup_xy(a):
    mm = LinearGaussian(4, [0, 2], np.diag([a.sigma**2] * 2))
    by_step = defaultdict(list)
    t_of = {}
    with open(a.scenario, newline="") as f:
        for row in csv.DictReader(f):
            k = int(row["step"])
            t_of[k] = float(row["t_s"])
            if row["kind"] == "det":
                by_step[k].append((float(row["x"]), float(row["y"])))
    scans = []
    for k in sorted(t_of):
        ts = T0 + datetime.timedelta(seconds=t_of[k])
        dets = {Detection(StateVector([x, y]), timestamp=ts, measurement_model=mm)
                for x, y in by_step[k]}
        scans.append((k, t_of[k], dets))
    tracker = build(mm, KalmanUpdater(mm), a.q, a.prior_vel)
    res = run(tracker, scans, a.tracks)
    res.update(model="LinearGaussian+KalmanUpdater", q=a.q, prior_vel=a.prior_vel)
    print(json.dumps(res))


def cmd_table(a):
    """Markdown table of a fusion_polar.sh output folder."""
    import glob

    def load(path):
        try:
            with open(path) as f:
                return json.loads(f.readline())
        except (OSError, ValueError):
            return None

    def g(sc):
        if not sc:
            return "—"
        return (f"{sc['gospa_mean']:.1f} ({sc['gospa_loc_mean']:.1f}/"
                f"{sc['gospa_missed_mean']:.1f}/{sc['gospa_false_mean']:.1f})")

    def cpu(t):
        if not t or "cpu_ms_per_scan_mean" not in t:
            return "—"
        return f"{t['cpu_ms_per_scan_mean']:.3f} ({t['cpu_ms_per_scan_p95']:.3f})"

    rows = []
    for mk in glob.glob(os.path.join(a.outdir, "*.make.json")):
        tag = os.path.basename(mk)[:-len(".make.json")]
        m = load(mk)
        p = lambda suffix: load(os.path.join(a.outdir, tag + suffix))
        rows.append((m["n"], m["seed"], m, p(".stonesoup.json"), p(".stonesoup_score.json"),
                     p(".biac_polar.timing.json"), p(".biac_polar.score.json"),
                     p(".biac_plots.timing.json"), p(".biac_plots.score.json")))
    rows.sort(key=lambda r: (r[0], r[1]))
    print("| N | seed | scans | dets/scan | Stone Soup EKF CPU ms/scan mean (p95) "
          "| biac polar CPU ms/scan mean (p95) | speed-up | Stone Soup EKF GOSPA (loc/missed/false) "
          "| biac polar GOSPA (loc/missed/false) | biac converted plots GOSPA (loc/missed/false) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|---|---|")
    for n, seed, m, ss, sss, bt, bs, pt, ps in rows:
        sp = "—"
        if ss and bt and "cpu_ms_per_scan_mean" in ss and bt["cpu_ms_per_scan_mean"] > 0:
            sp = f"{ss['cpu_ms_per_scan_mean'] / bt['cpu_ms_per_scan_mean']:,.0f}×"
        print(f"| {n} | {seed} | {m['steps']} | {m['mean_dets_per_scan']:.0f} | {cpu(ss)} "
              f"| {cpu(bt)} | {sp} | {g(sss)} | {g(bs)} | {g(ps)} |")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--n", type=int, required=True)
    m.add_argument("--steps", type=int, required=True)
    m.add_argument("--seed", type=int, required=True)
    m.add_argument("--scenario", required=True)
    m.add_argument("--dets", required=True)
    m.add_argument("--sensor-dist", type=float, default=50_000.0)
    m.add_argument("--sigma-r", type=float, default=10.0)
    m.add_argument("--sigma-b-deg", type=float, default=0.1)
    m.add_argument("--shared", default=os.path.join(here, "..", "..", "shared", "bench"))
    p = sub.add_parser("stonesoup-polar")
    p.add_argument("--dets", required=True)
    p.add_argument("--tracks", required=True)
    p.add_argument("--sensor-x", type=float, required=True)
    p.add_argument("--sensor-y", type=float, required=True)
    p.add_argument("--sigma-r", type=float, default=10.0)
    p.add_argument("--sigma-b-deg", type=float, default=0.1)
    p.add_argument("--q", type=float, default=1.0)
    p.add_argument("--prior-vel", type=float, default=15.0)
    x = sub.add_parser("stonesoup-xy")
    x.add_argument("--scenario", required=True)
    x.add_argument("--tracks", required=True)
    x.add_argument("--sigma", type=float, default=10.0)
    x.add_argument("--q", type=float, default=1.0)
    x.add_argument("--prior-vel", type=float, default=15.0)
    tb = sub.add_parser("table")
    tb.add_argument("outdir")
    a = ap.parse_args()
    {"make": cmd_make, "stonesoup-polar": cmd_stonesoup_polar,
     "stonesoup-xy": cmd_stonesoup_xy, "table": cmd_table}[a.cmd](a)


if __name__ == "__main__":
    main()
