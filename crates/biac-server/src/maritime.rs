//! The approximate maritime zones of the theatre (territorial sea, contiguous zone, EEZ;
//! `biac-zones`) for `GET /api/v1/zones/maritime`, with the disputed features as the
//! caller's nation recognises them.
//!
//! Building a zone set and contouring its polygons takes seconds, so each distinct
//! recognition is computed once — on a thread at start ([`MaritimeZones::warm`]) or by the
//! first request that needs it — and kept. The zones are labelled data like any other:
//! each leaves through the guard under the configured label, so an audience not cleared
//! for it gets an empty collection, the same answer as a deployment with none.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use biac_model::{Label, Nation};
use biac_zones::{display, Recognition, ZoneConfig, ZoneSet};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::guard::{release, release_all, Egress, Labelled};

/// `maritime_zones` in the configuration file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaritimeConfig {
    /// The label of every maritime zone (default: UNCLASSIFIED, owner JPN, releasable to
    /// every nation: the zones are computed from public data).
    #[serde(default = "default_label")]
    pub label: Label,
    /// Nation → recognition list (`biac zones --recognise` syntax, e.g.
    /// `senkakus=CHN,okinotorishima:no-eez`) replacing [`default_recognition`].
    #[serde(default)]
    pub recognition: BTreeMap<Nation, String>,
}

impl Default for MaritimeConfig {
    fn default() -> Self {
        MaritimeConfig {
            label: default_label(),
            recognition: BTreeMap::new(),
        }
    }
}

fn default_label() -> Label {
    Label::unclassified_public(Nation::JPN)
}

/// How a nation's analysts see the disputed features unless configured: each state's
/// stated position where it has one, the administering state's view otherwise.
pub fn default_recognition(n: Nation) -> &'static str {
    match n {
        // Japan holds Takeshima to be Japanese territory.
        Nation::JPN => "administered,takeshima=JPN",
        // Korea holds Okinotorishima to be a rock without an EEZ.
        Nation::KOR => "administered,okinotorishima:no-eez",
        // The Philippines claims Scarborough Reef (Bajo de Masinloc).
        Nation::PHL => "administered,scarborough=PHL",
        _ => "administered",
    }
}

/// One zone as released: its name, label and GeoJSON feature.
#[derive(Debug)]
pub struct MaritimeZone {
    pub name: String,
    pub label: Label,
    pub feature: Value,
}

impl Labelled for MaritimeZone {
    fn label(&self) -> &Label {
        &self.label
    }
    fn audit_object(&self) -> (&'static str, String) {
        ("maritime-zone", self.name.clone())
    }
}

/// The zones of one recognition as one item: every zone has the configured label, so
/// whether any is released is decided (and audited) once before any is computed.
struct AllZones<'a>(&'a Label);

impl Labelled for AllZones<'_> {
    fn label(&self) -> &Label {
        self.0
    }
    fn audit_object(&self) -> (&'static str, String) {
        ("maritime-zone", "all".into())
    }
}

type Cell = Arc<OnceLock<Arc<Vec<MaritimeZone>>>>;

/// The zones per recognition, each computed once.
#[derive(Debug, Default)]
pub struct MaritimeZones {
    config: MaritimeConfig,
    computed: Mutex<BTreeMap<String, Cell>>,
}

impl MaritimeZones {
    /// Checks every configured recognition list (a typo stops the server, not a request).
    pub fn new(config: MaritimeConfig) -> Result<MaritimeZones, String> {
        let features = biac_zones::ZoneConfig::default().features;
        for (n, list) in &config.recognition {
            Recognition::parse(list, &features)
                .map_err(|e| format!("maritime_zones.recognition.{n}: {e}"))?;
        }
        Ok(MaritimeZones {
            config,
            computed: Mutex::default(),
        })
    }

    /// The recognition list `n`'s audiences get.
    pub fn recognition_of(&self, n: Nation) -> &str {
        self.config
            .recognition
            .get(&n)
            .map_or(default_recognition(n), String::as_str)
    }

    fn cell(&self, list: &str) -> Cell {
        let mut c = self.computed.lock().unwrap_or_else(|p| p.into_inner());
        c.entry(list.to_string()).or_default().clone()
    }

    /// The zones under `n`'s recognition, computing them on this thread if no one has
    /// (blocks for seconds then: call off the async executor).
    pub fn zones_of(&self, n: Nation) -> Arc<Vec<MaritimeZone>> {
        let list = self.recognition_of(n).to_string();
        self.cell(&list)
            .get_or_init(|| Arc::new(self.compute(&list)))
            .clone()
    }

    fn compute(&self, list: &str) -> Vec<MaritimeZone> {
        let started = std::time::Instant::now();
        let defaults = ZoneConfig::default();
        // Checked in `new` (configured) or a constant (default): cannot fail here.
        let recognition = Recognition::parse(list, &defaults.features).unwrap_or_default();
        let set = ZoneSet::build(ZoneConfig::recognising(recognition));
        let fc = display::feature_collection(&set);
        let marking = self.config.label.marking();
        let zones: Vec<MaritimeZone> = fc["features"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                let mut f = f.clone();
                let name = f["properties"]["name"]
                    .as_str()
                    .unwrap_or("zone")
                    .to_string();
                f["properties"]["marking"] = json!(marking);
                f["properties"]["recognition"] = json!(list);
                MaritimeZone {
                    name,
                    label: self.config.label.clone(),
                    feature: f,
                }
            })
            .collect();
        tracing::info!(
            recognition = %list,
            zones = zones.len(),
            ms = started.elapsed().as_millis() as u64,
            "maritime zones computed"
        );
        zones
    }

    /// Compute the zones of every nation in `nations` on a thread of their own, so the
    /// first request does not wait (each distinct recognition once).
    pub fn warm(self: &Arc<Self>, nations: impl IntoIterator<Item = Nation>) {
        let me = self.clone();
        let nations: Vec<Nation> = nations.into_iter().collect();
        let spawned = std::thread::Builder::new()
            .name("maritime-zones".into())
            .spawn(move || {
                for n in nations {
                    me.zones_of(n);
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "maritime zones: no thread; computed on first request");
        }
    }

    /// What `e`'s subject may see of its nation's zones, as a FeatureCollection. An
    /// audience the label does not release to waits for no computation.
    pub fn released(&self, e: &Egress) -> Value {
        let zones = match release(e, &AllZones(&self.config.label)) {
            Some(_) => self.zones_of(e.subject.nation),
            None => Arc::default(),
        };
        let features: Vec<&Value> = release_all(e, zones.iter()).map(|z| &z.feature).collect();
        json!({
            "type": "FeatureCollection",
            "approximate": true,
            "recognition": if features.is_empty() { Value::Null } else { json!(self.recognition_of(e.subject.nation)) },
            "features": features,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_recognition_is_refused_at_start() {
        let cfg = MaritimeConfig {
            recognition: [(Nation::USA, "atlantis=JPN".to_string())].into(),
            ..MaritimeConfig::default()
        };
        assert!(MaritimeZones::new(cfg).unwrap_err().contains("atlantis"));
    }

    #[test]
    fn defaults_follow_the_nation_and_configuration_replaces_them() {
        let z = MaritimeZones::new(MaritimeConfig {
            recognition: [(Nation::USA, "senkakus=none".to_string())].into(),
            ..MaritimeConfig::default()
        })
        .unwrap();
        assert_eq!(z.recognition_of(Nation::JPN), "administered,takeshima=JPN");
        assert_eq!(z.recognition_of(Nation::AUS), "administered");
        assert_eq!(z.recognition_of(Nation::USA), "senkakus=none");
        let features = ZoneConfig::default().features;
        for n in Nation::ALL {
            Recognition::parse(default_recognition(*n), &features).unwrap();
        }
    }
}
