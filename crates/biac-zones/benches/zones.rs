//! Query cost of the zone set: what a behaviour rule pays per vessel per update.
//! Points are uniform over the theatre (5–50 N, 115–155 E) and, separately, within 30 nm
//! of a coast, where more candidate segments are near.

use std::hint::black_box;

use biac_zones::{State, ZoneSet};
use criterion::{criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn points(set: &ZoneSet, coastal: bool) -> Vec<(f64, f64)> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let jpn = set.baseline(State::JPN);
    (0..1024)
        .map(|_| {
            if coastal {
                let (a, _, _) = jpn[rng.random_range(0..jpn.len())];
                biac_geo::destination(
                    a.0,
                    a.1,
                    rng.random_range(0.0..360.0),
                    rng.random_range(0.0..30.0) * biac_geo::NM,
                )
            } else {
                (rng.random_range(5.0..50.0), rng.random_range(115.0..155.0))
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let set = ZoneSet::theatre();
    for (label, coastal) in [("theatre", false), ("coastal", true)] {
        let pts = points(&set, coastal);
        let mut i = 0;
        let mut next = || {
            i = (i + 1) % pts.len();
            pts[i]
        };
        c.bench_function(&format!("distance_to_shore_m/{label}"), |b| {
            b.iter(|| {
                let (la, lo) = next();
                black_box(set.distance_to_shore_m(la, lo))
            })
        });
        c.bench_function(&format!("zone_at/{label}"), |b| {
            b.iter(|| {
                let (la, lo) = next();
                black_box(set.zone_at(la, lo))
            })
        });
        c.bench_function(&format!("distance_to_baseline_m_jpn/{label}"), |b| {
            b.iter(|| {
                let (la, lo) = next();
                black_box(set.distance_to_baseline_m(State::JPN, la, lo))
            })
        });
    }
    let mut g = c.benchmark_group("build");
    g.sample_size(10);
    g.bench_function("ZoneSet::theatre", |b| {
        b.iter(|| black_box(ZoneSet::theatre().segment_count()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
