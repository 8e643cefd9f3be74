use std::collections::VecDeque;

use biac_model::{Alert, Classification, Nation, Subject, TimeMs, Track};

/// A class of subjects with the same nationality and clearance: they see one picture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Audience {
    pub nation: Nation,
    pub clearance: Classification,
}

impl Audience {
    pub fn of(s: &Subject) -> Self {
        Audience {
            nation: s.nation,
            clearance: s.clearance,
        }
    }
    pub fn subject(&self) -> Subject {
        Subject::new(self.nation, self.clearance)
    }
    /// Stable key, e.g. `JPN-SECRET`, used in storage.
    pub fn key(&self) -> String {
        format!(
            "{}-{}",
            self.nation,
            self.clearance.as_str().replace(' ', "_")
        )
    }
}

/// One audience's current fused picture.
#[derive(Clone, Debug, Default)]
pub struct Picture {
    /// Data time of the newest observation fused.
    pub time_ms: TimeMs,
    /// Increments with every publication.
    pub generation: u64,
    pub tracks: Vec<Track>,
    /// Most recent alerts, oldest first (bounded).
    pub alerts: VecDeque<Alert>,
}
