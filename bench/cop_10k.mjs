#!/usr/bin/env node
// The web COP's own work per picture update at 10,000 tracks, in Debian's Chromium.
//
//   npm ci --prefix tests/browser && node bench/cop_10k.mjs [--tracks 10000] [--updates 30] [--changed 1.0]
//
// The page is served by tests/browser/mock-server.mjs (web/static as is); its tracks come
// from a Playwright override: GET /api/v1/tracks answers N synthetic tracks and the
// WebSocket is a scripted one (snapshot, then one `update` per second in which a fraction
// `--changed` of the tracks moved). Measured per update:
//   - page: the page's update handler (tracks -> layer data, setData, counts), by
//     performance.now() inside the page (window.biac.perf);
//   - main-thread script: Chromium's ScriptDuration (CDP Performance metrics) over the
//     run, divided by the updates: everything the page's JavaScript ran on the main
//     thread, MapLibre's rendering and the table included (the map's worker not included);
//   - a CPU profile of the main thread, self time grouped: the page's modules, MapLibre,
//     garbage collection, native (WebGL through software GL here, layout, messaging).
// The page's own figure is `page_update_ms` (wall time: inflated on a loaded machine) and
// `cpu_profile_ms_per_update.page`.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
// playwright-core is the browser test's dependency (tests/browser/package.json)
const { chromium } = createRequire(join(root, 'tests/browser/package.json'))('playwright-core');
const arg = (n, d) => { const i = process.argv.indexOf(n); return i > 0 ? Number(process.argv[i + 1]) : d; };
const N = arg('--tracks', 10_000);
const UPDATES = arg('--updates', 30);
const CHANGED = arg('--changed', 1.0);
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const DOMAINS = ['surface', 'surface', 'surface', 'air', 'ground', 'unknown'];
const AFFS = ['friend', 'neutral', 'unknown', 'unknown', 'suspect', 'hostile', 'assumedfriend'];
const label = { classification: 'UNCLASSIFIED', owner: ['JPN'], rel_to: [], noforn: false, releasable_to: [] };
function track(i, step) {
  const lon = 118 + ((i * 7919) % 10000) / 10000 * 16 + step * 0.001 * ((i % 3) - 1);
  const lat = 18 + ((i * 104729) % 10000) / 10000 * 16 + step * 0.001 * ((i % 5) - 2) / 2;
  const domain = DOMAINS[i % DOMAINS.length];
  const p = {
    id: `T${String(i).padStart(6, '0')}`, label, marking: 'UNCLASSIFIED', sources: [i % 2 ? 'ais-naha' : 'adsb-okinawa'],
    domain, affiliation: AFFS[i % AFFS.length], status: i % 17 === 0 ? 'coasting' : 'confirmed',
    speed_mps: 5 + (i % 20), course_deg: (i * 37) % 360, sigma_m: 30 + (i % 200), updates: 10 + step,
    time: new Date().toISOString(),
  };
  if (domain === 'surface') Object.assign(p, { mmsi: 431000000 + i, name: `VESSEL ${i}`, ship_type: [30, 52, 60, 70, 80, 37][i % 6] });
  if (domain === 'air') Object.assign(p, { icao: (0x800000 + i).toString(16).toUpperCase(), callsign: `JAL${i % 9000}` });
  const coords = domain === 'air' ? [lon, lat, 9000 + (i % 30) * 100] : [lon, lat];
  return { type: 'Feature', id: p.id, geometry: { type: 'Point', coordinates: coords }, properties: p };
}
const fc = (step) => ({ type: 'FeatureCollection', marking: 'UNCLASSIFIED', audience: { nation: 'JPN', clearance: 'SECRET' }, features: Array.from({ length: N }, (_, i) => track(i, step)) });

const server = spawn(process.execPath, [join(root, 'tests/browser/mock-server.mjs'), 'demo', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise((res, rej) => {
  server.stdout.on('data', (d) => { const m = /serving (http:\/\/\S+)/.exec(String(d)); if (m) res(m[1]); });
  server.on('exit', () => rej(new Error('mock server exited')));
});

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
page.on('pageerror', (e) => console.error('page error:', e));
await page.route(/\/api\/v1\/tracks$/, (route) => route.fulfill({ json: fc(0) }));
let sock;
await page.routeWebSocket(/\/api\/v1\/ws/, (ws) => { sock = ws; });
await page.goto(base);
await page.waitForFunction((n) => Number(document.body.dataset.trackCount) === n, N, { timeout: 120_000 });
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');
sock.send(JSON.stringify({ type: 'snapshot', ...fc(0), features: fc(0).features }));
await page.waitForTimeout(3000);
await page.evaluate(() => { window.biac.perf.samples.length = 0; });
await cdp.send('Profiler.enable');
await cdp.send('Profiler.start');
const m0 = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
const r0 = await page.evaluate(() => window.biac.renders);
for (let s = 1; s <= UPDATES; s += 1) {
  const all = fc(s).features;
  const upserts = all.filter((_, i) => (i * 2654435761 % 1000) / 1000 < CHANGED);
  sock.send(JSON.stringify({ type: 'update', marking: 'UNCLASSIFIED', audience: { nation: 'JPN', clearance: 'SECRET' }, upserts, deletes: [] }));
  await page.waitForTimeout(1000);
}
await page.waitForTimeout(1000);
// CPU profile of the main thread: self time by where the code lives.
const { profile } = await cdp.send('Profiler.stop');
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const group = { page: 0, maplibre: 0, milsymbol: 0, gc: 0, native: 0, other: 0 };
const top = new Map();
const pageTop = new Map(); // the page's own functions (self time)
for (let i = 0; i < profile.samples.length; i += 1) {
  const n = byId.get(profile.samples[i]);
  const ms = (profile.timeDeltas[i] || 0) / 1000;
  const url = n.callFrame.url;
  const g = /\/cop\/|\/app\.js/.test(url) ? 'page' : url.includes('maplibre-gl') ? 'maplibre' : url.includes('milsymbol') ? 'milsymbol'
    : n.callFrame.functionName === '(garbage collector)' ? 'gc' : n.callFrame.functionName === '(program)' ? 'native' : 'other';
  group[g] += ms;
  if (process.env.PROFILE) {
    const k = `${n.callFrame.functionName || '(anon)'} ${url.split('/').pop()}:${n.callFrame.lineNumber}`;
    top.set(k, (top.get(k) || 0) + ms);
    if (g === 'page') pageTop.set(k, (pageTop.get(k) || 0) + ms);
  }
}
if (process.env.PROFILE) console.error(`page functions, self time over the run:\n${[...pageTop].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${v.toFixed(0).padStart(7)} ms  ${k}`).join('\n')}\nall, self time over the run:`);
if (process.env.PROFILE) console.error([...top].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${v.toFixed(0).padStart(7)} ms  ${k}`).join('\n'));
const m1 = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
const renders = (await page.evaluate(() => window.biac.renders)) - r0;
const samples = await page.evaluate(() => window.biac.perf.samples.map((s) => s.ms));
samples.sort((a, b) => a - b);
const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))];
const scriptMs = (m1.ScriptDuration - m0.ScriptDuration) * 1000;
const taskMs = (m1.TaskDuration - m0.TaskDuration) * 1000;
console.log(JSON.stringify({
  tracks: N, updates_sent: UPDATES, renders, changed_per_update: CHANGED,
  page_update_ms: { median: q(0.5), p90: q(0.9), max: samples[samples.length - 1] },
  main_thread_script_ms_per_update: scriptMs / renders,
  cpu_profile_ms_per_update: Object.fromEntries(Object.entries(group).map(([k, v]) => [k, Number((v / renders).toFixed(2))])),
  main_thread_task_ms_per_update: taskMs / renders,
  chromium: browser.version(),
}, null, 2));
await browser.close();
server.kill();
