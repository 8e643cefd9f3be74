//! EUROCONTROL ASTERIX: data blocks, CAT048 monoradar target reports (the user
//! application profile of editions 1.2x–1.32) and, in [`cat062`], CAT062 system
//! tracks.
//!
//! A data block is CAT (1 octet), LEN (2 octets, big-endian, the whole block including
//! these 3) and records. A CAT048 record starts with its FSPEC: octets whose bits 8..2
//! say which items follow (field reference numbers 1–7 in the first octet, 8–14 in the
//! second, …) and whose bit 1 (FX) says another FSPEC octet follows. The items follow
//! in FRN order, each of one of five shapes:
//!
//! - fixed: a known number of octets;
//! - extended: octets up to the first whose FX bit (bit 1) is clear (I048/020,
//!   I048/170; I048/030 is an FX-terminated list of codes, walked alike);
//! - repetitive: a count octet REP, then REP elements of a fixed size (I048/250);
//! - compound: a primary subfield (FX-extended, like the FSPEC) whose bits say which
//!   subfields follow, each of its own shape (I048/130, I048/120; CAT062's I062/380
//!   has four primary octets);
//! - FX-repetitive: elements of a fixed size, each ending in an FX bit (I062/510);
//! - explicit: a length octet counting itself, then the contents (SP, RE).
//!
//! Records carry no length and no marker, so a record whose structure does not parse
//! makes the rest of its block unreadable; blocks are length-prefixed, so the next
//! block is read as usual. [`walk_record`] finds a record's items and length (the
//! framer uses it to hand each record over on its own), [`Cat048`] is the typed record,
//! [`encode_record`] and [`encode_block`] write them, and [`AsterixNormaliser`] turns
//! target reports into observations in the radar's own measurement space.
//!
//! One walker (`walk`) serves every category, from a table of the category's item
//! shapes by FRN (its UAP, spare FRNs refused). CAT062 records in the same feed become
//! national-track observations ([`cat062::observe`]), the feed's site being the system
//! reference point; CAT021 ADS-B reports become self-reports ([`cat021::observe`]).
//!
//! Blocks of other categories (CAT034 service messages beside CAT048 in a radar feed,
//! for instance) are valid and skipped whole, counted in [`AsterixStats`].

use biac_model::{
    Domain, FeedConfig, Identity, Observation, ObservationKind, PolarMeasurement, Position,
    RadarSite, TimeMs,
};

pub mod cat021;
pub mod cat062;
#[cfg(test)]
mod tests;

/// The category of monoradar target reports.
pub const CAT048: u8 = 48;
/// The largest data block the framer accepts (LEN). The format allows 65,535; a radar
/// sends one block per sector or per few plots, far below this, and a wrong length
/// field (a byte slip, garbage) can hold the stream back only until this many bytes
/// have arrived.
pub const MAX_BLOCK_LEN: usize = 8192;
/// One nautical mile, metres.
pub const NM_M: f64 = 1852.0;
const FT_M: f64 = 0.3048;
const DAY_MS: i64 = 86_400_000;

/// The shape of an item (or of a compound item's subfield).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Shape {
    Fixed(usize),
    /// Octets up to one whose FX bit is clear.
    Extended,
    /// A count octet, then that many elements of this size.
    Repetitive(usize),
    /// Elements of this size, each ending in an FX bit that says another follows
    /// (I062/510).
    RepetitiveFx(usize),
    /// A primary subfield of FX-extended octets (bits 8..2 of each name the next seven
    /// subfields; `None` = spare), then the subfields present, in order.
    Compound(&'static [Option<Shape>]),
    /// A length octet (counting itself), then the contents.
    Explicit,
}

use Shape::*;

use crate::{EncodeError, Fault};

/// I048/130 Radar Plot Characteristics: SRL, SRR, SAM, PRL, PAM, RPD, APD, one octet each.
const I130: [Option<Shape>; 7] = [Some(Fixed(1)); 7];
/// I048/120 Radial Doppler Speed: CAL (2 octets), RDS (repetitive, 6-octet elements).
const I120: [Option<Shape>; 7] = [
    Some(Fixed(2)),
    Some(Repetitive(6)),
    None,
    None,
    None,
    None,
    None,
];

/// A category's user application profile: each FRN's item name and shape, `None` for
/// a spare FRN.
pub(crate) type Uap = [(&'static str, Option<Shape>)];

/// The CAT048 UAP, by FRN (index + 1).
const UAP: [(&str, Option<Shape>); 28] = [
    ("I048/010", Some(Fixed(2))),
    ("I048/140", Some(Fixed(3))),
    ("I048/020", Some(Extended)),
    ("I048/040", Some(Fixed(4))),
    ("I048/070", Some(Fixed(2))),
    ("I048/090", Some(Fixed(2))),
    ("I048/130", Some(Compound(&I130))),
    ("I048/220", Some(Fixed(3))),
    ("I048/240", Some(Fixed(6))),
    ("I048/250", Some(Repetitive(8))),
    ("I048/161", Some(Fixed(2))),
    ("I048/042", Some(Fixed(4))),
    ("I048/200", Some(Fixed(4))),
    ("I048/170", Some(Extended)),
    ("I048/210", Some(Fixed(4))),
    ("I048/030", Some(Extended)),
    ("I048/080", Some(Fixed(2))),
    ("I048/100", Some(Fixed(4))),
    ("I048/110", Some(Fixed(2))),
    ("I048/120", Some(Compound(&I120))),
    ("I048/230", Some(Fixed(2))),
    ("I048/260", Some(Fixed(7))),
    ("I048/055", Some(Fixed(1))),
    ("I048/050", Some(Fixed(2))),
    ("I048/065", Some(Fixed(1))),
    ("I048/060", Some(Fixed(2))),
    ("SP", Some(Explicit)),
    ("RE", Some(Explicit)),
];

/// Number of items in the CAT048 UAP (FRN 1–28, four FSPEC octets).
pub const CAT048_ITEMS: usize = UAP.len();

/// The item name (`I048/040`, `SP`, `RE`) of a field reference number 1–28.
pub fn item_name(frn: usize) -> &'static str {
    frn.checked_sub(1)
        .and_then(|i| UAP.get(i))
        .map_or("?", |(n, _)| n)
}

/// A record whose structure does not parse: where (octet within the record) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordError {
    pub at: usize,
    pub reason: Fault,
}

/// A walked CAT048 record: its length and each present item's octets (as on the
/// wire, shape octets included: FX bits, REP, the explicit length), by FRN − 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordItems<'a> {
    pub len: usize,
    pub items: [Option<&'a [u8]>; CAT048_ITEMS],
}

/// Walk the CAT048 record at the start of `buf` (which ends where its block ends):
/// its FSPEC, then every item by its shape. Never reads past `buf`.
pub fn walk_record(buf: &[u8]) -> Result<RecordItems<'_>, RecordError> {
    let mut items = [None; CAT048_ITEMS];
    let len = walk("CAT048", &UAP, buf, &mut items)?;
    Ok(RecordItems { len, items })
}

/// Walk the record of the category `cat` (named in errors) whose profile is `uap` at
/// the start of `buf`: its FSPEC (at most enough octets for the profile), then every
/// item present by its shape, each item's octets into `items` (by FRN − 1, as long as
/// `uap`). The record's length. Never reads past `buf`.
pub(crate) fn walk<'a>(
    cat: &str,
    uap: &Uap,
    buf: &'a [u8],
    items: &mut [Option<&'a [u8]>],
) -> Result<usize, RecordError> {
    let err = |at: usize, reason: Fault| RecordError { at, reason };
    let max_fspec = uap.len().div_ceil(7);
    let mut fspec_len = 0;
    loop {
        let Some(&b) = buf.get(fspec_len) else {
            return Err(err(
                fspec_len,
                if fspec_len == 0 {
                    Fault::Truncated("empty record".into())
                } else {
                    Fault::Truncated(
                        "FSPEC runs past the end of the block (FX set in its last octet)".into(),
                    )
                },
            ));
        };
        fspec_len += 1;
        if b & 1 == 0 {
            break;
        }
        if fspec_len == max_fspec {
            return Err(err(
                fspec_len - 1,
                Fault::Syntax(format!(
                    "FSPEC longer than {max_fspec} octets (FX set in the {max_fspec}th; \
                     {cat} has {} items)",
                    uap.len()
                )),
            ));
        }
    }
    let fspec = &buf[..fspec_len];
    if fspec.iter().all(|b| b & 0xfe == 0) {
        return Err(err(0, Fault::Syntax("FSPEC names no item".into())));
    }
    let mut pos = fspec_len;
    for (i, (name, shape)) in uap.iter().enumerate() {
        let present = fspec.get(i / 7).is_some_and(|b| b & (0x80 >> (i % 7)) != 0);
        if !present {
            continue;
        }
        let Some(shape) = shape else {
            return Err(err(
                i / 7,
                Fault::Syntax(format!("FSPEC sets spare FRN {}", i + 1)),
            ));
        };
        let rest = &buf[pos..];
        let len = shape_len(rest, *shape).map_err(|(at, why)| {
            err(
                pos + at,
                why.map_detail(|why| {
                    format!("{name} at record octet {pos}: {why} ({} left)", rest.len())
                }),
            )
        })?;
        items[i] = Some(&rest[..len]);
        pos += len;
    }
    Ok(pos)
}

/// Length of an item of `shape` at the start of `buf`, or where and why it does not
/// fit.
pub(crate) fn shape_len(buf: &[u8], shape: Shape) -> Result<usize, (usize, Fault)> {
    // The message is made only on failure: this runs for every item of every record.
    let need = |n: usize, what: &dyn Fn() -> String| {
        if n <= buf.len() {
            Ok(n)
        } else {
            Err((
                buf.len(),
                Fault::Truncated(format!("{} needs {n} octets", what())),
            ))
        }
    };
    match shape {
        Fixed(n) => need(n, &|| "the item".into()),
        Extended => {
            let mut n = 0;
            loop {
                let Some(b) = buf.get(n) else {
                    return Err((
                        n,
                        Fault::Truncated(format!("extension {} (FX) runs past the end", n + 1)),
                    ));
                };
                n += 1;
                if b & 1 == 0 {
                    return Ok(n);
                }
            }
        }
        Repetitive(size) => {
            let Some(&rep) = buf.first() else {
                return Err((0, Fault::Truncated("REP octet missing".into())));
            };
            let rep = usize::from(rep);
            need(1 + rep * size, &|| format!("REP {rep} × {size}"))
        }
        Explicit => {
            let Some(&len) = buf.first() else {
                return Err((0, Fault::Truncated("length octet missing".into())));
            };
            let len = usize::from(len);
            if len == 0 {
                return Err((
                    0,
                    Fault::Syntax("length 0 (the length counts its own octet)".into()),
                ));
            }
            need(len, &|| "its length".into())
        }
        RepetitiveFx(size) => {
            let mut n = 0;
            loop {
                let Some(&b) = buf.get(n + size - 1) else {
                    return Err((
                        buf.len(),
                        Fault::Truncated(format!(
                            "element {} of {size} octets runs past the end",
                            n / size + 1
                        )),
                    ));
                };
                n += size;
                if b & 1 == 0 {
                    return Ok(n);
                }
            }
        }
        Compound(subs) => {
            let max_primary = subs.len().div_ceil(7);
            let mut primary = 0;
            loop {
                let Some(&b) = buf.get(primary) else {
                    return Err((primary, Fault::Truncated("primary subfield missing".into())));
                };
                primary += 1;
                if b & 1 == 0 {
                    break;
                }
                if primary == max_primary {
                    return Err((
                        primary - 1,
                        Fault::Syntax(format!(
                            "primary subfield extended (FX) past the {} subfields of this \
                             edition",
                            subs.len()
                        )),
                    ));
                }
            }
            let mut pos = primary;
            for (k, sub) in subs.iter().enumerate() {
                if k / 7 >= primary || buf[k / 7] & (0x80 >> (k % 7)) == 0 {
                    continue;
                }
                let Some(sub) = sub else {
                    return Err((
                        k / 7,
                        Fault::Syntax(format!("primary subfield sets spare subfield {}", k + 1)),
                    ));
                };
                let len = shape_len(&buf[pos..], *sub).map_err(|(at, why)| {
                    (pos + at, why.context(format_args!("subfield {}", k + 1)))
                })?;
                pos += len;
            }
            // Bits of the last primary octet past the profile's subfields.
            if let Some(k) = (subs.len()..primary * 7).find(|k| buf[k / 7] & (0x80 >> (k % 7)) != 0)
            {
                return Err((
                    k / 7,
                    Fault::Syntax(format!("primary subfield sets spare subfield {}", k + 1)),
                ));
            }
            Ok(pos)
        }
    }
}

/// I048/010 Data Source Identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DataSource {
    /// System Area Code.
    pub sac: u8,
    /// System Identification Code.
    pub sic: u8,
}

/// Octets of an extended item, bit `bit` (8 = most significant) of octet `octet`,
/// when that octet is present.
pub(crate) fn ext_bit(octets: &[u8], octet: usize, bit: u8) -> Option<bool> {
    octets.get(octet).map(|b| (b >> (bit - 1)) & 1 == 1)
}

/// I048/020 Target Report Descriptor, as its octets (FX bits included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Descriptor(pub Vec<u8>);

impl Descriptor {
    /// TYP: 0 no detection, 1 PSR, 2 SSR, 3 SSR + PSR, 4 Mode S all-call, 5 Mode S
    /// roll-call, 6 Mode S all-call + PSR, 7 Mode S roll-call + PSR.
    pub fn typ(&self) -> u8 {
        self.0.first().map_or(0, |b| b >> 5)
    }
    /// SIM: simulated target report.
    pub fn sim(&self) -> bool {
        ext_bit(&self.0, 0, 5) == Some(true)
    }
    /// RDP: report from RDP chain 2.
    pub fn rdp(&self) -> bool {
        ext_bit(&self.0, 0, 4) == Some(true)
    }
    /// SPI: special position identification.
    pub fn spi(&self) -> bool {
        ext_bit(&self.0, 0, 3) == Some(true)
    }
    /// RAB: report from a field monitor (fixed transponder), not from an aircraft.
    pub fn rab(&self) -> bool {
        ext_bit(&self.0, 0, 2) == Some(true)
    }
    /// TST: test target report (first extension).
    pub fn tst(&self) -> Option<bool> {
        ext_bit(&self.0, 1, 8)
    }
    /// ERR: extended range present.
    pub fn err(&self) -> Option<bool> {
        ext_bit(&self.0, 1, 7)
    }
    /// XPP: X-pulse present.
    pub fn xpp(&self) -> Option<bool> {
        ext_bit(&self.0, 1, 6)
    }
    /// ME: military emergency.
    pub fn me(&self) -> Option<bool> {
        ext_bit(&self.0, 1, 5)
    }
    /// MI: military identification.
    pub fn mi(&self) -> Option<bool> {
        ext_bit(&self.0, 1, 4)
    }
    /// FOE/FRI: 0 no Mode 4 interrogation, 1 friendly target, 2 unknown target, 3 no reply.
    pub fn foe_fri(&self) -> Option<u8> {
        self.0.get(1).map(|b| (b >> 1) & 3)
    }
}

/// I048/040 Measured Position in Polar Co-ordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeasuredPolar {
    /// RHO, slant range in 1/256 NM.
    pub rho: u16,
    /// THETA, azimuth clockwise from north in 360/2¹⁶ degrees.
    pub theta: u16,
}

impl MeasuredPolar {
    pub fn range_nm(&self) -> f64 {
        f64::from(self.rho) / 256.0
    }
    pub fn azimuth_deg(&self) -> f64 {
        f64::from(self.theta) * 360.0 / 65536.0
    }
}

/// I048/070 Mode-3/A Code in Octal Representation (the item's 16 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode3A(pub u16);

impl Mode3A {
    /// V: code not validated.
    pub fn not_validated(&self) -> bool {
        self.0 & 0x8000 != 0
    }
    /// G: garbled code.
    pub fn garbled(&self) -> bool {
        self.0 & 0x4000 != 0
    }
    /// L: code not extracted during the last scan (smoothed).
    pub fn not_extracted(&self) -> bool {
        self.0 & 0x2000 != 0
    }
    /// The 12-bit reply, A4 A2 A1 B4 … D1.
    pub fn code(&self) -> u16 {
        self.0 & 0x0fff
    }
    /// The code as four octal digits, e.g. `7700`.
    pub fn octal(&self) -> String {
        format!("{:04o}", self.code())
    }
}

/// I048/090 Flight Level in Binary Representation (the item's 16 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlightLevel(pub u16);

impl FlightLevel {
    /// V: code not validated.
    pub fn not_validated(&self) -> bool {
        self.0 & 0x8000 != 0
    }
    /// G: garbled code.
    pub fn garbled(&self) -> bool {
        self.0 & 0x4000 != 0
    }
    /// The flight level in quarters (14-bit two's complement).
    pub fn quarters(&self) -> i16 {
        ((self.0 << 2) as i16) >> 2
    }
    /// The flight level (hundreds of feet of pressure altitude).
    pub fn flight_level(&self) -> f64 {
        f64::from(self.quarters()) / 4.0
    }
}

/// I048/130 Radar Plot Characteristics: each subfield present or not, raw octet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlotCharacteristics {
    /// SSR plot runlength, 360/2¹³ degrees.
    pub srl: Option<u8>,
    /// Number of received replies for (M)SSR.
    pub srr: Option<u8>,
    /// Amplitude of (M)SSR reply, dBm (two's complement).
    pub sam: Option<u8>,
    /// Primary plot runlength, 360/2¹³ degrees.
    pub prl: Option<u8>,
    /// Amplitude of primary plot, dBm (two's complement).
    pub pam: Option<u8>,
    /// Difference in range between PSR and SSR plot, 1/256 NM (two's complement).
    pub rpd: Option<u8>,
    /// Difference in azimuth between PSR and SSR plot, 360/2¹⁴ degrees (two's complement).
    pub apd: Option<u8>,
}

impl PlotCharacteristics {
    fn fields(&self) -> [Option<u8>; 7] {
        [
            self.srl, self.srr, self.sam, self.prl, self.pam, self.rpd, self.apd,
        ]
    }
    fn from_fields(f: [Option<u8>; 7]) -> Self {
        let [srl, srr, sam, prl, pam, rpd, apd] = f;
        PlotCharacteristics {
            srl,
            srr,
            sam,
            prl,
            pam,
            rpd,
            apd,
        }
    }
}

/// I048/240 Aircraft Identification: eight 6-bit ICAO characters (the item's 48 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AircraftId(pub [u8; 6]);

impl AircraftId {
    /// The eight 6-bit codes.
    pub fn codes(&self) -> [u8; 8] {
        let v = self
            .0
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        std::array::from_fn(|i| ((v >> (42 - 6 * i)) & 0x3f) as u8)
    }
    /// The eight characters (ICAO Annex 10 IA-5 subset: A–Z, 0–9, space); `None` when a
    /// code is outside that alphabet.
    pub fn text(&self) -> Option<String> {
        self.codes()
            .iter()
            .map(|&c| match c {
                1..=26 => Some(char::from(b'A' + c - 1)),
                32 => Some(' '),
                48..=57 => Some(char::from(c)),
                _ => None,
            })
            .collect()
    }
    /// The callsign: the characters without trailing spaces; `None` when blank or
    /// outside the alphabet.
    pub fn callsign(&self) -> Option<String> {
        let t = self.text()?;
        let t = t.trim_end();
        (!t.is_empty()).then(|| t.to_string())
    }
    /// Encode up to eight characters of the alphabet (space-padded).
    pub fn from_text(s: &str) -> Option<AircraftId> {
        if s.len() > 8 {
            return None;
        }
        let mut v = 0u64;
        for k in 0..8 {
            let c = s.as_bytes().get(k).copied().unwrap_or(b' ');
            let code = match c {
                b'A'..=b'Z' => c - b'A' + 1,
                b' ' => 32,
                b'0'..=b'9' => c,
                _ => return None,
            };
            v = (v << 6) | u64::from(code);
        }
        let b = v.to_be_bytes();
        Some(AircraftId([b[2], b[3], b[4], b[5], b[6], b[7]]))
    }
}

/// I048/042 Calculated Position in Cartesian Co-ordinates, 1/128 NM, x east, y north.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cartesian {
    pub x: i16,
    pub y: i16,
}

/// I048/200 Calculated Track Velocity in Polar Co-ordinates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolarVelocity {
    /// Ground speed, 2⁻¹⁴ NM/s.
    pub gsp: u16,
    /// Heading, 360/2¹⁶ degrees.
    pub hdg: u16,
}

impl PolarVelocity {
    pub fn speed_nm_s(&self) -> f64 {
        f64::from(self.gsp) / 16384.0
    }
    pub fn heading_deg(&self) -> f64 {
        f64::from(self.hdg) * 360.0 / 65536.0
    }
}

/// I048/170 Track Status, as its octets (FX bits included).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackStatus(pub Vec<u8>);

impl TrackStatus {
    /// CNF: tentative track.
    pub fn tentative(&self) -> bool {
        ext_bit(&self.0, 0, 8) == Some(true)
    }
    /// RAD: 0 combined, 1 PSR, 2 SSR/Mode S track, 3 invalid.
    pub fn rad(&self) -> u8 {
        self.0.first().map_or(0, |b| (b >> 5) & 3)
    }
    /// DOU: low confidence in plot-to-track association.
    pub fn dou(&self) -> bool {
        ext_bit(&self.0, 0, 5) == Some(true)
    }
    /// MAH: horizontal manoeuvre sensed.
    pub fn mah(&self) -> bool {
        ext_bit(&self.0, 0, 4) == Some(true)
    }
    /// CDM: 0 maintaining, 1 climbing, 2 descending, 3 unknown.
    pub fn cdm(&self) -> u8 {
        self.0.first().map_or(0, |b| (b >> 1) & 3)
    }
    /// TRE: last report for the track.
    pub fn tre(&self) -> Option<bool> {
        ext_bit(&self.0, 1, 8)
    }
    /// GHO: ghost target track.
    pub fn gho(&self) -> Option<bool> {
        ext_bit(&self.0, 1, 7)
    }
    /// SUP: track maintained with a neighbouring node's data.
    pub fn sup(&self) -> Option<bool> {
        ext_bit(&self.0, 1, 6)
    }
    /// TCC: slant range correction applied (plane coordinates).
    pub fn tcc(&self) -> Option<bool> {
        ext_bit(&self.0, 1, 5)
    }
}

/// I048/120 Radial Doppler Speed: its subfields as on the wire.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Doppler {
    /// CAL: D (doubtful) bit and 10-bit two's-complement speed, m/s.
    pub cal: Option<[u8; 2]>,
    /// RDS: raw Doppler speeds (DOP, AMB, FRQ; 16 bits each).
    pub rds: Option<Vec<[u8; 6]>>,
}

impl Doppler {
    /// CAL: whether the speed is doubtful (D), and the speed, m/s.
    pub fn calculated(&self) -> Option<(bool, i16)> {
        self.cal
            .map(|b| (b[0] & 0x80 != 0, ((u16::from_be_bytes(b) << 6) as i16) >> 6))
    }
}

/// One CAT048 record, typed. Items this crate does not interpret are kept as their
/// octets, so a record re-encodes to the bytes it was decoded from (for a minimal
/// FSPEC, as every writer sends).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cat048 {
    /// I048/010.
    pub source: Option<DataSource>,
    /// I048/140 Time of Day: 1/128 s since midnight UTC (24 bits).
    pub time_of_day: Option<u32>,
    /// I048/020.
    pub descriptor: Option<Descriptor>,
    /// I048/040.
    pub polar: Option<MeasuredPolar>,
    /// I048/070.
    pub mode3a: Option<Mode3A>,
    /// I048/090.
    pub flight_level: Option<FlightLevel>,
    /// I048/130.
    pub plot: Option<PlotCharacteristics>,
    /// I048/220 Aircraft Address (24 bits, the Mode S / ICAO address).
    pub aircraft_address: Option<u32>,
    /// I048/240.
    pub aircraft_id: Option<AircraftId>,
    /// I048/250 BDS Register Data: each MB data (56 bits) with BDS1, BDS2 (8 octets).
    pub bds: Option<Vec<[u8; 8]>>,
    /// I048/161 Track Number: the item's 16 bits (4 spare, 12-bit TRN).
    pub track_number: Option<u16>,
    /// I048/042.
    pub cartesian: Option<Cartesian>,
    /// I048/200.
    pub velocity: Option<PolarVelocity>,
    /// I048/170.
    pub track_status: Option<TrackStatus>,
    /// I048/210 Track Quality (σX, σY, σV, σH), raw.
    pub track_quality: Option<[u8; 4]>,
    /// I048/030 Warning/Error Conditions and Target Classification: the 7-bit codes.
    pub warnings: Option<Vec<u8>>,
    /// I048/080 Mode-3/A Code Confidence Indicator, raw.
    pub mode3a_confidence: Option<[u8; 2]>,
    /// I048/100 Mode-C Code and Code Confidence Indicator, raw.
    pub mode_c: Option<[u8; 4]>,
    /// I048/110 Height Measured by a 3D Radar: the item's 16 bits (2 spare, 14-bit
    /// two's-complement height in 25 ft).
    pub height_3d: Option<u16>,
    /// I048/120.
    pub doppler: Option<Doppler>,
    /// I048/230 Communications/ACAS Capability and Flight Status, raw.
    pub capability: Option<[u8; 2]>,
    /// I048/260 ACAS Resolution Advisory Report, raw.
    pub acas_ra: Option<[u8; 7]>,
    /// I048/055 Mode-1 Code, raw.
    pub mode1: Option<u8>,
    /// I048/050 Mode-2 Code, raw.
    pub mode2: Option<[u8; 2]>,
    /// I048/065 Mode-1 Code Confidence Indicator, raw.
    pub mode1_confidence: Option<u8>,
    /// I048/060 Mode-2 Code Confidence Indicator, raw.
    pub mode2_confidence: Option<[u8; 2]>,
    /// Special Purpose field: the contents (without the length octet).
    pub sp: Option<Vec<u8>>,
    /// Reserved Expansion field: the contents (without the length octet).
    pub re: Option<Vec<u8>>,
}

impl Cat048 {
    /// I048/161's 12-bit track number.
    pub fn trn(&self) -> Option<u16> {
        self.track_number.map(|t| t & 0x0fff)
    }
    /// I048/110's height in feet.
    pub fn height_3d_ft(&self) -> Option<f64> {
        self.height_3d
            .map(|h| f64::from(((h << 2) as i16) >> 2) * 25.0)
    }
    /// I048/140 in seconds since midnight.
    pub fn time_of_day_s(&self) -> Option<f64> {
        self.time_of_day.map(|t| f64::from(t) / 128.0)
    }
}

pub(crate) fn arr<const N: usize>(b: &[u8]) -> [u8; N] {
    // Callers pass exactly N octets (walk_record checked the item's length).
    std::array::from_fn(|i| b[i])
}

pub(crate) fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

impl Cat048 {
    /// Type a walked record's items.
    pub fn from_items(r: &RecordItems<'_>) -> Cat048 {
        let it = |frn: usize| r.items[frn - 1];
        Cat048 {
            source: it(1).map(|b| DataSource {
                sac: b[0],
                sic: b[1],
            }),
            time_of_day: it(2).map(|b| u32::from_be_bytes([0, b[0], b[1], b[2]])),
            descriptor: it(3).map(|b| Descriptor(b.to_vec())),
            polar: it(4).map(|b| MeasuredPolar {
                rho: be16(b),
                theta: be16(&b[2..]),
            }),
            mode3a: it(5).map(|b| Mode3A(be16(b))),
            flight_level: it(6).map(|b| FlightLevel(be16(b))),
            plot: it(7).map(|b| {
                let mut pos = 1;
                PlotCharacteristics::from_fields(std::array::from_fn(|k| {
                    (b[0] & (0x80 >> k) != 0).then(|| {
                        pos += 1;
                        b[pos - 1]
                    })
                }))
            }),
            aircraft_address: it(8).map(|b| u32::from_be_bytes([0, b[0], b[1], b[2]])),
            aircraft_id: it(9).map(|b| AircraftId(arr(b))),
            bds: it(10).map(|b| b[1..].chunks_exact(8).map(arr).collect()),
            track_number: it(11).map(be16),
            cartesian: it(12).map(|b| Cartesian {
                x: be16(b) as i16,
                y: be16(&b[2..]) as i16,
            }),
            velocity: it(13).map(|b| PolarVelocity {
                gsp: be16(b),
                hdg: be16(&b[2..]),
            }),
            track_status: it(14).map(|b| TrackStatus(b.to_vec())),
            track_quality: it(15).map(arr),
            warnings: it(16).map(|b| b.iter().map(|o| o >> 1).collect()),
            mode3a_confidence: it(17).map(arr),
            mode_c: it(18).map(arr),
            height_3d: it(19).map(be16),
            doppler: it(20).map(|b| {
                let mut pos = 1;
                let cal = (b[0] & 0x80 != 0).then(|| {
                    pos += 2;
                    arr(&b[1..3])
                });
                let rds =
                    (b[0] & 0x40 != 0).then(|| b[pos + 1..].chunks_exact(6).map(arr).collect());
                Doppler { cal, rds }
            }),
            capability: it(21).map(arr),
            acas_ra: it(22).map(arr),
            mode1: it(23).map(|b| b[0]),
            mode2: it(24).map(arr),
            mode1_confidence: it(25).map(|b| b[0]),
            mode2_confidence: it(26).map(arr),
            sp: it(27).map(|b| b[1..].to_vec()),
            re: it(28).map(|b| b[1..].to_vec()),
        }
    }
}

/// The length of the record of category `cat` at the start of `buf`, for the
/// categories whose records are walked (CAT048, CAT062, CAT021); `None` for others.
pub fn record_len(cat: u8, buf: &[u8]) -> Option<Result<usize, RecordError>> {
    match cat {
        CAT048 => Some(walk_record(buf).map(|r| r.len)),
        cat062::CAT062 => Some(cat062::walk_record(buf).map(|r| r.len)),
        cat021::CAT021 => Some(cat021::walk_record(buf).map(|r| r.len)),
        _ => None,
    }
}

/// Decode the CAT048 record at the start of `buf`: the record and its length.
pub fn decode_record(buf: &[u8]) -> Result<(Cat048, usize), RecordError> {
    let r = walk_record(buf)?;
    Ok((Cat048::from_items(&r), r.len))
}

/// An extended item's octets with the FX bits set right (at least one octet).
pub(crate) fn extended(octets: &[u8]) -> Vec<u8> {
    let mut v = if octets.is_empty() {
        vec![0]
    } else {
        octets.to_vec()
    };
    let last = v.len() - 1;
    for (i, b) in v.iter_mut().enumerate() {
        *b = if i == last { *b & 0xfe } else { *b | 1 };
    }
    v
}

/// A repetitive item: the count octet, then the elements. Fails over 255 elements.
pub(crate) fn rep(name: &str, elems: &[&[u8]]) -> Result<Vec<u8>, EncodeError> {
    let n = u8::try_from(elems.len())
        .map_err(|_| EncodeError(format!("{name}: over 255 repetitions")))?;
    let mut v = vec![n];
    for e in elems {
        v.extend_from_slice(e);
    }
    Ok(v)
}

/// An explicit item (SP, RE): the length octet (counting itself), then the contents.
pub(crate) fn explicit(name: &str, c: &[u8]) -> Result<Vec<u8>, EncodeError> {
    let n =
        u8::try_from(c.len() + 1).map_err(|_| EncodeError(format!("{name}: over 254 octets")))?;
    let mut v = vec![n];
    v.extend_from_slice(c);
    Ok(v)
}

/// Encode a record (minimal FSPEC, items in FRN order). Fails when a repetitive or
/// explicit item is too long for its count or length octet.
pub fn encode_record(r: &Cat048) -> Result<Vec<u8>, EncodeError> {
    let mut items: [Option<Vec<u8>>; CAT048_ITEMS] = Default::default();
    items[0] = r.source.map(|s| vec![s.sac, s.sic]);
    items[1] = r.time_of_day.map(|t| t.to_be_bytes()[1..].to_vec());
    items[2] = r.descriptor.as_ref().map(|d| extended(&d.0));
    items[3] = r
        .polar
        .map(|p| [p.rho.to_be_bytes(), p.theta.to_be_bytes()].concat());
    items[4] = r.mode3a.map(|m| m.0.to_be_bytes().to_vec());
    items[5] = r.flight_level.map(|f| f.0.to_be_bytes().to_vec());
    items[6] = r.plot.map(|p| {
        let mut v = vec![0u8];
        for (k, f) in p.fields().iter().enumerate() {
            if let Some(b) = f {
                v[0] |= 0x80 >> k;
                v.push(*b);
            }
        }
        v
    });
    items[7] = r.aircraft_address.map(|a| a.to_be_bytes()[1..].to_vec());
    items[8] = r.aircraft_id.map(|a| a.0.to_vec());
    items[9] = r
        .bds
        .as_ref()
        .map(|b| rep("I048/250", &b.iter().map(|e| &e[..]).collect::<Vec<_>>()))
        .transpose()?;
    items[10] = r.track_number.map(|t| t.to_be_bytes().to_vec());
    items[11] = r
        .cartesian
        .map(|c| [c.x.to_be_bytes(), c.y.to_be_bytes()].concat());
    items[12] = r
        .velocity
        .map(|v| [v.gsp.to_be_bytes(), v.hdg.to_be_bytes()].concat());
    items[13] = r.track_status.as_ref().map(|t| extended(&t.0));
    items[14] = r.track_quality.map(|q| q.to_vec());
    items[15] = r.warnings.as_ref().map(|w| {
        let codes: Vec<u8> = w.iter().map(|c| c << 1).collect();
        extended(&codes)
    });
    items[16] = r.mode3a_confidence.map(|b| b.to_vec());
    items[17] = r.mode_c.map(|b| b.to_vec());
    items[18] = r.height_3d.map(|h| h.to_be_bytes().to_vec());
    items[19] = match &r.doppler {
        None => None,
        Some(d) => {
            let mut v = vec![0u8];
            if let Some(c) = d.cal {
                v[0] |= 0x80;
                v.extend_from_slice(&c);
            }
            if let Some(rds) = &d.rds {
                v[0] |= 0x40;
                v.extend(rep(
                    "I048/120 RDS",
                    &rds.iter().map(|e| &e[..]).collect::<Vec<_>>(),
                )?);
            }
            Some(v)
        }
    };
    items[20] = r.capability.map(|b| b.to_vec());
    items[21] = r.acas_ra.map(|b| b.to_vec());
    items[22] = r.mode1.map(|b| vec![b]);
    items[23] = r.mode2.map(|b| b.to_vec());
    items[24] = r.mode1_confidence.map(|b| vec![b]);
    items[25] = r.mode2_confidence.map(|b| b.to_vec());
    items[26] = r.sp.as_deref().map(|c| explicit("SP", c)).transpose()?;
    items[27] = r.re.as_deref().map(|c| explicit("RE", c)).transpose()?;
    Ok(assemble(&items))
}

/// An FSPEC (or a compound item's primary subfield) naming the present `parts`,
/// minimal (no trailing empty octet), FX set on all its octets but the last; then the
/// parts present, in order.
pub(crate) fn assemble(parts: &[Option<Vec<u8>>]) -> Vec<u8> {
    let n = parts
        .iter()
        .rposition(Option::is_some)
        .map_or(1, |i| i / 7 + 1);
    let mut out = vec![0u8; n];
    for (i, p) in parts.iter().enumerate() {
        if p.is_some() {
            out[i / 7] |= 0x80 >> (i % 7);
        }
    }
    for b in &mut out[..n - 1] {
        *b |= 1;
    }
    for p in parts.iter().flatten() {
        out.extend_from_slice(p);
    }
    out
}

/// A data block of `category` holding `records` (each already encoded). Fails when the
/// block would exceed 65,535 octets.
pub fn encode_block(category: u8, records: &[Vec<u8>]) -> Result<Vec<u8>, EncodeError> {
    let len = 3 + records.iter().map(Vec::len).sum::<usize>();
    let len16 =
        u16::try_from(len).map_err(|_| EncodeError(format!("data block of {len} octets")))?;
    let mut out = Vec::with_capacity(len);
    out.push(category);
    out.extend_from_slice(&len16.to_be_bytes());
    for r in records {
        out.extend_from_slice(r);
    }
    Ok(out)
}

/// A data block's category and LEN, checked against the bytes given: exactly one whole
/// block.
pub fn block_header(block: &[u8]) -> Result<(u8, usize), Fault> {
    let [cat, hi, lo, ..] = *block else {
        return Err(Fault::Truncated(format!(
            "{} octets: shorter than a data block header",
            block.len()
        )));
    };
    let len = usize::from(u16::from_be_bytes([hi, lo]));
    if cat == 0 {
        return Err(Fault::Syntax(
            "not a data block: category 0 is not assigned".into(),
        ));
    }
    if len < 3 {
        return Err(Fault::Syntax(format!(
            "not a data block: length field {len} is less than its 3-octet header"
        )));
    }
    if len != block.len() {
        return Err(Fault::Syntax(format!(
            "not a data block: length field {len}, {} octets framed",
            block.len()
        )));
    }
    Ok((cat, len))
}

/// Decode every CAT048 record of one whole data block. A block of another category
/// gives `Ok(None)`. A record that does not parse ends the block: the error names
/// its position (octet within the block) and reason; the records before it are lost
/// to this call (the framer hands records over one by one, so they are not).
pub fn decode_block(block: &[u8]) -> Result<Option<Vec<Cat048>>, Fault> {
    decode_records(block, CAT048, "CAT048", decode_record)
}

/// A category's record decoder: the record at the start of a buffer and its length.
pub(crate) type RecordDecoder<T> = fn(&[u8]) -> Result<(T, usize), RecordError>;

/// The records of one whole data block of category `cat` (named `name` in errors),
/// each by `decode`; `Ok(None)` for a block of another category.
pub(crate) fn decode_records<T>(
    block: &[u8],
    cat: u8,
    name: &str,
    decode: RecordDecoder<T>,
) -> Result<Option<Vec<T>>, Fault> {
    let (got, len) = block_header(block)?;
    if got != cat {
        return Ok(None);
    }
    let mut out = Vec::new();
    let mut pos = 3;
    while pos < len {
        let (rec, n) = decode(&block[pos..len]).map_err(|e| {
            e.reason.map_detail(|why| {
                if pos == 3 {
                    // The framer's frames start at the record (their offset is its own).
                    format!("{name} record: {why}; the rest of its block is lost")
                } else {
                    format!(
                        "{name} record {} (block octet {pos}): {why}; the rest of the block is lost",
                        out.len() + 1,
                    )
                }
            })
        })?;
        out.push(rec);
        pos += n;
    }
    Ok(Some(out))
}

/// Counters of what an ASTERIX feed carried besides target reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AsterixStats {
    /// CAT048 records decoded.
    pub records: u64,
    /// CAT062 system track records decoded.
    pub tracks: u64,
    /// CAT021 ADS-B report records decoded.
    pub adsb_reports: u64,
    /// Data blocks of other categories, skipped whole.
    pub other_blocks: u64,
    /// Records that became no observation: without I048/040, or not a measurement
    /// of a real target (no detection, simulated, test, field monitor, ghost); CAT062
    /// tracks without a position, simulated or coasting.
    pub skipped_reports: u64,
}

/// Turns one radar's CAT048 records into observations in its measurement space.
pub struct AsterixNormaliser {
    radar: RadarSite,
    stats: AsterixStats,
}

impl AsterixNormaliser {
    pub fn new(radar: RadarSite) -> Self {
        AsterixNormaliser {
            radar,
            stats: AsterixStats::default(),
        }
    }

    pub fn stats(&self) -> AsterixStats {
        self.stats
    }

    /// One framed data block (as [`crate::Framer::asterix`] frames them: a CAT048 or
    /// CAT062 block holds one record) to observations. `now_ms` is the receive time:
    /// I048/140 and I062/070 are times of day, placed on the UTC day that puts them
    /// nearest to it.
    pub fn decode(
        &mut self,
        cfg: &FeedConfig,
        block: &[u8],
        now_ms: TimeMs,
    ) -> Result<Vec<Observation>, Fault> {
        if let Some(tracks) = cat062::decode_block(block)? {
            return self.tracks(cfg, &tracks, now_ms);
        }
        if let Some(reports) = cat021::decode_block(block)? {
            return self.adsb(cfg, &reports, now_ms);
        }
        let Some(records) = decode_block(block)? else {
            self.stats.other_blocks += 1;
            return Ok(vec![]);
        };
        let mut out = Vec::with_capacity(records.len());
        for (i, r) in records.iter().enumerate() {
            self.stats.records += 1;
            let obs = observe(cfg, &self.radar, r, now_ms).map_err(|e| {
                if records.len() > 1 {
                    e.context(format_args!("CAT048 record {}", i + 1))
                } else {
                    e
                }
            })?;
            match obs {
                Some(o) => out.push(o),
                None => self.stats.skipped_reports += 1,
            }
        }
        Ok(out)
    }

    /// CAT021 ADS-B reports to self-reports.
    fn adsb(
        &mut self,
        cfg: &FeedConfig,
        reports: &[cat021::Cat021],
        now_ms: TimeMs,
    ) -> Result<Vec<Observation>, Fault> {
        let mut out = Vec::with_capacity(reports.len());
        for (i, r) in reports.iter().enumerate() {
            self.stats.adsb_reports += 1;
            match cat021::observe(cfg, r, now_ms).map_err(|e| {
                if reports.len() > 1 {
                    e.context(format_args!("CAT021 record {}", i + 1))
                } else {
                    e.context("CAT021")
                }
            })? {
                Some(o) => out.push(o),
                None => self.stats.skipped_reports += 1,
            }
        }
        Ok(out)
    }

    /// CAT062 system tracks to national-track observations; the feed's site is the
    /// system reference point.
    fn tracks(
        &mut self,
        cfg: &FeedConfig,
        tracks: &[cat062::Cat062],
        now_ms: TimeMs,
    ) -> Result<Vec<Observation>, Fault> {
        let mut out = Vec::with_capacity(tracks.len());
        for (i, r) in tracks.iter().enumerate() {
            self.stats.tracks += 1;
            match cat062::observe(cfg, &self.radar, r, now_ms).map_err(|e| {
                if tracks.len() > 1 {
                    e.context(format_args!("CAT062 record {}", i + 1))
                } else {
                    e.context("CAT062")
                }
            })? {
                Some(o) => out.push(o),
                None => self.stats.skipped_reports += 1,
            }
        }
        Ok(out)
    }
}

/// Place a time of day (1/128 s since UTC midnight) on the UTC day that puts it
/// nearest to `now_ms` (a report from just before midnight received just after it
/// belongs to the day before, and the other way round).
pub fn resolve_time_of_day(tod_128: u32, now_ms: TimeMs) -> TimeMs {
    // 1/128 s = 7.8125 ms: to the nearest millisecond.
    let tod_ms = (i64::from(tod_128) * 1000 + 64) / 128;
    let day = now_ms.div_euclid(DAY_MS) * DAY_MS;
    [day - DAY_MS, day, day + DAY_MS]
        .into_iter()
        .map(|d| d + tod_ms)
        .min_by_key(|t| (t - now_ms).abs())
        .unwrap_or(day + tod_ms)
}

/// One record to an observation, or `None` when it is not a measurement to fuse.
///
/// Every report with I048/040 is a **plot** (`ObservationKind::Plot`), track reports
/// included: I048/040 is the *measured* position of the detection that updated the
/// radar's track (its smoothed estimate is I048/042 with I048/200), so fusing it as a
/// measurement, in range and azimuth, keeps its errors independent from scan to scan;
/// fusing the radar tracker's estimate as a national track would count each plot once
/// per report. The radar's track number goes into the identity for reference (the
/// tracker does not bind plots by it); the Mode S address and callsign are identities
/// it binds and names tracks by.
///
/// Not a measurement (`None`): no I048/040; TYP 0 "no detection" (a track report
/// whose position is the track's prediction); simulated (SIM) and test (TST) reports;
/// reports from a field monitor (RAB: a fixed transponder that checks the radar);
/// ghost tracks (I048/170 GHO).
fn observe(
    cfg: &FeedConfig,
    radar: &RadarSite,
    r: &Cat048,
    now_ms: TimeMs,
) -> Result<Option<Observation>, Fault> {
    if let (Some(sac), Some(sic)) = (radar.sac, radar.sic) {
        match r.source {
            Some(s) if s == (DataSource { sac, sic }) => {}
            Some(s) => {
                return Err(Fault::field(
                    "I048/010",
                    format!(
                        "report from SAC/SIC {}/{}, the feed's radar is {sac}/{sic}",
                        s.sac, s.sic
                    ),
                ))
            }
            None => {
                return Err(Fault::field(
                    "I048/010",
                    format!("no I048/010 data source, the feed's radar is {sac}/{sic}"),
                ))
            }
        }
    }
    let Some(polar) = r.polar else {
        return Ok(None);
    };
    if let Some(d) = &r.descriptor {
        if d.typ() == 0 || d.sim() || d.tst() == Some(true) || d.rab() {
            return Ok(None);
        }
        if d.err() == Some(true) {
            // Extended range (≥ 256 NM): RHO is saturated and the true range is in the
            // Reserved Expansion field, whose layout is not standardised. A plot at the
            // saturated range would be confidently wrong: skipped.
            return Ok(None);
        }
    }
    if r.track_status.as_ref().and_then(TrackStatus::gho) == Some(true) {
        return Ok(None);
    }
    if polar.rho == 0 {
        return Err(Fault::field(
            "I048/040",
            "I048/040 range 0: not a measurement",
        ));
    }
    let range_m = polar.range_nm() * NM_M;
    let azimuth_rad = polar.azimuth_deg().to_radians();
    // The target's height, best first: a 3D radar's own measurement (I048/110,
    // geometric); the validated, ungarbled Mode C flight level (I048/090: pressure
    // altitude, taken as height above the ellipsoid — off by the geoid and the
    // day's pressure, some tens to a few hundred metres, which moves the plot by
    // that times the elevation's sine: ~30 m at 100 km and FL330). Without either
    // the target is put on the ellipsoid (sea level; a low-flying or surface
    // target), and the observation has no altitude, which is what
    // `PolarMeasurement` then assumes too.
    let height_m = r.height_3d_ft().map(|ft| ft * FT_M).or_else(|| {
        r.flight_level
            .filter(|f| !f.not_validated() && !f.garbled())
            .map(|f| f.flight_level() * 100.0 * FT_M)
    });
    let site = (radar.lat_deg, radar.lon_deg, radar.alt_m);
    let (lat, lon, alt_m, horizontal_m) = match height_m
        .and_then(|h| biac_geo::beam_point(site, range_m, azimuth_rad, h).map(|p| (p, h)))
    {
        Some(((lat, lon, horiz), h)) => (lat, lon, Some(h), horiz),
        // No height, or one the slant range cannot reach from the antenna (a garbled
        // altitude): on the ellipsoid.
        None => {
            let (lat, lon, horiz) = biac_geo::beam_point(site, range_m, azimuth_rad, 0.0)
                .ok_or_else(|| {
                    Fault::field(
                        "I048/040",
                        format!(
                            "slant range {range_m:.0} m does not reach the ellipsoid from the \
                             antenna at {} m",
                            radar.alt_m
                        ),
                    )
                })?;
            (lat, lon, None, horiz)
        }
    };
    let position = Position {
        lat_deg: lat,
        lon_deg: lon,
        alt_m,
    };
    if !position.is_valid() {
        return Err(Fault::field(
            "I048/040",
            format!("I048/040 places the target at {lat}, {lon}"),
        ));
    }
    let sigma_az = radar.sigma_azimuth_deg.to_radians();
    let time_ms = match r.time_of_day {
        None => now_ms,
        Some(t) if t >= 86_400 * 128 => {
            return Err(Fault::field(
                "I048/140",
                format!(
                    "I048/140 time of day {} s is not within a day",
                    f64::from(t) / 128.0
                ),
            ))
        }
        Some(t) => resolve_time_of_day(t, now_ms),
    };
    let typ = r.descriptor.as_ref().map_or(0, Descriptor::typ);
    // Above this height a target is airborne (a 3D radar also measures ships, at ~0 m).
    const AIRBORNE_M: f64 = 300.0;
    let domain = if (2..=7).contains(&typ) || alt_m.is_some_and(|h| h > AIRBORNE_M) {
        // An SSR or Mode S reply (only aircraft answer), or a height well above the sea.
        Domain::Air
    } else {
        Domain::Unknown
    };
    let identity = Identity {
        icao: r.aircraft_address,
        callsign: r.aircraft_id.and_then(|a| a.callsign()),
        track_number: r.trn().map(|t| t.to_string()),
        ..Identity::default()
    };
    let sensor = r
        .source
        .map_or_else(String::new, |s| format!("{}/{}", s.sac, s.sic));
    Ok(Some(Observation {
        time_ms,
        position,
        // The beam cell as a circle of the same mean variance.
        pos_sigma_m: ((radar.sigma_range_m.powi(2) + (horizontal_m * sigma_az).powi(2)) / 2.0)
            .sqrt(),
        // I048/200 is the radar tracker's estimate, not a measurement: it is decoded
        // (`Cat048::velocity`) but not fused, as its errors are correlated with the
        // plots already fused.
        velocity: None,
        vel_sigma_mps: None,
        identity,
        domain,
        affiliation: None,
        kind: ObservationKind::Plot,
        feed: cfg.name.clone(),
        sensor,
        label: cfg.default_label.clone(),
        polar: Some(Box::new(PolarMeasurement {
            sensor_position: radar.position(),
            sensor_velocity: None,
            range_m,
            range_sigma_m: radar.sigma_range_m,
            azimuth_rad,
            azimuth_sigma_rad: sigma_az,
            range_rate_mps: None,
            range_rate_sigma_mps: None,
            ground_fix: false,
            elevation: None,
        })),
    }))
}
