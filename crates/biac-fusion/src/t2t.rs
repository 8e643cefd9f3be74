//! Track-to-track fusion: national tracks (another nation's tracker output, e.g. CoT
//! `a-*` events with a covariance) fused with a local track by covariance
//! intersection, keeping provenance so that no source is ever counted twice.
//!
//! Why CI: a national track and ours share process noise and often the same sensors,
//! with a cross-correlation nobody knows. The Kalman-style fusion assumes it is zero and
//! becomes over-confident; CI is consistent for *any* cross-correlation (tested below).
//!
//! Why provenance this way: [`T2tFusion`] keeps the latest track of each source and
//! never folds it into the local filter. The fused estimate is recomputed from the
//! local-only track plus the latest track of each source, so re-sending an update (or
//! a source repeating itself every second) replaces, never accumulates.

// Index loops read better than iterator chains for small fixed-size matrices.
#![allow(clippy::needless_range_loop)]

use std::collections::BTreeMap;

use biac_model::TimeMs;

use crate::kf::{self, Mat4, Vec4};

/// What the CI weight minimises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CiCriterion {
    Trace,
    Determinant,
}

/// Result of [`covariance_intersection`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ci<const N: usize> {
    /// Weight of the first estimate, in [0, 1].
    pub omega: f64,
    pub x: [f64; N],
    pub p: [[f64; N]; N],
}

fn det<const N: usize>(p: &[[f64; N]; N]) -> f64 {
    // Via Cholesky (the fused P is SPD): det = Π L_ii².
    crate::motion::cholesky(p).map_or(f64::INFINITY, |l| {
        (0..N).map(|i| l[i][i] * l[i][i]).product()
    })
}

/// `P(ω) = (ω Pa⁻¹ + (1−ω) Pb⁻¹)⁻¹` and `x(ω) = P(ω)(ω Pa⁻¹ xa + (1−ω) Pb⁻¹ xb)`.
fn ci_at<const N: usize>(
    w: f64,
    ia: &[[f64; N]; N],
    ib: &[[f64; N]; N],
    xa: &[f64; N],
    xb: &[f64; N],
) -> Option<Ci<N>> {
    let mut info = [[0.0; N]; N];
    let mut iv = [0.0; N];
    for r in 0..N {
        for c in 0..N {
            info[r][c] = w * ia[r][c] + (1.0 - w) * ib[r][c];
            iv[r] += w * ia[r][c] * xa[c] + (1.0 - w) * ib[r][c] * xb[c];
        }
    }
    let mut p = kf::invert(&info)?;
    kf::symmetrize(&mut p);
    let x = std::array::from_fn(|r| (0..N).map(|c| p[r][c] * iv[c]).sum());
    Some(Ci { omega: w, x, p })
}

/// Covariance intersection of `(xa, pa)` and `(xb, pb)` with ω minimising the trace or
/// determinant of the fused covariance (both are convex in ω; golden-section search to
/// 1e-6, endpoints included). `None` if either covariance is singular.
pub fn covariance_intersection<const N: usize>(
    xa: &[f64; N],
    pa: &[[f64; N]; N],
    xb: &[f64; N],
    pb: &[[f64; N]; N],
    crit: CiCriterion,
) -> Option<Ci<N>> {
    let ia = kf::invert(pa)?;
    let ib = kf::invert(pb)?;
    let cost = |w: f64| {
        ci_at(w, &ia, &ib, xa, xb).map_or(f64::INFINITY, |c| match crit {
            CiCriterion::Trace => (0..N).map(|i| c.p[i][i]).sum(),
            CiCriterion::Determinant => det(&c.p),
        })
    };
    let g = 0.5 * (5f64.sqrt() - 1.0);
    let (mut lo, mut hi) = (0.0, 1.0);
    let (mut m1, mut m2) = (hi - g * (hi - lo), lo + g * (hi - lo));
    let (mut f1, mut f2) = (cost(m1), cost(m2));
    while hi - lo > 1e-6 {
        if f1 <= f2 {
            hi = m2;
            (m2, f2) = (m1, f1);
            m1 = hi - g * (hi - lo);
            f1 = cost(m1);
        } else {
            lo = m1;
            (m1, f1) = (m2, f2);
            m2 = lo + g * (hi - lo);
            f2 = cost(m2);
        }
    }
    let mid = 0.5 * (lo + hi);
    let best = [0.0, mid, 1.0]
        .into_iter()
        .map(|w| (cost(w), w))
        .min_by(|a, b| a.0.total_cmp(&b.0))?
        .1;
    ci_at(best, &ia, &ib, xa, xb)
}

/// One update of a national track: `[e, n, ve, vn]` and covariance in the local
/// frame of the track it is fused with, at `time_ms`.
#[derive(Clone, Debug, PartialEq)]
pub struct NationalTrack {
    /// Who produced it (feed and the sender's track number): the provenance key.
    pub source: String,
    pub time_ms: TimeMs,
    pub x: Vec4,
    pub p: Mat4,
}

/// What [`T2tFusion::offer`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offer {
    /// New source, or a newer update of a known one (replaces the older one).
    Accepted,
    /// The same update again (same source and time): ignored.
    Duplicate,
    /// Older than what this source already gave: ignored.
    Stale,
}

/// The fused estimate and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Fused {
    pub x: Vec4,
    pub p: Mat4,
    /// National sources included, in fusion order, with their CI weight ω (the
    /// weight kept by the running estimate at that step).
    pub sources: Vec<(String, f64)>,
}

/// The national tracks associated with one local track (latest per source).
#[derive(Clone, Debug, Default)]
pub struct T2tFusion {
    latest: BTreeMap<String, NationalTrack>,
}

impl T2tFusion {
    pub fn offer(&mut self, t: NationalTrack) -> Offer {
        match self.latest.get(&t.source) {
            Some(old) if old.time_ms > t.time_ms => Offer::Stale,
            Some(old) if old.time_ms == t.time_ms => Offer::Duplicate,
            _ => {
                self.latest.insert(t.source.clone(), t);
                Offer::Accepted
            }
        }
    }

    /// Forget a source (its track was dropped or re-associated elsewhere).
    pub fn remove(&mut self, source: &str) {
        self.latest.remove(source);
    }

    pub fn sources(&self) -> impl Iterator<Item = &str> {
        self.latest.keys().map(String::as_str)
    }

    /// The latest track of `source`, if any.
    pub fn get(&self, source: &str) -> Option<&NationalTrack> {
        self.latest.get(source)
    }

    pub fn len(&self) -> usize {
        self.latest.len()
    }

    pub fn is_empty(&self) -> bool {
        self.latest.is_empty()
    }

    /// Forget every source.
    pub fn clear(&mut self) {
        self.latest.clear();
    }

    /// Forget the sources whose latest track is older than `oldest_ms`.
    pub fn forget_before(&mut self, oldest_ms: TimeMs) {
        self.latest.retain(|_, t| t.time_ms >= oldest_ms);
    }

    /// Every stored track, in source order.
    pub fn tracks(&self) -> impl Iterator<Item = &NationalTrack> {
        self.latest.values()
    }

    /// Every stored track, in source order, for re-expressing them (a change of frame).
    pub fn tracks_mut(&mut self) -> impl Iterator<Item = &mut NationalTrack> {
        self.latest.values_mut()
    }

    /// Take over `other`'s sources (two local tracks merged): per source, the newer
    /// track wins, as with [`T2tFusion::offer`].
    pub fn absorb(&mut self, other: T2tFusion) {
        for (_, t) in other.latest {
            self.offer(t);
        }
    }

    /// The local-only track `(x, p)` at `time_ms` fused with every source's latest
    /// track, each predicted to `time_ms` with constant velocity and noise `q`
    /// (m²/s³). Sources are folded in name order (deterministic); one whose CI fails
    /// numerically is skipped.
    pub fn fuse(&self, x: &Vec4, p: &Mat4, time_ms: TimeMs, q: f64, crit: CiCriterion) -> Fused {
        self.fuse_with(Some((x, p)), time_ms, q, crit)
            .expect("a local track is always there")
    }

    /// Like [`T2tFusion::fuse`], with the local-only track optional (a track known only
    /// from national feeds): without it, the fold starts from the first source. `None`
    /// when there is neither a local track nor a source.
    pub fn fuse_with(
        &self,
        local: Option<(&Vec4, &Mat4)>,
        time_ms: TimeMs,
        q: f64,
        crit: CiCriterion,
    ) -> Option<Fused> {
        let mut out: Option<Fused> = local.map(|(x, p)| Fused {
            x: *x,
            p: *p,
            sources: Vec::new(),
        });
        for (name, t) in &self.latest {
            let dt = (time_ms - t.time_ms) as f64 / 1000.0;
            let (xr, pr) = kf::predict(&t.x, &t.p, dt, q);
            match &mut out {
                None => {
                    out = Some(Fused {
                        x: xr,
                        p: pr,
                        sources: vec![(name.clone(), 0.0)],
                    })
                }
                Some(out) => {
                    if let Some(c) = covariance_intersection(&out.x, &out.p, &xr, &pr, crit) {
                        out.x = c.x;
                        out.p = c.p;
                        out.sources.push((name.clone(), c.omega));
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::motion::cholesky;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn trace(p: &Mat4) -> f64 {
        (0..4).map(|i| p[i][i]).sum()
    }

    /// Smallest eigenvalue sign test: `m + eps·I` has a Cholesky factor.
    fn psd(m: &Mat4, eps: f64) -> bool {
        let mut a = *m;
        for i in 0..4 {
            a[i][i] += eps;
        }
        cholesky(&a).is_some()
    }

    fn random_joint(rng: &mut ChaCha8Rng) -> [[f64; 8]; 8] {
        // A random 8×8 SPD joint covariance of the two estimates' errors (L Lᵀ + δI):
        // arbitrary cross-correlation between them.
        let l: [[f64; 8]; 8] =
            std::array::from_fn(|_| std::array::from_fn(|_| rng.random_range(-10.0..10.0)));
        let mut j = kf::matmul(&l, &kf::transpose(&l));
        for i in 0..8 {
            j[i][i] += 0.1;
        }
        j
    }

    /// `K_a P_a K_aᵀ + K_b P_b K_bᵀ + K_a P_ab K_bᵀ + K_b P_abᵀ K_aᵀ`: the true error
    /// covariance of `K_a x_a + K_b x_b`.
    fn true_cov(ka: &Mat4, kb: &Mat4, pa: &Mat4, pb: &Mat4, pab: &Mat4) -> Mat4 {
        let t = |m: &Mat4| kf::transpose(m);
        let terms = [
            kf::matmul(&kf::matmul(ka, pa), &t(ka)),
            kf::matmul(&kf::matmul(kb, pb), &t(kb)),
            kf::matmul(&kf::matmul(ka, pab), &t(kb)),
            kf::matmul(&kf::matmul(kb, &t(pab)), &t(ka)),
        ];
        std::array::from_fn(|r| std::array::from_fn(|c| terms.iter().map(|m| m[r][c]).sum()))
    }

    #[test]
    fn ci_is_consistent_for_any_cross_correlation() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut naive_inconsistent = 0;
        for case in 0..500 {
            let j = random_joint(&mut rng);
            let blk = |r0: usize, c0: usize| -> Mat4 {
                std::array::from_fn(|r| std::array::from_fn(|c| j[r0 + r][c0 + c]))
            };
            let (pa, pb, pab) = (blk(0, 0), blk(4, 4), blk(0, 4));
            let crit = if case % 2 == 0 {
                CiCriterion::Trace
            } else {
                CiCriterion::Determinant
            };
            let ci = covariance_intersection(&[0.0; 4], &pa, &[0.0; 4], &pb, crit).unwrap();
            // The fused estimate is Ka·xa + Kb·xb; its true error covariance with the
            // actual cross-covariance Pab:
            let ia = kf::invert(&pa).unwrap();
            let ib = kf::invert(&pb).unwrap();
            let ka: Mat4 = kf::matmul(&ci.p, &ia).map(|r| r.map(|v| v * ci.omega));
            let kb: Mat4 = kf::matmul(&ci.p, &ib).map(|r| r.map(|v| v * (1.0 - ci.omega)));
            let e = true_cov(&ka, &kb, &pa, &pb, &pab);
            let diff: Mat4 = std::array::from_fn(|r| std::array::from_fn(|c| ci.p[r][c] - e[r][c]));
            // The same check on the naive fusion (independence assumed) must be able to
            // fail: otherwise this test could not tell CI from it.
            let info: Mat4 = std::array::from_fn(|r| std::array::from_fn(|c| ia[r][c] + ib[r][c]));
            let pn = kf::invert(&info).unwrap();
            let (na, nb) = (kf::matmul(&pn, &ia), kf::matmul(&pn, &ib));
            let en = true_cov(&na, &nb, &pa, &pb, &pab);
            let dn: Mat4 = std::array::from_fn(|r| std::array::from_fn(|c| pn[r][c] - en[r][c]));
            naive_inconsistent += usize::from(!psd(&dn, 1e-9 * trace(&pn)));
            assert!(
                psd(&diff, 1e-9 * trace(&ci.p)),
                "case {case}: CI covariance smaller than the true error covariance"
            );
            // The chosen ω is no worse than the endpoints and the midpoint.
            let f = |w: f64| {
                let c = ci_at(w, &ia, &ib, &[0.0; 4], &[0.0; 4]).unwrap();
                match crit {
                    CiCriterion::Trace => trace(&c.p),
                    CiCriterion::Determinant => det(&c.p),
                }
            };
            let best = f(ci.omega);
            for w in [0.0, 0.25, 0.5, 0.75, 1.0] {
                assert!(
                    best <= f(w) * (1.0 + 1e-9),
                    "case {case}: ω={} vs {w}",
                    ci.omega
                );
            }
        }
        assert!(
            naive_inconsistent > 100,
            "naive inconsistent in {naive_inconsistent}/500"
        );
    }

    #[test]
    fn ci_of_an_estimate_with_itself_does_not_shrink_it() {
        let p = [
            [100.0, 5.0, 10.0, 1.0],
            [5.0, 80.0, 2.0, 7.0],
            [10.0, 2.0, 4.0, 0.3],
            [1.0, 7.0, 0.3, 3.0],
        ];
        let x = [1.0, 2.0, 3.0, 4.0];
        let c = covariance_intersection(&x, &p, &x, &p, CiCriterion::Trace).unwrap();
        for i in 0..4 {
            assert!((c.x[i] - x[i]).abs() < 1e-9);
            for j in 0..4 {
                assert!((c.p[i][j] - p[i][j]).abs() < 1e-9);
            }
        }
    }

    fn national(source: &str, t: TimeMs, x: Vec4, s: f64) -> NationalTrack {
        let mut p = [[0.0; 4]; 4];
        for i in 0..4 {
            p[i][i] = if i < 2 { s * s } else { 4.0 };
        }
        NationalTrack {
            source: source.into(),
            time_ms: t,
            x,
            p,
        }
    }

    #[test]
    fn duplicate_source_updates_never_count_twice() {
        let mut lp = [[0.0; 4]; 4];
        for i in 0..4 {
            lp[i][i] = if i < 2 { 400.0 } else { 9.0 };
        }
        let lx = [0.0, 0.0, 10.0, 0.0];
        let t0 = 10_000;
        let mut f = T2tFusion::default();
        let us = national("link16/US-0042", t0, [5.0, -3.0, 10.0, 0.5], 15.0);
        assert_eq!(f.offer(us.clone()), Offer::Accepted);
        let once = f.fuse(&lx, &lp, t0, 1.0, CiCriterion::Trace);
        assert!(trace(&once.p) < trace(&lp), "a better source must help");
        // The same update re-sent, many times: nothing changes, bit for bit.
        for _ in 0..5 {
            assert_eq!(f.offer(us.clone()), Offer::Duplicate);
        }
        assert_eq!(f.fuse(&lx, &lp, t0, 1.0, CiCriterion::Trace), once);
        // An older one is refused; a newer one replaces (still one contribution).
        assert_eq!(
            f.offer(national("link16/US-0042", t0 - 1000, lx, 1.0)),
            Offer::Stale
        );
        assert_eq!(
            f.offer(national("link16/US-0042", t0, lx, 1.0)),
            Offer::Duplicate
        );
        let newer = national("link16/US-0042", t0 + 1000, [15.0, -3.0, 10.0, 0.5], 15.0);
        assert_eq!(f.offer(newer), Offer::Accepted);
        let again = f.fuse(&lx, &lp, t0, 1.0, CiCriterion::Trace);
        assert_eq!(again.sources.len(), 1);
        assert!((trace(&again.p) - trace(&once.p)).abs() < 0.05 * trace(&once.p));
        // A second, different source is a real second contribution.
        f.offer(national("cot/JP-7", t0, [2.0, 1.0, 10.0, 0.0], 15.0));
        let two = f.fuse(&lx, &lp, t0, 1.0, CiCriterion::Trace);
        assert_eq!(two.sources.len(), 2);
        assert!(trace(&two.p) <= trace(&again.p));
        // Naively folding the same update into the local estimate every time it
        // arrives (what provenance prevents) would shrink it again and again.
        let (mut nx, mut np) = (lx, lp);
        for _ in 0..5 {
            let c = covariance_intersection(&nx, &np, &us.x, &us.p, CiCriterion::Trace).unwrap();
            let ia = kf::invert(&np).unwrap();
            let ib = kf::invert(&us.p).unwrap();
            // (Kalman-style information sum, the over-confident naive fusion.)
            let info: Mat4 = std::array::from_fn(|r| std::array::from_fn(|c| ia[r][c] + ib[r][c]));
            np = kf::invert(&info).unwrap();
            nx = c.x;
        }
        assert!(
            trace(&np) < 0.5 * trace(&once.p),
            "the naive path should collapse"
        );
    }
}
