// Search (MMSI, IMO, name, callsign, ICAO, track id or number) and the sortable track table,
// linked to the map: a row selects its track and flies to it. The table lists every track
// of the picture after the filters, virtualised: only the rows in view (and a few around)
// are elements, so 10,000 tracks cost a sort, not 10,000 rows.
import { $, el, emit, fmt, fmtAge, KN_PER_MPS } from './dom.js';
import { filters, passes, setQuery } from './filters.js';
import { affOf, domainOf } from './symbols.js';
import { trackTitle } from './picture.js';

const ROW_H = 20; // px, fixed in style.css (.track-table tbody tr)
const OVERSCAN = 8;
const MIN_INTERVAL_MS = 1000;
const COLS = [
  ['title', 'Track', (p) => trackTitle(p).toUpperCase()],
  ['id', 'Id', (p) => p.id],
  ['type', 'Type', (p) => `${affOf(p)} ${domainOf(p)}`],
  ['speed', 'kn', (p) => p.speed_mps ?? -1],
  ['course', 'Crs', (p) => p.course_deg ?? -1],
  ['age', 'Age', (p) => -Date.parse(p.time)],
];
const SEARCH_KEYS = ['id', 'mmsi', 'imo', 'name', 'callsign', 'icao', 'track_number'];

export function matches(p, q) {
  if (!q) return true;
  for (const k of SEARCH_KEYS) {
    const v = p[k];
    if (v != null && String(v).toLowerCase().includes(q)) return true;
  }
  return false;
}

export class Table {
  constructor() {
    this.sort = 'title';
    this.desc = false;
    this.pending = null;
    this.last = 0;
    this.features = [];
    this.selected = null;
    const input = $('search');
    input.value = filters.query;
    input.addEventListener('input', () => setQuery(input.value.trim()));
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        const first = $('track-table').querySelector('tbody tr[data-id]');
        if (first) emit('select', first.dataset.id, { fly: true });
      }
    });
    let painting = false;
    $('track-table').parentElement.addEventListener('scroll', () => {
      if (painting) return;
      painting = true;
      requestAnimationFrame(() => { painting = false; this.paint(); });
    }, { passive: true });
    const head = $('track-table').querySelector('thead tr');
    head.replaceChildren(...COLS.map(([k, t]) => el('th', { scope: 'col', class: k === 'speed' || k === 'course' ? 'num' : '' },
      el('button', { type: 'button', class: 'sort-btn', 'data-sort': k, onclick: () => this.sortBy(k) }, t))));
  }

  sortBy(k) {
    if (this.sort === k) this.desc = !this.desc; else { this.sort = k; this.desc = false; }
    this.render(this.features, this.selected);
  }

  /**
   * Render soon: at most once per MIN_INTERVAL_MS for picture updates (the table is the
   * page's costliest DOM and a 10,000-track picture changes every second), at once for a
   * search, a sort or a selection (`urgent`).
   */
  update(features, selected, now = Date.now(), urgent = false) {
    this.features = features;
    this.selected = selected;
    this.now = now;
    if (this.pending) { if (!urgent) return; clearTimeout(this.pending); }
    const wait = urgent ? 0 : Math.max(0, MIN_INTERVAL_MS - (performance.now() - this.last));
    this.pending = setTimeout(() => {
      this.pending = null;
      this.last = performance.now();
      this.render(this.features, this.selected);
    }, wait);
  }

  /** `features`: the picture (id -> feature, or a list). */
  render(features, selected) {
    const q = filters.query.toLowerCase();
    const col = this.sort;
    const key = COLS.find((c) => c[0] === col)[2];
    const rows = [];
    for (const f of features instanceof Map ? features.values() : features) {
      const p = f.properties;
      if (!passes(p) || !matches(p, q)) continue;
      // the sort key is kept on the feature object: computed once per received track state
      if (f.sortCol !== col) { f.sortCol = col; f.sortKey = key(p); }
      rows.push([f.sortKey, p]);
    }
    const dir = this.desc ? -1 : 1;
    rows.sort((a, b) => (a[0] < b[0] ? -dir : a[0] > b[0] ? dir : 0));
    this.rows = rows.map((r) => r[1]);
    this.paint();
    $('table-count').textContent = `${rows.length}`;
    for (const b of $('track-table').querySelectorAll('.sort-btn')) b.setAttribute('aria-sort', b.dataset.sort === this.sort ? (this.desc ? 'descending' : 'ascending') : 'none');
  }

  /** Build the rows in view of the scrolled list, spacers standing in for the others. */
  paint() {
    const rows = this.rows || [];
    const wrap = $('track-table').parentElement;
    const first = Math.max(0, Math.floor(wrap.scrollTop / ROW_H) - OVERSCAN);
    const last = Math.min(rows.length, first + Math.ceil((wrap.clientHeight || 260) / ROW_H) + 2 * OVERSCAN);
    const now = this.now || Date.now();
    const selected = this.selected;
    const spacer = (n) => {
      const td = el('td', { colspan: String(COLS.length) });
      td.style.height = `${n * ROW_H}px`;
      return el('tr', { class: 'spacer', 'aria-hidden': 'true' }, td);
    };
    const out = [];
    if (first > 0) out.push(spacer(first));
    for (let i = first; i < last; i += 1) {
      const p = rows[i];
      out.push(el('tr', {
        'data-id': p.id, tabindex: '0', class: `aff-${affOf(p)}${p.id === selected ? ' sel' : ''}${p.status === 'coasting' ? ' coasting' : ''}`,
        onclick: () => emit('select', p.id, { fly: true }),
        onkeydown: (e) => { if (e.key === 'Enter') emit('select', p.id, { fly: true }); },
      }, el('td', { class: 'tt' }, trackTitle(p)), el('td', { class: 'id' }, p.id), el('td', {}, `${affOf(p).slice(0, 4)} ${domainOf(p).slice(0, 3)}`),
      el('td', { class: 'num' }, fmt(p.speed_mps * KN_PER_MPS, 0)), el('td', { class: 'num' }, fmt(p.course_deg, 0)),
      el('td', { class: 'num' }, fmtAge(now - Date.parse(p.time)))));
    }
    if (last < rows.length) out.push(spacer(rows.length - last));
    $('track-table').querySelector('tbody').replaceChildren(...out);
  }
}
