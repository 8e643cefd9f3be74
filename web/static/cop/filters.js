// Filters and layer toggles, kept in the URL (`?hide=domain:air,aff:neutral&layers=-trails&q=...`)
// so a view can be reloaded or shared. One predicate serves the map and the track table.
import { domainOf, affOf } from './symbols.js';
import { emit } from './dom.js';

export const LAYER_TOGGLES = [
  ['labels', 'Labels'], ['leaders', 'Speed leaders'], ['trails', 'Trails'], ['uncertainty', 'Uncertainty'],
  ['zones', 'Zones'], ['maritime', 'Maritime zones (approx.)'], ['alerts', 'Alert rings'],
];
const KINDS = ['domain', 'aff', 'status', 'cls', 'feed', 'owner'];

const params = new URLSearchParams(location.search);
export const filters = {
  hidden: Object.fromEntries(KINDS.map((k) => [k, new Set()])),
  layersOff: new Set(),
  query: params.get('q') || '',
};
for (const item of (params.get('hide') || '').split(',').filter(Boolean)) {
  const i = item.indexOf(':');
  const k = item.slice(0, i);
  if (filters.hidden[k]) filters.hidden[k].add(item.slice(i + 1));
}
for (const l of (params.get('layers') || '').split(',')) if (l.startsWith('-')) filters.layersOff.add(l.slice(1));

export const classificationOf = (p) => String(p.label?.classification || String(p.marking || '').split('//')[0] || 'UNMARKED').toUpperCase();
export const statusOf = (p) => String(p.status || 'unknown').toLowerCase();

/** The track passes every filter (a track is hidden by feed when all of its feeds are hidden). */
export function passes(p) {
  const h = filters.hidden;
  if (h.domain.size && h.domain.has(domainOf(p))) return false;
  if (h.aff.size && h.aff.has(affOf(p))) return false;
  if (h.status.size && h.status.has(statusOf(p))) return false;
  if (h.cls.size && h.cls.has(classificationOf(p))) return false;
  if (h.feed.size && Array.isArray(p.sources) && p.sources.length && p.sources.every((s) => h.feed.has(s))) return false;
  if (h.owner.size && Array.isArray(p.label?.owner) && p.label.owner.length && p.label.owner.every((o) => h.owner.has(o))) return false;
  return true;
}

function persist() {
  const url = new URL(location.href);
  const hide = [];
  for (const k of KINDS) for (const v of filters.hidden[k]) hide.push(`${k}:${v}`);
  if (hide.length) url.searchParams.set('hide', hide.join(',')); else url.searchParams.delete('hide');
  if (filters.layersOff.size) url.searchParams.set('layers', [...filters.layersOff].map((l) => `-${l}`).join(','));
  else url.searchParams.delete('layers');
  if (filters.query) url.searchParams.set('q', filters.query); else url.searchParams.delete('q');
  history.replaceState(null, '', url);
}

export function setHidden(kind, value, hidden) {
  if (hidden) filters.hidden[kind].add(value); else filters.hidden[kind].delete(value);
  persist();
  emit('filters');
}
export function setLayer(id, on) {
  if (on) filters.layersOff.delete(id); else filters.layersOff.add(id);
  persist();
  emit('layers');
}
export function setQuery(q) {
  filters.query = q;
  persist();
  emit('search');
}
export const layerOn = (id) => !filters.layersOff.has(id);
export { KINDS };
