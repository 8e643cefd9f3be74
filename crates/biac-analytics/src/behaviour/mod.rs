//! Gray-zone behaviour rules on per-MMSI position reports: AIS gap, encounter, loitering,
//! spoofing (position jumps) and zone entry, with Global Fishing Watch's published
//! definitions as default thresholds ([`Thresholds`]).
//!
//! Invariants: pure — no I/O, no clock (time comes only from the fixes), no randomness;
//! shore and port distances come from the caller through [`Geography`]. Each rule is a
//! state machine fed one [`Fix`] at a time, in time order per MMSI, that reports
//! [`Change::Opened`] when an event first qualifies and [`Change::Closed`] when it ends:
//! the offline command (`biac events`) prints the closed ones and, at the end of the
//! input, those still open; a live form feeds the same engine one audience's tracks.

mod area;
mod encounter;
mod engine;
mod live;
mod nmea;
mod picture;
mod ports;
mod vessel;

pub(crate) use area::ring_contains;
pub use area::{parse_zones_geojson, Area, SkippedFeature, Zones, ZonesError};
pub(crate) use encounter::Encounters;
pub use engine::Engine;
pub use live::{vessel_class, BehaviourWatch};
pub use nmea::{EventsRun, Malformed};
pub use picture::{FeedTimes, LiveRules, LiveThresholds};
pub use ports::{PortList, PortsError};
pub use vessel::VesselRules;

use biac_geo::{KNOT, NM, WGS84_A, WGS84_E2};
use serde_json::{Map, Number, Value};

/// The rules' hash maps (keys: MMSI, track id, grid cell): foldhash with a random seed
/// per map, so transmitted MMSIs cannot be chosen to collide, at a fraction of SipHash's
/// cost on the 1 Hz path. Nothing depends on their iteration order.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// A threshold no rule can work with (negative, NaN, infinite), by its name: the
/// `behaviour` configuration key (`biac events`' flag is the same with hyphens).
#[derive(Clone, Debug, PartialEq)]
pub struct ThresholdError {
    pub name: &'static str,
    pub value: f64,
}

impl std::fmt::Display for ThresholdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} must be a finite number >= 0, not {}",
            self.name, self.value
        )
    }
}

impl std::error::Error for ThresholdError {}

/// The first of `all` that is not a finite number ≥ 0.
pub(crate) fn check(all: &[(&'static str, f64)]) -> Result<(), ThresholdError> {
    match all.iter().find(|(_, v)| !(v.is_finite() && *v >= 0.0)) {
        Some(&(name, value)) => Err(ThresholdError { name, value }),
        None => Ok(()),
    }
}

/// Milliseconds since the Unix epoch.
pub type Ms = i64;

/// One position report of one MMSI.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fix {
    pub mmsi: u32,
    pub t_ms: Ms,
    pub lat: f64,
    pub lon: f64,
    /// Speed over ground as reported, knots; `None` when not available.
    pub sog_kn: Option<f64>,
}

/// Every threshold of every rule; defaults from Global Fishing Watch's definitions.
#[derive(Clone, Debug, PartialEq)]
pub struct Thresholds {
    /// Gap: no position for at least this long…
    pub gap_min_h: f64,
    /// …with both ends at least this far from shore.
    pub gap_shore_nm: f64,
    /// Encounter: two vessels at most this far apart…
    pub encounter_max_m: f64,
    /// …for at least this long…
    pub encounter_min_h: f64,
    /// …at a median speed below this…
    pub encounter_max_kn: f64,
    /// …at least this far from a port or anchorage.
    pub encounter_port_km: f64,
    /// Loitering: speed over ground below this…
    pub loiter_max_kn: f64,
    /// …for at least this long…
    pub loiter_min_h: f64,
    /// …with no silence longer than this inside the run…
    pub loiter_max_silence_h: f64,
    /// …at least this far from shore.
    pub loiter_shore_nm: f64,
    /// Spoofing: consecutive reports implying more than this speed…
    pub spoof_kn: f64,
    /// …beyond this much position noise…
    pub spoof_noise_m: f64,
    /// …and an episode ends after this long of consistent reports.
    pub spoof_episode_gap_h: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            gap_min_h: 12.0,
            gap_shore_nm: 50.0,
            encounter_max_m: 500.0,
            encounter_min_h: 2.0,
            encounter_max_kn: 2.0,
            encounter_port_km: 10.0,
            loiter_max_kn: 2.0,
            loiter_min_h: 4.0,
            loiter_max_silence_h: 1.0,
            loiter_shore_nm: 20.0,
            spoof_kn: 25.0,
            spoof_noise_m: 1_000.0,
            spoof_episode_gap_h: 1.0,
        }
    }
}

impl Thresholds {
    /// Reject values no rule can work with (negative, NaN).
    pub fn validate(&self) -> Result<(), ThresholdError> {
        check(&[
            ("gap_min_h", self.gap_min_h),
            ("gap_shore_nm", self.gap_shore_nm),
            ("encounter_max_m", self.encounter_max_m),
            ("encounter_min_h", self.encounter_min_h),
            ("encounter_max_kn", self.encounter_max_kn),
            ("encounter_port_km", self.encounter_port_km),
            ("loiter_max_kn", self.loiter_max_kn),
            ("loiter_min_h", self.loiter_min_h),
            ("loiter_max_silence_h", self.loiter_max_silence_h),
            ("loiter_shore_nm", self.loiter_shore_nm),
            ("spoof_kn", self.spoof_kn),
            ("spoof_noise_m", self.spoof_noise_m),
            ("spoof_episode_gap_h", self.spoof_episode_gap_h),
        ])
    }

    pub(crate) fn gap_min_ms(&self) -> f64 {
        self.gap_min_h * 3.6e6
    }
    pub(crate) fn gap_shore_m(&self) -> f64 {
        self.gap_shore_nm * NM
    }
    pub(crate) fn loiter_shore_m(&self) -> f64 {
        self.loiter_shore_nm * NM
    }
    pub(crate) fn spoof_mps(&self) -> f64 {
        self.spoof_kn * KNOT
    }
}

/// Distances the rules need from the world outside the reports.
pub trait Geography {
    /// Metres to the nearest land.
    fn distance_to_shore_m(&self, lat: f64, lon: f64) -> f64;
    /// Metres to the nearest port or anchorage.
    fn distance_to_port_m(&self, lat: f64, lon: f64) -> f64;
}

/// One geography shared by the live form's two engines.
impl<G: Geography + ?Sized> Geography for std::sync::Arc<G> {
    fn distance_to_shore_m(&self, lat: f64, lon: f64) -> f64 {
        (**self).distance_to_shore_m(lat, lon)
    }
    fn distance_to_port_m(&self, lat: f64, lon: f64) -> f64 {
        (**self).distance_to_port_m(lat, lon)
    }
}

/// A [`Geography`] from two closures (tests, and the command before a coastline is wired).
pub struct FnGeography<S, P> {
    pub shore: S,
    pub port: P,
}

impl<S: Fn(f64, f64) -> f64, P: Fn(f64, f64) -> f64> Geography for FnGeography<S, P> {
    fn distance_to_shore_m(&self, lat: f64, lon: f64) -> f64 {
        (self.shore)(lat, lon)
    }
    fn distance_to_port_m(&self, lat: f64, lon: f64) -> f64 {
        (self.port)(lat, lon)
    }
}

/// The theatre as `biac events` sees it: shore distance from biac-zones' embedded
/// coastline (Natural Earth 10 m plus configured islands), ports from [`PortList::theatre`].
pub fn theatre_geography() -> impl Geography {
    let coast = biac_zones::ZoneSet::theatre();
    let ports = PortList::theatre();
    FnGeography {
        shore: move |lat: f64, lon: f64| coast.distance_to_shore_m(lat, lon),
        port: move |lat: f64, lon: f64| ports.distance_m(lat, lon),
    }
}

/// A distance from a position (lat, lon).
pub type DistanceFn = fn(f64, f64) -> f64;

/// Open sea everywhere: no shore, no port.
pub fn open_sea() -> FnGeography<DistanceFn, DistanceFn> {
    FnGeography {
        shore: |_, _| f64::INFINITY,
        port: |_, _| f64::INFINITY,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    Gap,
    Encounter,
    Loitering,
    Spoofing,
    ZoneEntry,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Gap => "gap",
            EventKind::Encounter => "encounter",
            EventKind::Loitering => "loitering",
            EventKind::Spoofing => "spoofing",
            EventKind::ZoneEntry => "zone_entry",
        }
    }
}

/// One behaviour event. `start_ms`/`end_ms` are what the rule defines (for an open event,
/// `end_ms` is the last time it was seen to hold).
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub kind: EventKind,
    /// One MMSI, or two ascending (encounter).
    pub mmsi: Vec<u32>,
    pub start_ms: Ms,
    pub end_ms: Ms,
    pub lat: f64,
    pub lon: f64,
    /// zone_entry: the zone's name.
    pub zone: Option<String>,
    pub open: bool,
    /// Rule-specific figures (median speed, gap length, …), for the analyst.
    pub extra: Vec<(&'static str, f64)>,
}

impl Event {
    /// The offline command's JSON object (keys in the contract's order).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), self.kind.as_str().into());
        m.insert(
            "mmsi".into(),
            Value::Array(self.mmsi.iter().map(|&x| x.into()).collect()),
        );
        m.insert("start".into(), seconds(self.start_ms));
        m.insert("end".into(), seconds(self.end_ms));
        m.insert("lat".into(), num(self.lat));
        m.insert("lon".into(), num(self.lon));
        if let Some(z) = &self.zone {
            m.insert("zone".into(), z.clone().into());
        }
        m.insert("open".into(), self.open.into());
        for (k, v) in &self.extra {
            m.insert((*k).into(), num(*v));
        }
        Value::Object(m)
    }
}

/// Unix seconds: an integer when whole (the input's times are), else with milliseconds.
fn seconds(ms: Ms) -> Value {
    if ms.rem_euclid(1000) == 0 {
        Value::from(ms.div_euclid(1000))
    } else {
        num(ms as f64 / 1000.0)
    }
}

fn num(x: f64) -> Value {
    Number::from_f64((x * 1e7).round() / 1e7)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// A rule's report: an event began to qualify, or ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Opened(Event),
    Closed(Event),
}

/// Metres per degree of latitude and of longitude at `lat` on WGS84 (the meridian and
/// prime-vertical radii): a local plane good to ~1e-6 relative within a few km, which
/// is what the 500 m and 1 km tests at thresholds need (a sphere is off by up to 0.3 %).
pub(crate) fn metres_per_degree(lat: f64) -> (f64, f64) {
    let s = lat.to_radians().sin();
    let w = (1.0 - WGS84_E2 * s * s).sqrt();
    let m = WGS84_A * (1.0 - WGS84_E2) / (w * w * w);
    let n = WGS84_A / w;
    (m.to_radians(), (n * lat.to_radians().cos()).to_radians())
}

/// Longitude difference wrapped to (-180, 180].
pub(crate) fn dlon(a: f64, b: f64) -> f64 {
    let d = (b - a).rem_euclid(360.0);
    if d > 180.0 {
        d - 360.0
    } else {
        d
    }
}

/// Approximate distance on the local plane at the pair's mean latitude (0.1 % up to
/// ~100 km, a few % at 1,000 km): decides which pairs need the exact geodesic.
pub(crate) fn approx_distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (my, mx) = metres_per_degree(0.5 * (lat1 + lat2));
    let dy = (lat2 - lat1) * my;
    let dx = dlon(lon1, lon2) * mx;
    (dx * dx + dy * dy).sqrt()
}

/// Geodesic distance, computed only when the plane approximation is not conclusive
/// against `threshold_m`.
pub(crate) fn exceeds_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64, threshold_m: f64) -> bool {
    let a = approx_distance_m(lat1, lon1, lat2, lon2);
    if a < threshold_m * 0.95 - 1.0 {
        false
    } else if a > threshold_m * 1.05 + 1.0 {
        true
    } else {
        biac_geo::distance_m(lat1, lon1, lat2, lon2) > threshold_m
    }
}

#[cfg(test)]
mod tests;
