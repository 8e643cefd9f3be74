//! Observations made ready for tracking: validated, their geometry precomputed, their
//! identity keys extracted.

use std::collections::BTreeSet;

use biac_model::{Domain, Observation, ObservationKind};

use crate::geo::{geodetic_to_ecef, EnuFrame};
use crate::TrackerConfig;

use crate::ballistic::RadarPlot;

use super::ballistic::{ground, radar_plot};
use super::polar::PolarPrep;

/// An identity a track can hold exclusively.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum IdKey {
    Mmsi(u32),
    Icao(u32),
    /// (feed, track number): track numbers are only unique within the feed that issues them.
    TrackNumber(String, String),
}

impl IdKey {
    /// Same kind of key (and same feed for track numbers) with a different value: the
    /// two cannot be the same object.
    pub fn conflicts(&self, other: &IdKey) -> bool {
        match (self, other) {
            (IdKey::Mmsi(a), IdKey::Mmsi(b)) | (IdKey::Icao(a), IdKey::Icao(b)) => a != b,
            (IdKey::TrackNumber(fa, a), IdKey::TrackNumber(fb, b)) => fa == fb && a != b,
            _ => false,
        }
    }
}

pub(super) fn keys_compatible<'a>(
    a: impl IntoIterator<Item = &'a IdKey>,
    b: &BTreeSet<IdKey>,
) -> bool {
    a.into_iter().all(|k| !b.iter().any(|o| k.conflicts(o)))
}

pub(super) fn domains_compatible(a: Domain, b: Domain) -> bool {
    a == Domain::Unknown || b == Domain::Unknown || a == b
}

/// A validated observation with its geometry precomputed.
pub(super) struct Prep<'a> {
    pub obs: &'a Observation,
    pub ecef: [f64; 3],
    pub keys: Vec<IdKey>,
    /// Position variance per axis, m² (for a sensor-space measurement: the largest
    /// axis of the converted plot's ellipse, a bound used by coarse gating).
    pub r_pos: f64,
    /// Velocity as an ECEF vector (so it can be expressed in any track's frame) and its
    /// per-axis variance.
    pub vel: Option<([f64; 3], f64)>,
    /// Self-reports with an identity and track-feed reports confirm a track at once.
    pub confirms: bool,
    /// The feed, as an id into [`super::Tracker`]'s interned feed names.
    pub feed: u32,
    /// The measurement in the sensor's own space, when the observation carries one.
    pub polar: Option<Box<PolarPrep>>,
    /// A 3-D radar plot (with elevation) for the ballistic model, when the tracker has
    /// one: it starts and updates only ballistic tracks.
    pub b3: Option<Box<RadarPlot>>,
}

/// The identity keys an observation binds by: MMSI, ICAO address, and a national track
/// number within its feed.
pub(super) fn id_keys(obs: &Observation) -> Vec<IdKey> {
    let mut keys = Vec::new();
    if let Some(m) = obs.identity.mmsi {
        keys.push(IdKey::Mmsi(m));
    }
    if let Some(i) = obs.identity.icao {
        keys.push(IdKey::Icao(i));
    }
    if obs.kind == ObservationKind::Track {
        if let Some(tn) = &obs.identity.track_number {
            keys.push(IdKey::TrackNumber(obs.feed.clone(), tn.clone()));
        }
    }
    keys
}

pub(super) fn prepare<'a>(
    obs: &'a Observation,
    feed: u32,
    cfg: &TrackerConfig,
) -> Option<Prep<'a>> {
    if !(obs.position.is_valid() && obs.pos_sigma_m.is_finite() && obs.pos_sigma_m > 0.0) {
        return None;
    }
    let vel = match obs.velocity {
        None => None,
        Some(v) => {
            let s = obs.vel_sigma_mps.unwrap_or(cfg.default_vel_sigma_mps);
            if !(v.east_mps.is_finite() && v.north_mps.is_finite() && s.is_finite() && s > 0.0) {
                return None;
            }
            let local = EnuFrame::new(obs.position.lat_deg, obs.position.lon_deg);
            Some((local.vec_to_ecef(v.east_mps, v.north_mps), s * s))
        }
    };
    let keys = id_keys(obs);
    let confirms = match obs.kind {
        ObservationKind::Track => true,
        ObservationKind::SelfReport => obs.identity.mmsi.is_some() || obs.identity.icao.is_some(),
        ObservationKind::Plot => false,
    };
    let sigma = obs.pos_sigma_m.max(cfg.min_pos_sigma_m);
    // An invalid sensor-space measurement rejects the observation, as a bad velocity does.
    let polar = match &obs.polar {
        None => None,
        Some(m) => Some(Box::new(PolarPrep::new(m, obs)?)),
    };
    let r_pos = sigma * sigma;
    let b3 = match (&obs.polar, cfg.ballistic) {
        (Some(m), Some(_)) => match radar_plot(m) {
            None => None,
            Some(plot) => Some(Box::new(plot?)),
        },
        _ => None,
    };
    // Horizontal tracking on the ellipsoid surface: altitude is kept separately (a 3-D
    // plot: the point below where it places the target).
    let (ecef, r_pos) = match &b3 {
        Some(m) => {
            let (g, var) = ground(m);
            (g, var.max(r_pos))
        }
        None => (
            geodetic_to_ecef(obs.position.lat_deg, obs.position.lon_deg, 0.0),
            polar
                .as_ref()
                .map_or(r_pos, |pp| pp.max_pos_var(r_pos).max(r_pos)),
        ),
    };
    Some(Prep {
        ecef,
        keys,
        r_pos,
        vel,
        confirms,
        feed,
        obs,
        polar,
        b3,
    })
}
