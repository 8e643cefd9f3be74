//! Security labels.
//!
//! A [`Label`] is a structured value: classification level, owner (producer) nations,
//! REL TO nations and NOFORN. Its marking string (`SECRET//REL TO USA, JPN`) is rendered
//! from the struct and parsed back strictly. [`Label::join`] is the lattice join used for
//! fused products; [`allow`] is the one release decision every egress point calls.
//!
//! Invariants: a [`Label`] value is always valid (constructors check it); parsing never
//! panics; anything unknown is an error, never a default.

use std::fmt;

use serde::{Deserialize, Serialize};

mod nation;
pub use nation::{Nation, NationSet};

/// Classification levels in increasing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Classification {
    Unclassified,
    Confidential,
    Secret,
    TopSecret,
}

impl Classification {
    pub const ALL: [Classification; 4] = [
        Classification::Unclassified,
        Classification::Confidential,
        Classification::Secret,
        Classification::TopSecret,
    ];

    /// The marking word, e.g. `TOP SECRET`.
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Unclassified => "UNCLASSIFIED",
            Classification::Confidential => "CONFIDENTIAL",
            Classification::Secret => "SECRET",
            Classification::TopSecret => "TOP SECRET",
        }
    }

    pub fn parse(s: &str) -> Result<Self, LabelError> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| LabelError::UnknownLevel(s.to_string()))
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    #[error("unknown classification level {0:?}")]
    UnknownLevel(String),
    #[error("unknown nation {0:?} (expected an ISO 3166 upper-case trigraph)")]
    UnknownNation(String),
    #[error("marking contains a character outside printable ASCII: {0:?}")]
    BadCharacter(char),
    #[error("a label needs at least one owner nation")]
    NoOwner,
    #[error("REL TO must include the owner nation(s) {owner}")]
    RelToWithoutOwner { owner: String },
    #[error("REL TO and NOFORN cannot be combined")]
    RelToWithNoforn,
    #[error("unknown dissemination control {0:?}")]
    UnknownControl(String),
    #[error("malformed marking {0:?}")]
    Malformed(String),
}

/// A security label (first version: level, owners, REL TO, NOFORN).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Label {
    classification: Classification,
    owner: NationSet,
    /// Empty means "no REL TO": releasable to the owners only.
    rel_to: NationSet,
    noforn: bool,
}

impl Label {
    /// A checked label. `rel_to` empty means owner-only.
    pub fn new(
        classification: Classification,
        owner: NationSet,
        rel_to: NationSet,
        noforn: bool,
    ) -> Result<Self, LabelError> {
        if owner.is_empty() {
            return Err(LabelError::NoOwner);
        }
        if noforn && !rel_to.is_empty() {
            return Err(LabelError::RelToWithNoforn);
        }
        if !rel_to.is_empty() && !owner.is_subset(rel_to) {
            return Err(LabelError::RelToWithoutOwner {
                owner: owner.to_string(),
            });
        }
        Ok(Label {
            classification,
            owner,
            rel_to: normal_rel_to(classification, rel_to),
            noforn,
        })
    }

    /// `UNCLASSIFIED` owned by `owner`, with no dissemination control: releasable to
    /// every nation known to the policy.
    pub fn unclassified_public(owner: Nation) -> Self {
        Label {
            classification: Classification::Unclassified,
            owner: NationSet::single(owner),
            rel_to: NationSet::EMPTY,
            noforn: false,
        }
    }

    /// `level//REL TO owner, others...`.
    pub fn rel_to(level: Classification, owner: Nation, others: &[Nation]) -> Self {
        let mut rel = NationSet::single(owner);
        for n in others {
            rel.insert(*n);
        }
        Label {
            classification: level,
            owner: NationSet::single(owner),
            rel_to: normal_rel_to(level, rel),
            noforn: false,
        }
    }

    pub fn classification(&self) -> Classification {
        self.classification
    }
    pub fn owner(&self) -> NationSet {
        self.owner
    }
    /// The REL TO list as written (empty when the label has none).
    pub fn rel_to_list(&self) -> NationSet {
        self.rel_to
    }
    pub fn noforn(&self) -> bool {
        self.noforn
    }

    /// Nations this label lets see the record: the owners when NOFORN, or when a
    /// classified label has no REL TO; every nation for UNCLASSIFIED without controls;
    /// otherwise REL TO (which contains the owners).
    pub fn releasable_to(&self) -> NationSet {
        if self.noforn {
            self.owner
        } else if self.rel_to.is_empty() {
            if self.classification == Classification::Unclassified {
                NationSet::ALL
            } else {
                self.owner
            }
        } else {
            self.rel_to
        }
    }

    /// Lattice join: highest level, releasability intersected, NOFORN dominates.
    /// Owners of the product are the input owners that may still see it (a producer
    /// that contributed to a product it may not see is a source, not an owner); when
    /// nobody may see the product its owner set is empty and [`allow`] denies everyone.
    /// The result is never less restrictive than either input.
    pub fn join(&self, other: &Label) -> Label {
        let audience = self.releasable_to().intersection(other.releasable_to());
        let noforn = self.noforn || other.noforn;
        let classification = self.classification.max(other.classification);
        Label {
            classification,
            owner: self.owner.union(other.owner).intersection(audience),
            rel_to: if noforn {
                NationSet::EMPTY
            } else {
                normal_rel_to(classification, audience)
            },
            noforn,
        }
    }

    /// Does `self` restrict at least as much as `other` (`self` dominates `other`)?
    pub fn dominates(&self, other: &Label) -> bool {
        self.classification >= other.classification
            && self.releasable_to().is_subset(other.releasable_to())
            && (self.noforn || !other.noforn)
    }

    /// The marking string, e.g. `SECRET//REL TO USA, JPN`.
    pub fn marking(&self) -> String {
        let mut s = self.classification.as_str().to_string();
        if self.noforn {
            s.push_str("//NOFORN");
        } else if !self.rel_to.is_empty() {
            s.push_str("//REL TO ");
            s.push_str(&self.rel_to.marking_list());
        }
        s
    }

    /// Parse a marking string strictly (`SECRET`, `SECRET//NOFORN`,
    /// `SECRET//REL TO USA, JPN`). Owners are not written in a marking, so the caller
    /// (the feed's configuration) supplies them.
    pub fn parse_marking(s: &str, owner: NationSet) -> Result<Label, LabelError> {
        if let Some(c) = s.chars().find(|c| !(c.is_ascii_graphic() || *c == ' ')) {
            return Err(LabelError::BadCharacter(c));
        }
        let mut parts = s.split("//");
        let level = Classification::parse(parts.next().unwrap_or_default())?;
        let mut rel_to = NationSet::EMPTY;
        let mut noforn = false;
        for part in parts {
            if part == "NOFORN" {
                if noforn {
                    return Err(LabelError::Malformed(s.to_string()));
                }
                noforn = true;
            } else if let Some(list) = part.strip_prefix("REL TO ") {
                if !rel_to.is_empty() {
                    return Err(LabelError::Malformed(s.to_string()));
                }
                for tri in list.split(", ") {
                    let n = Nation::parse(tri)?;
                    rel_to.insert(n);
                }
            } else {
                return Err(LabelError::UnknownControl(part.to_string()));
            }
        }
        Label::new(level, owner, rel_to, noforn)
    }
}

/// UNCLASSIFIED releasable to every nation is written without REL TO, so one meaning
/// has one form (and one marking).
fn normal_rel_to(level: Classification, rel_to: NationSet) -> NationSet {
    if level == Classification::Unclassified && rel_to == NationSet::ALL {
        NationSet::EMPTY
    } else {
        rel_to
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.marking())
    }
}

/// The JSON form: `{"classification": "SECRET", "owner": ["USA"], "rel_to": ["USA","JPN"], "noforn": false}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelWire {
    classification: Classification,
    owner: NationSet,
    #[serde(default)]
    rel_to: NationSet,
    #[serde(default)]
    noforn: bool,
}

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let w = LabelWire::deserialize(d)?;
        Label::new(w.classification, w.owner, w.rel_to, w.noforn).map_err(serde::de::Error::custom)
    }
}

/// Who is asking: a nation and a clearance (first version).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Subject {
    pub nation: Nation,
    pub clearance: Classification,
}

/// The release decision. Every egress point calls this and nothing else.
pub fn allow(subject: &Subject, label: &Label) -> bool {
    subject.clearance >= label.classification && label.releasable_to().contains(subject.nation)
}

#[cfg(test)]
mod tests;
