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

/**
 * Draw `features` (track GeoJSON as the API sends it). `alerted`: ids with a live alert.
 * Returns the counts and the features drawn (after filters).
 */
export function drawPicture(map, features, { alerted = new Set(), trails = null } = {}) {
  const out = [];
  const leaders = [];
  const trailLines = [];
  const byDomain = Object.fromEntries(DOMAINS.map((d) => [d, 0]));
  const byAff = Object.fromEntries(AFFILIATIONS.map((a) => [a, 0]));
  const showLeaders = layerOn('leaders');
  const showTrails = layerOn('trails') && trails;
  let drawn = 0;
  for (const f of features) {
    const p = f.properties;
    if (!passes(p)) continue;
    drawn += 1;
    const coords = f.geometry.coordinates;
    const aff = affOf(p);
    byDomain[domainOf(p)] += 1;
    byAff[aff] += 1;
    const color = AFF_COLOR[aff];
    const hot = alerted.has(p.id);
    const lat = coords[1];
    out.push({
      type: 'Feature',
      geometry: f.geometry,
      properties: {
        id: p.id, icon: iconFor(map, p), color, st: p.status,
        sort: (PRIORITY[aff] || 3) + (hot ? 10 : 0),
        t: trackTitle(p), t2: secondLine(p, coords),
        // 95 % circle of a 2-D Gaussian with this σ, in pixels at zoom 0 (512 px tiles)
        r0: ((p.sigma_m || 0) * 2.45) / (78271.517 * Math.cos((lat * Math.PI) / 180)),
      },
    });
    if (showLeaders && p.speed_mps > 0.5 && typeof p.course_deg === 'number') {
      leaders.push({
        type: 'Feature', properties: { color },
        geometry: { type: 'LineString', coordinates: [coords, destination(coords, p.course_deg, p.speed_mps * LEADER_SECONDS)] },
      });
    }
    if (showTrails) {
      const tr = trails.get(p.id);
      if (tr && tr.length > 1) trailLines.push({ type: 'Feature', properties: { color }, geometry: { type: 'LineString', coordinates: tr } });
    }
  }
  setData(map, 'tracks', { type: 'FeatureCollection', features: out });
  setData(map, 'leaders', { type: 'FeatureCollection', features: leaders });
  setData(map, 'trails', { type: 'FeatureCollection', features: trailLines });
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
