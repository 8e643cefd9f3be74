// Alerts: the panel (newest first, filter by type, acknowledge, click to select and fly to
// the track), a cue when a new one arrives, and rings on the map that follow the track and
// fade with age. Alerts of any `kind`/`type` are shown (zone entries today; maritime
// behaviours and missile warnings as the server starts sending them).
import { $, el, emit } from './dom.js';
import { setData } from './layers.js';
import { api } from './session.js';

const RING_FADE_MS = 10 * 60_000;
const RING_MAX_AGE_MS = 30 * 60_000;

export const alertKey = (a) => `${a.time}|${a.kind || a.type || ''}|${a.track_id || ''}|${a.zone || ''}`;
const kindOf = (a) => a.type || a.kind || 'alert';

export class Alerts {
  constructor(ctx) {
    this.ctx = ctx; // { nation, isCurrent, signal, map, tracks: () => Map }
    this.list = [];
    this.seen = null; // keys seen so far (null: first load, which cues nothing)
    this.unacked = 0;
    this.kindFilter = '';
    $('alert-kind').onchange = (e) => { this.kindFilter = e.target.value; this.renderList(); };
  }

  /** Ids of tracks with an unacknowledged alert (drawn on top, labelled first). */
  alertedIds() {
    const s = new Set();
    for (const a of this.list) if (!a.ack && a.track_id) s.add(a.track_id);
    return s;
  }

  update(body) {
    const alerts = Array.isArray(body?.alerts) ? body.alerts : [];
    this.list = alerts.map((a) => ({ ...a, key: a.id || alertKey(a) }));
    const fresh = this.seen ? this.list.filter((a) => !this.seen.has(a.key) && !a.ack) : [];
    this.seen = new Set(this.list.map((a) => a.key));
    this.unacked = this.list.filter((a) => !a.ack).length;
    if (fresh.length) this.cue(fresh[fresh.length - 1], fresh.length);
    this.renderList();
  }

  cue(a, n) {
    const badge = $('alert-count');
    badge.classList.remove('cue');
    void badge.offsetWidth; // restart the animation
    badge.classList.add('cue');
    $('alert-announce').textContent = `${n} new alert${n > 1 ? 's' : ''}: ${kindOf(a)} ${a.message || ''}`;
  }

  renderList() {
    // Rebuilt only when something changed: a list rebuilt under the pointer or the
    // keyboard focus every poll would lose the click or the focus.
    const sig = `${this.kindFilter}#${this.list.map((a) => `${a.key}:${a.ack ? 1 : 0}`).join(',')}`;
    if (sig === this.sig) return;
    this.sig = sig;
    $('alert-count').textContent = String(this.unacked);
    $('alert-count').title = `${this.unacked} unacknowledged of ${this.list.length}`;
    const kinds = [...new Set(this.list.map(kindOf))].sort();
    const sel = $('alert-kind');
    const cur = this.kindFilter;
    sel.replaceChildren(el('option', { value: '' }, 'all types'), ...kinds.map((k) => el('option', { value: k, selected: k === cur }, k)));
    const shown = this.list.filter((a) => !this.kindFilter || kindOf(a) === this.kindFilter).slice(-100).reverse();
    const ul = $('alerts');
    if (!shown.length) { ul.replaceChildren(el('li', { class: 'empty' }, 'No alerts.')); return; }
    ul.replaceChildren(...shown.map((a) => {
      const ack = a.ack
        ? el('span', { class: 'alert-acked', title: `acknowledged ${a.ack.time || ''}` }, `ACK ${a.ack.by || ''}`)
        : el('button', {
          class: 'ack-btn', type: 'button', disabled: !a.id, title: a.id ? 'Acknowledge for your audience' : 'This server does not take acknowledgements',
          onclick: (e) => { e.stopPropagation(); this.acknowledge(a); },
        }, 'ACK');
      const li = el('li', { class: `alert${a.ack ? ' acked' : ''}`, tabindex: '0', role: 'button', 'data-track': a.track_id || '', 'data-key': a.key },
        el('div', { class: 'alert-head' }, el('span', { class: 'alert-kind' }, kindOf(a)), ' ',
          el('span', { class: 'alert-time' }, `${String(a.time || '').slice(11, 19)}Z`), ' ',
          el('span', { class: 'alert-track' }, a.track_id || ''), ack),
        el('div', {}, a.message || ''),
        el('div', { class: 'alert-mark' }, [a.zone, a.marking].filter(Boolean).join(' · ')));
      const go = () => { if (a.track_id) emit('select', a.track_id, { fly: true, at: [a.lon, a.lat] }); };
      li.addEventListener('click', go);
      li.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); } });
      return li;
    }));
  }

  async acknowledge(a) {
    try {
      const r = await api('/api/v1/alerts/ack', { ...this.ctx, method: 'POST', body: { id: a.id } });
      a.ack = r.ack;
    } catch (e) {
      if (e.name === 'AbortError') return;
      $('alert-announce').textContent = `Acknowledgement failed: ${e.message}`;
      return;
    }
    this.unacked = this.list.filter((x) => !x.ack).length;
    this.renderList();
    emit('alerts-changed');
  }

  /** Rings at the alerted track's position now (else where the alert was raised), fading. */
  drawRings(tracks) {
    const now = Date.now();
    const pts = [];
    for (const a of this.list) {
      if (a.ack) continue;
      const age = now - Date.parse(a.time);
      if (!(age < RING_MAX_AGE_MS)) continue;
      const t = a.track_id && tracks.get(a.track_id);
      const pos = t ? t.geometry.coordinates : (typeof a.lon === 'number' ? [a.lon, a.lat] : null);
      if (!pos) continue;
      pts.push({ type: 'Feature', properties: { opacity: Math.max(0.25, 1 - age / RING_FADE_MS) }, geometry: { type: 'Point', coordinates: [pos[0], pos[1]] } });
    }
    setData(this.ctx.map, 'alerts', { type: 'FeatureCollection', features: pts });
  }
}
