//! Crash safety: sustained HTTP ingest into the real `biac serve`, `kill -9` at
//! pseudo-random moments, restart on the same data directory, repeat. Every record whose
//! ingest was acknowledged (200) must be in the journal exactly once, no record may be
//! there twice, and every restart must come up (journal replay, audit log reopened).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use biac_store::{JournalRecord, Store, SyncPolicy};
use common::start;

const TOKEN: &str = "crash-jpn";
const FEED: &str = "jpn-ais";
const LINES_PER_REQUEST: u32 = 5;
const ROUNDS: u64 = 8;

use biac_testkit::now_ms;

fn config() -> String {
    serde_json::json!({
        "feeds": [{
            "name": FEED,
            "format": "ais",
            "nation": "JPN",
            "default_label": {"classification": "UNCLASSIFIED", "owner": ["JPN"]},
            "listen": "127.0.0.1:0"
        }],
        "audiences": [{"nation": "JPN", "clearance": "SECRET"}],
        "tokens": {TOKEN: {"nation": "JPN", "clearance": "SECRET"}}
    })
    .to_string()
}

/// One AIS position report from a ship of its own: the MMSI identifies the record.
fn ais_line(mmsi: u32, t: i64) -> String {
    common::ais_report(mmsi, t, 24.0 + f64::from(mmsi % 1000) * 0.001, 125.0)
}

/// POST an ingest body; `Some(accepted)` only for a complete 200 response.
fn ingest(addr: SocketAddr, body: &str) -> Option<u64> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let req = format!(
        "POST /api/v1/feeds/{FEED}/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    if !resp.starts_with("HTTP/1.1 200") {
        return None;
    }
    let json = resp.split("\r\n\r\n").nth(1)?;
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    v["accepted"].as_u64()
}

/// MMSI -> how many times the journal holds it.
fn journal_counts(data: &std::path::Path) -> BTreeMap<u32, u32> {
    let store = Store::open(data, SyncPolicy::Normal).unwrap();
    let mut counts = BTreeMap::new();
    let mut after = 0;
    loop {
        let page = store.read_journal(after, 10_000).unwrap();
        let Some(last) = page.last() else {
            break;
        };
        after = last.seq;
        for e in page {
            if let JournalRecord::Observation(o) = e.record {
                *counts.entry(o.identity.mmsi.unwrap()).or_insert(0) += 1;
            }
        }
    }
    counts
}

#[test]
fn acknowledged_records_survive_kill_9_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let cfg_path = dir.path().join("biac.json");
    std::fs::write(&cfg_path, config()).unwrap();
    let data = dir.path().join("data");
    let acked: Arc<Mutex<BTreeSet<u32>>> = Arc::default();
    let mut next_mmsi = 201_000_000u32;
    // A fixed LCG: the kill moments vary within a run and are the same on every run.
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    for round in 0..ROUNDS {
        let b = start(&[
            "serve",
            "--config",
            cfg_path.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data.to_str().unwrap(),
            "--fsync",
            "full",
        ]);
        let addr = b.http;
        let stop = Arc::new(AtomicBool::new(false));
        // Two clients ingest concurrently until the process dies under them.
        let clients: Vec<_> = (0..2u32)
            .map(|c| {
                let (stop, acked) = (stop.clone(), acked.clone());
                let first = next_mmsi + c * 1_000_000;
                std::thread::spawn(move || {
                    let mut mmsi = first;
                    while !stop.load(Ordering::Relaxed) {
                        let batch: Vec<u32> = (mmsi..mmsi + LINES_PER_REQUEST).collect();
                        mmsi += LINES_PER_REQUEST;
                        let t = now_ms();
                        let body: String = batch.iter().map(|&m| ais_line(m, t)).collect();
                        match ingest(addr, &body) {
                            Some(n) => {
                                assert_eq!(n, u64::from(LINES_PER_REQUEST));
                                acked.lock().unwrap().extend(batch);
                            }
                            None => break,
                        }
                    }
                })
            })
            .collect();
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let wait_ms = 200 + (rng >> 33) % 1_300;
        std::thread::sleep(Duration::from_millis(wait_ms));
        let mut b = b;
        b.child.kill().unwrap(); // SIGKILL
        b.child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            c.join().unwrap();
        }
        next_mmsi += 10_000;
        let counts = journal_counts(&data);
        let acked = acked.lock().unwrap();
        let lost: Vec<_> = acked.iter().filter(|m| !counts.contains_key(m)).collect();
        let twice: Vec<_> = counts.iter().filter(|(_, &n)| n > 1).collect();
        eprintln!(
            "round {round}: killed after {wait_ms} ms; {} acknowledged, {} in the journal",
            acked.len(),
            counts.len()
        );
        assert!(
            lost.is_empty(),
            "round {round}: acknowledged but lost: {lost:?}"
        );
        assert!(
            twice.is_empty(),
            "round {round}: journalled twice: {twice:?}"
        );
        assert!(
            acked.len() as u64 >= (round + 1) * u64::from(LINES_PER_REQUEST),
            "round {round}: too few acknowledged records to mean anything"
        );
    }
    // A last restart replays everything and serves; the audit log still verifies.
    let b = start(&[
        "serve",
        "--config",
        cfg_path.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert_eq!(common::get(b.http, "/api/v1/health", None).0, 200);
    drop(b);
    let out = std::process::Command::new(common::bin())
        // Killed: entries after the last checkpoint are expected.
        .args([
            "audit",
            "verify",
            "--allow-unsealed",
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
