//! Ballistic tracks in the composed tracker: one track per missile from its first plot
//! to impact, fused across radars; aircraft tracks untouched by missile plots (and
//! missiles by aircraft plots); replay determinism whatever the batching.

mod ballistic_support;

use ballistic_support::*;
use biac_fusion::ballistic::Phase;
use biac_fusion::{Tracker, TrackerConfig};
use std::collections::{BTreeMap, BTreeSet};

use biac_model::{Observation, Track};

/// Two missiles launched 40 s apart from two sites, seen by the three radars.
fn missiles(seed: u64) -> (Vec<(i64, i64)>, Vec<Observation>) {
    let radars = radars(20.0, 1e-3);
    let arcs = [
        arc(
            39.6,
            126.5,
            80_000.0,
            [2_300.0, 400.0, 2_300.0],
            0.0,
            0.0,
            30_000.0,
        ),
        arc(
            40.0,
            128.2,
            60_000.0,
            [1_800.0, -300.0, 1_900.0],
            0.0,
            0.0,
            60_000.0,
        ),
    ];
    let mut noise = Noise::new(seed);
    let mut obs = vec![];
    let mut spans = vec![];
    for (i, a) in arcs.iter().enumerate() {
        let shift = 40.0 * i as f64;
        let mine: Vec<Observation> = plots(a, &radars, &mut noise)
            .iter()
            .map(|p| {
                let mut o = observation(p, &radars[p.radar]);
                o.time_ms += (shift * 1000.0) as i64;
                o
            })
            .collect();
        spans.push((mine[0].time_ms, mine.last().unwrap().time_ms));
        obs.extend(mine);
    }
    obs.sort_by_key(|o| o.time_ms);
    (spans, obs)
}

/// Aircraft plots from a 2-D radar over the Sea of Japan, under the missiles' paths.
fn aircraft(until_ms: i64) -> Vec<Observation> {
    let mut out = vec![];
    let mut t = 0;
    while t < until_ms {
        for k in 0..3 {
            let lon = 130.0 + 0.3 * k as f64 + 2.5e-6 * t as f64;
            let label = biac_model::Label::rel_to(
                biac_model::Classification::Secret,
                biac_model::Nation::JPN,
                &[biac_model::Nation::USA],
            );
            let pos = biac_model::Position::new(39.5 + 0.1 * k as f64, lon);
            out.push(
                Observation::new(t, pos, 150.0, "adsb-radar", label)
                    .with_domain(biac_model::Domain::Air)
                    .with_sensor("r2d"),
            );
        }
        t += 4_000;
    }
    out
}

fn run(batches: &[Vec<Observation>]) -> (Tracker, Vec<Vec<Track>>) {
    let mut tr = Tracker::new(TrackerConfig::default());
    let mut pictures = vec![];
    for b in batches {
        tr.process_batch(b.clone());
        pictures.push(tr.tracks());
    }
    (tr, pictures)
}

fn by_time(obs: &[Observation], window_ms: i64) -> Vec<Vec<Observation>> {
    let mut out: Vec<Vec<Observation>> = vec![];
    for o in obs {
        match out.last_mut() {
            Some(b) if o.time_ms / window_ms == b[0].time_ms / window_ms => b.push(o.clone()),
            _ => out.push(vec![o.clone()]),
        }
    }
    out
}

#[test]
fn one_track_per_missile_from_first_plot_to_impact() {
    let (spans, obs) = missiles(7);
    let mut tr = Tracker::new(TrackerConfig::default());
    // Per track: (created, last update, phases seen).
    let mut seen: BTreeMap<u64, (i64, i64, BTreeSet<Phase>)> = BTreeMap::new();
    for b in by_time(&obs, 1000) {
        tr.process_batch(b);
        for t in tr.ballistic_tracks() {
            let e = seen
                .entry(t.id)
                .or_insert((t.created_ms, 0, BTreeSet::new()));
            e.1 = t.time_ms;
            e.2.insert(t.estimate.phase);
        }
    }
    assert_eq!(seen.len(), spans.len(), "one track per missile: {seen:?}");
    // Each from its missile's first plot to its last, through every phase.
    let all: BTreeSet<Phase> = [Phase::Boost, Phase::Midcourse, Phase::Terminal].into();
    for ((created, last, phases), (first_plot, last_plot)) in seen.values().zip(&spans) {
        assert_eq!(created, first_plot);
        assert_eq!(last, last_plot);
        assert_eq!(phases, &all);
    }
    // After impact, the deleter removes them.
    let end = obs.last().unwrap().time_ms;
    tr.advance_to(end + 30_000);
    assert!(tr.ballistic_tracks().is_empty());
}

#[test]
fn missile_plots_never_touch_aircraft_tracks() {
    let (_, mobs) = missiles(3);
    let end = mobs.last().unwrap().time_ms;
    let air = aircraft(end);
    let mut both = air.clone();
    both.extend(mobs.iter().cloned());
    both.sort_by_key(|o| o.time_ms);
    // The aircraft picture with and without the missile plots, batch by batch.
    let (_, alone) = run(&by_time(&air, 4_000));
    let (tr, mixed) = run(&by_time(&both, 4_000));
    let strip = |p: &Vec<Vec<Track>>| -> Vec<Vec<Track>> {
        p.iter()
            .map(|ts| {
                ts.iter()
                    .filter(|t| t.sources.contains_key("adsb-radar"))
                    .cloned()
                    .collect()
            })
            .collect()
    };
    let mixed_air = strip(&mixed);
    assert_eq!(alone.len(), mixed_air.len());
    for (a, m) in alone.iter().zip(&mixed_air) {
        // Track ids differ (missile tracks take ids too); everything else is identical.
        assert_eq!(a.len(), m.len());
        for (x, y) in a.iter().zip(m) {
            let mut y = y.clone();
            y.id = x.id;
            assert_eq!(*x, y);
        }
    }
    // And no track mixes the two kinds of source.
    for t in tr.tracks() {
        assert!(!(t.sources.contains_key("adsb-radar") && t.sources.contains_key("bmd")));
    }
    assert!(tr.ballistic_tracks().len() <= 2);
}

#[test]
fn replay_is_deterministic_whatever_the_batching() {
    let (_, obs) = missiles(11);
    let (a, pa) = run(&by_time(&obs, 1_000));
    let (b, _) = run(&by_time(&obs, 5_000));
    let (c, pc) = run(&by_time(&obs, 1_000));
    assert_eq!(a.ballistic_tracks(), b.ballistic_tracks());
    assert_eq!(a.ballistic_tracks(), c.ballistic_tracks());
    assert_eq!(pa, pc);
    assert_eq!(a.stats(), b.stats());
}
