use std::collections::VecDeque;
use std::sync::Arc;

use biac_label::Holdings;
use biac_model::{Alert, Classification, Nation, Subject, TimeMs, Track};

/// A class of subjects with the same nationality, clearance and holdings: they see one
/// picture, fused from exactly the inputs releasable to any of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Audience {
    pub nation: Nation,
    pub clearance: Classification,
    /// Categories held and the releasing-official role (most audiences hold none).
    pub holdings: Holdings,
}

impl Audience {
    pub fn of(s: &Subject) -> Self {
        Audience {
            nation: s.nation,
            clearance: s.clearance,
            holdings: s.holdings,
        }
    }
    pub fn subject(&self) -> Subject {
        Subject::new(self.nation, self.clearance).with_holdings(self.holdings)
    }
    /// Stable key, e.g. `JPN-SECRET`, or `JPN-SECRET+SI+TK` with holdings (`+RELIDO` for
    /// a releasing official), used in storage and in CoT uids.
    pub fn key(&self) -> String {
        let mut k = format!(
            "{}-{}",
            self.nation,
            self.clearance.as_str().replace(' ', "_")
        );
        for c in self.holdings.categories.names() {
            k.push('+');
            k.push_str(&c.replace(' ', "_"));
        }
        if self.holdings.releasing_official {
            k.push_str("+RELIDO");
        }
        k
    }
}

/// One audience's current fused picture.
#[derive(Clone, Debug, Default)]
pub struct Picture {
    /// Data time of the newest observation fused.
    pub time_ms: TimeMs,
    /// Counts the releases fused into this picture: strictly increases from one
    /// publication to the next (it may skip), and a replay reaches the same value.
    pub generation: u64,
    /// Sorted by id. A track unchanged since the previous picture is the same `Arc`
    /// (compare with `Arc::ptr_eq` before comparing values).
    pub tracks: Vec<Arc<Track>>,
    /// Most recent alerts, oldest first (bounded).
    pub alerts: VecDeque<Alert>,
}
