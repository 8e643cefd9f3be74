//! AIS: NMEA 0183 `!AIVDM`/`!AIVDO` sentences with NMEA 4 tag blocks.
//!
//! Every ITU-R M.1371 message type 1–27 decodes to a typed [`AisMessage`] with its
//! wire values unscaled; binary messages (6, 8) carry DAC/FID, the payload bits and,
//! for the application messages gpsd decodes, the payload taken apart
//! ([`Application`]). [`GpsdJsonWriter`] writes gpsd's unscaled JSON
//! (`gpsdecode -u -j`), equal to gpsd's on all 97 messages of its regression sample.
//!
//! Layers, each public so tools can stop at the one they need:
//! [`Sentence::parse`] (checksum, fields, tag block) -> [`Reassembler`] (fragments)
//! -> [`decode_bits`] (typed [`AisMessage`]) -> [`AisNormaliser`] (observations,
//! with static data remembered per MMSI). [`AisDecoder`] and [`decode_sentence`]
//! combine the first three.

use std::collections::{HashMap, VecDeque};

use crate::Fault;
use biac_model::{
    Domain, FeedConfig, Identity, Observation, ObservationKind, Position, TimeMs, Velocity,
};

mod application;
mod bits;
mod gpsd;
mod message;
mod nmea;
mod reassembly;

pub use application::{Application, MetHydro, Tidal, VtsTarget, BERTH_SERVICES};
pub use bits::{BitWriter, Bits, MAX_MESSAGE_BITS};
pub use gpsd::{gpsd_json, GpsdJsonWriter};
pub use message::{
    course_deg, decode_bits, heading_deg, lat_lon_deg, speed_knots, Acknowledge, AidToNavigation,
    AisMessage, AssignedMode, BaseStationReport, BinaryAddressed, BinaryBroadcast, BinaryData,
    BinarySlot, ChannelManagement, ChannelTarget, ClassAPosition, ClassBExtended, ClassBPosition,
    DataLinkManagement, GnssBroadcast, GroupAssignment, Interrogation, LongRangePosition,
    SafetyAddressed, SafetyBroadcast, SarAircraftPosition, SlotReservation, StaticDataPart,
    StaticDataReference, StaticDataReport, StaticVoyageReport, UtcInquiry, COURSE_NOT_AVAILABLE,
    HEADING_NOT_AVAILABLE, LAT_NOT_AVAILABLE, LON_NOT_AVAILABLE, SPEED_NOT_AVAILABLE,
};
pub use nmea::{checksum, Sentence, TagBlock};
pub use reassembly::{Assembled, Reassembler, FRAGMENT_TIMEOUT_MS, MAX_PENDING};

const KNOT_MPS: f64 = 1852.0 / 3600.0;

/// One-sigma position error for the accuracy flag. The flag says < 10 m (DGNSS,
/// flag 1) or > 10 m (autonomous GNSS, flag 0), both at 95%; on top of that come the
/// antenna offset from the ship's reference point and the age of the fix (a
/// transponder reports the last fix it had, up to a second or two old), so the
/// sigmas are wider than the bare GNSS figures.
const SIGMA_HIGH_ACCURACY_M: f64 = 10.0;
const SIGMA_LOW_ACCURACY_M: f64 = 30.0;
/// Type 27 positions are quantised to 1/10 minute (about 185 m).
const SIGMA_LONG_RANGE_M: f64 = 100.0;
/// SOG is 0.1 kn and COG 0.1 degree resolution; GNSS velocity noise dominates.
const VEL_SIGMA_MPS: f64 = 0.3;
/// Ships whose static data is remembered; beyond this the oldest is forgotten.
pub const MAX_STATIC_ENTRIES: usize = 100_000;

/// A complete message and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub message: AisMessage,
    pub tag: Option<TagBlock>,
    pub channel: Option<char>,
    /// From a `VDO` sentence (the receiver's own ship).
    pub own_ship: bool,
}

/// Sentence-level decoder: parses, reassembles and decodes to [`AisMessage`].
#[derive(Default)]
pub struct AisDecoder {
    reassembler: Reassembler,
}

impl AisDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Decode one line. `Ok(None)` for a fragment awaiting the rest of its message.
    pub fn decode_line(&mut self, line: &[u8], now_ms: TimeMs) -> Result<Option<Decoded>, Fault> {
        self.decode(Sentence::parse(line)?, now_ms)
    }

    /// Decode a sentence already parsed (for a caller that looks at it first, e.g. to
    /// report its [`Sentence::trailer`]). `Ok(None)` as for [`Self::decode_line`].
    pub fn decode(&mut self, s: Sentence, now_ms: TimeMs) -> Result<Option<Decoded>, Fault> {
        let Some(a) = self.reassembler.push(s, now_ms)? else {
            return Ok(None);
        };
        Ok(Some(Decoded {
            message: decode_bits(&a.bits)?,
            tag: a.tag,
            channel: a.channel,
            own_ship: a.own_ship,
        }))
    }
}

/// Decode a single-fragment sentence (with or without tag block) statelessly.
pub fn decode_sentence(line: &[u8]) -> Result<AisMessage, Fault> {
    let s = Sentence::parse(line)?;
    if s.fragment_count != 1 {
        return Err(Fault::Unsupported(format!(
            "fragment {} of {}: multi-fragment messages need an AisDecoder",
            s.fragment_number, s.fragment_count
        )));
    }
    decode_payload(s.payload.as_bytes(), s.fill_bits)
}

/// Decode an armoured payload.
pub fn decode_payload(payload: &[u8], fill_bits: u8) -> Result<AisMessage, Fault> {
    decode_bits(&Bits::from_payload(payload, fill_bits)?)
}

/// What static reports (types 5, 19, 24) said about a ship; `None` = not said yet.
#[derive(Default)]
struct ShipStatic {
    name: Option<String>,
    callsign: Option<String>,
    imo: Option<u32>,
    ship_type: Option<u8>,
    /// Length and beam, metres.
    dims: Option<(u16, u16)>,
}

impl ShipStatic {
    fn named(name: &str) -> Self {
        ShipStatic {
            name: text(name),
            ..ShipStatic::default()
        }
    }
}

/// AIS text fields: empty means "not available".
fn text(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// Ship and cargo type 0 means "not available".
fn ship_type(t: u8) -> Option<u8> {
    (t != 0).then_some(t)
}

/// Length and beam from the reference point's offsets; all zero means "not available".
/// The offsets saturate at their field maxima (511/63 m), so the sums do too.
fn dims(to_bow: u16, to_stern: u16, to_port: u8, to_starboard: u8) -> Option<(u16, u16)> {
    let length = to_bow + to_stern;
    let beam = u16::from(to_port) + u16::from(to_starboard);
    (length > 0 && beam > 0).then_some((length, beam))
}

/// Static data per MMSI, bounded: first in, first out beyond the cap.
#[derive(Default)]
struct StaticStore {
    map: HashMap<u32, ShipStatic>,
    order: VecDeque<u32>,
}

impl StaticStore {
    /// Merge what a report says; fields it does not say keep their earlier value.
    fn update(&mut self, mmsi: u32, said: ShipStatic) {
        let entry = self.map.entry(mmsi).or_insert_with(|| {
            self.order.push_back(mmsi);
            ShipStatic::default()
        });
        if said.name.is_some() {
            entry.name = said.name;
        }
        if said.callsign.is_some() {
            entry.callsign = said.callsign;
        }
        entry.imo = said.imo.or(entry.imo);
        entry.ship_type = said.ship_type.or(entry.ship_type);
        entry.dims = said.dims.or(entry.dims);
        while self.map.len() > MAX_STATIC_ENTRIES {
            match self.order.pop_front() {
                Some(old) => {
                    self.map.remove(&old);
                }
                None => break,
            }
        }
    }

    fn get(&self, mmsi: u32) -> Option<&ShipStatic> {
        self.map.get(&mmsi)
    }
}

/// What a position-bearing message says, in engineering units.
struct Fix {
    lat_lon: Option<(f64, f64)>,
    alt_m: Option<f64>,
    speed_kn: Option<f64>,
    course_deg: Option<f64>,
    sigma_m: f64,
    /// UTC second of the report (0..59), when the message has one.
    second: Option<u8>,
    domain: Domain,
    name: Option<String>,
}

/// The error model of a fix from its position-accuracy and RAIM flags. The
/// accuracy figures hold for a fault-free fix; without RAIM (receiver autonomous
/// integrity monitoring) a fix from a faulty satellite goes unflagged, so the sigma
/// is widened to cover that heavier tail.
fn accuracy_sigma(accuracy: bool, raim: bool) -> f64 {
    let sigma = if accuracy {
        SIGMA_HIGH_ACCURACY_M
    } else {
        SIGMA_LOW_ACCURACY_M
    };
    if raim {
        sigma
    } else {
        sigma * NO_RAIM_FACTOR
    }
}

/// Widening of the sigma when RAIM is not in use.
const NO_RAIM_FACTOR: f64 = 1.5;

fn second_of(raw: u8) -> Option<u8> {
    (raw < 60).then_some(raw)
}

/// Stateful AIS decoder for one feed: reassembles fragments, remembers static data per MMSI.
#[derive(Default)]
pub struct AisNormaliser {
    decoder: AisDecoder,
    statics: StaticStore,
}

impl AisNormaliser {
    pub fn decode(
        &mut self,
        cfg: &FeedConfig,
        line: &[u8],
        now_ms: TimeMs,
    ) -> Result<Vec<Observation>, Fault> {
        match self.decoder.decode_line(line, now_ms)? {
            Some(d) => self.observe(cfg, d, now_ms),
            None => Ok(vec![]),
        }
    }

    fn observe(
        &mut self,
        cfg: &FeedConfig,
        d: Decoded,
        now_ms: TimeMs,
    ) -> Result<Vec<Observation>, Fault> {
        let mmsi = d.message.mmsi();
        if mmsi == 0 || mmsi > 999_999_999 {
            return Err(Fault::field("mmsi", format!("invalid MMSI {mmsi}")));
        }
        let fix = match &d.message {
            // Binary, safety, acknowledgement and link management messages carry
            // no report of the sender's own position.
            AisMessage::Other { .. }
            | AisMessage::BinaryAddressed(_)
            | AisMessage::Acknowledge(_)
            | AisMessage::BinaryBroadcast(_)
            | AisMessage::UtcInquiry(_)
            | AisMessage::SafetyAddressed(_)
            | AisMessage::SafetyBroadcast(_)
            | AisMessage::Interrogation(_)
            | AisMessage::AssignedMode(_)
            | AisMessage::GnssBroadcast(_)
            | AisMessage::DataLinkManagement(_)
            | AisMessage::ChannelManagement(_)
            | AisMessage::GroupAssignment(_)
            | AisMessage::BinarySlot(_) => return Ok(vec![]),
            AisMessage::StaticVoyage(m) => {
                let v = &m.data;
                self.statics.update(
                    mmsi,
                    ShipStatic {
                        name: text(&v.shipname),
                        callsign: text(&v.callsign),
                        imo: (v.imo != 0).then_some(v.imo),
                        ship_type: ship_type(v.shiptype),
                        dims: dims(v.to_bow, v.to_stern, v.to_port, v.to_starboard),
                    },
                );
                return Ok(vec![]);
            }
            AisMessage::StaticData(m) => {
                let said = match &m.part {
                    StaticDataPart::A { shipname } => ShipStatic::named(shipname),
                    StaticDataPart::B {
                        shiptype,
                        callsign,
                        reference,
                        ..
                    } => ShipStatic {
                        callsign: text(callsign),
                        ship_type: ship_type(*shiptype),
                        dims: match *reference {
                            StaticDataReference::Dimensions {
                                to_bow,
                                to_stern,
                                to_port,
                                to_starboard,
                            } => dims(to_bow, to_stern, to_port, to_starboard),
                            StaticDataReference::Mothership(_) => None,
                        },
                        ..ShipStatic::default()
                    },
                };
                self.statics.update(mmsi, said);
                return Ok(vec![]);
            }
            AisMessage::ClassAPosition(m) => Fix {
                lat_lon: lat_lon_deg(m.lat, m.lon),
                alt_m: None,
                speed_kn: speed_knots(m.speed),
                course_deg: course_deg(m.course),
                sigma_m: accuracy_sigma(m.accuracy, m.raim),
                second: second_of(m.second),
                domain: Domain::Surface,
                name: None,
            },
            AisMessage::ClassBPosition(m) => Fix {
                lat_lon: lat_lon_deg(m.lat, m.lon),
                alt_m: None,
                speed_kn: speed_knots(m.speed),
                course_deg: course_deg(m.course),
                sigma_m: accuracy_sigma(m.accuracy, m.raim),
                second: second_of(m.second),
                domain: Domain::Surface,
                name: None,
            },
            AisMessage::ClassBExtended(m) => {
                self.statics.update(
                    mmsi,
                    ShipStatic {
                        ship_type: ship_type(m.shiptype),
                        dims: dims(m.to_bow, m.to_stern, m.to_port, m.to_starboard),
                        ..ShipStatic::named(&m.shipname)
                    },
                );
                Fix {
                    lat_lon: lat_lon_deg(m.lat, m.lon),
                    alt_m: None,
                    speed_kn: speed_knots(m.speed),
                    course_deg: course_deg(m.course),
                    sigma_m: accuracy_sigma(m.accuracy, m.raim),
                    second: second_of(m.second),
                    domain: Domain::Surface,
                    name: None,
                }
            }
            AisMessage::SarAircraft(m) => Fix {
                lat_lon: lat_lon_deg(m.lat, m.lon),
                // 4095 = not available; 4094 means 4094 m or higher.
                alt_m: (m.alt < 4095).then(|| f64::from(m.alt)),
                // Type 9 speed is whole knots, 1023 = not available.
                speed_kn: (m.speed < 1023).then(|| f64::from(m.speed)),
                course_deg: course_deg(m.course),
                sigma_m: accuracy_sigma(m.accuracy, m.raim),
                second: second_of(m.second),
                domain: Domain::Air,
                name: None,
            },
            AisMessage::AidToNavigation(m) => {
                // A virtual aid marks a charted position where nothing floats:
                // nothing there to track.
                if m.virtual_aid {
                    return Ok(vec![]);
                }
                Fix {
                    lat_lon: lat_lon_deg(m.lat, m.lon),
                    alt_m: None,
                    speed_kn: None,
                    course_deg: None,
                    sigma_m: accuracy_sigma(m.accuracy, m.raim),
                    second: second_of(m.second),
                    domain: Domain::Surface,
                    name: Some(m.name.clone()).filter(|n| !n.is_empty()),
                }
            }
            // A base station is a fixed installation ashore.
            AisMessage::BaseStation(m) => Fix {
                lat_lon: lat_lon_deg(m.lat, m.lon),
                alt_m: None,
                speed_kn: None,
                course_deg: None,
                sigma_m: accuracy_sigma(m.accuracy, m.raim),
                second: None,
                domain: Domain::Ground,
                name: None,
            },
            AisMessage::LongRange(m) => Fix {
                lat_lon: (m.lat != 91 * 600 && m.lon != 181 * 600)
                    .then(|| (f64::from(m.lat) / 600.0, f64::from(m.lon) / 600.0)),
                alt_m: None,
                speed_kn: (m.speed < 63).then(|| f64::from(m.speed)),
                course_deg: (m.course < 360).then(|| f64::from(m.course)),
                sigma_m: SIGMA_LONG_RANGE_M,
                second: None,
                domain: Domain::Surface,
                name: None,
            },
        };
        let Some((lat, lon)) = fix.lat_lon else {
            // Valid report from a unit without a position fix.
            return Ok(vec![]);
        };
        let position = Position {
            lat_deg: lat,
            lon_deg: lon,
            alt_m: fix.alt_m,
        };
        if !position.is_valid() {
            return Err(Fault::field(
                "position",
                format!("position out of range: lat {lat}, lon {lon}"),
            ));
        }
        let velocity = fix
            .speed_kn
            .zip(fix.course_deg)
            .map(|(kn, cog)| Velocity::from_sog_cog(kn * KNOT_MPS, cog));
        let tag = d.tag.unwrap_or_default();
        let base = tag.time_ms.unwrap_or(now_ms);
        let time_ms = fix.second.map_or(base, |s| refine_to_second(base, s));
        let stored = self.statics.get(mmsi);
        let identity = Identity {
            mmsi: Some(mmsi),
            callsign: stored.and_then(|s| s.callsign.clone()),
            name: fix.name.or_else(|| stored.and_then(|s| s.name.clone())),
            imo: stored.and_then(|s| s.imo),
            ship_type: stored.and_then(|s| s.ship_type),
            length_m: stored.and_then(|s| s.dims).map(|d| d.0),
            beam_m: stored.and_then(|s| s.dims).map(|d| d.1),
            ..Identity::default()
        };
        Ok(vec![Observation {
            time_ms,
            position,
            pos_sigma_m: fix.sigma_m,
            vel_sigma_mps: velocity.map(|_| VEL_SIGMA_MPS),
            velocity,
            identity,
            domain: fix.domain,
            affiliation: None,
            kind: ObservationKind::SelfReport,
            feed: cfg.name.clone(),
            sensor: tag.source.unwrap_or_default(),
            label: cfg.default_label.clone(),
            polar: None,
        }])
    }
}

/// The report's own UTC second pins its time within the seconds before `base_ms`
/// (the receive time): a transponder sends its fix within a second or two. Only
/// looks back up to [`MAX_SECOND_LAG_S`]; a larger gap means the clocks (or the
/// sender's second field) disagree, and the receive time is kept.
fn refine_to_second(base_ms: TimeMs, second: u8) -> TimeMs {
    let base_s = base_ms.div_euclid(1000);
    let back = (base_s.rem_euclid(60) - i64::from(second)).rem_euclid(60);
    if back <= MAX_SECOND_LAG_S {
        (base_s - back) * 1000
    } else {
        base_ms
    }
}

/// Largest lag between a report's UTC second and its receipt that is believed.
pub const MAX_SECOND_LAG_S: i64 = 10;

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

/// Degrees to 1/10000 minute; non-finite or out of range becomes "not available".
fn encode_angle(deg: f64, limit: f64, not_available: i32) -> i64 {
    if deg.is_finite() && deg.abs() <= limit {
        (deg * 600_000.0).round() as i64
    } else {
        i64::from(not_available)
    }
}

/// Encode a position report to its 6-bit armoured payload (168 bits, fill 0).
///
/// Scaling: SOG to 0.1 kn (capped at 102.2, None = 1023), COG to 0.1 degree
/// (None = 3600), heading modulo 360 (None = 511); a latitude/longitude that is not
/// finite or out of range is sent as "not available". A `msg_type` other than
/// 1, 2, 3 or 18 is sent as type 1. Class A reports carry rate of turn "not
/// available"; class B ones flag a carrier-sense unit.
pub fn encode_position_report(r: &PositionReport) -> (String, u8) {
    let speed = r
        .sog_knots
        .filter(|k| k.is_finite() && *k >= 0.0)
        .map_or(u64::from(SPEED_NOT_AVAILABLE), |k| {
            (k * 10.0).round().min(1022.0) as u64
        });
    let course = r
        .cog_deg
        .filter(|c| c.is_finite())
        .map_or(u64::from(COURSE_NOT_AVAILABLE), |c| {
            ((c.rem_euclid(360.0) * 10.0).round() as u64) % 3600
        });
    let heading = r
        .heading_deg
        .map_or(u64::from(HEADING_NOT_AVAILABLE), |h| u64::from(h % 360));
    let lat = encode_angle(r.lat_deg, 90.0, LAT_NOT_AVAILABLE);
    let lon = encode_angle(r.lon_deg, 180.0, LON_NOT_AVAILABLE);
    let second = u64::from(r.second.min(63));
    let mut w = BitWriter::new();
    if r.msg_type == 18 {
        w.u(18, 6)
            .u(0, 2)
            .u(u64::from(r.mmsi), 30)
            .u(0, 8)
            .u(speed, 10)
            .flag(r.position_accuracy)
            .i(lon, 28)
            .i(lat, 27)
            .u(course, 12)
            .u(heading, 9)
            .u(second, 6)
            .u(0, 2) // regional
            .flag(true) // carrier-sense unit
            .flag(false) // display
            .flag(false) // DSC
            .flag(true) // whole marine band
            .flag(false) // message 22
            .flag(false) // assigned
            .flag(false) // RAIM
            .u(0, 20);
    } else {
        let t = if matches!(r.msg_type, 1..=3) {
            r.msg_type
        } else {
            1
        };
        w.u(u64::from(t), 6)
            .u(0, 2)
            .u(u64::from(r.mmsi), 30)
            .u(u64::from(r.nav_status & 0x0f), 4)
            .i(-128, 8) // rate of turn not available
            .u(speed, 10)
            .flag(r.position_accuracy)
            .i(lon, 28)
            .i(lat, 27)
            .u(course, 12)
            .u(heading, 9)
            .u(second, 6)
            .u(0, 2) // manoeuvre
            .u(0, 3) // spare
            .flag(false) // RAIM
            .u(0, 19);
    }
    w.armour()
}

/// Encode type 5 to its payload (424 bits; returns payload and fill bits).
///
/// Text is upper-cased and cut to its field (callsign 7, name and destination 20
/// characters); dimensions saturate at their field maxima. EPFD is GPS and the ETA
/// "not available".
pub fn encode_static_voyage(s: &StaticVoyage) -> (String, u8) {
    let mut w = BitWriter::new();
    w.u(5, 6)
        .u(0, 2)
        .u(u64::from(s.mmsi), 30)
        .u(0, 2) // AIS version
        .u(u64::from(s.imo), 30)
        .text(&s.callsign, 7)
        .text(&s.shipname, 20)
        .u(u64::from(s.shiptype), 8)
        .u(u64::from(s.to_bow.min(511)), 9)
        .u(u64::from(s.to_stern.min(511)), 9)
        .u(u64::from(s.to_port.min(63)), 6)
        .u(u64::from(s.to_starboard.min(63)), 6)
        .u(1, 4) // EPFD: GPS
        .u(0, 4) // ETA month n/a
        .u(0, 5) // day n/a
        .u(24, 5) // hour n/a
        .u(60, 6) // minute n/a
        .u(u64::from(s.draught_dm), 8)
        .text(&s.destination, 20)
        .flag(false) // DTE available
        .u(0, 1);
    w.armour()
}

/// Wrap a payload in `!AIVDM` sentences (splitting into fragments of at most 60
/// payload characters, with sequential message id `seq_id` when more than one),
/// each with a correct checksum, on `channel` ('A' or 'B'). When `tag` is given, each
/// sentence is prefixed with an NMEA 4 tag block `\s:<source>,c:<unix seconds>*hh\`
/// (on the first fragment only, as receivers do).
pub fn to_sentences(
    payload: &str,
    fill_bits: u8,
    channel: char,
    seq_id: u8,
    tag: Option<(&str, i64)>,
) -> Vec<String> {
    let chars: Vec<char> = payload.chars().collect();
    let chunks: Vec<String> = if chars.is_empty() {
        vec![String::new()]
    } else {
        chars.chunks(60).map(|c| c.iter().collect()).collect()
    };
    let n = chunks.len();
    let seq = if n > 1 {
        (seq_id % 10).to_string()
    } else {
        String::new()
    };
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            let fill = if i + 1 == n { fill_bits } else { 0 };
            let body = format!("AIVDM,{n},{},{seq},{channel},{chunk},{fill}", i + 1);
            let prefix = match (i, tag) {
                (0, Some((source, secs))) => TagBlock::write(source, secs),
                _ => String::new(),
            };
            format!("{prefix}!{body}*{:02X}", checksum(body.as_bytes()))
        })
        .collect()
}

#[cfg(test)]
mod tests;
