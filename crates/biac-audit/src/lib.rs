//! `biac-audit`: the tamper-evident audit log of release decisions.
//!
//! Every decision of the egress guard, allow and deny, is an [`Entry`] (who, what, which
//! marking, which egress point, when, and the decision), stored as one canonical JSON line.
//! The lines are the leaves of a Merkle tree in the style of Certificate Transparency:
//! RFC 9162 hashing (leaf = SHA-256(0x00 ‖ line), node = SHA-256(0x01 ‖ left ‖ right), the
//! RFC's MTH for any size), inclusion and consistency proofs generated and verified with
//! the RFC's algorithms ([`merkle`]). From time to time the writer signs a *checkpoint* —
//! tree size, root, timestamp — with ed25519 in the C2SP checkpoint / signed-note text form
//! ([`checkpoint`]).
//!
//! On disk, in `<data-dir>/audit/`: `log.jsonl` (entries) and `checkpoints` (signed notes, a
//! blank line between them). The server opens it with [`AuditLog::open_in_custody`]: the
//! signing key (created 0600) and its verifier key live outside the data directory, and
//! every checkpoint is published to a [`Witness`] that accepts only consistent extensions.
//! [`AuditLog::open`] keeps `key.ed25519` and `key.pub` beside the log (tests, tools).
//!
//! Invariants:
//! - **append-only**: the writer ([`AuditLog`]) only appends whole lines; it never rewrites.
//!   Opening a log verifies it in full first and refuses to extend a log that fails.
//! - **each checkpoint signs the RFC 9162 root of a prefix** of the entries, and is written
//!   only after those entries are fsynced; successive checkpoints never shrink, so each is
//!   consistent with every earlier one.
//! - **[`verify`] re-derives everything from the bytes**: it re-reads every line, recomputes
//!   the tree, and checks every checkpoint's signature and root. An edited, deleted,
//!   reordered, inserted or truncated entry under a checkpoint is an error that names the
//!   entry, line or checkpoint; entries after the last checkpoint are reported as unsealed.
//! - parsing never panics: any bytes give an entry, a checkpoint or an error.
//!
//! What it cannot show alone: that no checkpoint was dropped from the end together with the
//! entries it covered, or a log rewritten by someone holding the signing key. The
//! [`Witness`] shows both ([`verify_with_witness`]), as far as it is out of that someone's
//! reach.
//!
//! The server records through an [`AuditSink`] (see there for the intended wiring).

pub mod checkpoint;
mod entry;
mod log;
pub mod merkle;
mod sink;
pub mod witness;

use std::path::PathBuf;

pub use checkpoint::{Checkpoint, CheckpointError, KeyError};
pub use ed25519_dalek::VerifyingKey;
pub use entry::{Decision, Entry, EntryError, Object, Subject};
pub use log::{
    audit_dir, prove_inclusion, public_key_path, read_public_key, truncate_torn_tail, verify,
    verify_with_witness, AuditLog, InclusionProof, ProofFailure, VerifyReport, CHECKPOINTS_FILE,
    KEY_FILE, LOG_FILE, PUBLIC_KEY_FILE,
};
pub use merkle::{
    consistency_proof, inclusion_proof, leaf_hash, node_hash, root, verify_consistency,
    verify_inclusion, Frontier, Hash, ProofError, EMPTY_ROOT,
};
pub use sink::{AuditSink, AuditWorker, SinkConfig};
pub use witness::Witness;

/// Everything that can go wrong reading, writing or verifying a log. Entry indices are
/// 0-based; the entry with index `i` is on line `i + 1` of `log.jsonl`.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {reason}", path.display())]
    Key { path: PathBuf, reason: KeyError },
    #[error("log.jsonl line {}: entry {index}: {reason}", index + 1)]
    Entry { index: u64, reason: EntryError },
    #[error("checkpoints line {line}: checkpoint {index}: {reason}")]
    Checkpoint {
        index: usize,
        line: usize,
        reason: CheckpointError,
    },
    #[error(
        "checkpoint {checkpoint} (tree size {size}): root mismatch: the entries on log.jsonl \
         lines {first_line}..={last_line} are not the ones it signed (edited, deleted, \
         reordered or inserted)"
    )]
    RootMismatch {
        checkpoint: usize,
        size: u64,
        first_line: u64,
        last_line: u64,
    },
    #[error(
        "log truncated: checkpoint {checkpoint} signed {size} entries but log.jsonl holds \
         only {entries}"
    )]
    Truncated {
        checkpoint: usize,
        size: u64,
        entries: u64,
    },
    #[error(
        "entry {index} is not covered by a checkpoint ({sealed} of {entries} entries are sealed)"
    )]
    NotSealed {
        index: u64,
        sealed: u64,
        entries: u64,
    },
    #[error(
        "checkpoints missing: {entries} entries, {detail} (checkpoints deleted or rolled back)"
    )]
    MissingCheckpoints { entries: u64, detail: String },
    #[error("witness refused: {0}")]
    Witness(String),
    #[error("proof: {0}")]
    Proof(String),
    /// The writer stopped on this error (shared by every caller it answers).
    #[error("audit writer: {0}")]
    Writer(std::sync::Arc<AuditError>),
    /// A seal asked of a writer that has recorded nothing.
    #[error("audit writer: the log is empty")]
    EmptyLog,
    #[error("the audit writer has stopped")]
    SinkClosed,
}
