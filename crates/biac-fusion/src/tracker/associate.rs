//! The associator: which observation updates which track, per cluster of the
//! hypotheses. Global nearest neighbour ([`Associator::Gnn`], the default) commits to
//! the best joint assignment; [`Associator::Jpda`] commits to the same detections but
//! updates each detected track with every plot of its cluster weighted by its marginal
//! association probability ([`crate::jpda`]), which hedges in tight clusters.

use biac_model::ObservationKind;

use crate::kf::{Mat4, Vec4};
use crate::{assign, jpda, Association, TrackerConfig};

use super::filter::transfer;
use super::hypothesise::{Hypotheses, Pair};
use super::prep::Prep;

/// One association decided for a scan pass.
#[derive(Clone, Copy)]
pub(super) struct Assignment {
    /// Index into the scan's free observations.
    pub obs: usize,
    pub id: u64,
    /// The track is a seed, to be promoted.
    pub seed: bool,
    /// d² in 2-dof units (the manoeuvre detector's input).
    pub nis: f64,
    /// The track's posterior when the associator computed it (JPDA); else the motion
    /// filter updates the track with `obs`.
    pub posterior: Option<(Vec4, Mat4)>,
}

/// How associations are decided (from [`Association`]).
#[derive(Clone, Copy, Debug)]
pub(super) enum Associator {
    Gnn,
    Jpda { max_events: usize },
}

impl Associator {
    pub fn new(a: &Association) -> Associator {
        match *a {
            Association::Gnn => Associator::Gnn,
            Association::Jpda { max_events } => Associator::Jpda { max_events },
        }
    }

    /// Whether hypotheses must keep the full predicted covariances.
    pub fn wants_full(&self) -> bool {
        matches!(self, Associator::Jpda { .. })
    }

    /// The scan pass's assignments, ordered by observation (each observation is
    /// assigned at most once, each track at most once).
    pub fn associate(&self, h: &Hypotheses, free: &[Prep], cfg: &TrackerConfig) -> Vec<Assignment> {
        // Cost of leaving a track unassigned. With a detection model it is the
        // likelihood-ratio threshold: assigning plot j is worth it when
        // Pd·N(ν; 0, S) > (1 − Pd)·λ, i.e. d² + ln det S < 2 ln(Pd / ((1 − Pd) λ)) − 2 ln 2π.
        // Without one, it is the largest gate + ln det S of the track's pairs, so that
        // any gated pair (d² ≤ gate) is never worse than leaving the track unassigned.
        let model_miss = cfg.detection.map(|m| {
            2.0 * (m.pd / ((1.0 - m.pd) * m.clutter_per_m2)).ln()
                - 2.0 * (2.0 * std::f64::consts::PI).ln()
        });
        let mut out = Vec::new();
        let mut chosen = Vec::new();
        for members in h.clusters() {
            chosen.clear();
            gnn(&h.pairs, members, model_miss, &mut chosen);
            let posteriors = match *self {
                Associator::Jpda { max_events } => {
                    jpda_cluster(h, members, free, cfg, max_events, &chosen)
                }
                Associator::Gnn => None,
            };
            for (k, &(track, obs, nis)) in chosen.iter().enumerate() {
                let pr = &h.preds[track];
                out.push(Assignment {
                    obs,
                    id: pr.id,
                    seed: pr.seed,
                    nis,
                    posterior: posteriors.as_ref().and_then(|p| p[k]),
                });
            }
        }
        // Each observation is assigned at most once: (obs, id) orders them totally.
        // Sorted by key, then copied once each (an assignment with its inline JPDA
        // posterior is ~200 bytes: sorting them in place moves each many times).
        let mut order: Vec<(usize, u64, usize)> = out
            .iter()
            .enumerate()
            .map(|(i, a)| (a.obs, a.id, i))
            .collect();
        order.sort_unstable();
        order.iter().map(|&(_, _, i)| out[i]).collect()
    }
}

/// Global nearest neighbour on one cluster: `(prediction, observation, nis)` of the
/// least-cost assignment, missed detections included.
fn gnn(
    pairs: &[Pair],
    members: &[(usize, usize)],
    model_miss: Option<f64>,
    out: &mut Vec<(usize, usize, f64)>,
) {
    if let [(_, k)] = members {
        // One track, one plot (the usual case away from crossings): the 1×2
        // problem needs no solver.
        let p = pairs[*k];
        if p.cost <= model_miss.unwrap_or(p.bound) {
            out.push((p.track, p.obs, p.nis));
        }
        return;
    }
    let mut rows: Vec<usize> = members.iter().map(|&(_, k)| pairs[k].track).collect();
    let mut cols: Vec<usize> = members.iter().map(|&(_, k)| pairs[k].obs).collect();
    rows.sort_unstable();
    rows.dedup();
    cols.sort_unstable();
    cols.dedup();
    // Columns: the cluster's observations, then one "missed" column per track.
    let nr = rows.len();
    let nc = cols.len() + nr;
    let mut cost = vec![f64::INFINITY; nr * nc];
    let mut nis = vec![0.0; nr * nc];
    let mut miss = vec![f64::NEG_INFINITY; nr];
    for &(_, k) in members {
        let p = pairs[k];
        let r = rows.binary_search(&p.track).expect("row");
        let col = cols.binary_search(&p.obs).expect("col");
        cost[r * nc + col] = p.cost;
        nis[r * nc + col] = p.nis;
        miss[r] = miss[r].max(p.bound);
    }
    for r in 0..nr {
        cost[r * nc + cols.len() + r] = model_miss.unwrap_or(miss[r]);
    }
    let sol = assign::solve(&cost, nr, nc).expect("a miss column is always feasible");
    for (r, c) in sol.into_iter().enumerate() {
        if let Some(c) = c.filter(|&c| c < cols.len()) {
            out.push((rows[r], cols[c], nis[r * nc + c]));
        }
    }
}

/// JPDA posteriors of the confirmed tracks in `chosen` (same order; `None` for a
/// tentative track or seed), or `None` where JPDA does not apply and the plain update stands: no detection model, a track with model
/// state or national sources, an observation that is not a plain position plot of the
/// cluster's common variance, or more joint events than `max_events`.
fn jpda_cluster(
    h: &Hypotheses,
    members: &[(usize, usize)],
    free: &[Prep],
    cfg: &TrackerConfig,
    max_events: usize,
    chosen: &[(usize, usize, f64)],
) -> Option<Vec<Option<(Vec4, Mat4)>>> {
    let det = cfg.detection?;
    if chosen.is_empty() {
        return None;
    }
    let mut rows: Vec<usize> = members.iter().map(|&(_, k)| h.pairs[k].track).collect();
    let mut cols: Vec<usize> = members.iter().map(|&(_, k)| h.pairs[k].obs).collect();
    rows.sort_unstable();
    rows.dedup();
    cols.sort_unstable();
    cols.dedup();
    let r = free[cols[0]].r_pos;
    let plain_plot = |j: &usize| {
        let p = &free[*j];
        p.obs.kind == ObservationKind::Plot && p.polar.is_none() && p.vel.is_none() && p.r_pos == r
    };
    if !rows.iter().all(|&i| h.preds[i].plain) || !cols.iter().all(plain_plot) {
        return None;
    }
    // The cluster is solved in the plane of its first track (clusters span a few
    // gates; every frame is within tens of km, where `transfer` is exact to first order).
    let plane = h.preds[rows[0]].frame;
    let to_plane = |i: usize| {
        let pr = &h.preds[i];
        if pr.frame == plane {
            (pr.x, h.full[i])
        } else {
            transfer(pr.frame, &pr.x, &h.full[i], plane)
        }
    };
    let tracks: Vec<jpda::Predicted> = rows
        .iter()
        .map(|&i| {
            let (x, p) = to_plane(i);
            jpda::Predicted { x, p }
        })
        .collect();
    let plots: Vec<[f64; 2]> = cols
        .iter()
        .map(|&j| plane.ecef_to_en(free[j].ecef))
        .collect();
    let out = jpda::associate(
        &tracks,
        &plots,
        r,
        det.pd,
        det.clutter_per_m2,
        cfg.gate,
        max_events,
    )?;
    Some(
        chosen
            .iter()
            .map(|&(i, _, _)| {
                // Tentative tracks and seeds start on their plots (hard decisions);
                // established tracks hedge.
                let pr = &h.preds[i];
                let a = &out[rows.binary_search(&i).expect("row")];
                pr.shown.then(|| {
                    if pr.frame == plane {
                        (a.x, a.p)
                    } else {
                        transfer(plane, &a.x, &a.p, pr.frame)
                    }
                })
            })
            .collect(),
    )
}
