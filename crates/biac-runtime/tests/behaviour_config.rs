//! The live-only rules' thresholds are configuration keys of `"behaviour"` (issue 16): a
//! configured value reaches every audience's watch, and a value no rule can work with
//! is refused, naming its key.

use std::collections::BTreeSet;
use std::sync::Arc;

use biac_model::{Classification, Identity, Label, Nation, Position, Subject, Track, Velocity};
use biac_runtime::behaviour::{Behaviour, BehaviourConfig};

const T0: i64 = 1_767_225_600_000;

/// A vessel far out in the Pacific whose AIS last contributed 40 s before the radar.
fn followed_without_ais(label: &Label) -> Track {
    Track::new(1, T0 + 40_000, Position::new(30.0, 150.0), label.clone())
        .with_velocity(Velocity {
            east_mps: 3.0,
            north_mps: 0.0,
        })
        .with_cov([100.0, 0.0, 100.0])
        .with_identity(Identity {
            mmsi: Some(431_000_009),
            ..Default::default()
        })
        .with_source("ais", T0)
        .with_source("radar", T0 + 40_000)
        .with_updates(10)
}

fn dark_alerts(cfg: &str) -> usize {
    let cfg: BehaviourConfig = serde_json::from_str(cfg).unwrap();
    let subject = Subject::new(Nation::JPN, Classification::Secret);
    let b = Behaviour::build(&cfg, &Default::default(), std::slice::from_ref(&subject)).unwrap();
    let ais: BTreeSet<String> = ["ais".to_string()].into();
    let mut w = b.watch_for(&subject, &ais).unwrap();
    let t = Arc::new(followed_without_ais(&Label::unclassified_public(
        Nation::JPN,
    )));
    w.evaluate(&[t])
        .iter()
        .filter(|a| a.kind == "dark_vessel")
        .count()
}

#[test]
fn a_configured_live_threshold_reaches_the_watch() {
    // AIS silent 40 s while radar follows: dark after 30 s configured, not after the
    // default 600 s.
    assert_eq!(dark_alerts(r#"{"zones": "none", "dark_min_s": 30}"#), 1);
    assert_eq!(dark_alerts(r#"{"zones": "none"}"#), 0);
}

#[test]
fn a_live_threshold_no_rule_can_work_with_is_refused_by_its_key() {
    for key in [
        "dark_min_s",
        "mismatch_max_m",
        "zone_margin_m",
        "late_min_s",
    ] {
        let cfg: BehaviourConfig =
            serde_json::from_str(&format!(r#"{{"zones": "none", "{key}": -1}}"#)).unwrap();
        let subject = Subject::new(Nation::JPN, Classification::Secret);
        let e = Behaviour::build(&cfg, &Default::default(), &[subject]).unwrap_err();
        assert!(e.to_string().contains(key), "{key}: {e}");
    }
    // The rules shared with `biac events` name their key too (not a CLI flag).
    let cfg: BehaviourConfig = serde_json::from_str(r#"{"spoof_kn": -1}"#).unwrap();
    let e = Behaviour::build(&cfg, &Default::default(), &[]).unwrap_err();
    assert!(e.to_string().starts_with("spoof_kn "), "{e}");
}
