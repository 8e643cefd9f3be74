//! [`AuditSink`]: the cheap, cloneable handle through which the egress guard records
//! decisions, and the writer thread behind it that batches appends and signs checkpoints.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::checkpoint::Checkpoint;
use crate::entry::Entry;
use crate::log::AuditLog;
use crate::AuditError;

/// How the writer thread batches and seals.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    /// Sign a checkpoint at least this often while there are unsealed entries.
    pub checkpoint_interval: Duration,
    /// Most entries appended with one write.
    pub max_batch: usize,
    /// Entries queued before [`AuditSink::record`] blocks (back-pressure, never loss).
    pub capacity: usize,
}

impl Default for SinkConfig {
    fn default() -> Self {
        SinkConfig {
            checkpoint_interval: Duration::from_secs(1),
            max_batch: 4096,
            capacity: 65_536,
        }
    }
}

enum Msg {
    Record(Entry),
    Seal(mpsc::Sender<Result<Checkpoint, AuditError>>),
}

/// A handle for recording decisions. Clone it into every handler; all clones feed one
/// writer thread that owns the [`AuditLog`].
///
/// Intended wiring (in `biac serve`): open the log with
/// `AuditLog::open_in_custody(&biac_audit::audit_dir(&data_dir), key, witness, now)`,
/// `AuditSink::spawn` it, put the sink
/// in the server state, and in the egress guard build one [`Entry`] per release decision
/// (allow and deny) and call [`AuditSink::record`] *before* the response is sent. If `record`
/// fails the writer has stopped (disk full, I/O error): the guard must then deny (fail
/// closed). On shutdown drop every clone, then [`AuditWorker::join`]: the writer seals what
/// is left with a final checkpoint. `record` blocks only when `capacity` entries are queued;
/// from async code that is a short stall of one worker thread, which is the intended
/// back-pressure (an audit record is never dropped).
#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::SyncSender<Msg>,
}

/// The writer thread; join it after dropping every [`AuditSink`].
pub struct AuditWorker {
    handle: JoinHandle<Result<Option<Checkpoint>, AuditError>>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl AuditSink {
    /// Starts the writer thread that owns `log`.
    pub fn spawn(log: AuditLog, cfg: SinkConfig) -> Result<(AuditSink, AuditWorker), AuditError> {
        let (tx, rx) = mpsc::sync_channel(cfg.capacity.max(1));
        let dir = log.dir().to_path_buf();
        let handle = std::thread::Builder::new()
            .name("audit-log".into())
            .spawn(move || run(log, rx, cfg))
            .map_err(|source| AuditError::Io { path: dir, source })?;
        Ok((AuditSink { tx }, AuditWorker { handle }))
    }

    /// Queues one decision. `Err` means the writer has stopped: treat as "cannot audit,
    /// do not release".
    pub fn record(&self, entry: Entry) -> Result<(), AuditError> {
        self.tx
            .send(Msg::Record(entry))
            .map_err(|_| AuditError::SinkClosed)
    }

    /// Waits until everything recorded before this call is appended, synced and covered by
    /// a signed checkpoint; returns that checkpoint.
    pub fn seal(&self) -> Result<Checkpoint, AuditError> {
        let (tx, rx) = mpsc::channel();
        self.tx
            .send(Msg::Seal(tx))
            .map_err(|_| AuditError::SinkClosed)?;
        match rx.recv() {
            Ok(r) => r,
            Err(_) => Err(AuditError::SinkClosed),
        }
    }
}

impl AuditWorker {
    /// Waits for the writer to finish (after every sink is dropped); returns its last
    /// checkpoint, or the error that stopped it ([`AuditError::Writer`]).
    pub fn join(self) -> Result<Option<Checkpoint>, AuditError> {
        self.handle.join().unwrap_or(Err(AuditError::SinkClosed))
    }
}

fn run(
    mut log: AuditLog,
    rx: mpsc::Receiver<Msg>,
    cfg: SinkConfig,
) -> Result<Option<Checkpoint>, AuditError> {
    // A zero interval would spin while idle.
    let interval = cfg.checkpoint_interval.max(Duration::from_millis(10));
    let mut last_cp = Instant::now();
    let max_batch = cfg.max_batch.max(1);
    let mut batch = Vec::with_capacity(max_batch);
    let mut seals = Vec::new();
    loop {
        let wait = interval.saturating_sub(last_cp.elapsed());
        let mut disconnected = false;
        match rx.recv_timeout(wait) {
            Ok(m) => {
                let mut next = Some(m);
                while let Some(m) = next.take() {
                    match m {
                        Msg::Record(e) => batch.push(e),
                        Msg::Seal(s) => seals.push(s),
                    }
                    if batch.len() < max_batch {
                        next = rx.try_recv().ok();
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => disconnected = true,
        }
        let result = log.append(&batch).and_then(|_| {
            let due = last_cp.elapsed() >= interval;
            let sealing =
                !seals.is_empty() && (log.unsealed() > 0 || log.last_checkpoint().is_none());
            if sealing || ((due || disconnected) && log.unsealed() > 0) {
                last_cp = Instant::now();
                log.checkpoint(now_ms()).map(Some)
            } else {
                if due {
                    last_cp = Instant::now();
                }
                Ok(None)
            }
        });
        batch.clear();
        match result {
            Ok(made) => {
                let c = made.or_else(|| log.last_checkpoint().cloned());
                for s in seals.drain(..) {
                    let _ = s.send(c.clone().ok_or(AuditError::EmptyLog));
                }
            }
            Err(e) => {
                // One error, answered to every waiting seal and returned by `join`.
                let e = std::sync::Arc::new(e);
                for s in seals.drain(..) {
                    let _ = s.send(Err(AuditError::Writer(e.clone())));
                }
                return Err(AuditError::Writer(e));
            }
        }
        if disconnected {
            return Ok(log.last_checkpoint().cloned());
        }
    }
}
