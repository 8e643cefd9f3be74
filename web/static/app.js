// biac web COP: an offline MapLibre map of the tracks released to one audience.
//
// Everything is served by the biac binary from 127.0.0.1; nothing here reaches another host.
// The page never filters or redacts: what it shows is exactly what the server released to the
// selected nation's demo analyst (a session from `POST /api/v1/session`; the server fuses per
// audience).
import * as maplibregl from './vendor/maplibre-gl/maplibre-gl.mjs';

const ms = window.ms; // milsymbol UMD bundle, loaded by index.html

const NATIONS = ['JPN', 'USA', 'AUS', 'KOR', 'PHL'];
const POLL_TRACKS_MS = 2000;
const POLL_SIDE_MS = 5000;
const POLL_ZONES_MS = 30000;
const TRAIL_POINTS = 20;
const LEADER_SECONDS = 300; // course/speed leader length: 5 minutes of travel
const DOMAINS = ['surface', 'air', 'ground', 'unknown'];
const AFFILIATIONS = ['friend', 'assumedfriend', 'neutral', 'unknown', 'pending', 'suspect', 'hostile'];

// ---- state -------------------------------------------------------------------------------------

const params = new URLSearchParams(location.search);
const state = {
  nation: NATIONS.includes((params.get('nation') || '').toUpperCase()) ? params.get('nation').toUpperCase() : 'JPN',
  generation: 0, // bumped on nation change; responses of older generations are dropped
  tracks: new Map(), // id -> feature (as received)
  trails: new Map(), // id -> [[lon, lat], ...]
  selected: null,
  hovered: null, // id of the track under the pointer (its popup must never outlive it)
  lastCount: 0,
  renders: 0,
  abort: new AbortController(),
};

const $ = (id) => document.getElementById(id);
// The demo's credentials for a nation: the page logs in as the demo account
// `analyst-<nation>` (password "demo") for a short-lived session token, and falls back to the
// demo API token `demo-<nation>` where no such account exists (e.g. an older server).
const demoToken = (nation) => `demo-${nation.toLowerCase()}`;
const sessions = new Map(); // nation -> { token, expiresAt }

async function token(nation) {
  const s = sessions.get(nation);
  if (s && s.expiresAt - Date.now() > 60_000) return s.token;
  sessions.delete(nation);
  try {
    const res = await fetch('/api/v1/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ user: `analyst-${nation.toLowerCase()}`, password: 'demo' }),
      cache: 'no-store',
    });
    if (res.ok) {
      const b = await res.json();
      sessions.set(nation, { token: b.token, expiresAt: Date.now() + b.expires_in_s * 1000 });
      window.biac.session = { nation, user: b.user, expires: b.expires };
      return b.token;
    }
  } catch {
    // fall through to the demo token
  }
  return demoToken(nation);
}

// ---- symbols -----------------------------------------------------------------------------------

// MIL-STD-2525C letter SIDC from domain + affiliation.
const AFF_CODE = { friend: 'F', assumedfriend: 'A', neutral: 'N', unknown: 'U', pending: 'P', suspect: 'S', hostile: 'H' };
const DIM_CODE = { surface: 'S', air: 'A', ground: 'G', unknown: 'Z' };
function sidcFor(domain, affiliation) {
  const a = AFF_CODE[affiliation] || 'U';
  const d = DIM_CODE[domain] || 'Z';
  const fn = d === 'G' ? 'U-----' : '------';
  return `S${a}${d}P${fn}-----`;
}
const iconKey = (domain, affiliation) =>
  `trk-${DIM_CODE[domain] ? domain : 'unknown'}-${AFF_CODE[affiliation] ? affiliation : 'unknown'}`;

// Render a symbol to a canvas whose centre is the symbol's anchor (MapLibre centres icons).
function symbolCanvas(domain, affiliation, size, ratio) {
  const sym = new ms.Symbol(sidcFor(domain, affiliation), { size: size * ratio, fill: true, frame: true });
  const src = sym.asCanvas();
  const anchor = sym.getAnchor();
  const w = Math.ceil(2 * Math.max(anchor.x, src.width - anchor.x));
  const h = Math.ceil(2 * Math.max(anchor.y, src.height - anchor.y));
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  c.getContext('2d').drawImage(src, Math.round(w / 2 - anchor.x), Math.round(h / 2 - anchor.y));
  return c;
}

function registerIcons(map) {
  const ratio = Math.max(1, Math.round(window.devicePixelRatio || 1));
  for (const d of DOMAINS) {
    for (const a of AFFILIATIONS) {
      const key = iconKey(d, a);
      if (map.hasImage(key)) continue;
      const c = symbolCanvas(d, a, 16, ratio);
      const img = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      map.addImage(key, img, { pixelRatio: ratio });
    }
  }
}

function symbolDataUrl(domain, affiliation, size) {
  return symbolCanvas(domain, affiliation, size, 1).toDataURL();
}

// ---- map ---------------------------------------------------------------------------------------

const abs = (p) => new URL(p, document.baseURI).href; // worker fetches need absolute URLs
const empty = () => ({ type: 'FeatureCollection', features: [] });

function graticule(step) {
  const features = [];
  for (let lon = 100; lon <= 160; lon += step) {
    features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: [[lon, 0], [lon, 55]] } });
  }
  for (let lat = 0; lat <= 55; lat += step) {
    const coords = [];
    for (let lon = 100; lon <= 160; lon += 1) coords.push([lon, lat]);
    features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: coords } });
  }
  return { type: 'FeatureCollection', features };
}

const style = {
  version: 8,
  name: 'biac-offline',
  sources: {
    land: { type: 'geojson', data: abs('vendor/basemap/land.geojson'), attribution: 'Basemap: Natural Earth 1:10m (public domain) via world-atlas' },
    borders: { type: 'geojson', data: abs('vendor/basemap/borders.geojson') },
    graticule: { type: 'geojson', data: graticule(5) },
    zones: { type: 'geojson', data: empty() },
    trails: { type: 'geojson', data: empty() },
    leaders: { type: 'geojson', data: empty() },
    alerts: { type: 'geojson', data: empty() },
    tracks: { type: 'geojson', data: empty() },
  },
  layers: [
    { id: 'sea', type: 'background', paint: { 'background-color': '#0b1a2e' } },
    { id: 'graticule', type: 'line', source: 'graticule', paint: { 'line-color': '#1d3350', 'line-width': 0.7 } },
    { id: 'land', type: 'fill', source: 'land', paint: { 'fill-color': '#3b4048', 'fill-outline-color': '#5d6673' } },
    { id: 'coast', type: 'line', source: 'land', paint: { 'line-color': '#6b7583', 'line-width': 0.6 } },
    { id: 'borders', type: 'line', source: 'borders', paint: { 'line-color': '#8a7f9a', 'line-width': 0.8, 'line-dasharray': [3, 2] } },
    { id: 'zones-fill', type: 'fill', source: 'zones', paint: { 'fill-color': '#f0b429', 'fill-opacity': 0.06 } },
    { id: 'zones-line', type: 'line', source: 'zones', paint: { 'line-color': '#f0b429', 'line-width': 1.2, 'line-opacity': 0.8, 'line-dasharray': [4, 3] } },
    { id: 'trails', type: 'line', source: 'trails', paint: { 'line-color': ['get', 'color'], 'line-width': 1.2, 'line-opacity': 0.45 } },
    { id: 'leaders', type: 'line', source: 'leaders', paint: { 'line-color': ['get', 'color'], 'line-width': 1.2, 'line-opacity': 0.85 } },
    { id: 'alert-points', type: 'circle', source: 'alerts', paint: { 'circle-radius': 14, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#ff4d4d', 'circle-stroke-width': 2 } },
    {
      id: 'selected', type: 'circle', source: 'tracks', filter: ['==', ['get', 'id'], ''],
      paint: { 'circle-radius': 17, 'circle-color': 'rgba(255,255,255,0.08)', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 },
    },
    {
      id: 'tracks', type: 'symbol', source: 'tracks',
      layout: { 'icon-image': ['get', 'icon'], 'icon-allow-overlap': true, 'icon-ignore-placement': true, 'icon-size': 1 },
    },
  ],
};

const map = new maplibregl.Map({
  container: 'map',
  style,
  center: [126, 26.5],
  zoom: 5.3,
  minZoom: 3,
  maxZoom: 14,
  maxBounds: [[95, -5], [165, 55]],
  attributionControl: { compact: false },
  dragRotate: false,
  pitchWithRotate: false,
});
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-left');
map.addControl(new maplibregl.ScaleControl({ unit: 'nautical', maxWidth: 120 }), 'bottom-left');

window.biac = { map, lastCount: 0, nation: state.nation, renders: 0, refresh: () => loadTracks() };

// ---- helpers -----------------------------------------------------------------------------------

const AFF_COLOR = {
  friend: '#80e0ff', assumedfriend: '#80e0ff', neutral: '#aaffaa', unknown: '#ffff80',
  pending: '#ffff80', suspect: '#ff8080', hostile: '#ff8080',
};

function markingClass(marking) {
  const m = String(marking || '').trim().toUpperCase();
  if (m.startsWith('TOP SECRET')) return 'banner-top-secret';
  if (m.startsWith('SECRET')) return 'banner-secret';
  if (m.startsWith('CONFIDENTIAL')) return 'banner-confidential';
  if (m.startsWith('UNCLASSIFIED')) return 'banner-unclassified';
  return 'banner-none';
}

function setBanner(text, cls) {
  for (const [bid, tid] of [['banner-top', 'marking'], ['banner-bottom', 'marking-bottom']]) {
    $(bid).className = `banner ${cls}`;
    $(tid).textContent = text;
  }
  document.body.dataset.marking = text;
}

function setLink(text, cls) {
  const el = $('link');
  el.textContent = text;
  el.className = `chip ${cls}`;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return e;
}

async function api(path, gen, retried = false) {
  const nation = state.nation;
  const tok = await token(nation);
  if (gen !== state.generation) throw new DOMException('stale', 'AbortError');
  const res = await fetch(path, {
    headers: { Authorization: `Bearer ${tok}`, Accept: 'application/json' },
    cache: 'no-store',
    signal: state.abort.signal,
  });
  if (gen !== state.generation) throw new DOMException('stale', 'AbortError');
  // A session ends early when the server restarts: log in again, once.
  if (res.status === 401 && !retried && sessions.get(nation)?.token === tok) {
    sessions.delete(nation);
    return api(path, gen, true);
  }
  if (res.status === 401 || res.status === 403) {
    const err = new Error(`not authorized (${res.status})`);
    err.auth = true;
    throw err;
  }
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  const body = await res.json();
  if (gen !== state.generation) throw new DOMException('stale', 'AbortError');
  return body;
}

// Point `dist` metres from [lon, lat] along `bearing` degrees (spherical, good enough for leaders).
function destination([lon, lat], bearing, dist) {
  const R = 6371008.8;
  const d = dist / R;
  const b = (bearing * Math.PI) / 180;
  const p1 = (lat * Math.PI) / 180;
  const l1 = (lon * Math.PI) / 180;
  const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
  const l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
  return [(l2 * 180) / Math.PI, (p2 * 180) / Math.PI];
}

function trackTitle(p) {
  return p.callsign || p.name || (p.mmsi != null ? `MMSI ${p.mmsi}` : null) || (p.icao != null ? `ICAO ${p.icao}` : null) || `Track ${String(p.id).slice(0, 8)}`;
}

const fmt = (v, digits, unit) => (typeof v === 'number' && Number.isFinite(v) ? `${v.toFixed(digits)}${unit}` : '—');

function fmtLatLon([lon, lat]) {
  const f = (v, pos, neg) => {
    const a = Math.abs(v);
    const d = Math.floor(a);
    const m = (a - d) * 60;
    return `${String(d).padStart(pos === 'E' ? 3 : 2, '0')}°${m.toFixed(2).padStart(5, '0')}′${v >= 0 ? pos : neg}`;
  };
  return `${f(lat, 'N', 'S')} ${f(lon, 'E', 'W')}`;
}

// ---- rendering ---------------------------------------------------------------------------------

function renderTracks(fc) {
  const features = Array.isArray(fc.features) ? fc.features : [];
  const seen = new Set();
  const out = [];
  const trails = [];
  const leaders = [];
  const byDomain = Object.fromEntries(DOMAINS.map((d) => [d, 0]));
  const byAff = {};
  state.tracks.clear();

  for (const f of features) {
    if (!f || !f.geometry || f.geometry.type !== 'Point') continue;
    const p = f.properties || {};
    const id = String(p.id ?? f.id ?? '');
    const pos = f.geometry.coordinates;
    const domain = DIM_CODE[p.domain] ? p.domain : 'unknown';
    const aff = AFF_CODE[p.affiliation] ? p.affiliation : 'unknown';
    const color = AFF_COLOR[aff];
    seen.add(id);
    state.tracks.set(id, f);
    byDomain[domain] += 1;
    byAff[aff] = (byAff[aff] || 0) + 1;

    out.push({ type: 'Feature', geometry: f.geometry, properties: { id, icon: iconKey(domain, aff), domain, affiliation: aff } });

    const trail = state.trails.get(id) || [];
    const last = trail[trail.length - 1];
    if (!last || last[0] !== pos[0] || last[1] !== pos[1]) trail.push([pos[0], pos[1]]);
    while (trail.length > TRAIL_POINTS) trail.shift();
    state.trails.set(id, trail);
    if (trail.length > 1) trails.push({ type: 'Feature', properties: { color }, geometry: { type: 'LineString', coordinates: trail } });

    if (typeof p.speed_mps === 'number' && typeof p.course_deg === 'number' && p.speed_mps > 0.5) {
      leaders.push({
        type: 'Feature', properties: { color },
        geometry: { type: 'LineString', coordinates: [pos, destination(pos, p.course_deg, p.speed_mps * LEADER_SECONDS)] },
      });
    }
  }
  for (const id of [...state.trails.keys()]) if (!seen.has(id)) state.trails.delete(id);

  map.getSource('tracks').setData({ type: 'FeatureCollection', features: out });
  map.getSource('trails').setData({ type: 'FeatureCollection', features: trails });
  map.getSource('leaders').setData({ type: 'FeatureCollection', features: leaders });

  // banner: the marking of the whole view, as computed by the server
  const marking = fc.marking || (out.length === 0 ? 'UNCLASSIFIED' : 'MARKING MISSING');
  setBanner(marking, markingClass(marking));
  const aud = fc.audience || {};
  $('clearance').textContent = aud.nation ? `${aud.nation} · ${aud.clearance || '?'}` : state.nation;

  // counts
  $('count-total').textContent = String(out.length);
  const tbody = $('count-domain').querySelector('tbody');
  tbody.replaceChildren(
    ...DOMAINS.map((d) => el('tr', {}, el('td', {}, d[0].toUpperCase() + d.slice(1)), el('td', { class: 'num' }, byDomain[d]))),
    el('tr', {}, el('td', { colspan: '2', class: 'empty' },
      AFFILIATIONS.filter((a) => byAff[a]).map((a) => `${a} ${byAff[a]}`).join(' · ') || 'no tracks')),
  );
  $('updated').textContent = new Date().toISOString().slice(11, 19) + 'Z';

  if (state.hovered && !state.tracks.has(state.hovered)) hideHover();
  else if (state.hovered) showHover(state.hovered); // content and position from this render
  if (state.selected && !state.tracks.has(state.selected)) select(null);
  else if (state.selected) renderDetail();

  state.lastCount = out.length;
  state.renders += 1;
  window.biac.lastCount = out.length;
  window.biac.nation = state.nation;
  window.biac.renders = state.renders;
  document.body.dataset.nation = state.nation;
  document.body.dataset.trackCount = String(out.length);
}

function renderDetail() {
  const box = $('detail');
  const f = state.selected && state.tracks.get(state.selected);
  $('detail-close').hidden = !f;
  map.setFilter('selected', ['==', ['get', 'id'], f ? state.selected : '']);
  if (!f) {
    box.className = 'detail empty';
    box.replaceChildren('Click a track symbol on the map.');
    return;
  }
  const p = f.properties || {};
  const label = p.label || {};
  const domain = DIM_CODE[p.domain] ? p.domain : 'unknown';
  const aff = AFF_CODE[p.affiliation] ? p.affiliation : 'unknown';
  const rows = [
    ['Identity', `${aff} · ${domain}`],
    ['Track id', p.id],
    ['Status', p.status ?? '—'],
    ['Position', fmtLatLon(f.geometry.coordinates)],
    ['Speed', typeof p.speed_mps === 'number' ? `${(p.speed_mps * 1.943844).toFixed(1)} kn (${p.speed_mps.toFixed(1)} m/s)` : '—'],
    ['Course', fmt(p.course_deg, 0, '°')],
    ['σ (1-sigma)', fmt(p.sigma_m, 0, ' m')],
    ['Sources', Array.isArray(p.sources) && p.sources.length ? p.sources.join(', ') : '—'],
    ['Owner', Array.isArray(label.owner) ? label.owner.join(', ') : '—'],
    ['REL TO', Array.isArray(label.rel_to) ? label.rel_to.join(', ') : '—'],
    ['Time', p.time ?? '—'],
  ];
  for (const k of ['mmsi', 'icao', 'callsign', 'name']) if (p[k] != null && p[k] !== '') rows.splice(2, 0, [k.toUpperCase() === 'NAME' ? 'Name' : k.toUpperCase(), p[k]]);

  const img = el('img', { src: symbolDataUrl(domain, aff, 26), alt: `${aff} ${domain}` });
  const dl = el('dl');
  for (const [k, v] of rows) dl.append(el('dt', {}, k), el('dd', {}, v));
  box.className = 'detail';
  box.replaceChildren(
    el('div', { class: `marking-line ${markingClass(p.marking)}` }, p.marking || 'MARKING MISSING'),
    el('div', { class: 'symbol-row' }, img, el('span', { class: 'title' }, trackTitle(p))),
    dl,
  );
}

function select(id) {
  state.selected = id;
  renderDetail();
}

function renderFeeds(body) {
  const tbody = $('feeds').querySelector('tbody');
  const feeds = Array.isArray(body.feeds) ? body.feeds : [];
  if (feeds.length === 0) {
    tbody.replaceChildren(el('tr', {}, el('td', { colspan: '4', class: 'empty' }, 'No feeds visible.')));
    return;
  }
  tbody.replaceChildren(...feeds.map((f) => {
    const name = el('td', {}, el('div', { class: 'feed-name', title: f.description || '' }, f.name),
      el('div', { class: 'feed-mark' }, `${f.format || ''}${f.marking ? ' · ' + f.marking : ''}`));
    if (f.last_error) name.append(el('div', { class: 'feed-err' }, f.last_error));
    return el('tr', {}, name, el('td', {}, f.nation || ''),
      el('td', { class: 'num' }, f.accepted ?? 0),
      el('td', { class: `num${f.rejected ? ' rej' : ''}` }, f.rejected ?? 0));
  }));
}

function renderAlerts(body) {
  const alerts = Array.isArray(body.alerts) ? body.alerts : [];
  $('alert-count').textContent = String(alerts.length);
  const list = $('alerts');
  if (alerts.length === 0) list.replaceChildren(el('li', { class: 'empty' }, 'No alerts.'));
  else {
    const recent = alerts.slice(-50).reverse();
    list.replaceChildren(...recent.map((a) => el('li', {},
      el('div', {}, el('span', { class: 'alert-kind' }, a.kind || 'alert'), ' ', el('span', { class: 'alert-time' }, String(a.time || '').slice(11, 19) + 'Z')),
      el('div', {}, a.message || ''),
      el('div', { class: 'alert-mark' }, [a.zone, a.marking].filter(Boolean).join(' · ')))));
  }
  const pts = alerts.filter((a) => typeof a.lat === 'number' && typeof a.lon === 'number').slice(-50)
    .map((a) => ({ type: 'Feature', properties: { kind: a.kind || '' }, geometry: { type: 'Point', coordinates: [a.lon, a.lat] } }));
  map.getSource('alerts').setData({ type: 'FeatureCollection', features: pts });
}

function renderLegend() {
  const legend = $('legend');
  legend.replaceChildren(...[['friend', 'Friend'], ['hostile', 'Hostile'], ['neutral', 'Neutral'], ['unknown', 'Unknown']]
    .map(([a, t]) => el('span', {}, el('img', { src: symbolDataUrl('surface', a, 14), alt: '' }), t)));
}

// ---- polling -----------------------------------------------------------------------------------

const timers = { tracks: null, side: null, zones: null };

function handleError(e) {
  if (e && e.name === 'AbortError') return;
  if (e && e.auth) {
    setLink('UNAUTHORIZED', 'chip-bad');
    setBanner('NOT AUTHORIZED', 'banner-error');
  } else {
    setLink('LINK LOST', 'chip-bad');
  }
  console.warn('biac:', e && e.message ? e.message : e);
}

async function pollTracks() {
  const gen = state.generation;
  clearTimeout(timers.tracks);
  try {
    const fc = await api('/api/v1/tracks', gen);
    renderTracks(fc);
    setLink('LIVE', 'chip-ok');
  } catch (e) {
    handleError(e);
  } finally {
    if (gen === state.generation) timers.tracks = setTimeout(pollTracks, POLL_TRACKS_MS);
  }
}

async function pollSide() {
  const gen = state.generation;
  clearTimeout(timers.side);
  await Promise.all([
    api('/api/v1/feeds', gen).then(renderFeeds, handleError),
    api('/api/v1/alerts', gen).then(renderAlerts, handleError),
  ]);
  if (gen === state.generation) timers.side = setTimeout(pollSide, POLL_SIDE_MS);
}

async function pollZones() {
  const gen = state.generation;
  clearTimeout(timers.zones);
  try {
    const fc = await api('/api/v1/zones', gen);
    map.getSource('zones').setData(fc && Array.isArray(fc.features) ? fc : empty());
  } catch (e) {
    handleError(e);
  } finally {
    if (gen === state.generation) timers.zones = setTimeout(pollZones, POLL_ZONES_MS);
  }
}

// ---- live tracks: one GET for the first paint, then the WebSocket; polling if it fails -----------
//
// /api/v1/ws sends a snapshot and then per picture generation the features that changed and the
// ids that went away, diffed against what this page was last sent. Browsers cannot set headers on
// a WebSocket, so the token goes in the query (?token=). Updates are coalesced into at most one
// render per RENDER_EVERY_MS. A socket that never delivers (refused, or no WebSocket on the path)
// leaves the page polling /api/v1/tracks as before; one that drops after delivering reconnects.

const RENDER_EVERY_MS = 500;
const RECONNECT_MS = 2000;
const live = { ws: null, view: new Map(), meta: {}, renderTimer: null };

function stopLive() {
  clearTimeout(live.renderTimer);
  live.renderTimer = null;
  const ws = live.ws;
  live.ws = null;
  if (ws) ws.close();
  live.view.clear();
}

function renderLive() {
  live.renderTimer = null;
  renderTracks({ type: 'FeatureCollection', ...live.meta, features: [...live.view.values()] });
  setLink('LIVE', 'chip-ok');
}

async function connectLive(gen) {
  if (gen !== state.generation) return;
  if (typeof WebSocket !== 'function') { pollTracks(); return; }
  const url = new URL('/api/v1/ws', document.baseURI);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  // A short-lived session token: the query string can end up in proxy logs.
  const tok = await token(state.nation);
  if (gen !== state.generation) return;
  url.searchParams.set('token', tok);
  let ws;
  try {
    ws = new WebSocket(url.href);
  } catch {
    pollTracks();
    return;
  }
  let received = false;
  live.ws = ws;
  ws.onmessage = (ev) => {
    if (gen !== state.generation || live.ws !== ws) return;
    let m;
    try { m = JSON.parse(ev.data); } catch { return; }
    if (m.type === 'snapshot') {
      live.view.clear();
      for (const f of m.features || []) live.view.set(String(f.id), f);
    } else if (m.type === 'update') {
      for (const id of m.deletes || []) live.view.delete(String(id));
      for (const f of m.upserts || []) live.view.set(String(f.id), f);
    } else return;
    received = true;
    live.meta = { marking: m.marking, audience: m.audience };
    if (!live.renderTimer) live.renderTimer = setTimeout(renderLive, m.type === 'snapshot' ? 0 : RENDER_EVERY_MS);
  };
  ws.onclose = () => {
    if (live.ws !== ws) return;
    live.ws = null;
    if (gen !== state.generation) return;
    if (received) {
      setLink('RECONNECTING', 'chip-wait');
      timers.tracks = setTimeout(() => connectLive(gen), RECONNECT_MS);
    } else {
      pollTracks();
    }
  };
}

async function loadTracks() {
  const gen = state.generation;
  try {
    renderTracks(await api('/api/v1/tracks', gen));
    setLink('LIVE', 'chip-ok');
  } catch (e) {
    handleError(e);
  }
  return gen;
}

function startPolling() {
  loadTracks().then(connectLive);
  pollSide();
  pollZones();
}

function switchNation(nation) {
  state.abort.abort();
  state.abort = new AbortController();
  state.generation += 1;
  for (const t of Object.values(timers)) clearTimeout(t);
  stopLive();
  state.nation = nation;
  window.biac.nation = nation;
  state.tracks.clear();
  state.trails.clear();
  state.selected = null;
  hideHover();
  const url = new URL(location.href);
  url.searchParams.set('nation', nation);
  history.replaceState(null, '', url);
  setLink('CONNECTING', 'chip-wait');
  setBanner('LOADING', 'banner-none');
  document.body.dataset.nation = '';
  for (const s of ['tracks', 'trails', 'leaders', 'alerts', 'zones']) map.getSource(s).setData(empty());
  // nothing of the previous audience's view may stay on screen
  renderDetail();
  renderFeeds({ feeds: [] });
  renderAlerts({ alerts: [] });
  $('clearance').textContent = nation;
  $('count-total').textContent = '0';
  $('count-domain').querySelector('tbody').replaceChildren();
  startPolling();
}

// ---- UI wiring ---------------------------------------------------------------------------------

$('nation').value = state.nation;
$('nation').addEventListener('change', (e) => switchNation(e.target.value));
$('detail-close').addEventListener('click', () => select(null));

setInterval(() => { $('clock').textContent = new Date().toISOString().slice(11, 19) + 'Z'; }, 1000);

const hover = new maplibregl.Popup({ closeButton: false, closeOnClick: false, offset: 14 });
function hideHover() {
  state.hovered = null;
  hover.remove();
}

map.on('load', () => {
  registerIcons(map);
  renderLegend();
  startPolling();
});
map.on('styleimagemissing', (e) => {
  // a key we did not pre-register (should not happen): fall back to the unknown/unknown symbol
  const c = symbolCanvas('unknown', 'unknown', 18, 1);
  if (!map.hasImage(e.id)) map.addImage(e.id, c.getContext('2d').getImageData(0, 0, c.width, c.height));
});
map.on('click', 'tracks', (e) => {
  const f = e.features && e.features[0];
  if (f) select(String(f.properties.id));
});
map.on('click', (e) => {
  const hit = map.queryRenderedFeatures(e.point, { layers: ['tracks'] });
  if (hit.length === 0) select(null);
});
map.on('mouseenter', 'tracks', () => { map.getCanvas().style.cursor = 'pointer'; });
map.on('mouseleave', 'tracks', () => { map.getCanvas().style.cursor = ''; hideHover(); });
map.on('mousemove', 'tracks', (e) => {
  const f = e.features && e.features[0];
  if (f) showHover(String(f.properties.id));
});
function showHover(id) {
  const t = state.tracks.get(id);
  if (!t) { hideHover(); return; }
  state.hovered = id;
  const p = t.properties || {};
  const node = el('div', {}, el('div', { style: 'font-weight:700' }, trackTitle(p)),
    el('div', {}, `${p.affiliation || 'unknown'} ${p.domain || ''} · ${fmt(p.speed_mps * 1.943844, 0, ' kn')} · ${fmt(p.course_deg, 0, '°')}`),
    el('div', { style: 'color:#8193aa' }, p.marking || ''));
  hover.setLngLat(t.geometry.coordinates).setDOMContent(node).addTo(map);
}
map.on('mousemove', (e) => { $('cursor').textContent = fmtLatLon([e.lngLat.lng, e.lngLat.lat]); });
