//! Scenario tests against the structured records (wire-level tests live in
//! `tests/wire.rs`, since they need the format encoders).

use std::collections::{BTreeMap, BTreeSet};

use biac_geo::{distance_m, horizon_m, KNOT};
use biac_model::{Classification, Nation, Subject};

use super::*;
use crate::sensors::Mount;

fn seeded(seed: u64) -> SimConfig {
    SimConfig {
        seed,
        ..SimConfig::default()
    }
}

fn run(sc: &mut Scenario, secs: i64) -> Vec<RecordEmission> {
    let mut all = Vec::new();
    for _ in 0..secs {
        all.extend(sc.step_records(1_000));
    }
    all
}

#[test]
fn default_demo_has_at_least_300_objects_and_keeps_the_count() {
    let mut sc = Scenario::new(SimConfig::default());
    let n = sc.object_count();
    assert!(n >= 300, "{n}");
    let kinds: BTreeMap<ObjectKind, usize> = sc.truth().iter().fold(BTreeMap::new(), |mut m, r| {
        *m.entry(r.kind).or_default() += 1;
        m
    });
    assert_eq!(kinds[&ObjectKind::Merchant], 120);
    assert_eq!(kinds[&ObjectKind::Fishing], 80);
    assert_eq!(kinds[&ObjectKind::Naval], 15);
    assert_eq!(kinds[&ObjectKind::Airliner], 80);
    assert_eq!(kinds[&ObjectKind::MilitaryAircraft], 15);
    // Two hours in 60 s steps: ships and airliners finish and are replaced.
    let first_ids: BTreeSet<u32> = sc.truth().iter().map(|r| r.id).collect();
    for _ in 0..120 {
        sc.step_records(60_000);
    }
    assert_eq!(sc.object_count(), n);
    let truth = sc.truth();
    let ids: BTreeSet<u32> = truth.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), n, "ids stay unique");
    assert!(
        ids.difference(&first_ids).count() > 10,
        "some objects were replaced"
    );
    for r in &truth {
        assert!(
            (world::AREA_LAT.0..=world::AREA_LAT.1).contains(&r.lat),
            "{r:?}"
        );
        assert!(
            (world::AREA_LON.0..=world::AREA_LON.1).contains(&r.lon),
            "{r:?}"
        );
    }
    let mmsis: Vec<u32> = truth.iter().filter_map(|r| r.mmsi).collect();
    let uniq: BTreeSet<u32> = mmsis.iter().copied().collect();
    assert_eq!(mmsis.len(), uniq.len(), "MMSIs unique");
}

#[test]
fn custom_counts_are_honoured() {
    let cfg = SimConfig {
        merchants: 5,
        fishing: 3,
        naval: 20,
        airliners: 0,
        military_aircraft: 0,
        ..SimConfig::default()
    };
    let mut sc = Scenario::new(cfg);
    assert_eq!(sc.object_count(), 5 + 3 + 20 + 3 + crate::ground::count());
    sc.step_records(120_000);
    assert_eq!(sc.object_count(), 31 + crate::ground::count());
}

#[test]
fn same_seed_same_everything_and_other_seed_differs() {
    let trace = |seed| {
        let mut sc = Scenario::new(SimConfig {
            seed,
            ..SimConfig::default()
        });
        let recs = run(&mut sc, 90);
        let mut csv = Vec::new();
        sc.write_truth_csv(&mut csv).unwrap();
        (format!("{recs:?}"), csv)
    };
    let a = trace(1);
    let b = trace(1);
    assert!(a == b, "same seed must reproduce exactly");
    let c = trace(2);
    assert!(a.0 != c.0 && a.1 != c.1);
}

#[test]
fn step_size_does_not_change_the_world_much() {
    // One 60 s step is integrated in 1 s sub-steps: identical to 60 calls of 1 s.
    let mut a = Scenario::new(seeded(7));
    let mut b = Scenario::new(seeded(7));
    let ra = a.step_records(60_000);
    let rb = run(&mut b, 60);
    assert_eq!(format!("{ra:?}"), format!("{rb:?}"));
    assert_eq!(a.truth(), b.truth());
}

#[test]
fn every_feed_emits_within_60_s() {
    let mut sc = Scenario::new(SimConfig::default());
    let recs = run(&mut sc, 60);
    let feeds: BTreeSet<&str> = recs.iter().map(|e| e.feed).collect();
    // The missile-defence radars speak once a missile rises into their view.
    for f in FEED_NAMES.iter().filter(|f| !is_missile_feed(f)) {
        assert!(feeds.contains(f), "{f} silent in the first minute");
    }
    // Time-ordered, within the minute.
    assert!(recs.windows(2).all(|w| w[0].time_ms <= w[1].time_ms));
    let t0 = SimConfig::default().start_ms;
    assert!(recs
        .iter()
        .all(|e| e.time_ms > t0 && e.time_ms <= t0 + 60_000));
}

#[test]
fn feed_table_releasability() {
    let feeds = demo_feeds();
    assert_eq!(feeds.len(), 13);
    let names: Vec<&str> = feeds.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, FEED_NAMES);
    let visible = |n: Nation| -> Vec<&str> {
        let s = Subject::new(n, Classification::TopSecret);
        feeds
            .iter()
            .filter(|f| biac_model::Label::releasable_to(&f.default_label).contains(s.nation))
            .map(|f| f.name.as_str())
            .collect()
    };
    assert_eq!(
        visible(Nation::PHL),
        ["jpn-ais-shore", "sat-ais", "jpn-adsb"]
    );
    assert_eq!(
        visible(Nation::KOR),
        [
            "jpn-ais-shore",
            "sat-ais",
            "jpn-adsb",
            "kor-tracks",
            "usa-tpy2-shariki",
            "usa-tpy2-kyogamisaki",
            "jpn-fps5",
            "jpn-aegis",
            "kor-greenpine"
        ]
    );
    assert_eq!(
        visible(Nation::AUS),
        [
            "jpn-ais-shore",
            "sat-ais",
            "jpn-adsb",
            "jpn-radar-miyako",
            "aus-p8-tracks"
        ]
    );
    assert_eq!(visible(Nation::JPN).len(), 13);
    assert_eq!(visible(Nation::USA).len(), 13);
    let m = |n: &str| {
        feeds
            .iter()
            .find(|f| f.name == n)
            .unwrap()
            .default_label
            .marking()
    };
    assert_eq!(m("jpn-radar-miyako"), "CONFIDENTIAL//REL TO USA, AUS, JPN");
    assert_eq!(m("jpn-p1-radar"), "SECRET//REL TO USA, JPN");
    assert_eq!(m("usa-mq9-gmti"), "SECRET//REL TO USA, JPN");
    assert_eq!(m("aus-p8-tracks"), "SECRET//REL TO USA, AUS, JPN");
    assert_eq!(m("kor-tracks"), "SECRET//REL TO USA, JPN, KOR");
    for f in ["usa-tpy2-shariki", "jpn-aegis", "kor-greenpine"] {
        assert_eq!(m(f), "SECRET//REL TO USA, JPN, KOR");
    }
    // Each missile-defence feed is pinned to its radar's site.
    for (feed, radar) in crate::missile_feeds::MISSILE_FEEDS {
        let f = feeds.iter().find(|f| f.name == feed).unwrap();
        let r = crate::missile_radar::md_radars()
            .into_iter()
            .find(|r| r.name == radar)
            .unwrap();
        let biac_model::FeedFormat::Plots3d { site: Some(pin) } = f.format else {
            panic!("{feed}: {:?}", f.format)
        };
        assert_eq!((pin.lat_deg, pin.lon_deg, pin.alt_m), r.site());
    }
    assert!(feeds
        .iter()
        .all(|f| !f.trusted_markings && !f.description.is_empty()));
}

fn object(sc: &Scenario, id: u32) -> &world::Object {
    sc.world
        .objects
        .iter()
        .find(|o| o.id == id)
        .expect("object exists")
}

#[test]
fn radar_plots_are_only_of_covered_objects_and_near_them() {
    let mut sc = Scenario::new(SimConfig::default());
    let mut per_radar: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for _ in 0..120 {
        let recs = sc.step_records(1_000);
        for e in recs {
            if let Record::Stanag4607 { segments, .. } = &e.record {
                // GMTI: each report's truth tag names the object it is of (0: none).
                let r = sc.radars.iter().find(|r| r.feed == e.feed).unwrap();
                let entry = per_radar.entry(e.feed).or_default();
                for s in segments {
                    let biac_formats::stanag4607::Segment::Dwell(d) = s else {
                        continue;
                    };
                    for t in &d.targets {
                        match t.truth_tag_entity {
                            Some(0) | None => entry.1 += 1,
                            Some(id) => {
                                entry.0 += 1;
                                let o = object(&sc, id);
                                assert!(
                                    r.can_see(&sc.world, o),
                                    "MQ-9 saw {} out of coverage",
                                    o.name
                                );
                                assert!(o.speed_mps > 2.0 * KNOT, "GMTI sees movers only");
                            }
                        }
                    }
                }
                continue;
            }
            let Record::Cot(ev) = &e.record else { continue };
            let Some(r) = sc.radars.iter().find(|r| r.feed == e.feed) else {
                continue;
            };
            let entry = per_radar.entry(e.feed).or_default();
            let Some(id) = e.truth_id else {
                entry.1 += 1;
                // Clutter lies within the instrument range.
                let (lat, lon) = match r.mount {
                    Mount::Fixed { lat, lon, .. } => (lat, lon),
                    Mount::Platform(i) => (sc.world.objects[i].lat, sc.world.objects[i].lon),
                };
                assert!(distance_m(lat, lon, ev.lat, ev.lon) <= r.range_m + 1_000.0);
                continue;
            };
            entry.0 += 1;
            let o = object(&sc, id);
            assert!(
                r.can_see(&sc.world, o),
                "{} plotted {} out of coverage",
                e.feed,
                o.name
            );
            assert!(ev.uid.contains(".P."));
            assert_eq!(ev.stale_ms, ev.time_ms + 30_000);
            assert_eq!(ev.how, "m-r");
            // Within 5 sigma (plus 1 s of motion) of the truth.
            let (tl, tn, _) = o.position_at(e.time_ms, sc.world.now_ms);
            let err = distance_m(tl, tn, ev.lat, ev.lon);
            let sigma = ev.ce / sensors::CE90_PER_SIGMA;
            assert!(
                err < 5.0 * 1.42 * sigma + 20.0,
                "{}: err {err} sigma {sigma}",
                e.feed
            );
        }
    }
    for f in [FEED_JPN_RADAR_MIYAKO, FEED_JPN_P1_RADAR, FEED_USA_MQ9_GMTI] {
        let (real, clutter) = per_radar.get(f).copied().unwrap_or_default();
        assert!(real > 0, "{f} saw nothing");
        eprintln!("{f}: {real} target plots, {clutter} false alarms in 2 min");
    }
}

#[test]
fn plot_uids_are_unique_and_track_uids_stable() {
    let mut sc = Scenario::new(SimConfig::default());
    let recs = run(&mut sc, 180);
    let mut plot_uids = BTreeSet::new();
    let mut track_uid: BTreeMap<(&str, u32), String> = BTreeMap::new();
    let mut uid_owner: BTreeMap<String, u32> = BTreeMap::new();
    for e in &recs {
        let Record::Cot(ev) = &e.record else { continue };
        if ev.uid.contains(".P.") {
            assert!(
                plot_uids.insert(ev.uid.clone()),
                "duplicate plot uid {}",
                ev.uid
            );
        } else {
            let id = e.truth_id.unwrap();
            let u = track_uid
                .entry((e.feed, id))
                .or_insert_with(|| ev.uid.clone());
            assert_eq!(*u, ev.uid, "track uid changed");
            assert_eq!(*uid_owner.entry(ev.uid.clone()).or_insert(id), id);
            assert!(ev.course_deg.is_some() && ev.speed_mps.is_some());
            let sigma = ev.ce / sensors::CE90_PER_SIGMA;
            assert!((100.0..=300.0).contains(&sigma), "{sigma}");
            assert_eq!(ev.how, "m-f");
            let prefix = if e.feed == FEED_AUS_P8_TRACKS {
                "AUS-P8.T"
            } else {
                "KOR-JEJU.T"
            };
            assert!(ev.uid.starts_with(prefix), "{}", ev.uid);
        }
    }
    assert!(track_uid.keys().any(|k| k.0 == FEED_AUS_P8_TRACKS));
    assert!(track_uid.keys().any(|k| k.0 == FEED_KOR_TRACKS));
}

#[test]
fn track_feed_reports_naval_affiliation_and_errors_are_bounded() {
    let mut sc = Scenario::new(SimConfig::default());
    let mut types = BTreeSet::new();
    for _ in 0..300 {
        for e in sc.step_records(1_000) {
            let (Record::Cot(ev), Some(id)) = (&e.record, e.truth_id) else {
                continue;
            };
            if !ev.uid.contains(".T") {
                continue;
            }
            let o = object(&sc, id);
            types.insert(ev.cot_type.clone());
            if o.kind == ObjectKind::Naval {
                assert_eq!(ev.cot_type, o.cot_type);
            }
            let (tl, tn, _) = o.position_at(e.time_ms, sc.world.now_ms);
            let err = distance_m(tl, tn, ev.lat, ev.lon);
            assert!(err < 6.0 * ev.ce, "track error {err}");
        }
    }
    assert!(
        types.contains("a-h-S"),
        "the P-8 sees the PLAN group east of Taiwan: {types:?}"
    );
    assert!(types.contains("a-n-S"));
}

#[test]
fn airliners_fly_plausibly_and_great_circle_motion_matches_speed() {
    let mut sc = Scenario::new(SimConfig::default());
    sc.step_records(5_000);
    let before = sc.truth();
    sc.step_records(60_000);
    let after = sc.truth();
    let mut checked = 0;
    for (a, b) in before.iter().zip(&after) {
        if a.id != b.id {
            continue; // replaced in between
        }
        match a.kind {
            ObjectKind::Airliner => {
                let kn = b.speed_mps / KNOT;
                assert!((200.0..=490.0).contains(&kn), "{} at {kn} kn", b.callsign);
                assert!(b.alt_m <= 39_000.0 * biac_geo::FOOT + 1.0);
                if b.alt_m > 9_000.0 {
                    assert!(kn >= 400.0, "{} cruising at {kn} kn", b.callsign);
                    assert!(b.alt_m >= 30_000.0 * biac_geo::FOOT - 1.0);
                }
                checked += 1;
            }
            ObjectKind::Merchant => {
                let kn = b.speed_mps / KNOT;
                assert!((9.9..=20.1).contains(&kn), "{} at {kn} kn", b.name);
            }
            ObjectKind::Fishing => assert!(b.speed_mps / KNOT <= 6.01),
            _ => {}
        }
        // Distance covered over the minute equals the mean speed (turns make it shorter).
        let d = distance_m(a.lat, a.lon, b.lat, b.lon);
        let expect = a.speed_mps.max(b.speed_mps) * 60.0;
        assert!(
            d <= expect * 1.02 + 5.0,
            "{}: moved {d} m, expected <= {expect}",
            b.name
        );
        if (a.course_deg - b.course_deg).abs() < 0.5
            && (a.speed_mps - b.speed_mps).abs() < 0.01
            && a.speed_mps > 1.0
        {
            assert!(
                (d - expect).abs() < expect * 0.02 + 5.0,
                "{}: moved {d} m, expected {expect}",
                b.name
            );
        }
    }
    assert!(checked > 50);
}

#[test]
fn ais_reporting_intervals_and_reception_geometry() {
    let mut sc = Scenario::new(SimConfig::default());
    let recs = run(&mut sc, 120);
    // Per (receiver, mmsi): class A positions from the shore network.
    let mut times: BTreeMap<(String, u32), Vec<i64>> = BTreeMap::new();
    let mut statics = 0;
    for e in &recs {
        let Record::Ais { receiver, msg, .. } = &e.record else {
            continue;
        };
        match msg {
            AisMsg::Position(r) => {
                assert!(matches!(r.msg_type, 1 | 3 | 18));
                assert_eq!(r.second as i64, e.time_ms.div_euclid(1000) % 60);
                if e.feed == FEED_JPN_AIS_SHORE {
                    let i = ["JCG-MIYAKO", "JCG-ISHIGAKI", "JCG-OKINAWA", "JCG-AMAMI"]
                        .iter()
                        .position(|s| s == receiver)
                        .unwrap();
                    let o = object(&sc, e.truth_id.unwrap());
                    let (la, lo, _) = o.position_at(e.time_ms, sc.world.now_ms);
                    assert!(
                        sensors::ShoreAis::in_coverage(i, la, lo, o.mast_m + 0.1)
                            || distance_m(la, lo, o.lat, o.lon) > 0.0
                    );
                    // AIS position within ~5 sigma of the truth at that time.
                    assert!(distance_m(la, lo, r.lat_deg, r.lon_deg) < 60.0);
                    if r.msg_type != 18 {
                        times
                            .entry((receiver.clone(), r.mmsi))
                            .or_default()
                            .push(e.time_ms);
                    }
                }
            }
            AisMsg::Static(s) => {
                statics += 1;
                assert!(!s.shipname.is_empty() && s.shipname.len() <= 20);
                assert!(s.callsign.len() <= 7);
            }
        }
    }
    assert!(statics > 0);
    let mut gaps = Vec::new();
    for ts in times.values() {
        gaps.extend(ts.windows(2).map(|w| w[1] - w[0]));
    }
    gaps.sort();
    assert!(!gaps.is_empty());
    assert!(gaps[0] >= 5_500, "class A reports no faster than ~6 s");
    let median = gaps[gaps.len() / 2];
    assert!((5_500..=10_500).contains(&median), "median {median}");
}

#[test]
fn adsb_messages_only_in_receiver_coverage() {
    let mut sc = Scenario::new(SimConfig::default());
    let mut kinds = BTreeSet::new();
    for _ in 0..30 {
        for e in sc.step_records(1_000) {
            let Record::Sbs(m) = &e.record else { continue };
            kinds.insert(m.transmission);
            let o = object(&sc, e.truth_id.unwrap());
            assert_eq!(o.icao, Some(m.icao));
            assert!(o.adsb && o.kind == ObjectKind::Airliner);
            let (la, lo, alt) = o.position_at(e.time_ms, sc.world.now_ms);
            assert!(sensors::AdsbNet::in_coverage(la, lo, alt + 1.0));
            if m.transmission == 3 {
                let d = distance_m(la, lo, m.lat_deg.unwrap(), m.lon_deg.unwrap());
                assert!(d < 60.0, "{d}");
                assert!((m.altitude_ft.unwrap() as f64 * biac_geo::FOOT - alt).abs() < 20.0);
            }
        }
    }
    assert_eq!(kinds, BTreeSet::from([1, 3, 4]));
}

#[test]
fn sat_ais_detects_about_0_3_per_ship_minute_during_a_pass() {
    let mut sc = Scenario::new(SimConfig::default());
    // The first pass lasts at least 6 minutes from the start.
    let recs = run(&mut sc, 300);
    let ais_ships = sc.truth().iter().filter(|r| r.ais).count() as f64;
    let n = recs
        .iter()
        .filter(|e| {
            e.feed == FEED_SAT_AIS
                && matches!(
                    e.record,
                    Record::Ais {
                        msg: AisMsg::Position(_),
                        ..
                    }
                )
        })
        .count() as f64;
    let rate = n / ais_ships / 5.0;
    // Anchored/slow boats report rarely; allow a broad band around 0.3.
    assert!((0.15..=0.35).contains(&rate), "rate {rate}");
}

#[test]
fn truth_csv_has_header_and_one_row_per_object() {
    let mut sc = Scenario::new(SimConfig::default());
    sc.step_records(10_000);
    let mut buf = Vec::new();
    write_truth_csv_header(&mut buf).unwrap();
    sc.write_truth_csv(&mut buf).unwrap();
    let text = String::from_utf8(buf).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], TRUTH_CSV_HEADER.trim_end());
    assert_eq!(lines.len(), 1 + sc.object_count());
    let cols = lines[0].split(',').count();
    for l in &lines[1..] {
        assert_eq!(l.split(',').count(), cols, "{l}");
        assert!(l.starts_with(&format!("{},", sc.now_ms())));
    }
    assert!(text.contains(",merchant,surface,a-n-S,"));
    assert!(text.contains(",airliner,air,a-n-A,"));
    assert!(text.contains(",naval,surface,a-h-S,CHN,"));
}

#[test]
fn coverage_geometry_is_horizon_limited() {
    // The Miyako radar's horizon to a 6 m fishing mast is short of its instrument range.
    let h = horizon_m(120.0, 6.0);
    assert!(h < 40.0 * biac_geo::NM && h > 50_000.0, "{h}");
    let sc = Scenario::new(SimConfig::default());
    let miyako = &sc.radars[0];
    for o in &sc.world.objects {
        if miyako.can_see(&sc.world, o) && !o.is_air() {
            let d = distance_m(24.78, 125.33, o.lat, o.lon);
            assert!(d <= horizon_m(120.0, o.mast_m));
        }
    }
}

/// Measured emission rates (printed; run with `--nocapture`).
#[test]
fn emission_rates_per_minute() {
    let mut sc = Scenario::new(SimConfig::default());
    let recs = run(&mut sc, 600);
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &recs {
        *counts.entry(e.feed).or_default() += 1;
    }
    for f in FEED_NAMES {
        let per_min = *counts.get(f).unwrap_or(&0) as f64 / 10.0;
        eprintln!("{f:>18}: {per_min:7.1} records/min");
        assert!(per_min > 0.0);
    }
}

/// Objects move along WGS84 geodesics at their speed: over one sub-step each object
/// covers speed × dt on the ellipsoid and heads along the geodesic's final azimuth.
/// (On the sphere of the mean radius used before, a ship going north at 25°N covered
/// 0.38 % less ground than its reported speed, one going east 0.17 % more.)
#[test]
fn objects_move_their_speed_on_the_ellipsoid() {
    let mut sc = Scenario::new(seeded(3));
    run(&mut sc, 20);
    let before: BTreeMap<u32, TruthRecord> = sc.truth().into_iter().map(|r| (r.id, r)).collect();
    let dt_s = SUBSTEP_MS as f64 / 1000.0;
    sc.step_records(SUBSTEP_MS);
    let mut n = 0;
    for r in sc.truth() {
        let Some(b) = before.get(&r.id) else { continue };
        if r.speed_mps * dt_s <= 0.1 {
            continue;
        }
        let (d, _, az2) = biac_geo::inverse(b.lat, b.lon, r.lat, r.lon);
        let want = r.speed_mps * dt_s;
        assert!(
            (d - want).abs() < 1e-6,
            "{}: {d} m, speed says {want}",
            r.id
        );
        // The stored positions' rounding (1e-10 m) turns the azimuth of a short move.
        let turn = biac_geo::angle_diff(az2, r.course_deg);
        let tol = (1e-8 / want).to_degrees();
        assert!(
            turn.abs() < tol,
            "{}: course {} vs {az2}",
            r.id,
            r.course_deg
        );
        n += 1;
    }
    assert!(n > 250, "{n}");
}

fn is_missile_feed(f: &str) -> bool {
    crate::missile_feeds::MISSILE_FEEDS
        .iter()
        .any(|(name, _)| *name == f)
}

/// The missile-defence feeds leave every other feed's output as it was: the same
/// emissions, byte for byte and in the same order, as a scenario without missiles.
#[test]
fn missile_feeds_do_not_change_the_other_feeds() {
    let mut with = Scenario::new(seeded(11));
    let mut without = Scenario::new(seeded(11));
    without.missiles = crate::missile_feeds::MissileFeeds::none(without.cfg.start_ms);
    let mut missile_plots = 0;
    for _ in 0..200 {
        let a = with.step(1_000);
        let b = without.step(1_000);
        missile_plots += a.iter().filter(|e| is_missile_feed(e.feed)).count();
        let a: Vec<_> = a.into_iter().filter(|e| !is_missile_feed(e.feed)).collect();
        assert!(b.iter().all(|e| !is_missile_feed(e.feed)));
        assert_eq!(a, b);
    }
    assert!(missile_plots > 100, "{missile_plots}");
}

/// The demo's SRBM (launched ~30 s in) is seen by Korea's Green Pine within two
/// minutes, and every plot is of a launched missile, from its radar's site, decoding
/// back through the feed's own decoder to the plot sent.
#[test]
fn missile_plots_decode_on_their_feeds() {
    let mut sc = Scenario::new(SimConfig::default());
    let feeds = demo_feeds();
    let mut decoders: BTreeMap<&str, biac_formats::FeedDecoder> = BTreeMap::new();
    let mut per_feed: BTreeMap<&str, usize> = BTreeMap::new();
    let t0 = sc.cfg.start_ms;
    for _ in 0..120 {
        for e in sc.step_records(1_000) {
            let Record::Plots3d(line) = &e.record else {
                continue;
            };
            let f = feeds.iter().find(|f| f.name == e.feed).unwrap();
            let dec = decoders
                .entry(e.feed)
                .or_insert_with(|| biac_formats::FeedDecoder::new(f.clone()));
            let obs = dec.decode(line.as_bytes(), 0, e.time_ms).unwrap();
            assert_eq!(obs.len(), 1);
            assert_eq!(obs[0].time_ms, e.time_ms);
            assert_eq!(obs[0].label, f.default_label);
            assert!(obs[0].polar.as_ref().unwrap().elevation.is_some());
            // Not before the first launch (30 s, at most 2 s late).
            assert!(e.time_ms >= t0 + 30_000, "{}", e.time_ms);
            let id = e.truth_id.unwrap() - crate::missile_feeds::MISSILE_TRUTH_ID_BASE;
            assert_eq!(id, 1, "only the SRBM flies in the first two minutes");
            *per_feed.entry(e.feed).or_default() += 1;
        }
    }
    assert!(
        per_feed.get("kor-greenpine").copied().unwrap_or(0) > 20,
        "{per_feed:?}"
    );
}
