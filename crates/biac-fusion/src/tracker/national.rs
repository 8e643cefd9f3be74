//! Track-to-track fusion in the tracker: national track reports are fused with the
//! local-only estimate by covariance intersection, with per-source provenance, never
//! as measurements ([`crate::t2t`] holds the pieces).

// Index loops read better than iterator chains for small fixed-size matrices.
#![allow(clippy::needless_range_loop)]

use biac_model::{Observation, ObservationKind, TimeMs};

use crate::geo::EnuFrame;
use crate::kf::{self, Mat4, Vec4};
use crate::t2t::{covariance_intersection, CiCriterion, NationalTrack, Offer, T2tFusion};
use crate::{DomainParams, TrackerConfig};

use super::filter::{initial_state, transfer, Kinematics, Model, MotionFilter};
use super::prep::Prep;
use super::state::TrackState;

/// What the CI weight of track-to-track fusion minimises: the determinant does not
/// depend on the units of position against velocity (the trace would).
const CI_CRITERION: CiCriterion = CiCriterion::Determinant;

/// A track that national track reports have updated: the estimates it is fused from,
/// all in the track's frame. The fused estimate (the planar view of the track's kinematics) is always the
/// covariance intersection of the local-only estimate with the latest estimate of each
/// national source, predicted to the fusion time: re-sent or updated national tracks
/// replace their source's estimate and can never shrink the covariance twice.
#[derive(Clone, Debug)]
pub(super) struct T2tState {
    /// The local-only estimate (this tracker's sensor measurements only: plots,
    /// self-reports) and its time; `None` while the track is known only from national
    /// feeds.
    pub local: Option<(Vec4, Mat4, TimeMs)>,
    /// Latest estimate per national source (feed and national track number).
    pub national: T2tFusion,
}

/// The provenance key of a national track report: its feed and its track number (track
/// numbers are unique only within a feed; NUL cannot occur in a feed name).
pub(super) fn source_key(o: &Observation) -> String {
    format!(
        "{}\0{}",
        o.feed,
        o.identity.track_number.as_deref().unwrap_or("")
    )
}

/// A national track report as a state estimate in `frame`. Position (and velocity when
/// reported) with their stated sigmas; without a reported velocity, the velocity is the
/// difference with the same source's previous report (`prev`) with its exact covariance for independent report errors plus the
/// process noise over the interval (positively correlated errors, as a tracker's are,
/// make it conservative), else the domain's velocity prior. Only this report and the
/// one before enter, so nothing accumulates across reports.
pub(super) fn national_estimate(
    p: &Prep,
    frame: &EnuFrame,
    prev: Option<&NationalTrack>,
    t: TimeMs,
    dp: &DomainParams,
) -> (Vec4, Mat4) {
    let (x, mut pm) = initial_state(p, frame, dp.init_vel_sigma_mps);
    let Some(pr) = prev.filter(|pr| p.vel.is_none() && pr.time_ms < t) else {
        return (x, pm);
    };
    let dt = (t - pr.time_ms) as f64 / 1000.0;
    let mut out = pm;
    for r in 0..2 {
        for c in 0..2 {
            out[r][c + 2] = pm[r][c] / dt;
            out[c + 2][r] = pm[r][c] / dt;
            out[r + 2][c + 2] = (pm[r][c] + pr.p[r][c]) / (dt * dt);
        }
        out[r + 2][r + 2] += dp.q * dt / 3.0;
    }
    let prior = dp.init_vel_sigma_mps * dp.init_vel_sigma_mps;
    if out[2][2].max(out[3][3]) >= prior {
        return (x, pm);
    }
    pm = out;
    let v = [(x[0] - pr.x[0]) / dt, (x[1] - pr.x[1]) / dt];
    ([x[0], x[1], v[0], v[1]], pm)
}

/// Update of a track with track-to-track state (or its first national track report).
/// A national report replaces its source's latest estimate; a sensor measurement
/// updates the local-only estimate with the motion filter. Then the track's state is
/// the covariance intersection of the local-only estimate and every source's latest
/// one, all predicted (constant velocity) to `t`. Returns whether an identity jump
/// restarted the track (as in the plain update: local estimate and national sources
/// are dropped and the track starts again at the observation).
pub(super) fn t2t_update(
    tr: &mut TrackState,
    p: &Prep,
    t: TimeMs,
    by_identity: bool,
    cfg: &TrackerConfig,
    filter: &MotionFilter,
) -> bool {
    let dp = cfg.domain(tr.domain);
    let dt = tr.age_s(t);
    let (xp, pp) = kf::predict(&tr.kin.x, &tr.kin.p, dt, dp.q);
    let z = tr.frame.ecef_to_en(p.ecef);
    let reset = by_identity && {
        let s = [
            [pp[0][0] + p.r_pos, pp[0][1]],
            [pp[1][0], pp[1][1] + p.r_pos],
        ];
        let nu = [z[0] - xp[0], z[1] - xp[1]];
        kf::mahalanobis2(nu, &s).is_none_or(|(d2, _)| d2 > cfg.identity_reset_gate)
    };
    // A track without national sources so far: everything up to now was local.
    let (kx, kp, kt) = (tr.kin.x, tr.kin.p, tr.time_ms);
    let st = tr.t2t.get_or_insert_with(|| {
        Box::new(T2tState {
            local: Some((kx, kp, kt)),
            national: T2tFusion::default(),
        })
    });
    if reset {
        tr.frame = EnuFrame::new(p.obs.position.lat_deg, p.obs.position.lon_deg);
        st.local = None;
        st.national.clear();
        tr.kin.model = Model::Planar;
    }
    let z = tr.frame.ecef_to_en(p.ecef);
    if p.obs.kind == ObservationKind::Track {
        let key = source_key(p.obs);
        let (x, pm) = national_estimate(p, &tr.frame, st.national.get(&key), t, dp);
        let offer = st.national.offer(NationalTrack {
            source: key,
            time_ms: t,
            x,
            p: pm,
        });
        if offer != Offer::Accepted {
            // The same report again (or an older one): it was counted already. The
            // track is at least as new as the source's latest, so nothing changes.
            return reset;
        }
    } else {
        // The model state belongs to the local-only estimate.
        let model = std::mem::replace(&mut tr.kin.model, Model::Planar);
        let updated = st.local.and_then(|(lx, lp, lt)| {
            let local = Kinematics {
                x: lx,
                p: lp,
                model,
            };
            let pred = filter.predict(&local, (t - lt) as f64 / 1000.0, tr.domain);
            filter.update(&tr.frame, &pred, z, p)
        });
        st.local = Some(match updated {
            Some(k) => {
                tr.kin.model = k.model;
                (k.x, k.p, t)
            }
            None => {
                // First local measurement (or a failed update): the local-only
                // estimate starts at the observation.
                let (x, pm) = initial_state(p, &tr.frame, dp.init_vel_sigma_mps);
                (x, pm, t)
            }
        });
    }
    // Sources silent for longer than the coast time no longer count.
    st.national.forget_before(t - dp.coast_after_ms);
    let local = st
        .local
        .map(|(lx, lp, lt)| kf::predict(&lx, &lp, (t - lt) as f64 / 1000.0, dp.q));
    (tr.kin.x, tr.kin.p) = st
        .national
        .fuse_with(local.as_ref().map(|(x, p)| (x, p)), t, dp.q, CI_CRITERION)
        .map_or((xp, pp), |f| (f.x, f.p));
    tr.time_ms = t;
    reset
}

/// Merge kinematics when either track has national sources: the local-only estimates
/// are fused by covariance intersection, the national sources are pooled (per source
/// the newer one), and the track's state is fused from them again at `tm` (`pk` is
/// `k`'s state predicted to `tm`, the fallback).
pub(super) fn merge_t2t(
    k: &mut TrackState,
    g: &mut TrackState,
    tm: TimeMs,
    cfg: &TrackerConfig,
    (xk, pk): (Vec4, Mat4),
) {
    let local_at = |tr: &TrackState| {
        let local = match &tr.t2t {
            Some(st) => st.local,
            None => Some((tr.kin.x, tr.kin.p, tr.time_ms)),
        };
        local.map(|(x, p, t)| {
            let dt = (tm - t) as f64 / 1000.0;
            kf::predict(&x, &p, dt, cfg.domain(tr.domain).q)
        })
    };
    let lk = local_at(k);
    let lg = local_at(g).map(|(x, p)| transfer(&g.frame, &x, &p, &k.frame));
    let local = match (lk, lg) {
        (Some((xa, pa)), Some((xb, pb))) => Some(
            covariance_intersection(&xa, &pa, &xb, &pb, CI_CRITERION)
                .map_or((xa, pa), |c| (c.x, c.p)),
        ),
        (a, b) => a.or(b),
    };
    let mut national = k.t2t.take().map(|st| st.national).unwrap_or_default();
    if let Some(st) = g.t2t.take() {
        let mut other = st.national;
        for nt in other.tracks_mut() {
            (nt.x, nt.p) = transfer(&g.frame, &nt.x, &nt.p, &k.frame);
        }
        national.absorb(other);
    }
    let dp = cfg.domain(k.domain);
    national.forget_before(tm - dp.coast_after_ms);
    (k.kin.x, k.kin.p) = national
        .fuse_with(local.as_ref().map(|(x, p)| (x, p)), tm, dp.q, CI_CRITERION)
        .map_or((xk, pk), |f| (f.x, f.p));
    // The model state belongs to the local-only estimate.
    k.kin.reset_model(local.as_ref());
    k.t2t = Some(Box::new(T2tState {
        local: local.map(|(x, p)| (x, p, tm)),
        national,
    }));
}
