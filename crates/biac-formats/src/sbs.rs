//! SBS-1 BaseStation CSV (the port 30003 format of dump1090 and friends).
//! (Skeleton signatures; the implementation is in progress.)

use biac_model::{FeedConfig, Observation, TimeMs};

/// Stateful SBS decoder for one feed: remembers callsign and velocity per ICAO address,
/// since they arrive in other message types than the position.
#[derive(Default)]
pub struct SbsNormaliser {}

impl SbsNormaliser {
    pub fn decode(
        &mut self,
        _cfg: &FeedConfig,
        _line: &[u8],
        _now_ms: TimeMs,
    ) -> Result<Vec<Observation>, String> {
        todo!("SBS decoder")
    }
}

/// An SBS `MSG` line. Fields not given are written empty.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SbsMsg {
    /// Transmission type 1..8 (1 identity, 3 airborne position, 4 airborne velocity).
    pub transmission: u8,
    pub icao: u32,
    /// Time generated/logged, ms since the Unix epoch (written as date and time fields).
    pub time_ms: i64,
    pub callsign: Option<String>,
    pub altitude_ft: Option<i32>,
    pub ground_speed_kt: Option<f64>,
    pub track_deg: Option<f64>,
    pub lat_deg: Option<f64>,
    pub lon_deg: Option<f64>,
    pub vertical_rate_fpm: Option<i32>,
    pub squawk: Option<u16>,
    pub on_ground: Option<bool>,
}

/// Format one `MSG,...` line (no line terminator).
pub fn format_line(_m: &SbsMsg) -> String {
    todo!("SBS writer")
}
