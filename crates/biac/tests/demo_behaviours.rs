//! The demo's scripted gray-zone behaviours, end to end through the real binary: each
//! raises its alert within the first minutes (time-compressed thresholds, said on every
//! alert), on the API with per-audience labels, and on the CoT stream as TAK alert
//! events that PyTAK (the independent TAK client of `tests/peers/`) parses.

mod common;

use std::time::{Duration, Instant};

use biac_formats::cot;
use common::*;
use serde_json::Value;

fn mentions(a: &Value, mmsi: u32) -> bool {
    a["message"]
        .as_str()
        .is_some_and(|m| m.contains(&mmsi.to_string()))
}

#[test]
fn each_scripted_behaviour_is_alerted_on_the_api_and_the_tak_stream() {
    let py = pytak_python();
    let data = tempfile::tempdir().unwrap();
    let (b, lines) = start_with_lines(&[
        "demo",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.path().to_str().unwrap(),
        "--seed",
        "7",
        "--speed",
        "4",
        "--fsync",
        "off",
        "--cot-port-base",
        "0",
        "--cot-tls-port",
        "0",
    ]);
    let ports = listeners(&lines, "TAK (CoT over TCP)");
    assert_eq!(ports.len(), 5, "{lines:?}");
    // The Japanese TAK client listens through the first five simulated minutes.
    let tak = pytak_client(py, ports[0].port(), 100, false);

    let want: [(&str, &[u32]); 4] = [
        ("spoofing", &[biac_sim::MMSI_SPOOFED]),
        ("encounter", &[biac_sim::MMSI_TANKER, biac_sim::MMSI_SMALL]),
        ("loitering", &[biac_sim::MMSI_LOITERER]),
        ("gap", &[biac_sim::MMSI_DARK_FISHING]),
    ];
    let seen = |alerts: &[Value]| {
        let behaviours = want.iter().all(|(kind, mmsis)| {
            alerts
                .iter()
                .any(|a| a["kind"] == *kind && mmsis.iter().all(|m| mentions(a, *m)))
        });
        let senkaku = alerts.iter().any(|a| {
            a["kind"] == "zone-entry" && a["zone"].as_str().unwrap_or("").contains("Senkaku")
        });
        behaviours && senkaku
    };
    // Nine simulated minutes at 4x (the dark vessel reappears at 8), and the start.
    let deadline = Instant::now() + Duration::from_secs(200);
    let jpn = loop {
        let a = get_json(b.http, "/api/v1/alerts?since=0", "demo-jpn")["alerts"]
            .as_array()
            .unwrap()
            .clone();
        if seen(&a) || Instant::now() > deadline {
            break a;
        }
        std::thread::sleep(Duration::from_secs(2));
    };
    let summary: Vec<String> = jpn
        .iter()
        .map(|a| format!("{} {} {}", a["kind"], a["state"], a["message"]))
        .collect();
    assert!(
        seen(&jpn),
        "not every scripted behaviour alerted: {summary:#?}"
    );
    for (kind, _) in want {
        for a in jpn.iter().filter(|a| a["kind"] == kind) {
            assert!(
                a["message"]
                    .as_str()
                    .unwrap()
                    .ends_with("(demo: time-compressed thresholds)"),
                "{a}"
            );
        }
    }
    let spoof_open = jpn
        .iter()
        .find(|a| a["kind"] == "spoofing" && mentions(a, biac_sim::MMSI_SPOOFED))
        .unwrap();
    assert_eq!(spoof_open["state"], "open", "{spoof_open}");

    // Per audience: the Senkaku entry comes from the P-1's radar (SECRET, REL TO USA,
    // JPN), so the Philippine analyst never sees it, while the public AIS behaviours
    // reach it with a public marking.
    let phl = get_json(b.http, "/api/v1/alerts?since=0", "demo-phl")["alerts"]
        .as_array()
        .unwrap()
        .clone();
    let senkaku = jpn
        .iter()
        .find(|a| a["kind"] == "zone-entry" && a["zone"].as_str().unwrap().contains("Senkaku"))
        .unwrap();
    assert!(
        senkaku["marking"]
            .as_str()
            .unwrap()
            .contains("REL TO USA, JPN"),
        "{senkaku}"
    );
    assert!(
        !phl.iter().any(|a| a["id"] == senkaku["id"]),
        "PHL sees an alert from the P-1's radar"
    );
    assert!(
        phl.iter()
            .any(|a| a["kind"] == "spoofing" && mentions(a, biac_sim::MMSI_SPOOFED)),
        "PHL lacks the public spoofing alert"
    );
    for a in &phl {
        let m = a["marking"].as_str().unwrap();
        assert!(m == "UNCLASSIFIED" || m.contains("PHL"), "PHL got {a}");
    }

    // TAK: alert events, one uid per episode, parsed by PyTAK and by biac's strict parser.
    let tak = tak.join().unwrap();
    assert_eq!(
        tak["unparsed"].as_array().unwrap().len(),
        0,
        "{}",
        tak["unparsed"]
    );
    let alerts: Vec<&Value> = tak["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"].as_str().is_some_and(|t| t.starts_with("b-a-")))
        .collect();
    assert!(
        alerts.iter().any(|e| e["type"] == "b-a-o"),
        "no behaviour alert on the TAK stream"
    );
    assert!(
        alerts.iter().any(|e| e["type"] == "b-a-g"),
        "no zone entry on the TAK stream"
    );
    for e in &alerts {
        assert!(
            e["uid"]
                .as_str()
                .unwrap()
                .starts_with("biac-JPN-SECRET-alert-"),
            "{e}"
        );
        assert!(e["access"].as_str().is_some_and(|a| !a.is_empty()), "{e}");
        cot::parse_event(e["raw"].as_str().unwrap().as_bytes()).expect("valid CoT");
    }
    // The spoofing episode's open and close (if it closed in time) share one uid.
    let spoof: Vec<&&Value> = alerts
        .iter()
        .filter(|e| {
            e["detail"]
                .as_str()
                .is_some_and(|d| d.contains(&biac_sim::MMSI_SPOOFED.to_string()))
        })
        .collect();
    assert!(!spoof.is_empty(), "no spoofing event on the TAK stream");
    assert!(
        spoof.iter().all(|e| e["uid"] == spoof[0]["uid"]),
        "{spoof:?}"
    );
    drop(b);
}
