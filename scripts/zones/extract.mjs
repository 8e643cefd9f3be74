// Regenerates crates/biac-zones/data/coast-ne10m.txt from the npm package world-atlas
// (Natural Earth 10 m admin-0 countries as TopoJSON). Run through scripts/zones/extract.sh.
//
// Keeps the coastline only: a TopoJSON arc used by exactly one country is coast, one shared by
// two is a land border (not a baseline). Each kept arc is written in the direction that has the
// land on its left (exterior rings counter-clockwise, holes clockwise, in lon/lat), which is
// what lets the crate tell land from sea by the side of the nearest coast segment.
import { readFileSync, writeFileSync } from "node:fs";

const [, , atlasDir, out, worldOut] = process.argv;
const pkg = JSON.parse(readFileSync(`${atlasDir}/package.json`, "utf8"));
const topo = JSON.parse(readFileSync(`${atlasDir}/countries-10m.json`, "utf8"));
// The Natural Earth edition the package redistributes, as its README states it.
const ne = /vector data[^,]*, version (\d+\.\d+\.\d+)/.exec(readFileSync(`${atlasDir}/README.md`, "utf8"))?.[1] ?? "unknown";

// The theatre (5–50 N, 115–155 E) plus 400 nm and more each side, so that every neighbour
// whose coast can cut an EEZ at the median line, or be the nearest shore, is in.
const BOX = { s: -3, n: 58, w: 105, e: 165 };
const inBox = ([lon, lat]) => lat >= BOX.s && lat <= BOX.n && lon >= BOX.w && lon <= BOX.e;

// ISO 3166-1 numeric (world-atlas ids) to alpha-3; features without an id by name.
const ISO3 = {
  "360": "IDN", "458": "MYS", "156": "CHN", "410": "KOR", "408": "PRK", "496": "MNG",
  "643": "RUS", "704": "VNM", "116": "KHM", "418": "LAO", "764": "THA", "096": "BRN",
  "104": "MMR", "344": "HKG", "608": "PHL", "158": "TWN", "392": "JPN", "584": "MHL",
  "581": "UMI", "702": "SGP", "583": "FSM", "585": "PLW", "316": "GUM", "580": "MNP",
  "446": "MAC", "598": "PNG", "626": "TLS", "036": "AUS", "050": "BGD", "356": "IND",
};
const BY_NAME = { "Spratly Is.": "XSP", "Scarborough Reef": "XSR" };

// Quantised, delta-encoded TopoJSON arcs to [lon, lat].
const decodeArcs = (t) => {
  const [sx, sy] = t.transform.scale;
  const [tx, ty] = t.transform.translate;
  return t.arcs.map((a) => {
    let x = 0, y = 0;
    return a.map(([dx, dy]) => { x += dx; y += dy; return [x * sx + tx, y * sy + ty]; });
  });
};
const arcs = decodeArcs(topo);

const uses = new Map();
const rings = []; // { code, arcs: [signed arc index] , hole }
for (const g of topo.objects.countries.geometries) {
  const polys = g.type === "Polygon" ? [g.arcs] : g.type === "MultiPolygon" ? g.arcs : [];
  const code = ISO3[g.id] ?? BY_NAME[g.properties.name];
  for (const poly of polys) {
    poly.forEach((ring, i) => {
      for (const a of ring) { const k = a < 0 ? ~a : a; uses.set(k, (uses.get(k) ?? 0) + 1); }
      rings.push({ code, name: g.properties.name, arcs: ring, hole: i > 0 });
    });
  }
}

const arcPoints = (a) => (a < 0 ? arcs[~a].slice().reverse() : arcs[a]);
const area2 = (pts) => {
  let s = 0;
  for (let i = 0; i + 1 < pts.length; i++) s += pts[i][0] * pts[i + 1][1] - pts[i + 1][0] * pts[i][1];
  return s;
};

// Writes the runs of `p` (lon/lat points) whose points or a neighbour `keep`, as "L code n"
// polylines into `out` — so one point beyond each cut is kept and no coast is cut short — and
// starts a new run across an edge that `cut` says is not coast. Counts into `tally`.
const emitRuns = (out, tally, code, p, keep, cut = () => false) => {
  let run = [];
  const flush = () => {
    if (run.length >= 2) {
      out.push(`L ${code} ${run.length}`);
      for (const [lon, lat] of run) out.push(`${lat.toFixed(5)} ${lon.toFixed(5)}`);
      tally.polylines++; tally.points += run.length;
    }
    run = [];
  };
  for (let i = 0; i < p.length; i++) {
    if (i > 0 && cut(p[i - 1], p[i])) flush();
    const near = keep(p[i]) || (i > 0 && keep(p[i - 1])) || (i + 1 < p.length && keep(p[i + 1]));
    if (near) run.push(p[i]); else flush();
  }
  flush();
};

const lines = [];
const tally = { polylines: 0, points: 0 };
const missing = new Set();
for (const r of rings) {
  const pts = r.arcs.flatMap(arcPoints);
  if (!pts.some(inBox)) continue;
  if (!r.code) { missing.add(r.name); continue; }
  // Land on the left: exterior counter-clockwise, hole clockwise.
  const flip = (area2(pts) > 0) === r.hole;
  const seq = flip ? r.arcs.slice().reverse().map((a) => ~a) : r.arcs;
  for (const a of seq) {
    if (uses.get(a < 0 ? ~a : a) !== 1) continue; // land border
    emitRuns(lines, tally, r.code, arcPoints(a), inBox); // the runs inside the box
  }
}
if (missing.size) throw new Error(`no ISO code for: ${[...missing].join(", ")}`);

const header = [
  `# Coastline extract for biac-zones: Natural Earth 10 m admin-0 countries, ${BOX.s}..${BOX.n} N, ${BOX.w}..${BOX.e} E.`,
  `# Source: Natural Earth ${ne} 10 m admin-0 countries, npm package world-atlas ${pkg.version} (countries-10m.json, quantised TopoJSON).`,
  `# Natural Earth data is in the public domain (naturalearthdata.com: "Made with Natural Earth.`,
  `# Free vector and raster map data"). world-atlas is ISC licensed, Copyright 2013-2019 Michael Bostock.`,
  `# Method: arcs used by one country only (coast; land borders dropped), land on the left,`,
  `# clipped to the box. Generated by scripts/zones/extract.sh; do not edit by hand.`,
  `# Format: "L <ISO3> <n>" then n lines "lat lon" (degrees, WGS84).`,
  `# polylines ${tally.polylines}, points ${tally.points}`,
];
writeFileSync(out, header.concat(lines).join("\n") + "\n");
console.log(`wrote ${out}: ${tally.polylines} polylines, ${tally.points} points`);

// The rest of the world, for the distance to shore only (no zones are made there): Natural
// Earth's 50 m land polygons, the coast outside the box (one point into it at each cut, as
// above, so the two data sets meet). 50 m is ~1 km of detail: enough for "50 nm from shore".
if (worldOut) {
  const land = JSON.parse(readFileSync(`${atlasDir}/land-50m.json`, "utf8"));
  const larcs = decodeArcs(land);
  const pointsOf = (a) => (a < 0 ? larcs[~a].slice().reverse() : larcs[a]);
  const out2 = [];
  const wtally = { polylines: 0, points: 0 };
  // The data's cuts are not coast: the antimeridian (rings end there) and the pole's edge.
  const cut = (a, b) =>
    (Math.abs(a[0]) >= 179.99999 && Math.abs(b[0]) >= 179.99999) || (a[1] <= -89.9999 && b[1] <= -89.9999);
  for (const g of land.objects.land.geometries) {
    const polys = g.type === "Polygon" ? [g.arcs] : g.type === "MultiPolygon" ? g.arcs : [];
    for (const poly of polys) {
      poly.forEach((ring, i) => {
        let pts = ring.flatMap(pointsOf);
        if ((area2(pts) > 0) === (i > 0)) pts = pts.slice().reverse(); // land on the left
        emitRuns(out2, wtally, "WLD", pts, (q) => !inBox(q), cut); // the runs outside the box
      });
    }
  }
  const header2 = [
    `# World coastline for biac-zones' distance to shore: Natural Earth 50 m land outside ${BOX.s}..${BOX.n} N, ${BOX.w}..${BOX.e} E.`,
    `# Source: Natural Earth ${ne} 50 m land, npm package world-atlas ${pkg.version} (land-50m.json, quantised TopoJSON).`,
    `# Natural Earth data is in the public domain (naturalearthdata.com: "Made with Natural Earth.`,
    `# Free vector and raster map data"). world-atlas is ISC licensed, Copyright 2013-2019 Michael Bostock.`,
    `# Method: every land ring, land on the left, the runs outside the box (one point into it at`,
    `# each cut). Shore only: no zones are computed from it. Generated by scripts/zones/extract.sh.`,
    `# Format: "L WLD <n>" then n lines "lat lon" (degrees, WGS84).`,
    `# polylines ${wtally.polylines}, points ${wtally.points}`,
  ];
  writeFileSync(worldOut, header2.concat(out2).join("\n") + "\n");
  console.log(`wrote ${worldOut}: ${wtally.polylines} polylines, ${wtally.points} points`);
}
