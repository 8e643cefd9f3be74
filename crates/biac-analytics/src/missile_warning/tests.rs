use super::*;
use biac_model::{Classification, Domain, FlightPhase, ImpactPrediction, Velocity};

fn zones() -> Arc<SharedZoneSet> {
    biac_zones::shared(ZoneConfig::default())
}

fn set() -> &'static ZoneSet {
    static Z: OnceLock<Arc<SharedZoneSet>> = OnceLock::new();
    Z.get_or_init(zones).get()
}

fn secret_usa() -> Label {
    Label::rel_to(
        Classification::Secret,
        Nation::USA,
        &[Nation::JPN, Nation::KOR],
    )
}

/// A ballistic track at `t_ms` whose impact is predicted at (`lat`, `lon`) with a
/// 95 % ellipse of semi-axes `a` × `b` (major axis towards `bearing`).
fn missile(t_ms: i64, lat: f64, lon: f64, a: f64, b: f64, bearing: f64) -> Track {
    Track::new(7, t_ms, Position::new(39.0, 128.0), secret_usa())
        .with_velocity(Velocity {
            east_mps: 2000.0,
            north_mps: 0.0,
        })
        .with_cov([100.0, 0.0, 100.0])
        .with_domain(Domain::Air)
        .with_updates(t_ms as u64)
        .with_missile(Missile {
            phase: FlightPhase::Midcourse,
            alt_m: 300_000.0,
            speed_mps: 3000.0,
            climb_mps: 0.0,
            ipp: Some(ImpactPrediction {
                lat,
                lon,
                t_ms: t_ms + 300_000,
                semi_major_m: a,
                semi_minor_m: b,
                major_bearing_deg: bearing,
            }),
            launch: None,
            trajectory: vec![],
        })
}

fn phi(x: f64) -> f64 {
    // Abramowitz–Stegun 7.1.26 through erf: |error| < 1.5e-7, plenty for these margins.
    let z = x / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z.abs());
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-z * z).exp();
    0.5 * (1.0 + if z >= 0.0 { y } else { -y })
}

#[test]
fn half_plane_error_is_small() {
    let s = unit_samples();
    assert_eq!(s.len(), SAMPLES);
    let mut worst: f64 = 0.0;
    for k in 0..=100 {
        let d = -2.5 + 5.0 * k as f64 / 100.0;
        for a in 0..72 {
            let (sn, cs) = (a as f64 * 5.0).to_radians().sin_cos();
            let inside = s.iter().filter(|p| p[0] * cs + p[1] * sn < d).count();
            worst = worst.max((inside as f64 / SAMPLES as f64 - phi(d)).abs());
        }
    }
    assert!(worst < 0.02, "worst half-plane error {worst}");
}

/// A point off Miyagi on the bearing 90° line whose distance inside Japan's EEZ limit is
/// `d_m` (negative: outside), found on the zone set's own distance field.
fn off_sanriku(d_m: f64) -> (f64, f64) {
    let (lo, hi) = (300_000.0, 500_000.0);
    let at = |x: f64| biac_geo::destination(38.3, 141.7, 90.0, x);
    let inside = |x: f64| {
        let (la, lo) = at(x);
        EEZ_M - set().distance_to_baseline_m(State::JPN, la, lo).unwrap()
    };
    let (mut a, mut b) = (lo, hi);
    assert!(inside(a) > d_m && inside(b) < d_m);
    for _ in 0..60 {
        let m = (a + b) / 2.0;
        if inside(m) > d_m {
            a = m
        } else {
            b = m
        }
    }
    at((a + b) / 2.0)
}

/// 10 km σ round ellipse.
const SEMI: f64 = 10_000.0 * ELLIPSE_95_SIGMAS;

fn jpn_probability(lat: f64, lon: f64, a: f64, b: f64, bearing: f64) -> f64 {
    let m = missile(0, lat, lon, a, b, bearing);
    let r = assess(set(), m.missile.as_ref().unwrap(), &[State::JPN], true);
    r[0].probability
}

#[test]
fn probabilities_match_the_gaussian_across_the_eez_limit() {
    for (sigmas, want) in [(1.476, 0.93), (1.126, 0.87), (-1.126, 0.13), (-1.476, 0.07)] {
        let (lat, lon) = off_sanriku(sigmas * 10_000.0);
        let p = jpn_probability(lat, lon, SEMI, SEMI, 0.0);
        assert!(
            (p - want).abs() < 0.025,
            "{sigmas} σ inside: {p}, want {want}"
        );
    }
}

#[test]
fn an_ellipse_straddling_the_eez_line_is_even() {
    let (lat, lon) = off_sanriku(0.0);
    // Round, and long across the line (the limit runs about north-south here), and long
    // along it.
    for (a, b, bearing) in [
        (SEMI, SEMI, 0.0),
        (4.0 * SEMI, SEMI, 90.0),
        (4.0 * SEMI, SEMI, 0.0),
    ] {
        let p = jpn_probability(lat, lon, a, b, bearing);
        assert!((p - 0.5).abs() < 0.04, "{a} x {b} @ {bearing}: {p}");
    }
    // Deep inside and far outside.
    let (lat, lon) = off_sanriku(60_000.0);
    assert_eq!(jpn_probability(lat, lon, SEMI, SEMI, 0.0), 1.0);
    let (lat, lon) = off_sanriku(-60_000.0);
    assert_eq!(jpn_probability(lat, lon, SEMI, SEMI, 0.0), 0.0);
}

fn watch(protect: &[&str]) -> MissileWarningWatch {
    let cfg = WarningConfig {
        protect: protect.iter().map(|s| s.to_string()).collect(),
        ..WarningConfig::default()
    };
    MissileWarningWatch::new(&cfg, zones()).unwrap()
}

#[test]
fn opens_above_raise_updates_and_withdraws_below_withdraw() {
    let mut w = watch(&["JPN", "KOR"]);
    let at = |t: i64, sigmas: f64| {
        let (lat, lon) = off_sanriku(sigmas * 10_000.0);
        missile(t, lat, lon, SEMI, SEMI, 0.0)
    };
    assert!(
        w.evaluate([&at(1_000, 1.126)]).is_empty(),
        "0.87: no warning"
    );
    let open = w.evaluate([&at(2_000, 1.476)]);
    assert_eq!(open.len(), 1, "{open:?}");
    let o = &open[0];
    assert_eq!(
        (o.kind.as_str(), o.state),
        ("missile-warning", AlertState::Open)
    );
    assert_eq!(o.zone, "Japan EEZ (approximate)");
    assert!(o.detail["probability"] >= 0.9, "{:?}", o.detail);
    assert_eq!(o.detail["impact_t_ms"], 302_000.0);
    assert_eq!(o.tracks, vec![7]);
    assert!(o.message.contains("MISSILE WARNING Japan"), "{}", o.message);
    // The same picture again adds nothing; 0.87 is above withdraw: an update (material
    // change of probability), not a close.
    assert!(w.evaluate([&at(2_000, 1.476)]).is_empty());
    let upd = w.evaluate([&at(3_000, 1.126)]);
    assert_eq!(upd.len(), 1);
    assert_eq!(upd[0].state, AlertState::Update);
    assert_eq!(upd[0].episode, o.episode);
    // 0.13 stays open; 0.07 withdraws.
    let stay = w.evaluate([&at(4_000, -1.126)]);
    assert!(
        stay.iter().all(|a| a.state == AlertState::Update),
        "{stay:?}"
    );
    let close = w.evaluate([&at(5_000, -1.476)]);
    assert_eq!(close.len(), 1, "{close:?}");
    assert_eq!(close[0].state, AlertState::Close);
    assert_eq!(close[0].episode, o.episode);
    assert!(
        close[0].message.contains("withdrawn"),
        "{}",
        close[0].message
    );
    // A new episode when it comes back.
    let again = w.evaluate([&at(6_000, 1.476)]);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].state, AlertState::Open);
    assert_ne!(again[0].episode, o.episode);
}

#[test]
fn closes_at_impact_time_and_when_the_track_goes() {
    let (lat, lon) = off_sanriku(60_000.0);
    let mut w = watch(&["JPN"]);
    let m = missile(1_000, lat, lon, SEMI, SEMI, 0.0);
    assert_eq!(w.evaluate([&m]).len(), 1);
    // Another track's time passes the predicted impact (301 s).
    let mut other = missile(301_000, 30.0, 160.0, SEMI, SEMI, 0.0);
    other.id = 8;
    other.missile = None;
    let c = w.evaluate([&m, &other]);
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].state, AlertState::Close);
    assert!(c[0].message.contains("impact time"), "{}", c[0].message);

    let mut w = watch(&["JPN"]);
    assert_eq!(w.evaluate([&m]).len(), 1);
    let c = w.evaluate([&other]);
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].state, AlertState::Close);
    assert!(c[0].message.contains("track ended"), "{}", c[0].message);
    assert_eq!(c[0].time_ms, 301_000);
}

#[test]
fn an_impact_in_koreas_eez_warns_korea_not_japan() {
    // East of Pohang, short of the median line with Japan.
    let (lat, lon) = (36.6, 130.3);
    let z = set().zone_at(lat, lon);
    assert_eq!(z.eez, Some(State::KOR), "{z:?}");
    let mut w = watch(&["JPN", "KOR"]);
    let a = w.evaluate([&missile(1_000, lat, lon, SEMI, 0.5 * SEMI, 45.0)]);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].zone, "Korea EEZ (approximate)");
    assert!(a[0].episode.contains(":KOR:"), "{}", a[0].episode);
    // Korea only: its zones' label joins in (zones are public: nothing tightens).
    assert_eq!(
        a[0].label,
        secret_usa().join(&Label::unclassified_public(Nation::KOR))
    );
    // An audience protecting Japan only gets nothing.
    assert!(watch(&["JPN"])
        .evaluate([&missile(1_000, lat, lon, SEMI, 0.5 * SEMI, 45.0)])
        .is_empty());
}

/// A ground track of 30 points from (`lat0`, `lon0`) to (`lat1`, `lon1`).
fn path(lat0: f64, lon0: f64, lat1: f64, lon1: f64) -> Vec<[f64; 3]> {
    let (d, az, _) = biac_geo::inverse(lat0, lon0, lat1, lon1);
    (0..30)
        .map(|i| {
            let (la, lo) = biac_geo::destination(lat0, lon0, az, d * i as f64 / 29.0);
            [lo, la, 500_000.0]
        })
        .collect()
}

#[test]
fn overflight_of_tohoku_warns_japan() {
    // From the Sea of Japan over Aomori and Iwate to the Pacific, 900 km beyond the coast:
    // the impact is outside every EEZ; the flight crosses Honshu.
    let (ilat, ilon) = (40.0, 152.0);
    let mut m = missile(1_000, ilat, ilon, 20_000.0, 8_000.0, 80.0);
    m.missile.as_mut().unwrap().trajectory = path(40.7, 136.5, ilat, ilon);
    let r = assess(set(), m.missile.as_ref().unwrap(), &[State::JPN], true);
    assert_eq!(r[0].impact_probability, 0.0, "{r:?}");
    assert_eq!(r[0].overflight_probability, 1.0, "{r:?}");
    assert_eq!(r[0].place, Some(Place::Overflight));
    let a = watch(&["JPN"]).evaluate([&m]);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].zone, "Japan land territory (overflight, approximate)");
    assert_eq!(a[0].detail["overflight"], 1.0);
    // Off: no warning. North of Hokkaido, across the Sea of Okhotsk: no overflight.
    let cfg = WarningConfig {
        protect: vec!["JPN".into()],
        overflight: false,
        ..WarningConfig::default()
    };
    let mut off = MissileWarningWatch::new(&cfg, zones()).unwrap();
    assert!(off.evaluate([&m]).is_empty());
    let mut north = missile(1_000, 47.5, 155.0, 20_000.0, 8_000.0, 80.0);
    north.missile.as_mut().unwrap().trajectory = path(46.8, 138.0, 47.5, 155.0);
    let r = assess(set(), north.missile.as_ref().unwrap(), &[State::JPN], true);
    assert_eq!(r[0].probability, 0.0, "{r:?}");
}

#[test]
fn a_track_grazing_the_coast_gets_a_partial_overflight() {
    // A ground track laid along the bearing 0° line through Cape Erimo (Hokkaido's
    // southern tip, 41.92 N 143.25 E) ends at its tip: displacements either way decide.
    let mut m = missile(1_000, 44.0, 150.0, 200_000.0, 200_000.0, 0.0);
    let mm = m.missile.as_mut().unwrap();
    mm.ipp.as_mut().unwrap().lat = 41.0;
    mm.ipp.as_mut().unwrap().lon = 143.25;
    mm.trajectory = path(36.0, 143.25, 41.0, 143.25);
    let r = assess(set(), m.missile.as_ref().unwrap(), &[State::JPN], true);
    assert!(
        r[0].overflight_probability > 0.0 && r[0].overflight_probability < 1.0,
        "{r:?}"
    );
}

#[test]
fn labels_join_every_input_over_the_episode_and_the_zone() {
    let (lat, lon) = off_sanriku(60_000.0);
    let mut w = watch(&["JPN"]);
    let zone = Label::unclassified_public(Nation::JPN);
    let a = w.evaluate([&missile(1_000, lat, lon, SEMI, SEMI, 0.0)]);
    assert_eq!(a[0].label, secret_usa().join(&zone));
    // A Korean radar's plot joins the track.
    let kor = Label::rel_to(Classification::TopSecret, Nation::KOR, &[Nation::USA]);
    let mut m = missile(2_000, lat, lon, SEMI, SEMI, 0.0);
    m.label = m.label.join(&kor);
    assert!(w.evaluate([&m]).is_empty());
    // It leaves again; the episode's alerts still carry it (derived from it).
    let gone = w.evaluate([&missile(3_000, 30.0, 170.0, SEMI, SEMI, 0.0)]);
    assert_eq!(gone.len(), 1, "{gone:?}");
    assert_eq!(gone[0].state, AlertState::Close);
    assert_eq!(gone[0].label, secret_usa().join(&zone).join(&kor));
    assert_eq!(gone[0].label.classification(), Classification::TopSecret);
}

#[test]
fn an_audience_not_shown_the_track_gets_no_warning() {
    // Two audiences' watches: JPN's picture holds the missile, AUS's does not (the
    // runtime never fuses a plot into a picture whose audience may not see it).
    let (lat, lon) = off_sanriku(60_000.0);
    let m = missile(1_000, lat, lon, SEMI, SEMI, 0.0);
    let mut jpn = watch(&["JPN"]);
    let mut aus = watch(&["JPN"]);
    let mut other = missile(1_000, 10.0, 170.0, SEMI, SEMI, 0.0);
    other.id = 3;
    other.missile = None;
    assert_eq!(jpn.evaluate([&m, &other]).len(), 1);
    assert!(aus.evaluate([&other]).is_empty());
}

#[test]
fn bad_configurations_are_refused_and_bad_predictions_ignored() {
    for (raise, withdraw) in [(0.9, 0.9), (1.1, 0.1), (0.9, 0.0), (f64::NAN, 0.1)] {
        let cfg = WarningConfig {
            raise,
            withdraw,
            ..Default::default()
        };
        assert!(cfg.validate().is_err(), "{raise} {withdraw}");
    }
    for protect in ["CHN", "XXX", "jpn", "USA"] {
        let cfg = WarningConfig {
            protect: vec![protect.into()],
            ..Default::default()
        };
        assert!(cfg.validate().is_err(), "{protect}");
    }
    assert!(WarningConfig::default().validate().is_ok());
    let mut w = watch(&["JPN"]);
    for bad in [f64::NAN, f64::INFINITY] {
        let m = missile(1_000, bad, 143.0, SEMI, SEMI, 0.0);
        assert!(w.evaluate([&m]).is_empty());
        let m = missile(2_000, 38.0, 143.0, bad, SEMI, 0.0);
        assert!(w.evaluate([&m]).is_empty());
    }
}
