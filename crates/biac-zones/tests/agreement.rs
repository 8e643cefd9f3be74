//! The zones against an independent geodesic reference.
//!
//! The reference is brute force with Karney's library called directly (geographiclib-rs,
//! not biac-geo, not this crate's index or foot-of-perpendicular): every baseline vertex
//! of every state, then a golden-section search along each nearby segment's geodesic.
//! Points are drawn near the limits (random baseline vertex, bearing and distance), where
//! membership can be wrong. Membership must agree except within 0.5 nm of the 12 nm
//! limit, 2 nm of the 200 nm limit, or as close to a median line.

use std::sync::LazyLock;
use std::time::Instant;

use biac_geo::NM;
use biac_zones::display::{zone_polygons, Resolution};
use biac_zones::{State, ZoneKind, ZoneSet, CONTIGUOUS_ZONE_M, EEZ_M};
use geographiclib_rs::{DirectGeodesic, Geodesic, InverseGeodesic};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

static SET: LazyLock<ZoneSet> = LazyLock::new(|| {
    let t = Instant::now();
    let s = ZoneSet::theatre();
    eprintln!("build: {:.2} s, {} segments", t.elapsed().as_secs_f64(), s.segment_count());
    s
});

static G: LazyLock<Geodesic> = LazyLock::new(Geodesic::wgs84);

type Segs = Vec<((f64, f64), (f64, f64))>;

/// Every state's baseline.
static BASELINES: LazyLock<Vec<(State, Segs)>> = LazyLock::new(|| {
    SET.states()
        .map(|s| (s, SET.baseline(s).into_iter().map(|(a, b, _)| (a, b)).collect()))
        .collect()
});

fn geo(a: (f64, f64), b: (f64, f64)) -> f64 {
    G.inverse(a.0, a.1, b.0, b.1)
}

/// Great-circle distance on a 6,371 km sphere, within 0.6 % of the geodesic.
fn sphere(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (p1, p2) = (a.0.to_radians(), b.0.to_radians());
    let dl = (b.1 - a.1).to_radians();
    let h = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().min(1.0).asin()
}

/// Distance to a geodesic segment by golden-section search along it.
fn to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    if a == b {
        return geo(p, a);
    }
    let (len, azi, _, _): (f64, f64, f64, f64) = G.inverse(a.0, a.1, b.0, b.1);
    let at = |t: f64| {
        let (la, lo, _): (f64, f64, f64) = G.direct(a.0, a.1, azi, t * len);
        geo(p, (la, lo))
    };
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let r = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..40 {
        let (m1, m2) = (hi - r * (hi - lo), lo + r * (hi - lo));
        if at(m1) < at(m2) {
            hi = m2;
        } else {
            lo = m1;
        }
    }
    at((lo + hi) / 2.0).min(geo(p, a)).min(geo(p, b))
}

fn min_sphere(p: (f64, f64), segs: &Segs) -> f64 {
    segs.iter()
        .flat_map(|&(a, b)| [sphere(p, a), sphere(p, b)])
        .fold(f64::INFINITY, f64::min)
}

/// Reference distance from `p` to a baseline, metres.
fn reference(p: (f64, f64), segs: &Segs) -> f64 {
    // Vertices that could be within a segment (≤ 5 km) of the nearest.
    let keep = min_sphere(p, segs) * 1.015 + 6_000.0;
    segs.iter()
        .filter(|&&(a, b)| sphere(p, a).min(sphere(p, b)) <= keep)
        .map(|&(a, b)| to_segment(p, a, b))
        .fold(f64::INFINITY, f64::min)
}

/// Reference distances to the nearest states' baselines, nearest first: exact for every
/// state that could be first or second (the sphere is within 1 % of the geodesic).
fn reference_all(p: (f64, f64)) -> Vec<(State, f64)> {
    let mut bound: Vec<_> = BASELINES.iter().map(|(s, segs)| (*s, segs, min_sphere(p, segs))).collect();
    bound.sort_by(|a, b| a.2.total_cmp(&b.2));
    let mut v: Vec<(State, f64)> = Vec::new();
    for (s, segs, lower) in bound {
        let second = v.get(1).map_or(f64::INFINITY, |x| x.1);
        if lower / 1.01 > second {
            break;
        }
        v.push((s, reference(p, segs)));
        v.sort_by(|a, b| a.1.total_cmp(&b.1));
    }
    v
}

/// A point at a random distance in `nm` from a random baseline vertex of a theatre state.
fn near_limit(rng: &mut ChaCha8Rng, nm: (f64, f64)) -> (f64, f64) {
    loop {
        let s = State::THEATRE[rng.random_range(0..5)];
        let segs = &BASELINES.iter().find(|b| b.0 == s).unwrap().1;
        let (a, _) = segs[rng.random_range(0..segs.len())];
        let (la, lo, _): (f64, f64, f64) =
            G.direct(a.0, a.1, rng.random_range(0.0..360.0), rng.random_range(nm.0..nm.1) * NM);
        if (5.0..=50.0).contains(&la) && (115.0..=155.0).contains(&lo) && !SET.shore(la, lo).unwrap().land {
            return (la, lo);
        }
    }
}

const ROUNDS: usize = 240;

#[test]
fn distances_and_membership_agree_with_the_reference() {
    let mut rng = ChaCha8Rng::seed_from_u64(16);
    let (mut worst_d, mut n_d) = (0.0f64, 0usize);
    let (mut ts_checked, mut ts_tol, mut eez_checked, mut eez_tol) = (0, 0, 0, 0);
    let mut query_s = 0.0;
    for round in 0..ROUNDS {
        let (limit_nm, band) = if round % 2 == 0 { (12.0, (0.0, 30.0)) } else { (200.0, (150.0, 250.0)) };
        let p = near_limit(&mut rng, band);
        let r = reference_all(p);
        let t = Instant::now();
        let z = SET.zone_at(p.0, p.1);
        query_s += t.elapsed().as_secs_f64();
        // Distances to the nearest two states' baselines.
        for &(s, d_ref) in r.iter().take(2) {
            let d = SET.distance_to_baseline_m(s, p.0, p.1).unwrap();
            worst_d = worst_d.max((d - d_ref).abs());
            n_d += 1;
        }
        let (s0, d0) = r[0];
        let d1 = r.get(1).map_or(f64::INFINITY, |x| x.1);
        let theatre = State::THEATRE.contains(&s0).then_some(s0);
        if limit_nm == 12.0 {
            let ts_limit = SET.territorial_sea_m(s0, p.0, p.1);
            let want = theatre.filter(|_| d0 <= ts_limit);
            let tol = 0.5 * NM;
            if (d0 - ts_limit).abs() <= tol || d1 - d0 <= 2.0 * tol {
                ts_tol += 1;
                continue;
            }
            assert_eq!(z.territorial_sea, want, "{p:?}: ref {r:?}, got {z:?}");
            let cz = theatre.filter(|_| d0 > ts_limit && d0 <= CONTIGUOUS_ZONE_M);
            if (d0 - CONTIGUOUS_ZONE_M).abs() > tol {
                assert_eq!(z.contiguous_zone, cz, "{p:?}: ref {r:?}, got {z:?}");
            }
            ts_checked += 1;
        } else {
            let want = theatre.filter(|_| d0 <= EEZ_M);
            let tol = 2.0 * NM;
            if (d0 - EEZ_M).abs() <= tol || d1 - d0 <= 2.0 * tol {
                eez_tol += 1;
                continue;
            }
            // The EEZ lies beyond the territorial sea: within 200 nm is one or the other.
            assert_eq!(z.eez.or(z.territorial_sea), want, "{p:?}: ref {r:?}, got {z:?}");
            eez_checked += 1;
        }
    }
    eprintln!(
        "distance: worst |index − reference| {worst_d:.3} m over {n_d}; territorial sea: {ts_checked} \
         agree, {ts_tol} within tolerance; EEZ: {eez_checked} agree, {eez_tol} within tolerance; \
         zone_at mean {:.1} µs (debug)",
        query_s / ROUNDS as f64 * 1e6
    );
    assert!(worst_d < 5.0, "{worst_d} m");
    assert!(ts_checked > ROUNDS / 3 && eez_checked > ROUNDS / 3);
}

/// Display polygons against the exact query: same membership except within the tolerance
/// of the limit or the median.
fn polygons_agree(state: State, kind: ZoneKind, seed: u64) {
    let t = Instant::now();
    let res = Resolution::for_kind(kind);
    let poly = zone_polygons(&SET, state, kind, res);
    let build = t.elapsed().as_secs_f64();
    let (limit, tol, band) = match kind {
        ZoneKind::Eez => (EEZ_M, 2.0 * NM, (150.0, 250.0)),
        _ => (12.0 * NM, 0.5 * NM, (0.0, 30.0)),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut checked, mut near) = (0, 0);
    while checked + near < 400 {
        let p = near_limit(&mut rng, band);
        let z = SET.zone_at(p.0, p.1);
        let exact = match kind {
            ZoneKind::Eez => z.territorial_sea == Some(state) || z.eez == Some(state),
            _ => z.territorial_sea == Some(state),
        };
        let d = SET.distance_to_baseline_m(state, p.0, p.1).unwrap_or(f64::INFINITY);
        let d_other = SET
            .states()
            .filter(|&s| s != state)
            .filter_map(|s| SET.distance_to_baseline_m(s, p.0, p.1))
            .fold(f64::INFINITY, f64::min);
        let limit = if kind == ZoneKind::Eez { limit } else { SET.territorial_sea_m(state, p.0, p.1) };
        if (d - limit).abs() <= tol || (d - d_other).abs() <= 2.0 * tol {
            near += 1;
            continue;
        }
        assert_eq!(poly.contains(p.0, p.1), exact, "{state} {kind:?} at {p:?}: d {} nm", d / NM);
        checked += 1;
    }
    eprintln!(
        "{state} {}: {} polygons, {} exact evaluations, {build:.1} s (debug); {checked} agree, {near} within tolerance",
        kind.as_str(),
        poly.polygons.len(),
        poly.exact_evaluations
    );
    assert!(checked > 200);
}

#[test]
fn japan_territorial_sea_polygons_agree_with_the_query() {
    polygons_agree(State::JPN, ZoneKind::TerritorialSea, 1);
}

#[test]
fn korea_eez_polygons_agree_with_the_query() {
    polygons_agree(State::KOR, ZoneKind::Eez, 2);
}

#[test]
fn japan_eez_polygons_agree_with_the_query() {
    polygons_agree(State::JPN, ZoneKind::Eez, 3);
}
