// Zones as the server sends them (name, provenance, approximate, marking): drawn with names
// (dashed outline when approximate), listed in the panel, and a popup with the provenance.
import { $, el } from './dom.js';
import { setData, empty, maplibregl } from './layers.js';

export class Zones {
  constructor(ctx) {
    this.ctx = ctx; // { map }
    this.popup = new maplibregl.Popup({ closeButton: true, closeOnClick: true, maxWidth: '280px' });
    this.features = [];
  }

  update(fc) {
    this.features = fc && Array.isArray(fc.features) ? fc.features : [];
    setData(this.ctx.map, 'zones', this.features.length ? { type: 'FeatureCollection', features: this.features } : empty());
    const ul = $('zones');
    if (!this.features.length) { ul.replaceChildren(el('li', { class: 'empty' }, 'No zones.')); return; }
    ul.replaceChildren(...this.features.map((f) => {
      const p = f.properties || {};
      const li = el('li', { tabindex: '0', role: 'button' },
        el('span', { class: 'zone-name' }, p.name || 'zone'),
        p.approximate ? el('span', { class: 'zone-approx', title: 'Approximate boundary' }, 'approx.') : null,
        el('div', { class: 'zone-prov' }, p.provenance || ''));
      const go = () => this.show(f, true);
      li.addEventListener('click', go);
      li.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
      return li;
    }));
  }

  show(f, fly) {
    const p = f.properties || {};
    const ring = f.geometry?.coordinates?.[0] || [];
    if (!ring.length) return;
    const lons = ring.map((c) => c[0]);
    const lats = ring.map((c) => c[1]);
    const bounds = [[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]];
    if (fly) this.ctx.map.fitBounds(bounds, { padding: 60, maxZoom: 9, duration: 600 });
    this.popup.setLngLat([(bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2]).setDOMContent(el('div', {},
      el('div', { class: 'pop-title' }, p.name || 'zone'),
      el('div', {}, p.approximate ? 'Boundary: approximate' : 'Boundary: as published'),
      el('div', {}, `Provenance: ${p.provenance || 'not stated'}`),
      el('div', { class: 'pop-mark' }, p.marking || ''))).addTo(this.ctx.map);
  }
}
