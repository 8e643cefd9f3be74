//! Why a record was refused: [`DecodeError`] names the feed and the offset, [`Reason`]
//! the failure class with its numbers, so a caller can `match` (count checksum errors,
//! quarantine a clock) instead of reading text. `Display` is the text operators see.

use biac_model::{Classification, FeedFormat, Position, TimeMs};

/// A record that could not be decoded, or was decoded and refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("feed {feed}: record at byte {offset}: {reason}")]
pub struct DecodeError {
    pub feed: String,
    /// Byte offset of the record's first byte in the feed's stream.
    pub offset: u64,
    pub reason: Reason,
}

/// The wire format a record was read as (a [`FeedFormat`] without its parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Wire {
    Ais,
    Sbs,
    Cot,
    Beast,
    Tak,
    Asterix,
    Stanag4607,
    Plots3d,
}

impl Wire {
    pub fn of(format: &FeedFormat) -> Wire {
        match format {
            FeedFormat::Ais => Wire::Ais,
            FeedFormat::Sbs => Wire::Sbs,
            FeedFormat::Cot => Wire::Cot,
            FeedFormat::Beast => Wire::Beast,
            FeedFormat::Tak => Wire::Tak,
            FeedFormat::Asterix { .. } => Wire::Asterix,
            FeedFormat::Stanag4607 { .. } => Wire::Stanag4607,
            FeedFormat::Plots3d { .. } => Wire::Plots3d,
        }
    }
}

impl std::fmt::Display for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Wire::Ais => "AIS",
            Wire::Sbs => "SBS",
            Wire::Cot => "CoT",
            Wire::Beast => "Beast",
            Wire::Tak => "TAK",
            Wire::Asterix => "ASTERIX",
            Wire::Stanag4607 => "STANAG 4607",
            Wire::Plots3d => "plots3d",
        })
    }
}

/// One failure class per variant. The first ones are found by the feed layer (framing,
/// plausibility, the source's clock); [`Reason::Malformed`] carries the format
/// decoder's own account of what in the record is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Reason {
    /// Longer than the framer's record limit: skipped undecoded.
    #[error("record of {len} bytes exceeds the limit; skipped")]
    Oversized { len: usize },
    /// A frame shorter than its own header says.
    #[error("truncated {format} frame ({len} bytes)")]
    Truncated { format: Wire, len: usize },
    /// Bytes after a complete frame within one record.
    #[error("{count} bytes after the {format} frame")]
    TrailingBytes { format: Wire, count: usize },
    /// Decoded, but the position is not a WGS84 position.
    #[error("position {position:?} out of range")]
    PositionOutOfRange { position: Position },
    /// Decoded, but the position error is not a positive number.
    #[error("position error {sigma_m} is not a positive number")]
    BadPositionSigma { sigma_m: f64 },
    /// Stamped further ahead of the receive clock than allowed: the source is
    /// quarantined for `quarantine_ms`.
    #[error(
        "time {time_ms} ms is {:.1} s in the future (limit {:.1} s): source quarantined for {} s",
        *ahead_ms as f64 / 1000.0,
        *limit_ms as f64 / 1000.0,
        quarantine_ms / 1000
    )]
    ClockAhead {
        time_ms: TimeMs,
        ahead_ms: i64,
        limit_ms: i64,
        quarantine_ms: i64,
    },
    /// The source's clock ran ahead recently: its records are refused for `remaining_ms`.
    #[error(
        "source quarantined for {:.1} s more: its clock ran ahead of ours",
        *remaining_ms as f64 / 1000.0
    )]
    Quarantined { remaining_ms: i64 },
    /// Decoded, but labelled above the feed's `max_classification` (its label raised by
    /// a trusted wire marking): refused, so a feed cannot inject into pictures above
    /// what it is accredited for.
    #[error(
        "labelled {}, above the feed's max_classification {}",
        level.as_str(),
        max.as_str()
    )]
    AboveFeedCeiling {
        level: Classification,
        max: Classification,
    },
    /// The record does not parse as `format`; `fault` says what kind of fault, where
    /// and why.
    #[error("{fault}")]
    Malformed { format: Wire, fault: Fault },
}

/// Why a record cannot be encoded (an item or block too long for its count or length
/// octets, an item that does not fit its shape): the input, not a wire fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EncodeError(pub String);

/// What a format decoder found wrong in a record, by the kind a caller may act on (count
/// checksum failures, ignore unsupported types, flag a field). Each kind keeps the
/// decoder's own account of where and why, which is what `Display` prints.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Fault {
    /// A checksum, CRC or parity does not match the content.
    #[error("{0}")]
    Checksum(String),
    /// The record ends before what its header or structure announces.
    #[error("{0}")]
    Truncated(String),
    /// A field is missing, does not parse, or is out of its range; `name` names it
    /// (`"mmsi"`, `"lat"`, `"time"`, …).
    #[error("{detail}")]
    Field { name: &'static str, detail: String },
    /// A well-formed record of a type, version or option this decoder does not read.
    #[error("{0}")]
    Unsupported(String),
    /// Not in the encoding the format requires (ASCII/UTF-8 text, XML, protobuf, JSON).
    #[error("{0}")]
    Encoding(String),
    /// The record's structure is not the format's (delimiters, field count, framing,
    /// lengths that disagree).
    #[error("{0}")]
    Syntax(String),
    /// One part of a multi-part message out of order, or without its earlier parts.
    #[error("{0}")]
    Sequence(String),
}

impl Fault {
    /// A fault in the field `name`.
    pub fn field(name: &'static str, detail: impl Into<String>) -> Fault {
        Fault::Field {
            name,
            detail: detail.into(),
        }
    }

    /// The same fault, its account prefixed with where it was found (`"tag block: …"`).
    pub fn context(self, prefix: impl std::fmt::Display) -> Fault {
        self.map_detail(|d| format!("{prefix}: {d}"))
    }

    /// The same kind of fault with its account rewritten.
    pub(crate) fn map_detail(mut self, f: impl FnOnce(&str) -> String) -> Fault {
        let d = self.detail_mut();
        *d = f(d);
        self
    }

    /// The decoder's account, without the kind.
    pub fn detail(&self) -> &str {
        match self {
            Fault::Checksum(d)
            | Fault::Truncated(d)
            | Fault::Unsupported(d)
            | Fault::Encoding(d)
            | Fault::Syntax(d)
            | Fault::Sequence(d)
            | Fault::Field { detail: d, .. } => d,
        }
    }

    fn detail_mut(&mut self) -> &mut String {
        match self {
            Fault::Checksum(d)
            | Fault::Truncated(d)
            | Fault::Unsupported(d)
            | Fault::Encoding(d)
            | Fault::Syntax(d)
            | Fault::Sequence(d)
            | Fault::Field { detail: d, .. } => d,
        }
    }
}
