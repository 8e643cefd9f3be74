//! Track-to-track fusion in the tracker: national track reports are fused by
//! covariance intersection with per-source provenance, never as measurements.

// Index loops read better than iterator chains for small fixed-size matrices.
#![allow(clippy::needless_range_loop)]

use super::*;
use crate::geo::geodetic_to_ecef;
use crate::kf::{Mat4, Vec4};
use crate::motion::cholesky;
use biac_model::{
    Classification, Domain, Label, Nation, Observation, ObservationKind, Position, TimeMs, Velocity,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const T0: f64 = 27.0;
const L0: f64 = 125.0;

fn frame() -> EnuFrame {
    EnuFrame::new(T0, L0)
}

fn obs(t: TimeMs, en: [f64; 2], sigma: f64, feed: &str) -> Observation {
    let (lat, lon) = frame().en_to_geodetic(en[0], en[1]);
    Observation::new(
        t,
        Position::new(lat, lon),
        sigma,
        feed,
        Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]),
    )
    .with_domain(Domain::Surface)
}

/// A national track report: track number `tn` on `feed`, with velocity.
fn national(
    t: TimeMs,
    en: [f64; 2],
    v: [f64; 2],
    sigma: f64,
    vel_sigma: f64,
    feed: &str,
    tn: &str,
) -> Observation {
    let mut o = obs(t, en, sigma, feed);
    o.kind = ObservationKind::Track;
    o.identity.track_number = Some(tn.into());
    o.velocity = Some(Velocity {
        east_mps: v[0],
        north_mps: v[1],
    });
    o.vel_sigma_mps = Some(vel_sigma);
    o
}

fn gauss(rng: &mut ChaCha8Rng) -> f64 {
    // Box-Muller.
    let u: f64 = rng.random_range(f64::MIN_POSITIVE..1.0);
    let v: f64 = rng.random_range(0.0..1.0);
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

fn trace(p: &Mat4) -> f64 {
    (0..4).map(|i| p[i][i]).sum()
}

/// `a - b` is positive semi-definite (to a relative tolerance).
fn dominates(a: &Mat4, b: &Mat4) -> bool {
    let mut d: Mat4 = std::array::from_fn(|r| std::array::from_fn(|c| a[r][c] - b[r][c]));
    let eps = 1e-9 * trace(a).max(trace(b));
    for i in 0..4 {
        d[i][i] += eps;
    }
    cholesky(&d).is_some()
}

/// Kalman (independent) fusion of `a` with `b` taken `n` times: the information sum.
fn info_fuse(a: &Mat4, b: &Mat4, n: f64) -> Mat4 {
    let (ia, ib) = (kf::invert(a).unwrap(), kf::invert(b).unwrap());
    let info: Mat4 = std::array::from_fn(|r| std::array::from_fn(|c| ia[r][c] + n * ib[r][c]));
    kf::invert(&info).unwrap()
}

/// The only track's state, its local-only estimate predicted to the track's time, and
/// its stored national estimates predicted likewise.
fn parts(tr: &Tracker) -> (&TrackState, (Vec4, Mat4), Vec<(Vec4, Mat4)>) {
    assert_eq!(tr.tracks.len(), 1);
    let st = tr.tracks.values().next().unwrap();
    let q = tr.cfg.domain(st.domain).q;
    let dt = |t: TimeMs| (st.time_ms - t) as f64 / 1000.0;
    let t2t = st.t2t.as_deref().expect("t2t state");
    let (lx, lp, lt) = t2t.local.expect("local estimate");
    let national = t2t
        .national
        .tracks()
        .map(|n| kf::predict(&n.x, &n.p, dt(n.time_ms), q))
        .collect();
    (st, kf::predict(&lx, &lp, dt(lt), q), national)
}

/// A ship tracked by a local radar for 100 s: (tracker, truth position at `t`).
fn local_track() -> (Tracker, impl Fn(TimeMs) -> [f64; 2]) {
    let truth = |t: TimeMs| {
        let s = t as f64 / 1000.0;
        [3.0 * s, 4.0 * s]
    };
    let mut tr = Tracker::new(TrackerConfig::default());
    for k in 0..=10 {
        let t = k * 10_000;
        tr.process_batch(vec![obs(t, truth(t), 50.0, "radar")]);
    }
    assert_eq!(tr.tracks().len(), 1);
    (tr, truth)
}

/// (a) The same national track sent 50 times counts once: re-sent as is, or repeated
/// as a stream of updates, the fused covariance never drops below the Kalman fusion of
/// the local track with *one* report — which the old path (each report a Kalman update
/// of the track) goes far below.
#[test]
fn a_national_track_sent_fifty_times_counts_once() {
    let (mut tr, truth) = local_track();
    let t = 105_000;
    let report = national(t, truth(t), [3.0, 4.0], 30.0, 0.5, "us-tracks", "T1");
    tr.process_batch(vec![report.clone()]);
    let (st, (lx, lp), nat) = parts(&tr);
    assert_eq!(nat.len(), 1);
    let (x1, p1) = (st.kin.x, st.kin.p);
    // One report helps, and by no more than an independent report could.
    let once = info_fuse(&lp, &nat[0].1, 1.0);
    assert!(trace(&p1) < trace(&lp));
    assert!(dominates(&p1, &once), "fused below one report + local");
    // The old path: the same report as 50 Kalman updates of the track.
    let (mut kx, mut kp) = (lx, lp);
    let (ne, nn) = (nat[0].0[0], nat[0].0[1]);
    for _ in 0..50 {
        (kx, kp) = kf::update_pos_vel(&kx, &kp, [ne, nn, 3.0, 4.0], 900.0, 0.25).unwrap();
    }
    assert!(
        !dominates(&kp, &once) && trace(&kp) < 0.2 * trace(&once),
        "the Kalman path should collapse: {} vs {}",
        trace(&kp),
        trace(&once)
    );
    assert!((trace(&info_fuse(&lp, &nat[0].1, 50.0)) - trace(&kp)).abs() < 1e-6 * trace(&kp));

    // Re-sent 49 more times, as is: nothing changes, bit for bit.
    let updates = tr.tracks()[0].updates;
    for _ in 0..49 {
        tr.process_batch(vec![report.clone()]);
    }
    let st = tr.tracks.values().next().unwrap();
    assert_eq!((st.kin.x, st.kin.p), (x1, p1));
    assert_eq!(tr.tracks()[0].updates, updates + 49);

    // Repeated as a stream (one update a second, no new local data): each replaces the
    // last, and the fused covariance stays above one report + local, predicted.
    for k in 1..=50 {
        let t = 105_000 + k * 1000;
        tr.process_batch(vec![national(
            t,
            truth(t),
            [3.0, 4.0],
            30.0,
            0.5,
            "us-tracks",
            "T1",
        )]);
        let (st, (_, lp), nat) = parts(&tr);
        assert_eq!(nat.len(), 1, "one source, however many reports");
        assert!(
            dominates(&st.kin.p, &info_fuse(&lp, &nat[0].1, 1.0)),
            "report {k}"
        );
    }
    assert_eq!(tr.tracks().len(), 1);
    assert_eq!(
        tr.tracks()[0].sources.keys().collect::<Vec<_>>(),
        ["radar", "us-tracks"]
    );
}

/// A second national track number on the same feed is a second source; a source's
/// newer report replaces its older one; a local update is fused with both.
#[test]
fn sources_are_feed_and_track_number_and_are_replaced() {
    let (mut tr, truth) = local_track();
    let t = 105_000;
    let mut a = national(t, truth(t), [3.0, 4.0], 40.0, 1.0, "us-tracks", "T1");
    tr.process_batch(vec![a.clone()]);
    // A second report with the same number, another feed: another source. A report
    // without velocity: the difference with its previous one gives it.
    let b = national(
        t + 1000,
        truth(t + 1000),
        [3.0, 4.0],
        40.0,
        1.0,
        "au-tracks",
        "T1",
    );
    tr.process_batch(vec![b]);
    let (_, _, nat) = parts(&tr);
    assert_eq!(nat.len(), 2);
    a.time_ms = t + 10_000;
    a.velocity = None;
    a.vel_sigma_mps = None;
    let p = truth(a.time_ms);
    let (lat, lon) = frame().en_to_geodetic(p[0], p[1]);
    a.position = Position::new(lat, lon);
    tr.process_batch(vec![a]);
    let st = tr.tracks.values().next().unwrap();
    let us = st
        .t2t
        .as_ref()
        .unwrap()
        .national
        .get("us-tracks\0T1")
        .unwrap();
    assert_eq!(us.time_ms, t + 10_000);
    // Velocity from the two reports 10 s apart: σ² = 2·40²/10² + q·10/3 per axis.
    assert!((us.x[2] - 3.0).abs() < 1e-6 && (us.x[3] - 4.0).abs() < 1e-6);
    assert!((us.p[2][2] - (2.0 * 1600.0 / 100.0 + 0.05 * 10.0 / 3.0)).abs() < 1e-9);
    assert!((us.p[0][2] - 160.0).abs() < 1e-9);
    let (_, _, nat) = parts(&tr);
    assert_eq!(nat.len(), 2);
    // A radar plot updates the local-only estimate, not the national ones.
    tr.process_batch(vec![obs(120_000, truth(120_000), 50.0, "radar")]);
    let st = tr.tracks.values().next().unwrap();
    let t2t = st.t2t.as_ref().unwrap();
    assert_eq!(t2t.local.unwrap().2, 120_000);
    assert_eq!(
        t2t.national.sources().collect::<Vec<_>>(),
        ["au-tracks\0T1", "us-tracks\0T1"]
    );
    assert_eq!(st.time_ms, 120_000);
}

/// One Monte-Carlo run: a ship seen by a local radar and by two national trackers whose
/// errors share a common part (they feed on the same sensors) and are correlated in
/// time. Returns the position NEES of the tracker's fused track and of the old path
/// (every report a Kalman update, independence assumed) at each of the last scans, and
/// the final fused track.
fn run_once(seed: u64) -> (Vec<f64>, Vec<f64>, Track) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let v = [3.0, 4.0];
    let p0 = [
        rng.random_range(-500.0..500.0),
        rng.random_range(-500.0..500.0),
    ];
    let truth = |t: TimeMs| {
        let s = t as f64 / 1000.0;
        [p0[0] + v[0] * s, p0[1] + v[1] * s]
    };
    // AR(1) errors per 10 s step: common (σ 80 m, 0.8 m/s) and each tracker's own
    // (σ 30 m, 0.5 m/s). Stated: σ = √(80² + 30²) ≈ 85.4 m and 1 m/s, which is right
    // for each tracker on its own.
    let rho: f64 = 0.9;
    let ar = |e: &mut [f64; 4], s: [f64; 2], rng: &mut ChaCha8Rng, first: bool| {
        for i in 0..4 {
            let sd = if i < 2 { s[0] } else { s[1] };
            e[i] = if first {
                sd * gauss(rng)
            } else {
                rho * e[i] + (1.0 - rho * rho).sqrt() * sd * gauss(rng)
            };
        }
    };
    let (mut common, mut own_a, mut own_b) = ([0.0; 4], [0.0; 4], [0.0; 4]);
    let sigma_nat = (80.0f64 * 80.0 + 30.0 * 30.0).sqrt();
    let (sigma_radar, q) = (100.0, TrackerConfig::default().surface.q);
    let mut tr = Tracker::new(TrackerConfig::default());
    // The old path: one Kalman filter fed everything, in the plane.
    let mut naive: Option<(Vec4, Mat4, TimeMs)> = None;
    let mut naive_update = |t: TimeMs, z: [f64; 4], rp: f64, rv: Option<f64>| {
        let (x, p) = match naive {
            None => {
                let mut p = [[0.0; 4]; 4];
                p[0][0] = rp;
                p[1][1] = rp;
                p[2][2] = rv.unwrap_or(225.0);
                p[3][3] = p[2][2];
                let v = if rv.is_some() { [z[2], z[3]] } else { [0.0; 2] };
                ([z[0], z[1], v[0], v[1]], p)
            }
            Some((x, p, t0)) => {
                let (x, p) = kf::predict(&x, &p, (t - t0) as f64 / 1000.0, q);
                match rv {
                    Some(rv) => kf::update_pos_vel(&x, &p, z, rp, rv).unwrap(),
                    None => kf::update_pos(&x, &p, [z[0], z[1]], rp).unwrap(),
                }
            }
        };
        naive = Some((x, p, t));
        (x, p)
    };
    let nees = |x: [f64; 2], p: [[f64; 2]; 2], t: TimeMs| {
        let tt = truth(t);
        kf::mahalanobis2([x[0] - tt[0], x[1] - tt[1]], &p)
            .unwrap()
            .0
    };
    let (mut ci_nees, mut kf_nees) = (Vec::new(), Vec::new());
    for k in 0..=30 {
        let t0 = k * 10_000;
        ar(&mut common, [80.0, 0.8], &mut rng, k == 0);
        ar(&mut own_a, [30.0, 0.5], &mut rng, k == 0);
        ar(&mut own_b, [30.0, 0.5], &mut rng, k == 0);
        let mut batch = Vec::new();
        let tt = truth(t0);
        let z = [
            tt[0] + sigma_radar * gauss(&mut rng),
            tt[1] + sigma_radar * gauss(&mut rng),
        ];
        batch.push(obs(t0, z, sigma_radar, "radar"));
        naive_update(t0, [z[0], z[1], 0.0, 0.0], sigma_radar * sigma_radar, None);
        for (dt, own, feed, tn) in [(3000, &own_a, "nat-a", "A1"), (6000, &own_b, "nat-b", "B7")] {
            // The national trackers report where they think the ship is at their time:
            // truth plus their (correlated) error, here taken at the scan's state.
            let t = t0 + dt;
            let tt = truth(t);
            let e: [f64; 4] = std::array::from_fn(|i| common[i] + own[i]);
            let z = [tt[0] + e[0], tt[1] + e[1], v[0] + e[2], v[1] + e[3]];
            batch.push(national(
                t,
                [z[0], z[1]],
                [z[2], z[3]],
                sigma_nat,
                1.0,
                feed,
                tn,
            ));
            let (x, p) = naive_update(t, z, sigma_nat * sigma_nat, Some(1.0));
            if k >= 10 {
                kf_nees.push(nees(
                    [x[0], x[1]],
                    [[p[0][0], p[0][1]], [p[1][0], p[1][1]]],
                    t,
                ));
            }
        }
        tr.process_batch(batch);
        if k >= 10 {
            let ts = tr.tracks();
            assert_eq!(ts.len(), 1, "seed {seed}, scan {k}: {ts:#?}");
            let t = &ts[0];
            let [e, n] = frame().ecef_to_en(geodetic_to_ecef(
                t.position.lat_deg,
                t.position.lon_deg,
                0.0,
            ));
            let c = t.pos_cov_en;
            ci_nees.push(nees([e, n], [[c[0], c[1]], [c[1], c[2]]], t.time_ms));
        }
    }
    let last = tr.tracks().remove(0);
    (ci_nees, kf_nees, last)
}

/// (b) Two national trackers with correlated errors and a local radar: the fused track
/// is consistent (mean position NEES at most its 2 degrees of freedom, within the
/// Monte-Carlo spread), while the old path — every report a Kalman update — is
/// over-confident. (c) Provenance: every contributing feed is listed.
#[test]
fn b_fusion_with_correlated_national_tracks_is_consistent() {
    let (mut ci, mut naive) = (Vec::new(), Vec::new());
    for seed in 0..100 {
        let (c, n, last) = run_once(seed);
        ci.extend(c);
        naive.extend(n);
        assert_eq!(
            last.sources.keys().collect::<Vec<_>>(),
            ["nat-a", "nat-b", "radar"]
        );
        assert_eq!(last.status, TrackStatus::Confirmed);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (m_ci, m_kf) = (mean(&ci), mean(&naive));
    eprintln!("position NEES (2 dof): CI {m_ci:.2}, Kalman (old path) {m_kf:.2}");
    // 100 runs × 21 scans, correlated in time: ±0.3 is several standard errors.
    assert!(m_ci < 2.3, "CI fusion over-confident: NEES {m_ci:.2}");
    assert!(
        m_kf > 4.0,
        "the naive fusion should be over-confident: {m_kf:.2}"
    );
}

/// Same input, same output, bit for bit, whatever the order inside each batch.
#[test]
fn t2t_fusion_is_deterministic() {
    let run = |rev: bool| {
        let mut tr = Tracker::new(TrackerConfig::default());
        let mut out = Vec::new();
        for k in 0..20i64 {
            let t = k * 5000;
            let s = t as f64 / 1000.0;
            let mut batch = vec![
                obs(t, [3.0 * s + 20.0, 4.0 * s - 10.0], 50.0, "radar"),
                national(
                    t,
                    [3.0 * s - 30.0, 4.0 * s],
                    [3.1, 3.9],
                    60.0,
                    1.0,
                    "b",
                    "9",
                ),
                national(
                    t,
                    [3.0 * s, 4.0 * s + 25.0],
                    [2.9, 4.2],
                    40.0,
                    1.0,
                    "a",
                    "1",
                ),
                national(t, [3.0 * s + 5.0, 4.0 * s], [3.0, 4.0], 40.0, 1.0, "a", "2"),
            ];
            if rev {
                batch.reverse();
            }
            tr.process_batch(batch);
            out.push(tr.tracks());
        }
        (out, tr.stats().clone())
    };
    let a = run(false);
    assert_eq!(a, run(false));
    assert_eq!(a, run(true));
}
