//! `biac audit verify` and `biac audit proof` on a log written by the library: an intact log
//! passes, and each kind of tampering makes the real binary exit non-zero naming the problem.

use std::path::Path;
use std::process::{Command, Output};

use biac_audit::{merkle, AuditLog, Decision, Entry, Object, Subject, LOG_FILE};

fn entry(i: u64) -> Entry {
    Entry {
        time_ms: 1_764_504_000_000 + i as i64,
        subject: Subject {
            nation: if matches!(i % 2, 0) { "JPN" } else { "AUS" }.into(),
            clearance: "SECRET".into(),
            principal: Some(format!("analyst{i}")),
        },
        action: "read".into(),
        object: Object {
            kind: "track".into(),
            id: format!("T{i:04}"),
        },
        marking: "SECRET//REL TO JPN, AUS".into(),
        decision: if matches!(i % 7, 3) {
            Decision::Deny
        } else {
            Decision::Allow
        },
        egress: "http:/api/v1/tracks".into(),
    }
}

/// A data dir with 25 entries: checkpoints at 20 and 25.
fn make(data: &Path) {
    let mut log = AuditLog::open(&biac_audit::audit_dir(data)).unwrap();
    log.append(&(0..20).map(entry).collect::<Vec<_>>()).unwrap();
    log.checkpoint(1_764_504_100_000).unwrap();
    log.append(&(20..25).map(entry).collect::<Vec<_>>())
        .unwrap();
    log.checkpoint(1_764_504_200_000).unwrap();
}

fn biac(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_biac"))
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .expect("run biac")
}

fn verify(data: &Path) -> Output {
    biac(&["audit", "verify", "--data-dir", data.to_str().unwrap()])
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Tampers with the entries of a fresh log and returns the failed run's stderr.
fn tampered(f: impl FnOnce(&mut Vec<Vec<u8>>)) -> String {
    let tmp = tempfile::tempdir().unwrap();
    make(tmp.path());
    let path = biac_audit::audit_dir(tmp.path()).join(LOG_FILE);
    let bytes = std::fs::read(&path).unwrap();
    let mut lines: Vec<Vec<u8>> = bytes
        .split_inclusive(|&c| c == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    f(&mut lines);
    std::fs::write(&path, lines.concat()).unwrap();
    let out = verify(tmp.path());
    let err = text(&out.stderr);
    assert!(!out.status.success(), "tampered log passed: {err}");
    assert!(err.contains("FAILED verification"), "{err}");
    eprintln!("tampered -> {}", err.trim_end());
    err
}

#[test]
fn intact_log_verifies_and_proves() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    make(data);
    let out = verify(data);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("OK: 25 entries, 2 checkpoints, 25 sealed, 0 unsealed"),
        "{stdout}"
    );

    // With the verifier key given explicitly, from elsewhere.
    let key = tmp.path().join("published.pub");
    std::fs::copy(
        biac_audit::audit_dir(data).join(biac_audit::PUBLIC_KEY_FILE),
        &key,
    )
    .unwrap();
    let out = biac(&[
        "audit",
        "verify",
        "--strict",
        "--data-dir",
        data.to_str().unwrap(),
        "--public-key",
        key.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // The inclusion proof printed verifies with the library's RFC 9162 verifier.
    let out = biac(&[
        "audit",
        "proof",
        "--data-dir",
        data.to_str().unwrap(),
        "--index",
        "13",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["index"], 13);
    assert_eq!(v["tree_size"], 25);
    let leaf = merkle::leaf_hash(v["entry"].as_str().unwrap().as_bytes());
    assert_eq!(v["leaf_hash"].as_str().unwrap(), merkle::to_hex(&leaf));
    let proof: Vec<merkle::Hash> = v["proof"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| merkle::from_hex(h.as_str().unwrap()).unwrap())
        .collect();
    let root = merkle::from_hex(v["root"].as_str().unwrap()).unwrap();
    merkle::verify_inclusion(13, 25, &leaf, &proof, &root).unwrap();
    assert!(v["checkpoint"]
        .as_str()
        .unwrap()
        .starts_with("biac-audit\n25\n"));

    // Out of range: a clear error.
    let out = biac(&[
        "audit",
        "proof",
        "--data-dir",
        data.to_str().unwrap(),
        "--index",
        "25",
    ]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("not covered by a checkpoint"));
}

#[test]
fn edited_byte_is_detected() {
    // One digit of entry 4's time: still a valid entry, so only the signed root shows it.
    let err = tampered(|l| {
        let pos = l[4].iter().position(|&c| c.is_ascii_digit()).unwrap();
        l[4][pos] = if l[4][pos] == b'9' {
            b'8'
        } else {
            l[4][pos] + 1
        };
    });
    assert!(
        err.contains("checkpoint 1 (tree size 20): root mismatch"),
        "{err}"
    );
    assert!(err.contains("lines 1..=20"), "{err}");
    // One byte that breaks the JSON: the line is named.
    let err = tampered(|l| l[22][0] = b'X');
    assert!(err.contains("log.jsonl line 23"), "{err}");
}

#[test]
fn deleted_line_is_detected() {
    let err = tampered(|l| {
        l.remove(21);
    });
    assert!(err.contains("checkpoint 2"), "{err}");
    assert!(
        err.contains("lines 21..=25") || err.contains("truncated"),
        "{err}"
    );
}

#[test]
fn swapped_lines_are_detected() {
    let err = tampered(|l| l.swap(2, 3));
    assert!(
        err.contains("checkpoint 1 (tree size 20): root mismatch"),
        "{err}"
    );
}

#[test]
fn truncation_is_detected() {
    let err = tampered(|l| l.truncate(22));
    assert!(
        err.contains("log truncated: checkpoint 2 signed 25 entries but log.jsonl holds only 22"),
        "{err}"
    );
    let err = tampered(|l| {
        let n = l[24].len() - 10;
        l[24].truncate(n);
    });
    assert!(err.contains("log.jsonl line 25"), "{err}");
}

#[test]
fn unsealed_and_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    make(data);
    let mut log = AuditLog::open(&biac_audit::audit_dir(data)).unwrap();
    log.append(&[entry(99)]).unwrap();
    drop(log);
    // Unsealed entries fail by default, and pass only when asked.
    let out = verify(data);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("1 entries after the last checkpoint"));
    let out = biac(&[
        "audit",
        "verify",
        "--allow-unsealed",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = verify(&data.join("nowhere"));
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no audit log"));
}
