// DOM and formatting helpers shared by the page's modules (no state here).

export const $ = (id) => document.getElementById(id);

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

export const fmt = (v, digits, unit = '') => (typeof v === 'number' && Number.isFinite(v) ? `${v.toFixed(digits)}${unit}` : '—');
export const KN_PER_MPS = 1.943844;
export const FT_PER_M = 3.28084;

/** Age of an ISO time or epoch ms, as "12 s", "4 min", "2 h". */
export function fmtAge(ms) {
  if (!Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

export function markingClass(marking) {
  const m = String(marking || '').trim().toUpperCase();
  if (m.startsWith('TOP SECRET')) return 'banner-top-secret';
  if (m.startsWith('SECRET')) return 'banner-secret';
  if (m.startsWith('CONFIDENTIAL')) return 'banner-confidential';
  if (m.startsWith('UNCLASSIFIED')) return 'banner-unclassified';
  return 'banner-none';
}

/** A tiny event hub: modules talk through named events instead of importing each other. */
const handlers = new Map();
export function on(name, fn) {
  if (!handlers.has(name)) handlers.set(name, []);
  handlers.get(name).push(fn);
}
export function emit(name, ...args) {
  for (const fn of handlers.get(name) || []) fn(...args);
}
