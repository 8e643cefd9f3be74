//! The runtime: wires sources -> stages -> sinks.
//!
//! ```text
//!  TCP listener per feed ──(decode, count, log)──► ingest channel (bounded, blocks: lossless)
//!  RuntimeHandle::ingest (HTTP) ──(same decode)──► same channel, with an ack fired after the commit
//!      ► storage thread: journal batch commit (durable before anything downstream sees it)
//!      ► fusion thread (bounded, blocks): re-order window, one Tracker per audience fed
//!        only with the inputs releasable to it, zone analytics
//!          ► history thread (bounded, blocks): snapshots and alerts into the store
//!  checkpoint thread: copies the journal's write-ahead log into the database beside
//!  the commits
//!      ► pictures: a watch channel per audience (latest value wins: a slow reader skips
//!        stale pictures and never slows the pipeline)
//! ```
//!
//! Invariants: an observation reaches fusion only after it is in the journal; every
//! audience's tracker sees only observations its subject is allowed to see, so nothing
//! it publishes depends on anything else; the fusion core itself stays pure — the
//! clocks, threads and sockets are all here.

mod audience;
pub mod behaviour;
pub mod bus_ingest;
pub mod cluster;
mod history;
mod ingest;
mod pipeline;
pub mod retention;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub use audience::{Audience, Picture};
use biac_analytics::Zone;
use biac_model::{FeedConfig, Subject};
use biac_store::SyncPolicy;
pub use pipeline::{start_fed, Feeder, FeederClosed};
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
    /// Records stamped further than this into the future (receive clock) are rejected
    /// and their source quarantined (see [`CLOCK_QUARANTINE_MS`]): one bad clock must
    /// not push any audience's clock ahead of the wall clock, which makes its confirmed
    /// tracks coast and freezes its picture. Decided at ingest, so replay is unaffected.
    pub max_future_ms: i64,
    /// Every audience's tracker: motion model, associator, gates, and the per-domain
    /// motion and life-cycle parameters.
    pub tracker: biac_fusion::TrackerConfig,
    /// The missile warning every audience runs (protected states, thresholds).
    pub warning: biac_analytics::missile_warning::WarningConfig,
    /// The gray-zone behaviour rules, built once for every audience (`None`: off).
    pub behaviour: Option<Arc<behaviour::Behaviour>>,
    /// How each nation's audiences recognise the disputed features (the missile
    /// warning's zones; the behaviour rules were built with the same).
    pub recognition: biac_analytics::recognition::Recognitions,
}

/// The re-ordering window of `biac serve` and the demo unless configured.
pub const DEFAULT_REORDER_WINDOW_MS: i64 = 2_000;

/// How far past the wall clock a record may be stamped, unless configured. The demo's
/// simulator stamps its reports up to one step (1 s) ahead of the wall clock.
pub const DEFAULT_MAX_CLOCK_AHEAD_MS: i64 = 2_000;

impl RuntimeConfig {
    /// A runtime in `data_dir` with no feeds, audiences or zones and every setting at
    /// its default: callers set what they need with `..RuntimeConfig::new(dir)`.
    pub fn new(data_dir: impl Into<PathBuf>) -> RuntimeConfig {
        RuntimeConfig {
            data_dir: data_dir.into(),
            sync: SyncPolicy::default(),
            feeds: Vec::new(),
            audiences: Vec::new(),
            zones: Vec::new(),
            reorder_window_ms: DEFAULT_REORDER_WINDOW_MS,
            snapshot_every_ms: 10_000,
            max_future_ms: DEFAULT_MAX_CLOCK_AHEAD_MS,
            tracker: biac_fusion::TrackerConfig::default(),
            warning: biac_analytics::missile_warning::WarningConfig::default(),
            behaviour: None,
            recognition: Default::default(),
        }
    }
}

/// Per-feed counters, shared with the server.
#[derive(Debug, Default)]
pub struct FeedStats {
    pub accepted: AtomicU64,
    pub rejected: AtomicU64,
    pub connections: AtomicU64,
    pub last_error: Mutex<Option<String>>,
    /// Records refused for the clock: stamped too far ahead, or from a quarantined
    /// source (also counted in `rejected`).
    pub clock_rejected: AtomicU64,
    /// Times a source of this feed entered clock quarantine.
    pub clock_quarantines: AtomicU64,
    /// Until when (wall clock, ms) the latest quarantined source of this feed stays so.
    pub quarantined_until_ms: AtomicI64,
    /// TCP connections and UDP datagrams refused: from an address outside the feed's
    /// `sources` (not counted in `rejected`, which counts records).
    pub refused_sources: AtomicU64,
    /// Records refused for a label above the feed's `max_classification` (also
    /// counted in `rejected`).
    pub above_ceiling: AtomicU64,
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
    pub fn clock_rejected(&self) -> u64 {
        self.clock_rejected.load(Ordering::Relaxed)
    }
    pub fn refused_sources(&self) -> u64 {
        self.refused_sources.load(Ordering::Relaxed)
    }
    pub fn above_ceiling(&self) -> u64 {
        self.above_ceiling.load(Ordering::Relaxed)
    }
    /// Whether a source of this feed is in clock quarantine now.
    pub fn clock_quarantined(&self) -> bool {
        self.quarantined_until_ms.load(Ordering::Relaxed) > biac_model::now_ms()
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
    /// The history writer's progress, per audience.
    history: history::HistorySync,
    /// The way into the storage thread for [`RuntimeHandle::ingest`].
    ingest: IngestPath,
}

/// The sending end of the ingest edge, kept by the handle for HTTP ingest.
#[derive(Clone)]
pub(crate) struct IngestPath {
    pub(crate) tx: tokio::sync::mpsc::Sender<ingest::Batch>,
    pub(crate) max_future_ms: i64,
}

/// What [`RuntimeHandle::ingest`] did with a body.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct IngestReport {
    pub feed: String,
    /// Records (lines, CoT events) that decoded and passed the plausibility checks.
    pub accepted: u64,
    /// Observations those records yielded, all committed to the journal (a record may
    /// yield none: an AIS fragment awaiting its partner, static data).
    pub observations: u64,
    /// Every rejected record, counted.
    pub rejected_count: u64,
    /// The first [`MAX_LISTED_REJECTIONS`] rejected records with their byte offset in
    /// the body and the reason.
    pub rejected: Vec<RejectedRecord>,
}

pub use ingest::{CLOCK_QUARANTINE_MS, MAX_LISTED_REJECTIONS};

/// One record HTTP ingest refused.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RejectedRecord {
    pub offset: u64,
    pub reason: String,
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("unknown feed {0}")]
    UnknownFeed(String),
    #[error("the pipeline is not running")]
    Unavailable,
    #[error("journal append failed: {0}")]
    Journal(Arc<biac_store::StoreError>),
    /// The feed's default label cannot be given to the source's nation.
    #[error(transparent)]
    Label(#[from] OwnerError),
}

/// A feed's default label that cannot be owned by the nation operating the source.
#[derive(Debug, Clone, thiserror::Error)]
#[error("feed {feed}: default label {label} cannot be owned by {nation}: {source}")]
pub struct OwnerError {
    pub feed: String,
    /// The default label's marking.
    pub label: String,
    pub nation: biac_model::Nation,
    pub source: biac_label::LabelError,
}

impl RuntimeHandle {
    /// The handle of a process that runs no pipeline of its own (the distributed mode's
    /// edge): these audiences' pictures, kept current by the caller; no feeds; HTTP
    /// ingest refused.
    pub fn remote(
        pictures: BTreeMap<Audience, watch::Receiver<Arc<Picture>>>,
        zones: Vec<Zone>,
        data_dir: PathBuf,
    ) -> RuntimeHandle {
        let (tx, _) = tokio::sync::mpsc::channel(1);
        RuntimeHandle {
            feeds: Vec::new(),
            audiences: pictures.keys().copied().collect(),
            pictures,
            zones,
            data_dir,
            history: history::HistorySync::none(),
            ingest: IngestPath {
                tx,
                max_future_ms: 0,
            },
        }
    }

    /// The audience a subject belongs to, if it has one.
    pub fn audience_of(&self, s: &Subject) -> Option<Audience> {
        self.audiences.iter().copied().find(|a| a.subject() == *s)
    }
    pub fn picture(&self, a: &Audience) -> Option<Arc<Picture>> {
        self.pictures.get(a).map(|rx| rx.borrow().clone())
    }
    /// Resolves once the history holds every snapshot and alert of `a` behind the
    /// pictures published so far (they are written on a thread of their own): call it
    /// before reading `a`'s history to see what its picture already shows.
    pub async fn history_settled(&self, a: &Audience) {
        if let Some(i) = self.audiences.iter().position(|x| x == a) {
            self.history.settled(i).await;
        }
    }
    /// A configured feed by name.
    pub fn feed(&self, name: &str) -> Option<&FeedHandle> {
        self.feeds.iter().find(|f| f.config.name == name)
    }

    /// Ingest a body in `feed`'s wire format (AIS NMEA lines, SBS lines, CoT events)
    /// as if it had arrived on the feed's listener: decode, check, count. Resolves once
    /// every accepted observation is committed to the journal under the configured
    /// fsync policy (the storage thread acknowledges after its commit), so a success
    /// means durable. Fusion sees the observations after that, as for TCP input.
    /// Authorization is the caller's business.
    pub async fn ingest(&self, feed: &str, bytes: &[u8]) -> Result<IngestReport, IngestError> {
        let f = self
            .feed(feed)
            .ok_or_else(|| IngestError::UnknownFeed(feed.to_string()))?;
        ingest::ingest_bytes(f, &self.ingest, bytes.to_vec()).await
    }

    /// [`ingest`](Self::ingest) for a source that proved its nation (a TLS client
    /// certificate): the records are `nation`'s. The feed's decoder, checks and
    /// counters apply, but `nation` owns what it sends — the owner of trusted wire
    /// markings and of the feed's default label (see [`feed_config_as`]).
    pub async fn ingest_as(
        &self,
        feed: &str,
        nation: biac_model::Nation,
        bytes: &[u8],
    ) -> Result<IngestReport, IngestError> {
        let f = self
            .feed(feed)
            .ok_or_else(|| IngestError::UnknownFeed(feed.to_string()))?;
        let mut f = f.clone();
        f.config = feed_config_as(&f.config, nation)?;
        ingest::ingest_bytes(&f, &self.ingest, bytes.to_vec()).await
    }
}

/// `cfg` as operated by `nation`: the owner of its default label becomes `nation`,
/// which is added to a REL TO list (a producer may always see its own records; a
/// label whose REL TO excludes its owner is invalid). Level, categories and
/// dissemination controls stay as configured; NOFORN stays NOFORN (now `nation`'s).
pub fn feed_config_as(
    cfg: &FeedConfig,
    nation: biac_model::Nation,
) -> Result<FeedConfig, OwnerError> {
    let old = cfg.default_label.to_spec();
    let mut spec = old.clone();
    spec.owner = biac_model::NationSet::single(nation);
    if !spec.rel_to.is_empty() {
        spec.rel_to.insert(nation);
    }
    // An originator exemption follows the owner it defaulted to.
    if spec.originators == Some(old.owner) {
        spec.originators = None;
    }
    let label = biac_model::Label::from_spec(spec).map_err(|source| OwnerError {
        feed: cfg.name.clone(),
        label: cfg.default_label.to_string(),
        nation,
        source,
    })?;
    Ok(FeedConfig {
        nation,
        default_label: label,
        ..cfg.clone()
    })
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
    pipeline::start(cfg, None).await
}

/// Opens a connection to a store other than the embedded SQLite one in `data_dir`
/// (PostgreSQL): the binary supplies it, so the runtime depends on no database client.
/// Called off the async executor (a blocking client may run its own executor).
pub type OpenStore = Arc<
    dyn Fn() -> Result<Box<dyn biac_store::Storage + Send>, biac_store::StoreError> + Send + Sync,
>;

/// [`start`] with the journal and history in the store `open` connects to (`None`: the
/// embedded SQLite store in `cfg.data_dir`, as [`start`]).
pub async fn start_with_store(
    cfg: RuntimeConfig,
    open: Option<OpenStore>,
) -> Result<RuntimeHandle, RuntimeError> {
    pipeline::start(cfg, open).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use biac_model::{Classification, FeedFormat, Label, Nation, NationSet, ObservationKind};

    fn feed(label: Label) -> FeedConfig {
        FeedConfig {
            name: "tak-clients".into(),
            format: FeedFormat::Cot,
            nation: Nation::JPN,
            default_label: label,
            trusted_markings: true,
            cot_kind: ObservationKind::Track,
            description: String::new(),
            limits: Default::default(),
        }
    }

    #[test]
    fn a_feed_as_another_nation_gives_it_the_records() {
        let f = feed(Label::rel_to(
            Classification::Secret,
            Nation::JPN,
            &[Nation::USA],
        ));
        let as_kor = feed_config_as(&f, Nation::KOR).unwrap();
        assert_eq!(as_kor.nation, Nation::KOR);
        let l = &as_kor.default_label;
        assert_eq!(l.owner(), NationSet::single(Nation::KOR));
        assert_eq!(l.classification(), Classification::Secret);
        // The producer is added; the nations it was shared with stay.
        for n in [Nation::KOR, Nation::USA, Nation::JPN] {
            assert!(l.rel_to_list().contains(n), "{n}");
        }
        // Owner-only (classified, no REL TO) stays owner-only, now the new owner's.
        let owner_only = Label::new(
            Classification::Secret,
            NationSet::single(Nation::JPN),
            NationSet::EMPTY,
            false,
        )
        .unwrap();
        let f = feed(owner_only);
        let l = feed_config_as(&f, Nation::USA).unwrap().default_label;
        assert_eq!(l.releasable_to(), NationSet::single(Nation::USA));
    }
}
