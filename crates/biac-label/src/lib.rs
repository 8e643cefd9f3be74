//! Security labels under a versioned policy.
//!
//! A [`Label`] is a structured value: classification level, owner (producer) nations,
//! REL TO nations, restrictive / permissive / informative categories, dissemination
//! controls (NOFORN, ORCON, RELIDO, DISPLAY ONLY, …) and provenance. Its marking string
//! (`SECRET//SI//COI MDA, MW//ORCON//REL TO USA, JPN`) is rendered from the struct and
//! parsed back strictly; so is its JSON form. The vocabulary comes from the policy
//! registry ([`policy`], `policy/biac-policy.json`).
//!
//! [`Label::join`] is the lattice join used for fused products; [`allow_action`] (and
//! [`allow`] = view) is the one release decision every egress point calls;
//! [`LabelInterner`] compiles labels to bitsets for the per-record check.
//!
//! Invariants: a [`Label`] value is always valid (constructors check it); parsing never
//! panics; anything unknown is an error, never a default; the decision denies on doubt.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

mod compiled;
mod nation;
pub mod policy;

pub use compiled::{CompiledLabel, CompiledSubject, LabelId, LabelInterner};
pub use nation::{Nation, NationSet};
pub use policy::{Action, CategoryKind, CategorySet, ControlSet, Exempt, Policy, PolicyError};

/// At most this many permissive clauses on a label (a join that would exceed it merges
/// clauses of one family by intersection, which only restricts more).
pub const MAX_CLAUSES: usize = 8;
/// At most this many provenance source ids on a label; beyond, the smallest are kept and
/// the provenance is marked truncated ("these and others").
pub const MAX_SOURCES: usize = 32;
/// Longest source id.
pub const MAX_SOURCE_LEN: usize = 64;

/// Classification levels in increasing order (the coalition ladder; national names map
/// onto it through the policy's equivalence tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Classification {
    Unclassified,
    /// NATO RESTRICTED and its national equivalents; the U.S. has no such level.
    Restricted,
    Confidential,
    Secret,
    TopSecret,
}

impl Classification {
    pub const ALL: [Classification; 5] = [
        Classification::Unclassified,
        Classification::Restricted,
        Classification::Confidential,
        Classification::Secret,
        Classification::TopSecret,
    ];

    /// The marking word, e.g. `TOP SECRET`.
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Unclassified => "UNCLASSIFIED",
            Classification::Restricted => "RESTRICTED",
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
    #[error(
        "unknown nation {0:?} (expected an ISO 3166 upper-case trigraph or a group of the policy)"
    )]
    UnknownNation(String),
    #[error("marking contains {0:?} ({esc}): only upper-case ASCII letters, digits, space, '/', ',' and '-' are allowed", esc = .0.escape_unicode())]
    BadCharacter(char),
    #[error("a label needs at least one owner nation")]
    NoOwner,
    #[error("REL TO must include the owner nation(s) {owner}")]
    RelToWithoutOwner { owner: String },
    #[error("REL TO and NOFORN cannot be combined")]
    RelToWithNoforn,
    #[error("unknown dissemination control {0:?}")]
    UnknownControl(String),
    #[error("unknown category {0:?}")]
    UnknownCategory(String),
    #[error("unknown marking block {0:?} (not a category, family clause, control or REL TO of the policy)")]
    UnknownBlock(String),
    #[error("{name:?} is a {kind} category; {hint}")]
    WrongKind {
        name: String,
        kind: &'static str,
        hint: &'static str,
    },
    #[error("{0:?} appears twice")]
    Duplicate(String),
    #[error("marking block {0:?} is out of order (level, restrictive, permissive clauses, informative, controls in policy order, REL TO)")]
    OutOfOrder(String),
    #[error("more than {MAX_CLAUSES} permissive clauses")]
    TooManyClauses,
    #[error("label is under policy {0:?}, the active policy is {1:?}")]
    UnknownPolicy(String, String),
    #[error("bad provenance source id {0:?} (1-{MAX_SOURCE_LEN} ASCII letters, digits, '.', '_', ':', '-')")]
    BadSource(String),
    #[error("originators must be owners and need an originator control (ORCON)")]
    BadOriginators,
    #[error("malformed marking {0:?}")]
    Malformed(String),
}

/// The permissive clauses of a label: the subject must hold at least one category of
/// each. Kept sorted, without duplicates or implied clauses, so equal meanings compare
/// equal. Fixed capacity: a label stays allocation-free apart from its provenance.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Clauses {
    len: u8,
    c: [CategorySet; MAX_CLAUSES],
}

impl Clauses {
    pub fn iter(&self) -> impl Iterator<Item = CategorySet> + '_ {
        self.c[..self.len as usize].iter().copied()
    }
    pub fn len(&self) -> usize {
        self.len as usize
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    pub fn as_slice(&self) -> &[CategorySet] {
        &self.c[..self.len as usize]
    }
    /// Canonical form of a conjunction of clauses. `None` when it cannot be met by anyone
    /// (an empty clause).
    fn normalize(mut v: Vec<CategorySet>, p: &Policy) -> Option<Clauses> {
        loop {
            v.sort();
            v.dedup();
            if v.iter().any(|c| c.is_empty()) {
                return None;
            }
            // A clause that contains another is implied by it.
            let implied: Vec<CategorySet> = v
                .iter()
                .copied()
                .filter(|c| v.iter().any(|d| d != c && d.is_subset(*c)))
                .collect();
            v.retain(|c| !implied.contains(c));
            if v.len() <= MAX_CLAUSES {
                break;
            }
            // Over capacity: merge the first two clauses of one family (their
            // intersection implies both). Families ≤ MAX_CLAUSES, so a pair exists.
            let (i, j) = (0..v.len())
                .flat_map(|i| (i + 1..v.len()).map(move |j| (i, j)))
                .find(|&(i, j)| p.clause_family(v[i]) == p.clause_family(v[j]))
                .expect("policy has at most MAX_CLAUSES families");
            let m = v[i].intersection(v[j]);
            v.remove(j);
            v[i] = m;
        }
        let mut out = Clauses::default();
        for (k, c) in v.into_iter().enumerate() {
            out.c[k] = c;
        }
        out.len = out.c.iter().filter(|c| !c.is_empty()).count() as u8;
        Some(out)
    }
}

impl fmt::Debug for Clauses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Where a label's record came from: the ids of its sources (feeds, records, products),
/// sorted, at most [`MAX_SOURCES`]. Shared, so cloning a label does not allocate.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Provenance {
    ids: Option<Arc<[Box<str>]>>,
    truncated: bool,
}

impl Provenance {
    pub const NONE: Provenance = Provenance {
        ids: None,
        truncated: false,
    };

    /// Checked: each id 1..=64 chars of `[A-Za-z0-9._:-]`; duplicates merge; more than
    /// [`MAX_SOURCES`] keeps the smallest and marks the provenance truncated.
    pub fn new<I, S>(ids: I) -> Result<Provenance, LabelError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut v = Vec::new();
        for id in ids {
            let id = id.as_ref();
            let ok = !id.is_empty()
                && id.len() <= MAX_SOURCE_LEN
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'));
            if !ok {
                return Err(LabelError::BadSource(id.to_string()));
            }
            v.push(Box::<str>::from(id));
        }
        Ok(Self::from_sorted(v, false))
    }

    fn from_sorted(mut v: Vec<Box<str>>, mut truncated: bool) -> Provenance {
        v.sort();
        v.dedup();
        if v.len() > MAX_SOURCES {
            v.truncate(MAX_SOURCES);
            truncated = true;
        }
        Provenance {
            ids: if v.is_empty() { None } else { Some(v.into()) },
            truncated,
        }
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().flat_map(|a| a.iter().map(|s| &**s))
    }
    pub fn len(&self) -> usize {
        self.ids.as_ref().map_or(0, |a| a.len())
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_none() && !self.truncated
    }
    /// More sources contributed than are listed.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }

    pub fn union(&self, o: &Provenance) -> Provenance {
        if o.is_empty() || self == o {
            return self.clone();
        }
        if self.is_empty() {
            return o.clone();
        }
        let v: Vec<Box<str>> = self.ids().chain(o.ids()).map(Box::from).collect();
        Self::from_sorted(v, self.truncated || o.truncated)
    }
}

impl fmt::Debug for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut l = f.debug_list();
        l.entries(self.ids());
        if self.truncated {
            l.entry(&"…");
        }
        l.finish()
    }
}

/// A security label. Always valid under the active policy.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Label {
    classification: Classification,
    owner: NationSet,
    /// Empty means "no REL TO": releasable to the owners only (public if UNCLASSIFIED).
    rel_to: NationSet,
    restrictive: CategorySet,
    permissive: Clauses,
    informative: CategorySet,
    /// Includes NOFORN when `noforn`.
    controls: ControlSet,
    noforn: bool,
    /// Who may use an originator exemption (ORCON): empty unless such a control is set.
    originators: NationSet,
    provenance: Provenance,
}

/// Everything a label states, unchecked; [`Label::from_spec`] checks it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSpec {
    pub classification: Option<Classification>,
    pub owner: NationSet,
    pub rel_to: NationSet,
    pub restrictive: CategorySet,
    pub permissive: Vec<CategorySet>,
    pub informative: CategorySet,
    /// May include NOFORN.
    pub controls: ControlSet,
    /// Defaults to the owners when an originator control is set.
    pub originators: Option<NationSet>,
    pub provenance: Provenance,
}

impl LabelSpec {
    pub fn new(classification: Classification, owner: NationSet) -> Self {
        LabelSpec {
            classification: Some(classification),
            owner,
            ..Default::default()
        }
    }
}

fn first_name(set: CategorySet) -> String {
    set.names()
        .first()
        .map_or_else(String::new, |s| s.to_string())
}

impl Label {
    /// A checked label. `rel_to` empty means owner-only.
    pub fn new(
        classification: Classification,
        owner: NationSet,
        rel_to: NationSet,
        noforn: bool,
    ) -> Result<Self, LabelError> {
        let mut spec = LabelSpec::new(classification, owner);
        spec.rel_to = rel_to;
        if noforn {
            spec.controls = policy::active().noforn_control();
        }
        Label::from_spec(spec)
    }

    /// The general checked constructor.
    pub fn from_spec(spec: LabelSpec) -> Result<Self, LabelError> {
        Label::checked(spec, false)
    }

    /// [`Label::from_spec`]; `ownerless` admits the one label no author may write: a
    /// join whose owners all fell outside its releasability (a product of two nations'
    /// reports that neither may see), read back from storage.
    fn checked(spec: LabelSpec, ownerless: bool) -> Result<Self, LabelError> {
        let p = policy::active();
        let classification = spec
            .classification
            .ok_or_else(|| LabelError::Malformed("no classification".into()))?;
        if spec.owner.is_empty() && !ownerless {
            return Err(LabelError::NoOwner);
        }
        let outside = spec
            .owner
            .union(spec.rel_to)
            .union(spec.originators.unwrap_or_default());
        if let Some(n) = outside.iter().find(|n| !p.nations().contains(*n)) {
            return Err(LabelError::UnknownNation(n.as_str().to_string()));
        }
        let known_controls = ControlSet((1u64 << p.controls().len()).wrapping_sub(1) as u32);
        if let Some(i) = spec.controls.without(known_controls).indices().next() {
            return Err(LabelError::UnknownControl(format!("#{i}")));
        }
        let noforn = spec.controls.intersects(p.noforn_control());
        if noforn && !spec.rel_to.is_empty() {
            return Err(LabelError::RelToWithNoforn);
        }
        if !spec.rel_to.is_empty() && !spec.owner.is_subset(spec.rel_to) {
            return Err(LabelError::RelToWithoutOwner {
                owner: spec.owner.to_string(),
            });
        }
        let kind_check = |set: CategorySet, kind: CategoryKind| -> Result<(), LabelError> {
            let wrong = CategorySet(set.0 & !p.kind_mask(kind).0);
            if wrong.is_empty() {
                return Ok(());
            }
            let name = first_name(wrong);
            if name.is_empty() {
                return Err(LabelError::UnknownCategory(format!(
                    "#{}",
                    wrong.0.trailing_zeros()
                )));
            }
            let actual = p.categories()[p.category_index(&name).unwrap_or(0)].kind;
            Err(LabelError::WrongKind {
                name,
                kind: kind_name(actual),
                hint: kind_hint(actual),
            })
        };
        kind_check(spec.restrictive, CategoryKind::Restrictive)?;
        kind_check(spec.informative, CategoryKind::Informative)?;
        for c in &spec.permissive {
            kind_check(*c, CategoryKind::Permissive)?;
            if c.is_empty() {
                return Err(LabelError::Malformed("empty permissive clause".into()));
            }
            if p.clause_family(*c).is_none() {
                return Err(LabelError::Malformed(format!(
                    "permissive clause {:?} mixes families",
                    c.names()
                )));
            }
        }
        if spec.permissive.len() > MAX_CLAUSES {
            return Err(LabelError::TooManyClauses);
        }
        let permissive = Clauses::normalize(spec.permissive, p)
            .ok_or_else(|| LabelError::Malformed("empty permissive clause".into()))?;
        let originators = if spec.controls.intersects(p.originator_controls()) {
            let o = spec.originators.unwrap_or(spec.owner);
            if !o.is_subset(spec.owner) {
                return Err(LabelError::BadOriginators);
            }
            o
        } else {
            if spec.originators.is_some_and(|o| !o.is_empty()) {
                return Err(LabelError::BadOriginators);
            }
            NationSet::EMPTY
        };
        Ok(Label {
            classification,
            owner: spec.owner,
            rel_to: normal_rel_to(classification, spec.owner, spec.rel_to, noforn),
            restrictive: spec.restrictive,
            permissive,
            informative: spec.informative,
            controls: spec.controls,
            noforn,
            originators,
            provenance: spec.provenance,
        })
    }

    /// `UNCLASSIFIED` owned by `owner`, with no dissemination control: releasable to
    /// every nation known to the policy.
    pub fn unclassified_public(owner: Nation) -> Self {
        Label::new(
            Classification::Unclassified,
            NationSet::single(owner),
            NationSet::EMPTY,
            false,
        )
        .expect("owner is a nation of the policy")
    }

    /// `level//REL TO owner, others...`.
    pub fn rel_to(level: Classification, owner: Nation, others: &[Nation]) -> Self {
        let mut rel = NationSet::single(owner);
        for n in others {
            rel.insert(*n);
        }
        Label::new(level, NationSet::single(owner), rel, false)
            .expect("nations of the policy, REL TO includes the owner")
    }

    /// The same label with `provenance` (replacing any).
    pub fn with_provenance(mut self, provenance: Provenance) -> Self {
        self.provenance = provenance;
        self
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
    pub fn restrictive(&self) -> CategorySet {
        self.restrictive
    }
    pub fn permissive(&self) -> &Clauses {
        &self.permissive
    }
    pub fn informative(&self) -> CategorySet {
        self.informative
    }
    /// Dissemination controls, NOFORN included.
    pub fn controls(&self) -> ControlSet {
        self.controls
    }
    /// Nations whose subjects an originator exemption (ORCON) covers.
    pub fn originators(&self) -> NationSet {
        self.originators
    }
    pub fn provenance(&self) -> &Provenance {
        &self.provenance
    }

    /// The label as a [`LabelSpec`] (for building a variant of it).
    pub fn to_spec(&self) -> LabelSpec {
        LabelSpec {
            classification: Some(self.classification),
            owner: self.owner,
            rel_to: self.rel_to,
            restrictive: self.restrictive,
            permissive: self.permissive.iter().collect(),
            informative: self.informative,
            controls: self.controls,
            originators: self
                .controls
                .intersects(policy::active().originator_controls())
                .then_some(self.originators),
            provenance: self.provenance.clone(),
        }
    }

    /// Nations this label lets see the record: the owners when NOFORN, or when a
    /// classified label has no REL TO; every nation for UNCLASSIFIED without REL TO;
    /// otherwise REL TO (which contains the owners). Empty for a product nobody may see.
    pub fn releasable_to(&self) -> NationSet {
        if self.noforn {
            self.owner
        } else if !self.rel_to.is_empty() {
            self.rel_to
        } else if self.classification == Classification::Unclassified && !self.owner.is_empty() {
            NationSet::ALL
        } else {
            self.owner
        }
    }

    /// Lattice join: highest level; releasability intersected (NOFORN dominates);
    /// restrictive, informative and control sets unioned; permissive clauses conjoined;
    /// ORCON originators intersected; provenance unioned. Owners of the product are the
    /// input owners that may still see it (a producer that contributed to a product it
    /// may not see is a source, not an owner); when nobody may see the product its owner
    /// set is empty and [`allow`] denies everyone. Never less restrictive than an input,
    /// for any subject and any action (property-tested).
    pub fn join(&self, other: &Label) -> Label {
        let p = policy::active();
        let audience = self.releasable_to().intersection(other.releasable_to());
        let mut noforn = self.noforn || other.noforn;
        let classification = self.classification.max(other.classification);
        let mut controls = self.controls.union(other.controls);
        let mut owner = self.owner.union(other.owner).intersection(audience);
        // Fast paths first: fusion joins on every update and most labels have no clauses.
        let clauses = if other.permissive.is_empty() || self.permissive == other.permissive {
            Some(self.permissive)
        } else if self.permissive.is_empty() {
            Some(other.permissive)
        } else {
            Clauses::normalize(
                self.permissive
                    .iter()
                    .chain(other.permissive.iter())
                    .collect(),
                p,
            )
        };
        let permissive = match clauses {
            Some(c) => c,
            None => {
                // Clause merging left a clause no one can meet: say so plainly,
                // releasable to nobody.
                noforn = true;
                controls = controls.union(p.noforn_control());
                owner = NationSet::EMPTY;
                Clauses::default()
            }
        };
        let originators = if controls.intersects(p.originator_controls()) {
            let of = |l: &Label| {
                if l.controls.intersects(p.originator_controls()) {
                    l.originators
                } else {
                    NationSet::ALL
                }
            };
            of(self).intersection(of(other)).intersection(owner)
        } else {
            NationSet::EMPTY
        };
        Label {
            classification,
            owner,
            // A join of owner-only labels stays owner-only: it writes no REL TO of its own.
            rel_to: if !classification_public(classification)
                && self.rel_to.is_empty()
                && other.rel_to.is_empty()
                && audience == owner
            {
                NationSet::EMPTY
            } else {
                normal_rel_to(classification, owner, audience, noforn)
            },
            restrictive: self.restrictive.union(other.restrictive),
            permissive,
            informative: self.informative.union(other.informative),
            controls,
            noforn,
            originators,
            provenance: self.provenance.union(&other.provenance),
        }
    }

    /// Does `self` restrict at least as much as `other` (`self` dominates `other`)?
    pub fn dominates(&self, other: &Label) -> bool {
        let p = policy::active();
        let oc = |l: &Label| l.controls.intersects(p.originator_controls());
        self.classification >= other.classification
            && self.releasable_to().is_subset(other.releasable_to())
            && (self.noforn || !other.noforn)
            && other.restrictive.is_subset(self.restrictive)
            && self.controls.contains(other.controls)
            && other
                .permissive
                .iter()
                .all(|o| self.permissive.iter().any(|s| s.is_subset(o)))
            && (!oc(other) || self.originators.is_subset(other.originators))
    }

    /// The marking string, e.g. `SECRET//SI//COI MDA, MW//ORCON//REL TO USA, JPN`.
    /// Grammar (docs/SECURITY.md): level, then `//`-separated blocks in this order:
    /// restrictive categories joined by `/`; one block per permissive clause, `FAMILY
    /// CAT, CAT`; informative categories joined by `/`; each control in policy order
    /// (NOFORN included); `REL TO` with USA first, then trigraphs alphabetically.
    pub fn marking(&self) -> String {
        let p = policy::active();
        let mut s = self.classification.as_str().to_string();
        if !self.restrictive.is_empty() {
            s.push_str("//");
            s.push_str(&self.restrictive.names().join("/"));
        }
        for c in self.permissive.iter() {
            s.push_str("//");
            if let Some(f) = p.clause_family(c) {
                s.push_str(&p.families()[f]);
                s.push(' ');
            }
            s.push_str(&c.names().join(", "));
        }
        if !self.informative.is_empty() {
            s.push_str("//");
            s.push_str(&self.informative.names().join("/"));
        }
        for c in self.controls.names() {
            s.push_str("//");
            s.push_str(c);
        }
        if !self.rel_to.is_empty() {
            s.push_str("//REL TO ");
            s.push_str(&self.rel_to.marking_list());
        }
        s
    }

    /// Parse a marking string strictly (grammar at [`Label::marking`]). Owners are not
    /// written in a marking, so the caller (the feed's configuration) supplies them.
    pub fn parse_marking(s: &str, owner: NationSet) -> Result<Label, LabelError> {
        let p = policy::active();
        if let Some(c) = s.chars().find(|c| {
            !(c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, ' ' | '/' | ',' | '-'))
        }) {
            return Err(LabelError::BadCharacter(c));
        }
        let mut blocks = s.split("//");
        let level = Classification::parse(blocks.next().unwrap_or_default())?;
        let mut spec = LabelSpec::new(level, owner);
        // Stages: 1 restrictive, 2 permissive, 3 informative, 4 controls, 5 REL TO.
        let mut stage = 0u8;
        let mut last_control: Option<usize> = None;
        let mut advance = |to: u8, block: &str, repeatable: bool| {
            if to < stage || (to == stage && !repeatable) {
                Err(LabelError::OutOfOrder(block.to_string()))
            } else {
                stage = to;
                Ok(())
            }
        };
        for block in blocks {
            if block.is_empty()
                || block.starts_with(' ')
                || block.ends_with(' ')
                || block.contains("  ")
            {
                return Err(LabelError::Malformed(s.to_string()));
            }
            if let Some(list) = block.strip_prefix("REL TO ") {
                advance(5, block, false)?;
                let mut seen: Vec<&str> = Vec::new();
                for tok in list.split(", ") {
                    if seen.contains(&tok) {
                        return Err(LabelError::Duplicate(tok.to_string()));
                    }
                    seen.push(tok);
                    let set = match p.group(tok) {
                        Some(g) => g,
                        None => {
                            let n = Nation::parse(tok)?;
                            if !p.nations().contains(n) {
                                return Err(LabelError::UnknownNation(tok.to_string()));
                            }
                            NationSet::single(n)
                        }
                    };
                    spec.rel_to = spec.rel_to.union(set);
                }
            } else if let Some(i) = p.control_index(block) {
                advance(4, block, true)?;
                if last_control.is_some_and(|l| i <= l) {
                    return Err(LabelError::OutOfOrder(block.to_string()));
                }
                last_control = Some(i);
                spec.controls = spec.controls.union(ControlSet(1 << i));
            } else if let Some(f) = block.split_once(' ').and_then(|(f, _)| p.family_index(f)) {
                advance(2, block, true)?;
                let list = &block[p.families()[f].len() + 1..];
                let mut clause = CategorySet::EMPTY;
                for tok in list.split(", ") {
                    let i = p
                        .category_index(tok)
                        .ok_or_else(|| LabelError::UnknownCategory(tok.to_string()))?;
                    if !p.family_mask(f).intersects(CategorySet(1 << i)) {
                        return Err(LabelError::WrongKind {
                            name: tok.to_string(),
                            kind: kind_name(p.categories()[i].kind),
                            hint: "a permissive clause lists categories of its own family",
                        });
                    }
                    if clause.intersects(CategorySet(1 << i)) {
                        return Err(LabelError::Duplicate(tok.to_string()));
                    }
                    clause = clause.union(CategorySet(1 << i));
                }
                if spec.permissive.contains(&clause) {
                    return Err(LabelError::Duplicate(block.to_string()));
                }
                spec.permissive.push(clause);
            } else {
                let toks: Vec<&str> = block.split('/').collect();
                let first = toks[0];
                let Some(i0) = p.category_index(first) else {
                    return Err(if toks.len() > 1 {
                        LabelError::UnknownCategory(first.to_string())
                    } else {
                        LabelError::UnknownBlock(block.to_string())
                    });
                };
                let kind = p.categories()[i0].kind;
                let mut set = CategorySet::EMPTY;
                for tok in &toks {
                    let i = p
                        .category_index(tok)
                        .ok_or_else(|| LabelError::UnknownCategory(tok.to_string()))?;
                    let k = p.categories()[i].kind;
                    if k != kind || k == CategoryKind::Permissive {
                        return Err(LabelError::WrongKind {
                            name: tok.to_string(),
                            kind: kind_name(k),
                            hint: kind_hint(k),
                        });
                    }
                    if set.intersects(CategorySet(1 << i)) {
                        return Err(LabelError::Duplicate(tok.to_string()));
                    }
                    set = set.union(CategorySet(1 << i));
                }
                if kind == CategoryKind::Restrictive {
                    advance(1, block, false)?;
                    spec.restrictive = set;
                } else {
                    advance(3, block, false)?;
                    spec.informative = set;
                }
            }
        }
        Label::from_spec(spec)
    }
}

fn kind_name(k: CategoryKind) -> &'static str {
    match k {
        CategoryKind::Restrictive => "restrictive",
        CategoryKind::Permissive => "permissive",
        CategoryKind::Informative => "informative",
    }
}

fn kind_hint(k: CategoryKind) -> &'static str {
    match k {
        CategoryKind::Restrictive => {
            "restrictive categories go in the first block after the level, joined by '/'"
        }
        CategoryKind::Permissive => "write it in its family clause, e.g. \"COI MDA, MW\"",
        CategoryKind::Informative => {
            "informative categories go in their own block after the permissive clauses"
        }
    }
}

/// One meaning, one form: UNCLASSIFIED releasable to every nation of the policy is written
/// without REL TO.
fn normal_rel_to(
    level: Classification,
    owner: NationSet,
    rel_to: NationSet,
    noforn: bool,
) -> NationSet {
    if noforn {
        NationSet::EMPTY
    } else if level == Classification::Unclassified {
        if policy::active().nations().is_subset(rel_to) && !owner.is_empty() {
            NationSet::EMPTY
        } else {
            rel_to
        }
    } else {
        rel_to
    }
}

fn classification_public(level: Classification) -> bool {
    level == Classification::Unclassified
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.marking())
    }
}

/// The JSON form: `{"policy": "biac-coalition@2026.11", "classification": "SECRET",
/// "owner": ["USA"], "rel_to": ["USA","JPN"], "noforn": false}` plus, when not empty,
/// `restrictive`, `permissive` (a list of clauses), `informative`, `controls` (NOFORN is
/// the `noforn` flag), `originators`, `provenance`, `provenance_truncated`. Unknown fields
/// are errors; `policy` may be omitted (older records) but must match when given.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelWire {
    #[serde(default)]
    policy: Option<String>,
    classification: Classification,
    owner: NationSet,
    #[serde(default)]
    rel_to: NationSet,
    #[serde(default)]
    noforn: bool,
    #[serde(default)]
    restrictive: Vec<String>,
    #[serde(default)]
    permissive: Vec<Vec<String>>,
    #[serde(default)]
    informative: Vec<String>,
    #[serde(default)]
    controls: Vec<String>,
    #[serde(default)]
    originators: Option<NationSet>,
    #[serde(default)]
    provenance: Vec<String>,
    #[serde(default)]
    provenance_truncated: bool,
    /// Set on the wire only for a label a join left without an owner (see
    /// [`Label::join`]): such a label is read back as written; anywhere else an empty
    /// owner is refused.
    #[serde(default)]
    joined_without_owner: bool,
}

impl LabelWire {
    fn into_label(self) -> Result<Label, LabelError> {
        let p = policy::active();
        if let Some(tag) = &self.policy {
            if *tag != p.tag() {
                return Err(LabelError::UnknownPolicy(tag.clone(), p.tag()));
            }
        }
        let mut spec = LabelSpec::new(self.classification, self.owner);
        spec.rel_to = self.rel_to;
        spec.restrictive = CategorySet::parse_names(&self.restrictive)?;
        spec.informative = CategorySet::parse_names(&self.informative)?;
        for c in &self.permissive {
            spec.permissive.push(CategorySet::parse_names(c)?);
        }
        spec.controls = ControlSet::parse_names(&self.controls)?;
        if self.noforn {
            if spec.controls.intersects(p.noforn_control()) {
                return Err(LabelError::Duplicate("NOFORN".into()));
            }
            spec.controls = spec.controls.union(p.noforn_control());
        }
        spec.originators = self.originators;
        let mut prov = Provenance::new(&self.provenance)?;
        if prov.len() != self.provenance.len() {
            return Err(LabelError::Duplicate("provenance source".into()));
        }
        if self.provenance_truncated {
            prov.truncated = true;
        }
        spec.provenance = prov;
        Label::checked(spec, self.joined_without_owner)
    }
}

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        LabelWire::deserialize(d)?
            .into_label()
            .map_err(serde::de::Error::custom)
    }
}

#[derive(Serialize)]
struct LabelOut<'a> {
    policy: String,
    classification: Classification,
    owner: NationSet,
    rel_to: NationSet,
    noforn: bool,
    #[serde(skip_serializing_if = "no_categories")]
    restrictive: CategorySet,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    permissive: &'a [CategorySet],
    #[serde(skip_serializing_if = "no_categories")]
    informative: CategorySet,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    controls: Vec<&'static str>,
    /// Present whenever an originator control is (it may be empty after a join).
    #[serde(skip_serializing_if = "Option::is_none")]
    originators: Option<NationSet>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    provenance: Vec<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    provenance_truncated: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    joined_without_owner: bool,
}

fn no_categories(s: &CategorySet) -> bool {
    s.is_empty()
}

impl Serialize for Label {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = policy::active();
        LabelOut {
            policy: p.tag(),
            classification: self.classification,
            owner: self.owner,
            rel_to: self.rel_to,
            noforn: self.noforn,
            restrictive: self.restrictive,
            permissive: self.permissive.as_slice(),
            informative: self.informative,
            controls: self.controls.without(p.noforn_control()).names(),
            originators: self
                .controls
                .intersects(p.originator_controls())
                .then_some(self.originators),
            provenance: self.provenance.ids().collect(),
            provenance_truncated: self.provenance.truncated,
            joined_without_owner: self.owner.is_empty(),
        }
        .serialize(s)
    }
}

/// What a subject holds besides nationality and clearance.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(deny_unknown_fields)]
pub struct Holdings {
    /// Categories (restrictive and permissive) the subject is read into.
    #[serde(default)]
    pub categories: CategorySet,
    /// A designated disclosure official (may forward RELIDO material).
    #[serde(default)]
    pub releasing_official: bool,
}

impl Holdings {
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty() && !self.releasing_official
    }
}

/// Who is asking: a nation, a clearance and holdings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Subject {
    pub nation: Nation,
    pub clearance: Classification,
    #[serde(default, skip_serializing_if = "Holdings::is_empty")]
    pub holdings: Holdings,
}

impl Subject {
    /// A subject with no category holdings and no official role.
    pub const fn new(nation: Nation, clearance: Classification) -> Self {
        Subject {
            nation,
            clearance,
            holdings: Holdings {
                categories: CategorySet::EMPTY,
                releasing_official: false,
            },
        }
    }
    pub const fn with_holdings(mut self, holdings: Holdings) -> Self {
        self.holdings = holdings;
        self
    }
}

/// May `subject` view the record? The same as `allow_action(subject, Action::View, label)`.
pub fn allow(subject: &Subject, label: &Label) -> bool {
    allow_action(subject, Action::View, label)
}

/// The release decision. Every egress point calls this (or its compiled form) and
/// nothing else: the clearance dominates the level, the subject's nation is one the
/// label is releasable to (and one of the policy), every restrictive category is held,
/// each permissive clause is met by a held category, and no dissemination control forbids
/// `action` (unless the subject is exempt: an originator for ORCON, the releasing
/// official for RELIDO).
pub fn allow_action(subject: &Subject, action: Action, label: &Label) -> bool {
    let p = policy::active();
    let held = subject.holdings.categories;
    subject.clearance >= label.classification
        && p.nations().contains(subject.nation)
        && label.releasable_to().contains(subject.nation)
        && label.restrictive.is_subset(held)
        && label.permissive.iter().all(|c| c.intersects(held))
        && p.controls_permit(
            label.controls,
            action,
            label.originators.contains(subject.nation),
            subject.holdings.releasing_official,
        )
}

#[cfg(test)]
mod tests;
