//! The initiator: tracks from observations no track took, one-plot tentative tracks
//! kept compactly as seeds, and M-of-window confirmation.

use std::collections::{BTreeMap, BTreeSet};

use biac_model::{Affiliation, Domain, Identity, Label, ObservationKind, TimeMs, TrackStatus};

use crate::geo::EnuFrame;
use crate::t2t::{NationalTrack, T2tFusion};
use crate::{FusionStats, TrackerConfig};

use super::delete;
use super::filter::{Kinematics, MotionFilter};
use super::national::{source_key, T2tState};
use super::prep::{IdKey, Prep};
use super::state::{absorb, Sources, TrackState, NIS_EXPECTED};

/// A tentative track started from one plot that carries no identity, kept compactly:
/// in clutter such tracks are started and dropped by the thousand every scan. At its
/// second update it is promoted to the [`TrackState`] that [`Initiator::initiate`]
/// would have made, so the two forms behave identically.
pub(super) struct Seed {
    pub id: u64,
    pub frame: EnuFrame,
    pub kin: Kinematics,
    pub time_ms: TimeMs,
    pub domain: Domain,
    affiliation: Affiliation,
    label: Label,
    feed: u32,
    alt_m: Option<f64>,
    /// Promoted (now a track): removed at the next sweep.
    pub promoted: bool,
}

/// Owns the seeds and hands out track ids.
pub(super) struct Initiator {
    /// Sorted by id (ids only grow).
    seeds: Vec<Seed>,
    next_id: u64,
    /// The tracker's motion filter: a new track's first estimate is its model's.
    filter: MotionFilter,
}

/// Counts an update of a tentative track towards confirmation (`confirms`: the
/// observation confirms at once, a self-report with identity or a national track);
/// a coasting track updated is confirmed again.
pub(super) fn confirm(
    tr: &mut TrackState,
    confirms: bool,
    cfg: &TrackerConfig,
    stats: &mut FusionStats,
) {
    match tr.status {
        TrackStatus::Tentative => {
            tr.hits += 1;
            if confirms || tr.hits >= cfg.confirm_m.max(1) {
                tr.status = TrackStatus::Confirmed;
                tr.hits = 0;
                stats.confirmed += 1;
            }
        }
        TrackStatus::Coasting => tr.status = TrackStatus::Confirmed,
        TrackStatus::Confirmed => {}
    }
}

impl Initiator {
    pub fn new(filter: MotionFilter) -> Initiator {
        Initiator {
            seeds: Vec::new(),
            next_id: 1,
            filter,
        }
    }

    /// Every seed, sorted by id (promoted ones until the next sweep).
    pub fn seeds(&self) -> &[Seed] {
        &self.seeds
    }

    /// Seeds not yet promoted.
    pub fn live_seeds(&self) -> usize {
        self.seeds.iter().filter(|s| !s.promoted).count()
    }

    /// Drops promoted seeds and those past the tentative timeouts at `now`; returns
    /// how many were deleted (promotions are not deletions).
    pub fn sweep(&mut self, now: TimeMs, cfg: &TrackerConfig) -> u64 {
        let before = self.seeds.len();
        let mut promoted = 0;
        self.seeds.retain(|sd| {
            promoted += usize::from(sd.promoted);
            !sd.promoted && !delete::tentative_expired(cfg, now, sd.time_ms, sd.time_ms)
        });
        (before - promoted - self.seeds.len()) as u64
    }

    /// Start a track at `p` (time `t`); returns its id and status. A plot without
    /// identity starts a seed (when confirmation needs more than one plot).
    pub fn initiate(
        &mut self,
        p: &Prep,
        t: TimeMs,
        cfg: &TrackerConfig,
        tracks: &mut BTreeMap<u64, Box<TrackState>>,
        index: &mut BTreeMap<IdKey, u64>,
        stats: &mut FusionStats,
    ) -> (u64, TrackStatus) {
        let id = self.next_id;
        self.next_id += 1;
        let o = &p.obs;
        let frame = EnuFrame::new(o.position.lat_deg, o.position.lon_deg);
        let kin = self
            .filter
            .initial(p, &frame, cfg.domain(o.domain).init_vel_sigma_mps);
        if p.keys.is_empty() && !p.confirms && o.identity.is_empty() && cfg.confirm_m > 1 {
            // Exactly what `absorb` below would make of a fresh track.
            self.seeds.push(Seed {
                id,
                frame,
                kin,
                time_ms: t,
                domain: o.domain,
                affiliation: o.affiliation.unwrap_or(Affiliation::Unknown),
                label: o.label.join(&o.label),
                feed: p.feed,
                alt_m: o.position.alt_m,
                promoted: false,
            });
            stats.new_tracks += 1;
            return (id, TrackStatus::Tentative);
        }
        let mut tr = TrackState {
            id,
            frame,
            kin: kin.clone(),
            time_ms: t,
            created_ms: t,
            status: TrackStatus::Tentative,
            domain: Domain::Unknown,
            affiliation: Affiliation::Unknown,
            identity: Identity::default(),
            keys: BTreeSet::new(),
            sources: Sources::default(),
            updates: 0,
            label: o.label.clone(),
            alt_m: None,
            hits: 0,
            nis_avg: NIS_EXPECTED,
            t2t: None,
        };
        if o.kind == ObservationKind::Track {
            // Known only from a national feed so far: that source is the whole estimate.
            let mut national = T2tFusion::default();
            national.offer(NationalTrack {
                source: source_key(o),
                time_ms: t,
                x: kin.x,
                p: kin.p,
            });
            tr.t2t = Some(Box::new(T2tState {
                local: None,
                national,
            }));
        }
        absorb(&mut tr, p, cfg, index, stats);
        let status = tr.status;
        tracks.insert(id, Box::new(tr));
        stats.new_tracks += 1;
        (id, status)
    }

    /// Turn seed `id` into a full tentative track (one update, as `initiate` makes it).
    pub fn promote(&mut self, id: u64, tracks: &mut BTreeMap<u64, Box<TrackState>>) {
        let Ok(k) = self.seeds.binary_search_by_key(&id, |s| s.id) else {
            return;
        };
        let sd = &mut self.seeds[k];
        if sd.promoted {
            return;
        }
        sd.promoted = true;
        let mut sources = Sources::default();
        sources.insert(sd.feed, sd.time_ms);
        let tr = TrackState {
            id,
            frame: sd.frame,
            kin: sd.kin.clone(),
            time_ms: sd.time_ms,
            created_ms: sd.time_ms,
            status: TrackStatus::Tentative,
            domain: sd.domain,
            affiliation: sd.affiliation,
            identity: Identity::default(),
            keys: BTreeSet::new(),
            sources,
            updates: 1,
            label: sd.label.clone(),
            alt_m: sd.alt_m,
            hits: 1,
            nis_avg: NIS_EXPECTED,
            t2t: None,
        };
        tracks.insert(id, Box::new(tr));
    }
}
