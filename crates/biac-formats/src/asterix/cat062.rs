//! ASTERIX CAT062 system track data (edition 1.20; the item shapes are the same in
//! 1.18 and 1.19, and 1.21 only adds an I062/080 extension, which the walk of an
//! extended item takes in its stride).
//!
//! A CAT062 record is a surveillance data processing system's (SDPS) track: its
//! estimate, not a measurement. It becomes a national-track observation
//! ([`ObservationKind::Track`]), fused track-to-track by covariance intersection as CoT
//! national tracks are: a re-sent report is the same estimate and never counts twice.
//!
//! The record is walked by the shared ASTERIX walker ([`super::walk`]) with the
//! profile [`UAP`]; compound items (I062/380, 290, 295, 390, 110, 500, 340) by their
//! own FX-extended primary subfield and subfield shapes, I062/510 element by element
//! to its FX bit. Items are typed where biac reads them; the rest keep their octets,
//! so a record re-encodes to the bytes it came from (for minimal FSPECs and primary
//! subfields, as every writer sends).

use biac_model::{
    Domain, FeedConfig, Identity, Observation, ObservationKind, Position, RadarSite, TimeMs,
    Velocity,
};

use super::{
    arr, assemble, be16, explicit, extended, resolve_time_of_day, shape_len, walk, AircraftId,
    DataSource, RecordError, Shape, Uap,
};
use Shape::*;

use crate::{EncodeError, Fault};

/// The category of system track data.
pub const CAT062: u8 = 62;
/// Number of FRNs in the CAT062 UAP (five FSPEC octets).
pub const CAT062_ITEMS: usize = 35;
const FT_M: f64 = 0.3048;
/// I062/105's and I062/500 APW's LSB, degrees: 180/2²⁵.
pub const WGS84_LSB_DEG: f64 = 180.0 / 33_554_432.0;

const I380: [Option<Shape>; 28] = [
    Some(Fixed(3)),       // ADR target address
    Some(Fixed(6)),       // ID target identification
    Some(Fixed(2)),       // MHG magnetic heading
    Some(Fixed(2)),       // IAS indicated airspeed / Mach
    Some(Fixed(2)),       // TAS true airspeed
    Some(Fixed(2)),       // SAL selected altitude
    Some(Fixed(2)),       // FSS final state selected altitude
    Some(Extended),       // TIS trajectory intent status
    Some(Repetitive(15)), // TID trajectory intent data
    Some(Fixed(2)),       // COM communications/ACAS capability
    Some(Fixed(2)),       // SAB status reported by ADS-B
    Some(Fixed(7)),       // ACS ACAS resolution advisory
    Some(Fixed(2)),       // BVR barometric vertical rate
    Some(Fixed(2)),       // GVR geometric vertical rate
    Some(Fixed(2)),       // RAN roll angle
    Some(Fixed(2)),       // TAR track angle rate
    Some(Fixed(2)),       // TAN track angle
    Some(Fixed(2)),       // GS ground speed
    Some(Fixed(1)),       // VUN velocity uncertainty
    Some(Fixed(8)),       // MET meteorological data
    Some(Fixed(1)),       // EMC emitter category
    Some(Fixed(6)),       // POS position
    Some(Fixed(2)),       // GAL geometric altitude
    Some(Fixed(1)),       // PUN position uncertainty
    Some(Repetitive(8)),  // MB / BDS register data
    Some(Fixed(2)),       // IAR indicated airspeed
    Some(Fixed(2)),       // MAC Mach number
    Some(Fixed(2)),       // BPS barometric pressure setting
];
/// I062/290 System Track Update Ages: TRK PSR SSR MDS ADS(2) ES VDL UAT LOP MLT.
const I290: [Option<Shape>; 10] = [
    Some(Fixed(1)),
    Some(Fixed(1)),
    Some(Fixed(1)),
    Some(Fixed(1)),
    Some(Fixed(2)),
    Some(Fixed(1)),
    Some(Fixed(1)),
    Some(Fixed(1)),
    Some(Fixed(1)),
    Some(Fixed(1)),
];
/// I062/295 Track Data Ages: 31 ages of one octet each.
const I295: [Option<Shape>; 31] = [Some(Fixed(1)); 31];
const I390: [Option<Shape>; 18] = [
    Some(Fixed(2)),      // TAG FPPS identification
    Some(Fixed(7)),      // CS callsign (ASCII)
    Some(Fixed(4)),      // IFI IFPS flight id
    Some(Fixed(1)),      // FCT flight category
    Some(Fixed(4)),      // TAC type of aircraft
    Some(Fixed(1)),      // WTC wake turbulence category
    Some(Fixed(4)),      // DEP departure airport
    Some(Fixed(4)),      // DST destination airport
    Some(Fixed(3)),      // RDS runway designation
    Some(Fixed(2)),      // CFL current cleared flight level
    Some(Fixed(2)),      // CTL current control position
    Some(Repetitive(4)), // TOD time of departure / arrival
    Some(Fixed(6)),      // AST aircraft stand
    Some(Fixed(1)),      // STS stand status
    Some(Fixed(7)),      // STD standard instrument departure
    Some(Fixed(7)),      // STA standard instrument arrival
    Some(Fixed(2)),      // PEM pre-emergency Mode 3/A
    Some(Fixed(7)),      // PEC pre-emergency callsign
];
/// I062/110 Mode 5 Data Reports and Extended Mode 1 Code: SUM PMN POS GA EM1 TOS XP.
const I110: [Option<Shape>; 7] = [
    Some(Fixed(1)),
    Some(Fixed(4)),
    Some(Fixed(6)),
    Some(Fixed(2)),
    Some(Fixed(2)),
    Some(Fixed(1)),
    Some(Fixed(1)),
];
/// I062/500 Estimated Accuracies: APC COV APW AGA ABA ATV AA ARC.
const I500: [Option<Shape>; 8] = [
    Some(Fixed(4)),
    Some(Fixed(2)),
    Some(Fixed(4)),
    Some(Fixed(1)),
    Some(Fixed(1)),
    Some(Fixed(2)),
    Some(Fixed(2)),
    Some(Fixed(1)),
];
/// I062/340 Measured Information: SID POS HEIGHT MDC MDA TYP.
const I340: [Option<Shape>; 6] = [
    Some(Fixed(2)),
    Some(Fixed(4)),
    Some(Fixed(2)),
    Some(Fixed(2)),
    Some(Fixed(2)),
    Some(Fixed(1)),
];

/// The CAT062 UAP, by FRN (index + 1); `None` for spare FRNs.
pub(crate) const UAP: [(&str, Option<Shape>); CAT062_ITEMS] = [
    ("I062/010", Some(Fixed(2))),
    ("spare", None),
    ("I062/015", Some(Fixed(1))),
    ("I062/070", Some(Fixed(3))),
    ("I062/105", Some(Fixed(8))),
    ("I062/100", Some(Fixed(6))),
    ("I062/185", Some(Fixed(4))),
    ("I062/210", Some(Fixed(2))),
    ("I062/060", Some(Fixed(2))),
    ("I062/245", Some(Fixed(7))),
    ("I062/380", Some(Compound(&I380))),
    ("I062/040", Some(Fixed(2))),
    ("I062/080", Some(Extended)),
    ("I062/290", Some(Compound(&I290))),
    ("I062/200", Some(Fixed(1))),
    ("I062/295", Some(Compound(&I295))),
    ("I062/136", Some(Fixed(2))),
    ("I062/130", Some(Fixed(2))),
    ("I062/135", Some(Fixed(2))),
    ("I062/220", Some(Fixed(2))),
    ("I062/390", Some(Compound(&I390))),
    ("I062/270", Some(Extended)),
    ("I062/300", Some(Fixed(1))),
    ("I062/110", Some(Compound(&I110))),
    ("I062/120", Some(Fixed(2))),
    ("I062/510", Some(RepetitiveFx(3))),
    ("I062/500", Some(Compound(&I500))),
    ("I062/340", Some(Compound(&I340))),
    ("spare", None),
    ("spare", None),
    ("spare", None),
    ("spare", None),
    ("spare", None),
    ("RE", Some(Explicit)),
    ("SP", Some(Explicit)),
];

/// The item name (`I062/040`, `RE`, `SP`, `spare`) of a field reference number 1–35.
pub fn item_name(frn: usize) -> &'static str {
    frn.checked_sub(1)
        .and_then(|i| UAP.get(i))
        .map_or("?", |(n, _)| n)
}

/// A walked CAT062 record: its length and each present item's octets as on the wire,
/// by FRN − 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordItems<'a> {
    pub len: usize,
    pub items: [Option<&'a [u8]>; CAT062_ITEMS],
}

/// Walk the CAT062 record at the start of `buf` (which ends where its block ends).
/// Never reads past `buf`.
pub fn walk_record(buf: &[u8]) -> Result<RecordItems<'_>, RecordError> {
    let mut items = [None; CAT062_ITEMS];
    let uap: &Uap = &UAP;
    let len = walk("CAT062", uap, buf, &mut items)?;
    Ok(RecordItems { len, items })
}

/// A compound item's subfields, each as its octets on the wire (a repetitive
/// subfield with its REP octet, an extended one with its FX bits), by subfield − 1.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subfields(pub Vec<Option<Vec<u8>>>);

impl Subfields {
    /// Subfield `n` (1-based), when present.
    pub fn get(&self, n: usize) -> Option<&[u8]> {
        self.0.get(n.checked_sub(1)?)?.as_deref()
    }
    /// Split a walked compound item (its primary subfield checked by the walk).
    fn parse(b: &[u8], subs: &[Option<Shape>]) -> Subfields {
        let primary = b.iter().position(|o| o & 1 == 0).map_or(b.len(), |i| i + 1);
        let mut pos = primary;
        Subfields(
            subs.iter()
                .enumerate()
                .map(|(k, sub)| {
                    let on = k / 7 < primary && b[k / 7] & (0x80 >> (k % 7)) != 0;
                    let shape = sub.filter(|_| on)?;
                    let n = shape_len(&b[pos..], shape).ok()?;
                    pos += n;
                    Some(b[pos - n..pos].to_vec())
                })
                .collect(),
        )
    }
    /// The item's octets: a minimal primary subfield, then the subfields. Fails when
    /// a subfield is not one whole value of its shape (or the profile has no such
    /// subfield).
    fn encode(&self, name: &str, subs: &[Option<Shape>]) -> Result<Vec<u8>, EncodeError> {
        if self.0.len() > subs.len() {
            return Err(EncodeError(format!(
                "{name}: {} subfields, the profile has {}",
                self.0.len(),
                subs.len()
            )));
        }
        for (k, sf) in self.0.iter().enumerate() {
            let Some(sf) = sf else { continue };
            let Some(shape) = subs[k] else {
                return Err(EncodeError(format!("{name}: subfield {} is spare", k + 1)));
            };
            if shape_len(sf, shape) != Ok(sf.len()) {
                return Err(EncodeError(format!(
                    "{name}: subfield {} is not one value of its shape ({shape:?})",
                    k + 1
                )));
            }
        }
        Ok(assemble(&self.0))
    }
}

/// A field of I062/080 Track Status: name, octet (0 = first), shift of its least
/// significant bit, width in bits.
const I080_FIELDS: [(&str, usize, u8, u8); 35] = [
    ("MON", 0, 7, 1),
    ("SPI", 0, 6, 1),
    ("MRH", 0, 5, 1),
    ("SRC", 0, 2, 3),
    ("CNF", 0, 1, 1),
    ("SIM", 1, 7, 1),
    ("TSE", 1, 6, 1),
    ("TSB", 1, 5, 1),
    ("FPC", 1, 4, 1),
    ("AFF", 1, 3, 1),
    ("STP", 1, 2, 1),
    ("KOS", 1, 1, 1),
    ("AMA", 2, 7, 1),
    ("MD4", 2, 5, 2),
    ("ME", 2, 4, 1),
    ("MI", 2, 3, 1),
    ("MD5", 2, 1, 2),
    ("CST", 3, 7, 1),
    ("PSR", 3, 6, 1),
    ("SSR", 3, 5, 1),
    ("MDS", 3, 4, 1),
    ("ADS", 3, 3, 1),
    ("SUC", 3, 2, 1),
    ("AAC", 3, 1, 1),
    ("SDS", 4, 6, 2),
    ("EMS", 4, 3, 3),
    ("PFT", 4, 2, 1),
    ("FPLT", 4, 1, 1),
    ("DUPT", 5, 7, 1),
    ("DUPF", 5, 6, 1),
    ("DUPM", 5, 5, 1),
    ("SFC", 5, 4, 1),
    ("IDD", 5, 3, 1),
    ("IEC", 5, 2, 1),
    ("MLAT", 5, 1, 1),
];

/// I062/080 Track Status, as its octets (FX bits included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackStatus(pub Vec<u8>);

impl TrackStatus {
    /// The names of edition 1.20's fields, in wire order.
    pub fn field_names() -> impl Iterator<Item = &'static str> {
        I080_FIELDS.iter().map(|f| f.0)
    }
    /// Field `name` (e.g. `CNF`, `SRC`, `CST`), when its octet is present.
    pub fn field(&self, name: &str) -> Option<u8> {
        let &(_, octet, shift, width) = I080_FIELDS.iter().find(|f| f.0 == name)?;
        self.0
            .get(octet)
            .map(|b| (b >> shift) & ((1u8 << width) - 1))
    }
    /// CNF: tentative track.
    pub fn tentative(&self) -> bool {
        self.field("CNF") == Some(1)
    }
    /// SIM: simulated track.
    pub fn simulated(&self) -> bool {
        self.field("SIM") == Some(1)
    }
    /// CST: coasting (no measurement updated the track at this update).
    pub fn coasting(&self) -> bool {
        self.field("CST") == Some(1)
    }
}

/// I062/105 Calculated Position in WGS-84 Co-ordinates, 180/2²⁵ degrees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wgs84 {
    pub lat: i32,
    pub lon: i32,
}

impl Wgs84 {
    pub fn lat_deg(&self) -> f64 {
        f64::from(self.lat) * WGS84_LSB_DEG
    }
    pub fn lon_deg(&self) -> f64 {
        f64::from(self.lon) * WGS84_LSB_DEG
    }
}

/// I062/100 Calculated Track Position (Cartesian), 0.5 m, 24-bit two's complement
/// each, in the SDPS's plane about its system reference point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CartesianPos {
    pub x: i32,
    pub y: i32,
}

impl CartesianPos {
    pub fn x_m(&self) -> f64 {
        f64::from(self.x) * 0.5
    }
    pub fn y_m(&self) -> f64 {
        f64::from(self.y) * 0.5
    }
}

fn be24_signed(b: &[u8]) -> i32 {
    i32::from_be_bytes([b[0], b[1], b[2], 0]) >> 8
}

/// I062/060 Track Mode 3/A Code (the item's 16 bits: V, G, CH, spare, code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrackMode3A(pub u16);

impl TrackMode3A {
    /// V: code not validated.
    pub fn not_validated(&self) -> bool {
        self.0 & 0x8000 != 0
    }
    /// G: garbled code.
    pub fn garbled(&self) -> bool {
        self.0 & 0x4000 != 0
    }
    /// CH: the code changed.
    pub fn changed(&self) -> bool {
        self.0 & 0x2000 != 0
    }
    /// The code as four octal digits.
    pub fn octal(&self) -> String {
        format!("{:04o}", self.0 & 0x0fff)
    }
}

/// I062/245 Target Identification: STI (2 bits, 6 spare) and eight characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TargetId {
    /// The first octet: STI in bits 8–7.
    pub sti_octet: u8,
    pub chars: AircraftId,
}

impl TargetId {
    /// STI: 0 callsign or registration downlinked, 1 callsign not downlinked, 2
    /// registration not downlinked, 3 invalid.
    pub fn sti(&self) -> u8 {
        self.sti_octet >> 6
    }
}

/// I062/500 Estimated Accuracies, typed from its subfields (one-sigma values).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Accuracies {
    /// APC: position, x and y, metres.
    pub apc_m: Option<(f64, f64)>,
    /// COV: sign(cov(x,y)) × sqrt(|cov(x,y)|), metres.
    pub cov_m: Option<f64>,
    /// APW: position, latitude and longitude, degrees.
    pub apw_deg: Option<(f64, f64)>,
    /// AGA: geometric altitude, feet.
    pub aga_ft: Option<f64>,
    /// ABA: barometric altitude, flight levels.
    pub aba_fl: Option<f64>,
    /// ATV: velocity, x and y, m/s.
    pub atv_mps: Option<(f64, f64)>,
    /// AA: acceleration, x and y, m/s².
    pub aa_mps2: Option<(f64, f64)>,
    /// ARC: rate of climb/descent, ft/min.
    pub arc_ftpm: Option<f64>,
}

/// One CAT062 record, typed. Items biac does not interpret keep their octets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cat062 {
    /// I062/010: the SDPS.
    pub source: Option<DataSource>,
    /// I062/015 Service Identification.
    pub service_id: Option<u8>,
    /// I062/070 Time of Track Information: 1/128 s since midnight UTC (24 bits).
    pub time_of_track: Option<u32>,
    /// I062/105.
    pub wgs84: Option<Wgs84>,
    /// I062/100.
    pub cartesian: Option<CartesianPos>,
    /// I062/185 Calculated Track Velocity (Cartesian): vx, vy in 0.25 m/s.
    pub velocity: Option<[i16; 2]>,
    /// I062/210 Calculated Acceleration (Cartesian): ax, ay in 0.25 m/s².
    pub acceleration: Option<[i8; 2]>,
    /// I062/060.
    pub mode3a: Option<TrackMode3A>,
    /// I062/245.
    pub target_id: Option<TargetId>,
    /// I062/380 Aircraft Derived Data (28 subfields).
    pub aircraft_derived: Option<Subfields>,
    /// I062/040 Track Number.
    pub track_number: Option<u16>,
    /// I062/080.
    pub track_status: Option<TrackStatus>,
    /// I062/290 System Track Update Ages (10 subfields).
    pub update_ages: Option<Subfields>,
    /// I062/200 Mode of Movement, raw.
    pub mode_of_movement: Option<u8>,
    /// I062/295 Track Data Ages (31 subfields).
    pub data_ages: Option<Subfields>,
    /// I062/136 Measured Flight Level, 1/4 FL.
    pub measured_fl: Option<i16>,
    /// I062/130 Calculated Track Geometric Altitude, 6.25 ft.
    pub geometric_alt: Option<i16>,
    /// I062/135 Calculated Track Barometric Altitude: QNH bit, 15-bit 1/4 FL.
    pub barometric_alt: Option<u16>,
    /// I062/220 Calculated Rate of Climb/Descent, 6.25 ft/min.
    pub rate_of_climb: Option<i16>,
    /// I062/390 Flight Plan Related Data (18 subfields).
    pub flight_plan: Option<Subfields>,
    /// I062/270 Target Size and Orientation, its octets (FX bits included).
    pub target_size: Option<Vec<u8>>,
    /// I062/300 Vehicle Fleet Identification.
    pub fleet_id: Option<u8>,
    /// I062/110 Mode 5 Data Reports and Extended Mode 1 Code (7 subfields).
    pub mode5: Option<Subfields>,
    /// I062/120 Track Mode 2 Code (4 spare bits, 12-bit code).
    pub mode2: Option<u16>,
    /// I062/510 Composed Track Number: (system unit, 15-bit track number) each.
    pub composed: Option<Vec<(u8, u16)>>,
    /// I062/500 Estimated Accuracies (8 subfields).
    pub accuracies: Option<Subfields>,
    /// I062/340 Measured Information (6 subfields).
    pub measured: Option<Subfields>,
    /// Reserved Expansion field: the contents (without the length octet).
    pub re: Option<Vec<u8>>,
    /// Special Purpose field: the contents (without the length octet).
    pub sp: Option<Vec<u8>>,
}

fn be16s(b: &[u8]) -> i16 {
    be16(b) as i16
}

/// Eight 6-bit ICAO characters from 6 octets.
fn icao_chars(b: &[u8]) -> AircraftId {
    AircraftId(arr(b))
}

/// ASCII octets as text, trailing spaces trimmed; `None` when blank or not printable.
fn ascii(b: &[u8]) -> Option<String> {
    if !b.iter().all(|c| (0x20..0x7f).contains(c)) {
        return None;
    }
    let s = String::from_utf8_lossy(b);
    let s = s.trim_end();
    (!s.is_empty()).then(|| s.to_string())
}

impl Cat062 {
    /// Type a walked record's items.
    pub fn from_items(r: &RecordItems<'_>) -> Cat062 {
        let it = |frn: usize| r.items[frn - 1];
        Cat062 {
            source: it(1).map(|b| DataSource {
                sac: b[0],
                sic: b[1],
            }),
            service_id: it(3).map(|b| b[0]),
            time_of_track: it(4).map(|b| u32::from_be_bytes([0, b[0], b[1], b[2]])),
            wgs84: it(5).map(|b| Wgs84 {
                lat: i32::from_be_bytes(arr(b)),
                lon: i32::from_be_bytes(arr(&b[4..])),
            }),
            cartesian: it(6).map(|b| CartesianPos {
                x: be24_signed(b),
                y: be24_signed(&b[3..]),
            }),
            velocity: it(7).map(|b| [be16s(b), be16s(&b[2..])]),
            acceleration: it(8).map(|b| [b[0] as i8, b[1] as i8]),
            mode3a: it(9).map(|b| TrackMode3A(be16(b))),
            target_id: it(10).map(|b| TargetId {
                sti_octet: b[0],
                chars: icao_chars(&b[1..]),
            }),
            aircraft_derived: it(11).map(|b| Subfields::parse(b, &I380)),
            track_number: it(12).map(be16),
            track_status: it(13).map(|b| TrackStatus(b.to_vec())),
            update_ages: it(14).map(|b| Subfields::parse(b, &I290)),
            mode_of_movement: it(15).map(|b| b[0]),
            data_ages: it(16).map(|b| Subfields::parse(b, &I295)),
            measured_fl: it(17).map(be16s),
            geometric_alt: it(18).map(be16s),
            barometric_alt: it(19).map(be16),
            rate_of_climb: it(20).map(be16s),
            flight_plan: it(21).map(|b| Subfields::parse(b, &I390)),
            target_size: it(22).map(<[u8]>::to_vec),
            fleet_id: it(23).map(|b| b[0]),
            mode5: it(24).map(|b| Subfields::parse(b, &I110)),
            mode2: it(25).map(be16),
            composed: it(26).map(|b| {
                b.chunks_exact(3)
                    .map(|e| (e[0], u16::from_be_bytes([e[1], e[2]]) >> 1))
                    .collect()
            }),
            accuracies: it(27).map(|b| Subfields::parse(b, &I500)),
            measured: it(28).map(|b| Subfields::parse(b, &I340)),
            re: it(34).map(|b| b[1..].to_vec()),
            sp: it(35).map(|b| b[1..].to_vec()),
        }
    }

    /// I062/070 in seconds since midnight.
    pub fn time_of_track_s(&self) -> Option<f64> {
        self.time_of_track.map(|t| f64::from(t) / 128.0)
    }
    /// I062/185 in m/s (x, y).
    pub fn velocity_mps(&self) -> Option<(f64, f64)> {
        self.velocity
            .map(|[x, y]| (f64::from(x) * 0.25, f64::from(y) * 0.25))
    }
    /// I062/210 in m/s² (x, y).
    pub fn acceleration_mps2(&self) -> Option<(f64, f64)> {
        self.acceleration
            .map(|[x, y]| (f64::from(x) * 0.25, f64::from(y) * 0.25))
    }
    /// I062/136 in flight levels.
    pub fn measured_fl(&self) -> Option<f64> {
        self.measured_fl.map(|v| f64::from(v) / 4.0)
    }
    /// I062/130 in feet (height above the ellipsoid).
    pub fn geometric_alt_ft(&self) -> Option<f64> {
        self.geometric_alt.map(|v| f64::from(v) * 6.25)
    }
    /// I062/135: QNH correction applied, and the altitude in flight levels.
    pub fn barometric_alt(&self) -> Option<(bool, f64)> {
        self.barometric_alt
            .map(|v| (v & 0x8000 != 0, f64::from(((v << 1) as i16) >> 1) / 4.0))
    }
    /// I062/220 in ft/min.
    pub fn rate_of_climb_ftpm(&self) -> Option<f64> {
        self.rate_of_climb.map(|v| f64::from(v) * 6.25)
    }
    /// I062/120's octal Mode 2 code.
    pub fn mode2_octal(&self) -> Option<String> {
        self.mode2.map(|m| format!("{:04o}", m & 0x0fff))
    }
    /// I062/380 ADR: the 24-bit target (Mode S) address.
    pub fn target_address(&self) -> Option<u32> {
        let b = self.aircraft_derived.as_ref()?.get(1)?;
        Some(u32::from_be_bytes([0, b[0], b[1], b[2]]))
    }
    /// I062/380 ID: the downlinked target identification.
    pub fn adr_identification(&self) -> Option<AircraftId> {
        Some(icao_chars(self.aircraft_derived.as_ref()?.get(2)?))
    }
    /// I062/380 GAL: geometric altitude, feet.
    pub fn adr_geometric_alt_ft(&self) -> Option<f64> {
        let b = self.aircraft_derived.as_ref()?.get(23)?;
        Some(f64::from(be16s(b)) * 6.25)
    }
    /// I062/390 CS: the flight plan's callsign (7 ASCII characters), trimmed.
    pub fn flight_plan_callsign(&self) -> Option<String> {
        ascii(self.flight_plan.as_ref()?.get(2)?)
    }
    /// I062/340 SID: the sensor whose measurement last updated the track.
    pub fn measured_sensor(&self) -> Option<DataSource> {
        let b = self.measured.as_ref()?.get(1)?;
        Some(DataSource {
            sac: b[0],
            sic: b[1],
        })
    }
    /// I062/500 typed.
    pub fn estimated_accuracies(&self) -> Option<Accuracies> {
        let c = self.accuracies.as_ref()?;
        let pair16 =
            |b: &[u8], lsb: f64| (f64::from(be16(b)) * lsb, f64::from(be16(&b[2..])) * lsb);
        let pair8 = |b: &[u8]| (f64::from(b[0]) * 0.25, f64::from(b[1]) * 0.25);
        Some(Accuracies {
            apc_m: c.get(1).map(|b| pair16(b, 0.5)),
            cov_m: c.get(2).map(|b| f64::from(be16s(b)) * 0.5),
            apw_deg: c.get(3).map(|b| pair16(b, WGS84_LSB_DEG)),
            aga_ft: c.get(4).map(|b| f64::from(b[0]) * 6.25),
            aba_fl: c.get(5).map(|b| f64::from(b[0]) * 0.25),
            atv_mps: c.get(6).map(pair8),
            aa_mps2: c.get(7).map(pair8),
            arc_ftpm: c.get(8).map(|b| f64::from(b[0]) * 6.25),
        })
    }
    /// The best callsign: I062/245 (downlinked), I062/380 ID, then the flight plan's.
    pub fn callsign(&self) -> Option<String> {
        self.target_id
            .filter(|t| t.sti() != 3)
            .and_then(|t| t.chars.callsign())
            .or_else(|| self.adr_identification().and_then(|a| a.callsign()))
            .or_else(|| self.flight_plan_callsign())
    }
}

/// Decode the CAT062 record at the start of `buf`: the record and its length.
pub fn decode_record(buf: &[u8]) -> Result<(Cat062, usize), RecordError> {
    let r = walk_record(buf)?;
    Ok((Cat062::from_items(&r), r.len))
}

/// Decode every CAT062 record of one whole data block; a block of another category
/// gives `Ok(None)` (as [`super::decode_block`] does for CAT048).
pub fn decode_block(block: &[u8]) -> Result<Option<Vec<Cat062>>, Fault> {
    super::decode_records(block, CAT062, "CAT062", decode_record)
}

/// Encode a record (minimal FSPEC, items in FRN order). Fails when an item does not
/// fit its shape (a repetition count or explicit length too large, a compound
/// subfield of the wrong length, a value outside its bits).
pub fn encode_record(r: &Cat062) -> Result<Vec<u8>, EncodeError> {
    let mut items: [Option<Vec<u8>>; CAT062_ITEMS] = std::array::from_fn(|_| None);
    let compound = |c: &Option<Subfields>, frn: usize| -> Result<Option<Vec<u8>>, EncodeError> {
        let Some((name, Some(Compound(subs)))) = UAP.get(frn - 1) else {
            return Ok(None);
        };
        c.as_ref().map(|c| c.encode(name, subs)).transpose()
    };
    let be24 = |v: i32, what: &str| -> Result<[u8; 3], EncodeError> {
        if !(-(1 << 23)..1 << 23).contains(&v) {
            return Err(EncodeError(format!("{what} {v} does not fit 24 bits")));
        }
        let b = v.to_be_bytes();
        Ok([b[1], b[2], b[3]])
    };
    items[0] = r.source.map(|s| vec![s.sac, s.sic]);
    items[2] = r.service_id.map(|s| vec![s]);
    items[3] = r
        .time_of_track
        .map(|t| {
            (t < 1 << 24)
                .then(|| t.to_be_bytes()[1..].to_vec())
                .ok_or_else(|| EncodeError(format!("I062/070 {t} does not fit 24 bits")))
        })
        .transpose()?;
    items[4] = r
        .wgs84
        .map(|p| [p.lat.to_be_bytes(), p.lon.to_be_bytes()].concat());
    items[5] = r
        .cartesian
        .map(|c| -> Result<Vec<u8>, EncodeError> {
            Ok([be24(c.x, "I062/100 X")?, be24(c.y, "I062/100 Y")?].concat())
        })
        .transpose()?;
    items[6] = r
        .velocity
        .map(|[x, y]| [x.to_be_bytes(), y.to_be_bytes()].concat());
    items[7] = r.acceleration.map(|[x, y]| vec![x as u8, y as u8]);
    items[8] = r.mode3a.map(|m| m.0.to_be_bytes().to_vec());
    items[9] = r.target_id.map(|t| {
        let mut v = vec![t.sti_octet];
        v.extend_from_slice(&t.chars.0);
        v
    });
    items[10] = compound(&r.aircraft_derived, 11)?;
    items[11] = r.track_number.map(|t| t.to_be_bytes().to_vec());
    items[12] = r.track_status.as_ref().map(|t| extended(&t.0));
    items[13] = compound(&r.update_ages, 14)?;
    items[14] = r.mode_of_movement.map(|m| vec![m]);
    items[15] = compound(&r.data_ages, 16)?;
    items[16] = r.measured_fl.map(|v| v.to_be_bytes().to_vec());
    items[17] = r.geometric_alt.map(|v| v.to_be_bytes().to_vec());
    items[18] = r.barometric_alt.map(|v| v.to_be_bytes().to_vec());
    items[19] = r.rate_of_climb.map(|v| v.to_be_bytes().to_vec());
    items[20] = compound(&r.flight_plan, 21)?;
    items[21] = r.target_size.as_ref().map(|t| extended(t));
    items[22] = r.fleet_id.map(|f| vec![f]);
    items[23] = compound(&r.mode5, 24)?;
    items[24] = r.mode2.map(|m| m.to_be_bytes().to_vec());
    items[25] = match &r.composed {
        None => None,
        Some(c) if c.is_empty() => return Err(EncodeError("I062/510: no element".into())),
        Some(c) => {
            let mut v = Vec::with_capacity(3 * c.len());
            for (i, &(unit, track)) in c.iter().enumerate() {
                if track >= 1 << 15 {
                    return Err(EncodeError(format!(
                        "I062/510 track {track} does not fit 15 bits"
                    )));
                }
                let fx = u16::from(i + 1 < c.len());
                v.push(unit);
                v.extend_from_slice(&((track << 1) | fx).to_be_bytes());
            }
            Some(v)
        }
    };
    items[26] = compound(&r.accuracies, 27)?;
    items[27] = compound(&r.measured, 28)?;
    items[33] = r.re.as_deref().map(|c| explicit("RE", c)).transpose()?;
    items[34] = r.sp.as_deref().map(|c| explicit("SP", c)).transpose()?;
    if items.iter().all(Option::is_none) {
        return Err(EncodeError("a record needs at least one item".into()));
    }
    Ok(assemble(&items))
}

/// The SDPS's system plane: I062/100 and I062/185 are x east, y north on a
/// stereographic projection tangent at the system reference point (the projection
/// SDPSs such as ARTAS use). Azimuthal, so a point's plane azimuth from the SRP is
/// its geodesic azimuth; its plane distance r is 2R·tan(s/2R) for the geodesic
/// distance s, with R the Gaussian mean radius at the SRP (the sphere the
/// stereographic is taken on); the geodesics are biac-geo's.
#[derive(Clone, Copy, Debug)]
pub struct SystemPlane {
    lat_deg: f64,
    lon_deg: f64,
    radius_m: f64,
}

impl SystemPlane {
    /// The plane about the reference point (`lat_deg`, `lon_deg`).
    pub fn new(lat_deg: f64, lon_deg: f64) -> SystemPlane {
        let (a, e2) = (biac_geo::WGS84_A, biac_geo::WGS84_E2);
        let s2 = lat_deg.to_radians().sin().powi(2);
        // Gaussian radius sqrt(M N) = a sqrt(1 - e²) / (1 - e² sin²φ).
        let radius_m = a * (1.0 - e2).sqrt() / (1.0 - e2 * s2);
        SystemPlane {
            lat_deg,
            lon_deg,
            radius_m,
        }
    }

    /// A plane point (x east, y north, metres) as latitude and longitude.
    pub fn to_geodetic(&self, x_m: f64, y_m: f64) -> (f64, f64) {
        let r = x_m.hypot(y_m);
        let s = 2.0 * self.radius_m * (r / (2.0 * self.radius_m)).atan();
        let az = x_m.atan2(y_m).to_degrees();
        biac_geo::destination(self.lat_deg, self.lon_deg, az, s)
    }

    /// A position as a plane point (x east, y north, metres).
    pub fn to_plane(&self, lat_deg: f64, lon_deg: f64) -> (f64, f64) {
        let (s, az, _) = biac_geo::inverse(self.lat_deg, self.lon_deg, lat_deg, lon_deg);
        let r = 2.0 * self.radius_m * (s / (2.0 * self.radius_m)).tan();
        let az = az.to_radians();
        (r * az.sin(), r * az.cos())
    }

    /// The true heading, radians clockwise, of the plane's y axis at a point (grid
    /// convergence): the projection is conformal, so every direction at the point
    /// turns by the difference between the geodesic's azimuth there and at the SRP.
    pub fn convergence_rad(&self, lat_deg: f64, lon_deg: f64) -> f64 {
        let (s, az1, az2) = biac_geo::inverse(self.lat_deg, self.lon_deg, lat_deg, lon_deg);
        if s < 1.0 {
            return 0.0;
        }
        biac_geo::angle_diff(az1, az2).to_radians()
    }

    /// A plane velocity (x, y) at a point as a true east/north velocity: its heading
    /// turns by the convergence.
    pub fn velocity_to_en(&self, lat_deg: f64, lon_deg: f64, vx: f64, vy: f64) -> (f64, f64) {
        let (s, c) = self.convergence_rad(lat_deg, lon_deg).sin_cos();
        (vx * c + vy * s, vy * c - vx * s)
    }
}

/// One-sigma position error when I062/500 states none, metres. An SDPS track of a
/// surveillance radar picture is good to a few hundred metres; this keeps a silent
/// source from claiming more.
pub const DEFAULT_POS_SIGMA_M: f64 = 500.0;
/// One-sigma velocity error per axis when I062/500 states none, m/s.
pub const DEFAULT_VEL_SIGMA_MPS: f64 = 10.0;
/// A stated sigma of 0 is not believed: fusion needs a positive variance.
const MIN_SIGMA: f64 = 0.5;

/// One CAT062 record to a national-track observation, or `None` when it is not an
/// estimate to fuse: no position (neither I062/105 nor I062/100), a simulated track
/// (I062/080 SIM), or a coasting one (CST: no measurement updated it, the position is
/// the SDPS's extrapolation, which this tracker's own prediction already makes).
///
/// `srp` is the system reference point (the feed's `radar` site): I062/100 positions
/// are in its plane, and I062/185 velocities always are. The track number is the
/// SDPS's SAC/SIC with I062/040 (`25/10:1234`), so tracks of two SDPSs on one feed
/// stay apart. Sigmas from I062/500 (APC, else APW; ATV), else the defaults above.
pub fn observe(
    cfg: &FeedConfig,
    srp: &RadarSite,
    r: &Cat062,
    now_ms: TimeMs,
) -> Result<Option<Observation>, Fault> {
    if let (Some(sac), Some(sic)) = (srp.sac, srp.sic) {
        match r.source {
            Some(s) if s == (DataSource { sac, sic }) => {}
            Some(s) => {
                return Err(Fault::field(
                    "I062/010",
                    format!(
                        "track from SAC/SIC {}/{}, the feed's system is {sac}/{sic}",
                        s.sac, s.sic
                    ),
                ))
            }
            None => {
                return Err(Fault::field(
                    "I062/010",
                    format!("no I062/010 data source, the feed's system is {sac}/{sic}"),
                ))
            }
        }
    }
    if r.track_status
        .as_ref()
        .is_some_and(|s| s.simulated() || s.coasting())
    {
        return Ok(None);
    }
    let plane = SystemPlane::new(srp.lat_deg, srp.lon_deg);
    let (lat, lon) = match (r.wgs84, r.cartesian) {
        (Some(p), _) => (p.lat_deg(), p.lon_deg()),
        (None, Some(c)) => plane.to_geodetic(c.x_m(), c.y_m()),
        (None, None) => return Ok(None),
    };
    // Height above the ellipsoid: I062/130 is geometric; else the barometric
    // altitude or measured flight level as pressure altitude (off by the geoid and
    // the day's pressure, tens to a few hundred metres; the tracker keeps altitude
    // beside its horizontal state).
    let alt_m = r
        .geometric_alt_ft()
        .or_else(|| r.barometric_alt().map(|(_, fl)| fl * 100.0))
        .or_else(|| r.measured_fl().map(|fl| fl * 100.0))
        .map(|ft| ft * FT_M);
    let position = Position {
        lat_deg: lat,
        lon_deg: lon,
        alt_m,
    };
    if !position.is_valid() {
        return Err(Fault::field(
            "I062/105",
            format!("track position {lat}, {lon} is not a WGS84 position"),
        ));
    }
    let time_ms = match r.time_of_track {
        None => now_ms,
        Some(t) if t >= 86_400 * 128 => {
            return Err(Fault::field(
                "I062/070",
                format!(
                    "I062/070 time of track {} s is not within a day",
                    f64::from(t) / 128.0
                ),
            ))
        }
        Some(t) => resolve_time_of_day(t, now_ms),
    };
    let acc = r.estimated_accuracies().unwrap_or_default();
    let pos_sigma_m = match (acc.apc_m, acc.apw_deg) {
        (Some((x, y)), _) => ((x * x + y * y) / 2.0).sqrt(),
        (None, Some((dlat, dlon))) => {
            // Degrees to metres at the track: a degree of latitude is ~111.2 km, of
            // longitude that times the cosine of the latitude.
            let m_per_deg = biac_geo::NM * 60.0;
            let (y, x) = (dlat * m_per_deg, dlon * m_per_deg * lat.to_radians().cos());
            ((x * x + y * y) / 2.0).sqrt()
        }
        (None, None) => DEFAULT_POS_SIGMA_M,
    }
    .max(MIN_SIGMA);
    let velocity = r.velocity_mps().map(|(vx, vy)| {
        let (east_mps, north_mps) = plane.velocity_to_en(lat, lon, vx, vy);
        Velocity {
            east_mps,
            north_mps,
        }
    });
    let vel_sigma_mps = velocity.map(|_| {
        acc.atv_mps
            .map_or(DEFAULT_VEL_SIGMA_MPS, |(x, y)| {
                ((x * x + y * y) / 2.0).sqrt()
            })
            .max(MIN_SIGMA)
    });
    let source = r
        .source
        .map_or_else(String::new, |s| format!("{}/{}", s.sac, s.sic));
    let identity = Identity {
        icao: r.target_address(),
        callsign: r.callsign(),
        track_number: r.track_number.map(|t| {
            if source.is_empty() {
                t.to_string()
            } else {
                format!("{source}:{t}")
            }
        }),
        ..Identity::default()
    };
    Ok(Some(Observation {
        time_ms,
        position,
        pos_sigma_m,
        velocity,
        vel_sigma_mps,
        identity,
        // A system track of the air picture.
        domain: Domain::Air,
        affiliation: None,
        kind: ObservationKind::Track,
        feed: cfg.name.clone(),
        sensor: source,
        label: cfg.default_label.clone(),
        polar: None,
    }))
}
