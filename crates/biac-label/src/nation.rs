use std::fmt;

use serde::{Deserialize, Serialize};

use crate::LabelError;

macro_rules! nations {
    ($($n:ident = $i:expr),* $(,)?) => {
        /// Nations known to the policy, by ISO 3166-1 alpha-3 trigraph.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Nation { $($n = $i),* }
        impl Nation {
            pub const ALL: &'static [Nation] = &[$(Nation::$n),*];
            pub fn as_str(self) -> &'static str {
                match self { $(Nation::$n => stringify!($n)),* }
            }
            /// Strict: upper-case ASCII trigraph of a known nation.
            pub fn parse(s: &str) -> Result<Nation, LabelError> {
                match s { $(stringify!($n) => Ok(Nation::$n),)* _ => Err(LabelError::UnknownNation(s.to_string())) }
            }
        }
    };
}

// The closed set of nations the code can name. The policy registry lists the nations it
// knows (a subset of these); a nation outside the active policy is rejected at parse and
// denied at decision. Discriminants are bit positions in `NationSet` (at most 64).
nations! { AUS = 0, CAN = 1, GBR = 2, JPN = 3, KOR = 4, NZL = 5, PHL = 6, USA = 7, IND = 8 }

impl fmt::Display for Nation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of nations as a bitset, so the per-record check is a few bit operations.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct NationSet(pub(crate) u64);

impl NationSet {
    pub const EMPTY: NationSet = NationSet(0);
    pub const ALL: NationSet = NationSet((1u64 << Nation::ALL.len()) - 1);

    pub fn single(n: Nation) -> Self {
        NationSet(1 << n as u64)
    }
    pub fn of(ns: &[Nation]) -> Self {
        ns.iter()
            .fold(Self::EMPTY, |s, n| s.union(Self::single(*n)))
    }
    pub fn insert(&mut self, n: Nation) {
        self.0 |= 1 << n as u64;
    }
    pub fn contains(self, n: Nation) -> bool {
        self.0 & (1 << n as u64) != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn union(self, o: Self) -> Self {
        NationSet(self.0 | o.0)
    }
    pub fn intersection(self, o: Self) -> Self {
        NationSet(self.0 & o.0)
    }
    pub fn is_subset(self, o: Self) -> bool {
        self.0 & !o.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = Nation> {
        Nation::ALL
            .iter()
            .copied()
            .filter(move |n| self.contains(*n))
    }
    /// The raw bitmask (bit `n as u64` for nation `n`), for compiled checks.
    pub fn bits(self) -> u64 {
        self.0
    }
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// Marking order: USA first, then the rest alphabetically (the CAPCO convention).
    pub fn marking_list(self) -> String {
        let mut v: Vec<Nation> = self.iter().collect();
        v.sort_by_key(|n| (*n != Nation::USA, n.as_str()));
        v.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
    }
}

impl fmt::Display for NationSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v: Vec<_> = self.iter().map(|n| n.as_str()).collect();
        f.write_str(&v.join(", "))
    }
}

impl fmt::Debug for NationSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{self}}}")
    }
}

impl Serialize for NationSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for NationSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: Vec<String> = Vec::deserialize(d)?;
        let mut s = NationSet::EMPTY;
        for t in v {
            s.insert(Nation::parse(&t).map_err(serde::de::Error::custom)?);
        }
        Ok(s)
    }
}
