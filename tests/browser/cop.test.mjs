// Headless-browser test of the biac web COP against a real `biac demo`.
//
//   node --test tests/browser/
//
// Environment:
//   BIAC_BIN        path of the biac binary (default: target/debug/biac under the repo root)
//   BIAC_ARTIFACTS  directory for screenshots (default: a new temporary directory)
//   CHROMIUM        path of the browser (default: /usr/bin/chromium, Debian's package)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const BIAC_BIN = resolve(repoRoot, process.env.BIAC_BIN || 'target/debug/biac');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const NATIONS = ['JPN', 'USA', 'AUS', 'KOR', 'PHL'];
const SERVING = /^biac: serving (http:\/\/127\.0\.0\.1:\d+\/)\s*$/;
const MAX_GAP_MS = 120_000; // web/static/cop/replay.js: a track is in the replayed picture this long after its last state

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Start `biac demo` and resolve with its base URL once it prints the serving line. */
function startBiac(dataDir, log) {
  const child = spawn(BIAC_BIN, ['demo', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--speed', '1'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group, so cleanup can end it and anything it started
    env: { ...process.env, RUST_BACKTRACE: '1' },
  });
  const ready = new Promise((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`biac did not print "biac: serving http://..." within 60 s\n${log.join('\n')}`)), 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      log.push(`[stdout] ${line}`);
      const m = SERVING.exec(line);
      if (m) { clearTimeout(timer); resolveUrl(m[1]); }
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      log.push(`[stderr] ${line}`);
      if (log.length > 400) log.splice(0, log.length - 400);
    });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`biac exited early (code ${code}, signal ${sig})\n${log.join('\n')}`)); });
  });
  ready.catch(() => {}); // a later stop makes the exit handler reject: not an error then
  return { child, ready };
}

async function stopChild(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  const signal = (sig) => { try { process.kill(-child.pid, sig); } catch { try { child.kill(sig); } catch { /* gone */ } } };
  signal('SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
  if (!done) { signal('SIGKILL'); await Promise.race([exited, sleep(2000)]); }
}

async function apiGet(base, path, nation) {
  const res = await fetch(new URL(path, base), { headers: { Authorization: `Bearer demo-${nation.toLowerCase()}` } });
  assert.equal(res.status, 200, `${path} as ${nation}`);
  return res.json();
}
const apiTracks = (base, nation) => apiGet(base, '/api/v1/tracks', nation);

/** Wait until the page has rendered data for `nation` and the tracks layer shows them. */
async function waitForPicture(page, nation, { needTracks }) {
  await page.waitForFunction(({ nation, needTracks }) => {
    const b = document.body.dataset;
    if (b.nation !== nation || b.trackCount === undefined) return false;
    const n = Number(b.trackCount);
    if (needTracks && !(n > 0)) return false;
    if (n === 0) return true;
    try {
      return window.biac.map.queryRenderedFeatures({ layers: ['tracks'] }).length > 0;
    } catch {
      return false;
    }
  }, { nation, needTracks }, { timeout: 60_000, polling: 500 });
  return page.evaluate(() => ({
    count: Number(document.body.dataset.trackCount),
    drawn: window.biac.map.queryRenderedFeatures({ layers: ['tracks'] }).length,
    banner: document.getElementById('marking').textContent.trim(),
    bannerClass: document.getElementById('banner-top').className,
    nation: window.biac.nation,
    session: window.biac.session || null,
  }));
}

/** Ids drawn by the `tracks` layer now, with the domain the page holds for each. */
const drawnTracks = (page) => page.evaluate(() => {
  const shown = new Map(window.biac.shown().map((f) => [f.properties.id, f.properties]));
  return window.biac.map.queryRenderedFeatures({ layers: ['tracks'] }).map((f) => ({ id: f.properties.id, domain: shown.get(f.properties.id)?.domain }));
});

test('web COP: picture, search, filters, maritime zones, replay, alerts, missile layer, stale link, per nation, offline', { timeout: 480_000 }, async (t) => {
  assert.ok(existsSync(BIAC_BIN), `biac binary not found at ${BIAC_BIN}: run \`cargo build -p biac\` or set BIAC_BIN`);
  assert.ok(existsSync(CHROMIUM), `no browser at ${CHROMIUM}: run \`apt-get install -y chromium\` or set CHROMIUM`);

  const work = mkdtempSync(join(tmpdir(), 'biac-browser-'));
  const dataDir = join(work, 'data');
  const profile = join(work, 'chromium-profile');
  mkdirSync(dataDir);
  mkdirSync(profile);
  const artifacts = process.env.BIAC_ARTIFACTS ? resolve(process.env.BIAC_ARTIFACTS) : join(work, 'artifacts');
  mkdirSync(artifacts, { recursive: true });

  const log = [];
  const requests = [];
  const consoleLines = [];
  const pageErrors = [];
  const tokens = new Set(); // every session token the server handed the page
  let child;
  let context;
  try {
    const started = startBiac(dataDir, log);
    child = started.child;
    const base = await started.ready;
    const servingSince = Date.now();
    t.diagnostic(`biac serving at ${base}`);

    // The API refuses a request without a token.
    const anon = await fetch(new URL('/api/v1/tracks', base));
    assert.equal(anon.status, 401, 'GET /api/v1/tracks without a token must be 401');
    const csp = (await fetch(base)).headers.get('content-security-policy');
    assert.match(csp || '', /script-src 'self'/, 'the page is served under the CSP');

    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1600, height: 1000 },
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        // belt and braces: any name other than 127.0.0.1 fails to resolve (the request is still recorded)
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      ],
    });
    // CSP violations are reported to the page as events: collect them.
    await context.addInitScript(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    context.on('request', (r) => requests.push(r.url()));
    context.on('response', async (r) => {
      if (r.url().endsWith('/api/v1/session') && r.request().method() === 'POST' && r.ok()) {
        try { tokens.add((await r.json()).token); } catch { /* body gone */ }
      }
    });
    const page = context.pages()[0] || (await context.newPage());
    const watch = (p) => {
      p.on('console', (m) => consoleLines.push({ type: m.type(), text: m.text() }));
      p.on('pageerror', (e) => pageErrors.push(String(e && e.stack ? e.stack : e)));
    };
    watch(page);
    const diag = () => `\n--- page console ---\n${consoleLines.slice(-40).map((l) => `[${l.type}] ${l.text}`).join('\n')}\n--- page errors ---\n${pageErrors.join('\n')}\n--- biac log (tail) ---\n${log.slice(-40).join('\n')}`;

    await page.goto(base, { waitUntil: 'load' });
    assert.equal(await page.title(), 'BIAC — Common Operational Picture');
    assert.deepEqual(await page.$$eval('#nation option', (os) => os.map((o) => o.value)), NATIONS);
    assert.equal(await page.inputValue('#nation'), 'JPN', 'default nation is JPN');

    // 1. JPN: tracks arrive and are drawn by the `tracks` layer, with labels in the offline font.
    let jpn;
    try {
      jpn = await waitForPicture(page, 'JPN', { needTracks: true });
      // the demo's national (classified) feeds start a little after the open ones
      await page.waitForFunction(() => /^(CONFIDENTIAL|SECRET|TOP SECRET)\b/.test(document.body.dataset.marking || ''), null, { timeout: 60_000, polling: 500 });
    } catch (e) {
      await page.screenshot({ path: join(artifacts, 'cop-timeout.png') }).catch(() => {});
      throw new Error(`no classified picture within 60 s: ${e.message}${diag()}`);
    }
    jpn = await waitForPicture(page, 'JPN', { needTracks: true });
    t.diagnostic(`JPN: ${jpn.count} tracks, ${jpn.drawn} drawn, banner "${jpn.banner}"`);
    assert.equal(jpn.session && jpn.session.user, 'analyst-jpn', `page session${diag()}`);
    assert.equal(await page.evaluate(() => window.biac.logins()), 1, 'one login per page load (no race between pollers)');
    assert.match(jpn.banner, /^(UNCLASSIFIED|CONFIDENTIAL|SECRET|TOP SECRET)\b/);
    assert.ok(!jpn.bannerClass.includes('banner-none'), 'banner is coloured by classification');
    await page.waitForFunction(() => window.biac.map.queryRenderedFeatures({ layers: ['labels'] }).length > 0, null, { timeout: 20_000 });

    // Clicking a track shows its details.
    const pt = await page.evaluate(() => {
      const m = window.biac.map;
      const f = m.queryRenderedFeatures({ layers: ['tracks'] })
        .find((x) => { const p = m.project(x.geometry.coordinates); return p.x > 60 && p.y > 60 && p.x < m.getCanvas().clientWidth - 60 && p.y < m.getCanvas().clientHeight - 60; });
      if (!f) return null;
      const p = m.project(f.geometry.coordinates);
      const r = m.getCanvas().getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    });
    assert.ok(pt, 'a track away from the map edge to click');
    await page.mouse.click(pt.x, pt.y);
    await page.waitForSelector('#detail .marking-line', { timeout: 10_000 });
    const detail = await page.textContent('#detail');
    assert.match(detail, /(UNCLASSIFIED|CONFIDENTIAL|SECRET)/, 'track detail shows its marking');
    assert.match(detail, /Sources/);
    // each source with the time of its last contribution (from the API's source_times)
    const srcs = await page.$$eval('#detail ul.sources li', (ls) => ls.map((l) => l.textContent));
    assert.ok(srcs.length > 0 && srcs.every((x) => /\d\d:\d\d:\d\dZ \(.* ago\)/.test(x)), `sources with times: ${srcs}`);
    assert.match(detail, /Last report/);
    assert.match(detail, /REL TO\S*\s*\S/, 'REL TO is never blank');
    await page.keyboard.press('Escape');

    // 2. Search finds a known vessel by MMSI and by name (one the API reports with both).
    // Names come from AIS static reports, which each vessel sends once in its first six
    // minutes and every six minutes after: wait for the first one to be fused.
    let vessel;
    for (const until = Date.now() + 180_000; !vessel && Date.now() < until; ) {
      const apiNow = await apiTracks(base, 'JPN');
      vessel = apiNow.features.map((f) => f.properties).find((p) => p.mmsi != null && p.name);
      if (!vessel) await sleep(2_000);
    }
    assert.ok(vessel, 'the demo reports a vessel with MMSI and name within 3 minutes');
    for (const q of [String(vessel.mmsi), vessel.name]) {
      await page.fill('#search', q);
      await page.waitForFunction((id) => [...document.querySelectorAll('#track-table tbody tr')].some((r) => r.dataset.id === id), vessel.id, { timeout: 10_000 });
      const rows = await page.$$eval('#track-table tbody tr', (rs) => rs.map((r) => r.textContent));
      assert.ok(rows.length >= 1 && rows.length < jpn.count, `search "${q}" narrows the table (${rows.length} rows)`);
    }
    await page.press('#search', 'Enter');
    await page.waitForFunction((id) => document.body.dataset.selected === id, vessel.id, { timeout: 10_000 });
    assert.match(page.url(), /[?&]q=/, 'the search is kept in the URL');
    await page.fill('#search', '');

    // 3. A filter hides a domain (and says so in the URL); layer toggles hide layers.
    await page.click('#filters-card summary');
    const before = await drawnTracks(page);
    assert.ok(before.some((d) => d.domain === 'air'), 'air tracks drawn before filtering');
    await page.uncheck('input[data-filter="domain:air"]');
    await page.waitForFunction(() => {
      const shown = new Map(window.biac.shown().map((f) => [f.properties.id, f.properties]));
      const drawn = window.biac.map.queryRenderedFeatures({ layers: ['tracks'] });
      return drawn.length > 0 && drawn.every((f) => shown.get(f.properties.id)?.domain !== 'air');
    }, null, { timeout: 10_000 });
    assert.match(decodeURIComponent(page.url()), /hide=domain:air/);
    assert.ok(Number(await page.evaluate(() => document.body.dataset.shownCount)) < Number(await page.evaluate(() => document.body.dataset.trackCount)));
    await page.check('input[data-filter="domain:air"]');
    await page.waitForFunction(() => window.biac.map.queryRenderedFeatures({ layers: ['tracks'] }).length > 0, null, { timeout: 10_000 });

    // 3b. The maritime zones layer: what the API computed for JPN, drawn, toggled, with an
    // "approximate" popup naming the provenance.
    const mz = await apiGet(base, '/api/v1/zones/maritime', 'JPN');
    assert.ok(mz.features.length > 0 && mz.features.every((f) => f.properties.approximate === true), 'maritime zones, all approximate');
    await page.waitForFunction((n) => Number(document.body.dataset.maritimeCount) === n, mz.features.length, { timeout: 180_000 });
    await page.waitForFunction(() => window.biac.map.queryRenderedFeatures({ layers: ['maritime-line'] }).length > 0, null, { timeout: 10_000 });
    await page.uncheck('input[data-layer="maritime"]');
    await page.waitForFunction(() => window.biac.map.queryRenderedFeatures({ layers: ['maritime-line'] }).length === 0, null, { timeout: 10_000 });
    assert.match(decodeURIComponent(page.url()), /layers=[^&]*-maritime/);
    await page.check('input[data-layer="maritime"]');
    await page.waitForFunction(() => window.biac.map.queryRenderedFeatures({ layers: ['maritime-line'] }).length > 0, null, { timeout: 10_000 });
    await page.click('#maritime-card summary');
    await page.locator('#maritime li', { hasText: 'Japan EEZ' }).first().click();
    await page.waitForSelector('.maritime-pop', { timeout: 10_000 });
    const pop = await page.textContent('.maritime-pop');
    assert.match(pop, /Japan EEZ/);
    assert.match(pop, /approximate/i);
    assert.match(pop, /Natural Earth/);
    assert.match(pop, /takeshima=JPN/, 'the recognition applied is shown');
    await page.keyboard.press('Escape');
    await page.click('#maritime-card summary');

    // 4. Clicking an alert selects its track; acknowledging records the principal.
    let alertTrack;
    try {
      const first = await page.waitForSelector('#alerts li.alert[data-track]:not([data-track=""])', { timeout: 90_000 });
      alertTrack = await first.getAttribute('data-track');
    } catch (e) {
      throw new Error(`no alert with a track within 90 s: ${e.message}${diag()}`);
    }
    await page.locator(`#alerts li.alert[data-track="${alertTrack}"]`).first().click();
    await page.waitForFunction((id) => document.body.dataset.selected === id, alertTrack, { timeout: 10_000 });
    t.diagnostic(`alert for ${alertTrack} selected its track`);
    await page.locator(`#alerts li.alert[data-track="${alertTrack}"] .ack-btn`).first().click();
    try {
      await page.waitForSelector(`#alerts li.alert.acked[data-track="${alertTrack}"] .alert-acked`, { timeout: 30_000 });
    } catch (e) {
      await page.screenshot({ path: join(artifacts, 'cop-ack-timeout.png') }).catch(() => {});
      throw new Error(`acknowledgement not shown: ${e.message}${diag()}`);
    }
    const acked = (await apiGet(base, '/api/v1/alerts', 'JPN')).alerts.filter((a) => a.ack);
    assert.ok(acked.some((a) => a.track_id === alertTrack && a.ack.by === 'analyst-jpn'), 'the server recorded the acknowledgement with the principal');

    // 5. Replay: the picture goes back in time, and its positions are the history API's.
    // It replays 45 s back, so the demo must have run well over 45 s by then.
    await sleep(Math.max(0, servingSince + 75_000 - Date.now()));
    const liveShown = new Map((await page.evaluate(() => window.biac.shown())).map((f) => [f.properties.id, f.geometry.coordinates]));
    await page.click('#replay-toggle');
    await page.waitForFunction(() => document.body.classList.contains('replaying') && window.biac.replay.rows.size > 0, null, { timeout: 30_000 });
    const r = await page.evaluate(() => ({ from: window.biac.replay.from, to: window.biac.replay.to, bbox: window.biac.replay.bbox }));
    const T = r.to - 45_000;
    // through the slider, as a user drags it
    await page.evaluate((secs) => {
      const s = document.getElementById('replay-slider');
      s.value = String(secs);
      s.dispatchEvent(new Event('input'));
    }, Math.round((T - r.from) / 1000));
    await page.waitForFunction((tt) => Math.abs(Number(document.body.dataset.replayTime) - tt) < 1000, T, { timeout: 10_000 });
    const replayT = Number(await page.evaluate(() => document.body.dataset.replayTime));
    const replayed = await page.evaluate(() => window.biac.shown().map((f) => [f.properties.id, f.geometry.coordinates]));
    const hist = await apiGet(base, `/api/v1/history?from=${r.from}&to=${r.to}&bbox=${r.bbox}&limit=100000`, 'JPN');
    const expected = new Map();
    for (const f of hist.features) {
      const tt = Date.parse(f.properties.time);
      if (tt > replayT) continue;
      const cur = expected.get(f.properties.id);
      if (!cur || tt >= cur.t) expected.set(f.properties.id, { t: tt, c: f.geometry.coordinates });
    }
    for (const [id, e] of expected) if (replayT - e.t > MAX_GAP_MS) expected.delete(id);
    assert.ok(replayed.length > 0, 'the replayed picture has tracks');
    assert.deepEqual(new Set(replayed.map(([id]) => id)), new Set(expected.keys()), 'replayed tracks are the history API\'s at that time');
    for (const [id, c] of replayed) assert.deepEqual(c, expected.get(id).c, `replayed position of ${id}`);
    const moved = replayed.filter(([id, c]) => liveShown.has(id) && (liveShown.get(id)[0] !== c[0] || liveShown.get(id)[1] !== c[1]));
    assert.ok(moved.length > 0, 'the replayed picture differs from the live one (it is the past)');
    t.diagnostic(`replay at -45 s: ${replayed.length} tracks match /history; ${moved.length} moved since`);
    assert.match(await page.textContent('#replay-time'), /\d\d:\d\d:\d\dZ/);
    await page.screenshot({ path: join(artifacts, 'cop-replay.png') });
    await page.click('#replay-toggle');
    await page.waitForFunction(() => !document.body.classList.contains('replaying'), null, { timeout: 5000 });

    // 6. Keyboard: the panels are reachable and focus is visible.
    await page.focus('#search');
    await page.keyboard.press('Tab');
    assert.ok(await page.evaluate(() => document.activeElement && document.activeElement !== document.body), 'Tab moves focus within the panel');

    // 7. The missile layer draws what a track's `missile` object says (tracks answer
    // overridden; the WebSocket refused, so the page polls the overridden answer).
    {
      const p2 = await context.newPage();
      watch(p2);
      await p2.routeWebSocket(/\/api\/v1\/ws/, (ws) => ws.close());
      let overridden = null;
      await p2.route(/\/api\/v1\/tracks$/, async (route) => {
        const res = await route.fetch();
        const body = await res.json();
        const f = body.features[0];
        overridden = f.properties.id;
        const [lon, lat] = f.geometry.coordinates;
        f.properties.missile = {
          phase: 'midcourse',
          launch: { lat: lat - 1, lon: lon - 1, t_ms: Date.now() - 120_000 },
          trajectory: [[lon - 0.5, lat - 0.5, 80_000], [lon, lat, 60_000]],
          ipp: { lat: lat + 0.5, lon: lon + 0.5, t_ms: Date.now() + 300_000, semi_major_m: 20_000, semi_minor_m: 8_000, major_bearing_deg: 45 },
        };
        await route.fulfill({ response: res, json: body });
      });
      await p2.goto(base);
      await p2.waitForSelector('#missile-banner:not([hidden])', { timeout: 60_000 });
      const banner = await p2.textContent('#missile-banner');
      assert.match(banner, /MISSILE WARNING/);
      // The demo's own missiles may impact sooner (the banner leads with the soonest):
      // the overridden track's countdown is its impact point's label.
      assert.match(banner, /IMPACT T-\d\d:\d\d/, 'countdown to the predicted impact');
      await p2.waitForFunction((id) => window.biac.map.querySourceFeatures('missile')
        .some((f) => f.properties.kind === 'ipp-label' && f.properties.id === id && /T-0[45]:\d\d/.test(f.properties.text)), overridden, { timeout: 10_000 });
      await p2.waitForFunction((id) => window.biac.map.querySourceFeatures('missile').some((f) => f.properties.kind === 'ipp' && f.properties.id === id), overridden, { timeout: 10_000 });
      await p2.screenshot({ path: join(artifacts, 'cop-missile.png') });
      await p2.close();
    }

    // 7b. Alert lifecycle (alerts answer overridden): an episode shows once, open → updated →
    // closed; the open/closed and type filters; an open missile warning is the banner on
    // top with a countdown to its predicted impact.
    {
      const p3 = await context.newPage();
      watch(p3);
      const now = Date.now();
      const iso = (t) => new Date(t).toISOString();
      const base0 = { zone: '', marking: 'SECRET//REL TO JPN, USA', lat: 25.1, lon: 125.2, tracks: ['T000001', 'T000002'], track_id: 'T000001', ack: null, detail: {} };
      const episode = 'encounter:431000001-431000002:1';
      const fake = [
        { ...base0, id: 'e1', time: iso(now - 300_000), kind: 'encounter', state: 'open', episode, message: 'encounter opened' },
        { ...base0, id: 'e2', time: iso(now - 200_000), kind: 'encounter', state: 'update', episode, message: 'encounter continues' },
        { ...base0, id: 'e3', time: iso(now - 100_000), kind: 'encounter', state: 'close', episode, message: 'encounter ended' },
        { ...base0, id: 'm1', time: iso(now - 30_000), kind: 'missile-warning', state: 'open', episode: 'missile-warning:T000009:1', tracks: ['T000009'], track_id: 'T000009', message: 'Ballistic missile: predicted impact in the EEZ', detail: { impact_t_ms: now + 270_000, probability: 0.9 } },
        { ...base0, id: 'z1', time: iso(now - 10_000), kind: 'zone-entry', state: 'event', episode: null, tracks: [], message: 'zone entry' },
      ];
      await p3.route(/\/api\/v1\/alerts$/, (route) => route.fulfill({ json: { alerts: fake } }));
      // The demo's own missiles would lead the banner when they impact sooner: this page
      // shows tracks without them (the WebSocket refused, so it polls the edited answer).
      await p3.routeWebSocket(/\/api\/v1\/ws/, (ws) => ws.close());
      await p3.route(/\/api\/v1\/tracks$/, async (route) => {
        const res = await route.fetch();
        const body = await res.json();
        for (const f of body.features) delete f.properties.missile;
        await route.fulfill({ response: res, json: body });
      });
      await p3.goto(base);
      await p3.waitForSelector(`#alerts li[data-key="ep:${episode}"]`, { timeout: 30_000 });
      assert.equal(await p3.locator('#alerts li[data-kind="encounter"]').count(), 1, 'the episode is one line');
      const ep = await p3.textContent(`#alerts li[data-key="ep:${episode}"]`);
      assert.match(ep, /CLOSED/);
      assert.match(ep, /opened \d\d:\d\d:\d\dZ · updated \d\d:\d\d:\d\dZ · closed \d\d:\d\d:\d\dZ/, ep);
      assert.match(ep, /encounter ended/, 'the latest message');
      await p3.selectOption('#alert-state', 'open');
      await p3.waitForFunction(() => [...document.querySelectorAll('#alerts li.alert')].every((l) => l.dataset.status === 'open'), null, { timeout: 30_000 });
      assert.equal(await p3.locator('#alerts li[data-kind="encounter"]').count(), 0, 'a closed episode is filtered out of "open"');
      assert.equal(await p3.locator('#alerts li[data-kind="missile-warning"]').count(), 1);
      await p3.selectOption('#alert-state', 'closed');
      await p3.waitForSelector('#alerts li[data-kind="encounter"]', { timeout: 30_000 });
      await p3.selectOption('#alert-state', '');
      await p3.selectOption('#alert-kind', 'zone-entry');
      await p3.waitForFunction(() => [...document.querySelectorAll('#alerts li.alert')].every((l) => l.dataset.kind === 'zone-entry'), null, { timeout: 30_000 });
      await p3.selectOption('#alert-kind', '');
      await p3.waitForSelector('#missile-banner:not([hidden])', { timeout: 30_000 });
      const warn = await p3.textContent('#missile-banner');
      assert.match(warn, /MISSILE WARNING/);
      assert.match(warn, /IMPACT T-0[34]:\d\d/, `countdown from detail.impact_t_ms: ${warn}`);
      assert.match(warn, /predicted impact in the EEZ/);
      await p3.screenshot({ path: join(artifacts, 'cop-alert-lifecycle.png') });
      await p3.close();
    }

    // 8. Every nation, with a screenshot each; PHL sees less than JPN.
    const seen = {};
    for (const n of [...NATIONS.slice(1), 'JPN']) {
      await page.selectOption('#nation', n);
      seen[n] = await waitForPicture(page, n, { needTracks: false });
      await sleep(1500); // let labels settle for the picture
      await page.screenshot({ path: join(artifacts, `cop-${n.toLowerCase()}.png`) });
      assert.equal(seen[n].session && seen[n].session.user, `analyst-${n.toLowerCase()}`, `the page logged in as ${n}`);
      t.diagnostic(`${n}: ${seen[n].count} tracks, banner "${seen[n].banner}"`);
    }
    assert.equal(await page.evaluate(() => window.biac.logins()), NATIONS.length, 'one login per nation, none again on returning to JPN');
    const [apiJpn, apiPhl] = await Promise.all([apiTracks(base, 'JPN'), apiTracks(base, 'PHL')]);
    assert.ok(apiPhl.features.length < apiJpn.features.length, `API: PHL ${apiPhl.features.length} tracks, not fewer than JPN ${apiJpn.features.length}`);
    assert.ok(seen.PHL.count < seen.JPN.count, `page: PHL ${seen.PHL.count}, JPN ${seen.JPN.count}`);
    assert.notEqual(seen.PHL.banner, seen.JPN.banner, 'the banner follows the audience');

    // Before the server stops: no console error, no CSP violation, no page error.
    const errors = consoleLines.filter((l) => l.type === 'error');
    assert.deepEqual(errors, [], `no console error${diag()}`);
    assert.deepEqual(await page.evaluate(() => window.__csp), [], 'no CSP violation');
    assert.deepEqual(pageErrors, [], `no uncaught page error${diag()}`);

    // 9. Stop the server: within seconds the page says the picture is stale.
    await stopChild(child);
    const stoppedAt = Date.now();
    await page.waitForSelector('#stale-banner:not([hidden])', { timeout: 10_000 });
    const staleAfter = Date.now() - stoppedAt;
    assert.match(await page.textContent('#stale-banner'), /LINK LOST.*STALE/);
    assert.equal(await page.evaluate(() => document.body.classList.contains('stale')), true);
    t.diagnostic(`stale banner ${staleAfter} ms after the server stopped`);
    await sleep(2500); // a reconnect attempt fails meanwhile
    await page.screenshot({ path: join(artifacts, 'cop-stale.png') });

    // 10. Nothing left 127.0.0.1; no token in any console line or URL.
    const foreign = requests.filter((u) => {
      const url = new URL(u);
      if (url.protocol === 'data:' || url.protocol === 'blob:') return false;
      return url.hostname !== '127.0.0.1';
    });
    assert.deepEqual(foreign, [], 'every request goes to 127.0.0.1');
    assert.ok(tokens.size >= NATIONS.length, 'session tokens were seen');
    for (const tok of tokens) {
      assert.ok(!consoleLines.some((l) => l.text.includes(tok)), 'no session token in the console');
      assert.ok(!requests.some((u) => u.includes(tok)), 'no session token in a URL');
    }
    assert.ok(!requests.some((u) => /[?&]token=/.test(u)), 'no token query parameter');
    assert.ok(consoleLines.some((l) => /WebSocket|ERR_CONNECTION_REFUSED/.test(l.text)), 'the failed reconnects were logged (and held no token)');
    t.diagnostic(`${requests.length} requests, all to 127.0.0.1; screenshots in ${artifacts}`);
  } finally {
    if (context) await context.close().catch(() => {});
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
});
