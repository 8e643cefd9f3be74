//! Merging duplicate tracks of one object: identity-compatible tracks that stay within
//! each other's 4-D gate are fused by covariance intersection.

// Index loops read better than iterator chains for small fixed-size matrices.
#![allow(clippy::needless_range_loop)]

use std::collections::BTreeSet;

use biac_model::{Affiliation, Domain, TimeMs, TrackStatus};

use crate::grid::BallIndex;
use crate::kf::{self, Mat4, Vec4};

use super::filter::transfer;
use super::hypothesise::MIN_CELL_M;
use super::national::merge_t2t;
use super::prep::{domains_compatible, keys_compatible};
use super::state::TrackState;
use super::Tracker;

fn dist3(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// Merge kinematics of two tracks without national sources: covariance intersection
/// with the weight by position trace (`xk`, `pk` and `xg`, `pg` at the same time, in
/// `k`'s frame).
fn merge_plain(k: &mut TrackState, (xk, pk): (Vec4, Mat4), (xg, pg): (Vec4, Mat4)) {
    let (trk, trg) = (pk[0][0] + pk[1][1], pg[0][0] + pg[1][1]);
    let w = trg / (trk + trg);
    let fused = kf::invert(&pk).zip(kf::invert(&pg)).and_then(|(ik, ig)| {
        let mut info = [[0.0; 4]; 4];
        let mut iv = [0.0; 4];
        for r in 0..4 {
            for c in 0..4 {
                info[r][c] = w * ik[r][c] + (1.0 - w) * ig[r][c];
                iv[r] += w * ik[r][c] * xk[c] + (1.0 - w) * ig[r][c] * xg[c];
            }
        }
        let mut p = kf::invert(&info)?;
        kf::symmetrize(&mut p);
        let x: Vec4 = std::array::from_fn(|r| (0..4).map(|c| p[r][c] * iv[c]).sum());
        Some((x, p))
    });
    let (x, p) = fused.unwrap_or((xk, pk));
    k.kin.reset_to(x, p);
}

impl Tracker {
    /// Merge identity-compatible tracks that have stayed within each other's 4-D gate
    /// (position and velocity) at `merge_after` consecutive checks. A pair is checked
    /// whenever one of its tracks is updated. Requiring velocity agreement keeps
    /// crossing targets apart. Tentative tracks take no part: within a few scans they
    /// are confirmed (and from then on checked) or dropped, and leaving them out keeps
    /// this check proportional to the confirmed picture rather than to the clutter.
    /// `updated`: the confirmed and coasting tracks updated this scan.
    pub(super) fn check_merges(&mut self, t: TimeMs, mut updated: Vec<u64>) {
        if self.cfg.merge_after == 0 || updated.is_empty() {
            return;
        }
        updated.sort_unstable();
        updated.dedup();
        let (cfg, filter) = (&self.cfg, &self.filter);
        // Every confirmed or coasting track at `t`: id, approximate ECEF position, own
        // reach (its share of the coarse merge distance).
        let info: Vec<(u64, [f64; 3], f64)> = self
            .tracks
            .values()
            .filter(|tr| tr.status != TrackStatus::Tentative)
            .map(|tr| {
                let dt = tr.age_s(t);
                let own = tr.own_model();
                let (x, pc) = filter.position_at(&tr.kin, own, dt, tr.domain);
                let reach = (cfg.merge_gate * kf::max_eig2(&pc)).sqrt() + 25.0;
                (tr.id, tr.frame.en_to_ecef_approx(x[0], x[1]), reach)
            })
            .collect();
        // Few updated tracks (an AIS scan): scan the list. Many (a radar scan): the
        // spatial index, as in gating.
        let use_grid = updated.len() > 8;
        let index = use_grid.then(|| {
            let balls: Vec<([f64; 3], f64)> = info.iter().map(|&(_, e, r)| (e, r)).collect();
            BallIndex::build(&balls, MIN_CELL_M, cfg.grid_cell_m)
        });
        let mut checked: BTreeSet<(u64, u64)> = BTreeSet::new();
        let mut passed: BTreeSet<(u64, u64)> = BTreeSet::new();
        let mut cands: Vec<usize> = Vec::new();
        let mut found: Vec<u32> = Vec::new();
        for &a in &updated {
            let Some(ia) = info.binary_search_by_key(&a, |x| x.0).ok() else {
                continue;
            };
            let (_, ea, ra) = info[ia];
            cands.clear();
            if let Some(index) = &index {
                found.clear();
                index.query_ball(ea, ra, &mut found);
                cands.extend(found.iter().map(|&i| i as usize));
                cands.sort_unstable();
                cands.dedup();
            } else {
                cands.extend(0..info.len());
            }
            for &ib in &cands {
                let (b, eb, rb) = info[ib];
                if b == a || dist3(ea, eb) > ra + rb {
                    continue;
                }
                let pair = (a.min(b), a.max(b));
                if !checked.insert(pair) {
                    continue;
                }
                let (ta, tb) = (&self.tracks[&a], &self.tracks[&b]);
                // Ballistic tracks never merge (with aircraft or with each other: their
                // state is not the planar one a merge fuses).
                if !ta.kin.is_ballistic()
                    && !tb.kin.is_ballistic()
                    && domains_compatible(ta.domain, tb.domain)
                    && keys_compatible(&ta.keys, &tb.keys)
                    && self.mutually_gated(ta, tb, t)
                {
                    passed.insert(pair);
                }
            }
        }
        // A pair with an updated member that did not pass starts counting again.
        let touched = |id: u64| updated.binary_search(&id).is_ok();
        self.merge_counts
            .retain(|pair, _| passed.contains(pair) || !(touched(pair.0) || touched(pair.1)));
        let mut to_merge = Vec::new();
        for pair in passed {
            let n = self.merge_counts.entry(pair).or_insert(0);
            *n += 1;
            if *n >= self.cfg.merge_after {
                to_merge.push(pair);
            }
        }
        for (a, b) in to_merge {
            if self.tracks.contains_key(&a) && self.tracks.contains_key(&b) {
                self.merge(a, b);
            }
        }
    }

    /// Both tracks predicted to `t`: is the 4-D state difference within `merge_gate`
    /// for the summed covariance?
    fn mutually_gated(&self, ta: &TrackState, tb: &TrackState, t: TimeMs) -> bool {
        let cfg = &self.cfg;
        let dta = (t - ta.time_ms) as f64 / 1000.0;
        let dtb = (t - tb.time_ms) as f64 / 1000.0;
        let f = &self.filter;
        let (xa, pa) = f.predict_planar(&ta.kin, ta.own_model(), dta, ta.domain);
        let (xb, pb) = f.predict_planar(&tb.kin, tb.own_model(), dtb, tb.domain);
        let (xb, pb) = transfer(&tb.frame, &xb, &pb, &ta.frame);
        let mut s = pa;
        for r in 0..4 {
            for c in 0..4 {
                s[r][c] += pb[r][c];
            }
        }
        let d: Vec4 = std::array::from_fn(|k| xa[k] - xb[k]);
        kf::invert(&s).is_some_and(|si| {
            let d2: f64 = (0..4)
                .map(|r| (0..4).map(|c| d[r] * si[r][c] * d[c]).sum::<f64>())
                .sum();
            d2 <= cfg.merge_gate
        })
    }

    /// Merge two tracks: a confirmed one is kept over a tentative one, then the older
    /// (lower id). Kinematics are fused by covariance intersection (safe when the two
    /// estimates share unknown correlation, as duplicate tracks of one object do).
    fn merge(&mut self, a: u64, b: u64) {
        let conf = |id: u64| self.tracks[&id].status != TrackStatus::Tentative;
        let (keep, gone) = if conf(a) == conf(b) {
            (a.min(b), a.max(b))
        } else if conf(a) {
            (a, b)
        } else {
            (b, a)
        };
        let Some(mut g) = self.remove(gone) else {
            return;
        };
        self.stats.merged += 1;
        let cfg = &self.cfg;
        let k = self.tracks.get_mut(&keep).expect("kept track");
        let tm = k.time_ms.max(g.time_ms);
        let f = &self.filter;
        let (xk, pk) = f.predict_planar(&k.kin, k.own_model(), k.age_s(tm), k.domain);
        let (xg, pg) = f.predict_planar(&g.kin, g.own_model(), g.age_s(tm), g.domain);
        let (xg, pg) = transfer(&g.frame, &xg, &pg, &k.frame);
        if k.t2t.is_some() || g.t2t.is_some() {
            merge_t2t(k, &mut g, tm, cfg, (xk, pk));
        } else {
            merge_plain(k, (xk, pk), (xg, pg));
        }
        k.time_ms = tm;
        k.created_ms = k.created_ms.min(g.created_ms);
        k.label = k.label.join(&g.label);
        k.sources.union(&g.sources);
        k.identity.merge(&g.identity);
        for key in g.keys {
            if !self.index.contains_key(&key) {
                self.index.insert(key.clone(), keep);
                k.keys.insert(key);
            }
        }
        if k.domain == Domain::Unknown {
            k.domain = g.domain;
        }
        if k.affiliation == Affiliation::Unknown {
            k.affiliation = g.affiliation;
        }
        k.alt_m = k.alt_m.or(g.alt_m);
        k.updates += g.updates;
        if g.status == TrackStatus::Confirmed || k.status == TrackStatus::Confirmed {
            k.status = TrackStatus::Confirmed;
        } else if k.status == TrackStatus::Tentative && g.status == TrackStatus::Coasting {
            k.status = TrackStatus::Coasting;
        }
    }
}
