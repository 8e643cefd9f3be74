// Missile warning layer: for each track whose properties carry a `missile` object,
//   { phase, ipp: { lat, lon, t_ms, semi_major_m, semi_minor_m, major_bearing_deg },
//     launch: { lat, lon, t_ms }, trajectory: [[lon, lat, alt_m], ...] }
// (every field optional but ipp.lat/lon), the predicted impact ellipse, the trajectory
// from launch through the given points to the impact point, a countdown at the impact
// point, and a warning banner on top of the page until the impact time has passed.
import { $, el } from './dom.js';
import { setData } from './layers.js';
import { ellipse, fmtCoord } from './geo.js';
import { trackTitle } from './picture.js';

const KEEP_AFTER_IMPACT_MS = 60_000;

const mmss = (ms) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

export class Missiles {
  constructor(ctx) {
    this.ctx = ctx; // { map, coordFormat: () => fmt, onSelect(id) }
    this.list = [];
    this.alertWarnings = [];
    setInterval(() => this.draw(), 1000);
  }

  /**
   * The missiles of the picture `view` (id -> feature; live or replay), looking only at the
   * ids in `changed` when given (null: all).
   */
  update(view, changed = null) {
    const isMissile = (f) => {
      const m = f && f.properties?.missile;
      return !!(m && m.ipp && Number.isFinite(m.ipp.lat) && Number.isFinite(m.ipp.lon));
    };
    if (!changed || this.view !== view) {
      this.ids = new Set();
      for (const [id, f] of view) if (isMissile(f)) this.ids.add(id);
    } else {
      for (const id of changed) if (isMissile(view.get(id))) this.ids.add(id); else this.ids.delete(id);
    }
    this.view = view;
    const before = this.list.length;
    this.list = [...this.ids].map((id) => view.get(id)).filter(Boolean);
    if (this.list.length || before) this.draw();
  }

  /** Open `missile-warning` alerts (alerts.js): banner lines with their own countdown. */
  setAlertWarnings(ws) {
    this.alertWarnings = ws;
    this.draw();
  }

  draw() {
    const now = Date.now();
    const feats = [];
    const warnings = [];
    for (const f of this.list) {
      const p = f.properties;
      const m = p.missile;
      const ipp = [m.ipp.lon, m.ipp.lat];
      const tImpact = Number.isFinite(m.ipp.t_ms) ? m.ipp.t_ms : null;
      if (tImpact !== null && now - tImpact > KEEP_AFTER_IMPACT_MS) continue;
      const a = m.ipp.semi_major_m > 0 ? m.ipp.semi_major_m : 1000;
      const b = m.ipp.semi_minor_m > 0 ? m.ipp.semi_minor_m : a;
      feats.push({ type: 'Feature', properties: { kind: 'ipp', id: p.id }, geometry: { type: 'Polygon', coordinates: [ellipse(ipp, a, b, m.ipp.major_bearing_deg || 0)] } });
      const line = [];
      if (m.launch && Number.isFinite(m.launch.lat)) line.push([m.launch.lon, m.launch.lat]);
      for (const q of Array.isArray(m.trajectory) ? m.trajectory : []) if (Number.isFinite(q?.[0]) && Number.isFinite(q?.[1])) line.push([q[0], q[1]]);
      if (!line.length) line.push(f.geometry.coordinates.slice(0, 2));
      line.push(ipp);
      if (line.length > 1) feats.push({ type: 'Feature', properties: { kind: 'trajectory', id: p.id }, geometry: { type: 'LineString', coordinates: line } });
      const left = tImpact === null ? null : tImpact - now;
      const text = left === null ? 'IMPACT AREA' : left > 0 ? `IMPACT T-${mmss(left)}` : 'IMPACT';
      feats.push({ type: 'Feature', properties: { kind: 'ipp-label', id: p.id, text }, geometry: { type: 'Point', coordinates: ipp } });
      warnings.push({ id: p.id, where: ipp, left, text, what: `${trackTitle(p)} · ${m.phase || ''}` });
    }
    for (const w of this.alertWarnings) {
      if (w.impactMs !== null && now - w.impactMs > KEEP_AFTER_IMPACT_MS) continue;
      const left = w.impactMs === null ? null : w.impactMs - now;
      const text = left === null ? 'IMPACT TIME UNKNOWN' : left > 0 ? `IMPACT T-${mmss(left)}` : 'IMPACT';
      warnings.push({ id: w.track, where: w.at, left, text, what: w.message, alert: true });
    }
    setData(this.ctx.map, 'missile', { type: 'FeatureCollection', features: feats });
    const banner = $('missile-banner');
    banner.hidden = warnings.length === 0;
    document.body.classList.toggle('missile-warning', warnings.length > 0);
    if (warnings.length) {
      warnings.sort((x, y) => (x.left ?? Infinity) - (y.left ?? Infinity));
      const w = warnings[0];
      const where = Number.isFinite(w.where?.[0]) && Number.isFinite(w.where?.[1]) ? `predicted impact ${fmtCoord(w.where, this.ctx.coordFormat())} · ` : '';
      banner.dataset.source = w.alert ? 'alert' : 'track';
      banner.replaceChildren(
        el('strong', {}, `MISSILE WARNING${warnings.length > 1 ? ` (${warnings.length})` : ''}`), ' ',
        el('span', { class: 'countdown' }, w.text), ' ',
        el('span', {}, `${where}${w.what}`),
        w.id ? el('button', { type: 'button', class: 'banner-btn', onclick: () => this.ctx.onSelect(w.id) }, 'Show') : null,
      );
    }
  }
}
