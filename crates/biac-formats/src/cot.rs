//! Cursor-on-Target XML events (MITRE base schema).
//! (Skeleton signatures; the implementation is in progress.)

use biac_model::{FeedConfig, Observation, TimeMs};

/// A CoT event. `detail` is kept as raw XML (its inner content).
#[derive(Clone, Debug, PartialEq)]
pub struct CotEvent {
    pub uid: String,
    /// e.g. `a-h-S`, `a-u-A`.
    pub cot_type: String,
    /// e.g. `m-r`, `m-f`, `h-e`.
    pub how: String,
    pub time_ms: i64,
    pub start_ms: i64,
    pub stale_ms: i64,
    pub lat: f64,
    pub lon: f64,
    /// Height above ellipsoid, metres (9999999.0 = unknown, per the schema).
    pub hae: f64,
    /// Circular error, metres (9999999.0 = unknown).
    pub ce: f64,
    pub le: f64,
    /// Course (degrees) and speed (m/s) from `<track>`, when present.
    pub course_deg: Option<f64>,
    pub speed_mps: Option<f64>,
    /// `<contact callsign=...>`.
    pub callsign: Option<String>,
    /// Event-level `access` attribute and `caveat` / `releasableTo` markings.
    pub access: Option<String>,
    pub caveat: Option<String>,
    pub releasable_to: Option<String>,
    /// Detail XML children other than the typed ones, kept verbatim.
    pub extra_detail: String,
}

/// Parse one `<event>` element.
pub fn parse_event(_xml: &[u8]) -> Result<CotEvent, String> {
    todo!("CoT parser")
}

impl CotEvent {
    /// Serialise as one XML `<event>` (with XML declaration omitted).
    pub fn to_xml(&self) -> String {
        todo!("CoT writer")
    }
}

/// Decode one CoT event from a feed into observations (`a-*` atoms only; pings and
/// other non-atom types yield none).
pub fn decode_observation(
    _cfg: &FeedConfig,
    _xml: &[u8],
    _now_ms: TimeMs,
) -> Result<Vec<Observation>, String> {
    todo!("CoT normaliser")
}
