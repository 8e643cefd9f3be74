//! A ballistic missile over CoT, read by an independent TAK client (PyTAK, installed by
//! `scripts/install-peers.sh`; missing, this test fails, never skips): once the demo's
//! SRBM has an impact prediction, the Japanese listener sends the missile as
//! `a-h-A-W-M-S-S`, its predicted impact as a `u-d-c-e` ellipse whose semi-axes and
//! bearing are the API's, and its launch point; the same events decode from TAK
//! protocol v1 with takproto; the Australian listener, to whom no missile-defence radar
//! is released, sends none of them.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// The value of attribute `name` in the first `<tag .../>` of `xml`.
fn attr(xml: &str, tag: &str, name: &str) -> Option<f64> {
    let at = xml.find(&format!("<{tag} "))?;
    let rest = &xml[at..];
    let rest = &rest[..rest.find('>')?];
    let v = &rest[rest.find(&format!(" {name}="))? + name.len() + 2..];
    let q = v.chars().next()?;
    let v = &v[1..];
    v[..v.find(q)?].parse().ok()
}

fn of_type<'a>(events: &'a [Value], t: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == t).collect()
}

#[test]
fn the_missile_its_impact_ellipse_and_launch_point_reach_tak_clients() {
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
        "4",
        "--fsync",
        "off",
        "--cot-port-base",
        "0",
    ]);
    // One listener per demo audience, in order: JPN, USA, AUS, KOR, PHL.
    let ports = listeners(&lines, "TAK (CoT over TCP)");
    assert_eq!(ports.len(), 5, "{lines:?}");
    let (jpn_port, aus_port) = (ports[0].port(), ports[2].port());

    // Wait for the SRBM's impact prediction in the Japanese picture.
    let deadline = Instant::now() + Duration::from_secs(75);
    loop {
        let fc = get_json(b.http, "/api/v1/tracks", "demo-jpn");
        let ready = fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| !f["properties"]["missile"]["ipp"].is_null());
        if ready {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no impact prediction in the JPN picture"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let jpn = pytak_client(py.clone(), jpn_port, 5, false);
    let aus = pytak_client(py.clone(), aus_port, 5, false);
    let jpn_v1 = pytak_client(py, jpn_port, 5, true);
    let (jpn, aus, jpn_v1) = (
        jpn.join().unwrap(),
        aus.join().unwrap(),
        jpn_v1.join().unwrap(),
    );
    let api = get_json(b.http, "/api/v1/tracks", "demo-jpn");

    let events = jpn["events"].as_array().unwrap();
    assert_eq!(jpn["unparsed"].as_array().unwrap().len(), 0, "{jpn}");
    let missiles = of_type(events, "a-h-A-W-M-S-S");
    assert!(!missiles.is_empty(), "no missile event: {events:?}");
    let ellipses = of_type(events, "u-d-c-e");
    assert!(!ellipses.is_empty(), "no impact ellipse");
    assert!(
        !of_type(events, "b-m-p-s-p-i").is_empty(),
        "no launch point"
    );
    for e in missiles.iter().chain(&ellipses) {
        // The label of the track: the join of the radars' (REL TO USA, JPN, KOR).
        assert_eq!(e["access"], "SECRET", "{e}");
        let rel = e["releasableTo"].as_str().unwrap();
        let mut rel: Vec<&str> = rel.split(',').map(str::trim).collect();
        rel.sort();
        assert_eq!(rel, ["JPN", "KOR", "USA"], "{e}");
    }
    // The ellipse is the API's 95 % ellipse of the same track, in TAK's convention:
    // `major`/`minor` are semi-axes in metres, `angle` the major axis' bearing. Each
    // track's latest ellipse (what the TAK client shows) against the API's, read after:
    // an ellipse from seconds earlier is an earlier prediction, which early in the flight
    // may lie tens of kilometres from the newer one.
    let mut latest: Vec<&Value> = Vec::new();
    for e in &ellipses {
        latest.retain(|l| l["uid"] != e["uid"]);
        latest.push(e);
    }
    let mut matched = 0;
    for e in latest {
        let uid = e["uid"].as_str().unwrap();
        let id = uid
            .trim_start_matches("biac-JPN-SECRET-")
            .trim_end_matches("-ipp");
        let Some(f) = api["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
        else {
            continue; // the track changed or left between the two reads
        };
        let ipp = &f["properties"]["missile"]["ipp"];
        if ipp.is_null() {
            continue;
        }
        let raw = e["raw"].as_str().unwrap();
        let (major, minor, angle) = (
            attr(raw, "ellipse", "major").expect(raw),
            attr(raw, "ellipse", "minor").expect(raw),
            attr(raw, "ellipse", "angle").expect(raw),
        );
        assert!(major >= minor && minor > 0.0, "{raw}");
        assert!((0.0..180.0).contains(&angle), "{raw}");
        // The API's prediction may be newer than the event: same order of size.
        let a = ipp["semi_major_m"].as_f64().unwrap();
        assert!(major < 10.0 * a && major > a / 10.0, "{raw} vs {ipp}");
        let d = distance_m(
            e["lat"].as_f64().unwrap(),
            e["lon"].as_f64().unwrap(),
            ipp["lat"].as_f64().unwrap(),
            ipp["lon"].as_f64().unwrap(),
        );
        assert!(d < 20_000.0, "{d} m between the event and the API: {raw}");
        matched += 1;
    }
    assert!(matched > 0, "no ellipse matches an API track");

    // TAK protocol v1: takproto decodes the same kinds of events.
    assert_eq!(jpn_v1["errors"].as_array().unwrap().len(), 0, "{jpn_v1}");
    let v1 = jpn_v1["v1_events"].as_array().unwrap();
    assert!(!of_type(v1, "a-h-A-W-M-S-S").is_empty(), "{jpn_v1}");
    assert!(!of_type(v1, "u-d-c-e").is_empty(), "{jpn_v1}");

    // Australia: no radar feed released, so no missile, ellipse or launch point.
    let aus_events = aus["events"].as_array().unwrap();
    assert!(
        aus_events
            .iter()
            .any(|e| e["type"].as_str().is_some_and(|t| t.starts_with("a-"))),
        "AUS received no track at all: the test would be vacuous"
    );
    for t in ["a-h-A-W-M-S-S", "u-d-c-e", "b-m-p-s-p-i"] {
        assert!(of_type(aus_events, t).is_empty(), "AUS received {t}");
    }
}
