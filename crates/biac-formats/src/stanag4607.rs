//! STANAG 4607 (AEDP-4607), the NATO ground moving target indicator format, Editions 3
//! and 4 (version IDs "3x" and "4x"): packets of a 32-byte header and segments, each a
//! 5-byte segment header (type, size including the header) and its fields.
//!
//! Decoded: mission, dwell (every field of the existence mask, every target report
//! field), HRR (its leading fields, the rest kept as octets), job definition, free text,
//! test and status, processing history, platform location, job request and job
//! acknowledge. Other segment types are kept as octets and skipped by their size.
//!
//! Values are kept raw, as on the wire, so the encoder writes back the same bytes; the
//! accessors scale them as the standard says: SA32 raw × 45/2³⁰ degrees, BA32 raw ×
//! 90/2³⁰, SA16 and BA16 raw × 90/2¹⁴; velocities in cm/s, altitudes in cm, the dwell
//! time in ms since midnight of the mission date.
//!
//! Never panics on input. A packet whose header is not plausible, or that the input
//! ends inside, is an [`Error`] with its byte offset ([`Packets`] then looks for the
//! next plausible header); a segment that overruns its packet ends the packet's
//! decoding with an error at the segment's offset, the segments before it decoded; a
//! segment whose fields do not fit its size is an error of its own and the next
//! segment, found by the size, still decodes.

use serde::Serialize;

use crate::Fault;

pub mod feed;
pub mod json;

/// Bytes of the packet header (P1–P10).
pub const PACKET_HEADER_LEN: usize = 32;
/// Bytes of a segment header (S1 type, S2 size).
pub const SEGMENT_HEADER_LEN: usize = 5;

/// A packet or segment that did not decode: the absolute byte offset of its first byte
/// (as given by the caller's base) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("byte {offset}: {reason}")]
pub struct Error {
    pub offset: u64,
    pub reason: Fault,
}

// ---------------------------------------------------------------------------------------
// Scaling (AEDP-4607 binary angle and binary decimal types)

const DEG_PER_SA32: f64 = 45.0 / (1u64 << 30) as f64;
const DEG_PER_BA32: f64 = 90.0 / (1u64 << 30) as f64;
const DEG_PER_16: f64 = 90.0 / (1u64 << 14) as f64;

/// SA32 (signed binary angle) to degrees: raw × 45/2³⁰, in [-90, 90).
pub fn sa32_deg(raw: i32) -> f64 {
    f64::from(raw) * DEG_PER_SA32
}
/// BA32 (unsigned binary angle) to degrees: raw × 90/2³⁰, in [0, 360).
pub fn ba32_deg(raw: u32) -> f64 {
    f64::from(raw) * DEG_PER_BA32
}
/// SA16 to degrees: raw × 90/2¹⁴.
pub fn sa16_deg(raw: i16) -> f64 {
    f64::from(raw) * DEG_PER_16
}
/// BA16 to degrees: raw × 90/2¹⁴.
pub fn ba16_deg(raw: u16) -> f64 {
    f64::from(raw) * DEG_PER_16
}
/// Degrees to SA32, nearest, saturating at the ends of the range.
pub fn deg_sa32(deg: f64) -> i32 {
    // `as` saturates (and maps NaN to 0).
    (deg / DEG_PER_SA32).round() as i32
}
/// Degrees (any turn) to BA32, nearest, modulo 360°.
pub fn deg_ba32(deg: f64) -> u32 {
    let raw = (deg.rem_euclid(360.0) / DEG_PER_BA32).round();
    (raw as u64 % (1u64 << 32)) as u32
}
/// Degrees to SA16, nearest, saturating.
pub fn deg_sa16(deg: f64) -> i16 {
    (deg / DEG_PER_16).round() as i16
}
/// Degrees (any turn) to BA16, nearest, modulo 360°.
pub fn deg_ba16(deg: f64) -> u16 {
    let raw = (deg.rem_euclid(360.0) / DEG_PER_16).round();
    (raw as u32 % (1u32 << 16)) as u16
}

// ---------------------------------------------------------------------------------------
// Wire primitives

/// A cursor over bytes whose length the caller has checked; reading past the end gives
/// zeros rather than a panic (a guard against a wrong size computation, never a path
/// real input takes).
struct Cur<'a> {
    b: &'a [u8],
    p: usize,
}

impl<'a> Cur<'a> {
    fn new(b: &'a [u8]) -> Self {
        Cur { b, p: 0 }
    }
    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut a = [0u8; N];
        if let Some(s) = self.b.get(self.p..self.p + N) {
            a.copy_from_slice(s);
        }
        self.p += N;
        a
    }
    fn rest(&mut self) -> &'a [u8] {
        let r = self.b.get(self.p..).unwrap_or(&[]);
        self.p = self.b.len();
        r
    }
}

/// A field type: its wire width, big-endian read and write.
trait Wire: Sized {
    const LEN: usize;
    fn get(c: &mut Cur) -> Self;
    fn put(&self, w: &mut Vec<u8>);
}

macro_rules! wire_int {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            const LEN: usize = std::mem::size_of::<$t>();
            fn get(c: &mut Cur) -> Self {
                <$t>::from_be_bytes(c.array())
            }
            fn put(&self, w: &mut Vec<u8>) {
                w.extend_from_slice(&self.to_be_bytes());
            }
        }
    )*};
}
wire_int!(u8, i8, u16, i16, u32, i32, u64);

impl<T: Wire + Copy + Default, const N: usize> Wire for [T; N] {
    const LEN: usize = T::LEN * N;
    fn get(c: &mut Cur) -> Self {
        let mut a = [T::default(); N];
        for x in &mut a {
            *x = T::get(c);
        }
        a
    }
    fn put(&self, w: &mut Vec<u8>) {
        for x in self {
            x.put(w);
        }
    }
}

/// A latitude (SA32) and longitude (BA32) pair, as in bounding areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Point {
    pub lat: i32,
    pub lon: u32,
}

impl Point {
    pub fn from_deg(lat: f64, lon: f64) -> Self {
        Point {
            lat: deg_sa32(lat),
            lon: deg_ba32(lon),
        }
    }
    pub fn lat_deg(&self) -> f64 {
        sa32_deg(self.lat)
    }
    pub fn lon_deg(&self) -> f64 {
        ba32_deg(self.lon)
    }
}

impl Wire for Point {
    const LEN: usize = 8;
    fn get(c: &mut Cur) -> Self {
        Point {
            lat: i32::get(c),
            lon: u32::get(c),
        }
    }
    fn put(&self, w: &mut Vec<u8>) {
        self.lat.put(w);
        self.lon.put(w);
    }
}

/// A fixed-layout record: the struct, its wire length, read and write in field order.
macro_rules! fixed {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $f:ident : $t:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Default)]
        pub struct $name { $($(#[$fm])* pub $f: $t),* }
        impl $name {
            /// Bytes on the wire (without a segment header).
            pub const LEN: usize = 0 $(+ <$t as Wire>::LEN)*;
            fn read(c: &mut Cur) -> Self {
                $name { $($f: <$t as Wire>::get(c)),* }
            }
            fn write(&self, w: &mut Vec<u8>) {
                $(Wire::put(&self.$f, w);)*
            }
        }
    };
}

/// Text of a fixed-width character field, its padding (spaces, NULs) trimmed.
pub fn text(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .trim_matches(|c| c == ' ' || c == '\0')
        .to_string()
}

/// A fixed-width character field from text: cut to `N` bytes, padded with spaces.
pub fn chars<const N: usize>(s: &str) -> [u8; N] {
    let mut a = [b' '; N];
    for (d, s) in a.iter_mut().zip(s.bytes()) {
        *d = s;
    }
    a
}

// ---------------------------------------------------------------------------------------
// Packet header and segments

fixed! {
    /// Packet header, P1–P10.
    PacketHeader {
        /// P1: edition and version digits, e.g. `b"41"`.
        version: [u8; 2],
        /// P2: bytes of the whole packet, header included.
        packet_size: u32,
        nationality: [u8; 2],
        classification: u8,
        class_system: [u8; 2],
        security_code: u16,
        exercise: u8,
        platform_id: [u8; 10],
        mission_id: u32,
        job_id: u32,
    }
}

fixed! {
    /// Mission segment (type 1), M1–M7.
    Mission {
        mission_plan: [u8; 12],
        flight_plan: [u8; 12],
        platform_type: u8,
        platform_configuration: [u8; 10],
        year: u16,
        month: u8,
        day: u8,
    }
}

fixed! {
    /// Job definition segment (type 5), J1–J28.
    JobDefinition {
        job_id: u32,
        sensor_id_type: u8,
        sensor_id_model: [u8; 6],
        target_filtering: u8,
        priority: u8,
        /// J6–J13: the four corners A–D.
        bounding_area: [Point; 4],
        radar_mode: u8,
        /// Deciseconds; 0xFFFF no statement (as are the other all-ones values).
        revisit_interval_ds: u16,
        along_track_uncertainty_m: u16,
        cross_track_uncertainty_m: u16,
        altitude_uncertainty_m: u16,
        track_heading_uncertainty_deg: u8,
        speed_uncertainty_mm_s: u16,
        slant_range_sd_cm: u16,
        /// BA16.
        cross_range_sd: u16,
        radial_velocity_sd_cm_s: u16,
        mdv_dm_s: u8,
        detection_probability_pct: u8,
        false_alarm_density: u8,
        terrain_model: u8,
        geoid_model: u8,
    }
}

fixed! {
    /// Test and status segment (type 10), T1–T6.
    TestStatus {
        job_id: u32,
        revisit_index: u16,
        dwell_index: u16,
        dwell_time_ms: u32,
        hardware_status: u8,
        mode_status: u8,
    }
}

fixed! {
    /// Platform location segment (type 13), L1–L7.
    PlatformLocation {
        time_ms: u32,
        lat: i32,
        lon: u32,
        alt_cm: i32,
        /// BA16.
        track: u16,
        speed_mm_s: u32,
        vertical_velocity_dm_s: i8,
    }
}

fixed! {
    /// Job request segment (type 101), R1–R26.
    JobRequest {
        requestor_id: [u8; 10],
        requestor_task_id: [u8; 10],
        priority: u8,
        bounding_area: [Point; 4],
        radar_mode: u8,
        range_resolution_cm: u16,
        cross_range_resolution_dm: u16,
        start_year: u16,
        start_month: u8,
        start_day: u8,
        start_hour: u8,
        start_minute: u8,
        start_second: u8,
        allowed_delay_s: u16,
        duration_s: u16,
        revisit_interval_ds: u16,
        sensor_id_type: u8,
        sensor_id_model: [u8; 6],
        request_type: u8,
    }
}

fixed! {
    /// Job acknowledge segment (type 102), A1–A25.
    JobAcknowledge {
        job_id: u32,
        requestor_id: [u8; 10],
        requestor_task_id: [u8; 10],
        sensor_id_type: u8,
        sensor_id_model: [u8; 6],
        priority: u8,
        bounding_area: [Point; 4],
        radar_mode: u8,
        duration_s: u16,
        revisit_interval_ds: u16,
        request_status: u8,
        start_year: u16,
        start_month: u8,
        start_day: u8,
        start_hour: u8,
        start_minute: u8,
        start_second: u8,
        requestor_nationality: [u8; 2],
    }
}

fixed! {
    /// The fixed part of a processing history segment (type 12), C2–C5 (C1, the record
    /// count, is the length of [`ProcessingHistory::records`]).
    ProcessingBasis {
        nationality: [u8; 2],
        platform_id: [u8; 10],
        mission_id: u32,
        job_id: u32,
    }
}

fixed! {
    /// One processing record, C6.1–C6.6.
    ProcessingRecord {
        sequence: u8,
        nationality: [u8; 2],
        platform_id: [u8; 10],
        mission_id: u32,
        job_id: u32,
        processing: u16,
    }
}

/// Processing history segment (type 12).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcessingHistory {
    pub basis: ProcessingBasis,
    pub records: Vec<ProcessingRecord>,
}

/// Free text segment (type 6), F1–F3.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FreeText {
    pub originator: [u8; 10],
    pub recipient: [u8; 10],
    pub text: Vec<u8>,
}

/// HRR segment (type 3): its existence mask and leading mandatory fields decoded, the
/// whole payload kept as octets (the range-Doppler chip is not interpreted here).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hrr {
    /// H1, 40 bits.
    pub mask: u64,
    pub revisit_index: u16,
    pub dwell_index: u16,
    pub last_dwell: u8,
    /// The payload as received (mask included); what the encoder writes.
    pub payload: Vec<u8>,
}

/// One target report (D32): every field optional, as the dwell's mask says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TargetReport {
    /// D32.1.
    pub report_index: Option<u16>,
    /// D32.2, SA32 (high-resolution latitude).
    pub lat: Option<i32>,
    /// D32.3, BA32.
    pub lon: Option<u32>,
    /// D32.4, in units of the dwell's latitude scale factor (D10).
    pub delta_lat: Option<i16>,
    /// D32.5, in units of D11.
    pub delta_lon: Option<i16>,
    /// D32.6, metres.
    pub height_m: Option<i16>,
    /// D32.7, cm/s.
    pub radial_velocity_cm_s: Option<i16>,
    /// D32.8, cm/s.
    pub wrap_velocity_cm_s: Option<u16>,
    /// D32.9, dB.
    pub snr_db: Option<i8>,
    /// D32.10.
    pub classification: Option<u8>,
    /// D32.11, percent.
    pub class_probability_pct: Option<u8>,
    /// D32.12, cm.
    pub slant_range_uncertainty_cm: Option<u16>,
    /// D32.13, dm.
    pub cross_range_uncertainty_dm: Option<u16>,
    /// D32.14, m.
    pub height_uncertainty_m: Option<u8>,
    /// D32.15, cm/s.
    pub radial_velocity_uncertainty_cm_s: Option<u16>,
    /// D32.16.
    pub truth_tag_application: Option<u8>,
    /// D32.17.
    pub truth_tag_entity: Option<u32>,
    /// D32.18, half-dB (dBsm × 2).
    pub rcs_half_db: Option<i8>,
}

/// The mask bit of dwell field D`n` (2–31).
pub const fn dwell_bit(n: u32) -> u64 {
    1 << (65 - n)
}
/// The mask bit of target report field D32.`n` (1–18).
pub const fn target_bit(n: u32) -> u64 {
    1 << (34 - n)
}

/// Dwell fields the standard makes mandatory: D2–D9, D24–D27.
pub const DWELL_MANDATORY: u64 = dwell_bit(2)
    | dwell_bit(3)
    | dwell_bit(4)
    | dwell_bit(5)
    | dwell_bit(6)
    | dwell_bit(7)
    | dwell_bit(8)
    | dwell_bit(9)
    | dwell_bit(24)
    | dwell_bit(25)
    | dwell_bit(26)
    | dwell_bit(27);

/// Widths of D2–D31 (index n - 2).
const DWELL_WIDTHS: [usize; 30] = [
    2, 2, 1, 2, 4, 4, 4, 4, 4, 4, 4, 4, 2, 2, 4, 1, 1, 2, 2, 2, 2, 2, 4, 4, 2, 2, 2, 2, 2, 1,
];
/// Widths of D32.1–D32.18 (index n - 1).
const TARGET_WIDTHS: [usize; 18] = [2, 4, 4, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 1, 2, 1, 4, 1];

/// Bytes of one target report under `mask`.
pub fn target_report_len(mask: u64) -> usize {
    (1..=18u32)
        .filter(|&n| mask & target_bit(n) != 0)
        .map(|n| TARGET_WIDTHS[n as usize - 1])
        .sum()
}

fn dwell_fields_len(mask: u64) -> usize {
    (2..=31u32)
        .filter(|&n| mask & dwell_bit(n) != 0)
        .map(|n| DWELL_WIDTHS[n as usize - 2])
        .sum()
}

/// Dwell segment (type 2). The mask (D1) governs what is on the wire: the encoder writes
/// every field whose bit is set (an absent value as zero) and no other;
/// [`Dwell::fit_mask`] sets the bits from the fields present.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dwell {
    /// D1, as received.
    pub mask: u64,
    pub revisit_index: u16,
    pub dwell_index: u16,
    /// D4: 1 on the last dwell of the revisit.
    pub last_dwell: u8,
    /// D6: ms since midnight of the mission date.
    pub dwell_time_ms: u32,
    /// D7 SA32, D8 BA32, D9 cm.
    pub sensor_lat: i32,
    pub sensor_lon: u32,
    pub sensor_alt_cm: i32,
    /// D10 SA32, D11 BA32: the units of the targets' delta positions.
    pub lat_scale: Option<i32>,
    pub lon_scale: Option<u32>,
    /// D12–D14, cm.
    pub sensor_along_track_uncertainty_cm: Option<u32>,
    pub sensor_cross_track_uncertainty_cm: Option<u32>,
    pub sensor_altitude_uncertainty_cm: Option<u16>,
    /// D15 BA16, D16 mm/s, D17 dm/s.
    pub sensor_track: Option<u16>,
    pub sensor_speed_mm_s: Option<u32>,
    pub sensor_vertical_velocity_dm_s: Option<i8>,
    /// D18 degrees, D19 mm/s, D20 cm/s.
    pub sensor_track_uncertainty_deg: Option<u8>,
    pub sensor_speed_uncertainty_mm_s: Option<u16>,
    pub sensor_vertical_velocity_uncertainty_cm_s: Option<u16>,
    /// D21 BA16, D22–D23 SA16.
    pub platform_heading: Option<u16>,
    pub platform_pitch: Option<i16>,
    pub platform_roll: Option<i16>,
    /// D24 SA32, D25 BA32.
    pub center_lat: i32,
    pub center_lon: u32,
    /// D26: km × 128 (B16).
    pub range_half_extent: u16,
    /// D27: BA16.
    pub angle_half_extent: u16,
    /// D28 BA16, D29–D30 SA16.
    pub sensor_heading: Option<u16>,
    pub sensor_pitch: Option<i16>,
    pub sensor_roll: Option<i16>,
    /// D31, dm/s.
    pub mdv_dm_s: Option<u8>,
    /// D32; D5, the count, is their number.
    pub targets: Vec<TargetReport>,
}

impl Dwell {
    /// Sets the mask from the fields present: the mandatory ones, each optional dwell
    /// field that is `Some`, and each target field that any target carries. Spare bits
    /// are kept.
    pub fn fit_mask(&mut self) {
        let mut m = DWELL_MANDATORY | (self.mask & 0xFFFF);
        let opt = [
            (10, self.lat_scale.is_some()),
            (11, self.lon_scale.is_some()),
            (12, self.sensor_along_track_uncertainty_cm.is_some()),
            (13, self.sensor_cross_track_uncertainty_cm.is_some()),
            (14, self.sensor_altitude_uncertainty_cm.is_some()),
            (15, self.sensor_track.is_some()),
            (16, self.sensor_speed_mm_s.is_some()),
            (17, self.sensor_vertical_velocity_dm_s.is_some()),
            (18, self.sensor_track_uncertainty_deg.is_some()),
            (19, self.sensor_speed_uncertainty_mm_s.is_some()),
            (20, self.sensor_vertical_velocity_uncertainty_cm_s.is_some()),
            (21, self.platform_heading.is_some()),
            (22, self.platform_pitch.is_some()),
            (23, self.platform_roll.is_some()),
            (28, self.sensor_heading.is_some()),
            (29, self.sensor_pitch.is_some()),
            (30, self.sensor_roll.is_some()),
            (31, self.mdv_dm_s.is_some()),
        ];
        for (n, present) in opt {
            if present {
                m |= dwell_bit(n);
            }
        }
        for t in &self.targets {
            m |= t.mask_bits();
        }
        self.mask = m;
    }

    pub fn sensor_lat_deg(&self) -> f64 {
        sa32_deg(self.sensor_lat)
    }
    pub fn sensor_lon_deg(&self) -> f64 {
        ba32_deg(self.sensor_lon)
    }
    pub fn center_lat_deg(&self) -> f64 {
        sa32_deg(self.center_lat)
    }
    pub fn center_lon_deg(&self) -> f64 {
        ba32_deg(self.center_lon)
    }

    /// A target's position in degrees (latitude in [-90, 90), longitude in [0, 360)): the
    /// high-resolution one if both its fields are sent (D32.2, D32.3), else the dwell
    /// centre plus delta × scale factor (D24 + D32.4 × D10, D25 + D32.5 × D11, the
    /// longitude modulo a turn) if those four are sent, else none. A position is one form
    /// or the other, never half of each (as `stanag4607` reads it too).
    pub fn target_position(&self, t: &TargetReport) -> Option<(f64, f64)> {
        if let (Some(lat), Some(lon)) = (t.lat, t.lon) {
            return Some((sa32_deg(lat), ba32_deg(lon)));
        }
        let (dlat, dlon) = (t.delta_lat?, t.delta_lon?);
        let (slat, slon) = (self.lat_scale?, self.lon_scale?);
        // Exact in raw units (|delta × scale| < 2⁴⁷, no overflow in i64).
        let lat = i64::from(self.center_lat) + i64::from(dlat) * i64::from(slat);
        let lon =
            (i64::from(self.center_lon) + i64::from(dlon) * i64::from(slon)).rem_euclid(1 << 32);
        Some((lat as f64 * DEG_PER_SA32, lon as f64 * DEG_PER_BA32))
    }
}

impl TargetReport {
    /// The mask bits of the fields this report carries.
    pub fn mask_bits(&self) -> u64 {
        let present = [
            self.report_index.is_some(),
            self.lat.is_some(),
            self.lon.is_some(),
            self.delta_lat.is_some(),
            self.delta_lon.is_some(),
            self.height_m.is_some(),
            self.radial_velocity_cm_s.is_some(),
            self.wrap_velocity_cm_s.is_some(),
            self.snr_db.is_some(),
            self.classification.is_some(),
            self.class_probability_pct.is_some(),
            self.slant_range_uncertainty_cm.is_some(),
            self.cross_range_uncertainty_dm.is_some(),
            self.height_uncertainty_m.is_some(),
            self.radial_velocity_uncertainty_cm_s.is_some(),
            self.truth_tag_application.is_some(),
            self.truth_tag_entity.is_some(),
            self.rcs_half_db.is_some(),
        ];
        let mut m = 0;
        for (i, p) in present.into_iter().enumerate() {
            if p {
                m |= target_bit(i as u32 + 1);
            }
        }
        m
    }
}

/// One segment's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Mission(Mission),
    Dwell(Dwell),
    Hrr(Hrr),
    JobDefinition(JobDefinition),
    FreeText(FreeText),
    TestStatus(TestStatus),
    ProcessingHistory(ProcessingHistory),
    PlatformLocation(PlatformLocation),
    JobRequest(JobRequest),
    JobAcknowledge(JobAcknowledge),
    /// A type not decoded here, its payload as received.
    Other {
        kind: u8,
        payload: Vec<u8>,
    },
}

impl Segment {
    /// S1, the segment type.
    pub fn type_code(&self) -> u8 {
        match self {
            Segment::Mission(_) => 1,
            Segment::Dwell(_) => 2,
            Segment::Hrr(_) => 3,
            Segment::JobDefinition(_) => 5,
            Segment::FreeText(_) => 6,
            Segment::TestStatus(_) => 10,
            Segment::ProcessingHistory(_) => 12,
            Segment::PlatformLocation(_) => 13,
            Segment::JobRequest(_) => 101,
            Segment::JobAcknowledge(_) => 102,
            Segment::Other { kind, .. } => *kind,
        }
    }
}

/// The name of segment type `t` (snake case, as `biac decode gmti` prints it).
pub fn segment_name(t: u8) -> &'static str {
    match t {
        1 => "mission",
        2 => "dwell",
        3 => "hrr",
        5 => "job_definition",
        6 => "free_text",
        7 => "low_reflectivity_index",
        8 => "group",
        9 => "attached_target",
        10 => "test_status",
        11 => "system_specific",
        12 => "processing_history",
        13 => "platform_location",
        101 => "job_request",
        102 => "job_acknowledge",
        _ => "unknown",
    }
}

// ---------------------------------------------------------------------------------------
// Decoding

/// Whether P1 is an edition this codec reads: "3x" or "4x" (Editions 3 and 4, whose
/// segment layouts are the same for every segment decoded here).
pub fn supported_version(v: [u8; 2]) -> bool {
    matches!(v[0], b'3' | b'4') && v[1].is_ascii_digit()
}

/// The header at the start of `b`, if it could start a packet: two digits of version and
/// a size no smaller than the header.
pub(crate) fn plausible_header(b: &[u8]) -> Option<(usize, [u8; 2])> {
    let h = b.get(..6)?;
    let version = [h[0], h[1]];
    let size = u32::from_be_bytes([h[2], h[3], h[4], h[5]]) as usize;
    (version.iter().all(u8::is_ascii_digit) && size >= PACKET_HEADER_LEN).then_some((size, version))
}

/// Splits a capture (packets back to back, as a file or a TCP stream holds them) into
/// packets: `Ok((offset, bytes))` for each, `Err` for bytes that are not one, after
/// which it goes on at the next plausible packet header (a version of two digits, a
/// size that fits, followed by the end of the input or another such header).
pub struct Packets<'a> {
    buf: &'a [u8],
    pos: usize,
    base: u64,
}

impl<'a> Packets<'a> {
    /// `base`: the absolute offset of `buf[0]`.
    pub fn new(buf: &'a [u8], base: u64) -> Self {
        Packets { buf, pos: 0, base }
    }

    fn resync(&self, from: usize) -> usize {
        let n = self.buf.len();
        (from..n)
            .find(|&q| {
                let Some((size, _)) = plausible_header(&self.buf[q..]) else {
                    return false;
                };
                q.checked_add(size).is_some_and(|end| {
                    end == n || (end < n && plausible_header(&self.buf[end..]).is_some())
                })
            })
            .unwrap_or(n)
    }
}

impl<'a> Iterator for Packets<'a> {
    type Item = Result<(u64, &'a [u8]), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let n = self.buf.len();
        if self.pos >= n {
            return None;
        }
        let at = self.pos;
        let offset = self.base + at as u64;
        let rest = &self.buf[at..];
        if rest.len() < PACKET_HEADER_LEN {
            self.pos = n;
            return Some(Err(Error {
                offset,
                reason: Fault::Truncated(format!(
                    "input ends inside a packet header ({} of {PACKET_HEADER_LEN} bytes)",
                    rest.len()
                )),
            }));
        }
        let (kind, reason): (fn(String) -> Fault, String) = match plausible_header(rest) {
            Some((size, _)) if size <= rest.len() => {
                self.pos = at + size;
                return Some(Ok((offset, &rest[..size])));
            }
            Some((size, _)) => (
                Fault::Truncated,
                format!(
                    "packet of {size} bytes: input ends after {} of them",
                    rest.len()
                ),
            ),
            None => {
                let size = u32::from_be_bytes([rest[2], rest[3], rest[4], rest[5]]);
                (
                    Fault::Syntax,
                    format!(
                        "not a packet header (version {:?}, size {size})",
                        String::from_utf8_lossy(&rest[..2])
                    ),
                )
            }
        };
        self.pos = self.resync(at + 1);
        let skipped = self.pos - at;
        Some(Err(Error {
            offset,
            reason: kind(format!("{reason}; {skipped} bytes skipped")),
        }))
    }
}

/// One packet decoded: its header and, in wire order, each segment or the error at its
/// offset. An error that leaves the rest of the packet unreadable (a segment overrunning
/// the packet) is the last item.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedPacket {
    pub header: PacketHeader,
    pub segments: Vec<Result<SegmentAt, Error>>,
}

/// A decoded segment and where it was.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentAt {
    /// Absolute offset of its segment header.
    pub offset: u64,
    /// S2: its bytes, segment header included.
    pub size: u32,
    pub segment: Segment,
}

/// Decodes one whole packet (`bytes` exactly its P2 bytes; `base` the absolute offset of
/// its first byte). `Err` when the header itself is unusable (short, an unsupported
/// version, a size other than `bytes.len()`).
pub fn decode_packet(bytes: &[u8], base: u64) -> Result<DecodedPacket, Error> {
    let err = |reason: Fault| Error {
        offset: base,
        reason,
    };
    if bytes.len() < PACKET_HEADER_LEN {
        return Err(err(Fault::Truncated(format!(
            "packet of {} bytes is shorter than its header",
            bytes.len()
        ))));
    }
    let mut c = Cur::new(bytes);
    let header = PacketHeader::read(&mut c);
    if !supported_version(header.version) {
        return Err(err(Fault::Unsupported(format!(
            "unsupported version ID {:?} (Editions 3 and 4 are read)",
            String::from_utf8_lossy(&header.version)
        ))));
    }
    if header.packet_size as usize != bytes.len() {
        return Err(err(Fault::Syntax(format!(
            "packet size {} but {} bytes given",
            header.packet_size,
            bytes.len()
        ))));
    }
    let mut segments = Vec::new();
    let mut at = PACKET_HEADER_LEN;
    while at < bytes.len() {
        let offset = base + at as u64;
        let rest = &bytes[at..];
        if rest.len() < SEGMENT_HEADER_LEN {
            segments.push(Err(Error {
                offset,
                reason: Fault::Truncated(format!(
                    "packet ends inside a segment header ({} of {SEGMENT_HEADER_LEN} bytes)",
                    rest.len()
                )),
            }));
            break;
        }
        let kind = rest[0];
        let size = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        if size < SEGMENT_HEADER_LEN {
            segments.push(Err(Error {
                offset,
                reason: Fault::Syntax(format!(
                    "{} segment (type {kind}) of size {size}, smaller than its header",
                    segment_name(kind)
                )),
            }));
            break;
        }
        if size > rest.len() {
            segments.push(Err(Error {
                offset,
                reason: Fault::Truncated(format!(
                    "{} segment (type {kind}) of {size} bytes overruns its packet ({} bytes left)",
                    segment_name(kind),
                    rest.len()
                )),
            }));
            break;
        }
        let payload = &rest[SEGMENT_HEADER_LEN..size];
        segments.push(
            decode_segment(kind, payload)
                .map(|segment| SegmentAt {
                    offset,
                    size: size as u32,
                    segment,
                })
                .map_err(|reason| Error {
                    offset,
                    reason: reason
                        .context(format_args!("{} segment (type {kind})", segment_name(kind))),
                }),
        );
        at += size;
    }
    Ok(DecodedPacket { header, segments })
}

fn exact<T>(payload: &[u8], len: usize, read: impl FnOnce(&mut Cur) -> T) -> Result<T, Fault> {
    if payload.len() != len {
        return Err(Fault::Syntax(format!(
            "{} bytes of fields, the standard's size is {len}",
            payload.len()
        )));
    }
    Ok(read(&mut Cur::new(payload)))
}

/// Decodes one segment's payload (the bytes after its segment header).
pub fn decode_segment(kind: u8, payload: &[u8]) -> Result<Segment, Fault> {
    Ok(match kind {
        1 => Segment::Mission(exact(payload, Mission::LEN, Mission::read)?),
        2 => Segment::Dwell(decode_dwell(payload)?),
        3 => Segment::Hrr(decode_hrr(payload)?),
        5 => Segment::JobDefinition(exact(payload, JobDefinition::LEN, JobDefinition::read)?),
        6 => {
            if payload.len() < 20 {
                return Err(Fault::Truncated(format!(
                    "{} bytes, less than the 20 of originator and recipient",
                    payload.len()
                )));
            }
            let mut c = Cur::new(payload);
            Segment::FreeText(FreeText {
                originator: c.array(),
                recipient: c.array(),
                text: c.rest().to_vec(),
            })
        }
        10 => Segment::TestStatus(exact(payload, TestStatus::LEN, TestStatus::read)?),
        12 => Segment::ProcessingHistory(decode_history(payload)?),
        13 => Segment::PlatformLocation(exact(
            payload,
            PlatformLocation::LEN,
            PlatformLocation::read,
        )?),
        101 => Segment::JobRequest(exact(payload, JobRequest::LEN, JobRequest::read)?),
        102 => Segment::JobAcknowledge(exact(payload, JobAcknowledge::LEN, JobAcknowledge::read)?),
        _ => Segment::Other {
            kind,
            payload: payload.to_vec(),
        },
    })
}

fn decode_history(payload: &[u8]) -> Result<ProcessingHistory, Fault> {
    let Some((&count, rest)) = payload.split_first() else {
        return Err(Fault::Truncated("empty".into()));
    };
    let want = ProcessingBasis::LEN + usize::from(count) * ProcessingRecord::LEN;
    if rest.len() != want {
        return Err(Fault::Syntax(format!(
            "{} records need {} bytes after the count, {} given",
            count,
            want,
            rest.len()
        )));
    }
    let mut c = Cur::new(rest);
    let basis = ProcessingBasis::read(&mut c);
    let records = (0..count).map(|_| ProcessingRecord::read(&mut c)).collect();
    Ok(ProcessingHistory { basis, records })
}

fn decode_hrr(payload: &[u8]) -> Result<Hrr, Fault> {
    // H1 (5 bytes), then the mandatory H2–H4.
    if payload.len() < 10 {
        return Err(Fault::Truncated(format!(
            "{} bytes, less than its mask and indices",
            payload.len()
        )));
    }
    let mut c = Cur::new(payload);
    let m: [u8; 5] = c.array();
    let mask = m.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b));
    Ok(Hrr {
        mask,
        revisit_index: u16::get(&mut c),
        dwell_index: u16::get(&mut c),
        last_dwell: u8::get(&mut c),
        payload: payload.to_vec(),
    })
}

fn opt<T: Wire>(mask: u64, bit: u64, c: &mut Cur) -> Option<T> {
    (mask & bit != 0).then(|| T::get(c))
}

/// Decodes a dwell segment's payload: D1, the fields its mask selects, D5 target reports.
pub fn decode_dwell(payload: &[u8]) -> Result<Dwell, Fault> {
    let Some(m) = payload.get(..8) else {
        return Err(Fault::Truncated(format!(
            "{} bytes, less than its 8-byte existence mask",
            payload.len()
        )));
    };
    let mask = u64::from_be_bytes(m.try_into().unwrap_or_default());
    let missing = DWELL_MANDATORY & !mask;
    if missing != 0 {
        let fields: Vec<String> = (2..=31u32)
            .filter(|&n| missing & dwell_bit(n) != 0)
            .map(|n| format!("D{n}"))
            .collect();
        return Err(Fault::field(
            "D1",
            format!("mask {mask:#018x} lacks mandatory {}", fields.join(", ")),
        ));
    }
    let fixed = 8 + dwell_fields_len(mask);
    if payload.len() < fixed {
        return Err(Fault::Truncated(format!(
            "mask {mask:#018x} selects {fixed} bytes of dwell fields, {} given",
            payload.len()
        )));
    }
    let mut c = Cur::new(payload);
    c.p = 8;
    let b = dwell_bit;
    let revisit_index = u16::get(&mut c);
    let dwell_index = u16::get(&mut c);
    let last_dwell = u8::get(&mut c);
    let count = u16::get(&mut c);
    let per = target_report_len(mask);
    let want = fixed + usize::from(count) * per;
    if payload.len() != want {
        return Err(Fault::Syntax(format!(
            "{count} target reports of {per} bytes need {want} bytes, {} given",
            payload.len()
        )));
    }
    let mut d = Dwell {
        mask,
        revisit_index,
        dwell_index,
        last_dwell,
        dwell_time_ms: u32::get(&mut c),
        sensor_lat: i32::get(&mut c),
        sensor_lon: u32::get(&mut c),
        sensor_alt_cm: i32::get(&mut c),
        lat_scale: opt(mask, b(10), &mut c),
        lon_scale: opt(mask, b(11), &mut c),
        sensor_along_track_uncertainty_cm: opt(mask, b(12), &mut c),
        sensor_cross_track_uncertainty_cm: opt(mask, b(13), &mut c),
        sensor_altitude_uncertainty_cm: opt(mask, b(14), &mut c),
        sensor_track: opt(mask, b(15), &mut c),
        sensor_speed_mm_s: opt(mask, b(16), &mut c),
        sensor_vertical_velocity_dm_s: opt(mask, b(17), &mut c),
        sensor_track_uncertainty_deg: opt(mask, b(18), &mut c),
        sensor_speed_uncertainty_mm_s: opt(mask, b(19), &mut c),
        sensor_vertical_velocity_uncertainty_cm_s: opt(mask, b(20), &mut c),
        platform_heading: opt(mask, b(21), &mut c),
        platform_pitch: opt(mask, b(22), &mut c),
        platform_roll: opt(mask, b(23), &mut c),
        center_lat: i32::get(&mut c),
        center_lon: u32::get(&mut c),
        range_half_extent: u16::get(&mut c),
        angle_half_extent: u16::get(&mut c),
        sensor_heading: opt(mask, b(28), &mut c),
        sensor_pitch: opt(mask, b(29), &mut c),
        sensor_roll: opt(mask, b(30), &mut c),
        mdv_dm_s: opt(mask, b(31), &mut c),
        targets: Vec::with_capacity(usize::from(count)),
    };
    let t = target_bit;
    for _ in 0..count {
        d.targets.push(TargetReport {
            report_index: opt(mask, t(1), &mut c),
            lat: opt(mask, t(2), &mut c),
            lon: opt(mask, t(3), &mut c),
            delta_lat: opt(mask, t(4), &mut c),
            delta_lon: opt(mask, t(5), &mut c),
            height_m: opt(mask, t(6), &mut c),
            radial_velocity_cm_s: opt(mask, t(7), &mut c),
            wrap_velocity_cm_s: opt(mask, t(8), &mut c),
            snr_db: opt(mask, t(9), &mut c),
            classification: opt(mask, t(10), &mut c),
            class_probability_pct: opt(mask, t(11), &mut c),
            slant_range_uncertainty_cm: opt(mask, t(12), &mut c),
            cross_range_uncertainty_dm: opt(mask, t(13), &mut c),
            height_uncertainty_m: opt(mask, t(14), &mut c),
            radial_velocity_uncertainty_cm_s: opt(mask, t(15), &mut c),
            truth_tag_application: opt(mask, t(16), &mut c),
            truth_tag_entity: opt(mask, t(17), &mut c),
            rcs_half_db: opt(mask, t(18), &mut c),
        });
    }
    Ok(d)
}

// ---------------------------------------------------------------------------------------
// Encoding

fn put_opt<T: Wire + Default + Copy>(w: &mut Vec<u8>, mask: u64, bit: u64, v: Option<T>) {
    if mask & bit != 0 {
        v.unwrap_or_default().put(w);
    }
}

/// Encodes a dwell's payload (after the segment header) as its mask says. More than
/// 65 535 targets (D5's limit) are cut to that many.
pub fn encode_dwell(d: &Dwell, w: &mut Vec<u8>) {
    let m = d.mask;
    let b = dwell_bit;
    let count = d.targets.len().min(usize::from(u16::MAX));
    m.put(w);
    put_opt(w, m, b(2), Some(d.revisit_index));
    put_opt(w, m, b(3), Some(d.dwell_index));
    put_opt(w, m, b(4), Some(d.last_dwell));
    put_opt(w, m, b(5), Some(count as u16));
    put_opt(w, m, b(6), Some(d.dwell_time_ms));
    put_opt(w, m, b(7), Some(d.sensor_lat));
    put_opt(w, m, b(8), Some(d.sensor_lon));
    put_opt(w, m, b(9), Some(d.sensor_alt_cm));
    put_opt(w, m, b(10), d.lat_scale);
    put_opt(w, m, b(11), d.lon_scale);
    put_opt(w, m, b(12), d.sensor_along_track_uncertainty_cm);
    put_opt(w, m, b(13), d.sensor_cross_track_uncertainty_cm);
    put_opt(w, m, b(14), d.sensor_altitude_uncertainty_cm);
    put_opt(w, m, b(15), d.sensor_track);
    put_opt(w, m, b(16), d.sensor_speed_mm_s);
    put_opt(w, m, b(17), d.sensor_vertical_velocity_dm_s);
    put_opt(w, m, b(18), d.sensor_track_uncertainty_deg);
    put_opt(w, m, b(19), d.sensor_speed_uncertainty_mm_s);
    put_opt(w, m, b(20), d.sensor_vertical_velocity_uncertainty_cm_s);
    put_opt(w, m, b(21), d.platform_heading);
    put_opt(w, m, b(22), d.platform_pitch);
    put_opt(w, m, b(23), d.platform_roll);
    put_opt(w, m, b(24), Some(d.center_lat));
    put_opt(w, m, b(25), Some(d.center_lon));
    put_opt(w, m, b(26), Some(d.range_half_extent));
    put_opt(w, m, b(27), Some(d.angle_half_extent));
    put_opt(w, m, b(28), d.sensor_heading);
    put_opt(w, m, b(29), d.sensor_pitch);
    put_opt(w, m, b(30), d.sensor_roll);
    put_opt(w, m, b(31), d.mdv_dm_s);
    let t = target_bit;
    for r in &d.targets[..count] {
        put_opt(w, m, t(1), r.report_index);
        put_opt(w, m, t(2), r.lat);
        put_opt(w, m, t(3), r.lon);
        put_opt(w, m, t(4), r.delta_lat);
        put_opt(w, m, t(5), r.delta_lon);
        put_opt(w, m, t(6), r.height_m);
        put_opt(w, m, t(7), r.radial_velocity_cm_s);
        put_opt(w, m, t(8), r.wrap_velocity_cm_s);
        put_opt(w, m, t(9), r.snr_db);
        put_opt(w, m, t(10), r.classification);
        put_opt(w, m, t(11), r.class_probability_pct);
        put_opt(w, m, t(12), r.slant_range_uncertainty_cm);
        put_opt(w, m, t(13), r.cross_range_uncertainty_dm);
        put_opt(w, m, t(14), r.height_uncertainty_m);
        put_opt(w, m, t(15), r.radial_velocity_uncertainty_cm_s);
        put_opt(w, m, t(16), r.truth_tag_application);
        put_opt(w, m, t(17), r.truth_tag_entity);
        put_opt(w, m, t(18), r.rcs_half_db);
    }
}

/// Appends one segment, its header included.
pub fn encode_segment(s: &Segment, w: &mut Vec<u8>) {
    let start = w.len();
    s.type_code().put(w);
    0u32.put(w); // size, patched below
    match s {
        Segment::Mission(x) => x.write(w),
        Segment::Dwell(x) => encode_dwell(x, w),
        Segment::Hrr(x) => w.extend_from_slice(&x.payload),
        Segment::JobDefinition(x) => x.write(w),
        Segment::FreeText(x) => {
            w.extend_from_slice(&x.originator);
            w.extend_from_slice(&x.recipient);
            w.extend_from_slice(&x.text);
        }
        Segment::TestStatus(x) => x.write(w),
        Segment::ProcessingHistory(x) => {
            let n = x.records.len().min(255);
            (n as u8).put(w);
            x.basis.write(w);
            for r in &x.records[..n] {
                r.write(w);
            }
        }
        Segment::PlatformLocation(x) => x.write(w),
        Segment::JobRequest(x) => x.write(w),
        Segment::JobAcknowledge(x) => x.write(w),
        Segment::Other { payload, .. } => w.extend_from_slice(payload),
    }
    let size = u32::try_from(w.len() - start).unwrap_or(u32::MAX);
    w[start + 1..start + 5].copy_from_slice(&size.to_be_bytes());
}

/// Encodes a packet: `header` with P2 set to the size written, then the segments.
pub fn encode_packet(header: &PacketHeader, segments: &[Segment]) -> Vec<u8> {
    let mut w = Vec::with_capacity(256);
    header.write(&mut w);
    for s in segments {
        encode_segment(s, &mut w);
    }
    let size = u32::try_from(w.len()).unwrap_or(u32::MAX);
    w[2..6].copy_from_slice(&size.to_be_bytes());
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_lengths_are_the_standards() {
        assert_eq!(PacketHeader::LEN, PACKET_HEADER_LEN);
        assert_eq!(SEGMENT_HEADER_LEN + Mission::LEN, 44);
        assert_eq!(SEGMENT_HEADER_LEN + JobDefinition::LEN, 73);
        assert_eq!(SEGMENT_HEADER_LEN + PlatformLocation::LEN, 28);
        assert_eq!(TestStatus::LEN, 14);
        assert_eq!(JobRequest::LEN, 79);
        assert_eq!(JobAcknowledge::LEN, 79);
        assert_eq!(1 + ProcessingBasis::LEN, 21);
        assert_eq!(ProcessingRecord::LEN, 23);
        let mut w = Vec::new();
        JobDefinition::default().write(&mut w);
        assert_eq!(w.len(), JobDefinition::LEN);
    }

    #[test]
    fn mask_bits_are_where_the_standard_puts_them() {
        // D2 is the most significant bit; D32.18 the last before 16 spare bits.
        assert_eq!(dwell_bit(2), 1 << 63);
        assert_eq!(dwell_bit(31), 1 << 34);
        assert_eq!(target_bit(1), 1 << 33);
        assert_eq!(target_bit(18), 1 << 16);
        assert_eq!(target_report_len(!0), 36);
        assert_eq!(dwell_fields_len(!0), 78);
    }

    #[test]
    fn angles_scale_as_the_standard_says() {
        assert_eq!(sa32_deg(1 << 30), 45.0);
        assert_eq!(sa32_deg(i32::MIN), -90.0);
        assert_eq!(ba32_deg(1 << 30), 90.0);
        assert_eq!(ba32_deg(u32::MAX), 360.0 - 90.0 / f64::from(1u32 << 30));
        assert_eq!(sa16_deg(1 << 14), 90.0);
        assert_eq!(ba16_deg(0xC000), 270.0);
        assert_eq!(deg_ba32(-90.0), 3 << 30);
        assert_eq!(deg_ba32(359.999_999_999_9), 0);
        assert_eq!(deg_sa32(-45.0), -(1 << 30));
        assert_eq!(deg_ba16(-90.0), 0xC000);
    }

    #[test]
    fn low_resolution_positions_add_delta_times_scale_to_the_centre() {
        let d = Dwell {
            center_lat: deg_sa32(31.0),
            center_lon: deg_ba32(0.5),
            lat_scale: Some(1000),
            lon_scale: Some(2000),
            ..Dwell::default()
        };
        let t = TargetReport {
            delta_lat: Some(-7),
            delta_lon: Some(-30_000),
            ..TargetReport::default()
        };
        let (lat, lon) = d.target_position(&t).unwrap();
        assert_eq!(lat, sa32_deg(d.center_lat) - 7000.0 * DEG_PER_SA32);
        // Across the prime meridian: modulo a turn, as BA32 is.
        let want = (f64::from(d.center_lon) - 60_000_000.0) * DEG_PER_BA32 + 360.0;
        assert!((lon - want).abs() < 1e-9, "{lon} {want}");
        assert!(lon > 355.0);
        assert_eq!(d.target_position(&TargetReport::default()), None);
        // Half a high-resolution position is not one: the deltas are used.
        let half = TargetReport { lat: Some(0), ..t };
        assert_eq!(d.target_position(&half), Some((lat, lon)));
    }
}
