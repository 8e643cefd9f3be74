//! How each nation's analysts recognise the disputed features — one setting
//! (`recognition` in the configuration) read by everything that draws zones for an
//! audience: the maritime-zones route, the missile warning and the behaviour rules. Two
//! of them disagreeing about whose Takeshima is would show an analyst one zone on the
//! map and warn by another.

use std::collections::BTreeMap;
use std::sync::Arc;

use biac_model::{ConfigError, Nation};
use biac_zones::{Recognition, SharedZoneSet, ZoneConfig};
use serde::Deserialize;

/// Nation → recognition list (`biac zones --recognise` syntax, e.g.
/// `senkakus=CHN,okinotorishima:no-eez`); a nation absent takes [`default_recognition`].
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct Recognitions(pub BTreeMap<Nation, String>);

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

impl Recognitions {
    /// Every configured list parses (a typo stops the server at start, not a request).
    pub fn validate(&self) -> Result<(), ConfigError> {
        for n in self.0.keys() {
            self.of(*n)?;
        }
        Ok(())
    }

    /// The list `n`'s audiences get.
    pub fn list_of(&self, n: Nation) -> &str {
        self.0
            .get(&n)
            .map_or(default_recognition(n), String::as_str)
    }

    /// `n`'s recognition, parsed.
    pub fn of(&self, n: Nation) -> Result<Recognition, ConfigError> {
        Recognition::parse(self.list_of(n), &ZoneConfig::default().features)
            .map_err(|e| ConfigError::new("recognition", format!("recognition.{n}: {e}")))
    }

    /// The process's zone set as `n` recognises the features (built on first use).
    pub fn zones_of(&self, n: Nation) -> Result<Arc<SharedZoneSet>, ConfigError> {
        Ok(biac_zones::shared(ZoneConfig::recognising(self.of(n)?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_per_nation_and_a_configured_list_replaces_them() {
        let r: Recognitions = serde_json::from_str(r#"{"USA": "senkakus=none"}"#).unwrap();
        assert_eq!(r.list_of(Nation::JPN), "administered,takeshima=JPN");
        assert_eq!(r.list_of(Nation::AUS), "administered");
        assert_eq!(r.list_of(Nation::USA), "senkakus=none");
        r.validate().unwrap();
        for n in Nation::ALL {
            Recognition::parse(default_recognition(*n), &ZoneConfig::default().features).unwrap();
        }
        // Same recognition, same zone set.
        let j1 = r.zones_of(Nation::AUS).unwrap();
        let j2 = Recognitions::default().zones_of(Nation::GBR).unwrap();
        assert!(Arc::ptr_eq(&j1, &j2));
    }

    #[test]
    fn a_bad_list_is_refused_with_its_nation() {
        let r: Recognitions = serde_json::from_str(r#"{"USA": "atlantis=JPN"}"#).unwrap();
        let e = r.validate().unwrap_err();
        assert_eq!(e.key, "recognition");
        assert!(e.message.starts_with("recognition.USA"), "{e}");
    }
}
