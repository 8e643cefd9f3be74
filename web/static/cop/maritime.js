// Maritime zones (territorial sea, contiguous zone, EEZ) as the server computed them for the
// audience's nation (`/api/v1/zones/maritime`: disputed features as that nation recognises
// them). Every zone is approximate: drawn dotted, named "(approx.)", listed, and its popup
// says so with the provenance (data set, method, recognition) and the marking.
import { $, el } from './dom.js';
import { setData, empty, maplibregl } from './layers.js';

const KIND_TEXT = { territorial_sea: 'Territorial sea (12 nm)', contiguous_zone: 'Contiguous zone (24 nm)', eez: 'EEZ (200 nm)' };
// innermost first: a click inside a territorial sea is about it, not the EEZ around it
const KIND_ORDER = ['territorial_sea', 'contiguous_zone', 'eez'];

/** Even-odd point in a (Multi)Polygon with holes, in lon/lat (a click, not a boundary). */
function contains(g, x, y) {
  const polys = g?.type === 'MultiPolygon' ? g.coordinates : g?.type === 'Polygon' ? [g.coordinates] : [];
  let inside = false;
  for (const rings of polys) {
    for (const r of rings) {
      for (let i = 0, j = r.length - 1; i < r.length; j = i, i += 1) {
        const [xi, yi] = r[i];
        const [xj, yj] = r[j];
        if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
      }
    }
  }
  return inside;
}

export class Maritime {
  constructor(ctx) {
    this.ctx = ctx; // { map }
    this.popup = new maplibregl.Popup({ closeButton: true, closeOnClick: true, maxWidth: '320px' });
    this.features = [];
    this.recognition = null;
  }

  update(fc) {
    this.features = fc && Array.isArray(fc.features) ? fc.features : [];
    this.recognition = fc?.recognition || null;
    setData(this.ctx.map, 'maritime', this.features.length ? { type: 'FeatureCollection', features: this.features } : empty());
    document.body.dataset.maritimeCount = String(this.features.length);
    const ul = $('maritime');
    if (!ul) return;
    if (!this.features.length) { ul.replaceChildren(el('li', { class: 'empty' }, 'No maritime zones.')); return; }
    $('maritime-recognition').textContent = this.recognition ? `Disputed features as recognised: ${this.recognition}` : '';
    ul.replaceChildren(...this.features.map((f) => {
      const p = f.properties || {};
      const li = el('li', { tabindex: '0', role: 'button' },
        el('span', { class: 'zone-name' }, p.name || 'zone'),
        el('span', { class: 'zone-approx', title: 'Approximate boundary' }, 'approx.'));
      const go = () => this.show(f, null, true);
      li.addEventListener('click', go);
      li.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
      return li;
    }));
  }

  /** The innermost zone at [lon, lat] (or null): a disputed feature's own sea first. */
  pick([lon, lat]) {
    const rank = (f) => KIND_ORDER.indexOf(f.properties?.kind) + (f.properties?.feature ? -0.5 : 0);
    const hits = this.features.filter((f) => contains(f.geometry, lon, lat));
    return hits.sort((a, b) => rank(a) - rank(b))[0] || null;
  }

  show(f, lngLat, fly) {
    const p = f.properties || {};
    const prov = p.provenance || {};
    if (fly || !lngLat) {
      let w = 180, s = 90, e = -180, n = -90;
      for (const poly of f.geometry?.coordinates || []) for (const [x, y] of poly[0] || []) {
        w = Math.min(w, x); e = Math.max(e, x); s = Math.min(s, y); n = Math.max(n, y);
      }
      if (w > e) return;
      if (fly) this.ctx.map.fitBounds([[w, s], [e, n]], { padding: 40, maxZoom: 9, duration: 600 });
      lngLat = lngLat || [(w + e) / 2, (s + n) / 2];
    }
    this.popup.setLngLat(lngLat).setDOMContent(el('div', { class: 'maritime-pop' },
      el('div', { class: 'pop-title' }, p.name || 'zone'),
      el('div', {}, `${KIND_TEXT[p.kind] || p.kind || ''} · ${p.state || ''}`),
      el('div', { class: 'pop-approx' }, 'Boundary: approximate (computed, not the legal line)'),
      el('div', {}, `Provenance: ${prov.dataset || 'not stated'}`),
      prov.method ? el('div', { class: 'zone-prov' }, prov.method) : null,
      p.recognition ? el('div', { class: 'zone-prov' }, `Disputed features: ${p.recognition}`) : null,
      el('div', { class: 'pop-mark' }, p.marking || ''))).addTo(this.ctx.map);
  }
}
