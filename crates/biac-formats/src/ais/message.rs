//! Typed AIS messages (ITU-R M.1371-5) with their wire values kept unscaled, so
//! nothing is lost in decoding; accessors give engineering units.
//!
//! Field names follow gpsd's AIVDM documentation so the unscaled JSON writer is a
//! direct mapping.

use super::application::{decode_application, Application};
use super::bits::Bits;
use super::StaticVoyage;
use crate::Fault;

/// Latitude "not available" (91 degrees in 1/10000 minute).
pub const LAT_NOT_AVAILABLE: i32 = 91 * 600_000;
/// Longitude "not available" (181 degrees in 1/10000 minute).
pub const LON_NOT_AVAILABLE: i32 = 181 * 600_000;
/// Speed over ground "not available" (tenths of a knot).
pub const SPEED_NOT_AVAILABLE: u16 = 1023;
/// Course over ground "not available" (tenths of a degree).
pub const COURSE_NOT_AVAILABLE: u16 = 3600;
/// True heading "not available".
pub const HEADING_NOT_AVAILABLE: u16 = 511;

/// A decoded AIS message of a supported type.
#[derive(Clone, Debug, PartialEq)]
pub enum AisMessage {
    /// Types 1, 2, 3.
    ClassAPosition(ClassAPosition),
    /// Types 4 (base station report) and 11 (UTC/date response).
    BaseStation(BaseStationReport),
    /// Type 5.
    StaticVoyage(StaticVoyageReport),
    /// Type 9.
    SarAircraft(SarAircraftPosition),
    /// Type 18.
    ClassBPosition(ClassBPosition),
    /// Type 19.
    ClassBExtended(ClassBExtended),
    /// Type 21.
    AidToNavigation(AidToNavigation),
    /// Type 24, part A or B.
    StaticData(StaticDataReport),
    /// Type 27.
    LongRange(LongRangePosition),
    /// Type 6.
    BinaryAddressed(BinaryAddressed),
    /// Types 7 (binary acknowledge) and 13 (safety related acknowledge).
    Acknowledge(Acknowledge),
    /// Type 8.
    BinaryBroadcast(BinaryBroadcast),
    /// Type 10.
    UtcInquiry(UtcInquiry),
    /// Type 12.
    SafetyAddressed(SafetyAddressed),
    /// Type 14.
    SafetyBroadcast(SafetyBroadcast),
    /// Type 15.
    Interrogation(Interrogation),
    /// Type 16.
    AssignedMode(AssignedMode),
    /// Type 17.
    GnssBroadcast(GnssBroadcast),
    /// Type 20.
    DataLinkManagement(DataLinkManagement),
    /// Type 22.
    ChannelManagement(ChannelManagement),
    /// Type 23.
    GroupAssignment(GroupAssignment),
    /// Types 25 (single slot) and 26 (multiple slot) binary messages.
    BinarySlot(BinarySlot),
    /// Kept for callers that match on it; the decoder now takes every defined type
    /// (1–27) apart and no longer produces it.
    Other { msg_type: u8, repeat: u8, mmsi: u32 },
}

impl AisMessage {
    pub fn msg_type(&self) -> u8 {
        match self {
            AisMessage::ClassAPosition(m) => m.msg_type,
            AisMessage::BaseStation(m) => m.msg_type,
            AisMessage::StaticVoyage(_) => 5,
            AisMessage::SarAircraft(_) => 9,
            AisMessage::ClassBPosition(_) => 18,
            AisMessage::ClassBExtended(_) => 19,
            AisMessage::AidToNavigation(_) => 21,
            AisMessage::StaticData(_) => 24,
            AisMessage::LongRange(_) => 27,
            AisMessage::BinaryAddressed(_) => 6,
            AisMessage::Acknowledge(m) => m.msg_type,
            AisMessage::BinaryBroadcast(_) => 8,
            AisMessage::UtcInquiry(_) => 10,
            AisMessage::SafetyAddressed(_) => 12,
            AisMessage::SafetyBroadcast(_) => 14,
            AisMessage::Interrogation(_) => 15,
            AisMessage::AssignedMode(_) => 16,
            AisMessage::GnssBroadcast(_) => 17,
            AisMessage::DataLinkManagement(_) => 20,
            AisMessage::ChannelManagement(_) => 22,
            AisMessage::GroupAssignment(_) => 23,
            AisMessage::BinarySlot(m) => m.msg_type,
            AisMessage::Other { msg_type, .. } => *msg_type,
        }
    }

    pub fn repeat(&self) -> u8 {
        match self {
            AisMessage::ClassAPosition(m) => m.repeat,
            AisMessage::BaseStation(m) => m.repeat,
            AisMessage::StaticVoyage(m) => m.repeat,
            AisMessage::SarAircraft(m) => m.repeat,
            AisMessage::ClassBPosition(m) => m.repeat,
            AisMessage::ClassBExtended(m) => m.repeat,
            AisMessage::AidToNavigation(m) => m.repeat,
            AisMessage::StaticData(m) => m.repeat,
            AisMessage::LongRange(m) => m.repeat,
            AisMessage::BinaryAddressed(m) => m.repeat,
            AisMessage::Acknowledge(m) => m.repeat,
            AisMessage::BinaryBroadcast(m) => m.repeat,
            AisMessage::UtcInquiry(m) => m.repeat,
            AisMessage::SafetyAddressed(m) => m.repeat,
            AisMessage::SafetyBroadcast(m) => m.repeat,
            AisMessage::Interrogation(m) => m.repeat,
            AisMessage::AssignedMode(m) => m.repeat,
            AisMessage::GnssBroadcast(m) => m.repeat,
            AisMessage::DataLinkManagement(m) => m.repeat,
            AisMessage::ChannelManagement(m) => m.repeat,
            AisMessage::GroupAssignment(m) => m.repeat,
            AisMessage::BinarySlot(m) => m.repeat,
            AisMessage::Other { repeat, .. } => *repeat,
        }
    }

    pub fn mmsi(&self) -> u32 {
        match self {
            AisMessage::ClassAPosition(m) => m.mmsi,
            AisMessage::BaseStation(m) => m.mmsi,
            AisMessage::StaticVoyage(m) => m.data.mmsi,
            AisMessage::SarAircraft(m) => m.mmsi,
            AisMessage::ClassBPosition(m) => m.mmsi,
            AisMessage::ClassBExtended(m) => m.mmsi,
            AisMessage::AidToNavigation(m) => m.mmsi,
            AisMessage::StaticData(m) => m.mmsi,
            AisMessage::LongRange(m) => m.mmsi,
            AisMessage::BinaryAddressed(m) => m.mmsi,
            AisMessage::Acknowledge(m) => m.mmsi,
            AisMessage::BinaryBroadcast(m) => m.mmsi,
            AisMessage::UtcInquiry(m) => m.mmsi,
            AisMessage::SafetyAddressed(m) => m.mmsi,
            AisMessage::SafetyBroadcast(m) => m.mmsi,
            AisMessage::Interrogation(m) => m.mmsi,
            AisMessage::AssignedMode(m) => m.mmsi,
            AisMessage::GnssBroadcast(m) => m.mmsi,
            AisMessage::DataLinkManagement(m) => m.mmsi,
            AisMessage::ChannelManagement(m) => m.mmsi,
            AisMessage::GroupAssignment(m) => m.mmsi,
            AisMessage::BinarySlot(m) => m.mmsi,
            AisMessage::Other { mmsi, .. } => *mmsi,
        }
    }

    /// The message as the encoder's [`super::PositionReport`] (types 1, 2, 3, 18).
    /// Unavailable latitude/longitude come out as 91/181 degrees.
    pub fn position_report(&self) -> Option<super::PositionReport> {
        match self {
            AisMessage::ClassAPosition(m) => Some(super::PositionReport {
                msg_type: m.msg_type,
                mmsi: m.mmsi,
                nav_status: m.status,
                sog_knots: speed_knots(m.speed),
                position_accuracy: m.accuracy,
                lat_deg: f64::from(m.lat) / 600_000.0,
                lon_deg: f64::from(m.lon) / 600_000.0,
                cog_deg: course_deg(m.course),
                heading_deg: heading_deg(m.heading),
                second: m.second,
            }),
            AisMessage::ClassBPosition(m) => Some(super::PositionReport {
                msg_type: 18,
                mmsi: m.mmsi,
                nav_status: 15,
                sog_knots: speed_knots(m.speed),
                position_accuracy: m.accuracy,
                lat_deg: f64::from(m.lat) / 600_000.0,
                lon_deg: f64::from(m.lon) / 600_000.0,
                cog_deg: course_deg(m.course),
                heading_deg: heading_deg(m.heading),
                second: m.second,
            }),
            _ => None,
        }
    }
}

/// Speed over ground in knots from tenths of a knot (1023 = not available).
pub fn speed_knots(raw: u16) -> Option<f64> {
    (raw < SPEED_NOT_AVAILABLE).then(|| f64::from(raw) / 10.0)
}

/// Course over ground in degrees from tenths (3600 = not available; above is invalid).
pub fn course_deg(raw: u16) -> Option<f64> {
    (raw < COURSE_NOT_AVAILABLE).then(|| f64::from(raw) / 10.0)
}

/// True heading in degrees (511 = not available; 360..510 invalid).
pub fn heading_deg(raw: u16) -> Option<u16> {
    (raw < 360).then_some(raw)
}

/// Latitude/longitude in degrees from 1/10000 minute, `None` when either is "not
/// available". Values out of range are returned as they are for the caller to reject.
pub fn lat_lon_deg(lat: i32, lon: i32) -> Option<(f64, f64)> {
    (lat != LAT_NOT_AVAILABLE && lon != LON_NOT_AVAILABLE)
        .then(|| (f64::from(lat) / 600_000.0, f64::from(lon) / 600_000.0))
}

/// Types 1, 2, 3.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassAPosition {
    pub msg_type: u8,
    pub repeat: u8,
    pub mmsi: u32,
    pub status: u8,
    /// Rate of turn, ROT_AIS encoding (-128 = not available).
    pub turn: i8,
    /// Tenths of a knot.
    pub speed: u16,
    pub accuracy: bool,
    /// 1/10000 minute.
    pub lon: i32,
    pub lat: i32,
    /// Tenths of a degree.
    pub course: u16,
    pub heading: u16,
    pub second: u8,
    pub maneuver: u8,
    pub raim: bool,
    pub radio: u32,
}

/// Types 4 and 11.
#[derive(Clone, Debug, PartialEq)]
pub struct BaseStationReport {
    pub msg_type: u8,
    pub repeat: u8,
    pub mmsi: u32,
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub accuracy: bool,
    pub lon: i32,
    pub lat: i32,
    pub epfd: u8,
    pub raim: bool,
    pub radio: u32,
}

/// Type 5: the static data plus the fields the encoder's [`StaticVoyage`] leaves out.
#[derive(Clone, Debug, PartialEq)]
pub struct StaticVoyageReport {
    pub repeat: u8,
    pub ais_version: u8,
    pub epfd: u8,
    pub eta_month: u8,
    pub eta_day: u8,
    pub eta_hour: u8,
    pub eta_minute: u8,
    /// Data terminal ready flag as sent (0 = available).
    pub dte: bool,
    pub data: StaticVoyage,
}

/// Type 9.
#[derive(Clone, Debug, PartialEq)]
pub struct SarAircraftPosition {
    pub repeat: u8,
    pub mmsi: u32,
    /// Altitude, metres (4095 = not available).
    pub alt: u16,
    /// Knots, not tenths (1023 = not available).
    pub speed: u16,
    pub accuracy: bool,
    pub lon: i32,
    pub lat: i32,
    pub course: u16,
    pub second: u8,
    pub regional: u8,
    pub dte: bool,
    pub assigned: bool,
    pub raim: bool,
    pub radio: u32,
}

/// Type 18.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassBPosition {
    pub repeat: u8,
    pub mmsi: u32,
    pub reserved: u8,
    pub speed: u16,
    pub accuracy: bool,
    pub lon: i32,
    pub lat: i32,
    pub course: u16,
    pub heading: u16,
    pub second: u8,
    pub regional: u8,
    pub cs: bool,
    pub display: bool,
    pub dsc: bool,
    pub band: bool,
    pub msg22: bool,
    pub assigned: bool,
    pub raim: bool,
    pub radio: u32,
}

/// Type 19.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassBExtended {
    pub repeat: u8,
    pub mmsi: u32,
    pub reserved: u8,
    pub speed: u16,
    pub accuracy: bool,
    pub lon: i32,
    pub lat: i32,
    pub course: u16,
    pub heading: u16,
    pub second: u8,
    pub regional: u8,
    pub shipname: String,
    pub shiptype: u8,
    pub to_bow: u16,
    pub to_stern: u16,
    pub to_port: u8,
    pub to_starboard: u8,
    pub epfd: u8,
    pub raim: bool,
    pub dte: bool,
    pub assigned: bool,
}

/// Type 21.
#[derive(Clone, Debug, PartialEq)]
pub struct AidToNavigation {
    pub repeat: u8,
    pub mmsi: u32,
    pub aid_type: u8,
    /// Name with its extension appended.
    pub name: String,
    pub accuracy: bool,
    pub lon: i32,
    pub lat: i32,
    pub to_bow: u16,
    pub to_stern: u16,
    pub to_port: u8,
    pub to_starboard: u8,
    pub epfd: u8,
    pub second: u8,
    pub off_position: bool,
    pub regional: u8,
    pub raim: bool,
    /// A virtual aid: a charted mark broadcast with no physical object there.
    pub virtual_aid: bool,
    pub assigned: bool,
}

/// Type 24 (static data report, in two independent parts).
#[derive(Clone, Debug, PartialEq)]
pub struct StaticDataReport {
    pub repeat: u8,
    pub mmsi: u32,
    pub part: StaticDataPart,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StaticDataPart {
    A {
        shipname: String,
    },
    B {
        shiptype: u8,
        /// The 42-bit vendor id as 7 characters (ITU-R M.1371-4); M.1371-5 splits
        /// its tail into `model` and `serial`, which are decoded too.
        vendorid: String,
        model: u8,
        serial: u32,
        callsign: String,
        reference: StaticDataReference,
    },
}

/// Part B's last 30 bits: ship dimensions, or the mother ship of an auxiliary
/// craft (MMSI `98XXXYYYY`).
#[derive(Clone, Debug, PartialEq)]
pub enum StaticDataReference {
    Dimensions {
        to_bow: u16,
        to_stern: u16,
        to_port: u8,
        to_starboard: u8,
    },
    Mothership(u32),
}

/// Type 27 (long-range broadcast; positions in 1/10 minute).
#[derive(Clone, Debug, PartialEq)]
pub struct LongRangePosition {
    pub repeat: u8,
    pub mmsi: u32,
    pub accuracy: bool,
    pub raim: bool,
    pub status: u8,
    /// 1/10 minute (181*600 = not available).
    pub lon: i32,
    /// 1/10 minute (91*600 = not available).
    pub lat: i32,
    /// Knots (63 = not available).
    pub speed: u8,
    /// Degrees (511 = not available).
    pub course: u16,
    /// Set when the position is not from the current GNSS fix.
    pub gnss: bool,
}

/// A binary payload as sent: `bit_count` bits packed MSB first into `bytes` (the
/// last byte padded as gpsd pads it; see [`BinaryData::gpsd`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BinaryData {
    pub bit_count: usize,
    pub bytes: Vec<u8>,
}

impl BinaryData {
    /// gpsd's `"<bits>:<hex>"` rendering.
    pub fn gpsd(&self) -> String {
        let mut s = format!("{}:", self.bit_count);
        for b in &self.bytes {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }
}

/// Type 6: addressed binary message.
#[derive(Clone, Debug, PartialEq)]
pub struct BinaryAddressed {
    pub repeat: u8,
    pub mmsi: u32,
    pub seqno: u8,
    pub dest_mmsi: u32,
    pub retransmit: bool,
    /// Designated area code and function id: which application the payload is.
    pub dac: u16,
    pub fid: u8,
    /// The application payload (after the 88-bit header).
    pub data: BinaryData,
    /// The payload taken apart, for the applications gpsd decodes.
    pub app: Option<Application>,
}

/// Type 8: broadcast binary message.
#[derive(Clone, Debug, PartialEq)]
pub struct BinaryBroadcast {
    pub repeat: u8,
    pub mmsi: u32,
    pub dac: u16,
    pub fid: u8,
    /// The application payload (after the 56-bit header).
    pub data: BinaryData,
    pub app: Option<Application>,
}

/// Types 7 and 13: acknowledgements of up to four messages.
#[derive(Clone, Debug, PartialEq)]
pub struct Acknowledge {
    pub msg_type: u8,
    pub repeat: u8,
    pub mmsi: u32,
    /// Acknowledged stations, 0 where absent.
    pub mmsis: [u32; 4],
    pub seqnos: [u8; 4],
}

/// Type 10: UTC and date inquiry.
#[derive(Clone, Debug, PartialEq)]
pub struct UtcInquiry {
    pub repeat: u8,
    pub mmsi: u32,
    pub dest_mmsi: u32,
}

/// Type 12: addressed safety related message.
#[derive(Clone, Debug, PartialEq)]
pub struct SafetyAddressed {
    pub repeat: u8,
    pub mmsi: u32,
    pub seqno: u8,
    pub dest_mmsi: u32,
    pub retransmit: bool,
    pub text: String,
}

/// Type 14: safety related broadcast message.
#[derive(Clone, Debug, PartialEq)]
pub struct SafetyBroadcast {
    pub repeat: u8,
    pub mmsi: u32,
    pub text: String,
}

/// Type 15: interrogation.
#[derive(Clone, Debug, PartialEq)]
pub struct Interrogation {
    pub repeat: u8,
    pub mmsi: u32,
    pub mmsi1: u32,
    pub type1_1: u8,
    pub offset1_1: u16,
    pub type1_2: u8,
    pub offset1_2: u16,
    pub mmsi2: u32,
    pub type2_1: u8,
    pub offset2_1: u16,
}

/// Type 16: assigned mode command.
#[derive(Clone, Debug, PartialEq)]
pub struct AssignedMode {
    pub repeat: u8,
    pub mmsi: u32,
    pub mmsi1: u32,
    pub offset1: u16,
    pub increment1: u16,
    pub mmsi2: u32,
    pub offset2: u16,
    pub increment2: u16,
}

/// Type 17: DGNSS broadcast binary message (position in 1/10 minute).
#[derive(Clone, Debug, PartialEq)]
pub struct GnssBroadcast {
    pub repeat: u8,
    pub mmsi: u32,
    pub lon: i32,
    pub lat: i32,
    pub data: BinaryData,
}

/// One slot reservation of a type 20 message.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SlotReservation {
    pub offset: u16,
    pub number: u8,
    pub timeout: u8,
    pub increment: u16,
}

/// Type 20: data link management (four reservations; absent ones are zero).
#[derive(Clone, Debug, PartialEq)]
pub struct DataLinkManagement {
    pub repeat: u8,
    pub mmsi: u32,
    pub slots: [SlotReservation; 4],
}

/// Where a type 22 channel assignment applies.
#[derive(Clone, Debug, PartialEq)]
pub enum ChannelTarget {
    /// A rectangle, corners in 1/10 minute.
    Area {
        ne_lon: i32,
        ne_lat: i32,
        sw_lon: i32,
        sw_lat: i32,
    },
    /// Two addressed stations.
    Addressed { dest1: u32, dest2: u32 },
}

/// Type 22: channel management.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelManagement {
    pub repeat: u8,
    pub mmsi: u32,
    pub channel_a: u16,
    pub channel_b: u16,
    pub txrx: u8,
    pub power: bool,
    pub target: ChannelTarget,
    pub band_a: bool,
    pub band_b: bool,
    pub zonesize: u8,
}

/// Type 23: group assignment command (area corners in 1/10 minute).
#[derive(Clone, Debug, PartialEq)]
pub struct GroupAssignment {
    pub repeat: u8,
    pub mmsi: u32,
    pub ne_lon: i32,
    pub ne_lat: i32,
    pub sw_lon: i32,
    pub sw_lat: i32,
    pub stationtype: u8,
    pub shiptype: u8,
    pub txrx: u8,
    pub interval: u8,
    pub quiet: u8,
}

/// Types 25 and 26: binary message in one or several slots.
#[derive(Clone, Debug, PartialEq)]
pub struct BinarySlot {
    pub msg_type: u8,
    pub repeat: u8,
    pub mmsi: u32,
    pub addressed: bool,
    pub structured: bool,
    /// 0 unless addressed.
    pub dest_mmsi: u32,
    /// 0 unless structured.
    pub app_id: u16,
    pub data: BinaryData,
    /// Type 26's communication state; gpsd reports it as 0, and so do we.
    pub radio: u32,
}

/// Decode a message from its de-armoured bits.
pub fn decode_bits(b: &Bits) -> Result<AisMessage, Fault> {
    if b.len() < 38 {
        return Err(Fault::Truncated(format!(
            "truncated payload: {} bits, a message header needs 38",
            b.len()
        )));
    }
    let t = b.u(0, 6) as u8;
    let need = |n: usize| {
        if b.len() < n {
            Err(Fault::Truncated(format!(
                "truncated payload: type {t} needs at least {n} bits, got {}",
                b.len()
            )))
        } else {
            Ok(())
        }
    };
    let range = |lo: usize, hi: usize| {
        if b.len() < lo || b.len() > hi {
            Err(Fault::Syntax(format!(
                "type {t} payload of {} bits is outside {lo}..={hi}",
                b.len()
            )))
        } else {
            Ok(())
        }
    };
    let repeat = b.u(6, 2) as u8;
    let mmsi = b.u(8, 30) as u32;
    // Minimum lengths: every defined field up to the trailing radio status/spare
    // must be there; the radio state is not used and truncated ones occur in the wild.
    Ok(match t {
        1..=3 => {
            need(149)?;
            AisMessage::ClassAPosition(ClassAPosition {
                msg_type: t,
                repeat,
                mmsi,
                status: b.u(38, 4) as u8,
                turn: b.i(42, 8) as i8,
                speed: b.u(50, 10) as u16,
                accuracy: b.flag(60),
                lon: b.i(61, 28) as i32,
                lat: b.i(89, 27) as i32,
                course: b.u(116, 12) as u16,
                heading: b.u(128, 9) as u16,
                second: b.u(137, 6) as u8,
                maneuver: b.u(143, 2) as u8,
                raim: b.flag(148),
                radio: b.u(149, 19) as u32,
            })
        }
        4 | 11 => {
            need(149)?;
            AisMessage::BaseStation(BaseStationReport {
                msg_type: t,
                repeat,
                mmsi,
                year: b.u(38, 14) as u16,
                month: b.u(52, 4) as u8,
                day: b.u(56, 5) as u8,
                hour: b.u(61, 5) as u8,
                minute: b.u(66, 6) as u8,
                second: b.u(72, 6) as u8,
                accuracy: b.flag(78),
                lon: b.i(79, 28) as i32,
                lat: b.i(107, 27) as i32,
                epfd: b.u(134, 4) as u8,
                raim: b.flag(148),
                radio: b.u(149, 19) as u32,
            })
        }
        5 => {
            // Many class A units send 420 bits (without the DTE flag and spare).
            need(420)?;
            AisMessage::StaticVoyage(StaticVoyageReport {
                repeat,
                ais_version: b.u(38, 2) as u8,
                epfd: b.u(270, 4) as u8,
                eta_month: b.u(274, 4) as u8,
                eta_day: b.u(278, 5) as u8,
                eta_hour: b.u(283, 5) as u8,
                eta_minute: b.u(288, 6) as u8,
                dte: b.flag(422),
                data: StaticVoyage {
                    mmsi,
                    imo: b.u(40, 30) as u32,
                    callsign: b.text(70, 7),
                    shipname: b.text(112, 20),
                    shiptype: b.u(232, 8) as u8,
                    to_bow: b.u(240, 9) as u16,
                    to_stern: b.u(249, 9) as u16,
                    to_port: b.u(258, 6) as u8,
                    to_starboard: b.u(264, 6) as u8,
                    destination: b.text(302, 20),
                    draught_dm: b.u(294, 8) as u8,
                },
            })
        }
        9 => {
            need(148)?;
            AisMessage::SarAircraft(SarAircraftPosition {
                repeat,
                mmsi,
                alt: b.u(38, 12) as u16,
                speed: b.u(50, 10) as u16,
                accuracy: b.flag(60),
                lon: b.i(61, 28) as i32,
                lat: b.i(89, 27) as i32,
                course: b.u(116, 12) as u16,
                second: b.u(128, 6) as u8,
                regional: b.u(134, 8) as u8,
                dte: b.flag(142),
                assigned: b.flag(146),
                raim: b.flag(147),
                radio: b.u(148, 20) as u32,
            })
        }
        18 => {
            need(148)?;
            AisMessage::ClassBPosition(ClassBPosition {
                repeat,
                mmsi,
                reserved: b.u(38, 8) as u8,
                speed: b.u(46, 10) as u16,
                accuracy: b.flag(56),
                lon: b.i(57, 28) as i32,
                lat: b.i(85, 27) as i32,
                course: b.u(112, 12) as u16,
                heading: b.u(124, 9) as u16,
                second: b.u(133, 6) as u8,
                regional: b.u(139, 2) as u8,
                cs: b.flag(141),
                display: b.flag(142),
                dsc: b.flag(143),
                band: b.flag(144),
                msg22: b.flag(145),
                assigned: b.flag(146),
                raim: b.flag(147),
                radio: b.u(148, 20) as u32,
            })
        }
        19 => {
            need(308)?;
            AisMessage::ClassBExtended(ClassBExtended {
                repeat,
                mmsi,
                reserved: b.u(38, 8) as u8,
                speed: b.u(46, 10) as u16,
                accuracy: b.flag(56),
                lon: b.i(57, 28) as i32,
                lat: b.i(85, 27) as i32,
                course: b.u(112, 12) as u16,
                heading: b.u(124, 9) as u16,
                second: b.u(133, 6) as u8,
                regional: b.u(139, 4) as u8,
                shipname: b.text(143, 20),
                shiptype: b.u(263, 8) as u8,
                to_bow: b.u(271, 9) as u16,
                to_stern: b.u(280, 9) as u16,
                to_port: b.u(289, 6) as u8,
                to_starboard: b.u(295, 6) as u8,
                epfd: b.u(301, 4) as u8,
                raim: b.flag(305),
                dte: b.flag(306),
                assigned: b.flag(307),
            })
        }
        21 => {
            need(272)?;
            // The name extension fills whole characters after bit 272.
            let ext_chars = (b.len() - 272) / 6;
            let raw = b.text_raw(43, 20) + &b.text_raw(272, ext_chars);
            AisMessage::AidToNavigation(AidToNavigation {
                repeat,
                mmsi,
                aid_type: b.u(38, 5) as u8,
                name: super::bits::clean_text(&raw),
                accuracy: b.flag(163),
                lon: b.i(164, 28) as i32,
                lat: b.i(192, 27) as i32,
                to_bow: b.u(219, 9) as u16,
                to_stern: b.u(228, 9) as u16,
                to_port: b.u(237, 6) as u8,
                to_starboard: b.u(243, 6) as u8,
                epfd: b.u(249, 4) as u8,
                second: b.u(253, 6) as u8,
                off_position: b.flag(259),
                regional: b.u(260, 8) as u8,
                raim: b.flag(268),
                virtual_aid: b.flag(269),
                assigned: b.flag(270),
            })
        }
        24 => {
            need(40)?;
            let part = match b.u(38, 2) {
                0 => {
                    need(160)?;
                    StaticDataPart::A {
                        shipname: b.text(40, 20),
                    }
                }
                1 => {
                    need(162)?;
                    let reference = if mmsi / 10_000_000 == 98 {
                        StaticDataReference::Mothership(b.u(132, 30) as u32)
                    } else {
                        StaticDataReference::Dimensions {
                            to_bow: b.u(132, 9) as u16,
                            to_stern: b.u(141, 9) as u16,
                            to_port: b.u(150, 6) as u8,
                            to_starboard: b.u(156, 6) as u8,
                        }
                    };
                    StaticDataPart::B {
                        shiptype: b.u(40, 8) as u8,
                        vendorid: b.text(48, 7),
                        model: b.u(66, 4) as u8,
                        serial: b.u(70, 20) as u32,
                        callsign: b.text(90, 7),
                        reference,
                    }
                }
                p => {
                    return Err(Fault::field(
                        "part number",
                        format!("type 24 with undefined part number {p}"),
                    ))
                }
            };
            AisMessage::StaticData(StaticDataReport { repeat, mmsi, part })
        }
        27 => {
            need(95)?;
            AisMessage::LongRange(LongRangePosition {
                repeat,
                mmsi,
                accuracy: b.flag(38),
                raim: b.flag(39),
                status: b.u(40, 4) as u8,
                lon: b.i(44, 18) as i32,
                lat: b.i(62, 17) as i32,
                speed: b.u(79, 6) as u8,
                course: b.u(85, 9) as u16,
                gnss: b.flag(94),
            })
        }
        6 => {
            range(88, 1008)?;
            let (dac, fid) = (b.u(72, 10) as u16, b.u(82, 6) as u8);
            let count = b.len() - 88;
            AisMessage::BinaryAddressed(BinaryAddressed {
                repeat,
                mmsi,
                seqno: b.u(38, 2) as u8,
                dest_mmsi: b.u(40, 30) as u32,
                retransmit: b.flag(70),
                dac,
                fid,
                data: BinaryData {
                    bit_count: count,
                    bytes: b.bytes(88, count, 88 + count.div_ceil(8) * 8),
                },
                app: decode_application(b, 6, dac, fid),
            })
        }
        7 | 13 => {
            range(72, 168)?;
            let mut mmsis = [0u32; 4];
            let mut seqnos = [0u8; 4];
            for k in 0..4 {
                if 40 + 32 * k < b.len() {
                    mmsis[k] = b.raw_u(40 + 32 * k, 30) as u32;
                    seqnos[k] = b.raw_u(70 + 32 * k, 2) as u8;
                }
            }
            AisMessage::Acknowledge(Acknowledge {
                msg_type: t,
                repeat,
                mmsi,
                mmsis,
                seqnos,
            })
        }
        8 => {
            range(56, 1008)?;
            let (dac, fid) = (b.u(40, 10) as u16, b.u(50, 6) as u8);
            let count = b.len() - 56;
            AisMessage::BinaryBroadcast(BinaryBroadcast {
                repeat,
                mmsi,
                dac,
                fid,
                data: BinaryData {
                    bit_count: count,
                    bytes: b.bytes(56, count, 56 + count),
                },
                app: decode_application(b, 8, dac, fid),
            })
        }
        10 => {
            need(72)?;
            AisMessage::UtcInquiry(UtcInquiry {
                repeat,
                mmsi,
                dest_mmsi: b.u(40, 30) as u32,
            })
        }
        12 => {
            range(72, 1008)?;
            AisMessage::SafetyAddressed(SafetyAddressed {
                repeat,
                mmsi,
                seqno: b.u(38, 2) as u8,
                dest_mmsi: b.u(40, 30) as u32,
                retransmit: b.flag(70),
                text: b.text_to_end(72),
            })
        }
        14 => {
            range(40, 960)?;
            AisMessage::SafetyBroadcast(SafetyBroadcast {
                repeat,
                mmsi,
                text: b.text_to_end(40),
            })
        }
        15 => {
            range(88, 168)?;
            let n = b.len();
            let part2 = |s: usize, w: usize| if n > 90 { b.raw_u(s, w) } else { 0 };
            let part3 = |s: usize, w: usize| if n > 110 { b.raw_u(s, w) } else { 0 };
            AisMessage::Interrogation(Interrogation {
                repeat,
                mmsi,
                mmsi1: b.u(40, 30) as u32,
                type1_1: b.u(70, 6) as u8,
                offset1_1: b.u(76, 12) as u16,
                type1_2: part2(90, 6) as u8,
                offset1_2: part2(96, 12) as u16,
                mmsi2: part3(110, 30) as u32,
                type2_1: part3(140, 6) as u8,
                offset2_1: part3(146, 12) as u16,
            })
        }
        16 => {
            range(96, 168)?;
            let second = |s: usize, w: usize| if b.len() >= 144 { b.u(s, w) } else { 0 };
            AisMessage::AssignedMode(AssignedMode {
                repeat,
                mmsi,
                mmsi1: b.u(40, 30) as u32,
                offset1: b.u(70, 12) as u16,
                increment1: b.u(82, 10) as u16,
                mmsi2: second(92, 30) as u32,
                offset2: second(122, 12) as u16,
                increment2: second(134, 10) as u16,
            })
        }
        17 => {
            range(80, 816)?;
            let count = b.len() - 80;
            AisMessage::GnssBroadcast(GnssBroadcast {
                repeat,
                mmsi,
                lon: b.i(40, 18) as i32,
                lat: b.i(58, 17) as i32,
                data: BinaryData {
                    bit_count: count,
                    bytes: b.bytes(80, count, 80 + count.div_ceil(8) * 8),
                },
            })
        }
        20 => {
            range(72, 186)?;
            let slot = |s: usize| SlotReservation {
                offset: b.raw_u(s, 12) as u16,
                number: b.raw_u(s + 12, 4) as u8,
                timeout: b.raw_u(s + 16, 3) as u8,
                increment: b.raw_u(s + 19, 11) as u16,
            };
            AisMessage::DataLinkManagement(DataLinkManagement {
                repeat,
                mmsi,
                slots: [slot(40), slot(70), slot(100), slot(130)],
            })
        }
        22 => {
            need(168)?;
            let addressed = b.flag(139);
            AisMessage::ChannelManagement(ChannelManagement {
                repeat,
                mmsi,
                channel_a: b.u(40, 12) as u16,
                channel_b: b.u(52, 12) as u16,
                txrx: b.u(64, 4) as u8,
                power: b.flag(68),
                target: if addressed {
                    ChannelTarget::Addressed {
                        dest1: b.u(69, 30) as u32,
                        dest2: b.u(104, 30) as u32,
                    }
                } else {
                    ChannelTarget::Area {
                        ne_lon: b.i(69, 18) as i32,
                        ne_lat: b.i(87, 17) as i32,
                        sw_lon: b.i(104, 18) as i32,
                        sw_lat: b.i(122, 17) as i32,
                    }
                },
                band_a: b.flag(140),
                band_b: b.flag(141),
                zonesize: b.u(142, 3) as u8,
            })
        }
        23 => {
            need(160)?;
            AisMessage::GroupAssignment(GroupAssignment {
                repeat,
                mmsi,
                ne_lon: b.i(40, 18) as i32,
                ne_lat: b.i(58, 17) as i32,
                sw_lon: b.i(75, 18) as i32,
                sw_lat: b.i(93, 17) as i32,
                stationtype: b.u(110, 4) as u8,
                shiptype: b.u(114, 8) as u8,
                txrx: b.u(144, 2) as u8,
                interval: b.u(146, 4) as u8,
                quiet: b.u(150, 4) as u8,
            })
        }
        25 | 26 => {
            // 25: one slot (40..168 bits); 26: up to five, with 20 bits of radio
            // status at the end.
            let radio_bits = if t == 26 { 20 } else { 0 };
            if t == 25 {
                range(40, 168)?;
            } else {
                range(60, 1004)?;
            }
            let addressed = b.flag(38);
            let structured = b.flag(39);
            let head = 40 + 16 * usize::from(structured) + 30 * usize::from(addressed);
            if b.len() < head + radio_bits {
                return Err(Fault::Truncated(format!(
                    "truncated payload: type {t} needs {} bits for its mode, got {}",
                    head + radio_bits,
                    b.len()
                )));
            }
            let dest_mmsi = if addressed { b.u(40, 30) as u32 } else { 0 };
            let app_id = if structured {
                b.u(40 + 30 * usize::from(addressed), 16) as u16
            } else {
                0
            };
            // gpsd copies whole bytes from bit 40 (or 56 when structured), so the
            // pad of the last byte holds what follows the payload.
            let copy_start = 40 + 16 * usize::from(structured);
            let copy_bits = b.len() - radio_bits - copy_start;
            let count = b.len() - radio_bits - head;
            AisMessage::BinarySlot(BinarySlot {
                msg_type: t,
                repeat,
                mmsi,
                addressed,
                structured,
                dest_mmsi,
                app_id,
                data: BinaryData {
                    bit_count: count,
                    bytes: b.bytes(head, count, copy_start + copy_bits.div_ceil(8) * 8),
                },
                radio: 0,
            })
        }
        _ => return Err(Fault::Unsupported(format!("undefined message type {t}"))),
    })
}
