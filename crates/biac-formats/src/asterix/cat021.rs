//! ASTERIX CAT021 ADS-B target reports (edition 2.6, as libasterix's `Cat_021_2_6`;
//! editions 2.1–2.7 differ inside extended items, which walk alike).
//!
//! An ADS-B report is the aircraft's own statement of its position: it becomes a
//! self-report observation ([`ObservationKind::SelfReport`]) bound by its 24-bit
//! address, as the Mode S / SBS feeds' are. The record keeps every item's octets
//! ([`Cat021::items`]) and reads the ones biac uses through accessors, so it
//! re-encodes to the bytes it came from.

use biac_model::{
    Domain, FeedConfig, Identity, Observation, ObservationKind, Position, TimeMs, Velocity,
};

use super::{
    arr, assemble, be16, resolve_time_of_day, shape_len, walk, AircraftId, DataSource, RecordError,
    Shape, Uap,
};
use Shape::*;

use crate::{EncodeError, Fault};

/// The category of ADS-B target reports.
pub const CAT021: u8 = 21;
/// Number of FRNs in the CAT021 UAP (seven FSPEC octets).
pub const CAT021_ITEMS: usize = 49;
const FT_M: f64 = 0.3048;

/// I021/220 Met Information: WS WD TMP TRB.
const I220: [Option<Shape>; 4] = [
    Some(Fixed(2)),
    Some(Fixed(2)),
    Some(Fixed(2)),
    Some(Fixed(1)),
];
/// I021/110 Trajectory Intent: TIS (extended), TID (repetitive, 15 octets).
const I110: [Option<Shape>; 2] = [Some(Extended), Some(Repetitive(15))];
/// I021/295 Data Ages: 23 ages of one octet.
const I295: [Option<Shape>; 23] = [Some(Fixed(1)); 23];

/// The CAT021 UAP, by FRN (index + 1); `None` for spare FRNs.
pub(crate) const UAP: [(&str, Option<Shape>); CAT021_ITEMS] = [
    ("I021/010", Some(Fixed(2))),
    ("I021/040", Some(Extended)),
    ("I021/161", Some(Fixed(2))),
    ("I021/015", Some(Fixed(1))),
    ("I021/071", Some(Fixed(3))),
    ("I021/130", Some(Fixed(6))),
    ("I021/131", Some(Fixed(8))),
    ("I021/072", Some(Fixed(3))),
    ("I021/150", Some(Fixed(2))),
    ("I021/151", Some(Fixed(2))),
    ("I021/080", Some(Fixed(3))),
    ("I021/073", Some(Fixed(3))),
    ("I021/074", Some(Fixed(4))),
    ("I021/075", Some(Fixed(3))),
    ("I021/076", Some(Fixed(4))),
    ("I021/140", Some(Fixed(2))),
    ("I021/090", Some(Extended)),
    ("I021/210", Some(Fixed(1))),
    ("I021/070", Some(Fixed(2))),
    ("I021/230", Some(Fixed(2))),
    ("I021/145", Some(Fixed(2))),
    ("I021/152", Some(Fixed(2))),
    ("I021/200", Some(Fixed(1))),
    ("I021/155", Some(Fixed(2))),
    ("I021/157", Some(Fixed(2))),
    ("I021/160", Some(Fixed(4))),
    ("I021/165", Some(Fixed(2))),
    ("I021/077", Some(Fixed(3))),
    ("I021/170", Some(Fixed(6))),
    ("I021/020", Some(Fixed(1))),
    ("I021/220", Some(Compound(&I220))),
    ("I021/146", Some(Fixed(2))),
    ("I021/148", Some(Fixed(2))),
    ("I021/110", Some(Compound(&I110))),
    ("I021/016", Some(Fixed(1))),
    ("I021/008", Some(Fixed(1))),
    ("I021/271", Some(Extended)),
    ("I021/132", Some(Fixed(1))),
    ("I021/250", Some(Repetitive(8))),
    ("I021/260", Some(Fixed(7))),
    ("I021/400", Some(Fixed(1))),
    ("I021/295", Some(Compound(&I295))),
    ("spare", None),
    ("spare", None),
    ("spare", None),
    ("spare", None),
    ("spare", None),
    ("RE", Some(Explicit)),
    ("SP", Some(Explicit)),
];

/// The item name (`I021/080`, `RE`, `SP`, `spare`) of a field reference number 1–49.
pub fn item_name(frn: usize) -> &'static str {
    frn.checked_sub(1)
        .and_then(|i| UAP.get(i))
        .map_or("?", |(n, _)| n)
}

/// The FRN of an item name (`I021/080` → 11).
pub fn frn_of(name: &str) -> Option<usize> {
    UAP.iter().position(|(n, _)| *n == name).map(|i| i + 1)
}

/// One CAT021 record: every item present as its octets on the wire (FX bits, REP
/// and length octets included), by FRN − 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cat021 {
    pub items: Vec<Option<Vec<u8>>>,
}

impl Default for Cat021 {
    fn default() -> Self {
        Cat021 {
            items: vec![None; CAT021_ITEMS],
        }
    }
}

fn be24(b: &[u8]) -> u32 {
    u32::from_be_bytes([0, b[0], b[1], b[2]])
}

fn be24s(b: &[u8]) -> i32 {
    i32::from_be_bytes([b[0], b[1], b[2], 0]) >> 8
}

impl Cat021 {
    /// Item `name`'s octets, when present.
    pub fn item(&self, name: &str) -> Option<&[u8]> {
        self.items.get(frn_of(name)? - 1)?.as_deref()
    }
    /// Set item `name` to `octets` (as on the wire), or clear it with `None`.
    pub fn set(&mut self, name: &str, octets: Option<Vec<u8>>) {
        if let Some(frn) = frn_of(name) {
            self.items[frn - 1] = octets;
        }
    }
    /// I021/010.
    pub fn source(&self) -> Option<DataSource> {
        self.item("I021/010").map(|b| DataSource {
            sac: b[0],
            sic: b[1],
        })
    }
    /// I021/080 Target Address (24 bits).
    pub fn target_address(&self) -> Option<u32> {
        self.item("I021/080").map(be24)
    }
    /// I021/161's 12-bit track number.
    pub fn track_number(&self) -> Option<u16> {
        self.item("I021/161").map(|b| be16(b) & 0x0fff)
    }
    /// I021/170 Target Identification.
    pub fn target_id(&self) -> Option<AircraftId> {
        self.item("I021/170").map(|b| AircraftId(arr(b)))
    }
    /// I021/131 High-Resolution Position, degrees (180/2³⁰).
    pub fn position_hr_deg(&self) -> Option<(f64, f64)> {
        let lsb = 180.0 / f64::from(1u32 << 30);
        self.item("I021/131").map(|b| {
            (
                f64::from(i32::from_be_bytes(arr(b))) * lsb,
                f64::from(i32::from_be_bytes(arr(&b[4..]))) * lsb,
            )
        })
    }
    /// I021/130 Position, degrees (180/2²³).
    pub fn position_deg(&self) -> Option<(f64, f64)> {
        let lsb = 180.0 / f64::from(1u32 << 23);
        self.item("I021/130")
            .map(|b| (f64::from(be24s(b)) * lsb, f64::from(be24s(&b[3..])) * lsb))
    }
    /// A time item (I021/071, 072, 073, 075, 077) in 1/128 s since midnight.
    pub fn time_128(&self, name: &str) -> Option<u32> {
        self.item(name).filter(|b| b.len() == 3).map(be24)
    }
    /// I021/140 Geometric Height, feet.
    pub fn geometric_height_ft(&self) -> Option<f64> {
        self.item("I021/140")
            .map(|b| f64::from(be16(b) as i16) * 6.25)
    }
    /// I021/145 Flight Level.
    pub fn flight_level(&self) -> Option<f64> {
        self.item("I021/145")
            .map(|b| f64::from(be16(b) as i16) / 4.0)
    }
    /// I021/160 Airborne Ground Vector: range exceeded, ground speed (NM/s), track
    /// angle (degrees).
    pub fn ground_vector(&self) -> Option<(bool, f64, f64)> {
        self.item("I021/160").map(|b| {
            (
                b[0] & 0x80 != 0,
                f64::from(be16(b) & 0x7fff) / 16384.0,
                f64::from(be16(&b[2..])) * 360.0 / 65536.0,
            )
        })
    }
    /// I021/040 Target Report Descriptor bit `bit` (8 = most significant) of octet
    /// `octet`, when present.
    fn descriptor_bit(&self, octet: usize, bit: u8) -> Option<bool> {
        super::ext_bit(self.item("I021/040")?, octet, bit)
    }
    /// I021/040 RAB: a field monitor, not an aircraft.
    pub fn rab(&self) -> bool {
        self.descriptor_bit(0, 2) == Some(true)
    }
    /// I021/040 SIM (first extension): simulated.
    pub fn sim(&self) -> bool {
        self.descriptor_bit(1, 6) == Some(true)
    }
    /// I021/040 TST (first extension): test target.
    pub fn tst(&self) -> bool {
        self.descriptor_bit(1, 5) == Some(true)
    }
    /// I021/090 NACp (first extension, bits 5–2), when present.
    pub fn nac_p(&self) -> Option<u8> {
        self.item("I021/090")?.get(1).map(|b| (b >> 1) & 0x0f)
    }
}

/// A walked CAT021 record: its length and each present item's octets, by FRN − 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordItems<'a> {
    pub len: usize,
    pub items: Vec<Option<&'a [u8]>>,
}

/// Walk the CAT021 record at the start of `buf`. Never reads past `buf`.
pub fn walk_record(buf: &[u8]) -> Result<RecordItems<'_>, RecordError> {
    let mut items = vec![None; CAT021_ITEMS];
    let uap: &Uap = &UAP;
    let len = walk("CAT021", uap, buf, &mut items)?;
    Ok(RecordItems { len, items })
}

/// Decode the CAT021 record at the start of `buf`: the record and its length.
pub fn decode_record(buf: &[u8]) -> Result<(Cat021, usize), RecordError> {
    let r = walk_record(buf)?;
    Ok((
        Cat021 {
            items: r.items.into_iter().map(|i| i.map(<[u8]>::to_vec)).collect(),
        },
        r.len,
    ))
}

/// Decode every CAT021 record of one whole data block; `Ok(None)` for another
/// category.
pub fn decode_block(block: &[u8]) -> Result<Option<Vec<Cat021>>, Fault> {
    super::decode_records(block, CAT021, "CAT021", decode_record)
}

/// Encode a record (minimal FSPEC). Fails when an item is not one whole value of its
/// shape, or sits on a spare FRN.
pub fn encode_record(r: &Cat021) -> Result<Vec<u8>, EncodeError> {
    if r.items.len() != CAT021_ITEMS {
        return Err(EncodeError(format!(
            "{} items, CAT021 has {CAT021_ITEMS}",
            r.items.len()
        )));
    }
    for (i, (name, shape)) in UAP.iter().enumerate() {
        let Some(octets) = &r.items[i] else { continue };
        let Some(shape) = shape else {
            return Err(EncodeError(format!("FRN {} is spare", i + 1)));
        };
        if shape_len(octets, *shape) != Ok(octets.len()) {
            return Err(EncodeError(format!(
                "{name} is not one value of its shape ({shape:?})"
            )));
        }
    }
    if r.items.iter().all(Option::is_none) {
        return Err(EncodeError("a record needs at least one item".into()));
    }
    Ok(assemble(&r.items))
}

/// One-sigma horizontal error when I021/090 states no NACp, metres.
pub const DEFAULT_POS_SIGMA_M: f64 = 100.0;

/// The 95 % horizontal bound (EPU) of a NACp, metres; `None` for 0 (unknown) and
/// values the standard does not define.
pub fn nac_p_epu_m(nac: u8) -> Option<f64> {
    const NM: f64 = 1852.0;
    Some(match nac {
        11 => 3.0,
        10 => 10.0,
        9 => 30.0,
        8 => 0.05 * NM,
        7 => 0.1 * NM,
        6 => 0.3 * NM,
        5 => 0.5 * NM,
        4 => NM,
        3 => 2.0 * NM,
        2 => 4.0 * NM,
        1 => 10.0 * NM,
        _ => return None,
    })
}

/// One CAT021 record to a self-report, or `None` when it carries no position or is
/// not an aircraft's own report (field monitor RAB, simulated, test). Position from
/// I021/131 (else 130); time I021/073 (reception), else 071 (applicability), else
/// the receive time; height I021/140 (geometric), else 145 (pressure altitude);
/// velocity from I021/160 (unless range exceeded); sigma from NACp (EPU as the 95 %
/// radius of a circular normal: σ = EPU / 2.45).
pub fn observe(cfg: &FeedConfig, r: &Cat021, now_ms: TimeMs) -> Result<Option<Observation>, Fault> {
    if r.rab() || r.sim() || r.tst() {
        return Ok(None);
    }
    let Some((lat, lon)) = r.position_hr_deg().or_else(|| r.position_deg()) else {
        return Ok(None);
    };
    let alt_m = r
        .geometric_height_ft()
        .or_else(|| r.flight_level().map(|fl| fl * 100.0))
        .map(|ft| ft * FT_M);
    let position = Position {
        lat_deg: lat,
        lon_deg: lon,
        alt_m,
    };
    if !position.is_valid() {
        return Err(Fault::field(
            "I021/131",
            format!("position {lat}, {lon} is not a WGS84 position"),
        ));
    }
    let time_ms = match r.time_128("I021/073").or_else(|| r.time_128("I021/071")) {
        None => now_ms,
        Some(t) if t >= 86_400 * 128 => {
            return Err(Fault::field(
                "I021/073",
                format!("time of day {} s is not within a day", f64::from(t) / 128.0),
            ))
        }
        Some(t) => resolve_time_of_day(t, now_ms),
    };
    const EPU_PER_SIGMA: f64 = 2.45;
    let pos_sigma_m = r
        .nac_p()
        .and_then(nac_p_epu_m)
        .map_or(DEFAULT_POS_SIGMA_M, |e| e / EPU_PER_SIGMA);
    let velocity = r
        .ground_vector()
        .filter(|(exceeded, _, _)| !exceeded)
        .map(|(_, gs, ta)| {
            let v = gs * 1852.0;
            let ta = ta.to_radians();
            Velocity {
                east_mps: v * ta.sin(),
                north_mps: v * ta.cos(),
            }
        });
    let sensor = r
        .source()
        .map_or_else(String::new, |s| format!("{}/{}", s.sac, s.sic));
    Ok(Some(Observation {
        time_ms,
        position,
        pos_sigma_m,
        // ADS-B velocity is good to a few m/s (NACv 1: < 10 m/s 95 %).
        vel_sigma_mps: velocity.map(|_| 2.0),
        velocity,
        identity: Identity {
            icao: r.target_address(),
            callsign: r.target_id().and_then(|a| a.callsign()),
            ..Identity::default()
        },
        domain: Domain::Air,
        affiliation: None,
        kind: ObservationKind::SelfReport,
        feed: cfg.name.clone(),
        sensor,
        label: cfg.default_label.clone(),
        polar: None,
    }))
}
