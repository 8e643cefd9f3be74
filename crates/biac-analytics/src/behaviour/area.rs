//! Zones read from GeoJSON (Polygon and MultiPolygon, holes included) for zone entry.

use serde_json::Value;

/// A named area: polygons of rings (`[lon, lat]`), the first ring of each the exterior
/// and the others holes.
#[derive(Clone, Debug, PartialEq)]
pub struct Area {
    pub name: String,
    pub polygons: Vec<Vec<Vec<[f64; 2]>>>,
    /// `[min_lon, min_lat, max_lon, max_lat]` over every exterior ring.
    bbox: [f64; 4],
    /// Per polygon, per ring: its edges bucketed by latitude band, so a crossing test
    /// visits only the edges that span the point's latitude (a zone's rings have
    /// thousands of vertices; every vessel is tested against every zone each report).
    bands: Vec<Vec<Bands>>,
    /// Polygons whose exterior box touches each 1-degree cell of the area's box.
    cells: super::FastMap<(i32, i32), Vec<u32>>,
    /// Membership of fine cells no edge touches: most points need no crossing test.
    grid: StatusGrid,
}

/// A uniform grid over the area's box: per cell, inside, outside, or crossed by an edge
/// (then the exact test decides). Cells no edge touches have one membership throughout.
#[derive(Clone, Debug, PartialEq)]
struct StatusGrid {
    x0: f64,
    y0: f64,
    /// Cells per degree.
    per_deg: f64,
    nx: usize,
    ny: usize,
    cells: Vec<Cell>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Cell {
    Outside,
    Inside,
    Crossed,
}

/// The grid's cell: a tenth of a degree (~10 km), coarser for a huge box.
const GRID_DEG: f64 = 0.1;
const GRID_MAX_CELLS: f64 = 4.0e6;

impl StatusGrid {
    fn empty() -> StatusGrid {
        StatusGrid {
            x0: 0.0,
            y0: 0.0,
            per_deg: 1.0,
            nx: 0,
            ny: 0,
            cells: Vec::new(),
        }
    }

    fn cell(&self, lon: f64, lat: f64) -> Option<usize> {
        let (fx, fy) = (
            (lon - self.x0) * self.per_deg,
            (lat - self.y0) * self.per_deg,
        );
        // Also false for NaN.
        if !(fx >= 0.0 && fy >= 0.0 && fx < self.nx as f64 && fy < self.ny as f64) {
            return None;
        }
        Some(fy as usize * self.nx + fx as usize)
    }

    /// Marks every cell an edge touches (conservatively), then fills each row's runs of
    /// untouched cells with the exact membership of one centre: adjacent untouched
    /// cells are joined by a segment no edge crosses.
    fn build(area: &Area) -> StatusGrid {
        let [x0, y0, x1, y1] = area.bbox;
        if !(x0.is_finite() && y0.is_finite() && x1.is_finite() && y1.is_finite()) {
            return StatusGrid::empty();
        }
        let (w, h) = ((x1 - x0).max(1e-9), (y1 - y0).max(1e-9));
        let per_deg = (1.0 / GRID_DEG).min((GRID_MAX_CELLS / (w * h)).sqrt());
        let nx = (w * per_deg).floor() as usize + 1;
        let ny = (h * per_deg).floor() as usize + 1;
        let mut g = StatusGrid {
            x0,
            y0,
            per_deg,
            nx,
            ny,
            cells: vec![Cell::Outside; nx * ny],
        };
        let ix = |x: f64| ((x - x0) * per_deg).floor().clamp(0.0, (nx - 1) as f64) as usize;
        let iy = |y: f64| ((y - y0) * per_deg).floor().clamp(0.0, (ny - 1) as f64) as usize;
        let mark = |xa: f64, ya: f64, xb: f64, yb: f64, g: &mut StatusGrid| {
            // The edge's box, widened a hair so an edge on a cell border marks both.
            let e = 1e-9;
            for cy in iy(ya.min(yb) - e)..=iy(ya.max(yb) + e) {
                for cx in ix(xa.min(xb) - e)..=ix(xa.max(xb) + e) {
                    g.cells[cy * nx + cx] = Cell::Crossed;
                }
            }
        };
        for rings in &area.polygons {
            for ring in rings {
                let n = ring.len();
                for i in 0..n {
                    let ([xa, ya], [xb, yb]) = (ring[(i + n - 1) % n], ring[i]);
                    if !(xa.is_finite() && ya.is_finite() && xb.is_finite() && yb.is_finite()) {
                        continue;
                    }
                    // A long edge in pieces of at most a cell, each marking its box.
                    let span = ((xb - xa).abs().max((yb - ya).abs()) * per_deg).ceil();
                    let pieces = span.clamp(1.0, 1.0e6) as usize;
                    for k in 0..pieces {
                        let (u, v) = (k as f64 / pieces as f64, (k + 1) as f64 / pieces as f64);
                        mark(
                            xa + u * (xb - xa),
                            ya + u * (yb - ya),
                            xa + v * (xb - xa),
                            ya + v * (yb - ya),
                            &mut g,
                        );
                    }
                }
            }
        }
        for cy in 0..ny {
            let mut run: Option<Cell> = None;
            for cx in 0..nx {
                let k = cy * nx + cx;
                if g.cells[k] == Cell::Crossed {
                    run = None;
                    continue;
                }
                let state = *run.get_or_insert_with(|| {
                    let (x, y) = (
                        x0 + (cx as f64 + 0.5) / per_deg,
                        y0 + (cy as f64 + 0.5) / per_deg,
                    );
                    if area.contains_exact(y, x) {
                        Cell::Inside
                    } else {
                        Cell::Outside
                    }
                });
                g.cells[k] = state;
            }
        }
        g
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Bands {
    /// The ring's `[min_lon, min_lat, max_lon, max_lat]`: zones are multipolygons of
    /// hundreds of islands' seas, most of them far from any one point.
    bbox: [f64; 4],
    y0: f64,
    per_band: f64,
    /// Edge indices (edge i runs from vertex i-1 to i) per band.
    edges: Vec<Vec<u32>>,
}

impl Bands {
    fn new(ring: &[[f64; 2]]) -> Bands {
        let n = ring.len();
        let (mut y0, mut y1) = (f64::INFINITY, -f64::INFINITY);
        let (mut x0, mut x1) = (f64::INFINITY, -f64::INFINITY);
        for &[x, y] in ring {
            y0 = y0.min(y);
            y1 = y1.max(y);
            x0 = x0.min(x);
            x1 = x1.max(x);
        }
        let count = (n / 4).clamp(1, 4096);
        let per_band = count as f64 / (y1 - y0).max(1e-12);
        let mut edges = vec![Vec::new(); count];
        let band = |y: f64| (((y - y0) * per_band) as usize).min(count - 1);
        for i in 0..n {
            let (ya, yb) = (ring[i][1], ring[(i + n - 1) % n][1]);
            for e in &mut edges[band(ya.min(yb))..=band(ya.max(yb))] {
                e.push(i as u32);
            }
        }
        Bands {
            bbox: [x0, y0, x1, y1],
            y0,
            per_band,
            edges,
        }
    }

    /// Even-odd crossing test over the edges of the point's band only.
    fn contains(&self, ring: &[[f64; 2]], x: f64, y: f64) -> bool {
        let [x0, y0, x1, y1] = self.bbox;
        if !(x >= x0 && x <= x1 && y >= y0 && y <= y1) {
            return false;
        }
        let b = (y - self.y0) * self.per_band;
        if !(b >= 0.0 && b < self.edges.len() as f64 + 1.0) {
            return false;
        }
        let n = ring.len();
        let mut inside = false;
        for &i in &self.edges[(b as usize).min(self.edges.len() - 1)] {
            let i = i as usize;
            let [xi, yi] = ring[i];
            let [xj, yj] = ring[(i + n - 1) % n];
            if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
                inside = !inside;
            }
        }
        inside
    }
}

impl Area {
    pub fn new(name: String, polygons: Vec<Vec<Vec<[f64; 2]>>>) -> Area {
        let mut bbox = [f64::INFINITY, f64::INFINITY, -f64::INFINITY, -f64::INFINITY];
        for p in &polygons {
            for &[x, y] in p.first().into_iter().flatten() {
                bbox = [
                    bbox[0].min(x),
                    bbox[1].min(y),
                    bbox[2].max(x),
                    bbox[3].max(y),
                ];
            }
        }
        let bands: Vec<Vec<Bands>> = polygons
            .iter()
            .map(|rings| rings.iter().map(|r| Bands::new(r)).collect())
            .collect();
        let mut cells: super::FastMap<(i32, i32), Vec<u32>> = Default::default();
        for (i, b) in bands.iter().enumerate() {
            let Some(Bands {
                bbox: [x0, y0, x1, y1],
                ..
            }) = b.first()
            else {
                continue;
            };
            // Clamped: a hostile file's huge coordinates must not make a huge grid.
            let cell = |v: f64, lim: f64| v.clamp(-lim, lim).floor() as i32;
            for cy in cell(*y0, 90.0)..=cell(*y1, 90.0) {
                for cx in cell(*x0, 360.0)..=cell(*x1, 360.0) {
                    cells.entry((cx, cy)).or_default().push(i as u32);
                }
            }
        }
        let mut area = Area {
            name,
            polygons,
            bbox,
            bands,
            cells,
            grid: StatusGrid::empty(),
        };
        area.grid = StatusGrid::build(&area);
        area
    }

    /// Inside some polygon's exterior and outside its holes (even-odd over the rings,
    /// in lon/lat: zones here are far from the antimeridian and the poles).
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        self.locate(lat, lon).1
    }

    /// The point's grid cell (`u32::MAX` outside the grid), whether the area contains it,
    /// and whether every point of that cell has the same answer (no edge touches it): a
    /// vessel still in a settled cell needs no new test.
    pub(crate) fn locate(&self, lat: f64, lon: f64) -> (u32, bool, bool) {
        let Some(k) = self.grid.cell(lon, lat) else {
            return (u32::MAX, false, true);
        };
        let id = u32::try_from(k).unwrap_or(u32::MAX);
        match self.grid.cells[k] {
            Cell::Outside => (id, false, true),
            Cell::Inside => (id, true, true),
            Cell::Crossed => (id, self.contains_exact(lat, lon), false),
        }
    }

    /// The point's grid cell as [`Area::locate`] names it, without testing.
    pub(crate) fn cell_of(&self, lat: f64, lon: f64) -> u32 {
        self.grid
            .cell(lon, lat)
            .and_then(|k| u32::try_from(k).ok())
            .unwrap_or(u32::MAX)
    }

    /// [`Area::contains`] by the crossing test alone.
    fn contains_exact(&self, lat: f64, lon: f64) -> bool {
        let [x0, y0, x1, y1] = self.bbox;
        if !(lon >= x0 && lon <= x1 && lat >= y0 && lat <= y1) {
            return false;
        }
        let Some(candidates) = self.cells.get(&(lon.floor() as i32, lat.floor() as i32)) else {
            return false;
        };
        candidates.iter().any(|&i| {
            let (rings, bands) = (&self.polygons[i as usize], &self.bands[i as usize]);
            // Outside the exterior ring's box: outside the polygon.
            if !bands.first().is_some_and(|b| {
                let [x0, y0, x1, y1] = b.bbox;
                lon >= x0 && lon <= x1 && lat >= y0 && lat <= y1
            }) {
                return false;
            }
            let crossed = rings.iter().zip(bands);
            crossed.filter(|(r, b)| b.contains(r, lon, lat)).count() % 2 == 1
        })
    }
}

/// One grid over every area: a cell is settled when, for every area, every point of it
/// falls in a grid cell of that area that no edge touches — then no area's answer can
/// change while a vessel stays in it, and its report skips the per-area loop. A cell
/// that is not is split in [`SUB`] × [`SUB`] sub-cells, and those no edge of any area
/// touches are settled too: near a coast, a vessel tests the areas once per sub-cell
/// (~1.4 km) it enters rather than at every report.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Lattice {
    x0: f64,
    y0: f64,
    per_deg: f64,
    nx: usize,
    ny: usize,
    settled: Vec<bool>,
    /// Per unsettled cell, its sub-cells an edge touches (bit `row * SUB + column`);
    /// a cell absent has none.
    touched: super::FastMap<u32, u64>,
}

/// Sub-cells per side of a lattice cell (their bits fill a `u64`).
const SUB: usize = 8;

impl Lattice {
    pub(crate) fn build(areas: &[Area]) -> Lattice {
        let empty = Lattice {
            x0: 0.0,
            y0: 0.0,
            per_deg: 1.0,
            nx: 0,
            ny: 0,
            settled: Vec::new(),
            touched: Default::default(),
        };
        // The union of the areas' grids, a cell wider on each side.
        let (mut x0, mut y0) = (f64::INFINITY, f64::INFINITY);
        let (mut x1, mut y1) = (-f64::INFINITY, -f64::INFINITY);
        for g in areas.iter().map(|a| &a.grid).filter(|g| g.nx > 0) {
            x0 = x0.min(g.x0);
            y0 = y0.min(g.y0);
            x1 = x1.max(g.x0 + g.nx as f64 / g.per_deg);
            y1 = y1.max(g.y0 + g.ny as f64 / g.per_deg);
        }
        if !(x0.is_finite() && y0.is_finite() && x1.is_finite() && y1.is_finite()) {
            return empty;
        }
        let (w, h) = ((x1 - x0).max(1e-9), (y1 - y0).max(1e-9));
        let per_deg = (1.0 / GRID_DEG).min((GRID_MAX_CELLS / (w * h)).sqrt());
        let (x0, y0) = (x0 - 1.0 / per_deg, y0 - 1.0 / per_deg);
        let nx = (w * per_deg).floor() as usize + 3;
        let ny = (h * per_deg).floor() as usize + 3;
        let mut settled = vec![true; nx * ny];
        // A hair of slack at the corners covers the rounding of a point's own cell.
        let e = 1e-9;
        for a in areas {
            let g = &a.grid;
            let span = |lo: f64, hi: f64, o: f64, pd: f64| {
                (
                    ((lo - e - o) * pd).floor() as i64,
                    ((hi + e - o) * pd).floor() as i64,
                )
            };
            for cy in 0..ny {
                let yl = y0 + cy as f64 / per_deg;
                let (iy0, iy1) = span(yl, yl + 1.0 / per_deg, g.y0, g.per_deg);
                for cx in 0..nx {
                    let k = cy * nx + cx;
                    if !settled[k] {
                        continue;
                    }
                    let xl = x0 + cx as f64 / per_deg;
                    let (ix0, ix1) = span(xl, xl + 1.0 / per_deg, g.x0, g.per_deg);
                    let mut state: Option<Cell> = None;
                    'cells: for iy in iy0..=iy1 {
                        for ix in ix0..=ix1 {
                            let inside_grid =
                                ix >= 0 && iy >= 0 && (ix as usize) < g.nx && (iy as usize) < g.ny;
                            let c = if inside_grid {
                                g.cells[iy as usize * g.nx + ix as usize]
                            } else {
                                Cell::Outside
                            };
                            if c == Cell::Crossed || state.is_some_and(|s| s != c) {
                                settled[k] = false;
                                break 'cells;
                            }
                            state = Some(c);
                        }
                    }
                }
            }
        }
        let mut lattice = Lattice {
            x0,
            y0,
            per_deg,
            nx,
            ny,
            settled,
            touched: Default::default(),
        };
        lattice.mark_edges(areas);
        lattice
    }

    /// Marks the sub-cells every edge of every area touches (conservatively: each piece
    /// of an edge, at most a sub-cell long, marks its box widened a hair), in the cells
    /// that are not settled (the settled ones no edge touches).
    fn mark_edges(&mut self, areas: &[Area]) {
        let per_sub = self.per_deg * SUB as f64;
        let (mx, my) = (self.nx * SUB - 1, self.ny * SUB - 1);
        let sx = |x: f64| ((x - self.x0) * per_sub).floor().clamp(0.0, mx as f64) as usize;
        let sy = |y: f64| ((y - self.y0) * per_sub).floor().clamp(0.0, my as f64) as usize;
        let e = 1e-9;
        let mut touched: super::FastMap<u32, u64> = Default::default();
        for ring in areas.iter().flat_map(|a| &a.polygons).flatten() {
            let n = ring.len();
            for i in 0..n {
                let ([xa, ya], [xb, yb]) = (ring[(i + n - 1) % n], ring[i]);
                if !(xa.is_finite() && ya.is_finite() && xb.is_finite() && yb.is_finite()) {
                    continue;
                }
                let span = ((xb - xa).abs().max((yb - ya).abs()) * per_sub).ceil();
                let pieces = span.clamp(1.0, 1.0e6) as usize;
                for p in 0..pieces {
                    let (u, v) = (p as f64 / pieces as f64, (p + 1) as f64 / pieces as f64);
                    let (x1, x2) = (xa + u * (xb - xa), xa + v * (xb - xa));
                    let (y1, y2) = (ya + u * (yb - ya), ya + v * (yb - ya));
                    for y in sy(y1.min(y2) - e)..=sy(y1.max(y2) + e) {
                        for x in sx(x1.min(x2) - e)..=sx(x1.max(x2) + e) {
                            let k = (y / SUB) * self.nx + x / SUB;
                            if self.settled[k] {
                                continue;
                            }
                            let bit = (y % SUB) * SUB + x % SUB;
                            *touched.entry(k as u32).or_default() |= 1u64 << bit;
                        }
                    }
                }
            }
        }
        self.touched = touched;
    }

    /// The settled cell or sub-cell the point is in (`u32::MAX` outside the lattice,
    /// where every area answers outside), or `None` where some area needs its own test.
    pub(crate) fn settled_cell(&self, lat: f64, lon: f64) -> Option<u32> {
        let (fx, fy) = (
            (lon - self.x0) * self.per_deg,
            (lat - self.y0) * self.per_deg,
        );
        if !(fx >= 0.0 && fy >= 0.0 && fx < self.nx as f64 && fy < self.ny as f64) {
            return Some(u32::MAX);
        }
        let k = fy as usize * self.nx + fx as usize;
        // Ids: a cell's is `k * 64`, its sub-cells' `k * 64 + bit` (the lattice has
        // at most a few million cells: below 2^26).
        let id = |bit: usize| u32::try_from(k * 64 + bit).ok();
        if self.settled[k] {
            return id(0);
        }
        let (sx, sy) = (
            ((fx.fract() * SUB as f64) as usize).min(SUB - 1),
            ((fy.fract() * SUB as f64) as usize).min(SUB - 1),
        );
        let bit = sy * SUB + sx;
        let touched = self.touched.get(&(k as u32)).copied().unwrap_or(0);
        (touched & (1u64 << bit) == 0).then(|| id(bit)).flatten()
    }
}

/// Even-odd crossing test of one ring (closed or not) at (`x`, `y`).
pub(crate) fn ring_contains(ring: &[[f64; 2]], x: f64, y: f64) -> bool {
    let n = ring.len();
    let mut inside = false;
    for i in 0..n {
        let [xi, yi] = ring[i];
        let [xj, yj] = ring[(i + n - 1) % n];
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            inside = !inside;
        }
    }
    inside
}

/// Why a zones file was refused: its message names the feature at fault.
#[derive(Debug)]
pub enum ZonesError {
    Json(serde_json::Error),
    NoFeatures,
    /// The top-level `type`, if any.
    NotACollection(Option<String>),
    NoCoordinates {
        feature: String,
    },
    /// A geometry other than Polygon or MultiPolygon (its `type`, if any).
    Geometry {
        feature: String,
        found: Option<String>,
    },
    Polygon {
        feature: String,
    },
}

impl std::fmt::Display for ZonesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ZonesError::Json(e) => write!(f, "zones: {e}"),
            ZonesError::NoFeatures => {
                write!(f, "zones: FeatureCollection without a features array")
            }
            ZonesError::NotACollection(found) => {
                write!(f, "zones: expected a FeatureCollection, found {found:?}")
            }
            ZonesError::NoCoordinates { feature } => {
                write!(f, "zones: {feature:?}: MultiPolygon without coordinates")
            }
            ZonesError::Geometry { feature, found } => write!(
                f,
                "zones: {feature:?}: geometry {found:?} is not a Polygon or MultiPolygon"
            ),
            ZonesError::Polygon { feature } => {
                write!(f, "zones: {feature:?}: malformed polygon coordinates")
            }
        }
    }
}

impl std::error::Error for ZonesError {}

/// The areas of a GeoJSON FeatureCollection (or a single Feature), named by
/// `properties.name`. Features without geometry are skipped, and so are points and
/// lines (returned as [`SkippedFeature`]s, to be said); other geometry types are an error
/// naming the feature.
pub fn parse_zones_geojson(text: &str) -> Result<Zones, ZonesError> {
    // A byte-order mark is not JSON, but editors on Windows write one.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let v: Value = serde_json::from_str(text).map_err(ZonesError::Json)?;
    let features: Vec<&Value> = match v.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => v
            .get("features")
            .and_then(Value::as_array)
            .ok_or(ZonesError::NoFeatures)?
            .iter()
            .collect(),
        Some("Feature") => vec![&v],
        other => return Err(ZonesError::NotACollection(other.map(str::to_string))),
    };
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let name = f
            .get("properties")
            .and_then(|p| p.get("name"))
            .map(|n| match n {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_else(|| format!("feature {i}"));
        let Some(g) = f.get("geometry").filter(|g| !g.is_null()) else {
            continue;
        };
        let coords = g.get("coordinates");
        let polygons = match g.get("type").and_then(Value::as_str) {
            Some("Polygon") => vec![polygon(coords, &name)?],
            Some("MultiPolygon") => coords
                .and_then(Value::as_array)
                .ok_or_else(|| ZonesError::NoCoordinates {
                    feature: name.clone(),
                })?
                .iter()
                .map(|p| polygon(Some(p), &name))
                .collect::<Result<_, _>>()?,
            // A point, a line or a collection beside the areas (a label, a route) is not
            // a zone: skipped and said, not a reason to refuse the file.
            Some(
                other @ ("Point" | "MultiPoint" | "LineString" | "MultiLineString"
                | "GeometryCollection"),
            ) => {
                skipped.push(SkippedFeature {
                    name,
                    geometry: other.to_string(),
                });
                continue;
            }
            other => {
                return Err(ZonesError::Geometry {
                    feature: name,
                    found: other.map(str::to_string),
                })
            }
        };
        out.push(Area::new(name, polygons));
    }
    Ok(Zones {
        areas: out,
        skipped,
    })
}

/// A zones file read: its areas, and the features that are not areas (skipped).
#[derive(Debug)]
pub struct Zones {
    pub areas: Vec<Area>,
    pub skipped: Vec<SkippedFeature>,
}

/// A feature of a zones file that is not an area: its name and geometry type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedFeature {
    pub name: String,
    pub geometry: String,
}

fn polygon(v: Option<&Value>, name: &str) -> Result<Vec<Vec<[f64; 2]>>, ZonesError> {
    let bad = || ZonesError::Polygon {
        feature: name.to_string(),
    };
    v.and_then(Value::as_array)
        .ok_or_else(bad)?
        .iter()
        .map(|ring| {
            let ring = ring.as_array().ok_or_else(bad)?;
            let pts: Vec<[f64; 2]> = ring
                .iter()
                .map(|p| {
                    let p = p.as_array().filter(|p| p.len() >= 2).ok_or_else(bad)?;
                    match (p[0].as_f64(), p[1].as_f64()) {
                        (Some(x), Some(y)) if x.is_finite() && y.is_finite() => Ok([x, y]),
                        _ => Err(bad()),
                    }
                })
                .collect::<Result<_, _>>()?;
            if pts.len() < 3 {
                return Err(bad());
            }
            Ok(pts)
        })
        .collect()
}

#[cfg(test)]
mod grid_tests {
    use super::*;

    /// The status grid answers as the crossing test does: on random points over the
    /// theatre's zones and on points a hair from every vertex.
    #[test]
    fn the_grid_agrees_with_the_crossing_test() {
        let set = biac_zones::ZoneSet::theatre();
        let text = biac_zones::display::feature_collection(&set).to_string();
        let areas = parse_zones_geojson(&text).unwrap().areas;
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut rnd = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut checked = 0;
        for a in &areas {
            let inside = a.grid.cells.iter().filter(|c| **c == Cell::Inside).count();
            assert!(inside > 0, "{}: no cell wholly inside", a.name);
            for _ in 0..3_000 {
                let (lat, lon) = (5.0 + 45.0 * rnd(), 110.0 + 50.0 * rnd());
                assert_eq!(
                    a.contains(lat, lon),
                    a.contains_exact(lat, lon),
                    "{lat} {lon}"
                );
            }
            for rings in a.polygons.iter().take(50) {
                for &[lon, lat] in rings.iter().flatten().step_by(7) {
                    for (dx, dy) in [(1e-7, 0.0), (-1e-7, 0.0), (0.0, 1e-7), (0.0, -1e-7)] {
                        let (la, lo) = (lat + dy, lon + dx);
                        assert_eq!(a.contains(la, lo), a.contains_exact(la, lo), "{la} {lo}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 1_000, "{checked}");
    }
}
