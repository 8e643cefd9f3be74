//! The tracker's configuration comes from `biac serve`'s configuration file: a value that
//! cannot work stops the start with the field named, and a valid one reaches every
//! audience's tracker (issue 14, finding 2), per domain where a domain block names its
//! motion model.

mod common;

use std::process::Command;
use std::time::Duration;

use common::server::{event, ingest, json, serve};
use serde_json::{json, Value};

fn config(tracker: Value) -> Value {
    json!({
        "feeds": [{"name": "jpn-tracks", "format": "cot", "nation": "JPN",
                   "default_label": {"classification": "UNCLASSIFIED", "owner": ["JPN"]},
                   "cot_kind": "track", "listen": "127.0.0.1:0"}],
        "audiences": [{"nation": "JPN", "clearance": "SECRET"}],
        "tokens": {"t-jpn": {"nation": "JPN", "clearance": "SECRET", "roles": ["analyst", "feed-operator"]}},
        "tracker": tracker,
    })
}

fn count(addr: std::net::SocketAddr) -> u64 {
    json(addr, "/api/v1/tracks", "t-jpn")["count"]
        .as_u64()
        .unwrap()
}

/// `biac serve` on `cfg` must refuse to start: what it said.
fn refused(cfg: Value) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("biac.json");
    std::fs::write(&path, cfg.to_string()).unwrap();
    let out = Command::new(common::bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&path)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_tracker_value_that_cannot_work_stops_the_start_with_its_name() {
    let err = refused(config(json!({"motion": {"imm": {"q_ct": 5.0}},
        "air": {"q": -1.0, "coast_after_ms": 20000, "delete_after_ms": 60000, "init_vel_sigma_mps": 150.0}})));
    assert!(
        err.contains("tracker.air.q must be a positive number"),
        "{err}"
    );
    // An unknown key is refused too (a typo must not silently take the default).
    assert!(refused(config(json!({"gtae": 9.0}))).contains("gtae"));
}

#[test]
fn the_configured_tracker_is_the_one_that_runs() {
    // The same two national track reports into two servers: with the default tracker the
    // track is shown; with one that deletes any track whose position sigma passes 1 mm,
    // housekeeping deletes it. Nothing else differs between the two.
    let shown_after = |tracker: Value| {
        let s = serve(&config(tracker), None);
        for (i, pos) in [(24.5, 124.0), (24.5001, 124.0001)].into_iter().enumerate() {
            let r = ingest(
                s.http(),
                "jpn-tracks",
                "t-jpn",
                &event("ship-1", "KAIYO", pos, (None, None, None)),
            );
            assert_eq!(r["accepted"], 1, "report {i}: {r}");
            std::thread::sleep(Duration::from_millis(1500));
        }
        let mut seen = 0;
        let _ = biac_testkit::eventually(6, || {
            seen = seen.max(count(s.http()));
            seen > 0
        });
        seen
    };
    assert_eq!(shown_after(json!({})), 1);
    assert_eq!(shown_after(json!({"max_pos_sigma_m": 0.001})), 0);
}

/// Plots of a target that flies straight east at `speed` m/s for 20 s, then turns left
/// at 3°/s for 20 s (60°), one a second from `t0_ms`, near (`lat0`, `lon0`): (time, lat,
/// lon) of each plot, and the true (east, north) velocity at the last.
fn turning_plots(t0_ms: i64, lat0: f64, lon0: f64, speed: f64) -> (Vec<(i64, f64, f64)>, [f64; 2]) {
    let w = 3f64.to_radians();
    let m_per_deg_lat = 111_320.0;
    let m_per_deg_lon = m_per_deg_lat * lat0.to_radians().cos();
    let mut plots = Vec::new();
    let mut heading = 0.0f64; // radians anticlockwise from east
    for k in 0..=40 {
        let t = k as f64;
        let (x, y) = if t <= 20.0 {
            (speed * t, 0.0)
        } else {
            let a = w * (t - 20.0);
            heading = a;
            (
                speed * 20.0 + speed / w * a.sin(),
                speed / w * (1.0 - a.cos()),
            )
        };
        plots.push((
            t0_ms + k * 1000,
            lat0 + y / m_per_deg_lat,
            lon0 + x / m_per_deg_lon,
        ));
    }
    (plots, [speed * heading.cos(), speed * heading.sin()])
}

/// The tracks of `domain` in a `/api/v1/tracks` collection: (updates, speed m/s, course
/// degrees), most updates first.
fn tracks_of(picture: &Value, domain: &str) -> Vec<(u64, f64, f64)> {
    let mut out: Vec<(u64, f64, f64)> = picture["features"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| &f["properties"])
        .filter(|p| p["domain"] == domain)
        .map(|p| {
            (
                p["updates"].as_u64().unwrap(),
                p["speed_mps"].as_f64().unwrap(),
                p["course_deg"].as_f64().unwrap(),
            )
        })
        .collect();
    out.sort_by_key(|t| std::cmp::Reverse(t.0));
    out
}

#[test]
fn the_serve_configuration_chooses_the_motion_model_per_domain() {
    // Two servers whose configurations differ only in the air domain's motion model
    // (constant velocity, the default, against the IMM of constant velocity and
    // coordinated turn), fed the same radar plots of an aircraft and of a ship, each
    // flying straight and then turning at 3°/s. The ship's track must come out the same
    // from both (its domain runs constant velocity in both). The aircraft's 10 m/s²
    // turn is a manoeuvre constant velocity cannot follow: its track is lost and
    // restarted; the IMM's turn model holds one track through it, on course.
    let plot_config = |air_motion: Value| {
        let mut c = config(json!({"air": {"motion": air_motion}}));
        c["feeds"][0]["name"] = json!("jpn-radar");
        c["feeds"][0]["cot_kind"] = json!("plot");
        c
    };
    let cv = serve(&plot_config(json!("cv")), None);
    let imm = serve(&plot_config(json!({"imm": {}})), None);

    // Recent enough that nothing is deleted for age before it is read.
    let t0 = biac_testkit::now_ms() - 45_000;
    let (air, air_truth) = turning_plots(t0, 30.0, 130.0, 200.0);
    let (sea, _) = turning_plots(t0, 24.5, 124.0, 10.0);
    let mut body = String::new();
    for (k, (a, s)) in air.iter().zip(&sea).enumerate() {
        for (kind, (t, lat, lon)) in [("a-u-A", a), ("a-u-S", s)] {
            body.push_str(
                &biac_formats::cot::CotEvent::new(format!("{kind}-{k}"), kind, *t, *lat, *lon)
                    .with_hae(if kind == "a-u-A" { 9_000.0 } else { 0.0 })
                    .with_errors(20.0, 9_999_999.0)
                    .to_xml(),
            );
        }
    }
    for s in [&cv, &imm] {
        let r = ingest(s.http(), "jpn-radar", "t-jpn", &body);
        assert_eq!(r["accepted"], 2 * air.len(), "{r}");
    }
    // Each picture, once every plot is in: the ship's track has them all, and the
    // picture no longer changes.
    let plots = air.len() as u64;
    let settled = |s: &common::server::Server| {
        let mut seen = Value::Null;
        let mut before = Value::Null;
        let done = biac_testkit::eventually(30, || {
            before = std::mem::replace(&mut seen, json(s.http(), "/api/v1/tracks", "t-jpn"));
            let ship = tracks_of(&seen, "surface");
            ship.first().is_some_and(|t| t.0 == plots)
                && tracks_of(&before, "air") == tracks_of(&seen, "air")
        });
        assert!(done, "the picture did not settle: {seen}");
        seen
    };
    let (a, b) = (settled(&cv), settled(&imm));

    let (ship_cv, ship_imm) = (tracks_of(&a, "surface"), tracks_of(&b, "surface"));
    assert_eq!(ship_cv.len(), 1, "{a}");
    assert_eq!(
        ship_cv, ship_imm,
        "the ship's domain runs the same model in both"
    );

    let (air_cv, air_imm) = (tracks_of(&a, "air"), tracks_of(&b, "air"));
    assert_eq!(
        air_imm.len(),
        1,
        "the IMM holds one track through the turn: {b}"
    );
    assert_eq!(air_imm[0].0, plots, "and it takes every plot: {b}");
    assert!(
        air_cv.len() > 1 && air_cv[0].0 < plots,
        "constant velocity loses the turning aircraft: {a}"
    );
    // Course at the last plot (compass degrees) against the truth.
    let truth = air_truth[0]
        .atan2(air_truth[1])
        .to_degrees()
        .rem_euclid(360.0);
    let off = (air_imm[0].2 - truth + 540.0).rem_euclid(360.0) - 180.0;
    assert!(
        off.abs() < 5.0,
        "IMM course {} against the true {truth:.1}: {b}",
        air_imm[0].2
    );
}

#[test]
fn an_unknown_motion_model_stops_the_start_with_its_name() {
    let err = refused(config(json!({"air": {"motion": "ca"}})));
    // The value, and what is accepted instead.
    for word in ["`ca`", "cv", "imm"] {
        assert!(err.contains(word), "{word:?} not in: {err}");
    }
}
