//! Nearest baseline segment by geodesic distance.
//!
//! Segments are short geodesics (at most [`MAX_SEGMENT_M`]; longer coast edges are split).
//! An R*-tree over their chords in ECEF finds candidates in order of straight-line
//! distance, and each candidate's geodesic distance is computed exactly enough:
//!
//! * the foot of the perpendicular from the query to the segment is taken on the plane
//!   section through the Earth's centre and the segment's ends (a segment of 5 km departs
//!   from that section by millimetres); an error δ along the segment changes the distance
//!   by about δ²/2d, centimetres;
//! * the distance from the query to that foot is Karney's geodesic (biac-geo).
//!
//! The search stops when a chord is longer than the best geodesic plus the chord's sag
//! below the surface ([`SAG_M`]): a chord is never longer than the geodesic it spans plus
//! the sag, so no later candidate can be nearer. The result is the exact geodesic distance
//! to the segment set up to the foot's error (well under a metre; the tests measure it).

use biac_geo::{distance_m, geodetic_to_ecef, EnuFrame, WGS84_E2};
use rstar::primitives::{GeomWithData, Line};
use rstar::RTree;

use crate::{Rights, State};

/// Longest baseline segment; longer edges of the data are split along the geodesic.
pub(crate) const MAX_SEGMENT_M: f64 = 5_000.0;
/// How far a 5 km chord sags below the ellipsoid (L²/8R with R ≥ 6,335 km: 0.49 m), with margin.
pub(crate) const SAG_M: f64 = 1.0;
/// Candidates within this of the best are ties (the same vertex reached by two segments).
const TIE_M: f64 = 0.5;

/// One baseline or coast segment (a point when `a == b`).
#[derive(Clone, Debug)]
pub(crate) struct Seg {
    pub a: (f64, f64),
    pub b: (f64, f64),
    pub ea: [f64; 3],
    pub eb: [f64; 3],
    pub state: State,
    /// Part of a coastline with land on its left (not a configured point).
    pub sided: bool,
    /// What it generates as a baseline; `None`: shore only (an unrecognised feature).
    pub rights: Option<Rights>,
    /// The configured feature it belongs to (index in the configuration's list).
    pub feature: Option<u16>,
}

impl Seg {
    pub fn new(
        a: (f64, f64),
        b: (f64, f64),
        state: State,
        sided: bool,
        rights: Option<Rights>,
    ) -> Seg {
        Seg {
            rights,
            feature: None,
            a,
            b,
            ea: geodetic_to_ecef(a.0, a.1, 0.0),
            eb: geodetic_to_ecef(b.0, b.1, 0.0),
            state,
            sided,
        }
    }
}

/// Splits a polyline into segments no longer than [`MAX_SEGMENT_M`].
pub(crate) fn segments(
    pts: &[(f64, f64)],
    state: State,
    sided: bool,
    rights: Option<Rights>,
    out: &mut Vec<Seg>,
) {
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let (len, az, _) = biac_geo::inverse(a.0, a.1, b.0, b.1);
        let n = (len / MAX_SEGMENT_M).ceil().max(1.0) as usize;
        let mut prev = a;
        for k in 1..=n {
            let next = if k == n {
                b
            } else {
                biac_geo::destination(a.0, a.1, az, len * k as f64 / n as f64)
            };
            out.push(Seg::new(prev, next, state, sided, rights));
            prev = next;
        }
    }
}

type Item = GeomWithData<Line<[f64; 3]>, u32>;

/// The nearest segment of a set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Hit {
    pub seg: u32,
    pub distance_m: f64,
    /// The query is on the land side of the coast (sided segments only).
    pub land: bool,
}

/// An R*-tree over a subset of the segments.
pub(crate) struct SegIndex {
    tree: RTree<Item>,
}

impl SegIndex {
    pub fn new(segs: &[Seg], mut keep: impl FnMut(&Seg) -> bool) -> SegIndex {
        let items = segs
            .iter()
            .enumerate()
            .filter(|(_, s)| keep(s))
            .map(|(i, s)| GeomWithData::new(Line::new(s.ea, s.eb), i as u32))
            .collect();
        SegIndex {
            tree: RTree::bulk_load(items),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }

    /// The nearest segment to (`lat`, `lon`) by geodesic distance, and whether the point
    /// is on the land side of it.
    pub fn nearest(&self, segs: &[Seg], q: &Query) -> Option<Hit> {
        let mut best = f64::INFINITY;
        // The nearest few candidates: ties are a vertex reached by both its segments.
        let mut cands: [(u32, f64); 8] = [(0, f64::INFINITY); 8];
        for (item, d2) in self.tree.nearest_neighbor_iter_with_distance_2(&q.e) {
            if d2.sqrt() - SAG_M > best + TIE_M {
                break;
            }
            let d = geodesic_to_segment(q, &segs[item.data as usize]);
            best = best.min(d);
            let worst = (0..cands.len())
                .max_by(|&i, &j| cands[i].1.total_cmp(&cands[j].1))
                .unwrap_or(0);
            if d < cands[worst].1 {
                cands[worst] = (item.data, d);
            }
        }
        if !best.is_finite() {
            return None;
        }
        // Side: of the tied candidates, the one whose line the point is farthest from
        // decides (at a vertex, the other edge's line can cut the vertex's normal cone
        // when the coast turns sharply).
        let frame = EnuFrame::new(q.lat, q.lon);
        let qe = frame.ecef_to_en(q.e);
        let (mut pick, mut land, mut far, mut left) = (None, false, -1.0, false);
        for &(i, d) in cands.iter().filter(|c| c.1 <= best + TIE_M) {
            let s = &segs[i as usize];
            pick = pick.or(Some(i));
            if !s.sided {
                continue;
            }
            let a = frame.ecef_to_en(s.ea);
            let b = frame.ecef_to_en(s.eb);
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let len = (dx * dx + dy * dy).sqrt();
            if len == 0.0 {
                continue;
            }
            let side = (dx * (qe[1] - a[1]) - dy * (qe[0] - a[0])) / len;
            let eps = 1e-6 * side.abs().max(1.0);
            if side.abs() > far + eps {
                far = side.abs();
                left = side > 0.0;
                land = left && d > 0.0;
                pick = Some(i);
            } else if (side.abs() - far).abs() <= eps && (side > 0.0) != left {
                // Equally far on both sides: one line drawn there and back (an islet the
                // data has as a line), which encloses no land. Not the candidates' order.
                land = false;
            }
        }
        Some(Hit {
            seg: pick?,
            distance_m: best,
            land,
        })
    }
}

/// A query point, converted once.
pub(crate) struct Query {
    pub lat: f64,
    pub lon: f64,
    pub e: [f64; 3],
}

impl Query {
    pub fn new(lat: f64, lon: f64) -> Query {
        Query {
            lat,
            lon,
            e: geodetic_to_ecef(lat, lon, 0.0),
        }
    }
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn unit(a: [f64; 3]) -> [f64; 3] {
    let n = dot(a, a).sqrt();
    [a[0] / n, a[1] / n, a[2] / n]
}

/// The geodetic (lat, lon) of the surface point in the geocentric direction `u`.
fn surface_along(u: [f64; 3]) -> (f64, f64) {
    let rho = (u[0] * u[0] + u[1] * u[1]).sqrt();
    // On the ellipsoid, tan(geodetic lat) = tan(geocentric lat) / (1 − e²).
    let lat = u[2].atan2(rho * (1.0 - WGS84_E2));
    (lat.to_degrees(), u[1].atan2(u[0]).to_degrees())
}

/// Geodesic distance from the query to the segment (see the module note for the bound).
pub(crate) fn geodesic_to_segment(q: &Query, s: &Seg) -> f64 {
    let foot = foot(q, s);
    distance_m(q.lat, q.lon, foot.0, foot.1)
}

fn foot(q: &Query, s: &Seg) -> (f64, f64) {
    if s.a == s.b {
        return s.a;
    }
    let (ua, ub, uq) = (unit(s.ea), unit(s.eb), unit(q.e));
    let n = unit(cross(ua, ub));
    let h = dot(uq, n);
    let p = [uq[0] - h * n[0], uq[1] - h * n[1], uq[2] - h * n[2]];
    // Between the ends when p is on the inner side of both.
    if dot(cross(ua, p), n) >= 0.0 && dot(cross(p, ub), n) >= 0.0 {
        return surface_along(p);
    }
    let da = dot(sub(q.e, s.ea), sub(q.e, s.ea));
    let db = dot(sub(q.e, s.eb), sub(q.e, s.eb));
    if da <= db {
        s.a
    } else {
        s.b
    }
}

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An islet drawn as a line there and back encloses nothing: a point beside it is at
    /// sea, whichever of the two coincident segments the tree yields first.
    #[test]
    fn a_coast_drawn_there_and_back_has_no_land_side() {
        let (a, b) = ((33.65052, 139.29799), (33.65052, 139.29439));
        for segs in [
            vec![
                Seg::new(a, b, State::JPN, true, None),
                Seg::new(b, a, State::JPN, true, None),
            ],
            vec![
                Seg::new(b, a, State::JPN, true, None),
                Seg::new(a, b, State::JPN, true, None),
            ],
        ] {
            let index = SegIndex::new(&segs, |_| true);
            for (lat, lon) in [(33.4939984, 138.7008201), (33.8, 139.296), (33.6, 139.296)] {
                let hit = index.nearest(&segs, &Query::new(lat, lon)).unwrap();
                assert!(!hit.land, "({lat}, {lon}) {hit:?}");
                assert!(hit.distance_m > 1_000.0);
            }
        }
        // One direction alone still has a land side (on its left).
        let segs = vec![Seg::new(a, b, State::JPN, true, None)];
        let index = SegIndex::new(&segs, |_| true);
        let south = index.nearest(&segs, &Query::new(33.6, 139.296)).unwrap();
        let north = index.nearest(&segs, &Query::new(33.7, 139.296)).unwrap();
        assert_ne!(south.land, north.land);
    }
}
