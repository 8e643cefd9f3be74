// biac web COP: an offline MapLibre map of the tracks released to one audience.
//
// Everything is served by the biac binary from 127.0.0.1; nothing here reaches another host.
// The page never filters for release or redacts: what it shows is exactly what the server
// released to the selected nation's demo analyst. This module wires the others together:
//   cop/session.js     the one login per nation, every API call, the WebSocket's credential
//   cop/connection.js  live picture (GET, WebSocket diffs, polling), link health and staleness
//   cop/layers.js      the map, its offline style and every layer
//   cop/symbols.js     2525C symbols → the map's runtime image atlas
//   cop/picture.js     tracks → layer data (filters applied), trails
//   cop/filters.js     filters and layer toggles kept in the URL
//   cop/table.js       search and the track table
//   cop/replay.js      history replay with a time slider
//   cop/alerts.js      alerts panel, cue, acknowledgement, rings
//   cop/detail.js      the selected track's card
//   cop/tools.js       clock/DTG, coordinate formats, range & bearing, CPA
//   cop/zones.js       zones with names and provenance;  cop/missile.js  missile warnings
//   cop/maritime.js    maritime zones (territorial sea, contiguous zone, EEZ), approximate
import { $, el, on, fmtAge, markingClass } from './cop/dom.js';
import { info as sessionInfo, api } from './cop/session.js';
import { createMap, applyToggles, setStale, setData, empty, maplibregl } from './cop/layers.js';
import { drawPicture, resetHeld, Trails, trackTitle } from './cop/picture.js';
import { filters, setHidden, setLayer, layerOn, LAYER_TOGGLES, classificationOf, statusOf } from './cop/filters.js';
import { DOMAINS, AFFILIATIONS, symbolDataUrl, sidcOf } from './cop/symbols.js';
import { Live } from './cop/connection.js';
import { Alerts } from './cop/alerts.js';
import { Detail } from './cop/detail.js';
import { Table } from './cop/table.js';
import { Replay } from './cop/replay.js';
import { Tools } from './cop/tools.js';
import { Zones } from './cop/zones.js';
import { Maritime } from './cop/maritime.js';
import { Missiles } from './cop/missile.js';
import { fmtCoord } from './cop/geo.js';

const NATIONS = ['JPN', 'USA', 'AUS', 'KOR', 'PHL'];
const SIDE_MS = 5000;
const ZONES_MS = 30000;
const MARITIME_MS = 600000; // computed once at the server's start; changes only with its config
const RENDER_EVERY_MS = 400;
const params = new URLSearchParams(location.search);
const wanted = (params.get('nation') || '').toUpperCase();

const state = {
  nation: NATIONS.includes(wanted) ? wanted : 'JPN',
  generation: 0, // bumped on nation change; answers of older generations are dropped
  abort: new AbortController(),
  live: null,
  shown: new Map(), // id -> feature on the map now (live or replay)
  selected: null,
  hovered: null,
  meta: {},
  link: 'connecting',
  renders: 0,
  lastRender: 0,
  renderTimer: null,
  timers: [],
  perf: { samples: [], last: 0 },
};
const trails = new Trails();

const ctx = () => {
  const gen = state.generation;
  return { nation: state.nation, isCurrent: () => gen === state.generation, signal: state.abort.signal };
};

let map;
let alerts;
let detail;
let table;
let replay;
let tools;
let zones;
let maritime;
let missiles;
const hover = new maplibregl.Popup({ closeButton: false, closeOnClick: false, offset: 14 });

window.biac = {
  get map() { return map; },
  nation: state.nation,
  lastCount: 0,
  renders: 0,
  session: null,
  logins: () => sessionInfo.logins,
  shown: () => [...state.shown.values()],
  select: (id) => select(id, { fly: true }),
  get replay() { return replay; },
  perf: state.perf,
  refresh: () => state.live && state.live.poll(),
};

// ---- banners and link state ----------------------------------------------------------------

function setBanner(text, cls) {
  for (const [bid, tid] of [['banner-top', 'marking'], ['banner-bottom', 'marking-bottom']]) {
    $(bid).className = `banner ${cls}`;
    $(tid).textContent = text;
  }
  document.body.dataset.marking = text;
}

const LINK_TEXT = { live: 'LIVE', connecting: 'CONNECTING', stale: 'LINK LOST', lost: 'NO LINK', unauthorized: 'UNAUTHORIZED', reconnecting: 'RECONNECTING' };
function onLink(s) {
  state.link = s;
  const chip = $('link');
  chip.textContent = LINK_TEXT[s] || s.toUpperCase();
  chip.className = `chip ${s === 'live' ? 'chip-ok' : s === 'connecting' ? 'chip-wait' : 'chip-bad'}`;
  const stale = s === 'stale' || s === 'lost' || s === 'unauthorized';
  document.body.classList.toggle('stale', stale);
  document.body.dataset.link = s;
  const banner = $('stale-banner');
  banner.hidden = !stale;
  if (stale) {
    const last = state.live && state.live.lastData;
    const age = last ? `last update ${fmtAge(Date.now() - last)} ago (${new Date(last).toISOString().slice(11, 19)}Z)` : 'no data received';
    banner.textContent = s === 'unauthorized' ? 'NOT AUTHORIZED — the server refused this session; the picture is not current'
      : `LINK LOST — PICTURE IS STALE — ${age}`;
    if (s === 'unauthorized') setBanner('NOT AUTHORIZED', 'banner-error');
  }
  if (map && map.getLayer('tracks')) setStale(map, stale);
}

// ---- rendering -----------------------------------------------------------------------------

function scheduleRender() {
  if (state.renderTimer) return;
  const wait = Math.max(0, RENDER_EVERY_MS - (performance.now() - state.lastRender));
  state.renderTimer = setTimeout(() => { state.renderTimer = null; renderLive(); }, wait);
}

/** Draw the live picture: what changed since the last render, or all of it (`all`). */
function renderLive(all = false) {
  if (replay && replay.active) return;
  const live = state.live;
  if (!live) return;
  const t0 = performance.now();
  const { full, changed } = live.takeChanges();
  const whole = all || full || state.fullNext;
  state.fullNext = false;
  if (layerOn('trails')) {
    for (const id of whole ? live.view.keys() : changed) {
      const f = live.view.get(id);
      if (!f) continue;
      const c = f.geometry.coordinates;
      // parsed once per received feature (an update replaces the object)
      if (f.t === undefined) f.t = Date.parse(f.properties.time);
      trails.add(f.properties.id, c[0], c[1], f.t);
    }
  }
  if (trails.pos.size > live.view.size * 1.5 + 100) trails.prune(new Set(live.view.keys()));
  render(live.view, whole ? null : changed, trails, live.meta);
  recordPerf(performance.now() - t0, live.view.size, whole ? live.view.size : changed.size);
}

function recordPerf(ms, n, changed = n) {
  state.perf.last = ms;
  state.perf.samples.push({ ms, n, changed });
  if (state.perf.samples.length > 500) state.perf.samples.shift();
}

/**
 * Render the picture `view` (id -> feature): `changed` names the ids that changed since the
 * last render of the same view (null: all of it).
 */
function render(view, changed, trailSource, meta) {
  state.lastRender = performance.now();
  state.shown = view;
  const counts = drawPicture(map, view, { changed, alerted: alerts.alertedIds(), trails: trailSource });
  alerts.drawRings(view);
  missiles.update(view, changed);
  state.meta = meta || {};
  const total = view.size;

  const marking = state.meta.marking || (total === 0 ? 'UNCLASSIFIED' : 'MARKING MISSING');
  if (state.link !== 'unauthorized') setBanner(marking, markingClass(marking));
  const aud = state.meta.audience || {};
  $('clearance').textContent = aud.nation ? `${aud.nation} · ${aud.clearance || '?'}` : state.nation;
  $('count-total').textContent = String(total);
  $('count-shown').textContent = counts.drawn === total ? '' : `${counts.drawn} shown after filters`;
  $('count-domain').querySelector('tbody').replaceChildren(
    ...DOMAINS.map((d) => el('tr', {}, el('td', {}, d === 'unknown' ? 'Domain unknown' : d[0].toUpperCase() + d.slice(1)), el('td', { class: 'num' }, counts.byDomain[d]))));
  // identities on their own line, named as such: "unknown" here is an affiliation
  $('count-aff').textContent = 'Identity: ' + AFFILIATIONS.filter((a) => counts.byAff[a]).map((a) => `${a} ${counts.byAff[a]}`).join(' · ') || 'no tracks';
  $('updated').textContent = `${new Date().toISOString().slice(11, 19)}Z`;
  refreshFilterValues(view, changed);
  table.update(view, state.selected, pictureNow());

  if (state.hovered) showHover(state.hovered);
  renderSelection();
  if (tools.points.length) tools.draw();

  state.renders += 1;
  window.biac.lastCount = total;
  window.biac.nation = state.nation;
  window.biac.renders = state.renders;
  window.biac.session = sessionInfo.byNation.get(state.nation) || null;
  document.body.dataset.nation = state.nation;
  document.body.dataset.trackCount = String(total);
  document.body.dataset.shownCount = String(counts.drawn);
}

/** The time the picture on screen is of: now, or the replay's time. */
const pictureNow = () => (replay && replay.active ? replay.t : Date.now());

function renderSelection() {
  const f = state.selected && state.shown.get(state.selected);
  detail.render(f || null, { stale: document.body.classList.contains('stale'), now: pictureNow() });
}

function select(id, { fly = false, at = null } = {}) {
  state.selected = id || null;
  document.body.dataset.selected = state.selected || '';
  const f = id && state.shown.get(id);
  if (fly) {
    const c = f ? f.geometry.coordinates : at;
    if (c && Number.isFinite(c[0])) map.flyTo({ center: [c[0], c[1]], zoom: Math.max(map.getZoom(), 8), duration: 800 });
  }
  renderSelection();
  table.update(state.shown, state.selected, pictureNow(), true);
  if (id) detail.select(id).then(() => { if (state.selected === id) renderSelection(); });
}

// ---- filters panel -------------------------------------------------------------------------

const seenValues = { status: new Set(), cls: new Set(), feed: new Set(), owner: new Set() };
let filterKey = '';
function refreshFilterValues(view, changed) {
  let grew = false;
  const add = (set, v) => { if (!set.has(v)) { set.add(v); grew = true; } };
  for (const id of changed || view.keys()) {
    const f = view.get(id);
    if (!f) continue;
    const p = f.properties;
    add(seenValues.status, statusOf(p));
    add(seenValues.cls, classificationOf(p));
    for (const s of p.sources || []) add(seenValues.feed, s);
    for (const o of p.label?.owner || []) add(seenValues.owner, o);
  }
  if (!grew) return;
  const key = Object.values(seenValues).map((s) => [...s].sort().join(',')).join('|');
  if (key !== filterKey) { filterKey = key; buildFilters(); }
}

function checkGroup(title, kind, values, labelOf = (v) => v) {
  return el('fieldset', { class: 'filter-group' }, el('legend', {}, title), ...values.map((v) => el('label', { class: 'check' },
    el('input', {
      type: 'checkbox', 'data-filter': `${kind}:${v}`, checked: !filters.hidden[kind].has(v),
      onchange: (e) => setHidden(kind, v, !e.target.checked),
    }), labelOf(v))));
}

function buildFilters() {
  const sorted = (s) => [...s].sort();
  $('filters').replaceChildren(
    checkGroup('Domain', 'domain', DOMAINS),
    checkGroup('Affiliation', 'aff', AFFILIATIONS, (a) => el('span', {}, el('img', { src: symbolDataUrl(sidcOf({ domain: 'surface', affiliation: a }).sidc, 12), alt: '' }), a)),
    checkGroup('Status', 'status', sorted(seenValues.status)),
    checkGroup('Classification', 'cls', sorted(seenValues.cls)),
    checkGroup('Feed', 'feed', sorted(seenValues.feed)),
    checkGroup('Owner nation', 'owner', sorted(seenValues.owner)),
    el('fieldset', { class: 'filter-group' }, el('legend', {}, 'Layers'), ...LAYER_TOGGLES.map(([id, t]) => el('label', { class: 'check' },
      el('input', { type: 'checkbox', 'data-layer': id, checked: layerOn(id), onchange: (e) => setLayer(id, e.target.checked) }), t))),
  );
}

const rerender = () => {
  if (replay.active) replay.seek(replay.t);
  else renderLive(true);
};
on('filters', rerender);
on('layers', () => { applyToggles(map); rerender(); });
on('search', () => table.update(state.shown, state.selected, pictureNow(), true));
on('select', (id, opts) => select(id, opts));
on('alerts-changed', rerender);
on('replay-view', (features, replayTrails, t) => {
  render(new Map(features.map((f) => [f.properties.id, f])), null, replayTrails, { ...state.meta });
  document.body.dataset.replayTime = String(t);
});
on('replay-exit', () => { delete document.body.dataset.replayTime; renderLive(true); });

// ---- side panels: feeds, alerts, zones -------------------------------------------------------

function renderFeeds(body) {
  const tbody = $('feeds').querySelector('tbody');
  const feeds = Array.isArray(body?.feeds) ? body.feeds : [];
  if (feeds.length === 0) {
    tbody.replaceChildren(el('tr', {}, el('td', { colspan: '4', class: 'empty' }, 'No feeds visible.')));
    return;
  }
  tbody.replaceChildren(...feeds.map((f) => {
    const name = el('td', {}, el('div', { class: 'feed-name', title: f.description || '' }, f.name),
      el('div', { class: 'feed-mark' }, `${f.format || ''}${f.marking ? ` · ${f.marking}` : ''}`));
    if (f.last_error) name.append(el('div', { class: 'feed-err' }, f.last_error));
    return el('tr', {}, name, el('td', {}, f.nation || ''), el('td', { class: 'num' }, f.accepted ?? 0),
      el('td', { class: `num${f.rejected ? ' rej' : ''}` }, f.rejected ?? 0));
  }));
}

function every(ms, fn) {
  const c = ctx();
  const run = async () => {
    if (!c.isCurrent()) return;
    try { await fn(c); } catch (e) { if (e.name !== 'AbortError' && e.auth) onLink('unauthorized'); }
    if (c.isCurrent()) state.timers.push(setTimeout(run, ms));
  };
  run();
}

async function seedTrails(c) {
  // trails from the server's history: they survive a reload or a nation switch
  const from = Date.now() - 10 * 60_000;
  try {
    const fc = await api(`/api/v1/history?from=${from}&limit=50000`, c);
    const rows = (fc.features || []).map((f) => [f.properties.id, f.geometry.coordinates, Date.parse(f.properties.time)]).sort((a, b) => a[2] - b[2]);
    for (const [id, co, t] of rows) trails.add(String(id), co[0], co[1], t);
    state.fullNext = true; // every track's trail changed
    scheduleRender();
  } catch {
    // trails then start from what the page sees
  }
}

// ---- nation: start, switch -------------------------------------------------------------------

function start() {
  const c = ctx();
  // The side panel polls; an alert on the WebSocket fetches the list at once.
  const refreshAlerts = async (cc) => {
    try {
      const al = await api('/api/v1/alerts', cc);
      if (!cc.isCurrent()) return;
      alerts.update(al);
      alerts.drawRings(state.shown);
    } catch (e) {
      if (e?.auth && cc.isCurrent()) onLink('unauthorized');
    }
  };
  state.live = new Live({
    ...c,
    onData: () => scheduleRender(),
    onLink: (s) => { if (c.isCurrent()) onLink(s); },
    onAlerts: () => { if (c.isCurrent()) refreshAlerts(c); },
  });
  state.live.start();
  alerts.ctx = { ...alerts.ctx, ...c };
  detail.ctx = { ...detail.ctx, ...c };
  replay.ctx = { ...replay.ctx, ...c };
  every(SIDE_MS, async (cc) => {
    // a liaison may not monitor feeds: the alerts must not depend on that answer
    const [feeds] = await Promise.allSettled([api('/api/v1/feeds', cc), refreshAlerts(cc)]);
    if (!cc.isCurrent()) return;
    if (feeds.status === 'fulfilled') renderFeeds(feeds.value);
  });
  every(ZONES_MS, async (cc) => zones.update(await api('/api/v1/zones', cc)));
  every(MARITIME_MS, async (cc) => { const fc = await api('/api/v1/zones/maritime', cc); if (cc.isCurrent()) maritime.update(fc); });
  seedTrails(c);
}

function switchNation(nation) {
  state.abort.abort();
  state.abort = new AbortController();
  state.generation += 1;
  for (const t of state.timers) clearTimeout(t);
  state.timers = [];
  clearTimeout(state.renderTimer);
  state.renderTimer = null;
  if (state.live) state.live.close();
  state.live = null;
  if (replay.active) replay.exit();
  state.nation = nation;
  window.biac.nation = nation;
  state.shown = new Map();
  trails.clear();
  state.selected = null;
  hideHover();
  const url = new URL(location.href);
  url.searchParams.set('nation', nation);
  history.replaceState(null, '', url);
  onLink('connecting');
  setBanner('LOADING', 'banner-none');
  document.body.dataset.nation = '';
  // nothing of the previous audience's view may stay on screen
  for (const s of ['tracks', 'trails', 'leaders', 'alerts', 'zones', 'maritime', 'selection', 'missile', 'tool']) setData(map, s, empty());
  resetHeld();
  alerts.seen = null;
  alerts.update({ alerts: [] });
  zones.update(null);
  maritime.update(null);
  missiles.update(new Map());
  renderSelection();
  renderFeeds({ feeds: [] });
  table.update(new Map(), null, Date.now(), true);
  tools.toggle(false);
  $('clearance').textContent = nation;
  $('count-total').textContent = '0';
  start();
}

// ---- map interaction -------------------------------------------------------------------------

function hideHover() {
  state.hovered = null;
  hover.remove();
}
function showHover(id) {
  const t = state.shown.get(id);
  if (!t) { hideHover(); return; }
  state.hovered = id;
  const p = t.properties || {};
  const age = fmtAge(Date.now() - Date.parse(p.time));
  hover.setLngLat(t.geometry.coordinates).setDOMContent(el('div', {}, el('div', { class: 'pop-title' }, trackTitle(p)),
    el('div', {}, `${p.affiliation || 'unknown'} ${p.domain || ''} · ${sidcOf(p).kind}`),
    el('div', {}, `${p.speed_mps != null ? Math.round(p.speed_mps * 1.943844) : '—'} kn · ${p.course_deg != null ? Math.round(p.course_deg) : '—'}° · ${age} old${p.status === 'coasting' ? ' · COASTING' : ''}`),
    el('div', { class: 'pop-mark' }, p.marking || ''))).addTo(map);
}

function trackAt(point) {
  const hit = map.queryRenderedFeatures([[point.x - 6, point.y - 6], [point.x + 6, point.y + 6]], { layers: ['tracks'] });
  return hit.length ? state.shown.get(String(hit[hit.length - 1].properties.id)) || null : null;
}

function wireMap() {
  map.on('click', (e) => {
    if (tools.click(e)) return;
    const z = map.queryRenderedFeatures(e.point, { layers: ['zones-fill'] });
    const m = layerOn('maritime') ? maritime.pick([e.lngLat.lng, e.lngLat.lat]) : null;
    const t = trackAt(e.point);
    if (t) select(t.properties.id);
    else if (z.length) { select(null); zones.show(z[0], false); }
    else if (m) { select(null); maritime.show(m, e.lngLat, false); }
    else select(null);
  });
  map.on('mouseenter', 'tracks', () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', 'tracks', () => { map.getCanvas().style.cursor = ''; hideHover(); });
  map.on('mousemove', 'tracks', (e) => {
    const f = e.features && e.features[e.features.length - 1];
    if (f) showHover(String(f.properties.id));
  });
}

// ---- boot ------------------------------------------------------------------------------------

$('nation').value = state.nation;
$('nation').addEventListener('change', (e) => switchNation(e.target.value));
$('detail-close').addEventListener('click', () => select(null));
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') { select(null); tools.toggle(false); if (maritime) maritime.popup.remove(); }
  if (e.key === '/' && document.activeElement?.tagName !== 'INPUT') { e.preventDefault(); $('search').focus(); }
});

map = createMap('map', {
  onLoad: () => {
    const coordFormat = () => tools.format;
    alerts = new Alerts({ map, onWarnings: (w) => missiles && missiles.setAlertWarnings(w) });
    detail = new Detail({ map, coordFormat });
    table = new Table();
    replay = new Replay({ map });
    tools = new Tools({ map, trackAt, tracks: () => state.shown, onFormat: () => renderSelection() });
    zones = new Zones({ map });
    maritime = new Maritime({ map });
    missiles = new Missiles({ map, coordFormat, onSelect: (id) => select(id, { fly: true }) });
    buildFilters();
    wireMap();
    setInterval(() => { if (state.link !== 'live') onLink(state.link); }, 1000);
    start();
  },
});
window.biac.fmtCoord = fmtCoord;
