#!/usr/bin/env python3
"""GMTI tier: Stone Soup on the MQ-9's STANAG 4607 dwells (see docs/BENCHMARKS.md).

Sub-commands (each prints one JSON line on stdout, except table):

  stonesoup --dets DUMP.csv --tracks OUT.csv [--q 0.05] [--prior-vel 15]
            [--max-distance 1000]
      DUMP.csv is what `biac-harness track-csv CAPTURE.4607 ... --input gmti
      --dump-dets DUMP.csv` writes: per target report the measurement the feed's own
      decoder made of it (sensor and report on the plane, the sensor's height, slant range,
      azimuth, ground-referenced range-rate and their sigmas). Stone Soup tracks on the
      ground plane with CartesianToBearingRangeRate2D — bearing, horizontal range and the
      horizontal range-rate, each detection with its own model (the sensor moves: its
      translation offset is the platform's position at that dwell; the range-rate is
      already ground-referenced, so the sensor velocity is zero). The slant values become
      horizontal ones by the dwell's own geometry (r_h from the plane, ṙ_h = ṙ·r/r_h,
      σ_r and σ_ṙ scaled by r/r_h); one model per dwell, since the KD-tree pre-gate
      needs one model for all the detections it indexes: the RMS of the dwell's
      per-report sigmas (they differ by a few per cent within a dwell). Everything else is the composition of
      stonesoup_bench.py / polar_bench.py: ExtendedKalmanUpdater, KalmanPredictor with
      the movers' constant-velocity model, Mahalanobis DistanceHypothesiser (3σ miss
      distance), GNN 2-D assignment with the detection KD-tree pre-gate (--max-distance
      in measurement space; wide, so that the Mahalanobis gate decides),
      MultiMeasurementInitiator (3 points), deletion after 5 misses. Stone Soup cannot
      invert a range-rate model, so a new track starts from the detection's bearing and
      range (CartesianToBearingRange, invertible) and the velocity prior. Timing:
      time.thread_time() around update_tracker per dwell, first 10 excluded
      (polar_bench.run).

  table OUTDIR
      The markdown table of a bench/gmti_stonesoup.sh output folder.

Needs stonesoup, numpy, scipy. GOSPA is ../shared/bench/gospa_score.py score.
"""
import argparse
import csv
import datetime
import glob
import json
import math
import os
import sys
from collections import defaultdict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import polar_bench  # noqa: E402  (its tracker composition's run loop and timing)

from stonesoup.base import Property  # noqa: E402
from stonesoup.dataassociator.tree import DetectionKDTreeGNN2D  # noqa: E402
from stonesoup.deleter.time import UpdateTimeStepsDeleter  # noqa: E402
from stonesoup.hypothesiser.distance import DistanceHypothesiser  # noqa: E402
from stonesoup.initiator import Initiator  # noqa: E402
from stonesoup.initiator.simple import (MultiMeasurementInitiator,  # noqa: E402
                                        SimpleMeasurementInitiator)
from stonesoup.measures import Mahalanobis  # noqa: E402
from stonesoup.models.measurement.nonlinear import (  # noqa: E402
    CartesianToBearingRange, CartesianToBearingRangeRate2D)
from stonesoup.models.transition.linear import (  # noqa: E402
    CombinedLinearGaussianTransitionModel, ConstantVelocity)
from stonesoup.predictor.kalman import KalmanPredictor  # noqa: E402
from stonesoup.tracker.simple import MultiTargetTracker  # noqa: E402
from stonesoup.types.angle import Bearing  # noqa: E402
from stonesoup.types.array import StateVector  # noqa: E402
from stonesoup.types.detection import Detection  # noqa: E402
from stonesoup.types.state import GaussianState  # noqa: E402
from stonesoup.updater.kalman import ExtendedKalmanUpdater  # noqa: E402

T0 = polar_bench.T0


class BearingRangeInitiator(Initiator):
    """Starts a track from the bearing and range of a range-rate detection (the model
    with range-rate has no inverse in Stone Soup); the velocity comes from the prior."""

    prior_state: GaussianState = Property(doc="Prior state information")

    def initiate(self, detections, timestamp, **kwargs):
        simple = SimpleMeasurementInitiator(self.prior_state)
        dets = set()
        for d in detections:
            m = d.measurement_model
            br = CartesianToBearingRange(ndim_state=4, mapping=(0, 2),
                                         noise_covar=m.noise_covar[:2, :2],
                                         translation_offset=m.translation_offset)
            dets.add(Detection(d.state_vector[:2, :], timestamp=d.timestamp,
                               measurement_model=br))
        return simple.initiate(dets, timestamp)


def read_dump(path):
    """Per step: (t_s, [Detection]) from a --dump-dets file."""
    by_step = defaultdict(list)
    t_of = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            k = int(row["step"])
            t_of[k] = float(row["t_s"])
            by_step[k].append(row)
    scans = []
    for k in sorted(t_of):
        ts = T0 + datetime.timedelta(seconds=t_of[k])
        rows = []
        for row in by_step[k]:
            sx, sy = float(row["sensor_x"]), float(row["sensor_y"])
            dx, dy = float(row["x"]) - sx, float(row["y"]) - sy
            rh = math.hypot(dx, dy)
            rows.append((sx, sy, dx, dy, rh, float(row["range_m"]) / rh, row))
        if not rows:
            scans.append((k, t_of[k], set()))
            continue
        # One model per dwell (the KD-tree pre-gate needs one model for all the
        # detections it indexes): the dwell's sensor position, and the RMS of its
        # reports' sigmas (they differ by a few per cent across a dwell).
        rms = lambda v: math.sqrt(sum(x * x for x in v) / len(v))  # noqa: E731
        mm = CartesianToBearingRangeRate2D(
            ndim_state=4, mapping=(0, 2), velocity_mapping=(1, 3),
            noise_covar=np.diag([
                rms([float(r[6]["sigma_azimuth_rad"]) for r in rows]) ** 2,
                rms([float(r[6]["sigma_range_m"]) * r[5] for r in rows]) ** 2,
                rms([float(r[6]["sigma_range_rate_mps"]) * r[5] for r in rows]) ** 2]),
            translation_offset=StateVector([rows[0][0], rows[0][1]]),
            velocity=StateVector([0.0, 0.0]))
        dets = {Detection(StateVector([Bearing(math.atan2(dy, dx)), rh,
                                       float(row["range_rate_mps"]) * k_h]),
                          timestamp=ts, measurement_model=mm)
                for _, _, dx, dy, rh, k_h, row in rows}
        scans.append((k, t_of[k], dets))
    return scans


def cmd_stonesoup(a):
    scans = read_dump(a.dets)
    tm = CombinedLinearGaussianTransitionModel([ConstantVelocity(a.q)] * 2)
    predictor = KalmanPredictor(tm)
    updater = ExtendedKalmanUpdater(None)
    hyp = DistanceHypothesiser(predictor, updater, measure=Mahalanobis(), missed_distance=3)

    def assoc():
        return DetectionKDTreeGNN2D(hypothesiser=hyp, predictor=predictor, updater=updater,
                                    max_distance=a.max_distance)
    prior = GaussianState(np.zeros((4, 1)), np.diag([0, a.prior_vel**2, 0, a.prior_vel**2]))
    initiator = MultiMeasurementInitiator(
        prior_state=prior, deleter=UpdateTimeStepsDeleter(2), data_associator=assoc(),
        updater=updater, min_points=3, initiator=BearingRangeInitiator(prior))
    tracker = MultiTargetTracker(initiator=initiator, deleter=UpdateTimeStepsDeleter(5),
                                 detector=None, data_associator=assoc(), updater=updater)
    res = polar_bench.run(tracker, scans, a.tracks)
    res.update(model="CartesianToBearingRangeRate2D+ExtendedKalmanUpdater", q=a.q,
               prior_vel=a.prior_vel, max_distance=a.max_distance)
    print(json.dumps(res))


def cmd_table(a):
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
        p = lambda suffix: load(os.path.join(a.outdir, tag + suffix))  # noqa: E731
        rows.append((m["n"], m["seed"], m, p(".stonesoup.json"), p(".stonesoup_score.json"),
                     p(".biac_gmti.timing.json"), p(".biac_gmti.score.json"),
                     p(".biac_plots.timing.json"), p(".biac_plots.score.json")))
    rows.sort(key=lambda r: (r[0], r[1]))
    print("| N | seed | dwells | reports/dwell | Stone Soup EKF CPU ms/dwell mean (p95) "
          "| biac sensor-space CPU ms/dwell mean (p95) | speed-up "
          "| Stone Soup EKF GOSPA (loc/missed/false) | biac sensor-space GOSPA (loc/missed/false) "
          "| biac converted plots GOSPA (loc/missed/false) | biac plots CPU ms/dwell |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|")
    for n, seed, m, ss, sss, bt, bs, pt, ps in rows:
        sp = "—"
        if ss and bt and "cpu_ms_per_scan_mean" in ss and bt["cpu_ms_per_scan_mean"] > 0:
            sp = f"{ss['cpu_ms_per_scan_mean'] / bt['cpu_ms_per_scan_mean']:,.0f}×"
        print(f"| {n} | {seed} | {m['steps']} | {m['mean_dets_per_scan']:.1f} | {cpu(ss)} "
              f"| {cpu(bt)} | {sp} | {g(sss)} | {g(bs)} | {g(ps)} | {cpu(pt)} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("stonesoup")
    s.add_argument("--dets", required=True)
    s.add_argument("--tracks", required=True)
    s.add_argument("--q", type=float, default=0.05)
    s.add_argument("--prior-vel", type=float, default=15.0)
    s.add_argument("--max-distance", type=float, default=1000.0)
    t = sub.add_parser("table")
    t.add_argument("outdir")
    a = ap.parse_args()
    {"stonesoup": cmd_stonesoup, "table": cmd_table}[a.cmd](a)


if __name__ == "__main__":
    main()
