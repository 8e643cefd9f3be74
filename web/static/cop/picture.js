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

// What each diffed source holds now, by id (to send MapLibre only what changed).
const held = new Map(); // source name -> Map(id -> feature object)

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
export function resetHeld() { held.clear(); }

/**
 * Draw `features` (track GeoJSON as the API sends it). `alerted`: ids with a live alert.
 * Returns the counts. Per track, the layer features are built once per received feature
 * object (cached on it): an unchanged track costs a lookup, not a rebuild.
 */
export function drawPicture(map, features, { alerted = new Set(), trails = null } = {}) {
  const tracks = new Map();
  const leaders = new Map();
  const trailLines = new Map();
  const byDomain = Object.fromEntries(DOMAINS.map((d) => [d, 0]));
  const byAff = Object.fromEntries(AFFILIATIONS.map((a) => [a, 0]));
  const showLeaders = layerOn('leaders');
  const showTrails = layerOn('trails') && trails;
  let drawn = 0;
  for (const f of features) {
    const p = f.properties;
    if (!passes(p)) continue;
    drawn += 1;
    const aff = affOf(p);
    byDomain[domainOf(p)] += 1;
    byAff[aff] += 1;
    const hot = alerted.has(p.id);
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
    tracks.set(p.id, f.o);
    if (showLeaders && f.leader) leaders.set(p.id, f.leader);
    if (showTrails) {
      if (f.trail === undefined || f.trailsFrom !== trails) {
        const tr = trails.get(p.id);
        f.trailsFrom = trails;
        f.trail = tr && tr.length > 1 ? { type: 'Feature', properties: { id: p.id, color: AFF_COLOR[aff] }, geometry: { type: 'LineString', coordinates: tr.slice() } } : null;
      }
      if (f.trail) trailLines.set(p.id, f.trail);
    }
  }
  sync(map, 'tracks', tracks);
  sync(map, 'leaders', leaders);
  sync(map, 'trails', trailLines);
  return { drawn, byDomain, byAff };
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
