//! The distributed mode's fusion and edge nodes, on the bus (`biac-bus`).
//!
//! Fusion: one lease per audience (`biac_bus::lease`). For each audience it holds, a node
//! runs the embedded pipeline for that audience alone ([`crate::start_fed`]), fed with
//! the `OBS` stream from its start in stream order — the embedded journal's deterministic
//! replay, so a node taking an audience over rebuilds the picture the lost node had. Flush
//! points (an audience's inputs went quiet) are published into `OBS` by the owner and
//! applied only when read back, so every replay releases where the live run did. One node
//! also holds the `archive` lease and copies `OBS` into the store's journal, keyed by
//! stream sequence (a resumed copy stores nothing twice).
//!
//! Edge: the audiences' latest pictures and alerts from the bus, into the same watch
//! channels the embedded server reads, so the API, WebSocket and CoT are served unchanged
//! (and every item still passes the egress guard).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use biac_bus::lease::{Lease, Leases};
use biac_bus::picture::{self, Assembler, Head, KEYFRAME_EVERY, MAX_DELTA_TRACKS};
use biac_bus::snapshot::{Snapshot, Snapshots};
use biac_bus::{AudienceKey, Bus, ObsMessage, ObsRecord};
use futures_util::StreamExt;
use tokio::sync::{broadcast, watch};

use crate::{Audience, OpenStore, Picture, RuntimeConfig};

/// A lease lasts this long after its last renewal: the longest an audience goes without a
/// fusion node when its node dies (plus the successor's replay).
pub const LEASE_TTL: Duration = Duration::from_secs(6);
const RENEW_EVERY: Duration = Duration::from_secs(2);
/// A node takes an audience it does not prefer only once it has been free this long, so
/// that at start each audience goes to the node that prefers it.
const ADOPT_AFTER: Duration = Duration::from_secs(8);
/// An audience's inputs quiet this long (wall clock) get a flush marker.
const QUIET_FLUSH: Duration = Duration::from_secs(2);
/// Pictures go on the bus at most this often per audience (latest wins).
const PUBLISH_EVERY: Duration = Duration::from_millis(50);
/// Records fed to fusion at once, at most; once caught up, what was read is fed at least
/// this often (a steady stream never leaves nothing pending).
const FEED_BATCH: usize = 1024;
const FEED_EVERY: Duration = Duration::from_millis(20);
/// The lease (and position object) of the archiver.
const ARCHIVE: &str = "archive";

/// Why a fusion or edge node could not start (or went on no longer).
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(transparent)]
    Bus(#[from] biac_bus::BusError),
    #[error(transparent)]
    Subject(#[from] biac_bus::SubjectError),
    #[error("starting audience {audience}: {source}")]
    Audience {
        audience: String,
        source: crate::RuntimeError,
    },
    #[error("data directory {dir}: {source}")]
    DataDir {
        dir: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("archive store: {0}")]
    Store(#[from] biac_store::StoreError),
    #[error("archive store: opening it stopped: {0}")]
    Join(#[from] tokio::task::JoinError),
}

pub fn key(a: &Audience) -> Result<AudienceKey, biac_bus::SubjectError> {
    AudienceKey::new(a.key())
}

/// One audience fused on this node.
struct Owned {
    lease: Lease,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Owned {
    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.tasks {
            t.abort();
        }
    }
}

/// `biac serve --role fusion`: hold leases, fuse, publish. Returns on Ctrl-C (leases
/// released) or a bus error that does not heal.
pub async fn run_fusion(
    bus: Bus,
    node: String,
    prefer: &[String],
    cfg: RuntimeConfig,
    open: Option<OpenStore>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ClusterError> {
    let leases = Leases::open(&bus).await?;
    let mut audiences: Vec<Audience> = cfg.audiences.iter().map(Audience::of).collect();
    audiences.sort();
    audiences.dedup();
    let prefer: BTreeSet<String> = if prefer.is_empty() {
        audiences.iter().map(Audience::key).collect()
    } else {
        prefer.iter().cloned().collect()
    };
    println!(
        "biac: fusion node {node} (audiences {})",
        audiences
            .iter()
            .map(Audience::key)
            .collect::<Vec<_>>()
            .join(",")
    );
    let started = Instant::now();
    let (tap, _) = broadcast::channel(TAP_CAPACITY);
    let tap_task = tokio::spawn(run_tap(bus.clone(), tap.clone()));
    let mut owned: BTreeMap<Audience, Owned> = BTreeMap::new();
    let mut archive: Option<Owned> = None;
    let archive_key = AudienceKey::new(ARCHIVE).expect("a token");
    let mut every = tokio::time::interval(RENEW_EVERY);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = &mut shutdown => break,
        }
        // Renew what is held; stop what was lost.
        let held: Vec<Audience> = owned.keys().copied().collect();
        for aud in held {
            let o = owned.get_mut(&aud).expect("held");
            match leases.renew(&mut o.lease).await {
                Ok(true) => {}
                Ok(false) => {
                    println!("biac: fusion node {node} lost {}", aud.key());
                    owned.remove(&aud).expect("held").stop();
                }
                Err(e) => {
                    tracing::warn!(audience = %aud.key(), error = %e, "lease renewal failed; retrying")
                }
            }
        }
        if let Some(o) = archive.as_mut() {
            if let Ok(false) = leases.renew(&mut o.lease).await {
                println!("biac: fusion node {node} lost the archive");
                archive.take().expect("held").stop();
            }
        }
        // Take what is free.
        for aud in &audiences {
            if owned.contains_key(aud) {
                continue;
            }
            let preferred = prefer.contains(&aud.key());
            if !preferred && started.elapsed() < ADOPT_AFTER {
                continue;
            }
            let k = key(aud)?;
            match leases.acquire(&k, &node).await {
                Ok(Some(lease)) => {
                    println!("biac: fusion node {node} owns {}", aud.key());
                    let o = start_audience(&bus, &cfg, open.clone(), *aud, lease, &tap).await?;
                    owned.insert(*aud, o);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(audience = %aud.key(), error = %e, "lease acquisition failed")
                }
            }
        }
        if archive.is_none() {
            if let Some(open) = &open {
                if let Ok(Some(lease)) = leases.acquire(&archive_key, &node).await {
                    println!("biac: fusion node {node} archives OBS");
                    archive = Some(start_archive(&bus, open.clone(), lease).await?);
                }
            }
        }
    }
    for (_, o) in std::mem::take(&mut owned) {
        let lease = o.lease.clone();
        o.stop();
        let _ = leases.release(lease).await;
    }
    if let Some(o) = archive {
        let lease = o.lease.clone();
        o.stop();
        let _ = leases.release(lease).await;
    }
    tap_task.abort();
    Ok(())
}

/// Fuse one audience from the start of `OBS` and publish its pictures and alerts.
async fn start_audience(
    bus: &Bus,
    cfg: &RuntimeConfig,
    open: Option<OpenStore>,
    aud: Audience,
    lease: Lease,
    tap: &broadcast::Sender<Item>,
) -> Result<Owned, ClusterError> {
    let k = key(&aud)?;
    let mut one = cfg.clone();
    one.audiences = vec![aud.subject()];
    // Each audience its own directory: the history's SQLite file when no store is set.
    one.data_dir = cfg.data_dir.join(aud.key());
    std::fs::create_dir_all(&one.data_dir).map_err(|source| ClusterError::DataDir {
        dir: one.data_dir.clone(),
        source,
    })?;
    let (handle, feeder) =
        crate::start_fed(one, open)
            .await
            .map_err(|source| ClusterError::Audience {
                audience: aud.key(),
                source,
            })?;
    let stop = Arc::new(AtomicBool::new(false));
    let fed_seq = Arc::new(AtomicU64::new(0));
    // Nothing is published until the replay has caught up with the stream: the edges keep
    // showing the lost node's last picture rather than go back in time.
    let (caught_up_tx, caught_up) = watch::channel(false);
    let follow = tokio::spawn(follow(
        bus.clone(),
        aud,
        feeder,
        (fed_seq.clone(), caught_up_tx),
        stop.clone(),
        tap.clone(),
    ));
    let rx = handle.pictures.get(&aud).expect("its own audience").clone();
    let epoch = lease.revision;
    let publish = tokio::spawn(publish(
        bus.clone(),
        k,
        epoch,
        rx,
        (fed_seq, caught_up),
        handle,
    ));
    Ok(Owned {
        lease,
        stop,
        tasks: vec![follow, publish],
    })
}

/// One `OBS` record as read on this node: decoded once, shared by its audiences.
type Item = Arc<ObsMessage>;

/// Records the node's tap holds for an audience that reads slower than it, at most; one
/// that falls further behind reads the stream itself again from where it was.
const TAP_CAPACITY: usize = 65_536;

/// The node's one live reader of `OBS` (from its end as of the start): each record decoded
/// once for every audience the node fuses, rather than a consumer and a decode per audience.
/// An audience replays from the stream's start on its own consumer and joins the tap once
/// caught up ([`Source`]).
async fn run_tap(bus: Bus, tx: broadcast::Sender<Item>) {
    let mut from = loop {
        match bus.obs_last_seq().await {
            Ok(s) => break s + 1,
            Err(e) => {
                tracing::warn!(error = %e, "tap: reading OBS; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    loop {
        let mut msgs = match bus.follow_obs(from).await {
            Ok(m) => Box::pin(m),
            Err(e) => {
                tracing::warn!(error = %e, "tap: reading OBS; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        while let Some(m) = msgs.next().await {
            match m {
                Ok(m) => {
                    from = m.seq + 1;
                    // No receiver: nothing to do (an audience subscribes when it joins).
                    let _ = tx.send(Arc::new(m));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "tap: resuming at {from}");
                    break;
                }
            }
        }
    }
}

type OwnStream = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = Result<ObsMessage, biac_bus::BusError>> + Send>,
>;

/// Where an audience's follower reads `OBS`: its own consumer (the replay, or after falling
/// behind the tap), then, once caught up, the node's tap — switching without a gap or a
/// repeat: the tap's first record is held until the own consumer has read up to just before
/// it.
enum Source {
    Own(OwnStream),
    Switching {
        own: OwnStream,
        rx: broadcast::Receiver<Item>,
        held: VecDeque<Item>,
    },
    Tap {
        rx: broadcast::Receiver<Item>,
        held: VecDeque<Item>,
    },
    /// Only while changing from one to another.
    Moved,
}

/// What reading a [`Source`] gave.
enum Read {
    Item(Item),
    /// Nothing to feed yet (a tap record held, or the switch made).
    Nothing,
    /// The tap lost records for this reader (or stopped): read on its own from where it is.
    FellBehind,
    /// The own consumer failed or ended: start it again.
    Lost(String),
}

impl Source {
    async fn read(&mut self, from: u64) -> Read {
        fn own_read(m: Option<Result<ObsMessage, biac_bus::BusError>>) -> Read {
            match m {
                Some(Ok(m)) => Read::Item(Arc::new(m)),
                Some(Err(e)) => Read::Lost(e.to_string()),
                None => Read::Lost("the consumer ended".into()),
            }
        }
        // The own consumer has read up to the tap's first record: the tap from there.
        if matches!(self, Source::Switching { held, .. } if held.front().is_some_and(|f| f.seq <= from))
        {
            if let Source::Switching { rx, held, .. } = std::mem::replace(self, Source::Moved) {
                *self = Source::Tap { rx, held };
            }
            return Read::Nothing;
        }
        match self {
            Source::Moved => Read::Lost("no reader".into()),
            Source::Own(own) => own_read(own.next().await),
            Source::Switching { own, rx, held } => {
                if held.len() >= TAP_CAPACITY {
                    return Read::FellBehind;
                }
                tokio::select! {
                    m = own.next() => own_read(m),
                    r = rx.recv() => match r {
                        Ok(i) => {
                            held.push_back(i);
                            Read::Nothing
                        }
                        Err(_) => Read::FellBehind,
                    },
                }
            }
            Source::Tap { rx, held } => {
                if let Some(i) = held.pop_front() {
                    return Read::Item(i);
                }
                match rx.recv().await {
                    Ok(i) => Read::Item(i),
                    Err(_) => Read::FellBehind,
                }
            }
        }
    }
}

/// Read `OBS` from its start and feed the audience's pipeline; publish a flush marker when
/// its inputs go quiet.
async fn follow(
    bus: Bus,
    aud: Audience,
    feeder: crate::Feeder,
    (fed_seq, caught_up_tx): (Arc<AtomicU64>, watch::Sender<bool>),
    stop: Arc<AtomicBool>,
    tap: broadcast::Sender<Item>,
) {
    let k = AudienceKey::new(aud.key()).expect("checked by the caller");
    let subject = aud.subject();
    let mut from = 1;
    let started = Instant::now();
    let mut caught_up = false;
    // Caught up once the stream's end as of now is read (under a steady load nothing is
    // ever pending for long, but something nearly always is).
    let end = loop {
        match bus.obs_last_seq().await {
            Ok(s) => break s,
            Err(e) => {
                tracing::warn!(error = %e, "reading OBS; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    };
    let mut batch = Vec::new();
    let mut batch_since = Instant::now();
    let mut last_data = Instant::now();
    let mut unflushed = false;
    let mut pending = u64::MAX;
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let mut source: Option<Source> = None;
    let mut on_tap = false;
    loop {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let src = match &mut source {
            Some(s) => s,
            None => match bus.follow_obs(from).await {
                Ok(m) => source.insert(Source::Own(Box::pin(m))),
                Err(e) => {
                    tracing::warn!(error = %e, "reading OBS; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        let read = tokio::select! {
            r = src.read(from) => r,
            _ = tick.tick() => {
                if pending == 0 && unflushed && last_data.elapsed() >= QUIET_FLUSH {
                    tracing::debug!(audience = %k, after = from - 1, "inputs quiet: flush marker");
                    if let Err(e) = bus.publish_flush(&k, from - 1).await {
                        tracing::warn!(error = %e, "flush marker not published");
                    }
                    // Re-sent (same id: stored once) until it comes back.
                    last_data = Instant::now();
                }
                continue;
            }
        };
        let m = match read {
            Read::Item(m) => m,
            Read::Nothing => {
                if matches!(source, Some(Source::Tap { .. })) && !on_tap {
                    on_tap = true;
                    tracing::debug!(audience = %k, from, "reading OBS through the node's tap");
                }
                continue;
            }
            Read::FellBehind => {
                on_tap = false;
                tracing::info!(audience = %k, "behind the node's reader: reading OBS from {from}");
                source = match source.take() {
                    Some(Source::Switching { own, .. }) => Some(Source::Own(own)),
                    _ => None,
                };
                continue;
            }
            Read::Lost(e) => {
                on_tap = false;
                tracing::warn!(error = %e, "reading OBS; resuming at {from}");
                source = None;
                continue;
            }
        };
        if m.seq < from {
            continue; // read already (the tap's overlap with the own consumer)
        }
        from = m.seq + 1;
        pending = m.pending;
        match &m.record {
            Ok(ObsRecord::Observation(o)) => {
                if biac_model::allow(&subject, &o.label) {
                    last_data = Instant::now();
                    unflushed = true;
                }
                if batch.is_empty() {
                    batch_since = Instant::now();
                }
                batch.push(o.clone());
            }
            Ok(ObsRecord::FlushAudience(f)) => {
                tracing::debug!(audience = %k, marker = %f, seq = m.seq, "flush marker read");
                if *f == k {
                    let b = std::mem::take(&mut batch);
                    let ok = tokio::task::block_in_place(|| {
                        (b.is_empty() || feeder.observations(b).is_ok())
                            && feeder.flush_audience(aud.key()).is_ok()
                    });
                    if !ok {
                        return;
                    }
                    unflushed = false;
                }
            }
            Err(e) => {
                tracing::warn!(seq = m.seq, error = %e, "OBS record skipped")
            }
        }
        let due = pending == 0 || (caught_up && batch_since.elapsed() >= FEED_EVERY);
        if !batch.is_empty() && (batch.len() >= FEED_BATCH || due) {
            let b = std::mem::take(&mut batch);
            if tokio::task::block_in_place(|| feeder.observations(b)).is_err() {
                return;
            }
        }
        fed_seq.store(m.seq, Ordering::Relaxed);
        if (pending == 0 || m.seq >= end) && !caught_up {
            caught_up = true;
            caught_up_tx.send_replace(true);
            println!(
                "biac: {} caught up with OBS at {} in {} ms",
                aud.key(),
                m.seq,
                started.elapsed().as_millis()
            );
        }
        // Caught up: join the node's tap (the own consumer reads on until the switch).
        if caught_up && pending == 0 {
            if let Some(Source::Own(_)) = &source {
                let Some(Source::Own(own)) = source.take() else {
                    unreachable!("matched above")
                };
                source = Some(Source::Switching {
                    own,
                    rx: tap.subscribe(),
                    held: VecDeque::new(),
                });
            }
        }
    }
}

/// Publish the audience's pictures (at most every [`PUBLISH_EVERY`]: a keyframe every
/// [`KEYFRAME_EVERY`], the tracks that changed in between) and new alerts.
async fn publish(
    bus: Bus,
    k: AudienceKey,
    epoch: u64,
    mut rx: watch::Receiver<Arc<Picture>>,
    (fed_seq, mut caught_up): (Arc<AtomicU64>, watch::Receiver<bool>),
    _handle: crate::RuntimeHandle,
) {
    if caught_up.wait_for(|c| *c).await.is_err() {
        return;
    }
    let mut sent: VecDeque<String> = VecDeque::new();
    // What the readers hold: the last publication's generation and tracks.
    let mut last: Option<(u64, Vec<Arc<biac_model::Track>>)> = None;
    let mut last_key = Instant::now();
    let mut first = true;
    loop {
        // A keyframe also when nothing changed: the stream keeps messages for a while only,
        // and a reader that could not place a delta must not wait for the next change.
        if !first {
            let due = tokio::time::Instant::from_std(last_key + KEYFRAME_EVERY);
            tokio::select! {
                r = rx.changed() => if r.is_err() { return },
                _ = tokio::time::sleep_until(due) => {}
            }
        }
        first = false;
        let p = rx.borrow_and_update().clone();
        let key_due = last_key.elapsed() >= KEYFRAME_EVERY;
        if key_due || last.as_ref().is_none_or(|(g, _)| p.generation > *g) {
            let head = Head {
                epoch,
                generation: p.generation,
                time_ms: p.time_ms,
                obs_seq: fed_seq.load(Ordering::Relaxed),
            };
            let delta = match &last {
                Some((base, prev)) if !key_due => {
                    let (up, rm) = picture::diff(prev, &p.tracks);
                    (up.len() <= MAX_DELTA_TRACKS).then_some((*base, up, rm))
                }
                _ => None,
            };
            tracing::debug!(
                audience = %k,
                generation = p.generation,
                time_ms = p.time_ms,
                behind_ms = biac_model::now_ms() - p.time_ms,
                keyframe = delta.is_none(),
                "picture"
            );
            let mut keyframe = delta.is_none();
            let mut sent_ok = Ok(0);
            if let Some((base, up, rm)) = &delta {
                sent_ok = bus.publish_delta(&k, &head, *base, up, rm).await;
                if let Err(e) = &sent_ok {
                    // Too large for one message, or not acknowledged: the whole picture.
                    tracing::debug!(audience = %k, error = %e, "delta not published; a keyframe instead");
                    keyframe = true;
                }
            }
            if keyframe {
                sent_ok = bus.publish_keyframe(&k, &head, &p.tracks).await;
            }
            match sent_ok {
                Ok(_) => {
                    if keyframe {
                        last_key = Instant::now();
                    }
                    last = Some((p.generation, p.tracks.clone()));
                }
                Err(e) => {
                    // The readers may have missed it: the next one is a keyframe.
                    tracing::warn!(audience = %k, error = %e, "picture not published");
                    last = None;
                }
            }
        }
        for alert in &p.alerts {
            let id = alert.id();
            if sent.contains(&id) {
                continue;
            }
            if let Err(e) = bus.publish_alert(&k, alert).await {
                tracing::warn!(audience = %k, error = %e, "alert not published");
                continue;
            }
            sent.push_back(id);
            if sent.len() > 2_000 {
                sent.pop_front();
            }
        }
        tokio::time::sleep(PUBLISH_EVERY).await;
    }
}

/// Copy `OBS` into the store's journal, in stream order, keyed by stream sequence; the
/// position is kept beside the snapshots so that a successor resumes near it.
async fn start_archive(bus: &Bus, open: OpenStore, lease: Lease) -> Result<Owned, ClusterError> {
    let snapshots = Snapshots::open(bus).await?;
    let k = AudienceKey::new(ARCHIVE).expect("a token");
    let from = match snapshots.get(&k).await {
        Ok(Some(s)) => s.covers_seq + 1,
        _ => 1,
    };
    let first = open.clone();
    let mut store = OffRuntime(Some(tokio::task::spawn_blocking(move || first()).await??));
    let stop = Arc::new(AtomicBool::new(false));
    let bus = bus.clone();
    let halt = stop.clone();
    let task = tokio::spawn(async move {
        let mut from = from;
        'reconnect: loop {
            let mut msgs = match bus.follow_obs(from).await {
                Ok(m) => Box::pin(m),
                Err(e) => {
                    tracing::warn!(error = %e, "archive: reading OBS; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let mut batch: Vec<(String, biac_store::JournalRecord)> = Vec::new();
            loop {
                if halt.load(Ordering::Relaxed) {
                    return;
                }
                let m = match tokio::time::timeout(Duration::from_millis(200), msgs.next()).await {
                    Ok(Some(Ok(m))) => Some(m),
                    Ok(Some(Err(e))) => {
                        tracing::warn!(error = %e, "archive: resuming at {from}");
                        continue 'reconnect;
                    }
                    Ok(None) => continue 'reconnect,
                    Err(_) => None,
                };
                let at_end = match &m {
                    Some(m) => {
                        if m.seq > from {
                            // `OBS` keeps records for its retention only (provisioning).
                            tracing::error!(
                                first = from,
                                last = m.seq - 1,
                                "archive: OBS records expired before they were archived"
                            );
                        }
                        let rec = match &m.record {
                            Ok(ObsRecord::Observation(o)) => {
                                Some(biac_store::JournalRecord::Observation(o.clone()))
                            }
                            Ok(ObsRecord::FlushAudience(a)) => Some(
                                biac_store::JournalRecord::FlushAudience(a.as_str().to_string()),
                            ),
                            Err(e) => {
                                tracing::warn!(seq = m.seq, error = %e, "archive: record skipped");
                                None
                            }
                        };
                        if let Some(r) = rec {
                            batch.push((format!("obs:{}", m.seq), r));
                        }
                        from = m.seq + 1;
                        m.pending == 0
                    }
                    None => true,
                };
                if batch.is_empty() || !(at_end || batch.len() >= 2_000) {
                    continue;
                }
                let keyed: Vec<biac_store::KeyedRecord<'_>> = batch
                    .iter()
                    .map(|(id, r)| biac_store::KeyedRecord {
                        msg_id: id,
                        record: r,
                    })
                    .collect();
                let done = tokio::task::block_in_place(|| {
                    store.get().append_keyed(biac_model::now_ms(), &keyed)
                });
                drop(keyed);
                match done {
                    Ok(_) => {
                        batch.clear();
                        let pos = Snapshot {
                            covers_seq: from - 1,
                            bytes: Vec::new(),
                        };
                        if let Err(e) = snapshots.put(&k, &pos).await {
                            tracing::warn!(error = %e, "archive: position not saved");
                        }
                    }
                    Err(e) => {
                        // Kept and retried on a new connection (the server may have
                        // restarted): the journal is behind the stream, not missing it.
                        tracing::error!(error = %e, "archive: journal append failed; retrying");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        let open = open.clone();
                        if let Ok(Ok(s)) = tokio::task::spawn_blocking(move || open()).await {
                            store = OffRuntime(Some(s));
                        }
                    }
                }
            }
        }
    });
    Ok(Owned {
        lease,
        stop,
        tasks: vec![task],
    })
}

/// A store dropped off the async runtime: a PostgreSQL client closes its connection on a
/// runtime of its own, which may not start inside this one (the archiver's task is aborted
/// when its lease is lost, dropping what it holds on a worker thread).
struct OffRuntime(Option<Box<dyn biac_store::Storage + Send>>);

impl OffRuntime {
    fn get(&mut self) -> &mut (dyn biac_store::Storage + Send) {
        self.0.as_deref_mut().expect("held until dropped")
    }
}

impl Drop for OffRuntime {
    fn drop(&mut self) {
        if let Some(s) = self.0.take() {
            std::thread::spawn(move || drop(s));
        }
    }
}

/// The edge role's pictures: per audience, a watch channel kept current from the bus
/// (its latest picture and alerts first, then live).
pub async fn edge_pictures(
    bus: Bus,
    audiences: &[Audience],
    only: &[String],
) -> Result<BTreeMap<Audience, watch::Receiver<Arc<Picture>>>, ClusterError> {
    let mut out = BTreeMap::new();
    for aud in audiences {
        if !only.is_empty() && !only.contains(&aud.key()) {
            continue;
        }
        let k = key(aud)?;
        let (tx, rx) = watch::channel(Arc::new(Picture::default()));
        // Through JetStream (ordered consumers), not core subscriptions: a picture published
        // while this node's server was away is still delivered, and the latest keyframe
        // comes first.
        let pics = bus.follow_pictures(&k).await?;
        let alerts_in = bus.follow_alerts(&k, ALERTS_KEPT as u64).await?;
        let kk = k.clone();
        tokio::spawn(async move {
            let mut pics = std::pin::pin!(pics);
            let mut alerts_in = std::pin::pin!(alerts_in);
            let mut alerts: VecDeque<biac_model::Alert> = VecDeque::new();
            let mut seen: BTreeSet<String> = BTreeSet::new();
            let mut assembler = Assembler::default();
            loop {
                tokio::select! {
                    p = pics.next() => match p {
                        None => return,
                        Some(Ok(p)) => {
                            if assembler.apply(p) {
                                if let Some(a) = assembler.picture() {
                                    tx.send_replace(Arc::new(Picture {
                                        time_ms: a.time_ms,
                                        generation: a.generation,
                                        tracks: a.tracks,
                                        alerts: alerts.clone(),
                                    }));
                                }
                            }
                        }
                        Some(Err(e)) => tracing::warn!(audience = %kk, error = %e, "picture skipped"),
                    },
                    a = alerts_in.next() => match a {
                        None => return,
                        Some(Ok(a)) => {
                            // A successor re-publishes what its replay raises: once each here.
                            if seen.insert(a.id()) {
                                alerts.push_back(a);
                                if alerts.len() > ALERTS_KEPT {
                                    alerts.pop_front();
                                }
                                let mut p = (**tx.borrow()).clone();
                                p.alerts = alerts.clone();
                                tx.send_replace(Arc::new(p));
                            }
                        }
                        Some(Err(e)) => tracing::warn!(audience = %kk, error = %e, "alert skipped"),
                    },
                }
            }
        });
        out.insert(*aud, rx);
    }
    println!(
        "biac: edge for {}",
        out.keys().map(Audience::key).collect::<Vec<_>>().join(",")
    );
    Ok(out)
}

const ALERTS_KEPT: usize = 500;
