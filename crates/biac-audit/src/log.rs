//! The log on disk: `log.jsonl` (one canonical entry per line), `checkpoints` (signed notes),
//! `key.ed25519` (the signing key, mode 0600) and `key.pub` (the verifier key), all in one
//! directory; and [`verify`], which re-derives everything from those bytes.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::checkpoint::{self, Checkpoint, CheckpointError, KeyError};
use crate::entry::{Entry, EntryError};
use crate::merkle::{self, Frontier, Hash, ProofError};
use crate::witness::Witness;
use crate::AuditError;

/// The entries file inside the audit directory.
pub const LOG_FILE: &str = "log.jsonl";
/// The checkpoints file inside the audit directory.
pub const CHECKPOINTS_FILE: &str = "checkpoints";
/// The signing key file (private; created 0600).
pub const KEY_FILE: &str = "key.ed25519";
/// The verifier key file (public).
pub const PUBLIC_KEY_FILE: &str = "key.pub";

/// The audit directory of a biac data directory: `<data-dir>/audit`.
pub fn audit_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("audit")
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> AuditError + '_ {
    move |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What [`verify`] found in a log that is intact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries in the log file.
    pub entries: u64,
    /// Checkpoints in the checkpoints file, all with good signatures and roots.
    pub checkpoints: usize,
    /// Entries covered by the last checkpoint.
    pub sealed: u64,
    /// Entries after the last checkpoint: well-formed but not (yet) signed. A crash between an
    /// append and the next checkpoint leaves some; so does an appended forgery. Not an error.
    pub unsealed: u64,
    /// RFC 9162 root of all entries.
    pub root: Hash,
    /// The last checkpoint, if any.
    pub last_checkpoint: Option<Checkpoint>,
}

/// The result of reading and checking a log directory.
pub(crate) struct Scan {
    pub report: VerifyReport,
    pub checkpoints: Vec<Checkpoint>,
    pub frontier: Frontier,
    /// All leaf hashes, when asked for.
    pub leaves: Vec<Hash>,
}

/// Reads the checkpoints file (missing = none), checking every signature and that sizes never
/// decrease.
pub(crate) fn read_checkpoints(
    dir: &Path,
    key: &VerifyingKey,
) -> Result<Vec<Checkpoint>, AuditError> {
    let path = dir.join(CHECKPOINTS_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_err(&path)(e)),
    };
    let text = std::str::from_utf8(&bytes).map_err(|e| AuditError::Checkpoint {
        index: 0,
        line: 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count(),
        reason: CheckpointError::Utf8,
    })?;
    let notes = checkpoint::split_notes(text).map_err(|(line, reason)| AuditError::Checkpoint {
        index: 0,
        line,
        reason,
    })?;
    let mut out: Vec<Checkpoint> = Vec::with_capacity(notes.len());
    for (i, n) in notes.iter().enumerate() {
        let c =
            Checkpoint::parse(&n.body, &n.sigs, key).map_err(|reason| AuditError::Checkpoint {
                index: i + 1,
                line: n.line,
                reason,
            })?;
        if let Some(prev) = out.last() {
            if c.size < prev.size {
                return Err(AuditError::Checkpoint {
                    index: i + 1,
                    line: n.line,
                    reason: CheckpointError::Shrinks {
                        size: c.size,
                        previous: prev.size,
                    },
                });
            }
        }
        out.push(c);
    }
    Ok(out)
}

/// Reads and checks everything: every entry well-formed and canonical, every checkpoint
/// signed by `key` and equal to the RFC 9162 root of the prefix it names, no checkpoint
/// beyond the end of the log.
pub(crate) fn scan(dir: &Path, key: &VerifyingKey, keep_leaves: bool) -> Result<Scan, AuditError> {
    let checkpoints = read_checkpoints(dir, key)?;
    let path = dir.join(LOG_FILE);
    let file = match File::open(&path) {
        Ok(f) => Some(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_err(&path)(e)),
    };
    let mut frontier = Frontier::new();
    let mut leaves = Vec::new();
    let mut next_cp = 0usize;
    // Entries up to this count are known good (matched a checkpoint).
    let mut good_through = 0u64;

    // Checks every checkpoint of exactly `size` entries against the current root.
    let check = |frontier: &Frontier, next_cp: &mut usize, good: &mut u64| {
        while let Some(c) = checkpoints.get(*next_cp) {
            if c.size != frontier.size() {
                break;
            }
            if c.root != frontier.root() {
                return Err(AuditError::RootMismatch {
                    checkpoint: *next_cp + 1,
                    size: c.size,
                    first_line: *good + 1,
                    last_line: c.size,
                });
            }
            *good = c.size;
            *next_cp += 1;
        }
        Ok(())
    };
    check(&frontier, &mut next_cp, &mut good_through)?;

    if let Some(f) = file {
        let mut r = BufReader::with_capacity(1 << 16, f);
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = r.read_until(b'\n', &mut line).map_err(io_err(&path))?;
            if n == 0 {
                break;
            }
            let index = frontier.size();
            let Some(body) = line.strip_suffix(b"\n") else {
                return Err(AuditError::Entry {
                    index,
                    reason: EntryError::TornLine,
                });
            };
            let entry =
                Entry::from_line(body).map_err(|reason| AuditError::Entry { index, reason })?;
            if entry.to_line() != body {
                return Err(AuditError::Entry {
                    index,
                    reason: EntryError::NotCanonical,
                });
            }
            let leaf = merkle::leaf_hash(body);
            frontier.push(leaf);
            if keep_leaves {
                leaves.push(leaf);
            }
            check(&frontier, &mut next_cp, &mut good_through)?;
        }
    }
    if let Some(c) = checkpoints.get(next_cp) {
        return Err(AuditError::Truncated {
            checkpoint: next_cp + 1,
            size: c.size,
            entries: frontier.size(),
        });
    }
    let sealed = checkpoints.last().map_or(0, |c| c.size);
    let report = VerifyReport {
        entries: frontier.size(),
        checkpoints: checkpoints.len(),
        sealed,
        unsealed: frontier.size() - sealed,
        root: frontier.root(),
        last_checkpoint: checkpoints.last().cloned(),
    };
    Ok(Scan {
        report,
        checkpoints,
        frontier,
        leaves,
    })
}

/// Proves the log in `dir` unmodified against the verifier key `key`: re-reads every entry,
/// recomputes the tree, and checks every checkpoint's signature and that its root is the
/// RFC 9162 root of the prefix it names (so each checkpoint is consistent with every
/// earlier one). Entries after the last checkpoint are reported as unsealed; a log shorter
/// than a checkpoint is an error. The error names the entry, line or checkpoint and why.
///
/// Use a verifier key obtained out of band (the one printed when the log was created, or
/// published): whoever can rewrite the directory can also replace `key.pub`.
pub fn verify(dir: &Path, key: &VerifyingKey) -> Result<VerifyReport, AuditError> {
    scan(dir, key, false).map(|s| s.report)
}

/// [`verify`], then checks the log against a witness directory: the witness's latest
/// checkpoint must be one the log still holds (no checkpoint removed) and the root of the
/// log's first entries of that size must be the one the witness saw (no witnessed entry
/// changed, even under fresh signatures).
pub fn verify_with_witness(
    dir: &Path,
    key: &VerifyingKey,
    witness: &Path,
) -> Result<VerifyReport, AuditError> {
    let pinned = crate::Witness::pinned_key(witness)?;
    if pinned != *key {
        return Err(AuditError::Witness(format!(
            "{} pins another key than the one given",
            witness.display()
        )));
    }
    let s = scan(dir, key, true)?;
    let Some(seen) = read_checkpoints(witness, key)?.pop() else {
        return Ok(s.report);
    };
    if seen.size > s.report.sealed {
        return Err(AuditError::MissingCheckpoints {
            entries: s.report.entries,
            detail: format!(
                "the witness holds a checkpoint of {} entries, the log's last is of {}",
                seen.size, s.report.sealed
            ),
        });
    }
    let n = usize::try_from(seen.size).map_err(|_| AuditError::Proof("log too large".into()))?;
    if merkle::root(&s.leaves[..n]) != seen.root {
        return Err(AuditError::Witness(format!(
            "the first {} entries are not the ones the witness saw (root {}): witnessed \
             entries were changed and re-signed",
            seen.size,
            merkle::to_hex(&seen.root)
        )));
    }
    Ok(s.report)
}

/// Reads the verifier key file (`key.pub` text form).
pub fn read_public_key(path: &Path) -> Result<VerifyingKey, AuditError> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    checkpoint::decode_public_key(&text).map_err(|reason| AuditError::Key {
        path: path.to_path_buf(),
        reason,
    })
}

/// An inclusion proof of one entry in a signed checkpoint.
#[derive(Debug, Clone)]
pub struct InclusionProof {
    /// 0-based entry index (line number - 1).
    pub index: u64,
    /// The exact stored line.
    pub entry_line: String,
    pub leaf_hash: Hash,
    /// The checkpoint the proof leads to (its size is the tree size).
    pub checkpoint: Checkpoint,
    pub proof: Vec<Hash>,
}

impl InclusionProof {
    /// A JSON rendering: hashes in hex, the checkpoint as its signed note.
    pub fn to_json(&self, key: &VerifyingKey) -> serde_json::Value {
        serde_json::json!({
            "index": self.index,
            "tree_size": self.checkpoint.size,
            "entry": self.entry_line,
            "leaf_hash": merkle::to_hex(&self.leaf_hash),
            "root": merkle::to_hex(&self.checkpoint.root),
            "proof": self.proof.iter().map(merkle::to_hex).collect::<Vec<_>>(),
            "checkpoint": self.checkpoint.to_note(key),
        })
    }

    /// Re-checks the proof (RFC 9162 §2.1.3.2) and the checkpoint's signature.
    pub fn verify(&self, key: &VerifyingKey) -> Result<(), ProofFailure> {
        self.checkpoint.verify(key)?;
        if merkle::leaf_hash(self.entry_line.as_bytes()) != self.leaf_hash {
            return Err(ProofFailure::LeafHash);
        }
        merkle::verify_inclusion(
            self.index,
            self.checkpoint.size,
            &self.leaf_hash,
            &self.proof,
            &self.checkpoint.root,
        )
        .map_err(ProofFailure::Proof)
    }
}

/// Why an [`InclusionProof`] does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofFailure {
    #[error(transparent)]
    Signature(#[from] CheckpointError),
    #[error("the leaf hash is not the hash of the entry")]
    LeafHash,
    #[error(transparent)]
    Proof(ProofError),
}

/// Verifies the log in `dir` and proves entry `index` included in its last checkpoint.
pub fn prove_inclusion(
    dir: &Path,
    key: &VerifyingKey,
    index: u64,
) -> Result<InclusionProof, AuditError> {
    let s = scan(dir, key, true)?;
    let Some(cp) = s.checkpoints.last().cloned() else {
        return Err(AuditError::NotSealed {
            index,
            sealed: 0,
            entries: s.report.entries,
        });
    };
    if index >= cp.size {
        return Err(AuditError::NotSealed {
            index,
            sealed: cp.size,
            entries: s.report.entries,
        });
    }
    let n = usize::try_from(cp.size).map_err(|_| AuditError::Proof("log too large".into()))?;
    let proof = merkle::inclusion_proof(&s.leaves[..n], index)
        .map_err(|e| AuditError::Proof(e.to_string()))?;
    let path = dir.join(LOG_FILE);
    let entry_line = read_line(&path, index)?;
    Ok(InclusionProof {
        index,
        entry_line,
        leaf_hash: s.leaves[index as usize],
        checkpoint: cp,
        proof,
    })
}

fn read_line(path: &Path, index: u64) -> Result<String, AuditError> {
    let r = BufReader::new(File::open(path).map_err(io_err(path))?);
    let mut lines = r.split(b'\n');
    let mut i = 0;
    loop {
        match lines.next() {
            Some(l) => {
                let l = l.map_err(io_err(path))?;
                if i == index {
                    return String::from_utf8(l).map_err(|_| AuditError::Entry {
                        index,
                        reason: EntryError::Utf8,
                    });
                }
            }
            None => {
                return Err(AuditError::Entry {
                    index,
                    reason: EntryError::Missing,
                })
            }
        }
        i += 1;
    }
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

fn sync_dir(dir: &Path) -> Result<(), AuditError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Loads the signing key, creating it (and `key.pub`) if the directory has none.
fn load_or_create_key(dir: &Path) -> Result<SigningKey, AuditError> {
    let key = load_or_create_key_at(&dir.join(KEY_FILE), &dir.join(PUBLIC_KEY_FILE))?;
    sync_dir(dir)?;
    Ok(key)
}

/// Loads the signing key at `path`, creating it (0600) and its verifier key at `pub_path`
/// if there is none.
fn load_or_create_key_at(path: &Path, pub_path: &Path) -> Result<SigningKey, AuditError> {
    let key = match std::fs::read_to_string(path) {
        Ok(text) => checkpoint::decode_signing_key(&text).map_err(|reason| AuditError::Key {
            path: path.to_path_buf(),
            reason,
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| AuditError::Key {
                path: path.to_path_buf(),
                reason: KeyError::NoRandomness(e.to_string()),
            })?;
            let key = SigningKey::from_bytes(&seed);
            let mut f = create_private(path).map_err(io_err(path))?;
            f.write_all(format!("{}\n", checkpoint::encode_signing_key(&key)).as_bytes())
                .and_then(|()| f.sync_all())
                .map_err(io_err(path))?;
            key
        }
        Err(e) => return Err(io_err(path)(e)),
    };
    let pub_text = format!("{}\n", checkpoint::encode_public_key(&key.verifying_key()));
    match std::fs::read_to_string(pub_path) {
        Ok(t) if t == pub_text => {}
        Ok(_) => {
            return Err(AuditError::Key {
                path: pub_path.to_path_buf(),
                reason: KeyError::Mismatch,
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::write(pub_path, pub_text).map_err(io_err(pub_path))?;
        }
        Err(e) => return Err(io_err(pub_path)(e)),
    }
    Ok(key)
}

/// The verifier key file written beside a signing key kept elsewhere: `<key>.pub`.
pub fn public_key_path(signing_key: &Path) -> PathBuf {
    let mut p = signing_key.as_os_str().to_owned();
    p.push(".pub");
    PathBuf::from(p)
}

fn open_append(path: &Path) -> Result<File, AuditError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io_err(path))
}

/// The writer's handle on a log directory. One writer per directory.
///
/// Appends are buffered by the OS; [`AuditLog::checkpoint`] fsyncs the entries, then signs
/// and appends the checkpoint and fsyncs it, so a checkpoint on disk only ever covers
/// entries on disk.
pub struct AuditLog {
    dir: PathBuf,
    log: File,
    checkpoints: File,
    key: SigningKey,
    frontier: Frontier,
    /// All leaf hashes (32 bytes per entry) for proofs.
    leaves: Vec<Hash>,
    last_checkpoint: Option<Checkpoint>,
    /// Where every checkpoint is published once written (see [`AuditLog::open_in_custody`]).
    witness: Option<Witness>,
}

impl AuditLog {
    /// Opens (creating if needed) the log in the audit directory `dir`, creating the signing
    /// key on first use. The existing log is verified in full against the directory's own
    /// key first; a log that fails is not appended to (the error says why).
    pub fn open(dir: &Path) -> Result<AuditLog, AuditError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        let key = load_or_create_key(dir)?;
        let s = scan(dir, &key.verifying_key(), true)?;
        Self::extend(dir, key, s)
    }

    /// The log in `dir`, already scanned as `s`, opened for appending under `key`.
    fn extend(dir: &Path, key: SigningKey, s: Scan) -> Result<AuditLog, AuditError> {
        let log = open_append(&dir.join(LOG_FILE))?;
        let checkpoints = open_append(&dir.join(CHECKPOINTS_FILE))?;
        sync_dir(dir)?;
        Ok(AuditLog {
            dir: dir.to_path_buf(),
            log,
            checkpoints,
            key,
            frontier: s.frontier,
            leaves: s.leaves,
            last_checkpoint: s.checkpoints.last().cloned(),
            witness: None,
        })
    }

    /// Opens (creating if needed) the log in the audit directory `dir` as the server does:
    /// signed with the key at `signing_key`, which must lie outside `dir`'s data directory
    /// (created 0600 on first use, with its verifier key at [`public_key_path`]), and
    /// publishing every checkpoint to the witness directory `witness`; `now_ms` stamps the
    /// size-0 checkpoint of a new log.
    ///
    /// Refuses a log that fails verification, a signing key left in `dir`, a log with
    /// entries but no checkpoint (a new log is sealed at size 0 at once, so only a deleted
    /// checkpoints file gives one), and a log the witness does not hold as a consistent
    /// extension of what it saw, or whose checkpoints stop short of the witness's (deleted
    /// checkpoints). Entries after the last checkpoint — what a crash between an append
    /// and the next checkpoint leaves — are sealed by the next checkpoint; their number
    /// is in [`AuditLog::unsealed`] for the caller to report.
    pub fn open_in_custody(
        dir: &Path,
        signing_key: &Path,
        witness: &Path,
        now_ms: i64,
    ) -> Result<AuditLog, AuditError> {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
        std::fs::create_dir_all(witness).map_err(io_err(witness))?;
        let inside = |p: &Path| {
            let data = dir.parent().unwrap_or(dir);
            match (
                std::fs::canonicalize(data),
                p.parent().map(std::fs::canonicalize),
            ) {
                (Ok(d), Some(Ok(k))) => k.starts_with(&d),
                _ => false,
            }
        };
        if dir.join(KEY_FILE).exists() {
            return Err(AuditError::Key {
                path: dir.join(KEY_FILE),
                reason: KeyError::BesideLog,
            });
        }
        if let Some(parent) = signing_key.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(io_err(parent))?;
            }
        }
        if inside(signing_key) || inside(witness) {
            return Err(AuditError::Key {
                path: signing_key.to_path_buf(),
                reason: KeyError::InsideDataDir(witness.to_path_buf()),
            });
        }
        let key = load_or_create_key_at(signing_key, &public_key_path(signing_key))?;
        let vk = key.verifying_key();
        let s = scan(dir, &vk, true)?;
        if s.checkpoints.is_empty() && s.report.entries > 0 {
            return Err(AuditError::MissingCheckpoints {
                entries: s.report.entries,
                detail: "no checkpoint at all".into(),
            });
        }
        let mut w = Witness::open(witness, &vk)?;
        if let (Some(seen), Some(last)) = (w.latest(), s.checkpoints.last()) {
            if seen.size > last.size {
                return Err(AuditError::MissingCheckpoints {
                    entries: s.report.entries,
                    detail: format!(
                        "the witness holds a checkpoint of {} entries, the log's last is of {}",
                        seen.size, last.size
                    ),
                });
            }
        }
        if s.checkpoints.is_empty() && w.latest().is_some_and(|c| c.size > 0) {
            return Err(AuditError::MissingCheckpoints {
                entries: s.report.entries,
                detail: "the witness has seen entries; the log has none".into(),
            });
        }
        let mut l = Self::extend(dir, key, s)?;
        if l.last_checkpoint.is_none() {
            l.checkpoint(now_ms)?;
        }
        l.publish(&mut w)?;
        l.witness = Some(w);
        Ok(l)
    }

    /// Hands the last checkpoint to `w` with the consistency proof from what `w` holds.
    pub fn publish(&self, w: &mut Witness) -> Result<(), AuditError> {
        let Some(c) = &self.last_checkpoint else {
            return Ok(());
        };
        let from = w.latest().map_or(0, |l| l.size);
        if from > c.size {
            return Err(AuditError::Witness(format!(
                "the witness holds a checkpoint of {from} entries, the log's last is of {}",
                c.size
            )));
        }
        let proof = self.consistency_proof(from, c.size)?;
        w.submit(c, &proof)?;
        Ok(())
    }

    /// The audit directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The verifier key of this log (publish it; `verify` needs it).
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// Number of entries.
    pub fn len(&self) -> u64 {
        self.frontier.size()
    }

    /// Whether the log has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// RFC 9162 root of all entries so far (O(log n)).
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// The last checkpoint written.
    pub fn last_checkpoint(&self) -> Option<&Checkpoint> {
        self.last_checkpoint.as_ref()
    }

    /// Entries after the last checkpoint.
    pub fn unsealed(&self) -> u64 {
        self.len() - self.last_checkpoint.as_ref().map_or(0, |c| c.size)
    }

    /// Appends entries with one write; returns the index of the first. O(log n) per entry.
    /// Durable at the next [`AuditLog::checkpoint`] (or [`AuditLog::sync`]).
    pub fn append(&mut self, entries: &[Entry]) -> Result<u64, AuditError> {
        let first = self.len();
        if entries.is_empty() {
            return Ok(first);
        }
        let mut buf = Vec::with_capacity(entries.len() * 256);
        let mut hashes = Vec::with_capacity(entries.len());
        for e in entries {
            let line = e.to_line();
            hashes.push(merkle::leaf_hash(&line));
            buf.extend_from_slice(&line);
            buf.push(b'\n');
        }
        let path = self.dir.join(LOG_FILE);
        self.log.write_all(&buf).map_err(io_err(&path))?;
        for h in hashes {
            self.frontier.push(h);
            self.leaves.push(h);
        }
        Ok(first)
    }

    /// fsyncs the entries file.
    pub fn sync(&mut self) -> Result<(), AuditError> {
        let path = self.dir.join(LOG_FILE);
        self.log.sync_data().map_err(io_err(&path))
    }

    /// fsyncs the entries, then signs a checkpoint of the whole log at `now_ms`, appends it
    /// to the checkpoints file and fsyncs that.
    pub fn checkpoint(&mut self, now_ms: i64) -> Result<Checkpoint, AuditError> {
        self.sync()?;
        let c = Checkpoint::sign(self.len(), self.root(), now_ms, &self.key);
        let note = format!("{}\n", c.to_note(&self.key.verifying_key()));
        let path = self.dir.join(CHECKPOINTS_FILE);
        self.checkpoints
            .write_all(note.as_bytes())
            .and_then(|()| self.checkpoints.sync_data())
            .map_err(io_err(&path))?;
        self.last_checkpoint = Some(c.clone());
        if let Some(mut w) = self.witness.take() {
            let published = self.publish(&mut w);
            self.witness = Some(w);
            published?;
        }
        Ok(c)
    }

    /// Inclusion proof of entry `index` in the tree of the first `size` entries.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, AuditError> {
        let n = self.prefix(size)?;
        merkle::inclusion_proof(&self.leaves[..n], index)
            .map_err(|e| AuditError::Proof(e.to_string()))
    }

    /// Consistency proof from the tree of the first `first` entries to that of the first
    /// `second`.
    pub fn consistency_proof(&self, first: u64, second: u64) -> Result<Vec<Hash>, AuditError> {
        let n = self.prefix(second)?;
        merkle::consistency_proof(&self.leaves[..n], first)
            .map_err(|e| AuditError::Proof(e.to_string()))
    }

    /// The RFC 9162 root of the first `size` entries (O(size)).
    pub fn root_at(&self, size: u64) -> Result<Hash, AuditError> {
        Ok(merkle::root(&self.leaves[..self.prefix(size)?]))
    }

    fn prefix(&self, size: u64) -> Result<usize, AuditError> {
        if size > self.len() {
            return Err(AuditError::Proof(format!(
                "tree size {size} is beyond the log's {} entries",
                self.len()
            )));
        }
        usize::try_from(size).map_err(|_| AuditError::Proof("tree size too large".into()))
    }
}

/// Removes a partial last line from the entries file (what a crash in the middle of an
/// append leaves), so that [`AuditLog::open`] accepts the log again. A partial line is never
/// covered by a checkpoint (checkpoints are written after their entries are synced), so
/// nothing signed is lost. Returns the number of bytes removed. Run it deliberately, after
/// a crash, not automatically: [`verify`] reports the torn line first.
pub fn truncate_torn_tail(dir: &Path) -> Result<u64, AuditError> {
    let path = dir.join(LOG_FILE);
    let mut bytes = Vec::new();
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io_err(&path))?;
    f.read_to_end(&mut bytes).map_err(io_err(&path))?;
    let keep = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let removed = (bytes.len() - keep) as u64;
    if removed > 0 {
        f.set_len(keep as u64)
            .and_then(|()| f.sync_all())
            .map_err(io_err(&path))?;
    }
    Ok(removed)
}
