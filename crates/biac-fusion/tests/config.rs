//! `TrackerConfig` as configuration text: JSON round trip, defaults for what is left
//! out, unknown fields refused.

use biac_fusion::motion::ImmParams;
use biac_fusion::{Association, DetectionModel, MotionModel, ScanTuning, TrackerConfig};

#[test]
fn tracker_config_round_trips_through_json_and_fills_defaults() {
    let cfg = TrackerConfig {
        association: Association::Jpda { max_events: 500 },
        motion: MotionModel::Imm(ImmParams::default()),
        ..TrackerConfig::for_scanning_sensor(&ScanTuning {
            scan_ms: 4000,
            q: 0.5,
            init_vel_sigma_mps: 20.0,
            gate: 11.83,
            confirm_m: 3,
            confirm_n: 4,
            tentative_misses: 2,
            delete_misses: 5,
            detection: DetectionModel {
                pd: 0.9,
                clutter_per_m2: 1e-8,
            },
        })
    };
    let text = serde_json::to_string(&cfg).unwrap();
    let back: TrackerConfig = serde_json::from_str(&text).unwrap();
    assert_eq!(back, cfg);
    // A partial configuration: everything left out is the default.
    let part: TrackerConfig =
        serde_json::from_str(r#"{"gate": 9.21, "association": {"jpda": {"max_events": 50}}}"#)
            .unwrap();
    assert_eq!(
        part,
        TrackerConfig {
            gate: 9.21,
            association: Association::Jpda { max_events: 50 },
            ..TrackerConfig::default()
        }
    );
    let imm: TrackerConfig = serde_json::from_str(r#"{"motion": {"imm": {"q_ct": 5.0}}}"#).unwrap();
    assert_eq!(
        imm.motion,
        MotionModel::Imm(ImmParams {
            q_ct: 5.0,
            ..Default::default()
        })
    );
    assert!(serde_json::from_str::<TrackerConfig>(r#"{"gtae": 1.0}"#).is_err());
}

#[test]
fn validate_accepts_the_shipped_tunings_and_names_the_field_that_cannot_work() {
    TrackerConfig::default().validate().unwrap();
    let imm = TrackerConfig {
        motion: MotionModel::Imm(ImmParams::default()),
        association: Association::Jpda { max_events: 100 },
        ..TrackerConfig::default()
    };
    imm.validate().unwrap();
    let field = |cfg: TrackerConfig| cfg.validate().unwrap_err().field;
    let mut c = TrackerConfig::default();
    c.air.q = 0.0;
    assert_eq!(field(c), "air.q");
    let mut c = TrackerConfig::default();
    c.surface.delete_after_ms = c.surface.coast_after_ms - 1;
    assert_eq!(field(c), "surface.delete_after_ms");
    let c = TrackerConfig {
        gate: f64::NAN,
        ..TrackerConfig::default()
    };
    assert_eq!(field(c), "gate");
    let c = TrackerConfig {
        init_exclusion_gate: 5.0,
        ..TrackerConfig::default()
    };
    assert_eq!(field(c), "init_exclusion_gate");
    let c = TrackerConfig {
        detection: Some(DetectionModel {
            pd: 1.0,
            clutter_per_m2: 1e-9,
        }),
        ..TrackerConfig::default()
    };
    assert_eq!(field(c), "detection.pd");
    let c = TrackerConfig {
        motion: MotionModel::Imm(ImmParams {
            mu0: [0.5, 0.6],
            ..ImmParams::default()
        }),
        ..TrackerConfig::default()
    };
    assert_eq!(field(c), "motion.imm");
    let c = TrackerConfig {
        association: Association::Jpda { max_events: 0 },
        ..TrackerConfig::default()
    };
    let e = c.validate().unwrap_err();
    assert_eq!(
        e.to_string(),
        "tracker.association.jpda.max_events must be at least 1"
    );
}
