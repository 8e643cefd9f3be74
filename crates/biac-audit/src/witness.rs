//! A witness: a second store of checkpoints that only ever accepts a consistent
//! extension of what it already holds.
//!
//! Whoever runs the server can read its signing key, so signatures alone cannot stop an
//! administrator who edits the log and signs fresh checkpoints over it. A witness kept
//! out of that administrator's reach (another account, another host, a mount that only
//! the witness's owner can write) remembers the latest checkpoint it accepted. A new
//! checkpoint is accepted only with an RFC 9162 consistency proof from that one: the old
//! tree must be a prefix of the new. A re-signed rewrite of any witnessed entry, a log
//! cut back below a witnessed size, or another signing key are all refused — by the
//! server when it publishes (it then stops auditing, and the guard withholds) or opens
//! the log (it refuses to start), and by `biac audit verify --witness`.
//!
//! On disk, `<witness>/key.pub` (the log's verifier key, pinned at first use) and
//! `<witness>/checkpoints` (every accepted checkpoint as a signed note, in order: the same
//! form as the log's own checkpoints file).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;

use crate::checkpoint::{self, Checkpoint};
use crate::log::{read_checkpoints, CHECKPOINTS_FILE, PUBLIC_KEY_FILE};
use crate::merkle::{self, Hash};
use crate::AuditError;

/// A witness directory, opened for one log's key.
#[derive(Debug)]
pub struct Witness {
    dir: PathBuf,
    key: VerifyingKey,
    latest: Option<Checkpoint>,
}

impl Witness {
    /// Opens (creating) the witness in `dir` for the log signed by `key`. A witness
    /// already pinned to another key refuses, as does one whose stored checkpoints do not
    /// verify.
    pub fn open(dir: &Path, key: &VerifyingKey) -> Result<Witness, AuditError> {
        let io = |source| AuditError::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let pub_path = dir.join(PUBLIC_KEY_FILE);
        let text = format!("{}\n", checkpoint::encode_public_key(key));
        match std::fs::read_to_string(&pub_path) {
            Ok(t) if t == text => {}
            Ok(_) => {
                return Err(AuditError::Witness(format!(
                    "{} pins another log's key: this witness does not accept checkpoints \
                     signed by {}",
                    pub_path.display(),
                    text.trim_end()
                )))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::write(&pub_path, &text).map_err(|source| AuditError::Io {
                    path: pub_path.clone(),
                    source,
                })?;
            }
            Err(source) => {
                return Err(AuditError::Io {
                    path: pub_path,
                    source,
                })
            }
        }
        let latest = read_checkpoints(dir, key)?.pop();
        Ok(Witness {
            dir: dir.to_path_buf(),
            key: *key,
            latest,
        })
    }

    /// Reads the verifier key a witness directory pinned.
    pub fn pinned_key(dir: &Path) -> Result<VerifyingKey, AuditError> {
        crate::read_public_key(&dir.join(PUBLIC_KEY_FILE))
    }

    /// The latest checkpoint accepted.
    pub fn latest(&self) -> Option<&Checkpoint> {
        self.latest.as_ref()
    }

    /// The witness directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Accepts `c` if it is signed by the pinned key and extends the latest accepted
    /// checkpoint (`proof`: the consistency proof from the latest's size to `c.size`).
    /// Appends it (synced) and returns `true`; an equal checkpoint changes nothing
    /// (`false`). Anything else is refused with the reason.
    pub fn submit(&mut self, c: &Checkpoint, proof: &[Hash]) -> Result<bool, AuditError> {
        c.verify(&self.key).map_err(|e| {
            AuditError::Witness(format!("checkpoint not signed by the log's key: {e}"))
        })?;
        if let Some(old) = &self.latest {
            if c.size < old.size {
                return Err(AuditError::Witness(format!(
                    "checkpoint of {} entries is older than the witnessed {} (entries or \
                     checkpoints removed)",
                    c.size, old.size
                )));
            }
            merkle::verify_consistency(old.size, c.size, &old.root, &c.root, proof).map_err(
                |e| {
                    AuditError::Witness(format!(
                        "checkpoint of {} entries is not an extension of the witnessed {} \
                         (root {}): {e} — entries the witness saw were changed",
                        c.size,
                        old.size,
                        merkle::to_hex(&old.root)
                    ))
                },
            )?;
            if c.size == old.size {
                return Ok(false);
            }
        }
        let path = self.dir.join(CHECKPOINTS_FILE);
        let note = format!("{}\n", c.to_note(&self.key));
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(note.as_bytes()).and_then(|()| f.sync_data()))
            .map_err(|source| AuditError::Io { path, source })?;
        self.latest = Some(c.clone());
        Ok(true)
    }
}
