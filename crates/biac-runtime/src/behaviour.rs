//! The behaviour rules' configuration (`"behaviour"` in `biac serve`'s file) and what is
//! built from it once per process: the theatre's coastline, ports and zones, shared by
//! every audience's [`BehaviourWatch`] through `Arc`s.
//!
//! Each audience gets the zone set of the disputed features as its nation recognises
//! them (one build per distinct recognition), and only the zones it may see.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use biac_analytics::behaviour::{
    parse_zones_geojson, Area, BehaviourWatch, Geography, LiveRules, LiveThresholds, PortList,
    ThresholdError, Thresholds, ZonesError,
};
use biac_analytics::recognition::Recognitions;
use biac_analytics::Watch;
use biac_model::{ConfigError, Label, Nation, Subject};
use biac_zones::{display, ZoneKind, ZoneSet};
use serde::Deserialize;

/// Why the behaviour rules could not be built at start.
#[derive(Debug, thiserror::Error)]
pub enum BehaviourError {
    /// A threshold no rule can work with, by its key under `behaviour`.
    #[error(transparent)]
    Threshold(#[from] ThresholdError),
    /// A recognition list that does not parse.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The zones file cannot be read.
    #[error("{}: {source}", path.display())]
    ZonesFile {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The zones file is not GeoJSON of named polygons; the parser's account.
    #[error(transparent)]
    Zones(#[from] ZonesError),
    #[error("zone set build panicked")]
    Panicked,
}

/// `"behaviour": {...}`: thresholds (each optional, the Global Fishing Watch
/// defaults otherwise), the zones zone entry watches, and a note the alerts carry (the demo's time compression).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BehaviourConfig {
    pub gap_min_h: Option<f64>,
    pub gap_shore_nm: Option<f64>,
    pub encounter_max_m: Option<f64>,
    pub encounter_min_h: Option<f64>,
    pub encounter_max_kn: Option<f64>,
    pub encounter_port_km: Option<f64>,
    pub loiter_max_kn: Option<f64>,
    pub loiter_min_h: Option<f64>,
    pub loiter_max_silence_h: Option<f64>,
    pub loiter_shore_nm: Option<f64>,
    pub spoof_kn: Option<f64>,
    pub spoof_noise_m: Option<f64>,
    pub spoof_episode_gap_h: Option<f64>,
    /// The live-only rules' thresholds ([`LiveThresholds`], same names).
    pub dark_min_s: Option<f64>,
    pub mismatch_noise_m: Option<f64>,
    pub mismatch_sigmas: Option<f64>,
    pub mismatch_max_m: Option<f64>,
    pub mismatch_velocity_mps: Option<f64>,
    pub mismatch_min_kn: Option<f64>,
    pub mismatch_min_s: Option<f64>,
    pub radar_only_min_s: Option<f64>,
    pub zone_margin_m: Option<f64>,
    pub late_min_s: Option<f64>,
    /// `"theatre"` (default), `"none"`, or a GeoJSON file of zones (Polygon and
    /// MultiPolygon features named by `properties.name`).
    #[serde(default)]
    pub zones: ZonesSource,
    /// The label of the zones (default: UNCLASSIFIED, releasable to all, Japan's).
    #[serde(default)]
    pub zones_label: Option<Label>,
    /// Appended to every behaviour alert's message (e.g. that thresholds are
    /// time-compressed); also exposed by the API.
    #[serde(default)]
    pub note: Option<String>,
}

/// Where the zone-entry rule's zones come from.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ZonesSource {
    /// The theatre's territorial seas and contiguous zones (biac-zones), and each held
    /// disputed feature's territorial sea on its own.
    #[default]
    Theatre,
    /// Only each held disputed feature's territorial sea (the Senkakus', Takeshima's):
    /// seconds cheaper to build than the theatre's (the demo's).
    Disputed,
    None,
    File(PathBuf),
}

impl<'de> Deserialize<'de> for ZonesSource {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(match s.as_str() {
            "theatre" => ZonesSource::Theatre,
            "disputed" => ZonesSource::Disputed,
            "none" => ZonesSource::None,
            _ => ZonesSource::File(PathBuf::from(s)),
        })
    }
}

impl BehaviourConfig {
    /// The demo's rules: hours read as minutes (a gap of 6 min, an encounter of 2 min,
    /// loitering of 4 min, episodes apart after 1 min), the shore distances of the gap
    /// and loitering rules 10 nm (the demo's scripted vessels are off Miyako and Amami),
    /// the theatre's zones, and a note saying so on every alert.
    pub fn demo() -> BehaviourConfig {
        BehaviourConfig {
            gap_min_h: Some(0.1),
            gap_shore_nm: Some(10.0),
            encounter_min_h: Some(2.0 / 60.0),
            loiter_min_h: Some(4.0 / 60.0),
            loiter_max_silence_h: Some(1.0 / 60.0),
            loiter_shore_nm: Some(10.0),
            spoof_episode_gap_h: Some(1.0 / 60.0),
            zones: ZonesSource::Disputed,
            note: Some("demo: time-compressed thresholds".into()),
            ..BehaviourConfig::default()
        }
    }

    /// The thresholds: the configured ones over the defaults, validated.
    pub fn thresholds(&self) -> Result<Thresholds, ThresholdError> {
        let d = Thresholds::default();
        let th = Thresholds {
            gap_min_h: self.gap_min_h.unwrap_or(d.gap_min_h),
            gap_shore_nm: self.gap_shore_nm.unwrap_or(d.gap_shore_nm),
            encounter_max_m: self.encounter_max_m.unwrap_or(d.encounter_max_m),
            encounter_min_h: self.encounter_min_h.unwrap_or(d.encounter_min_h),
            encounter_max_kn: self.encounter_max_kn.unwrap_or(d.encounter_max_kn),
            encounter_port_km: self.encounter_port_km.unwrap_or(d.encounter_port_km),
            loiter_max_kn: self.loiter_max_kn.unwrap_or(d.loiter_max_kn),
            loiter_min_h: self.loiter_min_h.unwrap_or(d.loiter_min_h),
            loiter_max_silence_h: self.loiter_max_silence_h.unwrap_or(d.loiter_max_silence_h),
            loiter_shore_nm: self.loiter_shore_nm.unwrap_or(d.loiter_shore_nm),
            spoof_kn: self.spoof_kn.unwrap_or(d.spoof_kn),
            spoof_noise_m: self.spoof_noise_m.unwrap_or(d.spoof_noise_m),
            spoof_episode_gap_h: self.spoof_episode_gap_h.unwrap_or(d.spoof_episode_gap_h),
        };
        th.validate()?;
        Ok(th)
    }

    /// The live-only rules' thresholds: the configured ones over the defaults, validated.
    pub fn live_thresholds(&self) -> Result<LiveThresholds, ThresholdError> {
        let d = LiveThresholds::default();
        let th = LiveThresholds {
            dark_min_s: self.dark_min_s.unwrap_or(d.dark_min_s),
            mismatch_noise_m: self.mismatch_noise_m.unwrap_or(d.mismatch_noise_m),
            mismatch_sigmas: self.mismatch_sigmas.unwrap_or(d.mismatch_sigmas),
            mismatch_max_m: self.mismatch_max_m.unwrap_or(d.mismatch_max_m),
            mismatch_velocity_mps: self
                .mismatch_velocity_mps
                .unwrap_or(d.mismatch_velocity_mps),
            mismatch_min_kn: self.mismatch_min_kn.unwrap_or(d.mismatch_min_kn),
            mismatch_min_s: self.mismatch_min_s.unwrap_or(d.mismatch_min_s),
            radar_only_min_s: self.radar_only_min_s.unwrap_or(d.radar_only_min_s),
            zone_margin_m: self.zone_margin_m.unwrap_or(d.zone_margin_m),
            late_min_s: self.late_min_s.unwrap_or(d.late_min_s),
        };
        th.validate()?;
        Ok(th)
    }
}

/// Shore distance from a shared zone set, port distance from the shared port list.
struct SharedGeography {
    set: Arc<ZoneSet>,
    ports: Arc<PortList>,
}

impl Geography for SharedGeography {
    fn distance_to_shore_m(&self, lat: f64, lon: f64) -> f64 {
        self.set.distance_to_shore_m(lat, lon)
    }
    fn distance_to_port_m(&self, lat: f64, lon: f64) -> f64 {
        self.ports.distance_m(lat, lon)
    }
}

/// One recognition's coastline and zones.
struct Theatre {
    set: Arc<ZoneSet>,
    zones: Arc<Vec<(Area, Label)>>,
}

/// The behaviour rules ready to be given to each audience: built once per process.
pub struct Behaviour {
    th: Thresholds,
    live: LiveThresholds,
    /// The label of the zones' geometry (joined into a zone alert's).
    zones_label: Label,
    note: Option<String>,
    ports: Arc<PortList>,
    /// By recognition list (as configured), one zone set each.
    theatres: BTreeMap<String, Theatre>,
    recognitions: Recognitions,
}

impl std::fmt::Debug for Behaviour {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Behaviour")
            .field("thresholds", &self.th)
            .field("recognitions", &self.theatres.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Behaviour {
    /// Build the zone sets (one per distinct recognition among `audiences`, shared with
    /// the rest of the process) and the zones. The theatre's display polygons take
    /// seconds to contour: this runs once, at start, never per audience.
    pub fn build(
        cfg: &BehaviourConfig,
        recognitions: &Recognitions,
        audiences: &[Subject],
    ) -> Result<Behaviour, BehaviourError> {
        let th = cfg.thresholds()?;
        let live = cfg.live_thresholds()?;
        let label = cfg
            .zones_label
            .clone()
            .unwrap_or_else(|| Label::unclassified_public(Nation::JPN));
        let file_zones = match &cfg.zones {
            ZonesSource::File(p) => {
                let text =
                    std::fs::read_to_string(p).map_err(|source| BehaviourError::ZonesFile {
                        path: p.clone(),
                        source,
                    })?;
                let zones = parse_zones_geojson(&text).map_err(BehaviourError::Zones)?;
                for s in &zones.skipped {
                    tracing::warn!(
                        file = %p.display(),
                        feature = %s.name,
                        geometry = %s.geometry,
                        "zones file: a feature that is not an area is skipped"
                    );
                }
                Some(zones.areas)
            }
            _ => None,
        };
        // One theatre per distinct recognition, built side by side (a zone set is seconds
        // of CPU in a debug build, and start waits for them).
        let mut distinct: BTreeMap<String, Nation> = BTreeMap::new();
        for s in audiences {
            distinct
                .entry(recognitions.list_of(s.nation).to_string())
                .or_insert(s.nation);
        }
        let build = |nation: Nation| -> Result<Theatre, BehaviourError> {
            let set = recognitions.zones_of(nation)?.get().clone();
            let areas = match (&cfg.zones, &file_zones) {
                (_, Some(z)) => z.clone(),
                (ZonesSource::Theatre, _) => theatre_areas(&set, true),
                (ZonesSource::Disputed, _) => theatre_areas(&set, false),
                _ => Vec::new(),
            };
            let zones = areas.into_iter().map(|a| (a, label.clone())).collect();
            Ok(Theatre {
                set,
                zones: Arc::new(zones),
            })
        };
        let built: Vec<(String, Result<Theatre, BehaviourError>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = distinct
                .iter()
                .map(|(list, &n)| (list.clone(), scope.spawn(move || build(n))))
                .collect();
            handles
                .into_iter()
                .map(|(list, h)| {
                    let r = h.join().unwrap_or(Err(BehaviourError::Panicked));
                    (list, r)
                })
                .collect()
        });
        let mut theatres = BTreeMap::new();
        for (list, t) in built {
            theatres.insert(list, t?);
        }
        Ok(Behaviour {
            th,
            live,
            zones_label: label,
            note: cfg.note.clone(),
            ports: Arc::new(PortList::theatre()),
            theatres,
            recognitions: recognitions.clone(),
        })
    }

    /// The note behaviour alerts carry (time-compressed thresholds, …).
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// One audience's watch: its nation's coastline and the zones it may see.
    /// `ais_feeds`: the names of the AIS feeds, by which the live rules (dark vessel, AIS
    /// against radar) tell a track's AIS contributions from its other sources.
    pub fn watch_for(
        &self,
        subject: &Subject,
        ais_feeds: &BTreeSet<String>,
    ) -> Option<Box<dyn Watch>> {
        let t = self
            .theatres
            .get(self.recognitions.list_of(subject.nation))?;
        let zones = t
            .zones
            .iter()
            .filter(|(_, l)| biac_model::allow(subject, l))
            .cloned()
            .collect();
        let geo = SharedGeography {
            set: t.set.clone(),
            ports: self.ports.clone(),
        };
        let watch = BehaviourWatch::new(self.th.clone(), geo, zones).with_live(LiveRules {
            th: self.live.clone(),
            ais_feeds: ais_feeds.clone(),
            zones: biac_model::allow(subject, &self.zones_label)
                .then(|| (t.set.clone(), self.zones_label.clone())),
        });
        Some(Box::new(Noted {
            watch,
            note: self.note.clone(),
        }))
    }
}

/// A behaviour watch whose alerts carry the configured note.
struct Noted<W> {
    watch: W,
    note: Option<String>,
}

impl<W: Watch> Watch for Noted<W> {
    fn evaluate(&mut self, tracks: &[Arc<biac_model::Track>]) -> Vec<biac_model::Alert> {
        let mut alerts = self.watch.evaluate(tracks);
        if let Some(n) = &self.note {
            for a in &mut alerts {
                a.message = format!("{} ({n})", a.message);
            }
        }
        alerts
    }

    fn observe(&mut self, released: &[biac_model::Observation]) {
        self.watch.observe(released)
    }
}

/// The zones zone entry watches in the theatre: every state's territorial sea and
/// contiguous zone, and the territorial sea of each held disputed feature on its own (the
/// Senkakus' is the one the seeds care about). Not the EEZs: most of the theatre's traffic
/// is inside one, so an entry there says little, and their contours cost the most.
/// With `states` false, only the disputed features' territorial seas.
pub fn theatre_areas(set: &ZoneSet, states: bool) -> Vec<Area> {
    let mut out = Vec::new();
    let to_area = |name: String, z: &display::ZonePolygons| {
        let polygons: Vec<Vec<Vec<[f64; 2]>>> = z
            .polygons
            .iter()
            .map(|p| {
                std::iter::once(&p.exterior)
                    .chain(&p.holes)
                    .map(|r| r.iter().map(|&(x, y)| [x, y]).collect::<Vec<_>>())
                    .collect::<Vec<_>>()
            })
            .collect();
        Area::new(name, polygons)
    };
    for &state in set.config().zone_states.iter().filter(|_| states) {
        for kind in [ZoneKind::TerritorialSea, ZoneKind::ContiguousZone] {
            let z = display::zone_polygons(set, state, kind, display::Resolution::for_kind(kind));
            if !z.polygons.is_empty() {
                out.push(to_area(display::zone_name(state, kind), &z));
            }
        }
    }
    let res = display::Resolution::for_kind(ZoneKind::TerritorialSea);
    for f in set
        .config()
        .features
        .iter()
        .filter(|f| !f.claimants.is_empty())
    {
        if let Some(z) = display::feature_territorial_sea(set, &f.id, res) {
            if !z.polygons.is_empty() && set.config().zone_states.contains(&z.state) {
                out.push(to_area(format!("{} territorial sea", f.name), &z));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_say_what_is_at_fault() {
        let cfg = BehaviourConfig {
            gap_min_h: Some(-1.0),
            ..BehaviourConfig::default()
        };
        let e = cfg.thresholds().unwrap_err();
        assert_eq!(e.name, "gap_min_h");
        assert_eq!(
            e.to_string(),
            "gap_min_h must be a finite number >= 0, not -1"
        );
        let build = |cfg: &BehaviourConfig| Behaviour::build(cfg, &Default::default(), &[]);
        assert!(matches!(
            build(&cfg),
            Err(BehaviourError::Threshold(ThresholdError {
                name: "gap_min_h",
                ..
            }))
        ));
        let live = BehaviourConfig {
            dark_min_s: Some(f64::NAN),
            ..BehaviourConfig::default()
        };
        match build(&live) {
            Err(BehaviourError::Threshold(e)) => assert_eq!(e.name, "dark_min_s"),
            other => panic!("{other:?}"),
        }
        // No audience: no zone set is built, only the file read and parsed.
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("zones.geojson");
        let cfg = BehaviourConfig {
            zones: ZonesSource::File(missing.clone()),
            ..BehaviourConfig::default()
        };
        match build(&cfg) {
            Err(e @ BehaviourError::ZonesFile { .. }) => {
                assert!(
                    e.to_string()
                        .starts_with(&format!("{}: ", missing.display())),
                    "{e}"
                )
            }
            other => panic!("{other:?}"),
        }
        std::fs::write(&missing, "not json").unwrap();
        match build(&cfg) {
            Err(BehaviourError::Zones(m)) => assert!(m.to_string().starts_with("zones: "), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
