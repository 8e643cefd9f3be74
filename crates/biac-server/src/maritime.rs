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

use biac_analytics::recognition::Recognitions;
use biac_model::{ConfigError, Label, Nation};
use biac_zones::{display, ZoneConfig};
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
}

impl Default for MaritimeConfig {
    fn default() -> Self {
        MaritimeConfig {
            label: default_label(),
        }
    }
}

fn default_label() -> Label {
    Label::unclassified_public(Nation::JPN)
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
    recognitions: Recognitions,
    computed: Mutex<BTreeMap<String, Cell>>,
}

impl MaritimeZones {
    /// Checks every configured recognition list (a typo stops the server, not a request).
    pub fn new(
        config: MaritimeConfig,
        recognitions: Recognitions,
    ) -> Result<MaritimeZones, ConfigError> {
        recognitions.validate()?;
        Ok(MaritimeZones {
            config,
            recognitions,
            computed: Mutex::default(),
        })
    }

    /// The recognition list `n`'s audiences get.
    pub fn recognition_of(&self, n: Nation) -> &str {
        self.recognitions.list_of(n)
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
            .get_or_init(|| Arc::new(self.compute(n, &list)))
            .clone()
    }

    fn compute(&self, n: Nation, list: &str) -> Vec<MaritimeZone> {
        let started = std::time::Instant::now();
        // Checked in `new` (configured) or a constant (default): cannot fail here.
        let set = match self.recognitions.zones_of(n) {
            Ok(z) => z.get().clone(),
            Err(_) => biac_zones::shared(ZoneConfig::default()).get().clone(),
        };
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
        let bad = Recognitions([(Nation::USA, "atlantis=JPN".to_string())].into());
        let e = MaritimeZones::new(MaritimeConfig::default(), bad).unwrap_err();
        assert_eq!(e.key, "recognition");
        assert!(e.message.contains("atlantis"), "{e}");
        let z = MaritimeZones::new(MaritimeConfig::default(), Recognitions::default()).unwrap();
        assert_eq!(z.recognition_of(Nation::JPN), "administered,takeshima=JPN");
    }
}
