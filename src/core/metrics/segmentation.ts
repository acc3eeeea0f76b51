/**
 * Overlap metrics between binary masks (any non-zero value is "in"), and the pointing game.
 *
 * Convention for empty masks: when both masks are empty they are identical, and IoU and Dice are 1
 * (the limit of "the two sets are equal"); when exactly one is empty, both are 0.
 */
import { assertSameLength } from './errors';
import { words } from './maskWords';

type Mask = ArrayLike<number>;

/** Counts |A and B|, |A|, |B| in one pass. */
export function overlapCounts(a: Mask, b: Mask): { both: number; a: number; b: number; n: number } {
  assertSameLength(a, b, 'overlapCounts');
  if (a instanceof Uint8Array && b instanceof Uint8Array) return overlapCountsBytes(a, b);
  let both = 0;
  let na = 0;
  let nb = 0;
  const n = a.length;
  for (let i = 0; i < n; i++) {
    const x = a[i] !== 0;
    const y = b[i] !== 0;
    if (x) na++;
    if (y) nb++;
    if (x && y) both++;
  }
  return { both, a: na, b: nb, n };
}

function overlapCountsBytes(a: Uint8Array, b: Uint8Array): { both: number; a: number; b: number; n: number } {
  const n = a.length;
  const wa = words(a);
  const wb = words(b);
  let both = 0;
  let na = 0;
  let nb = 0;
  let start = 0;
  if (wa && wb) {
    for (let i = 0; i < wa.length; i++) {
      const x = wa[i] | 0;
      const y = wb[i] | 0;
      if ((x | y) === 0) continue;
      // nonZeroBytes and byteSum01 of maskWords.ts, inlined for speed.
      let s = x | (x >> 4);
      s |= s >> 2;
      s |= s >> 1;
      s &= 0x01010101;
      let t = y | (y >> 4);
      t |= t >> 2;
      t |= t >> 1;
      t &= 0x01010101;
      na += Math.imul(s, 0x01010101) >>> 24;
      nb += Math.imul(t, 0x01010101) >>> 24;
      both += Math.imul(s & t, 0x01010101) >>> 24;
    }
    start = wa.length * 4;
  }
  for (let i = start; i < n; i++) {
    const x = a[i] !== 0;
    const y = b[i] !== 0;
    if (x) na++;
    if (y) nb++;
    if (x && y) both++;
  }
  return { both, a: na, b: nb, n };
}

/** Intersection over union |A and B| / |A or B|; 1 when both are empty. */
export function iou(a: Mask, b: Mask): number {
  const c = overlapCounts(a, b);
  const union = c.a + c.b - c.both;
  return union === 0 ? 1 : c.both / union;
}

/** Dice 2|A and B| / (|A| + |B|); 1 when both are empty. */
export function dice(a: Mask, b: Mask): number {
  const c = overlapCounts(a, b);
  const s = c.a + c.b;
  return s === 0 ? 1 : (2 * c.both) / s;
}

/** Pixel error: the fraction of pixels where the masks differ (|A xor B| / N); NaN for no pixels. */
export function pixelError(a: Mask, b: Mask): number {
  const c = overlapCounts(a, b);
  if (c.n === 0) return NaN;
  return (c.a + c.b - 2 * c.both) / c.n;
}

/** IoU, Dice and pixel error from one pass. */
export function overlapMetrics(a: Mask, b: Mask): { iou: number; dice: number; pixelError: number } {
  const c = overlapCounts(a, b);
  const union = c.a + c.b - c.both;
  const s = c.a + c.b;
  return {
    iou: union === 0 ? 1 : c.both / union,
    dice: s === 0 ? 1 : (2 * c.both) / s,
    pixelError: c.n === 0 ? NaN : (s - 2 * c.both) / c.n,
  };
}

/** Index of the largest value; ties go to the first in raster order; NaN values are skipped. -1 if none. */
export function argmax(map: ArrayLike<number>): number {
  let best = -1;
  let bestV = -Infinity;
  for (let i = 0; i < map.length; i++) {
    const v = map[i];
    if (v > bestV || (best === -1 && v === -Infinity)) {
      best = i;
      bestV = v;
    }
  }
  return best;
}

/**
 * Pointing game: 1 when the map's argmax pixel (first in raster order on ties) lies inside the
 * mask, else 0. NaN when the map holds no comparable value.
 */
export function hitRate(map: ArrayLike<number>, mask: Mask): number {
  assertSameLength(map, mask, 'hitRate');
  const i = argmax(map);
  if (i < 0) return NaN;
  return mask[i] !== 0 ? 1 : 0;
}
