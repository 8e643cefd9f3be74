#!/usr/bin/env node
// A stand-in for `biac demo` used to develop and check the web COP without the Rust server.
// It takes the same command line (`demo --listen HOST:PORT --data-dir DIR --speed N`), serves
// web/static/ and a fake /api/v1 with moving tracks, and prints the same
// `biac: serving http://HOST:PORT/` line. Run the browser test against it with
//   BIAC_BIN=tests/browser/mock-server.mjs node --test tests/browser/
// The fake data imitates per-audience release: PHL sees only the UNCLASSIFIED AIS/ADS-B tracks.
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'static');
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
const [host, port] = opt('--listen', '127.0.0.1:0').split(':');
const started = Date.now();

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.geojson': 'application/geo+json', '.md': 'text/markdown',
};
const TOKENS = { 'demo-jpn': ['JPN', 'SECRET'], 'demo-usa': ['USA', 'TOP SECRET'], 'demo-aus': ['AUS', 'SECRET'], 'demo-kor': ['KOR', 'SECRET'], 'demo-phl': ['PHL', 'CONFIDENTIAL'] };
const U = { classification: 'UNCLASSIFIED', owner: ['JPN'], rel_to: [], noforn: false };
const S = (rel) => ({ classification: 'SECRET', owner: ['JPN'], rel_to: rel, noforn: false });
const mark = (l) => (l.rel_to.length ? `${l.classification}//REL TO ${l.rel_to.join(', ')}` : l.classification);

// [lon, lat, course, speed m/s, domain, affiliation, label, sources, extra]
const BASE = [
  [124.2, 25.9, 60, 8, 'surface', 'unknown', U, ['ais-naha'], { mmsi: 431000123, name: 'RYUKYU MARU' }],
  [125.1, 24.6, 20, 7, 'surface', 'neutral', U, ['ais-naha'], { mmsi: 477123400, name: 'OCEAN TRADER' }],
  [127.4, 26.1, 200, 9, 'surface', 'friend', U, ['ais-naha'], { mmsi: 431999001, name: 'JCG PL-61' }],
  [123.6, 25.8, 95, 6, 'surface', 'suspect', S(['AUS', 'JPN', 'USA']), ['jmsdf-radar', 'ais-naha'], {}],
  [124.0, 26.4, 110, 210, 'air', 'unknown', U, ['adsb-okinawa'], { icao: '780A1B', callsign: 'CES5023' }],
  [128.5, 27.0, 250, 230, 'air', 'friend', U, ['adsb-okinawa'], { icao: '86D3F2', callsign: 'JAL917' }],
  [125.6, 27.9, 140, 190, 'air', 'hostile', S(['AUS', 'JPN', 'USA']), ['jasdf-radar'], {}],
  [122.9, 24.5, 30, 4, 'surface', 'hostile', S(['JPN', 'USA']), ['mq9-gmti', 'jmsdf-radar'], {}],
  [126.8, 24.2, 320, 5, 'surface', 'friend', S(['AUS', 'JPN', 'KOR', 'USA']), ['usn-link'], {}],
  [127.9, 26.3, 0, 0, 'ground', 'friend', S(['JPN', 'USA']), ['jgsdf-cot'], { callsign: 'ALPHA-1' }],
];

function destination([lon, lat], bearing, dist) {
  const R = 6371008.8, d = dist / R, b = (bearing * Math.PI) / 180, p1 = (lat * Math.PI) / 180, l1 = (lon * Math.PI) / 180;
  const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
  const l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
  return [(l2 * 180) / Math.PI, (p2 * 180) / Math.PI];
}
const RANK = { UNCLASSIFIED: 0, CONFIDENTIAL: 1, SECRET: 2, 'TOP SECRET': 3 };
const releasable = (l, [nation, clearance]) => RANK[l.classification] <= RANK[clearance] && (l.classification === 'UNCLASSIFIED' || l.rel_to.includes(nation));

function viewMarking(labels) {
  if (labels.length === 0) return 'UNCLASSIFIED';
  let top = labels[0];
  let rel = null;
  for (const l of labels) {
    if (RANK[l.classification] > RANK[top.classification]) top = l;
    if (l.classification !== 'UNCLASSIFIED') rel = rel ? rel.filter((n) => l.rel_to.includes(n)) : [...l.rel_to];
  }
  return mark({ classification: top.classification, rel_to: top.classification === 'UNCLASSIFIED' ? [] : rel || [] });
}

function tracks(aud) {
  const t = (Date.now() - started) / 1000;
  const visible = BASE.map((b, i) => [b, i]).filter(([b]) => releasable(b[6], aud));
  const features = visible.map(([[lon, lat, course, speed, domain, affiliation, label, sources, extra], i]) => ({
    type: 'Feature',
    geometry: { type: 'Point', coordinates: destination([lon, lat], course, speed * t) },
    properties: {
      id: `${aud[0].toLowerCase()}-${(0x9e3779b1 * (i + 1) >>> 0).toString(16)}`, label, marking: mark(label), sources, domain, affiliation,
      status: 'confirmed', speed_mps: speed, course_deg: course, sigma_m: 50 + 20 * i, time: new Date().toISOString(), ...extra,
    },
  }));
  return { type: 'FeatureCollection', audience: { nation: aud[0], clearance: aud[1] }, marking: viewMarking(visible.map(([b]) => b[6])), features };
}

const FEEDS = [
  { name: 'ais-naha', format: 'ais-nmea', nation: 'JPN', marking: 'UNCLASSIFIED', description: 'AIS receiver, Naha' },
  { name: 'adsb-okinawa', format: 'sbs', nation: 'JPN', marking: 'UNCLASSIFIED', description: 'ADS-B receiver, Okinawa' },
  { name: 'jmsdf-radar', format: 'asterix', nation: 'JPN', marking: 'SECRET//REL TO AUS, JPN, USA', description: 'Coastal radar' },
  { name: 'mq9-gmti', format: 'stanag4607', nation: 'USA', marking: 'SECRET//REL TO JPN, USA', description: 'MQ-9 GMTI' },
];
const feedLabel = (f) => (f.marking === 'UNCLASSIFIED' ? U : S(f.marking.split('REL TO ')[1].split(', ')));

const ZONES = {
  type: 'FeatureCollection',
  features: [{
    type: 'Feature', properties: { name: 'Miyako Strait watch box', approximate: true, provenance: 'mock' },
    geometry: { type: 'Polygon', coordinates: [[[124.6, 24.2], [126.2, 24.2], [126.2, 25.6], [124.6, 25.6], [124.6, 24.2]]] },
  }],
};

// one approximate zone in the shape the server sends (biac-zones' display polygons)
const MARITIME = {
  type: 'FeatureCollection', approximate: true, recognition: 'administered',
  features: [{
    type: 'Feature',
    properties: { name: 'Mock contiguous zone', state: 'JPN', kind: 'contiguous_zone', approximate: true, recognition: 'administered', marking: 'UNCLASSIFIED', provenance: { dataset: 'mock (not Natural Earth)', method: 'a box' } },
    geometry: { type: 'MultiPolygon', coordinates: [[[[127.0, 25.8], [128.6, 25.8], [128.6, 27.2], [127.0, 27.2], [127.0, 25.8]]]] },
  }],
};

const json = (res, code, body) => { res.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' }); res.end(JSON.stringify(body)); };

const server = createServer(async (req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname.startsWith('/api/')) {
    const tok = (req.headers.authorization || '').replace(/^Bearer\s+/i, '');
    const aud = TOKENS[tok];
    if (!aud) return json(res, 401, { error: 'unauthorized' });
    const t = (Date.now() - started) / 1000;
    switch (url.pathname) {
      case '/api/v1/tracks': return json(res, 200, tracks(aud));
      case '/api/v1/feeds': return json(res, 200, { feeds: FEEDS.filter((f) => releasable(feedLabel(f), aud)).map((f, i) => ({ ...f, accepted: Math.floor(t * (3 + i)), rejected: i === 1 ? 2 : 0, last_error: i === 1 ? 'line 17: checksum mismatch' : null })) });
      case '/api/v1/alerts': return json(res, 200, { alerts: aud[0] === 'PHL' ? [] : [{ time: new Date().toISOString(), kind: 'zone-entry', zone: 'Miyako Strait watch box', track_id: 'x', message: 'Suspect surface contact entered zone', marking: 'SECRET//REL TO AUS, JPN, USA', lat: 25.0, lon: 125.0 }] });
      case '/api/v1/zones': return json(res, 200, ZONES);
      // MARITIME_FILE: a real answer (e.g. saved from `biac demo`), to measure drawing it
      case '/api/v1/zones/maritime': return json(res, 200, process.env.MARITIME_FILE ? JSON.parse(await readFile(process.env.MARITIME_FILE, 'utf8')) : MARITIME);
      default: return json(res, 404, { error: 'not found' });
    }
  }
  let path = normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, '');
  if (path.endsWith('/')) path += 'index.html';
  try {
    const body = await readFile(join(root, path));
    res.writeHead(200, { 'content-type': TYPES[extname(path)] || 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end('not found');
  }
});
server.listen(Number(port), host, () => {
  console.log(`biac: serving http://${host}:${server.address().port}/`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
