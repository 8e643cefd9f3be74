//! Joint probabilistic data association (JPDA) for one dense cluster of the gating
//! graph: exact enumeration of the feasible joint events, marginal association
//! probabilities, and the PDA update of each track with all its gated plots.
//!
//! Where it fits: global nearest neighbour commits to one hypothesis; in a tight
//! cluster (crossing targets, clutter inside the gates) a wrong commitment drags a
//! track off. JPDA hedges, at exponential cost in cluster size, so [`associate`]
//! refuses clusters with more joint events than a bound (the caller keeps GNN there).
//! The tracker uses it with [`crate::Association::Jpda`].

// Index loops read better than iterator chains for small fixed-size matrices.
#![allow(clippy::needless_range_loop)]

use crate::kf::{self, Mat4, Vec4};

/// One track of the cluster, predicted to the scan time.
#[derive(Clone, Copy, Debug)]
pub struct Predicted {
    pub x: Vec4,
    pub p: Mat4,
}

/// Result for one track: updated state and `beta[0]` = P(no plot is this track's),
/// `beta[1 + j]` = P(plot j is this track's).
#[derive(Clone, Debug)]
pub struct Associated {
    pub x: Vec4,
    pub p: Mat4,
    pub beta: Vec<f64>,
}

/// JPDA over `tracks` and position plots `plots` (per-axis variance `r`, m²), with
/// detection probability `pd`, clutter density `clutter_per_m2` and χ² `gate`.
/// `None` if the cluster has more than `max_events` feasible joint events or a
/// covariance is not positive definite.
pub fn associate(
    tracks: &[Predicted],
    plots: &[[f64; 2]],
    r: f64,
    pd: f64,
    clutter_per_m2: f64,
    gate: f64,
    max_events: usize,
) -> Option<Vec<Associated>> {
    let nt = tracks.len();
    // Likelihood ratio Pd·N(ν; 0, S)/λ of each gated (track, plot) pair.
    let mut lr: Vec<Vec<(usize, f64)>> = vec![Vec::new(); nt];
    for (i, t) in tracks.iter().enumerate() {
        let s = [[t.p[0][0] + r, t.p[0][1]], [t.p[1][0], t.p[1][1] + r]];
        for (j, z) in plots.iter().enumerate() {
            let (d2, lndet) = kf::mahalanobis2([z[0] - t.x[0], z[1] - t.x[1]], &s)?;
            if d2 <= gate {
                let g = (-0.5 * (d2 + lndet) - (2.0 * std::f64::consts::PI).ln()).exp();
                lr[i].push((j, pd * g / clutter_per_m2));
            }
        }
    }
    // Enumerate joint events depth-first (track i takes one unused gated plot, or
    // none); accumulate each event's weight into the marginals as we go.
    let mut beta = vec![vec![0.0; plots.len() + 1]; nt];
    let mut used = vec![false; plots.len()];
    let mut choice = vec![0usize; nt];
    let mut events = 0usize;
    #[allow(clippy::too_many_arguments)]
    fn walk(
        i: usize,
        w: f64,
        lr: &[Vec<(usize, f64)>],
        miss: f64,
        used: &mut [bool],
        choice: &mut [usize],
        beta: &mut [Vec<f64>],
        events: &mut usize,
        max_events: usize,
    ) -> bool {
        if i == lr.len() {
            *events += 1;
            if *events > max_events {
                return false;
            }
            for (k, &c) in choice.iter().enumerate() {
                beta[k][c] += w;
            }
            return true;
        }
        choice[i] = 0;
        if !walk(
            i + 1,
            w * miss,
            lr,
            miss,
            used,
            choice,
            beta,
            events,
            max_events,
        ) {
            return false;
        }
        for &(j, l) in &lr[i] {
            if !used[j] {
                used[j] = true;
                choice[i] = j + 1;
                let ok = walk(
                    i + 1,
                    w * l,
                    lr,
                    miss,
                    used,
                    choice,
                    beta,
                    events,
                    max_events,
                );
                used[j] = false;
                if !ok {
                    return false;
                }
            }
        }
        true
    }
    if !walk(
        0,
        1.0,
        &lr,
        1.0 - pd,
        &mut used,
        &mut choice,
        &mut beta,
        &mut events,
        max_events,
    ) {
        return None;
    }
    let mut out = Vec::with_capacity(nt);
    for (i, t) in tracks.iter().enumerate() {
        let total: f64 = beta[i].iter().sum();
        let b: Vec<f64> = beta[i].iter().map(|v| v / total).collect();
        out.push(pda_update(t, plots, &b, r)?);
    }
    Some(out)
}

/// PDA update: `x + K ν̄` with `ν̄ = Σ β_j ν_j`, and
/// `P = β₀ P + (1 − β₀) P_c + K (Σ β_j ν_j ν_jᵀ − ν̄ ν̄ᵀ) Kᵀ` (the last term is the
/// spread of the hypotheses: it grows P when the association is ambiguous).
fn pda_update(t: &Predicted, plots: &[[f64; 2]], beta: &[f64], r: f64) -> Option<Associated> {
    let p = &t.p;
    let s = [[p[0][0] + r, p[0][1]], [p[1][0], p[1][1] + r]];
    let si = kf::invert(&s)?;
    let mut k = [[0.0; 2]; 4];
    for i in 0..4 {
        for m in 0..2 {
            k[i][m] = p[i][0] * si[0][m] + p[i][1] * si[1][m];
        }
    }
    let mut nu = [0.0; 2];
    let mut spread = [[0.0; 2]; 2];
    for (j, z) in plots.iter().enumerate() {
        let b = beta[j + 1];
        if b == 0.0 {
            continue;
        }
        let v = [z[0] - t.x[0], z[1] - t.x[1]];
        for a in 0..2 {
            nu[a] += b * v[a];
            for c in 0..2 {
                spread[a][c] += b * v[a] * v[c];
            }
        }
    }
    for a in 0..2 {
        for c in 0..2 {
            spread[a][c] -= nu[a] * nu[c];
        }
    }
    let mut x = t.x;
    for i in 0..4 {
        x[i] += k[i][0] * nu[0] + k[i][1] * nu[1];
    }
    // P_c: the Joseph-form posterior of a single sure update (independent of z).
    let (_, pc) = kf::update_pos(&t.x, p, [t.x[0], t.x[1]], r)?;
    let b0 = beta[0];
    let ks = kf::matmul(&kf::matmul(&k, &spread), &kf::transpose(&k));
    let mut pn = [[0.0; 4]; 4];
    for i in 0..4 {
        for j in 0..4 {
            pn[i][j] = b0 * p[i][j] + (1.0 - b0) * pc[i][j] + ks[i][j];
        }
    }
    kf::symmetrize(&mut pn);
    Some(Associated {
        x,
        p: pn,
        beta: beta.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track(e: f64, n: f64) -> Predicted {
        let mut p = [[0.0; 4]; 4];
        for i in 0..4 {
            p[i][i] = if i < 2 { 100.0 } else { 25.0 };
        }
        Predicted {
            x: [e, n, 10.0, 0.0],
            p,
        }
    }

    const LAMBDA: f64 = 1e-6;

    #[test]
    fn single_track_reduces_to_pda() {
        // One track, three plots: JPDA's β must equal the closed-form PDA weights
        // β_j ∝ Pd·g_j/λ, β₀ ∝ 1 − Pd.
        let t = track(0.0, 0.0);
        let plots = [[5.0, 0.0], [0.0, -12.0], [45.0, 20.0]];
        let out = associate(&[t], &plots, 100.0, 0.9, LAMBDA, 11.83, 1000).unwrap();
        let s = [[200.0, 0.0], [0.0, 200.0]];
        let mut w = vec![0.1];
        for z in &plots {
            let (d2, lndet) = kf::mahalanobis2(*z, &s).unwrap();
            let g = (-0.5 * (d2 + lndet)).exp() / (2.0 * std::f64::consts::PI);
            w.push(if d2 <= 11.83 { 0.9 * g / LAMBDA } else { 0.0 });
        }
        let sum: f64 = w.iter().sum();
        for (a, b) in out[0].beta.iter().zip(&w) {
            assert!((a - b / sum).abs() < 1e-12, "{:?} vs {w:?}", out[0].beta);
        }
        assert_eq!(out[0].beta[3], 0.0, "outside the gate");
    }

    #[test]
    fn shared_plot_is_split_and_marginals_are_probabilities() {
        // Two tracks 20 m apart, one plot exactly between them, one near track A.
        let ts = [track(0.0, 0.0), track(20.0, 0.0)];
        let plots = [[10.0, 0.0], [-2.0, 1.0]];
        let out = associate(&ts, &plots, 100.0, 0.9, LAMBDA, 11.83, 1000).unwrap();
        for a in &out {
            assert!((a.beta.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        }
        // A plot cannot be more than certainly assigned across the tracks.
        for j in 1..=2 {
            assert!(out[0].beta[j] + out[1].beta[j] <= 1.0 + 1e-12);
        }
        // Track A prefers its own close plot; B gets most of the middle one.
        assert!(out[0].beta[2] > out[0].beta[1]);
        assert!(out[1].beta[1] > 0.5, "{:?}", out[1].beta);
    }

    #[test]
    fn ambiguity_inflates_the_covariance_and_it_stays_spd() {
        let t = track(0.0, 0.0);
        // Two equally likely plots on either side: the estimate stays put, but P must
        // be larger than after a single sure plot (the spread term).
        let two = associate(
            &[t],
            &[[8.0, 0.0], [-8.0, 0.0]],
            100.0,
            0.9,
            LAMBDA,
            11.83,
            100,
        )
        .unwrap();
        let one = associate(&[t], &[[8.0, 0.0]], 100.0, 0.9, LAMBDA, 11.83, 100).unwrap();
        assert!(two[0].x[0].abs() < 1e-9);
        assert!(
            two[0].p[0][0] > one[0].p[0][0],
            "{} vs {}",
            two[0].p[0][0],
            one[0].p[0][0]
        );
        assert!(crate::motion::cholesky(&two[0].p).is_some());
        // Along the other axis the two hypotheses agree: no inflation there beyond
        // the single-plot case.
        assert!((two[0].p[1][1] - one[0].p[1][1]).abs() < 0.2 * one[0].p[1][1]);
    }

    #[test]
    fn too_many_joint_events_is_refused() {
        let ts: Vec<Predicted> = (0..6).map(|i| track(3.0 * i as f64, 0.0)).collect();
        let plots: Vec<[f64; 2]> = (0..6).map(|j| [3.0 * j as f64 + 1.0, 0.5]).collect();
        assert!(associate(&ts, &plots, 100.0, 0.9, LAMBDA, 11.83, 1000).is_none());
        assert!(associate(&ts, &plots, 100.0, 0.9, LAMBDA, 11.83, 100_000).is_some());
    }
}
