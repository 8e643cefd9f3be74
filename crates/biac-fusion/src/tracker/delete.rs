//! The deleter: which tracks die at a time, and which coast.

use std::collections::BTreeMap;

use biac_model::{TimeMs, TrackStatus};

use crate::kf;
use crate::TrackerConfig;

use super::filter::MotionFilter;
use super::state::TrackState;

/// A tentative track (or seed) last updated at `last`, created at `created`, is dropped
/// at `now` once it has gone without updates for longer than the tentative timeout or
/// outlived the confirmation window.
pub(super) fn tentative_expired(
    cfg: &TrackerConfig,
    now: TimeMs,
    last: TimeMs,
    created: TimeMs,
) -> bool {
    now - last > cfg.tentative_timeout_ms || now - created > cfg.confirm_window_ms
}

/// The tracks to delete at `now`: tentative ones expired, confirmed ones not updated
/// for longer than their domain's deletion time or whose predicted one-sigma position
/// error exceeds `max_pos_sigma_m`. Confirmed ones older than the coast time are marked
/// coasting.
pub(super) fn sweep(
    now: TimeMs,
    cfg: &TrackerConfig,
    filter: &MotionFilter,
    tracks: &mut BTreeMap<u64, Box<TrackState>>,
) -> Vec<u64> {
    let mut dead = Vec::new();
    for (&id, tr) in tracks.iter_mut() {
        let age = now.saturating_sub(tr.time_ms);
        if tr.status == TrackStatus::Tentative {
            if tentative_expired(cfg, now, tr.time_ms, tr.created_ms) {
                dead.push(id);
            }
            continue;
        }
        if let Some((coast, delete, gone)) = filter.ballistic_life(&tr.kin, age as f64 / 1000.0) {
            if gone || age > delete {
                dead.push(id);
            } else if age > coast {
                tr.status = TrackStatus::Coasting;
            }
            continue;
        }
        let dp = cfg.domain(tr.domain);
        if age > dp.delete_after_ms {
            dead.push(id);
            continue;
        }
        let pc = filter.pos_cov_at(
            &tr.kin,
            tr.own_model(),
            age.max(0) as f64 / 1000.0,
            tr.domain,
        );
        if kf::max_eig2(&pc).sqrt() > cfg.max_pos_sigma_m {
            dead.push(id);
        } else if age > dp.coast_after_ms {
            tr.status = TrackStatus::Coasting;
        }
    }
    dead
}
