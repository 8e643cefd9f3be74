//! Embedded storage on SQLite (bundled, so no server and no system library).
//!
//! * The **journal** holds every accepted observation, in arrival order, under a
//!   monotonically increasing sequence number. [`Store::append`] returns only once the
//!   batch is committed under the configured [`SyncPolicy`]; callers acknowledge after it.
//! * The **history** holds periodic track snapshots and alerts per audience, queryable
//!   by time window and bounding box.
//!
//! [`Storage`] is what the runtime and the server need of a store, as a trait so that
//! a server-backed store (`biac-store-pg`) can stand in for the embedded one; [`Store`]
//! is the SQLite implementation. The one test suite ([`suite`]) runs against both.
//!
//! Invariants: the journal is append-only and the source of truth (history can be
//! rebuilt from it); a [`Store`] is used from one thread (SQLite connections are not
//! `Sync`), the runtime owns it in a dedicated storage thread.

use std::path::Path;

use biac_model::{Alert, Observation, TimeMs, Track};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("corrupt record {seq}: {reason}")]
    Corrupt { seq: i64, reason: String },
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    /// An error of a database server behind [`Storage`] (PostgreSQL).
    #[error("database server: {0}")]
    Server(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// When a committed batch is on stable storage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncPolicy {
    /// fsync on every commit: an acknowledged batch survives power loss.
    #[default]
    Full,
    /// WAL without fsync per commit: survives a process crash (`kill -9`), may lose the
    /// last commits on power loss. Much faster on slow disks.
    Normal,
    /// No fsync at all (tests, throw-away demos).
    Off,
}

/// A name that is not a [`SyncPolicy`]'s.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown fsync policy {0:?} (full, normal, off)")]
pub struct UnknownSyncPolicy(pub String);

impl std::str::FromStr for SyncPolicy {
    type Err = UnknownSyncPolicy;
    fn from_str(s: &str) -> Result<Self, UnknownSyncPolicy> {
        match s {
            "full" => Ok(SyncPolicy::Full),
            "normal" => Ok(SyncPolicy::Normal),
            "off" => Ok(SyncPolicy::Off),
            _ => Err(UnknownSyncPolicy(s.to_string())),
        }
    }
}

/// A journal entry as read back.
#[derive(Clone, Debug, PartialEq)]
pub struct JournalEntry {
    pub seq: i64,
    pub received_ms: TimeMs,
    pub record: JournalRecord,
}

/// What the journal holds: observations, and the points where the runtime released
/// its re-ordering buffer because the feeds went quiet. Journalling those points makes
/// a replay feed fusion exactly what the live run fed it.
// Nearly every record is an observation: boxing it to shrink the rare marker would cost
// an allocation per record.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum JournalRecord {
    Observation(Observation),
    /// Release every audience's re-ordering buffer (journals written before per-audience
    /// flushes).
    Flush,
    /// Release one audience's re-ordering buffer (by its key): that audience's inputs
    /// went quiet.
    FlushAudience(String),
}

mod codec;
mod storage;
#[cfg(any(test, feature = "suite"))]
pub mod suite;

pub use codec::{
    decode_alert, decode_journal_record, decode_track, encode_alert, encode_flush_audience,
    encode_observation, encode_track, journal_row, FLUSH_BODY,
};
pub use storage::{Appended, KeyedRecord, Storage};

/// An axis-aligned box in degrees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

/// A stored track snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct TrackSnapshot {
    pub audience: String,
    pub time_ms: TimeMs,
    pub track: Track,
}

pub struct Store {
    conn: Connection,
}

/// Rows removed by [`Store::apply_retention`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetentionReport {
    pub journal: u64,
    pub history: u64,
    pub alerts: u64,
}

/// The journal, in `biac.sqlite`.
const JOURNAL_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    received_ms INTEGER NOT NULL,
    feed TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    body TEXT NOT NULL,
    msg_id TEXT
);
";

/// Idempotency keys (feed + message id, e.g. JetStream's `Nats-Msg-Id`): a record appended
/// again under the same key is stored once. Applied after [`JOURNAL_SCHEMA`] and, for
/// journals made before keys, after the column is added.
const JOURNAL_KEYS: &str = "
CREATE UNIQUE INDEX IF NOT EXISTS journal_by_msg_id ON journal (feed, msg_id)
    WHERE msg_id IS NOT NULL;
";

/// The history, in `history.sqlite`, attached as `history`: a database file of its own
/// has a write lock of its own, so writing a 10,000-track snapshot (~50 ms) never holds
/// up a journal commit. (Stores made before kept history tables in `biac.sqlite`; they
/// are left there unused, and the replay at start writes the history anew.)
const HISTORY_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS history.track_history (
    audience TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    track_id INTEGER NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history.track_history_by_time ON track_history (audience, time_ms);
CREATE INDEX IF NOT EXISTS history.track_history_by_track
    ON track_history (audience, track_id, time_ms);
CREATE TABLE IF NOT EXISTS history.alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    audience TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history.alerts_by_time ON alerts (audience, time_ms);
";

/// Alert acknowledgements, in `biac.sqlite` beside the journal: like the journal and
/// unlike the history, they cannot be rebuilt from anything else. One row per audience
/// and alert: the first acknowledgement stands.
const ACKS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS acks (
    audience TEXT NOT NULL,
    alert TEXT NOT NULL,
    principal TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    PRIMARY KEY (audience, alert)
);
";

/// A stored alert acknowledgement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AckRecord {
    pub audience: String,
    /// The alert's id as the API gives it.
    pub alert: String,
    /// Who acknowledged (account, `token:…`).
    pub principal: String,
    pub time_ms: TimeMs,
}

/// The two database files of a store, each with its own write-ahead log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Database {
    /// `biac.sqlite`.
    Journal,
    /// `history.sqlite`.
    History,
}

impl Database {
    pub const ALL: [Database; 2] = [Database::Journal, Database::History];

    fn schema(self) -> &'static str {
        match self {
            Database::Journal => "main",
            Database::History => "history",
        }
    }
}

impl Store {
    /// Open (or create) the store in `dir`: `biac.sqlite` (the journal) with
    /// `history.sqlite` attached.
    pub fn open(dir: &Path, sync: SyncPolicy) -> Result<Store, StoreError> {
        // Connections opening a new database at once can meet while it is still in rollback
        // mode, where SQLite answers "busy" at once rather than wait (a lock upgrade that
        // could deadlock): the set-up is idempotent, so it is made again on a new connection.
        let give_up = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            match Self::try_open(dir, sync) {
                Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)))
                    if e.code == rusqlite::ErrorCode::DatabaseBusy
                        && std::time::Instant::now() < give_up =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                r => return r,
            }
        }
    }

    fn try_open(dir: &Path, sync: SyncPolicy) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir)?;
        let conn = Connection::open(dir.join("biac.sqlite"))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute(
            "ATTACH DATABASE ?1 AS history",
            params![dir.join("history.sqlite").to_string_lossy()],
        )?;
        for db in Database::ALL {
            let db = db.schema();
            conn.pragma_update(Some(db), "journal_mode", "WAL")?;
            conn.pragma_update(
                Some(db),
                "synchronous",
                match sync {
                    SyncPolicy::Full => "FULL",
                    SyncPolicy::Normal => "NORMAL",
                    SyncPolicy::Off => "OFF",
                },
            )?;
        }
        conn.execute_batch(JOURNAL_SCHEMA)?;
        let keyed: bool = conn.query_row(
            "SELECT COUNT(*) > 0 FROM pragma_table_info('journal') WHERE name = 'msg_id'",
            [],
            |r| r.get(0),
        )?;
        if !keyed {
            conn.execute_batch("ALTER TABLE journal ADD COLUMN msg_id TEXT")?;
        }
        conn.execute_batch(JOURNAL_KEYS)?;
        conn.execute_batch(HISTORY_SCHEMA)?;
        conn.execute_batch(ACKS_SCHEMA)?;
        Ok(Store { conn })
    }

    /// Whether a commit on this connection checkpoints the write-ahead log itself when
    /// it has grown past 1,000 pages (SQLite's default, on). The runtime turns it off on
    /// its journal and history connections and checkpoints from a thread of its own
    /// ([`Store::checkpoint`]): copying megabytes of log into the database inside a
    /// journal commit stalled ingest for 15–60 ms twice a second at 10,000 records/s.
    pub fn set_auto_checkpoint(&self, on: bool) -> Result<(), StoreError> {
        self.conn
            .pragma_update(None, "wal_autocheckpoint", if on { 1000 } else { 0 })?;
        Ok(())
    }

    /// How long this connection waits for a lock another one holds before it gives up
    /// with "busy" (5 s from [`Store::open`]).
    pub fn set_busy_timeout(&self, timeout: std::time::Duration) -> Result<(), StoreError> {
        self.conn.busy_timeout(timeout)?;
        Ok(())
    }

    /// Copy what the write-ahead log holds into the database: the frames in the log and
    /// how many of them are now checkpointed. `restart: false` (`PASSIVE`) waits for no
    /// reader or writer and blocks none; but under commits that never pause, the log is
    /// never wholly copied at the moment a writer starts, so it never starts over and
    /// grows without end. `restart: true` (`RESTART`) takes the writer lock, and holding
    /// it (new writers wait) copies what is left and waits for readers to leave the log,
    /// so that the next writer starts the log from its beginning: run right after a
    /// complete passive one, on a connection with a short busy timeout, it holds the
    /// writers up for the copy of a few milliseconds' commits at most.
    pub fn checkpoint(&self, db: Database, restart: bool) -> Result<(i64, i64), StoreError> {
        let sql = format!(
            "PRAGMA {}.wal_checkpoint({})",
            db.schema(),
            if restart { "RESTART" } else { "PASSIVE" }
        );
        Ok(self
            .conn
            .query_row(&sql, [], |r| Ok((r.get(1)?, r.get(2)?)))?)
    }

    /// Append a batch in one transaction; returns the sequence numbers assigned. When
    /// this returns Ok the batch is durable under the store's [`SyncPolicy`].
    pub fn append(
        &mut self,
        received_ms: TimeMs,
        batch: &[Observation],
    ) -> Result<Vec<i64>, StoreError> {
        let tx = self.conn.transaction()?;
        let mut seqs = Vec::with_capacity(batch.len());
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO journal (received_ms, feed, time_ms, body) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for o in batch {
                stmt.execute(params![
                    received_ms,
                    o.feed,
                    o.time_ms,
                    encode_observation(o)
                ])?;
                seqs.push(tx.last_insert_rowid());
            }
        }
        tx.commit()?;
        Ok(seqs)
    }

    /// Append a batch of records each under an idempotency key, in one transaction: a
    /// record whose feed and message id the journal holds already (from an earlier
    /// append or earlier in this batch) is not stored again, and its entry gives the
    /// sequence number it was stored under. Keys are forgotten with their records
    /// (retention), as a JetStream stream forgets them after its duplicate window.
    pub fn append_keyed(
        &mut self,
        received_ms: TimeMs,
        batch: &[KeyedRecord<'_>],
    ) -> Result<Vec<Appended>, StoreError> {
        // Immediate: the write lock from the start, so the look-up and the insert see the
        // same journal (a deferred transaction would fail, not wait, when another
        // connection committed between them).
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut out = Vec::with_capacity(batch.len());
        {
            // Look up before inserting: a conflicting insert would still use up a
            // sequence number (AUTOINCREMENT), leaving a gap.
            let mut existing =
                tx.prepare_cached("SELECT seq FROM journal WHERE feed = ?1 AND msg_id = ?2")?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO journal (received_ms, feed, time_ms, body, msg_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for r in batch {
                let stored: Option<i64> = existing
                    .query_row(params![r.feed(), r.msg_id], |r| r.get(0))
                    .optional()?;
                out.push(match stored {
                    Some(seq) => Appended { seq, stored: false },
                    None => {
                        let (feed, time_ms, body) = codec::journal_row(r.record);
                        insert.execute(params![received_ms, feed, time_ms, body, r.msg_id])?;
                        Appended {
                            seq: tx.last_insert_rowid(),
                            stored: true,
                        }
                    }
                });
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// Journal a flush marker (see [`JournalRecord::Flush`]).
    pub fn append_flush(&mut self, received_ms: TimeMs) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO journal (received_ms, feed, time_ms, body) VALUES (?1, '', 0, ?2)",
            params![received_ms, FLUSH_BODY],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Journal a flush marker for one audience (see [`JournalRecord::FlushAudience`]).
    pub fn append_flush_audience(
        &mut self,
        received_ms: TimeMs,
        audience: &str,
    ) -> Result<i64, StoreError> {
        let body = encode_flush_audience(audience);
        self.conn.execute(
            "INSERT INTO journal (received_ms, feed, time_ms, body) VALUES (?1, '', 0, ?2)",
            params![received_ms, body],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Record an acknowledgement unless the alert has one in its audience already; the
    /// one that stands (the first) either way. Durable under the store's [`SyncPolicy`]
    /// when this returns.
    pub fn acknowledge(&self, ack: &AckRecord) -> Result<AckRecord, StoreError> {
        self.conn.execute(
            "INSERT OR IGNORE INTO acks (audience, alert, principal, time_ms) VALUES (?1, ?2, ?3, ?4)",
            params![ack.audience, ack.alert, ack.principal, ack.time_ms],
        )?;
        Ok(self.conn.query_row(
            "SELECT principal, time_ms FROM acks WHERE audience = ?1 AND alert = ?2",
            params![ack.audience, ack.alert],
            |r| {
                Ok(AckRecord {
                    audience: ack.audience.clone(),
                    alert: ack.alert.clone(),
                    principal: r.get(0)?,
                    time_ms: r.get(1)?,
                })
            },
        )?)
    }

    /// Forget an acknowledgement (the server keeps a bounded number per audience).
    pub fn forget_ack(&self, audience: &str, alert: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "DELETE FROM acks WHERE audience = ?1 AND alert = ?2",
            params![audience, alert],
        )?;
        Ok(())
    }

    /// Every stored acknowledgement, oldest first.
    pub fn acks(&self) -> Result<Vec<AckRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT audience, alert, principal, time_ms FROM acks ORDER BY time_ms")?;
        let rows = stmt.query_map([], |r| {
            Ok(AckRecord {
                audience: r.get(0)?,
                alert: r.get(1)?,
                principal: r.get(2)?,
                time_ms: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Highest sequence number in the journal (0 when empty).
    pub fn last_seq(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM journal", [], |r| {
                r.get(0)
            })?)
    }

    pub fn journal_len(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM journal", [], |r| r.get(0))?)
    }

    /// Visit journal entries with `seq > after`, in sequence order, `limit` at most.
    pub fn read_journal(&self, after: i64, limit: usize) -> Result<Vec<JournalEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, received_ms, feed, body FROM journal WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (seq, received_ms, feed, body) = row?;
            let record = decode_journal_record(seq, &feed, &body)?;
            out.push(JournalEntry {
                seq,
                received_ms,
                record,
            });
        }
        Ok(out)
    }

    /// Delete journal entries received before `before_ms` (retention), in one statement.
    pub fn compact_journal(&mut self, before_ms: TimeMs) -> Result<usize, StoreError> {
        Ok(self.conn.execute(
            "DELETE FROM journal WHERE received_ms < ?1",
            params![before_ms],
        )?)
    }

    /// Retention: delete journal entries received before `journal_before_ms` (receive
    /// clock) and history snapshots and alerts stamped before `history_before_ms` (data
    /// time). Deletes go in transactions of at most `batch` rows, so the journal's writer
    /// (another connection) waits at most one small transaction for the lock, never the
    /// whole purge. Sequence numbers are never reused (`AUTOINCREMENT`). Freed pages are
    /// reused by later writes; the file itself does not shrink.
    pub fn apply_retention(
        &mut self,
        journal_before_ms: Option<TimeMs>,
        history_before_ms: Option<TimeMs>,
        batch: usize,
    ) -> Result<RetentionReport, StoreError> {
        let batch = batch.max(1) as i64;
        let purge = |sql: &str, before: Option<TimeMs>| -> Result<u64, StoreError> {
            let Some(before) = before else { return Ok(0) };
            let mut total = 0u64;
            loop {
                let n = self.conn.execute(sql, params![before, batch])?;
                total += n as u64;
                if (n as i64) < batch {
                    return Ok(total);
                }
            }
        };
        Ok(RetentionReport {
            journal: purge(
                "DELETE FROM journal WHERE seq IN \
                 (SELECT seq FROM journal WHERE received_ms < ?1 ORDER BY seq LIMIT ?2)",
                journal_before_ms,
            )?,
            history: purge(
                "DELETE FROM history.track_history WHERE rowid IN \
                 (SELECT rowid FROM history.track_history WHERE time_ms < ?1 LIMIT ?2)",
                history_before_ms,
            )?,
            alerts: purge(
                "DELETE FROM history.alerts WHERE id IN \
                 (SELECT id FROM history.alerts WHERE time_ms < ?1 LIMIT ?2)",
                history_before_ms,
            )?,
        })
    }

    /// Record a snapshot of an audience's tracks at `time_ms`; `Ok(false)` when that
    /// audience's history already reaches `time_ms` (a replay after a restart writes
    /// its snapshots again, and after a journal purge at other times: what the history
    /// holds is kept, and only snapshots newer than all of it are added; the writer
    /// writes in time order, so a crash loses only the newest, which the replay adds).
    ///
    /// The rows are serialised before the write transaction opens, so the journal's
    /// commits (same database, one writer at a time) wait only for the inserts.
    pub fn insert_snapshot<'a>(
        &mut self,
        audience: &str,
        time_ms: TimeMs,
        tracks: impl IntoIterator<Item = &'a Track>,
    ) -> Result<bool, StoreError> {
        let rows: Vec<(i64, f64, f64, String)> = tracks
            .into_iter()
            .map(|t| {
                (
                    t.id as i64,
                    t.position.lat_deg,
                    t.position.lon_deg,
                    encode_track(t),
                )
            })
            .collect();
        let tx = self.conn.transaction()?;
        let newest: Option<i64> = tx
            .prepare_cached("SELECT MAX(time_ms) FROM history.track_history WHERE audience = ?1")?
            .query_row(params![audience], |r| r.get(0))?;
        if newest.is_some_and(|n| n >= time_ms) {
            return Ok(false);
        }
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO history.track_history (audience, time_ms, track_id, lat, lon, body) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (id, lat, lon, body) in rows {
                stmt.execute(params![audience, time_ms, id, lat, lon, body])?;
            }
        }
        tx.commit()?;
        Ok(true)
    }

    /// Track snapshots of one audience in `[from, to]`, optionally inside `bbox`.
    pub fn query_history(
        &self,
        audience: &str,
        from_ms: TimeMs,
        to_ms: TimeMs,
        bbox: Option<BBox>,
        limit: usize,
    ) -> Result<Vec<TrackSnapshot>, StoreError> {
        let b = bbox.unwrap_or(BBox {
            min_lon: -180.0,
            min_lat: -90.0,
            max_lon: 180.0,
            max_lat: 90.0,
        });
        let mut stmt = self.conn.prepare_cached(
            "SELECT time_ms, body FROM history.track_history WHERE audience = ?1 AND time_ms BETWEEN ?2 AND ?3 \
             AND lon BETWEEN ?4 AND ?6 AND lat BETWEEN ?5 AND ?7 ORDER BY time_ms, track_id LIMIT ?8",
        )?;
        let rows = stmt.query_map(
            params![
                audience,
                from_ms,
                to_ms,
                b.min_lon,
                b.min_lat,
                b.max_lon,
                b.max_lat,
                limit as i64
            ],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )?;
        snapshots(audience, rows)
    }

    /// History of one track of one audience.
    pub fn track_history(
        &self,
        audience: &str,
        track_id: u64,
        limit: usize,
    ) -> Result<Vec<TrackSnapshot>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT time_ms, body FROM history.track_history WHERE audience = ?1 AND track_id = ?2 \
             ORDER BY time_ms DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![audience, track_id as i64, limit as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = snapshots(audience, rows)?;
        out.reverse();
        Ok(out)
    }

    /// Record an alert; `Ok(false)` when the audience's history holds the same alert
    /// already (a replay after a restart raises every alert again). Not "only what is
    /// newer", as for snapshots: a behaviour is dated at its start, which is often before
    /// alerts already stored (an encounter is known two hours after it began).
    pub fn insert_alert(&mut self, audience: &str, alert: &Alert) -> Result<bool, StoreError> {
        let body = encode_alert(alert);
        let tx = self.conn.transaction()?;
        let stored = tx
            .prepare_cached(
                "SELECT 1 FROM history.alerts WHERE audience = ?1 AND time_ms = ?2 AND body = ?3",
            )?
            .exists(params![audience, alert.time_ms, body])?;
        if stored {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO history.alerts (audience, time_ms, body) VALUES (?1, ?2, ?3)",
            params![audience, alert.time_ms, body],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Alerts of one audience in `[from, to]`, newest last.
    pub fn query_alerts(
        &self,
        audience: &str,
        from_ms: TimeMs,
        to_ms: TimeMs,
        limit: usize,
    ) -> Result<Vec<Alert>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, body FROM history.alerts WHERE audience = ?1 AND time_ms BETWEEN ?2 AND ?3 \
             ORDER BY time_ms, id LIMIT ?4",
        )?;
        let rows = stmt.query_map(params![audience, from_ms, to_ms, limit as i64], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, body) = row?;
            out.push(decode_alert(id, &body)?);
        }
        Ok(out)
    }
}

/// Decode `(time_ms, body)` rows of `track_history`.
fn snapshots(
    audience: &str,
    rows: impl Iterator<Item = rusqlite::Result<(i64, String)>>,
) -> Result<Vec<TrackSnapshot>, StoreError> {
    let mut out = Vec::new();
    for row in rows {
        let (time_ms, body) = row?;
        out.push(TrackSnapshot {
            audience: audience.to_string(),
            time_ms,
            track: decode_track(time_ms, &body)?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
