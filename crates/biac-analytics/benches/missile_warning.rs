//! The missile warning's cost per evaluation of one missile whose prediction changed: the
//! 256-point integral of its impact ellipse over the zones (Japan and Korea protected) and,
//! for the overflight case, the search of its ground track. Three cases: an impact near
//! Japan's EEZ limit off Sanriku (every point queried), an IRBM over Tohoku to the Pacific
//! (ground track searched), and an SRBM into Korea's EEZ far from Japan (Japan pre-filtered).

use std::hint::black_box;

use biac_analytics::missile_warning::{assess, MissileWarningWatch, WarningConfig};
use biac_model::{
    Domain, FlightPhase, ImpactPrediction, Label, Missile, Nation, Position, Track, Velocity,
};
use biac_zones::{State, ZoneConfig};
use criterion::{criterion_group, criterion_main, Criterion};

fn path(lat0: f64, lon0: f64, lat1: f64, lon1: f64) -> Vec<[f64; 3]> {
    let (d, az, _) = biac_geo::inverse(lat0, lon0, lat1, lon1);
    (0..30)
        .map(|i| {
            let (la, lo) = biac_geo::destination(lat0, lon0, az, d * i as f64 / 29.0);
            [lo, la, 300_000.0]
        })
        .collect()
}

fn missile(lat: f64, lon: f64, semi_major_m: f64, trajectory: Vec<[f64; 3]>) -> Missile {
    Missile {
        phase: FlightPhase::Midcourse,
        alt_m: 300_000.0,
        speed_mps: 3000.0,
        climb_mps: 0.0,
        ipp: Some(ImpactPrediction {
            lat,
            lon,
            t_ms: 600_000,
            semi_major_m,
            semi_minor_m: semi_major_m / 3.0,
            major_bearing_deg: 80.0,
        }),
        launch: None,
        trajectory,
    }
}

fn track(m: &Missile, t_ms: i64) -> Track {
    let label = Label::unclassified_public(Nation::USA);
    Track::new(1, t_ms, Position::new(40.0, 130.0), label)
        .with_velocity(Velocity {
            east_mps: 2000.0,
            north_mps: 0.0,
        })
        .with_cov([100.0, 0.0, 100.0])
        .with_domain(Domain::Air)
        .with_updates(t_ms as u64)
        .with_missile(m.clone())
}

fn bench(c: &mut Criterion) {
    let zones = biac_zones::shared(ZoneConfig::default());
    let set = zones.get();
    let states = [State::JPN, State::KOR];
    let cases = [
        // About 380 km east of Miyagi: near the EEZ limit.
        ("eez_limit", missile(38.2, 146.0, 30_000.0, vec![])),
        (
            "irbm_overflight",
            missile(40.0, 152.0, 30_000.0, path(40.7, 128.0, 40.0, 152.0)),
        ),
        ("srbm_korea", missile(36.6, 130.3, 5_000.0, vec![])),
    ];
    for (name, m) in &cases {
        c.bench_function(&format!("assess/{name}"), |b| {
            b.iter(|| black_box(assess(set, m, &states, true)))
        });
    }
    // The watch as the runtime calls it: each evaluation sees a newer version of the track.
    let (_, m) = &cases[1];
    let mut w = MissileWarningWatch::new(&WarningConfig::default(), zones.clone())
        .expect("default configuration");
    let mut t = 0;
    c.bench_function("watch_evaluate/irbm_overflight", |b| {
        b.iter(|| {
            t += 1;
            black_box(w.evaluate([&track(m, t)]))
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
