//! Compiled labels: the per-record check as a handful of bit operations.
//!
//! A [`LabelInterner`] maps each distinct label (provenance aside: it does not affect
//! access) to a [`LabelId`] and a [`CompiledLabel`] — nations, categories and the
//! per-action effect of the dissemination controls as bitmasks. A record can then carry
//! a `u32` and the egress check never hashes or allocates.

use std::collections::HashMap;

use crate::policy::{self, Action};
use crate::{Label, Subject, MAX_CLAUSES};

/// An interned label: an index into its [`LabelInterner`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LabelId(pub u32);

/// A label reduced to what the decision reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CompiledLabel {
    level: u8,
    n_clauses: u8,
    /// Bit per action: forbidden outright / unless originator / unless releasing official.
    forbid: u8,
    forbid_unless_originator: u8,
    forbid_unless_official: u8,
    /// Nations that may see it (already intersected with the policy's nations).
    release: u64,
    originators: u64,
    restrictive: u64,
    clauses: [u64; MAX_CLAUSES],
}

/// A subject reduced to what the decision reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CompiledSubject {
    level: u8,
    official: bool,
    /// The subject's nation bit; 0 (denies everything) when the nation is not in the policy.
    nation: u64,
    holdings: u64,
}

impl CompiledSubject {
    pub fn new(s: &Subject) -> Self {
        let p = policy::active();
        CompiledSubject {
            level: s.clearance as u8,
            official: s.holdings.releasing_official,
            nation: if p.nations().contains(s.nation) {
                1 << s.nation as u64
            } else {
                0
            },
            holdings: s.holdings.categories.bits(),
        }
    }
}

impl CompiledLabel {
    pub fn new(l: &Label) -> Self {
        let p = policy::active();
        let controls = l.controls();
        let mut forbid = 0u8;
        let mut orig = 0u8;
        let mut off = 0u8;
        for a in Action::ALL {
            let bit = 1u8 << a as u8;
            if !p.controls_permit(controls, a, true, true) {
                forbid |= bit;
            }
            if !p.controls_permit(controls, a, false, true) {
                orig |= bit;
            }
            if !p.controls_permit(controls, a, true, false) {
                off |= bit;
            }
        }
        let mut clauses = [0u64; MAX_CLAUSES];
        for (k, c) in l.permissive().iter().enumerate() {
            clauses[k] = c.bits();
        }
        CompiledLabel {
            level: l.classification() as u8,
            n_clauses: l.permissive().len() as u8,
            forbid,
            forbid_unless_originator: orig,
            forbid_unless_official: off,
            release: l.releasable_to().bits() & p.nations().bits(),
            originators: l.originators().bits(),
            restrictive: l.restrictive().bits(),
            clauses,
        }
    }

    /// The decision of [`crate::allow_action`], on bits.
    #[inline]
    pub fn allow(&self, s: &CompiledSubject, action: Action) -> bool {
        let a = 1u8 << action as u8;
        let mut ok = (s.level >= self.level)
            & (self.release & s.nation != 0)
            & (self.restrictive & !s.holdings == 0)
            & (self.forbid & a == 0)
            & ((self.forbid_unless_originator & a == 0) | (self.originators & s.nation != 0))
            & ((self.forbid_unless_official & a == 0) | s.official);
        for c in &self.clauses[..self.n_clauses as usize] {
            ok &= c & s.holdings != 0;
        }
        ok
    }
}

/// Labels to ids and compiled forms, for one process (one active policy).
#[derive(Default, Debug)]
pub struct LabelInterner {
    ids: HashMap<Label, LabelId>,
    labels: Vec<Label>,
    compiled: Vec<CompiledLabel>,
}

impl LabelInterner {
    pub fn new() -> Self {
        Self::default()
    }

    /// The id of `label`'s access part (provenance is not interned: it does not change
    /// the decision and would make every fused product distinct).
    pub fn intern(&mut self, label: &Label) -> LabelId {
        let key = if label.provenance().is_empty() {
            label.clone()
        } else {
            label.clone().with_provenance(crate::Provenance::NONE)
        };
        if let Some(id) = self.ids.get(&key) {
            return *id;
        }
        let id = LabelId(u32::try_from(self.labels.len()).expect("fewer than 2^32 labels"));
        self.compiled.push(CompiledLabel::new(&key));
        self.labels.push(key.clone());
        self.ids.insert(key, id);
        id
    }

    pub fn get(&self, id: LabelId) -> Option<&CompiledLabel> {
        self.compiled.get(id.0 as usize)
    }
    /// The interned label (without provenance).
    pub fn label(&self, id: LabelId) -> Option<&Label> {
        self.labels.get(id.0 as usize)
    }
    pub fn len(&self) -> usize {
        self.labels.len()
    }
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The decision for an interned label; an id this interner did not issue denies.
    #[inline]
    pub fn allow(&self, s: &CompiledSubject, action: Action, id: LabelId) -> bool {
        self.compiled
            .get(id.0 as usize)
            .is_some_and(|c| c.allow(s, action))
    }
}
