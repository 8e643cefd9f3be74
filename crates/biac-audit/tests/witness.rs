//! The log in custody (issue 20, finding 4): the signing key outside the data directory,
//! checkpoints published to a witness that only accepts consistent extensions, and a log
//! whose checkpoints are missing refused.

use std::path::PathBuf;

use biac_audit::{
    audit_dir, verify_with_witness, AuditError, AuditLog, Checkpoint, Decision, Entry, Object,
    Subject, Witness, CHECKPOINTS_FILE, KEY_FILE, LOG_FILE,
};

fn entry(i: u64) -> Entry {
    Entry {
        time_ms: 1_764_504_000_000 + i as i64,
        subject: Subject {
            nation: "JPN".into(),
            clearance: "SECRET".into(),
            principal: Some(format!("token:t{i}")),
        },
        action: "view".into(),
        object: Object {
            kind: "track".into(),
            id: format!("T{i:05}"),
        },
        marking: "SECRET//REL TO USA, JPN".into(),
        decision: Decision::Allow,
        egress: "http:/api/v1/tracks".into(),
    }
}

struct Paths {
    _tmp: tempfile::TempDir,
    audit: PathBuf,
    key: PathBuf,
    witness: PathBuf,
}

fn paths() -> Paths {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    Paths {
        audit: audit_dir(&data),
        key: tmp.path().join("custody/audit.key"),
        witness: tmp.path().join("witness"),
        _tmp: tmp,
    }
}

fn open(p: &Paths) -> Result<AuditLog, AuditError> {
    AuditLog::open_in_custody(&p.audit, &p.key, &p.witness, 1_000)
}

/// 20 entries sealed in two checkpoints, all witnessed.
fn make(p: &Paths) {
    let mut log = open(p).unwrap();
    log.append(&(0..10).map(entry).collect::<Vec<_>>()).unwrap();
    log.checkpoint(2_000).unwrap();
    log.append(&(10..20).map(entry).collect::<Vec<_>>())
        .unwrap();
    log.checkpoint(3_000).unwrap();
}

/// The error of an open that must fail (`AuditLog` has no `Debug` for `unwrap_err`).
fn refused(r: Result<AuditLog, AuditError>) -> AuditError {
    match r {
        Ok(_) => panic!("the log was opened"),
        Err(e) => e,
    }
}

fn key_of(p: &Paths) -> ed25519_dalek::VerifyingKey {
    Witness::pinned_key(&p.witness).unwrap()
}

#[test]
fn the_key_lives_outside_and_every_checkpoint_is_witnessed() {
    let p = paths();
    make(&p);
    assert!(!p.audit.join(KEY_FILE).exists());
    assert!(p.key.exists());
    let r = verify_with_witness(&p.audit, &key_of(&p), &p.witness).unwrap();
    assert_eq!((r.entries, r.sealed), (20, 20));
    // The size-0 checkpoint of the new log and the two after it.
    let w = Witness::open(&p.witness, &key_of(&p)).unwrap();
    assert_eq!(w.latest().unwrap().size, 20);
    // Reopening goes on.
    let mut log = open(&p).unwrap();
    log.append(&[entry(20)]).unwrap();
    log.checkpoint(4_000).unwrap();
    assert_eq!(
        Witness::open(&p.witness, &key_of(&p))
            .unwrap()
            .latest()
            .unwrap()
            .size,
        21
    );
}

#[test]
fn a_key_inside_the_data_directory_is_refused() {
    let p = paths();
    let inside = p.audit.parent().unwrap().join("keys/audit.key");
    let err = refused(AuditLog::open_in_custody(&p.audit, &inside, &p.witness, 0));
    assert!(
        err.to_string().contains("outside the data directory"),
        "{err}"
    );
    // Nor a key left beside the log by an older version.
    std::fs::create_dir_all(&p.audit).unwrap();
    std::fs::write(p.audit.join(KEY_FILE), "x").unwrap();
    assert!(open(&p).is_err());
}

#[test]
fn deleted_or_rolled_back_checkpoints_are_refused() {
    let p = paths();
    make(&p);
    let cps = std::fs::read(p.audit.join(CHECKPOINTS_FILE)).unwrap();
    std::fs::remove_file(p.audit.join(CHECKPOINTS_FILE)).unwrap();
    let err = refused(open(&p));
    assert!(
        matches!(err, AuditError::MissingCheckpoints { .. }),
        "{err}"
    );
    // Only the first two checkpoints (sizes 0 and 10) left: the witness saw 20.
    // Each note is a body, a blank line and a signature; notes are separated by a blank
    // line.
    let text = String::from_utf8(cps.clone()).unwrap();
    let parts: Vec<&str> = text
        .split("\n\n")
        .filter(|n| !n.trim().is_empty())
        .collect();
    assert_eq!(parts.len(), 6);
    std::fs::write(
        p.audit.join(CHECKPOINTS_FILE),
        parts[..4].join("\n\n") + "\n\n",
    )
    .unwrap();
    let err = refused(open(&p));
    assert!(
        matches!(err, AuditError::MissingCheckpoints { .. }),
        "{err}"
    );
    assert!(verify_with_witness(&p.audit, &key_of(&p), &p.witness).is_err());
    std::fs::write(p.audit.join(CHECKPOINTS_FILE), cps).unwrap();
    open(&p).unwrap();
}

/// The insider's attack: edit entries, then re-sign every checkpoint with the key (which
/// the server, and so its administrator, can read). The signatures verify; the witness
/// does not take it.
#[test]
fn a_resigned_rewrite_is_refused_by_the_witness() {
    let p = paths();
    make(&p);
    let log_path = p.audit.join(LOG_FILE);
    let text = std::fs::read_to_string(&log_path).unwrap();
    std::fs::write(&log_path, text.replacen("T00003", "T99999", 1)).unwrap();
    std::fs::remove_file(p.audit.join(CHECKPOINTS_FILE)).unwrap();
    // Re-seal with the same key, through the library's key-beside-the-log mode.
    std::fs::copy(&p.key, p.audit.join(KEY_FILE)).unwrap();
    {
        let mut forged = AuditLog::open(&p.audit).unwrap();
        forged.checkpoint(5_000).unwrap();
    }
    std::fs::remove_file(p.audit.join(KEY_FILE)).unwrap();
    std::fs::remove_file(p.audit.join(biac_audit::PUBLIC_KEY_FILE)).unwrap();
    // Good signatures, good roots: plain verification passes.
    biac_audit::verify(&p.audit, &key_of(&p)).unwrap();
    // The witness refuses, at verification and at start.
    let err = verify_with_witness(&p.audit, &key_of(&p), &p.witness).unwrap_err();
    assert!(matches!(err, AuditError::Witness(_)), "{err}");
    let err = refused(open(&p));
    assert!(matches!(err, AuditError::Witness(_)), "{err}");
}

#[test]
fn the_witness_accepts_only_consistent_extensions() {
    let p = paths();
    make(&p);
    let key = key_of(&p);
    // Another log (another key) cannot use this witness.
    let other = paths();
    make(&other);
    assert!(Witness::open(&p.witness, &key_of(&other)).is_err());

    let sk =
        biac_audit::checkpoint::decode_signing_key(std::fs::read_to_string(&p.key).unwrap().trim())
            .unwrap();
    let log = open(&p).unwrap();
    let mut w = Witness::open(&p.witness, &key).unwrap();
    let latest = w.latest().unwrap().clone();
    assert_eq!(latest.size, 20);
    assert!(
        !w.submit(&latest, &[]).unwrap(),
        "an equal checkpoint changes nothing"
    );
    // Older, though well signed and a true prefix: refused.
    let older = Checkpoint::sign(10, log.root_at(10).unwrap(), 9_000, &sk);
    assert!(w.submit(&older, &[]).is_err());
    // Same size, other root: refused.
    let mut root = latest.root;
    root[0] ^= 1;
    assert!(w
        .submit(&Checkpoint::sign(20, root, 9_000, &sk), &[])
        .is_err());
    // Larger, with a proof from another tree: refused; with the true proof: accepted.
    let mut more = log;
    more.append(&(20..25).map(entry).collect::<Vec<_>>())
        .unwrap();
    let next = Checkpoint::sign(25, more.root(), 9_000, &sk);
    let wrong = other_proof(&other);
    assert!(w.submit(&next, &wrong).is_err());
    let proof = more.consistency_proof(20, 25).unwrap();
    assert!(w.submit(&next, &proof).unwrap());
    assert_eq!(w.latest().unwrap().size, 25);
    // Persisted: a reopened witness holds it.
    assert_eq!(
        Witness::open(&p.witness, &key)
            .unwrap()
            .latest()
            .unwrap()
            .size,
        25
    );
}

/// A consistency proof from 20 to 25 entries of another log.
fn other_proof(p: &Paths) -> Vec<biac_audit::Hash> {
    let mut log = open(p).unwrap();
    log.append(&(100..105).map(entry).collect::<Vec<_>>())
        .unwrap();
    log.consistency_proof(20, 25).unwrap()
}
