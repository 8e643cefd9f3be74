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

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;

use biac_model::{Alert, TimeMs, Track};
use biac_store::Store;
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
    tx: std_mpsc::SyncSender<(usize, String, Job)>,
    sync: HistorySync,
}

impl HistoryWriter {
    /// Queue `job` for audience `index` (key `key`); counted before it is sent, so a
    /// picture published after this call is covered by [`HistorySync::settled`].
    pub(crate) fn send(&self, index: usize, key: &str, job: Job) {
        self.sync.counters[index]
            .queued
            .fetch_add(1, Ordering::AcqRel);
        if self.tx.send((index, key.to_string(), job)).is_err() {
            tracing::error!("history writer stopped; history not stored");
        }
    }
}

/// Start the writer thread over `store` for `audiences` audiences.
pub(crate) fn start(mut store: Store, audiences: usize) -> (HistoryWriter, HistorySync) {
    let counters: Arc<[Counters]> = (0..audiences)
        .map(|_| Counters {
            queued: AtomicU64::new(0),
            written: watch::channel(0).0,
        })
        .collect();
    let sync = HistorySync { counters };
    let (tx, rx) = std_mpsc::sync_channel::<(usize, String, Job)>(QUEUE);
    let done = sync.clone();
    std::thread::Builder::new()
        .name("biac-history".into())
        .spawn(move || {
            for (index, key, job) in rx {
                match job {
                    Job::Snapshot { time_ms, tracks } => {
                        if let Err(e) =
                            store.insert_snapshot(&key, time_ms, tracks.iter().map(|t| &**t))
                        {
                            tracing::error!(error = %e, "storing snapshot failed");
                        }
                    }
                    Job::Alert(alert) => {
                        if let Err(e) = store.insert_alert(&key, &alert) {
                            tracing::error!(error = %e, "storing alert failed");
                        }
                    }
                }
                done.counters[index].written.send_modify(|w| *w += 1);
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
