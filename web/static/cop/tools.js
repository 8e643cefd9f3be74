// Tools: the clock (date, DTG in UTC and JST), the coordinate format (degrees-minutes, DMS,
// decimal, MGRS; kept in the URL), the cursor readout, and range & bearing between two
// clicked points — between two tracks also their CPA and time to it.
import { $, fmt } from './dom.js';
import { setData, empty } from './layers.js';
import { COORD_FORMATS, fmtCoord, rangeBearing, cpa, dtg, hms, M_PER_NM } from './geo.js';
import { trackTitle } from './picture.js';

export class Tools {
  constructor(ctx) {
    this.ctx = ctx; // { map, trackAt(point) -> feature|null, tracks: () => Map }
    const fmtParam = new URLSearchParams(location.search).get('coord');
    this.format = COORD_FORMATS.includes(fmtParam) ? fmtParam : 'dm';
    this.measuring = false;
    this.points = []; // [{ pos, id }]
    const sel = $('coord-format');
    sel.value = this.format;
    sel.onchange = () => {
      this.format = sel.value;
      const url = new URL(location.href);
      url.searchParams.set('coord', this.format);
      history.replaceState(null, '', url);
      this.ctx.onFormat?.();
    };
    $('tool-measure').onclick = () => this.toggle();
    this.tick();
    setInterval(() => this.tick(), 1000);

    const { map } = ctx;
    map.on('mousemove', (e) => { $('cursor').textContent = fmtCoord([e.lngLat.lng, e.lngLat.lat], this.format); });
    // a readout that outlives the pointer would show a position nobody is pointing at
    map.getCanvas().addEventListener('mouseleave', () => { $('cursor').textContent = '—'; });
  }

  tick() {
    const now = new Date();
    $('clock').textContent = `${hms(now)}Z`;
    $('clock-jst').textContent = `${hms(now, 9)}I`;
    $('dtg').textContent = dtg(now);
    $('date').textContent = now.toISOString().slice(0, 10);
    if (this.points.length === 2) this.draw();
  }

  toggle(on = !this.measuring) {
    this.measuring = on;
    this.points = [];
    $('tool-measure').setAttribute('aria-pressed', String(on));
    document.body.classList.toggle('measuring', on);
    $('measure-out').textContent = on ? 'Click the first point or track…' : '';
    setData(this.ctx.map, 'tool', empty());
  }

  /** A map click while measuring; true when consumed. */
  click(e) {
    if (!this.measuring) return false;
    const t = this.ctx.trackAt(e.point);
    const pos = t ? t.geometry.coordinates.slice(0, 2) : [e.lngLat.lng, e.lngLat.lat];
    if (this.points.length >= 2) this.points = [];
    this.points.push({ pos, id: t ? t.properties.id : null });
    if (this.points.length === 1) $('measure-out').textContent = 'Click the second point or track…';
    this.draw();
    return true;
  }

  draw() {
    const tracks = this.ctx.tracks();
    // points on tracks follow them
    const pts = this.points.map((p) => {
      const t = p.id && tracks.get(p.id);
      return { ...p, pos: t ? t.geometry.coordinates.slice(0, 2) : p.pos, t };
    });
    const feats = pts.map((p) => ({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: p.pos } }));
    if (pts.length === 2) {
      const { dist, bearing } = rangeBearing(pts[0].pos, pts[1].pos);
      const text = `${(dist / M_PER_NM).toFixed(1)} NM  ${String(Math.round(bearing) % 360).padStart(3, '0')}°T`;
      const mid = [(pts[0].pos[0] + pts[1].pos[0]) / 2, (pts[0].pos[1] + pts[1].pos[1]) / 2];
      feats.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: [pts[0].pos, pts[1].pos] } });
      feats.push({ type: 'Feature', properties: { text }, geometry: { type: 'Point', coordinates: mid } });
      let out = `${text} (${(dist / 1000).toFixed(1)} km)`;
      if (pts[0].t && pts[1].t) {
        const v = (t) => ({ speed: t.properties.speed_mps || 0, course: t.properties.course_deg || 0 });
        const c = cpa({ pos: pts[0].pos }, v(pts[0].t), { pos: pts[1].pos }, v(pts[1].t));
        out += ` · ${trackTitle(pts[0].t.properties)} → ${trackTitle(pts[1].t.properties)}: CPA ${fmt(c.cpa_m / M_PER_NM, 1, ' NM')}`
          + (c.tcpa_s > 0 ? ` in ${fmt(c.tcpa_s / 60, 0, ' min')}` : ' (opening)');
      }
      $('measure-out').textContent = out;
    }
    setData(this.ctx.map, 'tool', { type: 'FeatureCollection', features: feats });
  }
}
