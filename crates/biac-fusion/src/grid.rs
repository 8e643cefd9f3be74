//! Coarse spatial index for the first gating stage: balls (a point and a radius, ECEF
//! metres) in a loose multi-level grid of ECEF cubes.
//!
//! ECEF cubes have no poles, no antimeridian and a uniform metric, so one index covers
//! the whole theatre. Level `k` has cubes of side `base * 4^k`; a ball goes to the
//! finest level whose side is at least twice its radius and is entered in every cube
//! of that level its bounding box touches (at most 8). A point query then looks up one
//! cube per non-empty level, with no duplicates. Balls too large for the coarsest
//! level (`max_cell`) are kept in a list that every query returns.
//!
//! Cubes are found through an open-addressing table (a fixed multiplicative hash), and
//! each cube's items are kept in the order they were entered: building is linear time
//! and the output never depends on hash order.

/// Cube coordinates are offset by this and packed into 21 bits each.
const OFFSET: i64 = 1 << 20;
const MASK: i64 = (1 << 21) - 1;

fn key(cx: i64, cy: i64, cz: i64) -> u64 {
    (((cx + OFFSET) & MASK) << 42 | ((cy + OFFSET) & MASK) << 21 | ((cz + OFFSET) & MASK)) as u64
}

struct Level {
    cell: f64,
    /// (cube key, item) as the balls are entered; emptied by `finish`.
    pending: Vec<(u64, u32)>,
    /// Items grouped by cube, each group in entry order.
    items: Vec<u32>,
    /// Open addressing: (key, start, end) into `items`; `end == 0` marks empty.
    table: Vec<(u64, u32, u32)>,
    shift: u32,
}

impl Level {
    fn new(cell: f64) -> Self {
        Level {
            cell,
            pending: Vec::new(),
            items: Vec::new(),
            table: Vec::new(),
            shift: 64,
        }
    }

    fn slot(&self, k: u64) -> usize {
        (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// Groups the entries by cube (a counting sort through the table: linear time).
    fn finish(&mut self) {
        let n = self.pending.len();
        if n == 0 {
            return;
        }
        // At most n distinct cubes: a load factor of at most 2/3.
        let bits = (n + n / 2).next_power_of_two().trailing_zeros().max(1);
        self.shift = 64 - bits;
        let mask = (1usize << bits) - 1;
        // First (key, count, 0) per used slot; count > 0 marks a used slot.
        let mut table: Vec<(u64, u32, u32)> = vec![(0, 0, 0); 1 << bits];
        let mut slot_of = Vec::with_capacity(n);
        for &(k, _) in &self.pending {
            let mut s = self.slot(k);
            while table[s].1 != 0 && table[s].0 != k {
                s = (s + 1) & mask;
            }
            table[s].0 = k;
            table[s].1 += 1;
            slot_of.push(s as u32);
        }
        // Then (key, start, end), and the items scattered by a cursor per slot.
        let mut cursor = vec![0u32; 1 << bits];
        let mut start = 0u32;
        for (e, c) in table.iter_mut().zip(cursor.iter_mut()) {
            let count = e.1;
            *e = (e.0, start, if count == 0 { 0 } else { start + count });
            *c = start;
            start += count;
        }
        self.items = vec![0; n];
        for (&(_, item), &s) in self.pending.iter().zip(&slot_of) {
            let c = &mut cursor[s as usize];
            self.items[*c as usize] = item;
            *c += 1;
        }
        self.table = table;
        self.pending = Vec::new();
    }

    fn cube(&self, k: u64) -> &[u32] {
        if self.table.is_empty() {
            return &[];
        }
        let mask = self.table.len() - 1;
        let mut s = self.slot(k);
        loop {
            let (tk, a, b) = self.table[s];
            if b == 0 {
                return &[];
            }
            if tk == k {
                return &self.items[a as usize..b as usize];
            }
            s = (s + 1) & mask;
        }
    }

    fn coord(&self, v: f64) -> i64 {
        // floor() without the libm call (ECEF coordinates are far inside i64).
        let t = v / self.cell;
        let i = t as i64;
        if (i as f64) > t {
            i - 1
        } else {
            i
        }
    }
}

/// A built index; items are numbered in the order they were given.
pub struct BallIndex {
    levels: Vec<Level>,
    wide: Vec<u32>,
}

impl BallIndex {
    /// Index `balls` (`(centre, radius)`). The finest cube side is eight times the
    /// median radius (so most balls sit on the finest level, in about 2 cubes), clamped to
    /// `[min_cell, max_cell]`; balls larger than `max_cell / 2` go to the wide list.
    pub fn build(balls: &[([f64; 3], f64)], min_cell: f64, max_cell: f64) -> Self {
        let mut radii: Vec<f64> = balls.iter().map(|b| b.1).collect();
        let base = if radii.is_empty() {
            max_cell
        } else {
            let mid = radii.len() / 2;
            let (_, m, _) = radii.select_nth_unstable_by(mid, f64::total_cmp);
            (8.0 * *m).clamp(min_cell, max_cell)
        };
        // The packed key holds 21 bits per axis: keep cubes at least 8 m for ECEF.
        let base = base.max(8.0);
        let mut levels = vec![Level::new(base)];
        while levels.last().expect("one level").cell * 4.0 <= max_cell {
            let c = levels.last().expect("one level").cell * 4.0;
            levels.push(Level::new(c));
        }
        let mut wide = Vec::new();
        for (i, &(p, r)) in balls.iter().enumerate() {
            let i = i as u32;
            let Some(lv) = levels.iter_mut().find(|l| 2.0 * r <= l.cell) else {
                wide.push(i);
                continue;
            };
            let lo: [i64; 3] = std::array::from_fn(|a| lv.coord(p[a] - r));
            let hi: [i64; 3] = std::array::from_fn(|a| lv.coord(p[a] + r));
            for cx in lo[0]..=hi[0] {
                for cy in lo[1]..=hi[1] {
                    for cz in lo[2]..=hi[2] {
                        lv.pending.push((key(cx, cy, cz), i));
                    }
                }
            }
        }
        for lv in &mut levels {
            lv.finish();
        }
        levels.retain(|l| !l.items.is_empty());
        BallIndex { levels, wide }
    }

    /// Appends to `out` every item whose ball may contain `p` (a superset: the caller
    /// checks the distance). No item is returned twice.
    pub fn query_point(&self, p: [f64; 3], out: &mut Vec<u32>) {
        for lv in &self.levels {
            let k = key(lv.coord(p[0]), lv.coord(p[1]), lv.coord(p[2]));
            out.extend_from_slice(lv.cube(k));
        }
        out.extend_from_slice(&self.wide);
    }

    /// Appends to `out` every item whose ball may come within `r` of `p`. Items may be
    /// returned more than once.
    pub fn query_ball(&self, p: [f64; 3], r: f64, out: &mut Vec<u32>) {
        for lv in &self.levels {
            let lo: [i64; 3] = std::array::from_fn(|a| lv.coord(p[a] - r));
            let hi: [i64; 3] = std::array::from_fn(|a| lv.coord(p[a] + r));
            for cx in lo[0]..=hi[0] {
                for cy in lo[1]..=hi[1] {
                    for cz in lo[2]..=hi[2] {
                        out.extend_from_slice(lv.cube(key(cx, cy, cz)));
                    }
                }
            }
        }
        out.extend_from_slice(&self.wide);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn d(a: [f64; 3], b: [f64; 3]) -> f64 {
        ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
    }

    #[test]
    fn queries_find_every_overlapping_ball() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let origin = crate::geo::geodetic_to_ecef(26.0, 127.0, 0.0);
        let around = |rng: &mut ChaCha8Rng, s: f64| -> [f64; 3] {
            std::array::from_fn(|a| origin[a] + rng.random_range(-s..s))
        };
        let balls: Vec<([f64; 3], f64)> = (0..600)
            .map(|k| {
                // Mostly small radii, some large, a few beyond the coarsest level.
                let r = match k % 10 {
                    0 => rng.random_range(1_000.0..20_000.0),
                    1 if k % 100 == 1 => 50_000.0,
                    _ => rng.random_range(10.0..300.0),
                };
                (around(&mut rng, 30_000.0), r)
            })
            .collect();
        let idx = BallIndex::build(&balls, 50.0, 40_000.0);
        let mut out = Vec::new();
        for _ in 0..2000 {
            let p = around(&mut rng, 31_000.0);
            out.clear();
            idx.query_point(p, &mut out);
            let mut sorted = out.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), out.len(), "point query returned duplicates");
            for (i, b) in balls.iter().enumerate() {
                if d(b.0, p) <= b.1 {
                    assert!(out.contains(&(i as u32)), "point query missed ball {i}");
                }
            }
            let r = rng.random_range(0.0..2_000.0);
            out.clear();
            idx.query_ball(p, r, &mut out);
            for (i, b) in balls.iter().enumerate() {
                if d(b.0, p) <= b.1 + r {
                    assert!(out.contains(&(i as u32)), "ball query missed ball {i}");
                }
            }
        }
        let empty = BallIndex::build(&[], 50.0, 40_000.0);
        out.clear();
        empty.query_point(origin, &mut out);
        assert!(out.is_empty());
    }
}
