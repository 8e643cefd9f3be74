//! End-to-end tracking scenarios against geodesic-correct truth.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use biac_fusion::{Tracker, TrackerConfig};
use biac_model::{
    Classification, Domain, Identity, Label, Nation, NationSet, Observation, ObservationKind,
    Track, TrackStatus, Velocity,
};
use common::*;

fn run(tr: &mut Tracker, obs: Vec<Observation>, window_ms: i64, mut each: impl FnMut(&Tracker)) {
    for (end, batch) in batches(obs, window_ms) {
        tr.process_batch(batch);
        tr.advance_to(end);
        each(tr);
    }
}

/// One ship, AIS and a radar: one track, both sources, accurate. Run with the radar
/// first (the AIS report must join the radar track) and with AIS first.
#[test]
fn ship_seen_by_ais_and_radar_is_one_track() {
    for (radar_from, ais_from) in [(0usize, 60usize), (60, 0)] {
        let truth = path(
            Mover {
                lat: 30.0,
                lon: 123.0,
                az: 45.0,
                speed: 8.0,
            },
            1200,
        );
        let mut rng = Noise::new(1);
        let mut obs = Vec::new();
        for s in (radar_from..=1200).step_by(4) {
            if rng.chance(0.9) {
                let p = rng.jitter(truth[s].pos(), 60.0);
                obs.push(plot(s as i64 * 1000, p, 60.0, "radar-jp", "r1"));
            }
        }
        for s in (ais_from..=1200).step_by(10) {
            let m = &truth[s];
            let p = rng.jitter(m.pos(), 10.0);
            let v = Velocity::from_sog_cog(m.speed + 0.2 * rng.gauss(), m.az + rng.gauss());
            obs.push(ais(s as i64 * 1000, p, v, 431_000_001));
        }
        let mut tr = Tracker::new(TrackerConfig::default());
        let mut errs = Vec::new();
        run(&mut tr, obs, 30_000, |tr| {
            let ts = tr.tracks();
            assert!(ts.len() <= 1, "duplicate tracks: {ts:#?}");
            if let Some(t) = ts.first() {
                if t.time_ms >= 120_000 {
                    let s = (t.time_ms / 1000) as usize;
                    errs.push(dist_m(track_pos(t), truth[s].pos()));
                }
            }
        });
        let ts = tr.tracks();
        assert_eq!(ts.len(), 1);
        let t = &ts[0];
        assert_eq!(t.sources.keys().collect::<Vec<_>>(), ["ais", "radar-jp"]);
        assert_eq!(t.identity.mmsi, Some(431_000_001));
        assert_eq!(t.domain, Domain::Surface);
        let max = errs.iter().cloned().fold(0.0, f64::max);
        eprintln!(
            "ais+radar (radar from {radar_from}s, ais from {ais_from}s): rms {:.1} m, max {:.1} m over {} samples; stats {:?}",
            rms(&errs),
            max,
            errs.len(),
            tr.stats()
        );
        assert!(max < 50.0, "max error {max}");
        assert!(tr.stats().new_tracks == 1, "{:?}", tr.stats());
    }
}

/// Two ships 120 m apart, side by side, both on AIS and radar: the radar plots are
/// ambiguous, but tracks with different MMSI never merge or swap identities.
#[test]
fn different_mmsi_never_merge() {
    let a = path(
        Mover {
            lat: 29.0,
            lon: 124.0,
            az: 90.0,
            speed: 6.0,
        },
        900,
    );
    let b0 = direct(29.0, 124.0, 0.0, 120.0);
    let b = path(
        Mover {
            lat: b0.0,
            lon: b0.1,
            az: 90.0,
            speed: 6.0,
        },
        900,
    );
    let mut rng = Noise::new(2);
    let mut obs = Vec::new();
    for s in (0..=900).step_by(10) {
        for (m, mmsi, off) in [(&a, 1u32, 0usize), (&b, 2, 3)] {
            let mm = &m[s + off.min(900 - s)];
            let p = rng.jitter(mm.pos(), 30.0);
            let mut o = ais((s + off.min(900 - s)) as i64 * 1000, p, mm.velocity(), mmsi);
            o.pos_sigma_m = 30.0;
            obs.push(o);
        }
    }
    for s in (0..=900).step_by(5) {
        for m in [&a, &b] {
            let p = rng.jitter(m[s].pos(), 80.0);
            obs.push(plot(s as i64 * 1000, p, 80.0, "radar", "r"));
        }
    }
    let mut tr = Tracker::new(TrackerConfig::default());
    run(&mut tr, obs, 30_000, |tr| {
        let ts = tr.tracks();
        let mmsis: BTreeSet<_> = ts.iter().filter_map(|t| t.identity.mmsi).collect();
        assert_eq!(
            mmsis.len(),
            ts.iter().filter(|t| t.identity.mmsi.is_some()).count()
        );
        for t in &ts {
            let truth = match t.identity.mmsi {
                Some(1) => &a,
                Some(2) => &b,
                _ => continue,
            };
            let e = dist_m(track_pos(t), truth[(t.time_ms / 1000) as usize].pos());
            assert!(
                e < 100.0,
                "track {} mmsi {:?} off by {e}",
                t.id,
                t.identity.mmsi
            );
        }
    });
    let ts = tr.tracks();
    assert_eq!(ts.len(), 2, "{ts:#?}");
    assert_eq!(tr.stats().merged, 0);
}

struct Scene {
    truth: Vec<Vec<Mover>>,
    obs: Vec<Observation>,
}

/// `n` ships in a ~220 x 250 km box, two radars (10 s revisit, offset 5 s) with Pd 0.9
/// and Poisson clutter.
fn random_scene(seed: u64, n: usize, seconds: usize, clutter_mean: f64) -> Scene {
    let mut rng = Noise::new(seed);
    let (lat0, lat1, lon0, lon1) = (27.0, 29.0, 123.0, 125.5);
    let truth: Vec<Vec<Mover>> = (0..n)
        .map(|_| {
            path(
                Mover {
                    lat: rng.uniform(lat0 + 0.2, lat1 - 0.2),
                    lon: rng.uniform(lon0 + 0.2, lon1 - 0.2),
                    az: rng.uniform(0.0, 360.0),
                    speed: rng.uniform(2.0, 15.0),
                },
                seconds,
            )
        })
        .collect();
    let mut obs = Vec::new();
    for (sensor, phase, sigma) in [("r1", 0usize, 50.0), ("r2", 5, 80.0)] {
        for s in (phase..=seconds).step_by(10) {
            let t = s as i64 * 1000;
            for m in &truth {
                if rng.chance(0.9) {
                    let p = rng.jitter(m[s].pos(), sigma);
                    obs.push(plot(t, p, sigma, "radar", sensor));
                }
            }
            for _ in 0..rng.poisson(clutter_mean) {
                let p = (rng.uniform(lat0, lat1), rng.uniform(lon0, lon1));
                obs.push(plot(t, p, sigma, "radar", sensor));
            }
        }
    }
    Scene { truth, obs }
}

/// For each track, the nearest truth at the track's time: (track id, truth index, error).
fn match_tracks(ts: &[Track], truth: &[Vec<Mover>]) -> Vec<(u64, usize, f64)> {
    ts.iter()
        .map(|t| {
            let s = (t.time_ms / 1000) as usize;
            let (k, e) = truth
                .iter()
                .enumerate()
                .map(|(k, m)| (k, dist_m(track_pos(t), m[s].pos())))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap();
            (t.id, k, e)
        })
        .collect()
}

#[test]
fn fifty_random_targets_with_clutter() {
    let n = 50;
    let scene = random_scene(3, n, 900, 20.0);
    let mut tr = Tracker::new(TrackerConfig::default());
    let mut errs = Vec::new();
    let mut counts = Vec::new();
    run(&mut tr, scene.obs, 30_000, |tr| {
        let ts = tr.tracks();
        if ts.first().is_some_and(|t| t.time_ms >= 120_000) {
            counts.push(ts.len());
            for (_, _, e) in match_tracks(&ts, &scene.truth) {
                if e < 500.0 {
                    errs.push(e);
                }
            }
        }
    });
    let ts = tr.tracks();
    let matched = match_tracks(&ts, &scene.truth);
    let real: BTreeSet<usize> = matched
        .iter()
        .filter(|m| m.2 < 500.0)
        .map(|m| m.1)
        .collect();
    let false_tracks = matched.iter().filter(|m| m.2 >= 500.0).count();
    let (cmin, cmax) = (*counts.iter().min().unwrap(), *counts.iter().max().unwrap());
    eprintln!(
        "50 targets: final {} tracks ({} targets held, {} false), count range {cmin}..{cmax}, rms {:.1} m over {} samples; stats {:?}",
        ts.len(),
        real.len(),
        false_tracks,
        rms(&errs),
        errs.len(),
        tr.stats()
    );
    for c in counts {
        assert!((45..=55).contains(&c), "track count {c} outside 50 ± 10%");
    }
    assert!(real.len() >= 48, "only {} targets tracked", real.len());
    // Radial RMS; the filter's own per-axis sigma is ~30 m here (radial ≈ √2 × that).
    assert!(rms(&errs) < 50.0, "rms {}", rms(&errs));
}

/// Two ships crossing at one point at the same time keep their ids.
#[test]
fn crossing_targets_keep_ids() {
    for angle in [90.0, 45.0] {
        let meet = (28.0, 124.0);
        // Start each ship 300 s back along its course so both reach `meet` at t = 300 s.
        let start = |az: f64| {
            // Go back from `meet`; the reverse of the azimuth there aims through `meet`.
            let (la, lo, baz) = direct(meet.0, meet.1, az + 180.0, 10.0 * 300.0);
            (la, lo, (baz + 180.0).rem_euclid(360.0))
        };
        let (la, lo, aza) = start(70.0);
        let (lb, lob, azb) = start(70.0 + angle);
        let a = path(
            Mover {
                lat: la,
                lon: lo,
                az: aza,
                speed: 10.0,
            },
            600,
        );
        let b = path(
            Mover {
                lat: lb,
                lon: lob,
                az: azb,
                speed: 10.0,
            },
            600,
        );
        assert!(dist_m(a[300].pos(), b[300].pos()) < 5.0);
        let mut rng = Noise::new(4);
        let mut obs = Vec::new();
        for s in (0..=600).step_by(5) {
            for m in [&a, &b] {
                let p = rng.jitter(m[s].pos(), 30.0);
                obs.push(plot(s as i64 * 1000, p, 30.0, "radar", "r"));
            }
        }
        let mut tr = Tracker::new(TrackerConfig::default());
        let mut ids_before = None;
        let mut ids_after = None;
        run(&mut tr, obs, 10_000, |tr| {
            let ts = tr.tracks();
            let t = ts.first().map_or(0, |t| t.time_ms);
            let nearest = |truth: &Vec<common::Mover>| {
                ts.iter()
                    .min_by(|x, y| {
                        let s = (t / 1000) as usize;
                        dist_m(track_pos(x), truth[s].pos())
                            .total_cmp(&dist_m(track_pos(y), truth[s].pos()))
                    })
                    .map(|t| t.id)
            };
            if t >= 200_000 && ids_before.is_none() {
                ids_before = Some((nearest(&a), nearest(&b)));
            }
            if t >= 600_000 {
                ids_after = Some((nearest(&a), nearest(&b)));
            }
        });
        eprintln!("crossing at {angle}°: ids before {ids_before:?}, after {ids_after:?}");
        assert_eq!(tr.tracks().len(), 2);
        let before = ids_before.unwrap();
        assert_ne!(before.0, before.1);
        assert_eq!(before, ids_after.unwrap(), "ids swapped at {angle}°");
        for t in tr.tracks() {
            let truth = if Some(t.id) == before.0 { &a } else { &b };
            assert!(dist_m(track_pos(&t), truth[600].pos()) < 60.0);
        }
    }
}

/// The track label is the join of every input label and dominates each of them.
#[test]
fn track_label_is_join_of_inputs() {
    let truth = path(
        Mover {
            lat: 26.5,
            lon: 126.0,
            az: 200.0,
            speed: 5.0,
        },
        300,
    );
    let l_ais = Label::unclassified_public(Nation::JPN);
    let l_radar = Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]);
    let l_us = Label::rel_to(
        Classification::Confidential,
        Nation::USA,
        &[Nation::JPN, Nation::AUS],
    );
    let mut rng = Noise::new(5);
    let mut obs = Vec::new();
    for s in (0..=300).step_by(10) {
        let m = &truth[s];
        obs.push(ais(
            s as i64 * 1000,
            rng.jitter(m.pos(), 10.0),
            m.velocity(),
            7,
        ));
        let mut p = plot(
            s as i64 * 1000 + 2000,
            rng.jitter(truth[s + 2.min(300 - s)].pos(), 40.0),
            40.0,
            "radar",
            "r",
        );
        p.label = l_radar.clone();
        obs.push(p);
        let mut u = plot(
            s as i64 * 1000 + 5000,
            rng.jitter(truth[s + 5.min(300 - s)].pos(), 30.0),
            30.0,
            "us-track",
            "",
        );
        u.kind = ObservationKind::Track;
        u.identity.track_number = Some("T1001".into());
        u.label = l_us.clone();
        obs.push(u);
    }
    let mut tr = Tracker::new(TrackerConfig::default());
    run(&mut tr, obs, 30_000, |_| {});
    let ts = tr.tracks();
    assert_eq!(ts.len(), 1, "{ts:#?}");
    let t = &ts[0];
    for l in [&l_ais, &l_radar, &l_us] {
        assert!(t.label.dominates(l), "{} does not dominate {}", t.label, l);
    }
    assert_eq!(t.label, l_ais.join(&l_radar).join(&l_us));
    assert_eq!(t.label.marking(), "SECRET//REL TO USA, JPN");
    assert_eq!(t.label.owner(), NationSet::of(&[Nation::JPN, Nation::USA]));
    assert_eq!(t.sources.len(), 3);
    assert_eq!(t.identity.mmsi, Some(7));
    assert_eq!(t.identity.track_number.as_deref(), Some("T1001"));
}

/// Same input → bit-identical output, whatever the order inside each batch.
#[test]
fn deterministic_and_order_independent() {
    let scene = random_scene(6, 20, 400, 10.0);
    let once = |shuffle: bool| {
        let mut tr = Tracker::new(TrackerConfig::default());
        let mut snapshots = Vec::new();
        let mut rng = Noise::new(99);
        for (end, mut batch) in batches(scene.obs.clone(), 30_000) {
            if shuffle {
                // Fisher-Yates with the test's own rng.
                for i in (1..batch.len()).rev() {
                    let j = (rng.uniform(0.0, 1.0) * (i + 1) as f64) as usize;
                    batch.swap(i, j.min(i));
                }
                batch.reverse();
            }
            tr.process_batch(batch);
            tr.advance_to(end);
            snapshots.push(tr.tracks());
        }
        (
            snapshots,
            tr.stats().clone(),
            format!("{:?}", tr.tracks_at(500_000)),
        )
    };
    let a = once(false);
    let b = once(false);
    let c = once(true);
    assert!(!a.0.last().unwrap().is_empty());
    assert_eq!(a, b);
    assert_eq!(a, c);
    // Bitwise, not just ==: Debug prints every f64 exactly (shortest round-trip form).
    assert_eq!(format!("{:?}", a.0), format!("{:?}", c.0));
}

/// Okinawa to Shanghai (~800 km): tracks at both ends and aircraft crossing the whole
/// theatre stay accurate against geodesic truth.
#[test]
fn far_apart_scene_stays_accurate() {
    let okinawa = (26.2, 127.7);
    let shanghai = (31.2, 121.9);
    let secs = 3600;
    let ship_ok = path(
        Mover {
            lat: okinawa.0,
            lon: okinawa.1 - 0.3,
            az: 300.0,
            speed: 7.0,
        },
        secs,
    );
    let ship_sh = path(
        Mover {
            lat: shanghai.0,
            lon: shanghai.1 + 0.4,
            az: 120.0,
            speed: 9.0,
        },
        secs,
    );
    // Initial azimuth Okinawa -> Shanghai is about 312° (north-west); the aircraft fly
    // geodesics, whose azimuth changes along the way.
    let air_adsb = path(
        Mover {
            lat: okinawa.0,
            lon: okinawa.1,
            az: 312.0,
            speed: 230.0,
        },
        secs,
    );
    let air_radar = path(
        Mover {
            lat: shanghai.0,
            lon: shanghai.1,
            az: 130.0,
            speed: 200.0,
        },
        secs,
    );
    let mut rng = Noise::new(7);
    let mut obs = Vec::new();
    for s in (0..=secs).step_by(10) {
        for (m, mmsi) in [(&ship_ok[s], 431_000_010u32), (&ship_sh[s], 412_000_020)] {
            obs.push(ais(
                s as i64 * 1000,
                rng.jitter(m.pos(), 10.0),
                m.velocity(),
                mmsi,
            ));
        }
        let m = &air_radar[s];
        let mut p = plot(
            s as i64 * 1000,
            rng.jitter(m.pos(), 100.0),
            100.0,
            "radar-air",
            "r",
        );
        p.domain = Domain::Air;
        obs.push(p);
    }
    for s in (0..=secs).step_by(5) {
        let m = &air_adsb[s];
        let v = Velocity::from_sog_cog(m.speed + rng.gauss(), m.az + 0.2 * rng.gauss());
        obs.push(adsb(
            s as i64 * 1000,
            rng.jitter(m.pos(), 20.0),
            v,
            0x86_0001,
        ));
    }
    let truths: [(&str, &Vec<Mover>); 4] = [
        ("ship near Okinawa", &ship_ok),
        ("ship near Shanghai", &ship_sh),
        ("ADS-B aircraft", &air_adsb),
        ("radar aircraft", &air_radar),
    ];
    let mut errs: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    let mut tr = Tracker::new(TrackerConfig::default());
    run(&mut tr, obs, 60_000, |tr| {
        let ts = tr.tracks();
        assert!(ts.len() <= 4, "{ts:#?}");
        for t in &ts {
            let s = (t.time_ms / 1000) as usize;
            if s < 120 {
                continue;
            }
            let (name, e) = truths
                .iter()
                .map(|(n, m)| (*n, dist_m(track_pos(t), m[s].pos())))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap();
            errs.entry(name).or_default().push(e);
        }
    });
    let ts = tr.tracks();
    assert_eq!(ts.len(), 4);
    let moved = dist_m(air_adsb[0].pos(), air_adsb[secs].pos());
    assert!(moved > 800_000.0, "{moved}");
    for (name, limit) in [
        ("ship near Okinawa", 15.0),
        ("ship near Shanghai", 15.0),
        ("ADS-B aircraft", 30.0),
        ("radar aircraft", 120.0),
    ] {
        let e = &errs[name];
        let max = e.iter().cloned().fold(0.0, f64::max);
        eprintln!(
            "far scene {name}: rms {:.1} m, max {:.1} m ({} samples)",
            rms(e),
            max,
            e.len()
        );
        assert!(rms(e) < limit, "{name}: rms {}", rms(e));
    }
    // Velocity is reported in the local axes at the track: the heading follows the
    // geodesic's azimuth at the end point, ~9° from where it started.
    let plane = ts.iter().find(|t| t.identity.icao.is_some()).unwrap();
    let truth_az = air_adsb[(plane.time_ms / 1000) as usize].az;
    let daz = (plane.velocity.course_deg() - truth_az + 540.0).rem_euclid(360.0) - 180.0;
    eprintln!(
        "far scene: end course {:.2}° vs truth {truth_az:.2}° (start 312°)",
        plane.velocity.course_deg()
    );
    assert!(daz.abs() < 1.0, "course off by {daz}");
    assert!((plane.velocity.speed_mps() - 230.0).abs() < 3.0);
    assert_eq!(plane.position.alt_m, Some(10_000.0));
}

#[test]
fn late_observations_are_dropped_and_counted() {
    let mut tr = Tracker::new(TrackerConfig::default());
    let v = Velocity::from_sog_cog(5.0, 90.0);
    tr.process_batch(vec![ais(100_000, (27.0, 125.0), v, 9)]);
    let before = tr.tracks();
    tr.process_batch(vec![ais(90_000, (27.0, 125.01), v, 9)]);
    assert_eq!(tr.stats().late, 1);
    assert_eq!(tr.tracks(), before);
    // Equal time is not late.
    tr.process_batch(vec![ais(100_000, (27.0, 125.0), v, 9)]);
    assert_eq!(tr.stats().late, 1);
    assert_eq!(tr.tracks()[0].updates, 2);
}

#[test]
fn lifecycle_confirm_coast_delete() {
    let mut tr = Tracker::new(TrackerConfig::default());
    tr.process_batch(vec![plot(0, (27.0, 125.0), 50.0, "radar", "r")]);
    assert!(tr.tracks().is_empty(), "one plot must stay tentative");
    assert_eq!(tr.live_track_count(), 1);
    let p2 = direct(27.0, 125.0, 90.0, 50.0);
    tr.process_batch(vec![plot(10_000, (p2.0, p2.1), 50.0, "radar", "r")]);
    let ts = tr.tracks();
    assert_eq!(ts.len(), 1);
    assert_eq!(ts[0].status, TrackStatus::Confirmed);
    assert_eq!(ts[0].id, 1);
    tr.advance_to(10_000 + 61_000);
    assert_eq!(tr.tracks()[0].status, TrackStatus::Coasting);
    let ahead = tr.tracks_at(70_000);
    assert_eq!(ahead[0].time_ms, 70_000);
    assert!(ahead[0].pos_sigma_m() > ts[0].pos_sigma_m());
    tr.advance_to(10_000 + 181_000);
    assert!(tr.tracks().is_empty());
    assert_eq!(tr.live_track_count(), 0);
    // A lone plot that is never confirmed disappears after the tentative timeout.
    tr.process_batch(vec![plot(300_000, (27.5, 125.0), 50.0, "radar", "r")]);
    tr.advance_to(321_000);
    assert_eq!(tr.live_track_count(), 0);
    assert_eq!(tr.stats().deleted, 2);
    // Ids are never reused.
    tr.process_batch(vec![ais(
        400_000,
        (27.0, 125.0),
        Velocity::from_sog_cog(1.0, 0.0),
        5,
    )]);
    assert_eq!(tr.tracks()[0].id, 3);
}

/// Track numbers are keyed by feed; two national tracks of one object (different feeds)
/// that started apart converge and merge; a nearby ship with another MMSI never merges.
#[test]
fn track_feeds_bind_by_feed_and_duplicates_merge() {
    let truth = path(
        Mover {
            lat: 25.5,
            lon: 123.5,
            az: 10.0,
            speed: 6.0,
        },
        610,
    );
    let mut rng = Noise::new(8);
    let mut obs = Vec::new();
    let tracked = |t: i64, p: (f64, f64), feed: &str, tn: &str| {
        let mut o = plot(t, p, 20.0, feed, "");
        o.kind = ObservationKind::Track;
        o.identity = Identity {
            track_number: Some(tn.into()),
            ..Identity::default()
        };
        o
    };
    for s in (0..=600).step_by(10) {
        let t = s as i64 * 1000;
        obs.push(tracked(
            t,
            rng.jitter(truth[s].pos(), 20.0),
            "jp-tracks",
            "1001",
        ));
        // The US feed's first reports are 400 m off (out of gate), then converge.
        let bias = 400.0 * (1.0 - s as f64 / 60.0).max(0.0);
        let q = truth[(s + 3).min(600)].pos();
        let (la, lo, _) = direct(q.0, q.1, 90.0, bias);
        obs.push(tracked(
            t + 3000,
            rng.jitter((la, lo), 20.0),
            "us-tracks",
            "1001",
        ));
    }
    // Same number on another feed far away: a different object.
    obs.push(tracked(5_000, (20.0, 130.0), "other", "1001"));
    let mut tr = Tracker::new(TrackerConfig::default());
    run(&mut tr, obs, 30_000, |_| {});
    let ts: Vec<_> = tr
        .tracks()
        .into_iter()
        .filter(|t| t.time_ms > 500_000)
        .collect();
    eprintln!("track feeds: {:?}", tr.stats());
    assert_eq!(ts.len(), 1, "{ts:#?}");
    assert_eq!(tr.stats().merged, 1);
    assert_eq!(
        ts[0].sources.keys().collect::<Vec<_>>(),
        ["jp-tracks", "us-tracks"]
    );
    assert!(
        dist_m(
            track_pos(&ts[0]),
            truth[(ts[0].time_ms / 1000) as usize].pos()
        ) < 40.0
    );
}

#[test]
fn identity_jump_restarts_the_track_and_invalid_input_is_counted() {
    let mut tr = Tracker::new(TrackerConfig::default());
    let v = Velocity::from_sog_cog(5.0, 0.0);
    tr.process_batch(vec![
        ais(0, (27.0, 125.0), v, 1),
        ais(10_000, (27.00045, 125.0), v, 1),
    ]);
    tr.process_batch(vec![ais(20_000, (27.5, 125.0), v, 1)]);
    let ts = tr.tracks();
    assert_eq!(ts.len(), 1);
    assert!(dist_m(track_pos(&ts[0]), (27.5, 125.0)) < 1.0);
    assert_eq!(tr.stats().identity_resets, 1);
    let mut bad = plot(30_000, (95.0, 125.0), 10.0, "radar", "r");
    tr.process_batch(vec![bad.clone()]);
    bad.position.lat_deg = 27.0;
    bad.pos_sigma_m = f64::NAN;
    tr.process_batch(vec![bad]);
    assert_eq!(tr.stats().invalid, 2);
}

/// A live picture processes AIS one report at a time with maintenance throttled
/// (`maintenance_every_ms`); the tracks it ends with are those of processing the same
/// stream a second at a time with maintenance at every scan, coasting included.
#[test]
fn report_at_a_time_with_throttled_maintenance_matches_scans() {
    let mut rng = Noise::new(7);
    let mut obs = Vec::new();
    for mmsi in 1..=100u32 {
        let start = (rng.uniform(26.0, 28.0), rng.uniform(124.0, 126.0));
        let v = Velocity::from_sog_cog(rng.uniform(2.0, 12.0), rng.uniform(0.0, 360.0));
        // Ship 1 stops reporting after 30 s: it must be coasting at the end in both.
        let seconds = if mmsi == 1 { 30 } else { 120 };
        for k in 0..seconds {
            let t = k * 1000 + (rng.uniform(0.0, 999.0) as i64);
            let d = v.speed_mps() * t as f64 / 1000.0;
            let p = direct(start.0, start.1, v.course_deg(), d);
            obs.push(ais(t, (p.0, p.1), v, mmsi));
        }
    }
    obs.sort_by_key(|o| o.time_ms);
    let end = obs.last().unwrap().time_ms;

    let mut scans = Tracker::new(TrackerConfig::default());
    run(&mut scans, obs.clone(), 1000, |_| {});
    scans.advance_to(end);

    let mut live = Tracker::new(TrackerConfig {
        maintenance_every_ms: 500,
        ..TrackerConfig::default()
    });
    for o in obs {
        let t = o.time_ms;
        live.process_batch(vec![o]);
        live.advance_to(t);
    }
    live.advance_to(end);

    let (a, b) = (scans.tracks(), live.tracks());
    assert_eq!(a.len(), 100);
    assert_eq!(a, b);
    let coasting = b
        .iter()
        .filter(|t| t.status == TrackStatus::Coasting)
        .count();
    assert_eq!(coasting, 1, "the silent ship coasts");
}
