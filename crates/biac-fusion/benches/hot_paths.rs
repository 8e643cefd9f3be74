//! Criterion micro-benchmarks of the tracker's hot paths: Kalman predict + update,
//! the two gating stages (spatial index, then χ²), the assignment solver, and the
//! tangent-plane → WGS84 conversion every reported track goes through; the IMM
//! (CV + coordinated turn) predict/update, the polar EKF update and covariance
//! intersection.
//!
//! `cargo bench -p biac-fusion --bench hot_paths`

use std::hint::black_box;

use biac_fusion::geo::{geodetic_to_ecef, EnuFrame};
use biac_fusion::grid::BallIndex;
use biac_fusion::motion::{self, Imm, ImmParams};
use biac_fusion::{assign, kf, measure, t2t};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn steady_cov() -> kf::Mat4 {
    // Roughly the steady state of the GMTI-lite filter (q = 1, σ = 10 m, 1 s scans).
    [
        [55.0, 2.0, 18.0, 0.5],
        [2.0, 60.0, 0.5, 19.0],
        [18.0, 0.5, 9.0, 0.2],
        [0.5, 19.0, 0.2, 9.5],
    ]
}

fn kalman(c: &mut Criterion) {
    let x = [100.0, -40.0, 12.0, -3.0];
    let p = steady_cov();
    c.bench_function("kf predict + position update (CV, Joseph)", |b| {
        b.iter(|| {
            let (xp, pp) = kf::predict(black_box(&x), black_box(&p), 1.0, 1.0);
            kf::update_pos(&xp, &pp, black_box([111.0, -44.0]), 100.0)
        })
    });
    c.bench_function(
        "kf predict + position-velocity update (general form)",
        |b| {
            b.iter(|| {
                let (xp, pp) = kf::predict(black_box(&x), black_box(&p), 1.0, 1.0);
                kf::update_pos_vel(&xp, &pp, black_box([111.0, -44.0, 11.0, -2.0]), 100.0, 4.0)
            })
        },
    );
}

fn filters(c: &mut Criterion) {
    let prm = ImmParams::default();
    let x = [100.0, -40.0, 12.0, -3.0];
    let mut imm = Imm::from_cv(&x, &steady_cov(), &prm);
    // A settled IMM (a few updates in), so the models differ as they do in a track.
    for k in 1..=5 {
        let z = [100.0 + 12.0 * k as f64, -40.0 - 3.0 * k as f64];
        imm = imm.predict(1.0, &prm).update_pos(z, 100.0).unwrap().0;
    }
    c.bench_function("IMM CV+CT predict (mixing + 2 model predictions)", |b| {
        b.iter(|| black_box(&imm).predict(1.0, &prm))
    });
    let pred = imm.predict(1.0, &prm);
    c.bench_function(
        "IMM CV+CT position update (2 Joseph EKF updates + mode probs)",
        |b| b.iter(|| black_box(&pred).update_pos(black_box([172.0, -58.0]), 100.0)),
    );
    c.bench_function("IMM predict + update + combine", |b| {
        b.iter(|| {
            let (u, _) = black_box(&imm)
                .predict(1.0, &prm)
                .update_pos(black_box([172.0, -58.0]), 100.0)
                .unwrap();
            u.combined4()
        })
    });
    // A radar 80 km away: range/azimuth (and Doppler) EKF update of a CV state.
    let sensor = [-60_000.0, -50_000.0];
    let r = measure::diag([20.0, 0.002]);
    let rd = measure::diag([20.0, 0.002, 0.5]);
    let (xp, pp) = kf::predict(&x, &steady_cov(), 1.0, 1.0);
    c.bench_function("polar (range, azimuth) EKF update, CV state", |b| {
        b.iter(|| {
            let (nu, h) = measure::polar(sensor, black_box(&xp), [78_200.0, 0.876]).unwrap();
            motion::update_ekf(&xp, &pp, &nu, &h, &r)
        })
    });
    c.bench_function("polar + range-rate EKF update, CV state", |b| {
        b.iter(|| {
            let z = [78_200.0, 0.876, 9.5];
            let (nu, h) = measure::polar_doppler(sensor, [0.0; 2], black_box(&xp), z).unwrap();
            motion::update_ekf(&xp, &pp, &nu, &h, &rd)
        })
    });
    let mut other = steady_cov();
    other[0][0] *= 3.0;
    other[1][1] *= 0.5;
    c.bench_function("covariance intersection 4-state (trace-optimal ω)", |b| {
        b.iter(|| {
            t2t::covariance_intersection(
                black_box(&x),
                &steady_cov(),
                black_box(&xp),
                &other,
                t2t::CiCriterion::Trace,
            )
        })
    });
}

/// `n` track balls and `2n` plots over a square of side 2000·√n m (the GMTI-lite
/// density), as ECEF points around 26° N 127° E.
/// (frame, track gates as (ECEF centre, radius), plot ECEF positions).
type Scene = (EnuFrame, Vec<([f64; 3], f64)>, Vec<[f64; 3]>);

fn scene(n: usize) -> Scene {
    let frame = EnuFrame::new(26.0, 127.0);
    let side = 2000.0 * (n as f64).sqrt();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let pt = |rng: &mut ChaCha8Rng| {
        let (lat, lon) = frame.en_to_geodetic(
            rng.random_range(-side / 2.0..side / 2.0),
            rng.random_range(-side / 2.0..side / 2.0),
        );
        geodetic_to_ecef(lat, lon, 0.0)
    };
    let balls = (0..n)
        .map(|_| (pt(&mut rng), rng.random_range(90.0..180.0)))
        .collect();
    let plots = (0..2 * n).map(|_| pt(&mut rng)).collect();
    (frame, balls, plots)
}

fn gating(c: &mut Criterion) {
    let (frame, balls, plots) = scene(10_000);
    c.bench_function("gating stage 1: build index of 10k track gates", |b| {
        b.iter(|| BallIndex::build(black_box(&balls), 50.0, 20_000.0))
    });
    let index = BallIndex::build(&balls, 50.0, 20_000.0);
    let s = [[160.0, 5.0], [5.0, 170.0]];
    c.bench_function("gating stages 1+2: 20k plots against 10k tracks", |b| {
        let mut cands = Vec::new();
        b.iter(|| {
            let mut gated = 0u32;
            for p in &plots {
                cands.clear();
                index.query_point(*p, &mut cands);
                for &i in &cands {
                    let (c, _) = balls[i as usize];
                    let d = [p[0] - c[0], p[1] - c[1], p[2] - c[2]];
                    if d[0] * d[0] + d[1] * d[1] + d[2] * d[2] > balls[i as usize].1.powi(2) {
                        continue;
                    }
                    let a = frame.ecef_to_en(*p);
                    let b = frame.ecef_to_en(c);
                    if let Some((d2, _)) = kf::mahalanobis2([a[0] - b[0], a[1] - b[1]], &s) {
                        gated += u32::from(d2 <= 11.83);
                    }
                }
            }
            gated
        })
    });
}

fn assignment(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    // A typical crossing cluster: 3 tracks, 4 plots (+ 3 miss columns).
    let small: Vec<f64> = (0..3 * 7).map(|_| rng.random_range(0.0..20.0)).collect();
    c.bench_function("assign::solve 3x7 cluster", |b| {
        b.iter(|| assign::solve(black_box(&small), 3, 7))
    });
    for n in [50usize, 200] {
        let cost: Vec<f64> = (0..n * 2 * n)
            .map(|_| rng.random_range(0.0..100.0))
            .collect();
        c.bench_function(&format!("assign::solve dense {n}x{}", 2 * n), |b| {
            b.iter_batched(
                || cost.clone(),
                |m| assign::solve(&m, n, 2 * n),
                BatchSize::SmallInput,
            )
        });
    }
}

fn geodesy(c: &mut Criterion) {
    let f = EnuFrame::new(26.0, 127.0);
    c.bench_function("tangent plane -> WGS84 (en_to_geodetic, 15 km out)", |b| {
        b.iter(|| f.en_to_geodetic(black_box(12_000.0), black_box(-9_000.0)))
    });
    c.bench_function("WGS84 -> ECEF -> tangent plane", |b| {
        b.iter(|| f.ecef_to_en(geodetic_to_ecef(black_box(26.1), black_box(127.1), 0.0)))
    });
}

criterion_group!(benches, kalman, filters, gating, assignment, geodesy);
criterion_main!(benches);
