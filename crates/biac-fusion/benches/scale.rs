//! Scale benchmark: the GMTI-lite scenario of `bench/` (see `../shared/bench/
//! stonesoup_bench.py`) generated in memory, at any size, through the real tracker.
//!
//! `cargo bench -p biac-fusion --bench scale -- --n 10000 --clutter 10000 --steps 30`
//!
//! N targets, all alive from t = 0, uniform in a square of side 2000·√N m (0.25
//! targets/km²), velocity N(0, 10²) m/s per axis, nearly-constant velocity (q = 1
//! m²/s³), 1 s scans, position-only plots σ = 10 m, Pd = 0.9, Poisson clutter of mean
//! `--clutter` per scan uniform over the square. The plane is mapped onto WGS84 through
//! a tangent plane centred on the square (26° N, 127° E), exactly as `biac track-csv`
//! does, so the timed code is the production path: `Tracker::process_batch` plus
//! `Tracker::tracks_at` per scan, in CPU time of this thread. Building the observations
//! and scoring are outside the timing. Prints one JSON line.

use biac_fusion::geo::{geodetic_to_ecef, EnuFrame};
use biac_fusion::metrics::gospa;
use biac_fusion::motion::ImmParams;
use biac_fusion::{DetectionModel, MotionModel, ScanTuning, Tracker, TrackerConfig};
use biac_model::{Classification, Domain, Label, Nation, Observation, Position};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// CPU time of this thread, seconds: the tracker's own cost, whatever else runs.
fn thread_cpu_s() -> f64 {
    cpu_time::ThreadTime::now().as_duration().as_secs_f64()
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    // Box-Muller.
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn poisson(rng: &mut ChaCha8Rng, mean: f64) -> usize {
    if mean > 50.0 {
        // Normal approximation (relative error of the shape ~1/√mean).
        return (mean + mean.sqrt() * normal(rng)).round().max(0.0) as usize;
    }
    let l = (-mean).exp();
    let (mut k, mut p) = (0, 1.0);
    loop {
        p *= rng.random::<f64>();
        if p <= l {
            return k;
        }
        k += 1;
    }
}

fn arg(args: &[String], name: &str, default: f64) -> f64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("numeric argument"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n = arg(&args, "--n", 10_000.0) as usize;
    let clutter = arg(&args, "--clutter", n as f64);
    let steps = arg(&args, "--steps", 30.0) as usize;
    let seed = arg(&args, "--seed", 1.0) as u64;
    let skip = arg(&args, "--skip", 10.0) as usize;
    let (q, sigma, pd, dt) = (1.0, 10.0, 0.9, 1.0);
    let side = (n as f64 * 4.0e6).sqrt();
    let frame = EnuFrame::new(26.0, 127.0);
    let half = side / 2.0;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut x: Vec<[f64; 4]> = (0..n)
        .map(|_| {
            [
                rng.random_range(0.0..side),
                rng.random_range(0.0..side),
                10.0 * normal(&mut rng),
                10.0 * normal(&mut rng),
            ]
        })
        .collect();
    // `--imm 1`: the CV/CT IMM instead of CV (what it costs on straight-line targets).
    let imm = arg(&args, "--imm", 0.0) != 0.0;
    let mut cfg = TrackerConfig::for_scanning_sensor(&ScanTuning {
        scan_ms: 1000,
        q,
        init_vel_sigma_mps: 15.0,
        gate: 11.83,
        confirm_m: 3,
        confirm_n: 4,
        tentative_misses: 2,
        delete_misses: 5,
        detection: DetectionModel {
            pd,
            clutter_per_m2: clutter / (side * side),
        },
    });
    if imm {
        cfg.motion = MotionModel::Imm(ImmParams::default());
    }
    let mut tracker = Tracker::new(cfg);
    let label = Label::rel_to(Classification::Secret, Nation::USA, &[Nation::JPN]);
    let plot = |xy: [f64; 2], t_ms: i64| {
        let (lat, lon) = frame.en_to_geodetic(xy[0] - half, xy[1] - half);
        Observation::new(t_ms, Position::new(lat, lon), sigma, "gmti", label.clone())
            .with_domain(Domain::Unknown)
            .with_sensor("s1")
    };
    // Exact discretisation of the CV model: per axis Q = q [[dt³/3, dt²/2], [dt²/2, dt]].
    let (q11, q12, q22) = (q * dt * dt * dt / 3.0, q * dt * dt / 2.0, q * dt);
    let l11 = q11.sqrt();
    let l21 = q12 / l11;
    let l22 = (q22 - l21 * l21).sqrt();
    let (mut cpu, mut cpu_track, mut cpu_out) = (Vec::new(), Vec::new(), Vec::new());
    let (mut g, mut loc, mut mis, mut fal, mut ndet, mut ntr) =
        (0.0, 0.0, 0.0, 0.0, 0usize, 0usize);
    for k in 0..steps {
        if k > 0 {
            for s in x.iter_mut() {
                for (p, v) in [(0, 2), (1, 3)] {
                    let (a, b) = (normal(&mut rng), normal(&mut rng));
                    s[p] += dt * s[v] + l11 * a;
                    s[v] += l21 * a + l22 * b;
                }
            }
        }
        let t_ms = (k as f64 * dt * 1000.0) as i64;
        let mut obs = Vec::with_capacity(2 * n);
        for s in &x {
            if rng.random::<f64>() < pd {
                let z = [
                    s[0] + sigma * normal(&mut rng),
                    s[1] + sigma * normal(&mut rng),
                ];
                obs.push(plot(z, t_ms));
            }
        }
        for _ in 0..poisson(&mut rng, clutter) {
            let z = [rng.random_range(0.0..side), rng.random_range(0.0..side)];
            obs.push(plot(z, t_ms));
        }
        ndet += obs.len();
        let c0 = thread_cpu_s();
        tracker.process_batch(obs);
        let c1 = thread_cpu_s();
        let tracks = tracker.tracks_at(t_ms);
        let c2 = thread_cpu_s();
        cpu.push((c2 - c0) * 1e3);
        cpu_track.push((c1 - c0) * 1e3);
        cpu_out.push((c2 - c1) * 1e3);
        if k >= skip {
            let est: Vec<[f64; 2]> = tracks
                .iter()
                .map(|t| {
                    let p = geodetic_to_ecef(t.position.lat_deg, t.position.lon_deg, 0.0);
                    let [e, nn] = frame.ecef_to_en(p);
                    [e + half, nn + half]
                })
                .collect();
            let truth: Vec<[f64; 2]> = x.iter().map(|s| [s[0], s[1]]).collect();
            let r = gospa(&truth, &est, 100.0, 1.0);
            g += r.distance;
            loc += r.localisation;
            mis += r.missed;
            fal += r.false_tracks;
            ntr += tracks.len();
        }
    }
    let stats = |v: &[f64]| {
        let mut w = v[skip.min(v.len() - 1)..].to_vec();
        w.sort_by(f64::total_cmp);
        let mean = w.iter().sum::<f64>() / w.len() as f64;
        let pos = 0.95 * (w.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        (mean, w[lo] + (w[hi] - w[lo]) * (pos - lo as f64))
    };
    let (m, p95) = stats(&cpu);
    let (mt, _) = stats(&cpu_track);
    let (mo, _) = stats(&cpu_out);
    let scored = steps.saturating_sub(skip).max(1) as f64;
    println!(
        "{{\"tracker\":\"biac\",\"imm\":{imm},\"n\":{n},\"clutter_mean\":{clutter},\"steps\":{steps},\"seed\":{seed},\"side_m\":{side:.1},\"mean_dets_per_scan\":{:.1},\"cpu_ms_per_scan_mean\":{m:.3},\"cpu_ms_per_scan_p95\":{p95:.3},\"cpu_ms_process_batch_mean\":{mt:.3},\"cpu_ms_tracks_at_mean\":{mo:.3},\"gospa_mean\":{:.3},\"gospa_loc_mean\":{:.3},\"gospa_missed_mean\":{:.3},\"gospa_false_mean\":{:.3},\"mean_confirmed_tracks\":{:.1},\"live_tracks_at_end\":{}}}",
        ndet as f64 / steps as f64,
        g / scored,
        loc / scored,
        mis / scored,
        fal / scored,
        ntr as f64 / scored,
        tracker.live_track_count(),
    );
}
