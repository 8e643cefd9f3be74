//! Late reports reach the behaviour rules (issue 16): an AIS backlog posted over HTTP
//! ingest wholly behind the audience's clock yields the gaps it contains, with their
//! true start and end, on `/api/v1/alerts` — labelled with its inputs' label, and only
//! for the audience that may see them.

mod common;

use std::time::Duration;

use common::server::{ingest, json, serve};
use common::{ais_report, now_ms};
use serde_json::{json, Value};

const H: i64 = 3_600_000;

fn gaps(alerts: &Value) -> Vec<Value> {
    alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "gap")
        .cloned()
        .collect()
}

#[test]
fn a_late_ais_backlog_raises_the_gaps_it_contains_with_their_true_times() {
    let secret_jpn = json!({"classification": "SECRET", "owner": ["JPN"]});
    let s = serve(
        &json!({
            "feeds": [{"name": "ais", "format": "ais", "nation": "JPN",
                       "default_label": secret_jpn, "listen": "127.0.0.1:0"}],
            "audiences": [{"nation": "JPN", "clearance": "SECRET"},
                          {"nation": "PHL", "clearance": "SECRET"}],
            "tokens": {
                "t-jpn": {"nation": "JPN", "clearance": "SECRET", "roles": ["analyst", "feed-operator"]},
                "t-phl": {"nation": "PHL", "clearance": "SECRET", "roles": ["analyst"]}
            },
            // No zones: nothing but the coastline to build at start.
            "behaviour": {"zones": "none"},
        }),
        None,
    );
    // Whole seconds (AIS tag blocks carry seconds), far out in the Pacific.
    let now = now_ms() / 1000 * 1000;
    let (lat, lon) = (30.0, 150.0);
    // Live: MMSI 431000001 reporting now, which sets the audience's clock.
    for k in 0..4 {
        let body = ais_report(431_000_001, now - (3 - k) * 1000, lat, lon);
        assert_eq!(ingest(s.http(), "ais", "t-jpn", &body)["accepted"], 1);
    }
    std::thread::sleep(Duration::from_millis(3000));
    // The backlog, a day old: 431000001 (live since) silent 14 h, and 431000002 (never
    // seen live) silent 13 h; both far from shore.
    let (a0, a1) = (now - 30 * H, now - 16 * H);
    let (b0, b1) = (now - 26 * H, now - 13 * H);
    let backlog: String = [
        ais_report(431_000_001, a0, lat + 0.5, lon),
        ais_report(431_000_002, b0, lat - 0.5, lon),
        ais_report(431_000_001, a1, lat + 0.6, lon),
        ais_report(431_000_002, b1, lat - 0.6, lon),
    ]
    .concat();
    assert_eq!(ingest(s.http(), "ais", "t-jpn", &backlog)["accepted"], 4);
    // The quiet-feed flush releases it; the next evaluation replays it.
    let mut found = Vec::new();
    let _ = biac_testkit::eventually(30, || {
        found = gaps(&json(s.http(), "/api/v1/alerts?since=0", "t-jpn"));
        found.len() >= 2
    });
    assert_eq!(found.len(), 2, "{found:#?}");
    for (mmsi, start, end) in [(431_000_001, a0, a1), (431_000_002, b0, b1)] {
        let a = found
            .iter()
            .find(|a| a["episode"] == format!("gap:{mmsi}:{start}"))
            .unwrap_or_else(|| panic!("no gap of {mmsi} from {start}: {found:#?}"));
        assert_eq!(a["state"], "close", "{a}");
        let hours = a["detail"]["hours"].as_f64().unwrap();
        assert!(
            ((start as f64 + hours * 3.6e6) - end as f64).abs() < 1.0,
            "ends at its last report's time: {a}"
        );
        assert!(
            a["marking"].as_str().unwrap().starts_with("SECRET"),
            "the backlog's label: {a}"
        );
    }
    // The one the live engine was past came through the late engine.
    assert!(
        found.iter().any(|a| a["detail"]["late"] == 1.0),
        "{found:#?}"
    );
    // The Philippine audience may not see the feed: no gap, nor anything else, reaches it.
    let phl = json(s.http(), "/api/v1/alerts?since=0", "t-phl");
    assert!(
        phl["alerts"].as_array().unwrap().is_empty(),
        "PHL got {phl:#}"
    );
}
