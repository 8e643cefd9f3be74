//! Typed AIS messages (ITU-R M.1371-5) with their wire values kept unscaled, so
//! nothing is lost in decoding; accessors give engineering units.
//!
//! Field names follow gpsd's AIVDM documentation so the unscaled JSON writer is a
//! direct mapping.

use super::bits::Bits;
use super::StaticVoyage;

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
    /// A defined type this decoder does not yet take apart (6, 7, 8, 10, 12–17, 20,
    /// 22, 23, 25, 26): valid traffic, so it is not an error, but it carries no position.
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

/// Decode a message from its de-armoured bits.
pub fn decode_bits(b: &Bits) -> Result<AisMessage, String> {
    if b.len() < 38 {
        return Err(format!(
            "truncated payload: {} bits, a message header needs 38",
            b.len()
        ));
    }
    let t = b.u(0, 6) as u8;
    let need = |n: usize| {
        if b.len() < n {
            Err(format!(
                "truncated payload: type {t} needs at least {n} bits, got {}",
                b.len()
            ))
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
                p => return Err(format!("type 24 with undefined part number {p}")),
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
        0 | 28..=63 => return Err(format!("undefined message type {t}")),
        _ => AisMessage::Other {
            msg_type: t,
            repeat,
            mmsi,
        },
    })
}
