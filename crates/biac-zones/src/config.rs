//! What a zone set is built from besides the coastline: configured baseline features,
//! Japan's specified straits, and the recognition of disputed features by one audience.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::State;

/// What a feature's baseline generates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rights {
    /// Territorial sea, contiguous zone and EEZ (an island).
    Full,
    /// Territorial sea and contiguous zone only (a rock, UNCLOS art. 121(3)).
    NoEez,
}

/// A baseline feature configured beside the coastline data: an island the data lacks or
/// misplaces, or a disputed one whose holder depends on the audience.
#[derive(Clone, Debug, PartialEq)]
pub struct BaselineFeature {
    /// Short id used by [`Recognition`] (`senkakus`, `takeshima`, …).
    pub id: String,
    pub name: String,
    /// The administering state, or `None` when no single state holds it.
    pub holder: Option<State>,
    /// Other states claiming it; a feature with claimants is disputed.
    pub claimants: Vec<State>,
    /// Whether its EEZ is disputed (Okinotorishima: a rock, say China and Korea).
    pub eez_disputed: bool,
    /// Closed outlines, land on the left (counter-clockwise), `(lat, lon)` degrees.
    pub outlines: Vec<Vec<(f64, f64)>>,
    /// Single baseline points (rocks, islets), `(lat, lon)`.
    pub points: Vec<(f64, f64)>,
    /// Coastline data within this distance of the feature's points is the feature's and
    /// replaced by them (the data's copy is misplaced or assigned to one claimant).
    pub replaces_within_m: f64,
    /// Coastline data under this code is the feature's (Natural Earth's `Spratly Is.`).
    pub data_code: Option<State>,
}

/// A strait where Japan keeps a 3 nm territorial sea: a lat/lon box around the strait.
#[derive(Clone, Debug, PartialEq)]
pub struct Strait {
    pub name: String,
    pub state: State,
    pub south: f64,
    pub north: f64,
    pub west: f64,
    pub east: f64,
}

impl Strait {
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        (self.south..=self.north).contains(&lat) && (self.west..=self.east).contains(&lon)
    }
}

/// Why a recognition list does not parse: the item at fault, by kind. `Display` is the
/// message operators see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecognitionError {
    /// A feature id no configured baseline feature has.
    UnknownFeature(String),
    /// `FEATURE=STATE` whose state is not a code.
    BadState(String),
    /// `FEATURE:…` that is neither `:eez` nor `:no-eez`.
    BadEez { id: String, item: String },
    /// An item of none of the list's forms.
    Unreadable(String),
}

impl fmt::Display for RecognitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecognitionError::UnknownFeature(id) => write!(f, "unknown feature {id:?}"),
            RecognitionError::BadState(s) => write!(f, "bad state code {s:?}"),
            RecognitionError::BadEez { id, item } => {
                write!(f, "expected {id}:eez or {id}:no-eez, got {item:?}")
            }
            RecognitionError::Unreadable(item) => write!(
                f,
                "cannot read {item:?} (FEATURE=STATE, FEATURE:eez, a preset)"
            ),
        }
    }
}

impl std::error::Error for RecognitionError {}

/// Which disputed features an audience recognises, and as whose.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Recognition {
    /// Feature id → recognised holder (`None`: nobody; the feature makes no zone).
    /// A disputed feature absent here is taken as its administering holder's.
    pub holders: BTreeMap<String, Option<State>>,
    /// Features whose disputed EEZ is recognised.
    pub eez: BTreeSet<String>,
}

impl Recognition {
    /// The status quo: each feature as its administering state's, Okinotorishima's EEZ
    /// recognised (Japan's and the United States' view).
    pub fn administered() -> Recognition {
        Recognition {
            holders: BTreeMap::new(),
            eez: ["okinotorishima".to_string()].into(),
        }
    }

    /// No disputed feature makes a zone for anybody, no disputed EEZ is recognised.
    pub fn none(features: &[BaselineFeature]) -> Recognition {
        Recognition {
            holders: features
                .iter()
                .filter(|f| !f.claimants.is_empty())
                .map(|f| (f.id.clone(), None))
                .collect(),
            eez: BTreeSet::new(),
        }
    }

    /// Parses a comma-separated list, applied over [`Recognition::administered`]:
    /// `administered` or `none` (a preset, first), `FEATURE=STATE` (e.g. `senkakus=CHN`),
    /// `FEATURE=none`, `FEATURE:eez`, `FEATURE:no-eez`.
    pub fn parse(
        list: &str,
        features: &[BaselineFeature],
    ) -> Result<Recognition, RecognitionError> {
        let mut r = Recognition::administered();
        let known = |id: &str| {
            if features.iter().any(|f| f.id == id) {
                Ok(())
            } else {
                Err(RecognitionError::UnknownFeature(id.to_string()))
            }
        };
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if item == "administered" {
                r = Recognition::administered();
            } else if item == "none" {
                r = Recognition::none(features);
            } else if let Some((id, state)) = item.split_once('=') {
                known(id)?;
                let holder = if state.eq_ignore_ascii_case("none") {
                    None
                } else {
                    Some(
                        State::parse(state)
                            .ok_or_else(|| RecognitionError::BadState(state.to_string()))?,
                    )
                };
                r.holders.insert(id.to_string(), holder);
            } else if let Some((id, what)) = item.split_once(':') {
                known(id)?;
                match what {
                    "eez" => r.eez.insert(id.to_string()),
                    "no-eez" => r.eez.remove(id),
                    _ => {
                        return Err(RecognitionError::BadEez {
                            id: id.to_string(),
                            item: item.to_string(),
                        })
                    }
                };
            } else {
                return Err(RecognitionError::Unreadable(item.to_string()));
            }
        }
        Ok(r)
    }

    /// The holder this audience recognises for a feature.
    pub fn holder(&self, f: &BaselineFeature) -> Option<State> {
        match self.holders.get(&f.id) {
            Some(h) => *h,
            None => f.holder,
        }
    }

    /// The rights this audience recognises for a feature.
    pub fn rights(&self, f: &BaselineFeature) -> Rights {
        if f.eez_disputed && !self.eez.contains(&f.id) {
            Rights::NoEez
        } else {
            Rights::Full
        }
    }
}

/// Everything a zone set is built from besides the coastline.
#[derive(Clone, Debug, PartialEq)]
pub struct ZoneConfig {
    /// States whose zones are reported; the others' coasts still cut them at the median.
    pub zone_states: Vec<State>,
    pub features: Vec<BaselineFeature>,
    pub straits: Vec<Strait>,
    pub recognition: Recognition,
}

impl Default for ZoneConfig {
    fn default() -> Self {
        ZoneConfig {
            zone_states: State::THEATRE.to_vec(),
            features: default_features(),
            straits: default_straits(),
            recognition: Recognition::administered(),
        }
    }
}

impl ZoneConfig {
    /// The default configuration under another recognition.
    pub fn recognising(recognition: Recognition) -> ZoneConfig {
        ZoneConfig {
            recognition,
            ..ZoneConfig::default()
        }
    }
}

fn feature(id: &str, name: &str, holder: Option<State>, claimants: &[State]) -> BaselineFeature {
    BaselineFeature {
        id: id.into(),
        name: name.into(),
        holder,
        claimants: claimants.to_vec(),
        eez_disputed: false,
        outlines: vec![],
        points: vec![],
        replaces_within_m: 0.0,
        data_code: None,
    }
}

/// The built-in features. Positions are approximate (public gazetteer coordinates to
/// about 100 m); Natural Earth lacks Okinotorishima and Taisho-jima and draws the
/// Senkakus about 4 km east of where they are.
pub fn default_features() -> Vec<BaselineFeature> {
    let mut senkakus = feature(
        "senkakus",
        "Senkaku Islands (Diaoyu / Tiaoyutai)",
        Some(State::JPN),
        &[State::CHN, State::TWN],
    );
    // Uotsuri-jima, about 3.5 km east-west, as an outline so that land is land.
    senkakus.outlines = vec![vec![
        (25.7435, 123.4561),
        (25.7400, 123.4650),
        (25.7390, 123.4760),
        (25.7410, 123.4880),
        (25.7440, 123.4909),
        (25.7470, 123.4850),
        (25.7485, 123.4720),
        (25.7470, 123.4600),
        (25.7435, 123.4561),
    ]];
    senkakus.points = vec![
        (25.7294, 123.5411), // Kita-kojima
        (25.7233, 123.5525), // Minami-kojima
        (25.9233, 123.6800), // Kuba-jima
        (25.8800, 124.5575), // Taisho-jima
    ];
    senkakus.replaces_within_m = 15_000.0;

    let mut takeshima = feature(
        "takeshima",
        "Takeshima / Dokdo",
        Some(State::KOR),
        &[State::JPN],
    );
    takeshima.points = vec![(37.2414, 131.8689), (37.2422, 131.8642)];
    takeshima.replaces_within_m = 3_000.0;

    let mut okino = feature("okinotorishima", "Okinotorishima", Some(State::JPN), &[]);
    okino.points = vec![(20.4253, 136.0806), (20.4222, 136.0853)];
    okino.eez_disputed = true;

    let mut minami = feature("minamitorishima", "Minamitorishima", Some(State::JPN), &[]);
    minami.points = vec![(24.2867, 153.9806)];

    let mut scarborough = feature(
        "scarborough",
        "Scarborough Reef",
        None,
        &[State::PHL, State::CHN, State::TWN],
    );
    scarborough.points = vec![(15.15, 117.76)];
    scarborough.data_code = State::parse("XSR");

    let mut spratlys = feature(
        "spratlys",
        "Spratly Islands",
        None,
        &[
            State::CHN,
            State::TWN,
            State::PHL,
            State(*b"VNM"),
            State(*b"MYS"),
        ],
    );
    spratlys.data_code = State::parse("XSP");

    vec![senkakus, takeshima, okino, minami, scarborough, spratlys]
}

/// Japan's five specified straits, each as a box over the strait between its two shores
/// (an approximation of the areas the law defines by coordinates).
pub fn default_straits() -> Vec<Strait> {
    let s = |name: &str, south, north, west, east| Strait {
        name: name.into(),
        state: State::JPN,
        south,
        north,
        west,
        east,
    };
    vec![
        s("Soya Strait", 45.35, 46.0, 141.55, 142.45),
        s("Tsugaru Strait", 41.2, 41.85, 140.0, 141.5),
        s("Tsushima Strait East Channel", 33.6, 34.45, 129.35, 130.2),
        s("Tsushima Strait West Channel", 34.45, 35.3, 128.6, 129.45),
        s("Osumi Strait", 30.5, 31.05, 130.4, 131.1),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recognition_list_is_refused_by_the_item_at_fault() {
        let f = ZoneConfig::default().features;
        let err = |list| Recognition::parse(list, &f).unwrap_err();
        assert_eq!(
            err("administered,atlantis=JPN"),
            RecognitionError::UnknownFeature("atlantis".into())
        );
        assert_eq!(
            err("atlantis:eez").to_string(),
            "unknown feature \"atlantis\""
        );
        assert_eq!(err("senkakus=XX").to_string(), "bad state code \"XX\"");
        assert_eq!(
            err("okinotorishima:zone").to_string(),
            "expected okinotorishima:eez or okinotorishima:no-eez, got \"okinotorishima:zone\""
        );
        assert_eq!(
            err("senkakus"),
            RecognitionError::Unreadable("senkakus".into())
        );
    }
}
