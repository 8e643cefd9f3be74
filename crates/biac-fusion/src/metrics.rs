//! Multi-target tracking metrics: GOSPA (α = 2) with its localisation / missed / false
//! split and an optional track-switching penalty, and OSPA.
//!
//! Points are `[f64; D]` in a Euclidean space (metres). With cut-off `c` and order `p`:
//!
//! * GOSPA (Rahmathullah, García-Fernández & Svensson, 2017, α = 2):
//!   `d = (min_γ Σ_{(i,j)∈γ} d(xᵢ, yⱼ)^p + c^p/2 · (|X| + |Y| − 2|γ|))^{1/p}`,
//!   over partial assignments γ whose pairs are closer than `c`. The split reports the
//!   three p-th-power terms (localisation, missed truths, false estimates), as
//!   `stonesoup_bench.py` and `gospa_score.py` do.
//! * OSPA (Schuhmacher, Vo & Vo, 2008): `((min_π Σ min(d, c)^p + c^p·|m − n|) / max(m, n))^{1/p}`.
//! * Switching ([`GospaSequence`]): per step, each truth whose estimate changes costs
//!   one switch (estimate to another estimate) or half a switch (assigned to unassigned
//!   or back); the step's GOSPA becomes `(d^p + γ_s^p · switches)^{1/p}` (the
//!   trajectory-metric form used by MATLAB's `trackGOSPAMetric`, with the switch
//!   bookkeeping of Stone Soup's `GOSPAMetric`).
//!
//! The optimal assignment is exact: pairs at distance `c` or more cost the same as
//! leaving both unassigned, so the problem splits into the connected components of the
//! "closer than c" graph (found with a grid of side `c`), each solved by
//! [`crate::assign::solve`]. That keeps 10,000-target scenes cheap.

use std::collections::BTreeMap;

use crate::assign;

/// GOSPA of one pair of sets.
#[derive(Clone, Debug, PartialEq)]
pub struct Gospa {
    /// The metric, `(localisation + missed + false)^{1/p}`.
    pub distance: f64,
    /// Σ d^p over assigned pairs (all closer than `c`).
    pub localisation: f64,
    /// `c^p / 2` per truth left unassigned.
    pub missed: f64,
    /// `c^p / 2` per estimate left unassigned.
    pub false_tracks: f64,
    /// For each truth, the index of its estimate (`None`: missed).
    pub assignment: Vec<Option<usize>>,
}

fn dist<const D: usize>(a: &[f64; D], b: &[f64; D]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Optimal assignment minimising Σ min(d, c)^p, as truth → estimate; pairs at `c` or
/// farther are reported unassigned (they cost the same either way).
fn assignment<const D: usize>(
    truth: &[[f64; D]],
    est: &[[f64; D]],
    c: f64,
    p: f64,
) -> Vec<Option<usize>> {
    let (m, n) = (truth.len(), est.len());
    let mut out = vec![None; m];
    if m == 0 || n == 0 {
        return out;
    }
    // Pairs closer than c, through a grid of side c (3^D neighbouring cells).
    let cell = |x: &[f64; D]| -> [i64; D] { std::array::from_fn(|k| (x[k] / c).floor() as i64) };
    let mut grid: BTreeMap<[i64; D], Vec<usize>> = BTreeMap::new();
    for (j, y) in est.iter().enumerate() {
        grid.entry(cell(y)).or_default().push(j);
    }
    let mut edges: Vec<(usize, usize, f64)> = Vec::new();
    let neighbours = 3usize.pow(D as u32);
    for (i, x) in truth.iter().enumerate() {
        let base = cell(x);
        for code in 0..neighbours {
            let mut key = base;
            let mut r = code;
            for k in key.iter_mut() {
                *k += (r % 3) as i64 - 1;
                r /= 3;
            }
            if let Some(js) = grid.get(&key) {
                for &j in js {
                    let d = dist(x, &est[j]);
                    if d < c {
                        edges.push((i, j, d.powf(p)));
                    }
                }
            }
        }
    }
    // Connected components: truths are 0..m, estimates m..m+n.
    let mut parent: Vec<usize> = (0..m + n).collect();
    for &(i, j, _) in &edges {
        let (a, b) = (find(&mut parent, i), find(&mut parent, m + j));
        if a != b {
            parent[a.max(b)] = a.min(b);
        }
    }
    let mut comps: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (k, &(i, _, _)) in edges.iter().enumerate() {
        let root = find(&mut parent, i);
        comps.entry(root).or_default().push(k);
    }
    let cp = c.powf(p);
    for members in comps.values() {
        let mut rows: Vec<usize> = members.iter().map(|&k| edges[k].0).collect();
        let mut cols: Vec<usize> = members.iter().map(|&k| edges[k].1).collect();
        rows.sort_unstable();
        rows.dedup();
        cols.sort_unstable();
        cols.dedup();
        if rows.len() == 1 && cols.len() == 1 {
            out[rows[0]] = Some(cols[0]);
            continue;
        }
        let (nr, nc) = (rows.len(), cols.len());
        let mut cost = vec![cp; nr * nc];
        for &k in members {
            let (i, j, w) = edges[k];
            let r = rows.binary_search(&i).expect("row");
            let col = cols.binary_search(&j).expect("col");
            cost[r * nc + col] = w;
        }
        let sol = assign::solve(&cost, nr, nc).expect("finite costs");
        for (r, col) in sol.into_iter().enumerate() {
            if let Some(col) = col {
                if cost[r * nc + col] < cp {
                    out[rows[r]] = Some(cols[col]);
                }
            }
        }
    }
    out
}

/// GOSPA (α = 2) between `truth` and `est` with cut-off `c` (> 0) and order `p` (≥ 1).
pub fn gospa<const D: usize>(truth: &[[f64; D]], est: &[[f64; D]], c: f64, p: f64) -> Gospa {
    let assignment = assignment(truth, est, c, p);
    let mut localisation = 0.0;
    let mut assigned = 0usize;
    for (i, a) in assignment.iter().enumerate() {
        if let Some(j) = *a {
            localisation += dist(&truth[i], &est[j]).powf(p);
            assigned += 1;
        }
    }
    let half = c.powf(p) / 2.0;
    let missed = half * (truth.len() - assigned) as f64;
    let false_tracks = half * (est.len() - assigned) as f64;
    Gospa {
        distance: (localisation + missed + false_tracks).powf(1.0 / p),
        localisation,
        missed,
        false_tracks,
        assignment,
    }
}

/// OSPA between `truth` and `est` with cut-off `c` and order `p`: 0 when both are
/// empty, `c` when exactly one is.
pub fn ospa<const D: usize>(truth: &[[f64; D]], est: &[[f64; D]], c: f64, p: f64) -> f64 {
    let (m, n) = (truth.len(), est.len());
    if m == 0 && n == 0 {
        return 0.0;
    }
    if m == 0 || n == 0 {
        return c;
    }
    // The optimal Σ min(d, c)^p assignment is the GOSPA one (unassigned pairs all cost
    // c^p); the max(m, n) − assigned unmatched elements each cost c^p.
    let a = assignment(truth, est, c, p);
    let mut sum = 0.0;
    let mut assigned = 0usize;
    for (i, x) in a.iter().enumerate() {
        if let Some(j) = *x {
            sum += dist(&truth[i], &est[j]).powf(p);
            assigned += 1;
        }
    }
    sum += c.powf(p) * (m.max(n) - assigned) as f64;
    (sum / m.max(n) as f64).powf(1.0 / p)
}

/// One step of [`GospaSequence`].
#[derive(Clone, Debug, PartialEq)]
pub struct GospaStep {
    /// GOSPA of this step without switching.
    pub gospa: Gospa,
    /// Switches this step (a half for each assigned ↔ unassigned change).
    pub switches: f64,
    /// `switching_penalty^p · switches`.
    pub switching: f64,
    /// `(gospa^p + switching)^{1/p}`.
    pub distance: f64,
}

/// GOSPA over time with a track-switching penalty: labelled truths and estimates, one
/// call per time step.
#[derive(Clone, Debug)]
pub struct GospaSequence {
    pub c: f64,
    pub p: f64,
    pub switching_penalty: f64,
    /// Last estimate id of each truth id seen assigned (None: unassigned since).
    last: BTreeMap<u64, Option<u64>>,
}

impl GospaSequence {
    pub fn new(c: f64, p: f64, switching_penalty: f64) -> Self {
        GospaSequence {
            c,
            p,
            switching_penalty,
            last: BTreeMap::new(),
        }
    }

    /// Score one step: `truth` and `est` as (id, point).
    pub fn step<const D: usize>(
        &mut self,
        truth: &[(u64, [f64; D])],
        est: &[(u64, [f64; D])],
    ) -> GospaStep {
        let tp: Vec<[f64; D]> = truth.iter().map(|t| t.1).collect();
        let ep: Vec<[f64; D]> = est.iter().map(|e| e.1).collect();
        let g = gospa(&tp, &ep, self.c, self.p);
        let mut switches = 0.0;
        for (&(tid, _), a) in truth.iter().zip(&g.assignment) {
            let now = a.map(|j| est[j].0);
            match self.last.get(&tid) {
                // A truth never assigned yet starts being followed when first assigned.
                None => {
                    if now.is_some() {
                        self.last.insert(tid, now);
                    }
                }
                Some(&prev) if prev != now => {
                    switches += if prev.is_some() && now.is_some() {
                        1.0
                    } else {
                        0.5
                    };
                    self.last.insert(tid, now);
                }
                Some(_) => {}
            }
        }
        let switching = self.switching_penalty.powf(self.p) * switches;
        let distance = (g.distance.powf(self.p) + switching).powf(1.0 / self.p);
        GospaStep {
            gospa: g,
            switches,
            switching,
            distance,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs()))
    }

    #[test]
    fn hand_computed_cases() {
        // Empty sets.
        let e: [[f64; 2]; 0] = [];
        let g = gospa(&e, &e, 100.0, 1.0);
        assert_eq!((g.distance, ospa(&e, &e, 100.0, 1.0)), (0.0, 0.0));
        // Two truths, no estimates: both missed, c/2 each.
        let t = [[0.0, 0.0], [500.0, 0.0]];
        let g = gospa(&t, &e, 100.0, 1.0);
        assert_eq!((g.distance, g.missed, g.false_tracks), (100.0, 100.0, 0.0));
        assert_eq!(ospa(&t, &e, 100.0, 1.0), 100.0);
        // One truth, one estimate 3-4-5 away; one far false estimate.
        let t = [[0.0, 0.0]];
        let est = [[3.0, 4.0], [1000.0, 0.0]];
        let g = gospa(&t, &est, 100.0, 1.0);
        assert_eq!(g.assignment, vec![Some(0)]);
        assert!(close(g.localisation, 5.0) && close(g.false_tracks, 50.0) && g.missed == 0.0);
        assert!(close(g.distance, 55.0));
        // OSPA: (5 + 100) / 2.
        assert!(close(ospa(&t, &est, 100.0, 1.0), 52.5));
        // p = 2: (25 + 100²/2)^(1/2).
        let g = gospa(&t, &est, 100.0, 2.0);
        assert!(close(g.distance, (25.0f64 + 5000.0).sqrt()));
        assert!(close(
            ospa(&t, &est, 100.0, 2.0),
            ((25.0 + 10_000.0) / 2.0f64).sqrt()
        ));
        // A pair farther than c is not assigned: one missed and one false (c/2 + c/2),
        // while OSPA truncates it at c.
        let g = gospa(&[[0.0, 0.0]], &[[150.0, 0.0]], 100.0, 1.0);
        assert_eq!(g.assignment, vec![None]);
        assert!(close(g.distance, 100.0) && close(g.missed, 50.0) && close(g.false_tracks, 50.0));
        assert!(close(
            ospa(&[[0.0, 0.0]], &[[150.0, 0.0]], 100.0, 1.0),
            100.0
        ));
        // The optimal assignment is global, not greedy: truths at 0 and 10, estimates
        // at 9 and 19 (1-D). Greedy takes (10, 9) then (0, 19): 1 + 19 = 20;
        // optimal is (0, 9) + (10, 19) = 18.
        let g = gospa(&[[0.0], [10.0]], &[[9.0], [19.0]], 100.0, 1.0);
        assert_eq!(g.assignment, vec![Some(0), Some(1)]);
        assert!(close(g.distance, 18.0));
    }

    /// Dense reference: full (m × n) assignment on min(d, c)^p with assign::solve.
    fn dense(truth: &[[f64; 2]], est: &[[f64; 2]], c: f64, p: f64) -> f64 {
        let (m, n) = (truth.len(), est.len());
        if m == 0 || n == 0 {
            return (c.powf(p) / 2.0 * (m + n) as f64).powf(1.0 / p);
        }
        let cost: Vec<f64> = truth
            .iter()
            .flat_map(|x| est.iter().map(|y| dist(x, y).min(c).powf(p)))
            .collect();
        let sol = assign::solve(&cost, m, n).unwrap();
        let s: f64 = sol
            .iter()
            .enumerate()
            .filter_map(|(i, j)| j.map(|j| cost[i * n + j]))
            .sum();
        (s + c.powf(p) / 2.0 * (m.abs_diff(n)) as f64).powf(1.0 / p)
    }

    #[test]
    fn component_split_matches_the_dense_assignment() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for case in 0..300 {
            let side = rng.random_range(50.0..2_000.0);
            let m = rng.random_range(0..25);
            let n = rng.random_range(0..25);
            let mut pts = |k: usize| -> Vec<[f64; 2]> {
                (0..k)
                    .map(|_| [rng.random_range(-side..side), rng.random_range(-side..side)])
                    .collect()
            };
            let (t, e) = (pts(m), pts(n));
            let p = if case % 2 == 0 { 1.0 } else { 2.0 };
            let g = gospa(&t, &e, 100.0, p);
            assert!(close(g.distance, dense(&t, &e, 100.0, p)), "case {case}");
            assert!(close(
                g.distance.powf(p),
                g.localisation + g.missed + g.false_tracks
            ));
        }
    }

    #[test]
    fn switching_penalty_counts_full_and_half_switches() {
        let mut s = GospaSequence::new(100.0, 1.0, 20.0);
        // Truth 1 followed by track 7, truth 2 by track 8.
        let t = |a: f64, b: f64| vec![(1, [a, 0.0]), (2, [b, 0.0])];
        let st = s.step(&t(0.0, 1000.0), &[(7, [1.0, 0.0]), (8, [1001.0, 0.0])]);
        assert_eq!(st.switches, 0.0);
        assert!(close(st.distance, 2.0));
        // The two tracks swap: two full switches, 2 · 20.
        let st = s.step(&t(0.0, 1000.0), &[(8, [1.0, 0.0]), (7, [1001.0, 0.0])]);
        assert_eq!(st.switches, 2.0);
        assert!(close(st.switching, 40.0) && close(st.distance, 42.0));
        // Track 7 lost: truth 2 missed (c/2) and half a switch (10).
        let st = s.step(&t(0.0, 1000.0), &[(8, [1.0, 0.0])]);
        assert_eq!(st.switches, 0.5);
        assert!(close(st.distance, 1.0 + 50.0 + 10.0));
        // Steady: no switch.
        let st = s.step(&t(0.0, 1000.0), &[(8, [1.0, 0.0])]);
        assert_eq!(st.switches, 0.0);
        // p = 2 combines in p-th powers.
        let mut s2 = GospaSequence::new(100.0, 2.0, 20.0);
        s2.step(&[(1, [0.0, 0.0])], &[(5, [0.0, 0.0])]);
        let st = s2.step(&[(1, [0.0, 0.0])], &[(6, [3.0, 4.0])]);
        assert!(close(st.distance, (25.0f64 + 400.0).sqrt()));
    }

    /// The same per-scan sets scored by `gospa_score.py score SCEN TRACKS --skip 0`
    /// (`../shared/bench/`), which printed: gospa_mean 123.98324915610193,
    /// loc 40.64991582276861, missed 33.333333333333336, false 50.0,
    /// ospa 52.301367844581044.
    #[test]
    fn matches_gospa_score_py() {
        let truth: [&[[f64; 2]]; 3] = [
            &[[0.0, 0.0], [10.0, 0.0], [500.0, 500.0]],
            &[[1.0, 0.0], [11.0, 0.0], [500.0, 500.0]],
            &[[2.0, 0.0], [12.0, 0.0]],
        ];
        let est: [&[[f64; 2]]; 3] = [
            &[[9.0, 0.0], [19.0, 0.0]],
            &[[4.0, 3.0], [11.5, -0.5], [900.0, 900.0], [560.0, 580.0]],
            &[[2.0, 99.0], [12.0, 0.0], [-300.0, 0.0]],
        ];
        let (mut g, mut loc, mut mis, mut fal, mut o) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for k in 0..3 {
            let r = gospa(truth[k], est[k], 100.0, 1.0);
            g += r.distance / 3.0;
            loc += r.localisation / 3.0;
            mis += r.missed / 3.0;
            fal += r.false_tracks / 3.0;
            o += ospa(truth[k], est[k], 100.0, 1.0) / 3.0;
        }
        assert!(close(g, 123.98324915610193), "{g}");
        assert!(close(loc, 40.64991582276861), "{loc}");
        assert!(close(mis, 33.333333333333336), "{mis}");
        assert!(close(fal, 50.0), "{fal}");
        assert!(close(o, 52.301367844581044), "{o}");
    }
}
