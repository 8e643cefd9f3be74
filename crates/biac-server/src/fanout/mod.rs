//! The shared fan-out: each picture generation is released and rendered once per
//! (audience, exit), and every client of that audience at that exit writes the same bytes.
//!
//! A *stage* ([`Stage`]: [`CotStage`] for a CoT listener, [`WsStage`] for the WebSocket)
//! follows one audience's picture channel. For each new generation it passes every track
//! through the egress guard once, with the [`Egress`](crate::guard::Egress) of that
//! audience's subject at that exit (so the audit trail is what per-client release wrote:
//! one coalesced entry per subject, exit, action, object, label and decision), keeps the
//! last released value of each track (one copy per audience and exit, not per client),
//! renders the tracks that changed (CoT XML frame, TAK protocol v1 frame lazily, GeoJSON
//! feature) and publishes the result as an immutable snapshot on a `watch` channel of its
//! own: latest wins, so a slow client skips snapshots and never queues.
//!
//! Snapshots are numbered (`seq`, one per publication). Every rendered item carries the
//! `seq` it last changed at, every track that left carries (in a *tombstone*, with its
//! rendered withdrawal) the `seq` it appeared at and the `seq` it left at. A client keeps
//! only the `seq` of the last snapshot it consumed (`since`): its next write is the items
//! changed after `since` and the withdrawals of tracks present at `since` and gone since —
//! exactly the per-client diff against what it was last sent, without a per-client copy
//! of anything. Clients that consumed the previous snapshot (nearly all of them) share one
//! batch rendered once per snapshot. Tombstones are kept until every client of the stage
//! has consumed a snapshot at or after their removal ([`Progress`]).
//!
//! [`Fanouts`] starts a stage on the first subscriber of its subject (the first snapshot
//! is rendered before any client sees one) and stops it when its last subscriber goes.
//! Rendering runs on tokio's blocking pool, so a 10,000-track generation does not hold up
//! the async workers (feed tasks, other clients).
//!
//! Invariant: a client only ever subscribes to the stage keyed by its own subject, within
//! the registry of its own exit, and each snapshot names the subject it was released for;
//! the client checks it before writing. Nothing labelled reaches a socket without having
//! passed the guard for that client's subject at that client's exit.

mod cot;
pub(crate) mod cot_events;
mod table;
#[cfg(test)]
mod tests;
mod ws;

pub use cot::{CotItem, CotSnapshot, CotStage, CotTombstone};
pub use ws::{WsItem, WsSnapshot, WsStage};

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use biac_model::{Subject, TimeMs};
use biac_runtime::Picture;
use tokio::sync::watch;

/// A stage re-uses its guard decision on a track that is the same `Arc` as the one it
/// released (unchanged since) for this long, then asks the guard again: half the audit
/// coalescing window, so the audit trail is what asking every time writes.
pub(crate) const RECHECK_MS: TimeMs = crate::guard::Auditor::COALESCE_MS / 2;

/// One audience's renderer at one exit.
pub trait Stage: Send + 'static {
    type Snapshot: Send + Sync + 'static;
    /// Release and render `picture` (`new_generation`: it just arrived; otherwise a
    /// refresh tick), forgetting tombstones every client has moved past (`keep_after`:
    /// the oldest `since` of the subscribed clients). `Some`: the snapshot to publish
    /// (always on the first call).
    fn step(
        &mut self,
        picture: &Picture,
        new_generation: bool,
        now_ms: TimeMs,
        keep_after: u64,
    ) -> Option<Arc<Self::Snapshot>>;
    /// How often to step without a new generation (refreshes), if at all.
    fn tick(&self) -> Option<Duration>;
}

/// The `since` of every client of one stage, for pruning tombstones.
#[derive(Default)]
pub struct Progress {
    clients: Mutex<Vec<Weak<AtomicU64>>>,
}

impl Progress {
    /// A new client, that has consumed nothing yet: it keeps every tombstone until it
    /// has consumed a snapshot (`0` is below every `seq`).
    pub fn register(&self) -> Arc<AtomicU64> {
        let p = Arc::new(AtomicU64::new(0));
        let mut c = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        c.retain(|w| w.strong_count() > 0);
        c.push(Arc::downgrade(&p));
        p
    }

    /// The oldest `since` of the connected clients (`u64::MAX` when none).
    pub fn oldest(&self) -> u64 {
        let mut c = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        c.retain(|w| w.strong_count() > 0);
        c.iter()
            .filter_map(|w| w.upgrade())
            .map(|p| p.load(Ordering::Acquire))
            .min()
            .unwrap_or(u64::MAX)
    }
}

/// The snapshots a running stage publishes (`None` until its first).
type Snapshots<S> = watch::Receiver<Option<Arc<<S as Stage>::Snapshot>>>;

struct Running<S: Stage> {
    tx: Arc<watch::Sender<Option<Arc<S::Snapshot>>>>,
    progress: Arc<Progress>,
}

/// The stages of one exit, by subject: started on first subscription, stopped when the
/// last subscriber goes.
pub struct Fanouts<S: Stage> {
    running: Mutex<HashMap<Subject, Running<S>>>,
}

impl<S: Stage> Default for Fanouts<S> {
    fn default() -> Self {
        Fanouts {
            running: Mutex::default(),
        }
    }
}

impl<S: Stage> std::fmt::Debug for Fanouts<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.running.lock().map(|r| r.len()).unwrap_or(0);
        write!(f, "Fanouts({n} running)")
    }
}

impl<S: Stage> Fanouts<S> {
    /// Stages running now.
    pub fn running(&self) -> usize {
        self.running.lock().map(|r| r.len()).unwrap_or(0)
    }

    /// Subscribe to `subject`'s stage, starting it with `start` (the stage and the
    /// audience's picture channel) when it is not running. Must be called within a
    /// tokio runtime.
    pub fn subscribe(
        self: &Arc<Self>,
        subject: Subject,
        start: impl FnOnce() -> (S, watch::Receiver<Arc<Picture>>),
    ) -> Subscription<S> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(r) = running.get(&subject) {
            return Subscription {
                rx: r.tx.subscribe(),
                since: r.progress.register(),
            };
        }
        let (stage, pictures) = start();
        let (tx, rx) = watch::channel(None);
        let tx = Arc::new(tx);
        let progress = Arc::new(Progress::default());
        let since = progress.register();
        running.insert(
            subject,
            Running {
                tx: tx.clone(),
                progress: progress.clone(),
            },
        );
        let stop = Deregister {
            fanouts: Arc::downgrade(self),
            subject,
            tx,
        };
        tokio::spawn(drive(stage, pictures, progress, stop));
        Subscription { rx, since }
    }
}

/// Removes a stage from its registry when its task ends, whatever the reason.
struct Deregister<S: Stage> {
    fanouts: Weak<Fanouts<S>>,
    subject: Subject,
    tx: Arc<watch::Sender<Option<Arc<S::Snapshot>>>>,
}

impl<S: Stage> Deregister<S> {
    /// Under the registry's lock (no subscription can slip in): `true` when the stage
    /// has no subscriber and has been removed.
    fn if_unsubscribed(&self) -> bool {
        let Some(f) = self.fanouts.upgrade() else {
            return true;
        };
        let mut running = f.running.lock().unwrap_or_else(|e| e.into_inner());
        if self.tx.receiver_count() > 0 {
            return false;
        }
        Self::remove(&mut running, &self.subject, &self.tx);
        true
    }

    fn remove(
        running: &mut HashMap<Subject, Running<S>>,
        subject: &Subject,
        tx: &Arc<watch::Sender<Option<Arc<S::Snapshot>>>>,
    ) {
        if running.get(subject).is_some_and(|r| Arc::ptr_eq(&r.tx, tx)) {
            running.remove(subject);
        }
    }
}

impl<S: Stage> Drop for Deregister<S> {
    fn drop(&mut self) {
        if let Some(f) = self.fanouts.upgrade() {
            let mut running = f.running.lock().unwrap_or_else(|e| e.into_inner());
            // Once the registry's sender is gone, dropping this one closes the channel:
            // the subscribers see the end.
            Self::remove(&mut running, &self.subject, &self.tx);
        }
    }
}

/// The stage's task: render each new generation (and each refresh tick) on the blocking
/// pool and publish the result, until the picture channel closes or no one subscribes.
async fn drive<S: Stage>(
    stage: S,
    mut pictures: watch::Receiver<Arc<Picture>>,
    progress: Arc<Progress>,
    stop: Deregister<S>,
) {
    let mut tick = stage.tick().map(|d| {
        let mut t = tokio::time::interval_at(tokio::time::Instant::now() + d, d);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    let mut stage = Some(stage);
    let mut picture = pictures.borrow_and_update().clone();
    let mut new_generation = true;
    loop {
        let keep_after = progress.oldest();
        let (p, mut st) = (picture.clone(), stage.take());
        let rendered = tokio::task::spawn_blocking(move || {
            let snap = st
                .as_mut()
                .and_then(|s| s.step(&p, new_generation, crate::guard::now_ms(), keep_after));
            (st, snap)
        })
        .await;
        match rendered {
            Ok((st, snap)) => {
                stage = st;
                if let Some(s) = snap {
                    stop.tx.send_replace(Some(s));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "fan-out stage failed; its clients are closed");
                return;
            }
        }
        loop {
            tokio::select! {
                changed = pictures.changed() => {
                    if changed.is_err() {
                        return; // the pipeline stopped
                    }
                    picture = pictures.borrow_and_update().clone();
                    new_generation = true;
                    break;
                }
                _ = async {
                    match tick.as_mut() {
                        Some(t) => { t.tick().await; }
                        None => std::future::pending::<()>().await,
                    }
                } => {
                    new_generation = false;
                    break;
                }
                _ = stop.tx.closed() => {
                    if stop.if_unsubscribed() {
                        return;
                    }
                    // Someone subscribed meanwhile: they have the latest snapshot.
                }
            }
        }
    }
}

/// A client's subscription to its stage.
pub struct Subscription<S: Stage> {
    rx: Snapshots<S>,
    since: Arc<AtomicU64>,
}

impl<S: Stage> Subscription<S> {
    /// The first snapshot (waiting for the stage's first render). `None`: the stage
    /// stopped (the server is shutting down).
    pub async fn first(&mut self) -> Option<Arc<S::Snapshot>> {
        let r = self.rx.wait_for(Option::is_some).await.ok()?;
        r.clone()
    }

    /// The next snapshot, the latest one when several were published since. `None`:
    /// the stage stopped.
    pub async fn next(&mut self) -> Option<Arc<S::Snapshot>> {
        self.rx.changed().await.ok()?;
        self.rx.borrow_and_update().clone()
    }

    /// Record that this client has consumed snapshot `seq`: tombstones removed at or
    /// before it may go.
    pub fn consumed(&self, seq: u64) {
        self.since.store(seq, Ordering::Release);
    }
}
