//! An alert's acknowledgement survives a restart: acknowledge with the real `biac serve`,
//! kill it, start it again on the same data directory; the journal's replay raises the
//! same alert and it still shows who acknowledged it and when.

mod common;

use biac_testkit::now_ms;

use std::time::{Duration, Instant};

use common::{get_json, request, start};
use serde_json::Value;

const TOKEN: &str = "acks-jpn";
const FEED: &str = "jpn-ais";

fn config() -> String {
    let public = serde_json::json!({"classification": "UNCLASSIFIED", "owner": ["JPN"]});
    serde_json::json!({
        "feeds": [{
            "name": FEED,
            "format": "ais",
            "nation": "JPN",
            "default_label": public,
            "listen": "127.0.0.1:0"
        }],
        "audiences": [{"nation": "JPN", "clearance": "SECRET"}],
        "tokens": {TOKEN: {"nation": "JPN", "clearance": "SECRET"}},
        "zones": [{
            "name": "watch box",
            "polygon": [[124.0, 24.0], [126.0, 24.0], [126.0, 26.0], [124.0, 26.0]],
            "approximate": false,
            "provenance": "test",
            "rule": "any",
            "label": public
        }]
    })
    .to_string()
}

fn ais_line(t: i64, lon: f64) -> String {
    common::ais_report(431_000_123, t, 25.0, lon)
}

/// The first alert of `/api/v1/alerts` that `pick` accepts, waiting up to a minute.
fn wait_alert(addr: std::net::SocketAddr, pick: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = get_json(addr, "/api/v1/alerts", TOKEN);
        if let Some(a) = v["alerts"].as_array().unwrap().iter().find(|a| pick(a)) {
            return a.clone();
        }
        assert!(Instant::now() < deadline, "no such alert: {v}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn an_acknowledgement_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("biac.json");
    std::fs::write(&cfg, config()).unwrap();
    let data = dir.path().join("data");
    let args = [
        "serve",
        "--config",
        cfg.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
        "--fsync",
        "normal",
    ];

    let b = start(&args);
    // A vessel crossing into the box, reported every second (data time in the past).
    let t0 = now_ms() - 30_000;
    let body: String = (0..12)
        .map(|i| ais_line(t0 + i * 1_000, 123.995 + i as f64 * 0.002))
        .collect();
    let (status, _, reply) = request(
        b.http,
        "POST",
        &format!("/api/v1/feeds/{FEED}/ingest"),
        Some(TOKEN),
        Some(&body),
    );
    assert_eq!(status, 200, "{reply}");
    let alert = wait_alert(b.http, |_| true);
    let id = alert["id"].as_str().unwrap().to_string();
    assert!(alert["ack"].is_null(), "{alert}");
    let (status, _, reply) = request(
        b.http,
        "POST",
        "/api/v1/alerts/ack",
        Some(TOKEN),
        Some(&serde_json::json!({ "id": id }).to_string()),
    );
    assert_eq!(status, 200, "{reply}");
    let ack: Value = serde_json::from_str(&reply).unwrap();
    let by = ack["ack"]["by"].as_str().unwrap().to_string();
    let at = ack["ack"]["time"].as_str().unwrap().to_string();
    assert!(!by.is_empty());
    drop(b); // killed

    let b = start(&args);
    let again = wait_alert(b.http, |a| a["id"] == id.as_str());
    assert_eq!(again["ack"]["by"], by.as_str(), "{again}");
    assert_eq!(again["ack"]["time"], at.as_str(), "{again}");
    // And the first acknowledgement still stands against a second one.
    let (status, _, reply) = request(
        b.http,
        "POST",
        "/api/v1/alerts/ack",
        Some(TOKEN),
        Some(&serde_json::json!({ "id": id }).to_string()),
    );
    assert_eq!(status, 200, "{reply}");
    let second: Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(second["ack"]["time"], at.as_str());
}
