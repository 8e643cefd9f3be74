//! The fusion core. Observations in, tracks out.
//! (Skeleton signatures; the implementation is in progress.)
//!
//! Invariants: no I/O, no clocks, no threads, no randomness; the same input sequence
//! gives bit-identical output.

use biac_model::{Observation, TimeMs, Track};

#[derive(Clone, Debug)]
pub struct TrackerConfig {}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {}
    }
}

pub struct Tracker {}

impl Tracker {
    pub fn new(_cfg: TrackerConfig) -> Self {
        Tracker {}
    }

    /// Process a batch of observations (any order, any mix of feeds and sensors).
    pub fn process_batch(&mut self, _batch: Vec<Observation>) {
        todo!()
    }

    /// Delete tracks not updated for too long as of `now_ms`.
    pub fn advance_to(&mut self, _now_ms: TimeMs) {
        todo!()
    }

    /// Confirmed tracks (and coasting ones), at their last update time.
    pub fn tracks(&self) -> Vec<Track> {
        todo!()
    }
}
