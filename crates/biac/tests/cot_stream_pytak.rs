//! The TAK streaming server of the real binary against an independent TAK client:
//! PyTAK (PyPI), installed into `.venv-peers` by `scripts/install-peers.sh`. A missing
//! PyTAK fails this test; it never skips.
//!
//! `biac demo` serves each demo audience on its own CoT port; a PyTAK client on the
//! Japanese and one on the Philippine listener collect what they receive, and every
//! event must be valid CoT, and releasable to that listener's nation. A third client
//! negotiates TAK protocol v1 as ATAK does and decodes the frames with takproto.

mod common;

use std::time::{Duration, Instant};

use biac_formats::cot;
use common::*;
use serde_json::Value;

/// Whether a CoT marking (`access`, `caveat`, `releasableTo`) lets `nation` with a
/// SECRET clearance see the event, by the rules of biac's labels.
fn releasable_to(e: &Value, nation: &str) -> bool {
    let access = e["access"].as_str().unwrap_or("");
    let caveat = e["caveat"].as_str().unwrap_or("");
    let rel = e["releasableTo"].as_str().unwrap_or("");
    if !matches!(access, "UNCLASSIFIED" | "CONFIDENTIAL" | "SECRET") {
        return false;
    }
    if caveat == "NOFORN" {
        return false; // owner-only, and no demo feed is Philippine or Japanese NOFORN
    }
    if rel.is_empty() {
        return access == "UNCLASSIFIED";
    }
    rel.split(',').any(|n| n.trim() == nation)
}

fn tracks_in(report: &Value) -> Vec<&Value> {
    report["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"].as_str().is_some_and(|t| t.starts_with("a-")))
        .collect()
}

#[test]
fn pytak_clients_get_only_their_releasable_picture() {
    let py = pytak_python();
    let data = tempfile::tempdir().unwrap();
    let (b, lines) = start_with_lines(&[
        "demo",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.path().to_str().unwrap(),
        "--seed",
        "5",
        "--speed",
        "2",
        "--fsync",
        "off",
        "--cot-port-base",
        "0",
    ]);
    // One line per demo audience, in order: JPN, USA, AUS, KOR, PHL.
    let ports = listeners(&lines, "TAK (CoT over TCP)");
    assert_eq!(ports.len(), 5, "{lines:?}");
    let (jpn_port, phl_port) = (ports[0].port(), ports[4].port());
    // Wait until the Japanese picture holds tracks the Philippines may not see.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let fc = get_json(b.http, "/api/v1/tracks", "demo-jpn");
        let restricted = fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["properties"]["marking"] != "UNCLASSIFIED")
            .count();
        if restricted >= 3 && fc["count"].as_u64().unwrap() >= 20 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "JPN picture never held restricted tracks"
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    let jpn = pytak_client(py.clone(), jpn_port, 6, false);
    let phl = pytak_client(py.clone(), phl_port, 6, false);
    let jpn_v1 = pytak_client(py, jpn_port, 6, true);
    let (jpn, phl, jpn_v1) = (
        jpn.join().unwrap(),
        phl.join().unwrap(),
        jpn_v1.join().unwrap(),
    );

    // TAK protocol v1, negotiated as ATAK does and decoded by takproto.
    assert_eq!(jpn_v1["offer"], "t-x-takp-v", "{jpn_v1}");
    assert_eq!(jpn_v1["offered_version"], "1", "{jpn_v1}");
    assert_eq!(jpn_v1["response"], "true", "{jpn_v1}");
    assert_eq!(jpn_v1["errors"].as_array().unwrap().len(), 0, "{jpn_v1}");
    let v1: Vec<&Value> = jpn_v1["v1_events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"].as_str().is_some_and(|t| t.starts_with("a-")))
        .collect();
    assert!(v1.len() >= 10, "{} v1 track events", v1.len());
    for e in &v1 {
        assert!(
            e["uid"].as_str().unwrap().starts_with("biac-JPN-SECRET-T"),
            "{e}"
        );
        assert_eq!(e["how"], "m-f", "{e}");
        assert!(e["access"].as_str().is_some_and(|a| !a.is_empty()), "{e}");
        let (lat, lon) = (e["lat"].as_f64().unwrap(), e["lon"].as_f64().unwrap());
        assert!(
            (15.0..40.0).contains(&lat) && (115.0..140.0).contains(&lon),
            "{e}"
        );
    }

    for (who, r) in [("JPN", &jpn), ("PHL", &phl)] {
        assert_eq!(
            r["unparsed"].as_array().unwrap().len(),
            0,
            "{who}: {}",
            r["unparsed"]
        );
        let events = r["events"].as_array().unwrap();
        // TAK Server behaviour: the protocol offer first, then the picture.
        assert_eq!(events[0]["type"], "t-x-takp-v", "{who}");
        // PyTAK's ping was answered.
        assert!(
            events.iter().any(|e| e["type"] == "t-x-c-t-r"),
            "{who}: no pong"
        );
        let tracks = tracks_in(r);
        assert!(tracks.len() >= 10, "{who}: {} track events", tracks.len());
        let prefix = format!("biac-{who}-SECRET-T");
        for e in &tracks {
            let uid = e["uid"].as_str().unwrap();
            assert!(uid.starts_with(&prefix), "{who}: uid {uid}");
            assert_eq!(e["how"], "m-f", "{who}: {e}");
            // Withdrawals are stale at once; updates stale later.
            assert!(e["stale"].as_str() >= e["time"].as_str(), "{who}: {e}");
            let (lat, lon) = (e["lat"].as_f64().unwrap(), e["lon"].as_f64().unwrap());
            assert!(
                (15.0..40.0).contains(&lat) && (115.0..140.0).contains(&lon),
                "{e}"
            );
        }
        // Every event is valid CoT by biac's own strict parser too.
        for e in events {
            let raw = e["raw"].as_str().expect("raw event");
            let parsed = cot::parse_event(raw.as_bytes())
                .unwrap_or_else(|err| panic!("{who}: invalid CoT ({err}): {raw}"));
            assert_eq!(parsed.uid, e["uid"].as_str().unwrap());
        }
    }
    // Everything the Philippine client received is releasable to PHL ...
    for e in phl["events"].as_array().unwrap() {
        if e["access"].is_null() {
            // Control events (offer, pong) carry no marking and no picture data.
            assert!(
                e["type"].as_str().unwrap().starts_with("t-x-"),
                "unmarked event {e}"
            );
            continue;
        }
        assert!(releasable_to(e, "PHL"), "PHL received {e}");
    }
    // ... while the Japanese client received tracks from feeds not releasable to PHL.
    let jpn_only = tracks_in(&jpn)
        .into_iter()
        .filter(|e| !releasable_to(e, "PHL"))
        .count();
    assert!(jpn_only >= 3, "JPN got {jpn_only} tracks PHL may not see");
    assert!(tracks_in(&jpn).iter().all(|e| releasable_to(e, "JPN")));
    // The uids are the API's ids of the same audience.
    let api = get_json(b.http, "/api/v1/tracks", "demo-jpn");
    let api_ids: std::collections::BTreeSet<String> = api["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    let common_ids = tracks_in(&jpn)
        .iter()
        .filter(|e| {
            let uid = e["uid"].as_str().unwrap();
            api_ids.contains(uid.trim_start_matches("biac-JPN-SECRET-"))
        })
        .count();
    assert!(common_ids > 0, "no CoT uid matches an API id");

    // The listeners' counters in /metrics: the caller's own listener only.
    let (status, text) = get(b.http, "/api/v1/metrics", Some("demo-jpn"));
    assert_eq!(status, 200);
    let value = |name: &str, port: u16| -> Option<u64> {
        let key = format!("{name}{{listener=\"127.0.0.1:{port}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(key.as_str()))
            .map(|v| v.parse().unwrap())
    };
    assert!(
        value("biac_cot_connections_total", jpn_port).unwrap() >= 2,
        "{text}"
    );
    assert!(
        value("biac_cot_negotiated_total", jpn_port).unwrap() >= 1,
        "{text}"
    );
    assert!(
        value("biac_cot_events_sent_total", jpn_port).unwrap() >= 20,
        "{text}"
    );
    assert!(
        value("biac_cot_inbound_events_total", jpn_port).unwrap() >= 1,
        "{text}"
    );
    assert_eq!(
        value("biac_cot_connections_total", phl_port),
        None,
        "{text}"
    );
}
