#!/usr/bin/env python3
"""Print the Markdown table of bench/fusion_vs_stonesoup.sh's results in OUTDIR."""
import glob
import json
import os
import re
import sys


def load(path):
    try:
        with open(path) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None


def main():
    out = sys.argv[1]
    rows = []
    for t in glob.glob(os.path.join(out, "n*_s*_k*.biac_timing.json")):
        tag = os.path.basename(t)[: -len(".biac_timing.json")]
        n, seed, steps = map(int, re.match(r"n(\d+)_s(\d+)_k(\d+)", tag).groups())
        rows.append((n, seed, steps, tag))
    rows.sort()
    print("| N | seed | scans | dets/scan | Stone Soup CPU ms/scan mean (p95) "
          "| biac CPU ms/scan mean (p95) | speed-up | Stone Soup GOSPA (loc/missed/false) "
          "| biac GOSPA (loc/missed/false) | biac ≤ SS |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|---|:-:|")
    for n, seed, steps, tag in rows:
        ss = load(os.path.join(out, tag + ".stonesoup.json")) or {}
        bt = load(os.path.join(out, tag + ".biac_timing.json")) or {}
        bs = load(os.path.join(out, tag + ".biac_score.json")) or {}
        if "cpu_ms_per_scan_mean" in ss:
            ss_t = f"{ss['cpu_ms_per_scan_mean']:.1f} ({ss['cpu_ms_per_scan_p95']:.1f})"
            ss_g = (f"{ss['gospa_mean_after10']:.1f} ({ss['gospa_loc_mean']:.1f}/"
                    f"{ss['gospa_missed_mean']:.1f}/{ss['gospa_false_mean']:.1f})")
            ratio = f"{ss['cpu_ms_per_scan_mean'] / bt['cpu_ms_per_scan_mean']:,.0f}×"
            ok = "yes" if bs["gospa_mean"] <= ss["gospa_mean_after10"] + 1e-9 else "**no**"
        else:
            ss_t = f"not run (> {ss.get('timeout_s', '?')} s cap)"
            ss_g, ratio, ok = "–", "–", "–"
        b_t = f"{bt['cpu_ms_per_scan_mean']:.3f} ({bt['cpu_ms_per_scan_p95']:.3f})"
        b_g = (f"{bs['gospa_mean']:.1f} ({bs['gospa_loc_mean']:.1f}/"
               f"{bs['gospa_missed_mean']:.1f}/{bs['gospa_false_mean']:.1f})")
        print(f"| {n} | {seed} | {steps} | {bt.get('mean_dets_per_scan', 0):.0f} | {ss_t} "
              f"| {b_t} | {ratio} | {ss_g} | {b_g} | {ok} |")
    sc = load(os.path.join(out, "scale_10000.json"))
    if sc:
        print()
        print(f"10,000 targets + {sc['clutter_mean']:.0f} false alarms/scan "
              f"({sc['mean_dets_per_scan']:.0f} plots/scan, {sc['steps']} scans, in memory): "
              f"biac CPU {sc['cpu_ms_per_scan_mean']:.1f} ms/scan mean, "
              f"{sc['cpu_ms_per_scan_p95']:.1f} p95 (process_batch "
              f"{sc['cpu_ms_process_batch_mean']:.1f} + tracks_at {sc['cpu_ms_tracks_at_mean']:.1f}); "
              f"GOSPA {sc['gospa_mean']:.0f} ({sc['gospa_loc_mean']:.0f}/"
              f"{sc['gospa_missed_mean']:.0f}/{sc['gospa_false_mean']:.0f}), "
              f"{sc['mean_confirmed_tracks']:.0f} confirmed tracks on average.")


if __name__ == "__main__":
    main()
