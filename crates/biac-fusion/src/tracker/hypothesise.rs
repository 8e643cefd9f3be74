//! The hypothesiser: every track (and seed) predicted to the scan time, the scan's
//! free observations gated against them in two stages, and the gated pairs grouped
//! into clusters (connected components of the gating graph) that an associator can
//! solve independently.

use std::collections::{BTreeMap, BTreeSet};

use biac_model::{Domain, TimeMs, TrackStatus};

use crate::geo::EnuFrame;
use crate::grid::BallIndex;
use crate::kf::{self, Mat2, Mat4, Vec4};
use crate::TrackerConfig;

use super::ballistic;
use super::filter::{Kinematics, Model, MotionFilter};
use super::initiate::Seed;
use super::polar::{self, Gates};
use super::prep::{domains_compatible, keys_compatible, IdKey, Prep};
use super::state::TrackState;

/// Smallest cube side of the gating index, metres.
pub(super) const MIN_CELL_M: f64 = 50.0;

/// A track or seed predicted to the scan time, for gating.
pub(super) struct Pred<'a> {
    pub id: u64,
    pub frame: &'a EnuFrame,
    domain: Domain,
    /// `None` for a seed (no identity keys).
    keys: Option<&'a BTreeSet<IdKey>>,
    /// A seed, to be promoted to a full track if assigned.
    pub seed: bool,
    /// A plain filter estimate (no model state of its own, no national sources): one
    /// that a probabilistic (JPDA) update may replace.
    pub plain: bool,
    /// A confirmed or coasting track (not a tentative one or a seed).
    pub shown: bool,
    pub x: Vec4,
    pub pos_cov: Mat2,
    /// A ballistic track's 3-D prediction: it gates only 3-D plots.
    ballistic: Option<Box<crate::ballistic::Estimate>>,
    ecef: [f64; 3],
    radius: f64,
    /// A confirmed track that follows its object: plots left in its exclusion gate
    /// start no track.
    excludes: bool,
    assignable: bool,
}

/// A gated (track, observation) pair.
#[derive(Clone, Copy)]
pub(super) struct Pair {
    /// Index into the predictions.
    pub track: usize,
    /// Index into the scan's free observations.
    pub obs: usize,
    /// d² + ln det S: negative log-likelihood up to a constant.
    pub cost: f64,
    /// The cost of leaving the track unassigned that never beats this pair: gate + ln det S.
    pub bound: f64,
    /// d² in 2-dof units (a 3-dof d² as the 2-dof value of equal tail probability).
    pub nis: f64,
}

/// The hypotheses of one scan pass.
pub(super) struct Hypotheses<'a> {
    /// Tracks and live seeds in id order.
    pub preds: Vec<Pred<'a>>,
    /// The full predicted covariance per prediction, when asked for (else empty).
    pub full: Vec<Mat4>,
    /// Gated pairs with an assignable track.
    pub pairs: Vec<Pair>,
    /// `(cluster root, index into pairs)`, sorted: each run of one root is a cluster.
    clustered: Vec<(usize, usize)>,
    /// Per observation: within the exclusion gate of a confirmed track that follows
    /// its object.
    pub in_confirmed_gate: Vec<bool>,
    /// Per observation: within some track's gate.
    pub gated: Vec<bool>,
}

impl Hypotheses<'_> {
    /// The clusters, each as its pairs' indices into `pairs` (in root, then pair order).
    pub fn clusters(&self) -> impl Iterator<Item = &[(usize, usize)]> {
        self.clustered.chunk_by(|a, b| a.0 == b.0)
    }
}

/// Prediction and gating with the tracker's gates and motion filter.
pub(super) struct Hypothesiser<'c> {
    pub cfg: &'c TrackerConfig,
    pub gates: &'c Gates,
    pub filter: &'c MotionFilter,
}

fn dist3(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

impl Hypothesiser<'_> {
    /// Gate the scan's `free` observations at time `t` against `tracks` and the live
    /// `seeds` (both sorted by id); tracks in `taken` (updated by identity this pass)
    /// still exclude but take no plot. `want_full`: keep every full predicted
    /// covariance (for an associator that updates with them).
    pub fn hypothesise<'a>(
        &self,
        t: TimeMs,
        tracks: &'a BTreeMap<u64, Box<TrackState>>,
        seeds: &'a [Seed],
        free: &[Prep],
        taken: &BTreeSet<u64>,
        want_full: bool,
    ) -> Hypotheses<'a> {
        let cfg = self.cfg;
        let gates = self.gates;
        let r_max = free.iter().map(|p| p.r_pos).fold(0.0, f64::max);
        let rate = free
            .iter()
            .any(|p| p.polar.as_ref().is_some_and(|m| m.has_range_rate()));
        let full = rate || want_full;
        // A 3-dof gate bounds the position part's d² too.
        let outer = if rate {
            cfg.gate
                .max(cfg.init_exclusion_gate)
                .max(gates.gate3)
                .max(gates.excl3)
        } else {
            cfg.gate.max(cfg.init_exclusion_gate)
        };
        let mut preds: Vec<Pred> = Vec::with_capacity(tracks.len() + seeds.len());
        // The full predicted covariances, one per prediction, only when needed (kept
        // apart: `Pred` stays small for the plot path).
        let mut p4s: Vec<Mat4> = Vec::with_capacity(if full { preds.capacity() } else { 0 });
        let mut pred = |id: u64,
                        frame: &'a EnuFrame,
                        domain: Domain,
                        kin: &Kinematics,
                        own: bool,
                        time_ms: TimeMs| {
            let dt = (t - time_ms) as f64 / 1000.0;
            let v = self.filter.gate_view(kin, own, dt, domain, full);
            p4s.extend(v.full);
            // Coarse radius: the gate ellipse's major semi-axis for the largest R in the
            // scan, with margin for the approximate ECEF of the prediction.
            let radius = (outer * (kf::max_eig2(&v.pos_cov) + r_max)).sqrt() * 1.01 + 50.0;
            Pred {
                id,
                frame,
                domain,
                keys: None,
                seed: false,
                plain: matches!(kin.model, Model::Planar),
                shown: false,
                x: v.x,
                pos_cov: v.pos_cov,
                ballistic: v.ballistic,
                ecef: frame.en_to_ecef_approx(v.x[0], v.x[1]),
                radius,
                excludes: false,
                assignable: true,
            }
        };
        // Tracks and live seeds, in id order (both are kept sorted by id).
        let mut seeds = seeds.iter().filter(|s| !s.promoted).peekable();
        let mut tracks = tracks.values().peekable();
        loop {
            let take_seed = match (tracks.peek(), seeds.peek()) {
                (None, None) => break,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some(tr), Some(sd)) => sd.id < tr.id,
            };
            if take_seed {
                let sd = seeds.next().expect("peeked");
                let mut pr = pred(sd.id, &sd.frame, sd.domain, &sd.kin, true, sd.time_ms);
                pr.seed = true;
                preds.push(pr);
            } else {
                let tr = tracks.next().expect("peeked");
                // With national sources, the track's state is the fused one (the
                // model state belongs to the local-only estimate).
                let own = tr.own_model();
                let mut pr = pred(tr.id, &tr.frame, tr.domain, &tr.kin, own, tr.time_ms);
                pr.keys = Some(&tr.keys);
                pr.plain &= tr.t2t.is_none();
                pr.shown = tr.status != TrackStatus::Tentative;
                // A ballistic track follows physics, not turns: a 3-D plot just outside
                // its gate is its missile (its filter re-opens the thrust if it lags).
                pr.excludes = tr.status != TrackStatus::Tentative
                    && (tr.nis_avg <= cfg.manoeuvre_nis || tr.kin.is_ballistic());
                pr.assignable = !taken.contains(&tr.id);
                preds.push(pr);
            }
        }

        // Stage 1: spatial index on the predicted positions (ECEF: no poles, no
        // antimeridian, uniform metric), each with its coarse gate radius.
        let balls: Vec<([f64; 3], f64)> = preds.iter().map(|pr| (pr.ecef, pr.radius)).collect();
        let index = BallIndex::build(&balls, MIN_CELL_M, cfg.grid_cell_m);

        let nt = preds.len();
        let mut pairs: Vec<Pair> = Vec::new();
        let mut in_conf = vec![false; free.len()];
        let mut gated = vec![false; free.len()];
        let mut cands: Vec<u32> = Vec::new();
        for (j, p) in free.iter().enumerate() {
            cands.clear();
            index.query_point(p.ecef, &mut cands);
            cands.sort_unstable();
            for &i in &cands {
                let i = i as usize;
                let pr = &preds[i];
                if dist3(pr.ecef, p.ecef) > pr.radius
                    || pr.ballistic.is_some() != p.b3.is_some()
                    || !domains_compatible(pr.domain, p.obs.domain)
                    || !pr.keys.is_none_or(|k| keys_compatible(&p.keys, k))
                {
                    continue;
                }
                // Stage 2: χ² gate in the track's own frame, or in the sensor's
                // measurement space for a sensor-space plot.
                let z = pr.frame.ecef_to_en(p.ecef);
                let gate = match (&pr.ballistic, &p.b3, &p.polar) {
                    (Some(e), Some(m), _) => ballistic::gate(e, m, gates),
                    (_, _, Some(m)) => {
                        m.gate(pr.frame, &pr.x, &pr.pos_cov, p4s.get(i), z, p.r_pos, gates)
                    }
                    _ => {
                        let nu = [z[0] - pr.x[0], z[1] - pr.x[1]];
                        let mut s = pr.pos_cov;
                        s[0][0] += p.r_pos;
                        s[1][1] += p.r_pos;
                        kf::mahalanobis2(nu, &s)
                            .map(|(d2, lndet)| (d2, lndet, cfg.gate, cfg.init_exclusion_gate))
                    }
                };
                let Some((d2, lndet, gate, excl)) = gate else {
                    continue;
                };
                if pr.excludes && d2 <= excl {
                    in_conf[j] = true;
                }
                if d2 > gate {
                    continue;
                }
                gated[j] = true;
                if pr.assignable {
                    // Negative log-likelihood up to a constant: favours the nearer and the
                    // better-known track.
                    pairs.push(Pair {
                        track: i,
                        obs: j,
                        cost: d2 + lndet,
                        bound: gate + lndet,
                        nis: if gate == gates.gate3 || gate == gates.excl3 {
                            polar::nis_3dof_as_2dof(d2)
                        } else if gate == gates.gate4 || gate == gates.excl4 {
                            polar::nis_4dof_as_2dof(d2)
                        } else {
                            d2
                        },
                    });
                }
            }
        }

        // Independent clusters (connected components of the gating graph) are solved
        // separately: exact, and keeps each problem small.
        let mut parent: Vec<usize> = (0..nt + free.len()).collect();
        for pr in &pairs {
            let (a, b) = (find(&mut parent, pr.track), find(&mut parent, nt + pr.obs));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
        let mut clustered: Vec<(usize, usize)> = pairs
            .iter()
            .enumerate()
            .map(|(k, pr)| (find(&mut parent, pr.track), k))
            .collect();
        clustered.sort_unstable();
        Hypotheses {
            preds,
            full: p4s,
            pairs,
            clustered,
            in_confirmed_gate: in_conf,
            gated,
        }
    }
}
