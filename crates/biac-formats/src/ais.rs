//! AIS: NMEA 0183 `!AIVDM`/`!AIVDO` sentences with NMEA 4 tag blocks.
//! (Skeleton signatures; the implementation is in progress.)

use biac_model::{FeedConfig, Observation, TimeMs};

/// Stateful AIS decoder for one feed: reassembles fragments, remembers static data per MMSI.
#[derive(Default)]
pub struct AisNormaliser {}

impl AisNormaliser {
    pub fn decode(
        &mut self,
        _cfg: &FeedConfig,
        _line: &[u8],
        _now_ms: TimeMs,
    ) -> Result<Vec<Observation>, String> {
        todo!("AIS decoder")
    }
}

/// Fields of a class A position report (types 1, 2, 3) or class B (type 18), in
/// engineering units; the encoder scales them to the wire.
#[derive(Clone, Debug, PartialEq)]
pub struct PositionReport {
    /// 1, 2, 3 (class A) or 18 (class B).
    pub msg_type: u8,
    pub mmsi: u32,
    /// Navigation status 0..15 (class A only; 15 = not defined).
    pub nav_status: u8,
    /// Knots; None = not available.
    pub sog_knots: Option<f64>,
    pub position_accuracy: bool,
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Degrees true; None = not available.
    pub cog_deg: Option<f64>,
    /// Degrees true; None = 511 (not available).
    pub heading_deg: Option<u16>,
    /// UTC second of the report, 0..59.
    pub second: u8,
}

/// Static and voyage data (type 5).
#[derive(Clone, Debug, PartialEq)]
pub struct StaticVoyage {
    pub mmsi: u32,
    pub imo: u32,
    pub callsign: String,
    pub shipname: String,
    pub shiptype: u8,
    pub to_bow: u16,
    pub to_stern: u16,
    pub to_port: u8,
    pub to_starboard: u8,
    pub destination: String,
    pub draught_dm: u8,
}

/// Encode a position report to its 6-bit armoured payload (168 bits, fill 0).
pub fn encode_position_report(_r: &PositionReport) -> (String, u8) {
    todo!("AIS encoder")
}

/// Encode type 5 to its payload (424 bits; returns payload and fill bits).
pub fn encode_static_voyage(_s: &StaticVoyage) -> (String, u8) {
    todo!("AIS encoder")
}

/// Wrap a payload in `!AIVDM` sentences (splitting into fragments of at most 60
/// payload characters, with sequential message id `seq_id` when more than one),
/// each with a correct checksum, on `channel` ('A' or 'B'). When `tag` is given, each
/// sentence is prefixed with an NMEA 4 tag block `\s:<source>,c:<unix seconds>*hh\`
/// (on the first fragment only, as receivers do).
pub fn to_sentences(
    _payload: &str,
    _fill_bits: u8,
    _channel: char,
    _seq_id: u8,
    _tag: Option<(&str, i64)>,
) -> Vec<String> {
    todo!("AIS sentence writer")
}
