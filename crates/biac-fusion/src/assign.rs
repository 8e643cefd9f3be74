//! Rectangular linear assignment (minimum-cost bipartite matching).
//!
//! Shortest augmenting path with dual potentials (Jonker-Volgenant family, in the
//! formulation of Crouse, "On implementing 2D rectangular assignment algorithms", 2016).
//! O(n² m) for n ≤ m. `f64::INFINITY` marks a forbidden pair.

/// Minimum-cost assignment on a row-major `rows x cols` cost matrix.
///
/// Assigns `min(rows, cols)` pairs, each row and column at most once, minimising the
/// sum of costs. Returns, for each row, its column (`None` for rows left over when
/// `rows > cols`), or `None` if no assignment of that size avoids forbidden
/// (infinite) entries. Costs must not be NaN. Ties are broken deterministically.
pub fn solve(cost: &[f64], rows: usize, cols: usize) -> Option<Vec<Option<usize>>> {
    assert_eq!(cost.len(), rows * cols, "cost matrix shape");
    if rows == 0 || cols == 0 {
        return Some(vec![None; rows]);
    }
    if rows <= cols {
        let c4r = solve_wide(cost, rows, cols)?;
        Some(c4r.into_iter().map(Some).collect())
    } else {
        // Transpose so that rows <= cols, then invert the answer.
        let mut t = vec![0.0; rows * cols];
        for r in 0..rows {
            for c in 0..cols {
                t[c * rows + r] = cost[r * cols + c];
            }
        }
        let r4c = solve_wide(&t, cols, rows)?;
        let mut out = vec![None; rows];
        for (c, r) in r4c.into_iter().enumerate() {
            out[r] = Some(c);
        }
        Some(out)
    }
}

const NONE: usize = usize::MAX;

/// `nr <= nc`; returns the column of each row.
fn solve_wide(cost: &[f64], nr: usize, nc: usize) -> Option<Vec<usize>> {
    let mut u = vec![0.0f64; nr];
    let mut v = vec![0.0f64; nc];
    let mut shortest = vec![f64::INFINITY; nc];
    let mut path = vec![NONE; nc];
    let mut col4row = vec![NONE; nr];
    let mut row4col = vec![NONE; nc];
    let mut sr = vec![false; nr];
    let mut sc = vec![false; nc];
    let mut remaining = vec![0usize; nc];

    for cur_row in 0..nr {
        // Dijkstra-like search for the cheapest augmenting path from `cur_row` in the
        // reduced costs c[i][j] - u[i] - v[j] (all >= 0 by the dual invariant).
        sr.iter_mut().for_each(|x| *x = false);
        sc.iter_mut().for_each(|x| *x = false);
        shortest.iter_mut().for_each(|x| *x = f64::INFINITY);
        for (it, r) in remaining.iter_mut().enumerate() {
            *r = nc - it - 1;
        }
        let mut num_remaining = nc;
        let mut min_val = 0.0f64;
        let mut i = cur_row;
        let mut sink = NONE;
        while sink == NONE {
            sr[i] = true;
            let mut index = NONE;
            let mut lowest = f64::INFINITY;
            for (it, &j) in remaining[..num_remaining].iter().enumerate() {
                let r = min_val + cost[i * nc + j] - u[i] - v[j];
                if r < shortest[j] {
                    path[j] = i;
                    shortest[j] = r;
                }
                // Prefer a free column on ties: it ends the search sooner.
                if shortest[j] < lowest || (shortest[j] == lowest && row4col[j] == NONE) {
                    lowest = shortest[j];
                    index = it;
                }
            }
            min_val = lowest;
            if !min_val.is_finite() {
                return None; // only forbidden entries reachable: infeasible
            }
            let j = remaining[index];
            if row4col[j] == NONE {
                sink = j;
            } else {
                i = row4col[j];
            }
            sc[j] = true;
            num_remaining -= 1;
            remaining[index] = remaining[num_remaining];
        }
        // Update the dual potentials.
        u[cur_row] += min_val;
        for r in 0..nr {
            if sr[r] && r != cur_row {
                u[r] += min_val - shortest[col4row[r]];
            }
        }
        for c in 0..nc {
            if sc[c] {
                v[c] -= min_val - shortest[c];
            }
        }
        // Augment along the path back to `cur_row`.
        let mut j = sink;
        loop {
            let r = path[j];
            row4col[j] = r;
            std::mem::swap(&mut col4row[r], &mut j);
            if r == cur_row {
                break;
            }
        }
    }
    Some(col4row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Minimum over all assignments of min(rows, cols) pairs, by enumeration.
    fn brute(cost: &[f64], rows: usize, cols: usize) -> Option<f64> {
        struct Ctx<'a> {
            cost: &'a [f64],
            rows: usize,
            cols: usize,
            used: Vec<bool>,
            best: Option<f64>,
        }
        fn rec(c: &mut Ctx, r: usize, skips_left: usize, acc: f64) {
            if r == c.rows {
                if acc.is_finite() && c.best.is_none_or(|b| acc < b) {
                    c.best = Some(acc);
                }
                return;
            }
            if skips_left > 0 {
                rec(c, r + 1, skips_left - 1, acc);
            }
            for col in 0..c.cols {
                if !c.used[col] {
                    c.used[col] = true;
                    let a = acc + c.cost[r * c.cols + col];
                    rec(c, r + 1, skips_left, a);
                    c.used[col] = false;
                }
            }
        }
        let mut c = Ctx {
            cost,
            rows,
            cols,
            used: vec![false; cols],
            best: None,
        };
        rec(&mut c, 0, rows.saturating_sub(cols), 0.0);
        c.best
    }

    fn check(cost: &[f64], rows: usize, cols: usize) {
        let got = solve(cost, rows, cols);
        let want = brute(cost, rows, cols);
        match (got, want) {
            (None, None) => {}
            (Some(a), Some(w)) => {
                assert_eq!(a.len(), rows);
                let mut used = vec![false; cols];
                let mut total = 0.0;
                let mut n = 0;
                for (r, c) in a.iter().enumerate() {
                    if let Some(c) = *c {
                        assert!(!used[c], "column used twice");
                        used[c] = true;
                        total += cost[r * cols + c];
                        n += 1;
                    }
                }
                assert_eq!(n, rows.min(cols));
                assert!(
                    (total - w).abs() <= 1e-9 * (1.0 + w.abs()),
                    "solver {total} brute {w} for {rows}x{cols} {cost:?}"
                );
            }
            (g, w) => panic!("feasibility differs: solver {g:?} brute {w:?} {cost:?}"),
        }
    }

    #[test]
    fn matches_brute_force_on_random_matrices() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for case in 0..4000 {
            let rows = rng.random_range(1..=6);
            let cols = rng.random_range(1..=6);
            let forbid = if case % 3 == 0 { 0.35 } else { 0.0 };
            let integer = case % 5 == 0; // many exact ties
            let cost: Vec<f64> = (0..rows * cols)
                .map(|_| {
                    if rng.random_bool(forbid) {
                        f64::INFINITY
                    } else if integer {
                        rng.random_range(0..4) as f64
                    } else {
                        rng.random_range(-50.0..100.0)
                    }
                })
                .collect();
            check(&cost, rows, cols);
        }
    }

    #[test]
    fn small_known_cases() {
        assert_eq!(solve(&[], 0, 3), Some(vec![]));
        assert_eq!(solve(&[], 2, 0), Some(vec![None, None]));
        let c = [4.0, 1.0, 3.0, 2.0, 0.0, 5.0, 3.0, 2.0, 2.0];
        assert_eq!(solve(&c, 3, 3), Some(vec![Some(1), Some(0), Some(2)]));
        let inf = f64::INFINITY;
        assert_eq!(solve(&[inf, inf], 1, 2), None);
        assert_eq!(solve(&[1.0, inf, 0.0, inf], 2, 2), None);
        // Wide and tall.
        assert_eq!(solve(&[5.0, 1.0, 3.0], 1, 3), Some(vec![Some(1)]));
        assert_eq!(
            solve(&[5.0, 1.0, 3.0], 3, 1),
            Some(vec![None, Some(0), None])
        );
    }
}
