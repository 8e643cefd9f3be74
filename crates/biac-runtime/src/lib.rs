//! The runtime: wires sources -> stages -> sinks.
//!
//! ```text
//!  TCP listener per feed ──(decode, count, log)──► ingest channel (bounded, blocks: lossless)
//!      ► storage thread: journal batch commit (durable before anything downstream sees it)
//!      ► fusion thread (bounded, blocks): re-order window, one Tracker per audience fed
//!        only with the inputs releasable to it, zone analytics, snapshots
//!      ► pictures: a watch channel per audience (latest value wins: a slow reader skips
//!        stale pictures and never slows the pipeline)
//! ```
//!
//! Invariants: an observation reaches fusion only after it is in the journal; every
//! audience's tracker sees only observations its subject is allowed to see, so nothing
//! it publishes depends on anything else; the fusion core itself stays pure — the
//! clocks, threads and sockets are all here.

mod audience;
mod ingest;
mod pipeline;
pub mod sim_driver;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub use audience::{Audience, Picture};
use biac_analytics::Zone;
use biac_model::{FeedConfig, Subject};
use biac_store::SyncPolicy;
use tokio::sync::watch;

/// Where and how the runtime runs.
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    pub data_dir: PathBuf,
    pub sync: SyncPolicy,
    /// Each feed and the address its TCP listener binds (port 0: any free port).
    pub feeds: Vec<(FeedConfig, SocketAddr)>,
    /// One fused picture is kept per audience.
    pub audiences: Vec<Subject>,
    pub zones: Vec<Zone>,
    /// Observations are held this long (data time) to be re-ordered before fusion.
    pub reorder_window_ms: i64,
    /// How often (data time) each audience's picture is written to the history.
    pub snapshot_every_ms: i64,
    /// Records stamped further than this into the future (receive clock) are rejected:
    /// one bad clock must not push the fusion watermark ahead and starve everyone else.
    pub max_future_ms: i64,
}

/// Per-feed counters, shared with the server.
#[derive(Debug, Default)]
pub struct FeedStats {
    pub accepted: AtomicU64,
    pub rejected: AtomicU64,
    pub connections: AtomicU64,
    pub last_error: Mutex<Option<String>>,
}

impl FeedStats {
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().map(|e| e.clone()).unwrap_or(None)
    }
}

/// A running feed endpoint.
#[derive(Clone, Debug)]
pub struct FeedHandle {
    pub config: FeedConfig,
    pub addr: SocketAddr,
    pub stats: Arc<FeedStats>,
}

/// What the rest of the process (the server, the demo) holds of a running pipeline.
#[derive(Clone)]
pub struct RuntimeHandle {
    pub feeds: Vec<FeedHandle>,
    pub audiences: Vec<Audience>,
    pub pictures: BTreeMap<Audience, watch::Receiver<Arc<Picture>>>,
    pub zones: Vec<Zone>,
    pub data_dir: PathBuf,
}

impl RuntimeHandle {
    /// The audience a subject belongs to, if it has one.
    pub fn audience_of(&self, s: &Subject) -> Option<Audience> {
        self.audiences.iter().copied().find(|a| a.subject() == *s)
    }
    pub fn picture(&self, a: &Audience) -> Option<Arc<Picture>> {
        self.pictures.get(a).map(|rx| rx.borrow().clone())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("store: {0}")]
    Store(#[from] biac_store::StoreError),
    #[error("binding feed {feed} on {addr}: {source}")]
    Bind {
        feed: String,
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Start the pipeline on the current tokio runtime. Replays the journal first, so a
/// restart rebuilds the same picture.
pub async fn start(cfg: RuntimeConfig) -> Result<RuntimeHandle, RuntimeError> {
    pipeline::start(cfg).await
}
