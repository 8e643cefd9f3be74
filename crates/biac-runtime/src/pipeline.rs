//! Stage wiring: storage thread, fusion thread, pictures.

use std::collections::{BTreeMap, VecDeque};
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use biac_analytics::missile_warning::MissileWarningWatch;
use biac_analytics::{Watch, ZoneWatch};
use biac_fusion::{Tracker, TrackerConfig};
use biac_model::{Observation, Subject};
use biac_store::{Database, JournalRecord, Storage, Store};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

use crate::history::{self, HistoryWriter};
use crate::ingest::{serve_feed, serve_udp_feed, udp_feed, Batch};
use crate::{Audience, FeedHandle, FeedStats, Picture, RuntimeConfig, RuntimeError, RuntimeHandle};
use biac_model::now_ms;

/// Batches in flight between ingest and storage. Bounded: when storage lags, ingest
/// tasks wait and TCP pushes back on the senders.
const INGEST_QUEUE: usize = 1024;
/// Batches in flight between storage and fusion. Bounded for the same reason.
const FUSION_QUEUE: usize = 64;
/// Largest journal commit.
const MAX_COMMIT: usize = 4096;
/// Alerts kept in memory per audience.
const ALERTS_KEPT: usize = 500;

pub async fn start(
    cfg: RuntimeConfig,
    open: Option<crate::OpenStore>,
) -> Result<RuntimeHandle, RuntimeError> {
    let (journal_alive, journal_gone) = std_mpsc::channel::<()>();
    type Boxed = Box<dyn Storage + Send>;
    let (journal, history): (Boxed, Boxed) = match open {
        None => {
            let journal = Store::open(&cfg.data_dir, cfg.sync)?;
            let history = Store::open(&cfg.data_dir, cfg.sync)?;
            // The log is checkpointed beside the commits, not inside them.
            journal.set_auto_checkpoint(false)?;
            history.set_auto_checkpoint(false)?;
            let checkpoints = Store::open(&cfg.data_dir, cfg.sync)?;
            // A restart checkpoint holds the writer lock while it waits for readers: it
            // gives up quickly (and tries again next time) rather than hold the journal's
            // commits.
            checkpoints.set_busy_timeout(Duration::from_millis(10))?;
            std::thread::Builder::new()
                .name("biac-checkpoint".into())
                .spawn(move || checkpoint_loop(checkpoints, journal_gone))
                .expect("spawn checkpoint thread");
            (Box::new(journal), Box::new(history))
        }
        // A database server checkpoints its own log.
        Some(open) => {
            tokio::task::spawn_blocking(move || Ok::<_, RuntimeError>((open()?, open()?)))
                .await
                .expect("opening the store does not panic")?
        }
    };

    let (ingest_tx, ingest_rx) = mpsc::channel::<Batch>(INGEST_QUEUE);
    let (fusion_tx, fusion_rx) = std_mpsc::sync_channel::<FusionInput>(FUSION_QUEUE);

    let (audiences, pictures, history_sync, states, history_writer) = audiences(&cfg, history);
    let quiet: Vec<(String, Subject)> = audiences.iter().map(|a| (a.key(), a.subject())).collect();
    // Storage thread: replay the journal, then commit live batches before forwarding.
    let replay_tx = fusion_tx.clone();
    std::thread::Builder::new()
        .name("biac-journal".into())
        .spawn(move || {
            let mut after = 0;
            let mut replayed = 0usize;
            loop {
                match journal.read_journal(after, MAX_COMMIT) {
                    Ok(entries) if entries.is_empty() => break,
                    Ok(entries) => {
                        after = entries.last().map(|e| e.seq).unwrap_or(after);
                        replayed += entries.len();
                        for input in replay_inputs(entries) {
                            if replay_tx.send(input).is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "journal replay stopped at a corrupt record");
                        break;
                    }
                }
            }
            if replayed > 0 {
                tracing::info!(replayed, "journal replayed");
            }
            drop(replay_tx);
            let _alive = journal_alive;
            storage_loop(journal, ingest_rx, fusion_tx, quiet);
        })
        .expect("spawn storage thread");

    // An empty batch once a second lets the storage thread notice quiet feeds.
    let tick_tx = ingest_tx.clone();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _stop = stop_tx;
        let mut every = tokio::time::interval(Duration::from_secs(1));
        loop {
            every.tick().await;
            if tick_tx.send(Batch::unacked(Vec::new())).await.is_err() {
                return;
            }
        }
    });

    spawn_fusion(&cfg, fusion_rx, states, history_writer);

    // Sources, on a runtime and thread of their own: subscribers (the server's tasks)
    // share the caller's workers and must never starve the feeds of CPU. The feeds'
    // runtime stops when the caller's does (the tick task holds `stop`).
    let mut feeds = Vec::new();
    let mut bound_feeds = Vec::new();
    for (fc, addr) in &cfg.feeds {
        let bind_err = |source| RuntimeError::Bind {
            feed: fc.name.clone(),
            addr: *addr,
            source,
        };
        let listener = std::net::TcpListener::bind(addr).map_err(bind_err)?;
        listener.set_nonblocking(true).map_err(bind_err)?;
        let bound = listener.local_addr().map_err(bind_err)?;
        // A datagram format also listens for UDP on the same address and port.
        let udp = if udp_feed(&fc.format) {
            let sock = std::net::UdpSocket::bind(bound).map_err(bind_err)?;
            sock.set_nonblocking(true).map_err(bind_err)?;
            Some(sock)
        } else {
            None
        };
        let stats = Arc::new(FeedStats::default());
        bound_feeds.push((listener, udp, fc.clone(), stats.clone()));
        feeds.push(FeedHandle {
            config: fc.clone(),
            addr: bound,
            stats,
        });
    }
    if !bound_feeds.is_empty() {
        let tx = ingest_tx.clone();
        let max_future_ms = cfg.max_future_ms;
        let feed_rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|source| RuntimeError::Bind {
                feed: "(feed runtime)".into(),
                addr: ([0, 0, 0, 0], 0).into(),
                source,
            })?;
        std::thread::Builder::new()
            .name("biac-feeds".into())
            .spawn(move || {
                feed_rt.block_on(async move {
                    for (listener, udp, fc, stats) in bound_feeds {
                        if let Some(sock) = udp {
                            match tokio::net::UdpSocket::from_std(sock) {
                                Ok(s) => {
                                    let (fc, stats) = (fc.clone(), stats.clone());
                                    tokio::spawn(serve_udp_feed(
                                        s,
                                        fc,
                                        stats,
                                        tx.clone(),
                                        max_future_ms,
                                    ));
                                }
                                Err(e) => {
                                    tracing::error!(feed = %fc.name, error = %e, "UDP feed socket lost")
                                }
                            }
                        }
                        match TcpListener::from_std(listener) {
                            Ok(l) => {
                                tokio::spawn(serve_feed(l, fc, stats, tx.clone(), max_future_ms));
                            }
                            Err(e) => {
                                tracing::error!(feed = %fc.name, error = %e, "feed listener lost")
                            }
                        }
                    }
                    // Until the caller's runtime (holding the sender) goes.
                    let _ = stop_rx.await;
                });
            })
            .expect("spawn feed thread");
    }

    Ok(RuntimeHandle {
        feeds,
        audiences,
        pictures,
        zones: cfg.zones.clone(),
        data_dir: cfg.data_dir.clone(),
        history: history_sync,
        ingest: crate::IngestPath {
            tx: ingest_tx,
            max_future_ms: cfg.max_future_ms,
        },
    })
}

type Pictures = BTreeMap<Audience, watch::Receiver<Arc<Picture>>>;

/// The configured audiences (sorted, once each), their picture channels, states and
/// history writer.
#[allow(clippy::type_complexity)]
fn audiences(
    cfg: &RuntimeConfig,
    history: Box<dyn Storage + Send>,
) -> (
    Vec<Audience>,
    Pictures,
    history::HistorySync,
    Vec<AudienceState>,
    HistoryWriter,
) {
    // Audiences and their picture channels.
    let mut audiences: Vec<Audience> = cfg.audiences.iter().map(Audience::of).collect();
    audiences.sort();
    audiences.dedup();
    let mut pictures = BTreeMap::new();
    let mut states = Vec::new();
    let keys: Vec<String> = audiences.iter().map(Audience::key).collect();
    let (history_writer, history_sync) = history::start(history, keys);
    for (index, a) in audiences.iter().enumerate() {
        let (tx, rx) = watch::channel(Arc::new(Picture::default()));
        pictures.insert(*a, rx);
        states.push(AudienceState {
            index,
            audience: *a,
            subject: a.subject(),
            tracker: Tracker::new(tracker_config(&cfg.tracker, cfg.reorder_window_ms)),
            watches: watches_for(cfg, a),
            alerts: VecDeque::new(),
            tx,
            generation: 0,
            last_snapshot_ms: i64::MIN,
            pending: Vec::new(),
            newest: i64::MIN,
            released_ms: i64::MIN,
            zones_at: i64::MIN,
            unpublished: false,
            published_at: Instant::now() - PUBLISH_EVERY,
            released_since: 0,
            fused_for: Duration::ZERO,
        });
    }

    (audiences, pictures, history_sync, states, history_writer)
}

fn spawn_fusion(
    cfg: &RuntimeConfig,
    rx: std_mpsc::Receiver<FusionInput>,
    states: Vec<AudienceState>,
    history: HistoryWriter,
) {
    let snapshot_every = cfg.snapshot_every_ms;
    let window = cfg.reorder_window_ms;
    std::thread::Builder::new()
        .name("biac-fusion".into())
        .spawn(move || fusion_loop(rx, states, history, window, snapshot_every))
        .expect("spawn fusion thread");
}

/// The way into a [`start_fed`] pipeline's fusion thread.
pub struct Feeder {
    tx: std_mpsc::SyncSender<FusionInput>,
}

/// The fusion thread is gone (the pipeline stopped).
#[derive(Debug, thiserror::Error)]
#[error("the fusion pipeline has stopped")]
pub struct FeederClosed;

impl Feeder {
    /// Observations, in the order of the log they come from. Blocks while the fusion
    /// thread's queue is full (call it from a thread that may block).
    pub fn observations(&self, batch: Vec<Observation>) -> Result<(), FeederClosed> {
        self.tx
            .send(FusionInput::Observations(batch))
            .map_err(|_| FeederClosed)
    }
    /// Release one audience's re-ordering buffer (by its key), at this point of the log.
    pub fn flush_audience(&self, key: String) -> Result<(), FeederClosed> {
        self.tx
            .send(FusionInput::FlushAudience(key))
            .map_err(|_| FeederClosed)
    }
}

/// The distributed mode's fusion: the audiences, trackers, rule sets and history of
/// [`start`], fed by the caller — the records of a log already durable elsewhere (the
/// bus's `OBS` stream), in its order, flush markers included — with no journal, feeds or
/// quiet-feed timers of its own: whoever replays the same log gets the same pictures.
/// The history goes to the store `open` connects to (`None`: SQLite in `cfg.data_dir`).
pub async fn start_fed(
    cfg: RuntimeConfig,
    open: Option<crate::OpenStore>,
) -> Result<(RuntimeHandle, Feeder), RuntimeError> {
    let history: Box<dyn Storage + Send> = match open {
        None => Box::new(Store::open(&cfg.data_dir, cfg.sync)?),
        Some(open) => tokio::task::spawn_blocking(move || open())
            .await
            .expect("opening the store does not panic")?,
    };
    let (tx, rx) = std_mpsc::sync_channel::<FusionInput>(FUSION_QUEUE);
    let (audiences, pictures, history, states, writer) = audiences(&cfg, history);
    spawn_fusion(&cfg, rx, states, writer);
    // No ingest here: the path's receiving end is gone, so HTTP ingest is refused.
    let (ingest_tx, _) = mpsc::channel::<Batch>(1);
    let handle = RuntimeHandle {
        feeds: Vec::new(),
        audiences,
        pictures,
        zones: cfg.zones.clone(),
        data_dir: cfg.data_dir.clone(),
        history,
        ingest: crate::IngestPath {
            tx: ingest_tx,
            max_future_ms: cfg.max_future_ms,
        },
    };
    Ok((handle, Feeder { tx }))
}

/// How often the write-ahead log is checkpointed. At 10,000 records a second the log
/// grows by about 5 MB a second; each checkpoint copies what the last one left.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
/// Past this many frames (4 KiB pages, 256 MiB) in the log, a complete passive
/// checkpoint is followed by a restart one, so that the log starts over (see
/// [`Store::checkpoint`]). A restart holds the writers for its last copy and the
/// database's sync — 10–180 ms measured at 10,000 records/s — so it is rare: every
/// half minute at that rate (every 4,096 frames, it was every 2.5 s and the load test's
/// p99 followed it).
const RESTART_FRAMES: i64 = 65_536;

/// Checkpoint the logs until the journal's thread goes (`gone` disconnects), then once
/// more.
fn checkpoint_loop(store: Store, gone: std_mpsc::Receiver<()>) {
    loop {
        let last = matches!(
            gone.recv_timeout(CHECKPOINT_EVERY),
            Err(std_mpsc::RecvTimeoutError::Disconnected)
        );
        for db in Database::ALL {
            let started = Instant::now();
            let mut result = store.checkpoint(db, false);
            // Only once everything is copied: an incomplete passive checkpoint means a
            // reader holds the log, and a restart would hold the writers while it waits.
            let restart = matches!(result, Ok((log, done)) if log > RESTART_FRAMES && done == log);
            if restart {
                result = store.checkpoint(db, true);
            }
            match result {
                Ok((log, done)) => tracing::debug!(
                    ?db,
                    log,
                    done,
                    restart,
                    checkpoint_us = started.elapsed().as_micros() as u64,
                    "wal checkpoint"
                ),
                Err(e) => tracing::warn!(?db, error = %e, "wal checkpoint failed"),
            }
        }
        if last {
            return;
        }
    }
}

/// What the fusion thread is fed, in journal order.
enum FusionInput {
    Observations(Vec<Observation>),
    /// Release everything held for re-ordering (old journals: all feeds went quiet).
    Flush,
    /// Release what one audience (by key) holds: its releasable inputs went quiet.
    FlushAudience(String),
}

/// Group replayed journal entries into fusion inputs, keeping their order.
fn replay_inputs(entries: Vec<biac_store::JournalEntry>) -> Vec<FusionInput> {
    let mut out = Vec::new();
    let mut batch = Vec::new();
    for e in entries {
        match e.record {
            JournalRecord::Observation(o) => batch.push(o),
            JournalRecord::Flush => {
                if !batch.is_empty() {
                    out.push(FusionInput::Observations(std::mem::take(&mut batch)));
                }
                out.push(FusionInput::Flush);
            }
            JournalRecord::FlushAudience(key) => {
                if !batch.is_empty() {
                    out.push(FusionInput::Observations(std::mem::take(&mut batch)));
                }
                out.push(FusionInput::FlushAudience(key));
            }
        }
    }
    if !batch.is_empty() {
        out.push(FusionInput::Observations(batch));
    }
    out
}

/// An audience whose releasable inputs are quiet for this long (wall clock) has its
/// re-ordering buffer released.
const QUIET_FLUSH: Duration = Duration::from_secs(2);

/// Per audience: when it last received a releasable input and whether it holds any not
/// yet flushed. Only inputs the audience may see reset its timer: a shared timer would
/// let a busy hidden feed delay the audience's flush (a timing channel).
struct QuietTimer {
    key: String,
    subject: Subject,
    last_data: Instant,
    unflushed: bool,
}

fn storage_loop(
    mut journal: Box<dyn Storage + Send>,
    mut rx: mpsc::Receiver<Batch>,
    fusion: std_mpsc::SyncSender<FusionInput>,
    audiences: Vec<(String, Subject)>,
) {
    let mut timers: Vec<QuietTimer> = audiences
        .into_iter()
        .map(|(key, subject)| QuietTimer {
            key,
            subject,
            last_data: Instant::now(),
            unflushed: false,
        })
        .collect();
    while let Some(first) = rx.blocking_recv() {
        let mut batch = first.obs;
        let mut acks: Vec<_> = first.ack.into_iter().collect();
        while batch.len() < MAX_COMMIT {
            match rx.try_recv() {
                Ok(more) => {
                    batch.extend(more.obs);
                    acks.extend(more.ack);
                }
                Err(_) => break,
            }
        }
        if batch.is_empty() {
            for ack in acks {
                let _ = ack.send(Ok(()));
            }
            // A tick. Each flush point is journalled so that replay releases exactly
            // where the live run did.
            for t in timers
                .iter_mut()
                .filter(|t| t.unflushed && t.last_data.elapsed() >= QUIET_FLUSH)
            {
                match journal.append_flush_audience(now_ms(), &t.key) {
                    Ok(_) => {
                        t.unflushed = false;
                        if fusion
                            .send(FusionInput::FlushAudience(t.key.clone()))
                            .is_err()
                        {
                            return;
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "journal append failed"),
                }
            }
            continue;
        }
        // Durable before anything downstream sees it; on a storage error the batch is
        // not fused (and will not be on replay either), so the picture never shows data
        // the journal lacks. Acknowledgements (HTTP ingest) fire only after the commit.
        let commit_started = Instant::now();
        match journal.append(now_ms(), &batch) {
            Ok(_) => {
                // Stage timing for the load test (bench/load.sh): off by default.
                tracing::debug!(
                    records = batch.len(),
                    commit_us = commit_started.elapsed().as_micros() as u64,
                    "journal commit"
                );
                for ack in acks {
                    let _ = ack.send(Ok(()));
                }
                let now = Instant::now();
                for t in &mut timers {
                    if batch
                        .iter()
                        .any(|o| biac_model::allow(&t.subject, &o.label))
                    {
                        t.last_data = now;
                        t.unflushed = true;
                    }
                }
                if fusion.send(FusionInput::Observations(batch)).is_err() {
                    return;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, dropped = batch.len(), "journal append failed");
                let e = Arc::new(e);
                for ack in acks {
                    let _ = ack.send(Err(e.clone()));
                }
            }
        }
    }
}

struct AudienceState {
    /// Position in the runtime's (sorted) audiences: the history writer's counters.
    index: usize,
    audience: Audience,
    subject: Subject,
    tracker: Tracker,
    /// The audience's rule sets (zones first), built from its configuration only.
    watches: Vec<Box<dyn Watch>>,
    alerts: VecDeque<biac_model::Alert>,
    tx: watch::Sender<Arc<Picture>>,
    /// Releases fused so far: the generation of the picture that includes them, so that
    /// it does not depend on how often pictures are published (replay gives the same).
    generation: u64,
    last_snapshot_ms: i64,
    /// The re-ordering buffer and its newest time, per audience and over that
    /// audience's releasable inputs only: a shared buffer would let an input the
    /// audience may not see move its watermark, and with it the batching, the
    /// picture's time and generation, and when history is written (a timing channel).
    pending: Vec<Observation>,
    newest: i64,
    /// Data time of the latest release (the picture's time).
    released_ms: i64,
    /// The data-time second the watches were last evaluated in.
    zones_at: i64,
    /// Released observations not yet in a published picture.
    unpublished: bool,
    /// When the picture was last published, and the observations released and the time
    /// spent fusing since (for the stage timing log).
    published_at: Instant,
    released_since: usize,
    fused_for: Duration,
}

/// The configured tracker for a release rule: with no re-ordering window, reports reach
/// the tracker one at a time, so unless configured otherwise its per-track maintenance
/// runs at most every 250 ms of data time instead of per report.
fn tracker_config(configured: &TrackerConfig, window_ms: i64) -> TrackerConfig {
    let every = match configured.maintenance_every_ms {
        0 if window_ms == 0 => 250,
        ms => ms,
    };
    TrackerConfig {
        maintenance_every_ms: every,
        ..configured.clone()
    }
}

/// Inputs taken from the queue before the pictures are published: under load one
/// publication covers many journal commits, so publishing never becomes the backlog.
const MAX_INPUTS_PER_PUBLISH: usize = 256;
/// An audience's picture is published at most this often (wall clock). Each
/// publication lists every track and every fan-out stage then walks it, so an
/// unbounded rate (one per journal commit, hundreds a second under load) spends the
/// CPU the subscribers need; 20 ms adds at most that to a report's latency.
const PUBLISH_EVERY: Duration = Duration::from_millis(20);

fn fusion_loop(
    rx: std_mpsc::Receiver<FusionInput>,
    mut states: Vec<AudienceState>,
    history: HistoryWriter,
    window_ms: i64,
    snapshot_every_ms: i64,
) {
    let mut inputs = Vec::new();
    loop {
        // Sleep until an input arrives or an audience's held-back picture is due.
        let due = states
            .iter()
            .filter(|st| st.unpublished)
            .map(|st| st.published_at + PUBLISH_EVERY)
            .min();
        let first = match due {
            None => match rx.recv() {
                Ok(i) => Some(i),
                Err(_) => break,
            },
            Some(due) => match rx.recv_timeout(due.saturating_duration_since(Instant::now())) {
                Ok(i) => Some(i),
                Err(std_mpsc::RecvTimeoutError::Timeout) => None,
                Err(std_mpsc::RecvTimeoutError::Disconnected) => break,
            },
        };
        if let Some(first) = first {
            inputs.push(first);
            while inputs.len() < MAX_INPUTS_PER_PUBLISH {
                match rx.try_recv() {
                    Ok(i) => inputs.push(i),
                    Err(_) => break,
                }
            }
        }
        for st in &mut states {
            let started = Instant::now();
            for input in &inputs {
                st.released_since += take(st, input, window_ms, &history, snapshot_every_ms);
            }
            st.fused_for += started.elapsed();
            if !st.unpublished || st.published_at.elapsed() < PUBLISH_EVERY {
                continue;
            }
            let publish_started = Instant::now();
            publish(st);
            st.published_at = publish_started;
            // Stage timing for the load test (bench/load.sh): off by default. The wall
            // clock is read here only for this log line; it never reaches the picture.
            tracing::debug!(
                audience = %st.audience.key(),
                released = st.released_since,
                fuse_us = st.fused_for.as_micros() as u64,
                publish_us = publish_started.elapsed().as_micros() as u64,
                wall_minus_watermark_ms = now_ms() - st.released_ms,
                "picture published"
            );
            st.released_since = 0;
            st.fused_for = Duration::ZERO;
        }
        inputs.clear();
    }
    // The journal's side went away (shutdown): publish what is held back.
    for st in states.iter_mut().filter(|st| st.unpublished) {
        publish(st);
    }
}

/// Feed one input to one audience's tracker; the number of observations released.
///
/// Releases depend only on the journal's order of this audience's inputs, never on how
/// it was batched nor on anything it may not see, so replay feeds each tracker exactly
/// the calls the live run made. The rule: an observation is held until the audience
/// has seen one `window_ms` newer (a quiet-feed flush releases everything). With a
/// window of 0 an observation that binds by identity to a track the audience's tracker
/// already has (MMSI, ICAO address, national track number: `Tracker::binds`, itself a
/// function of those same inputs) is released on arrival, alone; everything else —
/// plots, first sightings — is held until a newer time is seen, so that each sensor's
/// scan, and a second's first sightings, are associated together (one gating pass
/// instead of one per report).
fn take(
    st: &mut AudienceState,
    input: &FusionInput,
    window_ms: i64,
    history: &HistoryWriter,
    snapshot_every_ms: i64,
) -> usize {
    // Each release is fused before the next observation is looked at: whether a report
    // binds (`Tracker::binds`) must not depend on where the journal batches were cut.
    let mut n = 0;
    match input {
        FusionInput::Observations(batch) => {
            for o in batch {
                if !biac_model::allow(&st.subject, &o.label) {
                    continue;
                }
                if o.time_ms > st.newest {
                    st.newest = o.time_ms;
                    let watermark = st.newest.saturating_sub(window_ms);
                    if let Some(r) = release(&mut st.pending, watermark) {
                        n += fuse(st, r, watermark, false, history, snapshot_every_ms);
                    }
                }
                if window_ms == 0 && st.tracker.binds(o) {
                    let watermark = st.newest;
                    n += fuse(
                        st,
                        vec![o.clone()],
                        watermark,
                        false,
                        history,
                        snapshot_every_ms,
                    );
                } else {
                    st.pending.push(o.clone());
                }
            }
        }
        // Another audience's flush.
        FusionInput::FlushAudience(key) if *key != st.audience.key() => {}
        FusionInput::Flush | FusionInput::FlushAudience(_) => {
            if let Some(r) = release(&mut st.pending, st.newest) {
                let watermark = st.newest;
                n += fuse(st, r, watermark, true, history, snapshot_every_ms);
            }
        }
    }
    n
}

/// Fuse one release; the number of observations. `flush`: the audience's inputs went
/// quiet, so its zones are checked now rather than at the next second.
fn fuse(
    st: &mut AudienceState,
    released: Vec<Observation>,
    watermark: i64,
    flush: bool,
    history: &HistoryWriter,
    snapshot_every_ms: i64,
) -> usize {
    let n = released.len();
    // A missile-defence radar's plot (it measures elevation) may move a warning.
    let missile = released
        .iter()
        .any(|o| o.polar.as_ref().is_some_and(|p| p.elevation.is_some()));
    // The rules that replay reports behind the picture's time see them first.
    for w in &mut st.watches {
        w.observe(&released);
    }
    st.tracker.process_batch(released);
    st.tracker.advance_to(watermark);
    st.released_ms = st.released_ms.max(watermark);
    st.generation += 1;
    st.unpublished = true;
    after_release(st, history, snapshot_every_ms, flush, missile);
    n
}

/// Zones and history, at points fixed by the audience's inputs (each new data second,
/// each quiet-feed flush, each snapshot period) so that alerts and snapshots do not
/// depend on how often pictures are published. Zones are thus checked at most once a
/// data second (plus flushes), not per report: each check visits every track. A
/// release with a missile-defence plot (`missile`) also runs the watches that ask for it
/// (the missile warning), so a warning does not wait for the next data second.
fn after_release(
    st: &mut AudienceState,
    history: &HistoryWriter,
    snapshot_every_ms: i64,
    flush: bool,
    missile: bool,
) {
    let second = st.released_ms.div_euclid(1000);
    let zones_due = (flush || second > st.zones_at) && !st.watches.is_empty();
    let missile_due = missile && !zones_due && st.watches.iter().any(|w| w.on_missile_update());
    let snapshot_due = st.released_ms.saturating_sub(st.last_snapshot_ms) >= snapshot_every_ms;
    if !zones_due && !snapshot_due && !missile_due {
        return;
    }
    // Shares the tracks unchanged since the last publication.
    let tracks = st.tracker.tracks_reusing(&st.tx.borrow().tracks);
    let key = st.audience.key();
    if zones_due || missile_due {
        if zones_due {
            st.zones_at = second;
        }
        let fresh: Vec<biac_model::Alert> = st
            .watches
            .iter_mut()
            .filter(|w| zones_due || w.on_missile_update())
            .flat_map(|w| w.evaluate(&tracks))
            .collect();
        for alert in fresh {
            tracing::info!(audience = %key, kind = %alert.kind, zone = %alert.zone, "{}", alert.message);
            history.send(st.index, history::Job::Alert(Box::new(alert.clone())));
            st.alerts.push_back(alert);
            if st.alerts.len() > ALERTS_KEPT {
                st.alerts.pop_front();
            }
        }
    }
    if snapshot_due {
        st.last_snapshot_ms = st.released_ms;
        let time_ms = st.released_ms;
        history.send(st.index, history::Job::Snapshot { time_ms, tracks });
    }
}

/// The rule sets of one audience: its zones (only those it may see: a zone's name and
/// geometry are labelled too, and an alert would disclose them). Each rule set added
/// later (behaviours, missile warning) is built here from the configuration alone.
fn watches_for(cfg: &RuntimeConfig, a: &Audience) -> Vec<Box<dyn Watch>> {
    let mut watches: Vec<Box<dyn Watch>> = Vec::new();
    let zones: Vec<_> = cfg
        .zones
        .iter()
        .filter(|z| biac_model::allow(&a.subject(), &z.label))
        .cloned()
        .collect();
    if !zones.is_empty() {
        watches.push(Box::new(ZoneWatch::new(zones)));
    }
    if !cfg.warning.protect.is_empty() {
        let watch = cfg
            .recognition
            .zones_of(a.nation)
            .and_then(|zones| MissileWarningWatch::new(&cfg.warning, zones));
        match watch {
            Ok(w) => {
                // With missile-defence feeds, build the zone set (about a second) beside
                // the pipeline now, not in the fusion thread at the first prediction.
                let plots3d = |f: &biac_model::FeedConfig| {
                    matches!(f.format, biac_model::FeedFormat::Plots3d { .. })
                };
                if cfg.feeds.iter().any(|(f, _)| plots3d(f)) {
                    let zones = w.zones().clone();
                    std::thread::spawn(move || zones.get().segment_count());
                }
                watches.push(Box::new(w))
            }
            Err(e) => tracing::error!(error = %e, "missile warning not started"),
        }
    }
    watches.extend(
        cfg.behaviour
            .as_ref()
            .and_then(|b| b.watch_for(&a.subject(), &ais_feeds(cfg))),
    );
    watches
}

/// The names of the AIS feeds (the behaviour rules tell AIS contributions by them).
fn ais_feeds(cfg: &RuntimeConfig) -> std::collections::BTreeSet<String> {
    cfg.feeds
        .iter()
        .filter(|(f, _)| matches!(f.format, biac_model::FeedFormat::Ais))
        .map(|(f, _)| f.name.clone())
        .collect()
}

/// Take the held observations at or before `watermark`, in time order (stable: arrival
/// order among equal times).
fn release(pending: &mut Vec<Observation>, watermark: i64) -> Option<Vec<Observation>> {
    pending.sort_by_key(|o| o.time_ms);
    let split = pending.partition_point(|o| o.time_ms <= watermark);
    (split > 0).then(|| pending.drain(..split).collect())
}

fn publish(st: &mut AudienceState) {
    st.unpublished = false;
    let tracks = st.tracker.tracks_reusing(&st.tx.borrow().tracks);
    st.tx.send_replace(Arc::new(Picture {
        time_ms: st.released_ms,
        generation: st.generation,
        tracks,
        alerts: st.alerts.clone(),
    }));
}
