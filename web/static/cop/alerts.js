// Alerts: the panel (newest first, filter by type and by open/closed, acknowledge, click to
// select and fly to the track), a cue when a new one arrives, and rings on the map that
// follow the track and fade with age. An alert that lasts is an episode (`open`, `update`s,
// `close` sharing one `episode` key): the panel shows it once, with when it opened, was last
// updated and closed. An open `missile-warning` goes to the warning banner on top (missile.js)
// with a countdown to `detail.impact_t_ms`.
import { $, el, emit } from './dom.js';
import { setData } from './layers.js';
import { api } from './session.js';

const RING_FADE_MS = 10 * 60_000;
const RING_MAX_AGE_MS = 30 * 60_000;

export const alertKey = (a) => `${a.time}|${a.kind || a.type || ''}|${a.track_id || ''}|${a.zone || ''}`;
const kindOf = (a) => a.type || a.kind || 'alert';
const STATE_FILTERS = [['', 'open & closed'], ['open', 'open'], ['closed', 'closed'], ['event', 'one-shot']];

/**
 * One line of the panel: an episode (every alert sharing an `episode` key, in time order)
 * or a one-shot alert. `status`: open, closed or event.
 */
function entries(list) {
  const byEpisode = new Map();
  const out = [];
  for (const a of list) {
    if (!a.episode) { out.push({ key: a.key, kind: kindOf(a), status: 'event', first: a, last: a, alerts: [a] }); continue; }
    let e = byEpisode.get(a.episode);
    if (!e) {
      e = { key: `ep:${a.episode}`, kind: kindOf(a), status: 'open', alerts: [] };
      byEpisode.set(a.episode, e);
      out.push(e);
    }
    e.alerts.push(a);
  }
  for (const e of byEpisode.values()) {
    e.alerts.sort((x, y) => Date.parse(x.time) - Date.parse(y.time));
    e.first = e.alerts[0];
    e.last = e.alerts[e.alerts.length - 1];
    e.status = e.alerts.some((a) => a.state === 'close') ? 'closed' : 'open';
  }
  for (const e of out) {
    e.ack = e.alerts.map((a) => a.ack).find(Boolean) || null;
    const ids = new Set();
    for (const a of e.alerts) for (const t of [a.track_id, ...(Array.isArray(a.tracks) ? a.tracks : [])]) if (t) ids.add(t);
    e.tracks = [...ids];
  }
  // newest activity last, like the alerts themselves
  return out.sort((x, y) => Date.parse(x.last.time) - Date.parse(y.last.time));
}

export class Alerts {
  constructor(ctx) {
    this.ctx = ctx; // { nation, isCurrent, signal, map, tracks: () => Map }
    this.list = [];
    this.seen = null; // keys seen so far (null: first load, which cues nothing)
    this.unacked = 0;
    this.entries = [];
    this.kindFilter = '';
    this.stateFilter = '';
    this.onWarnings = ctx.onWarnings || (() => {});
    $('alert-kind').onchange = (e) => { this.kindFilter = e.target.value; this.renderList(); };
    const st = $('alert-state');
    st.replaceChildren(...STATE_FILTERS.map(([v, t]) => el('option', { value: v }, t)));
    st.onchange = (e) => { this.stateFilter = e.target.value; this.renderList(); };
  }

  /** Ids of tracks with an unacknowledged alert that is not closed (drawn on top, labelled first). */
  alertedIds() {
    const s = new Set();
    for (const e of this.entries) if (!e.ack && e.status !== 'closed') for (const t of e.tracks) s.add(t);
    return s;
  }

  update(body) {
    const alerts = Array.isArray(body?.alerts) ? body.alerts : [];
    this.list = alerts.map((a) => ({ ...a, key: a.id || alertKey(a) }));
    this.entries = entries(this.list);
    // a new one-shot alert or a new episode is news; an episode's update or close is not
    const fresh = this.seen ? this.entries.filter((e) => !this.seen.has(e.key) && !e.ack && e.status !== 'closed') : [];
    this.seen = new Set(this.entries.map((e) => e.key));
    this.unacked = this.entries.filter((e) => !e.ack && e.status !== 'closed').length;
    if (fresh.length) this.cue(fresh[fresh.length - 1].last, fresh.length);
    this.renderList();
    this.onWarnings(this.warnings());
  }

  /** Open missile warnings, for the banner: { entry, impactMs, message }. */
  warnings() {
    return this.entries.filter((e) => e.kind === 'missile-warning' && e.status !== 'closed').map((e) => {
      const d = e.last.detail || {};
      return {
        id: e.key, track: e.tracks[0] || null, message: e.last.message || '',
        impactMs: Number.isFinite(d.impact_t_ms) ? d.impact_t_ms : null,
        at: Number.isFinite(d.impact_lat) && Number.isFinite(d.impact_lon) ? [d.impact_lon, d.impact_lat] : [e.last.lon, e.last.lat],
        marking: e.last.marking || '',
      };
    });
  }

  cue(a, n) {
    // an animation of its own each time, without the forced layout a class restart costs
    $('alert-count').animate([{ transform: 'scale(1)' }, { background: '#ff4d4d', transform: 'scale(1.3)' }, { transform: 'scale(1)' }],
      { duration: 600, iterations: 4, easing: 'ease-in-out' });
    $('alert-announce').textContent = `${n} new alert${n > 1 ? 's' : ''}: ${kindOf(a)} ${a.message || ''}`;
  }

  renderList() {
    // Rebuilt only when something changed: a list rebuilt under the pointer or the
    // keyboard focus every poll would lose the click or the focus.
    const sig = `${this.kindFilter}#${this.stateFilter}#${this.list.map((a) => `${a.key}:${a.ack ? 1 : 0}`).join(',')}`;
    if (sig === this.sig) return;
    this.sig = sig;
    $('alert-count').textContent = String(this.unacked);
    $('alert-count').title = `${this.unacked} open and unacknowledged of ${this.entries.length}`;
    const kinds = [...new Set(this.entries.map((e) => e.kind))].sort();
    const sel = $('alert-kind');
    const cur = this.kindFilter;
    sel.replaceChildren(el('option', { value: '' }, 'all types'), ...kinds.map((k) => el('option', { value: k, selected: k === cur }, k)));
    const shown = this.entries
      .filter((e) => (!this.kindFilter || e.kind === this.kindFilter) && (!this.stateFilter || e.status === this.stateFilter))
      .slice(-100).reverse();
    const ul = $('alerts');
    if (!shown.length) { ul.replaceChildren(el('li', { class: 'empty' }, 'No alerts.')); return; }
    const hhmmss = (t) => `${String(t || '').slice(11, 19)}Z`;
    ul.replaceChildren(...shown.map((e) => {
      const a = e.last;
      // acknowledging an episode acknowledges the alert that opened it (or the latest, if
      // the server no longer keeps the opening one)
      const target = e.first.id ? e.first : a;
      const ack = e.ack
        ? el('span', { class: 'alert-acked', title: `acknowledged ${e.ack.time || ''}` }, `ACK ${e.ack.by || ''}`)
        : el('button', {
          class: 'ack-btn', type: 'button', disabled: !target.id, title: target.id ? 'Acknowledge for your audience' : 'This server does not take acknowledgements',
          onclick: (ev) => { ev.stopPropagation(); this.acknowledge(target); },
        }, 'ACK');
      const updates = e.alerts.filter((x) => x.state === 'update');
      const life = e.status === 'event' ? null : el('div', { class: 'alert-life' },
        `opened ${hhmmss(e.first.time)}`,
        updates.length ? ` · updated ${hhmmss(updates[updates.length - 1].time)}${updates.length > 1 ? ` (${updates.length}×)` : ''}` : '',
        e.status === 'closed' ? ` · closed ${hhmmss(e.alerts.find((x) => x.state === 'close').time)}` : '');
      const li = el('li', {
        class: `alert status-${e.status}${e.ack ? ' acked' : ''}`, tabindex: '0', role: 'button',
        'data-track': e.tracks[0] || '', 'data-key': e.key, 'data-status': e.status, 'data-kind': e.kind,
      },
      el('div', { class: 'alert-head' }, el('span', { class: 'alert-kind' }, e.kind), ' ',
        e.status === 'event' ? null : el('span', { class: `alert-state state-${e.status}` }, e.status.toUpperCase()), ' ',
        el('span', { class: 'alert-time' }, hhmmss(a.time)), ' ',
        el('span', { class: 'alert-track' }, e.tracks.join(' ')), ack),
      el('div', {}, a.message || ''),
      life,
      el('div', { class: 'alert-mark' }, [a.zone, a.marking].filter(Boolean).join(' · ')));
      const go = () => { if (e.tracks[0]) emit('select', e.tracks[0], { fly: true, at: [a.lon, a.lat] }); };
      li.addEventListener('click', go);
      li.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); go(); } });
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
    this.entries = entries(this.list);
    this.unacked = this.entries.filter((x) => !x.ack && x.status !== 'closed').length;
    this.renderList();
    emit('alerts-changed');
  }

  /** Rings at the alerted track's position now (else where the alert was raised), fading. */
  drawRings(tracks) {
    const now = Date.now();
    const pts = [];
    for (const e of this.entries) {
      if (e.ack || e.status === 'closed') continue;
      const a = e.last;
      const age = now - Date.parse(a.time);
      if (!(age < RING_MAX_AGE_MS)) continue;
      const t = e.tracks[0] && tracks.get(e.tracks[0]);
      const pos = t ? t.geometry.coordinates : (typeof a.lon === 'number' ? [a.lon, a.lat] : null);
      if (!pos) continue;
      pts.push({ type: 'Feature', properties: { opacity: Math.max(0.25, 1 - age / RING_FADE_MS) }, geometry: { type: 'Point', coordinates: [pos[0], pos[1]] } });
    }
    setData(this.ctx.map, 'alerts', { type: 'FeatureCollection', features: pts });
  }
}
