//! All behaviour rules on a 10,000-vessel picture updated at 1 Hz: the cost of one update
//! (every vessel's report through gap, spoofing, loitering, zone entry against the
//! theatre's zone polygons, and encounters), with the real coastline and port list.

use std::sync::Arc;

use biac_analytics::behaviour::{
    parse_zones_geojson, theatre_geography, BehaviourWatch, Engine, Fix, LiveRules, Thresholds,
};
use biac_model::{Identity, Label, Nation, Position, Track, Velocity};
use criterion::{criterion_group, criterion_main, Criterion};

const VESSELS: u32 = 10_000;

struct Ship {
    lat: f64,
    lon: f64,
    /// Degrees per second north and east.
    vlat: f64,
    vlon: f64,
    sog: f64,
}

/// A deterministic spread over the theatre's seas: a third slow (loiterers, pairs), the
/// rest under way at 5–20 kn; every 50th vessel shadows the one before 300 m away.
fn fleet() -> Vec<Ship> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut ships: Vec<Ship> = Vec::new();
    for i in 0..VESSELS {
        if i % 50 == 1 {
            let p = &ships[ships.len() - 1];
            let s = Ship {
                lat: p.lat + 0.0027,
                lon: p.lon,
                vlat: p.vlat,
                vlon: p.vlon,
                sog: p.sog,
            };
            ships.push(s);
            continue;
        }
        let sog = if rnd() < 0.33 {
            rnd() * 1.9
        } else {
            5.0 + 15.0 * rnd()
        };
        let course = rnd() * std::f64::consts::TAU;
        let dps = sog * 1852.0 / 3600.0 / 111_000.0;
        ships.push(Ship {
            lat: 20.0 + 20.0 * rnd(),
            lon: 122.0 + 28.0 * rnd(),
            vlat: dps * course.cos(),
            vlon: dps * course.sin(),
            sog,
        });
    }
    ships
}

fn bench(c: &mut Criterion) {
    // The theatre's zones as the COP and `biac events --zones` read them.
    let set = biac_zones::ZoneSet::theatre();
    let areas = parse_zones_geojson(&biac_zones::display::feature_collection(&set).to_string())
        .unwrap()
        .areas;
    let n_areas = areas.len();
    let mut engine = Engine::new(Thresholds::default(), theatre_geography(), areas);
    let mut ships = fleet();
    let mut t_ms: i64 = 1_767_225_600_000;
    let mut update = |engine: &mut Engine<_>| {
        t_ms += 1_000;
        for (i, s) in ships.iter_mut().enumerate() {
            s.lat += s.vlat;
            s.lon += s.vlon;
            engine.push(&Fix {
                mmsi: 200_000_000 + i as u32,
                t_ms,
                lat: s.lat,
                lon: s.lon,
                sog_kn: Some(s.sog),
            });
        }
    };
    // Ten minutes of history first, so pairs and runs are under way.
    for _ in 0..600 {
        update(&mut engine);
    }
    eprintln!(
        "behaviour bench: {} vessels, {} zones, {} encounter pairs",
        engine.vessels(),
        n_areas,
        engine.pairs()
    );
    let mut g = c.benchmark_group("behaviour");
    g.sample_size(30);
    g.bench_function("all_rules_10000_vessels_1hz_update_wall", |b| {
        b.iter(|| update(&mut engine))
    });
    g.bench_function("all_rules_10000_vessels_1hz_update_cpu", |b| {
        b.iter_custom(|iters| {
            let t = cpu_time::ThreadTime::now();
            for _ in 0..iters {
                update(&mut engine);
            }
            t.elapsed()
        })
    });
    g.finish();
    live(c);
}

/// The live form on a picture: the engine's rules plus the live-only ones (dark vessel,
/// radar-only in zone against biac-zones' exact zones, identity change, AIS/radar
/// mismatch). Every 100th track carries no MMSI (radar-only), every 100th AIS track
/// has a radar twin 3 km off (mismatch pairs).
fn live(c: &mut Criterion) {
    let set = Arc::new(biac_zones::ZoneSet::theatre());
    let areas = parse_zones_geojson(&biac_zones::display::feature_collection(&set).to_string())
        .unwrap()
        .areas;
    let label = Label::unclassified_public(Nation::JPN);
    let zones = areas.into_iter().map(|a| (a, label.clone())).collect();
    let rules = LiveRules {
        ais_feeds: ["ais".to_string()].into(),
        zones: Some((set, label.clone())),
        ..Default::default()
    };
    let mut watch =
        BehaviourWatch::new(Thresholds::default(), theatre_geography(), zones).with_live(rules);
    let mut ships = fleet();
    let mut tracks: Vec<Track> = ships
        .iter()
        .enumerate()
        .map(|(i, s)| {
            Track::new(i as u64 + 1, 0, Position::new(s.lat, s.lon), label.clone())
                .with_velocity(Velocity {
                    east_mps: s.vlon * 111_000.0 * s.lat.to_radians().cos(),
                    north_mps: s.vlat * 111_000.0,
                })
                .with_cov([100.0, 0.0, 100.0])
                .with_identity(Identity {
                    mmsi: (i % 100 != 99).then_some(200_000_000 + i as u32),
                    name: Some(format!("VESSEL {i}")),
                    ship_type: Some(70),
                    ..Default::default()
                })
        })
        .collect();
    let mut t_ms: i64 = 1_767_225_600_000;
    let mut update = |watch: &mut BehaviourWatch<_>, tracks: &mut Vec<Track>| {
        t_ms += 1_000;
        for (i, (s, t)) in ships.iter_mut().zip(tracks.iter_mut()).enumerate() {
            s.lat += s.vlat;
            s.lon += s.vlon;
            // A radar twin 3 km north of the AIS track before it.
            let twin = i % 100 == 99;
            t.position = Position::new(s.lat + if twin { 0.027 } else { 0.0 }, s.lon);
            t.time_ms = t_ms;
        }
        // Twins copy their AIS vessel's motion.
        for i in (99..tracks.len()).step_by(100) {
            let (p, v) = (tracks[i - 1].position, tracks[i - 1].velocity);
            tracks[i].position = Position::new(p.lat_deg + 0.027, p.lon_deg);
            tracks[i].velocity = v;
        }
        watch.evaluate(tracks.iter()).len()
    };
    for _ in 0..600 {
        update(&mut watch, &mut tracks);
    }
    let mut g = c.benchmark_group("behaviour");
    g.sample_size(30);
    g.bench_function("live_watch_10000_tracks_1hz_update_cpu", |b| {
        b.iter_custom(|iters| {
            let t = cpu_time::ThreadTime::now();
            for _ in 0..iters {
                update(&mut watch, &mut tracks);
            }
            t.elapsed()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
