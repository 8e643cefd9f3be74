//! Display polygons: the zones as GeoJSON, for the COP and `biac events --zones`.
//!
//! Not a buffer on a projection: the polygons are the zero contour of the same exact
//! geodesic distance field the point queries use, sampled on a lon/lat grid and contoured
//! by marching squares (the `contour` crate). A buffer would need the median-line cut as a
//! second construction (a Voronoi diagram of the coasts) and a projection per state whose
//! distortion grows towards 200 nm; the contour is cut at the median line by construction
//! and its vertices are linear interpolations of exact distances.
//!
//! The field for state S and a limit L is f = max(d_S − L, d_S − d_other), d_S the
//! distance to S's baseline (0 on S's land), d_other to any other state's (0 on their
//! land); the polygon is f ≤ 0. f is 2-Lipschitz (away from inland attribution changes and
//! strait edges), so a coarse pass bounds where the contour can be and only grid points
//! that could sit on a sign-changing edge are computed exactly: every edge the contour
//! crosses has exact values at both ends.
//!
//! Each polygon is the area inside its outer limit, land and inner zones included
//! (territorial sea ⊂ contiguous zone ⊂ EEZ polygon); the legal zone is the difference.

use contour::ContourBuilder;
use serde_json::{json, Value};

use crate::index::{Query, SegIndex};
use crate::{Rights, State, ZoneKind, ZoneSet, CONTIGUOUS_ZONE_M, EEZ_M, TERRITORIAL_SEA_M};

/// Grid resolution of one kind of zone, degrees.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Resolution {
    /// The fine grid that is contoured.
    pub fine_deg: f64,
    /// Coarse nodes every `coarse_every` fine steps, all computed exactly.
    pub coarse_every: usize,
}

impl Resolution {
    /// The defaults: 0.02° (about 2 km) near the coast, 0.05° for the EEZ.
    pub fn for_kind(kind: ZoneKind) -> Resolution {
        match kind {
            ZoneKind::TerritorialSea | ZoneKind::ContiguousZone => Resolution {
                fine_deg: 0.02,
                coarse_every: 5,
            },
            ZoneKind::Eez => Resolution {
                fine_deg: 0.05,
                coarse_every: 5,
            },
        }
    }
}

/// One polygon: exterior ring and holes, `(lon, lat)` closed rings, exterior
/// counter-clockwise and holes clockwise (RFC 7946).
#[derive(Clone, Debug, PartialEq)]
pub struct Polygon {
    pub exterior: Vec<(f64, f64)>,
    pub holes: Vec<Vec<(f64, f64)>>,
}

impl Polygon {
    /// Even-odd point-in-polygon on lon/lat.
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        let mut inside = ring_contains(&self.exterior, lat, lon);
        if inside {
            for h in &self.holes {
                if ring_contains(h, lat, lon) {
                    inside = false;
                    break;
                }
            }
        }
        inside
    }
}

fn ring_contains(ring: &[(f64, f64)], lat: f64, lon: f64) -> bool {
    let mut inside = false;
    let n = ring.len();
    for i in 0..n {
        let (x1, y1) = ring[i];
        let (x2, y2) = ring[(i + 1) % n];
        if (y1 > lat) != (y2 > lat) && lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1) {
            inside = !inside;
        }
    }
    inside
}

fn signed_area(ring: &[(f64, f64)]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            a.0 * b.1 - b.0 * a.1
        })
        .sum::<f64>()
        / 2.0
}

/// A zone's display polygons.
#[derive(Clone, Debug, PartialEq)]
pub struct ZonePolygons {
    pub state: State,
    pub kind: ZoneKind,
    pub polygons: Vec<Polygon>,
    /// Grid points computed exactly (the build's cost).
    pub exact_evaluations: usize,
}

impl ZonePolygons {
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        self.polygons.iter().any(|p| p.contains(lat, lon))
    }
}

/// The field f at a point for the state's own and the others' baselines.
struct Field<'a> {
    set: &'a ZoneSet,
    state: State,
    kind: ZoneKind,
    own: SegIndex,
    other: SegIndex,
}

impl Field<'_> {
    fn limit(&self, lat: f64, lon: f64) -> f64 {
        match self.kind {
            ZoneKind::TerritorialSea => self.set.territorial_sea_m(self.state, lat, lon),
            ZoneKind::ContiguousZone => CONTIGUOUS_ZONE_M,
            ZoneKind::Eez => EEZ_M,
        }
    }

    fn at(&self, lat: f64, lon: f64) -> f64 {
        let q = Query::new(lat, lon);
        let segs = &self.set.segs;
        let land = self
            .set
            .coast_index()
            .nearest(segs, &q)
            .filter(|h| h.land)
            .map(|h| segs[h.seg as usize].state);
        let d_own = if land == Some(self.state) {
            0.0
        } else {
            self.own.nearest(segs, &q).map_or(f64::INFINITY, |h| h.distance_m)
        };
        let d_other = if land.is_some_and(|s| s != self.state) {
            0.0
        } else {
            self.other.nearest(segs, &q).map_or(f64::INFINITY, |h| h.distance_m)
        };
        let l = self.limit(lat, lon);
        (d_own - l).max(d_own - d_other).min(1e9)
    }
}

/// Metres per degree, an upper bound for both axes (111.7 km per degree of latitude at the
/// pole), with 1 % for the flat approximation over a coarse cell.
const M_PER_DEG: f64 = 112_800.0;
/// The field's Lipschitz constant (a difference of two distances).
const LIP: f64 = 2.0;

/// The display polygons of one zone.
pub fn zone_polygons(set: &ZoneSet, state: State, kind: ZoneKind, res: Resolution) -> ZonePolygons {
    let want = |r: Option<Rights>| match kind {
        ZoneKind::Eez => r == Some(Rights::Full),
        _ => r.is_some(),
    };
    let own = SegIndex::new(&set.segs, |s| s.state == state && want(s.rights));
    let other = SegIndex::new(&set.segs, |s| s.state != state && want(s.rights));
    let mut out = ZonePolygons {
        state,
        kind,
        polygons: vec![],
        exact_evaluations: 0,
    };
    if own.is_empty() {
        return out;
    }
    let field = Field {
        set,
        state,
        kind,
        own,
        other,
    };
    let limit_m = match kind {
        ZoneKind::TerritorialSea => TERRITORIAL_SEA_M,
        ZoneKind::ContiguousZone => CONTIGUOUS_ZONE_M,
        ZoneKind::Eez => EEZ_M,
    };
    // The grid: the state's baseline box grown by the limit, a cell of margin.
    let (mut s, mut n, mut w, mut e) = (90.0f64, -90.0f64, 180.0f64, -180.0f64);
    for g in set.segs.iter().filter(|g| g.state == state && want(g.rights)) {
        for p in [g.a, g.b] {
            s = s.min(p.0);
            n = n.max(p.0);
            w = w.min(p.1);
            e = e.max(p.1);
        }
    }
    let h = res.fine_deg;
    let k = res.coarse_every.max(1);
    let dlat = limit_m / 110_500.0 + 2.0 * h;
    let dlon = limit_m / (111_320.0 * (s.abs().max(n.abs()) + dlat).min(80.0).to_radians().cos()) + 2.0 * h;
    let (lat0, lon0) = (s - dlat, w - dlon);
    let steps = |span: f64| ((span / h).ceil() as usize).div_ceil(k) * k + 1;
    let (nx, ny) = (steps(e + dlon - lon0), steps(n + dlat - lat0));
    let at = |i: usize, j: usize| (lat0 + j as f64 * h, lon0 + i as f64 * h);
    // Coarse pass.
    let (cx, cy) = ((nx - 1) / k + 1, (ny - 1) / k + 1);
    let mut coarse = vec![0.0; cx * cy];
    for cj in 0..cy {
        for ci in 0..cx {
            let (la, lo) = at(ci * k, cj * k);
            coarse[cj * cx + ci] = field.at(la, lo);
        }
    }
    out.exact_evaluations += cx * cy;
    // Fine pass: exact where the contour may pass, a bound of the right sign elsewhere.
    let near_strait = |la: f64, lo: f64| {
        let m = k as f64 * h;
        set.config.straits.iter().any(|st| {
            st.state == state
                && la >= st.south - m
                && la <= st.north + m
                && lo >= st.west - m
                && lo <= st.east + m
        })
    };
    let threshold = LIP * M_PER_DEG * h;
    let mut values = vec![0.0; nx * ny];
    for j in 0..ny {
        for i in 0..nx {
            let (ci, cj) = ((i + k / 2) / k, (j + k / 2) / k);
            let (ci, cj) = (ci.min(cx - 1), cj.min(cy - 1));
            let fc = coarse[cj * cx + ci];
            let (di, dj) = (i as f64 - (ci * k) as f64, j as f64 - (cj * k) as f64);
            let r = M_PER_DEG * h * (di * di + dj * dj).sqrt();
            let (la, lo) = at(i, j);
            let f = if di == 0.0 && dj == 0.0 {
                fc
            } else if fc.abs() - LIP * r <= threshold
                || (kind == ZoneKind::TerritorialSea && near_strait(la, lo))
            {
                out.exact_evaluations += 1;
                field.at(la, lo)
            } else {
                fc.signum() * (fc.abs() - LIP * r)
            };
            // The contour crate keeps values ≥ the threshold: inside is f ≤ 0.
            values[j * nx + i] = -f;
        }
    }
    // Sample (i, j) sits at (i + 0.5, j + 0.5) in the crate's ring coordinates.
    let builder = ContourBuilder::new(nx, ny, true)
        .x_origin(lon0 - 0.5 * h)
        .y_origin(lat0 - 0.5 * h)
        .x_step(h)
        .y_step(h);
    let contours = builder
        .contours(&values, &[0.0])
        .expect("the grid has nx × ny values");
    for c in contours {
        for p in c.geometry().0.iter() {
            let mut exterior: Vec<(f64, f64)> = p.exterior().0.iter().map(|c| (c.x, c.y)).collect();
            if signed_area(&exterior) < 0.0 {
                exterior.reverse();
            }
            let holes = p
                .interiors()
                .iter()
                .map(|h| {
                    let mut r: Vec<(f64, f64)> = h.0.iter().map(|c| (c.x, c.y)).collect();
                    if signed_area(&r) > 0.0 {
                        r.reverse();
                    }
                    r
                })
                .collect();
            out.polygons.push(Polygon { exterior, holes });
        }
    }
    out
}

/// The English name of a state of the theatre (its code otherwise).
pub fn state_name(s: State) -> String {
    match s.as_str() {
        "JPN" => "Japan",
        "PHL" => "Philippines",
        "KOR" => "Korea",
        "TWN" => "Taiwan",
        "CHN" => "China",
        other => other,
    }
    .to_string()
}

/// The zone's feature name, e.g. `Japan territorial sea`.
pub fn zone_name(state: State, kind: ZoneKind) -> String {
    let k = match kind {
        ZoneKind::TerritorialSea => "territorial sea",
        ZoneKind::ContiguousZone => "contiguous zone",
        ZoneKind::Eez => "EEZ",
    };
    format!("{} {k}", state_name(state))
}

/// Every reported zone of the set as a GeoJSON FeatureCollection.
pub fn feature_collection(set: &ZoneSet) -> Value {
    let mut features = Vec::new();
    for &state in &set.config().zone_states {
        for kind in ZoneKind::ALL {
            let res = Resolution::for_kind(kind);
            let z = zone_polygons(set, state, kind, res);
            if z.polygons.is_empty() {
                continue;
            }
            features.push(feature(set, &z, res));
        }
    }
    json!({ "type": "FeatureCollection", "features": features })
}

fn feature(set: &ZoneSet, z: &ZonePolygons, res: Resolution) -> Value {
    let round = |r: &[(f64, f64)]| -> Vec<[f64; 2]> {
        r.iter()
            .map(|&(x, y)| [(x * 1e5).round() / 1e5, (y * 1e5).round() / 1e5])
            .collect()
    };
    let coords: Vec<Vec<Vec<[f64; 2]>>> = z
        .polygons
        .iter()
        .map(|p| {
            std::iter::once(round(&p.exterior))
                .chain(p.holes.iter().map(|h| round(h)))
                .collect()
        })
        .collect();
    let prov = set.provenance();
    json!({
        "type": "Feature",
        "properties": {
            "name": zone_name(z.state, z.kind),
            "state": z.state.as_str(),
            "kind": z.kind.as_str(),
            "approximate": true,
            "provenance": {
                "dataset": prov.dataset,
                "method": prov.method,
                "features": prov.features,
                "display": format!(
                    "zero contour of the exact distance field on a {}° lon/lat grid; \
                     the polygon is the area inside the zone's outer limit, land and inner zones included",
                    res.fine_deg
                ),
            },
        },
        "geometry": { "type": "MultiPolygon", "coordinates": coords },
    })
}
