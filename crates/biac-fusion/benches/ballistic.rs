//! Criterion benchmarks of the ballistic model: one EKF predict + 3-D plot update, one
//! impact prediction (sigma points to the ground), and the tracker's cost per plot with
//! 1 and 100 missiles in midcourse seen by three radars (one second of plots per
//! iteration, from a tracker that has followed them for 40 s).
//!
//! `cargo bench -p biac-fusion --bench ballistic`

use std::hint::black_box;

use biac_fusion::ballistic::impact::predict_impact;
use biac_fusion::ballistic::{BallisticParams, Estimate, RadarPlot};
use biac_fusion::{Tracker, TrackerConfig};
use biac_geo::earth::{aer_of, rk4_step, GravityModel};
use biac_geo::{ecef_to_geodetic, geodetic_to_ecef, EnuFrame};
use biac_model::{
    Classification, Domain, Elevation, Label, Nation, Observation, PolarMeasurement, Position,
};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const RADARS: [(&str, (f64, f64, f64)); 3] = [
    ("greenpine", (35.9, 128.2, 100.0)),
    ("tpy2-kyoga", (35.77, 135.2, 100.0)),
    ("tpy2-shariki", (40.89, 140.33, 50.0)),
];
const SIGMA_R: f64 = 20.0;
const SIGMA_A: f64 = 1e-3;

/// Truth every second for `secs` seconds of a free flight from (lat, lon, 100 km).
fn arc(lat: f64, lon: f64, v_enu: [f64; 3], secs: usize) -> Vec<[f64; 3]> {
    let f = EnuFrame::new(lat, lon);
    let (o, tip) = (f.enu_to_ecef([0.0; 3]), f.enu_to_ecef(v_enu));
    let mut p = geodetic_to_ecef(lat, lon, 100_000.0);
    let mut v = [tip[0] - o[0], tip[1] - o[1], tip[2] - o[2]];
    let mut out = vec![p];
    for _ in 0..secs {
        (p, v) = rk4_step(&GravityModel::FULL, p, v, 1.0, |_, _, _| [0.0; 3]);
        out.push(p);
    }
    out
}

fn plot(rng: &mut ChaCha8Rng, t_s: usize, radar: usize, p: [f64; 3]) -> Observation {
    let (name, site) = RADARS[radar];
    let (r, az, el) = aer_of(site, p);
    let mut g = || {
        let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    };
    let (r, az, el) = (
        r + SIGMA_R * g(),
        az.to_radians() + SIGMA_A * g(),
        el.to_radians() + SIGMA_A * g(),
    );
    let pt = biac_geo::point_at_aer(site, r, az.to_degrees(), el.to_degrees());
    let (lat, lon, h) = ecef_to_geodetic(pt);
    let label = Label::rel_to(Classification::Secret, Nation::USA, &[Nation::JPN]);
    let pos = Position {
        lat_deg: lat,
        lon_deg: lon,
        alt_m: Some(h),
    };
    Observation::new(t_s as i64 * 1000, pos, r * SIGMA_A, "bmd", label)
        .with_domain(Domain::Air)
        .with_sensor(name)
        .with_polar(PolarMeasurement {
            sensor_position: Position {
                lat_deg: site.0,
                lon_deg: site.1,
                alt_m: Some(site.2),
            },
            sensor_velocity: None,
            range_m: r,
            range_sigma_m: SIGMA_R,
            azimuth_rad: az,
            azimuth_sigma_rad: SIGMA_A,
            range_rate_mps: None,
            range_rate_sigma_mps: None,
            ground_fix: false,
            elevation: Some(Elevation {
                rad: el,
                sigma_rad: SIGMA_A,
            }),
        })
}

/// Per second, the plots of `n` missiles by every radar that sees them.
fn scans(n: usize, secs: usize) -> Vec<Vec<Observation>> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let arcs: Vec<Vec<[f64; 3]>> = (0..n)
        .map(|k| {
            let lat = 38.5 + 1.5 * rng.random::<f64>();
            let lon = 125.0 + 3.0 * rng.random::<f64>();
            let az = (60.0 + 40.0 * rng.random::<f64>()).to_radians();
            let s = 2_000.0 + 600.0 * (k % 5) as f64;
            arc(lat, lon, [s * az.sin(), s * az.cos(), 2_000.0], secs)
        })
        .collect();
    (0..secs)
        .map(|t| {
            let mut batch = vec![];
            for a in &arcs {
                for (r, (_, site)) in RADARS.iter().enumerate() {
                    let (range, _, el) = aer_of(*site, a[t]);
                    if el > 0.5 && range < 1_500_000.0 {
                        batch.push(plot(&mut rng, t, r, a[t]));
                    }
                }
            }
            batch
        })
        .collect()
}

fn filter(c: &mut Criterion) {
    let prm = BallisticParams::default();
    let site = RADARS[1].1;
    let truth = arc(39.6, 126.5, [2_300.0, 400.0, 2_300.0], 120);
    let mut e: Option<Estimate> = None;
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut last = None;
    for (t, p) in truth.iter().enumerate() {
        let o = plot(&mut rng, t, 1, *p);
        let m = o.polar.as_deref().unwrap();
        let el = m.elevation.unwrap();
        let rp = RadarPlot::new(
            site,
            m.range_m,
            m.azimuth_rad,
            el.rad,
            [SIGMA_R, SIGMA_A, SIGMA_A],
            None,
        )
        .unwrap();
        e = Some(match e {
            None => Estimate::from_plot(&rp, &prm),
            Some(e) => e.predict(1.0, &prm).update(&rp, &prm).unwrap(),
        });
        last = Some(rp);
    }
    let (e, rp) = (e.unwrap(), last.unwrap());
    c.bench_function("ballistic EKF predict 1 s + 3-D plot update", |b| {
        b.iter(|| {
            black_box(&e)
                .predict(1.0, &prm)
                .update(black_box(&rp), &prm)
        })
    });
    c.bench_function("impact prediction (14 sigma points to the ground)", |b| {
        b.iter(|| predict_impact(black_box(&e), &prm))
    });
}

fn tracker(c: &mut Criterion) {
    let mut group = c.benchmark_group("ballistic tracker per second of plots");
    for n in [1usize, 100] {
        let all = scans(n, 45);
        let warm = || {
            let mut t = Tracker::new(TrackerConfig::default());
            for s in &all[..40] {
                t.process_batch(s.clone());
            }
            t
        };
        assert_eq!(warm().ballistic_tracks().len(), n, "one track per missile");
        let next = all[40].clone();
        group.throughput(Throughput::Elements(next.len() as u64));
        group.sample_size(10);
        group.bench_function(format!("{n} missiles, 3 radars"), |b| {
            b.iter_batched(
                || (warm(), next.clone()),
                |(mut t, s)| t.process_batch(s),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, filter, tracker);
criterion_main!(benches);
