//! The audit record: one release decision, serialised canonically as one JSON line.

use serde::{Deserialize, Serialize};

/// Whether the egress guard released the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allow,
    Deny,
}

/// Who asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// ISO 3166 trigraph of the subject's nation, e.g. "JPN".
    pub nation: String,
    /// The subject's clearance as the label crate renders it, e.g. "SECRET".
    pub clearance: String,
    /// The authenticated principal (user or token name), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
}

/// What was asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Object {
    /// e.g. "track", "alert", "observation", "zone".
    pub kind: String,
    pub id: String,
}

/// One release decision. The field order here is the serialised order; the leaf of the
/// Merkle tree is the exact line stored, so the bytes, not this struct, are what is signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Milliseconds since the Unix epoch.
    pub time_ms: i64,
    pub subject: Subject,
    /// e.g. "read", "subscribe", "export".
    pub action: String,
    pub object: Object,
    /// The object's marking string, e.g. "SECRET//REL TO JPN, AUS".
    pub marking: String,
    pub decision: Decision,
    /// The egress point, e.g. "http:/api/v1/tracks" or "cot:8087".
    pub egress: String,
}

impl Entry {
    /// The canonical line (without the newline): compact JSON in field order. JSON escapes
    /// control characters in strings, so the line never contains a newline.
    pub fn to_line(&self) -> Vec<u8> {
        // Serialising plain strings, integers and enums to JSON cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses one stored line; `Err` names the reason.
    pub fn from_line(line: &[u8]) -> Result<Entry, EntryError> {
        let text = std::str::from_utf8(line).map_err(|_| EntryError::Utf8)?;
        serde_json::from_str(text).map_err(|e| EntryError::NotAnEntry(e.to_string()))
    }
}

/// Why a line of `log.jsonl` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("invalid UTF-8")]
    Utf8,
    #[error("not an audit entry: {0}")]
    NotAnEntry(String),
    #[error("incomplete last line (torn write?)")]
    TornLine,
    #[error("not in canonical form")]
    NotCanonical,
    #[error("no such entry")]
    Missing,
}
