// Geodesy for the page (spherical Earth: leaders, range rings, CPA — display only; the
// server's geodesy is biac-geo) and coordinate formats (degrees-minutes, DMS, decimal, MGRS).
import { forward as mgrsForward } from '../vendor/mgrs/mgrs.esm.js';

const R = 6371008.8;
const rad = (d) => (d * Math.PI) / 180;
const deg = (r) => (r * 180) / Math.PI;
export const M_PER_NM = 1852;

/** Point `dist` metres from [lon, lat] along `bearing` degrees. */
export function destination([lon, lat], bearing, dist) {
  const d = dist / R;
  const b = rad(bearing);
  const p1 = rad(lat);
  const l1 = rad(lon);
  const p2 = Math.asin(Math.sin(p1) * Math.cos(d) + Math.cos(p1) * Math.sin(d) * Math.cos(b));
  const l2 = l1 + Math.atan2(Math.sin(b) * Math.sin(d) * Math.cos(p1), Math.cos(d) - Math.sin(p1) * Math.sin(p2));
  return [deg(l2), deg(p2)];
}

/** Great-circle distance (m) and initial true bearing (deg) from a to b ([lon, lat]). */
export function rangeBearing(a, b) {
  const p1 = rad(a[1]);
  const p2 = rad(b[1]);
  const dl = rad(b[0] - a[0]);
  const h = Math.sin((p2 - p1) / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) ** 2;
  const dist = 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
  const y = Math.sin(dl) * Math.cos(p2);
  const x = Math.cos(p1) * Math.sin(p2) - Math.sin(p1) * Math.cos(p2) * Math.cos(dl);
  return { dist, bearing: (deg(Math.atan2(y, x)) + 360) % 360 };
}

/**
 * Closest point of approach of two constant-velocity movers (local flat frame around a):
 * { cpa_m, tcpa_s } (tcpa < 0: closest already passed, cpa is the range now).
 */
export function cpa(a, va, b, vb) {
  const { dist, bearing } = rangeBearing(a.pos, b.pos);
  const px = dist * Math.sin(rad(bearing));
  const py = dist * Math.cos(rad(bearing));
  const v = (s, c) => [s * Math.sin(rad(c)), s * Math.cos(rad(c))];
  const [ax, ay] = v(va.speed, va.course);
  const [bx, by] = v(vb.speed, vb.course);
  const vx = bx - ax;
  const vy = by - ay;
  const vv = vx * vx + vy * vy;
  const t = vv < 1e-9 ? 0 : -(px * vx + py * vy) / vv;
  if (t <= 0) return { cpa_m: dist, tcpa_s: t };
  return { cpa_m: Math.hypot(px + vx * t, py + vy * t), tcpa_s: t };
}

/** A polygon ring approximating an ellipse (semi-axes in metres, major axis bearing). */
export function ellipse(center, semiMajor, semiMinor, bearingDeg = 0, n = 48) {
  const ring = [];
  for (let i = 0; i <= n; i += 1) {
    const t = (2 * Math.PI * i) / n;
    const x = semiMajor * Math.cos(t); // along the major axis
    const y = semiMinor * Math.sin(t);
    const dist = Math.hypot(x, y);
    const brg = bearingDeg + deg(Math.atan2(y, x));
    ring.push(destination(center, brg, dist));
  }
  return ring;
}

const pad = (v, n) => String(v).padStart(n, '0');

export const COORD_FORMATS = ['dm', 'dms', 'dd', 'mgrs'];

/** [lon, lat] in the chosen format ('dm' degrees-minutes, 'dms', 'dd' decimal, 'mgrs'). */
export function fmtCoord([lon, lat], format = 'dm') {
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) return '—';
  if (format === 'mgrs') {
    try {
      const m = mgrsForward([lon, lat], 5); // 1 m
      return `${m.slice(0, -12)} ${m.slice(-12, -10)} ${m.slice(-10, -5)} ${m.slice(-5)}`;
    } catch {
      return 'MGRS n/a';
    }
  }
  if (format === 'dd') return `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
  const f = (v, pos, neg, w) => {
    const a = Math.abs(v);
    const d = Math.floor(a);
    const mins = (a - d) * 60;
    const h = v >= 0 ? pos : neg;
    if (format === 'dms') {
      const m = Math.floor(mins);
      const s = (mins - m) * 60;
      return `${pad(d, w)}°${pad(m, 2)}′${s.toFixed(1).padStart(4, '0')}″${h}`;
    }
    return `${pad(d, w)}°${mins.toFixed(2).padStart(5, '0')}′${h}`;
  };
  return `${f(lat, 'N', 'S', 2)} ${f(lon, 'E', 'W', 3)}`;
}

const MON = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
/** NATO date-time group: DDHHMMZ MON YY. */
export function dtg(d, zone = 'Z', offsetH = 0) {
  const t = new Date(d.getTime() + offsetH * 3600_000);
  return `${pad(t.getUTCDate(), 2)}${pad(t.getUTCHours(), 2)}${pad(t.getUTCMinutes(), 2)}${zone} ${MON[t.getUTCMonth()]} ${String(t.getUTCFullYear()).slice(2)}`;
}
export const hms = (d, offsetH = 0) => new Date(d.getTime() + offsetH * 3600_000).toISOString().slice(11, 19);
