//! How records are serialised into a store's rows: one serialisation for every backend,
//! so a label travels with each row byte for byte the same in SQLite and PostgreSQL, and
//! a journal moved from one to the other replays identically.

use biac_model::{Alert, Observation, TimeMs, Track};

use crate::{JournalRecord, StoreError};

/// Body of a flush marker (its `feed` column is empty; no feed has an empty name).
pub const FLUSH_BODY: &str = "\"flush\"";

/// The body of an observation's journal row (its label included).
pub fn encode_observation(o: &Observation) -> String {
    serde_json::to_string(o).expect("observations always serialise")
}

/// The body of an audience flush marker's journal row (its `feed` column is empty).
pub fn encode_flush_audience(audience: &str) -> String {
    serde_json::json!({ "flush_audience": audience }).to_string()
}

/// The body of a track snapshot row.
/// A journal record's row: its feed (empty for a marker), data time (0 for a marker)
/// and body.
pub fn journal_row(r: &crate::JournalRecord) -> (&str, TimeMs, String) {
    match r {
        crate::JournalRecord::Observation(o) => (&o.feed, o.time_ms, encode_observation(o)),
        crate::JournalRecord::Flush => ("", 0, FLUSH_BODY.to_string()),
        crate::JournalRecord::FlushAudience(a) => ("", 0, encode_flush_audience(a)),
    }
}

pub fn encode_track(t: &Track) -> String {
    serde_json::to_string(t).expect("tracks always serialise")
}

/// The body of an alert row.
pub fn encode_alert(a: &Alert) -> String {
    serde_json::to_string(a).expect("alerts always serialise")
}

/// A journal row back into its record; a body that decodes to nothing is
/// [`StoreError::Corrupt`] naming the row's sequence number.
pub fn decode_journal_record(
    seq: i64,
    feed: &str,
    body: &str,
) -> Result<JournalRecord, StoreError> {
    if feed.is_empty() && body == FLUSH_BODY {
        Ok(JournalRecord::Flush)
    } else if feed.is_empty() {
        serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v["flush_audience"].as_str().map(str::to_string))
            .map(JournalRecord::FlushAudience)
            .ok_or_else(|| StoreError::Corrupt {
                seq,
                reason: "a marker that is neither a flush nor an audience flush".into(),
            })
    } else {
        serde_json::from_str(body)
            .map(JournalRecord::Observation)
            .map_err(|e| StoreError::Corrupt {
                seq,
                reason: e.to_string(),
            })
    }
}

/// A track snapshot row back into its track (errors name the snapshot's time).
pub fn decode_track(time_ms: TimeMs, body: &str) -> Result<Track, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt {
        seq: time_ms,
        reason: e.to_string(),
    })
}

/// An alert row back into its alert (errors name the row's id).
pub fn decode_alert(id: i64, body: &str) -> Result<Alert, StoreError> {
    serde_json::from_str(body).map_err(|e| StoreError::Corrupt {
        seq: id,
        reason: e.to_string(),
    })
}
