//! The domain model shared by every stage of biac.
//!
//! Invariants: plain data, no I/O; every [`Observation`] and [`Track`] carries a
//! [`Label`]; times are integer milliseconds since the Unix epoch (UTC) so that replay
//! is exact; positions are WGS84 degrees.

use std::collections::BTreeMap;

mod config_error;
pub use config_error::ConfigError;

pub use biac_label::{allow, Classification, Label, Nation, NationSet, Subject};
use serde::{Deserialize, Serialize};

/// Milliseconds since 1970-01-01T00:00:00Z.
pub type TimeMs = i64;

/// The wall clock in Unix milliseconds, for the process's edges (receive stamps, CoT
/// times, retention). The fusion core never reads it: its time is the data's.
pub fn now_ms() -> TimeMs {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| {
            TimeMs::try_from(d.as_millis()).unwrap_or(TimeMs::MAX)
        })
}

/// A WGS84 position. `alt_m` is height above the ellipsoid when known.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub lat_deg: f64,
    pub lon_deg: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_m: Option<f64>,
}

impl Position {
    pub fn new(lat_deg: f64, lon_deg: f64) -> Self {
        Position {
            lat_deg,
            lon_deg,
            alt_m: None,
        }
    }
    /// Latitude in [-90, 90], longitude in [-180, 180], both finite.
    pub fn is_valid(&self) -> bool {
        self.lat_deg.is_finite()
            && self.lon_deg.is_finite()
            && self.lat_deg.abs() <= 90.0
            && self.lon_deg.abs() <= 180.0
            && self.alt_m.is_none_or(f64::is_finite)
    }
}

/// Horizontal velocity in the local east/north frame, metres per second.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Velocity {
    pub east_mps: f64,
    pub north_mps: f64,
}

impl Velocity {
    /// From speed over ground (m/s) and course over ground (degrees true).
    pub fn from_sog_cog(speed_mps: f64, course_deg: f64) -> Self {
        let c = course_deg.to_radians();
        Velocity {
            east_mps: speed_mps * c.sin(),
            north_mps: speed_mps * c.cos(),
        }
    }
    pub fn speed_mps(&self) -> f64 {
        self.east_mps.hypot(self.north_mps)
    }
    /// Course over ground, degrees true in [0, 360).
    pub fn course_deg(&self) -> f64 {
        self.east_mps
            .atan2(self.north_mps)
            .to_degrees()
            .rem_euclid(360.0)
    }
}

/// What an object reports itself as, or what a sensor attached to it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Identity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mmsi: Option<u32>,
    /// 24-bit ICAO aircraft address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icao: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callsign: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A track number or uid in another system (a national track feed, CoT uid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_number: Option<String>,
    /// Vessel static data from AIS (types 5, 19, 24): IMO number, ship and cargo type
    /// code (ITU-R M.1371 table 53), and length and beam in metres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imo: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_type: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length_m: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beam_m: Option<u16>,
}

impl Identity {
    pub fn is_empty(&self) -> bool {
        *self == Identity::default()
    }
    /// Fill fields that are unknown here from `other`; known fields are kept.
    pub fn merge(&mut self, other: &Identity) {
        self.mmsi = self.mmsi.or(other.mmsi);
        self.icao = self.icao.or(other.icao);
        if self.callsign.is_none() {
            self.callsign.clone_from(&other.callsign);
        }
        if self.name.is_none() {
            self.name.clone_from(&other.name);
        }
        if self.track_number.is_none() {
            self.track_number.clone_from(&other.track_number);
        }
        self.imo = self.imo.or(other.imo);
        self.ship_type = self.ship_type.or(other.ship_type);
        self.length_m = self.length_m.or(other.length_m);
        self.beam_m = self.beam_m.or(other.beam_m);
    }
}

/// The flight phase of a ballistic missile: thrusting (`boost`), free flight above the
/// atmosphere (`midcourse`), descent through it (`terminal`). The simulator's truth and the
/// tracker's estimate name it alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlightPhase {
    Boost,
    Midcourse,
    Terminal,
}

impl FlightPhase {
    /// `boost`, `midcourse` or `terminal`.
    pub fn as_str(self) -> &'static str {
        match self {
            FlightPhase::Boost => "boost",
            FlightPhase::Midcourse => "midcourse",
            FlightPhase::Terminal => "terminal",
        }
    }
}

/// The physical domain an object moves in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Domain {
    #[default]
    Unknown,
    Surface,
    Air,
    Ground,
}

/// Standard identity (MIL-STD-2525 / APP-6 affiliation).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Affiliation {
    Pending,
    #[default]
    Unknown,
    AssumedFriend,
    Friend,
    Neutral,
    Suspect,
    Hostile,
}

impl Affiliation {
    /// The CoT type atom (`a-f`, `a-h`, ...).
    pub fn cot_atom(self) -> char {
        match self {
            Affiliation::Pending => 'p',
            Affiliation::Unknown => 'u',
            Affiliation::AssumedFriend => 'a',
            Affiliation::Friend => 'f',
            Affiliation::Neutral => 'n',
            Affiliation::Suspect => 's',
            Affiliation::Hostile => 'h',
        }
    }
    pub fn from_cot_atom(c: char) -> Option<Self> {
        Some(match c {
            'p' => Affiliation::Pending,
            'u' => Affiliation::Unknown,
            'a' => Affiliation::AssumedFriend,
            'f' => Affiliation::Friend,
            'n' => Affiliation::Neutral,
            's' => Affiliation::Suspect,
            'h' => Affiliation::Hostile,
            _ => return None,
        })
    }
}

/// How an observation came about; fusion treats each differently.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObservationKind {
    /// A sensor detection (radar plot, GMTI dot): no identity of its own.
    #[default]
    Plot,
    /// A cooperative self-report (AIS, ADS-B) carrying its own identity.
    SelfReport,
    /// A track from another tracker (a national track feed, CoT `a-*` events).
    Track,
}

/// One accepted, labelled measurement of one object at one time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Time of validity.
    pub time_ms: TimeMs,
    pub position: Position,
    /// One-sigma horizontal position error, metres.
    pub pos_sigma_m: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub velocity: Option<Velocity>,
    /// One-sigma error per velocity component, m/s (when `velocity` is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vel_sigma_mps: Option<f64>,
    #[serde(default, skip_serializing_if = "Identity::is_empty")]
    pub identity: Identity,
    #[serde(default)]
    pub domain: Domain,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affiliation: Option<Affiliation>,
    #[serde(default)]
    pub kind: ObservationKind,
    /// The feed (ingest endpoint) it arrived on.
    pub feed: String,
    /// The sensor or receiver that produced it, as the wire says (AIS receiver id, radar name).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sensor: String,
    pub label: Label,
    /// The measurement in the sensor's own space (radar range/azimuth, optionally
    /// range-rate; GMTI), when the feed gives it. `position` and `pos_sigma_m` still hold
    /// the converted plot for every consumer that does not use it; the tracker gates and
    /// updates in the sensor's space instead. Absent (and not serialized) otherwise, so
    /// observations without it encode exactly as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub polar: Option<Box<PolarMeasurement>>,
}

impl Observation {
    /// An observation of `position` with a circular one-sigma error, on `feed`, under
    /// `label`: a plot ([`ObservationKind::default`]) of [`Domain::default`], with no
    /// velocity, identity, affiliation, sensor or sensor-space measurement. The `with_*`
    /// methods set the rest, so a fixture names only what it is about.
    pub fn new(
        time_ms: TimeMs,
        position: Position,
        pos_sigma_m: f64,
        feed: impl Into<String>,
        label: Label,
    ) -> Self {
        Observation {
            time_ms,
            position,
            pos_sigma_m,
            velocity: None,
            vel_sigma_mps: None,
            identity: Identity::default(),
            domain: Domain::default(),
            affiliation: None,
            kind: ObservationKind::default(),
            feed: feed.into(),
            sensor: String::new(),
            label,
            polar: None,
        }
    }

    /// With a velocity and its one-sigma error per component.
    pub fn with_velocity(mut self, velocity: Velocity, sigma_mps: f64) -> Self {
        self.velocity = Some(velocity);
        self.vel_sigma_mps = Some(sigma_mps);
        self
    }

    pub fn with_identity(mut self, identity: Identity) -> Self {
        self.identity = identity;
        self
    }

    pub fn with_domain(mut self, domain: Domain) -> Self {
        self.domain = domain;
        self
    }

    pub fn with_affiliation(mut self, affiliation: Affiliation) -> Self {
        self.affiliation = Some(affiliation);
        self
    }

    pub fn with_kind(mut self, kind: ObservationKind) -> Self {
        self.kind = kind;
        self
    }

    pub fn with_sensor(mut self, sensor: impl Into<String>) -> Self {
        self.sensor = sensor.into();
        self
    }

    pub fn with_polar(mut self, polar: PolarMeasurement) -> Self {
        self.polar = Some(Box::new(polar));
        self
    }
}

/// A detection in the sensor's own measurement space.
///
/// Range is the slant (straight-line, 3-D) distance from the sensor's antenna to the
/// target; the target is taken at `Observation::position.alt_m`, or on the ellipsoid
/// when that is absent, and the sensor at `sensor_position.alt_m` (0 when absent).
/// Azimuth is the direction of the target in the sensor's local east-north plane,
/// radians clockwise from true north. Range-rate is the rate of change of the slant
/// range (positive opening), relative to a sensor moving at `sensor_velocity`
/// (stationary when absent). Sigmas are one-sigma errors, all strictly positive.
/// A 3-D radar (missile defence) also measures the `elevation`: then the target is where
/// range, azimuth and elevation put it, whatever its reported altitude.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolarMeasurement {
    pub sensor_position: Position,
    /// The platform's horizontal velocity (east/north at its position), for range-rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensor_velocity: Option<Velocity>,
    pub range_m: f64,
    pub range_sigma_m: f64,
    pub azimuth_rad: f64,
    pub azimuth_sigma_rad: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_rate_mps: Option<f64>,
    /// Required when `range_rate_mps` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_rate_sigma_mps: Option<f64>,
    /// GMTI style: the report's ground position (`Observation::position` with
    /// `pos_sigma_m`, e.g. a terrain-corrected STANAG 4607 target location) is the
    /// measurement, together with the range-rate; range and azimuth then only say where
    /// the sensor looked from. Needs `range_rate_mps`. False: range and azimuth (and
    /// range-rate when given) are the measurement.
    #[serde(default, skip_serializing_if = "is_false")]
    pub ground_fix: bool,
    /// Elevation of the target above the plane normal to the ellipsoid at the antenna,
    /// for a 3-D radar; absent for a 2-D one (and then not encoded at all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elevation: Option<Elevation>,
}

/// A measured elevation angle and its one-sigma error, radians.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Elevation {
    pub rad: f64,
    pub sigma_rad: f64,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl PolarMeasurement {
    /// Finite values, positive sigmas, a valid sensor position, a range-rate sigma
    /// exactly when there is a range-rate, and a range-rate when `ground_fix` is set.
    pub fn is_valid(&self) -> bool {
        let pos = |v: f64| v.is_finite() && v > 0.0;
        self.sensor_position.is_valid()
            && self
                .sensor_velocity
                .is_none_or(|v| v.east_mps.is_finite() && v.north_mps.is_finite())
            && pos(self.range_m)
            && pos(self.range_sigma_m)
            && self.azimuth_rad.is_finite()
            && pos(self.azimuth_sigma_rad)
            && match (self.range_rate_mps, self.range_rate_sigma_mps) {
                (Some(rr), Some(s)) => rr.is_finite() && pos(s),
                (None, None) => !self.ground_fix,
                _ => false,
            }
            && self.elevation.is_none_or(|e| {
                e.rad.is_finite() && e.rad.abs() <= std::f64::consts::FRAC_PI_2 && pos(e.sigma_rad)
            })
    }
}

/// Track life-cycle state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrackStatus {
    Tentative,
    Confirmed,
    Coasting,
}

/// A track's public id, as the API, the audit log and the CoT uids write it: `T`
/// then the tracker's id, at least six digits (`T000042`). Opaque to clients: the
/// ids are minted per audience, so one audience's id says nothing about another's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrackId(pub u64);

impl TrackId {
    /// The id a client wrote, if it is one (`None` for anything else).
    pub fn parse(s: &str) -> Option<TrackId> {
        s.strip_prefix('T')?.parse().ok().map(TrackId)
    }
}

impl std::fmt::Display for TrackId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "T{:06}", self.0)
    }
}

/// A fused track as one audience sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Track {
    /// Stable within one tracker; the server maps it to an opaque per-audience id.
    pub id: u64,
    pub time_ms: TimeMs,
    pub position: Position,
    pub velocity: Velocity,
    /// Position covariance in the local east/north frame, m² (e-e, e-n, n-n).
    pub pos_cov_en: [f64; 3],
    pub status: TrackStatus,
    pub domain: Domain,
    pub affiliation: Affiliation,
    pub identity: Identity,
    /// Feeds that contributed (provenance), each with the data time of its latest
    /// contribution ([`UNKNOWN_SOURCE_TIME`] in snapshots stored before times were kept,
    /// which held the names alone).
    #[serde(deserialize_with = "sources_with_times")]
    pub sources: BTreeMap<String, TimeMs>,
    /// Number of observations that updated the track.
    pub updates: u64,
    /// The join of every contributing observation's label.
    pub label: Label,
    /// Set on a ballistic missile track only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missile: Option<Box<Missile>>,
}

/// A source's time in a track stored before per-source times were kept.
pub const UNKNOWN_SOURCE_TIME: TimeMs = TimeMs::MIN;

/// `Track::sources` as written now (feed → time) or before (a list of feed names).
fn sources_with_times<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, TimeMs>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Times(BTreeMap<String, TimeMs>),
        Names(Vec<String>),
    }
    Ok(match Either::deserialize(d)? {
        Either::Times(m) => m,
        Either::Names(v) => v.into_iter().map(|n| (n, UNKNOWN_SOURCE_TIME)).collect(),
    })
}

impl Track {
    /// A track `id` at `position` at `time_ms`, under `label`: confirmed, on the surface,
    /// of unknown affiliation and no identity, not moving, with a 1 m² circular position
    /// covariance, no sources and one update. The `with_*` methods set the rest, so a
    /// fixture names only what it is about.
    pub fn new(id: u64, time_ms: TimeMs, position: Position, label: Label) -> Self {
        Track {
            id,
            time_ms,
            position,
            velocity: Velocity {
                east_mps: 0.0,
                north_mps: 0.0,
            },
            pos_cov_en: [1.0, 0.0, 1.0],
            status: TrackStatus::Confirmed,
            domain: Domain::Surface,
            affiliation: Affiliation::Unknown,
            identity: Identity::default(),
            sources: BTreeMap::new(),
            updates: 1,
            label,
            missile: None,
        }
    }

    pub fn with_velocity(mut self, velocity: Velocity) -> Self {
        self.velocity = velocity;
        self
    }

    /// With a position covariance in the local east/north frame, m² (e-e, e-n, n-n).
    pub fn with_cov(mut self, pos_cov_en: [f64; 3]) -> Self {
        self.pos_cov_en = pos_cov_en;
        self
    }

    pub fn with_status(mut self, status: TrackStatus) -> Self {
        self.status = status;
        self
    }

    pub fn with_domain(mut self, domain: Domain) -> Self {
        self.domain = domain;
        self
    }

    pub fn with_affiliation(mut self, affiliation: Affiliation) -> Self {
        self.affiliation = affiliation;
        self
    }

    pub fn with_identity(mut self, identity: Identity) -> Self {
        self.identity = identity;
        self
    }

    /// With one more contributing feed, its latest contribution at `time_ms`.
    pub fn with_source(mut self, feed: impl Into<String>, time_ms: TimeMs) -> Self {
        self.sources.insert(feed.into(), time_ms);
        self
    }

    /// With these contributing feeds (and no others).
    pub fn with_sources(mut self, sources: BTreeMap<String, TimeMs>) -> Self {
        self.sources = sources;
        self
    }

    pub fn with_updates(mut self, updates: u64) -> Self {
        self.updates = updates;
        self
    }

    pub fn with_missile(mut self, missile: Missile) -> Self {
        self.missile = Some(Box::new(missile));
        self
    }

    /// One-sigma horizontal position error (square root of the mean variance), metres.
    pub fn pos_sigma_m(&self) -> f64 {
        ((self.pos_cov_en[0] + self.pos_cov_en[2]) / 2.0)
            .max(0.0)
            .sqrt()
    }
}

/// The wire format a feed speaks.
///
/// Serialized as its name (`"ais"`, …, `"asterix"`). A format whose records are
/// relative to a sensor carries that sensor: an ASTERIX CAT048 plot is a range and
/// azimuth from one radar, meaningless without the radar's site, so the site is part
/// of the format (and a feed cannot be `asterix` without one). In a feed's
/// configuration it is the sibling key `radar` (see [`FeedConfig`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FeedFormat {
    /// NMEA 0183 AIVDM/AIVDO sentences, optionally with NMEA 4 tag blocks.
    Ais,
    /// SBS-1 BaseStation CSV (port 30003 format).
    Sbs,
    /// Cursor-on-Target XML events.
    Cot,
    /// Mode S / ADS-B in Beast binary framing (a receiver's port 30005 output).
    Beast,
    /// CoT as TAK protocol v1 protobuf in stream framing (`0xbf <varint length>`).
    Tak,
    /// EUROCONTROL ASTERIX data blocks (CAT048 monoradar target reports; other
    /// categories are skipped) from the radar at `radar`.
    Asterix { radar: RadarSite },
    /// STANAG 4607 GMTI packets: a stream of them over TCP, and with `udp` also one
    /// per datagram over UDP on the same port (opt-in: UDP sources are not
    /// connections and their addresses can be forged). Needs no site: each dwell
    /// carries its sensor's position.
    Stanag4607 { udp: bool },
    /// Missile-defence radar plots, one `plots3d` line each (range, azimuth, elevation,
    /// optional range-rate, with the site in every row). With `site`, rows from any
    /// other site (more than 1 m away) are rejected: a feed speaks for one radar.
    Plots3d { site: Option<SitePin> },
}

/// Where a `plots3d` feed's radar stands (the `site` key of its configuration).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SitePin {
    /// Antenna latitude and longitude, WGS84 degrees.
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Antenna height above the WGS84 ellipsoid, metres.
    pub alt_m: f64,
}

impl FeedFormat {
    /// The configuration name: `ais`, `sbs`, `cot`, `beast`, `tak`, `asterix`,
    /// `stanag4607`, `plots3d`.
    pub fn name(&self) -> &'static str {
        match self {
            FeedFormat::Ais => "ais",
            FeedFormat::Sbs => "sbs",
            FeedFormat::Cot => "cot",
            FeedFormat::Beast => "beast",
            FeedFormat::Tak => "tak",
            FeedFormat::Asterix { .. } => "asterix",
            FeedFormat::Stanag4607 { .. } => "stanag4607",
            FeedFormat::Plots3d { .. } => "plots3d",
        }
    }
}

impl Serialize for FeedFormat {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// A surveillance radar's site and measurement errors: the reference of its polar
/// plots (the `radar` key of an `asterix` feed).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadarSite {
    /// Antenna latitude, WGS84 degrees.
    pub lat_deg: f64,
    /// Antenna longitude, WGS84 degrees.
    pub lon_deg: f64,
    /// Antenna height above the WGS84 ellipsoid, metres.
    pub alt_m: f64,
    /// One-sigma slant-range error, metres.
    pub sigma_range_m: f64,
    /// One-sigma azimuth error, degrees.
    pub sigma_azimuth_deg: f64,
    /// The radar's ASTERIX data source identifier (I048/010 SAC and SIC), both or
    /// neither. When given, reports from any other source are rejected: their
    /// ranges and azimuths are from another site.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sac: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sic: Option<u8>,
}

impl RadarSite {
    /// Checks the values, naming the first bad one: a valid position, an altitude
    /// within -1,000..10,000 m, a range sigma in (0, 10,000] m, an azimuth sigma in
    /// (0, 10] degrees (larger ones are unit mistakes: kilometres, radians × 1000),
    /// and SAC with SIC.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !Position::new(self.lat_deg, self.lon_deg).is_valid() {
            return Err(ConfigError::new(
                if (-90.0..=90.0).contains(&self.lat_deg) {
                    "lon_deg"
                } else {
                    "lat_deg"
                },
                format!(
                    "lat_deg/lon_deg ({}, {}) is not a WGS84 position",
                    self.lat_deg, self.lon_deg
                ),
            ));
        }
        if !(self.alt_m.is_finite() && (-1_000.0..=10_000.0).contains(&self.alt_m)) {
            return Err(ConfigError::new(
                "alt_m",
                format!(
                    "alt_m {} is not between -1000 and 10000 (metres above the ellipsoid)",
                    self.alt_m
                ),
            ));
        }
        if !(self.sigma_range_m > 0.0 && self.sigma_range_m <= 10_000.0) {
            return Err(ConfigError::new(
                "sigma_range_m",
                format!(
                    "sigma_range_m {} is not in (0, 10000] metres",
                    self.sigma_range_m
                ),
            ));
        }
        if !(self.sigma_azimuth_deg > 0.0 && self.sigma_azimuth_deg <= 10.0) {
            return Err(ConfigError::new(
                "sigma_azimuth_deg",
                format!(
                    "sigma_azimuth_deg {} is not in (0, 10] degrees",
                    self.sigma_azimuth_deg
                ),
            ));
        }
        if self.sac.is_some() != self.sic.is_some() {
            return Err(ConfigError::new(
                if self.sac.is_some() { "sic" } else { "sac" },
                "sac and sic go together: give both or neither",
            ));
        }
        Ok(())
    }

    /// The antenna as a position (with its altitude).
    pub fn position(&self) -> Position {
        Position {
            lat_deg: self.lat_deg,
            lon_deg: self.lon_deg,
            alt_m: Some(self.alt_m),
        }
    }
}

/// An ingest feed's configuration.
///
/// In JSON the format is a name and an `asterix` feed's radar site the sibling key
/// `radar`, required for `asterix` and refused for every other format (checked, with
/// the site's values, when the configuration is read).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "FeedConfigRepr", into = "FeedConfigRepr")]
pub struct FeedConfig {
    pub name: String,
    pub format: FeedFormat,
    /// The nation that operates the feed.
    pub nation: Nation,
    /// Label for every record unless the record carries its own and the feed is trusted.
    pub default_label: Label,
    /// Whether wire markings (CoT `access`, `caveat`, `releasableTo`) are honoured.
    pub trusted_markings: bool,
    /// For CoT feeds: whether events are sensor plots (radar, GMTI dots, each with a
    /// fresh uid) or tracks from another tracker (stable uid). Ignored for AIS and SBS,
    /// which are always self-reports.
    pub cot_kind: ObservationKind,
    /// Human description (sensor, platform).
    pub description: String,
    /// What the feed's edge refuses: records above a classification, senders outside
    /// an address list.
    pub limits: FeedLimits,
}

/// Refusals at a feed's edge, beside its label (the floor of what it carries).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeedLimits {
    /// The highest classification a record of the feed may carry: a record whose label
    /// (the feed's joined with a trusted wire marking) is above it is refused. A
    /// feed cannot inject into pictures above what it is accredited for, whatever its
    /// wire says. `None`: no ceiling.
    pub max_classification: Option<Classification>,
    /// The addresses the feed's listeners take TCP connections and UDP datagrams from;
    /// empty: any. Required for a feed with UDP, whose source addresses are not
    /// authenticated by a handshake.
    pub sources: Vec<SourceNet>,
}

impl FeedLimits {
    /// Whether the feed takes input from `ip`.
    pub fn allows_source(&self, ip: std::net::IpAddr) -> bool {
        self.sources.is_empty() || self.sources.iter().any(|n| n.contains(ip))
    }

    /// Whether a record labelled `level` is above the feed's ceiling.
    pub fn above_ceiling(&self, level: Classification) -> bool {
        self.max_classification.is_some_and(|m| level > m)
    }
}

/// An address or a network (`10.0.0.7`, `10.0.0.0/24`, `fd00::/8`): CIDR notation, host
/// bits zero. An IPv4 address received as IPv4-mapped IPv6 (a dual-stack socket) is
/// matched as IPv4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceNet {
    addr: std::net::IpAddr,
    prefix: u8,
}

impl SourceNet {
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(a) & mask == u32::from(n)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(a) & mask == u128::from(n)
            }
            _ => false,
        }
    }
}

/// Why a [`SourceNet`] does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceNetError {
    NotAnAddress(String),
    BadPrefix {
        text: String,
        max: u8,
    },
    /// Bits beyond the prefix set: likely a typo for a network (`10.0.0.1/8`).
    HostBits {
        text: String,
        prefix: u8,
    },
}

impl std::fmt::Display for SourceNetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceNetError::NotAnAddress(t) => write!(f, "{t:?} is no IP address or CIDR network"),
            SourceNetError::BadPrefix { text, max } => {
                write!(f, "{text:?}: prefix length is not 0..={max}")
            }
            SourceNetError::HostBits { text, prefix } => write!(
                f,
                "{text:?}: address bits beyond the /{prefix} prefix are set (a typo for a network?)"
            ),
        }
    }
}

impl std::error::Error for SourceNetError {}

impl std::str::FromStr for SourceNet {
    type Err = SourceNetError;
    fn from_str(s: &str) -> Result<Self, SourceNetError> {
        use std::net::IpAddr;
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a
            .parse()
            .map_err(|_| SourceNetError::NotAnAddress(s.to_string()))?;
        let addr = addr.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|&n| n <= max).ok_or_else(|| {
                SourceNetError::BadPrefix {
                    text: s.to_string(),
                    max,
                }
            })?,
        };
        let net = SourceNet { addr, prefix };
        if !net.contains(addr) {
            return Err(SourceNetError::HostBits {
                text: s.to_string(),
                prefix,
            });
        }
        Ok(net)
    }
}

impl std::fmt::Display for SourceNet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let max = if self.addr.is_ipv4() { 32 } else { 128 };
        if self.prefix == max {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

impl Serialize for SourceNet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SourceNet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// [`FeedConfig`] as written in JSON: the format by name, the radar site beside it.
#[derive(Serialize, Deserialize)]
struct FeedConfigRepr {
    name: String,
    format: FormatName,
    nation: Nation,
    default_label: Label,
    #[serde(default)]
    trusted_markings: bool,
    #[serde(default = "default_cot_kind")]
    cot_kind: ObservationKind,
    #[serde(default)]
    description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    radar: Option<RadarSite>,
    /// `stanag4607` only: also receive datagrams on the feed's port.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    udp: bool,
    /// `plots3d` only: the radar's site every row must name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    site: Option<SitePin>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_classification: Option<Classification>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    sources: Vec<SourceNet>,
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum FormatName {
    Ais,
    Sbs,
    Cot,
    Beast,
    Tak,
    Asterix,
    Stanag4607,
    Plots3d,
}

impl TryFrom<FeedConfigRepr> for FeedConfig {
    type Error = ConfigError;
    fn try_from(r: FeedConfigRepr) -> Result<Self, ConfigError> {
        let err = |key, message: String| {
            ConfigError::new(key, message).within(format!("feed {:?}", r.name))
        };
        match (r.format, r.site) {
            (FormatName::Plots3d, Some(s))
                if !(Position::new(s.lat_deg, s.lon_deg).is_valid() && s.alt_m.is_finite()) =>
            {
                return Err(err("site", "site is not a WGS84 position".into()));
            }
            (FormatName::Plots3d, Some(_)) => {}
            (_, Some(_)) => {
                return Err(err("site", "`site` is only for format \"plots3d\"".into()))
            }
            _ => {}
        }
        let format = match (r.format, r.radar) {
            (FormatName::Asterix, Some(radar)) => {
                radar
                    .validate()
                    .map_err(|e| e.within("radar").within(format!("feed {:?}", r.name)))?;
                FeedFormat::Asterix { radar }
            }
            (FormatName::Asterix, None) => {
                return Err(err(
                    "radar",
                    "format \"asterix\" needs `radar`, the radar's site \
                     {lat_deg, lon_deg, alt_m, sigma_range_m, sigma_azimuth_deg}"
                        .into(),
                ))
            }
            (_, Some(_)) => {
                return Err(err(
                    "radar",
                    "`radar` is only for format \"asterix\"".into(),
                ))
            }
            (FormatName::Stanag4607, None) => FeedFormat::Stanag4607 { udp: r.udp },
            _ if r.udp => return Err(err("udp", "`udp` is only for format \"stanag4607\"".into())),
            (FormatName::Ais, None) => FeedFormat::Ais,
            (FormatName::Sbs, None) => FeedFormat::Sbs,
            (FormatName::Cot, None) => FeedFormat::Cot,
            (FormatName::Beast, None) => FeedFormat::Beast,
            (FormatName::Tak, None) => FeedFormat::Tak,
            (FormatName::Plots3d, None) => FeedFormat::Plots3d { site: r.site },
        };
        if r.udp && r.sources.is_empty() {
            return Err(err(
                "sources",
                "`udp` needs `sources`, the addresses datagrams may come from \
                 (a datagram's source address is not authenticated; `[\"0.0.0.0/0\"]` takes any)"
                    .into(),
            ));
        }
        let level = r.default_label.classification();
        if let Some(max) = r.max_classification.filter(|m| level > *m) {
            return Err(err(
                "default_label",
                format!(
                    "default_label is {}, above max_classification {}",
                    level.as_str(),
                    max.as_str()
                ),
            ));
        }
        Ok(FeedConfig {
            name: r.name,
            format,
            nation: r.nation,
            default_label: r.default_label,
            trusted_markings: r.trusted_markings,
            cot_kind: r.cot_kind,
            description: r.description,
            limits: FeedLimits {
                max_classification: r.max_classification,
                sources: r.sources,
            },
        })
    }
}

impl From<FeedConfig> for FeedConfigRepr {
    fn from(c: FeedConfig) -> Self {
        let udp = matches!(c.format, FeedFormat::Stanag4607 { udp: true });
        let site = match c.format {
            FeedFormat::Plots3d { site } => site,
            _ => None,
        };
        let (format, radar) = match c.format {
            FeedFormat::Ais => (FormatName::Ais, None),
            FeedFormat::Sbs => (FormatName::Sbs, None),
            FeedFormat::Cot => (FormatName::Cot, None),
            FeedFormat::Beast => (FormatName::Beast, None),
            FeedFormat::Tak => (FormatName::Tak, None),
            FeedFormat::Asterix { radar } => (FormatName::Asterix, Some(radar)),
            FeedFormat::Stanag4607 { .. } => (FormatName::Stanag4607, None),
            FeedFormat::Plots3d { .. } => (FormatName::Plots3d, None),
        };
        FeedConfigRepr {
            name: c.name,
            format,
            nation: c.nation,
            default_label: c.default_label,
            trusted_markings: c.trusted_markings,
            cot_kind: c.cot_kind,
            description: c.description,
            radar,
            udp,
            site,
            max_classification: c.limits.max_classification,
            sources: c.limits.sources,
        }
    }
}

fn default_cot_kind() -> ObservationKind {
    ObservationKind::Track
}

/// An alert raised by analytics.
///
/// A one-shot alert (a zone entry) has state [`AlertState::Event`]. A behaviour or warning
/// that lasts is an *episode*: an `open` alert, any number of `update`s and a `close`, all
/// with the same `episode` key, so consumers can show one line per episode and deduplicate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub time_ms: TimeMs,
    /// The rule that raised it (`zone-entry`, `encounter`, `missile-warning`, ...), without
    /// the state.
    pub kind: String,
    pub zone: String,
    /// The primary track (the first of `tracks` when there are several).
    pub track_id: u64,
    pub position: Position,
    pub message: String,
    /// The join of every label it was derived from (tracks, zone).
    pub label: Label,
    #[serde(default)]
    pub state: AlertState,
    /// Shared by every alert of one episode; empty for a one-shot event.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub episode: String,
    /// Every track it derives from, primary first (empty: only `track_id`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tracks: Vec<u64>,
    /// Rule-specific figures by name (a warning's probability, a predicted impact time in
    /// Unix ms, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub detail: BTreeMap<String, f64>,
}

impl Alert {
    /// The alert's identity as the API, the audit log and acknowledgements name it:
    /// `kind/zone/track/time`, and `/state` for an episode's alerts (an episode's open
    /// and close may fall in one millisecond).
    pub fn id(&self) -> String {
        let mut id = format!(
            "{}/{}/{}/{}",
            self.kind,
            self.zone,
            TrackId(self.track_id),
            self.time_ms
        );
        if self.state != AlertState::Event {
            id.push('/');
            id.push_str(self.state.as_str());
        }
        id
    }

    /// A one-shot alert about one track; the other fields are set by the rule as needed.
    pub fn event(
        time_ms: TimeMs,
        kind: impl Into<String>,
        track_id: u64,
        position: Position,
        message: impl Into<String>,
        label: Label,
    ) -> Alert {
        Alert {
            time_ms,
            kind: kind.into(),
            zone: String::new(),
            track_id,
            position,
            message: message.into(),
            label,
            state: AlertState::Event,
            episode: String::new(),
            tracks: Vec::new(),
            detail: BTreeMap::new(),
        }
    }
}

/// Where an alert stands in its episode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// A one-shot alert (no episode).
    #[default]
    Event,
    Open,
    Update,
    Close,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Event => "event",
            AlertState::Open => "open",
            AlertState::Update => "update",
            AlertState::Close => "close",
        }
    }
}

/// The ballistic part of a missile track (a track of the tracker's 3-D ballistic model):
/// its phase, height and the predictions a warning is made from. Absent on every other track.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Missile {
    pub phase: FlightPhase,
    /// Height above the WGS84 ellipsoid, m.
    pub alt_m: f64,
    /// Speed in the Earth-fixed frame and its vertical component (up positive), m/s.
    pub speed_mps: f64,
    pub climb_mps: f64,
    /// The predicted impact point (after burnout), with its 95 % ellipse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipp: Option<ImpactPrediction>,
    /// The estimated launch point and time (after burnout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch: Option<LaunchEstimate>,
    /// The predicted path from now to impact, `[lon, lat, alt_m]` (empty before burnout).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trajectory: Vec<[f64; 3]>,
}

/// A predicted impact point on the ellipsoid (height 0) with its 95 % error ellipse.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImpactPrediction {
    pub lat: f64,
    pub lon: f64,
    pub t_ms: TimeMs,
    pub semi_major_m: f64,
    pub semi_minor_m: f64,
    /// Bearing of the major axis, degrees clockwise from true north.
    pub major_bearing_deg: f64,
}

/// An estimated launch point and time.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaunchEstimate {
    pub lat: f64,
    pub lon: f64,
    pub t_ms: TimeMs,
}

#[cfg(test)]
mod tests {
    #[test]
    fn track_id_renders_and_parses() {
        use super::TrackId;
        assert_eq!(TrackId(42).to_string(), "T000042");
        assert_eq!(TrackId(12_345_678).to_string(), "T12345678");
        assert_eq!(TrackId::parse("T000042"), Some(TrackId(42)));
        for bad in ["", "T", "000042", "t000042", "T-1", "T1x", "TT1"] {
            assert_eq!(TrackId::parse(bad), None, "{bad}");
        }
    }

    use super::*;

    fn plot() -> Observation {
        Observation {
            time_ms: 1_700_000_000_123,
            position: Position::new(26.5, 127.25),
            pos_sigma_m: 35.5,
            velocity: None,
            vel_sigma_mps: None,
            identity: Identity::default(),
            domain: Domain::Surface,
            affiliation: None,
            kind: ObservationKind::Plot,
            feed: "radar".into(),
            sensor: "r1".into(),
            label: Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]),
            polar: None,
        }
    }

    /// An observation without a sensor-space measurement encodes exactly as before
    /// the field existed (no `polar` key), and the old encoding still decodes.
    #[test]
    fn observation_without_polar_encodes_as_before() {
        let o = plot();
        let json = serde_json::to_string(&o).unwrap();
        assert!(!json.contains("polar"), "{json}");
        let back: Observation = serde_json::from_str(&json).unwrap();
        assert_eq!(back, o);
    }

    #[test]
    fn polar_measurement_round_trips() {
        let mut o = plot();
        o.polar = Some(Box::new(PolarMeasurement {
            sensor_position: Position {
                lat_deg: 25.75,
                lon_deg: 126.1,
                alt_m: Some(8_000.0),
            },
            sensor_velocity: Some(Velocity {
                east_mps: 120.5,
                north_mps: -3.25,
            }),
            range_m: 101_234.567_8,
            range_sigma_m: 15.0,
            azimuth_rad: 0.1234567890123,
            azimuth_sigma_rad: 0.004,
            range_rate_mps: Some(-7.125),
            range_rate_sigma_mps: Some(0.5),
            ground_fix: true,
            elevation: None,
        }));
        assert!(o.polar.as_ref().unwrap().is_valid());
        let json = serde_json::to_string(&o).unwrap();
        let back: Observation = serde_json::from_str(&json).unwrap();
        assert_eq!(back, o);
        // Optional parts are left out when absent and default when missing.
        let mut p = **o.polar.as_ref().unwrap();
        p.sensor_velocity = None;
        p.range_rate_mps = None;
        p.range_rate_sigma_mps = None;
        p.ground_fix = false;
        let json = serde_json::to_string(&p).unwrap();
        for key in ["sensor_velocity", "range_rate", "ground_fix"] {
            assert!(!json.contains(key), "{key} in {json}");
        }
        assert_eq!(serde_json::from_str::<PolarMeasurement>(&json).unwrap(), p);
        assert!(p.is_valid());
    }

    fn feed_json(extra: &str) -> String {
        format!(
            r#"{{"name": "miyako-radar", "nation": "JPN",
                "default_label": {{"classification": "SECRET", "owner": ["JPN"], "rel_to": ["JPN", "USA"]}}{extra}}}"#
        )
    }

    const RADAR: &str = r#""radar": {"lat_deg": 24.78, "lon_deg": 125.3, "alt_m": 95.0,
        "sigma_range_m": 60.0, "sigma_azimuth_deg": 0.12, "sac": 25, "sic": 10}"#;

    /// An `asterix` feed carries its radar site; the JSON keeps the format a name with
    /// the site beside it, and reads back to the same configuration.
    #[test]
    fn asterix_feed_config_round_trips() {
        let cfg: FeedConfig =
            serde_json::from_str(&feed_json(&format!(r#", "format": "asterix", {RADAR}"#)))
                .unwrap();
        let FeedFormat::Asterix { radar } = cfg.format else {
            panic!("{:?}", cfg.format)
        };
        assert_eq!(
            (radar.lat_deg, radar.alt_m, radar.sic),
            (24.78, 95.0, Some(10))
        );
        assert_eq!(cfg.format.name(), "asterix");
        assert_eq!(cfg.cot_kind, ObservationKind::Track);
        let json = serde_json::to_value(&cfg).unwrap();
        assert_eq!(json["format"], "asterix");
        assert_eq!(json["radar"]["sigma_azimuth_deg"], 0.12);
        assert_eq!(serde_json::from_value::<FeedConfig>(json).unwrap(), cfg);
        // Other formats: a name and no radar key, as before.
        let ais: FeedConfig = serde_json::from_str(&feed_json(r#", "format": "ais""#)).unwrap();
        assert_eq!(ais.format, FeedFormat::Ais);
        let json = serde_json::to_string(&ais).unwrap();
        assert!(
            json.contains(r#""format":"ais""#) && !json.contains(r#""radar""#),
            "{json}"
        );
        assert_eq!(serde_json::to_string(&FeedFormat::Tak).unwrap(), r#""tak""#);
        let gmti: FeedConfig =
            serde_json::from_str(&feed_json(r#", "format": "stanag4607""#)).unwrap();
        assert_eq!(gmti.format, FeedFormat::Stanag4607 { udp: false });
        assert_eq!(gmti.format.name(), "stanag4607");
        assert_eq!(serde_json::to_value(&gmti).unwrap()["format"], "stanag4607");
        // UDP only when asked for, and only for STANAG 4607.
        let udp: FeedConfig = serde_json::from_str(&feed_json(
            r#", "format": "stanag4607", "udp": true, "sources": ["10.0.0.7"]"#,
        ))
        .unwrap();
        assert_eq!(udp.format, FeedFormat::Stanag4607 { udp: true });
        assert_eq!(serde_json::to_value(&udp).unwrap()["udp"], true);
        assert!(serde_json::from_str::<FeedConfig>(&feed_json(
            r#", "format": "ais", "udp": true"#
        ))
        .is_err());
    }

    /// `sources` parses addresses and networks (host bits clear), matches IPv4-mapped
    /// addresses as IPv4, is required with `udp`, and round-trips; `max_classification`
    /// may not be below the feed's own label.
    #[test]
    fn feed_limits_parse_match_and_are_checked_at_load() {
        use std::net::IpAddr;
        let net = |s: &str| s.parse::<SourceNet>();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let n = net("10.1.0.0/16").unwrap();
        assert!(n.contains(ip("10.1.200.3")) && !n.contains(ip("10.2.0.1")));
        assert!(n.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped");
        assert!(!n.contains(ip("fd00::1")));
        assert!(net("10.0.0.7").unwrap().contains(ip("10.0.0.7")));
        assert!(!net("10.0.0.7").unwrap().contains(ip("10.0.0.8")));
        assert!(net("0.0.0.0/0").unwrap().contains(ip("192.0.2.1")));
        assert!(net("fd00::/8").unwrap().contains(ip("fd12::1")));
        assert_eq!(net("fd00::/8").unwrap().to_string(), "fd00::/8");
        assert_eq!(net("10.0.0.7").unwrap().to_string(), "10.0.0.7");
        assert!(matches!(
            net("10.0.0.1/8"),
            Err(SourceNetError::HostBits { prefix: 8, .. })
        ));
        assert!(matches!(
            net("10.0.0.0/33"),
            Err(SourceNetError::BadPrefix { max: 32, .. })
        ));
        assert!(matches!(
            net("radar-7"),
            Err(SourceNetError::NotAnAddress(_))
        ));

        let cfg = |extra: &str| serde_json::from_str::<FeedConfig>(&feed_json(extra));
        let e = cfg(r#", "format": "stanag4607", "udp": true"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`udp` needs `sources`"), "{e}");
        let e = cfg(r#", "format": "ais", "sources": ["10.0.0.1/8"]"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("prefix are set"), "{e}");
        let e = cfg(r#", "format": "ais", "max_classification": "CONFIDENTIAL""#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("default_label is SECRET, above max_classification CONFIDENTIAL"),
            "{e}"
        );
        let c =
            cfg(r#", "format": "cot", "max_classification": "SECRET", "sources": ["10.0.0.0/8"]"#)
                .unwrap();
        assert_eq!(c.limits.max_classification, Some(Classification::Secret));
        assert!(c.limits.above_ceiling(Classification::TopSecret));
        assert!(!c.limits.above_ceiling(Classification::Secret));
        assert!(c.limits.allows_source(ip("10.9.9.9")) && !c.limits.allows_source(ip("11.0.0.1")));
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["sources"], serde_json::json!(["10.0.0.0/8"]));
        assert_eq!(serde_json::from_value::<FeedConfig>(json).unwrap(), c);
        // No limits: any source, no ceiling, and no keys written.
        let open = cfg(r#", "format": "ais""#).unwrap();
        assert!(open.limits.allows_source(ip("192.0.2.1")));
        assert!(!open.limits.above_ceiling(Classification::TopSecret));
        let json = serde_json::to_string(&open).unwrap();
        assert!(
            !json.contains("sources") && !json.contains("max_classification"),
            "{json}"
        );
    }

    /// A missing, misplaced or invalid radar site is refused when the configuration is
    /// read, with a message that names the feed and the problem.
    #[test]
    fn radar_site_is_checked_at_load() {
        let err = |extra: &str| {
            serde_json::from_str::<FeedConfig>(&feed_json(extra))
                .unwrap_err()
                .to_string()
        };
        let e = err(r#", "format": "asterix""#);
        assert!(
            e.contains("miyako-radar") && e.contains("needs `radar`"),
            "{e}"
        );
        let e = err(&format!(r#", "format": "cot", {RADAR}"#));
        assert!(e.contains("only for format \"asterix\""), "{e}");
        for (bad, what) in [
            ("\"lat_deg\": 24.78", "\"lat_deg\": 124.78"),
            ("\"sigma_range_m\": 60.0", "\"sigma_range_m\": 0"),
            ("\"sigma_azimuth_deg\": 0.12", "\"sigma_azimuth_deg\": 120"),
            ("\"alt_m\": 95.0", "\"alt_m\": 95000"),
            (", \"sic\": 10", ""),
        ] {
            let site = RADAR.replace(bad, what);
            let e = err(&format!(r#", "format": "asterix", {site}"#));
            assert!(e.contains("feed \"miyako-radar\": radar: "), "{what}: {e}");
        }
        let site = RADAR.replace("\"sac\"", "\"sensor\": 1, \"sac\"");
        let e = err(&format!(r#", "format": "asterix", {site}"#));
        assert!(e.contains("unknown field `sensor`"), "{e}");
        let e = err(r#", "format": "asterisk""#);
        assert!(e.contains("unknown variant `asterisk`"), "{e}");
    }

    #[test]
    fn polar_validity() {
        let ok = PolarMeasurement {
            sensor_position: Position::new(26.0, 127.0),
            sensor_velocity: None,
            range_m: 50_000.0,
            range_sigma_m: 10.0,
            azimuth_rad: 1.0,
            azimuth_sigma_rad: 0.003,
            range_rate_mps: None,
            range_rate_sigma_mps: None,
            ground_fix: false,
            elevation: None,
        };
        assert!(ok.is_valid());
        let with_el = PolarMeasurement {
            elevation: Some(Elevation {
                rad: 0.3,
                sigma_rad: 1e-3,
            }),
            ..ok
        };
        assert!(with_el.is_valid());
        // Encoded only when present, and round-trips.
        let json = serde_json::to_string(&with_el).unwrap();
        assert!(json.contains("\"elevation\""), "{json}");
        assert!(!serde_json::to_string(&ok).unwrap().contains("elevation"));
        assert_eq!(
            serde_json::from_str::<PolarMeasurement>(&json).unwrap(),
            with_el
        );
        let bad = [
            PolarMeasurement {
                range_m: -1.0,
                ..ok
            },
            PolarMeasurement {
                azimuth_sigma_rad: 0.0,
                ..ok
            },
            PolarMeasurement {
                azimuth_rad: f64::NAN,
                ..ok
            },
            PolarMeasurement {
                range_rate_mps: Some(3.0),
                ..ok
            },
            PolarMeasurement {
                ground_fix: true,
                ..ok
            },
            PolarMeasurement {
                sensor_position: Position::new(91.0, 0.0),
                ..ok
            },
            PolarMeasurement {
                elevation: Some(Elevation {
                    rad: 1.6,
                    sigma_rad: 1e-3,
                }),
                ..ok
            },
            PolarMeasurement {
                elevation: Some(Elevation {
                    rad: 0.2,
                    sigma_rad: 0.0,
                }),
                ..ok
            },
        ];
        for b in bad {
            assert!(!b.is_valid(), "{b:?}");
        }
    }

    #[test]
    fn a_track_built_is_the_track_written_out() {
        use super::*;
        let label = Label::rel_to(Classification::Secret, Nation::JPN, &[Nation::USA]);
        let missile = Missile {
            phase: FlightPhase::Boost,
            alt_m: 12_000.0,
            speed_mps: 900.0,
            climb_mps: 400.0,
            ipp: None,
            launch: None,
            trajectory: Vec::new(),
        };
        let identity = Identity {
            mmsi: Some(431_000_001),
            ..Identity::default()
        };
        let p = Position::new(24.5, 124.0);
        let plain = Track::new(7, 1_000, p, label.clone());
        assert_eq!(
            plain,
            Track {
                id: 7,
                time_ms: 1_000,
                position: p,
                velocity: Velocity {
                    east_mps: 0.0,
                    north_mps: 0.0
                },
                pos_cov_en: [1.0, 0.0, 1.0],
                status: TrackStatus::Confirmed,
                domain: Domain::Surface,
                affiliation: Affiliation::Unknown,
                identity: Identity::default(),
                sources: BTreeMap::new(),
                updates: 1,
                label: label.clone(),
                missile: None,
            }
        );
        let v = Velocity::from_sog_cog(5.0, 90.0);
        let built = plain
            .with_velocity(v)
            .with_cov([400.0, 3.0, 100.0])
            .with_status(TrackStatus::Coasting)
            .with_domain(Domain::Air)
            .with_affiliation(Affiliation::Hostile)
            .with_identity(identity.clone())
            .with_source("ais", 5)
            .with_source("radar", 6)
            .with_updates(12)
            .with_missile(missile.clone());
        assert_eq!(
            built,
            Track {
                id: 7,
                time_ms: 1_000,
                position: p,
                velocity: v,
                pos_cov_en: [400.0, 3.0, 100.0],
                status: TrackStatus::Coasting,
                domain: Domain::Air,
                affiliation: Affiliation::Hostile,
                identity,
                sources: [("ais".to_string(), 5), ("radar".to_string(), 6)].into(),
                updates: 12,
                label,
                missile: Some(Box::new(missile)),
            }
        );
        // `with_sources` replaces what `with_source` added.
        let only = built.with_sources([("cot".to_string(), 9)].into());
        assert_eq!(only.sources, [("cot".to_string(), 9)].into());
    }

    #[test]
    fn a_track_stored_with_source_names_alone_still_reads() {
        use super::*;
        let t = Track::new(
            1,
            5,
            Position::new(1.0, 2.0),
            Label::unclassified_public(Nation::JPN),
        )
        .with_domain(Domain::default())
        .with_source("ais", 5);
        let now = serde_json::to_value(&t).unwrap();
        assert_eq!(now["sources"], serde_json::json!({"ais": 5}));
        assert_eq!(serde_json::from_value::<Track>(now).unwrap(), t);
        let mut before = serde_json::to_value(&t).unwrap();
        before["sources"] = serde_json::json!(["ais", "radar"]);
        let read: Track = serde_json::from_value(before).unwrap();
        assert_eq!(
            read.sources,
            [
                ("ais".to_string(), UNKNOWN_SOURCE_TIME),
                ("radar".to_string(), UNKNOWN_SOURCE_TIME)
            ]
            .into()
        );
    }
}
