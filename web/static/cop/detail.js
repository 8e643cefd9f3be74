// The selected track's card: every field the API sends, provenance, quality and age, the
// symbol with its type; on the map a ring, the server-stored trail and the σ circle.
import { $, el, fmt, fmtAge, markingClass, KN_PER_MPS, FT_PER_M } from './dom.js';
import { setData, empty } from './layers.js';
import { sidcOf, domainOf, affOf, symbolDataUrl } from './symbols.js';
import { fmtCoord, ellipse } from './geo.js';
import { trackTitle } from './picture.js';
import { api } from './session.js';

/** Each contributing feed with the time of its last contribution and its age. */
function sourcesWithTimes(p, now) {
  const names = Array.isArray(p.sources) ? p.sources : [];
  if (!names.length) return '—';
  const times = p.source_times || {};
  return el('ul', { class: 'sources' }, ...names.map((n) => {
    const t = times[n] ? Date.parse(times[n]) : NaN;
    return el('li', { 'data-source': n }, el('span', { class: 'src-name' }, n),
      Number.isFinite(t) ? el('span', { class: 'src-time' }, ` ${new Date(t).toISOString().slice(11, 19)}Z (${fmtAge(now - t)} ago)`) : ' (time not recorded)');
  }));
}

export class Detail {
  constructor(ctx) {
    this.ctx = ctx; // { map, nation, isCurrent, signal, coordFormat: () => fmt }
    this.id = null;
    this.history = null; // [[lon, lat], ...] from /tracks/{id}
  }

  async select(id) {
    this.id = id;
    this.history = null;
    if (id) {
      try {
        const f = await api(`/api/v1/tracks/${encodeURIComponent(id)}`, this.ctx);
        if (this.id === id) this.history = (f?.properties?.history || []).map((h) => [h.lon, h.lat]);
      } catch {
        // not in the picture any more, or the link is down: the card shows what we have
      }
    }
  }

  render(f, { stale, now = Date.now() }) {
    const box = $('detail');
    $('detail-close').hidden = !f;
    if (!f) {
      box.className = 'detail empty';
      box.replaceChildren('Click a track on the map, in the table or in an alert.');
      setData(this.ctx.map, 'selection', empty());
      return;
    }
    const p = f.properties || {};
    const c = f.geometry.coordinates;
    const label = p.label || {};
    const { sidc, kind } = sidcOf(p);
    const age = now - Date.parse(p.time);
    const rows = [
      ['Identity', `${affOf(p)} · ${domainOf(p)} · ${kind}`],
      ['Track id', p.id],
      p.track_number && ['Track no.', p.track_number],
      p.name && ['Name', p.name],
      p.callsign && ['Callsign', p.callsign],
      p.mmsi != null && ['MMSI', p.mmsi],
      p.imo != null && ['IMO', p.imo],
      p.icao != null && ['ICAO', p.icao],
      p.ship_type != null && ['Ship type', `${p.ship_type} (${kind})`],
      (p.length_m != null || p.beam_m != null) && ['Dimensions', `${p.length_m ?? '?'} × ${p.beam_m ?? '?'} m`],
      ['Status', p.status === 'coasting' ? 'COASTING (no recent report)' : (p.status ?? '—')],
      ['Position', fmtCoord(c, this.ctx.coordFormat())],
      c.length > 2 && p.domain !== 'surface' && ['Altitude', `${Math.round(c[2])} m (${Math.round(c[2] * FT_PER_M)} ft)`],
      ['Speed', typeof p.speed_mps === 'number' ? `${(p.speed_mps * KN_PER_MPS).toFixed(1)} kn (${p.speed_mps.toFixed(1)} m/s)` : '—'],
      ['Course', fmt(p.course_deg, 0, '°T')],
      ['σ (1-sigma)', `${fmt(p.sigma_m, 0, ' m')} · 95 % circle ${fmt((p.sigma_m || 0) * 2.45, 0, ' m')}`],
      ['Quality', `${p.updates ?? '?'} updates`],
      ['Last report', `${p.time ?? '—'} (${fmtAge(age)} ago)`],
      ['Sources', sourcesWithTimes(p, now)],
      ['Owner', Array.isArray(label.owner) && label.owner.length ? label.owner.join(', ') : '—'],
      ['REL TO', Array.isArray(label.rel_to) && label.rel_to.length ? label.rel_to.join(', ')
        : (String(label.classification || '').toUpperCase() === 'UNCLASSIFIED' ? 'no restriction (unclassified)' : 'owners only')],
      label.noforn && ['NOFORN', 'yes'],
      p.missile && ['Missile', `${p.missile.phase || 'in flight'}`],
    ].filter(Boolean);
    const dl = el('dl');
    for (const [k, v] of rows) dl.append(el('dt', {}, k), el('dd', {}, v));
    box.className = `detail${stale ? ' stale' : ''}${p.status === 'coasting' ? ' coasting' : ''}`;
    box.replaceChildren(
      el('div', { class: `marking-line ${markingClass(p.marking)}` }, p.marking || 'MARKING MISSING'),
      el('div', { class: 'symbol-row' }, el('img', { src: symbolDataUrl(sidc, 26), alt: `${affOf(p)} ${kind}` }), el('span', { class: 'title' }, trackTitle(p))),
      dl,
    );
    const feats = [{ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [c[0], c[1]] } }];
    if (this.history && this.history.length > 1) feats.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: [...this.history, [c[0], c[1]]] } });
    if (p.sigma_m > 0) feats.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [ellipse(c, p.sigma_m * 2.45, p.sigma_m * 2.45)] } });
    setData(this.ctx.map, 'selection', { type: 'FeatureCollection', features: feats });
  }
}
