//! Issue 20, finding 4, as an insider administrator of the real `biac serve` would try
//! it: the audit log could be edited and re-sealed (delete `audit/checkpoints`, edit
//! entries, restart: the server signed a fresh checkpoint over the edited log with the
//! key kept in the same data directory), and entries carried no principal.
//!
//! Now the signing key and the witness live outside the data directory, a log whose
//! checkpoints are missing or that the witness does not hold as a consistent extension
//! refuses to start, `biac audit verify` fails on unsealed entries by default, and every
//! entry names who asked.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::json;

const TOKEN: &str = "ops-jpn";

fn config(dir: &Path) -> String {
    common::logged::write_config(
        dir,
        &json!({
            "feeds": [{"name": "jpn-ais", "format": "ais", "nation": "JPN",
                       "default_label": {"classification": "UNCLASSIFIED", "owner": ["JPN"]},
                       "listen": "127.0.0.1:0"}],
            "audiences": [{"nation": "JPN", "clearance": "SECRET"}],
            "tokens": {TOKEN: {"nation": "JPN", "clearance": "SECRET"}},
        }),
    )
}

fn serve_args<'a>(cfg: &'a str, data: &'a str) -> Vec<&'a str> {
    vec![
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data,
        "--config",
        cfg,
        "--fsync",
        "off",
    ]
}

fn biac(args: &[&str]) -> Output {
    Command::new(common::logged::bin())
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs the server once: a few audited requests, sealed, then stopped.
fn run_once(cfg: &str, data: &Path) -> Vec<String> {
    let p = common::logged::start(&serve_args(cfg, data.to_str().unwrap()));
    for path in ["/api/v1/feeds", "/api/v1/zones", "/api/v1/tracks"] {
        let (status, _) = common::get(p.http, path, Some(TOKEN));
        assert_eq!(status, 200, "{path}");
    }
    // The writer signs a checkpoint every second.
    std::thread::sleep(Duration::from_millis(2500));
    p.startup.clone()
}

fn log_path(data: &Path) -> PathBuf {
    data.join("audit/log.jsonl")
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn an_administrator_cannot_edit_and_reseal_the_audit_log() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    let data = tmp.path().join("data");
    let startup = run_once(&cfg, &data);

    // No signing key in the data directory; the startup lines say where it is.
    let in_data: Vec<_> = files(&data)
        .into_iter()
        .filter(|p| {
            std::fs::read_to_string(p).is_ok_and(|t| t.contains("PRIVATE+KEY"))
                || p.file_name()
                    .is_some_and(|n| n.to_string_lossy().contains("key.ed25519"))
        })
        .collect();
    assert!(
        in_data.is_empty(),
        "signing key in the data directory: {in_data:?}"
    );
    let key_line = startup
        .iter()
        .find(|l| l.contains("audit signing key"))
        .unwrap_or_else(|| panic!("no startup line names the signing key: {startup:?}"));
    let witness_line = startup
        .iter()
        .find(|l| l.contains("audit witness"))
        .unwrap_or_else(|| panic!("no startup line names the witness: {startup:?}"));
    eprintln!("{key_line}\n{witness_line}");

    // Every entry names its principal.
    let log = std::fs::read_to_string(log_path(&data)).unwrap();
    assert!(log.lines().count() >= 1, "{log}");
    for l in log.lines() {
        let e: serde_json::Value = serde_json::from_str(l).unwrap();
        let p = e["subject"]["principal"].as_str().unwrap_or_default();
        assert!(!p.is_empty(), "entry without a principal: {l}");
    }
    // The configured token's name: a digest, never any part of the secret.
    let name = biac_server::auth::token_principal(TOKEN);
    assert!(log.contains(&format!("\"principal\":\"{name}\"")), "{log}");
    assert!(!log.contains("token:ops"), "{log}");

    // The untouched log verifies, with the witness as the out-of-band anchor.
    let witness = tmp.path().join("data.audit-witness");
    let d = data.to_str().unwrap();
    let w = witness.to_str().unwrap();
    let ok = biac(&["audit", "verify", "--data-dir", d, "--witness", w]);
    assert!(ok.status.success(), "{}", text(&ok));

    // 1. Edit a decision, delete the checkpoints, restart: refused.
    let original_log = std::fs::read(log_path(&data)).unwrap();
    let original_cps = std::fs::read(data.join("audit/checkpoints")).unwrap();
    let edited = log.replacen("\"decision\":\"allow\"", "\"decision\":\"deny\"", 1);
    assert_ne!(edited, log);
    std::fs::write(log_path(&data), &edited).unwrap();
    std::fs::remove_file(data.join("audit/checkpoints")).unwrap();
    match common::logged::spawn(&serve_args(&cfg, d)) {
        common::logged::Started::Serving(p) => panic!(
            "the server started on a log without its checkpoints: {}",
            p.stderr_text()
        ),
        common::logged::Started::Exited(status, err) => {
            assert!(!status.success());
            assert!(err.contains("checkpoints missing"), "{err}");
        }
    }
    let out = biac(&["audit", "verify", "--data-dir", d, "--witness", w]);
    assert!(!out.status.success(), "{}", text(&out));

    // 2. With the signing key (the server can read it, so its administrator can): sign
    //    fresh checkpoints over the edited log. The signatures are good; the witness,
    //    which saw the original, refuses it, and so does the server.
    let key_path = key_line
        .split_whitespace()
        .find(|w| w.starts_with('/'))
        .map(PathBuf::from)
        .expect("key path on the startup line");
    let audit = data.join("audit");
    std::fs::copy(&key_path, audit.join("key.ed25519")).unwrap();
    std::fs::copy(
        biac_audit::public_key_path(&key_path),
        audit.join("key.pub"),
    )
    .unwrap();
    {
        let mut l = biac_audit::AuditLog::open(&audit).unwrap();
        l.checkpoint(common::logged::now_ms()).unwrap();
    }
    std::fs::remove_file(audit.join("key.ed25519")).unwrap();
    std::fs::remove_file(audit.join("key.pub")).unwrap();
    let pubkey = biac_audit::public_key_path(&key_path);
    let strict = biac(&[
        "audit",
        "verify",
        "--data-dir",
        d,
        "--public-key",
        pubkey.to_str().unwrap(),
    ]);
    // The key alone cannot tell (that is the attack); the witness can.
    assert!(strict.status.success(), "{}", text(&strict));
    let out = biac(&["audit", "verify", "--data-dir", d, "--witness", w]);
    assert!(
        !out.status.success(),
        "re-sealed log passed the witness: {}",
        text(&out)
    );
    assert!(text(&out).contains("witness"), "{}", text(&out));
    match common::logged::spawn(&serve_args(&cfg, d)) {
        common::logged::Started::Serving(p) => {
            panic!("the server started on a re-sealed log: {}", p.stderr_text())
        }
        common::logged::Started::Exited(_, err) => assert!(err.contains("witness"), "{err}"),
    }

    // 3. Cutting the last checkpoints off (rollback) is refused as well.
    std::fs::write(log_path(&data), &original_log).unwrap();
    // A signed note is its body, a blank line and its signature; notes are separated by a
    // blank line: keep the first note only.
    let cps = String::from_utf8(original_cps.clone()).unwrap();
    let parts: Vec<&str> = cps.split("\n\n").filter(|n| !n.trim().is_empty()).collect();
    assert!(parts.len() >= 4, "{cps}");
    std::fs::write(
        data.join("audit/checkpoints"),
        format!("{}\n\n{}\n\n", parts[0], parts[1]),
    )
    .unwrap();
    match common::logged::spawn(&serve_args(&cfg, d)) {
        common::logged::Started::Serving(p) => {
            panic!(
                "the server started on rolled-back checkpoints: {}",
                p.stderr_text()
            )
        }
        common::logged::Started::Exited(_, err) => {
            assert!(err.contains("checkpoints missing"), "{err}")
        }
    }

    // The original restored: it starts again and goes on.
    std::fs::write(data.join("audit/checkpoints"), &original_cps).unwrap();
    run_once(&cfg, &data);
    let ok = biac(&["audit", "verify", "--data-dir", d, "--witness", w]);
    assert!(ok.status.success(), "{}", text(&ok));
}

#[test]
fn verification_fails_on_unsealed_entries_by_default() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path());
    let data = tmp.path().join("data");
    run_once(&cfg, &data);
    let d = data.to_str().unwrap();
    let witness = tmp.path().join("data.audit-witness");
    let w = witness.to_str().unwrap();
    // A forged decision appended after the last checkpoint: well-formed, unsigned.
    let mut log = std::fs::read_to_string(log_path(&data)).unwrap();
    let last = log.lines().last().unwrap().to_string();
    log.push_str(&last.replace("\"decision\":\"allow\"", "\"decision\":\"deny\""));
    log.push('\n');
    std::fs::write(log_path(&data), log).unwrap();
    let out = biac(&["audit", "verify", "--data-dir", d, "--witness", w]);
    assert!(
        !out.status.success(),
        "unsealed entry passed: {}",
        text(&out)
    );
    assert!(text(&out).contains("not sealed"), "{}", text(&out));
    // Relaxed only on request.
    let out = biac(&[
        "audit",
        "verify",
        "--data-dir",
        d,
        "--witness",
        w,
        "--allow-unsealed",
    ]);
    assert!(out.status.success(), "{}", text(&out));
}
