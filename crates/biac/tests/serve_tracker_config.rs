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

#[test]
fn a_tracker_value_that_cannot_work_stops_the_start_with_its_name() {
    // `biac serve` on `cfg` must refuse to start; what it said.
    let refused = |cfg: Value| {
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
    };
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
