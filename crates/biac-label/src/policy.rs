//! The policy registry: a versioned JSON file (`policy/biac-policy.json`, embedded) that
//! names the levels, national equivalents, nations and groups, categories and
//! dissemination controls. Labels refer to categories and controls by bit position in
//! the *active* policy, so one process runs under one policy: the embedded one, or one
//! installed from a file with [`install`] before the first label is made.
//!
//! Levels and nations are closed sets in code (other crates name `Classification::Secret`
//! and `Nation::JPN`), so the file must agree with them; everything else is data.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::{Classification, Nation, NationSet};

/// The embedded default policy.
pub const EMBEDDED_POLICY: &str = include_str!("../policy/biac-policy.json");

/// What a subject wants to do with a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// See it (a query answer, the COP on screen). What [`crate::allow`] decides.
    View,
    /// Take it away as a file (CSV, KML, a report).
    Export,
    /// Retransmit it out of the system under the subject's own authority (a partner
    /// gateway, a relay to another nation's network).
    Forward,
    /// A standing machine-to-machine feed into another system (a C2 or TAK server) that
    /// may store it.
    Subscribe,
}

impl Action {
    pub const ALL: [Action; 4] = [
        Action::View,
        Action::Export,
        Action::Forward,
        Action::Subscribe,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Action::View => "view",
            Action::Export => "export",
            Action::Forward => "forward",
            Action::Subscribe => "subscribe",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who a dissemination control lets do the actions it limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exempt {
    /// Nobody.
    None,
    /// A subject of an originating nation (the label's `originators`).
    Originator,
    /// A subject holding the designated-disclosure-official role.
    ReleasingOfficial,
}

/// How a category constrains a subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CategoryKind {
    /// The subject must hold every restrictive category on the label.
    Restrictive,
    /// The subject must hold at least one category of each permissive clause.
    Permissive,
    /// Carried and rendered; no effect on access.
    Informative,
}

/// A set of categories of the active policy, as a bitmask (at most 64 categories).
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CategorySet(pub(crate) u64);

impl CategorySet {
    pub const EMPTY: CategorySet = CategorySet(0);
    pub fn bits(self) -> u64 {
        self.0
    }
    pub fn from_bits(bits: u64) -> Self {
        CategorySet(bits)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn union(self, o: Self) -> Self {
        CategorySet(self.0 | o.0)
    }
    pub fn intersection(self, o: Self) -> Self {
        CategorySet(self.0 & o.0)
    }
    pub fn intersects(self, o: Self) -> bool {
        self.0 & o.0 != 0
    }
    pub fn is_subset(self, o: Self) -> bool {
        self.0 & !o.0 == 0
    }
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }
    /// Bit positions, ascending (= policy order).
    pub fn indices(self) -> impl Iterator<Item = usize> {
        (0..64).filter(move |i| self.0 & (1 << i) != 0)
    }
    /// Parse names under the active policy.
    pub fn parse_names<S: AsRef<str>>(names: &[S]) -> Result<Self, crate::LabelError> {
        let p = active();
        let mut s = CategorySet::EMPTY;
        for n in names {
            let i = p
                .category_index(n.as_ref())
                .ok_or_else(|| crate::LabelError::UnknownCategory(n.as_ref().to_string()))?;
            if s.0 & (1 << i) != 0 {
                return Err(crate::LabelError::Duplicate(n.as_ref().to_string()));
            }
            s.0 |= 1 << i;
        }
        Ok(s)
    }
    /// Names under the active policy, in policy order.
    pub fn names(self) -> Vec<&'static str> {
        let p = active();
        self.indices()
            .filter_map(|i| p.categories.get(i).map(|c| c.name.as_str()))
            .collect()
    }
}

impl fmt::Debug for CategorySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.names())
    }
}

impl Serialize for CategorySet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.names())
    }
}

impl<'de> Deserialize<'de> for CategorySet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: Vec<String> = Vec::deserialize(d)?;
        CategorySet::parse_names(&v).map_err(serde::de::Error::custom)
    }
}

/// A set of dissemination controls of the active policy, as a bitmask (at most 32).
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ControlSet(pub(crate) u32);

impl ControlSet {
    pub const EMPTY: ControlSet = ControlSet(0);
    pub fn bits(self) -> u32 {
        self.0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn union(self, o: Self) -> Self {
        ControlSet(self.0 | o.0)
    }
    pub fn intersects(self, o: Self) -> bool {
        self.0 & o.0 != 0
    }
    pub fn contains(self, o: Self) -> bool {
        self.0 & o.0 == o.0
    }
    pub fn without(self, o: Self) -> Self {
        ControlSet(self.0 & !o.0)
    }
    pub fn indices(self) -> impl Iterator<Item = usize> {
        (0..32).filter(move |i| self.0 & (1 << i) != 0)
    }
    /// One control of the active policy by name (`ORCON`, `DISPLAY ONLY`).
    pub fn named(name: &str) -> Result<Self, crate::LabelError> {
        active()
            .control_index(name)
            .map(|i| ControlSet(1 << i))
            .ok_or_else(|| crate::LabelError::UnknownControl(name.to_string()))
    }
    pub fn parse_names<S: AsRef<str>>(names: &[S]) -> Result<Self, crate::LabelError> {
        let mut s = ControlSet::EMPTY;
        for n in names {
            let c = ControlSet::named(n.as_ref())?;
            if s.intersects(c) {
                return Err(crate::LabelError::Duplicate(n.as_ref().to_string()));
            }
            s = s.union(c);
        }
        Ok(s)
    }
    pub fn names(self) -> Vec<&'static str> {
        let p = active();
        self.indices()
            .filter_map(|i| p.controls.get(i).map(|c| c.name.as_str()))
            .collect()
    }
}

impl fmt::Debug for ControlSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.names())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("policy file: {0}")]
    Json(String),
    #[error("policy: {0}")]
    Invalid(String),
    #[error("policy: cannot read {path}: {err}")]
    Io { path: String, err: String },
    #[error("a different policy ({0}) is already active")]
    AlreadyActive(String),
}

fn invalid(s: impl Into<String>) -> PolicyError {
    PolicyError::Invalid(s.into())
}

// ---- the file, as written (strict: unknown keys and duplicate fields are errors) ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    policy_id: String,
    version: String,
    #[serde(default)]
    description: String,
    levels: Vec<RawLevel>,
    #[serde(default)]
    organisations: Vec<String>,
    #[serde(default)]
    equivalences: Vec<RawEquivalence>,
    nations: Vec<RawNation>,
    #[serde(default)]
    groups: Vec<RawGroup>,
    #[serde(default)]
    families: Vec<RawFamily>,
    #[serde(default)]
    categories: Vec<RawCategory>,
    controls: Vec<RawControl>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevel {
    name: String,
    rank: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEquivalence {
    authority: String,
    #[serde(default)]
    source: String,
    levels: Vec<RawEquivalentLevel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEquivalentLevel {
    level: String,
    names: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNation {
    code: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    name: String,
    members: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFamily {
    name: String,
    #[serde(default)]
    #[allow(dead_code)] // documentation in the file
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    name: String,
    #[serde(rename = "type")]
    kind: CategoryKind,
    #[serde(default)]
    family: Option<String>,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    name: String,
    limits: Vec<Action>,
    exempt: Exempt,
    #[serde(default)]
    owners_only: bool,
    #[serde(default)]
    description: String,
}

// ---- the compiled policy ----

#[derive(Debug, Clone)]
pub struct CategoryDef {
    pub name: String,
    pub kind: CategoryKind,
    /// Index into [`Policy::families`] for permissive categories.
    pub family: Option<usize>,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct ControlDef {
    pub name: String,
    pub limits: Vec<Action>,
    pub exempt: Exempt,
    pub owners_only: bool,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct Equivalence {
    /// A nation trigraph or a declared organisation (`NATO`).
    pub authority: String,
    pub source: String,
    /// National marking name → coalition level.
    pub names: Vec<(String, Classification)>,
}

/// A loaded, checked policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) id: String,
    pub(crate) version: String,
    pub(crate) description: String,
    pub(crate) equivalences: Vec<Equivalence>,
    pub(crate) nations: NationSet,
    pub(crate) nation_names: Vec<(Nation, String)>,
    pub(crate) groups: Vec<(String, NationSet)>,
    pub(crate) families: Vec<String>,
    pub(crate) categories: Vec<CategoryDef>,
    pub(crate) controls: Vec<ControlDef>,
    pub(crate) restrictive: CategorySet,
    pub(crate) permissive: CategorySet,
    pub(crate) informative: CategorySet,
    pub(crate) family_masks: Vec<CategorySet>,
    /// The NOFORN control (the one `owners_only` control).
    pub(crate) noforn: ControlSet,
    /// Controls exempting originators (their labels carry `originators`).
    pub(crate) originator_controls: ControlSet,
    /// Per action (index `Action as usize`): controls forbidding it outright, unless
    /// originator, unless releasing official.
    pub(crate) forbid_always: [ControlSet; 4],
    pub(crate) forbid_unless_originator: [ControlSet; 4],
    pub(crate) forbid_unless_official: [ControlSet; 4],
}

/// Upper-case ASCII letters, digits and single inner spaces or hyphens: the only
/// characters a name in the registry may use, so it can appear in a marking unambiguously.
fn check_name(what: &str, s: &str, spaces: bool, extra: &[char]) -> Result<(), PolicyError> {
    let ok_char = |c: char| {
        c.is_ascii_uppercase()
            || c.is_ascii_digit()
            || c == '-'
            || extra.contains(&c)
            || (spaces && c == ' ')
    };
    if s.is_empty()
        || !s.chars().all(ok_char)
        || s.starts_with([' ', '-'])
        || s.ends_with([' ', '-'])
        || s.contains("  ")
    {
        return Err(invalid(format!(
            "{what} name {s:?} is not upper-case ASCII"
        )));
    }
    Ok(())
}

impl Policy {
    /// The embedded default policy.
    pub fn embedded() -> Policy {
        Policy::from_json(EMBEDDED_POLICY).expect("the embedded policy is valid (tested)")
    }

    pub fn from_path(path: impl AsRef<std::path::Path>) -> Result<Policy, PolicyError> {
        let p = path.as_ref();
        let text = std::fs::read_to_string(p).map_err(|e| PolicyError::Io {
            path: p.display().to_string(),
            err: e.to_string(),
        })?;
        Policy::from_json(&text)
    }

    /// Parse and check a policy. Everything unknown, duplicated or out of order is an error.
    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        let raw: RawPolicy =
            serde_json::from_str(text).map_err(|e| PolicyError::Json(e.to_string()))?;
        check_name("policy_id", &raw.policy_id.to_ascii_uppercase(), false, &[])?;
        if raw.version.is_empty()
            || !raw
                .version
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.')
        {
            return Err(invalid(format!(
                "version {:?} must be ASCII letters, digits and dots",
                raw.version
            )));
        }
        // Every name lives in one namespace, so a marking token means one thing.
        let mut names: BTreeSet<String> = ["REL", "REL TO"].iter().map(|s| s.to_string()).collect();
        let mut unique = |kind: &str, n: &str| -> Result<(), PolicyError> {
            if names.insert(n.to_string()) {
                Ok(())
            } else {
                Err(invalid(format!(
                    "duplicate or reserved name {n:?} ({kind})"
                )))
            }
        };

        // Levels: exactly the compiled ladder, ranks strictly increasing.
        if raw.levels.len() != Classification::ALL.len() {
            return Err(invalid(format!(
                "expected {} levels ({}), found {}",
                Classification::ALL.len(),
                Classification::ALL.map(|c| c.as_str()).join(", "),
                raw.levels.len()
            )));
        }
        let mut last_rank = None;
        for (l, want) in raw.levels.iter().zip(Classification::ALL) {
            check_name("level", &l.name, true, &[])?;
            unique("level", &l.name)?;
            if l.name != want.as_str() {
                return Err(invalid(format!(
                    "level {:?} where {:?} was expected (levels must be listed lowest first)",
                    l.name,
                    want.as_str()
                )));
            }
            if last_rank.is_some_and(|r| l.rank <= r) {
                return Err(invalid(format!("level {:?}: ranks must increase", l.name)));
            }
            last_rank = Some(l.rank);
        }

        // Nations: known trigraphs, each once.
        let mut nations = NationSet::EMPTY;
        let mut nation_names = Vec::new();
        for n in &raw.nations {
            let nat = Nation::parse(&n.code).map_err(|_| {
                invalid(format!(
                    "unknown nation {:?} (not an ISO 3166 trigraph the code knows)",
                    n.code
                ))
            })?;
            unique("nation", &n.code)?;
            nations.insert(nat);
            nation_names.push((nat, n.name.clone()));
        }
        let nation_in_policy = |code: &str| -> Result<Nation, PolicyError> {
            Nation::parse(code)
                .ok()
                .filter(|n| nations.contains(*n))
                .ok_or_else(|| invalid(format!("unknown nation {code:?}")))
        };

        let mut groups = Vec::new();
        for g in &raw.groups {
            check_name("group", &g.name, false, &[])?;
            unique("group", &g.name)?;
            let mut set = NationSet::EMPTY;
            for m in &g.members {
                let n = nation_in_policy(m)?;
                if set.contains(n) {
                    return Err(invalid(format!("group {:?} lists {m:?} twice", g.name)));
                }
                set.insert(n);
            }
            if set.is_empty() {
                return Err(invalid(format!("group {:?} is empty", g.name)));
            }
            groups.push((g.name.clone(), set));
        }

        let mut orgs = BTreeSet::new();
        for o in &raw.organisations {
            check_name("organisation", o, false, &[])?;
            unique("organisation", o)?;
            orgs.insert(o.clone());
        }
        let mut equivalences = Vec::new();
        let mut authorities = BTreeSet::new();
        for e in &raw.equivalences {
            if !orgs.contains(&e.authority) {
                nation_in_policy(&e.authority)?;
            }
            if !authorities.insert(e.authority.clone()) {
                return Err(invalid(format!(
                    "equivalences for {:?} given twice",
                    e.authority
                )));
            }
            let mut seen_levels = BTreeSet::new();
            let mut table: Vec<(String, Classification)> = Vec::new();
            for el in &e.levels {
                let level = Classification::parse(&el.level).map_err(|_| {
                    invalid(format!("{}: unknown level {:?}", e.authority, el.level))
                })?;
                if !seen_levels.insert(level) {
                    return Err(invalid(format!(
                        "{}: level {:?} given twice",
                        e.authority, el.level
                    )));
                }
                if let Some(prev) = table.last() {
                    if prev.1 >= level {
                        return Err(invalid(format!(
                            "{}: levels must be listed lowest first",
                            e.authority
                        )));
                    }
                }
                for n in &el.names {
                    check_name("national level", n, true, &[':'])?;
                    if table.iter().any(|(t, _)| t == n) {
                        return Err(invalid(format!(
                            "{}: national name {n:?} given twice",
                            e.authority
                        )));
                    }
                    table.push((n.clone(), level));
                }
            }
            equivalences.push(Equivalence {
                authority: e.authority.clone(),
                source: e.source.clone(),
                names: table,
            });
        }

        let mut families = Vec::new();
        for f in &raw.families {
            check_name("family", &f.name, false, &[])?;
            unique("family", &f.name)?;
            families.push(f.name.clone());
        }
        if families.len() > crate::MAX_CLAUSES {
            return Err(invalid(format!("at most {} families", crate::MAX_CLAUSES)));
        }
        if raw.categories.len() > 64 {
            return Err(invalid("at most 64 categories"));
        }
        let mut categories = Vec::new();
        let (mut restrictive, mut permissive, mut informative) =
            (CategorySet::EMPTY, CategorySet::EMPTY, CategorySet::EMPTY);
        let mut family_masks = vec![CategorySet::EMPTY; families.len()];
        for (i, c) in raw.categories.iter().enumerate() {
            check_name("category", &c.name, false, &[])?;
            unique("category", &c.name)?;
            let bit = CategorySet(1 << i);
            let family = match (c.kind, &c.family) {
                (CategoryKind::Permissive, Some(f)) => {
                    let fi = families.iter().position(|x| x == f).ok_or_else(|| {
                        invalid(format!("category {:?}: unknown family {f:?}", c.name))
                    })?;
                    family_masks[fi] = family_masks[fi].union(bit);
                    Some(fi)
                }
                (CategoryKind::Permissive, None) => {
                    return Err(invalid(format!(
                        "permissive category {:?} needs a family",
                        c.name
                    )))
                }
                (_, Some(_)) => {
                    return Err(invalid(format!(
                        "only permissive categories have a family ({:?})",
                        c.name
                    )))
                }
                (_, None) => None,
            };
            match c.kind {
                CategoryKind::Restrictive => restrictive = restrictive.union(bit),
                CategoryKind::Permissive => permissive = permissive.union(bit),
                CategoryKind::Informative => informative = informative.union(bit),
            }
            categories.push(CategoryDef {
                name: c.name.clone(),
                kind: c.kind,
                family,
                description: c.description.clone(),
            });
        }
        if let Some(fi) = family_masks.iter().position(|m| m.is_empty()) {
            return Err(invalid(format!(
                "family {:?} has no category",
                families[fi]
            )));
        }

        if raw.controls.len() > 32 {
            return Err(invalid("at most 32 dissemination controls"));
        }
        let mut controls = Vec::new();
        let mut noforn = ControlSet::EMPTY;
        let mut originator_controls = ControlSet::EMPTY;
        let mut forbid_always = [ControlSet::EMPTY; 4];
        let mut forbid_unless_originator = [ControlSet::EMPTY; 4];
        let mut forbid_unless_official = [ControlSet::EMPTY; 4];
        for (i, c) in raw.controls.iter().enumerate() {
            check_name("control", &c.name, true, &[])?;
            unique("control", &c.name)?;
            let bit = ControlSet(1 << i);
            let mut seen = BTreeSet::new();
            for a in &c.limits {
                if !seen.insert(*a) {
                    return Err(invalid(format!("control {:?} limits {a} twice", c.name)));
                }
                let slot = match c.exempt {
                    Exempt::None => &mut forbid_always,
                    Exempt::Originator => &mut forbid_unless_originator,
                    Exempt::ReleasingOfficial => &mut forbid_unless_official,
                };
                slot[*a as usize] = slot[*a as usize].union(bit);
            }
            if c.exempt == Exempt::Originator {
                originator_controls = originator_controls.union(bit);
            }
            if c.owners_only {
                if c.name != "NOFORN" || !c.limits.is_empty() || c.exempt != Exempt::None {
                    return Err(invalid(format!(
                        "control {:?}: only NOFORN is owners_only, and it limits no action",
                        c.name
                    )));
                }
                noforn = bit;
            }
            controls.push(ControlDef {
                name: c.name.clone(),
                limits: c.limits.clone(),
                exempt: c.exempt,
                owners_only: c.owners_only,
                description: c.description.clone(),
            });
        }
        if noforn.is_empty() {
            return Err(invalid("the policy must define NOFORN (owners_only: true)"));
        }

        Ok(Policy {
            id: raw.policy_id,
            version: raw.version,
            description: raw.description,
            equivalences,
            nations,
            nation_names,
            groups,
            families,
            categories,
            controls,
            restrictive,
            permissive,
            informative,
            family_masks,
            noforn,
            originator_controls,
            forbid_always,
            forbid_unless_originator,
            forbid_unless_official,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn version(&self) -> &str {
        &self.version
    }
    /// `id@version`, as written in a label's JSON form.
    pub fn tag(&self) -> String {
        format!("{}@{}", self.id, self.version)
    }
    pub fn description(&self) -> &str {
        &self.description
    }
    pub fn nations(&self) -> NationSet {
        self.nations
    }
    pub fn nation_name(&self, n: Nation) -> Option<&str> {
        self.nation_names
            .iter()
            .find(|(x, _)| *x == n)
            .map(|(_, s)| s.as_str())
    }
    pub fn groups(&self) -> &[(String, NationSet)] {
        &self.groups
    }
    pub fn group(&self, name: &str) -> Option<NationSet> {
        self.groups.iter().find(|(g, _)| g == name).map(|(_, s)| *s)
    }
    pub fn categories(&self) -> &[CategoryDef] {
        &self.categories
    }
    pub fn controls(&self) -> &[ControlDef] {
        &self.controls
    }
    pub fn families(&self) -> &[String] {
        &self.families
    }
    pub fn equivalences(&self) -> &[Equivalence] {
        &self.equivalences
    }
    pub fn category_index(&self, name: &str) -> Option<usize> {
        self.categories.iter().position(|c| c.name == name)
    }
    pub fn control_index(&self, name: &str) -> Option<usize> {
        self.controls.iter().position(|c| c.name == name)
    }
    pub fn family_index(&self, name: &str) -> Option<usize> {
        self.families.iter().position(|f| f == name)
    }
    /// Categories of one family (a permissive clause must lie within one).
    pub fn family_mask(&self, family: usize) -> CategorySet {
        self.family_masks[family]
    }
    pub fn kind_mask(&self, kind: CategoryKind) -> CategorySet {
        match kind {
            CategoryKind::Restrictive => self.restrictive,
            CategoryKind::Permissive => self.permissive,
            CategoryKind::Informative => self.informative,
        }
    }
    /// The NOFORN control bit.
    pub fn noforn_control(&self) -> ControlSet {
        self.noforn
    }
    pub fn originator_controls(&self) -> ControlSet {
        self.originator_controls
    }
    /// The family of a permissive clause (all its categories share one), if any.
    pub(crate) fn clause_family(&self, clause: CategorySet) -> Option<usize> {
        self.family_masks
            .iter()
            .position(|m| !clause.is_empty() && clause.is_subset(*m))
    }

    /// The coalition level of a national marking, e.g. (`JPN`, `GOKUHI`) → SECRET,
    /// (`NATO`, `COSMIC TOP SECRET`) → TOP SECRET. Exact, upper-case names only.
    pub fn level_from_national(&self, authority: &str, name: &str) -> Option<Classification> {
        self.equivalences
            .iter()
            .find(|e| e.authority == authority)?
            .names
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, l)| *l)
    }

    /// Does `controls` let a subject of `nation` (an originator or not) holding the
    /// releasing-official role do `action`?
    #[inline]
    pub(crate) fn controls_permit(
        &self,
        controls: ControlSet,
        action: Action,
        is_originator: bool,
        is_official: bool,
    ) -> bool {
        let a = action as usize;
        !controls.intersects(self.forbid_always[a])
            && (is_originator || !controls.intersects(self.forbid_unless_originator[a]))
            && (is_official || !controls.intersects(self.forbid_unless_official[a]))
    }
}

static ACTIVE: OnceLock<Policy> = OnceLock::new();

/// The active policy: the one installed, else the embedded one.
pub fn active() -> &'static Policy {
    ACTIVE.get_or_init(Policy::embedded)
}

/// Make `policy` the process's policy. Call once at start, before any label is made:
/// labels hold category and control bits of the active policy. Installing the same
/// `id@version` again is a no-op; a different one is an error.
pub fn install(policy: Policy) -> Result<&'static Policy, PolicyError> {
    let tag = policy.tag();
    let p = ACTIVE.get_or_init(|| policy);
    if p.tag() == tag {
        Ok(p)
    } else {
        Err(PolicyError::AlreadyActive(p.tag()))
    }
}
