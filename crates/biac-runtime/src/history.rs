//! The history writer: snapshots and alerts go to the store on a thread of their own.
//!
//! A 10,000-track snapshot is ~100 ms of serialising and inserting; on the fusion thread
//! it held up every audience's picture once per snapshot period (the load test's p99).
//! The fusion thread now hands the writer the snapshot's tracks (shared `Arc`s, no copy)
//! in data-time order and goes on.
//!
//! Read-your-writes: the fusion thread counts each job of an audience before it
//! publishes the picture that follows it, and the writer counts each job done; so
//! [`HistorySync::settled`] (used before every history read) returns once everything
//! behind the pictures already published is stored.
//!
//! One writer serves every audience, in order, so how long a history read waits can
//! depend on another audience's snapshot ahead of it: a wall-clock signal like the
//! shared fusion thread's latency (docs/ARCHITECTURE.md, "Timing"), not a difference in
//! anything the audience is sent.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;

use biac_model::{Alert, TimeMs, Track};
use biac_store::Storage;
use tokio::sync::watch;

/// Jobs in flight to the writer. When the store falls this far behind, fusion waits
/// (history is never dropped); each queued snapshot pins one picture's tracks.
const QUEUE: usize = 16;
/// Longest wait for the writer before a history read.
const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(10);

pub(crate) enum Job {
    Snapshot {
        time_ms: TimeMs,
        tracks: Vec<Arc<Track>>,
    },
    Alert(Box<Alert>),
}

/// Per audience (by index in the runtime's sorted audiences): jobs queued and written.
pub(crate) struct Counters {
    queued: AtomicU64,
    written: watch::Sender<u64>,
}

/// Waiting for the history writer, per audience.
#[derive(Clone)]
pub struct HistorySync {
    counters: Arc<[Counters]>,
}

impl HistorySync {
    /// For a process with no history writer: nothing is ever pending.
    pub(crate) fn none() -> HistorySync {
        HistorySync {
            counters: Arc::from(Vec::new()),
        }
    }

    /// Once every history write queued before the call for audience `index` is stored
    /// (at once if none is pending). Bounded: a store that does not answer in
    /// [`SETTLE_LIMIT`] is logged and the caller reads what is there.
    pub(crate) async fn settled(&self, index: usize) {
        let Some(c) = self.counters.get(index) else {
            return;
        };
        let target = c.queued.load(Ordering::Acquire);
        let mut rx = c.written.subscribe();
        if tokio::time::timeout(SETTLE_LIMIT, rx.wait_for(|w| *w >= target))
            .await
            .is_err()
        {
            tracing::warn!("history writer behind; reading history without its latest writes");
        }
    }
}

/// The fusion thread's end.
pub(crate) struct HistoryWriter {
    tx: std_mpsc::SyncSender<(usize, Job)>,
    sync: HistorySync,
}

impl HistoryWriter {
    /// Queue `job` for audience `index`; counted before it is sent, so a picture
    /// published after this call is covered by [`HistorySync::settled`].
    pub(crate) fn send(&self, index: usize, job: Job) {
        let c = &self.sync.counters[index];
        c.queued.fetch_add(1, Ordering::AcqRel);
        if self.tx.send((index, job)).is_err() {
            c.queued.fetch_sub(1, Ordering::AcqRel);
            tracing::error!("history writer stopped; history not stored");
        }
    }
}

/// Marks every count written when the writer thread ends, however it ends (a panic
/// included): readers then never wait for a write that will not come.
struct Done(HistorySync);

impl Drop for Done {
    fn drop(&mut self) {
        for c in self.0.counters.iter() {
            c.written.send_replace(u64::MAX);
        }
    }
}

/// Start the writer thread over `store` for the audiences `keys` (by index).
pub(crate) fn start(
    mut store: Box<dyn Storage + Send>,
    keys: Vec<String>,
) -> (HistoryWriter, HistorySync) {
    let counters: Arc<[Counters]> = keys
        .iter()
        .map(|_| Counters {
            queued: AtomicU64::new(0),
            written: watch::channel(0).0,
        })
        .collect();
    let sync = HistorySync { counters };
    let (tx, rx) = std_mpsc::sync_channel::<(usize, Job)>(QUEUE);
    let done = Done(sync.clone());
    std::thread::Builder::new()
        .name("biac-history".into())
        .spawn(move || {
            for (index, job) in rx {
                let key = &keys[index];
                let stored = match job {
                    Job::Snapshot { time_ms, tracks } => {
                        store.insert_snapshot(key, time_ms, &mut tracks.iter().map(|t| &**t))
                    }
                    Job::Alert(alert) => store.insert_alert(key, &alert),
                };
                match stored {
                    Ok(true) => {}
                    // A replay after a restart: the history holds it already.
                    Ok(false) => tracing::debug!(audience = %key, "history already stored"),
                    Err(e) => {
                        tracing::error!(error = %e, audience = %key, "storing history failed")
                    }
                }
                done.0.counters[index].written.send_modify(|w| *w += 1);
            }
        })
        .expect("spawn history thread");
    (
        HistoryWriter {
            tx,
            sync: sync.clone(),
        },
        sync,
    )
}
