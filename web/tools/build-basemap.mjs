// Build the offline basemap for the biac COP from world-atlas (Natural Earth 1:10m).
// Usage: node tools/build-basemap.mjs OUT_DIR
// Writes OUT_DIR/land.geojson (land polygons) and OUT_DIR/borders.geojson (land borders
// between countries), both clipped to BBOX and rounded to 3 decimals (~100 m).
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const topojson = require('topojson-client');

const BBOX = [110, 10, 150, 45]; // west, south, east, north
const DECIMALS = 3;
const out = process.argv[2];
if (!out) { console.error('usage: build-basemap.mjs OUT_DIR'); process.exit(2); }
mkdirSync(out, { recursive: true });

const round = (v) => Math.round(v * 10 ** DECIMALS) / 10 ** DECIMALS;

// Sutherland-Hodgman clip of one closed ring against the axis-aligned BBOX.
function clipRing(ring) {
  const [w, s, e, n] = BBOX;
  const edges = [
    [(p) => p[0] >= w, (a, b) => { const t = (w - a[0]) / (b[0] - a[0]); return [w, a[1] + t * (b[1] - a[1])]; }],
    [(p) => p[0] <= e, (a, b) => { const t = (e - a[0]) / (b[0] - a[0]); return [e, a[1] + t * (b[1] - a[1])]; }],
    [(p) => p[1] >= s, (a, b) => { const t = (s - a[1]) / (b[1] - a[1]); return [a[0] + t * (b[0] - a[0]), s]; }],
    [(p) => p[1] <= n, (a, b) => { const t = (n - a[1]) / (b[1] - a[1]); return [a[0] + t * (b[0] - a[0]), n]; }],
  ];
  let pts = ring.slice(0, -1);
  for (const [inside, cut] of edges) {
    if (pts.length === 0) break;
    const next = [];
    for (let i = 0; i < pts.length; i++) {
      const cur = pts[i];
      const prev = pts[(i + pts.length - 1) % pts.length];
      if (inside(cur)) {
        if (!inside(prev)) next.push(cut(prev, cur));
        next.push(cur);
      } else if (inside(prev)) {
        next.push(cut(prev, cur));
      }
    }
    pts = next;
  }
  // round and drop consecutive duplicates
  const r = [];
  for (const p of pts) {
    const q = [round(p[0]), round(p[1])];
    const last = r[r.length - 1];
    if (!last || last[0] !== q[0] || last[1] !== q[1]) r.push(q);
  }
  if (r.length < 3) return null;
  r.push(r[0]);
  return r;
}

function ringBoxOverlaps(ring) {
  let minx = Infinity, miny = Infinity, maxx = -Infinity, maxy = -Infinity;
  for (const [x, y] of ring) { minx = Math.min(minx, x); maxx = Math.max(maxx, x); miny = Math.min(miny, y); maxy = Math.max(maxy, y); }
  return !(maxx < BBOX[0] || minx > BBOX[2] || maxy < BBOX[1] || miny > BBOX[3]);
}

function clipPolygons(geom) {
  const polys = geom.type === 'Polygon' ? [geom.coordinates] : geom.type === 'MultiPolygon' ? geom.coordinates : [];
  const res = [];
  for (const poly of polys) {
    if (!ringBoxOverlaps(poly[0])) continue;
    const outer = clipRing(poly[0]);
    if (!outer) continue;
    const holes = poly.slice(1).filter(ringBoxOverlaps).map(clipRing).filter(Boolean);
    res.push([outer, ...holes]);
  }
  return res;
}

// Clip a polyline to the bbox by keeping only the runs of points inside it.
function clipLine(line) {
  const [w, s, e, n] = BBOX;
  const inside = ([x, y]) => x >= w && x <= e && y >= s && y <= n;
  const runs = [];
  let cur = [];
  for (const p of line) {
    if (inside(p)) cur.push([round(p[0]), round(p[1])]);
    else { if (cur.length > 1) runs.push(cur); cur = []; }
  }
  if (cur.length > 1) runs.push(cur);
  return runs;
}

const atlas = (name) => JSON.parse(readFileSync(require.resolve(`world-atlas/${name}`), 'utf8'));

// Land.
const landTopo = atlas('land-10m.json');
const land = topojson.feature(landTopo, landTopo.objects.land);
const landGeoms = (land.type === 'FeatureCollection' ? land.features : [land]).map((f) => f.geometry);
const landPolys = landGeoms.flatMap(clipPolygons);
const landFc = {
  type: 'FeatureCollection',
  features: [{ type: 'Feature', properties: { source: 'Natural Earth 1:10m land via world-atlas' }, geometry: { type: 'MultiPolygon', coordinates: landPolys } }],
};
writeFileSync(join(out, 'land.geojson'), JSON.stringify(landFc));

// International land borders (arcs shared by two different countries).
const countriesTopo = atlas('countries-10m.json');
const borders = topojson.mesh(countriesTopo, countriesTopo.objects.countries, (a, b) => a !== b);
const borderLines = borders.coordinates.flatMap(clipLine);
const bordersFc = {
  type: 'FeatureCollection',
  features: [{ type: 'Feature', properties: { source: 'Natural Earth 1:10m admin-0 boundaries via world-atlas' }, geometry: { type: 'MultiLineString', coordinates: borderLines } }],
};
writeFileSync(join(out, 'borders.geojson'), JSON.stringify(bordersFc));

console.log(`basemap: ${landPolys.length} land polygons, ${borderLines.length} border lines, bbox ${BBOX.join(',')}`);
