// The picture on the map: a list of track features (live or replayed) turned into the
// sources' data, with the filters applied; the counts; trails. Kept lean because it runs on
// every update (the bench measures it at 10,000 tracks).
import { setData } from './layers.js';
import { passes, layerOn } from './filters.js';
import { sidcOf, iconKey, addSymbolImage, domainOf, affOf, AFF_COLOR, DOMAINS, AFFILIATIONS } from './symbols.js';
import { destination } from './geo.js';
import { KN_PER_MPS, FT_PER_M } from './dom.js';

const LEADER_SECONDS = 300; // speed leader: 5 minutes of travel
const PRIORITY = { hostile: 6, suspect: 5, unknown: 3, pending: 3, neutral: 2, assumedfriend: 1, friend: 1 };
export const TRAIL_MS = 10 * 60_000;

export function trackTitle(p) {
  return p.callsign || p.name || (p.mmsi != null ? `MMSI ${p.mmsi}` : null) || (p.icao != null ? `ICAO ${p.icao}` : null)
    || (p.track_number ? `TN ${p.track_number}` : null) || String(p.id);
}

function secondLine(p, coords) {
  const parts = [];
  if (typeof p.speed_mps === 'number') parts.push(`${Math.round(p.speed_mps * KN_PER_MPS)}kn`);
  if (p.domain === 'air' && coords.length > 2 && typeof coords[2] === 'number') parts.push(`FL${String(Math.round((coords[2] * FT_PER_M) / 100)).padStart(3, '0')}`);
  if (p.status === 'coasting') parts.push('CST');
  return parts.join(' ');
}

const iconCache = new Map(); // properties that decide the symbol -> image key
// The atlas entry is added before the data that names it (no `styleimagemissing` round trip).
function iconFor(map, p) {
  const k = `${p.domain}|${p.affiliation}|${p.ship_type}|${p.icao != null}|${p.callsign || ''}`;
  let v = iconCache.get(k);
  if (!v) {
    v = iconKey(sidcOf(p).sidc);
    addSymbolImage(map, v);
    if (iconCache.size > 5000) iconCache.clear();
    iconCache.set(k, v);
  }
  return v;
}

// What each diffed source holds now, by id (to send MapLibre only what changed), and the
// counts of what is drawn: kept between renders so that an update costs what changed.
const held = new Map(); // source name -> Map(id -> feature object)
const drawnState = { view: null, counted: new Map(), byDomain: null, byAff: null, drawn: 0, hot: new Set(), leaders: null, trails: null };

/**
 * Make source `name` hold exactly `next` (id -> feature). When few features changed (by
 * object identity: a feature object is rebuilt only when its track changed), only the
 * changes cross to MapLibre's worker (`updateData`); else the whole set (`setData`).
 */
function sync(map, name, next) {
  const src = map.getSource(name);
  if (!src) return;
  const prev = held.get(name);
  held.set(name, next);
  if (prev && prev.size && typeof src.updateData === 'function') {
    const add = [];
    const remove = [];
    for (const [id, f] of next) if (prev.get(id) !== f) add.push(f);
    for (const id of prev.keys()) if (!next.has(id)) remove.push(id);
    if (add.length + remove.length <= next.size / 2) {
      if (add.length || remove.length) src.updateData({ add, remove });
      return;
    }
  }
  src.setData({ type: 'FeatureCollection', features: [...next.values()] });
}

/** Forget what the sources hold (their data was replaced wholesale, e.g. a nation switch). */
export function resetHeld() { held.clear(); drawnState.view = null; }

/** The layer features of one track, built once per received feature object (cached on it). */
function build(map, f, hot, trails) {
  const p = f.properties;
  const aff = affOf(p);
  if (!f.o || f.oHot !== hot) {
    const coords = f.geometry.coordinates;
    const color = AFF_COLOR[aff];
    f.oHot = hot;
    f.o = {
      type: 'Feature',
      geometry: f.geometry,
      properties: {
        id: p.id, icon: iconFor(map, p), color, st: p.status,
        sort: (PRIORITY[aff] || 3) + (hot ? 10 : 0),
        t: trackTitle(p), t2: secondLine(p, coords),
        // 95 % circle of a 2-D Gaussian with this σ, in pixels at zoom 0 (512 px tiles)
        r0: ((p.sigma_m || 0) * 2.45) / (78271.517 * Math.cos((coords[1] * Math.PI) / 180)),
      },
    };
    f.leader = p.speed_mps > 0.5 && typeof p.course_deg === 'number' ? {
      type: 'Feature', properties: { id: p.id, color },
      geometry: { type: 'LineString', coordinates: [coords, destination(coords, p.course_deg, p.speed_mps * LEADER_SECONDS)] },
    } : null;
    f.trail = undefined;
  }
  if (trails && (f.trail === undefined || f.trailsFrom !== trails)) {
    const tr = trails.get(p.id);
    f.trailsFrom = trails;
    f.trail = tr && tr.length > 1 ? { type: 'Feature', properties: { id: p.id, color: AFF_COLOR[aff] }, geometry: { type: 'LineString', coordinates: tr.slice() } } : null;
  }
  return aff;
}

const counts = () => ({ drawn: drawnState.drawn, byDomain: { ...drawnState.byDomain }, byAff: { ...drawnState.byAff } });

/**
 * Draw the picture `view` (id -> track GeoJSON as the API sends it). `alerted`: ids with a
 * live alert. `changed`: the ids whose track changed (or left) since the last call with the
 * same view, or null to draw it all. Returns the counts. Only the changed tracks are
 * visited and sent to MapLibre; the whole picture is redrawn when asked, when the view,
 * the leaders or trails layer or the trail source changed.
 */
export function drawPicture(map, view, { changed = null, alerted = new Set(), trails = null } = {}) {
  const showLeaders = layerOn('leaders');
  const showTrails = layerOn('trails') && trails ? trails : null;
  const st = drawnState;
  const full = !changed || st.view !== view || st.leaders !== showLeaders || st.trails !== showTrails || !held.has('tracks');
  if (!full) {
    // alerted tracks draw on top: a change of that set is a change of those tracks
    const ids = new Set(changed);
    for (const id of alerted) if (!st.hot.has(id)) ids.add(id);
    for (const id of st.hot) if (!alerted.has(id)) ids.add(id);
    st.hot = new Set(alerted);
    const tracks = held.get('tracks');
    const leaders = held.get('leaders');
    const trailLines = held.get('trails');
    const diff = { tracks: [[], []], leaders: [[], []], trails: [[], []] };
    const put = (name, m, id, g) => {
      if (g) { if (m.get(id) !== g) { m.set(id, g); diff[name][0].push(g); } } else if (m.delete(id)) diff[name][1].push(id);
    };
    for (const id of ids) {
      const f = view.get(id);
      const was = st.counted.get(id);
      if (was) { st.byDomain[was[0]] -= 1; st.byAff[was[1]] -= 1; st.drawn -= 1; st.counted.delete(id); }
      if (f && passes(f.properties)) {
        const aff = build(map, f, alerted.has(id), showTrails);
        const dom = domainOf(f.properties);
        st.byDomain[dom] += 1; st.byAff[aff] += 1; st.drawn += 1;
        st.counted.set(id, [dom, aff]);
        put('tracks', tracks, id, f.o);
        put('leaders', leaders, id, showLeaders ? f.leader : null);
        put('trails', trailLines, id, showTrails ? f.trail : null);
      } else {
        put('tracks', tracks, id, null);
        put('leaders', leaders, id, null);
        put('trails', trailLines, id, null);
      }
    }
    for (const [name, [add, remove]] of Object.entries(diff)) {
      const src = map.getSource(name);
      if (src && (add.length || remove.length)) src.updateData({ add, remove });
    }
    return counts();
  }
  const tracks = new Map();
  const leaders = new Map();
  const trailLines = new Map();
  st.view = view;
  st.leaders = showLeaders;
  st.trails = showTrails;
  st.hot = new Set(alerted);
  st.counted = new Map();
  st.byDomain = Object.fromEntries(DOMAINS.map((d) => [d, 0]));
  st.byAff = Object.fromEntries(AFFILIATIONS.map((a) => [a, 0]));
  st.drawn = 0;
  for (const [id, f] of view) {
    const p = f.properties;
    if (!passes(p)) continue;
    const aff = build(map, f, alerted.has(id), showTrails);
    const dom = domainOf(p);
    st.drawn += 1;
    st.byDomain[dom] += 1;
    st.byAff[aff] += 1;
    st.counted.set(id, [dom, aff]);
    tracks.set(id, f.o);
    if (showLeaders && f.leader) leaders.set(id, f.leader);
    if (showTrails && f.trail) trailLines.set(id, f.trail);
  }
  sync(map, 'tracks', tracks);
  sync(map, 'leaders', leaders);
  sync(map, 'trails', trailLines);
  return counts();
}

/** Trails: id -> [[lon, lat], ...] with a parallel list of times, trimmed to TRAIL_MS. */
export class Trails {
  constructor() { this.pos = new Map(); this.times = new Map(); }
  clear() { this.pos.clear(); this.times.clear(); }
  add(id, lon, lat, t) {
    let p = this.pos.get(id);
    let ts = this.times.get(id);
    if (!p) { p = []; ts = []; this.pos.set(id, p); this.times.set(id, ts); }
    const n = ts.length;
    if (n && t <= ts[n - 1]) return; // not newer
    p.push([lon, lat]);
    ts.push(t);
    let cut = 0;
    while (cut < ts.length - 1 && ts[cut] < t - TRAIL_MS) cut += 1;
    if (cut) { p.splice(0, cut); ts.splice(0, cut); }
  }
  /** Keep only ids in `keep`. */
  prune(keep) { for (const id of this.pos.keys()) if (!keep.has(id)) { this.pos.delete(id); this.times.delete(id); } }
  get(id) { return this.pos.get(id); }
}
