//! TAK over mutual TLS with the real binary and an independent client: PyTAK (PyPI,
//! installed into `.venv-peers` by `scripts/install-peers.sh`; missing, the test fails).
//!
//! `biac certs` makes the PKI (a CA per nation, the server certificate); `biac serve`
//! runs a TLS CoT listener with JPN and USA audiences and a CoT feed for what clients
//! send. Two PyTAK clients, each with its own nation's certificate, connect at once
//! over `tls://`, each sending a marked report and receiving: the U.S. client's
//! USA-only report never reaches the Japanese client; the Japanese report, shared with
//! USA, reaches both. A certificate the JPN CA never issued for this server (another
//! PKI's) is refused before anything is served.

mod common;

use std::path::Path;
use std::process::Command;

use biac_formats::cot;
use common::*;
use serde_json::Value;

/// Run PyTAK over mutual TLS as `user` of `pki` for `secs`, reporting `callsign`
/// releasable to `rel`, trusting the server's certificate by `hub_ca`; its JSON
/// report, or `Err(stderr)` when PyTAK failed.
#[allow(clippy::too_many_arguments)]
fn pytak_tls(
    py: &Path,
    port: u16,
    hub_ca: &Path,
    pki: &Path,
    user: &str,
    secs: u32,
    callsign: &str,
    rel: &str,
) -> std::thread::JoinHandle<Result<Value, String>> {
    let (py, pki, hub_ca) = (py.to_path_buf(), pki.to_path_buf(), hub_ca.to_path_buf());
    let (user, callsign, rel) = (user.to_string(), callsign.to_string(), rel.to_string());
    std::thread::spawn(move || {
        let out = Command::new(py)
            .arg(repo_root().join("tests/peers/pytak_tls_client.py"))
            .arg(format!("tls://127.0.0.1:{port}"))
            .arg(secs.to_string())
            .arg(format!("ANDROID-{}", callsign.to_lowercase()))
            .arg(&callsign)
            .arg(&rel)
            .env(
                "PYTAK_TLS_CLIENT_CERT",
                pki.join(format!("users/{user}.pem")),
            )
            .env(
                "PYTAK_TLS_CLIENT_KEY",
                pki.join(format!("users/{user}.key")),
            )
            // The server is verified too: its certificate, by the hub CA, names 127.0.0.1.
            .env("PYTAK_TLS_CLIENT_CAFILE", &hub_ca)
            .output()
            .expect("run pytak_tls_client.py");
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
    })
}

/// Fused track events (`how` m-f) of a callsign.
fn fused<'a>(r: &'a Value, callsign: &str) -> Vec<&'a Value> {
    r["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["callsign"] == callsign && e["how"] == "m-f")
        .collect()
}

#[test]
fn pytak_clients_of_two_nations_over_mutual_tls() {
    let py = pytak_python();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    certs(&d.join("pki"), "JPN,USA");
    // Another PKI's JPN analyst: a CA this server was never told about.
    certs(&d.join("other"), "JPN");
    let cfg = serde_json::json!({
        "feeds": [{"name": "tak-clients", "format": "cot", "nation": "JPN",
                   // The widest a client's marking may make a report (markings restrict).
                   "default_label": {"classification": "SECRET", "owner": ["JPN"],
                                     "rel_to": ["USA", "JPN"]},
                   "trusted_markings": true, "listen": "127.0.0.1:0"}],
        "audiences": [{"nation": "JPN", "clearance": "SECRET"},
                      {"nation": "USA", "clearance": "SECRET"}],
        "tokens": {"t-jpn": {"nation": "JPN", "clearance": "SECRET"}},
        "cot_tls_listeners": [{"listen": "127.0.0.1:0", "clearance": "SECRET",
            "server_cert": "pki/server/cert.pem", "server_key": "pki/server/key.pem",
            "client_cas": {"JPN": "pki/ca/JPN.pem", "USA": "pki/ca/USA.pem"},
            "ingest_feed": "tak-clients"}]
    });
    let cfg_path = d.join("biac.json");
    std::fs::write(&cfg_path, cfg.to_string()).unwrap();
    let (b, lines) = start_with_lines(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        d.join("data").to_str().unwrap(),
        "--config",
        cfg_path.to_str().unwrap(),
        "--fsync",
        "off",
    ]);
    let port = listeners(&lines, "TAK (CoT over mutual TLS)")[0].port();

    let pki = d.join("pki");
    let hub = pki.join("ca/hub.pem");
    let usa = pytak_tls(&py, port, &hub, &pki, "analyst-usa", 10, "EAGLE", "USA");
    let jpn = pytak_tls(
        &py,
        port,
        &hub,
        &pki,
        "analyst-jpn",
        10,
        "SAKURA",
        "JPN,USA",
    );
    // Trusts the right server, but holds a JPN certificate from a CA it does not know.
    let other = d.join("other");
    let rogue = pytak_tls(&py, port, &hub, &other, "analyst-jpn", 3, "ROGUE", "JPN");
    let (usa, jpn, rogue) = (
        usa.join().unwrap().expect("USA PyTAK"),
        jpn.join().unwrap().expect("JPN PyTAK"),
        rogue.join().unwrap(),
    );

    for (who, r) in [("USA", &usa), ("JPN", &jpn)] {
        assert_eq!(r["unparsed"].as_array().unwrap().len(), 0, "{who}: {r}");
        let events = r["events"].as_array().unwrap();
        assert_eq!(events[0]["type"], "t-x-takp-v", "{who}: offer first");
        assert!(
            events.iter().any(|e| e["type"] == "t-x-c-t-r"),
            "{who}: no pong"
        );
        for e in events {
            let raw = e["raw"].as_str().unwrap();
            cot::parse_event(raw.as_bytes())
                .unwrap_or_else(|err| panic!("{who}: invalid CoT ({err}): {raw}"));
            if e["type"].as_str().unwrap().starts_with("a-") {
                // Each client is served its own nation's audience ...
                let uid = e["uid"].as_str().unwrap();
                assert!(
                    uid.starts_with(&format!("biac-{who}-SECRET-T")),
                    "{who}: {uid}"
                );
                // ... and only what is releasable to that nation.
                let rel = e["releasableTo"].as_str().unwrap_or("");
                assert!(rel.split(',').any(|n| n == who), "{who} received {e}");
            }
        }
    }
    // Both reports came back fused to the U.S. client, marked as their senders' ...
    let eagle = fused(&usa, "EAGLE");
    assert!(
        !eagle.is_empty(),
        "USA never got its own report back: {usa}"
    );
    assert!(eagle
        .iter()
        .all(|e| e["releasableTo"] == "USA" && e["access"] == "SECRET"));
    let sakura_usa = fused(&usa, "SAKURA");
    assert!(!sakura_usa.is_empty(), "USA never got the JPN report");
    assert!(sakura_usa.iter().all(|e| e["releasableTo"] == "USA,JPN"));
    // ... while the Japanese client got its own and never the USA-only one.
    assert!(
        !fused(&jpn, "SAKURA").is_empty(),
        "JPN never got its own report back"
    );
    assert!(
        jpn["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["callsign"] != "EAGLE"),
        "the USA-only report reached the JPN client"
    );
    // The foreign PKI's client: refused in the handshake (PyTAK fails) or served nothing.
    match rogue {
        Err(_) => {}
        Ok(r) => assert_eq!(
            r["events"].as_array().unwrap().len(),
            0,
            "a certificate from an unknown CA was served: {r}"
        ),
    }
    assert!(
        usa["events"]
            .as_array()
            .unwrap()
            .iter()
            .chain(jpn["events"].as_array().unwrap())
            .all(|e| e["callsign"] != "ROGUE"),
        "the refused client's report was ingested"
    );
    // The listener's counters and certificate verdicts in /metrics.
    let (status, text) = get(b.http, "/api/v1/metrics", Some("t-jpn"));
    assert_eq!(status, 200);
    let value = |series: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {series} in {text}"))
            .parse()
            .unwrap()
    };
    let l = format!("listener=\"127.0.0.1:{port}\"");
    assert!(
        value(&format!(
            "biac_cot_tls_client_certificates_total{{{l},verdict=\"unknown_ca\"}}"
        )) >= 1
    );
    assert_eq!(
        value(&format!(
            "biac_cot_tls_client_certificates_total{{{l},verdict=\"wrong_nation\"}}"
        )),
        0
    );
    // JPN's own share only: one JPN client (issue 20: not every nation's totals).
    assert!(value(&format!("biac_cot_connections_total{{{l},tls=\"true\"}}")) >= 1);
    assert!(value(&format!("biac_cot_events_sent_total{{{l},tls=\"true\"}}")) >= 2);
}
