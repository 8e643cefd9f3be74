//! Retention: how long the journal and the history are kept.
//!
//! The journal is the source of truth: a restart replays what is left of it, so
//! purging it bounds how far back a restarted picture reaches (tracks older than the
//! retention are not rebuilt; anything newer is, deterministically). History snapshots
//! and alerts are derived and can be kept for a different time. The purge runs on its
//! own thread and connection, in small transactions, so ingest never waits on it for
//! more than one of them.

use std::path::PathBuf;
use std::time::Duration;

use biac_store::{RetentionReport, Storage, Store, StoreError, SyncPolicy};
use serde::Deserialize;

/// `retention` in the serve configuration. Unset: kept forever.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionPolicy {
    /// Journal records received longer ago than this are deleted (receive clock).
    #[serde(default)]
    pub journal_s: Option<u64>,
    /// History snapshots and alerts stamped longer ago than this are deleted (data time).
    #[serde(default)]
    pub history_s: Option<u64>,
}

impl RetentionPolicy {
    pub fn is_unbounded(&self) -> bool {
        self.journal_s.is_none() && self.history_s.is_none()
    }

    /// One purge relative to `now_ms`.
    pub fn apply(
        &self,
        store: &mut dyn Storage,
        now_ms: i64,
    ) -> Result<RetentionReport, biac_store::StoreError> {
        let before = |s: Option<u64>| s.map(|s| now_ms.saturating_sub(s as i64 * 1000));
        store.apply_retention(before(self.journal_s), before(self.history_s), 5_000)
    }
}

/// Purge `data_dir`'s store every `every` under `policy`, for the life of the process.
/// Nothing is started for an unbounded policy.
pub fn spawn(
    data_dir: PathBuf,
    policy: RetentionPolicy,
    every: Duration,
) -> Option<std::thread::JoinHandle<()>> {
    spawn_with(
        move || Ok(Box::new(Store::open(&data_dir, SyncPolicy::Normal)?) as Box<dyn Storage + Send>),
        policy,
        every,
    )
}

/// [`spawn`] on the store `open` connects to (on the purge's own thread).
pub fn spawn_with(
    open: impl FnOnce() -> Result<Box<dyn Storage + Send>, StoreError> + Send + 'static,
    policy: RetentionPolicy,
    every: Duration,
) -> Option<std::thread::JoinHandle<()>> {
    if policy.is_unbounded() {
        return None;
    }
    std::thread::Builder::new()
        .name("biac-retention".into())
        .spawn(move || {
            let mut store = match open() {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "retention: cannot open the store; nothing will be purged");
                    return;
                }
            };
            loop {
                let now = biac_model::now_ms();
                match policy.apply(&mut *store, now) {
                    Ok(r) if r != RetentionReport::default() => tracing::info!(
                        journal = r.journal,
                        history = r.history,
                        alerts = r.alerts,
                        "retention: purged"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "retention: purge failed; retrying later"),
                }
                std::thread::sleep(every);
            }
        })
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use biac_model::{Classification, Label, Nation, Observation, Position};

    fn obs(t: i64) -> Observation {
        Observation::new(
            t,
            Position::new(24.8, 125.3),
            10.0,
            "f",
            Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]),
        )
    }

    #[test]
    fn the_thread_purges_what_is_older_than_the_policy() {
        let dir = tempfile::tempdir().unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let mut s = Store::open(dir.path(), SyncPolicy::Off).unwrap();
        s.append(now - 3_600_000, &[obs(1), obs(2)]).unwrap();
        s.append(now, &[obs(3)]).unwrap();
        assert!(spawn(
            dir.path().into(),
            RetentionPolicy::default(),
            Duration::ZERO
        )
        .is_none());
        let policy = RetentionPolicy {
            journal_s: Some(600),
            history_s: None,
        };
        spawn(dir.path().into(), policy, Duration::from_millis(50)).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while s.journal_len().unwrap() != 1 {
            assert!(std::time::Instant::now() < deadline, "never purged");
            std::thread::sleep(Duration::from_millis(20));
        }
        // The recent record is kept, and keeps being kept.
        std::thread::sleep(Duration::from_millis(200));
        let left = s.read_journal(0, 10).unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].seq, 3);
    }
}
