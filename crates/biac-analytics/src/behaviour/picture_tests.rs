//! The live-only rules at their thresholds: a case just inside and one just outside each.

use std::sync::{Arc, OnceLock};

use biac_model::{
    Alert, AlertState, Classification, Identity, Label, Nation, Position, Track, TrackStatus,
};

use super::super::{open_sea, BehaviourWatch, Thresholds};
use super::*;

const T0: i64 = 1_767_225_600_000;
const S: i64 = 1_000;

/// Writes a feed's contribution time into a track's sources, in whichever form the model
/// holds them (names alone, or name → time).
trait PutFeed {
    /// Whether the form keeps times (the dark vessel rule needs them).
    const TIMES: bool;
    fn put(&mut self, feed: &str, t: i64);
}

impl PutFeed for BTreeSet<String> {
    const TIMES: bool = false;
    fn put(&mut self, feed: &str, _t: i64) {
        self.insert(feed.to_string());
    }
}

impl PutFeed for BTreeMap<String, i64> {
    const TIMES: bool = true;
    fn put(&mut self, feed: &str, t: i64) {
        self.insert(feed.to_string(), t);
    }
}

fn carries_times<T: PutFeed>(_: &T) -> bool {
    T::TIMES
}

fn public() -> Label {
    Label::unclassified_public(Nation::JPN)
}

fn secret() -> Label {
    Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA])
}

fn track(id: u64, t_ms: i64, p: (f64, f64), mmsi: Option<u32>) -> Track {
    Track::new(id, t_ms, Position::new(p.0, p.1), public()).with_identity(Identity {
        mmsi,
        ..Default::default()
    })
}

fn watch(
    rules: LiveRules,
) -> BehaviourWatch<crate::behaviour::FnGeography<super::super::DistanceFn, super::super::DistanceFn>>
{
    BehaviourWatch::new(Thresholds::default(), open_sea(), vec![]).with_live(rules)
}

fn of<'a>(alerts: &'a [Alert], kind: &str) -> Vec<&'a Alert> {
    alerts.iter().filter(|a| a.kind == kind).collect()
}

// ---- dark vessel -------------------------------------------------------------------

/// A vessel whose AIS was last heard at T0 while radar updates it until `radar_ms`.
fn dark_case(radar_ms: i64) -> (Vec<Alert>, bool) {
    let rules = LiveRules {
        ais_feeds: ["ais".to_string()].into(),
        ..Default::default()
    };
    let mut w = watch(rules);
    let mut alerts = Vec::new();
    let mut times = false;
    for t in [T0, T0 + 60 * S, radar_ms] {
        let mut tr = track(1, t, (30.0, 150.0), Some(431_000_001));
        tr.sources.put("ais", T0);
        tr.sources.put("radar", t);
        tr.label = secret();
        times = carries_times(&tr.sources);
        alerts.extend(w.evaluate(&[tr]));
    }
    (alerts, times)
}

#[test]
fn dark_vessel_at_its_threshold() {
    // The default: AIS silent for 600 s while radar follows.
    let (just_outside, times) = dark_case(T0 + 600 * S - 1);
    assert!(
        of(&just_outside, "dark_vessel").is_empty(),
        "{just_outside:?}"
    );
    let (just_inside, _) = dark_case(T0 + 600 * S);
    let dark = of(&just_inside, "dark_vessel");
    if !times {
        // The model holds feed names alone: no feed's last time is known, so the rule
        // cannot tell a silent AIS from a live one and must raise nothing.
        assert!(dark.is_empty(), "{dark:?}");
        return;
    }
    assert_eq!(dark.len(), 1, "{just_inside:?}");
    assert_eq!(dark[0].state, AlertState::Open);
    assert_eq!(dark[0].time_ms, T0 + 600 * S);
    assert_eq!(dark[0].label, secret());
    assert_eq!(dark[0].detail["ais_silent_s"], 600.0);
}

#[test]
fn a_dark_vessel_closes_when_its_ais_is_heard_again_or_the_track_goes() {
    let rules = LiveRules {
        ais_feeds: ["ais".to_string()].into(),
        ..Default::default()
    };
    for ending in ["ais back", "gone"] {
        let mut w = watch(rules.clone());
        let mut alerts = Vec::new();
        let mut times = false;
        for k in 0..=12 {
            let t = T0 + k * 60 * S;
            let mut tr = track(1, t, (30.0, 150.0), Some(431_000_001));
            // AIS heard again at the last picture, or the track gone from it.
            let ais = if k == 12 { t } else { T0 };
            tr.sources.put("ais", ais);
            tr.sources.put("gmti", t);
            times = carries_times(&tr.sources);
            let other = track(2, t, (31.0, 150.0), None);
            let picture = if ending == "gone" && k == 12 {
                vec![other]
            } else {
                vec![tr, other]
            };
            alerts.extend(w.evaluate(&picture));
        }
        let dark: Vec<_> = of(&alerts, "dark_vessel")
            .iter()
            .map(|a| (a.state, a.time_ms, a.episode.clone()))
            .collect();
        if !times {
            assert!(dark.is_empty());
            continue;
        }
        let key = format!("dark_vessel:431000001:{}", T0 + 600 * S);
        assert_eq!(
            dark,
            vec![
                (AlertState::Open, T0 + 600 * S, key.clone()),
                (
                    AlertState::Close,
                    T0 + if ending == "gone" { 11 } else { 12 } * 60 * S,
                    key
                )
            ],
            "{ending}"
        );
    }
}

#[test]
fn a_vessel_whose_ais_and_radar_both_report_is_not_dark() {
    let rules = LiveRules {
        ais_feeds: ["ais".to_string()].into(),
        ..Default::default()
    };
    let mut w = watch(rules);
    for k in 0..30 {
        let t = T0 + k * 60 * S;
        let mut tr = track(1, t, (30.0, 150.0), Some(431_000_001));
        tr.sources.put("ais", t - 5 * S);
        tr.sources.put("radar", t);
        assert!(of(&w.evaluate(&[tr]), "dark_vessel").is_empty());
    }
}

// ---- radar-only track in a territorial sea or contiguous zone ------------------------

fn zones() -> Arc<biac_zones::ZoneSet> {
    static SET: OnceLock<Arc<biac_zones::ZoneSet>> = OnceLock::new();
    SET.get_or_init(|| Arc::new(biac_zones::ZoneSet::theatre()))
        .clone()
}

/// Uotsuri-jima (Senkakus), administered by Japan in the default recognition.
const ISLAND: (f64, f64) = (25.743, 123.473);

/// The distance west of the island (away from the group's other islands) at which `inside` stops holding (to 1 m).
fn boundary(set: &biac_zones::ZoneSet, inside: impl Fn(biac_zones::ZoneAt) -> bool) -> f64 {
    let at = |d: f64| {
        let (lat, lon) = west(d);
        set.zone_at(lat, lon)
    };
    let (mut lo, mut hi) = (5_000.0, 60_000.0);
    assert!(inside(at(lo)) && !inside(at(hi)));
    while hi - lo > 1.0 {
        let mid = 0.5 * (lo + hi);
        if inside(at(mid)) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

fn west(d: f64) -> (f64, f64) {
    biac_geo::destination(ISLAND.0, ISLAND.1, 270.0, d)
}

/// Radar-only tracks watched from their first confirmed sight (the limits, not the age).
fn no_age() -> LiveThresholds {
    LiveThresholds {
        radar_only_min_s: 0.0,
        ..Default::default()
    }
}

#[test]
fn a_radar_only_track_is_alerted_once_old_enough_and_keeps_its_episode_while_coasting() {
    let set = zones();
    let ts = boundary(&set, |z| z.territorial_sea.is_some());
    let mut w = watch(LiveRules {
        zones: Some((set, public())),
        ..Default::default()
    });
    let min_s = LiveThresholds::default().radar_only_min_s as i64;
    let inside = west(ts - 500.0);
    let opened = |a: &[Alert]| of(a, "radar_only_in_zone").len();
    // Inside from its first sight, but too young: nothing (clutter lives seconds).
    for k in 0..min_s / 10 {
        assert_eq!(
            opened(&w.evaluate(&[track(9, T0 + k * 10 * S, inside, None)])),
            0
        );
    }
    // Old enough: one open.
    let a = w.evaluate(&[track(9, T0 + min_s * S, inside, None)]);
    assert_eq!(of(&a, "radar_only_in_zone")[0].state, AlertState::Open);
    // Missed a scan (coasting, predicted outside): the episode stands, nothing new.
    let mut c = track(9, T0 + (min_s + 10) * S, west(ts + 5_000.0), None);
    c.status = TrackStatus::Coasting;
    assert_eq!(opened(&w.evaluate(&[c])), 0);
    assert_eq!(
        opened(&w.evaluate(&[track(9, T0 + (min_s + 20) * S, inside, None)])),
        0
    );
    // A track that becomes tentative again starts its age afresh.
    let mut t = track(10, T0, inside, None);
    t.status = TrackStatus::Tentative;
    w.evaluate(&[t]);
    assert_eq!(opened(&w.evaluate(&[track(10, T0 + S, inside, None)])), 0);
}

#[test]
fn radar_only_in_zone_at_the_territorial_sea_and_contiguous_zone_limits() {
    let set = zones();
    let ts = boundary(&set, |z| z.territorial_sea.is_some());
    let cz = boundary(&set, |z| {
        z.contiguous_zone.is_some() || z.territorial_sea.is_some()
    });
    // From the island's centre: the limits plus up to a few km of island.
    assert!(
        (ts - biac_zones::TERRITORIAL_SEA_M - 1_500.0).abs() < 2_000.0,
        "{ts}"
    );
    assert!(
        (cz - biac_zones::CONTIGUOUS_ZONE_M - 1_500.0).abs() < 2_000.0,
        "{cz}"
    );
    let ts_label = Label::rel_to(Classification::Confidential, Nation::JPN, &[Nation::USA]);
    let rules = LiveRules {
        zones: Some((set, ts_label.clone())),
        th: no_age(),
        ..Default::default()
    };
    let mut w = watch(rules);
    // One picture, five tracks: just inside / outside each limit, and one with AIS.
    let picture = [
        track(1, T0, west(ts - 20.0), None),
        track(2, T0, west(ts + 20.0), None),
        track(3, T0, west(cz - 20.0), None),
        track(4, T0, west(cz + 20.0), None),
        track(5, T0, west(ts - 20.0), Some(431_000_001)),
    ];
    let alerts = w.evaluate(&picture);
    let got: Vec<(u64, &str, AlertState)> = of(&alerts, "radar_only_in_zone")
        .iter()
        .map(|a| (a.track_id, a.zone.as_str(), a.state))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "Japan territorial sea", AlertState::Open),
            (2, "Japan contiguous zone", AlertState::Open),
            (3, "Japan contiguous zone", AlertState::Open),
        ]
    );
    for a in &alerts {
        assert_eq!(
            a.label,
            public().join(&ts_label),
            "the track's and the zones'"
        );
    }
    // Once per entry: the same picture later raises nothing.
    let later: Vec<Track> = picture
        .iter()
        .map(|t| Track {
            time_ms: T0 + 10 * S,
            ..t.clone()
        })
        .collect();
    assert!(w.evaluate(&later).is_empty());
}

#[test]
fn a_radar_only_track_crossing_into_the_territorial_sea_opens_and_closes_episodes() {
    let set = zones();
    let ts = boundary(&set, |z| z.territorial_sea.is_some());
    let cz = boundary(&set, |z| {
        z.contiguous_zone.is_some() || z.territorial_sea.is_some()
    });
    let mut w = watch(LiveRules {
        zones: Some((set, public())),
        th: no_age(),
        ..Default::default()
    });
    let mut alerts = Vec::new();
    // Inbound from beyond the contiguous zone to inside the territorial sea, then out.
    // (Each step beyond the lines' margin.)
    let path = [
        cz + 1_500.0,
        cz - 1_500.0,
        ts + 1_500.0,
        ts - 1_500.0,
        ts - 2_000.0,
        cz + 1_500.0,
    ];
    for (k, d) in path.iter().enumerate() {
        let mut t = track(7, T0 + k as i64 * 60 * S, west(*d), None);
        // A tentative track is not watched yet.
        if k == 0 {
            t.status = TrackStatus::Tentative;
        }
        alerts.extend(w.evaluate(&[t]));
    }
    let got: Vec<(String, AlertState, i64)> = alerts
        .iter()
        .map(|a| (a.zone.clone(), a.state, (a.time_ms - T0) / (60 * S)))
        .collect();
    let (c, t) = (
        "Japan contiguous zone".to_string(),
        "Japan territorial sea".to_string(),
    );
    assert_eq!(
        got,
        vec![
            (c.clone(), AlertState::Open, 1),
            (c, AlertState::Close, 2),
            (t.clone(), AlertState::Open, 3),
            (t, AlertState::Close, 4),
        ],
        "{alerts:?}"
    );
    assert_eq!(alerts[0].episode, alerts[1].episode);
    assert_eq!(alerts[2].episode, alerts[3].episode);
    assert_ne!(alerts[0].episode, alerts[2].episode);
}

#[test]
fn a_radar_only_track_on_the_12_nm_line_keeps_its_episode_within_the_margin() {
    let set = zones();
    let ts = boundary(&set, |z| z.territorial_sea.is_some());
    let margin = LiveThresholds::default().zone_margin_m;
    let mut w = watch(LiveRules {
        zones: Some((set, public())),
        th: no_age(),
        ..Default::default()
    });
    // Flipping across the line with the tracker's noise, then beyond the margin on
    // either side (100 m of slack: west of the island, baseline distance grows about
    // metre for metre).
    let path = [
        ts - 150.0,
        ts + 150.0,
        ts - 150.0,
        ts + margin - 100.0,
        ts - 150.0,
        ts + margin + 100.0,
        ts + 150.0,
        ts - margin + 100.0,
        ts - margin - 100.0,
    ];
    let mut alerts = Vec::new();
    for (k, d) in path.iter().enumerate() {
        alerts.extend(w.evaluate(&[track(7, T0 + k as i64 * 10 * S, west(*d), None)]));
    }
    let got: Vec<(&str, AlertState, i64)> = alerts
        .iter()
        .map(|a| (a.zone.as_str(), a.state, (a.time_ms - T0) / (10 * S)))
        .collect();
    let (c, t) = ("Japan contiguous zone", "Japan territorial sea");
    // (A close is stamped with the episode's last time in its zone: 4 and 7.)
    assert_eq!(
        got,
        vec![
            (t, AlertState::Open, 0),
            (t, AlertState::Close, 4),
            (c, AlertState::Open, 5),
            (c, AlertState::Close, 7),
            (t, AlertState::Open, 8),
        ],
        "{alerts:?}"
    );
}

// ---- identity change ---------------------------------------------------------------

fn named(id: u64, t: i64, name: Option<&str>, ty: Option<u8>) -> Track {
    let mut tr = track(id, t, (30.0, 150.0), Some(431_000_009));
    tr.identity.name = name.map(str::to_string);
    tr.identity.ship_type = ty;
    tr
}

#[test]
fn identity_change_of_name_or_type_and_not_otherwise() {
    let mut w = watch(LiveRules::default());
    let mut alerts = Vec::new();
    for (k, (name, ty)) in [
        (None, None),
        (Some("KAIYO MARU"), None),
        (Some("KAIYO MARU "), Some(30)),
        // Case and blank padding are not a change; an unknown field is not either.
        (Some("Kaiyo Maru"), None),
        (Some("HAI YANG 7"), Some(30)),
        (Some("HAI YANG 7"), Some(80)),
    ]
    .into_iter()
    .enumerate()
    {
        alerts.extend(w.evaluate(&[named(1, T0 + k as i64 * S, name, ty)]));
    }
    let ch = of(&alerts, "identity_change");
    assert_eq!(ch.len(), 2, "{ch:?}");
    assert!(
        ch[0].message.contains("\"KAIYO MARU\" -> \"HAI YANG 7\""),
        "{}",
        ch[0].message
    );
    assert_eq!(ch[0].state, AlertState::Event);
    assert_eq!(ch[0].time_ms, T0 + 4 * S);
    assert_eq!(ch[1].detail["ship_type_from"], 30.0);
    assert_eq!(ch[1].detail["ship_type_to"], 80.0);
    // The MMSI's identity carries over to a new track of it (the old one was dropped).
    let again = w.evaluate(&[named(2, T0 + 10 * S, Some("KAIYO MARU"), Some(80))]);
    assert_eq!(of(&again, "identity_change").len(), 1);
}

// ---- AIS vs radar ------------------------------------------------------------------

/// An AIS track and a radar track `apart` metres apart, both 5 m/s east (the radar one
/// `dv` faster), shown every 10 s for `secs`.
fn mismatch_case(apart: f64, dv: f64, secs: i64) -> Vec<Alert> {
    let mut w = watch(LiveRules::default());
    let mut alerts = Vec::new();
    for k in 0..=secs / 10 {
        let t = T0 + k * 10 * S;
        let (lat, lon) = biac_geo::destination(30.0, 150.0, 90.0, 50.0 * k as f64);
        let mut ais = track(1, t, (lat, lon), Some(431_000_002));
        ais.velocity.east_mps = 5.0;
        ais.label = secret();
        let mut radar = track(2, t, biac_geo::destination(lat, lon, 0.0, apart), None);
        radar.velocity.east_mps = 5.0 + dv;
        alerts.extend(w.evaluate(&[ais, radar]));
    }
    alerts.retain(|a| a.kind == "ais_radar_mismatch");
    alerts
}

#[test]
fn ais_radar_mismatch_beyond_noise_only() {
    // Noise: 1 km (the combined sigma here is 1.4 m).
    assert!(mismatch_case(999.0, 0.0, 300).is_empty());
    let a = mismatch_case(1_001.0, 0.0, 300);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].state, AlertState::Open);
    assert_eq!(a[0].tracks, vec![1, 2]);
    assert_eq!(a[0].label, secret().join(&public()));
    // At most 10 km.
    assert_eq!(mismatch_case(9_990.0, 0.0, 300).len(), 1);
    assert!(mismatch_case(10_010.0, 0.0, 300).is_empty());
}

#[test]
fn ais_radar_mismatch_needs_alike_motion_for_its_duration() {
    // Velocities within 1.5 m/s.
    assert_eq!(mismatch_case(2_000.0, 1.49, 300).len(), 1);
    assert!(mismatch_case(2_000.0, 1.51, 300).is_empty());
    // For 120 s: seen from 0 s, opened at 120 s, not before.
    assert!(mismatch_case(2_000.0, 0.0, 110).is_empty());
    let a = mismatch_case(2_000.0, 0.0, 120);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].time_ms, T0 + 120 * S);
    assert_eq!(a[0].episode, format!("ais_radar_mismatch:431000002:{T0}"));
}

#[test]
fn ais_radar_mismatch_closes_when_they_agree_again() {
    let mut w = watch(LiveRules::default());
    let mut alerts = Vec::new();
    for k in 0..=40 {
        let t = T0 + k * 10 * S;
        let mut ais = track(1, t, (30.0, 150.0), Some(431_000_002));
        ais.velocity.east_mps = 5.0;
        // Apart for 300 s, then together (fused back: the radar track goes).
        let mut picture = vec![ais];
        if k < 30 {
            let mut radar = track(2, t, biac_geo::destination(30.0, 150.0, 0.0, 3_000.0), None);
            radar.velocity.east_mps = 5.0;
            picture.push(radar);
        }
        alerts.extend(w.evaluate(&picture));
    }
    let got: Vec<(AlertState, i64)> = of(&alerts, "ais_radar_mismatch")
        .iter()
        .map(|a| (a.state, (a.time_ms - T0) / S))
        .collect();
    assert_eq!(got, vec![(AlertState::Open, 120), (AlertState::Close, 290)]);
}

#[test]
fn live_thresholds_validate() {
    assert!(LiveThresholds::default().validate().is_ok());
    let bad = LiveThresholds {
        mismatch_max_m: f64::NAN,
        ..Default::default()
    };
    assert!(bad.validate().is_err());
}
