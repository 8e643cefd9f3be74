// History and replay: the server's stored history (`/api/v1/history` by time window and
// the map's bounding box) replayed with a time slider, play/pause at speeds. While replaying
// the map shows the picture as it was at the slider's time; live data keeps arriving
// underneath and "Live" returns to it. Trails in replay come from the same history.
import { $, emit } from './dom.js';
import { api } from './session.js';
import { hms } from './geo.js';
import { TRAIL_MS } from './picture.js';

/** A track is in the replayed picture at T when its last stored state is at most this old. */
export const MAX_GAP_MS = 120_000;
const TICK_MS = 250;
const HISTORY_LIMIT = 100_000; // the server's maximum

export class Replay {
  constructor(ctx) {
    this.ctx = ctx; // { map, nation, isCurrent, signal }
    this.active = false;
    this.rows = new Map(); // id -> { t: [ms], f: [feature] } sorted by time
    this.from = 0;
    this.to = 0;
    this.t = 0;
    this.playing = null;
    this.speed = 10;
    $('replay-toggle').onclick = () => (this.active ? this.exit() : this.enter());
    $('replay-play').onclick = () => (this.playing ? this.pause() : this.play());
    $('replay-speed').onchange = (e) => { this.speed = Number(e.target.value) || 1; };
    $('replay-slider').oninput = (e) => this.seek(this.from + Number(e.target.value) * 1000);
  }

  /** Load [now - windowMin, now] within the map's view and show its start... or `at`. */
  async enter(at) {
    const minutes = Number($('replay-window').value) || 30;
    const to = Date.now();
    const from = to - minutes * 60_000;
    const b = this.ctx.map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(4)).join(',');
    $('replay-status').textContent = 'loading history…';
    let fc;
    try {
      fc = await api(`/api/v1/history?from=${from}&to=${to}&bbox=${bbox}&limit=${HISTORY_LIMIT}`, this.ctx);
    } catch (e) {
      if (e.name !== 'AbortError') $('replay-status').textContent = `history unavailable: ${e.message}`;
      return false;
    }
    this.rows = indexHistory(fc.features || []);
    this.bbox = bbox;
    this.from = from;
    this.to = to;
    this.active = true;
    document.body.classList.add('replaying');
    $('replay-toggle').textContent = 'Live';
    $('replay-toggle').setAttribute('aria-pressed', 'true');
    $('replay-bar').hidden = false;
    const slider = $('replay-slider');
    slider.max = String(Math.round((to - from) / 1000));
    const n = fc.features?.length ?? 0;
    // the server answers the oldest states first: a full answer lacks the latest ones
    $('replay-status').textContent = n >= HISTORY_LIMIT
      ? `history truncated at ${n} states: zoom in or choose a shorter window` : `${n} stored states`;
    this.seek(at ?? from);
    return true;
  }

  exit() {
    this.pause();
    this.active = false;
    document.body.classList.remove('replaying');
    $('replay-toggle').textContent = 'Replay';
    $('replay-toggle').setAttribute('aria-pressed', 'false');
    $('replay-bar').hidden = true;
    this.rows = new Map();
    emit('replay-exit');
  }

  play() {
    if (!this.active) return;
    if (this.t >= this.to) this.t = this.from;
    $('replay-play').textContent = '❚❚';
    $('replay-play').setAttribute('aria-label', 'Pause');
    this.playing = setInterval(() => {
      const next = this.t + TICK_MS * this.speed;
      if (next >= this.to) { this.seek(this.to); this.pause(); return; }
      this.seek(next);
    }, TICK_MS);
  }

  pause() {
    clearInterval(this.playing);
    this.playing = null;
    $('replay-play').textContent = '▶';
    $('replay-play').setAttribute('aria-label', 'Play');
  }

  /** The picture at `t` (epoch ms): each track's last stored state at or before t. */
  viewAt(t) {
    const features = [];
    const trails = new Map();
    for (const [id, r] of this.rows) {
      const i = lastAtOrBefore(r.t, t);
      if (i < 0 || t - r.t[i] > MAX_GAP_MS) continue;
      features.push(r.f[i]);
      const line = [];
      for (let j = i; j >= 0 && r.t[j] >= t - TRAIL_MS; j -= 1) line.push(r.f[j].geometry.coordinates.slice(0, 2));
      if (line.length > 1) trails.set(id, line.reverse());
    }
    return { features, trails };
  }

  seek(t) {
    if (!this.active) return;
    this.t = Math.max(this.from, Math.min(this.to, t));
    $('replay-slider').value = String(Math.round((this.t - this.from) / 1000));
    $('replay-time').textContent = `${new Date(this.t).toISOString().slice(0, 10)} ${hms(new Date(this.t))}Z`;
    const { features, trails } = this.viewAt(this.t);
    emit('replay-view', features, trails, this.t);
  }
}

export function indexHistory(features) {
  const rows = new Map();
  for (const f of features) {
    const p = f.properties || {};
    const t = Date.parse(p.time);
    if (!Number.isFinite(t) || !f.geometry) continue;
    const id = String(p.id);
    let r = rows.get(id);
    if (!r) { r = { t: [], f: [] }; rows.set(id, r); }
    r.t.push(t);
    r.f.push(f);
  }
  for (const r of rows.values()) {
    const order = r.t.map((t, i) => i).sort((a, b) => r.t[a] - r.t[b]);
    r.t = order.map((i) => r.t[i]);
    r.f = order.map((i) => r.f[i]);
  }
  return rows;
}

function lastAtOrBefore(ts, t) {
  let lo = 0;
  let hi = ts.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid] <= t) { ans = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return ans;
}

