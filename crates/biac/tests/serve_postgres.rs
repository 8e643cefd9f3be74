//! `biac serve` on PostgreSQL + PostGIS (`"store": {"postgres": …}`): the journal,
//! history and acknowledgements go to the database, so a node started on an empty data
//! directory against the same database replays the same picture, raises the same alert and
//! still shows who acknowledged it.

mod common;

use biac_testkit::now_ms;

use std::time::{Duration, Instant};

use biac_testkit::pg::PgServer;
use common::{get_json, request, start_with_lines};
use serde_json::Value;

const TOKEN: &str = "pg-jpn";
const FEED: &str = "jpn-ais";

fn config(conninfo: &str) -> String {
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
        }],
        "store": {"postgres": conninfo}
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
fn serve_keeps_its_journal_history_and_acks_in_postgres() {
    let pg = PgServer::start();
    let conninfo = pg.create_database("biac");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("biac.json");
    std::fs::write(&cfg, config(&conninfo)).unwrap();
    let args = |data: &str| {
        let data = dir.path().join(data);
        vec![
            "serve".to_string(),
            "--config".into(),
            cfg.to_str().unwrap().into(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--data-dir".into(),
            data.to_str().unwrap().into(),
        ]
    };
    let run = |data: &str| {
        let a = args(data);
        let (b, lines) = start_with_lines(&a.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(
            lines.iter().any(|l| l.starts_with("store: PostgreSQL")),
            "{lines:?}"
        );
        b
    };

    let b = run("node-a");
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
    // Acknowledged ingest is in the database's journal, labels and all.
    let journal = pg.psql(
        "biac",
        &format!(
            "SELECT count(*) FROM journal WHERE feed = '{FEED}' AND body LIKE '%UNCLASSIFIED%'"
        ),
    );
    assert_eq!(journal.trim(), "12", "journal rows");
    let alert = wait_alert(b.http, |_| true);
    let id = alert["id"].as_str().unwrap().to_string();
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
    assert_eq!(pg.psql("biac", "SELECT count(*) FROM acks").trim(), "1");
    // The history writer's snapshots and alerts reach the database too.
    let deadline = Instant::now() + Duration::from_secs(30);
    while pg.psql("biac", "SELECT count(*) FROM alerts").trim() == "0" {
        assert!(Instant::now() < deadline, "no alert in the database");
        std::thread::sleep(Duration::from_millis(250));
    }
    drop(b); // killed

    // Another node, on an empty data directory: everything comes from the database.
    let b = run("node-b");
    let again = wait_alert(b.http, |a| a["id"] == id.as_str());
    assert_eq!(again["ack"]["by"], by.as_str(), "{again}");
    let tracks = get_json(b.http, "/api/v1/tracks", TOKEN);
    assert!(
        tracks["features"].as_array().is_some_and(|f| !f.is_empty()),
        "the replayed picture has the vessel: {tracks}"
    );
    // Replay did not journal anything twice.
    assert_eq!(
        pg.psql(
            "biac",
            &format!("SELECT count(*) FROM journal WHERE feed = '{FEED}'")
        )
        .trim(),
        "12"
    );
}
