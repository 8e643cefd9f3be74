//! One track's state and what every update does to it besides its kinematics.

use std::collections::{BTreeMap, BTreeSet};

use biac_model::{
    Affiliation, Domain, Identity, Label, ObservationKind, Position, TimeMs, Track, TrackStatus,
    Velocity,
};

use crate::geo::EnuFrame;
use crate::kf::{self, Mat2, Mat4, Vec4};
use crate::{FusionStats, TrackerConfig};

use super::filter::{transfer, Kinematics};
use super::initiate;
use super::national::T2tState;
use super::prep::{IdKey, Prep};

/// The feeds that contributed, by id, each with the data time of its latest
/// contribution: sorted by id, a handful per track.
#[derive(Clone, Debug, Default)]
pub(super) struct Sources(Vec<(u32, TimeMs)>);

impl Sources {
    /// Feed `id` contributed at `t` (a later time replaces an earlier one, never the
    /// reverse: reports may arrive out of order).
    pub fn insert(&mut self, id: u32, t: TimeMs) {
        match self.0.binary_search_by_key(&id, |&(i, _)| i) {
            Ok(k) => self.0[k].1 = self.0[k].1.max(t),
            Err(k) => self.0.insert(k, (id, t)),
        }
    }

    pub fn union(&mut self, other: &Sources) {
        for &(id, t) in &other.0 {
            self.insert(id, t);
        }
    }

    pub fn names(&self, feeds: &[String]) -> BTreeMap<String, TimeMs> {
        self.0
            .iter()
            .map(|&(i, t)| (feeds[i as usize].clone(), t))
            .collect()
    }
}

/// One track's full internal state.
#[derive(Clone, Debug)]
pub(super) struct TrackState {
    pub id: u64,
    /// The track's own tangent plane; the kinematics are expressed in it.
    pub frame: EnuFrame,
    /// The motion filter's estimate. With national sources (`t2t`), its planar view is
    /// the fused estimate and its model state belongs to the local-only estimate.
    pub kin: Kinematics,
    pub time_ms: TimeMs,
    pub created_ms: TimeMs,
    pub status: TrackStatus,
    pub domain: Domain,
    pub affiliation: Affiliation,
    pub identity: Identity,
    pub keys: BTreeSet<IdKey>,
    /// Contributing feeds, as ids into the tracker's interned feed names.
    pub sources: Sources,
    pub updates: u64,
    pub label: Label,
    pub alt_m: Option<f64>,
    /// Updates while tentative (for M-of-window confirmation). A tentative track
    /// lives at most `confirm_window_ms` from its creation, so every such update is
    /// within the window and a count suffices.
    pub hits: u32,
    /// Fading-memory average of the normalised innovation squared of the sensor plots
    /// that updated the track (2-dof units; by gating, or by identity for a Mode S plot),
    /// the classic manoeuvre detector: about 2 for a track that follows its object, well
    /// above while it lags a turn.
    pub nis_avg: f64,
    /// Track-to-track fusion state, from the first national track report on.
    pub t2t: Option<Box<T2tState>>,
}

/// Weight of the previous average in [`TrackState::nis_avg`]: short memory, so that a
/// turn is seen within two or three plots.
const NIS_MEMORY: f64 = 0.5;
/// The mean of a χ² variable with 2 degrees of freedom: a new track's `nis_avg`.
pub(super) const NIS_EXPECTED: f64 = 2.0;

/// Whether a track is shown (confirmed or coasting) rather than tentative.
pub(super) fn shown(status: TrackStatus) -> bool {
    status != TrackStatus::Tentative
}

impl TrackState {
    /// Adds a plot's normalised innovation squared (2-dof units) to `nis_avg`.
    pub fn note_nis(&mut self, nis: f64) {
        self.nis_avg = NIS_MEMORY * self.nis_avg + (1.0 - NIS_MEMORY) * nis;
    }

    /// Whether the filter's model state is the estimate the track shows (no national
    /// source is fused into it).
    pub fn own_model(&self) -> bool {
        self.t2t.as_ref().is_none_or(|st| st.national.is_empty())
    }

    /// Seconds from the track's last update to `t`.
    pub fn age_s(&self, t: TimeMs) -> f64 {
        (t - self.time_ms) as f64 / 1000.0
    }

    pub fn to_track(
        &self,
        x: &Vec4,
        p: &Mat4,
        time_ms: TimeMs,
        status: TrackStatus,
        feeds: &[String],
    ) -> Track {
        let (lat, lon) = self.frame.en_to_geodetic(x[0], x[1]);
        // Velocity and covariance are reported in the east/north axes at the track's
        // position, not at the frame origin (they differ by meridian convergence).
        let j = self.frame.horizontal_rotation_to(&EnuFrame::new(lat, lon));
        let v = [
            j[0][0] * x[2] + j[0][1] * x[3],
            j[1][0] * x[2] + j[1][1] * x[3],
        ];
        let pp: Mat2 = [[p[0][0], p[0][1]], [p[1][0], p[1][1]]];
        let c = kf::matmul(&kf::matmul(&j, &pp), &kf::transpose(&j));
        Track {
            missile: None,
            id: self.id,
            time_ms,
            position: Position {
                lat_deg: lat,
                lon_deg: lon,
                alt_m: self.alt_m,
            },
            velocity: Velocity {
                east_mps: v[0],
                north_mps: v[1],
            },
            pos_cov_en: [c[0][0], 0.5 * (c[0][1] + c[1][0]), c[1][1]],
            status,
            domain: self.domain,
            affiliation: self.affiliation,
            identity: self.identity.clone(),
            sources: self.sources.names(feeds),
            updates: self.updates,
            label: self.label.clone(),
        }
    }

    /// Move the frame to the track's position once it is farther than `distance` from
    /// the origin (keeps the planar model accurate at theatre scale); every estimate
    /// the track keeps moves with it.
    pub fn rebase(&mut self, distance: f64) {
        let x = &self.kin.x;
        if x[0].hypot(x[1]) <= distance {
            return;
        }
        let (lat, lon) = self.frame.en_to_geodetic(x[0], x[1]);
        let to = EnuFrame::new(lat, lon);
        self.kin.rebase(&self.frame, &to);
        if let Some(st) = self.t2t.as_deref_mut() {
            if let Some((x, p, _)) = &mut st.local {
                (*x, *p) = transfer(&self.frame, x, p, &to);
            }
            for nt in st.national.tracks_mut() {
                (nt.x, nt.p) = transfer(&self.frame, &nt.x, &nt.p, &to);
            }
        }
        self.frame = to;
    }
}

/// Fold an observation's non-kinematic content into a track: label, provenance,
/// identity, domain, affiliation, altitude, update count and confirmation.
pub(super) fn absorb(
    tr: &mut TrackState,
    p: &Prep,
    cfg: &TrackerConfig,
    index: &mut BTreeMap<IdKey, u64>,
    stats: &mut FusionStats,
) {
    let o = &p.obs;
    tr.label = tr.label.join(&o.label);
    tr.sources.insert(p.feed, o.time_ms);
    for k in &p.keys {
        // Never take a key that conflicts with one already held, nor one another track
        // holds (possible only when an observation carries two keys bound to two tracks).
        if !tr.keys.iter().any(|o| k.conflicts(o)) && !index.contains_key(k) {
            tr.keys.insert(k.clone());
            index.insert(k.clone(), tr.id);
        }
    }
    if !o.identity.is_empty() {
        let mut ident = o.identity.clone();
        if o.kind == ObservationKind::Plot {
            // A plot's "track number" (e.g. a fresh CoT uid per detection) names nothing.
            ident.track_number = None;
        }
        // Identity::merge keeps known fields; drop conflicting mmsi/icao defensively.
        if tr.identity.mmsi.is_some() {
            ident.mmsi = None;
        }
        if tr.identity.icao.is_some() {
            ident.icao = None;
        }
        tr.identity.merge(&ident);
        // A vessel's own newest static data wins (the AIS decoder attaches the latest it
        // heard): a renamed or re-typed MMSI must show, or no rule can see it change.
        if o.identity.mmsi.is_some() && o.identity.mmsi == tr.identity.mmsi {
            if o.identity.name.is_some() {
                tr.identity.name.clone_from(&o.identity.name);
            }
            tr.identity.ship_type = o.identity.ship_type.or(tr.identity.ship_type);
        }
    }
    if tr.domain == Domain::Unknown {
        tr.domain = o.domain;
    }
    // The most recent assessment wins (a track feed may re-classify an object).
    if let Some(a) = o.affiliation {
        tr.affiliation = a;
    }
    if let Some(alt) = o.position.alt_m {
        tr.alt_m = Some(alt);
    }
    tr.updates += 1;
    initiate::confirm(tr, p.confirms, cfg, stats);
}
