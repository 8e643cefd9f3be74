//! The manoeuvring tier: GMTI-lite density and sensor (σ = 10 m, Pd = 0.9, 1 s scans,
//! mean clutter N per scan over a square of side 2000·√N m), but the N targets are
//! fast movers (30–60 m/s) flying legs of straight flight (10–25 s) and coordinated
//! turns (10–25 s at 0.05–0.15 rad/s either way: 1.5–9 m/s², up to ~1 g). Used by
//! `tests/manoeuvre.rs` and `benches/manoeuvre.rs` (which can dump it in the format of
//! `../shared/bench/stonesoup_bench.py --dump`, so `gospa_score.py` and
//! `biac track-csv` reproduce the figures independently).

#![allow(dead_code)]

use std::io::Write;

use biac_fusion::geo::{geodetic_to_ecef, EnuFrame};
use biac_fusion::metrics::gospa;
use biac_fusion::{DetectionModel, ScanTuning, Tracker, TrackerConfig};
use biac_model::{Classification, Domain, Label, Nation, Observation, Position};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub const SIGMA: f64 = 10.0;
pub const PD: f64 = 0.9;

/// Truth of one target at one scan: `[x, y, vx, vy]` and whether it is turning.
pub type Truth = ([f64; 4], bool);

/// A detection `[x, y]` and its target id (-1 = clutter).
pub type Det = ([f64; 2], i64);

pub struct Scenario {
    pub side: f64,
    /// Per scan: truths (index = target id) and detections (target id, -1 = clutter).
    pub scans: Vec<(Vec<Truth>, Vec<Det>)>,
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> usize {
    let l = (-mean).exp();
    if l == 0.0 {
        return (mean + mean.sqrt() * normal(rng)).round().max(0.0) as usize;
    }
    let (mut k, mut p) = (0, 1.0);
    loop {
        p *= rng.random::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

pub fn generate(n: usize, steps: usize, seed: u64) -> Scenario {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let side = (n as f64 * 4.0e6).sqrt();
    // Per target: position, heading, speed, current turn rate, seconds left in the leg.
    let mut st: Vec<([f64; 2], f64, f64, f64, f64)> = (0..n)
        .map(|_| {
            let p = [rng.random_range(0.0..side), rng.random_range(0.0..side)];
            let h = rng.random_range(0.0..std::f64::consts::TAU);
            let v = rng.random_range(30.0..60.0);
            (p, h, v, 0.0, rng.random_range(5.0f64..25.0).round())
        })
        .collect();
    let mut scans = Vec::with_capacity(steps);
    for k in 0..steps {
        if k > 0 {
            for s in st.iter_mut() {
                // Exact arc over 1 s (legs switch on whole seconds).
                let (p, h, v, w) = (&mut s.0, &mut s.1, s.2, s.3);
                if w == 0.0 {
                    p[0] += v * h.cos();
                    p[1] += v * h.sin();
                } else {
                    p[0] += v / w * ((*h + w).sin() - h.sin());
                    p[1] += v / w * (h.cos() - (*h + w).cos());
                    *h += w;
                }
                s.4 -= 1.0;
                if s.4 <= 0.0 {
                    if s.3 == 0.0 {
                        let w = rng.random_range(0.05..0.15);
                        s.3 = if rng.random::<bool>() { w } else { -w };
                    } else {
                        s.3 = 0.0;
                    }
                    s.4 = rng.random_range(10.0f64..25.0).round();
                }
            }
        }
        let truth: Vec<Truth> = st
            .iter()
            .map(|s| {
                (
                    [s.0[0], s.0[1], s.2 * s.1.cos(), s.2 * s.1.sin()],
                    s.3 != 0.0,
                )
            })
            .collect();
        let mut dets = Vec::new();
        for (i, t) in truth.iter().enumerate() {
            if rng.random::<f64>() < PD {
                let z = [
                    t.0[0] + SIGMA * normal(&mut rng),
                    t.0[1] + SIGMA * normal(&mut rng),
                ];
                dets.push((z, i as i64));
            }
        }
        for _ in 0..poisson(&mut rng, n as f64) {
            dets.push((
                [rng.random_range(0.0..side), rng.random_range(0.0..side)],
                -1,
            ));
        }
        scans.push((truth, dets));
    }
    Scenario { side, scans }
}

/// `stonesoup_bench.py --dump` format: `step,t_s,kind,id,x,y,vx,vy`.
pub fn dump_csv(s: &Scenario, w: &mut impl Write) -> std::io::Result<()> {
    writeln!(w, "step,t_s,kind,id,x,y,vx,vy")?;
    for (k, (truth, dets)) in s.scans.iter().enumerate() {
        for (i, (x, _)) in truth.iter().enumerate() {
            writeln!(
                w,
                "{k},{k}.0,truth,{i},{:.4},{:.4},{:.4},{:.4}",
                x[0], x[1], x[2], x[3]
            )?;
        }
        for (z, id) in dets {
            writeln!(w, "{k},{k}.0,det,{id},{:.4},{:.4},,", z[0], z[1])?;
        }
    }
    Ok(())
}

/// `biac track-csv`'s management defaults with a velocity prior wide enough for
/// 60 m/s movers (the GMTI-lite default of 15 m/s would never start them).
pub fn tuning(side: f64, n: usize) -> ScanTuning {
    ScanTuning {
        scan_ms: 1000,
        q: 1.0,
        init_vel_sigma_mps: 40.0,
        gate: 11.83,
        confirm_m: 3,
        confirm_n: 4,
        tentative_misses: 2,
        delete_misses: 5,
        detection: DetectionModel {
            pd: PD,
            clutter_per_m2: n as f64 / (side * side),
        },
    }
}

#[derive(Debug, Default, Clone)]
pub struct Score {
    pub gospa: f64,
    pub loc: f64,
    pub missed: f64,
    pub false_tracks: f64,
    /// Position RMSE of assigned (within c) tracks, over truths turning / straight.
    pub rmse_turn: f64,
    pub rmse_straight: f64,
    pub cpu_ms: Vec<f64>,
}

/// Run the real tracker (WGS84 in, per-track tangent frames) on `s`, scoring GOSPA
/// (α = 2, p = 1, c = 100 m) from scan `skip` on. `clock` times each scan.
pub fn run(s: &Scenario, cfg: TrackerConfig, skip: usize, clock: fn() -> f64) -> Score {
    let frame = EnuFrame::new(26.0, 127.0);
    let half = s.side / 2.0;
    let label = Label::rel_to(Classification::Secret, Nation::USA, &[Nation::JPN]);
    let mut tracker = Tracker::new(cfg);
    let mut sc = Score::default();
    let (mut se_t, mut n_t, mut se_s, mut n_s) = (0.0, 0usize, 0.0, 0usize);
    for (k, (truth, dets)) in s.scans.iter().enumerate() {
        let t_ms = k as i64 * 1000;
        let obs: Vec<Observation> = dets
            .iter()
            .map(|(z, _)| {
                let (lat, lon) = frame.en_to_geodetic(z[0] - half, z[1] - half);
                Observation::new(t_ms, Position::new(lat, lon), SIGMA, "gmti", label.clone())
                    .with_domain(Domain::Unknown)
                    .with_sensor("s1")
            })
            .collect();
        let c0 = clock();
        tracker.process_batch(obs);
        let tracks = tracker.tracks_at(t_ms);
        sc.cpu_ms.push((clock() - c0) * 1e3);
        if k < skip {
            continue;
        }
        let est: Vec<[f64; 2]> = tracks
            .iter()
            .map(|t| {
                let p = geodetic_to_ecef(t.position.lat_deg, t.position.lon_deg, 0.0);
                let [e, n] = frame.ecef_to_en(p);
                [e + half, n + half]
            })
            .collect();
        let tp: Vec<[f64; 2]> = truth.iter().map(|(x, _)| [x[0], x[1]]).collect();
        let g = gospa(&tp, &est, 100.0, 1.0);
        sc.gospa += g.distance;
        sc.loc += g.localisation;
        sc.missed += g.missed;
        sc.false_tracks += g.false_tracks;
        for (i, a) in g.assignment.iter().enumerate() {
            if let Some(j) = a {
                let d2 = (tp[i][0] - est[*j][0]).powi(2) + (tp[i][1] - est[*j][1]).powi(2);
                if truth[i].1 {
                    se_t += d2;
                    n_t += 1;
                } else {
                    se_s += d2;
                    n_s += 1;
                }
            }
        }
    }
    let m = s.scans.len().saturating_sub(skip).max(1) as f64;
    sc.gospa /= m;
    sc.loc /= m;
    sc.missed /= m;
    sc.false_tracks /= m;
    sc.rmse_turn = (se_t / n_t.max(1) as f64).sqrt();
    sc.rmse_straight = (se_s / n_s.max(1) as f64).sqrt();
    sc
}
