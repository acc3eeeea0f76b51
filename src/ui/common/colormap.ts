import { interpolateInferno, interpolateViridis, interpolateRdBu } from 'd3-scale-chromatic';

/**
 * Colormaps for saliency maps, as lookup tables of 256 RGBA entries (a map is drawn by one table
 * lookup per pixel into ImageData, never per-pixel React).
 * - inferno (default) and viridis: perceptually uniform, colour-blind safe (d3-scale-chromatic,
 *   the matplotlib maps);
 * - diverging: ColorBrewer RdBu reversed (blue negative, white zero, red positive; colour-blind
 *   safe), for signed maps (gradient, IG raw);
 * - jet: only on request (not perceptually uniform), matplotlib's piecewise-linear definition.
 */
import type { ColormapName } from '../../state/colormapName';
export type { ColormapName };
export const COLORMAPS: Array<{ id: ColormapName; label: string; note: string }> = [
  { id: 'inferno', label: 'Inferno', note: 'default; perceptually uniform, colour-blind safe' },
  { id: 'viridis', label: 'Viridis', note: 'perceptually uniform, colour-blind safe' },
  { id: 'diverging', label: 'Diverging (RdBu)', note: 'for signed maps: blue negative, white zero, red positive' },
  { id: 'jet', label: 'Jet (not recommended)', note: 'not perceptually uniform; only for comparison with older figures' },
];

/** matplotlib's jet: segment data of _jet_data in matplotlib/_cm.py. */
const JET: Record<'r' | 'g' | 'b', Array<[number, number]>> = {
  r: [[0, 0], [0.35, 0], [0.66, 1], [0.89, 1], [1, 0.5]],
  g: [[0, 0], [0.125, 0], [0.375, 1], [0.64, 1], [0.91, 0], [1, 0]],
  b: [[0, 0.5], [0.11, 1], [0.34, 1], [0.65, 0], [1, 0]],
};
function piecewise(seg: Array<[number, number]>, t: number): number {
  for (let i = 1; i < seg.length; i++) {
    const [x1, y1] = seg[i];
    if (t <= x1) {
      const [x0, y0] = seg[i - 1];
      return y0 + ((t - x0) / (x1 - x0)) * (y1 - y0);
    }
  }
  return seg[seg.length - 1][1];
}
export function jet(t: number): [number, number, number] {
  const c = Math.min(1, Math.max(0, t));
  return [piecewise(JET.r, c), piecewise(JET.g, c), piecewise(JET.b, c)];
}

/** Parses the "#rrggbb" or "rgb(r, g, b)" strings d3-scale-chromatic returns. */
export function parseColor(s: string): [number, number, number] {
  if (s.startsWith('#')) return [parseInt(s.slice(1, 3), 16), parseInt(s.slice(3, 5), 16), parseInt(s.slice(5, 7), 16)];
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(s);
  if (!m) throw Object.assign(new Error(`colormap.ts: cannot parse colour "${s}"; expected #rrggbb or rgb(r, g, b)`), { code: 'BAD_INPUT_COLOR' });
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** The colour at t in [0, 1] as [r, g, b] bytes. */
export function colorAt(name: ColormapName, t: number): [number, number, number] {
  const c = Math.min(1, Math.max(0, t));
  switch (name) {
    case 'inferno': return parseColor(interpolateInferno(c));
    case 'viridis': return parseColor(interpolateViridis(c));
    case 'diverging': return parseColor(interpolateRdBu(1 - c));
    case 'jet': return jet(c).map((v) => Math.round(v * 255)) as [number, number, number];
  }
}

const luts = new Map<ColormapName, Uint8ClampedArray>();
/** 256 RGBA entries (alpha 255); entry i is the colour at i / 255. Cached per name. */
export function colormapLut(name: ColormapName): Uint8ClampedArray {
  let lut = luts.get(name);
  if (!lut) {
    lut = new Uint8ClampedArray(256 * 4);
    for (let i = 0; i < 256; i++) {
      const [r, g, b] = colorAt(name, i / 255);
      lut[i * 4] = r; lut[i * 4 + 1] = g; lut[i * 4 + 2] = b; lut[i * 4 + 3] = 255;
    }
    luts.set(name, lut);
  }
  return lut;
}

/** A CSS linear-gradient of the map (for colorbars), `stops` evenly spaced stops. */
export function cssGradient(name: ColormapName, direction = 'to right', stops = 16): string {
  const parts: string[] = [];
  for (let i = 0; i < stops; i++) {
    const t = i / (stops - 1);
    const [r, g, b] = colorAt(name, t);
    parts.push(`rgb(${r}, ${g}, ${b}) ${(t * 100).toFixed(1)}%`);
  }
  return `linear-gradient(${direction}, ${parts.join(', ')})`;
}

export interface ColorizeOptions {
  /** Value drawn at the first LUT entry. */
  lo: number;
  /** Value drawn at the last LUT entry. */
  hi: number;
  /** Alpha of drawn pixels, 0..1. */
  opacity: number;
  /** Pixels whose value is below this are transparent (null: none). For signed maps, |v| below it. */
  cutoff?: number | null;
  /** The map is signed and centred on 0 (cutoff on |v|). */
  signed?: boolean;
}

/**
 * values (row-major) -> RGBA through the LUT: index = round(255 (v - lo) / (hi - lo)), clamped.
 * Writes into `out` when given (length 4 n).
 */
export function colorize(values: ArrayLike<number>, lut: Uint8ClampedArray, o: ColorizeOptions, out?: Uint8ClampedArray): Uint8ClampedArray {
  const n = values.length;
  const data = out && out.length === n * 4 ? out : new Uint8ClampedArray(n * 4);
  const span = o.hi - o.lo;
  const k = span > 0 ? 255 / span : 0;
  const a = Math.round(Math.min(1, Math.max(0, o.opacity)) * 255);
  const cut = o.cutoff ?? null;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const j = i * 4;
    if (!(v === v) || (cut !== null && (o.signed ? Math.abs(v) < cut : v < cut))) {
      data[j + 3] = 0;
      continue;
    }
    let idx = Math.round((v - o.lo) * k);
    idx = idx < 0 ? 0 : idx > 255 ? 255 : idx;
    data[j] = lut[idx * 4]; data[j + 1] = lut[idx * 4 + 1]; data[j + 2] = lut[idx * 4 + 2]; data[j + 3] = a;
  }
  return data;
}

/**
 * The value at percentile p (0..100) of `values` (linear interpolation at p/100 (N - 1) of the sorted
 * values, as SPEC section 3); with `abs`, of |values|. NaNs are ignored; NaN when none is left.
 */
export function percentile(values: ArrayLike<number>, p: number, abs = false): number {
  const xs: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === v) xs.push(abs ? Math.abs(v) : v);
  }
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  const pos = (Math.min(100, Math.max(0, p)) / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (pos - lo) * (s[hi] - s[lo]);
}
