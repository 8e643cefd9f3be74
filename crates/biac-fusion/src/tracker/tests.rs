//! Tracker tests that look inside it (frames, model state, seeds).

use super::*;
use crate::geo::geodetic_to_ecef;
use crate::motion::ImmParams;
use crate::MotionModel;
use biac_model::{Classification, Domain, Label, Nation, Position};

/// A SECRET//REL TO USA, JPN air plot from radar r1 (shared with the other tracker tests).
pub(super) fn plot(t: TimeMs, lat: f64, lon: f64) -> Observation {
    let label = Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]);
    Observation::new(t, Position::new(lat, lon), 20.0, "radar", label)
        .with_domain(Domain::Air)
        .with_sensor("r1")
}

/// The shared output equals `tracks()` and re-uses exactly the unchanged tracks.
#[test]
fn tracks_reusing_shares_the_unchanged_tracks() {
    let mut tr = Tracker::new(TrackerConfig::default());
    let ship = |k: u32, t: TimeMs| {
        let mut o = plot(t, 26.0 + f64::from(k) * 0.1, 125.0 + t as f64 * 1e-8);
        o.identity.mmsi = Some(431_000_000 + k);
        o.kind = ObservationKind::SelfReport;
        o.domain = Domain::Surface;
        o.feed = "ais".into();
        o
    };
    for t in [0, 1000, 2000] {
        tr.process_batch((0..5).map(|k| ship(k, t)).collect());
    }
    let first = tr.tracks_reusing(&[]);
    assert_eq!(first.len(), 5);
    // Two of five ships report again.
    tr.process_batch(vec![ship(1, 3000), ship(3, 3000)]);
    let second = tr.tracks_reusing(&first);
    let plain = tr.tracks();
    assert_eq!(
        second.iter().map(|t| (**t).clone()).collect::<Vec<_>>(),
        plain
    );
    let shared: Vec<bool> = first
        .iter()
        .zip(&second)
        .map(|(a, b)| Arc::ptr_eq(a, b))
        .collect();
    assert_eq!(shared, [true, false, true, false, true]);
    // A status change alone (coasting) is a change too.
    tr.advance_to(3000 + 61_000);
    let third = tr.tracks_reusing(&second);
    assert!(third.iter().all(|t| t.status == TrackStatus::Coasting));
    assert!(third.iter().zip(&second).all(|(a, b)| !Arc::ptr_eq(a, b)));
}

/// A vessel renamed (new static data under the same MMSI) shows its new name and type;
/// another feed's name for it does not replace its own.
#[test]
fn a_vessels_newest_static_data_wins() {
    let mut tr = Tracker::new(TrackerConfig::default());
    let ship = |t: TimeMs, name: &str, ty: u8| {
        let mut o = plot(t, 26.0, 125.0);
        o.identity.mmsi = Some(431_000_001);
        o.identity.name = Some(name.into());
        o.identity.ship_type = Some(ty);
        o.kind = ObservationKind::SelfReport;
        o.domain = Domain::Surface;
        o.feed = "ais".into();
        o
    };
    tr.process_batch(vec![ship(0, "KAIYO MARU", 30)]);
    tr.process_batch(vec![ship(10_000, "KAIYO MARU", 30)]);
    assert_eq!(tr.tracks()[0].identity.name.as_deref(), Some("KAIYO MARU"));
    tr.process_batch(vec![ship(20_000, "HAI YANG 7", 80)]);
    let t = &tr.tracks()[0];
    assert_eq!(t.identity.name.as_deref(), Some("HAI YANG 7"));
    assert_eq!(t.identity.ship_type, Some(80));
    // A report naming no MMSI keeps the vessel's own name.
    let mut other = plot(30_000, 26.0, 125.0);
    other.domain = Domain::Surface;
    other.identity.name = Some("SOMETHING ELSE".into());
    tr.process_batch(vec![other]);
    assert_eq!(tr.tracks()[0].identity.name.as_deref(), Some("HAI YANG 7"));
}

#[test]
fn frame_is_rebased_as_the_track_moves() {
    let mut tr = Tracker::new(TrackerConfig::default());
    // An aircraft flying due east at ~200 m/s for 10 minutes: ~120 km.
    let lat: f64 = 28.0;
    let m_per_deg = 111_320.0 * lat.to_radians().cos();
    for k in 0..=120 {
        let t = k * 5_000;
        let lon = 125.0 + 200.0 * (t as f64 / 1000.0) / m_per_deg;
        tr.process_batch(vec![plot(t, lat, lon)]);
    }
    let st = tr.tracks.values().next().unwrap();
    assert_eq!(tr.tracks.len(), 1);
    assert!(st.kin.x[0].hypot(st.kin.x[1]) <= 20_000.0 + 2_000.0);
    assert!(
        st.frame.lon_deg > 126.0,
        "frame never moved: {}",
        st.frame.lon_deg
    );
    let out = tr.tracks();
    assert!(
        (out[0].velocity.east_mps - 200.0).abs() < 5.0,
        "{:?}",
        out[0].velocity
    );
}

#[test]
fn imm_tracks_survive_rebasing_through_a_turn() {
    // 200 m/s east for 4 min, a 0.02 rad/s left turn for 78 s (90°), then north
    // for 4 min: ~110 km, several rebases, with the IMM on.
    let cfg = TrackerConfig {
        motion: MotionModel::Imm(ImmParams::default()),
        ..TrackerConfig::default()
    };
    let mut tr = Tracker::new(cfg);
    let frame = EnuFrame::new(28.0, 125.0);
    let (mut p, mut h, w) = ([0.0f64, 0.0], 0.0f64, 0.02);
    let mut worst: f64 = 0.0;
    for k in 0..=560 {
        if k > 0 {
            let turning = (240..318).contains(&k);
            if turning {
                p[0] += 200.0 / w * ((h + w).sin() - h.sin());
                p[1] += 200.0 / w * (h.cos() - (h + w).cos());
                h += w;
            } else {
                p[0] += 200.0 * h.cos();
                p[1] += 200.0 * h.sin();
            }
        }
        if k % 2 == 0 {
            let (lat, lon) = frame.en_to_geodetic(p[0], p[1]);
            tr.process_batch(vec![plot(k * 1000, lat, lon)]);
            let imm = tr.tracks.values().next().and_then(|st| st.kin.imm());
            if let Some(imm) = imm {
                for m in 0..2 {
                    assert!(
                        crate::motion::cholesky(&imm.p[m]).is_some(),
                        "model {m} covariance not PD at {k}"
                    );
                }
            }
            if k > 20 {
                let t = &tr.tracks()[0];
                let q = geodetic_to_ecef(t.position.lat_deg, t.position.lon_deg, 0.0);
                let [e, n] = frame.ecef_to_en(q);
                worst = worst.max((e - p[0]).hypot(n - p[1]));
            }
        }
    }
    assert_eq!(tr.tracks.len(), 1, "one track throughout");
    let st = tr.tracks.values().next().unwrap();
    assert!(st.kin.imm().is_some());
    assert!(
        st.frame.lat_deg > 28.2,
        "rebased north: {}",
        st.frame.lat_deg
    );
    let out = tr.tracks();
    assert!(
        (out[0].velocity.north_mps - 200.0).abs() < 10.0 && out[0].velocity.east_mps.abs() < 10.0,
        "{:?}",
        out[0].velocity
    );
    assert!(worst < 150.0, "worst position error {worst} m");
}

/// A track started from a range/azimuth plot has the beam ellipse as its position
/// covariance: σ_r along the line of sight, r·σ_az across it (not a circle).
#[test]
fn polar_plot_starts_a_track_with_the_beam_ellipse() {
    let sensor = EnuFrame::new(26.0, 125.0);
    let (r, az) = (100_000.0, 0.8f64);
    let (lat, lon) = sensor.en_to_geodetic(r * az.sin(), r * az.cos());
    // Slant range to that surface point (785 m below the sensor's plane: +3 m).
    let (a, b) = (
        geodetic_to_ecef(lat, lon, 0.0),
        geodetic_to_ecef(26.0, 125.0, 0.0),
    );
    let slant = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt();
    assert!((slant - r - 3.1).abs() < 0.2, "{slant}");
    let mut o = plot(0, lat, lon);
    o.polar = Some(Box::new(biac_model::PolarMeasurement {
        sensor_position: Position::new(26.0, 125.0),
        sensor_velocity: None,
        range_m: slant,
        range_sigma_m: 10.0,
        azimuth_rad: az,
        azimuth_sigma_rad: 0.003,
        range_rate_mps: None,
        range_rate_sigma_mps: None,
        ground_fix: false,
        elevation: None,
    }));
    let mut tr = Tracker::new(TrackerConfig::default());
    tr.process_batch(vec![o]);
    let sd = &tr.initiator.seeds()[0];
    let (x, p) = (&sd.kin.x, &sd.kin.p);
    // The line of sight in the seed's own frame.
    let s = sd.frame.ecef_to_en(geodetic_to_ecef(26.0, 125.0, 0.0));
    let l = (x[0] - s[0]).hypot(x[1] - s[1]);
    let u = [(x[0] - s[0]) / l, (x[1] - s[1]) / l];
    let w = [-u[1], u[0]];
    let var =
        |v: [f64; 2]| v[0] * v[0] * p[0][0] + 2.0 * v[0] * v[1] * p[0][1] + v[1] * v[1] * p[1][1];
    let cross = (r * 0.003f64).powi(2);
    assert!((var(u) - 100.0).abs() < 2.0, "along {}", var(u));
    assert!((var(w) - cross).abs() < 0.01 * cross, "across {}", var(w));
    // Placed where the measurement says (the converted plot agrees here).
    assert!(x[0].hypot(x[1]) < 0.5, "{x:?}");
}

#[test]
fn identity_keys_conflict_only_within_kind_and_feed() {
    let a = IdKey::TrackNumber("f1".into(), "7".into());
    assert!(a.conflicts(&IdKey::TrackNumber("f1".into(), "8".into())));
    assert!(!a.conflicts(&IdKey::TrackNumber("f2".into(), "8".into())));
    assert!(IdKey::Mmsi(1).conflicts(&IdKey::Mmsi(2)));
    assert!(!IdKey::Mmsi(1).conflicts(&IdKey::Icao(2)));
}

/// `tracks_at` extrapolates with the track's own filter: an IMM track in a steady
/// turn is shown along the arc, closer to the object than a straight line would put it.
#[test]
fn tracks_at_extrapolates_with_the_imm() {
    let cfg = TrackerConfig {
        motion: MotionModel::Imm(ImmParams::default()),
        ..TrackerConfig::default()
    };
    let mut tr = Tracker::new(cfg);
    let frame = EnuFrame::new(28.0, 125.0);
    // 150 m/s in a 0.03 rad/s left turn, a plot every 2 s for 80 s.
    let (v, w) = (150.0f64, 0.03f64);
    let at = |t: f64| [v / w * (w * t).sin(), v / w * (1.0 - (w * t).cos())];
    for k in 0..=40 {
        let p = at(2.0 * k as f64);
        let (lat, lon) = frame.en_to_geodetic(p[0], p[1]);
        tr.process_batch(vec![plot(k * 2000, lat, lon)]);
    }
    let now = tr.tracks()[0].clone();
    let later = &tr.tracks_at(80_000 + 10_000)[0];
    let en = |t: &Track| {
        frame.ecef_to_en(geodetic_to_ecef(
            t.position.lat_deg,
            t.position.lon_deg,
            0.0,
        ))
    };
    let truth = at(90.0);
    let shown = en(later);
    let p = en(&now);
    let straight = [
        p[0] + 10.0 * now.velocity.east_mps,
        p[1] + 10.0 * now.velocity.north_mps,
    ];
    let err = |a: [f64; 2]| (a[0] - truth[0]).hypot(a[1] - truth[1]);
    assert!(
        err(shown) < 0.5 * err(straight),
        "IMM extrapolation {} m off, a straight line {} m",
        err(shown),
        err(straight)
    );
}

/// A motion model named in one domain's block runs that domain's tracks only: with the
/// IMM for air, an aircraft's track carries IMM state and a ship's track is the same,
/// bit for bit, as under the default configuration.
#[test]
fn a_domain_motion_model_runs_only_that_domains_tracks() {
    let run = |cfg: TrackerConfig| {
        let mut tr = Tracker::new(cfg);
        for k in 0..30 {
            let t = k * 2_000;
            let air = plot(
                t,
                28.0,
                125.0 + k as f64 * 0.004 + (k as f64 * 0.3).sin() * 1e-3,
            );
            let mut ship = plot(t, 26.0 + k as f64 * 1e-4, 124.0);
            ship.domain = Domain::Surface;
            tr.process_batch(vec![air, ship]);
        }
        let imm: Vec<(Domain, bool)> = tr
            .tracks
            .values()
            .map(|st| (st.domain, st.kin.imm().is_some()))
            .collect();
        (tr.tracks(), imm)
    };
    let cv = TrackerConfig::default();
    let mut air_imm = TrackerConfig::default();
    air_imm.air.motion = Some(MotionModel::Imm(ImmParams::default()));
    let (base, base_imm) = run(cv);
    let (mixed, mixed_imm) = run(air_imm);
    assert_eq!(base.len(), 2);
    assert!(base_imm.iter().all(|(_, imm)| !imm));
    let mut mixed_imm = mixed_imm;
    mixed_imm.sort_by_key(|(d, _)| *d as u8);
    assert_eq!(
        mixed_imm,
        [(Domain::Surface, false), (Domain::Air, true)],
        "only the air track runs the IMM"
    );
    let of = |ts: &[Track], d: Domain| ts.iter().find(|t| t.domain == d).cloned().unwrap();
    assert_eq!(of(&base, Domain::Surface), of(&mixed, Domain::Surface));
    let (a, b) = (of(&base, Domain::Air), of(&mixed, Domain::Air));
    assert_ne!((a.position, a.velocity), (b.position, b.velocity));
}
