// The map: an offline style (Natural Earth land and borders, graticule, place names), and
// every picture element as a MapLibre layer fed from a GeoJSON source — tracks (symbols from
// the runtime image atlas, see symbols.js), labels (SDF glyphs MapLibre draws from the
// vendored Noto Sans through the style's `font-faces`), leaders, trails, uncertainty, alert
// rings, zones, missile warnings and the measuring tool. No DOM markers.
import * as maplibregl from '../vendor/maplibre-gl/maplibre-gl.mjs';
import { addSymbolImage, registerBaseSymbols } from './symbols.js';
import { layerOn } from './filters.js';

const abs = (p) => new URL(p, document.baseURI).href; // worker fetches need absolute URLs
export const empty = () => ({ type: 'FeatureCollection', features: [] });
export const FONT = ['Noto Sans Regular'];
export const FONT_BOLD = ['Noto Sans Bold'];
const LATIN = ['U+0000-00FF', 'U+0131', 'U+0152-0153', 'U+02BB-02BC', 'U+02C6', 'U+02DA', 'U+02DC', 'U+2000-206F', 'U+20AC', 'U+2122', 'U+2190-2193', 'U+2212', 'U+2215'];
const face = (w) => [
  { url: abs(`vendor/fonts/noto-sans-latin-${w}-normal.woff2`), 'unicode-range': LATIN },
  { url: abs(`vendor/fonts/noto-sans-latin-ext-${w}-normal.woff2`) },
];

function graticule(step) {
  const features = [];
  for (let lon = 100; lon <= 160; lon += step) {
    features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: [[lon, 0], [lon, 55]] } });
  }
  for (let lat = 0; lat <= 55; lat += step) {
    const coords = [];
    for (let lon = 100; lon <= 160; lon += 1) coords.push([lon, lat]);
    features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: coords } });
  }
  return { type: 'FeatureCollection', features };
}

const halo = { 'text-halo-color': '#0b1a2e', 'text-halo-width': 1.4 };
// Icons shrink when zoomed out so a dense picture stays readable; none is ever hidden.
const ICON_SIZE = ['interpolate', ['linear'], ['zoom'], 3, 0.55, 6, 0.8, 9, 1];
// σ circle radius: r0 is the radius in pixels at zoom 0 (set per track from σ and latitude).
const SIGMA_RADIUS = ['interpolate', ['exponential', 2], ['zoom'], 0, ['get', 'r0'], 22, ['*', ['get', 'r0'], 4194304]];
// Labels: hostile, suspect and alerted tracks (sort >= 5) always try for a label; the others
// from zoom 6.5; a second line (speed, altitude) from zoom 8. Collisions drop the lower
// priority label (symbol-sort-key: lowest placed first).
const LABEL_TEXT = ['step', ['zoom'],
  ['case', ['>=', ['get', 'sort'], 5], ['get', 't'], ''],
  6.5, ['get', 't'],
  8, ['case', ['==', ['get', 't2'], ''], ['get', 't'], ['concat', ['get', 't'], '\n', ['get', 't2']]]];

export const style = {
  version: 8,
  name: 'biac-offline',
  'font-faces': { 'Noto Sans Regular': face(400), 'Noto Sans Bold': face(700) },
  sources: {
    land: { type: 'geojson', data: abs('vendor/basemap/land.geojson'), attribution: 'Basemap: Natural Earth 1:10m (public domain) via world-atlas' },
    borders: { type: 'geojson', data: abs('vendor/basemap/borders.geojson') },
    places: { type: 'geojson', data: abs('places.geojson') },
    graticule: { type: 'geojson', data: graticule(5) },
    maritime: { type: 'geojson', data: empty() },
    zones: { type: 'geojson', data: empty() },
    // diffed by track id (picture.js sends only what changed)
    trails: { type: 'geojson', data: empty(), promoteId: 'id' },
    leaders: { type: 'geojson', data: empty(), promoteId: 'id' },
    uncertainty: { type: 'geojson', data: empty() },
    alerts: { type: 'geojson', data: empty() },
    tracks: { type: 'geojson', data: empty(), promoteId: 'id' },
    selection: { type: 'geojson', data: empty() },
    missile: { type: 'geojson', data: empty() },
    tool: { type: 'geojson', data: empty() },
  },
  layers: [
    { id: 'sea', type: 'background', paint: { 'background-color': '#0b1a2e' } },
    { id: 'graticule', type: 'line', source: 'graticule', paint: { 'line-color': '#1d3350', 'line-width': 0.7 } },
    { id: 'land', type: 'fill', source: 'land', paint: { 'fill-color': '#3b4048', 'fill-outline-color': '#5d6673' } },
    { id: 'coast', type: 'line', source: 'land', paint: { 'line-color': '#6b7583', 'line-width': ['interpolate', ['linear'], ['zoom'], 4, 0.5, 10, 1.4] } },
    { id: 'borders', type: 'line', source: 'borders', paint: { 'line-color': '#8a7f9a', 'line-width': 0.8, 'line-dasharray': [3, 2] } },
    {
      id: 'places', type: 'symbol', source: 'places', minzoom: 4,
      filter: ['any', ['>=', ['zoom'], 6], ['==', ['get', 'rank'], 1]],
      layout: { 'text-field': ['get', 'name'], 'text-font': FONT, 'text-size': ['case', ['==', ['get', 'rank'], 1], 12, 10.5], 'text-optional': true },
      paint: { 'text-color': '#9aa6b5', ...halo },
    },
    // maritime zones: approximate, so dotted; outlines only (filling polygons of the size of
    // an EEZ costs every frame in software GL; a click is hit-tested in maritime.js)
    {
      id: 'maritime-line', type: 'line', source: 'maritime',
      paint: { 'line-color': ['match', ['get', 'kind'], 'eez', '#4fb3d9', 'contiguous_zone', '#6cc4e4', '#9fdcf2'], 'line-width': ['match', ['get', 'kind'], 'territorial_sea', 1.1, 0.9], 'line-opacity': 0.75, 'line-dasharray': [1, 2] },
    },
    {
      id: 'maritime-label', type: 'symbol', source: 'maritime', minzoom: 5,
      filter: ['any', ['==', ['get', 'kind'], 'eez'], ['>=', ['zoom'], 8]],
      layout: { 'text-field': ['concat', ['get', 'name'], ' (approx.)'], 'text-font': FONT, 'text-size': 10, 'symbol-placement': 'line', 'symbol-spacing': 400, 'text-max-angle': 30 },
      paint: { 'text-color': '#8fd0ea', ...halo },
    },
    { id: 'zones-fill', type: 'fill', source: 'zones', paint: { 'fill-color': '#f0b429', 'fill-opacity': 0.06 } },
    { id: 'zones-line', type: 'line', source: 'zones', paint: { 'line-color': '#f0b429', 'line-width': 1.2, 'line-opacity': 0.8, 'line-dasharray': ['case', ['get', 'approximate'], ['literal', [2, 3]], ['literal', [6, 0]]] } },
    {
      id: 'zones-label', type: 'symbol', source: 'zones',
      layout: { 'text-field': ['case', ['get', 'approximate'], ['concat', ['get', 'name'], ' (approx.)'], ['get', 'name']], 'text-font': FONT, 'text-size': 11, 'symbol-placement': 'line', 'text-max-angle': 30 },
      paint: { 'text-color': '#f0c75e', ...halo },
    },
    { id: 'trails', type: 'line', source: 'trails', paint: { 'line-color': ['get', 'color'], 'line-width': 1.2, 'line-opacity': 0.5 } },
    { id: 'uncertainty', type: 'circle', source: 'tracks', minzoom: 6, paint: { 'circle-radius': SIGMA_RADIUS, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': ['get', 'color'], 'circle-stroke-width': 0.8, 'circle-stroke-opacity': 0.45 } },
    { id: 'leaders', type: 'line', source: 'leaders', paint: { 'line-color': ['get', 'color'], 'line-width': 1.2, 'line-opacity': 0.85 } },
    { id: 'missile-ellipse', type: 'fill', source: 'missile', filter: ['==', ['get', 'kind'], 'ipp'], paint: { 'fill-color': '#ff2d2d', 'fill-opacity': 0.18 } },
    { id: 'missile-ellipse-line', type: 'line', source: 'missile', filter: ['==', ['get', 'kind'], 'ipp'], paint: { 'line-color': '#ff4d4d', 'line-width': 2 } },
    { id: 'missile-trajectory', type: 'line', source: 'missile', filter: ['==', ['get', 'kind'], 'trajectory'], paint: { 'line-color': '#ff4d4d', 'line-width': 2, 'line-dasharray': [2, 1] } },
    {
      id: 'missile-label', type: 'symbol', source: 'missile', filter: ['==', ['get', 'kind'], 'ipp-label'],
      layout: { 'text-field': ['get', 'text'], 'text-font': FONT_BOLD, 'text-size': 13, 'text-allow-overlap': true, 'text-ignore-placement': true },
      paint: { 'text-color': '#ffdddd', 'text-halo-color': '#5a0000', 'text-halo-width': 2 },
    },
    { id: 'alert-rings', type: 'circle', source: 'alerts', paint: { 'circle-radius': 15, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#ff4d4d', 'circle-stroke-width': 2.5, 'circle-stroke-opacity': ['get', 'opacity'] } },
    { id: 'selected', type: 'circle', source: 'selection', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 17, 'circle-color': 'rgba(255,255,255,0.08)', 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 } },
    { id: 'selected-trail', type: 'line', source: 'selection', filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': '#ffffff', 'line-width': 1.5, 'line-opacity': 0.7 } },
    { id: 'selected-sigma', type: 'line', source: 'selection', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'line-color': '#ffffff', 'line-width': 1, 'line-dasharray': [2, 2] } },
    {
      id: 'tracks', type: 'symbol', source: 'tracks',
      layout: {
        'icon-image': ['get', 'icon'], 'icon-allow-overlap': true, 'icon-ignore-placement': true, 'icon-size': ICON_SIZE,
        // drawn in ascending order: hostile and alerted last, on top
        'symbol-sort-key': ['get', 'sort'],
      },
      paint: { 'icon-opacity': ['case', ['==', ['get', 'st'], 'coasting'], 0.45, 1] },
    },
    {
      id: 'labels', type: 'symbol', source: 'tracks',
      layout: {
        'text-field': LABEL_TEXT, 'text-font': FONT, 'text-size': 10.5, 'text-anchor': 'left', 'text-offset': [1.2, 0],
        'text-justify': 'left', 'text-optional': true, 'symbol-sort-key': ['-', 100, ['get', 'sort']], 'text-padding': 1,
      },
      paint: { 'text-color': ['get', 'color'], ...halo },
    },
    { id: 'tool-line', type: 'line', source: 'tool', paint: { 'line-color': '#ffd36b', 'line-width': 1.8, 'line-dasharray': [3, 2] } },
    { id: 'tool-points', type: 'circle', source: 'tool', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 4, 'circle-color': '#ffd36b' } },
    {
      id: 'tool-label', type: 'symbol', source: 'tool', filter: ['has', 'text'],
      layout: { 'text-field': ['get', 'text'], 'text-font': FONT_BOLD, 'text-size': 12, 'text-offset': [0, -1.2], 'text-allow-overlap': true },
      paint: { 'text-color': '#ffd36b', ...halo },
    },
  ],
};

const TOGGLED = {
  labels: ['labels'], leaders: ['leaders'], trails: ['trails'], uncertainty: ['uncertainty'],
  zones: ['zones-fill', 'zones-line', 'zones-label'], maritime: ['maritime-line', 'maritime-label'], alerts: ['alert-rings'],
};

export function createMap(container, { onLoad }) {
  const map = new maplibregl.Map({
    container,
    style,
    center: [126, 26.5],
    zoom: 5.3,
    minZoom: 3,
    maxZoom: 14,
    maxBounds: [[95, -5], [165, 55]],
    attributionControl: { compact: false },
    dragRotate: false,
    pitchWithRotate: false,
    // No symbol fade: a picture update repaints once instead of animating for 300 ms (at
    // 10,000 tracks each frame is costly), and a track appears where it is at once.
    fadeDuration: 0,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-left');
  map.addControl(new maplibregl.ScaleControl({ unit: 'nautical', maxWidth: 120 }), 'bottom-left');
  map.on('styleimagemissing', (e) => {
    if (!addSymbolImage(map, e.id)) addSymbolImage(map, 'sym:SUZP-----------');
  });
  map.on('load', () => {
    registerBaseSymbols(map);
    applyToggles(map);
    onLoad(map);
  });
  return map;
}

export function applyToggles(map) {
  for (const [id, layers] of Object.entries(TOGGLED)) {
    for (const l of layers) if (map.getLayer(l)) map.setLayoutProperty(l, 'visibility', layerOn(id) ? 'visible' : 'none');
  }
}

/** Stale link: every track drawn faded, labels greyed (see connection.js for when). */
export function setStale(map, stale) {
  map.setPaintProperty('tracks', 'icon-opacity', stale ? 0.3 : ['case', ['==', ['get', 'st'], 'coasting'], 0.45, 1]);
  map.setPaintProperty('labels', 'text-color', stale ? '#7d8896' : ['get', 'color']);
  map.setPaintProperty('leaders', 'line-opacity', stale ? 0.25 : 0.85);
}

export function setData(map, source, data) {
  const s = map.getSource(source);
  if (s) s.setData(data);
}

export { maplibregl };
