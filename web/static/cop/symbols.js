// MIL-STD-2525C symbols from milsymbol, drawn once per symbol code onto a canvas and handed
// to MapLibre as images (`map.addImage`): the map's image atlas is built at runtime, one
// entry per distinct code, shared by every track that uses it (10,000 tracks use a few dozen).

const ms = window.ms; // milsymbol UMD bundle, loaded by index.html

export const DOMAINS = ['surface', 'air', 'ground', 'unknown'];
export const AFFILIATIONS = ['hostile', 'suspect', 'unknown', 'pending', 'neutral', 'assumedfriend', 'friend'];
const AFF_CODE = { friend: 'F', assumedfriend: 'A', neutral: 'N', unknown: 'U', pending: 'P', suspect: 'S', hostile: 'H' };
const DIM_CODE = { surface: 'S', air: 'A', ground: 'G', unknown: 'Z' };
export const AFF_COLOR = {
  friend: '#80e0ff', assumedfriend: '#80e0ff', neutral: '#aaffaa', unknown: '#ffff80',
  pending: '#ffff80', suspect: '#ff8080', hostile: '#ff8080',
};

export const domainOf = (p) => (DIM_CODE[p.domain] ? p.domain : 'unknown');
export const affOf = (p) => (AFF_CODE[p.affiliation] ? p.affiliation : 'unknown');

/** What kind of vessel an AIS ship type (ITU-R M.1371 table 53) names, as a 2525C sea function. */
export function shipFunction(t) {
  if (typeof t !== 'number') return null;
  if (t === 35) return ['C-----', 'warship'];
  if (t === 30) return ['XF----', 'fishing'];
  if (t === 31 || t === 32 || t === 52) return ['XMTU--', 'tug'];
  if (t === 36 || t === 37) return ['XR----', 'pleasure craft'];
  if (t === 51) return ['N-----', 'search and rescue'];
  if (t === 55) return ['XL----', 'law enforcement'];
  if (t >= 60 && t <= 69) return ['XMP---', 'passenger'];
  if (t >= 70 && t <= 79) return ['XMC---', 'cargo'];
  if (t >= 80 && t <= 89) return ['XMO---', 'tanker'];
  if ((t >= 40 && t <= 49) || t === 50 || t === 53 || t === 54 || (t >= 90 && t <= 99)) return ['XM----', 'merchant'];
  return null;
}

const AIRLINE = /^[A-Z]{3}\d{1,4}[A-Z]{0,2}$/;

/** The symbol code (2525C letter SIDC) and a type name for a track's properties. */
export function sidcOf(p) {
  const a = AFF_CODE[p.affiliation] || 'U';
  const domain = domainOf(p);
  const d = DIM_CODE[domain];
  let fn = '------';
  let kind = domain === 'unknown' ? 'unknown' : `${domain} track`;
  if (domain === 'surface') {
    const s = shipFunction(p.ship_type);
    if (s) [fn, kind] = s;
  } else if (domain === 'air') {
    if (p.icao != null && AIRLINE.test(String(p.callsign || ''))) [fn, kind] = ['CF----', 'civil fixed wing'];
    else if (p.icao != null) [fn, kind] = ['C-----', 'civil aircraft'];
  } else if (domain === 'ground') {
    [fn, kind] = ['U-----', 'ground unit'];
  }
  return { sidc: `S${a}${d}P${fn}-----`, kind };
}

const valid = new Map();
function validSidc(sidc) {
  if (!valid.has(sidc)) {
    let ok = false;
    try { ok = new ms.Symbol(sidc, { size: 10 }).isValid(); } catch { ok = false; }
    valid.set(sidc, ok);
  }
  return valid.get(sidc) ? sidc : `${sidc.slice(0, 4)}------${sidc.slice(10)}`;
}

export const iconKey = (sidc) => `sym:${validSidc(sidc)}`;

/** A symbol on a canvas whose centre is the symbol's anchor (MapLibre centres icons). */
export function symbolCanvas(sidc, size, ratio = 1) {
  const sym = new ms.Symbol(validSidc(sidc), { size: size * ratio, fill: true, frame: true });
  const src = sym.asCanvas();
  const anchor = sym.getAnchor();
  const w = Math.ceil(2 * Math.max(anchor.x, src.width - anchor.x));
  const h = Math.ceil(2 * Math.max(anchor.y, src.height - anchor.y));
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  c.getContext('2d').drawImage(src, Math.round(w / 2 - anchor.x), Math.round(h / 2 - anchor.y));
  return c;
}

/** Add the image for `key` (`sym:<SIDC>`) to the map's atlas; false for a key not ours. */
export function addSymbolImage(map, key) {
  if (!key.startsWith('sym:') || map.hasImage(key)) return false;
  const ratio = Math.max(1, Math.round(window.devicePixelRatio || 1));
  const c = symbolCanvas(key.slice(4), 18, ratio);
  map.addImage(key, c.getContext('2d').getImageData(0, 0, c.width, c.height), { pixelRatio: ratio });
  return true;
}

/** The generic symbols, so the first paint does not wait on `styleimagemissing`. */
export function registerBaseSymbols(map) {
  for (const domain of DOMAINS) {
    for (const affiliation of AFFILIATIONS) addSymbolImage(map, iconKey(sidcOf({ domain, affiliation }).sidc));
  }
}

const urls = new Map();
export function symbolDataUrl(sidc, size) {
  const k = `${sidc}@${size}`;
  if (!urls.has(k)) urls.set(k, symbolCanvas(sidc, size, 1).toDataURL());
  return urls.get(k);
}
