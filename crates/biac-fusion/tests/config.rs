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
    assert_eq!(field(c), "motion.imm.mu0");
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

#[test]
fn a_domain_block_gives_only_what_it_changes_and_may_name_its_motion() {
    let cfg: TrackerConfig = serde_json::from_str(
        r#"{"air": {"motion": {"imm": {"q_ct": 5.0}}, "q": 3.0}, "surface": {"motion": "cv"}}"#,
    )
    .unwrap();
    let d = TrackerConfig::default();
    let imm = MotionModel::Imm(ImmParams {
        q_ct: 5.0,
        ..Default::default()
    });
    // Each block over its own domain's defaults, not one shared default.
    assert_eq!(
        cfg.air,
        biac_fusion::DomainParams {
            q: 3.0,
            motion: Some(imm),
            ..d.air.clone()
        }
    );
    assert_eq!(
        cfg.surface,
        biac_fusion::DomainParams {
            motion: Some(MotionModel::Cv),
            ..d.surface.clone()
        }
    );
    assert_eq!((&cfg.ground, &cfg.unknown), (&d.ground, &d.unknown));
    // The global model is the default of the domains that name none.
    assert_eq!(cfg.motion_of(biac_model::Domain::Air), imm);
    assert_eq!(cfg.motion_of(biac_model::Domain::Ground), MotionModel::Cv);
    let global: TrackerConfig =
        serde_json::from_str(r#"{"motion": {"imm": {}}, "surface": {"motion": "cv"}}"#).unwrap();
    assert_eq!(
        global.motion_of(biac_model::Domain::Ground),
        MotionModel::Imm(ImmParams::default())
    );
    assert_eq!(
        global.motion_of(biac_model::Domain::Surface),
        MotionModel::Cv
    );
    // Round trip keeps the per-domain model; a default config writes none.
    let back: TrackerConfig = serde_json::from_str(&serde_json::to_string(&cfg).unwrap()).unwrap();
    assert_eq!(back, cfg);
    assert!(!serde_json::to_string(&d).unwrap().contains("\"motion\":{"));
    // Unknown keys inside a block are still refused, and bad values name their key.
    let err = serde_json::from_str::<TrackerConfig>(r#"{"air": {"qq": 1.0}}"#).unwrap_err();
    assert!(err.to_string().contains("qq"), "{err}");
    let bad: TrackerConfig =
        serde_json::from_str(r#"{"air": {"motion": {"imm": {"q_cv": -1.0}}}}"#).unwrap();
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "tracker.air.motion.imm.q_cv must be a positive number"
    );
    let bad: TrackerConfig = serde_json::from_str(r#"{"surface": {"q": -1.0}}"#).unwrap();
    assert_eq!(
        bad.validate().unwrap_err().to_string(),
        "tracker.surface.q must be a positive number"
    );
}

#[test]
fn each_refusal_names_the_key_at_fault() {
    let field = |json: &str| {
        serde_json::from_str::<TrackerConfig>(json)
            .unwrap()
            .validate()
            .unwrap_err()
            .field
    };
    // A domain's own model is named under the domain; the global model under its own
    // key, whichever domains run it.
    assert_eq!(
        field(r#"{"ground": {"motion": {"imm": {"stay": [0.9, 1.0]}}}}"#),
        "ground.motion.imm.stay"
    );
    assert_eq!(
        field(r#"{"motion": {"imm": {"q_turn": 0.0}}, "air": {"motion": "cv"}}"#),
        "motion.imm.q_turn"
    );
    assert_eq!(
        field(r#"{"motion": {"imm": {"init_turn_sigma": -1.0}}}"#),
        "motion.imm.init_turn_sigma"
    );
    assert_eq!(
        field(r#"{"air": {"motion": {"imm": {"mu0": [0.2, 0.2]}}}}"#),
        "air.motion.imm.mu0"
    );
    // A valid domain model does not hide a global one that cannot work.
    assert_eq!(
        field(r#"{"motion": {"imm": {"q_ct": -1.0}}, "air": {"motion": {"imm": {}}}}"#),
        "motion.imm.q_ct"
    );
    // Life-cycle times: the one out of order or out of range.
    assert_eq!(
        field(r#"{"surface": {"coast_after_ms": 0, "delete_after_ms": 0}}"#),
        "surface.coast_after_ms"
    );
    assert_eq!(
        field(r#"{"air": {"coast_after_ms": 9000, "delete_after_ms": 8000}}"#),
        "air.delete_after_ms"
    );
    assert_eq!(field(r#"{"confirm_m": 0}"#), "confirm_m");
    assert_eq!(field(r#"{"confirm_window_ms": 0}"#), "confirm_window_ms");
    assert_eq!(
        field(r#"{"tentative_timeout_ms": -5}"#),
        "tentative_timeout_ms"
    );
    let e = serde_json::from_str::<TrackerConfig>(
        r#"{"surface": {"motion": {"imm": {"mu0": [1.0, 0.5]}}}}"#,
    )
    .unwrap()
    .validate()
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "tracker.surface.motion.imm.mu0 must be two probabilities of 0 or more summing to 1"
    );
}
