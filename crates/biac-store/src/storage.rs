//! The store interface: what the runtime and the server use of a store, whichever
//! database holds it. Object safe, so the runtime can hold a `Box<dyn Storage + Send>`.
//! Knobs of one database (SQLite's checkpoints, busy timeout, sync policy) stay on its
//! own type.

use biac_model::{Alert, Observation, TimeMs, Track};

use crate::{AckRecord, BBox, JournalEntry, RetentionReport, Store, StoreError, TrackSnapshot};

/// A record to journal under an idempotency key: the observation's feed (empty for a
/// flush marker) and `msg_id` (e.g. the `OBS` stream sequence that carried it, so that an
/// archiver resuming from an earlier position stores nothing twice, markers included).
#[derive(Clone, Copy, Debug)]
pub struct KeyedRecord<'a> {
    pub msg_id: &'a str,
    pub record: &'a crate::JournalRecord,
}

impl KeyedRecord<'_> {
    /// The feed half of the key.
    pub fn feed(&self) -> &str {
        match self.record {
            crate::JournalRecord::Observation(o) => &o.feed,
            _ => "",
        }
    }
}

/// Where a keyed record is in the journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    pub seq: i64,
    /// False when the key was stored already: `seq` is the earlier record's.
    pub stored: bool,
}

/// A durable journal plus the history of track snapshots, alerts and acknowledgements.
///
/// Journal invariants, for every implementation: sequence numbers increase with commit
/// order and are never reused (not after retention either), one append's numbers are
/// consecutive, and appenders running at once leave neither gaps nor duplicates, so a
/// reader that has seen `seq` has seen everything before it.
pub trait Storage {
    /// Append a batch in one transaction; the sequence numbers assigned. Durable when
    /// this returns Ok.
    fn append(
        &mut self,
        received_ms: TimeMs,
        batch: &[Observation],
    ) -> Result<Vec<i64>, StoreError>;
    /// Append a batch of keyed records in one transaction; a key stored before (or
    /// earlier in the batch) is not stored again.
    fn append_keyed(
        &mut self,
        received_ms: TimeMs,
        batch: &[KeyedRecord<'_>],
    ) -> Result<Vec<Appended>, StoreError>;
    /// Journal a flush marker ([`crate::JournalRecord::Flush`]).
    fn append_flush(&mut self, received_ms: TimeMs) -> Result<i64, StoreError>;
    /// Journal one audience's flush marker ([`crate::JournalRecord::FlushAudience`]).
    fn append_flush_audience(
        &mut self,
        received_ms: TimeMs,
        audience: &str,
    ) -> Result<i64, StoreError>;
    /// Highest sequence number in the journal (0 when empty).
    fn last_seq(&self) -> Result<i64, StoreError>;
    /// Records in the journal.
    fn journal_len(&self) -> Result<i64, StoreError>;
    /// Journal entries with `seq > after`, in sequence order, `limit` at most.
    fn read_journal(&self, after: i64, limit: usize) -> Result<Vec<JournalEntry>, StoreError>;
    /// Delete journal entries received before `before_ms`.
    fn compact_journal(&mut self, before_ms: TimeMs) -> Result<usize, StoreError>;
    /// Delete journal entries received before `journal_before_ms` and history stamped
    /// before `history_before_ms`, in transactions of at most `batch` rows.
    fn apply_retention(
        &mut self,
        journal_before_ms: Option<TimeMs>,
        history_before_ms: Option<TimeMs>,
        batch: usize,
    ) -> Result<RetentionReport, StoreError>;
    /// Record a snapshot of an audience's tracks; `Ok(false)` when that audience's
    /// history already reaches `time_ms`.
    fn insert_snapshot(
        &mut self,
        audience: &str,
        time_ms: TimeMs,
        tracks: &mut dyn Iterator<Item = &Track>,
    ) -> Result<bool, StoreError>;
    /// Track snapshots of one audience in `[from, to]`, optionally inside `bbox`, in
    /// time then track order.
    fn query_history(
        &self,
        audience: &str,
        from_ms: TimeMs,
        to_ms: TimeMs,
        bbox: Option<BBox>,
        limit: usize,
    ) -> Result<Vec<TrackSnapshot>, StoreError>;
    /// The newest `limit` snapshots of one track of one audience, oldest first.
    fn track_history(
        &self,
        audience: &str,
        track_id: u64,
        limit: usize,
    ) -> Result<Vec<TrackSnapshot>, StoreError>;
    /// Record an alert; `Ok(false)` when the audience's history holds it already.
    fn insert_alert(&mut self, audience: &str, alert: &Alert) -> Result<bool, StoreError>;
    /// Alerts of one audience in `[from, to]`, newest last.
    fn query_alerts(
        &self,
        audience: &str,
        from_ms: TimeMs,
        to_ms: TimeMs,
        limit: usize,
    ) -> Result<Vec<Alert>, StoreError>;
    /// Record an acknowledgement unless the alert has one already; the one that stands.
    fn acknowledge(&self, ack: &AckRecord) -> Result<AckRecord, StoreError>;
    /// Forget an acknowledgement.
    fn forget_ack(&self, audience: &str, alert: &str) -> Result<(), StoreError>;
    /// Every stored acknowledgement, oldest first.
    fn acks(&self) -> Result<Vec<AckRecord>, StoreError>;
}

// The SQLite store's inherent methods are the implementation (callers that hold a
// `Store` use them without importing the trait).
impl Storage for Store {
    fn append(
        &mut self,
        received_ms: TimeMs,
        batch: &[Observation],
    ) -> Result<Vec<i64>, StoreError> {
        Store::append(self, received_ms, batch)
    }
    fn append_keyed(
        &mut self,
        received_ms: TimeMs,
        batch: &[KeyedRecord<'_>],
    ) -> Result<Vec<Appended>, StoreError> {
        Store::append_keyed(self, received_ms, batch)
    }
    fn append_flush(&mut self, received_ms: TimeMs) -> Result<i64, StoreError> {
        Store::append_flush(self, received_ms)
    }
    fn append_flush_audience(
        &mut self,
        received_ms: TimeMs,
        audience: &str,
    ) -> Result<i64, StoreError> {
        Store::append_flush_audience(self, received_ms, audience)
    }
    fn last_seq(&self) -> Result<i64, StoreError> {
        Store::last_seq(self)
    }
    fn journal_len(&self) -> Result<i64, StoreError> {
        Store::journal_len(self)
    }
    fn read_journal(&self, after: i64, limit: usize) -> Result<Vec<JournalEntry>, StoreError> {
        Store::read_journal(self, after, limit)
    }
    fn compact_journal(&mut self, before_ms: TimeMs) -> Result<usize, StoreError> {
        Store::compact_journal(self, before_ms)
    }
    fn apply_retention(
        &mut self,
        journal_before_ms: Option<TimeMs>,
        history_before_ms: Option<TimeMs>,
        batch: usize,
    ) -> Result<RetentionReport, StoreError> {
        Store::apply_retention(self, journal_before_ms, history_before_ms, batch)
    }
    fn insert_snapshot(
        &mut self,
        audience: &str,
        time_ms: TimeMs,
        tracks: &mut dyn Iterator<Item = &Track>,
    ) -> Result<bool, StoreError> {
        Store::insert_snapshot(self, audience, time_ms, tracks)
    }
    fn query_history(
        &self,
        audience: &str,
        from_ms: TimeMs,
        to_ms: TimeMs,
        bbox: Option<BBox>,
        limit: usize,
    ) -> Result<Vec<TrackSnapshot>, StoreError> {
        Store::query_history(self, audience, from_ms, to_ms, bbox, limit)
    }
    fn track_history(
        &self,
        audience: &str,
        track_id: u64,
        limit: usize,
    ) -> Result<Vec<TrackSnapshot>, StoreError> {
        Store::track_history(self, audience, track_id, limit)
    }
    fn insert_alert(&mut self, audience: &str, alert: &Alert) -> Result<bool, StoreError> {
        Store::insert_alert(self, audience, alert)
    }
    fn query_alerts(
        &self,
        audience: &str,
        from_ms: TimeMs,
        to_ms: TimeMs,
        limit: usize,
    ) -> Result<Vec<Alert>, StoreError> {
        Store::query_alerts(self, audience, from_ms, to_ms, limit)
    }
    fn acknowledge(&self, ack: &AckRecord) -> Result<AckRecord, StoreError> {
        Store::acknowledge(self, ack)
    }
    fn forget_ack(&self, audience: &str, alert: &str) -> Result<(), StoreError> {
        Store::forget_ack(self, audience, alert)
    }
    fn acks(&self) -> Result<Vec<AckRecord>, StoreError> {
        Store::acks(self)
    }
}

/// A boxed store is a store (the runtime and the binary pick the store at start).
impl<S: Storage + ?Sized> Storage for Box<S> {
    fn append(
        &mut self,
        received_ms: TimeMs,
        batch: &[Observation],
    ) -> Result<Vec<i64>, StoreError> {
        (**self).append(received_ms, batch)
    }
    fn append_keyed(
        &mut self,
        received_ms: TimeMs,
        batch: &[KeyedRecord<'_>],
    ) -> Result<Vec<Appended>, StoreError> {
        (**self).append_keyed(received_ms, batch)
    }
    fn append_flush(&mut self, received_ms: TimeMs) -> Result<i64, StoreError> {
        (**self).append_flush(received_ms)
    }
    fn append_flush_audience(
        &mut self,
        received_ms: TimeMs,
        audience: &str,
    ) -> Result<i64, StoreError> {
        (**self).append_flush_audience(received_ms, audience)
    }
    fn last_seq(&self) -> Result<i64, StoreError> {
        (**self).last_seq()
    }
    fn journal_len(&self) -> Result<i64, StoreError> {
        (**self).journal_len()
    }
    fn read_journal(&self, after: i64, limit: usize) -> Result<Vec<JournalEntry>, StoreError> {
        (**self).read_journal(after, limit)
    }
    fn compact_journal(&mut self, before_ms: TimeMs) -> Result<usize, StoreError> {
        (**self).compact_journal(before_ms)
    }
    fn apply_retention(
        &mut self,
        journal_before_ms: Option<TimeMs>,
        history_before_ms: Option<TimeMs>,
        batch: usize,
    ) -> Result<RetentionReport, StoreError> {
        (**self).apply_retention(journal_before_ms, history_before_ms, batch)
    }
    fn insert_snapshot(
        &mut self,
        audience: &str,
        time_ms: TimeMs,
        tracks: &mut dyn Iterator<Item = &Track>,
    ) -> Result<bool, StoreError> {
        (**self).insert_snapshot(audience, time_ms, tracks)
    }
    fn query_history(
        &self,
        audience: &str,
        from_ms: TimeMs,
        to_ms: TimeMs,
        bbox: Option<BBox>,
        limit: usize,
    ) -> Result<Vec<TrackSnapshot>, StoreError> {
        (**self).query_history(audience, from_ms, to_ms, bbox, limit)
    }
    fn track_history(
        &self,
        audience: &str,
        track_id: u64,
        limit: usize,
    ) -> Result<Vec<TrackSnapshot>, StoreError> {
        (**self).track_history(audience, track_id, limit)
    }
    fn insert_alert(&mut self, audience: &str, alert: &Alert) -> Result<bool, StoreError> {
        (**self).insert_alert(audience, alert)
    }
    fn query_alerts(
        &self,
        audience: &str,
        from_ms: TimeMs,
        to_ms: TimeMs,
        limit: usize,
    ) -> Result<Vec<Alert>, StoreError> {
        (**self).query_alerts(audience, from_ms, to_ms, limit)
    }
    fn acknowledge(&self, ack: &AckRecord) -> Result<AckRecord, StoreError> {
        (**self).acknowledge(ack)
    }
    fn forget_ack(&self, audience: &str, alert: &str) -> Result<(), StoreError> {
        (**self).forget_ack(audience, alert)
    }
    fn acks(&self) -> Result<Vec<AckRecord>, StoreError> {
        (**self).acks()
    }
}

#[cfg(test)]
mod object_safe {
    // Compiles only while the trait stays object safe and the SQLite store is Send.
    #[allow(dead_code)]
    fn boxed(s: crate::Store) -> Box<dyn super::Storage + Send> {
        Box::new(s)
    }
}
