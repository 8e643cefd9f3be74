// The live picture: one GET for the first paint, then the WebSocket (snapshot + per
// generation diffs), polling /api/v1/tracks when the socket cannot be had; and the link's
// health. A link that has delivered nothing for STALE_MS, or whose socket dropped, is
// STALE: the page says so in a banner that cannot be missed and fades the picture.
import { api, openSocket } from './session.js';

const POLL_MS = 2000;
const RECONNECT_MS = 2000;
export const STALE_MS = 6000;

export class Live {
  /** ctx: { nation, isCurrent, signal, onData(view, meta), onLink(state, detail) } */
  constructor(ctx) {
    this.ctx = ctx;
    this.view = new Map();
    // ids upserted or deleted since the picture last took them; `full`: the view was
    // replaced wholesale (first answer, snapshot, poll)
    this.changed = new Set();
    this.full = true;
    this.meta = {};
    this.lastData = 0; // Date.now() of the last good data
    this.ws = null;
    this.timer = null;
    this.watch = setInterval(() => this.check(), 1000);
    this.state = 'connecting';
    this.closed = false;
  }

  setLink(state, detail = '') {
    this.state = state;
    this.ctx.onLink(state, detail);
  }

  check() {
    if (this.closed || !this.lastData) return;
    const age = Date.now() - this.lastData;
    if (age > STALE_MS && this.state === 'live') this.setLink('stale', 'no update');
    if (this.state === 'stale' || this.state === 'reconnecting') this.ctx.onLink(this.state, '');
  }

  /** What changed since the last call: { full, changed }. */
  takeChanges() {
    const out = { full: this.full, changed: this.changed };
    this.full = false;
    this.changed = new Set();
    return out;
  }

  delivered(meta) {
    this.lastData = Date.now();
    this.meta = meta;
    this.ctx.onData(this.view, this.meta);
    if (this.state !== 'live') this.setLink('live');
  }

  async start() {
    try {
      const fc = await api('/api/v1/tracks', this.ctx);
      this.view.clear();
      this.full = true;
      for (const f of fc.features || []) this.view.set(String(f.properties?.id ?? f.id), f);
      this.delivered({ marking: fc.marking, audience: fc.audience, time: fc.time });
    } catch (e) {
      if (e.name === 'AbortError') return;
      this.failed(e);
    }
    this.connect();
  }

  failed(e) {
    if (this.closed) return;
    this.setLink(e && e.auth ? 'unauthorized' : this.lastData ? 'stale' : 'lost', e && e.message ? e.message : '');
  }

  async connect() {
    if (this.closed || !this.ctx.isCurrent()) return;
    if (typeof WebSocket !== 'function') { this.poll(); return; }
    let ws;
    try {
      ws = await openSocket(this.ctx.nation);
    } catch {
      this.poll();
      return;
    }
    if (this.closed || !this.ctx.isCurrent()) { ws.close(); return; }
    let received = false;
    this.ws = ws;
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      let m;
      try { m = JSON.parse(ev.data); } catch { return; }
      if (m.type === 'snapshot') {
        this.view.clear();
        this.full = true;
        for (const f of m.features || []) this.view.set(String(f.id), f);
      } else if (m.type === 'update') {
        for (const id of m.deletes || []) { this.view.delete(String(id)); this.changed.add(String(id)); }
        for (const f of m.upserts || []) { this.view.set(String(f.id), f); this.changed.add(String(f.id)); }
      } else return;
      // alerts raised since the last message: the panel fetches them (with their acks) now
      if (m.type === 'update' && Array.isArray(m.alerts) && m.alerts.length && this.ctx.onAlerts) this.ctx.onAlerts(m.alerts);
      received = true;
      this.hadSocket = true;
      this.delivered({ marking: m.marking, audience: m.audience, time: m.time });
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closed || !this.ctx.isCurrent()) return;
      if (received) {
        // The link dropped: say so at once (the picture on screen is now history).
        this.setLink('stale', 'connection closed');
        this.timer = setTimeout(() => this.connect(), RECONNECT_MS);
      } else {
        this.poll();
      }
    };
  }

  async poll() {
    clearTimeout(this.timer);
    if (this.closed || !this.ctx.isCurrent()) return;
    try {
      const fc = await api('/api/v1/tracks', this.ctx);
      this.view.clear();
      this.full = true;
      for (const f of fc.features || []) this.view.set(String(f.properties?.id ?? f.id), f);
      this.delivered({ marking: fc.marking, audience: fc.audience, time: fc.time });
      // the server is back: return to the socket it served before
      if (this.hadSocket) { this.connect(); return; }
    } catch (e) {
      if (e.name === 'AbortError') return;
      this.failed(e);
    }
    if (!this.closed) this.timer = setTimeout(() => this.poll(), POLL_MS);
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.watch);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close();
  }
}
