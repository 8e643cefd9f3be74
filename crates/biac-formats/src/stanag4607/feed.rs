//! A STANAG 4607 feed: each dwell's target reports become plots that carry their
//! measurement in the sensor's space ([`PolarMeasurement`]: slant range, azimuth and
//! range-rate from the platform), so the tracker updates in the space the radar
//! measured in.
//!
//! Per connection (or UDP source) the decoder keeps the latest mission segment's date
//! (D6, the dwell time, counts milliseconds from its midnight, UTC) and the latest job
//! definition (its nominal sensor accuracies, J15–J22). A dwell before any mission
//! segment has no date: it is rejected, never placed on a guessed day.
//!
//! For each target report:
//! - position: the high-resolution or the dwell-centre-plus-delta form (D32.2–D32.5),
//!   at its geodetic height (D32.6, metres above the WGS84 ellipsoid) when sent, else
//!   on the ellipsoid;
//! - the sensor: the dwell's D7–D9 (the antenna, above the ellipsoid); slant range and
//!   azimuth are the geometry from there to the target (`biac_geo::aer_of`);
//! - range-rate: D32.7, the line-of-sight velocity "corrected for platform motion",
//!   positive away from the sensor — a ground-referenced radial velocity, so the
//!   measurement is relative to a stationary sensor (`sensor_velocity: None`). Without
//!   D32.7 the plot is a range/azimuth measurement;
//! - not a `ground_fix`: the report's position is where the radar's range and azimuth
//!   put the target on the ground, so range and azimuth re-derived from the antenna
//!   (at the report's height) carry that position with its true error shape — a thin
//!   ellipse, tens of metres along the beam and hundreds across — where a ground fix
//!   would weigh it as a circle of their RMS. On the MQ-9 bench (`bench/gmti_stonesoup.sh`)
//!   the ground fix tracked worse than Stone Soup's range/bearing/range-rate EKF on the
//!   same dwells and this measurement better;
//! - errors, the report's own first, then the job's nominal values, then defaults:
//!   slant range D32.12 / J20 / [`DEFAULT_SLANT_RANGE_SIGMA_M`]; cross range D32.13
//!   (metres) / J21 (an angle) / [`DEFAULT_CROSS_RANGE_SIGMA_DEG`]; radial velocity
//!   D32.15 / J22 / [`DEFAULT_RADIAL_VELOCITY_SIGMA_MPS`]; the platform's position
//!   error D12–D13 / J15–J16 (none by default) adds to the position's;
//! - domain from the classification (D32.10): vehicles on land `Ground`, maritime
//!   `Surface`, aircraft `Air`; reports classified as simulated targets (128 and up),
//!   clutter (14) or phantoms (15) are not measurements of real objects and are
//!   skipped (counted in [`GmtiStats::skipped_targets`]).
//!
//! The packet header's security classification (P4) labels what the packet carries:
//! a packet marked above the feed's default label raises its observations' level to
//! the marking (the rest of the label — owners, REL TO, categories, controls — stays
//! the feed's); a marking at or below it changes nothing, so a wire can never lower a
//! feed's label. Raising is honoured whether or not the feed's markings are trusted:
//! ignoring it would release reports their originator marked above the feed's label.
//! A P4 that is no level of the standard (0, or 6 and up) is a marking the feed cannot
//! carry: the whole packet is rejected with the offset of P4 and counted
//! ([`GmtiStats::rejected_markings`]), none of its segments taking effect.
//! The packet security code (P6, handling flags) restricts it likewise: ORCON adds the
//! ORCON control, NATIONAL ONLY makes it NOFORN; a flag the label policy cannot carry
//! (NOCONTRACT, PROPIN, WNINTEL, …) rejects the packet with the offset of P6 (see
//! [`security_code_label`]).

use crate::Fault;
use biac_model::{
    Classification, Domain, FeedConfig, Label, Observation, ObservationKind, PolarMeasurement,
    Position, TimeMs,
};

use super::{
    ba16_deg, decode_packet, text, Dwell, Error, JobDefinition, Mission, Segment, TargetReport,
};

/// Largest packet a feed accepts (a dwell of ~29 000 full target reports): bounds what
/// a framer buffers for one packet.
pub const MAX_PACKET_LEN: usize = 1 << 20;
/// One-sigma slant-range error when neither the report nor the job states it, metres.
pub const DEFAULT_SLANT_RANGE_SIGMA_M: f64 = 20.0;
/// One-sigma cross-range (azimuth) error when neither states it, degrees.
pub const DEFAULT_CROSS_RANGE_SIGMA_DEG: f64 = 0.25;
/// One-sigma radial velocity error when neither states it, m/s.
pub const DEFAULT_RADIAL_VELOCITY_SIGMA_MPS: f64 = 1.0;

const DAY_MS: i64 = 86_400_000;

/// What a GMTI feed carried besides the observations it produced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GmtiStats {
    pub packets: u64,
    pub dwells: u64,
    pub targets: u64,
    /// Target reports that became no observation: no position, a simulated target,
    /// clutter or a phantom.
    pub skipped_targets: u64,
    /// Segments that carry no targets (job definitions, free text, HRR, …).
    pub other_segments: u64,
    /// Packets rejected for a security classification (P4) that is no level.
    pub rejected_markings: u64,
    /// Packets whose marking raised the feed's label.
    pub raised_labels: u64,
}

/// Byte offset of P4 (security classification) in the packet header.
pub const P4_OFFSET: u64 = 8;

/// The level a packet header's P4 names: 1 TOP SECRET, 2 SECRET, 3 CONFIDENTIAL,
/// 4 RESTRICTED, 5 UNCLASSIFIED; anything else is none.
pub fn p4_classification(p4: u8) -> Option<Classification> {
    Some(match p4 {
        1 => Classification::TopSecret,
        2 => Classification::Secret,
        3 => Classification::Confidential,
        4 => Classification::Restricted,
        5 => Classification::Unclassified,
        _ => return None,
    })
}

/// The label of a packet's observations: the feed's default label, its level raised to
/// the packet's marking when that is higher (never lowered).
pub fn packet_label(default: &Label, p4: u8) -> Result<Label, Fault> {
    let level = p4_classification(p4).ok_or_else(|| {
        Fault::field(
            "P4",
            format!("packet security classification (P4) {p4} is no level of STANAG 4607 (1-5)"),
        )
    })?;
    if level <= default.classification() {
        return Ok(default.clone());
    }
    let mut spec = default.to_spec();
    spec.classification = Some(level);
    Label::from_spec(spec).map_err(|e| {
        Fault::field(
            "P4",
            format!("packet marked {level}: the feed's label cannot be raised to it ({e})"),
        )
    })
}

/// Byte offset of P6 (packet security code) in the packet header.
pub const P6_OFFSET: u64 = 11;

/// P6 flags the label policy carries: ORCON (0x0002) and NATIONAL ONLY (0x0010, which
/// is NOFORN: releasable to the owners only).
pub const P6_ORCON: u16 = 0x0002;
pub const P6_NATIONAL_ONLY: u16 = 0x0010;

/// The names of P6's flags, bit 0 first (AEDP-7); bits past these are unnamed.
const P6_NAMES: [&str; 13] = [
    "NOCONTRACT",
    "ORCON",
    "PROPIN",
    "WNINTEL",
    "NATIONAL ONLY",
    "LIMDIS",
    "FOUO",
    "EFTO",
    "LIM OFF USE",
    "NONCOMPARTMENT",
    "SPECIAL CONTROL",
    "SPECIAL INFORM",
    "CONTROLLED UNCLASSIFIED",
];

/// `label` restricted by a packet's security code (P6, handling flags): ORCON adds the
/// ORCON control, NATIONAL ONLY makes it NOFORN (the join's rules: never less
/// restrictive than `label`). A flag the label policy has no counterpart for is an
/// error — dropping a handling instruction would release what its originator
/// restricted — so such a packet is refused, naming the flags.
pub fn security_code_label(label: &Label, p6: u16) -> Result<Label, Fault> {
    let unknown = p6 & !(P6_ORCON | P6_NATIONAL_ONLY);
    if unknown != 0 {
        let names: Vec<String> = (0..16)
            .filter(|b| unknown & (1 << b) != 0)
            .map(|b| {
                P6_NAMES
                    .get(b)
                    .map_or_else(|| format!("bit {b}"), |n| n.to_string())
            })
            .collect();
        return Err(Fault::Unsupported(format!(
            "packet security code (P6) {p6:#06x}: {} has no counterpart in the label policy",
            names.join(", ")
        )));
    }
    if p6 == 0 {
        return Ok(label.clone());
    }
    // UNCLASSIFIED with no REL TO is public: joined, it adds only its controls.
    let mut marking = String::from("UNCLASSIFIED");
    if p6 & P6_ORCON != 0 {
        marking.push_str("//ORCON");
    }
    if p6 & P6_NATIONAL_ONLY != 0 {
        marking.push_str("//NOFORN");
    }
    let controls = Label::parse_marking(&marking, label.owner())
        .map_err(|e| Fault::field("P6", format!("packet security code (P6) {p6:#06x}: {e}")))?;
    Ok(label.join(&controls))
}

/// One connection's STANAG 4607 state: the mission date and the job's nominal values.
#[derive(Default)]
pub struct GmtiNormaliser {
    /// Midnight (UTC, ms since the epoch) of the latest mission segment's date.
    mission_midnight_ms: Option<TimeMs>,
    job: Option<JobDefinition>,
    stats: GmtiStats,
}

impl GmtiNormaliser {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn stats(&self) -> GmtiStats {
        self.stats
    }

    /// One packet (`packet` exactly its P2 bytes, `offset` the absolute offset of its
    /// first byte) to observations, in segment order. A segment that does not decode —
    /// or a dwell that cannot be placed in time — rejects the packet with the
    /// segment's offset; mission and job definition segments before it still take
    /// effect, and the next packet decodes on its own.
    pub fn decode(
        &mut self,
        cfg: &FeedConfig,
        packet: &[u8],
        offset: u64,
    ) -> Result<Vec<Observation>, Error> {
        // A framer hands over the bytes between packets as a record of their own.
        if super::plausible_header(packet).is_none_or(|(size, _)| size != packet.len()) {
            return Err(Error {
                offset,
                reason: Fault::Syntax(format!(
                    "{} bytes that are not a STANAG 4607 packet (no packet header of their size)",
                    packet.len()
                )),
            });
        }
        let p = decode_packet(packet, offset)?;
        self.stats.packets += 1;
        let label =
            packet_label(&cfg.default_label, p.header.classification).map_err(|reason| {
                self.stats.rejected_markings += 1;
                Error {
                    offset: offset + P4_OFFSET,
                    reason,
                }
            })?;
        if label.classification() > cfg.default_label.classification() {
            self.stats.raised_labels += 1;
        }
        let label = security_code_label(&label, p.header.security_code).map_err(|reason| {
            self.stats.rejected_markings += 1;
            Error {
                offset: offset + P6_OFFSET,
                reason,
            }
        })?;
        let sensor = text(&p.header.platform_id);
        let mut out = Vec::new();
        for s in p.segments {
            let s = s?;
            match &s.segment {
                Segment::Mission(m) => {
                    self.mission_midnight_ms =
                        Some(mission_midnight(m).map_err(|reason| Error {
                            offset: s.offset,
                            reason,
                        })?);
                }
                Segment::JobDefinition(j) => {
                    self.stats.other_segments += 1;
                    self.job = Some(j.clone());
                }
                Segment::Dwell(d) => {
                    self.stats.dwells += 1;
                    let Some(midnight) = self.mission_midnight_ms else {
                        return Err(Error {
                            offset: s.offset,
                            reason: Fault::Sequence(
                                "dwell before any mission segment: its time (ms since \
                                 midnight of the mission date) has no date"
                                    .into(),
                            ),
                        });
                    };
                    let time_ms = midnight + i64::from(d.dwell_time_ms);
                    for t in &d.targets {
                        self.stats.targets += 1;
                        match observe(cfg, &label, &sensor, self.job.as_ref(), d, t, time_ms) {
                            Some(o) => out.push(o),
                            None => self.stats.skipped_targets += 1,
                        }
                    }
                }
                _ => self.stats.other_segments += 1,
            }
        }
        Ok(out)
    }
}

/// Midnight UTC of a mission segment's date (M5–M7), ms since the epoch.
pub fn mission_midnight(m: &Mission) -> Result<TimeMs, Fault> {
    let bad = || {
        Fault::field(
            "mission date",
            format!(
                "mission date {:04}-{:02}-{:02} is not a date",
                m.year, m.month, m.day
            ),
        )
    };
    let month = time::Month::try_from(m.month).map_err(|_| bad())?;
    let date =
        time::Date::from_calendar_date(i32::from(m.year), month, m.day).map_err(|_| bad())?;
    // Julian day 2440588 is 1970-01-01.
    Ok((i64::from(date.to_julian_day()) - 2_440_588) * DAY_MS)
}

/// A stated sigma, if it is one: zero and all-ones (the standard's "no statement")
/// are not.
fn stated_u16(v: Option<u16>) -> Option<u16> {
    v.filter(|&x| x != 0 && x != u16::MAX)
}

/// The domain a classification (D32.10) names, or `None` for a report that is not a
/// live object: simulated (128 and up), clutter (14), phantom (15).
pub fn classification_domain(class: Option<u8>) -> Option<Domain> {
    Some(match class {
        Some(128..) | Some(14) | Some(15) => return None,
        // Tracked, wheeled, vehicle, large land target, small vehicle.
        Some(1 | 2 | 10 | 12 | 17) => Domain::Ground,
        // Maritime, large maritime target.
        Some(6 | 13) => Domain::Surface,
        // Rotary wing, fixed wing, low-slow flyer.
        Some(3 | 4 | 18) => Domain::Air,
        _ => Domain::Unknown,
    })
}

fn lon180(lon: f64) -> f64 {
    if lon >= 180.0 {
        lon - 360.0
    } else {
        lon
    }
}

/// One target report to an observation, or `None` when it is not one to fuse.
fn observe(
    cfg: &FeedConfig,
    label: &Label,
    sensor: &str,
    job: Option<&JobDefinition>,
    d: &Dwell,
    t: &TargetReport,
    time_ms: TimeMs,
) -> Option<Observation> {
    let domain = classification_domain(t.classification)?;
    let (lat, lon) = d.target_position(t)?;
    let position = Position {
        lat_deg: lat,
        lon_deg: lon180(lon),
        alt_m: t.height_m.map(f64::from),
    };
    let sensor_position = Position {
        lat_deg: d.sensor_lat_deg(),
        lon_deg: lon180(d.sensor_lon_deg()),
        alt_m: Some(f64::from(d.sensor_alt_cm) / 100.0),
    };
    let site = (
        sensor_position.lat_deg,
        sensor_position.lon_deg,
        f64::from(d.sensor_alt_cm) / 100.0,
    );
    let target = biac_geo::geodetic_to_ecef(
        position.lat_deg,
        position.lon_deg,
        position.alt_m.unwrap_or(0.0),
    );
    let (range_m, az_deg, el_deg) = biac_geo::aer_of(site, target);
    let horizontal_m = range_m * el_deg.to_radians().cos();

    // Errors: the report's own, the job's nominal values, defaults.
    let sigma_range = stated_u16(t.slant_range_uncertainty_cm)
        .or_else(|| job.and_then(|j| stated_u16(Some(j.slant_range_sd_cm))))
        .map_or(DEFAULT_SLANT_RANGE_SIGMA_M, |cm| f64::from(cm) / 100.0);
    let sigma_cross = stated_u16(t.cross_range_uncertainty_dm)
        .map(|dm| f64::from(dm) / 10.0)
        .unwrap_or_else(|| {
            // J21 is an angle (BA16); 180° and more is no statement.
            let deg = job
                .map(|j| ba16_deg(j.cross_range_sd))
                .filter(|&a| a > 0.0 && a < 180.0)
                .unwrap_or(DEFAULT_CROSS_RANGE_SIGMA_DEG);
            horizontal_m * deg.to_radians()
        });
    let sigma_rr = stated_u16(t.radial_velocity_uncertainty_cm_s)
        .or_else(|| job.and_then(|j| stated_u16(Some(j.radial_velocity_sd_cm_s))))
        .map_or(DEFAULT_RADIAL_VELOCITY_SIGMA_MPS, |cm| {
            f64::from(cm) / 100.0
        });
    // The platform's own position error (along and across its track) moves every
    // report it geolocates: per axis, in quadrature.
    let platform_var = match (
        d.sensor_along_track_uncertainty_cm,
        d.sensor_cross_track_uncertainty_cm,
    ) {
        (Some(a), Some(c)) => (f64::from(a).powi(2) + f64::from(c).powi(2)) / 2.0 / 1e4,
        _ => job.map_or(0.0, |j| {
            let m = |v: u16| if v == u16::MAX { 0.0 } else { f64::from(v) };
            (m(j.along_track_uncertainty_m).powi(2) + m(j.cross_track_uncertainty_m).powi(2)) / 2.0
        }),
    };
    // Slant-range error on the ground grows by range over horizontal range.
    let ground_k = if horizontal_m > 0.0 {
        range_m / horizontal_m
    } else {
        1.0
    };
    let pos_var = ((sigma_range * ground_k).powi(2) + sigma_cross.powi(2)) / 2.0 + platform_var;
    let range_sigma_m = (sigma_range.powi(2) + platform_var).sqrt();
    let azimuth_sigma_rad = if horizontal_m > 0.0 {
        (sigma_cross.powi(2) + platform_var).sqrt() / horizontal_m
    } else {
        std::f64::consts::PI
    };
    let range_rate_mps = t.radial_velocity_cm_s.map(|v| f64::from(v) / 100.0);
    let polar = PolarMeasurement {
        sensor_position,
        // D32.7 is already corrected for the platform's motion.
        sensor_velocity: None,
        range_m,
        range_sigma_m,
        azimuth_rad: az_deg.to_radians(),
        azimuth_sigma_rad,
        range_rate_mps,
        range_rate_sigma_mps: range_rate_mps.map(|_| sigma_rr),
        // Range, azimuth and range-rate are the measurement (see the module's notes).
        ground_fix: false,
        // A ground fix: the target is on the surface, the tracker needs no elevation.
        elevation: None,
    };
    let mut o = Observation::new(
        time_ms,
        position,
        pos_var.sqrt(),
        cfg.name.clone(),
        label.clone(),
    )
    .with_kind(ObservationKind::Plot)
    .with_domain(domain)
    .with_sensor(sensor);
    // A degenerate geometry (a target under the antenna) keeps the plot without its
    // sensor-space measurement rather than one the tracker would refuse.
    if polar.is_valid() {
        o = o.with_polar(polar);
    }
    Some(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mission_dates_are_utc_midnights() {
        let m = |year, month, day| Mission {
            year,
            month,
            day,
            ..Mission::default()
        };
        assert_eq!(mission_midnight(&m(1970, 1, 1)), Ok(0));
        // 2025-06-01T00:00:00Z
        assert_eq!(mission_midnight(&m(2025, 6, 1)), Ok(1_748_736_000_000));
        assert_eq!(mission_midnight(&m(2024, 2, 29)), Ok(1_709_164_800_000));
        for (y, mo, d) in [(2025, 2, 29), (2025, 13, 1), (2025, 0, 1), (2025, 6, 0)] {
            let e = mission_midnight(&m(y, mo, d)).unwrap_err();
            assert!(e.to_string().contains("is not a date"), "{e}");
        }
    }

    #[test]
    fn the_packet_security_code_restricts_the_label_and_unknown_flags_refuse_it() {
        use biac_model::{allow, Nation, Subject};
        let feed = Label::rel_to(Classification::Secret, Nation::USA, &[Nation::JPN]);
        let jpn = Subject::new(Nation::JPN, Classification::Secret);
        assert_eq!(security_code_label(&feed, 0).unwrap(), feed);
        // NATIONAL ONLY: the owners only, whatever the feed's REL TO.
        let l = security_code_label(&feed, P6_NATIONAL_ONLY).unwrap();
        assert_eq!(l.marking(), "SECRET//NOFORN");
        assert!(allow(&jpn, &feed) && !allow(&jpn, &l));
        // ORCON: the control added, the release kept.
        let l = security_code_label(&feed, P6_ORCON).unwrap();
        assert_eq!(l.marking(), "SECRET//ORCON//REL TO USA, JPN");
        let l = security_code_label(&feed, P6_ORCON | P6_NATIONAL_ONLY).unwrap();
        assert_eq!(l.marking(), "SECRET//ORCON//NOFORN");
        // Flags the policy cannot carry refuse the packet, named.
        let e = security_code_label(&feed, 0x0008 | P6_ORCON).unwrap_err();
        assert!(
            e.to_string().contains("0x000a") && e.to_string().contains("WNINTEL"),
            "{e}"
        );
        let e = security_code_label(&feed, 0x8000).unwrap_err();
        assert!(e.to_string().contains("bit 15"), "{e}");
    }

    #[test]
    fn a_packet_marking_raises_the_feed_label_and_never_lowers_it() {
        use biac_model::Nation;
        let feed = Label::rel_to(Classification::Confidential, Nation::USA, &[Nation::JPN]);
        // TOP SECRET and SECRET raise the level; the rest of the label is the feed's.
        for (p4, want) in [(1, Classification::TopSecret), (2, Classification::Secret)] {
            let l = packet_label(&feed, p4).unwrap();
            assert_eq!(l.classification(), want);
            assert_eq!(l.releasable_to(), feed.releasable_to());
            assert_eq!(l.owner(), feed.owner());
            assert!(l.dominates(&feed));
        }
        // CONFIDENTIAL, RESTRICTED and UNCLASSIFIED leave the feed's label as it is.
        for p4 in [3, 4, 5] {
            assert_eq!(packet_label(&feed, p4).unwrap(), feed);
        }
        for p4 in [0, 6, 7, 128, 255] {
            let e = packet_label(&feed, p4).unwrap_err();
            assert!(matches!(e, Fault::Field { name: "P4", .. }), "{e:?}");
            assert!(
                e.to_string().contains(&format!("(P4) {p4} is no level")),
                "{e}"
            );
        }
    }

    #[test]
    fn classifications_map_to_domains_and_skips() {
        assert_eq!(classification_domain(None), Some(Domain::Unknown));
        assert_eq!(classification_domain(Some(0)), Some(Domain::Unknown));
        assert_eq!(classification_domain(Some(2)), Some(Domain::Ground));
        assert_eq!(classification_domain(Some(6)), Some(Domain::Surface));
        assert_eq!(classification_domain(Some(4)), Some(Domain::Air));
        assert_eq!(classification_domain(Some(127)), Some(Domain::Unknown));
        for skipped in [14, 15, 128, 134, 255] {
            assert_eq!(classification_domain(Some(skipped)), None, "{skipped}");
        }
    }
}
