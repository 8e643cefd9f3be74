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

async function apiTracks(base, nation) {
  const res = await fetch(new URL('/api/v1/tracks', base), { headers: { Authorization: `Bearer demo-${nation.toLowerCase()}` } });
  assert.equal(res.status, 200, `/api/v1/tracks as ${nation}`);
  return res.json();
}

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

test('web COP shows the released picture, offline, per nation', { timeout: 240_000 }, async (t) => {
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
  let child;
  let context;
  try {
    const started = startBiac(dataDir, log);
    child = started.child;
    const base = await started.ready;
    t.diagnostic(`biac serving at ${base}`);

    // The API refuses a request without a token.
    const anon = await fetch(new URL('/api/v1/tracks', base));
    assert.equal(anon.status, 401, 'GET /api/v1/tracks without a token must be 401');

    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 860 },
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        // belt and braces: any name other than 127.0.0.1 fails to resolve (the request is still recorded)
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
      ],
    });
    context.on('request', (r) => requests.push(r.url()));
    const page = context.pages()[0] || (await context.newPage());
    page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => pageErrors.push(String(e && e.stack ? e.stack : e)));
    const diag = () => `\n--- page console ---\n${consoleLines.slice(-40).join('\n')}\n--- page errors ---\n${pageErrors.join('\n')}\n--- biac log (tail) ---\n${log.slice(-40).join('\n')}`;

    await page.goto(base, { waitUntil: 'load' });
    assert.equal(await page.title(), 'BIAC — Common Operational Picture');
    assert.deepEqual(await page.$$eval('#nation option', (os) => os.map((o) => o.value)), NATIONS);
    assert.equal(await page.inputValue('#nation'), 'JPN', 'default nation is JPN');

    // 1. JPN: tracks arrive and are drawn by the `tracks` layer.
    let jpn;
    try {
      jpn = await waitForPicture(page, 'JPN', { needTracks: true });
    } catch (e) {
      await page.screenshot({ path: join(artifacts, 'cop-timeout.png') }).catch(() => {});
      throw new Error(`no track drawn within 60 s: ${e.message}${diag()}`);
    }
    t.diagnostic(`JPN: first ${jpn.count} tracks drawn, banner "${jpn.banner}"`);
    // The demo's national (classified) feeds start a little after the open AIS/ADS-B ones; wait
    // for JPN's picture to hold classified tracks, so the PHL comparison below means something.
    try {
      await page.waitForFunction(() => /^(CONFIDENTIAL|SECRET|TOP SECRET)\b/.test(document.body.dataset.marking || ''), null, { timeout: 60_000, polling: 500 });
    } catch (e) {
      await page.screenshot({ path: join(artifacts, 'cop-timeout.png') }).catch(() => {});
      throw new Error(`JPN's picture held no classified track within 60 s more: ${e.message}${diag()}`);
    }
    jpn = await waitForPicture(page, 'JPN', { needTracks: true });
    t.diagnostic(`JPN: ${jpn.count} tracks, ${jpn.drawn} drawn, banner "${jpn.banner}"`);
    assert.ok(jpn.count > 0 && jpn.drawn > 0);
    // The page logged in with the demo account for a short-lived session token.
    assert.equal(jpn.session && jpn.session.user, 'analyst-jpn', `page session${diag()}`);
    assert.match(jpn.banner, /^(UNCLASSIFIED|CONFIDENTIAL|SECRET|TOP SECRET)\b/, `banner shows a marking${diag()}`);
    assert.notEqual(jpn.bannerClass.includes('banner-none'), true, 'banner is coloured by classification');

    // Clicking a track shows its details (marking, sources).
    const pt = await page.evaluate(() => {
      const m = window.biac.map;
      const f = m.queryRenderedFeatures({ layers: ['tracks'] })
        .find((x) => { const p = m.project(x.geometry.coordinates); return p.x > 40 && p.y > 40 && p.x < m.getCanvas().clientWidth - 40 && p.y < m.getCanvas().clientHeight - 40; });
      if (!f) return null;
      const p = m.project(f.geometry.coordinates);
      const r = m.getCanvas().getBoundingClientRect();
      return { x: r.left + p.x, y: r.top + p.y };
    });
    if (pt) {
      await page.mouse.click(pt.x, pt.y);
      await page.waitForSelector('#detail .marking-line', { timeout: 10_000 });
      const detail = await page.textContent('#detail');
      assert.match(detail, /(UNCLASSIFIED|CONFIDENTIAL|SECRET)/, 'track detail shows its marking');
      assert.match(detail, /Sources/, 'track detail lists its sources');
    } else {
      t.diagnostic('no track away from the map edge to click; detail panel not checked');
    }
    await page.screenshot({ path: join(artifacts, 'cop-jpn.png') });

    // 2. PHL: a partner with a smaller release sees at most what JPN sees.
    await page.selectOption('#nation', 'PHL');
    const phl = await waitForPicture(page, 'PHL', { needTracks: false });
    await sleep(2500); // one more poll, so the comparison uses a settled picture
    const phl2 = await waitForPicture(page, 'PHL', { needTracks: false });
    t.diagnostic(`PHL: ${phl2.count} tracks, banner "${phl2.banner}"`);
    assert.equal(phl2.session && phl2.session.user, 'analyst-phl', 'the page logged in as PHL');
    const phlText = await page.evaluate(() => document.body.innerText);
    await page.screenshot({ path: join(artifacts, 'cop-phl.png') });

    await page.selectOption('#nation', 'JPN');
    const jpnAgain = await waitForPicture(page, 'JPN', { needTracks: true });
    t.diagnostic(`JPN again: ${jpnAgain.count} tracks`);
    // JPN's picture holds classified tracks PHL may not see: PHL's is strictly smaller.
    assert.ok(Math.min(phl.count, phl2.count) < Math.max(jpn.count, jpnAgain.count),
      `PHL sees ${phl.count}/${phl2.count} tracks, not fewer than JPN (${jpn.count}/${jpnAgain.count})`);

    // The same comparison straight from the API, at one instant.
    const [apiJpn, apiPhl] = await Promise.all([apiTracks(base, 'JPN'), apiTracks(base, 'PHL')]);
    assert.ok(apiPhl.features.length < apiJpn.features.length,
      `API: PHL ${apiPhl.features.length} tracks, not fewer than JPN ${apiJpn.features.length}`);
    const phlAllUnclassified = apiPhl.features.every((f) => String(f.properties.marking || '').startsWith('UNCLASSIFIED'));
    if (phlAllUnclassified) {
      assert.match(phl2.banner, /^UNCLASSIFIED/, 'every PHL track is UNCLASSIFIED, so the banner must be');
      assert.match(phl2.bannerClass, /banner-unclassified/);
      // Nothing from the JPN view may linger on the PHL screen (popups, selection, alerts, feeds).
      const leaked = phlText.split('\n').filter((l) => /\b(SECRET|CONFIDENTIAL)\/\//.test(l) || /^(TOP SECRET|SECRET|CONFIDENTIAL)\b/.test(l.trim()));
      assert.deepEqual(leaked, [], 'a PHL screen of unclassified tracks shows no classified marking');
    }
    assert.notEqual(phl2.banner, jpn.banner, 'the banner follows the audience');

    // 3. Nothing left 127.0.0.1.
    const foreign = requests.filter((u) => {
      const url = new URL(u);
      if (url.protocol === 'data:' || url.protocol === 'blob:') return false;
      return url.hostname !== '127.0.0.1';
    });
    assert.deepEqual(foreign, [], 'every request goes to 127.0.0.1');
    assert.ok(requests.some((u) => u.includes('/api/v1/tracks')), 'the page polled /api/v1/tracks');
    assert.deepEqual(pageErrors, [], `no uncaught page error${diag()}`);
    t.diagnostic(`${requests.length} requests, all to 127.0.0.1; screenshots in ${artifacts}`);
  } finally {
    if (context) await context.close().catch(() => {});
    await stopChild(child);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  }
});
