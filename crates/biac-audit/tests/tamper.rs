//! The log on disk: write, verify, and every kind of tampering detected.

use std::path::Path;

use biac_audit::{
    merkle, verify, AuditError, AuditLog, AuditSink, Decision, Entry, Object, SinkConfig, Subject,
    CHECKPOINTS_FILE, LOG_FILE,
};
use proptest::prelude::*;

fn entry(i: u64) -> Entry {
    Entry {
        time_ms: 1_764_504_000_000 + i as i64 * 37,
        subject: Subject {
            nation: ["JPN", "AUS", "KOR", "USA"][(i % 4) as usize].into(),
            clearance: "SECRET".into(),
            principal: matches!(i % 3, 0).then(|| format!("user{i}")),
        },
        action: ["read", "subscribe", "export"][(i % 3) as usize].into(),
        object: Object {
            kind: "track".into(),
            id: format!("T{i:05}"),
        },
        marking: "SECRET//REL TO JPN, AUS".into(),
        decision: if matches!(i % 5, 0) {
            Decision::Deny
        } else {
            Decision::Allow
        },
        egress: if matches!(i % 2, 0) {
            "http:/api/v1/tracks".into()
        } else {
            "cot:8087".into()
        },
    }
}

fn entries(range: std::ops::Range<u64>) -> Vec<Entry> {
    range.map(entry).collect()
}

/// 17 entries: checkpoint 1 at 10, checkpoint 2 at 15, 2 unsealed.
fn make_log(dir: &Path) -> AuditLog {
    let mut log = AuditLog::open(dir).unwrap();
    log.append(&entries(0..10)).unwrap();
    log.checkpoint(1_000).unwrap();
    log.append(&entries(10..15)).unwrap();
    log.checkpoint(2_000).unwrap();
    log.append(&entries(15..17)).unwrap();
    log
}

fn lines(dir: &Path) -> Vec<Vec<u8>> {
    let b = std::fs::read(dir.join(LOG_FILE)).unwrap();
    b.split_inclusive(|&c| c == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

fn write_lines(dir: &Path, l: &[Vec<u8>]) {
    std::fs::write(dir.join(LOG_FILE), l.concat()).unwrap();
}

#[test]
fn write_reopen_verify_and_prove() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let log = make_log(dir);
    let key = log.verifying_key();
    let r = verify(dir, &key).unwrap();
    assert_eq!(
        (r.entries, r.checkpoints, r.sealed, r.unsealed),
        (17, 2, 15, 2)
    );
    assert_eq!(r.root, log.root());

    // The root is MTH over the leaf hashes of the exact lines.
    let leaves: Vec<_> = lines(dir)
        .iter()
        .map(|l| merkle::leaf_hash(&l[..l.len() - 1]))
        .collect();
    assert_eq!(merkle::root(&leaves), log.root());
    assert_eq!(
        r.last_checkpoint.as_ref().unwrap().root,
        merkle::root(&leaves[..15])
    );

    // Proofs from the writer verify against its checkpoints.
    let cp = log.last_checkpoint().unwrap().clone();
    for i in 0..15 {
        let p = log.inclusion_proof(i, 15).unwrap();
        merkle::verify_inclusion(i, 15, &leaves[i as usize], &p, &cp.root).unwrap();
    }
    let first_root = log.root_at(10).unwrap();
    let p = log.consistency_proof(10, 15).unwrap();
    merkle::verify_consistency(10, 15, &first_root, &cp.root, &p).unwrap();
    let ip = biac_audit::prove_inclusion(dir, &key, 12).unwrap();
    ip.verify(&key).unwrap();
    assert!(matches!(
        biac_audit::prove_inclusion(dir, &key, 15),
        Err(AuditError::NotSealed { .. })
    ));
    drop(log);

    // Reopen: same state, appends go on.
    let mut log = AuditLog::open(dir).unwrap();
    assert_eq!(log.len(), 17);
    assert_eq!(log.root(), merkle::root(&leaves));
    assert_eq!(log.verifying_key(), key);
    log.append(&entries(17..20)).unwrap();
    log.checkpoint(3_000).unwrap();
    let r = verify(dir, &key).unwrap();
    assert_eq!((r.entries, r.checkpoints, r.unsealed), (20, 3, 0));

    // The key file is private.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(biac_audit::KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

fn tampered(f: impl FnOnce(&mut Vec<Vec<u8>>)) -> AuditError {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let key = make_log(dir).verifying_key();
    let mut l = lines(dir);
    f(&mut l);
    write_lines(dir, &l);
    let err = verify(dir, &key).expect_err("tampering must be detected");
    // The writer refuses to extend it too.
    assert!(AuditLog::open(dir).is_err());
    err
}

#[test]
fn edited_entry_is_detected() {
    // A change that keeps the line a valid, canonical entry: only the root shows it.
    let err = tampered(|l| {
        let s = String::from_utf8(l[3].clone()).unwrap();
        l[3] = s.replace("\"allow\"", "\"deny\"").into_bytes();
    });
    assert!(
        matches!(
            err,
            AuditError::RootMismatch {
                checkpoint: 1,
                size: 10,
                first_line: 1,
                last_line: 10
            }
        ),
        "{err}"
    );
    let err = tampered(|l| {
        let s = String::from_utf8(l[12].clone()).unwrap();
        l[12] = s.replace("T00012", "T00013").into_bytes();
    });
    assert!(
        matches!(
            err,
            AuditError::RootMismatch {
                checkpoint: 2,
                first_line: 11,
                last_line: 15,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("lines 11..=15"), "{err}");
    // A change that breaks the JSON names the line.
    let err = tampered(|l| l[4][0] = b'[');
    assert!(matches!(err, AuditError::Entry { index: 4, .. }), "{err}");
    assert!(err.to_string().starts_with("log.jsonl line 5:"), "{err}");
    // Non-canonical spacing is refused.
    let err = tampered(|l| l[2].insert(1, b' '));
    assert!(matches!(err, AuditError::Entry { index: 2, .. }), "{err}");
}

#[test]
fn deleted_reordered_inserted_truncated_are_detected() {
    let err = tampered(|l| {
        l.remove(5);
    });
    assert!(
        matches!(err, AuditError::RootMismatch { checkpoint: 1, .. }),
        "{err}"
    );
    let err = tampered(|l| l.swap(11, 13));
    assert!(
        matches!(err, AuditError::RootMismatch { checkpoint: 2, .. }),
        "{err}"
    );
    let err = tampered(|l| {
        let forged = entry(99).to_line();
        l.insert(7, [forged, b"\n".to_vec()].concat());
    });
    assert!(
        matches!(err, AuditError::RootMismatch { checkpoint: 1, .. }),
        "{err}"
    );
    // Truncated below the last checkpoint (17 -> 14 entries).
    let err = tampered(|l| l.truncate(14));
    assert!(
        matches!(
            err,
            AuditError::Truncated {
                checkpoint: 2,
                size: 15,
                entries: 14
            }
        ),
        "{err}"
    );
    // Everything gone.
    let err = tampered(|l| l.clear());
    assert!(
        matches!(err, AuditError::Truncated { checkpoint: 1, .. }),
        "{err}"
    );
    // Cut in the middle of a line.
    let err = tampered(|l| {
        let n = l[16].len() / 2;
        l[16].truncate(n);
    });
    assert!(matches!(err, AuditError::Entry { index: 16, .. }), "{err}");
    assert!(err.to_string().contains("torn"), "{err}");
}

#[test]
fn appended_forgery_is_unsealed_and_a_forged_checkpoint_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let key = make_log(dir).verifying_key();
    let mut l = lines(dir);
    l.push([entry(1234).to_line(), b"\n".to_vec()].concat());
    write_lines(dir, &l);
    let r = verify(dir, &key).unwrap();
    assert_eq!((r.entries, r.sealed, r.unsealed), (18, 15, 3));

    // Sealing the forgery needs the key: a checkpoint signed by another key is refused,
    // and so is one with the size edited.
    let forger = tempfile::tempdir().unwrap();
    let mut other = AuditLog::open(forger.path()).unwrap();
    other.append(&entries(0..18)).unwrap();
    let note = other.checkpoint(5).unwrap().to_note(&other.verifying_key());
    let mut cps = std::fs::read_to_string(dir.join(CHECKPOINTS_FILE)).unwrap();
    let original = cps.clone();
    cps.push_str(&format!("{note}\n"));
    std::fs::write(dir.join(CHECKPOINTS_FILE), &cps).unwrap();
    let err = verify(dir, &key).unwrap_err();
    assert!(
        matches!(err, AuditError::Checkpoint { index: 3, .. }),
        "{err}"
    );

    let edited = original.replacen("\n15\n", "\n18\n", 1);
    assert_ne!(edited, original);
    std::fs::write(dir.join(CHECKPOINTS_FILE), &edited).unwrap();
    let err = verify(dir, &key).unwrap_err();
    assert!(
        matches!(
            &err,
            AuditError::Checkpoint {
                index: 2,
                reason: biac_audit::CheckpointError::BadSignature,
                ..
            }
        ),
        "{err}"
    );

    // The wrong verifier key fails on the first checkpoint.
    std::fs::write(dir.join(CHECKPOINTS_FILE), &original).unwrap();
    let err = verify(dir, &other.verifying_key()).unwrap_err();
    assert!(
        matches!(err, AuditError::Checkpoint { index: 1, .. }),
        "{err}"
    );
}

#[test]
fn torn_tail_is_reported_and_can_be_cut() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let key = make_log(dir).verifying_key();
    let mut l = lines(dir);
    l.push(b"{\"time_ms\":17".to_vec());
    write_lines(dir, &l);
    assert!(matches!(
        verify(dir, &key),
        Err(AuditError::Entry { index: 17, .. })
    ));
    assert!(AuditLog::open(dir).is_err());
    assert_eq!(biac_audit::truncate_torn_tail(dir).unwrap(), 13);
    assert_eq!(verify(dir, &key).unwrap().entries, 17);
    AuditLog::open(dir).unwrap();
}

#[test]
fn invalid_utf8_and_garbage() {
    let err = tampered(|l| l[1] = b"\xff\xfe\x00garbage\n".to_vec());
    assert!(matches!(err, AuditError::Entry { index: 1, .. }), "{err}");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let key = make_log(dir).verifying_key();
    std::fs::write(dir.join(CHECKPOINTS_FILE), b"\xff\xff\n").unwrap();
    assert!(matches!(
        verify(dir, &key),
        Err(AuditError::Checkpoint { .. })
    ));
}

#[test]
fn sink_records_from_many_threads_and_seals() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("audit");
    let log = AuditLog::open(&dir).unwrap();
    let key = log.verifying_key();
    let (sink, worker) = AuditSink::spawn(log, SinkConfig::default()).unwrap();
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let sink = sink.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    sink.record(entry(t * 1000 + i)).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let c = sink.seal().unwrap();
    assert_eq!(c.size, 200);
    assert_eq!(verify(&dir, &key).unwrap().unsealed, 0);
    sink.record(entry(7)).unwrap();
    drop(sink);
    let last = worker.join().unwrap().unwrap();
    assert_eq!(last.size, 201);
    let r = verify(&dir, &key).unwrap();
    assert_eq!((r.entries, r.unsealed), (201, 0));
}

#[test]
fn sink_checkpoints_on_its_own() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let log = AuditLog::open(dir).unwrap();
    let key = log.verifying_key();
    let cfg = SinkConfig {
        checkpoint_interval: std::time::Duration::from_millis(20),
        ..SinkConfig::default()
    };
    let (sink, worker) = AuditSink::spawn(log, cfg).unwrap();
    for i in 0..10 {
        sink.record(entry(i)).unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        // A read racing the writer may see a half-written line: just look again.
        let r = verify(dir, &key);
        if matches!(&r, Ok(r) if r.entries == 10 && r.unsealed == 0) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never sealed: {r:?}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(sink);
    assert_eq!(worker.join().unwrap().unwrap().size, 10);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Robustness: any bytes as the entries file or the checkpoints file give an error (or,
    /// for an empty file, an empty log), never a panic.
    #[test]
    fn random_bytes_never_panic(log_bytes in prop::collection::vec(any::<u8>(), 0..2048),
                                cp_bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let key = ed25519_key();
        std::fs::write(dir.join(LOG_FILE), &log_bytes).unwrap();
        let r = verify(dir, &key);
        prop_assert!(log_bytes.is_empty() == r.is_ok(), "{:?}", r);
        std::fs::write(dir.join(CHECKPOINTS_FILE), &cp_bytes).unwrap();
        let _ = verify(dir, &key);
    }

    /// Any single flipped bit or cut inside the sealed part of a real log is detected.
    #[test]
    fn mutations_of_a_sealed_log_are_detected(pos in any::<prop::sample::Index>(), bit in 0u8..8,
                                              cut in any::<bool>()) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let mut log = AuditLog::open(dir).unwrap();
        log.append(&entries(0..12)).unwrap();
        log.checkpoint(1).unwrap();
        let key = log.verifying_key();
        drop(log);
        let mut bytes = std::fs::read(dir.join(LOG_FILE)).unwrap();
        let p = pos.index(bytes.len());
        if cut {
            bytes.truncate(p);
        } else {
            bytes[p] ^= 1 << bit;
        }
        std::fs::write(dir.join(LOG_FILE), &bytes).unwrap();
        prop_assert!(verify(dir, &key).is_err());
    }
}

fn ed25519_key() -> biac_audit::VerifyingKey {
    let tmp = tempfile::tempdir().unwrap();
    AuditLog::open(tmp.path()).unwrap().verifying_key()
}
